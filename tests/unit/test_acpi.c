/* ACPI parsers against tables captured from QEMU 7.2 (tests/data/acpi/<config>/, made
 * by capture.py there) and against synthetic, mostly broken, tables.
 *
 * Each captured configuration becomes a fake physical memory: every table in its own
 * malloc'd block of exactly its length (so ASan flags any read past a table), plus a
 * zeroed BIOS area 0xE0000-0xFFFFF holding the RSDP. acpi_map() serves ranges that lie
 * inside one block, as the boot code's direct map would. Run from the repository root. */
#include "unit.h"

#include <hvlab/acpi.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>

#define DATA_DIR   "tests/data/acpi/"
#define BIOS_BASE  0xE0000u
#define BIOS_SIZE  0x20000u
#define MAX_BLOBS  16

struct blob {
    char name[8];
    paddr_t pa;
    size_t len;
    uint8_t *data;
};

struct machine {
    unsigned nr;
    struct blob b[MAX_BLOBS];
    uint8_t *bios;
    paddr_t rsdp_pa;
};

static struct machine *cur;     /* what acpi_map() serves */

static const void *acpi_map(paddr_t pa, size_t len)
{
    for (unsigned i = 0; i < cur->nr; i++) {
        struct blob *b = &cur->b[i];
        if (pa >= b->pa && pa - b->pa <= b->len && len <= b->len - (pa - b->pa))
            return b->data + (pa - b->pa);
    }
    if (pa >= BIOS_BASE && pa + len <= BIOS_BASE + BIOS_SIZE)
        return cur->bios + (pa - BIOS_BASE);
    return NULL;
}

/* ---- report hook ---- */

static int nr_msgs;
static char last_msg[256];

static void record(const char *msg)
{
    nr_msgs++;
    snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

static void reset_msgs(void)
{
    acpi_report = record;
    nr_msgs = 0;
    last_msg[0] = '\0';
}

/* ---- loading captures ---- */

static uint8_t *load_file(const char *path, size_t want)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p;

    if (!f)
        return NULL;
    p = malloc(want);
    if (fread(p, 1, want, f) != want || fgetc(f) != EOF) {
        free(p);
        p = NULL;
    }
    fclose(f);
    return p;
}

static bool machine_load(struct machine *m, const char *cfg)
{
    char path[256], line[4096];
    bool ok = true;
    FILE *f;

    memset(m, 0, sizeof(*m));
    m->bios = calloc(1, BIOS_SIZE);
    snprintf(path, sizeof(path), DATA_DIR "%s/manifest.txt", cfg);
    if (!(f = fopen(path, "r"))) {
        printf("  cannot open %s (run from the repository root)\n", path);
        return false;
    }
    while (fgets(line, sizeof(line), f)) {
        struct blob *b = &m->b[m->nr];
        char file[64];
        unsigned long long pa;
        size_t len;

        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (m->nr == MAX_BLOBS ||
            sscanf(line, "%7s %llx %zu %63s", b->name, &pa, &len, file) != 4) {
            printf("  %s: bad line: %s", cfg, line);
            ok = false;
            break;
        }
        snprintf(path, sizeof(path), DATA_DIR "%s/%s", cfg, file);
        b->pa = pa;
        b->len = len;
        if (!(b->data = load_file(path, len))) {
            printf("  cannot load %s (%zu bytes)\n", path, len);
            ok = false;
            break;
        }
        if (strcmp(b->name, "RSDP") == 0) {
            m->rsdp_pa = pa;
            if (pa >= BIOS_BASE && pa + len <= BIOS_BASE + BIOS_SIZE)
                memcpy(m->bios + (pa - BIOS_BASE), b->data, len);
        }
        m->nr++;
    }
    fclose(f);
    cur = m;
    return ok && m->rsdp_pa != 0;
}

static void machine_free(struct machine *m)
{
    for (unsigned i = 0; i < m->nr; i++)
        free(m->b[i].data);
    free(m->bios);
}

static struct blob *machine_blob(struct machine *m, const char *name)
{
    for (unsigned i = 0; i < m->nr; i++)
        if (strcmp(m->b[i].name, name) == 0)
            return &m->b[i];
    return NULL;
}

static const struct acpi_rsdp *machine_rsdp(struct machine *m)
{
    long off = acpi_find_rsdp(m->bios, BIOS_SIZE);
    return off < 0 ? NULL : (const void *)(m->bios + off);
}

