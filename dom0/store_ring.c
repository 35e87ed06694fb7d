/* The store's side of each domU's ring page (public/io/store.h): a DOM0_SERVICE
 * that reads requests, answers them from the tree (store_msg.c) and sends the
 * domain's watch events; and the DOM0_DOMAIN_HOOK that gives every new domain its
 * /local/domain/<id> and connects its ring, and removes both when it is gone.
 *
 * Design: the toolstack calls store_ring_prepare while it builds a domain (an
 * unbound port of the domain for dom0, and the page's mfn); the hook then binds the
 * port and maps the page at STORE_RING_VA + dom pages. The port's handler only sets
 * the connection's flag and dom0_service_kick; the poll serves flagged connections:
 * complete requests are answered (a payload larger than the ring arrives in several
 * pieces, store_wire.c), replies and events wait in a queue until the ring has room.
 * The domain is untrusted: our own indices (req_cons, rsp_prod) are kept here and
 * only written to the page; its indices are read once and checked; a malformed
 * index or header stops serving that domain (logged), no other.
 * Locking: none; dom0's event loop is the only caller (handlers touch `kicked`).
 * Limitations: a domain gets at most STORE_RING_QUEUED replies and events waiting
 * for ring room; its requests wait in its ring meanwhile, but events beyond that
 * are dropped (counted, logged once). */
#include "dom0.h"
#include "domhooks.h"
#include "service.h"
#include "store.h"
#include "store_msg.h"
#include <store_wire.h>

#define STORE_RING_QUEUED 64

struct out_msg {
    struct out_msg *next;
    size_t size;
    struct store_msg_hdr hdr;
    char payload[];
};

struct store_conn {
    struct store_conn *next;
    hv_domid_t dom;
    uint64_t mfn;
    evtchn_port_t remote_port;          /* the domain's */
    evtchn_port_t port;                 /* ours, once bound (0: not yet) */
    struct store_interface *page;       /* NULL until mapped */
    bool stopped;
    volatile bool kicked;               /* set by the event handler */
    uint32_t req_cons, rsp_prod;        /* ours: never read back from the page */
    struct out_msg *out_head, **out_tail;
    unsigned out_count;
    struct store_tx tx;                 /* out_head being sent, when tx_busy */
    bool tx_busy;
    uint64_t requests, events_dropped;
    struct store_rx rx;
};

static struct store_conn *conns;

static struct store_conn *conn_of(hv_domid_t dom)
{
    for (struct store_conn *c = conns; c; c = c->next)
        if (c->dom == dom)
            return c;
    return NULL;
}

static void conn_stop(struct store_conn *c, const char *why)
{
    if (!c->stopped)
        printf("store: domain %u: %s: not served any more\n", c->dom, why);
    c->stopped = true;
}

/* Queues a message for c's ring: false when the queue is full or memory is out. */
static bool conn_queue(struct store_conn *c, uint32_t type, uint32_t req_id,
                       const char *payload, uint32_t len)
{
    struct out_msg *m;

    if (c->out_count >= STORE_RING_QUEUED ||
        !(m = store_mem_alloc(sizeof(*m) + len)))
        return false;
    m->next = NULL;
    m->size = sizeof(*m) + len;
    m->hdr = (struct store_msg_hdr){ .type = type, .req_id = req_id, .tx_id = 0, .len = len };
    memcpy(m->payload, payload, len);
    *c->out_tail = m;
    c->out_tail = &m->next;
    c->out_count++;
    return true;
}

void store_ring_fire(hv_domid_t dom, const char *path, const char *token)
{
    struct store_conn *c = conn_of(dom);
    char buf[STORE_PATH_MAX + STORE_TOKEN_MAX + 2];
    size_t pl = strlen(path) + 1, tl = strlen(token) + 1;

    if (!c || !c->page || c->stopped)
        return;                         /* nobody to tell */
    memcpy(buf, path, pl);
    memcpy(buf + pl, token, tl);
    if (!conn_queue(c, STORE_WATCH_EVENT, 0, buf, (uint32_t)(pl + tl))) {
        if (!c->events_dropped++)
            printf("store: domain %u: watch events dropped (queue full)\n", dom);
        return;
    }
    c->kicked = true;
    dom0_service_kick = true;
}

