/* Host tests of mm/buddy.c: the frame table and one zone's buddy algorithm. Frames are
 * only bookkeeping here (the buddy never touches page contents), so mfns are small
 * made-up numbers and the frame table comes from malloc. */

#include <hvlab/mm.h>

#include "unit.h"

static void *table_mem;

static void *test_early_alloc(size_t bytes)
{
    free(table_mem);
    table_mem = malloc(bytes);
    return table_mem;
}

static void setup(mfn_t frames)
{
    frame_table_init(frames << PAGE_SHIFT, test_early_alloc);
}


/* The zone's whole state against the frame table: every free block is well formed and
 * on the list of its order exactly once, no frame is in two blocks, no free frame is
 * off the lists, no two free buddies are left unmerged, nr_free and total add up.
 * Prints the first problem found. */
static bool zone_ok(const struct zone *z)
{
    static unsigned char seen[1UL << 20];
    unsigned long listed = 0, allocated = 0, frames = 0;

    if (max_mfn > sizeof(seen)) {
        printf("  zone_ok: frame table too big for the checker\n");
        return false;
    }
    memset(seen, 0, max_mfn);
    for (unsigned k = 0; k <= MAX_ORDER; k++) {
        const struct list_head *p;

        list_for_each(p, &z->free_list[k]) {
            const struct page_info *pg = list_entry(p, struct page_info, list);
            mfn_t m = page_to_mfn(pg), buddy = m ^ (1UL << k);

            if (pg->flags != (PGF_FREE | PGF_HEAD) || pg->order != k || pg->node != z->node ||
                (m & ((1UL << k) - 1)) || m + (1UL << k) > max_mfn) {
                printf("  zone_ok: bad head mfn %lu on list %u (flags %#x order %u)\n",
                       (unsigned long)m, k, pg->flags, pg->order);
                return false;
            }
            for (mfn_t i = m; i < m + (1UL << k); i++) {
                const struct page_info *f = mfn_to_page(i);

                if (seen[i]++ || (i != m && f->flags != PGF_FREE) || f->node != z->node) {
                    printf("  zone_ok: frame %lu of block %lu/%u listed twice or bad\n",
                           (unsigned long)i, (unsigned long)m, k);
                    return false;
                }
            }
            if (k < MAX_ORDER && buddy < max_mfn &&
                mfn_to_page(buddy)->flags == (PGF_FREE | PGF_HEAD) &&
                mfn_to_page(buddy)->order == k && mfn_to_page(buddy)->node == z->node) {
                printf("  zone_ok: free buddies %lu and %lu not merged\n",
                       (unsigned long)m, (unsigned long)buddy);
                return false;
            }
            listed += 1UL << k;
        }
    }
    for (mfn_t i = 0; i < max_mfn; i++) {
        const struct page_info *f = mfn_to_page(i);

        if (f->node != z->node || f->flags == PGF_RESERVED)
            continue;
        frames++;
        if (f->flags == PGF_ALLOC) {
            allocated++;
        } else if (!seen[i]) {
            printf("  zone_ok: free frame %lu on no list\n", (unsigned long)i);
            return false;
        }
    }
    if (listed != z->nr_free || frames != z->total || allocated + listed != z->total) {
        printf("  zone_ok: listed %lu nr_free %lu allocated %lu total %lu frames %lu\n",
               listed, z->nr_free, allocated, z->total, frames);
        return false;
    }
    return true;
}

static unsigned blocks_of_order(const struct zone *z, unsigned k)
{
    const struct list_head *p;
    unsigned n = 0;

    list_for_each(p, &z->free_list[k])
        n++;
    return n;
}

static bool is_free_block(mfn_t m, unsigned k)
{
    const struct page_info *pg = mfn_to_page(m);

    return pg->flags == (PGF_FREE | PGF_HEAD) && pg->order == k;
}

