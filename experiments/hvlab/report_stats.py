"""report.md's sections on samples: seeds and measured window, statistics over
repetitions, per-domain real-time and NUMA tables.

Design: everything here is read from samples.statistics() (which samples.csv holds
row by row) and the runs' summaries; nothing is recomputed. A cell "m [lo, hi]" is
the median over repetitions with its 95 % bootstrap interval (stats.bootstrap_ci).
"""
from __future__ import annotations


def fmt(x, digits=3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float) and not x.is_integer():
        a = abs(x)
        d = digits if a < 10 else 1 if a < 1e4 else 0
        return f"{x:,.{d}f}"
    return f"{int(x):,}"


def cell(s: dict | None) -> str:
    """median [ci_lo, ci_hi] of a summary, or – when there is none."""
    if not s or not s["n"]:
        return "–"
    if s["n"] == 1:
        return fmt(s["median"])
    return f"{fmt(s['median'])} [{fmt(s['ci_lo'])}, {fmt(s['ci_hi'])}]"


def _table(header, rows) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


def samples_section(exp, runs) -> list[str]:
    """Seeds, creation order, start offsets and the measured window of every run."""
    L = ["## Samples and measured window", ""]
    if exp.seed is None:
        L += ["No `[samples]` seed: every repetition ran the same scenario (in "
              "deterministic mode they are copies of one sample, with no spread).", ""]
    else:
        L += [f"Base seed {exp.seed}: repetition r runs with seed {exp.seed} + r - 1, which "
              f"shuffles the creation order{'' if exp.shuffle else ' (off)'} and delays each "
              f"creation by 0..{exp.start_offset_ms} ms of guest time (dom0's scenario, "
              "`inputs/scenario`); each seeded run is repeatable bit for bit.", ""]
    if exp.measure_from == "trace_start":
        L += ["Every metric covers the whole trace, domain creation included "
              "(`analysis.measure_from = \"trace_start\"`).", ""]
    else:
        L += [f"Every metric leaves out the warm-up: the measured window begins "
              f"{exp.warmup_ms:g} ms (`analysis.warmup_ms`) after the last domain starts "
              "(its first TRC_DOM_UNPAUSE), so domain creation is never measured.", ""]
    rows = []
    for r in runs:
        c = r.summary["config"]
        w = r.summary.get("measured_window") or {}
        an = r.analysis.summary["trace"] if r.analysis else None
        order = ", ".join(f"{n} +{ms}" for n, ms in c.get("creation", []))
        rows.append([r.config.key, "–" if c.get("seed") is None else c["seed"],
                     order or "–",
                     fmt(an["interval_ns"] / 1e6) if an else "–",
                     w.get("note") or w.get("basis") or "–"])
    L += _table(["run", "seed", "creation order (+ms before it)", "measured (ms)",
                 "window start from"], rows)
    return L


def _group_metrics(statistics: dict) -> list[str]:
    seen: list[str] = []
    for ms in statistics.values():
        for m in ms:
            if m not in seen:
                seen.append(m)
    return seen


def statistics_section(exp, statistics: dict, n_eq: int) -> list[str]:
    """Every metric: per policy, median [95 % CI] and min–max over repetitions."""
    if not statistics:
        return []
    pols = list(statistics)
    L = ["## Statistics over repetitions", "",
         "Per metric and policy: median over the successful repetitions with its 95 % "
         "bootstrap confidence interval in brackets (2000 resamples, fixed seed: "
         "docs/statistics.md), then min–max and the number of samples n. Every value, "
         "run by run, is in `samples.csv`." +
         (f" `wake_latency_ns.max_eqn` is each run's maximum over its first {n_eq:,} "
          "wake-ups (the fewest any run had), so maxima compare equal sample counts."
          if n_eq else ""), ""]
    rows = []
    for m in _group_metrics(statistics):
        if m.startswith(("rt.", "numa.")):
            continue                        # their own tables below
        row = [f"`{m}`"]
        for p in pols:
            s = statistics[p].get(m)
            row.append("–" if not s or not s["n"] else
                       f"{cell(s)}<br>{fmt(s['min'])}–{fmt(s['max'])}, n={s['n']}")
        rows.append(row)
    L += _table(["metric", *pols], rows)
    return L


def _domains_with(statistics: dict, prefix: str) -> list[str]:
    names: list[str] = []
    for m in _group_metrics(statistics):
        if m.startswith(prefix):
            n = m[len(prefix):].rsplit(".", 1)[0]
            if n not in names:
                names.append(n)
    return names


def rt_section(exp, statistics: dict) -> list[str]:
    doms = _domains_with(statistics, "rt.")
    if not doms:
        return []
    L = ["## Real-time domains", "",
         "Per real-time domain (period and budget, no extratime) and policy: its periods "
         "since its first activation in the measured window, those in which it ran less "
         "than its budget although it wanted the CPU, their fraction, and the misses the "
         "policy reported (TRC_RTDS_MISS); median [95 % CI] over repetitions.", ""]
    rows = []
    for d in doms:
        for p, ms in statistics.items():
            rows.append([d, p, *(cell(ms.get(f"rt.{d}.{k}")) for k in
                                 ("periods", "periods_short", "short_fraction",
                                  "policy_misses"))])
    L += _table(["domain", "policy", "periods", "short", "short fraction",
                 "policy-reported misses"], rows)
    return L


def numa_section(exp, statistics: dict) -> list[str]:
    doms = _domains_with(statistics, "numa.")
    if not doms:
        return []
    events = sorted({m.rsplit(".", 1)[1] for ms in statistics.values() for m in ms
                     if m.startswith("numa.")})
    L = ["## NUMA placement per domain", "",
         "The NUMA policy's decisions per domain (numa.* trace events of its vCPUs, in "
         "the measured window); median [95 % CI] over repetitions.", ""]
    rows = [[d, p, *(cell(ms.get(f"numa.{d}.{e}")) for e in events)]
            for d in doms for p, ms in statistics.items()]
    L += _table(["domain", "policy", *events], rows)
    return L
