/* blkback's ring and requests (see blkback.h).
 *
 * Design: the frontend owns the ring page and can rewrite it at any moment, so
 * every request is copied out of its slot before anything looks at it, and the
 * producer index is checked (RING_PROD_SANE) before any slot is read. A request
 * is refused with BLKIF_RSP_ERROR, without touching any frame, when it breaks a
 * rule of public/io/blkif.h; otherwise each segment's grant is mapped for device
 * access only (GNTMAP_device_map: no dom0 mapping, the hypervisor checks the grant
 * and returns the frame's machine address) and the segments go to pdisk as
 * machine addresses, so the disk DMAs straight into (or out of) the guest's page.
 * A WRITE maps read-only (the device only reads the page), a READ writable: a
 * read-only grant serves a write, never a read. The grants stay mapped until pdisk
 * completes: the hypervisor keeps the frames alive meanwhile, even if the domain
 * dies, and they are unmapped before the answer is written.
 *
 * At most BLKBACK_MAX_REQS (the ring's size) requests are in flight per device,
 * so an answer's slot is always one whose request was consumed: a frontend that
 * pushes more only waits. A FLUSH waits until every earlier request completed
 * (pdisk completes a write when the device did) and holds the later ones back.
 *
 * Locking: none (blkback.h). */
#include "blkback.h"
#include "service.h"

static const char *op_name(uint8_t op)
{
    return op == BLKIF_OP_READ ? "read" : op == BLKIF_OP_WRITE ? "write" :
           op == BLKIF_OP_FLUSH ? "flush" : "op?";
}

void blkback_core_attach(struct blkback_dev *d, struct blkif_sring *sring)
{
    BACK_RING_ATTACH(&d->ring, sring);
    /* A frontend that connects again (after a detach) starts from where its
     * shared indices are. */
    d->ring.req_cons = d->ring.rsp_prod_pvt = sring->h.rsp_prod;
    d->flush_wait = false;
    d->conn = BLKBACK_CONNECTED;
}

/* Writes one answer into the ring (pushed by respond_push). */
static void respond(struct blkback_dev *d, uint64_t id, uint8_t op, int16_t status)
{
    struct blkif_response *rsp = RING_RSP_SLOT(&d->ring, d->ring.rsp_prod_pvt);

    rsp->id = id;
    rsp->operation = op;
    rsp->pad = 0;
    rsp->status = status;
    rsp->pad2 = 0;
    d->ring.rsp_prod_pvt++;
    if (status == BLKIF_RSP_OKAY)
        d->reqs_ok++;
    else
        d->reqs_err++;
}

static void respond_push(struct blkback_dev *d)
{
    bool notify;

    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&d->ring, notify);
    if (notify)
        evtchn_send(d->port);
}

static __printf(3, 4) int16_t refuse(struct blkback_dev *d, const struct blkif_request *req,
                                     const char *fmt, ...)
{
    char why[96];
    va_list ap;

    if (d->refused_logged < BLKBACK_LOG_REFUSED) {
        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        printf("blkback: d%u %s: refused %s id %llu: %s%s\n", d->dom, d->vdev,
               op_name(req->operation), (unsigned long long)req->id, why,
               ++d->refused_logged == BLKBACK_LOG_REFUSED ? " (further refusals counted only)"
                                                          : "");
    }
    return BLKIF_RSP_ERROR;
}

/* The rules of public/io/blkif.h on the copy req: 0 (nr_sectors set) or an
 * error status (logged). */
static int16_t check(struct blkback_dev *d, const struct blkif_request *req,
                     uint32_t *nr_sectors)
{
    uint64_t total = 0;

    if (req->handle != (uint16_t)d->devid)
        return refuse(d, req, "handle %u, the device is %u", req->handle,
                      (uint16_t)d->devid);
    if (req->operation == BLKIF_OP_FLUSH)
        return req->nr_segments ? refuse(d, req, "a flush with %u segments",
                                         req->nr_segments) : 0;
    if (req->operation != BLKIF_OP_READ && req->operation != BLKIF_OP_WRITE)
        return refuse(d, req, "unknown operation %u", req->operation);
    if (req->nr_segments == 0 || req->nr_segments > BLKIF_MAX_SEGMENTS)
        return refuse(d, req, "%u segments (1..%u)", req->nr_segments,
                      BLKIF_MAX_SEGMENTS);
    for (unsigned i = 0; i < req->nr_segments; i++) {
        const struct blkif_segment *s = &req->seg[i];

        if (s->first_sect > s->last_sect || s->last_sect > 7)
            return refuse(d, req, "segment %u: sectors %u..%u of a page (0..7)", i,
                          s->first_sect, s->last_sect);
        total += s->last_sect - s->first_sect + 1u;
    }
    if (req->sector_number >= d->region.sectors ||
        total > d->region.sectors - req->sector_number)
        return refuse(d, req, "sectors %llu+%llu past the disk's end (%llu)",
                      (unsigned long long)req->sector_number, (unsigned long long)total,
                      (unsigned long long)d->region.sectors);
    if (req->operation == BLKIF_OP_WRITE && d->region.readonly)
        return refuse(d, req, "a write to a read-only disk");
    *nr_sectors = (uint32_t)total;
    return 0;
}

static void unmap_all(struct blkback_req *r)
{
    for (unsigned i = 0; i < r->nr_maps; i++) {
        int rc = gnttab_unmap(NULL, r->handle[i]);

        /* Only a hypervisor bug makes this fail: the frame would stay held. */
        if (rc)
            printf("blkback: d%u %s: unmap of handle %u failed (%d)\n", r->dev->dom,
                   r->dev->vdev, r->handle[i], rc);
    }
    r->nr_maps = 0;
}

