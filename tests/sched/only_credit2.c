/* What credit2 alone promises (sched/credit2.c), on the simulator: vCPUs created
 * together are placed over the per-node runqueues by load, so a domain smaller than
 * the machine uses every node (spread_32_over_8_nodes: issue 9, where a 64-pCPU boot
 * left nodes 4-7 idle and a second domain then shared nodes 0-3 with the first); with
 * as many CPU-bound vCPUs as pCPUs, every pCPU works, whether the domains start
 * together or one after another with their vCPUs brought up in turn (the spread_*
 * cases, which passed before too: they guard the pulls and balancing the placement
 * relies on). Every case also requires zero violations of the simulator's invariants
 * (sim.h). Times are simulated; decisions cost nothing. Also: the running weight each
 * runqueue keeps for its load average (instead of reading every pCPU's curr per
 * decision) equals that sum at every step, through weight changes while running
 * (running_weight_tracks_curr), and so do the other figures it keeps for speed: each
 * pCPU's copy of its curr's credit, and each runqueue's count of queued vCPUs per
 * weight, also with more weights than it has room for (weight_classes_overflow). */
#include "simtest.h"
#include "../../sched/credit2.h"

#define SETTLE MILLISECS(10)
#define WINDOW MILLISECS(50)

/* nodes x per pCPUs; `doms` domains of nodes x per / doms CPU hogs each, started at
 * once or, with a stagger, one after another (each a vCPU per 150 us). After SETTLE, every pCPU must be at least 90% busy over WINDOW; prints the
 * busy time of each node. */
