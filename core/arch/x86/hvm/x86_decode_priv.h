/* Private to the decoder's two files (x86_decode.c: prefixes, ModRM/SIB and the entry
 * point; x86_decode_maps.c: the opcode maps). Not for other users: the API is
 * <hvlab/x86/emulate.h>. */
#ifndef HVLAB_X86_DECODE_PRIV_H
#define HVLAB_X86_DECODE_PRIV_H

#include <hvlab/x86/emulate.h>

/* The decoder's cursor over the instruction bytes. */
struct x86_dec {
    const uint8_t *bytes;
    size_t avail;
    size_t pos;
    enum x86_mode mode;
    bool modrm_reg;         /* ModRM names a register (mod == 3) */
};

static inline uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* A general-purpose register operand of size bytes: encodings 4..7 of a byte register
 * are AH..BH unless a REX prefix is present. */
static inline struct x86_opnd opnd_reg(const struct x86_insn *in, unsigned num,
                                       unsigned size)
{
    struct x86_opnd o = { X86_OPND_REG, (uint8_t)size, (int8_t)num };

    if (size == 1 && !in->rex && num >= 4 && num < 8)
        o.reg = (int8_t)(X86_REG_AH + num - 4);
    return o;
}

/* The ModRM.rm operand (E in Intel's tables). */
static inline struct x86_opnd opnd_e(const struct x86_dec *d, const struct x86_insn *in,
                                     unsigned size)
{
    struct x86_opnd o = { X86_OPND_MEM, (uint8_t)size, X86_REG_NONE };

    if (d->modrm_reg)
        return opnd_reg(in, (in->modrm & 7) | (in->rex & 1 ? 8 : 0), size);
    return o;
}

/* The ModRM.reg operand (G). */
static inline struct x86_opnd opnd_g(const struct x86_insn *in, unsigned size)
{
    return opnd_reg(in, ((in->modrm >> 3) & 7) | (in->rex & 4 ? 8 : 0), size);
}

static inline struct x86_opnd opnd_imm(unsigned size)
{
    struct x86_opnd o = { X86_OPND_IMM, (uint8_t)size, X86_REG_NONE };
    return o;
}

/* x86_decode.c */
/* The next byte: 0, -E2BIG past 15 bytes, -EFAULT past the bytes given. */
int x86_dec_byte(struct x86_dec *d, uint8_t *out);
/* Little-endian, size bytes, sign-extended to 64 bits when sign. */
int x86_dec_imm(struct x86_dec *d, unsigned size, bool sign, uint64_t *out);
/* ModRM and what follows it into insn->modrm/sib/ext/mem; d->modrm_reg says mod == 3. */
int x86_dec_modrm(struct x86_dec *d, struct x86_insn *in);

/* x86_decode_maps.c: the opcode (after 0F for map 2) into op and operands. */
int x86_dec_map1(struct x86_dec *d, struct x86_insn *in, uint8_t opc);
int x86_dec_map2(struct x86_dec *d, struct x86_insn *in, uint8_t opc);

#endif
