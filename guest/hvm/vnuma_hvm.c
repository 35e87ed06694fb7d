/* The HVM guest's virtual NUMA topology: the SRAT and SLIT of its ACPI tables (which
 * dom0's builder writes, core/lib/hvmbuild_acpi.c, or QEMU's firmware natively),
 * read with the hypervisor's own parser (core/acpi_parse.c): the RSDP in
 * 0xE0000-0xFFFFF, the MADT for the APIC ids, the SRAT for each CPU's and memory
 * range's proximity domain, the SLIT for distances. Proximity domain p is vnode p;
 * vCPU i has APIC id i (hvmbuild.h). Memory ranges must be the vnodes back to back
 * from address 0, one per vnode, as the builder lays them out; anything else is
 * reported and ignored. Everything read lies below 4 GiB, identity-mapped by boot.S. */
#include <guest_vnuma.h>
#include <hvlab/acpi.h>
#include <hvlab/topology.h>

#define BIOS_AREA     0xE0000ULL
#define BIOS_AREA_LEN 0x20000ULL

static const void *vnuma_acpi_map(paddr_t pa, size_t len)
{
    return pa + len <= (1ULL << 32) && pa + len >= pa ? (const void *)(uintptr_t)pa : NULL;
}

static void vnuma_acpi_report(const char *msg)
{
    printf("vnuma: ACPI: %s\n", msg);
}

/* t's dense nodes and ranges into out, by proximity domain. */
static int vnuma_from_topology(const struct topology *t, struct guest_vnuma *out)
{
    uint64_t next = 0;

    memset(out, 0, sizeof(*out));
    out->source = "ACPI SRAT/SLIT";
    out->nr_vnodes = t->nr_nodes;
    out->nr_vcpus = t->nr_cpus;
    if (t->nr_nodes > GUEST_VNUMA_MAX_VNODES || t->nr_cpus > GUEST_VNUMA_MAX_VCPUS ||
        t->nr_mem_ranges != t->nr_nodes)
        return -EINVAL;
    for (unsigned n = 0; n < t->nr_nodes; n++)
        if (t->node_pxm[n] >= t->nr_nodes)
            return -EINVAL;
    for (unsigned i = 0; i < t->nr_cpus; i++) {
        if (t->apic_id[i] >= GUEST_VNUMA_MAX_VCPUS || t->apic_id[i] != i)
            return -EINVAL;
        out->vcpu_to_vnode[i] = (uint8_t)t->node_pxm[t->cpu_node[i]];
    }
    for (unsigned r = 0; r < t->nr_mem_ranges; r++) {
        unsigned v = t->node_pxm[t->mem[r].node];
        if (v != r || t->mem[r].start != next || t->mem[r].end <= t->mem[r].start)
            return -EINVAL;
        out->start_pfn[v] = t->mem[r].start >> PAGE_SHIFT;
        out->end_pfn[v] = t->mem[r].end >> PAGE_SHIFT;
        next = t->mem[r].end;
    }
    for (unsigned a = 0; a < t->nr_nodes; a++)
        for (unsigned b = 0; b < t->nr_nodes; b++)
            out->distance[t->node_pxm[a]][t->node_pxm[b]] = t->distance[a][b];
    return 0;
}

int plat_vnuma_read(struct guest_vnuma *out)
{
    static struct topology t;
    const struct acpi_rsdp *rsdp;
    const struct acpi_header *madt, *srat, *slit;
    long off = acpi_find_rsdp((const void *)(uintptr_t)BIOS_AREA, BIOS_AREA_LEN);

    if (off < 0)
        return -ENOENT;
    rsdp = (const void *)(uintptr_t)(BIOS_AREA + (uint64_t)off);
    if (!(srat = acpi_find_table(rsdp, "SRAT", 0, vnuma_acpi_map)))
        return -ENOENT;                 /* one node: nothing to say */
    acpi_report = vnuma_acpi_report;
    memset(&t, 0, sizeof(t));
    madt = acpi_find_table(rsdp, "APIC", 0, vnuma_acpi_map);
    slit = acpi_find_table(rsdp, "SLIT", 0, vnuma_acpi_map);
    if (!madt || acpi_parse_madt(madt, &t) < 0) {
        printf("vnuma: an SRAT but no usable MADT: ignored\n");
        return -EINVAL;
    }
    acpi_default_topology(&t);
    if (acpi_parse_srat(srat, &t) < 0 || (slit && acpi_parse_slit(slit, &t) < 0))
        return -EINVAL;
    if (vnuma_from_topology(&t, out) < 0) {
        printf("vnuma: the SRAT is not one memory range per node from address 0 "
               "(%u nodes, %u ranges, %u CPUs): ignored\n", t.nr_nodes, t.nr_mem_ranges,
               t.nr_cpus);
        return -EINVAL;
    }
    return 0;
}
