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
 * Between runqueues: a pCPU with nothing to run pulls a waiting vCPU; every 10 ms a
 * runqueue compares its load per pCPU (exponential average of the summed weight of
 * its runnable vCPUs, 50 ms window: weights, not counts, so that shares also follow
 * weights across runqueues) with each other's and makes the move of one waiting vCPU,
 * or swap of two, that narrows the gap most, if by a quarter of the weight moved; a
 * vCPU moves so at most every 100 ms. Caps: a domain's run time is charged against
 * cap% of one pCPU per 10 ms period; past it the domain is parked (its vCPUs stay
 * queued, unpicked) until later periods' budgets repay it.
 *
 * Locking. Each runqueue has a lock; alloc_pdata points the sched_lock of its pCPUs
 * at it, so the core's "lock of v->processor" is that of the runqueue v is on. It
 * guards the queue, the runqueue's fields, `curr` of its pCPUs and its vCPUs' fields.
 * Moving a vCPU to another runqueue takes that lock with spin_trylock only, holding
 * ours. csched2_priv.lock guards the domain list and max_weight and is taken only by
 * alloc/free/adjust, never inside a runqueue lock; a domain's cap_lock is a leaf.
 * pCPU `curr` and `tickled` are also read without locks, as hints: pCPU and runqueue
 * data live in csched2_priv, so they stay valid after a pCPU leaves the pool.
 *
 * Limitations. max_weight counts every domain of the instance, runnable or not. Soft
 * affinity steers wake-ups and placement, not the choice within a runqueue. The load
 * average is sampled at scheduling decisions; balancing ignores node distance. */
#include <hvlab/errno.h>
#include <hvlab/panic.h>
#include <hvlab/time.h>
#include <hvlab/trace.h>
#include <hvlab/xmalloc.h>
#include "private.h"

/* Its decisions, as trace events (include/public/trace.h: TRC_CREDIT2_*). */
#define C2_TRACE(code, sv, d0, d1) \
    TRACE_VCPU(TRC_POLICY(SCHED_ID_CREDIT2, (code)), (sv)->v, (d0), (d1))

#define CSCHED2_CREDIT_INIT    MILLISECS(10)
#define CSCHED2_CARRYOVER_MAX  MICROSECS(500)
#define CSCHED2_MIN_TIMER      MICROSECS(500)
#define CSCHED2_MAX_TIMER      MILLISECS(10)
#define CSCHED2_RATELIMIT      MICROSECS(1000)
#define CSCHED2_RESIST         MICROSECS(500)  /* credit a waker needs over a runner */
#define CSCHED2_MIGRATE_RESIST MILLISECS(100)  /* a vCPU is balanced at most this often */
#define CSCHED2_BALANCE_PERIOD MILLISECS(10)
#define CSCHED2_LOAD_WINDOW    MILLISECS(50)
#define CSCHED2_CAP_PERIOD     MILLISECS(10)
#define CSCHED2_MIN_RUN        MICROSECS(50)   /* shortest timer we arm */
#define CSCHED2_WEIGHT_DFL     256
#define CSCHED2_WEIGHT_MAX     65535

#define C2_LOAD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define C2_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

struct csched2_dom {
    struct list_head link;              /* in csched2_priv.doms; csched2_priv.lock */
    unsigned weight, cap;               /* written under csched2_priv.lock */
    spinlock_t cap_lock;                /* guards cap_used, cap_epoch */
    s_time_t cap_used;                  /* run time no budget has paid for yet */
    s_time_t cap_epoch;                 /* period cap_used is counted in */
    s_time_t parked_until;              /* atomic: not picked before this */
};

struct csched2_vcpu {
    struct vcpu *v;
    struct csched2_dom *dom;
    /* Guarded by the runqueue lock of v->processor. */
    struct list_head q;
    s_time_t credit;
    s_time_t start;                     /* dispatched at: ratelimit */
    s_time_t burnt_to;                  /* running: burnt up to here */
    s_time_t last_migrate;              /* balanced or pulled at */
    unsigned reset_gen;                 /* last reset it received */
    bool queued, yield;
};