static void req_free(struct blkback_req *r)
{
    struct blkback_dev *d = r->dev;

    r->used = false;
    d->inflight--;
    /* A slot freed: requests may be waiting in the ring, or a flush for this. */
    d->kick = true;
    dom0_service_kick = true;
}

/* pdisk's completion (from its service poll). */
static void req_done(struct pdisk_req *p)
{
    struct blkback_req *r = p->arg;
    struct blkback_dev *d = r->dev;

    unmap_all(r);
    if (p->write)
        d->sectors_wr += p->nr_sectors;
    else
        d->sectors_rd += p->nr_sectors;
    if (d->conn == BLKBACK_CONNECTED || d->conn == BLKBACK_BROKEN) {
        if (p->status)
            printf("blkback: d%u %s: %s id %llu failed on the device: %d\n", d->dom,
                   d->vdev, op_name(r->op), (unsigned long long)r->id, p->status);
        respond(d, r->id, r->op, p->status ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
        respond_push(d);
    } else {
        d->dropped++;
    }
    req_free(r);
}

static struct blkback_req *req_alloc(struct blkback_dev *d)
{
    for (unsigned i = 0; i < BLKBACK_MAX_REQS; i++) {
        struct blkback_req *r = &d->reqs[i];

        if (!r->used) {
            memset(r, 0, sizeof(*r));
            r->used = true;
            r->dev = d;
            d->inflight++;
            return r;
        }
    }
    return NULL;
}

/* Maps the segments and submits: 0, or an error status (everything undone). */
static int16_t start(struct blkback_dev *d, const struct blkif_request *req,
                     uint32_t nr_sectors, struct blkback_req *r)
{
    struct pdisk_req *p = &r->preq;
    bool write = req->operation == BLKIF_OP_WRITE;
    int rc;

    p->write = write;
    p->sector = req->sector_number;
    p->nr_sectors = nr_sectors;
    p->nr_segs = req->nr_segments;
    p->done = req_done;
    p->arg = r;
    for (unsigned i = 0; i < req->nr_segments; i++) {
        const struct blkif_segment *s = &req->seg[i];
        uint64_t maddr;

        /* The device reads the page for a write: a read-only mapping will do. */
        rc = gnttab_map(d->dom, s->gref, write, NULL, &r->handle[i], &maddr);
        if (rc) {
            unmap_all(r);
            return refuse(d, req, "segment %u: grant %u not usable for a %s (%d)", i,
                          s->gref, op_name(req->operation), rc);
        }
        r->nr_maps++;
        p->seg[i].maddr = maddr + s->first_sect * (uint64_t)BLKIF_SECTOR_SIZE;
        p->seg[i].len = (s->last_sect - s->first_sect + 1u) * BLKIF_SECTOR_SIZE;
    }
    rc = pdisk_submit(&d->region, p);
    if (rc) {
        unmap_all(r);
        return refuse(d, req, "the disk refused it (%d)", rc);
    }
    return 0;
}

/* One request, copied out of the ring. */
static void handle(struct blkback_dev *d, const struct blkif_request *req)
{
    struct blkback_req *r;
    uint32_t nr_sectors = 0;
    int16_t status = check(d, req, &nr_sectors);

    if (status) {
        respond(d, req->id, req->operation, status);
        return;
    }
    if (req->operation == BLKIF_OP_FLUSH) {
        if (d->inflight) {
            d->flush_wait = true;
            d->flush_id = req->id;
        } else {
            respond(d, req->id, req->operation, BLKIF_RSP_OKAY);
        }
        return;
    }
    r = req_alloc(d);                   /* never NULL: serve counted the free slots */
    r->op = req->operation;
    r->id = req->id;
    if ((status = start(d, req, nr_sectors, r))) {
        respond(d, req->id, req->operation, status);
        r->used = false;
        d->inflight--;
    }
}

unsigned blkback_core_serve(struct blkback_dev *d)
{
    unsigned taken = 0;
    bool more = true;

    d->kick = false;
    if (d->conn != BLKBACK_CONNECTED)
        return 0;
    if (d->flush_wait) {
        if (d->inflight)
            return 0;
        d->flush_wait = false;
        respond(d, d->flush_id, BLKIF_OP_FLUSH, BLKIF_RSP_OKAY);
    }
    while (more) {
        ring_idx_t prod = d->ring.sring->h.req_prod;

        ring_rmb();                     /* the entries after the index */
        if (!RING_PROD_SANE(&d->ring, prod, d->ring.req_cons)) {
            printf("blkback: d%u %s: bad request index %u (consumed %u, ring of %u): "
                   "device closed\n", d->dom, d->vdev, prod, d->ring.req_cons,
                   RING_SIZE(&d->ring));
            d->conn = BLKBACK_BROKEN;
            break;
        }
        while (d->ring.req_cons != prod && d->inflight < BLKBACK_MAX_REQS &&
               !d->flush_wait) {
            struct blkif_request req;

            /* Copy first: the frontend may rewrite the slot while we look. */
            memcpy(&req, RING_REQ_SLOT(&d->ring, d->ring.req_cons), sizeof(req));
            d->ring.req_cons++;
            taken++;
            handle(d, &req);
        }
        /* Out of slots or behind a flush: completions bring us back (req_free). */
        if (d->ring.req_cons != prod)
            break;
        RING_FINAL_CHECK_FOR_REQUESTS(&d->ring, more);
    }
    respond_push(d);
    return taken;
}

void blkback_core_stop(struct blkback_dev *d)
{
    d->conn = BLKBACK_DEAD;
    d->flush_wait = false;
}
