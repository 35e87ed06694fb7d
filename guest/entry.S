/* Guest entry points: the first instruction of vCPU 0 and of a secondary vCPU, and
 * the one entry for everything the hypervisor bounces to the guest (exceptions and
 * event upcalls).
 *
 * Bounce protocol (include/public/hvlab.h): the hypervisor pushes a struct
 * guest_bounce_frame (error_code, cr2, vector, rax, rcx, r11, rip, rflags, rsp) on
 * the guest stack and jumps here with RSP pointing at it; SCHEDOP_iret pops such a
 * frame from RSP and resumes at its rip/rsp with its rax, rcx, r11, rflags.
 *
 * SCHEDOP_iret is a sched_op, so RDI must hold SCHEDOP_iret at the SYSCALL, and the
 * frame has no slot for the interrupted RDI. The return path therefore resumes
 * through a two-instruction trampoline that pops the interrupted RDI and RIP from
 * the interrupted stack: it copies the frame one level down with rip = trampoline
 * and rsp = old rsp - 16, stores [old rsp - 16] = rdi, [old rsp - 8] = rip, and irets
 * with that copy. Every step is safe against a nested upcall: nothing live is ever
 * below RSP (guests are built -mno-red-zone). */
#define HC_sched_op   29        /* HYPERVISOR_sched_op */
#define SCHEDOP_iret  4

/* struct guest_bounce_frame offsets */
#define BF_RIP    48
#define BF_RFLAGS 56
#define BF_RSP    64
#define BF_SIZE   72
#include "guest_regs_asm.h"         /* REGS_SIZE, REGS_RDI, GUEST_REGS_PUSH */

    .section .text.entry, "ax"
    .globl _start
    .type _start, @function
/* RSP = start_info.stack_top, RSI = start_info (set by the domain builder). */
_start:
    mov %rsi, %rdi
    xor %ebp, %ebp
    and $-16, %rsp
    call guest_main_init
1:  ud2
    jmp 1b
    .size _start, . - _start

/* A secondary vCPU (smp.c's vcpu_start): RSP = the top of its own stack, RDI = its
 * struct guest_vcpu, GS base set so that this_vcpu() finds it. */
    .globl guest_vcpu_entry
    .type guest_vcpu_entry, @function
guest_vcpu_entry:
    xor %ebp, %ebp
    and $-16, %rsp
    call guest_vcpu_main
1:  ud2
    jmp 1b
    .size guest_vcpu_entry, . - guest_vcpu_entry

    .text
    .globl guest_bounce_entry
    .type guest_bounce_entry, @function
guest_bounce_entry:
    GUEST_REGS_PUSH
    cld
    mov %rsp, %rbx                      /* struct guest_trap_frame *, kept in rbx */
    mov %rsp, %rdi
    and $-16, %rsp                      /* the frame's alignment is not ours to know */
    call guest_bounce_dispatch
    mov %rbx, %rsp

    /* The copy of the frame goes below the saved registers (80: BF_SIZE rounded up
     * to 16 bytes). */
#define NF 0
#define OLD (80 + REGS_SIZE)             /* the original frame, from the new RSP */
    sub $80, %rsp
    mov OLD+0(%rsp), %rax;  mov %rax, NF+0(%rsp)        /* error_code */
    mov OLD+8(%rsp), %rax;  mov %rax, NF+8(%rsp)        /* cr2 */
    mov OLD+16(%rsp), %rax; mov %rax, NF+16(%rsp)       /* vector */
    mov OLD+24(%rsp), %rax; mov %rax, NF+24(%rsp)       /* rax */
    mov OLD+32(%rsp), %rax; mov %rax, NF+32(%rsp)       /* rcx */
    mov OLD+40(%rsp), %rax; mov %rax, NF+40(%rsp)       /* r11 */
    mov OLD+BF_RFLAGS(%rsp), %rax; mov %rax, NF+BF_RFLAGS(%rsp)
    lea guest_iret_trampoline(%rip), %rax
    mov %rax, NF+BF_RIP(%rsp)
    /* Everything needed from the old frame is in the copy or in rax/rcx/r11 now:
     * the two stores below may overwrite its top (rflags, rsp). */
    mov OLD+BF_RSP(%rsp), %rax          /* interrupted RSP */
    mov OLD+BF_RIP(%rsp), %rcx          /* interrupted RIP (possibly changed) */
    mov 80+REGS_RDI(%rsp), %r11         /* interrupted RDI (possibly changed) */
    mov %r11, -16(%rax)
    mov %rcx, -8(%rax)
    sub $16, %rax
    mov %rax, NF+BF_RSP(%rsp)
    /* Restore all but rdi (the trampoline's) and rax, rcx, r11 (the frame's). */
    mov 80+0(%rsp), %r15
    mov 80+8(%rsp), %r14
    mov 80+16(%rsp), %r13
    mov 80+24(%rsp), %r12
    mov 80+32(%rsp), %rbp
    mov 80+40(%rsp), %rbx
    mov 80+48(%rsp), %r10
    mov 80+56(%rsp), %r9
    mov 80+64(%rsp), %r8
    mov 80+72(%rsp), %rdx
    mov 80+80(%rsp), %rsi
    mov $SCHEDOP_iret, %edi
    mov $HC_sched_op, %eax
    syscall
    /* SCHEDOP_iret does not return; if it did, it refused the frame. */
    mov %rax, %rdi
    and $-16, %rsp
    call guest_iret_failed
    ud2
    .size guest_bounce_entry, . - guest_bounce_entry

    .globl guest_iret_trampoline
    .type guest_iret_trampoline, @function
guest_iret_trampoline:
    pop %rdi
    ret
    .size guest_iret_trampoline, . - guest_iret_trampoline

    .section .note.GNU-stack, "", @progbits
