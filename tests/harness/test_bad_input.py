"""Issue 8, bad input through the command line: a corrupt trace or results folder
gives a clear error (file and byte offset) within seconds and never a traceback; a
valid trace that spans hours is analysed in bounded time and memory. Each command
runs under a memory rlimit and a time limit (bounded.py), so the old unbounded
allocation fails the test instead of the machine."""
from __future__ import annotations

import json
import os
import shutil
import struct
import sys
import tempfile

import bounded
import synth as S
from check import check, eq
from fuzz_trace import layout

HVLAB = [sys.executable, os.path.join(bounded.REPO, "hvlab")]
# "Within seconds", in CPU time: the wall time of a loaded, shared machine says little
# (bounded.run kills the command after 60 s of wall time in any case).
BUDGET_S = 5.0
HOUR = S.TSC_KHZ * 3_600_000


def _within(out: bounded.Outcome, what: str) -> None:
    check(out.returncode is not None and out.cpu_seconds < BUDGET_S,
          f"{what}: finished within {BUDGET_S} s of CPU time: {out.describe()}")
    check("Traceback" not in out.stderr, f"{what}: no traceback: {out.stderr[-800:]}")


def _corrupt_tsc(data: bytes, index: int, add: int) -> tuple[bytes, int]:
    """data with record number index's tsc moved by add; (new data, its offset)."""
    off = layout(data)[1][index]
    b = bytearray(data)
    (tsc,) = struct.unpack_from("<Q", b, off)
    struct.pack_into("<Q", b, off, tsc + add)
    return bytes(b), off


def _write(path: str, data: bytes) -> str:
    with open(path, "wb") as f:
        f.write(data)
    return path


def test_trace_one_corrupt_timestamp():
    per_cpu, _ = S.simulate(duration_ms=30)
    bad, off = _corrupt_tsc(S.stream(per_cpu, 2), 10, 1 << 50)
    d = tempfile.mkdtemp()
    try:
        path = _write(os.path.join(d, "trace.bin"), bad)
        out = bounded.run(HVLAB + ["trace", path, "--summary"])
        _within(out, "hvlab trace on a corrupt timestamp")
        eq(out.returncode, 2, f"exit status ({out.describe()})")
        check(out.stderr.startswith(f"hvlab trace: {path}: offset {off}: record tsc"),
              f"names the file and the record's offset {off}: {out.stderr!r}")
    finally:
        shutil.rmtree(d)


def test_report_one_corrupt_timestamp():
    d = tempfile.mkdtemp()
    try:
        S.fake_results(d, pols=("rr", "credit"))
        tpath = os.path.join(d, "runs", "credit-r1", "trace.bin")
        with open(tpath, "rb") as f:
            bad, off = _corrupt_tsc(f.read(), 10, 1 << 48)
        _write(tpath, bad)
        out = bounded.run(HVLAB + ["report", d])
        _within(out, "hvlab report with a corrupt trace")
        eq(out.returncode, 1, f"exit status: one configuration failed ({out.describe()})")
        with open(os.path.join(d, "runs", "credit-r1", "summary.json")) as f:
            s = json.load(f)
        eq(s["status"], "failed", "the corrupt run's status")
        check(any(p.startswith(f"trace: {tpath}: offset {off}:") for p in s["problems"]),
              f"its problems name the file and offset {off}: {s['problems']}")
        with open(os.path.join(d, "runs", "rr-r1", "summary.json")) as f:
            eq(json.load(f)["status"], "ok", "the intact run's status")
    finally:
        shutil.rmtree(d)


def _long_stream(hours: int) -> bytes:
    """Valid: d1v0 waits 10 µs, runs 10 µs, then waits for `hours` hours."""
    t0 = 1_000_000
    recs = [(t0, S.MARKER, S.DOM_NONE, 0, 1, 0),
            (t0, S.RUNSTATE, 1, 0, S.rs(S.OFFLINE, S.RUNNABLE), 0),
            (t0 + 10_000, S.RUNSTATE, 1, 0, S.rs(S.RUNNABLE, S.RUNNING), 0),
            (t0 + 20_000, S.RUNSTATE, 1, 0, S.rs(S.RUNNING, S.RUNNABLE), 0),
            (t0 + hours * HOUR, S.MARKER, S.DOM_NONE, 0, 2, 0)]
    return S.stream({0: recs}, 2)


