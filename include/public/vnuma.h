/* Virtual NUMA (docs/vnuma.md): the layout dom0 gives a domain (DOMCTL_set_vnuma, or
 * DOMCTL_createdomain's `vnuma` for an HVM domain, whose RAM is allocated there) and
 * the rules it must follow. The guest reads it back with XENMEM_get_vnumainfo
 * (public/memory.h) or, HVM, from the SRAT and SLIT of its ACPI tables.
 *
 * Guest-physical layout: vnode 0 owns pfns [0, pages[0]), vnode 1 the next pages[1],
 * and so on (for an HVM domain pfn = gfn). Every frame of vnode v comes from physical
 * node pnode[v], never another (the domain is refused when a node lacks the frames).
 *
 * Rules (checked by the hypervisor, and by dom0 first, with one function:
 * core/lib/vnuma_layout.c):
 *   1 <= nr_vnodes <= VNUMA_MAX_VNODES; nr_vcpus = the domain's vCPUs;
 *   every vCPU in exactly one vnode (vcpu_to_vnode[i] < nr_vnodes) and every vnode
 *   with at least one vCPU and at least one page; sum of pages = the domain's
 *   max_pages; pnode[v] a node of the machine;
 *   distance[i][i] = 10; distance[i][j] in 10..254 for i != j; symmetric. */
#ifndef HVLAB_PUBLIC_VNUMA_H
#define HVLAB_PUBLIC_VNUMA_H

#include "hvlab.h"

#define VNUMA_MAX_VNODES   8
#define VNUMA_MAX_VCPUS    MAX_VIRT_CPUS
#define VNUMA_DIST_LOCAL   10
#define VNUMA_DIST_MAX     254          /* 255 is ACPI's "unreachable" */

struct vnuma_layout {
    uint32_t nr_vnodes;
    uint32_t nr_vcpus;
    uint64_t pages[VNUMA_MAX_VNODES];           /* 4 KiB frames of each vnode */
    uint8_t  pnode[VNUMA_MAX_VNODES];           /* its physical node */
    uint8_t  vcpu_to_vnode[VNUMA_MAX_VCPUS];
    uint8_t  distance[VNUMA_MAX_VNODES][VNUMA_MAX_VNODES];
};

#endif
