/* credit2: weighted fair share by credit burn rates, one runqueue per NUMA node —
 * the semantics of Xen's credit2, written anew from its documentation.
 *
 * Design. Credit is ns of "max-weight time": a running vCPU burns run time x
 * max_weight / weight (max_weight: the largest weight of the instance's domains), so
 * the heaviest burns one credit per ns and the others faster. The pCPUs of a node
 * share one runqueue sorted by credit, highest first. A pCPU runs the first queued
 * vCPU it may (hard affinity, not running, not parked) unless the running one has as
 * much credit or has run less than the 1 ms ratelimit. When the vCPU about to run has
 * credit <= 0, every vCPU of the runqueue gets CREDIT_INIT (10 ms) more, enough times
 * over for that one to become positive, clipped at CREDIT_INIT + 0.5 ms (blocked
 * ones catch up when they wake): each vCPU gets CREDIT_INIT x weight / max_weight of
 * run time per epoch, so shares follow weights. A slice lasts until the runner's
 * credit falls to the next waiter's, 0.5 to 10 ms. A waking vCPU raises an idle pCPU
 * of its runqueue (soft affinity first), else the one running the least credit if it
 * has 500 us (CSCHED2_RESIST) more, else an idle pCPU elsewhere, which pulls it.
 * A new vCPU joins the runqueue with the least load per pCPU that its affinity allows
 * (as Xen's credit2 places one), its weight counted there at once, so that vCPUs
 * created together spread over the nodes. Between runqueues: a pCPU with nothing to run pulls a waiting vCPU; every 10 ms a
 * runqueue compares its load per pCPU (exponential average of the summed weight of
 * its runnable vCPUs, 50 ms window: weights, not counts, so that shares also follow
 * weights across runqueues) with each other's and makes the move of one waiting vCPU,
 * or swap of two, that narrows the gap most, if by a quarter of the weight moved; a
 * vCPU moves so at most every 100 ms. Caps: a domain's run time is charged against
 * cap% of one pCPU per 10 ms period; past it the domain is parked (its vCPUs stay
 * queued, unpicked) until later periods' budgets repay it. Placement and balancing:
 * sched/credit2_balance.c.
 *
 * Cost (n: vCPUs queued on a runqueue, p: its pCPUs). Each runqueue is a red-black
 * tree (core/lib/rbtree.c) by credit, FIFO among equals, as the sorted list it
 * replaces: insert and remove O(log n); the pick walks from the first entry past
 * running, parked or unaffine ones, O(log n) when few are. A reset raises every
 * queued vCPU by the same clipped amount, which keeps the tree sorted in place: O(n),
 * once per epoch (every queued vCPU's credit spent), not per decision. The load sum
 * is kept as vCPUs are queued and removed (O(1)), and nothing is parked while no
 * domain has a cap, so a decision is O(log n + p) and a wake O(log n + p); balancing
 * costs O(n) per runqueue pair every 10 ms at worst, O(1) while the queued vCPUs share
 * one weight (see credit2_balance.c).
 *
 * Memory, which costs more than instructions at 4096 vCPUs (make sched-bench-ir; a
 * wake's tree descent took a cache and a TLB miss per step). The csched2_vcpus come
 * from an object pool (core/lib/objpool.c: packed, one per cache-line-aligned slot),
 * with the key and the tree links in their first line. Each pCPU keeps a copy of its
 * curr's credit and burnt_to (csched2_curr_sync, wherever they change while it runs),
 * so a wake compares a runqueue's busy pCPUs in the pcpu array, not in each curr; with
 * weight = max_weight (every domain, with the default weights) no 64-bit division is
 * made. Each runqueue counts its queued vCPUs per weight (wclass), which lets a
 * balancing pass stop looking for weights once it has met each of them. None of this
 * changes a decision: `sched_scale --one` gives the same hash before and after, with
 * the default weights and with four different ones.
 *
 * Locking. Each runqueue has a lock; alloc_pdata points the sched_lock of its pCPUs
 * at it, so the core's "lock of v->processor" is that of the runqueue v is on. It
 * guards the queue, the runqueue's fields (wclass too), `curr` of its pCPUs and their
 * copies of its credit, and its vCPUs' fields.
 * Moving a vCPU to another runqueue takes that lock with spin_trylock only, holding
 * ours. csched2_priv.lock guards the domain list and max_weight and is taken only by
 * alloc/free/adjust, never inside a runqueue lock; a domain's cap_lock and the vCPU
 * pool's lock are leaves.
 * pCPU `curr` and `tickled` are also read without locks, as hints, and so is
 * csched2_priv.busy (atomic bits mirroring `curr`, set with it): pCPU and runqueue
 * data live in csched2_priv, so they stay valid after a pCPU leaves the pool.
 *
 * Limitations. max_weight counts every domain of the instance, runnable or not. Soft
 * affinity steers wake-ups and placement, not the choice within a runqueue. The load
 * average is sampled at scheduling decisions; balancing ignores node distance. While
 * any domain has a cap, each decision scans its runqueue for parked vCPUs (O(n)), as
 * before the tree. A weight change walks every runqueue (O(n)) to re-sum the loads. */
