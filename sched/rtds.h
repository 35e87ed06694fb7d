/* The rtds policy's private types and the functions its two files share: sched/rtds.c
 * (the servers, replenishment, decisions, parameters, the ops table) and
 * sched/rtds_queue.c (the ordered queues and the choice of a pCPU to raise). Both are
 * compiled together in the host testbed (tests/unit/sched.mk includes a policy's
 * sched/<policy>_*.c companions with it). Design, locking and cost: sched/rtds.c. */
#ifndef HVLAB_SCHED_RTDS_H
#define HVLAB_SCHED_RTDS_H

#include <hvlab/rbtree.h>
#include <hvlab/time.h>
#include <hvlab/timer.h>
#include "private.h"

#define RT_DEFAULT_PERIOD MILLISECS(10)
#define RT_DEFAULT_BUDGET MILLISECS(4)
#define RT_MIN_TIME       MICROSECS(10)      /* smallest period or budget (Xen's) */
#define RT_MAX_PERIOD     MILLISECS(10000)
#define RT_EXTRA_SLICE    MILLISECS(1)       /* slice of a vCPU on extratime */
#define RT_MISS_SLACK     MICROSECS(50)      /* shortfalls this small are wake latency */

/* Where a vCPU is (rt_vcpu.flags). */
#define RT_ON_RUNQ     (1u << 0)
#define RT_ON_DEPLETED (1u << 1)
#define RT_ON_REPLQ    (1u << 2)             /* in replq: active, its period end timed */
#define RT_RUNNING     (1u << 3)             /* chosen by do_schedule of rt_vcpu.cpu */
#define RT_CURR        (1u << 4)             /* some pCPU's curr: in rt_priv.currs */
#define RT_ON_EXTRAQ   (1u << 5)             /* on runq, in its extratime part (extraq) */
#define RT_ACTIVE      (1u << 6)             /* active server: runnable (queued or running);
                                             * in replq unless a period of it ended while
                                             * it waited on runq with budget */

/* The budget part of the runqueue, one class per distinct period among its members
 * (sched/rtds.c: Design). Each vCPU brings one rt_class to the instance's pool
 * (alloc_vdata) and takes one back (free_vdata), so nothing allocates under the lock.
 * A class in the set has a member, but for the hint, which may stay there empty
 * (parked); so the classes in the set number at most the vCPUs queued with budget
 * plus one, and when the pool is empty the parked hint is free to take. */
struct rt_class {
    s_time_t period;
    struct rb_tree q;                   /* members by phase, FIFO among equal phases */
    struct rb_node node;                /* in rt_priv.classes, by period */
    unsigned nr;                        /* members */
    struct rb_node *cursor;             /* rt_runq_walk: the member it looks at next */
    unsigned left;                      /* rt_runq_walk: members not yet looked at */
    struct rt_class *next_free;         /* in rt_priv.free_classes */
};

struct rt_vcpu {
    struct vcpu *v;
    /* All below: guarded by the instance lock. */
    s_time_t deadline;                  /* end of the current period; 0: none yet. On
                                         * runq: maybe ended periods ago (rt_deadline_at) */
    s_time_t cur_budget;                /* left in this period; 0 once spent */
    /* A class's key is phase: just before q's tree links, so that a step of a descent
     * reads one cache line, not two. */
    s_time_t phase;                     /* deadline % period, while on runq with budget */
    struct rb_node q;                   /* in its class's tree (runq, budget part) */
    uint64_t seq;                       /* when queued there: FIFO among equal deadlines */
    struct list_head dq;                /* in depletedq or extraq */
    struct rb_node repl;                /* in replq */
    unsigned flags;                     /* RT_* */
    unsigned cpu;                       /* pCPU running it, when RT_RUNNING */
    s_time_t period, budget;            /* parameters, ns */
    bool extratime;
    s_time_t last_start;                /* since when it runs, when RT_RUNNING */
    s_time_t wait_start;                /* since when it is on runq */
    s_time_t waited;                    /* this period, since the last wake: on runq with budget */
    uint64_t misses;
    struct rt_class *cls;               /* its class, while on runq with budget */
};

struct rt_pcpu {
    struct rt_vcpu *curr;               /* what do_schedule chose; NULL: idle. Instance lock */
    s_time_t key;                       /* currs's key: curr's priority (rt_currs_insert) */
    struct rb_node node;                /* in currs while curr is set */
};

