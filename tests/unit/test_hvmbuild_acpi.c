/* The HVM builder's ACPI tables, parsed back with hvlab's own parser
 * (core/acpi_parse.c): every checksum, the MADT's vCPUs, IOAPIC, overrides and NMI,
 * the FADT's ports and \_S5, SRAT/SLIT for virtual nodes, and the refusals. Built
 * with NR_CPUS=256 so the parser's topology can hold 255 vCPUs. */
#include "unit.h"

#include <hvlab/acpi.h>
#include <hvlab/errno.h>
#include <hvlab/hvmbuild.h>

#define REGION_GPA  HVMBUILD_ACPI_GPA

static uint8_t region[HVMBUILD_ACPI_MAX];
static struct hvmbuild_acpi_info info;
static struct topology topo_out;

static const void *map(paddr_t pa, size_t len)
{
    if (pa < REGION_GPA || pa - REGION_GPA > sizeof(region) ||
        len > sizeof(region) - (pa - REGION_GPA))
        return NULL;
    return region + (pa - REGION_GPA);
}

static const struct acpi_rsdp *build(unsigned nr_vcpus, const struct hvmbuild_numa *numa)
{
    struct hvmbuild_acpi_params p = { nr_vcpus, numa };
    long off;
    int rc = hvmbuild_acpi_build(&p, region, sizeof(region), REGION_GPA, &info);

    CHECK_EQ(rc, 0);
    CHECK(info.len <= hvmbuild_acpi_size(&p));
    off = acpi_find_rsdp(region, sizeof(region));
    CHECK_EQ(off, 0);
    CHECK_EQ(info.rsdp_gpa, REGION_GPA);
    return off < 0 ? NULL : (const void *)(region + off);
}

static uint8_t sum8(const void *p, size_t len)
{
    uint8_t s = 0;

    for (size_t i = 0; i < len; i++)
        s += ((const uint8_t *)p)[i];
    return s;
}

static const struct acpi_header *table(const struct acpi_rsdp *r, const char *sig)
{
    const struct acpi_header *h = acpi_find_table(r, sig, 0, map);

    if (!h)
        printf("  table %s not found (or bad checksum)\n", sig);
    return h;
}

static void check_rsdp(void)
{
    const struct acpi_rsdp *r = build(2, NULL);

    CHECK_EQ(r->revision, 2);
    CHECK_EQ(r->length, 36);
    CHECK(acpi_checksum_ok(r, ACPI_RSDP_V1_LEN));
    CHECK(acpi_checksum_ok(r, r->length));
    CHECK(r->xsdt_address != 0 && r->rsdt_address != 0);
    CHECK(acpi_checksum_ok(map(r->xsdt_address, 36), ((const struct acpi_header *)
                                                      map(r->xsdt_address, 36))->length));
    CHECK(acpi_checksum_ok(map(r->rsdt_address, 36), ((const struct acpi_header *)
                                                      map(r->rsdt_address, 36))->length));
    CHECK(memcmp(map(r->xsdt_address, 4), "XSDT", 4) == 0);
    CHECK(memcmp(map(r->rsdt_address, 4), "RSDT", 4) == 0);
}

/* Each table found through the XSDT, and again through the RSDT alone. */
static void check_every_table_checksum(void)
{
    static const char *sigs[] = { "FACP", "APIC", "DSDT" };
    const struct acpi_rsdp *r = build(4, NULL);
    struct acpi_rsdp v1;

    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        CHECK(table(r, sigs[i]) != NULL);
    memcpy(&v1, r, sizeof(v1));
    v1.revision = 0;                    /* an ACPI 1.0 reader: RSDT only */
    v1.checksum = 0;
    v1.checksum = (uint8_t)-sum8(&v1, ACPI_RSDP_V1_LEN);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        CHECK(table(&v1, sigs[i]) != NULL);
    CHECK(acpi_find_table(r, "SRAT", 0, map) == NULL);  /* none without virtual nodes */
}

static void check_corruption_detected(void)
{
    const struct acpi_rsdp *r = build(2, NULL);
    uint8_t *madt = region + (info.madt_gpa - REGION_GPA);

    madt[40] ^= 0x01;
    CHECK(acpi_find_table(r, "APIC", 0, map) == NULL);
}

