/* PCI for the guest runtime (guest/pci.c): configuration mechanism #1 through ports
 * 0xcf8/0xcfc, the same code natively (real ports, ring 0) and in dom0 (ring 3: each
 * access traps and the hypervisor filters it, core/arch/x86/ioport.c), and the
 * device's interrupt line (dom0: a pirq event channel; natively: none, drivers poll).
 * Port I/O helpers are here too: one copy for every driver of the runtime. */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <guest.h>

static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0,%1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0,%1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0,%1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; asm volatile("inb %1,%0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; asm volatile("inw %1,%0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; asm volatile("inl %1,%0" : "=a"(v) : "Nd"(port)); return v; }

struct pci_dev {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint8_t irq_line;                   /* as the firmware programmed it (ISA IRQ), 0xff: none */
    uint8_t irq_pin;                    /* 1..4 = INTA..INTD, 0: none */
    uint32_t bar[6];                    /* raw register values */
};

/* Whether this guest can reach configuration space: natively and in HVM guests
 * yes; a PV guest only as dom0 (elsewhere 0xcf8 is a #GP). pci_find and
 * pci_for_each find nothing where it cannot, so probing is harmless anywhere. */
bool pci_available(void);
uint32_t pci_cfg_read32(const struct pci_dev *d, unsigned off);
void pci_cfg_write16(const struct pci_dev *d, unsigned off, uint16_t v);
void pci_cfg_write32(const struct pci_dev *d, unsigned off, uint32_t v);
/* The index-th function (0 first) with this vendor and device ID, searching bus 0
 * and the buses behind PCI-to-PCI bridges: 0, or -ENODEV. */
int pci_find(uint16_t vendor, uint16_t device, unsigned index, struct pci_dev *out);
/* fn for every function present, in the same order. */
void pci_for_each(void (*fn)(const struct pci_dev *d, void *arg), void *arg);
/* The I/O-port base of BAR n, with I/O decoding and bus mastering turned on;
 * 0 if BAR n is not an I/O BAR. */
uint16_t pci_io_bar_enable(const struct pci_dev *d, unsigned n);

/* The device's interrupt: binds pirq irq (its irq_line) to a port with handler h
 * (called from the upcall: set a flag, nothing more); up to 4 devices share a line
 * (each handler is called on its event). The port, or -errno: -EPERM for a domain
 * that is not dom0, -ENOSYS natively, -ENOSPC (4 on the line already).
 * pci_irq_eoi after the device has been serviced (level-triggered lines stay masked
 * until then; a line another device still asserts interrupts again). */
int pci_irq_bind(unsigned irq, evtchn_handler_t h, void *arg);
int pci_irq_eoi(unsigned irq);

#endif
