"""Shared by the boot tests that run experiments through the harness in-process
(test_determinism, test_rt_agree, test_policy_events, test_harness_e2e): one
configuration run and processed, and the checks' report."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab import experiment, results, run  # noqa: E402


def run_config(exp: experiment.Experiment, out: str, index: int, policy: str, rep: int = 1,
               perfetto: bool = False):
    """Boots configuration (policy, rep) of exp into out/runs/<key>/ and analyses it:
    (run.json's info, the processed result, the run folder)."""
    cfg = experiment.Config(index, policy, rep, f"{policy}-r{rep}")
    rd = os.path.join(out, "runs", cfg.key)
    info = run.run_one(exp, cfg, rd)
    return info, results.process(exp, cfg, rd, perfetto_out=perfetto), rd


def report(label: str, checks: list[tuple[str, bool, str]]) -> int:
    """Prints one line per (name, ok, detail) check and "<label>: N passed, N failed";
    the exit status: 1 if any failed."""
    failed = 0
    for name, ok, detail in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""))
        failed += not ok
    print(f"{label}: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0
