/* Random operation sequences against one policy (the one this program links): a
 * fixed seed drives thousands of steps of what the toolstack and guests do (kick,
 * block, yield, pause and unpause vCPUs and domains, pin and unpin, adjust, destroy
 * and re-create a domain; in the _pools cases also move pCPUs and domains between
 * two pools, i.e. two instances, of the policy),
 * with a few simulated milliseconds between steps, on 2 nodes x 2 pCPUs running a mix
 * of workloads. The simulator's checks and audits run throughout (sim.h); at the end,
 * everything is undone and every vCPU must run within the next second. Also: the same
 * seed gives the same run, and the policy's declared parameters keep the DOMCTL ABI. */
#include "simtest.h"

#define NR_DOMS 5

static struct sim_dom *doms[NR_DOMS];
static struct cpupool *pool1;
static unsigned paused_v[NR_DOMS][4];   /* our vCPU pauses, to undo */
static unsigned paused_d[NR_DOMS];
static uint64_t rng;
static bool with_pools;

static unsigned pick(unsigned n) { return (unsigned)(sim_rand(&rng) % n); }

static struct sim_dom *make_dom(unsigned i)
{
    static const char *const names[NR_DOMS] = { "hogs", "io", "bursty", "periodic", "mix" };
    static const unsigned nv[NR_DOMS] = { 2, 3, 2, 2, 1 };
    struct sim_wl wl[NR_DOMS] = { wl_cpu(), wl_io(), wl_bursty(),
                                  wl_periodic(MILLISECS(10), MILLISECS(2)), wl_cpu() };
    struct sim_dom *sd = sim_domain_create(names[i], nv[i], i % 2, wl[i]);
    sim_domain_start(sd);
    return sd;
}

static struct sim_vcpu *any_vcpu(unsigned *di, unsigned *vi)
{
    *di = pick(NR_DOMS);
    *vi = pick(doms[*di]->d.max_vcpus);
    return sim_dv(doms[*di], *vi);
}

static struct sim_vcpu *running_vcpu(void)
{
    for (unsigned tries = 0; tries < 8; tries++) {
        unsigned d, v;
        struct sim_vcpu *sv = any_vcpu(&d, &v);
        if (sv->v.is_running)
            return sv;
    }
    return NULL;
}

/* Parameters for this policy, at random, from its declarations: each declared
 * parameter set with probability 1/2 to a value in its range (NODES: within the
 * simulated machine's 4 nodes... or beyond, which the policy must refuse cleanly).
 * Rules between parameters (rtds: budget <= period) make some PUTs fail: allowed. */
static void random_params(struct sim_dom *sd, struct domctl_scheduler_op *op)
{
    const struct sched_ops *o = test_policy();

    *op = test_op(pick(8) ? SCHED_PARAMS_PUT : SCHED_PARAMS_GET);
    for (unsigned i = 0; i < o->nr_params; i++) {
        const struct sched_param *p = &o->params[i];
        uint64_t span = p->max - p->min;
        if (pick(2))
            continue;
        op->mask |= 1u << i;
        /* Limits (caps, budgets) stay small or off: 10 vCPUs must fit in 4 pCPUs. */
        if (p->flags & SCHED_PARAM_LIMITS)
            span = MIN(span, 1000);
        if (!strcmp(p->name, "cap"))
            op->value[i] = pick(3) ? 0 : 10 + pick(100 * sd->d.max_vcpus - 10);
        else
            op->value[i] = p->min + (span ? pick((unsigned)MIN(span, 1u << 20)) : 0);
    }
    if (has_param("period") && has_param("budget")) {
        /* At most a quarter of a pCPU per vCPU: 10 vCPUs stay within 4 pCPUs. */
        uint32_t period = 2000 + pick(18000);
        op_set(op, "period", period);
        op_set(op, "budget", period / 20 + pick(period / 5));
    }
}

static void op_pin(void)
{
    unsigned d, v;
    struct sim_vcpu *sv = any_vcpu(&d, &v);
    cpumask_t hard = cpumask_from_u64(1 + pick(15));   /* a non-empty subset of 4 pCPUs */
    cpumask_t soft = cpumask_from_u64(1 + pick(15));
    int rc = sim_set_affinity(sv, &hard, pick(2) ? &soft : NULL);
    CHECK(rc == 0 || rc == -EINVAL);            /* -EINVAL: none of them in its pool */
}

static void op_pool(void)
{
    unsigned cpu = 1 + pick(3), d = pick(NR_DOMS);
    switch (pick(4)) {
    case 0:                                     /* a pCPU from pool 0 to pool 1 */
        if (sim_pool_rm_cpu(cpupool0, cpu) == 0)
            CHECK_EQ(sim_pool_add_cpu(pool1, cpu), 0);
        break;
    case 1:                                     /* and back */
        if (sim_pool_rm_cpu(pool1, cpu) == 0)
            CHECK_EQ(sim_pool_add_cpu(cpupool0, cpu), 0);
        break;
    case 2:
        if (!cpumask_empty(&pool1->sched.cpus) && sim_pool_move_domain(pool1, doms[d]) == 0)
            doms[d]->throttled = false;         /* the new instance has defaults */
        break;
    default:
        if (sim_pool_move_domain(cpupool0, doms[d]) == 0)
            doms[d]->throttled = false;
        break;
    }
}

