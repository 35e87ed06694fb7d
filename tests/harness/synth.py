"""Synthetic trace streams for the harness tests, packed here with struct (not with
trace.py's encoder, so a decoder bug cannot hide behind a matching encoder bug).

simulate() plays a tiny scheduler (a global FIFO of CPU-bound vCPUs with a fixed
slice, plus a sleeper that wakes every period and either preempts at once or
queues) and records what it did as the hypervisor would: runstate transitions,
switches and wakes, with trace start/stop markers.
"""
from __future__ import annotations

import struct
from collections import deque

TSC_KHZ = 1_000_000            # 1 tick = 1 ns
HDR_FMT = "<8sIIIIQQQII16s"    # trace_stream_header, 72 bytes
CHUNK_FMT = "<IHHII"           # trace_chunk_header, 16 bytes
REC_FMT = "<QIHHQQ"            # trace_record, 32 bytes
CHUNK_MAGIC = 0x4B4E4843
DOM_NONE, DOM_IDLE = 0x7FF0, 0x7FF7
RUNNING, RUNNABLE, BLOCKED, OFFLINE = range(4)


def ev(cls: int, sub: int, code: int) -> int:
    return cls << 24 | sub << 16 | code


LOST, MARKER = ev(0, 0, 1), ev(0, 0, 2)
RUNSTATE, WAKE, SWITCH, MIGRATE = ev(1, 0, 1), ev(1, 0, 2), ev(1, 0, 6), ev(1, 0, 7)
HCALL_ENTRY, HCALL_EXIT = ev(2, 0, 1), ev(2, 0, 2)
RTDS_MISS, RTDS_MISSES = ev(8, 8, 2), ev(8, 8, 4)
CREDIT_BOOST = ev(8, 5, 2)


def header(nr_cpus: int, sched: bytes = b"rr", magic: bytes = b"HVTRACE1", version: int = 1,
           header_size: int = 72, record_size: int = 32, tsc_khz: int = TSC_KHZ,
           flags: int = 1, mask: int = 0x1FF, start_tsc: int = 0,
           ring_records: int = 4096) -> bytes:
    return struct.pack(HDR_FMT, magic, version, header_size, record_size, nr_cpus, tsc_khz,
                       mask, start_tsc, ring_records, flags, sched)


def chunk(cpu: int, recs, magic: int = CHUNK_MAGIC, nr: int | None = None, flags: int = 0,
          reserved: int = 0) -> bytes:
    body = b"".join(struct.pack(REC_FMT, *r) for r in recs)
    return struct.pack(CHUNK_FMT, magic, cpu, flags, len(recs) if nr is None else nr,
                       reserved) + body


def end() -> bytes:
    return struct.pack(CHUNK_FMT, CHUNK_MAGIC, 0xFFFF, 0, 0, 0)


def stream(per_cpu: dict[int, list], nr_cpus: int, chunk_records: int = 7,
           sched: bytes = b"rr") -> bytes:
    """per_cpu: cpu -> [(tsc, event, dom, vcpu, d0, d1)]; chunks of chunk_records
    records, the pCPUs' chunks interleaved round-robin, then the end chunk."""
    parts = [header(nr_cpus, sched)]
    pos = {c: 0 for c in per_cpu}
    while any(pos[c] < len(per_cpu[c]) for c in per_cpu):
        for c in sorted(per_cpu):
            if pos[c] < len(per_cpu[c]):
                parts.append(chunk(c, per_cpu[c][pos[c]:pos[c] + chunk_records]))
                pos[c] += chunk_records
    parts.append(end())
    return b"".join(parts)


def rs(old: int, new: int) -> int:
    return old << 8 | new


