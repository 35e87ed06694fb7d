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
#include <hvlab/trace.h>
#include <hvlab/xmalloc.h>
#include "ops.h"

extern const struct sched_ops *const __schedulers_start[], *const __schedulers_end[];

static char opt_sched[16] = "rr";
boot_param_str("sched", opt_sched, "scheduler of the default CPU pool");

static struct sched_resource sched_resources[NR_CPUS];

struct cpupool *cpupool0;

static struct scheduler *dom_scheduler(const struct domain *d)
{
    return &d->cpupool->sched;
}

/* ---- helpers ---- */

/* Not for idle vCPUs: they belong to no policy. */
static struct scheduler *vcpu_scheduler(const struct vcpu *v)
{
    return dom_scheduler(v->domain);
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

/* Runnable but for a pending migration: it counts as waiting to run (runstate). */
static bool vcpu_runnable_but_migrating(const struct vcpu *v)
{
    return !(v->pause_flags & ((1UL << VPF_blocked) | (1UL << VPF_down))) &&
           !__atomic_load_n(&v->pause_count, __ATOMIC_ACQUIRE) &&
           (!v->domain || !__atomic_load_n(&v->domain->pause_count, __ATOMIC_ACQUIRE));
}

bool vcpu_runnable(const struct vcpu *v)
{
    return !(__atomic_load_n(&v->pause_flags, __ATOMIC_ACQUIRE) & (1UL << VPF_migrating)) &&
           vcpu_runnable_but_migrating(v);
}

/* ---- runstate accounting: written only by the CPU changing the state ---- */

static void vcpu_runstate_change(struct vcpu *v, int new_state, s_time_t now)
{
    TRACE_VCPU(TRC_SCHED_RUNSTATE, v, (uint64_t)v->runstate.state << 8 | (unsigned)new_state,
               v->processor);
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
           vcpu_runnable_but_migrating(v) ? RUNSTATE_runnable : RUNSTATE_blocked;
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

/* this_cpu() afresh each round: schedule() may switch this vCPU out, and it can come
 * back on another pCPU, whose pending work is the one that matters then. */
void do_softirq(void)
{
    while (__atomic_exchange_n(&this_cpu()->softirq_pending, 0, __ATOMIC_ACQ_REL) &
           (1UL << SOFTIRQ_SCHEDULE))
        schedule();
}

/* Runs in the timer interrupt: a trace pairs it with the TRC_SCHED_DECIDE of the next
 * decision on the same pCPU, which is how long the end of a slice waited for it. */
static void s_timer_fn(void *data)
{
    struct sched_resource *sr = data;
    unsigned cpu = smp_processor_id();
    TRACE_VCPU(TRC_SCHED_SLICE_END, this_cpu()->curr, cpu,
               (uint64_t)(NOW() - sr->s_timer.expires));
    sr->slice_ended = true;
    sched_raise(cpu);
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
    if (!sr->sched) {                   /* a CPU in no pool runs only its idle vCPU */
        spin_unlock_irqrestore(sr->lock, flags);
        return;
    }
    now = NOW();
    timer_stop(&sr->s_timer);
    struct task_slice slice = sched_op_do_schedule(sr->sched, cpu, prev, now);
    next = slice.task ? slice.task : pc->idle;
    if (sr->slice_ended) {              /* only these: a record costs time under icount */
        sr->slice_ended = false;
        TRACE_VCPU(TRC_SCHED_DECIDE, next, (uint64_t)slice.time, cpu);
    }
    if (slice.time >= 0)
        timer_set(&sr->s_timer, now + slice.time);

    if (next == prev) {
        spin_unlock_irqrestore(sr->lock, flags);
        return;
    }
    ASSERT(!next->is_running);
    ASSERT(next->processor == cpu);
    TRACE_VCPU(TRC_SCHED_SWITCH, next, (uint64_t)slice.time,
               is_idle_vcpu(prev) ? (uint64_t)TRACE_DOM_IDLE << 16 :
               (uint64_t)prev->domain->domain_id << 16 | prev->vcpu_id);
    if (!is_idle_vcpu(next)) {
        if (next->last_processor != cpu)
            TRACE_VCPU(TRC_SCHED_MIGRATE, next, next->last_processor, cpu);
        next->last_processor = cpu;
        /* Its timers follow it: a policy may have moved it without the core
         * (credit's steal), and a timer left on another pCPU fires late there. */
    }
    vcpu_runstate_change(prev, blocked_state(prev), now);
    vcpu_runstate_change(next, RUNSTATE_running, now);
    next->is_running = true;
    pc->curr = next;
    spin_unlock(sr->lock);              /* interrupts stay off across the switch */

    context_switch(prev, next);
    local_irq_restore(flags);
}

/* v left the pCPU its affinity no longer allows (VPF_migrating): now that its state
 * is saved, place it through the policy and let it run there. The flag is cleared
 * only after the move, so that no wake-up queues it on the old pCPU meanwhile. */
static void vcpu_finish_migration(struct vcpu *v)
{
    vcpu_migrate_paused(v);
    __atomic_and_fetch(&v->pause_flags, ~(1UL << VPF_migrating), __ATOMIC_SEQ_CST);
    vcpu_wake(v);
}

/* Called on the new vCPU's stack right after a switch: prev's state is saved. */
void sched_context_saved(struct vcpu *prev)
{
    if (is_idle_vcpu(prev)) {
        __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
        return;
    }
    struct scheduler *s = vcpu_scheduler(prev);
    spinlock_t *l = sched_lock(prev->processor);

    spin_lock(l);
    __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
    sched_op_context_saved(s, prev);
    /* It may have become runnable while still running here: now it can go. */
    if (vcpu_runnable(prev))
        sched_op_wake(s, prev);
    bool migrating = prev->pause_flags & (1UL << VPF_migrating);
    spin_unlock(l);
    if (migrating)
        vcpu_finish_migration(prev);
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
        if (!v->is_running) {
            TRACE_VCPU(TRC_SCHED_WAKE, v, v->processor, 0);
            sched_op_wake(s, v);
        }
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
        TRACE_VCPU(TRC_SCHED_SLEEP, v, (uint64_t)blocked_state(v), 0);
        sched_op_sleep(s, v);
    }
    spin_unlock_irqrestore(l, flags);
}

void vcpu_sleep_sync(struct vcpu *v)
{
    vcpu_sleep_nosync(v);
    while (!vcpu_runnable(v) && __atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
        cpu_wait_for_others();
}

void vcpu_block_current(void)
{
    struct vcpu *v = current;
    TRACE_VCPU(TRC_SCHED_BLOCK, v, 0, 0);
    vcpu_sleep_nosync(v);
}

void vcpu_yield_current(void)
{
    struct vcpu *v = current;
    unsigned long flags;
    TRACE_VCPU(TRC_SCHED_YIELD, v, 0, 0);
    spinlock_t *l = vcpu_schedule_lock_irqsave(v, &flags);
    struct scheduler *s = vcpu_scheduler(v);
    sched_op_yield(s, v);
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

/* Move v to a pCPU its hard affinity and its pool allow. v must be neither running
 * nor queued (paused by the caller, or descheduled with VPF_migrating). When the two
 * have nothing in common (its pool lost the CPUs it was pinned to), the affinity is
 * reset to the pool, and the log says so. */
void vcpu_migrate_paused(struct vcpu *v)
{
    struct scheduler *s = dom_scheduler(v->domain);
    if (!cpumask_intersects(&v->cpu_hard_affinity, &s->cpus)) {
        pr_warn("sched: d%uv%u: no CPU of its affinity left in its pool: affinity reset\n",
                v->domain->domain_id, v->vcpu_id);
        v->cpu_hard_affinity = s->cpus;
    }
    unsigned old = v->processor, new = sched_op_pick_cpu(s, v);
    unsigned long flags;

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
    if (hard) {
        cpumask_t ok = cpumask_and(hard, &cpu_online_map);
        if (!cpumask_intersects(&ok, &dom_scheduler(v->domain)->cpus))
            return -EINVAL;
    }
    /* Not vcpu_pause(): waiting here for v to leave its pCPU cannot end when v is
     * the caller, and deadlocks when two vCPUs pin each other. */
    __atomic_add_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);
    vcpu_sleep_nosync(v);
    unsigned long flags;
    spinlock_t *l = vcpu_schedule_lock_irqsave(v, &flags);
    if (hard)
        v->cpu_hard_affinity = *hard;
    if (soft)
        v->cpu_soft_affinity = *soft;
    /* Still on its pCPU (it may be the caller): it leaves at its next schedule, which
     * sleep_nosync raised, and sched_context_saved moves it once its state is saved.
     * The flag is set under the lock that context_saved takes before it looks. */
    bool running = v->is_running;
    if (running && !cpumask_test(&v->cpu_hard_affinity, v->processor))
        __atomic_or_fetch(&v->pause_flags, 1UL << VPF_migrating, __ATOMIC_SEQ_CST);
    spin_unlock_irqrestore(l, flags);
    if (!running)
        vcpu_migrate_paused(v);
    vcpu_unpause(v);
    return 0;
}

/* ---- vCPU and domain membership: the policy of the domain's pool ---- */

int sched_init_domain(struct domain *d)
{
    struct scheduler *s;
    if (!d->cpupool)
        d->cpupool = cpupool0;
    s = dom_scheduler(d);
    int rc = sched_op_alloc_domdata(s, d);
    if (rc < 0)
        return rc;
    d->cpupool->n_domains++;
    return 0;
}

void sched_destroy_domain(struct domain *d)
{
    struct scheduler *s;
    if (!d->cpupool)
        return;
    s = dom_scheduler(d);
    sched_op_free_domdata(s, d);
    d->cpupool->n_domains--;
}

/* Policy data for v, placed on cpu (or the pool's first CPU when cpu is not in it). */
int sched_alloc_vcpu(struct vcpu *v, unsigned cpu)
{
    struct scheduler *s = dom_scheduler(v->domain);
    unsigned long flags;

    if (!cpumask_test(&s->cpus, cpu))
        cpu = cpumask_first(&s->cpus);
    v->processor = v->last_processor = cpu;
    if (!cpumask_intersects(&v->cpu_hard_affinity, &s->cpus))
        v->cpu_hard_affinity = s->cpus;
    if (cpumask_empty(&v->cpu_soft_affinity))
        v->cpu_soft_affinity = s->cpus;
    int rc = sched_op_alloc_vdata(s, v);
    if (rc < 0)
        return rc;
    cpu = v->last_processor = v->processor;     /* alloc_vdata may place it (credit2) */
    spin_lock_irqsave(sched_lock(cpu), flags);
    sched_op_insert_vcpu(s, v);
    spin_unlock_irqrestore(sched_lock(cpu), flags);
    return 0;
}

int sched_init_vcpu(struct vcpu *v, unsigned cpu)
{
    v->runstate.state = RUNSTATE_offline;
    v->runstate.state_entry_time = NOW();
    return sched_alloc_vcpu(v, cpu);
}

/* v is not running (paused or never started): take it out of its policy. */
void sched_free_vcpu(struct vcpu *v)
{
    struct scheduler *s = dom_scheduler(v->domain);
    unsigned long flags;
    spinlock_t *l = vcpu_schedule_lock_irqsave(v, &flags);

    ASSERT(!v->is_running);
    sched_op_sleep(s, v);
    sched_op_remove_vcpu(s, v);
    spin_unlock_irqrestore(l, flags);
    sched_op_free_vdata(s, v);
}

void sched_destroy_vcpu(struct vcpu *v)
{
    sched_free_vcpu(v);
}

const char *sched_name(void)
{
    return cpupool0 ? cpupool0->sched.ops->name : "none";
}

/* ---- boot ---- */

const struct sched_ops *sched_find(const char *name)
{
    for (const struct sched_ops *const *p = __schedulers_start; p < __schedulers_end; p++)
        if (!strcmp((*p)->name, name))
            return *p;
    return NULL;
}

/* Trace subclasses and parameter requests name a policy by its sched_id: two
 * policies with one number would be mixed up, so both are refused. Another policy is
 * one of another name: o may be a copy of its registered table (the host testbed
 * runs a checking copy, tests/sched/simops.c). */
static bool sched_id_unique(const struct sched_ops *o)
{
    for (const struct sched_ops *const *p = __schedulers_start; p < __schedulers_end; p++)
        if (strcmp((*p)->name, o->name) && o->sched_id && (*p)->sched_id == o->sched_id) {
            pr_err("sched: policies '%s' and '%s' share sched_id %u: refused\n", o->name,
                   (*p)->name, o->sched_id);
            return false;
        }
    return true;
}

/* A policy missing a required op is refused here, by name (STYLE 2). */
bool sched_ops_complete(const struct sched_ops *o)
{
    const char *missing = !o->init ? "init" : !o->alloc_pdata ? "alloc_pdata" :
                          !o->wake ? "wake" : !o->sleep ? "sleep" :
                          !o->do_schedule ? "do_schedule" : NULL;
    if (missing)
        pr_err("sched: policy '%s' has no %s op: refused\n", o->name, missing);
    return !missing && sched_params_valid(o) && sched_id_unique(o);
}

/* pCPU cpu joins pool 0 as it starts (on itself), with its idle vCPU. alloc_pdata
 * runs under the pCPU's own lock, as when it joins a pool later (cpupool.c). */
void sched_init_cpu(unsigned cpu, struct vcpu *idle)
{
    struct sched_resource *sr = &sched_resources[cpu];
    struct percpu *pc = per_cpu(cpu);
    struct scheduler *s = &cpupool0->sched;
    unsigned long flags;

    spin_lock_init(&sr->_lock);
    sr->lock = &sr->_lock;
    timer_init(&sr->s_timer, s_timer_fn, sr, cpu);
    pc->sched = sr;
    pc->idle = pc->curr = idle;
    idle->processor = cpu;
    idle->is_running = true;
    idle->runstate.state = RUNSTATE_running;
    spin_lock_irqsave(&sr->_lock, flags);
    sr->sched = s;
    sr->priv = sched_op_alloc_pdata(s, cpu);    /* may redirect sr->lock */
    if (!sr->priv)
        panic("sched: no memory for CPU%u's scheduler data", cpu);
    cpumask_set(&s->cpus, cpu);
    spin_unlock_irqrestore(&sr->_lock, flags);
}

/* Pool 0, run by o: refused (-EINVAL, with the log saying why) if o lacks a required
 * op. The host testbed starts every run here, with the policy under test. */
int sched_init_policy(const struct sched_ops *o)
{
    if (!sched_ops_complete(o))
        return -EINVAL;
    cpupool0 = cpupool_create_boot(o);
    return 0;
}

/* Chooses pool 0's policy; CPUs join with sched_init_cpu() as they start. */
void sched_init(void)
{
    unsigned n = 0;
    const struct sched_ops *o = sched_find(opt_sched);

    for (const struct sched_ops *const *p = __schedulers_start; p < __schedulers_end; p++)
        n += sched_ops_complete(*p);
    if (!o || !sched_ops_complete(o)) {
        if (!o)
            pr_err("sched: unknown scheduler '%s'\n", opt_sched);
        o = sched_find("rr");
        if (!o)
            panic("sched: no usable scheduler among those registered");
        pr_err("sched: falling back to '%s'\n", o->name);
    }
    if (sched_init_policy(o) < 0)
        panic("sched: '%s' refused", o->name);
    pr_info("sched: '%s' (%s); %u policies available\n", o->name, o->desc, n);
}
