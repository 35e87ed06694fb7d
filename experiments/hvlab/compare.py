"""hvlab compare A B: per-metric differences between two results folders.

Design: each folder's samples.csv (one row per run x metric, samples.py) is grouped
by policy; for every policy and metric both folders have, the report gives A's and
B's median [95 % CI], the difference of the medians B - A with its own 95 %
bootstrap interval (A and B resampled independently, fixed seed:
stats.bootstrap_diff_ci), and whether that interval excludes 0.

Before comparing, the two meta.json files are checked: a different commit,
uncommitted changes in one tree and not the other (or different ones; regenerated
results/ do not count), a different QEMU version, different images or different
experiment inputs (the experiment file's text; the keys that differ are named) make
the numbers incomparable for a reason other than the one under study. compare then
refuses (CompareRefused, exit status 2) unless --force, which goes on and puts every
mismatch at the top of the report as a WARNING.

Limitations: runs that failed are not in samples.csv, so they are not compared; a
results folder made before samples.csv existed needs `hvlab report DIR` first.
"""
from __future__ import annotations

import json
import os
import sys
import tomllib

from . import stats


class CompareError(Exception):
    """A folder cannot be compared (not a results folder, no samples.csv, ...)."""


class CompareRefused(CompareError):
    """The folders were made from different commits, QEMU versions or inputs."""


def _load(folder: str) -> tuple[dict, list[dict]]:
    mpath = os.path.join(folder, "meta.json")
    spath = os.path.join(folder, "samples.csv")
    if not os.path.isdir(folder):
        raise CompareError(f"{folder}: no such folder")
    try:
        with open(mpath) as f:
            meta = json.load(f)
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        raise CompareError(f"{mpath}: missing: not a results folder of `hvlab run`") from None
    except ValueError as e:
        raise CompareError(f"{mpath}: not valid JSON ({e})") from None
    if not os.path.exists(spath):
        raise CompareError(f"{spath}: missing (a results folder from before samples.csv: "
                           f"run `./hvlab report {folder}` first)")
    try:
        rows = stats.read_long_csv(spath)
    except ValueError as e:
        raise CompareError(str(e)) from None
    return meta, rows


def _flat(d, prefix="") -> dict:
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}{k}."))
    elif isinstance(d, list) and d and all(isinstance(x, dict) for x in d):
        for i, v in enumerate(d):
            out.update(_flat(v, f"{prefix[:-1]}[{i}]."))
    else:
        out[prefix[:-1]] = d
    return out


def input_differences(text_a: str, text_b: str) -> list[str]:
    """The dotted keys whose values differ between two experiment files."""
    try:
        a, b = _flat(tomllib.loads(text_a)), _flat(tomllib.loads(text_b))
    except tomllib.TOMLDecodeError:
        return ["the experiment files differ (one does not parse)"] if text_a != text_b else []
    out = []
    for k in sorted(set(a) | set(b)):
        if a.get(k, "<absent>") != b.get(k, "<absent>"):
            out.append(f"{k}: {a.get(k, '<absent>')!r} vs {b.get(k, '<absent>')!r}")
    if not out and text_a != text_b:
        out.append("the experiment files differ only in comments or layout")
    return out


def mismatches(ma: dict, mb: dict) -> list[str]:
    """Why the two folders' numbers may differ for reasons other than chance."""
    def g(m, *ks):
        return _get(m, ks)
    out = []
    ca, cb = g(ma, "git", "commit"), g(mb, "git", "commit")
    if ca != cb:
        out.append(f"different commits: A {ca}, B {cb}")
    # Uncommitted changes make the numbers incomparable only when the trees differ by
    # them: one folder made with changes and the other without, or different changes
    # (meta.json's digest of the diff; a folder without one never matches).
    diff = {n: (g(m, "git", "diff_sha256") or f"unknown {n}") if g(m, "git", "dirty")
            else None for n, m in (("A", ma), ("B", mb))}
    if diff["A"] != diff["B"]:
        for name, m in (("A", ma), ("B", mb)):
            if diff[name]:
                out.append(f"{name} was made from a tree with uncommitted changes "
                           f"(commit {g(m, 'git', 'commit')}) that the other lacks")
    qa, qb = g(ma, "qemu", "version"), g(mb, "qemu", "version")
    if qa != qb:
        out.append(f"different QEMU versions: A {qa!r}, B {qb!r}")
    ia, ib = g(ma, "images") or {}, g(mb, "images") or {}
    for k in sorted(set(ia) | set(ib)):
        if ia.get(k) != ib.get(k):
            out.append(f"different image {k}: A {str(ia.get(k))[:12]}, B {str(ib.get(k))[:12]}")
    ta, tb = g(ma, "experiment", "text"), g(mb, "experiment", "text")
    if ta is None or tb is None:
        out.append("a meta.json has no experiment text: inputs cannot be checked")
    elif ta != tb:
        out += [f"different experiment inputs: {d}" for d in input_differences(ta, tb)]
    return out


def _get(m, keys):
    for k in keys:
        if not isinstance(m, dict):
            return None
        m = m.get(k)
    return m


