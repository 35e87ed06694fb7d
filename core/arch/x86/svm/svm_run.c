/* The run loop of an HVM vCPU: softirqs, event delivery, ASID, VMRUN, then the exit
 * handler; forever, on the vCPU's own stack. It is what ret_to_guest is for a PV
 * vCPU: the scheduler switches away from it at the softirq check (with interrupts
 * off from that check to VMRUN, so no wake-up or IPI slips in between: one arriving
 * later is held by GIF and exits the guest at once), and switches back into it
 * where it left.
 *
 * Event delivery: svm_intr.c (the vLAPIC's and vPIC's interrupts, the event-channel
 * upcall as a vLAPIC interrupt, EXITINTINFO first, the interrupt window); the shadow
 * is cleared when a handler retires the instruction it exited on (moved RIP).
 *
 * Tracing: TRC_HVM_EXIT at each exit, TRC_HVM_ENTRY before the VMRUN that resumes
 * with the path length since that exit, in TSC (instructions under icount). */
#include <hvlab/domain.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/trace.h>
#include <hvlab/x86/hvm_platform.h>
#include <hvlab/x86/regs.h>
#include <hvlab/x86/svm.h>

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
        if (s->ioreq.wait && !hvm_ioreq_resume(v))
            continue;                   /* still waiting for its device model */

        svm_intr_deliver(v);
        if (s->timer_cpu1 != pc->cpu + 1) {     /* only when it changed pCPU */
            hvm_platform_follow(v, pc->cpu);
            s->timer_cpu1 = pc->cpu + 1;
        }
        svm_asid_assign(s, pc->cpu);
        if (s->exit_tsc)
            TRACE_VCPU(TRC_HVM_ENTRY, v, s->last_exit, rdtsc() - s->exit_tsc);
        svm_vmrun(&s->gprs, s->vmcb_pa, svm_host_vmcb_pa(pc->cpu));
        s->exit_tsc = rdtsc();
        local_irq_enable();             /* a physical interrupt that exited runs now */

        uint64_t code = vm->ctl.exitcode;
        s->last_exit = (uint32_t)code;
        TRACE_VCPU(TRC_HVM_EXIT, v, code << 32 | (uint32_t)vm->ctl.exitinfo1, vm->save.rip);
        svm_intr_exited(v);
        uint64_t rip = vm->save.rip;
        svm_exit_dispatch(v);
        if (vm->save.rip != rip)        /* the handler retired the instruction */
            svm_intr_completed(v);
    }
}
