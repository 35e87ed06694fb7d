/* Per-CPU soft timers on top of the pure timer queue (core/lib/timerq.c). Each pCPU
 * owns a queue guarded by its timer_lock; the LAPIC timer of that pCPU is armed for
 * the earliest deadline. Adding to another CPU's queue sends it a kick IPI when the
 * new timer becomes that queue's first, so the remote CPU re-arms its own LAPIC. */
#include <hvlab/cmdline.h>
#include <hvlab/irq.h>
#include <hvlab/panic.h>
#include <hvlab/percpu.h>
#include <hvlab/smp.h>
#include <hvlab/time.h>
#include <hvlab/time_arith.h>
#include <hvlab/timer.h>
#include <hvlab/trace.h>
#include <hvlab/x86/apic.h>

/* Arm this CPU's LAPIC for its earliest timer. Called with its timer_lock held. */
static void timer_reprogram(struct percpu *pc)
{
    struct timer *first = timerq_first(&pc->timers);
    if (!first) {
        pc->timer_programmed = 0;
        return;
    }
    if (pc->timer_programmed && pc->timer_programmed <= first->expires)
        return;                         /* an earlier shot is pending: it re-arms */
    pc->timer_programmed = first->expires;
    /* Saturating: a deadline long past must fire now, not wrap into a 4 s wait that
     * every other timer of this pCPU would sit behind. */
    lapic_timer_oneshot_ns(timer_ns_until(first->expires, NOW()));
}

static void timer_irq(struct cpu_regs *regs)
{
    (void)regs;
    struct percpu *pc = this_cpu();
    struct timer *t;
    unsigned long f;

    pc->timer_irqs++;
    spin_lock_irqsave(&pc->timer_lock, f);
    pc->timer_programmed = 0;
    while ((t = timerq_pop_expired(&pc->timers, NOW())) != NULL) {
        TRACE(TRC_TIMER_FIRE, TRACE_DOM_NONE, (uint16_t)pc->cpu, (uint64_t)t->expires,
              (uint64_t)(NOW() - t->expires));
        __atomic_store_n(&pc->timer_running, t, __ATOMIC_SEQ_CST);
        spin_unlock(&pc->timer_lock);
        t->fn(t->data);                 /* may re-arm t: the lock is not held */
        spin_lock(&pc->timer_lock);
        __atomic_store_n(&pc->timer_running, NULL, __ATOMIC_SEQ_CST);
    }
    timer_reprogram(pc);
    spin_unlock_irqrestore(&pc->timer_lock, f);
}

static void kick_irq(struct cpu_regs *regs)
{
    (void)regs;
    struct percpu *pc = this_cpu();
    unsigned long f;
    spin_lock_irqsave(&pc->timer_lock, f);
    timer_reprogram(pc);
    spin_unlock_irqrestore(&pc->timer_lock, f);
}

/* Queue t on its CPU; the caller holds that CPU's timer_lock. */
static void timer_enqueue(struct percpu *pc, struct timer *t)
{
    if (timerq_add(&pc->timers, t) < 0)
        panic("timer: CPU%u's queue is full (%u timers)", pc->cpu, TIMERQ_CAP);
    if (timerq_first(&pc->timers) != t)
        return;
    if (pc == this_cpu())
        timer_reprogram(pc);
    else
        ipi_send_one(pc->cpu, VEC_IPI_KICK);
}

/* Lock the queue t belongs to. t->cpu changes only under its old and new queue's
 * locks (timer_migrate), so once the lock of the CPU read is held and t->cpu still
 * names it, t stays there until the unlock; a migration in between is retried. */
static struct percpu *timer_lock_owner(struct timer *t, unsigned long *f)
{
    for (;;) {
        struct percpu *pc = per_cpu(__atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE));
        spin_lock_irqsave(&pc->timer_lock, *f);
        if (per_cpu(t->cpu) == pc)
            return pc;
        spin_unlock_irqrestore(&pc->timer_lock, *f);
    }
}