#include <hvlab/errno.h>
#include <hvlab/panic.h>
#include <hvlab/time.h>
#include <hvlab/xmalloc.h>
#include "credit2.h"

/* Sets cpu's curr, and its bit in busy, which lets placement skip busy pCPUs a word at
 * a time (with 256 pCPUs, looking at each pCPU's curr cost more than the rest of a
 * wake), and its weight in its runqueue's running_weight, which spares the load
 * average a look at each pCPU's curr per decision. The caller holds cpu's runqueue
 * lock. */
static void csched2_set_curr(struct csched2_priv *prv, unsigned cpu, struct csched2_vcpu *sv)
{
    struct csched2_pcpu *pc = &prv->pcpu[cpu];
    pc->rq->running_weight += (sv ? C2_LOAD(sv->dom->weight) : 0) - pc->curr_weight;
    pc->curr_weight = sv ? C2_LOAD(sv->dom->weight) : 0;
    C2_STORE(pc->curr, sv);
    if (sv)
        cpumask_set_atomic(&prv->busy, cpu);
    else
        cpumask_clear_atomic(&prv->busy, cpu);
}

/* ---- credit and caps ---- */

/* Charges ran to cd's cap; returns the budget left in this period. */
static s_time_t csched2_cap_charge(struct csched2_dom *cd, s_time_t ran, s_time_t now)
{
    unsigned cap = C2_LOAD(cd->cap);
    s_time_t budget = (s_time_t)cap * CSCHED2_CAP_PERIOD / 100;
    s_time_t epoch = now / CSCHED2_CAP_PERIOD, left;

    if (!cap)
        return CSCHED2_MAX_TIMER;
    spin_lock(&cd->cap_lock);
    if (epoch > cd->cap_epoch) {        /* each period's budget repays what ran */
        cd->cap_used = MAX(cd->cap_used - budget * MIN(epoch - cd->cap_epoch, 1000), 0);
        cd->cap_epoch = epoch;
    }
    cd->cap_used += ran;
    left = budget - cd->cap_used;
    if (left <= 0)
        C2_STORE(cd->parked_until, (epoch + cd->cap_used / budget) * CSCHED2_CAP_PERIOD);
    spin_unlock(&cd->cap_lock);
    return left;
}

static void csched2_burn(struct csched2_priv *prv, struct csched2_vcpu *sv, s_time_t now)
{
    s_time_t ran = now - sv->burnt_to;
    if (ran <= 0)
        return;
    s_time_t burnt = csched2_t2c(prv, sv, ran);

    sv->burnt_to = now;
    sv->credit -= burnt;
    csched2_cap_charge(sv->dom, ran, now);
    C2_TRACE(TRC_CREDIT2_BURN, sv, (uint64_t)sv->credit, (uint64_t)burnt);
}

/* Gives sv its part of the runqueue's latest reset, once. */
static void csched2_refill(struct csched2_rq *rq, struct csched2_vcpu *sv, s_time_t times)
{
    if (sv->reset_gen == rq->reset_gen)
        return;
    sv->reset_gen = rq->reset_gen;
    sv->credit = MIN(sv->credit + times * CSCHED2_CREDIT_INIT,
                     CSCHED2_CREDIT_INIT + CSCHED2_CARRYOVER_MAX);
}

