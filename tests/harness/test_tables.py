"""The decoder's tables against the C headers they mirror: parse include/public/*.h
with regular expressions and compare, so the two can never drift apart silently."""
from __future__ import annotations

import os
import re

from check import REPO, check, eq

from hvlab import schedparams
from hvlab import trace as T

PUB = os.path.join(REPO, "include", "public")


def defines(header: str) -> dict[str, str]:
    with open(os.path.join(PUB, header)) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    return dict(re.findall(r"^#define\s+(\w+)\s+(.+?)\s*$", text, flags=re.M))


def test_classes():
    d = defines("trace.h")
    got = {k[8:].lower(): int(v) for k, v in d.items()
           if k.startswith("TRC_CLS_")}
    eq(T.CLASSES, got, "TRC_CLS_* classes")
    eq(T.NR_CLASSES, int(d["TRC_NR_CLASSES"]), "TRC_NR_CLASSES")


def test_fixed_events():
    d = defines("trace.h")
    cls = {k: int(v) for k, v in d.items() if k.startswith("TRC_CLS_")}
    got = {}
    for k, v in d.items():
        m = re.fullmatch(r"TRC_EVENT\((\w+),\s*(\d+),\s*(\d+)\)", v)
        if m:
            got[k] = (cls[m.group(1)], int(m.group(2)), int(m.group(3)))
    eq(T.EVENTS, got, "TRC_* events (class, subclass, code)")


def test_policy_codes():
    d = defines("trace.h")
    got = {k: int(v) for k, v in d.items()
           if re.fullmatch(r"TRC_(CREDIT|CREDIT2|RTDS|NUMA|ARINC653|NULL)_\w+", k) and v.isdigit()}
    eq(T.POLICY_CODES, got, "per-policy event codes")


def test_scheduler_ids():
    """The decoder names subclasses from the policies' declarations (no table of its
    own: a new policy's id breaks nothing here); domctl.h's SCHED_ID_* of the
    policies hvlab ships must agree with what those policies declare."""
    decls = schedparams.load()
    eq(T.SCHED_IDS, {n: d["sched_id"] for n, d in decls.items() if d["sched_id"]},
       "trace subclasses from build/sched-decls.json")
    d = defines("domctl.h")
    for k, v in d.items():
        if k.startswith("SCHED_ID_") and k[9:].lower() in decls:
            eq(int(v), decls[k[9:].lower()]["sched_id"], f"{k} and the policy's sched_id")


def test_runstates():
    d = defines("vcpu.h")
    got = {int(v): k[9:] for k, v in d.items()
           if k.startswith("RUNSTATE_") and k != "RUNSTATE_COUNT"}
    eq(T.RUNSTATES, tuple(got[i] for i in range(len(got))), "RUNSTATE_* names in order")
    eq(len(T.RUNSTATES), int(d["RUNSTATE_COUNT"]), "RUNSTATE_COUNT")


def test_hypercalls():
    d = defines("hvlab.h")
    got = {int(v): k[11:] for k, v in d.items() if k.startswith("HYPERVISOR_")}
    eq(T.HYPERCALLS, got, "HYPERVISOR_* numbers")


def test_format_constants():
    d = defines("trace.h")
    eq(T.FORMAT_VERSION, int(d["TRACE_FORMAT_VERSION"]), "TRACE_FORMAT_VERSION")
    eq(T.DOM_NONE, int(d["TRACE_DOM_NONE"], 16), "TRACE_DOM_NONE")
    eq(T.DOM_IDLE, int(d["TRACE_DOM_IDLE"], 16), "TRACE_DOM_IDLE")
    eq(T.STREAM_MAGIC, d["TRACE_STREAM_MAGIC"].strip('"').encode(), "TRACE_STREAM_MAGIC")
    eq(T.CHUNK_MAGIC, int(d["TRACE_CHUNK_MAGIC"].rstrip("u"), 16), "TRACE_CHUNK_MAGIC")
    eq(T.CHUNK_END, int(d["TRACE_CHUNK_END"].rstrip("u"), 16), "TRACE_CHUNK_END")


def _struct_fields(name: str) -> list[tuple[str, str]]:
    with open(os.path.join(PUB, "trace.h")) as f:
        text = f.read()
    body = re.search(r"struct %s \{(.*?)\};" % name, text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return re.findall(r"(uint\d+_t|char)\s+(\w+(?:\[\d+\])?);", body)


def test_struct_layouts():
    """The struct module formats match the C structs field by field."""
    codes = {"uint64_t": "Q", "uint32_t": "I", "uint16_t": "H"}
    for name, st in (("trace_record", T.RECORD), ("trace_stream_header", T.HEADER),
                     ("trace_chunk_header", T.CHUNK)):
        fmt = "<"
        for ctype, field in _struct_fields(name):
            n = re.search(r"\[(\d+)\]", field)
            if ctype == "char":
                fmt += f"{n.group(1)}s"
            else:
                fmt += codes[ctype] * (int(n.group(1)) if n else 1)
        eq(st.format, fmt, f"struct {name} layout")
    with open(os.path.join(PUB, "trace.h")) as f:
        sizes = dict(re.findall(r"sizeof\(struct (\w+)\) == (\d+)", f.read()))
    eq(T.RECORD.size, int(sizes["trace_record"]), "record size")
    eq(T.HEADER.size, int(sizes["trace_stream_header"]), "header size")
    eq(T.CHUNK.size, int(sizes["trace_chunk_header"]), "chunk header size")


def test_names_unique():
    names = list(T.EV) + list(T.POLICY_EVENTS.values())
    check(len(names) == len(set(names)), f"event names are unique: {names}")


def test_decoder_limits():
    """The bounds the decoder checks fields against (trace.py, "what a valid stream
    can hold") are the C side's own limits."""
    d, hv = defines("trace.h"), defines("hvlab.h")
    eq(T.FLAGS_KNOWN, sum(int(v, 0) for k, v in d.items() if k.startswith("TRACE_FLAG_")),
       "TRACE_FLAG_* bits")
    eq(T.MAX_VIRT_CPUS, int(hv["MAX_VIRT_CPUS"]), "MAX_VIRT_CPUS")
    eq(T.DOMID_FIRST_RESERVED, min(int(v, 16) for k, v in hv.items()
                                   if k.startswith("DOMID_") and v.startswith("0x")),
       "the first reserved domain id (DOMID_SELF)")
    with open(os.path.join(REPO, "dom0", "collector.c")) as f:
        eq(T.MAX_CPUS, int(re.search(r"#define MAX_CPUS\s+(\d+)", f.read()).group(1)),
           "dom0/collector.c MAX_CPUS")
    with open(os.path.join(PUB, "trace.h")) as f:
        arrays = re.findall(r"ring_mfn\[(\d+)\]", f.read())
    eq([T.MAX_CPUS], [int(a) for a in arrays], "struct trace_info's per-pCPU arrays")
