/* PV memory management: reference counts, page types and validated page-table
 * updates for PV guests, which write machine frame numbers into their own tables.
 *
 * Design. Every frame has a general reference count and a type with a type count
 * (encoding in <hvlab/pv_mm.h>). A frame takes a type only while its type count is 0,
 * so it is either mapped writable (PGT_writable) or a level-n page table (PGT_ln),
 * never both: a guest cannot write its page tables behind the hypervisor's back. The
 * first PGT_ln reference validates the table: every present entry must follow the
 * entry rules and takes references on its target (n >= 2: a PGT_l(n-1) type reference;
 * L1: a general reference, plus PGT_writable when the entry is writable). The last
 * PGT_ln reference devalidates it: the entries' references are dropped, which may
 * devalidate lower tables in turn (recursion depth <= 4). Levels strictly decrease
 * along table references, so they cannot loop: a recursive L4 slot is a type conflict.
 * A table is devalidated while its last type reference is still counted, so nobody
 * can retype the frame while its entries are being read.
 *
 * Entry rules. Not present: any value, no references. Present: PTE_U set; PTE_PS (PAT
 * in an L1), PTE_G, PTE_PWT, PTE_PCD and bits 52..62 clear (include/public/hvlab.h says
 * why: real hardware, not QEMU, would let them harm other domains); frame below max_mfn and allocated to a domain;
 * levels 2..4: d's own frame; level 1: pg_owner's (pv_mmu_update) or, when a whole L1
 * is validated, d's or, if d is privileged, any domain's (its foreign mappings). L4
 * slots 256..511 are the hypervisor's: zero in a frame to be validated, a copy of
 * hv_l4_template while validated, never writable through pv_mmu_update.
 *
 * Locking. d->page_lock (irqsave) serializes the page-table operations of d: every
 * pv_* entry point takes it, callers hold nothing. A PT type of a frame is taken and
 * dropped only by its owner's operations (tables above L1, pins and bases name only
 * the owner's frames), so always under the owner's page_lock: nobody else ever sees a
 * table half-validated. General references and PGT_writable are also taken by a
 * privileged domain's foreign mappings without the owner's lock, so count_info and
 * type_info change only by atomic read-modify-write. No reference is taken on a frame
 * without PGC_allocated, and get_page checks the owner after taking it (dropping it
 * again on a mismatch), so a frame freed or reallocated concurrently is never mapped.
 * Lock order: page_lock -> orphan lock (mm/domain_mem.c) -> zone locks.
 *
 * Preemptible (de)validation (issue 9). Validating a fresh tree is long (a 192 MiB
 * PV domain's: ~49,000 L1 entries, ~6 ms of icount time with interrupts off), and so
 * is devalidating one. The operations that may (de)validate a whole tree (pin, unpin,
 * a vCPU's base: DOMCTL_setvcpucontext, MMUEXT_PIN_Ln_TABLE, MMUEXT_UNPIN_TABLE,
 * MMUEXT_NEW_BASEPTR, VCPUOP_initialise) pass a struct pt_walk down: every
 * PT_WALK_BATCH present entries (a slot not present costs next to nothing and is no
 * step) it drops page_lock, reaches a preemption point
 * (core/hypercall.c) and takes the lock again. Tables complete depth first, so
 * bottom-up: a table is marked PGT_validated only after every table below it. The
 * rule that keeps the counts right while the lock is free:
 *  - a table being validated or devalidated ("partial") has its PT type, type count
 *    exactly 1 (the reference of the operation in progress: the parent's entry, the
 *    pin or the base being taken or dropped, paired with its general reference as
 *    always), PGT_validated clear, and pt_done: entries [0, pt_done) hold their
 *    references, the others none (validation goes up from 0, devalidation down from
 *    the top). An L4 has its hypervisor slots only while validated.
 *  - Nobody else can change or use a partial table: get_page_type() refuses any type
 *    on it (-EBUSY: "being (de)validated"), mmu_update and grant maps need
 *    PGT_validated, and it cannot be mapped writable. So its entries read again after
 *    a point are the ones read before, and the undo drops exactly what was taken. A
 *    second operation of the same domain (another vCPU) reaching it fails with
 *    -EBUSY and undoes its own part; nothing waits for it.
 *  - Tables completed below a partial one are ordinary validated tables held by the
 *    partial parent's entries: other vCPUs may map them, update them, take and drop
 *    their own references meanwhile. A frame the walk has not reached yet may change
 *    (mapped writable by dom0, freed): the walk then fails there and undoes.
 *  - A failure undoes with the same batches: the entries taken so far are put back
 *    in reverse, a completed table whose last reference that drops is devalidated
 *    the same way (partial, from its top entry down). Nothing half-validated stays.
 *  - Who may be stopped at a point for good: a domU's own vCPU (pin, base), when its
 *    domain is destroyed meanwhile. It never resumes (paused before the teardown),
 *    and the teardown (mm/domain_mem.c) finds everything from the page_info: a
 *    partial L1's [0, pt_done) entries are dropped like a validated L1's, and every
 *    PT type reference, a partial table's in-progress one too, is dropped with its
 *    general reference. dom0 is never destroyed, and its domctl holds domctl_lock
 *    across the points, so the domain it builds is not destroyed under it.
 *  - No table in progress is reachable from a loaded CR3: a validation takes a type
 *    whose count was 0 (nothing referenced it as a table), and a devalidation starts
 *    at the last type reference (no base holds it), except the old base that
 *    MMUEXT_NEW_BASEPTR drops while it is still the vCPU's CR3: that one is dropped
 *    in one step by pv_set_base; MMUEXT_NEW_BASEPTR loads the new CR3 first and then
 *    drops the old base with pv_put_base, which is preemptible.
 *  - pv_mmu_update is preemptible the same way: the subtree a new entry names is
 *    validated before the entry is written (so it is unreachable while partial), the
 *    subtree the old entry named is devalidated after it is unlinked; before each
 *    point the TLBs of d's pCPUs are flushed (the unlinked subtree and the batch's
 *    earlier entries may be cached there). The table written may change meanwhile
 *    (another vCPU unpins it): the entry is written only if it is still d's validated
 *    table of the same level, else its new references are dropped (-EINVAL).
 *
 * Limitations. No TLB tracking: after a writable mapping goes away, a stale TLB entry
 * can still let the guest write the frame. The hypercall layer must flush every pCPU
 * running d's vCPUs after each batch that removed or replaced mappings; a guest with
 * several vCPUs running has a window until then (Xen closes it with per-page TLB-flush
 * timestamps). No superpages, no PAT. Grant mappings (pv_grant_map) are ordinary
 * L1 entries of a foreign frame: revalidating an L1 that holds one (unpin, then pin
 * again) fails for a domain that is not privileged, as for any foreign entry.
 */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/hypercall.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/panic.h>
