/* x86 instruction decoder: prefixes, ModRM/SIB, the entry point. See
 * <hvlab/x86/emulate.h>; the opcode maps are in x86_decode_maps.c.
 *
 * Design: prefixes, then REX (64-bit mode, only when it is the last prefix), then the
 * opcode through one switch per map; ModRM/SIB/displacement are decoded into an
 * effective-address recipe (struct x86_mem) rather than an address, so the decoder
 * needs no guest state and the same result serves every register value. Coverage is
 * what a kernel does to device memory and ports (moves, ALU read-modify-writes, bit
 * operations, string and port I/O) plus the system instructions SVM intercepts, so the
 * caller can compute their length (hvlab has no next-RIP save).
 *
 * Operands: dst and src are explicit operands in Intel order. String instructions have
 * none: their memory operand is insn->mem (the source rSI for MOVS/LODS/OUTS with the
 * segment the prefixes name; the destination ES:rDI for STOS/INS) and MOVS's
 * destination is ES:rDI. Ports are an IMM (imm8) or REG rDX operand.
 *
 * Limitations: no VEX/EVEX, x87, SSE, control transfers, shifts or MUL/DIV
 * (-ENOSYS); segment limits are the emulator's caller's business.
 *
 * Locking: none; pure function. */
#include <hvlab/errno.h>
#include <hvlab/x86/emulate.h>
#include "x86_decode_priv.h"

int x86_dec_byte(struct x86_dec *d, uint8_t *out)
{
    if (d->pos >= X86_MAX_INSN_LEN)
        return -E2BIG;
    if (d->pos >= d->avail)
        return -EFAULT;
    *out = d->bytes[d->pos++];
    return 0;
}

int x86_dec_imm(struct x86_dec *d, unsigned size, bool sign, uint64_t *out)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        uint8_t b;
        int rc = x86_dec_byte(d, &b);
        if (rc)
            return rc;
        v |= (uint64_t)b << (8 * i);
    }
    if (sign && size < 8 && (v >> (8 * size - 1)) & 1)
        v |= ~0ULL << (8 * size);
    *out = v;
    return 0;
}


static int dec_modrm16(struct x86_dec *d, struct x86_insn *in, unsigned mod, unsigned rm)
{
    static const int8_t base[8] = { X86_REG_RBX, X86_REG_RBX, X86_REG_RBP, X86_REG_RBP,
                                    X86_REG_RSI, X86_REG_RDI, X86_REG_RBP, X86_REG_RBX };
    static const int8_t index[8] = { X86_REG_RSI, X86_REG_RDI, X86_REG_RSI, X86_REG_RDI,
                                     X86_REG_NONE, X86_REG_NONE, X86_REG_NONE,
                                     X86_REG_NONE };
    uint64_t disp = 0;
    int rc = 0;

    in->mem.base = base[rm];
    in->mem.index = index[rm];
    if (mod == 0 && rm == 6) {
        in->mem.base = X86_REG_NONE;
        rc = x86_dec_imm(d, 2, true, &disp);
    } else if (mod == 1) {
        rc = x86_dec_imm(d, 1, true, &disp);
    } else if (mod == 2) {
        rc = x86_dec_imm(d, 2, true, &disp);
    }
    in->mem.disp = (int64_t)disp;
    if (in->mem.base == X86_REG_RBP)
        in->mem.seg = X86_SEG_SS;
    return rc;
}


static int dec_modrm32(struct x86_dec *d, struct x86_insn *in, unsigned mod, unsigned rm)
{
    unsigned rex_b = in->rex & 1 ? 8 : 0, rex_x = in->rex & 2 ? 8 : 0;
    uint64_t disp = 0;
    int rc = 0;

    in->mem.base = (int8_t)(rm | rex_b);
    if (rm == 4) {
        unsigned idx, b;
        if ((rc = x86_dec_byte(d, &in->sib)))
            return rc;
        idx = ((in->sib >> 3) & 7) | rex_x;
        b = in->sib & 7;
        in->mem.scale = 1 << (in->sib >> 6);
        in->mem.index = idx == 4 ? X86_REG_NONE : (int8_t)idx;
        in->mem.base = (int8_t)(b | rex_b);
        if (b == 5 && mod == 0) {
            in->mem.base = X86_REG_NONE;
            rc = x86_dec_imm(d, 4, true, &disp);
        }
    } else if (rm == 5 && mod == 0) {
        in->mem.base = X86_REG_NONE;
        in->mem.rip_rel = d->mode == X86_MODE_64;
        rc = x86_dec_imm(d, 4, true, &disp);
    }
    if (!rc && mod == 1)
        rc = x86_dec_imm(d, 1, true, &disp);
    else if (!rc && mod == 2)
        rc = x86_dec_imm(d, 4, true, &disp);
    in->mem.disp = (int64_t)disp;
    if (in->mem.base == X86_REG_RSP || in->mem.base == X86_REG_RBP)
        in->mem.seg = X86_SEG_SS;
    return rc;
}

