/* x86 instruction emulator. See <hvlab/x86/emulate.h>.
 *
 * Design: one decoded instruction executes against struct x86_regs, memory through
 * linear-address callbacks and ports through io callbacks. Everything an instruction
 * computes is committed only after its last callback succeeded (memory write first,
 * then registers, flags, RIP), so a RETRY or an exception leaves the guest as if the
 * instruction had not started; a REP string instruction commits per iteration, as
 * hardware does, and stops with RIP still on it so the guest resumes the rest.
 *
 * Flags: CF PF AF ZF SF OF as the manuals define them; where they leave a flag
 * undefined (AF after logic operations) it is cleared, and BT* change only CF.
 *
 * Limitations: LOCK is accepted but the read-modify-write is not atomic against other
 * vCPUs (MMIO registers are not shared memory); segment limits and I/O permissions are
 * not checked (the caller's intercepts did); a failed CMPXCHG does not write the old
 * value back; an INS whose memory write faults has already consumed the port's data.
 *
 * Locking: none; the caller owns the vCPU. */
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/x86/emulate.h>

#define FL_CF (1ULL << 0)
#define FL_PF (1ULL << 2)
#define FL_AF (1ULL << 4)
#define FL_ZF (1ULL << 6)
#define FL_SF (1ULL << 7)
#define FL_DF (1ULL << 10)
#define FL_OF (1ULL << 11)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

