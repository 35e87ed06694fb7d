/* Virtual LAPIC timer (core/hvm/vlapic_timer.c): one-shot and periodic counts at
 * every divide value, current count read back at given times, periodic re-arm
 * without drift, TSC-deadline in the past, far future and zero, and the guest TSC
 * scaling. The timer clock is 1 ns per tick before the divider (VLAPIC_BUS_HZ). */
#include "unit.h"
#include "vintc_fixture.h"

#include <hvlab/lib.h>

#define LVT_TIMER   0x320
#define TMICT       0x380
#define TMCCT       0x390
#define TDCR        0x3E0
#define PERIODIC    (1u << 17)
#define TSCDL       (2u << 17)
#define MASKED      (1u << 16)
#define VEC         0xEC

static struct vlapic *timer_setup(uint32_t lvt, uint32_t dcr)
{
    fx_setup(1);
    fx_enable(0);
    fx_lapic_write(0, TDCR, dcr, 0);
    fx_lapic_write(0, LVT_TIMER, lvt | VEC, 0);
    return &fx.lapic[0];
}

/* Every divide configuration: the count runs at 1/divider of the bus clock. */
static void test_divide_values(void)
{
    static const struct { uint32_t dcr; uint64_t div; } rows[] = {
        { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
        { 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 },
        { 0x4, 2 }, { 0xF, 1 },         /* bit 2 is not part of the divider */
    };

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct vlapic *l = timer_setup(0, rows[i].dcr);
        uint64_t start = 5000, d = rows[i].div;

        fx_lapic_write(0, TMICT, 1000, start);
        if (vlapic_next_event(l) != start + 1000 * d)
            printf("    dcr %#x\n", rows[i].dcr);
        CHECK_EQ(vlapic_next_event(l), start + 1000 * d);
        CHECK_EQ(fx_lapic_read(0, TMCCT, start), 1000);
        CHECK_EQ(fx_lapic_read(0, TMCCT, start + d - 1), 1000);     /* not a tick yet */
        CHECK_EQ(fx_lapic_read(0, TMCCT, start + d), 999);
        CHECK_EQ(fx_lapic_read(0, TMCCT, start + 250 * d + d / 2), 750);
        CHECK_EQ(fx_lapic_read(0, TMCCT, start + 999 * d), 1);
        CHECK_EQ(fx_lapic_read(0, TMCCT, start + 1000 * d), 0);
    }
}

static void test_oneshot_fires_once(void)
{
    struct vlapic *l = timer_setup(0, 0xB);

    fx_lapic_write(0, TMICT, 500, 100);
    CHECK_EQ(fx_lapic_read(0, TMICT, 100), 500);
    vlapic_advance(l, 599);
    CHECK_EQ(vlapic_pending(l), -1);
    CHECK_EQ(fx.kicks[0], 0);
    vlapic_advance(l, 600);
    CHECK_EQ(vlapic_pending(l), VEC);
    CHECK_EQ(fx.kicks[0], 1);
    CHECK_EQ(vlapic_next_event(l), HVM_NO_EVENT);
    CHECK_EQ(fx_lapic_read(0, TMCCT, 700), 0);
    CHECK_EQ(fx_lapic_read(0, TMICT, 700), 500);        /* initial count stays */
    vlapic_accept(l, VEC);
    fx_lapic_write(0, 0xB0, 0, 700);
    vlapic_advance(l, 100000);
    CHECK_EQ(vlapic_pending(l), -1);                    /* once */
    /* Rewriting the initial count restarts it; 0 stops it. */
    fx_lapic_write(0, TMICT, 10, 1000);
    CHECK_EQ(vlapic_next_event(l), 1010);
    fx_lapic_write(0, TMICT, 0, 1005);
    CHECK_EQ(vlapic_next_event(l), HVM_NO_EVENT);
    CHECK_EQ(fx_lapic_read(0, TMCCT, 1006), 0);
}

/* A late advance must not move the period grid: next = start + k * period. */
static void test_periodic_no_drift(void)
{
    static const struct { uint64_t advance_at, next, fired; } steps[] = {
        { 1999, 2000, 0 },
        { 2000, 3000, 1 },
        { 3037, 4000, 1 },      /* late by 37 ns: the grid stays */
        { 3999, 4000, 0 },
        { 9500, 10000, 1 },     /* five periods missed: one interrupt, next on grid */
        { 10000, 11000, 1 },
    };
    struct vlapic *l = timer_setup(PERIODIC, 0x0);     /* divide by 2 */

    fx_lapic_write(0, TMICT, 500, 1000);                /* period 1000 ns */
    CHECK_EQ(vlapic_next_event(l), 2000);
    for (unsigned i = 0; i < ARRAY_SIZE(steps); i++) {
        bool fired;

        vlapic_advance(l, steps[i].advance_at);
        fired = vlapic_pending(l) == VEC;
        if (fired) {
            vlapic_accept(l, VEC);
            fx_lapic_write(0, 0xB0, 0, steps[i].advance_at);
        }
        if (vlapic_next_event(l) != steps[i].next || fired != steps[i].fired)
            printf("    step %u: next %" PRIu64 " fired %d\n", i, vlapic_next_event(l),
                   fired);
        CHECK_EQ(vlapic_next_event(l), steps[i].next);
        CHECK_EQ(fired, steps[i].fired);
    }
    /* A thousand periods later, advanced at each deadline: still on the grid. */
    for (unsigned k = 0; k < 1000; k++)
        vlapic_advance(l, vlapic_next_event(l));
    CHECK_EQ(vlapic_next_event(l), 1011000);
}

