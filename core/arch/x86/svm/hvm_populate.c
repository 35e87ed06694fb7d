/* An HVM domain's RAM: gfns [0, max_pages), allocated by the domain's memory policy
 * (include/hvlab/mm_policy.h) and mapped in its nested table.
 *
 * Design. Eager policies: at build (createdomain, and again when dom0 sets another
 * policy before the build) every gfn gets a frame in gfn order, so the i-th frame of
 * d's page list backs gfn i, as DOMCTL_getpageframeinfo reports; runs of 512
 * contiguous, aligned frames are mapped with 2 MiB leaves. Lazy policies (first-touch):
 * nothing at build; the nested page fault of a RAM gfn with no frame allocates one
 * (MM_REASON_NPF, on the node of the faulting vCPU's pCPU) and maps it 4 KiB; a
 * builder populates the gfns it writes with DOMCTL_hvm_populate, and
 * getpageframeinfo then lists frames by gfn (INVALID_MFN where none is yet).
 *
 * Preemption (issue 9). An eager build of 192 MiB took ~58 ms of icount time in one
 * domctl (each frame zeroed, then every gfn mapped under page_lock): the slice ends
 * of dom0's pCPU waited that long. The build reaches a preemption point
 * (core/hypercall.c) every HVM_BUILD_BATCH frames allocated, and every
 * HVM_BUILD_BATCH cost units mapped (a 4 KiB leaf 1, a 2 MiB leaf 8, its run check
 * included), with page_lock dropped there. It runs only under domctl_lock (create,
 * memory_policy), which may be held across points: no other domctl (destroy, a second
 * build) touches d meanwhile, and a failure leaves every frame on d's list for the
 * caller's undo (domain_destroy, hvm_ram_release). The mapping keeps its place in
 * d's page list by a general reference on the next frame to map, so that nothing
 * (dom0 guessing the new domain's id: a decrease_reservation) takes it off the list
 * while page_lock is free; frames are never added in the middle of the list.
 *
 * Locking. page_lock serializes nested-table changes. The fault path allocates first
 * (domain_alloc_frame_for takes page_lock itself), then maps under page_lock if the
 * gfn is still empty; a vCPU that lost the race gives its frame back. Setting a
 * policy runs under domctl_lock before the domain has run.
 *
 * Limitations. Lazy RAM is mapped 4 KiB at a time. A gfn given back by a balloon is
 * populated again by its next touch under a lazy policy. The hypervisor's own reads
 * of guest memory (hypercall arguments) do not populate: they see -EFAULT on a gfn
 * never touched. */
#include <hvlab/costmodel.h>
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/guest_access.h>
#include <hvlab/guest_values.h>
#include <hvlab/hypercall.h>
#include <hvlab/pv_mm.h>
#include <hvlab/mm.h>
#include <hvlab/mm_policy.h>
#include <hvlab/printk.h>
#include <hvlab/vnuma.h>
#include <hvlab/x86/svm.h>
#include <public/domctl.h>

#define INVALID_MFN_ABI (~0ULL)
#define HVM_BUILD_BATCH HYPERCALL_PREEMPT_BATCH
#define HVM_MAP_2M_COST 8               /* the run check reads 512 list entries */

/* True when the 512 frames from p on (in list order) are one aligned 2 MiB block. */
static bool run_of_2m(struct domain *d, struct list_head *p)
{
    mfn_t first = page_to_mfn(list_entry(p, struct page_info, list));
    if (first & 511)
        return false;
    for (unsigned i = 1; i < 512; i++) {
        p = p->next;
        if (p == &d->page_list || page_to_mfn(list_entry(p, struct page_info, list)) != first + i)
            return false;
    }
    return true;
}