static void spread_case(unsigned nodes, unsigned per, unsigned doms, s_time_t stagger)
{
    struct sim_dom *d[8];
    unsigned n = nodes * per;
    if (!test_start_ipi(nodes, per, 1, 3000))
        return;
    for (unsigned i = 0; i < doms; i++) {
        d[i] = sim_domain_create(i ? "b" : "a", n / doms, NUMA_NO_NODE, wl_cpu());
        /* A guest brings its vCPUs up one after another (bench/cpuloop.c). */
        for (unsigned k = 1; stagger && k < n / doms; k++)
            sim_vcpu_pause(sim_dv(d[i], k));
        sim_domain_start(d[i]);
        for (unsigned k = 1; stagger && k < n / doms; k++) {
            sim_run_for(MICROSECS(150));
            sim_vcpu_unpause(sim_dv(d[i], k));
        }
        sim_run_for(i + 1 < doms ? stagger : SETTLE);
    }
    sim_stats_reset();
    sim_run_for(WINDOW);
    double min = 100.0;
    unsigned low = 0;
    char line[512];
    int len = 0;
    for (unsigned node = 0; node < nodes; node++) {
        double sum = 0;
        for (unsigned c = node * per; c < (node + 1) * per; c++) {
            double b = 100.0 * (double)sim_cpu_busy(c) / (double)WINDOW;
            sum += b / per;
            if (b < min)
                min = b, low = c;
        }
        len += snprintf(line + len, sizeof(line) - (size_t)len, " %.0f", sum);
    }
    INFO("%u hogs on %u nodes x %u pCPUs: node busy %%:%s; least busy pCPU %u at %.1f%%",
         n, nodes, per, line, low, min);
    CHECK(min >= 90.0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static void spread_64_on_8_nodes(void) { spread_case(8, 8, 2, 0); }
static void spread_64_staggered(void) { spread_case(8, 8, 2, MILLISECS(200)); }
static void spread_16_on_4_nodes(void) { spread_case(4, 4, 2, MILLISECS(200)); }
static void spread_8_on_8_nodes(void) { spread_case(8, 1, 1, 0); }

/* 8 nodes x 8 pCPUs, one domain of 32 CPU hogs, created together (the core puts
 * vCPU i on pCPU i, all in nodes 0-3). Placement by runqueue load spreads them: every
 * node's pCPUs must be 40-60% busy (4 hogs on 8 pCPUs), none left idle (issue 9:
 * nodes 4-7 ran nothing, and a second such domain then shared nodes 0-3 too). */
static void spread_32_over_8_nodes(void)
{
    if (!test_start_ipi(8, 8, 1, 3000))
        return;
    struct sim_dom *d = sim_domain_create("a", 32, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(d);
    sim_run_for(SETTLE);
    sim_stats_reset();
    sim_run_for(WINDOW);
    double lo = 100.0, hi = 0;
    unsigned lon = 0;
    for (unsigned node = 0; node < 8; node++) {
        double sum = 0;
        for (unsigned c = node * 8; c < node * 8 + 8; c++)
            sum += 100.0 * (double)sim_cpu_busy(c) / (double)WINDOW / 8;
        if (sum < lo)
            lo = sum, lon = node;
        hi = MAX(hi, sum);
    }
    INFO("32 hogs on 8 nodes x 8 pCPUs: least busy node %u at %.1f%%, busiest at %.1f%%",
         lon, lo, hi);
    CHECK(lo >= 40.0 && hi <= 60.0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* The figures credit2 keeps instead of recomputing them per decision, against what
 * they stand for; false on a mismatch: each runqueue's running_weight (the sum of its
 * pCPUs' curr weights), its weight classes (how many queued vCPUs have each qweight,
 * the rest counted in wunknown, which only weights beyond the table may be in), and
 * each busy pCPU's copy of its curr's credit and burnt_to. */
static bool kept_figures_ok(s_time_t at)
{
    struct csched2_priv *prv = cpupool_by_id(0)->sched.priv;
    bool ok = true;
    for (unsigned i = 0; i < MAX_NUMNODES; i++) {
        struct csched2_rq *rq = &prv->rqs[i];
        s_time_t sum = 0;
        unsigned cpu, queued = 0, counted = rq->wunknown, n[CSCHED2_BALANCE_WEIGHTS] = { 0 };
        csched2_for_each_cpu(cpu, it, &rq->cpus) {
            struct csched2_pcpu *pc = &prv->pcpu[cpu];
            if (!pc->curr)
                continue;
            sum += pc->curr->dom->weight;
            if (pc->curr_credit != pc->curr->credit || pc->curr_burnt != pc->curr->burnt_to) {
                INFO("at %lld ns, pCPU %u: copy of curr's credit %lld burnt_to %lld, "
                     "curr's %lld %lld", (long long)at, cpu, (long long)pc->curr_credit,
                     (long long)pc->curr_burnt, (long long)pc->curr->credit,
                     (long long)pc->curr->burnt_to);
                ok = false;
            }
        }
        if (sum != rq->running_weight) {
            INFO("at %lld ns, runqueue %u: running_weight %lld, curr weights sum %lld",
                 (long long)at, i, (long long)rq->running_weight, (long long)sum);
            ok = false;
        }
        for (struct rb_node *q = rb_first(&rq->runq); q; q = rb_next(q)) {
            struct csched2_vcpu *sv = csched2_q(q);
            unsigned k = 0;
            while (k < rq->nr_wclass && rq->wclass[k].w != sv->qweight)
                k++;
            queued++;
            if (k < rq->nr_wclass)
                n[k]++;
            else if (rq->nr_wclass < CSCHED2_BALANCE_WEIGHTS && !rq->wunknown)
                ok = false;             /* room, and nothing left out: it must be there */
        }
        for (unsigned k = 0; k < rq->nr_wclass; k++) {
            counted += rq->wclass[k].n;
            if (n[k] != rq->wclass[k].n || !n[k])
                ok = false;
        }
        if (counted != queued || rq->nr_wclass > CSCHED2_BALANCE_WEIGHTS) {
            INFO("at %lld ns, runqueue %u: %u queued, weight classes count %u",
                 (long long)at, i, queued, counted);
            ok = false;
        }
    }
    return ok;
}

/* 2 nodes x 4 pCPUs, 8 hogs and 8 io-like vCPUs; weights change while they run. */
static void running_weight_tracks_curr(void)
{
    if (!test_start(2, 4, 1))
        return;
    struct sim_dom *a = sim_domain_create("a", 8, NUMA_NO_NODE, wl_cpu());
    struct sim_dom *b = sim_domain_create("b", 8, NUMA_NO_NODE, wl_io());
    sim_domain_start(a);
    sim_domain_start(b);
    unsigned bad = 0;
    for (unsigned step = 0; step < 300; step++) {
        if (step == 100)
            CHECK_EQ(set_param(a, "weight", 512), 0);
        if (step == 200)
            CHECK_EQ(set_param(b, "weight", 64), 0);
        sim_run_for(MICROSECS(100));
        bad += !kept_figures_ok(sim.now);
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* More distinct weights than the classes hold: 40 one-vCPU domains of weights 100..139
 * (hogs and io-like) on 1 node x 2 pCPUs, some weights changed while they run, so
 * vCPUs are left out (wunknown), come and go, and classes empty and refill. */
static void weight_classes_overflow(void)
{
    if (!test_start(1, 2, 1))
        return;
    struct sim_dom *d[40];
    for (unsigned i = 0; i < 40; i++) {
        char name[8];
        snprintf(name, sizeof(name), "d%u", i);
        d[i] = sim_domain_create(name, 1, NUMA_NO_NODE, i % 2 ? wl_io() : wl_cpu());
        CHECK_EQ(set_param(d[i], "weight", 100 + i), 0);
        sim_domain_start(d[i]);
    }
    unsigned bad = 0, most = 0, left_out = 0;
    for (unsigned step = 0; step < 400; step++) {
        if (step % 50 == 49)            /* now two domains share a weight, now not */
            CHECK_EQ(set_param(d[step / 50], "weight", step % 100 == 49 ? 100 : 200 + step), 0);
        sim_run_for(MICROSECS(250));
        bad += !kept_figures_ok(sim.now);
        struct csched2_priv *prv = cpupool_by_id(0)->sched.priv;
        most = MAX(most, prv->rqs[0].nr_wclass);
        left_out += prv->rqs[0].wunknown > 0;
    }
    INFO("most weight classes %u; steps with vCPUs left out of them: %u of 400", most, left_out);
    CHECK_EQ(bad, 0);
    CHECK(most > CSCHED2_BALANCE_WEIGHTS / 2);  /* many classes ... */
    CHECK(left_out > 0);                        /* ... and more weights than fit */
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static const struct unit_case cases[] = {
    { "running_weight_tracks_curr", running_weight_tracks_curr },
    { "weight_classes_overflow", weight_classes_overflow },
    { "spread_32_over_8_nodes", spread_32_over_8_nodes },
    { "spread_64_on_8_nodes", spread_64_on_8_nodes },
    { "spread_64_staggered", spread_64_staggered },
    { "spread_16_on_4_nodes", spread_16_on_4_nodes },
    { "spread_8_on_8_nodes", spread_8_on_8_nodes },
};
SIM_UNIT_MAIN(cases)
