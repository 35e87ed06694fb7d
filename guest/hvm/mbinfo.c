/* Multiboot v1 info to start_info (mbinfo.h). Every pointer in the info is a
 * guest-physical address, reached through map() with its length checked, so a host
 * test can hand in a buffer and a broken loader gets a message, not a fault. */
#include <hvlab/errno.h>
#include <hvlab/lib.h>

#include "mbinfo.h"

#define MBI_MEMORY       (1u << 0)
#define MBI_CMDLINE      (1u << 2)
#define MBI_MMAP         (1u << 6)
#define MBI_LOADER_NAME  (1u << 9)
#define MBI_SIZE         88
#define MMAP_RAM         1
#define FOUR_GIB         (1ull << 32)
#define NAME_MAX_LEN     64

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* A NUL-terminated string at gpa, at most max bytes long (cut there). */
static size_t read_str(mbinfo_map_fn map, void *arg, uint32_t gpa, char *out, size_t max)
{
    size_t n = 0;

    for (; n + 1 < max; n++) {
        const char *c = map(arg, gpa + n, 1);

        if (!c || !*c)
            break;
        out[n] = *c;
    }
    out[n] = 0;
    return n;
}

static uint64_t ram_end(mbinfo_map_fn map, void *arg, const uint8_t *mbi, uint64_t image_end)
{
    uint32_t flags = rd32(mbi);

    if (flags & MBI_MMAP) {
        uint64_t p = rd32(mbi + 48), end = p + rd32(mbi + 44);

        while (p + 24 <= end) {
            const uint8_t *m = map(arg, p, 24);
            uint64_t base, len;

            if (!m)
                return 0;
            base = rd64(m + 4);
            len = rd64(m + 12);
            if (rd32(m + 20) == MMAP_RAM && base <= image_end && image_end <= base + len)
                return MIN(base + len, FOUR_GIB);
            p += rd32(m) + 4ull;        /* size counts the bytes after itself */
        }
        return 0;
    }
    return flags & MBI_MEMORY ? (1ull << 20) + ((uint64_t)rd32(mbi + 8) << 10) : 0;
}

int mbinfo_read(mbinfo_map_fn map, void *arg, uint32_t info, uint64_t image_end,
                struct start_info *si, const char **why)
{
    const uint8_t *mbi = map(arg, info, MBI_SIZE);
    uint64_t end;
    uint32_t flags;

    memset(si, 0, sizeof(*si));
    if (!mbi) {
        *why = "the multiboot info is outside memory";
        return -EINVAL;
    }
    flags = rd32(mbi);
    if (!(end = ram_end(map, arg, mbi, image_end))) {
        *why = "no RAM region of the memory map holds the image";
        return -EINVAL;
    }
    memcpy(si->magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC));
    si->nr_pages = end >> PAGE_SHIFT;
    si->nr_vcpus = 1;
    if (flags & MBI_CMDLINE && rd32(mbi + 16))
        read_str(map, arg, rd32(mbi + 16), si->cmdline, sizeof(si->cmdline));
    if (flags & MBI_LOADER_NAME && rd32(mbi + 64)) {
        char name[NAME_MAX_LEN];
        size_t plen = sizeof(MBINFO_LOADER_DOMID) - 1;

        read_str(map, arg, rd32(mbi + 64), name, sizeof(name));
        if (strncmp(name, MBINFO_LOADER_DOMID, plen) == 0) {
            uint32_t id = 0;

            for (const char *c = name + plen; *c >= '0' && *c <= '9' && id < DOMID_SELF; c++)
                id = id * 10 + (uint32_t)(*c - '0');
            si->domid = id;
        }
    }
    return 0;
}
