"""The NUMA experiment's report (docs/numa-experiment.md): per domain the fraction of
its memory accesses that were remote and its modelled time, node usage over time and
pages moved, from cells.json (numa_run.py).

Design: the figures are pure functions of the plugin's counts and the trace's memory
records, so tests/harness/test_numa_report.py checks them on synthetic data:
- remote fraction (access()): the plugin's guest_mem_remote / (guest_mem_local +
  guest_mem_remote) summed over the domain's vCPUs: every RAM load and store the
  domain's own code made, classified by the frame's node and the node of the pCPU
  that ran it; the mean SLIT distance of its remote accesses from
  guest_mem_remote_slit (the sum of distance - 10).
- modelled time (cycles()): costmodel.modelled_cycles over the domain's vCPU entries
  only (its guest code and the hypervisor's work on its behalf), under each cost
  table: instructions x base_cpi, TLB walks, transitions, and remote accesses x
  mem_remote x (distance - 10) / 11; "remote" is that last part alone.
- node usage (trace_memory()): frames per node per domain over time from
  TRC_MEM_POLICY (one record per frame placed: data0 low half the node that served it,
  data1 the gfn), TRC_MEM_MIGRATE (data0 from << 32 | to, data1 frames) and
  TRC_DOM_DESTROY; pages moved: the TRC_MEM_MIGRATE frames.

Limitations: a frame given back by a balloon (decrease_reservation) stays counted
until its gfn is populated again or the domain is destroyed (no configuration here
balloons); node usage covers the traced span (trace start to duration_ms after the
creates), the counts the whole run.
"""
from __future__ import annotations

import json
import os

from . import costmodel, costtable, plots
from . import trace as T
from .plots import COMMON, Plot, _q

TRC_MEM_POLICY = T.event_id(7, 1, 1)
TRC_MEM_MIGRATE = T.event_id(7, 4, 1)     # issue 13's memory mover (branch migrate)
TRC_DOM_DESTROY = T.EV["dom_destroy"]
NO_NODE = 0xFFFFFFFF
GFN_MASK = (1 << 56) - 1                  # TRC_MEM_POLICY data1: reason << 56 | gfn
REASON_MIGRATE = 3                        # MM_REASON_MIGRATE (include/hvlab/mm_policy.h)
BUCKET_MS = 0.1                           # node usage: one point per 0.1 ms at most


class ReportError(Exception):
    pass


# ---- the figures ----

def trace_memory(records, tsc_khz: int) -> dict:
    """From a run's trace records (in time order): {"usage": {domid: [[t_ms, {node:
    frames}], ...]} (a point when a bucket of BUCKET_MS saw a change, the level after
    it), "held": {domid: {node: frames}} (the level when the domain was destroyed, or
    at the end of the trace), "moved": {domid: {"frames": n, "pairs": {"a->b": n}}},
    "refused": {domid: n}}. t_ms counts from the first record (the trace's start).

    A domain holds one frame per gfn (HVM) or frame index (PV): a TRC_MEM_POLICY record
    for a gfn it already has replaces that frame (an HVM domain's RAM is allocated at
    creation, freed and allocated again when its policy is set; a ballooned gfn is
    populated again), a TRC_MEM_MIGRATE moves frames (the TRC_MEM_POLICY records of
    the moved frames' new frames, reason MM_REASON_MIGRATE, are not counted again),
    and TRC_DOM_DESTROY frees them all (the hypervisor traces no other frees)."""
    usage: dict[str, list] = {}
    gfns: dict[int, dict[int, int]] = {}           # domid -> gfn -> node
    delta: dict[int, dict[int, int]] = {}          # domid -> node -> frames moved in
    held: dict[str, dict] = {}
    moved: dict[str, dict] = {}
    refused: dict[str, int] = {}
    t0 = None
    last_bucket: dict[int, int] = {}

    def level(dom: int) -> dict[str, int]:
        lv: dict[int, int] = {}
        for n in gfns.get(dom, {}).values():
            lv[n] = lv.get(n, 0) + 1
        for n, f in delta.get(dom, {}).items():
            lv[n] = lv.get(n, 0) + f
        return {str(n): f for n, f in sorted(lv.items())}

    def point(dom: int, t_ms: float) -> None:
        b = int(t_ms / BUCKET_MS)
        series = usage.setdefault(str(dom), [])
        snap = level(dom)
        if series and last_bucket.get(dom) == b:
            series[-1] = [series[-1][0], snap]
        else:
            series.append([round(b * BUCKET_MS, 3), snap])
        last_bucket[dom] = b

    for r in records:
        if t0 is None:
            t0 = r.tsc
        if r.event not in (TRC_MEM_POLICY, TRC_MEM_MIGRATE, TRC_DOM_DESTROY):
            continue
        t_ms = (r.tsc - t0) / tsc_khz if tsc_khz else 0.0
        if r.event == TRC_MEM_POLICY:
            got = r.data0 & 0xFFFFFFFF
            if got == NO_NODE:
                refused[str(r.domid)] = refused.get(str(r.domid), 0) + 1
                continue
            if r.data1 >> 56 == REASON_MIGRATE:
                continue            # the TRC_MEM_MIGRATE record of its batch counts it
            gfns.setdefault(r.domid, {})[r.data1 & GFN_MASK] = got
        elif r.event == TRC_MEM_MIGRATE:
            src, dst, n = r.data0 >> 32, r.data0 & 0xFFFFFFFF, r.data1
            d = delta.setdefault(r.domid, {})
            d[src] = d.get(src, 0) - n
            d[dst] = d.get(dst, 0) + n
            m = moved.setdefault(str(r.domid), {"frames": 0, "pairs": {}})
            m["frames"] += n
            m["pairs"][f"{src}->{dst}"] = m["pairs"].get(f"{src}->{dst}", 0) + n
        else:
            if r.domid not in gfns and r.domid not in delta:
                continue
            held[str(r.domid)] = level(r.domid)
            gfns.pop(r.domid, None)
            delta.pop(r.domid, None)
        point(r.domid, t_ms)
    for dom in set(gfns) | set(delta):
        held[str(dom)] = level(dom)
    return {"usage": usage, "held": held, "moved": moved, "refused": refused}


