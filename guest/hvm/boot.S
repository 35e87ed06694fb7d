/* HVM (and native) guest entry: a Multiboot v1 header, the 32-bit entry the loader
 * jumps to (EAX = 0x2BADB002, EBX = the multiboot info, flat protected mode, paging
 * off: QEMU's -kernel and dom0's xl_hvm.c both leave it so), and the trap stubs of
 * the guest's own IDT.
 *
 * Long mode: identity page tables for 0..4 GiB with 2 MiB pages (RAM, and the LAPIC
 * and IOAPIC windows, which get PCD|PWT: device registers must not be cached), this
 * image's GDT (64-bit code 0x08, data 0x10), then hvm_main(magic, info) (hvm.c) on
 * the boot stack. The runtime runs in ring 0 with its own IDT (plat_hvm.c).
 *
 * Trap stubs: every vector the IDT routes (exceptions 0..31, the event vector, the
 * native IPI vector, the spurious vector) builds the PV runtime's struct guest_trap_frame (traps.c) from
 * the CPU's frame, so exception handlers are the PV ones: a handler may change rip,
 * rsp, rflags, rax, rcx, r11 and any saved register, and the stub resumes with them. */
#include <hvlab/x86/regs.h>
#include "hvm_vectors.h"
#include "guest_regs_asm.h"

#define MB_MAGIC  0x1badb002
#define MB_FLAGS  0x00000002         /* memory information wanted */
#define PTE_P     0x001
#define PTE_W     0x002
#define PTE_PWT   0x008
#define PTE_PCD   0x010
#define PTE_PS    0x080
#define MSR_GS_BASE 0xc0000101
#define BOOT_STACK_SIZE 16384

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .text.entry, "ax"
    .code32
    .globl hvm_start
hvm_start:
    cli
    cld
    mov     %eax, %esi               /* kept across the bss clear (rep stosb: edi, ecx) */
    mov     %ebx, %edx
    mov     $__bss_start, %edi
    mov     $__bss_end, %ecx
    sub     %edi, %ecx
    xor     %eax, %eax
    rep stosb
    mov     %esi, hvm_mb_magic
    mov     %edx, hvm_mb_info

    /* PDs for 0..4 GiB: 2048 entries of 2 MiB, the last GiB uncached. */
    xor     %ecx, %ecx
1:  mov     %ecx, %eax
    shl     $21, %eax
    or      $(PTE_P | PTE_W | PTE_PS), %eax
    cmp     $1536, %ecx
    jb      2f
    or      $(PTE_PCD | PTE_PWT), %eax
2:  mov     %eax, hvm_pd(,%ecx,8)
    mov     %ecx, %eax
    shr     $11, %eax                /* bits 32+ of the address: none below 4 GiB */
    mov     %eax, hvm_pd+4(,%ecx,8)
    inc     %ecx
    cmp     $2048, %ecx
    jne     1b
    xor     %ecx, %ecx
3:  mov     %ecx, %eax
    shl     $12, %eax
    add     $(hvm_pd + PTE_P + PTE_W), %eax
    mov     %eax, hvm_pdpt(,%ecx,8)
    inc     %ecx
    cmp     $4, %ecx
    jne     3b
    movl    $(hvm_pdpt + PTE_P + PTE_W), hvm_pml4

    mov     %cr4, %eax
    or      $CR4_PAE, %eax
    mov     %eax, %cr4
    mov     $hvm_pml4, %eax
    mov     %eax, %cr3
    mov     $MSR_EFER, %ecx
    rdmsr
    or      $EFER_LME, %eax
    wrmsr
    mov     %cr0, %eax
    or      $(CR0_PG | CR0_PE), %eax
    mov     %eax, %cr0
    lgdt    hvm_gdt_desc
    ljmp    $0x08, $hvm_entry64

    .code64
