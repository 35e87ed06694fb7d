/* Multiboot v1 ELF kernels: checks, segment layout, the multiboot info
 * (dom0/mbimage.h). ELF32 and ELF64 are read field by field from byte offsets, so a
 * header at any alignment in the buffer is read safely. */
#include <hvlab/errno.h>
#include <hvlab/lib.h>

#include "mbimage.h"

#define MB_FLAG_MEMORY     (1u << 1)
#define MB_FLAG_PAGE_ALIGN (1u << 0)
#define MB_FLAG_VIDEO      (1u << 2)
#define MB_FLAG_AOUT       (1u << 16)
#define MB_REQUIRED_MASK   0xffffu      /* bits a loader must honour or refuse */

#define MBI_FLAG_MEMORY    (1u << 0)
#define MBI_FLAG_CMDLINE   (1u << 2)
#define MBI_FLAG_MMAP      (1u << 6)
#define MBI_FLAG_LOADER    (1u << 9)
#define MBI_SIZE           88            /* struct multiboot_info up to vbe fields */
#define MMAP_ENTRY         24            /* size field + base, length, type */

#define EM_386     3
#define EM_X86_64  62
#define PT_LOAD    1
#define FOUR_GIB   (1ull << 32)

static int why_set(char *why, size_t len, int err, const char *fmt, ...) __printf(4, 5);
static int why_set(char *why, size_t len, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return err;
}

static uint64_t rd(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int header_check(const uint8_t *b, size_t len, struct mbimage *img, char *why,
                        size_t wl)
{
    size_t end = MIN(len, (size_t)MB_HEADER_SEARCH);
    bool seen = false;

    for (size_t off = 0; off + 12 <= end; off += 4) {
        uint32_t magic = (uint32_t)rd(b + off, 4), flags, sum;

        if (magic != MB_HEADER_MAGIC)
            continue;
        flags = (uint32_t)rd(b + off + 4, 4);
        sum = (uint32_t)rd(b + off + 8, 4);
        if ((uint32_t)(magic + flags + sum) != 0) {
            seen = true;
            continue;
        }
        if (flags & MB_FLAG_VIDEO)
            return why_set(why, wl, -EINVAL, "the Multiboot header asks for a video mode "
                           "(flag 2): there is no display");
        if (flags & MB_FLAG_AOUT)
            return why_set(why, wl, -EINVAL, "the Multiboot header uses the a.out address "
                           "fields (flag 16): only ELF segments are loaded");
        if (flags & MB_REQUIRED_MASK & ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY))
            return why_set(why, wl, -EINVAL, "the Multiboot header requires unknown "
                           "features (flags %#x)", flags & MB_REQUIRED_MASK);
        img->mb_flags = flags;
        return 0;
    }
    if (seen)
        return why_set(why, wl, -EINVAL, "Multiboot v1 header with a bad checksum");
    return why_set(why, wl, -EINVAL, "no Multiboot v1 header in the first %u bytes",
                   MB_HEADER_SEARCH);
}

/* The ELF header fields both classes have, at their class's offsets. */
struct elf_view {
    bool is64;
    uint64_t entry, phoff;
    unsigned phentsize, phnum;
};

