/* Virtual NUMA, the hypervisor's part: a domain's layout (include/public/vnuma.h), the
 * node each of its frames comes from, the guest's view (XENMEM_get_vnumainfo) and a
 * check of where an HVM domain's frames went.
 *
 * Design. dom0 hands the layout over before the domain has any frame: at createdomain
 * for an HVM domain (core/domctl.c, before hvm_domain_init allocates its RAM, which
 * asks vnuma_pfn_node for each gfn), by DOMCTL_set_vnuma for a PV domain (whose frames
 * dom0 then asks for vnode by vnode, XENMEMF_node | XENMEMF_exact_node). The rules are
 * core/lib/vnuma_layout.c's, the ones dom0 checked already; here they are checked
 * again against the machine, with each physical node's free frames, so a layout
 * that cannot be honoured is refused before anything is allocated. The layout is
 * stored in the domain (no allocation, nothing to free) and never changes once the
 * domain has frames.
 *
 * Locking. d->vnuma is written under d->page_lock, only while d has no frame and never
 * ran (createdomain or a domctl, under domctl_lock); readers copy it under page_lock.
 * Once d has a frame it is read-only, so vnuma_pfn_node (called with d's frames being
 * allocated) reads it without the lock.
 *
 * Limitations. A PV domain's frames are placed by the toolstack's requests: a guest
 * that balloons out and back in gets frames by its own request's node, whatever vnode
 * the pfn belongs to. The layout is fixed for the domain's life.
 */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/guest_access.h>
#include <hvlab/guest_values.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/mm_policy.h>
#include <hvlab/p2m.h>
#include <hvlab/printk.h>
#include <hvlab/topology.h>
#include <hvlab/trace.h>
#include <hvlab/vnuma.h>
#include <public/memory.h>

/* Each physical node has the free frames of the vnodes placed on it. */
static int vnuma_fits(const struct domain *d, const struct vnuma_layout *l)
{
    uint64_t need[MAX_NUMNODES] = { 0 };

    for (unsigned v = 0; v < l->nr_vnodes; v++)
        need[l->pnode[v]] += l->pages[v];
    for (unsigned n = 0; n < MAX_NUMNODES; n++) {
        if (need[n] > frames_free(n)) {
            pr_warn("domain %u (%s): vNUMA refused: node %u has %lu free frames, its "
                    "vnodes need %llu\n", d->domain_id, d->name, n, frames_free(n),
                    (unsigned long long)need[n]);
            return -ENOMEM;
        }
    }
    return 0;
}

int vnuma_set(struct domain *d, const struct vnuma_layout *l)
{
    char why[128];
    unsigned long flags;
    int rc = 0;

    if (vnuma_layout_check(l, d->max_vcpus, d->max_pages, topo.nr_nodes, why, sizeof(why))) {
        pr_warn("domain %u (%s): vNUMA refused: %s\n", d->domain_id, d->name, why);
        return -EINVAL;
    }
    if ((rc = vnuma_fits(d, l)) < 0)
        return rc;
    spin_lock_irqsave(&d->page_lock, flags);
    if (d->tot_pages || d->state != DOMSTATE_created)
        rc = -EBUSY;
    else
        d->vnuma = *l;
    spin_unlock_irqrestore(&d->page_lock, flags);
    if (rc) {
        pr_warn("domain %u (%s): vNUMA refused: it has %lu frames already or ran (an HVM "
                "domain gets its layout at createdomain)\n", d->domain_id, d->name,
                d->tot_pages);
        return rc;
    }
    uint64_t pnodes = 0;
    for (unsigned v = 0; v < l->nr_vnodes; v++)
        pnodes |= (uint64_t)l->pnode[v] << (8 * v);
    TRACE(TRC_MEM_VNUMA, d->domain_id, 0, l->nr_vnodes, pnodes);
    pr_info("domain %u (%s): vNUMA: %u vnodes\n", d->domain_id, d->name, l->nr_vnodes);
    return 0;
}

unsigned vnuma_pfn_node(const struct domain *d, uint64_t pfn)
{
    unsigned v;

    if (!d->vnuma.nr_vnodes)
        return NUMA_NO_NODE;
    v = vnuma_layout_vnode_of(&d->vnuma, pfn);
    return v < d->vnuma.nr_vnodes ? d->vnuma.pnode[v] : NUMA_NO_NODE;
}

