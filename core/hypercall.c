/* Hypercall dispatch: one table, indexed by the number in RAX (include/public/hvlab.h).
 * Each handler takes up to five 64-bit arguments and returns >= 0 or a negative errno;
 * a number with no handler gets -ENOSYS. Handlers run with interrupts enabled on the
 * calling vCPU's stack; guest pointers go through copy_{from,to}_guest.
 * This file also holds the small hypercalls that belong to no subsystem.
 *
 * Preemption points (issue 9). The scheduler decides in softirq context, which runs
 * on the way back to a guest, in the idle loop and in the SVM run loop; a hypercall
 * that loops for milliseconds (a domain's teardown, a batch of page-table updates or
 * reservations, a 64 KiB trace-stream copy) would hold a slice end that long. Such
 * loops call hypercall_preempt() between steps: when a decision is pending on this
 * pCPU it is taken right there, on the vCPU's own stack, exactly as at the return to
 * the guest; if another vCPU is picked, this one is switched out in the middle of its
 * hypercall and resumes at the same point when it is picked again (on any pCPU). So
 * hvlab needs no continuations (Xen re-issues the hypercall with updated arguments):
 * each vCPU has its own hypervisor stack, and the progress simply stays on it.
 *
 * The contract of a preemption point, which each caller keeps:
 *  - interrupts on and no spinlock held (a waiter would spin while the holder is
 *    switched out; ASSERTed for interrupts); a loop under a lock drops it first and
 *    finds its place again without a cursor into a list others may change;
 *  - no per-pCPU pointer (this_cpu, smp_processor_id) kept across it;
 *  - nothing held that would leak if the vCPU never resumed: a domain destroyed
 *    while one of its vCPUs sits at a preemption point frees that vCPU's stack with
 *    everything on it, so a hypercall a domU can make holds no reference and no
 *    claim there (dom0, which runs the teardowns and the trace stream, is never
 *    destroyed);
 *  - whatever the loop changed so far is consistent on its own (each step complete),
 *    because other vCPUs run meanwhile.
 * Loops reach a point every HYPERCALL_PREEMPT_BATCH steps or more often; the check is
 * one load when nothing is pending. docs/architecture.md lists the points. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/event.h>
#include <hvlab/guest_access.h>
#include <hvlab/grant_table.h>
#include <hvlab/guest_values.h>
#include <hvlab/hypercall.h>
#include <hvlab/panic.h>
#include <hvlab/percpu.h>
#include <hvlab/pirq.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/trace.h>
#include <hvlab/x86/regs.h>
#include <hvlab/x86/svm.h>
#include <public/console.h>
#include <public/sched.h>

typedef long (*hypercall_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

static long do_version(uint64_t cmd)
{
    (void)cmd;
    return (HVLAB_VERSION_MAJOR << 16) | HVLAB_VERSION_MINOR;
}

static long do_set_trap_table(uint64_t table)
{
    struct vcpu *v = current;
    struct trap_info ti;

    if (table == 0) {
        memset(v->arch.trap_handler, 0, sizeof(v->arch.trap_handler));
        return 0;
    }
    for (unsigned i = 0; i < 256; i++, table += sizeof(ti)) {
        if (copy_from_guest(&ti, table, sizeof(ti)))
            return -EFAULT;
        if (ti.vector == TRAP_TABLE_END && ti.address == 0)
            return 0;
        if (ti.vector >= NR_GUEST_TRAPS || (ti.address && !guest_code_ok(ti.address)))
            return -EINVAL;
        v->arch.trap_handler[ti.vector] = ti.address;
    }
    return -E2BIG;                      /* no end marker within 256 entries */
}

static long do_set_callbacks(uint64_t event, uint64_t failsafe)
{
    (void)failsafe;
    if (event && !guest_code_ok(event))
        return -EINVAL;
    current->arch.event_callback = event;
    return 0;
}

