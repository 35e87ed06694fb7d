"""Small statistics and the canonical JSON form every summary is written in.

API for other modules (sweeps, compare, the report) -- docs/statistics.md:
  Rng(seed)                      splitmix64: the same seed gives the same numbers on
                                 every Python and host (below(), shuffle())
  rep_seed(base, rep)            the seed of repetition rep (1-based) of a base seed
  bootstrap_ci(values, ...)      95 % percentile-bootstrap interval of the median,
                                 deterministic (fixed resampling seed)
  summarize(values)              {n, median, min, max, mean, ci_lo, ci_hi}
  write_long_csv(path, rows)     one row per run x metric: parameter columns, then
                                 metric, value (rows are dicts)
  read_long_csv(path)            its rows back as dicts (value as float, "" -> None)
  summarize_long(rows, by)       {group tuple: {metric: summarize(values)}}
  bootstrap_diff_ci(a, b)        95 % interval of median(b) - median(a) (compare)
  max_equal_n(samples, n)        maximum over the first n samples (time order), so
                                 maxima of runs with more samples are not favoured

Percentiles use the nearest-rank method (the value at rank ceil(p/100 * n) of the
sorted sample): no interpolation, so a percentile is always a value that occurred
and integer samples give integer percentiles. canonical() rounds every float to
ROUND_DIGITS decimals, so the same input always gives byte-identical JSON.
"""
from __future__ import annotations

import json
import math
from typing import Any, Iterable

ROUND_DIGITS = 6
PERCENTILES = (50, 90, 99)


def percentile(sorted_vals: list, p: float):
    """Nearest-rank percentile of an already sorted, non-empty list."""
    rank = max(1, math.ceil(p / 100 * len(sorted_vals)))
    return sorted_vals[rank - 1]


def dist(values: Iterable[float]) -> dict:
    """n, min, p50, p90, p99, max, mean of a sample; the statistics are null when n=0."""
    v = sorted(values)
    out: dict[str, Any] = {"n": len(v)}
    if not v:
        out.update({k: None for k in ("min", "p50", "p90", "p99", "max", "mean")})
        return out
    out["min"] = v[0]
    for p in PERCENTILES:
        out[f"p{p}"] = percentile(v, p)
    out["max"] = v[-1]
    out["mean"] = sum(v) / len(v)
    return out


def dist_counted(pairs: Iterable[tuple[int, int]]) -> dict:
    """dist() of a sample given as (value, how many times it occurs) pairs: the same
    result as dist() of the expanded sample, in time and memory bounded by the number
    of distinct values (a million periods of 0 are one pair)."""
    v = sorted((x, c) for x, c in pairs if c > 0)
    n = sum(c for _, c in v)
    out: dict[str, Any] = {"n": n}
    if not n:
        out.update({k: None for k in ("min", "p50", "p90", "p99", "max", "mean")})
        return out
    out["min"] = v[0][0]
    for p in PERCENTILES:
        rank, seen = max(1, math.ceil(p / 100 * n)), 0
        for x, c in v:
            seen += c
            if seen >= rank:
                out[f"p{p}"] = x
                break
    out["max"] = v[-1][0]
    out["mean"] = sum(x * c for x, c in v) / n
    return out


def cdf(values: Iterable[float], points: int = 200) -> list[tuple[float, float]]:
    """(value, fraction of the sample <= value), at most `points` steps (every value
    for small samples, evenly spaced ranks otherwise; the maximum is always last)."""
    v = sorted(values)
    n = len(v)
    if n == 0:
        return []
    ranks = range(1, n + 1) if n <= points else \
        sorted({max(1, round(i * n / points)) for i in range(1, points + 1)})
    return [(v[r - 1], r / n) for r in ranks]


def canonical(obj: Any) -> Any:
    """A copy with floats rounded (NaN and infinities become null), tuples as lists."""
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return None
        r = round(obj, ROUND_DIGITS)
        return 0.0 if r == 0 else r
    if isinstance(obj, dict):
        return {str(k): canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    """Canonical JSON text: rounded floats, insertion key order, 2-space indent."""
    return json.dumps(canonical(obj), indent=2, allow_nan=False) + "\n"


def write_json(path: str, obj: Any) -> None:
    with open(path, "w") as f:
        f.write(dumps(obj))


def write_csv(path: str, header: list[str], rows: Iterable[Iterable]) -> None:
    """A CSV table; floats rounded as in canonical(), None as an empty cell."""
    import csv
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["" if c is None else canonical(c) if isinstance(c, float) else c
                        for c in row])


# ---- deterministic samples and bootstrap intervals (docs/statistics.md) ----

_MASK = (1 << 64) - 1
BOOTSTRAP_SEED = 0x5EED_B007      # fixed: the same values always give the same interval
BOOTSTRAP_RESAMPLES = 2000
CI_LEVEL = 0.95


class Rng:
    """splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and fully specified here, so a
    seed means the same numbers on every Python version and host (random.Random's
    methods are not promised to stay the same across versions)."""

    def __init__(self, seed: int):
        self.state = seed & _MASK

    def next64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """Uniform integer in [0, n), without modulo bias (rejection)."""
        if n <= 0:
            raise ValueError(f"below({n}): n must be positive")
        limit = (1 << 64) - (1 << 64) % n
        while True:
            x = self.next64()
            if x < limit:
                return x % n

    def shuffle(self, items: list) -> list:
        """A shuffled copy (Fisher-Yates)."""
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.below(i + 1)
            out[i], out[j] = out[j], out[i]
        return out


