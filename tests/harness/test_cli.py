"""The ./hvlab command line: bad input gives a one-line message and exit status 2,
never a traceback; good input works."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import synth as S
from check import REPO, check, eq

HVLAB = os.path.join(REPO, "hvlab")


def hvlab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, HVLAB, *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


def _tmp(data: bytes, suffix: str) -> str:
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def test_trace_errors_exit_2():
    per_cpu, _ = S.simulate(duration_ms=10)
    good = S.stream(per_cpu, 2)
    for label, data, want in [("truncated", good[:-40], "offset"),
                              ("not a trace", b"hello world" * 10, "magic"),
                              ("empty", b"", "shorter than")]:
        path = _tmp(data, ".bin")
        try:
            p = hvlab("trace", path, "--summary")
            eq(p.returncode, 2, f"{label}: exit status")
            check("Traceback" not in p.stderr, f"{label}: no traceback: {p.stderr}")
            check(p.stderr.startswith(f"hvlab trace: {path}: ") and want in p.stderr,
                  f"{label}: message names the file and {want!r}: {p.stderr!r}")
        finally:
            os.remove(path)


def test_trace_summary_and_perfetto():
    per_cpu, _ = S.simulate(duration_ms=20)
    path = _tmp(S.stream(per_cpu, 2), ".bin")
    out = path + ".json"
    try:
        p = hvlab("trace", path, "--summary", "--perfetto", out)
        eq(p.returncode, 0, f"exit status ({p.stderr})")
        for want in ("runstates (ns):", "d1v0", "wake-to-run latency", "context switches:",
                     "integrity: lost 0"):
            check(want in p.stdout, f"summary has {want!r}")
        with open(out) as f:
            check(json.load(f)["traceEvents"], "perfetto file written")
    finally:
        os.remove(path)
        if os.path.exists(out):
            os.remove(out)


def test_bad_experiment_exit_2():
    path = _tmp(b'name = "x"\nduration_ms = "long"\n', ".toml")
    try:
        p = hvlab("check", path)
        eq(p.returncode, 2, "exit status")
        check(f"{path}: duration_ms: expected an integer" in p.stderr, p.stderr)
        check("Traceback" not in p.stderr, "no traceback")
    finally:
        os.remove(path)


def test_check_prints_inputs():
    p = hvlab("check", "experiments/smoke.toml")
    eq(p.returncode, 0, f"exit status ({p.stderr})")
    for want in ("--- hog.cfg", 'kernel = "cpuloop.elf"', "trace start", "ivshmem-plain",
                 "sched=rr"):
        check(want in p.stdout, f"check output has {want!r}")


def test_report_on_non_results_dir():
    d = tempfile.mkdtemp()
    try:
        p = hvlab("report", d)
        eq(p.returncode, 2, "exit status")
        check("no experiment.toml" in p.stderr, p.stderr)
    finally:
        os.rmdir(d)
