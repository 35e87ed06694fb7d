#!/usr/bin/env python3
"""Boot tests for tracing: dom0's collector (`trace start` ... `trace stop` in a
scenario) streams the hypervisor's trace rings into a QEMU ivshmem-plain region
backed by a host file; the test reads the file back and checks the stream.

The decoder here is deliberately small and independent of experiments/hvlab/trace.py
(the analyzer), so the two check each other: it follows include/public/trace.h.
Run from the repository root (make boot-test). The last line is
"trace tests: N passed, N failed".
"""
from __future__ import annotations

import dataclasses
import os
import re
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import BootResult, Topology, boot  # noqa: E402
from test_boot import check, run_suite, scenario_modules  # noqa: E402

IMAGE = os.environ.get("HVLAB_IMAGE", "build/hvlab.elf")
TIMEOUT_S = 120
SHM_MIB = 16

# ---- include/public/trace.h ----
HEADER = struct.Struct("<8sIIIIQQQII16s")
CHUNK = struct.Struct("<IHHII")
RECORD = struct.Struct("<QIHHQQ")
CHUNK_MAGIC, CHUNK_END = 0x4B4E4843, 0xFFFF
DOM_NONE, DOM_IDLE = 0x7FF0, 0x7FF7


def ev(cls: int, sub: int, code: int) -> int:
    return cls << 24 | sub << 16 | code


LOST, MARKER = ev(0, 0, 1), ev(0, 0, 2)
RUNSTATE = ev(1, 0, 1)
HCALL_ENTRY, HCALL_EXIT = ev(2, 0, 1), ev(2, 0, 2)
SCHEDOP_SHUTDOWN_NR = 29          # sched_op: shutdown does not return to the caller


@dataclasses.dataclass
class Stream:
    magic: bytes
    version: int
    header_size: int
    record_size: int
    nr_cpus: int
    tsc_khz: int
    class_mask: int
    start_tsc: int
    ring_records: int
    flags: int
    sched: str
    per_cpu: list          # per pCPU: [(tsc, event, dom, vcpu, d0, d1)] in stream order
    chunks: int
    size: int

    def records(self) -> list:
        return [r for recs in self.per_cpu for r in recs]

    def merged(self) -> list:
        return sorted(((r, c) for c, recs in enumerate(self.per_cpu) for r in recs),
                      key=lambda rc: (rc[0][0], rc[1]))


def shm_stream(path: str) -> bytes:
    """The stream in an ivshmem region file: "HVSHM001", a u64 length, data at 4096
    (empty if nothing was streamed)."""
    with open(path, "rb") as f:
        data = f.read()
    check(len(data) >= 2 * 4096, f"region file is {len(data)} bytes")
    check(data[:8] == b"HVSHM001", f"region magic {data[:8]!r}, expected b'HVSHM001'")
    (length,) = struct.unpack_from("<Q", data, 8)
    check(length <= len(data) - 4096, f"stream length {length} in a {len(data)}-byte region")
    return data[4096:4096 + length]


def decode(data: bytes, whole: bool = True) -> Stream:
    """Checks the stream's framing on the way: every chunk well-formed, the end chunk
    last and (whole) nothing after it; s.size is where the stream ended."""
    check(len(data) >= HEADER.size, f"stream of {len(data)} bytes has no header")
    h = HEADER.unpack_from(data, 0)
    s = Stream(*h[:10], h[10].split(b"\0", 1)[0].decode("ascii"), [], 0, len(data))
    check(s.magic == b"HVTRACE1", f"stream magic {s.magic!r}")
    check((s.version, s.header_size, s.record_size) == (1, 72, 32),
          f"version/header_size/record_size {(s.version, s.header_size, s.record_size)}")
    check(1 <= s.nr_cpus <= 64 and s.tsc_khz > 0, f"nr_cpus {s.nr_cpus}, tsc_khz {s.tsc_khz}")
    s.per_cpu = [[] for _ in range(s.nr_cpus)]
    off = HEADER.size
    while True:
        check(off + CHUNK.size <= len(data), f"offset {off}: stream ends without an end chunk")
        magic, cpu, flags, nr, res = CHUNK.unpack_from(data, off)
        check(magic == CHUNK_MAGIC and flags == 0 and res == 0,
              f"offset {off}: chunk header {magic:#x} flags {flags} reserved {res}")
        off += CHUNK.size
        if cpu == CHUNK_END:
            check(nr == 0, f"offset {off}: end chunk with {nr} records")
            check(off == len(data) or not whole, f"{len(data) - off} bytes after the end chunk")
            s.size = off
            return s
        check(cpu < s.nr_cpus, f"offset {off}: chunk for cpu {cpu} of {s.nr_cpus}")
        check(0 < nr and off + nr * RECORD.size <= len(data),
              f"offset {off}: chunk of {nr} records overruns the stream")
        s.per_cpu[cpu] += RECORD.iter_unpack(data[off:off + nr * RECORD.size])
        off += nr * RECORD.size
        s.chunks += 1


