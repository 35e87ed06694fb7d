/* The hypervisor heap: small objects from per-size-class pages, larger ones as whole
 * buddy blocks. Safe from any CPU and from interrupt context. Every pointer returned
 * is at least 16-byte aligned (never page aligned: use alloc_heap_pages() for pages). */
#ifndef HVLAB_XMALLOC_H
#define HVLAB_XMALLOC_H

#include "types.h"

#define XMALLOC_ALIGN 16

void *xmalloc(size_t size);                 /* NULL when out of memory */
void *xzalloc(size_t size);                 /* the same, zeroed */
/* n * size bytes; NULL also when the product overflows. */
void *xmalloc_array(size_t n, size_t size);
void *xzalloc_array(size_t n, size_t size);
void xfree(void *p);                        /* NULL is fine; see mm/xmalloc.c on double frees */

/* in_use: bytes handed out (rounded up to the size class or to whole pages);
 * pages: pages the heap holds from the page allocator. */
void xmalloc_stats(size_t *in_use, size_t *pages);

#endif
