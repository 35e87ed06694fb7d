/* Network benchmark between two domUs through dom0's bridge (docs/network.md), one
 * image, the role from the command line:
 *   role=echo [timeout_ms=T]
 *   role=ping peer=<echo's MAC> [rounds=N] [frames=M] [timeout_ms=T]
 * ping first measures N round trips of a 64-byte frame (echo sends each straight
 * back), then streams M frames of 1514 bytes and asks echo how many arrived.
 * Both sides check every frame's content (a pattern derived from its sequence
 * number): a frame with a wrong byte is counted as bad, never as received.
 *
 * Results (guest time: the hypervisor's NOW(), instructions under -icount):
 *   ping: result bench=netbench-rtt dom=D rounds=N rtt_median_ns=.. rtt_p99_ns=..
 *           rtt_min_ns=.. rtt_max_ns=.. resent=R bad=B (R pings sent again after
 *           5 ms without an answer: frames may be dropped, e.g. before echo's vif is
 *           connected; a round is timed from its last send)
 *         result bench=netbench-stream dom=D frames=M frame_bytes=1514 delivered=K
 *           ns=T frames_per_s=.. bytes_per_s=.. (K frames arrived intact at echo over
 *           the T ns from the first send to echo's answer; M - K were dropped, as
 *           dom0's network-list shows in echo's rx_dropped)
 *   echo: result bench=netbench-echo dom=D echoed=N stream_rx=K bad=B
 * The frames: Ethernet header (EtherType 0x88b5, local experimental), a kind byte
 * ('P'ing, 'S'tream, 'E'nd of stream, 'R'eport, 'Q'uit, 'A'ck), a 32-bit sequence
 * number, a 32-bit value (report: frames received), then the pattern. Other
 * frames (anything else on the bridge) are ignored. */
#include <guest.h>
#include <netdev.h>

#define ETHERTYPE_BENCH 0x88b5
#define HDR             14
#define OFF_KIND        HDR
#define OFF_SEQ         (HDR + 1)
#define OFF_VAL         (HDR + 5)
#define OFF_DATA        (HDR + 9)
#define PING_BYTES      64
#define STREAM_BYTES    NETIF_MTU_FRAME
#define MAX_ROUNDS      10000
#define RESEND_NS       5000000ULL

static uint8_t tx[NETIF_MTU_FRAME], rx[NETIF_MTU_FRAME];
static uint64_t rtts[MAX_ROUNDS];
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint32_t get32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint8_t pattern(uint32_t seq, size_t i)
{
    return (uint8_t)(seq * 7 + i * 13 + 1);
}

/* A frame of ours to dst in tx: len bytes. */
static void build(struct netdev *d, const uint8_t *dst, char kind, uint32_t seq, uint32_t val,
                  size_t len)
{
    memcpy(tx, dst, 6);
    memcpy(tx + 6, d->mac, 6);
    tx[12] = ETHERTYPE_BENCH >> 8;
    tx[13] = ETHERTYPE_BENCH & 0xff;
    tx[OFF_KIND] = (uint8_t)kind;
    put32(tx + OFF_SEQ, seq);
    put32(tx + OFF_VAL, val);
    for (size_t i = OFF_DATA; i < len; i++)
        tx[i] = pattern(seq, i);
}

/* Sends tx[0..len), sleeping while the tx ring is full: 0 or -errno. */
static int send_wait(struct netdev *d, size_t len, uint64_t deadline)
{
    int rc;

    while ((rc = d->ops->send(d, tx, len)) == -EBUSY) {
        if (guest_now_ns() >= deadline)
            return -EBUSY;
        /* Full with frames in flight: their responses will come, and poll asked
         * for an event at the next one. Checked again with events off, so one
         * arriving in between is not slept through (guest.h). */
        local_irq_disable();
        d->ops->poll(d);
        if ((rc = d->ops->send(d, tx, len)) != -EBUSY) {
            local_irq_enable();
            return rc;
        }
        timer_set_deadline(deadline);
        guest_block();
    }
    return rc;
}

/* The next bench frame for us: its kind, 0 on time-out; *len its length, *bad
 * counts frames whose pattern is wrong. */
