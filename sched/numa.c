/* numa: NUMA-aware proportional share — hvlab's own policy.
 *
 * Design. One runqueue per NUMA node, shared by the node's pCPUs, ordered by virtual
 * runtime (FIFO among equals). A running vCPU's vruntime advances by ran_ns * 256 /
 * weight (weight 1..65535, default 256), so over time each gets CPU in proportion to
 * its weight; do_schedule runs the smallest vruntime the pCPU may run, for NUMA_SLICE
 * (5 ms). A woken vCPU gets vruntime = max(its own, queue minimum - NUMA_WAKE_BONUS)
 * so sleepers neither hoard credit nor lose their place; it preempts the pCPU running
 * the largest vruntime if it is smaller by NUMA_WAKE_GRAN. The queue minimum is
 * monotonic; a vCPU changing queues keeps its distance to the minimum.
 *
 * Home. A domain's home nodes are the sched params' home_nodes bitmap if set, else the
 * node(s) holding the most of its pages (d->node_pages; ties: all of them; no pages:
 * d->home_node, else anywhere), recomputed at most every NUMA_HOME_REFRESH (100 ms),
 * at wake. A vCPU's home is that, limited to nodes with pCPUs it may use (if that
 * leaves none: every such node, and it is never away).
 *
 * Migration rule. A vCPU runs on its home node's pCPUs. An idle pCPU whose own queue
 * has nothing for it steals from another node M only if (1) M's runqueue has had more
 * runnable vCPUs (queued + running) than pCPUs continuously for at least
 * NUMA_IMBALANCE_T = 2 slices (10 ms), and (2) the SLIT distance to M is at most
 * NUMA_MAX_DIST (30); nearest node first, preferring a vCPU whose home is the thief's
 * node, then the first in vruntime order. When M becomes overloaded we raise an idle
 * pCPU of a near node, and an idle pCPU re-checks when the oldest overload it sees
 * reaches T. A vCPU away from home goes back at its next wake or slice end if a
 * pCPU of a home node that it may use is idle (at its first wake, unconditionally).
 * Statistics per vCPU: migrations away (it starts running on a node outside its home
 * that differs from the node it last ran on; its very first run is not one) and ns
 * away (running time on nodes outside its home). GET: u.raw[5] = effective home
 * bitmap, u.raw[6] = migrations away, u.raw[7] = ns away, summed over the domain.
 *
 * Locking. Each node's runqueue has a lock; alloc_pdata points the sched_lock of every
 * pCPU of the node at it, so "the lock of v->processor" is the lock of the queue v is
 * on and guards numa_vcpu and the queue. A second queue's lock is only ever taken with
 * spin_trylock (stealing, going home), so no lock order exists to violate. Read
 * without its lock, as hints only: other nodes' pCPU curr, min_vruntime and
 * overload_since (single-word atomics); everything under the lock is re-checked.
 * Domain weight and home (numa_dom) are single-word atomics written by adjust and by
 * wakes on any node; the statistics are read without a lock by GET.
 *
 * Limitations. Sorted list per node (O(n) insert). Vruntimes of different nodes are
 * comparable only through their minima. A vCPU whose affinity excludes every pCPU of
 * its queue's node leaves at the next chance (trylock); until then it waits. Memory
 * is never moved: a stolen vCPU runs with remote memory. Soft affinity ignored. */
#include <hvlab/errno.h>
#include <hvlab/time.h>
#include <hvlab/topology.h>
#include <hvlab/xmalloc.h>
#include "private.h"

#define NUMA_SLICE          MILLISECS(5)
#define NUMA_IMBALANCE_T    (2 * NUMA_SLICE)    /* overload before a steal */
#define NUMA_MAX_DIST       30                  /* SLIT: 10 local, ~20 one hop */
#define NUMA_WAKE_BONUS     (NUMA_SLICE / 2)    /* virtual ns */
#define NUMA_WAKE_GRAN      MILLISECS(1)        /* virtual ns */
#define NUMA_HOME_REFRESH   MILLISECS(100)
#define NUMA_WEIGHT_DEFAULT 256
#define NUMA_WEIGHT_MAX     65535

struct numa_dom {
    struct domain *d;
    /* Single-word atomics (see Locking). */
    uint32_t weight;
    uint32_t home_set;                  /* from params; 0: from memory */
    uint32_t home_auto;                 /* derived from memory */
    s_time_t home_stamp;                /* when home_auto was derived; 0: never */
};

