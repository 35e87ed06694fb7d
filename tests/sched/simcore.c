/* sched/core.c as a host test double: the same functions, doing the same things in
 * the same order (locks, runstate accounting, op calls, is_running), but on the
 * simulator's clock and event queue. Each function names the one it mirrors; read
 * them side by side. Where the host must differ, because one thread stands in for
 * every pCPU, the comment says so:
 * - sched_raise() of another pCPU (or from the control context) is an IPI: the
 *   simulator's kick event on that pCPU; of the executing pCPU, its softirq runs
 *   when the current event ends (do_softirq on interrupt exit).
 * - vcpu_sleep_sync() cannot spin: it runs events until the vCPU is off its pCPU.
 * - context_switch() is the simulator's bookkeeping, then sched_context_saved().
 * - The core's ASSERTs are panics with a message (the test aborts, as the hypervisor
 *   would); checks the core does not make are recorded as violations.
 *
 * Around every op the core calls, the locks are checked: the op must leave held
 * exactly the locks the core took (else the next spin_lock would hang this one
 * thread, or the unlock corrupt a ticket), must not change a pCPU's lock pointer
 * (alloc_pdata may), and must not allocate while a lock is held. */
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>
#include <hvlab/errno.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include "sim.h"

#define SOFTIRQ_SCHEDULE 0
/* schedule()s of one pCPU at one instant before it counts as a livelock: a cascade
 * may legitimately visit every vCPU (all replenished at one period boundary). */
#define LIVELOCK_SCHEDS (1000 + 4 * sim.nr_vcpus)

static struct sched_resource sched_resources[NR_CPUS];
static spinlock_t *lock_seen[NR_CPUS];  /* lock pointers as alloc_pdata left them */

struct cpupool *cpupool0;

void sim_core_reset(void)
{
    memset(sched_resources, 0, sizeof(sched_resources));
    memset(lock_seen, 0, sizeof(lock_seen));
    cpupool0 = NULL;
}

static struct scheduler *dom_scheduler(const struct domain *d)
{
    return &d->cpupool->sched;
}

/* time_ops: TSC ticks, cheap enough to read around every op (bench/sched_scale.c
 * converts them to ns against CLOCK_MONOTONIC). */
static uint64_t host_ticks(void) { return __rdtsc(); }

static const char *vname(const struct vcpu *v)
{
    static char buf[4][24];
    static unsigned n;
    char *b = buf[n++ % 4];
    if (!v)
        return "NULL";
    if (is_idle_vcpu(v))
        snprintf(b, sizeof(buf[0]), "idle%u", v->vcpu_id);
    else
        snprintf(b, sizeof(buf[0]), "d%u.v%u", v->domain->domain_id, v->vcpu_id);
    return b;
}

/* ---- lock discipline around ops ---- */

/* The core takes l. With one thread, a lock held when no op runs was left held. */
static void core_lock(spinlock_t *l, const char *where)
{
    if (spin_is_locked(l))
        panic("sim: %s at %lld ns: a scheduler lock is already held (left locked by "
              "the policy?)", where, (long long)NOW());
    spin_lock(l);
}

static void op_enter(bool locked)
{
    if (locked)
        sim.locked_ops++;
}

/* After an op: exactly a and b (either may be NULL) held, lock pointers unchanged. */
static void op_leave(const char *op, bool locked, spinlock_t *a, spinlock_t *b)
{
    if (locked)
        sim.locked_ops--;
    for (unsigned c = 0; c < sim.nr_cpus; c++) {
        spinlock_t *l = sched_resources[c].lock;
        bool want = l == a || l == b;
        if (!l)
            continue;                   /* not started yet */
        if (l != lock_seen[c]) {
            sim_violation("%s changed CPU%u's lock pointer (only alloc_pdata may)", op, c);
            lock_seen[c] = l;
        }
        if (spin_is_locked(l) != want)
            panic("sim: %s at %lld ns %s CPU%u's scheduler lock", op, (long long)NOW(),
                  want ? "released" : "left held", c);
    }
}

/* ---- helpers (core.c) ---- */

/* Not for idle vCPUs: they belong to no policy. */
static struct scheduler *vcpu_scheduler(const struct vcpu *v)
{
    return dom_scheduler(v->domain);
}