/* snext is about to run with no credit left: a new epoch for the whole runqueue. */
static void csched2_reset(struct csched2_priv *prv, struct csched2_rq *rq,
                          struct csched2_vcpu *snext, s_time_t now)
{
    s_time_t times = 1 + MAX(-snext->credit, 0) / CSCHED2_CREDIT_INIT;
    struct csched2_vcpu *stale = NULL, *sv;
    struct rb_node *n;
    unsigned cpu;

    rq->reset_gen++;
    C2_TRACE(TRC_CREDIT2_RESET, snext, (uint64_t)(rq - prv->rqs), (uint64_t)times);
    /* The same raise for every queued vCPU keeps runq sorted in place, except for one
     * that got a reset of this number on the runqueue it came from: it gets none, so
     * it is put back in its place. */
    for (n = rb_first(&rq->runq); n; n = rb_next(n)) {
        sv = csched2_q(n);
        if (sv->reset_gen == rq->reset_gen) {
            sv->stale = stale;
            stale = sv;
        }
        csched2_refill(rq, sv, times);
    }
    while ((sv = stale) != NULL) {
        stale = sv->stale;
        rb_erase(&rq->runq, &sv->q);
        rb_insert(&rq->runq, &sv->q, csched2_before);
    }
    csched2_for_each_cpu(cpu, it, &rq->cpus) {
        struct csched2_vcpu *c = prv->pcpu[cpu].curr;
        if (c) {
            csched2_burn(prv, c, now);
            csched2_refill(rq, c, times);
            csched2_curr_sync(&prv->pcpu[cpu]);
        }
    }
    csched2_refill(rq, snext, times);   /* if it came from another runqueue */
}

/* ---- runqueues ---- */

/* A queued vCPU of weight w joins / leaves rq's weight classes. O(classes). */
static void csched2_wclass_add(struct csched2_rq *rq, s_time_t w)
{
    unsigned i = 0;
    while (i < rq->nr_wclass && rq->wclass[i].w != w)
        i++;
    if (i < rq->nr_wclass)
        rq->wclass[i].n++;
    else if (!rq->wunknown && i < CSCHED2_BALANCE_WEIGHTS)
        rq->wclass[rq->nr_wclass++] = (struct csched2_wclass){ w, 1 };
    else
        rq->wunknown++;
}

static void csched2_wclass_del(struct csched2_rq *rq, s_time_t w)
{
    unsigned i = 0;
    while (i < rq->nr_wclass && rq->wclass[i].w != w)
        i++;
    if (i == rq->nr_wclass) {           /* one of those left out */
        ASSERT(rq->wunknown);
        rq->wunknown--;
    } else if (!--rq->wclass[i].n) {
        rq->wclass[i] = rq->wclass[--rq->nr_wclass];
    }
}

void csched2_runq_insert(struct csched2_rq *rq, struct csched2_vcpu *sv)
{
    if (sv->queued)
        return;
    rb_insert(&rq->runq, &sv->q, csched2_before);   /* after its equals */
    sv->queued = true;
    rq->nr_queued++;
    sv->qweight = C2_LOAD(sv->dom->weight);
    rq->queued_weight += sv->qweight;
    csched2_wclass_add(rq, sv->qweight);
}

void csched2_runq_remove(struct csched2_rq *rq, struct csched2_vcpu *sv)
{
    if (sv->queued) {
        rb_erase(&rq->runq, &sv->q);
        sv->queued = false;
        rq->nr_queued--;
        rq->queued_weight -= sv->qweight;
        csched2_wclass_del(rq, sv->qweight);
    }
}

/* cd's weight changed: its queued vCPUs count with the new one in their runqueue's
 * load. O(queued vCPUs); takes each runqueue lock, so not under csched2_priv.lock. */
