/* The scheduler policy interface. A policy is one file that defines a const
 * struct sched_ops and registers it with REGISTER_SCHEDULER(); the core (sched/core.c)
 * finds it by name (sched= on the boot line) and never looks inside its data.
 *
 * Locking: each pCPU has a scheduler lock, *sched_lock(cpu). The core takes the lock
 * of v->processor before any per-vCPU op, and of `cpu` before do_schedule. A policy
 * with a runqueue shared by several pCPUs may point their lock pointers at one lock
 * (sr->lock) in alloc_pdata, so that "the lock of v->processor" guards its queue. A
 * vCPU's `processor` changes only with the locks of both the old and the new pCPU
 * held. Ops run with interrupts disabled and must not sleep or allocate, except the
 * alloc_ and free_ ops, which may allocate and run with no scheduler lock held, but
 * for alloc_pdata (see it). The core calls every op through sched/ops.h, which gives
 * optional ops their default and ASSERTs the lock each op is promised; the host
 * testbed also checks, around every op, that exactly those locks are held. */
#ifndef HVLAB_SCHED_PRIVATE_H
#define HVLAB_SCHED_PRIVATE_H

#include <hvlab/domain.h>
#include <hvlab/percpu.h>
#include <hvlab/sched.h>
#include <hvlab/spinlock.h>
#include <hvlab/timer.h>
#include <public/domctl.h>
#include <public/sysctl.h>

struct scheduler;

/* A parameter a policy declares (STYLE 18): dom0's xl (sched-set, sched-get, the
 * keys of a domain's config file), the harness's experiment files, the simulator's
 * property tests and the docs all read these, and nothing else names a policy's
 * parameters. The core checks a value against [min, max] before the policy sees it;
 * rules that tie parameters together (budget <= period) are the policy's. */
struct sched_param {
    const char *name;                   /* the key: [a-z][a-z0-9_]*, < SCHED_NAME_LEN */
    const char *unit;                   /* "us", "%", "" (< 8 characters) */
    const char *doc;                    /* one line: what it does */
    unsigned type;                      /* SCHED_PARAM_INT, _BOOL, _NODES (public/sysctl.h) */
    unsigned flags;                     /* SCHED_PARAM_PER_VCPU, SCHED_PARAM_LIMITS */
    uint64_t min, max, dflt;            /* dflt: what a new domain (vCPU) starts with */
};

/* A counter a policy keeps per domain (summed over its vCPUs), read with the
 * parameters: xl sched-get prints it, tests compare it with what they measured. */
struct sched_counter {
    const char *name;
    const char *unit;
    const char *doc;
};

/* In a sched_ops initialiser: .params and .nr_params from one array. */
#define SCHED_PARAMS(arr)   .params = (arr), .nr_params = ARRAY_SIZE(arr)
#define SCHED_COUNTERS(arr) .counters = (arr), .nr_counters = ARRAY_SIZE(arr)

/* What do_schedule decides: the vCPU to run next and for how long (ns; < 0: until
 * something else makes this pCPU reschedule). */
struct task_slice {
    struct vcpu *task;
    s_time_t time;
};

/* Per-pCPU scheduling state owned by the core. */
struct sched_resource {
    spinlock_t *lock;                   /* the lock guarding this pCPU's scheduling */
    spinlock_t _lock;                   /* default target of `lock` */
    struct timer s_timer;               /* end of the current slice */
    bool slice_ended;                   /* s_timer fired, no decision since (trace) */
    struct scheduler *sched;            /* policy instance of this pCPU's pool */
    void *priv;                         /* the policy's per-pCPU data */
};

struct sched_ops {
    const char *name;                   /* what sched= selects */
    const char *desc;                   /* one line for the boot log */
    unsigned flags;                     /* SCHED_F_*: promises it does not make */
    /* Trace subclass of the policy's own events (TRC_POLICY), and the number
     * SYSCTL_scheduler_op names the pool's policy by: 1..255, unique among
     * the policies (checked at boot); 0 if it emits none. */
    unsigned sched_id;

