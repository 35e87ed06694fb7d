"""xenalyze-style metrics from a decoded trace: one pass over the merged records.

The traced interval runs from the first record (normally the trace-start marker), or
from start_tsc when given (the measured window after the warm-up: warmup.py), to
the last one. Every vCPU that has a runstate event gets every tick of that interval
assigned to one runstate: before its first transition it is in that transition's
"old" state; after its last, in the "new" one. So the four runstate times of a vCPU
sum to the interval (a test checks it to 0.1%; by construction it is exact).

Idle time is what no vCPU ran: per pCPU, the traced interval minus the running time
of the vCPUs that ran there (cpu_share.per_pcpu; machine_busy is their sum over pCPUs
x interval). It is not read from idle vCPUs' runstates: a pCPU that never switches
writes no record at all, yet idles for the whole interval.

Times are converted from TSC ticks to ns with the header's tsc_khz. Under icount
(header flag 1) the TSC counts instructions, so "ns" are instructions: path lengths,
not wall time. Hypercall paths are reported in raw TSC ticks (path_tsc).

Nothing is dropped silently: records of events the tables in trace.py do not know,
TRC_LOST counts, runstate transitions whose "old" state contradicts the previous
transition, TSC going backwards within a pCPU (which trace.decode already refuses)
and unmatched hypercall exits are all counted under "integrity".

The work and memory are bounded by the records, not by the values in them: the
CPU-share windows and the real-time periods a trace spans are not enumerated one by
one beyond MAX_WINDOW_CELLS (see _windows and _periods).
"""
from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections import Counter, defaultdict

from . import hvmexits, stats
from . import trace as T

RS = T.RUNSTATES


def vcpu_key(dom: int, vcpu: int) -> str:
    """Report name of a vCPU: d1v0; a pCPU's idle vCPU: idle0 (its vcpuid)."""
    return f"idle{vcpu}" if dom == T.DOM_IDLE else f"d{dom}v{vcpu}"


def dom_key(dom: int) -> str:
    return "idle" if dom == T.DOM_IDLE else "hyp" if dom == T.DOM_NONE else f"d{dom}"


def _sort_vcpus(keys):
    """d<dom>v<vcpu> numerically, idle vCPUs last."""
    def k(name: str):
        if name.startswith("idle"):
            return (1, 0, int(name[4:]))
        d, v = name[1:].split("v")
        return (0, int(d), int(v))
    return sorted(keys, key=k)


@dataclasses.dataclass
class _VCpu:
    dom: int
    vcpu: int
    state: int | None = None
    since: int = 0
    initial: int | None = None
    observed: bool = False          # the current interval began at a transition
    run_cpu: int = 0
    times: list = dataclasses.field(default_factory=lambda: [0, 0, 0, 0])
    intervals: tuple = dataclasses.field(default_factory=lambda: ([], []))
    wake: int | None = None
    latencies: list = dataclasses.field(default_factory=list)    # (wake tsc, ticks)
    wakes_dropped: int = 0          # blocked again before running
    first_active: int | None = None  # first transition to runnable/running
    went_offline: int | None = None  # last transition to offline
    last_wake: int | None = None     # last transition from blocked/offline to runnable
    waits: list = dataclasses.field(default_factory=list)       # (start, end) runnable


@dataclasses.dataclass
class Analysis:
    """summary: the JSON-ready metrics; the rest is raw material for CSVs and plots.
    slices: (pcpu, start tsc, end tsc, dom, vcpu) of every running interval;
    windows: (start ms, {dom key: share of the machine}) per window;
    runnable_series: (tsc, number of runnable non-idle vCPUs) at each change;
    instants: (tsc, pcpu, name, dom, vcpu) wakes, deadline misses, every other
    policy event ("credit2.reset") and every VM exit of an HVM vCPU ("vmexit.cpuid")."""
    summary: dict
    t0: int
    t1: int
    tsc_khz: int
    nr_cpus: int
    slices: list
    windows: list
    runnable_series: list
    instants: list
    latencies: dict         # vcpu key -> [(wake tsc, latency ns)]


