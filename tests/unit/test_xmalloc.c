/* Host tests of mm/xmalloc.c. The page allocator is a test double over aligned_alloc
 * that hands out dirty memory, checks that every block comes back with the order it
 * went out with, and can be told to fail. */

#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/xmalloc.h>

#include "unit.h"

enum { MAX_BLOCKS = 8192 };
static struct { void *va; unsigned order; } blocks[MAX_BLOCKS];
static size_t pages_out;        /* pages the double has handed out and not got back */
static bool fail_pages;
static unsigned bad_frees;

void *alloc_heap_pages(unsigned order, unsigned node, unsigned memflags)
{
    void *va;

    if (fail_pages || order > MAX_ORDER || node != NUMA_NO_NODE || memflags)
        return NULL;
    va = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);
    if (!va)
        return NULL;
    memset(va, 0xa5, PAGE_SIZE << order);
    for (unsigned i = 0; i < MAX_BLOCKS; i++) {
        if (!blocks[i].va) {
            blocks[i].va = va;
            blocks[i].order = order;
            pages_out += 1UL << order;
            return va;
        }
    }
    free(va);
    return NULL;
}

void free_heap_pages(void *va, unsigned order)
{
    for (unsigned i = 0; i < MAX_BLOCKS; i++) {
        if (blocks[i].va == va) {
            bad_frees += blocks[i].order != order;
            blocks[i].va = NULL;
            pages_out -= 1UL << blocks[i].order;
            free(va);
            return;
        }
    }
    bad_frees++;
}

static bool heap_idle(void)
{
    size_t in_use, pages;

    xmalloc_stats(&in_use, &pages);
    if (in_use || pages || pages_out || bad_frees) {
        printf("  heap not idle: in_use %zu pages %zu pages_out %zu bad_frees %u\n",
               in_use, pages, pages_out, bad_frees);
        return false;
    }
    return true;
}

static size_t stat_in_use(void)
{
    size_t in_use;

    xmalloc_stats(&in_use, NULL);
    return in_use;
}

static size_t stat_pages(void)
{
    size_t pages;

    xmalloc_stats(NULL, &pages);
    return pages;
}


static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_every_size_is_aligned_and_usable(void)
{
    size_t bad_align = 0, too_small = 0, missing = 0;

    for (size_t s = 1; s <= 65536; s += s < 4200 ? 1 : 251) {
        size_t before = stat_in_use();
        unsigned char *p = xmalloc(s);

        if (!p) {
            missing++;
            continue;
        }
        bad_align += (uintptr_t)p % XMALLOC_ALIGN != 0;
        too_small += stat_in_use() - before < s;
        memset(p, 0x5a, s);             /* ASan would catch a block short of s */
        xfree(p);
    }
    CHECK_EQ(missing, 0);
    CHECK_EQ(bad_align, 0);
    CHECK_EQ(too_small, 0);
    CHECK(heap_idle());
}

/* Many live objects of mixed sizes, each filled with its own pattern: any overlap
 * shows up as a corrupted pattern. Half are freed and replaced, then all checked. */
static void test_live_objects_never_overlap(void)
{
    enum { N = 1500 };
    static unsigned char *obj[N];
    static size_t len[N];
    unsigned corrupt = 0;

    rng_state = 0xdeadbeefcafef00dULL;
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned i = 0; i < N; i++) {
            uint64_t r = rng() % 100;

            if (round && (i % 2 || !obj[i]))
                continue;
            if (obj[i])
                xfree(obj[i]);
            len[i] = r < 75 ? 1 + rng() % 2048 : r < 97 ? 2049 + rng() % 14000
                                                        : 16384 + rng() % 49153;
            obj[i] = xmalloc(len[i]);
            CHECK(obj[i] != NULL);
            if (obj[i])
                memset(obj[i], (int)(i * 7 + round) & 0xff, len[i]);
        }
        for (unsigned i = 0; i < N; i++) {
            unsigned char want = (unsigned char)(i * 7 + (round && !(i % 2) ? 1 : 0));

            for (size_t b = 0; obj[i] && b < len[i]; b++)
                corrupt += obj[i][b] != want;
        }
    }
    CHECK_EQ(corrupt, 0);
    for (unsigned i = 0; i < N; i++) {
        xfree(obj[i]);
        obj[i] = NULL;
    }
    CHECK(heap_idle());
}

static void test_small_objects_share_pages(void)
{
    static void *p[300];

    for (unsigned i = 0; i < 254; i++)
        p[i] = xmalloc(16);             /* (4096 - 32) / 16 = 254 slots in one page */
    CHECK_EQ(stat_pages(), 1);
    CHECK_EQ(stat_in_use(), 254 * 16);
    p[254] = xmalloc(9);                /* same class, the next page */
    CHECK_EQ(stat_pages(), 2);
    p[255] = xmalloc(17);               /* another class, its own page */
    CHECK_EQ(stat_pages(), 3);
    CHECK_EQ(stat_in_use(), 255 * 16 + 32);
    for (unsigned i = 0; i < 256; i++)
        xfree(p[i]);
    CHECK(heap_idle());
}

