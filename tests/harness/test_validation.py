"""The decoder refuses every header, chunk or record field that later code would use
as a size, a count, an index or a time when its value cannot occur (issue 8: one
corrupt timestamp made `hvlab trace` allocate without bound; absurd tsc_khz values
and unknown flags were accepted silently). Each case is a stream that is valid but
for one field, and names the byte offset the error must give."""
from __future__ import annotations

import synth as S
from check import eq
from test_decoder import decode_err

from hvlab import trace as T

H = 72                      # the stream header
R0 = H + 16                 # the first record of the first chunk
KHZ = S.TSC_KHZ
DAY = KHZ * 86_400_000    # ticks in a day at KHZ: the longest span a trace may have


def rec(tsc=1000, ev=S.SWITCH, dom=1, vcpu=0, d0=0, d1=0):
    return (tsc, ev, dom, vcpu, d0, d1)


def one_chunk(recs, cpu=0, nr_cpus=2, **hdr) -> bytes:
    return S.header(nr_cpus, **hdr) + S.chunk(cpu, recs) + S.end()


# (name, stream, the offset the error names, a phrase of the message)
CASES_TABLE = [
    # header
    ("tsc_khz_1", S.header(2, tsc_khz=1) + S.end(), 24, "tsc_khz 1 is outside"),
    ("tsc_khz_huge", S.header(2, tsc_khz=1 << 63) + S.end(), 24, "not a TSC rate"),
    ("unknown_flag", S.header(2, flags=0x3) + S.end(), 52, "unknown bits 0x2"),
    ("class_mask_unknown_bit", S.header(2, mask=0x1FF | 1 << 12) + S.end(), 32,
     "class_mask 0x11ff"),
    ("class_mask_without_meta", S.header(2, mask=0x2) + S.end(), 32, "meta bit"),
    ("ring_not_power_of_two", S.header(2, ring_records=100) + S.end(), 48,
     "ring_records 100"),
    ("ring_huge", S.header(2, ring_records=1 << 30) + S.end(), 48, "power of two in"),
    ("sched_padding", S.header(2, sched=b"rr\0junk") + S.end(), 56, "not NUL-padded"),
    ("too_many_cpus", S.header(65) + S.end(), 20, "nr_cpus 65"),
    # chunks
    ("chunk_flags", S.header(2) + S.chunk(0, [rec()], flags=4) + S.end(), H + 6,
     "chunk flags 0x4"),
    ("chunk_reserved", S.header(2) + S.chunk(0, [rec()], reserved=9) + S.end(), H + 12,
     "reserved field 0x9"),
    ("chunk_empty", S.header(2) + S.chunk(0, []) + S.end(), H + 8, "claims 0 records"),
    ("chunk_beyond_ring", S.header(2, ring_records=64) + S.chunk(0, [rec()] * 65) + S.end(),
     H + 8, "claims 65 records"),
    # timestamps
    ("tsc_far_future", one_chunk([rec(1000), rec(1 << 62)]), R0 + 32, "more than a day"),
    ("tsc_just_over_a_day", one_chunk([rec(DAY + 1)]), R0, "from start_tsc 0"),
    ("tsc_far_before_start", one_chunk([rec(5)], start_tsc=DAY + 10), R0, "more than a day"),
    ("tsc_backwards", one_chunk([rec(5000), rec(4999)]), R0 + 32,
     "before its previous record's (5000 at offset 88)"),
    ("tsc_backwards_across_chunks",
     S.header(2) + S.chunk(0, [rec(5000)]) + S.chunk(1, [rec(10)]) + S.chunk(0, [rec(4000)])
     + S.end(), H + 3 * 16 + 2 * 32, "pCPU 0 is before"),
    # ids used as indexes
    ("domid_reserved", one_chunk([rec(dom=0x7FF2)]), R0 + 12, "domid 0x7ff2 is a reserved"),
    ("vcpuid_too_big", one_chunk([rec(vcpu=32)]), R0 + 14, "vcpuid 32 of d1"),
    ("idle_vcpuid_not_a_pcpu", one_chunk([rec(dom=S.DOM_IDLE, vcpu=2)]), R0 + 14,
     "names a pCPU, but nr_cpus is 2"),
    ("runstate_pcpu", one_chunk([rec(ev=S.RUNSTATE, d0=S.rs(1, 0), d1=7)]), R0 + 24,
     "sched_runstate record's data[1] is pCPU 7"),
    ("wake_pcpu", one_chunk([rec(ev=S.WAKE, d0=2)]), R0 + 16, "data[0] is pCPU 2"),
    ("migrate_pcpu", one_chunk([rec(ev=S.MIGRATE, d0=0, d1=1 << 40)]), R0 + 24,
     "sched_migrate record's data[1]"),
    # lost records
    ("lost_zero", one_chunk([rec(ev=S.LOST, dom=S.DOM_NONE, d0=0, d1=1000)]), R0 + 16,
     "counts 0 dropped"),
    ("lost_first_drop_later", one_chunk([rec(tsc=900, ev=S.LOST, dom=S.DOM_NONE, d0=3,
                                             d1=950)]), R0 + 24, "first drop at tsc 950"),
    ("lost_first_drop_before_previous",
     one_chunk([rec(800), rec(tsc=900, ev=S.LOST, dom=S.DOM_NONE, d0=3, d1=700)]),
     R0 + 32 + 24, "previous record (800)"),
]


def make_case(label, data, off, phrase):
    def case():
        decode_err(data, label, f"offset {off}:", phrase)
    case.__name__ = label
    return case


def test_valid_edges_accepted():
    """What the checks must not refuse: timestamps equal across records, backwards
    across pCPUs, records a little before start_tsc (tracing on from boot), a day
    away exactly, the largest ring, pCPU-numbered ids."""
    data = (S.header(2, start_tsc=DAY, ring_records=1 << 22, flags=1, mask=0x1)
            + S.chunk(0, [rec(DAY - 5), rec(DAY - 5), rec(2 * DAY)])
            + S.chunk(1, [rec(10 + DAY // 2, ev=S.RUNSTATE, dom=S.DOM_IDLE, vcpu=1,
                              d0=S.rs(0, 1), d1=1),
                          rec(20 + DAY // 2, ev=S.LOST, dom=S.DOM_NONE, vcpu=1, d0=1,
                              d1=15 + DAY // 2)])
            + S.end())
    tr = T.decode(data, "t.bin")
    eq(tr.nr_records, 5, "records of the edge-case stream")
    eq([r.tsc for r in tr.per_cpu[0]], [DAY - 5, DAY - 5, 2 * DAY], "pCPU 0 timestamps")


CASES = [make_case(*c) for c in CASES_TABLE]
