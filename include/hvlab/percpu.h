/* Per-CPU state. Each pCPU's area is reached through the GS base, which always points
 * at it while in the hypervisor; this_cpu() is one load. Fields are written only by
 * their own CPU unless a comment says otherwise. */
#ifndef HVLAB_PERCPU_H
#define HVLAB_PERCPU_H

/* Offsets used by entry.S (checked below). */
#define PERCPU_SYSCALL_STACK   8
#define PERCPU_SYSCALL_SCRATCH 16

#ifndef __ASSEMBLY__
#include <hvlab/types.h>
#include <hvlab/spinlock.h>
#include <hvlab/timerq.h>
#include <hvlab/x86/desc.h>

#define TIMERQ_CAP 256          /* soft timers queued per pCPU at once */

struct vcpu;
struct sched_resource;

struct percpu {
    struct percpu *self;        /* at offset 0: this_cpu() reads %gs:0 */
    uintptr_t syscall_stack;    /* offset 8: RSP0 of the running vCPU (SYSCALL entry) */
    uintptr_t syscall_scratch;  /* offset 16: guest RSP during SYSCALL entry */
    unsigned cpu;               /* logical CPU number, 0 = BSP */
    uint32_t apic_id;
    unsigned node;
    uintptr_t stack_top;

    struct cpu_desc desc;       /* GDT, TSS, IST stacks (arch) */

    /* Soft timers: guarded by timer_lock (irqsave), any CPU may add to this queue. */
    spinlock_t timer_lock;
    struct timerq timers;
    struct timer *timer_storage[TIMERQ_CAP];
    s_time_t timer_programmed;  /* deadline the LAPIC timer is set for; own CPU only */
    struct timer *timer_running;    /* whose handler runs now (timer_kill waits), atomic */
    struct timer wake_timer;    /* cpu_sleep_until(); own CPU only */
    unsigned long wake_fired;   /* wake_timer fired (icount mode); own CPU only */
    struct timer icount_tick;   /* see core/timer.c: icount_tick_us; own CPU only */

    /* Scheduling (sched/core.c): curr and idle are changed only by this CPU, in the
     * context switch; softirq_pending bits may be set by any CPU (atomic). */
    struct vcpu *curr;          /* running vCPU; the idle vCPU when nothing else runs */
    struct vcpu *idle;
    unsigned long softirq_pending;
    struct sched_resource *sched;

    unsigned long irq_count;
    unsigned long timer_irqs;
};


_Static_assert(offsetof(struct percpu, syscall_stack) == PERCPU_SYSCALL_STACK, "entry.S");
_Static_assert(offsetof(struct percpu, syscall_scratch) == PERCPU_SYSCALL_SCRATCH, "entry.S");

extern struct percpu *percpu_areas[NR_CPUS];

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}
static inline unsigned smp_processor_id(void) { return this_cpu()->cpu; }
static inline struct percpu *per_cpu(unsigned cpu) { return percpu_areas[cpu]; }

#endif /* __ASSEMBLY__ */

#endif
