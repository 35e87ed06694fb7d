"""The PV-vs-HVM report (experiments/hvlab/pvhvm_report.py, pvhvm_run.py) on synthetic
cells: per-operation counts from two runs, modelled cycles for any keys (a key the
cost model adds later included), a failed cell reported with its reason while the rest
of the report is written, n/a and "same as" cells, the spec's bad input, and a
cost table refused before any run."""
from __future__ import annotations

import json
import os
import re
import tempfile

from check import REPO, check, eq, near, raises

from hvlab import costtable as CT
from hvlab import pvhvm_report as PR
from hvlab import pvhvm_run as RUN

def _table():
    """A shipped cost table with known round costs (its parser's rules whatever keys
    the cost model has grown)."""
    t = CT.load(os.path.join(REPO, "costs", "amd-zen4.toml"))
    t.cycles = {k: 0.0 for k in t.cycles}
    t.cycles.update(base_cpi=1.0, world_switch=1000.0, syscall=50.0, sysret=40.0,
                    iret=30.0, entry=100.0)
    t.name, t.path = "Test CPU", "costs/test.toml"
    return t


def _counts(insns_g, insns_h, vmexit=0, syscall=0, dom0=0):
    d = {"guest_insns": insns_g, "hv_insns": insns_h, "guest_mem": 0, "hv_mem": 0,
         "vmexit": vmexit, "vmrun": vmexit, "syscall": syscall, "sysret": 0, "vmmcall": 0,
         "guest_iret": 0, "hv_iret": syscall, "guest_entries": 0, "hv_entries": 0}
    return {"all": dict(d, hv_insns=insns_h + dom0), "guest": insns_g, "hv": insns_h,
            "dom0": dom0}


def _cell(row, mode, big, small, n, guest=1.0, **kw):
    return dict({"row": row, "mode": mode, "n": n, "status": "ok", "guest_per_op": guest,
                 "per_op": RUN.per_op(big, small, n)}, **kw)


def cells():
    return [
        # Microbenchmarks: the path is the case's own timing; events from the counts.
        _cell("null", "native", _counts(1300, 0), _counts(1000, 0), 11, guest=30.0),
        _cell("null", "pv", _counts(1500, 2000, syscall=11), _counts(1000, 1000, syscall=1),
              11, guest=150.0,
              reasons={"hcall version": {"kind": "hypercall", "n": 10, "total": 900,
                                          "p5": 90, "p50": 90, "p95": 95}},
              reasons_1={"hcall version": {"kind": "hypercall", "n": 1, "total": 90,
                                            "p5": 90, "p50": 90, "p95": 90}}),
        _cell("null", "hvm", _counts(1100, 4000, vmexit=11), _counts(1000, 1000, vmexit=1),
              11, guest=310.0,
              reasons={"exit vmmcall": {"kind": "exit", "n": 10, "total": 3000,
                                         "p5": 300, "p50": 300, "p95": 320},
                       "exit hlt": {"kind": "exit", "n": 1, "total": 10 ** 9,
                                    "p5": 1, "p50": 1, "p95": 1}}),
        {"row": "null", "mode": "pvhvm", "n": 11, "status": "same", "same_as": "hvm",
         "reason": RUN.PVHVM_SAME},
        _cell("cpu", "native", _counts(6000, 0), _counts(1000, 0), 11, guest=500.0),
        {"row": "cpu", "mode": "pv", "n": 11, "status": "failed",
         "reason": "run: crashed (hypervisor panic): synthetic"},
        _cell("cpu", "hvm", _counts(6100, 100), _counts(1000, 0), 11, guest=520.0),
        {"row": "cpu", "mode": "pvhvm", "n": 11, "status": "same", "same_as": "hvm"},
        {"row": "ipi", "mode": "native", "n": 11, "status": "na", "reason": "one vCPU"},
        # Other rows: the plugin's instructions (the guest's timing holds idle time).
        _cell("pingpong", "pv", _counts(2000, 10000, syscall=61, dom0=500),
              _counts(1000, 1000, syscall=1), 11, guest=99999.0),
    ]


