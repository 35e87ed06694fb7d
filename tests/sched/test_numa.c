/* NUMA placement of one policy (the one this program links, as test_props.c): does a
 * vCPU come home once its home has room, and does a machine whose home nodes are
 * overloaded still use every pCPU? A policy that declares "home_nodes" promises both
 * (sched/numa.c, "Migration rule"); the others have no homes, and their figures are
 * printed for the record. Every case also requires zero violations of the simulator's invariants.
 *
 * Home, for the figures: the nodes a domain's memory is on (sim_domain_create), or the
 * nodes set later through the "home_nodes" parameter, which the simulator then counts as home
 * too. Times are simulated; decisions cost nothing (sim.h). */
#include "simtest.h"

#define RUN_10S MILLISECS(10000)

/* Sets sd's home to the nodes of mask, in the policy (numa) and in the figures. */
static void set_home(struct sim_dom *sd, uint32_t mask)
{
    if (has_param("home_nodes"))
        CHECK_EQ(set_param(sd, "home_nodes", mask), 0);
    sd->home_mask = mask;
}

/* Running time off home, in percent of running time, over d[0..n) since the window. */
static double away_pct(struct sim_dom **d, unsigned n)
{
    s_time_t run = 0, away = 0;
    for (unsigned i = 0; i < n; i++)
        for (unsigned k = 0; k < d[i]->d.max_vcpus; k++) {
            const struct sim_vstats *st = sim_vstats(sim_dv(d[i], k));
            run += st->run, away += st->away;
        }
    return run ? 100.0 * (double)away / (double)run : 0;
}

/* The least busy pCPU's busy time since the window, in percent; its number in *which. */
static double min_cpu_busy_pct(s_time_t window, unsigned *which)
{
    double min = 100.0;
    *which = 0;
    for (unsigned c = 0; c < sim.nr_cpus; c++) {
        double b = 100.0 * (double)sim_cpu_busy(c) / (double)window;
        if (b < min)
            min = b, *which = c;
    }
    return min;
}

/* 2 nodes x 2 pCPUs; 2 domains of 2 CPU hogs, created with no home and started (all
 * four begin on node 0's pCPUs: domain_create puts vCPU i on pCPU i); after 1 s the
 * homes are set, one domain per node as homes[] says. The load fits at home (2 vCPUs
 * per 2-pCPU node), so within a few slices nothing need stay away: over the next 10 s
 * under 5% of the run time may be away, and the machine stays busy. */
