/* The cost model's TLB model (tools/costmodel/tlb.c): hits, L2 refills, LRU within a
 * set, reach (more pages than entries miss, 2 MiB pages cover them), tags kept apart,
 * CR3-write flushes keep global entries, flush-all drops them, walk lengths. */
#include "unit.h"

#include "../../tools/costmodel/tlb.h"

#define K4 12
#define M2 21

/* Tiny: L1 2 entries fully associative, L2 4 entries in 2 sets of 2. */
static const struct tlb_geometry tiny = { 2, 2, 2, 2, 4, 2 };

static struct tlb fresh(const struct tlb_geometry *g)
{
    struct tlb t;
    CHECK(tlb_geometry_check(g) == NULL);
    CHECK_EQ(tlb_init(&t, g), 0);
    return t;
}

static void test_hit_refill_miss(void)
{
    struct tlb t = fresh(&tiny);
    CHECK_EQ(tlb_access(&t, false, 0, 0x1000, K4, false), TLB_MISS);
    CHECK_EQ(tlb_access(&t, false, 0, 0x1ff8, K4, false), TLB_HIT_L1);
    CHECK_EQ(tlb_access(&t, true, 0, 0x1000, K4, false), TLB_HIT_L2);  /* ITLB refilled */
    CHECK_EQ(tlb_access(&t, true, 0, 0x1000, K4, false), TLB_HIT_L1);
    /* 3 pages through a 2-entry L1: the first is evicted from L1, still in L2. */
    tlb_access(&t, false, 0, 0x2000, K4, false);
    tlb_access(&t, false, 0, 0x3000, K4, false);
    CHECK_EQ(tlb_access(&t, false, 0, 0x1000, K4, false), TLB_HIT_L2);
    tlb_free(&t);
}

static void test_lru(void)
{
    struct tlb t = fresh(&tiny);
    tlb_access(&t, false, 0, 0x1000, K4, false);
    tlb_access(&t, false, 0, 0x2000, K4, false);
    tlb_access(&t, false, 0, 0x1000, K4, false);       /* 1 is now most recent */
    tlb_access(&t, false, 0, 0x3000, K4, false);       /* evicts 2 from L1 */
    CHECK_EQ(tlb_access(&t, false, 0, 0x1000, K4, false), TLB_HIT_L1);
    CHECK_EQ(tlb_access(&t, false, 0, 0x2000, K4, false), TLB_HIT_L2);
    tlb_free(&t);
}

/* A loop over more pages than the L2 holds misses every time with LRU; the same bytes
 * in one 2 MiB page hit. */
static void test_reach(void)
{
    struct tlb t = fresh(&tiny);
    unsigned miss4k = 0, miss2m = 0;
    for (int round = 0; round < 4; round++)
        for (uint64_t p = 0; p < 6; p++) {
            miss4k += tlb_access(&t, false, 0, p << K4, K4, false) == TLB_MISS;
            miss2m += tlb_access(&t, false, 1, p << K4, M2, false) == TLB_MISS;
        }
    CHECK_EQ(miss4k, 24);
    CHECK_EQ(miss2m, 1);
    tlb_free(&t);
}

static void test_tags_and_flushes(void)
{
    struct tlb t = fresh(&tiny);
    tlb_access(&t, false, 5, 0x1000, K4, false);
    CHECK_EQ(tlb_access(&t, false, 6, 0x1000, K4, false), TLB_MISS);  /* other space */
    tlb_access(&t, false, 0, 0x200000, M2, true);                     /* global */
    tlb_flush_tag(&t, 5);
    CHECK_EQ(tlb_access(&t, false, 5, 0x1000, K4, false), TLB_MISS);
    tlb_flush_tag(&t, 0);
    CHECK_EQ(tlb_access(&t, false, 0, 0x200000, M2, true), TLB_HIT_L1);
    tlb_flush_all(&t);
    CHECK_EQ(tlb_access(&t, false, 0, 0x200000, M2, true), TLB_MISS);
    tlb_free(&t);
}

static void test_walks(void)
{
    CHECK_EQ(tlb_walk_refs(tlb_levels(K4), 0), 4);
    CHECK_EQ(tlb_walk_refs(tlb_levels(M2), 0), 3);
    CHECK_EQ(tlb_walk_refs(4, 4), 24);
    CHECK_EQ(tlb_walk_refs(3, 4), 19);
    CHECK_EQ(tlb_walk_refs(3, 3), 15);
}

static void test_geometry(void)
{
    const struct tlb_geometry zero = { 0, 1, 2, 2, 4, 2 }, odd = { 2, 2, 2, 2, 5, 2 };
    CHECK(tlb_geometry_check(&zero) != NULL);
    CHECK(tlb_geometry_check(&odd) != NULL);
    const struct tlb_geometry zen4 = { 64, 64, 72, 72, 3072, 24 };
    CHECK(tlb_geometry_check(&zen4) == NULL);
}

static const struct unit_case cases[] = {
    { "hit, L2 refill, miss", test_hit_refill_miss },
    { "LRU within a set", test_lru },
    { "reach: 4 KiB pages miss, one 2 MiB page hits", test_reach },
    { "tags apart; CR3 flush keeps global; flush-all drops all", test_tags_and_flushes },
    { "walk references, 1D and 2D", test_walks },
    { "bad geometries refused", test_geometry },
};

UNIT_MAIN(cases)
