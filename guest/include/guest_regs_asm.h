/* struct guest_regs (guest.h) built and taken down on the stack by the entry code of
 * both guest kinds (guest/entry.S for PV bounces, guest/hvm/boot.S for HVM interrupt
 * stubs), so the C handlers get one layout: 12 registers, r15 lowest, rdi highest. */
#ifndef GUEST_REGS_ASM_H
#define GUEST_REGS_ASM_H

#define REGS_SIZE 96
#define REGS_RDI  88

.macro GUEST_REGS_PUSH
    push %rdi
    push %rsi
    push %rdx
    push %r8
    push %r9
    push %r10
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
.endm

.macro GUEST_REGS_POP
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    pop %r10
    pop %r9
    pop %r8
    pop %rdx
    pop %rsi
    pop %rdi
.endm

#endif
