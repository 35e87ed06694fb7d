/* The store client (the xenstore model; public/io/store.h is the wire protocol).
 * domUs reach dom0's store through their ring page (guest/store_client.c); dom0
 * links an implementation that calls its store in-process (dom0/store_local.c), so
 * code that uses only these calls (the bus helpers below, frontends, backends) runs
 * in either. Calls block (sleeping) until the answer comes. Paths: absolute, or
 * relative to "/local/domain/<our id>". Errors: -ENOENT, -EACCES, -EINVAL, -E2BIG,
 * -ENOSPC, -EEXIST (from the store's reply), -EIO (no store: the ring is not set up
 * or the store stopped serving us), -ETIMEDOUT.
 * Watch events carry the absolute path that changed (or, when a subtree was removed,
 * the watched path under it).
 *
 * In dom0 (one event loop, services polled whenever it waits: dom0/service.h) the
 * calls never block, except store_wait_event and bus_wait_state, which wait in
 * dom0_block_until (services keep running). Events of store_watch go to one queue
 * shared by all of dom0: a service (a backend's poll) must not wait on it; it uses
 * store_watch_fn (dom0/store.h), whose callback runs from the store's own service
 * poll, and it may test store_event_pending without blocking. */
#ifndef GUEST_STORE_H
#define GUEST_STORE_H

#include <guest.h>
#include <public/io/bus.h>
#include <public/io/store.h>

int store_init(void);                   /* 0 or -errno; idempotent */
/* The value into buf (NUL-terminated, cut to len): its length, or -errno. */
long store_read(const char *path, char *buf, size_t len);
int store_read_uint(const char *path, uint64_t *val);   /* decimal or 0x hex */
int store_write(const char *path, const char *val);
int store_printf(const char *path, const char *fmt, ...) __printf(2, 3);
int store_mkdir(const char *path);
int store_rm(const char *path);
/* Child names, each NUL-terminated, into buf: their number, or -errno. */
long store_list(const char *path, char *buf, size_t len);
/* perms: "b0", "r3"... as in public/io/store.h; n of them. */
int store_set_perms(const char *path, const char *const *perms, unsigned n);

/* Watches: after store_watch, every change at or below path queues an event (and
 * one at once). store_wait_event sleeps until one is queued or deadline_ns (0: no
 * deadline) and gives its path and token: 0 or -ETIMEDOUT. */
int store_watch(const char *path, const char *token);
int store_unwatch(const char *path, const char *token);
int store_wait_event(char *path, size_t plen, char *token, size_t tlen,
                     uint64_t deadline_ns);
/* true when an event is queued (does not block). */
bool store_event_pending(void);

/* ---- bus helpers (public/io/bus.h), over the calls above ---- */
int bus_set_state(const char *dir, enum bus_state s);          /* dir/state */
enum bus_state bus_read_state(const char *dir);                 /* BUS_UNKNOWN if none */
/* Waits until dir/state is one of the states in mask (1u << state): the state, or
 * -ETIMEDOUT. */
int bus_wait_state(const char *dir, unsigned mask, uint64_t deadline_ns);

#endif
