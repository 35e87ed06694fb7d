/* Interrupt entry stubs. The guest's IDT has one 16-byte stub per vector that pushes
 * a zero where the CPU pushes no error code, then the vector, and records the event
 * (guest_isr_record: vector, error code, return RIP, RFLAGS, CR2) before IRETQ: a case
 * then reads exactly what the guest saw and at which instruction boundary.
 * The host's IDT uses the same stub layout with its own common handler. */
#define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17)

    .macro  stubs common
    .set    vec, 0
    .rept   256
    .align  16
    .if     !HAS_ERRCODE(vec)
    pushq   $0
    .endif
    pushq   $vec
    jmp     \common
    .set    vec, vec + 1
    .endr
    .endm

    .text
    .align  16
    .globl  guest_stubs
guest_stubs:
    stubs   guest_isr_common

    .align  16
    .globl  host_stubs
host_stubs:
    stubs   host_isr_common

    .macro  save_call fn
    push    %rax
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    lea     72(%rsp), %rdi              /* the frame: vector, error code, RIP, CS, ... */
    call    \fn
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rax
    add     $16, %rsp
    iretq
    .endm

guest_isr_common:
    save_call guest_isr_record
host_isr_common:
    save_call host_isr

/* Guest snippets: each case points guest RIP at one, and every snippet ends in VMMCALL
 * (intercepted) so the host sees where it ended. The labels are the instruction
 * boundaries the cases expect events at. */
    .globl  g_nops
g_nops:                                 /* 3 NOPs, then VMMCALL */
    nop
    nop
    nop
    vmmcall

    .globl  g_sti, g_sti_sti, g_sti_shadow, g_sti_open
g_sti:                                  /* entered with IF=0 */
    nop
g_sti_sti:
    sti
g_sti_shadow:                           /* the one instruction of the STI shadow */
    nop
g_sti_open:                             /* the first boundary with interrupts open */
    nop
    nop
    vmmcall

    .globl  g_spin, g_spin_end
g_spin:                                 /* about 2M instructions (icount: 2 ms) */
    mov     $1000000, %ecx
1:  dec     %ecx
    jnz     1b
g_spin_end:
    vmmcall

    .globl  g_sti_exit, g_sti_exit_call
g_sti_exit:                             /* VMMCALL inside the STI shadow */
    sti
g_sti_exit_call:
    vmmcall

    .globl  g_movss_exit, g_movss_exit_call
g_movss_exit:                           /* VMMCALL inside the MOV SS shadow */
    mov     %ss, %eax
    mov     %eax, %ss
g_movss_exit_call:
    vmmcall

    .globl  g_nop_exit, g_nop_exit_call
g_nop_exit:                             /* VMMCALL after an ordinary instruction */
    nop
g_nop_exit_call:
    vmmcall

    .globl  g_sti_hlt, g_sti_hlt_hlt, g_sti_hlt_after
g_sti_hlt:                              /* Linux's idle: HLT inside the STI shadow */
    sti
g_sti_hlt_hlt:
    hlt
g_sti_hlt_after:
    vmmcall

    .globl  g_ud
g_ud:                                   /* a guest-raised exception (#UD) */
    ud2
