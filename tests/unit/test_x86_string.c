/* String and port instructions in the x86 emulator (core/arch/x86/hvm/x86_emulate.c):
 * REP MOVS and REP INS split by a callback that asks to retry (no element lost or
 * repeated), the max_reps budget, DF, address-size counters, and IN/OUT forms. */
#include "unit.h"
#include "x86_emul_fixture.h"

#include <hvlab/errno.h>
#include <hvlab/lib.h>

/* rep movsl over 8 elements, split by a callback that stops on the 4th write: the
 * first 3 are committed (RCX, RSI, RDI), RIP stays; running again finishes. */
static void test_rep_movs_split(void)
{
    SETUP(X86_MODE_64, 0xf3, 0xa5);
    for (unsigned i = 0; i < 8; i++)
        set_ram32(i * 4, 0x1000 + i);
    RSI = RAM_LA;
    RDI = RAM_LA + 0x800;
    RCX = 8;
    F.budget = 7;                       /* read, write, read, write, read, write, read */
    CHECK_EQ(emul_run(), X86EMUL_RETRY);
    CHECK_EQ(RCX, 5);
    CHECK_EQ(RSI, RAM_LA + 12);
    CHECK_EQ(RDI, RAM_LA + 0x800 + 12);
    CHECK_EQ(F.regs.rip, CODE_LA);
    CHECK_EQ(ram32(0x800 + 8), 0x1002);
    CHECK_EQ(ram32(0x800 + 12), 0);
    F.budget = -1;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RCX, 0);
    CHECK_EQ(F.regs.rip, CODE_LA + 2);
    for (unsigned i = 0; i < 8; i++)
        CHECK_EQ(ram32(0x800 + i * 4), 0x1000 + i);
    /* the same through max_reps: 3 per call, three calls */
    SETUP(X86_MODE_64, 0xf3, 0x48, 0xa5);                   /* rep movsq */
    for (unsigned i = 0; i < 8; i++)
        set_ram64(i * 8, 0x2000 + i);
    RSI = RAM_LA;
    RDI = RAM_LA + 0x800;
    RCX = 8;
    F.ctx.max_reps = 3;
    CHECK_EQ(emul_run(), X86EMUL_RETRY);
    CHECK_EQ(RCX, 5);
    CHECK_EQ(emul_run(), X86EMUL_RETRY);
    CHECK_EQ(RCX, 2);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RCX, 0);
    CHECK_EQ(RSI, RAM_LA + 64);
    CHECK_EQ(F.regs.rip, CODE_LA + 3);
    for (unsigned i = 0; i < 8; i++)
        CHECK_EQ(ram64(0x800 + i * 8), 0x2000 + i);
    /* DF=1 walks down; RCX = 0 does nothing but advance RIP */
    SETUP(X86_MODE_64, 0xf3, 0xa4);                         /* rep movsb */
    memcpy(F.ram, "abcd", 4);
    RSI = RAM_LA + 3;
    RDI = RAM_LA + 0x103;
    RCX = 4;
    F.regs.rflags |= FL_DF;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK(memcmp(&F.ram[0x100], "abcd", 4) == 0);
    CHECK_EQ(RSI, RAM_LA - 1);
    SETUP(X86_MODE_64, 0xf3, 0xa4);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(F.nreads + F.nwrites, 0);
    CHECK_EQ(F.regs.rip, CODE_LA + 2);
}

/* rep insw from a port that counts, split by a RETRY on the 5th port read: no element
 * lost or read twice across the split. */
static void test_rep_ins_split(void)
{
    SETUP(X86_MODE_64, 0xf3, 0x66, 0x6d);
    RDI = RAM_LA;
    RDX = 0x1f0;
    RCX = 10;
    F.in_next = 100;
    F.budget = 8;                       /* 4 x (in, write) */
    CHECK_EQ(emul_run(), X86EMUL_RETRY);
    CHECK_EQ(RCX, 6);
    CHECK_EQ(RDI, RAM_LA + 8);
    CHECK_EQ(F.nin, 4);
    F.budget = -1;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RCX, 0);
    CHECK_EQ(F.last_port, 0x1f0);
    for (unsigned i = 0; i < 10; i++) {
        uint16_t v;
        memcpy(&v, &F.ram[i * 2], 2);
        CHECK_EQ(v, 100 + i);
    }
    CHECK_EQ(F.regs.rip, CODE_LA + 3);
    /* 32-bit mode, addr16: CX counts, DI wraps inside 64 KiB, upper bits kept */
    SETUP(X86_MODE_32, 0x67, 0xf3, 0x6c);                   /* addr16 rep insb */
    F.regs.seg_base[X86_SEG_ES] = RAM_LA;
    RDI = 0xabcdfffe;
    RCX = 0x55550003;
    RDX = 0x60;
    F.in_next = 7;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RCX, 0x55550000);
    CHECK_EQ(RDI, 0xabcd0001);
    CHECK_EQ(F.ram[0xfffe], 7);
    CHECK_EQ(F.ram[0xffff], 8);
    CHECK_EQ(F.ram[0], 9);
}

/* INS/OUTS through rep_io (device models, issue 11): one call for a run, rCX and
 * rDI/rSI moved by what it took, RETRY while a REP has elements left, RETRY and
 * DECLINED from the callback handled. */
