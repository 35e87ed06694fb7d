"""What a run printed on the serial console: guest result lines, domain names, how
the scenario ended.

Guests print one line per result, e.g.
  [   0.365766] (d1) result bench=cpuloop dom=1 iters=17860000 ms=300 ns=314329470
(the hypervisor prefixes the timestamp and the domain). Values that look like
integers or decimals become numbers; the rest stay strings.
"""
from __future__ import annotations

import re

_PREFIX = re.compile(r"^(?:\[\s*\d+\.\d+\]\s*)?(?:\(d(\d+)\)\s*)?")
_RESULT = re.compile(r"result\s+(.*)$")
_PAIR = re.compile(r"(\w[\w.-]*)=(\S+)")
_DOMAIN = re.compile(r"^domain (\d+) \(([^)]*)\)")
_COLLECTED = re.compile(r"^trace: (\d+) records, (\d+) lost, (\d+) bytes streamed")
_TRACE_TROUBLE = ("not streamed", "stream full", "failed", "records lost")


def _value(s: str):
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    if re.fullmatch(r"-?\d+\.\d*(?:[eE][-+]?\d+)?", s):
        return float(s)
    return s


def strip_prefix(line: str) -> tuple[int | None, str]:
    """(domid of a '(dN)' prefix or None, the line without timestamp and prefix)."""
    m = _PREFIX.match(line)
    return (int(m.group(1)) if m.group(1) else None), line[m.end():]


def parse(text: str) -> dict:
    """results: one dict per result line (with "console_dom" when prefixed);
    domains: domid -> name (a boot self-test's domain, named before "hvlab: boot
    complete", is not part of the run); scenario: "done", "failed" or "unfinished";
    collector: dom0's trace collector summary {records, lost, bytes} or None;
    errors: lines reporting a failure (scenario and cfg file errors by file and line,
    trace trouble, panics)."""
    results, domains, errors, collector = [], {}, [], None
    scenario = "unfinished"
    for raw in text.splitlines():
        dom, line = strip_prefix(raw.rstrip("\r"))
        m = _RESULT.match(line)
        if m:
            rec = {k: _value(v) for k, v in _PAIR.findall(m.group(1))}
            if dom is not None:
                rec["console_dom"] = dom
            results.append(rec)
            continue
        if line.startswith("hvlab: boot complete"):
            domains.clear()
        m = _DOMAIN.match(line)
        if m and m.group(2):
            domains.setdefault(int(m.group(1)), m.group(2))
        if line.startswith("scenario: done"):
            scenario = "done"
        elif line.startswith("scenario: failed"):
            scenario = "failed"
        m = _COLLECTED.match(line)
        if m:
            collector = dict(zip(("records", "lost", "bytes"), map(int, m.groups())))
        if (line.startswith("scenario: ") and "failed:" in line
                or re.match(r"scenario:\d+: ", line) or re.match(r"[\w.-]+\.cfg:\d+: ", line)
                or "Panic on CPU" in line
                or line.startswith("trace") and any(t in line for t in _TRACE_TROUBLE)):
            errors.append(line)
    return {"results": results, "domains": domains, "scenario": scenario,
            "collector": collector, "errors": errors}
