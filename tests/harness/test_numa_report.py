"""The NUMA experiment's report (experiments/hvlab/numa_report.py, numa_run.py) on
synthetic data: remote fraction and mean remote distance from the plugin's counts,
modelled cycles of one domain with remote accesses priced by distance, frames per node
over time from TRC_MEM_POLICY / TRC_MEM_MIGRATE / TRC_DOM_DESTROY (a gfn placed again
replaces its frame), the report's tables (pages moved: 0 and not 0, a failed run), the
experiment file's bad input, membench's result lines, and the plugin's node ranges
(QEMU 7.2 reports node n's RAM at 2n x its size)."""
from __future__ import annotations

import json
import os
import tempfile

from check import REPO, check, eq, near, raises

from hvlab import costmodel as CM
from hvlab import costtable as CT
from hvlab import machine
from hvlab import numa_report as NR
from hvlab import numa_run as RUN
from hvlab import trace as T


def _table():
    """A shipped table with round costs: 1 cycle per instruction, 11 per remote access
    at distance 21 (so 1 per unit of distance - 10), nothing else."""
    t = CT.load(os.path.join(REPO, "costs", "amd-zen4.toml"))
    t.cycles = {k: 0.0 for k in t.cycles}
    t.cycles.update(base_cpi=1.0, mem_remote=11.0)
    t.name = "Test CPU"
    return t


def _vcpu(dom, vcpu, insns, local, remote, slit, hv_insns=0, hv_remote=0, hv_slit=0):
    return {"who": "vcpu", "domain": dom, "vcpu": vcpu, "guest_insns": insns,
            "hv_insns": hv_insns, "guest_mem": local + remote, "hv_mem": hv_remote,
            "vmexit": 0, "vmrun": 0, "syscall": 0, "sysret": 0, "vmmcall": 0,
            "guest_iret": 0, "hv_iret": 0, "guest_entries": 0, "hv_entries": 0,
            "guest_mem_local": local, "guest_mem_remote": remote,
            "guest_mem_remote_slit": slit, "hv_mem_local": 0, "hv_mem_remote": hv_remote,
            "hv_mem_remote_slit": hv_slit}


def test_access_fraction_and_distance():
    counts = [_vcpu(1, 0, 1000, 300, 60, 60 * 12), _vcpu(1, 1, 1000, 0, 40, 40 * 6),
              _vcpu(2, 0, 500, 0, 0, 0), _vcpu(0, 0, 9999, 1, 99, 99 * 12)]
    a = NR.access(counts, 1)
    eq((a["local"], a["remote"]), (300, 100), "domain 1: accesses summed over its vCPUs")
    near(a["remote_fraction"], 0.25, 1e-12, "domain 1: remote fraction 100 / 400")
    near(a["mean_remote_distance"], 10 + (720 + 240) / 100, 1e-12,
         "domain 1: mean distance of remote accesses (22 and 16)")
    b = NR.access(counts, 2)
    eq((b["remote_fraction"], b["mean_remote_distance"]), (None, None),
       "a domain without accesses: no fraction, no distance")
    eq(NR.access(counts, 7)["local"], 0, "an unknown domain: nothing")


def test_modelled_cycles_of_one_domain():
    t = _table()
    counts = [_vcpu(1, 0, 1000, 300, 100, 100 * 12, hv_insns=200, hv_remote=5, hv_slit=30),
              _vcpu(2, 0, 70000, 0, 0, 0)]
    c = NR.cycles(counts, 1, t)
    # guest 1000 + hv 200 instructions; remote: (1200 + 30) / 11 x 11 cycles
    near(c["total"], 1000 + 200 + 1200 + 30, 1e-9, "domain 1's cycles, not domain 2's")
    near(c["remote"], 1230, 1e-9, "the remote part: distance-weighted, both modes")
    eq(NR.cycles(counts, 5, t), {"total": None, "remote": None}, "no vCPU: no figure")
    far = NR.cycles([_vcpu(1, 0, 1000, 0, 100, 100 * 12)], 1, t)["remote"]
    near_ = NR.cycles([_vcpu(1, 0, 1000, 0, 100, 100 * 6)], 1, t)["remote"]
    check(far == 2 * near_, f"distance 22 costs twice distance 16: {far} vs {near_}")


