"""One run's folder (results/<name>/runs/<key>/) -> its metrics and tables.

A run folder holds what run.py saved: console.txt (the serial console), trace.bin
(the stream), run.json (command line, exit status, wall time) and inputs/ (the xl
cfg files and the scenario). process() decodes and analyses them and writes, next
to them: summary.json, runstate.csv, wake_latency.csv, cpu_share.csv, slices.csv,
hypercalls.csv, hvm_exits.csv, events.csv and, when asked, trace.json (Perfetto).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re

from . import (analyze, analyze_report, console, iobench, machine, microbench, perfetto,
               perfetto_pb, stats, topo, warmup)
from . import trace as T
from .experiment import Config, Experiment


_CRASH = re.compile(r"^(?:\[\s*\d+\.\d+\]\s*)?domain (\d+) \(([^)]*)\): shutdown \(crash\)",
                    re.M)


@dataclasses.dataclass
class RunResult:
    config: Config
    summary: dict                           # what runs/<key>/summary.json holds
    analysis: analyze.Analysis | None       # None when there is no usable trace
    names: dict[int, str]                   # domid -> domain name

    @property
    def ok(self) -> bool:
        return self.summary["status"] == "ok"


def domain_names(exp: Experiment, seen: dict[int, str],
                 cfg: Config | None = None) -> dict[int, str]:
    """domid -> name: what the console said, else creation order (ids 1, 2, ...)."""
    names = {0: "Domain-0"}
    names.update({domid: exp.domains[i].name for i, domid in exp.domids(cfg).items()})
    names.update(seen)
    return names


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _run_json(path: str, problems: list[str]) -> dict:
    """run.json as a dict, its errors a list of strings; anything else is a problem
    (a hand-edited or damaged file), not a traceback."""
    try:
        run = json.loads(_read(path) or "{}")
    except ValueError as e:
        problems.append(f"{path}: not valid JSON ({e})")
        return {}
    if not isinstance(run, dict):
        problems.append(f"{path}: expected a JSON object, got {type(run).__name__}")
        return {}
    errors = run.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        problems.append(f"{path}: \"errors\" is not a list of strings")
        run["errors"] = []
    return run


def process(exp: Experiment, cfg: Config, run_dir: str, perfetto_out: bool) -> RunResult:
    problems, notes = [], []
    run = _run_json(os.path.join(run_dir, "run.json"), problems)
    text = _read(os.path.join(run_dir, "console.txt"))
    con = console.parse(text or "")
    if exp.native:          # the one domain prints on the bare console: its id by file order
        for res in con["results"]:
            res.setdefault("console_dom", 1)
    names = domain_names(exp, con["domains"], cfg)
    if text is None:
        problems.append("no console.txt: the run did not happen or was removed")
    if run.get("timed_out"):
        problems.append(f"QEMU timed out after {run.get('timeout_s')} s")
    elif run.get("status") not in (None, 0):
        err = (run.get("qemu_stderr") or "").strip().splitlines()
        problems.append(f"QEMU exited with status {run.get('status')} "
                        f"({machine.describe_status(run.get('status'))})"
                        + (f": {err[-1]}" if err else ""))
    if exp.native:          # no dom0, no scenario: the exit status says it all
        pass
    elif text is not None and con["scenario"] != "done":
        problems.append(f"dom0's scenario {con['scenario']}"
                        + (f": {'; '.join(con['errors'][:4])}" if con["errors"] else ""))
    elif con["errors"]:
        problems += [f"console: {e}" for e in con["errors"][:4]]
    # A domU that crashed did not do its part of the run (its results are missing or
    # cut short); dom0's crash is a hypervisor panic, reported by the exit status.
    problems += [f"domain {m.group(1)} ({m.group(2)}) crashed" for m in
                 _CRASH.finditer(text or "") if m.group(1) != "0"]
    col = con["collector"]
    if col and col["lost"]:
        problems.append(f"dom0's collector lost {col['lost']} records")
    problems += [e for e in run.get("errors", [])]

    an, trace_info, tr, window = None, None, None, None
    tpath = os.path.join(run_dir, "trace.bin")
    if exp.trace_enabled:
        if os.path.exists(tpath):
            try:
                tr = T.read_stream(tpath)
                window = warmup.measured_window(tr, exp.domids(cfg).values(), exp.warmup_ms) \
                    if exp.measure_from == "last_domain_start" else warmup.whole_trace()
                if window["note"]:
                    notes.append(window["note"])
                # A note, not a problem: a benchmark that ends by itself (a micro
                # case) is measured rightly; a share set against domains that ran on
                # is not, and the note says so next to the figures.
                name = {d: exp.domains[i].name for i, d in exp.domids(cfg).items()}
                notes += [f"domain {name.get(st['domid'], st['domid'])} stopped "
                          f"{st['after_ms']} ms into the {st['window_ms']} ms measured "
                          "window: its shares cover only that part" for st in
                          window.get("stopped", [])]
                an = analyze.analyze(tr, exp.window_ms, exp.rt_params(cfg),
                                     start_tsc=window["start_tsc"],
                                     nodes=exp.topology.nodes)
                with open(tpath, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                trace_info = {"sha256": digest}
                if tr.header.deterministic != exp.deterministic:
                    notes.append(f"the trace header says deterministic="
                                 f"{tr.header.deterministic}, but the run used mode "
                                 f"{exp.mode}: times are read as {exp.mode} times")
                if tr.header.sched != cfg.scheduler:
                    problems.append(f"the trace says pool 0 ran '{tr.header.sched}', the "
                                    f"configuration asked for '{cfg.scheduler}'")
            except T.TraceError as e:
                problems.append(f"trace: {e}")
        elif not any(p.startswith("trace") for p in problems):
            problems.append("no trace.bin (see the errors above)")
    disk = None
    if any(r.get("bench") == "disk" for r in con["results"]):
        try:            # the disk benchmark's cases and their breakdown (iobench.py)
            disk = iobench.run_cases(text or "", tr if an else None,
                                     an.slices if an else None)
            problems += [f"disk: {c['mode']} {c['op']} qd={c['qd']}: {c['errors']} errors, "
                         f"{c['verify_errors']} verify errors"
                         for c in disk if c["errors"] or c["verify_errors"]]
        except iobench.IoBenchError as e:
            problems.append(f"console: {e}")
    micro = None
    if any(r.get("bench") == "micro" for r in con["results"]):
        try:            # the microbenchmarks' cases (microbench.py)
            micro = microbench.parse(text or "")
            problems += microbench.problems(micro)
        except microbench.MicroError as e:
            problems.append(f"console: {e}")
    topology = None
    if an and perfetto_out and text is not None:     # the machine as hvlab saw it (topo.py)
        topology = topo.write(run_dir, text, an, tr, names,
                              "1 ns = 1 instruction" if exp.deterministic else "TSC time")
        if "note" in topology:
            notes.append(topology["note"])
    # Nothing host-dependent here (wall time lives in run.json and meta.json): two
    # deterministic runs must give byte-identical summaries.
    summary = {
        "config": {"key": cfg.key, "scheduler": cfg.scheduler, "rep": cfg.rep,
                   "seed": cfg.seed,
                   "creation": [[exp.domains[i].name, ms] for i, ms in
                                exp.start_plan(cfg.seed)]},
        "status": "ok" if not problems else "failed",
        "problems": problems,
        "notes": notes,
        "domains": {f"d{i}": n for i, n in sorted(names.items())},
        "guest_results": con["results"],
        "collector": con["collector"],
        "trace_file": trace_info,
        "measured_window": window,
        "analysis": an.summary if an else None,
    }
    if topology is not None:
        summary["topology"] = topology
    if disk is not None:
        summary["disk_cases"] = disk
    if micro is not None:
        summary["micro_cases"] = micro
    stats.write_json(os.path.join(run_dir, "summary.json"), summary)
    if an:
        write_tables(run_dir, an, names)
        analyze_report.write_tables(run_dir, an, exp.interval_ms)
        if perfetto_out:
            info = dict(an.summary["trace"], window_ms=exp.window_ms,
                        deterministic=exp.deterministic)
            perfetto.write(os.path.join(run_dir, "trace.json"), an, info, names)
            perfetto_pb.write(os.path.join(run_dir, "trace.pftrace"), an, tr, info, names)
    return RunResult(cfg, summary, an, names)


def write_tables(run_dir: str, an: analyze.Analysis, names: dict[int, str]) -> None:
    s = an.summary
    rows = []
    for key, r in s["runstate"].items():
        rows.append([key, r["domid"], names.get(r["domid"], ""), r["running_ns"],
                     r["runnable_ns"], r["blocked_ns"], r["offline_ns"], r["total_ns"],
                     r["running_fraction"]])
    stats.write_csv(os.path.join(run_dir, "runstate.csv"),
                    ["vcpu", "domid", "domain", "running_ns", "runnable_ns", "blocked_ns",
                     "offline_ns", "total_ns", "running_fraction"], rows)
    stats.write_csv(os.path.join(run_dir, "wake_latency.csv"),
                    ["vcpu", "wake_tsc", "latency_ns"],
                    [[k, w, lat] for k in sorted(an.latencies)
                     for w, lat in an.latencies[k]])
    pooled = [lat for k, v in an.latencies.items() if not k.startswith("idle") for _, lat in v]
    stats.write_csv(os.path.join(run_dir, "wake_latency_cdf.csv"), ["latency_ns", "fraction"],
                    stats.cdf(pooled, 1000))
    doms = sorted({d for _, sh in an.windows for d in sh},
                  key=lambda d: (d == "idle", len(d), d))
    stats.write_csv(os.path.join(run_dir, "cpu_share.csv"), ["window_start_ms", *doms],
                    [[t, *[sh.get(d, 0.0) for d in doms]] for t, sh in an.windows])
    stats.write_csv(os.path.join(run_dir, "slices.csv"),
                    ["pcpu", "start_tsc", "end_tsc", "domid", "vcpu"], an.slices)
    hc = s["hypercalls"]["by_number"]
    stats.write_csv(os.path.join(run_dir, "hypercalls.csv"),
                    ["number", "name", "calls", "completed", "path_tsc_p50", "path_tsc_p90",
                     "path_tsc_p99", "path_tsc_max", "path_tsc_mean"],
                    [[n, h["name"], h["calls"], h["path_tsc"]["n"], h["path_tsc"]["p50"],
                      h["path_tsc"]["p90"], h["path_tsc"]["p99"], h["path_tsc"]["max"],
                      h["path_tsc"]["mean"]] for n, h in hc.items()])
    stats.write_csv(os.path.join(run_dir, "hvm_exits.csv"),
                    ["domain", "reason", "code", "exits", "paths", "path_tsc_total",
                     "path_tsc_p5", "path_tsc_p50", "path_tsc_p95", "path_tsc_max"],
                    [[d, r, e["code"], e["exits"], *(e["path_tsc"][k] for k in
                                                      ("n", "total", "p5", "p50", "p95", "max"))]
                     for d, x in s["hvm_exits"]["by_domain"].items()
                     for r, e in x["by_reason"].items()])
    ev = [[k, v] for k, v in s["events"].items()]
    ev += [[f"unknown {k}", v] for k, v in s["integrity"]["unknown_events"].items()]
    stats.write_csv(os.path.join(run_dir, "events.csv"), ["event", "records"], ev)
