/* The guest's virtual NUMA topology (docs/vnuma.md): read once, at the first call of
 * any function below (vnuma_init; call it from vCPU 0 before starting others), from
 * XENMEM_get_vnumainfo on PV
 * (guest/vnuma_pv.c) or the SRAT and SLIT of the ACPI tables on HVM
 * (guest/hvm/vnuma_hvm.c), printed, and used to place allocations: one page pool per
 * vnode, so a workload can keep its data on the vnode of the vCPU that uses it. */
#ifndef GUEST_VNUMA_H
#define GUEST_VNUMA_H

#include <guest.h>

#define GUEST_VNUMA_MAX_VNODES 8
#define GUEST_VNUMA_MAX_VCPUS  32

struct guest_vnuma {
    unsigned nr_vnodes;                 /* 0: no layout (one node, nothing printed) */
    unsigned nr_vcpus;
    const char *source;                 /* "XENMEM_get_vnumainfo", "ACPI SRAT/SLIT" */
    uint64_t start_pfn[GUEST_VNUMA_MAX_VNODES], end_pfn[GUEST_VNUMA_MAX_VNODES];
    uint8_t vcpu_to_vnode[GUEST_VNUMA_MAX_VCPUS];
    uint8_t distance[GUEST_VNUMA_MAX_VNODES][GUEST_VNUMA_MAX_VNODES];
};

/* The platform's reader: 0 and *out filled, -ENOENT when the domain has no layout,
 * another -errno (after a line saying why) when what it found is unusable. */
int plat_vnuma_read(struct guest_vnuma *out);

/* Reads, prints and sets up the pools, once (later calls do nothing). */
void vnuma_init(void);
/* The topology as read (nr_vnodes 0: none). */
const struct guest_vnuma *vnuma_topology(void);
/* The vnode of a vCPU / of a page (0 without a layout). */
unsigned vnuma_vnode_of_vcpu(unsigned vcpu);
unsigned vnuma_vnode_of_pfn(uint64_t pfn);
/* A zeroed page of vnode v, NULL when its pool is empty (or v does not exist; without
 * a layout, vnode 0 is all of memory). */
void *vnuma_alloc_page(unsigned vnode);
/* ... of the calling vCPU's vnode. */
void *vnuma_alloc_page_local(void);
/* Gives back a page from vnuma_alloc_page to the pool it came from. */
void vnuma_free_page(void *va);
/* Free pages left in vnode v's pool. */
uint64_t vnuma_free_pages(unsigned vnode);

#endif
