/* Network devices of the guest runtime (netfront, guest/netfront.c; PV and PVHVM).
 * Frames are whole Ethernet frames (14-byte header included), at most 1514 bytes. */
#ifndef GUEST_NETDEV_H
#define GUEST_NETDEV_H

#include <guest.h>
#include <public/io/netif.h>

struct netdev;

struct netdev_ops {
    /* Sends one frame (copied before returning or granted until its response): 0,
     * -EBUSY (tx ring full: poll and retry), -EINVAL (size). */
    int (*send)(struct netdev *d, const void *frame, size_t len);
    /* A received frame into buf: its length, 0 if none is waiting, -E2BIG. */
    long (*recv)(struct netdev *d, void *buf, size_t len);
    /* Reaps tx responses and refills rx: nothing visible to the caller. */
    void (*poll)(struct netdev *d);
};

struct netdev {
    char name[16];                      /* "eth0" */
    uint8_t mac[6];
    const struct netdev_ops *ops;
    void *priv;
    uint64_t tx_frames, rx_frames, tx_errors, rx_dropped;
};

void netdev_register(struct netdev *d);
struct netdev *netdev_find(const char *name);   /* NULL: the first */
/* Waits (sleeping) until a frame is received or deadline_ns (0: none): its
 * length, or -ETIMEDOUT. */
long netdev_recv_wait(struct netdev *d, void *buf, size_t len, uint64_t deadline_ns);

/* guest/netfront.c: connects every vif the toolstack gave us (device/vif/<n> in the
 * store) not connected yet and registers each as "eth<n>": their number (0: none
 * new; call again to find one attached later), or -errno. */
int netfront_probe(uint64_t deadline_ns);
/* Posts req on d's tx ring exactly as given (tests of the backend's checks: bad
 * grants, sizes): 0 or -EBUSY. Its response is reaped and counted as any other. */
int netfront_tx_raw(struct netdev *d, const struct netif_tx_request *req);
/* Posts an rx request exactly as given (tests: pages not granted, or not writable):
 * 0 or -EBUSY. Its response is consumed by recv and counted in rx_dropped. */
int netfront_rx_raw(struct netdev *d, const struct netif_rx_request *req);
/* d's tx shared ring (tests that break its indices on purpose). */
struct netif_tx_sring *netfront_tx_sring(struct netdev *d);

#endif
