/* dom0's network backend (docs/network.md): one struct netback_vif per frontend
 * device, plugged into a learning bridge (bridge.h). netback_ring.c moves frames
 * through the shared rings (pure apart from gnttab_copy, so host tests run it
 * against fake grants); netback.c does the rest: store handshake, ring mapping,
 * event channel, the DOM0_SERVICE poll, the DOM0_DOMAIN_HOOK, the bridges.
 *
 * Counters are the domU's view: tx = frames the domU sent, rx = frames it got. */
#ifndef DOM0_NETBACK_H
#define DOM0_NETBACK_H

#include <guest.h>
#include <public/io/bus.h>
#include <public/io/netif.h>
#include "xlcfg.h"

#define NETBACK_MAX_VIFS     32
#define NETBACK_TX_BUDGET    64         /* tx requests per vif per poll: fairness */
#define NETBACK_DIR_MAX      64

struct netback_stats {
    uint64_t tx_frames, tx_bytes;       /* good frames copied out of the domU */
    uint64_t tx_errors;                 /* requests answered NETIF_RSP_ERROR */
    uint64_t rx_frames, rx_bytes;       /* frames copied into its posted pages */
    uint64_t rx_errors;                 /* posted pages we could not write (bad gref) */
    uint64_t rx_dropped;                /* frames for it with no page posted */
};

struct netback_vif {
    bool used;
    hv_domid_t dom;                     /* the frontend's domain */
    unsigned devid;
    uint8_t mac[6];
    char bridge[16];
    int bridge_idx, port;               /* in netback.c's bridges; -1: not attached */
    enum bus_state state;               /* ours, as written to the store */
    char fe_dir[NETBACK_DIR_MAX], be_dir[NETBACK_DIR_MAX];
    const char *why_closed;             /* set when we stopped serving it */
    char watch_path[NETBACK_DIR_MAX + 8], watch_token[32];
    bool watching;                      /* the frontend's state is watched */
    volatile bool fe_changed;           /* set by that watch */

    /* Connected: the frontend's rings mapped, its channel bound. */
    struct netif_tx_back_ring tx;
    struct netif_rx_back_ring rx;
    void *tx_va, *rx_va;
    grant_handle_t tx_handle, rx_handle;
    bool tx_mapped, rx_mapped;
    int port_local;                     /* our end of the event channel, -1: none */
    volatile bool event;                /* set by the channel's handler */
    bool notify;                        /* responses pushed that it asked to hear of */
    void *buf;                          /* one page: the frame copied out of it */

    struct netback_stats st;
};

/* ---- netback_ring.c ---- */

/* Where a good tx frame goes (the bridge): frame is v->buf, len bytes. */
typedef void (*netback_frame_fn)(struct netback_vif *v, const uint8_t *frame, size_t len,
                                 void *arg);

/* Whether a tx request, already copied out of the ring, may be served: 0, or
 * -EINVAL (size 0 or > NETIF_MTU_FRAME, offset + size past the page, flags). */
int netback_tx_check(const struct netif_tx_request *req);
/* Serves up to budget tx requests: each is copied out of the ring, checked,
 * copied out of the domU's granted page into v->buf (gnttab_copy), answered and,
 * when good, handed to out. Returns the number served; more are waiting when it
 * equals budget. A producer index more than a ring ahead: -EIO, the vif is
 * broken (v->why_closed set) and nothing more is read from its rings. */
int netback_tx_serve(struct netback_vif *v, unsigned budget, netback_frame_fn out,
                     void *arg);
/* Copies frame (in one of dom0's pages, not crossing it) into the next page v's
 * frontend posted: 0; -EAGAIN when none is posted (dropped, counted); -EFAULT
 * when the copy failed (bad grant: answered with NETIF_RSP_ERROR, counted);
 * -EIO when the rx ring's index is bad (the vif is broken). */
int netback_rx_put(struct netback_vif *v, const void *frame, size_t len);
/* Pushes the responses made since the last call; true when the frontend asked to
 * be told (the caller sends the event). */
bool netback_push(struct netback_vif *v);

/* ---- netback.c ---- */

/* Adds vif devid (its cfg entry) to domain dom: store dirs, bridge port; the
 * frontend connects later (the service's poll). 0 or -errno after printing
 * "<who>: <problem>". */
int netback_vif_add(const char *who, hv_domid_t dom, unsigned devid,
                    const struct xlcfg_vif *cfg);
/* The lowest devid domain dom has no vif for, or -ENOSPC. */
int netback_free_devid(hv_domid_t dom);
/* Calls fn for each vif of domain dom, in devid order: their number. */
unsigned netback_for_each(hv_domid_t dom, void (*fn)(const struct netback_vif *v,
                                                      void *arg), void *arg);
const char *netback_state_name(const struct netback_vif *v);

#endif
