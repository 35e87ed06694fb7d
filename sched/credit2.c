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
#include <hvlab/rbtree.h>
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
    struct rb_node q;                   /* in runq, when queued */
    s_time_t credit;                    /* next to q: the key of runq's descent */
    s_time_t qweight;                   /* its weight in runq's queued_weight */
    s_time_t start;                     /* dispatched at: ratelimit */
    s_time_t burnt_to;                  /* running: burnt up to here */
    s_time_t last_migrate;              /* balanced or pulled at */
    unsigned reset_gen;                 /* last reset it received */
    struct csched2_vcpu *stale;         /* csched2_reset's list of those to re-place */
    bool queued, yield;
};

struct csched2_rq {
    spinlock_t lock;                    /* the sched_lock of every pCPU in cpus */
    /* Guarded by lock. */
    struct rb_tree runq;                /* by credit, highest first; FIFO among equals */
    cpumask_t cpus;
    unsigned nr_queued;                 /* also read as a hint */
    s_time_t queued_weight;             /* sum of the queued vCPUs' qweight */
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
    unsigned nr_capped;                 /* domains with a cap: written under lock */
    cpumask_t busy;                     /* atomic bits: pCPUs whose curr is set (hint) */
    struct csched2_rq rqs[MAX_NUMNODES];
    struct csched2_pcpu pcpu[NR_CPUS];
};

static struct csched2_vcpu *csched2_v(const struct vcpu *v) { return v->sched_priv; }
static struct csched2_vcpu *csched2_q(const struct rb_node *n)
{
    return rb_entry(n, struct csched2_vcpu, q);
}

/* runq order: more credit first. */
static bool csched2_before(const struct rb_node *a, const struct rb_node *b)
{
    return csched2_q(a)->credit > csched2_q(b)->credit;
}

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

/* Takes the lowest pCPU out of *m and returns it; NR_CPUS once m is empty. Loops
 * over a mask with it visit only its members (for_each_cpu tests every bit up to
 * NR_CPUS, which dominated wakes at 256). */
static unsigned csched2_cpu_pop(cpumask_t *m)
{
    unsigned cpu = cpumask_first(m);
    if (cpu < NR_CPUS)
        cpumask_clear(m, cpu);
    return cpu;
}
#define csched2_for_each_cpu(cpu, it, m) \
    for (cpumask_t it = *(m); ((cpu) = csched2_cpu_pop(&it)) < NR_CPUS; )

/* Sets cpu's curr, and its bit in busy, which lets placement skip busy pCPUs a word at
 * a time (with 256 pCPUs, looking at each pCPU's curr cost more than the rest of a
 * wake). The caller holds cpu's runqueue lock. */
static void csched2_set_curr(struct csched2_priv *prv, unsigned cpu, struct csched2_vcpu *sv)
{
    C2_STORE(prv->pcpu[cpu].curr, sv);
    if (sv)
        cpumask_set_atomic(&prv->busy, cpu);
    else
        cpumask_clear_atomic(&prv->busy, cpu);
}

/* The pCPUs of m not busy, as far as the hint knows (the caller checks curr again). */
static cpumask_t csched2_idle_in(struct csched2_priv *prv, const cpumask_t *m)
{
    cpumask_t busy = cpumask_load(&prv->busy);
    return cpumask_andnot(m, &busy);
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
        }
    }
    csched2_refill(rq, snext, times);   /* if it came from another runqueue */
}

/* ---- runqueues ---- */

static void csched2_runq_insert(struct csched2_rq *rq, struct csched2_vcpu *sv)
{
    if (sv->queued)
        return;
    rb_insert(&rq->runq, &sv->q, csched2_before);   /* after its equals */
    sv->queued = true;
    rq->nr_queued++;
    sv->qweight = C2_LOAD(sv->dom->weight);
    rq->queued_weight += sv->qweight;
}

static void csched2_runq_remove(struct csched2_rq *rq, struct csched2_vcpu *sv)
{
    if (sv->queued) {
        rb_erase(&rq->runq, &sv->q);
        sv->queued = false;
        rq->nr_queued--;
        rq->queued_weight -= sv->qweight;
    }
}

/* cd's weight changed: its queued vCPUs count with the new one in their runqueue's
 * load. O(queued vCPUs); takes each runqueue lock, so not under csched2_priv.lock. */
