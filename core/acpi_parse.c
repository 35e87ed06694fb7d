/* ACPI table parsers: RSDP search, table lookup, MADT, SRAT, SLIT, FADT (+ the DSDT's
 * \_S5 package).
 *
 * Design: pure functions over memory the caller has mapped; no allocation, no global
 * state but the report hook. Each parser first checks signature, minimum length and
 * checksum of its table, then walks entries with next_subtable(), which refuses any
 * entry that would run past h->length. Every read is inside [h, h + h->length), which
 * is what the caller guarantees readable; so a corrupt table ends in -EINVAL and a
 * message, never in a stray read. Builds freestanding for the hypervisor and as an
 * ordinary program for tests/unit/test_acpi.c.
 *
 * Locking: none. Called once on the BSP before the APs start (see topology.h).
 *
 * Limitations: no AML interpreter (the \_S5 lookup pattern-matches the one shape
 * firmware emits: Name(_S5_, Package(){...})); hot-pluggable SRAT memory is ignored
 * (nothing here hot-adds memory); SRAT GICC/generic-initiator entries are ignored;
 * hardware-reduced ACPI (no PM1 blocks) is refused.
 */
#include <hvlab/acpi.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");
_Static_assert(sizeof(struct acpi_header) == 36, "header layout");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT layout");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC layout");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC layout");
_Static_assert(sizeof(struct acpi_madt_lapic_override) == 12, "MADT override layout");
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC layout");
_Static_assert(sizeof(struct acpi_srat) == 48, "SRAT layout");
_Static_assert(sizeof(struct acpi_srat_cpu) == 16, "SRAT CPU layout");
_Static_assert(sizeof(struct acpi_srat_mem) == 40, "SRAT memory layout");
_Static_assert(sizeof(struct acpi_srat_x2apic) == 24, "SRAT x2APIC layout");
_Static_assert(sizeof(struct acpi_slit) == 44, "SLIT layout");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT sleep control");
_Static_assert(sizeof(struct acpi_fadt) == ACPI_FADT_V5_LEN, "FADT layout");
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT override layout");
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT LAPIC NMI layout");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS layout");

void (*acpi_report)(const char *msg);

static void __printf(1, 2) acpi_warn(const char *fmt, ...)
{
    char buf[160];
    va_list ap;

    if (!acpi_report)
        return;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    acpi_report(buf);
}

bool acpi_checksum_ok(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += b[i];
    return sum == 0;
}

void acpi_table_sig(const struct acpi_header *h, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = h->signature[i];
        out[i] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    out[4] = '\0';
}

/* Signature, length >= min_len and checksum: what every parser needs before it reads
 * anything past the first 8 bytes. */
static int table_check(const struct acpi_header *h, const char *sig, size_t min_len)
{
    char name[5];

    if (!h)
        return -EINVAL;
    acpi_table_sig(h, name);
    if (memcmp(h->signature, sig, 4) != 0) {
        acpi_warn("expected table %s, got %s", sig, name);
        return -EINVAL;
    }
    if (h->length < min_len) {
        acpi_warn("%s: length %u, need at least %u", name, h->length,
                  (unsigned)min_len);
        return -EINVAL;
    }
    if (!acpi_checksum_ok(h, h->length)) {
        acpi_warn("%s: bad checksum", name);
        return -EINVAL;
    }
    return 0;
}

/* Steps *off to the next entry of h: 1 with *out set, 0 at the end, -EINVAL when the
 * entry's length is 0 or runs past the table (0 would loop forever). */
static int next_subtable(const struct acpi_header *h, size_t *off,
                         const struct acpi_subtable **out)
{
    size_t end = h->length, o = *off;
    const struct acpi_subtable *s;
    char name[5];

    if (o >= end)
        return 0;
    acpi_table_sig(h, name);
    if (end - o < sizeof(*s)) {
        acpi_warn("%s: %u stray bytes at the end ignored", name, (unsigned)(end - o));
        return 0;
    }
    s = (const void *)((const uint8_t *)h + o);
    if (s->length < sizeof(*s) || s->length > end - o) {
        acpi_warn("%s: entry type %u at offset %u has length %u, table length %u",
                  name, s->type, (unsigned)o, s->length, (unsigned)end);
        return -EINVAL;
    }
    *off = o + s->length;
    *out = s;
    return 1;
}

/* An entry shorter than its type's structure is corrupt; longer ones are newer
 * revisions and fine. */