# ---- running a scenario with a stream region ----

def ivshmem(path: str, mib: int) -> list[str]:
    try:
        from hvlab.machine import ivshmem_args
        return ivshmem_args(path, mib)
    except ImportError:
        return ["-object", f"memory-backend-file,id=hvtrace,size={mib}M,mem-path={path},"
                "share=on", "-device", "ivshmem-plain,memdev=hvtrace"]


@dataclasses.dataclass
class Run:
    r: BootResult
    stream: bytes

    def summary(self) -> dict[str, int]:
        """The collector's two summary lines at `trace stop`."""
        m = re.search(r"trace: (\d+) records, (\d+) lost, (\d+) bytes streamed", self.r.output)
        check(m is not None, "trace stop printed its summary", self.r)
        n = re.search(r"trace: (\d+) ms, (\d+) records/s, (\d+) lost/s, (\d+) drains", self.r.output)
        check(n is not None, "trace stop printed its rates", self.r)
        return dict(records=int(m.group(1)), lost=int(m.group(2)), bytes=int(m.group(3)),
                    ms=int(n.group(1)), rate=int(n.group(2)), drains=int(n.group(4)))


def run_scenario(name: str, images: list[str], cfgs: list[str], topo: Topology,
                 cmdline: str = "", shm_mib: int = SHM_MIB) -> Run:
    with tempfile.TemporaryDirectory(prefix="hvtrace") as tmp:
        path = os.path.join(tmp, "shm")
        r = boot(IMAGE, topo, cmdline, TIMEOUT_S,
                 modules=scenario_modules(f"tests/scenarios/{name}", images, cfgs),
                 extra=ivshmem(path, shm_mib))
        check(not r.timed_out, f"QEMU did not exit within {TIMEOUT_S} s", r)
        check("trace: stream region" in r.output, "the hypervisor found the ivshmem region", r)
        stream = shm_stream(path)
    return Run(r, stream)


SMOKE = ("trace-smoke", ["cpuloop", "sleeper"], ["loop-a.cfg", "loop-b.cfg", "sleeper.cfg"])
DOMUS = (1, 2, 3)


def smoke(topo: Topology, cmdline: str = "") -> tuple[Run, Stream]:
    run = run_scenario(*SMOKE, topo, cmdline)
    check(run.r.status == 0, "the scenario ends with a clean poweroff", run.r)
    check("(d0) scenario: done" in run.r.output, "the scenario completed", run.r)
    s = decode(run.stream)
    check(s.nr_cpus == topo.cpus, f"header nr_cpus {s.nr_cpus} != {topo.cpus} CPUs", run.r)
    return run, s


# ---- the checks on a decoded stream ----

def check_tsc_order(s: Stream) -> None:
    for cpu, recs in enumerate(s.per_cpu):
        for i in range(1, len(recs)):
            check(recs[i - 1][0] <= recs[i][0],
                  f"cpu {cpu}: record {i} tsc {recs[i][0]} < previous {recs[i - 1][0]}")


def check_markers(s: Stream) -> None:
    marks = [r[4] for r in s.records() if r[1] == MARKER]
    check(marks.count(1) == 1 and marks.count(2) == 1,
          f"one start and one stop marker, got {marks}")
    start = next(r for r in s.records() if r[1] == MARKER and r[4] == 1)
    check(start[0] >= s.start_tsc, f"start marker tsc {start[0]} < header start_tsc {s.start_tsc}")


def hcall_pairs(s: Stream, domids) -> tuple[dict, dict]:
    """Per (dom, vcpu): entry/exit pairs matched in TSC order, and the unmatched
    events (an exit without an entry, an entry followed by another entry)."""
    open_, pairs, odd = {}, {}, {}
    for (tsc, e, dom, vcpu, d0, _), _cpu in s.merged():
        if dom not in domids or e not in (HCALL_ENTRY, HCALL_EXIT):
            continue
        key = (dom, vcpu)
        if e == HCALL_ENTRY:
            if key in open_:
                odd.setdefault(key, []).append(("entry without exit", open_[key]))
            open_[key] = d0
        elif open_.pop(key, None) == d0:
            pairs[key] = pairs.get(key, 0) + 1
        else:
            odd.setdefault(key, []).append(("exit without entry", d0))
    for key, nr in open_.items():
        if nr != SCHEDOP_SHUTDOWN_NR:       # the last call, shutdown, never returns
            odd.setdefault(key, []).append(("entry without exit at the end", nr))
    return pairs, odd


