/* The PV network frontend (Xen's netfront, our own code): one struct netfront per
 * vif the toolstack gave the domain (device/vif/<n> in the store), registered as
 * netdev "eth<n>". Protocol: public/io/netif.h; handshake: public/io/bus.h.
 *
 * Design: grants are made once, at connect: NETFRONT_TX_BUFS tx pages granted
 * read-only (a pool: send copies the frame into a free one, so a frame never
 * needs a grant of the caller's memory and no grant is made or ended per frame),
 * NETFRONT_RX_BUFS rx pages granted writable and all posted. A received frame is
 * copied out and its page posted again at once. The backend (dom0) is trusted for
 * memory, but its ids and lengths are still checked before they index anything.
 *
 * Locking: none: the calls run on the vCPU that owns the device (vCPU 0 in every
 * guest we have); the event handler only sets a flag (the rings are reaped by the
 * calls).
 *
 * Limitations: one frame per request (no scatter-gather, no offloads); grants are
 * never ended (a vif lives as long as its domain: no detach). */
#include <gnttab.h>
#include <netdev.h>
#include <store.h>

#define NETFRONT_MAX      4
#define NETFRONT_TX_BUFS  32
#define NETFRONT_RX_BUFS  64
#define NETFRONT_DIR_MAX  64

struct netfront {
    struct netdev dev;
    unsigned id;
    char dir[NETFRONT_DIR_MAX], be_dir[NETFRONT_DIR_MAX];
    hv_domid_t be_id;
    struct netif_tx_front_ring tx;
    struct netif_rx_front_ring rx;
    int port;
    volatile bool event;                /* the handler's: something arrived */

    uint8_t *tx_page[NETFRONT_TX_BUFS];
    grant_ref_t tx_gref[NETFRONT_TX_BUFS];
    bool tx_inflight[NETFRONT_TX_BUFS];
    uint16_t tx_free[NETFRONT_TX_BUFS];
    unsigned nr_tx_free;

    uint8_t *rx_page[NETFRONT_RX_BUFS];
    grant_ref_t rx_gref[NETFRONT_RX_BUFS];
};

static struct netfront fronts[NETFRONT_MAX];
static unsigned nr_fronts;

static void nf_event(evtchn_port_t port, void *arg)
{
    struct netfront *nf = arg;

    (void)port;
    nf->event = true;
}

static void nf_notify_tx(struct netfront *nf)
{
    bool notify;

    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->tx, notify);
    if (notify)
        evtchn_send((evtchn_port_t)nf->port);
}

static void nf_reap_tx(struct netfront *nf)
{
    int more;

    do {
        ring_idx_t prod = nf->tx.sring->h.rsp_prod;

        ring_rmb();
        while (nf->tx.rsp_cons != prod) {
            struct netif_tx_response rsp = *RING_RSP_SLOT(&nf->tx, nf->tx.rsp_cons);

            nf->tx.rsp_cons++;
            if (rsp.status == NETIF_RSP_OKAY)
                nf->dev.tx_frames++;
            else
                nf->dev.tx_errors++;
            if (rsp.id < NETFRONT_TX_BUFS && nf->tx_inflight[rsp.id]) {
                nf->tx_inflight[rsp.id] = false;
                nf->tx_free[nf->nr_tx_free++] = rsp.id;
            }
        }
        /* Ask to be told when half of what is in flight is done (at least the
         * next one), not at every response: a sender waiting for room wakes with
         * room for a batch, and a streaming one takes fewer events. */
        nf->tx.sring->h.rsp_event = nf->tx.rsp_cons +
            MAX(1u, (nf->tx.req_prod_pvt - nf->tx.rsp_cons + 1) / 2);
        ring_mb();
        more = nf->tx.sring->h.rsp_prod != nf->tx.rsp_cons;
    } while (more);
}

static int nf_send(struct netdev *d, const void *frame, size_t len)
{
    struct netfront *nf = d->priv;
    struct netif_tx_request *req;
    uint16_t slot;

    if (len < 14 || len > NETIF_MTU_FRAME)
        return -EINVAL;
    nf_reap_tx(nf);
    if (!nf->nr_tx_free || RING_FULL(&nf->tx))
        return -EBUSY;
    slot = nf->tx_free[--nf->nr_tx_free];
    nf->tx_inflight[slot] = true;
    memcpy(nf->tx_page[slot], frame, len);
    req = RING_REQ_SLOT(&nf->tx, nf->tx.req_prod_pvt);
    req->gref = nf->tx_gref[slot];
    req->offset = 0;
    req->size = (uint16_t)len;
    req->id = slot;
    req->flags = 0;
    nf->tx.req_prod_pvt++;
    nf_notify_tx(nf);
    return 0;
}

