/* The memory mover for PV domains, which see machine frames: every reference to a
 * moved frame changes with it (docs/memory-policies.md, "Moving memory").
 *
 * Design. The references a PV domain's frame can have from d itself are: entries of
 * d's validated page tables (each a general reference, plus a type reference for a
 * table entry above L1 or a writable L1 entry), a pin, a vCPU's base (CR3), and the
 * guest's own pfn->mfn list (no reference: the list the builder wrote, found from
 * start_info, which the guest runtime reads for every mapping it makes). There is no
 * M2P table in hvlab. The list is found before the move (migrate_pv_find_list; without
 * it nothing moves and the policy is unchanged). A batch takes up to MIGRATE_BATCH frames of d's page list that
 * lie outside S, gets new frames from the policy, and under page_lock:
 *  1. one pass over d's validated tables counts, with the batch's old -> new map, the
 *     references d's own entries, pins and bases hold on each; a frame whose counts
 *     are more than that (a backend's, device model's or dom0's mapping, a grant
 *     mapping, a reference the hypervisor holds), one that an entry of d's grant table
 *     names (a grant not yet mapped would name a stale frame), the start_info page and
 *     the store page (their MFNs were handed to dom0) stay: `held`;
 *  2. each movable frame is frozen (PGC_allocated cleared: no new reference can be
 *     taken), copied, and the new frame gets its counts and type (validated, pinned:
 *     a page-table page moves with its validation) while the old one loses them;
 *  3. a second pass over d's validated tables (now the new copies, not the old ones)
 *     rewrites every entry naming a moved frame, keeping its flags; vCPU bases and the
 *     guest's pfn->mfn list are rewritten with the same map;
 *  4. the old frames leave d (domain_take_frame_locked), the new ones take their
 *     places in the page list.
 * Then every pCPU that may cache d's translations is flushed (flush_domain_tlbs via
 * gnttab_flush_tlbs; the paused vCPUs also reload CR3 from their base when they next
 * run), and only then are the old frames freed. Reference counts move as numbers: no
 * table is devalidated or revalidated.
 *
 * Locking. As mm/migrate.c: domctl_lock, d paused; each batch under d->page_lock, the
 * lock of every page-table operation of d (mm/pv_mm.c). Another domain's foreign
 * reference taken concurrently is either counted before the freeze (the frame stays)
 * or refused after it (get_page needs PGC_allocated).
 *
 * Limitations. A guest that holds an MFN of its own outside its list (in a register
 * or a variable, across the pause) finds it stale: its next hypercall naming it is
 * refused (the frame is no longer its). The pfn->mfn list is found only for guests
 * whose start_info has hvlab's layout (START_INFO_MAGIC, at a pfn below 8192). Each batch's two passes read every validated table of d:
 * a domain with many page tables pays that per 64 frames. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/grant_table.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/mm_migrate.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/pv_mm.h>
#include <public/grant_table.h>

#include "pv_mm_priv.h"

#define LIST_MAX_PAGES 256              /* a list of 128 Ki pfns: 512 MiB domains */
#define START_INFO_SCAN 8192            /* pfns searched for start_info */

/* The guest's pfn->mfn list: its frames (d's writable data frames), kept current as
 * they move. Static: domctl_lock serializes every move. */
static struct pv_list {
    domid_t domid;                      /* whose (found by migrate_pv_find_list) */
    uint64_t nr;                        /* entries */
    unsigned npages;
    mfn_t page[LIST_MAX_PAGES];
    mfn_t keep[2];                      /* start_info and store page: never moved */
} list;

/* d's validated page-table frames, found once per move and kept current as they move:
 * the passes read these instead of walking every frame of d. Only this mover changes
 * d's tables while d is paused (its vCPUs make every page-table operation of d). */
#define TABLES_MAX 4096
static struct pv_tables {
    bool valid;                         /* false: more than TABLES_MAX; walk page_list */
    unsigned n;
    mfn_t mfn[TABLES_MAX];
} tabs;

struct pv_batch {
    unsigned n;
    struct page_info *old[MIGRATE_BATCH], *new[MIGRATE_BATCH];
    uint32_t refs[MIGRATE_BATCH], trefs[MIGRATE_BATCH];
    bool named[MIGRATE_BATCH];          /* in d's grant table */
    bool moved[MIGRATE_BATCH];
    struct migrate_map map;
};

static bool is_table(uint32_t x)
{
    return type_is_pt(x) && (x & PGT_validated);
}

/* The frame d maps at va under its L4 l4 (page_lock held): a frame of d's that is no
 * page table, or NULL. */
