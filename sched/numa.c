/* numa: NUMA-aware proportional share — hvlab's own policy.
 *
 * Design. One runqueue per NUMA node, shared by the node's pCPUs, ordered by virtual
 * runtime (FIFO among equals). A running vCPU's vruntime advances by ran_ns * 256 /
 * weight (weight 1..65535, default 256), so each gets CPU in proportion to its weight;
 * do_schedule runs the smallest vruntime the pCPU may run, for NUMA_SLICE (5 ms). A
 * woken vCPU gets vruntime = max(its own, queue minimum - NUMA_WAKE_BONUS), so sleepers
 * neither hoard credit nor lose their place, and preempts the pCPU running the
 * largest vruntime if its own is smaller by NUMA_WAKE_GRAN. The queue minimum only
 * grows; a vCPU changing queues keeps its distance to the minimum.
 *
 * Home. A domain's home nodes: the home_nodes bitmap of its sched params if set, else
 * the node(s) holding the most of its pages (d->node_pages; ties: all; no pages:
 * d->home_node, else anywhere), recomputed at wake at most every NUMA_HOME_REFRESH
 * (100 ms). A vCPU's home is that, limited to nodes with pCPUs it may use (if that
 * leaves none: all such nodes, and it is never away).
 *
 * Migration rule: where a vCPU away from its home goes, at its wake and at each slice
 * end: sched/numa_place.c.
 * Work conservation: no pCPU idles while a vCPU it may run waits for more than a
 * bounded time. An idle pCPU with nothing in its own queue steals from another node M
 * whose runqueue has had more runnable vCPUs (queued + running) than pCPUs
 * continuously for NUMA_IMBALANCE_T = 2 slices (10 ms), or NUMA_IMBALANCE_FAR (40 ms)
 * if M is farther than NUMA_MAX_DIST (SLIT 30): nearest node first; a vCPU whose home
 * is the thief's node first, else one away from its home anyway, else the first in
 * vruntime order. While M is overloaded, every change of its load raises one idle
 * pCPU not yet told (nearest first; prv->idlers minus prv->watching), which then
 * watches M's overload clock with a timer: raising only when the overload starts
 * lost it whenever the raised pCPU found work of its own (pCPUs 4-7 of 8 never ran).
 * Balance: at a slice end, at most once per NUMA_IMBALANCE_T per node, a pCPU of
 * node M pulls one queued vCPU (chosen as by a thief) from the nearest node N whose
 * overload is ripe as above and whose load per pCPU stays at least M's after the
 * move: (load(N) - 1) / cpus(N) >= (load(M) + 1) / cpus(M), by a margin of 1/16 of M's
 * load against churn. Busy nodes thus share the excess as evenly as their pCPUs
 * allow, and each vCPU gets its share whatever node it is on (16 hogs on 4 nodes of
 * 2: 50% each).
 * Statistics per vCPU: migrations away (it starts running on a node outside its home
 * other than the node it last ran on; its first run is not one) and ns away (running
 * time outside its home). GET: u.raw[5] = effective home bitmap, u.raw[6] = migrations
 * away, u.raw[7] = ns away, summed over the domain's vCPUs.
 *
 * Locking. Each node's runqueue has a lock; alloc_pdata points the sched_lock of the
 * node's pCPUs at it, so "the lock of v->processor" guards the queue v is on and v's
 * numa_vcpu. A second queue's lock is only taken with spin_trylock (steal, rules
 * 1-3), so there is no lock order to break; rule (2)'s swap holds both. Read without
 * their lock, as hints re-checked under it: other nodes' pCPU curr, min_vruntime,
 * overload_since, and the pool's pCPU mask (s->cpus, cpupool_lock; a pCPU that left
 * it takes no new work). idlers and watching are atomic bits: a pCPU sets and clears
 * its own (alloc/free_pdata, do_schedule); whoever raises it sets its watching bit.
 * numa_dom is single-word atomics (adjust, and wakes on any node), and so are
 * nr_weighted and cpus_gen; GET reads statistics unlocked. The vCPU pool's lock is a
 * leaf.
 *
 * Memory, which costs more than instructions at 4096 vCPUs (make sched-bench-ir). The
 * numa_vcpus come from an object pool (core/lib/objpool.c: packed, one per cache-line-
 * aligned slot) with vruntime and the runq links in their first line, so a descent
 * reads one line per step, in few pages. Each pCPU keeps its curr's vruntime and start
 * (fixed while it runs), and the instance counts the domains whose weight is not the
 * default (nr_weighted): a wake with no idle pCPU compares the node's busy pCPUs in
 * the pcpu array, reading no curr, and no domain while the count is 0. The nodes an
 * unpinned vCPU may use are kept per runqueue with the pool mask and cpus_gen they
 * were found from (numa_vcpu_home), and a runqueue's count of its pCPUs (nr_cpus)
 * answers "overloaded?" without counting bits when the load exceeds it. None of this
 * changes a decision: `sched_scale --one` gives the same hash before and after, with
 * the default weights and with four different ones.
 *
 * Limitations. A runqueue is a red-black tree (core/lib/rbtree.c): queueing and
 * dequeueing are O(log n), the head O(1). A wake with no idle pCPU on the node
 * compares it with each running vCPU there, O(pCPUs per node) entries of the pcpu
 * array. Scans past vCPUs a pCPU may not run (affinity, paused) are O(n): picking, stealing, a pCPU with nothing it may run
 * looking for a stranded one, and rule (2)'s swap (over the away vCPUs only).
 * Vruntimes of different nodes compare only through their minima. A vCPU whose
 * affinity excludes every pCPU of its queue's node moves at the next chance
 * (trylock). Memory never moves: a stolen vCPU runs on remote memory.
 * Soft affinity ignored. */
