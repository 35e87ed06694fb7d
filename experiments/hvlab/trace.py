"""The trace stream (include/public/trace.h): constants, decoder, encoder, shm reader.

A stream is one 72-byte header, then chunks (a 16-byte chunk header and
nr_records 32-byte records of one pCPU), then an end chunk. read_stream() checks
every byte of it and raises TraceError("<file>: offset <n>: <problem>") on the first
problem; merged() yields the records of all pCPUs in TSC order (ties: lower pCPU
first, then stream position), so two reads of one file give one order.

The constants below mirror trace.h, vcpu.h, domctl.h and hvlab.h by hand;
tests/harness/test_tables.py parses those headers and fails if they drift apart.
"""
from __future__ import annotations

import dataclasses
import os
import stat
import struct
from typing import NamedTuple

from . import schedparams

# ---- trace.h ----
FORMAT_VERSION = 1
DOM_NONE = 0x7FF0
DOM_IDLE = 0x7FF7
STREAM_MAGIC = b"HVTRACE1"
CHUNK_MAGIC = 0x4B4E4843
CHUNK_END = 0xFFFF
HEADER = struct.Struct("<8sIIIIQQQII16s")      # struct trace_stream_header
CHUNK = struct.Struct("<IHHII")                 # struct trace_chunk_header
RECORD = struct.Struct("<QIHHQQ")               # struct trace_record
FLAG_DETERMINISTIC = 1
FLAGS_KNOWN = FLAG_DETERMINISTIC                # TRACE_FLAG_*: any other bit is refused
MARKER_START, MARKER_STOP = 1, 2

# TRC_CLS_*: the class number; names are the lower-case suffix.
CLASSES = {"meta": 0, "sched": 1, "hcall": 2, "pv": 3, "evtchn": 4, "timer": 5,
           "dom": 6, "mem": 7, "policy": 8, "hvm": 9,
           "gnttab": 10, "io": 11}
NR_CLASSES = 12


def event_id(cls: int, sub: int, code: int) -> int:
    return (cls << 24) | (sub << 16) | code


# Fixed events: macro name -> (class, subclass, code). Names in reports drop "TRC_"
# and are lower-case: TRC_SCHED_WAKE -> "sched_wake".
EVENTS = {
    "TRC_LOST": (0, 0, 1), "TRC_MARKER": (0, 0, 2),
    "TRC_SCHED_RUNSTATE": (1, 0, 1), "TRC_SCHED_WAKE": (1, 0, 2),
    "TRC_SCHED_SLEEP": (1, 0, 3), "TRC_SCHED_BLOCK": (1, 0, 4),
    "TRC_SCHED_YIELD": (1, 0, 5), "TRC_SCHED_SWITCH": (1, 0, 6),
    "TRC_SCHED_MIGRATE": (1, 0, 7), "TRC_SCHED_SLICE_END": (1, 0, 8),
    "TRC_SCHED_DECIDE": (1, 0, 9),
    "TRC_HCALL_ENTRY": (2, 0, 1), "TRC_HCALL_EXIT": (2, 0, 2),
    "TRC_PV_TRAP": (3, 0, 1), "TRC_PV_PTWR": (3, 0, 2), "TRC_PV_UPCALL": (3, 0, 3),
    "TRC_EVTCHN_SEND": (4, 0, 1), "TRC_EVTCHN_PENDING": (4, 0, 2),
    "TRC_EVTCHN_VIRQ": (4, 0, 3),
    "TRC_TIMER_SET": (5, 0, 1), "TRC_TIMER_FIRE": (5, 0, 2),
    "TRC_DOM_CREATE": (6, 0, 1), "TRC_DOM_UNPAUSE": (6, 0, 2), "TRC_DOM_PAUSE": (6, 0, 3),
    "TRC_DOM_SHUTDOWN": (6, 0, 4), "TRC_DOM_DESTROY": (6, 0, 5),
    "TRC_MEM_ALLOC": (7, 0, 1), "TRC_MEM_FREE": (7, 0, 2),
    "TRC_MEM_BALLOON": (7, 2, 1),       # ballooning: decrease / populate of a domain
    # mmpolicy (issue 13): a memory policy's placement decision (MEM subclass 1)
    "TRC_MEM_POLICY": (7, 1, 1),
    "TRC_MEM_MIGRATE": (7, 4, 1),       # migrate: one batch of a memory move, per node pair
    "TRC_MEM_VNUMA": (7, 3, 1),         # vnuma: a domain got its layout (docs/vnuma.md)
    "TRC_HVM_EXIT": (9, 0, 1), "TRC_HVM_ENTRY": (9, 0, 2), "TRC_HVM_INJECT": (9, 0, 3),
    "TRC_HVM_IO_NODEV": (9, 0, 4), "TRC_HVM_EMUL": (9, 0, 5), "TRC_HVM_MMIO_NODEV": (9, 0, 6),
    # devmodel (issue 11): requests to an HVM domain's device model
    "TRC_IO_FORWARD": (11, 0, 1), "TRC_IO_COMPLETE": (11, 0, 2),
    # pdisk: physical I/O of PV domains (IO subclass 1)
    "TRC_IO_PORT_DENY": (11, 1, 1), "TRC_IO_PCI_DENY": (11, 1, 2),
    "TRC_IO_PORT_GRANT": (11, 1, 3), "TRC_IO_PIRQ": (11, 1, 4), "TRC_IO_PIRQ_EOI": (11, 1, 5),
    # grant tables (issue 11)
    "TRC_GNTTAB_MAP": (10, 0, 1), "TRC_GNTTAB_UNMAP": (10, 0, 2), "TRC_GNTTAB_COPY": (10, 0, 3),
}
EV = {name[4:].lower(): event_id(*v) for name, v in EVENTS.items()}   # "sched_wake" -> id
LOST, MARKER = EV["lost"], EV["marker"]
RUNSTATE, WAKE, SWITCH, MIGRATE = (EV["sched_runstate"], EV["sched_wake"],
                                   EV["sched_switch"], EV["sched_migrate"])
