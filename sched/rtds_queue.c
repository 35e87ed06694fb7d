/* rtds: the ordered queues and the choice of a pCPU to raise (the policy's Design,
 * Locking and cost: sched/rtds.c). Every function here runs under the instance lock.
 *
 * runq (vCPUs with budget by deadline) and replq (active servers by deadline) are
 * red-black trees, FIFO among equal deadlines as the sorted lists they replace; the
 * extratime part of the runqueue is a list, since its members all tie; a new period's
 * deadline is usually the latest, which the tree links without a descent. currs holds
 * what each pCPU runs, by priority, so that rt_tickle finds the lowest-priority one
 * without looking at every pCPU. */
#include <hvlab/trace.h>
#include "rtds.h"

/* Runs before b: has budget while b has not, else the earlier deadline. */
/* Queue order: vCPUs with budget by deadline (EDF), then those on extratime in
 * arrival order, so that spare time goes round-robin: by deadline, the extratime
 * vCPU with the earliest deadline took nearly all of it (73% for one of three hogs). */
bool rt_before(const struct rt_vcpu *a, const struct rt_vcpu *b)
{
    if ((a->cur_budget > 0) != (b->cur_budget > 0))
        return a->cur_budget > 0;
    return a->cur_budget > 0 && a->deadline < b->deadline;
}

static bool rt_runq_less(const struct rb_node *a, const struct rb_node *b)
{
    return rt_before(rb_entry(a, struct rt_vcpu, q), rb_entry(b, struct rt_vcpu, q));
}

static bool rt_replq_less(const struct rb_node *a, const struct rb_node *b)
{
    return rb_entry(a, struct rt_vcpu, repl)->deadline < rb_entry(b, struct rt_vcpu, repl)->deadline;
}

/* currs order: by priority, and the lower pCPU last among equals, so that the last
 * entry a pCPU may take is the one the scan of every pCPU by number would pick. */
static bool rt_currs_less(const struct rb_node *a, const struct rb_node *b)
{
    const struct rt_vcpu *x = rb_entry(a, struct rt_vcpu, curr), *y = rb_entry(b, struct rt_vcpu, curr);
    return rt_before(x, y) || (!rt_before(y, x) && x->cpu > y->cpu);
}

struct rt_vcpu *rt_replq_first(const struct rt_priv *prv)
{
    struct rb_node *n = rb_first(&prv->replq);
    return n ? rb_entry(n, struct rt_vcpu, repl) : NULL;
}

/* cpu's curr becomes svc (NULL: idle); kept in currs and busy for rt_tickle. */
void rt_set_curr(struct rt_priv *prv, unsigned cpu, struct rt_vcpu *svc)
{
    struct rt_vcpu *old = prv->pcpu[cpu].curr;
    if (old && (old->flags & RT_CURR)) {
        rb_erase(&prv->currs, &old->curr);
        old->flags &= ~RT_CURR;
    }
    prv->pcpu[cpu].curr = svc;
    if (svc) {
        rb_insert(&prv->currs, &svc->curr, rt_currs_less);
        svc->flags |= RT_CURR;
        cpumask_set(&prv->busy, cpu);
    } else {
        cpumask_clear(&prv->busy, cpu);
    }
}

/* A running svc's priority is about to change: out of currs until rt_curr_resort. */
bool rt_curr_unsort(struct rt_priv *prv, struct rt_vcpu *svc)
{
    if (!(svc->flags & RT_CURR))
        return false;
    rb_erase(&prv->currs, &svc->curr);
    return true;
}

void rt_curr_resort(struct rt_priv *prv, struct rt_vcpu *svc, bool was)
{
    if (was)
        rb_insert(&prv->currs, &svc->curr, rt_currs_less);
}

void rt_timer_program(struct rt_priv *prv)
{
    if (!prv->timer_ready)
        return;
    if (rb_empty(&prv->replq))
        timer_stop(&prv->repl_timer);
    else
        timer_set(&prv->repl_timer, rt_replq_first(prv)->deadline);
}