#include <hvlab/errno.h>
#include <hvlab/time.h>
#include <hvlab/xmalloc.h>
#include <hvlab/trace.h>
#include <hvlab/panic.h>
#include "numa.h"

/* ---- home ---- */

/* The domain's home: as set, else the nodes holding the most of its pages. */
static uint32_t numa_dom_home(struct numa_dom *nd, s_time_t now)
{
    struct domain *d = nd->d;
    uint32_t set = LOAD(nd->home_set);
    s_time_t stamp = LOAD(nd->home_stamp);
    unsigned long best = 0;

    if (set || (stamp && now - stamp < NUMA_HOME_REFRESH))
        return set ? set : LOAD(nd->home_auto);
    for (unsigned n = 0; n < MAX_NUMNODES; n++) {
        unsigned long c = LOAD(d->node_pages[n]);
        if (c > best)
            best = c, set = 0;
        if (c && c == best)
            set |= 1u << n;
    }
    if (!set && d->home_node < MAX_NUMNODES)
        set = 1u << d->home_node;
    STORE(nd->home_auto, set);
    STORE(nd->home_stamp, now ? now : 1);
    return set;
}

/* The nodes with pCPUs of pool that aff allows. O(nodes x mask words). */
static uint32_t numa_usable(struct numa_priv *prv, const cpumask_t *pool, const cpumask_t *aff)
{
    uint32_t usable = 0;
    cpumask_t ok = cpumask_and(pool, aff);          /* as numa_rq_cpus, hoisted */
    for (unsigned n = 0, nodes = LOAD(prv->nr_nodes); n < nodes; n++) {
        cpumask_t c = cpumask_load(&prv->rq[n].cpus);
        if (cpumask_intersects(&c, &ok))
            usable |= 1u << n;
    }
    return usable;
}

static bool numa_mask_same(const cpumask_t *a, const cpumask_t *b)
{
    uint64_t diff = 0;
    for (unsigned i = 0; i < CPUMASK_WORDS; i++)
        diff |= a->bits[i] ^ b->bits[i];
    return !diff;
}

/* nv's home: its domain's, limited to nodes with pCPUs it may use (all those if none).
 * A vCPU that may run on every pCPU of the pool may use every node with pCPUs in it:
 * that set is kept in rq (v->processor's runqueue, whose lock is held) with what it
 * was found from (the pool's pCPUs, prv->cpus_gen for the nodes' pCPUs), and found
 * again only when one of them changed: comparing costs a few words, finding it a pass
 * over every node's mask (490 instructions a wake at 256 pCPUs in 8 nodes). */
uint32_t numa_vcpu_home(struct numa_priv *prv, struct numa_vcpu *nv, s_time_t now)
{
    struct numa_rq *rq = numa_rq_of(prv, nv->v->processor);
    unsigned gen = __atomic_load_n(&prv->cpus_gen, __ATOMIC_ACQUIRE);
    cpumask_t pool = cpumask_load(&prv->s->cpus);
    const cpumask_t *aff = &nv->v->cpu_hard_affinity;
    uint64_t outside = 0;
    uint32_t usable, home;

    for (unsigned i = 0; i < CPUMASK_WORDS; i++)
        outside |= pool.bits[i] & ~aff->bits[i];
    if (outside) {                      /* pinned: its own set */
        usable = numa_usable(prv, &pool, aff);
    } else {
        if (gen != rq->usable_gen || !numa_mask_same(&pool, &rq->usable_pool)) {
            rq->usable_all = numa_usable(prv, &pool, &pool);
            rq->usable_gen = gen;
            rq->usable_pool = pool;
        }
        usable = rq->usable_all;
    }
    home = nv->dom ? numa_dom_home(nv->dom, now) & usable : 0;
    return home ? home : usable;
}

