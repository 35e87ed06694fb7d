/* Guest time and sleeping.
 *
 * Design: NOW() = system_time_ns + ((tsc - tsc_timestamp) * tsc_to_ns_mul >> 32)
 * from the calling vCPU's vcpu_time_info (the hypervisor refreshes it when it
 * switches that vCPU in, on the pCPU whose TSC it then reads), read under its version
 * counter (odd while the hypervisor updates it), and never allowed to go backwards,
 * across vCPUs too (one last_ns for the domain). Sleeping arms the
 * one-shot timer (set_timer_op, absolute deadline) and blocks until the clock has
 * passed the deadline; it re-arms before every block, so a wake-up by another event,
 * or a clock reading a hair behind the hypervisor's, cannot strand it.
 * VIRQ_TIMER is bound on first use, not at start-up: a guest that never sleeps keeps
 * its first event channel port free (pingpong's port convention relies on it).
 * Each vCPU has its own one-shot timer and its own VIRQ_TIMER port (smp.h). */
#include "smp.h"

uint64_t timer_events;
static uint64_t last_ns;

static void timer_handler(evtchn_port_t port, void *arg)
{
    __atomic_fetch_add(&timer_events, 1, __ATOMIC_RELAXED);
}

uint64_t guest_now_ns(void)
{
    const volatile struct vcpu_time_info *t = &this_vcpu_info()->time;
    uint64_t sys, stamp, tsc, ns, prev, mul;
    uint32_t version;

    do {
        version = t->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        sys = t->system_time_ns;
        stamp = t->tsc_timestamp;
        mul = t->tsc_to_ns_mul;
        tsc = rdtsc();
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((version & 1) || version != t->version);
    if (!mul)
        mul = 1ULL << 32;   /* not filled in (see time_init): one tick, one ns */
    ns = sys + (tsc > stamp ? (uint64_t)(((unsigned __int128)(tsc - stamp) * mul) >> 32) : 0);
    /* Monotonic even across a time-info update that lands a little behind. */
    prev = __atomic_load_n(&last_ns, __ATOMIC_RELAXED);
    while (ns > prev && !__atomic_compare_exchange_n(&last_ns, &prev, ns, false,
                                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    return ns > prev ? ns : prev;
}

static void timer_bind(void)
{
    struct guest_vcpu *me = this_vcpu();
    int port;

    if (me->timer_port)
        return;
    port = evtchn_bind_virq(VIRQ_TIMER, timer_handler, NULL);
    if (port <= 0)
        guest_crash("time: vCPU %u cannot bind VIRQ_TIMER: %d (%s)", me->id, port,
                    errno_name(port));
    me->timer_port = port;
}

void timer_set_deadline(uint64_t deadline_ns)
{
    long rc;

    timer_bind();
    rc = hv_set_timer_op(deadline_ns);
    if (rc < 0)
        guest_crash("time: set_timer_op failed: %ld (%s)", rc, errno_name(rc));
}

void sleep_until(uint64_t deadline_ns)
{
    unsigned long flags;

    timer_bind();
    for (;;) {
        flags = local_irq_save();
        if (guest_now_ns() >= deadline_ns) {
            local_irq_restore(flags);
            return;
        }
        timer_set_deadline(deadline_ns);
        guest_block();
        local_irq_restore(flags);
    }
}

void sleep_ns(uint64_t ns)
{
    sleep_until(guest_now_ns() + ns);
}

void periodic_start(struct periodic *p, uint64_t period_ns)
{
    p->period_ns = period_ns;
    p->next_ns = guest_now_ns() + period_ns;
}

uint64_t periodic_wait(struct periodic *p)
{
    uint64_t deadline = p->next_ns;

    sleep_until(deadline);
    p->next_ns += p->period_ns;
    return deadline;
}

void time_init(void)
{
    if (!shared_info->vcpu_info[0].time.tsc_to_ns_mul)
        printf("time: vcpu_time_info not filled in by the hypervisor; "
               "assuming one TSC tick per ns (right only under icount)\n");
}
