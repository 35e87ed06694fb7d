/* x86 opcode maps: one-byte and 0F two-byte opcodes into an operation and operands,
 * for the instructions listed in x86_decode.c's header. An opcode outside them is
 * -ENOSYS; one the architecture leaves undefined (or LOCK-less forms, UD0/1/2, what
 * 64-bit mode removed) is -EINVAL, i.e. #UD.
 *
 * Locking: none; pure functions. */
#include <hvlab/errno.h>
#include <hvlab/x86/emulate.h>
#include "x86_decode_priv.h"

/* Immediate of size bytes extended to the operand size (sign) and masked to it. */
static int dec_opnd_imm(struct x86_dec *d, struct x86_insn *in, unsigned size, unsigned to,
                        bool sign)
{
    int rc = x86_dec_imm(d, size, sign, &in->imm);

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
static int dec_e_g(struct x86_dec *d, struct x86_insn *in, unsigned low2)
{
    unsigned size = low2 & 1 ? in->opsize : 1;
    int rc = x86_dec_modrm(d, in);

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


static int dec_port(struct x86_dec *d, struct x86_insn *in, uint8_t opc)
{
    unsigned size = opc & 1 ? (in->opsize == 2 ? 2 : 4) : 1;
    struct x86_opnd port = { X86_OPND_REG, 2, X86_REG_RDX };
    int rc = 0;

    in->opsize = (uint8_t)size;
    if (!(opc & 8)) {           /* E4..E7: imm8 port */
        rc = x86_dec_imm(d, 1, false, &in->imm);
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
static int dec_group(struct x86_dec *d, struct x86_insn *in, uint8_t opc)
{
    unsigned size = opc & 1 ? in->opsize : 1;
    int rc = x86_dec_modrm(d, in);

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
static int dec_moffs(struct x86_dec *d, struct x86_insn *in, uint8_t opc)
{
    unsigned size = opc & 1 ? in->opsize : 1;
    uint64_t off;
    int rc = x86_dec_imm(d, in->addrsize, false, &off);
    struct x86_opnd mem = { X86_OPND_MEM, (uint8_t)size, X86_REG_NONE };

    in->op = X86_OP_MOV;
    in->opsize = (uint8_t)size;
    in->mem.disp = (int64_t)off;
    in->dst = opc & 2 ? mem : opnd_acc(size);
    in->src = opc & 2 ? opnd_acc(size) : mem;
    return rc;
}

/* 0F 01: descriptor tables, MSW, INVLPG and the register-form system instructions. */
static int dec_grp7(struct x86_dec *d, struct x86_insn *in)
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
    int rc = x86_dec_modrm(d, in);

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


int x86_dec_map2(struct x86_dec *d, struct x86_insn *in, uint8_t opc)
{
    int rc;

    switch (opc) {
    case 0x01:
        return dec_grp7(d, in);
    case 0x0b: case 0xff:                       /* UD2, UD0 */
        return -EINVAL;
    case 0xb9:                                  /* UD1 */
        return x86_dec_modrm(d, in) ?: -EINVAL;
    case 0x20: case 0x22: {
        /* The ModRM always names a register whatever mod says; 64-bit in long mode. */
        unsigned size = d->mode == X86_MODE_64 ? 8 : 4;
        if ((rc = x86_dec_byte(d, &in->modrm)))
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
        if ((rc = x86_dec_modrm(d, in)))
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
        if ((rc = x86_dec_modrm(d, in)))
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


int x86_dec_map1(struct x86_dec *d, struct x86_insn *in, uint8_t opc)
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
        if ((rc = x86_dec_modrm(d, in)))
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
        if ((rc = x86_dec_modrm(d, in)))
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