void vnuma_pin_request(const struct domain *d, uint64_t gfn, struct mm_request *r)
{
    unsigned node = vnuma_pfn_node(d, gfn);

    if (node == NUMA_NO_NODE)
        return;
    r->asked = node;
    r->exact = true;
    r->pinned = true;
}

void vnuma_report(struct domain *d)
{
    const struct vnuma_layout *l = &d->vnuma;
    unsigned long total[VNUMA_MAX_VNODES] = { 0 }, there[VNUMA_MAX_VNODES] = { 0 };
    unsigned long flags;

    if (!l->nr_vnodes)
        return;
    /* By the nested table, not the page list: under a lazy memory policy (first-touch)
     * a gfn has a frame only once touched, and the list is in allocation order. */
    spin_lock_irqsave(&d->page_lock, flags);
    for (uint64_t gfn = 0; gfn < d->max_pages; gfn++) {
        unsigned v = vnuma_layout_vnode_of(l, gfn);
        mfn_t mfn;

        if (v >= l->nr_vnodes)
            break;
        if (p2m_lookup(&d->p2m, gfn, &mfn, NULL, NULL) < 0)
            continue;
        total[v]++;
        there[v] += mfn_to_page(mfn)->node == l->pnode[v];
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    for (unsigned v = 0; v < l->nr_vnodes; v++)
        pr_info("domain %u (%s): vnode %u: gfns %#llx-%#llx, %lu frames, %lu on node %u\n",
                d->domain_id, d->name, v, (unsigned long long)vnuma_layout_start(l, v),
                (unsigned long long)(vnuma_layout_start(l, v) + l->pages[v] - 1), total[v],
                there[v], l->pnode[v]);
}

/* The layout as the guest sees it, written to the caller's arrays. */
static long vnuma_copy_out(const struct vnuma_layout *l, const struct xen_vnuma_topology_info *in)
{
    unsigned n = l->nr_vnodes;

    for (unsigned i = 0; i < n; i++) {
        struct xen_vmemrange r = {
            .start = vnuma_layout_start(l, i) << PAGE_SHIFT,
            .end = (vnuma_layout_start(l, i) + l->pages[i]) << PAGE_SHIFT,
            .flags = 0, .nid = i,
        };
        if (copy_to_guest(in->vmemrange + i * sizeof(r), &r, sizeof(r)))
            return -EFAULT;
        for (unsigned j = 0; j < n; j++) {
            uint32_t dist = l->distance[i][j];
            if (copy_to_guest(in->vdistance + (i * n + j) * sizeof(dist), &dist, sizeof(dist)))
                return -EFAULT;
        }
    }
    for (unsigned i = 0; i < l->nr_vcpus; i++) {
        uint32_t v = l->vcpu_to_vnode[i];
        if (copy_to_guest(in->vcpu_to_vnode + i * sizeof(v), &v, sizeof(v)))
            return -EFAULT;
    }
    return 0;
}

long vnuma_get_info(struct domain *t, uint64_t arg)
{
    struct xen_vnuma_topology_info in;
    struct vnuma_layout l;
    unsigned long flags;
    long rc;

    if (copy_from_guest(&in, arg, sizeof(in)))
        return -EFAULT;
    spin_lock_irqsave(&t->page_lock, flags);
    l = t->vnuma;
    spin_unlock_irqrestore(&t->page_lock, flags);
    if (!l.nr_vnodes)
        return -EOPNOTSUPP;
    if (in.nr_vnodes < l.nr_vnodes || in.nr_vcpus < l.nr_vcpus) {
        rc = -ENOBUFS;
    } else if (!guest_array_ok(in.vmemrange, l.nr_vnodes, sizeof(struct xen_vmemrange)) ||
               !guest_array_ok(in.vdistance, (uint64_t)l.nr_vnodes * l.nr_vnodes,
                               sizeof(uint32_t)) ||
               !guest_array_ok(in.vcpu_to_vnode, l.nr_vcpus, sizeof(uint32_t))) {
        return -EFAULT;
    } else if ((rc = vnuma_copy_out(&l, &in)) < 0) {
        return rc;
    }
    in.nr_vnodes = l.nr_vnodes;
    in.nr_vcpus = l.nr_vcpus;
    if (copy_to_guest(arg, &in, sizeof(in)))
        return -EFAULT;
    return rc;
}
