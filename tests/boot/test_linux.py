#!/usr/bin/env python3
"""Linux, unmodified (Debian's linux-image-amd64), running tests/linux/init.

native: the kernel booted directly by QEMU, no hypervisor: the baseline of issue 12's
PV-vs-HVM-vs-native report, and the proof that the artefacts tools/linux_guest.py
builds are a working system (both vCPUs online, timer interrupts counting, the CPU
loop's value, 200 forks, ACPI power-off). Real-time mode: Linux calibrates and waits
on its timers, which icount's idle warps make slow and run-dependent here.

Run after `make linux-guest`; the last line is "linux tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "build", "linux")
TIMEOUT_S = 300
# The value tests/linux/init's loop computes: sum of its recurrence over 20000 steps.
CPU_LOOP = 0
for _i in range(20000):
    CPU_LOOP = (CPU_LOOP * 31 + _i) % 1000003


def boot_native(smp: int):
    cmd = ["qemu-system-x86_64", "-cpu", "qemu64", "-m", "256", "-smp", str(smp),
           "-kernel", os.path.join(OUT, "vmlinuz"),
           "-initrd", os.path.join(OUT, "initramfs.cpio.gz"),
           "-append", "console=ttyS0 quiet", "-display", "none", "-serial", "stdio",
           "-monitor", "none", "-no-reboot"]
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S)
        out, timed_out = r.stdout.decode(errors="replace"), False
    except subprocess.TimeoutExpired as e:
        out, timed_out = (e.stdout or b"").decode(errors="replace"), True
    return out, timed_out, time.monotonic() - t0


def lines(out: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^LINUX (\S+) ?(.*?)\r?$", out, re.M)}


def case_native_smp2() -> list[str]:
    out, timed_out, wall = boot_native(2)
    got, errs = lines(out), []
    if timed_out:
        errs.append(f"no power-off within {TIMEOUT_S} s")
    want = {"cpus_online": "0-1 nproc 2", "cpu_loop": str(CPU_LOOP), "forks": "200", "done": ""}
    for k, v in want.items():
        if got.get(k) != v:
            errs.append(f"LINUX {k}: want {v!r}, got {got.get(k)!r}")
    irqs = got.get("timer_irqs", "").split()
    if len(irqs) != 2 or not int(irqs[1]) > int(irqs[0]):
        errs.append(f"timer interrupts do not count: {got.get('timer_irqs')!r}")
    if "reboot: Power down" not in out:
        errs.append("the kernel did not power off")
    print(f"     native, 2 vCPUs: {got.get('kernel')}, {wall:.1f} s wall")
    if errs:
        print(out[-3000:])
    return errs


def main() -> int:
    if not os.path.exists(os.path.join(OUT, "initramfs.cpio.gz")):
        print("linux tests: build/linux/ is missing: run `make linux-guest` first")
        return 1
    passed = failed = 0
    for case in [case_native_smp2]:
        errs = case()
        name = case.__name__.removeprefix("case_")
        print(("ok   " if not errs else "FAIL ") + name)
        for e in errs:
            print("     " + e)
        passed, failed = passed + (not errs), failed + bool(errs)
    print(f"linux tests: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
