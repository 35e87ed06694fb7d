/* Event channels on the host (fixture: evtchn_fixture.h): a domain's ports through its
 * lifetime: destruction (also while another CPU holds the domain), status of each
 * state, SCHEDOP_poll wake-ups, and close racing bind, send and close. */
#include "evtchn_fixture.h"

#include <pthread.h>

static void test_destroy_unbinds_peer(void)
{
    evtchn_port_t p0, p1;
    struct evtchn_status st;

    setup();
    pair(&p0, &p1);
    long virq = bind_virq(D(1), VIRQ_TIMER, 1);
    CHECK(virq > 0);
    long offer = alloc_unbound(D(1), DOMID_SELF, 0);
    CHECK(offer > 0);

    evtchn_destroy(D(1));       /* its peer dom0 has the lower id: trylock path */
    CHECK(D(1)->evtchn == NULL);
    CHECK(!spin_is_locked(&D(0)->event_lock));
    CHECK(!spin_is_locked(&D(1)->event_lock));
    CHECK_EQ(ev_status(D(0), DOMID_SELF, p0, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_unbound);
    CHECK_EQ(st.remote_dom, 1);
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK_EQ(nr_kicks, 0);
    CHECK_EQ(V(1, 1)->virq_to_evtchn[VIRQ_TIMER], 0);
    send_guest_vcpu_virq(V(1, 1), VIRQ_TIMER);
    CHECK_EQ(nr_kicks, 0);
    /* dom1 is still found by id, but has no ports to give. */
    CHECK_EQ(alloc_unbound(D(0), 1, 0), -ESRCH);
    CHECK_EQ(bind_interdomain(D(0), 1, (evtchn_port_t)offer), -EINVAL);
    CHECK_EQ(ev_status(D(0), 1, p1, &st), -EINVAL);
    teardown();
}

/* domain_destroy's order: dying (off the list), then evtchn_destroy, while another
 * CPU still holds a reference. Nothing finds dom2 by id any more, its peer's end is
 * unbound, and the holder's pointer stays usable until its put. */
static void test_destroy_while_held(void)
{
    evtchn_port_t p1, p2;
    struct evtchn_status st;

    setup();
    cur = V(1, 0);
    long offer = alloc_unbound(D(1), DOMID_SELF, 2);
    CHECK(offer > 0);
    long b = bind_interdomain(D(2), 1, (evtchn_port_t)offer);
    CHECK(b > 0);
    p1 = (evtchn_port_t)offer;
    p2 = (evtchn_port_t)b;
    long offer2 = alloc_unbound(D(2), DOMID_SELF, 1);
    CHECK(offer2 > 0);

    struct domain *held = domain_get(2);
    CHECK(held == D(2));
    CHECK_EQ(D(2)->refcnt, 2);
    D(2)->state = DOMSTATE_dying;
    evtchn_destroy(D(2));
    CHECK(domain_get(2) == NULL);
    CHECK_EQ(alloc_unbound(D(0), 2, 0), -ESRCH);
    CHECK_EQ(ev_status(D(0), 2, p2, &st), -ESRCH);
    CHECK_EQ(bind_interdomain(D(1), 2, (evtchn_port_t)offer2), -ESRCH);
    CHECK_EQ(ev_status(D(1), DOMID_SELF, p1, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_unbound);    /* no pointer to dom2 is left */
    CHECK_EQ(st.remote_dom, 2);
    quiesce();
    CHECK_EQ(ev_send(D(1), p1), 0);
    CHECK_EQ(nr_kicks, 0);
    CHECK_EQ(held->domain_id, 2);               /* the holder's pointer is still good */
    domain_put(held);
    teardown();
}

static void test_destroy_lower_id_side(void)
{
    evtchn_port_t p0, p1;
    struct evtchn_status st;

    setup();
    pair(&p0, &p1);
    evtchn_destroy(D(0));       /* peer dom1 has the higher id: in-order path */
    CHECK_EQ(ev_status(D(1), DOMID_SELF, p1, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_unbound);
    CHECK_EQ(st.remote_dom, 0);
    CHECK_EQ(ev_send(D(1), p1), 0);
    CHECK_EQ(nr_kicks, 0);
    teardown();
}

static void test_status_each_state(void)
{
    evtchn_port_t p0, p1;
    struct evtchn_status st;

    setup();
    pair(&p0, &p1);
    long unbound = alloc_unbound(D(1), DOMID_SELF, 2);
    long virq = bind_virq(D(1), VIRQ_TIMER, 1);

    CHECK_EQ(ev_status(D(1), DOMID_SELF, 100, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_closed);

    CHECK_EQ(ev_status(D(1), DOMID_SELF, (evtchn_port_t)unbound, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_unbound);
    CHECK_EQ(st.remote_dom, 2);
    CHECK_EQ(st.vcpu, 0);

    CHECK_EQ(ev_status(D(1), 1, p1, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_interdomain);
    CHECK_EQ(st.remote_dom, 0);
    CHECK_EQ(st.remote_port_or_virq, p0);

    CHECK_EQ(ev_status(D(1), DOMID_SELF, (evtchn_port_t)virq, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_virq);
    CHECK_EQ(st.remote_port_or_virq, VIRQ_TIMER);
    CHECK_EQ(st.vcpu, 1);

    /* dom0 may look at dom1's ports. */
    CHECK_EQ(ev_status(D(0), 1, (evtchn_port_t)virq, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_virq);
    teardown();
}

static void test_poll_wakeup(void)
{
    evtchn_port_t p0, p1;

    setup();
    pair(&p0, &p1);

    /* A vCPU polling a masked port is woken; the notify vCPU gets no upcall. */
    V(1, 1)->poll_port = p1;
    mask(D(1), p1);
    CHECK(!evtchn_port_is_pending(D(1), p1));
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK(evtchn_port_is_pending(D(1), p1));
    CHECK_EQ(upcall(1, 0), 0);
    CHECK_EQ(nr_kicks, 1);
    CHECK(kicks[0] == V(1, 1));

    /* Unmasked, poller is another vCPU: both are kicked, once each. */
    quiesce();
    D(1)->shared_info->evtchn_mask[p1 / 64] = 0;
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK_EQ(nr_kicks, 2);
    CHECK(kicks[0] == V(1, 0));
    CHECK(kicks[1] == V(1, 1));

    /* The poller is the notify vCPU: one kick, not two. */
    quiesce();
    V(1, 1)->poll_port = 0;
    V(1, 0)->poll_port = p1;
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK_EQ(nr_kicks, 1);

    /* Polling another port: not woken by this one. */
    quiesce();
    V(1, 0)->poll_port = 0;
    V(1, 1)->poll_port = p1 + 1;
    mask(D(1), p1);
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK_EQ(nr_kicks, 0);
    teardown();
}

/* Two CPUs at once: dom0 binds to dom1's offers, sends and closes while dom1 sends
 * on and closes the same channels from its end, so close meets bind, send and
 * close in both lock orders. A lock-order bug deadlocks (SIGALRM ends the run);
 * in the end every port is free again. */
#define RACE_PAIRS  64
#define RACE_ROUNDS 100
static evtchn_port_t race_offer[RACE_PAIRS];
static pthread_barrier_t race_start;

static void *race_dom0(void *arg)
{
    pthread_barrier_wait(&race_start);
    for (unsigned i = 0; i < RACE_PAIRS; i++) {
        long p = bind_interdomain(D(0), 1, race_offer[i]);
        if (p > 0) {
            ev_send(D(0), (evtchn_port_t)p);
            ev_close(D(0), (evtchn_port_t)p);
        }
    }
    return arg;
}

static void *race_dom1(void *arg)
{
    pthread_barrier_wait(&race_start);
    for (unsigned i = 0; i < RACE_PAIRS; i++) {
        ev_send(D(1), race_offer[i]);
        ev_close(D(1), race_offer[i]);
    }
    return arg;
}

static void test_concurrent_close(void)
{
    pthread_t t0, t1;
    unsigned busy = 0;

    setup();
    alarm(10);
    for (unsigned r = 0; r < RACE_ROUNDS; r++) {
        for (unsigned i = 0; i < RACE_PAIRS; i++)
            race_offer[i] = (evtchn_port_t)alloc_unbound(D(1), DOMID_SELF, 0);
        pthread_barrier_init(&race_start, NULL, 2);
        pthread_create(&t0, NULL, race_dom0, NULL);
        pthread_create(&t1, NULL, race_dom1, NULL);
        pthread_join(t0, NULL);
        pthread_join(t1, NULL);
        pthread_barrier_destroy(&race_start);
    }
    alarm(0);
    for (evtchn_port_t p = 1; p <= 2 * RACE_PAIRS; p++)
        busy += (stat_of(D(0), p) != EVTCHNSTAT_closed) + (stat_of(D(1), p) != EVTCHNSTAT_closed);
    CHECK_EQ(busy, 0);
    CHECK(!spin_is_locked(&D(0)->event_lock));
    CHECK(!spin_is_locked(&D(1)->event_lock));
    teardown();
}

static const struct unit_case cases[] = {
    { "evtchn_destroy leaves the peer unbound", test_destroy_unbinds_peer },
    { "evtchn_destroy of the lower-id side", test_destroy_lower_id_side },
    { "destroyed while held: not found, peers unbound, pointer valid", test_destroy_while_held },
    { "status reports each state", test_status_each_state },
    { "SCHEDOP_poll sleepers are woken, masked or not", test_poll_wakeup },
    { "close racing bind, send and close from the other end", test_concurrent_close },
};

UNIT_MAIN(cases)
