"""Per-vCPU, per-domain and per-pCPU tables beyond analyze.py's summary: runnable
time split into wake-up and preemption waits, interval percentiles per runstate,
domain concurrency states, log2 latency histograms and real-time lateness.

Design: everything is computed from what analyze.analyze() already extracted in its
one pass (Analysis.slices, .latencies, .vcpu_detail, summary["rt_periods"]), so the
measured window (warm-up left out, warmup.py) is the one every other metric uses and
no record is interpreted twice. Percentiles are nearest rank (hvmexits.path_dist:
p5, p50, p95, max), times in ns (instructions under icount).

Definitions (docs/analysis.md):
- A runnable interval is a *wake-up wait* when it began with blocked/offline ->
  runnable, a *preemption wait* when it began with running -> runnable, *unknown*
  when it was already open when the window began.
- Concurrency states of a domain with n traced vCPUs, at each instant, from r vCPUs
  running and w runnable: full_run (r = n), concurrency_hazard (0 < r < n, w > 0: one
  vCPU runs while a sibling waits), partial_run (0 < r < n, w = 0), full_contention
  (r = 0, w = n), partial_contention (r = 0, 0 < w < n), blocked (r = w = 0: every
  vCPU blocked or offline).
- log2 histogram bucket b holds latencies in [2^(b-1), 2^b) ns; bucket 0 holds 0.
- Real-time lateness of a period [p, d): the vCPU's work in it finishes when it has
  run for its budget since it became active in the period, or when it stops wanting
  the CPU (blocks or goes offline), whichever is first (possibly after d: the budget
  is then made up in later periods' time); lateness = finish - d, tardiness =
  max(0, lateness). Periods in which it never became active have no lateness.

Limitations: the lateness of at most MAX_RT_TIMED periods per vCPU is timed (the
first ones); "timed" says how many were.
"""
from __future__ import annotations

import bisect
from collections import defaultdict

from . import hvmexits
from . import trace as T

CONC_STATES = ("full_run", "concurrency_hazard", "partial_run", "full_contention",
               "partial_contention", "blocked")
MAX_RT_TIMED = 1 << 16


def _dom_of(key: str) -> int:
    return int(key[1:].split("v")[0])


