/* blktest: a domU using its PV disk (blkfront) as the command line says
 * (tests/boot/test_blk.py):
 *   action=write seed=S start=N count=M   writes the pattern of seed S to sectors
 *                                         N..N+M-1, 32 requests in flight
 *   action=read  seed=S start=N count=M   reads them back and checks the pattern
 *   action=loop  seed=S start=N count=M rounds=R ms=T
 *                                         rounds of write + read + check, R of them or
 *                                         for T ms of guest time, whichever ends first
 *                                         (a bystander, or a domain destroyed mid-request)
 *   action=evil                           the malicious frontend: bad requests by hand on
 *                                         the ring, each must get BLKIF_RSP_ERROR, then a
 *                                         good one must work, then a bogus req_prod must
 *                                         get the device closed
 *   action=detach                         I/O until the backend closes the device (xl
 *                                         block-detach), then checks it is refused
 *   action=time start=N count=M depth=D   reads M sectors a page at a time, D in flight,
 *                                         nothing checked: guest time per request
 *   dev=xvda                              the device (default: the first)
 * The pattern of sector s: 32 times the 16 bytes "S<seed:3>s<s:10>\n", so the host
 * finds it in the image file at (region start + s) * 512. Prints "blktest: ... ok" or
 * "blktest: FAILED ..." lines and exits 0 only when everything was as expected. */
#include <blkfront.h>
#include <gnttab.h>
#include <store.h>

#define PAGES       32
#define WAIT_NS     (5ULL * 1000 * 1000 * 1000)

static struct blkdev *dev;
static uint8_t *pages[PAGES];
static struct blkreq reqs[PAGES];
static unsigned failures, seed, depth = PAGES;
static bool close_expected;             /* detach: a refusal for Closing ends the batch */
static bool timing;                     /* action=time: reads are not checked */

static void pattern(uint8_t *buf, uint64_t sector)
{
    char unit[17];

    fmt_snprintf(unit, sizeof(unit), "S%03us%010llu\n", seed % 1000,
                 (unsigned long long)(sector % 10000000000ULL));
    for (unsigned i = 0; i < 512; i += 16)
        memcpy(buf + i, unit, 16);
}

static void req_done(struct blkreq *r)
{
    (void)r;
}

/* count sectors from start, a page (8 sectors) per request, every page of the pool
 * in flight at once; reads are checked against the pattern. 0 or -errno. */
static int batch(bool write, uint64_t start, uint64_t count)
{
    uint64_t next = start, end = start + count;
    unsigned busy = 0;

    while (next < end || busy) {
        for (unsigned i = 0; i < depth && next < end; i++) {
            struct blkreq *r = &reqs[i];
            int rc;

            if (r->arg)
                continue;
            memset(r, 0, sizeof(*r));
            r->write = write;
            r->sector = next;
            r->nr_sectors = (uint32_t)MIN(8ULL, end - next);
            r->buf = pages[i];
            r->done = req_done;
            r->arg = r;
            r->status = 1;
            for (unsigned s = 0; write && s < r->nr_sectors; s++)
                pattern(pages[i] + s * 512, next + s);
            if ((rc = blkdev_submit(dev, r)) == -EBUSY || (rc == -EIO && close_expected)) {
                r->arg = NULL;
                if (rc == -EIO)
                    end = next;         /* drain what is in flight, submit no more */
                break;
            }
            if (rc) {
                printf("blktest: FAILED submit of sector %llu: %s\n",
                       (unsigned long long)next, errno_name(rc));
                return rc;
            }
            next += r->nr_sectors;
            busy++;
        }
        if (blkdev_wait(dev, guest_now_ns() + WAIT_NS) < 0) {
            printf("blktest: FAILED: no completion within 5 s (%u in flight)\n", busy);
            return -ETIMEDOUT;
        }
        for (unsigned i = 0; i < PAGES; i++) {
            struct blkreq *r = &reqs[i];
            uint8_t want[512];

            if (!r->arg || r->status == 1)
                continue;
            r->arg = NULL;
            busy--;
            if (r->status) {
                printf("blktest: FAILED %s of sector %llu: %s\n", write ? "write" : "read",
                       (unsigned long long)r->sector, errno_name(r->status));
                return r->status;
            }
            for (unsigned s = 0; !write && !timing && s < r->nr_sectors; s++) {
                pattern(want, r->sector + s);
                if (memcmp(want, pages[i] + s * 512, 512)) {
                    printf("blktest: FAILED: sector %llu is not seed %u's: \"%.15s\"\n",
                           (unsigned long long)(r->sector + s), seed, pages[i] + s * 512);
                    return -EIO;
                }
            }
        }
    }
    return 0;
}

/* ---- the malicious frontend ---- */

/* The next answer on f's ring, read by hand (blkfront_poll would take it): its status,
 * or 99 after wait_ns without one. */
