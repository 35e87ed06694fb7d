"""The trace decoder on synthetic streams: valid ones decode exactly; every malformed
one raises a TraceError naming the file and a byte offset, never another exception."""
from __future__ import annotations

import os
import random
import re
import struct
import tempfile

import synth as S
from check import check, eq, raises

from hvlab import trace as T

NAME = "t.bin"
ERR = re.compile(r"^t\.bin: offset \d+: \S")


def small_stream() -> bytes:
    per_cpu = {
        0: [(100, S.MARKER, S.DOM_NONE, 0, 1, 0), (300, S.RUNSTATE, 1, 0, S.rs(1, 0), 0),
            (300, S.SWITCH, 1, 0, 10, 0), (900, S.MARKER, S.DOM_NONE, 0, 2, 0)],
        1: [(200, S.RUNSTATE, 2, 0, S.rs(2, 1), 1), (300, S.RUNSTATE, 2, 0, S.rs(1, 0), 1),
            (500, S.LOST, S.DOM_NONE, 0, 3, 450)],
    }
    return S.stream(per_cpu, 2, chunk_records=2)


def decode_err(data: bytes, what: str, *contains: str) -> str:
    e = raises(T.TraceError, lambda: T.decode(data, NAME), what, contains)
    check(ERR.match(str(e)) is not None, f"{what}: message {str(e)!r} names file and offset")
    return str(e)


def test_valid_stream():
    tr = T.decode(small_stream(), NAME)
    eq(tr.header.nr_cpus, 2, "nr_cpus")
    eq(tr.header.sched, "rr", "scheduler name")
    eq(tr.header.tsc_khz, S.TSC_KHZ, "tsc_khz")
    check(tr.header.deterministic, "flag 1 means deterministic")
    eq(tr.nr_records, 7, "records")
    eq(tr.chunks, 4, "chunks before the end chunk (2 + 2)")
    eq(tr.per_cpu[1][2], T.Record(500, 1, S.LOST, S.DOM_NONE, 0, 3, 450), "a record's fields")


def test_merge_order():
    """TSC order; ties by pCPU, then by position within the pCPU's stream."""
    got = [(r.tsc, r.cpu, r.event) for r in T.decode(small_stream(), NAME).merged()]
    want = [(100, 0, S.MARKER), (200, 1, S.RUNSTATE), (300, 0, S.RUNSTATE),
            (300, 0, S.SWITCH), (300, 1, S.RUNSTATE), (500, 1, S.LOST), (900, 0, S.MARKER)]
    eq(got, want, "merged order")


def test_truncated_at_every_byte():
    """Cut anywhere (in the header, at a chunk boundary, mid-record, before the end
    chunk): always a TraceError with an offset."""
    data = small_stream()
    for n in range(len(data)):
        decode_err(data[:n], f"stream cut at byte {n} of {len(data)}")


def test_truncation_messages():
    data = small_stream()
    no_end = data[:-16]
    decode_err(no_end, "missing end chunk", "without an end chunk")
    cut = data[:72 + 16 + 32 + 5]                        # inside the first chunk's 2nd record
    decode_err(cut, "mid-record", "offset 72:", "claims 2 records but only 37 bytes remain",
               "truncated")
    decode_err(data[:72 + 8], "mid chunk header", "chunk header needs 16 bytes")
    decode_err(b"", "empty file", "offset 0", "shorter than the 72-byte")


BAD_HEADERS = [
    ("bad magic", dict(magic=b"HVTRACE2"), "offset 0:", "magic"),
    ("bad version", dict(version=2), "offset 8:", "format version 2"),
    ("bad header size", dict(header_size=80), "offset 12:", "header_size 80"),
    ("bad record size", dict(record_size=16), "offset 16:", "record_size 16"),
    ("zero cpus", dict(nr_cpus=0), "offset 20:", "nr_cpus 0"),
    ("zero tsc_khz", dict(tsc_khz=0), "offset 24:", "tsc_khz is 0"),
    ("non-ASCII scheduler", dict(sched=b"\xffx"), "offset 56:", "not ASCII"),
]


