#!/usr/bin/env python3
"""docs/writing-a-scheduler.md, booted: the doc's policy (sched/stride.c) and its
Makefile line applied to a scratch copy of the tree (tests/harness/docwalk.py), built,
and run as the doc says: its experiment (stride.toml) through ./hvlab, where the two
hogs' run times must split as their configured weights 1:3, and its xl scenario, where
every line the doc shows dom0 printing must appear. The host part is
tests/harness/test_doc_scheduler.py.

Run from the repository root after make (make boot-test). Last line:
"doc scheduler tests: N passed, N failed"."""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
import docwalk  # noqa: E402
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import check, run_suite  # noqa: E402
from test_sched import blocks  # noqa: E402

TREE = ""                               # the scratch tree, made in main()
WEIGHT_TOLERANCE = 0.05                 # relative, on the 3.0 ratio


def doc_blocks():
    return docwalk.blocks()


def case_experiment() -> str:
    """The doc's boot commands; the guests' own run times against their weights."""
    for cmd in docwalk.commands(doc_blocks(), "boot"):
        p = docwalk.run(cmd, TREE, 120)
        check(p.returncode == 0, f"'{cmd}' exited {p.returncode}:\n"
              f"{(p.stdout + p.stderr)[-3000:]}")
    with open(os.path.join(TREE, "stride-results", "summary.json")) as f:
        s = json.load(f)
    c = s["configurations"]["stride-r1"]
    check(c["status"] == "ok" and not c["problems"], f"the run is ok: {c['status']} "
          f"{c['problems']}")
    names = {int(k[1:]): v for k, v in c["domains"].items()}
    run = {names[g["dom"]]: g["run_ns"] for g in c["guest_results"] if g["bench"] == "cpuloop"}
    check(set(run) == {"light", "heavy"}, f"both hogs reported: {run}")
    ratio = run["heavy"] / run["light"]
    summary = (f"heavy {run['heavy'] / 1e6:.1f} ms, light {run['light'] / 1e6:.1f} ms: "
               f"{ratio:.3f} (weights 768:256 = 3)")
    check(abs(ratio / 3 - 1) <= WEIGHT_TOLERANCE, f"run times follow the weights within "
          f"{WEIGHT_TOLERANCE:.0%}: {summary}")
    for d in ("light", "heavy"):
        cfg = os.path.join(TREE, "stride-results", "runs", "stride-r1", "inputs", f"{d}.cfg")
        with open(cfg) as f:
            check(re.search(r"^weight = \d+$", f.read(), re.M) is not None,
                  f"the harness wrote {d}'s weight into its cfg")
    return summary


def case_xl() -> str:
    """The doc's xl scenario booted with sched=stride: every output line it shows."""
    (xl,) = [b for b in doc_blocks() if b.attrs.get("test") == "xl"]
    want: list[tuple[str, list[str]]] = []
    for ln in xl.text.splitlines():
        if ln.startswith("xl> "):
            want.append((ln[4:], []))
        elif ln.strip():
            want[-1][1].append(ln)
    scen = os.path.join(TREE, "doc-xl.scenario")
    with open(scen, "w") as f:
        f.write("\n".join(c for c, _ in want) + "\n")
    build = os.path.join(TREE, "build")
    mods = [f"{build}/dom0.elf", f"{build}/guest/cpuloop.elf cpuloop.elf",
            f"{TREE}/light.cfg light.cfg", f"{scen} scenario"]
    r = boot(f"{build}/hvlab.elf", Topology(1, 1, 128), "sched=stride", 60, modules=mods)
    check(not r.timed_out and "(d0) scenario: done" in r.output, "the scenario ran", r)
    got = blocks(r)
    check([c for c, _ in got] == [c for c, _ in want],
          f"dom0 ran the doc's commands: {[c for c, _ in got]}", r)
    for (cmd, lines), (_, out) in zip(want, got):
        for ln in lines:
            check(ln in out, f"'{cmd}' printed {ln!r} as the doc shows; it printed {out}", r)
    return f"{len(want)} commands, {sum(len(x) for _, x in want)} output lines as documented"


CASES = [case_experiment, case_xl]


def main() -> int:
    global TREE
    with tempfile.TemporaryDirectory(prefix="hvlab-docwalk-") as d:
        TREE = os.path.join(d, "tree")
        docwalk.scratch(TREE)
        p = docwalk.run("make -s all", TREE, 600)
        if p.returncode != 0:
            print(f"FAIL build of the doc's policy:\n{(p.stdout + p.stderr)[-3000:]}")
            print("doc scheduler tests: 0 passed, 1 failed")
            return 1
        return run_suite("doc scheduler tests", CASES, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
