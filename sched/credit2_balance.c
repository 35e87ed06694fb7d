/* credit2: placement and balancing (the policy's Design and Locking: sched/credit2.c).
 * A waking vCPU raises an idle pCPU of its runqueue, else the one running the least
 * credit, else an idle pCPU elsewhere, which pulls it; an idle pCPU pulls from other
 * runqueues; every 10 ms a runqueue makes the one move or swap of waiting vCPUs that
 * narrows its load gap with another runqueue most.
 *
 * Cost: placement O(pCPUs of the runqueue / 64) words for the idle search, plus one
 * entry of the pcpu array per busy pCPU of the runqueue for the preemption target (its
 * copy of curr's credit: no curr is read); a pull O(log n); balancing O(qa + qb) per
 * pair of runqueues (each queue walked a bounded number of times) while the waiting
 * vCPUs have at most CSCHED2_BALANCE_WEIGHTS distinct weights, O(qa x qb) beyond; the
 * walk that collects the weights stops once it has met every weight queued (the
 * runqueue's wclass), at the first movable vCPU when all share one. */
#include "credit2.h"

/* A pCPU of m for v, soft affinity first: v's own if idle, an idle one, v's own, the
 * first. NR_CPUS if v's hard affinity has none of m. */
unsigned csched2_pick_in(struct csched2_priv *prv, const struct vcpu *v, cpumask_t m)
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

/* A new vCPU's pCPU: in the runqueue with the least load per pCPU among those its
 * hard affinity allows (its own on a tie), as Xen's credit2 places a vCPU that joins;
 * that runqueue's load counts its weight at once, so that vCPUs created together
 * spread over the nodes instead of all starting where the core put them (vCPU i on
 * pCPU i: a second domain's vCPUs then all shared the first domain's nodes, and the
 * other nodes idled until balancing moved one vCPU per 10 ms). Takes each runqueue
 * lock in turn, never two. */
unsigned csched2_place(struct csched2_priv *prv, const struct vcpu *v, s_time_t w)
{
    cpumask_t pool = cpumask_load(&prv->s->cpus), ok = cpumask_and(&pool, &v->cpu_hard_affinity);
    struct csched2_rq *own = prv->pcpu[v->processor].rq, *best = NULL;
    s_time_t bestl = 0;
    unsigned long flags;
    unsigned cpu;
    cpumask_t m, soft;

    for (unsigned i = 0; i < MAX_NUMNODES; i++) {
        struct csched2_rq *rq = &prv->rqs[i];
        s_time_t l, n;
        m = cpumask_and(&rq->cpus, &ok);
        n = cpumask_weight(&m);
        if (!n)
            continue;
        spin_lock_irqsave(&rq->lock, flags);
        csched2_load_update(prv, rq, NOW());
        l = rq->load / n;
        spin_unlock_irqrestore(&rq->lock, flags);
        if (!best || l < bestl || (l == bestl && rq == own))
            best = rq, bestl = l;
    }
    if (!best)
        return v->processor;
    m = cpumask_and(&best->cpus, &ok);
    soft = cpumask_and(&m, &v->cpu_soft_affinity);
    if (!cpumask_empty(&soft))
        m = soft;
    spin_lock_irqsave(&best->lock, flags);
    best->load += w;
    cpu = v->processor;                 /* kept if the runqueue is its own */
    if (!cpumask_test(&m, cpu)) {       /* else the next pCPU in turn, not all on one */
        cpu = cpumask_next(&m, best->place_next);
        cpu = cpu < NR_CPUS ? cpu : cpumask_first(&m);
        best->place_next = cpu + 1;
    }
    spin_unlock_irqrestore(&best->lock, flags);
    return cpu;
}

/* Raises an idle pCPU of m not yet raised that may run sv, soft affinity first. */
bool csched2_tickle_idle(struct csched2_priv *prv, struct csched2_vcpu *sv, cpumask_t m)
{
    const struct vcpu *v = sv->v;
    cpumask_t idle = csched2_idle_in(prv, &m);
    unsigned cpu;
    idle = cpumask_and(&idle, &v->cpu_hard_affinity);
    if (cpumask_empty(&idle))           /* the usual case under load */
        return false;
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
void csched2_tickle(struct csched2_priv *prv, struct csched2_vcpu *sv, s_time_t now)
{
    struct csched2_rq *rq = prv->pcpu[sv->v->processor].rq;
    cpumask_t in = csched2_rq_cpus(prv, rq), pool = cpumask_load(&prv->s->cpus);
    cpumask_t out = cpumask_andnot(&pool, &in), busy;
    unsigned cpu, low = NR_CPUS;
    s_time_t lowc = 0, mw = C2_LOAD(prv->max_weight);

    if (csched2_parked(sv, now) || csched2_tickle_idle(prv, sv, in))
        return;
    /* The busy pCPUs of rq that sv may use: busy mirrors curr, and both change under
     * rq's lock, which we hold. Each one's curr as of now, from the copy in pcpu. */
    busy = cpumask_load(&prv->busy);
    busy = cpumask_and(&busy, &in);
    busy = cpumask_and(&busy, &sv->v->cpu_hard_affinity);
    csched2_for_each_cpu(cpu, it, &busy) {
        const struct csched2_pcpu *pc = &prv->pcpu[cpu];
        s_time_t cr;
        if (!pc->curr)
            continue;
        cr = pc->curr_credit - csched2_scale(now - pc->curr_burnt, mw, pc->curr_weight);
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
struct csched2_vcpu *csched2_pull(struct csched2_priv *prv, unsigned cpu, s_time_t now)
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
struct csched2_weights {
    unsigned nr;
    s_time_t w[CSCHED2_BALANCE_WEIGHTS];
};

/* Adds rq's movable vCPUs' weights to ws; false if there are too many. Stops once ws
 * holds as many weights as rq's queued vCPUs have (rq->wclass), when no vCPU further
 * on can add one: with one weight, at the first movable vCPU instead of the end of
 * the queue (the walk to the end was most of a decision's cost at 4096 vCPUs on 64
 * pCPUs). The classes count qweight, which is the domain's weight but while a weight
 * change is being applied (csched2_reweigh): then the stop may miss the new weight of
 * a vCPU not yet re-counted, and balancing sees the weights the load sums use. */
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
        if (i == ws->nr) {
            ws->w[ws->nr++] = w;
            if (ws->nr == rq->nr_wclass && !rq->wunknown)
                return true;
        }
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
void csched2_balance(struct csched2_priv *prv, struct csched2_rq *rq, s_time_t now)
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
