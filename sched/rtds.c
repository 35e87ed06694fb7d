/* rtds: global preemptive EDF over vCPUs, each a deferrable server — the semantics
 * of Xen's RTDS, written anew.
 *
 * Design. Every vCPU is a server with a period P and a budget B (defaults 10 ms and
 * 4 ms, extratime on, as in Xen). Its periods are anchored at its first activation
 * (and restart at a parameter change): a vCPU released every P from its start stays in
 * phase with its server. Budget burns only while the vCPU runs; blocking keeps it
 * until the period ends (deferrable server). When the deadline passes, it moves on by
 * whole periods and the budget is refilled; for a vCPU blocked across the boundary
 * this happens when it wakes. One runqueue, shared by every pCPU of the instance, is
 * ordered by priority: vCPUs with budget by deadline, then vCPUs on extratime (budget
 * spent, extratime set) by deadline; FIFO among equals. A vCPU with no budget and no
 * extratime waits on the depleted queue for its next period. do_schedule runs the
 * first runqueue entry the pCPU may run (hard affinity, not running elsewhere) for its
 * remaining budget, or RT_EXTRA_SLICE (1 ms) on extratime. A replenishment queue of
 * the active servers by deadline arms one timer for the earliest period end; every
 * do_schedule also ends the periods that are due, so a timer interrupt that comes
 * late on its pCPU does not hold up the others. On wake and replenishment the
 * newcomer raises an idle pCPU it may use, else the pCPU running the lowest-priority
 * vCPU if the newcomer beats it (never the pCPU that is deciding right now).
 *
 * Deadline misses. A period end is a miss when the vCPU was denied budget it could
 * have used: it is runnable at the deadline (queued or running, not blocked) and
 * min(budget left, time it spent queued with budget during the period) exceeds
 * RT_MISS_SLACK (50 us, wake-up latency). So a vCPU that blocked with budget left did
 * not miss (it had no work), nor one that woke too late in its period to spend its
 * budget but ran for as long as it was runnable. A timer late by several periods
 * counts one. Per-vCPU counts; GET returns the domain's total as the counter
 * "misses".
 *
 * Locking. One spinlock per instance (rt_priv.lock): alloc_pdata points every pCPU's
 * sched_lock at it, so the core's "lock of v->processor" is always this lock, and it
 * guards all queues and all rt_vcpu/rt_pcpu fields. The replenishment handler (timer
 * interrupt, on the timer's pCPU) and adjust take it with spin_lock_irqsave. Under it
 * we call timer_set/stop/migrate (timer queue locks nest inside) and sched_raise.
 * pick_cpu runs with no lock (vcpu_set_affinity) and reads only affinity and the
 * pool's pCPU mask (s->cpus, changed under cpupool_lock, read as one word); a pCPU
 * that has left that mask takes no new work, so it can leave the pool.
 *
 * Limitations. One lock and O(n) sorted lists: meant for tens of vCPUs and a few
 * pCPUs, as Xen's RTDS. A deferrable server that wakes late in its period may run its
 * whole budget just before its deadline (the back-to-back effect), so the utilization
 * bound holds for vCPUs runnable from their period start. No yield (it would not
 * change an EDF decision). PUT restarts the period with a full budget. Budgets and
 * periods below RT_MIN_TIME are refused. Soft affinity ignored. */
#include <hvlab/errno.h>
#include <hvlab/time.h>
#include <hvlab/timer.h>
#include <hvlab/xmalloc.h>
#include <hvlab/trace.h>
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
#define RT_ON_REPLQ    (1u << 2)             /* active server: runnable (queued or running) */
#define RT_RUNNING     (1u << 3)             /* chosen by do_schedule of rt_vcpu.cpu */

struct rt_vcpu {
    struct vcpu *v;
    /* All below: guarded by the instance lock. */
    struct list_head q;                 /* link in runq or depletedq */
    struct list_head repl;              /* link in replq */
    unsigned flags;                     /* RT_* */
    unsigned cpu;                       /* pCPU running it, when RT_RUNNING */
    s_time_t period, budget;            /* parameters, ns */
    bool extratime;
    s_time_t deadline;                  /* end of the current period; 0: none yet */
    s_time_t cur_budget;                /* left in this period; 0 once spent */
    s_time_t last_start;                /* since when it runs, when RT_RUNNING */
    s_time_t wait_start;                /* since when it is on runq */
    s_time_t waited;                    /* this period: time on runq with budget */
    uint64_t misses;
};

