/* domctl: dom0's control of other domains (include/public/domctl.h). Everything here
 * is refused to unprivileged callers, and the target domain is looked up afresh for
 * every call, with a reference that do_domctl drops whatever the command returns.
 *
 * Locking: domctl_lock serializes every domctl (as Xen's), so a command never sees
 * its domain half-destroyed by another: the lookup happens under the lock and a
 * domain destroyed before it is not found. It is taken by a trylock loop with
 * interrupts on, as cpupool_lock: the holder may wait for cross-CPU call answers
 * from a pCPU that is waiting for the lock. Order: domctl_lock before the others.
 * It is the one spinlock held across preemption points (core/hypercall.c): a
 * domain's teardown and getpageframeinfo run under it in batches. Its waiters reach
 * a preemption point in every round of their trylock loop, so a holder switched out
 * at one gets its pCPU back at the next decision instead of facing a spinner that
 * never yields. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/ioport.h>
#include <hvlab/guest_access.h>
#include <hvlab/guest_values.h>
#include <hvlab/hypercall.h>
#include <hvlab/mm.h>
#include <hvlab/mm_migrate.h>
#include <hvlab/mm_policy.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/pv_mm.h>
#include <hvlab/sched.h>
#include <hvlab/vnuma.h>
#include <hvlab/x86/hvm_ioreq.h>
#include <hvlab/x86/hvm_platform.h>
#include <hvlab/x86/svm.h>
#include <public/domctl.h>
#include <public/hvm.h>
#include <public/sched.h>

int vcpu_set_context(struct vcpu *v, const struct vcpu_guest_context *c);
int vcpu_up(struct vcpu *v);
int sched_adjust(struct domain *d, struct domctl_scheduler_op *op);
struct cpupool *cpupool_by_id(unsigned id);
unsigned cpupool_id_of(const struct domain *d);
bool cpupool_has_cpus(const struct cpupool *p);

/* Map d's shared info at GUEST_SHARED_INFO_VA in the tables under l4 (the builder
 * left that L1 entry empty for us). */
