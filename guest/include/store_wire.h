/* The byte rings of a store page (public/io/store.h), from either end: the domU's
 * client (guest/store_client.c) and dom0's store (dom0/store_ring.c) read and write
 * messages with these, one copy of the index arithmetic and its checks. Pure: also
 * built for the host tests.
 *
 * The other end is untrusted: an index pair with prod - cons > STORE_RING_SIZE, or a
 * header whose len exceeds STORE_PAYLOAD_MAX, is malformed (-EIO), and the caller
 * stops using the ring. Indices are read once (a copy) and checked before use. */
#ifndef GUEST_STORE_WIRE_H
#define GUEST_STORE_WIRE_H

#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <public/io/store.h>
#include <public/event_channel.h>

/* A message being received: header, then payload, as many calls as it takes. */
struct store_rx {
    struct store_msg_hdr hdr;
    uint32_t got;                       /* bytes of header + payload so far */
    char payload[STORE_PAYLOAD_MAX + 1];/* NUL-terminated for convenience */
};

/* Consumes bytes of ring (its *cons, up to *prod) into rx: 1 when rx holds a whole
 * message (the next call starts a new one), 0 when more bytes are needed, -EIO when
 * the indices or the header are malformed. *cons is advanced (the caller notifies). */
int store_rx_feed(struct store_rx *rx, const char *ring, volatile uint32_t *cons,
                  const volatile uint32_t *prod);

/* A message being sent: header then payload, as the ring makes room. */
struct store_tx {
    struct store_msg_hdr hdr;
    const char *payload;
    uint32_t sent;                      /* bytes of header + payload so far */
};

/* Writes what fits of tx into ring (at *prod, up to *cons + STORE_RING_SIZE): 1 when
 * all of it is written, 0 when it waits for room, -EIO for malformed indices. *prod
 * is advanced after a write barrier (the caller notifies). */
int store_tx_push(struct store_tx *tx, char *ring, const volatile uint32_t *cons,
                  volatile uint32_t *prod);

/* Where our store page and port are: the platform's (guest/store_pv.c: start_info;
 * guest/hvm/store_hvm.c: HVMOP_get_param). 0, or -EIO when the domain has none. */
int store_plat_find(struct store_interface **page, evtchn_port_t *port);

#endif
