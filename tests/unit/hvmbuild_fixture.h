/* Crafted kernel images for the HVM builder's host tests: ELF32/ELF64 (optionally
 * with a PVH note and/or a Multiboot header), Multiboot a.out-kludge binaries and
 * bzImages with a setup header. Segment bytes are a known pattern (fx_byte) so a
 * test can check what the builder copied. */
#ifndef HVMBUILD_FIXTURE_H
#define HVMBUILD_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define FX_MAX_SEGS 4
#define FX_CAP      (64 * 1024)

struct fx_seg { uint64_t paddr, vaddr, filesz, memsz; };

struct fx_elf {
    bool is64;
    uint64_t entry;
    unsigned nsegs;
    struct fx_seg seg[FX_MAX_SEGS];
    /* PVH note: desc_len 0 = none; 4 or 8 (or anything, to test refusals). */
    uint32_t pvh_desc_len;
    uint64_t pvh_entry;
    /* Multiboot header at file offset 0x400 when mb is set. */
    bool mb;
    uint32_t mb_flags;
    bool mb_bad_checksum;
};

/* Byte i of segment s in the file. */
static inline uint8_t fx_byte(unsigned s, uint64_t i) { return (uint8_t)(s * 31 + i * 7 + 3); }

size_t fx_make_elf(uint8_t *buf, const struct fx_elf *e);

/* A raw binary with a Multiboot header at hdr_off using the address fields: loads at
 * load_addr, load_len bytes from the file's start, bss up to bss_end (0: none). */
size_t fx_make_kludge(uint8_t *buf, uint32_t hdr_off, uint32_t load_addr, uint32_t load_len,
                      uint32_t bss_end, uint32_t entry);

struct fx_bz {
    uint16_t version;           /* 0x020f */
    uint8_t  setup_sects;
    uint8_t  loadflags;         /* LOADED_HIGH set by default in tests */
    uint16_t xloadflags;
    uint8_t  relocatable;
    uint32_t kernel_alignment;
    uint64_t pref_address;
    uint32_t init_size;
    uint32_t sys_bytes;         /* protected-mode kernel bytes in the file */
    uint32_t cmdline_size;
    uint32_t initrd_addr_max;
    int32_t  syssize_extra;     /* added to the honest syssize (refusal tests) */
};

/* A bzImage: boot sector + setup (setup_sects sectors) + sys_bytes of fx_byte(0, i). */
size_t fx_make_bzimage(uint8_t *buf, const struct fx_bz *b);
struct fx_bz fx_bz_default(void);

#endif
