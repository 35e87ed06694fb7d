/* Physical interrupt lines given to dom0 as event channels (core/pirq.c; the ABI in
 * public/physdev.h). A pirq is an ISA IRQ number; it arrives on the IOAPIC pin the
 * MADT's overrides name, at vector VEC_PIRQ_BASE + pirq on the BSP. */
#ifndef HVLAB_PIRQ_H
#define HVLAB_PIRQ_H

#include <hvlab/types.h>
#include <public/event_channel.h>

#define VEC_PIRQ_BASE 0x30              /* 0x30-0x3f: pirqs 0-15 */

struct domain;
struct vcpu;

/* EVTCHNOP_bind_pirq's checks and routing, with d's event_lock held and port about
 * to become an ECS_PIRQ port of d for v: 0, -EPERM (not privileged), -EINVAL (no
 * such pirq, or one the hypervisor uses), -EBUSY (bound), -ENODEV (no IOAPIC pin). */
int pirq_bind(struct domain *d, unsigned pirq, struct vcpu *v, evtchn_port_t port);
/* The port is being closed (d's event_lock held): the line is masked and forgotten. */
void pirq_unbind(struct domain *d, unsigned pirq);
/* HYPERVISOR_physdev_op. */
long do_physdev_op(unsigned cmd, uint64_t arg);

#endif
