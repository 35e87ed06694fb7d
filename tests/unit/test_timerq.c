/* Timer queue: fixed cases for each operation, then a long random run against a
 * reference model (a plain array searched linearly). After every operation the heap
 * is checked: parent before children, every heap_idx pointing at its own slot. */
#include "unit.h"

#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/timerq.h>

#define CAP 64

static struct timerq q;
static struct timer *storage[CAP];
static struct timer timers[CAP + 1];

static bool before(const struct timer *a, const struct timer *b)
{
    return a->expires != b->expires ? a->expires < b->expires : a->seq < b->seq;
}

/* Returns true if the heap is sound; reports the first broken invariant. */
static bool heap_ok(const struct timerq *tq)
{
    for (uint32_t i = 0; i < tq->nr; i++) {
        if (tq->heap[i]->heap_idx != (int32_t)i) {
            printf("    slot %u holds a timer with heap_idx %d\n", i, tq->heap[i]->heap_idx);
            return false;
        }
        if (i > 0 && before(tq->heap[i], tq->heap[(i - 1) / 2])) {
            printf("    slot %u is earlier than its parent\n", i);
            return false;
        }
    }
    return true;
}

static void setup(void)
{
    CHECK_EQ(timerq_init(&q, storage, CAP), 0);
    for (unsigned i = 0; i < ARRAY_SIZE(timers); i++)
        timer_init(&timers[i], NULL, &timers[i], 0);
}

static struct timer *arm(unsigned i, s_time_t expires)
{
    timers[i].expires = expires;
    CHECK_EQ(timerq_add(&q, &timers[i]), 0);
    CHECK(heap_ok(&q));
    return &timers[i];
}

static void test_init(void)
{
    struct timerq tq;
    struct timer t;

    CHECK_EQ(timerq_init(&tq, NULL, 4), -EINVAL);
    CHECK_EQ(timerq_init(&tq, storage, 0), -EINVAL);
    CHECK_EQ(timerq_init(&tq, storage, 4), 0);
    CHECK(timerq_first(&tq) == NULL);
    CHECK(timerq_pop_expired(&tq, INT64_MAX) == NULL);
    timer_init(&t, NULL, &t, 3);
    CHECK(!timer_is_queued(&t));
    CHECK_EQ(t.cpu, 3);
    CHECK(t.data == &t);
    CHECK(!timerq_remove(&tq, &t));
}

static void test_order(void)
{
    static const s_time_t deadlines[] = { 50, 10, 40, -5, 30, 20, 0, 1000, 25 };
    static const s_time_t sorted[] = { -5, 0, 10, 20, 25, 30, 40, 50, 1000 };

    setup();
    for (unsigned i = 0; i < ARRAY_SIZE(deadlines); i++)
        arm(i, deadlines[i]);
    CHECK_EQ(timerq_first(&q)->expires, -5);
    /* Nothing is expired before the first deadline; pop stops at now. */
    CHECK(timerq_pop_expired(&q, -6) == NULL);
    for (unsigned i = 0; i < 5; i++) {
        struct timer *t = timerq_pop_expired(&q, 25);
        CHECK(t != NULL);
        if (!t)
            return;
        CHECK_EQ(t->expires, sorted[i]);
        CHECK(!timer_is_queued(t));
        CHECK(heap_ok(&q));
    }
    CHECK(timerq_pop_expired(&q, 25) == NULL);
    CHECK_EQ(q.nr, 4);
    for (unsigned i = 5; i < ARRAY_SIZE(sorted); i++)
        CHECK_EQ(timerq_pop_expired(&q, INT64_MAX)->expires, sorted[i]);
    CHECK(timerq_first(&q) == NULL);
}

static void test_fifo(void)
{
    setup();
    /* Interleave two deadlines so the heap shape cannot hand out insertion order
     * by accident. */
    for (unsigned i = 0; i < 20; i++)
        arm(i, i % 2 ? 100 : 200);
    for (unsigned i = 1; i < 20; i += 2)
        CHECK(timerq_pop_expired(&q, 1000) == &timers[i]);
    for (unsigned i = 0; i < 20; i += 2)
        CHECK(timerq_pop_expired(&q, 1000) == &timers[i]);
    /* A re-added timer goes behind timers already waiting on the same deadline. */
    arm(0, 7);
    arm(1, 7);
    CHECK(timerq_remove(&q, &timers[0]));
    arm(0, 7);
    CHECK(timerq_pop_expired(&q, 7) == &timers[1]);
    CHECK(timerq_pop_expired(&q, 7) == &timers[0]);
}

