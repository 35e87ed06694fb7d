/* The generic scheduling core: what every policy shares. It owns the pCPU scheduler
 * locks, the slice timers, runstate accounting, pausing and blocking, and the
 * context switch; a policy (sched_ops) owns only its queues and decisions.
 *
 * A pCPU reschedules in softirq context (SOFTIRQ_SCHEDULE): raised by its slice
 * timer, by a policy that wants it to pick again (sched_raise, with an IPI when it is
 * another pCPU), or when the running vCPU blocks or yields. do_softirq runs on the
 * way back to a guest and in the idle loop, never in the middle of hypervisor code.
 *
 * Locking: see sched/private.h. vcpu_schedule_lock() takes the lock of v->processor
 * and re-checks that v did not move meanwhile. is_running is set under the lock of
 * the pCPU that picks v and cleared after v's context is saved (sched_context_saved),
 * so that no other pCPU can start v while its state still lives on this pCPU. */
#include <hvlab/cmdline.h>
#include <hvlab/errno.h>
#include <hvlab/irq.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/time.h>
#include <hvlab/xmalloc.h>
#include "private.h"

extern const struct sched_ops *const __schedulers_start[], *const __schedulers_end[];

static char opt_sched[16] = "rr";
boot_param_str("sched", opt_sched, "scheduler of the default CPU pool");

static struct scheduler default_sched;
static struct sched_resource sched_resources[NR_CPUS];

void context_switch(struct vcpu *prev, struct vcpu *next);     /* arch */
void sched_context_saved(struct vcpu *prev);

/* ---- helpers ---- */

static struct scheduler *vcpu_scheduler(const struct vcpu *v)
{
    return sched_res(v->processor)->sched;
}

static spinlock_t *vcpu_schedule_lock_irqsave(struct vcpu *v, unsigned long *flags)
{
    for (;;) {
        unsigned cpu = __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
        spinlock_t *l = sched_lock(cpu);
        spin_lock_irqsave(l, *flags);
        if (cpu == v->processor && l == sched_lock(cpu))
            return l;
        spin_unlock_irqrestore(l, *flags);
    }
}

struct vcpu *sched_idle_vcpu(unsigned cpu) { return per_cpu(cpu)->idle; }
bool sched_cpu_is_idle(unsigned cpu) { return per_cpu(cpu)->curr == per_cpu(cpu)->idle; }

bool vcpu_runnable(const struct vcpu *v)
{
    return !(v->pause_flags & ((1UL << VPF_blocked) | (1UL << VPF_down))) &&
           !__atomic_load_n(&v->pause_count, __ATOMIC_ACQUIRE) &&
           (!v->domain || !__atomic_load_n(&v->domain->pause_count, __ATOMIC_ACQUIRE));
}

/* ---- runstate accounting: written only by the CPU changing the state ---- */

static void vcpu_runstate_change(struct vcpu *v, int new_state, s_time_t now)
{
    s_time_t delta = now - v->runstate.state_entry_time;
    if (delta > 0)
        v->runstate.time[v->runstate.state] += delta;
    v->runstate.state = new_state;
    v->runstate.state_entry_time = now;
}

void vcpu_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *out)
{
    *out = v->runstate;
    s_time_t delta = NOW() - out->state_entry_time;
    if (delta > 0)
        out->time[out->state] += delta;
}

static int blocked_state(const struct vcpu *v)
{
    return (v->pause_flags & (1UL << VPF_down)) ? RUNSTATE_offline :
           vcpu_runnable(v) ? RUNSTATE_runnable : RUNSTATE_blocked;
}

/* ---- softirqs ---- */

#define SOFTIRQ_SCHEDULE 0

void sched_raise(unsigned cpu)
{
    struct percpu *pc = per_cpu(cpu);
    __atomic_or_fetch(&pc->softirq_pending, 1UL << SOFTIRQ_SCHEDULE, __ATOMIC_SEQ_CST);
    if (cpu != smp_processor_id())
        ipi_send_one(cpu, VEC_IPI_KICK);
}

static void schedule(void);

void do_softirq(void)
{
    struct percpu *pc = this_cpu();
    while (__atomic_exchange_n(&pc->softirq_pending, 0, __ATOMIC_ACQ_REL) & (1UL << SOFTIRQ_SCHEDULE))
        schedule();
}

static void s_timer_fn(void *data)
{
    (void)data;
    sched_raise(smp_processor_id());
}

/* ---- the decision ---- */

static void schedule(void)
{
    unsigned cpu = smp_processor_id();
    struct percpu *pc = this_cpu();
    struct sched_resource *sr = pc->sched;
    struct vcpu *prev = pc->curr, *next;
    unsigned long flags;
    s_time_t now;

    spin_lock_irqsave(sr->lock, flags);
    now = NOW();
    timer_stop(&sr->s_timer);
    struct task_slice slice = sr->sched->ops->do_schedule(sr->sched, cpu, prev, now);
    next = slice.task ? slice.task : pc->idle;
    if (slice.time >= 0)
        timer_set(&sr->s_timer, now + slice.time);

    if (next == prev) {
        spin_unlock_irqrestore(sr->lock, flags);
        return;
    }
    ASSERT(!next->is_running);
    ASSERT(next->processor == cpu);
    vcpu_runstate_change(prev, blocked_state(prev), now);
    vcpu_runstate_change(next, RUNSTATE_running, now);
    next->is_running = true;
    pc->curr = next;
    spin_unlock(sr->lock);              /* interrupts stay off across the switch */

    context_switch(prev, next);
    local_irq_restore(flags);
}