def rep_seed(base: int, rep: int) -> int:
    """Seed of repetition rep (1-based): base, base + 1, ... -- easy to state and to
    re-run by hand (`seed = base + rep - 1`)."""
    return base + rep - 1


def _median(v: list) -> float:
    n = len(v)
    s = sorted(v)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def bootstrap_ci(values: Iterable[float], level: float = CI_LEVEL,
                 resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                 stat=_median) -> tuple[float, float] | tuple[None, None]:
    """Percentile bootstrap interval of stat (the median) at level: resample the values
    with replacement `resamples` times (Rng(seed): the same values give the same
    interval), and take the nearest-rank (1-level)/2 and (1+level)/2 percentiles of
    the resampled statistics. (None, None) for no values; (v, v) for one."""
    v = [x for x in values if x is not None]
    if not v:
        return None, None
    if len(v) == 1 or min(v) == max(v):
        return v[0], v[0]
    rng, n = Rng(seed), len(v)
    boot = sorted(stat([v[rng.below(n)] for _ in range(n)]) for _ in range(resamples))
    alpha = (1 - level) / 2
    lo = boot[max(0, math.ceil(alpha * resamples) - 1)]
    hi = boot[min(resamples - 1, math.ceil((1 - alpha) * resamples) - 1)]
    return lo, hi


def summarize(values: Iterable[float]) -> dict:
    """n, median, min, max, mean and the 95 % bootstrap interval of the median of the
    non-null values (nulls when there are none)."""
    v = [x for x in values if x is not None]
    if not v:
        return {"n": 0, "median": None, "min": None, "max": None, "mean": None,
                "ci_lo": None, "ci_hi": None}
    lo, hi = bootstrap_ci(v)
    return {"n": len(v), "median": _median(v), "min": min(v), "max": max(v),
            "mean": sum(v) / len(v), "ci_lo": lo, "ci_hi": hi}


LONG_VALUE_COLUMNS = ("metric", "value")


def write_long_csv(path: str, rows: list[dict]) -> None:
    """Long format: one row per run x metric. Each row is a dict of parameter columns
    (run, scheduler, rep, seed, any swept key...) plus "metric" and "value"; the
    parameter columns are the union of the rows' keys in first-seen order, a missing
    one an empty cell."""
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in LONG_VALUE_COLUMNS and k not in cols:
                cols.append(k)
    header = cols + list(LONG_VALUE_COLUMNS)
    write_csv(path, header, ([r.get(k) for k in header] for r in rows))


def read_long_csv(path: str) -> list[dict]:
    """write_long_csv()'s rows: every cell a string but "value", a float (or None)."""
    import csv
    with open(path, newline="") as f:
        rd = csv.DictReader(f)
        if rd.fieldnames is None or not set(LONG_VALUE_COLUMNS) <= set(rd.fieldnames):
            raise ValueError(f"{path}: not a long-format CSV (needs columns "
                             f"{', '.join(LONG_VALUE_COLUMNS)}; has {rd.fieldnames})")
        out = []
        for i, row in enumerate(rd, 2):
            try:
                row["value"] = float(row["value"]) if row["value"] != "" else None
            except ValueError:
                raise ValueError(f"{path}: line {i}: value {row['value']!r} is not a "
                                 "number") from None
            out.append(row)
        return out


def summarize_long(rows: list[dict], by: Iterable[str] = ("scheduler",)) -> dict:
    """{(values of the `by` columns): {metric: summarize(its values)}}, metrics in
    first-seen order."""
    by = tuple(by)
    groups: dict = {}
    for r in rows:
        g = tuple(str(r.get(k, "")) for k in by)
        groups.setdefault(g, {}).setdefault(r["metric"], []).append(r["value"])
    return {g: {m: summarize(v) for m, v in ms.items()} for g, ms in groups.items()}


def max_equal_n(samples: list, n: int):
    """Maximum of the first n samples (in the order given, i.e. time order): the
    largest of n draws grows with n, so maxima are compared over the same count."""
    head = samples[:n]
    return max(head) if head else None


def bootstrap_diff_ci(a: Iterable[float], b: Iterable[float], level: float = CI_LEVEL,
                      resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
                      ) -> tuple[float, float] | tuple[None, None]:
    """Percentile bootstrap interval of median(b) - median(a), a and b resampled
    independently (the same Rng stream: deterministic)."""
    a = [x for x in a if x is not None]
    b = [x for x in b if x is not None]
    if not a or not b:
        return None, None
    rng, na, nb = Rng(seed), len(a), len(b)
    boot = sorted(_median([b[rng.below(nb)] for _ in range(nb)]) -
                  _median([a[rng.below(na)] for _ in range(na)]) for _ in range(resamples))
    alpha = (1 - level) / 2
    return (boot[max(0, math.ceil(alpha * resamples) - 1)],
            boot[min(resamples - 1, math.ceil((1 - alpha) * resamples) - 1)])
