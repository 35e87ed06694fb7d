/* The PV block protocol (Xen's blkif, our layout): a frontend in a domU and a
 * backend in dom0 share one ring page (io/ring.h) and one event channel, set up
 * through the store (io/bus.h). A request names up to BLKIF_MAX_SEGMENTS granted
 * pages; each segment is the sectors first_sect..last_sect (inclusive, 512-byte
 * sectors, 0..7) of its page. Sectors are the device's, 0 = the first of the
 * frontend's virtual disk (the backend adds its region's start).
 *
 * The backend answers every request, in any order, with its id: BLKIF_RSP_OKAY, or
 * BLKIF_RSP_ERROR for a request it refused (bad operation, 0 or too many segments,
 * first_sect > last_sect or > 7, a grant it cannot use for that direction, sectors
 * past the disk's end, a write to a read-only disk) or that failed on the device. It
 * never touches a frame that was not granted to it. */
#ifndef HVLAB_PUBLIC_IO_BLKIF_H
#define HVLAB_PUBLIC_IO_BLKIF_H

#include "../grant_table.h"
#include "ring.h"

#define BLKIF_OP_READ          0
#define BLKIF_OP_WRITE         1
#define BLKIF_OP_FLUSH         3        /* no segments; done when earlier writes are on disk */

#define BLKIF_MAX_SEGMENTS     11
#define BLKIF_SECTOR_SIZE      512

struct blkif_segment {
    grant_ref_t gref;
    uint8_t first_sect, last_sect;
    uint16_t pad;
};

struct blkif_request {
    uint8_t operation;                  /* BLKIF_OP_* */
    uint8_t nr_segments;                /* 1..BLKIF_MAX_SEGMENTS (0 for FLUSH) */
    uint16_t handle;                    /* the virtual device (devid) */
    uint32_t pad;
    uint64_t id;                        /* echoed in the response */
    uint64_t sector_number;             /* first sector */
    struct blkif_segment seg[BLKIF_MAX_SEGMENTS];
};

#define BLKIF_RSP_OKAY          0
#define BLKIF_RSP_ERROR        (-1)
#define BLKIF_RSP_EOPNOTSUPP   (-2)

struct blkif_response {
    uint64_t id;
    uint8_t operation;
    uint8_t pad;
    int16_t status;                     /* BLKIF_RSP_* */
    uint32_t pad2;
};

RING_DEFINE(blkif, struct blkif_request, struct blkif_response);
_Static_assert(sizeof(struct blkif_request) == 112, "blkif request layout");
_Static_assert(sizeof(struct blkif_sring) <= 4096, "blkif ring fits a page");

/* Store keys (io/bus.h gives the paths and the states):
 *   frontend dir: ring-ref (decimal grant ref), event-channel (the frontend's
 *                 unbound port for the backend), state
 *   backend dir:  sectors, sector-size (512), mode ("r" or "w"), state */

#endif
