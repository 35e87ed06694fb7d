/* The PV network protocol (Xen's netif, simplified, our layout): two rings in two
 * pages, tx (frames from the domU) and rx (frames to it), and one event channel.
 * One Ethernet frame per request, in one granted page, at most NETIF_MTU_FRAME bytes.
 *
 * tx: the frontend grants a page holding a frame (offset, size) read-only and posts a
 *     request; the backend copies it out (grant copy), answers with the id and
 *     NETIF_RSP_OKAY or NETIF_RSP_ERROR (bad grant, size 0 or > NETIF_MTU_FRAME,
 *     offset + size past the page), and hands the frame to dom0's bridge.
 * rx: the frontend posts empty granted pages (writable); for each frame the bridge
 *     sends it, the backend copies it into the next posted page and answers with the
 *     page's id, offset 0 and status = the frame's length. With no page posted the
 *     frame is dropped and counted (rx_dropped), never queued without bound. */
#ifndef HVLAB_PUBLIC_IO_NETIF_H
#define HVLAB_PUBLIC_IO_NETIF_H

#include "../grant_table.h"
#include "ring.h"

#define NETIF_MTU_FRAME   1514          /* Ethernet header + 1500 */
#define NETIF_RSP_OKAY    0
#define NETIF_RSP_ERROR  (-1)
#define NETIF_RSP_DROPPED (-2)

struct netif_tx_request {
    grant_ref_t gref;
    uint16_t offset;
    uint16_t size;
    uint16_t id;
    uint16_t flags;                     /* 0 */
};
struct netif_tx_response {
    uint16_t id;
    int16_t status;
};
struct netif_rx_request {
    uint16_t id;
    uint16_t pad;
    grant_ref_t gref;
};
struct netif_rx_response {
    uint16_t id;
    uint16_t offset;
    uint16_t flags;
    int16_t status;                     /* > 0: frame length; < 0: NETIF_RSP_* */
};

RING_DEFINE(netif_tx, struct netif_tx_request, struct netif_tx_response);
RING_DEFINE(netif_rx, struct netif_rx_request, struct netif_rx_response);

/* Store keys: frontend dir: tx-ring-ref, rx-ring-ref, event-channel, mac
 * ("00:16:3e:xx:xx:xx"), state; backend dir: mac, bridge, state. */

#endif
