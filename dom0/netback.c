/* dom0's network backend: vifs, their store handshake, rings and channels, and the
 * bridges they plug into; see netback.h and docs/network.md.
 *
 * Design: a vif is added by the domain hook (the cfg's vif = [...]) or by `xl
 * network-attach`: both store dirs are written (io/bus.h), the backend goes to
 * InitWait, a store watch (store_watch_fn) on the frontend's state is set and the
 * vif takes a port of its bridge. The service's poll then moves each vif on when
 * that state changed: once the frontend is Initialised it maps the two ring pages,
 * binds the channel and goes Connected; a frontend going Closing or Closed while
 * connected is disconnected. Connected vifs are served on every poll:
 * each one's tx requests (NETBACK_TX_BUDGET at most, then the others get a turn)
 * go through the bridge into the rx rings of the vifs the bridge picks; then every
 * vif whose frontend asked for it gets one event. A vif whose frontend broke its
 * ring, or gave refs that do not map, is closed (state Closing, rings unmapped),
 * the others go on. The domain hook's release (just before the destroy) unmaps the
 * rings and closes the channels, so the domain's frames go back with it; its gone
 * removes the vifs: store dirs removed, the bridge port freed, their final counters
 * printed, so nothing is lost silently.
 *
 * Locking: none; dom0's services and commands run on its vCPU 0. The event handler
 * only sets flags (service.h). poll is not re-entered (a store call inside it could
 * wait, and dom0's waits poll the services).
 *
 * Limitations: at most NETBACK_MAX_VIFS vifs and NETBACK_MAX_BRIDGES bridges; no
 * detach of a single vif while its domain lives (network-detach); a vif closed for
 * a protocol error stays closed until its domain is destroyed. */
#include <gnttab.h>
#include "bridge.h"
#include "dom0.h"
#include "domhooks.h"
#include "netback.h"
#include "service.h"
#include "store.h"
#include "strutil.h"
#include "xlcfg_vif.h"

#define NETBACK_MAX_BRIDGES        4
/* Where the ring pages are mapped: two pages per vif slot, above the domain
 * builder's window (foreign.c) and the trace collector's (collector.h). */
#define NETBACK_RING_VA            (GUEST_FOREIGN_VA + GiB(3))

static struct netback_vif vifs[NETBACK_MAX_VIFS];
static struct bridge bridges[NETBACK_MAX_BRIDGES];
static struct netback_vif *port_vif[NETBACK_MAX_BRIDGES][BRIDGE_MAX_PORTS];

static const char *const state_names[] = {
    [BUS_UNKNOWN] = "unknown", [BUS_INITIALISING] = "initialising",
    [BUS_INIT_WAIT] = "initwait", [BUS_INITIALISED] = "initialised",
    [BUS_CONNECTED] = "connected", [BUS_CLOSING] = "closing", [BUS_CLOSED] = "closed",
};

const char *netback_state_name(const struct netback_vif *v)
{
    return v->state < ARRAY_SIZE(state_names) ? state_names[v->state] : "?";
}

/* The bridge named name, made on first use: its index, or -ENOSPC. */
static int bridge_get(const char *name)
{
    int free_idx = -1;

    for (int i = 0; i < NETBACK_MAX_BRIDGES; i++) {
        if (bridges[i].name[0] && strcmp(bridges[i].name, name) == 0)
            return i;
        if (!bridges[i].name[0] && free_idx < 0)
            free_idx = i;
    }
    if (free_idx < 0)
        return -ENOSPC;
    bridge_init(&bridges[free_idx], name, BRIDGE_AGEING_NS);
    return free_idx;
}

static void *vif_ring_va(const struct netback_vif *v, unsigned which)
{
    return (void *)(uintptr_t)(NETBACK_RING_VA + ((uint64_t)(v - vifs) * 2 + which) * PAGE_SIZE);
}

static void vif_set_state(struct netback_vif *v, enum bus_state s)
{
    v->state = s;
    bus_set_state(v->be_dir, s);
}

/* Unmaps the rings and closes the channel, whatever of them is set up. */
static void vif_disconnect(struct netback_vif *v)
{
    int rc;

    if (v->port_local >= 0) {
        evtchn_close((evtchn_port_t)v->port_local);
        v->port_local = -1;
    }
    if (v->tx_mapped && (rc = gnttab_unmap(v->tx_va, v->tx_handle)))
        printf("netback: vif %u.%u: tx ring unmap failed: %d\n", v->dom, v->devid, rc);
    if (v->rx_mapped && (rc = gnttab_unmap(v->rx_va, v->rx_handle)))
        printf("netback: vif %u.%u: rx ring unmap failed: %d\n", v->dom, v->devid, rc);
    v->tx_mapped = v->rx_mapped = false;
    v->tx.sring = NULL;
    v->rx.sring = NULL;
}

