"""Sweep files (experiments/hvlab/sweep.py): grid, zipped and UUniFast axes expand to
the right points in the right order, each point is an ordinary experiment file; every
bad sweep is refused before anything runs, naming the file, the key and the value."""
from __future__ import annotations

import os
import tomllib

from check import REPO, check, eq, raises

from hvlab import experiment as E
from hvlab import sweep as S
from hvlab import sweep_toml

BASE = """
name = "t"
scheduler = "credit"
duration_ms = 100
[topology]
cpus = 2
[[domain]]
name = "a"
image = "cpuloop"
weight = 256
[[domain]]
name = "b"
image = "sleeper"
args = "period_us={period} work_us={budget}"
"""


def sweep(extra: str, path: str = "s.toml") -> S.Sweep:
    return S.loads(BASE + extra, path)


def test_grid_is_cartesian_first_axis_slowest():
    sw = sweep('[sweep]\n"domain.a.weight" = [128, 256, 512]\n"topology.cpus" = [1, 2]\n')
    eq(len(sw.points), 6, "3 x 2 points")
    eq([(p.params["domain.a.weight"], p.params["topology.cpus"]) for p in sw.points],
       [(128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2)], "order")
    eq([p.key for p in sw.points][:2], ["p001", "p002"], "point keys")
    eq([(p.exp.domains[0].weight, p.exp.topology.cpus) for p in sw.points][3], (256, 2),
       "p004's experiment has its values")
    eq(sw.columns, ["domain.a.weight", "topology.cpus"], "parameter columns")
    eq(sw.axes, ["domain.a.weight", "topology.cpus"], "axis labels")
    eq(len(sw.units()), 6, "one run per point (1 scheduler x 1 repetition)")


def test_domain_name_with_dots():
    sw = S.loads(BASE.replace('name = "a"', 'name = "a.x"') +
                 '[sweep]\n"domain.a.x.weight" = [128]\n', "s.toml")
    eq(sw.points[0].exp.domains[0].weight, 128, "domain.a.x.weight sets a.x's weight")


def test_zip_advances_together():
    sw = sweep('[sweep]\nscheduler = ["credit", "credit2"]\n[[sweep.zip]]\n'
               '"domain.a.vcpus" = [1, 2]\n"domain.a.memory" = [8, 16]\n')
    eq([(p.params["scheduler"], p.params["domain.a.vcpus"], p.params["domain.a.memory"])
        for p in sw.points],
       [("credit", 1, 8), ("credit", 2, 16), ("credit2", 1, 8), ("credit2", 2, 16)],
       "2 schedulers x 2 zipped pairs")
    eq([p.exp.schedulers for p in sw.points], [["credit"]] * 2 + [["credit2"]] * 2,
       "scheduler axis: one policy per point")
    eq(sw.axes, ["scheduler", "domain.a.vcpus + domain.a.memory"], "labels")


def test_every_domain_and_top_level_keys():
    sw = sweep('[sweep]\n"domain.*.memory" = [8, 12]\nduration_ms = [50]\n'
               '"trace.classes" = [["sched"], ["sched", "dom"]]\n')
    eq([[d.memory for d in p.exp.domains] for p in sw.points],
       [[8, 8], [8, 8], [12, 12], [12, 12]], "domain.* sets every domain")
    eq({p.exp.duration_ms for p in sw.points}, {50}, "a one-value axis")
    eq([p.exp.trace_classes for p in sw.points][:2], [["sched"], ["sched", "dom"]],
       "list values")


def test_scheduler_sweep_checks_params_against_all_its_policies():
    # rr has no weight: in a sweep that also runs credit, rr points leave it out.
    sw = sweep('[sweep]\nscheduler = ["rr", "credit"]\n')
    eq([p.exp.schedulers for p in sw.points], [["rr"], ["credit"]], "policies")
    cfg = E.domain_cfg(sw.points[0].exp.domains[0], "rr")
    check("weight" not in cfg, f"rr's cfg has no weight line:\n{cfg}")


def test_point_text_is_an_experiment_file():
    sw = sweep('[sweep]\n"domain.a.weight" = [300]\n')
    p = sw.points[0]
    again = E.loads(p.text, "p.toml")
    eq(again.domains[0].weight, 300, "experiment.toml of the point reloads")
    check(p.text.startswith("# s.toml, sweep point p001: domain.a.weight = 300\n"),
          f"the point's text says where it came from: {p.text[:80]!r}")
    eq(p.exp.path, "s.toml", "the point's experiment is named after the sweep file "
       "(its scenario comment: same in every runner)")


