/* Host tests of mm/page_alloc.c (with mm/buddy.c and mm/numa.c): per-node zones,
 * strict node allocations, distance-ordered fallback, zeroing. On the host physical ==
 * virtual (<hvlab/addr.h>), so the "RAM" is an 8 MiB mapping at a fixed low address and
 * the frame table covers everything below it (reserved). */
#define _GNU_SOURCE
#include <sys/mman.h>

#include <hvlab/mm.h>

#include "fake_machine.h"
#include "unit.h"

#define ARENA_SIZE  (8UL << 20)
#define K(x)        ((paddr_t)(x) << 10)
#define M(x)        ((paddr_t)(x) << 20)

static paddr_t base;
static struct topology t;

/* Four nodes, asymmetric distances, edges not aligned to large blocks:
 *   node 0  [0, 1M+64K)  and [7M, 8M) which is in no SRAT range (so node 0 too)
 *   node 1  [1M+64K, 3M)     node 2  [3M, 5M-4K)     node 3  [5M-4K, 7M)
 * Fallback orders implied by the distances below:
 *   0: 0 2 1 3    1: 1 3 0 2 (0 and 2 tie)    2: 2 1 3 0 (1 and 3 tie)    3: 3 0 2 1 */
static const unsigned want_fallback[4][4] = { {0, 2, 1, 3}, {1, 3, 0, 2}, {2, 1, 3, 0}, {3, 0, 2, 1} };
static const uint8_t dist[4][4] = {
    { 10, 30, 20, 40 },
    { 25, 10, 25, 15 },
    { 40, 20, 10, 20 },
    { 15, 35, 30, 10 },
};
static const unsigned long node_frames[4] = {
    (K(1024 + 64) + M(1)) / PAGE_SIZE, (M(3) - M(1) - K(64)) / PAGE_SIZE,
    (M(2) - K(4)) / PAGE_SIZE, (M(2) + K(4)) / PAGE_SIZE,
};

static bool map_arena(void)
{
    static const paddr_t tries[] = { M(64), M(128), M(256), M(512), M(1024) };

    base = fake_arena_map(ARENA_SIZE, tries, ARRAY_SIZE(tries));
    return base != 0;
}

static void add_mem(paddr_t start, paddr_t end, uint8_t node)
{
    t.mem[t.nr_mem_ranges].start = base + start;
    t.mem[t.nr_mem_ranges].end = base + end;
    t.mem[t.nr_mem_ranges++].node = node;
}

/* A fresh allocator over the whole arena; false (and a failed check) if impossible. */
static bool setup(void)
{
    if (!map_arena()) {
        CHECK(!"arena");
        return false;
    }
    memset(&t, 0, sizeof(t));
    t.nr_nodes = 4;
    add_mem(0, M(1) + K(64), 0);
    add_mem(M(3), M(5) - K(4), 2);              /* SRAT order need not be address order */
    add_mem(M(1) + K(64), M(3), 1);
    add_mem(M(5) - K(4), M(7), 3);
    for (unsigned i = 0; i < 4; i++)
        memcpy(t.distance[i], dist[i], sizeof(dist[i]));
    frame_table_init(base + ARENA_SIZE, fake_early_alloc);
    page_alloc_init(&t);
    page_alloc_add_range(base, base + ARENA_SIZE);
    return true;
}

static unsigned long arena_frames(void) { return ARENA_SIZE / PAGE_SIZE; }


/* Frame flags agree with the per-node counters; no frame is left allocated if idle. */
static bool frames_consistent(bool idle)
{
    unsigned long free_seen[MAX_NUMNODES] = { 0 };

    for (mfn_t m = 0; m < max_mfn; m++) {
        const struct page_info *pg = mfn_to_page(m);

        if (pg->flags & PGF_FREE)
            free_seen[pg->node]++;
        if (idle && pg->flags == PGF_ALLOC)
            return false;
    }
    for (unsigned n = 0; n < 4; n++)
        if (free_seen[n] != frames_free(n))
            return false;
    return true;
}

static void test_node_of_paddr(void)
{
    if (!setup())
        return;
    CHECK_EQ(topology_node_of_paddr(&t, base), 0);
    CHECK_EQ(topology_node_of_paddr(&t, base + M(1) + K(64) - 1), 0);
    CHECK_EQ(topology_node_of_paddr(&t, base + M(1) + K(64)), 1);
    CHECK_EQ(topology_node_of_paddr(&t, base + M(3)), 2);
    CHECK_EQ(topology_node_of_paddr(&t, base + M(5) - K(4)), 3);
    CHECK_EQ(topology_node_of_paddr(&t, base + M(7)), 0);       /* in no range */
    CHECK_EQ(topology_node_of_paddr(&t, 0), 0);
}

