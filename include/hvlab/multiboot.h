/* Multiboot v1 information structure (the subset we read). */
#ifndef HVLAB_MULTIBOOT_H
#define HVLAB_MULTIBOOT_H

#include <hvlab/types.h>

#define MULTIBOOT_LOADER_MAGIC 0x2badb002
#define MBI_FLAG_MEM      (1 << 0)
#define MBI_FLAG_CMDLINE  (1 << 2)
#define MBI_FLAG_MODS     (1 << 3)
#define MBI_FLAG_MMAP     (1 << 6)
#define MBI_FLAG_LOADER   (1 << 9)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;          /* valid with MBI_FLAG_LOADER */
} __attribute__((packed));

struct multiboot_mod {
    uint32_t mod_start, mod_end;
    uint32_t string;
    uint32_t reserved;
} __attribute__((packed));

#define MB_MMAP_AVAILABLE 1
struct multiboot_mmap {
    uint32_t size;              /* of the rest of this entry, not counting this field */
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

#endif
