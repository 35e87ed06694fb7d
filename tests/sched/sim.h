/* The scheduler simulator: a policy file (sched/<policy>.c) and the generic core
 * (sched/core.c, sched/cpupool.c), all compiled unchanged on the host, on a simulated
 * machine: N pCPUs in nodes with SLIT-style distances, CPU pools, domains of vCPUs
 * running synthetic workloads, and one event queue (the core's own timer heap,
 * core/lib/timerq.c, so equal deadlines run FIFO and every run is deterministic).
 *   fake_arch.c the arch under the core: per-CPU data, current, IPIs, context
 *               switch, waiting for other pCPUs, cross-CPU calls (STYLE 17)
 *   simops.c    the checks, clocks and accounting hooks around every policy op
 *   simhost.c   the rest of the hypervisor the core and a policy reach: timers,
 *               NOW(), heap, printk, topology, the domain list
 *   sim.c       set-up, the event loop, the toolstack's operations
 *   simstats.c  what each vCPU got, and the audits
 *   workloads.c what the guests do
 *
 * Model: time is virtual (NOW() is the time of the event being run). Every event is
 * a struct timer and runs "on" the pCPU in timer->cpu; after it, that pCPU runs its
 * pending schedule softirq, as a real CPU does on interrupt exit. sched_raise() of
 * another pCPU is an IPI: an event on that pCPU at now + ipi_latency. A vCPU consumes
 * its work only while it runs; scheduling costs no time unless decision_cost is set.
 * The toolstack (pause, affinity, adjust, domains, pools) acts from a control context
 * on pCPU 0 whose `current` is dom0's vCPU, a vCPU the simulation does not schedule
 * (fake_arch.c); its operations are called between runs, never from an event, and end
 * with pCPU 0's softirqs (dom0's hypercall returning). A guest's own hypercalls
 * (yield, block, pinning itself) run on its pCPU as its `current`.
 *
 * One simulation exists at a time (the core's state is global, as in the hypervisor):
 * sim_init() .. sim_fini().
 *
 * Checks (simops.c, fake_arch.c, simstats.c). Fatal, as in the hypervisor (the process
 * aborts with the reason): the core's ASSERTs (a chosen vCPU running elsewhere, or
 * queued for another pCPU; an op called without the lock sched/ops.h says it holds),
 * pick_cpu called with a lock held, an op that leaves a scheduler lock held or
 * releases the core's, a pCPU rescheduling without end at one instant, a pCPU
 * waiting a second for a vCPU to leave another pCPU. Recorded as
 * violations, which tests require to be zero: do_schedule choosing a vCPU that is
 * not runnable since its sleep op, outside its hard affinity, or of another pool;
 * pick_cpu outside affinity or pool; a lock pointer changed outside alloc_pdata;
 * allocation in an op run with a lock held; is_running and runstate disagreeing; a
 * vCPU left on a pCPU outside its pool; a runnable vCPU not run for starve_bound;
 * a pCPU idle for idle_bound while a runnable vCPU of a work-conserving domain (not
 * `throttled`) that may run there waits. */
#ifndef HVLAB_TESTS_SCHED_SIM_H
#define HVLAB_TESTS_SCHED_SIM_H

#include <hvlab/domain.h>
#include <hvlab/time.h>
#include <hvlab/timerq.h>
#include <hvlab/topology.h>
#include <public/domctl.h>
#include "../../sched/private.h"

#define SIM_FOREVER INT64_MAX
#define SIM_MAX_POOLS 4

/* ---- policies: registered as in the hypervisor (REGISTER_SCHEDULER), into the
 * ".schedulers" section, whose bounds tests/sched/sections.ld gives the host link. */
const struct sched_ops *sim_policy_find(const char *name);
const struct sched_ops *sim_policy_nth(unsigned i);   /* NULL past the last */

/* ---- workloads (workloads.c) ---- */
enum sim_wl_kind {
    WL_CPU,         /* always has work, never blocks */
    WL_PERIODIC,    /* a job of `work` every `period` (implicit deadline); blocks when done */
    WL_BURSTY,      /* runs U[on_min,on_max], blocks U[off_min,off_max], repeat */
    WL_IO,          /* bursty with short bursts and short sleeps (io-like) */
};
struct sim_wl {
    enum sim_wl_kind kind;
    s_time_t period, work;                      /* WL_PERIODIC */
    s_time_t on_min, on_max, off_min, off_max;  /* WL_BURSTY, WL_IO: run, then sleep */
};
struct sim_wl wl_cpu(void);
struct sim_wl wl_periodic(s_time_t period, s_time_t work);
struct sim_wl wl_bursty(void);                  /* on 1-20 ms, off 1-20 ms */
struct sim_wl wl_io(void);                      /* on 50-200 us, off 0.5-5 ms */