static void csched2_reweigh(struct csched2_priv *prv, struct csched2_dom *cd)
{
    unsigned long flags;
    for (unsigned i = 0; i < MAX_NUMNODES; i++) {
        struct csched2_rq *rq = &prv->rqs[i];
        spin_lock_irqsave(&rq->lock, flags);
        for (struct rb_node *n = rb_first(&rq->runq); n; n = rb_next(n)) {
            struct csched2_vcpu *sv = csched2_q(n);
            if (sv->dom == cd) {
                rq->queued_weight += C2_LOAD(cd->weight) - sv->qweight;
                sv->qweight = C2_LOAD(cd->weight);
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

/* The first queued vCPU, not parked, that may run on cpu (NR_CPUS: on any) and is
 * not running, unless running_ok (it is being switched out); NULL if none. */
static struct csched2_vcpu *csched2_runq_best(struct csched2_rq *rq, unsigned cpu, s_time_t now,
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

static void csched2_load_update(struct csched2_priv *prv, struct csched2_rq *rq, s_time_t now)
{
    s_time_t dt = MIN(now - rq->load_stamp, 10 * CSCHED2_LOAD_WINDOW), inst = rq->queued_weight;
    unsigned cpu;

    if (dt <= 0)
        return;
    if (C2_LOAD(prv->nr_capped)) {      /* parked vCPUs do not count: look at each */
        inst = 0;
        for (struct rb_node *n = rb_first(&rq->runq); n; n = rb_next(n)) {
            struct csched2_vcpu *sv = csched2_q(n);
            inst += csched2_parked(sv, now) ? 0 : C2_LOAD(sv->dom->weight);
        }
    }
    csched2_for_each_cpu(cpu, it, &rq->cpus)
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
    cpumask_t idle = csched2_idle_in(prv, pref);
    unsigned cpu, cur = v->processor;

    if (cpumask_empty(&hard))
        return NR_CPUS;
    if (cpumask_test(pref, cur) && !C2_LOAD(prv->pcpu[cur].curr))
        return cur;
    csched2_for_each_cpu(cpu, it, &idle)
        if (!C2_LOAD(prv->pcpu[cpu].curr))
            return cpu;
    return cpumask_test(pref, cur) ? cur : cpumask_first(pref);
}

/* Raises an idle pCPU of m not yet raised that may run sv, soft affinity first. */
static bool csched2_tickle_idle(struct csched2_priv *prv, struct csched2_vcpu *sv, cpumask_t m)
{
    const struct vcpu *v = sv->v;
    cpumask_t idle = csched2_idle_in(prv, &m);
    unsigned cpu;
    idle = cpumask_and(&idle, &v->cpu_hard_affinity);
    for (int step = 0; step < 2; step++) {
        cpumask_t cand = step ? idle : cpumask_and(&idle, &v->cpu_soft_affinity);
        csched2_for_each_cpu(cpu, it, &cand) {
            struct csched2_pcpu *pc = &prv->pcpu[cpu];
            if (C2_LOAD(pc->curr) || C2_LOAD(pc->tickled))
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
    csched2_for_each_cpu(cpu, it, &in) {
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

/* Loads and pCPU counts of two runqueues being balanced, fixed for one pass. */
struct csched2_pair {
    s_time_t la, lb, ca, cb;
};

/* How much moving `net` weight from a to b narrows their gap in load per pCPU, if the
 * move is worth making (by a quarter of the weight moved); else 0. */
static s_time_t csched2_gain(const struct csched2_pair *pr, s_time_t net)
{
    s_time_t before = pr->la / pr->ca - pr->lb / pr->cb;
    s_time_t after = (pr->la - net) / pr->ca - (pr->lb + net) / pr->cb;
    s_time_t g = before - (after < 0 ? -after : after);
    return net > 0 && g >= net / 4 ? g : 0;
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

/* csched2_movable(...) != NR_CPUS, without choosing the pCPU; `to` = its pCPUs. */
static bool csched2_may_move(const struct csched2_vcpu *sv, const cpumask_t *to, s_time_t now)
{
    return !sv->v->is_running && !csched2_parked(sv, now) &&
           now - sv->last_migrate >= CSCHED2_MIGRATE_RESIST &&
           cpumask_intersects(&sv->v->cpu_hard_affinity, to);
}

/* The distinct weights of the vCPUs one side could move: a pass compares weights, not
 * vCPUs, since the gain of a move or swap depends only on the weights. */
#define CSCHED2_BALANCE_WEIGHTS 32
struct csched2_weights {
    unsigned nr;
    s_time_t w[CSCHED2_BALANCE_WEIGHTS];
};

/* Adds rq's movable vCPUs' weights to ws; false if there are too many. */
static bool csched2_weights(struct csched2_weights *ws, struct csched2_rq *rq, const cpumask_t *to,
                            s_time_t now)
{
    for (struct rb_node *n = rb_first(&rq->runq); n; n = rb_next(n)) {
        struct csched2_vcpu *sv = csched2_q(n);
        s_time_t w = C2_LOAD(sv->dom->weight);
        unsigned i = 0;
        if (!csched2_may_move(sv, to, now))
            continue;
        while (i < ws->nr && ws->w[i] != w)
            i++;
        if (i == CSCHED2_BALANCE_WEIGHTS)
            return false;
        if (i == ws->nr)
            ws->w[ws->nr++] = w;
    }
    return true;
}

/* The best gain of moving one of a's weight, alone or swapped with one of b's. */
static s_time_t csched2_best_for(const struct csched2_pair *pr, s_time_t wa,
                                 const struct csched2_weights *wb)
{
    s_time_t best = csched2_gain(pr, wa);           /* moved alone */
    for (unsigned j = 0; j < wb->nr; j++)
        best = MAX(best, csched2_gain(pr, wa - wb->w[j]));
    return best;
}

/* The vCPU of rq to balance to `to`, and in *bb the one of `to` to swap it with (NULL:
 * a move): the first pair, in queue order (a move before any swap), with the largest
 * gain, as a walk over every pair would find it. The gain depends on the two weights
 * only, so the largest is found over the weight classes, and a vCPU whose class cannot
 * reach it is passed over without a look at `to`; with more classes than fit, every
 * pair is looked at (O(qa x qb)). NULL if nothing gains. */
static struct csched2_vcpu *csched2_balance_pick(struct csched2_priv *prv, struct csched2_rq *rq,
                                                 struct csched2_rq *to, s_time_t now,
                                                 struct csched2_vcpu **bb)
{
    cpumask_t mrq = csched2_rq_cpus(prv, rq), mto = csched2_rq_cpus(prv, to);
    struct csched2_pair pr = { rq->load, to->load, cpumask_weight(&mrq), cpumask_weight(&mto) };
    struct csched2_weights wa = { 0 }, wb = { 0 };
    bool classes;
    s_time_t best = 0;

    *bb = NULL;
    if (!pr.ca || !pr.cb)
        return NULL;
    classes = csched2_weights(&wa, rq, &mto, now) && csched2_weights(&wb, to, &mrq, now);
    for (unsigned i = 0; classes && i < wa.nr; i++)
        best = MAX(best, csched2_best_for(&pr, wa.w[i], &wb));
    for (int pass = classes; pass < 2; pass++) {    /* pass 0: find best; 1: its pair */
        if (pass == 1 && best <= 0)
            return NULL;
        for (struct rb_node *n = rb_first(&rq->runq); n; n = rb_next(n)) {
            struct csched2_vcpu *a = csched2_q(n);
            s_time_t wa_ = C2_LOAD(a->dom->weight), g;
            if (!csched2_may_move(a, &mto, now))
                continue;
            if ((g = csched2_gain(&pr, wa_)) == best && pass)
                return a;
            best = MAX(best, g);
            if (pass && classes && csched2_best_for(&pr, wa_, &wb) != best)
                continue;
            for (struct rb_node *m = rb_first(&to->runq); m; m = rb_next(m)) {
                struct csched2_vcpu *b = csched2_q(m);
                if (!csched2_may_move(b, &mrq, now))
                    continue;
                g = csched2_gain(&pr, wa_ - C2_LOAD(b->dom->weight));
                if (pass && g == best) {
                    *bb = b;
                    return a;
                }
                best = MAX(best, g);
            }
        }
    }
    return NULL;
}

/* Balances rq with each other runqueue in turn; at most one move or swap per call
 * (see Design: moving one of three vCPUs to a runqueue with two gains nothing).
 * O(qa + qb) per pair of runqueues while the waiting vCPUs have few distinct weights. */
static void csched2_balance(struct csched2_priv *prv, struct csched2_rq *rq, s_time_t now)
{
    for (unsigned i = 0; i < MAX_NUMNODES; i++) {
        struct csched2_rq *to = &prv->rqs[i];
        struct csched2_vcpu *ba, *bb;
        if (to == rq || cpumask_empty(&to->cpus) || !spin_trylock(&to->lock))
            continue;
        csched2_load_update(prv, to, now);
        if ((ba = csched2_balance_pick(prv, rq, to, now, &bb)) != NULL) {
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

static int csched2_adjust(struct scheduler *s, struct domain *d, struct domctl_scheduler_op *op)
{
    struct csched2_priv *prv = s->priv;
    struct csched2_dom *cd = d->sched_priv;
    struct sched_credit_params *p = &op->u.credit;
    unsigned long flags;

    if (op->sched_id != SCHED_ID_CREDIT2 || !cd)
        return -EINVAL;
    if (op->cmd == SCHED_PARAMS_GET) {
        p->weight = C2_LOAD(cd->weight);
        p->cap = C2_LOAD(cd->cap);
        return 0;
    }
    if (op->cmd != SCHED_PARAMS_PUT || p->weight > CSCHED2_WEIGHT_MAX ||
        p->cap > 100 * MAX(d->max_vcpus, 1u))
        return -EINVAL;
    spin_lock_irqsave(&prv->lock, flags);
    if (p->weight)                      /* 0: leave as is */
        C2_STORE(cd->weight, p->weight);
    csched2_max_weight(prv);
    spin_lock(&cd->cap_lock);
    csched2_set_cap(prv, cd, p->cap);
    cd->cap_used = 0;
    C2_STORE(cd->parked_until, 0);
    spin_unlock(&cd->cap_lock);
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
    for (unsigned i = 0; i < MAX_NUMNODES; i++) {
        spin_lock_init(&prv->rqs[i].lock);
        rb_init(&prv->rqs[i].runq);
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
    struct csched2_vcpu *sv = dd ? xzalloc(sizeof(*sv)) : NULL;
    (void)s;
    if (sv) {
        sv->v = v;
        sv->dom = dd;
        sv->credit = CSCHED2_CREDIT_INIT;
        sv->last_migrate = -CSCHED2_MIGRATE_RESIST;
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
    .adjust = csched2_adjust,
};
REGISTER_SCHEDULER(credit2_ops);
