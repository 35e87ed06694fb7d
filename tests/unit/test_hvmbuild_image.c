/* Kernel image detection: a table of crafted images, each with the protocol and entry
 * it must be recognised as, or the refusal message it must get (naming the file).
 * Then the real kernel's setup header when one is installed on this machine. */
#include "unit.h"
#include "hvmbuild_fixture.h"

#include <glob.h>
#include <hvlab/errno.h>
#include <hvlab/hvmbuild_internal.h>

static uint8_t img[FX_CAP];
static char last_msg[512];
static int nr_msgs;

static void report(void *arg, const char *msg)
{
    (void)arg;
    snprintf(last_msg, sizeof(last_msg), "%s", msg);
    nr_msgs++;
}

/* ---- image makers ---- */

static const struct fx_seg seg_1m = { 0x100000, 0, 0x800, 0x2000 };

static size_t elf64_pvh(void)
{
    struct fx_elf e = { .is64 = true, .entry = 0xffffffff81000000ULL, .nsegs = 1,
                        .seg = { seg_1m }, .pvh_desc_len = 8, .pvh_entry = 0x100040 };
    return fx_make_elf(img, &e);
}

static size_t elf32_pvh(void)
{
    struct fx_elf e = { .entry = 0x100000, .nsegs = 1, .seg = { seg_1m },
                        .pvh_desc_len = 4, .pvh_entry = 0x100080 };
    return fx_make_elf(img, &e);
}

static size_t elf32_mb(void)
{
    struct fx_elf e = { .entry = 0x100010, .nsegs = 2,
                        .seg = { seg_1m, { 0x200000, 0, 0x100, 0x1000 } },
                        .mb = true, .mb_flags = 0x3 };
    return fx_make_elf(img, &e);
}

/* Linked high, loaded low (like a 64-bit kernel objcopy'd for Multiboot): the entry is
 * virtual and must come out physical. */
static size_t elf64_mb_virtual_entry(void)
{
    struct fx_elf e = { .is64 = true, .entry = 0xffff800000100020ULL, .nsegs = 1,
                        .seg = { { 0x100000, 0xffff800000100000ULL, 0x800, 0x2000 } },
                        .mb = true, .mb_flags = 0x2 };
    return fx_make_elf(img, &e);
}

/* A program header the builder does not use (PT_DYNAMIC) with a wild offset: only
 * PT_LOAD and PT_NOTE offsets are checked, so nothing may compute a pointer from it
 * (UBSan: pointer overflow, found by fuzz_hvmbuild). */
static size_t elf_wild_unused_phdr(void)
{
    struct fx_elf e = { .is64 = true, .entry = 0x100010, .nsegs = 2,
                        .seg = { { 0x100000, 0, 0x800, 0x2000 }, { 0x200000, 0, 0x10, 0x10 } },
                        .mb = true };
    size_t n = fx_make_elf(img, &e);
    uint32_t dyn = 2;
    uint64_t wild = 0xffffffffffffff00ULL;

    memcpy(img + 64 + 56, &dyn, 4);         /* second phdr becomes PT_DYNAMIC */
    memcpy(img + 64 + 56 + 8, &wild, 8);
    return n;
}

static size_t elf_both(void)
{
    struct fx_elf e = { .entry = 0x100010, .nsegs = 1, .seg = { seg_1m },
                        .pvh_desc_len = 4, .pvh_entry = 0x100100, .mb = true, .mb_flags = 0 };
    return fx_make_elf(img, &e);
}

static size_t kludge(void) { return fx_make_kludge(img, 0x40, 0x100000, 0x3000, 0x105000, 0x100100); }

static size_t bzimage(void)
{
    struct fx_bz z = fx_bz_default();
    return fx_make_bzimage(img, &z);
}

static size_t bz_setup_sects_0(void)
{
    struct fx_bz z = fx_bz_default();
    z.setup_sects = 0;                  /* means 4 */
    return fx_make_bzimage(img, &z);
}