void timer_set(struct timer *t, s_time_t expires)
{
    unsigned long f;
    struct percpu *pc = timer_lock_owner(t, &f);
    if (timer_is_queued(t))
        timerq_remove(&pc->timers, t);
    t->expires = expires;
    TRACE(TRC_TIMER_SET, TRACE_DOM_NONE, (uint16_t)pc->cpu, (uint64_t)expires, t->cpu);
    timer_enqueue(pc, t);
    spin_unlock_irqrestore(&pc->timer_lock, f);
}

void timer_stop(struct timer *t)
{
    unsigned long f;
    struct percpu *pc = timer_lock_owner(t, &f);
    timerq_remove(&pc->timers, t);      /* a stale LAPIC shot finds nothing due */
    spin_unlock_irqrestore(&pc->timer_lock, f);
}

bool timer_kill(struct timer *t)
{
    unsigned c;

    timer_stop(t);
    /* timer_running is set under the queue's lock before the handler starts, and t
     * was off every queue once timer_stop returned: a handler not seen here has
     * finished (or will not start). */
    for_each_cpu(c, &cpu_online_map) {
        struct percpu *pc = per_cpu(c);
        if (pc == this_cpu()) {
            if (__atomic_load_n(&pc->timer_running, __ATOMIC_SEQ_CST) == t)
                return false;
            continue;
        }
        while (__atomic_load_n(&pc->timer_running, __ATOMIC_SEQ_CST) == t)
            __asm__ volatile("pause" ::: "memory");
    }
    return true;
}

bool timer_pending(const struct timer *t)
{
    return timer_is_queued(t);
}

/* Move t to new_cpu's queue, keeping its deadline if it was queued (as a vCPU's
 * timers follow it to the pCPU it runs on: a timer left on another pCPU fires late
 * there under QEMU's round-robin, whose turns that pCPU's interrupt waits for). Both
 * locks are taken in CPU order, so two migrations in opposite directions cannot
 * deadlock; t->cpu is read again under them (a concurrent migration: retried). */
void timer_migrate(struct timer *t, unsigned new_cpu)
{
    struct percpu *to = per_cpu(new_cpu);
    unsigned long f;

    for (;;) {
        struct percpu *from = per_cpu(__atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE));
        struct percpu *a = from->cpu < to->cpu ? from : to, *b = a == from ? to : from;

        if (from == to)
            return;
        f = local_irq_save();
        spin_lock(&a->timer_lock);
        spin_lock(&b->timer_lock);
        if (per_cpu(t->cpu) != from) {
            spin_unlock(&b->timer_lock);
            spin_unlock(&a->timer_lock);
            local_irq_restore(f);
            continue;
        }
        bool queued = timerq_remove(&from->timers, t);
        __atomic_store_n(&t->cpu, (uint16_t)new_cpu, __ATOMIC_RELEASE);
        if (queued)
            timer_enqueue(to, t);
        spin_unlock(&b->timer_lock);
        spin_unlock(&a->timer_lock);
        local_irq_restore(f);
        return;
    }
}

/* icount: QEMU runs with -icount. In that mode no pCPU ever halts. QEMU 7.2's
 * round-robin TCG (one thread running the vCPUs in turn) keeps a 100 ms kick timer
 * that forces turn changes; when every vCPU is halted it stops that timer and re-arms
 * it on resuming, but only if the vCPU thread notices the all-halted state before
 * QEMU's main-loop thread, which does the idle time warp. Whoever wins that race
 * decides the grid of kicks for the rest of the run, and with it where the vCPUs
 * interleave: the same run gave two different traces about half the time at
 * real-time priority. So idle pCPUs spin instead of halting (timer_icount_spin):
 * the race never happens. They spin politely: a PAUSE ends the vCPU's turn in QEMU,
 * so an idle pCPU executes at most IDLE_SPIN_LOADS loads between two turn changes
 * and a busy pCPU keeps almost all the instructions, as when idle pCPUs halted.
 * A tight spin without PAUSE kept QEMU's turns for itself: domain creation in dom0
 * on the other pCPU took 186 ms of virtual time instead of 2.7 ms. */
