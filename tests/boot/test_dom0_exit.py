#!/usr/bin/env python3
"""How dom0's end stops the machine: a scenario that fails stops it with the "dom0
reported an error" status (no panic, no call trace), naming the failing command by
file and line; a real dom0 crash still panics. Exit statuses: docs/boot.md.

Run from the repository root; the last line is "dom0 exit tests: N passed, N failed".
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from test_boot import IMAGE, TIMEOUT_S, check, run_suite, scenario_modules  # noqa: E402
from hvlab.machine import EXIT_DOM0_ERROR, EXIT_PANIC, Topology, boot, describe_status  # noqa: E402


def check_failed_cleanly(r, what: str) -> None:
    check(not r.timed_out, f"{what}: QEMU did not exit within {TIMEOUT_S} s", r)
    check(r.status == EXIT_DOM0_ERROR,
          f"{what}: exit status {EXIT_DOM0_ERROR} (dom0 reported an error), got "
          f"{r.status} ({describe_status(r.status)})", r)
    check("(d0) scenario: failed" in r.output, f"{what}: dom0 says the scenario failed", r)
    check("Panic" not in r.output, f"{what}: no 'Panic' banner", r)
    check("Call trace" not in r.output, f"{what}: no call trace", r)
    check("domain 0 (Domain-0): shutdown (error)" in r.output,
          f"{what}: dom0 shut down with reason 'error'", r)
    check("hvlab: dom0 reported an error: stopping the machine" in r.output,
          f"{what}: the hypervisor says why the machine stops", r)


def case_bad_cfg_key() -> None:
    """A cfg file with a key neither xl nor the pool's policy (rr) knows: refused
    before any command runs."""
    d = "tests/scenarios/fail-badcfg"
    r = boot(IMAGE, Topology(1, 1, 256), "", TIMEOUT_S,
             modules=scenario_modules(d, ["cpuloop"], ["bad.cfg"]))
    check_failed_cleanly(r, "bad cfg key")
    check("(d0) bad.cfg:5: key 'frobnicate': no parameter 'frobnicate' in policy 'rr' "
          "(it has: none)" in r.output, "the bad key is named", r)
    check("(d0) scenario:4: create bad.cfg: the cfg file has problems" in r.output,
          "the scenario line that uses it is named", r)
    check("(d0) fail-badcfg: this must not print" not in r.output, "no command ran", r)


def case_failed_command() -> None:
    """A command that fails at run time while a domU runs: the rest is skipped."""
    d = "tests/scenarios/fail-command"
    r = boot(IMAGE, Topology(2, 1, 256), "", TIMEOUT_S,
             modules=scenario_modules(d, ["cpuloop"], ["loop.cfg"]))
    check_failed_cleanly(r, "failed command")
    check("(d0) fail-command: begin" in r.output, "the commands before it ran", r)
    check("(d0) scenario:6: 'destroy nosuch' failed: " in r.output,
          "the failing command is named by file and line", r)
    check("(d0) fail-command: this must not print" not in r.output,
          "the commands after it did not run", r)


def case_missing_image() -> None:
    """A cfg file whose kernel is not among the modules: refused before running."""
    d = "tests/scenarios/fail-command"
    r = boot(IMAGE, Topology(1, 1, 256), "", TIMEOUT_S,
             modules=scenario_modules(d, [], ["loop.cfg"]))
    check_failed_cleanly(r, "missing image")
    check("(d0) scenario:5: create loop.cfg: the cfg file has problems" in r.output,
          "the create line is named", r)
    check("(d0) create loop: no boot module named 'cpuloop.elf'" in r.output,
          "the missing kernel is named", r)


def case_dom0_crash_still_panics() -> None:
    """A page fault in dom0 is a crash, not an error it reported: the hypervisor
    panics as before (panic status, banner, call trace)."""
    r = boot(IMAGE, Topology(1, 1, 256), "", TIMEOUT_S,
             modules=["build/guest/crasher.elf"])
    check(not r.timed_out, "a crash ends the run", r)
    check(r.status == EXIT_PANIC, f"exit status {EXIT_PANIC} (panic), got {r.status} "
          f"({describe_status(r.status)})", r)
    check("(d0) crasher: domain 0 writes to" in r.output, "the crasher ran as dom0", r)
    check("(d0) crasher: the write did not fault" not in r.output, "the write faulted", r)
    check("Panic on CPU0: dom0 crashed" in r.output, "the panic names dom0's crash", r)
    check("Call trace:" in r.output, "with a call trace", r)


CASES = [case_bad_cfg_key, case_failed_command, case_missing_image,
         case_dom0_crash_still_panics]


if __name__ == "__main__":
    sys.exit(run_suite("dom0 exit tests", CASES, sys.argv[1:]))