def analyze(tr: T.Trace, window_ms: float = 10.0,
            rt_params: dict[int, tuple[int, int]] | None = None,
            start_tsc: int | None = None) -> Analysis:
    """rt_params: domid -> (period ns, budget ns) for domains whose periods are checked
    (did each vCPU run for its budget in every period?), whatever the policy.
    start_tsc: the measured interval begins there (the warm-up before it, warmup.py,
    is left out of every metric; only lost and unknown records and markers are still
    counted over the whole trace, so nothing is dropped silently)."""
    recs = tr.merged()
    hdr = tr.header
    khz = hdr.tsc_khz

    def ns(ticks: int) -> int:
        return ticks * 1_000_000 // khz

    t0 = recs[0].tsc if recs else hdr.start_tsc
    t1 = recs[-1].tsc if recs else t0
    if start_tsc is not None and t0 < start_tsc <= t1:
        t0 = start_tsc
    vcpus: dict[tuple[int, int], _VCpu] = {}
    counts: Counter = Counter()
    unknown: Counter = Counter()
    lost_by_cpu: Counter = Counter()
    switches_by_cpu: Counter = Counter()
    migrations: Counter = Counter()
    policy: dict = defaultdict(Counter)
    misses_by_vcpu: Counter = Counter()
    numa_by_vcpu: dict = defaultdict(Counter)
    hc_open: dict = defaultdict(list)
    hc_paths: dict = defaultdict(list)
    hc_count: Counter = Counter()
    hc_dom: dict = defaultdict(Counter)             # domid -> number -> calls
    hc_dom_paths: dict = defaultdict(list)          # (domid, number) -> path ticks
    hvm = hvmexits.ExitCounter()
    lateness: list = []
    shutdown_at: dict = {}                  # domid -> first TRC_DOM_SHUTDOWN
    markers, slices, instants, runnable_series = [], [], [], []
    bad = Counter(runstate_bad_values=0, runstate_inconsistencies=0, hcall_unmatched_exits=0,
                  hcall_open_at_end=0)
    runnable = 0

    def get(dom, vcpu):
        v = vcpus.get((dom, vcpu))
        if v is None:
            v = vcpus[(dom, vcpu)] = _VCpu(dom, vcpu, since=t0)
        return v

    for r in recs:
        ev = r.event
        name = T.event_name(ev)
        if r.tsc < t0:                  # warm-up: integrity only
            if name is None:
                unknown[f"{ev:#010x}"] += 1
            elif ev == T.LOST:
                lost_by_cpu[r.cpu] += r.data0
            elif ev == T.MARKER:
                markers.append({"tsc": r.tsc, "cpu": r.cpu, "id": r.data0})
            continue
        if name is None:
            unknown[f"{ev:#010x}"] += 1
            if ev >> 24 == T.CLASSES["policy"]:
                sub, code = (ev >> 16) & 0xFF, ev & 0xFFFF
                pol = next((p for p, i in T.SCHED_IDS.items() if i == sub), f"sched{sub}")
                policy[pol][f"code{code}"] += 1
            continue
        counts[name] += 1
        if ev == T.RUNSTATE:
            old, new = (r.data0 >> 8) & 0xFF, r.data0 & 0xFF
            if old >= 4 or new >= 4 or r.data0 >> 16:
                bad["runstate_bad_values"] += 1
                continue
            v = get(r.domid, r.vcpuid)
            if v.state is None:
                v.state = v.initial = old
                if old == T.RS_RUNNABLE and r.domid != T.DOM_IDLE:
                    runnable += 1               # it was runnable all along
            elif v.state != old:
                bad["runstate_inconsistencies"] += 1
            length = r.tsc - v.since
            v.times[v.state] += length
            if v.observed and v.state in (T.RS_RUNNING, T.RS_RUNNABLE):
                v.intervals[v.state].append(length)
            if v.state == T.RS_RUNNING:
                slices.append((v.run_cpu if v.observed else r.data1, v.since, r.tsc,
                               v.dom, v.vcpu))
            elif v.state == T.RS_RUNNABLE:
                v.waits.append((v.since, r.tsc))
            if r.domid != T.DOM_IDLE:
                runnable += (new == T.RS_RUNNABLE) - (v.state == T.RS_RUNNABLE)
                if not runnable_series or runnable_series[-1][1] != runnable:
                    runnable_series.append((r.tsc, runnable))
            v.state, v.since, v.observed = new, r.tsc, True
            if new in (T.RS_RUNNABLE, T.RS_RUNNING) and v.first_active is None:
                v.first_active = r.tsc
            if new == T.RS_RUNNING:
                v.run_cpu = r.data1
                if v.wake is not None:
                    v.latencies.append((v.wake, ns(r.tsc - v.wake)))
                    v.wake = None
            elif new == T.RS_RUNNABLE and old in (T.RS_BLOCKED, T.RS_OFFLINE):
                v.last_wake = r.tsc
                if v.wake is None:
                    v.wake = r.tsc
            elif new in (T.RS_BLOCKED, T.RS_OFFLINE):
                if v.wake is not None:
                    v.wakes_dropped += 1
                    v.wake = None
                if new == T.RS_OFFLINE:
                    v.went_offline = r.tsc
        elif ev == T.WAKE:
            v = get(r.domid, r.vcpuid)
            if v.state != T.RS_RUNNING and v.wake is None:
                v.wake = r.tsc
            instants.append((r.tsc, r.data0, "wake", r.domid, r.vcpuid))
        elif ev == T.SWITCH:
            switches_by_cpu[r.cpu] += 1
        elif ev == T.MIGRATE:
            migrations[vcpu_key(r.domid, r.vcpuid)] += 1
        elif ev == T.HCALL_ENTRY:
            hc_open[(r.cpu, r.domid, r.vcpuid)].append((r.data0, r.tsc))
            hc_count[r.data0] += 1
            hc_dom[r.domid][r.data0] += 1
        elif ev == T.HCALL_EXIT:
            stack = hc_open.get((r.cpu, r.domid, r.vcpuid))
            if stack and stack[-1][0] == r.data0:
                hc_paths[r.data0].append(path := r.tsc - stack.pop()[1])
                hc_dom_paths[(r.domid, r.data0)].append(path)
            else:
                bad["hcall_unmatched_exits"] += 1
        elif ev == T.HVM_EXIT:
            hvm.exit(r.domid, r.vcpuid, r.tsc, r.data0)
            instants.append((r.tsc, r.cpu, "vmexit." + hvmexits.exit_name(hvmexits.exit_code(r.data0)),
                             r.domid, r.vcpuid))
        elif ev == T.HVM_ENTRY:
            hvm.entry(r.domid, r.vcpuid, r.data0, r.data1)
        elif ev == T.LOST:
            lost_by_cpu[r.cpu] += r.data0
        elif ev == T.MARKER:
            markers.append({"tsc": r.tsc, "cpu": r.cpu, "id": r.data0})
        elif ev == T.TIMER_FIRE:
            lateness.append(r.data1)
        elif ev == T.DOM_SHUTDOWN:
            shutdown_at.setdefault(r.domid, r.tsc)
        elif name.count("."):                       # a policy event: "rtds.miss"
            pol, what = name.split(".")
            policy[pol][what] += 1
            if ev == T.RTDS_MISS:
                misses_by_vcpu[vcpu_key(r.domid, r.vcpuid)] += 1
                instants.append((r.tsc, r.cpu, "deadline miss", r.domid, r.vcpuid))
            elif ev == T.RTDS_MISSES:               # misses counted late: data1 of them
                misses_by_vcpu[vcpu_key(r.domid, r.vcpuid)] += r.data1
                instants.append((r.tsc, r.cpu, f"{r.data1} deadline misses", r.domid,
                                 r.vcpuid))
            else:                                   # every decision on the timeline
                instants.append((r.tsc, r.cpu, name, r.domid, r.vcpuid))
            if pol == "numa":
                numa_by_vcpu[vcpu_key(r.domid, r.vcpuid)][what] += 1

    for v in vcpus.values():                         # close every open interval at t1
        if v.state is None:
            continue
        v.times[v.state] += t1 - v.since
        if v.state == T.RS_RUNNING:
            slices.append((v.run_cpu, v.since, t1, v.dom, v.vcpu))
        elif v.state == T.RS_RUNNABLE:
            v.waits.append((v.since, t1))
    slices.sort()
    backwards = {}
    for cpu, recs_cpu in enumerate(tr.per_cpu):
        back = sum(1 for a, b in zip(recs_cpu, recs_cpu[1:]) if b.tsc < a.tsc)
        if back:
            backwards[str(cpu)] = back
    bad["hcall_open_at_end"] = sum(len(s) for s in hc_open.values())

    interval = t1 - t0
    interval_ns = ns(interval)
    seconds = interval_ns / 1e9
    windows, window_used = _windows(slices, t0, t1, khz, tr.header.nr_cpus, window_ms)
    tracked = {vcpu_key(v.dom, v.vcpu): v for v in vcpus.values() if v.state is not None}

    runstate = {}
    for key in _sort_vcpus(tracked):
        v = tracked[key]
        row = {"domid": v.dom, "vcpu": v.vcpu}
        for i, s in enumerate(RS):
            row[f"{s}_ns"] = ns(v.times[i])
        row["total_ns"] = ns(sum(v.times))
        row["accounted_fraction"] = sum(v.times) / interval if interval else 1.0
        row["running_fraction"] = v.times[0] / interval if interval else 0.0
        row["initial_state"] = RS[v.initial]
        row["running_intervals_ns"] = stats.dist(ns(x) for x in v.intervals[0])
        row["runnable_intervals_ns"] = stats.dist(ns(x) for x in v.intervals[1])
        runstate[key] = row

    lat = {k: [l for _, l in v.latencies] for k, v in tracked.items()}
    by_dom = defaultdict(list)
    for k, v in tracked.items():
        by_dom[dom_key(v.dom)].extend(lat[k])
    domu = [x for k, v in tracked.items() if v.dom not in (0, T.DOM_IDLE, T.DOM_NONE) for x in lat[k]]
    wake = {
        "per_vcpu": {k: {**stats.dist(lat[k]),
                         "pending_at_end": int(tracked[k].wake is not None),
                         "blocked_before_running": tracked[k].wakes_dropped}
                     for k in _sort_vcpus(tracked) if not k.startswith("idle")},
        "per_domain": {d: stats.dist(by_dom[d]) for d in _sort_doms(by_dom) if d != "idle"},
        "all_domu": stats.dist(domu),
    }

    dom_run = Counter()
    for v in tracked.values():
        if v.dom != T.DOM_IDLE:
            dom_run[dom_key(v.dom)] += v.times[0]
    pcpus = _pcpus(slices, t0, t1, tr, ns)
    busy = sum(dom_run.values())
    capacity = interval * tr.header.nr_cpus
    if capacity:                # idle: what no vCPU ran, also on pCPUs that wrote nothing
        dom_run["idle"] = max(0, capacity - busy)
    share = {d: {"running_ns": ns(dom_run[d]),
                 "share_of_machine": dom_run[d] / capacity if capacity else 0.0,
                 "share_of_busy": (dom_run[d] / busy if busy and d != "idle" else None)}
             for d in _sort_doms(dom_run)}

    n_sw = sum(switches_by_cpu.values())
    n_mig = sum(migrations.values())
    summary = {
        "trace": _trace_info(tr, t0, t1, interval_ns),
        "integrity": {
            "lost_records": sum(lost_by_cpu.values()),
            "lost_by_cpu": {str(c): lost_by_cpu[c] for c in sorted(lost_by_cpu)},
            "unknown_records": sum(unknown.values()),
            "unknown_events": {k: unknown[k] for k in sorted(unknown)},
            **{k: bad[k] for k in sorted(bad)},
            **hvm.integrity(),
            "tsc_backwards_by_cpu": backwards,
            "markers": markers,
        },
        "events": {k: counts[k] for k in sorted(counts)},
        "runstate": runstate,
        "wake_latency_ns": wake,
        "cpu_share": {"window_ms": window_used, "windows": len(windows), "per_domain": share,
                      "machine_busy": busy / capacity if capacity else 0.0,
                      "per_pcpu": pcpus,
                      **({"window_ms_asked": window_ms} if window_used != window_ms else {})},
        "sched": {
            "context_switches": n_sw,
            "context_switches_per_s": n_sw / seconds if seconds else 0.0,
            "switches_by_cpu": {str(c): switches_by_cpu[c] for c in sorted(switches_by_cpu)},
            "migrations": n_mig,
            "migrations_per_s": n_mig / seconds if seconds else 0.0,
            "migrations_by_vcpu": {k: migrations[k] for k in _sort_vcpus(migrations)},
        },
        "hypercalls": {
            "calls": sum(hc_count.values()),
            "by_number": {str(n): {"name": T.HYPERCALLS.get(n, f"hypercall{n}"),
                                   "calls": hc_count[n], "path_tsc": stats.dist(hc_paths[n])}
                          for n in sorted(hc_count)},
            "by_domain": {dom_key(d): {str(n): {
                "name": T.HYPERCALLS.get(n, f"hypercall{n}"), "calls": hc_dom[d][n],
                "path_tsc": hvmexits.path_dist(hc_dom_paths[(d, n)])}
                for n in sorted(hc_dom[d])} for d in sorted(hc_dom)},
        },
        "hvm_exits": {"by_domain": hvm.summary(dom_key)},
        "policy": {
            "counts": {p: {c: policy[p][c] for c in sorted(policy[p])} for p in sorted(policy)},
            "rtds_misses_by_vcpu": {k: misses_by_vcpu[k] for k in _sort_vcpus(misses_by_vcpu)},
            "numa_by_vcpu": {k: dict(sorted(numa_by_vcpu[k].items()))
                             for k in _sort_vcpus(numa_by_vcpu)},
        },
        "timers": {"fired": len(lateness), "lateness_ns": stats.dist(lateness)},
        "rt_periods": _rt_periods(tracked, slices, t1, khz, rt_params or {}, shutdown_at),
    }
    lat_series = {k: [(w, l) for w, l in v.latencies] for k, v in tracked.items()}
    return Analysis(summary, t0, t1, khz, tr.header.nr_cpus, slices, windows,
                    runnable_series, sorted(instants), lat_series)


