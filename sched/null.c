/* null: one vCPU per pCPU, no time sharing — the semantics of Xen's null scheduler,
 * written anew.
 *
 * Design: each vCPU of the pool is assigned to a pCPU of its own (in its hard
 * affinity), and that pCPU runs it, and only it, for as long as it is runnable: no
 * slices, no timer, no queue to choose from. A pCPU whose vCPU blocks idles. vCPUs
 * beyond the free pCPUs wait, unassigned, on a FIFO waitqueue and never run there;
 * when a pCPU frees up (its vCPU goes offline or is removed: domain destroyed or
 * moved, its affinity no longer allows it, the pCPU leaves the pool) it goes to the
 * first waiting vCPU that may run on it. A new vCPU takes the pCPU it was created on
 * if that one is free, else the first free pCPU it may use. Meant, as in Xen, for
 * machines with at least as many pCPUs as vCPUs: no scheduling overhead, and each
 * vCPU sees a pCPU of its own.
 *
 * Where it differs from Xen: a vCPU is assigned only while it is online (Xen assigns
 * at creation and keeps down vCPUs assigned unless they go offline later): a domain's
 * vCPUs that are never brought up hold no pCPU. Assignment is fixed when a vCPU comes
 * up; a wake-up never moves it (no load balancing, as in Xen).
 *
 * Locking: one pool-wide lock, as rr: alloc_pdata points every pCPU's scheduler lock
 * at it, so it guards the waitqueue, every pCPU's assignment and every vCPU's state,
 * and a vCPU's `processor` may be moved to its assigned pCPU under it. The ops that
 * change assignments (insert, remove, wake, sleep, do_schedule) run with it held;
 * free_pdata takes it itself (no scheduler lock is held there).
 *
 * Limitations: no parameters (it declares none: `xl sched-get` lists none, and a
 * cfg key such as weight is refused as undeclared). Soft affinity ignored. A
 * waiting vCPU waits for as long as every pCPU it may use is taken: the policy
 * declares SCHED_F_NO_TIMESHARE, and the tests check starvation and idle pCPUs only
 * against what it promises (tests/sched/only_null.c). */
#include <hvlab/time.h>
#include <hvlab/trace.h>
#include <hvlab/xmalloc.h>
#include "private.h"

#define NULL_NO_CPU (~0u)

struct null_vcpu {
    struct vcpu *v;
    /* Both guarded by the pool lock. */
    unsigned cpu;                       /* assigned pCPU, or NULL_NO_CPU */
    struct list_head waitq;             /* link in waitq when waiting */
    bool waiting;
};

struct null_pcpu {
    struct null_vcpu *assigned;         /* pool lock */
};

struct null_pool {
    struct scheduler *s;
    spinlock_t lock;                    /* every pCPU's scheduler lock points here */
    struct list_head waitq;             /* online vCPUs with no pCPU, FIFO */
    struct null_pcpu pcpu[NR_CPUS];
};

static struct null_pool *null_pool(const struct scheduler *s) { return s->priv; }
static struct null_vcpu *null_v(const struct vcpu *v) { return v->sched_priv; }

static bool null_online(const struct vcpu *v)
{
    return !(__atomic_load_n(&v->pause_flags, __ATOMIC_ACQUIRE) & (1UL << VPF_down));
}

/* May v use cpu now: in its hard affinity and still in the pool. */
static bool null_allowed(const struct null_pool *p, const struct vcpu *v, unsigned cpu)
{
    return cpumask_test(&p->s->cpus, cpu) && cpumask_test(&v->cpu_hard_affinity, cpu);
}

static void null_assign(struct null_pool *p, struct null_vcpu *nv, unsigned cpu)
{
    p->pcpu[cpu].assigned = nv;
    nv->cpu = cpu;
    TRACE_VCPU(TRC_POLICY(SCHED_ID_NULL, TRC_NULL_ASSIGN), nv->v, cpu, 0);
    if (!nv->v->is_running)
        nv->v->processor = cpu;         /* one lock for the pool: a legal move */
    if (vcpu_runnable(nv->v))
        sched_raise(cpu);
}

/* cpu has no vCPU any more: the first waiter that may run there gets it. */
static void null_cpu_freed(struct null_pool *p, unsigned cpu)
{
    struct list_head *e;
    if (!cpumask_test(&p->s->cpus, cpu))
        return;
    list_for_each(e, &p->waitq) {
        struct null_vcpu *nv = list_entry(e, struct null_vcpu, waitq);
        if (null_allowed(p, nv->v, cpu) && !nv->v->is_running) {
            list_del(&nv->waitq);
            nv->waiting = false;
            null_assign(p, nv, cpu);
            return;
        }
    }
}

/* Takes nv out of its pCPU or the waitqueue (offline, removed, or to be re-placed). */
static void null_unassign(struct null_pool *p, struct null_vcpu *nv)
{
    if (nv->waiting) {
        list_del(&nv->waitq);
        nv->waiting = false;
    }
    if (nv->cpu != NULL_NO_CPU) {
        unsigned cpu = nv->cpu;
        p->pcpu[cpu].assigned = NULL;
        nv->cpu = NULL_NO_CPU;
        null_cpu_freed(p, cpu);
    }
}

/* An online vCPU with no place: a free pCPU it may use (the one it is on first),
 * else the tail of the waitqueue. */
