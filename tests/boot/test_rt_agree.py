#!/usr/bin/env python3
"""A real-time domain's work and misses mean the same thing to the guest, the trace
analysis and rtds, on several busy pCPUs.

Two pCPUs kept busy by two 2-vCPU hogs, and a periodic domain (sleeper, work_us=1500
every 10 ms, rtds reservation 3 ms / 10 ms, no extratime), under rr, credit,
credit2, rtds and numa, through the harness (deterministic mode, traced). Per policy:
  work per period   the guest's work per period (work_run_ns / periods worked, running
                    time from its runstate) is work_us, at most WORK_SLACK_US over
  coverage          the trace counts the guest's periods, from its first activation
  guest = trace     the periods the guest missed (work not done when the next period
                    began) = the periods the trace analysis calls short (less than the
                    budget while kept waiting); with work <= budget these are the same
                    event seen from two sides, but for two edges, which the guest
                    counts: a guest preempted after its work and before its sleep
                    still wants the CPU at the boundary, so the trace may call the
                    period short while no work was late (`unblocked`); and work of
                    1500 µs can take more than the 3 ms budget of running time (its
                    last chunk straddling a stretch in which QEMU ran the other pCPU,
                    which counts as running), so the guest may miss a period in which
                    it had its whole budget, which the trace does not call short
                    (`overrun`: missed periods in which it may have had its budget).
                    So the trace's count lies in [misses - overrun, misses + unblocked]
  guest = rtds      under rtds, the misses rtds itself reported (TRC_RTDS_MISS) lie
                    in [misses - overrun, misses]
Last line: "rt agreement tests: N passed, N failed". HVLAB_JOBS: QEMUs at once (2).
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "experiments"))
sys.path.insert(0, os.path.dirname(__file__))
from harness_run import report, run_config  # noqa: E402
from hvlab import experiment, run  # noqa: E402

POLICIES = ("rr", "credit", "credit2", "rtds", "numa")
JOBS = int(os.environ.get("HVLAB_JOBS", "2"))
PERIODS, WORK_US, BUDGET_US = 40, 1500, 3000
# The work's chunks can straddle another pCPU's QEMU turn, which counts as running
# time (bench/sleeper.c): over the trees of 2026-12-07 the mean per period read
# 1.51-1.86 ms for 1.5 ms of work under the five policies, moved only by where QEMU's
# round-robin turns land. The old instruction-calibrated work was off by -500 µs to
# +2,200 µs; a policy that cut or doubled the work is still far outside this bound.
WORK_SLACK_US = 400
RT_DOM = 3                      # domain ids follow file order

EXPERIMENT = f"""
name = "rt-agree"
description = "A periodic real-time domain next to hogs on 2 busy pCPUs."
mode = "deterministic"
schedulers = {list(POLICIES)!r}
duration_ms = 600
timeout_s = 120

[topology]
cpus = 2
nodes = 1
mem_mib = 256

[trace]
classes = ["sched", "policy", "dom"]
ring_records = 32768
shm_mib = 32

[[domain]]
name = "hog1"
image = "cpuloop"
args = "ms=700"
memory = 8
vcpus = 2
weight = 256
period = 10000
budget = 1000
extratime = true

[[domain]]
name = "hog4"
image = "cpuloop"
args = "ms=700"
memory = 8
vcpus = 2
weight = 1024
period = 10000
budget = 1000
extratime = true

[[domain]]
name = "rt"
image = "sleeper"
args = "period_us=10000 work_us={WORK_US} budget_us={BUDGET_US} periods={PERIODS}"
memory = 8
period = 10000
budget = {BUDGET_US}
extratime = false
"""


def one(exp: experiment.Experiment, out: str, policy: str) -> tuple[str, dict, str]:
    _, res, _ = run_config(exp, out, 0, policy)
    return policy, res.summary, "; ".join(res.summary["problems"])


def checks_for(policy: str, s: dict) -> list[tuple[str, bool, str]]:
    (g,) = [r for r in s["guest_results"] if r.get("dom") == RT_DOM and r["bench"] == "sleeper"]
    an = s["analysis"]
    (rt,) = [v for k, v in an["rt_periods"].items() if k.startswith(f"d{RT_DOM}v")]
    rtds = sum(v for k, v in an["policy"]["rtds_misses_by_vcpu"].items()
               if k.startswith(f"d{RT_DOM}v"))
    per = g.get("work_run_ns", 0) / max(1, g["periods"] - g.get("dropped", 0))
    out = [
        (f"{policy}: work per period is work_us, within {WORK_SLACK_US} µs",
         WORK_US * 1000 <= per <= (WORK_US + WORK_SLACK_US) * 1000,
         f"{per / 1e6:.3f} ms per period worked for work_us={WORK_US}"),
        (f"{policy}: the trace covers the guest's periods",
         g["periods"] <= rt["periods"] <= g["periods"] + 1,
         f"trace {rt['periods']} periods, guest {g['periods']} (+1 if its last work was late)"),
        (f"{policy}: trace short periods = guest misses (- overrun, + unblocked)",
         g["misses"] - g["overrun"] <= rt["periods_short"] <= g["misses"] + g["unblocked"],
         f"guest {g['misses']} misses, {g['overrun']} overrun, {g['unblocked']} unblocked; "
         f"trace {rt['periods_short']}"),
    ]
    if policy == "rtds":
        out.append((f"{policy}: guest misses (- overrun) = rtds misses",
                    g["misses"] - g["overrun"] <= rtds <= g["misses"],
                    f"guest {g['misses']} misses, {g['overrun']} overrun; rtds {rtds}"))
    return out


def main() -> int:
    exp = experiment.loads(EXPERIMENT, "tests/boot/test_rt_agree.py")
    run.check_images(exp)
    tmp = tempfile.mkdtemp(prefix="hvlab-rt-")
    try:
        with ThreadPoolExecutor(max_workers=JOBS) as pool:
            outs = list(pool.map(lambda p: one(exp, tmp, p), POLICIES))
    finally:
        if not os.environ.get("HVLAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    checks = []
    for policy, s, problems in outs:
        if problems:
            checks.append((f"{policy}: run", False, problems[:300]))
            continue
        try:
            checks += checks_for(policy, s)
        except (KeyError, ValueError, ZeroDivisionError) as e:
            checks.append((f"{policy}: results", False, f"missing in summary.json: {e!r}"))
    return report("rt agreement tests", checks)


if __name__ == "__main__":
    sys.exit(main())