/* The other nodes with pCPUs in the pool, nearest to `from` first; their count. */
unsigned numa_near_nodes(struct numa_priv *prv, unsigned from, unsigned *out)
{
    unsigned n = 0;
    for (unsigned m = 0, nodes = LOAD(prv->nr_nodes); m < nodes; m++) {
        cpumask_t c = numa_rq_cpus(prv, &prv->rq[m]);
        if (m == from || cpumask_empty(&c))
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
    if (w == NUMA_WEIGHT_DEFAULT)       /* the common case: spare a division */
        return ns;
    return ns * NUMA_WEIGHT_DEFAULT / (w ? w : 1);
}

/* The orders of a runqueue's two trees: by vruntime, which stays put while queued. */
static bool numa_runq_less(const struct rb_node *a, const struct rb_node *b)
{
    return rb_entry(a, struct numa_vcpu, q)->vruntime <
           rb_entry(b, struct numa_vcpu, q)->vruntime;
}

static bool numa_away_less(const struct rb_node *a, const struct rb_node *b)
{
    return rb_entry(a, struct numa_vcpu, aq)->vruntime <
           rb_entry(b, struct numa_vcpu, aq)->vruntime;
}

/* nv joins rq's count (queued or running there): is it at home there? */
static void numa_count_in(struct numa_vcpu *nv, struct numa_rq *rq, unsigned node)
{
    nv->at_home = numa_is_home(nv, node);
    rq->nr_home += nv->at_home;
}

/* Queue nv on rq. Coming from elsewhere, its vruntime keeps its distance to the queue
 * minimum; a sleeper (clamp) gets at most NUMA_WAKE_BONUS below the minimum. */
void numa_enqueue(struct numa_priv *prv, struct numa_rq *rq, struct numa_vcpu *nv,
                         bool clamp)
{
    unsigned node = numa_rq_node(prv, rq);

    if (nv->vr_node != node && nv->vr_node != NUMA_NO_NODE)
        nv->vruntime += rq->min_vruntime - LOAD(prv->rq[nv->vr_node].min_vruntime);
    nv->vr_node = node;
    if (clamp)
        nv->vruntime = MAX(nv->vruntime, rq->min_vruntime - NUMA_WAKE_BONUS);
    rb_insert(&rq->runq, &nv->q, numa_runq_less);
    nv->queued = true;
    rq->nr_queued++;
    numa_count_in(nv, rq, node);
    rq->nr_away_queued += !nv->at_home;
    if (!nv->at_home)
        rb_insert(&rq->away, &nv->aq, numa_away_less);
}

void numa_dequeue(struct numa_rq *rq, struct numa_vcpu *nv)
{
    if (!nv->queued)
        return;
    rb_erase(&rq->runq, &nv->q);
    if (!nv->at_home)
        rb_erase(&rq->away, &nv->aq);
    nv->queued = false;
    rq->nr_queued--;
    rq->nr_home -= nv->at_home;
    rq->nr_away_queued -= !nv->at_home;
}

/* Raise an idle pCPU not yet told of an overload, of the node nearest `node` that has
 * one: it will watch the overload clock. */
static void numa_call_thief(struct numa_priv *prv, unsigned node)
{
    cpumask_t idle, told;
    unsigned near[MAX_NUMNODES], n, w = 0;

    /* The usual case under load, every pCPU busy or watching: seen a word at a time,
     * without building the masks (an eighth of a decision at 4096 vCPUs). */
    while (w < CPUMASK_WORDS &&
           !(LOAD(prv->idlers.bits[w]) & ~LOAD(prv->watching.bits[w])))
        w++;
    if (w == CPUMASK_WORDS)
        return;
    idle = cpumask_load(&prv->idlers);
    told = cpumask_load(&prv->watching);
    idle = cpumask_andnot(&idle, &told);
    if (cpumask_empty(&idle))
        return;
    n = numa_near_nodes(prv, node, near);
    for (unsigned i = 0; i < n; i++) {
        cpumask_t cpus = numa_rq_cpus(prv, &prv->rq[near[i]]);
        cpus = cpumask_and(&cpus, &idle);
        if (!cpumask_empty(&cpus)) {
            unsigned cpu = cpumask_first(&cpus);
            cpumask_set_atomic(&prv->watching, cpu);
            sched_raise(cpu);
            return;
        }
    }
}

/* After the counts of rq changed: start or stop its overload clock; while it runs,
 * make sure an idle pCPU (if any) watches it. A raised pCPU may have found work of its
 * own meanwhile, so raising only when the overload starts could leave every other
 * idle pCPU asleep for good. */
void numa_load_changed(struct numa_priv *prv, struct numa_rq *rq, s_time_t now)
{
    unsigned load = rq->nr_queued + rq->nr_running;
    STORE(rq->load, load);
    /* Overloaded for sure if more than rq's pCPUs, in the pool or not: no count. */
    if (load <= rq->nr_cpus) {
        cpumask_t cpus = numa_rq_cpus(prv, rq);
        if (load <= cpumask_weight(&cpus)) {
            STORE(rq->overload_since, 0);
            return;
        }
    }
    if (!rq->overload_since)
        STORE(rq->overload_since, now ? now : 1);
    numa_call_thief(prv, numa_rq_node(prv, rq));
}

/* nv was queued on rq: raise an idle pCPU of rq it may use, else the one running the
 * largest vruntime if nv's is smaller by NUMA_WAKE_GRAN. The idle one is found in the
 * masks at once; only a queue with no idle pCPU looks at each running vCPU. */
void numa_tickle(struct numa_priv *prv, struct numa_rq *rq, struct numa_vcpu *nv,
                        s_time_t now)
{
    unsigned cpu, target = NR_CPUS;
    s_time_t worst = 0;
    const cpumask_t *aff = &nv->v->cpu_hard_affinity;
    cpumask_t cpus;

    /* rq's pCPUs in the pool that nv may use, not raised yet; the first idle one. In
     * one pass over the words (five mask operations cost a tenth of a wake). */
    for (unsigned i = 0; i < CPUMASK_WORDS; i++) {
        uint64_t c = LOAD(rq->cpus.bits[i]) & LOAD(prv->s->cpus.bits[i]) & aff->bits[i] &
                     ~rq->tickled.bits[i];
        cpus.bits[i] = c;
        if (target == NR_CPUS && (c & rq->free.bits[i]))
            target = i * 64 + (unsigned)__builtin_ctzll(c & rq->free.bits[i]);
    }
    if (target == NR_CPUS) {
        bool weighted = LOAD(prv->nr_weighted);
        for_each_cpu_walk(cpu, it, &cpus) {
            const struct numa_pcpu *pc = &prv->pcpu[cpu];
            ASSERT(pc->curr);           /* not in rq->free: it runs one */
            s_time_t ran = now - pc->curr_start;
            s_time_t vr = pc->curr_vr + (weighted ? numa_weighted(pc->curr, ran) : ran);
            if (target == NR_CPUS || vr > worst)
                worst = vr, target = cpu;
        }
        if (target == NR_CPUS || nv->vruntime + NUMA_WAKE_GRAN >= worst)
            return;
    }
    cpumask_set(&rq->tickled, target);
    sched_raise(target);
}

/* ---- lifetime ---- */

static int numa_init(struct scheduler *s)
{
    struct numa_priv *prv = xzalloc(sizeof(*prv));
    if (!prv)
        return -ENOMEM;
    prv->s = s;
    objpool_init(&prv->vpool, sizeof(struct numa_vcpu));
    for (unsigned n = 0; n < MAX_NUMNODES; n++) {
        spin_lock_init(&prv->rq[n].lock);
        rb_init(&prv->rq[n].runq);
        rb_init(&prv->rq[n].away);
        prv->rq[n].usable_gen = ~0u;
    }
    s->priv = prv;
    return 0;
}

static void numa_deinit(struct scheduler *s)
{
    objpool_destroy(&numa_priv(s)->vpool);
    xfree(s->priv);
    s->priv = NULL;
}

/* Take cpu in: its sched_lock becomes its node's (the core holds the old one, or
 * nobody can reach the pCPU yet). */
static void *numa_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    struct numa_priv *prv = numa_priv(s);
    unsigned node = per_cpu(cpu)->node < MAX_NUMNODES ? per_cpu(cpu)->node : 0;
    struct numa_rq *rq = &prv->rq[node];
    unsigned long flags;

    __atomic_store_n(&sched_res(cpu)->lock, &rq->lock, __ATOMIC_RELEASE);
    spin_lock_irqsave(&rq->lock, flags);
    prv->pcpu[cpu] = (struct numa_pcpu){ .curr = NULL, .node = node };
    if (node >= LOAD(prv->nr_nodes))    /* before the pCPU shows in rq->cpus */
        __atomic_store_n(&prv->nr_nodes, node + 1, __ATOMIC_RELEASE);
    cpumask_clear(&rq->tickled, cpu);
    cpumask_set(&rq->free, cpu);
    rq->nr_cpus += !cpumask_test(&rq->cpus, cpu);
    cpumask_set_atomic(&rq->cpus, cpu);
    __atomic_fetch_add(&prv->cpus_gen, 1, __ATOMIC_RELEASE);    /* after the change */
    cpumask_clear_atomic(&prv->watching, cpu);
    cpumask_set_atomic(&prv->idlers, cpu);          /* it runs nothing yet */
    spin_unlock_irqrestore(&rq->lock, flags);
    return &prv->pcpu[cpu];
}