static void test_rep_io(void)
{
    SETUP(X86_MODE_64, 0xf3, 0x66, 0x6d);                   /* rep insw */
    emul_use_rep_io(1, 100);
    RDI = RAM_LA + 0x10;
    RDX = 0x1f0;
    RCX = 256;
    CHECK_EQ(emul_run(), X86EMUL_RETRY);                    /* 100 of 256 */
    CHECK_EQ(F.rep_calls, 1);
    CHECK_EQ(F.rep_count, 256);
    CHECK_EQ(F.rep_linear, RAM_LA + 0x10);
    CHECK(F.rep_in && !F.rep_df);
    CHECK_EQ(RCX, 156);
    CHECK_EQ(RDI, RAM_LA + 0x10 + 200);
    CHECK_EQ(F.regs.rip, CODE_LA);
    F.rep_max = 1000;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RCX, 0);
    CHECK_EQ(RDI, RAM_LA + 0x10 + 512);
    CHECK_EQ(F.regs.rip, CODE_LA + 3);
    CHECK_EQ(F.nin + F.nwrites, 0);                         /* nothing element-wise */

    SETUP(X86_MODE_64, 0xf3, 0x6f);                         /* rep outsl, DF set */
    emul_use_rep_io(1, 1000);
    F.regs.rflags |= FL_DF;
    RSI = RAM_LA + 0x400;
    RDX = 0x3f6;
    RCX = 8;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK(!F.rep_in && F.rep_df);
    CHECK_EQ(RSI, RAM_LA + 0x400 - 32);
    CHECK_EQ(RCX, 0);

    SETUP(X86_MODE_64, 0x66, 0x6d);                         /* insw, no REP: one */
    emul_use_rep_io(1, 1000);
    RDI = RAM_LA;
    RCX = 77;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(F.rep_count, 1);
    CHECK_EQ(RCX, 77);
    CHECK_EQ(RDI, RAM_LA + 2);

    SETUP(X86_MODE_64, 0xf3, 0x6c);                         /* rep insb, RCX 0 */
    emul_use_rep_io(1, 1000);
    RCX = 0;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(F.rep_calls, 0);
    CHECK_EQ(F.regs.rip, CODE_LA + 2);

    SETUP(X86_MODE_64, 0xf3, 0x6c);                         /* waiting: nothing moves */
    emul_use_rep_io(2, 0);
    RDI = RAM_LA;
    RCX = 5;
    CHECK_EQ(emul_run(), X86EMUL_RETRY);
    CHECK_EQ(RCX, 5);
    CHECK_EQ(RDI, RAM_LA);
    CHECK_EQ(F.regs.rip, CODE_LA);

    SETUP(X86_MODE_64, 0xf3, 0x6c);                         /* declined: element-wise */
    emul_use_rep_io(3, 0);
    RDI = RAM_LA;
    RCX = 5;
    F.in_next = 40;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(F.nin, 5);
    CHECK_EQ(F.ram[4], 44);
    CHECK_EQ(RCX, 0);
}

/* Ports: immediate and DX forms, sizes; string output. */
static void test_ports(void)
{
    SETUP(X86_MODE_64, 0xe5, 0x40);                         /* in $0x40,%eax */
    RAX = ~0ULL;
    F.in_next = 0x12345678;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RAX, 0x12345678);
    CHECK_EQ(F.last_port, 0x40);
    SETUP(X86_MODE_64, 0xec);                               /* in (%dx),%al */
    RAX = 0x1111;
    RDX = 0xffff03f8;                                       /* only DX is the port */
    F.in_next = 0x41;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RAX, 0x1141);
    CHECK_EQ(F.last_port, 0x3f8);
    SETUP(X86_MODE_64, 0x66, 0xe7, 0x70);                   /* out %ax,$0x70 */
    RAX = 0xabcdef;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(F.out_log[0], 0xcdef);
    CHECK_EQ(F.last_port, 0x70);
    CHECK_EQ(F.regs.rip, CODE_LA + 3);
    SETUP(X86_MODE_64, 0xf3, 0x6e);                         /* rep outsb */
    memcpy(F.ram, "hvlab", 5);
    RSI = RAM_LA;
    RCX = 5;
    RDX = 0x3f8;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(F.nout, 5);
    CHECK_EQ(F.out_log[0], 'h');
    CHECK_EQ(F.out_log[4], 'b');
    CHECK_EQ(RSI, RAM_LA + 5);
    SETUP(X86_MODE_64, 0xf3, 0xab);                         /* rep stosl */
    RDI = RAM_LA;
    RCX = 3;
    RAX = 0x01020304;
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(ram32(8), 0x01020304);
    CHECK_EQ(RDI, RAM_LA + 12);
    SETUP(X86_MODE_64, 0xad);                               /* lodsl: no REP */
    RSI = RAM_LA;
    RCX = 3;
    set_ram32(0, 77);
    CHECK_EQ(emul_run(), X86EMUL_OKAY);
    CHECK_EQ(RAX, 77);
    CHECK_EQ(RCX, 3);
    CHECK_EQ(RSI, RAM_LA + 4);
}

static const struct unit_case tests[] = {
    { "rep_io", test_rep_io },
    { "rep movs across a split", test_rep_movs_split },
    { "rep ins across a split", test_rep_ins_split },
    { "ports and strings", test_ports },
};
UNIT_MAIN(tests)
