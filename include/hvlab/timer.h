/* Per-CPU soft timers, ordered by deadline and driven by the one-shot LAPIC timer of
 * the CPU that owns them. A timer's handler runs on its owning CPU, in interrupt
 * context with interrupts disabled, without the queue lock held (it may re-arm itself).
 * set/stop/migrate may be called from any CPU. */
#ifndef HVLAB_TIMER_H
#define HVLAB_TIMER_H

#include <hvlab/timerq.h>

void timer_set(struct timer *t, s_time_t expires);
void timer_stop(struct timer *t);
void timer_migrate(struct timer *t, unsigned new_cpu);
bool timer_pending(const struct timer *t);
void timers_init_cpu(void);         /* each CPU, once */

/* Halt this CPU until an interrupt or the deadline, whichever comes first. This is
 * how a CPU waits for another: under QEMU's deterministic mode (-icount, one thread
 * running the vCPUs in turn) a busy-waiting vCPU can starve the others' timers.
 * Needs interrupts enabled; returns with them enabled. */
void cpu_sleep_until(s_time_t deadline);

/* The context switch tells the icount deadline tick whether a guest now runs. */
void timer_icount_tick_switch(bool guest_running);

#endif
