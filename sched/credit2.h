/* The credit2 policy's private types, its small helpers and the functions its two files
 * share: sched/credit2.c (credit, caps, runqueues, the decision, the ops table) and
 * sched/credit2_balance.c (placement of waking vCPUs, pulling and balancing between
 * runqueues). Both are compiled together in the host testbed (tests/unit/sched.mk
 * includes a policy's sched/<policy>_*.c companions with it). Design and locking:
 * sched/credit2.c. */
#ifndef HVLAB_SCHED_CREDIT2_H
#define HVLAB_SCHED_CREDIT2_H

#include <hvlab/objpool.h>
#include <hvlab/rbtree.h>
#include <hvlab/time.h>
#include <hvlab/trace.h>
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
#define CSCHED2_BALANCE_WEIGHTS 32             /* weight classes balancing compares */

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
    /* Guarded by the runqueue lock of v->processor. The first cache line (the object
     * comes from prv->vpool, whose slots start on one) holds what a runqueue descent
     * reads at each step: the key and the tree links. */
    s_time_t credit;                    /* runq's key */
    struct rb_node q;                   /* in runq, when queued */
    struct vcpu *v;
    struct csched2_dom *dom;
    s_time_t burnt_to;                  /* running: burnt up to here (a wake reads it
                                           and credit of each busy pCPU's curr) */
    s_time_t qweight;                   /* its weight in runq's queued_weight */
    s_time_t start;                     /* dispatched at: ratelimit */
    s_time_t last_migrate;              /* balanced or pulled at */
    unsigned reset_gen;                 /* last reset it received */
    struct csched2_vcpu *stale;         /* csched2_reset's list of those to re-place */
    bool queued, yield;
};
_Static_assert(offsetof(struct csched2_vcpu, q) + sizeof(struct rb_node) <= OBJPOOL_ALIGN,
               "a descent step reads one cache line");

struct csched2_rq {
    spinlock_t lock;                    /* the sched_lock of every pCPU in cpus */
    /* Guarded by lock. */
    struct rb_tree runq;                /* by credit, highest first; FIFO among equals */
    cpumask_t cpus;
    unsigned nr_queued;                 /* also read as a hint */
    s_time_t queued_weight;             /* sum of the queued vCPUs' qweight */
    /* The distinct qweights of the queued vCPUs, with how many have each, while they
     * fit; wunknown counts queued vCPUs of a weight left out (none is added while there
     * are some), so with wunknown 0 the table is every queued weight: balancing then
     * stops looking for weights once it has met each (csched2_wclass_add). */
    struct csched2_wclass {
        s_time_t w;
        unsigned n;
    } wclass[CSCHED2_BALANCE_WEIGHTS];
    unsigned nr_wclass, wunknown;
    s_time_t running_weight;            /* sum of its pCPUs' curr_weight */
    s_time_t load, load_stamp;          /* average runnable weight */
    s_time_t next_balance;
    unsigned reset_gen;
    unsigned place_next;                /* csched2_place: the pCPU to try next */
};

struct csched2_pcpu {
    struct csched2_rq *rq;
    struct csched2_vcpu *curr;          /* rq->lock; NULL: idle. Also a hint */
    s_time_t curr_weight;               /* rq->lock: curr's weight in rq->running_weight */
    /* rq->lock: curr's credit and burnt_to, kept equal to them (csched2_curr_sync), so
     * that a wake compares the busy pCPUs of a runqueue in this array alone instead of
     * reading each one's curr (a cache miss per pCPU). */
    s_time_t curr_credit, curr_burnt;
    bool tickled;                       /* hint: raised while idle */
};

struct csched2_priv {
    struct scheduler *s;
    spinlock_t lock;
    struct list_head doms;              /* lock */
    unsigned max_weight;                /* written under lock */
    unsigned nr_capped;                 /* domains with a cap: written under lock */
    cpumask_t busy;                     /* atomic bits: pCPUs whose curr is set (hint) */
    struct objpool vpool;               /* the csched2_vcpus, packed (its own lock) */
    struct csched2_rq rqs[MAX_NUMNODES];
    struct csched2_pcpu pcpu[NR_CPUS];
};

