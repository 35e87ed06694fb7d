/* Minimal PCI probing (core/arch/x86/pci.c). */
#ifndef HVLAB_PCI_H
#define HVLAB_PCI_H

#include <hvlab/types.h>

/* Address and size of memory BAR `bar` of the first device with this ID. */
bool pci_find_bar(uint16_t vendor, uint16_t device, unsigned bar, paddr_t *base, uint64_t *size);

#endif
