/* netback's ring work: tx requests served, rx frames delivered; see netback.h.
 *
 * Design: every shared-ring index and entry belongs to the frontend, so it is read
 * once into a local copy and checked there (a frontend changing an entry under us
 * changes nothing we act on): the producer index against RING_PROD_SANE, a request
 * against netif.h's limits. Grants are never mapped for data: the frame is copied
 * with GNTTABOP_copy, whose checks in the hypervisor (the grant exists, is for
 * dom0, is writable for rx, offset + len inside the page) make a bad gref an error
 * status for that request only. Every request gets exactly one response, written
 * at once, so rsp_prod_pvt == req_cons and a response never overwrites a request
 * not yet read.
 *
 * Locking: none; dom0's services run on its vCPU 0 (service.h).
 *
 * Limitations: one copy hypercall per frame (no batching across requests). */
#include <gnttab.h>
#include "netback.h"

int netback_tx_check(const struct netif_tx_request *req)
{
    if (req->size == 0 || req->size > NETIF_MTU_FRAME || req->flags != 0 ||
        (uint32_t)req->offset + req->size > PAGE_SIZE)
        return -EINVAL;
    return 0;
}

static void vif_break(struct netback_vif *v, const char *why)
{
    if (!v->why_closed)
        v->why_closed = why;
}

static void tx_respond(struct netback_vif *v, uint16_t id, int16_t status)
{
    struct netif_tx_response *rsp = RING_RSP_SLOT(&v->tx, v->tx.rsp_prod_pvt);

    rsp->id = id;
    rsp->status = status;
    v->tx.rsp_prod_pvt++;
}

/* Copies the frame req names out of the frontend's page into v->buf: 0 or the
 * grant copy's status. */
static int tx_copy(struct netback_vif *v, const struct netif_tx_request *req)
{
    struct gnttab_copy op;

    memset(&op, 0, sizeof(op));
    op.source.u.ref = req->gref;
    op.source.domid = v->dom;
    op.source.offset = req->offset;
    op.dest.u.gmfn = gnttab_local_frame(v->buf);
    op.dest.domid = DOMID_SELF;
    op.dest.offset = 0;
    op.len = req->size;
    op.flags = GNTCOPY_source_gref;
    return gnttab_copy(&op, 1);
}

int netback_tx_serve(struct netback_vif *v, unsigned budget, netback_frame_fn out,
                     void *arg)
{
    unsigned done = 0;

    if (v->why_closed)
        return -EIO;
    while (done < budget) {
        ring_idx_t prod = v->tx.sring->h.req_prod;
        struct netif_tx_request req;
        int more;

        ring_rmb();
        if (!RING_PROD_SANE(&v->tx, prod, v->tx.req_cons)) {
            vif_break(v, "tx ring producer index out of range");
            return -EIO;
        }
        if (prod == v->tx.req_cons) {
            RING_FINAL_CHECK_FOR_REQUESTS(&v->tx, more);
            if (!more)
                break;
            continue;
        }
        while (v->tx.req_cons != prod && done < budget) {
            req = *RING_REQ_SLOT(&v->tx, v->tx.req_cons);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);    /* the copy, then the checks */
            v->tx.req_cons++;
            done++;
            if (netback_tx_check(&req) || tx_copy(v, &req)) {
                tx_respond(v, req.id, NETIF_RSP_ERROR);
                v->st.tx_errors++;
                continue;
            }
            tx_respond(v, req.id, NETIF_RSP_OKAY);
            v->st.tx_frames++;
            v->st.tx_bytes += req.size;
            if (out)
                out(v, v->buf, req.size, arg);
        }
    }
    return (int)done;
}

int netback_rx_put(struct netback_vif *v, const void *frame, size_t len)
{
    ring_idx_t prod;
    struct netif_rx_request req;
    struct netif_rx_response *rsp;
    struct gnttab_copy op;
    uintptr_t off = (uintptr_t)frame & (PAGE_SIZE - 1);

    if (v->why_closed)
        return -EIO;
    prod = v->rx.sring->h.req_prod;
    ring_rmb();
    if (!RING_PROD_SANE(&v->rx, prod, v->rx.req_cons)) {
        vif_break(v, "rx ring producer index out of range");
        return -EIO;
    }
    if (prod == v->rx.req_cons) {
        /* Dropped, not queued: so no event is wanted when pages are posted again
         * (req_event is left alone, and the frontend's posts cost dom0 nothing). */
        v->st.rx_dropped++;
        return -EAGAIN;
    }
    req = *RING_REQ_SLOT(&v->rx, v->rx.req_cons);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    v->rx.req_cons++;

    memset(&op, 0, sizeof(op));
    op.source.u.gmfn = gnttab_local_frame(frame);
    op.source.domid = DOMID_SELF;
    op.source.offset = (uint16_t)off;
    op.dest.u.ref = req.gref;
    op.dest.domid = v->dom;
    op.dest.offset = 0;
    op.len = (uint16_t)len;
    op.flags = GNTCOPY_dest_gref;

    rsp = RING_RSP_SLOT(&v->rx, v->rx.rsp_prod_pvt);
    rsp->id = req.id;
    rsp->offset = 0;
    rsp->flags = 0;
    if (len == 0 || len > NETIF_MTU_FRAME || off + len > PAGE_SIZE || gnttab_copy(&op, 1)) {
        rsp->status = NETIF_RSP_ERROR;
        v->rx.rsp_prod_pvt++;
        v->st.rx_errors++;
        return -EFAULT;
    }
    rsp->status = (int16_t)len;
    v->rx.rsp_prod_pvt++;
    v->st.rx_frames++;
    v->st.rx_bytes += len;
    return 0;
}

bool netback_push(struct netback_vif *v)
{
    bool tx = false, rx = false;

    if (v->tx.sring && v->tx.rsp_prod_pvt != v->tx.sring->h.rsp_prod)
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&v->tx, tx);
    if (v->rx.sring && v->rx.rsp_prod_pvt != v->rx.sring->h.rsp_prod)
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&v->rx, rx);
    return tx || rx;
}
