/* dom0/pdisk.c against a fake virtio-blk (a memory disk whose completions the test
 * hands out): region checks, request validation, pdisk's own queue beyond the
 * device's depth in FIFO order, region-relative sectors kept for the owner, the
 * flush barrier, errors, and pdisk_rw_sync's bounce over several chunks. */
#include "unit.h"

#include <hvlab/errno.h>
#include "pdisk.h"
#include "service.h"
#include <virtio_blk.h>

/* ---- the fake device ---- */

#define FAKE_DEPTH 4
#define FAKE_SECTORS 4096

struct vblk {
    uint64_t sectors;
    bool readonly;
    uint8_t *data;
    struct vblk_req *inflight[FAKE_DEPTH];
    unsigned n;
    int fail_next;                      /* status for the next completion (0: ok) */
    struct vblk_stats st;
    struct vblk_req log[64];            /* copies of what the device was given, in order */
    unsigned nlog;
};

static struct vblk fake[2];
static unsigned fake_count = 2;
static uint64_t now_ns;

unsigned vblk_probe(void (*notify)(void)) { (void)notify; return fake_count; }
unsigned vblk_count(void) { return fake_count; }
struct vblk *vblk_get(unsigned i) { return i < fake_count ? &fake[i] : NULL; }
uint64_t vblk_sectors(const struct vblk *d) { return d->sectors; }
bool vblk_readonly(const struct vblk *d) { return d->readonly; }
int vblk_irq(const struct vblk *d) { (void)d; return 10; }
const struct vblk_stats *vblk_stats(const struct vblk *d) { return &d->st; }

int vblk_submit(struct vblk *d, struct vblk_req *r)
{
    if (d->n == FAKE_DEPTH)
        return -EBUSY;
    d->inflight[d->n++] = r;
    if (d->nlog < 64)
        d->log[d->nlog++] = *r;
    return 0;
}

/* Completes the i-th request in flight (its data moved), as the device would. */
static void fake_finish(struct vblk *d, unsigned i)
{
    struct vblk_req *r = d->inflight[i];
    uint64_t off = r->sector * 512;

    for (unsigned s = 0; s < r->nr_segs && !r->flush; s++) {
        void *p = (void *)(uintptr_t)r->seg[s].maddr;
        if (r->write)
            memcpy(d->data + off, p, r->seg[s].len);
        else
            memcpy(p, d->data + off, r->seg[s].len);
        off += r->seg[s].len;
    }
    r->status = d->fail_next;
    d->fail_next = 0;
    d->inflight[i] = d->inflight[--d->n];
    r->done(r);
}

/* vblk_poll: the test completes explicitly; the poll finds nothing more. */
int vblk_poll(struct vblk *d) { (void)d; return 0; }

/* ---- dom0 and runtime stubs ---- */

volatile bool dom0_service_kick;
extern const struct dom0_service __start_dom0_services[], __stop_dom0_services[];

static void services_poll(void)
{
    for (const struct dom0_service *s = __start_dom0_services; s < __stop_dom0_services; s++)
        s->poll();
}

/* dom0 waiting: the devices finish everything in flight, then the services run. */
void dom0_block_until(uint64_t deadline_ns)
{
    (void)deadline_ns;
    now_ns += 1000;
    for (unsigned k = 0; k < fake_count; k++)
        while (fake[k].n)
            fake_finish(&fake[k], 0);
    services_poll();
}

uint64_t guest_now_ns(void) { return now_ns; }
void *alloc_pages(uint64_t n) { void *p = aligned_alloc(4096, n * 4096); memset(p, 0, n * 4096); return p; }
uint64_t virt_to_maddr(const void *va) { return (uintptr_t)va; }

static void reset(void)
{
    for (unsigned k = 0; k < 2; k++) {
        free(fake[k].data);
        fake[k] = (struct vblk){ .sectors = k ? 100 : FAKE_SECTORS, .readonly = k == 1 };
        fake[k].data = calloc(fake[k].sectors, 512);
    }
}

