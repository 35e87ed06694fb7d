/* The simulator's view of every call the real core makes into a policy: each pool
 * runs a copy of its policy's ops table whose ops check, clock and record around the
 * policy's own op, then call it. The core and the policy are the hypervisor's code;
 * this file only watches the line between them.
 *
 * Checked around every op: it leaves held exactly the scheduler locks the core took
 * for it (else the next spin_lock would hang this one thread, or the unlock corrupt a
 * ticket: fatal, as in the hypervisor), it does not change a pCPU's lock pointer (only
 * alloc_pdata may), it does not allocate while a lock is held, and pick_cpu is called
 * with no scheduler lock held (sched/private.h). Recorded as violations: do_schedule
 * choosing a vCPU that is not runnable since its sleep op, outside its hard affinity
 * or of another pool; pick_cpu returning a pCPU outside affinity or pool. Fatal: a
 * pCPU rescheduling without end at one instant. Also here: the bench's clock around
 * do_schedule and wake, and the decisions fed to the accounting (simstats.c). */
#include <stdio.h>
#include <x86intrin.h>
#include <hvlab/panic.h>
#include "sim.h"

/* schedule()s of one pCPU at one instant before it counts as a livelock: a cascade
 * may legitimately visit every vCPU (all replenished at one period boundary). */
#define LIVELOCK_SCHEDS (1000 + 4 * sim.nr_vcpus)

struct sim_ops {
    struct sched_ops ops;               /* what the pool runs: the checking copy */
    const struct sched_ops *real;       /* the policy's table */
};
static struct sim_ops wrapped[SIM_MAX_POOLS + 1];
static unsigned nr_wrapped;
static spinlock_t *lock_seen[NR_CPUS];  /* lock pointers as alloc_pdata left them */

static const struct sched_ops *real(const struct scheduler *s)
{
    return container_of(s->ops, struct sim_ops, ops)->real;
}

/* time_ops: TSC ticks, cheap enough to read around every op (bench/sched_scale.c
 * converts them to ns against CLOCK_MONOTONIC). */
static uint64_t host_ticks(void) { return __rdtsc(); }

/* The measured ops, each in a function of its own whose name starts with
 * sim_measured_: `make sched-bench-ir` counts the instructions inside them only
 * (callgrind --toggle-collect), a figure no host's noise moves. */
static __attribute__((noinline)) void sim_measured_wake(const struct sched_ops *o,
                                                        struct scheduler *s, struct vcpu *v)
{
    o->wake(s, v);
}

static __attribute__((noinline)) struct task_slice
sim_measured_do_schedule(const struct sched_ops *o, struct scheduler *s, unsigned cpu,
                         struct vcpu *prev, s_time_t now)
{
    return o->do_schedule(s, cpu, prev, now);
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

/* ---- lock discipline ---- */

static void locks_settled(void)
{
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        lock_seen[c] = sched_res(c) ? sched_res(c)->lock : NULL;
}

static void op_enter(bool locked)
{
    if (locked)
        sim.locked_ops++;
}

/* After an op: exactly a and b (either may be NULL) held, lock pointers unchanged
 * (but for a pCPU that left its pool: back on its own lock). */
static void op_leave(const char *op, bool locked, spinlock_t *a, spinlock_t *b)
{
    if (locked)
        sim.locked_ops--;
    for (unsigned c = 0; c < sim.nr_cpus; c++) {
        struct sched_resource *sr = sched_res(c);
        spinlock_t *l = sr ? sr->lock : NULL;
        bool want = l == a || l == b;
        if (!l)
            continue;                   /* not started yet */
        if (l != lock_seen[c]) {
            if (sr->sched || l != &sr->_lock)
                sim_violation("%s changed CPU%u's lock pointer (only alloc_pdata may)", op, c);
            lock_seen[c] = l;
        }
        if (spin_is_locked(l) != want)
            panic("sim: %s at %lld ns %s CPU%u's scheduler lock", op, (long long)NOW(),
                  want ? "released" : "left held", c);
    }
}

/* ---- lifetime ---- */

static int w_init(struct scheduler *s)
{
    return real(s)->init(s);
}

static void w_deinit(struct scheduler *s)
{
    real(s)->deinit(s);
    op_leave("deinit", false, NULL, NULL);
}

static void *w_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    void *pd = real(s)->alloc_pdata(s, cpu);
    locks_settled();                    /* it may share locks */
    op_leave("alloc_pdata", false, &sched_res(cpu)->_lock, NULL);
    return pd;
}

static void w_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    real(s)->free_pdata(s, pd, cpu);
    op_leave("free_pdata", false, NULL, NULL);
}

static void *w_alloc_domdata(struct scheduler *s, struct domain *d)
{
    void *dd = real(s)->alloc_domdata(s, d);
    op_leave("alloc_domdata", false, NULL, NULL);
    return dd;
}

static void w_free_domdata(struct scheduler *s, void *dd)
{
    real(s)->free_domdata(s, dd);
    op_leave("free_domdata", false, NULL, NULL);
}

