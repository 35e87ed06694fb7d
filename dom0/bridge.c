/* The learning bridge; see bridge.h.
 *
 * Design: the forwarding database is a set-associative table: a MAC hashes to one
 * set of BRIDGE_FDB_WAYS entries, so a lookup or a learn touches at most four
 * entries whatever the table holds, and a full set recycles its least recently
 * seen entry. Ageing is lazy: an entry older than ageing_ns is dropped when a
 * lookup or a learn meets it (and counted once, then).
 *
 * Locking: none (single-threaded, see bridge.h).
 *
 * Limitations: no VLANs, no spanning tree (one bridge has no loops: its ports are
 * vifs), no static entries. */
#include <hvlab/errno.h>
#include "bridge.h"

static bool mac_is_group(const uint8_t *mac)
{
    return mac[0] & 1;
}

static bool mac_is_zero(const uint8_t *mac)
{
    return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/* The set of mac: FNV-1a over its six bytes, folded to the set count. */
static struct bridge_fdb_entry *fdb_set(struct bridge *b, const uint8_t *mac)
{
    uint32_t h = 2166136261u;

    for (unsigned i = 0; i < ETH_ALEN; i++)
        h = (h ^ mac[i]) * 16777619u;
    return b->fdb[(h ^ (h >> 16)) % BRIDGE_FDB_SETS];
}

/* Drops e if it is older than the ageing time; true if it is (still) live. */
static bool fdb_live(struct bridge *b, struct bridge_fdb_entry *e, uint64_t now_ns)
{
    if (!e->used)
        return false;
    if (now_ns - e->seen_ns > b->ageing_ns) {
        e->used = false;
        b->st.aged++;
        return false;
    }
    return true;
}

static struct bridge_fdb_entry *fdb_find(struct bridge *b, const uint8_t *mac,
                                         uint64_t now_ns)
{
    struct bridge_fdb_entry *set = fdb_set(b, mac);

    for (unsigned w = 0; w < BRIDGE_FDB_WAYS; w++)
        if (fdb_live(b, &set[w], now_ns) && memcmp(set[w].mac, mac, ETH_ALEN) == 0)
            return &set[w];
    return NULL;
}

static void fdb_learn(struct bridge *b, const uint8_t *mac, unsigned port, uint64_t now_ns)
{
    struct bridge_fdb_entry *set, *e = fdb_find(b, mac, now_ns), *victim = NULL;

    if (e) {
        if (e->port != port) {
            e->port = (uint8_t)port;
            b->st.moved++;
        }
        e->seen_ns = now_ns;
        return;
    }
    set = fdb_set(b, mac);
    for (unsigned w = 0; w < BRIDGE_FDB_WAYS; w++) {
        if (!fdb_live(b, &set[w], now_ns)) {
            victim = &set[w];
            break;
        }
        if (!victim || set[w].seen_ns < victim->seen_ns)
            victim = &set[w];
    }
    if (victim->used)
        b->st.evicted++;
    memcpy(victim->mac, mac, ETH_ALEN);
    victim->port = (uint8_t)port;
    victim->seen_ns = now_ns;
    victim->used = true;
    b->st.learned++;
}

void bridge_init(struct bridge *b, const char *name, uint64_t ageing_ns)
{
    size_t n = strlen(name);

    memset(b, 0, sizeof(*b));
    n = MIN(n, (size_t)BRIDGE_NAME_MAX - 1);
    memcpy(b->name, name, n);
    b->ageing_ns = ageing_ns;
}

int bridge_port_add(struct bridge *b)
{
    for (unsigned p = 0; p < BRIDGE_MAX_PORTS; p++) {
        if (!(b->ports & (1u << p))) {
            b->ports |= 1u << p;
            return (int)p;
        }
    }
    return -ENOSPC;
}

void bridge_port_del(struct bridge *b, unsigned port)
{
    if (port >= BRIDGE_MAX_PORTS)
        return;
    b->ports &= ~(1u << port);
    for (unsigned s = 0; s < BRIDGE_FDB_SETS; s++)
        for (unsigned w = 0; w < BRIDGE_FDB_WAYS; w++)
            if (b->fdb[s][w].used && b->fdb[s][w].port == port)
                b->fdb[s][w].used = false;
}

uint32_t bridge_forward(struct bridge *b, unsigned in, const uint8_t *frame, size_t len,
                        uint64_t now_ns)
{
    const uint8_t *dst = frame, *src = frame + ETH_ALEN;
    struct bridge_fdb_entry *e;
    uint32_t others;

    if (in >= BRIDGE_MAX_PORTS || !(b->ports & (1u << in)) || len < ETH_HLEN ||
        mac_is_group(src) || mac_is_zero(src)) {
        b->st.dropped++;
        return 0;
    }
    fdb_learn(b, src, in, now_ns);
    others = b->ports & ~(1u << in);
    if (!mac_is_group(dst) && (e = fdb_find(b, dst, now_ns))) {
        if (e->port == in) {
            b->st.filtered++;
            return 0;
        }
        b->st.forwarded++;
        return 1u << e->port;
    }
    b->st.flooded++;
    return others;
}

int bridge_lookup(struct bridge *b, const uint8_t *mac, uint64_t now_ns)
{
    struct bridge_fdb_entry *e = fdb_find(b, mac, now_ns);

    return e ? e->port : -ENOENT;
}

unsigned bridge_fdb_count(const struct bridge *b, uint64_t now_ns)
{
    unsigned n = 0;

    for (unsigned s = 0; s < BRIDGE_FDB_SETS; s++)
        for (unsigned w = 0; w < BRIDGE_FDB_WAYS; w++)
            n += b->fdb[s][w].used && now_ns - b->fdb[s][w].seen_ns <= b->ageing_ns;
    return n;
}
