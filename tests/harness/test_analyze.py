"""The analyzer on synthetic traces whose right answers are known."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import synth as S
from check import REPO, check, eq, near

from hvlab import analyze as A
from hvlab import stats
from hvlab import trace as T

N = S.DOM_NONE


def run(per_cpu, nr_cpus=2, **kw) -> A.Analysis:
    return A.analyze(T.decode(S.stream(per_cpu, nr_cpus), "syn.bin"), **kw)


def test_runstate_sums_to_interval():
    """Every vCPU's four runstate times sum to the traced interval (within 0.1%)."""
    for cpus, boost, sl in ((1, True, 10_000), (2, False, 3000), (4, True, 1000)):
        per_cpu, exp = S.simulate(nr_cpus=cpus, boost=boost, slice_us=sl, duration_ms=60)
        an = run(per_cpu, cpus)
        interval = an.summary["trace"]["interval_ns"]
        eq(interval, exp["t1"] - exp["t0"], "interval = first to last record")
        check(len(an.summary["runstate"]) == 4, "four vCPUs tracked")
        for k, r in an.summary["runstate"].items():
            total = sum(r[f"{s}_ns"] for s in T.RUNSTATES)
            near(total, interval, 0.001, f"{cpus} cpus: {k}'s runstates sum to the interval")
            near(r["accounted_fraction"], 1.0, 0.001, f"{k} accounted_fraction")
        running = sum(r["running_ns"] for r in an.summary["runstate"].values())
        check(running <= cpus * interval, "no more running time than pCPUs x interval")