static int subtable_need(const struct acpi_header *h, const struct acpi_subtable *s,
                         size_t need)
{
    char name[5];

    if (s->length >= need)
        return 0;
    acpi_table_sig(h, name);
    acpi_warn("%s: entry type %u has length %u, needs %u", name, s->type,
              s->length, (unsigned)need);
    return -EINVAL;
}

/* ---- RSDP and table lookup ---- */

long acpi_find_rsdp(const void *buf, size_t len)
{
    const uint8_t *base = buf;
    /* The 16-byte alignment is of the physical address; mappings keep page offsets. */
    size_t off = (size_t)(ALIGN_UP((uintptr_t)base, 16) - (uintptr_t)base);

    for (; off < len && len - off >= ACPI_RSDP_V1_LEN; off += 16) {
        const struct acpi_rsdp *r = (const void *)(base + off);

        if (memcmp(r->signature, "RSD PTR ", 8) != 0 ||
            !acpi_checksum_ok(r, ACPI_RSDP_V1_LEN))
            continue;
        if (r->revision < 2)
            return (long)off;
        if (len - off >= sizeof(*r) && r->length >= sizeof(*r) &&
            r->length <= len - off && acpi_checksum_ok(r, r->length))
            return (long)off;
        acpi_warn("RSDP revision %u at offset %lx: bad extended part, skipped",
                  r->revision, (unsigned long)off);
    }
    return -ENOENT;
}

/* The whole table at pa, or NULL when it cannot be mapped or is malformed. */
static const struct acpi_header *map_table(paddr_t pa, acpi_map_fn map)
{
    const struct acpi_header *h;
    uint32_t len;
    char name[5];

    if (pa == 0)
        return NULL;
    h = map(pa, sizeof(*h));
    if (!h) {
        acpi_warn("cannot map table header at %lx", (unsigned long)pa);
        return NULL;
    }
    len = h->length;
    acpi_table_sig(h, name);
    if (len < sizeof(*h)) {
        acpi_warn("%s at %lx: length %u too short", name, (unsigned long)pa, len);
        return NULL;
    }
    h = map(pa, len);
    if (!h) {
        acpi_warn("cannot map %s at %lx (%u bytes)", name, (unsigned long)pa, len);
        return NULL;
    }
    if (!acpi_checksum_ok(h, len)) {
        acpi_warn("%s at %lx: bad checksum", name, (unsigned long)pa);
        return NULL;
    }
    return h;
}

/* The root table: the XSDT when there is one and it is sound (some firmware ships a
 * broken XSDT next to a good RSDT), else the RSDT. *entry_size is 8 or 4. */
static const struct acpi_header *map_root(const struct acpi_rsdp *rsdp, acpi_map_fn map,
                                          size_t *entry_size)
{
    const struct acpi_header *root;

    if (!acpi_checksum_ok(rsdp, ACPI_RSDP_V1_LEN) ||
        memcmp(rsdp->signature, "RSD PTR ", 8) != 0) {
        acpi_warn("invalid RSDP");
        return NULL;
    }
    if (rsdp->revision >= 2 && rsdp->xsdt_address) {
        root = map_table(rsdp->xsdt_address, map);
        if (root && memcmp(root->signature, "XSDT", 4) == 0) {
            *entry_size = 8;
            return root;
        }
        acpi_warn("XSDT unusable, using the RSDT");
    }
    root = map_table(rsdp->rsdt_address, map);
    if (!root || memcmp(root->signature, "RSDT", 4) != 0) {
        acpi_warn("no usable RSDT");
        return NULL;
    }
    *entry_size = 4;
    return root;
}

static const struct acpi_header *find_dsdt(const struct acpi_rsdp *rsdp, acpi_map_fn map)
{
    const struct acpi_header *h = acpi_find_table(rsdp, "FACP", 0, map);
    const struct acpi_fadt *f = (const void *)h;
    paddr_t pa = 0;

    if (!h)
        return NULL;
    if (h->length >= offsetof(struct acpi_fadt, x_dsdt) + sizeof(f->x_dsdt))
        pa = f->x_dsdt;
    if (pa == 0 && h->length >= offsetof(struct acpi_fadt, dsdt) + sizeof(f->dsdt))
        pa = f->dsdt;
    h = map_table(pa, map);
    if (h && memcmp(h->signature, "DSDT", 4) != 0) {
        acpi_warn("FADT's DSDT pointer leads to something else");
        return NULL;
    }
    return h;
}

