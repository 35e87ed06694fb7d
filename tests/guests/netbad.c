/* A bad network frontend: connects like netfront, then posts tx requests dom0's
 * netback must refuse (grants that are not ours to give, not for dom0, ended, out of
 * the table; sizes and offsets past the limits; flags), checks that each gets an
 * error and no frame goes out, that a good frame still does, posts rx pages netback
 * must not write (on two more vifs of its own, alone on br1), and finally pushes a
 * tx producer index far past the ring, after which netback must close this vif (its
 * backend state goes to Closing) and go on serving the others (a bystander pair of
 * netbench guests in the same scenario, tests/boot/test_net.py).
 * Prints "netbad: <case> ok|FAILED (...)" per case, then "netbad: N passed, N failed". */
#include <gnttab.h>
#include <netdev.h>
#include <store.h>

#define WAIT_NS 2000000000ULL

static unsigned passed, failed;
static uint8_t frame[64];

static __printf(3, 4) void result(const char *name, bool ok, const char *fmt, ...)
{
    char what[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    printf("netbad: %s %s (%s)\n", name, ok ? "ok" : "FAILED", what);
    if (ok)
        passed++;
    else
        failed++;
}

/* Waits until the tx responses reaped reach n (errors + frames). */
static bool wait_responses(struct netdev *d, uint64_t n)
{
    uint64_t deadline = guest_now_ns() + WAIT_NS;

    for (;;) {
        d->ops->poll(d);
        if (d->tx_errors + d->tx_frames >= n)
            return true;
        if (guest_now_ns() >= deadline)
            return false;
        sleep_ns(1000000);
    }
}

static void bad_request(struct netdev *d, const char *name, grant_ref_t gref,
                        uint16_t offset, uint16_t size, uint16_t flags)
{
    static uint16_t id = 1000;          /* not one of netfront's pool ids */
    struct netif_tx_request req = { gref, offset, size, id++, flags };
    uint64_t errors = d->tx_errors, frames = d->tx_frames;
    int rc = netfront_tx_raw(d, &req);

    if (rc) {
        result(name, false, "could not post: %d", rc);
        return;
    }
    if (!wait_responses(d, errors + frames + 1)) {
        result(name, false, "no response");
        return;
    }
    result(name, d->tx_errors == errors + 1 && d->tx_frames == frames,
           "tx_errors %llu -> %llu, tx_frames %llu", (unsigned long long)errors,
           (unsigned long long)d->tx_errors, (unsigned long long)d->tx_frames);
}

/* Sends one frame from a to b's MAC and waits for its tx response. */
static bool send_one(struct netdev *a, struct netdev *b, uint8_t seq)
{
    uint64_t n = a->tx_frames + a->tx_errors;

    memcpy(frame, b->mac, 6);
    memcpy(frame + 6, a->mac, 6);
    frame[12] = 0x88;
    frame[13] = 0xb6;
    memset(frame + 14, seq, sizeof(frame) - 14);
    return a->ops->send(a, frame, sizeof(frame)) == 0 && wait_responses(a, n + 1);
}

/* rx: eth1 and eth2 are alone on br1. eth2's 64 posted pages are filled (not read);
 * then it posts pages netback must not write (a reserved ref, a read-only grant to
 * dom0, a grant to another domain): three frames get error responses and write
 * nothing; a fourth finds no page and is dropped (dom0 counts it: test_net.py). The
 * 64 frames then read back intact. */
static void rx_cases(uint8_t *other)
{
    struct netdev *a = netdev_find("eth1"), *b = netdev_find("eth2");
    uint8_t *ro = alloc_page();
    int ro_ref, other_ref;
    unsigned good = 0;
    uint8_t buf[128];
    long n;

    if (!a || !b || !ro) {
        result("rx cases", false, "eth1 and eth2 needed");
        return;
    }
    memset(ro, 0x5a, PAGE_SIZE);
    memset(other, 0x5a, PAGE_SIZE);
    ro_ref = gnttab_grant(0, ro, true);
    other_ref = gnttab_grant(guest_domid() == 1 ? 2 : 1, other, false);
    for (unsigned i = 0; i < 64; i++)
        if (!send_one(a, b, (uint8_t)i)) {
            result("rx: fill eth2's pages", false, "frame %u not sent", i);
            return;
        }
    {
        struct netif_rx_request reqs[3] = {
            { 1000, 0, 0 }, { 1001, 0, (grant_ref_t)ro_ref }, { 1002, 0, (grant_ref_t)other_ref },
        };
        for (unsigned i = 0; i < 3; i++)
            netfront_rx_raw(b, &reqs[i]);
    }
    for (unsigned i = 0; i < 4; i++)
        send_one(a, b, (uint8_t)(100 + i));
    while ((n = b->ops->recv(b, buf, sizeof(buf))) > 0) {
        bool ok = n == (long)sizeof(frame) && buf[14] == (uint8_t)good &&
                  buf[n - 1] == (uint8_t)good;

        good += ok;
        if (!ok)
            break;
    }
    result("rx: 64 frames into granted pages, intact", good == 64 && b->rx_frames == 64,
           "%u intact, rx_frames %llu", good, (unsigned long long)b->rx_frames);
    result("rx: pages not granted writable to dom0 get errors", b->rx_dropped == 3,
           "error responses %llu", (unsigned long long)b->rx_dropped);
    {
        bool untouched = true;

        for (unsigned i = 0; i < PAGE_SIZE; i++)
            untouched &= ro[i] == 0x5a && other[i] == 0x5a;
        result("rx: the read-only and foreign-granted pages were not written", untouched,
               "checked %u bytes each", (unsigned)PAGE_SIZE);
    }
}

int main(const struct start_info *si)
{
    struct netdev *d;
    struct netif_tx_sring *s;
    char be[64];
    uint64_t port;
    uint8_t *page = alloc_page(), *other = alloc_page(), *ended = alloc_page();
    int good, foreign, stale, n, rc;

    (void)si;
    if ((n = netfront_probe(guest_now_ns() + WAIT_NS)) <= 0 || !(d = netdev_find(NULL))) {
        printf("netbad: no network device (%d)\n", n);
        return 1;
    }
    memset(page, 0x42, PAGE_SIZE);
    good = gnttab_grant(0, page, true);         /* a real grant to dom0 */
    foreign = gnttab_grant(guest_domid() == 1 ? 2 : 1, other, true);  /* a domU */
    stale = gnttab_grant(0, ended, true);
    if (good < 0 || foreign < 0 || stale < 0 || gnttab_end((grant_ref_t)stale)) {
        printf("netbad: grants failed: %d %d %d\n", good, foreign, stale);
        return 1;
    }
    bad_request(d, "reserved gref 0", 0, 0, 60, 0);
    bad_request(d, "reserved gref 5", 5, 0, 60, 0);
    bad_request(d, "gref past the table", 100000, 0, 60, 0);
    bad_request(d, "gref granted to another domain", (grant_ref_t)foreign, 0, 60, 0);
    bad_request(d, "gref already ended", (grant_ref_t)stale, 0, 60, 0);
    bad_request(d, "size 0", (grant_ref_t)good, 0, 0, 0);
    bad_request(d, "size 1515", (grant_ref_t)good, 0, NETIF_MTU_FRAME + 1, 0);
    bad_request(d, "size 65535", (grant_ref_t)good, 0, 65535, 0);
    bad_request(d, "offset + size past the page", (grant_ref_t)good, 4000, 200, 0);
    bad_request(d, "offset past the page", (grant_ref_t)good, 65535, 1, 0);
    bad_request(d, "flags set", (grant_ref_t)good, 0, 60, 0x8000);

    /* A good frame still goes out (a broadcast the bystanders ignore). */
    memset(frame, 0xff, 6);
    memcpy(frame + 6, d->mac, 6);
    frame[12] = 0x88;
    frame[13] = 0xb6;
    {
        uint64_t before = d->tx_frames, errs = d->tx_errors;

        bool ok;

        rc = d->ops->send(d, frame, sizeof(frame));
        ok = rc == 0 && wait_responses(d, before + errs + 1) && d->tx_frames == before + 1;
        result("good frame after the bad ones", ok, "send %d, tx_frames %llu -> %llu", rc,
               (unsigned long long)before, (unsigned long long)d->tx_frames);
    }

    rx_cases(other);

    /* A producer index far past the ring: netback must stop serving this vif. */
    if (store_read("device/vif/0/backend", be, sizeof(be)) < 0 ||
        store_read_uint("device/vif/0/event-channel", &port) < 0) {
        result("ring index attack", false, "no backend path or channel");
    } else {
        s = netfront_tx_sring(d);
        s->h.req_prod += 1000;
        ring_mb();
        evtchn_send((evtchn_port_t)port);
        rc = bus_wait_state(be, 1u << BUS_CLOSING | 1u << BUS_CLOSED,
                            guest_now_ns() + WAIT_NS);
        result("ring index attack closes the vif", rc == BUS_CLOSING || rc == BUS_CLOSED,
               "backend state %d", rc);
    }
    printf("netbad: %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