struct rt_pcpu {
    struct rt_vcpu *curr;               /* what do_schedule chose; NULL: idle. Instance lock */
};

struct rt_priv {
    struct scheduler *s;                /* s->cpus: the pool's pCPUs (cpupool_lock) */
    spinlock_t lock;                    /* every pCPU's sched_lock points here */
    /* All below: guarded by lock. */
    struct list_head runq;              /* by (budget spent?, deadline), FIFO among equals */
    struct list_head depletedq;         /* no budget, no extratime: wait for the period end */
    struct list_head replq;             /* active servers by deadline */
    cpumask_t tickled;                  /* raised by us and not rescheduled yet */
    struct rt_pcpu pcpu[NR_CPUS];
    struct timer repl_timer;            /* at the first deadline of replq */
    bool timer_ready;                   /* repl_timer initialised (first alloc_pdata) */
};

static struct rt_priv *rt_priv(const struct scheduler *s) { return s->priv; }
static struct rt_vcpu *rt_vcpu(const struct vcpu *v) { return v->sched_priv; }

/* The pool's pCPUs. A pCPU leaves this mask before it leaves the policy: from then on
 * it gets no new work. Changed under cpupool_lock, so read word by word. */
static cpumask_t rt_cpus(const struct rt_priv *prv)
{
    return cpumask_load(&prv->s->cpus);
}

/* ---- priority and queues ---- */

/* Runs before b: has budget while b has not, else the earlier deadline. */
/* Queue order: vCPUs with budget by deadline (EDF), then those on extratime in
 * arrival order, so that spare time goes round-robin: by deadline, the extratime
 * vCPU with the earliest deadline took nearly all of it (73% for one of three hogs). */
static bool rt_before(const struct rt_vcpu *a, const struct rt_vcpu *b)
{
    if ((a->cur_budget > 0) != (b->cur_budget > 0))
        return a->cur_budget > 0;
    return a->cur_budget > 0 && a->deadline < b->deadline;
}

static bool rt_may_run_on(const struct rt_vcpu *svc, unsigned cpu)
{
    return cpumask_test(&svc->v->cpu_hard_affinity, cpu);
}

static void rt_timer_program(struct rt_priv *prv)
{
    if (!prv->timer_ready)
        return;
    if (list_empty(&prv->replq))
        timer_stop(&prv->repl_timer);
    else
        timer_set(&prv->repl_timer, list_first_entry(&prv->replq, struct rt_vcpu, repl)->deadline);
}

/* Sorted insert into replq; true if svc became its head (the timer must move). */
static bool rt_replq_add(struct rt_priv *prv, struct rt_vcpu *svc)
{
    struct list_head *p;
    list_for_each(p, &prv->replq)
        if (svc->deadline < list_entry(p, struct rt_vcpu, repl)->deadline)
            break;
    list_add_tail(&svc->repl, p);       /* before p */
    svc->flags |= RT_ON_REPLQ;
    return prv->replq.next == &svc->repl;
}

static void rt_replq_remove(struct rt_priv *prv, struct rt_vcpu *svc)
{
    if (!(svc->flags & RT_ON_REPLQ))
        return;
    bool head = prv->replq.next == &svc->repl;
    list_del(&svc->repl);
    svc->flags &= ~RT_ON_REPLQ;
    if (head)
        rt_timer_program(prv);
}

/* Onto runq (budget left or extratime) or depletedq; true if onto runq. */
static bool rt_queue(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    struct list_head *p;
    if (svc->cur_budget <= 0 && !svc->extratime) {
        list_add_tail(&svc->q, &prv->depletedq);
        svc->flags |= RT_ON_DEPLETED;
        TRACE_VCPU(TRC_POLICY(SCHED_ID_RTDS, TRC_RTDS_DEPLETED), svc->v, (uint64_t)svc->deadline, 0);
        return false;
    }
    list_for_each(p, &prv->runq)
        if (rt_before(svc, list_entry(p, struct rt_vcpu, q)))
            break;
    list_add_tail(&svc->q, p);
    svc->flags |= RT_ON_RUNQ;
    svc->wait_start = now;
    return true;
}

static void rt_dequeue(struct rt_vcpu *svc, s_time_t now)
{
    if ((svc->flags & RT_ON_RUNQ) && svc->cur_budget > 0)
        svc->waited += now - svc->wait_start;
    if (svc->flags & (RT_ON_RUNQ | RT_ON_DEPLETED))
        list_del(&svc->q);
    svc->flags &= ~(RT_ON_RUNQ | RT_ON_DEPLETED);
}

