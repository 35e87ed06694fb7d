/* HVM reservations: XENMEM_decrease_reservation and XENMEM_populate_physmap on an
 * HVM domain, whose extents are guest frame numbers (gfns), never machine frames
 * (the nested page table hides those; a balloon driver names the pages it gives).
 *
 * Design. decrease: for each gfn, under the domain's page_lock, the nested entry goes
 * first (a 2 MiB leaf is split), then the frame leaves the domain
 * (domain_take_frame_locked). A frame the domain may not give — the shared info page,
 * a grant-table frame, another domain's frame mapped by a grant, a frame someone else
 * still references — gets its entry back exactly as it was and ends the batch. The
 * frames of a batch are freed only after every vCPU of the domain has dropped its
 * cached translations (gnttab_flush_tlbs). populate: a new zeroed frame from the
 * domain's reservation (domain_alloc_frame_for, so max_pages holds; a vNUMA domain's
 * gfn on its vnode's node) mapped writable at a
 * gfn that maps nothing and lies in the RAM range below the device windows; a gfn
 * that is mapped already is refused (-EEXIST), never replaced.
 *
 * Locking. d->page_lock around each gfn's lookup, unmap and take, and around each
 * lookup and map: the same lock grants and hvm_op take for the nested table.
 *
 * Limitations. Order-0 extents only. As for grant unmaps, a vCPU running on another
 * pCPU is made to exit (IPI) but not waited for before the frame is freed; TCG
 * flushes the nested TLB at every exit, real hardware needs a synchronous flush. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/grant_table.h>
#include <hvlab/guest_access.h>
#include <hvlab/hypercall.h>
#include <hvlab/memop_hvm.h>
#include <hvlab/mm.h>
#include <hvlab/mm_policy.h>
#include <hvlab/p2m.h>
#include <hvlab/panic.h>
#include <hvlab/vnuma.h>
#include <public/memory.h>

#define HVM_RAM_GFN_END (3ULL << (30 - PAGE_SHIFT))     /* 3 GiB: below the windows */
#define BATCH 64                        /* frames freed per TLB flush */

/* gfn's frame out of d: 0 with it in *out, or -errno with nothing changed. */
static int take_gfn(struct domain *d, uint64_t gfn, struct page_info **out)
{
    unsigned long flags;
    unsigned pflags;
    mfn_t mfn;
    int rc;

    spin_lock_irqsave(&d->page_lock, flags);
    rc = p2m_lookup(&d->p2m, gfn, &mfn, &pflags, NULL);
    if (rc == 0 && mfn >= max_mfn)
        rc = -EINVAL;
    if (rc == 0)
        rc = p2m_unmap(&d->p2m, gfn, P2M_ORDER_4K);
    if (rc == 0 && (rc = domain_take_frame_locked(d, mfn_to_page(mfn))) < 0) {
        /* The split table exists now, so putting the entry back cannot fail. */
        int back = p2m_map(&d->p2m, gfn, mfn, P2M_ORDER_4K, pflags);
        ASSERT(back == 0);
        (void)back;
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    if (rc == 0)
        *out = mfn_to_page(mfn);
    return rc;
}

static void free_batch(struct domain *d, struct page_info **pg, unsigned n)
{
    if (!n)
        return;
    gnttab_flush_tlbs(d);               /* before any of them can be reused */
    for (unsigned i = 0; i < n; i++)
        free_frames(pg[i], 0);
}

/* Extent i of r: a RAM gfn of the guest's, or -EFAULT / -EINVAL. */
static int extent_gfn(const struct xen_memory_reservation *r, uint64_t i, uint64_t *gfn)
{
    if (copy_from_guest(gfn, r->extent_start + i * sizeof(*gfn), sizeof(*gfn)))
        return -EFAULT;
    return *gfn < HVM_RAM_GFN_END ? 0 : -EINVAL;
}

long memop_hvm_decrease(struct domain *d, const struct xen_memory_reservation *r)
{
    struct page_info *batch[BATCH];
    unsigned n = 0;
    uint64_t i;
    int rc = 0;

    for (i = 0; i < r->nr_extents; i++) {
        uint64_t gfn;

        if ((rc = extent_gfn(r, i, &gfn)) < 0)
            break;
        if ((rc = take_gfn(d, gfn, &batch[n])) < 0)
            break;
        if (++n == BATCH) {
            free_batch(d, batch, n);
            n = 0;
            hypercall_preempt();        /* nothing held: the batch is freed */
        }
    }
    free_batch(d, batch, n);
    return i ? (long)i : rc;
}

static bool gfn_mapped(struct domain *d, uint64_t gfn)
{
    unsigned long flags;
    mfn_t old;
    bool mapped;

    spin_lock_irqsave(&d->page_lock, flags);
    mapped = p2m_lookup(&d->p2m, gfn, &old, NULL, NULL) == 0;
    spin_unlock_irqrestore(&d->page_lock, flags);
    return mapped;
}

/* A new frame of d at gfn: 0, or -errno with nothing left behind. A mapped gfn is
 * refused before anything is allocated, and again under the lock that maps. */
static int populate_gfn(struct domain *d, uint64_t gfn, unsigned node, unsigned memflags)
{
    struct page_info *pg;
    unsigned long flags;
    mfn_t old;
    int rc;

    /* The policy's request for an HVM frame names its gfn; a vnode's gfn goes back on
     * its vnode's node, whatever node the guest asked for (docs/vnuma.md). */
    struct mm_request req = {
        .reason = MM_REASON_POPULATE, .asked = node,
        .exact = node != NUMA_NO_NODE && (memflags & MEMF_EXACT_NODE),
        .toucher = mm_this_node(), .index = gfn,
    };

    if (gfn_mapped(d, gfn))
        return -EEXIST;
    vnuma_pin_request(d, gfn, &req);
    if (!(pg = domain_alloc_frame_for(d, &req, memflags | MEMF_ZERO)))
        return -ENOMEM;
    spin_lock_irqsave(&d->page_lock, flags);
    if (p2m_lookup(&d->p2m, gfn, &old, NULL, NULL) == 0)
        rc = -EEXIST;                   /* replacing would lose that frame */
    else
        rc = p2m_map(&d->p2m, gfn, page_to_mfn(pg), P2M_ORDER_4K, P2M_WRITE);
    if (rc < 0) {
        int back = domain_take_frame_locked(d, pg);     /* never mapped: ours alone */
        ASSERT(back == 0);
        (void)back;
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    if (rc < 0)
        free_frames(pg, 0);
    return rc;
}

long memop_hvm_populate(struct domain *d, const struct xen_memory_reservation *r,
                        unsigned node, unsigned memflags)
{
    uint64_t i;
    int rc = 0;

    for (i = 0; i < r->nr_extents; i++) {
        uint64_t gfn;

        if ((rc = extent_gfn(r, i, &gfn)) < 0)
            break;
        if ((rc = populate_gfn(d, gfn, node, memflags)) < 0)
            break;
        if ((i + 1) % HYPERCALL_PREEMPT_BATCH == 0)
            hypercall_preempt();        /* each gfn is mapped and accounted */
    }
    return i ? (long)i : rc;
}
