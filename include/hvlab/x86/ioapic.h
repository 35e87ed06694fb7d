/* The machine's (first) IOAPIC, reached through the direct map's uncached window
 * (core/arch/x86/ioapic.c). The hypervisor takes no device interrupts itself (its
 * timer is the LAPIC's); pins are routed only for pirqs dom0 binds (core/pirq.c). */
#ifndef HVLAB_X86_IOAPIC_H
#define HVLAB_X86_IOAPIC_H

#include <hvlab/types.h>

/* Masks every pin (BSP, at boot). */
void ioapic_init(void);
unsigned ioapic_nr_pins(void);          /* 0 without an IOAPIC */
/* Program pin: fixed delivery of vector to the LAPIC apic_id, level or edge, active
 * low or high; left masked. */
void ioapic_route(unsigned pin, unsigned vector, bool level, bool active_low, uint32_t apic_id);
void ioapic_mask(unsigned pin);
void ioapic_unmask(unsigned pin);

#endif
