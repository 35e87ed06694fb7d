/* Properties of one policy: the one this program links (tests/unit/sched.mk builds
 * one per policy file). Each case simulates seconds of a small machine and checks
 * what the vCPUs got against what the policy promises; cases for promises a policy
 * does not make are skipped with the reason. Every case also requires zero
 * violations of the simulator's invariants (sim.h).
 *
 * Shares: a domain's share is its part of the CPU time all measured domains got, in
 * percent; a case passes when every share is within 2 points of its ideal. Every
 * case's ideal shares are feasible: no vCPU's ideal exceeds one pCPU (stated per case).
 * Times are simulated; scheduling decisions cost nothing (sim.h). */
#include "simtest.h"

#define RUN_10S MILLISECS(10000)

/* What a policy promises follows from what it declares: weights from a "weight"
 * parameter, caps from "cap", deadlines from "period" and "budget", homes from
 * "home_nodes" (sched/private.h, struct sched_param). */
static bool has_weights(void) { return has_param("weight"); }
static bool has_caps(void) { return has_param("cap"); }
static bool has_deadlines(void) { return has_param("period") && has_param("budget"); }

/* n domains of nv CPU-bound vCPUs each, started. */
static void hog_domains(struct sim_dom **d, unsigned n, unsigned nv)
{
    for (unsigned i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "hog%u", i);
        d[i] = sim_domain_create(name, nv, NUMA_NO_NODE, wl_cpu());
    }
}

static void start_all(struct sim_dom **d, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        sim_domain_start(d[i]);
}

/* Prints the shares; true when each is within 2 points of ideal[]. */
static bool shares_ok(struct sim_dom **d, unsigned n, const double *ideal, bool verdict)
{
    bool ok = true;
    printf("  %s: shares", pname());
    for (unsigned i = 0; i < n; i++) {
        double s = share_pct(d, n, i);
        printf(" %.2f%% (ideal %.2f)", s, ideal[i]);
        ok &= s >= ideal[i] - 2.0 && s <= ideal[i] + 2.0;
    }
    printf("%s\n", verdict ? (ok ? ": within 2 points" : ": NOT within 2 points") : "");
    return ok;
}

/* Machine time used, in percent of what n CPU-bound vCPUs could use. */
static double busy_pct(unsigned nvcpus)
{
    s_time_t busy = 0;
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        busy += sim_cpu_busy(c);
    return 100.0 * (double)busy / ((double)MIN(nvcpus, sim.nr_cpus) * (double)sim.now);
}

/* ---- fairness: every policy ---- */

/* 2 domains x 2 vCPUs on 2 pCPUs; domain_create puts vCPU i on pCPU i, so each pCPU
 * starts with two. Ideal 50/50 (0.5 pCPU per vCPU). */