def _pcpus(slices, t0, t1, tr: T.Trace, ns) -> dict:
    """Per pCPU of the header: the time its vCPUs ran (busy) and the rest of the
    traced interval (idle). An idle pCPU runs no vCPU and need write no record, so
    idle time is the complement of busy time, not the idle vCPU's runstate time."""
    busy = Counter()
    for cpu, s, e, dom, _v in slices:
        if dom != T.DOM_IDLE:
            busy[cpu] += max(0, min(e, t1) - max(s, t0))
    interval = t1 - t0
    out = {}
    for c in range(tr.header.nr_cpus):
        b = min(busy[c], interval)
        out[str(c)] = {"busy_ns": ns(b), "idle_ns": ns(interval - b),
                       "busy_fraction": b / interval if interval else 0.0,
                       "records": len(tr.per_cpu[c]) if c < len(tr.per_cpu) else 0}
    return out


def _sort_doms(keys):
    def k(d: str):
        return (0, int(d[1:])) if d.startswith("d") else (1, d)
    return sorted(keys, key=k)


def _trace_info(tr: T.Trace, t0: int, t1: int, interval_ns: int) -> dict:
    h = tr.header
    return {
        "bytes": tr.size, "records": tr.nr_records, "chunks": tr.chunks,
        "nr_cpus": h.nr_cpus, "scheduler": h.sched, "tsc_khz": h.tsc_khz,
        "deterministic": h.deterministic,
        "time_basis": ("instructions (icount): 1 ns here is 1 instruction executed by "
                       f"the whole machine (its {h.nr_cpus} pCPUs together)"
                       if h.deterministic else "wall-clock ns from the TSC"),
        "class_mask": f"{h.class_mask:#x}",
        "classes": [c for c, i in T.CLASSES.items() if h.class_mask >> i & 1],
        "ring_records": h.ring_records, "start_tsc": h.start_tsc,
        "first_tsc": t0, "last_tsc": t1, "interval_ns": interval_ns,
    }