/* vcpu_schedule_lock_irqsave: one thread, so v cannot move between load and lock. */
static spinlock_t *vcpu_schedule_lock(struct vcpu *v, const char *where)
{
    spinlock_t *l = sched_lock(v->processor);
    core_lock(l, where);
    return l;
}

struct vcpu *sched_idle_vcpu(unsigned cpu) { return per_cpu(cpu)->idle; }
bool sched_cpu_is_idle(unsigned cpu) { return per_cpu(cpu)->curr == per_cpu(cpu)->idle; }

bool vcpu_runnable(const struct vcpu *v)
{
    return !(v->pause_flags & ((1UL << VPF_blocked) | (1UL << VPF_down))) &&
           !__atomic_load_n(&v->pause_count, __ATOMIC_ACQUIRE) &&
           (!v->domain || !__atomic_load_n(&v->domain->pause_count, __ATOMIC_ACQUIRE));
}

/* ---- runstate accounting (core.c) ---- */

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

/* ---- softirqs (core.c) ---- */

void sched_raise(unsigned cpu)
{
    struct percpu *pc = per_cpu(cpu);
    __atomic_or_fetch(&pc->softirq_pending, 1UL << SOFTIRQ_SCHEDULE, __ATOMIC_SEQ_CST);
    if (cpu != smp_processor_id() || sim.in_control)
        sim_ipi(cpu);                   /* core: ipi_send_one(cpu, VEC_IPI_KICK) */
}

static void schedule(void);

void do_softirq(void)
{
    struct percpu *pc = this_cpu();
    while (__atomic_exchange_n(&pc->softirq_pending, 0, __ATOMIC_ACQ_REL) & (1UL << SOFTIRQ_SCHEDULE))
        schedule();
}

void sim_softirq(void) { do_softirq(); }

static void s_timer_fn(void *data)
{
    (void)data;
    sched_raise(smp_processor_id());
}

bool sim_core_timer(const struct timer *t) { return t->fn == s_timer_fn; }

/* ---- the decision (core.c) ---- */

/* What the core does not check but every policy owes: recorded, not fatal. */
static void check_choice(unsigned cpu, struct vcpu *prev, struct vcpu *next)
{
    if (is_idle_vcpu(next)) {
        if (next != per_cpu(cpu)->idle)
            panic("sim: CPU%u: do_schedule chose %s, another pCPU's idle vCPU", cpu,
                  vname(next));
        return;
    }
    /* Not runnable and told so (sleep since the last wake). Without the sleep op it
     * is the core's window, not the policy's fault: domain_pause_by_controller raises
     * pause_count, then sleeps the vCPUs one by one; another pCPU may pick one that
     * waits its turn (the sleep then takes it off again). */
    if (!vcpu_runnable(next) && sim_v(next)->asleep)
        sim_violation("CPU%u: do_schedule chose %s, put to sleep and not woken since "
                      "(pause_flags %#lx, pause_count %d, domain's %d)%s", cpu, vname(next),
                      next->pause_flags, next->pause_count, next->domain->pause_count,
                      next == prev ? " (kept prev)" : "");
    if (dom_scheduler(next->domain) != sched_res(cpu)->sched)
        sim_violation("CPU%u: do_schedule chose %s, a vCPU of another pool", cpu,
                      vname(next));
    if (!cpumask_test(&next->cpu_hard_affinity, cpu))
        sim_violation("CPU%u: do_schedule chose %s, outside its hard affinity %#llx",
                      cpu, vname(next), (unsigned long long)cpumask_to_u64(&next->cpu_hard_affinity));
}

static void livelock_guard(unsigned cpu, s_time_t now, struct vcpu *prev)
{
    if (sim.last_sched_time[cpu] != now) {
        sim.last_sched_time[cpu] = now;
        sim.same_time_scheds[cpu] = 0;
    }
    if (++sim.same_time_scheds[cpu] > LIVELOCK_SCHEDS)
        panic("sim: CPU%u rescheduled %u times at %lld ns without time passing (zero "
              "slices, or a policy raising itself forever); last decision: %s for %lld ns",
              cpu, LIVELOCK_SCHEDS, (long long)now, vname(prev),
              (long long)sim.last_slice[cpu]);
}

void sched_context_saved(struct vcpu *prev);

