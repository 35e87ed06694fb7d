#!/usr/bin/env python3
"""Scheduling policies trace their own decisions, and the analysis and the Perfetto
timeline show them.

credit and credit2 on 2 nodes of one pCPU each (credit2: two runqueues); CPU hogs
that end at different times: three of 1 vCPU, which all start on pCPU 0 (so pCPU 1
finds its own queue empty while the other has waiters: steals, pulls), two of 2 vCPUs
(queues long enough to balance), one of them capped at 25 % (credit parks it); a
sleeper pinned to pCPU 1 (it wakes UNDER: BOOST; placement: pick). Traced through the
harness (deterministic mode). Every event credit2 declares in include/public/trace.h (reset,
burn, pull, balance, pick) must be counted in summary.json's policy section and drawn
as instant events in the run's Perfetto file.
Last line: "policy event tests: N passed, N failed".
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "experiments"))
sys.path.insert(0, os.path.dirname(__file__))
from harness_run import report, run_config  # noqa: E402
from hvlab import experiment, run  # noqa: E402
from hvlab import trace as T  # noqa: E402

POLICIES = ("credit", "credit2")

HOG = """
[[domain]]
name = "{name}"
image = "cpuloop"
args = "ms={ms}"
memory = 8
vcpus = {vcpus}
cap = {cap}
"""

EXPERIMENT = f"""
name = "policy-events"
description = "credit's and credit2's own trace events on two nodes."
mode = "deterministic"
schedulers = {list(POLICIES)!r}
duration_ms = 400
timeout_s = 120

[topology]
cpus = 2
nodes = 2
mem_mib = 256

[trace]
classes = ["sched", "policy", "dom"]
ring_records = 32768
shm_mib = 32

[analysis]
measure_from = "trace_start"    # credit2 picks a runqueue for each vCPU at creation
""" + "".join(HOG.format(name=f"hog{i}", ms=ms, vcpus=n, cap=cap) for i, ms, n, cap in
        ((1, 100, 1, 0), (2, 200, 1, 0), (3, 350, 1, 0), (4, 300, 2, 25), (5, 350, 2, 0))) + """
[[domain]]
name = "sleepy"
image = "sleeper"
args = "period_us=1000 periods=300"
memory = 8
cpus = "1"
"""


def policy_checks(exp, tmp: str, index: int, policy: str) -> list[tuple[str, bool, str]]:
    _, res, rd = run_config(exp, tmp, index, policy, perfetto=True)
    problems = "; ".join(res.summary["problems"])
    checks = [(f"{policy}: the run", not problems, problems[:300] or "ok")]
    counted = res.summary["analysis"]["policy"]["counts"].get(policy, {})
    with open(os.path.join(rd, "trace.json")) as f:
        cats = {e.get("cat") for e in json.load(f)["traceEvents"] if e.get("ph") == "i"}
    prefix = f"TRC_{policy.upper()}_"
    for what in sorted(m[len(prefix):].lower() for m in T.POLICY_CODES if m.startswith(prefix)):
        n = counted.get(what, 0)
        checks.append((f"{policy}.{what}: in summary.json", n > 0, f"{n} events"))
        checks.append((f"{policy}.{what}: on the Perfetto timeline", f"{policy}.{what}" in cats,
                       ""))
    return checks


def main() -> int:
    exp = experiment.loads(EXPERIMENT, "tests/boot/test_policy_events.py")
    run.check_images(exp)
    tmp = tempfile.mkdtemp(prefix="hvlab-polev-")
    checks = []
    try:
        for i, policy in enumerate(POLICIES):
            checks += policy_checks(exp, tmp, i, policy)
    except Exception as e:  # a harness failure is a test failure, with its message
        checks.append(("harness run", False, str(e)[-2000:]))
    finally:
        if not os.environ.get("HVLAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return report("policy event tests", checks)


if __name__ == "__main__":
    sys.exit(main())