static void test_ranges_split_at_node_edges(void)
{
    unsigned long sum = 0;

    if (!setup())
        return;
    for (unsigned n = 0; n < 4; n++) {
        CHECK_EQ(frames_total(n), node_frames[n]);
        CHECK_EQ(frames_free(n), node_frames[n]);
        sum += frames_total(n);
    }
    CHECK_EQ(sum, arena_frames());
    CHECK_EQ(frames_free_all(), arena_frames());
    CHECK_EQ(frames_total(4), 0);
    for (paddr_t pa = base; pa < base + ARENA_SIZE; pa += PAGE_SIZE)
        CHECK_EQ(mfn_to_page(pa >> PAGE_SHIFT)->node, topology_node_of_paddr(&t, pa));
    CHECK_EQ(mfn_to_page((base >> PAGE_SHIFT) - 1)->flags, PGF_RESERVED);
    CHECK(frames_consistent(true));
}

static void test_alloc_on_node_stays_there(void)
{
    if (!setup())
        return;
    for (unsigned n = 0; n < 4; n++) {
        for (unsigned order = 0; order <= 6; order++) {
            struct page_info *a = alloc_frames(order, n, 0);
            struct page_info *b = alloc_frames(order, n, MEMF_EXACT_NODE);

            CHECK(a && b);
            if (!a || !b)
                continue;
            CHECK_EQ(a->node, n);
            CHECK_EQ(b->node, n);
            CHECK_EQ(topology_node_of_paddr(&t, page_to_paddr(a)), n);
            CHECK_EQ(topology_node_of_paddr(&t, page_to_paddr(a) + (PAGE_SIZE << order) - 1), n);
            CHECK_EQ(page_to_mfn(b) % (1UL << order), 0);
            free_frames(a, order);
            free_frames(b, order);
        }
    }
    CHECK(frames_consistent(true));
}

/* Drain node n with strict allocations of order 0; returns how many it gave. */
static unsigned long drain(unsigned n, struct page_info **out)
{
    unsigned long got = 0;
    struct page_info *pg;

    while ((pg = alloc_frames(0, n, MEMF_EXACT_NODE)) != NULL)
        out[got++] = pg;
    return got;
}

static void test_exact_node_never_crosses(void)
{
    static struct page_info *held[ARENA_SIZE / PAGE_SIZE];
    unsigned long got, fb;

    if (!setup())
        return;
    got = drain(1, held);
    CHECK_EQ(got, node_frames[1]);
    for (unsigned order = 0; order <= MAX_ORDER; order++)
        CHECK(alloc_frames(order, 1, MEMF_EXACT_NODE) == NULL);
    CHECK(alloc_frames(0, 7, MEMF_EXACT_NODE) == NULL);         /* no such node */
    CHECK_EQ(frames_free(0), node_frames[0]);
    CHECK_EQ(frames_free(2), node_frames[2]);
    CHECK_EQ(frames_free(3), node_frames[3]);
    /* No node holds an aligned 4 MiB block: refused, whatever the node. */
    for (unsigned n = 0; n < 4; n++)
        CHECK(alloc_frames(10, n, MEMF_EXACT_NODE) == NULL);
    page_alloc_stats(1, NULL, &fb);
    CHECK_EQ(fb, 0);
    /* Without EXACT the same request is served elsewhere. */
    {
        struct page_info *pg = alloc_frames(0, 1, 0);

        CHECK(pg && pg->node == 3);
        if (pg)
            free_frames(pg, 0);
        page_alloc_stats(1, NULL, &fb);
        CHECK_EQ(fb, 1);
    }
    while (got)
        free_frames(held[--got], 0);
    CHECK_EQ(frames_free(1), node_frames[1]);
}

/* From each starting node, allocate everything one frame at a time: the serving node
 * must walk the fallback order, each node drained before the next is touched. */
static void test_fallback_follows_distance(void)
{
    static struct page_info *held[ARENA_SIZE / PAGE_SIZE];

    for (unsigned start = 0; start < 4; start++) {
        unsigned long got = 0, allocs, fb;
        unsigned rank = 0;
        struct page_info *pg;
        bool ordered = true;

        if (!setup())
            return;
        while ((pg = alloc_frames(0, start, 0)) != NULL) {
            /* Moving on to the next node is only right once this one is empty. */
            while (rank < 4 && pg->node != want_fallback[start][rank])
                ordered &= frames_free(want_fallback[start][rank++]) == 0;
            ordered &= rank < 4;
            held[got++] = pg;
        }
        CHECK(ordered);
        CHECK_EQ(got, arena_frames());
        CHECK_EQ(frames_free_all(), 0);
        for (unsigned n = 0; n < 4; n++) {
            page_alloc_stats(n, &allocs, &fb);
            CHECK_EQ(allocs, node_frames[n]);
            CHECK_EQ(fb, n == start ? arena_frames() - node_frames[start] : 0);
        }
        while (got)
            free_frames(held[--got], 0);
        for (unsigned n = 0; n < 4; n++)
            CHECK_EQ(frames_free(n), node_frames[n]);
        CHECK(frames_consistent(true));
    }
}

