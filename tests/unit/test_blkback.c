/* blkback's ring and request logic (dom0/blkback_core.c) against a fake grant layer
 * (grants per granter, device maps counted per frame) and a fake pdisk (a disk in
 * memory, completions when the test says): data reaches the region at its offset
 * and comes back; every refusal of public/io/blkif.h gets BLKIF_RSP_ERROR without
 * a grant left mapped or a disk request made; a bad producer index closes that
 * device only; at most a ring of requests in flight; a flush waits for what came
 * before it; a device stopped mid-request drops its completions and unmaps every
 * grant. The test plays the frontend on the shared page itself. */
#include "unit.h"
#include "blkback.h"
#include "service.h"

/* ---- fake grant layer: domains 1..7, refs 0..63 each ---- */

#define NDOM  8
#define NREF  64
#define NHAND 256

struct fgrant {
    bool valid, readonly;
    hv_domid_t grantee;
    uint8_t *page;
};
static struct fgrant grants[NDOM][NREF];
static struct { bool used; hv_domid_t dom; grant_ref_t ref; } handles[NHAND];
static unsigned maps_held, maps_tried;

int gnttab_map(hv_domid_t dom, grant_ref_t ref, bool readonly, void *va,
               grant_handle_t *handle, uint64_t *maddr)
{
    maps_tried++;
    CHECK(va == NULL);                  /* device maps only: no dom0 mapping */
    if (dom == 0 || dom >= NDOM)
        return GNTST_bad_domain;
    if (ref >= NREF || !grants[dom][ref].valid || grants[dom][ref].grantee != 0)
        return GNTST_bad_gntref;
    if (!readonly && grants[dom][ref].readonly)
        return GNTST_bad_gntref;
    for (unsigned h = 0; h < NHAND; h++) {
        if (!handles[h].used) {
            handles[h].used = true;
            handles[h].dom = dom;
            handles[h].ref = ref;
            *handle = h;
            *maddr = (uint64_t)(uintptr_t)grants[dom][ref].page;
            maps_held++;
            return GNTST_okay;
        }
    }
    return GNTST_no_space;
}

int gnttab_unmap(void *va, grant_handle_t handle)
{
    CHECK(va == NULL);
    if (handle >= NHAND || !handles[handle].used)
        return GNTST_bad_handle;
    handles[handle].used = false;
    maps_held--;
    return GNTST_okay;
}

/* ---- fake pdisk: one disk of 1024 sectors; completions on demand ---- */

#define DISK_SECTORS 1024
static uint8_t disk[DISK_SECTORS * 512];
static struct pdisk_req *queued[64];
static unsigned nr_queued, submits;

int pdisk_submit(const struct pdisk_region *g, struct pdisk_req *r)
{
    uint64_t bytes = 0;

    submits++;
    for (unsigned i = 0; i < r->nr_segs; i++) {
        CHECK(r->seg[i].len % 512 == 0 && r->seg[i].len > 0);
        CHECK((r->seg[i].maddr & 4095) + r->seg[i].len <= 4096);
        bytes += r->seg[i].len;
    }
    CHECK_EQ(bytes, r->nr_sectors * 512ULL);
    if (r->sector + r->nr_sectors > g->sectors || g->start + g->sectors > DISK_SECTORS)
        return -EINVAL;
    r->next = (struct pdisk_req *)(uintptr_t)(g->start);   /* where, for completion */
    queued[nr_queued++] = r;
    return 0;
}

/* Completes the oldest queued request (its DMA happens now). */
static void disk_complete_one(int status)
{
    struct pdisk_req *r = queued[0];
    uint8_t *at = disk + ((uintptr_t)r->next + r->sector) * 512;

    memmove(queued, queued + 1, --nr_queued * sizeof(queued[0]));
    for (unsigned i = 0; i < r->nr_segs && !status; i++) {
        uint8_t *page = (uint8_t *)(uintptr_t)r->seg[i].maddr;

        if (r->write)
            memcpy(at, page, r->seg[i].len);
        else
            memcpy(page, at, r->seg[i].len);
        at += r->seg[i].len;
    }
    r->status = status;
    r->done(r);
}