/* core.c's context_switch(prev, next) is arch code: here, the simulated machine's
 * bookkeeping, then what the new vCPU's stack does first. */
static void context_switch(struct vcpu *prev, struct vcpu *next)
{
    sim_switched(smp_processor_id(), prev, next, NOW());
    sched_context_saved(prev);
}

static void schedule(void)
{
    unsigned cpu = smp_processor_id();
    struct percpu *pc = this_cpu();
    struct sched_resource *sr = pc->sched;
    struct vcpu *prev = pc->curr, *next;
    unsigned long flags = local_irq_save();
    s_time_t now;
    uint64_t t0 = 0;

    core_lock(sr->lock, "schedule");
    if (!sr->sched) {                   /* a CPU in no pool runs only its idle vCPU */
        spin_unlock(sr->lock);
        local_irq_restore(flags);
        return;
    }
    now = NOW();
    livelock_guard(cpu, now, prev);
    timer_stop(&sr->s_timer);
    op_enter(true);
    if (sim.cfg.time_ops)
        t0 = host_ticks();
    struct task_slice slice = sr->sched->ops->do_schedule(sr->sched, cpu, prev, now);
    if (sim.cfg.time_ops)
        sim.sched_ticks += host_ticks() - t0;
    sim.nr_sched++;
    op_leave("do_schedule", true, sr->lock, NULL);
    sim.last_slice[cpu] = slice.time;
    next = slice.task ? slice.task : pc->idle;
    if (slice.time >= 0)
        timer_set(&sr->s_timer, now + slice.time);
    check_choice(cpu, prev, next);
    sim_decided(cpu, prev, next, slice.time);

    if (next == prev) {
        spin_unlock(sr->lock);
        local_irq_restore(flags);
        return;
    }
    if (next->is_running)               /* core: ASSERT(!next->is_running) */
        panic("sim: CPU%u at %lld ns: do_schedule chose %s, still running on CPU%u",
              cpu, (long long)now, vname(next), next->processor);
    if (next->processor != cpu)         /* core: ASSERT(next->processor == cpu) */
        panic("sim: CPU%u at %lld ns: do_schedule chose %s, whose processor is CPU%u",
              cpu, (long long)now, vname(next), next->processor);
    if (!is_idle_vcpu(next))
        next->last_processor = cpu;
    vcpu_runstate_change(prev, blocked_state(prev), now);
    vcpu_runstate_change(next, RUNSTATE_running, now);
    next->is_running = true;
    pc->curr = next;
    spin_unlock(sr->lock);              /* interrupts stay off across the switch */

    context_switch(prev, next);
    local_irq_restore(flags);
}

static void policy_wake(struct scheduler *s, struct vcpu *v)
{
    sim_v(v)->asleep = false;
    uint64_t t0 = sim.cfg.time_ops ? host_ticks() : 0;
    s->ops->wake(s, v);
    if (sim.cfg.time_ops)
        sim.wake_ticks += host_ticks() - t0;
    sim.nr_wake_ops++;
}

/* Right after a switch: prev's state is saved. */
void sched_context_saved(struct vcpu *prev)
{
    if (is_idle_vcpu(prev)) {
        __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
        return;
    }
    struct scheduler *s = vcpu_scheduler(prev);
    spinlock_t *l = sched_lock(prev->processor);

    core_lock(l, "sched_context_saved");
    __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
    op_enter(true);
    if (s->ops->context_saved)
        s->ops->context_saved(s, prev);
    /* It may have become runnable while still running here: now it can go. */
    if (!is_idle_vcpu(prev) && vcpu_runnable(prev))
        policy_wake(s, prev);
    op_leave("context_saved/wake", true, l, NULL);
    spin_unlock(l);
}

/* ---- state changes (core.c) ---- */

void vcpu_wake(struct vcpu *v)
{
    unsigned long flags = local_irq_save();
    spinlock_t *l = vcpu_schedule_lock(v, "vcpu_wake");
    struct scheduler *s = vcpu_scheduler(v);

    if (vcpu_runnable(v)) {
        if (v->runstate.state >= RUNSTATE_blocked)
            vcpu_runstate_change(v, RUNSTATE_runnable, NOW());
        if (!v->is_running) {
            op_enter(true);
            policy_wake(s, v);
            op_leave("wake", true, l, NULL);
        }
    }
    spin_unlock(l);
    local_irq_restore(flags);
}

