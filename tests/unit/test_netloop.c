/* The PV network's two ends on the host: the real netfront (guest/netfront.c) and
 * netback's ring work (dom0/netback_ring.c) with the bridge, over rings in test
 * memory, with fake grants, a fake store and fake events. One "domain" has two
 * vifs on one bridge; what the test sends on eth0 must come out of eth1 with the
 * same bytes, in order, counted on both sides; a full rx ring drops (counted);
 * the frontend refuses bad sizes; the handshake keys are what netback reads. */
#include "unit.h"
#include <gnttab.h>
#include <netdev.h>
#include <store.h>
#include "bridge.h"
#include "netback.h"

const struct start_info *start_info;

/* ---- fake grants: every grant is to dom0 from domain FE ---- */

#define FE 5
#define NR_REFS 512
static struct { void *va; bool ro, used; hv_domid_t dom; } grants[NR_REFS];

int gnttab_grant(hv_domid_t dom, const void *va, bool readonly)
{
    for (unsigned r = GNTTAB_NR_RESERVED_ENTRIES; r < NR_REFS; r++)
        if (!grants[r].used) {
            grants[r].used = true;
            grants[r].va = (void *)va;
            grants[r].ro = readonly;
            grants[r].dom = dom;
            return (int)r;
        }
    return -ENOSPC;
}

int gnttab_end(grant_ref_t ref)
{
    grants[ref].used = false;
    return 0;
}

uint64_t gnttab_local_frame(const void *va)
{
    return (uintptr_t)va >> PAGE_SHIFT;
}

static uint8_t *grant_page(const struct gnttab_copy_ptr *p, bool write)
{
    if (p->domid != FE || p->u.ref >= NR_REFS || !grants[p->u.ref].used ||
        grants[p->u.ref].dom != 0 || (write && grants[p->u.ref].ro))
        return NULL;
    return grants[p->u.ref].va;
}

int gnttab_copy(struct gnttab_copy *ops, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct gnttab_copy *op = &ops[i];
        uint8_t *src = op->flags & GNTCOPY_source_gref ? grant_page(&op->source, false)
                       : (uint8_t *)(uintptr_t)(op->source.u.gmfn << PAGE_SHIFT);
        uint8_t *dst = op->flags & GNTCOPY_dest_gref ? grant_page(&op->dest, true)
                       : (uint8_t *)(uintptr_t)(op->dest.u.gmfn << PAGE_SHIFT);

        if (!src || !dst || op->source.offset + op->len > PAGE_SIZE ||
            op->dest.offset + op->len > PAGE_SIZE) {
            op->status = GNTST_bad_gntref;
            return op->status;
        }
        memcpy(dst + op->dest.offset, src + op->source.offset, op->len);
        op->status = GNTST_okay;
    }
    return 0;
}

/* ---- fake store: a flat list of (path, value) ---- */

#define NR_KEYS 64
static struct { char path[96], val[96]; } keys[NR_KEYS];

static int key_find(const char *path, bool create)
{
    for (int i = 0; i < NR_KEYS; i++)
        if (keys[i].path[0] && strcmp(keys[i].path, path) == 0)
            return i;
    for (int i = 0; create && i < NR_KEYS; i++)
        if (!keys[i].path[0]) {
            snprintf(keys[i].path, sizeof(keys[i].path), "%s", path);
            return i;
        }
    return -ENOENT;
}

int store_init(void) { return 0; }

int store_write(const char *path, const char *val)
{
    int i = key_find(path, true);

    snprintf(keys[i].val, sizeof(keys[i].val), "%s", val);
    return 0;
}

long store_read(const char *path, char *buf, size_t len)
{
    int i = key_find(path, false);

    if (i < 0)
        return i;
    snprintf(buf, len, "%s", keys[i].val);
    return (long)strlen(buf);
}

int store_printf(const char *path, const char *fmt, ...)
{
    char v[96];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(v, sizeof(v), fmt, ap);
    va_end(ap);
    return store_write(path, v);
}

/* Children of device/vif: "0" and "1". */
long store_list(const char *path, char *buf, size_t len)
{
    (void)len;
    if (strcmp(path, "device/vif") != 0)
        return -ENOENT;
    memcpy(buf, "0\0" "1\0", 4);
    return 2;
}

int bus_set_state(const char *dir, enum bus_state s)
{
    char p[128];

    snprintf(p, sizeof(p), "%s/state", dir);
    return store_printf(p, "%u", s);
}

static struct netback_vif vifs[2];
static struct bridge br;
static void *tx_bufs[2];

