"""Native Perfetto: a TrackEvent protobuf trace (trace.pftrace) next to trace.json.

Design: the file is a perfetto.protos.Trace, hand-encoded with the standard library
(varints and length-delimited fields; the field numbers are in FIELDS below, from
perfetto's protos/perfetto/trace/{trace,trace_packet}.proto and
track_event/{track_descriptor,track_event,counter_descriptor,debug_annotation}.proto).
It opens in https://ui.perfetto.dev and in trace_processor. Tracks:

  pCPUs               one slice track per pCPU ("pCPU 0"): a slice per interval a vCPU
                      ran there (name d1v0), instants for wake-ups (on the pCPU the
                      vCPU was queued on, each with a flow arrow to the run it caused)
                      and for every policy event and deadline miss on that pCPU;
                      a counter track per pCPU "runqueue pCPU N": the runnable vCPUs
                      whose pCPU (last runstate, wake or migration record) is N
  d1 <name>           per domain: a track per vCPU ("d1v0") with its runstate as
                      slices (running, runnable, blocked, offline) and its VM exits as
                      instants; a counter "d1v0 credit" where the policy traces credits
                      (credit.acct, credit.boost, credit2.burn: data0, signed)
  machine             counters: runnable vCPUs; each domain's share of the machine per
                      window; an instant at 0 stating the time basis

Timestamps are ns since the measured window's start: TSC ticks * 10^6 / tsc_khz (in
deterministic mode a "ns" is an instruction). Events outside [an.t0, an.t1] (the
warm-up) are left out, as in the analysis. Track uuids are fixed functions of the
pCPU / domain / vCPU, so one trace always gives the same bytes.

Limitations: a wake whose vCPU blocks again before running gets no arrow (there is
no run it caused); the runqueue counter follows the pCPU the core last reported, so
a policy that re-queues a runnable vCPU without a record (credit2's shared runqueues)
shows it on its previous pCPU.
"""
from __future__ import annotations

import struct

from . import trace as T
from .analyze import Analysis, vcpu_key

# ---- field numbers (perfetto protos) ----
TRACE_PACKET = 1                                # Trace.packet
PKT_TIMESTAMP, PKT_SEQ_ID, PKT_TRACK_EVENT, PKT_SEQ_FLAGS, PKT_TRACK_DESC = 8, 10, 11, 13, 60
SEQ_INCREMENTAL_STATE_CLEARED = 1
TD_UUID, TD_NAME, TD_PARENT, TD_COUNTER, TD_CHILD_ORDERING, TD_RANK = 1, 2, 5, 8, 11, 12
CHILD_ORDERING_EXPLICIT = 3
CD_UNIT, CD_UNIT_NAME = 3, 6                    # CounterDescriptor
UNIT_COUNT = 2
TE_ANNOTATION, TE_TYPE, TE_TRACK, TE_CATEGORIES, TE_NAME = 4, 9, 11, 22, 23
TE_COUNTER_VALUE, TE_DOUBLE_COUNTER_VALUE, TE_FLOW_IDS, TE_TERMINATING_FLOW_IDS = 30, 44, 47, 48
TYPE_SLICE_BEGIN, TYPE_SLICE_END, TYPE_INSTANT, TYPE_COUNTER = 1, 2, 3, 4
DA_INT, DA_DOUBLE, DA_STRING, DA_NAME = 4, 5, 6, 10     # DebugAnnotation
SEQ_ID = 1                                      # every packet: one writer, one sequence

# ---- track uuids: fixed, so the bytes do not depend on the order things are met ----
UUID_PCPUS, UUID_MACHINE, UUID_RUNNABLE, UUID_INFO = 1, 2, 3, 4
CREDIT_EVENTS = ("credit.acct", "credit.boost", "credit2.burn")   # data0: credit after


def uuid_pcpu(c: int) -> int:
    return 0x100 + c


def uuid_runq(c: int) -> int:
    return 0x200 + c


def uuid_share(i: int) -> int:
    return 0x10000 + i


def uuid_dom(dom: int) -> int:
    return 1 << 32 | dom << 8


def uuid_vcpu(dom: int, vcpu: int) -> int:
    return 2 << 32 | dom << 8 | vcpu


def uuid_credit(dom: int, vcpu: int) -> int:
    return 3 << 32 | dom << 8 | vcpu


# ---- wire format ----

_SMALL = [bytes([i]) for i in range(128)]


