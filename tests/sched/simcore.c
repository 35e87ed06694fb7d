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
#include <time.h>
#include <hvlab/errno.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include "sim.h"

#define SOFTIRQ_SCHEDULE 0
#define LIVELOCK_SCHEDS 1000            /* schedule()s of one pCPU at one instant */

static struct sched_resource sched_resources[NR_CPUS];
static spinlock_t *lock_seen[NR_CPUS];  /* lock pointers as alloc_pdata left them */

void sim_core_reset(void)
{
    memset(sched_resources, 0, sizeof(sched_resources));
    memset(lock_seen, 0, sizeof(lock_seen));
}

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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

static struct scheduler *vcpu_scheduler(const struct vcpu *v)
{
    return sched_res(v->processor)->sched;
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
    if (!vcpu_runnable(next))
        sim_violation("CPU%u: do_schedule chose %s, which is not runnable%s", cpu,
                      vname(next), next == prev ? " (kept prev)" : "");
    if (!cpumask_test(&next->cpu_hard_affinity, cpu))
        sim_violation("CPU%u: do_schedule chose %s, outside its hard affinity %#llx",
                      cpu, vname(next), (unsigned long long)next->cpu_hard_affinity.bits);
}

static void livelock_guard(unsigned cpu, s_time_t now)
{
    if (sim.last_sched_time[cpu] != now) {
        sim.last_sched_time[cpu] = now;
        sim.same_time_scheds[cpu] = 0;
    }
    if (++sim.same_time_scheds[cpu] > LIVELOCK_SCHEDS)
        panic("sim: CPU%u rescheduled %u times at %lld ns without time passing "
              "(zero slices, or a policy raising itself forever)", cpu, LIVELOCK_SCHEDS,
              (long long)now);
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
    now = NOW();
    livelock_guard(cpu, now);
    timer_stop(&sr->s_timer);
    op_enter(true);
    if (sim.cfg.time_ops)
        t0 = host_ns();
    struct task_slice slice = sr->sched->ops->do_schedule(sr->sched, cpu, prev, now);
    if (sim.cfg.time_ops)
        sim.sched_ns += host_ns() - t0;
    sim.nr_sched++;
    op_leave("do_schedule", true, sr->lock, NULL);
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
    uint64_t t0 = sim.cfg.time_ops ? host_ns() : 0;
    s->ops->wake(s, v);
    if (sim.cfg.time_ops)
        sim.wake_ns += host_ns() - t0;
    sim.nr_wake_ops++;
}

