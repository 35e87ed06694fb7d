"""The per-domain table of VM exit reasons (and hypercalls) on synthetic traces whose
right answers are known, and its place in report.md."""
from __future__ import annotations

import os
import re
import tempfile

import synth as S
from check import REPO, check, eq

from hvlab import analyze as A
from hvlab import hvmexits as H
from hvlab import run
from hvlab import trace as T

EXIT, ENTRY = S.ev(9, 0, 1), S.ev(9, 0, 2)
CPUID, HLT, PF, NPF, VMMCALL, INVALID = 0x72, 0x78, 0x4E, 0x400, 0x81, 0xFFFFFFFF


def ex(t, dom, code, info=0, rip=0x1000):
    return (t, EXIT, dom, 0, code << 32 | info, rip)


def en(t, dom, code, path):
    return (t, ENTRY, dom, 0, code, path)


def hc(t, dom, kind, nr, data1=0):
    return (t, S.HCALL_ENTRY if kind == "in" else S.HCALL_EXIT, dom, 0, nr, data1)


def trace():
    """d2 (HVM): cpuid twice (paths 300, 500), a HLT that resumes on the other pCPU
    (path 3950: the hypervisor's own measure, not the difference of two pCPUs'
    TSCs), a #PF intercept (700); d3 (HVM): an entry whose exit preceded the
    trace, an NPF (exitinfo1 in the low half must not change the code), an entry that
    resumes from another code than the open exit's (unmatched), and a VMMCALL still
    open at the end; d1 (PV): two console_io calls and one sched_op."""
    cpu0 = [(100, S.MARKER, S.DOM_NONE, 0, 1, 0),
            ex(200, 2, CPUID), en(500, 2, CPUID, 300),
            ex(600, 2, HLT),
            ex(700, 3, NPF, 0xFEE000B0 & 0xFFFFFFFF), en(1000, 3, NPF, 300),
            hc(1100, 1, "in", 18), hc(1300, 1, "out", 18),
            hc(1400, 1, "in", 18), hc(1500, 1, "out", 18),
            hc(1600, 1, "in", 29), hc(2000, 1, "out", 29),
            ex(6000, 2, CPUID), en(6500, 2, CPUID, 500),
            ex(7000, 2, PF), en(7700, 2, PF, 700),
            (9000, S.MARKER, S.DOM_NONE, 0, 2, 0)]
    cpu1 = [en(150, 3, VMMCALL, 80),
            en(4600, 2, HLT, 3950),
            ex(5000, 3, CPUID), en(5100, 3, HLT, 90),
            ex(8000, 3, VMMCALL)]
    return {0: cpu0, 1: cpu1}


def summary():
    return A.analyze(T.decode(S.stream(trace(), 2), "syn.bin")).summary


def row(exits, path):
    return {"code": f"{exits[0]:#x}", "exits": exits[1], "path_tsc": path}


def test_exit_table_per_domain():
    got = summary()["hvm_exits"]["by_domain"]
    d = lambda n, tot, p5, p50, p95, mx: {"n": n, "total": tot, "p5": p5, "p50": p50,
                                          "p95": p95, "max": mx}
    none = {"n": 0, "total": 0, "p5": None, "p50": None, "p95": None, "max": None}
    want = {
        "d2": {"exits": 4, "by_reason": {
            "cpuid": row((CPUID, 2), d(2, 800, 300, 300, 500, 500)),
            "exc_pf": row((PF, 1), d(1, 700, 700, 700, 700, 700)),
            "hlt": row((HLT, 1), d(1, 3950, 3950, 3950, 3950, 3950))}},
        "d3": {"exits": 3, "by_reason": {
            "cpuid": row((CPUID, 1), none),
            "vmmcall": row((VMMCALL, 1), none),
            "npf": row((NPF, 1), d(1, 300, 300, 300, 300, 300))}},
    }
    eq(got, want, "VM exits by domain and reason (most frequent first, then by code)")
    check("d1" not in got, f"a PV domain has no exit table: {sorted(got)}")


def test_exit_edges_counted():
    integ = summary()["integrity"]
    eq({k: integ[k] for k in ("hvm_unmatched_entries", "hvm_open_at_end",
                              "hvm_exits_without_entry")},
       {"hvm_unmatched_entries": 2, "hvm_open_at_end": 1, "hvm_exits_without_entry": 0},
       "entry before the trace and entry from another code: unmatched; VMMCALL open")
    tr = {0: [ex(10, 2, CPUID), ex(20, 2, HLT), en(30, 2, HLT, 10)]}
    s = A.analyze(T.decode(S.stream(tr, 1), "syn.bin")).summary
    eq(s["integrity"]["hvm_exits_without_entry"], 1, "two exits in a row")
    eq(s["hvm_exits"]["by_domain"]["d2"]["by_reason"]["hlt"]["path_tsc"]["total"], 10,
       "the second exit pairs with the entry")


def test_hypercalls_per_domain():
    got = summary()["hypercalls"]["by_domain"]
    eq(sorted(got), ["d1"], "only d1 made hypercalls")
    eq({n: (h["name"], h["calls"], h["path_tsc"]["total"], h["path_tsc"]["p50"])
        for n, h in got["d1"].items()},
       {"18": ("console_io", 2, 300, 100), "29": ("sched_op", 1, 400, 400)},
       "d1's hypercalls: calls, total and median path")