/* ---- the server ---- */

/* Start the period containing now, full budget. Periods are anchored at the first
 * activation (deadline 0), so a vCPU released every P from its start stays in phase. */
static void rt_new_period(struct rt_vcpu *svc, s_time_t now)
{
    if (!svc->deadline)
        svc->deadline = now + svc->period;
    else if (now >= svc->deadline)
        svc->deadline += ((now - svc->deadline) / svc->period + 1) * svc->period;
    svc->cur_budget = svc->budget;
    svc->waited = 0;
}

/* Charge a running vCPU for the time since it was last charged. */
static void rt_burn(struct rt_vcpu *svc, s_time_t now)
{
    s_time_t ran = now - svc->last_start;
    if (ran > 0 && svc->cur_budget > 0)
        svc->cur_budget = MAX(svc->cur_budget - ran, 0);
    svc->last_start = now;
}

/* svc is runnable and not running: make its server active (a deadline that passed
 * while it was blocked starts a new period: no miss) and queue it. True if on runq. */
static bool rt_activate(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    if (!(svc->flags & RT_ON_REPLQ)) {
        if (!svc->deadline || now >= svc->deadline)
            rt_new_period(svc, now);
        if (rt_replq_add(prv, svc))
            rt_timer_program(prv);
    }
    return rt_queue(prv, svc, now);
}

/* svc was just put on runq: raise an idle pCPU it may use, else the pCPU running the
 * lowest-priority vCPU, if svc beats that vCPU. */
static void rt_tickle(struct rt_priv *prv, struct rt_vcpu *svc)
{
    struct rt_vcpu *worst = NULL;
    unsigned cpu, target = NR_CPUS;
    cpumask_t cpus = rt_cpus(prv);

    for_each_cpu(cpu, &cpus) {
        struct rt_vcpu *c = prv->pcpu[cpu].curr;
        if (!rt_may_run_on(svc, cpu) || cpumask_test(&prv->tickled, cpu))
            continue;
        if (!c) {
            target = cpu;
            worst = NULL;
            break;
        }
        if (!worst || rt_before(worst, c)) {
            worst = c;
            target = cpu;
        }
    }
    if (target == NR_CPUS || (worst && !rt_before(svc, worst)))
        return;
    cpumask_set(&prv->tickled, target);
    sched_raise(target);
}

/* svc's deadline has passed while it was active: count a miss, start the next period,
 * and let it compete again with its new deadline. */
static void rt_period_end(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    bool running = svc->flags & RT_RUNNING;
    bool queued = svc->flags & (RT_ON_RUNQ | RT_ON_DEPLETED);

    if (running)
        rt_burn(svc, now);
    rt_dequeue(svc, now);               /* adds the wait up to now */
    if (MIN(svc->cur_budget, svc->waited) > RT_MISS_SLACK) {
        svc->misses++;
        TRACE_VCPU(TRC_POLICY(SCHED_ID_RTDS, TRC_RTDS_MISS), svc->v, (uint64_t)svc->deadline,
                   (uint64_t)svc->cur_budget);
    }
    rt_new_period(svc, now);
    TRACE_VCPU(TRC_POLICY(SCHED_ID_RTDS, TRC_RTDS_REPLENISH), svc->v, (uint64_t)svc->deadline,
               (uint64_t)svc->cur_budget);
    rt_replq_add(prv, svc);             /* the caller re-arms the timer */
    if (running)
        sched_raise(svc->cpu);          /* its priority changed: decide again */
    else if (queued && rt_queue(prv, svc, now))
        rt_tickle(prv, svc);
}

/* End every period that is over, then re-arm the timer; lock held. */
static void rt_replenish(struct rt_priv *prv, s_time_t now)
{
    struct rt_vcpu *svc;
    if (list_empty(&prv->replq) ||
        list_first_entry(&prv->replq, struct rt_vcpu, repl)->deadline > now)
        return;
    while (!list_empty(&prv->replq) &&
           (svc = list_first_entry(&prv->replq, struct rt_vcpu, repl))->deadline <= now) {
        list_del(&svc->repl);
        svc->flags &= ~RT_ON_REPLQ;
        rt_period_end(prv, svc, now);   /* re-added with a deadline > now */
    }
    rt_timer_program(prv);
}

/* The replenishment timer: interrupt context, on the timer's pCPU. do_schedule also
 * replenishes, so a late timer interrupt on that pCPU does not starve the others. */
