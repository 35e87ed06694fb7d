/* How the core (sched/core.c, sched/cpupool.c) calls a policy: one inline wrapper per
 * op of struct sched_ops (sched/private.h). An optional op the policy leaves NULL
 * gets its documented default here, once, instead of a NULL check at every call
 * site; and each wrapper ASSERTs the lock the op's contract promises, so a caller
 * that breaks the locking rules stops at the call, in the hypervisor and in the host
 * testbed alike. Policies never include this file. */
#ifndef HVLAB_SCHED_OPS_H
#define HVLAB_SCHED_OPS_H

#include <hvlab/errno.h>
#include <hvlab/panic.h>
#include "private.h"

/* ---- lifetime; required ops first ---- */

static inline int sched_op_init(struct scheduler *s)
{
    return s->ops->init(s);
}

static inline void sched_op_deinit(struct scheduler *s)
{
    if (s->ops->deinit)
        s->ops->deinit(s);
}

/* On cpu itself, its default lock held, before it joins s->cpus (private.h). */
static inline void *sched_op_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    ASSERT(spin_is_locked(&sched_res(cpu)->_lock));
    ASSERT(!cpumask_test(&s->cpus, cpu));
    return s->ops->alloc_pdata(s, cpu);
}

static inline void sched_op_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    if (s->ops->free_pdata)
        s->ops->free_pdata(s, pd, cpu);
}

/* Sets d->sched_priv (NULL when the policy keeps no per-domain data). */
static inline int sched_op_alloc_domdata(struct scheduler *s, struct domain *d)
{
    d->sched_priv = NULL;
    if (!s->ops->alloc_domdata)
        return 0;
    d->sched_priv = s->ops->alloc_domdata(s, d);
    return d->sched_priv ? 0 : -ENOMEM;
}

static inline void sched_op_free_domdata(struct scheduler *s, struct domain *d)
{
    if (s->ops->free_domdata && d->sched_priv)
        s->ops->free_domdata(s, d->sched_priv);
    d->sched_priv = NULL;
}

/* Sets v->sched_priv (NULL when the policy keeps no per-vCPU data). */
static inline int sched_op_alloc_vdata(struct scheduler *s, struct vcpu *v)
{
    v->sched_priv = NULL;
    if (!s->ops->alloc_vdata)
        return 0;
    v->sched_priv = s->ops->alloc_vdata(s, v, v->domain->sched_priv);
    return v->sched_priv ? 0 : -ENOMEM;
}

static inline void sched_op_free_vdata(struct scheduler *s, struct vcpu *v)
{
    if (s->ops->free_vdata && v->sched_priv)
        s->ops->free_vdata(s, v->sched_priv);
    v->sched_priv = NULL;
}

/* ---- membership and state changes: v->processor's lock held ---- */

static inline void sched_op_insert_vcpu(struct scheduler *s, struct vcpu *v)
{
    ASSERT(spin_is_locked(sched_lock(v->processor)));
    if (s->ops->insert_vcpu)
        s->ops->insert_vcpu(s, v);
}

static inline void sched_op_remove_vcpu(struct scheduler *s, struct vcpu *v)
{
    ASSERT(spin_is_locked(sched_lock(v->processor)));
    if (s->ops->remove_vcpu)
        s->ops->remove_vcpu(s, v);
}

static inline void sched_op_wake(struct scheduler *s, struct vcpu *v)
{
    ASSERT(spin_is_locked(sched_lock(v->processor)));
    s->ops->wake(s, v);
}

static inline void sched_op_sleep(struct scheduler *s, struct vcpu *v)
{
    ASSERT(spin_is_locked(sched_lock(v->processor)));
    s->ops->sleep(s, v);
}

static inline void sched_op_yield(struct scheduler *s, struct vcpu *v)
{
    ASSERT(spin_is_locked(sched_lock(v->processor)));
    if (s->ops->yield)
        s->ops->yield(s, v);
}

/* ---- decisions ---- */

static inline struct task_slice sched_op_do_schedule(struct scheduler *s, unsigned cpu,
                                                     struct vcpu *prev, s_time_t now)
{
    ASSERT(spin_is_locked(sched_lock(cpu)));
    return s->ops->do_schedule(s, cpu, prev, now);
}

static inline void sched_op_context_saved(struct scheduler *s, struct vcpu *prev)
{
    ASSERT(spin_is_locked(sched_lock(prev->processor)));
    if (s->ops->context_saved)
        s->ops->context_saved(s, prev);
}

/* No scheduler lock held by the caller (private.h; the host testbed checks that it
 * holds none). Without the op: stay where v is if its affinity and the pool allow
 * it, else the first online pCPU they both allow. */
static inline unsigned sched_op_pick_cpu(struct scheduler *s, struct vcpu *v)
{
    if (s->ops->pick_cpu)
        return s->ops->pick_cpu(s, v);
    if (cpumask_test(&v->cpu_hard_affinity, v->processor) &&
        cpumask_test(&s->cpus, v->processor))
        return v->processor;
    cpumask_t ok = cpumask_and(&v->cpu_hard_affinity, &s->cpus);
    ok = cpumask_and(&ok, &cpu_online_map);
    return cpumask_empty(&ok) ? v->processor : cpumask_first(&ok);
}

/* ---- parameters; no scheduler lock held (the policy takes its own) ---- */

/* Without the op (a policy that declares counters only, or nothing): all zero, as
 * the arrays come. */
static inline int sched_op_get_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                                      uint64_t *val, uint64_t *cnt)
{
    return s->ops->get_params ? s->ops->get_params(s, d, vcpu, val, cnt) : 0;
}

/* Present whenever parameters are declared (sched_params_valid), and only called to
 * set one of them. */
static inline int sched_op_set_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                                      unsigned mask, const uint64_t *val)
{
    ASSERT(mask && s->ops->set_params);
    return s->ops->set_params(s, d, vcpu, mask, val);
}

/* Without the op the policy has no pool-wide parameters: -ENOSYS. */
static inline int sched_op_adjust_global(struct scheduler *s, struct sysctl_scheduler_op *op)
{
    return s->ops->adjust_global ? s->ops->adjust_global(s, op) : -ENOSYS;
}

#endif
