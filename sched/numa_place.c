/* numa's migration rule: where a vCPU away from its home goes (policy: sched/numa.c,
 * whose Design, Locking and Limitations apply here too).
 *
 * Migration rule. A vCPU runs on its home node's pCPUs; a node's vCPUs "at home" are
 * those whose home it is. At its wake and at each slice end, a vCPU away from home is
 * placed by these rules, in order:
 *  (1) it goes to a home node with an idle pCPU it may use;
 *  (2) else to a home node with room for it: fewer vCPUs at home there than pCPUs it
 *      may use there, so vCPUs away from their own homes hold the rest; or one of
 *      those is queued there. One of those is displaced: a queued one swaps places
 *      with the returning vCPU (it is queued where that one was: no load changes),
 *      else a running one is preempted and placed anew by these rules. A vCPU thus
 *      comes home as soon as its home's own vCPUs leave room, whoever else is there;
 *      only at-home vCPUs ever keep it out;
 *  (3) else, if the vCPUs at home where it is fill that node, to the nearest node
 *      with an idle pCPU it may use;
 *  (4) else it stays where it is (at its first wake, or stranded by its affinity:
 *      any home pCPU).
 * A second queue's lock is only taken with spin_trylock, so there is no lock order to
 * break; rule (2)'s swap holds both queues' locks. */
#include "numa.h"

/* A pCPU of ok (of rq, locked) running nothing and not raised yet; NR_CPUS if none. */
static unsigned numa_idle_cpu(struct numa_rq *rq, const cpumask_t *ok)
{
    cpumask_t idle = cpumask_and(ok, &rq->free);
    idle = cpumask_andnot(&idle, &rq->tickled);
    return cpumask_first(&idle);
}

/* A vCPU queued on rq (locked), away from its home, that may run on `from`: it could
 * swap places with a vCPU coming from there. NULL if none. */
static struct numa_vcpu *numa_swappable(struct numa_priv *prv, struct numa_rq *rq,
                                        struct numa_rq *from)
{
    cpumask_t fc = numa_rq_cpus(prv, from);
    for (struct rb_node *p = rb_first(&rq->away); p; p = rb_next(p)) {
        struct numa_vcpu *o = container_of(p, struct numa_vcpu, aq);
        if (!o->v->is_running && cpumask_intersects(&fc, &o->v->cpu_hard_affinity))
            return o;
    }
    return NULL;
}

/* A vCPU came home to rq (locked), whose pCPUs are all taken: send one vCPU there that
 * is away from its home elsewhere: o (if any) to `from` (locked; the newcomer's old
 * place, so neither node's load changes: a swap); else one running there is preempted
 * and placed anew (numa_place) at once. */
static void numa_displace(struct numa_priv *prv, struct numa_rq *rq, struct numa_rq *from,
                          struct numa_vcpu *o, s_time_t now)
{
    cpumask_t fc = numa_rq_cpus(prv, from), cpus = numa_rq_cpus(prv, rq);
    unsigned cpu;

    if (o) {
        cpumask_t ok = cpumask_and(&fc, &o->v->cpu_hard_affinity);
        numa_dequeue(rq, o);
        o->v->processor = cpumask_first(&ok);   /* both locks held */
        numa_enqueue(prv, from, o, false);
        numa_load_changed(prv, from, now);
        numa_tickle(prv, from, o, now);
        return;
    }
    for_each_cpu(cpu, &cpus) {
        struct numa_vcpu *c = prv->pcpu[cpu].curr;
        if (c && !c->at_home && !cpumask_test(&rq->tickled, cpu)) {
            cpumask_set(&rq->tickled, cpu);
            sched_raise(cpu);
            return;
        }
    }
}

/* nv (runnable, neither queued nor running) is away from home on `from`, whose lock is
 * held: queue it on a home node, the first that has (0) an idle pCPU it may use, else
 * (1) room: fewer vCPUs at home there than pCPUs it may use there, the rest being
 * taken by vCPUs away from their homes, one of which is displaced, or a queued vCPU
 * away from its home to swap with; else, !need_idle, (2) any home pCPU it may use.
 * False if not moved (none, or the locks were busy). */