static int raw_answer(struct blkfront *f, uint64_t *id, uint64_t wait_ns)
{
    uint64_t deadline = guest_now_ns() + wait_ns;
    bool more;

    for (;;) {
        local_irq_disable();
        RING_FINAL_CHECK_FOR_RESPONSES(&f->ring, more);
        if (more)
            break;
        if (guest_now_ns() >= deadline) {
            local_irq_enable();
            return 99;
        }
        timer_set_deadline(deadline);
        guest_block();
    }
    local_irq_enable();
    ring_rmb();
    struct blkif_response rsp = *RING_RSP_SLOT(&f->ring, f->ring.rsp_cons);
    f->ring.rsp_cons++;
    *id = rsp.id;
    return rsp.status;
}

struct evil_case {
    const char *name;
    uint8_t op, nseg, first, last;
    uint64_t sector;                    /* ~0: the disk's size */
    int gref;                           /* -1: our page, granted writable; -2: read-only;
                                           -3: granted to another domain; else as is */
    int16_t want;
};

static void evil_one(struct blkfront *f, const struct evil_case *c, unsigned n)
{
    struct blkif_request *req = RING_REQ_SLOT(&f->ring, f->ring.req_prod_pvt);
    int ref = c->gref;
    uint64_t id = 0;
    int status;

    if (c->gref < 0)
        ref = gnttab_grant(c->gref == -3 ? (hv_domid_t)(guest_domid() + 1) : f->backend_id,
                           pages[0], c->gref == -2);
    memset(req, 0, sizeof(*req));
    req->operation = c->op;
    req->nr_segments = c->nseg;
    req->handle = (uint16_t)f->devid;
    req->id = 5000 + n;
    req->sector_number = c->sector == ~0ULL ? f->dev.sectors : c->sector;
    for (unsigned s = 0; s < BLKIF_MAX_SEGMENTS; s++) {
        req->seg[s].gref = (grant_ref_t)ref;
        req->seg[s].first_sect = c->first;
        req->seg[s].last_sect = c->last;
    }
    f->ring.req_prod_pvt++;
    blkfront_push(f);
    status = raw_answer(f, &id, WAIT_NS);
    if (status == c->want && id == 5000 + n) {
        printf("blktest: evil %s: status %d ok\n", c->name, status);
    } else {
        printf("blktest: FAILED evil %s: status %d id %llu, want %d id %u\n", c->name,
               status, (unsigned long long)id, c->want, 5000 + n);
        failures++;
    }
    if (c->gref < 0 && ref >= 0 && gnttab_end((grant_ref_t)ref)) {
        printf("blktest: FAILED evil %s: grant %d still mapped after the answer\n",
               c->name, ref);
        failures++;
    }
}

static int evil(void)
{
    static const struct evil_case cases[] = {
        { "ungranted ref",          BLKIF_OP_READ, 1, 0, 7, 0, 2000, BLKIF_RSP_ERROR },
        { "ref past the table",     BLKIF_OP_READ, 1, 0, 7, 0, 1 << 20, BLKIF_RSP_ERROR },
        { "another domain's grant", BLKIF_OP_READ, 1, 0, 7, 0, -3, BLKIF_RSP_ERROR },
        { "read into a r/o grant",  BLKIF_OP_READ, 1, 0, 7, 0, -2, BLKIF_RSP_ERROR },
        { "sector at the end",      BLKIF_OP_READ, 1, 0, 0, ~0ULL, -1, BLKIF_RSP_ERROR },
        { "sector 2^63",            BLKIF_OP_WRITE, 1, 0, 7, 1ULL << 63, -1, BLKIF_RSP_ERROR },
        { "12 segments",            BLKIF_OP_READ, 12, 0, 0, 0, -1, BLKIF_RSP_ERROR },
        { "255 segments",           BLKIF_OP_WRITE, 255, 0, 0, 0, -1, BLKIF_RSP_ERROR },
        { "no segments",            BLKIF_OP_READ, 0, 0, 7, 0, -1, BLKIF_RSP_ERROR },
        { "first_sect > last_sect", BLKIF_OP_READ, 1, 6, 2, 0, -1, BLKIF_RSP_ERROR },
        { "last_sect 8",            BLKIF_OP_WRITE, 1, 0, 8, 0, -1, BLKIF_RSP_ERROR },
        { "operation 9",            9, 1, 0, 7, 0, -1, BLKIF_RSP_ERROR },
        { "a good read after them", BLKIF_OP_READ, 1, 0, 7, 0, -1, BLKIF_RSP_OKAY },
    };
    struct blkfront *f = blkfront_of(dev);
    uint64_t id;
    int st;

    if (!f) {
        printf("blktest: FAILED: %s is not a blkfront device\n", dev->name);
        return 1;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++)
        evil_one(f, &cases[i], i);
    /* A producer index far past the ring: the backend must close the device. */
    f->ring.sring->h.req_prod = f->ring.req_prod_pvt + 1000;
    evtchn_send(f->port);
    st = bus_wait_state(f->be_dir, 1u << BUS_CLOSING | 1u << BUS_CLOSED,
                        guest_now_ns() + WAIT_NS);
    if (st == BUS_CLOSING || st == BUS_CLOSED) {
        printf("blktest: evil bogus req_prod: backend state %d ok\n", st);
    } else {
        printf("blktest: FAILED evil bogus req_prod: backend state %d\n", st);
        failures++;
    }
    /* Nothing more is answered on the closed device. */
    if ((st = raw_answer(f, &id, WAIT_NS / 50)) != 99) {
        printf("blktest: FAILED: an answer (%d) after the device closed\n", st);
        failures++;
    }
    printf("blktest: evil %u cases, %u failed\n", (unsigned)ARRAY_SIZE(cases) + 1, failures);
    return failures ? 1 : 0;
}