def runstate_detail(an) -> dict:
    """vcpu key -> {"wake_wait_ns", "preempt_wait_ns", "unknown_wait_ns" totals,
    "wake_waits", "preempt_waits" (path_dist of the complete waits, ns),
    "running", "runnable", "blocked" (path_dist of complete intervals, ns)}."""
    khz, out = an.tsc_khz, {}
    for key in an.summary["runstate"]:
        if key.startswith("idle"):
            continue
        det = an.vcpu_detail[key]
        tot = {k: 0 for k in ("wake", "preempt", "unknown")}
        complete = {k: [] for k in tot}
        for s, e, kind in det["waits"]:
            tot[kind] += e - s
            if e < an.t1:                       # ended inside the window
                complete[kind].append((e - s) * 1_000_000 // khz)
        row = {f"{k}_wait_ns": v * 1_000_000 // khz for k, v in tot.items()}
        row["wake_waits"] = hvmexits.path_dist(complete["wake"])
        row["preempt_waits"] = hvmexits.path_dist(complete["preempt"])
        for i, s in enumerate(T.RUNSTATES[:3]):
            row[s] = hvmexits.path_dist([x * 1_000_000 // khz for x in det["intervals"][i]])
        out[key] = row
    return out


def classify(r: int, w: int, n: int) -> str:
    """The concurrency state of a domain of n vCPUs, r running and w runnable."""
    if r == n:
        return "full_run"
    if r:
        return "concurrency_hazard" if w else "partial_run"
    if w:
        return "full_contention" if w == n else "partial_contention"
    return "blocked"


def concurrency(an) -> dict:
    """domain key -> {"vcpus": n, "<state>_ns": time, "<state>_fraction": share of
    the window} over the domain's traced vCPUs (idle vCPUs excluded)."""
    vcpus = defaultdict(set)
    for key, det in an.vcpu_detail.items():
        if det["dom"] not in (T.DOM_IDLE, T.DOM_NONE):
            vcpus[det["dom"]].add(key)
    edges = defaultdict(list)                   # dom -> (tsc, d running, d runnable)
    for _c, s, e, dom, _v in an.slices:
        if dom in vcpus:
            edges[dom] += [(s, 1, 0), (e, -1, 0)]
    for key, det in an.vcpu_detail.items():
        if det["dom"] in vcpus:
            for s, e, _k in det["waits"]:
                edges[det["dom"]] += [(s, 0, 1), (e, 0, -1)]
    interval = an.t1 - an.t0
    out = {}
    for dom in sorted(vcpus):
        n = len(vcpus[dom])
        ticks = dict.fromkeys(CONC_STATES, 0)
        r = w = 0
        last = an.t0
        # A sweep over the edges, all changes at one tsc applied together.
        evs = sorted(edges[dom])
        i = 0
        while i < len(evs):
            t = evs[i][0]
            ticks[classify(r, w, n)] += t - last
            while i < len(evs) and evs[i][0] == t:
                r += evs[i][1]
                w += evs[i][2]
                i += 1
            last = t
        ticks[classify(r, w, n)] += an.t1 - last
        row = {"vcpus": n}
        for st in CONC_STATES:
            row[f"{st}_ns"] = ticks[st] * 1_000_000 // an.tsc_khz
        for st in CONC_STATES:
            row[f"{st}_fraction"] = ticks[st] / interval if interval else 0.0
        out[f"d{dom}"] = row
    return out


def log2_bucket(ns: int) -> int:
    """Bucket b of a latency: 0 for 0 ns, else [2^(b-1), 2^b)."""
    return int(ns).bit_length() if ns > 0 else 0


def bucket_range(b: int) -> tuple[int, int]:
    return (0, 1) if b == 0 else (1 << (b - 1), 1 << b)


def latency_hist(an) -> dict:
    """domain key -> {bucket: wake-ups} of its vCPUs' wake-to-run latencies (ns)."""
    out: dict = defaultdict(lambda: defaultdict(int))
    for key, lats in an.latencies.items():
        if key.startswith("idle"):
            continue
        for _w, lat in lats:
            out[f"d{_dom_of(key)}"][log2_bucket(lat)] += 1
    return {d: {str(b): out[d][b] for b in sorted(out[d])}
            for d in sorted(out, key=lambda d: int(d[1:]))}


def _lateness(running, active, first, period, budget, n):
    """Lateness (ticks) of each of the first min(n, MAX_RT_TIMED) periods with demand:
    running, active: sorted disjoint (start, end) intervals (running; running or
    runnable merged into stretches)."""
    ends = [e for _s, e in running]
    cum = [0]
    for s, e in running:
        cum.append(cum[-1] + e - s)

    def ran_until(t):                       # running ticks before t
        i = bisect.bisect_right(ends, t)
        c = cum[i]
        if i < len(running) and running[i][0] < t:
            c += t - running[i][0]
        return c

    def when_ran(x):                        # first t with ran_until(t) = x, or None
        i = bisect.bisect_left(cum, x)
        if i == 0:
            return running[0][0] if running else None
        if i > len(running):
            return None
        s, _e = running[i - 1]
        return s + x - cum[i - 1]

    starts = [s for s, _e in active]
    out = []
    for k in range(min(n, MAX_RT_TIMED)):
        p = first + k * period
        d = p + period
        i = bisect.bisect_right(starts, p) - 1
        if i >= 0 and active[i][1] > p:
            a, stretch_end = p, active[i][1]
        elif i + 1 < len(active) and active[i + 1][0] < d:
            a, stretch_end = active[i + 1]
        else:
            continue                            # no demand in this period
        t_budget = when_ran(ran_until(a) + budget) if budget else a
        finish = stretch_end if t_budget is None else min(stretch_end, t_budget)
        out.append(finish - d)
    return out


def _merge(intervals):
    out = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def rt_detail(an, rt_params: dict) -> dict:
    """vcpu key -> {"periods", "timed", "lateness_ns" (path_dist), "tardy" (periods
    with lateness > 0), "tardiness_ns" (path_dist of the positive ones),
    "tardiness_total_ns"} for the vCPUs analyze() counted periods of."""
    khz = an.tsc_khz
    running = defaultdict(list)
    for _c, s, e, dom, vc in an.slices:
        running[(dom, vc)].append((s, e))
    out = {}
    for key, p in an.summary["rt_periods"].items():
        det = an.vcpu_detail[key]
        period_ns, budget_ns = rt_params[det["dom"]]
        period, budget = period_ns * khz // 1_000_000, budget_ns * khz // 1_000_000
        run = sorted(running[(det["dom"], det["vcpu"])])
        active = _merge(run + [(s, e) for s, e, _k in det["waits"]])
        late = _lateness(run, active, det["first_active"], period, budget,
                         p["periods"]) if p["periods"] and period else []
        late_ns = [x * 1_000_000 // khz for x in late]
        tardy = [x for x in late_ns if x > 0]
        out[key] = {"periods": p["periods"], "timed": min(p["periods"], MAX_RT_TIMED),
                    "with_demand": len(late_ns),
                    "lateness_ns": hvmexits.path_dist(late_ns), "tardy": len(tardy),
                    "tardiness_ns": hvmexits.path_dist(tardy),
                    "tardiness_total_ns": sum(tardy)}
    return out