/* ---- the machine and the run ---- */
struct sim_config {
    unsigned nr_nodes, cpus_per_node;           /* pCPU c is on node c / cpus_per_node */
    uint8_t remote_distance;                    /* SLIT distance between nodes; 0: 20 */
    uint64_t seed;                              /* workloads' random streams */
    s_time_t ipi_latency;                       /* remote sched_raise -> its softirq */
    s_time_t decision_cost;                     /* per schedule(), taken from the vCPU */
    s_time_t audit_period;                      /* invariant audits; 0: none */
    s_time_t starve_bound;                      /* 0: 1 s */
    s_time_t idle_bound;                        /* 0: 100 ms; < 0: no idle check */
    bool quiet;                                 /* violations counted, not printed */
    bool time_ops;                              /* clock do_schedule and wake (bench) */
};

struct sim_vstats {
    s_time_t run;                               /* running, in the stats window */
    s_time_t away;                              /* ... of which off its home nodes */
    s_time_t max_wait;                          /* longest runnable-but-not-running */
    uint64_t switches, migrations, wakes;       /* switched in; on another pCPU; woken */
    uint64_t jobs, misses;                      /* WL_PERIODIC: done; late or overdue */
    s_time_t *lat;                              /* wake-to-run latencies (wakes of them) */
    size_t nr_lat, cap_lat;
};

struct sim_dom;
struct sim_vcpu {
    struct vcpu v;
    struct sim_dom *sd;
    unsigned index;                             /* in sim.vcpus */
    /* Workload (workloads.c). */
    struct sim_wl wl;
    uint64_t rng;
    bool in_unit;                               /* has a burst or job to work on */
    s_time_t rem;                               /* work left in it (SIM_FOREVER: WL_CPU) */
    s_time_t work_from;                         /* running: work counts from here */
    struct timer burst_timer;                   /* running: when rem runs out */
    bool started;                               /* wl_start() ran */
    s_time_t t0;                                /* WL_PERIODIC: release of job 0 */
    uint64_t job;                               /* WL_PERIODIC: index of the next job */
    s_time_t lat_from;                          /* woken by its workload at; < 0: none */
    /* Accounting (simstats.c). */
    struct sim_vstats st;
    s_time_t run_from;                          /* running: since (window-clipped) */
    unsigned last_cpu;
    bool has_run;
    s_time_t reported;                          /* audits: wait already reported */
    bool asleep;                                /* the sleep op ran, no wake op since */
};

struct sim_dom {
    struct domain d;
    unsigned home_mask;                         /* nodes counted as home; 0: no home */
    bool throttled;                             /* cap or RT budget: may wait while idle */
};

struct sim_cpu_stats {
    s_time_t busy;                              /* running a non-idle vCPU, in the window */
    uint64_t decisions, switches;
};

struct sim {
    struct sim_config cfg;
    const struct sched_ops *ops;
    unsigned nr_pools;                          /* pool 0 (cpupool0): every pCPU at boot */
    char last_error[160];                       /* the last LOG_ERR line printed */
    unsigned nr_cpus;
    s_time_t now, window_from;

    /* Executing context: which pCPU's code runs; the control context is pCPU 0. */
    unsigned cpu;
    bool in_control;
    bool in_pool_op;                            /* a pCPU is changing pools */
    unsigned locked_ops;                        /* > 0: inside an op run with a lock held */

    struct timerq q;                            /* every event */
    struct timer **heap;
    struct timer kick[NR_CPUS];                 /* the IPI that runs a pCPU's softirq */
    struct timer audit;
    struct sim_cpu_stats cs[NR_CPUS];
    unsigned same_time_scheds[NR_CPUS];         /* livelock guard */
    s_time_t waste_since[NR_CPUS];              /* audits: idle while work waits, since */
    s_time_t last_sched_time[NR_CPUS];

    struct sim_dom **doms;
    unsigned nr_doms, cap_doms;
    struct sim_vcpu **vcpus;
    unsigned nr_vcpus, cap_vcpus;
    domid_t next_domid;

    /* Results. */
    unsigned violations;
    uint64_t trace_hash;                        /* FNV-1a over every decision */
    s_time_t max_slice;                         /* longest slice given to a vCPU */
    uint64_t nr_sched, nr_wake_ops;
    uint64_t sched_ticks, wake_ticks;           /* time_ops: host TSC inside the ops */
    uint64_t timer_ticks, nr_policy_timers;     /* ... and in the policy's own timers */
    s_time_t last_slice[NR_CPUS];               /* diagnostics */
};
extern struct sim sim;

/* Sets up the machine and the policy (ops->init, alloc_pdata per pCPU, in boot
 * order); false if the policy is refused (a required op missing). */
bool sim_init(const struct sched_ops *ops, const struct sim_config *cfg);
void sim_fini(void);                            /* destroys everything, frees all */

/* Runs events up to and including time t; then NOW() == t. */
void sim_run_until(s_time_t t);
static inline void sim_run_for(s_time_t dt) { sim_run_until(sim.now + dt); }

/* ---- the toolstack's operations, as the hypervisor performs them ---- */
/* A paused domain of n vCPUs (vCPU i on pCPU i % nr_cpus, as domain_create does).
 * home_node: NUMA_NO_NODE or a node (also d->home_node and node_pages). */
