/* The fake guest of x86_emul_fixture.h. */
#include "unit.h"
#include "x86_emul_fixture.h"

#include <hvlab/lib.h>

struct emul_fake F;

static int spend(void)
{
    if (F.budget == 0)
        return X86EMUL_RETRY;
    if (F.budget > 0)
        F.budget--;
    return X86EMUL_OKAY;
}

/* Outside RAM is a not-present page: a #PF with the address in CR2. */
static int ram_at(struct x86_emul_ctx *c, uint64_t la, unsigned size, bool write,
                  uint8_t **p)
{
    if (la < RAM_LA || la + size > RAM_LA + RAM_SIZE) {
        c->fault = (struct x86_fault){ X86_EXC_PF, true, write ? 2 : 0, la };
        return X86EMUL_EXCEPTION;
    }
    *p = &F.ram[la - RAM_LA];
    return X86EMUL_OKAY;
}

static int f_read(struct x86_emul_ctx *c, uint64_t la, void *buf, unsigned size)
{
    uint8_t *p;
    int rc = spend() ?: ram_at(c, la, size, false, &p);
    if (rc)
        return rc;
    memcpy(buf, p, size);
    F.nreads++;
    return X86EMUL_OKAY;
}

static int f_write(struct x86_emul_ctx *c, uint64_t la, const void *buf, unsigned size)
{
    uint8_t *p;
    int rc = spend() ?: ram_at(c, la, size, true, &p);
    if (rc)
        return rc;
    memcpy(p, buf, size);
    F.nwrites++;
    return X86EMUL_OKAY;
}

static int f_fetch(struct x86_emul_ctx *c, uint64_t la, void *buf, unsigned size)
{
    if (la < CODE_LA || la + size > CODE_LA + sizeof(F.code)) {
        c->fault = (struct x86_fault){ X86_EXC_PF, true, 0x10, la };
        return X86EMUL_EXCEPTION;
    }
    memcpy(buf, &F.code[la - CODE_LA], size);
    return X86EMUL_OKAY;
}

static int f_in(struct x86_emul_ctx *c, uint16_t port, unsigned size, uint32_t *val)
{
    int rc = spend();
    if (rc)
        return rc;
    F.last_port = port;
    *val = F.in_next++ & (uint32_t)(size == 4 ? ~0u : (1u << (8 * size)) - 1);
    F.nin++;
    return X86EMUL_OKAY;
}

static int f_out(struct x86_emul_ctx *c, uint16_t port, unsigned size, uint32_t val)
{
    int rc = spend();
    if (rc)
        return rc;
    F.last_port = port;
    if (F.nout < ARRAY_SIZE(F.out_log))
        F.out_log[F.nout] = val;
    F.nout++;
    return X86EMUL_OKAY;
}

static int f_rep_io(struct x86_emul_ctx *c, uint16_t port, unsigned size, bool in,
                    uint64_t linear, uint64_t count, bool df, uint64_t *done)
{
    (void)c;
    (void)size;
    F.rep_calls++;
    F.last_port = port;
    F.rep_linear = linear;
    F.rep_count = count;
    F.rep_in = in;
    F.rep_df = df;
    if (F.rep_mode == 2)
        return X86EMUL_RETRY;
    if (F.rep_mode == 3)
        return X86EMUL_DECLINED;
    *done = count < F.rep_max ? count : F.rep_max;
    return X86EMUL_OKAY;
}

static const struct x86_emul_ops fake_ops = { f_read, f_write, f_fetch, f_in, f_out, NULL };
static const struct x86_emul_ops fake_ops_rep = { f_read, f_write, f_fetch, f_in, f_out,
                                                  f_rep_io };

void emul_setup(enum x86_mode mode, const uint8_t *code, size_t n, unsigned off)
{
    memset(&F, 0, sizeof(F));
    F.budget = -1;
    F.regs.mode = mode;
    F.regs.rip = CODE_LA + off;
    F.regs.rflags = 0x2;
    memcpy(&F.code[off], code, n);
    F.ctx.regs = &F.regs;
    F.ctx.ops = &fake_ops;
}

int emul_run(void);

void emul_use_rep_io(int mode, uint64_t max)
{
    F.rep_mode = mode;
    F.rep_max = max;
    F.ctx.ops = &fake_ops_rep;
}

uint32_t ram32(uint64_t off)
{
    uint32_t v;
    memcpy(&v, &F.ram[off], 4);
    return v;
}

uint64_t ram64(uint64_t off)
{
    uint64_t v;
    memcpy(&v, &F.ram[off], 8);
    return v;
}

void set_ram32(uint64_t off, uint32_t v)
{
    memcpy(&F.ram[off], &v, 4);
}

void set_ram64(uint64_t off, uint64_t v)
{
    memcpy(&F.ram[off], &v, 8);
}

int emul_run(void)
{
    return x86_emulate(&F.ctx);
}
