"""Interval CSVs: the measured window cut into intervals of analysis.interval_ms, and
per interval each domain's running and runnable time and wake-ups, and each pCPU's
busy time (also pCPUs that wrote no record: their rows say 0 busy).

Design: running intervals (Analysis.slices) and runnable waits
(Analysis.vcpu_detail) are binned with analyze.bin_ticks, the one binning routine
cpu_share.csv also uses; wake-ups are counted in the interval of their wake-up tsc.
The width grows, as cpu_share's does, when intervals x columns would pass
analyze.MAX_WINDOW_CELLS; the CSVs then carry the width used in their first column's
values (interval_start_ms).
"""
from __future__ import annotations

from collections import defaultdict

from . import analyze, stats
from . import trace as T


def rows(an, interval_ms: float) -> tuple[list, list, float]:
    """(domain rows, pCPU rows, interval width used in ms)."""
    khz, t0, t1 = an.tsc_khz, an.t0, an.t1
    doms = sorted({analyze.dom_key(d["dom"]) for d in an.vcpu_detail.values()
                   if d["dom"] != T.DOM_IDLE}, key=lambda d: (len(d), d))
    width = max(1, round(interval_ms * khz))
    n = max(1, -(-(t1 - t0) // width))
    cap = max(1, analyze.MAX_WINDOW_CELLS // (len(doms) + an.nr_cpus + 1))
    if n > cap:
        width = -(-(t1 - t0) // cap)
        n = max(1, -(-(t1 - t0) // width))
    used_ms = width / khz
    busy = [x for x in an.slices if x[3] != T.DOM_IDLE]
    run = analyze.bin_ticks(((s, e, analyze.dom_key(d)) for _c, s, e, d, _v in busy),
                            t0, width, n)
    wait = analyze.bin_ticks(((s, e, analyze.dom_key(det["dom"]))
                              for det in an.vcpu_detail.values() if det["dom"] != T.DOM_IDLE
                              for s, e, _k in det["waits"]), t0, width, n)
    pcpu = analyze.bin_ticks(((s, e, c) for c, s, e, _d, _v in busy), t0, width, n)
    wakes = defaultdict(lambda: defaultdict(list))
    for key, lats in an.latencies.items():
        if key.startswith("idle"):
            continue
        dom = "d" + key[1:].split("v")[0]
        for w, lat in lats:
            if t0 <= w < t0 + n * width:
                wakes[dom][(w - t0) // width].append(lat)

    def ns(x):
        return x * 1_000_000 // khz

    zero = [0] * n
    drows, prows = [], []
    for i in range(n):
        start = i * used_ms
        span = min(width, t1 - t0 - i * width) or width
        for d in doms:
            lat = stats.dist(wakes[d][i])
            drows.append([start, d, ns(run.get(d, zero)[i]), ns(wait.get(d, zero)[i]),
                          lat["n"], lat["p50"], lat["max"]])
        for c in range(an.nr_cpus):
            b = pcpu.get(c, zero)[i]
            prows.append([start, c, ns(b), b / span])
    return drows, prows, used_ms


def write(run_dir: str, an, interval_ms: float) -> float:
    """intervals.csv and pcpu_intervals.csv; returns the width used (ms)."""
    import os
    drows, prows, used = rows(an, interval_ms)
    stats.write_csv(os.path.join(run_dir, "intervals.csv"),
                    ["interval_start_ms", "domain", "running_ns", "runnable_ns", "wakeups",
                     "wake_p50_ns", "wake_max_ns"], drows)
    stats.write_csv(os.path.join(run_dir, "pcpu_intervals.csv"),
                    ["interval_start_ms", "pcpu", "busy_ns", "busy_fraction"], prows)
    return used
