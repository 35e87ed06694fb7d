/* Which x86-64 instructions the cost model counts as hardware events. */
#ifndef COSTMODEL_INSN_KIND_H
#define COSTMODEL_INSN_KIND_H

#include <stddef.h>
#include <stdint.h>

enum insn_kind { INSN_OTHER, INSN_VMRUN, INSN_VMMCALL, INSN_SYSCALL, INSN_SYSRET, INSN_IRET,
                 INSN_MOV_CR3, INSN_INVLPG, INSN_INVLPGA };

/* The kind of the instruction in bytes[0..len): legacy prefixes and REX skipped. */
enum insn_kind insn_kind(const uint8_t *bytes, size_t len);

#endif