def varint(n: int) -> bytes:
    """Unsigned LEB128; a negative int64 is sent as its 64-bit two's complement."""
    if 0 <= n < 128:
        return _SMALL[n]
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_int(field: int, v: int) -> bytes:
    return varint(field << 3 | 0) + varint(v)


def f_bytes(field: int, b: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(b)) + b


def f_str(field: int, s: str) -> bytes:
    return f_bytes(field, s.encode())


def f_fixed64(field: int, v: int) -> bytes:
    return varint(field << 3 | 1) + struct.pack("<Q", v)


def f_double(field: int, v: float) -> bytes:
    return varint(field << 3 | 1) + struct.pack("<d", v)


def annotation(name: str, v) -> bytes:
    if isinstance(v, str):
        val = f_str(DA_STRING, v)
    elif isinstance(v, float):
        val = f_double(DA_DOUBLE, v)
    else:
        val = f_int(DA_INT, v)
    return f_bytes(TE_ANNOTATION, f_str(DA_NAME, name) + val)


def track(uuid: int, name: str, parent: int | None = None, rank: int | None = None,
          counter_unit: str | None = None, ordered: bool = False) -> bytes:
    body = f_int(TD_UUID, uuid) + f_str(TD_NAME, name)
    if parent is not None:
        body += f_int(TD_PARENT, parent)
    if counter_unit is not None:
        body += f_bytes(TD_COUNTER, f_int(CD_UNIT, UNIT_COUNT) + f_str(CD_UNIT_NAME, counter_unit))
    if ordered:
        body += f_int(TD_CHILD_ORDERING, CHILD_ORDERING_EXPLICIT)
    if rank is not None:
        body += f_int(TD_RANK, rank)
    return f_bytes(PKT_TRACK_DESC, body)


def event(kind: int, uuid: int, name: str | None = None, cat: str | None = None,
          args: dict | None = None, flows=(), ends=(), value=None) -> bytes:
    body = f_int(TE_TYPE, kind) + f_int(TE_TRACK, uuid)
    if cat:
        body += f_str(TE_CATEGORIES, cat)
    if name is not None:
        body += f_str(TE_NAME, name)
    for k, v in (args or {}).items():
        body += annotation(k, v)
    body += b"".join(f_fixed64(TE_FLOW_IDS, f) for f in flows)
    body += b"".join(f_fixed64(TE_TERMINATING_FLOW_IDS, f) for f in ends)
    if isinstance(value, float):
        body += f_double(TE_DOUBLE_COUNTER_VALUE, value)
    elif value is not None:
        body += f_int(TE_COUNTER_VALUE, value)
    return f_bytes(PKT_TRACK_EVENT, body)


def packet(payload: bytes, ts: int | None = None, first: bool = False) -> bytes:
    body = (f_int(PKT_TIMESTAMP, ts) if ts is not None else b"") + payload
    body += f_int(PKT_SEQ_ID, SEQ_ID)
    if first:
        body += f_int(PKT_SEQ_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED)
    return f_bytes(TRACE_PACKET, body)