/* What the boot code does: MADT, default topology, SRAT and SLIT if present, FADT. */
static bool machine_topology(struct machine *m, struct topology *t)
{
    const struct acpi_rsdp *rsdp = machine_rsdp(m);
    const struct acpi_header *h;

    memset(t, 0x5a, sizeof(*t));        /* nothing may rely on a zeroed topology */
    CHECK(rsdp != NULL);
    if (!rsdp)
        return false;
    CHECK((h = acpi_find_table(rsdp, "APIC", 0, acpi_map)) != NULL);
    CHECK_EQ(acpi_parse_madt(h, t), 0);
    acpi_default_topology(t);
    if ((h = acpi_find_table(rsdp, "SRAT", 0, acpi_map)))
        CHECK_EQ(acpi_parse_srat(h, t), 0);
    if ((h = acpi_find_table(rsdp, "SLIT", 0, acpi_map)))
        CHECK_EQ(acpi_parse_slit(h, t), 0);
    CHECK_EQ(acpi_parse_fadt(acpi_find_table(rsdp, "FACP", 0, acpi_map),
                             acpi_find_table(rsdp, "DSDT", 0, acpi_map), t), 0);
    return true;
}

/* ---- expected values: follow capture.py's command lines ---- */

struct expect {
    const char *cfg;
    unsigned nr_cpus, nr_nodes;
    uint8_t cpu_node[8];
    unsigned nr_mem;
    struct mem_range mem[6];
    uint8_t dist[4][4];
};

#define LOW(n)   { 0, 0xa0000, n }, { 0x100000, MiB(128), n }  /* QEMU splits at the 640K hole */
#define MB128(i, n) { MiB(128) * (i), MiB(128) * ((i) + 1), n }

static const struct expect expects[] = {
    { "smp1", 1, 1, { 0 }, 0, { { 0 } }, { { 10 } } },
    { "smp4-2nodes", 4, 2, { 0, 0, 1, 1 }, 3, { LOW(0), MB128(1, 1) },
      { { 10, 21 }, { 21, 10 } } },
    { "smp8-4nodes", 8, 4, { 0, 0, 1, 1, 2, 2, 3, 3 }, 5,
      { LOW(0), MB128(1, 1), MB128(2, 2), MB128(3, 3) },
      { { 10, 21, 31, 41 }, { 21, 10, 21, 31 }, { 32, 21, 10, 21 }, { 41, 31, 21, 10 } } },
    { "smp2-2nodes-cpuless", 2, 2, { 0, 0 }, 3, { LOW(0), MB128(1, 1) },
      { { 10, 21 }, { 21, 10 } } },
};

/* ---- captured machines ---- */

static void test_rsdp_found(void)
{
    for (size_t c = 0; c < ARRAY_SIZE(expects); c++) {
        struct machine m;
        if (machine_load(&m, expects[c].cfg)) {
            long off = acpi_find_rsdp(m.bios, BIOS_SIZE);
            CHECK_EQ(off, (long)(m.rsdp_pa - BIOS_BASE));
            CHECK_EQ(((const struct acpi_rsdp *)(m.bios + off))->revision, 0);
        } else {
            CHECK(!"captured data missing");
        }
        machine_free(&m);
    }
}

static void test_find_every_table(void)
{
    for (size_t c = 0; c < ARRAY_SIZE(expects); c++) {
        struct machine m;
        const struct acpi_rsdp *rsdp;

        reset_msgs();
        CHECK(machine_load(&m, expects[c].cfg));
        rsdp = machine_rsdp(&m);
        for (unsigned i = 0; rsdp && i < m.nr; i++) {
            struct blob *b = &m.b[i];
            if (strcmp(b->name, "RSDP") == 0 || strcmp(b->name, "RSDT") == 0)
                continue;
            /* The very bytes loaded for that table, not a copy. */
            CHECK(acpi_find_table(rsdp, b->name, 0, acpi_map) == (const void *)b->data);
            CHECK(acpi_find_table(rsdp, b->name, 1, acpi_map) == NULL);
        }
        CHECK(acpi_find_table(rsdp, "SSDT", 0, acpi_map) == NULL);
        CHECK_EQ(nr_msgs, 0);
        machine_free(&m);
    }
}

static void test_madt_captured(void)
{
    for (size_t c = 0; c < ARRAY_SIZE(expects); c++) {
        const struct expect *e = &expects[c];
        struct machine m;
        struct topology t;

        reset_msgs();
        if (machine_load(&m, e->cfg) && machine_topology(&m, &t)) {
            CHECK_EQ(t.nr_cpus, e->nr_cpus);
            for (unsigned i = 0; i < t.nr_cpus && i < NR_CPUS; i++)
                CHECK_EQ(t.apic_id[i], i);
            CHECK_EQ(t.lapic_base, 0xfee00000);
            CHECK_EQ(t.ioapic_base, 0xfec00000);
            CHECK_EQ(t.ioapic_id, 0);
        }
        CHECK_EQ(nr_msgs, 0);
        machine_free(&m);
    }
}

