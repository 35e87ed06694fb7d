/* Domains: creation, the controller's pause, shutdown and destruction. A domain is
 * created paused (DOMSTATE_created); dom0 builds it and unpauses it; it runs until it
 * shuts itself down (SCHEDOP_shutdown), is shut down, or crashes; dom0 then destroys
 * it, and every frame goes back to the allocator.
 *
 * Destruction has two halves (as Xen's domain_kill and the final put_domain):
 * domain_destroy marks the domain dying and takes it off the list (no lookup finds it
 * from then on), pauses its vCPUs, closes its event channels (so no peer keeps a
 * pointer to it) and returns its memory; domain_free, run by the last domain_put,
 * frees what a holder of a reference may still read: the vCPUs, the scheduler's data,
 * the shared-info page and the struct itself. References: core/domain_ref.c.
 * Returning the memory is long (a 192 MiB domain: ~15 ms of icount time) and reaches
 * a preemption point (core/hypercall.c) every batch of frames and grant handles, so
 * the destroying dom0 vCPU can be switched out in the middle and its pCPU's slice
 * ends are decided on time (issue 9). Nothing else touches d's memory meanwhile: d
 * is off the list and paused, and domctl_lock keeps other domctls out.
 *
 * Locking: d->lock guards d->state and the shutdown fields; the list and the
 * reference counts are core/domain_ref.c's. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/ioport.h>
#include <hvlab/event.h>
#include <hvlab/grant_table.h>
#include <hvlab/mm.h>
#include <hvlab/pv_mm.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/shutdown.h>
#include <hvlab/trace.h>
#include <hvlab/x86/svm.h>
#include <hvlab/xmalloc.h>
#include <public/sched.h>

struct domain *dom0;
static domid_t next_domid = 1;

static const char *const shutdown_names[] = { "poweroff", "reboot", "suspend", "crash",
                                               "error" };

const char *shutdown_reason_name(unsigned reason)
{
    return reason < ARRAY_SIZE(shutdown_names) ? shutdown_names[reason] : "?";
}

domid_t domain_alloc_id(void)
{
    return __atomic_fetch_add(&next_domid, 1, __ATOMIC_SEQ_CST);
}

static int domain_alloc_shared_info(struct domain *d)
{
    /* The hypervisor writes event bits and times into it whatever the guest does with
     * its mappings: shared, so that it can never become one of d's page tables. */
    struct page_info *pg = alloc_frames(0, d->home_node, MEMF_ZERO);
    if (!pg)
        return -ENOMEM;
    domain_share_frame(pg, d, true);
    d->shared_info = page_to_virt(pg);
    return 0;
}

struct domain *domain_create(domid_t id, const char *name, unsigned max_vcpus,
                             bool privileged)
{
    return domain_create_in(id, name, max_vcpus, privileged, NULL);
}

struct domain *domain_create_in(domid_t id, const char *name, unsigned max_vcpus,
                                bool privileged, struct cpupool *pool)
{
    struct domain *d;
    unsigned long free_before = frames_free_all();

    if (max_vcpus == 0 || max_vcpus > MAX_VIRT_CPUS)
        return ERR_PTR(-EINVAL);
    d = xzalloc(sizeof(*d));
    if (!d)
        return ERR_PTR(-ENOMEM);
    d->refcnt = 1;                      /* the creator's, then the list's */
    d->domain_id = id;
    fmt_snprintf(d->name, sizeof(d->name), "%s", name);
    d->is_privileged = privileged;
    spin_lock_init(&d->lock);
    spin_lock_init(&d->page_lock);
    spin_lock_init(&d->event_lock);
    spin_lock_init(&d->con_lock);
    list_init(&d->page_list);
    d->home_node = NUMA_NO_NODE;
    d->state = DOMSTATE_created;
    d->pause_count = 1;                 /* created paused: dom0 unpauses */
    d->max_vcpus = max_vcpus;
    d->cpupool = pool;                  /* NULL: pool 0 */

    int err = -ENOMEM;
    d->vcpus = xzalloc_array(max_vcpus, sizeof(*d->vcpus));
    if (!d->vcpus || domain_alloc_shared_info(d) < 0)
        goto fail;
    if ((err = evtchn_init(d)) < 0 || (err = sched_init_domain(d)) < 0)
        goto fail;
    for (unsigned i = 0; i < max_vcpus; i++) {
        d->vcpus[i] = vcpu_create(d, i, i % nr_cpus_online);
        if (!d->vcpus[i]) {
            err = -ENOMEM;
            goto fail;
        }
    }
    if ((err = domain_list_add(d)) < 0)
        goto fail;                      /* the id is taken */
    TRACE(TRC_DOM_CREATE, id, 0, max_vcpus, 0);
    pr_info("domain %u (%s): created, %u vCPU%s, %lu frames free before\n", id, d->name,
            max_vcpus, max_vcpus == 1 ? "" : "s", free_before);
    return d;

fail:
    d->state = DOMSTATE_dying;          /* never listed, never ran: nothing to tear down */
    domain_put(d);
    return ERR_PTR(err);
}

