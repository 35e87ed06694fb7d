/* netback's ring work (dom0/netback_ring.c) against fake grants: tx requests copied
 * out and checked (size, offset, flags, bad grefs, read-only pages are fine for tx),
 * each answered once with its id; a frontend that rewrites an entry after posting it
 * changes nothing; a producer index out of range breaks only that vif; rx frames
 * into posted pages, a drop (counted) without one, an error for an unwritable
 * grant; notifications only when asked for. */
#include "unit.h"
#include <gnttab.h>
#include "netback.h"

/* ---- fake grants: (domid, ref) -> a page of the test, read-only or not ---- */

#define FAKE_DOM 7
#define NR_FAKE_REFS 64
static uint8_t *fake_page[NR_FAKE_REFS];
static bool fake_ro[NR_FAKE_REFS];
static unsigned copies;

uint64_t gnttab_local_frame(const void *va)
{
    return (uintptr_t)va >> PAGE_SHIFT;
}

static uint8_t *fake_side(const struct gnttab_copy_ptr *p, bool gref, bool write,
                          int16_t *status)
{
    if (!gref) {
        if (p->domid != DOMID_SELF) {
            *status = GNTST_bad_domain;
            return NULL;
        }
        return (uint8_t *)(uintptr_t)(p->u.gmfn << PAGE_SHIFT);
    }
    if (p->domid != FAKE_DOM) {
        *status = GNTST_bad_domain;
        return NULL;
    }
    if (p->u.ref >= NR_FAKE_REFS || !fake_page[p->u.ref] || (write && fake_ro[p->u.ref])) {
        *status = GNTST_bad_gntref;
        return NULL;
    }
    return fake_page[p->u.ref];
}

int gnttab_copy(struct gnttab_copy *ops, unsigned n)
{
    int first = 0;

    for (unsigned i = 0; i < n; i++) {
        struct gnttab_copy *op = &ops[i];
        uint8_t *src, *dst;

        op->status = GNTST_okay;
        copies++;
        if (op->source.offset + op->len > PAGE_SIZE || op->dest.offset + op->len > PAGE_SIZE)
            op->status = GNTST_bad_copy_arg;
        src = fake_side(&op->source, op->flags & GNTCOPY_source_gref, false, &op->status);
        dst = fake_side(&op->dest, op->flags & GNTCOPY_dest_gref, true, &op->status);
        if (op->status == GNTST_okay)
            memcpy(dst + op->dest.offset, src + op->source.offset, op->len);
        if (op->status && !first)
            first = op->status;
    }
    return first;
}

/* ---- fixture: a vif whose rings live in test memory ---- */

static struct netif_tx_sring *txs;
static struct netif_rx_sring *rxs;
static struct netif_tx_front_ring txf;
static struct netif_rx_front_ring rxf;
static struct netback_vif vif;
static uint8_t *frontend_pages;         /* NR_FAKE_REFS pages */

struct seen { unsigned n; size_t len[64]; uint8_t first[64]; };
static struct seen seen;

static void on_frame(struct netback_vif *v, const uint8_t *frame, size_t len, void *arg)
{
    (void)v;
    (void)arg;
    if (seen.n < 64) {
        seen.len[seen.n] = len;
        seen.first[seen.n] = frame[0];
    }
    seen.n++;
}

static void setup(void)
{
    static bool once;

    if (!once) {
        txs = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
        rxs = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
        frontend_pages = aligned_alloc(PAGE_SIZE, NR_FAKE_REFS * PAGE_SIZE);
        vif.buf = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
        once = true;
    }
    memset(txs, 0, PAGE_SIZE);
    memset(rxs, 0, PAGE_SIZE);
    memset(frontend_pages, 0, NR_FAKE_REFS * PAGE_SIZE);
    for (unsigned r = 0; r < NR_FAKE_REFS; r++) {
        fake_page[r] = r >= 8 ? frontend_pages + r * PAGE_SIZE : NULL;  /* 0..7 reserved */
        fake_ro[r] = false;
    }
    FRONT_RING_INIT(&txf, txs);
    FRONT_RING_INIT(&rxf, rxs);
    void *buf = vif.buf;
    memset(&vif, 0, sizeof(vif));
    vif.buf = buf;
    vif.dom = FAKE_DOM;
    BACK_RING_ATTACH(&vif.tx, txs);
    BACK_RING_ATTACH(&vif.rx, rxs);
    memset(&seen, 0, sizeof(seen));
    copies = 0;
}

static void post_tx(grant_ref_t gref, uint16_t offset, uint16_t size, uint16_t id,
                    uint16_t flags)
{
    struct netif_tx_request *r = RING_REQ_SLOT(&txf, txf.req_prod_pvt++);
    bool notify;

    r->gref = gref;
    r->offset = offset;
    r->size = size;
    r->id = id;
    r->flags = flags;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&txf, notify);
    (void)notify;
}

static struct netif_tx_response tx_rsp(ring_idx_t i)
{
    return *RING_RSP_SLOT(&txf, i);
}

static void test_tx_good_frame(void)
{
    setup();
    memset(fake_page[9] + 100, 0xab, 60);
    post_tx(9, 100, 60, 42, 0);
    CHECK_EQ(netback_tx_serve(&vif, 64, on_frame, NULL), 1);
    CHECK(netback_push(&vif));                  /* req_event was 1: it wants to know */
    CHECK_EQ(txs->h.rsp_prod, 1);
    CHECK_EQ(tx_rsp(0).id, 42);
    CHECK_EQ(tx_rsp(0).status, NETIF_RSP_OKAY);
    CHECK_EQ(seen.n, 1);
    CHECK_EQ(seen.len[0], 60);
    CHECK_EQ(seen.first[0], 0xab);
    CHECK_EQ(vif.st.tx_frames, 1);
    CHECK_EQ(vif.st.tx_bytes, 60);
    CHECK_EQ(vif.st.tx_errors, 0);
    /* A read-only grant is all tx needs. */
    fake_ro[10] = true;
    post_tx(10, 0, NETIF_MTU_FRAME, 43, 0);
    CHECK_EQ(netback_tx_serve(&vif, 64, on_frame, NULL), 1);
    netback_push(&vif);
    CHECK_EQ(tx_rsp(1).status, NETIF_RSP_OKAY);
    CHECK_EQ(seen.len[1], NETIF_MTU_FRAME);
}

/* Each bad request gets NETIF_RSP_ERROR with its own id; no frame goes on; the good
 * request after them is served. */
static void test_tx_bad_requests(void)
{
    static const struct {
        const char *name;
        grant_ref_t gref;
        uint16_t offset, size, flags;
        bool copied;                    /* reached the grant copy */
    } rows[] = {
        { "size 0",                    9, 0, 0, 0, false },
        { "oversize",                  9, 0, NETIF_MTU_FRAME + 1, 0, false },
        { "past the page",             9, 4000, 200, 0, false },
        { "offset past the page",      9, 4096, 1, 0, false },
        { "flags set",                 9, 0, 60, 1, false },
        { "reserved gref",             3, 0, 60, 0, true },
        { "gref out of the table",     100000, 0, 60, 0, true },
        { "gref never granted",        NR_FAKE_REFS - 1, 0, 60, 0, true },
    };
    unsigned n = ARRAY_SIZE(rows);

    setup();
    fake_page[NR_FAKE_REFS - 1] = NULL;
    for (unsigned i = 0; i < n; i++)
        post_tx(rows[i].gref, rows[i].offset, rows[i].size, (uint16_t)(100 + i),
                rows[i].flags);
    post_tx(9, 0, 60, 7, 0);
    CHECK_EQ(netback_tx_serve(&vif, 64, on_frame, NULL), (int)n + 1);
    netback_push(&vif);
    for (unsigned i = 0; i < n; i++) {
        if (tx_rsp(i).id != 100 + i || tx_rsp(i).status != NETIF_RSP_ERROR)
            printf("  case %s\n", rows[i].name);
        CHECK_EQ(tx_rsp(i).id, 100 + i);
        CHECK_EQ(tx_rsp(i).status, NETIF_RSP_ERROR);
    }
    CHECK_EQ(copies, 4);                /* only the three gref cases and the good one copied */
    CHECK_EQ(tx_rsp(n).id, 7);
    CHECK_EQ(tx_rsp(n).status, NETIF_RSP_OKAY);
    CHECK_EQ(seen.n, 1);
    CHECK_EQ(vif.st.tx_errors, n);
    CHECK_EQ(vif.st.tx_frames, 1);
    CHECK(vif.why_closed == NULL);
}

/* The size is checked on the copy: rewriting the ring entry after netback read it
 * does not reach the copy (the fake copy would then read past the page). */
static uint16_t evil_size;
static void evil_frame(struct netback_vif *v, const uint8_t *frame, size_t len, void *arg)
{
    (void)frame;
    (void)arg;
    RING_REQ_SLOT(&txf, 0)->size = evil_size;   /* too late to matter */
    seen.len[seen.n++] = len;
    (void)v;
}

static void test_tx_entry_copied_first(void)
{
    setup();
    evil_size = 60000;
    post_tx(9, 4000, 96, 1, 0);
    post_tx(9, 4000, 96, 2, 0);
    CHECK_EQ(netback_tx_serve(&vif, 64, evil_frame, NULL), 2);
    CHECK_EQ(seen.n, 2);
    CHECK_EQ(seen.len[0], 96);
    CHECK_EQ(seen.len[1], 96);
}

