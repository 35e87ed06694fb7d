/* blkfront: the PV block frontend of the guest runtime (guest/blkfront.c), a blkdev
 * (blkdev.h) over the blkif ring (public/io/blkif.h) to a backend found through the
 * store (device/vbd/<id>, public/io/bus.h). The same code on PV and HVM (PVHVM)
 * builds: it uses only the grant, store and event-channel calls.
 *
 * struct blkfront is here (not private to the file) for tests that drive the ring
 * by hand (tests/guests/blktest.c's malicious frontend) and for diagnostics. */
#ifndef GUEST_BLKFRONT_H
#define GUEST_BLKFRONT_H

#include <blkdev.h>
#include <public/io/blkif.h>
#include <public/io/bus.h>

#define BLKFRONT_MAX       4            /* devices per domain */
#define BLKFRONT_INFLIGHT  32           /* the ring's size */

struct blkfront {
    struct blkdev dev;                  /* registered with blkdev_register */
    unsigned devid;
    hv_domid_t backend_id;
    char fe_dir[48], be_dir[80];
    struct blkif_sring *sring;
    struct blkif_front_ring ring;
    grant_ref_t ring_ref;
    evtchn_port_t port;
    bool closing;                       /* the backend asked us to close */
    bool closed;                        /* we said Closed: no more requests */
    bool ring_granted;                  /* ring_ref still to end (after the backend unmaps) */
    unsigned inflight;
    struct {
        struct blkreq *req;             /* NULL: free */
        grant_ref_t gref;
    } shadow[BLKFRONT_INFLIGHT];
    uint64_t errors;                    /* answers other than OKAY */
    uint64_t bad_responses;             /* answers with an id we did not send */
};

/* blkfront's probe, registered with BLKDEV_DRIVER (blkdev_probe_all runs it):
 * connects every device/vbd/<id> of ours, waiting up to a few seconds for each
 * backend (one that cannot be connected is reported and skipped) and registers it.
 * The number connected, or -errno if the store cannot be read. Global so that
 * guest.mk can make every image link it (--undefined=blkfront_probe). */
int blkfront_probe(void);
/* The frontend behind a registered blkdev (NULL if it is not a blkfront's). */
struct blkfront *blkfront_of(struct blkdev *d);
/* Notifies the backend of requests pushed by hand on f->ring. */
void blkfront_push(struct blkfront *f);

#endif
