/* What null alone promises (sched/null.c), on the simulator: a pCPU's time is never
 * shared (each vCPU that runs, runs on one pCPU only, and each pCPU runs one vCPU
 * only, while no toolstack operation changes the assignment); vCPUs beyond the
 * pCPUs wait without running; a waiting vCPU gets a pCPU as soon as one frees up
 * (its vCPU's domain destroyed, its vCPU pinned away); a pCPU whose vCPU blocks
 * idles rather than run a waiter. Every case also requires zero violations of the
 * simulator's invariants (sim.h). Times are simulated; decisions cost nothing. */
#include "simtest.h"

/* The vCPUs of d[0..n) that ran in the window: each on one pCPU only (no migration),
 * and no pCPU ran two of them. Returns how many ran; prints any sharing. */
static unsigned check_no_sharing(struct sim_dom **d, unsigned n)
{
    const char *owner[NR_CPUS] = { 0 };
    unsigned owner_v[NR_CPUS] = { 0 }, ran = 0;

    for (unsigned i = 0; i < n; i++)
        for (unsigned k = 0; k < d[i]->d.max_vcpus; k++) {
            struct sim_vcpu *sv = sim_dv(d[i], k);
            const struct sim_vstats *st = sim_vstats(sv);
            if (!st->run)
                continue;
            ran++;
            if (st->migrations) {
                printf("  %s.v%u ran on more than one pCPU (%llu migrations)\n",
                       d[i]->d.name, k, (unsigned long long)st->migrations);
                CHECK(false);
            }
            if (owner[sv->last_cpu]) {
                printf("  CPU%u ran both %s.v%u and %s.v%u\n", sv->last_cpu,
                       owner[sv->last_cpu], owner_v[sv->last_cpu], d[i]->d.name, k);
                CHECK(false);
            }
            owner[sv->last_cpu] = d[i]->d.name;
            owner_v[sv->last_cpu] = k;
        }
    return ran;
}

/* 2 nodes x 2 pCPUs; 7 vCPUs of every kind of workload. Exactly 4 run, one per pCPU,
 * for the whole run; the other 3 never run; blocking ones leave their pCPU idle. */
