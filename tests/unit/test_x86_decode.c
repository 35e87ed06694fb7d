/* The x86 decoder (core/arch/x86/hvm/x86_decode.c): a table of instruction bytes and
 * the operation, sizes, operands and effective-address recipe each must decode to.
 * The bytes were assembled with GNU as (objdump -d gives the AT&T form named in each
 * case); the first rows are the exact forms Linux uses on the local APIC and IOAPIC. */
#include "unit.h"

#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/x86/emulate.h>

struct dcase {
    const char *name;
    int m;                      /* 16, 32 or 64 (0: 64) */
    uint8_t b[20];
    uint8_t n;
    int rc;
    uint8_t len, op, opsize, addrsize;
    struct x86_opnd dst, src;
    bool check_mem;
    struct x86_mem mem;
    uint64_t imm;
    uint8_t prefixes;
    int16_t ext;                /* checked when nonzero; -1 checks ext == 0 */
};

#define B(...)    .b = { __VA_ARGS__ }, .n = sizeof((uint8_t[]){ __VA_ARGS__ })
#define REG(r, s) { X86_OPND_REG, s, X86_REG_##r }
#define MEM(s)    { X86_OPND_MEM, s, X86_REG_NONE }
#define IMM(s)    { X86_OPND_IMM, s, X86_REG_NONE }
#define EA(sg, bs, ix, sc, d) .check_mem = true, \
    .mem = { X86_REG_##bs, X86_REG_##ix, sc, X86_SEG_##sg, false, d }
#define EARIP(d)  .check_mem = true, .mem = { X86_REG_NONE, X86_REG_NONE, 1, X86_SEG_DS, true, d }
#define OP(o, ln, os, as) .op = X86_OP_##o, .len = ln, .opsize = os, .addrsize = as

static const struct dcase cases[] = {
    /* Linux's local APIC and IOAPIC accessors (native_apic_mem_write/read,
     * io_apic_read/write, x2apic-less xapic_icr_write) as GCC emits them. */
    { "apic write: mov %eax,0xb0(%rdx)", B(0x89, 0x82, 0xb0, 0, 0, 0), OP(MOV, 6, 4, 8),
      .dst = MEM(4), .src = REG(RAX, 4), EA(DS, RDX, NONE, 1, 0xb0) },
    { "apic read: mov 0x300(%rdi),%eax", B(0x8b, 0x87, 0x00, 0x03, 0, 0), OP(MOV, 6, 4, 8),
      .dst = REG(RAX, 4), .src = MEM(4), EA(DS, RDI, NONE, 1, 0x300) },
    { "apic: movl $0xb,0x10(%rip)", B(0xc7, 0x05, 0x10, 0, 0, 0, 0x0b, 0, 0, 0),
      OP(MOV, 10, 4, 8), .dst = MEM(4), .src = IMM(4), EARIP(0x10), .imm = 0xb },
    { "apic: movl $0,-0x1f50(%rip)", B(0xc7, 0x05, 0xb0, 0xe0, 0xff, 0xff, 0, 0, 0, 0),
      OP(MOV, 10, 4, 8), .dst = MEM(4), .src = IMM(4), EARIP(-0x1f50), .imm = 0 },
    { "mov (%rdi),%eax", B(0x8b, 0x07), OP(MOV, 2, 4, 8), .dst = REG(RAX, 4), .src = MEM(4),
      EA(DS, RDI, NONE, 1, 0) },
    { "ioapic index: mov %esi,(%rdi)", B(0x89, 0x37), OP(MOV, 2, 4, 8), .dst = MEM(4),
      .src = REG(RSI, 4), EA(DS, RDI, NONE, 1, 0) },
    { "ioapic data: mov 0x10(%rdi),%eax", B(0x8b, 0x47, 0x10), OP(MOV, 3, 4, 8),
      .dst = REG(RAX, 4), .src = MEM(4), EA(DS, RDI, NONE, 1, 0x10) },
    { "ioapic eoi: mov %edx,0x40(%rax)", B(0x89, 0x50, 0x40), OP(MOV, 3, 4, 8),
      .dst = MEM(4), .src = REG(RDX, 4), EA(DS, RAX, NONE, 1, 0x40) },
    { "mov 0x320(%rax),%eax (disp32)", B(0x8b, 0x80, 0x20, 0x03, 0, 0), OP(MOV, 6, 4, 8),
      .dst = REG(RAX, 4), .src = MEM(4), EA(DS, RAX, NONE, 1, 0x320) },
    { "32-bit: mov %edx,0xfee000b0 (absolute)", .m = 32, B(0x89, 0x15, 0xb0, 0, 0xe0, 0xfe),
      OP(MOV, 6, 4, 4), .dst = MEM(4), .src = REG(RDX, 4),
      EA(DS, NONE, NONE, 1, (int32_t)0xfee000b0) },
    { "32-bit: mov 0xfec00010,%eax (absolute)", .m = 32, B(0x8b, 0x05, 0x10, 0, 0xc0, 0xfe),
      OP(MOV, 6, 4, 4), .dst = REG(RAX, 4), .src = MEM(4),
      EA(DS, NONE, NONE, 1, (int32_t)0xfec00010) },
    { "movl $-1,0x380(%rax)", B(0xc7, 0x80, 0x80, 0x03, 0, 0, 0xff, 0xff, 0xff, 0xff),
      OP(MOV, 10, 4, 8), .dst = MEM(4), .src = IMM(4), EA(DS, RAX, NONE, 1, 0x380),
      .imm = 0xffffffff },
    { "movl $0x10000,0x10(%rdi)", B(0xc7, 0x47, 0x10, 0, 0, 1, 0), OP(MOV, 7, 4, 8),
      .dst = MEM(4), .src = IMM(4), EA(DS, RDI, NONE, 1, 0x10), .imm = 0x10000 },
    { "movq $-2,(%rax) (imm32 sign-extended)", B(0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff),
      OP(MOV, 7, 8, 8), .dst = MEM(8), .src = IMM(8), EA(DS, RAX, NONE, 1, 0),
      .imm = 0xfffffffffffffffeULL },
    { "mov 0x8(%rdi),%rax", B(0x48, 0x8b, 0x47, 0x08), OP(MOV, 4, 8, 8),
      .dst = REG(RAX, 8), .src = MEM(8), EA(DS, RDI, NONE, 1, 8) },
    { "mov %r9d,0x0(%rbp): SS default", B(0x44, 0x89, 0x4d, 0x00), OP(MOV, 4, 4, 8),
      .dst = MEM(4), .src = REG(R9, 4), EA(SS, RBP, NONE, 1, 0) },
    { "mov (%r12),%eax: SIB, DS", B(0x41, 0x8b, 0x04, 0x24), OP(MOV, 4, 4, 8),
      .dst = REG(RAX, 4), .src = MEM(4), EA(DS, R12, NONE, 1, 0) },
    { "mov 0x0(%r13),%eax: disp8, DS", B(0x41, 0x8b, 0x45, 0x00), OP(MOV, 4, 4, 8),
      .dst = REG(RAX, 4), .src = MEM(4), EA(DS, R13, NONE, 1, 0) },
    { "mov 0x1000(,%rcx,4),%eax: no base", B(0x8b, 0x04, 0x8d, 0, 0x10, 0, 0),
      OP(MOV, 7, 4, 8), .dst = REG(RAX, 4), .src = MEM(4), EA(DS, NONE, RCX, 4, 0x1000) },
    { "mov (%rax,%r12,1),%eax: REX.X", B(0x42, 0x8b, 0x04, 0x20), OP(MOV, 4, 4, 8),
      .dst = REG(RAX, 4), .src = MEM(4), EA(DS, RAX, R12, 1, 0) },
    { "mov -0x8(%rbx,%rsi,8),%r10", B(0x4c, 0x8b, 0x54, 0xf3, 0xf8), OP(MOV, 5, 8, 8),
      .dst = REG(R10, 8), .src = MEM(8), EA(DS, RBX, RSI, 8, -8) },
    { "mov 0x8(%rsp),%eax: SS", B(0x8b, 0x44, 0x24, 0x08), OP(MOV, 4, 4, 8),
      .dst = REG(RAX, 4), .src = MEM(4), EA(SS, RSP, NONE, 1, 8) },
    { "mov 0x12345678(%rbp,%rax,2),%ecx", B(0x8b, 0x8c, 0x45, 0x78, 0x56, 0x34, 0x12),
      OP(MOV, 7, 4, 8), .dst = REG(RCX, 4), .src = MEM(4), EA(SS, RBP, RAX, 2, 0x12345678) },
    { "mov %gs:0x10,%eax", B(0x65, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0), OP(MOV, 8, 4, 8),
      .dst = REG(RAX, 4), .src = MEM(4), EA(GS, NONE, NONE, 1, 0x10),
      .prefixes = X86_PFX_SEG },
    { "mov %eax,%fs:(%rdi)", B(0x64, 0x89, 0x07), OP(MOV, 3, 4, 8), .dst = MEM(4),
      .src = REG(RAX, 4), EA(FS, RDI, NONE, 1, 0), .prefixes = X86_PFX_SEG },
    { "64-bit: %cs: override ignored", B(0x2e, 0x8b, 0x07), OP(MOV, 3, 4, 8),
      .dst = REG(RAX, 4), .src = MEM(4), EA(DS, RDI, NONE, 1, 0) },
    { "32-bit: %cs:(%edi)", .m = 32, B(0x2e, 0x8b, 0x07), OP(MOV, 3, 4, 4),
      .dst = REG(RAX, 4), .src = MEM(4), EA(CS, RDI, NONE, 1, 0), .prefixes = X86_PFX_SEG },
    { "32-bit: %ss:(%eax) overrides", .m = 32, B(0x36, 0x89, 0x08), OP(MOV, 3, 4, 4),
      .dst = MEM(4), .src = REG(RCX, 4), EA(SS, RAX, NONE, 1, 0), .prefixes = X86_PFX_SEG },
    { "32-bit: %ds:(%ebp) overrides SS", .m = 32, B(0x3e, 0x8b, 0x45, 0x04),
      OP(MOV, 4, 4, 4), .dst = REG(RAX, 4), .src = MEM(4), EA(DS, RBP, NONE, 1, 4),
      .prefixes = X86_PFX_SEG },
    { "mov %ax,(%rdx)", B(0x66, 0x89, 0x02), OP(MOV, 3, 2, 8), .dst = MEM(2),
      .src = REG(RAX, 2), EA(DS, RDX, NONE, 1, 0), .prefixes = X86_PFX_OPSIZE },
    { "REX.W beats 66", B(0x66, 0x48, 0x8b, 0x07), OP(MOV, 4, 8, 8), .dst = REG(RAX, 8),
      .src = MEM(8), EA(DS, RDI, NONE, 1, 0), .prefixes = X86_PFX_OPSIZE },
    { "REX before 66 is ignored", B(0x48, 0x66, 0x8b, 0x07), OP(MOV, 4, 2, 8),
      .dst = REG(RAX, 2), .src = MEM(2), EA(DS, RDI, NONE, 1, 0),
      .prefixes = X86_PFX_OPSIZE },
    { "mov %al,(%rdx)", B(0x88, 0x02), OP(MOV, 2, 1, 8), .dst = MEM(1), .src = REG(RAX, 1),
      EA(DS, RDX, NONE, 1, 0) },
    { "mov 0x1(%rdx),%ah", B(0x8a, 0x62, 0x01), OP(MOV, 3, 1, 8), .dst = REG(AH, 1),
      .src = MEM(1), EA(DS, RDX, NONE, 1, 1) },
    { "mov 0x1(%rdx),%spl (REX)", B(0x40, 0x8a, 0x62, 0x01), OP(MOV, 4, 1, 8),
      .dst = REG(RSP, 1), .src = MEM(1), EA(DS, RDX, NONE, 1, 1) },
    { "movb $0xff,(%rdx)", B(0xc6, 0x02, 0xff), OP(MOV, 3, 1, 8), .dst = MEM(1),
      .src = IMM(1), EA(DS, RDX, NONE, 1, 0), .imm = 0xff },
    { "movw $0x1234,0x2(%rax)", B(0x66, 0xc7, 0x40, 0x02, 0x34, 0x12), OP(MOV, 6, 2, 8),
      .dst = MEM(2), .src = IMM(2), EA(DS, RAX, NONE, 1, 2), .imm = 0x1234,
      .prefixes = X86_PFX_OPSIZE },
    { "mov 0xfee00020,%eax (moffs64)", B(0xa1, 0x20, 0, 0xe0, 0xfe, 0, 0, 0, 0),
      OP(MOV, 9, 4, 8), .dst = REG(RAX, 4), .src = MEM(4),
      EA(DS, NONE, NONE, 1, 0xfee00020) },
    { "mov %rax,0xffffffffff5fb0b0 (moffs64)",
      B(0x48, 0xa3, 0xb0, 0xb0, 0x5f, 0xff, 0xff, 0xff, 0xff, 0xff), OP(MOV, 10, 8, 8),
      .dst = MEM(8), .src = REG(RAX, 8), EA(DS, NONE, NONE, 1, (int64_t)0xffffffffff5fb0b0ULL) },
    { "addr32 mov 0xfee00020,%eax (moffs32)", B(0x67, 0xa1, 0x20, 0, 0xe0, 0xfe),
      OP(MOV, 6, 4, 4), .dst = REG(RAX, 4), .src = MEM(4), EA(DS, NONE, NONE, 1, 0xfee00020),
      .prefixes = X86_PFX_ADDRSIZE },
    { "mov %al,0x80 (moffs8, 32-bit)", .m = 32, B(0xa2, 0x80, 0, 0, 0), OP(MOV, 5, 1, 4),
      .dst = MEM(1), .src = REG(RAX, 1), EA(DS, NONE, NONE, 1, 0x80) },
    /* 16-bit addressing */
    { "16: mov 0x2(%bx),%ax", .m = 16, B(0x8b, 0x47, 0x02), OP(MOV, 3, 2, 2),
      .dst = REG(RAX, 2), .src = MEM(2), EA(DS, RBX, NONE, 1, 2) },
    { "16: mov %ax,-0x2(%bp): SS", .m = 16, B(0x89, 0x46, 0xfe), OP(MOV, 3, 2, 2),
      .dst = MEM(2), .src = REG(RAX, 2), EA(SS, RBP, NONE, 1, -2) },
    { "16: mov (%bx,%si),%ax", .m = 16, B(0x8b, 0x00), OP(MOV, 2, 2, 2), .dst = REG(RAX, 2),
      .src = MEM(2), EA(DS, RBX, RSI, 1, 0) },
    { "16: mov 0x100(%bp,%di),%cx", .m = 16, B(0x8b, 0x8b, 0x00, 0x01), OP(MOV, 4, 2, 2),
      .dst = REG(RCX, 2), .src = MEM(2), EA(SS, RBP, RDI, 1, 0x100) },
    { "16: mov 0x1234,%dx (disp16)", .m = 16, B(0x8b, 0x16, 0x34, 0x12), OP(MOV, 4, 2, 2),
      .dst = REG(RDX, 2), .src = MEM(2), EA(DS, NONE, NONE, 1, 0x1234) },
    { "16: mov 0x1234,%ax (moffs16)", .m = 16, B(0xa1, 0x34, 0x12), OP(MOV, 3, 2, 2),
      .dst = REG(RAX, 2), .src = MEM(2), EA(DS, NONE, NONE, 1, 0x1234) },
    { "16: mov (%ebx),%eax (66 67)", .m = 16, B(0x66, 0x67, 0x8b, 0x03), OP(MOV, 4, 4, 4),
      .dst = REG(RAX, 4), .src = MEM(4), EA(DS, RBX, NONE, 1, 0),
      .prefixes = X86_PFX_OPSIZE | X86_PFX_ADDRSIZE },
    { "32: addr16 mov (%bx),%eax", .m = 32, B(0x67, 0x8b, 0x07), OP(MOV, 3, 4, 2),
      .dst = REG(RAX, 4), .src = MEM(4), EA(DS, RBX, NONE, 1, 0),
      .prefixes = X86_PFX_ADDRSIZE },
    /* extending moves */
    { "movzbl (%rdi),%eax", B(0x0f, 0xb6, 0x07), OP(MOVZX, 3, 4, 8), .dst = REG(RAX, 4),
      .src = MEM(1), EA(DS, RDI, NONE, 1, 0) },
    { "movzwl 0x4(%rdi),%edx", B(0x0f, 0xb7, 0x57, 0x04), OP(MOVZX, 4, 4, 8),
      .dst = REG(RDX, 4), .src = MEM(2), EA(DS, RDI, NONE, 1, 4) },
    { "movsbq (%rdi),%rax", B(0x48, 0x0f, 0xbe, 0x07), OP(MOVSX, 4, 8, 8),
      .dst = REG(RAX, 8), .src = MEM(1), EA(DS, RDI, NONE, 1, 0) },
    { "movswl (%rdi),%eax", B(0x0f, 0xbf, 0x07), OP(MOVSX, 3, 4, 8), .dst = REG(RAX, 4),
      .src = MEM(2), EA(DS, RDI, NONE, 1, 0) },
    { "movslq (%rdi),%rax", B(0x48, 0x63, 0x07), OP(MOVSXD, 3, 8, 8), .dst = REG(RAX, 8),
      .src = MEM(4), EA(DS, RDI, NONE, 1, 0) },
    /* ALU with memory */
    { "add %eax,(%rdi)", B(0x01, 0x07), OP(ADD, 2, 4, 8), .dst = MEM(4), .src = REG(RAX, 4),
      EA(DS, RDI, NONE, 1, 0) },
    { "orl $0x1,(%rdi)", B(0x83, 0x0f, 0x01), OP(OR, 3, 4, 8), .dst = MEM(4), .src = IMM(4),
      EA(DS, RDI, NONE, 1, 0), .imm = 1 },
    { "andl $-2,(%rdi)", B(0x83, 0x27, 0xfe), OP(AND, 3, 4, 8), .dst = MEM(4),
      .src = IMM(4), EA(DS, RDI, NONE, 1, 0), .imm = 0xfffffffe },
    { "andq $-2,(%rdi)", B(0x48, 0x83, 0x27, 0xfe), OP(AND, 4, 8, 8), .dst = MEM(8),
      .src = IMM(8), EA(DS, RDI, NONE, 1, 0), .imm = 0xfffffffffffffffeULL },
    { "orl $0x10000,0x4(%rdi)", B(0x81, 0x4f, 0x04, 0, 0, 1, 0), OP(OR, 7, 4, 8),
      .dst = MEM(4), .src = IMM(4), EA(DS, RDI, NONE, 1, 4), .imm = 0x10000 },
    { "orb $0x80,(%rdi)", B(0x80, 0x0f, 0x80), OP(OR, 3, 1, 8), .dst = MEM(1), .src = IMM(1),
      EA(DS, RDI, NONE, 1, 0), .imm = 0x80 },
    { "andw $0x7fff,(%rdi)", B(0x66, 0x81, 0x27, 0xff, 0x7f), OP(AND, 5, 2, 8),
      .dst = MEM(2), .src = IMM(2), EA(DS, RDI, NONE, 1, 0), .imm = 0x7fff,
      .prefixes = X86_PFX_OPSIZE },
    { "adc $0x5,(%rdi)", B(0x83, 0x17, 0x05), OP(ADC, 3, 4, 8), .dst = MEM(4), .src = IMM(4),
      EA(DS, RDI, NONE, 1, 0), .imm = 5 },
    { "sbbl $0x5,(%rdi)", B(0x83, 0x1f, 0x05), OP(SBB, 3, 4, 8), .dst = MEM(4),
      .src = IMM(4), EA(DS, RDI, NONE, 1, 0), .imm = 5 },
    { "sub %eax,(%rdi)", B(0x29, 0x07), OP(SUB, 2, 4, 8), .dst = MEM(4), .src = REG(RAX, 4),
      EA(DS, RDI, NONE, 1, 0) },
    { "xor (%rdi),%eax", B(0x33, 0x07), OP(XOR, 2, 4, 8), .dst = REG(RAX, 4), .src = MEM(4),
      EA(DS, RDI, NONE, 1, 0) },
    { "cmp (%rdi),%ecx", B(0x3b, 0x0f), OP(CMP, 2, 4, 8), .dst = REG(RCX, 4), .src = MEM(4),
      EA(DS, RDI, NONE, 1, 0) },
    { "cmp %al,(%rdi)", B(0x38, 0x07), OP(CMP, 2, 1, 8), .dst = MEM(1), .src = REG(RAX, 1),
      EA(DS, RDI, NONE, 1, 0) },
    { "cmpl $0x3,0x20(%rdi)", B(0x83, 0x7f, 0x20, 0x03), OP(CMP, 4, 4, 8), .dst = MEM(4),
      .src = IMM(4), EA(DS, RDI, NONE, 1, 0x20), .imm = 3 },
    { "test %eax,(%rdi)", B(0x85, 0x07), OP(TEST, 2, 4, 8), .dst = MEM(4),
      .src = REG(RAX, 4), EA(DS, RDI, NONE, 1, 0) },
    { "testl $0x80000000,(%rdi)", B(0xf7, 0x07, 0, 0, 0, 0x80), OP(TEST, 6, 4, 8),
      .dst = MEM(4), .src = IMM(4), EA(DS, RDI, NONE, 1, 0), .imm = 0x80000000 },
    { "testb $0x1,0x5(%rdi)", B(0xf6, 0x47, 0x05, 0x01), OP(TEST, 4, 1, 8), .dst = MEM(1),
      .src = IMM(1), EA(DS, RDI, NONE, 1, 5), .imm = 1 },
    { "test $0x1,%al", B(0xa8, 0x01), OP(TEST, 2, 1, 8), .dst = REG(RAX, 1), .src = IMM(1),
      .imm = 1 },
    { "add $0x12345678,%eax", B(0x05, 0x78, 0x56, 0x34, 0x12), OP(ADD, 5, 4, 8),
      .dst = REG(RAX, 4), .src = IMM(4), .imm = 0x12345678 },
    { "add $-1,%rax", B(0x48, 0x05, 0xff, 0xff, 0xff, 0xff), OP(ADD, 6, 8, 8),
      .dst = REG(RAX, 8), .src = IMM(8), .imm = ~0ULL },
    { "or %r8,%r9 (registers)", B(0x4d, 0x09, 0xc1), OP(OR, 3, 8, 8), .dst = REG(R9, 8),
      .src = REG(R8, 8) },
    /* unary */
    { "incl (%rdi)", B(0xff, 0x07), OP(INC, 2, 4, 8), .dst = MEM(4), EA(DS, RDI, NONE, 1, 0) },
    { "decl 0x8(%rdi)", B(0xff, 0x4f, 0x08), OP(DEC, 3, 4, 8), .dst = MEM(4),
      EA(DS, RDI, NONE, 1, 8) },
    { "incb (%rdi)", B(0xfe, 0x07), OP(INC, 2, 1, 8), .dst = MEM(1), EA(DS, RDI, NONE, 1, 0) },
    { "notl (%rdi)", B(0xf7, 0x17), OP(NOT, 2, 4, 8), .dst = MEM(4), EA(DS, RDI, NONE, 1, 0) },
    { "negq (%rdi)", B(0x48, 0xf7, 0x1f), OP(NEG, 3, 8, 8), .dst = MEM(8),
      EA(DS, RDI, NONE, 1, 0) },
    { "lock incl (%rdi)", B(0xf0, 0xff, 0x07), OP(INC, 3, 4, 8), .dst = MEM(4),
      EA(DS, RDI, NONE, 1, 0), .prefixes = X86_PFX_LOCK },
    { "lock orl $0x0,(%rsp) (the kernel's mb())", B(0xf0, 0x83, 0x0c, 0x24, 0x00),
      OP(OR, 5, 4, 8), .dst = MEM(4), .src = IMM(4), EA(SS, RSP, NONE, 1, 0),
      .prefixes = X86_PFX_LOCK },
    /* exchange */
    { "xchg %eax,(%rdi)", B(0x87, 0x07), OP(XCHG, 2, 4, 8), .dst = MEM(4),
      .src = REG(RAX, 4), EA(DS, RDI, NONE, 1, 0) },
    { "xchg %cl,(%rdi)", B(0x86, 0x0f), OP(XCHG, 2, 1, 8), .dst = MEM(1),
      .src = REG(RCX, 1), EA(DS, RDI, NONE, 1, 0) },
    { "lock cmpxchg %edx,(%rdi)", B(0xf0, 0x0f, 0xb1, 0x17), OP(CMPXCHG, 4, 4, 8),
      .dst = MEM(4), .src = REG(RDX, 4), EA(DS, RDI, NONE, 1, 0), .prefixes = X86_PFX_LOCK },
    { "cmpxchg %cl,(%rdi)", B(0x0f, 0xb0, 0x0f), OP(CMPXCHG, 3, 1, 8), .dst = MEM(1),
      .src = REG(RCX, 1), EA(DS, RDI, NONE, 1, 0) },
    /* bit operations */
    { "bt %eax,(%rdi)", B(0x0f, 0xa3, 0x07), OP(BT, 3, 4, 8), .dst = MEM(4),
      .src = REG(RAX, 4), EA(DS, RDI, NONE, 1, 0) },
    { "lock bts %rax,(%rdi)", B(0xf0, 0x48, 0x0f, 0xab, 0x07), OP(BTS, 5, 8, 8),
      .dst = MEM(8), .src = REG(RAX, 8), EA(DS, RDI, NONE, 1, 0), .prefixes = X86_PFX_LOCK },
    { "btr %esi,0x4(%rdi)", B(0x0f, 0xb3, 0x77, 0x04), OP(BTR, 4, 4, 8), .dst = MEM(4),
      .src = REG(RSI, 4), EA(DS, RDI, NONE, 1, 4) },
    { "btc %eax,(%rdi)", B(0x0f, 0xbb, 0x07), OP(BTC, 3, 4, 8), .dst = MEM(4),
      .src = REG(RAX, 4), EA(DS, RDI, NONE, 1, 0) },
    { "btl $0x1f,(%rdi)", B(0x0f, 0xba, 0x27, 0x1f), OP(BT, 4, 4, 8), .dst = MEM(4),
      .src = IMM(1), EA(DS, RDI, NONE, 1, 0), .imm = 31 },
    { "btsl $0x5,(%rdi)", B(0x0f, 0xba, 0x2f, 0x05), OP(BTS, 4, 4, 8), .dst = MEM(4),
      .src = IMM(1), EA(DS, RDI, NONE, 1, 0), .imm = 5 },
    { "btrl $0x3,(%rdi)", B(0x0f, 0xba, 0x37, 0x03), OP(BTR, 4, 4, 8), .dst = MEM(4),
      .src = IMM(1), EA(DS, RDI, NONE, 1, 0), .imm = 3 },
    /* strings */
    { "rep movsl", B(0xf3, 0xa5), OP(MOVS, 2, 4, 8), EA(DS, RSI, NONE, 1, 0),
      .prefixes = X86_PFX_REP },
    { "rep movsq", B(0xf3, 0x48, 0xa5), OP(MOVS, 3, 8, 8), EA(DS, RSI, NONE, 1, 0),
      .prefixes = X86_PFX_REP },
    { "movsb %fs:(%rsi),%es:(%rdi)", B(0x64, 0xa4), OP(MOVS, 2, 1, 8),
      EA(FS, RSI, NONE, 1, 0), .prefixes = X86_PFX_SEG },
    { "rep stosl", B(0xf3, 0xab), OP(STOS, 2, 4, 8), EA(ES, RDI, NONE, 1, 0),
      .prefixes = X86_PFX_REP },
    { "stosw %gs: ignored (ES:rDI)", B(0x65, 0x66, 0xab), OP(STOS, 3, 2, 8),
      EA(ES, RDI, NONE, 1, 0), .prefixes = X86_PFX_SEG | X86_PFX_OPSIZE },
    { "lodsb", B(0xac), OP(LODS, 1, 1, 8), EA(DS, RSI, NONE, 1, 0) },
    { "rep insb", B(0xf3, 0x6c), OP(INS, 2, 1, 8), EA(ES, RDI, NONE, 1, 0),
      .prefixes = X86_PFX_REP },
    { "insw", B(0x66, 0x6d), OP(INS, 2, 2, 8), EA(ES, RDI, NONE, 1, 0),
      .prefixes = X86_PFX_OPSIZE },
    { "rep outsl", B(0xf3, 0x6f), OP(OUTS, 2, 4, 8), EA(DS, RSI, NONE, 1, 0),
      .prefixes = X86_PFX_REP },
    { "rex.w outs stays 4 bytes", B(0x48, 0x6f), OP(OUTS, 2, 4, 8), EA(DS, RSI, NONE, 1, 0) },
    { "32: addr16 rep movsb", .m = 32, B(0x67, 0xf3, 0xa4), OP(MOVS, 3, 1, 2),
      EA(DS, RSI, NONE, 1, 0), .prefixes = X86_PFX_REP | X86_PFX_ADDRSIZE },
    { "16: rep outsw", .m = 16, B(0xf3, 0x6f), OP(OUTS, 2, 2, 2), EA(DS, RSI, NONE, 1, 0),
      .prefixes = X86_PFX_REP },
    /* ports */
    { "in $0x60,%al", B(0xe4, 0x60), OP(IN, 2, 1, 8), .dst = REG(RAX, 1), .src = IMM(1),
      .imm = 0x60 },
    { "in $0x40,%eax", B(0xe5, 0x40), OP(IN, 2, 4, 8), .dst = REG(RAX, 4), .src = IMM(1),
      .imm = 0x40 },
    { "out %ax,$0x70", B(0x66, 0xe7, 0x70), OP(OUT, 3, 2, 8), .dst = IMM(1),
      .src = REG(RAX, 2), .imm = 0x70, .prefixes = X86_PFX_OPSIZE },
    { "in (%dx),%al", B(0xec), OP(IN, 1, 1, 8), .dst = REG(RAX, 1), .src = REG(RDX, 2) },
    { "in (%dx),%eax", B(0xed), OP(IN, 1, 4, 8), .dst = REG(RAX, 4), .src = REG(RDX, 2) },
    { "out %al,(%dx)", B(0xee), OP(OUT, 1, 1, 8), .dst = REG(RDX, 2), .src = REG(RAX, 1) },
    { "out %ax,(%dx)", B(0x66, 0xef), OP(OUT, 2, 2, 8), .dst = REG(RDX, 2),
      .src = REG(RAX, 2), .prefixes = X86_PFX_OPSIZE },
    { "16: in (%dx),%ax", .m = 16, B(0xed), OP(IN, 1, 2, 2), .dst = REG(RAX, 2),
      .src = REG(RDX, 2) },
    /* system instructions SVM intercepts (length for next-RIP) */
    { "vmmcall", B(0x0f, 0x01, 0xd9), OP(VMMCALL, 3, 4, 8) },
    { "vmrun", B(0x0f, 0x01, 0xd8), OP(VMRUN, 3, 4, 8) },
    { "clgi", B(0x0f, 0x01, 0xdd), OP(CLGI, 3, 4, 8) },
    { "swapgs", B(0x0f, 0x01, 0xf8), OP(SWAPGS, 3, 4, 8) },
    { "rdtscp", B(0x0f, 0x01, 0xf9), OP(RDTSCP, 3, 4, 8) },
    { "clac", B(0x0f, 0x01, 0xca), OP(CLAC, 3, 4, 8) },
    { "invlpg (%rax)", B(0x0f, 0x01, 0x38), OP(INVLPG, 3, 4, 8), .dst = MEM(1),
      EA(DS, RAX, NONE, 1, 0), .ext = 7 },
    { "lgdt 0x10(%rip)", B(0x0f, 0x01, 0x15, 0x10, 0, 0, 0), OP(LGDT, 7, 4, 8),
      .dst = MEM(8), EARIP(0x10), .ext = 2 },
    { "smsw %eax", B(0x0f, 0x01, 0xe0), OP(SMSW, 3, 4, 8), .dst = REG(RAX, 4), .ext = 4 },
    { "lmsw (%rax)", B(0x0f, 0x01, 0x30), OP(LMSW, 3, 2, 8), .src = MEM(2),
      EA(DS, RAX, NONE, 1, 0), .ext = 6 },
    { "cpuid", B(0x0f, 0xa2), OP(CPUID, 2, 4, 8) },
    { "rdmsr", B(0x0f, 0x32), OP(RDMSR, 2, 4, 8) },
    { "wrmsr", B(0x0f, 0x30), OP(WRMSR, 2, 4, 8) },
    { "rdtsc", B(0x0f, 0x31), OP(RDTSC, 2, 4, 8) },
    { "hlt", B(0xf4), OP(HLT, 1, 4, 8) },
    { "pause", B(0xf3, 0x90), OP(PAUSE, 2, 4, 8), .prefixes = X86_PFX_REP },
    { "mov %rax,%cr3", B(0x0f, 0x22, 0xd8), OP(MOV_TO_CR, 3, 8, 8), .src = REG(RAX, 8),
      .ext = 3 },
    { "mov %cr8,%rax", B(0x44, 0x0f, 0x20, 0xc0), OP(MOV_FROM_CR, 4, 8, 8),
      .dst = REG(RAX, 8), .ext = 8 },
    { "32: lock mov %cr0,%eax is CR8", .m = 32, B(0xf0, 0x0f, 0x20, 0xc0),
      OP(MOV_FROM_CR, 4, 4, 4), .dst = REG(RAX, 4), .ext = 8, .prefixes = X86_PFX_LOCK },
    /* 15 bytes is the limit, not an error */
    { "15 bytes: 13 prefixes + mov", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
      0x66, 0x66, 0x66, 0x66, 0x89, 0x07), OP(MOV, 15, 2, 8), .dst = MEM(2),
      .src = REG(RAX, 2), EA(DS, RDI, NONE, 1, 0), .prefixes = X86_PFX_OPSIZE },
    /* errors */
    { "ud2: #UD", B(0x0f, 0x0b), .rc = -EINVAL },
    { "ud0: #UD", B(0x0f, 0xff), .rc = -EINVAL },
    { "ud1: #UD", B(0x0f, 0xb9, 0x07), .rc = -EINVAL },
    { "push %es in 64-bit: #UD", B(0x06), .rc = -EINVAL },
    { "push %es in 32-bit: not decoded", .m = 32, B(0x06), .rc = -ENOSYS },
    { "0x82 in 64-bit: #UD", B(0x82, 0x07, 0x01), .rc = -EINVAL },
    { "32: 0x82 is 0x80", .m = 32, B(0x82, 0x07, 0x01), OP(ADD, 3, 1, 4), .dst = MEM(1),
      .src = IMM(1), EA(DS, RDI, NONE, 1, 0), .imm = 1 },
    { "32: 0x40 is inc, not REX", .m = 32, B(0x40, 0x8b, 0x07), .rc = -ENOSYS },
    { "32: swapgs: #UD", .m = 32, B(0x0f, 0x01, 0xf8), .rc = -EINVAL },
    { "lock mov: #UD", B(0xf0, 0x8b, 0x07), .rc = -EINVAL },
    { "lock add to a register: #UD", B(0xf0, 0x01, 0xc0), .rc = -EINVAL },
    { "lock cmp: #UD", B(0xf0, 0x39, 0x07), .rc = -EINVAL },
    { "lock bt: #UD", B(0xf0, 0x0f, 0xa3, 0x07), .rc = -EINVAL },
    { "c7 /1: #UD", B(0xc7, 0x08, 0, 0, 0, 0), .rc = -EINVAL },
    { "fe /2: #UD", B(0xfe, 0x17), .rc = -EINVAL },
    { "ff /7: #UD", B(0xff, 0x3f), .rc = -EINVAL },
    { "0f ba /0: #UD", B(0x0f, 0xba, 0x07, 0x05), .rc = -EINVAL },
    { "call *(%rdi): not decoded", B(0xff, 0x17), .rc = -ENOSYS },
    { "mull (%rdi): not decoded", B(0xf7, 0x27), .rc = -ENOSYS },
    { "xbegin: not decoded", B(0xc7, 0xf8, 0, 0, 0, 0), .rc = -ENOSYS },
    { "vex: not decoded", B(0xc5, 0xf9, 0x6f, 0x07), .rc = -ENOSYS },
    { "16 bytes: #GP", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
      0x66, 0x66, 0x66, 0x89, 0x07), .rc = -E2BIG },
    { "disp32 past 15 bytes: #GP", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
      0x66, 0x89, 0x82, 0xb0, 0, 0, 0), .rc = -E2BIG },
    { "truncated disp32", B(0x89, 0x82, 0xb0, 0), .rc = -EFAULT },
    { "truncated imm32", B(0xc7, 0x05, 0x10, 0, 0, 0, 0x0b), .rc = -EFAULT },
    { "truncated in the prefixes", B(0x66, 0x67), .rc = -EFAULT },
    { "truncated SIB", B(0x8b, 0x04), .rc = -EFAULT },
    { "truncated moffs64", B(0xa1, 0x20, 0, 0xe0, 0xfe), .rc = -EFAULT },
};

