/* The event-channel tests' fixture and test doubles: see evtchn_fixture.h. */
#include <hvlab/hypercall.h>
#include "evtchn_fixture.h"

struct test_dom doms[NR_DOMS];
__thread struct vcpu *cur;
struct vcpu *kicks[16];
unsigned nr_kicks;
bool fail_copy_to;

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

/* pdisk: no physical lines on the host; a pirq bind is refused as for a domU. */
int pirq_bind(struct domain *d, unsigned pirq, struct vcpu *v, evtchn_port_t port)
{
    (void)d; (void)pirq; (void)v; (void)port;
    return -EPERM;
}
void pirq_unbind(struct domain *d, unsigned pirq) { (void)d; (void)pirq; }

void *xzalloc(size_t size) { return calloc(1, size); }
void xfree(void *p) { free(p); }
/* The preemption point of long loops (core/hypercall.c): nothing else runs here. */
bool hypercall_preempt(void) { return false; }

/* ---- fixture ---- */

void setup(void)
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

void teardown(void)
{
    for (unsigned i = 0; i < NR_DOMS; i++) {
        CHECK_EQ(D(i)->refcnt, 1);      /* every command put what it took */
        evtchn_destroy(D(i));
        free(D(i)->shared_info);
    }
}

/* Forget every pending bit, selector, upcall flag and kick, so a case checks only
 * what it does next. */
void quiesce(void)
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

bool pending(struct domain *d, evtchn_port_t p)
{
    return d->shared_info->evtchn_pending[p / 64] >> (p % 64) & 1;
}

void mask(struct domain *d, evtchn_port_t p)
{
    d->shared_info->evtchn_mask[p / 64] |= 1ULL << (p % 64);
}

bool masked(struct domain *d, evtchn_port_t p)
{
    return d->shared_info->evtchn_mask[p / 64] >> (p % 64) & 1;
}

uint64_t sel(unsigned dom, unsigned vcpu) { return V(dom, vcpu)->vcpu_info->evtchn_pending_sel; }
unsigned upcall(unsigned dom, unsigned vcpu) { return V(dom, vcpu)->vcpu_info->evtchn_upcall_pending; }

/* ---- hypercalls as a given domain (vCPU 0) ---- */

long op_raw(struct domain *d, unsigned cmd, uint64_t arg)
{
    cur = d->vcpus[0];
    return do_event_channel_op(cmd, arg);
}

long op(struct domain *d, unsigned cmd, void *arg)
{
    return op_raw(d, cmd, (uint64_t)(uintptr_t)arg);
}

/* These return the port on success, else the negative errno. */
long alloc_unbound(struct domain *d, hv_domid_t dom, hv_domid_t remote)
{
    struct evtchn_alloc_unbound a = { .dom = dom, .remote_dom = remote };
    long rc = op(d, EVTCHNOP_alloc_unbound, &a);
    return rc ? rc : (long)a.port;
}

long bind_interdomain(struct domain *d, hv_domid_t rdom, evtchn_port_t rport)
{
    struct evtchn_bind_interdomain b = { .remote_dom = rdom, .remote_port = rport };
    long rc = op(d, EVTCHNOP_bind_interdomain, &b);
    return rc ? rc : (long)b.local_port;
}

long bind_virq(struct domain *d, unsigned virq, unsigned vcpu)
{
    struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu };
    long rc = op(d, EVTCHNOP_bind_virq, &b);
    return rc ? rc : (long)b.port;
}

long ev_send(struct domain *d, evtchn_port_t p)
{
    struct evtchn_send s = { .port = p };
    return op(d, EVTCHNOP_send, &s);
}

long ev_close(struct domain *d, evtchn_port_t p)
{
    struct evtchn_close c = { .port = p };
    return op(d, EVTCHNOP_close, &c);
}

long ev_unmask(struct domain *d, evtchn_port_t p)
{
    struct evtchn_unmask u = { .port = p };
    return op(d, EVTCHNOP_unmask, &u);
}

long ev_status(struct domain *d, hv_domid_t dom, evtchn_port_t p,
               struct evtchn_status *st)
{
    memset(st, 0xaa, sizeof(*st));
    st->dom = dom;
    st->port = p;
    return op(d, EVTCHNOP_status, st);
}

/* Status of d's own port p (-1 if status itself failed). */
long stat_of(struct domain *d, evtchn_port_t p)
{
    struct evtchn_status st;
    return ev_status(d, DOMID_SELF, p, &st) ? -1 : (long)st.status;
}

/* dom1 offers a port to dom0, dom0 binds to it; then quiet. */
void pair(evtchn_port_t *p0, evtchn_port_t *p1)
{
    long r1 = alloc_unbound(D(1), DOMID_SELF, 0);
    CHECK(r1 > 0);
    long r0 = bind_interdomain(D(0), 1, (evtchn_port_t)r1);
    CHECK(r0 > 0);
    *p0 = (evtchn_port_t)r0;
    *p1 = (evtchn_port_t)r1;
    quiesce();
}
