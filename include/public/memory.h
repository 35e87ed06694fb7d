/* memory_op(cmd, arg): a domain's memory reservation. PV guests see machine frame
 * numbers: increase_reservation returns the MFNs it allocated. On an HVM domain the
 * extents are guest frame numbers (docs/ballooning.md): decrease_reservation takes
 * the frames at those gfns out of its nested table, populate_physmap maps new frames
 * at gfns that map nothing; increase_reservation is refused there. */
#ifndef HVLAB_PUBLIC_MEMORY_H
#define HVLAB_PUBLIC_MEMORY_H

#include "hvlab.h"

#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_populate_physmap     6   /* same as increase for PV: frames + MFNs back */
#define XENMEM_current_reservation  3   /* arg: hv_domid_t *; returns pages */
#define XENMEM_maximum_reservation  4   /* arg: hv_domid_t *; returns pages */
#define XENMEM_get_vnumainfo        26  /* arg: struct xen_vnuma_topology_info * */

#define XENMEMF_node(n)      ((uint32_t)(n) + 1)   /* prefer node n */
#define XENMEMF_exact_node   (1u << 16)            /* ... and never another */
#define XENMEMF_node_of(f)   ((int)((f) & 0xff) - 1)

struct xen_memory_reservation {
    uint64_t extent_start;              /* guest VA of uint64_t[nr_extents] MFNs (in/out) */
    uint64_t nr_extents;
    uint32_t extent_order;              /* 0: 4 KiB frames */
    uint32_t mem_flags;                 /* XENMEMF_* */
    hv_domid_t domid;                   /* DOMID_SELF, or a domain (dom0 only) */
};
/* Returns the number of extents done (may be fewer than asked: the caller retries
 * or gives up), or a negative errno when none could be done. */


/* XENMEM_get_vnumainfo: a domain's virtual NUMA layout (public/vnuma.h), as Xen's op of
 * that name. domid: DOMID_SELF or the caller's own (dom0: any). IN: the room in the
 * caller's arrays (nr_vnodes for vmemrange and for the nr_vnodes x nr_vnodes distance
 * matrix, nr_vcpus for vcpu_to_vnode); OUT: the domain's counts. Returns 0 and fills
 * the arrays; -ENOBUFS (counts written back, arrays untouched) when the room is too
 * small; -EOPNOTSUPP when the domain has no layout; -EFAULT for an array outside the
 * caller's memory. Range v is vnode v's guest-physical bytes [start, end). */
struct xen_vmemrange {
    uint64_t start, end;
    uint32_t flags;                     /* 0 */
    uint32_t nid;                       /* the vnode */
};

struct xen_vnuma_topology_info {
    hv_domid_t domid;
    uint16_t pad;
    uint32_t nr_vnodes;                 /* IN: room; OUT: vnodes */
    uint32_t nr_vcpus;                  /* IN: room; OUT: vCPUs */
    uint32_t pad2;
    uint64_t vdistance;                 /* VA of uint32_t[nr_vnodes * nr_vnodes], row-major */
    uint64_t vcpu_to_vnode;             /* VA of uint32_t[nr_vcpus] */
    uint64_t vmemrange;                 /* VA of struct xen_vmemrange[nr_vnodes] */
};

#endif
