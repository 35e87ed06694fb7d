"""Reports from a results folder of simulated runs: summary.json, CSVs, plots (PNG and
SVG when gnuplot is there, a clear note when it is not), report.md, Perfetto files;
regenerating gives the same summary.json byte for byte."""
from __future__ import annotations

import json
import os
import shutil
import tempfile

import synth as S
from check import check, eq

from hvlab import plots, run


def regenerate(d: str) -> None:
    eq(run.regenerate(d, log=lambda *a: None), 0, "no configuration failed")


def test_report_from_saved_runs():
    d = tempfile.mkdtemp(prefix="hvlab-report-")
    try:
        S.fake_results(d, ("rr", "credit", "credit2"), duration_ms=200, reps=2)
        regenerate(d)
        with open(os.path.join(d, "summary.json"), "rb") as f:
            first = f.read()
        s = json.loads(first)
        eq(list(s["comparison"]), ["rr", "credit", "credit2"], "a comparison per policy")
        c = s["comparison"]["credit"]
        eq([c["ok"], c["traced"], c["configurations"]], [2, 2, 2], "runs ok")
        eq(c["identical_traces"], True, "identical simulated repetitions detected")
        check(c["wake_latency_ns"]["n"] > 0, "wake latencies pooled")
        eq(c["wake_latency_ns"]["p90"], 0, "credit's simulated sleeper preempts at once")
        check(s["comparison"]["rr"]["wake_latency_ns"]["max"] > 0, "rr's sleeper queues")
        eq(set(c["cpu_share"]), {"hog1", "hog2", "hog4", "sleepy", "rt"}, "shares by name")
        eq(c["cpu_share"]["hog4"]["ideal"], round(1024 / 1792, 6), "ideal share from the weights")
        check(c["rt_periods"]["periods"] > 0, "rt periods counted")
        eq(c["guest_results"]["hog2"]["iters"], 2000, "guest results by domain name")
        for f in ("report.md", "comparison.csv", "cpu_share.csv", "runs/rr-r1/trace.json",
                  "runs/rr-r1/runstate.csv", "runs/rr-r1/wake_latency.csv",
                  "runs/rr-r1/summary.json", "plots/share.gp", "plots/gantt-rr.dat"):
            check(os.path.exists(os.path.join(d, f)), f"{f} written")
        with open(os.path.join(d, "report.md")) as f:
            md = f.read()
        for want in ("CPU share vs weight", "Wake-to-run latency CDF", "Real-time periods",
                     "Context switches", "Schedule of the first 100 ms: credit2",
                     "instruction", "No problems"):
            check(want in md, f"report.md mentions {want!r}")
        if plots.gnuplot_status()[0] is None:
            for name in ("share", "wake_cdf", "misses", "switches", "gantt-rr"):
                for ext in ("png", "svg"):
                    p = os.path.join(d, "plots", f"{name}.{ext}")
                    check(os.path.exists(p) and os.path.getsize(p) > 1000, f"{p} drawn")
            check("Not drawn" not in md, "every plot drawn")
        regenerate(d)
        with open(os.path.join(d, "summary.json"), "rb") as f:
            eq(f.read() == first, True, "summary.json byte-identical when regenerated")
    finally:
        shutil.rmtree(d)


def test_without_gnuplot():
    d = tempfile.mkdtemp(prefix="hvlab-report-")
    saved = plots.gnuplot_status
    plots.gnuplot_status = lambda: ("gnuplot not installed", "")
    try:
        S.fake_results(d, ("rr",), duration_ms=30)
        regenerate(d)
        with open(os.path.join(d, "report.md")) as f:
            md = f.read()
        check("plots not generated: gnuplot not installed" in md, "report says why")
        check(not any(f.endswith(".png") for f in os.listdir(os.path.join(d, "plots"))),
              "no PNG pretended")
        check(os.path.exists(os.path.join(d, "plots", "share.gp")), "scripts still written")
    finally:
        plots.gnuplot_status = saved
        shutil.rmtree(d)


def test_failed_run_reported():
    d = tempfile.mkdtemp(prefix="hvlab-report-")
    try:
        S.fake_results(d, ("rr", "credit"), duration_ms=30)
        with open(os.path.join(d, "runs", "credit-r1", "trace.bin"), "r+b") as f:
            f.truncate(500)
        eq(run.regenerate(d, log=lambda *a: None), 1, "one configuration failed")
        with open(os.path.join(d, "report.md")) as f:
            md = f.read()
        check("credit-r1: trace:" in md and "offset" in md, "the decode error is listed")
        s = json.load(open(os.path.join(d, "summary.json")))
        eq(s["configurations"]["credit-r1"]["status"], "failed", "status failed")
        eq(s["comparison"]["credit"]["traced"], 0, "no usable trace for credit")
    finally:
        shutil.rmtree(d)


def test_crashed_domu_reported():
    """A domU that crashed is a problem of its run (its results are missing): before,
    such a run was reported ok (an io experiment's PV guest crashed on a PCI probe)."""
    d = tempfile.mkdtemp(prefix="hvlab-report-")
    try:
        S.fake_results(d, ("rr", "credit"), duration_ms=30)
        p = os.path.join(d, "runs", "credit-r1", "console.txt")
        with open(p, "a") as f:
            f.write("[   0.030467] domain 2 (hog2): shutdown (crash)\n")
        eq(run.regenerate(d, log=lambda *a: None), 1, "one configuration failed")
        s = json.load(open(os.path.join(d, "summary.json")))
        eq(s["configurations"]["credit-r1"]["problems"], ["domain 2 (hog2) crashed"],
           "the crash is the run's problem")
        eq(s["configurations"]["rr-r1"]["status"], "ok", "the other run is ok")
    finally:
        shutil.rmtree(d)
