"""Utilisation-driven real-time task sets: UUniFast (Bini and Buttazzo, 2005).

Design: n utilisations summing to U, drawn uniformly from that simplex: u_i is what
is left times (1 - r^(1/(n-i))). Each domain is one task, served by one rtds server
on one vCPU, so no u_i may exceed 1: a draw with one above is discarded and redrawn
(UUniFast-Discard). Every draw comes from stats.Rng(seed) (splitmix64, specified in
full there), so the same seed gives the same task set on every Python and host. Budgets are whole microseconds (rtds takes µs), rounded to
nearest and at least min_budget_us, so the set's real utilisation moves from U by at
most n * 0.5 / period; taskset() reports the real one.

Limitations: periods are given (one for all domains, or one per domain), not drawn.
Discarding gets slow as U nears n (at n = 16, U = 9.6 no draw in 10,000 passes): such
sets are refused with that message (Randfixedsum would be the tool for them).
"""
from __future__ import annotations

from . import stats

MAX_DRAWS = 10_000      # UUniFast-Discard: give up (say so) rather than loop forever


class TaskSetError(ValueError):
    """No task set with these numbers (U above n, or discards never end)."""


def uniform(rng: stats.Rng) -> float:
    """A float in [0, 1) from the top 53 bits of one 64-bit draw."""
    return (rng.next64() >> 11) * (1.0 / (1 << 53))


def uunifast(n: int, total: float, rng: stats.Rng) -> list[float]:
    """n utilisations, each > 0, summing to total (up to float rounding)."""
    if n < 1:
        raise TaskSetError(f"n = {n}: need at least one task")
    out, left = [], total
    for i in range(1, n):
        nxt = left * uniform(rng) ** (1.0 / (n - i))
        out.append(left - nxt)
        left = nxt
    out.append(left)
    return out


def uunifast_discard(n: int, total: float, seed: int, cap: float = 1.0) -> list[float]:
    """uunifast() redrawn until every utilisation is at most cap."""
    if not 0 < total <= n * cap:
        raise TaskSetError(f"utilisation {total} is not in (0, {n * cap:g}]: {n} tasks "
                           f"of at most {cap:g} each")
    if total == n * cap:        # the only point of the simplex with every u_i <= cap
        return [cap] * n
    rng = stats.Rng(seed)
    for _ in range(MAX_DRAWS):
        u = uunifast(n, total, rng)
        if max(u) <= cap:
            return u
    raise TaskSetError(f"utilisation {total} over {n} tasks: no draw in {MAX_DRAWS} had "
                       f"every task at most {cap:g} (choose a lower utilisation or more "
                       "tasks)")


def taskset(periods_us: list[int], total: float, seed: int,
            min_budget_us: int = 1) -> list[dict]:
    """One dict per task: period_us, budget_us, utilisation (drawn) and
    real_utilisation (budget / period after rounding)."""
    u = uunifast_discard(len(periods_us), total, seed)
    out = []
    for p, ui in zip(periods_us, u):
        b = min(p, max(min_budget_us, round(ui * p)))
        out.append({"period_us": p, "budget_us": b, "utilisation": ui,
                    "real_utilisation": b / p})
    return out
