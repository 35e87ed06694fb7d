#!/usr/bin/env python3
"""Grant-table boot tests: two PV domUs, a granter and a mapper (tests/guests/
granttest*.c), show map, write, the granter seeing it, end-access refused while
mapped, copy, and every bad input getting its status; then the granter is destroyed
while the mapper still maps two of its frames: its frames are not reused by a domain
built meanwhile, it is freed only after the mapper's last unmap, and the free-frame
count comes back to its start.

Run from the repository root. The last line is "grant tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import BootResult, Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite, scenario_modules  # noqa: E402


def summary(r: BootResult, dom: int) -> tuple[int, int]:
    m = re.search(rf"\(d{dom}\) grant: (\d+) passed, (\d+) failed", r.output)
    check(m is not None, f"domain {dom} reports its summary", r)
    return int(m.group(1)), int(m.group(2))


def case_pv_granter_mapper() -> None:
    d = "tests/scenarios/grant"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["granttest"],
                                      ["granter.cfg", "mapper.cfg", "reuser.cfg"]))
    check(r.status == 0, "the machine powers off cleanly", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    failed = [ln for ln in r.output.splitlines() if "FAILED" in ln]
    check(not failed, f"no case failed: {failed}", r)
    for dom, least in ((1, 20), (2, 60), (3, 3)):
        p, f = summary(r, dom)
        check(f == 0 and p >= least, f"domain {dom}: {p} passed (>= {least}), {f} failed", r)
    for case in ("granter sees the mapper's write", "end-access refused while mapped",
                 "map a page table writable", "W2 not reused by it", "maptrack full",
                 "copy into a read-only grant", "host_addr without an L1 table"):
        check(re.search(rf"grant: {re.escape(case)} ok", r.output) is not None,
              f"case '{case}' ran and held", r)
    # The granter's struct, table and frames go only at the mapper's last unmap (the
    # hypervisor logs it during that hypercall: after the one before it is reported).
    out = r.output
    unmapped = out.find("(d2) grant: unmap W2 of the dead granter ok")
    freed = re.search(r"domain 1 \(granter\): destroyed, \d+ frames returned, (\d+) free", out)
    check(unmapped >= 0 and freed is not None, "the unmap and the granter's end logged", r)
    check(freed.start() > unmapped, "the granter is freed only at the mapper's last unmap", r)
    before = re.search(r"domain 1 \(granter\): created, \d+ vCPUs?, (\d+) frames free before",
                       out)
    after = re.findall(r"domain [123] \(\w+\): destroyed, \d+ frames returned, (\d+) free", out)
    check(before is not None and len(after) == 3, "creation and three ends logged", r)
    check(int(after[-1]) == int(before.group(1)),
          f"free frames back to {before.group(1)} after all (got {after[-1]})", r)


CASES = [case_pv_granter_mapper]

if __name__ == "__main__":
    sys.exit(run_suite("grant tests", CASES, sys.argv[1:]))
