/* Host tests of mm/p2m.c: 4 KiB and 2 MiB leaves, the U bit at every level, splits,
 * device windows refused, bad arguments, running out of table frames, and teardown
 * giving every table frame back. "RAM" is a 2 MiB arena at a fixed low address
 * (physical == virtual on the host), one node. */
#define _GNU_SOURCE
#include <hvlab/errno.h>
#include <hvlab/mm.h>
#include <hvlab/p2m.h>

#include "fake_machine.h"
#include "unit.h"

#define ARENA_SIZE (2UL << 20)
#define M(x)       ((paddr_t)(x) << 20)

static struct topology t;
static unsigned long start_free;

static bool setup(void)
{
    static const paddr_t tries[] = { M(8), M(16), M(32), M(64), M(128), M(256) };
    paddr_t base = fake_arena_map(ARENA_SIZE, tries, 6);

    if (!base) {
        CHECK(!"arena");
        return false;
    }
    memset(&t, 0, sizeof(t));
    t.nr_nodes = 1;
    t.nr_mem_ranges = 1;
    t.mem[0] = (struct mem_range){ base, base + ARENA_SIZE, 0 };
    t.distance[0][0] = 10;
    frame_table_init(base + ARENA_SIZE, fake_early_alloc);
    page_alloc_init(&t);
    page_alloc_add_range(base, base + ARENA_SIZE);
    start_free = frames_free_all();
    return true;
}

/* Walk by hand, as the CPU does: every level present, writable and user. */
static uint64_t hw_walk(const struct p2m *p, uint64_t gfn, unsigned *bad_levels)
{
    uint64_t e = p->root | 7;
    *bad_levels = 0;
    for (int level = 4; level >= 1; level--) {
        uint64_t *tab = (uint64_t *)(uintptr_t)(e & 0x000ffffffffff000ULL);
        e = tab[(gfn >> (9 * (level - 1))) & 511];
        if (!(e & 1))
            return 0;
        if (!(e & 4))
            *bad_levels |= 1u << level;
        if (level == 2 && (e & 0x80))
            return e;
    }
    return e;
}

static void test_map_4k_and_lookup(void)
{
    struct p2m p;
    mfn_t mfn = 0;
    unsigned flags = 9, order = 9, bad;

    if (!setup())
        return;
    CHECK_EQ(p2m_init(&p, 0), 0);
    CHECK_EQ(p2m_map(&p, 0x123, 0x4567, P2M_ORDER_4K, P2M_WRITE), 0);
    CHECK_EQ(p.nr_tables, 4);
    CHECK_EQ(p2m_lookup(&p, 0x123, &mfn, &flags, &order), 0);
    CHECK_EQ(mfn, 0x4567);
    CHECK_EQ(flags, P2M_WRITE);
    CHECK_EQ(order, P2M_ORDER_4K);
    CHECK_EQ(p2m_lookup(&p, 0x124, &mfn, NULL, NULL), -ENOENT);
    uint64_t e = hw_walk(&p, 0x123, &bad);
    CHECK_EQ(e & 0x000ffffffffff000ULL, 0x4567ULL << 12);
    CHECK_EQ(e & 7, 7);
    CHECK_EQ(bad, 0);
    CHECK_EQ(p2m_map(&p, 0x124, 0x10, P2M_ORDER_4K, 0), 0);
    CHECK_EQ(p2m_lookup(&p, 0x124, &mfn, &flags, NULL), 0);
    CHECK_EQ(flags, 0);
    CHECK_EQ(hw_walk(&p, 0x124, &bad) & 2, 0);          /* read-only leaf */
    p2m_teardown(&p);
    CHECK_EQ(p.nr_tables, 0);
    CHECK_EQ(frames_free_all(), start_free);
}

static void test_map_2m_and_split(void)
{
    struct p2m p;
    mfn_t mfn = 0;
    unsigned order = 0, bad;

    if (!setup())
        return;
    CHECK_EQ(p2m_init(&p, 0), 0);
    CHECK_EQ(p2m_map(&p, 0x200, 0x400, P2M_ORDER_2M, P2M_WRITE), 0);
    CHECK_EQ(p.nr_tables, 3);                           /* no level-1 table */
    CHECK_EQ(p2m_lookup(&p, 0x3ff, &mfn, NULL, &order), 0);
    CHECK_EQ(mfn, 0x5ff);
    CHECK_EQ(order, P2M_ORDER_2M);
    CHECK((hw_walk(&p, 0x201, &bad) & 0x80) != 0);
    CHECK_EQ(bad, 0);
    /* A 4 KiB unmap inside splits: the other 511 frames stay where they were. */
    CHECK_EQ(p2m_unmap(&p, 0x210, P2M_ORDER_4K), 0);
    CHECK_EQ(p.nr_tables, 4);
    CHECK_EQ(p2m_lookup(&p, 0x210, &mfn, NULL, NULL), -ENOENT);
    CHECK_EQ(p2m_lookup(&p, 0x211, &mfn, NULL, &order), 0);
    CHECK_EQ(mfn, 0x411);
    CHECK_EQ(order, P2M_ORDER_4K);
    CHECK_EQ(hw_walk(&p, 0x211, &bad) & 7, 7);
    CHECK_EQ(bad, 0);
    /* A 2 MiB leaf over the level-1 table frees it. */
    CHECK_EQ(p2m_map(&p, 0x200, 0x800, P2M_ORDER_2M, 0), 0);
    CHECK_EQ(p.nr_tables, 3);
    CHECK_EQ(p2m_lookup(&p, 0x210, &mfn, NULL, NULL), 0);
    CHECK_EQ(mfn, 0x810);
    CHECK_EQ(p2m_unmap(&p, 0x200, P2M_ORDER_2M), 0);
    CHECK_EQ(p2m_lookup(&p, 0x200, &mfn, NULL, NULL), -ENOENT);
    p2m_teardown(&p);
    CHECK_EQ(frames_free_all(), start_free);
}

