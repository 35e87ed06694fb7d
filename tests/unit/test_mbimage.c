/* Host tests for dom0's Multiboot v1 kernel checks, segment layout and multiboot info
 * (dom0/mbimage.c): images built here byte by byte, one fault each, every refusal
 * checked by its message; the info page parsed back field by field. */
#include "unit.h"
#include <hvlab/errno.h>
#include "mbimage.h"
#include "mbinfo.h"

#define IMG_SIZE   0x3000
#define LOAD_PA    0x100000u
#define HDR_OFF    0x1000               /* the multiboot header: first bytes of segment 0 */

static uint8_t img[IMG_SIZE];

static void put(size_t off, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        img[off + i] = (uint8_t)(v >> (8 * i));
}

static void mb_header(uint32_t flags)
{
    put(HDR_OFF, MB_HEADER_MAGIC, 4);
    put(HDR_OFF + 4, flags, 4);
    put(HDR_OFF + 8, (uint32_t)-(MB_HEADER_MAGIC + flags), 4);
}

/* An ELF32 i386 executable: one PT_LOAD of file bytes 0x1000..0x3000 at LOAD_PA
 * with 0x1000 of bss, the entry 12 bytes in (past the header), as hvm.ld lays out
 * guest/hvm images. is64: the same as ELF64 x86-64. */
static void make_elf(bool is64)
{
    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF", 4);
    img[4] = is64 ? 2 : 1;
    img[5] = 1;
    img[6] = 1;
    put(16, 2, 2);                                  /* ET_EXEC */
    put(18, is64 ? 62 : 3, 2);
    put(20, 1, 4);
    if (is64) {
        put(24, LOAD_PA + 12, 8);
        put(32, 64, 8);                             /* phoff */
        put(52, 64, 2);
        put(54, 56, 2);
        put(56, 1, 2);
        put(64, 1, 4);                              /* PT_LOAD */
        put(64 + 4, 5, 4);
        put(64 + 8, 0x1000, 8);
        put(64 + 16, LOAD_PA, 8);
        put(64 + 24, LOAD_PA, 8);
        put(64 + 32, 0x2000, 8);
        put(64 + 40, 0x3000, 8);
    } else {
        put(24, LOAD_PA + 12, 4);
        put(28, 52, 4);
        put(40, 52, 2);
        put(42, 32, 2);
        put(44, 1, 2);
        put(52, 1, 4);
        put(52 + 4, 0x1000, 4);
        put(52 + 8, LOAD_PA, 4);
        put(52 + 12, LOAD_PA, 4);
        put(52 + 16, 0x2000, 4);
        put(52 + 20, 0x3000, 4);
        put(52 + 24, 5, 4);
    }
    mb_header(0x2);
}

static int parse(struct mbimage *m, char *why)
{
    why[0] = 0;
    return mbimage_parse(img, sizeof(img), m, why, MBIMAGE_WHY_MAX);
}

static void test_valid_images(void)
{
    for (int is64 = 0; is64 <= 1; is64++) {
        struct mbimage m;
        char why[MBIMAGE_WHY_MAX];

        make_elf(is64);
        CHECK_EQ(parse(&m, why), 0);
        CHECK_STREQ(why, "");
        CHECK_EQ(m.entry, LOAD_PA + 12);
        CHECK_EQ(m.mb_flags, 0x2);
        CHECK_EQ(m.nr_segs, 1);
        CHECK_EQ(m.seg[0].paddr, LOAD_PA);
        CHECK_EQ(m.seg[0].offset, 0x1000);
        CHECK_EQ(m.seg[0].filesz, 0x2000);
        CHECK_EQ(m.seg[0].memsz, 0x3000);
        CHECK_EQ(mbimage_fits(&m, 16 << 20, why, sizeof(why)), 0);
    }
}

/* One change to a valid ELF32 image, and the refusal it must get. */
struct bad_case {
    const char *what;
    void (*change)(void);
    const char *why;
};