static void vif_close(struct netback_vif *v, const char *why)
{
    printf("netback: vif %u.%u: %s: closed\n", v->dom, v->devid, why);
    v->why_closed = why;
    vif_disconnect(v);
    vif_set_state(v, BUS_CLOSING);
}

static void netback_event(evtchn_port_t port, void *arg)
{
    struct netback_vif *v = arg;

    (void)port;
    v->event = true;
    dom0_service_kick = true;
}

/* The store's watch on the frontend's state (called from the store's poll). */
static void netback_fe_changed(const char *path, const char *token, void *arg)
{
    struct netback_vif *v = arg;

    (void)path;
    (void)token;
    v->fe_changed = true;
    dom0_service_kick = true;
}

static int map_ring(struct netback_vif *v, const char *key, unsigned which, void **va,
                    grant_handle_t *handle)
{
    char path[NETBACK_DIR_MAX + 16];
    uint64_t ref, maddr;
    int rc;

    fmt_snprintf(path, sizeof(path), "%s/%s", v->fe_dir, key);
    if ((rc = store_read_uint(path, &ref)) < 0 || ref > UINT32_MAX) {
        printf("netback: vif %u.%u: %s: missing or not a grant reference\n", v->dom,
               v->devid, key);
        return -EINVAL;
    }
    *va = vif_ring_va(v, which);
    if ((rc = gnttab_map(v->dom, (grant_ref_t)ref, false, *va, handle, &maddr))) {
        printf("netback: vif %u.%u: %s %llu: grant map failed: %d\n", v->dom, v->devid,
               key, (unsigned long long)ref, rc);
        return -EINVAL;
    }
    return 0;
}

/* The frontend is Initialised: its rings and channel, then Connected. */
static void vif_connect(struct netback_vif *v)
{
    char path[NETBACK_DIR_MAX + 16];
    uint64_t port;
    int rc;

    if (map_ring(v, "tx-ring-ref", 0, &v->tx_va, &v->tx_handle)) {
        vif_close(v, "bad tx-ring-ref");
        return;
    }
    v->tx_mapped = true;
    if (map_ring(v, "rx-ring-ref", 1, &v->rx_va, &v->rx_handle)) {
        vif_close(v, "bad rx-ring-ref");
        return;
    }
    v->rx_mapped = true;
    fmt_snprintf(path, sizeof(path), "%s/event-channel", v->fe_dir);
    if (store_read_uint(path, &port) < 0 || port > UINT32_MAX ||
        (rc = evtchn_bind_interdomain(v->dom, (evtchn_port_t)port, netback_event, v)) < 0) {
        vif_close(v, "bad event-channel");
        return;
    }
    v->port_local = rc;
    BACK_RING_ATTACH(&v->tx, (struct netif_tx_sring *)v->tx_va);
    BACK_RING_ATTACH(&v->rx, (struct netif_rx_sring *)v->rx_va);
    vif_set_state(v, BUS_CONNECTED);
    printf("netback: vif %u.%u connected to %s\n", v->dom, v->devid, v->bridge);
}

/* A good frame from v: through v's bridge to the rx rings it picks. */
static void vif_forward(struct netback_vif *v, const uint8_t *frame, size_t len, void *arg)
{
    uint32_t out = bridge_forward(&bridges[v->bridge_idx], (unsigned)v->port, frame, len,
                                  guest_now_ns());

    (void)arg;
    while (out) {
        unsigned p = (unsigned)__builtin_ctz(out);
        struct netback_vif *d = port_vif[v->bridge_idx][p];

        out &= out - 1;
        if (d->state == BUS_CONNECTED && !d->why_closed)
            netback_rx_put(d, frame, len);
        else
            d->st.rx_dropped++;
    }
}

static void netback_poll(void)
{
    static bool busy;

    if (busy)
        return;
    busy = true;
    for (unsigned i = 0; i < NETBACK_MAX_VIFS; i++) {
        struct netback_vif *v = &vifs[i];
        enum bus_state fs;

        if (!v->used)
            continue;
        if (v->fe_changed) {
            v->fe_changed = false;
            fs = bus_read_state(v->fe_dir);
            if (v->state == BUS_INIT_WAIT && (fs == BUS_INITIALISED || fs == BUS_CONNECTED))
                vif_connect(v);
            else if (v->state == BUS_CONNECTED && (fs == BUS_CLOSING || fs == BUS_CLOSED))
                vif_close(v, "the frontend closed");
        }
        if (v->state == BUS_CONNECTED && !v->why_closed) {
            v->event = false;
            if (netback_tx_serve(v, NETBACK_TX_BUDGET, vif_forward, NULL) ==
                NETBACK_TX_BUDGET)
                dom0_service_kick = true;       /* more waiting: come back soon */
        }
    }
    for (unsigned i = 0; i < NETBACK_MAX_VIFS; i++) {
        struct netback_vif *v = &vifs[i];

        if (!v->used || v->state != BUS_CONNECTED)
            continue;
        if (v->why_closed) {
            vif_close(v, v->why_closed);
            continue;
        }
        if (netback_push(v))
            evtchn_send((evtchn_port_t)v->port_local);
    }
    busy = false;
}