HCALL_ENTRY, HCALL_EXIT = EV["hcall_entry"], EV["hcall_exit"]
TIMER_FIRE = EV["timer_fire"]
DOM_SHUTDOWN = EV["dom_shutdown"]
HVM_EXIT, HVM_ENTRY = EV["hvm_exit"], EV["hvm_entry"]

# Policy name -> its trace subclass (POLICY events: subclass = the policy's sched_id),
# from the policies' own declarations (schedparams.py, build/sched-decls.json), so a
# new policy needs no entry here. Without a build its events decode as "sched<id>".
try:
    SCHED_IDS = {name: d["sched_id"] for name, d in schedparams.load().items()
                 if d["sched_id"]}
except schedparams.DeclsError:
    SCHED_IDS = {}
# trace.h per-policy codes: macro -> code. The policy is the macro's prefix.
POLICY_CODES = {
    "TRC_CREDIT_ACCT": 1, "TRC_CREDIT_BOOST": 2, "TRC_CREDIT_STEAL": 3, "TRC_CREDIT_PARK": 4,
    "TRC_CREDIT2_RESET": 1, "TRC_CREDIT2_BURN": 2, "TRC_CREDIT2_PULL": 3,
    "TRC_CREDIT2_BALANCE": 4, "TRC_CREDIT2_PICK": 5,
    "TRC_RTDS_REPLENISH": 1, "TRC_RTDS_MISS": 2, "TRC_RTDS_DEPLETED": 3,
    "TRC_RTDS_MISSES": 4,
    "TRC_NUMA_AWAY": 1, "TRC_NUMA_HOME": 2,
    "TRC_ARINC653_WINDOW": 1, "TRC_NULL_ASSIGN": 1, "TRC_NULL_WAIT": 2,
}
POLICY_EVENTS = {}   # event id -> "rtds.miss"
for _macro, _code in POLICY_CODES.items():
    _pol, _what = _macro[4:].lower().split("_", 1)
    if _pol in SCHED_IDS:
        POLICY_EVENTS[event_id(CLASSES["policy"], SCHED_IDS[_pol], _code)] = f"{_pol}.{_what}"
