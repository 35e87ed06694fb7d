"""NUMA placement tables: time each vCPU spent away from its home node, running time
per node, and memory per node, from the trace.

Design: the numa policy writes numa.away (data0: home node, data1: node now) when a
vCPU starts running off its home node and numa.home when it is back
(docs/trace-format.md); a vCPU is *away* from an away record to the next home
record. Those records are read over the whole trace, so a vCPU already away when
the measured window begins counts from the window's start; only time inside the
window counts. Running time per node is the vCPUs' running intervals
(Analysis.slices) on the pCPUs of each node: the topology puts a contiguous block of
nr_cpus / nodes pCPUs on each node (machine.Topology). Memory per node sums
TRC_MEM_ALLOC (data0: node asked << 32 | node got, data1: frames) and TRC_MEM_FREE
(data0: node, data1: frames) per domain over the whole trace: memory is a level set
up at creation, before any warm-up ends.

Limitations: only allocations the hypervisor traces (XENMEM populate_physmap) are
seen; frames a domain builder gave before tracing started are not.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from . import trace as T

ANY_NODE = (0xFFFFFFFF, 0xFF)       # "node asked" values meaning no preference


def _event(name: str) -> int | None:
    return next((i for i, n in T.POLICY_EVENTS.items() if n == name), None)


def placement(an, tr: T.Trace, nodes: int) -> dict:
    """{"nodes", "per_vcpu": {key: {"away_ns", "away_fraction", "away_events",
    "home_node", "running_ns_by_node"}}, "per_domain": {dom key: {same, summed, plus
    "memory_frames_by_node": {node: {"allocated", "freed", "net", "off_asked"}}}}}."""
    away_ev, home_ev = _event("numa.away"), _event("numa.home")
    alloc_ev, free_ev = T.EV["mem_alloc"], T.EV["mem_free"]
    want = {e for e in (away_ev, home_ev, alloc_ev, free_ev) if e is not None}
    recs = sorted((r for recs in tr.per_cpu for r in recs if r.event in want),
                  key=lambda r: (r.tsc, r.cpu))
    t0, t1 = an.t0, an.t1
    away_since: dict = {}
    away = Counter()
    events = Counter()
    home: dict = {}
    mem = defaultdict(lambda: defaultdict(Counter))     # dom -> node -> what -> frames
    for r in recs:
        key = (r.domid, r.vcpuid)
        if r.event == away_ev:
            home[key] = r.data0
            if t0 <= r.tsc <= t1:
                events[key] += 1
            away_since.setdefault(key, r.tsc)
        elif r.event == home_ev:
            s = away_since.pop(key, None)
            if s is not None:
                away[key] += max(0, min(r.tsc, t1) - max(s, t0))
        elif r.event == alloc_ev:
            asked, got = r.data0 >> 32, r.data0 & 0xFFFFFFFF
            mem[r.domid][got]["allocated"] += r.data1
            if asked not in ANY_NODE and asked != got:
                mem[r.domid][got]["off_asked"] += r.data1
        elif r.event == free_ev:
            mem[r.domid][r.data0]["freed"] += r.data1
    for key, s in away_since.items():               # still away at the end
        away[key] += max(0, t1 - max(s, t0))
    per_node = max(1, an.nr_cpus // max(1, nodes))
    run = defaultdict(Counter)
    for cpu, s, e, dom, vc in an.slices:
        if dom != T.DOM_IDLE:
            run[(dom, vc)][min(cpu // per_node, nodes - 1)] += e - s
    interval = t1 - t0

    def ns(x):
        return x * 1_000_000 // an.tsc_khz

    per_vcpu = {}
    keys = set(away) | set(events) | set(run)
    for dom, vc in sorted(keys):
        per_vcpu[f"d{dom}v{vc}"] = {
            "home_node": home.get((dom, vc)), "away_events": events[(dom, vc)],
            "away_ns": ns(away[(dom, vc)]),
            "away_fraction": away[(dom, vc)] / interval if interval else 0.0,
            "running_ns_by_node": {str(n): ns(run[(dom, vc)][n]) for n in range(nodes)}}
    per_dom: dict = {}
    for dom in sorted({d for d, _v in keys} | set(mem)):
        vs = [k for k in keys if k[0] == dom]
        a = sum(away[k] for k in vs)
        per_dom["hyp" if dom == T.DOM_NONE else f"d{dom}"] = {
            "vcpus": len(vs), "away_events": sum(events[k] for k in vs), "away_ns": ns(a),
            "away_fraction": a / (interval * len(vs)) if interval and vs else 0.0,
            "running_ns_by_node": {str(n): ns(sum(run[k][n] for k in vs))
                                   for n in range(nodes)},
            "memory_frames_by_node": {
                str(n): {"allocated": m["allocated"], "freed": m["freed"],
                         "net": m["allocated"] - m["freed"], "off_asked": m["off_asked"]}
                for n, m in sorted(mem[dom].items())}}
    return {"nodes": nodes, "pcpus_per_node": per_node, "per_vcpu": per_vcpu,
            "per_domain": per_dom}