    /* Declarations (optional): what the policy lets dom0 set per domain or per vCPU,
     * and what it counts. Checked at boot (sched_params_valid). */
    const struct sched_param *params;
    unsigned nr_params;                 /* <= SCHED_NR_PARAMS */
    const struct sched_counter *counters;
    unsigned nr_counters;               /* <= SCHED_NR_COUNTERS */

    /* ---- Lifetime of private data; no scheduler lock held, may allocate. ---- */
    /* Required. A new instance (a pool): set s->priv. */
    int (*init)(struct scheduler *s);
    void (*deinit)(struct scheduler *s);
    /* Required. Per-pCPU data, and taking the pCPU into the instance (may redirect
     * sr->lock to a shared lock). Called on the pCPU itself, interrupts off, with
     * its own default lock (&sched_res(cpu)->_lock, where sr->lock points) held and
     * the pCPU not yet in s->cpus: as it starts (sched_init_cpu) and when it joins a
     * pool (cpupool_attach_here). It may allocate and may take the instance's own
     * locks (they nest inside that one); the only scheduler lock held is that one. */
    void *(*alloc_pdata)(struct scheduler *s, unsigned cpu);
    void (*free_pdata)(struct scheduler *s, void *pd, unsigned cpu);
    /* Per-domain and per-vCPU data; NULL ops mean "no such data". */
    void *(*alloc_domdata)(struct scheduler *s, struct domain *d);
    void (*free_domdata)(struct scheduler *s, void *dd);
    void *(*alloc_vdata)(struct scheduler *s, struct vcpu *v, void *dd);   /* may set
                                        * v->processor (in its pool): v is not seen yet */
    void (*free_vdata)(struct scheduler *s, void *vd);

    /* ---- vCPU membership; v->processor's lock held. ---- */
    /* Optional. v joins / leaves the instance (not runnable at that moment). */
    void (*insert_vcpu)(struct scheduler *s, struct vcpu *v);
    void (*remove_vcpu)(struct scheduler *s, struct vcpu *v);

    /* ---- State changes; v->processor's lock held, any CPU. ---- */
    /* Required. v became runnable and is not running: queue it, and sched_raise()
     * any pCPU that should now reschedule (to run it, or to steal it). May be called
     * for a vCPU that is already queued: then it does nothing. */
    void (*wake)(struct scheduler *s, struct vcpu *v);
    /* Required. v stopped being runnable: dequeue it if queued; if it is running,
     * sched_raise(v->processor) so that the pCPU switches away. */
    void (*sleep)(struct scheduler *s, struct vcpu *v);
    /* Optional. The running vCPU v asks to give way (SCHEDOP_yield). */
    void (*yield)(struct scheduler *s, struct vcpu *v);

    /* ---- Decisions. ---- */
    /* Required. On `cpu`, its lock held: choose what runs next. A pCPU that is
     * leaving the pool (no longer in s->cpus) must take no new work: return its idle
     * vCPU. `prev` is the vCPU
     * running now (maybe idle, maybe no longer runnable); a runnable prev that is not
     * chosen must stay queued. The chosen vCPU must not be running on another pCPU
     * (is_running false, or == prev); if it was queued for another pCPU the policy
     * moves it here (it holds that pCPU's lock, or steals with spin_trylock). */
    struct task_slice (*do_schedule)(struct scheduler *s, unsigned cpu,
                                     struct vcpu *prev, s_time_t now);
    /* Optional. After prev has left `cpu` (context switch done), its lock held. */
    void (*context_saved)(struct scheduler *s, struct vcpu *prev);
    /* Optional. The pCPU v should be placed on now (affinity changes, pool changes,
     * a pCPU leaving the pool); must return a CPU in v's hard affinity and in the
     * instance. Called from vcpu_migrate_paused, on any CPU, with NO scheduler lock
     * held (it may read per-pCPU state racily, or take locks itself): v is neither
     * running nor queued (paused, or just switched out with VPF_migrating). Without
     * it v stays on its pCPU if allowed, else goes to the first allowed one. */
    unsigned (*pick_cpu)(struct scheduler *s, struct vcpu *v);
    /* ---- Parameters; no scheduler lock held (take the policy's own), any CPU. ---- */
    /* Required when params are declared. val[i] := parameter i of d (per-vCPU ones:
     * of vCPU `vcpu`, an existing vCPU of d), cnt[i] := counter i, summed over d's
     * vCPUs. The arrays come zeroed. */
    int (*get_params)(struct scheduler *s, struct domain *d, unsigned vcpu,
                      uint64_t *val, uint64_t *cnt);
    /* Required when params are declared. Set the parameters whose bit is in mask to
     * val[i], each already within its declared range; the others keep their values.
     * Per-vCPU ones: of vCPU `vcpu` or of every vCPU (SCHED_ALL_VCPUS). Check rules
     * between parameters for every targeted vCPU before changing any (-EINVAL). */
    int (*set_params)(struct scheduler *s, struct domain *d, unsigned vcpu,
                      unsigned mask, const uint64_t *val);
    /* Optional. Get or set the instance's own parameters as a whole, which no
     * declaration describes (arinc653's timetable: SYSCTL_scheduler_op on its pool);
     * no scheduler lock held, cpupool_lock held (the pool stays). */
    int (*adjust_global)(struct scheduler *s, struct sysctl_scheduler_op *op);
};