static void test_frame_table_starts_reserved(void)
{
    setup(100);
    CHECK_EQ(max_mfn, 100);
    for (mfn_t m = 0; m < max_mfn; m++)
        CHECK_EQ(mfn_to_page(m)->flags, PGF_RESERVED);
    CHECK_EQ(page_to_paddr(mfn_to_page(7)), 7 * PAGE_SIZE);
    frame_table_init(PAGE_SIZE * 10 + 1, test_early_alloc);
    CHECK_EQ(max_mfn, 11);
}

static void test_empty_zone(void)
{
    struct zone z;

    setup(64);
    zone_init(&z, 0);
    CHECK(zone_alloc(&z, 0) == NULL);
    CHECK_EQ(z.nr_free, 0);
    CHECK(zone_ok(&z));
}

static void test_add_splits_into_aligned_blocks(void)
{
    struct zone z;

    setup(64);
    zone_init(&z, 0);
    zone_add_free(&z, 3, 13);           /* 3 | 4..7 | 8..15 */
    CHECK(is_free_block(3, 0));
    CHECK(is_free_block(4, 2));
    CHECK(is_free_block(8, 3));
    CHECK_EQ(blocks_of_order(&z, 0) + blocks_of_order(&z, 2) + blocks_of_order(&z, 3), 3);
    CHECK_EQ(z.nr_free, 13);
    CHECK_EQ(z.total, 13);
    CHECK_EQ(mfn_to_page(2)->flags, PGF_RESERVED);
    CHECK_EQ(mfn_to_page(16)->flags, PGF_RESERVED);
    CHECK(zone_ok(&z));
    zone_add_free(&z, 16, 16);          /* touching range: 16..31 merges with nothing
                                         * (8..15's buddy is 0..7, not all free) */
    CHECK(is_free_block(16, 4));
    zone_add_free(&z, 0, 3);            /* now 0..15 complete, then 0..31 */
    CHECK(is_free_block(0, 5));
    CHECK_EQ(z.nr_free, 32);
    CHECK(zone_ok(&z));
}

static void test_alloc_is_aligned(void)
{
    struct zone z;

    setup(4096);
    zone_init(&z, 0);
    zone_add_free(&z, 1, 4000);
    for (unsigned k = 0; k <= 8; k++) {
        struct page_info *pg = zone_alloc(&z, k);

        CHECK(pg != NULL);
        if (!pg)
            continue;
        CHECK_EQ(page_to_mfn(pg) & ((1UL << k) - 1), 0);
        for (unsigned long i = 0; i < (1UL << k); i++)
            CHECK_EQ(pg[i].flags, PGF_ALLOC);
    }
    CHECK_EQ(z.nr_free, 4000 - 511);
    CHECK(zone_ok(&z));
}

static void test_split_then_merge_back(void)
{
    struct zone z;
    struct page_info *pg;

    setup(64);
    zone_init(&z, 0);
    zone_add_free(&z, 16, 16);
    pg = zone_alloc(&z, 0);
    CHECK_EQ(page_to_mfn(pg), 16);
    CHECK(is_free_block(17, 0));
    CHECK(is_free_block(18, 1));
    CHECK(is_free_block(20, 2));
    CHECK(is_free_block(24, 3));
    CHECK_EQ(z.nr_free, 15);
    CHECK(zone_ok(&z));
    zone_free(&z, pg, 0);
    CHECK(is_free_block(16, 4));
    CHECK_EQ(blocks_of_order(&z, 4), 1);
    CHECK_EQ(z.nr_free, 16);
    CHECK(zone_ok(&z));
}

static void test_free_part_of_a_block(void)
{
    struct zone z;
    struct page_info *pg;

    setup(64);
    zone_init(&z, 0);
    zone_add_free(&z, 0, 8);
    pg = zone_alloc(&z, 2);
    for (unsigned i = 0; i < 4; i++) {
        zone_free(&z, pg + i, 0);
        CHECK(zone_ok(&z));
    }
    CHECK(is_free_block(0, 3));
}