RTDS_MISS = event_id(CLASSES["policy"], SCHED_IDS.get("rtds", 0), POLICY_CODES["TRC_RTDS_MISS"])
RTDS_MISSES = event_id(CLASSES["policy"], SCHED_IDS.get("rtds", 0), POLICY_CODES["TRC_RTDS_MISSES"])

# vcpu.h RUNSTATE_*
RUNSTATES = ("running", "runnable", "blocked", "offline")
RS_RUNNING, RS_RUNNABLE, RS_BLOCKED, RS_OFFLINE = range(4)

# hvlab.h HYPERVISOR_*: number -> name
HYPERCALLS = {0: "set_trap_table", 1: "mmu_update", 4: "set_callbacks", 12: "memory_op",
              13: "multicall", 14: "update_va_mapping", 15: "set_timer_op", 17: "version",
              18: "console_io", 24: "vcpu_op", 26: "mmuext_op", 29: "sched_op",
              20: "grant_table_op", 32: "event_channel_op", 33: "physdev_op", 34: "hvm_op", 35: "sysctl", 36: "domctl", 40: "trace_op"}

_NAMES = {v: k for k, v in EV.items()}
_NAMES.update(POLICY_EVENTS)


def event_name(ev: int) -> str | None:
    """The event's report name, or None for an event this table does not know."""
    return _NAMES.get(ev)


def class_mask(names: list[str]) -> int:
    """Class names (CLASSES keys, or "all") -> the class mask; meta is always on."""
    mask = 1 << CLASSES["meta"]
    for n in names:
        mask |= (1 << NR_CLASSES) - 1 if n == "all" else 1 << CLASSES[n]
    return mask


# ---- decoding ----

class TraceError(Exception):
    """A malformed stream: the message names the file, the byte offset and the problem."""


class Record(NamedTuple):
    tsc: int
    cpu: int        # the pCPU whose ring held the record
    event: int
    domid: int
    vcpuid: int
    data0: int
    data1: int


@dataclasses.dataclass
class Header:
    version: int
    nr_cpus: int
    tsc_khz: int
    class_mask: int
    start_tsc: int
    ring_records: int
    flags: int
    sched: str

    @property
    def deterministic(self) -> bool:
        return bool(self.flags & FLAG_DETERMINISTIC)


@dataclasses.dataclass
class Trace:
    path: str
    header: Header
    per_cpu: list[list[Record]]             # each pCPU's records in stream order
    chunks: int                             # chunks before the end chunk
    size: int                               # bytes

    @property
    def nr_records(self) -> int:
        return sum(len(r) for r in self.per_cpu)

    def merged(self) -> list[Record]:
        """All records in TSC order; ties by pCPU, then by position in the stream."""
        keyed = [(r.tsc, r.cpu, i, r) for recs in self.per_cpu for i, r in enumerate(recs)]
        keyed.sort(key=lambda k: k[:3])
        return [k[3] for k in keyed]

    def ticks_to_ns(self, ticks: float) -> float:
        return ticks * 1e6 / self.header.tsc_khz


def _fail(name: str, off: int, why: str) -> TraceError:
    return TraceError(f"{name}: offset {off}: {why}")


# ---- what a valid stream can hold (docs/trace-format.md, "Decoding and its errors") ----
# Every header or record field that later code uses as a size, a count, an index or a
# time is checked against these, so a corrupt stream stops here with an offset
# instead of steering the analysis into a huge loop or allocation.
MAX_CPUS = 64                       # dom0's collector and struct trace_info: 64 pCPUs
TSC_KHZ_MIN = 1_000                 # 1 MHz ..
TSC_KHZ_MAX = 100_000_000           # .. 100 GHz: beyond either end it is not a TSC rate
RING_MIN, RING_MAX = 64, 1 << 22    # core/trace.c's floor; dom0 maps at most 128 MiB
MAX_SPAN_MS = 24 * 3600 * 1000      # a record more than a day of TSC time away from
                                    # start_tsc is a corrupt timestamp (runs last minutes)
