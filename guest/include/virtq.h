/* A virtio split virtqueue in its legacy layout (virtio 1.x, 2.7 "Split Virtqueues";
 * legacy: the used ring at the next 4096 boundary), for the guest's virtio drivers.
 * Pure (guest/virtq.c, host-tested by tests/unit/test_virtq.c): the caller gives it
 * the ring memory and the machine addresses; it manages descriptors, the free list,
 * the avail and used indices. One user at a time (the driver's lock).
 *
 * Indices are free-running 16-bit counters: avail->idx and used->idx wrap at 65536,
 * slot = idx % size. A used entry's id is the device's word: it is checked against
 * the size and the chains in flight before it is trusted. */
#ifndef GUEST_VIRTQ_H
#define GUEST_VIRTQ_H

#include <hvlab/types.h>

#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2            /* the device writes this buffer */
#define VIRTQ_ALIGN 4096
#define VIRTQ_MAX_SIZE 1024

struct virtq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct virtq_avail { uint16_t flags, idx; uint16_t ring[]; };
struct virtq_used_elem { uint32_t id, len; };
struct virtq_used { uint16_t flags, idx; struct virtq_used_elem ring[]; };

struct virtq {
    uint16_t size;                      /* a power of 2 */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    volatile struct virtq_used *used;
    uint16_t free_head, nr_free;
    uint16_t last_used;                 /* used->idx we have consumed up to */
    uint16_t chain_len[VIRTQ_MAX_SIZE]; /* per head in flight: descriptors, 0 = free */
    uint64_t bad_used;                  /* used entries refused (bad id) */
};

struct virtq_buf { uint64_t addr; uint32_t len; bool device_writes; };

/* Bytes of ring memory for size entries (legacy layout). */
size_t virtq_bytes(uint16_t size);
/* Lays the queue out in mem (virtq_bytes(size), zeroed, VIRTQ_ALIGN-aligned):
 * 0, or -EINVAL for a size that is 0, not a power of 2 or > VIRTQ_MAX_SIZE. */
int virtq_init(struct virtq *q, void *mem, uint16_t size);
/* Chains n buffers and makes the head available: the head (its id in the used ring),
 * or -ENOSPC (fewer than n free descriptors; nothing changed). The caller then
 * notifies the device. */
int virtq_add(struct virtq *q, const struct virtq_buf *b, unsigned n);
/* The next chain the device finished: its head and *len (bytes written), freeing its
 * descriptors; -EAGAIN if none; -EIO for an entry naming no chain in flight (counted
 * in bad_used, consumed). */
int virtq_get(struct virtq *q, uint32_t *len);

#endif