def test_rt_axis_uunifast():
    base = BASE.replace('scheduler = "credit"', 'schedulers = ["credit", "rtds"]')
    sw = S.loads(base + '[sweep.rt]\ndomains = ["a", "b"]\nutilisation = [0.4, 0.8]\n'
                 'period_us = [10000, 20000]\nseed = 7\nsets = 2\n', "s.toml")
    eq(len(sw.points), 4, "2 utilisations x 2 sets")
    eq([p.params["rt.seed"] for p in sw.points], [7, 8, 7, 8], "seeds: seed, seed + 1")
    for p in sw.points:
        u = p.params["domain.a.budget"] / 10000 + p.params["domain.b.budget"] / 20000
        check(abs(u - p.params["rt.utilisation"]) <= 0.5 / 10000 + 0.5 / 20000,
              f"{p.key}: budgets give utilisation {u}, asked {p.params['rt.utilisation']}")
        eq(p.params["rt.real_utilisation"], round(u, 6), f"{p.key}: real utilisation")
        d = p.exp.domains
        eq((d[0].period_us, d[1].period_us), (10000, 20000), f"{p.key}: periods")
        eq(d[1].args, f"period_us=20000 work_us={d[1].budget_us}",
           f"{p.key}: {{period}} and {{budget}} in args")
    # Same shape at both utilisations (same seed): the budgets scale.
    a1, a2 = sw.points[0].params["domain.a.budget"], sw.points[2].params["domain.a.budget"]
    check(abs(a2 - 2 * a1) <= 1, f"seed 7 at U=0.8 is twice U=0.4: {a1}, {a2}")


def test_shipped_sweep_loads():
    sw = S.load(os.path.join(REPO, "experiments", "smoke-sweep.toml"))
    eq([p.params for p in sw.points],
       [{"domain.hog.weight": 128}, {"domain.hog.weight": 512}], "smoke-sweep points")
    sw = S.load(os.path.join(REPO, "experiments", "rt-uunifast.toml"))
    eq(len(sw.points), 6, "rt-uunifast: 3 utilisations x 2 sets")
    p5 = sw.points[4]
    eq([d.budget_us for d in p5.exp.domains], [2226, 1722, 5052], "p005's budgets (seed 1)")
    eq(p5.exp.domains[0].args, "period_us=10000 work_us=2003 periods=19",
       "{work}: 90 % of the budget, rounded")
    eq(p5.exp.rt_params(), {1: (10_000_000, 2_226_000), 2: (10_000_000, 1_722_000),
                            3: (10_000_000, 5_052_000)}, "the analysis sees the servers")


def test_toml_writer_round_trips_shipped_experiments():
    for fn in sorted(os.listdir(os.path.join(REPO, "experiments"))):
        if fn.endswith(".toml"):
            with open(os.path.join(REPO, "experiments", fn), "rb") as f:
                doc = tomllib.load(f)
            eq(tomllib.loads(sweep_toml.dumps(doc)), doc, f"{fn}: dumps then loads")
    odd = {"s": 'q"uo\\te\nnl é', "f": 1e-7, "g": 2.0, "n": [[1, 2], []],
           "t": {"weird key": True}, "arr": [{"x": 1}, {"x": 2, "sub": {"y": "z"}}]}
    eq(tomllib.loads(sweep_toml.dumps(odd)), odd, "escapes, floats, nesting")