static int map_shared_info(struct domain *d, mfn_t l4)
{
    uint64_t l1e;
    int rc = pv_lookup_l1e(d, l4, GUEST_SHARED_INFO_VA, &l1e);
    if (rc < 0)
        return rc;
    mfn_t mfn = page_to_mfn(virt_to_page(d->shared_info));
    return pv_mmu_update(d, d, l1e, ((uint64_t)mfn << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U | PTE_NX);
}

int domain_set_vcpu_context(struct domain *d, unsigned vcpu, const struct vcpu_guest_context *c)
{
    struct vcpu *v;
    int rc;

    if (vcpu >= d->max_vcpus || !(v = d->vcpus[vcpu]) || d->is_hvm)
        return -EINVAL;                 /* HVM: DOMCTL_hvm_setcontext */
    if (v->arch.started)
        return -EEXIST;
    if (c->cr3_mfn >= max_mfn || guest_context_check(c) < 0)
        return -EINVAL;
    if ((rc = pv_set_base(d, c->cr3_mfn, 0)) < 0) {
        pr_warn("domain %u: vCPU%u's page tables (L4 mfn %#lx) refused: %d\n",
                d->domain_id, vcpu, c->cr3_mfn, rc);
        return rc;
    }
    v->arch.guest_l4_mfn = c->cr3_mfn;
    if (vcpu == 0 && (rc = map_shared_info(d, c->cr3_mfn)) < 0)
        return rc;
    if ((rc = vcpu_set_context(v, c)) < 0)
        return rc;
    return vcpu_up(v);
}

static void fill_info(const struct domain *d, struct domctl_getdomaininfo *i)
{
    struct vcpu *v;
    memset(i, 0, sizeof(*i));
    i->domain = d->domain_id;
    i->flags = (d->state == DOMSTATE_dying ? DOMINFO_dying : 0) |
               (d->state == DOMSTATE_shutdown ? DOMINFO_shutdown : 0) |
               (d->state == DOMSTATE_created ? DOMINFO_created : 0) |
               (d->pause_count ? DOMINFO_paused : 0) |
               (d->is_privileged ? DOMINFO_privileged : 0) |
               (d->is_hvm ? DOMINFO_hvm : 0);
    i->shutdown_reason = d->shutdown_reason;
    i->cpupool = cpupool_id_of(d);
    i->max_vcpus = d->max_vcpus;
    i->tot_pages = d->tot_pages;
    i->max_pages = d->max_pages;
    for (unsigned n = 0; n < MAX_NUMA_NODES_ABI && n < MAX_NUMNODES; n++)
        i->pages_on_node[n] = d->node_pages[n];
    bool any_running = false, all_blocked = true;
    for_each_vcpu(d, v) {
        struct vcpu_runstate_info rs;
        vcpu_runstate_get(v, &rs);
        i->cpu_time_ns += (uint64_t)rs.time[RUNSTATE_running];
        if (!(v->pause_flags & (1UL << VPF_down)))
            i->nr_online_vcpus++;
        any_running |= v->is_running;
        all_blocked &= !!(v->pause_flags & (1UL << VPF_blocked));
    }
    if (any_running)
        i->flags |= DOMINFO_running;
    else if (all_blocked)
        i->flags |= DOMINFO_blocked;
    memcpy(i->name, d->name, sizeof(i->name));
}

static int vcpu_info_of(struct domain *d, struct domctl_getvcpuinfo *i)
{
    struct vcpu *v;
    if (i->vcpu >= d->max_vcpus || !(v = d->vcpus[i->vcpu]))
        return -EINVAL;
    i->online = !(v->pause_flags & (1UL << VPF_down));
    i->blocked = !!(v->pause_flags & (1UL << VPF_blocked));
    i->running = v->is_running;
    i->cpu = v->processor;
    vcpu_runstate_get(v, &i->runstate);
    i->cpumap_hard = cpumask_to_u64(&v->cpu_hard_affinity);
    i->cpumap_soft = cpumask_to_u64(&v->cpu_soft_affinity);
    return 0;
}

/* createdomain's layout, read from dom0's memory. */
static long domctl_create_vnuma(struct domain *d, uint64_t va)
{
    struct vnuma_layout l;

    if (copy_from_guest(&l, va, sizeof(l)))
        return -EFAULT;
    return vnuma_set(d, &l);
}

static long domctl_create(struct domctl *op)
{
    struct domctl_createdomain *c = &op->u.createdomain;
    bool hvm = c->flags & DOMCRF_hvm;
    c->name[DOMNAME_LEN - 1] = '\0';
    if (c->max_vcpus == 0 || c->max_vcpus > MAX_VIRT_CPUS || (c->flags & ~DOMCRF_hvm))
        return -EINVAL;
    if (hvm && !svm_available()) {
        pr_warn("domctl: domain '%s': HVM refused: this machine has no SVM with nested "
                "paging (see the svm: line at boot)\n", c->name);
        return -ENODEV;
    }
    if (hvm && c->max_pages > frames_free_all()) {
        pr_warn("domctl: domain '%s': HVM with %lu frames refused, %lu are free\n",
                c->name, (unsigned long)c->max_pages, frames_free_all());
        return -ENOMEM;
    }
    if (c->max_pages > frames_total_all()) {
        pr_warn("domctl: domain '%s': max_pages %lu refused, the machine has %lu frames\n",
                c->name, (unsigned long)c->max_pages, frames_total_all());
        return -ENOMEM;
    }
    struct cpupool *pool = cpupool_by_id(c->cpupool);
    if (!pool)
        return -ENOENT;
    if (!cpupool_has_cpus(pool))
        return -ENODEV;                 /* its vCPUs would have nowhere to run */
    struct domain *d = domain_create_in(domain_alloc_id(), c->name, c->max_vcpus, false, pool);
    if (IS_ERR(d))
        return PTR_ERR(d);
    long rc = domain_set_max_pages(d, c->max_pages);   /* checked above: cannot fail */
    ASSERT(rc == 0);
    /* vNUMA before any frame (HVM RAM is placed by it); a refusal leaves nothing. */
    if (c->vnuma && (rc = domctl_create_vnuma(d, c->vnuma)) < 0) {
        domain_destroy(d);
        return rc;
    }
    /* HVM: all its RAM now (gfn i -> frame i); on failure nothing stays allocated. */
    if (hvm && (rc = hvm_domain_init(d)) < 0) {
        domain_destroy(d);
        return rc;
    }
    op->domain = d->domain_id;
    return 0;
}

/* DOMCTL_set_memory_policy: the answer (bad_node, free_pages) goes back on errors
 * too, and the reason is logged. PV: only before its first frame. */
static long domctl_memory_policy(struct domctl *op, struct domain *d, uint64_t arg)
{
    struct domctl_memory_policy *io = &op->u.memory_policy;
    char why[160] = "";
    long rc;

    if (d->is_hvm)
        rc = hvm_set_memory_policy(d, io, why, sizeof(why));
    else if (d->tot_pages || d->state != DOMSTATE_created)
        rc = -EBUSY;
    else
        rc = mm_policy_set(d, io, why, sizeof(why));
    if (rc < 0)
        pr_warn("domain %u (%s): memory policy refused: %s (%ld)\n", d->domain_id, d->name,
                why[0] ? why : "the domain is built already", rc);
    if (copy_to_guest(arg, op, sizeof(*op)))
        return -EFAULT;
    return rc;
}

/* The mfns of d's frames in page_list order, at most g->max, into g->mfn_list; g->nr
 * says how many. HYPERCALL_PREEMPT_BATCH of them at a time are gathered under
 * page_lock, then copied to the caller without it, with a preemption point after each
 * batch (a 256 MiB domain has 65,536 frames). The place is the last frame reported:
 * still d's (owner checked under page_lock), it is still on page_list and the walk
 * goes on after it; if d freed it meanwhile (a PV domain's decrease_reservation) the
 * list changed under the caller: -EAGAIN, with what was copied so far in g->nr. */
static long domctl_page_frames(struct domain *d, struct domctl_getpageframeinfo *g)
{
    uint64_t batch[HYPERCALL_PREEMPT_BATCH];
    struct page_info *last = NULL;
    unsigned long f;
    long rc = 0;

    g->nr = 0;
    while (rc == 0 && g->nr < g->max) {
        unsigned k = 0;
        spin_lock_irqsave(&d->page_lock, f);
        struct list_head *p = last ? last->list.next : d->page_list.next;
        if (last && __atomic_load_n(&last->owner, __ATOMIC_RELAXED) != d)
            rc = -EAGAIN;
        for (; rc == 0 && p != &d->page_list && k < ARRAY_SIZE(batch) &&
               g->nr + k < g->max; p = p->next, k++) {
            last = list_entry(p, struct page_info, list);
            batch[k] = page_to_mfn(last);
        }
        spin_unlock_irqrestore(&d->page_lock, f);
        if (k == 0)
            break;                      /* the end of the list, or -EAGAIN */
        if (copy_to_guest(g->mfn_list + g->nr * sizeof(batch[0]), batch, k * sizeof(batch[0])))
            return -EFAULT;
        g->nr += k;
        hypercall_preempt();            /* under domctl_lock: see Locking above */
    }
    return rc;
}

static spinlock_t domctl_lock = SPIN_LOCK_UNLOCKED;

/* One command on d (NULL for createdomain), under domctl_lock; the caller drops d's
 * reference. */
static long domctl_run(struct domctl op, struct domain *d, uint64_t arg)
{
    long rc;

    switch (op.cmd) {
    case DOMCTL_createdomain:
        rc = domctl_create(&op);
        break;
    case DOMCTL_destroydomain:
        return domain_destroy(d);
    case DOMCTL_pausedomain:
        if (d == current->domain)
            return -EINVAL;
        domain_pause_by_controller(d);
        return 0;
    case DOMCTL_unpausedomain:
        return domain_unpause_by_controller(d);
    case DOMCTL_getdomaininfo:             /* d: the first with an id >= op.domain */
        fill_info(d, &op.u.getdomaininfo);
        op.domain = d->domain_id;
        rc = 0;
        break;
    case DOMCTL_max_mem:
        return domain_set_max_pages(d, op.u.max_mem.max_pages);
    case DOMCTL_setvcpucontext:
        return domain_set_vcpu_context(d, op.u.vcpucontext.vcpu, &op.u.vcpucontext.ctx);
    case DOMCTL_hvm_setcontext:
        return hvm_domain_set_context(d, &op.u.hvm_context);
    case DOMCTL_console_input:
        if (!d->is_hvm)
            return -ENODEV;             /* a PV domain has no COM1 */
        if (op.u.console_input.len > CONSOLE_INPUT_MAX)
            return -EINVAL;
        return (long)hvm_platform_console_input(d, op.u.console_input.bytes,
                                                op.u.console_input.len);
    /* devmodel (issue 11): an HVM domain's device model (public/hvm_ioreq.h) */
    case DOMCTL_ioreq_server:
        if (d == current->domain)
            return -EINVAL;
        rc = hvm_ioreq_server_op(current->domain, d, &op.u.ioreq_server);
        break;
    case DOMCTL_hvm_set_irq:
        return hvm_ioreq_set_irq(d, &op.u.hvm_set_irq);
    case DOMCTL_ioport_permission:      /* pdisk: core/arch/x86/ioport.c */
        return ioport_domctl(d, &op.u.ioport_permission);
    case DOMCTL_hvm_set_param:          /* the store's page and port */
        if (!d->is_hvm)
            return -ENODEV;
        if (op.u.hvm_param.index == 0 || op.u.hvm_param.index >= HVM_NR_PARAMS)
            return -EINVAL;
        d->hvm_params[op.u.hvm_param.index] = op.u.hvm_param.value;
        return 0;
    case DOMCTL_set_vnuma:              /* core/vnuma.c */
        return vnuma_set(d, &op.u.vnuma);
    case DOMCTL_getvcpuinfo:
        rc = vcpu_info_of(d, &op.u.getvcpuinfo);
        break;
    case DOMCTL_setvcpuaffinity: {
        struct domctl_vcpuaffinity *a = &op.u.vcpuaffinity;
        cpumask_t hard = cpumask_from_u64(a->cpumap_hard);
        cpumask_t soft = cpumask_from_u64(a->cpumap_soft);
        if (a->vcpu >= d->max_vcpus)
            return -EINVAL;
        return vcpu_set_affinity(d->vcpus[a->vcpu], (a->flags & 1) ? &hard : NULL,
                                 (a->flags & 2) ? &soft : NULL);
    }
    case DOMCTL_getvcpuaffinity: {
        struct domctl_vcpuaffinity *a = &op.u.vcpuaffinity;
        if (a->vcpu >= d->max_vcpus)
            return -EINVAL;
        a->cpumap_hard = cpumask_to_u64(&d->vcpus[a->vcpu]->cpu_hard_affinity);
        a->cpumap_soft = cpumask_to_u64(&d->vcpus[a->vcpu]->cpu_soft_affinity);
        rc = 0;
        break;
    }
    case DOMCTL_scheduler_op:
        rc = sched_adjust(d, &op.u.scheduler_op);
        break;
    case DOMCTL_shutdown:
        if (op.u.shutdown.reason > SHUTDOWN_MAX)
            return -EINVAL;
        domain_shutdown(d, op.u.shutdown.reason);
        return 0;
    case DOMCTL_set_memory_policy:      /* mmpolicy: before the build */
        return domctl_memory_policy(&op, d, arg);
    case DOMCTL_migrate_memory:         /* migrate: mm/migrate.c; OUT fields on errors too */
        rc = mm_migrate_domctl(d, &op.u.migrate_memory);
        return copy_to_guest(arg, &op, sizeof(op)) ? -EFAULT : rc;
    case DOMCTL_hvm_populate:
        return hvm_populate_range(d, &op.u.hvm_populate);
    case DOMCTL_getpageframeinfo: {
        struct domctl_getpageframeinfo *g = &op.u.getpageframeinfo;
        if (d->is_hvm && mm_policy_of(d)->lazy_hvm) {   /* by gfn: not all there */
            rc = hvm_gfn_frames(d, g);
            break;
        }
        if (!guest_array_ok(g->mfn_list, g->max, sizeof(uint64_t)))
            return -EFAULT;
        rc = domctl_page_frames(d, g);
        break;
    }
    default:
        return -ENOSYS;
    }
    if (rc >= 0 && copy_to_guest(arg, &op, sizeof(op)))
        return -EFAULT;
    return rc;
}

long do_domctl(uint64_t arg)
{
    struct domctl op;
    struct domain *d = NULL;
    long rc;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != DOMCTL_INTERFACE_VERSION)
        return -EACCES;

    while (!spin_trylock(&domctl_lock)) {
        cpu_relax();
        hypercall_preempt();            /* the holder may be switched out: see above */
    }
    if (op.cmd == DOMCTL_getdomaininfo)
        d = domain_get_next(op.domain);
    else if (op.cmd != DOMCTL_createdomain)
        d = domain_get(op.domain);
    if (!d && op.cmd != DOMCTL_createdomain)
        rc = -ESRCH;
    else
        rc = domctl_run(op, d, arg);
    if (d)
        domain_put(d);                  /* after a destroy, the put that frees it */
    spin_unlock(&domctl_lock);
    return rc;
}