def test_per_op():
    po = RUN.per_op(_counts(1500, 2000, syscall=11), _counts(1000, 1000, syscall=1), 11)
    eq((po["guest"], po["hv"], po["all"]["syscall"]), (50.0, 100.0, 1.0),
       "(counts(N) - counts(1)) / (N - 1)")
    s = RUN.sum_counts([
        {"who": "vcpu", "domain": 0, "vcpu": 0, "guest_insns": 5, "hv_insns": 7},
        {"who": "vcpu", "domain": 1, "vcpu": 0, "guest_insns": 100, "hv_insns": 20},
        {"who": "idle", "pcpu": 0, "guest_insns": 0, "hv_insns": 10 ** 9},
        {"who": "boot", "guest_insns": 0, "hv_insns": 3}])
    eq((s["guest"], s["hv"], s["dom0"], s["all"]["hv_insns"]), (100, 20, 12, 27),
       "idle and hvlab's boot left out, dom0 apart")
    s = RUN.sum_counts([{"who": "boot", "guest_insns": 40, "hv_insns": 0, "guest_iret": 2}])
    eq((s["guest"], s["all"]["guest_iret"]), (40, 2), "natively the boot entry is all")


def test_modelled_generic():
    t = _table()
    c = {"guest_insns": 10, "hv_insns": 5, "guest_mem": 0, "hv_mem": 0, "vmexit": 2,
         "syscall": 0, "sysret": 0, "guest_iret": 0, "hv_iret": 0, "guest_entries": 0,
         "hv_entries": 0}
    eq(PR.modelled(c, t)["total"], 2015.0, "count x cost per key")
    # A count the table's mapping lacks is 0; a count named like a cost key (what a
    # later plugin adds, e.g. a TLB model's walks) is priced as it is.
    t.cycles["tlb_walk_2d"] = 40.0
    del c["hv_entries"]
    c["tlb_walk_2d"] = 3
    m = PR.modelled(c, t)
    eq((m["total"], m["tlb_walk_2d"]), (2135.0, 120.0), "new keys priced, missing ones 0")


def test_report_with_failed_cell():
    t = _table()
    with tempfile.TemporaryDirectory() as d:
        doc = {"format": "hvlab-pv-vs-hvm-1", "plugin": "yes",
               "spec": {"cost_tables": [], "iters": {"null": 11}}, "cells": cells()}
        path = PR.build(d, doc, [t])
        text = open(path).read()
        check("**FAILED**: run: crashed (hypervisor panic): synthetic" in text,
              "the failed cell says why in the table")
        check("- cpu / pv: run: crashed" in text, "and in the Failed cells list")
        check("n/a: one vCPU" in text, "an n/a cell says why")
        # null: native 30/op, pv 150/op (5.00x), hvm 310/op (10.33x), from the timing.
        check("| null | 30.0 (1.00×) | 150 (5.00×) | 310 (10.33×) | 310 (10.33×) (= hvm) |"
              in text, "path lengths with ratios, pvhvm = hvm marked")
        # pingpong: (1000 + 9000 + 500) / 10 = 1050 instructions, not the guest's 99999.
        check("| pingpong | – | 1,050 | – | – |" in text, "other rows: the plugin's path")
        # modelled hvm: 310 insns + 1 exit x 1000 = 1310 -> 43.67x native's 30.
        check("1,310 (43.67×)" in text, "modelled cycles per op with the world switch")
        # modelled pv: 150 + syscall 50 + iret 30 (one each per call) = 230.
        check("230 (7.67×)" in text, "modelled PV call: SYSCALL and IRET priced")
        check("| null | hvm | exit vmmcall | 1.00 | 10 | 300 | 300 | 320 | 1,300 |" in text,
              "exit costs: n, p5/p50/p95 and p50 + world_switch")
        check("| null | pv | hcall version | 0.90 | 10 | 90.0 | 90.0 | 95.0 | 170 |" in text,
              "hypercall costs: p50 + syscall + iret")
        check("Test CPU" in text and "[xen03]" in text and "[roth20]" in text,
              "table named, anchors cited")
        figs = json.load(open(os.path.join(d, "figures.json")))
        near(figs["null/hvm"]["Test CPU"], 1310.0, 1e-9, "figures.json has the cycles")
        check("cpu/pv" not in figs, "no figure for a failed cell")
        dat = open(os.path.join(d, "plots", "breakdown.dat")).read()
        check("exit hlt" not in dat, "hlt (blocked time) is not hypervisor work")
        check("hv exit vmmcall" in dat, "the breakdown names exit reasons")
        norm = open(os.path.join(d, "plots", "norm-path.dat")).read()
        check("cpu\t?\t1.04\t1.04" in norm, f"a failed cell has no bar, the others do: {norm}")
        again = PR.build(d, doc, [t])
        eq(open(again).read(), text, "the report is a function of its inputs")