static void csched2_reweigh(struct csched2_priv *prv, struct csched2_dom *cd)
{
    unsigned long flags;
    unsigned cpu;
    for (unsigned i = 0; i < MAX_NUMNODES; i++) {
        struct csched2_rq *rq = &prv->rqs[i];
        spin_lock_irqsave(&rq->lock, flags);
        for (struct rb_node *n = rb_first(&rq->runq); n; n = rb_next(n)) {
            struct csched2_vcpu *sv = csched2_q(n);
            if (sv->dom == cd) {
                rq->queued_weight += C2_LOAD(cd->weight) - sv->qweight;
                csched2_wclass_del(rq, sv->qweight);
                sv->qweight = C2_LOAD(cd->weight);
                csched2_wclass_add(rq, sv->qweight);
            }
        }
        csched2_for_each_cpu(cpu, it, &rq->cpus) {
            struct csched2_pcpu *pc = &prv->pcpu[cpu];
            if (pc->curr && pc->curr->dom == cd) {
                rq->running_weight += C2_LOAD(cd->weight) - pc->curr_weight;
                pc->curr_weight = C2_LOAD(cd->weight);
            }
        }
        spin_unlock_irqrestore(&rq->lock, flags);
    }
}

/* Sets cd's cap, keeping nr_capped > 0 whenever some cap is set (counted before a cap
 * appears, uncounted after it goes): with no caps, nothing is parked and the per-
 * decision scans for parked vCPUs are skipped. prv->lock held. */
static void csched2_set_cap(struct csched2_priv *prv, struct csched2_dom *cd, unsigned cap)
{
    unsigned old = C2_LOAD(cd->cap);
    if (cap && !old)
        C2_STORE(prv->nr_capped, prv->nr_capped + 1);
    C2_STORE(cd->cap, cap);
    if (!cap && old)
        C2_STORE(prv->nr_capped, prv->nr_capped - 1);
}

struct csched2_vcpu *csched2_runq_best(struct csched2_rq *rq, unsigned cpu, s_time_t now,
                                       bool running_ok)
{
    for (struct rb_node *n = rb_first(&rq->runq); n; n = rb_next(n)) {
        struct csched2_vcpu *sv = csched2_q(n);
        if ((running_ok || !sv->v->is_running) && !csched2_parked(sv, now) &&
            (cpu == NR_CPUS || cpumask_test(&sv->v->cpu_hard_affinity, cpu)))
            return sv;
    }
    return NULL;
}

/* When the first parked vCPU queued on rq may run again; 0 if none is parked.
 * O(queued) while some domain has a cap, O(1) otherwise. */
static s_time_t csched2_unpark_time(struct csched2_priv *prv, struct csched2_rq *rq, s_time_t now)
{
    s_time_t t = 0;
    if (!C2_LOAD(prv->nr_capped))
        return 0;
    for (struct rb_node *n = rb_first(&rq->runq); n; n = rb_next(n)) {
        struct csched2_vcpu *sv = csched2_q(n);
        if (csched2_parked(sv, now))
            t = t ? MIN(t, C2_LOAD(sv->dom->parked_until)) : C2_LOAD(sv->dom->parked_until);
    }
    return t;
}

void csched2_load_update(struct csched2_priv *prv, struct csched2_rq *rq, s_time_t now)
{
    s_time_t dt = MIN(now - rq->load_stamp, 10 * CSCHED2_LOAD_WINDOW), inst = rq->queued_weight;

    if (dt <= 0)
        return;
    if (C2_LOAD(prv->nr_capped)) {      /* parked vCPUs do not count: look at each */
        inst = 0;
        for (struct rb_node *n = rb_first(&rq->runq); n; n = rb_next(n)) {
            struct csched2_vcpu *sv = csched2_q(n);
            inst += csched2_parked(sv, now) ? 0 : C2_LOAD(sv->dom->weight);
        }
    }
    inst += rq->running_weight;
    rq->load += (inst - rq->load) * dt / (dt + CSCHED2_LOAD_WINDOW);
    rq->load_stamp = now;
}

/* ---- the decision ---- */

/* Until sv's credit falls to the next waiter's; if that one has more already, sv runs
 * only for what is left of its ratelimit; a parked vCPU competes as soon as it may. */
static s_time_t csched2_runtime(struct csched2_priv *prv, struct csched2_rq *rq, unsigned cpu,
                                struct csched2_vcpu *sv, s_time_t now)
{
    struct csched2_vcpu *nx = csched2_runq_best(rq, cpu, now, true);
    s_time_t t = CSCHED2_MAX_TIMER, left = csched2_cap_charge(sv->dom, 0, now);
    s_time_t unpark = csched2_unpark_time(prv, rq, now);