def test_runstate_known_values():
    """d1: unknown until its first transition blocked->runnable at 400 (so blocked from
    100), runs 600..1000; d2 runs all along and is preempted at 1000."""
    per_cpu = {0: [(100, S.MARKER, N, 0, 1, 0),
                   (400, S.RUNSTATE, 1, 0, S.rs(S.BLOCKED, S.RUNNABLE), 0),
                   (600, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
                   (1100, S.MARKER, N, 0, 2, 0)],
               1: [(1000, S.RUNSTATE, 2, 0, S.rs(S.RUNNING, S.RUNNABLE), 1)]}
    rs = run(per_cpu).summary["runstate"]
    eq([rs["d1v0"][k] for k in ("running_ns", "runnable_ns", "blocked_ns", "offline_ns")],
       [500, 200, 300, 0], "d1v0 running/runnable/blocked/offline")
    eq(rs["d1v0"]["initial_state"], "blocked", "inferred initial state")
    eq([rs["d2v0"]["running_ns"], rs["d2v0"]["runnable_ns"]], [900, 100], "d2v0")
    eq(rs["d1v0"]["runnable_intervals_ns"]["n"], 1, "one complete runnable interval")
    eq(rs["d1v0"]["running_intervals_ns"]["n"], 0, "the last running interval is open")


def test_wake_latency_known():
    """Latencies 500 (runstate wake), 1200 (wake event first), 0; one wake abandoned."""
    r = [(0, S.MARKER, N, 0, 1, 0),
         (1000, S.RUNSTATE, 1, 0, S.rs(S.BLOCKED, S.RUNNABLE), 0),
         (1500, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
         (2000, S.RUNSTATE, 1, 0, S.rs(S.RUNNING, S.BLOCKED), 0),
         (3000, S.WAKE, 1, 0, 0, 0),
         (3100, S.RUNSTATE, 1, 0, S.rs(S.BLOCKED, S.RUNNABLE), 0),
         (4200, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
         (4300, S.RUNSTATE, 1, 0, S.rs(S.RUNNING, S.BLOCKED), 0),
         (5000, S.RUNSTATE, 1, 0, S.rs(S.BLOCKED, S.RUNNABLE), 0),
         (5000, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
         (5100, S.RUNSTATE, 1, 0, S.rs(S.RUNNING, S.BLOCKED), 0),
         (6000, S.RUNSTATE, 1, 0, S.rs(S.BLOCKED, S.RUNNABLE), 0),
         (6100, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.OFFLINE), 0),
         (7000, S.WAKE, 1, 0, 0, 0),                      # pending at the end
         (8000, S.MARKER, N, 0, 2, 0)]
    an = run({0: r}, 1)
    w = an.summary["wake_latency_ns"]["per_vcpu"]["d1v0"]
    eq([w[k] for k in ("n", "min", "p50", "p90", "p99", "max")], [3, 0, 500, 1200, 1200, 1200],
       "wake latency distribution")
    near(w["mean"], 1700 / 3, 1e-9, "mean")
    eq(w["blocked_before_running"], 1, "a wake that went offline before running")
    eq(w["pending_at_end"], 1, "a wake still pending at the end")
    eq(an.summary["wake_latency_ns"]["per_domain"]["d1"]["n"], 3, "per domain")
    eq(an.latencies["d1v0"], [(1000, 500), (3000, 1200), (5000, 0)], "raw latencies")


def test_wake_latency_simulated():
    for boost in (True, False):
        per_cpu, exp = S.simulate(boost=boost, slice_us=2000, duration_ms=40)
        an = run(per_cpu)
        got = [lat for _, lat in an.latencies["d4v0"]]
        eq(got, exp["latencies"][4], f"boost={boost}: the simulated latencies")
        check(len(set(got)) > 1 or boost, "queued wake-ups wait for a slice to end")


def test_lost_and_unknown_counted():
    per_cpu = {0: [(10, S.MARKER, N, 0, 1, 0), (20, S.LOST, N, 0, 5, 15),
                   (30, S.ev(1, 0, 99), 1, 0, 0, 0), (40, S.LOST, N, 0, 2, 35)],
               1: [(25, S.LOST, N, 0, 7, 21), (35, S.ev(10, 0, 99), N, 0, 0, 0),
                   (36, S.ev(10, 0, 99), N, 0, 0, 0), (50, S.ev(8, 99, 4), 1, 0, 0, 0)]}
    g = run(per_cpu).summary["integrity"]
    eq(g["lost_records"], 14, "lost records summed")
    eq(g["lost_by_cpu"], {"0": 7, "1": 7}, "lost per CPU")
    eq(g["unknown_records"], 4, "unknown records counted")
    eq(g["unknown_events"], {"0x01000063": 1, "0x08630004": 1, "0x0a000063": 2},
       "unknown events by id")
    eq(len(g["markers"]), 1, "markers listed")


def test_hypercall_paths():
    per_cpu = {0: [(100, S.HCALL_ENTRY, 1, 0, 24, 0), (160, S.HCALL_EXIT, 1, 0, 24, 0),
                   (200, S.HCALL_ENTRY, 1, 0, 24, 0), (300, S.HCALL_EXIT, 1, 0, 24, 0),
                   (400, S.HCALL_EXIT, 1, 0, 29, 0),                   # no entry
                   (500, S.HCALL_ENTRY, 1, 0, 29, 0)],                 # no exit
               1: [(150, S.HCALL_ENTRY, 2, 0, 29, 0), (175, S.HCALL_EXIT, 2, 0, 29, 0)]}
    s = run(per_cpu).summary
    h = s["hypercalls"]["by_number"]
    eq(h["24"]["name"], "vcpu_op", "hypercall name")
    eq([h["24"]["calls"], h["24"]["path_tsc"]["min"], h["24"]["path_tsc"]["max"]],
       [2, 60, 100], "vcpu_op paths")
    eq([h["29"]["calls"], h["29"]["path_tsc"]["n"], h["29"]["path_tsc"]["p50"]], [2, 1, 25],
       "sched_op: two entries, one completed")
    eq(s["integrity"]["hcall_unmatched_exits"], 1, "unmatched exit")
    eq(s["integrity"]["hcall_open_at_end"], 1, "entry without exit")


def test_policy_switch_migrate():
    per_cpu = {0: [(0, S.MARKER, N, 0, 1, 0), (1, S.RTDS_MISS, 3, 0, 0, 0),
                   (2, S.RTDS_MISS, 3, 0, 0, 0), (2, S.RTDS_MISSES, 3, 0, 0, 5),
                   (3, S.CREDIT_BOOST, 1, 0, 0, 0),
                   (4, S.SWITCH, 1, 0, 0, 0), (5, S.MIGRATE, 1, 0, 0, 1)],
               1: [(6, S.SWITCH, 2, 0, 0, 0), (500_000_000, S.MARKER, N, 0, 2, 0)]}
    s = run(per_cpu).summary
    eq(s["policy"]["counts"], {"credit": {"boost": 1}, "rtds": {"miss": 2, "misses": 1}},
       "policy counts")
    eq(s["policy"]["rtds_misses_by_vcpu"], {"d3v0": 7}, "misses per vCPU: rtds.misses adds data1")
    eq(s["sched"]["context_switches"], 2, "switches")
    near(s["sched"]["context_switches_per_s"], 4.0, 1e-6, "switches per second (0.5 s)")
    eq(s["sched"]["migrations_by_vcpu"], {"d1v0": 1}, "migrations")


def test_rt_periods():
    """Period 1000, budget 300: runs 300, then 200 while kept waiting 800 (short),
    then 300; a period where it got less but never waited is not short."""
    r = [(0, S.MARKER, N, 0, 1, 0),
         (0, S.RUNSTATE, 5, 0, S.rs(S.OFFLINE, S.RUNNABLE), 0),
         (0, S.RUNSTATE, 5, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
         (300, S.RUNSTATE, 5, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
         (1000, S.RUNSTATE, 5, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
         (1200, S.RUNSTATE, 5, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
         (2500, S.RUNSTATE, 5, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
         (2800, S.RUNSTATE, 5, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
         (3000, S.MARKER, N, 0, 2, 0)]
    rt = run({0: r}, 1, rt_params={5: (1000, 300)}).summary["rt_periods"]["d5v0"]
    eq([rt["periods"], rt["periods_short"]], [3, 1], "periods, short ones")
    eq([rt["received_ns"]["min"], rt["received_ns"]["max"]], [200, 300], "received per period")


def test_rt_period_overrun():
    """The credit2 run of test_rt_agree at 0087e01, periods 33-35 (ms from period 33's
    start; period 10 ms, budget 3 ms): the sleeper's 1.5 ms of work took three 1 ms
    slices (its last chunk straddled stretches where QEMU ran the other pCPU), so its
    work was late although it got 3.016 ms in the period: not short for the trace. The
    next period's work, started late, got 1.004 ms and waited: short. Then one that
    blocked in time. The guest counted 2 misses, one of them `overrun`: the agreement
    check of test_rt_agree holds with it and fails without (as it did at 0087e01)."""
    ms = 1_000_000
    seq = [(0, S.OFFLINE, S.RUNNABLE), (0.055, S.RUNNABLE, S.RUNNING),
           (1.060, S.RUNNING, S.RUNNABLE), (3.471, S.RUNNABLE, S.RUNNING),
           (4.477, S.RUNNING, S.RUNNABLE), (8.995, S.RUNNABLE, S.RUNNING),
           (10.000055, S.RUNNING, S.RUNNABLE), (14.924, S.RUNNABLE, S.RUNNING),
           (15.928, S.RUNNING, S.RUNNABLE), (20.848, S.RUNNABLE, S.RUNNING),
           (21.853, S.RUNNING, S.RUNNABLE), (25.986, S.RUNNABLE, S.RUNNING),
           (27.085, S.RUNNING, S.RUNNABLE), (29.898, S.RUNNABLE, S.RUNNING),
           (29.909, S.RUNNING, S.BLOCKED)]
    r = [(0, S.MARKER, N, 0, 1, 0)]
    r += [(round(t * ms), S.RUNSTATE, 3, 0, S.rs(a, b), 0) for t, a, b in seq]
    r.append((round(30.001 * ms), S.MARKER, N, 0, 2, 0))
    s = run({0: r}, 1, rt_params={3: (10 * ms, 3 * ms)}).summary
    rt = s["rt_periods"]["d3v0"]
    eq([rt["periods"], rt["periods_short"]], [3, 1], "periods, short ones (only the second)")
    eq(rt["received_ns"]["max"], 3_016_000, "the first period got more than its budget")

    sys.path.insert(0, os.path.join(REPO, "tests", "boot"))
    from test_rt_agree import checks_for

    def agree(guest: dict) -> bool:
        summary = {"guest_results": [{"dom": 3, "bench": "sleeper", "periods": 3,
                                      "dropped": 0, "work_run_ns": 4_500_000, **guest}],
                   "analysis": s}
        (ok,) = [ok for name, ok, _ in checks_for("credit2", summary)
                 if name.startswith("credit2: trace short periods")]
        return ok

    check(agree({"misses": 2, "overrun": 1, "unblocked": 0}),
          "trace 1 in [misses 2 - overrun 1, misses 2 + unblocked 0]")
    check(not agree({"misses": 2, "overrun": 0, "unblocked": 0}),
          "without the overrun period the counts disagree (the failure at 0087e01)")
    check(not agree({"misses": 3, "overrun": 1, "unblocked": 0}), "one overrun excuses one")


def test_cpu_share_windows():
    per_cpu, exp = S.simulate(nr_cpus=2, duration_ms=50, slice_us=5000)
    an = run(per_cpu, window_ms=10)
    eq(an.summary["cpu_share"]["windows"], 5, "50 ms in 10 ms windows")
    for start, sh in an.windows:
        check(sum(sh.values()) <= 1.0 + 1e-9, f"window {start}: shares {sh} sum to <= 1")
    total = sum(v["share_of_machine"] for v in an.summary["cpu_share"]["per_domain"].values())
    near(total, 1.0, 0.01, "two pCPUs always busy: domain shares sum to ~1")


def test_summary_byte_identical():
    """Same input -> same bytes, also across processes with different hash seeds."""
    per_cpu, _ = S.simulate(duration_ms=30, boost=False)
    data = S.stream(per_cpu, 2)
    a = stats.dumps(A.analyze(T.decode(data, "x"), rt_params={4: (1_000_000, 10_000)}).summary)
    b = stats.dumps(A.analyze(T.decode(data, "x"), rt_params={4: (1_000_000, 10_000)}).summary)
    eq(a, b, "two analyses of one stream")
    fd, path = tempfile.mkstemp(suffix=".bin")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    prog = ("import sys; sys.path.insert(0, 'experiments'); from hvlab import analyze, stats,"
            f" trace; print(stats.dumps(analyze.analyze(trace.read_stream({path!r})).summary))")
    outs = set()
    for seed in ("1", "2"):
        p = subprocess.run([sys.executable, "-c", prog], cwd=REPO, capture_output=True,
                           text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        eq(p.returncode, 0, f"subprocess: {p.stderr[-300:]}")
        outs.add(p.stdout)
    os.remove(path)
    eq(len(outs), 1, "identical JSON under PYTHONHASHSEED 1 and 2")


def test_bad_runstate_values_counted():
    per_cpu = {0: [(0, S.RUNSTATE, 1, 0, S.rs(7, 0), 0),
                   (5, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
                   (9, S.RUNSTATE, 1, 0, S.rs(S.BLOCKED, S.RUNNABLE), 0)]}
    g = run(per_cpu, 1).summary["integrity"]
    eq(g["runstate_bad_values"], 1, "a runstate out of range")
    eq(g["runstate_inconsistencies"], 1, "old state contradicting the previous new one")


def test_stats_helpers():
    eq(stats.dist([5, 1, 3, 2, 4])["p50"], 3, "median of 1..5")
    eq(stats.dist([])["p50"], None, "empty sample")
    eq(stats.percentile(list(range(1, 101)), 99), 99, "nearest rank p99 of 1..100")
    eq(stats.cdf([3, 1, 2]), [(1, 1 / 3), (2, 2 / 3), (3, 1.0)], "cdf")
    eq(stats.dumps({"x": 1 / 3, "y": float("nan")}),
       '{\n  "x": 0.333333,\n  "y": null\n}\n', "canonical JSON")


def test_idle_pcpus_without_records():
    """4 pCPUs; d1 runs on pCPU 0 from 1000 to 9000 of the interval 0..10000 and pCPU
    1's idle vCPU switches once (runs d2 from 5000); pCPUs 2 and 3 write no record at
    all: they idle throughout. Idle = 4 x 10000 - 8000 - 5000 = 27000, 67.5% of the
    machine; busy 32.5%."""
    per_cpu = {0: [(0, S.MARKER, N, 0, 1, 0),
                   (1000, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
                   (9000, S.RUNSTATE, 1, 0, S.rs(S.RUNNING, S.BLOCKED), 0),
                   (10000, S.MARKER, N, 0, 2, 0)],
               1: [(5000, S.RUNSTATE, S.DOM_IDLE, 1, S.rs(S.RUNNING, S.RUNNABLE), 1),
                   (5000, S.RUNSTATE, 2, 0, S.rs(S.RUNNABLE, S.RUNNING), 1)]}
    cs = run(per_cpu, 4).summary["cpu_share"]
    eq(cs["per_domain"]["idle"]["running_ns"], 27000, "idle time of the machine")
    near(cs["per_domain"]["idle"]["share_of_machine"], 0.675, 1e-9, "idle share")
    near(cs["machine_busy"], 0.325, 1e-9, "machine busy")
    eq({c: (p["busy_ns"], p["idle_ns"], p["records"]) for c, p in cs["per_pcpu"].items()},
       {"0": (8000, 2000, 4), "1": (5000, 5000, 2), "2": (0, 10000, 0), "3": (0, 10000, 0)},
       "per pCPU: busy, idle, records")
    total = sum(v["share_of_machine"] for v in cs["per_domain"].values())
    near(total, 1.0, 1e-9, "domains and idle make up the machine")


def test_idle_in_windows():
    """The same machine in 5000-tick windows: pCPUs 2 and 3 count as idle in each."""
    per_cpu = {0: [(0, S.MARKER, N, 0, 1, 0),
                   (0, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
                   (10000, S.MARKER, N, 0, 2, 0)]}
    an = A.analyze(T.decode(S.stream(per_cpu, 4), "syn.bin"), window_ms=0.005)
    eq([(t, {d: round(x, 9) for d, x in sh.items()}) for t, sh in an.windows],
       [(0.0, {"d1": 0.25, "idle": 0.75}), (0.005, {"d1": 0.25, "idle": 0.75})],
       "per window: d1 one pCPU of four, the rest idle")