def _signed(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


# ---- the trace ----

class _Builder:
    """Collects track descriptors and timed events; events are stably sorted by time
    only, so each track's events stay in the order they were generated (an END before
    the next BEGIN at the same time, a zero-length slice's BEGIN before its END)."""

    def __init__(self):
        self.tracks: list[bytes] = []
        self.events: list[tuple[int, bytes]] = []
        self.have: set[int] = set()

    def track(self, uuid: int, *a, **kw) -> None:
        if uuid not in self.have:
            self.have.add(uuid)
            self.tracks.append(track(uuid, *a, **kw))

    def at(self, ts: int, ev: bytes) -> None:
        self.events.append((ts, ev))

    def bytes(self) -> bytes:
        self.events.sort(key=lambda e: e[0])
        out = [packet(t, first=i == 0) for i, t in enumerate(self.tracks)]
        out += [packet(ev, ts) for ts, ev in self.events]
        return b"".join(out)


def build(an: Analysis, tr: T.Trace, info: dict, names: dict[int, str] | None = None) -> bytes:
    """an: the analysis of tr; info: the summary's "trace" section (+ window_ms,
    deterministic); names: domid -> domain name."""
    names = names or {}
    t0, t1, khz = an.t0, an.t1, an.tsc_khz
    ncpu = an.nr_cpus

    def ns(tsc: int) -> int:
        return (tsc - t0) * 1_000_000 // khz

    b = _Builder()
    b.track(UUID_PCPUS, "pCPUs", ordered=True, rank=0)
    for c in range(ncpu):
        b.track(uuid_pcpu(c), f"pCPU {c}", UUID_PCPUS, rank=c)
    for c in range(ncpu):
        b.track(uuid_runq(c), f"runqueue pCPU {c}", UUID_PCPUS, rank=ncpu + c,
                counter_unit="vCPUs")
    b.track(UUID_MACHINE, "machine", ordered=True, rank=1)
    b.track(UUID_INFO, "trace info", UUID_MACHINE, rank=0)
    b.track(UUID_RUNNABLE, "runnable vCPUs", UUID_MACHINE, rank=1, counter_unit="vCPUs")

    def vtrack(dom: int, vcpu: int) -> int:
        if uuid_dom(dom) not in b.have:
            label = f"d{dom}" + (f" {names[dom]}" if dom in names else "")
            b.track(uuid_dom(dom), label, ordered=True, rank=2 + dom)
        b.track(uuid_vcpu(dom, vcpu), vcpu_key(dom, vcpu), uuid_dom(dom), rank=vcpu)
        return uuid_vcpu(dom, vcpu)

    def vargs(dom: int, vcpu: int) -> dict:
        a = {"dom": dom, "vcpu": vcpu}
        if dom in names:
            a["domain"] = names[dom]
        return a

    unit = ("1 ns = 1 instruction (deterministic mode: the TSC counts instructions)"
            if info.get("deterministic") else "1 ns = 1 ns of TSC time (realtime mode)")
    b.at(0, event(TYPE_INSTANT, UUID_INFO, "hvlab trace", "meta", {
        "time_basis": unit, "scheduler": info.get("scheduler", ""), "tsc_khz": khz,
        "first_tsc": t0, "last_tsc": t1, "timestamps": "ns since first_tsc: TSC * 1e6 / tsc_khz"}))

    recs = [r for r in tr.merged() if t0 <= r.tsc <= t1]
    flows = _flows(recs)                        # (dom, vcpu, run tsc) -> (flow id, wake rec)
    wake_flow = {id(w): f for f, w in flows.values()}

    # pCPU tracks: who ran; a run caused by a wake ends that wake's arrow
    last_end = [0] * ncpu
    for cpu, s, e, dom, vcpu in an.slices:
        if dom == T.DOM_IDLE or cpu >= ncpu:
            continue
        s = max(s, last_end[cpu])               # an inconsistent trace must not break nesting
        if e < s:
            continue
        last_end[cpu] = e
        f = flows.get((dom, vcpu, s))
        b.at(ns(s), event(TYPE_SLICE_BEGIN, uuid_pcpu(cpu), vcpu_key(dom, vcpu), "vcpu",
                          vargs(dom, vcpu), ends=(f[0],) if f else ()))
        b.at(ns(e), event(TYPE_SLICE_END, uuid_pcpu(cpu)))

    _runstates(b, recs, t0, t1, ns, vtrack, ncpu)
    for r in recs:
        name = T.event_name(r.event)
        if r.event == T.WAKE and r.domid != T.DOM_IDLE:
            cpu = r.data0 if r.data0 < ncpu else r.cpu
            f = wake_flow.get(id(r))
            b.at(ns(r.tsc), event(TYPE_INSTANT, uuid_pcpu(cpu), f"wake {vcpu_key(r.domid, r.vcpuid)}",
                                  "wake", vargs(r.domid, r.vcpuid), flows=(f,) if f else ()))
        elif name in CREDIT_EVENTS:
            vtrack(r.domid, r.vcpuid)
            key = vcpu_key(r.domid, r.vcpuid)
            b.track(uuid_credit(r.domid, r.vcpuid), f"{key} credit", uuid_dom(r.domid),
                    rank=64 + r.vcpuid, counter_unit="credit")
            b.at(ns(r.tsc), event(TYPE_COUNTER, uuid_credit(r.domid, r.vcpuid),
                                  value=_signed(r.data0)))
    for tsc, cpu, what, dom, vcpu in an.instants:
        if what == "wake":
            continue                            # above, with its arrow
        if what.startswith("vmexit."):
            b.at(ns(tsc), event(TYPE_INSTANT, vtrack(dom, vcpu), what, "vmexit", vargs(dom, vcpu)))
        else:                                   # policy events and deadline misses
            b.at(ns(tsc), event(TYPE_INSTANT, uuid_pcpu(cpu if cpu < ncpu else 0),
                                f"{what} {vcpu_key(dom, vcpu)}", "policy", vargs(dom, vcpu)))
    for tsc, n in an.runnable_series:
        b.at(ns(tsc), event(TYPE_COUNTER, UUID_RUNNABLE, value=n))
    doms = sorted({d for _, sh in an.windows for d in sh if d != "idle"},
                  key=lambda d: (len(d), d))
    for i, d in enumerate(doms):
        b.track(uuid_share(i), f"cpu share {d}", UUID_MACHINE, rank=2 + i, counter_unit="share")
    for start_ms, shares in an.windows:
        for i, d in enumerate(doms):
            if d in shares:
                b.at(int(start_ms * 1_000_000), event(TYPE_COUNTER, uuid_share(i),
                                                      value=float(round(shares[d], 6))))
    return b.bytes()


def _flows(recs) -> dict:
    """(dom, vcpu, tsc of the run) -> (flow id, the WAKE record that caused it): a wake
    of a vCPU that is not running and has no wake pending, and the next time it runs;
    a block before that cancels it."""
    running, pending, out = set(), {}, {}
    for r in recs:
        v = (r.domid, r.vcpuid)
        if r.domid == T.DOM_IDLE:
            continue
        if r.event == T.WAKE and v not in running and v not in pending:
            pending[v] = r
        elif r.event == T.RUNSTATE:
            new = r.data0 & 0xFF
            if new == T.RS_RUNNING:
                running.add(v)
                w = pending.pop(v, None)
                if w is not None:
                    out[(*v, r.tsc)] = (len(out) + 1, w)
            else:
                running.discard(v)
                if new in (T.RS_BLOCKED, T.RS_OFFLINE):
                    pending.pop(v, None)
    return out


def _runstates(b: _Builder, recs, t0: int, t1: int, ns, vtrack, ncpu: int) -> None:
    """vCPU runstate slices and the per-pCPU runqueue counters, from the runstate,
    wake and migration records of the measured window."""
    first: dict = {}
    for r in recs:
        if r.event == T.RUNSTATE and r.domid != T.DOM_IDLE and (r.domid, r.vcpuid) not in first:
            first[(r.domid, r.vcpuid)] = r
    state, since, where = {}, {}, {}
    runq = [0] * ncpu
    for v, r in sorted(first.items()):
        old = (r.data0 >> 8) & 0xFF
        if old >= 4:
            continue
        state[v], since[v], where[v] = old, t0, min(r.data1, ncpu - 1)
        if old == T.RS_RUNNABLE:
            runq[where[v]] += 1
    for c in range(ncpu):
        b.at(0, event(TYPE_COUNTER, uuid_runq(c), value=runq[c]))

    def close(v, until):
        if until > since[v]:
            u = vtrack(*v)
            extra = {"pcpu": where[v]} if state[v] == T.RS_RUNNING else {}
            b.at(ns(since[v]), event(TYPE_SLICE_BEGIN, u, T.RUNSTATES[state[v]], "runstate", extra))
            b.at(ns(until), event(TYPE_SLICE_END, u))

    def move(v, cpu, tsc):
        if state[v] == T.RS_RUNNABLE and cpu != where[v] and cpu < ncpu:
            runq[where[v]] -= 1
            runq[cpu] += 1
            b.at(ns(tsc), event(TYPE_COUNTER, uuid_runq(where[v]), value=runq[where[v]]))
            b.at(ns(tsc), event(TYPE_COUNTER, uuid_runq(cpu), value=runq[cpu]))
        if cpu < ncpu:
            where[v] = cpu

    for r in recs:
        v = (r.domid, r.vcpuid)
        if v not in state:
            continue
        if r.event == T.WAKE:
            move(v, r.data0, r.tsc)
        elif r.event == T.MIGRATE:
            move(v, r.data1, r.tsc)
        elif r.event == T.RUNSTATE:
            new = r.data0 & 0xFF
            if new >= 4:
                continue
            close(v, r.tsc)
            move(v, r.data1, r.tsc)
            d = (new == T.RS_RUNNABLE) - (state[v] == T.RS_RUNNABLE)
            if d:
                runq[where[v]] += d
                b.at(ns(r.tsc), event(TYPE_COUNTER, uuid_runq(where[v]), value=runq[where[v]]))
            state[v], since[v] = new, r.tsc
    for v in sorted(state):
        close(v, t1)


def write(path: str, an: Analysis, tr: T.Trace, info: dict,
          names: dict[int, str] | None = None) -> None:
    data = build(an, tr, info, names)
    with open(path, "wb") as f:
        f.write(data)
