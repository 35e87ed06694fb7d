/* Checking ELF64 x86-64 guest images (see include/hvlab/elf64.h).
 *
 * Design: one pass over the header and the program headers, each check in the order
 * a reader would ask it; every read of the buffer is bounded first, every sum is
 * checked for overflow. Overlap is checked pairwise: images have a handful of
 * segments and the count is capped (ELF64_MAX_PHDRS).
 * Limitations: only what a statically linked, non-relocatable guest needs: no
 * section headers, no relocations, no PT_INTERP/PT_DYNAMIC meaning (ignored). */
#include <hvlab/elf64.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>

static int bad(elf64_report_fn report, void *arg, int err, const char *fmt, ...)
    __printf(4, 5);

static int bad(elf64_report_fn report, void *arg, int err, const char *fmt, ...)
{
    char msg[128];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (report)
        report(arg, msg);
    return err;
}

static const Elf64_Phdr *phdr(const void *elf, unsigned i)
{
    const Elf64_Ehdr *eh = elf;

    return (const Elf64_Phdr *)((const uint8_t *)elf + eh->e_phoff) + i;
}

static int check_header(const Elf64_Ehdr *eh, size_t len, elf64_report_fn report,
                        void *arg)
{
    if (len < sizeof(*eh))
        return bad(report, arg, -EINVAL, "file too short for an ELF header (%zu bytes)", len);
    if (memcmp(eh->e_ident, ELF_MAG, 4) != 0)
        return bad(report, arg, -EINVAL, "no ELF magic");
    if (eh->e_ident[4] != ELFCLASS64)
        return bad(report, arg, -EINVAL, "not a 64-bit ELF (class %u)", eh->e_ident[4]);
    if (eh->e_ident[5] != ELFDATA2LSB)
        return bad(report, arg, -EINVAL, "not little-endian (data %u)", eh->e_ident[5]);
    if (eh->e_ident[6] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return bad(report, arg, -EINVAL, "unknown ELF version");
    if (eh->e_machine != EM_X86_64)
        return bad(report, arg, -EINVAL, "not x86-64 (machine %u)", eh->e_machine);
    if (eh->e_type != ET_EXEC)
        return bad(report, arg, -EINVAL,
                   "not an executable (type %u; link with -no-pie -static)", eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return bad(report, arg, -EINVAL, "program header size %u, expected %zu",
                   eh->e_phentsize, sizeof(Elf64_Phdr));
    if (eh->e_phnum == 0)
        return bad(report, arg, -EINVAL, "no program headers");
    if (eh->e_phnum > ELF64_MAX_PHDRS)
        return bad(report, arg, -E2BIG, "%u program headers (at most %u)",
                   eh->e_phnum, ELF64_MAX_PHDRS);
    /* e_phnum <= 64, so the table size cannot overflow; the offset still can. */
    if (eh->e_phoff > len || len - eh->e_phoff < (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr))
        return bad(report, arg, -EINVAL, "program header table (offset %#llx) "
                   "ends past the end of the file (%zu bytes)",
                   (unsigned long long)eh->e_phoff, len);
    if (eh->e_phoff % 8)
        return bad(report, arg, -EINVAL, "misaligned program header table");
    return 0;
}

static int check_segment(const Elf64_Phdr *ph, unsigned i, size_t len, uint64_t lo,
                         uint64_t hi, elf64_report_fn report, void *arg)
{
    if (ph->p_memsz < ph->p_filesz)
        return bad(report, arg, -EINVAL, "segment %u: memsz %#llx < filesz %#llx", i,
                   (unsigned long long)ph->p_memsz, (unsigned long long)ph->p_filesz);
    if (ph->p_offset > len || len - ph->p_offset < ph->p_filesz)
        return bad(report, arg, -EINVAL, "segment %u: file bytes [%#llx, +%#llx) end "
                   "past the end of the file (%zu bytes)", i,
                   (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz, len);
    if (ph->p_vaddr < lo || ph->p_vaddr > hi || hi - ph->p_vaddr < ph->p_memsz)
        return bad(report, arg, -EINVAL, "segment %u: [%#llx, +%#llx) is outside the "
                   "guest range [%#llx, %#llx)", i, (unsigned long long)ph->p_vaddr,
                   (unsigned long long)ph->p_memsz, (unsigned long long)lo,
                   (unsigned long long)hi);
    return 0;
}

int elf64_check(const void *elf, size_t len, uint64_t lo, uint64_t hi,
                struct elf64_info *info, elf64_report_fn report, void *arg)
{
    const Elf64_Ehdr *eh = elf;
    struct elf64_info in = { .vstart = UINT64_MAX };
    bool entry_ok = false;
    int rc;

    rc = check_header(eh, len, report, arg);
    if (rc)
        return rc;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = phdr(elf, i);

        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        rc = check_segment(ph, i, len, lo, hi, report, arg);
        if (rc)
            return rc;
        for (unsigned j = 0; j < i; j++) {
            const Elf64_Phdr *q = phdr(elf, j);

            if (q->p_type != PT_LOAD || q->p_memsz == 0)
                continue;
            if (ph->p_vaddr < q->p_vaddr + q->p_memsz && q->p_vaddr < ph->p_vaddr + ph->p_memsz)
                return bad(report, arg, -EINVAL, "segments %u and %u overlap", j, i);
        }
        if ((ph->p_flags & PF_X) && eh->e_entry >= ph->p_vaddr &&
            eh->e_entry - ph->p_vaddr < ph->p_memsz)
            entry_ok = true;
        in.vstart = MIN(in.vstart, ph->p_vaddr);
        in.vend = MAX(in.vend, ph->p_vaddr + ph->p_memsz);
        in.nr_load++;
    }
    if (!in.nr_load)
        return bad(report, arg, -EINVAL, "no loadable segment");
    if (!entry_ok)
        return bad(report, arg, -EINVAL, "entry point %#llx is not in an executable "
                   "segment", (unsigned long long)eh->e_entry);
    in.entry = eh->e_entry;
    if (info)
        *info = in;
    return 0;
}

int elf64_segment(const void *elf, unsigned idx, struct elf64_segment *seg)
{
    const Elf64_Ehdr *eh = elf;

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = phdr(elf, i);

        if (ph->p_type != PT_LOAD || ph->p_memsz == 0 || idx--)
            continue;
        seg->vaddr = ph->p_vaddr;
        seg->memsz = ph->p_memsz;
        seg->offset = ph->p_offset;
        seg->filesz = ph->p_filesz;
        seg->flags = ph->p_flags;
        return 0;
    }
    return -ENOENT;
}
