/* Block devices of the guest runtime, one interface for every path the disk
 * benchmark compares: blkfront (PV and PVHVM, guest/blkfront.c), the emulated ATA
 * disk (HVM, guest/hvm/ata.c), virtio-blk (native and dom0, guest/virtio_blk.c).
 * A driver registers its device with blkdev_register when it finds one; the
 * benchmark opens one by name or the first.
 *
 * Requests are 4 KiB-aligned pages of the caller's memory, up to max_inflight at
 * once; completion is reported by calling r->done from blkdev_poll (never from
 * an interrupt handler), so callers need no locks. */
#ifndef GUEST_BLKDEV_H
#define GUEST_BLKDEV_H

#include <guest.h>

struct blkdev;

struct blkreq {
    bool write;
    uint64_t sector;                    /* 512-byte sectors from the device's start */
    uint32_t nr_sectors;                /* 1..8: within one page */
    void *buf;                          /* page-aligned, ours */
    int status;                         /* set before done: 0 or -errno (-EIO) */
    void (*done)(struct blkreq *r);
    void *arg;
    struct blkreq *next;                /* the driver's, while in flight */
};

struct blkdev_ops {
    /* Queues r: 0, -EBUSY (max_inflight reached), -EINVAL (past the end, bad size). */
    int (*submit)(struct blkdev *d, struct blkreq *r);
    /* Completes what finished (calls each r->done); the number completed. */
    int (*poll)(struct blkdev *d);
};

struct blkdev {
    char name[16];                      /* "xvda", "hda", "vda" */
    uint64_t sectors;
    unsigned max_inflight;              /* 1 for ATA PIO, 32 for blkfront and virtio */
    bool readonly;
    bool polled;                        /* no completion event: waits poll, never block */
    const struct blkdev_ops *ops;
    void *priv;
    uint64_t reqs_done, bytes_done;
};

void blkdev_register(struct blkdev *d);

/* Drivers register a probe from their own file; blkdev_probe_all runs them (a guest
 * that wants disks calls it once: guests that do not, never touch the store or PCI):
 *     static int blkfront_probe(void) { ...blkdev_register(...)...; return n; }
 *     BLKDEV_DRIVER(blkfront, blkfront_probe);
 * A probe returns the devices it registered or -errno (reported, not fatal). */
struct blkdev_driver {
    const char *name;
    int (*probe)(void);
};
#define BLKDEV_DRIVER(n, fn)                                                     \
    static const struct blkdev_driver blkdev_driver_##n                         \
        __attribute__((used, section("blkdev_drivers"), aligned(8))) = { #n, fn }
/* Every driver's probe: the number of devices registered in all. */
int blkdev_probe_all(void);
struct blkdev *blkdev_find(const char *name);   /* NULL name: the first registered */

static inline int blkdev_submit(struct blkdev *d, struct blkreq *r)
{
    return d->ops->submit(d, r);
}
static inline int blkdev_poll(struct blkdev *d) { return d->ops->poll(d); }
/* Polls, sleeping between polls until an event arrives, until at least one
 * request completed or deadline_ns (0: none): the number completed, -ETIMEDOUT. */
int blkdev_wait(struct blkdev *d, uint64_t deadline_ns);
/* One synchronous request (submit + wait): 0 or -errno. */
int blkdev_rw(struct blkdev *d, bool write, uint64_t sector, uint32_t nr, void *buf);

#endif