struct rt_priv {
    struct scheduler *s;                /* s->cpus: the pool's pCPUs (cpupool_lock) */
    spinlock_t lock;                    /* every pCPU's sched_lock points here */
    /* All below: guarded by lock. */
    /* The runqueue: vCPUs with budget by deadline, FIFO among equals (runq: the
     * classes, one per period), then those on extratime in arrival order (extraq):
     * all of extraq ties, so a list. */
    struct rb_tree classes;             /* by period */
    struct rt_class *hint;              /* the class last queued into; may be empty */
    struct rt_class *free_classes;      /* one per vCPU, less those in use */
    uint64_t seq;                       /* the last rt_vcpu.seq given */
    struct list_head extraq;
    struct list_head depletedq;         /* no budget, no extratime: wait for the period end */
    /* Active servers by deadline, FIFO among equals, but for those whose period
     * ended while they waited on runq with budget (rt_catch_up ends their later
     * periods): the period ends the timer is for. */
    struct rb_tree replq;
    uint64_t period_ends;               /* taken one by one from replq (and at activation) */
    uint64_t catch_ups;                 /* rt_catch_up calls that ended periods */
    struct rb_tree currs;               /* the busy pCPUs (pcpu[].node), by their curr's
                                         * priority, worst last */
    cpumask_t busy;                     /* pCPUs whose curr is set */
    cpumask_t tickled;                  /* raised by us and not rescheduled yet */
    struct rt_pcpu pcpu[NR_CPUS];
    struct timer repl_timer;            /* at the first deadline of replq */
    bool timer_ready;                   /* repl_timer initialised (first alloc_pdata) */
};

static inline struct rt_priv *rt_priv(const struct scheduler *s) { return s->priv; }
static inline struct rt_vcpu *rt_vcpu(const struct vcpu *v) { return v->sched_priv; }

/* The pool's pCPUs. A pCPU leaves this mask before it leaves the policy: from then on
 * it gets no new work. Changed under cpupool_lock, so read word by word. */
static inline cpumask_t rt_cpus(const struct rt_priv *prv)
{
    return cpumask_load(&prv->s->cpus);
}

static inline bool rt_may_run_on(const struct rt_vcpu *svc, unsigned cpu)
{
    return cpumask_test(&svc->v->cpu_hard_affinity, cpu);
}

/* The end of svc's period that contains now (> now): svc->deadline moved on by the
 * whole periods that ended while it waited on runq with budget (rt_catch_up writes
 * it back). */
static inline s_time_t rt_deadline_at(const struct rt_vcpu *svc, s_time_t now)
{
    if (svc->deadline > now)
        return svc->deadline;
    return svc->deadline + ((now - svc->deadline) / svc->period + 1) * svc->period;
}

/* At most one class on runq's budget part (classes have distinct keys: no ring). */
static inline bool rt_runq_one_class(const struct rt_priv *prv)
{
    return rb_empty(&prv->classes) || rb_first(&prv->classes) == prv->classes.last_rep;
}

/* --- rtds_queue.c --- */
bool rt_before(const struct rt_vcpu *a, const struct rt_vcpu *b);
void rt_runq_insert(struct rt_priv *prv, struct rt_vcpu *svc);
void rt_runq_erase(struct rt_priv *prv, struct rt_vcpu *svc);
/* The budget part of runq in order at now: rt_runq_walk_start, then each
 * rt_runq_walk_next until NULL. O(c log n) to start, O(c) a step (c: classes). */
void rt_runq_walk_start(struct rt_priv *prv, s_time_t now);
struct rb_node *rt_class_head(const struct rt_class *c, s_time_t now);
struct rt_class *rt_class_take(struct rt_priv *prv);
struct rt_vcpu *rt_runq_walk_next(struct rt_priv *prv, s_time_t now);
struct rt_vcpu *rt_replq_first(const struct rt_priv *prv);
void rt_set_curr(struct rt_priv *prv, unsigned cpu, struct rt_vcpu *svc);
bool rt_curr_unsort(struct rt_priv *prv, struct rt_vcpu *svc);
void rt_curr_resort(struct rt_priv *prv, struct rt_vcpu *svc, bool was);
/* Arms the replenishment timer for replq's first deadline, or stops it. */
void rt_timer_program(struct rt_priv *prv);
bool rt_replq_add(struct rt_priv *prv, struct rt_vcpu *svc);
void rt_replq_remove(struct rt_priv *prv, struct rt_vcpu *svc);
void rt_replq_ensure(struct rt_priv *prv, struct rt_vcpu *svc);
bool rt_queue(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now);
void rt_dequeue(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now);
void rt_tickle(struct rt_priv *prv, struct rt_vcpu *svc);
/* --- rtds.c --- */
void rt_catch_up_due(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now);

/* svc waits on runq with budget: end the periods that ended meanwhile (rtds.c). */
static inline void rt_catch_up(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    if (svc->deadline <= now)
        rt_catch_up_due(prv, svc, now);
}

#endif