static void test_tx_budget_and_bad_index(void)
{
    setup();
    for (uint16_t i = 0; i < 10; i++)
        post_tx(9, 0, 60, i, 0);
    CHECK_EQ(netback_tx_serve(&vif, 4, on_frame, NULL), 4);
    CHECK_EQ(netback_tx_serve(&vif, 64, on_frame, NULL), 6);
    CHECK_EQ(netback_tx_serve(&vif, 64, on_frame, NULL), 0);
    CHECK_EQ(txs->h.req_event, 11);             /* asked to hear of the next one */
    /* A producer index more than a ring ahead. */
    txs->h.req_prod = vif.tx.req_cons + RING_SIZE(&vif.tx) + 1;
    CHECK_EQ(netback_tx_serve(&vif, 64, on_frame, NULL), -EIO);
    CHECK(vif.why_closed != NULL);
    CHECK_EQ(seen.n, 10);
    /* Broken for good: neither ring is read again. */
    txs->h.req_prod = vif.tx.req_cons + 1;
    CHECK_EQ(netback_tx_serve(&vif, 64, on_frame, NULL), -EIO);
    CHECK_EQ(netback_rx_put(&vif, vif.buf, 60), -EIO);
    /* Exactly a ring ahead is legal. */
    setup();
    txs->h.req_prod = RING_SIZE(&vif.tx);
    CHECK_EQ(netback_tx_serve(&vif, 1000, on_frame, NULL), (int)RING_SIZE(&vif.tx));
    CHECK(vif.why_closed == NULL);
}

static void post_rx(grant_ref_t gref, uint16_t id)
{
    struct netif_rx_request *r = RING_REQ_SLOT(&rxf, rxf.req_prod_pvt++);
    bool notify;

    r->gref = gref;
    r->id = id;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&rxf, notify);
    (void)notify;
}

static void test_rx(void)
{
    uint8_t *frame;

    setup();
    frame = vif.buf;
    memset(frame, 0x5a, 100);
    CHECK_EQ(netback_rx_put(&vif, frame, 100), -EAGAIN);
    CHECK_EQ(vif.st.rx_dropped, 1);
    post_rx(12, 5);
    fake_ro[13] = true;
    post_rx(13, 6);                             /* read-only: cannot be written */
    post_rx(14, 7);
    CHECK_EQ(netback_rx_put(&vif, frame, 100), 0);
    CHECK_EQ(netback_rx_put(&vif, frame, 100), -EFAULT);
    CHECK_EQ(netback_rx_put(&vif, frame + 50, 50), 0);
    CHECK(netback_push(&vif));
    CHECK_EQ(rxs->h.rsp_prod, 3);
    CHECK_EQ(RING_RSP_SLOT(&rxf, 0)->id, 5);
    CHECK_EQ(RING_RSP_SLOT(&rxf, 0)->status, 100);
    CHECK_EQ(fake_page[12][99], 0x5a);
    CHECK_EQ(fake_page[12][100], 0);
    CHECK_EQ(RING_RSP_SLOT(&rxf, 1)->id, 6);
    CHECK_EQ(RING_RSP_SLOT(&rxf, 1)->status, NETIF_RSP_ERROR);
    CHECK_EQ(RING_RSP_SLOT(&rxf, 2)->status, 50);
    CHECK_EQ(vif.st.rx_frames, 2);
    CHECK_EQ(vif.st.rx_bytes, 150);
    CHECK_EQ(vif.st.rx_errors, 1);
    CHECK_EQ(vif.st.rx_dropped, 1);
    /* Bad rx producer index. */
    rxs->h.req_prod = vif.rx.req_cons - 1;
    CHECK_EQ(netback_rx_put(&vif, frame, 10), -EIO);
    CHECK(vif.why_closed != NULL);
}

/* No event when the frontend did not ask for one (rsp_event not reached). */
static void test_notify_only_when_asked(void)
{
    setup();
    txs->h.rsp_event = 5;                       /* it wants to hear at response 5 */
    post_tx(9, 0, 60, 0, 0);
    netback_tx_serve(&vif, 64, NULL, NULL);
    CHECK(!netback_push(&vif));
    for (uint16_t i = 1; i < 5; i++)
        post_tx(9, 0, 60, i, 0);
    netback_tx_serve(&vif, 64, NULL, NULL);
    CHECK(netback_push(&vif));
    CHECK(!netback_push(&vif));                 /* nothing new */
}

static const struct unit_case cases[] = {
    { "tx: a good frame, read-only grant", test_tx_good_frame },
    { "tx: bad requests answered with errors", test_tx_bad_requests },
    { "tx: entries copied before they are checked", test_tx_entry_copied_first },
    { "tx: budget, bad producer index", test_tx_budget_and_bad_index },
    { "rx: delivery, drop, unwritable page", test_rx },
    { "notify only when asked", test_notify_only_when_asked },
};

UNIT_MAIN(cases)
