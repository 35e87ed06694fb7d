/* credit: proportional share by weight, caps, and a boost for waking vCPUs — the
 * semantics of Xen's credit scheduler, written anew from its documentation.
 *
 * Design. Credit is CPU time in ns. Each pCPU has a runqueue of one FIFO per priority,
 * BOOST > UNDER (credit >= 0) > OVER (credit < 0). Every 30 ms an accounting pass
 * (sched/credit_acct.c) hands out the elapsed time times the number of pCPUs to the
 * active vCPUs' domains in proportion to weight x active vCPUs, evenly split among
 * those vCPUs. As in Xen, a vCPU becomes active when it is found running at a tick (a
 * 10 ms boundary), and stops being active when it has more credit than it can use
 * (CREDIT_MAX), or is blocked at a pass with no room: a vCPU that runs briefly
 * between ticks takes no share, so it does not dilute the weights of those that
 * compete. A blocked vCPU is paid no more than it ran in the period just past: enough
 * for a sleeper to wake UNDER (and BOOST) again, but paid up to the top while asleep,
 * a vCPU that ran at creation woke with credit banked that the others paid for (a
 * light domain got +4.5 % over 5 s booted). A running vCPU is judged by its credit less its
 * time not yet debited. Shares are water-filled: a domain gets no more than its active
 * vCPUs can run (one pCPU each), its cap allows, or they have room for, and the rest
 * goes to the others by weight (Xen's credit_xtra pass approximates this). A running
 * vCPU is debited its exact run time whenever its pCPU reschedules, at the latest at
 * each tick boundary. Credit stays within +-CREDIT_MAX. A vCPU that wakes UNDER gets
 * BOOST, lost at the first tick boundary it runs across. A vCPU keeps its pCPU for a
 * 30 ms slice unless one of higher priority waits, and for 1 ms (ratelimit) unless
 * that one is BOOST; once preempted, its slice has ended: it goes to the tail of its
 * priority, and its next turn is a new slice (as in Xen). After a pass each pCPU moves
 * its queued OVER vCPUs that are now UNDER to the UNDER tail, in order: O(q). A pCPU
 * whose best choice is below BOOST steals a better vCPU from another pCPU's queue,
 * soft affinity first; a queue not re-sorted since the pass counts as holding UNDER
 * work, so a stale hint hides nothing. Wake raises the vCPU's pCPU if it outranks what
 * runs there, else an idle pCPU it may use, else one running lower priority (to steal
 * it). Caps: a domain's run time is charged against cap% of one pCPU per period, a
 * period's worth of unused budget carried over; only past its cap is the domain
 * parked (its vCPUs stay queued, unpicked), until a pass pays the overrun out of the
 * new period's budget.
 *
 * Where it differs from Xen, and why. (1) A vCPU that runs into debt also becomes
 * active: Xen samples at ticks whose phase is unrelated to the guest's, while here
 * ticks and guest timers share one clock, and a vCPU that always runs between ticks
 * would never be credited. (2) Going inactive at CREDIT_MAX keeps CREDIT_MAX; Xen
 * halves it, and the half it drops was taken from the other domains' shares. (3)
 * Debits are exact, not a tick's worth. (4) Caps are a budget per period with a
 * period of carry-over, where Xen lowers the domain's credit and parks it when deep in
 * debt. (5) A pCPU running UNDER also steals BOOST work (Xen steals only when its best
 * is OVER or idle). (6) A blocked vCPU is paid up to what it ran in the last period,
 * and goes inactive when that is nothing; Xen pays an active vCPU while it sleeps, up
 * to the top. (7) Credit
 * pays for the period just past (elapsed x pCPUs). (8) For scale: hints (idle, what
 * runs, what is queued) are pCPU masks; a thief looks at 16 entries per priority, and
 * one with work of its own at 4 peers per decision.
 *
 * Locking. A pCPU's runqueue and the queue fields of the vCPUs on it (q, pri, queued,
 * boost, yield, start, burnt_to, asleep, on_cpu) are guarded by that pCPU's scheduler
 * lock, held by the core around each op; a thief takes the victim's lock with
 * spin_trylock only. credit_priv.lock guards the domain list, the vCPU slots and the
 * accounting, which the first do_schedule past the deadline runs: it nests inside
 * pCPU locks, and nothing nests inside it. credit, active, cap_used and parked are
 * atomics (debits race with accounting); the pass reads burnt_to, asleep and on_cpu
 * as hints. A pass bumps a generation, and a pCPU re-sorts its queue when it sees a
 * new one. cur_pri, head_pri, gen and the masks are hints read without locks; pCPU
 * data lives in credit_priv, so it stays valid after a pCPU leaves the pool.
 *
 * Limitations. A vCPU that always blocks before a tick keeps its boost (as in Xen).
 * With every pCPU idle, accounting waits for the next decision, and hands out two
 * periods' worth at most. A capped domain of several vCPUs can overrun its cap by a
 * tick per vCPU in a period (repaid in the next), and when it bursts on all of them
 * and parks, pCPUs may idle that the others cannot fill; over a long run it gets at
 * most its cap plus one period's budget. Parked vCPUs stay queued, so a decision may
 * walk past them. Stealing ignores NUMA. The pass walks every vCPU of the pool in one
 * decision, O(n) every 30 ms, and water-filling takes a round per domain that
 * saturates. Paying in arrears, busy vCPUs run mostly in debt between passes, where
 * the FIFO among OVER vCPUs blurs weights: a light domain runs ahead by about one
 * 10 ms turn per vCPU (w-lo of 1:2:4 over 5 s: +1.5 % in the simulator). */
