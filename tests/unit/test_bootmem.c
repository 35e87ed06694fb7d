/* Host tests of mm/bootmem.c: range bookkeeping only, no memory is touched. */

#include <hvlab/bootmem.h>
#include <hvlab/lib.h>

#include "unit.h"

#define MB(x) ((paddr_t)(x) << 20)

static paddr_t rs[BOOTMEM_MAX_RANGES + 1], re[BOOTMEM_MAX_RANGES + 1];
static unsigned nr;

static void snapshot(void)
{
    nr = bootmem_ranges(rs, re, BOOTMEM_MAX_RANGES + 1);
}

/* True if the free ranges are exactly the n pairs given as start, end, start, end... */
static bool ranges_are(unsigned n, const paddr_t *want)
{
    snapshot();
    if (nr != n)
        goto differ;
    for (unsigned i = 0; i < n; i++)
        if (rs[i] != want[2 * i] || re[i] != want[2 * i + 1])
            goto differ;
    return true;
differ:
    printf("  ranges:");
    for (unsigned i = 0; i < nr; i++)
        printf(" [%#" PRIx64 ", %#" PRIx64 ")", rs[i], re[i]);
    printf("\n");
    return false;
}
#define RANGES_ARE(...) ({ const paddr_t w_[] = { __VA_ARGS__ }; \
                           ranges_are(ARRAY_SIZE(w_) / 2, w_); })

static paddr_t free_bytes(void)
{
    paddr_t sum = 0;

    snapshot();
    for (unsigned i = 0; i < nr; i++)
        sum += re[i] - rs[i];
    return sum;
}


static void test_add_shrinks_to_whole_pages(void)
{
    bootmem_reset();
    bootmem_add_range(0x1001, 0x5fff);
    CHECK(RANGES_ARE(0x2000, 0x5000));
    bootmem_add_range(0x8000, 0x8fff);          /* less than a page: ignored */
    bootmem_add_range(0x9000, 0x9000);
    CHECK(RANGES_ARE(0x2000, 0x5000));
    CHECK_EQ(bootmem_max_addr(), 0x5000);
}

static void test_add_sorts_and_merges(void)
{
    bootmem_reset();
    bootmem_add_range(MB(8), MB(9));
    bootmem_add_range(MB(2), MB(3));
    bootmem_add_range(MB(5), MB(6));
    CHECK(RANGES_ARE(MB(2), MB(3), MB(5), MB(6), MB(8), MB(9)));
    bootmem_add_range(MB(3), MB(4));            /* touching on the left */
    CHECK(RANGES_ARE(MB(2), MB(4), MB(5), MB(6), MB(8), MB(9)));
    bootmem_add_range(MB(7), MB(8));            /* touching on the right */
    CHECK(RANGES_ARE(MB(2), MB(4), MB(5), MB(6), MB(7), MB(9)));
    bootmem_add_range(MB(5) + 0x1000, MB(7));   /* overlapping */
    CHECK(RANGES_ARE(MB(2), MB(4), MB(5), MB(9)));
    bootmem_add_range(MB(1), MB(10));           /* covering all */
    CHECK(RANGES_ARE(MB(1), MB(10)));
    CHECK_EQ(bootmem_max_addr(), MB(10));
}

static void test_reserve_cuts_and_splits(void)
{
    bootmem_reset();
    bootmem_add_range(0, MB(16));
    bootmem_add_range(MB(32), MB(48));
    bootmem_reserve(0, MB(1));                          /* head */
    CHECK(RANGES_ARE(MB(1), MB(16), MB(32), MB(48)));
    bootmem_reserve(MB(2) + 100, MB(3) - 1);            /* middle, grown to pages */
    CHECK(RANGES_ARE(MB(1), MB(2), MB(3), MB(16), MB(32), MB(48)));
    bootmem_reserve(MB(15), MB(33));                    /* across two ranges */
    CHECK(RANGES_ARE(MB(1), MB(2), MB(3), MB(15), MB(33), MB(48)));
    bootmem_reserve(MB(1), MB(2));                      /* a whole range */
    CHECK(RANGES_ARE(MB(3), MB(15), MB(33), MB(48)));
    bootmem_reserve(MB(20), MB(30));                    /* a hole: nothing */
    bootmem_reserve(MB(47), MB(47));                    /* empty: nothing */
    CHECK(RANGES_ARE(MB(3), MB(15), MB(33), MB(48)));
    CHECK_EQ(bootmem_max_addr(), MB(48));               /* unaffected */
}

static void test_alloc_lowest_above_1mib(void)
{
    paddr_t a, b;

    bootmem_reset();
    bootmem_add_range(0, 0xa0000);
    bootmem_add_range(MB(1), MB(16));
    a = bootmem_alloc(PAGE_SIZE, PAGE_SIZE);
    b = bootmem_alloc(1, 0);                            /* rounded to a page */
    CHECK_EQ(a, MB(1));
    CHECK_EQ(b, MB(1) + PAGE_SIZE);
    CHECK(RANGES_ARE(0, 0xa0000, MB(1) + 2 * PAGE_SIZE, MB(16)));
}

static void test_alloc_alignment(void)
{
    paddr_t before, a;

    bootmem_reset();
    bootmem_add_range(MB(1) + 0x3000, MB(64));
    before = free_bytes();
    a = bootmem_alloc(3 * PAGE_SIZE, MB(2));
    CHECK_EQ(a, MB(2));
    CHECK_EQ(free_bytes(), before - 3 * PAGE_SIZE);
    /* The gap skipped for alignment is still free. */
    CHECK(RANGES_ARE(MB(1) + 0x3000, MB(2), MB(2) + 0x3000, MB(64)));
    a = bootmem_alloc(PAGE_SIZE, 0x10000);
    CHECK_EQ(a, MB(1) + 0x10000);
    CHECK_EQ(a % 0x10000, 0);
    CHECK_EQ(bootmem_alloc(PAGE_SIZE, GiB(1)), 0);     /* no 1 GiB boundary in RAM */
}

