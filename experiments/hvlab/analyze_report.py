"""The per-run CSVs and the report.md section of the xenalyze-style tables
(analyze_detail.py, analyze_numa.py, analyze_intervals.py; docs/analysis.md).

Design: everything is read from a run's Analysis (its summary holds the tables);
report.md shows, per policy, its first traced run (as the exits section does), one
row per vCPU, domain or pCPU, domains by name; the statistics over repetitions stay
in report_stats.py.
"""
from __future__ import annotations

import os

from . import analyze_intervals, stats
from .analyze_detail import CONC_STATES, bucket_range

PCTS = ("p5", "p50", "p95")


def _q(d: dict) -> list:
    return [d["n"], *(d[k] for k in PCTS), d["max"]]


def write_tables(run_dir: str, an, interval_ms: float) -> None:
    s = an.summary
    j = os.path.join
    rows = []
    for key, d in s["runstate_detail"].items():
        r = s["runstate"][key]
        rows.append([key, r["domid"], r["running_ns"], r["runnable_ns"], d["wake_wait_ns"],
                     d["preempt_wait_ns"], d["unknown_wait_ns"], r["blocked_ns"],
                     r["offline_ns"], *_q(d["wake_waits"]), *_q(d["preempt_waits"]),
                     *_q(d["running"]), *_q(d["blocked"])])
    q = [f"{w}_{k}" for w in ("wake_wait", "preempt_wait", "running", "blocked")
         for k in ("n", *PCTS, "max")]
    stats.write_csv(j(run_dir, "runstate_detail.csv"),
                    ["vcpu", "domid", "running_ns", "runnable_ns", "wake_wait_ns",
                     "preempt_wait_ns", "unknown_wait_ns", "blocked_ns", "offline_ns", *q],
                    rows)
    stats.write_csv(j(run_dir, "concurrency.csv"),
                    ["domain", "vcpus", *(f"{c}_ns" for c in CONC_STATES),
                     *(f"{c}_fraction" for c in CONC_STATES)],
                    [[d, c["vcpus"], *(c[f"{x}_ns"] for x in CONC_STATES),
                      *(c[f"{x}_fraction"] for x in CONC_STATES)]
                     for d, c in s["concurrency"].items()])
    pc = s["cpu_share"]["per_pcpu"]
    stats.write_csv(j(run_dir, "pcpu.csv"),
                    ["pcpu", "records", "busy_ns", "idle_ns", "busy_fraction"],
                    [[c, p["records"], p["busy_ns"], p["idle_ns"], p["busy_fraction"]]
                     for c, p in pc.items()])
    stats.write_csv(j(run_dir, "pcpu_domains.csv"), ["pcpu", "domain", "running_ns"],
                    [[c, d, x] for c, p in pc.items()
                     for d, x in p["running_ns_by_domain"].items()])
    stats.write_csv(j(run_dir, "wake_latency_log2.csv"),
                    ["domain", "bucket", "lo_ns", "hi_ns", "wakeups"],
                    [[d, b, *bucket_range(int(b)), n]
                     for d, h in s["wake_latency_log2"].items() for b, n in h.items()])
    misses = s["policy"]["rtds_misses_by_vcpu"]
    stats.write_csv(j(run_dir, "rt_detail.csv"),
                    ["vcpu", "period_ns", "budget_ns", "periods", "periods_short",
                     "policy_misses", "timed", "with_demand", "lateness_p5_ns",
                     "lateness_p50_ns", "lateness_p95_ns", "lateness_max_ns", "tardy",
                     "tardiness_total_ns"],
                    [[k, s["rt_periods"][k]["period_ns"], s["rt_periods"][k]["budget_ns"],
                      d["periods"], s["rt_periods"][k]["periods_short"], misses.get(k, 0),
                      d["timed"], d["with_demand"],
                      *(d["lateness_ns"][p] for p in (*PCTS, "max")), d["tardy"],
                      d["tardiness_total_ns"]] for k, d in s["rt_detail"].items()])
    nu = s["numa"]
    nodes = [str(n) for n in range(nu["nodes"])]
    stats.write_csv(j(run_dir, "numa.csv"),
                    ["vcpu", "home_node", "away_events", "away_ns", "away_fraction",
                     *(f"running_ns_node{n}" for n in nodes)],
                    [[k, v["home_node"], v["away_events"], v["away_ns"], v["away_fraction"],
                      *(v["running_ns_by_node"][n] for n in nodes)]
                     for k, v in nu["per_vcpu"].items()])
    stats.write_csv(j(run_dir, "memory_nodes.csv"),
                    ["domain", "node", "allocated_frames", "freed_frames", "net_frames",
                     "off_asked_frames"],
                    [[d, n, m["allocated"], m["freed"], m["net"], m["off_asked"]]
                     for d, v in nu["per_domain"].items()
                     for n, m in v["memory_frames_by_node"].items()])
    stats.write_csv(j(run_dir, "hypercalls_by_domain.csv"),
                    ["domain", "number", "name", "calls", "paths", "path_tsc_total",
                     "path_tsc_p5", "path_tsc_p50", "path_tsc_p95", "path_tsc_max"],
                    [[d, n, h["name"], h["calls"],
                      *(h["path_tsc"][k] for k in ("n", "total", *PCTS, "max"))]
                     for d, x in s["hypercalls"]["by_domain"].items() for n, h in x.items()])
    analyze_intervals.write(run_dir, an, interval_ms)