static void homes_case(const uint32_t *homes, const char *what)
{
    struct sim_dom *d[2];
    if (!test_start_ipi(2, 2, 1, 3000))
        return;
    for (unsigned i = 0; i < 2; i++) {
        d[i] = sim_domain_create(i ? "b" : "a", 2, NUMA_NO_NODE, wl_cpu());
        sim_domain_start(d[i]);
    }
    sim_run_for(MILLISECS(1000));
    for (unsigned i = 0; i < 2; i++)
        set_home(d[i], homes[i]);
    sim_stats_reset();
    s_time_t from = sim.now;
    sim_run_for(RUN_10S);
    unsigned low;
    double away = away_pct(d, 2), busy = min_cpu_busy_pct(sim.now - from, &low);
    INFO("homes set after start (%s): %.2f%% of run time away from home; least busy "
         "pCPU %u at %.1f%%", what, away, low, busy);
    if (has_param("home_nodes")) {
        CHECK(away < 5.0);
        CHECK(busy >= 99.0);
    }
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static void homes_after_start_swapped(void)
{
    static const uint32_t homes[] = { 1u << 1, 1u << 0 };
    homes_case(homes, "a on node 1, b on node 0");
}

static void homes_after_start_same_order(void)
{
    static const uint32_t homes[] = { 1u << 0, 1u << 1 };
    homes_case(homes, "a on node 0, b on node 1");
}

/* 4 nodes x 2 pCPUs; 4 domains of 4 CPU hogs each (16 vCPUs on 8 pCPUs), each
 * domain's memory on node homes[i]. Every pCPU must stay over 90% busy: a pCPU may not
 * idle while runnable vCPUs wait, whatever their homes. numa also shares the excess
 * evenly (every vCPU 50% of a pCPU, within 5 points) and keeps no more vCPUs away
 * than that needs (least_away: 4 per node can be at home; within 5 points). */
static void conserve_case(const unsigned *homes, double least_away, const char *what)
{
    struct sim_dom *d[4];
    if (!test_start_ipi(4, 2, 1, 3000))
        return;
    for (unsigned i = 0; i < 4; i++) {
        d[i] = sim_domain_create("hog", 4, homes[i], wl_cpu());
        sim_domain_start(d[i]);
    }
    sim_run_for(RUN_10S);
    unsigned low;
    double busy = min_cpu_busy_pct(sim.now, &low), machine = 0;
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        machine += 100.0 * (double)sim_cpu_busy(c) / (double)sim.now / sim.nr_cpus;
    double vmin = 100.0, vmax = 0;
    for (unsigned i = 0; i < 4; i++)
        for (unsigned k = 0; k < 4; k++) {
            double r = 100.0 * (double)sim_vstats(sim_dv(d[i], k))->run / (double)sim.now;
            vmin = MIN(vmin, r), vmax = MAX(vmax, r);
        }
    INFO("16 hogs on 8 pCPUs, %s: machine %.1f%% busy, least busy pCPU %u at %.1f%%, "
         "%.1f%% of run time away from home; vCPUs got %.1f%% to %.1f%% of a pCPU", what,
         machine, low, busy, away_pct(d, 4), vmin, vmax);
    if (has_param("home_nodes")) {
        CHECK(busy > 90.0);
        CHECK(vmin >= 45.0 && vmax <= 55.0);
        CHECK(away_pct(d, 4) <= least_away + 5.0);
    }
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static void conserve_homes_on_two_nodes(void)
{
    static const unsigned homes[] = { 0, 0, 1, 1 };
    conserve_case(homes, 50.0, "memory on nodes 0 and 1");
}

static void conserve_homes_on_node0(void)
{
    static const unsigned homes[] = { 0, 0, 0, 0 };
    conserve_case(homes, 75.0, "memory on node 0");
}

static void conserve_no_homes(void)
{
    static const unsigned homes[] = { NUMA_NO_NODE, NUMA_NO_NODE, NUMA_NO_NODE,
                                      NUMA_NO_NODE };
    conserve_case(homes, 0.0, "no memory placed");
}

/* The largest machine (64 pCPUs, 8 nodes of 8, as tests/boot/test_smp64.py): a domain
 * of 32 CPU hogs runs, then a second of 32 starts, every vCPU on node 0's pCPUs
 * (domain_create puts vCPU i on pCPU i mod 8 here: the memory is on node 0). 64 vCPUs
 * for 64 pCPUs: how long until every pCPU has run one? numa raised one idle pCPU per
 * load change, so the far nodes waited tens of ms (a 60 ms domain on the booted
 * machine left a node idle for its whole life). A work-conserving policy must fill the
 * machine within FILL_BOUND: numa's far-node steal delay (NUMA_IMBALANCE_FAR, 40 ms)
 * plus a few slices. */
#define FILL_BOUND MILLISECS(60)
static void fill_64(void)
{
    struct sim_dom *d[2];
    if (!test_start_ipi(8, 8, 1, 3000))
        return;
    d[0] = sim_domain_create("a", 32, 0, wl_cpu());
    sim_domain_start(d[0]);
    sim_run_for(MILLISECS(200));
    d[1] = sim_domain_create("b", 32, 0, wl_cpu());
    sim_domain_start(d[1]);
    s_time_t from = sim.now, filled = -1;
    s_time_t base[NR_CPUS];
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        base[c] = sim_cpu_busy(c);
    unsigned busy = 0;
    while (sim.now - from < MILLISECS(500)) {
        sim_run_for(MICROSECS(500));
        busy = 0;
        for (unsigned c = 0; c < sim.nr_cpus; c++)
            busy += sim_cpu_busy(c) > base[c];
        if (busy == sim.nr_cpus) {
            filled = sim.now - from;
            break;
        }
    }
    INFO("64 vCPUs on 64 pCPUs in 8 nodes: %u pCPUs ran a vCPU, every one after %.1f ms",
         busy, filled < 0 ? -1.0 : (double)filled / 1e6);
    if (work_conserving()) {
        CHECK(filled >= 0);
        CHECK(filled <= FILL_BOUND);
    }
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static const struct unit_case cases[] = {
    { "fill_64", fill_64 },
    { "homes_after_start_swapped", homes_after_start_swapped },
    { "homes_after_start_same_order", homes_after_start_same_order },
    { "conserve_homes_on_two_nodes", conserve_homes_on_two_nodes },
    { "conserve_homes_on_node0", conserve_homes_on_node0 },
    { "conserve_no_homes", conserve_no_homes },
};
SIM_UNIT_MAIN(cases)
