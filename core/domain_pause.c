/* Pausing and unpausing a domain by its controller (dom0's domctl, the toolstack).
 * In a file of its own so that the scheduler testbed (tests/sched/) links this very
 * code with the real scheduling core instead of keeping a copy of it. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/sched.h>
#include <hvlab/trace.h>

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
