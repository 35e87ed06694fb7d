/* Shared rings (include/public/io/ring.h) on the host: sizes, a frontend and a
 * backend exchanging entries across the index wrap (2^32) and the slot wrap,
 * the notify decisions of both directions (an event only when the other end
 * asked for one in the pushed range), the final check that catches work that
 * arrived while going to sleep, and RING_PROD_SANE on hostile producer indices. */
#include "unit.h"
#include <hvlab/lib.h>
#include <public/io/blkif.h>

static struct blkif_sring *page_new(void)
{
    static uint8_t page[4096] __attribute__((aligned(4096)));

    memset(page, 0, sizeof(page));
    return (struct blkif_sring *)page;
}

static void test_sizes(void)
{
    struct blkif_front_ring f;

    FRONT_RING_INIT(&f, page_new());
    /* 112-byte entries: 36 fit after the header, the power of two below is 32. */
    CHECK_EQ(RING_SIZE(&f), 32);
    CHECK_EQ(RING_FREE_REQUESTS(&f), 32);
    CHECK_EQ(RING_ENTRIES_FOR(8), 256);
    CHECK_EQ(RING_ENTRIES_FOR(16), 128);
    CHECK_EQ(RING_ENTRIES_FOR(4032), 4);
    CHECK_EQ(sizeof(struct blkif_sring), 64 + 32 * 112);
}

/* Both ends start at index start (the shared and private indices agree), as they
 * would after running for a long time. */
static void ends_at(struct blkif_front_ring *f, struct blkif_back_ring *b, ring_idx_t start)
{
    struct blkif_sring *s = page_new();

    FRONT_RING_INIT(f, s);
    BACK_RING_ATTACH(b, s);
    s->h.req_prod = s->h.rsp_prod = start;
    s->h.req_event = s->h.rsp_event = start + 1;
    f->req_prod_pvt = f->rsp_cons = start;
    b->req_cons = b->rsp_prod_pvt = start;
}

/* The frontend queues n requests with ids from id0; the backend answers each with
 * the id + 1000; the frontend checks every answer, in order. */
static void exchange(struct blkif_front_ring *f, struct blkif_back_ring *b, unsigned n,
                     uint64_t id0)
{
    bool notify;

    for (unsigned i = 0; i < n; i++) {
        CHECK(!RING_FULL(f));
        RING_REQ_SLOT(f, f->req_prod_pvt)->id = id0 + i;
        f->req_prod_pvt++;
    }
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(f, notify);
    (void)notify;
    CHECK(RING_PROD_SANE(b, b->sring->h.req_prod, b->req_cons));
    for (unsigned i = 0; i < n; i++) {
        struct blkif_request req = *RING_REQ_SLOT(b, b->req_cons);

        b->req_cons++;
        CHECK_EQ(req.id, id0 + i);
        RING_RSP_SLOT(b, b->rsp_prod_pvt)->id = req.id + 1000;
        b->rsp_prod_pvt++;
    }
    CHECK_EQ(b->req_cons, b->sring->h.req_prod);
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(b, notify);
    for (unsigned i = 0; i < n; i++) {
        CHECK(f->rsp_cons != f->sring->h.rsp_prod);
        CHECK_EQ(RING_RSP_SLOT(f, f->rsp_cons)->id, id0 + i + 1000);
        f->rsp_cons++;
    }
    CHECK_EQ(f->rsp_cons, f->sring->h.rsp_prod);
    CHECK_EQ(RING_FREE_REQUESTS(f), RING_SIZE(f));
}

static void test_wrap(void)
{
    static const ring_idx_t starts[] = { 0, 5, 31, 32, 0xffffffe0u, 0xfffffff0u, 0xffffffffu };
    struct blkif_front_ring f;
    struct blkif_back_ring b;

    for (size_t i = 0; i < ARRAY_SIZE(starts); i++) {
        ends_at(&f, &b, starts[i]);
        /* Rounds of odd sizes walk the slots across the page's end and the indices
         * across 2^32. */
        for (unsigned round = 0; round < 40; round++)
            exchange(&f, &b, 1 + (round * 7) % 32, round * 100);
    }
}

static void test_full(void)
{
    struct blkif_front_ring f;
    struct blkif_back_ring b;

    ends_at(&f, &b, 0xfffffff8u);
    for (unsigned i = 0; i < 32; i++)
        f.req_prod_pvt++;
    CHECK(RING_FULL(&f));
    CHECK_EQ(RING_FREE_REQUESTS(&f), 0);
    /* One response consumed frees one slot. */
    f.rsp_cons++;
    CHECK_EQ(RING_FREE_REQUESTS(&f), 1);
}

