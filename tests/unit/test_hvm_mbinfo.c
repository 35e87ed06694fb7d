/* dom0's HVM loader and hvlab's HVM runtime agree on Multiboot: the info that
 * core/lib/hvmbuild writes for a Multiboot v1 ELF (as dom0/xl_hvm.c configures it,
 * with the boot loader name "hvlab-xl domid=N") is read back by the runtime's
 * guest/hvm/mbinfo.c into the start_info a PV builder would give: the RAM, the
 * command line, the domain id. The image checks and refusals themselves are
 * hvmbuild's (test_hvmbuild_image.c, test_hvmbuild_layout.c). */
#include "unit.h"
#include "hvmbuild_fixture.h"
#include <hvlab/errno.h>
#include <hvlab/hvmbuild.h>
#include "mbinfo.h"

#define MiB       (1ULL << 20)
#define LOAD_PA   0x100000u

static uint8_t img[FX_CAP];
static uint8_t *mem;
static uint64_t mem_size;
static uint8_t scratch[HVMBUILD_SCRATCH_BYTES];
static char last_msg[256];

static void report(void *arg, const char *msg)
{
    (void)arg;
    snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

static int write_mem(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
    (void)ctx;
    if (gpa > mem_size || len > mem_size - gpa)
        return -EFAULT;
    if (src)
        memcpy(mem + gpa, src, len);
    else
        memset(mem + gpa, 0, len);
    return 0;
}

static const void *guest_map(void *arg, uint64_t gpa, size_t len)
{
    (void)arg;
    return gpa <= mem_size && len <= mem_size - gpa ? mem + gpa : NULL;
}

/* A Multiboot v1 ELF32 like guest/hvm's images: one segment at 1 MiB with bss. */
static size_t mb_image(void)
{
    struct fx_elf e = { .is64 = false, .entry = LOAD_PA + 12, .nsegs = 1,
                        .seg = { { LOAD_PA, LOAD_PA, 0x2000, 0x3000 } },
                        .mb = true, .mb_flags = 0x2 };
    return fx_make_elf(img, &e);
}

/* Builds the image into a fresh guest of ram bytes; 0 or hvmbuild's error. */
static int build(uint64_t ram, const char *cmdline, const char *loader,
                 struct hvmbuild_vcpu_state *vs)
{
    struct hvmbuild_config cfg = { .mem_bytes = ram, .nr_vcpus = 1, .cmdline = cmdline,
                                   .loader_name = loader, .report = report };
    struct hvmbuild_image im;
    struct hvmbuild_layout l;
    size_t len = mb_image();
    int rc;

    free(mem);
    mem_size = ram;
    mem = calloc(1, ram);
    last_msg[0] = 0;
    if ((rc = hvmbuild_detect(img, len, "hello-hvm.elf", &im, report, NULL)) ||
        (rc = hvmbuild_layout(&im, &cfg, &l)))
        return rc;
    return hvmbuild_populate(&l, &im, &cfg, write_mem, NULL, scratch, vs);
}

static void test_info_read_back(void)
{
    struct hvmbuild_vcpu_state vs;
    struct start_info si;
    const char *why = "";

    CHECK_EQ(build(48 * MiB, "sleeper-hvm.elf periods=5", "hvlab-xl domid=12", &vs), 0);
    CHECK_EQ(vs.mode, HVMBUILD_BOOT_PROT32);
    CHECK_EQ(vs.rip, LOAD_PA + 12);
    CHECK_EQ(vs.rax, 0x2badb002);
    CHECK_EQ(mbinfo_read(guest_map, NULL, (uint32_t)vs.rbx, LOAD_PA + 0x3000, &si, &why), 0);
    CHECK_STREQ(why, "");
    CHECK_EQ(memcmp(si.magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC)), 0);
    CHECK_EQ(si.nr_pages, (48 * MiB) >> 12);
    CHECK_EQ(si.domid, 12);
    CHECK_EQ(si.nr_vcpus, 1);
    CHECK_STREQ(si.cmdline, "sleeper-hvm.elf periods=5");
    /* An image ending in the reserved hole is in no RAM region. */
    CHECK_EQ(mbinfo_read(guest_map, NULL, (uint32_t)vs.rbx, 0xa0000, &si, &why), -EINVAL);
    CHECK_STREQ(why, "no RAM region of the memory map holds the image");
    /* An info outside memory is refused, not read. */
    CHECK_EQ(mbinfo_read(guest_map, NULL, (uint32_t)mem_size - 8, LOAD_PA, &si, &why),
             -EINVAL);
    CHECK_STREQ(why, "the multiboot info is outside memory");
}

/* No loader name (another boot loader): the runtime is domain 0. */
static void test_no_loader_name(void)
{
    struct hvmbuild_vcpu_state vs;
    struct start_info si;
    const char *why = "";

    CHECK_EQ(build(16 * MiB, "hello-hvm.elf", NULL, &vs), 0);
    CHECK_EQ(mbinfo_read(guest_map, NULL, (uint32_t)vs.rbx, LOAD_PA + 0x3000, &si, &why), 0);
    CHECK_EQ(si.domid, 0);
    CHECK_STREQ(si.cmdline, "hello-hvm.elf");
}

/* A loader name longer than its slot is refused by the layout, naming the file. */
static void test_loader_name_too_long(void)
{
    static char name[HVMBUILD_LOADER_MAX + 1];
    struct hvmbuild_vcpu_state vs;

    memset(name, 'n', sizeof(name) - 1);
    CHECK_EQ(build(16 * MiB, "", name, &vs), -E2BIG);
    CHECK_STREQ(last_msg, "hello-hvm.elf: boot loader name of 256 bytes (at most 255)");
}

static const struct unit_case cases[] = {
    { "info_read_back", test_info_read_back },
    { "no_loader_name", test_no_loader_name },
    { "loader_name_too_long", test_loader_name_too_long },
};

UNIT_MAIN(cases)
