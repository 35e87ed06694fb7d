/* The simulator's own tests, with a toy policy defined here: "fifo", one global
 * queue under one lock that every pCPU's lock pointer is redirected to. First the
 * accounting (run time, jobs, misses, latency, decision cost, away time, migrations,
 * determinism) against numbers worked out by hand; then the checkers, by switching
 * the toy into one bug at a time and checking that the simulator notices; then the
 * core's side of the policy contract (sched/private.h, sched/ops.h): a policy missing
 * a required op is refused by name, and alloc_pdata and pick_cpu are called with
 * exactly the locks their rules promise, which the wrappers check. */
#include "simtest.h"
#include <stddef.h>
#include "../../sched/ops.h"

#include <hvlab/panic.h>
#include <hvlab/xmalloc.h>

/* ---- the toy policy ---- */

enum fifo_bug { BUG_NONE, BUG_RUNNING, BUG_AFFINITY, BUG_LOCK, BUG_ALLOC, BUG_NO_RAISE,
                BUG_DROP };
static enum fifo_bug bug;

struct fifo_v { struct list_head q; struct vcpu *v; bool queued; };
static struct list_head fifo_q;
static spinlock_t fifo_lock;

static struct fifo_v *fv(const struct vcpu *v) { return v->sched_priv; }

static int fifo_init(struct scheduler *s) { (void)s; list_init(&fifo_q); spin_lock_init(&fifo_lock); return 0; }

/* What the locking rules promise alloc_pdata and pick_cpu, seen from inside them. */
static unsigned pdata_calls, pdata_bad, pick_calls, pick_locked;

static void *fifo_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    pdata_calls++;
    pdata_bad += !spin_is_locked(&sched_res(cpu)->_lock) || cpumask_test(&s->cpus, cpu) ||
                 smp_processor_id() != cpu;
    if (bug != BUG_LOCK)
        sched_res(cpu)->lock = &fifo_lock;
    return xzalloc(8);
}
static void fifo_free_pdata(struct scheduler *s, void *pd, unsigned cpu) { (void)s; (void)cpu; xfree(pd); }

static void *fifo_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct fifo_v *f = xzalloc(sizeof(*f));
    (void)s; (void)dd;
    list_init(&f->q);
    f->v = v;
    return f;
}
static void fifo_free_vdata(struct scheduler *s, void *vd) { (void)s; xfree(vd); }

static void fifo_wake(struct scheduler *s, struct vcpu *v)
{
    unsigned c;
    if (bug == BUG_ALLOC)
        xfree(xmalloc(16));
    if (bug == BUG_DROP && v->vcpu_id == 1)
        return;
    if (!fv(v)->queued) {
        list_add_tail(&fv(v)->q, &fifo_q);
        fv(v)->queued = true;
    }
    if (bug == BUG_NO_RAISE)
        return;
    for_each_cpu(c, &s->cpus)
        if (cpumask_test(&v->cpu_hard_affinity, c) && sched_cpu_is_idle(c)) {
            sched_raise(c);
            return;
        }
}

static void fifo_sleep(struct scheduler *s, struct vcpu *v)
{
    (void)s;
    if (fv(v)->queued) {
        list_del(&fv(v)->q);
        fv(v)->queued = false;
    }
    if (v->is_running)
        sched_raise(v->processor);
}

static struct task_slice fifo_do_schedule(struct scheduler *s, unsigned cpu,
                                          struct vcpu *prev, s_time_t now)
{
    struct list_head *p;
    (void)s; (void)now;
    ASSERT(smp_processor_id() == cpu);  /* this_cpu() works in policy code */
    if (bug == BUG_LOCK)
        spin_lock(sched_lock(cpu ^ 1));
    if (bug == BUG_RUNNING)
        for (unsigned c = 0; c < sim.nr_cpus; c++)
            if (c != cpu && !sched_cpu_is_idle(c))
                return (struct task_slice){ per_cpu(c)->curr, MILLISECS(10) };
    if (!is_idle_vcpu(prev) && vcpu_runnable(prev) && !fv(prev)->queued) {
        list_add_tail(&fv(prev)->q, &fifo_q);
        fv(prev)->queued = true;
    }
    list_for_each(p, &fifo_q) {
        struct fifo_v *f = list_entry(p, struct fifo_v, q);
        if ((f->v->is_running && f->v != prev) ||
            (bug != BUG_AFFINITY && !cpumask_test(&f->v->cpu_hard_affinity, cpu)))
            continue;
        list_del(&f->q);
        f->queued = false;
        f->v->processor = cpu;          /* one lock for all: both held */
        return (struct task_slice){ f->v, MILLISECS(10) };
    }
    return (struct task_slice){ NULL, -1 };
}