/* sched_ops.flags: what a policy deliberately does not do, so that tests and tools
 * ask the policy instead of keeping lists of names. 0: it time-shares every pCPU
 * among the runnable vCPUs that may run there, and never idles a pCPU such a vCPU
 * could use. */
#define SCHED_F_NO_TIMESHARE   (1u << 0)  /* a pCPU runs one vCPU; the rest wait */
#define SCHED_F_TIME_TABLE     (1u << 1)  /* a fixed timetable: pCPUs idle outside a
                                           * domain's windows, even with work waiting */

struct scheduler {
    const struct sched_ops *ops;
    void *priv;
    cpumask_t cpus;                     /* pCPUs of this instance */
};

/* A CPU pool: a scheduler instance with its pCPUs and domains (sched/cpupool.c).
 * Pools are created, filled and emptied by dom0 (sysctl); the list and every pool's
 * membership change only under cpupool_lock, which is never taken by the scheduler
 * itself. */
struct cpupool {
    unsigned id;
    char name[16];
    struct scheduler sched;
    unsigned n_domains;
    struct cpupool *next;
};
extern struct cpupool *cpupool0;

/* sched/params.c: the generic side of the declarations. */
/* Whether o's declarations are well formed (names, ranges, ops); says why if not. */
bool sched_params_valid(const struct sched_ops *o);
/* DOMCTL_scheduler_op: checks op against the pool policy's declarations, then calls
 * its get_params / set_params. */
int sched_adjust(struct domain *d, struct domctl_scheduler_op *op);
/* The declarations of o in the ABI's form (SYSCTL_sched_decls). */
void sched_decls_fill(const struct sched_ops *o, struct sysctl_sched_decls *out);
/* The index of o's parameter called name, or -1. */
int sched_param_index(const struct sched_ops *o, const char *name);

/* sched/core.c, for sched/cpupool.c */
const struct sched_ops *sched_find(const char *name);
bool sched_ops_complete(const struct sched_ops *o);     /* logs what is missing */
int sched_init_policy(const struct sched_ops *o);
int sched_alloc_vcpu(struct vcpu *v, unsigned cpu);
void sched_free_vcpu(struct vcpu *v);
void vcpu_migrate_paused(struct vcpu *v);
/* sched/cpupool.c, for sched/core.c */
struct cpupool *cpupool_create_boot(const struct sched_ops *o);
void cpupool_teardown(void);

/* Registration: one line at the end of the policy's file. */
#define REGISTER_SCHEDULER(ops_)                                               \
    static const struct sched_ops *const __sched_reg_##ops_                   \
    __attribute__((used, section(".schedulers"))) = &(ops_)

/* Core services for policies. */
static inline struct sched_resource *sched_res(unsigned cpu) { return per_cpu(cpu)->sched; }
static inline spinlock_t *sched_lock(unsigned cpu) { return sched_res(cpu)->lock; }
static inline void *sched_pdata(unsigned cpu) { return sched_res(cpu)->priv; }
struct vcpu *sched_idle_vcpu(unsigned cpu);
bool sched_cpu_is_idle(unsigned cpu);           /* running its idle vCPU */

#endif
