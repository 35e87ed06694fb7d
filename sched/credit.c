/* credit: proportional share by weight, caps, and a boost for waking vCPUs — the
 * semantics of Xen's credit scheduler, written anew from its documentation.
 *
 * Design. Credit is CPU time in ns. Each pCPU has a runqueue ordered by priority,
 * BOOST > UNDER (credit >= 0) > OVER (credit < 0), FIFO within a priority. Every 30 ms
 * an accounting pass hands out the elapsed time times the number of pCPUs to active
 * domains in proportion to weight x active vCPUs, evenly split among those vCPUs.
 * Shares are water-filled: a domain gets no more than its active vCPUs can run (one
 * pCPU each), its cap allows, or they have room for below CREDIT_MAX, and the rest
 * goes to the others by weight (Xen's credit_xtra pass approximates this), so the
 * credit handed out matches what CPU-bound vCPUs can use. A running vCPU is debited
 * its exact run time (Xen debits a tick's worth) whenever its pCPU reschedules, at
 * the latest at each 10 ms tick boundary; a debit makes it active. Credit stays
 * within +-CREDIT_MAX; a vCPU reaching the top is not using its share: it goes
 * inactive with half of it. A vCPU that wakes UNDER gets BOOST, lost at the first
 * tick boundary it runs across. A vCPU keeps its pCPU for a 30 ms slice unless one
 * of higher priority waits, and for 1 ms (ratelimit) unless that one is BOOST. A pCPU
 * whose best choice is below BOOST steals a better vCPU from another pCPU's queue,
 * soft affinity first. Wake raises the vCPU's pCPU if it outranks what runs there,
 * else an idle pCPU it may use, else one running lower priority (to steal it). Caps:
 * a domain's run time is charged against cap% of one pCPU per period; past it the
 * domain is parked (its vCPUs stay queued, unpicked) until an accounting pass pays
 * the overrun out of the new period's budget.
 *
 * Locking. A pCPU's runqueue and the queue fields of the vCPUs on it (q, pri, queued,
 * boost, yield, start, burnt_to) are guarded by that pCPU's scheduler lock, held by
 * the core around each op; a thief takes the victim's lock with spin_trylock only.
 * credit_priv.lock guards the domain and vCPU lists and the accounting, which the
 * first do_schedule past the deadline runs: it nests inside pCPU locks, and nothing
 * nests inside it. credit, active, cap_used and parked are atomics (debits race with
 * accounting); accounting bumps a generation, and a pCPU re-sorts its queue when it
 * sees a new one. cur_pri, head_pri and tickled are hints read without locks; pCPU
 * data lives in credit_priv, so it stays valid after a pCPU leaves the pool.
 *
 * Limitations. A vCPU that always blocks before a tick keeps its boost (as in Xen).
 * With every pCPU idle, accounting waits for the next decision, and hands out two
 * periods' worth at most. A capped domain of several vCPUs can overrun its cap by a
 * tick per vCPU in a period (repaid in the next), and when it bursts on all of them
 * and parks, pCPUs may idle that the others cannot fill. Stealing ignores NUMA. */
#include <hvlab/errno.h>
#include <hvlab/panic.h>
#include <hvlab/time.h>
#include <hvlab/trace.h>
#include <hvlab/xmalloc.h>
#include "private.h"

/* Its decisions, as trace events (include/public/trace.h: TRC_CREDIT_*). */
#define CR_TRACE(code, v, d0, d1) \
    TRACE_VCPU(TRC_POLICY(SCHED_ID_CREDIT, (code)), (v), (d0), (d1))

#define CREDIT_TICK        MILLISECS(10)    /* BOOST is lost at a tick boundary */
#define CREDIT_SLICE       MILLISECS(30)
#define CREDIT_PERIOD      MILLISECS(30)    /* accounting */
#define CREDIT_RATELIMIT   MICROSECS(1000)  /* Xen's sched_ratelimit_us default */
#define CREDIT_MAX         CREDIT_SLICE     /* credit stays within +-CREDIT_MAX */
#define CREDIT_MIN_RUN     MICROSECS(50)    /* shortest timer we arm */
#define CREDIT_WEIGHT_DFL  256
#define CREDIT_WEIGHT_MAX  65535