/* The core's default placement, spelled out, and a count of the locks held. */
static unsigned fifo_pick_cpu(struct scheduler *s, struct vcpu *v)
{
    pick_calls++;
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        pick_locked += sched_res(c)->lock && spin_is_locked(sched_lock(c));
    cpumask_t ok = cpumask_and(&v->cpu_hard_affinity, &s->cpus);
    return cpumask_test(&ok, v->processor) || cpumask_empty(&ok) ? v->processor
                                                                 : cpumask_first(&ok);
}

static const struct sched_ops fifo_ops = {
    .name = "fifo", .desc = "test toy: one global FIFO",
    .init = fifo_init, .alloc_pdata = fifo_alloc_pdata, .free_pdata = fifo_free_pdata,
    .alloc_vdata = fifo_alloc_vdata, .free_vdata = fifo_free_vdata,
    .wake = fifo_wake, .sleep = fifo_sleep, .do_schedule = fifo_do_schedule,
    .pick_cpu = fifo_pick_cpu,
};
REGISTER_SCHEDULER(fifo_ops);

static bool start(unsigned nodes, unsigned per, enum fifo_bug b, s_time_t cost)
{
    struct sim_config c = { .nr_nodes = nodes, .cpus_per_node = per, .seed = 1,
                            .audit_period = MILLISECS(1), .decision_cost = cost,
                            .quiet = b != BUG_NONE };
    bug = b;
    bool ok = sim_init(&fifo_ops, &c);
    CHECK(ok);
    return ok;
}

/* ---- accounting ---- */

