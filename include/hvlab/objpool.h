/* Object pool: fixed-size objects packed densely into page-sized chunks, each object
 * starting on a cache line. For per-vCPU data that hot paths walk across many vCPUs
 * (a scheduler's runqueue tree): allocated one by one from the heap, such objects lie
 * between the heap's other allocations, one per page at worst, and a walk takes a
 * cache and a TLB miss per step; from a pool, 4096 of them fill 128 pages instead of
 * 4096 and a walk's steps share lines and pages.
 *
 * Locking: the pool's own lock (a leaf, taken with interrupts off) guards its chunk
 * list and free lists; the heap is never called with it held. Safe from any CPU,
 * where xmalloc may be called. */
#ifndef HVLAB_OBJPOOL_H
#define HVLAB_OBJPOOL_H

#include "spinlock.h"
#include "types.h"

#define OBJPOOL_ALIGN 64                /* a cache line */

struct objpool_chunk;

struct objpool {
    spinlock_t lock;
    size_t size;                        /* slot size: the object's, to OBJPOOL_ALIGN */
    unsigned per_chunk;                 /* slots in a chunk */
    unsigned nr_chunks;
    struct objpool_chunk *chunks;       /* those with a free slot */
    struct objpool_chunk *full;         /* those without */
};

/* An empty pool of objects of `size` bytes (at most PAGE_SIZE / 4). */
void objpool_init(struct objpool *p, size_t size);
/* A zeroed object aligned to OBJPOOL_ALIGN; NULL when out of memory. O(1) while a
 * chunk has a free slot, else one xmalloc. */
void *objpool_zalloc(struct objpool *p);
/* Gives obj (from this pool; NULL is fine) back; a chunk left empty goes back to the
 * heap, unless it is the only one. O(chunks) to find obj's chunk. */
void objpool_free(struct objpool *p, void *obj);
/* Gives every chunk back; the pool must have no object in use. */
void objpool_destroy(struct objpool *p);

#endif
