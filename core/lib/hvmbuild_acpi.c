/* ACPI tables for an HVM guest with no firmware (see include/hvlab/hvmbuild.h).
 *
 * Design: one pass over a zeroed buffer. Tables are placed back to back in a fixed
 * order (RSDP, XSDT, RSDT, FADT, FACS, DSDT, MADT, SRAT, SLIT), each 16-byte aligned
 * (FACS 64, as the spec requires), filled, then checksummed; the root tables are
 * filled last because they hold the others' addresses. Revisions: RSDP 2, FADT 5
 * with minor version 1 (ACPI 5.1: the first FADT layout with the sleep registers,
 * which stay zero since this is not a hardware-reduced platform), MADT 3, SRAT 3,
 * SLIT 1. An RSDT sits next to the XSDT for ACPI 1.0 readers (everything is below
 * 4 GiB).
 *
 * What the guest sees: a PC-AT machine (dual 8259 flag set) with one xAPIC per vCPU
 * (APIC id = processor uid = vCPU number), one IOAPIC at 0xFEC00000 with GSI base 0,
 * ISA IRQ 0 routed to GSI 2 and IRQ 9 (the SCI) level/active-high, LINT1 as NMI on
 * every CPU; PM1a event/control blocks and a 32-bit PM timer at the ports in
 * hvmbuild.h, SCI on IRQ 9, no SMI command port (ACPI mode is always on), a reset
 * register at 0xCF9; no GPE blocks, no C2/C3, no 8042, no VGA, no MSI. The DSDT holds
 * only \_S5 so an OS can power off.
 *
 * Limitations: xAPIC entries only (at most 255 vCPUs); no _PRT, no PCI root bridge,
 * no devices in the DSDT.
 */
#include <hvlab/acpi.h>
#include <hvlab/errno.h>
#include <hvlab/hvmbuild.h>
#include <hvlab/lib.h>

#define OEM_ID          "HVLAB "
#define OEM_TABLE_ID    "HVLABHVM"
#define CREATOR_ID      "HVLB"
#define FADT_REVISION   5
#define FADT_MINOR      1
#define MADT_REVISION   3
#define SRAT_REVISION   3

/* DSDT body: Name (\_S5_, Package (4) { 5, 5, 0, 0 }); SLP_TYPa/b for S5 first. */
static const uint8_t dsdt_aml[] = {
    0x08, '\\', '_', 'S', '5', '_',     /* NameOp, root prefix, NameSeg */
    0x12, 0x08, 0x04,                   /* PackageOp, PkgLength 8, NumElements 4 */
    0x0a, HVMBUILD_S5_SLP_TYP,          /* BytePrefix 5 */
    0x0a, HVMBUILD_S5_SLP_TYP,
    0x00, 0x00,                         /* Zero, Zero */
};

static size_t madt_len(unsigned nr_vcpus)
{
    return sizeof(struct acpi_madt) + nr_vcpus * sizeof(struct acpi_madt_lapic) +
           sizeof(struct acpi_madt_ioapic) + 2 * sizeof(struct acpi_madt_iso) +
           sizeof(struct acpi_madt_lapic_nmi);
}

static unsigned numa_nodes(const struct hvmbuild_acpi_params *p)
{
    return p->numa && p->numa->nr_nodes > 1 ? p->numa->nr_nodes : 0;
}

static size_t srat_len(const struct hvmbuild_acpi_params *p)
{
    return sizeof(struct acpi_srat) + p->nr_vcpus * sizeof(struct acpi_srat_cpu) +
           numa_nodes(p) * sizeof(struct acpi_srat_mem);
}

static size_t slit_len(unsigned nodes)
{
    return sizeof(struct acpi_slit) + nodes * nodes;
}

static unsigned nr_root_entries(const struct hvmbuild_acpi_params *p)
{
    return numa_nodes(p) ? 4 : 2;       /* FADT, MADT [, SRAT, SLIT] */
}

/* The placement cursor: offsets from the region's start. */
struct acpi_cursor {
    uint8_t *buf;
    size_t len, off;
    uint64_t gpa;
};

static void *place(struct acpi_cursor *c, size_t size, size_t align, uint64_t *gpa)
{
    size_t at = ALIGN_UP(c->off, align);

    if (at > c->len || size > c->len - at)
        return NULL;
    c->off = at + size;
    *gpa = c->gpa + at;
    return c->buf + at;
}

