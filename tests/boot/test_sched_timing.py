#!/usr/bin/env python3
"""Scheduler timing boot tests, read from a trace: how long the end of a slice waits
for a scheduling decision on each pCPU, under every policy, and that an rtds server
never runs more than its budget in a period.

Each case boots QEMU in deterministic mode (-icount, with the hypervisor's `icount`
option as the experiment harness sets it) on 2 pCPUs with an ivshmem region for the
trace, runs tests/scenarios/sched-slice (three CPU hogs), and pairs every
TRC_SCHED_SLICE_END (the slice timer fired on a pCPU) with the next TRC_SCHED_DECIDE
on the same pCPU. Issue 9: on pCPU 0 a pending decision was preempted by the next
timer interrupt again and again, so slice ends waited ~100 us to several ms, and an
rtds server of 4 ms every 10 ms received up to 7.1 ms in one period.

slice_preempt (issue 9, the last part): on 1 pCPU under rr, a CPU hog shares the pCPU
with dom0 while dom0 streams the trace and destroys a 192 MiB domain
(tests/scenarios/sched-preempt). The teardown ran ~1 ms per 8 MiB with interrupts
off, so even the slice timer's interrupt waited for it (5,445 us late, icount); with
the preemption points (core/hypercall.c) the worst slice end is decided 12.6 us after
its expiry. The bound is PREEMPT_MAX_US, measured from the expiry.

build_preempt (issue 9, the builds): the same pCPU, hog and bound, while dom0 builds
a 192 MiB PV domain (its page-table tree validated at DOMCTL_setvcpucontext, one step
of ~6 ms under page_lock with interrupts off) and then a 192 MiB HVM domain (all its
RAM allocated and mapped in DOMCTL_createdomain, one step); each build's worst slice
end is reported apart (tests/scenarios/sched-preempt-build). Before the preemption
points in the tree validation (mm/pv_mm.c) and the HVM RAM build
(core/arch/x86/svm/hvm_populate.c) the worst were 4,798 us (PV) and 57,834 us (HVM);
with them 14.9 us and 28.4 us (icount).

Run from the repository root; the last line is "sched timing tests: N passed, N failed".
"""
from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import BootResult, Topology, boot  # noqa: E402
from test_boot import check, run_suite  # noqa: E402
from test_trace import Stream, decode, ivshmem, shm_stream  # noqa: E402

BUILD = os.environ.get("HVLAB_BUILD", "build")
IMAGE = os.environ.get("HVLAB_IMAGE", f"{BUILD}/hvlab.elf")
TIMEOUT_S = 120
SCENARIO = "tests/scenarios/sched-slice"
POLICIES = ("rr", "credit", "credit2", "rtds", "numa")

# A decision follows a slice end at once unless an interrupt or another pCPU holds it
# up; under icount the tick (100 us) bounds how long QEMU leaves one pCPU waiting.
DECIDE_MAX_US = 250
BUDGET_NS, PERIOD_NS = 4_000_000, 10_000_000
BUDGET_TOLERANCE_NS = 250_000   # one late decision's worth

SLICE_END, DECIDE = 0x01000008, 0x01000009
RUNSTATE, TIMER_FIRE = 0x01000001, 0x05000002
RTDS_REPLENISH = (8 << 24) | (8 << 16) | 1      # POLICY class, subclass SCHED_ID_RTDS
RUNSTATE_RUNNING = 0


def run(policy: str) -> tuple[BootResult, Stream]:
    script = "scenario-rtds.txt" if policy == "rtds" else "scenario.txt"
    mods = [f"{BUILD}/dom0.elf", f"{BUILD}/guest/cpuloop.elf cpuloop.elf"]
    mods += [f"{SCENARIO}/{c} {c}" for c in ("srv.cfg", "hog-a.cfg", "hog-b.cfg")]
    mods += [f"{SCENARIO}/{script} scenario"]
    with tempfile.TemporaryDirectory(prefix="hvtrace") as tmp:
        path = os.path.join(tmp, "shm")
        r = boot(IMAGE, Topology(2, 1, 256), f"sched={policy} icount", TIMEOUT_S,
                 modules=mods, extra=ivshmem(path, 16))
        check(not r.timed_out, f"QEMU did not exit within {TIMEOUT_S} s", r)
        check("(d0) scenario: done" in r.output and r.status == 0,
              "the scenario completed with a clean poweroff", r)
        stream = shm_stream(path)
    return r, decode(stream)


PREEMPT_SCENARIO = "tests/scenarios/sched-preempt"
PREEMPT_MAX_US = 200        # a preemption point every ~50 us, plus the decision itself