def simulate(nr_cpus: int = 2, hogs=(1, 2, 3), sleeper: int | None = 4,
             duration_ms: float = 50, slice_us: int = 10_000, period_us: int = 1000,
             burst_us: int = 20, boost: bool = True, t0: int = 1_000_000):
    """Returns (per_cpu records, expected): expected["latencies"][dom] lists the wake
    latencies the simulation produced (offline -> runnable counts as a wake)."""
    recs = {c: [] for c in range(nr_cpus)}
    state: dict[int, int] = {}
    latencies: dict[int, list[int]] = {}
    woke_at: dict[int, int] = {}

    def emit(cpu, t, e, dom, d0=0, d1=0):
        recs[cpu].append((t, e, dom, 0, d0, d1))

    def move(cpu, t, dom, new):
        old = state[dom]
        emit(cpu, t, RUNSTATE, dom, rs(old, new), cpu)
        state[dom] = new
        if new == RUNNING:
            emit(cpu, t, SWITCH, dom, slice_us * 1000, 0)
            if dom in woke_at:
                latencies.setdefault(dom, []).append(t - woke_at.pop(dom))

    emit(0, t0, MARKER, DOM_NONE, 1)
    queue = deque()
    t = t0 + 1000
    for d in (*hogs, *([sleeper] if sleeper else [])):
        state[d] = OFFLINE
        move(0, t, d, RUNNABLE)
        woke_at[d] = t                  # coming online counts as a wake-up
        queue.append(d)
    cur = [None] * nr_cpus
    until = [0] * nr_cpus
    end_t = t0 + int(duration_ms * 1_000_000)
    next_wake = t + period_us * 1000 if sleeper else end_t + 1
    while True:
        for c in range(nr_cpus):
            if cur[c] is None and queue:
                d = queue.popleft()
                move(c, t, d, RUNNING)
                cur[c] = d
                until[c] = t + (burst_us if d == sleeper else slice_us) * 1000
        t = min([until[c] for c in range(nr_cpus) if cur[c] is not None] + [next_wake, end_t])
        if t >= end_t:
            break
        for c in range(nr_cpus):
            if cur[c] is not None and until[c] == t:
                d = cur[c]
                if d == sleeper:
                    move(c, t, d, BLOCKED)
                else:
                    move(c, t, d, RUNNABLE)
                    queue.append(d)
                cur[c] = None
        if next_wake == t:
            next_wake += period_us * 1000
            if state[sleeper] == BLOCKED:
                emit(0, t, WAKE, sleeper, 0)
                move(0, t, sleeper, RUNNABLE)
                woke_at[sleeper] = t
                victim = next((c for c in range(nr_cpus) if cur[c] not in (None, sleeper)),
                              None) if boost else None
                if victim is not None:
                    d = cur[victim]
                    move(victim, t, d, RUNNABLE)
                    queue.appendleft(d)
                    move(victim, t, sleeper, RUNNING)
                    cur[victim], until[victim] = sleeper, t + burst_us * 1000
                else:
                    queue.append(sleeper)
    emit(0, end_t, MARKER, DOM_NONE, 2)
    return recs, {"latencies": latencies, "t0": t0, "t1": end_t}


FAKE_EXPERIMENT = """\
name = "fake"
description = "Synthetic runs for the harness tests."
schedulers = [{pols}]
duration_ms = {ms}
repetitions = {reps}
[topology]
cpus = 2
[[domain]]
name = "hog1"
image = "cpuloop"
weight = 256
[[domain]]
name = "hog2"
image = "cpuloop"
weight = 512
[[domain]]
name = "hog4"
image = "cpuloop"
weight = 1024
[[domain]]
name = "sleepy"
image = "sleeper"
[[domain]]
name = "rt"
image = "cpuloop"
period = 10000
budget = 3000
"""
# policy -> (slice us, sleeper preempts)
FAKE_POLICIES = {"rr": (10_000, False), "credit": (30_000, True), "credit2": (2_000, True)}


def fake_results(out_dir: str, pols=("rr", "credit"), duration_ms: int = 60,
                 reps: int = 1) -> None:
    """A results folder as `hvlab run` leaves it, with simulated traces."""
    import json
    import os
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "experiment.toml"), "w") as f:
        f.write(FAKE_EXPERIMENT.format(pols=", ".join(f'"{p}"' for p in pols),
                                       ms=duration_ms, reps=reps))
    names = ["hog1", "hog2", "hog4", "sleepy", "rt"]
    for p in pols:
        for rep in range(1, reps + 1):
            rd = os.path.join(out_dir, "runs", f"{p}-r{rep}")
            os.makedirs(rd, exist_ok=True)
            sl, boost = FAKE_POLICIES[p]
            per_cpu, _ = simulate(hogs=(1, 2, 3, 5), sleeper=4, duration_ms=duration_ms,
                                  slice_us=sl, boost=boost)
            with open(os.path.join(rd, "trace.bin"), "wb") as f:
                f.write(stream(per_cpu, 2, chunk_records=64, sched=p.encode()))
            con = [f"[   0.000100] domain {i + 1} ({n}): created, 1 vCPU"
                   for i, n in enumerate(names)]
            con += [f"[   0.100000] (d{i + 1}) result bench=cpuloop dom={i + 1} "
                    f"iters={1000 * (i + 1)} ms={duration_ms}" for i in (0, 1, 2, 4)]
            con += ["[   0.100000] (d0) scenario: done"]
            with open(os.path.join(rd, "console.txt"), "w") as f:
                f.write("\n".join(con) + "\n")
            with open(os.path.join(rd, "run.json"), "w") as f:
                json.dump({"status": 0, "timed_out": False, "wall_s": 1.5, "errors": [],
                           "command_line": "qemu-system-x86_64 ..."}, f)
