/* The numa policy's private types and the functions its two files share: sched/numa.c
 * (the policy: fair-share queues per node, stealing, balancing, the ops table) and
 * sched/numa_place.c (the migration rule: where a vCPU away from its home goes). Both
 * are compiled together in the host testbed (tests/unit/sched.mk includes a policy's
 * sched/<policy>_*.c companions with it). Design and locking: sched/numa.c. */
#ifndef HVLAB_SCHED_NUMA_H
#define HVLAB_SCHED_NUMA_H

#include <hvlab/objpool.h>
#include <hvlab/rbtree.h>
#include <hvlab/topology.h>
#include "private.h"

#define NUMA_SLICE          MILLISECS(5)
#define NUMA_IMBALANCE_T    (2 * NUMA_SLICE)    /* overload before a steal */
#define NUMA_IMBALANCE_FAR  (4 * NUMA_IMBALANCE_T)  /* ... from a far node */
#define NUMA_MAX_DIST       30                  /* SLIT: 10 local, ~20 one hop */
#define NUMA_PICK_SCAN      16                  /* queue entries a thief considers */
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
    /* Guarded by the lock of v->processor's runqueue. The first cache line (the object
     * comes from prv->vpool, whose slots start on one) holds what a runqueue descent
     * reads at each step: the key and the tree links. */
    s_time_t vruntime;                  /* in the scale of runqueue vr_node; the key of
                                         * q and aq, so it changes only while !queued
                                         * (and not while it runs) */
    struct rb_node q;                   /* in its runqueue's runq */
    struct vcpu *v;
    struct numa_dom *dom;               /* NULL: no domain, no home */
    s_time_t last_start;                /* since when it runs */
    struct rb_node aq;                  /* in its runqueue's away tree, if !at_home */
    bool queued, running, yielded;
    bool at_home;                       /* counted in its runqueue's nr_home */
    uint32_t home;                      /* effective home nodes, refreshed when queued */
    unsigned vr_node;                   /* NUMA_NO_NODE: never queued */
    unsigned last_node;                 /* node it last ran on; NUMA_NO_NODE: never ran */
    uint64_t migrations_away, ns_away;  /* read by GET without the lock */
};
_Static_assert(offsetof(struct numa_vcpu, q) + sizeof(struct rb_node) <= OBJPOOL_ALIGN,
               "a descent step reads one cache line");

struct numa_pcpu {
    struct numa_vcpu *curr;             /* chosen by do_schedule; NULL: idle. rq lock */
    unsigned node;
    /* rq lock: curr's vruntime and last_start (fixed while it runs), so that a wake
     * compares the busy pCPUs of a node in this array alone, not in each curr. */
    s_time_t curr_vr, curr_start;
};

struct numa_rq {
    spinlock_t lock;                    /* the sched_lock of the node's pCPUs */
    /* Guarded by lock; min_vruntime and overload_since also read as hints. */
    struct rb_tree runq;                /* queued vCPUs by vruntime, FIFO among equals */
    struct rb_tree away;                /* those of them away from home, the same way */
    unsigned nr_queued, nr_running;
    unsigned nr_home;                   /* of those, the ones at home on this node */
    unsigned nr_away_queued;            /* queued ones away from their homes */
    cpumask_t cpus, tickled;            /* cpus: the node's pCPUs taken in */
    unsigned nr_cpus;                   /* in cpus (>= those still in the pool) */
    cpumask_t free;                     /* those whose curr is NULL (run nothing) */
    s_time_t min_vruntime;
    s_time_t overload_since;            /* 0: not overloaded */
    unsigned load;                      /* nr_queued + nr_running, as a hint */
    s_time_t next_balance;              /* numa_balance for this node not before */
    /* numa_vcpu_home's cache for vCPUs that may run on every pCPU of the pool: the
     * nodes with pCPUs in it, found from usable_pool at prv->cpus_gen usable_gen. */
    uint32_t usable_all;
    unsigned usable_gen;                /* ~0: not found yet */
    cpumask_t usable_pool;
};