struct numa_vcpu {
    struct vcpu *v;
    struct numa_dom *dom;               /* NULL: no domain, no home */
    /* Guarded by the lock of v->processor's runqueue. */
    struct list_head q;
    bool queued, running, yielded;
    uint32_t home;                      /* effective home nodes, refreshed at wake/requeue */
    s_time_t vruntime;                  /* in the scale of runqueue vr_node */
    unsigned vr_node;                   /* NUMA_NO_NODE: never queued */
    s_time_t last_start;                /* since when it runs */
    unsigned last_node;                 /* node it last ran on; NUMA_NO_NODE: never ran */
    uint64_t migrations_away, ns_away;  /* read by GET without the lock */
};

struct numa_pcpu {
    struct numa_vcpu *curr;             /* chosen by do_schedule; NULL: idle. Its rq lock */
    unsigned node;
};

struct numa_rq {
    spinlock_t lock;                    /* the sched_lock of every pCPU of the node */
    /* Guarded by lock; min_vruntime and overload_since also read as hints. */
    struct list_head runq;              /* by vruntime */
    unsigned nr_queued, nr_running, nr_cpus;
    cpumask_t cpus, tickled;
    s_time_t min_vruntime;
    s_time_t overload_since;            /* 0: not overloaded */
};

struct numa_priv {
    struct numa_rq rq[MAX_NUMNODES];
    struct numa_pcpu pcpu[NR_CPUS];
};

static struct numa_priv *numa_priv(const struct scheduler *s) { return s->priv; }
static struct numa_vcpu *numa_vcpu(const struct vcpu *v) { return v->sched_priv; }
static unsigned numa_node(const struct numa_priv *prv, unsigned cpu) { return prv->pcpu[cpu].node; }
static struct numa_rq *numa_rq_of(struct numa_priv *prv, unsigned cpu)
{
    return &prv->rq[numa_node(prv, cpu)];
}

#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, y) __atomic_store_n(&(x), (y), __ATOMIC_RELAXED)

/* ---- home ---- */

/* Nodes holding the most of d's pages (ties: all); 0 if it has none. */
static uint32_t numa_nodes_by_memory(struct domain *d)
{
    unsigned long best = 0;
    uint32_t set = 0;
    for (unsigned n = 0; n < MAX_NUMNODES; n++) {
        unsigned long c = LOAD(d->node_pages[n]);
        if (c > best) {
            best = c;
            set = 1u << n;
        } else if (c && c == best) {
            set |= 1u << n;
        }
    }
    if (!set && d->home_node < MAX_NUMNODES)
        set = 1u << d->home_node;
    return set;
}

static uint32_t numa_dom_home(struct numa_dom *nd, s_time_t now)
{
    uint32_t set = LOAD(nd->home_set);
    if (set)
        return set;
    s_time_t stamp = LOAD(nd->home_stamp);
    if (!stamp || now - stamp >= NUMA_HOME_REFRESH) {
        STORE(nd->home_auto, numa_nodes_by_memory(nd->d));
        STORE(nd->home_stamp, now ? now : 1);
    }
    return LOAD(nd->home_auto);
}

/* Nodes with pCPUs v may run on. */
static uint32_t numa_usable(struct numa_priv *prv, const struct vcpu *v)
{
    uint32_t set = 0;
    for (unsigned n = 0; n < MAX_NUMNODES; n++)
        if (LOAD(prv->rq[n].cpus.bits) & v->cpu_hard_affinity.bits)
            set |= 1u << n;
    return set;
}

static uint32_t numa_vcpu_home(struct numa_priv *prv, struct numa_vcpu *nv, s_time_t now)
{
    uint32_t usable = numa_usable(prv, nv->v);
    uint32_t home = nv->dom ? numa_dom_home(nv->dom, now) & usable : 0;
    return home ? home : usable;
}

static bool numa_is_home(const struct numa_vcpu *nv, unsigned node)
{
    return nv->home >> node & 1;
}

/* Other nodes with pCPUs within NUMA_MAX_DIST of `from`, nearest first; their count. */
static unsigned numa_near_nodes(struct numa_priv *prv, unsigned from, unsigned *out)
{
    unsigned n = 0;
    for (unsigned m = 0; m < MAX_NUMNODES; m++) {
        if (m == from || !LOAD(prv->rq[m].nr_cpus) || topo.distance[from][m] > NUMA_MAX_DIST)
            continue;
        unsigned i = n++;
        for (; i > 0 && topo.distance[from][out[i - 1]] > topo.distance[from][m]; i--)
            out[i] = out[i - 1];
        out[i] = m;
    }
    return n;
}

