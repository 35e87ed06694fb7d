#!/usr/bin/env python3
"""The platform devices of an HVM domain (core/arch/x86/svm/hvm_platform.c and
core/hvm/) as its guest sees them: guest/hvm/tests/devices.c checks the LAPIC
(registers, timer one-shot / periodic / TSC-deadline, self-IPI, EOI), the PIT's IRQ 0
through the IOAPIC and through the PIC, the RTC's time and periodic IRQ 8, the PM
timer's rate against the TSC, COM1 output (into the domain's console) and its THRE
interrupt, INIT/SIPI of vCPU 1 (real mode) and IPIs to it while halted; it powers
off through the PM1 control register (S5). Deterministic mode (-icount): the path
lengths it prints are instructions. Pinned to pCPU 1 (created from dom0 on pCPU 0),
its LAPIC timer follows it there: a one-shot 15 us ahead is taken at most 10 us late.
Run from the repository root (make boot-test);
the last line is "hvm devices tests: N passed, N failed".
"""
from __future__ import annotations
import os
import re
import sys
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import check, run_suite  # noqa: E402
from test_hvm import scenario_modules  # noqa: E402

BUILD = os.environ.get("HVLAB_BUILD", "build")
IMAGE = os.environ.get("HVLAB_IMAGE", f"{BUILD}/hvlab.elf")
TIMEOUT_S = 90
CHECKS = ("lapic-regs", "lapic-oneshot", "lapic-eoi", "lapic-periodic", "lapic-tsc-deadline",
          "lapic-self-ipi", "pit-ioapic", "pit-pic", "rtc-time", "rtc-periodic",
          "pmtimer-rate", "uart-thre", "uart-input", "ap-init-sipi", "ap-ipi", "shadow-sti-hlt",
          "upcall-again")


def case_devices() -> str:
    """Every device check passes in the domain, COM1's bytes reach the domain's
    console, S5 powers the domain off through the normal shutdown path, dom0 goes
    on; the path lengths are printed."""
    r = boot(IMAGE, Topology(2, 1, 256), "", TIMEOUT_S,
             modules=scenario_modules("hvm-devices", ["hvmdevices-hvm.elf"], ["devices.cfg"]))
    for name in CHECKS:
        check(f"(d1) devices: {name} ok" in r.output, f"check {name} passes", r)
    check("(d1) devices: 0 failed" in r.output, "no check failed", r)
    check("(d1) devices: uart says hello" in r.output, "COM1 output in the console", r)
    check("domain 1 (devices): shutdown (poweroff)" in r.output,
          "ACPI S5 powers the domain off", r)
    check("(d0) scenario: done" in r.output and r.status == 0, "dom0 goes on, clean poweroff", r)
    m = re.search(r"\(d1\) devices: path io-port (\d+) mmio-lapic (\d+) ipi-to-halted (\d+) "
                  r"timer-to-halted (\d+)", r.output)
    check(m is not None, "the path lengths are printed", r)
    io, mmio, ipi, timer = (int(x) for x in m.groups())
    check(0 < io and 0 < mmio and 0 < ipi and 0 < timer, f"positive: {m.group(0)}", r)
    return (f"path lengths under icount (instructions, min of 64 / 8 / 4): I/O port exit to "
            f"the RTC {io}, LAPIC MMIO read with decoding {mmio}, IPI to a halted vCPU until "
            f"its handler runs {ipi}, TSC-deadline timer to a halted vCPU's handler {timer}")


# A LAPIC one-shot 15 us ahead, taken while the vCPU spins (guest/hvm/tests/devices.c
# lapic_late), at most this late: its soft timer is on the pCPU the vCPU runs on.
LAPIC_LATE_MAX_NS = 10_000


def case_devices_pinned() -> str:
    """The devices guest pinned to pCPU 1 (its domain created from dom0 on pCPU 0):
    every check passes, and its LAPIC timer followed it to pCPU 1 (hvm_platform_follow,
    issue 12): a one-shot 15 us ahead is taken at most LAPIC_LATE_MAX_NS late (left on
    pCPU 0 it fired 40-55 us late under QEMU's round-robin)."""
    r = boot(IMAGE, Topology(2, 1, 256), "", TIMEOUT_S,
             modules=scenario_modules("hvm-devices-pinned", ["hvmdevices-hvm.elf"],
                                      ["devices.cfg"]))
    check("(d1) devices: 0 failed" in r.output, "no check failed", r)
    m = re.search(r"\(d1\) devices: lapic-late (\d+) ns", r.output)
    check(m is not None, "the lateness line", r)
    late = int(m.group(1))
    check(late <= LAPIC_LATE_MAX_NS,
          f"a LAPIC one-shot at most {LAPIC_LATE_MAX_NS} ns late (got {late})", r)
    return f"pinned to pCPU 1: LAPIC one-shot 15 us ahead at most {late} ns late"


if __name__ == "__main__":
    sys.exit(run_suite("hvm devices tests", [case_devices, case_devices_pinned],
                       sys.argv[1:]))
