/* The PV invariant checker (debug and tests): recomputes every reference and type
 * count of a domain's frames from all domains' page tables, pins and bases, and says
 * what disagrees. O(machine frames); mm/pv_mm.c's rules are what it checks. */
#include <hvlab/domain.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/pv_mm.h>

#include "pv_mm_priv.h"

struct expect {
    mfn_t mfn;
    uint32_t refs, trefs, type;         /* recomputed counts and type */
};

struct check {
    struct domain *d;
    struct expect *e;
    size_t n, cap;
    char *why;
    size_t len;
    bool ok;
};

static __printf(2, 3) void check_fail(struct check *c, const char *fmt, ...)
{
    va_list ap;

    if (!c->ok)
        return;                         /* keep the first reason */
    c->ok = false;
    if (c->why && c->len) {
        va_start(ap, fmt);
        fmt_vsnprintf(c->why, c->len, fmt, ap);
        va_end(ap);
    }
}

static struct expect *check_find(struct check *c, mfn_t mfn)
{
    size_t lo = 0, hi = c->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (c->e[mid].mfn == mfn)
            return &c->e[mid];
        if (c->e[mid].mfn < mfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* One expected reference, with a type reference of `type` unless it is 0. */
static void check_ref(struct check *c, struct expect *ex, uint32_t type)
{
    ex->refs++;
    if (!type)
        return;
    if (ex->trefs && ex->type != type)
        check_fail(c, "mfn %#lx used as type %u and type %u", (unsigned long)ex->mfn,
                   ex->type >> PGT_type_shift, type >> PGT_type_shift);
    ex->type = type;
    ex->trefs++;
}

static const uint64_t zero_slots[PT_ENTRIES - L4_GUEST_SLOTS];

/* The references validated table pg (of any domain) holds on d's frames: those of
 * its entries [0, nr) (a partial table's pt_done). */
static void check_table(struct check *c, struct page_info *pg, unsigned level, unsigned nr)
{
    const uint64_t *t = page_to_virt(pg);
    struct domain *o = page_owner(pg);
    bool mine = o == c->d, partial = type_is_partial(pg->type_info);

    if (mine && level == 4 &&
        memcmp(&t[L4_GUEST_SLOTS], partial ? zero_slots : &hv_l4_template[L4_GUEST_SLOTS],
               (PT_ENTRIES - L4_GUEST_SLOTS) * sizeof(*t)))
        check_fail(c, "L4 %#lx: hypervisor slots differ from the %s",
                   (unsigned long)page_to_mfn(pg), partial ? "zeros of a partial L4" : "template");
    if (nr > table_slots(level))
        check_fail(c, "L%u %#lx: pt_done %u", level, (unsigned long)page_to_mfn(pg), nr);
    for (unsigned i = 0; i < nr && i < table_slots(level); i++) {
        uint64_t e = read_entry(t, i);
        struct expect *ex;

        if (!(e & PTE_P))
            continue;
        if (check_entry(e)) {
            if (mine)
                check_fail(c, "L%u %#lx slot %u: bad entry %#llx", level,
                           (unsigned long)page_to_mfn(pg), i, (unsigned long long)e);
            continue;
        }
        ex = check_find(c, pte_mfn(e));
        /* A privileged L1 may map any domain's frames, also orphans of dead ones. */
        if (mine && !ex && (level > 1 || !o->is_privileged ||
                            !mfn_to_page(pte_mfn(e))->count_info))
            check_fail(c, "L%u %#lx slot %u: maps mfn %#lx, not a frame of the domain",
                       level, (unsigned long)page_to_mfn(pg), i, (unsigned long)pte_mfn(e));
        if (!ex)
            continue;
        if (!mine && (level > 1 || !o || !o->is_privileged))
            check_fail(c, "foreign L%u %#lx maps mfn %#lx", level,
                       (unsigned long)page_to_mfn(pg), (unsigned long)ex->mfn);
        if (level > 1)
            check_ref(c, ex, PGT_ln(level - 1));
        else
            check_ref(c, ex, (e & PTE_W) ? PGT_writable : 0);
    }
}

static void check_frame(struct check *c, const struct expect *ex)
{
    const struct page_info *pg = mfn_to_page(ex->mfn);
    uint32_t x = pg->type_info;
    unsigned long m = (unsigned long)ex->mfn;

    if (page_refcount(pg) != ex->refs)
        check_fail(c, "mfn %#lx: %u references, expected %u", m, page_refcount(pg), ex->refs);
    else if ((x & PGT_count_mask) != ex->trefs)
        check_fail(c, "mfn %#lx: type count %u, expected %u", m, x & PGT_count_mask, ex->trefs);
    else if (!ex->trefs && x)
        check_fail(c, "mfn %#lx: type_info %#x without type references", m, x);
    else if (ex->trefs && (x & PGT_type_mask) != ex->type)
        check_fail(c, "mfn %#lx: type %u, expected %u", m, x >> PGT_type_shift,
                   ex->type >> PGT_type_shift);
    else if (ex->trefs && !type_is_pt(x) && (x & PGT_validated))
        check_fail(c, "mfn %#lx: type_info %#x, validated bit wrong", m, x);
}

/* d's frames are those on its page list, plus its shared info page, which d owns
 * (so that it may map it) outside its reservation (domain_share_frame). */
static void check_accounting(struct check *c)
{
    unsigned long n = 0, per_node[MAX_NUMNODES] = { 0 };
    struct page_info *si = c->d->shared_info ? virt_to_page(c->d->shared_info) : NULL;
    struct list_head *p;

    list_for_each(p, &c->d->page_list) {
        struct page_info *pg = list_entry(p, struct page_info, list);

        if (!owned_by(pg, c->d))
            check_fail(c, "mfn %#lx on the page list, not owned", (unsigned long)page_to_mfn(pg));
        if (pg == si)
            si = NULL;
        n++;
        per_node[pg->node]++;
    }
    if (n != c->d->tot_pages || n + (si && owned_by(si, c->d)) != c->n)
        check_fail(c, "tot_pages %lu, page list %lu, owned frames %lu", c->d->tot_pages, n,
                   (unsigned long)c->n);
    for (unsigned i = 0; i < MAX_NUMNODES; i++)
        if (per_node[i] != c->d->node_pages[i])
            check_fail(c, "node %u: %lu pages, node_pages %lu", i, per_node[i],
                       c->d->node_pages[i]);
}

static void check_run(struct check *c)
{
    struct vcpu *v;

    for (mfn_t m = 0; m < max_mfn; m++) {
        struct page_info *pg = mfn_to_page(m);
        uint32_t x = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED);

        if (owned_by(pg, c->d) && c->n == c->cap)
            check_fail(c, "more owned frames than tot_pages %lu", c->d->tot_pages);
        else if (owned_by(pg, c->d))
            c->e[c->n++].mfn = m;       /* ascending: check_find can bisect */
        else if (type_is_pt(x) && page_owner(pg) == c->d)
            check_fail(c, "mfn %#lx: table of the domain, not allocated", (unsigned long)m);
    }
    check_accounting(c);
    for (mfn_t m = 0; m < max_mfn; m++) {
        uint32_t x = __atomic_load_n(&mfn_to_page(m)->type_info, __ATOMIC_RELAXED);

        if (type_is_pt(x) && (x & PGT_validated))
            check_table(c, mfn_to_page(m), type_level(x), table_slots(type_level(x)));
        else if (type_is_partial(x))
            check_table(c, mfn_to_page(m), type_level(x), mfn_to_page(m)->pt_done);
    }
    /* A partial table's one type reference is the operation's in progress (the
     * parent entry, pin or base being taken or dropped), not counted elsewhere. */
    for (size_t i = 0; i < c->n; i++) {
        uint32_t x = mfn_to_page(c->e[i].mfn)->type_info;

        if (type_is_partial(x))
            check_ref(c, &c->e[i], x & PGT_type_mask);
    }
    if (c->d->shared_info) {            /* the hypervisor's hold on it */
        struct expect *ex = check_find(c, page_to_mfn(virt_to_page(c->d->shared_info)));

        if (ex)
            check_ref(c, ex, PGT_writable);
    }
    for (size_t i = 0; i < c->n; i++) {
        uint32_t x = mfn_to_page(c->e[i].mfn)->type_info;

        if (!(x & PGT_pinned))
            continue;
        if (!type_is_pt(x))
            check_fail(c, "mfn %#lx: pinned but type_info %#x", (unsigned long)c->e[i].mfn, x);
        check_ref(c, &c->e[i], x & PGT_type_mask);
    }
    if (c->d->vcpus) {
        for_each_vcpu(c->d, v) {
            struct expect *ex = check_find(c, v->arch.guest_l4_mfn);

            if (v->arch.guest_l4_mfn && !ex)
                check_fail(c, "vcpu %u: base %#lx not the domain's", v->vcpu_id,
                           (unsigned long)v->arch.guest_l4_mfn);
            else if (ex && !type_is_partial(mfn_to_page(ex->mfn)->type_info))
                check_ref(c, ex, PGT_l4);       /* a partial one: counted above */
        }
    }
    for (size_t i = 0; i < c->n; i++)
        check_frame(c, &c->e[i]);
}

bool pv_check_invariants(struct domain *d, char *why, size_t len)
{
    struct check c = { .d = d, .why = why, .len = len, .ok = true };
    size_t bytes;
    unsigned order = 0;
    unsigned long flags;

    if (why && len)
        why[0] = '\0';
    spin_lock_irqsave(&d->page_lock, flags);
    c.cap = d->tot_pages + 2;          /* + the shared info page, + one to see excess */
    bytes = c.cap * sizeof(struct expect);
    while ((PAGE_SIZE << order) < bytes && order < MAX_ORDER)
        order++;
    c.e = alloc_heap_pages(order, NUMA_NO_NODE, MEMF_ZERO);
    if (!c.e || (PAGE_SIZE << order) < bytes)
        check_fail(&c, "no memory for the check");
    else
        check_run(&c);
    free_heap_pages(c.e, order);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return c.ok;
}