size_t hvmbuild_acpi_size(const struct hvmbuild_acpi_params *p)
{
    unsigned nodes = numa_nodes(p), roots = nr_root_entries(p);
    size_t n = 0;

    /* Each table rounded up to the 16-byte alignment place() adds, FACS to 64. */
    n += ALIGN_UP(sizeof(struct acpi_rsdp), 16);
    n += ALIGN_UP(sizeof(struct acpi_header) + 8 * roots, 16);
    n += ALIGN_UP(sizeof(struct acpi_header) + 4 * roots, 16);
    n += ALIGN_UP(sizeof(struct acpi_fadt), 16);
    n += 64 + sizeof(struct acpi_facs);
    n += ALIGN_UP(sizeof(struct acpi_header) + sizeof(dsdt_aml), 16);
    n += ALIGN_UP(madt_len(p->nr_vcpus), 16);
    if (nodes)
        n += ALIGN_UP(srat_len(p), 16) + ALIGN_UP(slit_len(nodes), 16);
    return n;
}

static void checksum_fix(void *table, size_t len, uint8_t *field)
{
    const uint8_t *b = table;
    uint8_t sum = 0;

    *field = 0;
    for (size_t i = 0; i < len; i++)
        sum += b[i];
    *field = (uint8_t)-sum;
}

static void header_init(struct acpi_header *h, const char *sig, size_t len, uint8_t rev)
{
    memcpy(h->signature, sig, 4);
    h->length = (uint32_t)len;
    h->revision = rev;
    memcpy(h->oem_id, OEM_ID, 6);
    memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
    h->oem_revision = 1;
    memcpy(&h->creator_id, CREATOR_ID, 4);
    h->creator_revision = 1;
}

static void header_done(struct acpi_header *h)
{
    checksum_fix(h, h->length, &h->checksum);
}

static struct acpi_gas gas_io(uint16_t port, uint8_t bits, uint8_t access_size)
{
    struct acpi_gas g = {
        .space_id = ACPI_GAS_SYSTEM_IO, .bit_width = bits, .bit_offset = 0,
        .access_size = access_size, .address = port,
    };
    return g;
}

static void fadt_fill(struct acpi_fadt *f, uint64_t facs, uint64_t dsdt)
{
    header_init(&f->h, "FACP", sizeof(*f), FADT_REVISION);
    f->firmware_ctrl = (uint32_t)facs;
    f->dsdt = (uint32_t)dsdt;
    f->x_firmware_ctrl = facs;
    f->x_dsdt = dsdt;
    f->preferred_pm_profile = 0;        /* unspecified */
    f->sci_int = HVMBUILD_SCI_IRQ;
    f->smi_cmd = 0;                     /* no SMM: ACPI mode is always on */
    f->pm1a_evt_blk = HVMBUILD_PM1A_EVT_PORT;
    f->pm1a_cnt_blk = HVMBUILD_PM1A_CNT_PORT;
    f->pm_tmr_blk = HVMBUILD_PM_TMR_PORT;
    f->pm1_evt_len = 4;
    f->pm1_cnt_len = 2;
    f->pm_tmr_len = 4;
    /* Latencies above 100 / 1000 us mean "C2 / C3 not supported". */
    f->p_lvl2_lat = 101;
    f->p_lvl3_lat = 1001;
    f->iapc_boot_arch = ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_NO_VGA | ACPI_BOOT_NO_MSI;
    f->flags = ACPI_FADT_WBINVD | ACPI_FADT_C1_SUPPORTED | ACPI_FADT_PWR_BUTTON |
               ACPI_FADT_SLP_BUTTON | ACPI_FADT_TMR_VAL_EXT | ACPI_FADT_RESET_REG_SUP;
    f->reset_reg = gas_io(HVMBUILD_RESET_PORT, 8, 1);
    f->reset_value = HVMBUILD_RESET_VALUE;
    f->minor_version = FADT_MINOR;
    f->x_pm1a_evt_blk = gas_io(HVMBUILD_PM1A_EVT_PORT, 32, 2);
    f->x_pm1a_cnt_blk = gas_io(HVMBUILD_PM1A_CNT_PORT, 16, 2);
    f->x_pm_tmr_blk = gas_io(HVMBUILD_PM_TMR_PORT, 32, 3);
    header_done(&f->h);
}

static void facs_fill(struct acpi_facs *f)
{
    memcpy(f->signature, "FACS", 4);
    f->length = sizeof(*f);
    f->version = 2;
}

