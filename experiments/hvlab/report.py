"""An experiment's results folder: the comparison across configurations, summary.json,
comparison.csv, the plots and report.md.

build() works only from what the run folders hold (console.txt, trace.bin, run.json),
so `hvlab report DIR` regenerates everything from saved traces. Scalar metrics of a
policy are the median over its repetitions that succeeded; latency samples are
pooled over them. The metric names are documented in METRICS (also written into
summary.json) and in docs/experiments.md.
"""
from __future__ import annotations

import os
import statistics
from collections import defaultdict

from . import plots, results, samples, stats
from .experiment import Experiment

METRICS = {
    "context_switches_per_s": "TRC_SCHED_SWITCH records per second of traced interval, all pCPUs",
    "migrations_per_s": "TRC_SCHED_MIGRATE records per second of traced interval",
    "wake_latency_ns": "wake-to-run latency of domU vCPUs (blocked/offline -> runnable or "
                       "TRC_SCHED_WAKE, to the next -> running), pooled over repetitions",
    "wake_latency_ns_by_domain": "the same, per domain",
    "cpu_share.<domain>.share_of_machine": "running time / (pCPUs x traced interval)",
    "cpu_share.<domain>.weighted_share": "running time / running time of all domains "
                                         "that set a weight",
    "cpu_share.<domain>.ideal": "weight / sum of the weights of those domains",
    "machine_busy": "running time of all vCPUs / (pCPUs x traced interval); the rest is "
                    "idle, also on pCPUs that wrote no record",
    "share_error_max": "largest |weighted_share - ideal| over weighted domains",
    "rt_periods": "for real-time domains (period and budget, no extratime): periods since first activation, "
                  "periods in which the vCPU ran less than its budget while kept waiting for "
                  "the CPU, and the misses the "
                  "policy reported (TRC_RTDS_MISS)",
    "lost_records": "records the trace rings dropped (sum of TRC_LOST counts)",
    "unknown_records": "records of event ids the decoder's tables do not know",
    "ok / traced": "configurations that ran cleanly / of those, the ones with a usable trace",
    "guest_results": "numeric values of the guests' 'result' console lines, per domain",
    "hvm_exits.by_domain": "per HVM domain and SVM exit reason: TRC_HVM_EXIT records, and "
                           "the path from each exit to the TRC_HVM_ENTRY that resumed it "
                           "(total, p5/p50/p95/max, TSC ticks: instructions under icount)",
    "hypercalls.by_domain": "per domain and hypercall: calls, and the path from "
                            "TRC_HCALL_ENTRY to its TRC_HCALL_EXIT (TSC ticks)",
}


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def time_basis(exp: Experiment) -> str:
    if exp.deterministic:
        return ("deterministic mode (QEMU -icount shift=0): times are instruction counts "
                "(1 ns = 1 instruction executed by the whole machine, all pCPUs together; "
                "no pCPU halts, idle ones spin briefly, and busy pCPUs share the "
                "instructions in QEMU's turns, not evenly), i.e. path lengths, not "
                "wall-clock time; a workload's work (work_us) is its own running time")
    return ("realtime mode (multi-threaded TCG): times are wall-clock TSC time and vary "
            "from run to run")


