"""The PV-vs-HVM-vs-native report's runs (docs/pv-vs-hvm.md): every cell of the table
row x mode is measured by booting QEMU, and written to cells.json for pvhvm_report.

Design: a row is a workload (a microbenchmark case, event ping-pong between two
domains, the disk benchmark, the network round trip); a cell is one row in one mode
(native, pv, hvm, pvhvm). A cell runs its experiment file (the same ones `hvlab run`
takes: experiments/micro-*.toml, pingpong-*.toml, io-*.toml, netbench*.toml) with its
workload's count set to N, and again with it set to 1, both under the cost-model
plugin (docs/cost-model.md): the per-operation counts are (counts(N) - counts(1)) /
(N - 1), so boot, domain creation and the case's own set-up cancel out. Counts are
summed over every vCPU of every domain (dom0's too: the I/O rows' backends run there),
never the idle vCPUs (an idle pCPU's spinning is not work), and natively over the
whole machine (there is no hint: everything is "boot"). Hypervisor modes also get
traced runs at N and at 1 (classes hcall and hvm): the exits and hypercalls of the
benchmark's domains by reason, p5/p50/p95 of their path lengths at N, and per
operation the difference of the two.
A run that fails (QEMU's status, a FAILED line, a missing result line) makes its cell
"failed" with the reason; the other cells go on. A cell the mode cannot run is "na"
with the reason, without a run.
Limitations: one repetition (deterministic mode gives the same counts again, except the
disk rows, whose completions come from QEMU's I/O threads: docs/native-disk.md).
"""
from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import tomllib
from concurrent.futures import ThreadPoolExecutor

from . import costmodel, experiment, results, run

MODES = ("native", "pv", "hvm", "pvhvm")
MICRO = ("null", "ptupdate", "pagefault", "timer", "ipi", "ioport", "forkas", "cpu",
         "mem4k", "mem2m")
# Microbenchmark cells the mode cannot run (micro.c prints skipped: no run needed).
MICRO_NA = {("ioport", "pv"): "a PV domU has no I/O ports (nothing is emulated for it)",
            ("mem2m", "pv"): "no 2 MiB pages for a PV guest (the hypervisor refuses PTE_PS)"}
# PVHVM differs from HVM only where a PV driver or event channel is used: the micro
# cases use none (the HVM runtime's timer is already set_timer_op + the event
# callback vector), so their PVHVM cell is the HVM cell.
# Cells whose figure is measured but is no path length to divide by (the table shows
# it with this note and no ratio; the figures normalise the row to PV instead).
NOT_A_BASE = {("disk", "native"): "natively the benchmark waits for QEMU's host I/O "
                                  "thread, so its count follows host timing "
                                  "(docs/native-disk.md, Determinism)"}
PVHVM_SAME = "the HVM build: no PV driver in this case, so PVHVM = HVM (docs/pv-vs-hvm.md)"


class PvHvmError(Exception):
    pass


@dataclasses.dataclass
class Cell:
    row: str
    mode: str
    experiment: str | None      # experiment file; None: not applicable
    args: dict                  # domain index -> args with {n}
    n: int
    result: str                 # which guest result line's figure is the guest's own timing
    na: str | None = None       # why the mode cannot run it
    same_as: str | None = None  # another mode's cell that is this one


def load_spec(path: str) -> dict:
    """The [pv_vs_hvm] table of experiments/pv-vs-hvm.toml (docs/pv-vs-hvm.md)."""
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise PvHvmError(f"{path}: {e}") from None
    spec = doc.get("pv_vs_hvm")
    if not isinstance(spec, dict):
        raise PvHvmError(f"{path}: no [pv_vs_hvm] table")
    known = {"cost_tables", "iters", "mem_mb", "pingpong_rounds", "disk_reqs", "net_rounds",
             "rows", "modes"}
    for k in spec:
        if k not in known:
            raise PvHvmError(f"{path}: pv_vs_hvm.{k}: unknown key (known: "
                             f"{', '.join(sorted(known))})")
    out = {"cost_tables": spec.get("cost_tables", ["costs/amd-zen4.toml",
                                                   "costs/intel-spr.toml"]),
           "iters": spec.get("iters", {}), "mem_mb": spec.get("mem_mb", 4),
           "pingpong_rounds": spec.get("pingpong_rounds", 50),
           "disk_reqs": spec.get("disk_reqs", 16), "net_rounds": spec.get("net_rounds", 50),
           "rows": spec.get("rows", list(MICRO) + ["pingpong", "disk", "net"]),
           "modes": spec.get("modes", list(MODES))}
    for k in ("mem_mb", "pingpong_rounds", "disk_reqs", "net_rounds"):
        low = 1 if k == "mem_mb" else 2        # N = 1 is the baseline run
        if not isinstance(out[k], int) or isinstance(out[k], bool) or out[k] < low:
            raise PvHvmError(f"{path}: pv_vs_hvm.{k}: {out[k]!r}: expected an integer >= {low}")
    if not isinstance(out["iters"], dict):
        raise PvHvmError(f"{path}: pv_vs_hvm.iters: expected a table case = N")
    for k, v in out["iters"].items():
        if k not in MICRO:
            raise PvHvmError(f"{path}: pv_vs_hvm.iters.{k}: unknown case (known: "
                             f"{', '.join(MICRO)})")
        if not isinstance(v, int) or isinstance(v, bool) or v < 2:
            raise PvHvmError(f"{path}: pv_vs_hvm.iters.{k}: {v!r}: expected an integer >= 2")
    for m in out["modes"]:
        if m not in MODES:
            raise PvHvmError(f"{path}: pv_vs_hvm.modes: unknown mode {m!r}")
    return out