static void rt_repl_timer_fn(void *data)
{
    struct rt_priv *prv = data;
    unsigned long flags;

    spin_lock_irqsave(&prv->lock, flags);
    rt_replenish(prv, NOW());
    spin_unlock_irqrestore(&prv->lock, flags);
}

/* ---- lifetime ---- */

static int rt_init(struct scheduler *s)
{
    struct rt_priv *prv = xzalloc(sizeof(*prv));
    if (!prv)
        return -ENOMEM;
    prv->s = s;
    spin_lock_init(&prv->lock);
    list_init(&prv->runq);
    list_init(&prv->depletedq);
    list_init(&prv->replq);
    s->priv = prv;
    return 0;
}

static void rt_deinit(struct scheduler *s)
{
    struct rt_priv *prv = rt_priv(s);
    if (prv && prv->timer_ready)
        timer_stop(&prv->repl_timer);
    xfree(prv);
    s->priv = NULL;
}

/* Take cpu in: its sched_lock becomes ours (the core holds the old one, or nobody can
 * reach the pCPU yet); the replenishment timer lives on a pCPU of the pool. */
static void *rt_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    struct rt_priv *prv = rt_priv(s);
    unsigned long flags;

    __atomic_store_n(&sched_res(cpu)->lock, &prv->lock, __ATOMIC_RELEASE);
    spin_lock_irqsave(&prv->lock, flags);
    if (!prv->timer_ready) {
        timer_init(&prv->repl_timer, rt_repl_timer_fn, prv, cpu);
        prv->timer_ready = true;
    } else if (!cpumask_test(&s->cpus, prv->repl_timer.cpu)) {
        timer_migrate(&prv->repl_timer, cpu);
    }
    prv->pcpu[cpu].curr = NULL;
    cpumask_clear(&prv->tickled, cpu);
    spin_unlock_irqrestore(&prv->lock, flags);
    return &prv->pcpu[cpu];
}

/* cpu has left the pool (the core has already given it back its own lock). */
static void rt_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    struct rt_priv *prv = rt_priv(s);
    cpumask_t others = s->cpus;
    cpumask_clear(&others, cpu);
    unsigned long flags;

    (void)pd;                           /* part of rt_priv */
    spin_lock_irqsave(&prv->lock, flags);
    cpumask_clear(&prv->tickled, cpu);
    if (prv->timer_ready && prv->repl_timer.cpu == cpu && !cpumask_empty(&others))
        timer_migrate(&prv->repl_timer, cpumask_first(&others));
    spin_unlock_irqrestore(&prv->lock, flags);
}

static void *rt_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct rt_vcpu *svc = xzalloc(sizeof(*svc));
    (void)s; (void)dd;
    if (!svc)
        return NULL;
    svc->v = v;
    list_init(&svc->q);
    list_init(&svc->repl);
    svc->period = RT_DEFAULT_PERIOD;
    svc->budget = RT_DEFAULT_BUDGET;
    svc->extratime = true;              /* Xen's default: work-conserving */
    return svc;                         /* deadline 0: the first wake starts a period */
}

static void rt_free_vdata(struct scheduler *s, void *vd) { (void)s; xfree(vd); }

static void rt_remove_vcpu(struct scheduler *s, struct vcpu *v)
{
    struct rt_vcpu *svc = rt_vcpu(v);
    rt_dequeue(svc, NOW());
    rt_replq_remove(rt_priv(s), svc);
}

/* ---- state changes ---- */

static void rt_wake(struct scheduler *s, struct vcpu *v)
{
    struct rt_priv *prv = rt_priv(s);
    struct rt_vcpu *svc = rt_vcpu(v);

    if (svc->flags & (RT_ON_RUNQ | RT_ON_DEPLETED | RT_RUNNING))
        return;
    if (rt_activate(prv, svc, NOW()))
        rt_tickle(prv, svc);
}

static void rt_sleep(struct scheduler *s, struct vcpu *v)
{
    struct rt_vcpu *svc = rt_vcpu(v);

    if (svc->flags & RT_RUNNING)
        sched_raise(svc->cpu);
    else
        rt_dequeue(svc, NOW());
    rt_replq_remove(rt_priv(s), svc);   /* blocked: its budget waits for the wake */
}

/* prev stayed queued while its context was still being saved, so no pCPU could take
 * it: now one can. */
static void rt_context_saved(struct scheduler *s, struct vcpu *prev)
{
    if (!is_idle_vcpu(prev) && prev->sched_priv && rt_vcpu(prev)->flags & RT_ON_RUNQ)
        rt_tickle(rt_priv(s), rt_vcpu(prev));
}

