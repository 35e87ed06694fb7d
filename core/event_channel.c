/* Event channels: Xen's 2-level ABI, written for hvlab.
 *
 * Design. Each domain has a table of NR_EVENT_CHANNELS ports (struct evtchn), port 0
 * reserved. A port is free, unbound (offered to one remote domain, which binds to it
 * with bind_interdomain), interdomain (one end of a pair; the two ends point at each
 * other) or bound to a VIRQ of one vCPU. Raising a port sets its bit in the domain's
 * shared_info.evtchn_pending; only if that bit was clear and the port is not masked
 * does the notify vCPU get its selector bit (port / 64), evtchn_upcall_pending and a
 * vcpu_kick. SCHEDOP_poll sleepers on the port are kicked even when it is masked.
 * Xen rules kept: a send on an unbound port is dropped (returns 0); binding raises
 * the binder's new port once, since sends on the other end while it was unbound were
 * dropped; closing one end of a pair makes the other end unbound (for the closer's
 * domain) again; ports other than VIRQs notify vCPU 0. A hypercall that fails
 * changes nothing: if the result cannot be copied back, the new port is closed.
 *
 * Locking.
 *  - d->event_lock guards d->evtchn (the pointer and every entry) and the
 *    virq_to_evtchn arrays of d's vCPUs. VIRQs are raised from timer handlers, so it
 *    is always taken with interrupts off (irqsave).
 *  - Both ends of an interdomain pair change together, with both domains' locks
 *    held. So either lock pins the pair, and the peer domain too (its
 *    evtchn_destroy, which its domain_destroy runs before anything is freed, needs
 *    our lock to unbind the pair, so no port keeps a pointer to a destroyed domain
 *    and a pair holds no reference): send holds only the sender's lock.
 *  - Two event locks: lower domain id first; one domain, one lock. bind_interdomain
 *    knows both domains up front. close learns the peer only under its own lock and
 *    does not drop it to reorder (the pair could change in between), so when the
 *    peer has the lower id it uses spin_trylock and, if that fails, drops everything
 *    and retries. Every blocking acquisition follows the order, so there is no
 *    deadlock; the in-order side always gets through.
 *  - A command naming another domain holds a reference to it (domain_get) from the
 *    lookup to its return; the caller's own domain is held too, so every command
 *    puts what evtchn_target_domain gave it. A held domain may be dying: its table
 *    is then closing (ECS_DYING: no new port; a pair bound to a port it has not
 *    closed yet is closed by the same loop) or gone (d->evtchn NULL).
 *  - Pending and mask bits, the selector and upcall_pending live in guest memory:
 *    atomic operations only, no lock.
 *  - Order with other locks: event_lock, then scheduler locks (vcpu_kick is called
 *    with an event_lock held). Code holding a scheduler lock must not raise events.
 *
 * Limitations. No FIFO ABI, no IPI channels (PIRQ channels are dom0's, core/pirq.c),
 * no bind_vcpu (interdomain events go to vCPU 0), no reset. A port is found by a linear scan. A send kicks
 * whenever it sets upcall_pending, even if it was already set (Xen kicks only on
 * 0 -> 1): an extra kick, but a lost wakeup is impossible. */
#include <hvlab/errno.h>
#include <hvlab/event.h>
#include <hvlab/hypercall.h>
#include <hvlab/guest_access.h>
#include <hvlab/lib.h>
#include <hvlab/panic.h>
#include <hvlab/pirq.h>
#include <hvlab/sched.h>
#include <hvlab/trace.h>
#include <hvlab/xmalloc.h>

enum evtchn_state {
    ECS_FREE = 0,                       /* zeroed memory is a free port */
    ECS_RESERVED,                       /* port 0 while the table is live */
    ECS_DYING,                          /* port 0 once evtchn_destroy began: no new ports */
    ECS_UNBOUND,
    ECS_INTERDOMAIN,
    ECS_VIRQ,
    ECS_XEN,                            /* bound to the hypervisor (device models) */
    ECS_PIRQ,                           /* dom0: a physical line (core/pirq.c) */
};

