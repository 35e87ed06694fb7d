"""report.md: the human-readable report of an experiment's results folder.

Every number in it comes from summary.json (or the CSVs next to it); every figure has
a sentence saying what it shows and how it was measured; problems (failed runs, lost
or unknown records, inconsistent traces) are listed, never left out.
"""
from __future__ import annotations

from . import analyze_report, iobench, microbench, plots, report_stats
from .report import METRICS, time_basis


def _f(x, digits=1, scale=1.0):
    if x is None:
        return "–"
    v = x * scale
    return f"{v:,.{digits}f}" if isinstance(v, float) else f"{v:,}"


def _us(ns):
    return "–" if ns is None else f"{ns / 1000:,.1f}"


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


def render(exp, runs, comp: dict, figs: list[plots.Plot], meta: dict,
           statistics: dict | None = None, n_eq: int = 0) -> str:
    det = exp.deterministic
    L = [f"# {exp.name}", ""]
    if exp.description:
        L += [exp.description.strip(), ""]
    L += [f"**How it was measured.** {time_basis(exp)[0].upper() + time_basis(exp)[1:]}. Traces come from the "
          "hypervisor's per-pCPU trace rings (include/public/trace.h), drained by dom0's "
          "collector into an ivshmem region and decoded on the host. "
          + ("A µs in this report is 1000 instructions; a ms is a million."
             if det else "Expect run-to-run variation."), ""]
    t = exp.topology
    L += ["## Setup", "",
          f"{t.cpus} pCPUs on {t.nodes} NUMA node{'s' * (t.nodes > 1)}, {t.mem_mib} MiB; "
          f"policies {', '.join(exp.schedulers)}; {exp.duration_ms} ms traced per run; "
          f"{exp.repetitions} repetition{'s' * (exp.repetitions > 1)} each; trace classes "
          f"{', '.join(exp.trace_classes)} (ring {exp.ring_records} records per pCPU). "
          f"QEMU: {meta.get('qemu', {}).get('version', 'unknown')}; commit "
          f"{meta.get('git', {}).get('commit', 'unknown')[:12]}"
          f"{' (dirty)' if meta.get('git', {}).get('dirty') else ''}.", ""]
    L += _table(["domain", "image", "type", "args", "vCPUs", "weight", "cap",
                 "period/budget (µs)"],
                [[d.name, d.image, d.type, f"`{d.args}`" if d.args else "", d.vcpus,
                  d.weight or "", d.cap if d.cap is not None else "",
                  f"{d.period_us}/{d.budget_us}" if d.period_us and d.budget_us else ""]
                 for d in exp.domains])
    if exp.dom0_commands:
        L += ["dom0's scenario runs, after creating the domains: "
              + "; ".join(f"`{c}`" for c in exp.dom0_commands) + ".", ""]
    if exp.native:
        L += [f"Native: `{exp.domains[0].kernel}` booted by QEMU alone (no hypervisor, no "
              "dom0, no trace).", ""]

    L += ["## Runs", ""]
    if meta.get("runs"):
        L += [f"{len(runs)} QEMU runs took {meta['runs']['wall_s_total']} s of host wall time "
              f"({meta['runs']['jobs']} at a time) on {meta.get('host', {}).get('cpus', '?')} "
              "host CPUs.", ""]
    rows = []
    for r in runs:
        a = r.analysis.summary if r.analysis else None
        rows.append([r.config.key, r.summary["status"],
                     _f(meta.get("runs", {}).get("wall_s", {}).get(r.config.key), 1),
                     _f(a["trace"]["records"], 0) if a else "–",
                     _f(a["integrity"]["lost_records"], 0) if a else "–",
                     _f(a["integrity"]["unknown_records"], 0) if a else "–"])
    L += _table(["configuration", "status", "wall time (s)", "records", "lost", "unknown"],
                rows)
    problems = [(r.config.key, p) for r in runs for p in r.summary["problems"]]
    for r in runs:
        if r.analysis:
            integ = r.analysis.summary["integrity"]
            for k, v in integ.items():
                # Open/unmatched hypercalls at the edges are expected: the trace starts
                # and stops inside dom0's trace_op hypercall; so are HVM exits whose
                # entry falls outside it (a vCPU halted at trace stop).
                if k not in ("lost_by_cpu", "unknown_events", "markers", "hcall_open_at_end",
                             "hcall_unmatched_exits", "hvm_unmatched_entries",
                             "hvm_open_at_end") and v:
                    problems.append((r.config.key, f"{k} = {v}"))
    # Each note once, with the runs it is about when not all of them.
    by_note: dict[str, list[str]] = {}
    for r in runs:
        for n in r.summary.get("notes", []):
            by_note.setdefault(n, []).append(r.config.key)
    notes = [n if len(keys) == len(runs) else f"{', '.join(keys)}: {n}"
             for n, keys in sorted(by_note.items())]
    if notes:
        L += ["Notes: " + " ".join(f"{n}." for n in notes), ""]
    if not exp.trace_enabled:
        L += ["Tracing is disabled in this experiment (trace.enabled = false): only the "
              "guests' own results are reported.", ""]
    if problems:
        L += ["**Problems** (each one affects the numbers of its configuration):", ""]
        L += [f"- {k}: {p}" for k, p in problems] + [""]
    elif exp.trace_enabled:
        L += ["No problems: every run finished its scenario, every trace decoded, no record "
              "was lost and none was of an unknown event.", ""]
    else:
        L += ["No problems: every run finished its scenario.", ""]
    if det and exp.repetitions > 1 and exp.seed is None:
        same = {p: c["identical_traces"] for p, c in comp.items()}
        L += ["Determinism: repetitions gave byte-identical traces for "
              + ", ".join(f"{p}: {'yes' if v else 'no' if v is False else 'n/a'}"
                          for p, v in same.items()) + ".", ""]

    L += report_stats.samples_section(exp, runs)

    L += ["## Comparison", "",
          "Medians over successful repetitions; latencies pooled. Latency columns in µs "
          + ("(1000 instructions)." if det else "(wall-clock)."), ""]
    rows = []
    for p, c in comp.items():
        w, rt = c["wake_latency_ns"], c["rt_periods"]
        rows.append([p, f"{c['ok']}/{c['traced']}/{c['configurations']}",
                     _f(c["context_switches_per_s"]), _f(c["migrations_per_s"]), w["n"],
                     _us(w["p50"]), _us(w["p90"]), _us(w["p99"]), _us(w["max"]),
                     _f(c["share_error_max"], 1, 100),
                     f"{rt['periods_short']}/{rt['periods']}" if rt["periods"] else "–",
                     rt["policy_reported_misses"]])
    L += _table(["policy", "runs ok/traced/all", "switches/s", "migrations/s", "wake-ups",
                 "wake p50", "p90", "p99", "max", "max share error (pts)",
                 "RT periods short", "policy-reported misses"], rows)
    L += ["CPU share per domain (% of the machine; in brackets: % of the weighted domains' "
          "CPU time, and the ideal from the weights):", ""]
    rows = []
    for d in exp.domains:
        row = [d.name]
        for p, c in comp.items():
            s = c["cpu_share"][d.name]
            cell = _f(s["share_of_machine"], 1, 100)
            if s["weighted_share"] is not None:
                cell += f" ({_f(s['weighted_share'], 1, 100)} / {_f(s['ideal'], 1, 100)})"
            row.append(cell)
        rows.append(row)
    rows.append(["*idle (no vCPU ran)*", *(_f(None if c["machine_busy"] is None else
                                             1 - c["machine_busy"], 1, 100)
                                          for c in comp.values())])
    L += _table(["domain", *comp], rows)

    L += report_stats.statistics_section(exp, statistics or {}, n_eq)
    L += report_stats.rt_section(exp, statistics or {})
    L += report_stats.numa_section(exp, statistics or {})
    L += iobench.report_section([r.summary for r in runs])
    L += microbench.report_section([r.summary for r in runs])
    L += _exits_section(exp, runs)
    L += analyze_report.section(exp, runs)

    L += ["## Figures", ""]
    if not figs:
        L += ["No figures: no configuration produced a usable trace.", ""]
    for f in figs:
        L += [f"### {f.title}", "", f.caption, ""]
        if f.error:
            L += [f"*Not drawn: {f.error}.* Data and script: `plots/{f.name}.dat`, "
                  f"`plots/{f.name}.gp`.", ""]
        else:
            L += [f"![{f.title}](plots/{f.png})", "",
                  f"SVG: [plots/{f.svg}](plots/{f.svg}); data and gnuplot script: "
                  f"`plots/{f.name}*.dat`, `plots/{f.name}.gp`.", ""]

    gr = {p: c["guest_results"] for p, c in comp.items()}
    if any(gr.values()):
        L += ["## What the guests reported", "",
              "Values of the guests' `result` lines (medians over repetitions). cpuloop's "
              "iters grow with the CPU time it got; sleeper's lat_* are its own wake-up "
              "lateness measured with its clock" + (" (instructions)." if det else "."), ""]
        order = [d.name for d in exp.domains]
        keys = sorted({(n, k) for p in gr for n in gr[p] for k in gr[p][n]},
                      key=lambda x: (order.index(x[0]) if x[0] in order else len(order), x))
        L += _table(["domain", "value", *gr],
                    [[n, k, *[_f(gr[p].get(n, {}).get(k), 0) for p in gr]] for n, k in keys])

    L += _topology(runs)
    L += ["## Files", "",
          "- `summary.json`: every metric, per configuration (`configurations`) and per "
          "policy (`comparison`); `metrics` documents the names.",
          "- `comparison.csv`, `cpu_share.csv`: the tables above.",
          "- `samples.csv`: every metric of every successful run, one row per run x "
          "metric (long format: run, scheduler, rep, seed, metric, value); `summary.json` "
          "`statistics` has their medians, min/max and 95 % intervals.",
          "- `runs/<policy>-r<rep>/`: `console.txt` (serial console), `trace.bin` (the raw "
          "stream), `run.json` (QEMU command line, exit status, wall time), `inputs/` (the "
          "xl cfg files and dom0's scenario), `summary.json`, CSVs (runstate, wake_latency, "
          "cpu_share per window, slices, hypercalls, hvm_exits, events) and `trace.json` where "
          "written "
          "(open it in https://ui.perfetto.dev), with `trace.pftrace` next to it (the same "
          "timeline as native Perfetto protobuf: runstate tracks, counters, wake-up arrows) "
          "and `topology.xml`/`topology.svg` (hwloc XML of the machine and its lstopo "
          "picture with the vCPU placement).",
          "- `meta.json`: commit, QEMU version and command lines, host topology, whether "
          "hardware counters were available, the experiment file.",
          "- `plots/`: data files, gnuplot scripts, PNG and SVG.", "",
          "Metric names:", ""]
    L += [f"- `{k}`: {v}" for k, v in METRICS.items()]
    return "\n".join(L) + "\n"