static void disk_complete_all(void)
{
    while (nr_queued)
        disk_complete_one(0);
}

/* ---- event channels and the service kick ---- */

volatile bool dom0_service_kick;
static unsigned notifies;

int evtchn_send(evtchn_port_t port)
{
    (void)port;
    notifies++;
    return 0;
}

/* ---- the test's frontend ---- */

static uint8_t pages[NDOM][NREF][4096] __attribute__((aligned(4096)));
static uint8_t rings[2][4096] __attribute__((aligned(4096)));

struct front {
    struct blkif_front_ring ring;
    struct blkback_dev dev;
};
static struct front fronts[2];

static void grant(hv_domid_t dom, grant_ref_t ref, hv_domid_t to, bool ro)
{
    grants[dom][ref] = (struct fgrant){ true, ro, to, pages[dom][ref] };
}

/* A fresh world: device i of domain dom, region start+sectors of the disk. */
static struct front *front_new(unsigned i, hv_domid_t dom, uint64_t start,
                               uint64_t sectors, bool ro)
{
    struct front *f = &fronts[i];
    struct blkif_sring *s = (struct blkif_sring *)rings[i];

    memset(s, 0, 4096);
    memset(f, 0, sizeof(*f));
    FRONT_RING_INIT(&f->ring, s);
    f->dev.used = true;
    f->dev.dom = dom;
    f->dev.devid = 51712;
    strcpy(f->dev.vdev, "xvda");
    f->dev.region = (struct pdisk_region){ 0, start, sectors, ro };
    blkback_core_attach(&f->dev, s);
    return f;
}

static void reset(void)
{
    memset(grants, 0, sizeof(grants));
    memset(handles, 0, sizeof(handles));
    maps_held = maps_tried = submits = nr_queued = notifies = 0;
    memset(disk, 0, sizeof(disk));
}

/* Queues a request (not yet pushed); its slot to fill further. */
static struct blkif_request *req_add(struct front *f, uint8_t op, uint64_t id,
                                     uint64_t sector, unsigned nseg)
{
    struct blkif_request *r = RING_REQ_SLOT(&f->ring, f->ring.req_prod_pvt++);

    memset(r, 0, sizeof(*r));
    r->operation = op;
    r->id = id;
    r->handle = 51712;
    r->sector_number = sector;
    r->nr_segments = (uint8_t)nseg;
    return r;
}

static void seg(struct blkif_request *r, unsigned i, grant_ref_t ref, unsigned first,
                unsigned last)
{
    r->seg[i].gref = ref;
    r->seg[i].first_sect = (uint8_t)first;
    r->seg[i].last_sect = (uint8_t)last;
}

static void push(struct front *f)
{
    bool notify;

    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f->ring, notify);
    (void)notify;
}

/* The next response, or status 99 if there is none. */
static struct blkif_response next_rsp(struct front *f)
{
    struct blkif_response r = { .status = 99 };

    if (f->ring.rsp_cons != f->ring.sring->h.rsp_prod)
        r = *RING_RSP_SLOT(&f->ring, f->ring.rsp_cons++);
    return r;
}

/* ---- cases ---- */

