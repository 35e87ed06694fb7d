/* x86 state of a vCPU. Each vCPU has its own hypervisor stack: while the guest runs,
 * the stack is empty and TSS.RSP0 points at its top; on entry from the guest (trap,
 * interrupt, SYSCALL) the guest's registers are saved there as a struct cpu_regs, and
 * a context switch to another vCPU is a switch of stacks (saved_rsp). */
#ifndef HVLAB_X86_VCPU_ARCH_H
#define HVLAB_X86_VCPU_ARCH_H

#include <hvlab/types.h>

#define VCPU_STACK_ORDER 2              /* 16 KiB */
#define NR_GUEST_TRAPS 32               /* exception vectors a guest can handle */

struct svm_vcpu;

struct vcpu_arch {
    uintptr_t saved_rsp;                /* hypervisor RSP while switched out */
    void *stack;                        /* VCPU_STACK_ORDER pages */
    uintptr_t stack_top;
    mfn_t guest_l4_mfn;                 /* 0: no guest page tables (idle vCPU) */
    uint64_t trap_handler[NR_GUEST_TRAPS];  /* guest VAs, 0 = none (set_trap_table) */
    uint64_t event_callback;            /* set_callbacks */
    uint64_t fs_base, gs_base;          /* the guest's, restored on switch-in */
    bool started;                       /* has a guest context (setvcpucontext/init) */
    struct svm_vcpu *svm;               /* HVM vCPUs only (include/hvlab/x86/svm.h) */
};

#endif