static void dsdt_fill(struct acpi_header *h)
{
    header_init(h, "DSDT", sizeof(*h) + sizeof(dsdt_aml), 2);
    memcpy(h + 1, dsdt_aml, sizeof(dsdt_aml));
    header_done(h);
}

static void madt_fill(struct acpi_madt *m, unsigned nr_vcpus)
{
    uint8_t *e = (uint8_t *)(m + 1);
    struct acpi_madt_ioapic *io;
    struct acpi_madt_iso *iso;
    struct acpi_madt_lapic_nmi *nmi;

    header_init(&m->h, "APIC", madt_len(nr_vcpus), MADT_REVISION);
    m->lapic_address = (uint32_t)HVMBUILD_LAPIC_GPA;
    m->flags = 1;                       /* PC-AT: the guest has the 8259 pair */
    for (unsigned i = 0; i < nr_vcpus; i++, e += sizeof(struct acpi_madt_lapic)) {
        struct acpi_madt_lapic *l = (void *)e;
        l->s.type = ACPI_MADT_LAPIC;
        l->s.length = sizeof(*l);
        l->processor_uid = (uint8_t)i;
        l->apic_id = (uint8_t)i;
        l->flags = ACPI_MADT_ENABLED;
    }
    io = (void *)e;
    io->s.type = ACPI_MADT_IOAPIC;
    io->s.length = sizeof(*io);
    io->ioapic_id = hvmbuild_ioapic_id(nr_vcpus);
    io->address = (uint32_t)HVMBUILD_IOAPIC_GPA;
    io->gsi_base = 0;
    e += sizeof(*io);
    /* The PIT's IRQ 0 is wired to IOAPIC pin 2 on PCs; the SCI is level, active high. */
    iso = (void *)e;
    *iso = (struct acpi_madt_iso){ { ACPI_MADT_ISO, sizeof(*iso) }, 0, 0, 2, 0 };
    e += sizeof(*iso);
    iso = (void *)e;
    *iso = (struct acpi_madt_iso){ { ACPI_MADT_ISO, sizeof(*iso) }, 0, HVMBUILD_SCI_IRQ,
                                   HVMBUILD_SCI_IRQ, ACPI_MPS_ACTIVE_HIGH | ACPI_MPS_LEVEL };
    e += sizeof(*iso);
    nmi = (void *)e;
    *nmi = (struct acpi_madt_lapic_nmi){ { ACPI_MADT_LAPIC_NMI, sizeof(*nmi) }, 0xff, 0, 1 };
    header_done(&m->h);
}

/* Node n's RAM: [start, start + numa->mem_bytes[n]). */
static void srat_fill(struct acpi_srat *s, const struct hvmbuild_acpi_params *p)
{
    const struct hvmbuild_numa *numa = p->numa;
    uint8_t *e = (uint8_t *)(s + 1);
    uint64_t start = 0;

    header_init(&s->h, "SRAT", srat_len(p), SRAT_REVISION);
    s->table_revision = 1;
    for (unsigned i = 0; i < p->nr_vcpus; i++, e += sizeof(struct acpi_srat_cpu)) {
        struct acpi_srat_cpu *c = (void *)e;
        c->s.type = ACPI_SRAT_CPU_AFFINITY;
        c->s.length = sizeof(*c);
        c->pxm_lo = numa->vcpu_node[i];
        c->apic_id = (uint8_t)i;
        c->flags = ACPI_SRAT_ENABLED;
    }
    for (unsigned n = 0; n < numa->nr_nodes; n++, e += sizeof(struct acpi_srat_mem)) {
        struct acpi_srat_mem *m = (void *)e;
        m->s.type = ACPI_SRAT_MEM_AFFINITY;
        m->s.length = sizeof(*m);
        m->pxm = n;
        m->base = start;
        m->length = numa->mem_bytes[n];
        m->flags = ACPI_SRAT_ENABLED;
        start += numa->mem_bytes[n];
    }
    header_done(&s->h);
}

static void slit_fill(struct acpi_slit *s, const struct hvmbuild_numa *numa)
{
    unsigned n = numa->nr_nodes;

    header_init(&s->h, "SLIT", slit_len(n), 1);
    s->localities = n;
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = 0; j < n; j++) {
            uint8_t d = numa->distance[i][j];
            if (d == 0)
                d = i == j ? ACPI_DISTANCE_LOCAL : ACPI_DISTANCE_REMOTE;
            s->entry[i * n + j] = d;
        }
    }
    header_done(&s->h);
}