/* cpu has left the pool (the core has already given it back its own lock). */
static void numa_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    struct numa_priv *prv = numa_priv(s);
    struct numa_rq *rq = numa_rq_of(prv, cpu);
    unsigned long flags;

    spin_lock_irqsave(&rq->lock, flags);    /* pd is part of numa_priv */
    cpumask_clear(&rq->tickled, cpu);
    cpumask_clear(&rq->free, cpu);
    rq->nr_cpus -= cpumask_test(&rq->cpus, cpu);
    cpumask_clear_atomic(&rq->cpus, cpu);
    __atomic_fetch_add(&prv->cpus_gen, 1, __ATOMIC_RELEASE);
    cpumask_clear_atomic(&prv->idlers, cpu);
    cpumask_clear_atomic(&prv->watching, cpu);
    spin_unlock_irqrestore(&rq->lock, flags);
}

static void *numa_alloc_domdata(struct scheduler *s, struct domain *d)
{
    struct numa_dom *nd = xzalloc(sizeof(*nd));
    if (nd)
        *nd = (struct numa_dom){ .d = d, .weight = NUMA_WEIGHT_DEFAULT };
    return nd;
}

static void *numa_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct numa_vcpu *nv = objpool_zalloc(&numa_priv(s)->vpool);
    if (nv) {
        *nv = (struct numa_vcpu){ .v = v, .dom = dd, .vr_node = NUMA_NO_NODE,
                                  .last_node = NUMA_NO_NODE };
    }
    return nv;
}

