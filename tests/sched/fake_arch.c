/* The fake arch under the real sched/core.c and sched/cpupool.c (STYLE 17, after
 * Hafnium's src/arch/fake): what the hypervisor's arch and SMP layers do for the core,
 * done on the simulated machine by one host thread.
 * - Per-CPU data: this_cpu() is `mov %gs:0`, so the GS base is pointed at the area of
 *   the pCPU whose code runs (wrgsbase where the kernel allows it, else arch_prctl);
 *   glibc on x86-64 keeps TLS in FS, so GS is free.
 * - current: the running vCPU of that pCPU, except in the control context, which
 *   stands for dom0's vCPU doing a hypercall: there it is a vCPU of a domain the
 *   simulation does not schedule, placed on pCPU 0.
 * - IPIs: a kick event on the target pCPU at now + ipi_latency; its softirqs run when
 *   the event ends, as on the way out of the interrupt.
 * - context_switch(): the simulated machine's bookkeeping, then what the new vCPU's
 *   stack does first (sched_context_saved).
 * - Waiting for another pCPU (cpu_wait_for_others, cpu_sleep_until): runs events, so
 *   that the other pCPUs act; the control context first lets pCPU 0 run the softirq
 *   it raised there (dom0's hypercall would return to the guest and run it).
 * - on_cpus(): the function on each pCPU in turn, then its softirqs.
 * Interrupt masking and panic come from tests/unit/host_stubs.c. */
#include <asm/prctl.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <hvlab/errno.h>
#include <hvlab/panic.h>
#include <hvlab/sched.h>
#include <hvlab/timer.h>
#include "sim.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

#define SOFTIRQ_SCHEDULE 0              /* sched/core.c's bit in softirq_pending */

struct percpu *percpu_areas[NR_CPUS];
cpumask_t cpu_online_map;
unsigned nr_cpus_online;

/* dom0's vCPU, as the control context's `current`. */
static struct domain ctl_dom = { .domain_id = 0, .name = "Domain-0" };
static struct vcpu ctl_vcpu = { .domain = &ctl_dom, .processor = 0 };

/* ---- whose code runs ---- */

static void set_gs(struct percpu *pc)
{
    static struct percpu *cur;
    static int use_wrgsbase = -1;

    if (cur == pc)
        return;
    if (use_wrgsbase < 0)
        use_wrgsbase = !!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE);
    if (use_wrgsbase)
        __asm__ volatile("wrgsbase %0" :: "r"(pc) : "memory");
    else if (syscall(SYS_arch_prctl, ARCH_SET_GS, pc) != 0)
        panic("sim: cannot set the GS base (arch_prctl): this_cpu() needs it");
    cur = pc;
}

void sim_set_cpu(unsigned cpu, bool control)
{
    sim.cpu = cpu;
    sim.in_control = control;
    set_gs(percpu_areas[cpu]);
}

struct vcpu *current_vcpu(void) { return sim.in_control ? &ctl_vcpu : this_cpu()->curr; }
bool is_idle_vcpu(const struct vcpu *v) { return v->domain == NULL; }

void sim_softirq(void) { do_softirq(); }

/* The end of an interrupt on cpu (or of the control context's hypercall, cpu 0). */
static void softirq_on(unsigned cpu)
{
    unsigned was = sim.cpu;
    bool control = sim.in_control;
    sim_set_cpu(cpu, false);
    do_softirq();
    sim_set_cpu(was, control);
}

static bool softirq0_pending(void)
{
    return per_cpu(0)->softirq_pending & (1UL << SOFTIRQ_SCHEDULE);
}

static unsigned long control_ops;       /* serial of the control context's op */

void sim_control_done(void)
{
    if (softirq0_pending())
        softirq_on(0);
    sim_set_cpu(0, true);
    control_ops++;
}

/* ---- IPIs ---- */

static void kick_fn(void *data) { (void)data; }