/* The domain stops running for good; dom0 hears of it through VIRQ_DOM_EXC. When
 * dom0 itself shuts down, so does the machine: powered off, or stopped with the
 * failing status of SHUTDOWN_error (dom0 reported an error and said so on its
 * console, so no call trace), or panicked if dom0 crashed. */
void domain_shutdown(struct domain *d, unsigned reason)
{
    struct vcpu *v;
    unsigned long f;

    spin_lock_irqsave(&d->lock, f);
    if (d->state >= DOMSTATE_shutdown) {
        spin_unlock_irqrestore(&d->lock, f);
        return;
    }
    d->state = DOMSTATE_shutdown;
    d->shutdown_reason = reason;
    spin_unlock_irqrestore(&d->lock, f);

    TRACE(TRC_DOM_SHUTDOWN, d->domain_id, 0, reason, 0);
    pr_info("domain %u (%s): shutdown (%s)\n", d->domain_id, d->name,
            shutdown_reason_name(reason));
    for_each_vcpu(d, v) {
        __atomic_add_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);
        vcpu_sleep_nosync(v);
    }
    if (d == dom0) {
        if (reason == SHUTDOWN_crash)
            panic("dom0 crashed");
        if (reason == SHUTDOWN_error) {
            pr_err("hvlab: dom0 reported an error: stopping the machine (exit code %u)\n",
                   EXIT_CODE_DOM0_ERROR);
            machine_exit_failure(EXIT_CODE_DOM0_ERROR);
        }
        machine_poweroff();
    }
    if (dom0)
        send_guest_global_virq(dom0, VIRQ_DOM_EXC);
}

void domain_crash(struct domain *d, const char *why)
{
    pr_err("domain %u (%s): crashed: %s\n", d->domain_id, d->name, why);
    domain_shutdown(d, SHUTDOWN_crash);
}

/* The first half of destruction; the caller's reference (if any) stays valid. */
int domain_destroy(struct domain *d)
{
    struct vcpu *v;
    int rc;

    if (d == dom0 || d == current->domain)
        return -EINVAL;
    if ((rc = domain_unlist(d)) < 0)
        return rc;
    /* "destroyed" comes at the last reference (domain_free), after the memory is
     * back; what d held of others (grant mappings, channels) goes before that, so
     * this line marks when other domains may see it gone. */
    pr_info("domain %u (%s): destroying\n", d->domain_id, d->name);
    for_each_vcpu(d, v) {
        __atomic_add_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);
        vcpu_sleep_sync(v);
    }
    /* Closing every port unbinds the peers of interdomain channels, under both
     * domains' event locks: after this no other domain holds a pointer to d. */
    evtchn_destroy(d);
    d->frames_at_destroy = d->tot_pages;
    hvm_domain_relinquish(d);           /* the nested tables point at d's frames */
    /* The grants d maps: unpinned (their granters may go now); the host mappings
     * still in d's page tables go with them just below. */
    gnttab_release_mappings(d);
    domain_relinquish_memory(d);
    TRACE(TRC_DOM_DESTROY, d->domain_id, 0, d->frames_at_destroy, 0);
    domain_put(d);                      /* the list's reference */
    return 0;
}

/* The last reference is gone: nobody can reach d any more. Also frees a domain whose
 * creation failed half-way (never listed, so never destroyed). */
void domain_free(struct domain *d)
{
    struct vcpu *v;

    ASSERT(d->state == DOMSTATE_dying && d != dom0);
    evtchn_destroy(d);                  /* a half-created domain's table; else a no-op */
    if (d->vcpus) {
        for_each_vcpu(d, v)
            vcpu_destroy(v);
        xfree(d->vcpus);
    }
    sched_destroy_domain(d);
    ioport_domain_free(d);              /* pdisk: its I/O-port map */
    if (d->shared_info)                 /* freed now, or by a foreign mapping's put */
        domain_unshare_frame(virt_to_page(d->shared_info));
    gnttab_domain_free(d);              /* no mapping of d's grants is left: each held d */
    /* Logged after the last free, so the count includes everything d had. */
    domid_t id = d->domain_id;
    unsigned long frames = d->frames_at_destroy;
    char name[sizeof(d->name)];
    memcpy(name, d->name, sizeof(name));
    xfree(d);
    pr_info("domain %u (%s): destroyed, %lu frames returned, %lu free\n", id, name, frames,
            frames_free_all());
}