def boot_scenario(mods: list[str], destroyed: tuple[str, ...]) -> tuple[BootResult, Stream]:
    """One pCPU under rr with a trace region: dom0 runs its scenario to a clean
    poweroff, and each domain named in `destroyed` was destroyed on the way."""
    with tempfile.TemporaryDirectory(prefix="hvtrace") as tmp:
        path = os.path.join(tmp, "shm")
        r = boot(IMAGE, Topology(1, 1, 512), "sched=rr icount", TIMEOUT_S,
                 modules=mods, extra=ivshmem(path, 16))
        check(not r.timed_out, f"QEMU did not exit within {TIMEOUT_S} s", r)
        check("(d0) scenario: done" in r.output and r.status == 0,
              "the scenario completed with a clean poweroff", r)
        for name in destroyed:
            check(f"({name}): destroyed" in r.output, f"{name} was destroyed", r)
        stream = shm_stream(path)
    return r, decode(stream)


def run_preempt() -> tuple[BootResult, Stream]:
    mods = [f"{BUILD}/dom0.elf", f"{BUILD}/guest/cpuloop.elf cpuloop.elf"]
    mods += [f"{PREEMPT_SCENARIO}/{c} {c}" for c in ("hog.cfg", "big.cfg")]
    mods += [f"{PREEMPT_SCENARIO}/scenario.txt scenario"]
    return boot_scenario(mods, ("big",))


def slice_preempt() -> str:
    """Every slice end on the single pCPU, while dom0 builds, streams and destroys a
    big domain next to a hog, is decided within PREEMPT_MAX_US of the slice's expiry
    (a teardown with interrupts off delayed the timer interrupt itself)."""
    r, s = run_preempt()
    d = sorted(decision_delays(s, from_expiry=True)[0])
    check(len(d) >= 8, f"at least 8 slice ends traced, saw {len(d)}", r)
    late = [round(x / 1e3, 1) for x in d if x > PREEMPT_MAX_US * 1e3]
    text = (f"rr, 1 pCPU: {len(d)} slice ends, median {d[len(d) // 2] / 1e3:.1f} us, "
            f"max {d[-1] / 1e3:.1f} us, {len(late)} over {PREEMPT_MAX_US} us")
    check(not late, f"every slice end decided within {PREEMPT_MAX_US} us: late {late[:8]} us; "
          f"{text}", r)
    return text


BUILD_SCENARIO = "tests/scenarios/sched-preempt-build"
DOM_CREATE = 0x06000001


def build_preempt() -> str:
    """Every slice end on the single pCPU, while dom0 builds a big PV domain and then a
    big HVM domain next to a hog, is decided within PREEMPT_MAX_US of its expiry."""
    mods = [f"{BUILD}/dom0.elf", f"{BUILD}/guest/cpuloop.elf cpuloop.elf",
            f"{BUILD}/guest/cpuloop-hvm.elf cpuloop-hvm.elf",
            f"{PREEMPT_SCENARIO}/hog.cfg hog.cfg"]
    mods += [f"{BUILD_SCENARIO}/{c} {c}" for c in ("bigpv.cfg", "bighvm.cfg")]
    mods += [f"{BUILD_SCENARIO}/scenario.txt scenario"]
    r, s = boot_scenario(mods, ("bigpv", "bighvm"))
    ids = {}
    for name in ("bigpv", "bighvm"):
        m = [ln for ln in r.output.splitlines()
             if "(d0) created domain" in ln and f"({name})" in ln]
        check(len(m) == 1, f"{name} was created", r)
        ids[int(m[0].split("created domain ")[1].split()[0])] = name
    phases: dict[str, list[float]] = {"bigpv": [], "bighvm": []}
    phase, end = None, None
    for tsc, ev, d, _v, _d0, late in s.per_cpu[0]:
        if ev == DOM_CREATE and d in ids:
            phase = ids[d]
        elif ev == SLICE_END and end is None:
            end = ns(s, tsc) - late
        elif ev == DECIDE and end is not None:
            if phase:
                phases[phase].append(ns(s, tsc) - end)
            end = None
    text, late = [], []
    for name, d in phases.items():
        check(len(d) >= 4, f"{name}: at least 4 slice ends traced during its build, saw "
              f"{len(d)}", r)
        d.sort()
        late += [(name, round(x / 1e3, 1)) for x in d if x > PREEMPT_MAX_US * 1e3]
        text.append(f"{name}: {len(d)} slice ends, median {d[len(d) // 2] / 1e3:.1f} us, "
                    f"max {d[-1] / 1e3:.1f} us")
    text = "rr, 1 pCPU: " + "; ".join(text)
    check(not late, f"every slice end decided within {PREEMPT_MAX_US} us: late {late[:8]}; "
          f"{text}", r)
    return text


