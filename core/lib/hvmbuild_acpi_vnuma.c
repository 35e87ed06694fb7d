/* A virtual NUMA layout (include/public/vnuma.h) as the HVM builder's ACPI tables
 * describe it (struct hvmbuild_numa, hvmbuild_acpi.c writes SRAT and SLIT from it).
 *
 * Design: vnode v is proximity domain v; its memory range is the layout's pfn range
 * (vnodes back to back from gfn 0, the order the hypervisor allocates them in), so the
 * SRAT's ranges match the gfns each vnode's frames were placed at; vCPU i's APIC id is
 * i. A one-vnode layout gets no SRAT (nr_nodes 1: the builder leaves it out), as a
 * machine with one node has none.
 *
 * Locking: none (pure). Limitations: none beyond the builder's (8 vnodes, 255 vCPUs). */
#include <hvlab/hvmbuild.h>
#include <hvlab/lib.h>
#include <public/vnuma.h>

_Static_assert(VNUMA_MAX_VNODES <= HVMBUILD_MAX_VNODES, "every vnode fits the SRAT");
_Static_assert(VNUMA_MAX_VCPUS <= HVMBUILD_MAX_VCPUS, "every vCPU fits the SRAT");

void hvmbuild_numa_from_vnuma(struct hvmbuild_numa *out, const struct vnuma_layout *l)
{
    memset(out, 0, sizeof(*out));
    out->nr_nodes = l->nr_vnodes;
    for (unsigned v = 0; v < l->nr_vnodes && v < VNUMA_MAX_VNODES; v++) {
        out->mem_bytes[v] = l->pages[v] << PAGE_SHIFT;
        for (unsigned w = 0; w < l->nr_vnodes && w < VNUMA_MAX_VNODES; w++)
            out->distance[v][w] = l->distance[v][w];
    }
    for (unsigned i = 0; i < l->nr_vcpus && i < VNUMA_MAX_VCPUS; i++)
        out->vcpu_node[i] = l->vcpu_to_vnode[i];
}