/* netback's side of the handshake, done when the frontend waits for Connected. */
static void backend_connect(unsigned id)
{
    char p[64], v[32];
    struct netback_vif *b = &vifs[id];
    uint64_t tx, rx;

    snprintf(p, sizeof(p), "device/vif/%u/tx-ring-ref", id);
    CHECK(store_read(p, v, sizeof(v)) > 0);
    tx = strtoull(v, NULL, 10);
    snprintf(p, sizeof(p), "device/vif/%u/rx-ring-ref", id);
    CHECK(store_read(p, v, sizeof(v)) > 0);
    rx = strtoull(v, NULL, 10);
    snprintf(p, sizeof(p), "device/vif/%u/event-channel", id);
    CHECK(store_read(p, v, sizeof(v)) > 0);
    snprintf(p, sizeof(p), "device/vif/%u/state", id);
    CHECK(store_read(p, v, sizeof(v)) > 0 && atoi(v) == BUS_INITIALISED);
    CHECK(tx < NR_REFS && rx < NR_REFS && grants[tx].used && !grants[tx].ro &&
          grants[rx].used && !grants[rx].ro);
    memset(b, 0, sizeof(*b));
    b->dom = FE;
    b->devid = id;
    b->buf = tx_bufs[id];
    b->state = BUS_CONNECTED;
    b->port = bridge_port_add(&br);
    BACK_RING_ATTACH(&b->tx, (struct netif_tx_sring *)grants[tx].va);
    BACK_RING_ATTACH(&b->rx, (struct netif_rx_sring *)grants[rx].va);
}

int bus_wait_state(const char *dir, unsigned mask, uint64_t deadline_ns)
{
    (void)deadline_ns;
    if (mask & (1u << BUS_INIT_WAIT))
        return BUS_INIT_WAIT;
    /* dir is "/local/domain/0/backend/vif/5/<id>" */
    backend_connect((unsigned)(dir[strlen(dir) - 1] - '0'));
    return BUS_CONNECTED;
}

/* ---- fake events and time: guest_block runs dom0's poll ---- */

static unsigned sends, blocks;
static uint64_t now;

int evtchn_alloc_unbound(hv_domid_t remote, evtchn_handler_t h, void *arg)
{
    (void)remote;
    (void)h;
    (void)arg;
    return 3;
}
int evtchn_send(evtchn_port_t port) { (void)port; sends++; return 0; }
void local_irq_disable(void) {}
void local_irq_enable(void) {}
void timer_set_deadline(uint64_t d) { (void)d; }
uint64_t guest_now_ns(void) { return now += 1000; }

void *alloc_page(void)
{
    void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);

    memset(p, 0, PAGE_SIZE);
    return p;
}

/* What netback.c's poll does, for the two vifs (its vif_forward, minus the
 * store and channel work this test has no use for). */
static void forward(struct netback_vif *v, const uint8_t *frame, size_t len, void *arg)
{
    uint32_t out = bridge_forward(&br, (unsigned)v->port, frame, len, now);

    (void)arg;
    for (unsigned i = 0; i < 2; i++)
        if (out & (1u << vifs[i].port))
            netback_rx_put(&vifs[i], frame, len);
}

static void backend_poll(void)
{
    for (unsigned i = 0; i < 2; i++)
        netback_tx_serve(&vifs[i], NETBACK_TX_BUDGET, forward, NULL);
    for (unsigned i = 0; i < 2; i++)
        netback_push(&vifs[i]);
}

void guest_block(void)
{
    blocks++;
    backend_poll();
}

/* ---- the test ---- */

static struct netdev *eth0, *eth1;

static void setup(void)
{
    static bool done;

    if (done)
        return;
    done = true;
    bridge_init(&br, "br0", BRIDGE_AGEING_NS);
    tx_bufs[0] = alloc_page();
    tx_bufs[1] = alloc_page();
    store_write("device/vif/0/backend", "/local/domain/0/backend/vif/5/0");
    store_write("device/vif/0/backend-id", "0");
    store_write("device/vif/0/mac", "00:16:3e:00:05:00");
    store_write("device/vif/1/backend", "/local/domain/0/backend/vif/5/1");
    store_write("device/vif/1/backend-id", "0");
    store_write("device/vif/1/mac", "00:16:3e:00:05:01");
    /* Without state, the dirs are still being written: nothing attached yet. */
    CHECK_EQ(netfront_probe(0), 0);
    store_write("device/vif/0/state", "1");
    store_write("device/vif/1/state", "1");
    CHECK_EQ(netfront_probe(0), 2);
    CHECK_EQ(netfront_probe(0), 0);                 /* none new */
    eth0 = netdev_find("eth0");
    eth1 = netdev_find("eth1");
    CHECK(eth0 && eth1 && eth0 != eth1 && netdev_find(NULL) == eth0);
}

