/* Domain memory: frames move between the page allocator and a domain only here, so a
 * domain's accounting (tot_pages, node_pages, page_list) is always right.
 *
 * Design. A frame given to d gets owner = d and count_info = PGC_allocated (no
 * references yet; see <hvlab/pv_mm.h>), and goes on d->page_list. It goes back to the
 * allocator when d frees it with no reference left, or when d is destroyed:
 * domain_relinquish_memory() first drops everything d's own page tables, pins and vCPU
 * bases hold (pv_relinquish_frame_refs, then pv_relinquish_frame_type on every frame),
 * then frees every frame nobody else references. Each of these three passes runs in
 * batches of about RELINQUISH_BUDGET cheap frame steps under page_lock, with the lock
 * dropped and a preemption point (core/hypercall.c) between batches: tearing down a
 * big domain took ~1 ms per 8 MiB with interrupts off and held the dom0 vCPU's slice
 * end that long (issue 9). A pass keeps its place by moving each frame it has seen to
 * a list of its own and splicing it back at the end; another CPU that frees one of
 * d's frames meanwhile (dom0's decrease_reservation with a reference taken before d
 * died) takes it off whichever list it is on, under page_lock. A foreign reference
 * taken meanwhile is the orphan case below.
 * A frame still referenced from another domain's page tables (a privileged domain's
 * foreign mapping) becomes an orphan: no owner, no PGC_allocated, on the global orphan
 * list; the put_page() that drops its last reference frees it. So every frame returns
 * to the allocator, the last ones when the foreign mappings go.
 *
 * Locking. d->page_lock (irqsave) guards d's page_list (and, while d is dying, the
 * teardown pass's list of frames already seen), tot_pages, node_pages, max_pages and
 * the owner of d's frames, and serializes d's page-table operations (mm/pv_mm.c).
 * orphan_lock (irqsave) guards the orphan list. Order: page_lock -> orphan_lock ->
 * zone locks. An orphan is put on the list before it loses PGC_allocated, under
 * orphan_lock, so the put_page that frees it always finds it there. While a teardown
 * pass runs, page_list holds only the frames the pass has not seen yet: nothing walks
 * a dying domain's list but the teardown (it is off the domain list, so no domctl
 * finds it).
 *
 * Placement. Which node a frame comes from is the domain's memory policy's choice
 * (<hvlab/mm_policy.h>), asked under page_lock for every frame.
 *
 * Limitations. Order-0 frames only. A teardown must run to its end on one caller (its
 * passes are not re-entrant: a second destroy of d fails in domain_unlist first).
 */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/hypercall.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/mm_policy.h>
#include <hvlab/panic.h>
#include <hvlab/pv_mm.h>

static spinlock_t orphan_lock = SPIN_LOCK_UNLOCKED;
static struct list_head orphan_list = LIST_HEAD_INIT(orphan_list);
static unsigned long nr_orphans;

