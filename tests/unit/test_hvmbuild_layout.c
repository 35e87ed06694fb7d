/* The HVM builder's layout refusals: a table of images and configs that must be
 * refused before anything is allocated, each with its errno and a part of its
 * message (which must name the file). Then where the layout puts things when it
 * accepts. */
#include "unit.h"
#include "hvmbuild_fixture.h"

#include <hvlab/errno.h>
#include <hvlab/hvmbuild_internal.h>

#define MiB (1ULL << 20)

static uint8_t img[FX_CAP];
static char last_msg[512];
static int nr_msgs;
static uint8_t blob[6 * MiB];
static char long_cmdline[5000];

static void report(void *arg, const char *msg)
{
    (void)arg;
    snprintf(last_msg, sizeof(last_msg), "%s", msg);
    nr_msgs++;
}

/* ---- images ---- */

static size_t mb_elf(void)
{
    struct fx_elf e = { .entry = 0x100010, .nsegs = 2,
                        .seg = { { 0x100000, 0, 0x800, 0x2000 }, { 0x200000, 0, 0x100, 0x1000 } },
                        .mb = true };
    return fx_make_elf(img, &e);
}

static size_t mb_seg(uint64_t paddr, uint64_t memsz, uint64_t entry)
{
    struct fx_elf e = { .entry = entry, .nsegs = 1, .seg = { { paddr, 0, 0x10, memsz } },
                        .mb = true };
    return fx_make_elf(img, &e);
}

static size_t seg_low(void) { return mb_seg(0x2000, 0x1000, 0x2000); }
static size_t seg_hole(void) { return mb_seg(0xf0000, 0x1000, 0xf0000); }
static size_t seg_high(void) { return mb_seg(0x3000000, 32 * MiB, 0x3000000); }
static size_t entry_high(void) { return fx_make_kludge(img, 0x40, 0x100000, 0x3000, 0, 0x5000000); }
static size_t entry_gap(void) { return mb_seg(0x100000, 0x1000, 0x180000); }

static size_t bz(void)
{
    struct fx_bz z = fx_bz_default();
    return fx_make_bzimage(img, &z);
}

static size_t bz_fixed(void)
{
    struct fx_bz z = fx_bz_default();
    z.relocatable = 0;
    return fx_make_bzimage(img, &z);
}

/* ---- configs ---- */

static struct hvmbuild_module one_blob = { blob, 3 * MiB, NULL };
static struct hvmbuild_module big_initrd = { blob, 6 * MiB, NULL };
static struct hvmbuild_module two_mods[2] = { { blob, 10, NULL }, { blob, 10, NULL } };
static struct hvmbuild_module many_mods[17];
static struct hvmbuild_numa numa_bad_sum = { .nr_nodes = 2, .mem_bytes = { 16 * MiB, 8 * MiB } };

struct refusal {
    const char *name;
    size_t (*make)(void);
    struct hvmbuild_config cfg;
    int rc;
    const char *msg;
};

#define CFG(...) { .report = report, __VA_ARGS__ }

static const struct refusal refusals[] = {
    { "too_many_vcpus", mb_elf, CFG(.mem_bytes = 64 * MiB, .nr_vcpus = 256), -E2BIG,
      "256 vCPUs: the MADT describes at most 255" },
    { "memory_1MiB", mb_elf, CFG(.mem_bytes = 1 * MiB), -ENOMEM, "memory 0x100000 bytes" },
    { "memory_over_ioapic", mb_elf, CFG(.mem_bytes = 0xfec01000ULL), -ENOMEM,
      "below the IOAPIC window" },
    { "memory_not_pages", mb_elf, CFG(.mem_bytes = 64 * MiB + 12), -ENOMEM, "whole pages" },
    { "entry_outside_ram", entry_high, CFG(.mem_bytes = 64 * MiB), -EINVAL,
      "entry point 0x5000000 outside the guest's RAM" },
    { "entry_outside_segments", entry_gap, CFG(.mem_bytes = 64 * MiB), -EINVAL,
      "not inside any loaded segment" },
    { "segment_over_low_structures", seg_low, CFG(.mem_bytes = 64 * MiB), -EINVAL,
      "overlaps the builder's structures" },
    { "segment_in_legacy_hole", seg_hole, CFG(.mem_bytes = 64 * MiB), -EINVAL,
      "reserved legacy region [0x9f000, 0x100000)" },
    { "segment_outside_ram", seg_high, CFG(.mem_bytes = 64 * MiB), -ENOMEM,
      "outside the guest's RAM" },
    { "kernel_plus_modules_too_big", mb_elf, CFG(.mem_bytes = 4 * MiB, .nr_modules = 1,
                                                 .modules = &one_blob), -ENOMEM,
      "too small for the kernel" },
    { "module_bigger_than_memory", mb_elf, CFG(.mem_bytes = 2 * MiB, .nr_modules = 1,
                                               .modules = &one_blob), -ENOMEM,
      "too small for the modules" },
    { "linux_kernel_plus_initrd_too_big", bz, CFG(.mem_bytes = 8 * MiB, .nr_modules = 1,
                                                  .modules = &big_initrd), -ENOMEM,
      "too small for the kernel (init_size 4194304 at 0x1000000 or relocated) and the initrd" },
    { "linux_fixed_address_beyond_ram", bz_fixed, CFG(.mem_bytes = 16 * MiB), -ENOMEM,
      "too small for the kernel (init_size 4194304 at 0x1000000, not relocatable)" },
    { "linux_two_modules", bz, CFG(.mem_bytes = 64 * MiB, .nr_modules = 2,
                                   .modules = two_mods), -E2BIG, "takes one (the initrd)" },
    { "linux_cmdline_over_cmdline_size", bz, CFG(.mem_bytes = 64 * MiB,
                                                 .cmdline = long_cmdline + 2000), -E2BIG,
      "the kernel takes at most 2047" },
    { "cmdline_too_long", mb_elf, CFG(.mem_bytes = 64 * MiB, .cmdline = long_cmdline), -E2BIG,
      "command line of 4999 bytes (at most 4095)" },
    { "too_many_modules", mb_elf, CFG(.mem_bytes = 64 * MiB, .nr_modules = 17,
                                      .modules = many_mods), -E2BIG, "17 modules (at most 16)" },
    { "numa_memory_mismatch", mb_elf, CFG(.mem_bytes = 32 * MiB, .numa = &numa_bad_sum),
      -EINVAL, "virtual nodes hold 24 MiB, the domain has 32" },
};