def _topology(runs) -> list[str]:
    """The machine as the hypervisor read it, and each policy's first pictured run."""
    shown = {}
    for r in runs:
        t = r.summary.get("topology")
        if t and t.get("picture") and r.config.scheduler not in shown:
            shown[r.config.scheduler] = (r.config.key, t)
    if not shown:
        return []
    t = next(iter(shown.values()))[1]
    L = ["## Topology and placement", "",
         f"The machine as the hypervisor read it (ACPI SRAT/SLIT; its `topo:` boot lines): "
         f"{t['pcpus']} pCPUs on {t['nodes']} node{'s' * (t['nodes'] > 1)}, "
         + "; ".join(f"node {n}: pCPUs {','.join(map(str, c))}, {t['mem_mib_per_node'][n]} MiB"
                     for n, c in t["pcpus_per_node"].items())
         + (f"; distances {t['distances']}" if t["nodes"] > 1 else "") + ". "
         "Each picture is `lstopo` drawing the run's `topology.xml` (hwloc XML): under each "
         "pCPU the vCPUs that ran there with their share of its measured time; under each "
         "node the memory each domain holds there when the trace has the `mem` class.", ""]
    for pol, (key, tp) in shown.items():
        L += [f"![{pol}: topology and vCPU placement](runs/{key}/{tp['picture']})", ""]
    return L