struct csched2_rq {
    spinlock_t lock;                    /* the sched_lock of every pCPU in cpus */
    /* Guarded by lock. */
    struct list_head runq;
    cpumask_t cpus;
    unsigned nr_queued;                 /* also read as a hint */
    s_time_t load, load_stamp;          /* average runnable weight */
    s_time_t next_balance;
    unsigned reset_gen;
};

struct csched2_pcpu {
    struct csched2_rq *rq;
    struct csched2_vcpu *curr;          /* rq->lock; NULL: idle. Also a hint */
    bool tickled;                       /* hint: raised while idle */
};

struct csched2_priv {
    struct scheduler *s;
    spinlock_t lock;
    struct list_head doms;              /* lock */
    unsigned max_weight;                /* written under lock */
    struct csched2_rq rqs[MAX_NUMNODES];
    struct csched2_pcpu pcpu[NR_CPUS];
};

static struct csched2_vcpu *csched2_v(const struct vcpu *v) { return v->sched_priv; }

/* Credit burnt by running t, and run time worth credit c, at sv's weight. */
static s_time_t csched2_t2c(struct csched2_priv *prv, const struct csched2_vcpu *sv, s_time_t t)
{
    return t * C2_LOAD(prv->max_weight) / C2_LOAD(sv->dom->weight);
}
static s_time_t csched2_c2t(struct csched2_priv *prv, const struct csched2_vcpu *sv, s_time_t c)
{
    return c * C2_LOAD(sv->dom->weight) / C2_LOAD(prv->max_weight);
}

static bool csched2_parked(const struct csched2_vcpu *sv, s_time_t now)
{
    return C2_LOAD(sv->dom->cap) && now < C2_LOAD(sv->dom->parked_until);
}

/* The pCPUs of rq still in the instance (the core clears a leaving one first). */
static cpumask_t csched2_rq_cpus(struct csched2_priv *prv, const struct csched2_rq *rq)
{
    cpumask_t pool = cpumask_load(&prv->s->cpus);
    return cpumask_and(&rq->cpus, &pool);
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
    struct list_head *p;
    unsigned cpu;

    rq->reset_gen++;
    C2_TRACE(TRC_CREDIT2_RESET, snext, (uint64_t)(rq - prv->rqs), (uint64_t)times);
    list_for_each(p, &rq->runq)
        csched2_refill(rq, list_entry(p, struct csched2_vcpu, q), times);
    for_each_cpu(cpu, &rq->cpus) {
        struct csched2_vcpu *c = prv->pcpu[cpu].curr;
        if (c) {
            csched2_burn(prv, c, now);
            csched2_refill(rq, c, times);
        }
    }
    csched2_refill(rq, snext, times);   /* if it came from another runqueue */
}

/* ---- runqueues ---- */

static void csched2_runq_insert(struct csched2_rq *rq, struct csched2_vcpu *sv)
{
    struct list_head *p;
    if (sv->queued)
        return;
    list_for_each(p, &rq->runq)
        if (list_entry(p, struct csched2_vcpu, q)->credit < sv->credit)
            break;
    list_add_tail(&sv->q, p);           /* after its equals */
    sv->queued = true;
    rq->nr_queued++;
}

static void csched2_runq_remove(struct csched2_rq *rq, struct csched2_vcpu *sv)
{
    if (sv->queued) {
        list_del(&sv->q);
        sv->queued = false;
        rq->nr_queued--;
    }
}

/* The first queued vCPU, not parked, that may run on cpu (NR_CPUS: on any) and is
 * not running, unless running_ok (it is being switched out); NULL if none. */
static struct csched2_vcpu *csched2_runq_best(struct csched2_rq *rq, unsigned cpu, s_time_t now,
                                              bool running_ok)
{
    struct list_head *p;
    list_for_each(p, &rq->runq) {
        struct csched2_vcpu *sv = list_entry(p, struct csched2_vcpu, q);
        if ((running_ok || !sv->v->is_running) && !csched2_parked(sv, now) &&
            (cpu == NR_CPUS || cpumask_test(&sv->v->cpu_hard_affinity, cpu)))
            return sv;
    }
    return NULL;
}

