#!/usr/bin/env python3
"""The memory benchmark (bench/membench.c) and the NUMA experiment
(docs/numa-experiment.md), short:
- membench as PV and as HVM with tiny buffers: every result line's fields, the triad's
  sum (7 n (n - 1) / 2 + 3 n whatever the passes), the chase's sum and last line
  recomputed here from the same seeded permutation (Sattolo's algorithm, the LCG of
  bench/work.h), a full cycle ending on line 0; bad arguments refused with a message;
  a PV domain with a vNUMA layout takes its buffers from its vCPU's vnode.
- `hvlab numa` on a tiny experiment (2 nodes x 2 pCPUs, one PV membench domain, two
  configurations: memory local to the pCPUs it may use, memory bound to the other
  node) under the cost-model plugin: the bound-remote run's remote fraction is near 1,
  the local run's near 0, and its modelled time is higher. Skipped, saying why, when
  QEMU cannot load the plugin.

Run from the repository root (make boot-test). The last line is
"membench tests: N passed, N failed".
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab import costmodel, numa_report, numa_run  # noqa: E402
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import check, run_suite  # noqa: E402

BUILD = os.environ.get("HVLAB_BUILD", "build")
IMAGE = os.environ.get("HVLAB_IMAGE", f"{BUILD}/hvlab.elf")
TIMEOUT_S = 120
LINE = re.compile(r"\(d(\d+)\) result bench=membench case=(\w+) (.*)$")
M64 = (1 << 64) - 1


def triad_sum(n: int) -> int:
    return (7 * n * (n - 1) // 2 + 3 * n) & M64


def chase(m: int, seed: int, hops: int) -> tuple[int, int]:
    """(sum of the line numbers reached, last line) of membench's chase."""
    p, x = list(range(m)), seed
    for i in range(m - 1, 0, -1):
        x = (x * 6364136223846793005 + 1442695040888963407) & M64
        j = (x >> 33) % i
        p[i], p[j] = p[j], p[i]
    cur = s = 0
    for _ in range(hops):
        cur = p[cur]
        s += cur
    return s & M64, cur


def fields(output: str) -> dict[tuple[int, str], dict[str, str]]:
    return {(int(m.group(1)), m.group(2)): dict(re.findall(r"(\w+)=(\S+)", m.group(3)))
            for m in (LINE.search(ln) for ln in output.splitlines()) if m}


def check_triad(f: dict, mode: str, kib: int, passes: int, r) -> None:
    n = kib * 1024 // 8
    check(f.get("mode") == mode and f.get("vnode") == "0", f"{mode} triad: mode, vnode ({f})", r)
    check(int(f["iters"]) == passes * n and int(f["bytes"]) == passes * n * 24,
          f"{mode} triad: iters {passes} x {n}, bytes x 24 ({f})", r)
    ns = int(f["ns"])
    check(ns > 0 and int(f["bytes_per_us"]) == passes * n * 24 * 1000 // ns,
          f"{mode} triad: ns > 0, bytes_per_us = bytes x 1000 / ns ({f})", r)
    check(int(f["sum"], 16) == triad_sum(n), f"{mode} triad: sum {triad_sum(n):#x} ({f})", r)


def check_chase(f: dict, mode: str, kib: int, seed: int, hops: int, r) -> None:
    m = kib * 1024 // 64
    want_sum, want_end = chase(m, seed, hops)
    check(f.get("mode") == mode and int(f["iters"]) == hops and int(f["bytes"]) == 8 * hops,
          f"{mode} chase: {hops} hops, 8 bytes each ({f})", r)
    ns = int(f["ns"])
    check(ns > 0 and abs(float(f["ns_per_iter"]) - ns / hops) < 0.01,
          f"{mode} chase: ns_per_iter = ns / hops ({f})", r)
    check(int(f["sum"], 16) == want_sum and int(f["end"]) == want_end,
          f"{mode} chase: sum {want_sum:#x}, end {want_end} from seed {seed} ({f})", r)


