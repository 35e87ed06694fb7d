/* x86 instruction decoder. See <hvlab/x86/emulate.h>.
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

struct dec {
    const uint8_t *bytes;
    size_t avail;
    size_t pos;
    enum x86_mode mode;
    bool modrm_reg;         /* ModRM names a register (mod == 3) */
};

static int dec_byte(struct dec *d, uint8_t *out)
{
    if (d->pos >= X86_MAX_INSN_LEN)
        return -E2BIG;
    if (d->pos >= d->avail)
        return -EFAULT;
    *out = d->bytes[d->pos++];
    return 0;
}

/* Little-endian, size bytes, sign-extended to 64 bits when sign. */
static int dec_imm(struct dec *d, unsigned size, bool sign, uint64_t *out)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        uint8_t b;
        int rc = dec_byte(d, &b);
        if (rc)
            return rc;
        v |= (uint64_t)b << (8 * i);
    }
    if (sign && size < 8 && (v >> (8 * size - 1)) & 1)
        v |= ~0ULL << (8 * size);
    *out = v;
    return 0;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static int dec_modrm16(struct dec *d, struct x86_insn *in, unsigned mod, unsigned rm)
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
        rc = dec_imm(d, 2, true, &disp);
    } else if (mod == 1) {
        rc = dec_imm(d, 1, true, &disp);
    } else if (mod == 2) {
        rc = dec_imm(d, 2, true, &disp);
    }
    in->mem.disp = (int64_t)disp;
    if (in->mem.base == X86_REG_RBP)
        in->mem.seg = X86_SEG_SS;
    return rc;
}

static int dec_modrm32(struct dec *d, struct x86_insn *in, unsigned mod, unsigned rm)
{
    unsigned rex_b = in->rex & 1 ? 8 : 0, rex_x = in->rex & 2 ? 8 : 0;
    uint64_t disp = 0;
    int rc = 0;

    in->mem.base = (int8_t)(rm | rex_b);
    if (rm == 4) {
        unsigned idx, b;
        if ((rc = dec_byte(d, &in->sib)))
            return rc;
        idx = ((in->sib >> 3) & 7) | rex_x;
        b = in->sib & 7;
        in->mem.scale = 1 << (in->sib >> 6);
        in->mem.index = idx == 4 ? X86_REG_NONE : (int8_t)idx;
        in->mem.base = (int8_t)(b | rex_b);
        if (b == 5 && mod == 0) {
            in->mem.base = X86_REG_NONE;
            rc = dec_imm(d, 4, true, &disp);
        }
    } else if (rm == 5 && mod == 0) {
        in->mem.base = X86_REG_NONE;
        in->mem.rip_rel = d->mode == X86_MODE_64;
        rc = dec_imm(d, 4, true, &disp);
    }
    if (!rc && mod == 1)
        rc = dec_imm(d, 1, true, &disp);
    else if (!rc && mod == 2)
        rc = dec_imm(d, 4, true, &disp);
    in->mem.disp = (int64_t)disp;
    if (in->mem.base == X86_REG_RSP || in->mem.base == X86_REG_RBP)
        in->mem.seg = X86_SEG_SS;
    return rc;
}