POL, MIG, DESTROY = NR.TRC_MEM_POLICY, NR.TRC_MEM_MIGRATE, T.EV["dom_destroy"]


def _rec(tsc, ev, dom, d0, d1):
    return T.Record(tsc, 0, ev, dom, 0, d0, d1)


def test_trace_memory_levels_moves_and_destroy():
    khz = 1000                               # 1000 ticks per ms
    recs = [_rec(0, T.EV["dom_create"], 1, 1, 0)]
    # HVM domain 1: 4 gfns on node 0 (creation), the same 4 again on node 2 (policy set)
    recs += [_rec(100 + g, POL, 1, (0xFFFFFFFF << 32) | 0, (1 << 56) | g) for g in range(4)]
    recs += [_rec(2000 + g, POL, 1, (2 << 32) | 2, (1 << 56) | g) for g in range(4)]
    recs.append(_rec(2100, POL, 1, (3 << 32) | NR.NO_NODE, 9))          # refused
    recs.append(_rec(3000, MIG, 1, (2 << 32) | 3, 2))                     # 2 frames 2->3
    recs += [_rec(3000, POL, 1, (3 << 32) | 3, (NR.REASON_MIGRATE << 56) | g)  # their new
             for g in range(2)]                                                # frames
    recs.append(_rec(3000, POL, 2, (1 << 32) | 1, 0))                     # domain 2: 1 frame
    recs.append(_rec(5000, DESTROY, 1, 4, 0))
    m = NR.trace_memory(recs, khz)
    u = m["usage"]["1"]
    eq(u[0], [0.1, {"0": 4}], "first point: 4 frames on node 0 at 0.1 ms")
    eq(u[1], [2.0, {"2": 4}], "the same gfns placed again replace their frames")
    eq(u[2], [3.0, {"2": 2, "3": 2}], "a move of 2 frames from node 2 to node 3 (the "
       "new frames' own placement records not counted again)")
    eq(u[-1], [5.0, {}], "destroyed: nothing held")
    eq(m["held"], {"1": {"2": 2, "3": 2}, "2": {"1": 1}},
       "held: the level at destroy, or at the end of the trace")
    eq(m["moved"], {"1": {"frames": 2, "pairs": {"2->3": 2}}}, "pages moved")
    eq(m["refused"], {"1": 1}, "a refused placement is counted, not placed")
    eq(NR.final_usage(m, 1, 4), [0, 0, 2, 2], "frames per node of domain 1")
    eq(NR.final_usage(m, 9, 2), [0, 0], "an unknown domain holds nothing")


def _cell(config, sched, domains, counts, trace=None, failed=None):
    return {"config": config, "scheduler": sched, "key": f"{config}-{sched}", "note": "",
            "failed": failed, "state": "ok", "wall_s": 1.5, "domains": domains,
            "counts": counts, "trace": trace or {"usage": {}, "held": {}, "moved": {},
                                                  "refused": {}}}


def _dom(name, domid, policy, nodes):
    return {"name": name, "domid": domid, "type": "pv", "memory_mib": 16,
            "memory_policy": policy, "nodes": nodes, "cpus": "all",
            "results": {"triad": {"bytes_per_us": 900}, "chase": {"ns": 2000, "iters": 100}}}


def _doc(cells):
    return {"format": "hvlab-numa-1", "experiment": "numa.toml",
            "cost_tables": ["costs/amd-zen4.toml"],
            "topology": {"cpus": 8, "nodes": 4, "mem_mib": 512,
                         "distances": [[0, 1, 16], [2, 3, 16]]}, "cells": cells}


