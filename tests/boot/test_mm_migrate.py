#!/usr/bin/env python3
"""Boot test of the memory mover (DOMCTL_migrate_memory, `xl mem-migrate`; mm/migrate*.c,
docs/memory-policies.md "Moving memory") on 4 CPUs in 4 NUMA nodes (128 MiB each).
A PV and an HVM domain bound to node 0 run memcheck (tests/guests/memcheck.c: rounds
that check every page against the previous round's values and write the next) while
dom0 moves each one's memory to node 2; a PV domain interleaved over nodes 1 and 3
is moved to 2,3 (node 1's frames spread over both), a first-touch HVM domain (RAM only
where touched) to 2. numa-list before and after shows the frames
on node 2; the guests' results (bad=0, sum == expected, and on PV every pfn->mfn
list entry equal to the frame its page table maps) show that the move kept their
memory and their references. Node 9 (the machine has 0-3), node 1 (filled by
`filler`), a vNUMA domain and dom0 itself are refused, naming the numbers, and change
nothing. The mem class is
traced during the moves: TRC_MEM_MIGRATE records (data0 from << 32 | to, data1
frames) add up to the frames moved, and their timestamps give the path length per
frame (icount: instructions).

Run from the repository root (make boot-test). The last line is
"mm-migrate tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite  # noqa: E402
from test_mm_policy import tables  # noqa: E402
from test_trace import decode, ivshmem, shm_stream  # noqa: E402

BUILD = os.environ.get("HVLAB_BUILD", "build")
SCENARIO = "tests/scenarios/mm-migrate"
IMAGES = ["cpuloop.elf", "memcheck.elf", "memcheck-hvm.elf"]
FRAMES = 24 << 8                        # memory = 24 (MiB) in 4 KiB frames
TRC_MEM_MIGRATE = 7 << 24 | 4 << 16 | 1       # include/public/trace.h


def modules() -> list[str]:
    cfgs = sorted(f for f in os.listdir(SCENARIO) if f.endswith(".cfg"))
    return ([f"{BUILD}/dom0.elf"] + [f"{BUILD}/guest/{i} {i}" for i in IMAGES] +
            [f"{SCENARIO}/{c} {c}" for c in cfgs] + [f"{SCENARIO}/scenario.txt scenario"])


def domid(out: str, name: str) -> int:
    m = re.search(rf"mem-migrate: domain (\d+) \({name}\)", out)
    return int(m.group(1)) if m else -1


def case_migrate() -> str:
    """PV and HVM memory moved from node 0 to node 2 while the guests compute;
    results still right; bad input refused with the numbers, nothing changed."""
    with tempfile.TemporaryDirectory(prefix="hvmig") as tmp:
        path = os.path.join(tmp, "shm")
        r = boot(IMAGE, Topology(4, 4, 512), "", TIMEOUT_S * 2, modules=modules(),
                 extra=ivshmem(path, 16))
        out = r.output
        check(r.status == 0 and "(d0) scenario: done" in out,
              "the scenario completes and the machine powers off cleanly", r)
        s = decode(shm_stream(path))
    t = tables(out)
    check(len(t) == 3, f"three numa-list tables ({len(t)})", r)
    if len(t) != 3:
        return ""
    (_, before), (_, after), (_, refused) = t
    moved = {}
    for name in ("pv-mig", "hvm-mig"):
        b, a = before.get(name, ("", "", [0] * 4))[2], after.get(name, ("", "", [0] * 4))[2]
        check(b[0] >= FRAMES - 16 and b[2] == 0, f"{name}: on node 0 before ({b})", r)
        check(a[0] <= 16 and a[2] >= FRAMES - 16 and sum(a) == sum(b),
              f"{name}: on node 2 after, as many frames ({b} -> {a})", r)
        m = re.search(rf"mem-migrate: domain \d+ \({name}\): (\d+) frames moved to nodes 2, "
                      rf"(\d+) left outside \((\d+) not movable\), (\d+) batches, (\d+) ns",
                      out)
        check(m is not None, f"{name}: xl mem-migrate reports frames moved and left", r)
        if m:
            moved[name] = [int(x) for x in m.groups()]
            check(moved[name][0] == b[0] - a[0] and moved[name][1] == a[0],
                  f"{name}: {moved[name][0]} moved and {moved[name][1]} left, as numa-list "
                  f"says ({b[0]} -> {a[0]} on node 0)", r)
        check(after.get(name, ("", "?"))[1] == "2", f"{name}: home node 2 after the move", r)
    for name, pages in (("pv-mig", 2048), ("pv-il", 256)):
        check(f"(d{domid(out, name)}) memcheck: list pages={pages} mismatched=0" in out,
              f"{name}: every pfn->mfn list entry names the frame its page table maps", r)
    for name in ("pv-mig", "hvm-mig", "pv-il", "hvm-ft"):
        d = domid(out, name)
        m = re.search(rf"\(d{d}\) memcheck: pages=\d+ rounds=(\d+) bad=(\d+) sum=(\S+) "
                      rf"expected=(\S+)", out)
        check(m is not None and m.group(2) == "0" and m.group(3) == m.group(4),
              f"{name}: its checks over its memory all held and its sum is right "
              f"({m.group(0) if m else 'no result'})", r)
        check(m is not None and int(m.group(1)) >= 2, f"{name}: it computed over rounds", r)
        moved_at = out.find(f"mem-migrate: domain {d} ({name}): ")
        check(m is not None and 0 <= moved_at < m.start(),
              f"{name}: it was still computing when its memory moved (result after the move)", r)
    il_b, il_a = before.get("pv-il", ("", "", [0] * 4))[2], after.get("pv-il", ("", "", [0] * 4))[2]
    check(il_b[1] >= 1000 and il_b[3] >= 1000 and il_b[0] == il_b[2] == 0,
          f"pv-il: interleaved over nodes 1 and 3 before ({il_b})", r)
    check(il_a[1] <= 2 and il_a[3] >= il_b[3] and sum(il_a) == sum(il_b) and
          abs((il_b[1] - il_a[1]) - 2 * il_a[2]) <= 2,
          f"pv-il: node 1's frames moved, interleaved over the new set 2,3 ({il_b} -> {il_a})", r)
    ft_b, ft_a = before.get("hvm-ft", ("", "", [0] * 4))[2], after.get("hvm-ft", ("", "", [0] * 4))[2]
    check(ft_b[3] > 0 and ft_a[2] >= sum(ft_b) - 2 and sum(ft_a) == sum(ft_b) and
          sum(ft_b) < 4096, f"hvm-ft: its touched frames (of 4096 gfns) moved to node 2 "
          f"({ft_b} -> {ft_a})", r)
    for name in ("pv-il", "hvm-ft"):
        check(after.get(name, ("?",))[0] == before.get(name, ("!",))[0],
              f"{name}: keeps its policy ({after.get(name, ('?',))[0]})", r)
    check(re.search(r"domain \d+ \(pv-mig\): references after the move: every count right",
                    out) is not None,
          "PV: every reference and type count recomputed from all page tables is right", r)
    check(re.search(r"mem-migrate: domain \d+ \(pv-mig\): node 9 does not exist \(the machine "
                    r"has nodes 0-3\); nothing moved", out) is not None and
          "'mem-migrate pv-mig 9' failed with EINVAL, as expected" in out,
          "node 9 refused, naming it", r)
    m = re.search(r"mem-migrate: domain \d+ \(hvm-mig\): nodes 1 have (\d+) free frames, "
                  r"(\d+) must move; nothing moved", out)
    check(m is not None and int(m.group(1)) < int(m.group(2)) == FRAMES and
          "'mem-migrate hvm-mig 1' failed with ENOMEM, as expected" in out,
          f"node 1 without the free frames refused with the numbers ({m and m.groups()})", r)
    check(re.search(r"memory migration refused: nodes 0x2 have \d+ free frames, \d+ must move",
                    out) is not None, "the hypervisor's log says why, with the numbers", r)
    check(re.search(r"domain \d+ \(pv-vn\): memory migration refused: it has a vNUMA layout",
                    out) is not None and
          "'mem-migrate pv-vn 2' failed with EINVAL, as expected" in out,
          "a vNUMA domain is refused (its guest was told each gfn's node)", r)
    check("domain 0 (Domain-0): memory migration refused: a domain cannot move its own memory"
          in out and "'mem-migrate Domain-0 2' failed with EINVAL, as expected" in out,
          "dom0 cannot move its own memory (it would pause itself)", r)
    for name in ("pv-mig", "hvm-mig", "pv-vn", "Domain-0"):
        check(refused.get(name) == after.get(name),
              f"{name}: the refusals changed nothing ({after.get(name)} -> {refused.get(name)})", r)

    recs = [rec for rec in s.records() if rec[1] == TRC_MEM_MIGRATE]
    per_dom: dict[int, list] = {}
    for rec in recs:
        per_dom.setdefault(rec[2], []).append(rec)
    il = {rec[4] for rec in per_dom.get(domid(out, "pv-il"), [])}
    check(il == {1 << 32 | 2, 1 << 32 | 3},
          f"pv-il: its records name node 1 -> 2 and node 1 -> 3 ({sorted(il)})", r)
    figures = []
    for name in ("pv-mig", "hvm-mig"):
        d = domid(out, name)
        rs = sorted(per_dom.get(d, []), key=lambda x: x[0])
        total = sum(rec[5] for rec in rs)
        check(name in moved and total == moved[name][0],
              f"{name}: TRC_MEM_MIGRATE records add up to the frames moved ({total})", r)
        check(all(rec[4] == (0 << 32 | 2) and 0 < rec[5] <= 64 for rec in rs),
              f"{name}: every record from node 0 to node 2, at most 64 frames", r)
        per_frame = [(b[0] - a[0]) / b[5] for a, b in zip(rs, rs[1:])]
        if per_frame:
            figures.append(f"{name} {total} frames, {statistics.median(per_frame):.0f} "
                           f"instructions per frame (median over {len(per_frame)} batches)")
    return "; ".join(figures)


CASES = [case_migrate]

if __name__ == "__main__":
    sys.exit(run_suite("mm-migrate tests", CASES, sys.argv[1:]))