static bool opt_icount;
boot_param_bool("icount", opt_icount,
                "QEMU runs with -icount: times are instructions, idle pCPUs spin, never halt");

bool timer_icount_mode(void)
{
    return opt_icount;
}

#define IDLE_SPIN_LOADS 256     /* ~1000 instructions per turn of an idle pCPU */

void timer_icount_spin(const unsigned long *flag)
{
    for (;;) {
        for (unsigned i = 0; i < IDLE_SPIN_LOADS; i++)
            if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
                return;
        __asm__ volatile("pause" ::: "memory");     /* QEMU: the next vCPU's turn */
    }
}

static void wake_fn(void *data)
{
    struct percpu *pc = data;
    __atomic_store_n(&pc->wake_fired, 1, __ATOMIC_RELEASE);    /* ends an icount spin */
}

void cpu_sleep_until(s_time_t deadline)
{
    struct percpu *pc = this_cpu();
    struct timer *t = &pc->wake_timer;
    /* Arm with interrupts off and halt in STI's shadow: an interrupt arriving between
     * the two would otherwise be taken before HLT and leave us halted for good. */
    local_irq_disable();
    pc->wake_fired = 0;
    timer_set(t, deadline);
    if (opt_icount) {
        local_irq_enable();
        timer_icount_spin(&pc->wake_fired);
    } else {
        __asm__ volatile("sti; hlt" ::: "memory");
    }
    timer_stop(t);
}

/* icount_tick_us=N: while a pCPU runs a guest, give it a timer interrupt every N µs.
 * Needed only under QEMU -icount, where one thread runs the vCPUs in turn and a vCPU
 * keeps the thread until the next timer deadline of ANY vCPU: an interrupt raised for
 * another vCPU meanwhile (its LAPIC timer, an IPI) waits, up to a millisecond in busy
 * runs, which made rtds miss deadlines that real hardware would meet. The tick bounds
 * that wait to N µs at the cost of one interrupt per N µs of guest execution
 * (about 200 instructions). Off (0) by default, 100 µs with the icount option; the
 * experiment harness sets 100 in deterministic mode and its reports say so. */
static unsigned opt_icount_tick_us;
boot_param_uint("icount_tick_us", opt_icount_tick_us,
                "deterministic-mode deadline tick in µs (0: off; 100 with icount)");

/* The tick period in ns; 0: off. In icount mode it is on by default (100 µs), and
 * idle pCPUs tick too: they spin there (timer_icount_spin), and the tick keeps one
 * bound on interrupt delays whatever a pCPU runs, for ~200 instructions per tick. */
static s_time_t icount_tick_ns(void)
{
    unsigned us = opt_icount_tick_us ? opt_icount_tick_us : opt_icount ? 100 : 0;
    return MICROSECS(us);
}

static void icount_tick_fn(void *data)
{
    struct percpu *pc = data;
    if (pc->curr != pc->idle || opt_icount)
        timer_set(&pc->icount_tick, NOW() + icount_tick_ns());
}

/* Called when a pCPU switches vCPUs: tick while it runs a guest, not while idle
 * (except in icount mode, where idle pCPUs spin and tick too). */
void timer_icount_tick_switch(bool guest_running)
{
    struct percpu *pc = this_cpu();
    if (!icount_tick_ns())
        return;
    if ((guest_running || opt_icount) && !timer_pending(&pc->icount_tick))
        timer_set(&pc->icount_tick, NOW() + icount_tick_ns());
}

void timers_init_cpu(void)
{
    struct percpu *pc = this_cpu();
    spin_lock_init(&pc->timer_lock);
    timerq_init(&pc->timers, pc->timer_storage, TIMERQ_CAP);
    timer_init(&pc->wake_timer, wake_fn, pc, pc->cpu);
    timer_init(&pc->icount_tick, icount_tick_fn, pc, pc->cpu);
    if (pc->cpu == 0) {
        irq_set_handler(VEC_TIMER, timer_irq);
        irq_set_handler(VEC_IPI_KICK, kick_irq);
    }
}
