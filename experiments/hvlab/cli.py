"""The hvlab command line (./hvlab in the repository root).

  hvlab run EXPERIMENT.toml [--out DIR] [--jobs N] [--no-build]
  hvlab check EXPERIMENT.toml          validate; print the cfg files, scenario, QEMU command
  hvlab report RESULTS_DIR             re-analyse saved runs, rewrite plots and report.md
  hvlab trace FILE [--summary] [--json OUT] [--perfetto OUT.json] [--pftrace OUT.pftrace]
                   [--window-ms MS]
  hvlab io-table DIR... [--out FILE]   the disk benchmark's table across io results
  hvlab micro-table DIR... [--out FILE]  the microbenchmarks' table, case x mode
  hvlab sweep FILE [--jobs N] [--slurm]  every point of a parameter sweep (docs/sweeps.md)
  hvlab compare A B [--out DIR] [--force]  per-metric differences with 95 % intervals
  hvlab pv-vs-hvm FILE [--out DIR]      the PV-vs-HVM-vs-native report (docs/pv-vs-hvm.md)
  hvlab numa FILE [--out DIR]           memory policies x schedulers (docs/numa-experiment.md)

Exit status: 0 success, 1 some configurations failed, 2 bad input (experiment file,
trace file, missing image, failed build): the message names the file and the problem.
"""
from __future__ import annotations

import argparse
import math
import os
import shlex
import sys

from . import analyze, compare, iobench, microbench, numa_run, perfetto, perfetto_pb, run, stats, sweep_cli
from . import trace as T
from .experiment import (ExperimentError, load, domain_cfg, image_modules, scenario,
                         launch_args, qemu_args)
from .machine import StageError, plan
from .costmodel import CostModelError
from .costtable import CostTableError
from .pvhvm_report import ReportError
from .pvhvm_run import PvHvmError

PVHVM_ERRORS = (PvHvmError, ReportError, CostTableError, CostModelError)


def cmd_run(a) -> int:
    exp = load(a.experiment)
    out = os.path.abspath(a.out or os.path.join(run.REPO, "results", exp.name))
    print(f"experiment {exp.name}: {len(exp.configs())} configurations "
          f"({', '.join(exp.schedulers)} x {exp.repetitions}), results in {out}")
    return 1 if run.run(exp, out, a.jobs, build=not a.no_build) else 0


def cmd_check(a) -> int:
    exp = load(a.experiment)
    cfg = exp.configs()[0]
    print(f"{a.experiment}: ok: {len(exp.configs())} configurations, "
          f"{len(exp.domains)} domains, mode {exp.mode}")
    if exp.native:
        print(f"\nnative: {exp.domains[0].kernel} alone on QEMU (no hypervisor, no dom0, "
              f"no scenario), command line {exp.domains[0].args!r}")
    else:
        for d in exp.domains:
            print(f"\n--- {d.name}.cfg\n{domain_cfg(d)}", end="")
        print(f"\n--- scenario ({cfg.key})\n{scenario(exp, cfg)}", end="")
    rd = f"results/{exp.name}/runs/{cfg.key}"
    mods = image_modules(exp)
    mods += [f"{rd}/inputs/{d.name}.cfg {d.name}.cfg" for d in exp.domains]
    mods.append(f"{rd}/inputs/scenario scenario")
    a = launch_args(exp, cfg, mods)
    p = plan(a["image"], a["modules"], run.REPO)
    print(f"\n--- QEMU ({cfg.key}), run in a folder of links to the files below\n"
          f"{shlex.join(qemu_args(exp, cfg, mods))}")
    for name, path in p.files.items():
        print(f"  {name} -> {os.path.relpath(path, run.REPO)}")
    return 0


def _write_table(text: str, out: str | None) -> int:
    """A joined table to out (a file), or to stdout."""
    if out:
        with open(out, "w") as f:
            f.write(text)
        print(f"wrote {out}")
    else:
        print(text, end="")
    return 0


def cmd_io_table(a) -> int:
    return _write_table(iobench.combined_markdown([iobench.load_folder(d) for d in a.dirs]),
                        a.out)


def cmd_micro_table(a) -> int:
    return _write_table(microbench.combined_markdown(a.dirs), a.out)