static long do_console_io(uint64_t cmd, uint64_t count, uint64_t buf)
{
    char kbuf[256];
    struct domain *d = current->domain;

    switch (cmd) {
    case CONSOLEIO_write:
        if (count > CONSOLEIO_MAX)
            return -E2BIG;
        if (!guest_array_ok(buf, count, 1))
            return -EFAULT;
        for (uint64_t done = 0; done < count;) {
            size_t n = MIN(sizeof(kbuf), count - done);
            if (copy_from_guest(kbuf, buf + done, n))
                return -EFAULT;
            console_guest_write(d, kbuf, n);
            done += n;
        }
        return (long)count;
    case CONSOLEIO_read: {
        if (!d->is_privileged)
            return -EPERM;
        size_t n = console_read_input(kbuf, MIN(sizeof(kbuf), count));
        if (n && copy_to_guest(buf, kbuf, n))
            return -EFAULT;
        return (long)n;
    }
    }
    return -ENOSYS;
}

static long do_sched_op(uint64_t cmd, uint64_t arg)
{
    struct vcpu *v = current;

    switch (cmd) {
    case SCHEDOP_yield:
        vcpu_yield_current();
        return 0;
    case SCHEDOP_block:
        /* Block only if no event is waiting; an event that arrives after the flag is
         * set clears it again (vcpu_kick), so no wake-up is lost. */
        v->vcpu_info->evtchn_upcall_mask = 0;
        __atomic_or_fetch(&v->pause_flags, 1UL << VPF_blocked, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&v->vcpu_info->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
            __atomic_and_fetch(&v->pause_flags, ~(1UL << VPF_blocked), __ATOMIC_SEQ_CST);
        else
            vcpu_block_current();
        return 0;
    case SCHEDOP_shutdown: {
        struct sched_shutdown s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        if (s.reason > SHUTDOWN_MAX)
            return -EINVAL;
        domain_shutdown(v->domain, s.reason);
        return 0;
    }
    case SCHEDOP_poll:
        return sched_poll(arg);
    case SCHEDOP_iret:
        return pv_iret();
    }
    return -ENOSYS;
}

bool hypercall_preempt_check(void)
{
    return __atomic_load_n(&this_cpu()->softirq_pending, __ATOMIC_ACQUIRE) &&
           !is_idle_vcpu(current);
}

bool hypercall_preempt(void)
{
    if (!hypercall_preempt_check())
        return false;
    ASSERT(local_irq_is_enabled());
    /* Interrupts off for the decision, as at the return to the guest
     * (pv_return_to_guest says why); schedule() restores them on this vCPU's side. */
    local_irq_disable();
    do_softirq();
    local_irq_enable();
    return true;
}

static long do_multicall(uint64_t list, uint64_t count);

/* Handlers declare only the arguments they use; the x86-64 calling convention passes
 * the rest in registers they ignore, so calling through the 5-argument type is safe
 * (the cast through void (*)(void) says so to the compiler). */
#define HC(n, f) [n] = (hypercall_fn)(void (*)(void))(f)
static const hypercall_fn hypercall_table[NR_HYPERCALLS] = {
    HC(HYPERVISOR_set_trap_table, do_set_trap_table),
    HC(HYPERVISOR_mmu_update, do_mmu_update),
    HC(HYPERVISOR_set_callbacks, do_set_callbacks),
    HC(HYPERVISOR_memory_op, do_memory_op),
    HC(HYPERVISOR_multicall, do_multicall),
    HC(HYPERVISOR_update_va_mapping, do_update_va_mapping),
    HC(HYPERVISOR_set_timer_op, do_set_timer_op),
    HC(HYPERVISOR_version, do_version),
    HC(HYPERVISOR_console_io, do_console_io),
    HC(HYPERVISOR_vcpu_op, do_vcpu_op),
    HC(HYPERVISOR_mmuext_op, do_mmuext_op),
    HC(HYPERVISOR_sched_op, do_sched_op),
    HC(HYPERVISOR_event_channel_op, do_event_channel_op),
    HC(HYPERVISOR_sysctl, do_sysctl),
    HC(HYPERVISOR_domctl, do_domctl),
    HC(HYPERVISOR_trace_op, do_trace_op),
    HC(HYPERVISOR_hvm_op, do_hvm_op),
    /* grant tables (issue 11) */
    HC(HYPERVISOR_grant_table_op, do_grant_table_op),
    /* pdisk */
    HC(HYPERVISOR_physdev_op, do_physdev_op),
};

static long hypercall_call(uint64_t nr, const uint64_t a[5])
{
    if (nr >= NR_HYPERCALLS || !hypercall_table[nr])
        return -ENOSYS;
    return hypercall_table[nr](a[0], a[1], a[2], a[3], a[4]);
}

/* Several hypercalls in one entry: each entry's result is written back. Nested
 * multicalls and SCHEDOP_iret (which rewrites the caller's frame) are refused. A
 * preemption point between entries: MULTICALL_MAX short calls add up. */
static long do_multicall(uint64_t list, uint64_t count)
{
    struct multicall_entry e;

    if (count > MULTICALL_MAX)
        return -E2BIG;
    if (!guest_array_ok(list, count, sizeof(e)))
        return -EFAULT;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t va = list + i * sizeof(e);
        if (copy_from_guest(&e, va, sizeof(e)))
            return -EFAULT;
        if (e.op == HYPERVISOR_multicall ||
            (e.op == HYPERVISOR_sched_op && e.args[0] == SCHEDOP_iret))
            e.result = -EINVAL;
        else
            e.result = hypercall_call(e.op, e.args);
        if (copy_to_guest(va + offsetof(struct multicall_entry, result), &e.result,
                          sizeof(e.result)))
            return -EFAULT;
        hypercall_preempt();
    }
    return 0;
}