/* ---- runqueues ---- */

static s_time_t numa_weighted(const struct numa_vcpu *nv, s_time_t ns)
{
    uint32_t w = nv->dom ? LOAD(nv->dom->weight) : NUMA_WEIGHT_DEFAULT;
    return ns * NUMA_WEIGHT_DEFAULT / (w ? w : 1);
}

static s_time_t numa_cur_vruntime(const struct numa_vcpu *nv, s_time_t now)
{
    return nv->vruntime + (nv->running ? numa_weighted(nv, now - nv->last_start) : 0);
}

/* Express nv's vruntime in the scale of node `to`'s queue. */
static void numa_rebase(struct numa_priv *prv, struct numa_vcpu *nv, unsigned to)
{
    if (nv->vr_node == to)
        return;
    if (nv->vr_node != NUMA_NO_NODE)
        nv->vruntime += LOAD(prv->rq[to].min_vruntime) - LOAD(prv->rq[nv->vr_node].min_vruntime);
    nv->vr_node = to;
}

static void numa_enqueue(struct numa_priv *prv, struct numa_rq *rq, struct numa_vcpu *nv,
                         bool waking)
{
    struct list_head *p;
    numa_rebase(prv, nv, (unsigned)(rq - prv->rq));
    if (waking)
        nv->vruntime = MAX(nv->vruntime, rq->min_vruntime - NUMA_WAKE_BONUS);
    list_for_each(p, &rq->runq)
        if (nv->vruntime < list_entry(p, struct numa_vcpu, q)->vruntime)
            break;
    list_add_tail(&nv->q, p);
    nv->queued = true;
    rq->nr_queued++;
}

static void numa_dequeue(struct numa_rq *rq, struct numa_vcpu *nv)
{
    if (!nv->queued)
        return;
    list_del(&nv->q);
    nv->queued = false;
    rq->nr_queued--;
}

/* Raise an idle pCPU of a near node: it will watch the overload clock and steal. */
static void numa_call_thief(struct numa_priv *prv, unsigned node)
{
    unsigned near[MAX_NUMNODES], n = numa_near_nodes(prv, node, near), cpu;
    for (unsigned i = 0; i < n; i++)
        for_each_cpu(cpu, &prv->rq[near[i]].cpus)
            if (!LOAD(prv->pcpu[cpu].curr)) {
                sched_raise(cpu);
                return;
            }
}

/* After the counts of rq changed: start or stop its overload clock. */
static void numa_load_changed(struct numa_priv *prv, struct numa_rq *rq, s_time_t now)
{
    if (rq->nr_queued + rq->nr_running <= rq->nr_cpus) {
        STORE(rq->overload_since, 0);
    } else if (!rq->overload_since) {
        STORE(rq->overload_since, now ? now : 1);
        numa_call_thief(prv, (unsigned)(rq - prv->rq));
    }
}

/* nv was queued on rq: raise an idle pCPU of rq it may use, else the one running the
 * largest vruntime if nv's is smaller by NUMA_WAKE_GRAN. */
static void numa_tickle(struct numa_priv *prv, struct numa_rq *rq, struct numa_vcpu *nv,
                        s_time_t now)
{
    unsigned cpu, target = NR_CPUS;
    s_time_t worst = 0;

    for_each_cpu(cpu, &rq->cpus) {
        struct numa_vcpu *c = prv->pcpu[cpu].curr;
        if (!cpumask_test(&nv->v->cpu_hard_affinity, cpu) || cpumask_test(&rq->tickled, cpu))
            continue;
        if (!c) {
            target = cpu;
            worst = NUMA_WAKE_GRAN + nv->vruntime + 1;
            break;
        }
        if (target == NR_CPUS || numa_cur_vruntime(c, now) > worst) {
            worst = numa_cur_vruntime(c, now);
            target = cpu;
        }
    }
    if (target == NR_CPUS || nv->vruntime + NUMA_WAKE_GRAN >= worst)
        return;
    cpumask_set(&rq->tickled, target);
    sched_raise(target);
}