const struct acpi_header *acpi_find_table(const struct acpi_rsdp *rsdp, const char sig[4],
                                          unsigned index, acpi_map_fn map)
{
    const struct acpi_header *root;
    size_t esz, n;

    if (!rsdp)
        return NULL;
    if (memcmp(sig, "DSDT", 4) == 0)
        return index == 0 ? find_dsdt(rsdp, map) : NULL;
    root = map_root(rsdp, map, &esz);
    if (!root)
        return NULL;
    n = (root->length - sizeof(*root)) / esz;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = (const uint8_t *)(root + 1) + i * esz;
        const struct acpi_header *h;
        uint64_t pa = 0;

        memcpy(&pa, e, esz);            /* little-endian: the low bytes */
        if (pa == 0)
            continue;
        /* Peek at the signature before checksumming the whole table. */
        h = map(pa, sizeof(*h));
        if (!h || memcmp(h->signature, sig, 4) != 0)
            continue;
        h = map_table(pa, map);
        if (h && index-- == 0)
            return h;
    }
    return NULL;
}

/* ---- MADT ---- */

static void madt_add_cpu(struct topology *t, uint32_t apic_id)
{
    for (unsigned i = 0; i < t->nr_cpus; i++) {
        if (t->apic_id[i] == apic_id) {
            acpi_warn("MADT lists APIC id %u twice, ignoring the second", apic_id);
            return;
        }
    }
    if (t->nr_cpus == NR_CPUS) {
        acpi_warn("more than %u CPUs, ignoring APIC id %u", NR_CPUS, apic_id);
        return;
    }
    t->apic_id[t->nr_cpus++] = apic_id;
}

static bool madt_cpu_usable(const struct acpi_header *h, uint32_t flags)
{
    /* Online-capable is bit 1 only from MADT revision 5; before, it was reserved. */
    return (flags & ACPI_MADT_ENABLED) ||
           (h->revision >= 5 && (flags & ACPI_MADT_ONLINE_CAPABLE));
}

static int madt_entry(const struct acpi_header *h, const struct acpi_subtable *s,
                      struct topology *t, bool *have_ioapic)
{
    int rc = 0;

    switch (s->type) {
    case ACPI_MADT_LAPIC: {
        const struct acpi_madt_lapic *e = (const void *)s;
        if (!(rc = subtable_need(h, s, sizeof(*e))) && madt_cpu_usable(h, e->flags))
            madt_add_cpu(t, e->apic_id);
        break;
    }
    case ACPI_MADT_X2APIC: {
        const struct acpi_madt_x2apic *e = (const void *)s;
        if (!(rc = subtable_need(h, s, sizeof(*e))) && madt_cpu_usable(h, e->flags))
            madt_add_cpu(t, e->x2apic_id);
        break;
    }
    case ACPI_MADT_IOAPIC: {
        const struct acpi_madt_ioapic *e = (const void *)s;
        if (!(rc = subtable_need(h, s, sizeof(*e))) && !*have_ioapic) {
            t->ioapic_base = e->address;
            t->ioapic_id = e->ioapic_id;
            *have_ioapic = true;
        }
        break;
    }
    case ACPI_MADT_ISO: {               /* pdisk: where a PCI device's ISA IRQ arrives */
        const struct acpi_madt_iso *e = (const void *)s;
        /* A short one is skipped, as the types this parser does not know. */
        if (s->length >= sizeof(*e) && e->bus == 0 && e->source < 16) {
            t->isa_gsi[e->source] = e->gsi;
            t->isa_flags[e->source] = e->flags;
        }
        break;
    }
    case ACPI_MADT_LAPIC_OVERRIDE: {
        const struct acpi_madt_lapic_override *e = (const void *)s;
        if (!(rc = subtable_need(h, s, sizeof(*e))))
            t->lapic_base = e->address;
        break;
    }
    default:
        break;
    }
    return rc;
}

int acpi_parse_madt(const struct acpi_header *h, struct topology *t)
{
    const struct acpi_madt *madt = (const void *)h;
    const struct acpi_subtable *s;
    bool have_ioapic = false;
    size_t off = sizeof(*madt);
    int rc;

    if ((rc = table_check(h, "APIC", sizeof(*madt))))
        return rc;
    t->nr_cpus = 0;
    t->lapic_base = madt->lapic_address;
    t->ioapic_base = 0;
    t->ioapic_id = 0;
    for (unsigned i = 0; i < 16; i++) {
        t->isa_gsi[i] = i;
        t->isa_flags[i] = 0;
    }
    while ((rc = next_subtable(h, &off, &s)) > 0) {
        if ((rc = madt_entry(h, s, t, &have_ioapic)))
            return rc;
    }
    if (rc < 0)
        return rc;
    if (t->nr_cpus == 0) {
        acpi_warn("MADT lists no enabled CPU");
        return -EINVAL;
    }
    return 0;
}