static size_t garbage(void)
{
    for (size_t i = 0; i < 9000; i++)
        img[i] = (uint8_t)(i * 13 + 5);
    return 9000;
}

static size_t empty(void) { return 0; }

static size_t elf_plain(void)
{
    struct fx_elf e = { .is64 = true, .entry = 0x100000, .nsegs = 1, .seg = { seg_1m } };
    return fx_make_elf(img, &e);
}

static size_t mb_bad_checksum(void)
{
    struct fx_elf e = { .entry = 0x100000, .nsegs = 1, .seg = { seg_1m }, .mb = true,
                        .mb_flags = 0x3, .mb_bad_checksum = true };
    return fx_make_elf(img, &e);
}

static size_t mb_video(void)
{
    struct fx_elf e = { .entry = 0x100000, .nsegs = 1, .seg = { seg_1m }, .mb = true,
                        .mb_flags = 0x7 };
    return fx_make_elf(img, &e);
}

static size_t mb_unknown_required(void)
{
    struct fx_elf e = { .entry = 0x100000, .nsegs = 1, .seg = { seg_1m }, .mb = true,
                        .mb_flags = 0x1 | 0x100 };
    return fx_make_elf(img, &e);
}

static size_t mb_raw_without_kludge(void)
{
    size_t n = fx_make_kludge(img, 0x40, 0x100000, 0x3000, 0, 0x100100);
    uint32_t flags = 0x3, sum = 0u - 0x1BADB002u - flags;

    memcpy(img + 0x44, &flags, 4);
    memcpy(img + 0x48, &sum, 4);
    return n;
}

static size_t kludge_header_before_file(void)
{
    size_t n = fx_make_kludge(img, 0x40, 0x100000, 0x3000, 0, 0x100100);
    uint32_t header_addr = 0x100000 + 0x80;     /* says the header is 0x80 into the load */

    memcpy(img + 0x40 + 12, &header_addr, 4);
    return n;
}

static size_t kludge_past_eof(void)
{
    size_t n = fx_make_kludge(img, 0x40, 0x100000, 0x3000, 0, 0x100100);
    uint32_t load_end = 0x100000 + 0x8000;

    memcpy(img + 0x40 + 20, &load_end, 4);
    return n;
}

static size_t kludge_bss_below_end(void)
{
    return fx_make_kludge(img, 0x40, 0x100000, 0x3000, 0x100800, 0x100100);
}

static size_t pvh_bad_desc(void)
{
    struct fx_elf e = { .entry = 0x100000, .nsegs = 1, .seg = { seg_1m },
                        .pvh_desc_len = 2, .pvh_entry = 0x100000 };
    return fx_make_elf(img, &e);
}

static size_t pvh_entry_high(void)
{
    struct fx_elf e = { .is64 = true, .entry = 0x100000, .nsegs = 1, .seg = { seg_1m },
                        .pvh_desc_len = 8, .pvh_entry = 0x100000000ULL };
    return fx_make_elf(img, &e);
}

static size_t elf_overlap(void)
{
    struct fx_elf e = { .entry = 0x100000, .nsegs = 2,
                        .seg = { seg_1m, { 0x101000, 0, 0x100, 0x1000 } }, .mb = true };
    return fx_make_elf(img, &e);
}

static size_t elf_phdrs_past_eof(void)
{
    uint16_t phnum = 60;

    elf32_mb();
    memcpy(img + 44, &phnum, 2);
    return 200;                         /* cut the file just past the first headers */
}

static size_t elf_segment_past_eof(void)
{
    size_t n = elf32_mb();
    return n - 0x1000;                  /* the second segment's bytes are gone */
}

static size_t elf_big_endian(void)
{
    size_t n = elf32_mb();
    img[5] = 2;
    return n;
}

static size_t elf_memsz_small(void)
{
    struct fx_elf e = { .entry = 0x100000, .nsegs = 1,
                        .seg = { { 0x100000, 0, 0x800, 0x400 } }, .mb = true };
    return fx_make_elf(img, &e);
}