def cmd_compare(a) -> int:
    return compare.write(a.a, a.b, a.out, a.force)
def cmd_pv_vs_hvm(a) -> int:
    from . import pvhvm_report, pvhvm_run
    out = a.out or os.path.join(run.REPO, "results", "pv-vs-hvm")
    if not a.report_only:
        spec = pvhvm_run.load_spec(a.experiment)
        pvhvm_report.load_tables(spec["cost_tables"])      # bad tables: refused before any run
        if not a.no_build:
            run.build_images(None)
        pvhvm_run.run_all(a.experiment, out, a.jobs)
    path, failed = pvhvm_report.regenerate(out)
    print(f"report: {path}" + (f" ({failed} failed cells: see its Failed cells list)"
                               if failed else ""))
    return 1 if failed else 0


def cmd_report(a) -> int:
    return 1 if run.regenerate(a.dir) else 0


def cmd_trace(a) -> int:
    tr = T.read_stream(a.file)
    an = analyze.analyze(tr, a.window_ms)
    if a.json:
        stats.write_json(a.json, an.summary)
    if a.perfetto:
        perfetto.write(a.perfetto, an, dict(an.summary["trace"], window_ms=a.window_ms))
        print(f"wrote {a.perfetto}: open it in https://ui.perfetto.dev")
    if a.pftrace:
        perfetto_pb.write(a.pftrace, an, tr, dict(an.summary["trace"], window_ms=a.window_ms))
        print(f"wrote {a.pftrace}: open it in https://ui.perfetto.dev")
    if a.summary or not (a.json or a.perfetto or a.pftrace):
        print(text_summary(an.summary), end="")
    return 0


def _d(d: dict) -> str:
    if not d["n"]:
        return "n=0"
    return (f"n={d['n']} p50={d['p50']:,} p90={d['p90']:,} p99={d['p99']:,} "
            f"max={d['max']:,}")


def text_summary(s: dict) -> str:
    t, g = s["trace"], s["integrity"]
    L = [f"trace: {t['records']:,} records in {t['chunks']} chunks, {t['nr_cpus']} pCPUs, "
         f"scheduler {t['scheduler'] or '?'}, tsc_khz {t['tsc_khz']:,}",
         f"  classes {', '.join(t['classes'])} ({t['class_mask']}); interval "
         f"{t['interval_ns']:,} ns; {t['time_basis']}",
         f"integrity: lost {g['lost_records']:,} "
         f"{g['lost_by_cpu'] or ''}; unknown {g['unknown_records']:,} "
         f"{g['unknown_events'] or ''}"]
    other = {k: v for k, v in g.items() if k not in ("lost_records", "lost_by_cpu",
             "unknown_records", "unknown_events", "markers") and v}
    if other:
        L.append(f"  anomalies: {other}")
    L.append("runstates (ns):")
    L.append(f"  {'vcpu':<10}{'running':>15}{'runnable':>15}{'blocked':>15}{'offline':>15}"
             f"{'accounted':>11}")
    for k, r in s["runstate"].items():
        L.append(f"  {k:<10}{r['running_ns']:>15,}{r['runnable_ns']:>15,}"
                 f"{r['blocked_ns']:>15,}{r['offline_ns']:>15,}"
                 f"{r['accounted_fraction'] * 100:>10.2f}%")
    L.append("wake-to-run latency (ns):")
    for k, d in s["wake_latency_ns"]["per_vcpu"].items():
        if d["n"]:
            L.append(f"  {k:<10}{_d(d)}")
    L.append(f"  all domU  {_d(s['wake_latency_ns']['all_domu'])}")
    L.append("cpu share (of the machine):")
    for d, v in s["cpu_share"]["per_domain"].items():
        L.append(f"  {d:<10}{v['share_of_machine'] * 100:6.2f}%")
    L.append(f"machine {s['cpu_share']['machine_busy'] * 100:.2f}% busy; per pCPU: " +
             ", ".join(f"{c} {p['busy_fraction'] * 100:.1f}%"
                       for c, p in s["cpu_share"]["per_pcpu"].items()))
    sc = s["sched"]
    L.append(f"context switches: {sc['context_switches']:,} "
             f"({sc['context_switches_per_s']:,.1f}/s); migrations {sc['migrations']:,} "
             f"({sc['migrations_per_s']:,.1f}/s)")
    if s["hypercalls"]["calls"]:
        L.append("hypercalls (path in TSC ticks):")
        for n, h in s["hypercalls"]["by_number"].items():
            L.append(f"  {n:>3} {h['name']:<18}{h['calls']:>9,} calls  {_d(h['path_tsc'])}")
    if s["policy"]["counts"]:
        L.append(f"policy events: {s['policy']['counts']}")
    L.append("events: " + ", ".join(f"{k} {v:,}" for k, v in s["events"].items()))
    return "\n".join(L) + "\n"


