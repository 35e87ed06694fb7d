"""Statistics over repetitions (docs/statistics.md): the seeded Rng, bootstrap
intervals against a known distribution, the long-format CSV, the warm-up window left
out of every metric, seeded scenarios, and samples.csv / the report's statistics
from a results folder of simulated runs."""
from __future__ import annotations

import csv
import os
import shutil
import tempfile

import synth as S
from check import check, eq, near, raises

from hvlab import analyze as A
from hvlab import experiment as E
from hvlab import run, samples, stats, warmup
from hvlab import trace as T


def test_rng_splitmix64_reference():
    # splitmix64's published outputs for seed 0 (Vigna's reference C code)
    r = stats.Rng(0)
    eq([hex(r.next64()) for _ in range(3)],
       ["0xe220a8397b1dcdaf", "0x6e789e6aa1b965f4", "0x6c45d188009454f"], "first outputs")
    a, b = stats.Rng(42), stats.Rng(42)
    eq([a.below(7) for _ in range(50)], [b.below(7) for _ in range(50)], "same seed, same draws")
    eq(sorted(stats.Rng(3).shuffle(list(range(10)))), list(range(10)), "shuffle permutes")
    counts = [0] * 4
    r = stats.Rng(9)
    for _ in range(4000):
        counts[r.below(4)] += 1
    check(all(900 < c < 1100 for c in counts), f"below(4) uniform: {counts}")
    raises(ValueError, lambda: stats.Rng(1).below(0), "below(0) refused")
    eq([stats.rep_seed(100, r) for r in (1, 2, 3)], [100, 101, 102], "rep seeds")


def _uniform(rng: stats.Rng, n: int) -> list[float]:
    return [rng.next64() / 2 ** 64 for _ in range(n)]


def test_bootstrap_ci_known_distribution():
    """Uniform(0, 1): median 0.5, and the sample median's standard error is
    1 / (2 sqrt(n) f(0.5)) = 1 / (2 sqrt(n)), so a 95 % interval is about
    +-1.96 / (2 sqrt(n)) wide around it."""
    v = _uniform(stats.Rng(1234), 400)
    lo, hi = stats.bootstrap_ci(v)
    check(lo < 0.5 < hi, f"the interval [{lo:.4f}, {hi:.4f}] holds the true median 0.5")
    want = 2 * 1.96 / (2 * 400 ** 0.5)                 # 0.098
    near(hi - lo, want, 0.35, "interval width close to the normal approximation")
    eq(stats.bootstrap_ci(v), (lo, hi), "deterministic: the same values, the same interval")
    # Coverage: of 60 samples of 25, about 95 % of the intervals hold the median.
    rng = stats.Rng(77)
    hits = sum(1 for _ in range(60)
               if (ci := stats.bootstrap_ci(_uniform(rng, 25), resamples=400))[0] <= 0.5
               <= ci[1])
    check(51 <= hits <= 60, f"coverage {hits}/60 near 95 %")


def test_bootstrap_edges_and_summarize():
    eq(stats.bootstrap_ci([]), (None, None), "no values")
    eq(stats.bootstrap_ci([5]), (5, 5), "one value")
    eq(stats.bootstrap_ci([3, 3, 3]), (3, 3), "no spread")
    s = stats.summarize([4, 1, None, 3, 2])
    eq([s["n"], s["median"], s["min"], s["max"], s["mean"]], [4, 2.5, 1, 4, 2.5],
       "summary of 4 values (null left out)")
    check(1 <= s["ci_lo"] <= 2.5 <= s["ci_hi"] <= 4, f"interval {s['ci_lo']}..{s['ci_hi']}")
    eq(stats.summarize([])["median"], None, "empty summary")
    lo, hi = stats.bootstrap_diff_ci([1.0, 1.1, 0.9, 1.05], [2.0, 2.1, 1.9, 2.05])
    check(0.7 < lo <= 1.0 <= hi < 1.3, f"difference interval [{lo}, {hi}] around 1")
    eq(stats.max_equal_n([5, 9, 1, 20], 3), 9, "maximum over the first 3")


def test_long_csv_roundtrip():
    d = tempfile.mkdtemp(prefix="hvlab-long-")
    try:
        p = os.path.join(d, "samples.csv")
        rows = [{"run": "rr-r1", "scheduler": "rr", "rep": 1, "seed": 7, "metric": "a",
                 "value": 1.5},
                {"run": "rr-r1", "scheduler": "rr", "rep": 1, "seed": 7, "metric": "b",
                 "value": 2},
                {"run": "x-r1", "scheduler": "x", "rep": 1, "seed": 8, "weight": 256,
                 "metric": "a", "value": 1 / 3}]
        stats.write_long_csv(p, rows)
        with open(p) as f:
            lines = f.read().splitlines()
        eq(lines[0], "run,scheduler,rep,seed,weight,metric,value",
           "parameter columns (union, first-seen order), then metric and value")
        eq(lines[1], "rr-r1,rr,1,7,,a,1.5", "a missing parameter is an empty cell")
        eq(lines[3], "x-r1,x,1,8,256,a,0.333333", "floats rounded as canonical()")
        back = stats.read_long_csv(p)
        eq([r["value"] for r in back], [1.5, 2.0, 0.333333], "values read back as numbers")
        g = stats.summarize_long(back)
        eq(sorted(g), [("rr",), ("x",)], "grouped by scheduler")
        eq(g[("rr",)]["b"]["median"], 2.0, "median of one sample")
        with open(p, "w") as f:
            f.write("run,metric,value\nr1,a,abc\n")
        raises(ValueError, lambda: stats.read_long_csv(p), "a bad value is refused",
               ("line 2", "'abc'"))
    finally:
        shutil.rmtree(d)


RS = S.RUNSTATE
UNPAUSE = S.ev(6, 0, 2)
MS = 1_000_000                  # ticks per ms at S.TSC_KHZ


def _warmup_trace():
    """d1 starts at 1 ms, d2 at 10 ms; d2 waits 2 ms for its first run (inside the
    warm-up), then 100 µs after a wake-up at 30 ms; 3 records lost at 5 ms."""
    c0 = [(0, S.MARKER, S.DOM_NONE, 0, 1, 0),
          (1 * MS, UNPAUSE, 1, 0, 0, 0),
          (1 * MS, RS, 1, 0, S.rs(S.OFFLINE, S.RUNNABLE), 0),
          (2 * MS, RS, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
          (5 * MS, S.LOST, S.DOM_NONE, 0, 3, 4 * MS),
          (10 * MS, UNPAUSE, 2, 0, 0, 0),
          (10 * MS, RS, 2, 0, S.rs(S.OFFLINE, S.RUNNABLE), 0),
          (12 * MS, RS, 1, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
          (12 * MS, RS, 2, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
          (20 * MS, RS, 2, 0, S.rs(S.RUNNING, S.BLOCKED), 0),
          (20 * MS, RS, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
          (30 * MS, RS, 2, 0, S.rs(S.BLOCKED, S.RUNNABLE), 0),
          (30 * MS + 100_000, RS, 1, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
          (30 * MS + 100_000, RS, 2, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
          (40 * MS, S.MARKER, S.DOM_NONE, 0, 2, 0)]
    return T.decode(S.stream({0: c0}, 1), "warmup.bin")


def test_warmup_excluded_from_every_metric():
    tr = _warmup_trace()
    w = warmup.measured_window(tr, [1, 2], 5)
    eq([w["last_domain_start_tsc"], w["start_tsc"], w["basis"]],
       [10 * MS, 15 * MS, "TRC_DOM_UNPAUSE"], "window begins 5 ms after d2 starts")
    whole = A.analyze(tr).summary
    eq(whole["wake_latency_ns"]["all_domu"]["max"], 2 * MS, "without warm-up: the 2 ms wait")
    an = A.analyze(tr, start_tsc=w["start_tsc"])
    s = an.summary
    eq(s["trace"]["interval_ns"], 25 * MS, "measured interval 15..40 ms")
    eq(s["wake_latency_ns"]["all_domu"]["n"], 1, "only the wake-up after the warm-up")
    eq(s["wake_latency_ns"]["all_domu"]["max"], 100_000, "its latency")
    r1, r2 = s["runstate"]["d1v0"], s["runstate"]["d2v0"]
    eq([r1["running_ns"], r1["runnable_ns"]], [10_100_000, 14_900_000], "d1 from 15 ms")
    eq([r2["running_ns"], r2["blocked_ns"], r2["runnable_ns"]],
       [14_900_000, 10 * MS, 100_000], "d2 from 15 ms")
    eq(r1["accounted_fraction"], 1.0, "runstates sum to the measured interval")
    eq(s["integrity"]["lost_records"], 3, "records lost in the warm-up still counted")
    check(all(sl[1] >= 15 * MS for sl in an.slices), "no slice starts before the window")
    eq(warmup.measured_window(tr, [1, 2], 50)["start_tsc"], None, "a warm-up past the end")
    check("past the end" in warmup.measured_window(tr, [1, 2], 50)["note"], "says why")
    eq(warmup.measured_window(tr, [7], 5)["start_tsc"], None, "no such domain")
    eq(w["stopped"], [], "no domain stops in the window")
    tr.per_cpu[0].insert(-1, T.Record(35 * MS, 0, T.DOM_SHUTDOWN, 1, 0, 0, 0))
    eq(warmup.measured_window(tr, [1, 2], 5)["stopped"],
       [{"domid": 1, "after_ms": 20.0, "window_ms": 25.0}],
       "d1 shut down 20 ms into the 25 ms window (seed 3 of sched-compare-seeded)")
    none = warmup.measured_window(tr, [], 5)
    eq([none["start_tsc"], none["note"]], [None, None], "no domains: the whole trace, no note")


def test_warmup_without_dom_class():
    tr = _warmup_trace()
    tr.per_cpu[0] = [r for r in tr.per_cpu[0] if r.event != UNPAUSE]
    w = warmup.measured_window(tr, [1, 2], 0)
    eq(w["start_tsc"], 10 * MS, "first runstate record of the last domain")
    check("runstate" in w["basis"], w["basis"])


SEEDED = """
name = "seeded"
scheduler = "rtds"
duration_ms = 100
repetitions = 3
[samples]
seed = 40
start_offset_ms = 30
[analysis]
warmup_ms = 25
[[domain]]
name = "a"
image = "cpuloop"
[[domain]]
name = "b"
image = "cpuloop"
[[domain]]
name = "c"
image = "sleeper"
period = 10000
budget = 3000
extratime = false
[[domain]]
name = "d"
image = "sleeper"
"""


def test_seeded_scenarios():
    exp = E.loads(SEEDED, "seeded.toml")
    cfgs = exp.configs()
    eq([c.seed for c in cfgs], [40, 41, 42], "repetition seeds from the base seed")
    texts = [E.scenario(exp, c) for c in cfgs]
    eq(len(set(texts)), 3, "every seed its own scenario")
    eq(E.scenario(exp, cfgs[1]), texts[1], "the same seed, the same scenario")
    for c, text in zip(cfgs, texts):
        plan = exp.start_plan(c.seed)
        eq(sorted(i for i, _ in plan), [0, 1, 2, 3], "every domain created once")
        check(all(0 <= ms <= 30 for _, ms in plan), f"offsets within 0..30: {plan}")
        creates = [ln.split()[1] for ln in text.splitlines() if ln.startswith("create ")]
        eq(creates, [f"{exp.domains[i].name}.cfg" for i, _ in plan], "created in plan order")
        check("sleep 125" in text, "runs warmup_ms + duration_ms")
        ids = exp.domids(c)
        eq(exp.rt_params(c), {ids[2]: (10_000_000, 3_000_000)}, "rt domain by its domid")
    orders = {tuple(i for i, _ in exp.start_plan(c.seed)) for c in cfgs}
    check(len(orders) > 1, f"the creation order varies with the seed: {orders}")
    plain = E.loads(SEEDED.replace("[samples]\nseed = 40\nstart_offset_ms = 30\n", ""))
    eq([c.seed for c in plain.configs()], [None] * 3, "no [samples]: no seed")
    eq(plain.start_plan(None), [(0, 0), (1, 0), (2, 0), (3, 0)], "file order, no delays")


def test_seeded_bad_input():
    for text, key, why in (
            (SEEDED.replace("seed = 40\n", ""), "samples.seed", "missing"),
            (SEEDED.replace("seed = 40", "seed = -1"), "samples.seed", "out of range"),
            (SEEDED.replace("start_offset_ms = 30", "start_offset_ms = 1.5"),
             "samples.start_offset_ms", "expected an integer"),
            (SEEDED.replace("start_offset_ms = 30", "jitter = 3"), "samples.jitter",
             "unknown key"),
            (SEEDED.replace("warmup_ms = 25", "warmup_ms = -5"), "analysis.warmup_ms",
             "out of range"),
            (SEEDED.replace("warmup_ms = 25", "warmup_ms = 5000"), "analysis.warmup_ms",
             "is it in ms"),
            (SEEDED.replace("warmup_ms = 25", "measure_from = \"start\""),
             "analysis.measure_from", "is not one of"),
            (SEEDED.replace("warmup_ms = 25", "warmup_ms = 25\nmeasure_from = \"trace_start\""),
             "analysis.warmup_ms", "needs measure_from")):
        raises(E.ExperimentError, lambda t=text: E.loads(t, "bad.toml"), f"{key} refused",
               (f"bad.toml: {key}: ", why))


def test_samples_csv_and_report_statistics():
    d = tempfile.mkdtemp(prefix="hvlab-samples-")
    try:
        S.fake_results(d, ("rr", "credit"), duration_ms=60, reps=3)
        eq(run.regenerate(d, log=lambda *a: None), 0, "no configuration failed")
        rows = stats.read_long_csv(os.path.join(d, "samples.csv"))
        with open(os.path.join(d, "samples.csv")) as f:
            header = next(csv.reader(f))
        eq(header, ["run", "scheduler", "rep", "seed", "metric", "value"], "columns")
        runs = sorted({r["run"] for r in rows})
        eq(runs, ["credit-r1", "credit-r2", "credit-r3", "rr-r1", "rr-r2", "rr-r3"],
           "one sample per run")
        metrics = {r["metric"] for r in rows}
        for m in ("context_switches_per_s", "wake_latency_ns.p99", "wake_latency_ns.max_eqn",
                  "cpu_share.hog4.weighted_share", "rt.rt.short_fraction",
                  "guest.hog2.iters"):
            check(m in metrics, f"metric {m} in samples.csv")
        n_per = {(r["run"], r["metric"]) for r in rows}
        eq(len(n_per), len(rows), "one row per run x metric")
        import json
        with open(os.path.join(d, "summary.json")) as f:
            st = json.load(f)["statistics"]
        s = st["by_policy"]["credit"]["context_switches_per_s"]
        eq(s["n"], 3, "three samples per policy")
        check(s["ci_lo"] <= s["median"] <= s["ci_hi"], "median inside its interval")
        with open(os.path.join(d, "report.md")) as f:
            md = f.read()
        for want in ("## Statistics over repetitions", "## Real-time domains",
                     "## Samples and measured window", "95 % bootstrap", "`samples.csv`"):
            check(want in md, f"report.md has {want!r}")
        with open(os.path.join(d, "plots", "switches.dat")) as f:
            head = f.readline()
        check("switches_per_s_ci_lo" in head, f"bars carry their intervals: {head.strip()}")
        with open(os.path.join(d, "plots", "switches.gp")) as f:
            check("histogram errorbars" in f.read(), "error bars drawn")
    finally:
        shutil.rmtree(d)


def test_samples_params_from_config():
    c = E.Config(1, "credit", 2, "credit-r2", 11)
    eq(samples.params(c), {"run": "credit-r2", "scheduler": "credit", "rep": 2, "seed": 11},
       "parameter columns")
    c.params = {"weight": 512}
    eq(samples.params(c)["weight"], 512, "a sweep's parameters become columns too")