#include <hvlab/pv_mm.h>

#include "pv_mm_priv.h"

uint64_t hv_l4_template[512];

/* A preemptible walk (see "Preemptible (de)validation" above): page_lock of d is held
 * with *flags; NULL where the caller cannot drop it (one step, as before). */
struct pt_walk {
    struct domain *d;
    unsigned long *flags;
    unsigned steps;                     /* entries since the last point */
    bool flush;                         /* pv_mmu_update: flush d's TLBs before a point */
};

#define PT_WALK_BATCH HYPERCALL_PREEMPT_BATCH

/* One entry done; every PT_WALK_BATCH of them, a preemption point with page_lock free.
 * The caller has recorded its place (pt_done) first. */
static void walk_step(struct pt_walk *w)
{
    if (!w || ++w->steps < PT_WALK_BATCH)
        return;
    w->steps = 0;
    spin_unlock_irqrestore(&w->d->page_lock, *w->flags);
    /* An mmu_update's entries so far, and a subtree it unlinked, may still be cached
     * by the pCPUs running d's other vCPUs: flushed before anything else runs. */
    if (w->flush && hypercall_preempt_check())
        flush_domain_tlbs(w->d);
    hypercall_preempt();
    spin_lock_irqsave(&w->d->page_lock, *w->flags);
}

