"""The measured window of a run: from the moment the last domain starts, plus warmup_ms.

Design: a domain starts when the hypervisor first unpauses it (TRC_DOM_UNPAUSE, the
end of `xl create`); where the "dom" trace class was not recorded, at its first
runstate record instead. The measured window begins warmup_ms (guest time, converted
with the header's tsc_khz: instructions under icount) after the last of the
experiment's domains starts, so domain creation and start-up never fall inside it;
analyze.analyze(start_tsc=...) leaves everything before it out of every metric.

A domain that shuts down inside the window (TRC_DOM_SHUTDOWN) is named in
"stopped": its shares and counts cover only part of the window, so they are not
comparable with the others' (a CPU hog whose fixed run ended while dom0 was still
creating the other domains); results.py adds a note to the report.

Limitations: a domain that never appears in the trace (it failed to start) does not
count; when none appears, or the window would begin after the last record, the
whole trace is measured and measured_window() says why in "note".
"""
from __future__ import annotations

from . import trace as T


def domain_starts(tr: T.Trace, domids) -> tuple[dict[int, int], str]:
    """{domid: tsc of its start} for the given domids, and which records said so."""
    want = set(domids)
    unpause: dict[int, int] = {}
    first_rs: dict[int, int] = {}
    unpause_ev = T.EV["dom_unpause"]
    for recs in tr.per_cpu:             # each pCPU's records are in TSC order
        for r in recs:
            if r.domid not in want:
                continue
            seen = unpause if r.event == unpause_ev else \
                first_rs if r.event == T.RUNSTATE else None
            if seen is not None and r.tsc < seen.get(r.domid, r.tsc + 1):
                seen[r.domid] = r.tsc
    if unpause:
        return unpause, "TRC_DOM_UNPAUSE"
    return first_rs, "first runstate record (no TRC_DOM_UNPAUSE: 'dom' class not traced)"


def measured_window(tr: T.Trace, domids, warmup_ms: float) -> dict:
    """{"start_tsc": where the measured window begins (None: the whole trace),
    "last_domain_start_tsc", "warmup_ms", "basis", "note"}."""
    domids = list(domids)
    if not domids:          # dom0 alone (dom0_commands): nothing is created
        return dict(whole_trace(), basis="the whole trace (no domain is created)")
    starts, basis = domain_starts(tr, domids)
    out = {"start_tsc": None, "last_domain_start_tsc": None, "warmup_ms": warmup_ms,
           "warmup_ticks": None, "basis": basis, "note": None}
    if not starts:
        out["note"] = "no domain start found in the trace: the whole trace is measured"
        return out
    last = max(starts.values())
    ticks = round(warmup_ms * tr.header.tsc_khz)
    end = max((recs[-1].tsc for recs in tr.per_cpu if recs), default=last)
    out["last_domain_start_tsc"], out["warmup_ticks"] = last, ticks
    if last + ticks >= end:
        out["note"] = (f"the warm-up ({warmup_ms} ms after the last domain starts) reaches "
                       "past the end of the trace: the whole trace is measured")
        return out
    out["start_tsc"] = last + ticks
    out["stopped"] = domain_stops(tr, domids, out["start_tsc"], end)
    return out


def domain_stops(tr: T.Trace, domids, start: int, end: int) -> list[dict]:
    """[{"domid", "after_ms", "window_ms"}] for each domain that shut down in
    [start, end): how far into the measured window it stopped."""
    want, stops = set(domids), {}
    for recs in tr.per_cpu:
        for r in recs:
            if r.event == T.DOM_SHUTDOWN and r.domid in want and start <= r.tsc < end:
                stops[r.domid] = min(r.tsc, stops.get(r.domid, r.tsc))
    khz = tr.header.tsc_khz
    return [{"domid": d, "after_ms": round((t - start) / khz, 1),
             "window_ms": round((end - start) / khz, 1)} for d, t in sorted(stops.items())]


def whole_trace() -> dict:
    """measured_window()'s answer for analysis.measure_from = "trace_start"."""
    return {"start_tsc": None, "last_domain_start_tsc": None, "warmup_ms": 0.0,
            "warmup_ticks": None, "basis": "the whole trace (analysis.measure_from = "
            "\"trace_start\")", "note": None}
