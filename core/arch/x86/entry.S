/* Entry and exit. One stub per vector pushes a dummy error code where the CPU pushes
 * none, then the vector, and joins the common path, which saves the general
 * registers as a struct cpu_regs and calls trap_dispatch(regs). SYSCALL from a PV
 * guest builds the same frame by hand. Whatever came from ring 3 leaves through
 * ret_to_guest, which runs softirqs (maybe switching vCPUs) and delivers events.
 *
 * GS: in the hypervisor the GS base always points at the per-CPU area. Entries from
 * ring 3 SWAPGS (the guest's base waits in KERNEL_GS_BASE), and exits to ring 3 SWAPGS
 * back, so nothing a guest does to GS can reach the hypervisor. */
#include <hvlab/x86/regs.h>
#include <hvlab/percpu.h>

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

/* The general registers, in struct cpu_regs order (r15 lowest). */
    .macro SAVE_GPRS
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
    .endm

    .macro RESTORE_GPRS
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
    .endm

#define FRAME_CS (8 * 18)                   /* offset of cs in struct cpu_regs */
#define SYSCALL_VECTOR 0x100

trap_common:
    SAVE_GPRS
    testb   $3, FRAME_CS(%rsp)
    jz      1f
    swapgs
1:  cld
    mov     %rsp, %rdi
    /* Make the interrupted frame the caller's frame in stack traces. */
    mov     8*17(%rsp), %rax            /* rip */
    push    %rax
    push    %rbp
    mov     %rsp, %rbp
    call    trap_dispatch
    add     $16, %rsp
    testb   $3, FRAME_CS(%rsp)
    jnz     ret_to_guest
    RESTORE_GPRS
    add     $16, %rsp                   /* vector, error code */
    iretq


/* SYSCALL from a PV guest: a hypercall. The CPU left RIP in RCX and RFLAGS in R11,
 * masked IF (SFMASK), and did not switch stacks. */
    .globl syscall_entry
syscall_entry:
    swapgs
    mov     %rsp, %gs:PERCPU_SYSCALL_SCRATCH
    mov     %gs:PERCPU_SYSCALL_STACK, %rsp
    pushq   $(SEL_USER_DS | 3)
    pushq   %gs:PERCPU_SYSCALL_SCRATCH
    push    %r11
    pushq   $(SEL_USER_CS | 3)
    push    %rcx
    pushq   $0
    pushq   $SYSCALL_VECTOR
    SAVE_GPRS
    cld
    xor     %ebp, %ebp                  /* ends stack traces at the guest boundary */
    mov     %rsp, %rdi
    sti                                 /* hypercalls run with interrupts on */
    call    hypercall_entry
    /* fall through */

/* Back to ring 3 with the frame at RSP: softirqs and event delivery first (C), with
 * interrupts off from the last check to IRETQ so nothing new slips in between. */
    .globl ret_to_guest
ret_to_guest:
    cli
    mov     %rsp, %rdi
    call    pv_return_to_guest
    RESTORE_GPRS
    add     $16, %rsp
    swapgs
    iretq