static void not_elf(void) { memcpy(img, "MZ\x90\x00", 4); }
static void big_endian(void) { img[5] = 2; }
static void arm(void) { put(18, 40, 2); }
static void shared_object(void) { put(16, 3, 2); }
static void no_header(void) { memset(img + HDR_OFF, 0, 12); }
static void bad_sum(void) { put(HDR_OFF + 8, 0, 4); }
static void video(void) { mb_header(0x6); }
static void aout(void) { mb_header(0x10002); }
static void unknown_bit(void) { mb_header(0x8002); }
static void past_file(void) { put(52 + 16, 0x2001, 4); }
static void file_gt_mem(void) { put(52 + 20, 0x1000, 4); }
static void above_4g(void) { put(52 + 12, 0xfffff000u, 4); }
static void entry_outside(void) { put(24, 0x200000, 4); }
static void phdrs_past_end(void) { put(28, IMG_SIZE - 8, 4); }

static const struct bad_case bad_cases[] = {
    { "not ELF", not_elf, "not an ELF file" },
    { "big-endian", big_endian, "not a little-endian ELF file" },
    { "ARM", arm, "ELF32 for machine 40, not x86" },
    { "ET_DYN", shared_object, "not an executable (ELF type 3)" },
    { "no header", no_header, "no Multiboot v1 header in the first 8192 bytes" },
    { "bad checksum", bad_sum, "Multiboot v1 header with a bad checksum" },
    { "video", video, "the Multiboot header asks for a video mode (flag 2): there is no display" },
    { "a.out", aout, "the Multiboot header uses the a.out address fields (flag 16): only ELF "
                     "segments are loaded" },
    { "unknown bit", unknown_bit, "the Multiboot header requires unknown features (flags 0x8002)" },
    { "past file", past_file, "segment 0 ends past the end of the file" },
    { "filesz > memsz", file_gt_mem, "segment 0 has more file bytes than memory" },
    { "above 4 GiB", above_4g, "segment 0 (at 0xfffff000) ends above 4 GiB" },
    { "entry outside", entry_outside, "entry point 0x200000 outside every segment" },
    { "phdrs past end", phdrs_past_end, "program headers past the end of the file" },
};

static void test_refusals(void)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct mbimage m;
        char why[MBIMAGE_WHY_MAX];

        make_elf(false);
        bad_cases[i].change();
        printf("  case %s\n", bad_cases[i].what);
        CHECK_EQ(parse(&m, why), -EINVAL);
        CHECK_STREQ(why, bad_cases[i].why);
    }
}

static void test_short_file(void)
{
    struct mbimage m;
    char why[MBIMAGE_WHY_MAX];

    make_elf(false);
    CHECK_EQ(mbimage_parse(img, 40, &m, why, sizeof(why)), -EINVAL);
    CHECK_STREQ(why, "not an ELF file");
}

static void test_fits(void)
{
    struct mbimage m;
    char why[MBIMAGE_WHY_MAX];

    make_elf(false);
    CHECK_EQ(parse(&m, why), 0);
    CHECK_EQ(mbimage_fits(&m, LOAD_PA + 0x2fff, why, sizeof(why)), -ENOMEM);
    CHECK_STREQ(why, "segment at 0x100000-0x103000 is beyond the domain's 1 MiB of RAM");
    m.seg[0].paddr = 0x9e000;
    CHECK_EQ(mbimage_fits(&m, 16 << 20, why, sizeof(why)), -EINVAL);
    CHECK_STREQ(why, "segment at 0x9e000-0xa1000 overlaps the reserved 0x9f000-0x100000");
    m.seg[0].paddr = 0xf000;
    CHECK_EQ(mbimage_fits(&m, 16 << 20, why, sizeof(why)), -EINVAL);
    CHECK_STREQ(why, "segment at 0xf000-0x12000 overlaps the multiboot info at 0x10000");
}

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static void test_info(void)
{
    static uint8_t page[4096];
    const uint64_t ram = 64ull << 20;
    long n = mbinfo_write(page, sizeof(page), ram, "hello-hvm.elf x=1", 7);
    const uint8_t *mm;

    CHECK(n > 0 && n <= 4096);
    CHECK_EQ(get32(page), (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9));
    CHECK_EQ(get32(page + 4), 636);                         /* 0x9f000 / 1 KiB */
    CHECK_EQ(get32(page + 8), (ram - 0x100000) >> 10);
    CHECK_STREQ((const char *)page + (get32(page + 16) - MBI_GPA), "hello-hvm.elf x=1");
    CHECK_STREQ((const char *)page + (get32(page + 64) - MBI_GPA), "hvlab-xl domid=7");
    CHECK_EQ(get32(page + 44), 72);
    mm = page + (get32(page + 48) - MBI_GPA);
    CHECK_EQ(get32(mm), 20);
    CHECK_EQ(get64(mm + 4), 0);
    CHECK_EQ(get64(mm + 12), 0x9f000);
    CHECK_EQ(get32(mm + 20), 1);
    CHECK_EQ(get64(mm + 24 + 4), 0x9f000);
    CHECK_EQ(get64(mm + 24 + 12), 0x61000);
    CHECK_EQ(get32(mm + 24 + 20), 2);
    CHECK_EQ(get64(mm + 48 + 4), 0x100000);
    CHECK_EQ(get64(mm + 48 + 12), ram - 0x100000);
    CHECK_EQ(get32(mm + 48 + 20), 1);
}