static uint64_t mask_of(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static uint64_t sign_of(unsigned size)
{
    return 1ULL << (8 * size - 1);
}

static uint64_t sext(uint64_t v, unsigned size)
{
    return v & sign_of(size) ? v | ~mask_of(size) : v & mask_of(size);
}

static uint64_t reg_get(const struct x86_regs *r, int reg, unsigned size)
{
    if (reg >= X86_REG_AH)
        return (r->gpr[reg - X86_REG_AH] >> 8) & 0xff;
    return r->gpr[reg] & mask_of(size);
}

/* Writes of 1 and 2 bytes keep the rest of the register; 4 bytes zero-extend. */
static void reg_set(struct x86_regs *r, int reg, unsigned size, uint64_t v)
{
    if (reg >= X86_REG_AH) {
        uint64_t *g = &r->gpr[reg - X86_REG_AH];
        *g = (*g & ~0xff00ULL) | ((v & 0xff) << 8);
    } else if (size >= 4) {
        r->gpr[reg] = v & mask_of(size);
    } else {
        r->gpr[reg] = (r->gpr[reg] & ~mask_of(size)) | (v & mask_of(size));
    }
}

static int raise(struct x86_emul_ctx *c, uint8_t vector, bool has_ec, uint32_t ec)
{
    c->fault = (struct x86_fault){ vector, has_ec, ec, 0 };
    return X86EMUL_EXCEPTION;
}

/* seg:ea -> linear. In 64-bit mode only FS and GS have a base and the address must
 * be canonical (#GP(0), #SS(0) on the stack segment); elsewhere it wraps at 4 GiB. */
static int to_linear(struct x86_emul_ctx *c, unsigned seg, uint64_t ea, uint64_t *la)
{
    const struct x86_regs *r = c->regs;

    if (r->mode != X86_MODE_64) {
        *la = (r->seg_base[seg] + ea) & 0xffffffffULL;
        return X86EMUL_OKAY;
    }
    *la = ea + (seg >= X86_SEG_FS ? r->seg_base[seg] : 0);
    if ((uint64_t)((int64_t)(*la << 16) >> 16) != *la)
        return raise(c, seg == X86_SEG_SS ? X86_EXC_SS : X86_EXC_GP, true, 0);
    return X86EMUL_OKAY;
}

static int mem_read(struct x86_emul_ctx *c, uint64_t la, unsigned size, uint64_t *v)
{
    uint8_t buf[8] = { 0 };
    int rc = c->ops->read(c, la, buf, size);

    *v = 0;
    for (unsigned i = 0; i < size; i++)
        *v |= (uint64_t)buf[i] << (8 * i);
    return rc;
}

static int mem_write(struct x86_emul_ctx *c, uint64_t la, unsigned size, uint64_t v)
{
    uint8_t buf[8];

    for (unsigned i = 0; i < size; i++)
        buf[i] = (uint8_t)(v >> (8 * i));
    return c->ops->write(c, la, buf, size);
}

/* PF: even number of set bits in the low byte (no popcount: libgcc is not linked). */
static bool parity_even(uint8_t v)
{
    v ^= v >> 4;
    v ^= v >> 2;
    v ^= v >> 1;
    return !(v & 1);
}

static uint64_t flags_szp(uint64_t res, unsigned size)
{
    uint64_t f = 0;

    if (!(res & mask_of(size)))
        f |= FL_ZF;
    if (res & sign_of(size))
        f |= FL_SF;
    if (parity_even((uint8_t)res))
        f |= FL_PF;
    return f;
}

/* d op s for the arithmetic operations; *fl receives the new arithmetic flags (those
 * the operation leaves alone are copied from fl_in). */
static uint64_t alu(unsigned op, uint64_t d, uint64_t s, unsigned size, uint64_t fl_in,
                    uint64_t *fl)
{
    uint64_t m = mask_of(size), sb = sign_of(size), res, f = 0;
    uint64_t cin = fl_in & FL_CF ? 1 : 0;

    d &= m;
    s &= m;
    switch (op) {
    case X86_OP_INC: case X86_OP_DEC:
        res = alu(op == X86_OP_INC ? X86_OP_ADD : X86_OP_SUB, d, 1, size, 0, &f);
        *fl = (f & ~FL_CF) | (fl_in & FL_CF);
        return res;
    case X86_OP_NEG:
        res = alu(X86_OP_SUB, 0, d, size, 0, fl);
        return res;
    case X86_OP_ADD: case X86_OP_ADC:
        if (op == X86_OP_ADD)
            cin = 0;
        res = (d + s + cin) & m;
        if (res < d || (cin && res == d))
            f |= FL_CF;
        if ((d ^ res) & (s ^ res) & sb)
            f |= FL_OF;
        f |= (d ^ s ^ res) & FL_AF;
        break;
    case X86_OP_SUB: case X86_OP_SBB: case X86_OP_CMP:
        if (op != X86_OP_SBB)
            cin = 0;
        res = (d - s - cin) & m;
        if (d < s || (cin && d == s))
            f |= FL_CF;
        if ((d ^ s) & (d ^ res) & sb)
            f |= FL_OF;
        f |= (d ^ s ^ res) & FL_AF;
        break;
    case X86_OP_AND: case X86_OP_TEST:
        res = d & s;
        break;
    case X86_OP_OR:
        res = d | s;
        break;
    default:                /* XOR */
        res = d ^ s;
        break;
    }
    *fl = f | flags_szp(res, size);
    return res;
}

/* The state of one instruction between operand fetch and commit. */
struct exec {
    const struct x86_insn *in;
    uint64_t la;            /* linear address of the memory operand */
    unsigned bit;           /* BT*: bit number within the operand */
};

static int opnd_read(struct x86_emul_ctx *c, struct exec *e, const struct x86_opnd *o,
                     uint64_t *v)
{
    switch (o->kind) {
    case X86_OPND_REG: *v = reg_get(c->regs, o->reg, o->size); return X86EMUL_OKAY;
    case X86_OPND_IMM: *v = e->in->imm; return X86EMUL_OKAY;
    case X86_OPND_MEM: return mem_read(c, e->la, o->size, v);
    default: *v = 0; return X86EMUL_OKAY;
    }
}

/* The memory operand's linear address; for BT* with a register bit offset the operand
 * is a bit string and the offset moves the address (signed, in operand-size units). */
static int exec_address(struct x86_emul_ctx *c, struct exec *e)
{
    const struct x86_insn *in = e->in;
    uint64_t ea = x86_insn_ea(in, c->regs->gpr, c->regs->rip);
    unsigned bits = in->opsize * 8;
    bool bitop = in->op >= X86_OP_BT && in->op <= X86_OP_BTC;

    if (bitop) {
        uint64_t off = in->src.kind == X86_OPND_IMM ? in->imm
                       : reg_get(c->regs, in->src.reg, in->opsize);
        e->bit = (unsigned)(off & (bits - 1));
        if (in->src.kind == X86_OPND_REG && in->dst.kind == X86_OPND_MEM) {
            int64_t words = (int64_t)sext(off, in->opsize) >> __builtin_ctz(bits);
            ea = (ea + (uint64_t)words * in->opsize) & mask_of(in->addrsize);
        }
    }
    if (in->dst.kind != X86_OPND_MEM && in->src.kind != X86_OPND_MEM)
        return X86EMUL_OKAY;
    return to_linear(c, in->mem.seg, ea, &e->la);
}

static void finish(struct x86_emul_ctx *c, uint64_t flags_mask, uint64_t flags)
{
    struct x86_regs *r = c->regs;

    r->rflags = (r->rflags & ~flags_mask) | (flags & flags_mask);
    r->rip += c->insn.len;
    if (r->mode != X86_MODE_64)
        r->rip &= r->mode == X86_MODE_16 ? 0xffff : 0xffffffffULL;
}

/* Write the result to dst: memory (which may fail) before any register changes. */
static int opnd_write(struct x86_emul_ctx *c, struct exec *e, const struct x86_opnd *o,
                      uint64_t v)
{
    if (o->kind == X86_OPND_MEM)
        return mem_write(c, e->la, o->size, v);
    reg_set(c->regs, o->reg, o->size, v);
    return X86EMUL_OKAY;
}

static int exec_xchg_cmpxchg(struct x86_emul_ctx *c, struct exec *e, uint64_t d, uint64_t s)
{
    const struct x86_insn *in = e->in;
    unsigned size = in->opsize;
    uint64_t fl, acc;
    int rc;

    if (in->op == X86_OP_XCHG) {
        if ((rc = opnd_write(c, e, &in->dst, s)))
            return rc;
        reg_set(c->regs, in->src.reg, size, d);
        finish(c, 0, 0);
        return X86EMUL_OKAY;
    }
    acc = reg_get(c->regs, X86_REG_RAX, size);
    alu(X86_OP_CMP, acc, d, size, 0, &fl);
    if (fl & FL_ZF) {
        if ((rc = opnd_write(c, e, &in->dst, s)))
            return rc;
    } else {
        reg_set(c->regs, X86_REG_RAX, size, d);
    }
    finish(c, FL_ARITH, fl);
    return X86EMUL_OKAY;
}

static int exec_bitop(struct x86_emul_ctx *c, struct exec *e, uint64_t d)
{
    const struct x86_insn *in = e->in;
    uint64_t bit = 1ULL << e->bit, res = d;
    int rc;

    switch (in->op) {
    case X86_OP_BTS: res = d | bit; break;
    case X86_OP_BTR: res = d & ~bit; break;
    case X86_OP_BTC: res = d ^ bit; break;
    default: break;
    }
    if (in->op != X86_OP_BT && (rc = opnd_write(c, e, &in->dst, res)))
        return rc;
    finish(c, FL_CF, d & bit ? FL_CF : 0);
    return X86EMUL_OKAY;
}

/* Everything with explicit operands: moves, ALU, unary, exchange, bit operations. */
static int exec_general(struct x86_emul_ctx *c)
{
    const struct x86_insn *in = &c->insn;
    struct exec e = { in, 0, 0 };
    unsigned size = in->opsize;
    uint64_t s = 0, d = 0, res, fl = 0;
    int rc;

    if ((rc = exec_address(c, &e)) || (rc = opnd_read(c, &e, &in->src, &s)))
        return rc;
    switch (in->op) {
    case X86_OP_MOV: case X86_OP_MOVZX:
        if ((rc = opnd_write(c, &e, &in->dst, s)))
            return rc;
        finish(c, 0, 0);
        return X86EMUL_OKAY;
    case X86_OP_MOVSX: case X86_OP_MOVSXD:
        if ((rc = opnd_write(c, &e, &in->dst, sext(s, in->src.size))))
            return rc;
        finish(c, 0, 0);
        return X86EMUL_OKAY;
    default:
        break;
    }
    if ((rc = opnd_read(c, &e, &in->dst, &d)))
        return rc;
    switch (in->op) {
    case X86_OP_XCHG: case X86_OP_CMPXCHG:
        return exec_xchg_cmpxchg(c, &e, d, s);
    case X86_OP_BT: case X86_OP_BTS: case X86_OP_BTR: case X86_OP_BTC:
        return exec_bitop(c, &e, d);
    case X86_OP_NOT:
        if ((rc = opnd_write(c, &e, &in->dst, ~d)))
            return rc;
        finish(c, 0, 0);
        return X86EMUL_OKAY;
    default:
        break;
    }
    res = alu(in->op, d, s, size, c->regs->rflags, &fl);
    if (in->op != X86_OP_CMP && in->op != X86_OP_TEST &&
        (rc = opnd_write(c, &e, &in->dst, res)))
        return rc;
    finish(c, FL_ARITH, fl);
    return X86EMUL_OKAY;
}

static int exec_port(struct x86_emul_ctx *c)
{
    const struct x86_insn *in = &c->insn;
    const struct x86_opnd *p = in->op == X86_OP_IN ? &in->src : &in->dst;
    uint16_t port = (uint16_t)(p->kind == X86_OPND_IMM ? in->imm
                                                       : c->regs->gpr[X86_REG_RDX]);
    uint32_t v;
    int rc;

    if (in->op == X86_OP_OUT) {
        rc = c->ops->io_out(c, port, in->opsize,
                            (uint32_t)reg_get(c->regs, X86_REG_RAX, in->opsize));
    } else {
        rc = c->ops->io_in(c, port, in->opsize, &v);
        if (rc == X86EMUL_OKAY)
            reg_set(c->regs, X86_REG_RAX, in->opsize, v);
    }
    if (rc == X86EMUL_OKAY)
        finish(c, 0, 0);
    return rc;
}

/* One element of a string instruction, registers untouched. */
static int string_step(struct x86_emul_ctx *c)
{
    const struct x86_insn *in = &c->insn;
    struct x86_regs *r = c->regs;
    unsigned size = in->opsize, a = in->addrsize;
    uint16_t port = (uint16_t)r->gpr[X86_REG_RDX];
    bool uses_si = in->op == X86_OP_MOVS || in->op == X86_OP_LODS || in->op == X86_OP_OUTS;
    bool uses_di = in->op == X86_OP_MOVS || in->op == X86_OP_STOS || in->op == X86_OP_INS;
    uint64_t src_la = 0, dst_la = 0, v = 0;
    uint32_t v32;
    int rc;

    if ((uses_si &&
         (rc = to_linear(c, in->mem.seg, r->gpr[X86_REG_RSI] & mask_of(a), &src_la))) ||
        (uses_di &&
         (rc = to_linear(c, X86_SEG_ES, r->gpr[X86_REG_RDI] & mask_of(a), &dst_la))))
        return rc;
    switch (in->op) {
    case X86_OP_MOVS:
        return mem_read(c, src_la, size, &v) ?: mem_write(c, dst_la, size, v);
    case X86_OP_STOS:
        return mem_write(c, dst_la, size, reg_get(r, X86_REG_RAX, size));
    case X86_OP_LODS:
        if ((rc = mem_read(c, src_la, size, &v)))
            return rc;
        reg_set(r, X86_REG_RAX, size, v);
        return X86EMUL_OKAY;
    case X86_OP_INS:
        return c->ops->io_in(c, port, size, &v32) ?: mem_write(c, dst_la, size, v32);
    default:                    /* OUTS */
        if ((rc = mem_read(c, src_la, size, &v)))
            return rc;
        return c->ops->io_out(c, port, size, (uint32_t)v);
    }
}

/* INS/OUTS through the caller's rep_io: a run of elements at once. */
static int exec_rep_io(struct x86_emul_ctx *c)
{
    const struct x86_insn *in = &c->insn;
    struct x86_regs *r = c->regs;
    unsigned a = in->addrsize;
    bool rep = in->prefixes & (X86_PFX_REP | X86_PFX_REPNE);
    bool ins = in->op == X86_OP_INS;
    bool df = r->rflags & FL_DF;
    unsigned idx = ins ? X86_REG_RDI : X86_REG_RSI;
    uint64_t count = rep ? r->gpr[X86_REG_RCX] & mask_of(a) : 1, la, done = 0;
    int rc;

    if (count == 0) {
        finish(c, 0, 0);
        return X86EMUL_OKAY;
    }
    if ((rc = to_linear(c, ins ? X86_SEG_ES : in->mem.seg, r->gpr[idx] & mask_of(a), &la)))
        return rc;
    rc = c->ops->rep_io(c, (uint16_t)r->gpr[X86_REG_RDX], in->opsize, ins, la, count, df,
                        &done);
    if (rc != X86EMUL_OKAY)
        return rc;
    if (done > count)
        done = count;                   /* a caller's bug must not run rCX below 0 */
    reg_set(r, idx, a, r->gpr[idx] + (df ? -(done * in->opsize) : done * in->opsize));
    if (rep)
        reg_set(r, X86_REG_RCX, a, count - done);
    if (done < count)
        return X86EMUL_RETRY;
    finish(c, 0, 0);
    return X86EMUL_OKAY;
}

/* MOVS STOS LODS INS OUTS, with REP (F2 acts as F3 on these): rCX of the address
 * size counts; rSI/rDI move by the element size, down when DF is set. */
static int exec_string(struct x86_emul_ctx *c)
{
    const struct x86_insn *in = &c->insn;
    struct x86_regs *r = c->regs;
    unsigned a = in->addrsize;
    bool rep = in->prefixes & (X86_PFX_REP | X86_PFX_REPNE);
    uint64_t step = r->rflags & FL_DF ? -(uint64_t)in->opsize : in->opsize;
    bool uses_si = in->op == X86_OP_MOVS || in->op == X86_OP_LODS || in->op == X86_OP_OUTS;
    bool uses_di = in->op == X86_OP_MOVS || in->op == X86_OP_STOS || in->op == X86_OP_INS;

    if ((in->op == X86_OP_INS || in->op == X86_OP_OUTS) && c->ops->rep_io) {
        int rc = exec_rep_io(c);
        if (rc != X86EMUL_DECLINED)
            return rc;
    }
    for (unsigned done = 0;; done++) {
        uint64_t count = r->gpr[X86_REG_RCX] & mask_of(a);
        int rc;

        if (rep && count == 0)
            break;
        if (rep && c->max_reps && done == c->max_reps)
            return X86EMUL_RETRY;
        if ((rc = string_step(c)))
            return rc;
        if (uses_si)
            reg_set(r, X86_REG_RSI, a, r->gpr[X86_REG_RSI] + step);
        if (uses_di)
            reg_set(r, X86_REG_RDI, a, r->gpr[X86_REG_RDI] + step);
        if (!rep)
            break;
        reg_set(r, X86_REG_RCX, a, count - 1);
    }
    finish(c, 0, 0);
    return X86EMUL_OKAY;
}

int x86_emulate_insn(struct x86_emul_ctx *c)
{
    switch (c->insn.op) {
    case X86_OP_MOV: case X86_OP_MOVZX: case X86_OP_MOVSX: case X86_OP_MOVSXD:
    case X86_OP_ADD: case X86_OP_OR: case X86_OP_ADC: case X86_OP_SBB:
    case X86_OP_AND: case X86_OP_SUB: case X86_OP_XOR: case X86_OP_CMP:
    case X86_OP_TEST: case X86_OP_INC: case X86_OP_DEC: case X86_OP_NOT:
    case X86_OP_NEG: case X86_OP_XCHG: case X86_OP_CMPXCHG:
    case X86_OP_BT: case X86_OP_BTS: case X86_OP_BTR: case X86_OP_BTC:
        return exec_general(c);
    case X86_OP_MOVS: case X86_OP_STOS: case X86_OP_LODS:
    case X86_OP_INS: case X86_OP_OUTS:
        return exec_string(c);
    case X86_OP_IN: case X86_OP_OUT:
        return exec_port(c);
    default:
        return X86EMUL_UNHANDLEABLE;
    }
}

/* Fetch up to the end of the page first, so a fault on the next page is raised only
 * if the instruction really extends into it. */
static int fetch_decode(struct x86_emul_ctx *c)
{
    struct x86_regs *r = c->regs;
    uint8_t buf[X86_MAX_INSN_LEN];
    uint64_t la;
    unsigned n;
    int rc;

    if ((rc = to_linear(c, X86_SEG_CS, r->rip, &la)))
        return rc;
    n = (unsigned)MIN(X86_MAX_INSN_LEN, 0x1000 - (la & 0xfff));
    if ((rc = c->ops->fetch(c, la, buf, n)))
        return rc;
    rc = x86_decode(buf, n, r->mode, &c->insn);
    if (rc == -EFAULT && n < X86_MAX_INSN_LEN) {
        if ((rc = c->ops->fetch(c, la + n, buf + n, X86_MAX_INSN_LEN - n)))
            return rc;
        rc = x86_decode(buf, X86_MAX_INSN_LEN, r->mode, &c->insn);
    }
    switch (rc) {
    case 0: return X86EMUL_OKAY;
    case -EINVAL: return raise(c, X86_EXC_UD, false, 0);
    case -E2BIG: return raise(c, X86_EXC_GP, true, 0);
    default: return X86EMUL_UNHANDLEABLE;
    }
}

int x86_emulate(struct x86_emul_ctx *c)
{
    int rc = fetch_decode(c);

    return rc ? rc : x86_emulate_insn(c);
}
