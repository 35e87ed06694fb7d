/* Minimal PCI probing (core/arch/x86/pci.c). */
#ifndef HVLAB_PCI_H
#define HVLAB_PCI_H

#include <hvlab/types.h>

/* Address and size of memory BAR `bar` of the first device with this ID. The device
 * becomes the hypervisor's (pci_is_claimed). */
bool pci_find_bar(uint16_t vendor, uint16_t device, unsigned bar, paddr_t *base, uint64_t *size);

/* One configuration access through mechanism #1: cf8 is the address register's
 * value (enable bit, bus, device, function, dword offset), byte the offset within
 * the dword (0..3; size 1, 2 or 4, not crossing it). Atomic against other CPUs. */
uint32_t pci_conf_read(uint32_t cf8, unsigned byte, unsigned size);
void pci_conf_write(uint32_t cf8, unsigned byte, unsigned size, uint32_t v);
/* Whether bus << 8 | dev << 3 | fn is a device the hypervisor uses itself. */
bool pci_is_claimed(uint32_t bdf);

#endif