static void check_madt_cpus(unsigned n)
{
    const struct acpi_rsdp *r = build(n, NULL);
    const struct acpi_header *h = table(r, "APIC");

    if (!h)
        return;
    CHECK_EQ(h->revision, 3);
    memset(&topo_out, 0, sizeof(topo_out));
    CHECK_EQ(acpi_parse_madt(h, &topo_out), 0);
    CHECK_EQ(topo_out.nr_cpus, n);
    for (unsigned i = 0; i < topo_out.nr_cpus; i++)
        CHECK_EQ(topo_out.apic_id[i], i);
    CHECK_EQ(topo_out.lapic_base, HVMBUILD_LAPIC_GPA);
    CHECK_EQ(topo_out.ioapic_base, HVMBUILD_IOAPIC_GPA);
    CHECK_EQ(topo_out.ioapic_id, n);            /* after the LAPICs: no ID shared */
    CHECK_EQ(topo_out.ioapic_id, hvmbuild_ioapic_id(n));
}

static void madt_1(void) { check_madt_cpus(1); }
static void madt_2(void) { check_madt_cpus(2); }
static void madt_8(void) { check_madt_cpus(8); }
static void madt_255(void) { check_madt_cpus(HVMBUILD_MAX_VCPUS); }

/* The entries the parser does not keep: walked here. */
static void check_madt_routing(void)
{
    const struct acpi_header *h = table(build(2, NULL), "APIC");
    const struct acpi_madt *m = (const void *)h;
    const uint8_t *p, *end;
    int irq0 = 0, irq9 = 0, nmi = 0, ioapics = 0;

    if (!h)
        return;
    CHECK_EQ(m->flags & 1, 1);          /* PC-AT: 8259s present */
    p = (const uint8_t *)(m + 1);
    end = (const uint8_t *)h + h->length;
    while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
        if (p[0] == ACPI_MADT_ISO) {
            const struct acpi_madt_iso *iso = (const void *)p;
            CHECK_EQ(iso->s.length, 10);
            CHECK_EQ(iso->bus, 0);
            if (iso->source == 0) {
                irq0++;
                CHECK_EQ(iso->gsi, 2);
                CHECK_EQ(iso->flags, 0);
            } else if (iso->source == 9) {
                irq9++;
                CHECK_EQ(iso->gsi, 9);
                CHECK_EQ(iso->flags, ACPI_MPS_ACTIVE_HIGH | ACPI_MPS_LEVEL);
            } else {
                printf("  unexpected override of IRQ %u\n", iso->source);
                unit_failed_checks++;
            }
        } else if (p[0] == ACPI_MADT_LAPIC_NMI) {
            const struct acpi_madt_lapic_nmi *e = (const void *)p;
            nmi++;
            CHECK_EQ(e->processor_uid, 0xff);
            CHECK_EQ(e->lint, 1);
        } else if (p[0] == ACPI_MADT_IOAPIC) {
            const struct acpi_madt_ioapic *io = (const void *)p;
            ioapics++;
            CHECK_EQ(io->gsi_base, 0);
        }
        p += p[1];
    }
    CHECK(p == end);
    CHECK_EQ(irq0, 1);
    CHECK_EQ(irq9, 1);
    CHECK_EQ(nmi, 1);
    CHECK_EQ(ioapics, 1);
}

static void check_fadt(void)
{
    const struct acpi_rsdp *r = build(1, NULL);
    const struct acpi_header *h = table(r, "FACP"), *dsdt = table(r, "DSDT");
    const struct acpi_fadt *f = (const void *)h;
    const struct acpi_facs *facs;

    if (!h || !dsdt)
        return;
    CHECK_EQ(h->revision, 5);
    CHECK_EQ(h->length, ACPI_FADT_V5_LEN);
    CHECK_EQ(f->minor_version, 1);
    memset(&topo_out, 0, sizeof(topo_out));
    CHECK_EQ(acpi_parse_fadt(h, dsdt, &topo_out), 0);
    CHECK_EQ(topo_out.pm_tmr_port, HVMBUILD_PM_TMR_PORT);
    CHECK_EQ(topo_out.pm1a_cnt_port, HVMBUILD_PM1A_CNT_PORT);
    CHECK_EQ(topo_out.pm_tmr_32bit, true);     /* vdev's timer is 32 bits */
    CHECK_EQ(topo_out.s5_slp_typ, HVMBUILD_S5_SLP_TYP);
    CHECK_EQ(f->pm1a_evt_blk, HVMBUILD_PM1A_EVT_PORT);
    CHECK_EQ(f->x_pm1a_evt_blk.address, HVMBUILD_PM1A_EVT_PORT);
    CHECK_EQ(f->x_pm1a_evt_blk.space_id, ACPI_GAS_SYSTEM_IO);
    CHECK_EQ(f->pm1_evt_len, 4);
    CHECK_EQ(f->pm1_cnt_len, 2);
    CHECK_EQ(f->sci_int, 9);
    CHECK_EQ(f->smi_cmd, 0);
    CHECK_EQ(f->flags & ACPI_FADT_HW_REDUCED, 0);
    CHECK(f->flags & ACPI_FADT_RESET_REG_SUP);
    CHECK_EQ(f->reset_reg.space_id, ACPI_GAS_SYSTEM_IO);
    CHECK_EQ(f->reset_reg.address, HVMBUILD_RESET_PORT);
    CHECK_EQ(f->reset_value, HVMBUILD_RESET_VALUE);
    CHECK_EQ(f->x_dsdt, f->dsdt);
    CHECK_EQ(f->dsdt, info.dsdt_gpa);
    CHECK_EQ(f->iapc_boot_arch & ACPI_BOOT_8042, 0);
    facs = map(f->firmware_ctrl, sizeof(*facs));
    CHECK(facs != NULL);
    if (facs) {
        CHECK(memcmp(facs->signature, "FACS", 4) == 0);
        CHECK_EQ(facs->length, 64);
        CHECK_EQ(f->firmware_ctrl % 64, 0);
        CHECK_EQ(f->x_firmware_ctrl, f->firmware_ctrl);
    }
}

