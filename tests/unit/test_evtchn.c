/* Event channels: core/event_channel.c on the host. Three test domains (dom0
 * privileged, dom1, dom2; two vCPUs each) with calloc'd shared info pages; the
 * hypervisor calls the file makes are defined here: current_vcpu() returns a settable
 * vCPU, domain_get() searches the test domains and counts the reference it gives
 * (teardown checks every one was put), vcpu_kick() records who was kicked,
 * copy_{from,to}_guest() copy host memory (BAD_VA faults, and copies out can be made
 * to fail), xzalloc/xfree are calloc/free. Each case starts from fresh domains. */
#include "unit.h"

#include <pthread.h>

#include <hvlab/errno.h>
#include <hvlab/event.h>
#include <hvlab/guest_access.h>
#include <hvlab/lib.h>
#include <hvlab/sched.h>
#include <hvlab/xmalloc.h>

#define NR_DOMS  3
#define NR_VCPUS 2
#define BAD_VA   0xdead0000ULL

struct test_dom {
    struct domain d;
    struct vcpu vcpu[NR_VCPUS];
    struct vcpu *vcpus[NR_VCPUS];
};

static struct test_dom doms[NR_DOMS];
static __thread struct vcpu *cur;      /* each test thread is its own vCPU */
static struct vcpu *kicks[16];
static unsigned nr_kicks;
static bool fail_copy_to;

/* ---- test doubles ---- */

struct vcpu *current_vcpu(void) { return cur; }

/* The list's reference is the 1 setup() starts each count at; a dying domain (the
 * test sets DOMSTATE_dying) is not found, as in core/domain_ref.c. */
struct domain *domain_get(domid_t id)
{
    for (unsigned i = 0; i < NR_DOMS; i++)
        if (doms[i].d.domain_id == id && doms[i].d.state != DOMSTATE_dying) {
            __atomic_fetch_add(&doms[i].d.refcnt, 1, __ATOMIC_RELAXED);
            return &doms[i].d;
        }
    return NULL;
}

void domain_hold(struct domain *d)
{
    CHECK(__atomic_fetch_add(&d->refcnt, 1, __ATOMIC_RELAXED) > 0);
}

void domain_put(struct domain *d)
{
    CHECK(__atomic_fetch_sub(&d->refcnt, 1, __ATOMIC_RELAXED) > 1);  /* never the list's */
}

void vcpu_kick(struct vcpu *v)
{
    unsigned n = __atomic_fetch_add(&nr_kicks, 1, __ATOMIC_RELAXED);
    if (n < ARRAY_SIZE(kicks))
        kicks[n] = v;
}

int copy_from_guest(void *dst, uint64_t guest_va, size_t n)
{
    if (guest_va == BAD_VA)
        return -EFAULT;
    memcpy(dst, (const void *)(uintptr_t)guest_va, n);
    return 0;
}

int copy_to_guest(uint64_t guest_va, const void *src, size_t n)
{
    if (guest_va == BAD_VA || fail_copy_to)
        return -EFAULT;
    memcpy((void *)(uintptr_t)guest_va, src, n);
    return 0;
}

void *xzalloc(size_t size) { return calloc(1, size); }
void xfree(void *p) { free(p); }

/* ---- fixture ---- */

static struct domain *D(unsigned i) { return &doms[i].d; }
static struct vcpu *V(unsigned i, unsigned v) { return &doms[i].vcpu[v]; }

static void setup(void)
{
    memset(doms, 0, sizeof(doms));
    for (unsigned i = 0; i < NR_DOMS; i++) {
        struct test_dom *t = &doms[i];
        t->d.domain_id = i;
        t->d.refcnt = 1;
        t->d.is_privileged = i == 0;
        t->d.shared_info = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
        memset(t->d.shared_info, 0, PAGE_SIZE);
        t->d.max_vcpus = NR_VCPUS;
        t->d.vcpus = t->vcpus;
        for (unsigned j = 0; j < NR_VCPUS; j++) {
            t->vcpu[j].vcpu_id = j;
            t->vcpu[j].domain = &t->d;
            t->vcpu[j].vcpu_info = &t->d.shared_info->vcpu_info[j];
            t->vcpus[j] = &t->vcpu[j];
        }
        CHECK_EQ(evtchn_init(&t->d), 0);
    }
    cur = V(0, 0);
    nr_kicks = 0;
    fail_copy_to = false;
}

static void teardown(void)
{
    for (unsigned i = 0; i < NR_DOMS; i++) {
        CHECK_EQ(D(i)->refcnt, 1);      /* every command put what it took */
        evtchn_destroy(D(i));
        free(D(i)->shared_info);
    }
}

/* Forget every pending bit, selector, upcall flag and kick, so a case checks only
 * what it does next. */
