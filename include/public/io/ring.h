/* Shared request/response rings for split drivers (the scheme of Xen's io/ring.h;
 * this code is hvlab's own). One page shared by a frontend (which makes requests
 * and consumes responses) and a backend (the reverse). The four indices are free
 * running uint32_t counters; an entry's slot is index & (nr_ents - 1).
 *
 *   producer: fill slot, wmb, advance *_prod; notify the other end if it asked to be
 *             told about an index in (old_prod, new_prod]: it sets *_event = the
 *             next index it wants to hear about before it sleeps.
 *   consumer: read *_prod, rmb, consume up to it, then set *_event = cons + 1 and
 *             read *_prod again (mb between): work that arrived meanwhile is not
 *             missed.
 *
 * Every index read from the shared page is the other side's to write, so it is
 * untrusted: a backend checks req_prod - req_cons <= nr_ents (RING_PROD_SANE) before
 * consuming, and on a bad value stops serving that ring (the device goes to Closing),
 * never reads outside it. Entries are copied out of the ring before they are checked
 * (the frontend may change them under us). Pure logic: host unit tests run it. */
#ifndef HVLAB_PUBLIC_IO_RING_H
#define HVLAB_PUBLIC_IO_RING_H

#include <stdint.h>

typedef uint32_t ring_idx_t;

struct ring_sring_hdr {
    ring_idx_t req_prod, req_event;
    ring_idx_t rsp_prod, rsp_event;
    uint8_t pad[48];                    /* entries start 64 bytes in */
};

/* The largest power of two of entries of esize bytes after the header in a page. */
#define RING_ENTRIES_FOR(esize)                                                  \
    ((4096 - 64) / (esize) >= 256 ? 256 : (4096 - 64) / (esize) >= 128 ? 128 :   \
     (4096 - 64) / (esize) >= 64 ? 64 : (4096 - 64) / (esize) >= 32 ? 32 :       \
     (4096 - 64) / (esize) >= 16 ? 16 : (4096 - 64) / (esize) >= 8 ? 8 : 4)

/* RING_DEFINE(blkif, struct blkif_request, struct blkif_response) declares
 * union blkif_sring_entry, struct blkif_sring (the page), BLKIF_RING_SIZE-style
 * size name##_RING_ENTRIES, and the private ends struct name##_front_ring /
 * name##_back_ring. */
#define RING_DEFINE(name, req_t, rsp_t)                                          \
    union name##_sring_entry { req_t req; rsp_t rsp; };                          \
    struct name##_sring {                                                        \
        struct ring_sring_hdr h;                                                 \
        union name##_sring_entry ring[RING_ENTRIES_FOR(sizeof(union name##_sring_entry))]; \
    };                                                                           \
    struct name##_front_ring {                                                   \
        ring_idx_t req_prod_pvt, rsp_cons;                                       \
        struct name##_sring *sring;                                              \
    };                                                                           \
    struct name##_back_ring {                                                    \
        ring_idx_t rsp_prod_pvt, req_cons;                                       \
        struct name##_sring *sring;                                              \
    }

#define RING_SIZE(r)  ((ring_idx_t)(sizeof((r)->sring->ring) / sizeof((r)->sring->ring[0])))

#define ring_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define ring_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define ring_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)

/* Frontend: a fresh shared page (zeroed by the caller) and its private end. */
#define FRONT_RING_INIT(r, s)                                                    \
    do {                                                                         \
        (s)->h.req_prod = (s)->h.rsp_prod = 0;                                   \
        (s)->h.req_event = (s)->h.rsp_event = 1;                                 \
        (r)->req_prod_pvt = (r)->rsp_cons = 0;                                   \
        (r)->sring = (s);                                                        \
    } while (0)
#define BACK_RING_ATTACH(r, s)                                                   \
    do {                                                                         \
        (r)->rsp_prod_pvt = (r)->req_cons = 0;                                   \
        (r)->sring = (s);                                                        \
    } while (0)

/* Slots: a request slot the frontend may fill, a response slot the backend may. */
#define RING_REQ_SLOT(r, idx) (&(r)->sring->ring[(idx) & (RING_SIZE(r) - 1)].req)
#define RING_RSP_SLOT(r, idx) (&(r)->sring->ring[(idx) & (RING_SIZE(r) - 1)].rsp)

/* Frontend: free request slots (responses not yet consumed hold their slot). */
#define RING_FREE_REQUESTS(r) (RING_SIZE(r) - ((r)->req_prod_pvt - (r)->rsp_cons))
#define RING_FULL(r)          (RING_FREE_REQUESTS(r) == 0)

/* The other side's producer index is sane: at most one ring of entries ahead of
 * what we consumed. */
#define RING_PROD_SANE(r, prod, cons) ((ring_idx_t)((prod) - (cons)) <= RING_SIZE(r))

/* Publish privately produced entries; *notify = the other end wants an event. */
#define RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(r, notify)                           \
    do {                                                                         \
        ring_idx_t old_ = (r)->sring->h.req_prod, new_ = (r)->req_prod_pvt;      \
        ring_wmb();                                                              \
        (r)->sring->h.req_prod = new_;                                           \
        ring_mb();                                                               \
        (notify) = (ring_idx_t)(new_ - (r)->sring->h.req_event) <                \
                   (ring_idx_t)(new_ - old_);                                    \
    } while (0)
#define RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(r, notify)                          \
    do {                                                                         \
        ring_idx_t old_ = (r)->sring->h.rsp_prod, new_ = (r)->rsp_prod_pvt;      \
        ring_wmb();                                                              \
        (r)->sring->h.rsp_prod = new_;                                           \
        ring_mb();                                                               \
        (notify) = (ring_idx_t)(new_ - (r)->sring->h.rsp_event) <                \
                   (ring_idx_t)(new_ - old_);                                    \
    } while (0)

/* Consumer side, after draining: ask to be told of the next entry, then look again.
 * more = entries arrived meanwhile (consume them before sleeping). */
#define RING_FINAL_CHECK_FOR_REQUESTS(r, more)                                   \
    do {                                                                         \
        (r)->sring->h.req_event = (r)->req_cons + 1;                             \
        ring_mb();                                                               \
        (more) = (r)->sring->h.req_prod != (r)->req_cons;                        \
    } while (0)
#define RING_FINAL_CHECK_FOR_RESPONSES(r, more)                                  \
    do {                                                                         \
        (r)->sring->h.rsp_event = (r)->rsp_cons + 1;                             \
        ring_mb();                                                               \
        (more) = (r)->sring->h.rsp_prod != (r)->rsp_cons;                        \
    } while (0)

#endif