int netfront_tx_raw(struct netdev *d, const struct netif_tx_request *req)
{
    struct netfront *nf = d->priv;

    nf_reap_tx(nf);
    if (RING_FULL(&nf->tx))
        return -EBUSY;
    *RING_REQ_SLOT(&nf->tx, nf->tx.req_prod_pvt) = *req;
    nf->tx.req_prod_pvt++;
    nf_notify_tx(nf);
    return 0;
}

int netfront_rx_raw(struct netdev *d, const struct netif_rx_request *req)
{
    struct netfront *nf = d->priv;
    bool notify;

    if (RING_FULL(&nf->rx))
        return -EBUSY;
    *RING_REQ_SLOT(&nf->rx, nf->rx.req_prod_pvt) = *req;
    nf->rx.req_prod_pvt++;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->rx, notify);
    if (notify)
        evtchn_send((evtchn_port_t)nf->port);
    return 0;
}

struct netif_tx_sring *netfront_tx_sring(struct netdev *d)
{
    return ((struct netfront *)d->priv)->tx.sring;
}

/* Posts rx page id (again). */
static void nf_post_rx(struct netfront *nf, uint16_t id, bool push)
{
    struct netif_rx_request *req = RING_REQ_SLOT(&nf->rx, nf->rx.req_prod_pvt);
    bool notify;

    req->id = id;
    req->pad = 0;
    req->gref = nf->rx_gref[id];
    nf->rx.req_prod_pvt++;
    if (!push)
        return;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->rx, notify);
    if (notify)
        evtchn_send((evtchn_port_t)nf->port);
}

static long nf_recv(struct netdev *d, void *buf, size_t len)
{
    struct netfront *nf = d->priv;
    int more;

    nf_reap_tx(nf);
    for (;;) {
        struct netif_rx_response rsp;
        ring_idx_t prod = nf->rx.sring->h.rsp_prod;

        ring_rmb();
        if (nf->rx.rsp_cons == prod) {
            RING_FINAL_CHECK_FOR_RESPONSES(&nf->rx, more);
            if (!more)
                return 0;
            continue;
        }
        rsp = *RING_RSP_SLOT(&nf->rx, nf->rx.rsp_cons);
        nf->rx.rsp_cons++;
        if (rsp.id >= NETFRONT_RX_BUFS) {
            d->rx_dropped++;                /* not a page of ours: nothing to repost */
            continue;
        }
        if (rsp.status <= 0 || rsp.status > NETIF_MTU_FRAME ||
            rsp.offset + (unsigned)rsp.status > PAGE_SIZE) {
            d->rx_dropped++;
            nf_post_rx(nf, rsp.id, true);
            continue;
        }
        if ((size_t)rsp.status > len) {
            d->rx_dropped++;
            nf_post_rx(nf, rsp.id, true);
            return -E2BIG;
        }
        memcpy(buf, nf->rx_page[rsp.id] + rsp.offset, (size_t)rsp.status);
        nf_post_rx(nf, rsp.id, true);
        d->rx_frames++;
        return rsp.status;
    }
}

static void nf_poll(struct netdev *d)
{
    nf_reap_tx(d->priv);
}

static const struct netdev_ops netfront_ops = {
    .send = nf_send,
    .recv = nf_recv,
    .poll = nf_poll,
};

static int key_read(struct netfront *nf, const char *key, char *buf, size_t len)
{
    char path[NETFRONT_DIR_MAX + 16];
    long rc;

    snprintf(path, sizeof(path), "%s/%s", nf->dir, key);
    if ((rc = store_read(path, buf, len)) < 0)
        printf("netfront: %s: %s\n", path, errno_name(rc));
    return rc < 0 ? (int)rc : 0;
}

static int key_write(struct netfront *nf, const char *key, unsigned long long val)
{
    char path[NETFRONT_DIR_MAX + 16];

    snprintf(path, sizeof(path), "%s/%s", nf->dir, key);
    return store_printf(path, "%llu", val);
}

/* Pages and their grants: the two rings, the tx pool, the rx pages (posted). */
static int nf_alloc(struct netfront *nf, int *tx_ref, int *rx_ref)
{
    void *txs = alloc_page(), *rxs = alloc_page();

    if (!txs || !rxs)
        return -ENOMEM;
    FRONT_RING_INIT(&nf->tx, (struct netif_tx_sring *)txs);
    FRONT_RING_INIT(&nf->rx, (struct netif_rx_sring *)rxs);
    if ((*tx_ref = gnttab_grant(nf->be_id, txs, false)) < 0)
        return *tx_ref;
    if ((*rx_ref = gnttab_grant(nf->be_id, rxs, false)) < 0)
        return *rx_ref;
    for (uint16_t i = 0; i < NETFRONT_TX_BUFS; i++) {
        int ref;

        if (!(nf->tx_page[i] = alloc_page()))
            return -ENOMEM;
        if ((ref = gnttab_grant(nf->be_id, nf->tx_page[i], true)) < 0)
            return ref;
        nf->tx_gref[i] = (grant_ref_t)ref;
        nf->tx_free[nf->nr_tx_free++] = i;
    }
    for (uint16_t i = 0; i < NETFRONT_RX_BUFS; i++) {
        int ref;

        if (!(nf->rx_page[i] = alloc_page()))
            return -ENOMEM;
        if ((ref = gnttab_grant(nf->be_id, nf->rx_page[i], false)) < 0)
            return ref;
        nf->rx_gref[i] = (grant_ref_t)ref;
        nf_post_rx(nf, i, false);
    }
    nf->rx.sring->h.req_prod = nf->rx.req_prod_pvt;
    return 0;
}