    if (nx && nx->credit > sv->credit) {
        t = sv->start + CSCHED2_RATELIMIT - now;
    } else {
        if (nx)
            t = csched2_c2t(prv, sv, sv->credit - MAX(nx->credit, 0));
        t = MAX(MIN(MAX(t, CSCHED2_MIN_TIMER), CSCHED2_MAX_TIMER),
                sv->start + CSCHED2_RATELIMIT - now);
    }
    if (unpark)
        t = MIN(t, unpark - now);
    return MAX(MIN(t, left), CSCHED2_MIN_RUN);
}

static struct task_slice csched2_do_schedule(struct scheduler *s, unsigned cpu,
                                             struct vcpu *prev, s_time_t now)
{
    struct csched2_priv *prv = s->priv;
    struct csched2_pcpu *pc = &prv->pcpu[cpu];
    struct csched2_rq *rq = pc->rq;
    struct csched2_vcpu *sp = is_idle_vcpu(prev) ? NULL : csched2_v(prev), *snext = NULL, *w;
    bool member = cpumask_test(&s->cpus, cpu);  /* a leaving pCPU takes no work */
    s_time_t unpark;

    C2_STORE(pc->tickled, false);
    csched2_load_update(prv, rq, now);
    if (sp)
        csched2_burn(prv, sp, now);
    if (member)
        snext = csched2_runq_best(rq, cpu, now, false);
    if (sp && member && vcpu_runnable(prev) && !csched2_parked(sp, now) &&
        cpumask_test(&prev->cpu_hard_affinity, cpu) &&
        (!snext || (!sp->yield && (sp->credit >= snext->credit ||
                                   now - sp->start < CSCHED2_RATELIMIT))))
        snext = sp;
    if (!snext && member)
        snext = csched2_pull(prv, cpu, now);
    if (snext && snext->credit <= 0)
        csched2_reset(prv, rq, snext, now);
    if (sp)
        sp->yield = false;
    if (snext != sp) {
        if (sp && vcpu_runnable(prev))
            csched2_runq_insert(rq, sp);
        if (snext) {
            csched2_runq_remove(rq, snext);
            snext->v->processor = cpu;
            snext->start = now;
        }
        csched2_set_curr(prv, cpu, snext);
    }
    if (snext)
        snext->burnt_to = now;
    csched2_curr_sync(pc);
    if (member && now >= rq->next_balance) {
        rq->next_balance = now + CSCHED2_BALANCE_PERIOD;
        csched2_balance(prv, rq, now);
    }
    if ((w = csched2_runq_best(rq, NR_CPUS, now, false)) != NULL)   /* idle pCPUs for it? */
        csched2_tickle_idle(prv, w, csched2_rq_cpus(prv, rq));
    if (snext)
        return (struct task_slice){ snext->v, csched2_runtime(prv, rq, cpu, snext, now) };
    unpark = csched2_unpark_time(prv, rq, now);      /* then look again */
    return (struct task_slice){ sched_idle_vcpu(cpu), unpark ? MAX(unpark - now, 1) : -1 };
}

/* ---- state changes ---- */

static void csched2_wake(struct scheduler *s, struct vcpu *v)
{
    struct csched2_priv *prv = s->priv;
    struct csched2_vcpu *sv = csched2_v(v);
    struct csched2_rq *rq = prv->pcpu[v->processor].rq;

    if (sv->queued || v->is_running)
        return;
    csched2_refill(rq, sv, 1);          /* resets it missed while blocked */
    csched2_runq_insert(rq, sv);
    csched2_tickle(prv, sv, NOW());
}

static void csched2_sleep(struct scheduler *s, struct vcpu *v)
{
    struct csched2_priv *prv = s->priv;
    csched2_runq_remove(prv->pcpu[v->processor].rq, csched2_v(v));
    if (v->is_running)
        sched_raise(v->processor);
}

static void csched2_yield(struct scheduler *s, struct vcpu *v)
{
    (void)s;
    csched2_v(v)->yield = true;         /* do_schedule prefers any other candidate */
}

/* A preempted vCPU was queued while still running: now another pCPU may take it. */
static void csched2_context_saved(struct scheduler *s, struct vcpu *prev)
{
    if (!is_idle_vcpu(prev) && csched2_v(prev)->queued)
        csched2_tickle(s->priv, csched2_v(prev), NOW());
}