# Windows x domains of the CPU-share series: bounds cpu_share.csv and the timeline's
# counters whatever the timestamps span (a long trace or a tiny window_ms).
MAX_WINDOW_CELLS = 1 << 19


def _windows(slices, t0, t1, khz, nr_cpus, window_ms):
    """Per window of window_ms: each domain's running time / (nr_cpus * window), and
    "idle": the rest (pCPUs that ran no vCPU, whether or not they wrote records).
    Returns (windows, the width used in ms): the width grows, when needed, to keep
    windows x domains within MAX_WINDOW_CELLS. The work is one step per slice plus
    one per window and domain, however long each slice is."""
    slices = [x for x in slices if x[3] != T.DOM_IDLE]    # idle: the complement, below
    doms = sorted({dom_key(d) for _c, _s, _e, d, _v in slices})
    width = max(1, round(window_ms * khz))
    n = max(1, -(-(t1 - t0) // width))
    cap = max(1, MAX_WINDOW_CELLS // (len(doms) + 1))       # + the idle column
    if n > cap:
        width = -(-(t1 - t0) // cap)
        n = max(1, -(-(t1 - t0) // width))
        window_ms = width / khz
    part = {d: Counter() for d in doms}         # window -> ticks, partly covered windows
    full = {d: Counter() for d in doms}         # difference array of fully covered ones
    for _cpu, s, e, dom, _v in slices:
        s, e = max(s, t0), min(e, t0 + n * width)
        if s >= e:
            continue
        d = dom_key(dom)
        ws, we = (s - t0) // width, (e - 1 - t0) // width
        if ws == we:
            part[d][ws] += e - s
            continue
        part[d][ws] += t0 + (ws + 1) * width - s
        part[d][we] += e - (t0 + we * width)
        if we > ws + 1:
            full[d][ws + 1] += 1
            full[d][we] -= 1
    ticks = {}
    for d in _sort_doms(doms):
        diff = [0] * n
        for w, c in full[d].items():
            if w < n:
                diff[w] += c
        ticks[d] = t = [c * width for c in itertools.accumulate(diff)]
        for w, x in part[d].items():
            t[w] += x
    whole = width * nr_cpus
    last = (min(width, t1 - t0 - (n - 1) * width) or width) * nr_cpus
    out = [(w * window_ms, {d: t[w] / whole for d, t in ticks.items() if t[w]})
           for w in range(n - 1)]
    out.append(((n - 1) * window_ms, {d: t[n - 1] / last for d, t in ticks.items()
                                      if t[n - 1]}))
    for _start, sh in out:
        idle = 1.0 - sum(sh.values())
        if idle > 0:
            sh["idle"] = idle
    return out, window_ms


RT_WAIT_SLACK_NS = 50_000          # as rtds: shorter waits are not a denial


def _periods(running, waits, first, period, n, budget, slack):
    """Splits a vCPU's running and runnable (start, end) intervals (disjoint: they
    come from one state machine) over n periods from first. Returns (periods short,
    [(ticks run in a period, number of such periods)]). A period is short when the
    vCPU ran less than budget, waited more than slack, and was running or runnable
    at its last tick. Only the periods an interval starts or ends in are visited;
    those wholly inside one interval are counted: the work is bounded by the
    intervals, not by how many periods the timestamps span."""
    limit = first + n * period
    touched: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    inside = [0, 0]                 # periods wholly inside a running / runnable interval
    for kind, intervals in enumerate((running, waits)):
        for s, e in intervals:
            s, e = max(s, first), min(e, limit)
            if s >= e:
                continue
            ps, pe = (s - first) // period, (e - 1 - first) // period
            if ps == pe:
                touched[ps][kind] += e - s
                continue
            touched[ps][kind] += first + (ps + 1) * period - s
            touched[pe][kind] += e - (first + pe * period)
            inside[kind] += pe - ps - 1
    active = sorted(running + waits)
    starts = [s for s, _ in active]

    def active_at(t):
        i = bisect.bisect_right(starts, t) - 1
        return i >= 0 and t < active[i][1]

    short = sum(1 for p, (g, w) in touched.items()
                if g < budget and w > slack and active_at(first + (p + 1) * period - 1))
    if budget > 0 and period > slack:
        short += inside[1]          # a whole period spent waiting
    got = Counter(g for g, _ in touched.values())
    got[period] += inside[0]
    got[0] += n - len(touched) - inside[0]     # idle, blocked or waiting throughout
    return short, [(g, c) for g, c in got.items() if c]


def _rt_periods(tracked, slices, t1, khz, rt_params, shutdown_at):
    """For each vCPU of a domain in rt_params: periods from its first activation, the
    running time it got in each, and how many fell short: it received less than its
    budget and still wanted the CPU when the period ended (runnable or running at the
    boundary, with the wait in that period over 50 µs, or 5% of a shorter period) —
    the rtds definition of a miss, applied to every policy alike. A workload that
    needs less than its budget and blocks before the boundary is not short. Periods
    end where the vCPU went offline, else, if its domain shut down, at the vCPU's last
    wake-up (a periodic task wakes at a period's start and exits then: the wait for a
    CPU to exit on is not a period), else at the trace's end."""
    out = {}
    mine = defaultdict(list)
    for _cpu, s, e, dom, vc in slices:
        if dom in rt_params:
            mine[(dom, vc)].append((s, e))
    for key in _sort_vcpus(tracked):
        v = tracked[key]
        if v.dom not in rt_params or v.first_active is None:
            continue
        period_ns, budget_ns = rt_params[v.dom]
        period, budget = period_ns * khz // 1_000_000, budget_ns * khz // 1_000_000
        if v.went_offline and v.state == T.RS_OFFLINE:
            end = v.went_offline
        elif v.dom in shutdown_at:
            end = v.last_wake if v.last_wake is not None else shutdown_at[v.dom]
        else:
            end = t1
        n = (end - v.first_active) // period if period else 0
        slack = min(RT_WAIT_SLACK_NS, period_ns // 20) * khz // 1_000_000
        short, got = _periods(mine[(v.dom, v.vcpu)], v.waits, v.first_active, period, n,
                              budget, slack) if n else (0, [])
        out[key] = {"period_ns": period_ns, "budget_ns": budget_ns, "periods": n,
                    "periods_short": short, "short_fraction": short / n if n else None,
                    "received_ns": stats.dist_counted((g * 1_000_000 // khz, c)
                                                      for g, c in got)}
    return out
