#!/usr/bin/env python3
"""Seeded mutation test of the trace decoder and everything downstream of it.

Each case takes a valid stream (a synthetic one from synth.py, or a real
trace.bin), applies 1-3 mutations chosen by its seed (bit flips, byte overwrites,
truncations, inserted or deleted bytes, a record timestamp set to something wrong,
a header/chunk/record field set to an odd value, a record changed into another
valid but meaningless one), then runs what `hvlab trace` and
`hvlab report` do with a trace: decode, analyse (with real-time periods), the text
summary, the JSON summary, the CSV tables and the Perfetto timeline. The case
passes if that finishes, or stops with a TraceError naming the file and a byte
offset, within the time budget.

The cases run in a worker process under a memory rlimit (an unbounded allocation
fails the case instead of the machine) that reports each case's result and time
(time.monotonic); a case that has not reported within its budget plus a grace
period is a hang: the worker is killed and a new one continues with the next seed.

  python3 tests/harness/fuzz_trace.py [--cases N] [--first SEED] [--real]
  python3 tests/harness/fuzz_trace.py --replay SEED [--real]   one case, in-process

--real adds results/sched-compare/runs/*/trace.bin as sources (seed i uses source
i mod the number of sources). Exit status 1 if any case failed; every failure
names its seed and the replay command.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import resource
import select
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import synth as S  # noqa: E402
from check import REPO  # noqa: E402

REAL_GLOB = os.path.join(REPO, "results", "sched-compare", "runs", "*", "trace.bin")
REAL_EXPERIMENT = os.path.join(REPO, "results", "sched-compare", "experiment.toml")
SYNTH_RT = {5: (10_000_000, 3_000_000)}     # synth.FAKE_EXPERIMENT's "rt" domain
ERR = re.compile(r"^\S+: offset \d+: \S")
U64 = (1 << 64) - 1


# ---- the inputs ----

def synth_stream() -> bytes:
    per_cpu, _ = S.simulate(hogs=(1, 2, 3, 5), sleeper=4, duration_ms=30, slice_us=2000)
    return S.stream(per_cpu, 2, chunk_records=16, sched=b"credit")


def sources(real: bool) -> list[tuple[str, bytes, dict]]:
    """(name, stream, rt_params) of every source trace."""
    out = [("synth.bin", synth_stream(), SYNTH_RT)]
    if real:
        sys.path.insert(0, os.path.join(REPO, "experiments"))
        from hvlab import experiment
        rt = experiment.load(REAL_EXPERIMENT).rt_params() \
            if os.path.exists(REAL_EXPERIMENT) else {}
        for p in sorted(glob.glob(REAL_GLOB)):
            with open(p, "rb") as f:
                out.append((os.path.relpath(p, REPO), f.read(), rt))
    return out


def layout(data: bytes) -> tuple[list[int], list[int]]:
    """(chunk header offsets, record offsets) of a valid stream."""
    chunks, recs, off = [], [], 72
    while off + 16 <= len(data):
        _magic, cpu, _f, nr, _r = struct.unpack_from(S.CHUNK_FMT, data, off)
        chunks.append(off)
        if cpu == 0xFFFF:
            break
        recs += [off + 16 + 32 * i for i in range(nr)]
        off += 16 + 32 * nr
    return chunks, recs


# ---- mutations: each takes (rng, bytearray, layout) and returns what it did ----

def _odd(rng: random.Random, width: int) -> int:
    """A value likely to upset a decoder: 0, 1, all ones, a power of two, random."""
    top = (1 << (8 * width)) - 1
    return rng.choice([0, 1, top, top >> 1, 1 << rng.randrange(8 * width),
                       rng.randrange(top + 1), rng.randrange(256)])


def m_bitflip(rng, b, lay):
    bits = [rng.randrange(len(b) * 8) for _ in range(rng.randint(1, 8))]
    for bit in bits:
        b[bit // 8] ^= 1 << (bit % 8)
    return f"flip bits {bits}"


def m_overwrite(rng, b, lay):
    done = []
    for _ in range(rng.randint(1, 4)):
        off = rng.randrange(len(b))
        n = min(rng.randint(1, 8), len(b) - off)
        b[off:off + n] = bytes(rng.randrange(256) for _ in range(n))
        done.append((off, n))
    return f"overwrite (offset, bytes) {done}"


def m_truncate(rng, b, lay):
    n = rng.randrange(len(b))
    del b[n:]
    return f"truncate to {n} bytes"


def m_splice(rng, b, lay):
    off = rng.randrange(len(b))
    n = rng.choice([1, 4, 16, 32, rng.randint(1, 96)])
    if rng.random() < 0.5:
        del b[off:off + n]
        return f"delete {n} bytes at {off}"
    b[off:off] = bytes(rng.randrange(256) for _ in range(n))
    return f"insert {n} bytes at {off}"


def m_tsc(rng, b, lay):
    """One record's timestamp set to something wrong: the defect of issue 8."""
    recs = lay[1]
    if not recs:
        return m_overwrite(rng, b, lay)
    off = rng.choice(recs)
    if off + 8 > len(b):
        return "tsc: record gone"
    (tsc,) = struct.unpack_from("<Q", b, off)
    new = rng.choice([rng.randrange(U64 + 1), U64, 0, tsc ^ (1 << rng.randrange(64)),
                      (tsc + (1 << rng.randrange(20, 64))) & U64,
                      max(0, tsc - rng.randrange(1, 1 << 24)), tsc * 1000 & U64])
    struct.pack_into("<Q", b, off, new)
    return f"record at {off}: tsc {tsc} -> {new}"


