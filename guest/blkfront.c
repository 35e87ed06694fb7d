/* blkfront: PV block devices of the guest runtime (see blkfront.h; docs/block.md).
 *
 * Design: one ring page and one event channel per device, both made here and
 * announced in our device dir (ring-ref, event-channel, then state Initialised);
 * the backend maps the ring and answers Connected. Each request is one page of the
 * caller (blkdev's unit), granted to the backend for the request's life (read-only
 * for a write: the backend's device only reads it) and taken back when the answer
 * comes; its ring id is its shadow slot. The event handler does nothing: answers
 * are read by blkdev_poll, after guest_block returns. A backend that sets Closing
 * (xl block-detach) gets no new requests; when the last answer is in we say Closed.
 *
 * Locking: none; a blkdev is driven from one vCPU (blkdev.h), and the event
 * handler only ends guest_block.
 *
 * Limitations: one segment per request (blkdev requests are one page); a ring
 * index from the backend past what we sent ends the device (-EIO for everything in
 * flight): dom0 is trusted, but a bug there should not corrupt our memory. */
#include <gnttab.h>
#include <store.h>
#include <blkfront.h>

#define BLKFRONT_CONNECT_NS (5ULL * 1000 * 1000 * 1000)
#define BLKFRONT_WATCH      "blkfront"

static struct blkfront fronts[BLKFRONT_MAX];
static unsigned nr_fronts;
static bool watching;
static const struct blkdev_ops blkfront_ops;

struct blkfront *blkfront_of(struct blkdev *d)
{
    return d && d->ops == &blkfront_ops ? d->priv : NULL;
}

static void blkfront_event(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;                          /* the wake-up is all: blkdev_poll reads */
}

void blkfront_push(struct blkfront *f)
{
    bool notify;

    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f->ring, notify);
    if (notify)
        evtchn_send(f->port);
}

static int blkfront_submit(struct blkdev *d, struct blkreq *r)
{
    struct blkfront *f = d->priv;
    struct blkif_request *req;
    unsigned slot;
    int ref;

    if (f->closing || f->closed)
        return -EIO;
    if (r->nr_sectors == 0 || r->nr_sectors > 8 || ((uintptr_t)r->buf & (PAGE_SIZE - 1)) ||
        r->sector >= d->sectors || r->nr_sectors > d->sectors - r->sector ||
        (r->write && d->readonly))
        return -EINVAL;
    if (f->inflight == BLKFRONT_INFLIGHT)
        return -EBUSY;
    for (slot = 0; f->shadow[slot].req; slot++)
        ;
    if ((ref = gnttab_grant(f->backend_id, r->buf, r->write)) < 0)
        return ref == -ENOSPC ? -EBUSY : ref;
    f->shadow[slot].req = r;
    f->shadow[slot].gref = (grant_ref_t)ref;
    f->inflight++;
    req = RING_REQ_SLOT(&f->ring, f->ring.req_prod_pvt);
    memset(req, 0, sizeof(*req));
    req->operation = r->write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
    req->nr_segments = 1;
    req->handle = (uint16_t)f->devid;
    req->id = slot;
    req->sector_number = r->sector;
    req->seg[0].gref = (grant_ref_t)ref;
    req->seg[0].first_sect = 0;
    req->seg[0].last_sect = (uint8_t)(r->nr_sectors - 1);
    f->ring.req_prod_pvt++;
    blkfront_push(f);
    return 0;
}

static void complete(struct blkfront *f, unsigned slot, int status)
{
    struct blkreq *r = f->shadow[slot].req;

    /* The backend unmaps before it answers: ending the grant cannot be refused. */
    if (gnttab_end(f->shadow[slot].gref))
        printf("blkfront: %s: grant %u still in use after its answer\n", f->dev.name,
               f->shadow[slot].gref);
    f->shadow[slot].req = NULL;
    f->inflight--;
    r->status = status;
    if (!status) {
        f->dev.reqs_done++;
        f->dev.bytes_done += r->nr_sectors * (uint64_t)BLKIF_SECTOR_SIZE;
    } else {
        f->errors++;
    }
    r->done(r);
}