/* ---- requests ---- */

static unsigned ndone;
static struct pdisk_req *done_order[64];

static void on_done(struct pdisk_req *r)
{
    done_order[ndone++] = r;
}

static uint8_t pages[16][4096] __attribute__((aligned(4096)));

static struct pdisk_req one_page(bool write, uint64_t sector, unsigned i)
{
    struct pdisk_req r = { .write = write, .sector = sector, .nr_sectors = 8, .nr_segs = 1,
                           .done = on_done };
    r.seg[0].maddr = (uintptr_t)pages[i];
    r.seg[0].len = 4096;
    return r;
}

static void test_regions(void)
{
    struct pdisk_region g;
    char why[96];

    reset();
    CHECK_EQ(pdisk_count(), 2);
    CHECK_EQ(pdisk_region_parse("vd0:1000+64", false, &g, why, sizeof(why)), 0);
    CHECK(g.disk == 0 && g.start == 1000 && g.sectors == 64 && !g.readonly);
    CHECK_EQ(pdisk_region_parse("vd1", false, &g, why, sizeof(why)), -EINVAL);
    CHECK_STREQ(why, "vd1: the disk is read-only");
    CHECK_EQ(pdisk_region_parse("vd1", true, &g, why, sizeof(why)), 0);
    CHECK_EQ(pdisk_region_parse("vd2", true, &g, why, sizeof(why)), -EINVAL);
    CHECK_STREQ(why, "vd2: no such disk (2 found)");
}

static void test_refusals(void)
{
    struct pdisk_region g = { 0, 1000, 64, false }, ro = { 0, 0, 64, true };
    struct pdisk_req r;

    reset();
    r = one_page(false, 57, 0);                 /* 57 + 8 > 64 */
    CHECK_EQ(pdisk_submit(&g, &r), -EINVAL);
    r = one_page(false, 0, 0);
    r.seg[0].len = 1000;                        /* not a multiple of 512 */
    CHECK_EQ(pdisk_submit(&g, &r), -EINVAL);
    r = one_page(false, 0, 0);
    r.seg[0].maddr += 512;                      /* runs past its page */
    CHECK_EQ(pdisk_submit(&g, &r), -EINVAL);
    r = one_page(false, 0, 0);
    r.nr_sectors = 7;                           /* segments say 8 */
    CHECK_EQ(pdisk_submit(&g, &r), -EINVAL);
    r = one_page(true, 0, 0);
    CHECK_EQ(pdisk_submit(&ro, &r), -EINVAL);   /* a write to a read-only region */
    r = one_page(false, 0, 0);
    r.nr_segs = 0;
    CHECK_EQ(pdisk_submit(&g, &r), -EINVAL);
    r = one_page(false, 0, 0);
    r.nr_segs = PDISK_MAX_PAGES + 1;
    CHECK_EQ(pdisk_submit(&g, &r), -EINVAL);
    CHECK_EQ(pdisk_inflight(), 0);
    CHECK_EQ(fake[0].nlog, 0);                  /* the device saw nothing */
}

/* Ten requests on a device that takes four: pdisk holds six, hands them out in
 * order as completions free slots; sectors are the region's start + the request's,
 * and the owner's request keeps its region-relative sector. */
static void test_queue(void)
{
    struct pdisk_region g = { 0, 1000, 200, false };
    struct pdisk_req r[10];

    reset();
    ndone = 0;
    for (unsigned i = 0; i < 10; i++) {
        r[i] = one_page(true, 8 * i, i);
        CHECK_EQ(pdisk_submit(&g, &r[i]), 0);
    }
    CHECK_EQ(fake[0].n, 4);
    CHECK_EQ(pdisk_inflight(), 10);
    fake_finish(&fake[0], 0);
    fake_finish(&fake[0], 0);
    CHECK_EQ(ndone, 2);
    services_poll();                            /* pdisk's poll refills the device */
    CHECK_EQ(fake[0].n, 4);
    CHECK_EQ(pdisk_inflight(), 8);
    while (pdisk_inflight())
        dom0_block_until(0);
    CHECK_EQ(ndone, 10);
    CHECK_EQ(fake[0].nlog, 10);
    for (unsigned i = 0; i < 10; i++) {
        CHECK_EQ(fake[0].log[i].sector, 1000 + 8 * i);     /* FIFO, absolute */
        CHECK_EQ(r[i].sector, 8 * i);                       /* the owner's, untouched */
        CHECK_EQ(r[i].status, 0);
    }
}

