#!/usr/bin/env python3
"""Ballooning booted (docs/ballooning.md): a PV domU's balloon driver follows its
target down and up and the hypervisor's free count is back exactly; the same for an
HVM domU (gfns leave its nested table and come back); a domU that ignores its target
makes `xl mem-set` report the shortfall while everything else goes on; a target above
the maximum is refused naming the numbers; `mem-max`; dom0 balloons itself down when
a new domain needs the memory (autoballoon) and takes it back with `mem-set 0`.

Run from the repository root (make boot-test). The last line is
"balloon tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite, scenario_modules  # noqa: E402


def summary(r, dom: int, min_cases: int) -> None:
    m = re.search(rf"\(d{dom}\) balloontest: (\d+) passed, (\d+) failed", r.output)
    check(m is not None, f"domain {dom} reports its summary", r)
    check(int(m.group(1)) >= min_cases and m.group(2) == "0",
          f"every case of domain {dom} holds ({m.group(0)})", r)


def free_kib(r) -> list[int]:
    return [int(v) for v in re.findall(r"\(d0\) free_memory_kib +: (\d+)", r.output)]


def frames_back(r, dom: int) -> None:
    before = re.search(rf"domain {dom} \(.*?\): created, \d+ vCPUs?, (\d+) frames free before",
                       r.output)
    after = re.findall(r"destroyed, \d+ frames returned, (\d+) free", r.output)
    check(before is not None and after, "creation and destruction logged", r)
    check(int(after[-1]) == int(before.group(1)),
          f"free frames back to {before.group(1)} after the destroy (got {after[-1]})", r)


def down_and_up(r, name: str, dom: int) -> None:
    """mem-set 8m then 16m on a 16 MiB domain: both reached, 8 MiB freed, all back."""
    check(f"(d0) mem-set: domain {dom} ({name}): target 8192 KiB reached "
          "(reservation 8192 KiB)" in r.output, f"{name} ballooned down to 8 MiB", r)
    check(f"(d0) mem-set: domain {dom} ({name}): target 16384 KiB reached "
          "(reservation 16384 KiB)" in r.output, f"{name} ballooned back up to 16 MiB", r)
    check(re.search(rf"\(d0\) {name} +{dom} +8192 +8192 +16384 +0\n", r.output) is not None,
          f"list -m shows {name} at 8192 KiB of 16384", r)
    f = free_kib(r)
    check(len(f) >= 3, "info printed the free memory three times", r)
    check(f[1] - f[0] == 8192, f"ballooning down freed 8192 KiB ({f[0]} -> {f[1]})", r)
    check(f[2] == f[0], f"ballooning up restored the free count exactly ({f[0]} -> {f[2]})", r)
    check(re.search(rf"\(d{dom}\) balloontest: probe wrote \d+ free pages \(2048 pages out\)",
                    r.output) is not None and
          f"(d{dom}) balloontest: every free page is usable ok" in r.output,
          "while 8 MiB were out, every free page of the guest's allocator was writable", r)


def case_pv() -> None:
    d = "tests/scenarios/balloon"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["balloontest"], ["pv.cfg", "stubborn.cfg"]))
    check(r.status == 0, "the machine powers off cleanly", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    down_and_up(r, "balloonpv", 1)
    check("(d2) balloon: target 8192 KiB ignored (balloon=ignore)" in r.output,
          "the stubborn guest saw its target and ignored it", r)
    check(re.search(r"\(d0\) mem-set: domain 2 \(stubborn\): target 8192 KiB not reached "
                    r"after \d+ ms: reservation 16384 KiB, shortfall 8192 KiB \(the guest "
                    r"did not follow\)", r.output) is not None,
          "mem-set reports the stubborn guest's shortfall", r)
    check(re.search(r"\(d0\) stubborn +2 +16384 +8192 +16384 +8192\n", r.output) is not None,
          "list -m shows the 8192 KiB shortfall", r)
    check("(d0) mem-set: domain 1 (balloonpv): target 32768 KiB is above its maximum "
          "16384 KiB (raise it with mem-max)" in r.output,
          "a target above the maximum is refused, naming both", r)
    check("(d0) mem-max: domain 1 (balloonpv): maximum 24576 KiB (was 16384 KiB)" in r.output,
          "mem-max raised the maximum", r)
    check("(d0) mem-max: domain 1 (balloonpv): 4096 KiB is below what it holds now "
          "(16384 KiB)" in r.output, "a maximum below the reservation is refused", r)
    check(re.search(r"\(d0\) balloonpv +1 +16384 +16384 +24576 +0\n", r.output) is not None,
          "list -m shows the new maximum", r)
    summary(r, 1, 6)
    summary(r, 2, 4)
    frames_back(r, 1)


def case_hvm() -> None:
    d = "tests/scenarios/balloon-hvm"
    mods = scenario_modules(d, [], ["hvm.cfg"])
    mods.insert(1, "build/guest/balloontest-hvm.elf balloontest-hvm.elf")
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S, modules=mods)
    check(r.status == 0, "the machine powers off cleanly", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    down_and_up(r, "balloonhvm", 1)
    for case in ("decrease a gfn at 3 GiB: EINVAL", "decrease a gfn with no frame: ENOENT",
                 "decrease the shared info gfn: EBUSY", "populate a mapped gfn: EEXIST",
                 "populate above the maximum: ENOMEM",
                 "increase_reservation (machine frames): EINVAL",
                 "reservation unchanged by the refusals"):
        check(f"(d1) balloontest: {case} ok" in r.output, f"HVM refusal: {case}", r)
    summary(r, 1, 13)
    frames_back(r, 1)


def case_autoballoon() -> None:
    """A 128 MiB machine: dom0 has 64 MiB, an 80 MiB domain needs dom0 to give."""
    d = "tests/scenarios/balloon-auto"
    r = boot(IMAGE, Topology(2, 1, 128), "", TIMEOUT_S,
             modules=scenario_modules(d, ["balloontest"], ["big.cfg"]))
    check(r.status == 0, "the machine powers off cleanly", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    m = re.search(r"\(d0\) create big: autoballoon: dom0 gives (\d+) KiB back \((\d+) KiB "
                  r"free, (\d+) KiB needed\): dom0 target (\d+) KiB, reservation (\d+) KiB",
                  r.output)
    check(m is not None, "create says dom0 ballooned for it", r)
    give, free, need, target, reached = (int(x) for x in m.groups())
    check(give == need - free and target == 65536 - give and reached == target,
          f"dom0 gave exactly what was missing ({give} = {need} - {free}) and reached "
          f"its target {target}", r)
    check(target >= 16384, "dom0 stayed above its 16 MiB minimum", r)
    check("(d0) created domain 1 (big)" in r.output, "the domain was created", r)
    check(re.search(rf"\(d0\) Domain-0 +0 +{target} +{target} +65536 +0\n", r.output)
          is not None, "list -m shows dom0 at its new target", r)
    summary(r, 1, 6)
    check("(d0) mem-set: domain 0 (Domain-0): target 65536 KiB reached (reservation "
          "65536 KiB)" in r.output, "dom0 took its memory back after the destroy", r)
    f = free_kib(r)
    check(len(f) == 2 and f[0] == f[1],
          f"the free count at the end is the one at the start ({f})", r)
    frames_back(r, 1)


def case_trace() -> None:
    """The balloon's memory_op calls traced (TRC_MEM_BALLOON): the decreases that
    worked add up to the 2048 pages given, the populates to the 2048 taken back, the
    guest's refused decrease of a frame it still maps carries -EINVAL (calls refused
    before a target is known, such as a bad extent pointer, are not traced)."""
    from hvlab import trace as T
    from test_trace import decode, run_scenario
    run = run_scenario("balloon-trace", ["balloontest"], ["pv.cfg"], Topology(2, 1, 512))
    r = run.r
    check(r.status == 0 and "(d0) scenario: done" in r.output, "the scenario ran", r)
    recs = [x for x in decode(run.stream).records() if x[1] == T.EV["mem_balloon"]]
    check(recs and all(x[2] == 1 for x in recs), f"balloon records name domain 1 ({len(recs)})", r)

    def done(cmd: int) -> int:
        return sum(x[5] for x in recs if x[4] >> 32 == cmd and x[5] < 1 << 63)
    check(done(1) == 2048, f"decreases gave 2048 pages ({done(1)})", r)
    check(done(6) == 2048, f"populates took 2048 pages back ({done(6)})", r)
    errs = sorted((1 << 64) - x[5] for x in recs if x[5] >= 1 << 63)
    check(errs == [22], f"the guest's refused decrease traced as EINVAL ({errs})", r)


CASES = [case_pv, case_hvm, case_autoballoon, case_trace]

if __name__ == "__main__":
    sys.exit(run_suite("balloon tests", CASES, sys.argv[1:]))
