/* The hypervisor's virtual address layout (x86-64, upper half; the lower half is left
 * to guests, as in Xen):
 *   DIRECTMAP_BASE  0xffff830000000000  all RAM, 2 MiB pages, read-write, no-execute
 *   IMAGE_BASE      0xffffffff80000000  the hypervisor image (-mcmodel=kernel)
 * __va()/__pa() convert between physical addresses and the direct map. */
#ifndef HVLAB_ADDR_H
#define HVLAB_ADDR_H

#ifdef __ASSEMBLY__
#define _UL(x) x
#else
#define _UL(x) x##UL
#endif
#define DIRECTMAP_BASE  _UL(0xffff830000000000)
#define DIRECTMAP_SIZE  (_UL(1) << 39)           /* 512 GiB: one PML4 slot */
#define IMAGE_BASE      _UL(0xffffffff80000000)

#ifndef __ASSEMBLY__
#include "types.h"

#ifdef HOST_TEST
/* Host tests own the memory they hand out: physical == virtual. */
#define __va(pa) ((void *)(uintptr_t)(pa))
#define __pa(va) ((paddr_t)(uintptr_t)(va))
#else
#define __va(pa) ((void *)((uintptr_t)(pa) + DIRECTMAP_BASE))
/* Valid for direct-map and image addresses alike. */
static inline paddr_t __pa(const void *va)
{
    uintptr_t v = (uintptr_t)va;
    return v >= IMAGE_BASE ? v - IMAGE_BASE : v - DIRECTMAP_BASE;
}
#endif
#endif

#endif
