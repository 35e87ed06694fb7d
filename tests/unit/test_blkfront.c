/* blkfront (guest/blkfront.c) on the host, against a fake store (a backend dir that
 * is already in InitWait, then Connected), fake grants and event channels; the test
 * plays the backend on the ring page. Checks the handshake's keys, what submit
 * refuses (sizes, alignment, the disk's end, writes to a read-only disk, a full ring,
 * a closing device), the request it puts on the ring (one segment, read-only grant
 * for a write), completions (grant ended, status, counters), and a backend that
 * misbehaves: an answer with an id we did not send is ignored and counted, a response
 * index past our requests fails everything in flight (-EIO) and the device. */
#include "unit.h"
#include <blkfront.h>
#include <gnttab.h>
#include <store.h>

/* ---- fake store: one device, 51712, backend dir in dom0 ---- */

static char fe_ring_ref[16], fe_evtchn[16];
static enum bus_state fe_state, be_state;
static bool be_readonly, watch_set;
static uint64_t be_sectors = 1000;

long store_list(const char *path, char *buf, size_t len)
{
    CHECK_STREQ(path, "device/vbd");
    snprintf(buf, len, "51712");
    return 1;
}

long store_read(const char *path, char *buf, size_t len)
{
    if (!strcmp(path, "device/vbd/51712/backend"))
        return snprintf(buf, len, "/local/domain/0/backend/vbd/3/51712");
    if (!strcmp(path, "/local/domain/0/backend/vbd/3/51712/mode"))
        return snprintf(buf, len, "%s", be_readonly ? "r" : "w");
    return -ENOENT;
}

int store_read_uint(const char *path, uint64_t *val)
{
    if (!strcmp(path, "device/vbd/51712/backend-id"))
        *val = 0;
    else if (!strcmp(path, "/local/domain/0/backend/vbd/3/51712/sectors"))
        *val = be_sectors;
    else
        return -ENOENT;
    return 0;
}

int store_printf(const char *path, const char *fmt, ...)
{
    va_list ap;
    char *dst = !strcmp(path, "device/vbd/51712/ring-ref") ? fe_ring_ref :
                !strcmp(path, "device/vbd/51712/event-channel") ? fe_evtchn : NULL;

    CHECK(dst != NULL);
    if (!dst)
        return -EACCES;
    va_start(ap, fmt);
    vsnprintf(dst, 16, fmt, ap);
    va_end(ap);
    return 0;
}

int bus_set_state(const char *dir, enum bus_state s)
{
    CHECK_STREQ(dir, "device/vbd/51712");
    fe_state = s;
    /* The backend connects as soon as the frontend is Initialised. */
    if (s == BUS_INITIALISED)
        be_state = BUS_CONNECTED;
    return 0;
}

enum bus_state bus_read_state(const char *dir)
{
    return !strcmp(dir, "/local/domain/0/backend/vbd/3/51712") ? be_state : fe_state;
}

int bus_wait_state(const char *dir, unsigned mask, uint64_t deadline_ns)
{
    (void)deadline_ns;
    CHECK_STREQ(dir, "/local/domain/0/backend/vbd/3/51712");
    return mask & (1u << be_state) ? (int)be_state : -ETIMEDOUT;
}

static bool event_queued;
int store_watch(const char *path, const char *token)
{
    (void)token;
    CHECK_STREQ(path, "/local/domain/0/backend/vbd/3/51712/state");
    watch_set = true;
    return 0;
}
int store_unwatch(const char *path, const char *token)
{
    (void)path;
    (void)token;
    watch_set = false;
    return 0;
}
bool store_event_pending(void) { return event_queued; }
int store_wait_event(char *path, size_t plen, char *token, size_t tlen, uint64_t deadline_ns)
{
    (void)deadline_ns;
    event_queued = false;
    snprintf(path, plen, "x");
    snprintf(token, tlen, "blkfront");
    return 0;
}

/* ---- fake grants and event channels ---- */

