#!/usr/bin/env python3
"""Turn `nm -n` output of the hypervisor image into an assembly symbol table.

The table is an array of (address, name offset) pairs sorted by address, ended by a
zero pair, followed by the NUL-separated names; core/symbols.c searches it to print
stack traces with function names. Only text symbols are kept.
"""
import sys

def main() -> None:
    syms = []
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 3 or parts[1] not in "tTwW":
            continue
        addr, name = int(parts[0], 16), parts[2]
        if addr < 0xffffffff80000000 or name.startswith(".L"):
            continue
        syms.append((addr, name))
    out = ['.section .hvsymtab,"a"', ".globl hv_symtab", ".balign 8", "hv_symtab:"]
    off = 0
    for addr, name in syms:
        out.append(f".quad {addr:#x}, {off}")
        off += len(name) + 1
    out.append(".quad 0, 0")
    out.append(".globl hv_symnames")
    out.append("hv_symnames:")
    for _, name in syms:
        out.append(f'.asciz "{name}"')
    print("\n".join(out))

if __name__ == "__main__":
    main()
