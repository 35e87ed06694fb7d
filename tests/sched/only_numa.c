/* What numa alone keeps for speed (sched/numa.c), against what it stands for, at every
 * step of runs that change what it depends on: each busy pCPU's copy of its curr's
 * vruntime and start (read by a wake instead of each curr), the count of domains with
 * a weight other than the default (with 0, a wake does not read the domains' weights),
 * each runqueue's count of its pCPUs, and each runqueue's set of nodes a vCPU free to
 * run anywhere may use (numa_vcpu_home's cache), through weight changes, pinning and
 * unpinning, and pCPUs leaving and joining the pool. Every case also requires zero
 * violations of the simulator's invariants (sim.h). */
#include "simtest.h"
#include "../../sched/numa.h"

/* The kept figures of pool 0's instance; false (with what differs) on a mismatch. */
static bool kept_figures_ok(s_time_t at)
{
    struct numa_priv *prv = cpupool_by_id(0)->sched.priv;
    cpumask_t pool = cpumask_load(&prv->s->cpus);
    uint32_t weighted = 0, all = 0;
    bool ok = true;

    for (unsigned i = 0; i < sim.nr_doms; i++) {
        struct numa_dom *nd = sim.doms[i]->d.sched_priv;
        weighted += nd && nd->weight != NUMA_WEIGHT_DEFAULT;
    }
    if (weighted != prv->nr_weighted) {
        INFO("at %lld ns: %u domains weighted, counted %u", (long long)at, weighted,
             prv->nr_weighted);
        ok = false;
    }
    for (unsigned n = 0; n < prv->nr_nodes; n++) {
        cpumask_t c = cpumask_and(&prv->rq[n].cpus, &pool);
        all |= cpumask_empty(&c) ? 0 : 1u << n;
    }
    for (unsigned n = 0; n < prv->nr_nodes; n++) {
        struct numa_rq *rq = &prv->rq[n];
        unsigned cpu;
        if (rq->nr_cpus != cpumask_weight(&rq->cpus)) {
            INFO("at %lld ns, node %u: nr_cpus %u, cpus has %u", (long long)at, n,
                 rq->nr_cpus, cpumask_weight(&rq->cpus));
            ok = false;
        }
        /* A cache still valid (as numa_vcpu_home would judge it) holds the true set. */
        bool same = true;
        for (unsigned w = 0; w < CPUMASK_WORDS; w++)
            same &= rq->usable_pool.bits[w] == pool.bits[w];
        if (same && rq->usable_gen == prv->cpus_gen && rq->usable_all != all) {
            INFO("at %lld ns, node %u: usable nodes %#x kept, %#x true", (long long)at, n,
                 rq->usable_all, all);
            ok = false;
        }
        for_each_cpu(cpu, &rq->cpus) {
            struct numa_pcpu *pc = &prv->pcpu[cpu];
            if (pc->curr && (pc->curr_vr != pc->curr->vruntime ||
                             pc->curr_start != pc->curr->last_start)) {
                INFO("at %lld ns, pCPU %u: copy of curr's vruntime %lld start %lld, "
                     "curr's %lld %lld", (long long)at, cpu, (long long)pc->curr_vr,
                     (long long)pc->curr_start, (long long)pc->curr->vruntime,
                     (long long)pc->curr->last_start);
                ok = false;
            }
        }
    }
    return ok;
}

/* 2 nodes x 4 pCPUs, hogs and io-like vCPUs; weights go away from the default, change,
 * and come back; vCPUs are pinned to one node and unpinned; a pCPU leaves the pool
 * for another and comes back. */
static void kept_figures_track(void)
{
    if (!test_start(2, 4, 1))
        return;
    struct sim_dom *a = sim_domain_create("a", 8, 0, wl_cpu());
    struct sim_dom *b = sim_domain_create("b", 8, 1, wl_io());
    struct sim_dom *c = sim_domain_create("c", 4, NUMA_NO_NODE, wl_io());
    struct cpupool *spare = sim_pool_create(test_policy());
    cpumask_t node1 = { { 0 } }, any = { { 0 } };
    unsigned bad = 0, steps = 0, max_weighted = 0;

    for (unsigned cpu = 0; cpu < 8; cpu++) {
        cpumask_set(&any, cpu);
        if (cpu >= 4)
            cpumask_set(&node1, cpu);
    }
    sim_domain_start(a);
    sim_domain_start(b);
    sim_domain_start(c);
    CHECK(spare != NULL);
    for (unsigned step = 0; step < 400; step++, steps++) {
        switch (step) {
        case 50: CHECK_EQ(set_param(a, "weight", 512), 0); break;
        case 80: CHECK_EQ(set_param(b, "weight", 128), 0); break;
        case 120: CHECK_EQ(set_param(a, "weight", 300), 0); break;     /* still counted */
        case 150: CHECK_EQ(set_param(a, "weight", NUMA_WEIGHT_DEFAULT), 0); break;
        case 180:
            for (unsigned k = 0; k < 4; k++)
                CHECK_EQ(sim_set_affinity(sim_dv(c, k), &node1, &node1), 0);
            break;
        case 220: CHECK_EQ(sim_pool_rm_cpu(cpupool0, 7), 0); break;
        case 250: CHECK_EQ(sim_pool_add_cpu(spare, 7), 0); break;
        case 280: CHECK_EQ(sim_pool_rm_cpu(spare, 7), 0); break;
        case 300: CHECK_EQ(sim_pool_add_cpu(cpupool0, 7), 0); break;
        case 330:
            for (unsigned k = 0; k < 4; k++)
                CHECK_EQ(sim_set_affinity(sim_dv(c, k), &any, &any), 0);
            break;
        case 360: CHECK_EQ(set_param(b, "weight", NUMA_WEIGHT_DEFAULT), 0); break;
        }
        sim_run_for(MICROSECS(200));
        bad += !kept_figures_ok(sim.now);
        max_weighted = MAX(max_weighted, ((struct numa_priv *)cpupool_by_id(0)->sched.priv)->nr_weighted);
    }
    INFO("%u steps, %u with a kept figure wrong; at most %u domains weighted", steps, bad,
         max_weighted);
    CHECK_EQ(bad, 0);
    CHECK_EQ(max_weighted, 2);
    CHECK_EQ(((struct numa_priv *)cpupool_by_id(0)->sched.priv)->nr_weighted, 0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static const struct unit_case cases[] = {
    { "kept_figures_track", kept_figures_track },
};
SIM_UNIT_MAIN(cases)