#include "credit.h"

/* May sv run on cpu now? prev (running there) is the one running vCPU allowed. */
static bool credit_eligible(const struct credit_vcpu *sv, unsigned cpu, const struct vcpu *prev)
{
    return !credit_parked(sv) && cpumask_test(&sv->v->cpu_hard_affinity, cpu) &&
           (!sv->v->is_running || sv->v == prev);
}

/* ---- pCPU masks ---- */

/* The lowest pCPU of m at or above from; NR_CPUS if none. */
static unsigned credit_mask_next(const cpumask_t *m, unsigned from)
{
    for (unsigned i = from / 64; from < NR_CPUS && i < CPUMASK_WORDS; i++) {
        uint64_t w = m->bits[i] & (i == from / 64 ? ~0ULL << from % 64 : ~0ULL);
        if (w)
            return i * 64 + (unsigned)__builtin_ctzll(w);
    }
    return NR_CPUS;
}

/* The next pCPU of m after cpu, wrapping around; NR_CPUS if m is empty. Callers clear
 * each pCPU they have looked at from their copy of m, so a walk ends. */
static unsigned credit_mask_after(const cpumask_t *m, unsigned cpu)
{
    unsigned c = credit_mask_next(m, cpu + 1);
    return c < NR_CPUS ? c : credit_mask_next(m, 0);
}

static void credit_mask_put(cpumask_t *m, unsigned cpu, bool set)
{
    if (set != cpumask_test(m, cpu)) {  /* only this pCPU writes its bit (see above) */
        if (set)
            cpumask_set_atomic(m, cpu);
        else
            cpumask_clear_atomic(m, cpu);
    }
}

static unsigned credit_cpu_of(const struct credit_priv *prv, const struct credit_pcpu *pc)
{
    return (unsigned)(pc - prv->pcpu);
}

/* Publishes what runs on pc: IDLE when nothing does. */
static void credit_set_cur(struct credit_priv *prv, struct credit_pcpu *pc, int pri)
{
    unsigned cpu = credit_cpu_of(prv, pc);
    CREDIT_STORE(pc->cur_pri, pri);
    credit_mask_put(&prv->idle, cpu, pri == CREDIT_PRI_IDLE);
    credit_mask_put(&prv->idle_free, cpu, pri == CREDIT_PRI_IDLE);
    for (int p = CREDIT_PRI_OVER; p < CREDIT_NR_PRI; p++)
        credit_mask_put(&prv->below[p], cpu, pri < p);
}

/* ---- runqueues ---- */

static void credit_pcpu_init(struct credit_priv *prv, struct credit_pcpu *pc)
{
    for (int pri = 0; pri < CREDIT_NR_PRI; pri++)
        list_init(&pc->runq[pri]);
    pc->head_pri = CREDIT_PRI_IDLE;
    pc->steal_from = credit_cpu_of(prv, pc);
    pc->gen = CREDIT_LOAD(prv->gen) - 1;
    credit_set_cur(prv, pc, CREDIT_PRI_IDLE);
    for (int p = CREDIT_PRI_OVER; p < CREDIT_NR_PRI; p++)
        credit_mask_put(&prv->has[p], credit_cpu_of(prv, pc), false);
}

