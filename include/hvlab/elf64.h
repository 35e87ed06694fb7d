/* ELF64 x86-64 executables as PV guest images: just enough of the format to check an
 * image in a buffer and walk its loadable segments. Pure logic: used by the
 * hypervisor (dom0's image), by dom0's domain builder (domU images) and by host
 * tests. Nothing here trusts the buffer: every offset is checked before it is read. */
#ifndef HVLAB_ELF64_H
#define HVLAB_ELF64_H

#include <hvlab/types.h>

#define ELF_MAG        "\177ELF"
#define ELFCLASS64     2
#define ELFDATA2LSB    1
#define EV_CURRENT     1
#define ET_EXEC        2
#define EM_X86_64      62
#define PT_LOAD        1
#define PF_X           1
#define PF_W           2
#define PF_R           4

#define ELF64_MAX_PHDRS 64      /* more program headers than this: refused */

typedef struct {
    uint8_t  e_ident[16];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
} Elf64_Ehdr;

typedef struct {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
} Elf64_Phdr;

/* What a valid image looks like from outside. */
struct elf64_info {
    uint64_t entry;
    uint64_t vstart;            /* lowest p_vaddr of a PT_LOAD (not rounded) */
    uint64_t vend;              /* highest p_vaddr + p_memsz (exclusive, not rounded) */
    unsigned nr_load;           /* PT_LOAD segments with p_memsz > 0 */
};

/* One loadable segment: file bytes [offset, offset + filesz) go to vaddr, and the
 * rest up to memsz is zero. */
struct elf64_segment {
    uint64_t vaddr, memsz;
    uint64_t offset, filesz;
    uint32_t flags;             /* PF_* */
};

/* Problems are described to report(arg, why) in a few words ("segment 1 ends past
 * the end of the file"); the caller adds the file name ("file X: bad ELF: why"). */
typedef void (*elf64_report_fn)(void *arg, const char *why);

/* Checks an ELF64 x86-64 ET_EXEC image of len bytes: header, program header table
 * inside the buffer, every PT_LOAD's file range inside the buffer, memsz >= filesz,
 * no two PT_LOADs overlapping, all within [lo, hi), the entry point inside an
 * executable PT_LOAD. Returns 0 and fills info (may be NULL), or -EINVAL/-E2BIG
 * after one report() call (report may be NULL). */
int elf64_check(const void *elf, size_t len, uint64_t lo, uint64_t hi,
                struct elf64_info *info, elf64_report_fn report, void *arg);

/* The idx-th PT_LOAD with memsz > 0 (idx < info.nr_load) of an image that passed
 * elf64_check. Returns 0, or -ENOENT past the last one. */
int elf64_segment(const void *elf, unsigned idx, struct elf64_segment *seg);

#endif