def _entries(counts: list[dict], domid: int) -> list[dict]:
    return [c for c in counts if c.get("who") == "vcpu" and c.get("domain") == domid]


def access(counts: list[dict], domid: int, mode: str = "guest") -> dict:
    """{"local", "remote", "remote_fraction", "mean_remote_distance"} of one domain's
    RAM accesses in one mode (fraction None without any access)."""
    es = _entries(counts, domid)
    loc = sum(c.get(f"{mode}_mem_local", 0) for c in es)
    rem = sum(c.get(f"{mode}_mem_remote", 0) for c in es)
    slit = sum(c.get(f"{mode}_mem_remote_slit", 0) for c in es)
    return {"local": loc, "remote": rem,
            "remote_fraction": rem / (loc + rem) if loc + rem else None,
            "mean_remote_distance": 10 + slit / rem if rem else None}


def cycles(counts: list[dict], domid: int, table: costtable.CostTable) -> dict:
    """{"total", "remote"}: modelled cycles of one domain's vCPUs under a cost table,
    and the part that is remote accesses (both modes)."""
    es = _entries(counts, domid)
    if not es:
        return {"total": None, "remote": None}
    tot = costmodel.modelled_cycles(es, table)["total"]
    rem = sum(costtable.mode_event_counts(c, m, table.model)["mem_remote"]
              for c in es for m in ("guest", "hv")) * table.cycles["mem_remote"]
    return {"total": tot, "remote": rem}


def final_usage(trace: dict, domid: int, nodes: int) -> list[int]:
    """Frames per node the domain held when it was destroyed (or when the trace
    stopped); 0s without records."""
    last = trace.get("held", {}).get(str(domid)) or {}
    return [int(last.get(str(n), 0)) for n in range(nodes)]


def rows(cells: list[dict], tables: list[costtable.CostTable], nodes: int) -> list[dict]:
    """One row per (run, domain) that did not fail: what the tables show."""
    out = []
    for cell in cells:
        if cell.get("failed"):
            continue
        counts, tr = cell.get("counts", []), cell.get("trace", {})
        for d in cell["domains"]:
            a = access(counts, d["domid"])
            cyc = {t.name: cycles(counts, d["domid"], t) for t in tables}
            res = d.get("results", {})
            out.append({
                "config": cell["config"], "scheduler": cell["scheduler"], "key": cell["key"],
                "domain": d["name"], "domid": d["domid"], "type": d["type"],
                "policy": d.get("memory_policy") or "local (default)",
                "nodes": d.get("nodes") or "-", "cpus": d.get("cpus") or "all",
                **a, "cycles": cyc,
                "triad_bytes_per_us": res.get("triad", {}).get("bytes_per_us"),
                "chase_ns": res.get("chase", {}).get("ns"),
                "chase_hops": res.get("chase", {}).get("iters"),
                "frames_by_node": final_usage(tr, d["domid"], nodes),
                "moved": tr.get("moved", {}).get(str(d["domid"]), {}).get("frames", 0)})
    return out


