/* dom0's learning bridge (dom0/bridge.c): learning, forwarding, flooding, filtering,
 * moves, ageing, the bounded table under a flood of source MACs, and the frames it
 * drops. */
#include "unit.h"
#include <hvlab/errno.h>
#include "bridge.h"

#define SEC 1000000000ULL

static struct bridge br;

/* A minimal frame: destination, source, EtherType 0x88b5 (local experimental). */
static const uint8_t *frame(const uint8_t *dst, const uint8_t *src)
{
    static uint8_t f[64];

    memset(f, 0, sizeof(f));
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    return f;
}

static const uint8_t A[6] = { 0x00, 0x16, 0x3e, 0, 0, 1 };
static const uint8_t B[6] = { 0x00, 0x16, 0x3e, 0, 0, 2 };
static const uint8_t C[6] = { 0x00, 0x16, 0x3e, 0, 0, 3 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
static const uint8_t ZERO[6];

/* A bridge with three ports 0, 1, 2. */
static void setup3(void)
{
    bridge_init(&br, "br0", BRIDGE_AGEING_NS);
    CHECK_EQ(bridge_port_add(&br), 0);
    CHECK_EQ(bridge_port_add(&br), 1);
    CHECK_EQ(bridge_port_add(&br), 2);
}

static void test_unknown_floods(void)
{
    setup3();
    CHECK_EQ(bridge_forward(&br, 0, frame(B, A), 60, 0), 0x6);
    CHECK_EQ(br.st.flooded, 1);
    CHECK_EQ(br.st.learned, 1);
    CHECK_EQ(bridge_lookup(&br, A, 0), 0);
    CHECK_EQ(bridge_lookup(&br, B, 0), -ENOENT);
}

static void test_known_unicast_one_port(void)
{
    setup3();
    bridge_forward(&br, 0, frame(B, A), 60, 0);         /* learns A on 0 */
    CHECK_EQ(bridge_forward(&br, 1, frame(A, B), 60, 1), 0x1);   /* B on 1; to A */
    CHECK_EQ(bridge_forward(&br, 0, frame(B, A), 60, 2), 0x2);
    CHECK_EQ(br.st.forwarded, 2);
    CHECK_EQ(br.st.flooded, 1);
    CHECK_EQ(bridge_fdb_count(&br, 2), 2);
}

static void test_broadcast_multicast_flood(void)
{
    setup3();
    bridge_forward(&br, 1, frame(A, B), 60, 0);
    CHECK_EQ(bridge_forward(&br, 1, frame(BCAST, B), 60, 0), 0x5);
    CHECK_EQ(bridge_forward(&br, 2, frame(MCAST, C), 60, 0), 0x3);
    CHECK_EQ(br.st.flooded, 3);
}

static void test_same_port_filtered(void)
{
    setup3();
    bridge_forward(&br, 0, frame(BCAST, A), 60, 0);
    bridge_forward(&br, 0, frame(BCAST, B), 60, 0);     /* A and B both behind 0 */
    CHECK_EQ(bridge_forward(&br, 0, frame(B, A), 60, 0), 0);
    CHECK_EQ(br.st.filtered, 1);
}

static void test_move(void)
{
    setup3();
    bridge_forward(&br, 0, frame(BCAST, A), 60, 0);
    bridge_forward(&br, 2, frame(BCAST, A), 60, 1);     /* A moved to port 2 */
    CHECK_EQ(br.st.moved, 1);
    CHECK_EQ(br.st.learned, 1);
    CHECK_EQ(bridge_forward(&br, 1, frame(A, B), 60, 2), 0x4);
}

static void test_ageing(void)
{
    bridge_init(&br, "br0", 10 * SEC);
    bridge_port_add(&br);
    bridge_port_add(&br);
    bridge_forward(&br, 0, frame(BCAST, A), 60, 0);
    CHECK_EQ(bridge_lookup(&br, A, 10 * SEC), 0);       /* exactly the ageing time: live */
    CHECK_EQ(bridge_forward(&br, 1, frame(A, B), 60, 10 * SEC), 0x1);
    CHECK_EQ(bridge_fdb_count(&br, 10 * SEC + 1), 1);   /* A gone, B (seen at 10 s) not */
    CHECK_EQ(bridge_forward(&br, 1, frame(A, B), 60, 10 * SEC + 1), 0x1);  /* flooded */
    CHECK_EQ(br.st.aged, 1);
    CHECK_EQ(br.st.flooded, 2);
    CHECK_EQ(bridge_lookup(&br, A, 10 * SEC + 1), -ENOENT);
    /* Seen again: refreshed. */
    bridge_forward(&br, 0, frame(B, A), 60, 15 * SEC);
    CHECK_EQ(bridge_lookup(&br, A, 24 * SEC), 0);
}

/* Many more source MACs than the table holds: it never grows past its size, the
 * overflow is counted, the most recent MACs are still known. */
static void test_bounded_under_flood(void)
{
    uint8_t m[6] = { 0x02, 0, 0, 0, 0, 0 };
    unsigned n = 20000;

    setup3();
    for (unsigned i = 0; i < n; i++) {
        m[3] = (uint8_t)(i >> 16);
        m[4] = (uint8_t)(i >> 8);
        m[5] = (uint8_t)i;
        bridge_forward(&br, 1, frame(BCAST, m), 60, i);
    }
    CHECK(bridge_fdb_count(&br, n) <= BRIDGE_FDB_SIZE);
    CHECK(bridge_fdb_count(&br, n) > BRIDGE_FDB_SIZE / 2);
    CHECK_EQ(br.st.learned, n);
    CHECK_EQ(br.st.evicted, n - bridge_fdb_count(&br, n));
    CHECK_EQ(bridge_lookup(&br, m, n), 1);               /* the last one learned */
    /* A full table still learns a new MAC (its set's oldest entry makes room). */
    bridge_forward(&br, 0, frame(BCAST, A), 60, n + 1);
    CHECK_EQ(bridge_lookup(&br, A, n + 1), 0);
}

static void test_drops(void)
{
    static const struct {
        const char *name;
        unsigned port;
        const uint8_t *src;
        size_t len;
    } rows[] = {
        { "runt",             0, NULL, 13 },
        { "group source",     0, MCAST, 60 },
        { "broadcast source", 0, BCAST, 60 },
        { "zero source",      0, ZERO, 60 },
        { "unattached port",  3, NULL, 60 },
        { "port past the mask", 40, NULL, 60 },
    };

    setup3();
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        uint64_t before = br.st.dropped;

        if (bridge_forward(&br, rows[i].port, frame(BCAST, rows[i].src ? rows[i].src : A),
                           rows[i].len, 0) != 0 || br.st.dropped != before + 1)
            printf("  case %s\n", rows[i].name);
        CHECK_EQ(br.st.dropped, before + 1);
    }
    CHECK_EQ(br.st.learned, 0);
}

