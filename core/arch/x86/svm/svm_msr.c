/* MSRs of HVM guests. The permission map lets the guest reach directly only the MSRs
 * whose state the VMCB holds (VMLOAD/VMSAVE or the save area switch them): the
 * SYSCALL/SYSENTER ones, FS/GS/KernelGS bases. Every other access exits here:
 * EFER (SVME stays set in the real VMCB, the guest never sees it and may not set it;
 * LME fixed while paging is on, LMA read-only, as the APM says),
 * the PAT (the VMCB's g_pat), TSC reads, the vLAPIC's (APIC base, TSC deadline,
 * x2APIC: hvm_platform_msr); the SVM MSRs (VM_CR, VM_HSAVE_PA) and
 * everything unknown raise #GP, as on a CPU without them. */
#include <hvlab/domain.h>
#include <hvlab/lib.h>
#include <hvlab/x86/regs.h>
#include <hvlab/errno.h>
#include <hvlab/x86/hvm_platform.h>
#include <hvlab/x86/svm.h>

#define VEC_GP 13
#define MSR_TSC  0x10
#define MSR_PAT  0x277
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define EFER_LMA (1ull << 10)
#define EFER_FFXSR (1ull << 14)
#define EFER_GUEST_OK (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_FFXSR)

/* Byte offset of msr's two bits (read, write) in the 8 KiB map, or -1 if outside the
 * three ranges it covers (those always exit). */
static long msrpm_bit(uint32_t msr)
{
    if (msr < 0x2000)
        return msr * 2;
    if (msr - 0xc0000000u < 0x2000)
        return 0x800 * 8 + (msr - 0xc0000000u) * 2;
    if (msr - 0xc0010000u < 0x2000)
        return 0x1000 * 8 + (msr - 0xc0010000u) * 2;
    return -1;
}

void svm_msrpm_init(uint8_t *msrpm)
{
    static const uint32_t direct[] = {
        MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
        MSR_SFMASK, MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
    };
    memset(msrpm, 0xff, 8192);
    for (unsigned i = 0; i < ARRAY_SIZE(direct); i++) {
        long bit = msrpm_bit(direct[i]);
        msrpm[bit / 8] &= (uint8_t)~(3u << (bit % 8));
    }
}

static bool msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    struct svm_vcpu *s = v->arch.svm;
    switch (msr) {
    case MSR_EFER:
        *val = s->vmcb->save.efer & ~EFER_SVME;
        return true;
    case MSR_PAT:
        *val = s->vmcb->save.g_pat;
        return true;
    case MSR_TSC:
        *val = rdtsc() + s->vmcb->ctl.tsc_offset;
        return true;
    }
    return false;
}

static bool msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    struct svm_vcpu *s = v->arch.svm;
    switch (msr) {
    case MSR_EFER:
        if (val & ~EFER_GUEST_OK)       /* SVME included: the guest has no SVM */
            return false;
        /* LME may not change while paging is on (#GP), and LMA is the processor's
         * (writes ignored): else the guest would run in long mode with LME clear. */
        if ((s->vmcb->save.cr0 & CR0_PG) && ((val ^ s->vmcb->save.efer) & EFER_LME))
            return false;
        val = (val & ~EFER_LMA) | (s->vmcb->save.efer & EFER_LMA);
        s->guest_efer = val;
        s->vmcb->save.efer = val | EFER_SVME;
        return true;
    case MSR_PAT:
        for (unsigned i = 0; i < 8; i++) {
            uint8_t t = (uint8_t)(val >> (8 * i));
            if (t == 2 || t == 3 || t > 7)
                return false;
        }
        s->vmcb->save.g_pat = val;
        return true;
    }
    return false;
}

void svm_exit_msr(struct vcpu *v)
{
    struct svm_vcpu *s = v->arch.svm;
    uint32_t msr = (uint32_t)s->gprs.rcx;
    bool ok;

    bool write = s->vmcb->ctl.exitinfo1 & 1;
    uint64_t val = write ? (s->gprs.rdx << 32) | (uint32_t)s->vmcb->save.rax : 0;
    int lrc = hvm_platform_msr(v, msr, write, &val);    /* the vLAPIC's MSRs */

    if (lrc != -ENODEV) {
        ok = lrc == 0;
        if (ok && !write) {
            s->vmcb->save.rax = (uint32_t)val;
            s->gprs.rdx = val >> 32;
        }
    } else if (write) {
        ok = msr_write(v, msr, val);
    } else {
        ok = msr_read(v, msr, &val);
        if (ok) {
            s->vmcb->save.rax = (uint32_t)val;
            s->gprs.rdx = val >> 32;
        }
    }
    if (!ok) {
        svm_inject_exception(v, VEC_GP, 0);
        return;
    }
    s->vmcb->save.rip += 2;             /* 0F 30 / 0F 32 */
}