#define BZ_VARIANT(fn, field, value)                                          \
    static size_t fn(void)                                                    \
    {                                                                         \
        struct fx_bz z = fx_bz_default();                                     \
        z.field = value;                                                      \
        return fx_make_bzimage(img, &z);                                      \
    }
BZ_VARIANT(bz_old, version, 0x020b)
BZ_VARIANT(bz_no64, xloadflags, 0x2)
BZ_VARIANT(bz_zimage, loadflags, 0)
BZ_VARIANT(bz_syssize_past_eof, syssize_extra, 0x100)
BZ_VARIANT(bz_bad_align, kernel_alignment, 0x300000)
BZ_VARIANT(bz_no_init_size, init_size, 0)

/* ---- the table ---- */

struct detect_case {
    const char *name;
    size_t (*make)(void);
    int rc;
    enum hvmbuild_protocol proto;
    enum hvmbuild_format format;
    uint64_t entry;
    const char *msg;                    /* refusals: a part of the message */
};

static const struct detect_case detect_cases[] = {
    { "elf64_pvh_note", elf64_pvh, 0, HVMBUILD_PVH, HVMBUILD_FMT_ELF64, 0x100040, NULL },
    { "elf32_pvh_note", elf32_pvh, 0, HVMBUILD_PVH, HVMBUILD_FMT_ELF32, 0x100080, NULL },
    { "elf32_multiboot", elf32_mb, 0, HVMBUILD_MULTIBOOT, HVMBUILD_FMT_ELF32, 0x100010, NULL },
    { "elf64_multiboot_virtual_entry", elf64_mb_virtual_entry, 0, HVMBUILD_MULTIBOOT,
      HVMBUILD_FMT_ELF64, 0x100020, NULL },
    { "elf64_multiboot_wild_unused_phdr", elf_wild_unused_phdr, 0, HVMBUILD_MULTIBOOT,
      HVMBUILD_FMT_ELF64, 0x100010, NULL },
    { "elf_pvh_and_multiboot_is_pvh", elf_both, 0, HVMBUILD_PVH, HVMBUILD_FMT_ELF32,
      0x100100, NULL },
    { "multiboot_aout_kludge", kludge, 0, HVMBUILD_MULTIBOOT, HVMBUILD_FMT_AOUT_KLUDGE,
      0x100100, NULL },
    { "bzimage", bzimage, 0, HVMBUILD_LINUX64, HVMBUILD_FMT_BZIMAGE, 0x200, NULL },
    { "bzimage_setup_sects_0", bz_setup_sects_0, 0, HVMBUILD_LINUX64, HVMBUILD_FMT_BZIMAGE,
      0x200, NULL },
    { "refuse_garbage", garbage, -EINVAL, 0, 0, 0, "not a kernel image" },
    { "refuse_empty", empty, -EINVAL, 0, 0, 0, "empty file" },
    { "refuse_elf_without_protocol", elf_plain, -EINVAL, 0, 0, 0, "neither a PVH entry note" },
    { "refuse_mb_bad_checksum", mb_bad_checksum, -EINVAL, 0, 0, 0, "bad checksum" },
    { "refuse_mb_video", mb_video, -EINVAL, 0, 0, 0, "video mode" },
    { "refuse_mb_unknown_required", mb_unknown_required, -EINVAL, 0, 0, 0,
      "requires features 0x100" },
    { "refuse_mb_raw_without_addresses", mb_raw_without_kludge, -EINVAL, 0, 0, 0,
      "not ELF" },
    { "refuse_kludge_header_before_file", kludge_header_before_file, -EINVAL, 0, 0, 0,
      "before the file's first byte" },
    { "refuse_kludge_past_eof", kludge_past_eof, -EINVAL, 0, 0, 0, "past the end" },
    { "refuse_kludge_bss_below_load_end", kludge_bss_below_end, -EINVAL, 0, 0, 0,
      "bss_end_addr" },
    { "refuse_pvh_note_bad_size", pvh_bad_desc, -EINVAL, 0, 0, 0, "2-byte value" },
    { "refuse_pvh_entry_above_4g", pvh_entry_high, -EINVAL, 0, 0, 0, "above 4 GiB" },
    { "refuse_elf_segments_overlap", elf_overlap, -EINVAL, 0, 0, 0, "overlap" },
    { "refuse_elf_phdrs_past_eof", elf_phdrs_past_eof, -EINVAL, 0, 0, 0,
      "program header table" },
    { "refuse_elf_segment_past_eof", elf_segment_past_eof, -EINVAL, 0, 0, 0,
      "segment 1" },
    { "refuse_elf_big_endian", elf_big_endian, -EINVAL, 0, 0, 0, "little-endian" },
    { "refuse_elf_memsz_below_filesz", elf_memsz_small, -EINVAL, 0, 0, 0, "memsz" },
    { "refuse_bz_protocol_2_11", bz_old, -EINVAL, 0, 0, 0, "2.11 is older than 2.12" },
    { "refuse_bz_no_64bit_entry", bz_no64, -EINVAL, 0, 0, 0, "XLF_KERNEL_64" },
    { "refuse_bz_zimage", bz_zimage, -EINVAL, 0, 0, 0, "zImage" },
    { "refuse_bz_syssize_past_eof", bz_syssize_past_eof, -EINVAL, 0, 0, 0, "past the end" },
    { "refuse_bz_alignment", bz_bad_align, -EINVAL, 0, 0, 0, "power of two" },
    { "refuse_bz_init_size_0", bz_no_init_size, -EINVAL, 0, 0, 0, "init_size" },
};