static void *w_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    void *vd = real(s)->alloc_vdata(s, v, dd);
    op_leave("alloc_vdata", false, NULL, NULL);
    return vd;
}

static void w_free_vdata(struct scheduler *s, void *vd)
{
    real(s)->free_vdata(s, vd);
    op_leave("free_vdata", false, NULL, NULL);
}

/* ---- vCPU ops, v->processor's lock held ---- */

#define LOCKED_VCPU_OP(name_, body_)                                           \
    static void w_##name_(struct scheduler *s, struct vcpu *v)                \
    {                                                                         \
        spinlock_t *l = sched_lock(v->processor);                            \
        op_enter(true);                                                       \
        body_;                                                                \
        op_leave(#name_, true, l, NULL);                                      \
    }

LOCKED_VCPU_OP(insert_vcpu, real(s)->insert_vcpu(s, v))
LOCKED_VCPU_OP(remove_vcpu, real(s)->remove_vcpu(s, v))
LOCKED_VCPU_OP(yield, real(s)->yield(s, v))
LOCKED_VCPU_OP(context_saved, real(s)->context_saved(s, v))
LOCKED_VCPU_OP(sleep, { real(s)->sleep(s, v); sim_v(v)->asleep = true; })
LOCKED_VCPU_OP(wake, {
    sim_v(v)->asleep = false;
    uint64_t t0 = sim.cfg.time_ops ? host_ticks() : 0;
    sim_measured_wake(real(s), s, v);
    if (sim.cfg.time_ops)
        sim.wake_ticks += host_ticks() - t0;
    sim.nr_wake_ops++;
})

/* ---- decisions ---- */

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
    if (&next->domain->cpupool->sched != sched_res(cpu)->sched)
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

static struct task_slice w_do_schedule(struct scheduler *s, unsigned cpu,
                                       struct vcpu *prev, s_time_t now)
{
    spinlock_t *l = sched_lock(cpu);
    uint64_t t0 = 0;

    livelock_guard(cpu, now, prev);
    op_enter(true);
    if (sim.cfg.time_ops)
        t0 = host_ticks();
    struct task_slice slice = sim_measured_do_schedule(real(s), s, cpu, prev, now);
    if (sim.cfg.time_ops)
        sim.sched_ticks += host_ticks() - t0;
    sim.nr_sched++;
    op_leave("do_schedule", true, l, NULL);
    sim.last_slice[cpu] = slice.time;
    struct vcpu *next = slice.task ? slice.task : per_cpu(cpu)->idle;
    check_choice(cpu, prev, next);
    sim_decided(cpu, prev, next, slice.time);
    return slice;
}

static unsigned w_pick_cpu(struct scheduler *s, struct vcpu *v)
{
    unsigned old = v->processor;
    op_leave("before pick_cpu (its caller)", false, NULL, NULL);
    unsigned new = real(s)->pick_cpu(s, v);
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
    return new;
}

static int w_get_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                        uint64_t *val, uint64_t *cnt)
{
    int rc = real(s)->get_params(s, d, vcpu, val, cnt);
    op_leave("get_params", false, NULL, NULL);
    return rc;
}

static int w_set_params(struct scheduler *s, struct domain *d, unsigned vcpu,
                        unsigned mask, const uint64_t *val)
{
    int rc = real(s)->set_params(s, d, vcpu, mask, val);
    op_leave("set_params", false, NULL, NULL);
    return rc;
}

static int w_adjust_global(struct scheduler *s, struct sysctl_scheduler_op *op)
{
    int rc = real(s)->adjust_global(s, op);
    op_leave("adjust_global", false, NULL, NULL);
    return rc;
}

/* ---- the checking copy of a table: NULL where the policy has NULL ---- */

#define WRAP(op_) o->op_ = r->op_ ? w_##op_ : NULL

const struct sched_ops *sim_ops_wrap(const struct sched_ops *r)
{
    for (unsigned i = 0; i < nr_wrapped; i++)
        if (wrapped[i].real == r)
            return &wrapped[i].ops;
    if (nr_wrapped == ARRAY_SIZE(wrapped))
        panic("sim: more than %zu policy tables in one run", ARRAY_SIZE(wrapped));
    struct sched_ops *o = &wrapped[nr_wrapped].ops;
    wrapped[nr_wrapped++].real = r;
    *o = *r;
    WRAP(init); WRAP(deinit); WRAP(alloc_pdata); WRAP(free_pdata);
    WRAP(alloc_domdata); WRAP(free_domdata); WRAP(alloc_vdata); WRAP(free_vdata);
    WRAP(insert_vcpu); WRAP(remove_vcpu); WRAP(wake); WRAP(sleep); WRAP(yield);
    WRAP(do_schedule); WRAP(context_saved); WRAP(pick_cpu);
    WRAP(get_params); WRAP(set_params); WRAP(adjust_global);
    return o;
}

void sim_ops_reset(void)
{
    nr_wrapped = 0;
    memset(lock_seen, 0, sizeof(lock_seen));
}
