/* The cost of a scheduling decision, per policy and machine size: every policy file
 * that registers (tests/unit/sched.mk links them all), compiled unchanged with -O2 on
 * the host and driven by the simulator (tests/sched/) with 16, 256 and 4096 vCPUs on
 * 4, 64 and 256 pCPUs (vCPUs >= pCPUs).
 *
 * Workload: domains of 8 vCPUs; every fourth domain CPU-bound, the others io-like
 * (50-200 us bursts, 0.5-5 ms sleeps), so there are wakes as well as slice ends;
 * domain i's home is node i mod nodes (256 pCPUs: 8 nodes of 32; 64 pCPUs: 4 nodes of
 * 16, distance 20; 4 pCPUs: one node). After 100 ms of simulated warm-up, a run lasts until 20000 do_schedule
 * calls, 60 s simulated or 1 s of host time, whichever comes first.
 *
 * Measured: host wall time around each call of the policy's do_schedule and wake
 * ops and of its own timer handlers, read with RDTSC (a clock_gettime pair costs
 * more than rr's ops) and converted to ns by the TSC rate measured against
 * CLOCK_MONOTONIC, minus the cost of the two reads; locks are uncontended (one
 * thread). "decision" = do_schedule + the wakes per do_schedule + the policy's timer
 * time per do_schedule. Each figure is the median of 5 runs' means. The simulator's
 * own work (event queue, accounting) is not counted.
 *
 * Host counters (bench/hostpmu.c, perf_event_open): where the host has them, cycles
 * and instructions (user space) over each run's whole measured window, divided by its
 * decisions: the policy's ops plus the simulator's own work, so they bound the
 * policy's share from above; medians of the 5 runs. Where the host has none (most
 * VMs), the output says so and why, and gives wall time only.
 *
 *   sched_scale [RESULTS_DIR [POLICY]]   prints the table; writes sched-scale.csv and
 *                                        sched-scale.md to RESULTS_DIR
 *   sched_scale --one POLICY VCPUS PCPUS one run of exactly DECISIONS decisions (no
 *                                        host-time limit), for callgrind: `make
 *                                        sched-bench-ir` (bench/sched_ir.py) divides
 *                                        the instructions inside the ops by the
 *                                        decisions it prints, and the hash of
 *                                        every decision (equal before and after a
 *                                        change made for speed alone) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <x86intrin.h>
#include "../tests/sched/sim.h"
#include "hostpmu.h"

#define RUNS 5
#define DECISIONS 20000
#define HOST_BUDGET_NS 1e9
#define DOM_VCPUS 8

struct row {
    const char *policy;
    unsigned vcpus, pcpus;
    bool supported;
    double sched_ns, wake_ns, timer_ns, decision_ns;    /* medians over RUNS */
    double wakes_per_decision, sim_s, decisions;
    bool counted;                   /* host counters read in every run */
    double cycles, instructions;    /* per decision, whole window: medians over RUNS */
};

static struct hostpmu pmu;          /* opened once in main; !pmu.ok: no counters here */
static bool win_counted;            /* the last run_once's counter reads */
static double win_cycles, win_instructions;

static double host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double ns_per_tick;

/* TSC ticks per ns, against CLOCK_MONOTONIC over 200 ms. */
static void calibrate(void)
{
    double t0 = host_ns();
    uint64_t c0 = __rdtsc();
    while (host_ns() - t0 < 2e8)
        ;
    ns_per_tick = (host_ns() - t0) / (double)(__rdtsc() - c0);
}

/* What one timed op pays for its two TSC reads (ns): the median of many empty pairs. */
static double clock_overhead(void)
{
    double s[101];
    for (unsigned k = 0; k < 101; k++) {
        uint64_t sum = 0;
        for (unsigned i = 0; i < 10000; i++) {
            uint64_t a = __rdtsc();
            __asm__ volatile("" ::: "memory");
            sum += __rdtsc() - a;
        }
        s[k] = (double)sum / 10000 * ns_per_tick;
    }
    return median(s, 101);
}

/* Called once the warm-up is over: `make sched-bench-ir` zeroes callgrind's counts
 * here (--zero-before), so they cover the measured window only. */
static __attribute__((noinline)) void bench_window_open(void)
{
    __asm__ volatile("" ::: "memory");
}