static void conn_free_queue(struct store_conn *c)
{
    while (c->out_head) {
        struct out_msg *m = c->out_head;

        c->out_head = m->next;
        store_mem_free(m, m->size);
    }
    c->out_tail = &c->out_head;
    c->out_count = 0;
    c->tx_busy = false;
}

/* Sends what the ring has room for. true when it wrote anything. */
static bool conn_push(struct store_conn *c)
{
    uint32_t before = c->rsp_prod;
    int rc;

    while (c->out_head) {
        struct out_msg *m = c->out_head;

        if (!c->tx_busy) {
            c->tx = (struct store_tx){ .hdr = m->hdr, .payload = m->payload };
            c->tx_busy = true;
        }
        rc = store_tx_push(&c->tx, c->page->rsp, &c->page->rsp_cons, &c->rsp_prod);
        c->page->rsp_prod = c->rsp_prod;
        if (rc < 0) {
            conn_stop(c, "malformed response ring index (rsp_cons)");
            break;
        }
        if (rc == 0)
            break;
        c->tx_busy = false;
        c->out_head = m->next;
        if (!c->out_head)
            c->out_tail = &c->out_head;
        c->out_count--;
        store_mem_free(m, m->size);
    }
    return c->rsp_prod != before;
}

/* Answers the complete requests in c's ring, as long as replies have room to wait. */
static bool conn_serve_requests(struct store_conn *c)
{
    static char reply[STORE_PAYLOAD_MAX];
    uint32_t before = c->req_cons, type, len;
    int rc;

    while (!c->stopped && c->out_count < STORE_RING_QUEUED / 2) {
        rc = store_rx_feed(&c->rx, c->page->req, &c->req_cons, &c->page->req_prod);
        c->page->req_cons = c->req_cons;
        if (rc < 0) {
            conn_stop(c, c->rx.hdr.len > STORE_PAYLOAD_MAX ? "request longer than "
                      "STORE_PAYLOAD_MAX" : "malformed request ring index (req_prod)");
            break;
        }
        if (rc == 0)
            break;
        c->requests++;
        len = store_msg_handle(store_dom0_tree(), c->dom, &c->rx.hdr, c->rx.payload,
                               reply, &type);
        if (!conn_queue(c, type, c->rx.hdr.req_id, reply, len)) {
            conn_stop(c, "out of memory for a reply");
            break;
        }
    }
    return c->req_cons != before;
}

static void store_ring_poll(void)
{
    for (struct store_conn *c = conns; c; c = c->next) {
        bool moved;

        if (!c->kicked || !c->page || c->stopped)
            continue;
        c->kicked = false;
        moved = conn_push(c);
        moved |= conn_serve_requests(c);
        moved |= conn_push(c);
        /* More requests may wait for queue room: come back without an event. */
        if (!c->stopped && c->out_count >= STORE_RING_QUEUED / 2)
            c->kicked = true;
        if (moved && !c->stopped)
            evtchn_send(c->port);
    }
}

DOM0_SERVICE(store_ring, store_ring_poll, NULL);

static void store_ring_event(evtchn_port_t port, void *arg)
{
    struct store_conn *c = arg;

    (void)port;
    c->kicked = true;
    dom0_service_kick = true;
}

int store_ring_prepare(const char *who, hv_domid_t dom, uint64_t mfn)
{
    struct evtchn_alloc_unbound a = { .dom = dom, .remote_dom = 0 };
    struct store_conn *c;
    long rc;

    if (conn_of(dom)) {
        printf("%s: store: domain %u has a ring already\n", who, dom);
        return -EEXIST;
    }
    if ((rc = hv_event_channel_op(EVTCHNOP_alloc_unbound, &a)) < 0) {
        printf("%s: store: no event channel for the domain: %s\n", who, errno_name(rc));
        return (int)rc;
    }
    if (!(c = store_mem_alloc(sizeof(*c)))) {
        printf("%s: store: dom0 out of memory\n", who);
        return -ENOMEM;
    }
    memset(c, 0, sizeof(*c));
    c->dom = dom;
    c->mfn = mfn;
    c->remote_port = a.port;
    c->out_tail = &c->out_head;
    c->next = conns;
    conns = c;
    return 0;
}

