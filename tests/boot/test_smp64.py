#!/usr/bin/env python3
"""The largest machine the hypervisor supports (NR_CPUS = 64): 64 pCPUs in 8 NUMA
nodes with a SLIT, scheduling a workload under credit2 and numa.

Two CPU-bound domains of 32 vCPUs each (cpuloop, 200 ms each; dom0 builds the second
while the first runs, so 64 vCPUs then want the 64 pCPUs: under numa idle pCPUs are
raised one per load change and fill the far nodes only after tens of ms, which a
60 ms second domain did not always outlast), traced through the harness in
deterministic mode. From the trace (slices.csv and summary.json), not from exit codes:
the trace covers 64 pCPUs, every one of the 64 domU vCPUs ran, and the pCPUs of every
node ran domU vCPUs. The boot itself (all 64 pCPUs online, nodes, distances) is
checked by test_boot.py's smp64-8nodes topology. The two policies run side by side.
Last line: "smp64 tests: N passed, N failed".
"""
from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "experiments"))
sys.path.insert(0, os.path.dirname(__file__))
from harness_run import report, run_config  # noqa: E402
from hvlab import experiment, run  # noqa: E402
from hvlab import trace as T  # noqa: E402

POLICIES = ("credit2", "numa")
CPUS, NODES, VCPUS = 64, 8, 32
PER_NODE = CPUS // NODES
# A ring of 8 nodes: SLIT 10 + 4 per hop (14..26), so that every distance differs
# from QEMU's default (20) somewhere and the far nodes are farther than the near ones.
DISTANCES = [[a, b, 10 + 4 * min(b - a, NODES - (b - a))]
             for a in range(NODES) for b in range(a + 1, NODES)]
MIN_NODE_RUN_NS = 1_000_000     # per node: at least 1 ms (icount: instructions) of domU

HOG = """
[[domain]]
name = "{name}"
image = "cpuloop"
args = "ms={ms}"
memory = 8
vcpus = {vcpus}
"""

EXPERIMENT = f"""
name = "smp64"
description = "64 pCPUs in 8 nodes: credit2 and numa spread 64 CPU-bound vCPUs."
mode = "deterministic"
schedulers = {list(POLICIES)!r}
duration_ms = 60
timeout_s = 240

[topology]
cpus = {CPUS}
nodes = {NODES}
mem_mib = 1024
distances = {DISTANCES!r}

[trace]
classes = ["sched", "dom"]
ring_records = 8192
shm_mib = 32

[analysis]
# The whole trace: wide-b's vCPUs run for 60 ms from their creation, mostly before
# the last domain has started (where the measured window would begin by default).
measure_from = "trace_start"
""" + HOG.format(name="wide-a", ms=200, vcpus=VCPUS) + HOG.format(name="wide-b", ms=200,
                                                                  vcpus=VCPUS)


def domu_run_by_pcpu(run_dir: str) -> dict[int, int]:
    """TSC ticks (ns under icount) domU vCPUs ran on each pCPU, from slices.csv."""
    ran: dict[int, int] = defaultdict(int)
    with open(os.path.join(run_dir, "slices.csv")) as f:
        for row in csv.DictReader(f):
            if int(row["domid"]) not in (0, T.DOM_IDLE):
                ran[int(row["pcpu"])] += int(row["end_tsc"]) - int(row["start_tsc"])
    return ran


def domu_vcpus_ran(run_dir: str) -> set[tuple[int, int]]:
    with open(os.path.join(run_dir, "slices.csv")) as f:
        return {(int(r["domid"]), int(r["vcpu"])) for r in csv.DictReader(f)
                if int(r["domid"]) not in (0, T.DOM_IDLE)}


def policy_checks(exp, tmp: str, index: int, policy: str) -> list[tuple[str, bool, str]]:
    t0 = time.monotonic()
    _, res, rd = run_config(exp, tmp, index, policy)
    wall = time.monotonic() - t0
    problems = "; ".join(res.summary["problems"])
    checks = [(f"{policy}: the run", not problems, problems[:300] or f"{wall:.0f} s wall")]
    if problems:
        return checks
    tinfo = res.summary["analysis"]["trace"]
    per_pcpu = res.summary["analysis"]["cpu_share"]["per_pcpu"]
    checks.append((f"{policy}: the trace covers {CPUS} pCPUs",
                   tinfo["nr_cpus"] == CPUS and len(per_pcpu) == CPUS,
                   f"header nr_cpus {tinfo['nr_cpus']}, {len(per_pcpu)} pCPUs analysed"))
    vcpus = domu_vcpus_ran(rd)
    checks.append((f"{policy}: all {2 * VCPUS} domU vCPUs ran", len(vcpus) == 2 * VCPUS,
                   f"{len(vcpus)} ran"))
    ran = domu_run_by_pcpu(rd)
    by_node = [sum(ran[c] for c in range(n * PER_NODE, (n + 1) * PER_NODE))
               for n in range(NODES)]
    used = [sum(1 for c in range(n * PER_NODE, (n + 1) * PER_NODE) if ran[c])
            for n in range(NODES)]
    detail = ", ".join(f"node {n}: {by_node[n] / 1e6:.1f} ms on {used[n]}/{PER_NODE} pCPUs"
                       for n in range(NODES))
    checks.append((f"{policy}: the pCPUs of every node ran domU vCPUs",
                   all(x >= MIN_NODE_RUN_NS for x in by_node), detail))
    return checks


def main() -> int:
    exp = experiment.loads(EXPERIMENT, "tests/boot/test_smp64.py")
    run.check_images(exp)
    tmp = tempfile.mkdtemp(prefix="hvlab-smp64-")
    checks = []
    try:
        with ThreadPoolExecutor(max_workers=len(POLICIES)) as pool:
            for c in pool.map(lambda ip: policy_checks(exp, tmp, *ip), enumerate(POLICIES)):
                checks += c
    except Exception as e:  # a harness failure is a test failure, with its message
        checks.append(("harness run", False, str(e)[-2000:]))
    finally:
        if not os.environ.get("HVLAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return report("smp64 tests", checks)


if __name__ == "__main__":
    sys.exit(main())
