/* One handler per #VMEXIT code. An exit with no handler is one hvlab did not ask for
 * (or cannot handle): that domain crashes, with the exit named in dom0's log. */
#include <hvlab/domain.h>
#include <hvlab/lib.h>
#include <hvlab/x86/svm.h>

typedef void (*svm_exit_fn)(struct vcpu *v);

struct svm_exit {
    svm_exit_fn fn;
    const char *name;
};

#define EXIT(code, f, n) [code] = { f, n }
static const struct svm_exit exits[VMEXIT_XSETBV + 1] = {
    EXIT(VMEXIT_INTR, svm_exit_nothing, "intr"),        /* taken by the host after it */
    EXIT(VMEXIT_NMI, svm_exit_nothing, "nmi"),
    EXIT(VMEXIT_EXC_BASE + 1, svm_exit_db, "db"),      /* stepping over a shadow */
    EXIT(VMEXIT_VINTR, svm_exit_vintr, "vintr"),
    EXIT(VMEXIT_CPUID, svm_exit_cpuid, "cpuid"),
    EXIT(VMEXIT_PAUSE, svm_exit_pause, "pause"),
    EXIT(VMEXIT_HLT, svm_exit_hlt, "hlt"),
    EXIT(VMEXIT_INVLPGA, svm_exit_svm_insn, "invlpga"),
    EXIT(VMEXIT_IOIO, svm_exit_ioio, "ioio"),
    EXIT(VMEXIT_MSR, svm_exit_msr, "msr"),
    EXIT(VMEXIT_SHUTDOWN, svm_exit_shutdown, "shutdown"),
    EXIT(VMEXIT_VMRUN, svm_exit_svm_insn, "vmrun"),
    EXIT(VMEXIT_VMMCALL, svm_exit_vmmcall, "vmmcall"),
    EXIT(VMEXIT_VMLOAD, svm_exit_svm_insn, "vmload"),
    EXIT(VMEXIT_VMSAVE, svm_exit_svm_insn, "vmsave"),
    EXIT(VMEXIT_STGI, svm_exit_svm_insn, "stgi"),
    EXIT(VMEXIT_CLGI, svm_exit_svm_insn, "clgi"),
    EXIT(VMEXIT_SKINIT, svm_exit_svm_insn, "skinit"),
    EXIT(VMEXIT_MONITOR, svm_exit_svm_insn, "monitor"),
    EXIT(VMEXIT_MWAIT, svm_exit_svm_insn, "mwait"),
    EXIT(VMEXIT_XSETBV, svm_exit_svm_insn, "xsetbv"),
};
static const struct svm_exit exit_npf = { svm_exit_npf, "npf" };
static const struct svm_exit exit_invalid = { svm_exit_invalid, "invalid" };

static const struct svm_exit *svm_exit_of(uint64_t code)
{
    /* VMEXIT_INVALID reads back as 0x00000000ffffffff under TCG: low 32 bits. */
    if ((uint32_t)code == VMEXIT_INVALID)
        return &exit_invalid;
    if (code == VMEXIT_NPF)
        return &exit_npf;
    if (code < ARRAY_SIZE(exits) && exits[code].fn)
        return &exits[code];
    return NULL;
}

const char *svm_exit_name(uint64_t code)
{
    const struct svm_exit *e = svm_exit_of(code);
    return e ? e->name : "unexpected";
}

void svm_exit_dispatch(struct vcpu *v)
{
    const struct svm_exit *e = svm_exit_of(v->arch.svm->vmcb->ctl.exitcode);
    if (e)
        e->fn(v);
    else
        svm_crash(v, "an exit hvlab does not handle");
}