static void test_write_read(void)
{
    struct front *f;
    struct blkif_request *r;
    struct blkif_response rsp;

    reset();
    f = front_new(0, 3, 100, 200, false);
    for (unsigned i = 0; i < 4096; i++) {
        pages[3][10][i] = (uint8_t)(i * 7 + 1);
        pages[3][11][i] = (uint8_t)(i * 13 + 5);
    }
    grant(3, 10, 0, true);              /* a write's pages may be read-only grants */
    grant(3, 11, 0, true);
    /* Sectors 5.. of the disk: page 10's sectors 2..7, then page 11's 0..1. */
    r = req_add(f, BLKIF_OP_WRITE, 77, 5, 2);
    seg(r, 0, 10, 2, 7);
    seg(r, 1, 11, 0, 1);
    push(f);
    CHECK_EQ(blkback_core_serve(&f->dev), 1);
    CHECK_EQ(maps_held, 2);
    CHECK_EQ(f->dev.inflight, 1);
    CHECK_EQ(next_rsp(f).status, 99);   /* not before the disk completed */
    disk_complete_all();
    CHECK_EQ(maps_held, 0);             /* unmapped before the answer */
    rsp = next_rsp(f);
    CHECK_EQ(rsp.id, 77);
    CHECK_EQ(rsp.operation, BLKIF_OP_WRITE);
    CHECK_EQ(rsp.status, BLKIF_RSP_OKAY);
    CHECK(memcmp(disk + (100 + 5) * 512, pages[3][10] + 2 * 512, 6 * 512) == 0);
    CHECK(memcmp(disk + (100 + 11) * 512, pages[3][11], 2 * 512) == 0);
    CHECK_EQ(disk[(100 + 5) * 512 - 1], 0);   /* nothing before the region offset */
    CHECK_EQ(disk[(100 + 13) * 512], 0);      /* nor after */
    CHECK_EQ(f->dev.sectors_wr, 8);

    /* Read the same 8 sectors back into one whole page. */
    grant(3, 12, 0, false);
    r = req_add(f, BLKIF_OP_READ, 78, 5, 1);
    seg(r, 0, 12, 0, 7);
    push(f);
    blkback_core_serve(&f->dev);
    disk_complete_all();
    rsp = next_rsp(f);
    CHECK_EQ(rsp.id, 78);
    CHECK_EQ(rsp.status, BLKIF_RSP_OKAY);
    CHECK(memcmp(pages[3][12], pages[3][10] + 2 * 512, 6 * 512) == 0);
    CHECK(memcmp(pages[3][12] + 6 * 512, pages[3][11], 2 * 512) == 0);
    CHECK_EQ(maps_held, 0);
    CHECK_EQ(f->dev.inflight, 0);
    /* The frontend asked for one event (rsp_event 1) and never again. */
    CHECK_EQ(notifies, 1);
}