static void test_alloc_skips_ranges_too_small(void)
{
    bootmem_reset();
    bootmem_add_range(MB(1), MB(1) + 0x2000);
    bootmem_add_range(MB(4), MB(8));
    CHECK_EQ(bootmem_alloc(0x3000, PAGE_SIZE), MB(4));
    CHECK(RANGES_ARE(MB(1), MB(1) + 0x2000, MB(4) + 0x3000, MB(8)));
}

static void test_alloc_failure_returns_zero(void)
{
    bootmem_reset();
    bootmem_add_range(MB(1), MB(2));
    CHECK_EQ(bootmem_alloc(MB(1) + 1, PAGE_SIZE), 0);
    CHECK_EQ(bootmem_alloc(0, PAGE_SIZE), 0);
    CHECK_EQ(bootmem_alloc((size_t)-1, PAGE_SIZE), 0);
    CHECK(RANGES_ARE(MB(1), MB(2)));
    CHECK_EQ(bootmem_alloc(MB(1), PAGE_SIZE), MB(1));  /* exactly fits */
    snapshot();
    CHECK_EQ(nr, 0);
    CHECK_EQ(bootmem_alloc(PAGE_SIZE, PAGE_SIZE), 0);
}

static void test_allocations_never_overlap(void)
{
    paddr_t got[40], len[40];
    unsigned n = 0;

    bootmem_reset();
    bootmem_add_range(MB(1), MB(3));
    bootmem_add_range(MB(5), MB(6));
    for (unsigned i = 0; i < 40; i++) {
        size_t size = (i % 7 + 1) * PAGE_SIZE, align = PAGE_SIZE << (i % 4);
        paddr_t a = bootmem_alloc(size, align);

        CHECK(a != 0);
        if (!a)
            continue;
        CHECK_EQ(a % align, 0);
        CHECK(a >= MB(1));
        for (unsigned j = 0; j < n; j++)
            CHECK(a + size <= got[j] || a >= got[j] + len[j]);
        snapshot();
        for (unsigned r = 0; r < nr; r++)
            CHECK(re[r] <= a || rs[r] >= a + size);
        got[n] = a;
        len[n++] = size;
    }
}

static void test_ranges_copy_at_most_max(void)
{
    paddr_t s[2], e[2];

    bootmem_reset();
    bootmem_add_range(MB(1), MB(2));
    bootmem_add_range(MB(3), MB(4));
    bootmem_add_range(MB(5), MB(6));
    CHECK_EQ(bootmem_ranges(s, e, 2), 2);
    CHECK_EQ(s[1], MB(3));
    CHECK_EQ(e[1], MB(4));
    CHECK_EQ(bootmem_ranges(s, e, 0), 0);
}

static void do_add_too_many(void)
{
    bootmem_reset();
    for (unsigned i = 0; i <= BOOTMEM_MAX_RANGES; i++)
        bootmem_add_range(MB(2 * i), MB(2 * i + 1));
}
static void do_split_too_many(void)
{
    bootmem_reset();
    for (unsigned i = 0; i < BOOTMEM_MAX_RANGES; i++)
        bootmem_add_range(MB(4 * i), MB(4 * i + 2));
    bootmem_reserve(MB(0) + PAGE_SIZE, MB(0) + 2 * PAGE_SIZE);
}
static void do_add_after_reserve(void)
{
    bootmem_reset();
    bootmem_add_range(MB(1), MB(2));
    bootmem_reserve(MB(1), MB(1) + PAGE_SIZE);
    bootmem_add_range(MB(4), MB(5));
}
static void do_add_after_alloc(void)
{
    bootmem_reset();
    bootmem_add_range(MB(1), MB(2));
    bootmem_alloc(PAGE_SIZE, PAGE_SIZE);
    bootmem_add_range(MB(4), MB(5));
}

static void test_limits_panic(void)
{
    bootmem_reset();
    for (unsigned i = 0; i < BOOTMEM_MAX_RANGES; i++)
        bootmem_add_range(MB(2 * i), MB(2 * i + 1));
    snapshot();
    CHECK_EQ(nr, BOOTMEM_MAX_RANGES);                   /* the limit itself is fine */
    CHECK(unit_panics(do_add_too_many));
    CHECK(unit_panics(do_split_too_many));
    CHECK(unit_panics(do_add_after_reserve));
    CHECK(unit_panics(do_add_after_alloc));
}

static const struct unit_case cases[] = {
    { "add_shrinks_to_whole_pages", test_add_shrinks_to_whole_pages },
    { "add_sorts_and_merges", test_add_sorts_and_merges },
    { "reserve_cuts_and_splits", test_reserve_cuts_and_splits },
    { "alloc_lowest_above_1mib", test_alloc_lowest_above_1mib },
    { "alloc_alignment", test_alloc_alignment },
    { "alloc_skips_ranges_too_small", test_alloc_skips_ranges_too_small },
    { "alloc_failure_returns_zero", test_alloc_failure_returns_zero },
    { "allocations_never_overlap", test_allocations_never_overlap },
    { "ranges_copy_at_most_max", test_ranges_copy_at_most_max },
    { "limits_panic", test_limits_panic },
};
UNIT_MAIN(cases)
