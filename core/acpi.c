/* Reading the machine's topology from ACPI at boot: find the RSDP where the firmware
 * leaves it, then hand each table to the pure parsers in core/acpi_parse.c. Runs on
 * the boot page tables, whose direct map covers the low 4 GiB where tables live. */
#include <hvlab/acpi.h>
#include <hvlab/addr.h>
#include <hvlab/errno.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/topology.h>

struct topology topo;

static void acpi_print(const char *msg)
{
    pr_warn("acpi: %s\n", msg);
}

static const void *acpi_map(paddr_t pa, size_t len)
{
    if (pa + len < pa || pa + len > GiB(4))
        return NULL;
    return __va(pa);
}

static const struct acpi_rsdp *acpi_locate_rsdp(void)
{
    /* The first KiB of the EBDA (segment at 0x40e), then the BIOS area. */
    paddr_t ebda = (paddr_t)*(const uint16_t *)__va(0x40e) << 4;
    long off;
    if (ebda >= 0x80000 && ebda < 0xa0000 &&
        (off = acpi_find_rsdp(__va(ebda), 1024)) >= 0)
        return (const struct acpi_rsdp *)((const char *)__va(ebda) + off);
    if ((off = acpi_find_rsdp(__va(0xe0000), 0x20000)) >= 0)
        return (const struct acpi_rsdp *)((const char *)__va(0xe0000) + off);
    return NULL;
}

void acpi_init(void)
{
    acpi_report = acpi_print;
    const struct acpi_rsdp *rsdp = acpi_locate_rsdp();
    if (!rsdp)
        panic("acpi: no RSDP: hvlab needs ACPI to find CPUs and memory");

    const struct acpi_header *madt = acpi_find_table(rsdp, "APIC", 0, acpi_map);
    if (!madt || acpi_parse_madt(madt, &topo) < 0 || topo.nr_cpus == 0)
        panic("acpi: no usable MADT");
    acpi_default_topology(&topo);

    const struct acpi_header *srat = acpi_find_table(rsdp, "SRAT", 0, acpi_map);
    if (srat && acpi_parse_srat(srat, &topo) == 0) {
        const struct acpi_header *slit = acpi_find_table(rsdp, "SLIT", 0, acpi_map);
        if (slit)
            acpi_parse_slit(slit, &topo);
    }

    const struct acpi_header *fadt = acpi_find_table(rsdp, "FACP", 0, acpi_map);
    const struct acpi_header *dsdt = acpi_find_table(rsdp, "DSDT", 0, acpi_map);
    if (!fadt || acpi_parse_fadt(fadt, dsdt, &topo) == -EINVAL)
        pr_warn("acpi: no usable FADT: clean poweroff will not work\n");

    pr_info("acpi: RSDP rev %u, %u CPUs, %u node%s%s, LAPIC %#lx, IOAPIC %#lx\n",
            rsdp->revision, topo.nr_cpus, topo.nr_nodes, topo.nr_nodes > 1 ? "s" : "",
            srat ? " (SRAT)" : " (no SRAT)", topo.lapic_base, topo.ioapic_base);
}