/* The priority of the first queued vCPU, parked or still running ones included: a
 * hint too high costs a thief a look, one too low would hide work from it. */
static void credit_hint(struct credit_priv *prv, struct credit_pcpu *pc)
{
    int pri = CREDIT_PRI_BOOST;
    while (pri > CREDIT_PRI_IDLE && list_empty(&pc->runq[pri]))
        pri--;
    if (pri == CREDIT_LOAD(pc->head_pri))
        return;
    CREDIT_STORE(pc->head_pri, pri);
    for (int p = CREDIT_PRI_OVER; p < CREDIT_NR_PRI; p++)
        credit_mask_put(&prv->has[p], credit_cpu_of(prv, pc), pri >= p);
}

/* At the tail of its priority: a preempted vCPU goes behind its equals (as in Xen). */
static void credit_runq_insert(struct credit_pcpu *pc, struct credit_vcpu *sv)
{
    if (sv->queued)
        return;
    list_add_tail(&sv->q, &pc->runq[sv->pri]);
    sv->queued = true;
}

static void credit_runq_remove(struct credit_vcpu *sv)
{
    if (sv->queued) {
        list_del(&sv->q);
        sv->queued = false;
    }
}

/* After an accounting pass queued OVER vCPUs may be UNDER: they move to the tail of
 * the UNDER FIFO in their order, behind those that were ahead of them (a stable
 * partition), O(q). Nothing else moves: a queued vCPU is not debited and keeps its
 * boost, and a pass only adds credit, so BOOST and UNDER vCPUs stay where they are. */
static void credit_runq_refresh(struct credit_priv *prv, struct credit_pcpu *pc)
{
    unsigned gen = __atomic_load_n(&prv->gen, __ATOMIC_ACQUIRE);
    struct list_head *p, *t;
    if (pc->gen == gen)
        return;
    CREDIT_STORE(pc->gen, gen);
    credit_mask_put(&prv->stale, credit_cpu_of(prv, pc), false);
    list_for_each_safe(p, t, &pc->runq[CREDIT_PRI_OVER]) {
        struct credit_vcpu *sv = list_entry(p, struct credit_vcpu, q);
        sv->pri = credit_pri_of(sv);
        if (sv->pri != CREDIT_PRI_OVER) {
            list_del(&sv->q);
            list_add_tail(&sv->q, &pc->runq[sv->pri]);
        }
    }
    credit_hint(prv, pc);
}

/* The first vCPU of pc's queue above min_pri that may run on cpu; NULL if none. */
static struct credit_vcpu *credit_runq_first(struct credit_pcpu *pc, unsigned cpu,
                                             const struct vcpu *prev, int min_pri)
{
    struct list_head *p;
    for (int pri = CREDIT_PRI_BOOST; pri > min_pri; pri--) {
        list_for_each(p, &pc->runq[pri]) {
            struct credit_vcpu *sv = list_entry(p, struct credit_vcpu, q);
            if (credit_eligible(sv, cpu, prev))
                return sv;
        }
    }
    return NULL;
}

/* ---- tickling and stealing ---- */

/* Is any pCPU of the pool idle and not yet raised? (When none is, a busy machine,
 * looking for work to hand one would be wasted.) */
static bool credit_idlers(struct credit_priv *prv)
{
    cpumask_t free = cpumask_load(&prv->idle_free), cpus = credit_cpus(prv);
    return cpumask_intersects(&free, &cpus);
}

/* Raises an idle pCPU not yet raised that may run sv, soft affinity first: clearing
 * its idle_free bit claims it, so two wakers do not raise the same one. */