/* An idle pCPU of rq that v may use, not yet raised; NR_CPUS if none. */
static unsigned numa_idle_cpu(struct numa_priv *prv, struct numa_rq *rq, const struct vcpu *v)
{
    unsigned cpu;
    for_each_cpu(cpu, &rq->cpus)
        if (cpumask_test(&v->cpu_hard_affinity, cpu) && !prv->pcpu[cpu].curr &&
            !cpumask_test(&rq->tickled, cpu))
            return cpu;
    return NR_CPUS;
}

/* nv (runnable, neither queued nor running) is on a node outside its home, whose lock
 * is held: move it to a home node with an idle pCPU it may use (any home pCPU it may
 * use if !need_idle) and queue it there. False if not moved (busy, or lock taken). */
static bool numa_go_home(struct numa_priv *prv, struct numa_vcpu *nv, bool need_idle,
                         s_time_t now)
{
    for (unsigned pass = need_idle; pass < 2; pass++) {  /* 1: idle only; 0: any */
        for (unsigned n = 0; n < MAX_NUMNODES; n++) {
            struct numa_rq *rq = &prv->rq[n];
            cpumask_t ok = { rq->cpus.bits & nv->v->cpu_hard_affinity.bits };
            if (!numa_is_home(nv, n) || !ok.bits || !spin_trylock(&rq->lock))
                continue;
            unsigned cpu = numa_idle_cpu(prv, rq, nv->v);
            if (cpu == NR_CPUS && pass)
                goto next;
            nv->v->processor = cpu < NR_CPUS ? cpu : (unsigned)__builtin_ctzll(ok.bits);
            numa_enqueue(prv, rq, nv, false);
            numa_load_changed(prv, rq, now);
            numa_tickle(prv, rq, nv, now);
            spin_unlock(&rq->lock);
            return true;
        next:
            spin_unlock(&rq->lock);
        }
        if (pass == 1 && need_idle)
            break;
    }
    return false;
}

/* nv (runnable, not queued, not running) must be queued on rq (v->processor's): it
 * goes home instead if the rule allows, or leaves a node it may not run on. */
static void numa_place(struct numa_priv *prv, struct numa_rq *rq, struct numa_vcpu *nv,
                       bool waking, s_time_t now)
{
    unsigned node = (unsigned)(rq - prv->rq);
    bool stranded = !(rq->cpus.bits & nv->v->cpu_hard_affinity.bits);

    nv->home = numa_vcpu_home(prv, nv, now);
    if (!numa_is_home(nv, node) &&
        numa_go_home(prv, nv, !stranded && nv->last_node != NUMA_NO_NODE, now))
        return;
    numa_enqueue(prv, rq, nv, waking);
    numa_load_changed(prv, rq, now);
    numa_tickle(prv, rq, nv, now);
}

/* ---- lifetime ---- */

static int numa_init(struct scheduler *s)
{
    struct numa_priv *prv = xzalloc(sizeof(*prv));
    if (!prv)
        return -ENOMEM;
    for (unsigned n = 0; n < MAX_NUMNODES; n++) {
        spin_lock_init(&prv->rq[n].lock);
        list_init(&prv->rq[n].runq);
    }
    s->priv = prv;
    return 0;
}

static void numa_deinit(struct scheduler *s)
{
    xfree(s->priv);
    s->priv = NULL;
}

/* Point sr's lock at `to`, holding the old one so that vcpu_schedule_lock re-checks. */
static void numa_set_lock(struct sched_resource *sr, spinlock_t *to)
{
    spinlock_t *from = sr->lock;
    unsigned long flags;

    if (!from || from == to) {
        sr->lock = to;
        return;
    }
    spin_lock_irqsave(from, flags);
    __atomic_store_n(&sr->lock, to, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(from, flags);
}

static void *numa_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    struct numa_priv *prv = numa_priv(s);
    unsigned node = per_cpu(cpu)->node < MAX_NUMNODES ? per_cpu(cpu)->node : 0;
    struct numa_rq *rq = &prv->rq[node];
    unsigned long flags;

    prv->pcpu[cpu].node = node;
    prv->pcpu[cpu].curr = NULL;
    numa_set_lock(sched_res(cpu), &rq->lock);
    spin_lock_irqsave(&rq->lock, flags);
    cpumask_set(&rq->cpus, cpu);
    rq->nr_cpus++;
    spin_unlock_irqrestore(&rq->lock, flags);
    return &prv->pcpu[cpu];
}

