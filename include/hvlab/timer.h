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
/* Stop t and wait until no other pCPU runs its handler (t may have been migrated, so
 * every pCPU is looked at). False when this pCPU is running it (the caller is inside
 * t's handler): then it is stopped but its handler has not returned. */
bool timer_kill(struct timer *t);
void timers_init_cpu(void);         /* each CPU, once */

/* Wait until an interrupt or the deadline, whichever comes first (in icount mode:
 * until the deadline; see timer_icount_mode). This is how a CPU waits for another:
 * under QEMU's deterministic mode (-icount, one thread running the vCPUs in turn) a
 * busy-waiting vCPU can starve the others' timers. Needs interrupts enabled; returns
 * with them enabled. */
void cpu_sleep_until(s_time_t deadline);

/* The "icount" boot option: QEMU runs with -icount (deterministic mode). Then no pCPU
 * ever halts: idle pCPUs spin, so that every pCPU executes instructions all the time
 * and QEMU's round-robin TCG never sees every vCPU halted (docs/architecture.md,
 * "Deterministic mode"). */
bool timer_icount_mode(void);

/* Icount mode's wait: until *flag is non-zero (set by an interrupt handler), with
 * interrupts enabled, handing QEMU's turn to the next vCPU every ~1000 instructions. */
void timer_icount_spin(const unsigned long *flag);

/* The context switch (and the idle loop, once) tell the icount deadline tick whether
 * a guest now runs; in icount mode it ticks on idle pCPUs too. */
void timer_icount_tick_switch(bool guest_running);

#endif