/* A flush goes to the device only once everything before it has completed; what
 * comes after it follows in order. */
static void test_flush_barrier(void)
{
    struct pdisk_region g = { 0, 0, 200, false };
    struct pdisk_req w1 = one_page(true, 0, 0), w2 = one_page(true, 8, 1);
    struct pdisk_req f = { .done = on_done }, w3 = one_page(true, 16, 2);

    reset();
    ndone = 0;
    CHECK_EQ(pdisk_submit(&g, &w1), 0);
    CHECK_EQ(pdisk_submit(&g, &w2), 0);
    CHECK_EQ(pdisk_flush(&g, &f), 0);
    CHECK_EQ(pdisk_submit(&g, &w3), 0);
    CHECK_EQ(fake[0].n, 2);                     /* the flush and w3 wait */
    fake_finish(&fake[0], 0);
    services_poll();
    CHECK_EQ(fake[0].n, 1);                     /* still one write before the flush */
    fake_finish(&fake[0], 0);
    services_poll();
    CHECK_EQ(fake[0].nlog, 4);
    CHECK(fake[0].log[2].flush && fake[0].log[2].nr_segs == 0);
    CHECK(!fake[0].log[3].flush && fake[0].log[3].sector == 16);
    while (pdisk_inflight())
        dom0_block_until(0);
    CHECK_EQ(ndone, 4);
    struct pdisk_req bad = one_page(false, 0, 0);
    CHECK_EQ(pdisk_flush(&g, &bad), -EINVAL);   /* a flush carries no segments */
}

static void test_errors(void)
{
    struct pdisk_region g = { 0, 0, 200, false };
    struct pdisk_req r = one_page(false, 0, 0);

    reset();
    ndone = 0;
    CHECK_EQ(pdisk_submit(&g, &r), 0);
    fake[0].fail_next = -EIO;
    dom0_block_until(0);
    CHECK_EQ(ndone, 1);
    CHECK_EQ(r.status, -EIO);
    CHECK_EQ(pdisk_inflight(), 0);
}

/* 100 sectors at an odd address and sector: several bounce chunks each way. */
static void test_rw_sync(void)
{
    struct pdisk_region g = { 0, 300, 1000, false };
    static uint8_t buf[100 * 512 + 1], back[100 * 512 + 1];

    reset();
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    CHECK_EQ(pdisk_rw_sync(&g, true, 5, buf + 1, 100), 0);
    CHECK(memcmp(fake[0].data + (300 + 5) * 512, buf + 1, 100 * 512) == 0);
    CHECK(fake[0].data[(305 + 100) * 512] == 0);            /* nothing past the end */
    CHECK(fake[0].nlog >= 2);                               /* more than one chunk */
    CHECK_EQ(pdisk_rw_sync(&g, false, 5, back + 1, 100), 0);
    CHECK(memcmp(back + 1, buf + 1, 100 * 512) == 0);
    CHECK_EQ(pdisk_rw_sync(&g, false, 950, back, 100), -EINVAL);    /* past the region */
}

static const struct unit_case cases[] = {
    { "regions: disks, read-only disks, errors", test_regions },
    { "refused requests reach no device and leave nothing queued", test_refusals },
    { "queue beyond the device's depth: FIFO, absolute sectors, owner's untouched", test_queue },
    { "a flush waits for every earlier request", test_flush_barrier },
    { "a device error reaches the request", test_errors },
    { "rw_sync over several bounce chunks, unaligned", test_rw_sync },
};
UNIT_MAIN(cases)
