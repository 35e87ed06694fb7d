"""The Perfetto timeline: valid JSON with one track per pCPU, vCPU slices, counters,
wake instants and the time basis stated."""
from __future__ import annotations

import json
import os
import tempfile

import synth as S
from check import check, eq

from hvlab import analyze as A
from hvlab import perfetto
from hvlab import trace as T


def build():
    per_cpu, _ = S.simulate(nr_cpus=2, duration_ms=20, slice_us=3000, boost=False)
    an = A.analyze(T.decode(S.stream(per_cpu, 2), "p.bin"))
    info = dict(an.summary["trace"], window_ms=10.0)
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    perfetto.write(path, an, info, {1: "hog1", 4: "sleepy"})
    with open(path) as f:
        doc = json.load(f)                                  # valid JSON
    os.remove(path)
    return an, doc


def test_tracks_and_slices():
    an, doc = build()
    ev = doc["traceEvents"]
    threads = {e["tid"]: e["args"]["name"] for e in ev
               if e["ph"] == "M" and e["name"] == "thread_name"}
    eq(threads, {0: "pCPU 0", 1: "pCPU 1"}, "one named track per pCPU")
    xs = [e for e in ev if e["ph"] == "X"]
    eq(len(xs), len([s for s in an.slices if s[3] != S.DOM_IDLE]), "a slice per running interval")
    check(all(e["tid"] in (0, 1) and e["dur"] >= 0 and e["ts"] >= 0 for e in xs),
          "slices on pCPU tracks with non-negative times")
    d1 = [e for e in xs if e["name"] == "d1v0"]
    check(d1 and d1[0]["args"] == {"dom": 1, "vcpu": 0, "domain": "hog1"},
          f"slice name d1v0 with args dom/vcpu/domain: {d1[:1]}")
    total_us = sum(e["dur"] for e in xs)
    busy_ns = sum(e - s for _, s, e, d, _ in an.slices if d != S.DOM_IDLE)
    check(abs(total_us * 1000 - busy_ns) < len(xs), "durations are TSC ticks / tsc_khz (us)")


def test_counters_instants_metadata():
    _, doc = build()
    ev = doc["traceEvents"]
    names = {e["name"] for e in ev if e["ph"] == "C"}
    eq(names, {"cpu share", "runnable vCPUs"}, "counter tracks")
    wakes = [e for e in ev if e["ph"] == "i" and e["name"].startswith("wake")]
    check(len(wakes) > 5, f"wake instants ({len(wakes)})")
    other = doc["otherData"]
    check("instructions" in other["time_basis"], f"time basis stated: {other['time_basis']}")
    eq(other["scheduler"], "rr", "scheduler in the metadata")