/* ---- decisions ---- */

static struct task_slice rt_do_schedule(struct scheduler *s, unsigned cpu,
                                        struct vcpu *prev, s_time_t now)
{
    struct rt_priv *prv = rt_priv(s);
    struct rt_pcpu *pc = &prv->pcpu[cpu];
    struct rt_vcpu *next = NULL;
    struct list_head *p;

    cpumask_set(&prv->tickled, cpu);    /* deciding now: tickles go elsewhere */
    if (pc->curr) {                     /* prev, as this pCPU last chose it */
        struct rt_vcpu *svc = pc->curr;
        rt_burn(svc, now);
        svc->flags &= ~RT_RUNNING;
        pc->curr = NULL;
        if (vcpu_runnable(svc->v))
            rt_activate(prv, svc, now); /* may compete again at once */
        else
            rt_replq_remove(prv, svc);
    }
    rt_replenish(prv, now);
    cpumask_clear(&prv->tickled, cpu);
    list_for_each(p, &prv->runq) {
        struct rt_vcpu *svc = list_entry(p, struct rt_vcpu, q);
        if (!cpumask_test(&s->cpus, cpu))
            break;                      /* leaving the pool: take nothing new */
        if (rt_may_run_on(svc, cpu) && (!svc->v->is_running || svc->v == prev) &&
            vcpu_runnable(svc->v)) {    /* a paused domain's vCPUs await their sleep */
            next = svc;
            break;
        }
    }
    if (!next)
        return (struct task_slice){ sched_idle_vcpu(cpu), -1 };
    rt_dequeue(next, now);
    next->flags |= RT_RUNNING;
    next->cpu = cpu;
    next->last_start = now;
    next->v->processor = cpu;           /* every pCPU's lock is ours: we hold both */
    pc->curr = next;
    return (struct task_slice){ next->v, next->cur_budget > 0 ? next->cur_budget
                                                                : RT_EXTRA_SLICE };
}

/* Any pCPU of the instance serves the global queue: keep v where it is if allowed. */
static unsigned rt_pick_cpu(struct scheduler *s, struct vcpu *v)
{
    cpumask_t cpus = rt_cpus(rt_priv(s));
    cpumask_t ok = cpumask_and(&v->cpu_hard_affinity, &cpus);
    if (cpumask_empty(&ok) || cpumask_test(&ok, v->processor))
        return v->processor;
    return cpumask_first(&ok);
}

/* ---- parameters ---- */

/* The vCPU `idx` names (RTDS_ALL_VCPUS: the first), NULL if none. */
static struct vcpu *rt_first_target(struct domain *d, uint32_t idx)
{
    if (!d->vcpus)
        return NULL;
    for (unsigned i = 0; i < d->max_vcpus; i++)
        if ((idx == RTDS_ALL_VCPUS || idx == i) && d->vcpus[i] && d->vcpus[i]->sched_priv)
            return d->vcpus[i];
    return NULL;
}

static bool rt_targets(const struct vcpu *v, uint32_t idx)
{
    return v->sched_priv && (idx == RTDS_ALL_VCPUS || idx == v->vcpu_id);
}

/* ---- parameters (declared: sched/private.h, struct sched_param) ---- */

enum { RT_P_PERIOD, RT_P_BUDGET, RT_P_EXTRATIME };
static const struct sched_param rt_params[] = {
    [RT_P_PERIOD] = { .name = "period", .unit = "us", .min = RT_MIN_TIME / 1000,
                      .max = RT_MAX_PERIOD / 1000, .dflt = RT_DEFAULT_PERIOD / 1000,
                      .flags = SCHED_PARAM_PER_VCPU | SCHED_PARAM_LIMITS,
                      .doc = "the server's period: its budget is replenished every period" },
    [RT_P_BUDGET] = { .name = "budget", .unit = "us", .min = RT_MIN_TIME / 1000,
                      .max = RT_MAX_PERIOD / 1000, .dflt = RT_DEFAULT_BUDGET / 1000,
                      .flags = SCHED_PARAM_PER_VCPU | SCHED_PARAM_LIMITS,
                      .doc = "CPU time guaranteed per period (at most the period)" },
    [RT_P_EXTRATIME] = { .name = "extratime", .unit = "", .type = SCHED_PARAM_BOOL,
                         .min = 0, .max = 1, .dflt = 1, .flags = SCHED_PARAM_PER_VCPU,
                         .doc = "1: may run beyond its budget when a pCPU is idle" },
};
enum { RT_C_MISSES };
static const struct sched_counter rt_counters[] = {
    [RT_C_MISSES] = { .name = "misses", .unit = "", .doc = "deadline misses, all vCPUs" },
};

static int rt_get_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                         uint64_t *val, uint64_t *cnt)
{
    struct rt_priv *prv = rt_priv(s);
    struct vcpu *v = rt_first_target(d, vcpu), *w;
    unsigned long flags;

    if (!v)
        return -EINVAL;
    spin_lock_irqsave(&prv->lock, flags);
    val[RT_P_PERIOD] = (uint64_t)(rt_vcpu(v)->period / 1000);
    val[RT_P_BUDGET] = (uint64_t)(rt_vcpu(v)->budget / 1000);
    val[RT_P_EXTRATIME] = rt_vcpu(v)->extratime;
    for_each_vcpu(d, w)
        if (w->sched_priv)
            cnt[RT_C_MISSES] += rt_vcpu(w)->misses;
    spin_unlock_irqrestore(&prv->lock, flags);
    return 0;
}

/* New parameters take effect at once: a fresh period from now (or from the next wake). */
static void rt_apply(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t period,
                     s_time_t budget, bool extratime, s_time_t now)
{
    bool queued = svc->flags & (RT_ON_RUNQ | RT_ON_DEPLETED);
    bool active = svc->flags & RT_ON_REPLQ;

    rt_dequeue(svc, now);
    rt_replq_remove(prv, svc);
    svc->period = period;
    svc->budget = budget;
    svc->extratime = extratime;
    svc->deadline = 0;
    if (!active)
        return;                         /* the next activation starts the period */
    rt_new_period(svc, now);
    if (rt_replq_add(prv, svc))
        rt_timer_program(prv);
    if (svc->flags & RT_RUNNING) {
        svc->last_start = now;
        sched_raise(svc->cpu);
    } else if (queued && rt_queue(prv, svc, now)) {
        rt_tickle(prv, svc);
    }
}

/* Parameters not in mask keep each vCPU's own. All targeted vCPUs are checked
 * (budget <= period) before any is changed. */
static int rt_set_params(struct scheduler *s, struct domain *d, unsigned idx,
                         unsigned mask, const uint64_t *val)
{
    struct rt_priv *prv = rt_priv(s);
    struct vcpu *v;
    unsigned long flags;
    int rc = 0;

    if (!rt_first_target(d, idx))
        return -EINVAL;
    spin_lock_irqsave(&prv->lock, flags);
    s_time_t now = NOW();
    for (int apply = 0; apply < 2 && !rc; apply++) {    /* validate all, then apply */
        for_each_vcpu(d, v) {
            if (!rt_targets(v, idx))
                continue;
            struct rt_vcpu *svc = rt_vcpu(v);
            s_time_t period = mask >> RT_P_PERIOD & 1 ? MICROSECS(val[RT_P_PERIOD]) : svc->period;
            s_time_t budget = mask >> RT_P_BUDGET & 1 ? MICROSECS(val[RT_P_BUDGET]) : svc->budget;
            bool extra = mask >> RT_P_EXTRATIME & 1 ? val[RT_P_EXTRATIME] : svc->extratime;
            if (period < RT_MIN_TIME || period > RT_MAX_PERIOD || budget < RT_MIN_TIME ||
                budget > period) {
                rc = -EINVAL;
                break;
            }
            if (apply)
                rt_apply(prv, svc, period, budget, extra, now);
        }
    }
    spin_unlock_irqrestore(&prv->lock, flags);
    return rc;
}

static const struct sched_ops rtds_ops = {
    .name = "rtds",
    .desc = "global EDF, deferrable servers (period, budget)",
    .sched_id = SCHED_ID_RTDS,
    .init = rt_init,
    .deinit = rt_deinit,
    .alloc_pdata = rt_alloc_pdata,
    .free_pdata = rt_free_pdata,
    .alloc_vdata = rt_alloc_vdata,
    .free_vdata = rt_free_vdata,
    .remove_vcpu = rt_remove_vcpu,
    .wake = rt_wake,
    .sleep = rt_sleep,
    .do_schedule = rt_do_schedule,
    .context_saved = rt_context_saved,
    .pick_cpu = rt_pick_cpu,
    SCHED_PARAMS(rt_params),
    SCHED_COUNTERS(rt_counters),
    .get_params = rt_get_params,
    .set_params = rt_set_params,
};
REGISTER_SCHEDULER(rtds_ops);