void vcpu_sleep_nosync(struct vcpu *v)
{
    unsigned long flags = local_irq_save();
    spinlock_t *l = vcpu_schedule_lock(v, "vcpu_sleep_nosync");
    struct scheduler *s = vcpu_scheduler(v);

    if (!vcpu_runnable(v)) {
        if (v->runstate.state == RUNSTATE_runnable)
            vcpu_runstate_change(v, blocked_state(v), NOW());
        op_enter(true);
        s->ops->sleep(s, v);
        sim_v(v)->asleep = true;
        op_leave("sleep", true, l, NULL);
    }
    spin_unlock(l);
    local_irq_restore(flags);
}

/* The core spins until v is off its pCPU; here the other pCPUs must run meanwhile. */
void vcpu_sleep_sync(struct vcpu *v)
{
    s_time_t give_up = NOW() + MILLISECS(1000);
    unsigned cpu = sim.cpu;
    bool control = sim.in_control;

    vcpu_sleep_nosync(v);
    while (!vcpu_runnable(v) && __atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE)) {
        struct timer *t = timerq_first(&sim.q);
        if (!t || t->expires > give_up)
            panic("sim: vcpu_sleep_sync: %s still running on CPU%u 1 s after its sleep "
                  "(the policy never switched it out)", vname(v), v->processor);
        sim_run_until(t->expires);
    }
    sim_set_cpu(cpu, control);
}

void vcpu_block_current(void)
{
    vcpu_sleep_nosync(current);
}

void vcpu_yield_current(void)
{
    struct vcpu *v = current;
    unsigned long flags = local_irq_save();
    spinlock_t *l = vcpu_schedule_lock(v, "vcpu_yield_current");
    struct scheduler *s = vcpu_scheduler(v);
    op_enter(true);
    if (s->ops->yield)
        s->ops->yield(s, v);
    op_leave("yield", true, l, NULL);
    spin_unlock(l);
    local_irq_restore(flags);
    sched_raise(smp_processor_id());
}

/* The core also IPIs a vCPU running elsewhere to deliver the upcall: no upcalls here. */
void vcpu_kick(struct vcpu *v)
{
    if (__atomic_fetch_and(&v->pause_flags, ~(1UL << VPF_blocked), __ATOMIC_ACQ_REL) &
        (1UL << VPF_blocked))
        vcpu_wake(v);
}

/* The control context is never v (it stands for dom0's vCPU). */
void vcpu_pause(struct vcpu *v)
{
    __atomic_add_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);
    vcpu_sleep_sync(v);
}

void vcpu_unpause(struct vcpu *v)
{
    if (__atomic_sub_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST) == 0)
        vcpu_wake(v);
}

/* Move v to a pCPU its hard affinity and its pool allow. v must be paused by the
 * caller. When the two have nothing in common (its pool lost the CPUs it was pinned
 * to), the affinity is reset to the pool, and the log says so. */
void vcpu_migrate_paused(struct vcpu *v)
{
    struct scheduler *s = dom_scheduler(v->domain);
    if (!cpumask_intersects(&v->cpu_hard_affinity, &s->cpus)) {
        pr_warn("sched: d%uv%u: no CPU of its affinity left in its pool: affinity reset\n",
                v->domain->domain_id, v->vcpu_id);
        v->cpu_hard_affinity = s->cpus;
    }
    unsigned old = v->processor, new = old;
    unsigned long flags;

    if (s->ops->pick_cpu) {
        op_enter(false);
        new = s->ops->pick_cpu(s, v);
        op_leave("pick_cpu", false, NULL, NULL);
        if (new >= sim.nr_cpus || !cpumask_test(&v->cpu_hard_affinity, new) ||
            !cpumask_test(&s->cpus, new)) {
            sim_violation("pick_cpu(%s) returned CPU%u: not in its hard affinity %#llx "
                          "and its pool %#llx", vname(v), new,
                          (unsigned long long)cpumask_to_u64(&v->cpu_hard_affinity),
                          (unsigned long long)cpumask_to_u64(&s->cpus));
            if (new >= sim.nr_cpus)
                new = old;
        }
    } else if (!cpumask_test(&v->cpu_hard_affinity, old) || !cpumask_test(&s->cpus, old)) {
        cpumask_t ok = cpumask_and(&v->cpu_hard_affinity, &s->cpus);
        ok = cpumask_and(&ok, &cpu_online_map);
        if (!cpumask_empty(&ok))
            new = cpumask_first(&ok);
    }
    if (new == old)
        return;
    /* Both locks, in CPU order. */
    spinlock_t *a = sched_lock(MIN(old, new)), *b = sched_lock(MAX(old, new));
    flags = local_irq_save();
    core_lock(a, "vcpu_migrate_paused");
    if (b != a)
        core_lock(b, "vcpu_migrate_paused");
    v->processor = new;
    if (b != a)
        spin_unlock(b);
    spin_unlock(a);
    local_irq_restore(flags);
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
    vcpu_pause(v);
    if (hard)
        v->cpu_hard_affinity = *hard;
    if (soft)
        v->cpu_soft_affinity = *soft;
    vcpu_migrate_paused(v);             /* core: if (v != current); never is here */
    vcpu_unpause(v);
    return 0;
}

