/* vCPUs: creation and destruction, and the vcpu_op hypercall (bring-up, runstate,
 * one-shot timers). A vCPU starts down (VPF_down) and without a context; it runs once
 * it has a context (setvcpucontext from dom0, or VCPUOP_initialise from its own
 * domain), has been brought up, and neither it nor its domain is paused. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/event.h>
#include <hvlab/guest_access.h>
#include <hvlab/guest_values.h>
#include <hvlab/pv_mm.h>
#include <hvlab/sched.h>
#include <hvlab/time.h>
#include <hvlab/time_arith.h>
#include <hvlab/timer.h>
#include <hvlab/xmalloc.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <hvlab/hypercall.h>

int arch_vcpu_init(struct vcpu *v);
void arch_vcpu_destroy(struct vcpu *v);
void arch_set_guest_context(struct vcpu *v, const struct vcpu_guest_context *c);

static void singleshot_timer_fn(void *data)
{
    send_guest_vcpu_virq(data, VIRQ_TIMER);
}

static void poll_timer_fn(void *data)
{
    struct vcpu *v = data;
    v->poll_port = 0;
    vcpu_kick(v);
}

struct vcpu *vcpu_create(struct domain *d, vcpuid_t id, unsigned cpu)
{
    struct vcpu *v = xzalloc(sizeof(*v));
    if (!v)
        return NULL;
    v->vcpu_id = id;
    v->domain = d;
    v->pause_flags = 1UL << VPF_down;
    v->vcpu_info = &d->shared_info->vcpu_info[id];
    timer_init(&v->singleshot_timer, singleshot_timer_fn, v, cpu);
    timer_init(&v->poll_timer, poll_timer_fn, v, cpu);
    if (arch_vcpu_init(v) < 0 || sched_init_vcpu(v, cpu) < 0) {
        arch_vcpu_destroy(v);
        xfree(v);
        return NULL;
    }
    return v;
}

void vcpu_destroy(struct vcpu *v)
{
    timer_stop(&v->singleshot_timer);
    timer_stop(&v->poll_timer);
    sched_destroy_vcpu(v);
    arch_vcpu_destroy(v);
    xfree(v);
}

/* Give v its first registers and bring it up (dom0's setvcpucontext, VCPUOP_initialise
 * + VCPUOP_up). v must not be running. */
int vcpu_set_context(struct vcpu *v, const struct vcpu_guest_context *c)
{
    if (v->arch.started)
        return -EEXIST;
    arch_set_guest_context(v, c);
    return 0;
}

int vcpu_up(struct vcpu *v)
{
    if (!v->arch.started)
        return -EINVAL;
    if (__atomic_fetch_and(&v->pause_flags, ~(1UL << VPF_down), __ATOMIC_ACQ_REL) &
        (1UL << VPF_down))
        vcpu_wake(v);
    return 0;
}

/* deadline: absolute NOW() ns, signed; 0 stops the timer. A past (or negative)
 * deadline fires at once, an absurdly far one at most TIMER_MAX_AHEAD_NS from now. */
long do_set_timer_op(uint64_t deadline)
{
    struct vcpu *v = current;
    if (deadline == 0)
        timer_stop(&v->singleshot_timer);
    else
        timer_set(&v->singleshot_timer, timer_deadline_clamp((s_time_t)deadline, NOW()));
    return 0;
}

long do_vcpu_op(uint64_t cmd, uint64_t vcpuid, uint64_t arg)
{
    struct domain *d = current->domain;
    struct vcpu *v;

    if (vcpuid >= d->max_vcpus || !(v = d->vcpus[vcpuid]))
        return -ENOENT;
    switch (cmd) {
    case VCPUOP_initialise: {
        struct vcpu_guest_context c;
        if (copy_from_guest(&c, arg, sizeof(c)))
            return -EFAULT;
        /* Same address space as the caller; nothing that would fault when loaded. */
        if (c.cr3_mfn != current->arch.guest_l4_mfn || guest_context_check(&c) < 0)
            return -EINVAL;
        if (v->arch.started)
            return -EEXIST;
        /* The vCPU holds its own base reference (see pv_set_base). */
        int rc = pv_set_base(d, c.cr3_mfn, 0);
        if (rc < 0)
            return rc;
        v->arch.guest_l4_mfn = c.cr3_mfn;
        return vcpu_set_context(v, &c);
    }
    case VCPUOP_up:
        return vcpu_up(v);
    case VCPUOP_down:
        if (__atomic_fetch_or(&v->pause_flags, 1UL << VPF_down, __ATOMIC_ACQ_REL) &
            (1UL << VPF_down))
            return 0;
        vcpu_sleep_nosync(v);
        return 0;
    case VCPUOP_is_up:
        return !(v->pause_flags & (1UL << VPF_down));
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info ri;
        vcpu_runstate_get(v, &ri);
        return copy_to_guest(arg, &ri, sizeof(ri)) ? -EFAULT : 0;
    }
    case VCPUOP_set_singleshot_timer: {
        int64_t deadline;
        if (v != current)
            return -EINVAL;
        if (copy_from_guest(&deadline, arg, sizeof(deadline)))
            return -EFAULT;
        return do_set_timer_op((uint64_t)deadline);
    }
    case VCPUOP_stop_singleshot_timer:
        if (v != current)
            return -EINVAL;
        timer_stop(&v->singleshot_timer);
        return 0;
    }
    return -ENOSYS;
}

/* SCHEDOP_poll: block until the port is pending or the deadline passes. One port
 * per call (nr_ports must be 1); the event channel code wakes a vCPU whose poll_port
 * is the port it raises. */
long sched_poll(uint64_t arg)
{
    struct vcpu *v = current;
    struct sched_poll p;
    evtchn_port_t port;

    if (copy_from_guest(&p, arg, sizeof(p)))
        return -EFAULT;
    if (p.nr_ports != 1)
        return -EINVAL;
    if (copy_from_guest(&port, p.ports, sizeof(port)))
        return -EFAULT;
    if (port == 0 || port >= NR_EVENT_CHANNELS)
        return -EINVAL;
    v->poll_port = port;
    __atomic_or_fetch(&v->pause_flags, 1UL << VPF_blocked, __ATOMIC_SEQ_CST);
    if (evtchn_port_is_pending(v->domain, port) ||
        (p.timeout_ns && p.timeout_ns <= NOW())) {
        __atomic_and_fetch(&v->pause_flags, ~(1UL << VPF_blocked), __ATOMIC_SEQ_CST);
        v->poll_port = 0;
        return 0;
    }
    if (p.timeout_ns)
        timer_set(&v->poll_timer, timer_deadline_clamp(p.timeout_ns, NOW()));
    vcpu_block_current();
    return 0;
}
