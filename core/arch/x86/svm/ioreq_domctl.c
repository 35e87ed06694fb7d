/* The device model's domctls (public/hvm_ioreq.h): DOMCTL_ioreq_server makes and
 * removes an HVM domain's server (the request page, a DOMID_XEN frame shared
 * writable, and a port per vCPU in the caller's domain bound to the hypervisor);
 * DOMCTL_hvm_set_irq drives one of the domain's ISA IRQ lines. Both sides of a
 * server change only with every vCPU of the domain paused (ioreq.c's Locking). */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/event.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/xmalloc.h>
#include <hvlab/x86/hvm_ioreq.h>
#include <hvlab/x86/hvm_platform.h>
#include <hvlab/x86/svm.h>
#include "ioreq_priv.h"

/* The device model sent on vCPU i's port: the answer may be there. Under the device
 * model's event_lock (see evtchn_xen_alloc). */
static void ioreq_port_event(void *data)
{
    struct hvm_ioreq_port_ctx *c = data;
    struct vcpu *v = c->s->d->vcpus[c->vcpu];

    if (v)
        vcpu_kick(v);
}

static void domain_vcpus_pause(struct domain *d)
{
    struct vcpu *v;

    for_each_vcpu(d, v)
        vcpu_pause(v);
}

static void domain_vcpus_unpause(struct domain *d)
{
    struct vcpu *v;

    for_each_vcpu(d, v)
        vcpu_unpause(v);
}

/* Ports closed, page unshared (freed with dom0's last mapping), reference dropped. */
static void ioreq_server_free(struct hvm_ioreq_server *s)
{
    for (unsigned i = 0; i < s->nr_vcpus; i++)
        if (s->port[i])
            evtchn_xen_free(s->dm, s->port[i], &s->ctx[i]);
    if (s->pg)
        domain_unshare_frame(s->pg);
    domain_put(s->dm);
    xfree(s);
}

static long ioreq_server_create(struct domain *caller, struct domain *d,
                                struct domctl_ioreq_server *op)
{
    struct hvm_ioreq_server *s;
    int port;

    if (d->max_vcpus > IOREQ_SERVER_PORTS || d->max_vcpus > IOREQ_MAX_VCPUS)
        return -E2BIG;
    if (d->ioreq)
        return -EEXIST;
    if (!(s = xzalloc(sizeof(*s))))
        return -ENOMEM;
    domain_hold(caller);
    s->d = d;
    s->dm = caller;
    s->nr_vcpus = d->max_vcpus;
    if (!(s->pg = alloc_frames(0, NUMA_NO_NODE, MEMF_ZERO))) {
        ioreq_server_free(s);
        return -ENOMEM;
    }
    domain_share_frame(s->pg, dom_xen, true);
    s->page = page_to_virt(s->pg);
    memset(op->port, 0, sizeof(op->port));
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        s->ctx[i] = (struct hvm_ioreq_port_ctx){ s, i };
        if ((port = evtchn_xen_alloc(caller, 0, ioreq_port_event, &s->ctx[i])) < 0) {
            ioreq_server_free(s);
            return port;
        }
        s->port[i] = (evtchn_port_t)port;
        op->port[i] = (uint32_t)port;
    }
    op->nr_vcpus = s->nr_vcpus;
    op->page_mfn = page_to_mfn(s->pg);

    struct hvm_ioreq_server *none = NULL;
    domain_vcpus_pause(d);
    bool won = __atomic_compare_exchange_n(&d->ioreq, &none, s, false, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST);
    domain_vcpus_unpause(d);
    if (!won) {                         /* another caller was first */
        ioreq_server_free(s);
        return -EEXIST;
    }
    if (d->state == DOMSTATE_dying) {   /* destroyed meanwhile: its teardown may be past */
        hvm_ioreq_teardown(d);
        return -ESRCH;
    }
    pr_info("domain %u (%s): device model in domain %u, request page mfn %#llx\n",
            d->domain_id, d->name, caller->domain_id, (unsigned long long)op->page_mfn);
    return 0;
}

/* With every vCPU of d off its pCPU: d no longer has a server; a vCPU waiting for an
 * answer gets "nothing there" when it next runs (hvm_ioreq_resume). */
static bool ioreq_server_detach(struct domain *d)
{
    struct hvm_ioreq_server *s = __atomic_exchange_n(&d->ioreq, NULL, __ATOMIC_SEQ_CST);

    if (s)
        ioreq_server_free(s);
    return s != NULL;
}

long hvm_ioreq_server_op(struct domain *caller, struct domain *d,
                         struct domctl_ioreq_server *op)
{
    if (!d->is_hvm)
        return -EINVAL;
    switch (op->op) {
    case IOREQ_SERVER_CREATE:
        return ioreq_server_create(caller, d, op);
    case IOREQ_SERVER_DESTROY:
    {
        struct vcpu *v;
        domain_vcpus_pause(d);
        bool had = ioreq_server_detach(d);
        domain_vcpus_unpause(d);
        for_each_vcpu(d, v)             /* a vCPU blocked for an answer goes on now */
            if (v->arch.svm->ioreq.wait)
                vcpu_kick(v);
        return had ? 0 : -ENOENT;
    }
    default:
        return -EINVAL;
    }
}

void hvm_ioreq_teardown(struct domain *d)
{
    ioreq_server_detach(d);
}

long hvm_ioreq_set_irq(struct domain *d, const struct domctl_hvm_set_irq *op)
{
    if (!d->is_hvm)
        return -ENODEV;
    if (op->irq > 15 || op->level > 1)
        return -EINVAL;
    return hvm_platform_set_isa_irq(d, op->irq, op->level);
}