enum { CREDIT_PRI_IDLE, CREDIT_PRI_OVER, CREDIT_PRI_UNDER, CREDIT_PRI_BOOST };

#define CREDIT_LOAD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define CREDIT_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

struct credit_dom {
    /* Guarded by credit_priv.lock. */
    struct list_head link;              /* in credit_priv.doms */
    struct list_head vcpus;             /* credit_vcpu.dlink */
    unsigned nactive;                   /* accounting scratch */
    s_time_t peak, share;
    bool filled;
    /* Written under credit_priv.lock, read anywhere. */
    unsigned weight, cap;               /* cap: % of one pCPU, 0 = none */
    /* Atomic: charged by debits, settled by accounting. */
    s_time_t cap_used;                  /* run time not yet paid for by a budget */
    bool parked;
};

struct credit_vcpu {
    struct vcpu *v;
    struct credit_dom *dom;
    struct list_head dlink;             /* in dom->vcpus; credit_priv.lock */
    bool acct_on;                       /* active in this pass; credit_priv.lock */
    /* Guarded by the lock of v->processor. */
    struct list_head q;                 /* in that pCPU's runqueue */
    int pri;
    bool queued, boost, yield;
    s_time_t start;                     /* dispatched at: slice and ratelimit */
    s_time_t burnt_to;                  /* run time debited up to here */
    /* Atomic: debited under the pCPU lock, credited by accounting. */
    s_time_t credit;
    bool active;
};

struct credit_pcpu {
    /* Guarded by this pCPU's lock. */
    struct list_head runq;
    unsigned gen;                       /* accounting generation the queue is sorted for */
    /* Hints for other pCPUs: written under the lock, read without it. */
    int cur_pri;                        /* of what runs here; IDLE when idle */
    int head_pri;                       /* best queued vCPU another pCPU could take */
    bool tickled;                       /* raised to steal; cleared by do_schedule */
};

struct credit_priv {
    struct scheduler *s;
    spinlock_t lock;
    /* Guarded by lock. */
    struct list_head doms;
    s_time_t last_acct;
    bool started;
    /* Written under lock, read anywhere. */
    s_time_t next_acct;
    unsigned gen;
    cpumask_t cpus;                     /* pCPUs that joined (see credit_cpus) */
    struct credit_pcpu pcpu[NR_CPUS];
};

static struct credit_vcpu *credit_v(const struct vcpu *v) { return v->sched_priv; }
static bool credit_parked(const struct credit_vcpu *sv) { return CREDIT_LOAD(sv->dom->parked); }

/* The pCPUs to place work on: the core clears a leaving pCPU from s->cpus first. */
static cpumask_t credit_cpus(const struct credit_priv *prv)
{
    cpumask_t pool = cpumask_load(&prv->s->cpus), mine = cpumask_load(&prv->cpus);
    return cpumask_and(&pool, &mine);
}

static int credit_pri_of(const struct credit_vcpu *sv)
{
    return sv->boost ? CREDIT_PRI_BOOST :
           CREDIT_LOAD(sv->credit) >= 0 ? CREDIT_PRI_UNDER : CREDIT_PRI_OVER;
}

/* May sv run on cpu now? prev (running there) is the one running vCPU allowed. */
static bool credit_eligible(const struct credit_vcpu *sv, unsigned cpu, const struct vcpu *prev)
{
    return !credit_parked(sv) && cpumask_test(&sv->v->cpu_hard_affinity, cpu) &&
           (!sv->v->is_running || sv->v == prev);
}

/* ---- runqueues ---- */

static void credit_hint(struct credit_pcpu *pc)
{
    struct list_head *p;
    int pri = CREDIT_PRI_IDLE;
    list_for_each(p, &pc->runq) {
        struct credit_vcpu *sv = list_entry(p, struct credit_vcpu, q);
        if (!credit_parked(sv) && !sv->v->is_running) {
            pri = sv->pri;
            break;
        }
    }
    CREDIT_STORE(pc->head_pri, pri);
}