/* The producer notifies only when the consumer's event index lies in
 * (old prod, new prod]. */
static void test_notify(void)
{
    static const struct {
        const char *name;
        ring_idx_t old_prod, new_prod, event;
        bool notify;
    } rows[] = {
        { "event is the next entry",     10, 11, 11, true },
        { "event inside the batch",      10, 15, 13, true },
        { "event at the batch's end",    10, 15, 15, true },
        { "event past the batch",        10, 15, 16, false },
        { "event already passed",        10, 15, 10, false },
        { "event long passed",           10, 15, 3, false },
        { "nothing pushed",              10, 10, 11, false },
        { "across 2^32, event inside",   0xfffffffeu, 2, 0xffffffffu, true },
        { "across 2^32, event at 0",     0xfffffffeu, 2, 0, true },
        { "across 2^32, event after",    0xfffffffeu, 2, 3, false },
        { "across 2^32, event before",   0xfffffffeu, 2, 0xfffffffeu, false },
    };
    struct blkif_front_ring f;
    struct blkif_back_ring b;
    bool notify;

    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        ends_at(&f, &b, rows[i].old_prod);
        f.sring->h.req_event = rows[i].event;
        f.req_prod_pvt = rows[i].new_prod;
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
        if (notify != rows[i].notify)
            printf("    requests, %s: notify %d\n", rows[i].name, notify);
        CHECK_EQ(notify, rows[i].notify);
        CHECK_EQ(f.sring->h.req_prod, rows[i].new_prod);

        ends_at(&f, &b, rows[i].old_prod);
        b.sring->h.rsp_event = rows[i].event;
        b.rsp_prod_pvt = rows[i].new_prod;
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b, notify);
        if (notify != rows[i].notify)
            printf("    responses, %s: notify %d\n", rows[i].name, notify);
        CHECK_EQ(notify, rows[i].notify);
    }
}

/* A consumer that drained the ring asks for the next index; entries pushed
 * before or after that are never missed: either the final check sees them, or the
 * producer's push notifies. */
static void test_final_check(void)
{
    struct blkif_front_ring f;
    struct blkif_back_ring b;
    bool more, notify;

    ends_at(&f, &b, 100);
    /* Drained, nothing new: the backend may sleep; a later push notifies. */
    RING_FINAL_CHECK_FOR_REQUESTS(&b, more);
    CHECK(!more);
    CHECK_EQ(b.sring->h.req_event, 101);
    f.req_prod_pvt++;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
    CHECK(notify);
    /* The backend consumes it; a push that lands before its final check is seen by
     * the check (and does not notify: the event index was behind). */
    b.req_cons++;
    f.req_prod_pvt++;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
    CHECK(!notify);
    RING_FINAL_CHECK_FOR_REQUESTS(&b, more);
    CHECK(more);
    b.req_cons++;
    RING_FINAL_CHECK_FOR_REQUESTS(&b, more);
    CHECK(!more);

    /* The same for responses. */
    RING_FINAL_CHECK_FOR_RESPONSES(&f, more);
    CHECK(!more);
    b.rsp_prod_pvt += 2;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b, notify);
    CHECK(notify);
    f.rsp_cons += 2;
    RING_FINAL_CHECK_FOR_RESPONSES(&f, more);
    CHECK(!more);
}

/* A backend checks the frontend's req_prod before consuming: at most one ring
 * ahead of what it consumed, in free-running arithmetic. */
static void test_prod_sane(void)
{
    static const struct { const char *name; ring_idx_t prod, cons; bool sane; } rows[] = {
        { "empty",                    7, 7, true },
        { "one",                      8, 7, true },
        { "a full ring",              39, 7, true },
        { "one more than a ring",     40, 7, false },
        { "far ahead",                1000000, 7, false },
        { "behind the consumer",      6, 7, false },
        { "full across 2^32",         0x1f, 0xffffffffu, true },
        { "over full across 2^32",    0x20, 0xffffffffu, false },
        { "zero from the top",        0, 0xffffffe0u, true },
        { "the top from zero",        0xffffffffu, 0, false },
    };
    struct blkif_back_ring b;

    BACK_RING_ATTACH(&b, page_new());
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        bool sane = RING_PROD_SANE(&b, rows[i].prod, rows[i].cons);

        if (sane != rows[i].sane)
            printf("    %s: sane %d\n", rows[i].name, sane);
        CHECK_EQ(sane, rows[i].sane);
    }
}

static const struct unit_case cases[] = {
    { "sizes", test_sizes },
    { "wrap", test_wrap },
    { "full", test_full },
    { "notify", test_notify },
    { "final_check", test_final_check },
    { "prod_sane", test_prod_sane },
};
UNIT_MAIN(cases)
