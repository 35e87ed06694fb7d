/* rr: round-robin with a fixed slice — the reference policy, and the template for a
 * new one. Read this file first.
 *
 * Design: one FIFO runqueue for the whole pool. A vCPU that wakes joins the tail;
 * when a pCPU reschedules (its slice ended, or its vCPU blocked), a still-runnable
 * prev goes to the tail and the pCPU runs the first queued vCPU it may run, for
 * RR_SLICE. Every runnable vCPU therefore gets one slice per round, whichever pCPU
 * runs it: equal shares, and no pCPU idles while a vCPU it may run waits. A wake-up
 * pokes the idle pCPUs the vCPU may run on.
 *
 * Locking: the queue is guarded by one pool-wide lock; alloc_pdata points every
 * pCPU's scheduler lock at it (the interface's way of sharing a queue), so "the lock
 * of v->processor" is always this lock and moving a vCPU between pCPUs needs no other.
 *
 * Limitations: no weights, no priorities, no notion of NUMA; soft affinity ignored;
 * one lock for the pool, fine for the handful of pCPUs hvlab runs on. */
#include <hvlab/time.h>
#include <hvlab/xmalloc.h>
#include "private.h"

#define RR_SLICE MILLISECS(10)

struct rr_pool {
    spinlock_t lock;                    /* every pCPU's scheduler lock points here */
    /* Guarded by lock. */
    struct list_head runq;              /* runnable vCPUs not running, FIFO */
    cpumask_t idle;                     /* pCPUs whose last decision was idle: the
                                           core's sched_cpu_is_idle, kept as a mask */
};

struct rr_vcpu {
    struct list_head q;                 /* link in runq; guarded by the pool lock */
    struct vcpu *v;
    bool queued;
};

static struct rr_pool *rr_pool(const struct scheduler *s) { return s->priv; }
static struct rr_vcpu *rr_v(const struct vcpu *v) { return v->sched_priv; }

static int rr_init(struct scheduler *s)
{
    struct rr_pool *p = xzalloc(sizeof(*p));
    if (!p)
        return -1;
    spin_lock_init(&p->lock);
    list_init(&p->runq);
    s->priv = p;
    return 0;
}

static void rr_deinit(struct scheduler *s)
{
    xfree(s->priv);
}

/* A pCPU joining: share the pool's lock (the caller holds the pCPU's old one). */
static void *rr_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    struct rr_pool *p = rr_pool(s);
    unsigned long flags;
    sched_res(cpu)->lock = &p->lock;
    spin_lock_irqsave(&p->lock, flags);
    if (sched_cpu_is_idle(cpu))         /* a joining pCPU runs its idle vCPU */
        cpumask_set(&p->idle, cpu);
    spin_unlock_irqrestore(&p->lock, flags);
    return p;
}

static void rr_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    struct rr_pool *p = pd;
    unsigned long flags;
    (void)s;                            /* the core resets the lock pointer */
    spin_lock_irqsave(&p->lock, flags);
    cpumask_clear(&p->idle, cpu);
    spin_unlock_irqrestore(&p->lock, flags);
}

static void *rr_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct rr_vcpu *rv = xzalloc(sizeof(*rv));
    (void)s; (void)dd;
    if (rv) {
        list_init(&rv->q);
        rv->v = v;
    }
    return rv;
}

static void rr_free_vdata(struct scheduler *s, void *vd) { (void)s; xfree(vd); }

static void rr_enqueue(struct scheduler *s, struct vcpu *v)
{
    struct rr_vcpu *rv = rr_v(v);
    if (!rv->queued) {
        list_add_tail(&rv->q, &rr_pool(s)->runq);
        rv->queued = true;
    }
}

static void rr_dequeue(struct vcpu *v)
{
    struct rr_vcpu *rv = rr_v(v);
    if (rv->queued) {
        list_del(&rv->q);
        rv->queued = false;
    }
}

/* Poke every idle pCPU v may run on: several vCPUs waking at once (a domain's
 * start) would otherwise all poke the same idle pCPU, and the others would sleep
 * on. A poked pCPU that finds nothing for it goes back to idle: cheap. The idle
 * pCPUs come from a mask kept by do_schedule, so a wake looks at words, not at each
 * of the pool's pCPUs (256 of them cost more than the rest of a wake). */
static void rr_wake(struct scheduler *s, struct vcpu *v)
{
    cpumask_t idle = cpumask_and(&rr_pool(s)->idle, &s->cpus);
    unsigned cpu;
    if (rr_v(v)->queued)
        return;
    rr_enqueue(s, v);
    idle = cpumask_and(&idle, &v->cpu_hard_affinity);
    for_each_cpu(cpu, &idle)
        if (sched_cpu_is_idle(cpu))
            sched_raise(cpu);
    /* No idle pCPU: it runs when a slice ends. */
}

static void rr_sleep(struct scheduler *s, struct vcpu *v)
{
    (void)s;
    rr_dequeue(v);
    if (v->is_running)
        sched_raise(v->processor);
}

/* cpu's decision: the core runs it next, so whether cpu is idle follows it. */
static struct task_slice rr_decided(struct scheduler *s, unsigned cpu, struct vcpu *v,
                                    s_time_t slice)
{
    if (is_idle_vcpu(v))
        cpumask_set(&rr_pool(s)->idle, cpu);
    else
        cpumask_clear(&rr_pool(s)->idle, cpu);
    return (struct task_slice){ v, slice };
}

static struct task_slice rr_do_schedule(struct scheduler *s, unsigned cpu,
                                        struct vcpu *prev, s_time_t now)
{
    struct list_head *p;
    (void)now;

    if (!cpumask_test(&s->cpus, cpu))   /* leaving the pool: take no new work */
        return rr_decided(s, cpu, sched_idle_vcpu(cpu), -1);
    if (!is_idle_vcpu(prev) && vcpu_runnable(prev))
        rr_enqueue(s, prev);            /* to the back of the line */
    list_for_each(p, &rr_pool(s)->runq) {
        struct vcpu *v = list_entry(p, struct rr_vcpu, q)->v;
        /* Not one still running on another pCPU, nor one being paused right now. */
        if ((v->is_running && v != prev) || !vcpu_runnable(v) ||
            !cpumask_test(&v->cpu_hard_affinity, cpu))
            continue;
        rr_dequeue(v);
        v->processor = cpu;             /* one lock guards every pCPU: a legal move */
        return rr_decided(s, cpu, v, RR_SLICE);
    }
    return rr_decided(s, cpu, sched_idle_vcpu(cpu), -1);
}

static const struct sched_ops rr_ops = {
    .name = "rr",
    .desc = "round-robin, one pool-wide queue, 10 ms slice",
    .sched_id = SCHED_ID_RR,
    .init = rr_init,
    .deinit = rr_deinit,
    .alloc_pdata = rr_alloc_pdata,
    .free_pdata = rr_free_pdata,
    .alloc_vdata = rr_alloc_vdata,
    .free_vdata = rr_free_vdata,
    .wake = rr_wake,
    .sleep = rr_sleep,
    .do_schedule = rr_do_schedule,
};
REGISTER_SCHEDULER(rr_ops);