/* At the tail of its priority, or at its head (a preempted vCPU keeps its turn). */
static void credit_runq_insert(struct credit_pcpu *pc, struct credit_vcpu *sv, bool head)
{
    struct list_head *p;
    if (sv->queued)
        return;
    list_for_each(p, &pc->runq) {
        struct credit_vcpu *o = list_entry(p, struct credit_vcpu, q);
        if (o->pri < sv->pri || (head && o->pri == sv->pri))
            break;
    }
    list_add_tail(&sv->q, p);
    sv->queued = true;
}

static void credit_runq_remove(struct credit_vcpu *sv)
{
    if (sv->queued) {
        list_del(&sv->q);
        sv->queued = false;
    }
}

/* After an accounting pass the priorities of queued vCPUs change: re-sort, stably. */
static void credit_runq_refresh(struct credit_priv *prv, struct credit_pcpu *pc)
{
    unsigned gen = __atomic_load_n(&prv->gen, __ATOMIC_ACQUIRE);
    struct list_head old, *p, *t;
    if (pc->gen == gen)
        return;
    pc->gen = gen;
    list_init(&old);
    if (!list_empty(&pc->runq)) {       /* `old` takes the queue's place in the ring */
        list__insert(&old, pc->runq.prev, pc->runq.next);
        list_init(&pc->runq);
    }
    list_for_each_safe(p, t, &old) {
        struct credit_vcpu *sv = list_entry(p, struct credit_vcpu, q);
        list_del(&sv->q);
        sv->queued = false;
        sv->pri = credit_pri_of(sv);
        credit_runq_insert(pc, sv, false);
    }
    credit_hint(pc);
}

/* The first vCPU of pc's queue that may run on cpu; NULL if none. */
static struct credit_vcpu *credit_runq_first(struct credit_pcpu *pc, unsigned cpu,
                                             const struct vcpu *prev)
{
    struct list_head *p;
    list_for_each(p, &pc->runq) {
        struct credit_vcpu *sv = list_entry(p, struct credit_vcpu, q);
        if (credit_eligible(sv, cpu, prev))
            return sv;
    }
    return NULL;
}

/* ---- credit ---- */

/* Debits sv's run time since the last debit; drops BOOST at a tick boundary. */
/* Parks or unparks cd; v (the vCPU that crossed the cap, or the domain's first at
 * accounting) names the domain in the trace, which sees only the changes. */
static void credit_park(struct credit_dom *cd, bool parked, const struct vcpu *v)
{
    if (__atomic_exchange_n(&cd->parked, parked, __ATOMIC_RELAXED) != parked && v)
        CR_TRACE(TRC_CREDIT_PARK, v, parked, (uint64_t)CREDIT_LOAD(cd->cap_used));
}

static void credit_burn(struct credit_vcpu *sv, s_time_t now)
{
    s_time_t ran = now - sv->burnt_to;
    struct credit_dom *cd = sv->dom;
    unsigned cap = CREDIT_LOAD(cd->cap);

    if (ran > 0) {
        __atomic_sub_fetch(&sv->credit, ran, __ATOMIC_RELAXED);
        CREDIT_STORE(sv->active, true);
        if (cap && __atomic_add_fetch(&cd->cap_used, ran, __ATOMIC_RELAXED) >=
                   (s_time_t)cap * CREDIT_PERIOD / 100)
            credit_park(cd, true, sv->v);
        if (sv->burnt_to / CREDIT_TICK != now / CREDIT_TICK)
            sv->boost = false;
        sv->burnt_to = now;
    }
    sv->pri = credit_pri_of(sv);
}