/* Called on the new vCPU's stack right after a switch: prev's state is saved. */
void sched_context_saved(struct vcpu *prev)
{
    struct scheduler *s = vcpu_scheduler(prev);
    spinlock_t *l = sched_lock(prev->processor);

    spin_lock(l);
    __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
    if (s->ops->context_saved)
        s->ops->context_saved(s, prev);
    /* It may have become runnable while still running here: now it can go. */
    if (!is_idle_vcpu(prev) && vcpu_runnable(prev))
        s->ops->wake(s, prev);
    spin_unlock(l);
}

/* ---- state changes ---- */

void vcpu_wake(struct vcpu *v)
{
    unsigned long flags;
    spinlock_t *l = vcpu_schedule_lock_irqsave(v, &flags);
    struct scheduler *s = vcpu_scheduler(v);

    if (vcpu_runnable(v)) {
        if (v->runstate.state >= RUNSTATE_blocked)
            vcpu_runstate_change(v, RUNSTATE_runnable, NOW());
        if (!v->is_running)
            s->ops->wake(s, v);
    }
    spin_unlock_irqrestore(l, flags);
}

void vcpu_sleep_nosync(struct vcpu *v)
{
    unsigned long flags;
    spinlock_t *l = vcpu_schedule_lock_irqsave(v, &flags);
    struct scheduler *s = vcpu_scheduler(v);

    if (!vcpu_runnable(v)) {
        if (v->runstate.state == RUNSTATE_runnable)
            vcpu_runstate_change(v, blocked_state(v), NOW());
        s->ops->sleep(s, v);
    }
    spin_unlock_irqrestore(l, flags);
}

void vcpu_sleep_sync(struct vcpu *v)
{
    vcpu_sleep_nosync(v);
    while (!vcpu_runnable(v) && __atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
        cpu_relax();
}

void vcpu_block_current(void)
{
    struct vcpu *v = current;
    vcpu_sleep_nosync(v);
}

void vcpu_yield_current(void)
{
    struct vcpu *v = current;
    unsigned long flags;
    spinlock_t *l = vcpu_schedule_lock_irqsave(v, &flags);
    struct scheduler *s = vcpu_scheduler(v);
    if (s->ops->yield)
        s->ops->yield(s, v);
    spin_unlock_irqrestore(l, flags);
    sched_raise(smp_processor_id());
}

void vcpu_kick(struct vcpu *v)
{
    if (__atomic_fetch_and(&v->pause_flags, ~(1UL << VPF_blocked), __ATOMIC_ACQ_REL) &
        (1UL << VPF_blocked))
        vcpu_wake(v);
    else if (v->is_running && v->processor != smp_processor_id())
        ipi_send_one(v->processor, VEC_IPI_KICK);   /* deliver the upcall now */
}

void vcpu_pause(struct vcpu *v)
{
    __atomic_add_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);
    if (v != current)
        vcpu_sleep_sync(v);
    else
        vcpu_sleep_nosync(v);
}

void vcpu_unpause(struct vcpu *v)
{
    if (__atomic_sub_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST) == 0)
        vcpu_wake(v);
}

/* Move v to a pCPU its hard affinity allows. v must be paused by the caller. */
static void vcpu_migrate_paused(struct vcpu *v)
{
    struct scheduler *s = vcpu_scheduler(v);
    unsigned old = v->processor, new = old;
    unsigned long flags;

    if (s->ops->pick_cpu) {
        new = s->ops->pick_cpu(s, v);
    } else if (!cpumask_test(&v->cpu_hard_affinity, old)) {
        cpumask_t ok = { v->cpu_hard_affinity.bits & s->cpus.bits & cpu_online_map.bits };
        if (ok.bits)
            new = (unsigned)__builtin_ctzll(ok.bits);
    }
    if (new == old)
        return;
    /* Both locks, in CPU order. */
    spinlock_t *a = sched_lock(MIN(old, new)), *b = sched_lock(MAX(old, new));
    spin_lock_irqsave(a, flags);
    if (b != a)
        spin_lock(b);
    v->processor = new;
    if (b != a)
        spin_unlock(b);
    spin_unlock_irqrestore(a, flags);
    timer_migrate(&v->singleshot_timer, new);
    timer_migrate(&v->poll_timer, new);
}

int vcpu_set_affinity(struct vcpu *v, const cpumask_t *hard, const cpumask_t *soft)
{
    if (hard && !(hard->bits & cpu_online_map.bits & vcpu_scheduler(v)->cpus.bits))
        return -EINVAL;
    vcpu_pause(v);
    if (hard)
        v->cpu_hard_affinity = *hard;
    if (soft)
        v->cpu_soft_affinity = *soft;
    if (v != current)
        vcpu_migrate_paused(v);
    vcpu_unpause(v);
    return 0;
}