/* The backend broke the ring: everything in flight fails, and the device closes
 * (close_if_done) as on a detach. */
static void fail_all(struct blkfront *f)
{
    for (unsigned s = 0; s < BLKFRONT_INFLIGHT; s++)
        if (f->shadow[s].req)
            complete(f, s, -EIO);
    f->closing = true;
}

/* A watch event: the backend's state may have changed. */
static void check_backend(void)
{
    char path[96], token[16];

    while (store_event_pending() &&
           !store_wait_event(path, sizeof(path), token, sizeof(token), 0)) {
        for (unsigned i = 0; i < nr_fronts; i++) {
            struct blkfront *f = &fronts[i];

            if (!f->closing && !f->closed && bus_read_state(f->be_dir) == BUS_CLOSING) {
                f->closing = true;
                printf("blkfront: %s: the backend is closing\n", f->dev.name);
            }
        }
    }
}

static void close_if_done(struct blkfront *f)
{
    char path[96];

    if (f->closing && !f->closed && !f->inflight) {
        f->closed = true;
        evtchn_close(f->port);
        fmt_snprintf(path, sizeof(path), "%s/state", f->be_dir);
        store_unwatch(path, BLKFRONT_WATCH);
        bus_set_state(f->fe_dir, BUS_CLOSED);
        printf("blkfront: %s: closed\n", f->dev.name);
    }
    /* The ring page is ours again once the backend unmapped it. */
    if (f->closed && f->ring_granted && !gnttab_end(f->ring_ref)) {
        f->ring_granted = false;
        free_page(f->sring);
    }
}

static int blkfront_poll(struct blkdev *d)
{
    struct blkfront *f = d->priv;
    int n = 0;
    bool more = true;

    while (more && !f->closed) {
        ring_idx_t prod = f->ring.sring->h.rsp_prod;

        ring_rmb();
        if ((ring_idx_t)(prod - f->ring.rsp_cons) >
            (ring_idx_t)(f->ring.req_prod_pvt - f->ring.rsp_cons)) {
            printf("blkfront: %s: response index %u past our requests (%u): device "
                   "failed\n", d->name, prod, f->ring.req_prod_pvt);
            fail_all(f);
            break;
        }
        while (f->ring.rsp_cons != prod) {
            struct blkif_response rsp = *RING_RSP_SLOT(&f->ring, f->ring.rsp_cons);

            f->ring.rsp_cons++;
            if (rsp.id >= BLKFRONT_INFLIGHT || !f->shadow[rsp.id].req) {
                f->bad_responses++;
                continue;
            }
            complete(f, (unsigned)rsp.id, rsp.status == BLKIF_RSP_OKAY ? 0 : -EIO);
            n++;
        }
        RING_FINAL_CHECK_FOR_RESPONSES(&f->ring, more);
    }
    if (watching)
        check_backend();
    close_if_done(f);
    return n;
}

static const struct blkdev_ops blkfront_ops = {
    .submit = blkfront_submit,
    .poll = blkfront_poll,
};

/* Reads dir/key as a number. */
static int read_uint(const char *dir, const char *key, uint64_t *v)
{
    char path[112];

    fmt_snprintf(path, sizeof(path), "%s/%s", dir, key);
    return store_read_uint(path, v);
}

