/* Ports bound to the hypervisor (evtchn_xen_*, issue 11: a device model's request
 * ports) on the host fixture: raising one notifies its domain like any port; the
 * domain's send calls the hypervisor's function; the domain cannot close it;
 * status names DOMID_XEN; after evtchn_xen_free (or the port going with its domain's
 * table and being handed out again) the function is never called and raise does
 * nothing to the new binding. */
#include "evtchn_fixture.h"

static unsigned calls;
static void *last_data;

static void on_send(void *data)
{
    calls++;
    last_data = data;
}

static void test_xen_port_roundtrip(void)
{
    int tag;
    setup();
    calls = 0;
    int p = evtchn_xen_alloc(D(0), 0, on_send, &tag);
    CHECK(p > 0);
    CHECK(!pending(D(0), (evtchn_port_t)p));
    evtchn_xen_raise(D(0), (evtchn_port_t)p, &tag);
    CHECK(pending(D(0), (evtchn_port_t)p));
    CHECK_EQ(upcall(0, 0), 1);
    CHECK_EQ(ev_send(D(0), (evtchn_port_t)p), 0);
    CHECK_EQ(calls, 1);
    CHECK(last_data == &tag);
    struct evtchn_status st;
    CHECK_EQ(ev_status(D(0), DOMID_SELF, (evtchn_port_t)p, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_interdomain);
    CHECK_EQ(st.remote_dom, DOMID_XEN);
    teardown();
}

static void test_xen_port_not_closable_by_guest(void)
{
    int tag;
    setup();
    calls = 0;
    int p = evtchn_xen_alloc(D(0), 0, on_send, &tag);
    CHECK_EQ(ev_close(D(0), (evtchn_port_t)p), -EINVAL);
    CHECK_EQ(ev_send(D(0), (evtchn_port_t)p), 0);
    CHECK_EQ(calls, 1);
    evtchn_xen_free(D(0), (evtchn_port_t)p, &tag);
    CHECK_EQ(ev_send(D(0), (evtchn_port_t)p), -EINVAL);     /* free now */
    CHECK_EQ(calls, 1);
    teardown();
}

static void test_xen_port_stale_binding(void)
{
    int tag, other;
    setup();
    calls = 0;
    int p = evtchn_xen_alloc(D(0), 0, on_send, &tag);
    evtchn_xen_free(D(0), (evtchn_port_t)p, &tag);
    int q = evtchn_xen_alloc(D(0), 0, on_send, &other);    /* the same number again */
    CHECK_EQ(q, p);
    quiesce();
    evtchn_xen_raise(D(0), (evtchn_port_t)p, &tag);         /* the old binding: nothing */
    CHECK(!pending(D(0), (evtchn_port_t)q));
    evtchn_xen_free(D(0), (evtchn_port_t)p, &tag);          /* nor here */
    CHECK_EQ(ev_send(D(0), (evtchn_port_t)q), 0);
    CHECK(last_data == &other);
    teardown();
}

static const struct unit_case cases[] = {
    { "xen_port_roundtrip", test_xen_port_roundtrip },
    { "xen_port_not_closable_by_guest", test_xen_port_not_closable_by_guest },
    { "xen_port_stale_binding", test_xen_port_stale_binding },
};
UNIT_MAIN(cases)
