"""A sweep's summary: report.md and points.csv from the gathered long-format rows.

Design: one row per point and policy, the swept parameters first, then how many runs
succeeded and, for the headline metrics, the median over the repetitions with its
95 % bootstrap interval (stats.summarize). Each point's full report is its own
points/<key>/report.md (report.py), linked from here. Problems of failed runs are
listed with the run they belong to.

Limitations: no plots across points (the CSV is long-format for that: any plotting
tool can pivot it on the parameter columns).
"""
from __future__ import annotations

import os
import re

from . import stats

# The report's columns, in this order: real-time misses, shares, then latency and
# switching of the whole run (samples.run_metrics' names; every metric is in
# samples.csv).
HEADLINE = (re.compile(r"rt\.[^.]+\.short_fraction"),
            re.compile(r"cpu_share\.[^.]+\.share_of_machine"),
            re.compile(r"wake_latency_ns\.p99"), re.compile(r"context_switches_per_s"))
MAX_METRIC_COLUMNS = 10


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _headline(rows: list[dict]) -> list[str]:
    seen = dict.fromkeys(r["metric"] for r in rows)
    return [m for h in HEADLINE for m in seen if h.fullmatch(m)][:MAX_METRIC_COLUMNS]


def _summ(s: dict) -> str:
    if not s or not s["n"]:
        return ""
    if s["n"] == 1 or s["ci_lo"] == s["ci_hi"]:
        return _cell(s["median"])
    return f"{_cell(s['median'])} [{_cell(s['ci_lo'])}, {_cell(s['ci_hi'])}]"


def write(sw, out_dir: str, rows: list[dict], per_run: list, meta: dict) -> None:
    params = [c for c in sw.columns if c != "scheduler"]
    # Columns with one value in every point go above the table, not in it.
    fixed_params = {c: sw.points[0].params.get(c) for c in params
                    if len({repr(p.params.get(c)) for p in sw.points}) == 1}
    groups = stats.summarize_long(rows, by=("point", "scheduler"))
    counts: dict = {}
    for p, c, status, _ in per_run:
        k = (p.key, c.scheduler)
        n_ok, n = counts.get(k, (0, 0))
        counts[k] = (n_ok + (status == "ok"), n + 1)
    metrics = _headline(rows)
    table = []
    for p in sw.points:
        for sched in p.exp.schedulers:
            g = groups.get((p.key, sched), {})
            n_ok, n = counts.get((p.key, sched), (0, 0))
            table.append(([p.key, *[p.params.get(k) for k in params], sched,
                           f"{n_ok}/{n}"], [g.get(m) or {} for m in metrics]))
    stats.write_csv(os.path.join(out_dir, "points.csv"),
                    ["point", *params, "scheduler", "runs_ok", *metrics],
                    [[*fixed, *[s.get("median") for s in summ]] for fixed, summ in table])
    git = meta.get("git", {})
    L = [f"# Sweep {sw.name}", "",
         f"From `{os.path.basename(sw.path)}` at commit `{git.get('commit', '?')}`"
         + (" (uncommitted changes)" if git.get("dirty") else "") + f"; QEMU "
         f"{meta.get('qemu', {}).get('version', '?')}.", "",
         f"{len(sw.points)} points ({' x '.join(sw.axes)}), {len(per_run)} runs "
         f"(each point: its schedulers x {sw.points[0].exp.repetitions} repetitions, "
         f"mode {sw.points[0].exp.mode}).", "",
         "Cells: median over the point's successful repetitions, and its 95 % "
         "bootstrap interval in brackets when the repetitions differ. Every value of "
         "every run: `samples.csv` (one row per run x metric); each point's full "
         "report: `points/<point>/report.md`.", ""]
    if fixed_params:
        L += ["Same in every point: " + ", ".join(f"`{k}` = {_cell(v)}" for k, v in
                                                  fixed_params.items()) + ".", ""]
    shown = [i for i, c in enumerate(params) if c not in fixed_params]
    head = ["point", *[params[i] for i in shown], "scheduler", "runs ok", *metrics]
    L.append("| " + " | ".join(head) + " |")
    L.append("|" + "---|" * len(head))
    for fixed, summ in table:
        vals = fixed[1:1 + len(params)]
        cells = [f"[{fixed[0]}](points/{fixed[0]}/report.md)",
                 *[_cell(vals[i]) for i in shown], *[_cell(x) for x in fixed[1 + len(params):]],
                 *[_summ(s) for s in summ]]
        L.append("| " + " | ".join(cells) + " |")
    failed = [(p, c, st, pr) for p, c, st, pr in per_run if st != "ok"]
    L += ["", "## Problems", ""]
    if not failed:
        L.append("None: every run finished and passed its checks.")
    for p, c, st, pr in failed:
        L.append(f"- {p.key}/{c.key} ({st}): {'; '.join(pr[:3]) or 'no details'}")
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write("\n".join(L) + "\n")
