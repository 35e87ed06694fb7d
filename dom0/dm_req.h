/* The device model's check of a request slot (dom0/dm_req.c): pure, host-tested
 * (tests/unit/test_dm_req.c). */
#ifndef DOM0_DM_REQ_H
#define DOM0_DM_REQ_H

#include <hvlab/types.h>
#include <public/hvm_ioreq.h>

/* A request as a guest instruction can make it: direction, type, size (1, 2, 4; 8
 * only for MMIO), a port below 0x10000, count 1 unless string I/O; string I/O only
 * to ports, its elements within one guest page and within the domain's nr_pages of
 * RAM (downwards from data with df). dom0 copied the slot before this looks at it. */
bool dm_request_ok(const struct hvm_ioreq *q, uint64_t nr_pages);

#endif
