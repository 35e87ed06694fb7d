/* The memory mover for HVM domains: a gfn keeps its place, only the frame behind it
 * changes, so nothing the guest knows changes (docs/memory-policies.md, "Moving
 * memory").
 *
 * Design. The gfns of d's RAM, [0, max_pages) (core/arch/x86/svm/hvm_populate.c), in
 * order; a gfn whose frame is d's and lies outside S is a candidate. A gfn under a
 * 2 MiB leaf is mapped again 4 KiB to the same frame first (p2m_map splits the leaf:
 * the step that may need a table frame, done before anything changes). A batch of at
 * most MIGRATE_BATCH candidates gets its new frames from d's policy, then under
 * page_lock, for each gfn still mapping the same frame: the entry goes, the old frame
 * leaves d (domain_take_frame_locked: an atomic "allocated, no references -> 0", so a
 * frame someone maps or has granted, a device model's mapping, the shared info page,
 * is refused and put back: `held`), its 4 KiB are copied to the new frame, the gfn is
 * mapped to it with the same rights, and the new frame takes the old one's place in
 * d's page list. Then every vCPU's guest TLB (ASID) is dropped and running vCPUs are
 * made to exit (gnttab_flush_tlbs), and only then are the old frames freed.
 *
 * Locking. As mm/migrate.c; the nested table changes under page_lock, as everywhere.
 *
 * Limitations. gfns above max_pages (a balloon's repopulation may place some there)
 * are not visited and count in `left`. A moved 2 MiB region stays mapped 4 KiB. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/grant_table.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/mm_migrate.h>
#include <hvlab/p2m.h>
#include <hvlab/panic.h>
#include <hvlab/pv_mm.h>

struct hvm_batch {
    unsigned n;
    uint64_t gfn[MIGRATE_BATCH];
    mfn_t old[MIGRATE_BATCH];
    struct page_info *new[MIGRATE_BATCH];
};

/* The hypervisor's frames d maps (shared info, grant table): outside its reservation,
 * never moved, not counted. */
static bool shared_frame(struct domain *d, mfn_t mfn)
{
    if (d->shared_info && mfn == page_to_mfn(virt_to_page(d->shared_info)))
        return true;
    for (unsigned f = 0; f < gnttab_nr_frames(d); f++)
        if (mfn == gnttab_frame_mfn(d, f))
            return true;
    return false;
}

/* Whether gfn is a candidate (d's frame outside S, nobody else's reference seen), its
 * frame in *mfn; a 2 MiB leaf is split first. -ENOMEM: no frame for the split. */
static int candidate(struct migrate_run *run, uint64_t gfn, mfn_t *mfn, bool *held)
{
    struct domain *d = run->d;
    unsigned long flags;
    unsigned pflags, order;
    struct page_info *pg;
    int rc = 0;

    *held = false;
    spin_lock_irqsave(&d->page_lock, flags);
    if (p2m_lookup(&d->p2m, gfn, mfn, &pflags, &order) < 0 || *mfn >= max_mfn) {
        spin_unlock_irqrestore(&d->page_lock, flags);
        return 0;
    }
    pg = mfn_to_page(*mfn);
    if (pg->owner != d || migrate_on_set(run, pg) || shared_frame(d, *mfn)) {
        spin_unlock_irqrestore(&d->page_lock, flags);
        return 0;                       /* another's frame (a grant mapping), one on S,
                                           or the hypervisor's */
    }
    if (__atomic_load_n(&pg->count_info, __ATOMIC_RELAXED) != PGC_allocated) {
        *held = true;
        spin_unlock_irqrestore(&d->page_lock, flags);
        return 0;
    }
    if (order != P2M_ORDER_4K)
        rc = p2m_map(&d->p2m, gfn, *mfn, P2M_ORDER_4K, pflags);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc < 0 ? rc : 1;
}

/* One gfn of the batch switched to its new frame (page_lock held): true if moved. */
static bool switch_gfn(struct migrate_run *run, uint64_t gfn, mfn_t old, struct page_info *new)
{
    struct domain *d = run->d;
    struct page_info *pg = mfn_to_page(old);
    unsigned pflags;
    mfn_t now;

    if (p2m_lookup(&d->p2m, gfn, &now, &pflags, NULL) < 0 || now != old)
        return false;                   /* changed since the batch was gathered */
    if (p2m_unmap(&d->p2m, gfn, P2M_ORDER_4K) < 0)
        return false;
    migrate_list_swap(pg, new);
    if (domain_take_frame_locked(d, pg) < 0) {
        /* Someone took a reference since: leave it. The 4 KiB table is there already,
         * so mapping it back cannot fail. */
        list_del(&new->list);
        list_add_tail(&new->list, &d->page_list);
        int back = p2m_map(&d->p2m, gfn, old, P2M_ORDER_4K, pflags);
        ASSERT(back == 0);
        (void)back;
        run->held++;
        return false;
    }
    memcpy(page_to_virt(new), page_to_virt(pg), PAGE_SIZE);
    int rc = p2m_map(&d->p2m, gfn, page_to_mfn(new), P2M_ORDER_4K, pflags);
    ASSERT(rc == 0);
    (void)rc;
    return true;
}

static int run_batch(struct migrate_run *run, struct hvm_batch *b)
{
    struct domain *d = run->d;
    struct page_info *gone[MIGRATE_BATCH];
    struct migrate_groups g;
    unsigned have = 0, ngone = 0, want = b->n;
    unsigned long flags;

    migrate_room(run, b->n);
    for (; have < b->n; have++)
        if (!(b->new[have] = migrate_new_frame(run, b->gfn[have])))
            break;
    migrate_groups_init(&g);
    spin_lock_irqsave(&d->page_lock, flags);
    for (unsigned i = 0; i < have; i++) {
        struct page_info *old = mfn_to_page(b->old[i]);

        if (!switch_gfn(run, b->gfn[i], b->old[i], b->new[i]))
            continue;
        migrate_groups_add(&g, old->node, b->new[i]->node);
        gone[ngone++] = old;
        b->new[i] = NULL;
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    gnttab_flush_tlbs(d);               /* no vCPU may still reach an old frame */
    for (unsigned i = 0; i < ngone; i++)
        free_frames(gone[i], 0);
    for (unsigned i = 0; i < have; i++)
        if (b->new[i])
            domain_free_unmapped_frame(d, b->new[i]);
    migrate_room(run, 0);
    run->moved += ngone;
    migrate_batch_done(run, &g);
    b->n = 0;
    return have < want ? -ENOMEM : 0;
}

int migrate_hvm(struct migrate_run *run)
{
    struct hvm_batch b = { .n = 0 };
    uint64_t end = run->d->max_pages;
    int rc = 0;

    for (uint64_t gfn = 0; gfn < end && rc == 0; gfn++) {
        bool held;
        mfn_t mfn;
        int c = candidate(run, gfn, &mfn, &held);

        run->held += held;
        if (c < 0) {
            rc = c;
            break;
        }
        if (c == 0)
            continue;
        b.gfn[b.n] = gfn;
        b.old[b.n++] = mfn;
        if (b.n == MIGRATE_BATCH)
            rc = run_batch(run, &b);
    }
    if (rc == 0 && b.n)
        rc = run_batch(run, &b);
    return rc;
}
