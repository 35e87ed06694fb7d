/* The HVM builder's pieces, shared between core/lib/hvmbuild_*.c and their host tests
 * (the public entry points are in hvmbuild.h). "low" below is a buffer indexed by
 * guest-physical address covering [0, HVMBUILD_LOW_END): the builder's structures
 * are assembled there and written to the guest in one piece. "why" buffers receive a
 * refusal's reason, without the file name (the caller adds it). */
#ifndef HVLAB_HVMBUILD_INTERNAL_H
#define HVLAB_HVMBUILD_INTERNAL_H

#include <hvlab/hvmbuild.h>

#define HVMBUILD_WHY_LEN        160

/* ---- hvmbuild_elf.c ---- */

#define HVMBUILD_ELF_MAX_PHDRS  64

struct hvmbuild_elf_phdr {
    uint32_t type;
    uint64_t offset, vaddr, paddr, filesz, memsz;
};

struct hvmbuild_elf {
    bool is64;
    uint64_t entry;
    unsigned phnum;
    struct hvmbuild_elf_phdr ph[HVMBUILD_ELF_MAX_PHDRS];
};

bool hvmbuild_is_elf(const void *img, size_t len);

/* Header and program headers of a little-endian x86 ELF32/ELF64; PT_LOAD and PT_NOTE
 * file ranges inside the file. 0 or -EINVAL with why set. */
int hvmbuild_elf_parse(const void *img, size_t len, struct hvmbuild_elf *out, char *why,
                       size_t why_len);

/* img->seg[] from the PT_LOADs (by p_paddr, memsz > 0, none overlapping), img->entry
 * from e_entry (translated to physical when it lies in a segment's vaddr range). */
int hvmbuild_elf_segments(const struct hvmbuild_elf *e, struct hvmbuild_image *img,
                          char *why, size_t why_len);

/* The descriptor of the first note (name, type) in a PT_NOTE segment: 0, or -ENOENT. */
int hvmbuild_elf_find_note(const void *img, const struct hvmbuild_elf *e, const char *name,
                           uint32_t type, const uint8_t **desc, uint32_t *desc_len);

/* ---- hvmbuild_multiboot.c ---- */

#define MULTIBOOT_HEADER_MAGIC  0x1BADB002u
#define MULTIBOOT_SEARCH_LEN    8192
#define MB_FLAG_PAGE_ALIGN      (1u << 0)       /* modules page-aligned */
#define MB_FLAG_MEMINFO         (1u << 1)
#define MB_FLAG_VIDEO           (1u << 2)
#define MB_FLAG_AOUT_KLUDGE     (1u << 16)
#define MB_HEADER_MIN           12              /* magic, flags, checksum */
#define MB_HEADER_KLUDGE        32              /* + the five address fields */

/* File offset of the first 4-byte-aligned Multiboot magic in the first 8 KiB, or
 * -ENOENT. */
long hvmbuild_mb_find(const void *img, size_t len);

/* The image at a header found by hvmbuild_mb_find: checksum, flags (required bits
 * hvlab cannot honour refused), then the a.out-kludge addresses or, without them, the
 * ELF (elf: parsed, or NULL when the file is not ELF). Fills img's segments/entry. */
int hvmbuild_mb_parse(const void *data, size_t len, uint32_t off, const struct hvmbuild_elf *elf,
                      struct hvmbuild_image *img, char *why, size_t why_len);

/* multiboot_info at HVMBUILD_INFO_GPA (mem, cmdline, mods, mmap from the E820). */
void hvmbuild_mb_info(const struct hvmbuild_layout *l, const struct hvmbuild_config *cfg,
                      uint8_t *low);

/* ---- hvmbuild_pvh.c ---- */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC         0x336ec578u
#define HVM_MEMMAP_TYPE_RAM     1

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;           /* 1: the memmap fields are valid */
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_table_entry {
    uint64_t addr, size;
    uint32_t type, reserved;    /* type: the E820 numbers */
};

/* The 32-bit entry of the PHYS32_ENTRY note ("Xen", type 18; 4- or 8-byte desc):
 * 0, -ENOENT (no note), -EINVAL (malformed, why set). */
int hvmbuild_pvh_find(const void *img, const struct hvmbuild_elf *e, uint64_t *entry,
                      char *why, size_t why_len);

/* hvm_start_info (version 1) at HVMBUILD_INFO_GPA, memmap, modules, cmdline. */
void hvmbuild_pvh_start_info(const struct hvmbuild_layout *l, const struct hvmbuild_config *cfg,
                             uint64_t rsdp_gpa, uint8_t *low);

/* ---- hvmbuild_linux.c ---- */

#define LINUX_SETUP_HDR_OFF     0x1f1
#define LINUX_HDR_MAGIC         0x53726448u     /* "HdrS" */
#define LINUX_MIN_VERSION       0x020c          /* 2.12: xloadflags */
#define LINUX_LOADED_HIGH       (1u << 0)
#define LINUX_XLF_KERNEL_64     (1u << 0)
#define LINUX_ENTRY64_OFF       0x200
#define LINUX_ZERO_PAGE_E820    0x2d0
#define LINUX_ZERO_PAGE_E820_NR 0x1e8
#define LINUX_E820_MAX          128

bool hvmbuild_linux_is_bzimage(const void *img, size_t len);

/* The setup header, checked for what the 64-bit boot protocol needs. */
int hvmbuild_linux_parse(const void *img, size_t len, struct hvmbuild_image *out, char *why,
                         size_t why_len);

/* Where the kernel goes: pref_address when [it, + init_size) fits below ceiling, else
 * (relocatable) the lowest kernel_alignment multiple from 1 MiB that does. 0 with
 * *load set, or -ENOMEM. */
int hvmbuild_linux_place(const struct hvmbuild_linux_info *li, uint64_t ceiling,
                         uint64_t *load);

/* The zero page at HVMBUILD_INFO_GPA: the file's setup header with the loader's
 * fields, E820, cmdline, initrd (module 0), RSDP. */
void hvmbuild_linux_zero_page(const struct hvmbuild_layout *l, const struct hvmbuild_image *img,
                              const struct hvmbuild_config *cfg, uint64_t rsdp_gpa,
                              uint8_t *low);

/* ---- hvmbuild_layout.c (shared by the protocols) ---- */

/* The GDT (hvmbuild.h) and the 4 GiB identity map with 2 MiB pages. */
void hvmbuild_gdt(uint8_t *low);
void hvmbuild_pagetables(uint8_t *low);

/* Command line at HVMBUILD_CMDLINE_GPA and module strings from HVMBUILD_MODCMD_GPA;
 * mod_cmd[i] receives module i's string address. */
void hvmbuild_strings(const struct hvmbuild_config *cfg, uint8_t *low, uint64_t *mod_cmd);

#endif
