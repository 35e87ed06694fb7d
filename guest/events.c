/* Event channels: binding ports, the upcall, and the virtual interrupt flag.
 *
 * Design: every port starts masked (events_init masks them all); binding a port
 * registers its handler first and unmasks it second, so no event finds a port
 * without its handler. The upcall (entry.S -> traps.c -> evtchn_do_upcall) runs with
 * evtchn_upcall_mask set: it takes evtchn_upcall_pending and evtchn_pending_sel with
 * atomic exchanges, clears each pending & ~mask bit atomically before calling the
 * port's handler, and loops until nothing is pending. Re-enabling (mask = 0) is
 * followed by a full fence and a second look at evtchn_upcall_pending: an event that
 * arrived while masked is handled then, by the guest itself, without waiting for the
 * hypervisor to deliver another upcall.
 * Locking: one vCPU; the handler table is written with events disabled.
 * Limitations: vCPU 0's vcpu_info only; handlers run with events masked, so they
 * never nest; no fairness between ports (lowest port first). */
#include <guest.h>

void guest_bounce_entry(void);
void evtchn_do_upcall(void);

struct port_handler {
    evtchn_handler_t fn;
    void *arg;
};

static struct port_handler port_handlers[NR_EVENT_CHANNELS];
uint64_t evtchn_unhandled;

static struct vcpu_info *vcpu0(void)
{
    return &shared_info->vcpu_info[0];
}

static void handle_port(evtchn_port_t port)
{
    struct port_handler h = port_handlers[port];

    if (h.fn)
        h.fn(port, h.arg);
    else
        evtchn_unhandled++;
}

/* Everything pending and unmasked, until nothing is. Events are masked. */
static void process_pending(void)
{
    struct vcpu_info *vi = vcpu0();

    while (__atomic_exchange_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST)) {
        uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);

        while (sel) {
            unsigned w = __builtin_ctzll(sel);
            uint64_t bits;

            sel &= sel - 1;
            while ((bits = __atomic_load_n(&shared_info->evtchn_pending[w], __ATOMIC_SEQ_CST) &
                           ~__atomic_load_n(&shared_info->evtchn_mask[w], __ATOMIC_SEQ_CST))) {
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
    struct vcpu_info *vi = vcpu0();

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
    struct vcpu_info *vi = vcpu0();
    unsigned long old = vi->evtchn_upcall_mask;

    __atomic_store_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
    return old;
}

void local_irq_disable(void)
{
    __atomic_store_n(&vcpu0()->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
}

void local_irq_enable(void)
{
    struct vcpu_info *vi = vcpu0();

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
    return __atomic_load_n(&vcpu0()->evtchn_upcall_mask, __ATOMIC_SEQ_CST) != 0;
}

void guest_block(void)
{
    hv_sched_op(SCHEDOP_block, NULL);
    local_irq_enable();
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

/* A port the hypervisor just gave us: handler in, then unmask. */
static int bound(long rc, evtchn_port_t port, evtchn_handler_t h, void *arg)
{
    if (rc < 0)
        return (int)rc;
    if (port >= NR_EVENT_CHANNELS)
        return -ERANGE;
    evtchn_set_handler(port, h, arg);
    rc = evtchn_unmask(port);
    return rc < 0 ? (int)rc : (int)port;
}

int evtchn_bind_virq(unsigned virq, evtchn_handler_t h, void *arg)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = 0 };
    long rc = hv_event_channel_op(EVTCHNOP_bind_virq, &op);

    return bound(rc, op.port, h, arg);
}

int evtchn_alloc_unbound(hv_domid_t remote, evtchn_handler_t h, void *arg)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
    long rc = hv_event_channel_op(EVTCHNOP_alloc_unbound, &op);

    return bound(rc, op.port, h, arg);
}

int evtchn_bind_interdomain(hv_domid_t remote, evtchn_port_t remote_port,
                            evtchn_handler_t h, void *arg)
{
    struct evtchn_bind_interdomain op = { .remote_dom = remote, .remote_port = remote_port };
    long rc = hv_event_channel_op(EVTCHNOP_bind_interdomain, &op);

    return bound(rc, op.local_port, h, arg);
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
    if (rc == 0)
        evtchn_set_handler(port, NULL, NULL);
    return (int)rc;
}

void events_init(void)
{
    long rc;

    local_irq_disable();
    for (unsigned w = 0; w < NR_EVENT_CHANNELS / 64; w++)
        __atomic_store_n(&shared_info->evtchn_mask[w], ~0ULL, __ATOMIC_SEQ_CST);
    rc = hv_set_callbacks((uintptr_t)guest_bounce_entry, 0);
    if (rc < 0)
        guest_crash("events: set_callbacks failed: %ld (%s)", rc, errno_name(rc));
    local_irq_enable();
}