static void test_exhaustion_returns_null(void)
{
    struct page_info *got[64];
    struct zone z;

    setup(128);
    zone_init(&z, 0);
    zone_add_free(&z, 64, 64);
    CHECK(zone_alloc(&z, 7) == NULL);           /* larger than the zone */
    CHECK(zone_alloc(&z, MAX_ORDER + 1) == NULL);
    for (unsigned i = 0; i < 64; i++) {
        got[i] = zone_alloc(&z, 0);
        CHECK(got[i] != NULL);
        for (unsigned j = 0; j < i && got[i]; j++)
            CHECK(got[i] != got[j]);
    }
    CHECK_EQ(z.nr_free, 0);
    CHECK(zone_alloc(&z, 0) == NULL);
    CHECK(zone_ok(&z));
    for (unsigned i = 0; i < 64; i++)
        if (got[i])
            zone_free(&z, got[i], 0);
    CHECK_EQ(z.nr_free, 64);
    CHECK(is_free_block(64, 6));
    CHECK(zone_ok(&z));
}

static void test_no_merge_across_zones(void)
{
    struct zone a, b;
    struct page_info *pa, *pb;

    setup(64);
    zone_init(&a, 0);
    zone_init(&b, 1);
    zone_add_free(&a, 0, 8);
    zone_add_free(&b, 8, 8);                    /* buddies of a's block, other zone */
    CHECK(is_free_block(0, 3));
    CHECK(is_free_block(8, 3));
    CHECK(zone_alloc(&a, 4) == NULL);
    CHECK(zone_alloc(&b, 4) == NULL);
    pa = zone_alloc(&a, 3);
    pb = zone_alloc(&b, 3);
    CHECK(pa && pb);
    if (pa && pb) {
        CHECK_EQ(page_to_mfn(pa), 0);
        CHECK_EQ(page_to_mfn(pb), 8);
        zone_free(&b, pb, 3);
        zone_free(&a, pa, 3);
    }
    CHECK(is_free_block(0, 3));
    CHECK(is_free_block(8, 3));
    CHECK_EQ(a.nr_free, 8);
    CHECK_EQ(b.nr_free, 8);
    CHECK(zone_ok(&a));
    CHECK(zone_ok(&b));
}

static void test_no_merge_with_reserved(void)
{
    struct zone z;
    struct page_info *pg;

    setup(64);
    zone_init(&z, 0);
    zone_add_free(&z, 0, 8);                    /* 8..15 stay reserved */
    pg = zone_alloc(&z, 3);
    zone_free(&z, pg, 3);
    CHECK(is_free_block(0, 3));
    CHECK_EQ(mfn_to_page(8)->flags, PGF_RESERVED);
    CHECK(zone_ok(&z));
}

static void test_max_order_is_the_ceiling(void)
{
    unsigned long n = 2UL << MAX_ORDER;
    struct page_info *p1, *p2;
    struct zone z;

    setup(n);
    zone_init(&z, 0);
    zone_add_free(&z, 0, n);
    CHECK_EQ(blocks_of_order(&z, MAX_ORDER), 2);
    p1 = zone_alloc(&z, MAX_ORDER);
    p2 = zone_alloc(&z, MAX_ORDER);
    CHECK(p1 && p2 && p1 != p2);
    CHECK(zone_alloc(&z, 0) == NULL);
    if (p1 && p2) {
        CHECK_EQ(page_to_mfn(p1) % (1UL << MAX_ORDER), 0);
        zone_free(&z, p1, MAX_ORDER);
        zone_free(&z, p2, MAX_ORDER);
    }
    CHECK_EQ(blocks_of_order(&z, MAX_ORDER), 2);    /* never merged above MAX_ORDER */
    CHECK_EQ(z.nr_free, n);
}

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Two zones with interleaved, unaligned ranges; random allocations and frees, checked
 * against the invariants and against an independent record of what is allocated. */