static int elf_header(const uint8_t *b, size_t len, struct elf_view *e, char *why, size_t wl)
{
    unsigned machine;

    if (len < 52 || memcmp(b, "\177ELF", 4) != 0)
        return why_set(why, wl, -EINVAL, "not an ELF file");
    if (b[4] != 1 && b[4] != 2)
        return why_set(why, wl, -EINVAL, "ELF class %u (neither 32- nor 64-bit)", b[4]);
    e->is64 = b[4] == 2;
    if (b[5] != 1)
        return why_set(why, wl, -EINVAL, "not a little-endian ELF file");
    if (e->is64 && len < 64)
        return why_set(why, wl, -EINVAL, "ELF header cut short");
    if (rd(b + 16, 2) != 2)
        return why_set(why, wl, -EINVAL, "not an executable (ELF type %u)",
                       (unsigned)rd(b + 16, 2));
    machine = (unsigned)rd(b + 18, 2);
    if (machine != (e->is64 ? EM_X86_64 : EM_386))
        return why_set(why, wl, -EINVAL, "ELF%u for machine %u, not x86",
                       e->is64 ? 64 : 32, machine);
    e->entry = e->is64 ? rd(b + 24, 8) : rd(b + 24, 4);
    e->phoff = e->is64 ? rd(b + 32, 8) : rd(b + 28, 4);
    e->phentsize = (unsigned)rd(b + (e->is64 ? 54 : 42), 2);
    e->phnum = (unsigned)rd(b + (e->is64 ? 56 : 44), 2);
    if (e->phentsize != (e->is64 ? 56u : 32u))
        return why_set(why, wl, -EINVAL, "program header size %u", e->phentsize);
    if (e->phoff > len || (uint64_t)e->phnum * e->phentsize > len - e->phoff)
        return why_set(why, wl, -EINVAL, "program headers past the end of the file");
    return 0;
}

/* The loadable segment i (memsz > 0), checked against the file and 4 GiB. */
static int elf_segment(const uint8_t *b, size_t len, const struct elf_view *e, unsigned i,
                       struct mbimage_seg *s, uint64_t *vaddr, char *why, size_t wl)
{
    const uint8_t *ph = b + e->phoff + (uint64_t)i * e->phentsize;

    if (e->is64) {
        s->offset = rd(ph + 8, 8);
        *vaddr = rd(ph + 16, 8);
        s->paddr = rd(ph + 24, 8);
        s->filesz = rd(ph + 32, 8);
        s->memsz = rd(ph + 40, 8);
    } else {
        s->offset = rd(ph + 4, 4);
        *vaddr = rd(ph + 8, 4);
        s->paddr = rd(ph + 12, 4);
        s->filesz = rd(ph + 16, 4);
        s->memsz = rd(ph + 20, 4);
    }
    if (s->offset > len || s->filesz > len - s->offset)
        return why_set(why, wl, -EINVAL, "segment %u ends past the end of the file", i);
    if (s->filesz > s->memsz)
        return why_set(why, wl, -EINVAL, "segment %u has more file bytes than memory", i);
    if (s->paddr >= FOUR_GIB || s->memsz > FOUR_GIB - s->paddr)
        return why_set(why, wl, -EINVAL, "segment %u (at %#llx) ends above 4 GiB", i,
                       (unsigned long long)s->paddr);
    return 0;
}

int mbimage_parse(const void *buf, size_t len, struct mbimage *img, char *why,
                  size_t why_len)
{
    const uint8_t *b = buf;
    struct elf_view e = { 0 };
    bool entry_found = false;
    int rc;

    memset(img, 0, sizeof(*img));
    if ((rc = elf_header(b, len, &e, why, why_len)) < 0 ||
        (rc = header_check(b, len, img, why, why_len)) < 0)
        return rc;
    for (unsigned i = 0; i < e.phnum; i++) {
        const uint8_t *ph = b + e.phoff + (uint64_t)i * e.phentsize;
        struct mbimage_seg s;
        uint64_t vaddr;

        if (rd(ph, 4) != PT_LOAD)
            continue;
        if ((rc = elf_segment(b, len, &e, i, &s, &vaddr, why, why_len)) < 0)
            return rc;
        if (!s.memsz)
            continue;
        if (img->nr_segs == MBIMAGE_MAX_SEGS)
            return why_set(why, why_len, -EINVAL, "more than %u loadable segments",
                           MBIMAGE_MAX_SEGS);
        for (unsigned j = 0; j < img->nr_segs; j++) {
            const struct mbimage_seg *o = &img->seg[j];

            if (s.paddr < o->paddr + o->memsz && o->paddr < s.paddr + s.memsz)
                return why_set(why, why_len, -EINVAL, "segment %u overlaps another", i);
        }
        /* The entry is a virtual address: where it lands is its segment's business. */
        if (e.entry >= vaddr && e.entry - vaddr < s.memsz) {
            img->entry = (uint32_t)(s.paddr + (e.entry - vaddr));
            entry_found = true;
        }
        img->seg[img->nr_segs++] = s;
    }
    if (!img->nr_segs)
        return why_set(why, why_len, -EINVAL, "no loadable segment");
    if (!entry_found)
        return why_set(why, why_len, -EINVAL, "entry point %#llx outside every segment",
                       (unsigned long long)e.entry);
    return 0;
}