static void null_place(struct null_pool *p, struct null_vcpu *nv)
{
    struct vcpu *v = nv->v;
    unsigned cpu;

    if (nv->cpu != NULL_NO_CPU || nv->waiting)
        return;
    if (null_allowed(p, v, v->processor) && !p->pcpu[v->processor].assigned) {
        null_assign(p, nv, v->processor);
        return;
    }
    for_each_cpu(cpu, &p->s->cpus)
        if (null_allowed(p, v, cpu) && !p->pcpu[cpu].assigned) {
            null_assign(p, nv, cpu);
            return;
        }
    list_add_tail(&nv->waitq, &p->waitq);
    nv->waiting = true;
    TRACE_VCPU(TRC_POLICY(SCHED_ID_NULL, TRC_NULL_WAIT), v, 0, 0);
}

/* An assignment its affinity or the pool no longer allows is given up. */
static void null_recheck(struct null_pool *p, struct null_vcpu *nv)
{
    if (nv->cpu != NULL_NO_CPU && !null_allowed(p, nv->v, nv->cpu) && !nv->v->is_running)
        null_unassign(p, nv);
    if (null_online(nv->v))
        null_place(p, nv);
}

static int null_init(struct scheduler *s)
{
    struct null_pool *p = xzalloc(sizeof(*p));
    if (!p)
        return -1;
    p->s = s;
    spin_lock_init(&p->lock);
    list_init(&p->waitq);
    s->priv = p;
    return 0;
}

static void null_deinit(struct scheduler *s)
{
    xfree(s->priv);
}

/* A pCPU joining: share the pool's lock. The core then raises it, and its first
 * do_schedule takes a waiting vCPU. */
static void *null_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    struct null_pool *p = null_pool(s);
    sched_res(cpu)->lock = &p->lock;
    p->pcpu[cpu].assigned = NULL;
    return p;
}

/* The pCPU has left (do_schedule has already given its vCPU up, but a vCPU may have
 * been assigned between that and the detach): give it up now. */
static void null_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    struct null_pool *p = null_pool(s);
    unsigned long flags;
    (void)pd;
    spin_lock_irqsave(&p->lock, flags);
    struct null_vcpu *nv = p->pcpu[cpu].assigned;
    if (nv) {
        null_unassign(p, nv);
        if (null_online(nv->v))
            null_place(p, nv);
    }
    spin_unlock_irqrestore(&p->lock, flags);
}

static void *null_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct null_vcpu *nv = xzalloc(sizeof(*nv));
    (void)s; (void)dd;
    if (nv) {
        nv->v = v;
        nv->cpu = NULL_NO_CPU;
        list_init(&nv->waitq);
    }
    return nv;
}

static void null_free_vdata(struct scheduler *s, void *vd) { (void)s; xfree(vd); }

static void null_insert_vcpu(struct scheduler *s, struct vcpu *v)
{
    if (null_online(v))
        null_place(null_pool(s), null_v(v));
}

static void null_remove_vcpu(struct scheduler *s, struct vcpu *v)
{
    null_unassign(null_pool(s), null_v(v));
}

/* Its pCPU runs it as soon as it reschedules; a waiting vCPU keeps waiting. */
static void null_wake(struct scheduler *s, struct vcpu *v)
{
    struct null_pool *p = null_pool(s);
    struct null_vcpu *nv = null_v(v);

    null_recheck(p, nv);
    if (nv->cpu != NULL_NO_CPU) {
        v->processor = nv->cpu;         /* not running (the core's wake contract) */
        sched_raise(nv->cpu);
    }
}

/* Blocked or paused: the pCPU idles and stays its. Gone offline: the pCPU is freed. */
static void null_sleep(struct scheduler *s, struct vcpu *v)
{
    struct null_pool *p = null_pool(s);
    struct null_vcpu *nv = null_v(v);

    if (!null_online(v))
        null_unassign(p, nv);
    if (v->is_running)
        sched_raise(v->processor);
}

static struct task_slice null_do_schedule(struct scheduler *s, unsigned cpu,
                                          struct vcpu *prev, s_time_t now)
{
    struct null_pool *p = null_pool(s);
    struct task_slice idle = { sched_idle_vcpu(cpu), -1 };
    struct null_vcpu *nv = p->pcpu[cpu].assigned;
    (void)now;

    if (!cpumask_test(&s->cpus, cpu)) { /* leaving the pool: its vCPU goes elsewhere */
        if (nv) {
            null_unassign(p, nv);
            if (null_online(nv->v) && !nv->v->is_running)
                null_place(p, nv);
        }
        return idle;
    }
    if (nv && !null_allowed(p, nv->v, cpu)) {
        null_unassign(p, nv);           /* re-placed when it wakes or is saved */
        nv = p->pcpu[cpu].assigned;     /* perhaps a waiter took the pCPU */
    }
    if (!nv) {                          /* a pCPU that just joined, or was missed */
        null_cpu_freed(p, cpu);
        nv = p->pcpu[cpu].assigned;
    }
    if (!nv || !vcpu_runnable(nv->v) || (nv->v->is_running && nv->v != prev))
        return idle;
    nv->v->processor = cpu;
    return (struct task_slice){ nv->v, -1 };   /* no time sharing: no slice */
}

static const struct sched_ops null_ops = {
    .name = "null",
    .desc = "one vCPU per pCPU, no time sharing; extra vCPUs wait",
    .sched_id = SCHED_ID_NULL,
    .flags = SCHED_F_NO_TIMESHARE,
    .init = null_init,
    .deinit = null_deinit,
    .alloc_pdata = null_alloc_pdata,
    .free_pdata = null_free_pdata,
    .alloc_vdata = null_alloc_vdata,
    .free_vdata = null_free_vdata,
    .insert_vcpu = null_insert_vcpu,
    .remove_vcpu = null_remove_vcpu,
    .wake = null_wake,
    .sleep = null_sleep,
    .do_schedule = null_do_schedule,
};
REGISTER_SCHEDULER(null_ops);