/* ---- Default topology, SRAT, SLIT ---- */

static void default_distances(struct topology *t)
{
    for (unsigned i = 0; i < MAX_NUMNODES; i++)
        for (unsigned j = 0; j < MAX_NUMNODES; j++)
            t->distance[i][j] = i == j ? ACPI_DISTANCE_LOCAL : ACPI_DISTANCE_REMOTE;
}

void acpi_default_topology(struct topology *t)
{
    t->nr_nodes = 1;
    t->node_pxm[0] = 0;
    for (unsigned i = 0; i < NR_CPUS; i++)
        t->cpu_node[i] = 0;
    t->nr_mem_ranges = 0;
    default_distances(t);
}

/* Dense node index of proximity domain pxm, allocated on first use. */
static int srat_node(struct topology *t, uint32_t pxm)
{
    for (unsigned n = 0; n < t->nr_nodes; n++)
        if (t->node_pxm[n] == pxm)
            return (int)n;
    if (t->nr_nodes == MAX_NUMNODES) {
        acpi_warn("SRAT: more than %u proximity domains (pxm %u)", MAX_NUMNODES, pxm);
        return -ENOSPC;
    }
    t->node_pxm[t->nr_nodes] = pxm;
    return (int)t->nr_nodes++;
}

/* CPUs the MADT did not list (QEMU lists every possible CPU) are skipped before they
 * can allocate a node, so that every node holds something. */
static int srat_cpu(struct topology *t, uint32_t apic_id, uint32_t pxm)
{
    int node;

    for (unsigned i = 0; i < t->nr_cpus; i++) {
        if (t->apic_id[i] != apic_id)
            continue;
        if ((node = srat_node(t, pxm)) < 0)
            return node;
        if (t->cpu_node[i] != NUMA_NO_NODE && t->cpu_node[i] != node)
            acpi_warn("SRAT: APIC id %u in two proximity domains, using pxm %u",
                      apic_id, pxm);
        t->cpu_node[i] = (uint8_t)node;
        return 0;
    }
    return 0;
}

static int srat_mem(struct topology *t, const struct acpi_srat_mem *e, uint32_t pxm)
{
    uint64_t base = e->base, len = e->length;
    int node;

    /* QEMU appends a zero-length, disabled entry; hot-plug ranges are not RAM yet. */
    if (!(e->flags & ACPI_SRAT_ENABLED) || len == 0 || (e->flags & ACPI_SRAT_MEM_HOTPLUG))
        return 0;
    if (base + len < base) {
        acpi_warn("SRAT: memory range %lx+%lx wraps", (unsigned long)base,
                  (unsigned long)len);
        return -EINVAL;
    }
    if (t->nr_mem_ranges == MAX_MEM_RANGES) {
        acpi_warn("SRAT: more than %u memory ranges", MAX_MEM_RANGES);
        return -ENOSPC;
    }
    if ((node = srat_node(t, pxm)) < 0)
        return node;
    t->mem[t->nr_mem_ranges++] = (struct mem_range){ base, base + len, (uint8_t)node };
    return 0;
}

static int srat_entry(const struct acpi_header *h, const struct acpi_subtable *s,
                      struct topology *t)
{
    int rc;

    switch (s->type) {
    case ACPI_SRAT_CPU_AFFINITY: {
        const struct acpi_srat_cpu *e = (const void *)s;
        uint32_t pxm;
        if ((rc = subtable_need(h, s, sizeof(*e))) || !(e->flags & ACPI_SRAT_ENABLED))
            return rc;
        pxm = e->pxm_lo;
        /* The high bytes were reserved (and not always zero) before revision 2. */
        if (h->revision >= 2)
            pxm |= (uint32_t)e->pxm_hi[0] << 8 | (uint32_t)e->pxm_hi[1] << 16 |
                   (uint32_t)e->pxm_hi[2] << 24;
        return srat_cpu(t, e->apic_id, pxm);
    }
    case ACPI_SRAT_X2APIC_AFFINITY: {
        const struct acpi_srat_x2apic *e = (const void *)s;
        if ((rc = subtable_need(h, s, sizeof(*e))) || !(e->flags & ACPI_SRAT_ENABLED))
            return rc;
        return srat_cpu(t, e->x2apic_id, e->pxm);
    }
    case ACPI_SRAT_MEM_AFFINITY: {
        const struct acpi_srat_mem *e = (const void *)s;
        if ((rc = subtable_need(h, s, sizeof(*e))))
            return rc;
        return srat_mem(t, e, h->revision >= 2 ? e->pxm : e->pxm & 0xff);
    }
    default:
        return 0;
    }
}