/* Into replq after its equals; true if svc became its head (the timer must move). */
bool rt_replq_add(struct rt_priv *prv, struct rt_vcpu *svc)
{
    rb_insert(&prv->replq, &svc->repl, rt_replq_less);
    svc->flags |= RT_ON_REPLQ;
    return rb_first(&prv->replq) == &svc->repl;
}

void rt_replq_remove(struct rt_priv *prv, struct rt_vcpu *svc)
{
    if (!(svc->flags & RT_ON_REPLQ))
        return;
    bool head = rb_first(&prv->replq) == &svc->repl;
    rb_erase(&prv->replq, &svc->repl);
    svc->flags &= ~RT_ON_REPLQ;
    if (head)
        rt_timer_program(prv);
}

/* Onto runq (budget left or extratime) or depletedq; true if onto runq. */
bool rt_queue(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    if (svc->cur_budget <= 0 && !svc->extratime) {
        list_add_tail(&svc->dq, &prv->depletedq);
        svc->flags |= RT_ON_DEPLETED;
        TRACE_VCPU(TRC_POLICY(SCHED_ID_RTDS, TRC_RTDS_DEPLETED), svc->v, (uint64_t)svc->deadline, 0);
        return false;
    }
    if (svc->cur_budget > 0) {
        rb_insert(&prv->runq, &svc->q, rt_runq_less);
    } else {
        list_add_tail(&svc->dq, &prv->extraq);
        svc->flags |= RT_ON_EXTRAQ;
    }
    svc->flags |= RT_ON_RUNQ;
    svc->wait_start = now;
    return true;
}

void rt_dequeue(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    if ((svc->flags & RT_ON_RUNQ) && svc->cur_budget > 0)
        svc->waited += now - svc->wait_start;
    if (svc->flags & (RT_ON_DEPLETED | RT_ON_EXTRAQ))
        list_del(&svc->dq);
    else if (svc->flags & RT_ON_RUNQ)
        rb_erase(&prv->runq, &svc->q);
    svc->flags &= ~(RT_ON_RUNQ | RT_ON_DEPLETED | RT_ON_EXTRAQ);
}

/* svc was just put on runq: raise an idle pCPU it may use (the lowest), else the pCPU
 * running the lowest-priority vCPU (the lowest pCPU among equals), if svc beats that
 * vCPU. O(log n) in the pCPUs: idle ones from the busy mask, the worst from currs. */
void rt_tickle(struct rt_priv *prv, struct rt_vcpu *svc)
{
    struct rt_vcpu *worst = NULL;
    struct rb_node *last = rb_last(&prv->currs);
    cpumask_t cpus = rt_cpus(prv), ok, idle = cpumask_andnot(&cpus, &prv->busy);
    unsigned target;

    /* Overloaded, the usual case for a period end: no pCPU is idle and svc beats not
     * even the lowest-priority running vCPU, so it beats none that it may take. */
    if (cpumask_empty(&idle) && last && !rt_before(svc, rb_entry(last, struct rt_vcpu, curr)))
        return;
    ok = cpumask_and(&cpus, &svc->v->cpu_hard_affinity);
    ok = cpumask_andnot(&ok, &prv->tickled);
    idle = cpumask_andnot(&ok, &prv->busy);
    target = cpumask_first(&idle);
    if (target == NR_CPUS) {
        for (struct rb_node *n = last; n && !worst; n = rb_prev(n))
            if (cpumask_test(&ok, rb_entry(n, struct rt_vcpu, curr)->cpu))
                worst = rb_entry(n, struct rt_vcpu, curr);
        if (!worst || !rt_before(svc, worst))
            return;
        target = worst->cpu;
    }
    cpumask_set(&prv->tickled, target);
    sched_raise(target);
}