struct sim_dom *sim_domain_create(const char *name, unsigned n, unsigned home_node,
                                  struct sim_wl wl);
void sim_domain_start(struct sim_dom *sd);       /* vCPUs up, domain unpaused */
void sim_domain_destroy(struct sim_dom *sd);
void sim_domain_pause(struct sim_dom *sd);
void sim_domain_unpause(struct sim_dom *sd);
/* CPU pools, as sched/cpupool.c does it: a new instance of a policy; a pCPU out of
 * its pool (its vCPUs moved first; -EBUSY for pCPU 0, where the caller runs) and
 * into a pool; a domain into another pool. */
struct cpupool *sim_pool_create(const struct sched_ops *ops);
int sim_pool_rm_cpu(struct cpupool *p, unsigned cpu);
int sim_pool_add_cpu(struct cpupool *p, unsigned cpu);
int sim_pool_move_domain(struct cpupool *p, struct sim_dom *sd);
/* DOMCTL_scheduler_op: every field is the caller's (simtest.h has named helpers). */
int sim_adjust(struct sim_dom *sd, struct domctl_scheduler_op *op);
int sim_set_affinity(struct sim_vcpu *sv, const cpumask_t *hard, const cpumask_t *soft);
void sim_vcpu_pause(struct sim_vcpu *sv);
void sim_vcpu_unpause(struct sim_vcpu *sv);
/* Guest actions of a running vCPU, on its pCPU: SCHEDOP_yield, SCHEDOP_block, and
 * pinning itself (`xl vcpu-pin` run by dom0 on dom0's own vCPU); false if it is not
 * running (nothing done). */
bool sim_guest_yield(struct sim_vcpu *sv);
bool sim_guest_block(struct sim_vcpu *sv);
bool sim_guest_pin_self(struct sim_vcpu *sv, const cpumask_t *hard, int *rc);
void sim_kick(struct sim_vcpu *sv);              /* an event: unblock and wake */

/* ---- results ---- */
void sim_stats_reset(void);                      /* the window starts now */
const struct sim_vstats *sim_vstats(struct sim_vcpu *sv);   /* up to now */
s_time_t sim_dom_run(const struct sim_dom *sd);  /* sum over its vCPUs, in the window */
s_time_t sim_cpu_busy(unsigned cpu);
s_time_t sim_lat_quantile(const struct sim_vstats *st, double q);   /* -1: no samples */
void sim_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline struct sim_vcpu *sim_v(const struct vcpu *v)
{
    return container_of(v, struct sim_vcpu, v);
}
static inline struct sim_vcpu *sim_dv(struct sim_dom *sd, unsigned i)
{
    return sim_v(sd->d.vcpus[i]);
}

/* ---- between the simulator's files ---- */
/* cpupool.c's entries for sysctl and domctl (declared by core/sysctl.c and
 * core/domctl.c; sched_adjust, params.c's, is in sched/private.h). */
struct sysctl_cpupool_op;
long cpupool_op(struct sysctl_cpupool_op *op);
struct cpupool *cpupool_by_id(unsigned id);
/* fake_arch.c */
void sim_arch_init(void);
void sim_arch_start_cpus(void);                  /* sched_init_cpu on each, in order */
void sim_arch_fini(void);
void sim_set_cpu(unsigned cpu, bool control);    /* whose code runs now */
void sim_softirq(void);                          /* do_softirq on the executing pCPU */
void sim_control_done(void);                     /* the control context's op ends */
bool sim_kick_timer(const struct timer *t);       /* an IPI's event */
/* simops.c */
const struct sched_ops *sim_ops_wrap(const struct sched_ops *policy);
void sim_ops_reset(void);
/* simstats.c: what the core's decisions and switches do to the accounting; audits. */
void sim_audit(void *data);
void sim_switched(unsigned cpu, struct vcpu *prev, struct vcpu *next, s_time_t now);
void sim_decided(unsigned cpu, struct vcpu *prev, struct vcpu *next, s_time_t slice);
/* simhost.c */
void sim_machine_init(void);
/* workloads.c */
void wl_init(struct sim_vcpu *sv, unsigned cpu);
void wl_fini(struct sim_vcpu *sv);
bool wl_timer(const struct timer *t);             /* one of a vCPU's timers */
void wl_start(struct sim_vcpu *sv, s_time_t now);
void wl_switch_in(struct sim_vcpu *sv, unsigned cpu, s_time_t now);
void wl_switch_out(struct sim_vcpu *sv, s_time_t now);
void wl_recharge(struct sim_vcpu *sv, s_time_t now);   /* kept running: pay decision_cost */
uint64_t wl_overdue_jobs(const struct sim_vcpu *sv, s_time_t now);
uint64_t sim_rand(uint64_t *state);
s_time_t sim_rand_range(uint64_t *state, s_time_t lo, s_time_t hi);

#endif