def cells(spec: dict) -> list[Cell]:
    out = []
    mem = spec["mem_mb"]
    for row in spec["rows"]:
        for mode in spec["modes"]:
            out.append(_cell(row, mode, spec, mem))
    return out


def _cell(row: str, mode: str, spec: dict, mem: int) -> Cell:
    if row in MICRO:
        n = spec["iters"].get(row, 50)
        if (row, mode) in MICRO_NA:
            return Cell(row, mode, None, {}, n, "micro", na=MICRO_NA[(row, mode)])
        if mode == "pvhvm":
            return Cell(row, mode, None, {}, n, "micro", same_as="hvm")
        return Cell(row, mode, f"experiments/micro-{mode}.toml",
                    {0: f"cases={row} iters={{n}} mem_mb={mem}"}, n, "micro")
    if row == "pingpong":
        n = spec["pingpong_rounds"]
        na = {"native": "one domain on bare QEMU: no second domain, no event channels",
              "hvm": "event channels are a PV interface: an HVM guest that uses them is "
                     "PVHVM (next column)"}
        if mode in na:
            return Cell(row, mode, None, {}, n, "pingpong", na=na[mode])
        return Cell(row, mode, f"experiments/pingpong-{mode}.toml",
                    {0: "role=pong peer=2 rounds={n} timeout_ms=30000",
                     1: "role=ping peer=1 rounds={n} timeout_ms=30000"}, n, "pingpong")
    if row == "disk":
        n = spec["disk_reqs"]
        return Cell(row, mode, f"experiments/io-{mode}.toml",
                    {0: f"mode={mode} dev={_DISK_DEV[mode]} reqs={{n}}"}, n, "disk")
    if row == "net":
        n = spec["net_rounds"]
        na = {"native": "the native build has no network driver (netfront needs a backend)",
              "hvm": "hvlab emulates no network card for HVM guests: only netfront (PVHVM)"}
        if mode in na:
            return Cell(row, mode, None, {}, n, "net", na=na[mode])
        f = "experiments/netbench.toml" if mode == "pv" else "experiments/netbench-pvhvm.toml"
        return Cell(row, mode, f, {1: "role=ping peer=00:16:3e:00:00:01 rounds={n} frames=0 "
                                      "timeout_ms=60000"}, n, "net")
    raise PvHvmError(f"unknown row {row!r}")


_DISK_DEV = {"native": "vda", "pv": "xvda", "hvm": "hda", "pvhvm": "xvda"}


def _experiment(cell: Cell, n: int, traced: bool) -> experiment.Experiment:
    exp = copy.deepcopy(experiment.load(os.path.join(run.REPO, cell.experiment)))
    for i, a in cell.args.items():
        exp.domains[i].args = a.format(n=n)
    exp.repetitions = 1
    exp.schedulers = exp.schedulers[:1]
    if exp.native:
        return exp
    exp.trace_enabled = traced
    # The scenario sleeps duration_ms, stops the trace, then waits for each domain: a
    # traced run must cover the workload, an untraced one need not wait at all.
    exp.duration_ms = max(exp.duration_ms, 150) if traced else 10
    if traced:
        exp.trace_classes = ["sched", "dom", "hcall", "hvm"]
    return exp


