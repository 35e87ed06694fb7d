"""The disk benchmark across I/O paths (docs/io-benchmarks.md): its result lines, and
where each case's instructions go, from the trace.

bench/disk_run.c prints one line per case (op x queue depth):
  result bench=disk mode=pv dev=xvda op=randread qd=32 reqs=128 bytes=524288 ns=...
         iops=... ns_per_req=... errors=0 verify_errors=0
Under -icount, ns counts instructions of the whole machine, so ns_per_req is the path
length of one request across guest, hypervisor and dom0.

Where the instructions go. A case runs between two console writes of the benchmark's
domain: its result line is printed (a console_io hypercall, traced as
TRC_HCALL_ENTRY with data0 = 18, from PV and HVM guests and dom0 alike) right after
it stops its clock. So the case is the interval [w - ns, w], w the TSC of the first
console write after a silence of at least ns (the benchmark prints nothing while it
runs). In that window, from the trace (one pCPU: the io experiments use
topology.cpus = 1, so the pCPU's timeline is the machine's instruction stream):
- each domain's running time: its vCPUs' TRC_SCHED_RUNSTATE running slices;
- the hypervisor's time on its behalf: the union of its vCPUs' hypercall paths
  (TRC_HCALL_ENTRY to TRC_HCALL_EXIT) and VM-exit paths (TRC_HVM_EXIT to the vCPU's
  TRC_HVM_ENTRY), cut to the vCPU's running slices (a vCPU blocked inside a
  hypercall, or halted / waiting for its device model after an exit, is not running);
- the rest of the domain's running time is its own (guest) code, including what the
  hypervisor does in its context outside those paths (PV traps and their emulation,
  interrupts and event upcalls);
- idle: the window's pCPU time in which no vCPU ran (the idle vCPU: waiting for the
  device; under -icount the virtual clock also jumps over an all-idle wait).
Each is divided by the case's requests: instructions per request.
"""
from __future__ import annotations

import bisect
import json
import os
from collections import defaultdict

from . import console
from . import trace as T

CONSOLE_IO = 18                 # HYPERVISOR_console_io
RESULT_KEYS = ("mode", "dev", "op", "qd", "reqs", "bytes", "ns", "iops", "ns_per_req",
               "errors", "verify_errors")
INT_KEYS = RESULT_KEYS[3:]
# Later additions, optional (older results folders lack them): run_ns, the
# benchmark vCPU's own running time during the case (runstate).
OPTIONAL_KEYS = ("run_ns",)
OPS = ("seqwrite", "seqread", "randwrite", "randread")
# The paths in the order the note compares them, and what serves each one's requests.
PATHS = {
    "native": "bare QEMU, the benchmark's own virtio-blk driver (no hypervisor)",
    "dom0": "dom0's virtio-blk driver through pdisk (xl disk-bench)",
    "pv": "PV domU, blkfront -> dom0's blkback -> pdisk",
    "pvhvm": "HVM domU with PV drivers, blkfront -> blkback -> pdisk",
    "hvm": "HVM domU, emulated ATA (PIO) -> dom0's device model -> pdisk",
}
# A window must come within this fraction of the silence before the console write.
WINDOW_SLACK = 0.98


class IoBenchError(Exception):
    """A result line the report cannot use (the message says which and why)."""


def parse_results(text: str) -> list[dict]:
    """The disk benchmark's result lines of a console, in order: each a dict with
    RESULT_KEYS (numbers as ints), console_dom when the line had a (dN) prefix, and
    group: 0 for a case of the first queue depth asked, 1 for the second (an ATA disk
    takes one request at a time, so both of its groups print qd=1). Raises
    IoBenchError for a disk result line that lacks a key or has a bad value."""
    out, seen = [], defaultdict(int)
    for i, res in enumerate(r for r in console.parse(text)["results"]
                            if r.get("bench") == "disk"):
        missing = [k for k in RESULT_KEYS if k not in res]
        if missing:
            raise IoBenchError(f"disk result line {i + 1}: no {', '.join(missing)}")
        bad = [k for k in INT_KEYS if type(res[k]) is not int or res[k] < 0]
        if bad:
            raise IoBenchError(f"disk result line {i + 1}: {', '.join(bad)} not a "
                               "non-negative integer")
        rec = {k: res[k] for k in RESULT_KEYS}
        for k in OPTIONAL_KEYS:
            if k in res:
                if type(res[k]) is not int or res[k] < 0:
                    raise IoBenchError(f"disk result line {i + 1}: {k} not a non-negative "
                                       "integer")
                rec[k] = res[k]
        rec["mode"], rec["dev"], rec["op"] = str(res["mode"]), str(res["dev"]), str(res["op"])
        if "console_dom" in res:
            rec["console_dom"] = res["console_dom"]
        key = (rec["mode"], rec.get("console_dom"), rec["op"])
        rec["group"] = seen[key]
        seen[key] += 1
        out.append(rec)
    return out


