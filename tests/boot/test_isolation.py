#!/usr/bin/env python3
"""Targeted isolation boot tests: each boots dom0 with a scenario in which an
unprivileged test guest attacks one part of the hypervisor next to a bystander, and
checks that every attempt was refused, the bystander finished, dom0 carried on, and
every frame came back when the domains were destroyed.

Run from the repository root (make boot-test). The last line is
"isolation tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import BootResult, Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite, scenario_modules  # noqa: E402


def check_contained(r: BootResult, guest: str, dom: int, min_cases: int) -> None:
    """The guest's own summary says every case held; the neighbours were unharmed."""
    check(r.status == 0, "the machine survives and powers off cleanly", r)
    m = re.search(rf"\(d{dom}\) {guest}: (\d+) passed, (\d+) failed", r.output)
    check(m is not None, f"the {guest} guest reports its summary", r)
    check(int(m.group(1)) >= min_cases and m.group(2) == "0",
          f"every {guest} case holds ({m.group(0)})", r)
    check(re.search(r"\(d1\) result bench=cpuloop dom=1 iters=\d+ ms=100", r.output)
          is not None, "the bystander finished its work", r)
    check("(d0) scenario: done" in r.output, "dom0 carried on", r)


def check_no_frame_leaked(r: BootResult) -> None:
    """Free frames before the first domain was created == after the last destroy."""
    before = re.search(r"domain 1 \(.*?\): created, \d+ vCPUs?, (\d+) frames free before",
                       r.output)
    after = re.findall(r"destroyed, \d+ frames returned, (\d+) free", r.output)
    check(before is not None and len(after) >= 2, "creation and destruction logged", r)
    check(int(after[-1]) == int(before.group(1)),
          f"free frames back to {before.group(1)} after destroying all (got {after[-1]})", r)


def case_hvframes() -> None:
    """The shared info page cannot become a page table of any level, nor be given
    back; global, uncached and write-through entries are refused; events still
    arrive through the page afterwards; nothing leaks."""
    d = "tests/scenarios/hvframes"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["cpuloop", "hvframes"],
                                      ["hvframes.cfg", "bystander.cfg"]))
    check_contained(r, "isolation", 2, 15)
    check_no_frame_leaked(r)


CASES = [case_hvframes]

if __name__ == "__main__":
    sys.exit(run_suite("isolation tests", CASES, sys.argv[1:]))
