"""The PV-vs-HVM-vs-native report (docs/pv-vs-hvm.md) from cells.json (pvhvm_run):
tables, plots (pvhvm_plots) and README.md, for any cost tables given.

Design: a cell is ok, failed (with the reason), na (the mode cannot run it, why) or
"same" (another mode's cell stands for it). Path length: a microbenchmark's own timing
of its loop, else the plugin's instructions per operation (guest + hypervisor + dom0,
idle pCPUs excluded). Modelled cycles per operation: (M(N) - M(1)) / (N - 1) with M
the cost model's price of a whole run (costmodel.modelled_cycles, when the cost model
has one: the TLB/NUMA model's, by category), else count x cost per key of the summed
counts (costtable.modelled_cycles, or the same generically for keys it does not
know), so new event counts and cost keys appear here without a change. Everything
written is a function of cells.json and the tables: a re-run gives the same bytes.
"""
from __future__ import annotations

import json
import os

from . import costmodel, costtable, pvhvm_plots, pvhvm_reading
from .pvhvm_run import MICRO, MODES, NOT_A_BASE, per_op, reasons_per_op, sum_counts, work_entries

HV_MODES = ("pv", "hvm", "pvhvm")
PER_OP_MIN = 0.01       # reasons rarer per operation are set-up: left out of the table


class ReportError(Exception):
    pass


# The plugin's counts behind the base cost keys (docs/cost-model.md "Cost tables"): the
# fallback when costtable cannot price summed counts (a cost model whose pricing
# needs the per-vCPU entries, e.g. nested TLB counts).
BASE_EVENTS = {"base_cpi": ("guest_insns", "hv_insns"), "mem_access": ("guest_mem", "hv_mem"),
               "world_switch": ("vmexit",), "syscall": ("syscall",), "sysret": ("sysret",),
               "iret": ("guest_iret", "hv_iret"), "entry": ("guest_entries", "hv_entries")}


def modelled(counts: dict, table) -> dict:
    """Cycles per key and "total" for one set of summed counts: costtable.modelled_cycles,
    or where it cannot price them, count x cost for the base keys (BASE_EVENTS) and for
    any count named like a cost key of the table, taken as it is."""
    try:
        return costtable.modelled_cycles(counts, table)
    except (KeyError, TypeError, AttributeError, ValueError):
        pass
    ev = {k: sum(counts.get(f, 0) for f in fs) for k, fs in BASE_EVENTS.items()
          if k in table.cycles}
    for k, v in counts.items():
        if k in table.cycles and k not in ev and isinstance(v, (int, float)):
            ev[k] = v
    out = {k: n * table.cycles[k] for k, n in ev.items()}
    out["total"] = sum(out.values())
    return out


def run_modelled(raw: list[dict], table, native: bool) -> dict | None:
    """A whole run's modelled cycles by the cost model's own function, when it has
    one that prices the plugin's list of entries (the TLB/NUMA model's
    costmodel.modelled_cycles); None otherwise."""
    fn = getattr(costmodel, "modelled_cycles", None)
    if fn is None:
        return None
    try:
        return fn(work_entries(raw), table, native=native)
    except (KeyError, TypeError, AttributeError, ValueError):
        return None


def cell_modelled(c: dict, table) -> dict | None:
    """Modelled cycles of one operation, by key and "total": (M(N) - M(1)) / (N - 1)
    over the two runs' counts (pricing is linear), the instructions replaced by the
    case's own timing where path_length() uses it."""
    po = c.get("per_op")
    if not po:
        return None
    big = small = None
    if c.get("raw_n") and c.get("raw_1"):
        big = run_modelled(c["raw_n"], table, c["mode"] == "native")
        small = run_modelled(c["raw_1"], table, c["mode"] == "native")
    if big is not None and small is not None:
        d = c["n"] - 1
        out = {k: (big[k] - small.get(k, 0.0)) / d for k in big}
        insns = po["all"].get("guest_insns", 0) + po["all"].get("hv_insns", 0)
        if c["row"] in MICRO and c.get("guest_per_op") is not None:
            fix = (c["guest_per_op"] - insns) * table.cycles.get("base_cpi", 1.0)
            out["instructions timed by the case"] = fix
            out["total"] += fix
        return out
    return modelled(op_counts(c), table)