static void test_numa_captured(void)
{
    for (size_t c = 0; c < ARRAY_SIZE(expects); c++) {
        const struct expect *e = &expects[c];
        struct machine m;
        struct topology t;

        reset_msgs();
        if (!machine_load(&m, e->cfg) || !machine_topology(&m, &t)) {
            CHECK(!"cannot load");
            machine_free(&m);
            continue;
        }
        CHECK_EQ(t.nr_nodes, e->nr_nodes);
        for (unsigned n = 0; n < t.nr_nodes && n < MAX_NUMNODES; n++)
            CHECK_EQ(t.node_pxm[n], n);     /* QEMU's pxm = node id, in order */
        for (unsigned i = 0; i < e->nr_cpus; i++)
            CHECK_EQ(t.cpu_node[i], e->cpu_node[i]);
        CHECK_EQ(t.nr_mem_ranges, e->nr_mem);
        for (unsigned i = 0; i < e->nr_mem && i < t.nr_mem_ranges; i++) {
            CHECK_EQ(t.mem[i].start, e->mem[i].start);
            CHECK_EQ(t.mem[i].end, e->mem[i].end);
            CHECK_EQ(t.mem[i].node, e->mem[i].node);
        }
        for (unsigned i = 0; i < e->nr_nodes; i++)
            for (unsigned j = 0; j < e->nr_nodes; j++)
                CHECK_EQ(t.distance[i][j], e->dist[i][j]);
        CHECK_EQ(nr_msgs, 0);
        machine_free(&m);
    }
}

static void test_fadt_captured(void)
{
    for (size_t c = 0; c < ARRAY_SIZE(expects); c++) {
        struct machine m;
        struct topology t;

        reset_msgs();
        if (machine_load(&m, expects[c].cfg) && machine_topology(&m, &t)) {
            /* PIIX4 PM at 0x600; FADT flags 0x80a5: no TMR_VAL_EXT; \_S5 = {0,0,0,0}. */
            CHECK_EQ(t.pm1a_cnt_port, 0x604);
            CHECK_EQ(t.pm_tmr_port, 0x608);
            CHECK_EQ(t.pm_tmr_32bit, false);
            CHECK_EQ(t.s5_slp_typ, 0);
        }
        CHECK_EQ(nr_msgs, 0);
        machine_free(&m);
    }
}

static void test_no_srat_one_node(void)
{
    struct machine m;
    struct topology t;

    if (machine_load(&m, "smp1") && machine_topology(&m, &t)) {
        CHECK(acpi_find_table(machine_rsdp(&m), "SRAT", 0, acpi_map) == NULL);
        CHECK_EQ(t.nr_nodes, 1);
        CHECK_EQ(t.node_pxm[0], 0);
        CHECK_EQ(t.cpu_node[0], 0);
        CHECK_EQ(t.nr_mem_ranges, 0);
        CHECK_EQ(t.distance[0][0], 10);
        CHECK_EQ(t.distance[0][1], 20);
    }
    machine_free(&m);
}

/* ---- synthetic tables ---- */

struct tb {
    uint8_t buf[512];
    size_t len;
};

