/* Physical devices for dom0 (and, by dom0's grant, a driver domU): I/O-port
 * permissions and physical interrupt lines (pirqs).
 *
 * I/O ports. Each PV domain has a permission map of the 65536 ports. dom0 starts
 * with every port except the hypervisor's own (docs/security.md lists them); a domU
 * starts with none. A PV guest runs in ring 3 with IOPL 0, so every IN/OUT/INS/OUTS
 * raises #GP; the hypervisor emulates it when every byte of the access is permitted
 * and bounces the #GP to the guest otherwise (core/arch/x86/ioport.c). PCI
 * configuration mechanism #1 (0xcf8, 0xcfc-0xcff) is filtered rather than passed:
 * the hypervisor keeps its own devices and the chipset's registers from dom0.
 *
 * Interrupts. A pirq is an ISA IRQ number (what a PCI device's Interrupt Line
 * register holds after the firmware's routing, 0..15); the hypervisor maps it to an
 * IOAPIC pin through the MADT's interrupt source overrides. dom0 binds a pirq to an
 * event channel (EVTCHNOP_bind_pirq); a level-triggered line stays masked at the
 * IOAPIC from its interrupt until dom0 says, with PHYSDEVOP_eoi, that it has serviced
 * the device, so one assertion is one event. */
#ifndef HVLAB_PUBLIC_PHYSDEV_H
#define HVLAB_PUBLIC_PHYSDEV_H

#include "hvlab.h"

#define NR_PIRQS 16

/* HYPERVISOR_physdev_op(cmd, arg). */
#define PHYSDEVOP_eoi              0   /* struct physdev_eoi: unmask a serviced line */
#define PHYSDEVOP_irq_status_query 1   /* struct physdev_irq_status_query */

struct physdev_eoi {
    uint32_t irq;                       /* IN: a pirq the caller has bound */
};

#define PHYSDEV_IRQ_NEEDS_EOI (1u << 0) /* level-triggered: PHYSDEVOP_eoi after service */
struct physdev_irq_status_query {
    uint32_t irq;                       /* IN */
    uint32_t flags;                     /* OUT: PHYSDEV_IRQ_* */
    uint32_t gsi;                       /* OUT: the IOAPIC pin it arrives on */
};

/* EVTCHNOP_bind_pirq and struct evtchn_bind_pirq: public/event_channel.h. */

/* DOMCTL_ioport_permission (public/domctl.h): dom0 grants (allow = 1) or revokes
 * ports [first_port, first_port + nr_ports) of a PV domain. -EPERM if the range holds
 * a port the hypervisor keeps (nothing changes), -EINVAL for an empty range or one
 * past 0xffff, -ENODEV for an HVM domain (its ports go through the device model). */
struct domctl_ioport_permission {
    uint32_t first_port;
    uint32_t nr_ports;
    uint8_t allow;
    uint8_t pad[7];
};

#endif