static void run_detect(const struct detect_case *c)
{
    struct hvmbuild_image out;
    size_t len = c->make();
    int rc;

    last_msg[0] = '\0';
    nr_msgs = 0;
    rc = hvmbuild_detect(img, len, "images/k.elf", &out, report, NULL);
    CHECK_EQ(rc, c->rc);
    if (c->rc == 0) {
        CHECK_EQ(nr_msgs, 0);
        CHECK_EQ(out.proto, c->proto);
        CHECK_EQ(out.format, c->format);
        CHECK_EQ(out.entry, c->entry);
        CHECK(out.nr_segs >= 1);
        return;
    }
    CHECK_EQ(nr_msgs, 1);
    if (getenv("HVMBUILD_VERBOSE"))
        printf("  %s: %s\n", c->name, last_msg);
    CHECK(strncmp(last_msg, "images/k.elf: ", 14) == 0);
    if (!strstr(last_msg, c->msg)) {
        printf("  message \"%s\" lacks \"%s\"\n", last_msg, c->msg);
        unit_failed_checks++;
    }
}

static void detect_table(void)
{
    for (size_t i = 0; i < sizeof(detect_cases) / sizeof(detect_cases[0]); i++) {
        int before = unit_failed_checks;
        run_detect(&detect_cases[i]);
        if (unit_failed_checks != before)
            printf("  (in case %s)\n", detect_cases[i].name);
    }
}

static void segments_and_header_fields(void)
{
    struct hvmbuild_image out;
    size_t len = kludge();

    CHECK_EQ(hvmbuild_detect(img, len, "k", &out, report, NULL), 0);
    CHECK_EQ(out.seg[0].paddr, 0x100000);
    CHECK_EQ(out.seg[0].offset, 0);
    CHECK_EQ(out.seg[0].filesz, 0x3000);
    CHECK_EQ(out.seg[0].memsz, 0x5000);
    CHECK_EQ(out.mb_header_off, 0x40);
    len = bzimage();
    CHECK_EQ(hvmbuild_detect(img, len, "k", &out, report, NULL), 0);
    CHECK_EQ(out.lx.version, 0x020f);
    CHECK_EQ(out.lx.setup_sects, 4);
    CHECK_EQ(out.seg[0].offset, 5 * 512);
    CHECK_EQ(out.seg[0].filesz, 0x3000);
    CHECK_EQ(out.seg[0].memsz, 0x400000);
    CHECK_EQ(out.lx.pref_address, 0x1000000);
    CHECK_EQ(out.lx.kernel_alignment, 0x200000);
    CHECK_EQ(out.lx.relocatable, 1);
    CHECK_EQ(out.lx.cmdline_size, 2047);
    CHECK_EQ(out.lx.hdr_end, 0x26c);
}

