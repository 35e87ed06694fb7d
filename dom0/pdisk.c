/* dom0's physical disks (pdisk.h): the virtio-blk devices of guest/virtio_blk.c,
 * probed on first use, regions of them for backends, asynchronous requests with
 * pdisk's own queue behind the device's depth, completions in a DOM0_SERVICE poll
 * (the device interrupt, a pirq event channel, only kicks the service loop).
 *
 * Locking: none. Everything runs on dom0's vCPU 0 in its service loop or in a
 * command; the interrupt handler (virtio_blk.c) sets a flag and dom0_service_kick. */
#include "dom0.h"
#include "pdisk.h"
#include "pdisk_region.h"
#include "service.h"
#include <virtio_blk.h>

#define PDISK_SLOTS      (PDISK_MAX * VBLK_DEPTH)
#define PDISK_SYNC_PAGES 8
#define PDISK_SYNC_NS    10000000000ull /* a synchronous request's time-out: 10 s */
#define PDISK_INFLIGHT_NS 50000ull      /* see pdisk_deadline */

struct pdisk_slot {
    struct vblk_req vr;
    struct pdisk_req *r;
    unsigned disk;
    bool busy;
};

struct pdisk_disk {
    struct pdisk_req *qhead, *qtail;    /* waiting for the device */
    unsigned queued, inflight;
    uint64_t submitted, completed, errors, bytes, max_queued;
};

static bool started;
static struct pdisk_disk disks[PDISK_MAX];
static struct pdisk_slot slots[PDISK_SLOTS];

static void pdisk_notify(void)
{
    dom0_service_kick = true;
}

static void pdisk_start(void)
{
    if (started)
        return;
    started = true;
    vblk_probe(pdisk_notify);
}

unsigned pdisk_count(void)
{
    pdisk_start();
    return MIN(vblk_count(), (unsigned)PDISK_MAX);
}

uint64_t pdisk_sectors(unsigned disk)
{
    return disk < pdisk_count() ? vblk_sectors(vblk_get(disk)) : 0;
}

int pdisk_region_parse(const char *spec, bool readonly, struct pdisk_region *out,
                       char *why, size_t whylen)
{
    uint64_t sizes[PDISK_MAX];
    unsigned n = pdisk_count();

    for (unsigned i = 0; i < n; i++)
        sizes[i] = pdisk_sectors(i);
    int rc = pdisk_region_check(spec, n, sizes, &out->disk, &out->start, &out->sectors,
                                why, whylen);
    if (rc == 0 && !readonly && vblk_readonly(vblk_get(out->disk))) {
        fmt_snprintf(why, whylen, "%s: the disk is read-only", spec);
        return -EINVAL;
    }
    out->readonly = readonly;
    return rc;
}

unsigned pdisk_inflight(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < PDISK_MAX; i++)
        n += disks[i].queued + disks[i].inflight;
    return n;
}

static void slot_done(struct vblk_req *vr)
{
    struct pdisk_slot *s = vr->arg;
    struct pdisk_req *r = s->r;
    struct pdisk_disk *pd = &disks[s->disk];

    r->status = vr->status;
    r->next = NULL;
    s->busy = false;
    pd->inflight--;
    pd->completed++;
    if (r->status)
        pd->errors++;
    else
        pd->bytes += (uint64_t)r->nr_sectors * 512;
    r->done(r);
}

/* Hands queued requests of disk to the device while it takes them. */
static void pdisk_dispatch(unsigned disk)
{
    struct pdisk_disk *pd = &disks[disk];
    struct vblk *d = vblk_get(disk);

    while (pd->qhead) {
        struct pdisk_slot *s = NULL;
        for (unsigned i = 0; i < PDISK_SLOTS && !s; i++)
            if (!slots[i].busy)
                s = &slots[i];
        if (!s)
            return;
        struct pdisk_req *r = pd->qhead;
        if (r->flush && pd->inflight)
            return;                     /* a flush waits for every request before it */
        s->vr = (struct vblk_req){ .write = r->write && !r->flush, .flush = r->flush,
                                   .sector = r->flush ? 0 : r->region_start + r->sector,
                                   .nr_segs = r->flush ? 0 : r->nr_segs, .done = slot_done,
                                   .arg = s };
        for (unsigned i = 0; i < r->nr_segs; i++) {
            s->vr.seg[i].maddr = r->seg[i].maddr;
            s->vr.seg[i].len = r->seg[i].len;
        }
        int rc = vblk_submit(d, &s->vr);
        if (rc == -EBUSY)
            return;                     /* the device is full: wait for a completion */
        pd->qhead = r->next;
        if (!pd->qhead)
            pd->qtail = NULL;
        pd->queued--;
        if (rc < 0) {                   /* checked at submit: the device disagrees */
            r->status = rc;
            r->next = NULL;
            pd->completed++;
            pd->errors++;
            r->done(r);
            continue;
        }
        s->busy = true;
        s->r = r;
        s->disk = disk;
        r->next = NULL;
        pd->inflight++;
    }
}

static void pdisk_queue(unsigned disk, uint64_t start, struct pdisk_req *r);