/* Alone on a pCPU, a 3-of-10 ms periodic vCPU runs exactly 3 ms per job, never late. */
static void periodic_alone(void)
{
    if (!start(1, 1, BUG_NONE, 0))
        return;
    struct sim_dom *d = sim_domain_create("p", 1, NUMA_NO_NODE, wl_periodic(MILLISECS(10), MILLISECS(3)));
    sim_domain_start(d);
    sim_run_until(MILLISECS(1000) - 1);
    const struct sim_vstats *st = sim_vstats(sim_dv(d, 0));
    CHECK_EQ(st->run, MILLISECS(300));
    CHECK_EQ(st->jobs, 100);
    CHECK_EQ(st->misses, 0);
    CHECK_EQ(st->wakes, 99);            /* job 0 starts with the domain */
    CHECK_EQ(sim_lat_quantile(st, 1.0), 0);
    CHECK_EQ(st->switches, 100);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* Two 6-of-10 ms tasks on one pCPU (U = 1.2): late jobs are counted, done or not. */
static void periodic_overload(void)
{
    if (!start(1, 1, BUG_NONE, 0))
        return;
    struct sim_dom *a = sim_domain_create("a", 1, NUMA_NO_NODE, wl_periodic(MILLISECS(10), MILLISECS(6)));
    struct sim_dom *b = sim_domain_create("b", 1, NUMA_NO_NODE, wl_periodic(MILLISECS(10), MILLISECS(6)));
    sim_domain_start(a);
    sim_domain_start(b);
    sim_run_until(MILLISECS(1000));
    const struct sim_vstats *sa = sim_vstats(sim_dv(a, 0));
    uint64_t ma = sa->misses, ja = sa->jobs;
    const struct sim_vstats *sb = sim_vstats(sim_dv(b, 0));
    CHECK(ma + sb->misses > 30);        /* demand 1200 ms in 1000 ms */
    CHECK(ja + sb->jobs < 170);
    CHECK_EQ(sim_cpu_busy(0), MILLISECS(1000));
    sim_fini();
}

/* Two CPU hogs on one pCPU with 10 ms slices: 500 ms each per second. */
static void hogs_share(void)
{
    if (!start(1, 1, BUG_NONE, 0))
        return;
    struct sim_dom *d = sim_domain_create("h", 2, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(d);
    sim_run_until(MILLISECS(1000));
    CHECK_EQ(sim_vstats(sim_dv(d, 0))->run, MILLISECS(500));
    CHECK_EQ(sim_vstats(sim_dv(d, 1))->run, MILLISECS(500));
    CHECK_EQ(sim_dv(d, 0)->st.switches, 51);  /* v0 runs first, and again at 1 s */
    sim_fini();
}

/* A decision cost comes out of the vCPU's time: 3 ms of work takes 3.1 ms. */
static void decision_cost(void)
{
    if (!start(1, 1, BUG_NONE, MICROSECS(100)))
        return;
    struct sim_dom *d = sim_domain_create("p", 1, NUMA_NO_NODE, wl_periodic(MILLISECS(10), MILLISECS(3)));
    sim_domain_start(d);
    sim_run_until(MILLISECS(1000) - 1);
    CHECK_EQ(sim_vstats(sim_dv(d, 0))->run, MILLISECS(310));
    sim_fini();
}

/* Pinned to a pCPU of the other node: every nanosecond is away from home. */
static void away_and_pin(void)
{
    if (!start(2, 1, BUG_NONE, 0))
        return;
    struct sim_dom *d = sim_domain_create("n1", 1, 1, wl_cpu());
    cpumask_t cpu0 = cpumask_from_u64(1), cpu1 = cpumask_from_u64(2);
    sim_domain_start(d);
    sim_run_until(MILLISECS(100));
    CHECK_EQ(sim_set_affinity(sim_dv(d, 0), &cpu1, NULL), 0);
    CHECK_EQ(sim_dv(d, 0)->v.processor, 1);
    sim_run_until(MILLISECS(200));
    CHECK_EQ(sim_vstats(sim_dv(d, 0))->away, MILLISECS(100));
    CHECK_EQ(sim_set_affinity(sim_dv(d, 0), &cpu0, NULL), 0);
    sim_run_until(MILLISECS(300));
    const struct sim_vstats *st = sim_vstats(sim_dv(d, 0));
    CHECK_EQ(st->away, MILLISECS(200));
    CHECK_EQ(st->run, MILLISECS(300));
    CHECK_EQ(st->migrations, 2);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static uint64_t run_mix(uint64_t seed)
{
    struct sim_config c = { .nr_nodes = 2, .cpus_per_node = 2, .seed = seed,
                            .audit_period = MILLISECS(1) };
    bug = BUG_NONE;
    sim_init(&fifo_ops, &c);
    sim_domain_start(sim_domain_create("io", 3, NUMA_NO_NODE, wl_io()));
    sim_domain_start(sim_domain_create("b", 3, NUMA_NO_NODE, wl_bursty()));
    sim_domain_start(sim_domain_create("c", 1, NUMA_NO_NODE, wl_cpu()));
    sim_run_until(MILLISECS(2000));
    uint64_t h = sim.trace_hash;
    CHECK_EQ(sim.violations, 0);
    sim_fini();
    return h;
}

static void deterministic(void)
{
    uint64_t a = run_mix(7), b = run_mix(7), c = run_mix(8);
    CHECK(a == b);
    CHECK(a != c);
}

/* ---- the checkers catch broken policies ---- */

static void run_bug(enum fifo_bug b)
{
    if (!start(1, 2, b, 0))
        return;
    struct sim_dom *d = sim_domain_create("d", 3, NUMA_NO_NODE, wl_io());
    sim_domain_start(d);
    cpumask_t cpu0 = cpumask_from_u64(1);
    sim_set_affinity(sim_dv(d, 2), &cpu0, NULL);
    sim_run_until(MILLISECS(2000));
}

static void bug_running(void) { run_bug(BUG_RUNNING); }
static void bug_lock(void) { run_bug(BUG_LOCK); }

static unsigned violations_of(enum fifo_bug b)
{
    run_bug(b);
    unsigned n = sim.violations;
    sim_fini();
    return n;
}

static void catches_bugs(void)
{
    CHECK(unit_panics(bug_running));    /* a vCPU running elsewhere: the core's ASSERT */
    CHECK(unit_panics(bug_lock));       /* a lock left held */
    static const char *const what[] = { "none", "running", "affinity", "lock", "alloc",
                                         "no-raise", "drop" };
    enum fifo_bug recorded[] = { BUG_AFFINITY, BUG_ALLOC, BUG_NO_RAISE, BUG_DROP };
    printf("  violations caught:");
    for (size_t i = 0; i < ARRAY_SIZE(recorded); i++) {
        unsigned n = violations_of(recorded[i]);
        printf(" %s %u", what[recorded[i]], n);
        CHECK(n > 0);
    }
    printf("\n");
    CHECK_EQ(violations_of(BUG_NONE), 0);
}

/* ---- the core's side of the contract ---- */

/* Each required op missing in turn: the core refuses the policy, naming the op. */
static const struct { const char *op; size_t off; } required_ops[] = {
    { "init", offsetof(struct sched_ops, init) },
    { "alloc_pdata", offsetof(struct sched_ops, alloc_pdata) },
    { "wake", offsetof(struct sched_ops, wake) },
    { "sleep", offsetof(struct sched_ops, sleep) },
    { "do_schedule", offsetof(struct sched_ops, do_schedule) },
};

static void refuses_incomplete(void)
{
    struct sim_config c = { .nr_nodes = 1, .cpus_per_node = 1 };
    for (size_t i = 0; i < ARRAY_SIZE(required_ops); i++) {
        struct sched_ops o = fifo_ops;
        char want[64];
        memset((char *)&o + required_ops[i].off, 0, sizeof(o.init));
        snprintf(want, sizeof(want), "has no %s op: refused", required_ops[i].op);
        bool ok = sim_init(&o, &c);
        CHECK(!ok);
        if (!strstr(sim.last_error, want))
            printf("  without %s: last error \"%s\", wanted \"%s\"\n", required_ops[i].op,
                   sim.last_error, want);
        CHECK(strstr(sim.last_error, want) != NULL);
        if (ok)
            sim_fini();
    }
    c.cpus_per_node = NR_CPUS + 1;
    CHECK(!sim_init(&fifo_ops, &c));
    CHECK(sim_policy_find("fifo") == &fifo_ops);
}

/* alloc_pdata: on its pCPU, that pCPU's own lock held, not yet in the pool, at boot
 * and when a pCPU joins a pool; pick_cpu: no scheduler lock held, whether a toolstack
 * pins, a pool loses a pCPU or a domain changes pools. */
static void lock_rules_hold(void)
{
    pdata_calls = pdata_bad = pick_calls = pick_locked = 0;
    if (!start(1, 3, BUG_NONE, 0))
        return;
    struct sim_dom *d = sim_domain_create("d", 3, NUMA_NO_NODE, wl_bursty());
    cpumask_t c2 = cpumask_from_u64(4);
    sim_domain_start(d);
    sim_run_for(MILLISECS(15));
    CHECK_EQ(sim_set_affinity(sim_dv(d, 0), &c2, NULL), 0);
    struct cpupool *p = sim_pool_create(&fifo_ops);
    CHECK(p != NULL);
    CHECK_EQ(sim_pool_rm_cpu(cpupool0, 2), 0);
    CHECK(p && sim_pool_add_cpu(p, 2) == 0);
    CHECK(p && sim_pool_move_domain(p, d) == 0);
    sim_run_for(MILLISECS(100));
    printf("  alloc_pdata called %u times (%u outside its rule), pick_cpu %u times (%u "
           "locks held)\n", pdata_calls, pdata_bad, pick_calls, pick_locked);
    CHECK_EQ(pdata_calls, 4);
    CHECK_EQ(pdata_bad, 0);
    CHECK(pick_calls >= 2);
    CHECK_EQ(pick_locked, 0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* A caller breaking the rules is stopped at the call: the wrappers' ASSERTs in the
 * core (wake and alloc_pdata without their lock) and the testbed (pick_cpu with one). */
static struct sim_dom *rules_dom(void)
{
    start(1, 2, BUG_NONE, 0);
    return sim_domain_create("d", 1, NUMA_NO_NODE, wl_cpu());
}

static void wake_unlocked(void)
{
    struct sim_dom *d = rules_dom();
    sched_op_wake(&cpupool0->sched, &sim_dv(d, 0)->v);
}

static void alloc_pdata_unlocked(void)
{
    rules_dom();
    sched_op_alloc_pdata(&cpupool0->sched, 1);
}

static void pick_locked_caller(void)
{
    struct sim_dom *d = rules_dom();
    spin_lock(sched_lock(1));
    vcpu_migrate_paused(&sim_dv(d, 0)->v);
}

static void lock_rules_checked(void)
{
    CHECK(unit_panics(wake_unlocked));
    CHECK(unit_panics(alloc_pdata_unlocked));
    CHECK(unit_panics(pick_locked_caller));
}

static const struct unit_case cases[] = {
    { "periodic_alone", periodic_alone },
    { "periodic_overload", periodic_overload },
    { "hogs_share", hogs_share },
    { "decision_cost", decision_cost },
    { "away_and_pin", away_and_pin },
    { "deterministic", deterministic },
    { "catches_bugs", catches_bugs },
    { "refuses_incomplete", refuses_incomplete },
    { "lock_rules_hold", lock_rules_hold },
    { "lock_rules_checked", lock_rules_checked },
};
UNIT_MAIN(cases)