static void numa_free_vdata(struct scheduler *s, void *data)
{
    objpool_free(&numa_priv(s)->vpool, data);
}

static void numa_free_domdata(struct scheduler *s, void *data)
{
    struct numa_dom *nd = data;
    if (nd && LOAD(nd->weight) != NUMA_WEIGHT_DEFAULT)
        __atomic_fetch_sub(&numa_priv(s)->nr_weighted, 1, __ATOMIC_RELAXED);
    xfree(data);
}

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

    if (!nv->queued && !nv->running)
        numa_place(prv, numa_rq_of(prv, v->processor), nv, true, NOW());
}

static void numa_sleep(struct scheduler *s, struct vcpu *v)
{
    struct numa_rq *rq = numa_rq_of(numa_priv(s), v->processor);
    struct numa_vcpu *nv = numa_vcpu(v);

    if (nv->running) {
        sched_raise(v->processor);
    } else if (nv->queued) {
        numa_dequeue(rq, nv);
        numa_load_changed(numa_priv(s), rq, NOW());
    }
}

static void numa_yield(struct scheduler *s, struct vcpu *v)
{
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

/* The first vCPU of rq that `cpu` may run (not running elsewhere) — a yielder only if
 * there is no other; for a thief (its node, else NUMA_NO_NODE), one whose home that is,
 * else one away from its home anyway, else any, among the first NUMA_PICK_SCAN it may
 * run (a thief takes one of the longest waiting, and a long queue costs no more). */
static struct numa_vcpu *numa_pick(struct numa_rq *rq, unsigned cpu, struct vcpu *prev,
                                   unsigned thief)
{
    struct numa_vcpu *fallback = NULL, *away = NULL;
    unsigned seen = 0;
    for (struct rb_node *p = rb_first(&rq->runq); p; p = rb_next(p)) {
        struct numa_vcpu *nv = container_of(p, struct numa_vcpu, q);
        if (!cpumask_test(&nv->v->cpu_hard_affinity, cpu) ||
            (nv->v->is_running && nv->v != prev) || !vcpu_runnable(nv->v))
            continue;                   /* a paused domain's vCPUs await their sleep */
        if (thief != NUMA_NO_NODE) {
            if (numa_is_home(nv, thief))
                return nv;
            if (++seen > NUMA_PICK_SCAN)
                break;
            if (!nv->at_home && !away)
                away = nv;
        } else if (!nv->yielded) {
            return nv;
        } else {
            nv->yielded = false;
        }
        fallback = fallback ? fallback : nv;
    }
    return away ? away : fallback;
}

/* How long node m must stay overloaded before a pCPU of node `me` takes its work. */
static s_time_t numa_wait(unsigned me, unsigned m)
{
    return topo.distance[me][m] > NUMA_MAX_DIST ? NUMA_IMBALANCE_FAR : NUMA_IMBALANCE_T;
}

/* The idle pCPU `cpu` applies the migration rule to the near nodes. *victim: the
 * queue it stole from; *recheck: when to look again (ns from now; < 0: no need). */
static struct numa_vcpu *numa_steal(struct numa_priv *prv, unsigned cpu, s_time_t now,
                                    s_time_t *recheck, struct numa_rq **victim)
{
    unsigned me = prv->pcpu[cpu].node, near[MAX_NUMNODES];
    unsigned n = numa_near_nodes(prv, me, near);

    for (unsigned i = 0; i < n; i++) {
        struct numa_rq *rq = &prv->rq[near[i]];
        s_time_t since = LOAD(rq->overload_since), ripe, wait = numa_wait(me, near[i]);
        struct numa_vcpu *nv = NULL;
        if (!since)
            continue;
        ripe = since + wait - now;
        if (ripe <= 0 && spin_trylock(&rq->lock)) {
            if (rq->overload_since && now - rq->overload_since >= wait &&
                (nv = numa_pick(rq, cpu, NULL, me)) != NULL) {
                numa_dequeue(rq, nv);
                numa_load_changed(prv, rq, now);
                nv->v->processor = cpu;         /* both locks held */
                nv->vruntime += prv->rq[me].min_vruntime - rq->min_vruntime;
                nv->vr_node = me;
            }
            spin_unlock(&rq->lock);
        }
        if (nv) {
            *victim = rq;
            return nv;
        }
        ripe = ripe > 0 ? ripe : NUMA_SLICE;    /* lock busy, or nothing for us */
        *recheck = *recheck < 0 ? ripe : MIN(*recheck, ripe);
    }
    return NULL;
}

/* Would moving one vCPU from a node of load ln on cn pCPUs to one of load lm - 1 on
 * cm pCPUs leave the first at least as loaded per pCPU, by a margin of 1/16 of the
 * second's load? The margin keeps noise (wakes and sleeps) on large queues from
 * moving vCPUs back and forth. */
static bool numa_unbalanced(uint64_t ln, uint64_t cn, uint64_t lm, uint64_t cm)
{
    return ln && cm && (ln - 1) * cm >= lm * cn + lm * cn / 16;
}

/* `cpu` (of mine, locked) ends a slice: pull one queued vCPU from the nearest node
 * whose overload is ripe (as for stealing) and whose load per pCPU stays at least
 * ours after the move, so that busy nodes share the excess as evenly as their pCPUs
 * allow (each vCPU then gets about the same share, whatever node it is on). */
static void numa_balance(struct numa_priv *prv, unsigned cpu, struct numa_rq *mine,
                         s_time_t now)
{
    unsigned me = prv->pcpu[cpu].node, near[MAX_NUMNODES], n;
    cpumask_t mc = numa_rq_cpus(prv, mine);
    uint64_t lm = mine->nr_queued + mine->nr_running + 1, cm = cpumask_weight(&mc);
    uint32_t cand = 0;

    for (unsigned m = 0, nodes = LOAD(prv->nr_nodes); m < nodes; m++) {   /* hints */
        struct numa_rq *rq = &prv->rq[m];
        s_time_t since = LOAD(rq->overload_since);
        if (m == me || !since || now - since < numa_wait(me, m))
            continue;
        cpumask_t c = numa_rq_cpus(prv, rq);
        if (numa_unbalanced(LOAD(rq->load), cpumask_weight(&c), lm, cm))
            cand |= 1u << m;
    }
    if (!cand)                          /* the common case */
        return;
    n = numa_near_nodes(prv, me, near);
    for (unsigned i = 0; i < n; i++) {
        struct numa_rq *rq = &prv->rq[near[i]];
        cpumask_t c = numa_rq_cpus(prv, rq);
        uint64_t cn = cpumask_weight(&c), ln;
        struct numa_vcpu *nv = NULL;
        if (!(cand >> near[i] & 1) || !spin_trylock(&rq->lock))
            continue;
        ln = rq->nr_queued + rq->nr_running;
        if (rq->overload_since && numa_unbalanced(ln, cn, lm, cm) &&
            (nv = numa_pick(rq, cpu, NULL, me)) != NULL) {
            numa_dequeue(rq, nv);
            numa_load_changed(prv, rq, now);
            nv->v->processor = cpu;     /* both locks held */
            numa_enqueue(prv, mine, nv, false);
            numa_load_changed(prv, mine, now);
        }
        spin_unlock(&rq->lock);
        if (nv)
            return;
    }
}

/* Nothing to run here: move one queued vCPU that may not run on this node (its
 * affinity changed while it ran) to a node it may run on; look again soon. */
static void numa_push_stranded(struct numa_priv *prv, struct numa_rq *rq, s_time_t now,
                               s_time_t *recheck)
{
    for (struct rb_node *p = rb_first(&rq->runq); p; p = rb_next(p)) {
        struct numa_vcpu *nv = container_of(p, struct numa_vcpu, q);
        cpumask_t c = numa_rq_cpus(prv, rq);
        if (cpumask_intersects(&c, &nv->v->cpu_hard_affinity) || nv->v->is_running)
            continue;
        numa_dequeue(rq, nv);
        nv->home = numa_vcpu_home(prv, nv, now);
        if (!numa_go_home(prv, rq, nv, false, now))
            numa_enqueue(prv, rq, nv, false);
        *recheck = MILLISECS(1);
        return;
    }
}

static struct task_slice numa_do_schedule(struct scheduler *s, unsigned cpu,
                                          struct vcpu *prev, s_time_t now)
{
    struct numa_priv *prv = numa_priv(s);
    struct numa_pcpu *pc = &prv->pcpu[cpu];
    struct numa_rq *rq = &prv->rq[pc->node], *victim = NULL;
    struct numa_vcpu *next = NULL, *was = pc->curr;
    s_time_t recheck = -1;

    cpumask_clear(&rq->tickled, cpu);
    cpumask_clear_atomic(&prv->watching, cpu);          /* it looks for itself now */
    if (was) {                          /* prev, as this pCPU last chose it */
        s_time_t ran = now - was->last_start;
        if (ran > 0) {
            was->vruntime += numa_weighted(was, ran);
            if (!numa_is_home(was, pc->node))
                was->ns_away += (uint64_t)ran;
        }
        was->running = false;
        STORE(pc->curr, NULL);
        cpumask_set(&rq->free, cpu);
        rq->nr_running--;
        rq->nr_home -= was->at_home;
        if (vcpu_runnable(was->v))
            numa_place(prv, rq, was, false, now);
    }
    if (cpumask_test(&s->cpus, cpu)) {  /* else leaving the pool: take nothing new */
        if (was && now >= rq->next_balance) {
            rq->next_balance = now + NUMA_IMBALANCE_T;
            numa_balance(prv, cpu, rq, now);
        }
        if ((next = numa_pick(rq, cpu, prev, NUMA_NO_NODE)) != NULL)
            numa_dequeue(rq, next);
        else if (rq->runq.first)
            numa_push_stranded(prv, rq, now, &recheck);
        if (!next)
            next = numa_steal(prv, cpu, now, &recheck, &victim);
    }
    if (!next) {
        if (cpumask_test(&s->cpus, cpu)) {
            cpumask_set_atomic(&prv->idlers, cpu);
            if (recheck >= 0)           /* its own timer watches the overload */
                cpumask_set_atomic(&prv->watching, cpu);
        }
        numa_load_changed(prv, rq, now);
        return (struct task_slice){ sched_idle_vcpu(cpu), recheck };
    }
    cpumask_clear_atomic(&prv->idlers, cpu);

    if (!numa_is_home(next, pc->node) && next->last_node != pc->node &&
        next->last_node != NUMA_NO_NODE) {
        next->migrations_away++;
        TRACE_VCPU(TRC_POLICY(SCHED_ID_NUMA, TRC_NUMA_AWAY), next->v, next->last_node, pc->node);
    } else if (numa_is_home(next, pc->node) && next->last_node != NUMA_NO_NODE &&
               !numa_is_home(next, next->last_node)) {
        TRACE_VCPU(TRC_POLICY(SCHED_ID_NUMA, TRC_NUMA_HOME), next->v, next->last_node, pc->node);
    }
    next->last_node = pc->node;
    next->running = true;
    next->yielded = false;
    next->last_start = now;
    next->v->processor = cpu;           /* same node: same lock */
    pc->curr_vr = next->vruntime;
    pc->curr_start = now;
    STORE(pc->curr, next);
    cpumask_clear(&rq->free, cpu);
    rq->nr_running++;
    numa_count_in(next, rq, pc->node);
    numa_load_changed(prv, rq, now);
    if (victim && LOAD(victim->overload_since))
        numa_call_thief(prv, numa_rq_node(prv, victim));   /* still too many: next */
    struct rb_node *first = rb_first(&rq->runq);
    s_time_t floor = first ? MIN(next->vruntime, rb_entry(first, struct numa_vcpu, q)->vruntime)
                           : next->vruntime;
    if (floor > rq->min_vruntime)
        STORE(rq->min_vruntime, floor);
    return (struct task_slice){ next->v, NUMA_SLICE };
}

/* Stay if allowed and home; else an idle home pCPU, any home pCPU, then anywhere. */
static unsigned numa_pick_cpu(struct scheduler *s, struct vcpu *v)
{
    struct numa_priv *prv = numa_priv(s);
    struct numa_vcpu *nv = numa_vcpu(v);
    cpumask_t pool = cpumask_load(&s->cpus);
    /* No lock held: nv's cache of numa_vcpu_home is not ours to use. */
    uint32_t usable = numa_usable(prv, &pool, &v->cpu_hard_affinity);
    uint32_t home = nv->dom ? numa_dom_home(nv->dom, NOW()) & usable : 0;
    cpumask_t ok = { { 0 } }, homecpus = { { 0 } };
    unsigned cpu;

    home = home ? home : usable;
    for (unsigned n = 0, nodes = LOAD(prv->nr_nodes); n < nodes; n++) {
        cpumask_t rqc = numa_rq_cpus(prv, &prv->rq[n]);
        cpumask_t c = cpumask_and(&rqc, &v->cpu_hard_affinity);
        ok = cpumask_or(&ok, &c);
        if (home >> n & 1)
            homecpus = cpumask_or(&homecpus, &c);
    }
    if (cpumask_test(&homecpus, v->processor))
        return v->processor;
    for_each_cpu(cpu, &homecpus)
        if (!LOAD(prv->pcpu[cpu].curr))
            return cpu;
    if (!cpumask_empty(&homecpus))
        return cpumask_first(&homecpus);
    if (cpumask_empty(&ok) || cpumask_test(&ok, v->processor))
        return v->processor;
    return cpumask_first(&ok);
}

/* ---- parameters ---- */

enum { NUMA_P_WEIGHT, NUMA_P_HOME_NODES };
static const struct sched_param numa_params[] = {
    [NUMA_P_WEIGHT] = { .name = "weight", .unit = "", .min = 1, .max = NUMA_WEIGHT_MAX,
                        .dflt = NUMA_WEIGHT_DEFAULT,
                        .doc = "share of the pool's CPU time, relative to other domains" },
    [NUMA_P_HOME_NODES] = { .name = "home_nodes", .unit = "", .type = SCHED_PARAM_NODES,
                            .min = 0, .max = (1u << MAX_NUMNODES) - 1, .dflt = 0,
                            .doc = "the nodes its vCPUs should run on; 0 = where its memory is" },
};
enum { NUMA_C_HOME, NUMA_C_MIGRATIONS, NUMA_C_AWAY };
static const struct sched_counter numa_counters[] = {
    [NUMA_C_HOME] = { .name = "home", .unit = "bitmap", .doc = "the home nodes in effect" },
    [NUMA_C_MIGRATIONS] = { .name = "migrations", .unit = "",
                            .doc = "moves away from home, all vCPUs" },
    [NUMA_C_AWAY] = { .name = "away", .unit = "ns", .doc = "time run away from home, all vCPUs" },
};

static int numa_get_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                           uint64_t *val, uint64_t *cnt)
{
    struct numa_dom *nd = d->sched_priv;
    struct vcpu *v;
    (void)s; (void)vcpu;

    if (!nd)
        return -EINVAL;
    for_each_vcpu(d, v) {
        struct numa_vcpu *nv = v->sched_priv;
        cnt[NUMA_C_MIGRATIONS] += nv ? LOAD(nv->migrations_away) : 0;
        cnt[NUMA_C_AWAY] += nv ? LOAD(nv->ns_away) : 0;
    }
    val[NUMA_P_WEIGHT] = LOAD(nd->weight);
    val[NUMA_P_HOME_NODES] = LOAD(nd->home_set);
    cnt[NUMA_C_HOME] = numa_dom_home(nd, NOW());
    return 0;
}