def test_report_tables():
    t = _table()
    local = _cell("local", "numa", [_dom("a", 1, "local", "1"), _dom("b", 2, "local", "2")],
                  [_vcpu(1, 0, 10**6, 400, 0, 0), _vcpu(2, 0, 10**6, 400, 0, 0)])
    remote = _cell("bind-remote", "numa", [_dom("a", 1, "bind", "3"), _dom("b", 2, "bind", "0")],
                   [_vcpu(1, 0, 10**6, 0, 400, 400 * 12), _vcpu(2, 0, 10**6, 100, 300, 300 * 6)])
    broken = _cell("interleave", "numa", [_dom("a", 1, "interleave", "all")], [],
                   failed="run: timed out")
    rs = NR.rows([local, remote, broken], [t], 4)
    eq([(r["config"], r["domain"]) for r in rs],
       [("local", "a"), ("local", "b"), ("bind-remote", "a"), ("bind-remote", "b")],
       "one row per domain of each run that did not fail")
    s = NR.summary(rs, [t])
    eq([x["config"] for x in s], ["local", "bind-remote"], "a summary per run, in order")
    near(s[0]["remote_fraction"], 0.0, 1e-12, "local: no remote access")
    near(s[1]["remote_fraction"], 700 / 800, 1e-12, "bind-remote: 700 of 800 remote")
    near(s[1]["cycles"]["Test CPU"], 2 * 10**6 + 400 * 12 + 300 * 6, 1e-9,
         "bind-remote's modelled cycles: instructions + distance-weighted remote accesses")
    near(s[1]["remote_cycles"]["Test CPU"], 400 * 12 + 300 * 6, 1e-9,
         "bind-remote's remote part")
    eq(s[0]["remote_cycles"]["Test CPU"], 0.0, "local: no remote part")
    md = NR.markdown(_doc([local, remote, broken]), [t], rs, s, [], 4)
    check("| local | numa | 0.0 % | 2.00 | 0.00 | 0 |" in md, "summary row of local:\n" + md)
    check("| bind-remote | numa | 87.5 % |" in md, "summary row of bind-remote")
    check("| node 1 | 16 | 10 | 20 | 20 |" in md, "the SLIT matrix (unlisted pairs: 20)")
    check("0 frames moved" in md, "no TRC_MEM_MIGRATE: the report says 0 moved")
    check("| interleave-numa | 1.5 | run: timed out |" in md and "1 runs failed" in md,
          "a failed run is listed with its reason")
    moved = _cell("migrate", "numa", [_dom("a", 1, "bind", "0")], [_vcpu(1, 0, 10, 1, 1, 6)],
                  trace={"usage": {}, "held": {}, "refused": {},
                         "moved": {"1": {"frames": 4096, "pairs": {"0->2": 4096}}}})
    rs2 = NR.rows([moved], [t], 4)
    md2 = NR.markdown(_doc([moved]), [t], rs2, NR.summary(rs2, [t]), [], 4)
    check("| migrate-numa | a | 4,096 | 0->2: 4,096 |" in md2, "pages moved listed:\n" + md2)


def test_report_written_from_cells():
    with tempfile.TemporaryDirectory() as d:
        cell = _cell("local", "numa", [_dom("a", 1, "local", "1")], [_vcpu(1, 0, 5, 5, 0, 0)],
                     trace={"usage": {"1": [[0.1, {"1": 4}]]}, "held": {"1": {"1": 4}},
                            "moved": {}, "refused": {}})
        with open(os.path.join(d, "cells.json"), "w") as f:
            json.dump(_doc([cell]), f)
        path, failed = NR.write(d)
        eq(failed, 0, "no failed run")
        text = open(path).read()
        check("0 / 4 / 0 / 0" in text, "frames per node from the trace's level")
        for name in ("remote-fraction", "cycles-amd-zen-4", "usage-local-numa"):
            check(os.path.exists(os.path.join(d, "plots", name + ".gp")), f"{name}.gp written")
        with open(os.path.join(d, "cells.json"), "w") as f:
            json.dump({"format": "other"}, f)
        raises(NR.ReportError, lambda: NR.write(d), "not a NUMA cells file", ("not the NUMA",))


BASE = """name = "n"
mode = "deterministic"
schedulers = ["numa", "credit2"]
duration_ms = 10
[topology]
cpus = 8
nodes = 4
mem_mib = 512
[[domain]]
name = "a"
image = "membench"
[[domain]]
name = "b"
image = "membench"
[numa]
"""