static void test_empty_page_goes_back(void)
{
    void *a = xmalloc(64), *b = xmalloc(64);

    CHECK_EQ(pages_out, 1);
    xfree(a);
    CHECK_EQ(pages_out, 1);             /* b still lives there */
    xfree(b);
    CHECK_EQ(pages_out, 0);
    CHECK(heap_idle());
}

static void test_freed_slot_is_reused(void)
{
    void *keep = xmalloc(100), *p = xmalloc(100), *q;

    xfree(p);
    q = xmalloc(128);                   /* same class as 100 */
    CHECK(q == p);
    xfree(q);
    xfree(keep);
    CHECK(heap_idle());
}

static void test_large_sizes_take_whole_pages(void)
{
    static const struct { size_t size; size_t pages; } cases[] = {
        { 2049, 1 }, { 4064, 1 }, { 4065, 2 }, { 8160, 2 }, { 8161, 4 }, { 65536, 32 },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        void *p = xmalloc(cases[i].size);

        CHECK(p != NULL);
        CHECK_EQ(stat_pages(), cases[i].pages);
        CHECK_EQ(pages_out, cases[i].pages);
        CHECK_EQ((uintptr_t)p % PAGE_SIZE, 32);
        xfree(p);
        CHECK_EQ(bad_frees, 0);         /* returned with the order it was taken at */
    }
    CHECK(heap_idle());
}

static void test_xzalloc_zeroes(void)
{
    unsigned char *keep = xmalloc(300), *p = xmalloc(300), *z, *big;
    size_t nonzero = 0;

    memset(p, 0xff, 300);
    xfree(p);
    z = xzalloc(300);                   /* the dirty slot just freed */
    CHECK(z == p);
    big = xzalloc(20000);               /* fresh pages come dirty from the double */
    for (size_t i = 0; i < 300; i++)
        nonzero += z[i] != 0;
    for (size_t i = 0; big && i < 20000; i++)
        nonzero += big[i] != 0;
    CHECK(big != NULL);
    CHECK_EQ(nonzero, 0);
    xfree(big);
    xfree(z);
    xfree(keep);
    CHECK(heap_idle());
}

static void test_arrays_check_overflow(void)
{
    unsigned char *a;
    size_t nonzero = 0;

    CHECK(xzalloc_array(SIZE_MAX / 2, 3) == NULL);
    CHECK(xmalloc_array((size_t)1 << 40, (size_t)1 << 40) == NULL);
    CHECK_EQ(pages_out, 0);
    a = xzalloc_array(10, 24);
    CHECK(a != NULL);
    for (size_t i = 0; a && i < 240; i++)
        nonzero += a[i] != 0;
    CHECK_EQ(nonzero, 0);
    CHECK_EQ(stat_in_use(), 256);
    xfree(a);
    a = xmalloc_array(3, 1000);
    CHECK(a != NULL);
    xfree(a);
    CHECK(heap_idle());
}

static void test_out_of_memory_is_null(void)
{
    fail_pages = true;
    CHECK(xmalloc(100) == NULL);
    CHECK(xmalloc(10000) == NULL);
    CHECK(xzalloc(1) == NULL);
    fail_pages = false;
    CHECK(xmalloc(SIZE_MAX) == NULL);           /* beyond any order */
    CHECK(xmalloc((PAGE_SIZE << MAX_ORDER) - 31) == NULL);
    CHECK(heap_idle());
}

static void test_zero_and_null(void)
{
    void *a = xmalloc(0), *b = xmalloc(0);

    CHECK(a && b && a != b);
    xfree(a);
    xfree(b);
    xfree(NULL);
    CHECK(heap_idle());
}

static void do_double_free_small(void)
{
    void *keep = xmalloc(32), *p = xmalloc(32);

    (void)keep;
    xfree(p);
    xfree(p);
}
static void do_free_interior(void) { xfree((char *)xmalloc(64) + 16); }
static void do_free_foreign(void)
{
    static _Alignas(4096) char page[4096];

    xfree(page + 64);
}
static void do_free_large_interior(void) { xfree((char *)xmalloc(10000) + 16); }

static void test_misuse_panics(void)
{
    CHECK(unit_panics(do_double_free_small));
    CHECK(unit_panics(do_free_interior));
    CHECK(unit_panics(do_free_foreign));
    CHECK(unit_panics(do_free_large_interior));
    CHECK(heap_idle());
}

static const struct unit_case cases[] = {
    { "every_size_is_aligned_and_usable", test_every_size_is_aligned_and_usable },
    { "live_objects_never_overlap", test_live_objects_never_overlap },
    { "small_objects_share_pages", test_small_objects_share_pages },
    { "empty_page_goes_back", test_empty_page_goes_back },
    { "freed_slot_is_reused", test_freed_slot_is_reused },
    { "large_sizes_take_whole_pages", test_large_sizes_take_whole_pages },
    { "xzalloc_zeroes", test_xzalloc_zeroes },
    { "arrays_check_overflow", test_arrays_check_overflow },
    { "out_of_memory_is_null", test_out_of_memory_is_null },
    { "zero_and_null", test_zero_and_null },
    { "misuse_panics", test_misuse_panics },
};
UNIT_MAIN(cases)
