#!/usr/bin/env python3
"""What tracing costs, measured in deterministic mode (-icount: exact instruction
counts, identical on every run).

  per record      the minimal guest's 20000 null hypercalls with every class on vs
                  off: each call emits two records (hypercall entry and exit)
  hypercall-heavy event-channel ping-pong between two domUs on one pCPU (1000
                  round trips: send, upcall, block, wake, switch), average round trip,
                  traced vs not; one pCPU, so that tracing cannot change placement
  CPU-bound       cpuloop iterations in 300 ms of guest time next to an idle dom0,
                  traced vs not
Tracing "on" means dom0's collector running (`trace start` .. `trace stop`, all
classes, draining every 10 ms into the host stream). Writes results/trace-overhead.md
and .json.
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "experiments"))
from hvlab.machine import Topology, boot, ivshmem_args  # noqa: E402

IMAGE = "build/hvlab.elf"
TOPO = Topology(2, 1, 512)


def must(pattern: str, text: str, what: str) -> int:
    m = re.search(pattern, text)
    if not m:
        sys.exit(f"trace_overhead: no {what} in the output:\n{text[-3000:]}")
    return int(m.group(1))


def scenario_run(tmp: str, images: list[str], cfgs: dict[str, str], body: list[str],
                 traced: str, topo: Topology = TOPO) -> str:
    """traced: "" (off) or the classes to trace ("all", "sched", ...)."""
    lines = ([f"trace start {traced}"] if traced else []) + body + \
        (["trace stop"] if traced else [])
    d = tempfile.mkdtemp(dir=tmp)
    mods = ["build/dom0.elf"] + [f"build/guest/{i}.elf {i}.elf" for i in images]
    for name, text in cfgs.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
        mods.append(f"{d}/{name} {name}")
    with open(os.path.join(d, "scenario.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    mods.append(f"{d}/scenario.txt scenario")
    r = boot(IMAGE, topo, "icount", 120, modules=mods,
             extra=ivshmem_args(os.path.join(d, "trace.shm"), 64))
    if r.status != 0:
        sys.exit(f"trace_overhead: run failed (status {r.status}):\n{r.output[-3000:]}")
    return r.output


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        off = boot(IMAGE, TOPO, "", 60, modules=["build/tests/minimal.elf"]).output
        on = boot(IMAGE, TOPO, "trace trace_ring=262144", 60,
                  modules=["build/tests/minimal.elf"]).output
        pat = r"20000 null hypercalls \(TSC\) (\d+)"
        hc_off, hc_on = must(pat, off, "hypercall loop"), must(pat, on, "hypercall loop")

        pp_cfgs = {
            "pong.cfg": 'name = "pong"\nkernel = "pingpong.elf"\nmemory = 8\n'
                        'extra = "role=pong peer=2"\n',
            "ping.cfg": 'name = "ping"\nkernel = "pingpong.elf"\nmemory = 8\n'
                        'extra = "role=ping peer=1 rounds=1000"\n'}
        pp_body = ["create pong.cfg", "create ping.cfg", "wait ping 60000", "wait pong 60000"]
        pp = {t: must(r"rtt_avg_ns=(\d+)", scenario_run(tmp, ["pingpong"], pp_cfgs, pp_body, t,
                                                        Topology(1, 1, 512)),
                      "ping-pong") for t in ("", "all", "sched")}

        cpu_cfgs = {"loop.cfg": 'name = "loop"\nkernel = "cpuloop.elf"\nmemory = 8\n'
                                'extra = "ms=300"\n'}
        cpu_body = ["create loop.cfg", "wait loop 60000"]
        cpu = {t: must(r"bench=cpuloop dom=1 iters=(\d+)",
                       scenario_run(tmp, ["cpuloop"], cpu_cfgs, cpu_body, t), "cpuloop")
               for t in ("", "all")}

    fig = {
        "null_hypercall_off_insns": hc_off / 20000,
        "null_hypercall_on_insns": hc_on / 20000,
        "insns_per_record": (hc_on - hc_off) / 20000 / 2,
        "pingpong_rtt_off_insns": pp[""],
        "pingpong_rtt_on_insns": pp["all"],
        "pingpong_slowdown_pct": 100 * (pp["all"] - pp[""]) / pp[""],
        "pingpong_rtt_sched_only_insns": pp["sched"],
        "pingpong_sched_only_slowdown_pct": 100 * (pp["sched"] - pp[""]) / pp[""],
        "cpuloop_iters_off": cpu[""],
        "cpuloop_iters_on": cpu["all"],
        "cpuloop_slowdown_pct": 100 * (cpu[""] - cpu["all"]) / cpu[""],
    }
    fig = {k: round(v, 2) if isinstance(v, float) else v for k, v in fig.items()}
    os.makedirs("results", exist_ok=True)
    with open("results/trace-overhead.json", "w") as f:
        json.dump(fig, f, indent=2)
    rows = [("instructions per trace record", f"{fig['insns_per_record']}"),
            ("null hypercall, tracing off / all classes on (instructions)",
             f"{fig['null_hypercall_off_insns']} / {fig['null_hypercall_on_insns']}"),
            ("ping-pong round trip, off / all classes (instructions)",
             f"{fig['pingpong_rtt_off_insns']} / {fig['pingpong_rtt_on_insns']} "
             f"({fig['pingpong_slowdown_pct']:+.2f}%)"),
            ("ping-pong round trip, off / sched class only (instructions)",
             f"{fig['pingpong_rtt_off_insns']} / {fig['pingpong_rtt_sched_only_insns']} "
             f"({fig['pingpong_sched_only_slowdown_pct']:+.2f}%)"),
            ("cpuloop iterations in 300 ms, off / on",
             f"{fig['cpuloop_iters_off']} / {fig['cpuloop_iters_on']} "
             f"({-fig['cpuloop_slowdown_pct']:+.2f}%)")]
    text = ("# Tracing overhead\n\nDeterministic mode (`-icount shift=0`): instruction "
            "counts, exact and repeatable. \"On\" = dom0's collector tracing every class "
            "and streaming to the host. 2 pCPUs (ping-pong: 1).\n\n| what | figure |\n|---|---|\n" +
            "\n".join(f"| {a} | {b} |" for a, b in rows) + "\n")
    with open("results/trace-overhead.md", "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
