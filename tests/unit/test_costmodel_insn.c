/* The cost-model plugin's instruction classification (tools/costmodel/insn_kind.c):
 * the counted events with and without prefixes, their near neighbours, and truncated
 * bytes (a length shorter than the opcode must not be read past). */
#include "unit.h"

#include "../../tools/costmodel/insn_kind.h"

#define KIND(...) ({ static const uint8_t b_[] = { __VA_ARGS__ }; insn_kind(b_, sizeof(b_)); })

static void test_events(void)
{
    CHECK_EQ(KIND(0x0f, 0x05), INSN_SYSCALL);
    CHECK_EQ(KIND(0x48, 0x0f, 0x07), INSN_SYSRET);          /* sysretq: REX.W */
    CHECK_EQ(KIND(0x0f, 0x07), INSN_SYSRET);
    CHECK_EQ(KIND(0x0f, 0x01, 0xd8), INSN_VMRUN);
    CHECK_EQ(KIND(0x0f, 0x01, 0xd9), INSN_VMMCALL);
    CHECK_EQ(KIND(0x48, 0xcf), INSN_IRET);                  /* iretq */
    CHECK_EQ(KIND(0xcf), INSN_IRET);
    CHECK_EQ(KIND(0x66, 0x2e, 0x0f, 0x05), INSN_SYSCALL);   /* prefixes skipped */
    CHECK_EQ(KIND(0x0f, 0x22, 0xd8), INSN_MOV_CR3);         /* mov %rax,%cr3 */
    CHECK_EQ(KIND(0x41, 0x0f, 0x22, 0xdf), INSN_MOV_CR3);   /* mov %r15,%cr3 */
    CHECK_EQ(KIND(0x0f, 0x01, 0x38), INSN_INVLPG);          /* invlpg (%rax) */
    CHECK_EQ(KIND(0x0f, 0x01, 0x7c, 0x24, 0x08), INSN_INVLPG); /* invlpg 8(%rsp) */
    CHECK_EQ(KIND(0x0f, 0x01, 0xdf), INSN_INVLPGA);
}

static void test_neighbours(void)
{
    CHECK_EQ(KIND(0x0f, 0x01, 0xda), INSN_OTHER);           /* VMLOAD */
    CHECK_EQ(KIND(0x0f, 0x01, 0xdb), INSN_OTHER);           /* VMSAVE */
    CHECK_EQ(KIND(0x0f, 0x01, 0xd0), INSN_OTHER);           /* XGETBV */
    CHECK_EQ(KIND(0x0f, 0x34), INSN_OTHER);                 /* SYSENTER */
    CHECK_EQ(KIND(0xcd, 0x80), INSN_OTHER);                 /* INT 0x80 */
    CHECK_EQ(KIND(0x90), INSN_OTHER);
    CHECK_EQ(KIND(0x48, 0x89, 0xc7), INSN_OTHER);
    CHECK_EQ(KIND(0x0f, 0x22, 0xc0), INSN_OTHER);           /* mov %rax,%cr0 */
    CHECK_EQ(KIND(0x0f, 0x22, 0xe0), INSN_OTHER);           /* mov %rax,%cr4 */
    CHECK_EQ(KIND(0x0f, 0x20, 0xd8), INSN_OTHER);           /* mov %cr3,%rax */
    CHECK_EQ(KIND(0x0f, 0x01, 0xf8), INSN_OTHER);           /* SWAPGS: /7, mod 3 */
    CHECK_EQ(KIND(0x0f, 0x01, 0x30), INSN_OTHER);           /* LMSW: /6 */
}

static void test_truncated(void)
{
    static const uint8_t vmrun[] = { 0x0f, 0x01, 0xd8 };
    CHECK_EQ(insn_kind(vmrun, 2), INSN_OTHER);
    CHECK_EQ(insn_kind(vmrun, 1), INSN_OTHER);
    CHECK_EQ(insn_kind(vmrun, 0), INSN_OTHER);
    static const uint8_t prefixes[] = { 0x66, 0x48 };
    CHECK_EQ(insn_kind(prefixes, sizeof(prefixes)), INSN_OTHER);
}

static const struct unit_case cases[] = {
    { "the counted events, with prefixes", test_events },
    { "their neighbours are not counted", test_neighbours },
    { "truncated bytes", test_truncated },
};

UNIT_MAIN(cases)
