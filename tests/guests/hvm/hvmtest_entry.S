/* hvmtest's entry and exception stubs: 32-bit protected mode, paging off, loaded at
 * 1 MiB by `xl hvm-flat` (EBX: the mode). Its own GDT first: the one the hypervisor
 * set up is only hidden segment state, and an exception reloads CS from the GDT. */
    .code32
    .section .text.entry, "ax"
    .globl _start
_start:
    mov     $stack_top, %esp
    lgdt    gdt_desc
    ljmp    $0x08, $1f
1:  mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     %ax, %fs
    mov     %ax, %gs
    push    %ebx
    call    hvmtest_main
    cli
2:  hlt
    jmp     2b

/* An expected fault: note the vector, skip the faulting instruction (skip_len bytes). */
    .globl ud_stub, gp_stub, upcall_stub
ud_stub:
    movl    $6, last_vec
    jmp     3f
gp_stub:
    movl    $13, last_vec
    add     $4, %esp                    /* the error code */
3:  push    %eax
    mov     skip_len, %eax
    add     %eax, 4(%esp)
    pop     %eax
    iret

/* The event-channel upcall vector: count it (the guest cannot clear the pending
 * flag without its shared info; the hypervisor injects once per rise). */
upcall_stub:
    incl    upcalls
    iret

    .data
    .align 8
gdt:
    .quad   0
    .quad   0x00cf9b000000ffff          /* 0x08: flat 32-bit code */
    .quad   0x00cf93000000ffff          /* 0x10: flat data */
gdt_desc:
    .word   gdt_desc - gdt - 1
    .long   gdt

    .bss
    .align 16
    .space  8192
stack_top:
