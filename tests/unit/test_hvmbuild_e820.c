/* The HVM guest's E820 map: a table of memory sizes with the expected map each, the
 * ACPI range laid over the legacy hole or over RAM, and the refusals. */
#include "unit.h"

#include <hvlab/errno.h>
#include <hvlab/hvmbuild.h>

#define MiB (1ULL << 20)

struct want { uint64_t addr, end; uint32_t type; };

struct e820_case {
    const char *name;
    uint64_t mem, acpi_gpa, acpi_len;
    int n;
    struct want e[8];
};

#define LOW_RAM   { 0, 0x9f000, E820_RAM }
#define HOLE      { 0x9f000, 0x100000, E820_RESERVED }
#define IOAPIC    { 0xfec00000, 0xfec01000, E820_RESERVED }
#define LAPIC     { 0xfee00000, 0xfee01000, E820_RESERVED }

static const struct e820_case cases_tab[] = {
    { "2MiB_no_acpi", 2 * MiB, 0, 0, 5,
      { LOW_RAM, HOLE, { 0x100000, 2 * MiB, E820_RAM }, IOAPIC, LAPIC } },
    { "16MiB_acpi_in_hole", 16 * MiB, 0xe0000, 0x1000, 7,
      { LOW_RAM, { 0x9f000, 0xe0000, E820_RESERVED }, { 0xe0000, 0xe1000, E820_ACPI },
        { 0xe1000, 0x100000, E820_RESERVED }, { 0x100000, 16 * MiB, E820_RAM },
        IOAPIC, LAPIC } },
    { "256MiB_acpi_in_hole", 256 * MiB, 0xe0000, 0x2000, 7,
      { LOW_RAM, { 0x9f000, 0xe0000, E820_RESERVED }, { 0xe0000, 0xe2000, E820_ACPI },
        { 0xe2000, 0x100000, E820_RESERVED }, { 0x100000, 256 * MiB, E820_RAM },
        IOAPIC, LAPIC } },
    { "1GiB_acpi_in_ram", 1024 * MiB, 0x3ff00000, 0x10000, 7,
      { LOW_RAM, HOLE, { 0x100000, 0x3ff00000, E820_RAM },
        { 0x3ff00000, 0x3ff10000, E820_ACPI }, { 0x3ff10000, 1024 * MiB, E820_RAM },
        IOAPIC, LAPIC } },
    { "3GiB_acpi_at_hole_start", 3072 * MiB, 0x9f000, 0x1000, 6,
      { LOW_RAM, { 0x9f000, 0xa0000, E820_ACPI }, { 0xa0000, 0x100000, E820_RESERVED },
        { 0x100000, 3072 * MiB, E820_RAM }, IOAPIC, LAPIC } },
    { "max_below_ioapic", HVMBUILD_MAX_MEM, 0xe0000, 0x20000, 6,
      { LOW_RAM, { 0x9f000, 0xe0000, E820_RESERVED }, { 0xe0000, 0x100000, E820_ACPI },
        { 0x100000, HVMBUILD_MAX_MEM, E820_RAM }, IOAPIC, LAPIC } },
    { "refuse_1MiB", 1 * MiB, 0, 0, -EINVAL, { { 0, 0, 0 } } },
    { "refuse_unaligned", 16 * MiB + 100, 0, 0, -EINVAL, { { 0, 0, 0 } } },
    { "refuse_over_ioapic", HVMBUILD_MAX_MEM + 0x1000, 0, 0, -EINVAL, { { 0, 0, 0 } } },
};

static void run_case(const struct e820_case *c)
{
    struct hvmbuild_e820_entry e[HVMBUILD_E820_MAX];
    int n = hvmbuild_e820(c->mem, c->acpi_gpa, c->acpi_len, e, HVMBUILD_E820_MAX);

    CHECK_EQ(n, c->n);
    for (int i = 0; i < n && i < c->n; i++) {
        CHECK_EQ(e[i].addr, c->e[i].addr);
        CHECK_EQ(e[i].addr + e[i].size, c->e[i].end);
        CHECK_EQ(e[i].type, c->e[i].type);
    }
    for (int i = 1; i < n; i++)
        CHECK(e[i].addr >= e[i - 1].addr + e[i - 1].size);     /* sorted, disjoint */
}

static void all_sizes(void)
{
    for (size_t i = 0; i < sizeof(cases_tab) / sizeof(cases_tab[0]); i++) {
        int before = unit_failed_checks;
        run_case(&cases_tab[i]);
        if (unit_failed_checks != before)
            printf("  (in case %s)\n", cases_tab[i].name);
    }
}

static void too_few_slots(void)
{
    struct hvmbuild_e820_entry e[4];

    CHECK_EQ(hvmbuild_e820(16 * MiB, 0xe0000, 0x1000, e, 4), -ENOSPC);
}

/* Sizes every 4 KiB + 1 MiB apart: the RAM in the map always adds up to the memory
 * minus the hole and the ACPI range. */
static void ram_adds_up(void)
{
    for (uint64_t mem = 2 * MiB; mem < 1024 * MiB; mem += 33 * MiB + 0x1000) {
        struct hvmbuild_e820_entry e[HVMBUILD_E820_MAX];
        int n = hvmbuild_e820(mem, 0xe0000, 0x3000, e, HVMBUILD_E820_MAX);
        uint64_t ram = 0;

        CHECK_EQ(n, 7);
        for (int i = 0; i < n; i++)
            if (e[i].type == E820_RAM)
                ram += e[i].size;
        CHECK_EQ(ram, mem - (0x100000 - 0x9f000));
    }
}

/* The store's page (dom0/xl_hvm.c) is RAM the E820 reserves, clear of the builder's
 * low structures and of the largest ACPI tables: no kernel or loader uses it. */
static void store_page_reserved(void)
{
    struct hvmbuild_e820_entry e[HVMBUILD_E820_MAX];
    int n = hvmbuild_e820(16 * MiB, HVMBUILD_ACPI_GPA, HVMBUILD_ACPI_MAX, e, HVMBUILD_E820_MAX);
    int covered = 0;

    CHECK(n > 0);
    for (int i = 0; i < n; i++)
        if (e[i].addr <= HVMBUILD_STORE_GPA && HVMBUILD_STORE_GPA + 0x1000 <= e[i].addr + e[i].size)
            covered = (int)e[i].type;
    CHECK_EQ(covered, E820_RESERVED);
    CHECK(HVMBUILD_STORE_GPA >= HVMBUILD_LOW_END);
    CHECK(HVMBUILD_STORE_GPA + 0x1000 <= HVMBUILD_ACPI_GPA);
    CHECK(HVMBUILD_STORE_GPA + 0x1000 <= 16 * MiB);    /* backed: gfns below mem */
}

static const struct unit_case cases[] = {
    { "store_page_reserved", store_page_reserved },
    { "sizes_table", all_sizes },
    { "too_few_slots_enospc", too_few_slots },
    { "ram_adds_up", ram_adds_up },
};

UNIT_MAIN(cases)