HEADER_FIELDS = [(8, 4), (12, 4), (16, 4), (20, 4), (24, 8), (32, 8), (40, 8), (48, 4),
                 (52, 4), (56, 16)]
CHUNK_FIELDS = [(0, 4), (4, 2), (6, 2), (8, 4), (12, 4)]
RECORD_FIELDS = [(8, 4), (12, 2), (14, 2), (16, 8), (24, 8)]


def m_field(rng, b, lay):
    chunks, recs = lay
    where = rng.choice(["header"] + ["chunk"] * bool(chunks) + ["record"] * bool(recs))
    base, fields = {"header": (0, HEADER_FIELDS),
                    "chunk": (rng.choice(chunks) if chunks else 0, CHUNK_FIELDS),
                    "record": (rng.choice(recs) if recs else 0, RECORD_FIELDS)}[where]
    rel, width = rng.choice(fields)
    off = base + rel
    if off + width > len(b):
        return f"{where} field at {off}: gone"
    v = _odd(rng, min(width, 8))
    b[off:off + min(width, 8)] = v.to_bytes(min(width, 8), "little")
    return f"{where} field at {off} ({width} bytes) = {v:#x}"


def m_semantic(rng, b, lay):
    """A change the decoder must accept, so that the analysis meets nonsense: a record
    becomes another known event, of another vCPU, with small payloads (pCPU 0 or 1,
    runstate codes), or moves in time without breaking its pCPU's order."""
    recs = lay[1]
    if not recs:
        return m_overwrite(rng, b, lay)
    off = rng.choice(recs)
    if off + 32 > len(b):
        return "semantic: record gone"
    tsc, ev, dom, vcpu, d0, d1 = struct.unpack_from(S.REC_FMT, b, off)
    what = rng.choice(["event", "vcpu", "payload", "time"])
    if what == "event":
        ev = rng.choice([S.LOST, S.MARKER, S.RUNSTATE, S.WAKE, S.SWITCH, S.MIGRATE,
                         S.HCALL_ENTRY, S.HCALL_EXIT, S.RTDS_MISS, S.CREDIT_BOOST,
                         S.ev(5, 0, 2), S.ev(8, 16, 1), S.ev(9, 0, 1)])
        d0 = max(d0, 1) if ev == S.LOST else d0
        d1 = min(d1, tsc) if ev == S.LOST else d1
    elif what == "vcpu":
        dom, vcpu = rng.choice([(0, 0), (1, 0), (1, 1), (5, 0), (S.DOM_IDLE, 0),
                                (S.DOM_NONE, 1), (rng.randrange(0x7FF0), rng.randrange(32))])
    elif what == "payload":
        d0, d1 = (rng.choice([0, 1, S.rs(rng.randrange(5), rng.randrange(5)), 1 << 16]),
                  rng.randrange(2))
    else:
        tsc = min(U64, max(0, tsc + rng.randint(-3000, 3000)))
    struct.pack_into(S.REC_FMT, b, off, tsc, ev, dom, vcpu, d0, d1)
    return f"record at {off}: {what} -> {(tsc, hex(ev), dom, vcpu, d0, d1)}"