static void numa_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    struct numa_rq *rq = numa_rq_of(numa_priv(s), cpu);
    struct sched_resource *sr = sched_res(cpu);
    unsigned long flags;

    (void)pd;                           /* part of numa_priv */
    spin_lock_irqsave(&rq->lock, flags);
    cpumask_clear(&rq->cpus, cpu);
    cpumask_clear(&rq->tickled, cpu);
    rq->nr_cpus--;
    spin_unlock_irqrestore(&rq->lock, flags);
    numa_set_lock(sr, &sr->_lock);
}

static void *numa_alloc_domdata(struct scheduler *s, struct domain *d)
{
    struct numa_dom *nd = xzalloc(sizeof(*nd));
    (void)s;
    if (nd) {
        nd->d = d;
        nd->weight = NUMA_WEIGHT_DEFAULT;
    }
    return nd;
}

static void numa_free_domdata(struct scheduler *s, void *dd) { (void)s; xfree(dd); }

static void *numa_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct numa_vcpu *nv = xzalloc(sizeof(*nv));
    (void)s;
    if (nv) {
        nv->v = v;
        nv->dom = dd;
        list_init(&nv->q);
        nv->vr_node = nv->last_node = NUMA_NO_NODE;
    }
    return nv;
}

static void numa_free_vdata(struct scheduler *s, void *vd) { (void)s; xfree(vd); }

static void numa_remove_vcpu(struct scheduler *s, struct vcpu *v)
{
    struct numa_rq *rq = numa_rq_of(numa_priv(s), v->processor);
    numa_dequeue(rq, numa_vcpu(v));
    numa_load_changed(numa_priv(s), rq, NOW());
}

/* ---- state changes ---- */

static void numa_wake(struct scheduler *s, struct vcpu *v)
{
    struct numa_priv *prv = numa_priv(s);
    struct numa_vcpu *nv = numa_vcpu(v);

    if (nv->queued || nv->running)
        return;
    numa_place(prv, numa_rq_of(prv, v->processor), nv, true, NOW());
}

static void numa_sleep(struct scheduler *s, struct vcpu *v)
{
    struct numa_priv *prv = numa_priv(s);
    struct numa_vcpu *nv = numa_vcpu(v);
    struct numa_rq *rq = numa_rq_of(prv, v->processor);

    if (nv->running) {
        sched_raise(v->processor);
    } else if (nv->queued) {
        numa_dequeue(rq, nv);
        numa_load_changed(prv, rq, NOW());
    }
}

static void numa_yield(struct scheduler *s, struct vcpu *v)
{
    (void)s;
    numa_vcpu(v)->yielded = true;       /* do_schedule passes it over once */
}

/* prev stayed queued while its context was still being saved, so no pCPU could take
 * it: now one can. */
static void numa_context_saved(struct scheduler *s, struct vcpu *prev)
{
    struct numa_priv *prv = numa_priv(s);
    if (!is_idle_vcpu(prev) && prev->sched_priv && numa_vcpu(prev)->queued)
        numa_tickle(prv, numa_rq_of(prv, prev->processor), numa_vcpu(prev), NOW());
}

/* ---- decisions ---- */

/* The first vCPU of rq that `cpu` may run, a yielder only if nothing else; NULL if none. */
static struct numa_vcpu *numa_pick(struct numa_rq *rq, unsigned cpu, struct vcpu *prev)
{
    struct numa_vcpu *yielder = NULL;
    struct list_head *p;
    list_for_each(p, &rq->runq) {
        struct numa_vcpu *nv = list_entry(p, struct numa_vcpu, q);
        if (!cpumask_test(&nv->v->cpu_hard_affinity, cpu) ||
            (nv->v->is_running && nv->v != prev))
            continue;
        if (!nv->yielded)
            return nv;
        nv->yielded = false;
        yielder = yielder ? yielder : nv;
    }
    return yielder;
}

/* The vCPU of rq (locked) a thief on node `thief` should take: its own home's first. */
static struct numa_vcpu *numa_pick_for_thief(struct numa_rq *rq, unsigned cpu, unsigned thief)
{
    struct numa_vcpu *first = NULL;
    struct list_head *p;
    list_for_each(p, &rq->runq) {
        struct numa_vcpu *nv = list_entry(p, struct numa_vcpu, q);
        if (!cpumask_test(&nv->v->cpu_hard_affinity, cpu) || nv->v->is_running)
            continue;
        if (numa_is_home(nv, thief))
            return nv;
        first = first ? first : nv;
    }
    return first;
}

