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

/* The class pool (struct rt_class): the classes in the set plus those in the pool
 * are one per vCPU; every class in the set but the hint has members, and its count
 * is theirs; no two classes share a period. */
static void check_classes(unsigned vcpus)
{
    struct rt_priv *prv = prv0();
    unsigned in_set = 0, in_pool = 0, members = 0;
    s_time_t last = -1;

    for (struct rb_node *n = rb_first(&prv->classes); n; n = rb_next(n)) {
        struct rt_class *c = rb_entry(n, struct rt_class, node);
        unsigned nr = 0;
        for (struct rb_node *m = rb_first(&c->q); m; m = rb_next(m))
            nr++;
        CHECK_EQ(nr, c->nr);
        CHECK(nr || c == prv->hint);
        CHECK(c->period > last);
        last = c->period;
        in_set++;
        members += nr;
    }
    for (struct rt_class *c = prv->free_classes; c; c = c->next_free)
        in_pool++;
    for (unsigned i = 0; i < sim.nr_vcpus; i++) {
        struct rt_vcpu *svc = sim.vcpus[i] ? sim.vcpus[i]->v.sched_priv : NULL;
        if (svc && (svc->flags & (RT_ON_RUNQ | RT_ON_EXTRAQ)) == RT_ON_RUNQ)
            members--;
    }
    CHECK_EQ(in_set + in_pool, vcpus);
    CHECK_EQ(members, 0);
}

/* Periods changed under running and waiting vCPUs, domains destroyed and made, on 2
 * pCPUs: classes open, empty, park and go back to the pool (the sanitizers watch the
 * memory), and the pool always has one when needed. */
static void classes_recycled(void)
{
    enum { N = 6 };
    struct sim_dom *d[N];
    uint64_t rng = 7;
    unsigned made = 0;

    if (!test_start(1, 2, 1))
        return;
    for (unsigned i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof(name), "d%u", made++);
        d[i] = sim_domain_create(name, 1 + i % 2, NUMA_NO_NODE, i % 2 ? wl_io() : wl_cpu());
        CHECK_EQ(put_server(d[i], MILLISECS(2 + i), MILLISECS(1), i % 3 == 0), 0);
        sim_domain_start(d[i]);
    }
    for (unsigned step = 0; step < 300; step++) {
        unsigned i = (unsigned)sim_rand_range(&rng, 0, N - 1);
        if (step % 25 == 24) {
            char name[16];
            snprintf(name, sizeof(name), "d%u", made++);
            sim_domain_destroy(d[i]);
            d[i] = sim_domain_create(name, 1 + step % 2, NUMA_NO_NODE,
                                     step % 2 ? wl_io() : wl_cpu());
            CHECK_EQ(put_server(d[i], MICROSECS(sim_rand_range(&rng, 500, 9000)),
                                MICROSECS(300), step % 3 == 0), 0);
            sim_domain_start(d[i]);
        } else {
            CHECK_EQ(put_server(d[i], MICROSECS(sim_rand_range(&rng, 500, 9000)),
                                MICROSECS(sim_rand_range(&rng, 100, 500)),
                                sim_rand_range(&rng, 0, 1)), 0);
        }
        sim_run_for(MICROSECS(sim_rand_range(&rng, 50, 3000)));
        unsigned vcpus = 0;
        for (unsigned k = 0; k < N; k++)
            vcpus += d[k]->d.max_vcpus;
        check_classes(vcpus);
    }
    INFO("300 steps of period changes and domain swaps on 2 pCPUs: the class set and "
         "pool stay consistent");
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static const struct unit_case cases[] = {
    { "classes_recycled", classes_recycled },
    { "lazy_misses_exact", lazy_misses_exact },
    { "replenish_work_per_decision", replenish_work_per_decision },
};
SIM_UNIT_MAIN(cases)