/* Right after a switch: prev's state is saved. */
void sched_context_saved(struct vcpu *prev)
{
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

/* Move v to a pCPU its hard affinity allows. v must be paused by the caller. */
static void vcpu_migrate_paused(struct vcpu *v)
{
    struct scheduler *s = vcpu_scheduler(v);
    unsigned old = v->processor, new = old;
    unsigned long flags;

    if (s->ops->pick_cpu) {
        op_enter(false);
        new = s->ops->pick_cpu(s, v);
        op_leave("pick_cpu", false, NULL, NULL);
        if (new >= sim.nr_cpus || !cpumask_test(&v->cpu_hard_affinity, new) ||
            !cpumask_test(&s->cpus, new)) {
            sim_violation("pick_cpu(%s) returned CPU%u: not in its hard affinity %#llx "
                          "and the instance", vname(v), new,
                          (unsigned long long)v->cpu_hard_affinity.bits);
            if (new >= sim.nr_cpus)
                new = old;
        }
    } else if (!cpumask_test(&v->cpu_hard_affinity, old)) {
        cpumask_t ok = { v->cpu_hard_affinity.bits & s->cpus.bits & cpu_online_map.bits };
        if (ok.bits)
            new = (unsigned)__builtin_ctzll(ok.bits);
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
    if (hard && !(hard->bits & cpu_online_map.bits & vcpu_scheduler(v)->cpus.bits))
        return -EINVAL;
    vcpu_pause(v);
    if (hard)
        v->cpu_hard_affinity = *hard;
    if (soft)
        v->cpu_soft_affinity = *soft;
    vcpu_migrate_paused(v);             /* core: if (v != current); never is here */
    vcpu_unpause(v);
    return 0;
}

/* ---- vCPU and domain membership (core.c) ---- */

int sched_init_domain(struct domain *d)
{
    struct scheduler *s = &sim.sched;
    op_enter(false);
    d->sched_priv = s->ops->alloc_domdata ? s->ops->alloc_domdata(s, d) : NULL;
    op_leave("alloc_domdata", false, NULL, NULL);
    return (s->ops->alloc_domdata && !d->sched_priv) ? -ENOMEM : 0;
}

void sched_destroy_domain(struct domain *d)
{
    struct scheduler *s = &sim.sched;
    if (s->ops->free_domdata && d->sched_priv)
        s->ops->free_domdata(s, d->sched_priv);
    d->sched_priv = NULL;
    op_leave("free_domdata", false, NULL, NULL);
}

int sched_init_vcpu(struct vcpu *v, unsigned cpu)
{
    struct scheduler *s = &sim.sched;
    unsigned long flags;

    v->processor = cpu;
    v->runstate.state = RUNSTATE_offline;
    v->runstate.state_entry_time = NOW();
    if (!v->cpu_hard_affinity.bits)
        v->cpu_hard_affinity = s->cpus;
    if (!v->cpu_soft_affinity.bits)
        v->cpu_soft_affinity = s->cpus;
    if (s->ops->alloc_vdata) {
        op_enter(false);
        v->sched_priv = s->ops->alloc_vdata(s, v, v->domain ? v->domain->sched_priv : NULL);
        op_leave("alloc_vdata", false, NULL, NULL);
        if (!v->sched_priv)
            return -ENOMEM;
    }
    if (s->ops->insert_vcpu) {
        flags = local_irq_save();
        core_lock(sched_lock(cpu), "sched_init_vcpu");
        op_enter(true);
        s->ops->insert_vcpu(s, v);
        op_leave("insert_vcpu", true, sched_lock(cpu), NULL);
        spin_unlock(sched_lock(cpu));
        local_irq_restore(flags);
    }
    return 0;
}

void sched_destroy_vcpu(struct vcpu *v)
{
    struct scheduler *s = vcpu_scheduler(v);
    unsigned long flags = local_irq_save();
    spinlock_t *l = vcpu_schedule_lock(v, "sched_destroy_vcpu");

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

int sched_adjust(struct domain *d, struct domctl_scheduler_op *op)
{
    struct scheduler *s = &sim.sched;
    op_enter(false);
    int rc = s->ops->adjust ? s->ops->adjust(s, d, op) : -ENOSYS;
    op_leave("adjust", false, NULL, NULL);
    return rc;
}

const char *sched_name(void)
{
    return sim.sched.ops ? sim.sched.ops->name : "none";
}

/* ---- boot (core.c) ---- */

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

/* sched_init() with the policy given: no fallback to rr here, a test wants to know. */
int sim_sched_init(const struct sched_ops *o)
{
    if (!sched_ops_complete(o))
        return -EINVAL;
    sim.sched.ops = o;
    op_enter(false);
    int rc = o->init(&sim.sched);
    op_leave("init", false, NULL, NULL);
    return rc;
}

/* sched_init_cpu() with the idle vCPU arch_idle_vcpu_create() would make. */
void sim_sched_init_cpu(unsigned cpu)
{
    struct sched_resource *sr = &sched_resources[cpu];
    struct percpu *pc = per_cpu(cpu);
    struct vcpu *idle = calloc(1, sizeof(*idle));

    if (!idle)
        panic("sim: no memory for CPU%u's idle vCPU", cpu);
    idle->vcpu_id = cpu;
    idle->processor = cpu;
    spin_lock_init(&sr->_lock);
    sr->lock = &sr->_lock;
    sr->sched = &sim.sched;
    timer_init(&sr->s_timer, s_timer_fn, NULL, cpu);
    pc->sched = sr;
    pc->idle = pc->curr = idle;
    idle->processor = cpu;
    idle->is_running = true;
    idle->runstate.state = RUNSTATE_running;
    idle->runstate.state_entry_time = NOW();
    cpumask_set(&sim.sched.cpus, cpu);
    sr->priv = sim.sched.ops->alloc_pdata(&sim.sched, cpu);
    if (!sr->priv)
        panic("sched: no memory for CPU%u's scheduler data", cpu);
    for (unsigned c = 0; c <= cpu; c++)     /* alloc_pdata may share locks */
        lock_seen[c] = sched_resources[c].lock;
    op_leave("alloc_pdata", false, NULL, NULL);
}

/* Not in the core (pCPUs never leave): free_pdata and deinit, so that the tests see
 * every allocation of the policy returned (LeakSanitizer). */
void sim_sched_fini(void)
{
    struct scheduler *s = &sim.sched;
    for (unsigned c = 0; c < sim.nr_cpus; c++) {
        struct sched_resource *sr = &sched_resources[c];
        timer_stop(&sr->s_timer);
        if (s->ops->free_pdata)
            s->ops->free_pdata(s, sr->priv, c);
        free(per_cpu(c)->idle);
    }
    if (s->ops->deinit)
        s->ops->deinit(s);
}
