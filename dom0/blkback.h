/* blkback: dom0's PV block backend (docs/block.md). One struct blkback_dev per
 * virtual disk of a domU (a vbd), served from a region of one of dom0's physical
 * disks (dom0/pdisk.h) over the blkif ring protocol (public/io/blkif.h).
 *
 *   blkback_core.c  the ring and the requests: copy, check, map the segments'
 *                   grants for DMA, hand them to pdisk, answer on completion. Pure
 *                   apart from the calls it makes (gnttab_map/unmap, pdisk_submit,
 *                   evtchn_send), so the host tests link it with fakes of those.
 *   blkback.c       the devices' life: store directories and the front/back
 *                   handshake (public/io/bus.h), mapping the ring, binding the event
 *                   channel, the DOM0_SERVICE that serves the rings, the
 *                   DOM0_DOMAIN_HOOK that attaches a cfg's disks and tears down a
 *                   dead domain's; attach/detach/list for xl_block.c.
 *
 * Locking: none. dom0 is one event loop: everything here runs in service polls or
 * xl commands on vCPU 0; the event-channel handler only sets dev->kick and
 * dom0_service_kick. */
#ifndef DOM0_BLKBACK_H
#define DOM0_BLKBACK_H

#include <guest.h>
#include <gnttab.h>
#include <public/io/blkif.h>
#include <public/io/bus.h>
#include "pdisk.h"
#include "xlcfg.h"

#define BLKBACK_MAX_REQS    32          /* in flight per device: the ring's size */
#define BLKBACK_MAX_DEVS    16          /* every domain's, together */
#define BLKBACK_LOG_REFUSED 4           /* refusals printed per device; the rest counted */

struct blkback_dev;

/* One request the backend took from the ring and has not answered yet. */
struct blkback_req {
    struct blkback_dev *dev;
    bool used;
    uint8_t op;                         /* BLKIF_OP_*, echoed */
    uint64_t id;                        /* the frontend's, echoed */
    unsigned nr_maps;                   /* grants mapped for it (unmapped at completion) */
    grant_handle_t handle[BLKIF_MAX_SEGMENTS];
    struct pdisk_req preq;
};

enum blkback_conn {
    BLKBACK_WAITING,                    /* store dirs written, frontend not connected */
    BLKBACK_CONNECTED,                  /* ring mapped, channel bound: served */
    BLKBACK_BROKEN,                     /* the frontend broke the ring: no longer served */
    BLKBACK_DEAD,                       /* the domain is gone or the device detached:
                                           waits for its requests to complete */
};

struct blkback_dev {
    bool used;
    /* Identity, from attach. */
    hv_domid_t dom;
    unsigned devid;                     /* xlcfg_disk_devid: the ring's handle */
    char vdev[8];
    char target[XLCFG_SPEC_MAX];        /* as given: "vd0:2048+4096" */
    struct pdisk_region region;
    char fe_dir[64], be_dir[64];        /* store paths (public/io/bus.h) */

    /* Connection: blkback.c sets them; core serves ring while CONNECTED. */
    enum blkback_conn conn;
    struct blkif_back_ring ring;
    void *ring_va;                      /* dom0's mapping of the ring page */
    grant_handle_t ring_handle;
    evtchn_port_t port;
    volatile bool kick;                 /* an event came, or a slot freed: serve again */

    /* Requests (core). */
    unsigned inflight;
    bool flush_wait;                    /* a FLUSH waits for inflight to drain */
    uint64_t flush_id;
    struct blkback_req reqs[BLKBACK_MAX_REQS];

    /* Counters (block-list). */
    uint64_t reqs_ok, reqs_err, sectors_rd, sectors_wr, dropped;
    unsigned refused_logged;
};

/* ---- blkback_core.c ---- */

/* The ring page is mapped at sring: start serving it from its current indices
 * (a fresh ring, as the frontend initialised it). */
void blkback_core_attach(struct blkback_dev *d, struct blkif_sring *sring);
/* Serves d's ring once: takes requests while it has free request slots, answers
 * the refused ones at once and hands the others to pdisk, pushes the responses and
 * notifies. A bad producer index (RING_PROD_SANE) makes the device BROKEN: nothing
 * more is read from its ring (requests in flight still complete). Returns the
 * requests taken. */
unsigned blkback_core_serve(struct blkback_dev *d);
/* The device stops being served (its domain died, or it is detached): answers
 * are no longer written; requests in flight keep their grants mapped until pdisk
 * completes them (the device may be DMAing into the frames), then unmap and are
 * counted as dropped. Done when d->inflight reaches 0. */
void blkback_core_stop(struct blkback_dev *d);

/* ---- blkback.c ---- */

/* Attaches a virtual disk to domain dom: checks target against dom0's disks, writes
 * both store dirs with their permissions and waits for the frontend (served when it
 * connects). 0, or -errno after printing "<who>: <problem>". */
int blkback_attach(const char *who, hv_domid_t dom, const struct xlcfg_disk *disk);
/* Detaches dom's vdev: the backend goes to Closing, waits (up to a few seconds of
 * guest time) for the frontend to close, then unmaps and removes the dirs. 0,
 * -ENOENT (no such device) or -ETIMEDOUT (the frontend did not answer: the device is
 * torn down anyway). */
int blkback_detach(const char *who, hv_domid_t dom, const char *vdev);
/* The device of dom with index i (0..), in attach order; NULL past the last. */
const struct blkback_dev *blkback_dev_nth(hv_domid_t dom, unsigned i);
const char *blkback_conn_name(enum blkback_conn c);
/* The frontend's state as the store says (BUS_UNKNOWN if unreadable). */
enum bus_state blkback_frontend_state(const struct blkback_dev *d);

#endif