bool numa_go_home(struct numa_priv *prv, struct numa_rq *from, struct numa_vcpu *nv,
                         bool need_idle, s_time_t now)
{
    cpumask_t okn[MAX_NUMNODES];
    uint32_t cand = 0;

    /* The home nodes other than `from` with pCPUs nv may use (okn), found once for the
     * passes, which each found them again (a third of a decision at 256 pCPUs). */
    for (unsigned n = 0, nodes = LOAD(prv->nr_nodes); n < nodes; n++) {
        cpumask_t c;
        if (&prv->rq[n] == from || !numa_is_home(nv, n))
            continue;
        c = numa_rq_cpus(prv, &prv->rq[n]);
        okn[n] = cpumask_and(&c, &nv->v->cpu_hard_affinity);
        if (!cpumask_empty(&okn[n]))
            cand |= 1u << n;
    }
    for (int pass = 0; cand && pass <= 2 - need_idle; pass++) {
        for (uint32_t left = cand; left; left &= left - 1) {
            unsigned n = (unsigned)__builtin_ctz(left);
            struct numa_rq *rq = &prv->rq[n];
            const cpumask_t *ok = &okn[n];
            struct numa_vcpu *swap = NULL;
            unsigned idle;
            bool go;
            cpumask_t idlers = cpumask_load(&prv->idlers);
            if ((pass == 0 && !cpumask_intersects(ok, &idlers)) || !spin_trylock(&rq->lock))
                continue;
            idle = numa_idle_cpu(rq, ok);
            if (idle == NR_CPUS && pass == 1)
                swap = numa_swappable(prv, rq, from);
            go = idle < NR_CPUS || pass == 2 ||
                 (pass == 1 && (rq->nr_home < cpumask_weight(ok) || swap));
            if (go) {
                nv->v->processor = idle < NR_CPUS ? idle : cpumask_first(ok);
                numa_enqueue(prv, rq, nv, true);
                if (idle == NR_CPUS && pass == 1)
                    numa_displace(prv, rq, from, swap, now);
                numa_load_changed(prv, rq, now);
                numa_tickle(prv, rq, nv, now);
            }
            spin_unlock(&rq->lock);
            if (go)
                return true;
        }
    }
    return false;
}

/* nv (as above) may not stay on `from`, which its vCPUs at home fill: queue it on the
 * nearest node with an idle pCPU it may use. False if there is none (or locks busy). */
static bool numa_go_idle(struct numa_priv *prv, struct numa_rq *from, struct numa_vcpu *nv,
                         s_time_t now)
{
    unsigned near[MAX_NUMNODES], n;
    cpumask_t idle = cpumask_load(&prv->idlers);

    idle = cpumask_and(&idle, &nv->v->cpu_hard_affinity);
    if (cpumask_empty(&idle))
        return false;
    n = numa_near_nodes(prv, numa_rq_node(prv, from), near);
    for (unsigned i = 0; i < n; i++) {
        struct numa_rq *rq = &prv->rq[near[i]];
        cpumask_t c = numa_rq_cpus(prv, rq), ok = cpumask_and(&c, &idle);
        unsigned target;
        if (cpumask_empty(&ok) || !spin_trylock(&rq->lock))
            continue;
        target = numa_idle_cpu(rq, &ok);
        if (target < NR_CPUS) {
            nv->v->processor = target;
            numa_enqueue(prv, rq, nv, true);
            numa_load_changed(prv, rq, now);
            numa_tickle(prv, rq, nv, now);
        }
        spin_unlock(&rq->lock);
        if (target < NR_CPUS)
            return true;
    }
    return false;
}

/* nv (runnable, not queued, not running) is to be queued on rq, v->processor's: away
 * from home, it goes home if the rule allows, or elsewhere if rq's own vCPUs fill rq
 * or it may not run there. A waking vCPU is clamped and may preempt; a requeued prev
 * is not and does not (its pCPU is deciding right now). */
void numa_place(struct numa_priv *prv, struct numa_rq *rq, struct numa_vcpu *nv,
                       bool waking, s_time_t now)
{
    cpumask_t c = numa_rq_cpus(prv, rq), ok = cpumask_and(&c, &nv->v->cpu_hard_affinity);
    bool stranded = cpumask_empty(&ok);

    nv->home = numa_vcpu_home(prv, nv, now);
    if (!numa_is_home(nv, numa_rq_node(prv, rq))) {
        if (numa_go_home(prv, rq, nv, !stranded && nv->last_node != NUMA_NO_NODE, now))
            return;
        if (!stranded && rq->nr_home >= cpumask_weight(&ok) && numa_go_idle(prv, rq, nv, now))
            return;
    }
    numa_enqueue(prv, rq, nv, waking);
    numa_load_changed(prv, rq, now);
    if (waking)
        numa_tickle(prv, rq, nv, now);
}