def test_exit_names():
    cases = {0x60: "intr", 0x64: "vintr", 0x72: "cpuid", 0x77: "pause", 0x78: "hlt",
             0x7B: "ioio", 0x7C: "msr", 0x7F: "shutdown", 0x81: "vmmcall", 0x400: "npf",
             0x40: "exc_de", 0x41: "exc_db", 0x46: "exc_ud", 0x4D: "exc_gp", 0x4E: "exc_pf",
             0x49: "exc9", 0x03: "cr3_read", 0x14: "cr4_write", 0x27: "dr7_read",
             0xFFFFFFFF: "invalid", 0xFFFFFFFFFFFFFFFF: "invalid", 0x123: "exit0x123"}
    eq({c: H.exit_name(c) for c in cases}, cases, "SVM exit code names")


def test_exit_codes_match_vmcb_h():
    """The decoder's names are vmcb.h's VMEXIT_* single codes, lower-cased."""
    with open(os.path.join(REPO, "include", "hvlab", "x86", "vmcb.h")) as f:
        text = f.read()
    codes = {int(v, 16): k[7:].lower() for k, v in
             re.findall(r"^#define\s+(VMEXIT_\w+)\s+(0x[0-9a-f]+)u?\b", text, re.M)}
    ranges = {"cr_read", "cr_write", "dr_read", "dr_write", "exc_base", "invalid"}
    eq(H.EXIT_CODES, {c: n for c, n in codes.items() if n not in ranges},
       "EXIT_CODES against include/hvlab/x86/vmcb.h")
    eq((H.CR_READ, H.CR_WRITE, H.DR_READ, H.DR_WRITE, H.EXC_BASE, H.INVALID),
       tuple(next(c for c, n in codes.items() if n == r) for r in
             ("cr_read", "cr_write", "dr_read", "dr_write", "exc_base", "invalid")),
       "the ranges' bases")


def test_report_shows_both_tables():
    """report.md has, per domain, the HVM exit table or the PV hypercall table."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "experiment.toml"), "w") as f:
            f.write('name = "pvhvm"\nscheduler = "rr"\nduration_ms = 10\n'
                    'trace = { classes = ["sched", "hcall", "hvm"] }\n'
                    '[[domain]]\nname = "p"\nimage = "cpuloop"\n'
                    '[[domain]]\nname = "h"\nimage = "cpuloop"\ntype = "hvm"\n'
                    '[[domain]]\nname = "h2"\nimage = "sleeper"\ntype = "hvm"\n')
        rd = os.path.join(d, "runs", "rr-r1")
        os.makedirs(rd)
        with open(os.path.join(rd, "trace.bin"), "wb") as f:
            f.write(S.stream(trace(), 2))
        with open(os.path.join(rd, "console.txt"), "w") as f:
            f.write("[   0.1] (d0) scenario: done\n")
        with open(os.path.join(rd, "run.json"), "w") as f:
            f.write('{"status": 0, "timed_out": false, "wall_s": 1, "errors": [], '
                    '"command_line": "q"}')
        run.regenerate(d, log=lambda *a: None)
        with open(os.path.join(d, "report.md")) as f:
            md = f.read()
        with open(os.path.join(rd, "hvm_exits.csv")) as f:
            csv = f.read().splitlines()
    eq(csv[:2], ["domain,reason,code,exits,paths,path_tsc_total,path_tsc_p5,path_tsc_p50,"
                 "path_tsc_p95,path_tsc_max", "d2,cpuid,0x72,2,2,800,300,300,500,500"],
       "hvm_exits.csv: header and d2's first row")
    sec = md[md.index("## Exits and hypercalls per domain"):md.index("## Figures")]
    for want in ("### p (PV, d1) under rr", "| console_io | 18 | 2 | 2 | 300 | 100 | 100 "
                 "| 200 | 200 |", "| sched_op | 29 | 1 | 1 | 400 |",
                 "### h (HVM, d2) under rr", "VM exits: 4.",
                 "| cpuid | 0x72 | 2 | 2 | 800 | 300 | 300 | 500 | 500 |",
                 "| hlt | 0x78 | 1 | 1 | 3,950 | 3,950 | 3,950 | 3,950 | 3,950 |",
                 "### h2 (HVM, d3) under rr", "| vmmcall | 0x81 | 1 | 0 | 0 | – | – | – | – |"):
        check(want in sec, f"report.md's section has {want!r}:\n{sec}")
    check("hvm_unmatched_entries" not in md, "edge effects are not listed as problems")


def test_exits_on_the_perfetto_timeline():
    # Every exit is an instant on the pCPU it exited on, named and categorised by its
    # reason, so a student can find the HLTs and NPFs of one vCPU in the timeline.
    from hvlab import perfetto
    an = A.analyze(T.decode(S.stream(trace(), 2), "syn.bin"))
    doc = perfetto.build(an, {"deterministic": True})
    exits = sorted((e["ts"], e["tid"], e["name"], e["cat"]) for e in doc["traceEvents"]
                   if e["ph"] == "i" and e["cat"].startswith("vmexit."))
    eq(len(exits), 7, "one instant per TRC_HVM_EXIT")
    eq([(tid, name) for _, tid, name, _ in exits[:3]],
       [(0, "vmexit.cpuid d2v0"), (0, "vmexit.hlt d2v0"), (0, "vmexit.npf d3v0")],
       "the first three: pCPU and name")
    eq({c for *_, c in exits}, {"vmexit.cpuid", "vmexit.hlt", "vmexit.npf", "vmexit.exc_pf",
                                "vmexit.vmmcall"}, "categories: one per reason")