def test_spec_bad_input():
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.toml")
        for body, want in (("name = 1\n", "no [pv_vs_hvm] table"),
                           ("[pv_vs_hvm]\nbogus = 1\n", "pv_vs_hvm.bogus: unknown key"),
                           ("[pv_vs_hvm]\niters = { nul = 5 }\n", "iters.nul: unknown case"),
                           ("[pv_vs_hvm]\niters = { null = 1 }\n", "iters.null: 1"),
                           ("[pv_vs_hvm]\npingpong_rounds = 1\n", "pingpong_rounds: 1"),
                           ("[pv_vs_hvm]\nmodes = [\"xen\"]\n", "unknown mode 'xen'")):
            with open(p, "w") as f:
                f.write(body)
            raises(RUN.PvHvmError, lambda: RUN.load_spec(p), body.strip(), (p, want))


def test_shipped_spec():
    spec = RUN.load_spec(os.path.join(REPO, "experiments", "pv-vs-hvm.toml"))
    cs = RUN.cells(spec)
    eq({c.row for c in cs} >= set(RUN.MICRO) | {"pingpong", "disk", "net"}, True,
       "every microbenchmark, ping-pong, disk and net")
    for c in cs:
        check(c.na or c.same_as or os.path.exists(os.path.join(REPO, c.experiment)),
              f"{c.row}/{c.mode}: {c.experiment} exists")
    for t in PR.load_tables(spec["cost_tables"]):
        check(t.cycles["world_switch"] > 0, f"{t.path}: loads")


def test_bad_table_refused_before_runs():
    from hvlab import cli
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.toml")
        with open(os.path.join(REPO, "costs", "amd-zen4.toml")) as f:
            text = f.read()
        with open(bad, "w") as f:
            f.write(re.sub(r"(\[costs\.world_switch\]\s*\ncycles = )[0-9.]+", r"\g<1>-5", text))
        spec = os.path.join(d, "s.toml")
        with open(spec, "w") as f:
            f.write(f'[pv_vs_hvm]\ncost_tables = ["{bad}"]\n')
        out = os.path.join(d, "out")
        rc = cli.main(["pv-vs-hvm", spec, "--out", out, "--no-build"])
        eq(rc, 2, "exit status 2 for a bad cost table")
        check(not os.path.exists(out), "nothing written")


def test_whole_run_cost_model():
    """A cost model that prices a whole run's list of entries (the TLB/NUMA model's
    costmodel.modelled_cycles(raw, table, native=)) is used when present: per operation
    (M(N) - M(1)) / (N - 1) by its categories, the instructions of a microbenchmark
    corrected to the case's own timing."""
    from hvlab import costmodel
    t = _table()
    seen = []

    def fake(raw, table, native=False):
        seen.append(native)
        g = sum(e["guest_insns"] for e in raw)
        w = sum(e.get("walks", 0) for e in raw)
        return {"guest": g * 1.0, "hypervisor/tlb": w * 30.0, "total": g + w * 30.0}

    raw_n = [{"who": "boot", "guest_insns": 2100, "walks": 21}]
    raw_1 = [{"who": "boot", "guest_insns": 100, "walks": 1}]
    c = _cell("mem4k", "native", _counts(2100, 0), _counts(100, 0), 11, guest=150.0,
              raw_n=raw_n, raw_1=raw_1)
    old = getattr(costmodel, "modelled_cycles", None)
    costmodel.modelled_cycles = fake
    try:
        m = PR.cell_modelled(c, t)
    finally:
        if old is None:
            del costmodel.modelled_cycles
        else:
            costmodel.modelled_cycles = old
    eq(seen, [True, True], "native runs priced as native")
    eq(m["hypervisor/tlb"], 60.0, "a new category per operation: (21 - 1) x 30 / 10")
    # total: (2000 + 600) / 10 = 260, instructions 200 -> the timing's 150: 210.
    eq(m["total"], 210.0, "instructions replaced by the case's own timing")
    check(PR.cell_modelled(dict(c, raw_n=None), t)["total"] == 150.0,
          "without the raw lists: the summed counts, priced per key")
