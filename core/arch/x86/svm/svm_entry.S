/* The world switch, and the first entry of an HVM vCPU.
 *
 * VMRUN saves and restores only the host's RAX, RSP, RIP, RFLAGS, CR0/3/4, EFER, GDTR,
 * IDTR and CS/SS/DS/ES (in the VM_HSAVE_PA page); everything else is ours to keep:
 * the callee-saved GPRs on the stack, the rest of the segment and SYSCALL state in
 * the pCPU's host VMCB (VMSAVE before, VMLOAD after). Between the guest's VMLOAD and
 * the host's VMLOAD the GS base is the guest's, so GIF stays 0 over that whole window
 * (no interrupt, no NMI can run hypervisor code on the guest's GS). IF is set before
 * VMRUN so that the host's saved RFLAGS lets physical interrupts exit the guest
 * (INTR intercept, V_INTR_MASKING); after the exit they wait for STGI, and we clear
 * IF first so that the C loop decides when to take them. */
#include <hvlab/x86/regs.h>

/* struct svm_gprs offsets */
#define G_RBX 0
#define G_RCX 8
#define G_RDX 16
#define G_RSI 24
#define G_RDI 32
#define G_RBP 40
#define G_R8  48
#define G_R9  56
#define G_R10 64
#define G_R11 72
#define G_R12 80
#define G_R13 88
#define G_R14 96
#define G_R15 104

    .text
    .code64

/* void svm_vmrun(struct svm_gprs *g, paddr_t vmcb_pa, paddr_t host_vmcb_pa), IF 0 */
    .globl svm_vmrun
svm_vmrun:
    push    %rbp
    push    %rbx
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    push    %rdi                        /* 8(%rsp): g */
    push    %rdx                        /* (%rsp): the host VMCB */
    clgi
    mov     %rdx, %rax
    vmsave
    mov     %rsi, %rax
    vmload
    sti                                 /* GIF 0: nothing is delivered yet */
    mov     G_RBX(%rdi), %rbx
    mov     G_RCX(%rdi), %rcx
    mov     G_RDX(%rdi), %rdx
    mov     G_RSI(%rdi), %rsi
    mov     G_RBP(%rdi), %rbp
    mov     G_R8(%rdi), %r8
    mov     G_R9(%rdi), %r9
    mov     G_R10(%rdi), %r10
    mov     G_R11(%rdi), %r11
    mov     G_R12(%rdi), %r12
    mov     G_R13(%rdi), %r13
    mov     G_R14(%rdi), %r14
    mov     G_R15(%rdi), %r15
    mov     G_RDI(%rdi), %rdi
    vmrun                               /* RAX: the guest's VMCB */
    vmsave                              /* RAX is the host's again: the guest's VMCB */
    mov     8(%rsp), %rax
    mov     %rbx, G_RBX(%rax)
    mov     %rcx, G_RCX(%rax)
    mov     %rdx, G_RDX(%rax)
    mov     %rsi, G_RSI(%rax)
    mov     %rdi, G_RDI(%rax)
    mov     %rbp, G_RBP(%rax)
    mov     %r8, G_R8(%rax)
    mov     %r9, G_R9(%rax)
    mov     %r10, G_R10(%rax)
    mov     %r11, G_R11(%rax)
    mov     %r12, G_R12(%rax)
    mov     %r13, G_R13(%rax)
    mov     %r14, G_R14(%rax)
    mov     %r15, G_R15(%rax)
    mov     (%rsp), %rax
    vmload                              /* the host's GS base, TR, SYSCALL MSRs */
    cli
    stgi
    add     $16, %rsp
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbx
    pop     %rbp
    ret

/* A new HVM vCPU's stack "returns" here from switch_stack (arch_vcpu_set_entry). */
    .globl svm_vcpu_first_entry
svm_vcpu_first_entry:
    mov     %rax, %rdi
    call    context_switch_finish
    call    svm_vcpu_loop               /* never returns */
    ud2