/* ---- vCPU and domain membership ---- */

int sched_init_domain(struct domain *d)
{
    struct scheduler *s = &default_sched;
    d->sched_priv = s->ops->alloc_domdata ? s->ops->alloc_domdata(s, d) : NULL;
    return (s->ops->alloc_domdata && !d->sched_priv) ? -ENOMEM : 0;
}

void sched_destroy_domain(struct domain *d)
{
    struct scheduler *s = &default_sched;
    if (s->ops->free_domdata && d->sched_priv)
        s->ops->free_domdata(s, d->sched_priv);
    d->sched_priv = NULL;
}

int sched_init_vcpu(struct vcpu *v, unsigned cpu)
{
    struct scheduler *s = &default_sched;
    unsigned long flags;

    v->processor = cpu;
    v->runstate.state = RUNSTATE_offline;
    v->runstate.state_entry_time = NOW();
    if (!v->cpu_hard_affinity.bits)
        v->cpu_hard_affinity = s->cpus;
    if (!v->cpu_soft_affinity.bits)
        v->cpu_soft_affinity = s->cpus;
    if (s->ops->alloc_vdata) {
        v->sched_priv = s->ops->alloc_vdata(s, v, v->domain ? v->domain->sched_priv : NULL);
        if (!v->sched_priv)
            return -ENOMEM;
    }
    if (s->ops->insert_vcpu) {
        spin_lock_irqsave(sched_lock(cpu), flags);
        s->ops->insert_vcpu(s, v);
        spin_unlock_irqrestore(sched_lock(cpu), flags);
    }
    return 0;
}

void sched_destroy_vcpu(struct vcpu *v)
{
    struct scheduler *s = vcpu_scheduler(v);
    unsigned long flags;
    spinlock_t *l = vcpu_schedule_lock_irqsave(v, &flags);

    ASSERT(!v->is_running);
    s->ops->sleep(s, v);
    if (s->ops->remove_vcpu)
        s->ops->remove_vcpu(s, v);
    spin_unlock_irqrestore(l, flags);
    if (s->ops->free_vdata && v->sched_priv)
        s->ops->free_vdata(s, v->sched_priv);
    v->sched_priv = NULL;
}

int sched_adjust(struct domain *d, struct domctl_scheduler_op *op)
{
    struct scheduler *s = &default_sched;
    return s->ops->adjust ? s->ops->adjust(s, d, op) : -ENOSYS;
}

const char *sched_name(void)
{
    return default_sched.ops ? default_sched.ops->name : "none";
}

/* ---- boot ---- */

static const struct sched_ops *sched_find(const char *name)
{
    for (const struct sched_ops *const *p = __schedulers_start; p < __schedulers_end; p++)
        if (!strcmp((*p)->name, name))
            return *p;
    return NULL;
}

/* A policy missing a required op is refused here, by name (STYLE 2). */
static bool sched_ops_complete(const struct sched_ops *o)
{
    const char *missing = !o->init ? "init" : !o->alloc_pdata ? "alloc_pdata" :
                          !o->wake ? "wake" : !o->sleep ? "sleep" :
                          !o->do_schedule ? "do_schedule" : NULL;
    if (missing)
        pr_err("sched: policy '%s' has no %s op: refused\n", o->name, missing);
    return !missing;
}

void sched_init_cpu(unsigned cpu, struct vcpu *idle)
{
    struct sched_resource *sr = &sched_resources[cpu];
    struct percpu *pc = per_cpu(cpu);

    spin_lock_init(&sr->_lock);
    sr->lock = &sr->_lock;
    sr->sched = &default_sched;
    timer_init(&sr->s_timer, s_timer_fn, NULL, cpu);
    pc->sched = sr;
    pc->idle = pc->curr = idle;
    idle->processor = cpu;
    idle->is_running = true;
    idle->runstate.state = RUNSTATE_running;
    cpumask_set(&default_sched.cpus, cpu);
    sr->priv = default_sched.ops->alloc_pdata(&default_sched, cpu);
    if (!sr->priv)
        panic("sched: no memory for CPU%u's scheduler data", cpu);
}

/* Chooses the policy; CPUs join with sched_init_cpu() as they start. */
void sched_init(void)
{
    unsigned n = 0;
    const struct sched_ops *o = sched_find(opt_sched);

    for (const struct sched_ops *const *p = __schedulers_start; p < __schedulers_end; p++)
        n++;
    if (!o || !sched_ops_complete(o)) {
        if (!o)
            pr_err("sched: unknown scheduler '%s'\n", opt_sched);
        o = sched_find("rr");
        if (!o)
            panic("sched: no usable scheduler among %u registered", n);
        pr_err("sched: falling back to '%s'\n", o->name);
    }
    default_sched.ops = o;
    if (o->init(&default_sched))
        panic("sched: '%s' failed to initialise", o->name);
    pr_info("sched: '%s' (%s), %u policies registered\n", o->name, o->desc, n);
}
