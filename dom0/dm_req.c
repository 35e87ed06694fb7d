/* The device model's check of a request; see dm_req.h. */
#include "dm_req.h"

#define DM_PAGE 4096ull

bool dm_request_ok(const struct hvm_ioreq *q, uint64_t nr_pages)
{
    if (q->dir > IOREQ_READ || q->type > IOREQ_TYPE_MMIO || q->data_is_ptr > 1 || q->df > 1)
        return false;
    if (q->size != 1 && q->size != 2 && q->size != 4 &&
        !(q->size == 8 && q->type == IOREQ_TYPE_MMIO))
        return false;
    if (q->type == IOREQ_TYPE_PIO && q->addr > 0xffff)
        return false;
    if (!q->data_is_ptr)
        return q->count == 1;
    if (q->type != IOREQ_TYPE_PIO || q->count == 0 || (uint64_t)q->count * q->size > DM_PAGE)
        return false;
    uint64_t bytes = (uint64_t)q->count * q->size;
    if (q->df && q->data < bytes - q->size)
        return false;                   /* would run below address 0 */
    uint64_t lo = q->df ? q->data - (bytes - q->size) : q->data;
    if (lo > UINT64_MAX - bytes)
        return false;
    return lo / DM_PAGE == (lo + bytes - 1) / DM_PAGE && (lo + bytes - 1) / DM_PAGE < nr_pages;
}
