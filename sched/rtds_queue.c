/* rtds: the ordered queues and the choice of a pCPU to raise (the policy's Design,
 * Locking and cost: sched/rtds.c). Every function here runs under the instance lock.
 *
 * runq's budget part is kept per period: a class holds the vCPUs of one period by
 * phase (deadline mod period), a red-black tree whose order needs no change when a
 * member's periods end while it waits, since its deadline only moves on by whole
 * periods: at any instant the class's order is its phases read round from the
 * instant's place in the period. The walk merges the classes by (deadline then,
 * seq): FIFO among equal deadlines, seq being when each was queued. The extratime
 * part of the runqueue is a list, since its members all tie. A class's storage comes
 * from a pool, one per vCPU (struct rt_class). replq (active servers by deadline, but
 * those whose period ended while they waited with budget) is a red-black tree, FIFO
 * among equals; a new period's deadline is usually the latest, which the tree links
 * without a descent.
 * currs holds what each pCPU runs, by priority, so that rt_tickle finds the
 * lowest-priority one without looking at every pCPU. */
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

/* ---- runq's budget part: the classes ---- */

static bool rt_phase_less(const struct rb_node *a, const struct rb_node *b)
{
    return rb_entry(a, struct rt_vcpu, q)->phase < rb_entry(b, struct rt_vcpu, q)->phase;
}

static bool rt_class_less(const struct rb_node *a, const struct rb_node *b)
{
    return rb_entry(a, struct rt_class, node)->period <
           rb_entry(b, struct rt_class, node)->period;
}

static bool rt_class_before(const struct rb_node *n, const void *period)
{
    return rb_entry(n, struct rt_class, node)->period < *(const s_time_t *)period;
}

/* Members whose phase is at or before `at` have their deadline a period later. */
static bool rt_phase_upto(const struct rb_node *n, const void *at)
{
    return rb_entry(n, struct rt_vcpu, q)->phase <= *(const s_time_t *)at;
}

static struct rt_class *rt_class_find(struct rt_priv *prv, s_time_t period)
{
    struct rb_node *n;
    struct rt_class *c;

    if (prv->hint && prv->hint->period == period)
        return prv->hint;
    n = rb_first_from(&prv->classes, rt_class_before, &period);
    c = n ? rb_entry(n, struct rt_class, node) : NULL;
    return c && c->period == period ? c : NULL;
}

/* c leaves the set of classes for the pool. */
static void rt_class_retire(struct rt_priv *prv, struct rt_class *c)
{
    rb_erase(&prv->classes, &c->node);
    if (prv->hint == c)
        prv->hint = NULL;
    c->next_free = prv->free_classes;
    prv->free_classes = c;
}

/* A class for a new period: from the pool, else the hint, parked empty (the pool is
 * short by one only while the hint is parked: see struct rt_class). */
struct rt_class *rt_class_take(struct rt_priv *prv)
{
    struct rt_class *c;

    if (!prv->free_classes)
        rt_class_retire(prv, prv->hint);
    c = prv->free_classes;
    prv->free_classes = c->next_free;
    return c;
}

/* Onto runq with budget: its class (a new one if none), after its equals. svc->deadline
 * is the end of the period containing the instant it is queued at. */
void rt_runq_insert(struct rt_priv *prv, struct rt_vcpu *svc)
{
    struct rt_class *c = rt_class_find(prv, svc->period);

    if (!c) {
        c = rt_class_take(prv);
        c->period = svc->period;
        c->nr = 0;
        rb_init(&c->q);
        rb_insert(&prv->classes, &c->node, rt_class_less);
    }
    if (prv->hint != c && prv->hint && !prv->hint->nr)
        rt_class_retire(prv, prv->hint);        /* the parked one: no longer the hint */
    prv->hint = c;
    svc->cls = c;
    svc->phase = svc->deadline % svc->period;
    svc->seq = ++prv->seq;
    rb_insert(&c->q, &svc->q, rt_phase_less);
    c->nr++;
}

/* Off its class. The hint stays in the set when it empties (parked), so that a queue
 * that keeps emptying and refilling, as with fewer vCPUs than pCPUs, does not make a
 * class each time; any other empty class goes back to the pool. */
void rt_runq_erase(struct rt_priv *prv, struct rt_vcpu *svc)
{
    struct rt_class *c = svc->cls;

    rb_erase(&c->q, &svc->q);
    svc->cls = NULL;
    if (!--c->nr && c != prv->hint)
        rt_class_retire(prv, c);
}

/* c's member whose deadline comes first at now: the first phase after now's place in
 * the period, else (round the end) the first phase. */
struct rb_node *rt_class_head(const struct rt_class *c, s_time_t now)
{
    s_time_t at;
    struct rb_node *n;

    if (!c->q.root->left && !c->q.root->right)
        return c->q.root;               /* one phase (all in step): no search */
    at = now % c->period;
    n = rb_first_from(&c->q, rt_phase_upto, &at);
    return n ? n : rb_first(&c->q);
}

void rt_runq_walk_start(struct rt_priv *prv, s_time_t now)
{
    for (struct rb_node *n = rb_first(&prv->classes); n; n = rb_next(n)) {
        struct rt_class *c = rb_entry(n, struct rt_class, node);
        c->left = c->nr;
        c->cursor = c->nr ? rt_class_head(c, now) : NULL;
    }
}

/* Runs before b at now: the earlier deadline then, else queued first. */
static bool rt_runq_before(const struct rt_vcpu *a, const struct rt_vcpu *b, s_time_t now)
{
    s_time_t da = rt_deadline_at(a, now), db = rt_deadline_at(b, now);
    return da < db || (da == db && a->seq < b->seq);
}

