/* grantrace: a granter ending and re-granting one page in a loop while its peer, on
 * another pCPU, maps, writes, copies and unmaps it in a loop (tests/boot/test_grant.py
 * case_race). What it holds: the granter's end-access and the hypervisor's claim of
 * the entry exclude each other, so once an end succeeded the peer can no longer map
 * the page, and its writes stop (the owner watches the page for a while after each
 * end); every status is one of the expected ones; nothing leaks.
 *
 * Command line: role=owner|user peer=<domid> [rounds=N]. The owner writes STOP into
 * the page before its last grant; the user unmaps and exits when it sees it. */
#include <gnttab.h>
#include <guest.h>

#define REF      GNTTAB_NR_RESERVED_ENTRIES
#define STOP     0x53544f50u
#define USER_VA  ((void *)(uintptr_t)0x40000000ULL)

struct shared {
    volatile uint64_t count;            /* the user's writes */
    volatile uint32_t stop;
};

static unsigned failures;

static void fail(const char *what, long v, unsigned round)
{
    if (failures++ < 8)
        printf("grantrace: FAILED %s: %ld at round %u\n", what, v, round);
}

static int owner(hv_domid_t peer, unsigned rounds)
{
    struct shared *p = alloc_page();
    unsigned busy = 0, seen_writes = 0;
    uint64_t last = 0;
    int ref = gnttab_grant(peer, p, false), rc;

    if (ref != REF)
        fail("first grant", ref, 0);
    for (unsigned r = 0; r < rounds; r++) {
        /* The user has mapped and written since the last grant: now race its next
         * maps with the end. */
        for (unsigned i = 0; i < 10000 && p->count == last; i++)
            sleep_ns(100000);
        for (unsigned i = 0; (rc = gnttab_end(REF)) == -EBUSY && i < 1000000; i++)
            if (++busy % 64 == 0)
                sleep_ns(10000);        /* let the user run (and unmap) */

        if (rc != 0)
            fail("end-access", rc, r);
        uint64_t snap = p->count;

        seen_writes += snap != last;
        last = snap;
        for (unsigned k = 0; k < 2000; k++)     /* the user runs meanwhile */
            if (p->count != snap) {
                fail("written after end-access", (long)p->count, r);
                break;
            }
        if (r == rounds - 1)
            p->stop = STOP;
        if ((ref = gnttab_grant(peer, p, false)) != REF)
            fail("re-grant", ref, r);
    }
    /* The user maps once more, sees STOP and unmaps; then the last end succeeds. */
    for (unsigned i = 0; i < 100000 && p->count == last; i++)
        sleep_ns(100000);
    for (unsigned i = 0; i < 10000 && (rc = gnttab_end(REF)) == -EBUSY; i++)
        sleep_ns(1000000);
    if (rc != 0)
        fail("last end-access", rc, rounds);
    printf("grantrace: owner: %u rounds, %u ends refused while mapped, %u rounds saw new "
           "writes, %u grants in use\n", rounds, busy, seen_writes, gnttab_in_use());
    if (gnttab_in_use() != 0)
        fail("grants left", gnttab_in_use(), rounds);
    printf("grantrace: %s\n", failures ? "FAILED" : "ok");
    return (int)failures;
}

static int user(hv_domid_t peer)
{
    struct shared *p = USER_VA;
    uint64_t *buf = alloc_page();
    unsigned maps = 0, refused = 0, copies = 0;
    bool stop = false;

    for (unsigned i = 0; i < 100000 && !stop; i++) {
        grant_handle_t h, hd;
        struct gnttab_copy c = { .len = 8, .flags = GNTCOPY_source_gref };
        int st = gnttab_map(peer, REF, false, p, &h, NULL);

        if (st == GNTST_bad_gntref || st == GNTST_bad_domain) {
            refused++;
            sleep_ns(20000);            /* ended: the owner re-grants soon */
            continue;
        }
        if (st != GNTST_okay) {
            fail("map status", st, i);
            break;
        }
        maps++;
        p->count = p->count + 1;
        stop = p->stop == STOP;
        if ((st = gnttab_map(peer, REF, true, NULL, &hd, NULL)) != GNTST_okay)
            fail("device map while mapped", st, i);
        else if ((st = gnttab_unmap(NULL, hd)) != GNTST_okay)
            fail("device unmap", st, i);
        c.source.u.ref = REF;
        c.source.domid = peer;
        c.dest.u.gmfn = gnttab_local_frame(buf);
        c.dest.domid = DOMID_SELF;
        if ((st = gnttab_copy(&c, 1)) != GNTST_okay)
            fail("copy while mapped", st, i);
        else
            copies++;
        if ((st = gnttab_unmap(p, h)) != GNTST_okay)
            fail("unmap", st, i);
        /* A gap now and then, or the owner (which runs while we are preempted, and
         * we are mapped most of the time) would seldom find the page unmapped. */
        if (i % 4 == 3)
            sleep_ns(20000);
    }
    if (!stop)
        fail("never saw STOP", 0, 0);
    printf("grantrace: user: %u maps, %u refused, %u copies\n", maps, refused, copies);
    printf("grantrace: %s\n", failures ? "FAILED" : "ok");
    return (int)failures;
}

int main(const struct start_info *si)
{
    char role[8] = "";
    hv_domid_t peer = (hv_domid_t)guest_arg_uint("peer", 1);

    (void)si;
    guest_arg("role", role, sizeof(role));
    if (!strcmp(role, "owner"))
        return owner(peer, (unsigned)guest_arg_uint("rounds", 300));
    if (!strcmp(role, "user"))
        return user(peer);
    printf("grantrace: role=owner|user, got \"%s\"\n", role);
    return 1;
}
