/* The x86 emulator (core/arch/x86/hvm/x86_emulate.c) over a fake guest
 * (x86_emul_fixture.h): Linux's APIC forms, moves and register widths, memory
 * read-modify-writes, exchanges, bit strings, faults that leave state unchanged,
 * fetches at a page end and segment bases. Strings and ports: test_x86_string.c;
 * flags against the host CPU: test_x86_flags.c. */
#include "unit.h"
#include "x86_emul_fixture.h"

#include <hvlab/errno.h>
#include <hvlab/lib.h>

/* Linux's LAPIC write and read: the forms from the decoder table, executed. */
static void test_apic_forms(void)
{
    SETUP(X86_MODE_64, 0x89, 0x82, 0xb0, 0, 0, 0);         /* mov %eax,0xb0(%rdx) */
    RDX = RAM_LA;
    RAX = 0xdeadbeef00000000ULL | 0x12345678;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram32(0xb0), 0x12345678);
    CHECK_EQ(F.nwrites, 1);
    CHECK_EQ(F.regs.rip, CODE_LA + 6);
    CHECK_EQ(F.regs.rflags, 0x2);

    SETUP(X86_MODE_64, 0x8b, 0x87, 0x00, 0x03, 0, 0);      /* mov 0x300(%rdi),%eax */
    RDI = RAM_LA;
    RAX = ~0ULL;
    set_ram32(0x300, 0xfee1dead);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RAX, 0xfee1dead);                              /* upper half cleared */
    CHECK_EQ(F.regs.rip, CODE_LA + 6);

    /* movl $0xb,disp(%rip): the target is RAM_LA + 0x10, from the next RIP */
    {
        int32_t disp = (int32_t)(RAM_LA + 0x10 - (CODE_LA + 10));
        uint8_t code[10] = { 0xc7, 0x05, 0, 0, 0, 0, 0x0b, 0, 0, 0 };
        memcpy(&code[2], &disp, 4);
        emul_setup(X86_MODE_64, code, sizeof(code), 0);
    }
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram32(0x10), 0xb);
    CHECK_EQ(F.regs.rip, CODE_LA + 10);

    SETUP(X86_MODE_64, 0x8b, 0x07);                         /* mov (%rdi),%eax */
    RDI = RAM_LA + 4;
    set_ram32(4, 0x00050014);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RAX, 0x00050014);
}

/* Register writes: 8/16 bits keep the rest, 32 zero-extends, AH is bits 15..8;
 * extending moves sign- or zero-extend from the source size. */
static void test_moves(void)
{
    static const struct {
        const char *name;
        uint8_t code[8];
        uint8_t n;
        uint64_t mem, rax_before, rax_after;
    } rows[] = {
        { "mov (%rdi),%al", { 0x8a, 0x07 }, 2,
          0x80, 0x1111111111111111ULL, 0x1111111111111180ULL },
        { "mov (%rdi),%ah", { 0x8a, 0x27 }, 2,
          0x80, 0x1111111111111111ULL, 0x1111111111118011ULL },
        { "mov (%rdi),%ax", { 0x66, 0x8b, 0x07 }, 3,
          0x8081, 0x1111111111111111ULL, 0x1111111111118081ULL },
        { "mov (%rdi),%eax", { 0x8b, 0x07 }, 2, 0x80818283, ~0ULL, 0x80818283ULL },
        { "mov (%rdi),%rax", { 0x48, 0x8b, 0x07 }, 3,
          0x8081828384858687ULL, 0, 0x8081828384858687ULL },
        { "movzbl (%rdi),%eax", { 0x0f, 0xb6, 0x07 }, 3, 0xf0, ~0ULL, 0xf0 },
        { "movzwl (%rdi),%eax", { 0x0f, 0xb7, 0x07 }, 3, 0xf00f, ~0ULL, 0xf00f },
        { "movsbl (%rdi),%eax", { 0x0f, 0xbe, 0x07 }, 3, 0xf0, ~0ULL, 0xfffffff0ULL },
        { "movsbw (%rdi),%ax", { 0x66, 0x0f, 0xbe, 0x07 }, 4,
          0x80, 0x1111111111111111ULL, 0x111111111111ff80ULL },
        { "movswq (%rdi),%rax", { 0x48, 0x0f, 0xbf, 0x07 }, 4,
          0x8000, 0, 0xffffffffffff8000ULL },
        { "movslq (%rdi),%rax", { 0x48, 0x63, 0x07 }, 3,
          0x80000000, 0, 0xffffffff80000000ULL },
        { "movslq positive", { 0x48, 0x63, 0x07 }, 3, 0x7fffffff, ~0ULL, 0x7fffffffULL },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        int before = unit_failed_checks;
        emul_setup(X86_MODE_64, rows[i].code, rows[i].n, 0);
        RDI = RAM_LA;
        set_ram64(0, rows[i].mem);
        RAX = rows[i].rax_before;
        CHECK_EQ(emul_run(), X86EMUL_OKAY);
        CHECK_EQ(RAX, rows[i].rax_after);
        CHECK_EQ(F.regs.rip, CODE_LA + rows[i].n);
        if (unit_failed_checks != before)
            printf("    in row \"%s\"\n", rows[i].name);
    }
    SETUP(X86_MODE_64, 0xa1, 0x10, 0x01, 0x10, 0, 0, 0, 0, 0);   /* mov 0x100110,%eax */
    set_ram32(0x110, 0xabcd);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RAX, 0xabcd);
    CHECK_EQ(F.regs.rip, CODE_LA + 9);
    SETUP(X86_MODE_64, 0x8a, 0x62, 0x01);                   /* mov 1(%rdx),%ah */
    RDX = RAM_LA;
    F.ram[1] = 0x5a;
    RAX = 0x1234;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RAX, 0x5a34);
    /* stores: movw $imm keeps the bytes around it; movq $-2 sign-extends imm32 */
    SETUP(X86_MODE_64, 0x66, 0xc7, 0x47, 0x02, 0x34, 0x12);
    RDI = RAM_LA;
    set_ram64(0, 0x8888888888888888ULL);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram64(0), 0x8888888812348888ULL);
    SETUP(X86_MODE_64, 0x48, 0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff);
    RDI = RAM_LA;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram64(0), 0xfffffffffffffffeULL);
}