static int connect(struct blkfront *f, unsigned devid)
{
    uint64_t v, deadline = guest_now_ns() + BLKFRONT_CONNECT_NS;
    char path[112], mode[4];
    int rc;

    f->devid = devid;
    fmt_snprintf(f->fe_dir, sizeof(f->fe_dir), "device/vbd/%u", devid);
    fmt_snprintf(path, sizeof(path), "%s/backend", f->fe_dir);
    if ((rc = (int)store_read(path, f->be_dir, sizeof(f->be_dir))) < 0)
        return rc;
    if ((rc = read_uint(f->fe_dir, "backend-id", &v)) < 0)
        return rc;
    f->backend_id = (hv_domid_t)v;
    rc = bus_wait_state(f->be_dir, 1u << BUS_INIT_WAIT, deadline);
    if (rc < 0)
        return rc;
    if ((rc = read_uint(f->be_dir, "sectors", &v)) < 0)
        return rc;
    f->dev.sectors = v;
    fmt_snprintf(path, sizeof(path), "%s/mode", f->be_dir);
    if ((rc = (int)store_read(path, mode, sizeof(mode))) < 0)
        return rc;
    f->dev.readonly = mode[0] != 'w';

    if (!(f->sring = alloc_page()))
        return -ENOMEM;
    FRONT_RING_INIT(&f->ring, f->sring);
    if ((rc = gnttab_grant(f->backend_id, f->sring, false)) < 0)
        goto free_ring;
    f->ring_ref = (grant_ref_t)rc;
    f->ring_granted = true;
    if ((rc = evtchn_alloc_unbound(f->backend_id, blkfront_event, f)) < 0)
        goto end_grant;
    f->port = (evtchn_port_t)rc;
    fmt_snprintf(path, sizeof(path), "%s/ring-ref", f->fe_dir);
    if ((rc = store_printf(path, "%u", f->ring_ref)) < 0)
        goto close_port;
    fmt_snprintf(path, sizeof(path), "%s/event-channel", f->fe_dir);
    if ((rc = store_printf(path, "%u", f->port)) < 0 ||
        (rc = bus_set_state(f->fe_dir, BUS_INITIALISED)) < 0)
        goto close_port;
    rc = bus_wait_state(f->be_dir, 1u << BUS_CONNECTED | 1u << BUS_CLOSING | 1u << BUS_CLOSED,
                        deadline);
    if (rc != BUS_CONNECTED) {
        rc = rc < 0 ? rc : -EIO;
        goto close_port;
    }
    if ((rc = bus_set_state(f->fe_dir, BUS_CONNECTED)) < 0)
        goto close_port;
    /* Watch the backend's state for a detach (one token for every device). */
    fmt_snprintf(path, sizeof(path), "%s/state", f->be_dir);
    if (store_watch(path, BLKFRONT_WATCH) == 0)
        watching = true;
    return 0;

close_port:
    evtchn_close(f->port);
end_grant:
    if (gnttab_end(f->ring_ref))
        return rc;                      /* the backend maps it: leave the page */
free_ring:
    free_page(f->sring);
    return rc;
}

/* xvd<a-p> from Xen's device id (202 << 8 | n << 4), else vbd<id>. */
static void name_of(unsigned devid, char *name, size_t len)
{
    if ((devid >> 8) == 202 && !(devid & 15))
        fmt_snprintf(name, len, "xvd%c", 'a' + ((devid >> 4) & 15));
    else
        fmt_snprintf(name, len, "vbd%u", devid);
}

/* Connects every device/vbd/<id> of ours (blkdev_probe_all runs it). */
int blkfront_probe(void)
{
    char ids[256];
    long n;
    int connected = 0;

    /* No device dir, or no store at all (a native image): no PV disk. */
    if ((n = store_list("device/vbd", ids, sizeof(ids))) < 0)
        return n == -ENOENT || n == -EIO ? 0 : (int)n;
    for (const char *id = ids; n-- > 0; id += strlen(id) + 1) {
        struct blkfront *f = &fronts[nr_fronts];
        uint64_t devid;
        int rc;

        if (nr_fronts == BLKFRONT_MAX || strtoull(id, NULL, 10) > 0xffff)
            continue;
        devid = strtoull(id, NULL, 10);
        memset(f, 0, sizeof(*f));
        name_of((unsigned)devid, f->dev.name, sizeof(f->dev.name));
        if ((rc = connect(f, (unsigned)devid)) < 0) {
            printf("blkfront: %s: not connected: %s\n", f->dev.name, errno_name(rc));
            continue;
        }
        f->dev.max_inflight = BLKFRONT_INFLIGHT;
        f->dev.ops = &blkfront_ops;
        f->dev.priv = f;
        blkdev_register(&f->dev);
        printf("blkfront: %s: %llu sectors%s, backend domain %u\n", f->dev.name,
               (unsigned long long)f->dev.sectors, f->dev.readonly ? " (read-only)" : "",
               f->backend_id);
        nr_fronts++;
        connected++;
    }
    return connected;
}

BLKDEV_DRIVER(blkfront, blkfront_probe);