/* Adds to sv's credit within the bounds; at the top sv goes inactive with half. */
static void credit_give(struct credit_vcpu *sv, s_time_t add)
{
    s_time_t old = CREDIT_LOAD(sv->credit), new;
    bool full;
    do {
        new = old + add;
        full = new >= CREDIT_MAX;
        new = full ? new / 2 : MAX(new, -CREDIT_MAX);
    } while (!__atomic_compare_exchange_n(&sv->credit, &old, new, false,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    if (full)
        CREDIT_STORE(sv->active, false);
}

static s_time_t credit_room(const struct credit_vcpu *sv)
{
    return MAX(CREDIT_MAX - CREDIT_LOAD(sv->credit), 0);
}

/* Counts cd's active vCPUs and the most credit they can use in `elapsed`. */
static void credit_acct_prepare(struct credit_dom *cd, s_time_t elapsed)
{
    struct list_head *p;
    s_time_t room = 0;
    unsigned cap = CREDIT_LOAD(cd->cap);

    cd->nactive = 0;
    list_for_each(p, &cd->vcpus) {
        struct credit_vcpu *sv = list_entry(p, struct credit_vcpu, dlink);
        sv->acct_on = CREDIT_LOAD(sv->active);
        if (sv->acct_on) {
            cd->nactive++;
            room += credit_room(sv);
        }
    }
    cd->peak = MIN((s_time_t)cd->nactive * elapsed, room);
    if (cap)
        cd->peak = MIN(cd->peak, (s_time_t)cap * elapsed / 100);
    cd->filled = false;
    cd->share = 0;
}

/* Splits cd->share evenly among its active vCPUs (the bounds apply to all). */
static void credit_acct_split(struct credit_dom *cd)
{
    struct list_head *p;
    list_for_each(p, &cd->vcpus) {
        struct credit_vcpu *sv = list_entry(p, struct credit_vcpu, dlink);
        credit_give(sv, sv->acct_on ? cd->share / cd->nactive : 0);
        CR_TRACE(TRC_CREDIT_ACCT, sv->v, (uint64_t)CREDIT_LOAD(sv->credit), credit_pri_of(sv));
    }
}

/* A capped domain's new budget pays for what it ran; an overrun carries over. */
static void credit_acct_cap(struct credit_dom *cd, s_time_t elapsed)
{
    unsigned cap = CREDIT_LOAD(cd->cap);
    s_time_t budget = (s_time_t)cap * elapsed / 100, old = CREDIT_LOAD(cd->cap_used), new;

    do
        new = MAX(old - budget, 0);
    while (!__atomic_compare_exchange_n(&cd->cap_used, &old, new, false,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    credit_park(cd, cap && new >= (s_time_t)cap * CREDIT_PERIOD / 100,
                list_empty(&cd->vcpus) ? NULL :
                list_first_entry(&cd->vcpus, struct credit_vcpu, dlink)->v);
}

/* The accounting pass; prv->lock held. */
static void credit_acct(struct credit_priv *prv, s_time_t now)
{
    s_time_t elapsed = MIN(now - prv->last_acct, 2 * CREDIT_PERIOD), left;
    cpumask_t cpus = credit_cpus(prv);
    uint64_t wsum = 0;
    struct list_head *p;
    bool changed = true;

    CREDIT_STORE(prv->next_acct, (now / CREDIT_PERIOD + 1) * CREDIT_PERIOD);
    if (!prv->started || elapsed <= 0) {
        prv->started = true;
        prv->last_acct = now;
        return;
    }
    prv->last_acct = now;
    left = elapsed * cpumask_weight(&cpus);
    list_for_each(p, &prv->doms) {
        struct credit_dom *cd = list_entry(p, struct credit_dom, link);
        credit_acct_prepare(cd, elapsed);
        wsum += (uint64_t)cd->weight * cd->nactive;
    }
    /* Water-filling: a domain whose fair share exceeds what it can use gets that;
     * the rest is shared again among the others. */
    while (changed && wsum) {
        changed = false;
        list_for_each(p, &prv->doms) {
            struct credit_dom *cd = list_entry(p, struct credit_dom, link);
            uint64_t w = (uint64_t)cd->weight * cd->nactive;
            if (!w || cd->filled || (s_time_t)((uint64_t)left * w / wsum) < cd->peak)
                continue;
            cd->share = cd->peak;
            cd->filled = changed = true;
            left -= cd->peak;
            wsum -= w;
        }
    }
    list_for_each(p, &prv->doms) {
        struct credit_dom *cd = list_entry(p, struct credit_dom, link);
        if (cd->nactive && !cd->filled && wsum)
            cd->share = (s_time_t)((uint64_t)left * cd->weight * cd->nactive / wsum);
        credit_acct_split(cd);
        credit_acct_cap(cd, elapsed);
    }
    __atomic_add_fetch(&prv->gen, 1, __ATOMIC_RELEASE);
}

static void credit_acct_maybe(struct credit_priv *prv, s_time_t now)
{
    if (now < CREDIT_LOAD(prv->next_acct))
        return;
    spin_lock(&prv->lock);
    if (now >= prv->next_acct)
        credit_acct(prv, now);
    spin_unlock(&prv->lock);
}

/* ---- tickling and stealing ---- */

/* Raises an idle pCPU not yet raised that may run sv, soft affinity first. */
static bool credit_tickle_idler(struct credit_priv *prv, struct credit_vcpu *sv)
{
    const struct vcpu *v = sv->v;
    cpumask_t cpus = credit_cpus(prv);
    unsigned cpu;
    for (int step = 0; step < 2; step++) {
        for_each_cpu(cpu, &cpus) {
            struct credit_pcpu *pc = &prv->pcpu[cpu];
            if (!cpumask_test(&v->cpu_hard_affinity, cpu) ||
                (step == 0 && !cpumask_test(&v->cpu_soft_affinity, cpu)) ||
                CREDIT_LOAD(pc->cur_pri) != CREDIT_PRI_IDLE || CREDIT_LOAD(pc->tickled))
                continue;
            CREDIT_STORE(pc->tickled, true);
            sched_raise(cpu);
            return true;
        }
    }
    return false;
}

/* sv waits in a queue: make the cheapest suitable pCPU look again. */
static void credit_tickle(struct credit_priv *prv, struct credit_vcpu *sv)
{
    cpumask_t cpus = credit_cpus(prv);
    unsigned cpu = sv->v->processor;

    if (credit_parked(sv))
        return;
    if (sv->pri > CREDIT_LOAD(prv->pcpu[cpu].cur_pri)) {
        sched_raise(cpu);
        return;
    }
    if (credit_tickle_idler(prv, sv) || sv->pri <= CREDIT_PRI_OVER)
        return;
    for_each_cpu(cpu, &cpus) {          /* one running lower priority steals it */
        if (cpumask_test(&sv->v->cpu_hard_affinity, cpu) &&
            CREDIT_LOAD(prv->pcpu[cpu].cur_pri) < sv->pri) {
            sched_raise(cpu);
            return;
        }
    }
}

/* Dequeues the first vCPU of peer's queue above min_pri that may run on cpu. */
static struct credit_vcpu *credit_take(struct credit_pcpu *peer, unsigned cpu, int min_pri,
                                       bool soft)
{
    struct list_head *p;
    list_for_each(p, &peer->runq) {
        struct credit_vcpu *sv = list_entry(p, struct credit_vcpu, q);
        if (sv->pri <= min_pri)
            break;
        if (!credit_eligible(sv, cpu, NULL) ||
            (soft && !cpumask_test(&sv->v->cpu_soft_affinity, cpu)))
            continue;
        credit_runq_remove(sv);
        credit_hint(peer);
        return sv;
    }
    return NULL;
}

/* A vCPU above min_pri from another pCPU's queue, moved to cpu; NULL if none. The
 * victim's lock is only tried: waiting for it while holding ours could deadlock. */
static struct credit_vcpu *credit_steal(struct credit_priv *prv, unsigned cpu, int min_pri)
{
    cpumask_t cpus = cpumask_load(&prv->cpus);
    for (int step = 0; step < 2; step++) {
        for (unsigned i = 1; i < NR_CPUS; i++) {
            unsigned victim = (cpu + i) % NR_CPUS;
            struct credit_pcpu *peer = &prv->pcpu[victim];
            struct credit_vcpu *sv = NULL;
            if (!cpumask_test(&cpus, victim) || CREDIT_LOAD(peer->head_pri) <= min_pri ||
                !spin_trylock(sched_lock(victim)))
                continue;
            if (sched_pdata(victim) == peer) {  /* still ours once locked */
                credit_runq_refresh(prv, peer);
                sv = credit_take(peer, cpu, min_pri, step == 0);
                if (sv) {
                    sv->v->processor = cpu;     /* both locks held */
                    CR_TRACE(TRC_CREDIT_STEAL, sv->v, victim, cpu);
                }
            }
            spin_unlock(sched_lock(victim));
            if (sv)
                return sv;
        }
    }
    return NULL;
}

/* ---- the decision ---- */

/* How long sv may run from now before this pCPU looks again. */
static s_time_t credit_run_time(struct credit_vcpu *sv, s_time_t now, bool ratelimited)
{
    s_time_t end = MIN(sv->start + CREDIT_SLICE, (now / CREDIT_TICK + 1) * CREDIT_TICK);
    unsigned cap = CREDIT_LOAD(sv->dom->cap);
    if (ratelimited)
        end = MIN(end, sv->start + CREDIT_RATELIMIT);
    if (cap)
        end = MIN(end, now + (s_time_t)cap * CREDIT_PERIOD / 100 -
                       CREDIT_LOAD(sv->dom->cap_used));
    return MAX(end - now, CREDIT_MIN_RUN);
}

static struct task_slice credit_do_schedule(struct scheduler *s, unsigned cpu,
                                            struct vcpu *prev, s_time_t now)
{
    struct credit_priv *prv = s->priv;
    struct credit_pcpu *pc = &prv->pcpu[cpu];
    struct credit_vcpu *sp = is_idle_vcpu(prev) ? NULL : credit_v(prev), *snext = NULL, *waiting;
    bool keep_turn = false, ratelimited = false;
    bool member = cpumask_test(&s->cpus, cpu);  /* a leaving pCPU takes no work */

    CREDIT_STORE(pc->tickled, false);
    credit_acct_maybe(prv, now);
    credit_runq_refresh(prv, pc);
    if (sp) {
        credit_burn(sp, now);
        if (vcpu_runnable(prev)) {
            keep_turn = now - sp->start < CREDIT_SLICE && !sp->yield;
            credit_runq_insert(pc, sp, keep_turn);
        }
        sp->yield = false;
    }
    if (member)
        snext = credit_runq_first(pc, cpu, prev);
    if (member && sp && snext != sp && keep_turn && now - sp->start < CREDIT_RATELIMIT &&
        credit_eligible(sp, cpu, prev) && (!snext || snext->pri < CREDIT_PRI_BOOST)) {
        snext = sp;                     /* too soon to preempt it for a non-BOOST */
        ratelimited = true;
    }
    if (member && (!snext || snext->pri < CREDIT_PRI_BOOST)) {
        struct credit_vcpu *st = credit_steal(prv, cpu, snext ? snext->pri : CREDIT_PRI_IDLE);
        if (st)
            snext = st;
    }
    if (snext) {
        credit_runq_remove(snext);
        if (snext != sp || !keep_turn)
            snext->start = now;
        snext->burnt_to = now;
    }
    CREDIT_STORE(pc->cur_pri, snext ? snext->pri : CREDIT_PRI_IDLE);
    credit_hint(pc);
    waiting = credit_runq_first(pc, cpu, NULL);
    if (waiting)                        /* more work here: an idle pCPU could take it */
        credit_tickle_idler(prv, waiting);
    if (!snext)                         /* parked vCPUs queued: look again at accounting */
        return (struct task_slice){ sched_idle_vcpu(cpu), list_empty(&pc->runq) ? -1 :
                                    MAX(CREDIT_LOAD(prv->next_acct) - now, CREDIT_MIN_RUN) };
    return (struct task_slice){ snext->v, credit_run_time(snext, now, ratelimited) };
}

/* ---- state changes ---- */

static void credit_wake(struct scheduler *s, struct vcpu *v)
{
    struct credit_priv *prv = s->priv;
    struct credit_vcpu *sv = credit_v(v);

    if (sv->queued || v->is_running)
        return;
    sv->boost = false;
    sv->pri = credit_pri_of(sv);
    if (sv->pri == CREDIT_PRI_UNDER && !credit_parked(sv)) {
        sv->boost = true;
        sv->pri = CREDIT_PRI_BOOST;
        CR_TRACE(TRC_CREDIT_BOOST, v, (uint64_t)CREDIT_LOAD(sv->credit), 0);
    }
    credit_runq_insert(&prv->pcpu[v->processor], sv, false);
    credit_hint(&prv->pcpu[v->processor]);
    credit_tickle(prv, sv);
}

static void credit_sleep(struct scheduler *s, struct vcpu *v)
{
    struct credit_priv *prv = s->priv;
    struct credit_vcpu *sv = credit_v(v);
    if (sv->queued) {
        credit_runq_remove(sv);
        credit_hint(&prv->pcpu[v->processor]);
    }
    if (v->is_running)
        sched_raise(v->processor);
}

static void credit_yield(struct scheduler *s, struct vcpu *v)
{
    (void)s;
    credit_v(v)->yield = true;          /* do_schedule puts it behind its equals */
}

/* A preempted vCPU was queued while still running: now another pCPU may take it. */
static void credit_context_saved(struct scheduler *s, struct vcpu *prev)
{
    if (!is_idle_vcpu(prev) && credit_v(prev)->queued)
        credit_tickle(s->priv, credit_v(prev));
}

/* Soft affinity if it allows any pCPU, else hard: v's pCPU if idle, else an idle one,
 * else v's pCPU, else the first. */
static unsigned credit_pick_cpu(struct scheduler *s, struct vcpu *v)
{
    struct credit_priv *prv = s->priv;
    cpumask_t cpus = credit_cpus(prv);
    cpumask_t hard = cpumask_and(&v->cpu_hard_affinity, &cpus);
    cpumask_t soft = cpumask_and(&hard, &v->cpu_soft_affinity);
    const cpumask_t *m = cpumask_empty(&soft) ? &hard : &soft;
    unsigned cpu, cur = v->processor;

    if (cpumask_empty(&hard))
        return cur;
    if (cpumask_test(m, cur) && CREDIT_LOAD(prv->pcpu[cur].cur_pri) == CREDIT_PRI_IDLE)
        return cur;
    for_each_cpu(cpu, m)
        if (CREDIT_LOAD(prv->pcpu[cpu].cur_pri) == CREDIT_PRI_IDLE)
            return cpu;
    return cpumask_test(m, cur) ? cur : cpumask_first(m);
}

/* ---- parameters (declared: sched/private.h, struct sched_param) ---- */

enum { CREDIT_P_WEIGHT, CREDIT_P_CAP };
static const struct sched_param credit_params[] = {
    [CREDIT_P_WEIGHT] = { .name = "weight", .unit = "", .min = 1, .max = CREDIT_WEIGHT_MAX,
                          .dflt = CREDIT_WEIGHT_DFL,
                          .doc = "share of the pool's CPU time, relative to other domains" },
    /* The widest cap (64 vCPUs); credit_set_params narrows it to 100 x the vCPUs. */
    [CREDIT_P_CAP] = { .name = "cap", .unit = "%", .min = 0, .max = 6400, .dflt = 0,
                       .flags = SCHED_PARAM_LIMITS,
                       .doc = "most CPU time, in % of one pCPU; 0 = no cap" },
};

static int credit_get_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                             uint64_t *val, uint64_t *cnt)
{
    struct credit_dom *cd = d->sched_priv;
    (void)s; (void)vcpu; (void)cnt;
    if (!cd)
        return -EINVAL;
    val[CREDIT_P_WEIGHT] = CREDIT_LOAD(cd->weight);
    val[CREDIT_P_CAP] = CREDIT_LOAD(cd->cap);
    return 0;
}

static int credit_set_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                             unsigned mask, const uint64_t *val)
{
    struct credit_priv *prv = s->priv;
    struct credit_dom *cd = d->sched_priv;
    unsigned long flags;
    (void)vcpu;

    if (!cd || ((mask >> CREDIT_P_CAP & 1) && val[CREDIT_P_CAP] > 100 * MAX(d->max_vcpus, 1u)))
        return -EINVAL;
    spin_lock_irqsave(&prv->lock, flags);
    if (mask >> CREDIT_P_WEIGHT & 1)
        CREDIT_STORE(cd->weight, (unsigned)val[CREDIT_P_WEIGHT]);
    if (mask >> CREDIT_P_CAP & 1) {
        CREDIT_STORE(cd->cap, (unsigned)val[CREDIT_P_CAP]);
        if (!val[CREDIT_P_CAP]) {
            CREDIT_STORE(cd->cap_used, 0);
            CREDIT_STORE(cd->parked, false);
        }
    }
    spin_unlock_irqrestore(&prv->lock, flags);
    return 0;
}

/* ---- lifetime of private data ---- */

/* Links n into the list at h (NULL: unlinks n) under prv->lock. */
static void credit_link(struct credit_priv *prv, struct list_head *n, struct list_head *h)
{
    unsigned long flags;
    spin_lock_irqsave(&prv->lock, flags);
    if (h)
        list_add_tail(n, h);
    else
        list_del(n);
    spin_unlock_irqrestore(&prv->lock, flags);
}

static int credit_init(struct scheduler *s)
{
    struct credit_priv *prv = xzalloc(sizeof(*prv));
    if (!prv)
        return -ENOMEM;
    prv->s = s;
    spin_lock_init(&prv->lock);
    list_init(&prv->doms);
    s->priv = prv;
    return 0;
}

static void credit_deinit(struct scheduler *s)
{
    xfree(s->priv);
    s->priv = NULL;
}

static void *credit_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    struct credit_priv *prv = s->priv;
    struct credit_pcpu *pc = &prv->pcpu[cpu];

    list_init(&pc->runq);
    pc->cur_pri = pc->head_pri = CREDIT_PRI_IDLE;
    pc->tickled = false;
    pc->gen = CREDIT_LOAD(prv->gen) - 1;
    cpumask_set_atomic(&prv->cpus, cpu);
    return pc;
}

static void credit_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    struct credit_priv *prv = s->priv;
    (void)pd;
    cpumask_clear_atomic(&prv->cpus, cpu);
}

