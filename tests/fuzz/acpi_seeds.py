#!/usr/bin/env python3
"""Seeds for fuzz_acpi from the tables captured from QEMU (tests/data/acpi/<config>/).

    acpi_seeds.py OUTDIR

For each configuration: one seed per table (mode byte 0, then the table), and one
"physical memory" seed (mode byte 1, then memory from address 0): the RSDP at 0 and
the tables after it, moved together so that the RSDT's pointers and the FADT's DSDT
pointer still lead to them (the captured addresses are near 256 MiB), checksums fixed.
"""
import os
import struct
import sys

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "acpi")
TABLES_AT = 0x100       # where the moved tables start in the memory seed


def fix_checksum(buf: bytearray, start: int, length: int, at: int) -> None:
    buf[at] = 0
    buf[at] = (-sum(buf[start:start + length])) & 0xFF


def manifest(cfg: str) -> list[tuple[str, int, int, str]]:
    rows = []
    for line in open(os.path.join(DATA, cfg, "manifest.txt")):
        if line.startswith("#") or not line.strip():
            continue
        name, pa, length, fname = line.split()
        rows.append((name, int(pa, 16), int(length), fname))
    return rows


def memory_seed(cfg: str) -> bytes:
    rows = manifest(cfg)
    data = {name: bytearray(open(os.path.join(DATA, cfg, f), "rb").read())
            for name, _, _, f in rows}
    tables = [(n, pa, ln) for n, pa, ln, _ in rows if n != "RSDP"]
    lo = min(pa for _, pa, _ in tables)
    hi = max(pa + ln for _, pa, ln in tables)
    delta = TABLES_AT - lo

    mem = bytearray(TABLES_AT + hi - lo)
    rsdp = data["RSDP"]
    rsdt_pa = struct.unpack_from("<I", rsdp, 16)[0]
    struct.pack_into("<I", rsdp, 16, rsdt_pa + delta)
    fix_checksum(rsdp, 0, 20, 8)
    mem[0:len(rsdp)] = rsdp
    rsdt = data["RSDT"]
    for off in range(36, len(rsdt), 4):
        struct.pack_into("<I", rsdt, off, struct.unpack_from("<I", rsdt, off)[0] + delta)
    fix_checksum(rsdt, 0, len(rsdt), 9)
    facp = data["FACP"]
    struct.pack_into("<I", facp, 40, struct.unpack_from("<I", facp, 40)[0] + delta)
    fix_checksum(facp, 0, len(facp), 9)
    for name, pa, ln in tables:
        mem[pa + delta:pa + delta + ln] = data[name]
    return b"\x01" + bytes(mem)


def main() -> int:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for cfg in sorted(os.listdir(DATA)):
        if not os.path.isdir(os.path.join(DATA, cfg)):
            continue
        for name, _, _, f in manifest(cfg):
            blob = open(os.path.join(DATA, cfg, f), "rb").read()
            open(os.path.join(out, f"{cfg}-{name}"), "wb").write(b"\x00" + blob)
        open(os.path.join(out, f"{cfg}-memory"), "wb").write(memory_seed(cfg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
