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
 * ordered by priority: vCPUs with budget by deadline, FIFO among equal deadlines
 * (the one queued first goes first: a period end while it waits does not move it
 * back), then vCPUs on extratime (budget spent, extratime set) in arrival order. A
 * vCPU with no budget and no extratime waits on the depleted queue for its next
 * period. do_schedule runs the first runqueue entry the pCPU may run (hard
 * affinity, not running elsewhere) for its remaining budget, or RT_EXTRA_SLICE (1 ms)
 * on extratime. A replenishment queue of the active servers by deadline arms one
 * timer for the earliest period end; every do_schedule also ends the periods that
 * are due, so a timer interrupt that comes late on its pCPU does not hold up the
 * others. On wake and replenishment the newcomer raises an idle pCPU it may use, else
 * the pCPU running the lowest-priority vCPU if the newcomer beats it (never the pCPU
 * that is deciding right now).
 *
 * Lazy period ends. A vCPU waiting on the runqueue with budget has its first period
 * end from the replenishment queue, on time, as any other; then it leaves that queue,
 * and the period ends that follow while it still waits are counted when it is next
 * looked at (picked, put to sleep, given new parameters, its counters read:
 * rt_catch_up, O(1) for any number of periods). Its order needs no update meanwhile:
 * the budget part of the runqueue is kept per distinct period (a class), by phase
 * (deadline mod period), and at any instant the class's order is its phases read round
 * from the instant's place in the period; the classes merge by (deadline at that
 * instant, when queued). Each lazily ended period is what the timer would have made of
 * it: a full budget and a deadline P later, and a miss (it waited the whole period
 * with budget B) if B > RT_MISS_SLACK. What it does not do is raise a pCPU for it: a
 * waiting vCPU whose deadline moves later beats no running vCPU it did not beat
 * before, so that raise would only repeat the one made when it was queued. Trace: the
 * lazily ended periods of one wait give one rtds.miss for the first, one rtds.misses
 * for the rest (data1: how many) and one rtds.replenish for the period it is in,
 * stamped when it is looked at, not at each deadline (docs/trace-format.md).
 *
 * Deadline misses. A period end is a miss when the vCPU was denied budget it could
 * have used: it is runnable at the deadline (queued or running, not blocked) and
 * min(budget left, time it spent queued with budget since it last woke, within the
 * period) exceeds RT_MISS_SLACK (50 us, wake-up latency). So a vCPU that blocked with
 * budget left did not miss (it had no work), nor one that woke too late in its period
 * to spend its budget but ran for as long as it was runnable, nor one whose next job
 * began just before the period end and ran at once: a wait that ended before it
 * blocked was for an earlier job, whose guest clock need not be in phase with the
 * server's periods. A timer late by several periods counts one for a running,
 * depleted or extratime vCPU; for one waiting on the runqueue, every period it waited
 * through counts (see Lazy period ends). Per-vCPU counts; GET returns the domain's
 * total as the counter "misses", its waiting vCPUs caught up first.
 *
 * Cost (n: active vCPUs, p: pCPUs, c: distinct periods among the vCPUs waiting with
 * budget, usually 1 or a few; queues in sched/rtds_queue.c). Queueing and dequeueing
 * are O(log n) (O(1) into a class all in phase); the replenishment queue is a
 * red-black tree, the extratime part a list. A vCPU's period ends done one by one
 * are its first after it ran, woke or was queued, O(log n) each, so a decision pays
 * for O(1) of them amortized, however many servers are overloaded; the rest are lazy
 * (above), O(1) each when looked at. do_schedule is O(c log n) plus the entries
 * it passes (running elsewhere, unaffine, paused), O(c) each. Choosing whom to raise
 * is O(p / 64 + log p): idle pCPUs from a mask, the lowest-priority running vCPU from
 * a tree of what each pCPU runs. Memory: one class per vCPU, pooled (alloc_vdata), so
 * nothing allocates under the lock.
 *
 * Locking. One spinlock per instance (rt_priv.lock): alloc_pdata points every pCPU's
 * sched_lock at it, so the core's "lock of v->processor" is always this lock, and it
 * guards all queues and all rt_vcpu/rt_pcpu fields. The replenishment handler (timer
 * interrupt, on the timer's pCPU) and adjust take it with spin_lock_irqsave, as do
 * alloc_vdata and free_vdata around the class pool. Under it we call
 * timer_set/stop/migrate (timer queue locks nest inside) and sched_raise. pick_cpu
 * runs with no lock (vcpu_set_affinity) and reads only affinity and the pool's pCPU
 * mask (s->cpus, changed under cpupool_lock, read as one word); a pCPU that has left
 * that mask takes no new work, so it can leave the pool.
 *
 * Limitations. One lock for the instance, as Xen's RTDS: pCPUs contend for it. Many
 * distinct periods (c large) make each decision O(c). A deferrable server that wakes
 * late in its period may run its whole budget just before its deadline (the
 * back-to-back effect), so the utilization bound holds for vCPUs runnable from their
 * period start. No yield (it would not change an EDF decision). PUT restarts the
 * period with a full budget. Budgets and periods below RT_MIN_TIME are refused. Soft
 * affinity ignored. */
#include <hvlab/errno.h>
#include <hvlab/xmalloc.h>
#include <hvlab/trace.h>
#include "rtds.h"

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

/* The period of svc ended (at svc->deadline): a miss if it was denied budget it
 * could have used (see "Deadline misses"), then the next period, full budget. */
static void rt_end_period(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    if (MIN(svc->cur_budget, svc->waited) > RT_MISS_SLACK) {
        svc->misses++;
        TRACE_VCPU(TRC_POLICY(SCHED_ID_RTDS, TRC_RTDS_MISS), svc->v, (uint64_t)svc->deadline,
                   (uint64_t)svc->cur_budget);
    }
    rt_new_period(svc, now);
    prv->period_ends++;
    TRACE_VCPU(TRC_POLICY(SCHED_ID_RTDS, TRC_RTDS_REPLENISH), svc->v, (uint64_t)svc->deadline,
               (uint64_t)svc->cur_budget);
}

/* svc waits on runq with budget: end, in O(1), the periods that ended since it was
 * queued or its last period end, as they would have ended one by one at their
 * deadlines: the first is a miss by the usual rule (its wait counted up to that
 * deadline); each later one, spent waiting from start to end with a full budget, is
 * a miss if the budget exceeds RT_MISS_SLACK. Its place on runq does not change (the
 * class keeps it by phase). Called before svc leaves runq, and for the counters. */
void rt_catch_up_due(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    s_time_t d = svc->deadline, later;

    rt_replq_remove(prv, svc);              /* due, and the timer not yet run */
    later = (now - d) / svc->period;        /* periods ended after the one at d */
    svc->waited += d - svc->wait_start;
    if (MIN(svc->cur_budget, svc->waited) > RT_MISS_SLACK) {
        svc->misses++;
        TRACE_VCPU(TRC_POLICY(SCHED_ID_RTDS, TRC_RTDS_MISS), svc->v, (uint64_t)d,
                   (uint64_t)svc->cur_budget);
    }
    if (later && svc->budget > RT_MISS_SLACK) {
        svc->misses += (uint64_t)later;
        TRACE_VCPU(TRC_POLICY(SCHED_ID_RTDS, TRC_RTDS_MISSES), svc->v,
                   (uint64_t)(d + later * svc->period), (uint64_t)later);
    }
    svc->deadline = d + (later + 1) * svc->period;
    svc->cur_budget = svc->budget;
    svc->waited = 0;
    svc->wait_start = svc->deadline - svc->period;  /* queued since the last period began */
    prv->catch_ups++;
    TRACE_VCPU(TRC_POLICY(SCHED_ID_RTDS, TRC_RTDS_REPLENISH), svc->v, (uint64_t)svc->deadline,
               (uint64_t)svc->cur_budget);
}

/* svc is runnable and not running: make its server active (a deadline that passed
 * while it was blocked starts a new period: no miss) and queue it. A vCPU that was
 * running when its period ended, and stops before the timer ends that period, has it
 * ended here. True if on runq. */
static bool rt_activate(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    if (!(svc->flags & RT_ACTIVE)) {
        if (!svc->deadline || now >= svc->deadline)
            rt_new_period(svc, now);
        svc->flags |= RT_ACTIVE;
    } else if (now >= svc->deadline) {
        rt_replq_remove(prv, svc);      /* re-added with its new deadline */
        rt_end_period(prv, svc, now);
    }
    return rt_queue(prv, svc, now);
}

/* svc's deadline has passed while it was in replq: count a miss, start the next
 * period, and let it compete again with its new deadline. One waiting on runq with
 * budget keeps its place (its class orders it by phase) and leaves replq: its later
 * period ends, while it keeps waiting, are rt_catch_up's. */
static void rt_period_end(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    bool running = svc->flags & RT_RUNNING;
    bool queued = svc->flags & (RT_ON_RUNQ | RT_ON_DEPLETED);
    bool curr;

    if ((svc->flags & (RT_ON_RUNQ | RT_ON_EXTRAQ)) == RT_ON_RUNQ) {
        svc->waited += now - svc->wait_start;
        svc->wait_start = now;
        rt_end_period(prv, svc, now);
        rt_tickle(prv, svc);
        return;
    }
    curr = rt_curr_unsort(prv, svc);
    if (running)
        rt_burn(svc, now);
    rt_dequeue(prv, svc, now);
    rt_end_period(prv, svc, now);
    rt_curr_resort(prv, svc, curr);
    if (running) {
        rt_replq_add(prv, svc);         /* the caller re-arms the timer */
        sched_raise(svc->cpu);          /* its priority changed: decide again */
    } else if (!queued) {
        rt_replq_add(prv, svc);
    } else if (rt_queue(prv, svc, now)) {
        rt_tickle(prv, svc);            /* with a full budget: onto runq */
    }
}

/* End every timed period that is over, then re-arm the timer; lock held. */
static void rt_replenish(struct rt_priv *prv, s_time_t now)
{
    struct rt_vcpu *svc = rt_replq_first(prv);
    if (!svc || svc->deadline > now)
        return;
    while ((svc = rt_replq_first(prv)) != NULL && svc->deadline <= now) {
        rb_erase(&prv->replq, &svc->repl);
        svc->flags &= ~RT_ON_REPLQ;
        rt_period_end(prv, svc, now);   /* re-added with a deadline > now, or queued */
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
    rb_init(&prv->classes);
    list_init(&prv->extraq);
    list_init(&prv->depletedq);
    rb_init(&prv->replq);
    rb_init(&prv->currs);
    s->priv = prv;
    return 0;
}

static void rt_deinit(struct scheduler *s)
{
    struct rt_priv *prv = rt_priv(s);
    if (prv && prv->timer_ready)
        timer_stop(&prv->repl_timer);
    while (prv && prv->free_classes) {  /* those of vCPUs not freed: none, normally */
        struct rt_class *c = prv->free_classes;
        prv->free_classes = c->next_free;
        xfree(c);
    }
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
    rt_set_curr(prv, cpu, NULL);
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

/* Each vCPU brings a class to the pool and takes one back (struct rt_class). */
static void *rt_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct rt_priv *prv = rt_priv(s);
    struct rt_vcpu *svc = xzalloc(sizeof(*svc));
    struct rt_class *c = xzalloc(sizeof(*c));
    unsigned long flags;

    (void)dd;
    if (!svc || !c) {
        xfree(svc);
        xfree(c);
        return NULL;
    }
    svc->v = v;
    list_init(&svc->dq);
    svc->period = RT_DEFAULT_PERIOD;
    svc->budget = RT_DEFAULT_BUDGET;
    svc->extratime = true;              /* Xen's default: work-conserving */
    spin_lock_irqsave(&prv->lock, flags);
    c->next_free = prv->free_classes;
    prv->free_classes = c;
    spin_unlock_irqrestore(&prv->lock, flags);
    return svc;                         /* deadline 0: the first wake starts a period */
}

/* svc is in no queue (remove_vcpu came first), so a class is free to take (struct
 * rt_class). */
static void rt_free_vdata(struct scheduler *s, void *vd)
{
    struct rt_priv *prv = rt_priv(s);
    struct rt_class *c;
    unsigned long flags;

    spin_lock_irqsave(&prv->lock, flags);
    c = rt_class_take(prv);
    spin_unlock_irqrestore(&prv->lock, flags);
    xfree(c);
    xfree(vd);
}

static void rt_remove_vcpu(struct scheduler *s, struct vcpu *v)
{
    struct rt_vcpu *svc = rt_vcpu(v);
    rt_dequeue(rt_priv(s), svc, NOW());
    rt_replq_remove(rt_priv(s), svc);
    svc->flags &= ~RT_ACTIVE;
}

/* ---- state changes ---- */

/* When v became runnable: the core stamps its runstate with that instant just before
 * it calls wake, and the guest sees that stamp (a periodic guest anchors its periods at
 * it). Reading the clock again here would put a server's periods out of phase with the
 * guest's by whatever ran in between (booted: a TCG stall of 86 us, after which every
 * job began 86 us before its server's period end and was counted a miss). */
static s_time_t rt_woken_at(const struct vcpu *v)
{
    return v->runstate.state == RUNSTATE_runnable ? v->runstate.state_entry_time : NOW();
}

static void rt_wake(struct scheduler *s, struct vcpu *v)
{
    struct rt_priv *prv = rt_priv(s);
    struct rt_vcpu *svc = rt_vcpu(v);

    if (svc->flags & (RT_ON_RUNQ | RT_ON_DEPLETED | RT_RUNNING))
        return;
    svc->waited = 0;                    /* a new runnable stretch (see "Deadline misses") */
    if (rt_activate(prv, svc, rt_woken_at(v)))
        rt_tickle(prv, svc);
}

static void rt_sleep(struct scheduler *s, struct vcpu *v)
{
    struct rt_vcpu *svc = rt_vcpu(v);

    if (svc->flags & RT_RUNNING)
        sched_raise(svc->cpu);
    else
        rt_dequeue(rt_priv(s), svc, NOW());
    rt_replq_remove(rt_priv(s), svc);   /* blocked: its budget waits for the wake */
    svc->flags &= ~RT_ACTIVE;
}

/* prev stayed queued while its context was still being saved, so no pCPU could take
 * it: now one can (compared by its deadline now). */
static void rt_context_saved(struct scheduler *s, struct vcpu *prev)
{
    if (!is_idle_vcpu(prev) && prev->sched_priv && rt_vcpu(prev)->flags & RT_ON_RUNQ) {
        if (!(rt_vcpu(prev)->flags & RT_ON_EXTRAQ))
            rt_catch_up(rt_priv(s), rt_vcpu(prev), NOW());
        rt_tickle(rt_priv(s), rt_vcpu(prev));
    }
}

/* ---- decisions ---- */

static bool rt_may_take(const struct rt_vcpu *svc, unsigned cpu, const struct vcpu *prev)
{
    return rt_may_run_on(svc, cpu) && (!svc->v->is_running || svc->v == prev) &&
           vcpu_runnable(svc->v);       /* a paused domain's vCPUs await their sleep */
}

/* The first vCPU of the runqueue, in its order at now, that cpu may take; NULL if
 * none. */
static struct rt_vcpu *rt_pick(struct rt_priv *prv, unsigned cpu, const struct vcpu *prev,
                               s_time_t now)
{
    struct rt_vcpu *svc;
    struct list_head *p;

    if (!cpumask_test(&prv->s->cpus, cpu))
        return NULL;                    /* leaving the pool: take nothing new */
    if (rt_runq_one_class(prv)) {      /* the usual case: its own order, no merge */
        struct rb_node *f = rb_first(&prv->classes);
        struct rt_class *c = f ? rb_entry(f, struct rt_class, node) : NULL;
        struct rb_node *n = c && c->nr ? rt_class_head(c, now) : NULL;
        for (unsigned k = n ? c->nr : 0; k; k--) {
            if (rt_may_take(rb_entry(n, struct rt_vcpu, q), cpu, prev))
                return rb_entry(n, struct rt_vcpu, q);
            n = rb_next(n);
            n = n ? n : rb_first(&c->q);        /* round the end of the period */
        }
    } else {
        rt_runq_walk_start(prv, now);
        while ((svc = rt_runq_walk_next(prv, now)) != NULL)
            if (rt_may_take(svc, cpu, prev))
                return svc;
    }
    list_for_each(p, &prv->extraq)
        if (rt_may_take(list_entry(p, struct rt_vcpu, dq), cpu, prev))
            return list_entry(p, struct rt_vcpu, dq);
    return NULL;
}

static struct task_slice rt_do_schedule(struct scheduler *s, unsigned cpu,
                                        struct vcpu *prev, s_time_t now)
{
    struct rt_priv *prv = rt_priv(s);
    struct rt_pcpu *pc = &prv->pcpu[cpu];
    struct rt_vcpu *next;

    cpumask_set(&prv->tickled, cpu);    /* deciding now: tickles go elsewhere */
    if (pc->curr) {                     /* prev, as this pCPU last chose it */
        struct rt_vcpu *svc = pc->curr;
        rt_burn(svc, now);
        svc->flags &= ~RT_RUNNING;
        rt_set_curr(prv, cpu, NULL);
        if (vcpu_runnable(svc->v)) {    /* may compete again at once */
            bool ended = (svc->flags & RT_ACTIVE) && now >= svc->deadline;
            if (rt_activate(prv, svc, now) && ended)
                rt_tickle(prv, svc);    /* as the timer's period end would */
        } else {
            rt_replq_remove(prv, svc);
        }
    }
    rt_replenish(prv, now);
    cpumask_clear(&prv->tickled, cpu);
    if (!(next = rt_pick(prv, cpu, prev, now)))
        return (struct task_slice){ sched_idle_vcpu(cpu), -1 };
    rt_dequeue(prv, next, now);         /* its ended periods counted */
    rt_replq_ensure(prv, next);         /* running: its period end is timed */
    next->flags |= RT_RUNNING;
    next->cpu = cpu;
    next->last_start = now;
    next->v->processor = cpu;           /* every pCPU's lock is ours: we hold both */
    rt_set_curr(prv, cpu, next);
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
    s_time_t now = NOW();
    for_each_vcpu(d, w) {
        if (!w->sched_priv)
            continue;
        if ((rt_vcpu(w)->flags & (RT_ON_RUNQ | RT_ON_EXTRAQ)) == RT_ON_RUNQ)
            rt_catch_up(prv, rt_vcpu(w), now);  /* its misses up to now */
        cnt[RT_C_MISSES] += rt_vcpu(w)->misses;
    }
    spin_unlock_irqrestore(&prv->lock, flags);
    return 0;
}

/* New parameters take effect at once: a fresh period from now (or from the next wake). */
static void rt_apply(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t period,
                     s_time_t budget, bool extratime, s_time_t now)
{
    bool queued = svc->flags & (RT_ON_RUNQ | RT_ON_DEPLETED);
    bool active = svc->flags & RT_ACTIVE;
    bool curr = rt_curr_unsort(prv, svc);

    rt_dequeue(prv, svc, now);          /* the old periods' ends counted */
    rt_replq_remove(prv, svc);
    svc->period = period;
    svc->budget = budget;
    svc->extratime = extratime;
    svc->deadline = 0;
    if (active)
        rt_new_period(svc, now);
    rt_curr_resort(prv, svc, curr);
    if (!active)
        return;                         /* the next activation starts the period */
    if (svc->flags & RT_RUNNING) {
        rt_replq_ensure(prv, svc);
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
