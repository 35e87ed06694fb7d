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
        then two fuzzers side by side, no bystander (tests/scenarios/fuzz-pair)

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
PAIR = "tests/scenarios/fuzz-pair"
IMAGES = ["cpuloop", "hcfuzz", "hello"]
TOPO = Topology(2, 1, 512)


def scenario_extra(directory: str, cfg: str = "fuzz.cfg") -> str:
    m = re.search(r'^extra = "(.*)"', open(os.path.join(directory, cfg)).read(), re.M)
    if m is None:
        raise CheckFailed(f"{directory}/{cfg}: no extra = \"...\" line")
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


def run_fuzz(directory: str, timeout_s: float, fuzzers: tuple[str, ...] = ("fuzz",),
             bystander: bool = True) -> str:
    """Boots the scenario in directory (the domains: the bystander if any, then the
    fuzzers, then "after") and checks it; returns a note with the figures."""
    cfgs = (["bystander.cfg"] if bystander else []) + [f"{f}.cfg" for f in fuzzers]
    extra = scenario_extra(directory, f"{fuzzers[0]}.cfg")
    calls = int(re.search(r"calls=(\d+)", extra).group(1))
    r = boot(IMAGE, TOPO, "", timeout_s,
             modules=scenario_modules(directory, IMAGES, cfgs + ["after.cfg"]))
    out = r.output
    check(not r.timed_out, f"QEMU did not exit within {timeout_s} s ({diagnose(out)})", r)
    check("Panic" not in out, "the hypervisor panicked", r)
    check(r.status == 0, "the machine powers off cleanly", r)
    ids = {name: int(d) for d, name in re.findall(r"domain (\d+) \((\w+)\): created", out)}
    notes = []
    for name in fuzzers:
        done = re.search(rf"\(d{ids.get(name, -1)}\) fuzz: done seed=(\d+) calls=(\d+) ok=(\d+) "
                         r"refused=(\d+) faults=(\d+) probes=(\d+) tsc=(\d+)", out)
        check(done is not None, f"{name} finished its calls ({extra}): {diagnose(out)}", r)
        check(int(done.group(2)) == calls, f"{name}: calls {done.group(2)} != {calls}", r)
        check(re.search(rf"domain \d+ \({name}\): shutdown \(poweroff\)", out) is not None,
              f"{name}'s domain ended with a poweroff", r)
        notes.append((done, calls))
    check("fuzz: FAILED" not in out, diagnose(out), r)
    if bystander:
        check(re.search(rf"\(d{ids.get('bystander', -1)}\) result bench=cpuloop dom=\d+ "
                        r"iters=[1-9]\d* ms=\d+", out) is not None,
              "the bystander finished its work", r)
    after = ids.get("after", -1)
    check(re.search(rf"\(d{after}\) hello from domain {after}", out) is not None and
          "(d0) wait after: poweroff" in out, "dom0 created and ran a domain after the fuzz", r)
    check("(d0) scenario: done" in out, "dom0 finished the scenario", r)
    # Frames: free before the first domU == free after the last destroy of the first
    # group (bystander and fuzzers), and again after the "after" domain.
    # (After boot: the boot self-tests create and destroy a domain of their own.)
    booted = out[out.find("hvlab: boot complete"):]
    before = re.search(r"domain 1 \(\w+\): created, \d+ vCPUs?, (\d+) frames free before", booted)
    gone = re.findall(r"domain (\d+) \((\w+)\): destroyed, \d+ frames returned, (\d+) free",
                      booted)
    check(before is not None and len(gone) == len(cfgs) + 1,
          f"{len(cfgs) + 1} domains destroyed ({len(gone)})", r)
    group = [int(free) for _, name, free in gone if name != "after"]
    check(group[-1] == int(before.group(1)),
          f"free frames {group[-1]} after destroying {', '.join(n[:-4] for n in cfgs)}, "
          f"{before.group(1)} before creating them", r)
    check(int(gone[-1][2]) == int(before.group(1)),
          f"free frames {gone[-1][2]} after the last domain, {before.group(1)} before", r)
    total = sum(c for _, c in notes)
    tsc = max(int(d.group(7)) for d, _ in notes)     # each counts the whole machine
    runs = " ".join(f"seed={d.group(1)} ok={d.group(3)} refused={d.group(4)} "
                    f"faults={d.group(5)}" for d, _ in notes)
    return (f"{runs}: {total} calls, {total / r.wall_s:,.0f} calls/s of wall time "
            f"({r.wall_s:.1f} s for the whole boot), {tsc / total:,.0f} instructions per call "
            f"(icount, whole machine)")


def case_fuzz_short() -> str:
    """`make test`: the scenario as it is in the tree (seed 1, every class of call)."""
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
    return cases + [case_fuzz_pair]


def case_fuzz_pair() -> str:
    """Two fuzzers at once on 2 pCPUs (tests/scenarios/fuzz-pair): concurrent
    hypercalls, and event channels between them."""
    return run_fuzz(PAIR, 600, fuzzers=("fa", "fb"), bystander=False)


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--long" in args:
        args.remove("--long")
        sys.exit(run_suite("fuzz (long)", long_cases(), args))
    sys.exit(run_suite("fuzz tests", [case_fuzz_short], args))
