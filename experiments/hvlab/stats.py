"""Small statistics and the canonical JSON form every summary is written in.

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