static void undo_pauses(unsigned d)
{
    for (unsigned v = 0; v < 4; v++)
        for (; paused_v[d][v]; paused_v[d][v]--)
            sim_vcpu_unpause(sim_dv(doms[d], v));
    for (; paused_d[d]; paused_d[d]--)
        sim_domain_unpause(doms[d]);
}

static void step(void)
{
    unsigned d, v;
    struct sim_vcpu *sv;
    struct domctl_scheduler_op op;

    switch (pick(20)) {
    case 0: case 1: case 2:
        sv = any_vcpu(&d, &v);
        sim_kick(sv);
        break;
    case 3: case 4:
        if ((sv = running_vcpu()) != NULL)
            sim_guest_block(sv);
        break;
    case 5: case 6: case 7:
        if ((sv = running_vcpu()) != NULL)
            sim_guest_yield(sv);
        break;
    case 8:
        sv = any_vcpu(&d, &v);
        if (paused_v[d][v] < 2) {
            sim_vcpu_pause(sv);
            paused_v[d][v]++;
        }
        break;
    case 9: case 10:
        sv = any_vcpu(&d, &v);
        if (paused_v[d][v]) {
            sim_vcpu_unpause(sv);
            paused_v[d][v]--;
        }
        break;
    case 11:
        d = pick(NR_DOMS);
        if (paused_d[d]) {
            sim_domain_unpause(doms[d]);
            paused_d[d]--;
        } else {
            sim_domain_pause(doms[d]);
            paused_d[d]++;
        }
        break;
    case 12: case 13:
        op_pin();
        break;
    case 14: {                                  /* unpin: every pCPU of its pool */
        sv = any_vcpu(&d, &v);
        cpumask_t all = sv->v.domain->cpupool->sched.cpus;
        int rc = sim_set_affinity(sv, &all, &all);
        CHECK(rc == 0 || cpumask_empty(&all));
        break;
    }
    case 15: case 16: {
        d = pick(NR_DOMS);
        random_params(doms[d], &op);
        int rc = sim_adjust(doms[d], &op);
        CHECK(rc == 0 || rc == -EINVAL);   /* -EINVAL: a rule between parameters */
        break;
    }
    case 17: case 18:
        if (with_pools)
            op_pool();
        break;
    default:
        d = pick(NR_DOMS);
        undo_pauses(d);
        sim_domain_destroy(doms[d]);
        doms[d] = make_dom(d);
        break;
    }
    sim_run_for(pick(3000) * 1000);
}

/* Every declared parameter of sd back to its default: the steps may leave a weight of
 * 1 next to weights of 65535, under which a proportional-share policy may rightly
 * leave a vCPU waiting for longer than the final check's second. */
static void reset_params(struct sim_dom *sd)
{
    const struct sched_ops *o = test_policy();
    struct domctl_scheduler_op op = test_op(SCHED_PARAMS_PUT);

    for (unsigned i = 0; i < o->nr_params; i++) {
        op.value[i] = o->params[i].dflt;
        op.mask |= 1u << i;
    }
    CHECK_EQ(sim_adjust(sd, &op), 0);
}

/* Runs `steps` random steps from `seed`, undoes them, and checks every vCPU runs. */
static uint64_t run_random(uint64_t seed, unsigned steps, s_time_t ipi, bool pools)
{
    if (!test_start_ipi(2, 2, seed, ipi))
        return 0;
    rng = seed;
    with_pools = pools;
    memset(paused_v, 0, sizeof(paused_v));
    memset(paused_d, 0, sizeof(paused_d));
    pool1 = sim_pool_create(test_policy());
    CHECK(pool1 != NULL);
    for (unsigned i = 0; i < NR_DOMS; i++)
        doms[i] = make_dom(i);
    for (unsigned i = 0; i < steps && pool1; i++)
        step();

    for (unsigned cpu = 1; cpu < 4; cpu++)      /* everything back as it was */
        if (sim_pool_rm_cpu(pool1, cpu) == 0)
            CHECK_EQ(sim_pool_add_cpu(cpupool0, cpu), 0);
    for (unsigned d = 0; d < NR_DOMS; d++) {
        undo_pauses(d);
        if (doms[d]->d.cpupool != cpupool0)
            CHECK_EQ(sim_pool_move_domain(cpupool0, doms[d]), 0);
        reset_params(doms[d]);
        for (unsigned v = 0; v < doms[d]->d.max_vcpus; v++) {
            sim_set_affinity(sim_dv(doms[d], v), &cpupool0->sched.cpus, NULL);
            sim_kick(sim_dv(doms[d], v));
        }
    }
    sim_run_for(MILLISECS(500));
    sim_stats_reset();
    sim_run_for(MILLISECS(1000));
    /* Every vCPU runs; without time sharing, as many as there are pCPUs (only_null.c
     * checks that they do not share them). */
    unsigned ran = 0, nv = 0;
    for (unsigned d = 0; d < NR_DOMS; d++)
        for (unsigned v = 0; v < doms[d]->d.max_vcpus; v++, nv++) {
            const struct sim_vstats *st = sim_vstats(sim_dv(doms[d], v));
            ran += st->run > 0;
            if (st->run == 0 && timeshares())
                printf("  %s.v%u did not run in the last second\n", doms[d]->d.name, v);
        }
    CHECK_EQ(ran, timeshares() ? nv : MIN(nv, cpumask_weight(&cpupool0->sched.cpus)));
    uint64_t hash = sim.trace_hash;
    printf("  %s: seed %llu, %u steps%s, IPI %lld ns: %.2f s simulated, %llu decisions, "
           "%u violations\n", pname(), (unsigned long long)seed, steps,
           pools ? " with pool moves" : "", (long long)ipi, (double)sim.now / 1e9,
           (unsigned long long)sim.nr_sched, sim.violations);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
    return hash;
}