def test_trace_long_span_tiny_window():
    """20 hours in 1 µs windows would be 7.2e10 windows: the width grows instead."""
    d = tempfile.mkdtemp()
    try:
        path = _write(os.path.join(d, "trace.bin"), _long_stream(20))
        js = os.path.join(d, "s.json")
        out = bounded.run(HVLAB + ["trace", path, "--window-ms", "0.001", "--json", js])
        _within(out, "hvlab trace of a 20-hour trace")
        eq(out.returncode, 0, f"exit status ({out.describe()})")
        with open(js) as f:
            cs = json.load(f)["cpu_share"]
        check(cs["windows"] <= 1 << 19, f"windows bounded: {cs['windows']}")
        eq(cs["window_ms_asked"], 0.001, "the width asked for is reported")
        check(cs["window_ms"] >= 20 * 3_600_000 / (1 << 19), f"width used: {cs['window_ms']}")
    finally:
        shutil.rmtree(d)


RT_SCRIPT = """
import json, sys
sys.path.insert(0, "experiments")
from hvlab import analyze, trace
tr = trace.read_stream(sys.argv[1])
an = analyze.analyze(tr, 10.0, {1: (1000, 500)})
print(json.dumps(an.summary["rt_periods"]["d1v0"]))
"""


def test_rt_periods_long_span():
    """A 1 µs period over 20 hours is 7.2e10 periods: counted, not enumerated. d1v0
    waits in periods 0-9 (short), runs in 10-19 (not), waits from then on (short)."""
    d = tempfile.mkdtemp()
    try:
        path = _write(os.path.join(d, "trace.bin"), _long_stream(20))
        out = bounded.run([sys.executable, "-c", RT_SCRIPT, path])
        _within(out, "real-time periods over 20 hours")
        eq(out.returncode, 0, f"exit status ({out.describe()})")
        rt = json.loads(out.stdout)
        n = 20 * HOUR // 1000
        eq(rt["periods"], n, "periods")
        eq(rt["periods_short"], n - 10, "short periods: all but the 10 it ran in")
        eq((rt["received_ns"]["n"], rt["received_ns"]["p99"], rt["received_ns"]["max"]),
           (n, 0, 1000), "received per period: n, p99, max")
    finally:
        shutil.rmtree(d)


def test_report_damaged_run_and_meta_json():
    d = tempfile.mkdtemp()
    try:
        S.fake_results(d, pols=("rr", "credit"))
        _write(os.path.join(d, "runs", "rr-r1", "run.json"), b"{not json")
        _write(os.path.join(d, "runs", "credit-r1", "run.json"), b'["a list"]')
        _write(os.path.join(d, "meta.json"), b'{"git": 5, "qemu": "7.2", "runs": []}')
        out = bounded.run(HVLAB + ["report", d])
        _within(out, "hvlab report with damaged run.json files")
        eq(out.returncode, 1, f"exit status: both configurations failed ({out.describe()})")
        check("meta.json is not what `hvlab run` writes" in out.stdout,
              f"the damaged meta.json is reported: {out.stdout!r}")
        for key, want in (("rr-r1", "not valid JSON"), ("credit-r1", "expected a JSON object")):
            with open(os.path.join(d, "runs", key, "summary.json")) as f:
                probs = json.load(f)["problems"]
            check(any("run.json: " + want in p for p in probs), f"{key}: {want}: {probs}")
    finally:
        shutil.rmtree(d)


def test_endless_file():
    for cmd in ("trace", "check"):
        out = bounded.run(HVLAB + [cmd, "/dev/zero"])
        _within(out, f"hvlab {cmd} /dev/zero")
        eq(out.returncode, 2, f"{cmd}: exit status ({out.describe()})")
        check("/dev/zero: not a regular file" in out.stderr, f"{cmd}: says why: {out.stderr!r}")


def test_trace_bad_window():
    for arg in ("nan", "-1", "ten"):
        out = bounded.run(HVLAB + ["trace", "x.bin", "--window-ms", arg])
        _within(out, f"--window-ms {arg}")
        eq(out.returncode, 2, f"--window-ms {arg}: exit status ({out.describe()})")
        check("not a positive number of ms" in out.stderr, f"--window-ms {arg}: {out.stderr!r}")


def test_check_deeply_nested_toml():
    d = tempfile.mkdtemp()
    try:
        path = _write(os.path.join(d, "deep.toml"),
                      b'name = "x"\nduration_ms = 1\nx = ' + b"[" * 5000 + b"]" * 5000)
        out = bounded.run(HVLAB + ["check", path])
        _within(out, "hvlab check of a deeply nested array")
        eq(out.returncode, 2, f"exit status ({out.describe()})")
        check(out.stderr.startswith(f"hvlab check: {path}: line 3: arrays or inline tables "
                                    "nested 5000 deep"), f"names file and line: {out.stderr!r}")
    finally:
        shutil.rmtree(d)
