/* dom0's physical disks: the virtio-blk PCI devices QEMU attaches (one per image
 * file on the host), driven by dom0 itself through guest/virtio_blk.c, and the
 * regions of them that backends serve. Implemented in dom0/pdisk.c.
 *
 * A region is "vd<N>:<start>+<sectors>" (512-byte sectors of disk N), or "vd<N>"
 * for the whole disk. Backends (blkback, the HVM device model's ATA disk) serve a
 * region; sector 0 of the region is what the guest sees as sector 0.
 *
 * Requests are asynchronous (queue depth up to the device's): the buffer is given
 * as machine addresses of 4 KiB pages (a granted page's dev_bus_addr, or dom0's own
 * page from virt_to_maddr), so the device DMAs straight into the guest's page.
 * Completions are delivered by pdisk's service poll (dom0/service.h), which calls
 * r->done. */
#ifndef DOM0_PDISK_H
#define DOM0_PDISK_H

#include <guest.h>

#define PDISK_MAX          4
#define PDISK_MAX_PAGES    11           /* a blkif request's segments */

struct pdisk_region {
    unsigned disk;                      /* vd<disk> */
    uint64_t start, sectors;            /* on the disk */
    bool readonly;
};

struct pdisk_req {
    bool write;                         /* false: read; a FLUSH is pdisk_flush */
    uint64_t sector;                    /* region-relative */
    uint32_t nr_sectors;                /* total, over the segments */
    unsigned nr_segs;
    struct {
        uint64_t maddr;                 /* machine address of the first byte */
        uint32_t len;                   /* bytes, a multiple of 512, within its page */
    } seg[PDISK_MAX_PAGES];
    int status;                         /* 0 or -errno, set before done */
    void (*done)(struct pdisk_req *r);
    void *arg;
    struct pdisk_req *next;             /* pdisk's while queued */
    uint64_t region_start;              /* pdisk's while queued: the region's first sector */
    bool flush;                         /* pdisk's: set by pdisk_flush */
};

/* Disks found at start (dom0 probes PCI once): their number. */
unsigned pdisk_count(void);
uint64_t pdisk_sectors(unsigned disk);  /* 0 if no such disk */
/* Parses a region spec (above) and checks it against the disk: 0, or -EINVAL
 * with the reason in why ("vd1: no such disk (1 found)", "vd0:100+50: past the
 * disk's end (120 sectors)"). */
int pdisk_region_parse(const char *spec, bool readonly, struct pdisk_region *out,
                       char *why, size_t whylen);
/* Queues r against region g: 0, or -EINVAL (past the region's end, a write to a
 * read-only region, bad segments): then nothing was queued and done is not called.
 * Requests beyond the device's queue depth wait in pdisk's own queue. */
int pdisk_submit(const struct pdisk_region *g, struct pdisk_req *r);
/* Queues a flush of g's disk (r: no segments, nr_sectors 0; write and sector are
 * ignored): it goes to the device once every request submitted before it on that
 * disk has completed, and done is called when the device has put the writes it
 * completed on the host's storage. 0 or -EINVAL. */
int pdisk_flush(const struct pdisk_region *g, struct pdisk_req *r);
/* Requests submitted and not yet completed (all disks). */
unsigned pdisk_inflight(void);
/* Synchronous helper for tools and tests: n sectors at sector of region g to/from
 * buf (dom0's memory, any alignment, any size), polling until done. 0 or -errno. */
int pdisk_rw_sync(const struct pdisk_region *g, bool write, uint64_t sector, void *buf,
                  uint32_t n);
/* xl pdisk-list: one line per disk (size, interrupt, requests and bytes done). */
void pdisk_print_list(void);

#endif