/* ModRM and what follows it; the segment is the default one unless overridden. */
static int dec_modrm(struct dec *d, struct x86_insn *in)
{
    unsigned mod, rm;
    uint8_t seg = in->mem.seg;
    int rc = dec_byte(d, &in->modrm);

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

/* A general-purpose register operand of size bytes: encodings 4..7 of a byte register
 * are AH..BH unless a REX prefix is present. */
static struct x86_opnd opnd_reg(const struct x86_insn *in, unsigned num, unsigned size)
{
    struct x86_opnd o = { X86_OPND_REG, (uint8_t)size, (int8_t)num };

    if (size == 1 && !in->rex && num >= 4 && num < 8)
        o.reg = (int8_t)(X86_REG_AH + num - 4);
    return o;
}

/* The ModRM.rm operand (E in Intel's tables). */
static struct x86_opnd opnd_e(const struct dec *d, const struct x86_insn *in, unsigned size)
{
    struct x86_opnd o = { X86_OPND_MEM, (uint8_t)size, X86_REG_NONE };

    if (d->modrm_reg)
        return opnd_reg(in, (in->modrm & 7) | (in->rex & 1 ? 8 : 0), size);
    return o;
}

/* The ModRM.reg operand (G). */
static struct x86_opnd opnd_g(const struct x86_insn *in, unsigned size)
{
    return opnd_reg(in, ((in->modrm >> 3) & 7) | (in->rex & 4 ? 8 : 0), size);
}

static struct x86_opnd opnd_imm(unsigned size)
{
    struct x86_opnd o = { X86_OPND_IMM, (uint8_t)size, X86_REG_NONE };
    return o;
}

/* Immediate of size bytes extended to the operand size (sign) and masked to it. */
static int dec_opnd_imm(struct dec *d, struct x86_insn *in, unsigned size, unsigned to,
                        bool sign)
{
    int rc = dec_imm(d, size, sign, &in->imm);

    in->imm &= size_mask(to);
    in->src = opnd_imm(to);
    return rc;
}

/* Iz: 2 bytes for a 16-bit operand, else 4 (sign-extended to 64 with REX.W). */
static unsigned iz(const struct x86_insn *in)
{
    return in->opsize == 2 ? 2 : 4;
}

/* E, G operands of an "Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev" quartet (bit 0: byte or full
 * size, bit 1: direction), the layout of the ALU, MOV, TEST and XCHG rows. */
static int dec_e_g(struct dec *d, struct x86_insn *in, unsigned low2)
{
    unsigned size = low2 & 1 ? in->opsize : 1;
    int rc = dec_modrm(d, in);

    if (rc)
        return rc;
    in->opsize = (uint8_t)size;
    in->dst = low2 & 2 ? opnd_g(in, size) : opnd_e(d, in, size);
    in->src = low2 & 2 ? opnd_e(d, in, size) : opnd_g(in, size);
    return 0;
}

static struct x86_opnd opnd_acc(unsigned size)
{
    struct x86_opnd o = { X86_OPND_REG, (uint8_t)size, X86_REG_RAX };
    return o;
}

static int dec_port(struct dec *d, struct x86_insn *in, uint8_t opc)
{
    unsigned size = opc & 1 ? (in->opsize == 2 ? 2 : 4) : 1;
    struct x86_opnd port = { X86_OPND_REG, 2, X86_REG_RDX };
    int rc = 0;

    in->opsize = (uint8_t)size;
    if (!(opc & 8)) {           /* E4..E7: imm8 port */
        rc = dec_imm(d, 1, false, &in->imm);
        port = opnd_imm(1);
    }
    in->op = opc & 2 ? X86_OP_OUT : X86_OP_IN;
    in->dst = opc & 2 ? port : opnd_acc(size);
    in->src = opc & 2 ? opnd_acc(size) : port;
    return rc;
}

static void dec_string(struct x86_insn *in, uint8_t op, bool byte, bool dst_only)
{
    in->op = op;
    in->opsize = byte ? 1 : in->opsize;
    if (op == X86_OP_INS || op == X86_OP_OUTS)
        in->opsize = byte ? 1 : (in->opsize == 2 ? 2 : 4);
    in->mem.base = dst_only ? X86_REG_RDI : X86_REG_RSI;
    if (dst_only)
        in->mem.seg = X86_SEG_ES;   /* ES:rDI takes no override */
}

/* Group 1 (80/81/83) and the unary/test groups F6/F7, FE/FF. */
static int dec_group(struct dec *d, struct x86_insn *in, uint8_t opc)
{
    unsigned size = opc & 1 ? in->opsize : 1;
    int rc = dec_modrm(d, in);

    if (rc)
        return rc;
    in->opsize = (uint8_t)size;
    in->dst = opnd_e(d, in, size);
    switch (opc) {
    case 0x80: case 0x82:
        in->op = (uint8_t)(X86_OP_ADD + in->ext);
        return dec_opnd_imm(d, in, 1, 1, false);
    case 0x81:
        in->op = (uint8_t)(X86_OP_ADD + in->ext);
        return dec_opnd_imm(d, in, iz(in), size, true);
    case 0x83:
        in->op = (uint8_t)(X86_OP_ADD + in->ext);
        return dec_opnd_imm(d, in, 1, size, true);
    case 0xf6: case 0xf7: {
        static const uint8_t ops[8] = { X86_OP_TEST, X86_OP_TEST, X86_OP_NOT, X86_OP_NEG };
        if (!ops[in->ext])
            return -ENOSYS;             /* MUL, IMUL, DIV, IDIV */
        in->op = ops[in->ext];
        if (in->op == X86_OP_TEST)
            return dec_opnd_imm(d, in, size == 1 ? 1 : iz(in), size, true);
        return 0;
    }
    default:                            /* FE, FF */
        if (in->ext > 1)
            return opc == 0xfe || in->ext == 7 ? -EINVAL : -ENOSYS;
        in->op = in->ext ? X86_OP_DEC : X86_OP_INC;
        return 0;
    }
}

/* A0..A3: the address is a moffs of the address size, no ModRM. */
static int dec_moffs(struct dec *d, struct x86_insn *in, uint8_t opc)
{
    unsigned size = opc & 1 ? in->opsize : 1;
    uint64_t off;
    int rc = dec_imm(d, in->addrsize, false, &off);
    struct x86_opnd mem = { X86_OPND_MEM, (uint8_t)size, X86_REG_NONE };

    in->op = X86_OP_MOV;
    in->opsize = (uint8_t)size;
    in->mem.disp = (int64_t)off;
    in->dst = opc & 2 ? mem : opnd_acc(size);
    in->src = opc & 2 ? opnd_acc(size) : mem;
    return rc;
}

/* 0F 01: descriptor tables, MSW, INVLPG and the register-form system instructions. */
static int dec_grp7(struct dec *d, struct x86_insn *in)
{
    static const uint8_t mem_ops[8] = { X86_OP_SGDT, X86_OP_SIDT, X86_OP_LGDT, X86_OP_LIDT,
                                        X86_OP_SMSW, 0, X86_OP_LMSW, X86_OP_INVLPG };
    static const struct { uint8_t modrm, op; } reg_ops[] = {
        { 0xc8, X86_OP_MONITOR }, { 0xc9, X86_OP_MWAIT }, { 0xca, X86_OP_CLAC },
        { 0xcb, X86_OP_STAC }, { 0xd0, X86_OP_XGETBV }, { 0xd1, X86_OP_XSETBV },
        { 0xd8, X86_OP_VMRUN }, { 0xd9, X86_OP_VMMCALL }, { 0xda, X86_OP_VMLOAD },
        { 0xdb, X86_OP_VMSAVE }, { 0xdc, X86_OP_STGI }, { 0xdd, X86_OP_CLGI },
        { 0xde, X86_OP_SKINIT }, { 0xdf, X86_OP_INVLPGA }, { 0xf8, X86_OP_SWAPGS },
        { 0xf9, X86_OP_RDTSCP },
    };
    int rc = dec_modrm(d, in);

    if (rc)
        return rc;
    if (!d->modrm_reg || in->ext == 4 || in->ext == 6) {
        if (!mem_ops[in->ext])
            return -ENOSYS;
        in->op = mem_ops[in->ext];
        if (in->op == X86_OP_SMSW || in->op == X86_OP_LMSW) {
            /* A 16-bit operand in memory; a register destination takes the size */
            unsigned size = d->modrm_reg ? in->opsize : 2;
            in->opsize = (uint8_t)size;
            if (in->op == X86_OP_SMSW)
                in->dst = opnd_e(d, in, size);
            else
                in->src = opnd_e(d, in, size);
        } else {
            in->dst = opnd_e(d, in, in->op == X86_OP_INVLPG ? 1 : in->addrsize);
        }
        return 0;
    }
    for (unsigned i = 0; i < sizeof(reg_ops) / sizeof(reg_ops[0]); i++) {
        if (reg_ops[i].modrm != in->modrm)
            continue;
        if (reg_ops[i].op == X86_OP_SWAPGS && d->mode != X86_MODE_64)
            return -EINVAL;
        in->op = reg_ops[i].op;
        return 0;
    }
    return -ENOSYS;
}

static int dec_map2(struct dec *d, struct x86_insn *in, uint8_t opc)
{
    int rc;

    switch (opc) {
    case 0x01:
        return dec_grp7(d, in);
    case 0x0b: case 0xff:                       /* UD2, UD0 */
        return -EINVAL;
    case 0xb9:                                  /* UD1 */
        return dec_modrm(d, in) ?: -EINVAL;
    case 0x20: case 0x22: {
        /* The ModRM always names a register whatever mod says; 64-bit in long mode. */
        unsigned size = d->mode == X86_MODE_64 ? 8 : 4;
        if ((rc = dec_byte(d, &in->modrm)))
            return rc;
        in->ext = (uint8_t)(((in->modrm >> 3) & 7) | (in->rex & 4 ? 8 : 0));
        if (in->prefixes & X86_PFX_LOCK)
            in->ext |= 8;
        in->opsize = (uint8_t)size;
        in->op = opc == 0x20 ? X86_OP_MOV_FROM_CR : X86_OP_MOV_TO_CR;
        if (opc == 0x20)
            in->dst = opnd_reg(in, (in->modrm & 7) | (in->rex & 1 ? 8 : 0), size);
        else
            in->src = opnd_reg(in, (in->modrm & 7) | (in->rex & 1 ? 8 : 0), size);
        return 0;
    }
    case 0x30: in->op = X86_OP_WRMSR; return 0;
    case 0x31: in->op = X86_OP_RDTSC; return 0;
    case 0x32: in->op = X86_OP_RDMSR; return 0;
    case 0xa2: in->op = X86_OP_CPUID; return 0;
    case 0xa3: case 0xab: case 0xb3: case 0xbb: {
        static const uint8_t ops[4] = { X86_OP_BT, X86_OP_BTS, X86_OP_BTR, X86_OP_BTC };
        in->op = ops[(opc >> 3) & 3];
        return dec_e_g(d, in, 1);
    }
    case 0xba:
        if ((rc = dec_modrm(d, in)))
            return rc;
        if (in->ext < 4)
            return -EINVAL;
        in->op = (uint8_t)(X86_OP_BT + in->ext - 4);
        in->dst = opnd_e(d, in, in->opsize);
        return dec_opnd_imm(d, in, 1, 1, false);
    case 0xb0: case 0xb1:
        in->op = X86_OP_CMPXCHG;
        return dec_e_g(d, in, opc & 1);
    case 0xb6: case 0xb7: case 0xbe: case 0xbf:
        if ((rc = dec_modrm(d, in)))
            return rc;
        in->op = opc & 8 ? X86_OP_MOVSX : X86_OP_MOVZX;
        in->dst = opnd_g(in, in->opsize);
        in->src = opnd_e(d, in, opc & 1 ? 2 : 1);
        return 0;
    default:
        return -ENOSYS;
    }
}

/* Opcodes that do not exist in 64-bit mode (PUSH/POP segment, BCD, PUSHA/POPA, BOUND,
 * far CALL/JMP absolute, 82, SALC): #UD there. */
static bool invalid_in_64(uint8_t opc)
{
    static const uint8_t ops[] = { 0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f,
                                   0x37, 0x3f, 0x60, 0x61, 0x62, 0x82, 0x9a, 0xce, 0xd4,
                                   0xd5, 0xd6, 0xea };

    for (unsigned i = 0; i < sizeof(ops); i++)
        if (ops[i] == opc)
            return true;
    return false;
}

static int dec_map1(struct dec *d, struct x86_insn *in, uint8_t opc)
{
    int rc;

    if (d->mode == X86_MODE_64 && invalid_in_64(opc))
        return -EINVAL;
    /* The ALU rows 00..3D: op in bits 5..3, form in bits 2..0. */
    if (opc < 0x40 && (opc & 7) < 6) {
        in->op = (uint8_t)(X86_OP_ADD + (opc >> 3));
        if ((opc & 7) < 4)
            return dec_e_g(d, in, opc & 3);
        in->opsize = opc & 1 ? in->opsize : 1;
        in->dst = opnd_acc(in->opsize);
        return dec_opnd_imm(d, in, opc & 1 ? iz(in) : 1, in->opsize, true);
    }
    switch (opc) {
    case 0x63:
        if (d->mode != X86_MODE_64)
            return -ENOSYS;                     /* ARPL */
        if ((rc = dec_modrm(d, in)))
            return rc;
        in->op = in->opsize == 8 ? X86_OP_MOVSXD : X86_OP_MOV;
        in->dst = opnd_g(in, in->opsize);
        in->src = opnd_e(d, in, in->opsize == 8 ? 4 : in->opsize);
        return 0;
    case 0x6c: case 0x6d: dec_string(in, X86_OP_INS, !(opc & 1), true); return 0;
    case 0x6e: case 0x6f: dec_string(in, X86_OP_OUTS, !(opc & 1), false); return 0;
    case 0x80: case 0x81: case 0x82: case 0x83:
    case 0xf6: case 0xf7: case 0xfe: case 0xff:
        return dec_group(d, in, opc);
    case 0x84: case 0x85: in->op = X86_OP_TEST; return dec_e_g(d, in, opc & 1);
    case 0x86: case 0x87: in->op = X86_OP_XCHG; return dec_e_g(d, in, opc & 1);
    case 0x88: case 0x89: case 0x8a: case 0x8b:
        in->op = X86_OP_MOV;
        return dec_e_g(d, in, opc & 3);
    case 0x90:
        if (!(in->prefixes & X86_PFX_REP))
            return -ENOSYS;                     /* NOP / XCHG rAX, r */
        in->op = X86_OP_PAUSE;
        return 0;
    case 0xa0: case 0xa1: case 0xa2: case 0xa3:
        return dec_moffs(d, in, opc);
    case 0xa4: case 0xa5: dec_string(in, X86_OP_MOVS, !(opc & 1), false); return 0;
    case 0xaa: case 0xab: dec_string(in, X86_OP_STOS, !(opc & 1), true); return 0;
    case 0xac: case 0xad: dec_string(in, X86_OP_LODS, !(opc & 1), false); return 0;
    case 0xa8: case 0xa9:
        in->op = X86_OP_TEST;
        in->opsize = opc & 1 ? in->opsize : 1;
        in->dst = opnd_acc(in->opsize);
        return dec_opnd_imm(d, in, opc & 1 ? iz(in) : 1, in->opsize, true);
    case 0xc6: case 0xc7: {
        unsigned size = opc & 1 ? in->opsize : 1;
        if ((rc = dec_modrm(d, in)))
            return rc;
        if (in->ext != 0)
            return in->modrm == 0xf8 ? -ENOSYS : -EINVAL;   /* XABORT, XBEGIN */
        in->op = X86_OP_MOV;
        in->opsize = (uint8_t)size;
        in->dst = opnd_e(d, in, size);
        return dec_opnd_imm(d, in, size == 1 ? 1 : iz(in), size, true);
    }
    case 0xe4: case 0xe5: case 0xe6: case 0xe7:
    case 0xec: case 0xed: case 0xee: case 0xef:
        return dec_port(d, in, opc);
    case 0xf4:
        in->op = X86_OP_HLT;
        return 0;
    default:
        return -ENOSYS;
    }
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
static int dec_prefixes(struct dec *d, struct x86_insn *in, uint8_t *opc)
{
    static const uint8_t seg_of[8] = { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS };

    for (;;) {
        int rc = dec_byte(d, opc);
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
    struct dec d = { bytes, len, 0, mode, false };
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
        if ((rc = dec_byte(&d, &opc)))
            return rc;
        in->opcode = (uint16_t)(0x0f00 | opc);
        rc = dec_map2(&d, in, opc);
    } else {
        rc = dec_map1(&d, in, opc);
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
