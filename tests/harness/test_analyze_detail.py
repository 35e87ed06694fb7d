"""The xenalyze-style tables (analyze_detail, analyze_numa, analyze_intervals) on
synthetic traces whose answers are worked out by hand in each docstring."""
from __future__ import annotations

import csv
import os
import tempfile

import synth as S
from check import eq, raises

from hvlab import analyze as A
from hvlab import analyze_detail as D
from hvlab import analyze_intervals as I
from hvlab import analyze_report as R
from hvlab import experiment as E
from hvlab import trace as T

N = S.DOM_NONE
M0, M1 = (0, S.MARKER, N, 0, 1, 0), (2000, S.MARKER, N, 0, 2, 0)


def run(per_cpu, nr_cpus=2, **kw) -> A.Analysis:
    return A.analyze(T.decode(S.stream(per_cpu, nr_cpus), "syn.bin"), **kw)


def split_trace():
    """d1v0: blocked -> runnable at 100 (wake), runs 300..600, preempted 600..1000,
    runs 1000..1200, blocked 1200..1500, wakes 1500, runs 1600..2000.
    d2v0: runnable from the start until 400 (a wait already open), then runs."""
    return {0: [M0, (100, S.RUNSTATE, 1, 0, S.rs(S.BLOCKED, S.RUNNABLE), 0),
                (300, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
                (600, S.RUNSTATE, 1, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
                (1000, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
                (1200, S.RUNSTATE, 1, 0, S.rs(S.RUNNING, S.BLOCKED), 0),
                (1500, S.RUNSTATE, 1, 0, S.rs(S.BLOCKED, S.RUNNABLE), 0),
                (1600, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0), M1],
            1: [(400, S.RUNSTATE, 2, 0, S.rs(S.RUNNABLE, S.RUNNING), 1)]}


def test_wake_vs_preemption_waits():
    """Wake waits 200 (100..300) and 100 (1500..1600): n 2, p5 = p50 = 100 (nearest
    rank 1 of 2), p95 = 200; one preemption wait of 400; d2's wait is 'unknown'.
    Complete running intervals 300 and 200 (the last is open); one complete blocked
    interval, 300 (the first began before the trace)."""
    d = run(split_trace()).summary["runstate_detail"]
    a = d["d1v0"]
    eq([a["wake_wait_ns"], a["preempt_wait_ns"], a["unknown_wait_ns"]], [300, 400, 0],
       "d1v0 runnable split")
    eq([a["wake_waits"][k] for k in ("n", "p5", "p50", "p95", "max")], [2, 100, 100, 200, 200],
       "wake waits")
    eq([a["preempt_waits"][k] for k in ("n", "p5", "p50", "p95")], [1, 400, 400, 400],
       "preemption waits")
    eq([a["running"]["n"], a["running"]["p5"], a["running"]["p95"]], [2, 200, 300],
       "running intervals")
    eq([a["blocked"]["n"], a["blocked"]["p50"]], [1, 300], "blocked intervals")
    eq([d["d2v0"]["unknown_wait_ns"], d["d2v0"]["wake_waits"]["n"],
        d["d2v0"]["preempt_waits"]["n"]], [400, 0, 0], "an open wait is neither kind")


def test_waits_honour_the_warmup():
    """Measured from 200: d1v0's first record in the window is runnable -> running at
    300, so 200..300 is a wait already open (unknown, 100); the wake wait 100..300
    is gone, the one at 1500 remains."""
    a = run(split_trace(), start_tsc=200).summary["runstate_detail"]["d1v0"]
    eq([a["wake_wait_ns"], a["preempt_wait_ns"], a["unknown_wait_ns"],
        a["wake_waits"]["n"]], [100, 400, 100, 1], "split over the window only")


def test_percentiles_nearest_rank():
    """20 preemption waits of 10, 20, ..., 200: p5 is rank 1 (10), p50 rank 10 (100),
    p95 rank 19 (190)."""
    recs, t = [M0], 0
    for i in range(1, 21):
        recs.append((t + 5, S.RUNSTATE, 1, 0, S.rs(S.RUNNING, S.RUNNABLE), 0))
        recs.append((t + 5 + 10 * i, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0))
        t += 5 + 10 * i
    recs.append((t + 5, S.MARKER, N, 0, 2, 0))
    w = run({0: recs}, 1).summary["runstate_detail"]["d1v0"]["preempt_waits"]
    eq([w[k] for k in ("n", "p5", "p50", "p95", "max", "total")],
       [20, 10, 100, 190, 200, 2100], "nearest-rank percentiles")


def test_classify_table():
    cases = [((2, 0, 2), "full_run"), ((1, 1, 2), "concurrency_hazard"),
             ((1, 0, 2), "partial_run"), ((0, 2, 2), "full_contention"),
             ((0, 1, 2), "partial_contention"), ((0, 0, 2), "blocked"),
             ((1, 0, 1), "full_run"), ((0, 1, 1), "full_contention")]
    for (r, w, n), want in cases:
        eq(D.classify(r, w, n), want, f"r={r} w={w} n={n}")


def conc_trace():
    """d1 with two vCPUs, 0..1000. v0 (pCPU 0): runs 0..400, waits 400..600, runs
    600..1000. v1 (pCPU 1): blocked 0..200, waits 200..300, runs 300..500, blocked
    500..1000. pCPU 2 writes nothing."""
    return {0: [M0, (400, S.RUNSTATE, 1, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
                (600, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
                (1000, S.MARKER, N, 0, 2, 0)],
            1: [(200, S.RUNSTATE, 1, 1, S.rs(S.BLOCKED, S.RUNNABLE), 1),
                (300, S.RUNSTATE, 1, 1, S.rs(S.RUNNABLE, S.RUNNING), 1),
                (500, S.RUNSTATE, 1, 1, S.rs(S.RUNNING, S.BLOCKED), 1)]}


def test_concurrency_states():
    """0..200 partial run, 200..300 hazard (v1 waits while v0 runs), 300..400 full
    run, 400..500 hazard, 500..600 partial contention, 600..1000 partial run."""
    c = run(conc_trace(), 3).summary["concurrency"]["d1"]
    eq(c["vcpus"], 2, "vCPUs")
    eq([c[f"{s}_ns"] for s in D.CONC_STATES], [100, 200, 600, 0, 100, 0],
       "full_run, hazard, partial_run, full_contention, partial_contention, blocked")
    eq(sum(c[f"{s}_fraction"] for s in D.CONC_STATES), 1.0, "fractions sum to 1")


def test_idle_pcpu_without_records():
    """pCPU 2 wrote no record: idle for the whole window, busy 0, in every table."""
    an = run(conc_trace(), 3)
    p = an.summary["cpu_share"]["per_pcpu"]
    eq([p["2"]["records"], p["2"]["busy_ns"], p["2"]["idle_ns"], p["2"]["busy_fraction"]],
       [0, 0, 1000, 0.0], "pCPU 2")
    eq([p["0"]["busy_ns"], p["1"]["busy_ns"]], [800, 200], "pCPUs 0 and 1 busy")
    eq(p["1"]["running_ns_by_domain"], {"d1": 200}, "who ran on pCPU 1")
    with tempfile.TemporaryDirectory() as d:
        R.write_tables(d, an, 0.0005)
        rows = list(csv.reader(open(os.path.join(d, "pcpu.csv"))))
        eq(rows[3], ["2", "0", "0", "1000", "0.0"], "pcpu.csv row of the silent pCPU")


def test_interval_csvs():
    """Intervals of 500 ticks (0.0005 ms at 1 tick/ns). d1 running: [0,500) v0 400 +
    v1 200 = 600, [500,1000) 400; runnable: 100 + 100 = 200, then 100. pCPU 0 busy
    400 then 400, pCPU 1 200 then 0, pCPU 2 0 and 0."""
    drows, prows, used = I.rows(run(conc_trace(), 3), 0.0005)
    eq(used, 0.0005, "width used")
    eq([r[:4] for r in drows], [[0.0, "d1", 600, 200], [0.0005, "d1", 400, 100]],
       "domain rows")
    eq([r[:3] for r in prows], [[0.0, 0, 400], [0.0, 1, 200], [0.0, 2, 0],
                                [0.0005, 0, 400], [0.0005, 1, 0], [0.0005, 2, 0]],
       "pCPU rows")
    eq([r[3] for r in prows], [0.8, 0.4, 0.0, 0.8, 0.0, 0.0], "busy fractions")


def test_log2_buckets():
    for ns, b, rng in ((0, 0, (0, 1)), (1, 1, (1, 2)), (2, 2, (2, 4)), (3, 2, (2, 4)),
                       (4, 3, (4, 8)), (1000, 10, (512, 1024)), (1024, 11, (1024, 2048))):
        eq(D.log2_bucket(ns), b, f"bucket of {ns}")
        eq(D.bucket_range(b), rng, f"range of bucket {b}")


def test_latency_histogram_per_domain():
    """d1's wake latencies 0, 3 and 1000; d2's 3: buckets 0, 2, 10 and 2."""
    r = [M0]
    for t, lat in ((100, 0), (200, 3), (300, 1000)):
        r += [(t, S.RUNSTATE, 1, 0, S.rs(S.BLOCKED, S.RUNNABLE), 0),
              (t + lat, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
              (t + lat + 1 if lat < 1000 else 1400, S.RUNSTATE, 1, 0,
               S.rs(S.RUNNING, S.BLOCKED), 0)]
    r.append(M1)
    r1 = [(50, S.RUNSTATE, 2, 0, S.rs(S.BLOCKED, S.RUNNABLE), 1),
          (53, S.RUNSTATE, 2, 0, S.rs(S.RUNNABLE, S.RUNNING), 1)]
    h = run({0: r, 1: r1}).summary["wake_latency_log2"]
    eq(h, {"d1": {"0": 1, "2": 1, "10": 1}, "d2": {"2": 1}}, "log2 histograms")


def test_rt_lateness():
    """Period 1000, budget 300. Runs 0..300, waits, runs 1000..1200, waits, runs
    2500..2800, waits to 3000: 3 periods. Period 0 has its budget at 300 (lateness
    -700); period 1 starts at 1000 with 300 run, reaches 600 at 2600 (lateness 600);
    period 2 from 500 reaches 800 at 2800 (lateness -200)."""
    r = [(0, S.MARKER, N, 0, 1, 0),
         (0, S.RUNSTATE, 5, 0, S.rs(S.OFFLINE, S.RUNNABLE), 0),
         (0, S.RUNSTATE, 5, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
         (300, S.RUNSTATE, 5, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
         (1000, S.RUNSTATE, 5, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
         (1200, S.RUNSTATE, 5, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
         (2500, S.RUNSTATE, 5, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
         (2800, S.RUNSTATE, 5, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
         (3000, S.MARKER, N, 0, 2, 0)]
    d = run({0: r}, 1, rt_params={5: (1000, 300)}).summary["rt_detail"]["d5v0"]
    eq([d["periods"], d["with_demand"], d["tardy"], d["tardiness_total_ns"]],
       [3, 3, 1, 600], "periods, tardy")
    eq([d["lateness_ns"][k] for k in ("p5", "p50", "p95", "max", "total")],
       [-700, -200, 600, 600, -300], "lateness")


def test_rt_lateness_without_demand():
    """A vCPU that runs 0..100 and blocks to 2000, then runs 2000..2100: period 1 had
    no demand; periods 0 and 2 finish when it blocks (lateness -900 each)."""
    r = [(0, S.MARKER, N, 0, 1, 0),
         (0, S.RUNSTATE, 5, 0, S.rs(S.OFFLINE, S.RUNNING), 0),
         (100, S.RUNSTATE, 5, 0, S.rs(S.RUNNING, S.BLOCKED), 0),
         (2000, S.RUNSTATE, 5, 0, S.rs(S.BLOCKED, S.RUNNING), 0),
         (2100, S.RUNSTATE, 5, 0, S.rs(S.RUNNING, S.BLOCKED), 0),
         (3000, S.MARKER, N, 0, 2, 0)]
    d = run({0: r}, 1, rt_params={5: (1000, 300)}).summary["rt_detail"]["d5v0"]
    eq([d["periods"], d["with_demand"], d["lateness_ns"]["p50"], d["tardy"]],
       [3, 2, -900, 0], "periods with demand")


def test_numa_placement_and_memory():
    """2 nodes of 1 pCPU; window 200..1000. d1v0 runs on pCPU 1 (node 1). numa.away
    at 100 (before the window), numa.home at 600: 400 away in the window; away again
    at 800 to the end: 200 more; 1 away event in the window. Memory (whole trace):
    100 frames on node 1 (any node asked), 10 on node 1 asked for node 0, 30 freed."""
    away = next(i for i, n in T.POLICY_EVENTS.items() if n == "numa.away")
    home = next(i for i, n in T.POLICY_EVENTS.items() if n == "numa.home")
    alloc, free = T.EV["mem_alloc"], T.EV["mem_free"]
    per_cpu = {0: [M0, (50, alloc, 1, 0, 0xFFFFFFFF << 32 | 1, 100),
                   (60, alloc, 1, 0, 0 << 32 | 1, 10), (70, free, 1, 0, 1, 30),
                   (1000, S.MARKER, N, 0, 2, 0)],
               1: [(100, away, 1, 0, 0, 1), (600, home, 1, 0, 0, 0),
                   (800, away, 1, 0, 0, 1),
                   (1000, S.RUNSTATE, 1, 0, S.rs(S.RUNNING, S.BLOCKED), 1)]}
    nu = run(per_cpu, 2, start_tsc=200, nodes=2).summary["numa"]
    v = nu["per_vcpu"]["d1v0"]
    eq([v["home_node"], v["away_events"], v["away_ns"], v["away_fraction"]],
       [0, 1, 600, 0.75], "time away from home")
    eq(v["running_ns_by_node"], {"0": 0, "1": 800}, "running per node")
    eq(nu["per_domain"]["d1"]["memory_frames_by_node"],
       {"1": {"allocated": 110, "freed": 30, "net": 80, "off_asked": 10}}, "memory per node")


def test_interval_ms_key():
    base = ('name = "x"\nscheduler = "rr"\nduration_ms = 100\n[[domain]]\nname = "a"\n'
            'image = "cpuloop"\n')
    eq(E.loads(base, "x.toml").interval_ms, 100.0, "default interval_ms")
    sec = base.replace("[[domain]]", "[analysis]\ninterval_ms = {}\n[[domain]]")
    eq(E.loads(sec.format(25), "x.toml").interval_ms, 25.0, "interval_ms read")
    raises(E.ExperimentError, lambda: E.loads(sec.format(0), "bad.toml"),
           "interval_ms = 0 refused", ("bad.toml", "analysis.interval_ms"))


def test_report_section_per_domain():
    """report.md of simulated runs has every table, a row per domain by name and
    policy, and each run folder the CSVs."""
    import shutil
    from hvlab import run as RUN
    d = tempfile.mkdtemp(prefix="hvlab-detail-")
    try:
        S.fake_results(d, ("rr", "credit"), duration_ms=200, reps=1)
        eq(RUN.regenerate(d, log=lambda *a: None), 0, "no configuration failed")
        md = open(os.path.join(d, "report.md")).read()
        sec = md[md.index("## Per-domain analysis"):md.index("## Figures")]
        for h in ("### Runstates per vCPU", "### Concurrency per domain", "### pCPU utilisation",
                  "### Wake-up latency histograms (log2)", "### Real-time domains",
                  "### NUMA placement"):
            eq(h in sec, True, f"report has {h}")
        for pol in ("rr", "credit"):
            for name in ("hog1", "hog2", "hog4", "sleepy", "rt"):
                eq(f"| {pol} | {name} |" in sec, True, f"{pol}: a {name} row")
        for f in ("runstate_detail.csv", "concurrency.csv", "pcpu.csv", "pcpu_domains.csv",
                  "wake_latency_log2.csv", "rt_detail.csv", "numa.csv", "memory_nodes.csv",
                  "hypercalls_by_domain.csv", "intervals.csv", "pcpu_intervals.csv"):
            eq(os.path.exists(os.path.join(d, "runs", "rr-r1", f)), True, f"{f} written")
    finally:
        shutil.rmtree(d)