void ipi_send_one(unsigned cpu, unsigned vector)
{
    (void)vector;                       /* a kick or a call: both end in softirqs */
    struct timer *t = &sim.kick[cpu];
    s_time_t when = sim.now + sim.cfg.ipi_latency;
    if (!timer_is_queued(t) || t->expires > when)
        timer_set(t, when);
}

void ipi_send_mask(const cpumask_t *mask, unsigned vector)
{
    unsigned c;
    for_each_cpu(c, mask)
        ipi_send_one(c, vector);
}

bool sim_kick_timer(const struct timer *t) { return t == &sim.kick[t->cpu]; }

void on_cpus(const cpumask_t *mask, void (*fn)(void *), void *arg)
{
    unsigned c, was = sim.cpu;
    bool control = sim.in_control;
    for_each_cpu(c, mask) {
        sim_set_cpu(c, false);
        unsigned long f = local_irq_save();
        fn(arg);
        local_irq_restore(f);
        do_softirq();
    }
    sim_set_cpu(was, control);
}

/* ---- context switch ---- */

void context_switch(struct vcpu *prev, struct vcpu *next)
{
    sim_switched(smp_processor_id(), prev, next, NOW());
    sched_context_saved(prev);
}

/* ---- waiting for other pCPUs ---- */

/* One turn of the core's busy wait: the next instant's events run. A wait is the
 * turns of one call site within one control op: one that lasts a simulated second
 * is a hang. */
void cpu_wait_for_others(void)
{
    static const void *site;
    static unsigned long op;
    static s_time_t since;
    const void *f = __builtin_return_address(0);
    unsigned cpu = sim.cpu;
    bool control = sim.in_control;

    if (f != site || op != control_ops || sim.now < since) {
        site = f;
        op = control_ops;
        since = sim.now;
    }
    if (control && softirq0_pending()) {
        softirq_on(0);
        return;
    }
    struct timer *t = timerq_first(&sim.q);
    if (!t || t->expires - since > MILLISECS(1000))
        panic("sim: a pCPU waited 1 s for another to act (a vCPU never left its pCPU "
              "after its sleep?) at %lld ns", (long long)sim.now);
    sim_run_until(t->expires);
    sim_set_cpu(cpu, control);
}

void cpu_sleep_until(s_time_t deadline)
{
    unsigned cpu = sim.cpu;
    bool control = sim.in_control;
    if (control && softirq0_pending())
        softirq_on(0);
    sim_run_until(deadline);
    sim_set_cpu(cpu, control);
}

/* ---- the machine ---- */

void sim_arch_init(void)
{
    cpu_online_map = (cpumask_t){ { 0 } };
    nr_cpus_online = 0;
    for (unsigned c = 0; c < sim.nr_cpus; c++) {
        struct percpu *pc = calloc(1, sizeof(*pc));
        if (!pc)
            panic("sim: no memory for CPU%u's area", c);
        pc->self = pc;
        pc->cpu = c;
        pc->apic_id = c;
        pc->node = c / sim.cfg.cpus_per_node;
        percpu_areas[c] = pc;
        timer_init(&sim.kick[c], kick_fn, NULL, c);
    }
    ctl_vcpu.processor = 0;
}

/* Each pCPU starts (on itself), with the idle vCPU arch_idle_vcpu_create makes. */
void sim_arch_start_cpus(void)
{
    for (unsigned c = 0; c < sim.nr_cpus; c++) {
        struct vcpu *idle = calloc(1, sizeof(*idle));
        if (!idle)
            panic("sim: no memory for CPU%u's idle vCPU", c);
        idle->vcpu_id = c;
        sim_set_cpu(c, false);
        sched_init_cpu(c, idle);
        cpumask_set(&cpu_online_map, c);
        nr_cpus_online++;
    }
    sim_set_cpu(0, true);
}

void sim_arch_fini(void)
{
    for (unsigned c = 0; c < NR_CPUS; c++) {
        if (percpu_areas[c])
            free(percpu_areas[c]->idle);
        free(percpu_areas[c]);
        percpu_areas[c] = NULL;
    }
}