def summary(rs: list[dict], tables: list[costtable.CostTable]) -> list[dict]:
    """Per run (configuration x scheduler), in first-seen order: remote fraction over
    all its domains' accesses, modelled cycles summed per table, frames moved."""
    out: dict[str, dict] = {}
    for r in rs:
        s = out.setdefault(r["key"], {"config": r["config"], "scheduler": r["scheduler"],
                                      "local": 0, "remote": 0, "moved": 0,
                                      "cycles": {t.name: 0.0 for t in tables},
                                      "remote_cycles": {t.name: 0.0 for t in tables}})
        s["local"] += r["local"]
        s["remote"] += r["remote"]
        s["moved"] += r["moved"]
        for t in tables:
            s["cycles"][t.name] += r["cycles"][t.name]["total"] or 0
            s["remote_cycles"][t.name] += r["cycles"][t.name]["remote"] or 0
    for s in out.values():
        n = s["local"] + s["remote"]
        s["remote_fraction"] = s["remote"] / n if n else None
    return list(out.values())


# ---- the report ----

def _pct(x) -> str:
    return "n/a" if x is None else f"{x * 100:.1f} %"


def _mc(x) -> str:
    return "n/a" if x is None else f"{x / 1e6:,.2f}"


def _slit_matrix(topo: dict) -> list[str]:
    n = int(topo.get("nodes", 1))
    d = {(a, b): v for a, b, v in topo.get("distances", [])}
    head = "| | " + " | ".join(f"node {b}" for b in range(n)) + " |"
    lines = [head, "|---" * (n + 1) + "|"]
    for a in range(n):
        row = [10 if a == b else d.get((min(a, b), max(a, b)), 20) for b in range(n)]
        lines.append(f"| node {a} | " + " | ".join(map(str, row)) + " |")
    return lines