struct rt_vcpu *rt_runq_walk_next(struct rt_priv *prv, s_time_t now)
{
    struct rt_class *bc = NULL;
    struct rt_vcpu *best = NULL;

    for (struct rb_node *n = rb_first(&prv->classes); n; n = rb_next(n)) {
        struct rt_class *c = rb_entry(n, struct rt_class, node);
        struct rt_vcpu *svc;
        if (!c->left)
            continue;
        svc = rb_entry(c->cursor, struct rt_vcpu, q);
        if (!best || rt_runq_before(svc, best, now)) {
            best = svc;
            bc = c;
        }
    }
    if (best) {
        bc->left--;
        bc->cursor = rb_next(bc->cursor);
        if (!bc->cursor)
            bc->cursor = rb_first(&bc->q);      /* round the end of the period */
    }
    return best;
}

static bool rt_replq_less(const struct rb_node *a, const struct rb_node *b)
{
    return rb_entry(a, struct rt_vcpu, repl)->deadline < rb_entry(b, struct rt_vcpu, repl)->deadline;
}

/* currs order: by priority (rt_before, as the key holds it), and the lower pCPU
 * last among equals, so that the last entry a pCPU may take is the one the scan of
 * every pCPU by number would pick. The nodes are the pCPUs' (rt_priv.pcpu[], one
 * array): a descent reads that array only, not the running vCPUs' own data. */
static bool rt_currs_less(const struct rb_node *a, const struct rb_node *b)
{
    const struct rt_pcpu *x = rb_entry(a, struct rt_pcpu, node), *y = rb_entry(b, struct rt_pcpu, node);
    return x->key < y->key || (x->key == y->key && x > y);     /* x > y: higher pCPU */
}

/* cpu into currs with its curr's priority as one key: with budget, its deadline;
 * without, after every deadline. Taken out (rt_curr_unsort) before either changes,
 * but for the budget a running vCPU burns, which leaves currs before it is compared
 * again. */
static void rt_currs_insert(struct rt_priv *prv, unsigned cpu)
{
    struct rt_pcpu *pc = &prv->pcpu[cpu];
    pc->key = pc->curr->cur_budget > 0 ? pc->curr->deadline : INT64_MAX;
    rb_insert(&prv->currs, &pc->node, rt_currs_less);
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
        rb_erase(&prv->currs, &prv->pcpu[cpu].node);
        old->flags &= ~RT_CURR;
    }
    prv->pcpu[cpu].curr = svc;
    if (svc) {
        rt_currs_insert(prv, cpu);
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
    rb_erase(&prv->currs, &prv->pcpu[svc->cpu].node);
    return true;
}

void rt_curr_resort(struct rt_priv *prv, struct rt_vcpu *svc, bool was)
{
    if (was)
        rt_currs_insert(prv, svc->cpu);
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

/* An active server that is not on runq with budget: its period end is timed. */
void rt_replq_ensure(struct rt_priv *prv, struct rt_vcpu *svc)
{
    if (!(svc->flags & RT_ON_REPLQ) && rt_replq_add(prv, svc))
        rt_timer_program(prv);
}

/* Onto runq (budget left or extratime) or depletedq; true if onto runq. svc is
 * active, its deadline the end of the period containing now. */
bool rt_queue(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    rt_replq_ensure(prv, svc);
    if (svc->cur_budget <= 0 && !svc->extratime) {
        list_add_tail(&svc->dq, &prv->depletedq);
        svc->flags |= RT_ON_DEPLETED;
        TRACE_VCPU(TRC_POLICY(SCHED_ID_RTDS, TRC_RTDS_DEPLETED), svc->v, (uint64_t)svc->deadline, 0);
        return false;
    }
    if (svc->cur_budget > 0) {
        rt_runq_insert(prv, svc);
    } else {
        list_add_tail(&svc->dq, &prv->extraq);
        svc->flags |= RT_ON_EXTRAQ;
    }
    svc->flags |= RT_ON_RUNQ;
    svc->wait_start = now;
    return true;
}

/* Off whichever queue; a vCPU leaving runq's budget part first has its ended periods
 * counted (rt_catch_up). It stays in replq if it is there. */
void rt_dequeue(struct rt_priv *prv, struct rt_vcpu *svc, s_time_t now)
{
    if (svc->flags & (RT_ON_DEPLETED | RT_ON_EXTRAQ)) {
        list_del(&svc->dq);
    } else if (svc->flags & RT_ON_RUNQ) {
        rt_catch_up(prv, svc, now);
        svc->waited += now - svc->wait_start;
        rt_runq_erase(prv, svc);
    }
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
    if (cpumask_empty(&idle) && last && !rt_before(svc, rb_entry(last, struct rt_pcpu, node)->curr))
        return;
    ok = cpumask_and(&cpus, &svc->v->cpu_hard_affinity);
    ok = cpumask_andnot(&ok, &prv->tickled);
    idle = cpumask_andnot(&ok, &prv->busy);
    target = cpumask_first(&idle);
    if (target == NR_CPUS) {
        for (struct rb_node *n = last; n && !worst; n = rb_prev(n))
            if (cpumask_test(&ok, rb_entry(n, struct rt_pcpu, node)->curr->cpu))
                worst = rb_entry(n, struct rt_pcpu, node)->curr;
        if (!worst || !rt_before(svc, worst))
            return;
        target = worst->cpu;
    }
    cpumask_set(&prv->tickled, target);
    sched_raise(target);
}
