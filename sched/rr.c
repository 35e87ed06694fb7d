/* rr: round-robin with a fixed slice — the reference policy, and the template for a
 * new one. Read this file first.
 *
 * Design: one FIFO runqueue per pCPU. A vCPU that wakes joins the tail of the queue
 * of its pCPU (v->processor); do_schedule puts a still-runnable prev at the tail and
 * runs the head for RR_SLICE. A pCPU whose queue is empty steals the head of another
 * pCPU's queue (the first, in CPU order, that has one it may run), so no pCPU idles
 * while another has waiting work. On wake, an idle pCPU in the vCPU's hard affinity
 * is poked so that it can steal at once.
 *
 * Locking: a pCPU's queue is guarded by that pCPU's scheduler lock, which the core
 * holds around every op. Stealing takes the victim's lock with spin_trylock (the
 * thief already holds its own): if it is busy, the thief tries the next pCPU rather
 * than risk a lock-order deadlock.
 *
 * Limitations: no weights, no priorities, no notion of NUMA; soft affinity ignored. */
#include <hvlab/time.h>
#include <hvlab/xmalloc.h>
#include "private.h"

#define RR_SLICE MILLISECS(10)

struct rr_vcpu {
    struct list_head q;                 /* link in a runqueue; guarded by its lock */
    struct vcpu *v;
    bool queued;
};

struct rr_pcpu {
    struct list_head runq;
};

static struct rr_vcpu *rr_v(const struct vcpu *v) { return v->sched_priv; }
static struct rr_pcpu *rr_p(unsigned cpu) { return sched_pdata(cpu); }

static int rr_init(struct scheduler *s) { (void)s; return 0; }

static void *rr_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    struct rr_pcpu *p = xzalloc(sizeof(*p));
    (void)s; (void)cpu;
    if (p)
        list_init(&p->runq);
    return p;
}

static void rr_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    (void)s; (void)cpu;
    xfree(pd);
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

static void rr_enqueue(struct vcpu *v)
{
    struct rr_vcpu *rv = rr_v(v);
    if (!rv->queued) {
        list_add_tail(&rv->q, &rr_p(v->processor)->runq);
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

/* Queue v where it can run soonest: its own pCPU if that idles, else an idle pCPU
 * it may run on (moved there directly when that pCPU's lock is free: we hold
 * v->processor's, so both are held as a move requires), else its own queue. */
static void rr_wake(struct scheduler *s, struct vcpu *v)
{
    unsigned cpu;
    if (rr_v(v)->queued)
        return;
    if (!sched_cpu_is_idle(v->processor)) {
        for_each_cpu(cpu, &s->cpus) {
            if (cpu == v->processor || !cpumask_test(&v->cpu_hard_affinity, cpu) ||
                !sched_cpu_is_idle(cpu))
                continue;
            if (spin_trylock(sched_lock(cpu))) {
                v->processor = cpu;
                rr_enqueue(v);
                spin_unlock(sched_lock(cpu));
            } else {
                rr_enqueue(v);          /* it will try to steal v */
            }
            sched_raise(cpu);
            return;
        }
    }
    rr_enqueue(v);
    if (sched_cpu_is_idle(v->processor))
        sched_raise(v->processor);      /* a busy pCPU gets to v when its slice ends */
}

static void rr_sleep(struct scheduler *s, struct vcpu *v)
{
    (void)s;
    rr_dequeue(v);
    if (v->is_running)
        sched_raise(v->processor);
}

static void rr_yield(struct scheduler *s, struct vcpu *v)
{
    (void)s; (void)v;                   /* do_schedule already moves prev to the tail */
}

/* The first vCPU of cpu's queue that may run on `on`, dequeued; NULL if none. */
static struct vcpu *rr_take(unsigned cpu, unsigned on)
{
    struct list_head *p;
    list_for_each(p, &rr_p(cpu)->runq) {
        struct vcpu *v = list_entry(p, struct rr_vcpu, q)->v;
        if (!v->is_running && cpumask_test(&v->cpu_hard_affinity, on)) {
            rr_dequeue(v);
            return v;
        }
    }
    return NULL;
}

static struct vcpu *rr_steal(struct scheduler *s, unsigned cpu)
{
    unsigned victim;
    for_each_cpu(victim, &s->cpus) {
        if (victim == cpu || list_empty(&rr_p(victim)->runq) ||
            !spin_trylock(sched_lock(victim)))
            continue;
        struct vcpu *v = rr_take(victim, cpu);
        if (v)
            v->processor = cpu;         /* both locks held */
        spin_unlock(sched_lock(victim));
        if (v)
            return v;
    }
    return NULL;
}

static struct task_slice rr_do_schedule(struct scheduler *s, unsigned cpu,
                                        struct vcpu *prev, s_time_t now)
{
    struct vcpu *next;
    (void)now;

    if (!is_idle_vcpu(prev) && vcpu_runnable(prev))
        rr_enqueue(prev);
    next = rr_take(cpu, cpu);
    if (!next && prev->is_running && !is_idle_vcpu(prev) && vcpu_runnable(prev)) {
        rr_dequeue(prev);               /* only prev may run here: keep it */
        next = prev;
    }
    if (!next)
        next = rr_steal(s, cpu);
    if (!next)
        return (struct task_slice){ sched_idle_vcpu(cpu), -1 };
    return (struct task_slice){ next, RR_SLICE };
}

static const struct sched_ops rr_ops = {
    .name = "rr",
    .desc = "round-robin, 10 ms slice, work stealing",
    .sched_id = SCHED_ID_RR,
    .init = rr_init,
    .alloc_pdata = rr_alloc_pdata,
    .free_pdata = rr_free_pdata,
    .alloc_vdata = rr_alloc_vdata,
    .free_vdata = rr_free_vdata,
    .wake = rr_wake,
    .sleep = rr_sleep,
    .yield = rr_yield,
    .do_schedule = rr_do_schedule,
};
REGISTER_SCHEDULER(rr_ops);