/* Read-modify-write forms on memory, flags included. */
static void test_rmw(void)
{
    SETUP(X86_MODE_64, 0xf0, 0x83, 0x0f, 0x01);             /* lock orl $1,(%rdi) */
    RDI = RAM_LA;
    set_ram32(0, 0x80000000);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram32(0), 0x80000001);
    CHECK_EQ(F.regs.rflags & FL_ARITH, FL_SF);
    SETUP(X86_MODE_64, 0x83, 0x27, 0xfe);                   /* andl $-2,(%rdi) */
    RDI = RAM_LA;
    set_ram32(0, 1);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram32(0), 0);
    CHECK_EQ(F.regs.rflags & FL_ARITH, FL_ZF | FL_PF);
    SETUP(X86_MODE_64, 0xff, 0x07);                         /* incl (%rdi), CF kept */
    RDI = RAM_LA;
    F.regs.rflags |= FL_CF;
    set_ram32(0, 0x7fffffff);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram32(0), 0x80000000);
    CHECK_EQ(F.regs.rflags & FL_ARITH, FL_CF | FL_OF | FL_SF | FL_AF | FL_PF);
    SETUP(X86_MODE_64, 0x85, 0x07);                         /* test %eax,(%rdi): no write */
    RDI = RAM_LA;
    RAX = 0xf0;
    set_ram32(0, 0x0f);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(F.nwrites, 0);
    CHECK_EQ(F.regs.rflags & FL_ARITH, FL_ZF | FL_PF);
    SETUP(X86_MODE_64, 0xf7, 0x17);                         /* notl (%rdi): no flags */
    RDI = RAM_LA;
    F.regs.rflags |= FL_ZF;
    set_ram32(0, 0x0f0f0f0f);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram32(0), 0xf0f0f0f0);
    CHECK_EQ(F.regs.rflags & FL_ARITH, FL_ZF);
    /* a write that asks to retry commits nothing: flags and RIP stay */
    SETUP(X86_MODE_64, 0x01, 0x07);                         /* add %eax,(%rdi) */
    RDI = RAM_LA;
    RAX = 1;
    set_ram32(0, 0xffffffff);
    F.budget = 1;                                           /* the read passes */
    CHECK_EQ(emul_run(), X86EMUL_RETRY);
    CHECK_EQ(ram32(0), 0xffffffff);
    CHECK_EQ(F.regs.rflags, 0x2);
    CHECK_EQ(F.regs.rip, CODE_LA);
}

