/* CPUID for HVM guests: the machine's answers with what hvlab virtualizes changed:
 * the hypervisor bit set and hvlab's own leaves at 0x40000000 (never Xen's signature:
 * Linux would then expect Xen's whole HVM ABI), SVM hidden (no nested SVM), and what
 * the guest cannot have hidden (MONITOR, whose instructions are intercepted as #UD, and XSAVE/AVX: only the FXSAVE state is
 * switched between vCPUs), and machine checks and MTRRs, whose MSRs exit to #GP
 * (Linux treats a #GP on a machine-check MSR as an "MCA architectural violation" and
 * panics: tests/boot/test_linux.py --hvm). x2APIC and the TSC-deadline timer are
 * advertised: the virtual LAPIC emulates both (core/hvm/vlapic*.c). */
#include <hvlab/domain.h>
#include <hvlab/x86/regs.h>
#include <hvlab/x86/svm.h>
#include <public/hvm.h>

#define L1_ECX_MONITOR    (1u << 3)
#define L1_ECX_VMX        (1u << 5)
#define L1_ECX_X2APIC     (1u << 21)
#define L1_ECX_TSC_DEADLINE (1u << 24)
#define L1_ECX_XSAVE      (7u << 26)    /* XSAVE, OSXSAVE, AVX: FXSAVE state only */
#define L1_ECX_HYPERVISOR (1u << 31)
#define EXT1_ECX_SVM      (1u << 2)
/* The same bits in leaf 1 EDX and (AMD's copy) 0x80000001 EDX. */
#define EDX_MCE           (1u << 7)
#define EDX_MTRR          (1u << 12)
#define EDX_MCA           (1u << 14)
#define EDX_NO_MSRS       (EDX_MCE | EDX_MTRR | EDX_MCA)
#define PM_EDX_INVARIANT_TSC (1u << 8)  /* 0x80000007 EDX */

extern uint64_t tsc_khz;

void svm_cpuid_values(const struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    if (leaf >= HVM_CPUID_BASE && leaf < HVM_CPUID_BASE + 0x100) {
        r[0] = r[1] = r[2] = r[3] = 0;
        if (leaf == HVM_CPUID_BASE) {
            r[0] = HVM_CPUID_MAX;
            r[1] = HVM_CPUID_SIG_EBX;
            r[2] = HVM_CPUID_SIG_ECX;
            r[3] = HVM_CPUID_SIG_EDX;
        } else if (leaf == HVM_CPUID_VERSION) {
            r[0] = (HVLAB_VERSION_MAJOR << 16) | HVLAB_VERSION_MINOR;
        } else if (leaf == HVM_CPUID_TSC) {
            r[0] = (uint32_t)tsc_khz;
        }
        return;
    }
    cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
    switch (leaf) {
    case 1:
        r[2] &= ~(L1_ECX_MONITOR | L1_ECX_VMX | L1_ECX_XSAVE);
        /* The virtual LAPIC has both, whatever the machine has (TCG offers neither). */
        r[2] |= L1_ECX_HYPERVISOR | L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE;
        r[3] &= ~EDX_NO_MSRS;
        r[1] = (r[1] & 0x00ffffff) | (v->vcpu_id << 24);    /* initial APIC ID */
        break;
    case 0x80000001:
        r[2] &= ~EXT1_ECX_SVM;
        r[3] &= ~EDX_NO_MSRS;
        break;
    case 0x80000007:
        /* The guest's TSC is the pCPUs' (no offset, no scaling), which hvlab's own
         * clock already requires to be constant and synchronized: say so. Without
         * it Linux on an AMD CPU with 2+ CPUs calls the TSC unsynchronized and reads
         * the ACPI PM timer instead, an I/O exit per clock read. */
        r[3] |= PM_EDX_INVARIANT_TSC;
        break;
    case 0xd:                           /* XSAVE state: none */
    case 0x8000000a:                    /* the SVM leaf */
        r[0] = r[1] = r[2] = r[3] = 0;
        break;
    }
}

void svm_exit_cpuid(struct vcpu *v)
{
    struct svm_vcpu *s = v->arch.svm;
    uint32_t r[4];

    svm_cpuid_values(v, (uint32_t)s->vmcb->save.rax, (uint32_t)s->gprs.rcx, r);
    s->vmcb->save.rax = r[0];
    s->gprs.rbx = r[1];
    s->gprs.rcx = r[2];
    s->gprs.rdx = r[3];
    s->vmcb->save.rip += 2;             /* 0F A2 */
}