/* When the first parked vCPU queued on rq may run again; 0 if none is parked. */
static s_time_t csched2_unpark_time(struct csched2_rq *rq, s_time_t now)
{
    struct list_head *p;
    s_time_t t = 0;
    list_for_each(p, &rq->runq) {
        struct csched2_vcpu *sv = list_entry(p, struct csched2_vcpu, q);
        if (csched2_parked(sv, now))
            t = t ? MIN(t, C2_LOAD(sv->dom->parked_until)) : C2_LOAD(sv->dom->parked_until);
    }
    return t;
}

static void csched2_load_update(struct csched2_priv *prv, struct csched2_rq *rq, s_time_t now)
{
    s_time_t dt = MIN(now - rq->load_stamp, 10 * CSCHED2_LOAD_WINDOW), inst = 0;
    struct list_head *p;
    unsigned cpu;

    if (dt <= 0)
        return;
    list_for_each(p, &rq->runq) {
        struct csched2_vcpu *sv = list_entry(p, struct csched2_vcpu, q);
        inst += csched2_parked(sv, now) ? 0 : C2_LOAD(sv->dom->weight);
    }
    for_each_cpu(cpu, &rq->cpus)
        if (prv->pcpu[cpu].curr)
            inst += C2_LOAD(prv->pcpu[cpu].curr->dom->weight);
    rq->load += (inst - rq->load) * dt / (dt + CSCHED2_LOAD_WINDOW);
    rq->load_stamp = now;
}

/* ---- placement and balancing ---- */

/* A pCPU of m for v, soft affinity first: v's own if idle, an idle one, v's own, the
 * first. NR_CPUS if v's hard affinity has none of m. */
static unsigned csched2_pick_in(struct csched2_priv *prv, const struct vcpu *v, cpumask_t m)
{
    cpumask_t hard = cpumask_and(&m, &v->cpu_hard_affinity);
    cpumask_t soft = cpumask_and(&hard, &v->cpu_soft_affinity);
    const cpumask_t *pref = cpumask_empty(&soft) ? &hard : &soft;
    unsigned cpu, cur = v->processor;

    if (cpumask_empty(&hard))
        return NR_CPUS;
    if (cpumask_test(pref, cur) && !C2_LOAD(prv->pcpu[cur].curr))
        return cur;
    for_each_cpu(cpu, pref)
        if (!C2_LOAD(prv->pcpu[cpu].curr))
            return cpu;
    return cpumask_test(pref, cur) ? cur : cpumask_first(pref);
}

/* Raises an idle pCPU of m not yet raised that may run sv, soft affinity first. */
static bool csched2_tickle_idle(struct csched2_priv *prv, struct csched2_vcpu *sv, cpumask_t m)
{
    const struct vcpu *v = sv->v;
    unsigned cpu;
    for (int step = 0; step < 2; step++) {
        for_each_cpu(cpu, &m) {
            struct csched2_pcpu *pc = &prv->pcpu[cpu];
            if (!cpumask_test(&v->cpu_hard_affinity, cpu) ||
                (step == 0 && !cpumask_test(&v->cpu_soft_affinity, cpu)) ||
                C2_LOAD(pc->curr) || C2_LOAD(pc->tickled))
                continue;
            C2_STORE(pc->tickled, true);
            sched_raise(cpu);
            return true;
        }
    }
    return false;
}

/* sv waits on its runqueue (whose lock is held): make the right pCPU look again. */
static void csched2_tickle(struct csched2_priv *prv, struct csched2_vcpu *sv, s_time_t now)
{
    struct csched2_rq *rq = prv->pcpu[sv->v->processor].rq;
    cpumask_t in = csched2_rq_cpus(prv, rq), pool = cpumask_load(&prv->s->cpus);
    cpumask_t out = cpumask_andnot(&pool, &in);
    unsigned cpu, low = NR_CPUS;
    s_time_t lowc = 0;

    if (csched2_parked(sv, now) || csched2_tickle_idle(prv, sv, in))
        return;
    for_each_cpu(cpu, &in) {
        struct csched2_vcpu *c = prv->pcpu[cpu].curr;
        s_time_t cr;
        if (!c || !cpumask_test(&sv->v->cpu_hard_affinity, cpu))
            continue;
        cr = c->credit - csched2_t2c(prv, c, now - c->burnt_to);
        if (low == NR_CPUS || cr < lowc) {
            low = cpu;
            lowc = cr;
        }
    }
    if (low < NR_CPUS && sv->credit - lowc > CSCHED2_RESIST)
        sched_raise(low);
    else
        csched2_tickle_idle(prv, sv, out);      /* it will pull sv over */
}