DOMID_FIRST_RESERVED = 0x7FF0       # hvlab.h DOMID_SELF: ids from here on are not domains
MAX_VIRT_CPUS = 32                  # hvlab.h: a domain's vCPU ids are below this
# event -> indexes of its data words that hold a pCPU number
PCPU_FIELDS = {EV["sched_runstate"]: (1,), EV["sched_wake"]: (0,),
               EV["sched_migrate"]: (0, 1), EV["timer_set"]: (1,)}


def parse_header(data: bytes, name: str) -> Header:
    if len(data) < HEADER.size:
        raise _fail(name, 0, f"file is {len(data)} bytes, shorter than the "
                    f"{HEADER.size}-byte stream header (empty or not a trace?)")
    (magic, version, hsize, rsize, nr_cpus, khz, mask, start, ring, flags,
     sched) = HEADER.unpack_from(data, 0)
    if magic != STREAM_MAGIC:
        raise _fail(name, 0, f"magic is {magic!r}, expected {STREAM_MAGIC!r} "
                    "(not an hvlab trace stream)")
    if version != FORMAT_VERSION:
        raise _fail(name, 8, f"format version {version}, this decoder reads version "
                    f"{FORMAT_VERSION}")
    if hsize != HEADER.size:
        raise _fail(name, 12, f"header_size {hsize}, expected {HEADER.size}")
    if rsize != RECORD.size:
        raise _fail(name, 16, f"record_size {rsize}, expected {RECORD.size}")
    if not 1 <= nr_cpus <= MAX_CPUS:
        raise _fail(name, 20, f"nr_cpus {nr_cpus}, expected 1..{MAX_CPUS}")
    if khz == 0:
        raise _fail(name, 24, "tsc_khz is 0: timestamps cannot be converted to time")
    if not TSC_KHZ_MIN <= khz <= TSC_KHZ_MAX:
        raise _fail(name, 24, f"tsc_khz {khz} is outside {TSC_KHZ_MIN:,}..{TSC_KHZ_MAX:,} "
                    "(1 MHz to 100 GHz): not a TSC rate (corrupt header?)")
    all_classes = (1 << NR_CLASSES) - 1
    if mask & ~all_classes or not mask & 1 << CLASSES["meta"]:
        raise _fail(name, 32, f"class_mask {mask:#x}: expected the meta bit (1) and only "
                    f"bits of the {NR_CLASSES} known classes ({all_classes:#x})")
    if ring & (ring - 1) or not RING_MIN <= ring <= RING_MAX:
        raise _fail(name, 48, f"ring_records {ring}: expected a power of two in "
                    f"{RING_MIN}..{RING_MAX}")
    if flags & ~FLAGS_KNOWN:
        raise _fail(name, 52, f"flags {flags:#x} has unknown bits {flags & ~FLAGS_KNOWN:#x} "
                    f"(known: {FLAGS_KNOWN:#x}, deterministic)")
    sched_name, _, pad = sched.partition(b"\0")
    if not all(0x20 < c < 0x7F for c in sched_name):
        raise _fail(name, 56, f"scheduler name {sched_name!r} is not ASCII (printable, no spaces)")
    if pad.strip(b"\0"):
        raise _fail(name, 56, f"scheduler name field {sched!r} is not NUL-padded")
    return Header(version, nr_cpus, khz, mask, start, ring, flags, sched_name.decode())


def _check_chunk(name: str, off: int, hdr: Header, cpu: int, flags: int, nr: int,
                 res: int) -> None:
    if cpu >= hdr.nr_cpus:
        raise _fail(name, off, f"chunk for cpu {cpu}, but the header says nr_cpus "
                    f"{hdr.nr_cpus}")
    if flags:
        raise _fail(name, off + 6, f"chunk flags {flags:#x}, expected 0")
    if res:
        raise _fail(name, off + 12, f"chunk reserved field {res:#x}, expected 0")
    if not 1 <= nr <= hdr.ring_records:
        raise _fail(name, off + 8, f"chunk claims {nr} records: a chunk carries 1 to "
                    f"ring_records ({hdr.ring_records}) records of one ring")