/* Current count of a periodic timer, whether or not advance has run. */
static void test_periodic_current_count(void)
{
    static const struct { uint64_t now; uint32_t want; } rows[] = {
        { 100, 400 }, { 150, 350 }, { 499, 1 }, { 500, 400 }, { 501, 399 },
        { 899, 1 }, { 900, 400 }, { 100 + 400 * 1000 + 7, 393 },
    };
    struct vlapic *l = timer_setup(PERIODIC, 0xB);

    fx_lapic_write(0, TMICT, 400, 100);
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        uint32_t got = fx_lapic_read(0, TMCCT, rows[i].now);

        if (got != rows[i].want)
            printf("    now %" PRIu64 ": got %u want %u\n", rows[i].now, got, rows[i].want);
        CHECK_EQ(got, rows[i].want);
    }
    vlapic_advance(l, 950);                     /* reload at 900 */
    CHECK_EQ(fx_lapic_read(0, TMCCT, 950), 350);
    CHECK_EQ(vlapic_next_event(l), 1300);
}

static void test_masked_timer_counts(void)
{
    struct vlapic *l = timer_setup(PERIODIC | MASKED, 0xB);

    fx_lapic_write(0, TMICT, 100, 0);
    vlapic_advance(l, 100);
    CHECK_EQ(vlapic_pending(l), -1);
    CHECK_EQ(fx.kicks[0], 0);
    CHECK_EQ(vlapic_next_event(l), 200);
    fx_lapic_write(0, LVT_TIMER, PERIODIC | VEC, 150);      /* unmask */
    vlapic_advance(l, 200);
    CHECK_EQ(vlapic_pending(l), VEC);
}

/* A divide change mid-count: the remaining count goes on at the new rate. */
static void test_divide_change_mid_count(void)
{
    struct vlapic *l = timer_setup(0, 0xB);

    fx_lapic_write(0, TMICT, 1000, 0);
    fx_lapic_write(0, TDCR, 0x3, 400);          /* 600 left, now /16 */
    CHECK_EQ(fx_lapic_read(0, TMCCT, 400), 600);
    CHECK_EQ(fx_lapic_read(0, TMCCT, 400 + 16 * 100), 500);
    CHECK_EQ(vlapic_next_event(l), 400 + 16 * 600);
}

static void test_tsc_scaling(void)
{
    static const struct { uint32_t khz; uint64_t ns, tsc; } rows[] = {
        { 2000000, 1000, 2000 },
        { 2000000, 0, 0 },
        { 1193182, 1000000000, 1193182000 },
        { 1193182, 1, 1 },
        { 2500000, 3, 7 },                      /* 7.5 rounds down */
        { 3000000, UINT64_MAX, UINT64_MAX },    /* saturates */
    };

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct vlapic l = { .tsc_khz = rows[i].khz };
        uint64_t got = vlapic_tsc(&l, rows[i].ns);

        if (got != rows[i].tsc)
            printf("    row %u: got %" PRIu64 "\n", i, got);
        CHECK(got == rows[i].tsc);
    }
    /* The deadline instant: the first ns whose TSC reaches the value. */
    static const struct { uint32_t khz; uint64_t tsc, ns; } back[] = {
        { 2000000, 2000, 1000 }, { 2000000, 2001, 1001 }, { 2500000, 7, 3 },
        { 2500000, 8, 4 }, { 1193182, 1193182000, 1000000000 },
        { 1000, UINT64_MAX, UINT64_MAX - 1 },   /* far: saturates below "none" */
    };
    for (unsigned i = 0; i < ARRAY_SIZE(back); i++) {
        struct vlapic l = { .tsc_khz = back[i].khz };
        uint64_t ns = vlapic_tsc_to_ns(&l, back[i].tsc);

        CHECK(ns == back[i].ns);
        if (back[i].ns < UINT64_MAX - 1) {
            CHECK(vlapic_tsc(&l, ns) >= back[i].tsc);
            CHECK(ns == 0 || vlapic_tsc(&l, ns - 1) < back[i].tsc);
        }
    }
}