def console_writes(recs: list[T.Record], dom: int) -> list[int]:
    """TSCs of dom's console_io hypercalls, in order."""
    return [r.tsc for r in recs
            if r.event == T.HCALL_ENTRY and r.domid == dom and r.data0 == CONSOLE_IO]


def case_windows(writes: list[int], cases: list[dict], khz: int) -> list[tuple[int, int] | None]:
    """For each case (one domain's, in print order), the TSC window [w - ns, w] of
    its run, w the first console write after the previous case's whose silence
    before it covers the case's ns; None when no write fits (not traced)."""
    out, j = [], 1
    for c in cases:
        ticks = c["ns"] * khz // 1_000_000
        while j < len(writes) and writes[j] - writes[j - 1] < ticks * WINDOW_SLACK:
            j += 1
        if j >= len(writes):
            out.append(None)
            continue
        out.append((writes[j] - ticks, writes[j]))
        j += 1
    return out


def _hv_intervals(recs: list[T.Record]) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """(dom, vcpu) -> merged intervals spent in hypercall and VM-exit paths."""
    raw = defaultdict(list)
    hc_open = defaultdict(list)
    exit_open = {}
    for r in recs:
        key = (r.domid, r.vcpuid)
        if r.event == T.HCALL_ENTRY:
            hc_open[(r.cpu,) + key].append((r.data0, r.tsc))
        elif r.event == T.HCALL_EXIT:
            st = hc_open.get((r.cpu,) + key)
            if st and st[-1][0] == r.data0:
                raw[key].append((st.pop()[1], r.tsc))
        elif r.event == T.HVM_EXIT:
            exit_open[key] = r.tsc
        elif r.event == T.HVM_ENTRY:
            t = exit_open.pop(key, None)
            if t is not None:
                raw[key].append((t, r.tsc))
    merged = {}
    for key, iv in raw.items():
        iv.sort()
        m = []
        for a, b in iv:
            if m and a <= m[-1][1]:
                m[-1] = (m[-1][0], max(m[-1][1], b))
            else:
                m.append((a, b))
        merged[key] = m
    return merged


def _overlap(iv: list[tuple[int, int]], a: int, b: int) -> int:
    """Length of the sorted, disjoint intervals iv within [a, b]."""
    total = 0
    i = max(0, bisect.bisect_left(iv, (a, a)) - 1)
    while i < len(iv) and iv[i][0] < b:
        lo, hi = max(iv[i][0], a), min(iv[i][1], b)
        total += max(0, hi - lo)
        i += 1
    return total