static int mode_of(int m)
{
    return m == 16 ? X86_MODE_16 : m == 32 ? X86_MODE_32 : X86_MODE_64;
}

static void check_opnd(const char *what, struct x86_opnd got, struct x86_opnd want)
{
    if (got.kind != want.kind || got.size != want.size ||
        (want.kind == X86_OPND_REG && got.reg != want.reg))
        printf("    %s: got kind %u size %u reg %d, want kind %u size %u reg %d\n", what,
               got.kind, got.size, got.reg, want.kind, want.size, want.reg);
    CHECK_EQ(got.kind, want.kind);
    CHECK_EQ(got.size, want.size);
    if (want.kind == X86_OPND_REG)
        CHECK_EQ(got.reg, want.reg);
}

static void check_one(const struct dcase *c)
{
    struct x86_insn in;
    int before = unit_failed_checks;
    int rc = x86_decode(c->b, c->n, mode_of(c->m), &in);

    CHECK_EQ(rc, c->rc);
    if (rc == 0 && c->rc == 0) {
        CHECK_EQ(in.len, c->len);
        CHECK_EQ(in.op, c->op);
        CHECK_EQ(in.opsize, c->opsize);
        CHECK_EQ(in.addrsize, c->addrsize);
        CHECK_EQ(in.prefixes, c->prefixes);
        check_opnd("dst", in.dst, c->dst);
        check_opnd("src", in.src, c->src);
        if (c->src.kind == X86_OPND_IMM || c->dst.kind == X86_OPND_IMM)
            CHECK_EQ(in.imm, c->imm);
        if (c->check_mem) {
            CHECK_EQ(in.mem.base, c->mem.base);
            CHECK_EQ(in.mem.index, c->mem.index);
            CHECK_EQ(in.mem.scale, c->mem.scale);
            CHECK_EQ(in.mem.seg, c->mem.seg);
            CHECK_EQ(in.mem.rip_rel, c->mem.rip_rel);
            CHECK_EQ(in.mem.disp, c->mem.disp);
        }
        if (c->ext)
            CHECK_EQ(in.ext, c->ext < 0 ? 0 : c->ext);
    }
    if (unit_failed_checks != before)
        printf("    in case \"%s\"\n", c->name);
}