def ns(s: Stream, tsc: int) -> float:
    return tsc * 1e6 / s.tsc_khz


def decision_delays(s: Stream, from_expiry: bool = False) -> list[list[float]]:
    """Per pCPU: for each slice end, ns until the next decision on that pCPU, from the
    timer's interrupt (its record), or with from_expiry from the slice's expiry: the
    record carries how late the interrupt itself came (interrupts held off)."""
    out = []
    for recs in s.per_cpu:
        delays, end = [], None
        for tsc, ev, _d, _v, _d0, late in recs:
            if ev == SLICE_END and end is None:
                end = ns(s, tsc) - (late if from_expiry else 0)
            elif ev == DECIDE and end is not None:
                delays.append(ns(s, tsc) - end)
                end = None
        out.append(delays)
    return out


def now_offset(s: Stream) -> float:
    """Trace time (TSC, in ns) minus the hypervisor's NOW(), from a timer fire, whose
    record carries its NOW-based expiry and lateness."""
    for recs in s.per_cpu:
        for tsc, ev, _d, _v, expires, late in recs:
            if ev == TIMER_FIRE:
                return ns(s, tsc) - (expires + late)
    check(False, "the trace has a timer fire to line up TSC and NOW")
    return 0.0


def server_runs(s: Stream, dom: int) -> tuple[list[tuple[float, float]], list[float]]:
    """The server's running intervals and its period starts (deadline - period of each
    replenishment), all in NOW ns."""
    off = now_offset(s)
    runs, starts, since = [], set(), None
    for (tsc, ev, d, _v, d0, _d1), _cpu in s.merged():
        if d != dom:
            continue
        t = ns(s, tsc) - off
        if ev == RUNSTATE:
            new = d0 & 0xff
            if new == RUNSTATE_RUNNING and since is None:
                since = t
            elif new != RUNSTATE_RUNNING and since is not None:
                runs.append((since, t))
                since = None
        elif ev == RTDS_REPLENISH:
            starts.add(d0 - PERIOD_NS)
    return runs, sorted(starts)


def make_case(policy: str):
    """Every slice end on every pCPU is followed by a decision within DECIDE_MAX_US;
    under rtds, srv (4 ms / 10 ms, no extratime) runs at most its budget plus
    BUDGET_TOLERANCE_NS in each full period the trace covers."""
    def case() -> str:
        r, s = run(policy)
        delays = decision_delays(s)
        summary = []
        for cpu, d in enumerate(delays):
            check(len(d) >= 10, f"pCPU {cpu}: at least 10 slice ends traced, saw {len(d)}", r)
            d = sorted(d)
            late = sum(1 for x in d if x > DECIDE_MAX_US * 1e3)
            summary.append(f"pCPU {cpu}: {len(d)} slice ends, median {d[len(d) // 2] / 1e3:.1f}"
                           f" us, max {d[-1] / 1e3:.1f} us, {late} over {DECIDE_MAX_US} us")
        text = f"{policy}: " + "; ".join(summary)
        check(all(max(d) <= DECIDE_MAX_US * 1e3 for d in delays),
              f"every slice end decided within {DECIDE_MAX_US} us: {text}", r)
        if policy != "rtds":
            return text
        m = [ln for ln in r.output.splitlines() if "(d0) created domain" in ln and "(srv)" in ln]
        check(len(m) == 1, "srv was created", r)
        dom = int(m[0].split("created domain ")[1].split()[0])
        runs, starts = server_runs(s, dom)
        check(len(starts) >= 10, f"at least 10 srv periods traced, saw {len(starts)}", r)
        got = []
        for a, b in zip(starts, starts[1:]):
            if b - a != PERIOD_NS:
                continue                # a gap in the replenishments: not one period
            got.append(sum(max(0.0, min(e, b) - max(st, a)) for st, e in runs))
        check(len(got) >= 10, f"at least 10 whole periods, saw {len(got)}", r)
        over = [round(g / 1e6, 3) for g in got if g > BUDGET_NS + BUDGET_TOLERANCE_NS]
        text += (f"; srv ran {min(got) / 1e6:.3f}..{max(got) / 1e6:.3f} ms in "
                 f"{len(got)} periods of 10 ms (budget 4 ms)")
        check(not over, f"srv never above its 4 ms budget + {BUDGET_TOLERANCE_NS / 1e6} ms "
              f"in a period: {over} ms; {text}", r)
        return text
    case.__name__ = f"slice_{policy}"
    return case


CASES = [make_case(p) for p in POLICIES] + [slice_preempt, build_preempt]


if __name__ == "__main__":
    sys.exit(run_suite("sched timing tests", CASES, sys.argv[1:]))
