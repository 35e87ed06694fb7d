/* Event channels with no hypervisor (the native build): what one domain can do with
 * them alone, in the runtime's own shared info page, as core/event_channel.c would:
 * each vCPU's VIRQ_TIMER, and loopback pairs (alloc_unbound offered to ourselves,
 * then bind_interdomain to it), which bench/micro.c's ipi case sends on.
 *
 * Design: a port is raised exactly as the hypervisor raises it (pending bit, then,
 * unless it was pending or masked, the selector bit and evtchn_upcall_pending of the
 * vCPU it notifies); where the hypervisor would then inject the callback vector, a
 * LAPIC fixed IPI with HVM_IPI_VECTOR goes to that vCPU (to itself too: the event is
 * taken as soon as the sender's events are on, as after a hypercall). Interdomain
 * ports notify vCPU 0, VIRQ_TIMER the vCPU it was bound on (events.c assumes both).
 * The timer's own interrupt (HVM_EVENT_VECTOR, on the vCPU whose LAPIC timer it is)
 * raises that vCPU's timer port with no IPI: the interrupt is already there.
 * Locking: ports[] changes under native_evtchn_lock (binds and closes run on any
 * vCPU); raising a port reads one entry and sets bits atomically, from the send
 * path under the lock and from the timer interrupt without it (timer_port[] is
 * written before the timer can be armed and read atomically).
 * Limitations: NATIVE_NR_PORTS ports; no other domains, so EVTCHNOP_alloc_unbound
 * and bind_interdomain accept only ourselves (another domain: -ENOSYS, as every
 * inter-domain call gets natively); no bind_vcpu. */
#include "hvm.h"
#include "smp_hvm.h"

#define NATIVE_NR_PORTS 64              /* port 0 is never handed out (as in hvlab) */
#define ICR_FIXED_ASSERT (1u << 14)     /* delivery mode fixed, level assert */

enum { NP_FREE, NP_VIRQ_TIMER, NP_UNBOUND, NP_LOOP };

static struct {
    uint8_t state;
    uint8_t vcpu;                       /* the vCPU it notifies */
    uint16_t peer;                      /* NP_LOOP: the other end */
} ports[NATIVE_NR_PORTS];
static evtchn_port_t timer_port[MAX_VIRT_CPUS];
static spinlock_t native_evtchn_lock = SPINLOCK_INIT;

/* Returns whether vcpu must be told (the hypervisor's "inject the vector" case). */
static bool native_set_pending(evtchn_port_t port, unsigned vcpu)
{
    struct vcpu_info *vi = &shared_info->vcpu_info[vcpu];
    unsigned w = port / 64;
    uint64_t bit = 1ull << (port % 64);

    if (__atomic_fetch_or(&shared_info->evtchn_pending[w], bit, __ATOMIC_SEQ_CST) & bit)
        return false;
    if (__atomic_load_n(&shared_info->evtchn_mask[w], __ATOMIC_SEQ_CST) & bit)
        return false;
    __atomic_fetch_or(&vi->evtchn_pending_sel, 1ull << w, __ATOMIC_SEQ_CST);
    __atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
    return true;
}

static void native_raise(evtchn_port_t port, unsigned vcpu)
{
    if (native_set_pending(port, vcpu))
        lapic_send_ipi(hvm_apic_id(vcpu), ICR_FIXED_ASSERT | HVM_IPI_VECTOR);
}

void native_evtchn_timer_fired(void)
{
    evtchn_port_t port = __atomic_load_n(&timer_port[smp_vcpu_id()], __ATOMIC_ACQUIRE);

    if (port)
        native_set_pending(port, smp_vcpu_id());
}

static int port_alloc(void)
{
    for (unsigned p = 1; p < NATIVE_NR_PORTS; p++)
        if (ports[p].state == NP_FREE)
            return (int)p;
    return -ENOSPC;
}

static bool port_ours(evtchn_port_t p, unsigned state)
{
    return p > 0 && p < NATIVE_NR_PORTS && ports[p].state == state;
}

/* Only this domain exists: DOMID_SELF, or its own id (0 natively, mbinfo.c). */
static bool dom_self(hv_domid_t d)
{
    return d == DOMID_SELF || d == start_info->domid;
}

