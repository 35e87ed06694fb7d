/* The list of domains and their reference counts (Xen's get_domain/put_domain).
 *
 * Design. A domain pointer may be used only while a reference to it is held, or while
 * it is the running vCPU's own domain. Lookups by id (domain_get, domain_get_next)
 * take the reference under domlist_lock, so a domain found on the list cannot be
 * freed before its finder's domain_put. The list itself holds one reference (the
 * creator's, from domain_create): domain_destroy takes the domain off the list and
 * drops that reference after the teardown; the last domain_put, whoever makes it,
 * frees the struct and what the users of a reference may still touch (domain_free
 * in core/domain.c). A domain marked dying is off the list at the same moment, so
 * no lookup finds it, and a second destroy fails.
 *
 * Locking. domlist_lock (irqsave) guards domain_list and the list membership of
 * every domain. Refcounts are atomic; one may go up only from a reference already
 * held (domain_hold) or under domlist_lock while the domain is on the list. Order:
 * domlist_lock -> d->lock (domain_unlist sets the dying state under both).
 *
 * Limitations. Ids come from a counter (domain_alloc_id) and are reused only when it
 * wraps: an id kept across calls (not a pointer) could then name a newer domain. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/panic.h>

static struct list_head domain_list = LIST_HEAD_INIT(domain_list);
static spinlock_t domlist_lock = SPIN_LOCK_UNLOCKED;

static void ref_inc(struct domain *d)
{
    int old = __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_ACQUIRE);

    ASSERT(old > 0);
}

int domain_list_add(struct domain *d)
{
    struct list_head *p;
    unsigned long f;
    int rc = 0;

    ASSERT(__atomic_load_n(&d->refcnt, __ATOMIC_RELAXED) > 0);
    spin_lock_irqsave(&domlist_lock, f);
    list_for_each(p, &domain_list)
        if (list_entry(p, struct domain, domlist)->domain_id == d->domain_id)
            rc = -EEXIST;
    if (rc == 0)
        list_add_tail(&d->domlist, &domain_list);
    spin_unlock_irqrestore(&domlist_lock, f);
    return rc;
}

int domain_unlist(struct domain *d)
{
    unsigned long f;
    int rc = 0;

    spin_lock_irqsave(&domlist_lock, f);
    spin_lock(&d->lock);
    if (d->state == DOMSTATE_dying)
        rc = -ESRCH;                    /* another destroy got here first */
    else
        d->state = DOMSTATE_dying;
    spin_unlock(&d->lock);
    if (rc == 0 && d->domlist.next)
        list_del(&d->domlist);
    spin_unlock_irqrestore(&domlist_lock, f);
    return rc;
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
            ref_inc(d);
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
    if (best)
        ref_inc(best);
    spin_unlock_irqrestore(&domlist_lock, f);
    return best;
}

void domain_hold(struct domain *d)
{
    ref_inc(d);
}

void domain_put(struct domain *d)
{
    int old = __atomic_fetch_sub(&d->refcnt, 1, __ATOMIC_ACQ_REL);

    ASSERT(old > 0);
    if (old == 1)
        domain_free(d);
}
