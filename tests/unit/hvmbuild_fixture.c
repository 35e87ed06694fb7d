/* Crafted kernel images for the HVM builder's tests (see hvmbuild_fixture.h). */
#include "hvmbuild_fixture.h"

#include <string.h>

#define ELF_NOTE_OFF   0x100
#define ELF_MB_OFF     0x400
#define ELF_DATA_OFF   0x1000

static void put(uint8_t *b, size_t off, uint64_t v, unsigned size)
{
    memcpy(b + off, &v, size);
}

static void mb_header(uint8_t *b, size_t off, uint32_t flags, bool bad)
{
    uint32_t magic = 0x1BADB002u;

    put(b, off, magic, 4);
    put(b, off + 4, flags, 4);
    put(b, off + 8, (uint32_t)(0u - magic - flags) + (bad ? 1u : 0u), 4);
}

size_t fx_make_elf(uint8_t *b, const struct fx_elf *e)
{
    unsigned eh = e->is64 ? 64 : 52, ph = e->is64 ? 56 : 32, w = e->is64 ? 8 : 4;
    unsigned nph = e->nsegs + (e->pvh_desc_len ? 1 : 0);
    size_t off = ELF_DATA_OFF;

    memset(b, 0, FX_CAP);
    memcpy(b, "\177ELF", 4);
    b[4] = e->is64 ? 2 : 1;
    b[5] = 1;
    b[6] = 1;
    put(b, 16, 2, 2);                               /* ET_EXEC */
    put(b, 18, e->is64 ? 62 : 3, 2);
    put(b, 20, 1, 4);
    put(b, 24, e->entry, w);
    put(b, 24 + w, eh, w);                          /* e_phoff */
    put(b, e->is64 ? 54 : 42, ph, 2);
    put(b, e->is64 ? 56 : 44, nph, 2);
    for (unsigned i = 0; i < e->nsegs; i++) {
        uint8_t *p = b + eh + i * ph;
        const struct fx_seg *s = &e->seg[i];

        put(p, 0, 1, 4);                            /* PT_LOAD */
        put(p, e->is64 ? 8 : 4, off, w);
        put(p, e->is64 ? 16 : 8, s->vaddr ? s->vaddr : s->paddr, w);
        put(p, e->is64 ? 24 : 12, s->paddr, w);
        put(p, e->is64 ? 32 : 16, s->filesz, w);
        put(p, e->is64 ? 40 : 20, s->memsz, w);
        for (uint64_t j = 0; j < s->filesz; j++)
            b[off + j] = fx_byte(i, j);
        off += (s->filesz + 0xfff) & ~0xfffULL;
    }
    if (e->pvh_desc_len) {
        uint8_t *p = b + eh + e->nsegs * ph, *n = b + ELF_NOTE_OFF;
        uint32_t dl = e->pvh_desc_len, len = 12 + 4 + ((dl + 3) & ~3u);

        put(p, 0, 4, 4);                            /* PT_NOTE */
        put(p, e->is64 ? 8 : 4, ELF_NOTE_OFF, w);
        put(p, e->is64 ? 32 : 16, len, w);
        put(n, 0, 4, 4);
        put(n, 4, dl, 4);
        put(n, 8, 18, 4);
        memcpy(n + 12, "Xen", 4);
        memcpy(n + 16, &e->pvh_entry, dl < 8 ? dl : 8);
    }
    if (e->mb)
        mb_header(b, ELF_MB_OFF, e->mb_flags, e->mb_bad_checksum);
    return off;
}

size_t fx_make_kludge(uint8_t *b, uint32_t hdr_off, uint32_t load_addr, uint32_t load_len,
                      uint32_t bss_end, uint32_t entry)
{
    memset(b, 0, FX_CAP);
    for (uint32_t i = 0; i < load_len; i++)
        b[i] = fx_byte(0, i);
    mb_header(b, hdr_off, 1u << 16 | 0x3, false);
    put(b, hdr_off + 12, load_addr + hdr_off, 4);   /* header_addr */
    put(b, hdr_off + 16, load_addr, 4);
    put(b, hdr_off + 20, load_addr + load_len, 4);
    put(b, hdr_off + 24, bss_end, 4);
    put(b, hdr_off + 28, entry, 4);
    return load_len;
}

struct fx_bz fx_bz_default(void)
{
    struct fx_bz b = {
        .version = 0x020f, .setup_sects = 4, .loadflags = 0x01, .xloadflags = 0x3,
        .relocatable = 1, .kernel_alignment = 0x200000, .pref_address = 0x1000000,
        .init_size = 0x400000, .sys_bytes = 0x3000, .cmdline_size = 2047,
        .initrd_addr_max = 0x7fffffff,
    };
    return b;
}

size_t fx_make_bzimage(uint8_t *b, const struct fx_bz *z)
{
    size_t off = (z->setup_sects ? z->setup_sects + 1u : 5u) * 512u;

    memset(b, 0, FX_CAP);
    put(b, 0x1f1, z->setup_sects, 1);
    put(b, 0x1f4, (z->sys_bytes + 15) / 16 + z->syssize_extra, 4);
    put(b, 0x1fe, 0xaa55, 2);
    put(b, 0x200, 0xeb, 1);                         /* jmp short */
    put(b, 0x201, 0x6a, 1);                         /* header ends at 0x26c */
    memcpy(b + 0x202, "HdrS", 4);
    put(b, 0x206, z->version, 2);
    put(b, 0x211, z->loadflags, 1);
    put(b, 0x22c, z->initrd_addr_max, 4);
    put(b, 0x230, z->kernel_alignment, 4);
    put(b, 0x234, z->relocatable, 1);
    put(b, 0x236, z->xloadflags, 2);
    put(b, 0x238, z->cmdline_size, 4);
    put(b, 0x258, z->pref_address, 8);
    put(b, 0x260, z->init_size, 4);
    for (uint32_t i = 0; i < z->sys_bytes; i++)
        b[off + i] = fx_byte(0, i);
    return off + z->sys_bytes;
}
