/* Multiboot v1 for HVM guests: the image's header and the information structure
 * (the Multiboot Specification 0.6.96, sections 3.1 and 3.3).
 *
 * Design: the header is searched 4-byte aligned in the first 8 KiB. Its flags 0-15
 * are requirements: page-aligned modules (bit 0, always true here) and memory
 * information (bit 1, always given) are honoured; a video mode (bit 2) or any
 * unknown requirement refuses the image, as the spec asks. With flag 16 the header's
 * addresses say where the file goes (the "a.out kludge", any file format); without
 * it the file must be ELF and its PT_LOAD segments go to their physical addresses.
 * The info structure gets mem_lower/upper, the command line, the modules (each
 * with its string) and the E820 as the mmap. */
#include <hvlab/errno.h>
#include <hvlab/hvmbuild_internal.h>
#include <hvlab/lib.h>
#include <hvlab/multiboot.h>

#define MB_KNOWN_REQUIRED   (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO)

struct mb_header {
    uint32_t magic, flags, checksum;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

long hvmbuild_mb_find(const void *img, size_t len)
{
    const uint8_t *b = img;
    size_t end = MIN(len, (size_t)MULTIBOOT_SEARCH_LEN);

    for (size_t off = 0; off + MB_HEADER_MIN <= end; off += 4) {
        uint32_t magic;
        memcpy(&magic, b + off, 4);
        if (magic == MULTIBOOT_HEADER_MAGIC)
            return (long)off;
    }
    return -ENOENT;
}

/* The a.out kludge: file bytes from the header's position back to load_addr. */
static int mb_kludge(const struct mb_header *h, size_t len, uint32_t off,
                     struct hvmbuild_image *img, char *why, size_t why_len)
{
    uint64_t file_start, load_end, bss_end;

    if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > off) {
        fmt_snprintf(why, why_len, "Multiboot header_addr 0x%x and load_addr 0x%x put the "
                     "load start before the file's first byte", h->header_addr, h->load_addr);
        return -EINVAL;
    }
    file_start = off - (h->header_addr - h->load_addr);
    load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + (len - file_start);
    if (load_end < h->load_addr || load_end - h->load_addr > len - file_start) {
        fmt_snprintf(why, why_len, "Multiboot load_end_addr 0x%llx lies past the end of "
                     "the file (%zu bytes)", (unsigned long long)load_end, len);
        return -EINVAL;
    }
    bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
    if (bss_end < load_end) {
        fmt_snprintf(why, why_len, "Multiboot bss_end_addr 0x%x below load_end_addr 0x%llx",
                     h->bss_end_addr, (unsigned long long)load_end);
        return -EINVAL;
    }
    img->format = HVMBUILD_FMT_AOUT_KLUDGE;
    img->nr_segs = 1;
    img->seg[0] = (struct hvmbuild_segment){ h->load_addr, bss_end - h->load_addr,
                                            file_start, load_end - h->load_addr };
    img->entry = h->entry_addr;
    return 0;
}

int hvmbuild_mb_parse(const void *data, size_t len, uint32_t off, const struct hvmbuild_elf *elf,
                      struct hvmbuild_image *img, char *why, size_t why_len)
{
    struct mb_header h = { 0 };
    uint32_t sum, unknown;