def _figure(cell: Cell, summary: dict) -> float | None:
    """The guest's own timing of one operation (instructions under icount)."""
    for r in summary.get("micro_cases") or []:
        if r.get("case") == cell.row and "ns_per_op" in r:
            return r["ns_per_op"]
    for r in summary.get("guest_results") or []:
        if cell.result == "pingpong" and r.get("bench") == "pingpong" and "rtt_avg_ns" in r:
            return float(r["rtt_avg_ns"])
        if cell.result == "net" and r.get("bench") == "netbench-rtt" and "rtt_median_ns" in r:
            return float(r["rtt_median_ns"])
    dc = summary.get("disk_cases")
    if cell.result == "disk" and dc:
        return sum(c["ns"] for c in dc) / sum(c["reqs"] for c in dc)
    return None


def _why_failed(cell: Cell, info: dict, summary: dict) -> str | None:
    if info.get("state") != "ok":
        return f"run: {info.get('state')}"
    for r in summary.get("micro_cases") or []:
        if r.get("case") == cell.row and "failed" in r:
            return f"FAILED: {r['failed']}"
    if summary.get("problems"):
        return "; ".join(summary["problems"])[:300]
    if cell.result == "disk" and not summary.get("disk_cases"):
        return "no disk result lines"
    if _figure(cell, summary) is None:
        return f"no {cell.result} result line for {cell.row}"
    return None


def work_entries(counts: list[dict]) -> list[dict]:
    """The plugin's entries that are the workload's: every vCPU's; natively (no vCPU
    entry: no hint) the "boot" entry, which is the whole machine. Never the idle pCPUs
    (their spinning is not work), nor hvlab's own boot before the first hint, whose
    length varies from run to run (a 2-pCPU boot under icount is not deterministic,
    docs/pv-vs-hvm.md)."""
    vcpus = [c for c in counts if c["who"] == "vcpu"]
    return vcpus if vcpus else [c for c in counts if c["who"] == "boot"]


def sum_counts(counts: list[dict]) -> dict:
    """{"all": {key: n}, "guest", "hv", "dom0": instructions} over work_entries()."""
    tot: dict[str, int] = {}
    split = {"guest": 0, "hv": 0, "dom0": 0}
    for c in work_entries(counts):
        for k, v in c.items():
            if isinstance(v, int) and not isinstance(v, bool) and k not in ("domain", "vcpu"):
                tot[k] = tot.get(k, 0) + v
        g, h = c.get("guest_insns", 0), c.get("hv_insns", 0)
        if c["who"] == "vcpu" and c["domain"] == 0:
            split["dom0"] += g + h
        elif c["who"] == "vcpu":
            split["guest"] += g
            split["hv"] += h
        elif not c.get("hv_insns"):             # boot, natively: all the guest's
            split["guest"] += g
    return {"all": tot, **split}


def _one(cell: Cell, n: int, traced: bool, out: str, use_plugin: bool) -> dict:
    exp = _experiment(cell, n, traced)
    cfg = exp.configs()[0]
    rd = os.path.join(out, "runs", f"{cell.row}-{cell.mode}-n{n}{'-traced' if traced else ''}")
    os.makedirs(rd, exist_ok=True)
    counts_file = os.path.join(rd, "..", os.path.basename(rd) + ".counts.json")
    extra = costmodel.plugin_args(counts_file) if use_plugin and not traced else []
    info = run.run_one(exp, cfg, rd, extra)
    summary = results.process(exp, cfg, rd, perfetto_out=False).summary
    rec = {"state": info["state"], "figure": _figure(cell, summary),
           "failed": _why_failed(cell, info, summary)}
    if extra and rec["failed"] is None:
        try:
            raw = [c for c in costmodel.load_counts(counts_file) if c["who"] != "idle"]
            rec["counts"], rec["raw"] = sum_counts(raw), raw
        except costmodel.CostModelError as e:
            rec["failed"] = f"cost model: {e}"
    if traced and summary.get("analysis"):
        rec["reasons"] = _reasons(summary)
    return rec


def _reasons(summary: dict) -> dict:
    """name -> {kind, n, total, p5, p50, p95} for the benchmark domains' hypercalls and
    exits in the traced run."""
    an = summary["analysis"]
    out: dict[str, dict] = {}
    for d, by in an.get("hypercalls", {}).get("by_domain", {}).items():
        if not _is_domu(d):
            continue
        for h in by.values():
            _add(out, f"hcall {h['name']}", "hypercall", h["calls"], h["path_tsc"])
    for d, x in an.get("hvm_exits", {}).get("by_domain", {}).items():
        if not _is_domu(d):
            continue
        for r, e in x["by_reason"].items():
            _add(out, f"exit {r}", "exit", e["exits"], e["path_tsc"])
    return out