def compare(exp: Experiment, runs: list[results.RunResult]) -> dict:
    by_pol = defaultdict(list)
    for r in runs:
        by_pol[r.config.scheduler].append(r)
    weights = {d.name: d.weight for d in exp.domains if d.weight}
    wsum = sum(weights.values())
    out = {}
    for pol in exp.schedulers:
        rs = by_pol.get(pol, [])
        ok = [r for r in rs if r.ok and r.analysis]
        entry = {"configurations": len(rs), "ok": sum(1 for r in rs if r.ok),
                 "traced": len(ok)}
        sums = [r.analysis.summary for r in ok]
        entry["context_switches_per_s"] = _median(s["sched"]["context_switches_per_s"]
                                                  for s in sums)
        entry["migrations_per_s"] = _median(s["sched"]["migrations_per_s"] for s in sums)
        pooled, by_dom = [], defaultdict(list)
        for r in ok:
            for key, lats in r.analysis.latencies.items():
                dom = int(key[1:].split("v")[0]) if key.startswith("d") else None
                if dom in (None, 0) or dom not in r.names:
                    continue
                vals = [lat for _, lat in lats]
                pooled += vals
                by_dom[r.names[dom]] += vals
        entry["wake_latency_ns"] = stats.dist(pooled)
        entry["wake_latency_ns_by_domain"] = {n: stats.dist(by_dom[n])
                                              for n in _dom_order(exp, by_dom)}
        share = {}
        for d in exp.domains:
            mach, wsh = [], []
            for r in ok:
                per = r.analysis.summary["cpu_share"]["per_domain"]
                ids = [i for i, n in r.names.items() if n == d.name]
                run = sum(per.get(f"d{i}", {}).get("running_ns", 0) for i in ids)
                machine = sum(per.get(f"d{i}", {}).get("share_of_machine", 0) for i in ids)
                wrun = sum(per.get(f"d{i}", {}).get("running_ns", 0)
                           for i, n in r.names.items() if n in weights)
                mach.append(machine)
                if d.name in weights:
                    wsh.append(run / wrun if wrun else 0.0)
            share[d.name] = {"share_of_machine": _median(mach),
                             "weighted_share": _median(wsh) if d.name in weights else None,
                             "ideal": weights[d.name] / wsum if d.name in weights else None}
        entry["cpu_share"] = share
        entry["machine_busy"] = _median(s["cpu_share"]["machine_busy"] for s in sums)
        errs = [abs(v["weighted_share"] - v["ideal"]) for v in share.values()
                if v["weighted_share"] is not None]
        entry["share_error_max"] = max(errs) if errs else None
        periods = short = reported = 0
        for s in sums:
            for key, p in s["rt_periods"].items():
                periods += p["periods"]
                short += p["periods_short"]
                reported += s["policy"]["rtds_misses_by_vcpu"].get(key, 0)
        entry["rt_periods"] = {"periods": periods, "periods_short": short,
                               "short_fraction": short / periods if periods else None,
                               "policy_reported_misses": reported}
        entry["lost_records"] = sum(s["integrity"]["lost_records"] for s in sums)
        entry["unknown_records"] = sum(s["integrity"]["unknown_records"] for s in sums)
        entry["guest_results"] = _guest_results(exp, rs)
        digests = sorted({(r.summary.get("trace_file") or {}).get("sha256", "")
                          for r in ok})
        entry["identical_traces"] = (len(digests) == 1) if len(ok) > 1 else None
        out[pol] = entry
    return out


