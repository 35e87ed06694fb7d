/* ELF32 and ELF64 x86 kernels for the HVM builder: program headers read into one
 * class-neutral form. An HVM kernel starts with paging off, so its PT_LOAD segments
 * go to their physical addresses (p_paddr), unlike PV images (core/lib/elf64.c),
 * which are loaded by virtual address. Nothing in the buffer is trusted: every
 * offset and size is checked before it is read, and sums cannot wrap. */
#include <hvlab/errno.h>
#include <hvlab/hvmbuild_internal.h>
#include <hvlab/lib.h>

#define EI_CLASS    4
#define EI_DATA     5
#define ELFCLASS32  1
#define ELFCLASS64  2
#define EM_386      3
#define EM_X86_64   62
#define PT_LOAD     1
#define PT_NOTE     4

static uint64_t rd(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    memcpy(&v, p, size);        /* little-endian host and target */
    return v;
}

bool hvmbuild_is_elf(const void *img, size_t len)
{
    return len >= 16 && memcmp(img, "\177ELF", 4) == 0;
}

/* Field offsets of the two classes: ehdr entry/phoff/phentsize/phnum, phdr fields. */
struct elf_shape {
    unsigned ehdr_size, e_entry, e_phoff, e_phentsize, e_phnum, word;
    unsigned p_type, p_offset, p_paddr, p_filesz, p_memsz, phdr_size;
};

static const struct elf_shape shape32 = { 52, 24, 28, 42, 44, 4, 0, 4, 12, 16, 20, 32 };
static const struct elf_shape shape64 = { 64, 24, 32, 54, 56, 8, 0, 8, 24, 32, 40, 56 };

int hvmbuild_elf_parse(const void *img, size_t len, struct hvmbuild_elf *out, char *why,
                       size_t why_len)
{
    const uint8_t *b = img;
    const struct elf_shape *s;
    uint64_t phoff, phentsize;
    uint16_t machine;

    memset(out, 0, sizeof(*out));
    if (!hvmbuild_is_elf(img, len)) {
        fmt_snprintf(why, why_len, "no ELF magic");
        return -EINVAL;
    }
    if (b[EI_DATA] != 1) {
        fmt_snprintf(why, why_len, "ELF image is not little-endian");
        return -EINVAL;
    }
    if (b[EI_CLASS] == ELFCLASS32) {
        s = &shape32;
    } else if (b[EI_CLASS] == ELFCLASS64) {
        s = &shape64;
    } else {
        fmt_snprintf(why, why_len, "ELF class %u is neither 32- nor 64-bit", b[EI_CLASS]);
        return -EINVAL;
    }
    if (len < s->ehdr_size) {
        fmt_snprintf(why, why_len, "ELF header truncated (%zu bytes)", len);
        return -EINVAL;
    }
    machine = (uint16_t)rd(b + 18, 2);
    if (machine != EM_386 && machine != EM_X86_64) {
        fmt_snprintf(why, why_len, "ELF machine %u is not x86", machine);
        return -EINVAL;
    }
    out->is64 = s == &shape64;
    out->entry = rd(b + s->e_entry, s->word);
    phoff = rd(b + s->e_phoff, s->word);
    phentsize = rd(b + s->e_phentsize, 2);
    out->phnum = (unsigned)rd(b + s->e_phnum, 2);
    if (out->phnum == 0 || out->phnum > HVMBUILD_ELF_MAX_PHDRS) {
        fmt_snprintf(why, why_len, "ELF has %u program headers (1 to %u accepted)",
                     out->phnum, HVMBUILD_ELF_MAX_PHDRS);
        return -EINVAL;
    }
    if (phentsize < s->phdr_size || phoff > len ||
        (len - phoff) / phentsize < out->phnum) {
        fmt_snprintf(why, why_len, "ELF program header table (offset 0x%llx, %u x %llu bytes)"
                     " runs past the end of the file (%zu bytes)", (unsigned long long)phoff,
                     out->phnum, (unsigned long long)phentsize, len);
        return -EINVAL;
    }
    for (unsigned i = 0; i < out->phnum; i++) {
        const uint8_t *ph = b + phoff + i * phentsize;
        struct hvmbuild_elf_phdr *p = &out->ph[i];

        p->type = (uint32_t)rd(ph + s->p_type, 4);
        p->offset = rd(ph + s->p_offset, s->word);
        p->vaddr = rd(ph + s->p_offset + s->word, s->word);
        p->paddr = rd(ph + s->p_paddr, s->word);
        p->filesz = rd(ph + s->p_filesz, s->word);
        p->memsz = rd(ph + s->p_memsz, s->word);
        if ((p->type == PT_LOAD || p->type == PT_NOTE) &&
            (p->offset > len || p->filesz > len - p->offset)) {
            fmt_snprintf(why, why_len, "ELF segment %u (file 0x%llx+0x%llx) runs past the "
                         "end of the file (%zu bytes)", i, (unsigned long long)p->offset,
                         (unsigned long long)p->filesz, len);
            return -EINVAL;
        }
        if (p->type == PT_LOAD && (p->memsz < p->filesz || p->paddr + p->memsz < p->paddr)) {
            fmt_snprintf(why, why_len, "ELF segment %u: memsz 0x%llx smaller than filesz "
                         "0x%llx or wrapping", i, (unsigned long long)p->memsz,
                         (unsigned long long)p->filesz);
            return -EINVAL;
        }
    }
    return 0;
}