/* sv, queued on rq, goes to the queue of cpu of runqueue `to`: both locks held. */
static void csched2_move(struct csched2_priv *prv, struct csched2_rq *rq, struct csched2_rq *to,
                         struct csched2_vcpu *sv, unsigned cpu, s_time_t now, bool queue)
{
    s_time_t w = C2_LOAD(sv->dom->weight);

    csched2_runq_remove(rq, sv);
    sv->v->processor = cpu;
    sv->last_migrate = now;
    rq->load = MAX(rq->load - w, 0);    /* so that the next look sees the move */
    to->load += w;
    if (queue) {
        csched2_runq_insert(to, sv);
        csched2_tickle(prv, sv, now);
    }
}

/* Idle cpu: a waiting vCPU from another runqueue, moved here; NULL if none. */
static struct csched2_vcpu *csched2_pull(struct csched2_priv *prv, unsigned cpu, s_time_t now)
{
    struct csched2_rq *own = prv->pcpu[cpu].rq;
    for (unsigned i = 0; i < MAX_NUMNODES; i++) {
        struct csched2_rq *rq = &prv->rqs[i];
        struct csched2_vcpu *sv;
        if (rq == own || !C2_LOAD(rq->nr_queued) || !spin_trylock(&rq->lock))
            continue;
        if ((sv = csched2_runq_best(rq, cpu, now, false)) != NULL) {
            csched2_move(prv, rq, own, sv, cpu, now, false);
            C2_TRACE(TRC_CREDIT2_PULL, sv, (uint64_t)(rq - prv->rqs), cpu);
        }
        spin_unlock(&rq->lock);
        if (sv)
            return sv;
    }
    return NULL;
}

/* How much moving `net` weight from a to b narrows their gap in load per pCPU. */
static s_time_t csched2_gain(struct csched2_priv *prv, struct csched2_rq *a, struct csched2_rq *b,
                             s_time_t net)
{
    cpumask_t ma = csched2_rq_cpus(prv, a), mb = csched2_rq_cpus(prv, b);
    s_time_t ca = cpumask_weight(&ma), cb = cpumask_weight(&mb), before, after;
    if (!ca || !cb)
        return 0;
    before = a->load / ca - b->load / cb;
    after = (a->load - net) / ca - (b->load + net) / cb;
    return before - (after < 0 ? -after : after);
}

/* The pCPU of `to` that sv, waiting, could be balanced to now; NR_CPUS if none. */
static unsigned csched2_movable(struct csched2_priv *prv, struct csched2_vcpu *sv,
                                struct csched2_rq *to, s_time_t now)
{
    if (!sv || sv->v->is_running || csched2_parked(sv, now) ||
        now - sv->last_migrate < CSCHED2_MIGRATE_RESIST)
        return NR_CPUS;
    return csched2_pick_in(prv, sv->v, csched2_rq_cpus(prv, to));
}

/* Balances rq with each other runqueue in turn; at most one move or swap per call
 * (see Design: moving one of three vCPUs to a runqueue with two gains nothing). */
