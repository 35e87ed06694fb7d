#!/usr/bin/env python3
"""PV path lengths, measured in deterministic mode (-icount shift=0: the TSC counts
instructions executed, so every figure below is an exact, repeatable count).

  null hypercall   round trip of HYPERVISOR_version from ring 3 (best of 100, the
                   minimal guest as dom0; includes one RDTSC)
  event ping-pong  round trip of an interdomain event between two domUs pinned to one
                   pCPU (1000 rounds: send, switch, the peer's upcall sends back, block,
                   switch back)
  create           dom0's `xl create` of an 8 MiB single-vCPU domU: createdomain to
                   unpause (memory, building through foreign mappings, context)
Writes results/pv-costs.md and .json.
"""
from __future__ import annotations

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "experiments"))
from hvlab.machine import Topology, boot  # noqa: E402

IMAGE = "build/hvlab.elf"


def scenario(d: str, images: list[str], cfgs: list[str]) -> list[str]:
    return (["build/dom0.elf"] + [f"build/guest/{i}.elf {i}.elf" for i in images]
            + [f"{d}/{c} {c}" for c in cfgs] + [f"{d}/scenario.txt scenario"])


def must(pattern: str, text: str, what: str) -> re.Match:
    m = re.search(pattern, text)
    if not m:
        sys.exit(f"pv_costs: no {what} in the output:\n{text[-3000:]}")
    return m


def main() -> int:
    topo = Topology(2, 1, 512)
    null = boot(IMAGE, topo, "", 60, modules=["build/tests/minimal.elf"]).output
    pp = boot(IMAGE, topo, "", 60, modules=scenario(
        "tests/scenarios/pingpong", ["pingpong"], ["pong.cfg", "ping.cfg"])).output
    three = boot(IMAGE, topo, "", 60, modules=scenario(
        "tests/scenarios/three-domus", ["cpuloop"], ["a.cfg", "b.cfg", "c.cfg"])).output
    figures = {
        "null_hypercall_insns": int(must(r"null hypercall round trip \(TSC\) (\d+)", null,
                                         "null hypercall").group(1)),
        "pingpong_rtt_avg_insns": int(must(r"rtt_avg_ns=(\d+)", pp, "ping-pong").group(1)),
        "pingpong_rtt_min_insns": int(must(r"rtt_min_ns=(\d+)", pp, "ping-pong").group(1)),
        "create_to_running_insns": int(must(r"create loop-a: (\d+) ns", three,
                                            "create time").group(1)),
    }
    os.makedirs("results", exist_ok=True)
    with open("results/pv-costs.json", "w") as f:
        json.dump(figures, f, indent=2, sort_keys=True)
    lines = ["# PV path lengths", "",
             "Deterministic mode (`-icount shift=0,sleep=off`): 1 TSC tick = 1 instruction,",
             "so these are exact instruction counts; a VMRUN-free PV path, 2 pCPUs, rr.", "",
             "| what | instructions |", "|---|---|"]
    for k, v in figures.items():
        lines.append(f"| {k} | {v:,} |")
    text = "\n".join(lines) + "\n"
    with open("results/pv-costs.md", "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