static void test_no_node_prefers_node0_without_counting_fallback(void)
{
    static struct page_info *held[ARENA_SIZE / PAGE_SIZE];
    unsigned long got, fb;
    struct page_info *pg;

    if (!setup())
        return;
    pg = alloc_frames(3, NUMA_NO_NODE, MEMF_EXACT_NODE);       /* EXACT is ignored */
    CHECK(pg && pg->node == 0);
    if (pg)
        free_frames(pg, 3);
    got = drain(0, held);
    for (unsigned i = 0; i < 2; i++) {
        pg = alloc_frames(0, NUMA_NO_NODE, i ? MEMF_EXACT_NODE : 0);
        CHECK(pg && pg->node == 2);                             /* node 0's order */
        if (pg)
            free_frames(pg, 0);
    }
    page_alloc_stats(0, NULL, &fb);
    CHECK_EQ(fb, 0);
    while (got)
        free_frames(held[--got], 0);
}

static void test_memf_zero(void)
{
    struct page_info *pg;
    unsigned char *p;
    size_t dirty = 0, nonzero = 0;

    if (!setup())
        return;
    memset((void *)(uintptr_t)base, 0xaa, ARENA_SIZE);
    pg = alloc_frames(4, 2, MEMF_ZERO);
    CHECK(pg != NULL);
    if (!pg)
        return;
    p = page_to_virt(pg);
    CHECK(p == (unsigned char *)(uintptr_t)page_to_paddr(pg));
    for (size_t i = 0; i < (PAGE_SIZE << 4); i++)
        nonzero += p[i] != 0;
    CHECK_EQ(nonzero, 0);
    free_frames(pg, 4);
    pg = alloc_frames(4, 3, 0);                 /* without the flag nothing is written */
    p = page_to_virt(pg);
    for (size_t i = 0; pg && i < (PAGE_SIZE << 4); i++)
        dirty += p[i] == 0xaa;
    CHECK_EQ(dirty, PAGE_SIZE << 4);
    if (pg)
        free_frames(pg, 4);
}

static void test_heap_pages_roundtrip(void)
{
    void *va;

    if (!setup())
        return;
    va = alloc_heap_pages(2, 1, MEMF_EXACT_NODE | MEMF_ZERO);
    CHECK(va != NULL);
    CHECK_EQ((uintptr_t)va % (PAGE_SIZE << 2), 0);
    CHECK_EQ(virt_to_page(va)->node, 1);
    CHECK_EQ(frames_free(1), node_frames[1] - 4);
    free_heap_pages(va, 2);
    free_heap_pages(NULL, 2);
    CHECK_EQ(frames_free(1), node_frames[1]);
    CHECK(alloc_heap_pages(MAX_ORDER + 1, 0, 0) == NULL);
}

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_random_mix_returns_every_frame(void)
{
    enum { NLIVE = 300 };
    static struct { struct page_info *pg; unsigned order; } live[NLIVE];
    unsigned nlive = 0, wrong = 0;

    rng_state = 0x243f6a8885a308d3ULL;
    if (!setup())
        return;
    for (unsigned op = 0; op < 5000; op++) {
        if (nlive < NLIVE && (nlive == 0 || rng() % 3)) {
            unsigned order = rng() % 7, node = rng() % 5;
            unsigned flags = rng() % 2 ? MEMF_EXACT_NODE : 0;
            struct page_info *pg = alloc_frames(order, node == 4 ? NUMA_NO_NODE : node, flags);

            if (!pg)
                continue;
            wrong += (flags && node < 4 && pg->node != node);
            live[nlive].pg = pg;
            live[nlive++].order = order;
        } else {
            unsigned i = rng() % nlive;

            free_frames(live[i].pg, live[i].order);
            live[i] = live[--nlive];
        }
    }
    CHECK_EQ(wrong, 0);
    CHECK(frames_consistent(false));
    while (nlive) {
        nlive--;
        free_frames(live[nlive].pg, live[nlive].order);
    }
    for (unsigned n = 0; n < 4; n++)
        CHECK_EQ(frames_free(n), node_frames[n]);
    CHECK(frames_consistent(true));
}

static void do_double_free(void)
{
    struct page_info *pg = alloc_frames(0, 1, 0);

    free_frames(pg, 0);
    free_frames(pg, 0);
}
static void do_free_reserved(void) { free_frames(mfn_to_page(1), 0); }

static void test_misuse_panics(void)
{
    if (!setup())
        return;
    CHECK(unit_panics(do_double_free));
    CHECK(unit_panics(do_free_reserved));
}

static const struct unit_case cases[] = {
    { "node_of_paddr", test_node_of_paddr },
    { "ranges_split_at_node_edges", test_ranges_split_at_node_edges },
    { "alloc_on_node_stays_there", test_alloc_on_node_stays_there },
    { "exact_node_never_crosses", test_exact_node_never_crosses },
    { "fallback_follows_distance", test_fallback_follows_distance },
    { "no_node_prefers_node0_without_counting_fallback",
      test_no_node_prefers_node0_without_counting_fallback },
    { "memf_zero", test_memf_zero },
    { "heap_pages_roundtrip", test_heap_pages_roundtrip },
    { "random_mix_returns_every_frame", test_random_mix_returns_every_frame },
    { "misuse_panics", test_misuse_panics },
};
UNIT_MAIN(cases)