/* ---- vCPU and domain membership: the policy of the domain's pool (core.c) ---- */

int sched_init_domain(struct domain *d)
{
    struct scheduler *s;
    if (!d->cpupool)
        d->cpupool = cpupool0;
    s = dom_scheduler(d);
    op_enter(false);
    d->sched_priv = s->ops->alloc_domdata ? s->ops->alloc_domdata(s, d) : NULL;
    op_leave("alloc_domdata", false, NULL, NULL);
    if (s->ops->alloc_domdata && !d->sched_priv)
        return -ENOMEM;
    d->cpupool->n_domains++;
    return 0;
}

void sched_destroy_domain(struct domain *d)
{
    struct scheduler *s;
    if (!d->cpupool)
        return;
    s = dom_scheduler(d);
    if (s->ops->free_domdata && d->sched_priv)
        s->ops->free_domdata(s, d->sched_priv);
    op_leave("free_domdata", false, NULL, NULL);
    d->sched_priv = NULL;
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
    if (s->ops->alloc_vdata) {
        op_enter(false);
        v->sched_priv = s->ops->alloc_vdata(s, v, v->domain->sched_priv);
        op_leave("alloc_vdata", false, NULL, NULL);
        if (!v->sched_priv)
            return -ENOMEM;
    }
    if (s->ops->insert_vcpu) {
        flags = local_irq_save();
        core_lock(sched_lock(cpu), "sched_alloc_vcpu");
        op_enter(true);
        s->ops->insert_vcpu(s, v);
        op_leave("insert_vcpu", true, sched_lock(cpu), NULL);
        spin_unlock(sched_lock(cpu));
        local_irq_restore(flags);
    }
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
    unsigned long flags = local_irq_save();
    spinlock_t *l = vcpu_schedule_lock(v, "sched_free_vcpu");

    ASSERT(!v->is_running);
    op_enter(true);
    s->ops->sleep(s, v);
    if (s->ops->remove_vcpu)
        s->ops->remove_vcpu(s, v);
    op_leave("sleep/remove_vcpu", true, l, NULL);
    spin_unlock(l);
    local_irq_restore(flags);
    if (s->ops->free_vdata && v->sched_priv)
        s->ops->free_vdata(s, v->sched_priv);
    v->sched_priv = NULL;
    op_leave("free_vdata", false, NULL, NULL);
}

void sched_destroy_vcpu(struct vcpu *v)
{
    sched_free_vcpu(v);
}

const char *sched_name(void)
{
    return cpupool0 ? cpupool0->sched.ops->name : "none";
}

/* ---- boot (core.c) ---- */

const struct sched_ops *sched_find(const char *name)
{
    return sim_policy_find(name);
}

/* A policy missing a required op is refused here, by name (STYLE 2). */
bool sched_ops_complete(const struct sched_ops *o)
{
    const char *missing = !o->init ? "init" : !o->alloc_pdata ? "alloc_pdata" :
                          !o->wake ? "wake" : !o->sleep ? "sleep" :
                          !o->do_schedule ? "do_schedule" : NULL;
    if (missing)
        pr_err("sched: policy '%s' has no %s op: refused\n", o->name, missing);
    return !missing && sched_params_valid(o);
}