/* The idle pCPU `cpu` applies the migration rule to the near nodes; *recheck: when to
 * look again (ns from now, < 0: no need). */
static struct numa_vcpu *numa_steal(struct numa_priv *prv, unsigned cpu, s_time_t now,
                                    s_time_t *recheck)
{
    unsigned me = numa_node(prv, cpu), near[MAX_NUMNODES];
    unsigned n = numa_near_nodes(prv, me, near);

    for (unsigned i = 0; i < n; i++) {
        struct numa_rq *rq = &prv->rq[near[i]];
        s_time_t since = LOAD(rq->overload_since), ripe;
        if (!since)
            continue;
        ripe = since + NUMA_IMBALANCE_T - now;
        if (ripe <= 0 && spin_trylock(&rq->lock)) {
            struct numa_vcpu *nv = NULL;
            if (rq->overload_since && now - rq->overload_since >= NUMA_IMBALANCE_T)
                nv = numa_pick_for_thief(rq, cpu, me);
            if (nv) {
                numa_dequeue(rq, nv);
                numa_load_changed(prv, rq, now);
                nv->v->processor = cpu;         /* both locks held */
                numa_rebase(prv, nv, me);
            }
            spin_unlock(&rq->lock);
            if (nv)
                return nv;
        }
        ripe = ripe > 0 ? ripe : NUMA_SLICE;   /* busy lock or nothing for us: later */
        *recheck = *recheck < 0 ? ripe : MIN(*recheck, ripe);
    }
    return NULL;
}

/* Nothing runs here: push queued vCPUs that may not run on this node to one they may. */
static void numa_push_stranded(struct numa_priv *prv, struct numa_rq *rq, s_time_t now,
                               s_time_t *recheck)
{
    struct list_head *p, *t;
    list_for_each_safe(p, t, &rq->runq) {
        struct numa_vcpu *nv = list_entry(p, struct numa_vcpu, q);
        if ((rq->cpus.bits & nv->v->cpu_hard_affinity.bits) || nv->v->is_running)
            continue;
        numa_dequeue(rq, nv);
        nv->home = numa_vcpu_home(prv, nv, now);
        if (!numa_go_home(prv, nv, false, now)) {
            numa_enqueue(prv, rq, nv, false);
            *recheck = NUMA_SLICE;
        }
    }
}

/* Charge the vCPU that ran on `node` until now. */
static void numa_burn(struct numa_vcpu *nv, unsigned node, s_time_t now)
{
    s_time_t ran = now - nv->last_start;
    if (ran <= 0)
        return;
    nv->vruntime += numa_weighted(nv, ran);
    if (!numa_is_home(nv, node))
        nv->ns_away += (uint64_t)ran;
}

static struct task_slice numa_do_schedule(struct scheduler *s, unsigned cpu,
                                          struct vcpu *prev, s_time_t now)
{
    struct numa_priv *prv = numa_priv(s);
    struct numa_pcpu *pc = &prv->pcpu[cpu];
    struct numa_rq *rq = &prv->rq[pc->node];
    struct numa_vcpu *next, *was = pc->curr;
    s_time_t recheck = -1;

    cpumask_clear(&rq->tickled, cpu);
    if (was) {                          /* prev, as this pCPU last chose it */
        numa_burn(was, pc->node, now);
        was->running = false;
        STORE(pc->curr, NULL);
        rq->nr_running--;
        if (vcpu_runnable(was->v))
            numa_place(prv, rq, was, false, now);
    }
    next = numa_pick(rq, cpu, prev);
    if (next)
        numa_dequeue(rq, next);
    else if (!list_empty(&rq->runq))
        numa_push_stranded(prv, rq, now, &recheck);
    if (!next)
        next = numa_steal(prv, cpu, now, &recheck);
    if (!next) {
        numa_load_changed(prv, rq, now);
        return (struct task_slice){ sched_idle_vcpu(cpu), recheck };
    }

