#!/usr/bin/env python3
"""The HVM runtime's secondary vCPUs (guest/hvm/smp_hvm.c, docs/hvm-guests.md): the
runtime's multi-vCPU self-test (guest/tests/smp/smptest.c: each secondary checks its
identity, sleeps on its own timer, takes a #UD through the shared IDT, prints,
allocates and takes a spinlock, all at once; vCPU 0 joins them and checks what they
left, that each is down afterwards and that only their stacks stay allocated),
built as the HVM image and run:
- natively on QEMU with three CPUs: the MADT from the firmware says 3, CPUs 1 and 2
  are started by INIT/SIPI, their timers are their own LAPIC timers;
- as an HVM domain of three vCPUs under hvlab: the builder's MADT says 3, the
  hypervisor starts each in real mode at the SIPI (svm_sipi.c), its timer events
  come on its own callback vector.
Every check passes in both. Run from the repository root (make boot-test); the last
line is "hvm smp tests: N passed, N failed".
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
RESULT = re.compile(r"smptest: (\d+) passed, (\d+) failed")


def _check_smptest(out: str, prefix: str, r) -> str:
    check(f"{prefix}smptest: 3 vCPUs" in out, "the runtime counts 3 vCPUs (MADT)", r)
    fails = [ln for ln in out.splitlines() if "smptest: FAIL" in ln]
    check(not fails, f"no check fails ({fails[:3]})", r)
    m = RESULT.search(out)
    check(m is not None and m.group(2) == "0" and int(m.group(1)) > 20,
          f"smptest passes ({m.group(0) if m else 'no result line'})", r)
    for v in (1, 2):
        check(f"smptest: vCPU {v} line 4 of 5" in out, f"vCPU {v} ran and printed", r)
    return m.group(0)


def case_native() -> str:
    """smptest-hvm.elf on bare QEMU, -smp 3: exit 0, every check passes."""
    r = boot(f"{BUILD}/guest/smptest-hvm.elf", Topology(3, 1, 128), "", TIMEOUT_S)
    got = _check_smptest(r.output, "", r)
    check(r.status == 0 and "exit 0" in r.output, f"a clean poweroff (status {r.status})", r)
    return f"native, 3 CPUs: {got}"


def case_hvm() -> str:
    """smptest-hvm.elf as a 3-vCPU HVM domain on 2 pCPUs: every check passes, the
    domain powers off, dom0 goes on."""
    r = boot(IMAGE, Topology(2, 1, 256), "", TIMEOUT_S,
             modules=scenario_modules("hvm-smp", ["smptest-hvm.elf"], ["smptest.cfg"]))
    check("domain 1 (smp-hvm): created, 3 vCPUs" in r.output, "a domain of 3 vCPUs", r)
    got = _check_smptest(r.output, "(d1) ", r)
    check("domain 1 (smp-hvm): shutdown (poweroff)" in r.output, "the domain exits 0", r)
    check("(d0) scenario: done" in r.output and r.status == 0, "clean poweroff", r)
    return f"HVM, 3 vCPUs: {got}"


if __name__ == "__main__":
    sys.exit(run_suite("hvm smp tests", [case_native, case_hvm], sys.argv[1:]))