def _spec(text):
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(BASE + text)
    try:
        return RUN.load_spec(f.name), f.name
    finally:
        os.unlink(f.name)


def test_spec_configurations():
    s, _ = _spec('[[numa.config]]\nname = "bind"\nmemory_policy = "bind"\n'
                 'nodes = ["3", "2"]\ncpus = "0-1"\n'
                 '[[numa.config]]\nname = "ft"\nmemory_policy = "first-touch"\nnodes = ""\n')
    e = s["experiments"]
    eq([(d.memory_policy, d.nodes, d.cpus) for d in e["bind"].domains],
       [("bind", "3", "0-1"), ("bind", "2", "0-1")], "per-domain values and one for all")
    eq([d.nodes for d in e["ft"].domains], [None, None], '"" removes the key')
    eq([(c["name"], sch) for c, sch in RUN.units(s)],
       [("bind", "numa"), ("bind", "credit2"), ("ft", "numa"), ("ft", "credit2")],
       "configurations x schedulers")
    shipped = RUN.load_spec(os.path.join(REPO, "experiments", "numa.toml"))
    eq(len(RUN.units(shipped)), 12, "experiments/numa.toml: 6 configurations x 2 schedulers")


def test_spec_bad_input():
    e = raises(RUN.NumaError, lambda: _spec(
        '[[numa.config]]\nname = "x"\nnodes = ["1"]\ncolour = 1\n'
        '[[numa.config]]\nname = "x"\n'
        '[[numa.config]]\nname = "far"\nmemory_policy = "bind"\nnodes = "6"\n'),
        "bad configurations refused")
    msg = str(e)
    for want in ("numa.config[0].nodes: expected a string or a list of 2 strings",
                 "numa.config[0].colour: unknown key", "numa.config[1].name: 'x' used twice",
                 "(configuration far)", "6"):
        check(want in msg, f"message has {want!r}:\n{msg}")
    raises(RUN.NumaError, lambda: _spec(""), "no configuration", ("numa.config",))


def test_membench_result_lines():
    text = ("[   0.1] (d1) result bench=membench case=triad mode=pv vnode=0 bytes=24 iters=1 "
            "ns=10 bytes_per_us=2400 sum=0x3\n"
            "[   0.2] (d3) result bench=membench case=chase mode=hvm vnode=1 bytes=8 iters=1 "
            "ns=5 ns_per_iter=5.00 sum=0x0 end=0\n(d2) result bench=micro case=null\n")
    r = RUN.membench_results(text)
    eq(sorted(r), [1, 3], "membench lines only, by domain")
    eq((r[1]["triad"]["sum"], r[1]["triad"]["bytes_per_us"]), (3, 2400), "numbers parsed")
    eq(r[3]["chase"]["ns_per_iter"], "5.00", "a decimal kept as text")


def test_plugin_node_ranges():
    """QEMU 7.2's qemu_plugin_hwaddr_phys_addr adds the RAM block's offset to its
    region's address: node n of a memdev per node appears at 2n x its size. With the
    physical ranges a domain bound to node 1 on a pCPU of node 1 counted only remote
    accesses and one on node 3 none at all."""
    args = CM.numa_args(machine.Topology(cpus=8, nodes=4, mem_mib=512,
                                         distances=((0, 1, 16),)))
    eq(args[:4], ["node0=0x0-0x8000000", "node1=0x10000000-0x18000000",
                  "node2=0x20000000-0x28000000", "node3=0x30000000-0x38000000"],
       "node ranges as the plugin sees them")
    eq(args[4:], ["cpunodes=0.0.1.1.2.2.3.3",
                  "slit=10.16.20.20.16.10.20.20.20.20.10.20.20.20.20.10"], "pCPU nodes, SLIT")
    eq(CM.numa_args(machine.Topology(cpus=2, nodes=1, mem_mib=256))[0], "node0=0x0-0x10000000",
       "one node: the physical range")
