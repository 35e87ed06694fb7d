#!/usr/bin/env python3
"""The hypercall fuzzer under QEMU: tests/scenarios/fuzz runs the fuzzer guest
(tests/guests/hcfuzz.c) next to a bystander, then creates one more domain. Checks:
the hypervisor survived (clean poweroff, no panic), the fuzzer finished its calls
(no FAILED line, no crash), the bystander printed its result, dom0 still creates,
runs and lists a domain afterwards, and no frame leaked (free frames after destroying
every domain equal free frames before the first was created).

    python3 tests/boot/test_fuzz.py              the short run of `make test`
                                                  (the scenario's own fuzz.cfg)
    python3 tests/boot/test_fuzz.py --long       the long run of `make fuzz`:
        FUZZ_SEEDS=1,2,3 (default 1,2,3,4)  FUZZ_CALLS=N (default 1000000 per seed)
        FUZZ_SKIP=shinfo,timer,canon (default: the scenario's; "none" for all classes)

A failure prints the fuzzer's replay line (seed, call index) or, when the hypervisor
killed the domain, its message and the last progress line: rerun that seed with
trace=<that call> in fuzz.cfg's extra to see every call from there on.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from test_boot import (IMAGE, CheckFailed, Topology, boot, check,  # noqa: E402
                       run_suite, scenario_modules)

SCENARIO = "tests/scenarios/fuzz"
IMAGES = ["cpuloop", "hcfuzz", "hello"]
CFGS = ["bystander.cfg", "fuzz.cfg", "after.cfg"]
TOPO = Topology(2, 1, 512)


def scenario_extra(directory: str) -> str:
    m = re.search(r'^extra = "(.*)"', open(os.path.join(directory, "fuzz.cfg")).read(), re.M)
    if m is None:
        raise CheckFailed(f"{directory}/fuzz.cfg: no extra = \"...\" line")
    return m.group(1)


def with_extra(directory: str, extra: str) -> str:
    """A copy of the scenario in a temporary folder, fuzz.cfg's extra replaced."""
    tmp = tempfile.mkdtemp(prefix="hvlab-fuzz-")
    for name in os.listdir(directory):
        shutil.copy(os.path.join(directory, name), tmp)
    path = os.path.join(tmp, "fuzz.cfg")
    text = re.sub(r'^extra = ".*"', f'extra = "{extra}"', open(path).read(), flags=re.M)
    open(path, "w").write(text)
    return tmp


def diagnose(out: str) -> str:
    """What to tell someone replaying a failure: the fuzzer's own FAILED line, else
    the hypervisor's message about the domain and the last progress line."""
    failed = re.search(r"fuzz: FAILED .*", out)
    if failed:
        return failed.group(0)
    crash = re.search(r"domain \d+ \(fuzz\): crashed: .*", out)
    prog = re.findall(r"fuzz: seed=\d+ call=\d+ .*", out)
    return "; ".join(x for x in (crash.group(0) if crash else "",
                                 f"last progress: {prog[-1]}" if prog else
                                 "no progress line") if x)


def run_fuzz(directory: str, timeout_s: float) -> str:
    """Boots the scenario in directory and checks it; returns a note with the figures."""
    extra = scenario_extra(directory)
    calls = int(re.search(r"calls=(\d+)", extra).group(1))
    r = boot(IMAGE, TOPO, "", timeout_s,
             modules=scenario_modules(directory, IMAGES, CFGS))
    out = r.output
    check(not r.timed_out, f"QEMU did not exit within {timeout_s} s ({diagnose(out)})", r)
    check("Panic" not in out, "the hypervisor panicked", r)
    check(r.status == 0, "the machine powers off cleanly", r)
    done = re.search(r"\(d(\d+)\) fuzz: done seed=(\d+) calls=(\d+) ok=(\d+) refused=(\d+) "
                     r"faults=(\d+) probes=(\d+) tsc=(\d+)", out)
    check(done is not None, f"the fuzzer finished its calls ({extra}): {diagnose(out)}", r)
    check(int(done.group(3)) == calls, f"calls {done.group(3)} != {calls}", r)
    check("fuzz: FAILED" not in out, diagnose(out), r)
    check(re.search(r"domain \d+ \(fuzz\): shutdown \(poweroff\)", out) is not None,
          "the fuzzer's domain ended with a poweroff", r)
    check(re.search(r"\(d1\) result bench=cpuloop dom=1 iters=[1-9]\d* ms=\d+", out) is not None,
          "the bystander finished its work", r)
    check(re.search(r"\(d3\) hello from domain 3", out) is not None and
          "(d0) wait after: poweroff" in out, "dom0 created and ran a domain after the fuzz", r)
    check("(d0) scenario: done" in out, "dom0 finished the scenario", r)
    # Frames: free before the bystander (the first domU) == free after the last destroy
    # of the pair, and again after the third domain.
    before = re.search(r"domain 1 \(bystander\): created, \d+ vCPUs?, (\d+) frames free before",
                       out)
    gone = re.findall(r"domain ([123]) \((\w+)\): destroyed, \d+ frames returned, (\d+) free",
                      out)
    check(before is not None and len(gone) == 3, f"three domains destroyed ({len(gone)})", r)
    pair = [int(free) for dom, _, free in gone if dom in ("1", "2")]
    check(pair[-1] == int(before.group(1)),
          f"free frames {pair[-1]} after destroying fuzz and bystander, "
          f"{before.group(1)} before creating them", r)
    check(int(gone[-1][2]) == int(before.group(1)),
          f"free frames {gone[-1][2]} after the third domain, {before.group(1)} before", r)
    tsc = int(done.group(8))
    return (f"seed={done.group(2)} calls={calls} ok={done.group(4)} refused={done.group(5)} "
            f"faults={done.group(6)}: {calls / r.wall_s:,.0f} calls/s of wall time "
            f"({r.wall_s:.1f} s for the whole boot), {tsc / calls:,.0f} instructions per call "
            f"(icount, whole machine)")


def case_fuzz_short() -> str:
    """`make test`: the scenario as it is in the tree (a known-good seed, known-bug
    classes off)."""
    return run_fuzz(SCENARIO, 240)


def long_cases() -> list:
    seeds = [int(s) for s in os.environ.get("FUZZ_SEEDS", "1,2,3,4").split(",") if s]
    calls = int(os.environ.get("FUZZ_CALLS", "1000000"))
    base = scenario_extra(SCENARIO)
    skip = os.environ.get("FUZZ_SKIP", re.search(r"skip=(\S+)", base).group(1)
                          if "skip=" in base else "none")
    cases = []
    for seed in seeds:
        extra = f"seed={seed} calls={calls} progress={max(calls // 20, 1)} skip={skip}"

        def case(extra=extra) -> str:
            tmp = with_extra(SCENARIO, extra)
            try:
                return run_fuzz(tmp, 60 + calls / 5000)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        case.__name__ = f"fuzz_seed{seed}"
        cases.append(case)
    return cases


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--long" in args:
        args.remove("--long")
        sys.exit(run_suite("fuzz (long)", long_cases(), args))
    sys.exit(run_suite("fuzz tests", [case_fuzz_short], args))