    if (!numa_is_home(next, pc->node) && next->last_node != pc->node &&
        next->last_node != NUMA_NO_NODE)
        next->migrations_away++;
    next->last_node = pc->node;
    next->running = true;
    next->yielded = false;
    next->last_start = now;
    next->v->processor = cpu;           /* same node: same lock */
    STORE(pc->curr, next);
    rq->nr_running++;
    numa_load_changed(prv, rq, now);
    s_time_t floor = list_empty(&rq->runq) ? next->vruntime :
        MIN(next->vruntime, list_first_entry(&rq->runq, struct numa_vcpu, q)->vruntime);
    if (floor > rq->min_vruntime)
        STORE(rq->min_vruntime, floor);
    return (struct task_slice){ next->v, NUMA_SLICE };
}

/* Stay if allowed and home; else an idle home pCPU, any home pCPU, then anywhere. */
static unsigned numa_pick_cpu(struct scheduler *s, struct vcpu *v)
{
    struct numa_priv *prv = numa_priv(s);
    uint32_t home = numa_vcpu_home(prv, numa_vcpu(v), NOW());
    cpumask_t ok = { 0 }, homecpus = { 0 };
    unsigned cpu;

    for (unsigned n = 0; n < MAX_NUMNODES; n++) {
        uint64_t c = LOAD(prv->rq[n].cpus.bits) & v->cpu_hard_affinity.bits;
        ok.bits |= c;
        homecpus.bits |= home >> n & 1 ? c : 0;
    }
    if (cpumask_test(&homecpus, v->processor))
        return v->processor;
    for_each_cpu(cpu, &homecpus)
        if (!LOAD(prv->pcpu[cpu].curr))
            return cpu;
    if (homecpus.bits)
        return (unsigned)__builtin_ctzll(homecpus.bits);
    if (!ok.bits || cpumask_test(&ok, v->processor))
        return v->processor;
    return (unsigned)__builtin_ctzll(ok.bits);
}

/* ---- parameters ---- */

/* GET: u.numa as set (home_nodes 0: derived), u.raw[5] the home in effect, u.raw[6]
 * migrations away and u.raw[7] ns away, summed over the domain's vCPUs. PUT: weight 0
 * keeps the weight; home_nodes is always applied (0: derive from memory). */
static int numa_adjust(struct scheduler *s, struct domain *d, struct domctl_scheduler_op *op)
{
    struct numa_dom *nd = d->sched_priv;
    struct sched_numa_params *p = &op->u.numa;
    struct vcpu *v;

    (void)s;
    if (op->sched_id != SCHED_ID_NUMA || !nd)
        return -EINVAL;
    if (op->cmd == SCHED_PARAMS_PUT) {
        unsigned nodes = topo.nr_nodes && topo.nr_nodes < 32 ? topo.nr_nodes : MAX_NUMNODES;
        if (p->weight > NUMA_WEIGHT_MAX || p->home_nodes >> MIN(nodes, MAX_NUMNODES))
            return -EINVAL;
        if (p->weight)
            STORE(nd->weight, p->weight);
        STORE(nd->home_set, p->home_nodes);
        STORE(nd->home_stamp, 0);
        return 0;
    }
    if (op->cmd != SCHED_PARAMS_GET)
        return -EINVAL;
    uint64_t migrations = 0, away = 0;
    for_each_vcpu(d, v) {
        struct numa_vcpu *nv = v->sched_priv;
        if (nv) {
            migrations += LOAD(nv->migrations_away);
            away += LOAD(nv->ns_away);
        }
    }
    for (unsigned i = 1; i < 8; i++)
        op->u.raw[i] = 0;
    p->weight = LOAD(nd->weight);
    p->home_nodes = LOAD(nd->home_set);
    op->u.raw[5] = numa_dom_home(nd, NOW());
    op->u.raw[6] = migrations;
    op->u.raw[7] = away;
    return 0;
}

static const struct sched_ops numa_ops = {
    .name = "numa",
    .desc = "NUMA-aware proportional share, per-node runqueues",
    .init = numa_init,
    .deinit = numa_deinit,
    .alloc_pdata = numa_alloc_pdata,
    .free_pdata = numa_free_pdata,
    .alloc_domdata = numa_alloc_domdata,
    .free_domdata = numa_free_domdata,
    .alloc_vdata = numa_alloc_vdata,
    .free_vdata = numa_free_vdata,
    .remove_vcpu = numa_remove_vcpu,
    .wake = numa_wake,
    .sleep = numa_sleep,
    .yield = numa_yield,
    .do_schedule = numa_do_schedule,
    .context_saved = numa_context_saved,
    .pick_cpu = numa_pick_cpu,
    .adjust = numa_adjust,
};
REGISTER_SCHEDULER(numa_ops);