static void test_bad_arguments_and_windows(void)
{
    struct p2m p;
    mfn_t mfn;

    if (!setup())
        return;
    CHECK_EQ(p2m_init(&p, 0), 0);
    CHECK_EQ(p2m_map(&p, 0, 0, 1, 0), -EINVAL);                 /* order */
    CHECK_EQ(p2m_map(&p, 0x201, 0x400, P2M_ORDER_2M, 0), -EINVAL); /* gfn alignment */
    CHECK_EQ(p2m_map(&p, 0x200, 0x401, P2M_ORDER_2M, 0), -EINVAL); /* mfn alignment */
    CHECK_EQ(p2m_map(&p, P2M_MAX_GFN + 1, 1, P2M_ORDER_4K, 0), -EINVAL);
    CHECK_EQ(p2m_map(&p, P2M_LAPIC_GFN, 1, P2M_ORDER_4K, 0), -EINVAL);
    CHECK_EQ(p2m_map(&p, P2M_IOAPIC_GFN, 1, P2M_ORDER_4K, 0), -EINVAL);
    CHECK_EQ(p2m_map(&p, P2M_LAPIC_GFN & ~511ULL, 0x400, P2M_ORDER_2M, 0), -EINVAL);
    CHECK_EQ(p2m_map(&p, P2M_LAPIC_GFN - 1, 1, P2M_ORDER_4K, 0), 0);
    CHECK_EQ(p2m_lookup(&p, P2M_LAPIC_GFN, &mfn, NULL, NULL), -ENOENT);
    CHECK_EQ(p2m_lookup(&p, ~0ULL, &mfn, NULL, NULL), -ENOENT);
    CHECK_EQ(p2m_unmap(&p, 0x77, P2M_ORDER_4K), 0);             /* not mapped: fine */
    p2m_teardown(&p);
    CHECK_EQ(frames_free_all(), start_free);
}

/* With no free frame left, a map needing a table fails and changes nothing. */
static void test_out_of_table_frames(void)
{
    struct p2m p;
    mfn_t mfn;
    struct page_info *hog[600];
    unsigned n = 0;

    if (!setup())
        return;
    CHECK_EQ(p2m_init(&p, 0), 0);
    CHECK_EQ(p2m_map(&p, 0x200, 0x400, P2M_ORDER_2M, 0), 0);
    while (n < 600 && (hog[n] = alloc_frames(0, 0, 0)) != NULL)
        n++;
    CHECK(n < 600);
    CHECK_EQ(p2m_map(&p, 1ULL << 27, 5, P2M_ORDER_4K, 0), -ENOMEM);   /* new L3..L1 */
    CHECK_EQ(p2m_unmap(&p, 0x205, P2M_ORDER_4K), -ENOMEM);            /* a split */
    CHECK_EQ(p2m_lookup(&p, 0x205, &mfn, NULL, NULL), 0);
    CHECK_EQ(mfn, 0x405);
    CHECK_EQ(p2m_lookup(&p, 1ULL << 27, &mfn, NULL, NULL), -ENOENT);
    while (n)
        free_frames(hog[--n], 0);
    p2m_teardown(&p);
    CHECK_EQ(frames_free_all(), start_free);
}

/* A domain's RAM as createdomain maps it: gfn i -> its i-th frame, many tables. */
static void test_teardown_many(void)
{
    struct p2m p;
    mfn_t mfn;

    if (!setup())
        return;
    CHECK_EQ(p2m_init(&p, 0), 0);
    for (uint64_t g = 0; g < 200; g++)
        CHECK_EQ(p2m_map(&p, g * 1000, g + 7, P2M_ORDER_4K, P2M_WRITE), 0);
    CHECK(p.nr_tables > 20);
    CHECK_EQ(p2m_lookup(&p, 199 * 1000, &mfn, NULL, NULL), 0);
    CHECK_EQ(mfn, 199 + 7);
    CHECK_EQ(frames_free_all(), start_free - p.nr_tables);
    p2m_teardown(&p);
    CHECK_EQ(p.nr_tables, 0);
    CHECK_EQ(frames_free_all(), start_free);
}

static const struct unit_case cases[] = {
    { "map 4K and look it up, U at every level", test_map_4k_and_lookup },
    { "map 2M, split on a 4K unmap, 2M over a table", test_map_2m_and_split },
    { "bad arguments and device windows refused", test_bad_arguments_and_windows },
    { "out of table frames: -ENOMEM, table unchanged", test_out_of_table_frames },
    { "teardown returns every table frame", test_teardown_many },
};
UNIT_MAIN(cases)