static void check_srat_slit(void)
{
    struct hvmbuild_numa numa = { .nr_nodes = 2, .mem_bytes = { 128ULL << 20, 64ULL << 20 },
                                  .vcpu_node = { 0, 1, 1, 0 } };
    const struct acpi_rsdp *r;
    const struct acpi_header *madt, *srat, *slit;

    numa.distance[0][1] = 21;
    numa.distance[1][0] = 21;
    r = build(4, &numa);
    madt = table(r, "APIC");
    srat = table(r, "SRAT");
    slit = table(r, "SLIT");
    if (!madt || !srat || !slit)
        return;
    memset(&topo_out, 0, sizeof(topo_out));
    CHECK_EQ(acpi_parse_madt(madt, &topo_out), 0);
    CHECK_EQ(acpi_parse_srat(srat, &topo_out), 0);
    CHECK_EQ(acpi_parse_slit(slit, &topo_out), 0);
    CHECK_EQ(topo_out.nr_nodes, 2);
    CHECK_EQ(topo_out.cpu_node[0], 0);
    CHECK_EQ(topo_out.cpu_node[1], 1);
    CHECK_EQ(topo_out.cpu_node[2], 1);
    CHECK_EQ(topo_out.cpu_node[3], 0);
    CHECK_EQ(topo_out.nr_mem_ranges, 2);
    CHECK_EQ(topo_out.mem[0].start, 0);
    CHECK_EQ(topo_out.mem[0].end, 128ULL << 20);
    CHECK_EQ(topo_out.mem[1].start, 128ULL << 20);
    CHECK_EQ(topo_out.mem[1].end, 192ULL << 20);
    CHECK_EQ(topo_out.mem[1].node, 1);
    CHECK_EQ(topo_out.distance[0][0], 10);
    CHECK_EQ(topo_out.distance[0][1], 21);
    CHECK_EQ(topo_out.distance[1][1], 10);
}

static void check_refusals(void)
{
    static uint8_t small[256];
    struct hvmbuild_numa bad = { .nr_nodes = 2, .vcpu_node = { 0, 2 } };
    struct hvmbuild_acpi_params p0 = { 0, NULL }, p256 = { 256, NULL }, p1 = { 1, NULL };
    struct hvmbuild_acpi_params pbad = { 2, &bad };

    CHECK_EQ(hvmbuild_acpi_build(&p0, region, sizeof(region), REGION_GPA, &info), -EINVAL);
    CHECK_EQ(hvmbuild_acpi_build(&p256, region, sizeof(region), REGION_GPA, &info), -EINVAL);
    CHECK_EQ(hvmbuild_acpi_build(&p1, region, sizeof(region), REGION_GPA + 8, &info), -EINVAL);
    CHECK_EQ(hvmbuild_acpi_build(&p1, small, sizeof(small), REGION_GPA, &info), -ENOSPC);
    CHECK_EQ(hvmbuild_acpi_build(&pbad, region, sizeof(region), REGION_GPA, &info), -EINVAL);
}

static const struct unit_case cases[] = {
    { "rsdp_v2_both_checksums_xsdt_rsdt", check_rsdp },
    { "every_table_checksum_via_xsdt_and_rsdt", check_every_table_checksum },
    { "corrupt_madt_refused_by_parser", check_corruption_detected },
    { "madt_1_vcpu", madt_1 },
    { "madt_2_vcpus", madt_2 },
    { "madt_8_vcpus", madt_8 },
    { "madt_255_vcpus", madt_255 },
    { "madt_overrides_irq0_gsi2_sci_level_nmi_lint1", check_madt_routing },
    { "fadt_ports_s5_reset_facs", check_fadt },
    { "srat_slit_two_nodes", check_srat_slit },
    { "refusals", check_refusals },
};

UNIT_MAIN(cases)
