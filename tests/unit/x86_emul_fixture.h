/* A fake guest for the x86 emulator's host tests (test_x86_emulate.c,
 * test_x86_string.c): RAM at one linear window (outside it, a #PF), instruction bytes
 * in one code page (the page after it unmapped), ports that count and log, and a
 * budget of callbacks after which one answers RETRY, to split REP instructions. */
#ifndef HVLAB_X86_EMUL_FIXTURE_H
#define HVLAB_X86_EMUL_FIXTURE_H

#include <hvlab/x86/emulate.h>

#define RAM_LA   0x100000ULL
#define RAM_SIZE 0x10000
#define CODE_LA  0x7000ULL      /* one page of code; the page after it is unmapped */

#define FL_CF 0x1
#define FL_PF 0x4
#define FL_AF 0x10
#define FL_ZF 0x40
#define FL_SF 0x80
#define FL_DF 0x400
#define FL_OF 0x800
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

struct emul_fake {
    struct x86_emul_ctx ctx;
    struct x86_regs regs;
    uint8_t ram[RAM_SIZE];
    uint8_t code[0x1000];
    int budget;                 /* callbacks left before one answers RETRY; <0: no limit */
    unsigned nwrites, nreads, nin, nout;
    uint32_t in_next;           /* io_in returns in_next++ */
    uint32_t out_log[64];
    uint16_t last_port;
    /* rep_io (issue 11): 0 no rep_io op (element by element); 1 takes up to rep_max
     * elements; 2 answers RETRY; 3 DECLINED. What it was asked, in rep_*. */
    int rep_mode;
    uint64_t rep_max, rep_linear, rep_count;
    bool rep_in, rep_df;
    unsigned rep_calls;
};

extern struct emul_fake F;

/* A fresh machine in mode with code bytes at CODE_LA + off, RIP on them. */
void emul_setup(enum x86_mode mode, const uint8_t *code, size_t n, unsigned off);
#define SETUP(mode, ...) do { static const uint8_t c_[] = { __VA_ARGS__ }; \
    emul_setup(mode, c_, sizeof(c_), 0); } while (0)
/* Give the fake a rep_io op (mode, max: struct emul_fake's rep_*). */
void emul_use_rep_io(int mode, uint64_t max);
/* x86_emulate() on the fake. */
int emul_run(void);
uint32_t ram32(uint64_t off);
uint64_t ram64(uint64_t off);
void set_ram32(uint64_t off, uint32_t v);
void set_ram64(uint64_t off, uint64_t v);

#define RDX F.regs.gpr[X86_REG_RDX]
#define RDI F.regs.gpr[X86_REG_RDI]
#define RSI F.regs.gpr[X86_REG_RSI]
#define RAX F.regs.gpr[X86_REG_RAX]
#define RCX F.regs.gpr[X86_REG_RCX]

#endif