static void tb_put(struct tb *b, const void *p, size_t n)
{
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

static void tb_start(struct tb *b, const char *sig, uint8_t rev, size_t body_zeroes)
{
    struct acpi_header h = { .revision = rev };

    memset(b, 0, sizeof(*b));
    memcpy(h.signature, sig, 4);
    tb_put(b, &h, sizeof(h));
    b->len += body_zeroes;
}

static uint8_t sum8(const void *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return sum;
}

static void fix_checksum(struct acpi_header *h, size_t len)
{
    h->checksum = 0;
    h->checksum = (uint8_t)-sum8(h, len);
}

/* A malloc'd copy of exactly max(len, header) bytes with length and checksum set. */
static struct acpi_header *tb_finish(struct tb *b, uint32_t length)
{
    size_t n = b->len > sizeof(struct acpi_header) ? b->len : sizeof(struct acpi_header);
    struct acpi_header *h = malloc(n);

    memcpy(h, b->buf, n);
    h->length = length;
    fix_checksum(h, length < n ? length : n);
    return h;
}

static struct acpi_header *tb_done(struct tb *b) { return tb_finish(b, (uint32_t)b->len); }

static void madt_lapic(struct tb *b, uint8_t apic_id, uint32_t flags)
{
    struct acpi_madt_lapic e = { { ACPI_MADT_LAPIC, sizeof(e) }, apic_id, apic_id, flags };
    tb_put(b, &e, sizeof(e));
}

static void srat_cpu(struct tb *b, uint8_t apic_id, uint8_t pxm)
{
    struct acpi_srat_cpu e = { .s = { ACPI_SRAT_CPU_AFFINITY, sizeof(e) }, .pxm_lo = pxm,
                               .apic_id = apic_id, .flags = ACPI_SRAT_ENABLED };
    tb_put(b, &e, sizeof(e));
}

static void srat_mem(struct tb *b, uint32_t pxm, uint64_t base, uint64_t len, uint32_t flags)
{
    struct acpi_srat_mem e = { .s = { ACPI_SRAT_MEM_AFFINITY, sizeof(e) }, .pxm = pxm,
                               .base = base, .length = len, .flags = flags };
    tb_put(b, &e, sizeof(e));
}

static void two_cpus(struct topology *t)
{
    memset(t, 0, sizeof(*t));
    t->nr_cpus = 2;
    t->apic_id[0] = 0;
    t->apic_id[1] = 1;
    acpi_default_topology(t);
}

static void test_checksum_corrupt(void)
{
    struct machine m;
    struct topology t;
    struct blob *apic;

    reset_msgs();
    CHECK(acpi_checksum_ok("\x01\xff", 2));
    CHECK(!acpi_checksum_ok("\x01\xfe", 2));
    if (!machine_load(&m, "smp4-2nodes")) {
        CHECK(!"cannot load");
        machine_free(&m);
        return;
    }
    apic = machine_blob(&m, "APIC");
    apic->data[50] ^= 0x40;
    CHECK_EQ(acpi_parse_madt((const void *)apic->data, &t), -EINVAL);
    CHECK(nr_msgs > 0 && strstr(last_msg, "checksum"));
    /* A table with a bad checksum is not found at all. */
    CHECK(acpi_find_table(machine_rsdp(&m), "APIC", 0, acpi_map) == NULL);
    CHECK(acpi_find_table(machine_rsdp(&m), "SRAT", 0, acpi_map) != NULL);
    /* Nor is an RSDP with a bad checksum. */
    m.bios[m.rsdp_pa - BIOS_BASE + 9] ^= 1;
    CHECK_EQ(acpi_find_rsdp(m.bios, BIOS_SIZE), -ENOENT);
    machine_free(&m);
}

static void test_madt_entry_overruns(void)
{
    struct acpi_madt_lapic bad = { { ACPI_MADT_LAPIC, 32 }, 0, 0, 1 };
    struct topology t;
    struct tb b;
    struct acpi_header *h;

    reset_msgs();
    tb_start(&b, "APIC", 1, 8);
    madt_lapic(&b, 0, ACPI_MADT_ENABLED);
    tb_put(&b, &bad, sizeof(bad));      /* says 32 bytes, 8 are left */
    h = tb_done(&b);
    CHECK_EQ(acpi_parse_madt(h, &t), -EINVAL);
    CHECK(nr_msgs > 0);
    free(h);

    /* Length 0 would never advance; 4 is shorter than a local APIC entry. */
    for (uint8_t len = 0; len < 8; len += 4) {
        tb_start(&b, "APIC", 1, 8);
        bad.s.length = len;
        tb_put(&b, &bad, sizeof(bad));
        h = tb_done(&b);
        CHECK_EQ(acpi_parse_madt(h, &t), -EINVAL);
        free(h);
    }
}

static void test_madt_x2apic_override_flags(void)
{
    struct acpi_madt_x2apic x2 = { { ACPI_MADT_X2APIC, sizeof(x2) }, 0, 300,
                                   ACPI_MADT_ENABLED, 7 };
    struct acpi_madt_lapic_override ov = { { ACPI_MADT_LAPIC_OVERRIDE, sizeof(ov) }, 0,
                                           0xfed00000 };
    struct topology t;
    struct tb b;
    struct acpi_header *h;

    for (uint8_t rev = 1; rev <= 5; rev += 4) {
        reset_msgs();
        tb_start(&b, "APIC", rev, 8);
        madt_lapic(&b, 2, ACPI_MADT_ENABLED);
        madt_lapic(&b, 4, 0);                           /* disabled: not a CPU */
        madt_lapic(&b, 5, ACPI_MADT_ONLINE_CAPABLE);    /* a CPU from revision 5 */
        madt_lapic(&b, 2, ACPI_MADT_ENABLED);           /* duplicate: dropped */
        tb_put(&b, &x2, sizeof(x2));
        tb_put(&b, &ov, sizeof(ov));
        h = tb_done(&b);
        CHECK_EQ(acpi_parse_madt(h, &t), 0);
        CHECK_EQ(t.nr_cpus, rev >= 5 ? 3 : 2);
        CHECK_EQ(t.apic_id[0], 2);
        CHECK_EQ(t.apic_id[rev >= 5 ? 2 : 1], 300);
        CHECK_EQ(t.lapic_base, 0xfed00000);
        CHECK_EQ(t.ioapic_base, 0);
        CHECK_EQ(nr_msgs, 1);                           /* the duplicate */
        free(h);
    }
}

static void test_srat_zero_length_skipped(void)
{
    struct topology t;
    struct tb b;
    struct acpi_header *h;

    reset_msgs();
    two_cpus(&t);
    tb_start(&b, "SRAT", 1, 12);
    srat_cpu(&b, 0, 0);
    srat_cpu(&b, 1, 0);
    srat_mem(&b, 0, 0, 0, ACPI_SRAT_ENABLED);           /* enabled, but empty */
    srat_mem(&b, 0, 0x100000, MiB(64), ACPI_SRAT_ENABLED);
    srat_mem(&b, 0, GiB(4), GiB(1), ACPI_SRAT_ENABLED | ACPI_SRAT_MEM_HOTPLUG);
    srat_mem(&b, 0, GiB(8), GiB(1), 0);                 /* disabled */
    h = tb_done(&b);
    CHECK_EQ(acpi_parse_srat(h, &t), 0);
    CHECK_EQ(t.nr_nodes, 1);
    CHECK_EQ(t.nr_mem_ranges, 1);
    CHECK_EQ(t.mem[0].start, 0x100000);
    CHECK_EQ(t.mem[0].end, 0x100000 + MiB(64));
    CHECK_EQ(nr_msgs, 0);
    free(h);
}

static void test_srat_node_order_x2apic(void)
{
    struct acpi_srat_x2apic x2 = { { ACPI_SRAT_X2APIC_AFFINITY, sizeof(x2) }, 0, 9, 300,
                                   ACPI_SRAT_ENABLED, 0, 0 };
    struct topology t;
    struct tb b;
    struct acpi_header *h;

    reset_msgs();
    two_cpus(&t);
    t.nr_cpus = 3;
    t.apic_id[2] = 300;
    /* Memory of pxm 5 comes first, so pxm 5 is node 0 even though CPUs name pxm 3. */
    tb_start(&b, "SRAT", 1, 12);
    srat_mem(&b, 5, 0, MiB(16), ACPI_SRAT_ENABLED);
    srat_cpu(&b, 0, 3);
    srat_cpu(&b, 1, 5);
    srat_cpu(&b, 7, 6);                 /* not in the MADT: allocates no node */
    tb_put(&b, &x2, sizeof(x2));
    srat_mem(&b, 3, MiB(16), MiB(16), ACPI_SRAT_ENABLED);
    h = tb_done(&b);
    CHECK_EQ(acpi_parse_srat(h, &t), 0);
    CHECK_EQ(t.nr_nodes, 3);
    CHECK_EQ(t.node_pxm[0], 5);
    CHECK_EQ(t.node_pxm[1], 3);
    CHECK_EQ(t.node_pxm[2], 9);
    CHECK_EQ(t.cpu_node[0], 1);
    CHECK_EQ(t.cpu_node[1], 0);
    CHECK_EQ(t.cpu_node[2], 2);
    CHECK_EQ(t.mem[0].node, 0);
    CHECK_EQ(t.mem[1].node, 1);
    CHECK_EQ(t.distance[1][2], 20);
    free(h);
}

static void test_srat_too_many_nodes(void)
{
    struct topology t;
    struct tb b;
    struct acpi_header *h;

    reset_msgs();
    two_cpus(&t);
    tb_start(&b, "SRAT", 1, 12);
    for (unsigned i = 0; i <= MAX_NUMNODES; i++)
        srat_mem(&b, i, MiB(16) * i, MiB(16), ACPI_SRAT_ENABLED);
    h = tb_done(&b);
    CHECK_EQ(acpi_parse_srat(h, &t), -ENOSPC);
    CHECK(nr_msgs > 0);
    CHECK_EQ(t.nr_nodes, 1);            /* fell back to the default topology */
    CHECK_EQ(t.nr_mem_ranges, 0);
    free(h);
}

/* The last entry of a table, of every type and every length up to 40 bytes, with the
 * table ending right after it: known types shorter than their structure are refused,
 * and nothing reads past the end (ASan watches the exact-size allocation). */
static void test_short_entry_every_type(void)
{
    static const struct { const char *sig; size_t hdr; uint8_t need[256]; } tabs[] = {
        { "APIC", sizeof(struct acpi_madt),
          { [ACPI_MADT_LAPIC] = 8, [ACPI_MADT_IOAPIC] = 12, [ACPI_MADT_LAPIC_OVERRIDE] = 12,
            [ACPI_MADT_X2APIC] = 16 } },
        { "SRAT", sizeof(struct acpi_srat),
          { [ACPI_SRAT_CPU_AFFINITY] = 16, [ACPI_SRAT_MEM_AFFINITY] = 40,
            [ACPI_SRAT_X2APIC_AFFINITY] = 24 } },
    };
    static const uint8_t zeroes[40];

    acpi_report = NULL;
    for (size_t k = 0; k < ARRAY_SIZE(tabs); k++) {
        for (unsigned type = 0; type < 256; type++) {
            for (uint8_t len = 2; len <= 40; len++) {
                struct topology t;
                struct acpi_subtable e = { (uint8_t)type, len };
                struct tb b;
                struct acpi_header *h;
                int rc, want = len < tabs[k].need[type] ? -EINVAL : 0;

                two_cpus(&t);
                tb_start(&b, tabs[k].sig, 1, tabs[k].hdr - sizeof(struct acpi_header));
                if (k == 0)
                    madt_lapic(&b, 0, ACPI_MADT_ENABLED);
                else
                    srat_cpu(&b, 0, 0);
                tb_put(&b, &e, sizeof(e));
                tb_put(&b, zeroes, len - sizeof(e));
                h = tb_done(&b);
                rc = k == 0 ? acpi_parse_madt(h, &t) : acpi_parse_srat(h, &t);
                if (rc != want) {
                    printf("  %s type %u length %u: rc %d, want %d\n", tabs[k].sig, type,
                           len, rc, want);
                    unit_failed_checks++;
                }
                free(h);
            }
        }
    }
}

static struct acpi_header *make_slit(uint64_t n, const uint8_t *d, size_t nd)
{
    struct tb b;

    tb_start(&b, "SLIT", 1, 0);
    tb_put(&b, &n, sizeof(n));
    tb_put(&b, d, nd);
    return tb_done(&b);
}

static void test_slit_bad(void)
{
    static const uint8_t d2[] = { 10, 21, 21, 10 }, bad_diag[] = { 10, 21, 21, 11 };
    struct topology t;
    struct acpi_header *h;

    reset_msgs();
    two_cpus(&t);
    t.nr_nodes = 2;
    t.node_pxm[1] = 1;
    h = make_slit(1, d2, 1);            /* one locality for two nodes */
    CHECK_EQ(acpi_parse_slit(h, &t), -EINVAL);
    CHECK(nr_msgs > 0);
    free(h);
    h = make_slit(3, d2, 4);            /* 3x3 does not fit in 4 bytes */
    CHECK_EQ(acpi_parse_slit(h, &t), -EINVAL);
    free(h);
    h = make_slit(0x100000001ull, d2, 4);   /* n * n would overflow 32 bits */
    CHECK_EQ(acpi_parse_slit(h, &t), -EINVAL);
    free(h);
    h = make_slit(2, bad_diag, 4);
    CHECK_EQ(acpi_parse_slit(h, &t), -EINVAL);
    CHECK_EQ(t.distance[1][1], 10);     /* untouched by a rejected table */
    CHECK_EQ(t.distance[0][1], 20);
    free(h);
    h = make_slit(2, d2, 4);
    CHECK_EQ(acpi_parse_slit(h, &t), 0);
    CHECK_EQ(t.distance[0][1], 21);
    free(h);
}

static void test_truncated_header(void)
{
    struct topology t;
    struct tb b;
    struct acpi_header *h;
    static const char *const sigs[] = { "APIC", "SRAT", "SLIT", "FACP" };

    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
        reset_msgs();
        two_cpus(&t);
        tb_start(&b, sigs[i], 1, 0);
        h = tb_finish(&b, 20);
        if (i == 0) CHECK_EQ(acpi_parse_madt(h, &t), -EINVAL);
        if (i == 1) CHECK_EQ(acpi_parse_srat(h, &t), -EINVAL);
        if (i == 2) CHECK_EQ(acpi_parse_slit(h, &t), -EINVAL);
        if (i == 3) CHECK_EQ(acpi_parse_fadt(h, NULL, &t), -EINVAL);
        CHECK(nr_msgs > 0 && strstr(last_msg, "length"));
        free(h);
    }
    /* And through the RSDT: a listed table claiming 20 bytes is skipped. */
    struct machine m;
    if (machine_load(&m, "smp1")) {
        struct blob *apic = machine_blob(&m, "APIC");
        ((struct acpi_header *)apic->data)->length = 20;
        CHECK(acpi_find_table(machine_rsdp(&m), "APIC", 0, acpi_map) == NULL);
    }
    machine_free(&m);
}