MUTATIONS = [m_bitflip, m_overwrite, m_truncate, m_splice, m_tsc, m_tsc, m_field, m_field,
             m_semantic, m_semantic]


def mutate(data: bytes, seed: int) -> tuple[bytes, list[str]]:
    rng = random.Random(seed)
    b, lay, what = bytearray(data), layout(data), []
    for _ in range(rng.choice([1, 1, 2, 3])):
        if not b:
            break
        what.append(rng.choice(MUTATIONS)(rng, b, lay))
    return bytes(b), what


# ---- one case ----

def pipeline(data: bytes, name: str, rt: dict, out_dir: str) -> int:
    """What `hvlab trace --summary --json --perfetto` and `hvlab report` do with one
    trace; returns the number of records."""
    sys.path.insert(0, os.path.join(REPO, "experiments"))
    from hvlab import analyze, cli, perfetto, results, stats
    from hvlab import trace as T
    tr = T.decode(data, name)
    an = analyze.analyze(tr, 10.0, rt)
    cli.text_summary(an.summary)
    stats.dumps(an.summary)
    json.dumps(perfetto.build(an, dict(an.summary["trace"], window_ms=10.0)))
    results.write_tables(out_dir, an, {})
    return tr.nr_records


def run_case(src, seed: int, out_dir: str) -> dict:
    """Runs one case in this process; returns its outcome (never raises)."""
    sys.path.insert(0, os.path.join(REPO, "experiments"))
    from hvlab import trace as T
    name, data, rt = src
    bad, what = mutate(data, seed)
    t0 = time.monotonic()
    try:
        n = pipeline(bad, name, rt, out_dir)
        res = {"outcome": "decoded", "detail": f"{n} records"}
    except T.TraceError as e:
        ok = ERR.match(str(e)) and str(e).startswith(name)
        res = {"outcome": "error" if ok else "bad-message", "detail": str(e)}
    except MemoryError:
        res = {"outcome": "memory", "detail": "MemoryError under the rlimit"}
    except Exception as e:  # noqa: BLE001 - anything else is the defect being hunted
        res = {"outcome": "crash", "detail": f"{type(e).__name__}: {e}"}
    res.update(seed=seed, source=name, mutations=what,
               seconds=round(time.monotonic() - t0, 3))
    return res


def worker(first: int, last: int, real: bool) -> None:
    """Runs seeds [first, last), one JSON line per case, "start" before each."""
    srcs = sources(real)
    out_dir = tempfile.mkdtemp(prefix="fuzz-trace-")
    for seed in range(first, last):
        print(json.dumps({"start": seed}), flush=True)
        print(json.dumps(run_case(srcs[seed % len(srcs)], seed, out_dir)), flush=True)


# ---- the driver ----

def _limit(mem_mib: int):
    def apply():
        lim = mem_mib << 20
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    return apply


