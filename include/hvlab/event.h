/* Event channels (core/event_channel.c): ports, the PV analogue of interrupts, with
 * Xen's 2-level ABI (include/public/event_channel.h). A domain has NR_EVENT_CHANNELS
 * ports; port 0 is never handed out. A port is free, unbound (waiting for a given
 * domain to bind to it), interdomain (connected to a port of another or the same
 * domain) or bound to a VIRQ of one vCPU. Raising a port sets its bit in the
 * domain's shared_info.evtchn_pending and, unless the port is masked, flags the
 * notify vCPU's vcpu_info and kicks that vCPU (include/hvlab/sched.h). */
#ifndef HVLAB_EVENT_H
#define HVLAB_EVENT_H

#include <hvlab/domain.h>

/* Domain lifetime. evtchn_init: all ports free; 0 or -ENOMEM. evtchn_destroy: closes
 * every port (an interdomain peer's port goes back to unbound, as after a close),
 * then frees the table; every later operation on d's ports fails. Call it before
 * d's shared info page and vCPUs go away. */
int evtchn_init(struct domain *d);
void evtchn_destroy(struct domain *d);

/* HYPERVISOR_event_channel_op for the calling vCPU (current). */
long do_event_channel_op(unsigned cmd, uint64_t guest_arg);

/* Raise port of v's domain for v: set pending; if it was not pending and is not
 * masked, set v's selector bit and upcall_pending and kick v. vCPUs polling port
 * (poll_port) are kicked even when it is masked. The caller keeps the binding from
 * changing (holds the event_lock of one end of the channel); any context. */
void evtchn_set_pending(struct vcpu *v, evtchn_port_t port);

/* For SCHEDOP_poll: a port a guest may name, and whether it is pending. */
static inline bool evtchn_port_valid(evtchn_port_t port)
{
    return port > 0 && port < NR_EVENT_CHANNELS;
}
bool evtchn_port_is_pending(struct domain *d, evtchn_port_t port);

/* Raise a VIRQ (VIRQ_*) if the guest bound a port to it; otherwise nothing happens.
 * Per-vCPU VIRQs (VIRQ_TIMER, VIRQ_DEBUG) go to v; global ones to whoever bound
 * them on vCPU 0. Safe from interrupt context on any CPU (takes d's event_lock with
 * interrupts off), never sleeps. */
void send_guest_vcpu_virq(struct vcpu *v, unsigned virq);
void send_guest_global_virq(struct domain *d, unsigned virq);

/* Ports of d bound to the hypervisor (issue 11: a device model's request ports): d
 * is raised by evtchn_xen_raise, and d's EVTCHNOP_send on the port calls fn(data)
 * with d's event_lock held and interrupts off (fn may kick vCPUs, nothing more).
 * d cannot close them (-EINVAL); evtchn_xen_free does, and after it returns fn is
 * never called again with data. alloc: the port, -ENOSPC or -ESRCH (d dying). raise
 * and free do nothing if the port is no longer the (fn, data) binding. */
typedef void (*evtchn_xen_fn)(void *data);
int evtchn_xen_alloc(struct domain *d, vcpuid_t notify, evtchn_xen_fn fn, void *data);
void evtchn_xen_raise(struct domain *d, evtchn_port_t port, void *data);
void evtchn_xen_free(struct domain *d, evtchn_port_t port, void *data);

#endif
