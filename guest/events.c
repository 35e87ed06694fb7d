/* Event channels: binding ports, the upcall, and the virtual interrupt flag.
 *
 * Design: every port starts masked (events_init masks them all); binding a port
 * registers its handler first and unmasks it second, so no event finds a port
 * without its handler. The upcall (entry.S -> traps.c -> evtchn_do_upcall) runs with
 * evtchn_upcall_mask set: it takes evtchn_upcall_pending and evtchn_pending_sel with
 * atomic exchanges, clears each pending & ~mask bit atomically before calling the
 * port's handler, and loops until nothing is pending. How the upcall arrives and how
 * a vCPU sleeps are the platform's (guest/platform.h). Re-enabling (mask = 0) is
 * followed by a full fence and a second look at evtchn_upcall_pending: an event that
 * arrived while masked is handled then, by the guest itself, without waiting for the
 * hypervisor to deliver another upcall.
 * vCPUs: the upcall and the interrupt flag are the calling vCPU's (its vcpu_info).
 * The pending bits are shared, so each vCPU takes only the ports it owns: a VIRQ
 * port bound on a secondary belongs to that secondary (the hypervisor notifies it),
 * every other port to vCPU 0 (the hypervisor notifies vCPU 0 of all of them). A bit
 * left pending for its owner is seen by the owner: its own vcpu_info says so.
 * Locking: the handler table is written with events disabled on the writer and read
 * by upcalls on any vCPU; a port's handler is set before it is unmasked. Port
 * ownership changes under owner_lock, while the port is masked.
 * Limitations: handlers run with events masked, so they never nest on a vCPU; no
 * fairness between ports (lowest port first). */
#include "platform.h"


struct port_handler {
    evtchn_handler_t fn;
    void *arg;
};

static struct port_handler port_handlers[NR_EVENT_CHANNELS];
uint64_t evtchn_unhandled;
static spinlock_t owner_lock = SPINLOCK_INIT;
static uint64_t secondary_ports[NR_EVENT_CHANNELS / 64];   /* owned by vCPU != 0 */

void evtchn_set_owner(evtchn_port_t port, unsigned vcpu)
{
    uint64_t bit = 1ULL << (port % 64);
    unsigned w = port / 64;
    unsigned long flags;

    if (port >= NR_EVENT_CHANNELS || vcpu >= MAX_VIRT_CPUS)
        return;
    flags = spin_lock_irqsave(&owner_lock);
    for (unsigned i = 1; i < MAX_VIRT_CPUS; i++)
        __atomic_fetch_and(&guest_vcpus[i].ports[w], ~bit, __ATOMIC_SEQ_CST);
    if (vcpu) {
        __atomic_fetch_or(&guest_vcpus[vcpu].ports[w], bit, __ATOMIC_SEQ_CST);
        __atomic_fetch_or(&secondary_ports[w], bit, __ATOMIC_SEQ_CST);
    } else {
        __atomic_fetch_and(&secondary_ports[w], ~bit, __ATOMIC_SEQ_CST);
    }
    spin_unlock_irqrestore(&owner_lock, flags);
}

/* The ports of word w the calling vCPU handles. */
static uint64_t owned(const struct guest_vcpu *me, unsigned w)
{
    if (me->id == 0)
        return ~__atomic_load_n(&secondary_ports[w], __ATOMIC_SEQ_CST);
    return __atomic_load_n(&me->ports[w], __ATOMIC_SEQ_CST);
}

static void handle_port(evtchn_port_t port)
{
    struct port_handler h = port_handlers[port];

    if (h.fn)
        h.fn(port, h.arg);
    else
        __atomic_fetch_add(&evtchn_unhandled, 1, __ATOMIC_RELAXED);
}

/* Everything pending, unmasked and ours, until nothing is. Events are masked. */
static void process_pending(void)
{
    struct guest_vcpu *me = this_vcpu();
    struct vcpu_info *vi = me->info;

    while (__atomic_exchange_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST)) {
        uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);

        while (sel) {
            unsigned w = __builtin_ctzll(sel);
            uint64_t bits;

            sel &= sel - 1;
            while ((bits = __atomic_load_n(&shared_info->evtchn_pending[w], __ATOMIC_SEQ_CST) &
                           ~__atomic_load_n(&shared_info->evtchn_mask[w], __ATOMIC_SEQ_CST) &
                           owned(me, w))) {
                unsigned b = __builtin_ctzll(bits);

                __atomic_fetch_and(&shared_info->evtchn_pending[w], ~(1ULL << b),
                                   __ATOMIC_SEQ_CST);
                handle_port(w * 64 + b);
            }
        }
    }
}