static int params_check(const struct hvmbuild_acpi_params *p, uint64_t gpa)
{
    const struct hvmbuild_numa *numa = p->numa;

    if (p->nr_vcpus == 0 || p->nr_vcpus > HVMBUILD_MAX_VCPUS || (gpa & 15) ||
        gpa + HVMBUILD_ACPI_MAX > (1ULL << 32))
        return -EINVAL;
    if (!numa_nodes(p))
        return 0;
    if (numa->nr_nodes > HVMBUILD_MAX_VNODES)
        return -EINVAL;
    for (unsigned i = 0; i < p->nr_vcpus; i++)
        if (numa->vcpu_node[i] >= numa->nr_nodes)
            return -EINVAL;
    return 0;
}

int hvmbuild_acpi_build(const struct hvmbuild_acpi_params *p, void *buf, size_t len,
                        uint64_t gpa, struct hvmbuild_acpi_info *out)
{
    struct acpi_cursor c = { .buf = buf, .len = len, .off = 0, .gpa = gpa };
    unsigned roots = nr_root_entries(p), nodes = numa_nodes(p);
    struct acpi_rsdp *rsdp;
    struct acpi_header *xsdt, *rsdt;
    uint64_t xsdt_gpa = 0, rsdt_gpa = 0, tables[4] = { 0 };
    void *fadt, *facs, *dsdt, *madt, *srat = NULL, *slit = NULL;
    int rc;

    if ((rc = params_check(p, gpa)))
        return rc;
    if (len < hvmbuild_acpi_size(p))
        return -ENOSPC;
    memset(buf, 0, len);
    memset(out, 0, sizeof(*out));
    rsdp = place(&c, sizeof(*rsdp), 16, &out->rsdp_gpa);
    xsdt = place(&c, sizeof(*xsdt) + 8 * roots, 16, &xsdt_gpa);
    rsdt = place(&c, sizeof(*rsdt) + 4 * roots, 16, &rsdt_gpa);
    fadt = place(&c, sizeof(struct acpi_fadt), 16, &out->fadt_gpa);
    facs = place(&c, sizeof(struct acpi_facs), 64, &out->facs_gpa);
    dsdt = place(&c, sizeof(struct acpi_header) + sizeof(dsdt_aml), 16, &out->dsdt_gpa);
    madt = place(&c, madt_len(p->nr_vcpus), 16, &out->madt_gpa);
    if (nodes) {
        srat = place(&c, srat_len(p), 16, &out->srat_gpa);
        slit = place(&c, slit_len(nodes), 16, &out->slit_gpa);
    }
    out->len = c.off;

    facs_fill(facs);
    dsdt_fill(dsdt);
    fadt_fill(fadt, out->facs_gpa, out->dsdt_gpa);
    madt_fill(madt, p->nr_vcpus);
    tables[0] = out->fadt_gpa;
    tables[1] = out->madt_gpa;
    if (nodes) {
        srat_fill(srat, p);
        slit_fill(slit, p->numa);
        tables[2] = out->srat_gpa;
        tables[3] = out->slit_gpa;
    }
    header_init(xsdt, "XSDT", sizeof(*xsdt) + 8 * roots, 1);
    header_init(rsdt, "RSDT", sizeof(*rsdt) + 4 * roots, 1);
    for (unsigned i = 0; i < roots; i++) {
        uint32_t pa32 = (uint32_t)tables[i];
        memcpy((uint8_t *)(xsdt + 1) + 8 * i, &tables[i], 8);
        memcpy((uint8_t *)(rsdt + 1) + 4 * i, &pa32, 4);
    }
    header_done(xsdt);
    header_done(rsdt);

    memcpy(rsdp->signature, "RSD PTR ", 8);
    memcpy(rsdp->oem_id, OEM_ID, 6);
    rsdp->revision = 2;
    rsdp->rsdt_address = (uint32_t)rsdt_gpa;
    rsdp->length = sizeof(*rsdp);
    rsdp->xsdt_address = xsdt_gpa;
    checksum_fix(rsdp, ACPI_RSDP_V1_LEN, &rsdp->checksum);
    checksum_fix(rsdp, sizeof(*rsdp), &rsdp->ext_checksum);
    return 0;
}