static bool credit_tickle_idler(struct credit_priv *prv, struct credit_vcpu *sv)
{
    const struct vcpu *v = sv->v;
    cpumask_t free = cpumask_load(&prv->idle_free), cpus = credit_cpus(prv);
    cpumask_t m = cpumask_and(&free, &cpus);
    m = cpumask_and(&m, &v->cpu_hard_affinity);
    for (int step = 0; step < 2; step++) {
        cpumask_t c = step ? m : cpumask_and(&m, &v->cpu_soft_affinity);
        for (unsigned cpu = cpumask_first(&c); cpu < NR_CPUS; cpu = credit_mask_next(&c, cpu + 1)) {
            uint64_t bit = 1ULL << cpu % 64;
            if (__atomic_fetch_and(&prv->idle_free.bits[cpu / 64], ~bit, __ATOMIC_RELAXED) & bit) {
                sched_raise(cpu);
                return true;
            }
        }
    }
    return false;
}

/* sv waits in a queue: make the cheapest suitable pCPU look again. */
static void credit_tickle(struct credit_priv *prv, struct credit_vcpu *sv)
{
    unsigned cpu = sv->v->processor;
    cpumask_t m, cpus;

    if (credit_parked(sv))
        return;
    if (sv->pri > CREDIT_LOAD(prv->pcpu[cpu].cur_pri)) {
        sched_raise(cpu);
        return;
    }
    if (credit_tickle_idler(prv, sv) || sv->pri <= CREDIT_PRI_OVER)
        return;
    m = cpumask_load(&prv->below[sv->pri]);   /* one running lower priority steals it */
    cpus = credit_cpus(prv);
    m = cpumask_and(&m, &cpus);
    m = cpumask_and(&m, &sv->v->cpu_hard_affinity);
    cpu = cpumask_first(&m);
    if (cpu < NR_CPUS)
        sched_raise(cpu);
}

/* Dequeues the first vCPU of peer's queue above min_pri that may run on cpu, among
 * the first CREDIT_STEAL_SCAN of each priority: a thief must not walk long queues. */
static struct credit_vcpu *credit_take(struct credit_priv *prv, struct credit_pcpu *peer,
                                       unsigned cpu, int min_pri, bool soft)
{
    struct list_head *p;
    for (int pri = CREDIT_PRI_BOOST; pri > min_pri; pri--) {
        unsigned seen = 0;
        list_for_each(p, &peer->runq[pri]) {
            struct credit_vcpu *sv = list_entry(p, struct credit_vcpu, q);
            if (++seen > CREDIT_STEAL_SCAN)
                break;
            if (!credit_eligible(sv, cpu, NULL) ||
                (soft && !cpumask_test(&sv->v->cpu_soft_affinity, cpu)))
                continue;
            credit_runq_remove(sv);
            credit_hint(prv, peer);
            return sv;
        }
    }
    return NULL;
}

/* The pCPUs whose queue may hold a vCPU above min_pri: by their hints, and for UNDER
 * also those with OVER vCPUs queued that have not re-sorted since accounting (some
 * may be UNDER now: a stale hint must not hide work from a thief). */
static cpumask_t credit_victims(struct credit_priv *prv, unsigned cpu, int min_pri)
{
    cpumask_t m = cpumask_load(&prv->has[min_pri + 1]), cpus = cpumask_load(&prv->cpus);
    if (min_pri == CREDIT_PRI_OVER) {
        cpumask_t over = cpumask_load(&prv->has[CREDIT_PRI_OVER]), stale = cpumask_load(&prv->stale);
        over = cpumask_and(&over, &stale);
        m = cpumask_or(&m, &over);
    }
    m = cpumask_and(&m, &cpus);
    cpumask_clear(&m, cpu);
    return m;
}

/* A vCPU above min_pri from another pCPU's queue, moved to cpu; NULL if none. The
 * victim's lock is only tried: waiting for it while holding ours could deadlock. A
 * thief with work of its own looks at CREDIT_STEAL_PEERS peers, taking up where its
 * last look ended: stealing then only improves the order, and at 256 pCPUs a look at
 * every peer at every decision would cost more than the decision; an idle thief looks
 * at all. */