static void test_xchg_cmpxchg(void)
{
    SETUP(X86_MODE_64, 0x87, 0x07);                         /* xchg %eax,(%rdi) */
    RDI = RAM_LA;
    RAX = 0xffffffff00000001ULL;
    set_ram32(0, 2);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RAX, 2);
    CHECK_EQ(ram32(0), 1);
    /* success: ZF, memory takes the source */
    SETUP(X86_MODE_64, 0xf0, 0x0f, 0xb1, 0x17);             /* lock cmpxchg %edx,(%rdi) */
    RDI = RAM_LA;
    RAX = 5;
    RDX = 9;
    set_ram32(0, 5);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram32(0), 9);
    CHECK_EQ(RAX, 5);
    CHECK_EQ(F.regs.rflags & FL_ARITH, FL_ZF | FL_PF);
    /* failure: the accumulator takes memory, flags of accumulator - memory */
    SETUP(X86_MODE_64, 0xf0, 0x0f, 0xb1, 0x17);
    RDI = RAM_LA;
    RAX = 4;
    RDX = 9;
    set_ram32(0, 5);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram32(0), 5);
    CHECK_EQ(RAX, 5);
    CHECK_EQ(F.nwrites, 0);
    CHECK_EQ(F.regs.rflags & FL_ARITH, FL_CF | FL_SF | FL_AF | FL_PF);
}

/* BT* on memory: a register offset addresses a bit string (negative too); an
 * immediate is taken modulo the operand width. */
static void test_bitops(void)
{
    static const struct {
        const char *name;
        uint8_t code[5];
        uint8_t n;
        uint64_t rax;           /* bit offset register */
        unsigned word;          /* 32-bit word of RAM (from RDI = RAM + 0x100) touched */
        uint32_t before, after;
        bool cf;
    } rows[] = {
        { "bt %eax,(%rdi) bit 3", { 0x0f, 0xa3, 0x07 }, 3, 3, 0, 0x8, 0x8, true },
        { "bt %eax,(%rdi) bit 35 is word 1 bit 3", { 0x0f, 0xa3, 0x07 }, 3,
          35, 1, 0x8, 0x8, true },
        { "bts %eax,(%rdi) bit -1 is word -1 bit 31", { 0x0f, 0xab, 0x07 }, 3,
          (uint32_t)-1, (unsigned)-1, 0, 0x80000000, false },
        { "btr %eax,(%rdi)", { 0x0f, 0xb3, 0x07 }, 3, 4, 0, 0x30, 0x20, true },
        { "btc %eax,(%rdi)", { 0x0f, 0xbb, 0x07 }, 3, 0, 0, 0x0, 0x1, false },
        { "btsl $0x25,(%rdi): modulo 32", { 0x0f, 0xba, 0x2f, 0x25 }, 4,
          0, 0, 0x0, 0x20, false },
        { "btrl $0x1f,(%rdi)", { 0x0f, 0xba, 0x37, 0x1f }, 4, 0, 0, 0x80000001, 1, true },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        int before = unit_failed_checks;
        uint64_t off = 0x100 + (uint64_t)(int64_t)(int)rows[i].word * 4;
        emul_setup(X86_MODE_64, rows[i].code, rows[i].n, 0);
        RDI = RAM_LA + 0x100;
        RAX = rows[i].rax;
        F.regs.rflags |= FL_ZF;             /* BT* leave everything but CF alone */
        set_ram32(off, rows[i].before);
        CHECK_EQ(emul_run(), X86EMUL_OKAY);
        CHECK_EQ(ram32(off), rows[i].after);
        CHECK_EQ(F.regs.rflags & FL_ARITH, FL_ZF | (rows[i].cf ? FL_CF : 0));
        if (unit_failed_checks != before)
            printf("    in row \"%s\"\n", rows[i].name);
    }
}

