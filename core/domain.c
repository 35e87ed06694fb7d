/* Domains: creation, the controller's pause, shutdown and destruction. A domain is
 * created paused (DOMSTATE_created); dom0 builds it and unpauses it; it runs until it
 * shuts itself down (SCHEDOP_shutdown), is shut down, or crashes; dom0 then destroys
 * it, and every frame goes back to the allocator.
 *
 * Locking: domlist_lock guards the list of domains; d->lock guards d->state and the
 * shutdown fields. Domain pointers are not reference-counted: a domain is destroyed
 * only by dom0's domctl, with its vCPUs paused, after which no hypercall can find it
 * (it is off the list first). Limitation: a concurrent lookup of a domain being
 * destroyed by another dom0 vCPU is not guarded (dom0 runs its toolstack on one vCPU). */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/event.h>
#include <hvlab/mm.h>
#include <hvlab/pv_mm.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/shutdown.h>
#include <hvlab/trace.h>
#include <hvlab/xmalloc.h>
#include <public/sched.h>

struct domain *dom0;
static struct list_head domain_list = LIST_HEAD_INIT(domain_list);
static spinlock_t domlist_lock = SPIN_LOCK_UNLOCKED;
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

struct domain *domain_get(domid_t id)
{
    struct domain *found = NULL;
    struct list_head *p;
    unsigned long f;
    spin_lock_irqsave(&domlist_lock, f);
    list_for_each(p, &domain_list) {
        struct domain *d = list_entry(p, struct domain, domlist);
        if (d->domain_id == id) {
            found = d;
            break;
        }
    }
    spin_unlock_irqrestore(&domlist_lock, f);
    return found;
}

struct domain *domain_get_next(domid_t from)
{
    struct domain *best = NULL;
    struct list_head *p;
    unsigned long f;
    spin_lock_irqsave(&domlist_lock, f);
    list_for_each(p, &domain_list) {
        struct domain *d = list_entry(p, struct domain, domlist);
        if (d->domain_id >= from && (!best || d->domain_id < best->domain_id))
            best = d;
    }
    spin_unlock_irqrestore(&domlist_lock, f);
    return best;
}

static int domain_alloc_shared_info(struct domain *d)
{
    /* Owned by d so that d may map it, but not part of its reservation: it is freed
     * by domain_destroy, not by relinquishing memory. */
    struct page_info *pg = alloc_frames(0, d->home_node, MEMF_ZERO);
    if (!pg)
        return -ENOMEM;
    pg->owner = d;
    pg->count_info = PGC_allocated;     /* d's frame, for the page-type rules */
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
    unsigned long f;
    unsigned long free_before = frames_free_all();

    if (max_vcpus == 0 || max_vcpus > MAX_VIRT_CPUS || domain_get(id))
        return ERR_PTR(-EINVAL);
    d = xzalloc(sizeof(*d));
    if (!d)
        return ERR_PTR(-ENOMEM);
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
    spin_lock_irqsave(&domlist_lock, f);
    list_add_tail(&d->domlist, &domain_list);
    spin_unlock_irqrestore(&domlist_lock, f);
    TRACE(TRC_DOM_CREATE, id, 0, max_vcpus, 0);
    pr_info("domain %u (%s): created, %u vCPU%s, %lu frames free before\n", id, d->name,
            max_vcpus, max_vcpus == 1 ? "" : "s", free_before);
    return d;

fail:
    d->state = DOMSTATE_dying;
    domain_destroy(d);
    return ERR_PTR(err);
}

void domain_pause_by_controller(struct domain *d)
{
    struct vcpu *v;
    __atomic_add_fetch(&d->pause_count, 1, __ATOMIC_SEQ_CST);
    TRACE(TRC_DOM_PAUSE, d->domain_id, 0, 0, 0);
    for_each_vcpu(d, v)
        if (v != current)
            vcpu_sleep_sync(v);
}

int domain_unpause_by_controller(struct domain *d)
{
    struct vcpu *v;
    if (__atomic_load_n(&d->pause_count, __ATOMIC_ACQUIRE) == 0)
        return -EINVAL;
    if (d->state == DOMSTATE_created)
        d->state = DOMSTATE_active;
    TRACE(TRC_DOM_UNPAUSE, d->domain_id, 0, 0, 0);
    if (__atomic_sub_fetch(&d->pause_count, 1, __ATOMIC_SEQ_CST) == 0)
        for_each_vcpu(d, v)
            vcpu_wake(v);
    return 0;
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

/* Frees everything d holds. Its vCPUs must not run: they are paused here first. */
int domain_destroy(struct domain *d)
{
    struct vcpu *v;
    unsigned long f;
    unsigned long frames_before;

    if (d == dom0 || d == current->domain)
        return -EINVAL;
    d->state = DOMSTATE_dying;
    if (d->vcpus)
        for_each_vcpu(d, v) {
            __atomic_add_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);
            vcpu_sleep_sync(v);
        }
    spin_lock_irqsave(&domlist_lock, f);
    if (d->domlist.next)
        list_del(&d->domlist);
    spin_unlock_irqrestore(&domlist_lock, f);

    if (d->evtchn)
        evtchn_destroy(d);
    if (d->vcpus) {
        for_each_vcpu(d, v)
            vcpu_destroy(v);
        xfree(d->vcpus);
    }
    sched_destroy_domain(d);
    frames_before = d->tot_pages;
    domain_relinquish_memory(d);
    if (d->shared_info) {
        /* Still mapped by another domain (dom0 may): freed by its last put_page. */
        release_frame(virt_to_page(d->shared_info));
    }
    TRACE(TRC_DOM_DESTROY, d->domain_id, 0, frames_before, 0);
    pr_info("domain %u (%s): destroyed, %lu frames returned, %lu free\n", d->domain_id,
            d->name, frames_before, frames_free_all());
    xfree(d);
    return 0;
}