static struct credit_vcpu *credit_steal(struct credit_priv *prv, unsigned cpu, int min_pri)
{
    struct credit_pcpu *pc = &prv->pcpu[cpu];
    unsigned budget = min_pri == CREDIT_PRI_IDLE ? NR_CPUS : CREDIT_STEAL_PEERS;
    for (int step = 0; step < 2; step++) {
        cpumask_t m = credit_victims(prv, cpu, min_pri);
        for (unsigned victim = credit_mask_after(&m, pc->steal_from); victim < NR_CPUS;
             victim = credit_mask_after(&m, victim)) {
            struct credit_pcpu *peer = &prv->pcpu[victim];
            struct credit_vcpu *sv = NULL;
            if (!budget--)
                return NULL;
            cpumask_clear(&m, victim);
            pc->steal_from = victim;
            if (!spin_trylock(sched_lock(victim)))
                continue;
            if (sched_pdata(victim) == peer) {  /* still ours once locked */
                credit_runq_refresh(prv, peer);
                sv = credit_take(prv, peer, cpu, min_pri, step == 0);
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
        end = MIN(end, now + credit_cap_burst(cap) - CREDIT_LOAD(sv->dom->cap_used));
    return MAX(end - now, CREDIT_MIN_RUN);
}

/* May prev go on running: its slice not over, not yielding, and nothing waiting
 * here that outranks it (a non-BOOST one only after the ratelimit)? */
static bool credit_keeps_cpu(struct credit_vcpu *sp, struct credit_vcpu *best, unsigned cpu,
                             s_time_t now, bool *ratelimited)
{
    if (!vcpu_runnable(sp->v) || !credit_eligible(sp, cpu, sp->v) || sp->yield ||
        now - sp->start >= CREDIT_SLICE)
        return false;
    if (!best || best->pri <= sp->pri)
        return true;
    *ratelimited = now - sp->start < CREDIT_RATELIMIT && best->pri < CREDIT_PRI_BOOST;
    return *ratelimited;
}

static struct task_slice credit_do_schedule(struct scheduler *s, unsigned cpu,
                                            struct vcpu *prev, s_time_t now)
{
    struct credit_priv *prv = s->priv;
    struct credit_pcpu *pc = &prv->pcpu[cpu];
    struct credit_vcpu *sp = is_idle_vcpu(prev) ? NULL : credit_v(prev), *snext = NULL, *waiting;
    bool keep = false, ratelimited = false;
    bool member = cpumask_test(&s->cpus, cpu);  /* a leaving pCPU takes no work */

    credit_acct_maybe(prv, now);
    credit_runq_refresh(prv, pc);
    if (sp)
        credit_burn(sp, now);
    if (member) {
        snext = credit_runq_first(pc, cpu, NULL, CREDIT_PRI_IDLE);
        keep = sp && credit_keeps_cpu(sp, snext, cpu, now, &ratelimited);
        if (keep)
            snext = sp;
    }
    if (sp && !keep && vcpu_runnable(prev)) {
        credit_runq_insert(pc, sp);     /* behind its equals: preempted, slice over, yield */
        if (member)
            snext = credit_runq_first(pc, cpu, prev, CREDIT_PRI_IDLE);
    }
    if (sp) {
        sp->yield = false;
        CREDIT_STORE(sp->asleep, !vcpu_runnable(prev));
    }
    if (member && (!snext || snext->pri < CREDIT_PRI_BOOST)) {
        struct credit_vcpu *st = credit_steal(prv, cpu, snext ? snext->pri : CREDIT_PRI_IDLE);
        if (st) {
            if (keep)
                credit_runq_insert(pc, sp);
            keep = ratelimited = false;
            snext = st;
        }
    }
    if (sp && snext != sp)
        CREDIT_STORE(sp->on_cpu, false);
    if (snext) {
        CREDIT_STORE(snext->on_cpu, true);
        credit_runq_remove(snext);
        if (!keep)                      /* a new turn: a full slice */
            snext->start = now;
        CREDIT_STORE(snext->burnt_to, now);
    }
    credit_set_cur(prv, pc, snext ? snext->pri : CREDIT_PRI_IDLE);
    credit_hint(prv, pc);
    if (CREDIT_LOAD(pc->head_pri) != CREDIT_PRI_IDLE && credit_idlers(prv)) {
        waiting = credit_runq_first(pc, cpu, NULL, CREDIT_PRI_IDLE);
        if (waiting)                    /* more work here: an idle pCPU could take it */
            credit_tickle_idler(prv, waiting);
    }
    if (!snext)                         /* parked vCPUs queued: look again at accounting */
        return (struct task_slice){ sched_idle_vcpu(cpu),
                                    CREDIT_LOAD(pc->head_pri) == CREDIT_PRI_IDLE ? -1 :
                                    MAX(CREDIT_LOAD(prv->next_acct) - now, CREDIT_MIN_RUN) };
    return (struct task_slice){ snext->v, credit_run_time(snext, now, ratelimited) };
}

/* ---- state changes ---- */

static void credit_wake(struct scheduler *s, struct vcpu *v)
{
    struct credit_priv *prv = s->priv;
    struct credit_vcpu *sv = credit_v(v);

    CREDIT_STORE(sv->asleep, false);
    if (sv->queued || v->is_running)
        return;
    sv->boost = false;
    sv->pri = credit_pri_of(sv);
    if (sv->pri == CREDIT_PRI_UNDER && !credit_parked(sv)) {
        sv->boost = true;
        sv->pri = CREDIT_PRI_BOOST;
        CR_TRACE(TRC_CREDIT_BOOST, v, (uint64_t)CREDIT_LOAD(sv->credit), 0);
    }
    credit_runq_insert(&prv->pcpu[v->processor], sv);
    credit_hint(prv, &prv->pcpu[v->processor]);
    credit_tickle(prv, sv);
}

static void credit_sleep(struct scheduler *s, struct vcpu *v)
{
    struct credit_priv *prv = s->priv;
    struct credit_vcpu *sv = credit_v(v);
    CREDIT_STORE(sv->asleep, true);
    if (sv->queued) {
        credit_runq_remove(sv);
        credit_hint(prv, &prv->pcpu[v->processor]);
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
    cpumask_t idle = cpumask_load(&prv->idle);
    unsigned cur = v->processor;

    if (cpumask_empty(&hard))
        return cur;
    idle = cpumask_and(&idle, m);
    if (cpumask_test(&idle, cur))
        return cur;
    if (!cpumask_empty(&idle))
        return cpumask_first(&idle);
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

    credit_pcpu_init(prv, pc);
    cpumask_set_atomic(&prv->cpus, cpu);
    return pc;
}

static void credit_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    struct credit_priv *prv = s->priv;
    (void)pd;
    cpumask_clear_atomic(&prv->cpus, cpu);
}

/* The domain's vCPU data is one array, a slot per vCPU id (see credit_dom.sv). */
static void *credit_alloc_domdata(struct scheduler *s, struct domain *d)
{
    struct credit_dom *cd = xzalloc(sizeof(*cd));
    if (!cd)
        return NULL;
    cd->nr_sv = d->max_vcpus;
    cd->sv = xzalloc_array(cd->nr_sv, sizeof(*cd->sv));
    if (!cd->sv) {
        xfree(cd);
        return NULL;
    }
    cd->weight = CREDIT_WEIGHT_DFL;
    list_init(&cd->vcpus);
    credit_link(s->priv, &cd->link, &((struct credit_priv *)s->priv)->doms);
    return cd;
}

static void credit_free_domdata(struct scheduler *s, void *dd)
{
    struct credit_dom *cd = dd;
    ASSERT(list_empty(&cd->vcpus));
    credit_link(s->priv, &cd->link, NULL);
    xfree(cd->sv);
    xfree(cd);
}

static void *credit_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct credit_priv *prv = s->priv;
    struct credit_dom *cd = dd;
    struct credit_vcpu *sv;
    unsigned long flags;
    if (!cd || v->vcpu_id >= cd->nr_sv || cd->sv[v->vcpu_id].v)
        return NULL;
    sv = &cd->sv[v->vcpu_id];
    memset(sv, 0, sizeof(*sv));
    sv->dom = cd;
    sv->pri = CREDIT_PRI_UNDER;
    sv->asleep = true;                  /* until its first wake */
    list_init(&sv->q);
    spin_lock_irqsave(&prv->lock, flags);   /* the slot taken: accounting reads it */
    sv->v = v;
    list_add_tail(&sv->dlink, &cd->vcpus);
    spin_unlock_irqrestore(&prv->lock, flags);
    return sv;
}

static void credit_free_vdata(struct scheduler *s, void *vd)
{
    struct credit_priv *prv = s->priv;
    struct credit_vcpu *sv = vd;
    unsigned long flags;
    ASSERT(!sv->queued);
    spin_lock_irqsave(&prv->lock, flags);   /* the slot free again */
    list_del(&sv->dlink);
    sv->v = NULL;
    spin_unlock_irqrestore(&prv->lock, flags);
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
