#!/usr/bin/env python3
"""Instructions per scheduling decision, counted by callgrind: a figure that does not
move with the host's load or clock (the wall-time table of `make sched-bench` moves by
2x on a shared VM), so a claim about the cost of a decision can be checked anywhere.

For each policy and size, one run of `sched_scale --one POLICY VCPUS PCPUS` (the same
workload and seed as `make sched-bench`, exactly 20000 decisions after the 100 ms
warm-up) under valgrind --tool=callgrind, counting only inside the measured ops (the
functions named sim_measured_*: the policy's do_schedule, its wake, its own timer
handlers) and only after the warm-up (--zero-before=bench_window_open).
"decision Ir" = all of them / decisions, as "decision ns" in the wall-time table.

  sched_ir.py BENCH_BINARY POLICY... [--vcpus N] [--pcpus A,B,C]
Writes nothing; prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

OPS = ("do_schedule", "wake", "timer")


def inclusive(out: str) -> dict[str, int]:
    """Inclusive Ir of each sim_measured_* function in a callgrind output file."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                          check=True, capture_output=True, text=True).stdout
    got = dict.fromkeys(OPS, 0)
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s.*:sim_measured_(\w+?)(\.\w+\.\d+)?\s", line + " ")
        if m and m.group(2) in got:
            got[m.group(2)] = max(got[m.group(2)], int(m.group(1).replace(",", "")))
    return got


def one(binary: str, policy: str, vcpus: int, pcpus: int) -> str:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "callgrind.out")
        r = subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no",
                            "--toggle-collect=sim_measured_*",
                            "--zero-before=bench_window_open",
                            f"--callgrind-out-file={out}", binary, "--one", policy,
                            str(vcpus), str(pcpus)], capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"sched_ir: {policy} {vcpus}/{pcpus}: exit {r.returncode}\n{r.stderr}")
        counts = dict(kv.split("=") for kv in r.stdout.split())
        n = int(counts["decisions"])
        if not n:
            return f"| {policy} | {vcpus} | {pcpus} | no decision | | | | 0 |"
        ir = inclusive(out)
        wakes = int(counts["wakes"])
        return (f"| {policy} | {vcpus} | {pcpus} | {ir['do_schedule'] / n:.0f} | "
                f"{ir['wake'] / wakes if wakes else 0:.0f} | {wakes / n:.2f} | "
                f"{ir['timer'] / n:.0f} | {sum(ir.values()) / n:.0f} | {n} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("policies", nargs="+")
    ap.add_argument("--vcpus", type=int, default=4096)
    ap.add_argument("--pcpus", default="4,64,256")
    a = ap.parse_args()
    print("| policy | vCPUs | pCPUs | do_schedule Ir | wake Ir | wakes/decision | "
          "policy timers Ir/decision | decision Ir | decisions |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in a.policies:
        for c in (int(x) for x in a.pcpus.split(",")):
            print(one(a.binary, p, a.vcpus, c), flush=True)


if __name__ == "__main__":
    main()
