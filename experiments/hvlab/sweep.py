"""Parameter sweeps: an experiment file with a [sweep] table -> one experiment per point.

Design: the [sweep] table names axes; the points are their cartesian product (first
axis slowest). An axis is
  - one key with a list of values:   "domain.hog1.weight" = [256, 512, 1024]
  - a [[sweep.zip]] table: several keys whose lists advance together (equal lengths)
  - a [sweep.rt] table: UUniFast real-time task sets (sweep_uunifast.py), one per
    utilisation (x sets), giving period and budget to each listed domain.
A key is a dotted path into the experiment file: a top-level key (scheduler,
duration_ms, mode, timeout_s), topology.K, trace.K, analysis.K, samples.K, or
domain.NAME.K /
domain.*.K for one or every [[domain]] (K: any domain key or scheduler parameter).
Each point is the file with its values set, written back as TOML (sweep_toml.py) and
checked by experiment.loads() like any experiment file; every problem of every point
is reported, naming the file, the sweep key and the value, before anything runs.
Running them is sweep_run.py (local) and sweep_slurm.py (a Slurm job array).

Limitations: keys inside lists (topology.distances[0]) are set whole, not element by
element; repetitions, name and the domain list itself cannot be swept.
"""
from __future__ import annotations

import dataclasses
import copy
import itertools
import os
import re
import stat
import tomllib

from . import experiment as E
from . import sweep_toml
from . import sweep_uunifast as U

DEFAULT_MAX_POINTS = 256
SWEEP_KEYS = ("max_points", "zip", "rt")
RT_KEYS = ("domains", "utilisation", "period_us", "seed", "sets", "min_budget_us",
           "work_fraction")
TOP_SWEEPABLE = ("scheduler", "mode", "duration_ms", "timeout_s", "dom0_commands")
SECTIONS = {"topology": E.TOPO_KEYS, "trace": E.TRACE_KEYS, "analysis": E.ANALYSIS_KEYS,
            "samples": E.SAMPLES_KEYS}
_DOMKEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_ERRORS_SHOWN = 30


class SweepError(E.ExperimentError):
    """Every problem found in a sweep file (or its points), one per line."""


@dataclasses.dataclass
class Point:
    index: int              # 1-based, in expansion order
    key: str                # "p001": its folder under points/
    params: dict            # column -> value, what the CSV and report show
    text: str               # its experiment.toml
    exp: E.Experiment


@dataclasses.dataclass
class Sweep:
    path: str
    text: str
    name: str
    axes: list[str]         # one label per axis, for the report
    points: list[Point]

    @property
    def columns(self) -> list[str]:
        """The parameter columns, in first-seen order."""
        cols: dict[str, None] = {}
        for p in self.points:
            cols.update(dict.fromkeys(p.params))
        return list(cols)

    def units(self) -> list[tuple[Point, E.Config]]:
        """Every run of the sweep (point x scheduler x repetition), in a fixed order:
        index i is Slurm array task i."""
        return [(p, c) for p in self.points for c in p.exp.configs()]


