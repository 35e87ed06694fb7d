/* svmconf boot: Multiboot v1 entry (QEMU -kernel), 32-bit protected mode to 64-bit
 * long mode with 0..4 GiB identity-mapped by 2 MiB pages, then svmconf_main().
 * Everything runs at its physical address, so the guest can share the code, the GDT
 * and (for its first GiB) the page directory through an identity nested table. */
#define MB_MAGIC    0x1badb002
#define MB_FLAGS    0x00000003
#define PTE_P       0x001
#define PTE_W       0x002
#define PTE_PS      0x080

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl mb_entry
mb_entry:
    cli
    cld
    mov     $__bss_start, %edi          /* .bss holds the page tables and the stacks */
    mov     $__bss_end, %ecx
    sub     %edi, %ecx
    xor     %eax, %eax
    rep stosb
    /* host_pd: four page directories, 2048 entries of 2 MiB covering 0..4 GiB */
    xor     %ecx, %ecx
1:  mov     %ecx, %eax
    shl     $21, %eax
    or      $(PTE_P | PTE_W | PTE_PS), %eax
    mov     %eax, host_pd(,%ecx,8)
    mov     %ecx, %eax
    shr     $11, %eax
    mov     %eax, host_pd+4(,%ecx,8)
    inc     %ecx
    cmp     $2048, %ecx
    jne     1b
    xor     %ecx, %ecx
2:  mov     %ecx, %eax
    shl     $12, %eax
    add     $(host_pd + PTE_P + PTE_W), %eax
    mov     %eax, host_pdpt(,%ecx,8)
    inc     %ecx
    cmp     $4, %ecx
    jne     2b
    movl    $(host_pdpt + PTE_P + PTE_W), host_pml4
    lgdt    gdt_desc
    mov     %cr4, %eax
    or      $0x20, %eax                 /* PAE */
    mov     %eax, %cr4
    mov     $host_pml4, %eax
    mov     %eax, %cr3
    mov     $0xc0000080, %ecx           /* EFER.LME */
    rdmsr
    or      $0x100, %eax
    wrmsr
    mov     %cr0, %eax
    or      $0x80000001, %eax           /* PG | PE */
    mov     %eax, %cr0
    ljmp    $0x08, $entry64

    .code64
entry64:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %eax, %fs
    mov     %eax, %gs
    mov     $host_stack_top, %rsp
    call    svmconf_main
3:  cli
    hlt
    jmp     3b

/* uint64_t svm_vmrun(uint64_t vmcb_pa): one VMRUN. VMRUN keeps only host RAX, RSP
 * and RIP; the guest snippets clobber any register, so save the callee-saved ones.
 * GIF is whatever the caller left it (the cases decide: clgi before, stgi after). */
    .globl svm_vmrun
svm_vmrun:
    push    %rbx
    push    %rbp
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    push    %rdi
    mov     %rdi, %rax
    vmrun
    pop     %rdi
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbp
    pop     %rbx
    ret

    .data
    .align 16
    .globl gdt
gdt:
    .quad   0
    .quad   0x00af9a000000ffff          /* 0x08: 64-bit code */
    .quad   0x00cf92000000ffff          /* 0x10: data */
    .quad   0x00cf9a000000ffff          /* 0x18: 32-bit code (unused, keeps 0x10 = data) */
gdt_end:
    .globl gdt_desc
gdt_desc:
    .word   gdt_end - gdt - 1
    .quad   gdt

    .bss
    .align 4096
    .globl host_pml4, host_pdpt, host_pd
host_pml4:  .skip 4096
host_pdpt:  .skip 4096
host_pd:    .skip 4 * 4096
    .align 16
    .skip 16384
host_stack_top:
