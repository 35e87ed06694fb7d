/* The Linux x86 64-bit boot protocol for bzImage kernels (the kernel's own
 * Documentation/arch/x86/boot.rst is the reference for every offset below).
 *
 * Design: the setup header sits at file offset 0x1F1 and is copied unchanged into
 * the zero page (struct boot_params) at the same offset; the loader then fills its
 * own fields. The protected-mode kernel (file bytes after the (setup_sects + 1)
 * sectors of real-mode setup) is loaded at pref_address when that fits, else, if the
 * kernel is relocatable, at the first kernel_alignment boundary above 1 MiB; it needs
 * init_size bytes from there. The 64-bit entry is 0x200 past the load address and
 * expects: long mode, an identity map covering the kernel, zero page and command
 * line, a GDT with __BOOT_CS = 0x10 and __BOOT_DS = 0x18, RSI = the zero page,
 * interrupts off. Protocol 2.12 is the first with xloadflags (XLF_KERNEL_64).
 *
 * Limitations: one initrd (module 0); no setup_data chain; the real-mode entry and
 * the EFI handover are not used. */
#include <hvlab/errno.h>
#include <hvlab/hvmbuild_internal.h>
#include <hvlab/lib.h>

/* Setup header fields (file and zero page offsets). */
#define HDR_SETUP_SECTS     0x1f1
#define HDR_SYSSIZE         0x1f4
#define HDR_BOOT_FLAG       0x1fe
#define HDR_JUMP            0x200
#define HDR_MAGIC           0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_CODE32_START    0x214
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN    0x230
#define HDR_RELOCATABLE     0x234
#define HDR_XLOADFLAGS      0x236
#define HDR_CMDLINE_SIZE    0x238
#define HDR_HW_SUBARCH      0x23c
#define HDR_PREF_ADDRESS    0x258
#define HDR_INIT_SIZE       0x260
#define HDR_MIN_END         0x264       /* init_size is the last field we read */
/* Zero page fields outside the setup header. */
#define BP_ACPI_RSDP_ADDR   0x070
#define BP_EXT_RAMDISK_IMG  0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_SENTINEL         0x1ef

#define LOADER_UNDEFINED    0xff        /* type_of_loader for an unregistered loader */

static uint64_t rd(const uint8_t *b, size_t off, unsigned size)
{
    uint64_t v = 0;

    memcpy(&v, b + off, size);
    return v;
}

static void wr(uint8_t *b, size_t off, uint64_t v, unsigned size)
{
    memcpy(b + off, &v, size);
}

bool hvmbuild_linux_is_bzimage(const void *img, size_t len)
{
    const uint8_t *b = img;

    return len >= HDR_MAGIC + 4 && rd(b, HDR_BOOT_FLAG, 2) == 0xaa55 &&
           rd(b, HDR_MAGIC, 4) == LINUX_HDR_MAGIC;
}

static int linux_check(size_t len, const struct hvmbuild_linux_info *li,
                       char *why, size_t why_len)
{
    if (li->version < LINUX_MIN_VERSION) {
        fmt_snprintf(why, why_len, "bzImage boot protocol %u.%02u is older than 2.12 (no "
                     "64-bit entry flag)", li->version >> 8, li->version & 0xff);
        return -EINVAL;
    }
    if (li->hdr_end < HDR_MIN_END || li->hdr_end > len) {
        fmt_snprintf(why, why_len, "bzImage setup header ends at 0x%x (before 0x%x or past "
                     "the end of the file)", li->hdr_end, HDR_MIN_END);
        return -EINVAL;
    }
    if (!(li->loadflags & LINUX_LOADED_HIGH)) {
        fmt_snprintf(why, why_len, "zImage (loadflags LOADED_HIGH clear): only bzImage "
                     "kernels are supported");
        return -EINVAL;
    }
    if (!(li->xloadflags & LINUX_XLF_KERNEL_64)) {
        fmt_snprintf(why, why_len, "bzImage has no 64-bit entry (xloadflags 0x%x lacks "
                     "XLF_KERNEL_64)", li->xloadflags);
        return -EINVAL;
    }
    if (li->relocatable && (li->kernel_alignment == 0 ||
                            (li->kernel_alignment & (li->kernel_alignment - 1)))) {
        fmt_snprintf(why, why_len, "bzImage kernel_alignment 0x%x is not a power of two",
                     li->kernel_alignment);
        return -EINVAL;
    }
    if (li->init_size == 0) {
        fmt_snprintf(why, why_len, "bzImage init_size is 0");
        return -EINVAL;
    }
    return 0;
}

int hvmbuild_linux_parse(const void *img, size_t len, struct hvmbuild_image *out, char *why,
                         size_t why_len)
{
    const uint8_t *b = img;
    struct hvmbuild_linux_info *li = &out->lx;
    uint64_t off, sys, left;
    int rc;

    if (!hvmbuild_linux_is_bzimage(img, len)) {
        fmt_snprintf(why, why_len, "no bzImage setup header (0xAA55 and \"HdrS\")");
        return -EINVAL;
    }
    memset(li, 0, sizeof(*li));
    li->version = (uint16_t)rd(b, HDR_VERSION, 2);
    li->hdr_end = HDR_MAGIC + (uint32_t)rd(b, HDR_JUMP + 1, 1);
    li->setup_sects = (uint8_t)rd(b, HDR_SETUP_SECTS, 1);
    if (li->setup_sects == 0)
        li->setup_sects = 4;            /* what the protocol says a 0 means */
    li->loadflags = (uint8_t)rd(b, HDR_LOADFLAGS, 1);
    li->syssize = (uint32_t)rd(b, HDR_SYSSIZE, 4);
    if (li->version >= LINUX_MIN_VERSION && li->hdr_end >= HDR_MIN_END && li->hdr_end <= len) {
        li->xloadflags = (uint16_t)rd(b, HDR_XLOADFLAGS, 2);
        li->relocatable = (uint8_t)rd(b, HDR_RELOCATABLE, 1);
        li->kernel_alignment = (uint32_t)rd(b, HDR_KERNEL_ALIGN, 4);
        li->pref_address = rd(b, HDR_PREF_ADDRESS, 8);
        li->init_size = (uint32_t)rd(b, HDR_INIT_SIZE, 4);
        li->initrd_addr_max = (uint32_t)rd(b, HDR_INITRD_ADDR_MAX, 4);
        li->cmdline_size = (uint32_t)rd(b, HDR_CMDLINE_SIZE, 4);
    }
    if ((rc = linux_check(len, li, why, why_len)))
        return rc;
    off = (li->setup_sects + 1ULL) * 512;
    sys = (uint64_t)li->syssize * 16;
    /* The build rounds syssize up to 16 bytes over the kernel and its CRC. */
    if (off >= len || sys == 0 || sys > len - off + 15) {
        fmt_snprintf(why, why_len, "bzImage protected-mode kernel (%u setup sectors, syssize "
                     "0x%x) runs past the end of the file (%zu bytes)", li->setup_sects,
                     li->syssize, len);
        return -EINVAL;
    }
    left = len - off;
    out->proto = HVMBUILD_LINUX64;
    out->format = HVMBUILD_FMT_BZIMAGE;
    out->entry = LINUX_ENTRY64_OFF;
    out->nr_segs = 1;
    out->seg[0] = (struct hvmbuild_segment){ li->pref_address,
                                            MAX((uint64_t)li->init_size, MIN(sys, left)),
                                            off, MIN(sys, left) };
    return 0;
}

int hvmbuild_linux_place(const struct hvmbuild_linux_info *li, uint64_t ceiling,
                         uint64_t *load)
{
    uint64_t need = li->init_size, at;

    at = li->pref_address;
    if (at >= HVMBUILD_HOLE_END && at <= ceiling && need <= ceiling - at) {
        *load = at;
        return 0;
    }
    if (!li->relocatable)
        return -ENOMEM;
    at = ALIGN_UP(HVMBUILD_HOLE_END, (uint64_t)li->kernel_alignment);
    if (at > ceiling || need > ceiling - at)
        return -ENOMEM;
    *load = at;
    return 0;
}

void hvmbuild_linux_zero_page(const struct hvmbuild_layout *l, const struct hvmbuild_image *img,
                              const struct hvmbuild_config *cfg, uint64_t rsdp_gpa,
                              uint8_t *low)
{
    uint8_t *bp = low + HVMBUILD_INFO_GPA;
    const struct hvmbuild_linux_info *li = &img->lx;
    uint64_t rd_gpa = cfg->nr_modules ? l->module_gpa[0] : 0;
    uint64_t rd_len = cfg->nr_modules ? cfg->modules[0].len : 0;
    uint64_t mod_cmd[HVMBUILD_MAX_MODULES];

    hvmbuild_strings(cfg, low, mod_cmd);
    memset(bp, 0, PAGE_SIZE);
    memcpy(bp + LINUX_SETUP_HDR_OFF, (const uint8_t *)img->data + LINUX_SETUP_HDR_OFF,
           li->hdr_end - LINUX_SETUP_HDR_OFF);
    bp[BP_SENTINEL] = 0;
    wr(bp, HDR_TYPE_OF_LOADER, LOADER_UNDEFINED, 1);
    wr(bp, HDR_CODE32_START, l->seg[0].paddr, 4);
    wr(bp, HDR_CMD_LINE_PTR, HVMBUILD_CMDLINE_GPA, 4);
    wr(bp, BP_EXT_CMD_LINE_PTR, HVMBUILD_CMDLINE_GPA >> 32, 4);
    wr(bp, HDR_RAMDISK_IMAGE, rd_gpa & 0xffffffffu, 4);
    wr(bp, HDR_RAMDISK_SIZE, rd_len & 0xffffffffu, 4);
    wr(bp, BP_EXT_RAMDISK_IMG, rd_gpa >> 32, 4);
    wr(bp, BP_EXT_RAMDISK_SIZE, rd_len >> 32, 4);
    wr(bp, HDR_HW_SUBARCH, 0, 4);       /* a PC */
    wr(bp, BP_ACPI_RSDP_ADDR, rsdp_gpa, 8);
    wr(bp, LINUX_ZERO_PAGE_E820_NR, l->nr_e820, 1);
    memcpy(bp + LINUX_ZERO_PAGE_E820, l->e820, l->nr_e820 * sizeof(l->e820[0]));
}