def _show(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else f'"{k}"'


def _shown_value(v) -> str:
    try:
        r = sweep_toml.value(v)
    except sweep_toml.TomlWriteError:       # nan, a date: shown, refused elsewhere
        r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def _domain_key(k: str) -> tuple[str, str] | None:
    """"domain.NAME.KEY" -> (NAME, KEY); a domain name may itself contain dots."""
    parts = k.split(".")
    if parts[0] == "domain" and len(parts) >= 3:
        return ".".join(parts[1:-1]), parts[-1]
    return None


class _Setter:
    """Resolves sweep keys against the base document and sets them in a copy."""

    def __init__(self, base: dict):
        self.base = base
        doms = base.get("domain")
        self.domains = [d.get("name") for d in doms] if isinstance(doms, list) and \
            all(isinstance(d, dict) for d in doms) else []

    def resolve(self, k: str) -> str | None:
        """Why k is not a sweepable key, or None."""
        parts = k.split(".")
        if len(parts) == 1:
            if k in TOP_SWEEPABLE:
                return None
            if k == "schedulers":
                return "sweep 'scheduler' (one policy per point) instead of 'schedulers'"
            return (f"unknown key (known: {', '.join(TOP_SWEEPABLE)}, "
                    f"{', '.join(f'{s}.KEY' for s in SECTIONS)}, domain.NAME.KEY, "
                    "domain.*.KEY)")
        if parts[0] in SECTIONS and len(parts) == 2:
            if parts[1] in SECTIONS[parts[0]]:
                return None
            return f"unknown key (known in [{parts[0]}]: {', '.join(SECTIONS[parts[0]])})"
        if _domain_key(k):
            name, dk = _domain_key(k)
            if name != "*" and name not in self.domains:
                return (f"no [[domain]] named {name!r} (domains: "
                        f"{', '.join(map(str, self.domains)) or 'none'})")
            if dk == "name" or not _DOMKEY.fullmatch(dk):
                return f"{dk!r} cannot be swept (domain keys: any but name)"
            return None
        return ("unknown key: expected KEY, topology.KEY, trace.KEY, analysis.KEY or "
                "domain.NAME.KEY")

    def targets(self, k: str) -> list[str]:
        """The dotted keys experiment.loads() reports for k (domain[1].weight, ...)."""
        if _domain_key(k):
            name, dk = _domain_key(k)
            return [f"domain[{i}].{dk}" for i, n in enumerate(self.domains)
                    if name in ("*", n)]
        if k == "scheduler":
            return ["scheduler", "schedulers"]
        return [k]

    @staticmethod
    def set(doc: dict, k: str, v) -> None:
        parts = k.split(".")
        if k == "scheduler":
            doc.pop("schedulers", None)
            doc["scheduler"] = v
        elif len(parts) == 1:
            doc[k] = v
        elif _domain_key(k):
            name, dk = _domain_key(k)
            doms = doc.get("domain")
            for d in doms if isinstance(doms, list) else []:
                if isinstance(d, dict) and name in ("*", d.get("name")):
                    d[dk] = v
        elif isinstance(doc.setdefault(parts[0], {}), dict):
            doc[parts[0]][parts[1]] = v     # (a table that is not one: loads() says so)


def _axis_list(errs: list[str], where: str, v) -> list | None:
    if not isinstance(v, list):
        errs.append(f"{where}: expected a list of values, got {type(v).__name__} "
                    f"{_shown_value(v)}")
        return None
    if not v:
        errs.append(f"{where}: empty list: give at least one value")
        return None
    return v


def _rt_axis(errs: list[str], path: str, t, setter: _Setter) -> list[dict] | None:
    """[sweep.rt] -> a list of {key: value} assignments (one per task set)."""
    w = f"{path}: sweep.rt"
    if not isinstance(t, dict):
        errs.append(f"{w}: expected a table ([sweep.rt])")
        return None
    bad = [k for k in t if k not in RT_KEYS]
    for k in bad:
        errs.append(f"{w}.{_show(k)}: unknown key (known: {', '.join(RT_KEYS)})")
    doms = t.get("domains")
    n0 = len(errs)
    if not isinstance(doms, list) or not doms or not all(isinstance(d, str) for d in doms):
        errs.append(f"{w}.domains: expected a non-empty list of [[domain]] names, got "
                    f"{_shown_value(doms)}")
    else:
        for d in doms:
            if d not in setter.domains:
                errs.append(f"{w}.domains: no [[domain]] named {d!r} (domains: "
                            f"{', '.join(map(str, setter.domains))})")
        if len(set(doms)) != len(doms):
            errs.append(f"{w}.domains: a domain is listed twice: {doms}")
    utils = _axis_list(errs, f"{w}.utilisation", t.get("utilisation"))
    for u in utils or []:
        if isinstance(u, bool) or not isinstance(u, (int, float)) or not 0 < u <= 64:
            errs.append(f"{w}.utilisation: {_shown_value(u)} is not a utilisation "
                        "(a number > 0, the sum over the domains: 0.5 = half a pCPU)")
    per = t.get("period_us")
    nd = len(doms) if isinstance(doms, list) else 0
    if isinstance(per, int) and not isinstance(per, bool):
        periods = [per] * nd
    elif isinstance(per, list) and len(per) == nd:
        periods = per
    else:
        errs.append(f"{w}.period_us: expected an integer (µs, every domain) or a list "
                    f"of {nd} (one per domain), got {_shown_value(per)}")
        periods = []
    for p in periods:
        if type(p) is not int or p < 1:
            errs.append(f"{w}.period_us: {_shown_value(p)} is not a period in µs (>= 1)")
    ints = {}
    for k, default, lo in (("seed", 1, 0), ("sets", 1, 1), ("min_budget_us", 1, 1)):
        v = t.get(k, default)
        if type(v) is not int or v < lo:
            errs.append(f"{w}.{k}: expected an integer >= {lo}, got {_shown_value(v)}")
        ints[k] = v
    wf = t.get("work_fraction", 1.0)
    if isinstance(wf, bool) or not isinstance(wf, (int, float)) or not 0 < wf <= 1:
        errs.append(f"{w}.work_fraction: expected a number in (0, 1], got "
                    f"{_shown_value(wf)}")
    if len(errs) > n0:
        return None
    out, works = [], {}
    for u in utils:
        for s in range(ints["sets"]):
            seed = ints["seed"] + s
            try:
                ts = U.taskset(periods, float(u), seed, ints["min_budget_us"])
            except U.TaskSetError as e:
                errs.append(f"{w}.utilisation: {u}: {e}")
                return None
            a = {"rt.utilisation": u, "rt.seed": seed,
                 "rt.real_utilisation": round(sum(x["real_utilisation"] for x in ts), 6)}
            for d, x in zip(doms, ts):
                a[f"domain.{d}.period"] = x["period_us"]
                a[f"domain.{d}.budget"] = x["budget_us"]
                works[(len(out), d)] = max(1, round(x["budget_us"] * wf))
            a["rt.work"] = {d: works[(len(out), d)] for d in doms}
            out.append(a)
    return out


def _axes(errs: list[str], path: str, sw: dict, setter: _Setter):
    """-> (labels, axes): each axis a list of assignments {key: value}."""
    labels, axes, seen = [], [], {}

    def claim(k: str, where: str) -> bool:
        if k in seen:
            errs.append(f"{where}: {k!r} is already swept by {seen[k]}")
            return False
        why = setter.resolve(k)
        if why:
            errs.append(f"{where}: {why}")
            return False
        seen[k] = where.split(": ", 1)[1]
        return True

    for k, v in sw.items():
        if k in SWEEP_KEYS:
            continue
        where = f"{path}: sweep.{_show(k)}"
        vals = _axis_list(errs, where, v)
        if claim(k, where) and vals is not None:
            labels.append(k)
            axes.append([{k: x} for x in vals])
    zips = sw.get("zip", [])
    if isinstance(zips, dict):
        zips = [zips]
    if not isinstance(zips, list) or not all(isinstance(z, dict) for z in zips):
        errs.append(f"{path}: sweep.zip: expected [[sweep.zip]] tables of key = [values]")
        zips = []
    for i, z in enumerate(zips):
        lists, n = {}, None
        if not z:
            errs.append(f"{path}: sweep.zip[{i}]: empty table: give keys with lists")
        for k, v in z.items():
            where = f"{path}: sweep.zip[{i}].{_show(k)}"
            vals = _axis_list(errs, where, v)
            if claim(k, where) and vals is not None:
                if n is not None and len(vals) != n:
                    errs.append(f"{where}: {len(vals)} values, but "
                                f"{_show(next(iter(lists)))} has {n}: zipped lists "
                                "advance together and need equal lengths")
                    continue
                n = len(vals)
                lists[k] = vals
        if lists and n:
            labels.append(" + ".join(lists))
            axes.append([{k: vs[j] for k, vs in lists.items()} for j in range(n)])
    if "rt" in sw:
        rt = sw["rt"]
        ks = []
        if isinstance(rt, dict) and isinstance(rt.get("domains"), list):
            ks = [f"domain.{d}.{p}" for d in rt["domains"] if d in setter.domains
                  for p in ("period", "budget")]     # _rt_axis reports the others
        if all(claim(k, f"{path}: sweep.rt") for k in ks):
            a = _rt_axis(errs, path, rt, setter)
            if a is not None:
                labels.append("rt (UUniFast)")
                axes.append(a)
    return labels, axes


def _subst_rt_args(doc: dict, assign: dict) -> None:
    """{period}, {budget} and {work} (budget x work_fraction) in a real-time domain's
    args: its drawn values, in µs."""
    work = assign.get("rt.work", {})
    doms = doc.get("domain")
    for d in doms if isinstance(doms, list) else []:
        n = d.get("name") if isinstance(d, dict) else None
        if n in work and isinstance(d.get("args"), str):
            d["args"] = (d["args"].replace("{period}", str(assign[f"domain.{n}.period"]))
                         .replace("{budget}", str(assign[f"domain.{n}.budget"]))
                         .replace("{work}", str(work[n])))


def _point_errors(path: str, key: str, assign: dict, setter: _Setter,
                  e: E.ExperimentError, shown_path: str) -> list[str]:
    """experiment.loads()'s lines for one point, blamed on the sweep key they concern."""
    out = []
    for line in str(e).splitlines():
        rest = line[len(shown_path) + 2:] if line.startswith(shown_path + ": ") else line
        blame = None
        for k, v in assign.items():
            if not k.startswith("rt.") and any(re.match(re.escape(t) + r"\b", rest)
                                               for t in setter.targets(k)):
                blame = f"sweep.{_show(k)} = {_shown_value(v)}"
                break
        if blame is None:
            blame = ", ".join(f"{_show(k)} = {_shown_value(v)}" for k, v in assign.items()
                              ) or "no sweep keys"
        out.append(f"{path}: point {key} ({blame}): {rest}")
    return out


def loads(text: str, path: str = "<sweep>") -> Sweep:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SweepError(f"{path}: TOML syntax: {e}") from None
    except RecursionError:
        raise SweepError(f"{path}: arrays or tables nested too deep") from None
    sw = doc.pop("sweep", None)
    if sw is None:
        raise SweepError(f"{path}: no [sweep] table: nothing to sweep (use `hvlab run` "
                         "for a single experiment; docs/sweeps.md)")
    if not isinstance(sw, dict):
        raise SweepError(f"{path}: sweep: expected a table ([sweep])")
    errs: list[str] = []
    maxp = sw.get("max_points", DEFAULT_MAX_POINTS)
    if type(maxp) is not int or maxp < 1:
        errs.append(f"{path}: sweep.max_points: expected an integer >= 1, got "
                    f"{_shown_value(maxp)}")
        maxp = DEFAULT_MAX_POINTS
    setter = _Setter(doc)
    labels, axes = _axes(errs, path, sw, setter)
    if not axes and not errs:
        errs.append(f"{path}: sweep: no axes: give KEY = [values], [[sweep.zip]] or "
                    "[sweep.rt]")
    if errs:
        raise SweepError("\n".join(errs))
    count = 1
    for a in axes:
        count *= len(a)
    if count > maxp:
        raise SweepError(f"{path}: sweep: {count} points "
                         f"({' x '.join(str(len(a)) for a in axes)}) exceed "
                         f"sweep.max_points = {maxp}: raise sweep.max_points in the file "
                         "if you mean it")
    combos = [{k: v for part in c for k, v in part.items()}
              for c in itertools.product(*axes)]
    # Scheduler parameters are checked against every policy the sweep runs (a weight is
    # fine in an rr point of a sweep that also runs credit: rr leaves it out).
    policies = list(dict.fromkeys(
        [a["scheduler"] for a in combos if isinstance(a.get("scheduler"), str)]))
    width = max(3, len(str(len(combos))))
    points = []
    for i, assign in enumerate(combos, 1):
        key = f"p{i:0{width}d}"
        pdoc = copy.deepcopy(doc)
        for k, v in assign.items():
            if not k.startswith("rt."):
                setter.set(pdoc, k, v)
        _subst_rt_args(pdoc, assign)
        assign.pop("rt.work", None)     # in the args now; the columns have the budgets
        try:
            ptext = (f"# {os.path.basename(path)}, sweep point {key}: "
                     + ", ".join(f"{k} = {_shown_value(v)}" for k, v in assign.items())
                     + "\n" + sweep_toml.dumps(pdoc))
        except sweep_toml.TomlWriteError as e:
            errs.append(f"{path}: point {key}: {e}")
            continue
        shown = f"{path} ({key})"
        try:
            if policies:
                vdoc = copy.deepcopy(pdoc)
                vdoc.pop("scheduler", None)
                vdoc["schedulers"] = policies
                E.loads(sweep_toml.dumps(vdoc), shown)
                exp = E.loads(ptext, shown, check_params=False)
            else:
                exp = E.loads(ptext, shown)
        except E.ExperimentError as e:
            errs += _point_errors(path, key, assign, setter, e, shown)
            continue
        exp.path = path
        points.append(Point(i, key, dict(assign), ptext, exp))
    if errs:
        errs = list(dict.fromkeys(errs))
        more = len(errs) - MAX_ERRORS_SHOWN
        raise SweepError("\n".join(errs[:MAX_ERRORS_SHOWN])
                         + (f"\n... and {more} more problems" if more > 0 else ""))
    return Sweep(path, text, points[0].exp.name, labels, points)


def load(path: str) -> Sweep:
    try:
        with open(path, encoding="utf-8") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise SweepError(f"{path}: not a regular file")
            text = f.read()
    except OSError as e:
        raise SweepError(f"{path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise SweepError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    return loads(text, path)
