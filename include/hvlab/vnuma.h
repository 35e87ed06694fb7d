/* Virtual NUMA (docs/vnuma.md). The layout's rules and arithmetic are pure logic,
 * core/lib/vnuma_layout.c, shared by the hypervisor (core/vnuma.c), dom0's toolstack
 * and the host tests; the hypervisor's per-domain part is core/vnuma.c. */
#ifndef HVLAB_VNUMA_H
#define HVLAB_VNUMA_H

#include <hvlab/types.h>
#include <public/vnuma.h>

/* ---- core/lib/vnuma_layout.c ---- */

/* Checks l against public/vnuma.h's rules for a domain of max_vcpus vCPUs and
 * max_pages frames on a machine of nr_pnodes nodes. 0, or -EINVAL with the first
 * broken rule in why (e.g. "vnode 1: distance to vnode 0 is 20, back is 30"). */
int vnuma_layout_check(const struct vnuma_layout *l, unsigned max_vcpus, uint64_t max_pages,
                       unsigned nr_pnodes, char *why, size_t whylen);

/* The first pfn of vnode v (the sum of the earlier vnodes' pages). */
uint64_t vnuma_layout_start(const struct vnuma_layout *l, unsigned v);

/* The vnode owning pfn, or l->nr_vnodes when pfn is past the last one. */
unsigned vnuma_layout_vnode_of(const struct vnuma_layout *l, uint64_t pfn);

/* ---- core/vnuma.c (the hypervisor) ---- */
struct domain;

/* Gives d the layout (copied) after checking it, the machine's nodes and their free
 * frames: only before d has a frame and before it ever ran. 0, -EINVAL, -ENOMEM or
 * -EBUSY, after a log line naming d and the numbers. */
int vnuma_set(struct domain *d, const struct vnuma_layout *l);

/* The physical node pfn's frame must come from, or NUMA_NO_NODE (no layout). */
unsigned vnuma_pfn_node(const struct domain *d, uint64_t pfn);

struct mm_request;
/* An HVM domain's frame for gfn: when d has a layout, r is pinned to gfn's vnode's
 * node (asked, exact, pinned: mm_policy_choose gives that node only, whatever the
 * domain's memory policy). Used by every path that backs a gfn: the RAM build,
 * DOMCTL_hvm_populate, the nested page fault and XENMEM_populate_physmap. */
void vnuma_pin_request(const struct domain *d, uint64_t gfn, struct mm_request *r);

/* One log line per vnode of an HVM domain: its frames, and how many of them are on
 * its physical node (read through its nested table: gfns without a frame yet, under
 * a lazy policy, are not counted). */
void vnuma_report(struct domain *d);

/* XENMEM_get_vnumainfo for domain t, arg the caller's struct xen_vnuma_topology_info. */
long vnuma_get_info(struct domain *t, uint64_t arg);

#endif
