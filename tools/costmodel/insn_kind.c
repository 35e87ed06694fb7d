/* Instruction classification for the cost-model plugin (host-tested:
 * tests/unit/test_costmodel_insn.c). Opcodes: AMD APM vol. 3 (SYSCALL 0F 05, SYSRET
 * 0F 07, VMRUN 0F 01 D8, VMMCALL 0F 01 D9, IRET CF, MOV to CR3 0F 22 /3 (ModRM reg 3), INVLPG 0F 01 /7 with
 * a memory operand (ModRM mod != 3), INVLPGA 0F 01 DF). */
#include "insn_kind.h"

#include <stdbool.h>

static bool is_prefix(uint8_t b)
{
    switch (b) {
    case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
        return true;
    }
    return (b & 0xf0) == 0x40;          /* REX (64-bit mode) */
}

enum insn_kind insn_kind(const uint8_t *b, size_t len)
{
    size_t i = 0;
    while (i < len && is_prefix(b[i]))
        i++;
    if (i >= len)
        return INSN_OTHER;
    if (b[i] == 0xcf)
        return INSN_IRET;
    if (b[i] != 0x0f || i + 1 >= len)
        return INSN_OTHER;
    switch (b[i + 1]) {
    case 0x05:
        return INSN_SYSCALL;
    case 0x07:
        return INSN_SYSRET;
    case 0x22:
        if (i + 2 < len && ((b[i + 2] >> 3) & 7) == 3)
            return INSN_MOV_CR3;
        return INSN_OTHER;
    case 0x01:
        if (i + 2 >= len)
            return INSN_OTHER;
        if (b[i + 2] == 0xd8)
            return INSN_VMRUN;
        if (b[i + 2] == 0xd9)
            return INSN_VMMCALL;
        if (b[i + 2] == 0xdf)
            return INSN_INVLPGA;
        if ((b[i + 2] >> 6) != 3 && ((b[i + 2] >> 3) & 7) == 7)
            return INSN_INVLPG;
        return INSN_OTHER;
    }
    return INSN_OTHER;
}
