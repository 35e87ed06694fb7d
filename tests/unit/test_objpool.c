/* Object pool (core/lib/objpool.c): geometry (slots on cache lines, chunks under a
 * page), packing (a new chunk only when every chunk is full), zeroing of reused slots,
 * empty chunks going back to the heap (all but the last), long random runs against a
 * set of live objects (no two overlap, every byte of a live object keeps what was
 * written), and the panics on a pointer the pool did not hand out. The heap here
 * counts live chunks, and ASan sees each chunk as one heap block. */
#include "unit.h"

#include <hvlab/lib.h>
#include <hvlab/objpool.h>

static unsigned heap_live, heap_allocs;
static size_t heap_max;

void *xmalloc(size_t size)
{
    heap_live++;
    heap_allocs++;
    heap_max = size > heap_max ? size : heap_max;
    return malloc(size);
}
void xfree(void *p)
{
    heap_live -= p != NULL;
    free(p);
}

static void test_geometry(void)
{
    struct objpool p;
    objpool_init(&p, 120);
    CHECK_EQ(p.size, 128);
    CHECK(p.per_chunk >= 28);
    objpool_init(&p, 1);
    CHECK_EQ(p.size, OBJPOOL_ALIGN);
    objpool_init(&p, 200);
    CHECK_EQ(p.size, 256);
    void *a = objpool_zalloc(&p);
    CHECK(a != NULL);
    CHECK_EQ((uintptr_t)a % OBJPOOL_ALIGN, 0);
    CHECK(heap_max <= PAGE_SIZE - 32);   /* room for the heap's header in the page */
    objpool_free(&p, a);
    objpool_destroy(&p);
    CHECK_EQ(heap_live, 0);
}

/* n objects take ceil(n / per_chunk) chunks, slots one after the other. */
static void test_packing(void)
{
    struct objpool p;
    void *o[1000];
    objpool_init(&p, 100);
    unsigned before = heap_allocs;
    for (unsigned i = 0; i < 1000; i++) {
        o[i] = objpool_zalloc(&p);
        CHECK_EQ((uintptr_t)o[i] % OBJPOOL_ALIGN, 0);
    }
    CHECK_EQ(heap_allocs - before, (1000 + p.per_chunk - 1) / p.per_chunk);
    CHECK_EQ(p.nr_chunks, (1000 + p.per_chunk - 1) / p.per_chunk);
    for (unsigned i = 1; i < p.per_chunk; i++)       /* the first chunk: in a row */
        CHECK_EQ((char *)o[i] - (char *)o[i - 1], (long)p.size);
    /* Free one of the first chunk: the next allocation reuses it, no new chunk. */
    objpool_free(&p, o[5]);
    before = heap_allocs;
    o[5] = objpool_zalloc(&p);
    CHECK_EQ(heap_allocs, before);
    for (unsigned i = 0; i < 1000; i++)
        objpool_free(&p, o[i]);
    CHECK_EQ(p.nr_chunks, 1);                           /* the last stays */
    CHECK_EQ(heap_live, 1);
    objpool_destroy(&p);
    CHECK_EQ(heap_live, 0);
}

static void test_zeroed(void)
{
    struct objpool p;
    objpool_init(&p, 64);
    unsigned char *a = objpool_zalloc(&p);
    memset(a, 0xab, 64);
    objpool_free(&p, a);
    unsigned char *b = objpool_zalloc(&p);
    CHECK(a == b);                      /* the slot just freed */
    for (unsigned i = 0; i < 64; i++)
        CHECK_EQ(b[i], 0);
    objpool_free(&p, b);
    objpool_free(&p, NULL);
    objpool_destroy(&p);
}

/* Random allocations and frees; each live object is filled with its own byte and
 * checked before it is freed, so an overlap or a slot handed out twice shows. */
static void test_random(void)
{
    enum { N = 700, STEPS = 40000, SIZE = 72 };
    struct objpool p;
    unsigned char *live[N] = { 0 };
    uint64_t rng = 12345;
    unsigned nr = 0, peak = 0;

    objpool_init(&p, SIZE);
    for (unsigned step = 0; step < STEPS; step++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        unsigned i = (unsigned)(rng >> 33) % N;
        if (live[i]) {
            for (unsigned k = 0; k < SIZE; k++)
                if (live[i][k] != (unsigned char)i) {
                    CHECK_EQ(live[i][k], (unsigned char)i);
                    break;
                }
            objpool_free(&p, live[i]);
            live[i] = NULL;
            nr--;
        } else {
            live[i] = objpool_zalloc(&p);
            CHECK(live[i] != NULL);
            CHECK_EQ((uintptr_t)live[i] % OBJPOOL_ALIGN, 0);
            memset(live[i], (int)i, SIZE);
            nr++;
            peak = nr > peak ? nr : peak;
        }
        /* Never more chunks than the live objects need, plus the one kept and the
         * partly used ones a free pattern leaves: at most one per live object. */
        CHECK(p.nr_chunks <= MAX(nr, 1u));
        CHECK_EQ(heap_live, p.nr_chunks);
    }
    for (unsigned i = 0; i < N; i++)
        objpool_free(&p, live[i]);
    CHECK_EQ(p.nr_chunks, 1);
    objpool_destroy(&p);
    CHECK_EQ(heap_live, 0);
    CHECK(peak > p.per_chunk);          /* the run did need several chunks */
}

static struct objpool bad;
static char outside[256];
static void free_foreign(void) { objpool_free(&bad, outside + 64); }
static void free_inside(void) { objpool_free(&bad, (char *)objpool_zalloc(&bad) + 8); }

static void test_bad_free(void)
{
    objpool_init(&bad, 64);
    (void)objpool_zalloc(&bad);
    CHECK(unit_panics(free_foreign));
    CHECK(unit_panics(free_inside));
}

static const struct unit_case cases[] = {
    { "geometry", test_geometry },
    { "packing", test_packing },
    { "zeroed", test_zeroed },
    { "random", test_random },
    { "bad free", test_bad_free },
};
UNIT_MAIN(cases)