DOM0_SERVICE(netback, netback_poll, NULL);

/* ---- adding and removing vifs ---- */

static int write_key(const char *dir, const char *key, const char *fmt, ...) __printf(3, 4);
static int write_key(const char *dir, const char *key, const char *fmt, ...)
{
    char path[NETBACK_DIR_MAX + 16], val[64];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    fmt_snprintf(path, sizeof(path), "%s/%s", dir, key);
    return store_write(path, val);
}

static int owned_dir(const char *path, const char *const *perms)
{
    int rc = store_mkdir(path);

    if (rc < 0 && rc != -EEXIST)
        return rc;
    return store_set_perms(path, perms, 1);
}

/* Both dirs (io/bus.h): the frontend's owned by it, the backend's by dom0 and
 * readable by it. */
static int vif_store_setup(struct netback_vif *v)
{
    char owner[8], reader[8], mac[XLCFG_MAC_STR_MAX], parent[NETBACK_DIR_MAX];
    const char *fe_perms[1] = { owner }, *be_perms[2] = { "n0", reader };
    int rc;

    fmt_snprintf(owner, sizeof(owner), "n%u", v->dom);
    fmt_snprintf(reader, sizeof(reader), "r%u", v->dom);
    xlcfg_mac_format(mac, v->mac);
    /* The frontend's parents owned by it too: this hook may run before the
     * store's makes /local/domain/<dom> (hooks run in link order), and a node made
     * by dom0 would otherwise inherit dom0's permissions. */
    fmt_snprintf(parent, sizeof(parent), "/local/domain/%u/device", v->dom);
    if ((rc = owned_dir(parent, fe_perms)) < 0)
        return rc;
    fmt_snprintf(parent, sizeof(parent), "/local/domain/%u/device/vif", v->dom);
    if ((rc = owned_dir(parent, fe_perms)) < 0)
        return rc;
    if ((rc = store_mkdir(v->be_dir)) < 0 || (rc = store_set_perms(v->be_dir, be_perms, 2)) < 0 ||
        (rc = write_key(v->be_dir, "frontend", "%s", v->fe_dir)) < 0 ||
        (rc = write_key(v->be_dir, "frontend-id", "%u", v->dom)) < 0 ||
        (rc = write_key(v->be_dir, "mac", "%s", mac)) < 0 ||
        (rc = write_key(v->be_dir, "bridge", "%s", v->bridge)) < 0 ||
        (rc = write_key(v->be_dir, "state", "%u", BUS_INITIALISING)) < 0)
        return rc;
    if ((rc = store_mkdir(v->fe_dir)) < 0 || (rc = store_set_perms(v->fe_dir, fe_perms, 1)) < 0 ||
        (rc = write_key(v->fe_dir, "backend", "%s", v->be_dir)) < 0 ||
        (rc = write_key(v->fe_dir, "backend-id", "0")) < 0 ||
        (rc = write_key(v->fe_dir, "mac", "%s", mac)) < 0 ||
        (rc = write_key(v->fe_dir, "state", "%u", BUS_INITIALISING)) < 0)
        return rc;
    vif_set_state(v, BUS_INIT_WAIT);        /* our keys are written */
    fmt_snprintf(v->watch_path, sizeof(v->watch_path), "%s/state", v->fe_dir);
    fmt_snprintf(v->watch_token, sizeof(v->watch_token), "netback/%u/%u", v->dom, v->devid);
    if ((rc = store_watch_fn(v->watch_path, v->watch_token, netback_fe_changed, v)) < 0)
        return rc;
    v->watching = true;
    return 0;
}

static void vif_remove(struct netback_vif *v)
{
    void *buf = v->buf;

    vif_disconnect(v);
    if (v->watching)
        store_unwatch(v->watch_path, v->watch_token);
    if (v->fe_dir[0]) {
        store_rm(v->fe_dir);
        store_rm(v->be_dir);
    }
    if (v->port >= 0) {
        bridge_port_del(&bridges[v->bridge_idx], (unsigned)v->port);
        port_vif[v->bridge_idx][v->port] = NULL;
    }
    memset(v, 0, sizeof(*v));
    v->buf = buf;                           /* kept for the slot's next vif */
    v->port_local = -1;
    v->port = -1;
}

