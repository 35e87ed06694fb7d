/* Event channels on the host (fixture: evtchn_fixture.h): delivery, masking, binding
 * interdomain, loopback and VIRQ ports, closing, and every kind of bad input. The
 * lifecycle cases (destruction, status, polling, races) are in test_evtchn_life.c. */
#include "evtchn_fixture.h"

/* ---- cases ---- */

static void test_send_delivers_to_peer(void)
{
    setup();
    for (unsigned i = 0; i < 64; i++)       /* so dom1's end is port 65: selector bit 1 */
        CHECK(alloc_unbound(D(1), DOMID_SELF, 2) > 0);
    evtchn_port_t p0, p1;
    pair(&p0, &p1);
    CHECK_EQ(p1, 65);

    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK(pending(D(1), p1));
    CHECK_EQ(sel(1, 0), 1ULL << 1);
    CHECK_EQ(upcall(1, 0), 1);
    CHECK_EQ(nr_kicks, 1);
    CHECK(kicks[0] == V(1, 0));
    CHECK_EQ(sel(1, 1), 0);                 /* the other vCPU is left alone */
    CHECK_EQ(upcall(1, 1), 0);
    CHECK(!pending(D(0), p0));              /* the sender's end is not raised */

    /* ...and the other way. */
    CHECK_EQ(ev_send(D(1), p1), 0);
    CHECK(pending(D(0), p0));
    CHECK_EQ(nr_kicks, 2);
    CHECK(kicks[1] == V(0, 0));
    teardown();
}

static void test_bind_raises_local_port(void)
{
    setup();
    long r1 = alloc_unbound(D(1), DOMID_SELF, 0);
    nr_kicks = 0;
    long r0 = bind_interdomain(D(0), 1, (evtchn_port_t)r1);
    CHECK(r0 > 0);
    /* Xen: sends on the unbound end were dropped, so the binder gets one event. */
    CHECK(pending(D(0), (evtchn_port_t)r0));
    CHECK_EQ(upcall(0, 0), 1);
    CHECK_EQ(nr_kicks, 1);
    CHECK(kicks[0] == V(0, 0));
    CHECK(!pending(D(1), (evtchn_port_t)r1));
    teardown();
}

static void test_second_send_no_kick(void)
{
    evtchn_port_t p0, p1;

    setup();
    pair(&p0, &p1);
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK_EQ(nr_kicks, 1);
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK_EQ(nr_kicks, 1);
    CHECK(pending(D(1), p1));
    teardown();
}

static void test_masked_port_no_upcall(void)
{
    evtchn_port_t p0, p1;

    setup();
    pair(&p0, &p1);
    mask(D(1), p1);
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK(pending(D(1), p1));
    CHECK_EQ(sel(1, 0), 0);
    CHECK_EQ(upcall(1, 0), 0);
    CHECK_EQ(nr_kicks, 0);
    teardown();
}

static void test_unmask_delivers(void)
{
    evtchn_port_t p0, p1;

    setup();
    pair(&p0, &p1);
    mask(D(1), p1);
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK_EQ(nr_kicks, 0);
    CHECK_EQ(ev_unmask(D(1), p1), 0);
    CHECK(!masked(D(1), p1));
    CHECK_EQ(sel(1, 0), 1ULL << (p1 / 64));
    CHECK_EQ(upcall(1, 0), 1);
    CHECK_EQ(nr_kicks, 1);
    CHECK(kicks[0] == V(1, 0));

    /* Unmasking a port that is not pending delivers nothing. */
    quiesce();
    mask(D(1), p1);
    CHECK_EQ(ev_unmask(D(1), p1), 0);
    CHECK(!masked(D(1), p1));
    CHECK_EQ(upcall(1, 0), 0);
    CHECK_EQ(nr_kicks, 0);
    teardown();
}

