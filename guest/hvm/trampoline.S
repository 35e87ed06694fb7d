/* The first code of a secondary vCPU (an AP) after INIT and SIPI, copied to
 * HVM_TRAMP_PHYS (smp_hvm.h) by smp_hvm.c before each start: real mode at CS:IP =
 * 0x7000:0, then 32-bit protected mode, then long mode with the starter's CR0, CR3
 * (so the BSP's page tables), CR4 and EFER from the parameter block, then its GS base
 * (guest/smp.h: the per-vCPU offset), stack and hvm_ap_main(slot).
 *
 * Everything is addressed at its copy: a symbol's address is HVM_TRAMP_PHYS plus its
 * distance from hvm_tramp_start, a constant the assembler works out. The GDT here
 * stays the AP's own (the page is never reused); its 64-bit code and flat data
 * selectors are boot.S's (0x08, 0x10), so the IDT's gates work on every vCPU. */
#include "smp_hvm.h"

#define MSR_EFER    0xc0000080
#define MSR_GS_BASE 0xc0000101
#define AT(sym)     (HVM_TRAMP_PHYS + (sym) - hvm_tramp_start)
#define PARAM(off)  (HVM_TRAMP_PHYS + HVM_TRAMP_PARAMS + (off))

    .section .rodata
    .balign 16
    .globl hvm_tramp_start, hvm_tramp_end
    .code16
hvm_tramp_start:
    cli
    cld
    mov     %cs, %ax
    mov     %ax, %ds
    lgdtl   tramp_gdt_desc - hvm_tramp_start
    mov     %cr0, %eax
    or      $1, %eax                /* PE */
    mov     %eax, %cr0
    ljmpl   $0x18, $AT(tramp32)

    .code32
tramp32:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     PARAM(TP_CR4), %eax     /* PAE among them */
    mov     %eax, %cr4
    mov     PARAM(TP_CR3), %eax
    mov     %eax, %cr3
    mov     $MSR_EFER, %ecx
    mov     PARAM(TP_EFER), %eax    /* LME among them */
    xor     %edx, %edx
    wrmsr
    mov     PARAM(TP_CR0), %eax     /* PG | PE: long mode, compatibility for now */
    mov     %eax, %cr0
    ljmp    $0x08, $AT(tramp64)

    .code64
tramp64:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    xor     %eax, %eax
    mov     %eax, %fs
    mov     %eax, %gs
    mov     $MSR_GS_BASE, %ecx
    mov     PARAM(TP_GSBASE), %eax
    mov     PARAM(TP_GSBASE) + 4, %edx
    wrmsr
    mov     PARAM(TP_STACK), %rsp
    mov     PARAM(TP_ARG), %rdi
    mov     PARAM(TP_ENTRY), %rax
    movl    $1, PARAM(TP_TAKEN)     /* the block may be reused from here on */
    xor     %ebp, %ebp
    call    *%rax                   /* hvm_ap_main does not return */
1:  cli
    hlt
    jmp     1b

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00209a0000000000        /* 0x08: 64-bit code (boot.S's) */
    .quad 0x00cf92000000ffff        /* 0x10: flat data (boot.S's) */
    .quad 0x00cf9a000000ffff        /* 0x18: flat 32-bit code, for the way up */
tramp_gdt_end:
tramp_gdt_desc:
    .word   tramp_gdt_end - tramp_gdt - 1
    .long   AT(tramp_gdt)
hvm_tramp_end:

    .section .note.GNU-stack, "", @progbits