/* Soft affinity first: its own pCPU if idle, an idle one, its own, the first. */
static unsigned csched2_pick_cpu(struct scheduler *s, struct vcpu *v)
{
    struct csched2_priv *prv = s->priv;
    unsigned cpu = csched2_pick_in(prv, v, cpumask_load(&s->cpus));

    cpu = cpu < NR_CPUS ? cpu : v->processor;
    C2_TRACE(TRC_CREDIT2_PICK, csched2_v(v), cpu,
             prv->pcpu[cpu].rq ? (uint64_t)(prv->pcpu[cpu].rq - prv->rqs) : ~0ULL);
    return cpu;
}

/* The largest weight of the instance's domains; prv->lock held. */
static void csched2_max_weight(struct csched2_priv *prv)
{
    unsigned max = 1;
    struct list_head *p;
    list_for_each(p, &prv->doms)
        max = MAX(max, C2_LOAD(list_entry(p, struct csched2_dom, link)->weight));
    C2_STORE(prv->max_weight, max);
}

/* ---- parameters (declared: sched/private.h, struct sched_param) ---- */

enum { C2_P_WEIGHT, C2_P_CAP };
static const struct sched_param csched2_params[] = {
    [C2_P_WEIGHT] = { .name = "weight", .unit = "", .min = 1, .max = CSCHED2_WEIGHT_MAX,
                      .dflt = CSCHED2_WEIGHT_DFL,
                      .doc = "share of the pool's CPU time, relative to other domains" },
    /* The widest cap (64 vCPUs); csched2_set_params narrows it to 100 x the vCPUs. */
    [C2_P_CAP] = { .name = "cap", .unit = "%", .min = 0, .max = 6400, .dflt = 0,
                   .flags = SCHED_PARAM_LIMITS,
                   .doc = "most CPU time, in % of one pCPU; 0 = no cap" },
};

static int csched2_get_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                              uint64_t *val, uint64_t *cnt)
{
    struct csched2_dom *cd = d->sched_priv;
    (void)s; (void)vcpu; (void)cnt;
    if (!cd)
        return -EINVAL;
    val[C2_P_WEIGHT] = C2_LOAD(cd->weight);
    val[C2_P_CAP] = C2_LOAD(cd->cap);
    return 0;
}

static int csched2_set_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                              unsigned mask, const uint64_t *val)
{
    struct csched2_priv *prv = s->priv;
    struct csched2_dom *cd = d->sched_priv;
    unsigned long flags;
    (void)vcpu;

    if (!cd || ((mask >> C2_P_CAP & 1) && val[C2_P_CAP] > 100 * MAX(d->max_vcpus, 1u)))
        return -EINVAL;
    spin_lock_irqsave(&prv->lock, flags);
    if (mask >> C2_P_WEIGHT & 1) {
        C2_STORE(cd->weight, (unsigned)val[C2_P_WEIGHT]);
        csched2_max_weight(prv);
    }
    if (mask >> C2_P_CAP & 1) {
        spin_lock(&cd->cap_lock);
        csched2_set_cap(prv, cd, (unsigned)val[C2_P_CAP]);
        cd->cap_used = 0;
        C2_STORE(cd->parked_until, 0);
        spin_unlock(&cd->cap_lock);
    }
    spin_unlock_irqrestore(&prv->lock, flags);
    csched2_reweigh(prv, cd);
    return 0;
}

/* ---- lifetime of private data ---- */

static int csched2_init(struct scheduler *s)
{
    struct csched2_priv *prv = xzalloc(sizeof(*prv));
    if (!prv)
        return -ENOMEM;
    prv->s = s;
    spin_lock_init(&prv->lock);
    list_init(&prv->doms);
    prv->max_weight = CSCHED2_WEIGHT_DFL;
    objpool_init(&prv->vpool, sizeof(struct csched2_vcpu));
    for (unsigned i = 0; i < MAX_NUMNODES; i++) {
        spin_lock_init(&prv->rqs[i].lock);
        rb_init(&prv->rqs[i].runq);
    }
    s->priv = prv;
    return 0;
}