/* One port. All fields guarded by the owning domain's event_lock; an interdomain
 * pair's fields change only with both domains' locks held. */
struct evtchn {
    uint8_t state;                      /* enum evtchn_state */
    vcpuid_t notify_vcpu_id;            /* who is flagged and kicked */
    union {
        struct { domid_t remote_domid; } unbound;   /* who may bind */
        struct {
            struct domain *remote;
            evtchn_port_t remote_port;
        } interdomain;
        unsigned virq;
        struct { evtchn_xen_fn fn; void *data; } xen;   /* ECS_XEN: send calls fn */
        unsigned pirq;
    } u;
};

/* ---- bits in guest memory ---- */

static bool bit_test_and_set(uint64_t *words, unsigned nr)
{
    uint64_t m = 1ULL << (nr % 64);
    return __atomic_fetch_or(&words[nr / 64], m, __ATOMIC_SEQ_CST) & m;
}

static bool bit_test_and_clear(uint64_t *words, unsigned nr)
{
    uint64_t m = 1ULL << (nr % 64);
    return __atomic_fetch_and(&words[nr / 64], ~m, __ATOMIC_SEQ_CST) & m;
}

static bool bit_test(const uint64_t *words, unsigned nr)
{
    return __atomic_load_n(&words[nr / 64], __ATOMIC_SEQ_CST) >> (nr % 64) & 1;
}

/* ---- raising a port ---- */

