"""UUniFast task sets (experiments/hvlab/sweep_uunifast.py): utilisations sum to U,
each in (0, 1]; a seed always gives the same set (pinned values: a change of the
generator shows here, not as silently different experiments); the draws are uniform
on the simplex (each task's mean is U/n); impossible requests are refused."""
from __future__ import annotations

from check import check, eq, near, raises

from hvlab import sweep_uunifast as U


def test_sums_and_bounds():
    bad = []
    for n in (1, 2, 3, 5, 8, 16):
        for total in (0.05, 0.5, 0.99, min(n * 0.5, 3.0), float(n)):
            for seed in range(25):
                u = U.uunifast_discard(n, total, seed)
                if len(u) != n or abs(sum(u) - total) > 1e-9 or \
                        not all(0 < x <= 1 for x in u):
                    bad.append((n, total, seed, u))
    eq(bad, [], "every set: n values in (0, 1] summing to U (1e-9)")


def test_deterministic_and_pinned():
    a = U.uunifast_discard(3, 0.9, 1)
    eq(U.uunifast_discard(3, 0.9, 1), a, "same seed, same set")
    check(U.uunifast_discard(3, 0.9, 2) != a, "another seed, another set")
    eq([round(x, 12) for x in a], [0.222567438124, 0.172215715453, 0.505216846423],
       "seed 1, n 3, U 0.9 (splitmix64 from stats.Rng)")
    eq([(t["period_us"], t["budget_us"]) for t in U.taskset([10000, 20000, 40000], 0.9, 1)],
       [(10000, 2226), (20000, 3444), (40000, 20209)], "its task set, budgets in µs")


def test_uniform_on_the_simplex():
    n, total, draws = 4, 2.0, 4000
    sums = [0.0] * n
    for seed in range(draws):
        for i, x in enumerate(U.uunifast(n, total, U.stats.Rng(seed))):
            sums[i] += x
    for i in range(n):
        near(sums[i] / draws, total / n, 0.05, f"mean utilisation of task {i}")


def test_budgets_rounded_and_bounded():
    ts = U.taskset([1000] * 5, 0.01, 3, min_budget_us=1)
    check(all(t["budget_us"] >= 1 for t in ts), f"at least min_budget_us: {ts}")
    real = sum(t["real_utilisation"] for t in ts)
    check(abs(real - 0.01) <= 5 * 0.5 / 1000 + 1e-12, f"real U {real} within n*0.5/period")
    ts = U.taskset([100, 100], 2.0, 1)
    eq([t["budget_us"] for t in ts], [100, 100], "U = n: every budget its period")


CASES_BAD = [
    ("U above n", lambda: U.uunifast_discard(2, 2.5, 1), "is not in (0, 2]"),
    ("U zero", lambda: U.uunifast_discard(2, 0, 1), "is not in (0, 2]"),
    ("discards never end", lambda: U.uunifast_discard(16, 15.9, 1),
     "no draw in 10000 had every task at most 1"),
    ("no tasks", lambda: U.uunifast(0, 0.5, U.stats.Rng(1)), "need at least one task"),
]


def _bad(name, fn, phrase):
    def t():
        raises(U.TaskSetError, fn, name, contains=(phrase,))
    t.__name__ = "bad_" + name.replace(" ", "_")
    return t


CASES = [_bad(*c) for c in CASES_BAD]
