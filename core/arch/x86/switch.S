/* Stack switch between vCPUs, and the first entry of a new vCPU. */
#include <hvlab/x86/regs.h>

    .text
    .code64

/* struct vcpu *switch_stack(struct vcpu *prev, uintptr_t *prev_rsp, uintptr_t next_rsp)
 * Saves the callee-saved registers on the current stack, stores RSP in *prev_rsp,
 * switches to next_rsp and pops the next vCPU's. Returns prev (in RAX) on the new
 * stack, so the code that resumes there knows which vCPU it replaced. */
    .globl switch_stack
switch_stack:
    push    %rbp
    push    %rbx
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    mov     %rsp, (%rsi)
    mov     %rdx, %rsp
    mov     %rdi, %rax
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbx
    pop     %rbp
    ret

/* A new vCPU's stack is prepared so that switch_stack "returns" here, with the guest
 * register frame above: finish the switch, then leave for the guest. */
    .globl vcpu_first_entry
vcpu_first_entry:
    mov     %rax, %rdi
    call    context_switch_finish
    jmp     ret_to_guest
