"""The native Perfetto trace (trace.pftrace), decoded back with a decoder of the
test's own (pbdecode.py): tracks per pCPU and vCPU, slices matching the analysis,
runstates covering the window, wake arrows to the run they caused, counters
(runqueue, runnable, credits), policy instants, VM exits, and the same bytes twice."""
from __future__ import annotations

from collections import Counter, defaultdict

import pbdecode as P
import synth as S
from check import check, eq

from hvlab import analyze as A
from hvlab import perfetto_pb
from hvlab import trace as T

CREDIT = -150                           # a negative credit: int64 two's complement
HVM_EXIT = S.ev(9, 0, 1)
EXIT_HLT = 0x78


def build():
    per_cpu, _ = S.simulate(nr_cpus=2, duration_ms=20, slice_us=3000, boost=True)
    extra = [(2_500_000, S.CREDIT_BOOST, 1, 0, CREDIT & (1 << 64) - 1, 0),
             (2_600_000, HVM_EXIT, 4, 0, EXIT_HLT << 32, 0x1000)]
    per_cpu[0] = sorted(per_cpu[0] + extra, key=lambda r: r[0])
    tr = T.decode(S.stream(per_cpu, 2), "p.bin")
    an = A.analyze(tr)
    info = dict(an.summary["trace"], window_ms=10.0, deterministic=True)
    data = perfetto_pb.build(an, tr, info, {1: "hog1", 4: "sleepy"})
    tracks, events = P.decode_trace(data)
    return an, tr, data, tracks, events


def by_name(tracks):
    return {t["name"]: u for u, t in tracks.items()}


def test_tracks_and_pcpu_slices():
    an, _, _, tracks, events = build()
    names = by_name(tracks)
    for c in (0, 1):
        check(f"pCPU {c}" in names and f"runqueue pCPU {c}" in names, f"tracks of pCPU {c}")
        check(tracks[names[f"runqueue pCPU {c}"]]["counter"], "runqueue is a counter track")
    eq(sorted(n for n in names if n.startswith("d") and "v" in n and " " not in n),
       ["d1v0", "d2v0", "d3v0", "d4v0"], "a track per vCPU")
    eq(tracks[names["d1v0"]]["parent"], names["d1 hog1"], "vCPU track under its domain")
    pcpu = {names["pCPU 0"]: 0, names["pCPU 1"]: 1}
    begins = [e for e in events if e["track"] in pcpu and e["type"] == 1]
    want = [s for s in an.slices if s[3] != S.DOM_IDLE]
    eq(len(begins), len(want), "a slice per running interval")
    ends = Counter(e["track"] for e in events if e["track"] in pcpu and e["type"] == 2)
    eq(ends, Counter(e["track"] for e in begins), "every BEGIN has its END")
    first = min((s for s in want if s[3] == 1), key=lambda s: s[1])
    b = next(e for e in begins if e["name"] == "d1v0")
    eq((b["ts"], b["args"]), ((first[1] - an.t0) * 1_000_000 // an.tsc_khz,
                              {"dom": 1, "vcpu": 0, "domain": "hog1"}), "first d1v0 slice")


def test_runstates_cover_window():
    an, _, _, tracks, events = build()
    names = by_name(tracks)
    span = (an.t1 - an.t0) * 1_000_000 // an.tsc_khz
    for key in ("d1v0", "d4v0"):
        open_at, total, per = None, 0, Counter()
        for e in events:
            if e["track"] != names[key]:
                continue
            if e["type"] == 1:
                check(open_at is None, f"{key}: runstate slices do not nest")
                open_at, state = e["ts"], e["name"]
            elif e["type"] == 2:
                total += e["ts"] - open_at
                per[state] += e["ts"] - open_at
                open_at = None
        eq(total, span, f"{key}: runstate slices cover the window")
        rs = an.summary["runstate"][key]
        check(abs(per["running"] - rs["running_ns"]) <= 2 * len(events) // 100 + 2,
              f"{key}: running {per['running']} vs the analysis {rs['running_ns']}")


def test_flows_counters_instants():
    an, _, data, tracks, events = build()
    names = by_name(tracks)
    starts = {f: e for e in events for f in e["flows"]}
    ends = {f: e for e in events for f in e["ends"]}
    check(len(starts) > 5, f"wake arrows ({len(starts)})")
    eq(set(starts), set(ends), "every arrow has both ends")
    for f, s in starts.items():
        e = ends[f]
        check(s["name"].startswith("wake ") and e["type"] == 1 and e["ts"] >= s["ts"]
              and s["name"][5:] == e["name"], f"arrow {f}: {s['name']} -> {e['name']}")
    lat = sorted(ends[f]["ts"] - starts[f]["ts"] for f in starts)
    want = sorted(l for _, l in an.latencies["d4v0"])
    check(set(lat) <= set(want), f"arrow lengths are the sleeper's wake latencies: {lat[:5]}")
    credit = [e["value"] for e in events if e["track"] == names.get("d1v0 credit")]
    eq(credit, [CREDIT], "credit counter from credit.boost (signed)")
    runq = defaultdict(list)
    for e in events:
        if e["type"] == 4 and tracks[e["track"]]["name"].startswith("runqueue"):
            runq[e["track"]].append(e["value"])
    check(all(0 <= v <= 4 for vs in runq.values() for v in vs) and
          max(max(v) for v in runq.values()) >= 1, f"runqueue lengths in 0..4: {dict(runq)}")
    runnable = [e["value"] for e in events if e["track"] == names["runnable vCPUs"]]
    eq(runnable, [n for _, n in an.runnable_series], "runnable vCPUs counter")
    pol = [e for e in events if e["cat"] == "policy"]
    eq([(e["name"], e["track"]) for e in pol], [("credit.boost d1v0", names["pCPU 0"])],
       "the policy event as an instant on its pCPU")
    ex = [e for e in events if e["cat"] == "vmexit"]
    eq([(e["name"], e["track"]) for e in ex], [("vmexit.hlt", names["d4v0"])],
       "the VM exit on its vCPU's track")
    info = next(e for e in events if e["cat"] == "meta")
    check("instruction" in info["args"]["time_basis"], f"time basis: {info['args']}")
    eq(build()[2], data, "the same trace gives the same bytes")
