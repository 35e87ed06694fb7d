/* The I/O-port permission bitmap and reserved ranges (pure; include/hvlab/ioport.h).
 * Host-tested by tests/unit/test_ioport.c. */
#include <hvlab/ioport.h>

void ioport_map_set(uint8_t *map, unsigned first, unsigned n, bool allow)
{
    for (unsigned p = first; p < first + n && p < 0x10000; p++) {
        if (allow)
            map[p / 8] |= (uint8_t)(1u << (p % 8));
        else
            map[p / 8] &= (uint8_t)~(1u << (p % 8));
    }
}

bool ioport_map_allows(const uint8_t *map, unsigned port, unsigned size)
{
    if (!map || size == 0 || port + size > 0x10000)
        return false;
    for (unsigned p = port; p < port + size; p++)
        if (!(map[p / 8] & (1u << (p % 8))))
            return false;
    return true;
}

const struct ioport_range *ioport_ranges_hit(const struct ioport_range *r, unsigned nr,
                                             unsigned first, unsigned n)
{
    if (n == 0)
        return NULL;
    for (unsigned i = 0; i < nr; i++)
        if (first <= r[i].last && first + n - 1 >= r[i].first)
            return &r[i];
    return NULL;
}