static void test_remove(void)
{
    setup();
    for (unsigned i = 0; i < 15; i++)
        arm(i, (s_time_t)i * 10);
    /* Middle, leaf and root. */
    CHECK(timerq_remove(&q, &timers[7]));
    CHECK(heap_ok(&q));
    CHECK(!timer_is_queued(&timers[7]));
    CHECK(!timerq_remove(&q, &timers[7]));
    CHECK(timerq_remove(&q, &timers[14]));
    CHECK(heap_ok(&q));
    CHECK(timerq_remove(&q, &timers[0]));
    CHECK(heap_ok(&q));
    CHECK_EQ(timerq_first(&q)->expires, 10);
    CHECK_EQ(q.nr, 12);
    /* Re-add with a new deadline: it becomes the first. */
    arm(7, 5);
    CHECK(timerq_first(&q) == &timers[7]);
    /* Adding a queued timer is refused and changes nothing. */
    CHECK_EQ(timerq_add(&q, &timers[7]), -EEXIST);
    CHECK_EQ(q.nr, 13);
    CHECK(heap_ok(&q));
    /* A timer queued elsewhere is not removed from this queue. */
    struct timerq other;
    struct timer *other_storage[2];
    timerq_init(&other, other_storage, 2);
    timers[CAP].expires = 1;
    CHECK_EQ(timerq_add(&other, &timers[CAP]), 0);
    CHECK(!timerq_remove(&q, &timers[CAP]));
    CHECK(timerq_remove(&other, &timers[CAP]));

    /* Heap [0, 100, 1, 101, 102, 2, 3]: removing 101 moves 3 into its slot, under
     * 100, so the filler must go up, not down. */
    static const s_time_t shape[] = { 0, 100, 1, 101, 102, 2, 3 };
    setup();
    for (unsigned i = 0; i < ARRAY_SIZE(shape); i++)
        arm(i, shape[i]);
    CHECK_EQ(timers[3].heap_idx, 3);
    CHECK(timerq_remove(&q, &timers[3]));
    CHECK(heap_ok(&q));
    CHECK_EQ(timers[6].heap_idx, 1);
}

static void test_full(void)
{
    setup();
    for (unsigned i = 0; i < CAP; i++)
        arm(i, (s_time_t)(CAP - i));
    timers[CAP].expires = 0;
    CHECK_EQ(timerq_add(&q, &timers[CAP]), -ENOSPC);
    CHECK(!timer_is_queued(&timers[CAP]));
    CHECK_EQ(q.nr, CAP);
    CHECK(timerq_first(&q) == &timers[CAP - 1]);
    /* Room again after one leaves. */
    CHECK(timerq_pop_expired(&q, 1) == &timers[CAP - 1]);
    CHECK_EQ(timerq_add(&q, &timers[CAP]), 0);
    CHECK(timerq_first(&q) == &timers[CAP]);
    CHECK(heap_ok(&q));
}

/* xorshift64*: fixed seed, so a failure reproduces exactly. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/* The model: which timers are queued; the earliest is found by a linear scan with
 * the same (expires, seq) order the heap promises. */
static bool model_in[CAP + 1];

static struct timer *model_first(void)
{
    struct timer *best = NULL;

    for (unsigned i = 0; i <= CAP; i++)
        if (model_in[i] && (!best || before(&timers[i], best)))
            best = &timers[i];
    return best;
}

static void test_random(void)
{
    unsigned nr = 0, reported = 0;
    s_time_t now = 0;

    setup();
    memset(model_in, 0, sizeof(model_in));
    for (unsigned op = 0; op < 10000 && reported < 5; op++) {
        unsigned i = (unsigned)(rng() % (CAP + 1));
        unsigned kind = (unsigned)(rng() % 8);
        unsigned before_fail = (unsigned)unit_failed_checks;

        if (kind < 4) {             /* add: small range, so deadlines collide */
            s_time_t at = now + (s_time_t)(rng() % 64);
            if (!model_in[i])       /* a queued timer's deadline is the heap's */
                timers[i].expires = at;
            int rc = timerq_add(&q, &timers[i]);
            int want = model_in[i] ? -EEXIST : nr == CAP ? -ENOSPC : 0;
            CHECK_EQ(rc, want);
            if (rc == 0) {
                model_in[i] = true;
                nr++;
            }
        } else if (kind < 6) {      /* remove, queued or not */
            bool was = model_in[i];
            CHECK_EQ(timerq_remove(&q, &timers[i]), was);
            if (was) {
                model_in[i] = false;
                nr--;
            }
        } else {                    /* advance time and pop what expired */
            now += (s_time_t)(rng() % 16);
            struct timer *want = model_first();
            if (want && want->expires > now)
                want = NULL;
            struct timer *got = timerq_pop_expired(&q, now);
            CHECK(got == want);
            if (got) {
                model_in[got - timers] = false;
                nr--;
            }
        }
        CHECK_EQ(q.nr, nr);
        CHECK(timerq_first(&q) == model_first());
        CHECK(heap_ok(&q));
        for (unsigned k = 0; k <= CAP; k++)
            CHECK_EQ(timer_is_queued(&timers[k]), model_in[k]);
        if ((unsigned)unit_failed_checks != before_fail) {
            printf("    at op %u (kind %u, timer %u)\n", op, kind, i);
            reported++;
        }
    }
    /* Drain: everything comes out in order. */
    struct timer *prev = NULL, *t;
    while ((t = timerq_pop_expired(&q, INT64_MAX))) {
        CHECK(!prev || before(prev, t));
        prev = t;
        nr--;
    }
    CHECK_EQ(nr, 0);
}

static const struct unit_case cases[] = {
    { "init, empty queue, timer_init", test_init },
    { "pop in deadline order, up to now", test_order },
    { "equal deadlines fire FIFO, re-add goes last", test_fifo },
    { "remove middle/leaf/root, re-add, -EEXIST, foreign queue", test_remove },
    { "full queue: -ENOSPC, then room again", test_full },
    { "10k random add/remove/pop vs reference model", test_random },
};
UNIT_MAIN(cases)
