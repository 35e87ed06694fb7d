/* The boot allocator: a sorted list of free physical ranges, used from the multiboot
 * memory map until the buddy allocator exists. Then bootmem_ranges() hands what is left
 * to page_alloc_add_range(); whatever bootmem_alloc() gave out is never freed. Boot CPU
 * only, no locking. */
#ifndef HVLAB_BOOTMEM_H
#define HVLAB_BOOTMEM_H

#include "types.h"

#define BOOTMEM_MAX_RANGES 64
#define BOOTMEM_LOW_LIMIT  0x100000UL   /* bootmem_alloc() never returns memory below */

/* Usable RAM [start, end), shrunk to whole pages, merged with touching ranges. All
 * ranges must be added before the first reserve or alloc (checked). */
void bootmem_add_range(paddr_t start, paddr_t end);
/* Remove [start, end), grown to whole pages, from the free ranges. */
void bootmem_reserve(paddr_t start, paddr_t end);
/* size bytes (rounded up to pages) aligned to align (a power of two, at least a page),
 * from the lowest free range above 1 MiB that fits; 0 if none does. */
paddr_t bootmem_alloc(size_t size, size_t align);
/* Copy up to max free ranges, ascending; returns how many were copied. */
unsigned bootmem_ranges(paddr_t *starts, paddr_t *ends, unsigned max);
/* Highest end of any range added, reserved or not; 0 before the first add. */
paddr_t bootmem_max_addr(void);
/* Forget every range (for tests and for a second pass over a new memory map). */
void bootmem_reset(void);

#endif