class _Checker:
    """Checks each record's fields as it is decoded; last[cpu] is the (tsc, offset)
    of that pCPU's previous record."""

    def __init__(self, name: str, hdr: Header):
        self.name, self.hdr = name, hdr
        span = hdr.tsc_khz * MAX_SPAN_MS
        self.lo, self.hi = max(0, hdr.start_tsc - span), hdr.start_tsc + span
        self.last: list[tuple[int, int] | None] = [None] * hdr.nr_cpus

    def record(self, off: int, cpu: int, tsc: int, ev: int, dom: int, vcpu: int,
               d0: int, d1: int) -> None:
        name, hdr = self.name, self.hdr
        if not self.lo <= tsc <= self.hi:
            raise _fail(name, off, f"record tsc {tsc} is more than a day of TSC time "
                        f"({MAX_SPAN_MS:,} ms at tsc_khz {hdr.tsc_khz:,}) from start_tsc "
                        f"{hdr.start_tsc} (corrupt timestamp?)")
        prev = self.last[cpu]
        if prev is not None and tsc < prev[0]:
            raise _fail(name, off, f"record tsc {tsc} of pCPU {cpu} is before its previous "
                        f"record's ({prev[0]} at offset {prev[1]}): a pCPU's timestamps "
                        "never go backwards (corrupt timestamp?)")
        self.last[cpu] = (tsc, off)
        if dom in (DOM_NONE, DOM_IDLE):
            if vcpu >= hdr.nr_cpus:
                raise _fail(name, off + 14, f"vcpuid {vcpu} of domid {dom:#x} names a pCPU, "
                            f"but nr_cpus is {hdr.nr_cpus}")
        elif dom >= DOMID_FIRST_RESERVED:
            raise _fail(name, off + 12, f"domid {dom:#x} is a reserved id, not a domain "
                        f"(expected < {DOMID_FIRST_RESERVED:#x}, {DOM_NONE:#x} or "
                        f"{DOM_IDLE:#x})")
        elif vcpu >= MAX_VIRT_CPUS:
            raise _fail(name, off + 14, f"vcpuid {vcpu} of d{dom}: a domain has at most "
                        f"{MAX_VIRT_CPUS} vCPUs")
        for i in PCPU_FIELDS.get(ev, ()):
            if (d0, d1)[i] >= hdr.nr_cpus:
                raise _fail(name, off + 16 + 8 * i, f"{event_name(ev)} record's data[{i}] "
                            f"is pCPU {(d0, d1)[i]}, but nr_cpus is {hdr.nr_cpus}")
        if ev == LOST:
            if d0 == 0:
                raise _fail(name, off + 16, "lost record counts 0 dropped records")
            low = prev[0] if prev else self.lo
            if not low <= d1 <= tsc:
                raise _fail(name, off + 24, f"lost record's first drop at tsc {d1} is not "
                            f"between the previous record ({low}) and this one ({tsc})")


def decode(data: bytes, name: str = "<stream>") -> Trace:
    """Decodes and checks a whole stream held in memory."""
    hdr = parse_header(data, name)
    per_cpu: list[list[Record]] = [[] for _ in range(hdr.nr_cpus)]
    checker = _Checker(name, hdr)
    off, chunks = HEADER.size, 0
    while True:
        left = len(data) - off
        if left == 0:
            raise _fail(name, off, f"stream ends after {chunks} chunks without an end "
                        "chunk (cut short: the collector stopped or the region filled?)")
        if left < CHUNK.size:
            raise _fail(name, off, f"chunk header needs {CHUNK.size} bytes but only "
                        f"{left} remain (truncated stream?)")
        magic, cpu, flags, nr, res = CHUNK.unpack_from(data, off)
        if magic != CHUNK_MAGIC:
            raise _fail(name, off, f"chunk magic {magic:#010x}, expected {CHUNK_MAGIC:#010x}"
                        " (\"CHNK\"): corrupt stream or lost sync")
        if cpu == CHUNK_END:
            if nr:
                raise _fail(name, off, f"end chunk claims {nr} records, expected 0")
            if left > CHUNK.size:
                raise _fail(name, off + CHUNK.size, f"{left - CHUNK.size} bytes after the "
                            "end chunk")
            break
        body = left - CHUNK.size
        if nr * RECORD.size > body:
            raise _fail(name, off, f"chunk header claims {nr} records but only {body} "
                        "bytes remain (truncated stream?)")
        _check_chunk(name, off, hdr, cpu, flags, nr, res)
        start = off + CHUNK.size
        recs = per_cpu[cpu]
        for i, (tsc, ev, dom, vcpu, d0, d1) in enumerate(RECORD.iter_unpack(
                data[start:start + nr * RECORD.size])):
            checker.record(start + i * RECORD.size, cpu, tsc, ev, dom, vcpu, d0, d1)
            recs.append(Record(tsc, cpu, ev, dom, vcpu, d0, d1))
        off = start + nr * RECORD.size
        chunks += 1
    return Trace(name, hdr, per_cpu, chunks, len(data))