static struct page_info *va_frame(struct domain *d, mfn_t l4, uint64_t va)
{
    mfn_t m = l4;

    for (unsigned level = 4; level >= 1; level--) {
        struct page_info *pg;
        uint64_t e;

        if (m >= max_mfn || (pg = mfn_to_page(m))->owner != d)
            return NULL;
        if (!is_table(pg->type_info) || type_level(pg->type_info) != level)
            return NULL;
        e = ((const uint64_t *)page_to_virt(pg))[(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511];
        if (!(e & PTE_P))
            return NULL;
        m = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
    }
    if (m >= max_mfn)
        return NULL;
    struct page_info *pg = mfn_to_page(m);
    if (pg->owner != d || !(pg->count_info & PGC_allocated) ||
        (is_table(pg->type_info) || (pg->type_info & PGT_type_mask) == PGT_l1))
        return NULL;
    return pg;
}

/* The guest's start_info (checked: magic, domid, virt_base) and from it its list. */
int migrate_pv_find_list(struct domain *d)
{
    mfn_t l4 = d->vcpus && d->vcpus[0] ? d->vcpus[0]->arch.guest_l4_mfn : 0;
    unsigned long flags;
    int rc = -ENOENT;

    memset(&list, 0, sizeof(list));
    list.domid = DOMID_INVALID;
    if (!l4)
        return -ENOENT;
    spin_lock_irqsave(&d->page_lock, flags);
    for (uint64_t pfn = 0; pfn < START_INFO_SCAN && pfn < d->tot_pages && rc; pfn++) {
        struct page_info *pg = va_frame(d, l4, GUEST_VIRT_BASE + (pfn << PAGE_SHIFT));
        const struct start_info *si = pg ? page_to_virt(pg) : NULL;

        if (!si || memcmp(si->magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC)) ||
            si->domid != d->domain_id || si->virt_base != GUEST_VIRT_BASE ||
            (si->mfn_list & ~PAGE_MASK) || si->nr_pages > LIST_MAX_PAGES * (PAGE_SIZE / 8))
            continue;
        list.nr = si->nr_pages;
        list.npages = (unsigned)((si->nr_pages * 8 + PAGE_SIZE - 1) / PAGE_SIZE);
        list.keep[0] = page_to_mfn(pg);
        list.keep[1] = si->store_mfn;
        rc = 0;
        for (unsigned i = 0; i < list.npages && rc == 0; i++) {
            struct page_info *lp = va_frame(d, l4, si->mfn_list + i * PAGE_SIZE);

            if (!lp)
                rc = -ENOENT;
            else
                list.page[i] = page_to_mfn(lp);
        }
    }
    if (rc == 0)
        list.domid = d->domain_id;
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

/* Up to MIGRATE_BATCH frames outside S after *cursor (NULL: from the start), under
 * page_lock; *cursor becomes the last frame looked at. */
static void gather(struct migrate_run *run, struct pv_batch *b, struct page_info **cursor,
                   bool *end)
{
    struct domain *d = run->d;
    struct list_head *p = *cursor ? (*cursor)->list.next : d->page_list.next;

    b->n = 0;
    for (; p != &d->page_list && b->n < MIGRATE_BATCH; p = p->next) {
        struct page_info *pg = list_entry(p, struct page_info, list);
        mfn_t m = page_to_mfn(pg);

        *cursor = pg;
        if (migrate_on_set(run, pg))
            continue;
        if (m == list.keep[0] || m == list.keep[1]) {
            run->held++;
            continue;
        }
        b->old[b->n++] = pg;
    }
    *end = p == &d->page_list;
}

typedef void (*table_fn)(struct page_info *pg, unsigned level, struct pv_batch *b);

/* fn on every validated table of d (page_lock held). */
static void each_table(struct domain *d, struct pv_batch *b, table_fn fn)
{
    struct list_head *p;

    if (tabs.valid) {
        for (unsigned i = 0; i < tabs.n; i++) {
            struct page_info *pg = mfn_to_page(tabs.mfn[i]);

            if (pg->owner == d && is_table(pg->type_info))
                fn(pg, type_level(pg->type_info), b);
        }
        return;
    }
    list_for_each(p, &d->page_list) {
        struct page_info *pg = list_entry(p, struct page_info, list);

        if (is_table(pg->type_info))
            fn(pg, type_level(pg->type_info), b);
    }
}

static void index_tables(struct domain *d)
{
    unsigned long flags;
    struct list_head *p;

    tabs.n = 0;
    tabs.valid = true;
    spin_lock_irqsave(&d->page_lock, flags);
    list_for_each(p, &d->page_list) {
        struct page_info *pg = list_entry(p, struct page_info, list);

        if (!is_table(pg->type_info))
            continue;
        if (tabs.n == TABLES_MAX) {
            tabs.valid = false;
            break;
        }
        tabs.mfn[tabs.n++] = page_to_mfn(pg);
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
}

static void count_table(struct page_info *pg, unsigned level, struct pv_batch *b)
{
    const uint64_t *t = page_to_virt(pg);

    for (unsigned i = 0; i < (level == 4 ? L4_GUEST_SLOTS : PT_ENTRIES); i++) {
        uint64_t e = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
        int k;

        if (!(e & PTE_P) || (k = migrate_map_find(&b->map, (e & PTE_ADDR_MASK) >> PAGE_SHIFT)) < 0)
            continue;
        b->refs[k]++;
        if (level > 1 || (e & PTE_W))
            b->trefs[k]++;
    }
}

static void rewrite_table(struct page_info *pg, unsigned level, struct pv_batch *b)
{
    uint64_t *t = page_to_virt(pg);

    for (unsigned i = 0; i < (level == 4 ? L4_GUEST_SLOTS : PT_ENTRIES); i++) {
        uint64_t e = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
        int k;

        if (!(e & PTE_P) || (k = migrate_map_find(&b->map, (e & PTE_ADDR_MASK) >> PAGE_SHIFT)) < 0 ||
            !b->moved[k])
            continue;
        __atomic_store_n(&t[i], (e & ~PTE_ADDR_MASK) | page_to_paddr(b->new[k]), __ATOMIC_RELAXED);
    }
}

/* Pass 1: the references d's own tables, pins and bases hold on the batch's frames;
 * and which frames d's grant table names. */
static void count_refs(struct domain *d, struct pv_batch *b)
{
    struct vcpu *v;

    each_table(d, b, count_table);
    for (unsigned k = 0; k < b->n; k++)
        if (b->new[k] && (b->old[k]->type_info & PGT_pinned)) {
            b->refs[k]++;
            b->trefs[k]++;
        }
    for_each_vcpu(d, v) {
        int k = migrate_map_find(&b->map, v->arch.guest_l4_mfn);

        if (v->arch.guest_l4_mfn && k >= 0) {
            b->refs[k]++;
            b->trefs[k]++;
        }
    }
    for (unsigned f = 0; f < gnttab_nr_frames(d); f++) {
        const struct grant_entry *g = page_to_virt(mfn_to_page(gnttab_frame_mfn(d, f)));

        for (unsigned i = 0; i < GNTTAB_ENTRIES_PER_FRAME; i++) {
            int k;

            if ((g[i].flags & GTF_type_mask) == GTF_permit_access &&
                (k = migrate_map_find(&b->map, g[i].frame)) >= 0)
                b->named[k] = true;
        }
    }
}

/* Step 2 for frame k: frozen, copied, counts and type to the new frame. */
static bool move_frame(struct pv_batch *b, unsigned k)
{
    struct page_info *old = b->old[k], *new = b->new[k];
    uint32_t x = old->type_info, c = PGC_allocated | b->refs[k];
    uint32_t t = x & PGT_type_mask;

    if (b->named[k] || (x & PGT_count_mask) != b->trefs[k] ||
        (t >= PGT_l1 && t <= PGT_l4 && !(x & PGT_validated)) ||
        (t == PGT_none && b->trefs[k]))
        return false;
    if (!__atomic_compare_exchange_n(&old->count_info, &c, b->refs[k], false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return false;                   /* references d does not hold */
    memcpy(page_to_virt(new), page_to_virt(old), PAGE_SIZE);
    new->type_info = x;
    __atomic_store_n(&new->count_info, PGC_allocated | b->refs[k], __ATOMIC_RELEASE);
    old->type_info = 0;
    return true;
}

/* Pass 2 and the other references: d's tables, bases and list name the new frames. */
static void rewrite_refs(struct domain *d, struct pv_batch *b)
{
    struct vcpu *v;
    int k;

    for (unsigned i = 0; tabs.valid && i < tabs.n; i++)
        if ((k = migrate_map_find(&b->map, tabs.mfn[i])) >= 0 && b->moved[k])
            tabs.mfn[i] = page_to_mfn(b->new[k]);
    each_table(d, b, rewrite_table);
    for_each_vcpu(d, v)
        if (v->arch.guest_l4_mfn && (k = migrate_map_find(&b->map, v->arch.guest_l4_mfn)) >= 0 &&
            b->moved[k])
            v->arch.guest_l4_mfn = page_to_mfn(b->new[k]);
    for (unsigned i = 0; i < list.npages; i++)
        if ((k = migrate_map_find(&b->map, list.page[i])) >= 0 && b->moved[k])
            list.page[i] = page_to_mfn(b->new[k]);
    for (unsigned i = 0; i < list.npages; i++) {
        uint64_t *l = page_to_virt(mfn_to_page(list.page[i]));
        uint64_t n = MIN((uint64_t)PAGE_SIZE / 8, list.nr - (uint64_t)i * (PAGE_SIZE / 8));

        for (uint64_t j = 0; j < n; j++)
            if ((k = migrate_map_find(&b->map, l[j])) >= 0 && b->moved[k])
                l[j] = page_to_mfn(b->new[k]);
    }
}

static int run_batch(struct migrate_run *run, struct pv_batch *b, struct page_info **cursor)
{
    struct domain *d = run->d;
    struct page_info *gone[MIGRATE_BATCH];
    struct migrate_groups g;
    unsigned have = 0, ngone = 0;
    unsigned long flags;

    migrate_room(run, b->n);
    for (; have < b->n; have++)
        if (!(b->new[have] = migrate_new_frame(run, page_to_mfn(b->old[have]))))
            break;
    migrate_map_init(&b->map);
    for (unsigned k = 0; k < b->n; k++) {
        b->refs[k] = b->trefs[k] = 0;
        b->named[k] = b->moved[k] = false;
        if (k < have)
            migrate_map_add(&b->map, page_to_mfn(b->old[k]), page_to_mfn(b->new[k]), k);
        else
            b->new[k] = NULL;
    }
    migrate_groups_init(&g);
    spin_lock_irqsave(&d->page_lock, flags);
    count_refs(d, b);
    for (unsigned k = 0; k < have; k++)
        b->moved[k] = move_frame(b, k);
    rewrite_refs(d, b);
    for (unsigned k = 0; k < have; k++) {
        struct page_info *old = b->old[k];

        if (!b->moved[k]) {
            run->held++;
            continue;
        }
        migrate_list_swap(old, b->new[k]);
        if (*cursor == old)
            *cursor = b->new[k];
        __atomic_store_n(&old->count_info, PGC_allocated, __ATOMIC_RELEASE);
        if (domain_take_frame_locked(d, old) < 0) {
            /* A foreign get_page in the instant it was allocated again: d keeps it,
             * unmapped (freed with d). */
            pr_warn("domain %u: mfn %#lx moved but still referenced: kept\n", d->domain_id,
                    (unsigned long)page_to_mfn(old));
        } else {
            gone[ngone++] = old;
        }
        migrate_groups_add(&g, old->node, b->new[k]->node);
        b->new[k] = NULL;
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    gnttab_flush_tlbs(d);               /* every pCPU that may hold d's translations */
    for (unsigned i = 0; i < ngone; i++)
        free_frames(gone[i], 0);
    for (unsigned k = 0; k < have; k++)
        if (b->new[k])
            domain_free_frame(d, b->new[k]);
    migrate_room(run, 0);
    run->moved += ngone;
    migrate_batch_done(run, &g);
    return have < b->n ? -ENOMEM : 0;
}

int migrate_pv(struct migrate_run *run)
{
    struct domain *d = run->d;
    struct page_info *cursor = NULL;
    static struct pv_batch b;           /* domctl_lock: one move at a time */
    unsigned long flags;
    unsigned restarts = 0;
    bool end = false;
    int rc;

    if (list.domid != d->domain_id || !list.npages)
        return -ENOENT;                 /* migrate_pv_find_list first */
    index_tables(d);
    while (!end) {
        spin_lock_irqsave(&d->page_lock, flags);
        if (cursor && (cursor->owner != d || !(cursor->count_info & PGC_allocated))) {
            cursor = NULL;              /* freed meanwhile: from the start again */
            restarts++;
        }
        if (restarts > 2) {
            spin_unlock_irqrestore(&d->page_lock, flags);
            return -EAGAIN;
        }
        gather(run, &b, &cursor, &end);
        spin_unlock_irqrestore(&d->page_lock, flags);
        if (b.n && (rc = run_batch(run, &b, &cursor)) < 0)
            return rc;
    }
    if (run->check) {
        char why[160];
        bool ok = pv_check_invariants(d, why, sizeof(why));

        pr_info("domain %u (%s): references after the move: %s\n", d->domain_id, d->name,
                ok ? "every count right" : why);
        return ok ? 0 : -EIO;
    }
    return 0;
}