static uint8_t frame[NETIF_MTU_FRAME], got[NETIF_MTU_FRAME];

static size_t make(struct netdev *from, const uint8_t *to, unsigned seq, size_t len)
{
    memcpy(frame, to, 6);
    memcpy(frame + 6, from->mac, 6);
    frame[12] = 0x88;
    frame[13] = 0xb5;
    for (size_t i = 14; i < len; i++)
        frame[i] = (uint8_t)(seq + i);
    return len;
}

static void test_handshake(void)
{
    setup();
    CHECK_EQ(eth0->mac[5], 0);
    CHECK_EQ(eth1->mac[5], 1);
    CHECK_EQ(eth1->mac[4], 5);
    CHECK(store_read("device/vif/1/state", (char *)got, 8) > 0 && atoi((char *)got) ==
          BUS_CONNECTED);
    /* Every rx page posted, granted writable to dom0; tx pages read-only. */
    CHECK_EQ(vifs[0].rx.sring->h.req_prod, 64);
}

static void test_frames_end_to_end(void)
{
    uint64_t tx0 = eth0->tx_frames, rx1 = eth1->rx_frames;

    setup();
    for (unsigned seq = 0; seq < 500; seq++) {
        size_t len = make(eth0, eth1->mac, seq, 60 + (seq * 37) % (NETIF_MTU_FRAME - 59));
        long n;

        CHECK_EQ(eth0->ops->send(eth0, frame, len), 0);
        n = netdev_recv_wait(eth1, got, sizeof(got), 0);   /* blocks: dom0 runs */
        CHECK_EQ(n, (long)len);
        CHECK(n == (long)len && memcmp(got, frame, len) == 0);
    }
    eth0->ops->poll(eth0);
    CHECK_EQ(eth0->tx_frames - tx0, 500);
    CHECK_EQ(eth1->rx_frames - rx1, 500);
    CHECK_EQ(vifs[0].st.tx_frames, vifs[1].st.rx_frames);
    CHECK_EQ(vifs[0].st.tx_errors + vifs[1].st.rx_dropped + vifs[1].st.rx_errors, 0);
    /* Nothing arrived at the sender: the bridge learned both MACs. */
    CHECK_EQ(eth0->ops->recv(eth0, got, sizeof(got)), 0);
}

/* More frames than eth1 posted pages, without eth1 reading: the surplus is
 * dropped and counted in netback, the tx ring drains, order is kept. */
static void test_overrun_drops_counted(void)
{
    uint64_t dropped = vifs[1].st.rx_dropped, sent = 0, got_n = 0;
    long n;

    setup();
    for (unsigned seq = 0; seq < 200; seq++) {
        make(eth0, eth1->mac, seq, 100);
        while (eth0->ops->send(eth0, frame, 100) == -EBUSY)
            backend_poll();
        sent++;
        if (seq % 16 == 15)
            backend_poll();
    }
    backend_poll();
    while ((n = eth1->ops->recv(eth1, got, sizeof(got))) > 0) {
        CHECK_EQ(got[14], (uint8_t)(got_n + 14));           /* in order, from seq 0 */
        got_n++;
    }
    CHECK_EQ(got_n, 64);                                    /* NETFRONT_RX_BUFS */
    CHECK_EQ(vifs[1].st.rx_dropped - dropped, sent - got_n);
}

static void test_frontend_refuses_sizes(void)
{
    setup();
    CHECK_EQ(eth0->ops->send(eth0, frame, 13), -EINVAL);
    CHECK_EQ(eth0->ops->send(eth0, frame, NETIF_MTU_FRAME + 1), -EINVAL);
    make(eth0, eth1->mac, 1, 200);
    CHECK_EQ(eth0->ops->send(eth0, frame, 200), 0);
    backend_poll();
    CHECK_EQ(eth1->ops->recv(eth1, got, 100), -E2BIG);      /* counted, page reposted */
    CHECK_EQ(eth1->ops->recv(eth1, got, sizeof(got)), 0);
}

static const struct unit_case cases[] = {
    { "handshake: keys, states, pages posted", test_handshake },
    { "500 frames eth0 -> bridge -> eth1, bytes and counts", test_frames_end_to_end },
    { "rx overrun: drops counted, order kept", test_overrun_drops_counted },
    { "frontend refuses bad sizes", test_frontend_refuses_sizes },
};

UNIT_MAIN(cases)
