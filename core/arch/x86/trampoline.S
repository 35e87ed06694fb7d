/* AP start-up trampoline. The BSP copies [trampoline_start, trampoline_end) to
 * TRAMPOLINE_PHYS and sends INIT-SIPI-SIPI with vector TRAMPOLINE_PHYS >> 12; the AP
 * starts here in real mode at CS = TRAMPOLINE_PHYS >> 4, IP = 0. Code is position-
 * dependent only through TRAMP(), which turns a label into its address after the copy.
 * From protected mode on, the AP follows the BSP's path in boot.S. */
#include <hvlab/x86/regs.h>

#define TRAMP(x) (TRAMPOLINE_PHYS + (x) - trampoline_start)

    .section .boot.text, "ax"
    .code16
    .globl trampoline_start, trampoline_end
trampoline_start:
    cli
    cld
    mov     %cs, %ax
    mov     %ax, %ds
    lgdtl   tramp_gdt_desc - trampoline_start
    mov     %cr0, %eax
    or      $CR0_PE, %eax
    mov     %eax, %cr0
    ljmpl   $BOOT_SEL_CS32, $TRAMP(tramp32)

    .code32
tramp32:
    mov     $BOOT_SEL_DS, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     $boot_enter_long_mode, %eax   /* absolute: this code was moved */
    jmp     *%eax

    .align 8
tramp_gdt_desc:
    .word   4 * 8 - 1
    .long   boot_gdt
trampoline_end:
