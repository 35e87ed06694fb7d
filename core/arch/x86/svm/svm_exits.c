/* Exit handlers for the instructions and events that need no decoding: RIP is
 * advanced here by each instruction's fixed length (no NRIP-save under TCG: the VMCB's
 * next_rip is never written). */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/hypercall.h>
#include <hvlab/lib.h>
#include <hvlab/sched.h>
#include <hvlab/spinlock.h>
#include <hvlab/x86/svm.h>

#define VEC_UD 6
#define NPF_HOOKS_MAX 4

static svm_npf_hook npf_hooks[NPF_HOOKS_MAX];

void svm_exit_nothing(struct vcpu *v)
{
    (void)v;
}

/* HLT: the vCPU blocks until a wake-up is pending (an interrupt of its vLAPIC or
 * vPIC, or its evtchn_upcall_pending; svm_intr_wakeup_pending); one that arrives
 * after the flag is set clears it again (vcpu_kick, from the devices' kick too), so
 * no wake-up is lost. */
void svm_exit_hlt(struct vcpu *v)
{
    v->arch.svm->vmcb->save.rip += 1;
    __atomic_or_fetch(&v->pause_flags, 1UL << VPF_blocked, __ATOMIC_SEQ_CST);
    if (svm_intr_wakeup_pending(v))
        __atomic_and_fetch(&v->pause_flags, ~(1UL << VPF_blocked), __ATOMIC_SEQ_CST);
    else
        vcpu_block_current();
}

/* PAUSE: the guest spins waiting for another CPU, so others may run first. The
 * hypervisor pauses too: on hardware a few cycles; under QEMU's round-robin TCG a
 * PAUSE is what ends a CPU's turn (docs/architecture.md), and the guest's own PAUSE,
 * intercepted, no longer does, so without this a vCPU spinning for another vCPU's
 * answer kept the thread for a whole turn (up to the 100 us icount tick) per look:
 * an HVM IPI round trip took ~260,000 instructions instead of a few thousand. */
void svm_exit_pause(struct vcpu *v)
{
    v->arch.svm->vmcb->save.rip += 2;   /* F3 90 */
    cpu_relax();
    vcpu_yield_current();
}

/* VMMCALL (0F 01 D9): a hypercall, PV numbers and registers. */
void svm_exit_vmmcall(struct vcpu *v)
{
    struct svm_vcpu *s = v->arch.svm;
    struct vmcb *vm = s->vmcb;
    uint64_t a[5] = { s->gprs.rdi, s->gprs.rsi, s->gprs.rdx, s->gprs.r10, s->gprs.r8 };
    uint64_t nr = vm->save.rax;

    vm->save.rip += 3;
    if (!svm_guest_long_mode(v)) {      /* the upper halves are not the guest's to set */
        nr = (uint32_t)nr;
        for (unsigned i = 0; i < 5; i++)
            a[i] = (uint32_t)a[i];
        if (nr == HYPERVISOR_set_timer_op)  /* 64-bit deadline: low EDI, high ESI */
            a[0] |= a[1] << 32;
    }
    long rc = hypercall_hvm(nr, a);
    /* current again: the call may have blocked and come back on another pCPU; the
     * VMCB is the vCPU's own wherever it runs. */
    vm->save.rax = svm_guest_long_mode(v) ? (uint64_t)rc : (uint32_t)rc;
}

/* SVM instructions, MONITOR/MWAIT: CPUID says there are none. */
void svm_exit_svm_insn(struct vcpu *v)
{
    svm_inject_exception(v, VEC_UD, -1);
}

void svm_exit_shutdown(struct vcpu *v)
{
    svm_crash(v, "triple fault (shutdown)");
}

void svm_exit_invalid(struct vcpu *v)
{
    svm_crash(v, "invalid guest state (VMRUN refused the VMCB)");
}

int svm_npf_register(svm_npf_hook hook)
{
    for (unsigned i = 0; i < NPF_HOOKS_MAX; i++) {
        if (!npf_hooks[i]) {
            npf_hooks[i] = hook;
            return 0;
        }
    }
    return -ENOSPC;
}

/* Nested page fault: a guest physical address with no RAM behind it. A hook may
 * claim it (MMIO emulation, a memory policy populating on first touch); else the
 * domain crashes. A fault on a present entry is stale (another vCPU changed the p2m
 * since): retried. */
void svm_exit_npf(struct vcpu *v)
{
    struct vmcb *vm = v->arch.svm->vmcb;
    uint64_t gpa = vm->ctl.exitinfo2, err = vm->ctl.exitinfo1;
    mfn_t mfn;
    unsigned flags;
    char why[96];

    if (p2m_lookup(&v->domain->p2m, gpa >> PAGE_SHIFT, &mfn, &flags, NULL) == 0 &&
        (!(err & 2) || (flags & P2M_WRITE)))
        return;
    for (unsigned i = 0; i < NPF_HOOKS_MAX && npf_hooks[i]; i++)
        if (npf_hooks[i](v, gpa, err))
            return;
    fmt_snprintf(why, sizeof(why), "%s of guest physical %#llx, not its RAM",
                 (err & 2) ? "write" : "read", (unsigned long long)gpa);
    svm_crash(v, why);
}