static void test_refusals(void)
{
    static const struct {
        const char *name;
        uint8_t op;
        unsigned nseg;
        uint64_t sector;
        grant_ref_t ref;
        unsigned first, last;
        uint16_t handle;
        unsigned maps_tried;            /* grants the check got to (none for a rule) */
    } rows[] = {
        { "unknown operation",        7, 1, 0, 20, 0, 7, 51712, 0 },
        { "operation 2",              2, 1, 0, 20, 0, 7, 51712, 0 },
        { "no segments",              BLKIF_OP_READ, 0, 0, 20, 0, 7, 51712, 0 },
        { "12 segments",              BLKIF_OP_READ, 12, 0, 20, 0, 0, 51712, 0 },
        { "255 segments",             BLKIF_OP_WRITE, 255, 0, 20, 0, 0, 51712, 0 },
        { "first_sect > last_sect",   BLKIF_OP_READ, 1, 0, 20, 5, 4, 51712, 0 },
        { "last_sect 8",              BLKIF_OP_READ, 1, 0, 20, 0, 8, 51712, 0 },
        { "last_sect 255",            BLKIF_OP_WRITE, 1, 0, 20, 0, 255, 51712, 0 },
        { "past the end",             BLKIF_OP_READ, 1, 60, 20, 0, 7, 51712, 0 },
        { "last sector past the end", BLKIF_OP_READ, 1, 57, 20, 0, 7, 51712, 0 },
        { "sector at the end",        BLKIF_OP_WRITE, 1, 64, 20, 0, 0, 51712, 0 },
        { "sector wraps",             BLKIF_OP_READ, 1, UINT64_MAX - 2, 20, 0, 7, 51712, 0 },
        { "flush with a segment",     BLKIF_OP_FLUSH, 1, 0, 20, 0, 7, 51712, 0 },
        { "another device's handle",  BLKIF_OP_READ, 1, 0, 20, 0, 7, 51728, 0 },
        { "ungranted ref",            BLKIF_OP_READ, 1, 0, 30, 0, 7, 51712, 1 },
        { "ref past the table",       BLKIF_OP_READ, 1, 0, 5000, 0, 7, 51712, 1 },
        { "granted to domain 5",      BLKIF_OP_WRITE, 1, 0, 21, 0, 7, 51712, 1 },
        { "read into a r/o grant",    BLKIF_OP_READ, 1, 0, 22, 0, 7, 51712, 1 },
        { "second segment bad",       BLKIF_OP_READ, 2, 0, 20, 0, 7, 51712, 2 },
    };
    struct front *f;

    reset();
    f = front_new(0, 3, 0, 64, false);
    grant(3, 20, 0, false);
    grant(3, 21, 5, false);
    grant(3, 22, 0, true);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct blkif_request *r = req_add(f, rows[i].op, 1000 + i, rows[i].sector,
                                          rows[i].nseg);
        struct blkif_response rsp;
        unsigned tried = maps_tried;

        for (unsigned s = 0; s < rows[i].nseg && s < BLKIF_MAX_SEGMENTS; s++)
            seg(r, s, rows[i].ref, rows[i].first, rows[i].last);
        if (rows[i].nseg == 2)
            seg(r, 1, 31, 0, 7);        /* the first maps, the second does not */
        r->handle = rows[i].handle;
        push(f);
        CHECK_EQ(blkback_core_serve(&f->dev), 1);
        rsp = next_rsp(f);
        if (rsp.status != BLKIF_RSP_ERROR || maps_tried - tried != rows[i].maps_tried)
            printf("    %s: status %d, %u grants tried\n", rows[i].name, rsp.status,
                   maps_tried - tried);
        CHECK_EQ(rsp.status, BLKIF_RSP_ERROR);
        CHECK_EQ(rsp.id, 1000 + i);
        CHECK_EQ(rsp.operation, rows[i].op);
        CHECK_EQ(maps_tried - tried, rows[i].maps_tried);
        CHECK_EQ(maps_held, 0);
        CHECK_EQ(f->dev.inflight, 0);
    }
    CHECK_EQ(submits, 0);
    CHECK_EQ(f->dev.conn, BLKBACK_CONNECTED);   /* refusals do not close the device */
    CHECK_EQ(f->dev.reqs_err, sizeof(rows) / sizeof(rows[0]));

    /* A write to a read-only disk, and a good request after every refusal. */
    reset();
    f = front_new(0, 3, 0, 64, true);
    grant(3, 20, 0, false);
    seg(req_add(f, BLKIF_OP_WRITE, 1, 0, 1), 0, 20, 0, 7);
    seg(req_add(f, BLKIF_OP_READ, 2, 0, 1), 0, 20, 0, 7);
    push(f);
    blkback_core_serve(&f->dev);
    CHECK_EQ(next_rsp(f).status, BLKIF_RSP_ERROR);
    disk_complete_all();
    CHECK_EQ(next_rsp(f).status, BLKIF_RSP_OKAY);
    CHECK_EQ(submits, 1);
}

/* pdisk refusing or failing a request: an error answer, grants unmapped. */
static void test_disk_errors(void)
{
    struct front *f;

    reset();
    f = front_new(0, 3, 1000, 64, false);       /* the region is past the fake disk */
    grant(3, 20, 0, false);
    seg(req_add(f, BLKIF_OP_READ, 1, 0, 1), 0, 20, 0, 7);
    push(f);
    blkback_core_serve(&f->dev);
    CHECK_EQ(next_rsp(f).status, BLKIF_RSP_ERROR);
    CHECK_EQ(maps_held, 0);
    CHECK_EQ(f->dev.inflight, 0);

    f = front_new(0, 3, 0, 64, false);
    seg(req_add(f, BLKIF_OP_READ, 2, 0, 1), 0, 20, 0, 7);
    push(f);
    blkback_core_serve(&f->dev);
    disk_complete_one(-5);
    CHECK_EQ(next_rsp(f).status, BLKIF_RSP_ERROR);
    CHECK_EQ(maps_held, 0);
}