static struct acpi_header *make_dsdt(const void *aml, size_t n)
{
    struct tb b;

    tb_start(&b, "DSDT", 2, 0);
    tb_put(&b, aml, n);
    return tb_done(&b);
}

#define AML(s) s, sizeof(s) - 1

static void test_s5_shapes(void)
{
    static const struct { const char *name; const char *aml; size_t n; int rc; uint8_t typ; } c[] = {
        /* A reference (no NameOp) first, then \_S5_ = Package(2){ 0x05, 0x05 }. */
        { "byteprefix", AML("\x10_S5_\x08\\_S5_\x12\x06\x02\x0a\x05\x0a\x05"), 0, 5 },
        { "one", AML("\x08_S5_\x12\x04\x02\x01\x01"), 0, 1 },
        { "pkglen 2 bytes", AML("\x08_S5_\x12\x45\x00\x02\x01\x01"), 0, 1 },
        { "cut after PackageOp", AML("\x08_S5_\x12"), -ENOENT, 0 },
        { "cut in BytePrefix", AML("\x08_S5_\x12\x04\x01\x0a"), -ENOENT, 0 },
        { "BytePrefix past package", AML("\x08_S5_\x12\x03\x01\x0a\x05"), -ENOENT, 0 },
        { "SLP_TYP above 7", AML("\x08_S5_\x12\x04\x01\x0a\x09"), -ENOENT, 0 },
        { "pkglen past table", AML("\x08_S5_\x12\x3f\x01\x00"), -ENOENT, 0 },
        { "no elements", AML("\x08_S5_\x12\x03\x00\x00"), -ENOENT, 0 },
        { "not a package", AML("\x08_S5_\x0a\x05"), -ENOENT, 0 },
        { "reference only", AML("\x10_S5_\x12\x04\x02\x01\x01"), -ENOENT, 0 },
    };
    struct machine m;
    struct topology t;

    if (!machine_load(&m, "smp1")) {
        CHECK(!"cannot load");
        machine_free(&m);
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
        struct acpi_header *d = make_dsdt(c[i].aml, c[i].n);
        reset_msgs();
        t.s5_slp_typ = 0x77;
        if (acpi_parse_fadt((const void *)machine_blob(&m, "FACP")->data, d, &t) != c[i].rc ||
            t.s5_slp_typ != c[i].typ) {
            printf("  case %s: rc/typ wrong (typ %u)\n", c[i].name, t.s5_slp_typ);
            unit_failed_checks++;
        }
        CHECK_EQ(t.pm1a_cnt_port, 0x604);   /* filled even without \_S5 */
        free(d);
    }
    machine_free(&m);
}

