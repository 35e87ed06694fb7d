/* PV guests on x86: the SYSCALL MSRs, exceptions bounced into the guest, event
 * upcalls, and the way back. A bounce pushes a struct guest_bounce_frame on the guest
 * stack and resumes the guest at its handler; the guest returns with SCHEDOP_iret,
 * which pops it. The guest never runs with IOPL > 0, so CLI, HLT, IN/OUT, MOV CR and
 * WRMSR all raise #GP, which is bounced to the guest like any other exception, except
 * port I/O the domain is permitted, which is emulated (core/arch/x86/ioport.c). */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/guest_access.h>
#include <hvlab/guest_values.h>
#include <hvlab/ioport.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/symbols.h>
#include <hvlab/time.h>
#include <hvlab/trace.h>
#include <hvlab/x86/regs.h>
#include <public/hvlab.h>

#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_SFMASK 0xc0000084
#define GUEST_RED_ZONE 128
#define RFLAGS_TF (1UL << 8)

struct cpu_regs *guest_regs(struct vcpu *v);
void syscall_entry(void);

void pv_init_cpu(void)
{
    wrmsr(MSR_STAR, ((uint64_t)(SEL_USER32_CS | 3) << 48) | ((uint64_t)SEL_HV_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    /* IF, DF, TF, AC, NT cleared on entry. */
    wrmsr(MSR_SFMASK, (1UL << 9) | (1UL << 10) | (1UL << 8) | (1UL << 18) | (1UL << 14));
}

static void pv_dump(const struct vcpu *v, const struct cpu_regs *r, uint64_t cr2)
{
    pr_err("(d%u) vCPU%u: vector %lu error %#lx rip %#lx rsp %#lx cr2 %#lx rflags %#lx\n",
           v->domain->domain_id, v->vcpu_id, r->vector, r->error_code, r->rip, r->rsp, cr2,
           r->rflags);
}

/* Push a bounce frame and point the guest at handler. False if the guest stack is
 * unusable, which leaves the domain nothing sane to run. */
static bool pv_bounce(struct vcpu *v, struct cpu_regs *r, uint64_t vector, uint64_t err,
                      uint64_t cr2, uint64_t handler)
{
    struct guest_bounce_frame f = {
        .error_code = err, .cr2 = cr2, .vector = vector,
        .rax = r->rax, .rcx = r->rcx, .r11 = r->r11,
        .rip = r->rip, .rflags = r->rflags, .rsp = r->rsp,
    };
    uint64_t sp = ((r->rsp - GUEST_RED_ZONE) & ~15UL) - sizeof(f);
    if (r->rsp < GUEST_RED_ZONE + sizeof(f) || copy_to_guest(sp, &f, sizeof(f)) != 0) {
        pr_err("(d%u) vCPU%u: bounce of vector %#lx to %#lx: frame at %#lx unwritable\n",
               v->domain->domain_id, v->vcpu_id, vector, handler, sp);
        pv_dump(v, r, cr2);
        domain_crash(v->domain, "guest stack unusable for a bounce frame");
        return false;
    }
    r->rsp = sp;
    r->rip = handler;
    /* As the CPU does when it delivers an exception: the handler is not single-stepped
     * (with TF kept, every #DB would bounce again, until the guest stack runs out). */
    r->rflags &= ~RFLAGS_TF;
    return true;
}

/* SCHEDOP_iret: pop the bounce frame at the guest's RSP. Returns the restored RAX
 * (the hypercall's "result"). A frame the hypervisor could not load (unreadable, or a
 * RIP or RSP outside the guest half, where IRETQ would fault in ring 0 on real
 * hardware) is refused: -EFAULT or -EINVAL, and the vCPU's registers stay as they
 * were, so the guest carries on after its hypercall. */
long pv_iret(void)
{
    struct vcpu *v = current;
    struct cpu_regs *r = guest_regs(v);
    struct guest_bounce_frame f;

    if (copy_from_guest(&f, r->rsp, sizeof(f)) != 0)
        return -EFAULT;
    if (!guest_code_ok(f.rip) || !guest_stack_ok(f.rsp))
        return -EINVAL;
    r->rip = f.rip;
    r->rsp = f.rsp;
    r->rcx = f.rcx;
    r->r11 = f.r11;
    r->rflags = guest_rflags_sanitize(f.rflags);
    if (f.vector == BOUNCE_VECTOR_UPCALL && v->vcpu_info)
        v->vcpu_info->evtchn_upcall_mask = 0;
    return (long)f.rax;
}

/* An exception raised by guest code (ring 3). */
void pv_trap(struct cpu_regs *r)
{
    struct vcpu *v = current;
    unsigned vec = (unsigned)r->vector;
    uint64_t cr2 = vec == 14 ? read_cr2() : 0;
    uint64_t handler = vec < NR_GUEST_TRAPS ? v->arch.trap_handler[vec] : 0;

    /* Port I/O the domain is permitted (pdisk: include/hvlab/ioport.h). */
    if (vec == 13 && ioport_pv_emulate(r))
        return;
    TRACE_VCPU(TRC_PV_TRAP, v, (uint64_t)vec << 32 | (uint32_t)r->error_code, r->rip);
    if (!handler) {
        pv_dump(v, r, cr2);
        domain_crash(v->domain, "exception with no guest handler");
        return;
    }
    pv_bounce(v, r, vec, r->error_code, cr2, handler);
}

/* Refresh the time the guest reads from its shared info (on every switch-in). */
void pv_vcpu_switched_in(struct vcpu *v)
{
    struct vcpu_time_info *t;
    uint64_t tsc, sys;
    if (!v->vcpu_info)
        return;
    t = &v->vcpu_info->time;
    t->version++;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    time_info_sample(&tsc, &sys);
    t->tsc_timestamp = tsc;
    t->system_time_ns = sys;
    t->tsc_to_ns_mul = tsc_to_ns_mul32();
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->version++;
}

/* Last stop before IRETQ to the guest, interrupts off. */
void pv_return_to_guest(struct cpu_regs *r)
{
    for (;;) {
        /* Not cached across the loop: do_softirq may move this vCPU to another pCPU. */
        struct percpu *pc = this_cpu();
        /* The decision runs with interrupts off (schedule() takes its locks with
         * them off anyway): an interrupt taken here first would delay it. Under
         * QEMU's round-robin icount, a handler that re-arms the LAPIC timer ends the
         * vCPU's turn, so on pCPU 0 (first in QEMU's round) each tick preempted the
         * pending decision and the next one did the same: slice ends waited ~100 us
         * to ms for a decision (issue 9; tests/boot/test_sched_timing.py). */
        if (__atomic_load_n(&pc->softirq_pending, __ATOMIC_ACQUIRE)) {
            do_softirq();
            local_irq_disable();
            continue;
        }
        struct vcpu *v = current;
        struct vcpu_info *vi = v->vcpu_info;
        if (vi && vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask &&
            v->arch.event_callback) {
            vi->evtchn_upcall_mask = 1;
            TRACE_VCPU(TRC_PV_UPCALL, v, vi->evtchn_pending_sel, 0);
            if (!pv_bounce(v, r, BOUNCE_VECTOR_UPCALL, 0, 0, v->arch.event_callback))
                continue;               /* crashed: the softirq switches away */
        }
        return;
    }
}