def read_stream(path: str) -> Trace:
    try:
        with open(path, "rb") as f:
            # A device or a pipe (/dev/zero) could be read forever.
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise TraceError(f"{path}: not a regular file")
            data = f.read()
    except OSError as e:
        raise TraceError(f"{path}: {e.strerror}") from None
    return decode(data, path)


# ---- encoding (tests, docs and synthetic traces) ----

def encode_header(nr_cpus: int, tsc_khz: int = 1_000_000, class_mask: int = 0x1FF,
                  start_tsc: int = 0, ring_records: int = 4096, flags: int = 1,
                  sched: str = "rr", version: int = FORMAT_VERSION,
                  magic: bytes = STREAM_MAGIC) -> bytes:
    return HEADER.pack(magic, version, HEADER.size, RECORD.size, nr_cpus, tsc_khz,
                       class_mask, start_tsc, ring_records, flags, sched.encode())


def encode_chunk(cpu: int, records: list[tuple], magic: int = CHUNK_MAGIC) -> bytes:
    """records: (tsc, event, domid, vcpuid, data0, data1) tuples."""
    out = [CHUNK.pack(magic, cpu, 0, len(records), 0)]
    out += [RECORD.pack(*r) for r in records]
    return b"".join(out)


def encode_end() -> bytes:
    return CHUNK.pack(CHUNK_MAGIC, CHUNK_END, 0, 0, 0)


# ---- the shared-memory region the hypervisor writes the stream into ----
SHM_MAGIC = b"HVSHM001"
SHM_STREAM_OFFSET = 4096


def extract_shm(shm_path: str, out_path: str) -> int:
    """Copies the stream out of an ivshmem region file (bytes 0..7 "HVSHM001", 8..15
    bytes_written, the stream from 4096) into out_path; returns its length."""
    name = shm_path
    try:
        with open(shm_path, "rb") as f:
            head = f.read(16)
            size = os.fstat(f.fileno()).st_size
            if len(head) < 16:
                raise _fail(name, 0, f"region is {size} bytes, too small for its header")
            if head[:8] != SHM_MAGIC:
                why = ("all zero: the hypervisor never wrote the trace region (tracing "
                       "not enabled, or it did not find the ivshmem device?)"
                       if head[:8] == bytes(8) else f"{head[:8]!r}, expected {SHM_MAGIC!r}")
                raise _fail(name, 0, f"region magic is {why}")
            (length,) = struct.unpack_from("<Q", head, 8)
            room = size - SHM_STREAM_OFFSET
            if length == 0:
                raise _fail(name, 8, "bytes_written is 0: the hypervisor set up the region "
                            "but nothing was streamed (no `trace start`, or dom0's collector "
                            "did not run?)")
            if length > room:
                raise _fail(name, 8, f"bytes_written {length} exceeds the {room} bytes "
                            "the region holds after offset 4096")
            f.seek(SHM_STREAM_OFFSET)
            stream = f.read(length)
    except OSError as e:
        raise TraceError(f"{shm_path}: {e.strerror}") from None
    with open(out_path, "wb") as f:
        f.write(stream)
    return length