def _path_cells(p: dict) -> list:
    return [_f(p["total"], 0), *(_f(p[k], 0) for k in ("p5", "p50", "p95", "max"))]


def _exits_section(exp, runs) -> list[str]:
    """Per domain, its VM exits by reason (HVM) and its hypercalls (PV, and HVM's
    VMMCALL ones), from each policy's first traced run: xenalyze's two summaries."""
    first = {}
    for r in runs:
        if r.analysis and r.config.scheduler not in first:
            first[r.config.scheduler] = r
    if not first:
        return []
    unit = "instructions" if exp.deterministic else "TSC ticks"
    L = ["## Exits and hypercalls per domain", "",
         "Each domain's VM exits by SVM exit reason (HVM domains; TRC_HVM_EXIT, with the "
         "path from the exit to the TRC_HVM_ENTRY that resumed the vCPU, which includes "
         "any time it was switched out or halted: a HLT exit lasts until the vCPU runs "
         "again) and its hypercalls (TRC_HCALL_ENTRY to TRC_HCALL_EXIT), from each "
         f"policy's first traced run. Path lengths in {unit}; p5/p50/p95 are nearest-rank "
         "percentiles of the paths measured (an exit or call cut by the trace's edges "
         "is counted but has no path).", ""]
    classes = set(exp.trace_classes)
    for pol, r in first.items():
        s = r.analysis.summary
        exits = s.get("hvm_exits", {}).get("by_domain", {})
        hcalls = s.get("hypercalls", {}).get("by_domain", {})
        for i, d in enumerate(exp.domains):
            key = f"d{exp.domids(r.config)[i]}"     # ids in creation order (its seed)
            L += [f"### {d.name} ({d.type.upper()}, {key}) under {pol}", ""]
            ex, hc = exits.get(key), hcalls.get(key)
            if ex:
                L += [f"VM exits: {ex['exits']:,}.", ""]
                L += _table(["exit reason", "code", "exits", "paths", f"total ({unit})",
                             "p5", "p50", "p95", "max"],
                            [[name, e["code"], _f(e["exits"], 0), _f(e["path_tsc"]["n"], 0),
                              *_path_cells(e["path_tsc"])]
                             for name, e in ex["by_reason"].items()])
            elif d.type == "hvm":
                L += ["No VM exits traced" + ("" if classes & {"hvm", "all"} else
                                              " (add \"hvm\" to trace.classes)") + ".", ""]
            if hc:
                L += [f"Hypercalls: {sum(h['calls'] for h in hc.values()):,}.", ""]
                L += _table(["hypercall", "number", "calls", "paths", f"total ({unit})",
                             "p5", "p50", "p95", "max"],
                            [[h["name"], n, _f(h["calls"], 0), _f(h["path_tsc"]["n"], 0),
                              *_path_cells(h["path_tsc"])] for n, h in hc.items()])
            elif d.type == "pv":
                L += ["No hypercalls traced" + ("" if classes & {"hcall", "all"} else
                                                " (add \"hcall\" to trace.classes)") + ".",
                      ""]
    return L