/* The first readable kernel of: $HVMBUILD_KERNEL, the one the build fetches for the
 * Linux guest (build/linux/vmlinuz, Debian's linux-image-amd64), /boot/vmlinuz-*.
 * NULL when there is none: the test then says so and skips (no network here). */
static const char *real_kernel_path(glob_t *g)
{
    const char *env = getenv("HVMBUILD_KERNEL");

    if (env)
        return env;
    if (access("build/linux/vmlinuz", R_OK) == 0)
        return "build/linux/vmlinuz";
    if (glob("/boot/vmlinuz-*", 0, NULL, g) == 0 && g->gl_pathc > 0)
        return g->gl_pathv[0];
    return NULL;
}

/* The real kernel's setup header parses, and it lays out in 256 MiB with 2 vCPUs and
 * a 16 MiB initrd (Debian's needs about 64 MiB from 16 MiB: init_size). */
static void real_kernel_header(void)
{
    static uint8_t buf[64 << 20];
    static uint8_t initrd[16 << 20];
    struct hvmbuild_module rd = { initrd, sizeof(initrd), NULL };
    struct hvmbuild_config cfg = { .mem_bytes = 256 << 20, .nr_vcpus = 2, .cmdline = "quiet",
                                   .nr_modules = 1, .modules = &rd, .report = report };
    glob_t g = { 0 };
    const char *path = real_kernel_path(&g);
    struct hvmbuild_image out;
    struct hvmbuild_layout l;
    size_t len;
    FILE *f;

    if (!path) {
        printf("  SKIP real_kernel_header: no kernel (set HVMBUILD_KERNEL=path, or have "
               "build/linux/vmlinuz or /boot/vmlinuz-*)\n");
        return;
    }
    if (!(f = fopen(path, "rb"))) {
        printf("  SKIP real_kernel_header: cannot read %s\n", path);
        globfree(&g);
        return;
    }
    len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    CHECK_EQ(hvmbuild_detect(buf, len, path, &out, report, NULL), 0);
    CHECK_EQ(out.proto, HVMBUILD_LINUX64);
    CHECK(out.lx.version >= LINUX_MIN_VERSION);
    printf("  %s: boot protocol %u.%02u, setup_sects %u, init_size 0x%x, pref_address "
           "0x%llx, kernel_alignment 0x%x, relocatable %u, cmdline_size %u\n", path,
           out.lx.version >> 8, out.lx.version & 0xff, out.lx.setup_sects, out.lx.init_size,
           (unsigned long long)out.lx.pref_address, out.lx.kernel_alignment,
           out.lx.relocatable, out.lx.cmdline_size);
    CHECK_EQ(hvmbuild_layout(&out, &cfg, &l), 0);
    CHECK(l.module_gpa[0] >= l.kernel_hi);
    printf("  laid out in 256 MiB: kernel [0x%llx, 0x%llx), entry 0x%llx, initrd at 0x%llx\n",
           (unsigned long long)l.kernel_lo, (unsigned long long)l.kernel_hi,
           (unsigned long long)l.entry, (unsigned long long)l.module_gpa[0]);
    globfree(&g);
}

static const struct unit_case cases[] = {
    { "detect_table", detect_table },
    { "segments_and_header_fields", segments_and_header_fields },
    { "real_kernel_header", real_kernel_header },
};

UNIT_MAIN(cases)