/* The segment is the default one for the base register unless overridden. */
int x86_dec_modrm(struct x86_dec *d, struct x86_insn *in)
{
    unsigned mod, rm;
    uint8_t seg = in->mem.seg;
    int rc = x86_dec_byte(d, &in->modrm);

    if (rc)
        return rc;
    mod = in->modrm >> 6;
    rm = in->modrm & 7;
    in->ext = (in->modrm >> 3) & 7;
    d->modrm_reg = mod == 3;
    if (mod == 3)
        return 0;
    in->mem.seg = X86_SEG_DS;
    rc = in->addrsize == 2 ? dec_modrm16(d, in, mod, rm) : dec_modrm32(d, in, mod, rm);
    if (in->prefixes & X86_PFX_SEG)
        in->mem.seg = seg;
    return rc;
}

/* What LOCK may prefix: read-modify-writes of memory (CMP and TEST write nothing). */
static bool lock_ok(const struct x86_insn *in)
{
    switch (in->op) {
    case X86_OP_ADD: case X86_OP_OR: case X86_OP_ADC: case X86_OP_SBB:
    case X86_OP_AND: case X86_OP_SUB: case X86_OP_XOR: case X86_OP_INC:
    case X86_OP_DEC: case X86_OP_NOT: case X86_OP_NEG: case X86_OP_XCHG:
    case X86_OP_CMPXCHG: case X86_OP_BTS: case X86_OP_BTR: case X86_OP_BTC:
        return in->dst.kind == X86_OPND_MEM;
    case X86_OP_MOV_FROM_CR: case X86_OP_MOV_TO_CR:
        return true;                    /* AMD: LOCK MOV CR0 is CR8 */
    default:
        return false;
    }
}

/* Legacy prefixes, then REX: a REX followed by anything but the opcode is ignored. */
static int dec_prefixes(struct x86_dec *d, struct x86_insn *in, uint8_t *opc)
{
    static const uint8_t seg_of[8] = { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS };

    for (;;) {
        int rc = x86_dec_byte(d, opc);
        if (rc)
            return rc;
        switch (*opc) {
        case 0x26: case 0x2e: case 0x36: case 0x3e:
            in->rex = 0;
            if (d->mode == X86_MODE_64)
                continue;           /* ignored in 64-bit mode: every base is 0 */
            in->prefixes |= X86_PFX_SEG;
            in->mem.seg = seg_of[(*opc >> 3) & 3];
            continue;
        case 0x64: case 0x65:
            in->rex = 0;
            in->prefixes |= X86_PFX_SEG;
            in->mem.seg = *opc == 0x64 ? X86_SEG_FS : X86_SEG_GS;
            continue;
        case 0x66: in->rex = 0; in->prefixes |= X86_PFX_OPSIZE; continue;
        case 0x67: in->rex = 0; in->prefixes |= X86_PFX_ADDRSIZE; continue;
        case 0xf0: in->rex = 0; in->prefixes |= X86_PFX_LOCK; continue;
        case 0xf2:
            in->rex = 0;
            in->prefixes = (uint8_t)((in->prefixes & ~X86_PFX_REP) | X86_PFX_REPNE);
            continue;
        case 0xf3:
            in->rex = 0;
            in->prefixes = (uint8_t)((in->prefixes & ~X86_PFX_REPNE) | X86_PFX_REP);
            continue;
        default:
            if (d->mode == X86_MODE_64 && (*opc & 0xf0) == 0x40) {
                in->rex = *opc;
                continue;
            }
            return 0;
        }
    }
}


static void set_sizes(struct x86_insn *in, enum x86_mode mode)
{
    bool o = in->prefixes & X86_PFX_OPSIZE, a = in->prefixes & X86_PFX_ADDRSIZE;

    switch (mode) {
    case X86_MODE_16:
        in->opsize = o ? 4 : 2;
        in->addrsize = a ? 4 : 2;
        break;
    case X86_MODE_32:
        in->opsize = o ? 2 : 4;
        in->addrsize = a ? 2 : 4;
        break;
    default:
        in->opsize = in->rex & 8 ? 8 : o ? 2 : 4;
        in->addrsize = a ? 4 : 8;
        break;
    }
}


int x86_decode(const uint8_t *bytes, size_t len, enum x86_mode mode, struct x86_insn *in)
{
    struct x86_dec d = { bytes, len, 0, mode, false };
    uint8_t opc;
    int rc;

    *in = (struct x86_insn){ 0 };
    in->mem.base = in->mem.index = X86_REG_NONE;
    in->mem.scale = 1;
    in->mem.seg = X86_SEG_DS;
    if ((rc = dec_prefixes(&d, in, &opc)))
        return rc;
    set_sizes(in, mode);
    in->opcode = opc;
    if (opc == 0x0f) {
        if ((rc = x86_dec_byte(&d, &opc)))
            return rc;
        in->opcode = (uint16_t)(0x0f00 | opc);
        rc = x86_dec_map2(&d, in, opc);
    } else {
        rc = x86_dec_map1(&d, in, opc);
    }
    if (rc)
        return rc;
    if ((in->prefixes & X86_PFX_LOCK) && !lock_ok(in))
        return -EINVAL;
    in->len = (uint8_t)d.pos;
    return 0;
}


uint64_t x86_insn_ea(const struct x86_insn *in, const uint64_t gpr[16], uint64_t rip)
{
    uint64_t ea = (uint64_t)in->mem.disp;

    if (in->mem.base != X86_REG_NONE)
        ea += gpr[in->mem.base];
    if (in->mem.index != X86_REG_NONE)
        ea += gpr[in->mem.index] * in->mem.scale;
    if (in->mem.rip_rel)
        ea += rip + in->len;
    return ea & size_mask(in->addrsize);
}
