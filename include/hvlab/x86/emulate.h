/* x86 instruction decoding, emulation and guest page walks for HVM exits that come
 * without decode assists (MMIO on a not-present nested entry, string I/O).
 *
 * Three pure parts, each compiled into the hypervisor and into host unit tests:
 *   x86_decode.c  bytes -> struct x86_insn (no guest state at all)
 *   x86_emulate.c one instruction over a register file, memory and ports through
 *                 callbacks (the caller owns address translation and devices)
 *   guest_walk.c  linear -> guest-physical through the guest's own page tables
 * The caller (svm's MMIO path) chains them: fetch through guest_walk + the p2m, decode,
 * execute with read/write callbacks that translate again and hit the I/O bus.
 * docs/hvm-emulation.md says how to wire them and what is and is not covered. */
#ifndef HVLAB_X86_EMULATE_H
#define HVLAB_X86_EMULATE_H

#include <hvlab/types.h>

#define X86_MAX_INSN_LEN 15

/* The default operand and address size of the code segment: real mode and 16-bit
 * protected mode decode alike; 64 is long mode with CS.L (compatibility mode is 32 or
 * 16 by CS.D). */
enum x86_mode { X86_MODE_16, X86_MODE_32, X86_MODE_64 };

/* Register numbers: the ModRM/REX encoding. A byte operand without REX names AH..BH
 * for encodings 4..7; the decoder turns those into X86_REG_AH..X86_REG_BH. */
enum {
    X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
    X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI,
    X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11,
    X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
    X86_REG_AH, X86_REG_CH, X86_REG_DH, X86_REG_BH,
    X86_REG_NONE = -1,
};

/* Segment registers in their encoding order (the override prefixes name the same). */
enum x86_seg { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS,
               X86_NR_SEGS };

/* What the instruction does. The emulator executes those up to X86_OP_OUTS; the
 * others are only recognised (length, operands) for callers that handle them. */
enum x86_op {
    X86_OP_NONE,
    X86_OP_MOV, X86_OP_MOVZX, X86_OP_MOVSX, X86_OP_MOVSXD,
    /* The eight ALU operations in their group-1 encoding order (80 /0 .. /7). */
    X86_OP_ADD, X86_OP_OR, X86_OP_ADC, X86_OP_SBB,
    X86_OP_AND, X86_OP_SUB, X86_OP_XOR, X86_OP_CMP,
    X86_OP_TEST, X86_OP_INC, X86_OP_DEC, X86_OP_NOT, X86_OP_NEG,
    X86_OP_XCHG, X86_OP_CMPXCHG,
    X86_OP_BT, X86_OP_BTS, X86_OP_BTR, X86_OP_BTC,
    X86_OP_MOVS, X86_OP_STOS, X86_OP_LODS,
    X86_OP_IN, X86_OP_OUT, X86_OP_INS, X86_OP_OUTS,
    /* Recognised only. */
    X86_OP_SGDT, X86_OP_SIDT, X86_OP_LGDT, X86_OP_LIDT, X86_OP_SMSW, X86_OP_LMSW,
    X86_OP_INVLPG, X86_OP_MONITOR, X86_OP_MWAIT, X86_OP_CLAC, X86_OP_STAC,
    X86_OP_XGETBV, X86_OP_XSETBV, X86_OP_VMRUN, X86_OP_VMMCALL, X86_OP_VMLOAD,
    X86_OP_VMSAVE, X86_OP_STGI, X86_OP_CLGI, X86_OP_SKINIT, X86_OP_INVLPGA,
    X86_OP_SWAPGS, X86_OP_RDTSCP,
    X86_OP_CPUID, X86_OP_RDMSR, X86_OP_WRMSR, X86_OP_RDTSC, X86_OP_HLT, X86_OP_PAUSE,
    X86_OP_MOV_FROM_CR, X86_OP_MOV_TO_CR,
    X86_OP_COUNT
};