static void test_rsdp_v2_xsdt(void)
{
    struct machine m;
    struct acpi_rsdp r = { .signature = "RSD PTR ", .revision = 2, .length = 36 };
    struct blob *apic;
    struct tb b;
    uint8_t *x;

    if (!machine_load(&m, "smp4-2nodes")) {
        CHECK(!"cannot load");
        machine_free(&m);
        return;
    }
    reset_msgs();
    /* An XSDT at 0x1000 listing only the MADT, next to QEMU's RSDT. */
    apic = machine_blob(&m, "APIC");
    tb_start(&b, "XSDT", 1, 0);
    tb_put(&b, &apic->pa, 8);
    m.b[m.nr] = (struct blob){ "XSDT", 0x1000, b.len, (uint8_t *)tb_done(&b) };
    m.nr++;
    r.rsdt_address = (uint32_t)machine_blob(&m, "RSDT")->pa;
    r.xsdt_address = 0x1000;
    r.checksum = (uint8_t)-sum8(&r, ACPI_RSDP_V1_LEN);
    r.ext_checksum = (uint8_t)-sum8(&r, sizeof(r));
    x = m.bios + 0x100;
    memcpy(x, &r, sizeof(r));
    CHECK_EQ(acpi_find_rsdp(m.bios, BIOS_SIZE), 0x100);    /* before QEMU's */
    CHECK(acpi_find_table((const void *)x, "APIC", 0, acpi_map) == (const void *)apic->data);
    CHECK(acpi_find_table((const void *)x, "SRAT", 0, acpi_map) == NULL); /* not in XSDT */
    CHECK_EQ(nr_msgs, 0);
    /* A broken XSDT: fall back to the RSDT, which does list the SRAT. */
    m.b[m.nr - 1].data[20] ^= 1;
    CHECK(acpi_find_table((const void *)x, "SRAT", 0, acpi_map) != NULL);
    CHECK(nr_msgs > 0);
    /* A bad extended checksum disqualifies the candidate: QEMU's RSDP is found. */
    x[33] ^= 1;
    CHECK_EQ(acpi_find_rsdp(m.bios, BIOS_SIZE), (long)(m.rsdp_pa - BIOS_BASE));
    machine_free(&m);
}