static void csched2_deinit(struct scheduler *s)
{
    objpool_destroy(&((struct csched2_priv *)s->priv)->vpool);
    xfree(s->priv);
    s->priv = NULL;
}

/* cpu joins the runqueue of its node and takes its lock. */
static void *csched2_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    struct csched2_priv *prv = s->priv;
    struct csched2_pcpu *pc = &prv->pcpu[cpu];
    struct csched2_rq *rq = &prv->rqs[MIN(per_cpu(cpu)->node, MAX_NUMNODES - 1u)];
    unsigned long flags;

    spin_lock_irqsave(&rq->lock, flags);
    pc->rq = rq;
    csched2_set_curr(prv, cpu, NULL);
    pc->tickled = false;
    cpumask_set(&rq->cpus, cpu);
    spin_unlock_irqrestore(&rq->lock, flags);
    sched_res(cpu)->lock = &rq->lock;
    return pc;
}

static void csched2_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    struct csched2_pcpu *pc = pd;
    unsigned long flags;
    spin_lock_irqsave(&pc->rq->lock, flags);
    cpumask_clear(&pc->rq->cpus, cpu);
    csched2_set_curr(s->priv, cpu, NULL);
    spin_unlock_irqrestore(&pc->rq->lock, flags);
}

/* Links cd into the domain list or takes it off, then max_weight again. */
static void csched2_dom_link(struct csched2_priv *prv, struct csched2_dom *cd, bool add)
{
    unsigned long flags;
    spin_lock_irqsave(&prv->lock, flags);
    if (add) {
        list_add_tail(&cd->link, &prv->doms);
    } else {
        list_del(&cd->link);
        csched2_set_cap(prv, cd, 0);    /* uncounted */
    }
    csched2_max_weight(prv);
    spin_unlock_irqrestore(&prv->lock, flags);
}

static void *csched2_alloc_domdata(struct scheduler *s, struct domain *d)
{
    struct csched2_dom *cd = xzalloc(sizeof(*cd));
    (void)d;
    if (cd) {
        cd->weight = CSCHED2_WEIGHT_DFL;
        spin_lock_init(&cd->cap_lock);
        csched2_dom_link(s->priv, cd, true);
    }
    return cd;
}

static void csched2_free_domdata(struct scheduler *s, void *dd)
{
    csched2_dom_link(s->priv, dd, false);
    xfree(dd);
}

static void *csched2_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct csched2_vcpu *sv = dd ? objpool_zalloc(&((struct csched2_priv *)s->priv)->vpool) : NULL;
    if (sv) {
        sv->v = v;
        sv->dom = dd;
        sv->credit = CSCHED2_CREDIT_INIT;
        sv->last_migrate = -CSCHED2_MIGRATE_RESIST;
        /* Nobody sees v yet (the core locks its pCPU after this): no lock to move it. */
        v->processor = csched2_place(s->priv, v, C2_LOAD(sv->dom->weight));
    }
    return sv;
}

static void csched2_free_vdata(struct scheduler *s, void *vd)
{
    ASSERT(!((struct csched2_vcpu *)vd)->queued);
    objpool_free(&((struct csched2_priv *)s->priv)->vpool, vd);
}

static const struct sched_ops credit2_ops = {
    .name = "credit2",
    .desc = "Xen credit2: weighted burn rates, a runqueue per node, load balancing",
    .sched_id = SCHED_ID_CREDIT2,
    .init = csched2_init,
    .deinit = csched2_deinit,
    .alloc_pdata = csched2_alloc_pdata,
    .free_pdata = csched2_free_pdata,
    .alloc_domdata = csched2_alloc_domdata,
    .free_domdata = csched2_free_domdata,
    .alloc_vdata = csched2_alloc_vdata,
    .free_vdata = csched2_free_vdata,
    .wake = csched2_wake,
    .sleep = csched2_sleep,
    .yield = csched2_yield,
    .do_schedule = csched2_do_schedule,
    .context_saved = csched2_context_saved,
    .pick_cpu = csched2_pick_cpu,
    SCHED_PARAMS(csched2_params),
    .get_params = csched2_get_params,
    .set_params = csched2_set_params,
};
REGISTER_SCHEDULER(credit2_ops);