static inline struct csched2_vcpu *csched2_v(const struct vcpu *v) { return v->sched_priv; }
static inline struct csched2_vcpu *csched2_q(const struct rb_node *n)
{
    return rb_entry(n, struct csched2_vcpu, q);
}

/* runq order: more credit first. */
static inline bool csched2_before(const struct rb_node *a, const struct rb_node *b)
{
    return csched2_q(a)->credit > csched2_q(b)->credit;
}

/* t x mul / div: t itself when mul == div (the heaviest domains: every one, with the
 * default weights), which spares a 64-bit division, dozens of cycles. */
static inline s_time_t csched2_scale(s_time_t t, s_time_t mul, s_time_t div)
{
    return mul == div ? t : t * mul / div;
}

/* Credit burnt by running t, and run time worth credit c, at sv's weight. */
static inline s_time_t csched2_t2c(struct csched2_priv *prv, const struct csched2_vcpu *sv, s_time_t t)
{
    return csched2_scale(t, C2_LOAD(prv->max_weight), C2_LOAD(sv->dom->weight));
}
static inline s_time_t csched2_c2t(struct csched2_priv *prv, const struct csched2_vcpu *sv, s_time_t c)
{
    return csched2_scale(c, C2_LOAD(sv->dom->weight), C2_LOAD(prv->max_weight));
}

/* pc's copy of its curr's credit and burnt_to, after they changed. rq->lock held. */
static inline void csched2_curr_sync(struct csched2_pcpu *pc)
{
    if (pc->curr) {
        pc->curr_credit = pc->curr->credit;
        pc->curr_burnt = pc->curr->burnt_to;
    }
}

static inline bool csched2_parked(const struct csched2_vcpu *sv, s_time_t now)
{
    return C2_LOAD(sv->dom->cap) && now < C2_LOAD(sv->dom->parked_until);
}

/* Each pCPU of m, lowest first, one step per member (smp.h: for_each_cpu_walk). */
#define csched2_for_each_cpu(cpu, it, m) for_each_cpu_walk(cpu, it, m)

/* The pCPUs of m not busy, as far as the hint knows (the caller checks curr again). */
static inline cpumask_t csched2_idle_in(struct csched2_priv *prv, const cpumask_t *m)
{
    cpumask_t busy = cpumask_load(&prv->busy);
    return cpumask_andnot(m, &busy);
}

/* The pCPUs of rq still in the instance (the core clears a leaving one first). */
static inline cpumask_t csched2_rq_cpus(struct csched2_priv *prv, const struct csched2_rq *rq)
{
    cpumask_t pool = cpumask_load(&prv->s->cpus);
    return cpumask_and(&rq->cpus, &pool);
}

/* --- credit2.c --- */
void csched2_runq_insert(struct csched2_rq *rq, struct csched2_vcpu *sv);
void csched2_runq_remove(struct csched2_rq *rq, struct csched2_vcpu *sv);
/* The first queued vCPU, not parked, that may run on cpu (NR_CPUS: on any) and is
 * not running, unless running_ok (it is being switched out); NULL if none. */
struct csched2_vcpu *csched2_runq_best(struct csched2_rq *rq, unsigned cpu, s_time_t now,
                                       bool running_ok);
void csched2_load_update(struct csched2_priv *prv, struct csched2_rq *rq, s_time_t now);

/* --- credit2_balance.c --- */
/* A pCPU for a vCPU of weight w joining the instance (credit2_balance.c). */
unsigned csched2_place(struct csched2_priv *prv, const struct vcpu *v, s_time_t w);
unsigned csched2_pick_in(struct csched2_priv *prv, const struct vcpu *v, cpumask_t m);
bool csched2_tickle_idle(struct csched2_priv *prv, struct csched2_vcpu *sv, cpumask_t m);
void csched2_tickle(struct csched2_priv *prv, struct csched2_vcpu *sv, s_time_t now);
struct csched2_vcpu *csched2_pull(struct csched2_priv *prv, unsigned cpu, s_time_t now);
void csched2_balance(struct csched2_priv *prv, struct csched2_rq *rq, s_time_t now);

#endif