/* One run; false if the machine does not fit the build. */
static bool run_once(const struct sched_ops *ops, unsigned vcpus, unsigned pcpus,
                     double host_budget_ns, bool teardown, uint64_t *trace_hash, double *sched_ns, double *wake_ns, double *timer_ns,
                     double *timer_calls, double *wakes, double *sim_s, double *decisions)
{
    unsigned nodes = pcpus >= 16 ? MIN(pcpus / 16, MAX_NUMNODES) : 1;
    struct sim_config c = { .nr_nodes = nodes, .cpus_per_node = pcpus / nodes, .seed = 1,
                            .audit_period = 0, .idle_bound = -1, .quiet = true,
                            .time_ops = true };
    if (!sim_init(ops, &c))
        return false;
    for (unsigned i = 0; i < vcpus / DOM_VCPUS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "d%u", i);
        struct sim_wl wl = i % 4 == 0 ? wl_cpu() : wl_io();
        sim_domain_start(sim_domain_create(name, DOM_VCPUS, i % nodes, wl));
    }
    sim_run_until(MILLISECS(100));
    bench_window_open();
    sim.sched_ticks = sim.wake_ticks = sim.timer_ticks = 0;
    sim.nr_sched = sim.nr_wake_ops = sim.nr_policy_timers = 0;
    s_time_t from = sim.now;
    hostpmu_start(&pmu);
    double host0 = host_ns();
    while (sim.nr_sched < DECISIONS && sim.now - from < MILLISECS(60000) &&
           host_ns() - host0 < host_budget_ns)
        sim_run_for(MICROSECS(100));
    uint64_t cyc, ins;
    win_counted = hostpmu_stop(&pmu, &cyc, &ins) && sim.nr_sched;
    win_cycles = win_counted ? (double)cyc / (double)sim.nr_sched : 0;
    win_instructions = win_counted ? (double)ins / (double)sim.nr_sched : 0;
    *sched_ns = (double)sim.sched_ticks * ns_per_tick / (double)sim.nr_sched;
    *wake_ns = sim.nr_wake_ops ?
               (double)sim.wake_ticks * ns_per_tick / (double)sim.nr_wake_ops : 0;
    /* Per decision, including their clock reads' cost: subtracted by the caller. */
    *timer_ns = (double)sim.timer_ticks * ns_per_tick / (double)sim.nr_sched;
    *timer_calls = (double)sim.nr_policy_timers / (double)sim.nr_sched;
    *wakes = (double)sim.nr_wake_ops / (double)sim.nr_sched;
    *sim_s = (double)(sim.now - from) / 1e9;
    *decisions = (double)sim.nr_sched;
    *trace_hash = sim.trace_hash;
    if (teardown)                   /* else the process ends: callgrind (--one) would
                                       count the decisions of the teardown */
        sim_fini();
    return true;
}

static void measure(struct row *r, const struct sched_ops *ops, double overhead)
{
    double s[RUNS], w[RUNS], tm[RUNS], tc[RUNS], d[RUNS], wk[RUNS], t[RUNS], n[RUNS];
    double cy[RUNS], in[RUNS];
    uint64_t hash;
    r->supported = true;
    r->counted = pmu.ok;
    for (unsigned k = 0; k < RUNS; k++) {
        if (!run_once(ops, r->vcpus, r->pcpus, HOST_BUDGET_NS, true, &hash, &s[k], &w[k], &tm[k], &tc[k], &wk[k], &t[k],
                      &n[k])) {
            r->supported = false;
            return;
        }
        s[k] = MAX(s[k] - overhead, 0.0);
        w[k] = MAX(w[k] - overhead, 0.0);
        tm[k] = MAX(tm[k] - tc[k] * overhead, 0.0);
        d[k] = s[k] + wk[k] * w[k] + tm[k];
        r->counted = r->counted && win_counted;
        cy[k] = win_cycles;
        in[k] = win_instructions;
    }
    r->cycles = r->counted ? median(cy, RUNS) : 0;
    r->instructions = r->counted ? median(in, RUNS) : 0;
    r->sched_ns = median(s, RUNS);
    r->wake_ns = median(w, RUNS);
    r->timer_ns = median(tm, RUNS);
    r->decision_ns = median(d, RUNS);
    r->wakes_per_decision = median(wk, RUNS);
    r->sim_s = median(t, RUNS);
    r->decisions = median(n, RUNS);
}