/* The policy chooses the nodes (mm/policy.c); each is tried strictly, in its order. */
struct page_info *domain_alloc_frame_for(struct domain *d, const struct mm_request *r,
                                         unsigned memflags)
{
    struct page_info *pg = NULL;
    struct mm_choice c = { .nr = 0 };
    unsigned long flags;

    spin_lock_irqsave(&d->page_lock, flags);
    if (d->tot_pages < d->max_pages) {
        mm_policy_choose(d, r, &c);
        for (unsigned i = 0; i < c.nr && !pg; i++)
            pg = alloc_frames(0, c.node[i], memflags | MEMF_EXACT_NODE);
        mm_policy_done(d, r, &c, pg ? pg->node : NUMA_NO_NODE);
    }
    if (pg) {
        pg->owner = d;
        pg->type_info = 0;
        /* Release: whoever sees PGC_allocated sees the owner. */
        __atomic_store_n(&pg->count_info, PGC_allocated, __ATOMIC_RELEASE);
        list_add_tail(&pg->list, &d->page_list);
        d->tot_pages++;
        d->node_pages[pg->node]++;
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    return pg;
}

/* A populate request: node is the caller's (XENMEMF_node), a hint unless
 * MEMF_EXACT_NODE; the index is the frame's place in the domain. */
struct page_info *domain_alloc_frame(struct domain *d, unsigned node, unsigned memflags)
{
    struct mm_request r = {
        .reason = MM_REASON_POPULATE, .asked = node,
        .exact = node != NUMA_NO_NODE && (memflags & MEMF_EXACT_NODE),
        .toucher = mm_this_node(),
        .index = __atomic_load_n(&d->tot_pages, __ATOMIC_RELAXED),
    };

    return domain_alloc_frame_for(d, &r, memflags);
}

int domain_set_max_pages(struct domain *d, uint64_t max_pages)
{
    unsigned long flags;
    int rc = 0;

    /* More than the machine has can never be honoured; accepting it would only let
     * the domain's reservations drain every free frame its neighbours count on. */
    if (max_pages > frames_total_all())
        return -ENOMEM;
    spin_lock_irqsave(&d->page_lock, flags);
    if (max_pages < d->tot_pages)
        rc = -EINVAL;
    else
        d->max_pages = max_pages;
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

static void unaccount(struct domain *d, struct page_info *pg)
{
    list_del(&pg->list);
    ASSERT(d->tot_pages > 0 && d->node_pages[pg->node] > 0);
    d->tot_pages--;
    d->node_pages[pg->node]--;
}

/* Also HVM ballooning's (core/memop_hvm.c), once the gfn no longer maps pg. */
int domain_take_frame_locked(struct domain *d, struct page_info *pg)
{
    uint32_t unused = PGC_allocated;

    ASSERT(spin_is_locked(&d->page_lock));
    if (__atomic_load_n(&pg->owner, __ATOMIC_RELAXED) != d)
        return -EINVAL;
    /* Atomically "allocated, no references" -> 0: get_page can no longer succeed. */
    if (!__atomic_compare_exchange_n(&pg->count_info, &unused, 0, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return -EBUSY;
    ASSERT(pg->type_info == 0);         /* a type reference comes with a reference */
    unaccount(d, pg);
    pg->owner = NULL;
    return 0;
}

/* pg back to the allocator if d owns it and nobody references it; HVM frames only
 * when the caller has taken them out of d's nested table (allow_hvm). */
static int free_unreferenced(struct domain *d, struct page_info *pg, bool allow_hvm)
{
    unsigned long flags;
    int rc;

    spin_lock_irqsave(&d->page_lock, flags);
    if (d->is_hvm && !allow_hvm)        /* its nested table maps every frame it has */
        rc = __atomic_load_n(&pg->owner, __ATOMIC_RELAXED) != d ? -EINVAL : -EBUSY;
    else
        rc = domain_take_frame_locked(d, pg);
    spin_unlock_irqrestore(&d->page_lock, flags);
    if (rc == 0)
        free_frames(pg, 0);
    return rc;
}

int domain_free_frame(struct domain *d, struct page_info *pg)
{
    return free_unreferenced(d, pg, false);
}

int domain_free_unmapped_frame(struct domain *d, struct page_info *pg)
{
    return free_unreferenced(d, pg, true);
}

/* d is giving pg up: free it, or leave it to the last holder of a reference. */
static void release_frame(struct page_info *pg)
{
    unsigned long flags;
    uint32_t old;

    spin_lock_irqsave(&orphan_lock, flags);
    list_add_tail(&pg->list, &orphan_list);
    __atomic_store_n(&pg->owner, NULL, __ATOMIC_RELEASE);
    old = __atomic_fetch_and(&pg->count_info, ~PGC_allocated, __ATOMIC_ACQ_REL);
    if (old & PGC_count_mask)
        nr_orphans++;
    else
        list_del(&pg->list);
    spin_unlock_irqrestore(&orphan_lock, flags);
    if (!(old & PGC_count_mask))
        free_frames(pg, 0);
}

void domain_share_frame(struct page_info *pg, struct domain *d, bool writable)
{
    ASSERT(pg->count_info == 0 && pg->type_info == 0 && pg->owner == NULL);
    pg->owner = d;
    /* The hypervisor's hold: one general reference and one type reference that never
     * go while the frame is shared. A frame holds one type at a time (mm/pv_mm.c), so
     * this one can never become a page table, and a read-only share (PGT_none) can
     * never be mapped writable either. */
    pg->type_info = (writable ? PGT_writable : PGT_none) | 1;
    __atomic_store_n(&pg->count_info, PGC_allocated | 1, __ATOMIC_RELEASE);
}

void domain_unshare_frame(struct page_info *pg)
{
    /* Orphaned first (no new mappings from here on), then the hold goes: the frame
     * is freed now, or by the put_page of the last mapping still held elsewhere. */
    release_frame(pg);
    put_page_type(pg);
    put_page(pg);
}

void mm_orphan_release(struct page_info *pg)
{
    unsigned long flags;

    spin_lock_irqsave(&orphan_lock, flags);
    list_del(&pg->list);
    nr_orphans--;
    spin_unlock_irqrestore(&orphan_lock, flags);
    ASSERT(pg->type_info == 0 && pg->owner == NULL);
    free_frames(pg, 0);
}

unsigned long mm_orphan_frames(void)
{
    return __atomic_load_n(&nr_orphans, __ATOMIC_RELAXED);
}

/* Cost units of cheap frame steps (pv_relinquish_frame_*, one release) per batch of
 * a teardown pass: about 25-35 us of icount time between two preemption points. */
#define RELINQUISH_BUDGET HYPERCALL_PREEMPT_BATCH

typedef unsigned (*relinquish_step_fn)(struct domain *d, struct page_info *pg);

static unsigned step_refs(struct domain *d, struct page_info *pg)
{
    (void)d;
    return pv_relinquish_frame_refs(pg);
}

static unsigned step_type(struct domain *d, struct page_info *pg)
{
    (void)d;
    return pv_relinquish_frame_type(pg);
}

static unsigned step_release(struct domain *d, struct page_info *pg)
{
    unaccount(d, pg);                   /* off the pass's list too */
    release_frame(pg);
    return 1;
}

/* step on every frame of d, in batches under page_lock with a preemption point
 * between them (see the Design above for how the place is kept). */
static void relinquish_pass(struct domain *d, relinquish_step_fn step)
{
    struct list_head seen = LIST_HEAD_INIT(seen);
    unsigned long flags;
    bool more;

    do {
        unsigned cost = 0;

        spin_lock_irqsave(&d->page_lock, flags);
        while (cost < RELINQUISH_BUDGET && !list_empty(&d->page_list)) {
            struct page_info *pg = list_first_entry(&d->page_list, struct page_info, list);

            list_del(&pg->list);
            list_add_tail(&pg->list, &seen);
            cost += step(d, pg);
        }
        more = !list_empty(&d->page_list);
        if (!more)
            list_splice_tail_init(&seen, &d->page_list);
        spin_unlock_irqrestore(&d->page_lock, flags);
        if (more)
            hypercall_preempt();
    } while (more);
}

void domain_relinquish_memory(struct domain *d)
{
    unsigned long flags;

    spin_lock_irqsave(&d->page_lock, flags);
    d->max_pages = 0;                   /* nothing new from now on */
    spin_unlock_irqrestore(&d->page_lock, flags);
    relinquish_pass(d, step_refs);      /* every table's hold, before any type goes */
    relinquish_pass(d, step_type);
    relinquish_pass(d, step_release);
}
