/* The store from a domU (tests/boot/test_store.py; PV, and HVM as storetest-hvm).
 * role=main: reads its name and id, writes and reads back keys (one larger than the
 * ring), is refused another domain's keys (other=<id>), gets a watch event when
 * dom0 writes the key it watches (`store-write` in the scenario), and waits for a
 * bus state dom0 sets. role=bystander: writes a key, then waits for dom0's "go" and
 * checks it is still served (after role=bad broke its own ring). role=bad: writes a
 * malformed index into its ring: the store must stop serving it alone.
 * Prints "storetest: <case> ok|FAILED (...)" and "storetest: N passed, N failed". */
#include <guest.h>
#include <store.h>

static unsigned passed, failed;

static void check(bool ok, const char *what, long got)
{
    printf("storetest: %s %s", what, ok ? "ok\n" : "FAILED");
    if (!ok)
        printf(" (got %ld)\n", got);
    ok ? passed++ : failed++;
}

static uint64_t deadline_s(unsigned s)
{
    return guest_now_ns() + (uint64_t)s * 1000000000ULL;
}

static void role_main(void)
{
    char buf[2048], want[64], path[64], tok[64];
    static char big[1500];
    uint64_t other = guest_arg_uint("other", 0), v;
    long n;
    int rc;

    guest_arg("name", want, sizeof(want));
    n = store_read("name", buf, sizeof(buf));
    check(n > 0 && !strcmp(buf, want), "own name", n);
    printf("storetest: name is %s\n", n > 0 ? buf : "?");
    rc = store_read_uint("domid", &v);
    check(rc == 0 && v == guest_domid(), "own domid", rc ? rc : (long)v);
    rc = store_write("written", "from-domU");
    n = store_read("written", buf, sizeof(buf));
    check(rc == 0 && n == 9 && !strcmp(buf, "from-domU"), "write and read back", rc ? rc : n);
    for (unsigned i = 0; i < sizeof(big) - 1; i++)
        big[i] = (char)('A' + i % 26);
    rc = store_write("big", big);
    n = store_read("big", buf, sizeof(buf));
    check(rc == 0 && n == (long)sizeof(big) - 1 && !memcmp(buf, big, sizeof(big) - 1),
          "a value larger than the ring", rc ? rc : n);
    n = store_list("", buf, sizeof(buf));
    check(n == -EINVAL, "empty path refused", n);
    /* Round trip of a small read: request, dom0's service poll, reply. */
    uint64_t t0 = guest_now_ns();
    for (unsigned i = 0; i < 100; i++)
        store_read("domid", buf, sizeof(buf));
    printf("storetest: read round trip avg %llu ns (100 reads)\n",
           (unsigned long long)((guest_now_ns() - t0) / 100));

    /* Another domain's keys. */
    fmt_snprintf(path, sizeof(path), "/local/domain/%u/name", (unsigned)other);
    n = store_read(path, buf, sizeof(buf));
    check(n == -EACCES, "other domain's name unreadable", n);
    fmt_snprintf(path, sizeof(path), "/local/domain/%u/mine", (unsigned)other);
    rc = store_write(path, "overwritten");
    check(rc == -EACCES, "other domain's key unwritable", rc);
    fmt_snprintf(path, sizeof(path), "/local/domain/%u/new", (unsigned)other);
    rc = store_write(path, "x");
    check(rc == -EACCES, "no new key in another domain's dir", rc);
    fmt_snprintf(path, sizeof(path), "/local/domain/%u", (unsigned)other);
    rc = store_rm(path);
    check(rc == -EACCES, "other domain's dir not removable", rc);
    n = store_list("/local/domain", buf, sizeof(buf));
    check(n == -EACCES, "the domain list unreadable", n);
    rc = store_write("/top", "x");
    check(rc == -EACCES, "the root dom0's", rc);
    const char *give[] = { "b0", "r1" };
    rc = store_set_perms("written", give, 2);
    check(rc == -EACCES, "a key not given away", rc);

    /* A watch: one event at once, one when dom0 writes. */
    rc = store_watch("ping", "tok-ping");
    check(rc == 0, "watch set", rc);
    rc = store_wait_event(path, sizeof(path), tok, sizeof(tok), deadline_s(5));
    check(rc == 0 && !strcmp(tok, "tok-ping"), "first event at once", rc);
    printf("storetest: waiting for dom0's ping\n");
    rc = store_wait_event(path, sizeof(path), tok, sizeof(tok), deadline_s(60));
    n = store_read("ping", buf, sizeof(buf));
    check(rc == 0 && !strcmp(tok, "tok-ping") && n == 5 && !strcmp(buf, "hello"),
          "event after dom0's write", rc ? rc : n);
    printf("storetest: event path %s token %s\n", rc ? "?" : path, rc ? "?" : tok);
    rc = store_unwatch("ping", "tok-ping");
    check(rc == 0, "unwatch", rc);

    /* The bus helpers: dom0 moves ctl/state to Connected. */
    rc = bus_set_state("ctl", BUS_INIT_WAIT);
    check(rc == 0 && bus_read_state("ctl") == BUS_INIT_WAIT, "bus state written", rc);
    rc = bus_wait_state("ctl", 1u << BUS_CONNECTED, deadline_s(60));
    check(rc == BUS_CONNECTED, "bus state Connected seen", rc);
    /* dom0 watches this one with a callback (`store-watch` in the scenario). */
    sleep_ns(300 * 1000 * 1000);
    rc = store_write("done", "1");
    check(rc == 0, "done written", rc);
}

static void role_bystander(void)
{
    char buf[64], path[STORE_PATH_MAX], tok[32];
    int rc;

    rc = store_write("mine", "bystander-value");
    check(rc == 0, "bystander key written", rc);
    rc = store_watch("go", "go");
    check(rc == 0, "bystander watch", rc);
    store_wait_event(path, sizeof(path), tok, sizeof(tok), deadline_s(5));
    rc = store_wait_event(path, sizeof(path), tok, sizeof(tok), deadline_s(120));
    check(rc == 0, "bystander told to go", rc);
    long n = store_read("mine", buf, sizeof(buf));
    check(n > 0 && !strcmp(buf, "bystander-value"), "bystander key intact, still served", n);
}

/* The store page and port, as store_client finds them (PV only). */
static void role_bad(void)
{
    struct store_interface *page;
    char buf[64];
    long n;

    n = store_read("name", buf, sizeof(buf));
    check(n > 0, "bad guest served before", n);
    page = pfn_to_virt(mfn_to_pfn(start_info->store_mfn));
    page->req_prod = page->req_cons + STORE_RING_SIZE * 3;
    evtchn_send(start_info->store_evtchn);
    printf("storetest: ring index broken\n");
    sleep_ns(200 * 1000 * 1000);
}

int main(const struct start_info *si)
{
    char role[16] = "main";
    int rc;

    (void)si;
    guest_arg("role", role, sizeof(role));
    rc = store_init();
    check(rc == 0, "store_init", rc);
    if (rc == 0) {
        if (!strcmp(role, "bystander"))
            role_bystander();
        else if (!strcmp(role, "bad"))
            role_bad();
        else
            role_main();
    }
    printf("storetest: %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
