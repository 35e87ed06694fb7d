/* Split virtqueue bookkeeping (virtq.h). */
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <virtq.h>

static size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

static size_t used_offset(uint16_t size)
{
    return align_up(sizeof(struct virtq_desc) * size + sizeof(uint16_t) * (3u + size),
                    VIRTQ_ALIGN);
}

size_t virtq_bytes(uint16_t size)
{
    return used_offset(size) + align_up(sizeof(uint16_t) * 3 +
                                        sizeof(struct virtq_used_elem) * size, VIRTQ_ALIGN);
}

int virtq_init(struct virtq *q, void *mem, uint16_t size)
{
    if (size == 0 || (size & (size - 1)) || size > VIRTQ_MAX_SIZE)
        return -EINVAL;
    memset(q, 0, sizeof(*q));
    q->size = size;
    q->desc = mem;
    q->avail = (struct virtq_avail *)((char *)mem + sizeof(struct virtq_desc) * size);
    q->used = (struct virtq_used *)((char *)mem + used_offset(size));
    for (uint16_t i = 0; i < size; i++)
        q->desc[i].next = (uint16_t)(i + 1);
    q->free_head = 0;
    q->nr_free = size;
    return 0;
}

int virtq_add(struct virtq *q, const struct virtq_buf *b, unsigned n)
{
    if (n == 0 || n > q->nr_free)
        return -ENOSPC;
    uint16_t head = q->free_head, i = head;
    for (unsigned k = 0; k < n; k++) {
        struct virtq_desc *d = &q->desc[i];
        d->addr = b[k].addr;
        d->len = b[k].len;
        d->flags = (uint16_t)((b[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
                              (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        if (k + 1 < n)
            i = d->next;
    }
    q->free_head = q->desc[i].next;
    q->nr_free = (uint16_t)(q->nr_free - n);
    q->chain_len[head] = (uint16_t)n;
    q->avail->ring[q->avail->idx % q->size] = head;
    __atomic_thread_fence(__ATOMIC_RELEASE);    /* the entry before the index */
    q->avail->idx = (uint16_t)(q->avail->idx + 1);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* the index before the notify */
    return head;
}

int virtq_get(struct virtq *q, uint32_t *len)
{
    uint16_t used_idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);

    if (used_idx == q->last_used)
        return -EAGAIN;
    struct virtq_used_elem e = q->used->ring[q->last_used % q->size];  /* copied once */
    q->last_used = (uint16_t)(q->last_used + 1);
    if (e.id >= q->size || q->chain_len[e.id] == 0) {
        q->bad_used++;
        return -EIO;
    }
    /* Back on the free list: walk the chain to its tail, link it to the old head. */
    uint16_t n = q->chain_len[e.id], tail = (uint16_t)e.id;
    for (uint16_t k = 1; k < n; k++)
        tail = q->desc[tail].next;
    q->desc[tail].next = q->free_head;
    q->free_head = (uint16_t)e.id;
    q->nr_free = (uint16_t)(q->nr_free + n);
    q->chain_len[e.id] = 0;
    *len = e.len;
    return (int)e.id;
}