/* Faults leave registers and RIP as they were and say what to inject. */
static void test_faults(void)
{
    SETUP(X86_MODE_64, 0x8b, 0x07);                         /* mov (%rdi),%eax */
    RDI = 0x5000;                                           /* not RAM: #PF */
    RAX = 3;
    CHECK_EQ(emul_run(), X86EMUL_EXCEPTION);
    CHECK_EQ(F.ctx.fault.vector, X86_EXC_PF);
    CHECK_EQ(F.ctx.fault.cr2, 0x5000);
    CHECK_EQ(RAX, 3);
    CHECK_EQ(F.regs.rip, CODE_LA);
    SETUP(X86_MODE_64, 0x8b, 0x07);
    RDI = 0x0000800000000000ULL;                            /* non-canonical: #GP(0) */
    CHECK_EQ(emul_run(), X86EMUL_EXCEPTION);
    CHECK_EQ(F.ctx.fault.vector, X86_EXC_GP);
    CHECK_EQ(F.ctx.fault.has_error_code, 1);
    CHECK_EQ(F.ctx.fault.error_code, 0);
    SETUP(X86_MODE_64, 0x8b, 0x45, 0x00);                   /* mov 0(%rbp),%eax: #SS */
    F.regs.gpr[X86_REG_RBP] = 0x8000000000000000ULL;
    CHECK_EQ(emul_run(), X86EMUL_EXCEPTION);
    CHECK_EQ(F.ctx.fault.vector, X86_EXC_SS);
    SETUP(X86_MODE_64, 0x0f, 0x0b);                         /* ud2 */
    CHECK_EQ(emul_run(), X86EMUL_EXCEPTION);
    CHECK_EQ(F.ctx.fault.vector, X86_EXC_UD);
    CHECK_EQ(F.ctx.fault.has_error_code, 0);
    SETUP(X86_MODE_64, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
          0x66, 0x66, 0x66, 0x89, 0x07);                    /* 16 bytes: #GP(0) */
    CHECK_EQ(emul_run(), X86EMUL_EXCEPTION);
    CHECK_EQ(F.ctx.fault.vector, X86_EXC_GP);
    SETUP(X86_MODE_64, 0x0f, 0xa2);                         /* cpuid: not ours */
    CHECK_EQ(emul_run(), X86EMUL_UNHANDLEABLE);
    CHECK_EQ(F.regs.rip, CODE_LA);
}

/* An instruction that ends on the last byte of a page runs although the next page is
 * not mapped; one that crosses into it faults on the fetch there. */
static void test_fetch_page_end(void)
{
    static const uint8_t mov[] = { 0x8b, 0x07 }, movl[] = { 0xc7, 0x07, 1, 0, 0, 0 };

    emul_setup(X86_MODE_64, mov, sizeof(mov), 0x1000 - 2);
    RDI = RAM_LA;
    set_ram32(0, 42);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RAX, 42);
    CHECK_EQ(F.regs.rip, CODE_LA + 0x1000);
    emul_setup(X86_MODE_64, movl, 4, 0x1000 - 4);                /* the imm32 crosses */
    RDI = RAM_LA;
    CHECK_EQ(emul_run(), X86EMUL_EXCEPTION);
    CHECK_EQ(F.ctx.fault.vector, X86_EXC_PF);
    CHECK_EQ(F.ctx.fault.cr2, CODE_LA + 0x1000);
    CHECK_EQ(ram32(0), 0);
}

/* Segment bases outside 64-bit mode, FS/GS in it; 16-bit IP wraps. */
static void test_segments(void)
{
    SETUP(X86_MODE_32, 0x89, 0x15, 0xb0, 0, 0, 0);          /* mov %edx,0xb0 */
    F.regs.seg_base[X86_SEG_DS] = RAM_LA;
    RDX = 0xcafe;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram32(0xb0), 0xcafe);
    SETUP(X86_MODE_64, 0x65, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0);  /* mov %gs:0x10,%eax */
    F.regs.seg_base[X86_SEG_GS] = RAM_LA;
    F.regs.seg_base[X86_SEG_DS] = 0x999;                    /* ignored in 64-bit mode */
    set_ram32(0x10, 0x600d);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RAX, 0x600d);
    SETUP(X86_MODE_16, 0x89, 0x46, 0xfe);                   /* mov %ax,-2(%bp): SS */
    F.regs.seg_base[X86_SEG_SS] = RAM_LA;
    F.regs.seg_base[X86_SEG_DS] = 0;
    F.regs.gpr[X86_REG_RBP] = 0x10;
    RAX = 0x4321;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(F.ram[0xe] | F.ram[0xf] << 8, 0x4321);
    CHECK_EQ(F.regs.rip, CODE_LA + 3);
}

static const struct unit_case tests[] = {
    { "Linux LAPIC/IOAPIC forms", test_apic_forms },
    { "moves and register widths", test_moves },
    { "read-modify-write", test_rmw },
    { "xchg and cmpxchg", test_xchg_cmpxchg },
    { "bit operations", test_bitops },
    { "faults leave state", test_faults },
    { "fetch at a page end", test_fetch_page_end },
    { "segments", test_segments },
};
UNIT_MAIN(tests)