evtchn_port_t store_ring_port(hv_domid_t dom)
{
    struct store_conn *c = conn_of(dom);

    return c ? c->remote_port : 0;
}

static int conn_connect(const char *who, struct store_conn *c)
{
    uint64_t va = STORE_RING_VA + (uint64_t)c->dom * PAGE_SIZE;
    int rc;

    if ((rc = map_foreign_page(c->dom, c->mfn, va, true)) < 0) {
        printf("%s: store: cannot map the ring page: %s\n", who, errno_name(rc));
        return rc;
    }
    c->page = (struct store_interface *)(uintptr_t)va;
    memset(c->page, 0, sizeof(*c->page));
    if ((rc = evtchn_bind_interdomain(c->dom, c->remote_port, store_ring_event, c)) < 0) {
        printf("%s: store: cannot bind the domain's port %u: %s\n", who, c->remote_port,
               errno_name(rc));
        return rc;
    }
    c->port = (evtchn_port_t)rc;
    return 0;
}

/* /local/domain/<id> owned by the domain, with its name and id. */
static int store_domain_built(const char *who, hv_domid_t dom,
                              const struct domain_config *cfg)
{
    struct store_perm owner = { dom, STORE_PERM_NONE };
    struct store_tree *t = store_dom0_tree();
    struct domctl_getdomaininfo di;
    struct store_conn *c = conn_of(dom);
    char path[64], val[32];
    const char *name = cfg ? cfg->name : NULL;
    int rc;

    if (!name && xl_dominfo(dom, &di) == 0)
        name = di.name;
    fmt_snprintf(path, sizeof(path), "/local/domain/%u", dom);
    if ((rc = store_tree_mkdir(t, 0, path)) < 0 ||
        (rc = store_tree_set_perms(t, 0, path, &owner, 1)) < 0)
        goto fail;
    fmt_snprintf(path, sizeof(path), "/local/domain/%u/name", dom);
    if (name && (rc = store_tree_write(t, 0, path, name, strlen(name))) < 0)
        goto fail;
    fmt_snprintf(path, sizeof(path), "/local/domain/%u/domid", dom);
    fmt_snprintf(val, sizeof(val), "%u", dom);
    if ((rc = store_tree_write(t, 0, path, val, strlen(val))) < 0)
        goto fail;
    if (cfg) {
        fmt_snprintf(path, sizeof(path), "/local/domain/%u/memory/target", dom);
        fmt_snprintf(val, sizeof(val), "%llu", (unsigned long long)cfg->memory_mib << 10);
        if ((rc = store_tree_write(t, 0, path, val, strlen(val))) < 0)
            goto fail;
    }
    return c ? conn_connect(who, c) : 0;
fail:
    printf("%s: store: cannot write /local/domain/%u: %s\n", who, dom, errno_name(rc));
    return rc;
}

/* The ring page is one of dom's frames: unmapped before the destroy, so that it goes
 * back to the free pool with the others. dom is not served from here on. */
static void store_domain_release(hv_domid_t dom)
{
    struct store_conn *c = conn_of(dom);

    if (c && c->page) {
        c->stopped = true;
        unmap_page((uint64_t)(uintptr_t)c->page);
        c->page = NULL;
    }
}

static void store_domain_gone(hv_domid_t dom)
{
    struct store_conn **at, *c;

    for (at = &conns; *at && (*at)->dom != dom; at = &(*at)->next)
        ;
    if ((c = *at)) {
        *at = c->next;
        if (c->port)
            evtchn_close(c->port);
        if (c->page)
            unmap_page((uint64_t)(uintptr_t)c->page);
        conn_free_queue(c);
        store_mem_free(c, sizeof(*c));
    }
    store_tree_domain_gone(store_dom0_tree(), dom);
}

DOM0_DOMAIN_HOOK_RELEASE(store, store_domain_built, store_domain_release,
                         store_domain_gone);