def path_length(c: dict) -> float | None:
    """Instructions per operation: a microbenchmark's own timing of its loop (exact
    under icount, the figure of docs/microbenchmarks.md; natively the plugin's whole-
    machine counts also hold the host-timed wait for QEMU's power-off), else the
    plugin's per-operation instructions (guest + hypervisor + dom0, no idle)."""
    if c["row"] in MICRO and c.get("guest_per_op") is not None:
        return c["guest_per_op"]
    po = c.get("per_op")
    if po:
        return po["guest"] + po["hv"] + po["dom0"]
    return c.get("guest_per_op")


def op_counts(c: dict) -> dict | None:
    """The per-operation counts priced by a cost table: the plugin's events, with the
    instructions replaced by path_length() where that is the benchmark's own timing."""
    po = c.get("per_op")
    if not po:
        return None
    counts = dict(po["all"])
    if c["row"] in MICRO and c.get("guest_per_op") is not None:
        counts["guest_insns"], counts["hv_insns"] = c["guest_per_op"], 0
    return counts


def refresh(c: dict) -> dict:
    """The cell with its per-operation counts recomputed from the plugin's raw entries
    when cells.json has them (so a report rewritten by a newer harness uses its rules
    for which entries count)."""
    if c.get("raw_n") and c.get("raw_1") and c.get("per_op"):
        return dict(c, per_op=per_op(sum_counts(c["raw_n"]), sum_counts(c["raw_1"]), c["n"]))
    return c


def resolve(cells: list[dict]) -> dict[tuple[str, str], dict]:
    """(row, mode) -> the cell, a "same" cell replaced by the one it names (kept
    marked, so tables can say so)."""
    by = {(c["row"], c["mode"]): c for c in cells}
    out = {}
    for k, c in by.items():
        if c["status"] == "same":
            src = by.get((c["row"], c["same_as"]))
            out[k] = dict(src, mode=c["mode"], same_as=c["same_as"]) if src else \
                dict(c, status="failed", reason=f"its {c['same_as']} cell is missing")
        else:
            out[k] = c
    return out


def rows_of(cells: list[dict]) -> list[str]:
    seen = []
    for c in cells:
        if c["row"] not in seen:
            seen.append(c["row"])
    return seen


def modes_of(cells: list[dict]) -> list[str]:
    return [m for m in MODES if any(c["mode"] == m for c in cells)]


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def cell_text(c: dict | None, value: float | None, native: float | None) -> str:
    if c is None:
        return "–"
    if c["status"] == "na":
        return f"n/a: {c['reason']}"
    if c["status"] == "failed":
        return f"**FAILED**: {c['reason']}"
    if value is None:
        return "not modelled"
    s = _fmt(value)
    if native:
        s += f" ({value / native:.2f}×)"
    if c.get("same_as"):
        s += f" (= {c['same_as']})"
    return s


def figures(cells: list[dict], tables: list) -> dict:
    """(row, mode) -> {"path": .., table name: cycles total, "keys": {name: {key: cycles}}}."""
    out = {}
    for k, c in resolve(cells).items():
        if c["status"] != "ok":
            continue
        f = {"path": path_length(c), "guest_per_op": c.get("guest_per_op"), "keys": {}}
        for t in tables:
            m = cell_modelled(c, t)
            if m is not None:
                f[t.name], f["keys"][t.name] = m["total"], m
        out[k] = f
    return out