# (name, [sweep] text, phrases the message must contain)
BAD = [
    ("unknown top key", '[sweep]\nrepetitions = [1, 2]\n',
     ('s.toml: sweep.repetitions: unknown key', "domain.NAME.KEY")),
    ("unknown section key", '[sweep]\n"topology.sockets" = [1]\n',
     ('sweep."topology.sockets": unknown key (known in [topology]: cpus',)),
    ("unknown domain", '[sweep]\n"domain.zz.weight" = [1]\n',
     ("sweep.\"domain.zz.weight\": no [[domain]] named 'zz' (domains: a, b)",)),
    ("empty list", '[sweep]\n"domain.a.weight" = []\n',
     ('sweep."domain.a.weight": empty list',)),
    ("not a list", '[sweep]\n"domain.a.weight" = 5\n',
     ('sweep."domain.a.weight": expected a list of values, got int 5',)),
    ("zip lengths", '[[sweep.zip]]\n"domain.a.weight" = [1, 2]\n"domain.a.cap" = [1]\n',
     ('sweep.zip[0]."domain.a.cap": 1 values, but "domain.a.weight" has 2',)),
    ("swept twice", '[sweep]\n"domain.a.weight" = [1]\n[[sweep.zip]]\n'
     '"domain.a.weight" = [2]\n', ("is already swept by sweep.\"domain.a.weight\"",)),
    ("too many points", '[sweep]\nmax_points = 4\n"domain.a.weight" = [1, 2, 3]\n'
     '"topology.cpus" = [1, 2]\n', ("6 points (3 x 2) exceed sweep.max_points = 4",)),
    ("point fails validation", '[sweep]\n"domain.a.weight" = [256, 0]\n',
     ('s.toml: point p002 (sweep."domain.a.weight" = 0): domain[0].weight: 0 is out '
      'of range',)),
    ("bad cpus for a point", '[sweep]\n"topology.cpus" = [3]\n"topology.nodes" = [2]\n',
     ("point p001", "topology.nodes: 2 does not divide cpus = 3")),
    ("nan", '[sweep]\nduration_ms = [nan]\n', ("point p001: nan has no TOML spelling",)),
    ("dotted domain name", '[sweep]\n"domain.a.b.weight" = [1]\n',
     ("no [[domain]] named 'a.b'",)),
    ("no axes", '[sweep]\nmax_points = 3\n', ("sweep: no axes",)),
    ("schedulers", '[sweep]\nschedulers = [["rr"]]\n', ("sweep 'scheduler'",)),
    ("rt: U above n", '[sweep.rt]\ndomains = ["a", "b"]\nutilisation = [2.5]\n'
     'period_us = 1000\n', ("sweep.rt.utilisation: 2.5", "is not in (0, 2]")),
    ("rt: unknown domain", '[sweep.rt]\ndomains = ["a", "q"]\nutilisation = [0.5]\n'
     'period_us = 1000\n', ("sweep.rt.domains: no [[domain]] named 'q'",)),
    ("rt: period count", '[sweep.rt]\ndomains = ["a", "b"]\nutilisation = [0.5]\n'
     'period_us = [1000]\n', ("sweep.rt.period_us: expected an integer (µs, every domain) "
                             "or a list of 2",)),
    ("rt: unknown key", '[sweep.rt]\ndomains = ["a"]\nutilisation = [0.5]\n'
     'period_us = 1000\nperiods = 3\n', ("sweep.rt.periods: unknown key",)),
]


def _bad_case(name, text, phrases):
    def t():
        raises(S.SweepError, lambda: sweep(text), name, contains=phrases)
    t.__name__ = "bad_" + name.replace(" ", "_").replace(":", "")
    return t


CASES = [_bad_case(*c) for c in BAD]


def test_no_sweep_table():
    raises(S.SweepError, lambda: S.loads(BASE, "x.toml"), "no [sweep]",
           contains=("x.toml: no [sweep] table",))


def test_all_problems_at_once():
    e = raises(S.SweepError, lambda: sweep('[sweep]\n"domain.zz.weight" = [1]\n'
                                           '"topology.cpus" = []\n'), "two problems")
    eq(len(str(e).splitlines()), 2, f"one line per problem: {e}")


def test_hvlab_run_points_to_sweep():
    raises(E.ExperimentError, lambda: E.loads(BASE + '[sweep]\nduration_ms = [1]\n', "s.toml"),
           "a sweep file given to hvlab run", contains=(
               "s.toml: sweep: a sweep file: run it with `hvlab sweep`",))


def test_broken_base_file_is_reported_not_a_traceback():
    head = 'name = "x"\nscheduler = "rr"\nduration_ms = 1\n'
    for text, phrase in (
            (head + 'topology = 5\n[sweep]\n"topology.cpus" = [1]\n',
             "topology: expected a table"),
            (head + 'domain = 3\n[sweep]\n"domain.*.memory" = [1]\n',
             "domain: expected [[domain]] tables"),
            (head + '[sweep]\n"domain.*.memory" = [1]\n', "domain: missing")):
        raises(S.SweepError, lambda: S.loads(text, "q.toml"), phrase, contains=(phrase,))
