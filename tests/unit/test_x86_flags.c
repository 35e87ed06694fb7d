/* Arithmetic flags of the x86 emulator (core/arch/x86/hvm/x86_emulate.c) against the
 * host CPU: every ALU operation, at every operand size, over edge values and a fixed
 * pseudo-random sample, with CF in and out, is executed natively (inline asm, flags
 * read back with LAHF/SETO) and emulated from the register form's bytes. The result
 * and CF PF AF ZF SF OF must match, except AF after AND/OR/XOR/TEST, which the
 * manuals leave undefined. */
#include "unit.h"

#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/x86/emulate.h>

#define FL_CF 0x1
#define FL_AF 0x10
#define FL_OF 0x800
#define FL_ARITH 0x8d5

/* The host's answer: result, and flags as RFLAGS bits. CF is loaded from cin first. */
typedef uint64_t (*native_fn)(uint64_t d, uint64_t s, unsigned cin, uint64_t *fl);

#define NATIVE(name, mnem, T, operands)                                         \
static uint64_t name(uint64_t d, uint64_t s, unsigned cin, uint64_t *fl)        \
{                                                                               \
    T dd = (T)d, ss = (T)s;                                                     \
    uint16_t ax;                                                                \
    (void)ss;                                                                   \
    __asm__ volatile("bt $0, %k[cin]\n\t" mnem " " operands "\n\t"              \
                     "lahf\n\tseto %%al"                                        \
                     : [d] "+q"(dd), "=&a"(ax) : [s] "q"(ss), [cin] "r"(cin) : "cc"); \
    *fl = (ax >> 8) | (ax & 1 ? FL_OF : 0);                                     \
    return (uint64_t)dd;                                                        \
}
#define BIN "%[s], %[d]"
#define UN  "%[d]"
#define SIZES(op, mnem, operands) \
    NATIVE(n_##op##8, mnem, uint8_t, operands) NATIVE(n_##op##16, mnem, uint16_t, operands) \
    NATIVE(n_##op##32, mnem, uint32_t, operands) NATIVE(n_##op##64, mnem, uint64_t, operands)

SIZES(add, "add", BIN) SIZES(or, "or", BIN) SIZES(adc, "adc", BIN) SIZES(sbb, "sbb", BIN)
SIZES(and, "and", BIN) SIZES(sub, "sub", BIN) SIZES(xor, "xor", BIN) SIZES(cmp, "cmp", BIN)
SIZES(test, "test", BIN) SIZES(inc, "inc", UN) SIZES(dec, "dec", UN) SIZES(neg, "neg", UN)

struct flag_op {
    const char *name;
    uint8_t op;                 /* X86_OP_* */
    uint8_t code[3];            /* byte-size opcode form on %al/%cl, then the full-size one */
    uint8_t n;
    native_fn fn[4];            /* sizes 1, 2, 4, 8 */
    bool writes;
    bool af_undefined;
};

#define FNS(op) { n_##op##8, n_##op##16, n_##op##32, n_##op##64 }
/* Register forms: dst %al/%ax/%eax/%rax, src %cl/...; the low opcode bit picks byte or
 * full size (set for the full-size encodings below). */
static const struct flag_op ops[] = {
    { "add", X86_OP_ADD, { 0x00, 0xc8 }, 2, FNS(add), true, false },
    { "or",  X86_OP_OR,  { 0x08, 0xc8 }, 2, FNS(or),  true, true },
    { "adc", X86_OP_ADC, { 0x10, 0xc8 }, 2, FNS(adc), true, false },
    { "sbb", X86_OP_SBB, { 0x18, 0xc8 }, 2, FNS(sbb), true, false },
    { "and", X86_OP_AND, { 0x20, 0xc8 }, 2, FNS(and), true, true },
    { "sub", X86_OP_SUB, { 0x28, 0xc8 }, 2, FNS(sub), true, false },
    { "xor", X86_OP_XOR, { 0x30, 0xc8 }, 2, FNS(xor), true, true },
    { "cmp", X86_OP_CMP, { 0x38, 0xc8 }, 2, FNS(cmp), false, false },
    { "test", X86_OP_TEST, { 0x84, 0xc8 }, 2, FNS(test), false, true },
    { "inc", X86_OP_INC, { 0xfe, 0xc0 }, 2, FNS(inc), true, false },
    { "dec", X86_OP_DEC, { 0xfe, 0xc8 }, 2, FNS(dec), true, false },
    { "neg", X86_OP_NEG, { 0xf6, 0xd8 }, 2, FNS(neg), true, false },
};

/* Callbacks that must never run: register forms touch no memory and no port. */
static int no_mem(struct x86_emul_ctx *c, uint64_t la, void *b, unsigned n)
{
    printf("    unexpected memory access at %#llx\n", (unsigned long long)la);
    unit_failed_checks++;
    return X86EMUL_UNHANDLEABLE;
}

static int no_write(struct x86_emul_ctx *c, uint64_t la, const void *b, unsigned n)
{
    return no_mem(c, la, (void *)b, n);
}

static const struct x86_emul_ops ops_none = { no_mem, no_write, no_mem, NULL, NULL, NULL };

static uint64_t lcg_state = 0x9e3779b97f4a7c15ULL;
static uint64_t lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lcg_state ^ (lcg_state >> 29);
}

static unsigned compared;

/* One operation at one size on (d, s, cin): 1 if emulation and the CPU agree. */
static bool compare_one(const struct flag_op *o, unsigned size, uint64_t d, uint64_t s,
                        unsigned cin)
{
    static const unsigned sizes[4] = { 1, 2, 4, 8 };
    uint8_t code[4];
    unsigned n = 0, si = 0;
    struct x86_regs regs = { .mode = X86_MODE_64, .rflags = 0x2 | cin };
    struct x86_emul_ctx c = { .regs = &regs, .ops = &ops_none };
    uint64_t nfl, nres, mask = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
    uint64_t care = FL_ARITH & ~(o->af_undefined ? FL_AF : 0);

    while (sizes[si] != size)
        si++;
    if (size == 2)
        code[n++] = 0x66;
    if (size == 8)
        code[n++] = 0x48;
    code[n++] = (uint8_t)(o->code[0] | (size > 1));
    code[n++] = o->code[1];
    nres = o->fn[si](d, s, cin, &nfl);
    regs.gpr[X86_REG_RAX] = d;
    regs.gpr[X86_REG_RCX] = s;
    if (x86_decode(code, n, X86_MODE_64, &c.insn) != 0 || c.insn.op != o->op) {
        printf("    %s size %u: decode failed\n", o->name, size);
        return false;
    }
    if (x86_emulate_insn(&c) != X86EMUL_OKAY)
        return false;
    compared++;
    if ((regs.gpr[X86_REG_RAX] & mask) != (o->writes ? nres & mask : d & mask) ||
        (regs.rflags & care) != (nfl & care)) {
        printf("    %s size %u d %#llx s %#llx cf %u: emulated %#llx flags %#llx, cpu %#llx "
               "flags %#llx\n", o->name, size, (unsigned long long)(d & mask),
               (unsigned long long)(s & mask), cin,
               (unsigned long long)(regs.gpr[X86_REG_RAX] & mask),
               (unsigned long long)(regs.rflags & care), (unsigned long long)(nres & mask),
               (unsigned long long)(nfl & care));
        return false;
    }
    return true;
}

static void test_against_cpu(void)
{
    static const uint64_t edges[] = {
        0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
        0x80000000, 0xffffffff, 0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
        0x5555555555555555ULL, 0xaaaaaaaaaaaaaaaaULL,
    };
    unsigned bad = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(ops); i++) {
        for (unsigned size = 1; size <= 8; size *= 2) {
            for (unsigned a = 0; a < ARRAY_SIZE(edges); a++)
                for (unsigned b = 0; b < ARRAY_SIZE(edges); b++)
                    for (unsigned cin = 0; cin < 2; cin++)
                        bad += !compare_one(&ops[i], size, edges[a], edges[b], cin);
            for (unsigned k = 0; k < 500; k++) {
                uint64_t d = lcg(), s = lcg();
                bad += !compare_one(&ops[i], size, d, s, k & 1);
            }
            if (bad > 20)
                break;
        }
    }
    CHECK_EQ(bad, 0);
    printf("  %u operations compared with the CPU\n", compared);
}

