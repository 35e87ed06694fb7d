/* What rtds alone promises (sched/rtds.c), on the simulator: period ends of vCPUs
 * that wait on the runqueue are counted lazily, yet every deadline miss is counted as
 * if each period had ended on time, and equal deadlines are served in the order the
 * vCPUs were queued, so overloaded in-phase servers take turns; and a decision does a
 * bounded number of period ends, however many servers the pCPUs cannot serve (the
 * cost of a decision at 4096 vCPUs on 4 pCPUs was the ~340 period ends it did, each
 * one by one). Times are simulated; decisions cost nothing. */
#include "simtest.h"
#include "../../sched/rtds.h"

static struct rt_priv *prv0(void) { return cpupool0->sched.priv; }

static int put_server(struct sim_dom *sd, s_time_t period, s_time_t budget, bool extra)
{
    struct domctl_scheduler_op op = test_op(SCHED_PARAMS_PUT);
    op_set(&op, "period", (uint64_t)(period / 1000));
    op_set(&op, "budget", (uint64_t)(budget / 1000));
    op_set(&op, "extratime", extra);
    return sim_adjust(sd, &op);
}

static uint64_t all_misses(struct sim_dom **d, unsigned n)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < n; i++)
        m += get_named(d[i], "misses");
    return m;
}

/* N CPU-bound servers (10 ms, 4 ms), no extratime, started together on one pCPU: in
 * every period two run their whole budget and a third runs the 2 ms left, so N - 2
 * miss (each was denied budget and waited for more than RT_MISS_SLACK). Most of them
 * wait many periods in a row, which rt_catch_up ends at once. Equal deadlines go in
 * the order queued (FIFO), so they take turns and each gets 1/N of the pCPU. */
static void lazy_misses_exact(void)
{
    enum { N = 10 };
    struct sim_dom *d[N];

    if (!test_start(1, 1, 1))
        return;
    for (unsigned i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof(name), "hog%u", i);
        d[i] = sim_domain_create(name, 1, NUMA_NO_NODE, wl_cpu());
        CHECK_EQ(put_server(d[i], MILLISECS(10), MILLISECS(4), false), 0);
    }
    for (unsigned i = 0; i < N; i++)
        sim_domain_start(d[i]);
    sim_run_until(MILLISECS(505));      /* 50 period ends */
    uint64_t half = all_misses(d, N);   /* catches up those still waiting */
    uint64_t lazy = prv0()->catch_ups;
    sim_run_until(MILLISECS(1005));     /* 100 */
    uint64_t full = all_misses(d, N);
    s_time_t lo = SIM_FOREVER, hi = 0;
    for (unsigned i = 0; i < N; i++) {
        s_time_t run = sim_vstats(sim_dv(d[i], 0))->run;
        lo = MIN(lo, run);
        hi = MAX(hi, run);
    }
    INFO("%u servers (10 ms, 4 ms) on 1 pCPU: %llu misses after 50 periods, %llu after 100 "
         "(%u per period expected); %llu lazy catch-ups by 50; each ran %.1f..%.1f ms of 1005",
         N, (unsigned long long)half, (unsigned long long)full, N - 2,
         (unsigned long long)lazy, ms(lo), ms(hi));
    CHECK_EQ(half, 50 * (N - 2));
    CHECK_EQ(full, 100 * (N - 2));
    CHECK(lazy > 0);                    /* the lazy path was taken */
    CHECK(lo >= MILLISECS(90) && hi <= MILLISECS(111));   /* turns: ~100.5 ms each */
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* The bench's overload (bench/sched_scale.c, 4096 vCPUs on 4 pCPUs), at 1024 vCPUs:
 * domains of 8, every fourth CPU-bound, the rest io-like, default servers, all in
 * phase. Period ends done one by one (the replenishment timer, or a decision, finding
 * them due) and lazy catch-ups, per decision: bounded by a small constant, not by
 * the vCPUs whose period ended (eager, as before: ~80 per decision here). */
static void replenish_work_per_decision(void)
{
    enum { DOMS = 128, PER = 8 };
    uint64_t dec = 0, work;

    if (!test_start(1, 4, 1))
        return;
    sim.cfg.starve_bound = SIM_FOREVER; /* overloaded on purpose: most wait long */
    for (unsigned i = 0; i < DOMS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "d%u", i);
        sim_domain_start(sim_domain_create(name, PER, NUMA_NO_NODE,
                                           i % 4 == 0 ? wl_cpu() : wl_io()));
    }
    sim_run_until(MILLISECS(100));
    prv0()->period_ends = prv0()->catch_ups = 0;
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        dec -= sim.cs[c].decisions;
    sim_run_until(MILLISECS(600));
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        dec += sim.cs[c].decisions;
    work = prv0()->period_ends + prv0()->catch_ups;
    INFO("%u vCPUs on 4 pCPUs, 500 ms: %llu decisions, %llu period ends one by one, %llu "
         "catch-ups: %.2f per decision (%u vCPUs' periods end every 10 ms)", DOMS * PER,
         (unsigned long long)dec, (unsigned long long)prv0()->period_ends,
         (unsigned long long)prv0()->catch_ups, dec ? (double)work / (double)dec : 0.0,
         DOMS * PER);
    CHECK(dec >= 500);
    CHECK(work <= 4 * dec);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static const struct unit_case cases[] = {
    { "lazy_misses_exact", lazy_misses_exact },
    { "replenish_work_per_decision", replenish_work_per_decision },
};
SIM_UNIT_MAIN(cases)
