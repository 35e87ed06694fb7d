/* The credit policy's private types and the functions its two files share:
 * sched/credit.c (the policy: runqueues, stealing, the decision, the ops table) and
 * sched/credit_acct.c (credit itself: debits, the accounting pass, caps). Both are
 * compiled together in the host testbed (tests/unit/sched.mk includes a policy's
 * sched/<policy>_*.c companions with it). Design, locking and where it differs from
 * Xen: sched/credit.c. */
#ifndef HVLAB_SCHED_CREDIT_H
#define HVLAB_SCHED_CREDIT_H

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
#define CREDIT_STEAL_SCAN  16               /* entries per priority a thief looks at */
#define CREDIT_STEAL_PEERS 4                /* peers a busy thief looks at per decision */
#define CREDIT_WEIGHT_DFL  256
#define CREDIT_WEIGHT_MAX  65535

enum { CREDIT_PRI_IDLE, CREDIT_PRI_OVER, CREDIT_PRI_UNDER, CREDIT_PRI_BOOST, CREDIT_NR_PRI };

#define CREDIT_LOAD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define CREDIT_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

struct credit_dom {
    /* Guarded by credit_priv.lock. */
    struct list_head link;              /* in credit_priv.doms */
    struct list_head vcpus;             /* credit_vcpu.dlink */
    struct credit_vcpu *sv;             /* one per vCPU id, side by side: a pass walks */
    unsigned nr_sv;                     /* them without chasing pointers */
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
    /* What the accounting pass reads comes first: a pass touches one line per vCPU. */
    struct vcpu *v;                     /* NULL: a free slot of credit_dom.sv */
    struct credit_dom *dom;
    /* Atomic: debited under the pCPU lock, credited by accounting. */
    s_time_t credit;
    bool active;
    /* Written under the lock of v->processor, read by accounting as hints. */
    bool asleep;                        /* its sleep op ran, no wake since */
    bool on_cpu;                        /* chosen by its pCPU's last decision */
    s_time_t burnt_to;                  /* run time debited up to here */
    s_time_t ran;                       /* atomic: debited since the last pass */
    /* Accounting scratch; credit_priv.lock. */
    bool acct_on;                       /* active in this pass */
    bool acct_blocked;                  /* blocked at this pass */
    s_time_t acct_room;                 /* credit it can use, this pass */
    s_time_t acct_unbilled;             /* run time not yet debited, at this pass */
    struct list_head dlink;             /* in dom->vcpus; credit_priv.lock */
    /* Guarded by the lock of v->processor. */
    struct list_head q;                 /* in that pCPU's runqueue */
    int pri;
    bool queued, boost, yield;
    s_time_t start;                     /* dispatched at: slice and ratelimit */
};

struct credit_pcpu {
    /* Guarded by this pCPU's lock. */
    struct list_head runq[CREDIT_NR_PRI];   /* one FIFO per priority (IDLE unused) */
    unsigned steal_from;                /* the last pCPU it stole from or looked at */
    /* Hints for other pCPUs: written under the lock, read without it. */
    unsigned gen;                       /* accounting generation the queue is sorted for */
    int cur_pri;                        /* of what runs here; IDLE when idle */
    int head_pri;                       /* of the best queued vCPU (an upper bound) */
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
    /* The hints as masks, so that a waker or a thief finds a pCPU in a few words, not
     * by a walk over every pCPU; bits set and cleared atomically by their pCPU, except
     * that a waker claims an idler by clearing its idle_free bit. */
    cpumask_t idle;                     /* cur_pri IDLE */
    cpumask_t idle_free;                /* ... and not yet raised to take work */
    cpumask_t below[CREDIT_NR_PRI];     /* below[p]: cur_pri < p */
    cpumask_t has[CREDIT_NR_PRI];       /* has[p]: head_pri >= p */
    cpumask_t stale;                    /* not re-sorted since the last accounting */
    struct credit_pcpu pcpu[NR_CPUS];
};

static inline struct credit_vcpu *credit_v(const struct vcpu *v) { return v->sched_priv; }
static inline bool credit_parked(const struct credit_vcpu *sv) { return CREDIT_LOAD(sv->dom->parked); }

/* The pCPUs to place work on: the core clears a leaving pCPU from s->cpus first. */
static inline cpumask_t credit_cpus(const struct credit_priv *prv)
{
    cpumask_t pool = cpumask_load(&prv->s->cpus), mine = cpumask_load(&prv->cpus);
    return cpumask_and(&pool, &mine);
}

static inline int credit_pri_of(const struct credit_vcpu *sv)
{
    return sv->boost ? CREDIT_PRI_BOOST :
           CREDIT_LOAD(sv->credit) >= 0 ? CREDIT_PRI_UNDER : CREDIT_PRI_OVER;
}

/* The run time a capped domain may be ahead of its budget before it is parked. */
static inline s_time_t credit_cap_burst(unsigned cap) { return (s_time_t)cap * CREDIT_PERIOD / 100; }

/* ---- sched/credit_acct.c ---- */
/* Debits sv's run time since its last debit (its pCPU's lock held). */
void credit_burn(struct credit_vcpu *sv, s_time_t now);
/* Runs the accounting pass if its time has come (a pCPU's lock held). */
void credit_acct_maybe(struct credit_priv *prv, s_time_t now);

#endif