int hvmbuild_elf_segments(const struct hvmbuild_elf *e, struct hvmbuild_image *img,
                          char *why, size_t why_len)
{
    img->nr_segs = 0;
    img->entry = e->entry;
    for (unsigned i = 0; i < e->phnum; i++) {
        const struct hvmbuild_elf_phdr *p = &e->ph[i];
        struct hvmbuild_segment *sg;

        if (p->type != PT_LOAD || p->memsz == 0)
            continue;
        if (img->nr_segs == HVMBUILD_MAX_SEGS) {
            fmt_snprintf(why, why_len, "more than %u loadable segments", HVMBUILD_MAX_SEGS);
            return -EINVAL;
        }
        for (unsigned j = 0; j < img->nr_segs; j++) {
            const struct hvmbuild_segment *o = &img->seg[j];
            if (p->paddr < o->paddr + o->memsz && o->paddr < p->paddr + p->memsz) {
                fmt_snprintf(why, why_len, "ELF segments overlap at physical 0x%llx",
                             (unsigned long long)MAX(p->paddr, o->paddr));
                return -EINVAL;
            }
        }
        /* A virtual entry point (vaddr != paddr) is translated through its segment. */
        if (p->vaddr != p->paddr && e->entry >= p->vaddr && e->entry - p->vaddr < p->memsz)
            img->entry = p->paddr + (e->entry - p->vaddr);
        sg = &img->seg[img->nr_segs++];
        *sg = (struct hvmbuild_segment){ p->paddr, p->memsz, p->offset, p->filesz };
    }
    if (img->nr_segs == 0) {
        fmt_snprintf(why, why_len, "ELF has no loadable segment");
        return -EINVAL;
    }
    return 0;
}

/* ELF note: namesz, descsz, type, then name and desc, each padded to 4 bytes. */
int hvmbuild_elf_find_note(const void *img, const struct hvmbuild_elf *e, const char *name,
                           uint32_t type, const uint8_t **desc, uint32_t *desc_len)
{
    size_t nlen = strlen(name) + 1;

    for (unsigned i = 0; i < e->phnum; i++) {
        const uint8_t *p;
        uint64_t left = e->ph[i].filesz;

        /* Only PT_LOAD and PT_NOTE offsets were checked against the file. */
        if (e->ph[i].type != PT_NOTE)
            continue;
        p = (const uint8_t *)img + e->ph[i].offset;
        while (left >= 12) {
            uint32_t namesz = (uint32_t)rd(p, 4), descsz = (uint32_t)rd(p + 4, 4);
            uint32_t t = (uint32_t)rd(p + 8, 4);
            uint64_t nal = ALIGN_UP((uint64_t)namesz, 4), dal = ALIGN_UP((uint64_t)descsz, 4);

            if (nal + dal > left - 12)
                break;                  /* truncated note: stop at this segment */
            if (t == type && namesz == nlen && memcmp(p + 12, name, nlen) == 0) {
                *desc = p + 12 + nal;
                *desc_len = descsz;
                return 0;
            }
            p += 12 + nal + dal;
            left -= 12 + nal + dal;
        }
    }
    return -ENOENT;
}