void hypercall_entry(struct cpu_regs *r);
void hypercall_entry(struct cpu_regs *r)
{
    const uint64_t a[5] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8 };
    uint64_t nr = r->rax;
    TRACE_VCPU(TRC_HCALL_ENTRY, current, nr, a[0]);
    r->rax = (uint64_t)hypercall_call(nr, a);
    /* current again: the call may have blocked and come back on another pCPU. */
    TRACE_VCPU(TRC_HCALL_EXIT, current, nr, r->rax);
}

/* What an HVM guest may call (VMMCALL, include/public/hvm.h): the calls that make
 * sense without PV page tables. SCHEDOP_iret and VCPUOP_initialise work on a PV
 * frame and PV page tables: refused. */
static bool hypercall_hvm_allowed(uint64_t nr, const uint64_t a[5])
{
    switch (nr) {
    case HYPERVISOR_console_io:
    case HYPERVISOR_set_timer_op:
    case HYPERVISOR_event_channel_op:
    case HYPERVISOR_version:
    case HYPERVISOR_hvm_op:
    case HYPERVISOR_grant_table_op:     /* grant tables (issue 11): frames are GFNs */
    case HYPERVISOR_memory_op:          /* ballooning: extents are GFNs (memop_hvm.c) */
        return true;
    case HYPERVISOR_sched_op:
        return a[0] != SCHEDOP_iret;
    case HYPERVISOR_vcpu_op:
        return a[0] != VCPUOP_initialise;
    }
    return false;
}

long hypercall_hvm(uint64_t nr, const uint64_t a[5])
{
    long rc = -ENOSYS;
    TRACE_VCPU(TRC_HCALL_ENTRY, current, nr, a[0]);
    if (hypercall_hvm_allowed(nr, a))
        rc = hypercall_call(nr, a);
    TRACE_VCPU(TRC_HCALL_EXIT, current, nr, (uint64_t)rc);
    return rc;
}