static void test_info_too_long(void)
{
    static uint8_t page[256];
    static char cmd[200];

    memset(cmd, 'a', sizeof(cmd) - 1);
    CHECK_EQ(mbinfo_write(page, sizeof(page), 64ull << 20, cmd, 1), -E2BIG);
}

/* Guest-physical memory from 0 to the end of the info page, for mbinfo_read. */
static uint8_t guest_low[MBI_GPA + 4096];

static const void *guest_map(void *arg, uint64_t gpa, size_t len)
{
    return gpa + len <= sizeof(guest_low) ? guest_low + gpa : NULL;
}

/* The loader's info, read back by the guest runtime: the same RAM, command line and
 * domain id (the runtime's start_info is then what a PV builder would give). */
static void test_info_read_back(void)
{
    const uint64_t ram = 48ull << 20;
    struct start_info si;
    const char *why = "";

    CHECK(mbinfo_write(guest_low + MBI_GPA, 4096, ram, "sleeper-hvm.elf periods=5", 12) > 0);
    CHECK_EQ(mbinfo_read(guest_map, NULL, MBI_GPA, 0x108000, &si, &why), 0);
    CHECK_STREQ(why, "");
    CHECK_EQ(memcmp(si.magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC)), 0);
    CHECK_EQ(si.nr_pages, ram >> 12);
    CHECK_EQ(si.domid, 12);
    CHECK_EQ(si.nr_vcpus, 1);
    CHECK_STREQ(si.cmdline, "sleeper-hvm.elf periods=5");
    /* An image ending in the reserved hole is in no RAM region. */
    CHECK_EQ(mbinfo_read(guest_map, NULL, MBI_GPA, 0xa0000, &si, &why), -EINVAL);
    CHECK_STREQ(why, "no RAM region of the memory map holds the image");
    /* Another boot loader's name: domain 0. */
    memcpy(guest_low + MBI_GPA + 200, "qemu", 5);
    guest_low[MBI_GPA + 64] = 200 + (MBI_GPA & 0xff);
    guest_low[MBI_GPA + 65] = (MBI_GPA >> 8) & 0xff;
    CHECK_EQ(mbinfo_read(guest_map, NULL, MBI_GPA, 0x108000, &si, &why), 0);
    CHECK_EQ(si.domid, 0);
    /* An info outside memory is refused, not read. */
    CHECK_EQ(mbinfo_read(guest_map, NULL, sizeof(guest_low) - 8, 0x108000, &si, &why),
             -EINVAL);
    CHECK_STREQ(why, "the multiboot info is outside memory");
}

static const struct unit_case cases[] = {
    { "info_read_back", test_info_read_back },
    { "valid_images", test_valid_images },
    { "refusals", test_refusals },
    { "short_file", test_short_file },
    { "fits", test_fits },
    { "info", test_info },
    { "info_too_long", test_info_too_long },
};

UNIT_MAIN(cases)