def _dom_order(exp: Experiment, names):
    order = {d.name: i for i, d in enumerate(exp.domains)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def _guest_results(exp: Experiment, rs) -> dict:
    vals = defaultdict(lambda: defaultdict(list))
    for r in rs:
        for res in r.summary["guest_results"]:
            if res.get("bench") == "disk":      # one line per case: its own section
                continue
            dom = res.get("dom", res.get("console_dom"))
            name = r.names.get(dom, f"d{dom}")
            for k, v in res.items():
                if isinstance(v, (int, float)) and k not in ("dom", "console_dom"):
                    vals[name][k].append(v)
    return {n: {k: _median(v) for k, v in vals[n].items()} for n in _dom_order(exp, vals)}


def build(exp: Experiment, out_dir: str, runs: list[results.RunResult], meta: dict) -> dict:
    comp = compare(exp, runs)
    rows = samples.long_rows(exp, runs)
    statistics = samples.statistics(rows)
    n_eq = samples.equal_n(runs)
    summary = {
        "experiment": {"name": exp.name, "description": exp.description,
                       "file": os.path.basename(exp.path), "mode": exp.mode,
                       "time_basis": time_basis(exp), "schedulers": exp.schedulers,
                       "duration_ms": exp.duration_ms, "repetitions": exp.repetitions,
                       "topology": {"cpus": exp.topology.cpus, "nodes": exp.topology.nodes,
                                    "mem_mib": exp.topology.mem_mib},
                       "domains": [d.__dict__ for d in exp.domains]},
        "metrics": METRICS,
        "comparison": comp,
        "statistics": {"method": "median over repetitions, 95 % percentile bootstrap "
                                 f"interval ({stats.BOOTSTRAP_RESAMPLES} resamples, seed "
                                 f"{stats.BOOTSTRAP_SEED:#x})",
                       "seeds": {r.config.key: r.config.seed for r in runs},
                       "warmup_ms": exp.warmup_ms, "equal_n_wakeups": n_eq,
                       "by_policy": statistics},
        "configurations": {r.config.key: r.summary for r in runs},
    }
    stats.write_json(os.path.join(out_dir, "summary.json"), summary)
    stats.write_long_csv(os.path.join(out_dir, "samples.csv"), rows)
    _comparison_csv(out_dir, exp, comp)
    figs = make_plots(exp, out_dir, runs, comp, statistics)
    from .report_md import render
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write(render(exp, runs, comp, figs, meta, statistics, n_eq))
    return summary


def _comparison_csv(out_dir: str, exp: Experiment, comp: dict) -> None:
    rows = []
    for pol, c in comp.items():
        w = c["wake_latency_ns"]
        rt = c["rt_periods"]
        rows.append([pol, c["ok"], c["traced"], c["configurations"],
                     c["context_switches_per_s"],
                     c["migrations_per_s"], w["n"], w["p50"], w["p90"], w["p99"], w["max"],
                     c["share_error_max"], rt["periods"], rt["periods_short"],
                     rt["policy_reported_misses"], c["lost_records"], c["unknown_records"]])
    stats.write_csv(os.path.join(out_dir, "comparison.csv"),
                    ["policy", "ok", "traced", "configurations", "context_switches_per_s",
                     "migrations_per_s", "wakeups", "wake_p50_ns", "wake_p90_ns",
                     "wake_p99_ns", "wake_max_ns", "share_error_max", "rt_periods",
                     "rt_periods_short", "rt_policy_reported_misses", "lost_records",
                     "unknown_records"], rows)
    share_rows = []
    for d in exp.domains:
        share_rows.append([d.name, d.weight,
                           comp[exp.schedulers[0]]["cpu_share"][d.name]["ideal"]] +
                          [comp[p]["cpu_share"][d.name]["share_of_machine"] for p in comp] +
                          [comp[p]["cpu_share"][d.name]["weighted_share"] for p in comp])
    stats.write_csv(os.path.join(out_dir, "cpu_share.csv"),
                    ["domain", "weight", "ideal"] + [f"{p}_share_of_machine" for p in comp]
                    + [f"{p}_weighted_share" for p in comp], share_rows)


def _ci(statistics: dict, pol: str, metric: str, fallback=None, scale=1.0):
    """(median, ci_lo, ci_hi) x scale of a metric over the policy's repetitions, or
    fallback (a number: no error bar) when it has no samples."""
    s = (statistics or {}).get(pol, {}).get(metric)
    if not s or not s["n"]:
        return fallback
    return tuple(s[k] * scale for k in ("median", "ci_lo", "ci_hi"))


def make_plots(exp: Experiment, out_dir: str, runs, comp: dict,
               statistics: dict | None = None) -> list[plots.Plot]:
    """Every bar carries its 95 % interval over repetitions (statistics:
    samples.statistics()); the Gantt charts show one run each."""
    pdir = os.path.join(out_dir, "plots")
    os.makedirs(pdir, exist_ok=True)
    basis = ("times are instruction counts under icount" if exp.deterministic
             else "times are wall-clock")
    ok_pols = [p for p in exp.schedulers if comp[p]["traced"]]
    figs = []
    weighted = [d.name for d in exp.domains if d.weight]
    if weighted and ok_pols:
        labels = {d.name: f"{d.name} (w{d.weight})" for d in exp.domains if d.weight}
        shares = {p: {labels[n]: _ci(statistics, p, f"cpu_share.{n}.weighted_share",
                                     comp[p]["cpu_share"][n]["weighted_share"] or 0)
                      for n in weighted} for p in ok_pols}
        ideal = {labels[n]: comp[ok_pols[0]]["cpu_share"][n]["ideal"] for n in weighted}
        figs.append(plots.share_vs_weight(pdir, list(labels.values()), ideal, shares, basis))
    if ok_pols:
        cdfs = {}
        for p in ok_pols:
            lat = [lat for r in runs if r.config.scheduler == p and r.ok and r.analysis
                   for k, v in r.analysis.latencies.items()
                   if k.startswith("d") and not k.startswith("d0v") for _, lat in v]
            cdfs[p] = stats.cdf(lat, 400)
        marks = {p: [(f, *c) for f, k in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99"))
                     if (c := _ci(statistics, p, f"wake_latency_ns.{k}"))]
                 for p in ok_pols}
        figs.append(plots.wake_cdf(pdir, cdfs, basis, marks))
        if exp.rt_params():
            rows = []
            for p in ok_pols:
                rt = comp[p]["rt_periods"]
                n = rt["periods"] or 1
                rows.append((p, _ci(statistics, p, "rt_short_fraction",
                                    100 * rt["periods_short"] / n, 100),
                             _ci(statistics, p, "rt_policy_miss_fraction",
                                 100 * rt["policy_reported_misses"] / n, 100)))
            figs.append(plots.deadline_misses(pdir, rows, basis))
        figs.append(plots.switch_rate(pdir, [(p, _ci(statistics, p, "context_switches_per_s",
                                                     comp[p]["context_switches_per_s"] or 0),
                                              _ci(statistics, p, "migrations_per_s",
                                                  comp[p]["migrations_per_s"] or 0))
                                             for p in ok_pols], basis))
        for p in ok_pols:
            r = next(r for r in runs if r.config.scheduler == p and r.ok and r.analysis)
            an = r.analysis
            labels = {i: n for i, n in r.names.items()}
            figs.append(plots.gantt(pdir, p, an.slices, an.t0, an.tsc_khz, an.nr_cpus,
                                    exp.gantt_ms, labels, basis))
    return figs