# ---- cases ----

def case_smoke_4cpus() -> None:
    """Two cpuloops and a sleeper traced on 4 pCPUs: a well-formed stream with the
    domUs' scheduling and hypercalls, nothing lost, and the summary agrees."""
    topo = Topology(4, 1, 512)
    run, s = smoke(topo)
    r = run.r
    check(s.ring_records == 32768, f"ring_records {s.ring_records}", r)
    check(s.class_mask == 0xFFF, f"class_mask {s.class_mask:#x} after 'trace start all'", r)
    check(s.sched != "", "the scheduler's name is in the header", r)
    check(s.chunks > 0, "chunks before the end chunk", r)
    check_tsc_order(s)
    check_markers(s)
    recs = s.records()
    for dom in DOMUS:
        rs = [x for x in recs if x[1] == RUNSTATE and x[2] == dom]
        check(len(rs) >= 2, f"domain {dom}: runstate events ({len(rs)})", r)
    pairs, odd = hcall_pairs(s, DOMUS)
    # cpuloop calls little (console, shutdown); the sleeper blocks every period.
    for dom in DOMUS:
        check(pairs.get((dom, 0), 0) >= 3, f"domain {dom}: hypercall pairs "
              f"({pairs.get((dom, 0), 0)})", r)
    check(pairs.get((3, 0), 0) >= 20, f"the sleeper's hypercall pairs ({pairs.get((3, 0))})", r)
    check(not odd, f"every domU hypercall entry has its exit: {odd}", r)
    check(not any(x[1] == LOST for x in recs), "no TRC_LOST record at the default ring size", r)
    sm = run.summary()
    check(sm["lost"] == 0, f"summary: {sm['lost']} lost", r)
    check(sm["records"] == len(recs), f"summary {sm['records']} records, stream has {len(recs)}", r)
    check(sm["bytes"] == s.size, f"summary {sm['bytes']} bytes, stream has {s.size}", r)
    # Nominally one drain per 10 ms; under rr, dom0 waits its turn behind the hogs
    # (up to a few slices), so a quarter of them is what "drained while domains ran"
    # can promise.
    check(sm["drains"] >= sm["ms"] // 10 // 4,
          f"drains ran during the waits ({sm['drains']} in {sm['ms']} ms)", r)


def case_tiny_ring() -> None:
    """trace_ring=64 on 2 pCPUs: rings overflow between drains; every drop is
    counted by a TRC_LOST record and the summary reports them."""
    topo = Topology(2, 1, 512)
    run, s = smoke(topo, "trace_ring=64")
    r = run.r
    check(s.ring_records == 64, f"ring_records {s.ring_records}", r)
    check_tsc_order(s)
    recs = s.records()
    lost_recs = [x for x in recs if x[1] == LOST]
    sm = run.summary()
    check(sm["lost"] > 0, "a 64-record ring loses records under this load", r)
    check(len(lost_recs) > 0, "TRC_LOST records in the stream", r)
    in_stream = sum(x[4] for x in lost_recs)
    # Drops still pending when tracing stops have no TRC_LOST yet (the hypervisor
    # writes it before the next record that fits): the stream may be short by those.
    check(0 < in_stream <= sm["lost"],
          f"TRC_LOST records count {in_stream}, summary says {sm['lost']} lost", r)
    for x in lost_recs:
        check(x[5] <= x[0], f"TRC_LOST first-drop tsc {x[5]} after the record's {x[0]}", r)
    check(sm["records"] == len(recs), f"summary {sm['records']} records, stream has {len(recs)}", r)
    check(re.search(r"trace: \d+ ms, \d+ records/s, [1-9]\d* lost/s", r.output) is not None,
          "the rates line reports drops per second", r)


def case_deterministic() -> None:
    """Two -icount runs of the smoke scenario stream byte-identical traces."""
    topo = Topology(2, 1, 512)
    a, _ = smoke(topo)
    b, _ = smoke(topo)
    check(len(a.stream) == len(b.stream), f"stream lengths {len(a.stream)} != {len(b.stream)}", b.r)
    first = next((i for i in range(len(a.stream)) if a.stream[i] != b.stream[i]), None)
    check(first is None, f"streams differ first at byte {first}", b.r)


