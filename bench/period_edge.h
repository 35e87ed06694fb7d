/* Bounds on the running time a periodic task received in one period, from samples of
 * its own running time (vCPU runstate) and of its clock, which it cannot read at one
 * instant: a running-time sample followed by a clock reading short of the period end
 * was taken before the end, so it is a lower bound of the running time at the end; a
 * sample that follows a clock reading past the end is an upper bound. So a period
 * [S, E) received at most (the first sample after E) - (the last sample before S).
 * The sleeper (bench/sleeper.c) counts with it the late periods in which it may have
 * had its whole budget (`overrun`). Pure logic, no guest calls: host-tested
 * (tests/unit/test_period_edge.c). */
#ifndef BENCH_PERIOD_EDGE_H
#define BENCH_PERIOD_EDGE_H

#include <stdbool.h>
#include <stdint.h>

struct period_edge {
    uint64_t end_ns;        /* the period end E, on the task's clock */
    uint64_t before;        /* the last running-time sample known to precede E */
    uint64_t after;         /* the first one known to follow E (if has_after) */
    bool passed;            /* a clock reading has shown E reached */
    bool has_after;
};

/* A period ending at end_ns; before: a running-time sample known to precede its start
 * (so also its end). */
static inline void period_edge_start(struct period_edge *e, uint64_t end_ns, uint64_t before)
{
    *e = (struct period_edge){ .end_ns = end_ns, .before = before };
}

/* run: a running-time sample just read; clock_ns: the clock read after it. */
static inline void period_edge_sample(struct period_edge *e, uint64_t run, uint64_t clock_ns)
{
    if (e->passed && !e->has_after) {   /* read after a clock reading at or past E */
        e->after = run;
        e->has_after = true;
    }
    if (clock_ns < e->end_ns)
        e->before = run;
    else
        e->passed = true;
}

/* The most running time the period can have received, given start_before (a sample
 * known to precede its start); needs has_after. */
static inline uint64_t period_edge_most(const struct period_edge *e, uint64_t start_before)
{
    return e->after > start_before ? e->after - start_before : 0;
}

#endif
