/* The balloon's arithmetic (guest/include/balloon.h), pure so the host tests drive it
 * (tests/unit/test_balloon.c) and both the driver and dom0's toolstack use one copy. */
#include <hvlab/errno.h>
#include <balloon.h>

#define KIB_PER_PAGE 4ULL                /* 4 KiB pages */

uint64_t balloon_kib_to_pages(uint64_t kib)
{
    return kib / KIB_PER_PAGE + (kib % KIB_PER_PAGE != 0);
}

int64_t balloon_plan(uint64_t cur_pages, uint64_t target_pages, uint64_t free_pages,
                     uint64_t reserve_pages, uint64_t out_pages)
{
    if (cur_pages > target_pages) {
        uint64_t spare = free_pages > reserve_pages ? free_pages - reserve_pages : 0;
        return -(int64_t)MIN(cur_pages - target_pages, spare);
    }
    return (int64_t)MIN(target_pages - cur_pages, out_pages);
}

int balloon_parse_kib(const char *s, uint64_t *kib)
{
    uint64_t v = 0, shift_kib = 0;
    bool bytes = false;
    const char *p = s;

    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (~0ULL - 9) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    switch (*p) {
    case '\0': case 'k': case 'K': break;
    case 'b': case 'B': bytes = true; break;
    case 'm': case 'M': shift_kib = 10; break;
    case 'g': case 'G': shift_kib = 20; break;
    default: return -EINVAL;
    }
    if (*p && p[1])
        return -EINVAL;
    if (bytes)
        v = v / 1024 + (v % 1024 != 0);
    else if (v > (~0ULL >> shift_kib))
        return -EINVAL;
    else
        v <<= shift_kib;
    if (v == 0)
        return -EINVAL;
    *kib = v;
    return 0;
}

int64_t balloon_dom0_give(uint64_t free_pages, uint64_t need_pages, uint64_t dom0_pages,
                          uint64_t min_pages)
{
    if (need_pages <= free_pages)
        return 0;
    uint64_t give = need_pages - free_pages;
    if (dom0_pages < min_pages || dom0_pages - min_pages < give)
        return -ENOMEM;
    return (int64_t)give;
}