def case_pv_and_hvm() -> str:
    """PV (2 triad passes, 300 hops, seed 7), HVM (one pass, a full cycle of seed 1),
    and a domain with bad arguments, in one boot."""
    d = "tests/scenarios/membench"
    mods = [f"{BUILD}/dom0.elf", f"{BUILD}/guest/membench.elf membench.elf",
            f"{BUILD}/guest/membench-hvm.elf membench-hvm.elf", f"{d}/pv.cfg pv.cfg",
            f"{d}/hvm.cfg hvm.cfg", f"{d}/bad.cfg bad.cfg", f"{d}/vnuma.cfg vnuma.cfg",
            f"{d}/scenario.txt scenario"]
    r = boot(IMAGE, Topology(2, 1, 256), "", TIMEOUT_S, modules=mods)
    check("(d0) scenario: done" in r.output and r.status == 0,
          f"the scenario completes, clean poweroff (status {r.status})", r)
    f = fields(r.output)
    check(sorted(f) == [(1, "chase"), (1, "triad"), (2, "chase"), (2, "triad"),
                        (4, "chase"), (4, "triad")],
          f"one triad and one chase line from PV (d1), HVM (d2) and vNUMA PV (d4), none from "
          f"d3 ({sorted(f)})", r)
    check_triad(f[(1, "triad")], "pv", 16, 2, r)
    check_chase(f[(1, "chase")], "pv", 32, 7, 300, r)
    check_triad(f[(2, "triad")], "hvm", 16, 1, r)
    check_chase(f[(2, "chase")], "hvm", 64, 1, 1024, r)
    check(f[(2, "chase")]["end"] == "0" and int(f[(2, "chase")]["sum"], 16) == 1024 * 1023 // 2,
          "a full cycle ends on line 0 having visited every line", r)
    check("(d4) vnuma: 2 vnodes, 2 vCPUs" in r.output, "d4 read its vNUMA layout", r)
    check(f[(4, "triad")].get("vnode") == "1" and f[(4, "chase")].get("vnode") == "1",
          f"d4: buffers from vCPU 0's vnode 1 ({f[(4, 'triad')]})", r)
    check("(d4) membench:" not in r.output, "d4: vnode 1's pool gave contiguous pages", r)
    for case in ("triad", "chase"):
        f[(4, case)]["vnode"] = "0"         # the rest as the PV domain's
    check_triad(f[(4, "triad")], "pv", 16, 1, r)
    check_chase(f[(4, "chase")], "pv", 32, 7, 300, r)
    check("(d3) membench: kib=6 chase_kib=6 passes=1 cases=triad,copy: sizes must be "
          "multiples of 4" in r.output, "bad arguments refused with the values", r)
    return (f"PV chase {f[(1, 'chase')]['ns_per_iter']} ns/hop, HVM chase "
            f"{f[(2, 'chase')]['ns_per_iter']} ns/hop (guest clock, tiny buffers)")


TINY = """name = "numa-tiny"
mode = "deterministic"
scheduler = "numa"
duration_ms = 5
[topology]
cpus = 4
nodes = 2
mem_mib = 256
distances = [[0, 1, 21]]
[trace]
classes = ["sched", "dom", "mem"]
ring_records = 16384
shm_mib = 4
[[domain]]
name = "mb"
image = "membench"
args = "kib=64 chase_kib=256"
memory = 16
cpus = "2-3"
[numa]
cost_tables = ["costs/amd-zen4.toml"]
[[numa.config]]
name = "local"
memory_policy = "bind"
nodes = "1"
[[numa.config]]
name = "bind-remote"
memory_policy = "bind"
nodes = "0"
"""


def case_numa_tiny() -> str:
    """Two configurations of the NUMA experiment: the domain's vCPU on node 1's pCPUs,
    its memory bound to node 1, then to node 0."""
    status = costmodel.plugin_status()
    if status != "yes":
        return f"skipped: the cost-model plugin cannot be used ({status})"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "numa-tiny.toml")
        with open(path, "w") as f:
            f.write(TINY)
        out = os.path.join(tmp, "out")
        cells = numa_run.run_all(path, out, jobs=2, log=lambda *a: None)
        for c in cells:
            check(c["failed"] is None, f"{c['key']}: ran ({c['failed']})")
        numa_report.write(out)
        with open(os.path.join(out, "figures.json")) as f:
            figs = {s["config"]: s for s in json.load(f)["summary"]}
        with open(os.path.join(out, "report.md")) as f:
            report = f.read()
    loc, rem = figs["local"], figs["bind-remote"]
    check(rem["remote_fraction"] > loc["remote_fraction"],
          f"bind-remote's remote fraction {rem['remote_fraction']:.4f} above local's "
          f"{loc['remote_fraction']:.4f}")
    check(loc["remote_fraction"] < 0.05 and rem["remote_fraction"] > 0.95,
          f"local < 5 %, bind-remote > 95 % ({loc['remote_fraction']:.4f}, "
          f"{rem['remote_fraction']:.4f})")
    zen = "AMD Zen 4"
    check(rem["cycles"][zen] > loc["cycles"][zen] and rem["remote_cycles"][zen] > 0,
          f"bind-remote's modelled time {rem['cycles'][zen]:.0f} above local's "
          f"{loc['cycles'][zen]:.0f}")
    check("| bind-remote | numa |" in report and "0 frames moved" in report,
          "the report's table and its pages-moved section")
    return (f"remote: local {loc['remote_fraction'] * 100:.1f} %, bind-remote "
            f"{rem['remote_fraction'] * 100:.1f} %; Mcycles (Zen 4) "
            f"{loc['cycles'][zen] / 1e6:.2f} vs {rem['cycles'][zen] / 1e6:.2f}")


CASES = [case_pv_and_hvm, case_numa_tiny]

if __name__ == "__main__":
    sys.exit(run_suite("membench tests", CASES, sys.argv[1:]))