static void test_port_del_forgets(void)
{
    setup3();
    bridge_forward(&br, 2, frame(BCAST, C), 60, 0);
    bridge_forward(&br, 0, frame(BCAST, A), 60, 0);
    bridge_port_del(&br, 2);
    CHECK_EQ(bridge_lookup(&br, C, 0), -ENOENT);
    CHECK_EQ(bridge_lookup(&br, A, 0), 0);
    CHECK_EQ(bridge_forward(&br, 0, frame(C, A), 60, 0), 0x2);  /* flooded to 1 only */
    CHECK_EQ(bridge_forward(&br, 2, frame(A, C), 60, 0), 0);     /* 2 is gone */
    CHECK_EQ(bridge_port_add(&br), 2);                            /* reused */
}

static void test_port_limit(void)
{
    bridge_init(&br, "a-very-long-bridge-name", BRIDGE_AGEING_NS);
    CHECK_EQ(strlen(br.name), BRIDGE_NAME_MAX - 1);
    for (int p = 0; p < BRIDGE_MAX_PORTS; p++)
        CHECK_EQ(bridge_port_add(&br), p);
    CHECK_EQ(bridge_port_add(&br), -ENOSPC);
    /* Broadcast from port 31 goes to every other port, 31 excluded. */
    CHECK_EQ(bridge_forward(&br, 31, frame(BCAST, A), 60, 0), 0x7fffffffu);
}

static const struct unit_case cases[] = {
    { "unknown unicast floods", test_unknown_floods },
    { "known unicast goes to one port", test_known_unicast_one_port },
    { "broadcast and multicast flood", test_broadcast_multicast_flood },
    { "destination behind the source port is filtered", test_same_port_filtered },
    { "a MAC that moves is followed", test_move },
    { "entries age out", test_ageing },
    { "table bounded under a flood of source MACs", test_bounded_under_flood },
    { "runts and bad sources dropped", test_drops },
    { "detaching a port forgets its MACs", test_port_del_forgets },
    { "32 ports, then ENOSPC", test_port_limit },
};

UNIT_MAIN(cases)
