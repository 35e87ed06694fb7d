/* virtio-blk over legacy (transitional) virtio-pci: the I/O BAR, one split
 * virtqueue, DMA by machine address (guest/virtio_blk.c). One driver for dom0 (PV:
 * ports through the hypervisor's filter, the interrupt as a pirq event channel,
 * addresses from virt_to_maddr) and for the native image (ports direct, polled,
 * physical addresses). Each disk is also a blkdev "vda", "vdb", ... (blkdev.h).
 *
 * Requests carry machine addresses, so a backend in dom0 can hand the device a
 * page it mapped from a guest (GNTMAP_device_map's dev_bus_addr). Completions are
 * reaped by vblk_poll (never in the interrupt handler, which only sets a flag and
 * calls the notify hook). Locking: one lock per disk, taken with events off. */
#ifndef GUEST_VIRTIO_BLK_H
#define GUEST_VIRTIO_BLK_H

#include <guest.h>

#define VBLK_MAX       4                /* disks */
#define VBLK_MAX_SEGS  11               /* a blkif request's segments */
#define VBLK_DEPTH     32               /* requests in flight per disk */

struct vblk;

struct vblk_req {
    bool write;
    bool flush;                         /* VIRTIO_BLK_T_FLUSH: no segments, sector 0 */
    uint64_t sector;                    /* 512-byte sectors from the disk's start */
    unsigned nr_segs;
    struct { uint64_t maddr; uint32_t len; } seg[VBLK_MAX_SEGS];  /* len: multiple of 512 */
    int status;                         /* set before done: 0, -EIO, -EOPNOTSUPP */
    void (*done)(struct vblk_req *r);
    void *arg;
};

struct vblk_stats {
    uint64_t reqs, bytes, errors;       /* completed */
    uint64_t irqs;                      /* interrupt events taken */
    uint64_t bad_used;                  /* used-ring entries refused */
};

/* Finds and starts every virtio-blk device (once; later calls return the count; also
 * blkdev_probe_all's probe). notify, if not NULL, becomes the hook called from the
 * interrupt event (dom0: kick the service loop). The number of disks. */
unsigned vblk_probe(void (*notify)(void));
unsigned vblk_count(void);
struct vblk *vblk_get(unsigned i);      /* NULL past the count */
uint64_t vblk_sectors(const struct vblk *d);
bool vblk_readonly(const struct vblk *d);
int vblk_irq(const struct vblk *d);      /* the bound pirq, -1: polled */
const struct vblk_stats *vblk_stats(const struct vblk *d);
unsigned vblk_inflight(const struct vblk *d);
/* Queues r: 0; -EBUSY (VBLK_DEPTH in flight or too few descriptors: retry after a
 * poll); -EINVAL (no segments, a length not a multiple of 512, past the end, a
 * write to a read-only disk). A flush has no segments: done once the writes the
 * device completed before it are on the host's storage. */
int vblk_submit(struct vblk *d, struct vblk_req *r);
/* Reaps completions (calls each r->done; acknowledges and EOIs the interrupt): the
 * number completed. */
int vblk_poll(struct vblk *d);

#endif