def main_table(cells: list[dict], tables: list, figs: dict) -> list[str]:
    modes = modes_of(cells)
    res = resolve(cells)
    heads = ["path length (instructions)"] + [f"modelled cycles, {t.name}" for t in tables]
    keys = ["path"] + [t.name for t in tables]
    L = []
    for head, key in zip(heads, keys):
        L += [f"**{head}** per operation (ratio to native):", "",
              "| row | " + " | ".join(modes) + " |", "|---|" + "---|" * len(modes)]
        for row in rows_of(cells):
            nat = None if (row, "native") in NOT_A_BASE else \
                figs.get((row, "native"), {}).get(key)
            L.append(f"| {row} | " + " | ".join(
                cell_text(res.get((row, m)), figs.get((row, m), {}).get(key), nat)
                + (f" (not a base: {NOT_A_BASE[(row, m)]})" if (row, m) in NOT_A_BASE
                   and res.get((row, m), {}).get("status") == "ok" else "")
                for m in modes) + " |")
        L.append("")
    return L


def reasons_table(cells: list[dict], tables: list) -> list[str]:
    """Exits and hypercalls of each traced run: n, p5/p50/p95 path (instructions), and
    one round trip modelled: p50 x base_cpi + the transition's hardware cost."""
    L = ["| row | mode | exit or hypercall | per op | n | p5 | p50 | p95 | " +
         " | ".join(f"p50 modelled, {t.name}" for t in tables) + " |",
         "|---|---|---|---|---|---|---|---|" + "---|" * len(tables)]
    for c in cells:
        if c["status"] != "ok":
            continue
        per = reasons_per_op(c)
        for name, r in sorted(c.get("reasons", {}).items(), key=lambda x: (-x[1]["n"], x[0])):
            if per[name]["n"] < PER_OP_MIN:
                continue            # set-up and the result line, not the operation
            mod = []
            for t in tables:
                if r["p50"] is None:
                    mod.append("–")
                    continue
                if c["mode"] in ("hvm", "pvhvm") and r["kind"] == "hypercall":
                    mod.append("in its vmmcall exit")
                    continue
                hw = _transition(c["mode"], r["kind"], t)
                mod.append(_fmt(r["p50"] * t.cycles.get("base_cpi", 1.0) + hw))
            L.append(f"| {c['row']} | {c['mode']} | {name} | {per[name]['n']:.2f} | "
                     f"{r['n']} | {_fmt(r['p5'])} | "
                     f"{_fmt(r['p50'])} | {_fmt(r['p95'])} | " + " | ".join(mod) + " |")
    return L


def _transition(mode: str, kind: str, t) -> float:
    """The hardware cost of the transition a trace reason stands for: a #VMEXIT round
    trip for an HVM exit or hypercall (VMMCALL), SYSCALL + IRET for a PV hypercall."""
    cy = t.cycles
    if mode in ("hvm", "pvhvm"):
        return cy.get("world_switch", 0.0)
    return cy.get("syscall", 0.0) + cy.get("iret", 0.0)


def breakdown(cells: list[dict]) -> list[tuple[str, dict]]:
    """Per ok cell: (label, {"guest", "dom0", "hv <reason>"..., "hv other"}) in
    instructions per op. The hypervisor's part (plugin) is split by the traced run's
    path totals per reason (hlt left out: its path is time blocked, not work), scaled
    down if they exceed it; what no reason accounts for is "hv other" (timer and
    event delivery, scheduling, PV trap bounces)."""
    out = []
    for c in cells:
        if c["status"] != "ok" or not c.get("per_op"):
            continue
        po = c["per_op"]
        if c["mode"] == "native":
            out.append((f"{c['row']}/native", {"guest": path_length(c) or 0.0}))
            continue
        parts = {"guest": max(po["guest"], 0.0), "dom0": max(po["dom0"], 0.0)}
        hv = max(po["hv"], 0.0)
        rs = {k: v["total"] for k, v in reasons_per_op(c).items()
              if k != "exit hlt" and v["total"] > 0}
        tot = sum(rs.values())
        scale = min(1.0, hv / tot) if tot else 0.0
        for k, v in sorted(rs.items(), key=lambda x: -x[1]):
            parts[f"hv {k}"] = v * scale
        parts["hv other"] = hv - tot * scale
        out.append((f"{c['row']}/{c['mode']}", parts))
    return out