/* Every captured table cut short and with 1500 single-byte
 * corruptions (checksum fixed up so the parsers go deep): only -errno or 0, sane
 * counts, and no sanitizer report. */
static void test_fuzz_captured(void)
{
    static const char *const cfgs[] = { "smp8-4nodes", "smp2-2nodes-cpuless" };
    uint32_t seed = 12345;

    acpi_report = NULL;
    for (size_t c = 0; c < ARRAY_SIZE(cfgs); c++) {
        struct machine m;
        struct topology good, t;

        if (!machine_load(&m, cfgs[c]) || !machine_topology(&m, &good)) {
            CHECK(!"cannot load");
            machine_free(&m);
            continue;
        }
        const void *fadt = machine_blob(&m, "FACP")->data;
        for (unsigned i = 0; i < m.nr; i++) {
            struct blob *bl = &m.b[i];
            size_t n = bl->len > 36 ? bl->len : 36;
            if (strcmp(bl->name, "RSDP") == 0)
                continue;
            /* Every truncation of the small tables; of the DSDT, a sample. */
            unsigned stride = bl->len / 256 + 1;
            for (unsigned iter = 0; iter < bl->len + 1500; iter += iter < bl->len ? stride : 1) {
                struct acpi_header *h = malloc(n);
                int rc = 0;
                memcpy(h, bl->data, bl->len);
                if (iter < bl->len) {
                    h->length = iter;
                } else {
                    seed = seed * 1103515245 + 12345;
                    /* Half the time a small value: types and lengths are small. */
                    ((uint8_t *)h)[36 + (seed >> 8) % (bl->len - 36)] =
                        (uint8_t)(seed & 0x80000000 ? seed >> 24 : (seed >> 24) & 0x1f);
                }
                if (h->length >= 10)
                    fix_checksum(h, h->length < n ? h->length : n);
                t = good;
                if (!strcmp(bl->name, "APIC")) rc = acpi_parse_madt(h, &t);
                if (!strcmp(bl->name, "SRAT")) rc = acpi_parse_srat(h, &t);
                if (!strcmp(bl->name, "SLIT")) rc = acpi_parse_slit(h, &t);
                if (!strcmp(bl->name, "FACP")) rc = acpi_parse_fadt(h, NULL, &t);
                if (!strcmp(bl->name, "DSDT")) rc = acpi_parse_fadt(fadt, h, &t);
                CHECK(rc == 0 || rc == -EINVAL || rc == -ENOSPC || rc == -ENOENT);
                CHECK(t.nr_cpus <= NR_CPUS && t.nr_nodes <= MAX_NUMNODES &&
                      t.nr_mem_ranges <= MAX_MEM_RANGES && t.s5_slp_typ <= 7);
                free(h);
            }
        }
        machine_free(&m);
    }
}