#define NREF 64
static struct { bool used, readonly; const void *va; hv_domid_t to; } grants[NREF];
static int busy_ref = -1;               /* a grant the backend still maps */
static unsigned sends;

int gnttab_grant(hv_domid_t dom, const void *va, bool readonly)
{
    for (int r = 8; r < NREF; r++) {
        if (!grants[r].used) {
            grants[r].used = true;
            grants[r].readonly = readonly;
            grants[r].va = va;
            grants[r].to = dom;
            return r;
        }
    }
    return -ENOSPC;
}

int gnttab_end(grant_ref_t ref)
{
    CHECK(ref < NREF && grants[ref].used);
    if ((int)ref == busy_ref)
        return -EBUSY;
    grants[ref].used = false;
    return 0;
}

static unsigned grants_in_use(void)
{
    unsigned n = 0;

    for (int r = 0; r < NREF; r++)
        n += grants[r].used;
    return n;
}

int evtchn_alloc_unbound(hv_domid_t remote, evtchn_handler_t h, void *arg)
{
    (void)remote;
    (void)h;
    (void)arg;
    return 7;
}
int evtchn_send(evtchn_port_t port)
{
    CHECK_EQ(port, 7);
    sends++;
    return 0;
}
int evtchn_close(evtchn_port_t port)
{
    (void)port;
    return 0;
}

/* ---- the rest of the runtime blkfront uses ---- */

static uint8_t ring_page[4096] __attribute__((aligned(4096)));
static bool ring_taken;
void *alloc_page(void)
{
    CHECK(!ring_taken);
    ring_taken = true;
    memset(ring_page, 0, sizeof(ring_page));
    return ring_page;
}
void free_page(void *va)
{
    CHECK(va == ring_page);
    ring_taken = false;
}
const struct start_info *start_info;    /* guest/lib.c's guest_arg reads it */
static struct blkdev *registered;
void blkdev_register(struct blkdev *d) { registered = d; }
uint64_t guest_now_ns(void) { return 0; }

/* ---- the test's backend ---- */

static uint8_t bufs[40][4096] __attribute__((aligned(4096)));
static struct blkreq reqs[40];
static unsigned completed;

static void done(struct blkreq *r)
{
    (void)r;
    completed++;
}

static struct blkif_sring *sring(void) { return (struct blkif_sring *)ring_page; }

static void answer(uint64_t id, uint8_t op, int16_t status)
{
    struct blkif_sring *s = sring();
    struct blkif_response *rsp = &s->ring[s->h.rsp_prod & 31].rsp;

    rsp->id = id;
    rsp->operation = op;
    rsp->status = status;
    s->h.rsp_prod++;
}

static struct blkreq *req(unsigned i, bool write, uint64_t sector, uint32_t n)
{
    struct blkreq *r = &reqs[i];

    memset(r, 0, sizeof(*r));
    r->write = write;
    r->sector = sector;
    r->nr_sectors = n;
    r->buf = bufs[i];
    r->done = done;
    return r;
}

static struct blkdev *connect_one(bool readonly)
{
    memset(grants, 0, sizeof(grants));
    be_state = BUS_INIT_WAIT;
    be_readonly = readonly;
    registered = NULL;
    ring_taken = false;
    CHECK_EQ(blkfront_probe(), 1);
    return registered;
}

static void test_connect(void)
{
    struct blkdev *d;

    /* blkfront keeps its devices in a static table: one probe per process. */
    d = connect_one(false);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_STREQ(d->name, "xvda");
    CHECK_EQ(d->sectors, 1000);
    CHECK_EQ(d->max_inflight, 32);
    CHECK(!d->readonly && !d->polled);
    CHECK_EQ(fe_state, BUS_CONNECTED);
    CHECK_STREQ(fe_ring_ref, "8");              /* the first grant: the ring page */
    CHECK(grants[8].used && !grants[8].readonly && grants[8].va == ring_page);
    CHECK_STREQ(fe_evtchn, "7");
    CHECK(watch_set);
    CHECK(blkfront_of(d) != NULL);
}