int netback_vif_add(const char *who, hv_domid_t dom, unsigned devid,
                    const struct xlcfg_vif *cfg)
{
    struct netback_vif *v = NULL;
    int rc, b;

    for (unsigned i = 0; i < NETBACK_MAX_VIFS && !v; i++)
        if (!vifs[i].used)
            v = &vifs[i];
    if (!v) {
        printf("%s: vif %u: no room (netback serves %u vifs)\n", who, devid, NETBACK_MAX_VIFS);
        return -ENOSPC;
    }
    if ((b = bridge_get(cfg->bridge)) < 0) {
        printf("%s: vif %u: bridge %s: no room (at most %u bridges)\n", who, devid,
               cfg->bridge, NETBACK_MAX_BRIDGES);
        return -ENOSPC;
    }
    if (!v->buf && !(v->buf = alloc_page())) {
        printf("%s: vif %u: out of memory\n", who, devid);
        return -ENOMEM;
    }
    v->used = true;
    v->dom = dom;
    v->devid = devid;
    v->port_local = -1;
    v->port = -1;
    v->bridge_idx = b;
    str_copy(v->bridge, sizeof(v->bridge), cfg->bridge, strlen(cfg->bridge));
    if (cfg->mac_given)
        memcpy(v->mac, cfg->mac, 6);
    else
        xlcfg_vif_default_mac(v->mac, dom, devid);
    if ((rc = bridge_port_add(&bridges[b])) < 0) {
        printf("%s: vif %u: bridge %s is full (%u ports)\n", who, devid, cfg->bridge,
               BRIDGE_MAX_PORTS);
        vif_remove(v);
        return rc;
    }
    v->port = rc;
    port_vif[b][rc] = v;
    fmt_snprintf(v->fe_dir, sizeof(v->fe_dir), "/local/domain/%u/device/vif/%u", dom, devid);
    fmt_snprintf(v->be_dir, sizeof(v->be_dir), "/local/domain/0/backend/vif/%u/%u", dom,
                 devid);
    if ((rc = vif_store_setup(v)) < 0) {
        printf("%s: vif %u: store: %s\n", who, devid, str_errno(rc));
        vif_remove(v);
        return rc;
    }
    return 0;
}

int netback_free_devid(hv_domid_t dom)
{
    for (unsigned id = 0; id < NETBACK_MAX_VIFS; id++) {
        bool taken = false;

        for (unsigned i = 0; i < NETBACK_MAX_VIFS; i++)
            taken |= vifs[i].used && vifs[i].dom == dom && vifs[i].devid == id;
        if (!taken)
            return (int)id;
    }
    return -ENOSPC;
}

unsigned netback_for_each(hv_domid_t dom, void (*fn)(const struct netback_vif *v, void *arg),
                          void *arg)
{
    unsigned n = 0;

    for (unsigned id = 0; id < NETBACK_MAX_VIFS; id++)
        for (unsigned i = 0; i < NETBACK_MAX_VIFS; i++)
            if (vifs[i].used && vifs[i].dom == dom && vifs[i].devid == id) {
                fn(&vifs[i], arg);
                n++;
            }
    return n;
}

static void print_gone(const struct netback_vif *v)
{
    const struct netback_stats *s = &v->st;

    printf("netback: vif %u.%u gone: tx_frames=%llu tx_bytes=%llu tx_errors=%llu "
           "rx_frames=%llu rx_bytes=%llu rx_errors=%llu rx_dropped=%llu\n", v->dom, v->devid,
           (unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes,
           (unsigned long long)s->tx_errors, (unsigned long long)s->rx_frames,
           (unsigned long long)s->rx_bytes, (unsigned long long)s->rx_errors,
           (unsigned long long)s->rx_dropped);
}

static int netback_domain_built(const char *who, hv_domid_t dom,
                                const struct domain_config *cfg)
{
    int rc;

    for (unsigned i = 0; cfg && i < cfg->nr_vifs; i++)
        if ((rc = netback_vif_add(who, dom, i, &cfg->vifs[i])) < 0)
            return rc;
    return 0;
}

/* Just before the domain is destroyed: the ring mappings go now, so its frames
 * return to the free pool with it (domhooks.h). */
static void netback_domain_release(hv_domid_t dom)
{
    for (unsigned i = 0; i < NETBACK_MAX_VIFS; i++) {
        if (vifs[i].used && vifs[i].dom == dom) {
            vif_disconnect(&vifs[i]);
            vifs[i].state = BUS_CLOSED;
        }
    }
}

static void netback_domain_gone(hv_domid_t dom)
{
    for (unsigned i = 0; i < NETBACK_MAX_VIFS; i++) {
        if (vifs[i].used && vifs[i].dom == dom) {
            print_gone(&vifs[i]);
            vif_remove(&vifs[i]);
        }
    }
}

DOM0_DOMAIN_HOOK_RELEASE(netback, netback_domain_built, netback_domain_release,
                         netback_domain_gone);