    memcpy(&h, (const uint8_t *)data + off, MIN(sizeof(h), len - off));
    sum = h.magic + h.flags + h.checksum;
    if (sum != 0) {
        fmt_snprintf(why, why_len, "Multiboot header at offset 0x%x: bad checksum "
                     "(magic + flags + checksum = 0x%x, not 0)", off, sum);
        return -EINVAL;
    }
    img->proto = HVMBUILD_MULTIBOOT;
    img->mb_flags = h.flags;
    img->mb_header_off = off;
    if (h.flags & MB_FLAG_VIDEO) {
        fmt_snprintf(why, why_len, "Multiboot header asks for a video mode (flag 2), "
                     "which hvlab does not provide");
        return -EINVAL;
    }
    unknown = h.flags & 0xffffu & ~MB_KNOWN_REQUIRED;
    if (unknown) {
        fmt_snprintf(why, why_len, "Multiboot header requires features 0x%x hvlab does "
                     "not know", unknown);
        return -EINVAL;
    }
    if (h.flags & MB_FLAG_AOUT_KLUDGE) {
        if (len - off < MB_HEADER_KLUDGE) {
            fmt_snprintf(why, why_len, "Multiboot header at offset 0x%x: address fields "
                         "cut off by the end of the file", off);
            return -EINVAL;
        }
        return mb_kludge(&h, len, off, img, why, why_len);
    }
    if (!elf) {
        fmt_snprintf(why, why_len, "Multiboot header without the address fields (flag 16) "
                     "in a file that is not ELF");
        return -EINVAL;
    }
    img->format = elf->is64 ? HVMBUILD_FMT_ELF64 : HVMBUILD_FMT_ELF32;
    return hvmbuild_elf_segments(elf, img, why, why_len);
}

/* KiB of RAM in the E820 entry that starts at addr, 0 if none does. */
static uint32_t ram_kib_at(const struct hvmbuild_layout *l, uint64_t addr)
{
    for (unsigned i = 0; i < l->nr_e820; i++)
        if (l->e820[i].addr == addr && l->e820[i].type == E820_RAM)
            return (uint32_t)(l->e820[i].size >> 10);
    return 0;
}

void hvmbuild_mb_info(const struct hvmbuild_layout *l, const struct hvmbuild_config *cfg,
                      uint8_t *low)
{
    struct multiboot_info *mbi = (void *)(low + HVMBUILD_INFO_GPA);
    struct multiboot_mmap *mm = (void *)(low + HVMBUILD_MEMMAP_GPA);
    struct multiboot_mod *mods = (void *)(low + HVMBUILD_MODLIST_GPA);
    uint64_t mod_cmd[HVMBUILD_MAX_MODULES];

    hvmbuild_strings(cfg, low, mod_cmd);
    memset(mbi, 0, sizeof(*mbi));
    mbi->flags = MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MMAP;
    mbi->mem_lower = ram_kib_at(l, 0);
    mbi->mem_upper = ram_kib_at(l, HVMBUILD_HOLE_END);
    mbi->cmdline = (uint32_t)HVMBUILD_CMDLINE_GPA;
    for (unsigned i = 0; i < l->nr_e820; i++) {
        mm[i].size = sizeof(mm[i]) - sizeof(mm[i].size);
        mm[i].addr = l->e820[i].addr;
        mm[i].len = l->e820[i].size;
        mm[i].type = l->e820[i].type;
    }
    mbi->mmap_addr = (uint32_t)HVMBUILD_MEMMAP_GPA;
    mbi->mmap_length = l->nr_e820 * (uint32_t)sizeof(*mm);
    if (cfg->nr_modules) {
        mbi->flags |= MBI_FLAG_MODS;
        mbi->mods_count = cfg->nr_modules;
        mbi->mods_addr = (uint32_t)HVMBUILD_MODLIST_GPA;
    }
    for (unsigned i = 0; i < cfg->nr_modules; i++) {
        mods[i].mod_start = (uint32_t)l->module_gpa[i];
        mods[i].mod_end = (uint32_t)(l->module_gpa[i] + cfg->modules[i].len);
        mods[i].string = (uint32_t)mod_cmd[i];
        mods[i].reserved = 0;
    }
    if (cfg->loader_name) {
        mbi->flags |= MBI_FLAG_LOADER;
        mbi->boot_loader_name = (uint32_t)HVMBUILD_LOADER_GPA;
        memcpy(low + HVMBUILD_LOADER_GPA, cfg->loader_name, strlen(cfg->loader_name) + 1);
    }
}