static char recv_bench(struct netdev *d, uint64_t deadline, size_t *len, uint64_t *bad)
{
    for (;;) {
        long n = netdev_recv_wait(d, rx, sizeof(rx), deadline);
        uint32_t seq;

        if (n < 0)
            return 0;
        if (n < OFF_DATA || memcmp(rx, d->mac, 6) != 0 || rx[12] != ETHERTYPE_BENCH >> 8 ||
            rx[13] != (ETHERTYPE_BENCH & 0xff))
            continue;
        seq = get32(rx + OFF_SEQ);
        for (long i = OFF_DATA; i < n; i++) {
            if (rx[i] != pattern(seq, (size_t)i)) {
                (*bad)++;
                n = 0;
                break;
            }
        }
        if (n == 0)
            continue;
        *len = (size_t)n;
        return (char)rx[OFF_KIND];
    }
}

static int echo(struct netdev *d, uint64_t timeout_ns)
{
    uint64_t deadline = guest_now_ns() + timeout_ns, echoed = 0, stream_rx = 0, bad = 0;
    uint8_t peer[6];
    size_t len;
    char kind;

    /* Announce ourselves, so the bridge learns our MAC before the first ping. */
    build(d, bcast, 'A', 0, 0, PING_BYTES);
    send_wait(d, PING_BYTES, deadline);
    while ((kind = recv_bench(d, deadline, &len, &bad))) {
        uint32_t seq = get32(rx + OFF_SEQ);

        memcpy(peer, rx + 6, 6);
        if (kind == 'P') {
            memcpy(tx, rx, len);                /* back to the sender, as it was */
            memcpy(tx, peer, 6);
            memcpy(tx + 6, d->mac, 6);
            if (send_wait(d, len, deadline) == 0)
                echoed++;
        } else if (kind == 'S') {
            stream_rx++;
        } else if (kind == 'E') {
            build(d, peer, 'R', seq, (uint32_t)stream_rx, PING_BYTES);
            send_wait(d, PING_BYTES, deadline);
        } else if (kind == 'Q') {
            build(d, peer, 'A', seq, 0, PING_BYTES);
            send_wait(d, PING_BYTES, deadline);
            printf("result bench=netbench-echo dom=%u echoed=%llu stream_rx=%llu bad=%llu\n",
                   guest_domid(), (unsigned long long)echoed,
                   (unsigned long long)stream_rx, (unsigned long long)bad);
            return 0;
        }
    }
    printf("netbench: echo: timed out (echoed %llu, stream %llu)\n",
           (unsigned long long)echoed, (unsigned long long)stream_rx);
    return 1;
}

static void sort(uint64_t *a, unsigned n)
{
    for (unsigned gap = n / 2; gap; gap /= 2)
        for (unsigned i = gap; i < n; i++)
            for (unsigned j = i; j >= gap && a[j - gap] > a[j]; j -= gap) {
                uint64_t t = a[j];
                a[j] = a[j - gap];
                a[j - gap] = t;
            }
}

/* Sends kind until the answer want arrives (frames may be dropped): the answer's
 * value, or -1 on time-out. */
static int64_t ask(struct netdev *d, const uint8_t *peer, char kind, char want,
                  uint64_t deadline, uint64_t *bad)
{
    for (uint32_t seq = 0;; seq++) {
        size_t len;
        char k;

        build(d, peer, kind, seq, 0, PING_BYTES);
        if (send_wait(d, PING_BYTES, deadline))
            return -1;
        while ((k = recv_bench(d, MIN(deadline, guest_now_ns() + RESEND_NS), &len, bad)))
            if (k == want)
                return get32(rx + OFF_VAL);
        if (guest_now_ns() >= deadline)
            return -1;
    }
}

