/* libFuzzer target: the ACPI parsers (core/acpi_parse.c). The first input byte picks
 * the mode:
 *   even: the rest is one table; its header's length is clamped to the bytes given
 *         (the contract: a table handed to a parser is readable for its whole
 *         length), and every parser (MADT, SRAT, SLIT, FADT with itself as DSDT)
 *         runs on it, as a hostile firmware could label any table anything;
 *   odd:  the rest is physical memory from address 0: the RSDP is searched in it and
 *         the RSDT/XSDT, MADT, SRAT, SLIT, FADT and DSDT are found through it and
 *         parsed, as at boot. map() serves only ranges inside the input.
 * The input sits in a block of exactly its size: ASan flags any read past it. */
#include <stdlib.h>
#include <string.h>

#include <hvlab/acpi.h>
#include <hvlab/topology.h>

static const uint8_t *mem;
static size_t mem_len;

static const void *map(paddr_t pa, size_t len)
{
    if (pa > mem_len || len > mem_len - pa)
        return NULL;
    return mem + pa;
}

static void parse_all(const struct acpi_header *madt, const struct acpi_header *srat,
                      const struct acpi_header *slit, const struct acpi_header *fadt,
                      const struct acpi_header *dsdt)
{
    static struct topology t;

    /* Without a usable MADT the SRAT and SLIT still get parsed, against a machine of
     * no CPUs (a zeroed topology), so that their coverage does not depend on the same
     * bytes also being a valid MADT. */
    memset(&t, 0, sizeof(t));
    if (!madt || acpi_parse_madt(madt, &t) != 0)
        memset(&t, 0, sizeof(t));
    acpi_default_topology(&t);
    if (srat && acpi_parse_srat(srat, &t) == 0 && slit)
        acpi_parse_slit(slit, &t);
    if (fadt)
        acpi_parse_fadt(fadt, dsdt, &t);
}

static void one_table(uint8_t *buf, size_t len)
{
    struct acpi_header *h = (struct acpi_header *)buf;
    char sig[5];

    if (len < sizeof(*h))
        return;
    if (h->length > len)
        h->length = (uint32_t)len;
    acpi_checksum_ok(h, h->length);
    acpi_table_sig(h, sig);
    parse_all(h, h, h, h, h);
}

static void memory(const uint8_t *buf, size_t len)
{
    long off = acpi_find_rsdp(buf, len);
    const struct acpi_rsdp *rsdp;

    if (off < 0)
        return;
    if ((size_t)off >= len)
        abort();
    rsdp = (const struct acpi_rsdp *)(buf + off);
    mem = buf;
    mem_len = len;
    parse_all(acpi_find_table(rsdp, "APIC", 0, map), acpi_find_table(rsdp, "SRAT", 0, map),
              acpi_find_table(rsdp, "SLIT", 0, map), acpi_find_table(rsdp, "FACP", 0, map),
              acpi_find_table(rsdp, "DSDT", 0, map));
    acpi_find_table(rsdp, "APIC", 1, map);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf;

    if (size < 1)
        return 0;
    buf = malloc(size - 1 ? size - 1 : 1);
    memcpy(buf, data + 1, size - 1);
    if (data[0] & 1)
        memory(buf, size - 1);
    else
        one_table(buf, size - 1);
    free(buf);
    return 0;
}