def case_region_full() -> None:
    """A 1 MiB region cannot hold the busy run's stream: the collector says so at
    once, counts the records it could not stream, and `trace stop` fails the
    scenario; what was streamed is still well-framed up to where it stops."""
    run = run_scenario("trace-busy", ["pingpong", "sleeper", "cpuloop"],
                       ["pong.cfg", "ping.cfg", "fast-a.cfg", "fast-b.cfg", "loop.cfg"],
                       Topology(4, 1, 512), shm_mib=1)
    r = run.r
    m = re.search(r"trace: host stream full after (\d+) bytes: records lost", r.output)
    check(m is not None, "the collector reports the full region", r)
    check(int(m.group(1)) == len(run.stream), f"reported {m.group(1)} bytes, region "
          f"holds {len(run.stream)}", r)
    check(re.search(r"trace: [1-9]\d* records not streamed", r.output) is not None,
          "the summary counts the records not streamed", r)
    check("'trace stop' failed: ENOSPC" in r.output and r.status != 0,
          "trace stop fails the scenario", r)
    check(run.stream[:8] == b"HVTRACE1", "the stream starts with its header", r)


def case_commands() -> None:
    """trace mask/status/start -p and the help text; two runs in one region make two
    streams back to back, each with the classes asked for."""
    run = run_scenario("trace-commands", ["cpuloop"], ["loop.cfg"], Topology(2, 1, 256))
    r = run.r
    check(r.status == 0 and "(d0) scenario: done" in r.output, "the scenario ran", r)
    for want in ("trace start [-p <ms>] [<mask>]  set the classes",
                 "usage: trace <start|stop|mask|status> ...",
                 "trace: classes 0x7 (meta,sched,hcall), from the next start",
                 "trace: stopped, classes 0x7 (meta,sched,hcall), 2 pCPUs, 32768 records per ring",
                 "trace: started: 2 pCPUs, 32768 records per ring, drain every 10 ms",
                 "trace: tracing, classes 0x7 (meta,sched,hcall)",
                 "trace: cpu 1: prod ",
                 "trace: classes 0x5 (meta,hcall), now",
                 "trace: started: 2 pCPUs, 32768 records per ring, drain every 2 ms",
                 "trace: classes 0xf9 (meta,pv,evtchn,timer,dom,mem)",
                 "trace: stopped, classes 0xfff"):
        check(want in r.output, f"output has {want!r}", r)
    s1 = decode(run.stream, whole=False)
    s2 = decode(run.stream[s1.size:])
    check(s1.class_mask == 0x7 and s2.class_mask == 0xf9,
          f"the streams' classes {s1.class_mask:#x}, {s2.class_mask:#x}", r)
    for s in (s1, s2):
        check_tsc_order(s)
        check_markers(s)
    def classes(s: Stream) -> set[int]:
        return {x[1] >> 24 for x in s.records()}
    check(classes(s1) <= {0, 1, 2} and 2 in classes(s1), f"first run's classes {classes(s1)}", r)
    check(classes(s2) <= {0, 3, 4, 5, 6, 7} and 6 in classes(s2),
          f"second run's classes {classes(s2)}", r)
    check(s2.start_tsc > s1.start_tsc, "the second stream starts later", r)
    sms = [tuple(map(int, m)) for m in
           re.findall(r"trace: (\d+) records, (\d+) lost, (\d+) bytes streamed", r.output)]
    check(sms == [(len(s1.records()), 0, s1.size), (len(s2.records()), 0, s2.size)],
          f"summaries {sms} match the streams", r)


def case_bad_mask() -> None:
    """A scenario with an unknown class name is refused before anything runs."""
    run = run_scenario("trace-badmask", [], [], Topology(1, 1, 128))
    r = run.r
    check(r.status != 0 and not r.timed_out, "a refused scenario stops the machine with an error", r)
    check("scenario:3: trace: unknown class 'bogus'" in r.output, "the bad class is named", r)
    check("(d0) trace-badmask" not in r.output, "nothing ran", r)


CASES = [case_smoke_4cpus, case_tiny_ring, case_deterministic, case_region_full,
         case_commands, case_bad_mask]


if __name__ == "__main__":
    sys.exit(run_suite("trace tests", CASES, sys.argv[1:]))
