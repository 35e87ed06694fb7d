/* The boot allocator.
 *
 * Design: a sorted array of disjoint, non-touching free ranges [start, end) in whole
 * pages. Adding merges, reserving cuts (possibly splitting one range in two), and an
 * allocation is a reservation at the lowest fitting address above 1 MiB, so that what
 * is allocated can never reach the buddy allocator through bootmem_ranges(). Low memory
 * stays free for the things that need it (AP trampoline, legacy DMA).
 *
 * Locking: none; only the boot CPU runs while this is in use.
 *
 * Limitations: BOOTMEM_MAX_RANGES ranges (more is a panic, not a silent loss of RAM);
 * reservations are not remembered, hence every range must be added before the first
 * reservation or allocation.
 */
#include <hvlab/bootmem.h>
#include <hvlab/lib.h>
#include <hvlab/panic.h>

struct bm_range { paddr_t start, end; };

static struct bm_range ranges[BOOTMEM_MAX_RANGES];  /* sorted, disjoint, not touching */
static unsigned nr_ranges;
static paddr_t max_addr;
static bool carved;                                 /* a reserve or alloc happened */

static void insert_at(unsigned i, paddr_t start, paddr_t end)
{
    if (nr_ranges == BOOTMEM_MAX_RANGES)
        panic("bootmem: more than %u free ranges", BOOTMEM_MAX_RANGES);
    memmove(&ranges[i + 1], &ranges[i], (nr_ranges - i) * sizeof(ranges[0]));
    ranges[i].start = start;
    ranges[i].end = end;
    nr_ranges++;
}

static void remove_at(unsigned i)
{
    nr_ranges--;
    memmove(&ranges[i], &ranges[i + 1], (nr_ranges - i) * sizeof(ranges[0]));
}

void bootmem_reset(void)
{
    nr_ranges = 0;
    max_addr = 0;
    carved = false;
}

void bootmem_add_range(paddr_t start, paddr_t end)
{
    unsigned i = 0;

    /* The new range could cover memory that an earlier reservation took out. */
    if (carved)
        panic("bootmem: range %#lx-%#lx added after a reservation",
              (unsigned long)start, (unsigned long)end);
    start = ALIGN_UP(start, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    if (start >= end)
        return;
    max_addr = MAX(max_addr, end);
    while (i < nr_ranges && ranges[i].end < start)
        i++;
    /* Absorb every range that overlaps or touches the new one. */
    while (i < nr_ranges && ranges[i].start <= end) {
        start = MIN(start, ranges[i].start);
        end = MAX(end, ranges[i].end);
        remove_at(i);
    }
    insert_at(i, start, end);
}

void bootmem_reserve(paddr_t start, paddr_t end)
{
    unsigned i = 0;

    carved = true;
    start = ALIGN_DOWN(start, PAGE_SIZE);
    end = ALIGN_UP(end, PAGE_SIZE);
    while (i < nr_ranges && start < end) {
        struct bm_range *r = &ranges[i];

        if (r->end <= start || r->start >= end) {
            i++;
        } else if (r->start < start && r->end > end) {
            insert_at(i + 1, end, r->end);
            ranges[i].end = start;
            return;
        } else if (r->start < start) {
            r->end = start;
            i++;
        } else if (r->end > end) {
            r->start = end;
            i++;
        } else {
            remove_at(i);
        }
    }
}

paddr_t bootmem_alloc(size_t size, size_t align)
{
    carved = true;
    if (align < PAGE_SIZE)
        align = PAGE_SIZE;
    ASSERT((align & (align - 1)) == 0);
    if (size == 0 || size > ((size_t)1 << 48))
        return 0;
    size = ALIGN_UP(size, PAGE_SIZE);
    for (unsigned i = 0; i < nr_ranges; i++) {
        paddr_t base = ALIGN_UP(MAX(ranges[i].start, (paddr_t)BOOTMEM_LOW_LIMIT), align);

        if (base < ranges[i].end && ranges[i].end - base >= size) {
            bootmem_reserve(base, base + size);
            return base;
        }
    }
    return 0;
}

unsigned bootmem_ranges(paddr_t *starts, paddr_t *ends, unsigned max)
{
    unsigned n = MIN(max, nr_ranges);

    for (unsigned i = 0; i < n; i++) {
        starts[i] = ranges[i].start;
        ends[i] = ranges[i].end;
    }
    return n;
}

paddr_t bootmem_max_addr(void)
{
    return max_addr;
}
