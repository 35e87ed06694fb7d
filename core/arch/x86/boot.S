/* Multiboot v1 entry: from 32-bit protected mode (as the loader leaves us) to 64-bit
 * long mode in the upper half. Runs at physical addresses, before paging: everything
 * here lives in .boot. The boot page tables map, with 2 MiB pages:
 *   0 .. 4 GiB  identity          (this code, the AP trampoline, firmware tables)
 *   0 .. 4 GiB  at DIRECTMAP_BASE (until paging_init() builds the full direct map)
 *   0 .. 1 GiB  at IMAGE_BASE     (the image, -mcmodel=kernel)
 * The APs come through here too (ap_entry64), from the trampoline. */
#include <hvlab/addr.h>
#include <hvlab/x86/regs.h>

#define MB_MAGIC  0x1badb002
#define MB_FLAGS  0x00000003         /* page-align modules, give memory info */
#define PTE_P     0x001
#define PTE_W     0x002
#define PTE_PS    0x080

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .boot.text, "ax"
    .code32
    .globl mb_entry
mb_entry:
    cli
    cld
    mov     %eax, boot_mb_magic
    mov     %ebx, boot_mb_info

    /* Zero .bss (the loader is not obliged to); it holds the boot stack. */
    mov     $(__bss_start - IMAGE_BASE), %edi
    mov     $(__bss_end - IMAGE_BASE), %ecx
    sub     %edi, %ecx
    xor     %eax, %eax
    rep stosb

    /* NX if the CPU has it: the direct map is mapped no-execute. */
    mov     $0x80000001, %eax
    cpuid
    mov     $(EFER_LME | EFER_SCE), %eax
    bt      $20, %edx
    jnc     1f
    or      $EFER_NXE, %eax
1:  mov     %eax, boot_efer

    call    boot_build_pagetables
    lgdt    boot_gdt_desc

    .globl  boot_enter_long_mode
boot_enter_long_mode:               /* shared with the AP trampoline */
    mov     %cr4, %eax
    or      $CR4_PAE, %eax
    mov     %eax, %cr4
    mov     $boot_pml4, %eax
    mov     %eax, %cr3
    mov     $MSR_EFER, %ecx
    mov     boot_efer, %eax
    xor     %edx, %edx
    wrmsr
    mov     %cr0, %eax
    or      $(CR0_PG | CR0_PE | CR0_WP), %eax
    mov     %eax, %cr0
    ljmp    $BOOT_SEL_CS64, $entry64

/* Fill the PDs for 0..4 GiB and hook them into the three windows. */
boot_build_pagetables:
    mov     $boot_pd, %edi
    xor     %ecx, %ecx              /* 2 MiB frame index, 0..2047 */
1:  mov     %ecx, %eax
    shl     $21, %eax
    or      $(PTE_P | PTE_W | PTE_PS), %eax
    mov     %eax, (%edi,%ecx,8)
    mov     %ecx, %eax
    shr     $11, %eax               /* high dword: frame >> 11 is bits 32+ of address */
    mov     %eax, 4(%edi,%ecx,8)
    inc     %ecx
    cmp     $2048, %ecx
    jne     1b
    /* pdpt_low[0..3] -> the four PDs (identity and direct map share it) */
    xor     %ecx, %ecx
2:  mov     %ecx, %eax
    shl     $12, %eax
    add     $(boot_pd + PTE_P + PTE_W), %eax
    mov     %eax, boot_pdpt_low(,%ecx,8)
    inc     %ecx
    cmp     $4, %ecx
    jne     2b
    /* image: pdpt_high[510] -> first PD (0..1 GiB) */
    movl    $(boot_pd + PTE_P + PTE_W), boot_pdpt_high + 510*8
    movl    $(boot_pdpt_low + PTE_P + PTE_W), boot_pml4
    movl    $(boot_pdpt_low + PTE_P + PTE_W), boot_pml4 + ((DIRECTMAP_BASE >> 39) & 511)*8
    movl    $(boot_pdpt_high + PTE_P + PTE_W), boot_pml4 + 511*8
    ret

    .code64
entry64:
    mov     $BOOT_SEL_DS, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    xor     %eax, %eax
    mov     %eax, %fs
    mov     %eax, %gs
    movabs  ap_boot_stack, %rax      /* 0 on the BSP: it takes the boot stack */
    mov     %rax, %rsp
    test    %rsp, %rsp
    jnz     1f
    movabs  $boot_stack_top, %rsp
    movabs  $bsp_start_c, %rax
    jmp     *%rax
1:  movabs  $ap_start_c, %rax
    jmp     *%rax

    .section .boot.data, "aw"
    .align 4096
    .globl boot_pml4
boot_pml4:      .fill 512, 8, 0
boot_pdpt_low:  .fill 512, 8, 0
boot_pdpt_high: .fill 512, 8, 0
boot_pd:        .fill 4*512, 8, 0

    .align 16
    .globl boot_gdt, boot_gdt_desc
boot_gdt:
    .quad 0
    .quad 0x00209a0000000000        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: flat data */
    .quad 0x00cf9a000000ffff        /* 0x18: 32-bit code (AP trampoline) */
boot_gdt_end:
boot_gdt_desc:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .align 8
    .globl boot_mb_magic, boot_mb_info, boot_efer
boot_mb_magic:  .long 0
boot_mb_info:   .long 0
boot_efer:      .long 0

    .data                           /* in the image: the BSP writes it after paging_init */
    .align 8
    .globl ap_boot_stack
ap_boot_stack:  .quad 0             /* set by the BSP for the AP being started */

    .section .text.entry, "ax"
    .code64
bsp_start_c:
    xor     %ebp, %ebp              /* ends stack traces */
    mov     boot_mb_magic, %edi
    mov     boot_mb_info, %esi
    call    start_hv
    ud2

ap_start_c:
    xor     %ebp, %ebp
    call    smp_ap_start
    ud2

    .bss
    .align 16
boot_stack:
    .fill 16384, 1, 0
    .globl boot_stack_top
boot_stack_top:
