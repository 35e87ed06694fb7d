"""Per-run metric values (one sample per repetition) and their statistics.

Design: every scalar metric of a run is one sample; a policy's repetitions (each with
its own seed, docs/statistics.md) are its sample set, summarised by stats.summarize
(median, min/max, 95 % bootstrap interval). samples.csv holds them in long format,
one row per run x metric, with the configuration's parameters as columns.

API (also for sweeps):
  params(cfg)                   {"run", "scheduler", "rep", "seed", **cfg.params}
  run_metrics(exp, run, n_eq)   {metric: value} of one RunResult
  long_rows(exp, runs)          rows for stats.write_long_csv (failed runs left out)
  statistics(rows, by)          {"scheduler value": {metric: summary}} (JSON-ready)

Metric names are dotted: wake_latency_ns.p99, cpu_share.<domain>.share_of_machine,
rt.<domain>.short_fraction, numa.<domain>.<event>, guest.<domain>.<key>.
wake_latency_ns.max_eqn is the maximum over the first N wake-ups of each run, N the
smallest count of any run of the experiment (maxima over equal sample counts).

Limitations: only runs that succeeded and have a trace give trace metrics; guest
results come from every successful run.
"""
from __future__ import annotations

from collections import defaultdict

from . import stats

PERCENTILES = ("p50", "p90", "p99", "max")


def params(cfg) -> dict:
    """The configuration's parameters as long-CSV columns (a sweep's Config may carry
    more in cfg.params)."""
    out = {"run": cfg.key, "scheduler": cfg.scheduler, "rep": cfg.rep,
           "seed": "" if cfg.seed is None else cfg.seed}
    out.update(getattr(cfg, "params", None) or {})
    return out


def _domid(vcpu_key: str) -> int | None:
    if not vcpu_key.startswith("d"):
        return None
    return int(vcpu_key[1:].split("v")[0])


def domu_wakeups(run) -> list[int]:
    """The run's domU wake-up latencies (ns) in time order."""
    pairs = [(w, lat) for k, v in run.analysis.latencies.items()
             if (d := _domid(k)) not in (None, 0) and d in run.names for w, lat in v]
    return [lat for _, lat in sorted(pairs)]


def equal_n(runs) -> int:
    """The smallest number of domU wake-ups of any traced run (0 without any)."""
    counts = [len(domu_wakeups(r)) for r in runs if r.ok and r.analysis]
    return min(counts) if counts else 0


def run_metrics(exp, run, n_eq: int | None = None) -> dict:
    """{metric: value} of one successful run; n_eq: wake-ups for max_eqn."""
    m: dict = {}
    if run.analysis:
        s = run.analysis.summary
        m["context_switches_per_s"] = s["sched"]["context_switches_per_s"]
        m["migrations_per_s"] = s["sched"]["migrations_per_s"]
        m["machine_busy"] = s["cpu_share"]["machine_busy"]
        lats = domu_wakeups(run)
        d = stats.dist(lats)
        m["wake_latency_ns.n"] = d["n"]
        for p in PERCENTILES:
            m[f"wake_latency_ns.{p}"] = d[p]
        if n_eq:
            m["wake_latency_ns.max_eqn"] = stats.max_equal_n(lats, n_eq)
        per = s["cpu_share"]["per_domain"]
        weights = {dd.name: dd.weight for dd in exp.domains if dd.weight}
        wrun = sum(per.get(f"d{i}", {}).get("running_ns", 0)
                   for i, n in run.names.items() if n in weights)
        by_name = {n: i for i, n in run.names.items() if i}
        for dd in exp.domains:
            i = by_name.get(dd.name)
            if i is None:
                continue
            pd = per.get(f"d{i}", {})
            m[f"cpu_share.{dd.name}.share_of_machine"] = pd.get("share_of_machine", 0.0)
            if dd.name in weights:
                m[f"cpu_share.{dd.name}.weighted_share"] = \
                    pd.get("running_ns", 0) / wrun if wrun else 0.0
            wd = s["wake_latency_ns"]["per_domain"].get(f"d{i}")
            if wd and wd["n"]:
                m[f"wake_latency_ns.{dd.name}.p50"] = wd["p50"]
                m[f"wake_latency_ns.{dd.name}.p99"] = wd["p99"]
        rt = defaultdict(lambda: [0, 0, 0])
        for key, p in s["rt_periods"].items():
            name = run.names.get(_domid(key), key)
            rt[name][0] += p["periods"]
            rt[name][1] += p["periods_short"]
            rt[name][2] += s["policy"]["rtds_misses_by_vcpu"].get(key, 0)
        if rt:                              # all real-time domains of the run together
            n_all = sum(v[0] for v in rt.values())
            m["rt_short_fraction"] = sum(v[1] for v in rt.values()) / n_all if n_all else None
            m["rt_policy_miss_fraction"] = \
                sum(v[2] for v in rt.values()) / n_all if n_all else None
        for name, (n, short, rep) in rt.items():
            m[f"rt.{name}.periods"] = n
            m[f"rt.{name}.periods_short"] = short
            m[f"rt.{name}.short_fraction"] = short / n if n else None
            m[f"rt.{name}.policy_misses"] = rep
        numa = defaultdict(lambda: defaultdict(int))
        for key, ev in s["policy"]["numa_by_vcpu"].items():
            name = run.names.get(_domid(key), key)
            for what, c in ev.items():
                numa[name][what] += c
        for name in sorted(numa):
            for what in sorted(numa[name]):
                m[f"numa.{name}.{what}"] = numa[name][what]
        m["lost_records"] = s["integrity"]["lost_records"]
    for res in run.summary["guest_results"]:
        if res.get("bench") in ("disk", "micro"):   # their own sections
            continue
        dom = res.get("dom", res.get("console_dom"))
        name = run.names.get(dom, f"d{dom}")
        for k, v in res.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) \
                    and k not in ("dom", "console_dom"):
                m[f"guest.{name}.{k}"] = v
    return m


def long_rows(exp, runs) -> list[dict]:
    """One row per successful run x metric (stats.write_long_csv)."""
    n_eq = equal_n(runs)
    rows = []
    for r in runs:
        if not r.ok:
            continue
        p = params(r.config)
        for metric, v in run_metrics(exp, r, n_eq).items():
            if v is not None:
                rows.append({**p, "metric": metric, "value": v})
    return rows


def statistics(rows: list[dict], by=("scheduler",)) -> dict:
    """{group ("rr", or "rr/x" for several columns): {metric: stats.summarize}}."""
    return {"/".join(g): ms for g, ms in stats.summarize_long(rows, by).items()}