static void write_results(const char *dir, const struct row *rows, unsigned n,
                          double overhead)
{
    char path[512];
    struct utsname u;
    uname(&u);

    snprintf(path, sizeof(path), "%s/sched-scale.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "policy,vcpus,pcpus,supported,do_schedule_ns,wake_ns,wakes_per_decision,"
               "timers_ns_per_decision,decision_ns,decisions_per_run,simulated_s_per_run,"
               "host_cycles_per_decision,host_instructions_per_decision\n");
    for (unsigned i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        if (r->supported && !r->decisions)     /* nothing to divide by: empty cells */
            fprintf(f, "%s,%u,%u,1,,,,,,0,%.3f,,\n", r->policy, r->vcpus, r->pcpus,
                    r->sim_s);
        else if (r->supported) {
            fprintf(f, "%s,%u,%u,1,%.1f,%.1f,%.3f,%.1f,%.1f,%.0f,%.3f,", r->policy,
                    r->vcpus, r->pcpus, r->sched_ns, r->wake_ns, r->wakes_per_decision,
                    r->timer_ns, r->decision_ns, r->decisions, r->sim_s);
            if (r->counted)
                fprintf(f, "%.0f,%.0f\n", r->cycles, r->instructions);
            else
                fprintf(f, ",\n");     /* no counters: empty, never 0 */
        }
        else
            fprintf(f, "%s,%u,%u,0,,,,,,,,,\n", r->policy, r->vcpus, r->pcpus);
    }
    fclose(f);

    snprintf(path, sizeof(path), "%s/sched-scale.md", dir);
    f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "# Cost of a scheduling decision\n\n"
               "Generated by `make sched-bench` (bench/sched_scale.c); raw numbers in "
               "`sched-scale.csv`.\n\n"
               "**How measured: host wall time**, not path length: each policy file "
               "compiled unchanged with `-O2` on the host (%s %s, %s), driven by the "
               "scheduler simulator (tests/sched/). RDTSC around every call of the "
               "policy's `do_schedule` and `wake` ops, converted to ns by the TSC rate "
               "measured against clock_gettime(CLOCK_MONOTONIC), minus the cost of the "
               "two reads (%.1f ns, subtracted); one thread, so locks are never "
               "contended and caches stay warm. Each figure is the median of %d runs' "
               "means; a run is up to %d `do_schedule` calls (or 1 s of host time, or 60 "
               "s simulated) after 100 ms of simulated warm-up. *Policy timers*: "
               "the policy's own timer handlers (accounting, replenishment), per "
               "decision. *decision* = do_schedule + wakes/decision x wake + policy "
               "timers.\n\n"
               "Workload: domains of %d vCPUs, every fourth CPU-bound, the rest "
               "io-like (50-200 us bursts, 0.5-5 ms sleeps); 256 pCPUs are 8 NUMA "
               "nodes of 32, 64 pCPUs 4 nodes of 16 (distance 20), 4 pCPUs one node. "
               "Built with NR_CPUS=256 (the hypervisor itself: 64).\n\n",
            u.sysname, u.release, u.machine, overhead, RUNS, DECISIONS, DOM_VCPUS);
    if (pmu.ok)
        fprintf(f, "**Host counters** (perf_event_open, user space): cycles and "
                   "instructions per decision over each run's whole measured window "
                   "(the policy's ops and the simulator's own work), medians of %d runs: "
                   "see `sched-scale.csv` (host_cycles_per_decision, "
                   "host_instructions_per_decision).\n\n", RUNS);
    else
        fprintf(f, "**Host counters: not available on this host** (%s): wall time "
                   "only; `make sched-bench-ir` counts instructions with callgrind "
                   "instead.\n\n", pmu.why);
    fprintf(f, "| policy | vCPUs | pCPUs | do_schedule ns | wake ns | wakes/decision | "
               "policy timers ns/decision | decision ns | decisions/run |\n"
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (unsigned i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        if (r->supported && !r->decisions)
            fprintf(f, "| %s | %u | %u | no decision in %.0f s simulated | | | | | 0 |\n",
                    r->policy, r->vcpus, r->pcpus, r->sim_s);
        else if (r->supported)
            fprintf(f, "| %s | %u | %u | %.0f | %.0f | %.2f | %.0f | %.0f | %.0f |\n",
                    r->policy, r->vcpus, r->pcpus, r->sched_ns, r->wake_ns,
                    r->wakes_per_decision, r->timer_ns, r->decision_ns, r->decisions);
        else
            fprintf(f, "| %s | %u | %u | not supported: NR_CPUS=%u "
                       "| | | | | |\n", r->policy, r->vcpus, r->pcpus, NR_CPUS);
    }
    fclose(f);
}

