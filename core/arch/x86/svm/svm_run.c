/* The run loop of an HVM vCPU: softirqs, event delivery, ASID, VMRUN, then the exit
 * handler; forever, on the vCPU's own stack. It is what ret_to_guest is for a PV
 * vCPU: the scheduler switches away from it at the softirq check (with interrupts
 * off from that check to VMRUN, so no wake-up or IPI slips in between: one arriving
 * later is held by GIF and exits the guest at once), and switches back into it
 * where it left.
 *
 * Event delivery: when the guest has set an upcall vector (HVMOP_set_evtchn_upcall_vector),
 * a rise of its evtchn_upcall_pending injects that vector once (edge: the guest clears
 * the flag in its handler, and the next event raises it again), through EVENTINJ when
 * the guest can take an interrupt (IF set, no interrupt shadow), else through a
 * virtual-interrupt window (V_IRQ with the VINTR intercept: the exit comes when the
 * guest can take it). An event whose delivery an exit interrupted (EXITINTINFO) is
 * delivered again first.
 *
 * Tracing: TRC_HVM_EXIT at each exit, TRC_HVM_ENTRY before the VMRUN that resumes
 * with the path length since that exit, in TSC (instructions under icount). */
#include <hvlab/domain.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/trace.h>
#include <hvlab/x86/regs.h>
#include <hvlab/x86/svm.h>

#define RFLAGS_IF (1ull << 9)

_Static_assert(offsetof(struct svm_gprs, rdi) == 32 && offsetof(struct svm_gprs, r15) == 104,
               "svm_entry.S addresses struct svm_gprs by offset");

void svm_crash(struct vcpu *v, const char *why)
{
    const struct vmcb *vm = v->arch.svm->vmcb;
    pr_err("domain %u (%s): vCPU%u: %s: exit %#llx (%s) at guest rip %#llx, exitinfo1 "
           "%#llx exitinfo2 %#llx\n", v->domain->domain_id, v->domain->name, v->vcpu_id,
           why, (unsigned long long)vm->ctl.exitcode, svm_exit_name(vm->ctl.exitcode),
           (unsigned long long)vm->save.rip, (unsigned long long)vm->ctl.exitinfo1,
           (unsigned long long)vm->ctl.exitinfo2);
    domain_crash(v->domain, why);
}

static void svm_deliver_events(struct vcpu *v)
{
    struct svm_vcpu *s = v->arch.svm;
    struct vmcb *vm = s->vmcb;
    bool pending = v->vcpu_info &&
                   __atomic_load_n(&v->vcpu_info->evtchn_upcall_pending, __ATOMIC_ACQUIRE);

    if (!pending)
        s->upcall_seen = false;
    if (!s->upcall_vector || !pending || s->upcall_seen || (vm->ctl.eventinj & EVENTINJ_VALID))
        return;
    if ((vm->save.rflags & RFLAGS_IF) && !(vm->ctl.int_state & INT_STATE_SHADOW)) {
        vm->ctl.eventinj = s->upcall_vector | EVENTINJ_TYPE_INTR | EVENTINJ_VALID;
        vm->ctl.vintr &= ~VINTR_IRQ;
        vm->ctl.intercept1 &= ~INTERCEPT1_VINTR;
        s->upcall_seen = true;
        TRACE_VCPU(TRC_HVM_INJECT, v, vm->ctl.eventinj, vm->save.rip);
    } else {
        /* Any vector with the highest priority, TPR ignored: only the window matters. */
        vm->ctl.vintr |= VINTR_IRQ | VINTR_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT);
        vm->ctl.intercept1 |= INTERCEPT1_VINTR;
    }
}

/* The interrupt window opened: the next entry injects. */
void svm_exit_vintr(struct vcpu *v)
{
    struct vmcb *vm = v->arch.svm->vmcb;
    vm->ctl.vintr &= ~(VINTR_IRQ | VINTR_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT));
    vm->ctl.intercept1 &= ~INTERCEPT1_VINTR;
}

void __noreturn svm_vcpu_loop(void)
{
    for (;;) {
        local_irq_disable();
        struct percpu *pc = this_cpu();     /* again: do_softirq may move this vCPU */
        if (__atomic_load_n(&pc->softirq_pending, __ATOMIC_ACQUIRE)) {
            do_softirq();
            continue;
        }
        struct vcpu *v = current;
        struct svm_vcpu *s = v->arch.svm;
        struct vmcb *vm = s->vmcb;

        svm_deliver_events(v);
        svm_asid_assign(s, pc->cpu);
        if (s->exit_tsc)
            TRACE_VCPU(TRC_HVM_ENTRY, v, s->last_exit, rdtsc() - s->exit_tsc);
        svm_vmrun(&s->gprs, s->vmcb_pa, svm_host_vmcb_pa(pc->cpu));
        s->exit_tsc = rdtsc();
        local_irq_enable();             /* a physical interrupt that exited runs now */

        uint64_t code = vm->ctl.exitcode;
        s->last_exit = (uint32_t)code;
        TRACE_VCPU(TRC_HVM_EXIT, v, code << 32 | (uint32_t)vm->ctl.exitinfo1, vm->save.rip);
        vm->ctl.eventinj = 0;
        if (vm->ctl.exitintinfo & EVENTINJ_VALID)
            vm->ctl.eventinj = vm->ctl.exitintinfo;
        svm_exit_dispatch(v);
    }
}