/* I/O until the backend closes the device: then requests are refused. */
static int detach(uint64_t start)
{
    uint64_t deadline = guest_now_ns() + 60ULL * 1000 * 1000 * 1000;
    struct blkfront *f = blkfront_of(dev);
    unsigned rounds = 0;
    int rc;

    printf("blktest: waiting for the detach\n");
    close_expected = true;
    while (!f->closed && guest_now_ns() < deadline) {
        if ((rc = batch(true, start, 64))) {
            printf("blktest: FAILED: %s before the detach\n", errno_name(rc));
            return 1;
        }
        rounds++;
        sleep_ns(1000000);
        blkdev_poll(dev);
    }
    memset(&reqs[0], 0, sizeof(reqs[0]));
    reqs[0].nr_sectors = 8;
    reqs[0].buf = pages[0];
    reqs[0].done = req_done;
    rc = blkdev_submit(dev, &reqs[0]);
    printf("blktest: detached after %u rounds (%s); a new request: %s %s\n", rounds,
           f->closed ? "closed" : "NOT closed", errno_name(rc),
           f->closed && rc == -EIO ? "ok" : "FAILED");
    return f->closed && rc == -EIO ? 0 : 1;
}

int main(const struct start_info *si)
{
    char action[16] = "", name[16] = "";
    uint64_t start = guest_arg_uint("start", 0), count = guest_arg_uint("count", 64);
    unsigned rounds = (unsigned)guest_arg_uint("rounds", 1000000);
    int n, rc = 0;

    (void)si;
    seed = (unsigned)guest_arg_uint("seed", 1);
    guest_arg("action", action, sizeof(action));
    guest_arg("dev", name, sizeof(name));
    if ((n = blkdev_probe_all()) <= 0) {
        printf("blktest: FAILED: no PV disk (%d)\n", n);
        return 1;
    }
    if (!(dev = blkdev_find(name[0] ? name : NULL))) {
        printf("blktest: FAILED: no disk '%s'\n", name);
        return 1;
    }
    for (unsigned i = 0; i < PAGES; i++)
        if (!(pages[i] = alloc_page()))
            return 1;
    if (!strcmp(action, "write") || !strcmp(action, "read")) {
        bool write = action[0] == 'w';

        rc = batch(write, start, count);
        printf("blktest: %s %llu sectors at %llu seed %u: %s\n", write ? "wrote" : "read",
               (unsigned long long)count, (unsigned long long)start, seed,
               rc ? "FAILED" : "ok");
    } else if (!strcmp(action, "loop")) {
        uint64_t until = guest_now_ns() + guest_arg_uint("ms", 3600000) * 1000000;
        unsigned r;

        for (r = 0; r < rounds && !rc && guest_now_ns() < until; r++)
            if (!(rc = batch(true, start, count)))
                rc = batch(false, start, count);
        printf("blktest: loop %u rounds of %llu sectors at %llu: %s\n", r,
               (unsigned long long)count, (unsigned long long)start, rc ? "FAILED" : "ok");
    } else if (!strcmp(action, "time")) {
        uint64_t t0;

        timing = true;
        depth = (unsigned)MIN(guest_arg_uint("depth", PAGES), (uint64_t)PAGES);
        rc = batch(false, start, count);        /* once to warm up (first touches) */
        t0 = guest_now_ns();
        if (!rc)
            rc = batch(false, start, count);
        t0 = guest_now_ns() - t0;
        printf("blktest: time %llu requests of 4 KiB at depth %u: %llu ns, %llu ns each: %s\n",
               (unsigned long long)(count / 8), depth, (unsigned long long)t0,
               (unsigned long long)(t0 / (count / 8 ? count / 8 : 1)), rc ? "FAILED" : "ok");
    } else if (!strcmp(action, "evil")) {
        return evil();
    } else if (!strcmp(action, "detach")) {
        return detach(start);
    } else {
        printf("blktest: FAILED: action=write|read|loop|evil|detach, got '%s'\n", action);
        return 1;
    }
    printf("blktest: %llu requests done, grants in use %u\n",
           (unsigned long long)dev->reqs_done, gnttab_in_use());
    return rc ? 1 : 0;
}