def make_header_case(label, kw, *contains):
    def case():
        args = dict(nr_cpus=2)
        args.update(kw)
        decode_err(S.header(**args) + S.end(), label, *contains)
    case.__name__ = "header_" + label.replace(" ", "_").replace("-", "_")
    return case


def test_bad_chunks():
    h = S.header(2)
    rec = [(1, S.SWITCH, 1, 0, 0, 0)]
    decode_err(h + S.chunk(0, rec, magic=0x12345678) + S.end(), "chunk magic",
               "offset 72:", "chunk magic 0x12345678")
    decode_err(h + S.chunk(0, rec) + S.chunk(2, rec) + S.end(), "cpu out of range",
               "offset 120:", "chunk for cpu 2", "nr_cpus 2")
    decode_err(h + S.chunk(0, rec, nr=900) + S.end(), "records beyond the end",
               "offset 72:", "claims 900 records but only 48 bytes remain")
    decode_err(h + S.end() + b"junk", "bytes after the end chunk", "offset 88:",
               "4 bytes after the end chunk")
    end_with_records = struct.pack(S.CHUNK_FMT, S.CHUNK_MAGIC, 0xFFFF, 0, 3, 0)
    decode_err(h + end_with_records, "end chunk with records", "end chunk claims 3")


def test_empty_but_valid():
    tr = T.decode(S.header(1) + S.end(), NAME)
    eq(tr.nr_records, 0, "a stream with no records is valid")


def test_random_corruption_only_trace_errors():
    """Flip bytes at random (seeded): each result decodes or raises TraceError."""
    rng = random.Random(1)
    data = bytearray(small_stream())
    for i in range(400):
        bad = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            bad[rng.randrange(len(bad))] = rng.randrange(256)
        try:
            T.decode(bytes(bad), NAME)
        except T.TraceError as e:
            check(ERR.match(str(e)) is not None, f"corruption {i}: {e}")


def test_read_stream_missing_file():
    raises(T.TraceError, lambda: T.read_stream("/nonexistent/trace.bin"), "missing file",
           ("/nonexistent/trace.bin", "No such file"))


def _shm(content: bytes, size: int = 8192) -> str:
    fd, path = tempfile.mkstemp(suffix=".shm")
    with os.fdopen(fd, "wb") as f:
        f.write(content.ljust(size, b"\0"))
    return path


def test_shm_extraction():
    stream = small_stream()
    region = b"HVSHM001" + struct.pack("<Q", len(stream))
    path = _shm(region.ljust(4096, b"\0") + stream)
    out = path + ".bin"
    try:
        eq(T.extract_shm(path, out), len(stream), "bytes extracted")
        with open(out, "rb") as f:
            eq(f.read(), stream, "extracted stream")
        eq(T.read_stream(out).nr_records, 7, "the extracted stream decodes")
    finally:
        os.remove(path)
        os.remove(out)


def test_shm_errors():
    for label, content, want in [
        ("all zero", b"", "never wrote the trace region"),
        ("bad magic", b"HVSHM999" + bytes(8), "region magic is b'HVSHM999'"),
        ("too long", b"HVSHM001" + struct.pack("<Q", 5000), "bytes_written 5000 exceeds"),
    ]:
        path = _shm(content)
        try:
            e = raises(T.TraceError, lambda: T.extract_shm(path, path + ".bin"), label,
                       (want, "offset"))
            check(str(e).startswith(path), f"{label}: names the file")
        finally:
            os.remove(path)
    path = _shm(b"HVS", size=3)
    try:
        raises(T.TraceError, lambda: T.extract_shm(path, path + ".bin"), "tiny region",
               ("too small",))
    finally:
        os.remove(path)


CASES = [make_header_case(*c) for c in BAD_HEADERS]
