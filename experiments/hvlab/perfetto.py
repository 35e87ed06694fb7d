"""A Chrome trace-event JSON timeline (opens in ui.perfetto.dev and chrome://tracing).

Process 1 ("pCPUs") has one thread track per pCPU, with a complete event ("ph": "X")
for every interval a vCPU ran there (name "d1v0", args dom/vcpu/domain name; idle
time is left empty) and instant events for wake-ups (on the pCPU the vCPU was
queued on), deadline misses, every other decision a policy traces ("credit2.pull") and
every VM exit of an HVM vCPU ("vmexit.hlt", on the pCPU it exited on), category = the
event's name, so each kind can be filtered. Process 2 ("domains") holds the counters: each
domain's share of the machine per window, and the number of runnable vCPUs.

Timestamps are microseconds since the first record: TSC ticks * 1000 / tsc_khz. In
deterministic mode the TSC counts instructions, so a "µs" is 1000 instructions; the
file's otherData says which.
"""
from __future__ import annotations

import json

from .analyze import Analysis, vcpu_key

PID_CPUS, PID_DOMS = 1, 2


def build(an: Analysis, info: dict, names: dict[int, str] | None = None) -> dict:
    """info: the summary's "trace" section; names: domid -> domain name."""
    names = names or {}
    khz = an.tsc_khz

    def us(tsc: int) -> float:
        return round((tsc - an.t0) * 1000 / khz, 3)

    ev: list[dict] = [
        {"ph": "M", "pid": PID_CPUS, "name": "process_name", "args": {"name": "pCPUs"}},
        {"ph": "M", "pid": PID_DOMS, "name": "process_name", "args": {"name": "domains"}},
    ]
    for c in range(an.nr_cpus):
        ev.append({"ph": "M", "pid": PID_CPUS, "tid": c, "name": "thread_name",
                   "args": {"name": f"pCPU {c}"}})
        ev.append({"ph": "M", "pid": PID_CPUS, "tid": c, "name": "thread_sort_index",
                   "args": {"sort_index": c}})
    for cpu, s, e, dom, vcpu in an.slices:
        key = vcpu_key(dom, vcpu)
        if key.startswith("idle"):
            continue
        args = {"dom": dom, "vcpu": vcpu}
        if dom in names:
            args["domain"] = names[dom]
        ev.append({"ph": "X", "pid": PID_CPUS, "tid": cpu, "ts": us(s),
                   "dur": round((e - s) * 1000 / khz, 3), "name": key, "cat": "vcpu",
                   "args": args})
    for tsc, cpu, what, dom, vcpu in an.instants:
        ev.append({"ph": "i", "s": "t", "pid": PID_CPUS,
                   "tid": cpu if cpu < an.nr_cpus else 0, "ts": us(tsc),
                   "name": f"{what} {vcpu_key(dom, vcpu)}", "cat": what.split()[-1],
                   "args": {"dom": dom, "vcpu": vcpu}})
    for start_ms, shares in an.windows:
        ev.append({"ph": "C", "pid": PID_DOMS, "ts": round(start_ms * 1000, 3),
                   "name": "cpu share", "args": {d: round(v, 4) for d, v in shares.items()
                                                 if d != "idle"}})
    for tsc, n in an.runnable_series:
        ev.append({"ph": "C", "pid": PID_DOMS, "ts": us(tsc), "name": "runnable vCPUs",
                   "args": {"runnable": n}})
    unit = ("1 us = 1000 instructions (deterministic mode: the TSC counts instructions)"
            if info.get("deterministic") else "1 us = 1 us of TSC time (realtime mode)")
    return {"traceEvents": ev, "displayTimeUnit": "ns",
            "otherData": {"generator": "hvlab", "scheduler": info.get("scheduler", ""),
                          "timestamps": "us since the first record, TSC * 1000 / tsc_khz",
                          "time_basis": unit, "tsc_khz": khz,
                          "first_tsc": an.t0, "last_tsc": an.t1,
                          "cpu_share_window_ms": info.get("window_ms", "")}}


def write(path: str, an: Analysis, info: dict, names: dict[int, str] | None = None) -> None:
    with open(path, "w") as f:
        json.dump(build(an, info, names), f, separators=(",", ":"))
        f.write("\n")