def _is_domu(key: str) -> bool:
    m = re.match(r"d(\d+)", key)
    return bool(m) and int(m.group(1)) > 0


def _add(out: dict, name: str, kind: str, n: int, p: dict) -> None:
    """Per reason; several domains or runs of one reason keep the larger sample's
    percentiles (the report names n)."""
    cur = out.get(name)
    rec = {"kind": kind, "n": n, "total": p.get("total") or 0, "p5": p.get("p5"),
           "p50": p.get("p50"), "p95": p.get("p95")}
    if cur is None:
        out[name] = rec
        return
    keep = rec if (rec["n"] or 0) > (cur["n"] or 0) else cur
    out[name] = dict(keep, n=cur["n"] + rec["n"], total=cur["total"] + rec["total"])


def per_op(big: dict, small: dict, n: int) -> dict:
    """(counts(N) - counts(1)) / (N - 1), every key and the split."""
    keys = set(big["all"]) | set(small["all"])
    d = n - 1
    return {"all": {k: (big["all"].get(k, 0) - small["all"].get(k, 0)) / d for k in sorted(keys)},
            **{k: (big[k] - small[k]) / d for k in ("guest", "hv", "dom0")}}


def reasons_per_op(c: dict) -> dict[str, dict]:
    """reason -> {"n", "total"} per operation: (traced(N) - traced(1)) / (N - 1)."""
    one, d = c.get("reasons_1", {}), max(c["n"] - 1, 1)
    out = {}
    for k, r in c.get("reasons", {}).items():
        r1 = one.get(k, {"n": 0, "total": 0})
        out[k] = {"n": (r["n"] - r1["n"]) / d, "total": (r["total"] - r1["total"]) / d}
    return out


def measure(cell: Cell, out: str, use_plugin: bool) -> dict:
    """One cell: its record for cells.json."""
    rec = {"row": cell.row, "mode": cell.mode, "n": cell.n, "experiment": cell.experiment}
    if cell.na:
        return dict(rec, status="na", reason=cell.na)
    if cell.same_as:
        return dict(rec, status="same", same_as=cell.same_as, reason=PVHVM_SAME)
    try:
        big = _one(cell, cell.n, False, out, use_plugin)
        if big["failed"]:
            return dict(rec, status="failed", reason=big["failed"])
        rec["guest_per_op"] = big["figure"]
        if use_plugin:
            small = _one(cell, 1, False, out, use_plugin)
            if small["failed"]:
                return dict(rec, status="failed", reason=f"with N=1: {small['failed']}")
            rec["per_op"] = per_op(big["counts"], small["counts"], cell.n)
            # The plugin's own entries (idle pCPUs left out), for a cost model that
            # prices a whole run's list (costmodel.modelled_cycles, when it has one).
            rec["raw_n"], rec["raw_1"] = big["raw"], small["raw"]
        if cell.mode != "native":
            # Traced at N and at 1: a reason's per-operation share is the difference
            # (the domain's set-up hypercalls and its result line cancel out).
            for n, key in ((cell.n, "reasons"), (1, "reasons_1")):
                tr = _one(cell, n, True, out, False)
                if tr["failed"]:
                    return dict(rec, status="failed", reason=f"traced run (N={n}): "
                                                            f"{tr['failed']}")
                rec[key] = tr.get("reasons", {})
    except (run.RunError, experiment.ExperimentError, OSError) as e:
        return dict(rec, status="failed", reason=str(e)[:300])
    return dict(rec, status="ok")


def run_all(spec_path: str, out: str, jobs: int = 2, log=print) -> list[dict]:
    spec = load_spec(spec_path)
    status = costmodel.plugin_status()
    use_plugin = status == "yes"
    if not use_plugin:
        log(f"cost model not used: QEMU plugins: {status}")
    todo = cells(spec)
    os.makedirs(out, exist_ok=True)

    def one(c: Cell) -> dict:
        r = measure(c, out, use_plugin)
        log(f"  {c.row} {c.mode}: {r['status']}" + (f" ({r['reason']})" if r.get("reason")
                                                    and r["status"] == "failed" else ""))
        return r

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        recs = list(pool.map(one, todo))
    doc = {"format": "hvlab-pv-vs-hvm-1", "plugin": status, "spec": spec, "cells": recs}
    with open(os.path.join(out, "cells.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    return recs