def build(out: str, cells_doc: dict, tables: list, log=print) -> str:
    """Writes README.md, figures.json and plots/ in out; returns README.md's path."""
    cells = [refresh(c) for c in cells_doc["cells"]]
    figs = figures(cells, tables)
    plot_dir = os.path.join(out, "plots")
    os.makedirs(plot_dir, exist_ok=True)
    plots = pvhvm_plots.draw(plot_dir, cells, figs, tables, breakdown(cells))
    doc = {f"{r}/{m}": {k: v for k, v in f.items() if k != "keys"} | {"cycles_by_key": f["keys"]}
           for (r, m), f in sorted(figs.items())}
    with open(os.path.join(out, "figures.json"), "w") as fh:
        json.dump(doc, fh, indent=1, sort_keys=True)
        fh.write("\n")
    failed = [c for c in cells if c["status"] == "failed"]
    L = ["# PV vs HVM vs native: microbenchmarks, event ping-pong, disk and network", "",
         "Generated by `./hvlab pv-vs-hvm experiments/pv-vs-hvm.toml` (docs/pv-vs-hvm.md) "
         "from `cells.json` in this folder; every run's console, inputs and cost-model "
         "counts are under `runs/`.", ""]
    plugin = cells_doc.get("plugin", "?")
    L += ["## How it was measured", "", *pvhvm_reading.method(cells_doc, tables), ""]
    if plugin != "yes":
        L += [f"**The cost model could not be used** (QEMU plugins: {plugin}): path lengths "
              "are the guest's own timings and no modelled cycles are given.", ""]
    if failed:
        L += ["## Failed cells", ""] + [f"- {c['row']} / {c['mode']}: {c['reason']}"
                                        for c in failed] + [""]
    L += ["## The table", "", *main_table(cells, tables, figs)]
    L += ["## Figures", ""]
    for p in plots:
        L.append(f"**{p.title}.** {p.caption}")
        L.append("")
        L.append(f"_{p.error}_" if p.error else f"![{p.title}](plots/{p.png})")
        L.append("")
    L += ["## Exit and hypercall costs", "", pvhvm_reading.REASONS_METHOD, "",
          *reasons_table(cells, tables), ""]
    L += ["## Reading", "", *pvhvm_reading.reading(cells, figs, tables), ""]
    L += ["## Cost tables", ""]
    for t in tables:
        shown = os.path.relpath(t.path, costmodel.REPO) if os.path.isabs(t.path) else t.path
        L.append(f"- `{shown}`: {t.name}; cycles per event: "
                 + ", ".join(f"{k} {v:g}" for k, v in t.cycles.items())
                 + " (each constant's source is in the file)")
    L.append("")
    path = os.path.join(out, "README.md")
    with open(path, "w") as fh:
        fh.write("\n".join(L))
    return path


def load_tables(paths: list[str]) -> list:
    out = []
    for p in paths:
        full = p if os.path.isabs(p) else os.path.join(costmodel.REPO, p)
        t = costtable.load(full)
        t.path = p
        out.append(t)
    return out


def regenerate(out: str, log=print) -> tuple[str, int]:
    """Rewrites the report from out/cells.json: (README.md's path, failed cells)."""
    try:
        with open(os.path.join(out, "cells.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise ReportError(f"{out}/cells.json: {e}") from None
    if doc.get("format") != "hvlab-pv-vs-hvm-1":
        raise ReportError(f"{out}/cells.json: not a pv-vs-hvm cells file")
    path = build(out, doc, load_tables(doc["spec"]["cost_tables"]), log)
    return path, sum(1 for c in doc["cells"] if c["status"] == "failed")
