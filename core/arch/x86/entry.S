/* Interrupt and exception entry. One stub per vector pushes a dummy error code where
 * the CPU pushes none, then the vector, and joins the common path, which saves the
 * general registers as a struct cpu_regs and calls trap_dispatch(regs). */
#include <hvlab/x86/regs.h>

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

    .section .text, "ax"
    .code64

/* 256 stubs of 16 bytes each: stub v is at trap_stubs + 16 * v. */
    .align 16
    .globl trap_stubs
trap_stubs:
    .set v, 0
    .rept 256
    .org    trap_stubs + 16 * v, 0xcc   /* fails the build if a stub outgrew 16 bytes */
    .if HAS_ERR(v) == 0
    pushq   $0
    .endif
    pushq   $v
    jmp     trap_common
    .set v, v + 1
    .endr

trap_common:
    push    %rax
    push    %rbx
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %rbp
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    cld
    mov     %rsp, %rdi
    /* Make the interrupted frame the caller's frame in stack traces. */
    mov     8*17(%rsp), %rax            /* rip */
    push    %rax
    push    %rbp
    mov     %rsp, %rbp
    call    trap_dispatch
    add     $16, %rsp
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rbp
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rbx
    pop     %rax
    add     $16, %rsp                   /* vector, error code */
    iretq