static void test_submit_and_complete(void)
{
    struct blkdev *d = registered;
    struct blkif_request *rq;
    struct blkreq *r;

    if (!d)
        return;
    /* Refusals: nothing granted, nothing on the ring. */
    CHECK_EQ(blkdev_submit(d, req(0, false, 0, 0)), -EINVAL);
    CHECK_EQ(blkdev_submit(d, req(0, false, 0, 9)), -EINVAL);
    r = req(0, false, 0, 8);
    r->buf = bufs[0] + 512;
    CHECK_EQ(blkdev_submit(d, r), -EINVAL);
    CHECK_EQ(blkdev_submit(d, req(0, false, 993, 8)), -EINVAL);
    CHECK_EQ(blkdev_submit(d, req(0, false, 1000, 1)), -EINVAL);
    CHECK_EQ(blkdev_submit(d, req(0, false, UINT64_MAX, 1)), -EINVAL);
    CHECK_EQ(sring()->h.req_prod, 0);
    CHECK_EQ(grants_in_use(), 1);

    /* A write: one segment of the page, granted read-only to dom0. */
    CHECK_EQ(blkdev_submit(d, req(0, true, 992, 8)), 0);
    rq = &sring()->ring[0].req;
    CHECK_EQ(sring()->h.req_prod, 1);
    CHECK_EQ(rq->operation, BLKIF_OP_WRITE);
    CHECK_EQ(rq->nr_segments, 1);
    CHECK_EQ(rq->handle, 51712);
    CHECK_EQ(rq->sector_number, 992);
    CHECK_EQ(rq->seg[0].first_sect, 0);
    CHECK_EQ(rq->seg[0].last_sect, 7);
    CHECK(grants[rq->seg[0].gref].used && grants[rq->seg[0].gref].readonly &&
          grants[rq->seg[0].gref].va == bufs[0] && grants[rq->seg[0].gref].to == 0);
    CHECK_EQ(sends, 1);                         /* the backend asked (req_event 1) */
    /* A read of 3 sectors: writable grant. */
    CHECK_EQ(blkdev_submit(d, req(1, false, 5, 3)), 0);
    rq = &sring()->ring[1].req;
    CHECK_EQ(rq->operation, BLKIF_OP_READ);
    CHECK_EQ(rq->seg[0].last_sect, 2);
    CHECK(!grants[rq->seg[0].gref].readonly);
    CHECK_EQ(grants_in_use(), 3);

    /* Answers in any order; each ends its grant and completes its request. */
    completed = 0;
    answer(sring()->ring[1].req.id, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    answer(sring()->ring[0].req.id, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
    CHECK_EQ(blkdev_poll(d), 2);
    CHECK_EQ(completed, 2);
    CHECK_EQ(reqs[0].status, -EIO);
    CHECK_EQ(reqs[1].status, 0);
    CHECK_EQ(d->reqs_done, 1);
    CHECK_EQ(d->bytes_done, 3 * 512);
    CHECK_EQ(grants_in_use(), 1);
    /* The frontend asked to be told of the next answer. */
    CHECK_EQ(sring()->h.rsp_event, sring()->h.rsp_prod + 1);
}

static void test_full_ring_and_bad_ids(void)
{
    struct blkdev *d = registered;
    struct blkfront *f = blkfront_of(d);

    if (!d)
        return;
    for (unsigned i = 0; i < 32; i++)
        CHECK_EQ(blkdev_submit(d, req(i, false, i * 8, 8)), 0);
    CHECK_EQ(blkdev_submit(d, req(32, false, 0, 8)), -EBUSY);
    CHECK_EQ(f->inflight, 32);
    /* Ids we did not send: ignored, counted (they still use up answer slots). */
    answer(40, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    answer(1ULL << 40, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    for (unsigned i = 0; i < 30; i++)
        answer(i, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    completed = 0;
    CHECK_EQ(blkdev_poll(d), 30);
    CHECK_EQ(f->bad_responses, 2);
    CHECK_EQ(f->inflight, 2);
    /* Two more requests (slots 0 and 1 again): room for two answers; one is for a
     * slot already answered (3), ignored too. */
    CHECK_EQ(blkdev_submit(d, req(32, false, 0, 8)), 0);
    CHECK_EQ(blkdev_submit(d, req(33, false, 0, 8)), 0);
    answer(3, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    answer(30, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    CHECK_EQ(blkdev_poll(d), 1);
    CHECK_EQ(f->bad_responses, 3);
    CHECK_EQ(f->inflight, 3);
    CHECK_EQ(grants_in_use(), 4);
}

static void test_bad_response_index(void)
{
    struct blkdev *d = registered;
    struct blkfront *f = blkfront_of(d);

    if (!d)
        return;
    CHECK_EQ(blkdev_submit(d, req(36, false, 0, 8)), 0);
    CHECK_EQ(blkdev_submit(d, req(37, true, 8, 8)), 0);
    completed = 0;
    /* An index far past what we sent: nothing is read from the slots; the 5 in
     * flight (3 from the previous case) fail. */
    sring()->h.rsp_prod += 100;
    CHECK_EQ(blkdev_poll(d), 0);
    CHECK_EQ(completed, 5);
    CHECK_EQ(reqs[36].status, -EIO);
    CHECK_EQ(reqs[37].status, -EIO);
    CHECK_EQ(reqs[31].status, -EIO);
    CHECK_EQ(f->inflight, 0);
    CHECK_EQ(grants_in_use(), 0);       /* the ring's too: the device is closed */
    CHECK_EQ(fe_state, BUS_CLOSED);
    CHECK(!watch_set);
    CHECK(f->closed);
    CHECK_EQ(blkdev_submit(d, req(2, false, 0, 8)), -EIO);
}

static void test_detach(void)
{
    struct blkdev *d;
    struct blkfront *f;

    /* blkfront's device table is static (one probe per process): the device the
     * previous case failed is revived by hand. */
    d = registered;
    f = blkfront_of(d);
    if (!d)
        return;
    f->closed = f->closing = false;
    fe_state = BUS_CONNECTED;
    f->ring_granted = true;
    grants[f->ring_ref].used = true;
    ring_taken = true;
    sring()->h.rsp_prod = f->ring.rsp_cons;
    watch_set = true;
    /* Closing with a request in flight: new ones refused, Closed after the answer. */
    CHECK_EQ(blkdev_submit(d, req(0, false, 0, 8)), 0);
    be_state = BUS_CLOSING;
    event_queued = true;
    CHECK_EQ(blkdev_poll(d), 0);
    CHECK(f->closing && !f->closed);
    CHECK_EQ(blkdev_submit(d, req(1, false, 0, 8)), -EIO);
    CHECK(fe_state != BUS_CLOSED);
    answer(sring()->ring[(sring()->h.req_prod - 1) & 31].req.id, BLKIF_OP_READ,
           BLKIF_RSP_OKAY);
    busy_ref = (int)f->ring_ref;        /* the backend has not unmapped the ring yet */
    CHECK_EQ(blkdev_poll(d), 1);
    busy_ref = -1;
    CHECK(f->closed);
    CHECK_EQ(fe_state, BUS_CLOSED);
    CHECK(!watch_set);
    CHECK(ring_taken);                  /* kept while the backend may still map it */
    blkdev_poll(d);
    CHECK(!ring_taken);                 /* freed once the ring's grant ended */
    CHECK_EQ(grants_in_use(), 0);
}

static const struct unit_case cases[] = {
    { "connect", test_connect },
    { "submit_and_complete", test_submit_and_complete },
    { "full_ring_and_bad_ids", test_full_ring_and_bad_ids },
    { "bad_response_index", test_bad_response_index },
    { "detach", test_detach },
};
UNIT_MAIN(cases)