static void no_time_sharing(void)
{
    struct sim_dom *d[4];
    if (!test_start(2, 2, 1))
        return;
    d[0] = sim_domain_create("hog", 2, NUMA_NO_NODE, wl_cpu());
    d[1] = sim_domain_create("io", 2, NUMA_NO_NODE, wl_io());
    d[2] = sim_domain_create("bursty", 2, NUMA_NO_NODE, wl_bursty());
    d[3] = sim_domain_create("late", 1, NUMA_NO_NODE, wl_cpu());
    for (unsigned i = 0; i < 4; i++)
        sim_domain_start(d[i]);
    sim_run_until(MILLISECS(5000));
    unsigned ran = check_no_sharing(d, 4);
    INFO("7 vCPUs on 4 pCPUs: %u ran, each alone on its pCPU; late.v0 ran %.1f ms", ran,
         ms(sim_vstats(sim_dv(d[3], 0))->run));
    CHECK_EQ(ran, 4);
    CHECK_EQ(sim_vstats(sim_dv(d[3], 0))->run, 0);    /* created last: waits */
    for (unsigned k = 0; k < 2; k++)    /* the hogs' pCPUs are theirs: 100% */
        CHECK_EQ(sim_vstats(sim_dv(d[0], k))->run, MILLISECS(5000));
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* 1 x 2 pCPUs, both taken by domain a's hogs; b's hog waits. When a goes, b runs at
 * once (the pCPU freed is raised at the destruction: no delay at all here). */
static void waiter_gets_freed_pcpu(void)
{
    struct sim_dom *d[2];
    if (!test_start(1, 2, 1))
        return;
    d[0] = sim_domain_create("a", 2, NUMA_NO_NODE, wl_cpu());
    d[1] = sim_domain_create("b", 1, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(d[0]);
    sim_domain_start(d[1]);
    sim_run_until(MILLISECS(1000));
    s_time_t before = sim_vstats(sim_dv(d[1], 0))->run;
    sim_domain_destroy(d[0]);
    sim_stats_reset();
    sim_run_for(MILLISECS(1000));
    s_time_t after = sim_vstats(sim_dv(d[1], 0))->run;
    INFO("b waited: %.1f ms run while a held both pCPUs, %.1f ms of the next 1000 ms",
         ms(before), ms(after));
    CHECK_EQ(before, 0);
    CHECK_EQ(after, MILLISECS(1000));
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* 1 x 2 pCPUs: a.v0 on pCPU 0, a.v1 on pCPU 1, b waits. Pinning a.v0 to pCPU 1 (a.v1's)
 * frees pCPU 0: b takes it, and a.v0 now waits, since pCPU 1 is a.v1's. */
static void waiter_gets_pcpu_pinned_away(void)
{
    struct sim_dom *d[2];
    if (!test_start(1, 2, 1))
        return;
    d[0] = sim_domain_create("a", 2, NUMA_NO_NODE, wl_cpu());
    d[1] = sim_domain_create("b", 1, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(d[0]);
    sim_domain_start(d[1]);
    sim_run_until(MILLISECS(100));
    cpumask_t one = cpumask_from_u64(1u << 1);
    CHECK_EQ(sim_set_affinity(sim_dv(d[0], 0), &one, NULL), 0);
    sim_stats_reset();
    sim_run_for(MILLISECS(1000));
    s_time_t a0 = sim_vstats(sim_dv(d[0], 0))->run, a1 = sim_vstats(sim_dv(d[0], 1))->run;
    s_time_t b = sim_vstats(sim_dv(d[1], 0))->run;
    INFO("after pinning a.v0 onto a.v1's pCPU: a.v0 %.1f ms, a.v1 %.1f ms, b %.1f ms",
         ms(a0), ms(a1), ms(b));
    CHECK_EQ(a0, 0);
    CHECK_EQ(a1, MILLISECS(1000));
    CHECK_EQ(b, MILLISECS(1000));
    CHECK_EQ(check_no_sharing(d, 2), 2);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* 1 pCPU: an io vCPU holds it and blocks most of the time; the hog created after it
 * waits anyway (Xen's null does not lend a blocked vCPU's pCPU). */
static void blocked_vcpu_keeps_pcpu(void)
{
    struct sim_dom *d[2];
    if (!test_start(1, 1, 1))
        return;
    d[0] = sim_domain_create("io", 1, NUMA_NO_NODE, wl_io());
    d[1] = sim_domain_create("hog", 1, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(d[0]);
    sim_domain_start(d[1]);
    sim_run_until(MILLISECS(2000));
    double busy = 100.0 * (double)sim_cpu_busy(0) / (double)sim.now;
    INFO("io vCPU alone on the pCPU: busy %.1f%%, the hog ran %.1f ms", busy,
         ms(sim_vstats(sim_dv(d[1], 0))->run));
    CHECK_EQ(sim_vstats(sim_dv(d[1], 0))->run, 0);
    CHECK(busy < 50.0);
    CHECK(sim_vstats(sim_dv(d[0], 0))->wakes > 100);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* A pCPU leaving the pool gives its vCPU up: it goes to a free pCPU, or waits. */
static void pcpu_leaves_pool(void)
{
    struct sim_dom *d;
    if (!test_start(1, 4, 1))
        return;
    d = sim_domain_create("a", 3, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(d);
    sim_run_until(MILLISECS(100));
    struct cpupool *p1 = sim_pool_create(test_policy());
    CHECK(p1 != NULL);
    CHECK_EQ(sim_pool_rm_cpu(cpupool0, 1), 0);   /* a.v1's pCPU: a.v1 moves to pCPU 3 */
    CHECK_EQ(sim_pool_add_cpu(p1, 1), 0);
    sim_stats_reset();
    sim_run_for(MILLISECS(500));
    unsigned ran = check_no_sharing(&d, 1);
    INFO("after pCPU 1 left: %u of 3 vCPUs run on the 3 pCPUs left, pCPU 1 busy %.1f ms",
         ran, ms(sim_cpu_busy(1)));
    CHECK_EQ(ran, 3);
    CHECK_EQ(sim_cpu_busy(1), 0);
    CHECK_EQ(sim_pool_rm_cpu(cpupool0, 3), 0);   /* now nowhere to go: one waits */
    sim_stats_reset();
    sim_run_for(MILLISECS(500));
    CHECK_EQ(check_no_sharing(&d, 1), 2);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static const struct unit_case cases[] = {
    { "no_time_sharing", no_time_sharing },
    { "waiter_gets_freed_pcpu", waiter_gets_freed_pcpu },
    { "waiter_gets_pcpu_pinned_away", waiter_gets_pcpu_pinned_away },
    { "blocked_vcpu_keeps_pcpu", blocked_vcpu_keeps_pcpu },
    { "pcpu_leaves_pool", pcpu_leaves_pool },
};
SIM_UNIT_MAIN(cases)