int acpi_parse_srat(const struct acpi_header *h, struct topology *t)
{
    const struct acpi_subtable *s;
    size_t off = sizeof(struct acpi_srat);
    int rc;

    if ((rc = table_check(h, "SRAT", sizeof(struct acpi_srat))))
        goto fail;
    t->nr_nodes = 0;
    t->nr_mem_ranges = 0;
    for (unsigned i = 0; i < NR_CPUS; i++)
        t->cpu_node[i] = NUMA_NO_NODE;
    while ((rc = next_subtable(h, &off, &s)) > 0) {
        if ((rc = srat_entry(h, s, t)))
            goto fail;
    }
    if (rc < 0)
        goto fail;
    if (t->nr_nodes == 0) {
        acpi_warn("SRAT describes no node");
        rc = -EINVAL;
        goto fail;
    }
    for (unsigned i = 0; i < NR_CPUS; i++) {
        if (t->cpu_node[i] != NUMA_NO_NODE)
            continue;
        /* Node 0 rather than NUMA_NO_NODE: users index arrays with cpu_node[]. */
        if (i < t->nr_cpus)
            acpi_warn("SRAT: no node for APIC id %u, using node 0", t->apic_id[i]);
        t->cpu_node[i] = 0;
    }
    default_distances(t);
    return 0;

fail:
    acpi_default_topology(t);
    return rc;
}

/* Firmware's own sanity rule (as Linux applies it): 10 to itself, more to anyone else. */
static bool slit_distance_ok(unsigned from, unsigned to, uint8_t d)
{
    return from == to ? d == ACPI_DISTANCE_LOCAL : d > ACPI_DISTANCE_LOCAL;
}

int acpi_parse_slit(const struct acpi_header *h, struct topology *t)
{
    const struct acpi_slit *slit = (const void *)h;
    uint8_t d[MAX_NUMNODES][MAX_NUMNODES];
    uint64_t n;
    int rc;

    if ((rc = table_check(h, "SLIT", sizeof(*slit))))
        return rc;
    n = slit->localities;
    /* n <= 0xffff keeps n * n from overflowing; the table length bounds it anyway. */
    if (n == 0 || n > 0xffff || n * n > h->length - sizeof(*slit)) {
        acpi_warn("SLIT: %lu localities do not fit in %u bytes", (unsigned long)n,
                  h->length);
        return -EINVAL;
    }
    for (unsigned i = 0; i < t->nr_nodes; i++) {
        if (t->node_pxm[i] >= n) {
            acpi_warn("SLIT: %lu localities, but node %u is proximity domain %u",
                      (unsigned long)n, i, t->node_pxm[i]);
            return -EINVAL;
        }
    }
    for (unsigned i = 0; i < t->nr_nodes; i++) {
        for (unsigned j = 0; j < t->nr_nodes; j++) {
            d[i][j] = slit->entry[t->node_pxm[i] * n + t->node_pxm[j]];
            if (!slit_distance_ok(i, j, d[i][j])) {
                acpi_warn("SLIT: distance %u from pxm %u to pxm %u is invalid",
                          d[i][j], t->node_pxm[i], t->node_pxm[j]);
                return -EINVAL;
            }
        }
    }
    for (unsigned i = 0; i < t->nr_nodes; i++)
        for (unsigned j = 0; j < t->nr_nodes; j++)
            t->distance[i][j] = d[i][j];
    return 0;
}

/* ---- FADT and \_S5 ---- */

#define AML_ZERO_OP     0x00
#define AML_ONE_OP      0x01
#define AML_NAME_OP     0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_PACKAGE_OP  0x12
#define AML_ROOT_CHAR   0x5c

/* First element of the package whose PackageOp is at aml[off]: 0 with *val set,
 * -ENOENT if it is not a package holding a small integer first. */
