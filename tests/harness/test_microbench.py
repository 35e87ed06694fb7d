"""The microbenchmarks' harness side (experiments/hvlab/microbench.py): result lines
(run, skipped, FAILED, malformed), problems, the table case x mode with ratios to
native, and the shipped micro-*.toml experiments."""
from __future__ import annotations

import os

from check import REPO, check, eq, raises

from hvlab import experiment as E
from hvlab import microbench as MB

TEXT = "\n".join([
    "[   0.1] (d1) result bench=micro case=null mode=pv iters=10 ns=1000 ns_per_op=100.00",
    '(d1) result bench=micro case=ioport mode=pv skipped="no I/O ports in a PV domU"',
    "(d1) result bench=cpuloop iters=3",
    "result bench=micro case=null mode=native iters=10 ns=250 ns_per_op=25.00",
    "result bench=micro case=timer mode=native iters=2 ns=80 ns_per_op=40.00 early=1 "
    "early_max_ns=7",
    'result bench=micro case=ioport mode=native FAILED="RTC seconds read 0x99"',
])


def test_parse():
    res = MB.parse(TEXT)
    eq([(r["case"], r["mode"]) for r in res],
       [("null", "pv"), ("ioport", "pv"), ("null", "native"), ("timer", "native"),
        ("ioport", "native")], "micro lines only, in order")
    eq((res[0]["iters"], res[0]["ns"], res[0]["ns_per_op"]), (10, 1000, 100.0), "numbers")
    eq(res[1]["skipped"], "no I/O ports in a PV domU", "the whole quoted reason")
    eq((res[3]["early"], res[3]["early_max_ns"]), (1, 7), "timer's early events")
    eq(MB.problems(res), ["micro: native ioport: FAILED: RTC seconds read 0x99"],
       "a FAILED case is a problem")
    raises(MB.MicroError, lambda: MB.parse("result bench=micro case=null mode=pv iters=1 ns=2"),
           "no ns_per_op", ("line 1", "ns_per_op"))
    raises(MB.MicroError,
           lambda: MB.parse("x\nresult bench=micro case=null mode=pv iters=z ns=2 ns_per_op=1"),
           "iters not a number", ("line 2",))
    raises(MB.MicroError, lambda: MB.parse("result bench=micro nothing"),
           "no case and mode", ("line 1",))


def test_table():
    rows = MB.table(MB.parse(TEXT))
    eq(rows[0], "| case | native | pv |", "modes: native first")
    null = next(r for r in rows if r.startswith("| null "))
    eq(null, "| null | 25.00 (1.00×) | 100.00 (4.00×) |", "ratio to native")
    io = next(r for r in rows if r.startswith("| ioport "))
    check("**FAILED**: RTC seconds read 0x99" in io and "skipped: no I/O ports" in io,
          f"failed and skipped cells say why: {io}")
    timer = next(r for r in rows if r.startswith("| timer "))
    eq(timer, "| timer | 40.00 (1.00×) | – |", "a case a mode did not print")


def test_shipped_micro_experiments():
    for mode in ("native", "pv", "hvm"):
        exp = E.load(os.path.join(REPO, "experiments", f"micro-{mode}.toml"))
        eq(exp.domains[0].image, "micro", f"micro-{mode} runs bench/micro.c")
        eq(exp.native, mode == "native", f"micro-{mode}: native only for native")
        eq(exp.domains[0].type, "pv" if mode == "pv" else "hvm", f"micro-{mode}: type")