static void refusal_table(void)
{
    memset(long_cmdline, 'x', sizeof(long_cmdline) - 1);
    for (size_t i = 0; i < sizeof(many_mods) / sizeof(many_mods[0]); i++)
        many_mods[i] = (struct hvmbuild_module){ blob, 10, NULL };
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        const struct refusal *r = &refusals[i];
        struct hvmbuild_image im;
        struct hvmbuild_layout l;
        int before = unit_failed_checks;
        size_t len = r->make();

        nr_msgs = 0;
        last_msg[0] = '\0';
        CHECK_EQ(hvmbuild_detect(img, len, "cfg/k.elf", &im, report, NULL), 0);
        CHECK_EQ(hvmbuild_layout(&im, &r->cfg, &l), r->rc);
        CHECK_EQ(nr_msgs, 1);
        CHECK(strncmp(last_msg, "cfg/k.elf: ", 11) == 0);
        if (!strstr(last_msg, r->msg)) {
            printf("  message \"%s\" lacks \"%s\"\n", last_msg, r->msg);
            unit_failed_checks++;
        }
        if (getenv("HVMBUILD_VERBOSE"))
            printf("  %s: %s\n", r->name, last_msg);
        if (unit_failed_checks != before)
            printf("  (in case %s)\n", r->name);
    }
}

/* Accepted layouts: 0 vCPUs means 1, modules at the top going down, page-aligned,
 * the ACPI range in the E820, the maximum vCPU count accepted. */
static void accepted_layouts(void)
{
    struct hvmbuild_module mods[2] = { { blob, 5000, NULL }, { blob, 0x3000, NULL } };
    struct hvmbuild_config cfg = { .mem_bytes = 64 * MiB, .nr_modules = 2, .modules = mods,
                                   .report = report };
    struct hvmbuild_image im;
    struct hvmbuild_layout l;
    bool acpi = false;
    size_t len = mb_elf();

    CHECK_EQ(hvmbuild_detect(img, len, "k", &im, report, NULL), 0);
    CHECK_EQ(hvmbuild_layout(&im, &cfg, &l), 0);
    CHECK_EQ(l.nr_vcpus, 1);
    CHECK_EQ(l.module_gpa[0], 64 * MiB - 0x2000);
    CHECK_EQ(l.module_gpa[1], 64 * MiB - 0x5000);
    CHECK_EQ(l.modules_lo, 64 * MiB - 0x5000);
    CHECK_EQ(l.kernel_lo, 0x100000);
    CHECK_EQ(l.kernel_hi, 0x201000);
    for (unsigned i = 0; i < l.nr_e820; i++)
        acpi |= l.e820[i].type == E820_ACPI && l.e820[i].addr == l.acpi_gpa &&
                l.e820[i].size >= l.acpi_len;
    CHECK(acpi);
    cfg.nr_vcpus = HVMBUILD_MAX_VCPUS;
    CHECK_EQ(hvmbuild_layout(&im, &cfg, &l), 0);
    CHECK(l.acpi_len <= HVMBUILD_ACPI_MAX);
}

/* Without an initrd, initrd_addr_max must not bound the kernel: a low limit (8 MiB)
 * once pushed it down from pref_address (16 MiB) to 2 MiB. */
static void linux_no_initrd_ignores_initrd_max(void)
{
    struct fx_bz z = fx_bz_default();
    struct hvmbuild_config cfg = { .mem_bytes = 64 * MiB, .report = report };
    struct hvmbuild_image im;
    struct hvmbuild_layout l;
    size_t len;

    z.initrd_addr_max = 8 * MiB - 1;
    len = fx_make_bzimage(img, &z);
    CHECK_EQ(hvmbuild_detect(img, len, "k", &im, report, NULL), 0);
    CHECK_EQ(hvmbuild_layout(&im, &cfg, &l), 0);
    CHECK_EQ(l.modules_lo, 64 * MiB);
    CHECK_EQ(l.seg[0].paddr, 16 * MiB);
}

static const struct unit_case cases[] = {
    { "refusal_table", refusal_table },
    { "accepted_layouts", accepted_layouts },
    { "linux_no_initrd_ignores_initrd_max", linux_no_initrd_ignores_initrd_max },
};

UNIT_MAIN(cases)