def markdown(doc: dict, tables, rs, sums, figs: list[Plot], nodes: int) -> str:
    cells = doc["cells"]
    topo = doc.get("topology", {})
    names = [t.name for t in tables]
    L = [f"# NUMA experiment: memory policies x schedulers ({doc['experiment']})", "",
         f"Machine: {topo.get('nodes')} nodes x {int(topo.get('cpus', 0)) // max(1, int(topo.get('nodes', 1)))} "
         f"pCPUs, {topo.get('mem_mib')} MiB (QEMU -icount, deterministic). Each run: one "
         "configuration of the domains' memory policies under one scheduler, once, "
         "under the cost-model plugin with the machine's node ranges and SLIT "
         "(docs/cost-model.md); the workload is bench/membench.c (triad, then pointer "
         "chase) in every domain. How to read it: docs/numa-experiment.md.", "",
         "SLIT distances:", "", *_slit_matrix(topo), "",
         "- **remote**: the fraction of the domain's own loads and stores (guest mode, "
         "counted per instruction by the plugin) whose frame lies on another node than "
         "the pCPU that ran it.",
         f"- **modelled time**: modelled cycles (millions) of the domain's vCPUs (its "
         f"guest code and the hypervisor on its behalf) under each cost table "
         f"({', '.join(names)}); a remote access costs the table's mem_remote x "
         "(distance - 10) / 11 more; **of which remote**: that part.",
         "- **frames per node**: the domain's frames on each node (node 0 / 1 / ...) when "
         "it was destroyed (TRC_MEM_POLICY records, TRC_MEM_MIGRATE moves).", ""]
    L += ["## Remote accesses and modelled time per configuration", "",
          "All membench domains of the run together.", "",
          "| configuration | scheduler | remote | " +
          " | ".join(f"Mcycles, {n} | of which remote" for n in names) + " | frames moved |",
          "|---|---|---|" + "---|---|" * len(names) + "---|"]
    for s in sums:
        L.append(f"| {s['config']} | {s['scheduler']} | {_pct(s['remote_fraction'])} | " +
                 " | ".join(f"{_mc(s['cycles'][n])} | {_mc(s['remote_cycles'][n])}"
                            for n in names) + f" | {s['moved']:,} |")
    L += ["", "## Per domain", "",
          "| configuration | scheduler | domain | type | policy | nodes | cpus | remote | "
          "mean remote distance | " + " | ".join(f"Mcycles, {n}" for n in names) +
          " | triad bytes/us | chase ns/hop | frames per node |",
          "|---" * (13 + len(names) - 1) + "|"]
    for r in rs:
        hop = (f"{r['chase_ns'] / r['chase_hops']:.2f}" if r["chase_ns"] is not None
               and r["chase_hops"] else "n/a")
        dist = "-" if r["mean_remote_distance"] is None else f"{r['mean_remote_distance']:.1f}"
        L.append(f"| {r['config']} | {r['scheduler']} | {r['domain']} | {r['type']} | "
                 f"{r['policy']} | {r['nodes']} | {r['cpus']} | {_pct(r['remote_fraction'])} | "
                 f"{dist} | " + " | ".join(_mc(r["cycles"][n]["total"]) for n in names) +
                 f" | {r['triad_bytes_per_us'] if r['triad_bytes_per_us'] is not None else 'n/a'}"
                 f" | {hop} | {' / '.join(map(str, r['frames_by_node']))} |")
    L += ["", "(triad bytes/us and chase ns/hop by the guest's clock: under -icount "
          "instructions, and the time the vCPU waited for a pCPU; the cost model's "
          "cycles are the comparison across policies.)", ""]
    moved = [(c["key"], d["name"], c.get("trace", {}).get("moved", {}).get(str(d["domid"])))
             for c in cells if not c.get("failed") for d in c["domains"]]
    L += ["## Pages moved", "",
          "Frames moved between nodes (TRC_MEM_MIGRATE records: `xl mem-migrate`)."]
    if any(m for _k, _d, m in moved):
        L += ["", "| run | domain | frames | from->to |", "|---|---|---|---|"]
        L += [f"| {k} | {d} | {m['frames']:,} | " +
              ", ".join(f"{p}: {n:,}" for p, n in sorted(m["pairs"].items())) + " |"
              for k, d, m in moved if m]
    else:
        L += ["", "None in any run: 0 frames moved (no configuration migrates memory, "
              "or the hypervisor has no memory mover yet)."]
    refused = [(c["key"], c["domains"], c.get("trace", {}).get("refused", {}))
               for c in cells if c.get("trace", {}).get("refused")]
    if refused:
        L += ["", "Placements refused by a policy (TRC_MEM_POLICY with no node): " +
              "; ".join(f"{k}: " + ", ".join(f"d{d} {n}" for d, n in r.items())
                        for k, _ds, r in refused)]
    L += ["", "## Figures", ""]
    for p in figs:
        L.append(f"### {p.title}")
        L.append("")
        L.append(f"_{p.error}_" if p.error else f"![{p.title}](plots/{p.png})")
        L += ["", p.caption, ""]
    failed = [c for c in cells if c.get("failed")]
    L += ["## Runs", "",
          "| run | wall s | state |", "|---|---|---|"]
    L += [f"| {c['key']} | {c.get('wall_s', 0):.1f} | {c.get('failed') or 'ok'} |"
          for c in cells]
    if "wall_s_total" in doc:
        L += ["", f"{len(cells)} runs, {doc.get('jobs', 1)} at a time: {doc['wall_s_total']:.1f} s "
              "wall time on the machine that ran them (QEMU with the plugin; the build not "
              "included)."]
    if failed:
        L += ["", f"**{len(failed)} runs failed**: they are left out of the tables above."]
    L += ["", "Files: `cells.json` (every run's counts, results and trace figures: the "
          "input of this report), `runs/<configuration>-<scheduler>/` (inputs, console, "
          "run.json, trace.bin) and its `.counts.json`, `plots/` (data, gnuplot "
          "scripts, PNG and SVG). `./hvlab numa FILE --report-only --out DIR` rewrites "
          "this report from `DIR/cells.json`.", ""]
    return "\n".join(L)