def _intersect(x: list[tuple[int, int]], y: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The intersection of two sorted lists of disjoint intervals."""
    out, i, j = [], 0, 0
    while i < len(x) and j < len(y):
        lo, hi = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if lo < hi:
            out.append((lo, hi))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


class Breakdown:
    """Feeds one trace's records; window() splits a TSC window by domain and
    hypervisor (module docstring)."""

    def __init__(self, tr: T.Trace, slices: list[tuple]):
        self.nr_cpus = tr.header.nr_cpus
        self.khz = tr.header.tsc_khz
        self.recs = tr.merged()
        hv = _hv_intervals(self.recs)
        self.running = defaultdict(list)       # (dom, vcpu) -> running slices
        for _cpu, s, e, dom, vcpu in slices:
            self.running[(dom, vcpu)].append((s, e))
        # hypervisor time within each vCPU's running slices
        self.hv_running = {}
        for key, slc in self.running.items():
            slc.sort()
            self.hv_running[key] = _intersect(slc, hv.get(key, []))

    def window(self, a: int, b: int) -> dict:
        """{domid: {"running": ticks, "hypervisor": ticks}, "idle": ticks,
        "ticks": (b - a) x pCPUs}."""
        per = defaultdict(lambda: {"running": 0, "hypervisor": 0})
        busy = 0
        for (dom, vcpu), slc in self.running.items():
            if dom == T.DOM_IDLE:
                continue
            run = _overlap(slc, a, b)
            if run:
                per[dom]["running"] += run
                per[dom]["hypervisor"] += _overlap(self.hv_running[(dom, vcpu)], a, b)
                busy += run
        cap = (b - a) * self.nr_cpus
        return {"domains": dict(per), "idle": max(0, cap - busy), "ticks": cap}


def case_breakdown(bd: Breakdown, cases: list[dict]) -> list[dict | None]:
    """Per case (results of one run, in print order): instructions (ns) per request
    by category, or None when its window was not found in the trace. Categories:
    bench (the benchmark's domain, its own code), bench_hv (the hypervisor for it),
    dom0 and dom0_hv (when the benchmark is not dom0), other, idle, total."""
    by_dom = defaultdict(list)
    for i, c in enumerate(cases):
        by_dom[c.get("console_dom", 0)].append(i)
    out: list[dict | None] = [None] * len(cases)
    for dom, idx in by_dom.items():
        wins = case_windows(console_writes(bd.recs, dom), [cases[i] for i in idx], bd.khz)
        for i, w in zip(idx, wins):
            if w is None or not cases[i]["reqs"]:
                continue
            x = bd.window(*w)
            n = cases[i]["reqs"]

            def per_req(t: int) -> float:
                return t * 1_000_000 / bd.khz / n

            me = x["domains"].get(dom, {"running": 0, "hypervisor": 0})
            d0 = x["domains"].get(0, {"running": 0, "hypervisor": 0}) if dom else \
                {"running": 0, "hypervisor": 0}
            other = sum(v["running"] for d, v in x["domains"].items() if d not in (dom, 0))
            out[i] = {"bench": per_req(me["running"] - me["hypervisor"]),
                      "bench_hv": per_req(me["hypervisor"]),
                      "dom0": per_req(d0["running"] - d0["hypervisor"]),
                      "dom0_hv": per_req(d0["hypervisor"]),
                      "other": per_req(other), "idle": per_req(x["idle"]),
                      "busy": per_req(x["ticks"] - x["idle"]),
                      "total": per_req(x["ticks"]), "window_tsc": list(w)}
    return out


def run_cases(console_text: str, tr: T.Trace | None, slices: list | None) -> list[dict]:
    """One run's cases: each result line (parse_results) with "breakdown" (per request,
    case_breakdown) or None when the run has no usable trace."""
    cases = parse_results(console_text)
    bds = case_breakdown(Breakdown(tr, slices), cases) if tr is not None and slices is not None \
        else [None] * len(cases)
    for c, b in zip(cases, bds):
        c["breakdown"] = b
    return cases


# ---- report ----

def _n(x) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _run_per_req(c: dict | None):
    return c["run_ns"] / c["reqs"] if c and "run_ns" in c and c["reqs"] else None


TABLE_HEADER = ["path", "op", "qd", "IOPS", "elapsed/req", "bench vCPU/req",
                "errors/verify", "**path length/req**", "bench domain", "hypervisor for it",
                "dom0", "hypervisor for dom0", "idle/req"]


def row(path: str, plain: dict | None, traced: dict | None) -> list:
    """One table row: the untraced case's figures (plain) and the traced case's
    breakdown (traced); either may be None. Path length: the traced run's busy
    instructions per request (window minus idle), natively the benchmark's running
    time per request (no hypervisor, no trace)."""
    ref = plain or traced
    qd = f"{ref['qd']}" + (" (of 32)" if ref["group"] == 1 and ref["qd"] == 1 else "")
    cells = [path, ref["op"], qd]
    if plain:
        cells += [_n(plain["iops"]), _n(plain["ns_per_req"]), _n(_run_per_req(plain)),
                  f"{plain['errors']}/{plain['verify_errors']}"]
    else:
        cells += ["–"] * 4
    b = traced.get("breakdown") if traced else None
    if b is not None:
        cells += [f"**{_n(b['busy'])}**", _n(b["bench"]), _n(b["bench_hv"]),
                  _n(b["dom0"]) if path != "dom0" else "(the bench)",
                  _n(b["dom0_hv"]) if path != "dom0" else "–", _n(b["idle"])]
    elif path == "native":
        cells += [f"**{_n(_run_per_req(plain))}**", "no hypervisor, no trace", "–", "–",
                  "–", "–"]
    else:
        cells += ["–", "no trace" if traced is None else "window not found", "–", "–",
                  "–", "–"]
    return cells


def _key(c: dict) -> tuple:
    return (c["group"], OPS.index(c["op"]) if c["op"] in OPS else 9, c["op"])


def _order(paths) -> list[str]:
    return [p for p in PATHS if p in paths] + [p for p in paths if p not in PATHS]


def table_rows(cases_by_path: dict[str, list[dict]]) -> list[list]:
    """Rows for one run's cases: its figures, and the breakdown where it was traced
    (a traced run's own figures include the trace's cost)."""
    rows = []
    for path in _order(cases_by_path):
        for c in sorted(cases_by_path[path], key=_key):
            rows.append(row(path, c, c if c.get("breakdown") is not None else None))
    return rows


METHOD = (
    "Times are instructions (`-icount shift=0`: guest_now_ns and the trace's TSC count "
    "instructions of the whole machine). **Path length/req** is what a 4 KiB request "
    "costs in instructions executed by the guest, the hypervisor and dom0: from the "
    "trace, the case's window minus the time no vCPU ran, per request; natively (no "
    "hypervisor, no trace), the benchmark vCPU's running time (runstate: the time not "
    "halted) per request. Elapsed/req (bench/disk_run.c's ns_per_req) and IOPS (per 10^9 "
    "instructions of elapsed time, not per wall-clock second) also hold the time the "
    "machine sat idle waiting for QEMU to hand a completion over, which depends on the "
    "host's I/O threads, not on the machine (docs/native-disk.md, Determinism): compare "
    "paths by path length. Bench vCPU/req: the benchmark's own vCPU's running time "
    "(result line run_ns), hypervisor work for it included. The breakdown (per "
    "request) comes from the trace (one pCPU): the case's window is [w - ns, w], w the "
    "benchmark's console write of its result line; in it each domain's running time "
    "(TRC_SCHED_RUNSTATE), the hypervisor's part of it (hypercall paths "
    "TRC_HCALL_ENTRY..EXIT and VM-exit paths TRC_HVM_EXIT..ENTRY, while the vCPU runs), "
    "and idle (no vCPU ran). A domain's own column includes what the hypervisor does "
    "in its context outside hypercalls and exits (PV trap emulation, e.g. dom0's port "
    "I/O to the virtio device; interrupt and event delivery). An ATA disk takes one "
    "request at a time: its qd 32 cases run at depth 1.")


def section(cases_by_path: dict[str, list[dict]]) -> list[str]:
    """The report's "Disk benchmark" section (markdown lines)."""
    L = ["## Disk benchmark", "", METHOD, ""]
    L += ["| " + " | ".join(TABLE_HEADER) + " |", "|" + "---|" * len(TABLE_HEADER)]
    L += ["| " + " | ".join(str(c) for c in r) + " |" for r in table_rows(cases_by_path)]
    return L + [""]


def _figures(c: dict) -> tuple:
    return tuple(c[k] for k in RESULT_KEYS)


def cases_by_path(cases: list[dict]) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for c in cases:
        out[c["mode"]].append(c)
    return dict(out)


def report_section(summaries: list[dict]) -> list[str]:
    """The report's section from the runs' summary.json dicts (in run order): the
    table of the first run with disk cases, and whether every run gave the same
    figures (identical result lines: determinism)."""
    runs = [s for s in summaries if s.get("disk_cases")]
    if not runs:
        return []
    first = runs[0]
    L = section(cases_by_path(first["disk_cases"]))
    L[0] += f" ({first['config']['key']})"
    if len(runs) > 1:
        same = all([_figures(c) for c in r["disk_cases"]] ==
                   [_figures(c) for c in first["disk_cases"]] for r in runs[1:])
        L += [f"Determinism: the {len(runs)} runs' disk result lines are "
              + ("identical (every figure)." if same else
                 "not identical: the figures differ between runs (see each run's "
                 "summary.json, disk_cases)."), ""]
    return L


# ---- the note's table across results folders (hvlab io-table) ----

def load_folder(path: str) -> dict:
    """A results folder of an io experiment: {"name", "runs": [the configurations'
    disk_cases, in run order], "problems": [...]}. Raises IoBenchError naming the
    file when summary.json is missing or not what `hvlab run` writes."""
    f = os.path.join(path, "summary.json")
    try:
        with open(f, encoding="utf-8") as fh:
            s = json.load(fh)
        confs = s["configurations"]
        name = s["experiment"]["name"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IoBenchError(f"{f}: not an experiment's summary ({e})") from None
    runs = [c.get("disk_cases") or [] for c in confs.values()]
    problems = [f"{k}: {p}" for k, c in confs.items() for p in c.get("problems", [])]
    return {"name": name, "runs": runs, "problems": problems}


def _paths(folders: list[dict]) -> dict[str, dict]:
    """path -> {"plain": cases of the first untraced run, "same": identical runs?,
    "runs": n, "traced": cases with breakdown}."""
    out: dict[str, dict] = {}
    for f in folders:
        for cases in f["runs"][:1]:
            for path, cs in cases_by_path(cases).items():
                e = out.setdefault(path, {"plain": None, "traced": None, "same": None,
                                          "runs": 0})
                if any(c.get("breakdown") for c in cs):
                    e["traced"] = cs
                else:
                    e["plain"] = cs
                    figs = [[_figures(c) for c in r if c["mode"] == path] for r in f["runs"]]
                    e["runs"] = len(figs)
                    e["same"] = all(x == figs[0] for x in figs)
    return out


def combined_rows(paths: dict[str, dict]) -> list[list]:
    rows = []
    for path in _order(paths):
        e = paths[path]
        plain = {_key(c): c for c in e["plain"] or []}
        traced = {_key(c): c for c in e["traced"] or []}
        for k in sorted(set(plain) | set(traced)):
            rows.append(row(path, plain.get(k), traced.get(k)))
    return rows


def combined_markdown(folders: list[dict]) -> str:
    paths = _paths(folders)
    L = ["# The disk benchmark over every I/O path", "",
         "Generated by `hvlab io-table` from the results folders "
         + ", ".join(f"`{f['name']}`" for f in folders) + " (docs/io-benchmarks.md).", "",
         "Paths: " + "; ".join(f"**{p}**: {PATHS[p]}" for p in PATHS if p in paths) + ".", "",
         METHOD, "",
         "IOPS, elapsed/req, bench vCPU/req and errors come from the untraced runs (the "
         "first repetition); path length and its breakdown from the traced run of the same "
         "path, so they include the trace's own cost (about 72 instructions per record, "
         "results/trace-overhead.md). The four columns from bench domain to hypervisor for "
         "dom0 add up to the path length; idle is not part of it.", ""]
    L += ["| " + " | ".join(TABLE_HEADER) + " |", "|" + "---|" * len(TABLE_HEADER)]
    L += ["| " + " | ".join(str(x) for x in r) + " |" for r in combined_rows(paths)]
    L += ["", "Determinism (the untraced runs of each path, every figure of every result "
          "line): " + "; ".join(f"{p}: {e['runs']} runs " +
                                ("identical" if e["same"] else "differ")
                                for p, e in ((p, paths[p]) for p in _order(paths))
                                if e["plain"] is not None) + ".", ""]
    probs = [f"{f['name']}: {p}" for f in folders for p in f["problems"]]
    L += ["Problems: " + ("none." if not probs else "")] + [f"- {p}" for p in probs] + [""]
    return "\n".join(L)