/* Legacy prefixes seen (the last segment override wins, as on hardware). */
#define X86_PFX_LOCK    (1u << 0)
#define X86_PFX_REP     (1u << 1)   /* F3: REP / REPE */
#define X86_PFX_REPNE   (1u << 2)   /* F2 */
#define X86_PFX_OPSIZE  (1u << 3)   /* 66 */
#define X86_PFX_ADDRSIZE (1u << 4)  /* 67 */
#define X86_PFX_SEG     (1u << 5)   /* an override that applies (64-bit: FS, GS only) */

enum x86_opnd_kind { X86_OPND_NONE, X86_OPND_REG, X86_OPND_MEM, X86_OPND_IMM };

/* One explicit operand. MEM operands all use insn->mem; IMM operands insn->imm. */
struct x86_opnd {
    uint8_t kind;       /* enum x86_opnd_kind */
    uint8_t size;       /* bytes: 1, 2, 4 or 8 */
    int8_t reg;         /* X86_REG_* for REG */
};

/* The effective-address recipe: ea = base + index * scale + disp (+ the next RIP when
 * rip_rel), truncated to the address size, then linear = segment base + ea. */
struct x86_mem {
    int8_t base, index;     /* X86_REG_* or X86_REG_NONE */
    uint8_t scale;          /* 1, 2, 4, 8 */
    uint8_t seg;            /* enum x86_seg: the default one or the override */
    bool rip_rel;
    int64_t disp;           /* sign-extended; a moffs is stored here zero-extended */
};

struct x86_insn {
    uint8_t len;            /* bytes, prefixes included */
    uint8_t op;             /* enum x86_op */
    uint16_t opcode;        /* the opcode byte; 0x0Fxx for the two-byte map */
    uint8_t opsize;         /* 1, 2, 4, 8 */
    uint8_t addrsize;       /* 2, 4, 8 */
    uint8_t prefixes;       /* X86_PFX_* */
    uint8_t rex;            /* the REX byte in force, 0 if none */
    uint8_t modrm, sib;     /* 0 when absent */
    uint8_t ext;            /* ModRM.reg as an opcode extension, or the CR number */
    struct x86_opnd dst, src;   /* string and port operands: see x86_decode.c */
    struct x86_mem mem;
    uint64_t imm;           /* sign- or zero-extended as the instruction defines */
};

/* ---- x86_decode.c ---- */
/* Decode one instruction from bytes[0..len). 0 and *insn filled, or:
 *   -EINVAL  undefined opcode or form (LOCK where not allowed, register operand where
 *            only memory is, invalid in this mode): inject #UD
 *   -E2BIG   longer than 15 bytes: inject #GP(0)
 *   -EFAULT  the bytes end before the instruction does: fetch more
 *   -ENOSYS  a valid instruction this decoder does not know (an emulator exit on it
 *            is unexpected: the caller crashes the domain or injects #UD) */
int x86_decode(const uint8_t *bytes, size_t len, enum x86_mode mode, struct x86_insn *insn);
/* The effective address of insn's memory operand (before the segment base), given
 * the registers and the RIP of the instruction itself. */
uint64_t x86_insn_ea(const struct x86_insn *insn, const uint64_t gpr[16], uint64_t rip);

/* ---- x86_emulate.c ---- */
/* Status of x86_emulate and of every callback. */
enum x86_emul_status {
    X86EMUL_OKAY,           /* done (RIP advanced) */
    X86EMUL_RETRY,          /* a callback asked to stop: what completed is committed
                             * (REP iterations), RIP unchanged, re-run to continue */
    X86EMUL_EXCEPTION,      /* ctx->fault names what to inject; RIP unchanged */
    X86EMUL_UNHANDLEABLE,   /* not emulated (decoded but not an executable op) */
    X86EMUL_DECLINED,       /* rep_io only: do this INS/OUTS element by element */
};

#define X86_EXC_UD 6
#define X86_EXC_GP 13
#define X86_EXC_SS 12
#define X86_EXC_PF 14

/* An exception to inject. A callback that returns X86EMUL_EXCEPTION fills this. */
struct x86_fault {
    uint8_t vector;
    bool has_error_code;
    uint32_t error_code;
    uint64_t cr2;           /* #PF only */
};

/* The register file the emulator works on; the caller copies it from and back to
 * the VMCB (or the trap frame). */