# ---- report.md ----

def _pct(x, total) -> str:
    return "–" if not total else f"{100 * x / total:.1f}"


def _us(ns) -> str:
    return "–" if ns is None else f"{ns / 1000:,.1f}"


def _table(header, rows) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


def _name(names: dict, key: str) -> str:
    """d1v0 -> "hog1 v0" , d1 -> "hog1"."""
    if not key.startswith("d"):
        return key
    dom, _, v = key[1:].partition("v")
    n = names.get(int(dom), f"d{dom}")
    return f"{n} v{v}" if v else n


def _waits(d: dict) -> str:
    return "–" if not d["n"] else \
        f"{d['n']:,}: {' / '.join(_us(d[p]) for p in PCTS)}"


def section(exp, runs) -> list[str]:
    """## Per-domain analysis: the tables of each policy's first traced run."""
    first = {}
    for r in runs:
        if r.analysis and r.config.scheduler not in first:
            first[r.config.scheduler] = r
    if not first:
        return []
    det = exp.deterministic
    unit = "µs (1000 instructions)" if det else "µs"
    L = ["## Per-domain analysis", "",
         "xenalyze-style tables of each policy's first traced run, over its measured "
         "window (warm-up left out); definitions in docs/analysis.md, every value also "
         "in the run's `summary.json` and CSVs (`runs/<run>/runstate_detail.csv`, "
         "`concurrency.csv`, `pcpu.csv`, `pcpu_domains.csv`, `wake_latency_log2.csv`, "
         "`rt_detail.csv`, `numa.csv`, `memory_nodes.csv`, `hypercalls_by_domain.csv`, "
         f"and per {exp.interval_ms:g} ms interval (`analysis.interval_ms`) "
         f"`intervals.csv` and `pcpu_intervals.csv`). Times in {unit}.", ""]

    L += ["### Runstates per vCPU", "",
          "% of the measured window in each runstate, runnable split by how the wait "
          "began: a wake-up (blocked/offline → runnable) or a preemption (running → "
          "runnable); 'open' is a wait already under way when the window began. Then "
          "the waits that ended in the window: count: p5 / p50 / p95.", ""]
    rows = []
    for pol, r in first.items():
        s = r.analysis.summary
        for key, d in s["runstate_detail"].items():
            rs = s["runstate"][key]
            tot = rs["total_ns"]
            rows.append([pol, _name(r.names, key), _pct(rs["running_ns"], tot),
                         _pct(d["wake_wait_ns"], tot), _pct(d["preempt_wait_ns"], tot),
                         _pct(d["unknown_wait_ns"], tot), _pct(rs["blocked_ns"], tot),
                         _pct(rs["offline_ns"], tot), _waits(d["wake_waits"]),
                         _waits(d["preempt_waits"]), _waits(d["running"])])
    L += _table(["policy", "vCPU", "running %", "wake wait %", "preempt wait %", "open %",
                 "blocked %", "offline %", "wake waits", "preemption waits",
                 "running intervals"], rows)

    L += ["### Concurrency per domain", "",
          "% of the window by how many of the domain's vCPUs ran (r) and waited (w): "
          "full run (all run), concurrency hazard (some run while a sibling waits), "
          "partial run (some run, none waits), full contention (all wait), partial "
          "contention (some wait, none runs), blocked (none runs or waits).", ""]
    rows = []
    for pol, r in first.items():
        for d, c in r.analysis.summary["concurrency"].items():
            rows.append([pol, _name(r.names, d), c["vcpus"],
                         *(f"{100 * c[f'{x}_fraction']:.1f}" for x in CONC_STATES)])
    L += _table(["policy", "domain", "vCPUs", *(x.replace("_", " ") for x in CONC_STATES)],
                rows)

    L += ["### pCPU utilisation", "",
          "Per pCPU of the machine: records it wrote, % of the window some vCPU ran "
          "there (busy) and the rest (idle), and which domains ran. A pCPU that wrote "
          "no record is idle throughout, not missing.", ""]
    rows = []
    for pol, r in first.items():
        s = r.analysis.summary
        win = s["trace"]["interval_ns"]
        for c, p in s["cpu_share"]["per_pcpu"].items():
            ran = ", ".join(f"{_name(r.names, d)} {_pct(x, win)}%"
                            for d, x in p["running_ns_by_domain"].items()) or "–"
            rows.append([pol, c, f"{p['records']:,}", f"{100 * p['busy_fraction']:.1f}",
                         f"{100 * (1 - p['busy_fraction']):.1f}", ran])
    L += _table(["policy", "pCPU", "records", "busy %", "idle %", "domains (% of window)"],
                rows)

    L += ["### Wake-up latency histograms (log2)", "",
          "Wake-ups per domain whose wake-to-run latency falls in [lo, hi) ns "
          "(instructions under icount); the bucket [0, 1) holds latency 0; buckets no "
          "domain had are left out.", ""]
    for pol, r in first.items():
        h = r.analysis.summary["wake_latency_log2"]
        doms = [d for d in h if d != "d0"] + (["d0"] if "d0" in h else [])
        bs = sorted({int(b) for d in doms for b in h[d]})
        if not bs:
            L += [f"{pol}: no wake-ups in the window.", ""]
            continue
        L += [f"{pol}:", ""]
        L += _table(["latency [lo, hi) ns", *(_name(r.names, d) for d in doms)],
                    [[f"[{lo:,}, {hi:,})" for lo, hi in [bucket_range(b)]] +
                     [h[d].get(str(b), 0) for d in doms] for b in bs])

    rt_rows = []
    for pol, r in first.items():
        s = r.analysis.summary
        for key, d in s["rt_detail"].items():
            p = s["rt_periods"][key]
            lt = d["lateness_ns"]
            rt_rows.append([pol, _name(r.names, key),
                            f"{p['period_ns'] // 1000:,}/{p['budget_ns'] // 1000:,}",
                            d["periods"], p["periods_short"],
                            s["policy"]["rtds_misses_by_vcpu"].get(key, 0), d["with_demand"],
                            *(_us(lt[k]) for k in (*PCTS, "max")), d["tardy"],
                            _us(d["tardiness_ns"]["max"])])
    if rt_rows:
        L += ["### Real-time domains", "",
              "Per real-time vCPU: periods since its first activation, periods short of "
              "budget while it waited, misses the policy reported, periods in which it "
              "wanted the CPU, lateness (finish of the period's work − deadline; "
              "negative: early) p5/p50/p95/max, periods finished late (tardy) and the "
              "largest tardiness.", ""]
        L += _table(["policy", "vCPU", "period/budget (µs)", "periods", "short",
                     "policy misses", "with demand", "lateness p5", "p50", "p95", "max",
                     "tardy", "max tardiness"], rt_rows)

    L += ["### NUMA placement", "",
          "Per domain: % of its vCPUs' time away from their home node (numa.away to "
          "numa.home), the away events in the window, its running time per node "
          "(% of the node's pCPU time: its pCPUs, a contiguous block per node, x the "
          "window) and the memory frames allocated to it per node over the whole trace "
          "(net of frees; XENMEM populate_physmap, the allocations the hypervisor "
          "traces)" + ("" if set(exp.trace_classes) & {"mem", "all"} else
                       "; the `mem` trace class was not recorded, so there are none")
          + ".", ""]
    rows = []
    for pol, r in first.items():
        s = r.analysis.summary
        nu, win = s["numa"], s["trace"]["interval_ns"]
        for d, v in nu["per_domain"].items():
            if d in ("hyp",):
                continue
            rows.append([pol, _name(r.names, d), f"{100 * v['away_fraction']:.1f}",
                         v["away_events"],
                         ", ".join(f"n{n} {_pct(x, win * nu['pcpus_per_node'])}%" for n, x in
                                   v["running_ns_by_node"].items()),
                         ", ".join(f"n{n} {m['net']:,}" for n, m in
                                   v["memory_frames_by_node"].items()) or "–"])
    L += _table(["policy", "domain", "away %", "away events", "running per node",
                 "frames per node"], rows)
    return L

