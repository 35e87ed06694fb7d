/* Device set-up through the store (Xen's xenbus conventions). For device class
 * `vbd` (block) or `vif` (network), frontend domain F, backend domain B (dom0),
 * device id D:
 *   /local/domain/F/device/<class>/D/         frontend dir: backend (the backend
 *                                             dir's path), backend-id, state, and the
 *                                             protocol's keys (io/blkif.h, io/netif.h)
 *   /local/domain/B/backend/<class>/F/D/      backend dir: frontend, frontend-id,
 *                                             state, and the protocol's keys
 * The toolstack writes both dirs (state Initialising) and gives F read access to the
 * backend dir and B write access to the frontend dir. Handshake: backend ->
 * InitWait (its keys written); frontend allocates ring + event channel, writes its
 * keys, -> Initialised; backend maps the ring, binds the channel, -> Connected;
 * frontend -> Connected. Either side watches the other's state. Detach: the toolstack
 * sets the backend's state to Closing; the frontend finishes or fails what is in
 * flight and -> Closed; the backend unmaps, -> Closed; the toolstack removes both
 * dirs. A frontend that dies is cleaned up the same way when its domain is destroyed. */
#ifndef HVLAB_PUBLIC_IO_BUS_H
#define HVLAB_PUBLIC_IO_BUS_H

enum bus_state {
    BUS_UNKNOWN = 0,
    BUS_INITIALISING = 1,
    BUS_INIT_WAIT = 2,
    BUS_INITIALISED = 3,
    BUS_CONNECTED = 4,
    BUS_CLOSING = 5,
    BUS_CLOSED = 6,
};

#endif
