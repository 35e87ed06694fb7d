/* Faulting instructions for the test guests (isolation.c, hcfuzz.c): each lives in a
 * small assembly stub followed by a resume label; a guest trap handler that knows the
 * label resumes there, so the stub returns normally whether or not it faulted. */
#ifndef TESTS_GUESTS_FAULT_STUB_H
#define TESTS_GUESTS_FAULT_STUB_H

#include <guest.h>

/* name(a, b, c): `insn` (arguments in RDI, RSI, RDX), then name_resume, then ret.
 * RAX is returned, for the stubs that compute something after resuming. */
#define FAULT_STUB(name, insn)                                                 \
    uint64_t name(uint64_t a, uint64_t b, uint64_t c);                         \
    extern const char name##_resume[];                                         \
    asm(".pushsection .text\n"                                                 \
        ".globl " #name "\n.type " #name ", @function\n"                       \
        #name ":\n\t" insn "\n"                                                \
        ".globl " #name "_resume\n" #name "_resume:\n\tret\n"                  \
        ".size " #name ", . - " #name "\n.popsection\n")

/* The body of a stub making SCHEDOP_iret with a frame of its own: rip = RDI, rsp = RSI
 * (0: where the stub is), rflags = RDX (0: the current flags). Returns the hypercall's
 * result when the hypervisor refuses the frame. */
#define FAULT_STUB_IRET                                                        \
    "sub $80, %rsp\n\t"                                                        \
    "movq $0, 0(%rsp); movq $0, 8(%rsp); movq $0, 16(%rsp)\n\t"                \
    "movq $0, 24(%rsp); movq $0, 32(%rsp); movq $0, 40(%rsp)\n\t"              \
    "mov %rdi, 48(%rsp)\n\t"                                                   \
    "pushfq; popq %rax; test %rdx, %rdx; cmovnz %rdx, %rax; mov %rax, 56(%rsp)\n\t" \
    "lea 80(%rsp), %rax; test %rsi, %rsi; cmovnz %rsi, %rax; mov %rax, 64(%rsp)\n\t" \
    "mov $4, %edi; mov $29, %eax; syscall\n\t"                                 \
    "add $80, %rsp"

#endif
