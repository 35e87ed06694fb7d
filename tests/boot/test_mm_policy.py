#!/usr/bin/env python3
"""Boot test of the memory policies (mm/policy_*.c, docs/memory-policies.md) on a
machine of 4 CPUs in 4 NUMA nodes (128 MiB each): dom0 creates PV domains under
bind, local, auto, interleave and first-touch and HVM domains under bind, interleave
(2 MiB stripes) and first-touch (RAM allocated at the nested page faults of the
memtouch guest, on the node of its pCPU), keeps them after their work, and reads the
frames of each domain on each node back with `numa-list` (SYSCTL_numa_frames). Bad
settings (a bind set without the free memory, a node the machine lacks, a policy the
hypervisor lacks) are refused naming the key and the numbers, and leave no domain
and no frame behind: after the destroys every node has the free frames it had first.
With the mem class traced, every decision is a TRC_MEM_POLICY record naming the node
asked for and the node that served.

Run from the repository root (make boot-test). The last line is
"mm-policy tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite  # noqa: E402
from test_trace import decode, ivshmem, shm_stream  # noqa: E402

BUILD = os.environ.get("HVLAB_BUILD", "build")
SCENARIO = "tests/scenarios/mm-policy"
IMAGES = ["cpuloop.elf", "cpuloop-hvm.elf", "memtouch-hvm.elf"]
FRAMES = 16 << 8                        # memory = 16 (MiB) in 4 KiB frames
NODES = 4


def modules(scenario: str = SCENARIO) -> list[str]:
    cfgs = sorted(f for f in os.listdir(scenario) if f.endswith(".cfg"))
    return ([f"{BUILD}/dom0.elf"] + [f"{BUILD}/guest/{i} {i}" for i in IMAGES] +
            [f"{scenario}/{c} {c}" for c in cfgs] + [f"{scenario}/scenario.txt scenario"])


def tables(out: str) -> list[tuple[list[int], dict[str, tuple[str, str, list[int]]]]]:
    """Each numa-list: free frames per node, and name -> (policy, home, frames per node)."""
    found = []
    for block in out.split("(d0) xl> numa-list")[1:]:
        free: list[int] = []
        doms: dict[str, tuple[str, str, list[int]]] = {}
        for ln in block.split("(d0) xl>")[0].splitlines():
            m = re.search(r"\(d0\) +(\d+) +(\d+) +(\d+)$", ln)
            if m and not doms:
                free.append(int(m.group(2)))
                continue
            m = re.search(r"\(d0\) +\d+ (\S+) +(\S+) +(\S+)((?: +\d+){%d})$" % NODES, ln)
            if m:
                doms[m.group(1)] = (m.group(2), m.group(3), [int(x) for x in m.group(4).split()])
        found.append((free, doms))
    return found


def case_policies() -> str:
    """Every policy places its domain's frames as it promises, PV and HVM; refusals
    name key and numbers; nothing leaks."""
    r = boot(IMAGE, Topology(4, NODES, 512), "", TIMEOUT_S * 2, modules=modules())
    out = r.output
    check(r.status == 0 and "(d0) scenario: done" in out,
          "the scenario completes and the machine powers off cleanly", r)
    t = tables(out)
    check(len(t) == 3, f"three numa-list tables ({len(t)})", r)
    if len(t) != 3:
        return ""
    (free0, _), (_, doms), (free2, after) = t
    check(len(free0) == NODES and len(free2) == NODES, f"free frames of {NODES} nodes", r)

    def frames(name: str) -> list[int]:
        check(name in doms, f"numa-list shows {name}", r)
        return doms.get(name, ("", "", [0] * NODES))[2]

    expect = {"pv-bind": [0, 0, FRAMES, 0], "pv-local": [0, 0, 0, FRAMES],
              "pv-auto": [0, FRAMES, 0, 0], "hvm-bind": [0, FRAMES, 0, 0],
              "hvm-il": [FRAMES // 2, 0, FRAMES // 2, 0]}
    for name, want in expect.items():
        got = frames(name)
        check(got == want, f"{name}: frames per node {got}, expected {want}", r)
    check(doms.get("pv-auto", ("", ""))[1] == "1" and
          "(d0) create pv-auto: memory policy auto, home node 1" in out,
          "auto chose node 1 (nodes 2 and 3 are homes already, dom0 fills node 0) and "
          "told the scheduler (home 1)", r)
    il = frames("pv-interleave")
    check(sum(il) == FRAMES and max(il) - min(il) <= 1,
          f"pv-interleave: even over the four nodes within one frame ({il})", r)
    ft = frames("pv-ft")
    check(sum(ft) == FRAMES and max(ft) == FRAMES,
          f"pv-ft: every frame on the node of the vCPU that asked (dom0's): {ft}", r)
    hft = frames("hvm-ft")
    check("(d8) memtouch: pages=2048 bad=0" in out, "memtouch wrote and read 2048 pages", r)
    check(hft[3] >= 1024 and hft[1] == 0 and hft[2] == 0,
          f"hvm-ft: the pages memtouch touched first are on node 3, its pCPU's ({hft})", r)
    check(sum(hft) < FRAMES,
          f"hvm-ft: only touched gfns have frames ({sum(hft)} of {FRAMES})", r)

    check("(d0) create bad-full: bad-full.cfg:6: key 'nodes': memory_policy 'bind' needs "
          "30720 frames, the nodes have" in out and
          "'create bad-full.cfg' failed with ENOMEM, as expected" in out,
          "a bind set without the free memory is refused, with the numbers", r)
    check("(d0) create bad-node: bad-node.cfg:6: key 'nodes': node 5 does not exist (the "
          "machine has nodes 0-3)" in out and
          "'create bad-node.cfg' failed with EINVAL, as expected" in out,
          "a node the machine lacks is refused, naming it", r)
    check("(d0) create bad-name: bad-name.cfg:5: key 'memory_policy': no policy 'nearest'" in out
          and "no such policy (there are: " in out and
          "'create bad-name.cfg' failed with ENOENT, as expected" in out,
          "an unknown policy is refused; the hypervisor's log lists the policies", r)
    for dom in ("bad-full", "bad-node", "bad-name"):
        check(re.search(rf"domain \d+ \({dom}\): destroyed, 0 frames returned", out) is not None,
              f"{dom}: the half-built domain is gone, with no frame", r)
    check(list(after) == ["Domain-0"], f"after the destroys only dom0 is left ({list(after)})", r)
    check(free2 == free0, f"every node has its free frames back ({free0} -> {free2})", r)
    return (f"frames per node: interleave {il}, first-touch HVM {hft} "
            f"({sum(hft)} of {FRAMES} populated)")


TRC_MEM_POLICY = 7 << 24 | 1 << 16 | 1          # include/public/trace.h
REASON_POPULATE, REASON_NPF = 1, 2


def case_trace() -> str:
    """Every decision is a TRC_MEM_POLICY record: the bind domain's 2048 populate
    requests asked for and got node 2; the first-touch HVM domain's nested-fault
    decisions asked for and got node 3, its vCPU's."""
    with tempfile.TemporaryDirectory(prefix="hvmm") as tmp:
        path = os.path.join(tmp, "shm")
        r = boot(IMAGE, Topology(4, NODES, 512), "", TIMEOUT_S * 2,
                 modules=modules("tests/scenarios/mm-policy-trace"), extra=ivshmem(path, 16))
        check(r.status == 0 and "(d0) scenario: done" in r.output, "the scenario completes", r)
        s = decode(shm_stream(path))
    recs = [rec for rec in s.records() if rec[1] == TRC_MEM_POLICY]
    bind = [(rec[4] >> 32, rec[4] & 0xffffffff) for rec in recs
            if rec[2] == 1 and rec[5] >> 56 == REASON_POPULATE]
    check(len(bind) == 2048, f"tr-bind: 2048 populate decisions traced ({len(bind)})", r)
    check(set(bind) == {(2, 2)}, f"tr-bind: every one asked for node 2 and got it "
          f"({sorted(set(bind))})", r)
    npf = [(rec[4] >> 32, rec[4] & 0xffffffff) for rec in recs
           if rec[2] == 2 and rec[5] >> 56 == REASON_NPF]
    check(len(npf) >= 1024 and set(npf) == {(3, 3)},
          f"tr-ft: its nested faults asked for node 3 and got it ({len(npf)} faults, "
          f"{sorted(set(npf))})", r)
    return f"traced: {len(bind)} bind decisions, {len(npf)} first-touch faults"


CASES = [case_policies, case_trace]

if __name__ == "__main__":
    sys.exit(run_suite("mm-policy tests", CASES, sys.argv[1:]))