def _bars(plot_dir, name, title, caption, ylabel, sums, value, schedulers) -> Plot:
    configs = list(dict.fromkeys(s["config"] for s in sums))
    by = {(s["config"], s["scheduler"]): value(s) for s in sums}
    data = [[c] + ["?" if by.get((c, s)) is None else round(by[(c, s)], 6)
                   for s in schedulers] for c in configs]
    dat = plots._write(plot_dir, name, "configuration\t" + "\t".join(schedulers), data)
    return plots.cluster_bars(plot_dir, Plot(name, title, caption), ylabel, dat, schedulers)


def _usage_plot(plot_dir, cell, nodes) -> Plot:
    name = f"usage-{cell['key']}"
    tr = cell.get("trace", {}).get("usage", {})
    doms = {str(d["domid"]): d["name"] for d in cell["domains"]}
    # Frames per node of the membench domains together, over time (a step per change).
    events = sorted({p[0] for dom in doms for p in tr.get(dom, [])})
    levels = {dom: [0] * nodes for dom in doms}
    pos = {dom: 0 for dom in doms}
    data = [[0.0] + [0] * nodes]
    for t in events:
        for dom in doms:
            s = tr.get(dom, [])
            while pos[dom] < len(s) and s[pos[dom]][0] <= t:
                levels[dom] = [int(s[pos[dom]][1].get(str(n), 0)) for n in range(nodes)]
                pos[dom] += 1
        data.append([t] + [sum(levels[dom][n] for dom in doms) for n in range(nodes)])
    dat = plots._write(plot_dir, name, "t_ms\t" + "\t".join(f"node{n}" for n in range(nodes)),
                       data)
    title = f"Frames per node over time: {cell['key']}"
    body = (COMMON + "set termoption noenhanced\n"
            f"set title {_q(title)}\nset xlabel 'ms since trace start (guest time)'\n"
            "set ylabel 'frames (4 KiB) of the membench domains'\nset yrange [0:*]\n"
            "plot " + ", \\\n     ".join(
                f"{_q(dat) if n == 0 else chr(39) * 2} using 1:{n + 2} title 'node {n}' "
                f"with steps lw 2 lc rgb {_q(plots.PALETTE[n + 1])}" for n in range(nodes)))
    cap = ("Frames the membench domains hold on each node, from the trace's "
           "TRC_MEM_POLICY (each frame placed) and TRC_MEM_MIGRATE (frames moved) "
           "records, from trace start.")
    return plots._render(plot_dir, Plot(name, title, cap), body, size=(800, 380))


def write(out: str) -> tuple[str, int]:
    """Writes out/report.md and out/plots/ from out/cells.json; (path, failed runs)."""
    try:
        with open(os.path.join(out, "cells.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise ReportError(f"{out}: cannot read cells.json: {e}") from None
    if doc.get("format") != "hvlab-numa-1":
        raise ReportError(f"{out}/cells.json: not the NUMA experiment's cells")
    tables = costmodel.cost_tables([os.path.join(costmodel.REPO, p)
                                    for p in doc["cost_tables"]])
    nodes = int(doc.get("topology", {}).get("nodes", 1))
    rs = rows(doc["cells"], tables, nodes)
    sums = summary(rs, tables)
    scheds = list(dict.fromkeys(c["scheduler"] for c in doc["cells"]))
    pd = os.path.join(out, "plots")
    os.makedirs(pd, exist_ok=True)
    figs = [_bars(pd, "remote-fraction", "Remote memory accesses", "The fraction of "
                  "the membench domains' loads and stores that went to another node "
                  "(cost-model plugin), per configuration and scheduler.",
                  "remote fraction", sums, lambda s: s["remote_fraction"], scheds)]
    for t in tables:
        slug = "".join(ch if ch.isalnum() else "-" for ch in t.name.lower())
        figs.append(_bars(pd, f"cycles-{slug}", f"Modelled time, {t.name}",
                          f"Modelled cycles (millions) of the membench domains' vCPUs "
                          f"under {t.name}, remote accesses priced by distance.",
                          "Mcycles", sums, lambda s, n=t.name: s["cycles"][n] / 1e6, scheds))
    figs += [_usage_plot(pd, c, nodes) for c in doc["cells"] if not c.get("failed")]
    text = markdown(doc, tables, rs, sums, figs, nodes)
    path = os.path.join(out, "report.md")
    with open(path, "w") as f:
        f.write(text)
    with open(os.path.join(out, "figures.json"), "w") as f:
        json.dump({"summary": sums, "domains": rs}, f, indent=1, sort_keys=True)
        f.write("\n")
    return path, sum(1 for c in doc["cells"] if c.get("failed"))