/* --one: the counts callgrind's instructions are divided by. */
static int run_one(const char *policy, unsigned vcpus, unsigned pcpus)
{
    const struct sched_ops *ops;
    double s, w, tm, tc, wk, t, n;
    uint64_t hash;
    for (unsigned p = 0; (ops = sim_policy_nth(p)) != NULL; p++)
        if (!strcmp(ops->name, policy))
            break;
    if (!ops || pcpus > NR_CPUS || vcpus < DOM_VCPUS || !pcpus) {
        fprintf(stderr, "sched_scale --one: no policy %s, or %u vCPUs on %u pCPUs does not "
                "fit (NR_CPUS=%u, domains of %u vCPUs)\n", policy, vcpus, pcpus, NR_CPUS,
                DOM_VCPUS);
        return 2;
    }
    ns_per_tick = 1;        /* the times are not the point here: callgrind counts */
    if (!run_once(ops, vcpus, pcpus, 1e300, false, &hash, &s, &w, &tm, &tc, &wk, &t, &n))
        return 2;
    /* The hash of every decision (sim.trace_hash): a change made for speed alone
     * must leave it as it was. */
    printf("policy=%s vcpus=%u pcpus=%u decisions=%.0f wakes=%.0f timers=%.0f "
           "trace_hash=%016llx\n", policy, vcpus, pcpus, n, wk * n, tc * n,
           (unsigned long long)hash);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "--one"))
        return run_one(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
    static const unsigned vcpus[] = { 16, 256, 4096 }, pcpus[] = { 4, 64, 256 };
    static struct row rows[64];
    const struct sched_ops *ops;
    unsigned n = 0;
    calibrate();
    double overhead = clock_overhead();
    if (hostpmu_open(&pmu))
        printf("sched-scale: host counters: cycles and instructions per decision "
               "(perf_event_open, user space, whole measured window: ops + simulator)\n");
    else
        printf("sched-scale: host counters: NOT available on this host: %s; wall time "
               "only\n", pmu.why);

    printf("sched-scale: host wall time per op (RDTSC, %.3f ns/tick), median of %d runs "
           "of up to %d decisions; TSC reads (%.1f ns) subtracted\n", ns_per_tick, RUNS,
           DECISIONS, overhead);
    printf("%-8s %6s %6s %14s %10s %9s %10s %12s %9s%s\n", "policy", "vCPUs", "pCPUs",
           "do_schedule ns", "wake ns", "wakes/dec", "timers ns", "decision ns", "decisions",
           pmu.ok ? "   cycles/dec    instr/dec" : "");
    for (unsigned p = 0; (ops = sim_policy_nth(p)) != NULL; p++) {
        if (argc > 2 && strcmp(argv[2], ops->name))
            continue;
        for (unsigned i = 0; i < ARRAY_SIZE(vcpus); i++)
            for (unsigned j = 0; j < ARRAY_SIZE(pcpus); j++) {
                if (vcpus[i] < pcpus[j])
                    continue;
                struct row *r = &rows[n++];
                *r = (struct row){ .policy = ops->name, .vcpus = vcpus[i], .pcpus = pcpus[j] };
                if (pcpus[j] > NR_CPUS)
                    r->supported = false;
                else
                    measure(r, ops, overhead);
                if (r->supported) {
                    printf("%-8s %6u %6u %14.0f %10.0f %9.2f %10.0f %12.0f %9.0f",
                           r->policy, r->vcpus, r->pcpus, r->sched_ns, r->wake_ns,
                           r->wakes_per_decision, r->timer_ns, r->decision_ns, r->decisions);
                    if (r->counted)
                        printf(" %12.0f %12.0f", r->cycles, r->instructions);
                    else if (pmu.ok)
                        printf("   counts partial (multiplexed): not shown");
                    printf("\n");
                } else
                    printf("%-8s %6u %6u   not supported: NR_CPUS=%u\n", r->policy,
                           r->vcpus, r->pcpus, NR_CPUS);
                fflush(stdout);
            }
    }
    hostpmu_close(&pmu);
    if (argc > 1) {
        write_results(argv[1], rows, n, overhead);
        printf("wrote %s/sched-scale.csv and %s/sched-scale.md\n", argv[1], argv[1]);
    }
    return 0;
}