static void fair_placed(void)
{
    struct sim_dom *d[2];
    static const double ideal[] = { 50, 50 };
    if (!timeshares()) {
        SKIP("no time sharing: 4 vCPUs on 2 pCPUs, 2 wait (SCHED_F_NO_TIMESHARE)");
        return;
    }
    if (!test_start(1, 2, 1))
        return;
    hog_domains(d, 2, 2);
    start_all(d, 2);
    sim_run_until(RUN_10S);
    CHECK(shares_ok(d, 2, ideal, true));
    INFO("machine %.1f%% busy", busy_pct(4));
    CHECK(busy_pct(4) >= 99.0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* 3 single-vCPU domains on 2 pCPUs, all starting on pCPU 0 (domain_create puts vCPU 0
 * there): only balancing gives 33.3% each (0.67 pCPU per vCPU) on a busy machine. */
static void fair_unplaced(void)
{
    struct sim_dom *d[3];
    static const double ideal[] = { 100.0 / 3, 100.0 / 3, 100.0 / 3 };
    if (!timeshares()) {
        SKIP("no time sharing: 3 vCPUs on 2 pCPUs, 1 waits (SCHED_F_NO_TIMESHARE)");
        return;
    }
    if (!test_start(1, 2, 1))
        return;
    hog_domains(d, 3, 1);
    start_all(d, 3);
    sim_run_until(RUN_10S);
    CHECK(shares_ok(d, 3, ideal, true));
    INFO("machine %.1f%% busy", busy_pct(3));
    if (work_conserving())              /* a timetable idles a pCPU in 1-vCPU windows */
        CHECK(busy_pct(3) >= 99.0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* ---- weights: every policy that declares "weight" ---- */

static bool weights_case(unsigned n, unsigned nv, const uint32_t *w, const double *ideal)
{
    struct sim_dom *d[8];
    if (!test_start(1, 2, 1))
        return false;
    hog_domains(d, n, nv);
    for (unsigned i = 0; i < n; i++) {
        int rc = set_weight_cap(d[i], w[i], 0);
        if (rc) {
            SKIP("adjust(weight) returned %d", rc);
            sim_fini();
            return false;
        }
    }
    start_all(d, n);
    sim_run_until(RUN_10S);
    CHECK(shares_ok(d, n, ideal, true));
    CHECK_EQ(sim.violations, 0);
    sim_fini();
    return true;
}

/* 3 domains x 2 vCPUs, weights 1:2:4, 2 pCPUs: 14.3/28.6/57.1%, i.e. 0.14, 0.29 and
 * 0.57 pCPU per vCPU (equal vCPU counts: per-domain and per-vCPU weights agree). */
static void weights_1_2_4(void)
{
    static const uint32_t w[] = { 128, 256, 512 };
    static const double ideal[] = { 100.0 / 7, 200.0 / 7, 400.0 / 7 };
    if (!has_weights()) {
        SKIP("no weights");
        return;
    }
    weights_case(3, 2, w, ideal);
}

/* 4 single-vCPU domains, weights 1:1:2:4, 2 pCPUs: 12.5/12.5/25/50%; the heaviest
 * gets exactly one pCPU, the feasible limit. */
static void weights_at_limit(void)
{
    static const uint32_t w[] = { 256, 256, 512, 1024 };
    static const double ideal[] = { 12.5, 12.5, 25, 50 };
    if (!has_weights()) {
        SKIP("no weights");
        return;
    }
    weights_case(4, 1, w, ideal);
}

/* ---- caps: every policy that declares "cap" ---- */

/* A capped domain gets no more than cap% of one pCPU (+1 point), against CPU hogs
 * (nv_others uncapped single-vCPU domains) or on an otherwise idle machine. */
static void cap_case(unsigned nv, uint32_t cap, unsigned others)
{
    struct sim_dom *d[4];
    if (!test_start(1, 2, 1))
        return;
    d[0] = sim_domain_create("capped", nv, NUMA_NO_NODE, wl_cpu());
    hog_domains(d + 1, others, 1);
    int rc = set_weight_cap(d[0], 0, cap);
    if (rc) {
        SKIP("adjust(cap) returned %d", rc);
        sim_fini();
        return;
    }
    start_all(d, others + 1);
    sim_run_until(RUN_10S);
    double got = 100.0 * (double)sim_dom_run(d[0]) / (double)RUN_10S;
    INFO("%u vCPU(s) capped at %u%% beside %u hog(s): %.2f%% of one pCPU", nv, cap,
         others, got);
    CHECK(got <= cap + 1.0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static void cap_vs_hogs(void)
{
    if (!has_caps()) {
        SKIP("no caps");
        return;
    }
    cap_case(1, 25, 2);
}

static void cap_idle_machine(void)
{
    if (!has_caps()) {
        SKIP("no caps");
        return;
    }
    cap_case(2, 50, 0);
}

/* ---- wake boost: credit promises it, rr must not have it ---- */

/* 2 pCPUs, 4 CPU hogs (2 domains x 2) and one io-like vCPU (50-200 us bursts, 0.5-5 ms
 * sleeps). Under credit the io vCPU, waking UNDER, is boosted past the hogs: p99
 * below one slice (the longest slice the hogs got) and median well under 1 ms. rr
 * queues it behind the hogs: median at least 1 ms. Others: numbers for the record. */
static void wake_boost(void)
{
    struct sim_dom *d[3];
    if (!timeshares()) {
        SKIP("no time sharing: the io vCPU, fifth on 2 pCPUs, would never run");
        return;
    }
    if (!test_start(1, 2, 1))
        return;
    hog_domains(d, 2, 2);
    d[2] = sim_domain_create("io", 1, NUMA_NO_NODE, wl_io());
    start_all(d, 3);
    sim_run_until(RUN_10S);
    const struct sim_vstats *st = sim_vstats(sim_dv(d[2], 0));
    s_time_t p50 = sim_lat_quantile(st, 0.5), p99 = sim_lat_quantile(st, 0.99);
    s_time_t max = sim_lat_quantile(st, 1.0);
    INFO("io vCPU among 4 hogs: %llu wakes, latency median %.3f ms, p99 %.3f ms, max "
         "%.3f ms; hogs' slice %.1f ms", (unsigned long long)st->wakes, ms(p50), ms(p99),
         ms(max), ms(sim.max_slice));
    CHECK(st->wakes > 100);
    if (is_policy("credit")) {
        CHECK(p99 < sim.max_slice);
        CHECK(p50 < MICROSECS(500));
    } else if (is_policy("rr")) {
        CHECK(p50 >= MILLISECS(1));
    }
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* ---- deadlines: every policy that declares "period" and "budget" ---- */

struct rt_task { s_time_t period, budget; };

/* A server of (period, budget) in us; extratime (if declared) as given. */
static int put_server(struct sim_dom *sd, s_time_t period, s_time_t budget, bool extra)
{
    struct domctl_scheduler_op op = test_op(SCHED_PARAMS_PUT);
    op_set(&op, "period", (uint64_t)(period / 1000));
    op_set(&op, "budget", (uint64_t)(budget / 1000));
    if (has_param("extratime"))
        op_set(&op, "extratime", extra);
    return sim_adjust(sd, &op);
}

/* Each task a single-vCPU domain with server (period, budget) doing 90% of its budget
 * per period (jobs at multiples of the period from 0, like RTDS deadlines), plus
 * `hogs` CPU hogs as servers (100 ms, 1 ms) with extratime. Total misses. */
static uint64_t rt_run(const struct rt_task *t, unsigned n, unsigned hogs, double *u_out)
{
    struct sim_dom *d[12];
    double u = 0, umax = 0;
    uint64_t misses = 0;

    if (!test_start(1, 2, 1))
        return 0;
    for (unsigned i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "rt%u", i);
        d[i] = sim_domain_create(name, 1, NUMA_NO_NODE,
                                 wl_periodic(t[i].period, t[i].budget * 9 / 10));
        CHECK_EQ(put_server(d[i], t[i].period, t[i].budget, false), 0);   /* held to it */
        u += (double)t[i].budget / (double)t[i].period;
        umax = MAX(umax, (double)t[i].budget / (double)t[i].period);
    }
    hog_domains(d + n, hogs, 1);
    for (unsigned i = n; i < n + hogs; i++)
        CHECK_EQ(put_server(d[i], MILLISECS(100), MILLISECS(1), true), 0);
    start_all(d, n + hogs);
    sim_run_until(RUN_10S);
    printf("  %s: U = %.2f (bound for global EDF on 2 pCPUs: %.2f), misses/jobs:", pname(),
           u, 2 - umax);
    uint64_t reported = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct sim_vstats *st = sim_vstats(sim_dv(d[i], 0));
        printf(" %llu/%llu", (unsigned long long)st->misses, (unsigned long long)st->jobs);
        misses += st->misses;
        if (counter_index("misses") >= 0)
            reported += get_named(d[i], "misses");
    }
    printf("%s; the policy itself counted %llu\n", hogs ? " (with CPU hogs on extratime)" : "",
           (unsigned long long)reported);
    if (counter_index("misses") >= 0)   /* it reports misses exactly when there are some */
        CHECK_EQ(!!reported, !!misses);
    *u_out = u;
    CHECK_EQ(sim.violations, 0);
    sim_fini();
    return misses;
}

/* 5 servers on 2 pCPUs, U = 1.35, u_max = 0.4: within the global-EDF bound
 * U <= m - (m-1) u_max = 1.6. No job may miss. */
static const struct rt_task rt_ok[] = {
    { MILLISECS(10), MILLISECS(3) }, { MILLISECS(20), MILLISECS(5) },
    { MILLISECS(5), MILLISECS(1) }, { MILLISECS(40), MILLISECS(8) },
    { MILLISECS(10), MILLISECS(4) },
};

static void rt_schedulable(void)
{
    double u;
    if (!has_deadlines()) {
        SKIP("no deadlines promised");
        return;
    }
    CHECK_EQ(rt_run(rt_ok, ARRAY_SIZE(rt_ok), 0, &u), 0);
    CHECK(u <= 1.6);
}

static void rt_with_hogs(void)
{
    double u;
    if (!has_deadlines()) {
        SKIP("no deadlines promised");
        return;
    }
    CHECK_EQ(rt_run(rt_ok, ARRAY_SIZE(rt_ok), 2, &u), 0);
}

/* 3 servers of (10 ms, 8 ms) on 2 pCPUs: U = 2.4 > m. Misses must show. */
static void rt_overloaded(void)
{
    static const struct rt_task t[] = {
        { MILLISECS(10), MILLISECS(8) }, { MILLISECS(10), MILLISECS(8) },
        { MILLISECS(10), MILLISECS(8) },
    };
    double u;
    if (!has_deadlines()) {
        SKIP("no deadlines promised");
        return;
    }
    CHECK(rt_run(t, ARRAY_SIZE(t), 0, &u) > 0);
}

/* A job grid that begins before the server's first period. A guest anchors its periods
 * at its own clock (the sleeper: at its runstate's start, which the core stamps before
 * the policy's wake reads the clock; booted, a TCG stall put 86 us between the two).
 * One pCPU: a rival server (10 ms, 5 ms) starts first and holds the pCPU for most of
 * the task's first period, so the task's first job waits; from then on each job is
 * released 100 us before the server's period end and runs at once. No job is late, so
 * the policy must count no miss: a wait that ended before the vCPU blocked is not a
 * denial in a later runnable stretch. (rtds kept the first job's wait for the whole
 * period and counted a miss at every period end: 199 of 200.) */
static void rt_grid_ahead(void)
{
    struct sim_dom *d[2];
    if (!has_deadlines() || counter_index("misses") < 0) {
        SKIP("no deadlines or no miss counter");
        return;
    }
    if (!test_start(1, 1, 1))
        return;
    d[0] = sim_domain_create("rival", 1, NUMA_NO_NODE, wl_cpu());
    d[1] = sim_domain_create("task", 1, NUMA_NO_NODE, wl_periodic(MILLISECS(10), MICROSECS(1500)));
    CHECK_EQ(put_server(d[0], MILLISECS(10), MILLISECS(5), false), 0);
    CHECK_EQ(put_server(d[1], MILLISECS(10), MILLISECS(3), false), 0);
    sim_domain_start(d[0]);
    sim_run_for(MICROSECS(10));
    sim_domain_start(d[1]);
    struct sim_vcpu *task = sim_dv(d[1], 0);
    task->t0 -= MICROSECS(100);         /* the guest's grid: 100 us ahead of the server's */
    sim_run_until(MILLISECS(2000));
    const struct sim_vstats *st = sim_vstats(task);
    uint64_t reported = get_named(d[1], "misses");
    INFO("%llu jobs, %llu late; the policy counted %llu misses",
         (unsigned long long)st->jobs, (unsigned long long)st->misses,
         (unsigned long long)reported);
    CHECK_EQ(st->misses, 0);
    CHECK_EQ(reported, 0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* ---- NUMA: policies that declare "home_nodes" promise it; the others' numbers are
 * printed ---- */

static bool has_homes(void) { return has_param("home_nodes"); }

/* 2 nodes x 2 pCPUs (distance 20). Domains of 2 CPU hogs homed per homes[]. */
static void numa_case(const unsigned *homes, unsigned n, double *away_pct, double *busy_pct)
{
    struct sim_dom *d[4];
    s_time_t run = 0, away = 0, busy = 0;

    if (!test_start(2, 2, 1))
        return;
    for (unsigned i = 0; i < n; i++) {
        uint32_t mask = 1u << homes[i];
        d[i] = sim_domain_create("numa", 2, homes[i], wl_cpu());
        if (has_homes())
            CHECK_EQ(set_param(d[i], "home_nodes", mask), 0);
    }
    start_all(d, n);
    sim_run_until(RUN_10S);
    for (unsigned i = 0; i < n; i++)
        for (unsigned k = 0; k < 2; k++) {
            const struct sim_vstats *st = sim_vstats(sim_dv(d[i], k));
            run += st->run;
            away += st->away;
        }
    for (unsigned c = 0; c < 4; c++)
        busy += sim_cpu_busy(c);
    if (counter_index("away") >= 0) {   /* the policy counts its own ns away: the same? */
        uint64_t own = 0;
        for (unsigned i = 0; i < n; i++)
            own += get_named(d[i], "away");
        INFO("ns away: simulator %.1f ms, the policy's own count %.1f ms", ms(away),
             ms((s_time_t)own));
        CHECK(llabs((long long)own - (long long)away) <= MILLISECS(1) + away / 100);
    }
    *away_pct = 100.0 * (double)away / (double)run;
    *busy_pct = 100.0 * (double)busy / (4.0 * (double)RUN_10S);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* One domain homed on each node, 2 hogs each: everything fits at home. */
static void numa_stays_home(void)
{
    static const unsigned homes[] = { 0, 1 };
    double away, busy;
    numa_case(homes, 2, &away, &busy);
    INFO("load fits: %.2f%% of run time away from home, machine %.1f%% busy", away, busy);
    if (has_homes()) {
        CHECK(away <= 1.0);
        CHECK(busy >= 99.0);
    }
}

/* Three domains of 2 hogs, all homed on node 0 (6 vCPUs, 2 home pCPUs): node 1
 * must take some, and the machine stay busy. */
static void numa_spills(void)
{
    static const unsigned homes[] = { 0, 0, 0 };
    double away, busy;
    numa_case(homes, 3, &away, &busy);
    INFO("node 0 overloaded: %.2f%% of run time away from home, machine %.1f%% busy", away,
         busy);
    if (has_homes()) {
        CHECK(away >= 10.0);
        CHECK(busy >= 90.0);
    }
}

static const struct unit_case cases[] = {
    { "fair_placed", fair_placed },
    { "fair_unplaced", fair_unplaced },
    { "weights_1_2_4", weights_1_2_4 },
    { "weights_at_limit", weights_at_limit },
    { "cap_vs_hogs", cap_vs_hogs },
    { "cap_idle_machine", cap_idle_machine },
    { "wake_boost", wake_boost },
    { "rt_schedulable", rt_schedulable },
    { "rt_with_hogs", rt_with_hogs },
    { "rt_overloaded", rt_overloaded },
    { "rt_grid_ahead", rt_grid_ahead },
    { "numa_stays_home", numa_stays_home },
    { "numa_spills", numa_spills },
};
SIM_UNIT_MAIN(cases)
