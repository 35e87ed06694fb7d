"""QEMU exit statuses: the harness's table matches the hypervisor's codes, and a run
that dom0 stopped because its scenario failed is reported as "scenario failed" with
the failing command's file and line, not as a crash."""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile

import synth as S
from check import REPO, check, eq

from hvlab import machine, run

FAILED_CONSOLE = """\
[   0.010000] domain 0 (Domain-0): created, 1 vCPU, 64116 frames free before
[   0.020000] (d0) xl> destroy nosuch
[   0.020001] (d0) scenario:6: 'destroy nosuch' failed: ESRCH
[   0.020002] (d0) scenario: failed
[   0.020003] domain 0 (Domain-0): shutdown (error)
[   0.020004] hvlab: dom0 reported an error: stopping the machine (exit code 3)
"""

PANIC_CONSOLE = """\
[   0.020000] (d0) crash: unhandled #PF
[   0.020001] domain 0 (Domain-0): shutdown (crash)
[   0.020002] Panic on CPU0: dom0 crashed
"""


def test_statuses_match_the_hypervisor():
    with open(os.path.join(REPO, "include", "hvlab", "shutdown.h")) as f:
        codes = dict(re.findall(r"#define EXIT_CODE_(\w+)\s+(\d+)", f.read()))
    want = {"PANIC": machine.EXIT_PANIC, "POWEROFF_FAIL": machine.EXIT_POWEROFF_FAILED,
            "DOM0_ERROR": machine.EXIT_DOM0_ERROR}
    eq(sorted(codes), sorted(want), "EXIT_CODE_* names in shutdown.h")
    for name, status in want.items():
        eq((int(codes[name]) << 1) | 1, status, f"QEMU status of EXIT_CODE_{name}")
    eq(len(set(machine.EXIT_STATUSES)), 4, "four distinct statuses")


def test_state_of_a_failed_scenario():
    state = run.run_state({"status": machine.EXIT_DOM0_ERROR, "timed_out": False,
                           "errors": []}, FAILED_CONSOLE)
    eq(state, "scenario failed: scenario:6: 'destroy nosuch' failed: ESRCH", "state line")
    check("crash" not in state, f"not called a crash: {state!r}")


def test_state_of_a_panic():
    state = run.run_state({"status": machine.EXIT_PANIC, "timed_out": False,
                           "errors": []}, PANIC_CONSOLE)
    eq(state, "crashed (hypervisor panic): Panic on CPU0: dom0 crashed", "state line")


def test_state_of_other_endings():
    eq(run.run_state({"status": 0, "timed_out": False, "errors": []}, ""), "ok", "clean")
    eq(run.run_state({"status": -1, "timed_out": True, "errors": []}, ""), "timed out",
       "timeout")
    eq(run.run_state({"status": 0, "timed_out": False, "errors": ["trace: bad"]}, ""),
       "trace: bad", "a collection error")
    eq(run.run_state({"status": 9, "timed_out": False, "errors": []}, ""),
       "QEMU exit status 9 (unexpected QEMU exit status 9)", "an unknown status")


def test_failed_scenario_in_the_report():
    d = tempfile.mkdtemp(prefix="hvlab-exit-")
    try:
        S.fake_results(d, ("rr",), duration_ms=30)
        rd = os.path.join(d, "runs", "rr-r1")
        with open(os.path.join(rd, "console.txt"), "w") as f:
            f.write(FAILED_CONSOLE)
        with open(os.path.join(rd, "run.json"), "w") as f:
            json.dump({"status": machine.EXIT_DOM0_ERROR, "timed_out": False,
                       "errors": [], "wall_s": 0.5}, f)
        eq(run.regenerate(d, log=lambda *a: None), 1, "one configuration failed")
        s = json.load(open(os.path.join(d, "runs", "rr-r1", "summary.json")))
        probs = s["problems"]
        check(any("status 7 (dom0 reported an error (scenario failed))" in p for p in probs),
              f"the status is explained: {probs}")
        check(any("scenario failed: scenario:6: 'destroy nosuch' failed: ESRCH" in p
                  for p in probs), f"the failing command is named: {probs}")
        check(not any("crash" in p for p in probs), f"nothing says crashed: {probs}")
    finally:
        shutil.rmtree(d)