static long native_evtchn_locked(unsigned cmd, void *arg)
{
    int p;

    switch (cmd) {
    case EVTCHNOP_bind_virq: {
        struct evtchn_bind_virq *op = arg;

        if (op->virq != VIRQ_TIMER || op->vcpu >= smp_nr_vcpus())
            return -EINVAL;
        if (timer_port[op->vcpu])
            return -EEXIST;
        if ((p = port_alloc()) < 0)
            return p;
        ports[p].state = NP_VIRQ_TIMER;
        ports[p].vcpu = (uint8_t)op->vcpu;
        __atomic_store_n(&timer_port[op->vcpu], (evtchn_port_t)p, __ATOMIC_RELEASE);
        op->port = (evtchn_port_t)p;
        return 0;
    }
    case EVTCHNOP_alloc_unbound: {
        struct evtchn_alloc_unbound *op = arg;

        if (!dom_self(op->dom) || !dom_self(op->remote_dom))
            return -ENOSYS;             /* no other domains to talk to */
        if ((p = port_alloc()) < 0)
            return p;
        ports[p] = (typeof(ports[0])){ .state = NP_UNBOUND };
        op->port = (evtchn_port_t)p;
        return 0;
    }
    case EVTCHNOP_bind_interdomain: {
        struct evtchn_bind_interdomain *op = arg;

        if (!dom_self(op->remote_dom))
            return -ENOSYS;
        if (!port_ours(op->remote_port, NP_UNBOUND))
            return -EINVAL;
        if ((p = port_alloc()) < 0)
            return p;
        ports[p] = (typeof(ports[0])){ .state = NP_LOOP, .peer = (uint16_t)op->remote_port };
        ports[op->remote_port] = (typeof(ports[0])){ .state = NP_LOOP, .peer = (uint16_t)p };
        op->local_port = (evtchn_port_t)p;
        native_raise((evtchn_port_t)p, 0);     /* sends to the unbound end were dropped */
        return 0;
    }
    case EVTCHNOP_send: {
        const struct evtchn_send *op = arg;

        if (port_ours(op->port, NP_LOOP))
            native_raise(ports[op->port].peer, ports[ports[op->port].peer].vcpu);
        else if (!port_ours(op->port, NP_UNBOUND))
            return -EINVAL;             /* unbound: dropped, as the hypervisor does */
        return 0;
    }
    case EVTCHNOP_unmask: {
        const struct evtchn_unmask *op = arg;
        unsigned w = op->port / 64;
        uint64_t bit = 1ull << (op->port % 64);

        if (op->port >= NR_EVENT_CHANNELS)
            return -EINVAL;
        /* A port never handed out unmasks as under hvlab: nothing to deliver. */
        __atomic_fetch_and(&shared_info->evtchn_mask[w], ~bit, __ATOMIC_SEQ_CST);
        if (op->port < NATIVE_NR_PORTS && ports[op->port].state != NP_FREE &&
            (__atomic_load_n(&shared_info->evtchn_pending[w], __ATOMIC_SEQ_CST) & bit)) {
            unsigned v = ports[op->port].vcpu;

            __atomic_fetch_and(&shared_info->evtchn_pending[w], ~bit, __ATOMIC_SEQ_CST);
            native_raise(op->port, v);
        }
        return 0;
    }
    case EVTCHNOP_close: {
        const struct evtchn_close *op = arg;

        if (op->port == 0 || op->port >= NATIVE_NR_PORTS || ports[op->port].state == NP_FREE)
            return -EINVAL;
        if (ports[op->port].state == NP_VIRQ_TIMER)
            __atomic_store_n(&timer_port[ports[op->port].vcpu], 0, __ATOMIC_RELEASE);
        if (ports[op->port].state == NP_LOOP && ports[op->port].peer != op->port)
            ports[ports[op->port].peer] = (typeof(ports[0])){ .state = NP_UNBOUND };
        ports[op->port] = (typeof(ports[0])){ .state = NP_FREE };
        __atomic_fetch_and(&shared_info->evtchn_pending[op->port / 64],
                           ~(1ull << (op->port % 64)), __ATOMIC_SEQ_CST);
        return 0;
    }
    default:
        return -ENOSYS;
    }
}

long native_evtchn(unsigned cmd, void *arg)
{
    unsigned long flags = spin_lock_irqsave(&native_evtchn_lock);
    long rc = native_evtchn_locked(cmd, arg);

    spin_unlock_irqrestore(&native_evtchn_lock, flags);
    return rc;
}