static void test_random_sequences_keep_invariants(void)
{
    enum { NLIVE = 512, OPS = 20000 };
    static struct { struct page_info *pg; unsigned order; struct zone *z; } live[NLIVE];
    struct zone zs[2];
    unsigned nlive = 0, bad = 0;

    rng_state = 0x9e3779b97f4a7c15ULL;
    setup(4096);
    zone_init(&zs[0], 0);
    zone_init(&zs[1], 1);
    zone_add_free(&zs[0], 5, 995);
    zone_add_free(&zs[1], 1000, 1500);
    zone_add_free(&zs[0], 2500, 1537);
    for (unsigned op = 0; op < OPS; op++) {
        if (nlive < NLIVE && (nlive == 0 || rng() % 10 < 6)) {
            struct zone *z = &zs[rng() % 2];
            unsigned order = rng() % 6;
            unsigned long before = z->nr_free;
            struct page_info *pg = zone_alloc(z, order);

            if (pg) {
                bad += (page_to_mfn(pg) & ((1UL << order) - 1)) != 0;
                bad += pg->node != z->node;
                bad += z->nr_free != before - (1UL << order);
                live[nlive].pg = pg;
                live[nlive].order = order;
                live[nlive++].z = z;
            } else {
                /* Failing is only right when no block of that order or above is free. */
                for (unsigned k = order; k <= MAX_ORDER; k++)
                    bad += !list_empty(&z->free_list[k]);
            }
        } else {
            unsigned i = rng() % nlive;

            zone_free(live[i].z, live[i].pg, live[i].order);
            live[i] = live[--nlive];
        }
        if (op % 97 == 0) {
            bool ok = zone_ok(&zs[0]) && zone_ok(&zs[1]);

            CHECK(ok);
            if (!ok)
                return;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK(zone_ok(&zs[0]));
    CHECK(zone_ok(&zs[1]));
    while (nlive) {
        nlive--;
        zone_free(live[nlive].z, live[nlive].pg, live[nlive].order);
    }
    CHECK_EQ(zs[0].nr_free, zs[0].total);
    CHECK_EQ(zs[1].nr_free, zs[1].total);
    CHECK(zone_ok(&zs[0]));
    CHECK(zone_ok(&zs[1]));
    CHECK(is_free_block(1024, 10));         /* fully merged again */
}

static struct zone pz, pz_other;
static void panic_setup(void)
{
    setup(64);
    zone_init(&pz, 0);
    zone_init(&pz_other, 1);
    zone_add_free(&pz, 0, 16);
}
static void do_double_free(void)
{
    struct page_info *pg = zone_alloc(&pz, 1);

    zone_free(&pz, pg, 1);
    zone_free(&pz, pg, 1);
}
static void do_free_reserved(void) { zone_free(&pz, mfn_to_page(32), 0); }
static void do_free_wrong_zone(void) { zone_free(&pz_other, zone_alloc(&pz, 0), 0); }
static void do_free_misaligned(void) { zone_free(&pz, zone_alloc(&pz, 2) + 1, 1); }
static void do_add_twice(void) { zone_add_free(&pz, 8, 1); }
static void do_free_too_much(void) { zone_free(&pz, zone_alloc(&pz, 0), 1); }

static void test_misuse_panics(void)
{
    panic_setup();
    CHECK(unit_panics(do_double_free));
    CHECK(unit_panics(do_free_reserved));
    CHECK(unit_panics(do_free_wrong_zone));
    CHECK(unit_panics(do_free_misaligned));
    CHECK(unit_panics(do_add_twice));
    CHECK(unit_panics(do_free_too_much));    /* frees an order-1 block of which half is free */
    CHECK(zone_ok(&pz));                /* the children's damage stayed in the children */
}

static const struct unit_case cases[] = {
    { "frame_table_starts_reserved", test_frame_table_starts_reserved },
    { "empty_zone", test_empty_zone },
    { "add_splits_into_aligned_blocks", test_add_splits_into_aligned_blocks },
    { "alloc_is_aligned", test_alloc_is_aligned },
    { "split_then_merge_back", test_split_then_merge_back },
    { "free_part_of_a_block", test_free_part_of_a_block },
    { "exhaustion_returns_null", test_exhaustion_returns_null },
    { "no_merge_across_zones", test_no_merge_across_zones },
    { "no_merge_with_reserved", test_no_merge_with_reserved },
    { "max_order_is_the_ceiling", test_max_order_is_the_ceiling },
    { "random_sequences_keep_invariants", test_random_sequences_keep_invariants },
    { "misuse_panics", test_misuse_panics },
};
UNIT_MAIN(cases)