def _window_ms(text: str) -> float:
    """--window-ms: a positive, finite number of ms."""
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not 0 < v < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of ms")
    return v


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hvlab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run", help="run an experiment and write its results folder")
    p.add_argument("experiment")
    p.add_argument("--out", help="results folder (default results/<name>)")
    p.add_argument("--jobs", type=int, default=1, help="QEMU instances at once")
    p.add_argument("--no-build", action="store_true", help="do not run 'make -s all'")
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("check", help="validate an experiment file, print what it generates")
    p.add_argument("experiment")
    p.set_defaults(fn=cmd_check)
    p = sub.add_parser("report", help="regenerate plots and report.md from saved runs")
    p.add_argument("dir")
    p.set_defaults(fn=cmd_report)
    p = sub.add_parser("trace", help="decode and analyse one trace stream file")
    p.add_argument("file")
    p.add_argument("--summary", action="store_true", help="print the analysis as text")
    p.add_argument("--json", metavar="OUT", help="write the analysis as JSON")
    p.add_argument("--perfetto", metavar="OUT", help="write a Perfetto/Chrome timeline")
    p.add_argument("--pftrace", metavar="OUT", help="write a native Perfetto (protobuf) trace")
    p.add_argument("--window-ms", type=_window_ms, default=10.0, help="CPU-share window")
    p.set_defaults(fn=cmd_trace)
    p = sub.add_parser("io-table", help="the disk benchmark's table across io results folders")
    p.add_argument("dirs", nargs="+", metavar="DIR")
    p.add_argument("--out", help="write it here (default: standard output)")
    p.set_defaults(fn=cmd_io_table)
    p = sub.add_parser("micro-table", help="the microbenchmarks' table across results folders")
    p.add_argument("dirs", nargs="+", metavar="DIR")
    p.add_argument("--out", help="write it here (default: standard output)")
    p.set_defaults(fn=cmd_micro_table)
    p = sub.add_parser("compare", help="per-metric differences between two results folders")
    p.add_argument("a", metavar="A", help="results folder (the baseline)")
    p.add_argument("b", metavar="B", help="results folder compared with it")
    p.add_argument("--out", metavar="DIR", help="write compare.md and compare.csv here "
                   "(default: the report on standard output)")
    p.add_argument("--force", action="store_true", help="compare folders made from "
                   "different commits, QEMU versions or inputs (with warnings)")
    p.set_defaults(fn=cmd_compare)
    sweep_cli.add_parsers(sub)
    p = sub.add_parser("pv-vs-hvm", help="the PV-vs-HVM-vs-native report (docs/pv-vs-hvm.md)")
    p.add_argument("experiment", help="experiments/pv-vs-hvm.toml (its [pv_vs_hvm] table)")
    p.add_argument("--out", help="results folder (default results/pv-vs-hvm)")
    p.add_argument("--jobs", type=int, default=2, help="QEMU instances at once")
    p.add_argument("--no-build", action="store_true", help="do not run 'make -s all'")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite the report from the folder's cells.json, no runs")
    p.set_defaults(fn=cmd_pv_vs_hvm)
    numa_run.add_parser(sub)
    return ap


def main(argv=None) -> int:
    a = parser().parse_args(argv)
    if getattr(a, "jobs", 1) < 1:
        print("hvlab: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        return a.fn(a)
    except (T.TraceError, ExperimentError, run.RunError, StageError,
            iobench.IoBenchError, microbench.MicroError, compare.CompareError,
            *PVHVM_ERRORS) as e:
        print(f"hvlab {a.cmd}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"hvlab {a.cmd}: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hvlab: interrupted", file=sys.stderr)
        return 130
