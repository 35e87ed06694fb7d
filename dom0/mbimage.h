/* Multiboot v1 ELF kernels for HVM domains (dom0/xl_hvm.c): the checks of an image
 * and where its segments go, and the multiboot info the loader writes. Pure logic,
 * built for host tests too (tests/unit/test_mbimage.c); nothing here trusts the
 * image: every offset is checked before it is read.
 *
 * The guest-physical layout (hvm-interfaces.md): RAM from 0, 0x9F000-0xFFFFF
 * reserved (as firmware leaves it), the multiboot info in the page at MBI_GPA; the
 * kernel's segments anywhere else in RAM, below 4 GiB (Multiboot v1 is 32-bit). */
#ifndef DOM0_MBIMAGE_H
#define DOM0_MBIMAGE_H

#include <hvlab/types.h>

#define MB_HEADER_MAGIC    0x1badb002u      /* in the image */
#define MB_BOOT_MAGIC      0x2badb002u      /* in EAX at the entry */
#define MB_HEADER_SEARCH   8192             /* the header is in the first 8 KiB */
#define MBI_GPA            0x10000u         /* the info page (below the reserved hole) */
#define MB_RESERVED_START  0x9f000ull
#define MB_RESERVED_END    0x100000ull
#define MBIMAGE_MAX_SEGS   16
#define MBIMAGE_WHY_MAX    128

struct mbimage_seg {
    uint64_t paddr, memsz;              /* guest-physical destination */
    uint64_t offset, filesz;            /* file bytes; the rest up to memsz is zero */
};

struct mbimage {
    uint32_t entry;                     /* guest-physical */
    uint32_t mb_flags;                  /* the header's flags */
    unsigned nr_segs;
    struct mbimage_seg seg[MBIMAGE_MAX_SEGS];
};

/* Checks a Multiboot v1 kernel of len bytes: a header with a valid checksum in the
 * first 8 KiB asking for nothing but memory information (and page-aligned modules),
 * an ELF32 i386 or ELF64 x86-64 executable whose PT_LOAD segments lie inside the
 * file and below 4 GiB without overlapping, and an entry point inside one of them.
 * 0 and img filled, or -EINVAL with why (a few words, no file name) filled. */
int mbimage_parse(const void *buf, size_t len, struct mbimage *img, char *why,
                  size_t why_len);

/* Whether img fits a guest with ram_bytes of RAM: every segment inside RAM, clear of
 * the reserved hole and of the info page. 0, or -ENOMEM (too small) or -EINVAL
 * (a clash) with why filled. */
int mbimage_fits(const struct mbimage *img, uint64_t ram_bytes, char *why, size_t why_len);

/* The multiboot info for a guest with ram_bytes of RAM, written into page (size
 * bytes, to be copied to guest-physical MBI_GPA): memory sizes, a memory map (RAM,
 * the reserved hole, RAM), the command line, and the boot loader name
 * "hvlab-xl domid=<domid>" (guest/hvm/hvm.c reads its domain id from it). Returns the
 * bytes used, or -E2BIG if the command line does not fit. */
long mbinfo_write(void *page, size_t size, uint64_t ram_bytes, const char *cmdline,
                  unsigned domid);

#endif