static void csched2_balance(struct csched2_priv *prv, struct csched2_rq *rq, s_time_t now)
{
    for (unsigned i = 0; i < MAX_NUMNODES; i++) {
        struct csched2_rq *to = &prv->rqs[i];
        struct csched2_vcpu *ba = NULL, *bb = NULL;
        s_time_t best = 0;
        struct list_head *p, *r;
        if (to == rq || cpumask_empty(&to->cpus) || !spin_trylock(&to->lock))
            continue;
        csched2_load_update(prv, to, now);
        list_for_each(p, &rq->runq) {
            struct csched2_vcpu *a = list_entry(p, struct csched2_vcpu, q), *b = NULL;
            if (csched2_movable(prv, a, to, now) == NR_CPUS)
                continue;
            for (r = &to->runq; ; r = r->next, b = list_entry(r, struct csched2_vcpu, q)) {
                s_time_t net = C2_LOAD(a->dom->weight) - (b ? C2_LOAD(b->dom->weight) : 0);
                s_time_t g = csched2_gain(prv, rq, to, net);
                if (net > 0 && g >= net / 4 && g > best &&
                    (!b || csched2_movable(prv, b, rq, now) != NR_CPUS)) {
                    best = g;
                    ba = a;
                    bb = b;
                }
                if (r->next == &to->runq)
                    break;
            }
        }
        if (ba) {
            unsigned cb = csched2_movable(prv, bb, rq, now);
            csched2_move(prv, rq, to, ba, csched2_movable(prv, ba, to, now), now, true);
            C2_TRACE(TRC_CREDIT2_BALANCE, ba, (uint64_t)(rq - prv->rqs) << 32 | (to - prv->rqs),
                     bb ? (uint64_t)bb->v->domain->domain_id << 16 | bb->v->vcpu_id : ~0ULL);
            if (bb)
                csched2_move(prv, to, rq, bb, cb, now, true);
        }
        spin_unlock(&to->lock);
        if (ba)
            return;
    }
}

/* ---- the decision ---- */

/* Until sv's credit falls to the next waiter's; if that one has more already, sv runs
 * only for what is left of its ratelimit; a parked vCPU competes as soon as it may. */
static s_time_t csched2_runtime(struct csched2_priv *prv, struct csched2_rq *rq, unsigned cpu,
                                struct csched2_vcpu *sv, s_time_t now)
{
    struct csched2_vcpu *nx = csched2_runq_best(rq, cpu, now, true);
    s_time_t t = CSCHED2_MAX_TIMER, left = csched2_cap_charge(sv->dom, 0, now);
    s_time_t unpark = csched2_unpark_time(rq, now);

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
        C2_STORE(pc->curr, snext);
    }
    if (snext)
        snext->burnt_to = now;
    if (member && now >= rq->next_balance) {
        rq->next_balance = now + CSCHED2_BALANCE_PERIOD;
        csched2_balance(prv, rq, now);
    }
    if ((w = csched2_runq_best(rq, NR_CPUS, now, false)) != NULL)   /* idle pCPUs for it? */
        csched2_tickle_idle(prv, w, csched2_rq_cpus(prv, rq));
    if (snext)
        return (struct task_slice){ snext->v, csched2_runtime(prv, rq, cpu, snext, now) };
    unpark = csched2_unpark_time(rq, now);      /* then look again */
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
        C2_STORE(cd->cap, (unsigned)val[C2_P_CAP]);
        cd->cap_used = 0;
        C2_STORE(cd->parked_until, 0);
        spin_unlock(&cd->cap_lock);
    }
    spin_unlock_irqrestore(&prv->lock, flags);
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
    for (unsigned i = 0; i < MAX_NUMNODES; i++) {
        spin_lock_init(&prv->rqs[i].lock);
        list_init(&prv->rqs[i].runq);
    }
    s->priv = prv;
    return 0;
}

static void csched2_deinit(struct scheduler *s)
{
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
    pc->curr = NULL;
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
    (void)s;
    spin_lock_irqsave(&pc->rq->lock, flags);
    cpumask_clear(&pc->rq->cpus, cpu);
    pc->curr = NULL;
    spin_unlock_irqrestore(&pc->rq->lock, flags);
}

/* Links cd into the domain list or takes it off, then max_weight again. */
static void csched2_dom_link(struct csched2_priv *prv, struct csched2_dom *cd, bool add)
{
    unsigned long flags;
    spin_lock_irqsave(&prv->lock, flags);
    if (add)
        list_add_tail(&cd->link, &prv->doms);
    else
        list_del(&cd->link);
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
    struct csched2_vcpu *sv = dd ? xzalloc(sizeof(*sv)) : NULL;
    (void)s;
    if (sv) {
        sv->v = v;
        sv->dom = dd;
        sv->credit = CSCHED2_CREDIT_INIT;
        sv->last_migrate = -CSCHED2_MIGRATE_RESIST;
        list_init(&sv->q);
    }
    return sv;
}

static void csched2_free_vdata(struct scheduler *s, void *vd)
{
    (void)s;
    ASSERT(!((struct csched2_vcpu *)vd)->queued);
    xfree(vd);
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