struct x86_regs {
    uint64_t gpr[16];
    uint64_t rip, rflags;
    uint64_t seg_base[X86_NR_SEGS];
    enum x86_mode mode;
};

struct x86_emul_ctx;

/* Every callback returns an enum x86_emul_status. Sizes are 1, 2, 4 or 8, never
 * crossing what the instruction touches; a callback splits page crossings itself. */
struct x86_emul_ops {
    int (*read)(struct x86_emul_ctx *c, uint64_t linear, void *buf, unsigned size);
    int (*write)(struct x86_emul_ctx *c, uint64_t linear, const void *buf, unsigned size);
    /* Instruction bytes: size up to 15; x86_emulate never asks across a page end in
     * one call, so a fault names the right page. */
    int (*fetch)(struct x86_emul_ctx *c, uint64_t linear, void *buf, unsigned size);
    int (*io_in)(struct x86_emul_ctx *c, uint16_t port, unsigned size, uint32_t *val);
    int (*io_out)(struct x86_emul_ctx *c, uint16_t port, unsigned size, uint32_t val);
    /* Optional (NULL: element by element through io_in/io_out and read/write): up to
     * count elements of INS (in) or OUTS at once, the first at linear, each size
     * bytes, downwards when df. Sets *done (0..count) for X86EMUL_OKAY: the emulator
     * moves rSI/rDI and rCX by that many, and returns X86EMUL_RETRY while a REP has
     * elements left (the guest executes the instruction again for them). RETRY and
     * EXCEPTION: nothing done. DECLINED: element by element after all (a port the
     * caller serves itself). For device models, which take a run in one request. */
    int (*rep_io)(struct x86_emul_ctx *c, uint16_t port, unsigned size, bool in,
                  uint64_t linear, uint64_t count, bool df, uint64_t *done);
};

struct x86_emul_ctx {
    struct x86_regs *regs;
    const struct x86_emul_ops *ops;
    void *priv;                 /* the caller's */
    unsigned max_reps;          /* iterations of a REP before returning RETRY (0: all) */
    struct x86_insn insn;       /* the instruction executed, for traces */
    struct x86_fault fault;     /* valid when X86EMUL_EXCEPTION */
};

/* Fetch at CS:RIP, decode and execute one instruction. */
int x86_emulate(struct x86_emul_ctx *c);
/* Execute an already decoded instruction (ctx->insn), RIP at its first byte. */
int x86_emulate_insn(struct x86_emul_ctx *c);

/* ---- guest_walk.c ---- */
/* Page-fault error code bits (and the access kinds guest_walk checks). */
#define PFEC_PRESENT (1u << 0)
#define PFEC_WRITE   (1u << 1)
#define PFEC_USER    (1u << 2)
#define PFEC_RSVD    (1u << 3)
#define PFEC_FETCH   (1u << 4)

/* Guest control state the walk depends on. */
struct guest_paging {
    uint64_t cr0, cr3, cr4, efer;
    uint8_t maxphyaddr;         /* guest physical address bits (CPUID 0x80000008) */
    bool ac;                    /* RFLAGS.AC: lifts SMAP for supervisor data access */
};

struct guest_walk_ops {
    /* Read/write a naturally aligned 4- or 8-byte page-table entry: 0 or -errno (the
     * table is not in guest RAM). */
    int (*read_gpa)(void *priv, uint64_t gpa, void *buf, unsigned size);
    int (*write_gpa)(void *priv, uint64_t gpa, const void *buf, unsigned size);
};

/* Translate linear for an access made of PFEC_WRITE | PFEC_USER | PFEC_FETCH bits.
 * 0 and *gpa; -EFAULT and *pfec = the #PF error code to inject (CR2 = linear);
 * another -errno from the callbacks. Accessed bits are set on every entry used and
 * the dirty bit on the leaf of a write, as hardware does, on success only. */
int guest_walk(const struct guest_paging *pg, const struct guest_walk_ops *ops, void *priv,
               uint64_t linear, unsigned access, uint64_t *gpa, uint32_t *pfec);

#endif
