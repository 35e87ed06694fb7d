"""A small protobuf wire decoder for the tests: enough of perfetto's Trace to check
what perfetto_pb.py wrote, written apart from its encoder (a shared bug cannot hide).

fields(data) -> [(field number, wire type, value)]: varints as int, fixed64 as
8 bytes, length-delimited as bytes; any other wire type or a cut-short field raises.
"""
from __future__ import annotations

import struct


class DecodeError(Exception):
    pass


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = n = 0
    while True:
        if i >= len(data) or shift > 63:
            raise DecodeError(f"varint cut short or too long at byte {i}")
        b = data[i]
        n |= (b & 0x7F) << shift
        i += 1
        shift += 7
        if not b & 0x80:
            return n, i


def fields(data: bytes) -> list[tuple[int, int, object]]:
    out, i = [], 0
    while i < len(data):
        key, i = _varint(data, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(data, i)
        elif wt == 1:
            if i + 8 > len(data):
                raise DecodeError(f"fixed64 cut short at byte {i}")
            v, i = data[i:i + 8], i + 8
        elif wt == 2:
            n, i = _varint(data, i)
            if i + n > len(data):
                raise DecodeError(f"field {num}: {n} bytes announced, {len(data) - i} left")
            v, i = data[i:i + n], i + n
        else:
            raise DecodeError(f"field {num}: wire type {wt} not used by this trace")
        out.append((num, wt, v))
    return out


def message(data: bytes) -> dict[int, list]:
    """field number -> its values in order."""
    m: dict[int, list] = {}
    for num, _, v in fields(data):
        m.setdefault(num, []).append(v)
    return m


def signed(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def u64(b: bytes) -> int:
    return struct.unpack("<Q", b)[0]


def f64(b: bytes) -> float:
    return struct.unpack("<d", b)[0]


def decode_trace(data: bytes) -> tuple[dict, list[dict]]:
    """-> (tracks: uuid -> {name, parent, counter}, events: [{ts, type, track, name,
    cat, args, flows, ends, value}]) for perfetto's Trace / TracePacket / TrackDescriptor
    / TrackEvent (field numbers from perfetto's protos, looked up independently)."""
    tracks, events = {}, []
    for num, _, pkt in fields(data):
        if num != 1:
            raise DecodeError(f"Trace field {num}: expected only packets (1)")
        p = message(pkt)
        if p.get(10) != [1]:
            raise DecodeError(f"packet without trusted_packet_sequence_id 1: {p.get(10)}")
        if 60 in p:
            d = message(p[60][0])
            uuid = d[1][0]
            if uuid in tracks:
                raise DecodeError(f"track {uuid} described twice")
            tracks[uuid] = {"name": d[2][0].decode(), "parent": d.get(5, [None])[0],
                            "counter": 8 in d}
        if 11 in p:
            e = message(p[11][0])
            args = {}
            for a in e.get(4, []):
                am = message(a)
                name = am[10][0].decode()
                args[name] = (signed(am[4][0]) if 4 in am else am[6][0].decode() if 6 in am
                              else f64(am[5][0]))
            events.append({
                "ts": p[8][0], "type": e[9][0], "track": e.get(11, [0])[0],
                "name": e[23][0].decode() if 23 in e else None,
                "cat": e[22][0].decode() if 22 in e else None, "args": args,
                "flows": [u64(x) for x in e.get(47, [])],
                "ends": [u64(x) for x in e.get(48, [])],
                "value": signed(e[30][0]) if 30 in e else f64(e[44][0]) if 44 in e else None})
    return tracks, events