int mbimage_fits(const struct mbimage *img, uint64_t ram_bytes, char *why, size_t why_len)
{
    for (unsigned i = 0; i < img->nr_segs; i++) {
        const struct mbimage_seg *s = &img->seg[i];
        uint64_t end = s->paddr + s->memsz;

        if (end > ram_bytes)
            return why_set(why, why_len, -ENOMEM, "segment at %#llx-%#llx is beyond the "
                           "domain's %llu MiB of RAM", (unsigned long long)s->paddr,
                           (unsigned long long)end, (unsigned long long)(ram_bytes >> 20));
        if (s->paddr < MB_RESERVED_END && MB_RESERVED_START < end)
            return why_set(why, why_len, -EINVAL, "segment at %#llx-%#llx overlaps the "
                           "reserved %#llx-%#llx", (unsigned long long)s->paddr,
                           (unsigned long long)end, MB_RESERVED_START, MB_RESERVED_END);
        if (s->paddr < MBI_GPA + PAGE_SIZE && MBI_GPA < end)
            return why_set(why, why_len, -EINVAL, "segment at %#llx-%#llx overlaps the "
                           "multiboot info at %#x", (unsigned long long)s->paddr,
                           (unsigned long long)end, MBI_GPA);
    }
    return 0;
}

static void wr(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void mmap_entry(uint8_t *p, uint64_t base, uint64_t len, uint32_t type)
{
    wr(p, MMAP_ENTRY - 4, 4);           /* size: the bytes after the size field */
    wr(p + 4, base, 8);
    wr(p + 12, len, 8);
    wr(p + 20, type, 4);
}

long mbinfo_write(void *page, size_t size, uint64_t ram_bytes, const char *cmdline,
                  unsigned domid)
{
    uint8_t *b = page;
    size_t mmap_off = MBI_SIZE, cmd_off = mmap_off + 3 * MMAP_ENTRY, name_off;
    size_t cmd_len = strlen(cmdline) + 1;
    char name[32];
    int name_len = fmt_snprintf(name, sizeof(name), "hvlab-xl domid=%u", domid) + 1;

    if (cmd_off + cmd_len + (size_t)name_len > size)
        return -E2BIG;
    memset(b, 0, size);
    name_off = cmd_off + cmd_len;
    wr(b + 0, MBI_FLAG_MEMORY | MBI_FLAG_CMDLINE | MBI_FLAG_MMAP | MBI_FLAG_LOADER, 4);
    wr(b + 4, MB_RESERVED_START >> 10, 4);                  /* mem_lower, KiB */
    wr(b + 8, (MIN(ram_bytes, FOUR_GIB) - MB_RESERVED_END) >> 10, 4);   /* mem_upper */
    wr(b + 16, MBI_GPA + cmd_off, 4);
    wr(b + 44, 3 * MMAP_ENTRY, 4);
    wr(b + 48, MBI_GPA + mmap_off, 4);
    wr(b + 64, MBI_GPA + name_off, 4);
    mmap_entry(b + mmap_off, 0, MB_RESERVED_START, 1);
    mmap_entry(b + mmap_off + MMAP_ENTRY, MB_RESERVED_START,
               MB_RESERVED_END - MB_RESERVED_START, 2);
    mmap_entry(b + mmap_off + 2 * MMAP_ENTRY, MB_RESERVED_END,
               ram_bytes - MB_RESERVED_END, 1);
    memcpy(b + cmd_off, cmdline, cmd_len);
    memcpy(b + name_off, name, (size_t)name_len);
    return (long)(name_off + (size_t)name_len);
}