static void test_bad_index_closes_one(void)
{
    struct front *evil, *good;

    reset();
    evil = front_new(0, 3, 0, 64, false);
    good = front_new(1, 4, 64, 64, false);
    grant(3, 20, 0, false);
    grant(4, 20, 0, false);
    seg(req_add(evil, BLKIF_OP_READ, 1, 0, 1), 0, 20, 0, 7);
    push(evil);
    blkback_core_serve(&evil->dev);
    /* A producer index far ahead: nothing read past it, the device closes. */
    evil->ring.sring->h.req_prod += 1000;
    CHECK_EQ(blkback_core_serve(&evil->dev), 0);
    CHECK_EQ(evil->dev.conn, BLKBACK_BROKEN);
    CHECK_EQ(blkback_core_serve(&evil->dev), 0);
    /* The bystander is served; the broken device's request in flight completes
     * and is answered (its grant unmapped). */
    seg(req_add(good, BLKIF_OP_READ, 9, 0, 1), 0, 20, 0, 7);
    push(good);
    CHECK_EQ(blkback_core_serve(&good->dev), 1);
    disk_complete_all();
    CHECK_EQ(next_rsp(good).status, BLKIF_RSP_OKAY);
    CHECK_EQ(next_rsp(evil).status, BLKIF_RSP_OKAY);
    CHECK_EQ(maps_held, 0);

    /* Behind the consumer is as bad as far ahead. */
    evil = front_new(0, 3, 0, 64, false);
    evil->ring.sring->h.req_prod = (ring_idx_t)-1;
    CHECK_EQ(blkback_core_serve(&evil->dev), 0);
    CHECK_EQ(evil->dev.conn, BLKBACK_BROKEN);
}

static void test_inflight_limit(void)
{
    struct front *f;
    unsigned answered, taken;

    reset();
    f = front_new(0, 3, 0, 512, false);
    grant(3, 20, 0, false);
    for (unsigned i = 0; i < 32; i++)
        seg(req_add(f, BLKIF_OP_READ, i, i * 8, 1), 0, 20, 0, 7);
    push(f);
    CHECK_EQ(blkback_core_serve(&f->dev), 32);
    CHECK_EQ(f->dev.inflight, 32);
    /* A frontend that queues more than a ring (overwriting its own unanswered
     * slots, which our answers overwrite in turn) gets them taken only as slots
     * free: never more in flight, and every one answered. */
    f->ring.req_prod_pvt += 5;
    push(f);
    CHECK_EQ(blkback_core_serve(&f->dev), 0);
    disk_complete_one(0);
    CHECK(f->dev.kick);
    taken = blkback_core_serve(&f->dev);
    CHECK(taken >= 1 && taken <= 5);
    CHECK(f->dev.inflight <= 32);
    disk_complete_all();
    taken += blkback_core_serve(&f->dev);
    CHECK(f->dev.inflight <= 32);
    disk_complete_all();
    CHECK_EQ(taken, 5);
    CHECK_EQ(f->dev.inflight, 0);
    answered = (unsigned)(f->ring.sring->h.rsp_prod - f->ring.rsp_cons);
    CHECK_EQ(answered, 37);
    CHECK_EQ(maps_held, 0);
}