/* gfn i -> the i-th frame of d's list, in batches (see Preemption above). */
static int hvm_map_ram(struct domain *d)
{
    struct list_head *p;
    uint64_t gfn = 0;
    unsigned long flags;
    int rc = 0;

    spin_lock_irqsave(&d->page_lock, flags);
    p = d->page_list.next;
    while (p != &d->page_list && rc == 0) {
        unsigned cost = 0;
        struct page_info *next;

        costmodel_hint_npt_domain(d->domain_id);    /* again after each point */
        while (p != &d->page_list && rc == 0 && cost < HVM_BUILD_BATCH) {
            mfn_t mfn = page_to_mfn(list_entry(p, struct page_info, list));
            unsigned n = 1;
            if (!(gfn & 511) && run_of_2m(d, p)) {
                rc = p2m_map(&d->p2m, gfn, mfn, P2M_ORDER_2M, P2M_WRITE);
                if (rc == 0)
                    costmodel_hint_npt_2m(gfn);
                n = 512;
                cost += HVM_MAP_2M_COST;
            } else {
                rc = p2m_map(&d->p2m, gfn, mfn, P2M_ORDER_4K, P2M_WRITE);
                cost++;
            }
            gfn += n;
            while (n--)
                p = p->next;
        }
        if (p == &d->page_list || rc)
            break;
        /* The place: the next frame, kept on the list by a reference of ours. */
        next = list_entry(p, struct page_info, list);
        if ((rc = get_page(next, d)) < 0)
            break;
        spin_unlock_irqrestore(&d->page_lock, flags);
        hypercall_preempt();
        spin_lock_irqsave(&d->page_lock, flags);
        put_page(next);
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

static struct page_info *ram_frame(struct domain *d, enum mm_reason why, uint64_t gfn)
{
    struct mm_request r = {
        .reason = why, .asked = NUMA_NO_NODE, .toucher = mm_this_node(), .index = gfn,
    };

    vnuma_pin_request(d, gfn, &r);      /* a vnode's gfns: its node, whatever the policy */
    return domain_alloc_frame_for(d, &r, MEMF_ZERO);
}

int hvm_ram_build(struct domain *d)
{
    if (mm_policy_of(d)->lazy_hvm)
        return 0;
    for (uint64_t gfn = 0; gfn < d->max_pages; gfn++) {
        if (!ram_frame(d, MM_REASON_BUILD, gfn))
            return -ENOMEM;             /* the caller frees what is on d's list */
        if ((gfn + 1) % HVM_BUILD_BATCH == 0)
            hypercall_preempt();        /* under domctl_lock: see Preemption above */
    }
    return hvm_map_ram(d);
}

/* Every RAM frame out of the nested table and back to the allocator; -EBUSY (and
 * nothing changed) if one is referenced (a foreign mapping of the builder). */
static int hvm_ram_release(struct domain *d)
{
    struct list_head *p;
    unsigned long flags;
    int rc = 0;

    spin_lock_irqsave(&d->page_lock, flags);
    list_for_each(p, &d->page_list)
        if (list_entry(p, struct page_info, list)->count_info != PGC_allocated)
            rc = -EBUSY;
    for (uint64_t gfn = 0; rc == 0 && gfn < d->max_pages;) {
        unsigned order = P2M_ORDER_4K;
        mfn_t mfn;

        if (p2m_lookup(&d->p2m, gfn, &mfn, NULL, &order) == 0)
            p2m_unmap(&d->p2m, gfn & ~((1ULL << order) - 1), order);
        gfn = (gfn & ~((1ULL << order) - 1)) + (1ULL << order);
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    while (rc == 0 && !list_empty(&d->page_list))
        rc = domain_free_unmapped_frame(d, list_first_entry(&d->page_list, struct page_info,
                                                            list));
    if (rc == 0)
        hvm_flush_guest_tlbs(d);
    return rc;
}

int hvm_set_memory_policy(struct domain *d, struct domctl_memory_policy *io, char *why,
                          size_t len)
{
    const struct mm_policy_ops *old = d->mm_policy;
    unsigned char old_priv[MM_POLICY_PRIV_BYTES];
    unsigned old_home = d->home_node;
    int rc, rc2;

    if (d->state != DOMSTATE_created) {
        fmt_snprintf(why, len, "memory_policy: the domain has run already");
        return -EBUSY;
    }
    memcpy(old_priv, d->mm_policy_priv, sizeof(old_priv));
    /* Its frames count as free for the new policy's checks: they are given back. */
    if ((rc = hvm_ram_release(d)) < 0) {
        fmt_snprintf(why, len, "memory_policy: the domain's RAM is mapped by its builder");
        return rc;
    }
    if ((rc = mm_policy_set(d, io, why, len)) == 0 && (rc = hvm_ram_build(d)) == 0) {
        vnuma_report(d);                /* its vnodes' frames again, after the rebuild */
        return 0;
    }
    /* Refused, or raced out of memory: back to the old policy, with its RAM. */
    if (d->tot_pages)
        hvm_ram_release(d);
    d->mm_policy = old;
    d->home_node = old_home;
    memcpy(d->mm_policy_priv, old_priv, sizeof(old_priv));
    if ((rc2 = hvm_ram_build(d)) < 0)
        pr_warn("domain %u (%s): its RAM could not be allocated again (%d)\n", d->domain_id,
                d->name, rc2);
    return rc;
}

int hvm_populate_range(struct domain *d, const struct domctl_hvm_populate *p)
{
    if (!d->is_hvm || p->nr > HVM_POPULATE_MAX || p->gfn >= d->max_pages ||
        p->nr > d->max_pages - p->gfn)
        return -EINVAL;
    if (!guest_array_ok(p->mfn_list, p->nr, sizeof(uint64_t)))
        return -EFAULT;
    for (uint64_t i = 0; i < p->nr; i++) {
        uint64_t gfn = p->gfn + i, out;
        struct page_info *pg = NULL;
        unsigned long flags;
        mfn_t mfn;
        int rc = 0;

        if (p2m_lookup(&d->p2m, gfn, &mfn, NULL, NULL) < 0) {
            if (!(pg = ram_frame(d, MM_REASON_BUILD, gfn)))
                return -ENOMEM;
            spin_lock_irqsave(&d->page_lock, flags);
            if (p2m_lookup(&d->p2m, gfn, &mfn, NULL, NULL) < 0) {
                mfn = page_to_mfn(pg);
                rc = p2m_map(&d->p2m, gfn, mfn, P2M_ORDER_4K, P2M_WRITE);
                pg = rc ? pg : NULL;
            }
            spin_unlock_irqrestore(&d->page_lock, flags);
            if (pg)
                domain_free_unmapped_frame(d, pg);
            if (rc)
                return rc;
        }
        out = mfn;
        if (copy_to_guest(p->mfn_list + i * sizeof(out), &out, sizeof(out)))
            return -EFAULT;
    }
    return 0;
}

long hvm_gfn_frames(struct domain *d, struct domctl_getpageframeinfo *g)
{
    uint64_t n = 0;

    if (!guest_array_ok(g->mfn_list, g->max, sizeof(uint64_t)))
        return -EFAULT;
    for (; n < g->max && n < d->max_pages; n++) {
        uint64_t out = INVALID_MFN_ABI;
        mfn_t mfn;

        if (p2m_lookup(&d->p2m, n, &mfn, NULL, NULL) == 0)
            out = mfn;
        if (copy_to_guest(g->mfn_list + n * sizeof(out), &out, sizeof(out)))
            return -EFAULT;
    }
    g->nr = n;
    return 0;
}

/* The fault of a RAM gfn with no frame, under a lazy policy: a frame from the node of
 * this pCPU (the policy's choice), mapped; the access is retried. */
static bool hvm_populate_npf(struct vcpu *v, uint64_t gpa, uint64_t err)
{
    struct domain *d = v->domain;
    uint64_t gfn = gpa >> PAGE_SHIFT;
    struct page_info *pg;
    unsigned long flags;
    mfn_t mfn;
    int rc = 0;

    (void)err;
    /* A gfn with a leaf (a read-only grant mapping written to) is not ours to fill:
     * claiming it would retry the access for ever. */
    if (!mm_policy_of(d)->lazy_hvm || gfn >= d->max_pages ||
        p2m_lookup(&d->p2m, gfn, &mfn, NULL, NULL) == 0)
        return false;
    if (!(pg = ram_frame(d, MM_REASON_NPF, gfn))) {
        pr_warn("domain %u (%s): no frame for gfn %#llx at its first touch\n",
                d->domain_id, d->name, (unsigned long long)gfn);
        return false;
    }
    spin_lock_irqsave(&d->page_lock, flags);
    if (p2m_lookup(&d->p2m, gfn, &mfn, NULL, NULL) < 0) {
        rc = p2m_map(&d->p2m, gfn, page_to_mfn(pg), P2M_ORDER_4K, P2M_WRITE);
        if (rc == 0)
            pg = NULL;
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    if (pg)
        domain_free_unmapped_frame(d, pg);      /* another vCPU mapped it first */
    return rc == 0;
}

int svm_populate_init(void)
{
    return svm_npf_register(hvm_populate_npf);
}
