#!/usr/bin/env python3
"""Boot the multi-vCPU scenario (scenario.txt) under QEMU and check what it printed:
every domain ran; a 2-vCPU cpuloop had both vCPUs running all along (run_ns ~ 2x the
1-vCPU baseline's on an otherwise idle 2-pCPU machine); 4 vCPUs on 2 pCPUs shared
them (as much runnable as running); the periodic sleeper met its deadlines.
Run from anywhere after `make`:
    python3 guest/tests/smp/run.py [-v] [--mttcg]
-v prints the whole console. --mttcg boots without -icount (multi-threaded TCG): only
then do 2 busy pCPUs execute twice the instructions of one; under -icount all vCPUs
share one instruction stream (1 ns per instruction, whichever CPU runs it), so the
iterations are split between the vCPUs, not doubled.
Written like tests/boot/test_boot.py's cases, so it can move there as one."""
from __future__ import annotations

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "experiments"))
from hvlab.console import parse  # noqa: E402
from hvlab.machine import Topology, boot  # noqa: E402

DIR = "guest/tests/smp"
CFGS = ("smptest.cfg", "one.cfg", "two.cfg", "four.cfg", "rt.cfg", "listed.cfg")


def modules() -> list[str]:
    mods = ["build/dom0.elf"] + [f"build/guest/{i}.elf {i}.elf"
                                 for i in ("cpuloop", "sleeper", "smptest")]
    return mods + [f"{DIR}/{c} {c}" for c in CFGS] + [f"{DIR}/scenario.txt scenario"]


def main() -> int:
    os.chdir(ROOT)
    mttcg = "--mttcg" in sys.argv
    r = boot("build/hvlab.elf", Topology(2, 1, 512), "", 300, modules=modules(),
             deterministic=not mttcg)
    if "-v" in sys.argv:
        print(r.output)
    failed = []

    def check(cond: bool, what: str) -> None:
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failed.append(what)

    out = r.output.splitlines()
    for ln in out:
        if "result bench=" in ln:
            print("     " + ln.strip())
    check(r.status == 0, f"clean poweroff (status {r.status})")
    check("(d0) scenario: done" in r.output, "the scenario completed")
    texts = [m.group(1) for m in (re.search(r"\(d[1-9]\d*\) (result .*)$", ln) for ln in out)
             if m]
    # The hypervisor prints a guest's line in pieces of at most con_line's size - 1
    # (include/hvlab/domain.h): a longer result line loses its tail to the next line.
    cut = [t for t in texts if not re.search(r"(blocked_ns|misses)=\d+$", t)]
    longest = max(map(len, texts), default=0)
    check(bool(texts) and not cut,
          f"result lines arrive whole ({len(cut)} cut; longest {longest} characters)")
    res = {rec.get("console_dom"): rec for rec in parse(r.output)["results"]}
    # Domains in creation order: smptest, one, two, four, rt, listed.
    check("(d1) smptest: 3 vCPUs" in r.output and
          re.search(r"\(d1\) smptest: \d+ passed, 0 failed", r.output) is not None,
          "the runtime's self-test passed on 3 vCPUs")
    lines = [ln for ln in out if "(d1) smptest: vCPU" in ln]
    check(len(lines) == 15 and all(re.search(r"\(d1\) smptest: vCPU [0-2] line [0-4] of 5, "
                                             r"a line long enough to show interleaving$", ln)
                                   for ln in lines),
          "15 lines from 3 vCPUs, none mixed")
    one, two, four, rt = (res.get(d, {}) for d in (2, 3, 4, 5))
    check(re.search(r"\(d2\) result bench=cpuloop dom=2 iters=(\d+) ms=300", r.output)
          is not None, "the old result prefix still parses")
    check((one.get("vcpus"), two.get("vcpus"), four.get("vcpus")) == (1, 2, 4),
          "vcpus= reported 1, 2, 4")
    whole = all("blocked_ns" in x for x in (one, two, four))
    check(whole, "every cpuloop result has all its fields")
    if whole:
        ratio = two["run_ns"] / one["run_ns"]
        # Not quite 2: dom0's wait poll (every 100 ms) shares a pCPU, and under -icount
        # the idle pCPU takes a few ms to pick vCPU 1 up (QEMU runs one CPU at a time).
        check(1.9 <= ratio <= 2.05, f"2 vCPUs ran ~2x the baseline (run_ns ratio {ratio:.3f})")
        check(two["runnable_ns"] < 0.05 * two["run_ns"], "2 vCPUs on 2 pCPUs barely waited")
        iters = two["iters"] / one["iters"]
        want = (1.8, 2.05) if mttcg else (0.95, 1.05)
        check(want[0] <= iters <= want[1], f"iterations x{iters:.3f} (expected {want})")
        ratio4 = four["run_ns"] / one["run_ns"]
        check(1.9 <= ratio4 <= 2.05, f"4 vCPUs on 2 pCPUs ran ~2x (ratio {ratio4:.3f})")
        check(0.8 * four["run_ns"] < four["runnable_ns"] < 1.2 * four["run_ns"],
              "4 vCPUs on 2 pCPUs waited about as long as they ran")
    check(rt.get("work_us") == 300 and rt.get("misses") == 0,
          f"the periodic sleeper met every deadline (misses={rt.get('misses')})")
    if "run_ns" in rt:
        frac = rt["run_ns"] / (rt["periods"] * rt["period_us"] * 1000)
        check(0.29 <= frac <= 0.36, f"the sleeper ran ~30% of the time ({frac:.3f})")
    listed = [ln for ln in out if re.search(r"\(d0\) smp-listed +6 +[01] +[01] ", ln)]
    check(len(listed) == 2, "vcpu-list shows both vCPUs of a 2-vCPU domain on a CPU")
    check("crash" not in r.output.lower(), "no crash")
    print(f"smp: {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