/* TSC-deadline mode through MSR 0x6E0 (TSC: 2 ticks per ns in the fixture). */
static void test_tsc_deadline(void)
{
    static const struct {
        const char *name; uint64_t now, deadline, next; bool fires_at_write;
    } rows[] = {
        { "future", 1000, 10000, 5000, false },
        { "odd tick", 1000, 10001, 5001, false },
        { "past", 1000, 100, HVM_NO_EVENT, true },
        { "now", 1000, 2000, HVM_NO_EVENT, true },
        { "far future", 1000, UINT64_MAX, 1ULL << 63, false },   /* 292 years at 2 GHz */
        { "zero disarms", 1000, 0, HVM_NO_EVENT, false },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct vlapic *l = timer_setup(TSCDL, 0xB);
        uint64_t v;

        vlapic_msr_write(l, MSR_TSC_DEADLINE, rows[i].now, rows[i].deadline);
        if (vlapic_next_event(l) != rows[i].next)
            printf("    %s: next %" PRIu64 "\n", rows[i].name, vlapic_next_event(l));
        CHECK(vlapic_next_event(l) == rows[i].next);
        CHECK_EQ(vlapic_pending(l) == VEC, rows[i].fires_at_write);
        vlapic_msr_read(l, MSR_TSC_DEADLINE, rows[i].now, &v);
        CHECK(v == (rows[i].fires_at_write ? 0 : rows[i].deadline));
        CHECK_EQ(fx_lapic_read(0, TMCCT, rows[i].now), 0);
    }
    /* An armed deadline fires at its instant, once, and then reads 0. */
    struct vlapic *l = timer_setup(TSCDL, 0xB);
    uint64_t v;

    vlapic_msr_write(l, MSR_TSC_DEADLINE, 0, 10000);
    vlapic_advance(l, 4999);
    CHECK_EQ(vlapic_pending(l), -1);
    vlapic_advance(l, 5000);
    CHECK_EQ(vlapic_pending(l), VEC);
    vlapic_msr_read(l, MSR_TSC_DEADLINE, 5000, &v);
    CHECK(v == 0);
    CHECK_EQ(vlapic_next_event(l), HVM_NO_EVENT);
    /* Re-armed, then disarmed by 0 before it fires. */
    vlapic_msr_write(l, MSR_TSC_DEADLINE, 6000, 20000);
    vlapic_msr_write(l, MSR_TSC_DEADLINE, 7000, 0);
    CHECK_EQ(vlapic_next_event(l), HVM_NO_EVENT);
}

/* Mode rules: the deadline MSR is dead outside TSC-deadline mode, the initial count
 * inside it, and switching into or out of the mode disarms. */
static void test_tsc_deadline_mode_rules(void)
{
    struct vlapic *l = timer_setup(0, 0xB);
    uint64_t v;

    vlapic_msr_write(l, MSR_TSC_DEADLINE, 0, 5000);
    vlapic_msr_read(l, MSR_TSC_DEADLINE, 0, &v);
    CHECK(v == 0);
    CHECK_EQ(vlapic_next_event(l), HVM_NO_EVENT);
    fx_lapic_write(0, TMICT, 100, 0);
    CHECK_EQ(vlapic_next_event(l), 100);
    fx_lapic_write(0, LVT_TIMER, TSCDL | VEC, 10);      /* one-shot -> deadline */
    CHECK_EQ(vlapic_next_event(l), HVM_NO_EVENT);
    CHECK_EQ(fx_lapic_read(0, TMICT, 10), 0);
    fx_lapic_write(0, TMICT, 100, 20);                  /* ignored */
    CHECK_EQ(vlapic_next_event(l), HVM_NO_EVENT);
    vlapic_msr_write(l, MSR_TSC_DEADLINE, 20, 1000);
    CHECK_EQ(vlapic_next_event(l), 500);
    fx_lapic_write(0, LVT_TIMER, MASKED | TSCDL | VEC, 30);     /* same mode: kept */
    CHECK_EQ(vlapic_next_event(l), 500);
    fx_lapic_write(0, LVT_TIMER, PERIODIC | VEC, 40);   /* deadline -> periodic */
    CHECK_EQ(vlapic_next_event(l), HVM_NO_EVENT);
    fx_lapic_write(0, LVT_TIMER, TSCDL | VEC, 50);
    vlapic_msr_read(l, MSR_TSC_DEADLINE, 50, &v);
    CHECK(v == 0);
}

static const struct unit_case cases[] = {
    { "divide_values", test_divide_values },
    { "oneshot_fires_once", test_oneshot_fires_once },
    { "periodic_no_drift", test_periodic_no_drift },
    { "periodic_current_count", test_periodic_current_count },
    { "masked_timer_counts", test_masked_timer_counts },
    { "divide_change_mid_count", test_divide_change_mid_count },
    { "tsc_scaling", test_tsc_scaling },
    { "tsc_deadline", test_tsc_deadline },
    { "tsc_deadline_mode_rules", test_tsc_deadline_mode_rules },
};
UNIT_MAIN(cases)