static void random_ops(void) { run_random(1, 5000, 0, false); }
static void random_ops_ipi(void) { run_random(2, 5000, MICROSECS(3), false); }
static void random_ops_pools(void) { run_random(3, 5000, 0, true); }
static void random_ops_pools_ipi(void) { run_random(4, 5000, MICROSECS(3), true); }

static void deterministic(void)
{
    uint64_t a = run_random(5, 500, 0, false), b = run_random(5, 500, 0, false);
    CHECK(a == b);
}

/* ---- parameters by declaration and the DOMCTL ABI ---- */

/* Every declared parameter: its default is what a new domain reads back; min and max
 * are accepted and read back; one past max is -ERANGE and changes nothing; a bit
 * beyond the declarations and another policy's name are -EINVAL. */
static void params_abi(void)
{
    const struct sched_ops *o = test_policy();

    if (!test_start(2, 2, 1))
        return;
    struct sim_dom *sd = sim_domain_create("d", 2, 0, wl_cpu());
    struct domctl_scheduler_op get = test_op(SCHED_PARAMS_GET), put, bad;

    CHECK_EQ(sim_adjust(sd, &get), 0);
    for (unsigned i = 0; i < o->nr_params; i++) {
        const struct sched_param *p = &o->params[i];
        if (!strcmp(p->name, "home_nodes"))
            continue;                   /* its default reads back as set (0: derived) */
        INFO("%s: default %llu, read %llu", p->name, (unsigned long long)p->dflt,
             (unsigned long long)get.value[i]);
        CHECK_EQ(get.value[i], p->dflt);
    }
    for (unsigned i = 0; i < o->nr_params; i++) {
        const struct sched_param *p = &o->params[i];
        uint64_t top = p->type == SCHED_PARAM_NODES ? 3 : p->max;  /* 2 nodes */
        if (!strcmp(p->name, "budget") || !strcmp(p->name, "cap"))
            top = p->min;               /* bounded by another parameter or the vCPUs */
        put = test_op(SCHED_PARAMS_PUT);
        put.mask = 1u << i;
        put.value[i] = top;
        CHECK_EQ(sim_adjust(sd, &put), 0);
        get = test_op(SCHED_PARAMS_GET);
        CHECK_EQ(sim_adjust(sd, &get), 0);
        CHECK_EQ(get.value[i], top);
        bad = put;
        bad.value[i] = p->max + 1;
        CHECK_EQ(sim_adjust(sd, &bad), -ERANGE);
        CHECK_EQ(sim_adjust(sd, &get), 0);
        CHECK_EQ(get.value[i], top);
    }
    bad = test_op(SCHED_PARAMS_PUT);
    bad.mask = 1u << o->nr_params;
    CHECK_EQ(sim_adjust(sd, &bad), -EINVAL);
    bad = test_op(SCHED_PARAMS_GET);
    snprintf(bad.policy, sizeof(bad.policy), "%s", is_policy("rr") ? "credit" : "rr");
    CHECK_EQ(sim_adjust(sd, &bad), -EINVAL);
    if (has_param("period") && has_param("budget")) {
        put = test_op(SCHED_PARAMS_PUT);
        op_set(&put, "period", 1000);
        op_set(&put, "budget", 2000);   /* budget > period */
        CHECK_EQ(sim_adjust(sd, &put), -EINVAL);
    }
    sim_fini();
}

static const struct unit_case cases[] = {
    { "random_ops", random_ops },
    { "random_ops_ipi", random_ops_ipi },
    { "random_ops_pools", random_ops_pools },
    { "random_ops_pools_ipi", random_ops_pools_ipi },
    { "deterministic", deterministic },
    { "params_abi", params_abi },
};
SIM_UNIT_MAIN(cases)