def run(cases: int, first: int = 0, real: bool = False, budget_s: float = 5.0,
        mem_mib: int = 1024, grace_s: float = 10.0, log=print) -> dict:
    """Runs seeds [first, first + cases); returns counts and the failed cases."""
    counts = {"decoded": 0, "error": 0}
    failures, seconds, srcs = [], [], None
    seed, last = first, first + cases
    start = time.monotonic()
    while seed < last:
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(seed), str(last)]
        if real:
            cmd.append("--real")
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=_limit(mem_mib))
        current, deadline = None, time.monotonic() + 60      # startup: imports, sources
        while True:
            ready, _, _ = select.select([p.stdout], [], [], max(0.0, deadline - time.monotonic()))
            line = p.stdout.readline() if ready else None
            if not line:            # timed out, or the worker died
                p.kill()
                p.wait()
                if current is None:
                    raise RuntimeError(f"fuzz worker failed to start: {p.stderr.read()[-2000:]}")
                why = "hang" if line is None else "died"
                detail = (f"no result within {budget_s + grace_s:.0f} s" if why == "hang"
                          else f"worker exit status {p.returncode}: "
                               f"{p.stderr.read().strip()[-300:]}")
                srcs = srcs or sources(real)        # the worker cannot say what it did
                src = srcs[current % len(srcs)]
                failures.append({"seed": current, "outcome": why, "detail": detail,
                                 "source": src[0], "mutations": mutate(src[1], current)[1]})
                counts[why] = counts.get(why, 0) + 1
                seed = current + 1
                break
            msg = json.loads(line)
            if "start" in msg:
                current = msg["start"]
                deadline = time.monotonic() + budget_s + grace_s
                continue
            out = msg["outcome"]
            if out in ("decoded", "error") and msg["seconds"] > budget_s:
                out = msg["outcome"] = "slow"
                msg["detail"] = f"{msg['seconds']} s > budget {budget_s} s ({msg['detail']})"
            counts[out] = counts.get(out, 0) + 1
            seconds.append(msg["seconds"])
            if out not in ("decoded", "error"):
                failures.append(msg)
            seed = current + 1
            if seed >= last:
                p.wait()
                break
    wall = time.monotonic() - start
    for f in failures:
        log(f"FAIL seed {f['seed']}: {f['outcome']}: {f['detail'][:300]}\n"
            f"     {f['source']}, mutations {f['mutations']}; replay: python3 "
            f"tests/harness/fuzz_trace.py --replay {f['seed']}{' --real' * real}")
    log(f"fuzz-trace: {cases} cases (seeds {first}..{last - 1}) in {wall:.1f} s "
        f"({cases / wall:.0f}/s): " + ", ".join(f"{k} {v}" for k, v in counts.items())
        + (f"; slowest case {max(seconds):.2f} s" if seconds else ""))
    return {"counts": counts, "failures": failures, "wall_s": wall}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--first", type=int, default=0, help="first seed")
    ap.add_argument("--real", action="store_true", help="also mutate the sched-compare traces")
    ap.add_argument("--budget", type=float, default=5.0, help="seconds per case")
    ap.add_argument("--mem-mib", type=int, default=1024, help="the worker's address space")
    ap.add_argument("--replay", type=int, metavar="SEED", help="run one case here, verbosely")
    ap.add_argument("--worker", nargs=2, type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker(a.worker[0], a.worker[1], a.real)
        return 0
    if a.replay is not None:
        srcs = sources(a.real)
        src = srcs[a.replay % len(srcs)]
        bad, what = mutate(src[1], a.replay)
        print(f"seed {a.replay}: source {src[0]}, mutations {what}")
        sys.path.insert(0, os.path.join(REPO, "experiments"))
        from hvlab import trace as T
        try:
            print(f"decoded: {pipeline(bad, src[0], src[2], tempfile.mkdtemp())} records")
        except T.TraceError as e:
            print(f"TraceError: {e}")
        return 0
    res = run(a.cases, a.first, a.real, a.budget, a.mem_mib)
    return 1 if res["failures"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