static void test_flush_orders(void)
{
    struct front *f;
    struct blkif_response rsp;

    reset();
    f = front_new(0, 3, 0, 64, false);
    grant(3, 20, 0, false);
    seg(req_add(f, BLKIF_OP_WRITE, 1, 0, 1), 0, 20, 0, 7);
    req_add(f, BLKIF_OP_FLUSH, 2, 0, 0);
    seg(req_add(f, BLKIF_OP_WRITE, 3, 8, 1), 0, 20, 0, 7);
    push(f);
    CHECK_EQ(blkback_core_serve(&f->dev), 2);   /* the write after waits */
    CHECK_EQ(nr_queued, 1);
    disk_complete_all();
    CHECK_EQ(next_rsp(f).id, 1);
    CHECK_EQ(blkback_core_serve(&f->dev), 1);
    rsp = next_rsp(f);
    CHECK_EQ(rsp.id, 2);
    CHECK_EQ(rsp.operation, BLKIF_OP_FLUSH);
    CHECK_EQ(rsp.status, BLKIF_RSP_OKAY);
    disk_complete_all();
    CHECK_EQ(next_rsp(f).id, 3);
    /* A flush with nothing in flight is answered at once. */
    req_add(f, BLKIF_OP_FLUSH, 4, 0, 0);
    push(f);
    blkback_core_serve(&f->dev);
    CHECK_EQ(next_rsp(f).id, 4);
}

static void test_stop_mid_request(void)
{
    struct front *f;
    ring_idx_t rsp_prod;

    reset();
    f = front_new(0, 3, 0, 64, false);
    grant(3, 20, 0, false);
    grant(3, 21, 0, false);
    seg(req_add(f, BLKIF_OP_READ, 1, 0, 1), 0, 20, 0, 7);
    seg(req_add(f, BLKIF_OP_WRITE, 2, 8, 1), 0, 21, 0, 7);
    push(f);
    blkback_core_serve(&f->dev);
    CHECK_EQ(maps_held, 2);
    rsp_prod = f->ring.sring->h.rsp_prod;
    /* The domain dies: its grants stay mapped while the disk may still DMA. */
    blkback_core_stop(&f->dev);
    CHECK_EQ(maps_held, 2);
    CHECK_EQ(blkback_core_serve(&f->dev), 0);
    disk_complete_all();
    CHECK_EQ(maps_held, 0);
    CHECK_EQ(f->dev.inflight, 0);
    CHECK_EQ(f->dev.dropped, 2);
    CHECK_EQ(f->ring.sring->h.rsp_prod, rsp_prod);  /* nothing written to the ring */
}

/* The backend notifies only when the frontend asked (rsp_event), and the frontend's
 * req_event is set again before the backend goes idle. */
static void test_notify(void)
{
    struct front *f;

    reset();
    f = front_new(0, 3, 0, 64, false);
    grant(3, 20, 0, false);
    f->ring.sring->h.rsp_event = 1000;          /* the frontend polls, wants none */
    seg(req_add(f, BLKIF_OP_READ, 1, 0, 1), 0, 20, 0, 7);
    push(f);
    blkback_core_serve(&f->dev);
    CHECK_EQ(f->ring.sring->h.req_event, f->dev.ring.req_cons + 1);
    disk_complete_all();
    CHECK_EQ(notifies, 0);
    f->ring.sring->h.rsp_event = f->ring.sring->h.rsp_prod + 1;
    seg(req_add(f, BLKIF_OP_READ, 2, 0, 1), 0, 20, 0, 7);
    push(f);
    blkback_core_serve(&f->dev);
    disk_complete_all();
    CHECK_EQ(notifies, 1);
}

static const struct unit_case cases[] = {
    { "write_read", test_write_read },
    { "refusals", test_refusals },
    { "disk_errors", test_disk_errors },
    { "bad_index_closes_one", test_bad_index_closes_one },
    { "inflight_limit", test_inflight_limit },
    { "flush_orders", test_flush_orders },
    { "stop_mid_request", test_stop_mid_request },
    { "notify", test_notify },
};
UNIT_MAIN(cases)
