/* Cross-CPU function calls. The caller publishes one request (function, argument,
 * the CPUs that must run it), IPIs them, runs it locally if asked, and waits until
 * every target has acknowledged. One request at a time system-wide (call_lock); a CPU
 * waiting for the lock keeps interrupts on, so it still answers requests from the
 * holder and the two cannot deadlock. */
#include <hvlab/irq.h>
#include <hvlab/percpu.h>
#include <hvlab/smp.h>
#include <hvlab/spinlock.h>

cpumask_t cpu_online_map;
unsigned nr_cpus_online = 1;

static spinlock_t call_lock = SPIN_LOCK_UNLOCKED;
/* The current request: written under call_lock before the IPIs, read by targets. */
static struct {
    void (*fn)(void *);
    void *arg;
    cpumask_t pending;              /* targets that have not finished yet (atomic bits) */
} call;

static void call_ipi(struct cpu_regs *regs)
{
    (void)regs;
    unsigned me = smp_processor_id();
    cpumask_t pending = cpumask_load(&call.pending);
    if (!cpumask_test(&pending, me))
        return;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    call.fn(call.arg);
    cpumask_clear_atomic(&call.pending, me);
}

void cpu_wait_for_others(void)
{
    cpu_relax();
}

void on_cpus(const cpumask_t *mask, void (*fn)(void *), void *arg)
{
    unsigned me = smp_processor_id();
    cpumask_t remote = cpumask_and(mask, &cpu_online_map);
    cpumask_clear(&remote, me);

    while (!spin_trylock(&call_lock))
        cpu_relax();                /* interrupts stay on: we still serve others */
    call.fn = fn;
    call.arg = arg;
    call.pending = remote;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    ipi_send_mask(&remote, VEC_IPI_CALL);
    if (cpumask_test(mask, me)) {
        unsigned long f = local_irq_save();
        fn(arg);
        local_irq_restore(f);
    }
    for (cpumask_t left = remote; !cpumask_empty(&left); left = cpumask_load(&call.pending))
        cpu_relax();
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    spin_unlock(&call_lock);
}

void smp_init(void)
{
    irq_set_handler(VEC_IPI_CALL, call_ipi);
    cpumask_set(&cpu_online_map, 0);
}