hvm_entry64:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    xor     %eax, %eax
    mov     %eax, %fs
    mov     %eax, %gs
    /* GS base 0: vCPU 0's per-vCPU offset (guest/smp.h). */
    mov     $MSR_GS_BASE, %ecx
    xor     %edx, %edx
    wrmsr
    lea     hvm_boot_stack + BOOT_STACK_SIZE(%rip), %rsp
    xor     %ebp, %ebp
    mov     hvm_mb_magic(%rip), %edi
    mov     hvm_mb_info(%rip), %esi
    call    hvm_main
4:  hlt
    jmp     4b

/* ---- trap stubs ---- */

/* An exception without an error code gets a 0 in its place. */
.macro STUB vec
    .align 16
    .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || \
        (\vec == 29) || (\vec == 30)
    .else
    push    $0
    .endif
    push    $\vec
    jmp     hvm_trap_common
.endm

    .text
    .align 16
    .globl hvm_trap_stubs
hvm_trap_stubs:                     /* vector v at hvm_trap_stubs + 16 * v, v < 32 */
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    STUB \v
    .endr
    .globl hvm_event_stub
hvm_event_stub:
    STUB HVM_EVENT_VECTOR
    .globl hvm_ipi_stub
hvm_ipi_stub:
    STUB HVM_IPI_VECTOR

/* Spurious LAPIC interrupts take no EOI and carry nothing: resume at once. */
    .globl hvm_spurious_stub
hvm_spurious_stub:
    iretq

/* Stack on entry (from RSP up): vector, error code, then the CPU's RIP, CS, RFLAGS,
 * RSP, SS. Below them go a struct guest_bounce_frame (72 bytes: error_code, cr2,
 * vector, rax, rcx, r11, rip, rflags, rsp) and the twelve registers of struct
 * guest_regs, in guest_bounce_entry's order (guest/entry.S). */
#define HW      72                  /* the vector's slot, from the bounce frame */
hvm_trap_common:
    sub     $72, %rsp
    mov     %rax, 24(%rsp)
    mov     %rcx, 32(%rsp)
    mov     %r11, 40(%rsp)
    mov     HW+8(%rsp), %rax;  mov %rax, 0(%rsp)       /* error code */
    mov     %cr2, %rax;        mov %rax, 8(%rsp)
    mov     HW+0(%rsp), %rax;  mov %rax, 16(%rsp)      /* vector */
    mov     HW+16(%rsp), %rax; mov %rax, 48(%rsp)      /* rip */
    mov     HW+32(%rsp), %rax; mov %rax, 56(%rsp)      /* rflags */
    mov     HW+40(%rsp), %rax; mov %rax, 64(%rsp)      /* rsp */
    GUEST_REGS_PUSH
    cld
    mov     %rsp, %rbx
    mov     %rsp, %rdi
    and     $-16, %rsp
    call    hvm_trap
    mov     %rbx, %rsp
    GUEST_REGS_POP
    mov     48(%rsp), %rax;  mov %rax, HW+16(%rsp)
    mov     56(%rsp), %rax;  mov %rax, HW+32(%rsp)
    mov     64(%rsp), %rax;  mov %rax, HW+40(%rsp)
    mov     24(%rsp), %rax
    mov     32(%rsp), %rcx
    mov     40(%rsp), %r11
    add     $(HW + 16), %rsp
    iretq

    .section .rodata
    .align 16
hvm_gdt:
    .quad 0
    .quad 0x00209a0000000000        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: flat data */
hvm_gdt_end:
    .align 4
hvm_gdt_desc:
    .word hvm_gdt_end - hvm_gdt - 1
    .long hvm_gdt

    .bss
    .align 4096
    .globl hvm_pml4
hvm_pml4:       .fill 512, 8, 0
hvm_pdpt:       .fill 512, 8, 0
hvm_pd:         .fill 4*512, 8, 0
    .align 16
hvm_boot_stack: .fill BOOT_STACK_SIZE, 1, 0
    .align 4
hvm_mb_magic:   .long 0
hvm_mb_info:    .long 0

    .section .note.GNU-stack, "", @progbits