static void test_table_sig(void)
{
    struct acpi_header h = { .signature = { 'A', 'P', '\n', 'C' } };
    char s[5];

    acpi_table_sig(&h, s);
    CHECK_STREQ(s, "AP?C");
}

static const struct unit_case cases[] = {
    { "rsdp_found", test_rsdp_found },
    { "find_every_table", test_find_every_table },
    { "madt_captured", test_madt_captured },
    { "numa_captured", test_numa_captured },
    { "fadt_captured", test_fadt_captured },
    { "no_srat_one_node", test_no_srat_one_node },
    { "checksum_corrupt", test_checksum_corrupt },
    { "madt_entry_overruns", test_madt_entry_overruns },
    { "madt_x2apic_override_flags", test_madt_x2apic_override_flags },
    { "short_entry_every_type", test_short_entry_every_type },
    { "srat_zero_length_skipped", test_srat_zero_length_skipped },
    { "srat_node_order_x2apic", test_srat_node_order_x2apic },
    { "srat_too_many_nodes", test_srat_too_many_nodes },
    { "slit_bad", test_slit_bad },
    { "truncated_header", test_truncated_header },
    { "s5_shapes", test_s5_shapes },
    { "rsdp_v2_xsdt", test_rsdp_v2_xsdt },
    { "fuzz_captured", test_fuzz_captured },
    { "table_sig", test_table_sig },
};

UNIT_MAIN(cases)