static int aml_package_first(const uint8_t *aml, size_t len, size_t off, uint8_t *val)
{
    size_t pkg, pkg_end, nbytes;
    uint32_t pkglen;

    if (off >= len || aml[off] != AML_PACKAGE_OP)
        return -ENOENT;
    pkg = off + 1;                  /* PkgLength counts from its own first byte */
    if (pkg >= len)
        return -ENOENT;
    nbytes = aml[pkg] >> 6;
    if (nbytes == 0) {
        pkglen = aml[pkg] & 0x3f;
    } else {
        if (len - pkg <= nbytes)
            return -ENOENT;
        pkglen = aml[pkg] & 0x0f;
        for (size_t i = 1; i <= nbytes; i++)
            pkglen |= (uint32_t)aml[pkg + i] << (4 + 8 * (i - 1));
    }
    pkg_end = pkg + pkglen;
    if (pkglen > len - pkg || pkg + 1 + nbytes + 1 >= pkg_end)
        return -ENOENT;             /* past the table, or no room for an element */
    if (aml[pkg + 1 + nbytes] == 0)
        return -ENOENT;             /* NumElements */
    off = pkg + 1 + nbytes + 1;
    switch (aml[off]) {
    case AML_ZERO_OP:
        *val = 0;
        return 0;
    case AML_ONE_OP:
        *val = 1;
        return 0;
    case AML_BYTE_PREFIX:
        /* SLP_TYP is a 3-bit field of PM1_CNT. */
        if (off + 1 >= pkg_end || aml[off + 1] > 7)
            return -ENOENT;
        *val = aml[off + 1];
        return 0;
    default:
        return -ENOENT;
    }
}

/* SLP_TYPa for S5 from the DSDT's Name(_S5_, Package(){a, ...}). The name is only
 * taken where a NameOp (optionally with a root prefix) defines it, not where code
 * merely refers to it. */
static int aml_s5_slp_typ(const struct acpi_header *dsdt, uint8_t *typ)
{
    const uint8_t *aml = (const uint8_t *)dsdt;
    size_t len = dsdt->length, body = sizeof(*dsdt);

    for (size_t i = body; i + 4 <= len; i++) {
        size_t name = i;

        if (memcmp(aml + i, "_S5_", 4) != 0)
            continue;
        if (name > body && aml[name - 1] == AML_ROOT_CHAR)
            name--;
        if (name <= body || aml[name - 1] != AML_NAME_OP)
            continue;
        if (aml_package_first(aml, len, i + 4, typ) == 0)
            return 0;
    }
    return -ENOENT;
}

/* The X_ block when the FADT is long enough to have it and it names an I/O port,
 * else the legacy 32-bit field; 0 when neither is usable. */
static uint32_t fadt_port(const struct acpi_header *h, size_t x_off, uint32_t legacy)
{
    struct acpi_gas g;

    if (h->length >= x_off + sizeof(g)) {
        memcpy(&g, (const uint8_t *)h + x_off, sizeof(g));
        if (g.address && g.space_id == ACPI_GAS_SYSTEM_IO)
            return g.address <= 0xffff ? (uint32_t)g.address : 0;
    }
    return legacy <= 0xffff ? legacy : 0;
}

int acpi_parse_fadt(const struct acpi_header *fadt, const struct acpi_header *dsdt,
                    struct topology *t)
{
    const struct acpi_fadt *f = (const void *)fadt;
    uint32_t cnt, tmr;
    int rc;

    if ((rc = table_check(fadt, "FACP", ACPI_FADT_V1_LEN)))
        return rc;
    cnt = fadt_port(fadt, offsetof(struct acpi_fadt, x_pm1a_cnt_blk), f->pm1a_cnt_blk);
    tmr = f->pm_tmr_len == 4 ?
          fadt_port(fadt, offsetof(struct acpi_fadt, x_pm_tmr_blk), f->pm_tmr_blk) : 0;
    if (cnt == 0) {
        acpi_warn("FADT has no PM1a control port (hardware-reduced ACPI?)");
        return -EINVAL;
    }
    t->pm1a_cnt_port = (uint16_t)cnt;
    t->pm_tmr_port = (uint16_t)tmr;
    t->pm_tmr_32bit = tmr && (f->flags & ACPI_FADT_TMR_VAL_EXT);
    t->s5_slp_typ = 0;

    if (!dsdt || table_check(dsdt, "DSDT", sizeof(*dsdt)) != 0 ||
        aml_s5_slp_typ(dsdt, &t->s5_slp_typ) != 0) {
        acpi_warn("no usable \\_S5 in the DSDT: poweroff uses SLP_TYP 0");
        t->s5_slp_typ = 0;
        return -ENOENT;
    }
    return 0;
}
