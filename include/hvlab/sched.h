/* The scheduler as the rest of the hypervisor sees it (the policy interface is in
 * sched/private.h). All of these may be called from any pCPU. */
#ifndef HVLAB_SCHED_H
#define HVLAB_SCHED_H

#include <hvlab/domain.h>

void sched_init(void);                         /* BSP, after SMP bring-up */
/* Each pCPU as it starts, on itself: joins pool 0 with its idle vCPU. */
void sched_init_cpu(unsigned cpu, struct vcpu *idle);
/* Arch: saves prev's state, loads next's; called by the core's schedule() with
 * interrupts off and returns on next's stack (core/arch/x86/context.c; the host
 * testbed's fake arch in tests/sched/fake_arch.c). */
void context_switch(struct vcpu *prev, struct vcpu *next);
/* Arch, first thing on the new vCPU's stack after a switch: prev's state is saved. */
void sched_context_saved(struct vcpu *prev);
int sched_init_vcpu(struct vcpu *v, unsigned cpu);
void sched_destroy_vcpu(struct vcpu *v);
int sched_init_domain(struct domain *d);
void sched_destroy_domain(struct domain *d);

/* Make a vCPU that may have become runnable (unblocked, unpaused, event pending)
 * eligible to run: queue it and poke the pCPU that should run it. */
void vcpu_wake(struct vcpu *v);
/* The calling vCPU blocks (VPF_blocked already set by the caller); reschedules. */
void vcpu_block_current(void);
/* Take v off the CPU at the next opportunity (it stopped being runnable). */
void vcpu_sleep_nosync(struct vcpu *v);
void vcpu_sleep_sync(struct vcpu *v);          /* ... and wait until it is off */
void vcpu_yield_current(void);
/* Notify v that an event is pending: wake it if blocked, IPI its pCPU if running
 * elsewhere so the upcall is delivered promptly. */
void vcpu_kick(struct vcpu *v);
int vcpu_set_affinity(struct vcpu *v, const cpumask_t *hard, const cpumask_t *soft);

/* Runstate accounting (sched/core.c). */
void vcpu_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *out);

/* SYSCTL_scheduler_op on pool op->cpupool_id (sched/cpupool.c): 0 or -errno. */
struct sysctl_scheduler_op;
long cpupool_sched_op(struct sysctl_scheduler_op *op);
/* SYSCTL_sched_decls (sched/cpupool.c): the declarations of a pool's or a named
 * policy; 0 or -ENOENT. */
struct sysctl_sched_decls;
long sched_decls_op(struct sysctl_sched_decls *op);

/* Raise the schedule softirq on cpu (this one or another, with an IPI). */
void sched_raise(unsigned cpu);
/* Run pending softirqs; called on the way back to a guest and from the idle loop. */
void do_softirq(void);

#endif
