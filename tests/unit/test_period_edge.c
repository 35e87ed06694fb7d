/* bench/period_edge.h on the host: which running-time samples bound a period's end,
 * and the late period of a credit2 run (test_rt_agree at 0087e01) whose work took more
 * running time than its budget, replayed from its trace. Times in us. */
#include "unit.h"

#include "../../bench/period_edge.h"

static void test_sample_order(void)
{
    struct period_edge e;

    period_edge_start(&e, 100, 7);
    CHECK_EQ(e.before, 7);
    period_edge_sample(&e, 20, 50);         /* clock short of the end: before */
    CHECK_EQ(e.before, 20);
    CHECK(!e.passed && !e.has_after);
    period_edge_sample(&e, 30, 100);        /* read before a clock at the end: neither */
    CHECK_EQ(e.before, 20);
    CHECK(e.passed && !e.has_after);
    period_edge_sample(&e, 31, 120);        /* read after it: the first after */
    CHECK(e.has_after);
    CHECK_EQ(e.after, 31);
    period_edge_sample(&e, 40, 130);        /* later ones change nothing */
    CHECK_EQ(e.after, 31);
    CHECK_EQ(e.before, 20);
    CHECK_EQ(period_edge_most(&e, 1), 30);
    CHECK_EQ(period_edge_most(&e, 99), 0);  /* never negative */
}

/* Periods of 10 ms from 0, budget 3 ms; running time R at the end of the previous
 * period's work. Period 0: woke at 55, ran 1005, waited, ran 1006 (its work would have
 * been done near 3.9 ms but the last chunk straddled), waited, ran 1005 to 55 ns past
 * the period end, resumed at 14924 and finished: late, after 3015 us of running time in
 * the period, so not short for the trace. Period 1 began late with it, ran 1004, then
 * 1005 from 20848: late too, with about 2.6 ms in its period: short for the trace. */
static void test_late_with_budget(void)
{
    const uint64_t R = 1000000, budget = 3000;
    struct period_edge e;
    uint64_t mark = R, overrun = 0, run;

    period_edge_start(&e, 10000, mark);
    period_edge_sample(&e, R + 1, 56);                      /* right after the wake */
    for (run = R + 20; run <= R + 1000; run += 20)          /* first slice */
        period_edge_sample(&e, run, 55 + run - R);
    for (run = R + 1020; run <= R + 1450; run += 20)        /* second, until the chunk */
        period_edge_sample(&e, run, 3471 + run - R - 1005);
    period_edge_sample(&e, R + 3016, 14925);                /* the straddling chunk */
    period_edge_sample(&e, R + 3017, 14926);                /* r1: late */
    CHECK(e.has_after);
    overrun += period_edge_most(&e, mark) >= budget;
    CHECK_EQ(overrun, 1);
    CHECK_EQ(e.before, R + 1440);
    mark = e.before;

    period_edge_start(&e, 20000, mark);
    period_edge_sample(&e, R + 3018, 14927);                /* the wait returned at once */
    for (run = R + 3040; run <= R + 4020; run += 20)        /* 4924..5928 in period 1 */
        period_edge_sample(&e, run, 14924 + run - R - 3016);
    period_edge_sample(&e, R + 4021, 20849);                /* resumed in period 2 */
    period_edge_sample(&e, R + 4041, 20869);
    period_edge_sample(&e, R + 4520, 21350);                /* r1: late */
    overrun += period_edge_most(&e, mark) >= budget;
    CHECK_EQ(period_edge_most(&e, mark), 4041 - 1440);
    CHECK_EQ(overrun, 1);                                   /* period 1 had < budget */
}

static const struct unit_case cases[] = {
    { "samples before and after a period end", test_sample_order },
    { "a late period that had its budget, then one that did not", test_late_with_budget },
};

UNIT_MAIN(cases)