def compare(a_dir: str, b_dir: str, force: bool = False) -> tuple[str, list[list], list[str]]:
    """(markdown report, CSV rows, warnings). Raises CompareRefused on mismatching
    folders unless force."""
    ma, ra = _load(a_dir)
    mb, rb = _load(b_dir)
    warn = mismatches(ma, mb)
    if warn and not force:
        raise CompareRefused(
            f"{a_dir} and {b_dir} were not made from the same commit, QEMU and inputs:\n"
            + "\n".join(f"  - {w}" for w in warn)
            + "\ntheir differences would mix these changes with chance; --force compares "
              "them anyway (with these warnings in the report)")
    by = group_columns(ra, rb)
    sa, sb = stats.summarize_long(ra, by), stats.summarize_long(rb, by)
    va, vb = _values(ra, by), _values(rb, by)
    pairs = [(g, g) for g in sa if g in sb]
    note = None
    if not pairs and len(sa) == 1 and len(sb) == 1:
        (ga,), (gb,) = sa, sb
        pairs = [(ga, gb)]
        note = f"no configuration in common: A's {'/'.join(ga)} is compared with B's " \
               f"{'/'.join(gb)}"
    L = [f"# Comparison: {os.path.basename(os.path.normpath(b_dir))} vs "
         f"{os.path.basename(os.path.normpath(a_dir))}", "",
         f"A: `{a_dir}` (commit {str(_get(ma, ('git', 'commit')))[:12]}); "
         f"B: `{b_dir}` (commit {str(_get(mb, ('git', 'commit')))[:12]}).", ""]
    if warn:
        L += ["**WARNING: these folders are not comparable as they stand (compared with "
              "--force):**", ""] + [f"- **{w}**" for w in warn] + [""]
    if note:
        L += [f"Note: {note}.", ""]
    L += ["Per configuration (policy, and any swept parameter) and metric: the median over repetitions with its 95 % bootstrap "
          "interval, for A and for B; the difference of the medians B - A with its 95 % "
          "bootstrap interval (A and B resampled independently, fixed seed), and the "
          "relative difference. **yes** in the last column: the interval of the "
          "difference excludes 0.", ""]
    rows_csv = []
    for ga, gb in pairs:
        common = [m for m in sa[ga] if m in sb[gb]]
        only = sorted(set(sa[ga]) ^ set(sb[gb]))
        label = "/".join(ga) if ga == gb else f"{'/'.join(ga)} vs {'/'.join(gb)}"
        L += [f"## {label}", "",
              "| metric | A | B | B - A [95 % CI] | relative | differs |",
              "|---|---|---|---|---|---|"]
        for m in common:
            a, b = sa[ga][m], sb[gb][m]
            lo, hi = stats.bootstrap_diff_ci(va[ga][m], vb[gb][m])
            d = None if a["median"] is None or b["median"] is None else b["median"] - a["median"]
            rel = d / a["median"] if d is not None and a["median"] else None
            sig = lo is not None and (lo > 0 or hi < 0)
            rows_csv.append([label, m, a["n"], a["median"], a["ci_lo"], a["ci_hi"], b["n"],
                             b["median"], b["ci_lo"], b["ci_hi"], d, lo, hi, rel, int(sig)])
            L.append(f"| `{m}` | {_cell(a)} | {_cell(b)} | {_num(d)} [{_num(lo)}, {_num(hi)}] "
                     f"| {'–' if rel is None else f'{rel * 100:+.1f} %'} | "
                     f"{'**yes**' if sig else 'no'} |")
        L.append("")
        if only:
            L += [f"Metrics in only one folder: {', '.join(f'`{m}`' for m in only)}.", ""]
    if not pairs:
        L += ["No configuration in common: nothing to compare (A has "
              f"{', '.join('/'.join(g) for g in sa) or 'none'}, B has "
              f"{', '.join('/'.join(g) for g in sb) or 'none'}).", ""]
    return "\n".join(L) + "\n", rows_csv, warn


CSV_HEADER = ["configuration", "metric", "a_n", "a_median", "a_ci_lo", "a_ci_hi", "b_n", "b_median",
              "b_ci_lo", "b_ci_hi", "diff", "diff_ci_lo", "diff_ci_hi", "relative",
              "differs"]


# Columns that tell samples of one configuration apart, not configurations.
SAMPLE_COLUMNS = ("run", "rep", "seed", "metric", "value")


def group_columns(*row_lists) -> tuple[str, ...]:
    """The configuration's parameter columns (scheduler and any swept key): samples
    are grouped by them, so one sweep point is compared with the same point."""
    cols: list[str] = []
    for rows in row_lists:
        for r in rows[:1]:
            cols += [k for k in r if k not in SAMPLE_COLUMNS and k not in cols]
    return tuple(cols) or ("scheduler",)


def _values(rows, by):
    out: dict = {}
    for r in rows:
        out.setdefault(tuple(str(r.get(k, "")) for k in by), {}) \
            .setdefault(r["metric"], []).append(r["value"])
    return out


def _num(x) -> str:
    if x is None:
        return "–"
    return f"{x:,.4g}" if isinstance(x, float) and not float(x).is_integer() else f"{int(x):,}"


def _cell(s) -> str:
    if not s["n"]:
        return "–"
    return f"{_num(s['median'])} [{_num(s['ci_lo'])}, {_num(s['ci_hi'])}] (n={s['n']})"


def write(a_dir: str, b_dir: str, out_dir: str | None, force: bool, log=print) -> int:
    """hvlab compare: the report to out_dir (compare.md, compare.csv) or stdout; the
    warnings of --force on standard error."""
    text, rows, warn = compare(a_dir, b_dir, force)
    for w in warn:
        print(f"WARNING: {w}", file=sys.stderr)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "compare.md"), "w") as f:
            f.write(text)
        stats.write_csv(os.path.join(out_dir, "compare.csv"), CSV_HEADER, rows)
        log(f"wrote {os.path.join(out_dir, 'compare.md')} and compare.csv "
            f"({len(rows)} metric comparisons)")
    else:
        print(text, end="")
    return 0