static void test_close_unbinds_peer(void)
{
    evtchn_port_t p0, p1;
    struct evtchn_status st;

    setup();
    pair(&p0, &p1);
    CHECK_EQ(ev_close(D(0), p0), 0);
    CHECK_EQ(ev_status(D(1), DOMID_SELF, p1, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_unbound);
    CHECK_EQ(st.remote_dom, 0);
    CHECK_EQ(stat_of(D(0), p0), EVTCHNSTAT_closed);

    CHECK_EQ(ev_send(D(1), p1), 0);         /* unbound: dropped, as in Xen */
    CHECK(!pending(D(0), p0));
    CHECK_EQ(nr_kicks, 0);
    CHECK_EQ(ev_send(D(0), p0), -EINVAL);   /* closed */
    CHECK_EQ(ev_close(D(0), p0), -EINVAL);

    /* The peer's end is offered to dom0 again: it can bind anew. */
    CHECK(bind_interdomain(D(0), 1, p1) > 0);
    CHECK_EQ(stat_of(D(1), p1), EVTCHNSTAT_interdomain);
    teardown();
}

/* The higher-id end closes: the peer's lock is out of order (trylock path). */
static void test_close_from_higher_id(void)
{
    evtchn_port_t p0, p1;
    struct evtchn_status st;

    setup();
    pair(&p0, &p1);
    CHECK_EQ(ev_close(D(1), p1), 0);
    CHECK_EQ(ev_status(D(0), DOMID_SELF, p0, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_unbound);
    CHECK_EQ(st.remote_dom, 1);
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK_EQ(nr_kicks, 0);
    CHECK(!spin_is_locked(&D(0)->event_lock));
    CHECK(!spin_is_locked(&D(1)->event_lock));
    teardown();
}

static void test_close_clears_pending(void)
{
    evtchn_port_t p0, p1;

    setup();
    pair(&p0, &p1);
    CHECK_EQ(ev_send(D(0), p0), 0);
    CHECK(pending(D(1), p1));
    CHECK_EQ(ev_close(D(1), p1), 0);
    CHECK(!pending(D(1), p1));
    teardown();
}

static void test_loopback(void)
{
    setup();
    long a = alloc_unbound(D(1), DOMID_SELF, DOMID_SELF);
    CHECK(a > 0);
    long b = bind_interdomain(D(1), DOMID_SELF, (evtchn_port_t)a);
    CHECK(b > 0 && b != a);
    quiesce();
    CHECK_EQ(ev_send(D(1), (evtchn_port_t)b), 0);
    CHECK(pending(D(1), (evtchn_port_t)a));
    CHECK(!pending(D(1), (evtchn_port_t)b));
    CHECK_EQ(nr_kicks, 1);
    CHECK_EQ(ev_close(D(1), (evtchn_port_t)a), 0);
    CHECK_EQ(stat_of(D(1), (evtchn_port_t)b), EVTCHNSTAT_unbound);
    teardown();
}

static void test_bind_virq_twice(void)
{
    setup();
    long p = bind_virq(D(1), VIRQ_TIMER, 0);
    CHECK(p > 0);
    CHECK_EQ(bind_virq(D(1), VIRQ_TIMER, 0), -EEXIST);
    CHECK(bind_virq(D(1), VIRQ_TIMER, 1) > 0);      /* per vCPU: another binding */
    CHECK(bind_virq(D(1), VIRQ_CONSOLE, 0) > 0);
    CHECK_EQ(bind_virq(D(1), VIRQ_CONSOLE, 0), -EEXIST);
    teardown();
}

static void test_virq_timer_vcpu1(void)
{
    setup();
    long p = bind_virq(D(1), VIRQ_TIMER, 1);
    CHECK(p > 0);
    CHECK_EQ(V(1, 1)->virq_to_evtchn[VIRQ_TIMER], p);
    send_guest_vcpu_virq(V(1, 1), VIRQ_TIMER);
    CHECK(pending(D(1), (evtchn_port_t)p));
    CHECK_EQ(sel(1, 1), 1ULL << (p / 64));
    CHECK_EQ(upcall(1, 1), 1);
    CHECK_EQ(upcall(1, 0), 0);
    CHECK_EQ(nr_kicks, 1);
    CHECK(kicks[0] == V(1, 1));

    /* vCPU 0 bound nothing: its timer raises nothing. */
    quiesce();
    send_guest_vcpu_virq(V(1, 0), VIRQ_TIMER);
    CHECK_EQ(nr_kicks, 0);
    CHECK(!pending(D(1), (evtchn_port_t)p));

    /* A VIRQ port cannot be sent on; closing it unbinds the VIRQ. */
    CHECK_EQ(ev_send(D(1), (evtchn_port_t)p), -EINVAL);
    CHECK_EQ(ev_close(D(1), (evtchn_port_t)p), 0);
    CHECK_EQ(V(1, 1)->virq_to_evtchn[VIRQ_TIMER], 0);
    send_guest_vcpu_virq(V(1, 1), VIRQ_TIMER);
    CHECK_EQ(nr_kicks, 0);
    CHECK(bind_virq(D(1), VIRQ_TIMER, 1) > 0);
    teardown();
}

static void test_global_virq(void)
{
    setup();
    CHECK_EQ(bind_virq(D(0), VIRQ_DOM_EXC, 1), -EINVAL);   /* global: vCPU 0 only */
    long p = bind_virq(D(0), VIRQ_DOM_EXC, 0);
    CHECK(p > 0);
    send_guest_global_virq(D(0), VIRQ_DOM_EXC);
    CHECK(pending(D(0), (evtchn_port_t)p));
    CHECK_EQ(upcall(0, 0), 1);
    CHECK_EQ(nr_kicks, 1);
    CHECK(kicks[0] == V(0, 0));
    send_guest_global_virq(D(0), VIRQ_CONSOLE);            /* not bound */
    send_guest_global_virq(D(1), VIRQ_DOM_EXC);            /* not bound there */
    CHECK_EQ(nr_kicks, 1);
    teardown();
}

static void test_bad_virq_or_vcpu(void)
{
    setup();
    CHECK_EQ(bind_virq(D(1), NR_VIRQS, 0), -EINVAL);
    CHECK_EQ(bind_virq(D(1), 0xffffffffu, 0), -EINVAL);
    CHECK_EQ(bind_virq(D(1), VIRQ_TIMER, NR_VCPUS), -EINVAL);
    CHECK_EQ(bind_virq(D(1), VIRQ_TIMER, 0xffffffffu), -EINVAL);
    CHECK_EQ(stat_of(D(1), 1), EVTCHNSTAT_closed);       /* nothing allocated */
    teardown();
}

static void test_bad_ports(void)
{
    static const evtchn_port_t bad[] = { 0, NR_EVENT_CHANNELS, 0x7fffffff, 0xffffffff };
    struct evtchn_status st;

    setup();
    long unbound = alloc_unbound(D(1), DOMID_SELF, 0);
    CHECK(unbound > 0);
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        CHECK_EQ(ev_send(D(1), bad[i]), -EINVAL);
        CHECK_EQ(ev_close(D(1), bad[i]), -EINVAL);
        CHECK_EQ(ev_unmask(D(1), bad[i]), -EINVAL);
        CHECK_EQ(ev_status(D(1), DOMID_SELF, bad[i], &st), -EINVAL);
        CHECK_EQ(bind_interdomain(D(0), 1, bad[i]), -EINVAL);
    }
    /* In range but free. */
    CHECK_EQ(ev_send(D(1), 500), -EINVAL);
    CHECK_EQ(ev_close(D(1), 500), -EINVAL);
    CHECK_EQ(bind_interdomain(D(0), 1, 500), -EINVAL);
    CHECK(!evtchn_port_valid(0));
    CHECK(!evtchn_port_valid(NR_EVENT_CHANNELS));
    CHECK(!evtchn_port_is_pending(D(1), NR_EVENT_CHANNELS));
    CHECK_EQ(nr_kicks, 0);
    CHECK_EQ(stat_of(D(1), (evtchn_port_t)unbound), EVTCHNSTAT_unbound);
    CHECK_EQ(stat_of(D(0), 1), EVTCHNSTAT_closed);
    teardown();
}

static void test_bad_pointer(void)
{
    static const unsigned cmds[] = {
        EVTCHNOP_alloc_unbound, EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq,
        EVTCHNOP_close, EVTCHNOP_send, EVTCHNOP_status, EVTCHNOP_unmask,
    };
    evtchn_port_t p0, p1;
    struct evtchn_status st;

    setup();
    pair(&p0, &p1);
    mask(D(1), p1);
    CHECK_EQ(ev_send(D(0), p0), 0);
    nr_kicks = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(cmds); i++) {
        CHECK_EQ(op_raw(D(0), cmds[i], BAD_VA), -EFAULT);
        CHECK_EQ(op_raw(D(1), cmds[i], BAD_VA), -EFAULT);
    }
    /* Nothing moved: the pair stands, the masked event still waits, no new ports. */
    CHECK_EQ(ev_status(D(0), DOMID_SELF, p0, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_interdomain);
    CHECK_EQ(st.remote_port_or_virq, p1);
    CHECK(masked(D(1), p1));
    CHECK(pending(D(1), p1));
    CHECK_EQ(nr_kicks, 0);
    CHECK_EQ(alloc_unbound(D(1), DOMID_SELF, 0), p1 + 1);
    CHECK_EQ(alloc_unbound(D(0), DOMID_SELF, 1), p0 + 1);
    teardown();
}

static void test_copy_out_fails_undone(void)
{
    struct evtchn_status st;

    setup();
    long offered = alloc_unbound(D(1), DOMID_SELF, 0);
    CHECK(offered > 0);

    fail_copy_to = true;
    CHECK_EQ(alloc_unbound(D(0), DOMID_SELF, 1), -EFAULT);
    CHECK_EQ(bind_virq(D(0), VIRQ_TIMER, 0), -EFAULT);
    CHECK_EQ(bind_interdomain(D(0), 1, (evtchn_port_t)offered), -EFAULT);
    CHECK_EQ(ev_status(D(0), DOMID_SELF, 1, &st), -EFAULT);
    fail_copy_to = false;

    CHECK_EQ(stat_of(D(0), 1), EVTCHNSTAT_closed);
    CHECK_EQ(V(0, 0)->virq_to_evtchn[VIRQ_TIMER], 0);
    CHECK_EQ(ev_status(D(1), DOMID_SELF, (evtchn_port_t)offered, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_unbound);
    CHECK_EQ(st.remote_dom, 0);
    CHECK_EQ(bind_virq(D(0), VIRQ_TIMER, 0), 1);
    teardown();
}

static void test_bind_not_offered(void)
{
    evtchn_port_t p0, p1;

    setup();
    long p = alloc_unbound(D(1), DOMID_SELF, 2);        /* for dom2, not dom0 */
    CHECK(p > 0);
    CHECK_EQ(bind_interdomain(D(0), 1, (evtchn_port_t)p), -EINVAL);
    CHECK_EQ(stat_of(D(1), (evtchn_port_t)p), EVTCHNSTAT_unbound);
    CHECK_EQ(stat_of(D(0), 1), EVTCHNSTAT_closed);      /* no half-made port */
    CHECK_EQ(bind_interdomain(D(0), 9, 1), -ESRCH);      /* no such domain */
    CHECK(bind_interdomain(D(2), 1, (evtchn_port_t)p) > 0);

    /* A bound port is not offered to anyone any more. */
    pair(&p0, &p1);
    CHECK_EQ(bind_interdomain(D(0), 1, p1), -EINVAL);
    CHECK_EQ(bind_interdomain(D(2), 1, p1), -EINVAL);
    teardown();
}

static void test_out_of_ports(void)
{
    setup();
    for (long i = 1; i < NR_EVENT_CHANNELS; i++)
        if (alloc_unbound(D(1), DOMID_SELF, 0) != i) {
            CHECK(!"ports handed out in order");
            break;
        }
    CHECK_EQ(alloc_unbound(D(1), DOMID_SELF, 0), -ENOSPC);
    CHECK_EQ(bind_virq(D(1), VIRQ_TIMER, 0), -ENOSPC);
    CHECK_EQ(V(1, 0)->virq_to_evtchn[VIRQ_TIMER], 0);

    /* dom1 cannot bind to an offer while full; the offer stays as it was. */
    long offer = alloc_unbound(D(0), DOMID_SELF, 1);
    CHECK(offer > 0);
    CHECK_EQ(bind_interdomain(D(1), 0, (evtchn_port_t)offer), -ENOSPC);
    CHECK_EQ(stat_of(D(0), (evtchn_port_t)offer), EVTCHNSTAT_unbound);

    CHECK_EQ(ev_close(D(1), 700), 0);
    CHECK_EQ(bind_interdomain(D(1), 0, (evtchn_port_t)offer), 700);
    teardown();
}

static void test_alloc_for_other_domain(void)
{
    struct evtchn_status st;

    setup();
    /* Unprivileged: own domain only. */
    CHECK_EQ(alloc_unbound(D(1), 2, 0), -EPERM);
    CHECK_EQ(alloc_unbound(D(1), 0, 0), -EPERM);
    CHECK_EQ(alloc_unbound(D(1), 9, 0), -EPERM);
    CHECK_EQ(ev_status(D(1), 0, 1, &st), -EPERM);
    CHECK_EQ(alloc_unbound(D(1), 1, 0), 1);             /* its own id is fine */
    CHECK_EQ(stat_of(D(2), 1), EVTCHNSTAT_closed);

    /* Privileged: the port is in the named domain (Xen). */
    long p = alloc_unbound(D(0), 2, 1);
    CHECK_EQ(p, 1);
    CHECK_EQ(stat_of(D(0), 1), EVTCHNSTAT_closed);
    CHECK_EQ(ev_status(D(0), 2, (evtchn_port_t)p, &st), 0);
    CHECK_EQ(st.status, EVTCHNSTAT_unbound);
    CHECK_EQ(st.remote_dom, 1);
    long b = bind_interdomain(D(1), 2, (evtchn_port_t)p);
    CHECK(b > 0);
    quiesce();
    CHECK_EQ(ev_send(D(1), (evtchn_port_t)b), 0);
    CHECK(pending(D(2), (evtchn_port_t)p));

    /* remote DOMID_SELF means the caller, not the domain the port is in. */
    p = alloc_unbound(D(0), 2, DOMID_SELF);
    CHECK(p > 0);
    CHECK_EQ(ev_status(D(0), 2, (evtchn_port_t)p, &st), 0);
    CHECK_EQ(st.remote_dom, 0);
    CHECK_EQ(alloc_unbound(D(0), 9, 0), -ESRCH);
    CHECK_EQ(ev_status(D(0), 9, 1, &st), -ESRCH);
    teardown();
}

static void test_unknown_cmd(void)
{
    struct evtchn_send s = { .port = 1 };

    setup();
    CHECK_EQ(op(D(1), 7, &s), -ENOSYS);     /* 2 is EVTCHNOP_bind_pirq now (pdisk) */
    CHECK_EQ(op(D(1), 1000, &s), -ENOSYS);
    teardown();
}

/* pdisk: a refused pirq bind (the fixture's pirq_bind refuses, as for a domU) leaves
 * no port behind, and a bad flags word is refused before anything. */
static void test_bind_pirq_refused(void)
{
    struct evtchn_bind_pirq b = { .pirq = 10 };

    setup();
    CHECK_EQ(op(D(1), EVTCHNOP_bind_pirq, &b), -EPERM);
    b.flags = 1;
    CHECK_EQ(op(D(1), EVTCHNOP_bind_pirq, &b), -EINVAL);
    CHECK_EQ(alloc_unbound(D(1), 1, 0), 1);         /* port 1 is still the first free */
    teardown();
}

static const struct unit_case cases[] = {
    { "bind_pirq refused: no port left behind", test_bind_pirq_refused },
    { "send sets peer pending, selector, upcall; kicks the notify vCPU", test_send_delivers_to_peer },
    { "bind_interdomain raises the binder's new port (Xen)", test_bind_raises_local_port },
    { "second send while pending does not kick", test_second_send_no_kick },
    { "masked port: pending, no upcall, no kick", test_masked_port_no_upcall },
    { "unmask of a pending port delivers", test_unmask_delivers },
    { "close makes the peer unbound; sends on it are dropped", test_close_unbinds_peer },
    { "close from the higher domain id", test_close_from_higher_id },
    { "close clears the pending bit", test_close_clears_pending },
    { "loopback pair in one domain", test_loopback },
    { "bind_virq twice: -EEXIST", test_bind_virq_twice },
    { "VIRQ_TIMER on vCPU 1 goes to vCPU 1", test_virq_timer_vcpu1 },
    { "global VIRQs: vCPU 0 only", test_global_virq },
    { "bad VIRQ or vCPU: -EINVAL", test_bad_virq_or_vcpu },
    { "bad port numbers: -EINVAL", test_bad_ports },
    { "bad guest pointer: -EFAULT, nothing changes", test_bad_pointer },
    { "failed copy-out undoes the new port", test_copy_out_fails_undone },
    { "binding a port not offered to us: -EINVAL", test_bind_not_offered },
    { "out of ports: -ENOSPC", test_out_of_ports },
    { "alloc_unbound for another domain: privileged only", test_alloc_for_other_domain },
    { "unknown command: -ENOSYS", test_unknown_cmd },
};

UNIT_MAIN(cases)
