#!/usr/bin/env python3
"""HVM isolation (issue 10, "Bad input and isolation"): the HVM isolation guest
(guest/hvm/tests/isolation.c) attacks from HVM domains next to a PV bystander. One
domain (iso-safe) runs every attack it must survive, each a named case checked here:
EFER.SVME set (#GP, the real EFER unchanged) and cleared (runs), VM_HSAVE_PA and VM_CR
(#GP), the APIC base moved onto its RAM (refused with #GP, the RAM still RAM), every
SVM instruction but VMMCALL (#UD), the LAPIC and IOAPIC pages (its own emulated
devices: an INIT to all others, a software-disabled LAPIC, masked IOAPIC pins reach
nothing real), INIT/SIPI to APIC IDs it has no vCPU for (and, in a domain of its
own, to 32-bit ones in x2APIC mode), and a port sweep over the
machine's own devices (PIT, PICs, 0xf4 debug exit, 0x64 reset, PCI config),
then every port read and written with 0. Each
attack that must crash the domain has a domain of its own: a read just above its RAM,
in the 3-4 GiB hole, at the top of the physical address width, its own page table
pointing above its RAM, and a triple fault; an MMIO read the emulator must store at
a GPA above its RAM (rep movsl from the LAPIC) has the store dropped;
the reset port 0xcf9 reboots only that domain. dom0 names the domain, exit code and
guest RIP of each crash; the bystander finishes; the machine powers off normally
(so 0xf4 never reached QEMU's debug exit); every frame comes back.
Run from the repository root (make boot-test); the last line is
"hvm isolation tests: N passed, N failed".
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
TIMEOUT_S = 120
SAFE = ("efer-read-hides-svme", "efer-set-svme-gp", "efer-clear-svme-runs", "efer-clear-lme-gp",
        "vm-hsave-read-gp", "vm-hsave-write-gp", "vm-cr-write-gp",
        "apic-base-onto-ram-refused", "msr-sweep-writes-only-emulated", "vmrun-ud", "vmload-ud", "vmsave-ud", "stgi-ud",
        "clgi-ud", "skinit-ud", "invlpga-ud", "lapic-is-own", "lapic-writes-stay-own",
        "ioapic-is-own", "ioapic-writes-stay-own", "init-sipi-absent-vcpus",
        "emulated-store-above-ram-dropped",
        "pci-config-not-reached", "machine-ports-survived")
# case -> (domain id in the scenario, what dom0's crash line must say)
CRASHES = {
    "above": (3, r"read of guest physical 0x1000000, not its RAM: exit 0x400 \(npf\)"),
    "hole": (4, r"read of guest physical 0xfed00000, not its RAM: exit 0x400 \(npf\)"),
    "high": (5, r"read of guest physical 0x[0-9a-f]*fe00000, not its RAM: exit 0x400 \(npf\)"),
    "walk": (7, r"write of guest physical 0x1000000, not its RAM: exit 0x400 \(npf\)"),
    "triple": (9, r"triple fault \(shutdown\): exit 0x7f \(shutdown\)"),
}


def case_hvm_isolation() -> None:
    """Every survivable attack is a named case that holds; every crashing one crashes
    its own domain alone with dom0's line; the reset port reboots only its domain; the
    PV bystander finishes; the hypervisor stays up and gets every frame back."""
    cases = ["safe", "above", "hole", "high", "reset", "walk", "x2apic", "triple"]
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules("hvm-isolation", ["hvmiso-hvm.elf", "cpuloop.elf"],
                                      ["bystander.cfg"] + [f"iso-{c}.cfg" for c in cases]))
    out = r.output
    for name in SAFE:
        check(f"(d2) hvmiso: {name} ok" in out, f"case {name} holds", r)
    check(f"(d2) hvmiso: {len(SAFE)} passed, 0 failed" in out and "FAILED" not in out,
          f"iso-safe: {len(SAFE)} passed, none failed", r)
    check("(d2) hvmiso: port sweep done" in out,
          "every port read and written (0) from iso-safe, the machine up", r)
    check("(d2) hvmiso: com1 is its own console" in out,
          "COM1 (0x3f8) is the domain's own UART: its bytes are its console", r)
    check("domain 2 (iso-safe): shutdown (poweroff)" in out, "iso-safe powers off", r)
    for case, (dom, why) in CRASHES.items():
        check(f"(d{dom}) hvmiso: trying {case}" in out, f"iso-{case} started its attack", r)
        line = (rf"domain {dom} \(iso-{case}\): vCPU0: {why} at guest rip "
                r"0x10[0-9a-f]{4}")
        check(re.search(line, out) is not None, f"dom0's crash line for iso-{case}: /{line}/", r)
        check(f"domain {dom} (iso-{case}): shutdown (crash)" in out, f"iso-{case} crashed", r)
    check("(d6) hvmiso: trying reset" in out and
          "domain 6 (iso-reset): shutdown (reboot)" in out,
          "the reset port 0xcf9 reboots iso-reset, not the machine", r)
    check("(d8) hvmiso: x2apic-init-sipi-absent-vcpus ok" in out and
          "domain 8 (iso-x2apic): shutdown (poweroff)" in out,
          "in x2APIC mode, INIT/SIPI to absent 32-bit IDs are ignored; iso-x2apic powers off", r)
    check("still running" not in out, "no crashing attack was survived", r)
    check(re.search(r"\(d1\) result bench=cpuloop dom=1 iters=[1-9]\d* ms=200", out) is not None,
          "the PV bystander finished its work", r)
    check(r.status == 0 and "(d0) scenario: done" in out and "hvlab: powering off" in out,
          f"the hypervisor stays up and powers off normally (status {r.status})", r)
    before = re.search(r"domain 1 \(bystander\): created, 1 vCPU, (\d+) frames free before", out)
    after = re.findall(r"destroyed, \d+ frames returned, (\d+) free", out)
    check(before is not None and len(after) >= 9 and int(after[-1]) == int(before.group(1)),
          f"every frame back: {before.group(1) if before else None} before, {after} after", r)


if __name__ == "__main__":
    sys.exit(run_suite("hvm isolation tests", [case_hvm_isolation], sys.argv[1:]))
