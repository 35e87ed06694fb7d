/* dom0's store: the tree (store_tree.h) serving every domain. dom0's own code uses
 * guest/include/store.h's calls, answered in-process (store_local.c) with dom0's
 * rights (domid 0: everything); domUs reach it through their ring page
 * (store_ring.c, a DOM0_SERVICE). This header is what the rest of dom0 may use
 * beyond store.h.
 *
 * Watches in dom0 (dom0 is one event loop):
 *  - store_watch_fn(path, token, fn, arg): fn(path, token, arg) is called from the
 *    store's service poll (never from an event handler, never inside another store
 *    call) at each change. This is what services (backends, the device model) use:
 *    their poll never blocks, and their callbacks may call any store function but
 *    must not wait (no store_wait_event, bus_wait_state, dom0_block_until).
 *  - store_watch(path, token) queues events for store_wait_event and
 *    store_event_pending, one queue for all of dom0: for commands that wait for
 *    something themselves (they block dom0's shell, while services go on running:
 *    store_wait_event waits in dom0_block_until). Never from a service's poll. */
#ifndef DOM0_STORE_H
#define DOM0_STORE_H

#include <store.h>
#include "store_tree.h"

/* ---- store_local.c ---- */

/* The tree, set up at first use. */
struct store_tree *store_dom0_tree(void);

typedef void (*store_watch_cb)(const char *path, const char *token, void *arg);
/* A watch whose events call fn (see above); token must be unique among dom0's
 * watches (-EEXIST). Removed with store_unwatch. 0 or -errno. */
int store_watch_fn(const char *path, const char *token, store_watch_cb fn, void *arg);

/* ---- store_ring.c: the domUs' rings ---- */

/* Where dom0 maps domain d's ring page: STORE_RING_VA + d pages (above the trace
 * collector's mappings, collector.h). */
#define STORE_RING_VA (GUEST_FOREIGN_VA + GiB(2))

/* Toolstack, while building domain dom: an unbound port of dom for dom0 (its
 * start_info.store_evtchn or HVM_PARAM_STORE_EVTCHN), remembered with the store
 * page's mfn for store_ring's domain hook, which connects them. -errno after a
 * message naming who. */
int store_ring_prepare(const char *who, hv_domid_t dom, uint64_t mfn);
/* The port store_ring_prepare allocated in dom (0 if none). */
evtchn_port_t store_ring_port(hv_domid_t dom);
/* A watch of dom fired: queue the event on its ring (dropped, and counted, when dom
 * has no ring or its queue is full). */
void store_ring_fire(hv_domid_t dom, const char *path, const char *token);

#endif