struct numa_priv {
    struct scheduler *s;
    /* Atomic bits, read as hints: pCPUs running nothing; those of them already told
     * of an overload (raised, or a re-check timer armed) so none is raised twice. */
    cpumask_t idlers, watching;
    unsigned nr_nodes;                  /* nodes 0..nr_nodes-1 may have pCPUs; only grows */
    /* Atomic: domains whose weight is not the default, counted before such a weight is
     * set and uncounted after it goes, so with 0 every vCPU's weight is the default
     * and a wake need not read the domains of the running vCPUs. */
    uint32_t nr_weighted;
    unsigned cpus_gen;                  /* atomic: bumped after a runqueue's cpus change */
    struct objpool vpool;               /* the numa_vcpus, packed (its own lock) */
    struct numa_rq rq[MAX_NUMNODES];
    struct numa_pcpu pcpu[NR_CPUS];
};

#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, y) __atomic_store_n(&(x), (y), __ATOMIC_RELAXED)

static inline struct numa_priv *numa_priv(const struct scheduler *s) { return s->priv; }
static inline struct numa_vcpu *numa_vcpu(const struct vcpu *v) { return v->sched_priv; }
static inline struct numa_rq *numa_rq_of(struct numa_priv *prv, unsigned cpu)
{
    return &prv->rq[prv->pcpu[cpu].node];
}
static inline unsigned numa_rq_node(const struct numa_priv *prv, const struct numa_rq *rq)
{
    return (unsigned)(rq - prv->rq);
}
/* The pCPUs of rq still in the pool. */
static inline cpumask_t numa_rq_cpus(const struct numa_priv *prv, const struct numa_rq *rq)
{
    cpumask_t mine = cpumask_load(&rq->cpus), pool = cpumask_load(&prv->s->cpus);
    return cpumask_and(&mine, &pool);
}
static inline bool numa_is_home(const struct numa_vcpu *nv, unsigned node)
{
    return nv->home >> node & 1;
}

/* ---- sched/numa.c ---- */

/* nv's home: its domain's, limited to nodes with pCPUs it may use (all those if none).
 * v->processor's runqueue lock held. */
uint32_t numa_vcpu_home(struct numa_priv *prv, struct numa_vcpu *nv, s_time_t now);
/* The other nodes with pCPUs in the pool, nearest to `from` first; their count. */
unsigned numa_near_nodes(struct numa_priv *prv, unsigned from, unsigned *out);
/* Queue nv on rq (locked) / take it off; clamp: a sleeper's vruntime bonus is bounded. */
void numa_enqueue(struct numa_priv *prv, struct numa_rq *rq, struct numa_vcpu *nv, bool clamp);
void numa_dequeue(struct numa_rq *rq, struct numa_vcpu *nv);
/* rq's load changed (rq locked): track its overload and tell an idle pCPU of it. */
void numa_load_changed(struct numa_priv *prv, struct numa_rq *rq, s_time_t now);
/* nv was queued on rq (locked): raise a pCPU that should run it now, if any. */
void numa_tickle(struct numa_priv *prv, struct numa_rq *rq, struct numa_vcpu *nv, s_time_t now);

/* ---- sched/numa_place.c ---- */

/* Queue nv (runnable, not queued, not running) by the migration rule, from rq, its
 * v->processor's (locked): home if the rule allows, elsewhere if rq's own vCPUs fill
 * rq, else on rq. waking: clamp its vruntime and let it preempt. */
void numa_place(struct numa_priv *prv, struct numa_rq *rq, struct numa_vcpu *nv, bool waking,
                s_time_t now);
/* Rules (1)-(2) for nv (as above) away from home on `from` (locked); !need_idle adds
 * any home pCPU it may use. False if not moved (none, or the locks were busy). */
bool numa_go_home(struct numa_priv *prv, struct numa_rq *from, struct numa_vcpu *nv,
                  bool need_idle, s_time_t now);

#endif