static void test_table(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++)
        check_one(&cases[i]);
    printf("  %zu decoder cases\n", ARRAY_SIZE(cases));
}

/* Every prefix of a valid instruction is reported as truncated, never misdecoded. */
static void test_every_truncation(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct dcase *c = &cases[i];
        if (c->rc)
            continue;
        for (unsigned n = 0; n < c->len; n++) {
            struct x86_insn in;
            int rc = x86_decode(c->b, n, mode_of(c->m), &in);
            if (rc != -EFAULT)
                printf("    \"%s\" cut to %u bytes: rc %d\n", c->name, n, rc);
            CHECK_EQ(rc, -EFAULT);
        }
    }
}

/* The effective address from the recipe: wrap-around at the address size, RIP after
 * the instruction, the signed displacement. */
static void test_effective_address(void)
{
    static const struct {
        const char *name;
        int m;
        uint8_t b[12];
        uint8_t n;
        uint64_t rip, ea;
    } rows[] = {
        { "rip-relative counts from the next insn", 64, B(0xc7, 0x05, 0x10, 0, 0, 0, 1, 0, 0, 0),
          0xffffffff81000000ULL, 0xffffffff8100001aULL },
        { "negative disp8", 64, B(0x8b, 0x47, 0xf0), 0, 0x1000 - 0x10 },
        { "base + index*8 - 8", 64, B(0x4c, 0x8b, 0x54, 0xf3, 0xf8), 0, 0x2000 + 3 * 8 - 8 },
        { "addr32 wraps at 4 GiB", 64, B(0x67, 0x8b, 0x47, 0x10), 0, 0x0000000f },
        { "16-bit bx+si+3 wraps at 64 KiB", 16, B(0x8b, 0x40, 0x03), 0, 0x0005 },
        { "32-bit absolute", 32, B(0x8b, 0x05, 0x10, 0, 0xc0, 0xfe), 0, 0xfec00010 },
    };
    uint64_t gpr[16] = { 0 };

    gpr[X86_REG_RDI] = 0x1000;
    gpr[X86_REG_RBX] = 0x2000;
    gpr[X86_REG_RSI] = 3;
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct x86_insn in;
        uint64_t g[16];
        memcpy(g, gpr, sizeof(g));
        if (rows[i].m == 16) {
            g[X86_REG_RAX] = 0xffff;        /* base BX via rm=0 is bx+si */
            g[X86_REG_RBX] = 0xffff;
        }
        if (rows[i].b[0] == 0x67)
            g[X86_REG_RDI] = 0xffffffffULL;
        CHECK_EQ(x86_decode(rows[i].b, rows[i].n, mode_of(rows[i].m), &in), 0);
        uint64_t ea = x86_insn_ea(&in, g, rows[i].rip);
        if (ea != rows[i].ea)
            printf("    %s: ea %#llx want %#llx\n", rows[i].name, (unsigned long long)ea,
                   (unsigned long long)rows[i].ea);
        CHECK_EQ(ea, rows[i].ea);
    }
}

static const struct unit_case tests[] = {
    { "decode table", test_table },
    { "every truncation is -EFAULT", test_every_truncation },
    { "effective address", test_effective_address },
};
UNIT_MAIN(tests)
