/* dom0's learning bridge (dom0/bridge.c): the switch that netback's vifs plug into,
 * as Linux's bridge in a Xen dom0. Pure: no I/O, no allocation, no clock of its own
 * (the caller passes the time), so host tests drive it directly
 * (tests/unit/test_bridge.c).
 *
 * Each frame that enters on a port teaches the bridge its source MAC (which port
 * that MAC lives behind, and when it was last seen), then goes out on:
 *   - the one port its destination was learned on (known unicast),
 *   - no port when that is the port it came from (filtered),
 *   - every port but the one it came from (broadcast, multicast, unknown unicast).
 * An entry not seen for ageing_ns is forgotten. The table is bounded
 * (BRIDGE_FDB_SETS sets of BRIDGE_FDB_WAYS entries, set by a hash of the MAC): a new
 * MAC whose set is full replaces that set's least recently seen entry (counted as
 * evicted), so a flood of made-up source MACs costs others at most a flood of
 * their frames, never memory. Frames shorter than an Ethernet header or with a
 * group or all-zero source MAC are dropped (counted), as Linux's bridge does. */
#ifndef DOM0_BRIDGE_H
#define DOM0_BRIDGE_H

#include <hvlab/lib.h>

#define BRIDGE_NAME_MAX      16
#define BRIDGE_MAX_PORTS     32          /* a port mask is a uint32_t */
#define BRIDGE_FDB_SETS      64
#define BRIDGE_FDB_WAYS      4
#define BRIDGE_FDB_SIZE      (BRIDGE_FDB_SETS * BRIDGE_FDB_WAYS)
#define BRIDGE_AGEING_NS     (300ULL * 1000000000ULL)   /* Linux's default: 300 s */
#define ETH_HLEN             14
#define ETH_ALEN             6

struct bridge_fdb_entry {
    uint8_t mac[ETH_ALEN];
    bool used;
    uint8_t port;
    uint64_t seen_ns;                   /* last frame from mac */
};

struct bridge_stats {
    uint64_t forwarded;                 /* frames to one known port */
    uint64_t flooded;                   /* frames to every other port */
    uint64_t filtered;                  /* destination behind the source port */
    uint64_t dropped;                   /* runt or bad source MAC */
    uint64_t learned;                   /* new entries */
    uint64_t moved;                     /* a MAC seen on another port */
    uint64_t evicted;                   /* live entries pushed out of a full set */
    uint64_t aged;                      /* entries forgotten after ageing_ns */
};

/* One bridge. Not locked: dom0's services run on one vCPU (service.h). */
struct bridge {
    char name[BRIDGE_NAME_MAX];
    uint32_t ports;                     /* attached ports, one bit each */
    uint64_t ageing_ns;
    struct bridge_stats st;
    struct bridge_fdb_entry fdb[BRIDGE_FDB_SETS][BRIDGE_FDB_WAYS];
};

/* An empty bridge named name (cut to BRIDGE_NAME_MAX - 1) with no ports. */
void bridge_init(struct bridge *b, const char *name, uint64_t ageing_ns);
/* Attaches a new port: its number (0..BRIDGE_MAX_PORTS - 1), or -ENOSPC. */
int bridge_port_add(struct bridge *b);
/* Detaches port and forgets every MAC learned on it. */
void bridge_port_del(struct bridge *b, unsigned port);
/* Learns frame's source on port in and returns the ports it must go out on (a
 * mask, 0 for none). in must be attached. */
uint32_t bridge_forward(struct bridge *b, unsigned in, const uint8_t *frame, size_t len,
                        uint64_t now_ns);
/* The port mac was learned on and is still fresh at now_ns, or -ENOENT. */
int bridge_lookup(struct bridge *b, const uint8_t *mac, uint64_t now_ns);
/* Live entries (for listings and tests). */
unsigned bridge_fdb_count(const struct bridge *b, uint64_t now_ns);

#endif