static void *credit_alloc_domdata(struct scheduler *s, struct domain *d)
{
    struct credit_dom *cd = xzalloc(sizeof(*cd));
    (void)d;
    if (cd) {
        cd->weight = CREDIT_WEIGHT_DFL;
        list_init(&cd->vcpus);
        credit_link(s->priv, &cd->link, &((struct credit_priv *)s->priv)->doms);
    }
    return cd;
}

static void credit_free_domdata(struct scheduler *s, void *dd)
{
    struct credit_dom *cd = dd;
    ASSERT(list_empty(&cd->vcpus));
    credit_link(s->priv, &cd->link, NULL);
    xfree(cd);
}

static void *credit_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct credit_priv *prv = s->priv;
    struct credit_vcpu *sv = dd ? xzalloc(sizeof(*sv)) : NULL;
    if (!sv)
        return NULL;
    sv->v = v;
    sv->dom = dd;
    sv->pri = CREDIT_PRI_UNDER;
    list_init(&sv->q);
    credit_link(prv, &sv->dlink, &sv->dom->vcpus);
    return sv;
}

static void credit_free_vdata(struct scheduler *s, void *vd)
{
    struct credit_vcpu *sv = vd;
    ASSERT(!sv->queued);
    credit_link(s->priv, &sv->dlink, NULL);
    xfree(sv);
}

static const struct sched_ops credit_ops = {
    .name = "credit",
    .desc = "Xen credit: weights, caps, boost on wake, 30 ms slices",
    .sched_id = SCHED_ID_CREDIT,
    .init = credit_init,
    .deinit = credit_deinit,
    .alloc_pdata = credit_alloc_pdata,
    .free_pdata = credit_free_pdata,
    .alloc_domdata = credit_alloc_domdata,
    .free_domdata = credit_free_domdata,
    .alloc_vdata = credit_alloc_vdata,
    .free_vdata = credit_free_vdata,
    .wake = credit_wake,
    .sleep = credit_sleep,
    .yield = credit_yield,
    .do_schedule = credit_do_schedule,
    .context_saved = credit_context_saved,
    .pick_cpu = credit_pick_cpu,
    SCHED_PARAMS(credit_params),
    .get_params = credit_get_params,
    .set_params = credit_set_params,
};
REGISTER_SCHEDULER(credit_ops);
