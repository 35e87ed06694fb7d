/* Event-channel round trips between two domains running this one image.
 *   role=pong peer=<ping's domid> [rounds=N] [timeout_ms=T]
 *   role=ping peer=<pong's domid> [port=P] [rounds=N] [timeout_ms=T]
 * Each round, ping reads the clock, sends on its port and blocks until pong's reply
 * arrives; pong's event handler sends every event straight back from the upcall.
 *
 * The port: pong allocates it (evtchn_alloc_unbound(remote = ping)) and publishes it
 * in the store as its pingpong/port, readable by ping only (docs/store.md); ping reads
 * /local/domain/<peer>/pingpong/port (port=P overrides it; without a store, 1).
 * pong also prints "pingpong: pong port=N". The two domains start in either order:
 * ping retries the read and the bind for up to timeout_ms.
 *
 * Results (RTT in guest ns: instructions under icount, wall time otherwise):
 *   ping: result bench=pingpong dom=D peer=P rounds=N rtt_avg_ns=A rtt_min_ns=m rtt_max_ns=M
 *   pong: result bench=pingpong-pong dom=D peer=P rounds=N */
#include <guest.h>
#include <store.h>

static volatile uint64_t events_seen;

static void on_ping(evtchn_port_t port, void *arg)
{
    evtchn_send(port);
    events_seen++;
}

static void on_reply(evtchn_port_t port, void *arg)
{
    events_seen++;
}

/* Blocks until events_seen reaches target or the clock passes deadline (the timer
 * must be armed for it already). Returns false on time-out. */
static bool wait_events(uint64_t target, uint64_t deadline)
{
    bool ok = true;

    local_irq_disable();
    while (events_seen < target) {
        if (guest_now_ns() >= deadline) {
            ok = false;
            break;
        }
        guest_block();
        local_irq_disable();
    }
    local_irq_enable();
    return ok;
}

static int pong(hv_domid_t peer, uint64_t rounds, uint64_t timeout_ns)
{
    int port = evtchn_alloc_unbound(peer, on_ping, NULL);
    uint64_t deadline;

    if (port < 0) {
        printf("pingpong: pong: alloc_unbound(remote %u) failed: %d (%s)\n", peer, port,
               errno_name(port));
        return 1;
    }
    printf("pingpong: pong port=%d\n", port);
    if (store_init() == 0) {
        char me[8], them[8];
        const char *perms[] = { me, them };
        int rc;

        fmt_snprintf(me, sizeof(me), "n%u", guest_domid());
        fmt_snprintf(them, sizeof(them), "r%u", peer);
        if ((rc = store_printf("pingpong/port", "%d", port)) < 0 ||
            (rc = store_set_perms("pingpong/port", perms, 2)) < 0) {
            printf("pingpong: pong: publishing the port failed: %d (%s)\n", rc,
                   errno_name(rc));
            return 1;
        }
    }
    deadline = guest_now_ns() + timeout_ns;
    timer_set_deadline(deadline);
    if (!wait_events(rounds, deadline)) {
        printf("pingpong: pong: timed out after %llu of %llu rounds\n",
               (unsigned long long)events_seen, (unsigned long long)rounds);
        return 1;
    }
    printf("result bench=pingpong-pong dom=%u peer=%u rounds=%llu\n", guest_domid(), peer,
           (unsigned long long)rounds);
    return 0;
}

/* pong's port: port=, else what pong published in the store (waiting for it), else 1
 * (no store: the lowest port, pong's first). 0 when pong never published it. */
static evtchn_port_t ping_port(hv_domid_t peer, uint64_t deadline)
{
    char path[48];
    uint64_t v;

    if (guest_arg("port", path, sizeof(path)))
        return (evtchn_port_t)guest_arg_uint("port", 1);
    if (store_init() < 0)
        return 1;
    fmt_snprintf(path, sizeof(path), "/local/domain/%u/pingpong/port", peer);
    while (store_read_uint(path, &v) < 0 || !v || v >= NR_EVENT_CHANNELS) {
        if (guest_now_ns() >= deadline) {
            printf("pingpong: ping: no port published at %s\n", path);
            return 0;
        }
        sleep_ns(1000000);
    }
    return (evtchn_port_t)v;
}

static int ping(hv_domid_t peer, uint64_t rounds, uint64_t timeout_ns)
{
    uint64_t deadline = guest_now_ns() + timeout_ns, sum = 0, max = 0, min = UINT64_MAX;
    evtchn_port_t rport = ping_port(peer, deadline);
    int port;

    if (!rport)
        return 1;
    while ((port = evtchn_bind_interdomain(peer, rport, on_reply, NULL)) < 0) {
        if (guest_now_ns() >= deadline) {
            printf("pingpong: ping: bind_interdomain(dom %u, port %u) failed: %d (%s)\n",
                   peer, rport, port, errno_name(port));
            return 1;
        }
        sleep_ns(1000000);
    }
    /* Binding raises the new port once (as in Xen: events sent while it was unbound
     * were dropped): that upcall ran on the way back from the bind. It is not a
     * reply: start counting from zero. */
    local_irq_disable();
    events_seen = 0;
    local_irq_enable();
    deadline = guest_now_ns() + timeout_ns;
    timer_set_deadline(deadline);
    for (uint64_t i = 0; i < rounds; i++) {
        uint64_t t0 = guest_now_ns(), rtt;
        int rc = evtchn_send(port);

        if (rc < 0) {
            printf("pingpong: ping: send failed: %d (%s)\n", rc, errno_name(rc));
            return 1;
        }
        if (!wait_events(i + 1, deadline)) {
            printf("pingpong: ping: timed out after %llu of %llu rounds\n",
                   (unsigned long long)i, (unsigned long long)rounds);
            return 1;
        }
        rtt = guest_now_ns() - t0;
        sum += rtt;
        max = MAX(max, rtt);
        min = MIN(min, rtt);
    }
    printf("result bench=pingpong dom=%u peer=%u rounds=%llu rtt_avg_ns=%llu "
           "rtt_min_ns=%llu rtt_max_ns=%llu\n", guest_domid(), peer,
           (unsigned long long)rounds, (unsigned long long)(sum / rounds),
           (unsigned long long)min, (unsigned long long)max);
    return 0;
}

int main(const struct start_info *si)
{
    char role[8];
    uint64_t rounds = guest_arg_uint("rounds", 1000);
    uint64_t timeout_ns = guest_arg_uint("timeout_ms", 10000) * 1000000;
    uint64_t peer = guest_arg_uint("peer", DOMID_INVALID);

    if (!guest_arg("role", role, sizeof(role)) || peer >= DOMID_INVALID || !rounds) {
        printf("pingpong: usage: role=ping|pong peer=<domid> [port=N] [rounds=N] "
               "[timeout_ms=N]\n");
        return 1;
    }
    if (strcmp(role, "pong") == 0)
        return pong((hv_domid_t)peer, rounds, timeout_ns);
    if (strcmp(role, "ping") == 0)
        return ping((hv_domid_t)peer, rounds, timeout_ns);
    printf("pingpong: unknown role \"%s\"\n", role);
    return 1;
}