int pdisk_submit(const struct pdisk_region *g, struct pdisk_req *r)
{
    uint64_t bytes = 0;

    if (g->disk >= pdisk_count() || r->nr_segs == 0 || r->nr_segs > PDISK_MAX_PAGES ||
        (r->write && g->readonly) || r->nr_sectors == 0 || r->sector > g->sectors ||
        r->nr_sectors > g->sectors - r->sector || !r->done)
        return -EINVAL;
    for (unsigned i = 0; i < r->nr_segs; i++) {
        uint32_t len = r->seg[i].len;
        if (len == 0 || len % 512 || (r->seg[i].maddr & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
            return -EINVAL;
        bytes += len;
    }
    if (bytes != (uint64_t)r->nr_sectors * 512)
        return -EINVAL;
    r->flush = false;
    pdisk_queue(g->disk, g->start, r);
    return 0;
}

int pdisk_flush(const struct pdisk_region *g, struct pdisk_req *r)
{
    if (g->disk >= pdisk_count() || r->nr_segs != 0 || !r->done)
        return -EINVAL;
    r->flush = true;
    r->nr_sectors = 0;
    pdisk_queue(g->disk, g->start, r);
    return 0;
}

/* Appends r to disk's FIFO and sends what the device takes. */
static void pdisk_queue(unsigned disk, uint64_t start, struct pdisk_req *r)
{
    struct pdisk_disk *pd = &disks[disk];

    r->region_start = start;            /* r->sector stays region-relative for its owner */
    r->next = NULL;
    if (pd->qtail)
        pd->qtail->next = r;
    else
        pd->qhead = r;
    pd->qtail = r;
    pd->queued++;
    pd->submitted++;
    pd->max_queued = MAX(pd->max_queued, (uint64_t)pd->queued);
    pdisk_dispatch(disk);
}

static void pdisk_poll(void)
{
    if (!started)
        return;
    for (unsigned i = 0; i < pdisk_count(); i++) {
        vblk_poll(vblk_get(i));
        pdisk_dispatch(i);
    }
}
/* While requests are in flight, dom0 wakes every PDISK_INFLIGHT_NS even without the
 * interrupt: under -icount QEMU hands the device's completion to the machine only
 * when the vCPU thread leaves its run at a virtual timer deadline (measured in
 * docs/native-disk.md), so a deadline bounds how late a completion is seen. */
static uint64_t pdisk_deadline(void)
{
    return pdisk_inflight() ? guest_now_ns() + PDISK_INFLIGHT_NS : 0;
}
DOM0_SERVICE(pdisk, pdisk_poll, pdisk_deadline);

static void sync_done(struct pdisk_req *r)
{
    *(bool *)r->arg = true;
}

int pdisk_rw_sync(const struct pdisk_region *g, bool write, uint64_t sector, void *buf,
                  uint32_t n)
{
    static uint8_t *bounce;
    uint8_t *p = buf;

    if (!bounce && !(bounce = alloc_pages(PDISK_SYNC_PAGES)))
        return -ENOMEM;
    while (n) {
        uint32_t k = MIN(n, (uint32_t)(PDISK_SYNC_PAGES * PAGE_SIZE / 512));
        volatile bool done = false;
        struct pdisk_req r = { .write = write, .sector = sector, .nr_sectors = k,
                               .done = sync_done, .arg = (void *)&done };
        for (uint32_t off = 0; off < k * 512; off += PAGE_SIZE) {
            r.seg[r.nr_segs].maddr = virt_to_maddr(bounce + off);
            r.seg[r.nr_segs].len = MIN((uint32_t)PAGE_SIZE, k * 512 - off);
            r.nr_segs++;
        }
        if (write)
            memcpy(bounce, p, k * 512);
        int rc = pdisk_submit(g, &r);
        if (rc < 0)
            return rc;
        uint64_t deadline = guest_now_ns() + PDISK_SYNC_NS;
        while (!done) {
            if (guest_now_ns() >= deadline)
                return -ETIMEDOUT;
            dom0_block_until(deadline);
        }
        if (r.status)
            return r.status;
        if (!write)
            memcpy(p, bounce, k * 512);
        p += k * 512;
        sector += k;
        n -= k;
    }
    return 0;
}

/* For xl pdisk-list. */
void pdisk_print_list(void)
{
    printf("%-5s %12s %8s %-9s %6s %10s %12s %6s %8s %8s\n", "disk", "sectors", "MiB", "irq",
           "queue", "requests", "bytes", "errors", "inflight", "events");
    for (unsigned i = 0; i < pdisk_count(); i++) {
        struct vblk *d = vblk_get(i);
        char irq[12];
        if (vblk_irq(d) >= 0)
            snprintf(irq, sizeof(irq), "pirq%d", vblk_irq(d));
        else
            snprintf(irq, sizeof(irq), "polled");
        printf("vd%-3u %12lu %8lu %-9s %6u %10lu %12lu %6lu %8u %8lu\n", i,
               (unsigned long)vblk_sectors(d), (unsigned long)(vblk_sectors(d) >> 11), irq,
               (unsigned)VBLK_DEPTH, (unsigned long)disks[i].completed,
               (unsigned long)disks[i].bytes, (unsigned long)disks[i].errors,
               disks[i].inflight + disks[i].queued, (unsigned long)vblk_stats(d)->irqs);
    }
}