static int ping(struct netdev *d, const uint8_t *peer, unsigned rounds, uint32_t frames,
                uint64_t timeout_ns)
{
    uint64_t deadline = guest_now_ns() + timeout_ns, bad = 0, t0, resent = 0;
    uint64_t ns;
    int64_t got;

    for (unsigned i = 0; i < rounds; i++) {
        size_t len;
        char k = 0;

        /* A frame may be dropped (e.g. before echo's vif is connected): after
         * RESEND_NS without the answer, send again; the round trip is timed from
         * the last send. */
        while (!k) {
            build(d, peer, 'P', i, 0, PING_BYTES);
            t0 = guest_now_ns();
            if (t0 >= deadline || send_wait(d, PING_BYTES, deadline)) {
                printf("netbench: ping: no answer to round %u of %u\n", i, rounds);
                return 1;
            }
            while ((k = recv_bench(d, MIN(deadline, t0 + RESEND_NS), &len, &bad)) &&
                   !(k == 'P' && get32(rx + OFF_SEQ) == i))
                ;
            resent += !k;
        }
        rtts[i] = guest_now_ns() - t0;
    }
    sort(rtts, rounds);
    printf("result bench=netbench-rtt dom=%u rounds=%u rtt_median_ns=%llu rtt_p99_ns=%llu "
           "rtt_min_ns=%llu rtt_max_ns=%llu resent=%llu bad=%llu\n", guest_domid(), rounds,
           (unsigned long long)rtts[rounds / 2],
           (unsigned long long)rtts[(rounds * 99 + 99) / 100 - 1],
           (unsigned long long)rtts[0], (unsigned long long)rtts[rounds - 1],
           (unsigned long long)resent, (unsigned long long)bad);

    t0 = guest_now_ns();
    for (uint32_t i = 0; i < frames; i++) {
        build(d, peer, 'S', i, 0, STREAM_BYTES);
        if (send_wait(d, STREAM_BYTES, deadline)) {
            printf("netbench: stream: tx ring stuck at frame %u\n", i);
            return 1;
        }
    }
    if ((got = ask(d, peer, 'E', 'R', deadline, &bad)) < 0) {
        printf("netbench: stream: no report from echo\n");
        return 1;
    }
    ns = guest_now_ns() - t0;
    printf("result bench=netbench-stream dom=%u frames=%u frame_bytes=%u delivered=%lld "
           "ns=%llu frames_per_s=%llu bytes_per_s=%llu\n", guest_domid(), frames,
           STREAM_BYTES, (long long)got, (unsigned long long)ns,
           (unsigned long long)((uint64_t)got * 1000000000ULL / ns),
           (unsigned long long)((uint64_t)got * STREAM_BYTES * 1000000000ULL / ns));
    if (ask(d, peer, 'Q', 'A', deadline, &bad) < 0) {
        printf("netbench: echo did not acknowledge the end\n");
        return 1;
    }
    return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    for (unsigned i = 0; i < 6; i++) {
        char *end;
        char byte[3] = { s[3 * i], s[3 * i] ? s[3 * i + 1] : 0, 0 };

        mac[i] = (uint8_t)strtoull(byte, &end, 16);
        if (end != byte + 2 || (i < 5 && s[3 * i + 2] != ':'))
            return -EINVAL;
    }
    return s[17] ? -EINVAL : 0;
}

int main(const struct start_info *si)
{
    uint64_t start = guest_now_ns(), timeout_ns = guest_arg_uint("timeout_ms", 30000) * 1000000ULL;
    uint64_t rounds = guest_arg_uint("rounds", 1000), frames = guest_arg_uint("frames", 10000);
    char role[8], mac[24];
    uint8_t peer[6];
    struct netdev *d;
    int n;

    (void)si;
    if (!guest_arg("role", role, sizeof(role)) || !rounds || rounds > MAX_ROUNDS ||
        frames > UINT32_MAX) {
        printf("netbench: usage: role=echo|ping [peer=<MAC>] [rounds=1..%u] [frames=N] "
               "[timeout_ms=N]\n", MAX_ROUNDS);
        return 1;
    }
    /* A vif given by `xl network-attach` after we started appears later: look
     * again until the time-out. */
    while ((n = netfront_probe(guest_now_ns() + timeout_ns)) == 0 &&
           guest_now_ns() < start + timeout_ns)
        sleep_ns(10000000);
    if (n <= 0 || !(d = netdev_find(NULL))) {
        printf("netbench: no network device (%d)\n", n);
        return 1;
    }
    printf("netbench: %s up, mac %02x:%02x:%02x:%02x:%02x:%02x\n", d->name, d->mac[0],
           d->mac[1], d->mac[2], d->mac[3], d->mac[4], d->mac[5]);
    if (strcmp(role, "echo") == 0)
        return echo(d, timeout_ns);
    if (strcmp(role, "ping") == 0) {
        if (!guest_arg("peer", mac, sizeof(mac)) || parse_mac(mac, peer)) {
            printf("netbench: ping needs peer=<the echo side's MAC>\n");
            return 1;
        }
        return ping(d, peer, (unsigned)rounds, (uint32_t)frames, timeout_ns);
    }
    printf("netbench: unknown role \"%s\"\n", role);
    return 1;
}