/* Group 1 immediates (83: sign-extended imm8) reach the same ALU: a few by hand. */
static void test_imm_forms(void)
{
    static const struct {
        const char *name;
        uint8_t code[8];
        uint8_t n;
        uint64_t rax, want, flags;
    } rows[] = {
        { "add $-1,%eax from 1", { 0x83, 0xc0, 0xff }, 3, 1, 0, 0x55 },   /* CF PF AF ZF */
        { "cmp $0x7f,%al at 0x80", { 0x3c, 0x7f }, 2, 0x80, 0x80, 0x810 }, /* OF AF */
        { "sub $1,%rax from 0", { 0x48, 0x83, 0xe8, 0x01 }, 4, 0, ~0ULL, 0x95 },
        { "and $0x7fff,%ax", { 0x66, 0x25, 0xff, 0x7f }, 4, 0x18000, 0x10000, 0x44 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct x86_regs regs = { .mode = X86_MODE_64, .rflags = 0x2 };
        struct x86_emul_ctx c = { .regs = &regs, .ops = &ops_none };
        int before = unit_failed_checks;
        regs.gpr[X86_REG_RAX] = rows[i].rax;
        CHECK_EQ(x86_decode(rows[i].code, rows[i].n, X86_MODE_64, &c.insn), 0);
        CHECK_EQ(x86_emulate_insn(&c), X86EMUL_OKAY);
        CHECK_EQ(regs.gpr[X86_REG_RAX], rows[i].want);
        CHECK_EQ(regs.rflags & FL_ARITH, rows[i].flags);
        CHECK_EQ(regs.rip, rows[i].n);
        if (unit_failed_checks != before)
            printf("    in row \"%s\"\n", rows[i].name);
    }
}

static const struct unit_case tests[] = {
    { "flags against the CPU", test_against_cpu },
    { "immediate forms", test_imm_forms },
};
UNIT_MAIN(tests)