static bool owner_locked(const struct page_info *pg)
{
    struct domain *o = page_owner(pg);
    return o && spin_is_locked(&o->page_lock);
}

/* ---- general references ---- */

/* d == NULL: a frame of any domain. */
static int get_page_of(struct page_info *pg, const struct domain *d)
{
    uint32_t x = __atomic_load_n(&pg->count_info, __ATOMIC_RELAXED);
    struct domain *o;

    do {
        if (!(x & PGC_allocated))
            return -EINVAL;
        if ((x & PGC_count_mask) == PGC_count_mask)
            return -EOVERFLOW;
    } while (!__atomic_compare_exchange_n(&pg->count_info, &x, x + 1, true,
                                          __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
    /* Checked after taking the reference: the frame cannot leave its owner now. */
    o = page_owner(pg);
    if (!o || (d && o != d)) {
        put_page(pg);
        return o ? -EPERM : -EINVAL;
    }
    return 0;
}

int get_page(struct page_info *pg, struct domain *d)
{
    ASSERT(d);
    return get_page_of(pg, d);
}

void put_page(struct page_info *pg)
{
    uint32_t old = __atomic_fetch_sub(&pg->count_info, 1, __ATOMIC_ACQ_REL);

    if (!(old & PGC_count_mask))
        panic("put_page: mfn %#lx has no reference", (unsigned long)page_to_mfn(pg));
    if (old == 1)                       /* last reference of an orphan */
        mm_orphan_release(pg);
}

/* ---- page types ---- */

static int validate_table(struct page_info *pg, unsigned level, struct pt_walk *w);
static void devalidate_table(struct page_info *pg, unsigned level, struct pt_walk *w);

static int get_page_type_w(struct page_info *pg, uint32_t type, struct pt_walk *w)
{
    bool pt = type_is_pt(type);
    uint32_t x, nx;
    int rc;

    ASSERT(type == PGT_writable || pt);
    ASSERT(page_refcount(pg) > 0);
    ASSERT(!pt || owner_locked(pg));
    x = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED);
    do {
        uint32_t cnt = x & PGT_count_mask;

        if (cnt == 0) {
            ASSERT(x == 0);
            nx = type | 1;
        } else if ((x & PGT_type_mask) != type) {
            return -EBUSY;
        } else if (pt && !(x & PGT_validated)) {
            return -EBUSY;              /* partial: being (de)validated */
        } else if (cnt == PGT_count_mask) {
            return -EOVERFLOW;
        } else {
            nx = x + 1;
        }
    } while (!__atomic_compare_exchange_n(&pg->type_info, &x, nx, true,
                                          __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
    if (!pt || (x & PGT_count_mask))
        return 0;
    pg->pt_done = 0;
    rc = validate_table(pg, type_level(type), w);
    if (rc) {
        __atomic_store_n(&pg->type_info, 0, __ATOMIC_RELEASE);
        return rc;
    }
    __atomic_fetch_or(&pg->type_info, PGT_validated, __ATOMIC_RELEASE);
    return 0;
}

int get_page_type(struct page_info *pg, uint32_t type)
{
    return get_page_type_w(pg, type, NULL);
}

static void put_page_type_w(struct page_info *pg, struct pt_walk *w)
{
    uint32_t x = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED), nx;

    do {
        uint32_t cnt = x & PGT_count_mask;

        if (cnt == 0)
            panic("put_page_type: mfn %#lx has no type reference",
                  (unsigned long)page_to_mfn(pg));
        if (cnt == 1 && type_is_pt(x)) {
            /* Still counted while the entries are dropped: nobody can retype it. */
            ASSERT(owner_locked(pg));
            ASSERT((x & PGT_validated) && !(x & PGT_pinned));
            pg->pt_done = table_slots(type_level(x));
            __atomic_fetch_and(&pg->type_info, ~PGT_validated, __ATOMIC_RELAXED);
            devalidate_table(pg, type_level(x), w);
            __atomic_store_n(&pg->type_info, 0, __ATOMIC_RELEASE);
            return;
        }
        nx = cnt == 1 ? 0 : x - 1;
    } while (!__atomic_compare_exchange_n(&pg->type_info, &x, nx, true,
                                          __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

void put_page_type(struct page_info *pg)
{
    put_page_type_w(pg, NULL);
}

static int get_page_and_type_w(struct page_info *pg, struct domain *d, uint32_t type,
                               struct pt_walk *w)
{
    int rc = get_page(pg, d);

    if (rc)
        return rc;
    rc = get_page_type_w(pg, type, w);
    if (rc)
        put_page(pg);
    return rc;
}

int get_page_and_type(struct page_info *pg, struct domain *d, uint32_t type)
{
    return get_page_and_type_w(pg, d, type, NULL);
}

static void put_page_and_type_w(struct page_info *pg, struct pt_walk *w)
{
    put_page_type_w(pg, w);
    put_page(pg);
}

void put_page_and_type(struct page_info *pg)
{
    put_page_and_type_w(pg, NULL);
}

/* ---- entries and tables ---- */

/* The references entry e of a level-`level` table of d holds. l1_owner: whose frames
 * an L1 entry may map (NULL: any domain's). On error none are held. */
static int get_entry_refs(uint64_t e, unsigned level, struct domain *d,
                          const struct domain *l1_owner, struct pt_walk *w)
{
    struct page_info *t;
    int rc;

    if (!(e & PTE_P))
        return 0;
    rc = check_entry(e);
    if (rc)
        return rc;
    t = mfn_to_page(pte_mfn(e));
    if (level > 1)
        return get_page_and_type_w(t, d, PGT_ln(level - 1), w);
    rc = get_page_of(t, l1_owner);
    if (rc == 0 && (e & PTE_W)) {
        rc = get_page_type(t, PGT_writable);
        if (rc)
            put_page(t);
    }
    return rc;
}

static void put_entry_refs_w(uint64_t e, unsigned level, struct pt_walk *w)
{
    struct page_info *t;

    if (!(e & PTE_P))
        return;
    t = mfn_to_page(pte_mfn(e));
    if (level > 1) {
        put_page_and_type_w(t, w);
        return;
    }
    if (e & PTE_W)
        put_page_type(t);
    put_page(t);
}

static void put_entry_refs(uint64_t e, unsigned level)
{
    put_entry_refs_w(e, level, NULL);
}

static const struct domain *l1_table_pg_owner(const struct domain *d)
{
    return d->is_privileged ? NULL : d;
}

/* Entries [0, pt_done) of a partial table down to 0, in reverse, with their points. */
static void put_entries_down(struct page_info *pg, unsigned level, struct pt_walk *w)
{
    uint64_t *t = page_to_virt(pg);

    while (pg->pt_done > 0) {
        unsigned i = --pg->pt_done;
        uint64_t e = read_entry(t, i);

        if (!(e & PTE_P))
            continue;                   /* holds nothing: not a step */
        put_entry_refs_w(e, level, w);
        walk_step(w);
    }
}

static int validate_table(struct page_info *pg, unsigned level, struct pt_walk *w)
{
    uint64_t *t = page_to_virt(pg);
    struct domain *d = page_owner(pg);
    unsigned i, nr = table_slots(level);
    int rc = 0;

    ASSERT(pg->pt_done == 0);
    for (i = nr; i < PT_ENTRIES; i++)
        if (read_entry(t, i))
            return -EPERM;
    for (i = 0; i < nr; i++) {
        uint64_t e = read_entry(t, i);

        /* A slot not present takes nothing: no step and no place to record (the
         * sparse tables of a fork spent more on this bookkeeping than on their
         * entries). */
        if (!(e & PTE_P))
            continue;
        rc = get_entry_refs(e, level, d, l1_table_pg_owner(d), w);
        if (rc)
            break;
        pg->pt_done = i + 1;
        walk_step(w);
    }
    if (rc) {
        put_entries_down(pg, level, w);
        return rc;
    }
    pg->pt_done = 0;
    if (level == 4)
        memcpy(&t[L4_GUEST_SLOTS], &hv_l4_template[L4_GUEST_SLOTS],
               (PT_ENTRIES - L4_GUEST_SLOTS) * sizeof(*t));
    return 0;
}

/* pg is partial with pt_done = all its slots (put_page_type_w). An L4 loses its
 * hypervisor slots first: no vCPU uses it any more, and a partial L4 has none. */
static void devalidate_table(struct page_info *pg, unsigned level, struct pt_walk *w)
{
    uint64_t *t = page_to_virt(pg);

    if (level == 4)
        memset(&t[L4_GUEST_SLOTS], 0, (PT_ENTRIES - L4_GUEST_SLOTS) * sizeof(*t));
    put_entries_down(pg, level, w);
}

/* ---- the operations ---- */

int pv_mmu_update(struct domain *d, struct domain *pg_owner, uint64_t ptr, uint64_t val)
{
    mfn_t mfn = ptr >> PAGE_SHIFT;
    unsigned slot = (ptr & ~PAGE_MASK) / sizeof(uint64_t), level = 0;
    struct page_info *pg;
    unsigned long flags;
    uint32_t x;
    int rc;

    ASSERT(pg_owner);
    if (ptr & (sizeof(uint64_t) - 1))
        return -EINVAL;
    if (pg_owner != d && !d->is_privileged)
        return -EPERM;
    if (mfn >= max_mfn)
        return -EFAULT;
    pg = mfn_to_page(mfn);
    spin_lock_irqsave(&d->page_lock, flags);
    struct pt_walk w = { .d = d, .flags = &flags, .flush = true };
    x = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED);
    if (!owned_by(pg, d))
        rc = -EPERM;
    else if (!type_is_pt(x) || !(x & PGT_validated))
        rc = -EINVAL;
    else if ((level = type_level(x)) == 4 && slot >= L4_GUEST_SLOTS)
        rc = -EPERM;
    else
        rc = get_entry_refs(val, level, d, pg_owner, &w);
    /* The walk may have let page_lock go: pg must still be what was checked. */
    x = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED);
    if (rc == 0 && (!owned_by(pg, d) || !type_is_pt(x) || !(x & PGT_validated) ||
                    type_level(x) != level)) {
        put_entry_refs_w(val, level, &w);
        rc = -EINVAL;
    }
    if (rc == 0) {
        uint64_t *t = page_to_virt(pg);

        /* New references first: replacing an entry by itself devalidates nothing. */
        put_entry_refs_w(__atomic_exchange_n(&t[slot], val, __ATOMIC_SEQ_CST), level, &w);
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

int pv_pin_table(struct domain *d, mfn_t mfn, unsigned level)
{
    struct page_info *pg;
    unsigned long flags;
    int rc;

    if (level < 1 || level > 4 || mfn >= max_mfn)
        return -EINVAL;
    pg = mfn_to_page(mfn);
    spin_lock_irqsave(&d->page_lock, flags);
    struct pt_walk w = { .d = d, .flags = &flags };
    if (!owned_by(pg, d))
        rc = -EPERM;
    else if (page_is_pinned(pg))
        rc = -EBUSY;
    else
        rc = get_page_and_type_w(pg, d, PGT_ln(level), &w);
    if (rc == 0)
        __atomic_fetch_or(&pg->type_info, PGT_pinned, __ATOMIC_RELAXED);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

int pv_unpin_table(struct domain *d, mfn_t mfn)
{
    struct page_info *pg;
    unsigned long flags;
    int rc = 0;

    if (mfn >= max_mfn)
        return -EINVAL;
    pg = mfn_to_page(mfn);
    spin_lock_irqsave(&d->page_lock, flags);
    struct pt_walk w = { .d = d, .flags = &flags };
    if (!owned_by(pg, d)) {
        rc = -EPERM;
    } else if (!page_is_pinned(pg)) {
        rc = -EINVAL;
    } else {
        __atomic_fetch_and(&pg->type_info, ~PGT_pinned, __ATOMIC_RELAXED);
        put_page_and_type_w(pg, &w);
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

int pv_set_base(struct domain *d, mfn_t new_l4, mfn_t old_l4)
{
    struct page_info *old = old_l4 ? mfn_to_page(old_l4) : NULL;
    unsigned long flags;
    int rc = 0;

    if (new_l4 >= max_mfn || old_l4 >= max_mfn)
        return -EINVAL;
    spin_lock_irqsave(&d->page_lock, flags);
    struct pt_walk w = { .d = d, .flags = &flags };
    /* old's base reference is the caller's (its vCPU's): stable across the points.
     * Dropping it stays one step: old is still the vCPU's CR3 (the caller loads the
     * new one after this), and a devalidation zeroes the hypervisor's slots first, so
     * switching this vCPU back in at a point would load a table without them. */
    if (old && (!owned_by(old, d) || page_type(old) != PGT_l4 || !page_typecount(old)))
        rc = -EINVAL;
    if (rc == 0 && new_l4)
        rc = get_page_and_type_w(mfn_to_page(new_l4), d, PGT_l4, &w);
    if (rc == 0 && old)
        put_page_and_type(old);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

int pv_put_base(struct domain *d, mfn_t old_l4)
{
    struct page_info *old;
    unsigned long flags;
    int rc = 0;

    if (old_l4 == 0 || old_l4 >= max_mfn)
        return -EINVAL;
    old = mfn_to_page(old_l4);
    spin_lock_irqsave(&d->page_lock, flags);
    /* No longer this vCPU's CR3; the flush is for pCPUs that may still cache it. */
    struct pt_walk w = { .d = d, .flags = &flags, .flush = true };
    if (!owned_by(old, d) || page_type(old) != PGT_l4 || !page_typecount(old) ||
        type_is_partial(old->type_info))
        rc = -EINVAL;
    else
        put_page_and_type_w(old, &w);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

int pv_lookup_l1e(struct domain *d, mfn_t l4_mfn, uint64_t va, uint64_t *l1e_maddr)
{
    struct page_info *pg;
    unsigned long flags;
    uint32_t x;
    int rc = 0;

    if (va >= GUEST_VIRT_END || l4_mfn >= max_mfn)
        return -EINVAL;
    pg = mfn_to_page(l4_mfn);
    spin_lock_irqsave(&d->page_lock, flags);
    x = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED);
    if (!owned_by(pg, d) || (x & PGT_type_mask) != PGT_l4 || !(x & PGT_validated))
        rc = -EINVAL;
    /* Below a validated L4 every present entry leads to d's validated next level. */
    for (unsigned level = 4; rc == 0 && level > 1; level--) {
        uint64_t e = read_entry(page_to_virt(pg), (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511);

        if (!(e & PTE_P))
            rc = -EINVAL;
        else
            pg = mfn_to_page(pte_mfn(e));
    }
    if (rc == 0)
        *l1e_maddr = page_to_paddr(pg) + ((va >> PAGE_SHIFT) & 511) * sizeof(uint64_t);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

/* ---- grant mappings (core/grant_table_map.c) ----
 * A grant mapping is an ordinary L1 entry with ordinary references; only the frame
 * is another domain's, which pv_mmu_update would refuse to a domain that is not
 * privileged. The grant code holds a pin (a reference of its own) while it maps. */

/* d's validated L1 holding the entry at machine address l1e, with d->page_lock held. */
static uint64_t *grant_l1e(struct domain *d, uint64_t l1e)
{
    mfn_t mfn = l1e >> PAGE_SHIFT;
    struct page_info *pg;
    uint32_t x;

    if ((l1e & 7) || mfn >= max_mfn)
        return NULL;
    pg = mfn_to_page(mfn);
    x = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED);
    if (!owned_by(pg, d) || (x & PGT_type_mask) != PGT_l1 || !(x & PGT_validated))
        return NULL;
    return (uint64_t *)page_to_virt(pg) + (l1e & ~PAGE_MASK) / sizeof(uint64_t);
}

int pv_grant_map(struct domain *d, uint64_t l1e, mfn_t mfn, bool writable)
{
    uint64_t val = ((uint64_t)mfn << PAGE_SHIFT) | PTE_P | PTE_U | PTE_NX |
                   (writable ? PTE_W : 0);
    unsigned long flags;
    uint64_t *e;
    int rc;

    if (mfn >= max_mfn)
        return -EINVAL;
    spin_lock_irqsave(&d->page_lock, flags);
    e = grant_l1e(d, l1e);
    if (!e)
        rc = -EINVAL;
    else if (read_entry(e, 0) & PTE_P)
        rc = -EEXIST;
    else
        rc = get_entry_refs(val, 1, d, NULL, NULL);
    if (rc == 0)
        __atomic_store_n(e, val, __ATOMIC_SEQ_CST);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

int pv_grant_unmap(struct domain *d, uint64_t l1e, mfn_t mfn)
{
    unsigned long flags;
    uint64_t *e, old;
    int rc = 0;

    spin_lock_irqsave(&d->page_lock, flags);
    e = grant_l1e(d, l1e);
    if (!e)
        rc = -EINVAL;
    else if (!((old = read_entry(e, 0)) & PTE_P) || pte_mfn(old) != mfn)
        rc = -ENOENT;
    else
        put_entry_refs(__atomic_exchange_n(e, 0, __ATOMIC_SEQ_CST), 1);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

unsigned pv_relinquish_frame_refs(struct page_info *pg)
{
    /* What a validated L1 holds on data frames (no cascades: those are not tables),
     * and the hypervisor slots of an L4. References between d's tables stay counted
     * in the lower tables' type counts, so no table can be retyped meanwhile. A
     * partial L1 (a domU's vCPU stopped for good at a point while (de)validating it)
     * holds those of its entries [0, pt_done); a partial L4 has no hypervisor slots. */
    uint32_t x = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED);
    uint64_t *t = page_to_virt(pg);
    unsigned cost = 1, nr = 0;

    if (type_is_partial(x))
        nr = pg->pt_done;
    else if (type_is_pt(x) && (x & PGT_validated))
        nr = PT_ENTRIES;
    else
        return cost;
    if (type_level(x) == 1) {
        for (unsigned i = 0; i < nr; i++)
            put_entry_refs(read_entry(t, i), 1);
        cost += PV_RELINQUISH_L1_COST;
    }
    if (type_level(x) == 4 && (x & PGT_validated))
        memset(&t[L4_GUEST_SLOTS], 0, (PT_ENTRIES - L4_GUEST_SLOTS) * sizeof(*t));
    pg->pt_done = 0;
    __atomic_fetch_and(&pg->type_info, ~PGT_validated, __ATOMIC_RELAXED);
    return cost;
}

unsigned pv_relinquish_frame_type(struct page_info *pg)
{
    /* Every remaining table type reference belongs to d (a parent table entry, a pin
     * or a vCPU base) and is paired with a general reference: drop both. The vCPUs
     * are not looked at (domain_destroy may have freed them already). */
    uint32_t x = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED);

    if (type_is_pt(x)) {
        pg->pt_done = 0;
        __atomic_store_n(&pg->type_info, 0, __ATOMIC_RELEASE);
        __atomic_fetch_sub(&pg->count_info, x & PGT_count_mask, __ATOMIC_RELEASE);
    }
    return 1;
}