/* Flag port for v (selector, upcall_pending) and kick it. */
static void evtchn_upcall(struct vcpu *v, evtchn_port_t port)
{
    __atomic_fetch_or(&v->vcpu_info->evtchn_pending_sel, 1ULL << (port / 64),
                      __ATOMIC_SEQ_CST);
    __atomic_store_n(&v->vcpu_info->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
    vcpu_kick(v);
}

/* Polling a masked port is how a guest waits for one event without upcalls, so
 * pollers wake whatever the mask says. `kicked` was kicked already. */
static void evtchn_wake_pollers(struct domain *d, evtchn_port_t port,
                                const struct vcpu *kicked)
{
    struct vcpu *v;

    for_each_vcpu(d, v)
        if (v != kicked && __atomic_load_n(&v->poll_port, __ATOMIC_SEQ_CST) == port)
            vcpu_kick(v);
}

void evtchn_set_pending(struct vcpu *v, evtchn_port_t port)
{
    struct shared_info *s = v->domain->shared_info;
    struct vcpu *kicked = NULL;

    ASSERT(evtchn_port_valid(port));
    TRACE_VCPU(TRC_EVTCHN_PENDING, v, port, bit_test(s->evtchn_mask, port));
    if (bit_test_and_set(s->evtchn_pending, port))
        return;                         /* the guest has yet to see the last one */
    if (!bit_test(s->evtchn_mask, port)) {
        evtchn_upcall(v, port);
        kicked = v;
    }
    evtchn_wake_pollers(v->domain, port, kicked);
}

bool evtchn_port_is_pending(struct domain *d, evtchn_port_t port)
{
    return evtchn_port_valid(port) && d->shared_info &&
           bit_test(d->shared_info->evtchn_pending, port);
}

/* ---- the table; callers hold d->event_lock ---- */

/* d's entry for port; NULL for a port no guest may name or once d's table is gone. */
static struct evtchn *evtchn_lookup(struct domain *d, evtchn_port_t port)
{
    return evtchn_port_valid(port) && d->evtchn ? &d->evtchn[port] : NULL;
}

static struct vcpu *evtchn_notify_vcpu(struct domain *d, const struct evtchn *chn)
{
    return chn->notify_vcpu_id < d->max_vcpus ? d->vcpus[chn->notify_vcpu_id] : NULL;
}

/* Raise a bound port of d for its notify vCPU (none yet: nothing to tell). */
static void evtchn_raise(struct domain *d, evtchn_port_t port)
{
    struct vcpu *v = evtchn_notify_vcpu(d, &d->evtchn[port]);

    if (v)
        evtchn_set_pending(v, port);
}

/* Lowest free port of d, -ENOSPC if none, -ESRCH once d's table is closing. */
static int evtchn_get_free_port(struct domain *d)
{
    if (!d->evtchn || d->evtchn[0].state == ECS_DYING)
        return -ESRCH;
    for (int port = 1; port < NR_EVENT_CHANNELS; port++)
        if (d->evtchn[port].state == ECS_FREE)
            return port;
    return -ENOSPC;
}

/* Free a port in use. Caller holds d's lock and, for an interdomain port, the
 * peer's: the peer's end becomes unbound, offered to d again (as in Xen). */
static void evtchn_free_locked(struct domain *d, evtchn_port_t port)
{
    struct evtchn *chn = &d->evtchn[port];

    if (chn->state == ECS_VIRQ) {
        struct vcpu *v = evtchn_notify_vcpu(d, chn);
        if (v && v->virq_to_evtchn[chn->u.virq] == port)
            v->virq_to_evtchn[chn->u.virq] = 0;
    } else if (chn->state == ECS_PIRQ) {
        pirq_unbind(d, chn->u.pirq);    /* before the port is free: see core/pirq.c */
    } else if (chn->state == ECS_INTERDOMAIN) {
        struct domain *rd = chn->u.interdomain.remote;
        struct evtchn *rchn = &rd->evtchn[chn->u.interdomain.remote_port];
        memset(&rchn->u, 0, sizeof(rchn->u));
        rchn->state = ECS_UNBOUND;
        rchn->u.unbound.remote_domid = d->domain_id;
    }
    if (d->shared_info)                 /* a port bound again starts clean */
        bit_test_and_clear(d->shared_info->evtchn_pending, port);
    memset(chn, 0, sizeof(*chn));
}

/* Both event locks, lower domain id first (one when a == b). */
static unsigned long evtchn_double_lock(struct domain *a, struct domain *b)
{
    unsigned long flags = local_irq_save();

    if (a->domain_id > b->domain_id) {
        struct domain *t = a;
        a = b;
        b = t;
    }
    spin_lock(&a->event_lock);
    if (b != a)
        spin_lock(&b->event_lock);
    return flags;
}

static void evtchn_double_unlock(struct domain *a, struct domain *b, unsigned long flags)
{
    if (b != a)
        spin_unlock(&b->event_lock);
    spin_unlock(&a->event_lock);
    local_irq_restore(flags);
}

/* Close port of d: 0, or -EINVAL if it is not in use (or is the hypervisor's and
 * !xen_ok: only the hypervisor closes those). Takes the locks itself. */
static long evtchn_close_port_as(struct domain *d, evtchn_port_t port, bool xen_ok)
{
    struct domain *rd;
    struct evtchn *chn;
    unsigned long flags;
    long rc = 0;

again:
    spin_lock_irqsave(&d->event_lock, flags);
    chn = evtchn_lookup(d, port);
    if (!chn || chn->state < ECS_UNBOUND || (chn->state == ECS_XEN && !xen_ok)) {
        rc = -EINVAL;
        goto out;
    }
    rd = NULL;
    if (chn->state == ECS_INTERDOMAIN && chn->u.interdomain.remote != d) {
        rd = chn->u.interdomain.remote;
        if (rd->domain_id > d->domain_id) {
            spin_lock(&rd->event_lock);
        } else if (!spin_trylock(&rd->event_lock)) {
            /* Out of order: back off so the CPU holding rd's lock can take ours. */
            spin_unlock_irqrestore(&d->event_lock, flags);
            cpu_relax();
            goto again;
        }
    }
    evtchn_free_locked(d, port);
    if (rd)
        spin_unlock(&rd->event_lock);
out:
    spin_unlock_irqrestore(&d->event_lock, flags);
    return rc;
}

static long evtchn_close_port(struct domain *d, evtchn_port_t port)
{
    return evtchn_close_port_as(d, port, false);
}

/* ---- lifetime ---- */

int evtchn_init(struct domain *d)
{
    spin_lock_init(&d->event_lock);
    d->evtchn = xzalloc(NR_EVENT_CHANNELS * sizeof(struct evtchn));
    if (!d->evtchn)
        return -ENOMEM;
    d->evtchn[0].state = ECS_RESERVED;
    return 0;
}

void evtchn_destroy(struct domain *d)
{
    struct evtchn *table;
    unsigned long flags;

    if (!d->evtchn)
        return;
    spin_lock_irqsave(&d->event_lock, flags);
    d->evtchn[0].state = ECS_DYING;     /* from here on nobody gets a port of d */
    spin_unlock_irqrestore(&d->event_lock, flags);

    for (evtchn_port_t port = 1; port < NR_EVENT_CHANNELS; port++) {
        evtchn_close_port_as(d, port, true);    /* -EINVAL for the free ones */
        if (port % HYPERCALL_PREEMPT_BATCH == 0)
            hypercall_preempt();        /* the destroyer's: see core/hypercall.c */
    }

    spin_lock_irqsave(&d->event_lock, flags);
    table = d->evtchn;
    d->evtchn = NULL;
    spin_unlock_irqrestore(&d->event_lock, flags);
    xfree(table);
}

/* ---- hypercall ---- */

/* The domain a command names, with a reference (domain_put it): the caller's own,
 * or any for a privileged caller. */
static struct domain *evtchn_target_domain(struct domain *cd, hv_domid_t dom)
{
    struct domain *d;

    if (dom == DOMID_SELF || dom == cd->domain_id) {
        domain_hold(cd);
        return cd;
    }
    if (!cd->is_privileged)
        return ERR_PTR(-EPERM);
    d = domain_get(dom);
    return d ? d : ERR_PTR(-ESRCH);
}

/* Hand a result back; if the guest cannot take it, close the new port again so the
 * failed call leaves no trace. */
static long evtchn_copy_out(uint64_t arg, const void *res, size_t n,
                            struct domain *d, evtchn_port_t port)
{
    if (copy_to_guest(arg, res, n) == 0)
        return 0;
    evtchn_close_port(d, port);
    return -EFAULT;
}

static long evtchn_op_alloc_unbound(struct domain *cd, uint64_t arg)
{
    struct evtchn_alloc_unbound a;
    struct domain *d;
    unsigned long flags;
    long rc;
    int port;

    if (copy_from_guest(&a, arg, sizeof(a)))
        return -EFAULT;
    d = evtchn_target_domain(cd, a.dom);
    if (IS_ERR(d))
        return PTR_ERR(d);

    spin_lock_irqsave(&d->event_lock, flags);
    port = evtchn_get_free_port(d);
    if (port > 0) {
        struct evtchn *chn = &d->evtchn[port];
        chn->state = ECS_UNBOUND;
        chn->u.unbound.remote_domid =
            a.remote_dom == DOMID_SELF ? cd->domain_id : a.remote_dom;
    }
    spin_unlock_irqrestore(&d->event_lock, flags);
    if (port > 0) {
        a.port = port;
        rc = evtchn_copy_out(arg, &a, sizeof(a), d, port);
    } else {
        rc = port;
    }
    domain_put(d);
    return rc;
}

static long evtchn_op_bind_interdomain(struct domain *ld, uint64_t arg)
{
    struct evtchn_bind_interdomain b;
    struct evtchn *lchn, *rchn;
    struct domain *rd;
    unsigned long flags;
    int lport;

    if (copy_from_guest(&b, arg, sizeof(b)))
        return -EFAULT;
    if (b.remote_dom == DOMID_SELF || b.remote_dom == ld->domain_id) {
        rd = ld;
        domain_hold(rd);
    } else if (!(rd = domain_get(b.remote_dom))) {
        return -ESRCH;
    }

    flags = evtchn_double_lock(ld, rd);
    rchn = evtchn_lookup(rd, b.remote_port);
    if (!rchn || rchn->state != ECS_UNBOUND ||
        rchn->u.unbound.remote_domid != ld->domain_id)
        lport = -EINVAL;                /* no such port, or not offered to us */
    else
        lport = evtchn_get_free_port(ld);
    if (lport > 0) {
        lchn = &ld->evtchn[lport];
        lchn->state = ECS_INTERDOMAIN;
        lchn->u.interdomain.remote = rd;
        lchn->u.interdomain.remote_port = b.remote_port;
        rchn->state = ECS_INTERDOMAIN;
        rchn->u.interdomain.remote = ld;
        rchn->u.interdomain.remote_port = lport;
        evtchn_raise(ld, lport);        /* sends to the unbound end were dropped */
    }
    evtchn_double_unlock(ld, rd, flags);
    domain_put(rd);                     /* a pair holds no reference: see Locking */
    if (lport < 0)
        return lport;
    b.local_port = lport;
    return evtchn_copy_out(arg, &b, sizeof(b), ld, lport);
}

/* Per-vCPU VIRQs may be bound on any vCPU; the rest only on vCPU 0 (as in Xen). */
static bool virq_is_global(unsigned virq)
{
    return virq != VIRQ_TIMER && virq != VIRQ_DEBUG;
}

static long evtchn_op_bind_virq(struct domain *d, uint64_t arg)
{
    struct evtchn_bind_virq b;
    struct vcpu *v;
    unsigned long flags;
    int port;

    if (copy_from_guest(&b, arg, sizeof(b)))
        return -EFAULT;
    if (b.virq >= NR_VIRQS || (virq_is_global(b.virq) && b.vcpu != 0))
        return -EINVAL;
    if (b.vcpu >= d->max_vcpus || (v = d->vcpus[b.vcpu]) == NULL)
        return -EINVAL;

    spin_lock_irqsave(&d->event_lock, flags);
    port = v->virq_to_evtchn[b.virq] ? -EEXIST : evtchn_get_free_port(d);
    if (port > 0) {
        struct evtchn *chn = &d->evtchn[port];
        chn->state = ECS_VIRQ;
        chn->notify_vcpu_id = b.vcpu;
        chn->u.virq = b.virq;
        v->virq_to_evtchn[b.virq] = port;
    }
    spin_unlock_irqrestore(&d->event_lock, flags);
    if (port < 0)
        return port;
    b.port = port;
    return evtchn_copy_out(arg, &b, sizeof(b), d, port);
}

/* pdisk: a physical interrupt line, for dom0 (core/pirq.c checks and routes it). */
static long evtchn_op_bind_pirq(struct domain *d, uint64_t arg)
{
    struct evtchn_bind_pirq b;
    unsigned long flags;
    int port;

    if (copy_from_guest(&b, arg, sizeof(b)))
        return -EFAULT;
    if (b.flags != 0)
        return -EINVAL;
    spin_lock_irqsave(&d->event_lock, flags);
    port = evtchn_get_free_port(d);
    if (port > 0) {
        int rc = pirq_bind(d, b.pirq, d->vcpus[0], (evtchn_port_t)port);
        if (rc < 0) {
            port = rc;
        } else {
            struct evtchn *chn = &d->evtchn[port];
            chn->state = ECS_PIRQ;
            chn->notify_vcpu_id = 0;
            chn->u.pirq = b.pirq;
        }
    }
    spin_unlock_irqrestore(&d->event_lock, flags);
    if (port < 0)
        return port;
    b.port = port;
    return evtchn_copy_out(arg, &b, sizeof(b), d, port);
}

static long evtchn_op_close(struct domain *d, uint64_t arg)
{
    struct evtchn_close c;

    if (copy_from_guest(&c, arg, sizeof(c)))
        return -EFAULT;
    return evtchn_close_port(d, c.port);
}

static long evtchn_op_send(struct domain *ld, uint64_t arg)
{
    struct evtchn_send s;
    struct evtchn *lchn;
    unsigned long flags;
    long rc = 0;

    if (copy_from_guest(&s, arg, sizeof(s)))
        return -EFAULT;

    spin_lock_irqsave(&ld->event_lock, flags);
    lchn = evtchn_lookup(ld, s.port);
    if (lchn && lchn->state == ECS_INTERDOMAIN) {
        TRACE_VCPU(TRC_EVTCHN_SEND, current, s.port,
                   (uint64_t)lchn->u.interdomain.remote->domain_id << 32 |
                   lchn->u.interdomain.remote_port);
        evtchn_raise(lchn->u.interdomain.remote, lchn->u.interdomain.remote_port);
    }
    else if (lchn && lchn->state == ECS_XEN)
        lchn->u.xen.fn(lchn->u.xen.data);       /* under our lock: see evtchn_xen_free */
    else if (!lchn || lchn->state != ECS_UNBOUND)
        rc = -EINVAL;                   /* free, reserved, VIRQ: nothing to send to */
    /* unbound: nobody listens yet, the event is dropped (Xen) */
    spin_unlock_irqrestore(&ld->event_lock, flags);
    return rc;
}

static long evtchn_op_status(struct domain *cd, uint64_t arg)
{
    struct evtchn_status st;
    struct evtchn *chn;
    struct domain *d;
    unsigned long flags;
    long rc = 0;

    if (copy_from_guest(&st, arg, sizeof(st)))
        return -EFAULT;
    d = evtchn_target_domain(cd, st.dom);
    if (IS_ERR(d))
        return PTR_ERR(d);

    spin_lock_irqsave(&d->event_lock, flags);
    chn = evtchn_lookup(d, st.port);
    if (!chn) {
        rc = -EINVAL;
        goto out;
    }
    st.vcpu = chn->notify_vcpu_id;
    st.remote_dom = 0;
    st.remote_port_or_virq = 0;
    switch (chn->state) {
    case ECS_UNBOUND:
        st.status = EVTCHNSTAT_unbound;
        st.remote_dom = chn->u.unbound.remote_domid;
        break;
    case ECS_INTERDOMAIN:
        st.status = EVTCHNSTAT_interdomain;
        st.remote_dom = chn->u.interdomain.remote->domain_id;
        st.remote_port_or_virq = chn->u.interdomain.remote_port;
        break;
    case ECS_VIRQ:
        st.status = EVTCHNSTAT_virq;
        st.remote_port_or_virq = chn->u.virq;
        break;
    case ECS_XEN:
        st.status = EVTCHNSTAT_interdomain;
        st.remote_dom = DOMID_XEN;
        break;
    case ECS_PIRQ:
        st.status = EVTCHNSTAT_pirq;
        st.remote_port_or_virq = chn->u.pirq;
        break;
    default:
        st.status = EVTCHNSTAT_closed;
        break;
    }
out:
    spin_unlock_irqrestore(&d->event_lock, flags);
    domain_put(d);
    if (rc)
        return rc;
    return copy_to_guest(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long evtchn_op_unmask(struct domain *d, uint64_t arg)
{
    struct evtchn_unmask u;
    struct evtchn *chn;
    struct vcpu *v;
    unsigned long flags;
    long rc = 0;

    if (copy_from_guest(&u, arg, sizeof(u)))
        return -EFAULT;

    spin_lock_irqsave(&d->event_lock, flags);
    chn = evtchn_lookup(d, u.port);
    if (!chn)
        rc = -EINVAL;
    else if (bit_test_and_clear(d->shared_info->evtchn_mask, u.port) &&
             bit_test(d->shared_info->evtchn_pending, u.port) &&
             (v = evtchn_notify_vcpu(d, chn)) != NULL)
        evtchn_upcall(v, u.port);       /* raised while masked: deliver it now */
    spin_unlock_irqrestore(&d->event_lock, flags);
    return rc;
}

long do_event_channel_op(unsigned cmd, uint64_t guest_arg)
{
    struct domain *d = current->domain;

    switch (cmd) {
    case EVTCHNOP_alloc_unbound:    return evtchn_op_alloc_unbound(d, guest_arg);
    case EVTCHNOP_bind_interdomain: return evtchn_op_bind_interdomain(d, guest_arg);
    case EVTCHNOP_bind_virq:        return evtchn_op_bind_virq(d, guest_arg);
    case EVTCHNOP_bind_pirq:        return evtchn_op_bind_pirq(d, guest_arg);
    case EVTCHNOP_close:            return evtchn_op_close(d, guest_arg);
    case EVTCHNOP_send:             return evtchn_op_send(d, guest_arg);
    case EVTCHNOP_status:           return evtchn_op_status(d, guest_arg);
    case EVTCHNOP_unmask:           return evtchn_op_unmask(d, guest_arg);
    default:                        return -ENOSYS;
    }
}

/* ---- VIRQs ---- */

void send_guest_vcpu_virq(struct vcpu *v, unsigned virq)
{
    struct domain *d = v->domain;
    unsigned long flags;
    evtchn_port_t port;

    ASSERT(virq < NR_VIRQS);
    spin_lock_irqsave(&d->event_lock, flags);
    port = v->virq_to_evtchn[virq];
    TRACE_VCPU(TRC_EVTCHN_VIRQ, v, virq, port);
    if (port)
        evtchn_set_pending(v, port);
    spin_unlock_irqrestore(&d->event_lock, flags);
}

void send_guest_global_virq(struct domain *d, unsigned virq)
{
    unsigned long flags;
    evtchn_port_t port;

    ASSERT(virq < NR_VIRQS);
    if (d->max_vcpus == 0 || d->vcpus[0] == NULL)
        return;
    spin_lock_irqsave(&d->event_lock, flags);
    port = d->vcpus[0]->virq_to_evtchn[virq];
    if (port)
        evtchn_raise(d, port);
    spin_unlock_irqrestore(&d->event_lock, flags);
}

/* ---- ports bound to the hypervisor (issue 11: device models) ---- */

int evtchn_xen_alloc(struct domain *d, vcpuid_t notify, evtchn_xen_fn fn, void *data)
{
    unsigned long flags;
    int port;

    spin_lock_irqsave(&d->event_lock, flags);
    port = evtchn_get_free_port(d);
    if (port > 0) {
        struct evtchn *chn = &d->evtchn[port];
        chn->state = ECS_XEN;
        chn->notify_vcpu_id = notify;
        chn->u.xen.fn = fn;
        chn->u.xen.data = data;
    }
    spin_unlock_irqrestore(&d->event_lock, flags);
    return port;
}

/* The binding is checked (state and data) under the lock: the port may have been
 * closed by d's evtchn_destroy and handed out again meanwhile. */
static struct evtchn *evtchn_xen_lookup(struct domain *d, evtchn_port_t port, void *data)
{
    struct evtchn *chn = evtchn_lookup(d, port);

    return chn && chn->state == ECS_XEN && chn->u.xen.data == data ? chn : NULL;
}

void evtchn_xen_raise(struct domain *d, evtchn_port_t port, void *data)
{
    unsigned long flags;

    spin_lock_irqsave(&d->event_lock, flags);
    if (evtchn_xen_lookup(d, port, data))
        evtchn_raise(d, port);
    spin_unlock_irqrestore(&d->event_lock, flags);
}

void evtchn_xen_free(struct domain *d, evtchn_port_t port, void *data)
{
    unsigned long flags;

    spin_lock_irqsave(&d->event_lock, flags);
    if (evtchn_xen_lookup(d, port, data))
        evtchn_free_locked(d, port);
    spin_unlock_irqrestore(&d->event_lock, flags);
}