/* Home nodes beyond the machine's are refused; a new home set takes effect at once. */
static int numa_set_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                           unsigned mask, const uint64_t *val)
{
    struct numa_dom *nd = d->sched_priv;
    unsigned nodes = topo.nr_nodes ? MIN(topo.nr_nodes, MAX_NUMNODES) : MAX_NUMNODES;
    (void)vcpu;

    if (!nd || ((mask >> NUMA_P_HOME_NODES & 1) && val[NUMA_P_HOME_NODES] >> nodes))
        return -EINVAL;
    if (mask >> NUMA_P_WEIGHT & 1) {
        uint32_t old = LOAD(nd->weight), w = (uint32_t)val[NUMA_P_WEIGHT];
        if (old == NUMA_WEIGHT_DEFAULT && w != NUMA_WEIGHT_DEFAULT)
            __atomic_fetch_add(&numa_priv(s)->nr_weighted, 1, __ATOMIC_RELAXED);
        STORE(nd->weight, w);
        if (old != NUMA_WEIGHT_DEFAULT && w == NUMA_WEIGHT_DEFAULT)
            __atomic_fetch_sub(&numa_priv(s)->nr_weighted, 1, __ATOMIC_RELAXED);
    }
    if (mask >> NUMA_P_HOME_NODES & 1) {
        STORE(nd->home_set, (uint32_t)val[NUMA_P_HOME_NODES]);
        STORE(nd->home_stamp, 0);
    }
    return 0;
}

static const struct sched_ops numa_ops = {
    .name = "numa",
    .desc = "NUMA-aware proportional share, per-node runqueues",
    .sched_id = SCHED_ID_NUMA,
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
    SCHED_PARAMS(numa_params),
    SCHED_COUNTERS(numa_counters),
    .get_params = numa_get_params,
    .set_params = numa_set_params,
};
REGISTER_SCHEDULER(numa_ops);