static void quiesce(void)
{
    for (unsigned i = 0; i < NR_DOMS; i++) {
        struct shared_info *s = D(i)->shared_info;
        memset(s->evtchn_pending, 0, sizeof(s->evtchn_pending));
        for (unsigned j = 0; j < NR_VCPUS; j++) {
            s->vcpu_info[j].evtchn_pending_sel = 0;
            s->vcpu_info[j].evtchn_upcall_pending = 0;
        }
    }
    nr_kicks = 0;
}

static bool pending(struct domain *d, evtchn_port_t p)
{
    return d->shared_info->evtchn_pending[p / 64] >> (p % 64) & 1;
}

static void mask(struct domain *d, evtchn_port_t p)
{
    d->shared_info->evtchn_mask[p / 64] |= 1ULL << (p % 64);
}

static bool masked(struct domain *d, evtchn_port_t p)
{
    return d->shared_info->evtchn_mask[p / 64] >> (p % 64) & 1;
}

static uint64_t sel(unsigned dom, unsigned vcpu) { return V(dom, vcpu)->vcpu_info->evtchn_pending_sel; }
static unsigned upcall(unsigned dom, unsigned vcpu) { return V(dom, vcpu)->vcpu_info->evtchn_upcall_pending; }

/* ---- hypercalls as a given domain (vCPU 0) ---- */

static long op_raw(struct domain *d, unsigned cmd, uint64_t arg)
{
    cur = d->vcpus[0];
    return do_event_channel_op(cmd, arg);
}

static long op(struct domain *d, unsigned cmd, void *arg)
{
    return op_raw(d, cmd, (uint64_t)(uintptr_t)arg);
}

/* These return the port on success, else the negative errno. */
static long alloc_unbound(struct domain *d, hv_domid_t dom, hv_domid_t remote)
{
    struct evtchn_alloc_unbound a = { .dom = dom, .remote_dom = remote };
    long rc = op(d, EVTCHNOP_alloc_unbound, &a);
    return rc ? rc : (long)a.port;
}

static long bind_interdomain(struct domain *d, hv_domid_t rdom, evtchn_port_t rport)
{
    struct evtchn_bind_interdomain b = { .remote_dom = rdom, .remote_port = rport };
    long rc = op(d, EVTCHNOP_bind_interdomain, &b);
    return rc ? rc : (long)b.local_port;
}

static long bind_virq(struct domain *d, unsigned virq, unsigned vcpu)
{
    struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu };
    long rc = op(d, EVTCHNOP_bind_virq, &b);
    return rc ? rc : (long)b.port;
}

static long ev_send(struct domain *d, evtchn_port_t p)
{
    struct evtchn_send s = { .port = p };
    return op(d, EVTCHNOP_send, &s);
}

static long ev_close(struct domain *d, evtchn_port_t p)
{
    struct evtchn_close c = { .port = p };
    return op(d, EVTCHNOP_close, &c);
}

static long ev_unmask(struct domain *d, evtchn_port_t p)
{
    struct evtchn_unmask u = { .port = p };
    return op(d, EVTCHNOP_unmask, &u);
}

static long ev_status(struct domain *d, hv_domid_t dom, evtchn_port_t p,
                      struct evtchn_status *st)
{
    memset(st, 0xaa, sizeof(*st));
    st->dom = dom;
    st->port = p;
    return op(d, EVTCHNOP_status, st);
}

/* Status of d's own port p (-1 if status itself failed). */
static long stat_of(struct domain *d, evtchn_port_t p)
{
    struct evtchn_status st;
    return ev_status(d, DOMID_SELF, p, &st) ? -1 : (long)st.status;
}

/* dom1 offers a port to dom0, dom0 binds to it; then quiet. */
static void pair(evtchn_port_t *p0, evtchn_port_t *p1)
{
    long r1 = alloc_unbound(D(1), DOMID_SELF, 0);
    CHECK(r1 > 0);
    long r0 = bind_interdomain(D(0), 1, (evtchn_port_t)r1);
    CHECK(r0 > 0);
    *p0 = (evtchn_port_t)r0;
    *p1 = (evtchn_port_t)r1;
    quiesce();
}

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

static void test_unknown_cmd(void)
{
    struct evtchn_send s = { .port = 1 };

    setup();
    CHECK_EQ(op(D(1), 2, &s), -ENOSYS);
    CHECK_EQ(op(D(1), 1000, &s), -ENOSYS);
    teardown();
}

static const struct unit_case cases[] = {
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
    { "evtchn_destroy leaves the peer unbound", test_destroy_unbinds_peer },
    { "evtchn_destroy of the lower-id side", test_destroy_lower_id_side },
    { "destroyed while held: not found, peers unbound, pointer valid", test_destroy_while_held },
    { "status reports each state", test_status_each_state },
    { "SCHEDOP_poll sleepers are woken, masked or not", test_poll_wakeup },
    { "close racing bind, send and close from the other end", test_concurrent_close },
    { "unknown command: -ENOSYS", test_unknown_cmd },
};

UNIT_MAIN(cases)