/* A pool's instance of o (cpupool_new): -EINVAL if o is refused. */
int sim_pool_init(struct cpupool *p, const struct sched_ops *o, const char *name)
{
    if (!sched_ops_complete(o))
        return -EINVAL;
    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->sched.ops = o;
    op_enter(false);
    int rc = o->init(&p->sched);
    op_leave("init", false, NULL, NULL);
    return rc;
}

/* Called whenever a pCPU's lock pointer may legitimately change. */
void sim_locks_settled(void)
{
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        lock_seen[c] = sched_resources[c].lock;
}

/* sched_init_cpu(), with the idle vCPU arch_idle_vcpu_create() would make. */
void sim_sched_init_cpu(unsigned cpu)
{
    struct sched_resource *sr = &sched_resources[cpu];
    struct percpu *pc = per_cpu(cpu);
    struct scheduler *s = &cpupool0->sched;
    struct vcpu *idle = calloc(1, sizeof(*idle));

    if (!idle)
        panic("sim: no memory for CPU%u's idle vCPU", cpu);
    idle->vcpu_id = cpu;
    idle->processor = cpu;
    spin_lock_init(&sr->_lock);
    sr->lock = &sr->_lock;
    timer_init(&sr->s_timer, s_timer_fn, NULL, cpu);
    pc->sched = sr;
    pc->idle = pc->curr = idle;
    idle->processor = cpu;
    idle->is_running = true;
    idle->runstate.state = RUNSTATE_running;
    idle->runstate.state_entry_time = NOW();
    sr->sched = s;
    sr->priv = s->ops->alloc_pdata(s, cpu);
    if (!sr->priv)
        panic("sched: no memory for CPU%u's scheduler data", cpu);
    cpumask_set(&s->cpus, cpu);
    sim_locks_settled();                /* alloc_pdata may share locks */
    op_leave("alloc_pdata", false, NULL, NULL);
}

/* cpupool_detach_here: cpu, idle, leaves its pool (free_pdata). -EAGAIN if busy. */
int sim_cpu_detach(unsigned cpu)
{
    struct sched_resource *sr = &sched_resources[cpu];
    struct scheduler *s = sr->sched;
    spinlock_t *old = sr->lock;

    core_lock(old, "cpupool_detach_here");
    if (!sched_cpu_is_idle(cpu)) {
        spin_unlock(old);
        return -EAGAIN;
    }
    timer_stop(&sr->s_timer);
    sr->sched = NULL;
    sr->lock = &sr->_lock;
    void *pd = sr->priv;
    sr->priv = NULL;
    spin_unlock(old);
    sim_locks_settled();
    if (s->ops->free_pdata)
        s->ops->free_pdata(s, pd, cpu);
    op_leave("free_pdata", false, NULL, NULL);
    return 0;
}

/* cpupool_attach_here: a free cpu joins pool p (alloc_pdata). */
void sim_cpu_attach(unsigned cpu, struct cpupool *p)
{
    struct sched_resource *sr = &sched_resources[cpu];

    core_lock(&sr->_lock, "cpupool_attach_here");
    sr->sched = &p->sched;
    sr->priv = p->sched.ops->alloc_pdata(&p->sched, cpu);   /* may redirect sr->lock */
    cpumask_set(&p->sched.cpus, cpu);
    spin_unlock(&sr->_lock);
    if (!sr->priv)
        panic("sched: no memory for CPU%u's scheduler data", cpu);
    sim_locks_settled();
    op_leave("alloc_pdata", false, NULL, NULL);
}

/* Not in the core (pool 0 never loses its last pCPU): free_pdata and deinit of a
 * pool, so that the tests see every allocation of the policy returned (LSan). */
void sim_pool_fini(struct cpupool *p)
{
    struct scheduler *s = &p->sched;
    for (unsigned c = 0; c < sim.nr_cpus; c++) {
        struct sched_resource *sr = &sched_resources[c];
        if (sr->sched != s)
            continue;
        timer_stop(&sr->s_timer);
        sr->sched = NULL;
        if (s->ops->free_pdata)
            s->ops->free_pdata(s, sr->priv, c);
        sr->priv = NULL;
    }
    if (s->ops->deinit)
        s->ops->deinit(s);
}

void sim_cpus_fini(void)
{
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        free(per_cpu(c)->idle);
}