/* 1 when vif id is connected and registered, 0 when its dir is not complete yet,
 * or -errno. */
static int nf_attach(unsigned id, uint64_t deadline_ns)
{
    struct netfront *nf = &fronts[nr_fronts];
    char val[32], path[NETFRONT_DIR_MAX + 16];
    int rc, tx_ref = -1, rx_ref = -1;
    uint64_t be_id;

    memset(nf, 0, sizeof(*nf));
    nf->id = id;
    snprintf(nf->dir, sizeof(nf->dir), "device/vif/%u", id);
    /* The toolstack writes state last: without it the dir is still being made. */
    snprintf(path, sizeof(path), "%s/state", nf->dir);
    if (store_read(path, val, sizeof(val)) == -ENOENT)
        return 0;
    if ((rc = key_read(nf, "backend", nf->be_dir, sizeof(nf->be_dir))) < 0 ||
        (rc = key_read(nf, "backend-id", val, sizeof(val))) < 0)
        return rc;
    be_id = strtoull(val, NULL, 10);
    if (be_id >= DOMID_INVALID)
        return -EINVAL;
    nf->be_id = (hv_domid_t)be_id;
    if ((rc = key_read(nf, "mac", val, sizeof(val))) < 0)
        return rc;
    if (mac_parse(val, strlen(val), nf->dev.mac)) {
        printf("netfront: %s/mac: \"%s\" is not a MAC\n", nf->dir, val);
        return -EINVAL;
    }
    if ((rc = bus_wait_state(nf->be_dir, 1u << BUS_INIT_WAIT | 1u << BUS_CONNECTED,
                             deadline_ns)) < 0) {
        printf("netfront: %s: backend not ready: %s\n", nf->dir, errno_name(rc));
        return rc;
    }
    if ((rc = nf_alloc(nf, &tx_ref, &rx_ref)) < 0) {
        printf("netfront: %s: set-up failed: %s\n", nf->dir, errno_name(rc));
        return rc;
    }
    if ((nf->port = evtchn_alloc_unbound(nf->be_id, nf_event, nf)) < 0)
        return nf->port;
    if ((rc = key_write(nf, "tx-ring-ref", (unsigned)tx_ref)) < 0 ||
        (rc = key_write(nf, "rx-ring-ref", (unsigned)rx_ref)) < 0 ||
        (rc = key_write(nf, "event-channel", (unsigned)nf->port)) < 0 ||
        (rc = bus_set_state(nf->dir, BUS_INITIALISED)) < 0)
        return rc;
    rc = bus_wait_state(nf->be_dir, 1u << BUS_CONNECTED | 1u << BUS_CLOSING |
                        1u << BUS_CLOSED, deadline_ns);
    if (rc != BUS_CONNECTED) {
        printf("netfront: %s: backend did not connect: %s\n", nf->dir,
               rc < 0 ? errno_name(rc) : "closing");
        return rc < 0 ? rc : -EIO;
    }
    if ((rc = bus_set_state(nf->dir, BUS_CONNECTED)) < 0)
        return rc;
    snprintf(nf->dev.name, sizeof(nf->dev.name), "eth%u", id);
    nf->dev.ops = &netfront_ops;
    nf->dev.priv = nf;
    nr_fronts++;
    netdev_register(&nf->dev);
    return 1;
}

int netfront_probe(uint64_t deadline_ns)
{
    char names[128];
    long n;
    int rc, found = 0;

    if ((rc = store_init()) < 0)
        return rc;
    n = store_list("device/vif", names, sizeof(names));
    if (n == -ENOENT)
        return 0;
    if (n < 0)
        return (int)n;
    for (const char *p = names; n-- > 0; p += strlen(p) + 1) {
        unsigned id = (unsigned)strtoull(p, NULL, 10);
        bool known = false;

        for (unsigned i = 0; i < nr_fronts; i++)
            known |= fronts[i].id == id;
        if (known || nr_fronts == NETFRONT_MAX)
            continue;
        if ((rc = nf_attach(id, deadline_ns)) < 0)
            return rc;
        found += rc;
    }
    return found;
}