/* The upcall, and local_irq_enable's catch-up: handles everything pending, returns
 * with events enabled (they were, or no upcall would have come). */
void evtchn_do_upcall(void)
{
    struct vcpu_info *vi = this_vcpu_info();

    for (;;) {
        __atomic_store_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
        process_pending();
        __atomic_store_n(&vi->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
            return;
    }
}

/* ---- the virtual interrupt flag ---- */

unsigned long local_irq_save(void)
{
    struct vcpu_info *vi = this_vcpu_info();
    unsigned long old = vi->evtchn_upcall_mask;

    __atomic_store_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
    return old;
}

void local_irq_disable(void)
{
    __atomic_store_n(&this_vcpu_info()->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
}

void local_irq_enable(void)
{
    struct vcpu_info *vi = this_vcpu_info();

    __atomic_store_n(&vi->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        evtchn_do_upcall();
}

void local_irq_restore(unsigned long flags)
{
    if (flags)
        local_irq_disable();
    else
        local_irq_enable();
}

bool local_irqs_disabled(void)
{
    return __atomic_load_n(&this_vcpu_info()->evtchn_upcall_mask, __ATOMIC_SEQ_CST) != 0;
}

void guest_block(void)
{
    plat_block();
}

/* ---- ports ---- */

void evtchn_mask(evtchn_port_t port)
{
    if (port < NR_EVENT_CHANNELS)
        __atomic_fetch_or(&shared_info->evtchn_mask[port / 64], 1ULL << (port % 64),
                          __ATOMIC_SEQ_CST);
}

int evtchn_unmask(evtchn_port_t port)
{
    struct evtchn_unmask op = { .port = port };

    return (int)hv_event_channel_op(EVTCHNOP_unmask, &op);
}

int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t h, void *arg)
{
    unsigned long flags;

    if (port >= NR_EVENT_CHANNELS)
        return -EINVAL;
    flags = local_irq_save();
    port_handlers[port] = (struct port_handler){ h, arg };
    local_irq_restore(flags);
    return 0;
}

/* A port the hypervisor just gave us, notifying vCPU vcpu: handler and owner in,
 * then unmask. */
static int bound(long rc, evtchn_port_t port, unsigned vcpu, evtchn_handler_t h, void *arg)
{
    if (rc < 0)
        return (int)rc;
    if (port >= NR_EVENT_CHANNELS)
        return -ERANGE;
    evtchn_set_handler(port, h, arg);
    evtchn_set_owner(port, vcpu);
    rc = evtchn_unmask(port);
    return rc < 0 ? (int)rc : (int)port;
}

int evtchn_bind_virq(unsigned virq, evtchn_handler_t h, void *arg)
{
    /* VIRQ_TIMER is the only per-vCPU VIRQ; the others are global (vCPU 0). */
    unsigned vcpu = virq == VIRQ_TIMER ? smp_vcpu_id() : 0;
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
    long rc = hv_event_channel_op(EVTCHNOP_bind_virq, &op);

    return bound(rc, op.port, vcpu, h, arg);
}

int evtchn_alloc_unbound(hv_domid_t remote, evtchn_handler_t h, void *arg)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
    long rc = hv_event_channel_op(EVTCHNOP_alloc_unbound, &op);

    return bound(rc, op.port, 0, h, arg);
}

int evtchn_bind_interdomain(hv_domid_t remote, evtchn_port_t remote_port,
                            evtchn_handler_t h, void *arg)
{
    struct evtchn_bind_interdomain op = { .remote_dom = remote, .remote_port = remote_port };
    long rc = hv_event_channel_op(EVTCHNOP_bind_interdomain, &op);

    return bound(rc, op.local_port, 0, h, arg);
}

int evtchn_send(evtchn_port_t port)
{
    struct evtchn_send op = { .port = port };

    return (int)hv_event_channel_op(EVTCHNOP_send, &op);
}

int evtchn_close(evtchn_port_t port)
{
    struct evtchn_close op = { .port = port };
    long rc;

    evtchn_mask(port);
    rc = hv_event_channel_op(EVTCHNOP_close, &op);
    if (rc == 0) {
        evtchn_set_handler(port, NULL, NULL);
        evtchn_set_owner(port, 0);
    }
    return (int)rc;
}

void events_init(void)
{
    local_irq_disable();
    for (unsigned w = 0; w < NR_EVENT_CHANNELS / 64; w++)
        __atomic_store_n(&shared_info->evtchn_mask[w], ~0ULL, __ATOMIC_SEQ_CST);
    plat_events_init();
    local_irq_enable();
}
