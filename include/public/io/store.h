/* The store's wire protocol (the xenstore model; layout and code are hvlab's own).
 * Every domain but dom0 talks to the store (a service in dom0) through one shared
 * page and one event channel, both made by the toolstack when it builds the domain:
 * PV guests find them in start_info (store_mfn, store_evtchn), HVM guests through
 * HVMOP_get_param (HVM_PARAM_STORE_PFN, HVM_PARAM_STORE_EVTCHN). dom0's own tools
 * call the store in-process.
 *
 * The page holds two byte rings: requests (domain -> store) and responses (store ->
 * domain, including watch events). A message is a struct store_msg_hdr and `len`
 * bytes of payload. The producer writes bytes, wmb, advances its prod index, and
 * sends an event; the consumer reads up to prod, advances its cons, sends an event.
 * Indices are free running; slot = idx % STORE_RING_SIZE. A store that finds a
 * malformed message or index from a domain stops serving that domain, no other.
 *
 * Payloads: strings, each NUL-terminated. Paths are absolute ("/local/domain/3/x")
 * or relative to the caller's home "/local/domain/<id>". At most STORE_PATH_MAX
 * bytes in a path, STORE_PAYLOAD_MAX in a payload.
 *
 *   STORE_READ      path                  -> value (bytes, no NUL added)
 *   STORE_WRITE     path, value           -> "OK" (creates missing parents)
 *   STORE_MKDIR     path                  -> "OK"
 *   STORE_RM        path                  -> "OK" (the subtree)
 *   STORE_DIRECTORY path                  -> child names, each NUL-terminated
 *   STORE_GET_PERMS path                  -> perm strings, each NUL-terminated
 *   STORE_SET_PERMS path, perm strings... -> "OK" (owner or dom0 only)
 *   STORE_WATCH     path, token           -> "OK", then a WATCH_EVENT at once and at
 *                                           every change of path or below it
 *   STORE_UNWATCH   path, token           -> "OK"
 *   STORE_WATCH_EVENT (store -> domain only) path that changed, token
 *   STORE_ERROR     (reply only)          -> an errno name: "ENOENT", "EACCES",
 *                                           "EINVAL", "E2BIG", "ENOSPC", "EEXIST"
 *
 * Permissions (xenstore's): each node has a list of "<c><domid>" strings; the first
 * names the owner and, by its c, what every domain not listed may do; c is n (none),
 * r (read), w (write), b (both). The owner and dom0 may do everything. A new node
 * inherits its parent's list. /local/domain/<id> is created by the toolstack owned
 * by <id>, so a domain sees its own subtree and what the toolstack gives it. */
#ifndef HVLAB_PUBLIC_IO_STORE_H
#define HVLAB_PUBLIC_IO_STORE_H

#include <stdint.h>

enum store_msg_type {
    STORE_DEBUG = 0,
    STORE_DIRECTORY = 1,
    STORE_READ = 2,
    STORE_GET_PERMS = 3,
    STORE_WATCH = 4,
    STORE_UNWATCH = 5,
    STORE_WRITE = 11,
    STORE_MKDIR = 12,
    STORE_RM = 13,
    STORE_SET_PERMS = 14,
    STORE_WATCH_EVENT = 15,
    STORE_ERROR = 16,
};

struct store_msg_hdr {
    uint32_t type;                      /* enum store_msg_type */
    uint32_t req_id;                    /* echoed in the reply */
    uint32_t tx_id;                     /* 0 (no transactions) */
    uint32_t len;                       /* payload bytes that follow */
};

#define STORE_RING_SIZE    1024
#define STORE_PATH_MAX     256
#define STORE_PAYLOAD_MAX  2048

/* STORE_ERROR payloads: the errno names both ends agree on, with their numbers
 * (hvlab/errno.h's). One table for the store and its clients. */
static const struct { const char *name; int err; } store_errors[] = {
    { "ENOENT", 2 }, { "EIO", 5 }, { "E2BIG", 7 }, { "EACCES", 13 }, { "EEXIST", 17 },
    { "EINVAL", 22 }, { "ENOSPC", 28 },
};
#define STORE_NR_ERRORS (sizeof(store_errors) / sizeof(store_errors[0]))

struct store_interface {
    char req[STORE_RING_SIZE];          /* domain -> store */
    char rsp[STORE_RING_SIZE];          /* store -> domain */
    uint32_t req_cons, req_prod;
    uint32_t rsp_cons, rsp_prod;
};

#endif
