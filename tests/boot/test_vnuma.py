#!/usr/bin/env python3
"""Boot test of virtual NUMA (docs/vnuma.md) on a 4-node machine (4 CPUs, 128 MiB a
node), one short boot: bad vnuma layouts refused with the key and the numbers (sizes
not adding up to memory, a vCPU in no vnode, asymmetric distances, a physical node
that does not exist; a node without the free frames, refused by the hypervisor for a
PV and an HVM domain, with every frame back); then a PV domain reads its topology
through XENMEM_get_vnumainfo and an HVM domain from its SRAT/SLIT (tests/guests/
vnumatest.c): both match their cfg files, a page from each vnode's pool lies in that
vnode, and the frames of each vnode are on its physical node (PV: the machine frame
the guest prints against the machine's SRAT ranges, and dom0's per-node count; HVM:
the hypervisor's per-vnode count of frames on the node); each vCPU's soft affinity is
its vnode's node; with a memory policy the vnodes still decide where (first-touch
HVM: frames populated at nested page faults and by the builder on dom0's node land on
the vnode's node; bind with `nodes` and no pnode: the vnodes on the set's nodes in
turn; a pnode outside `nodes` refused); every frame comes back.

Run from the repository root. The last line is "vnuma tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite  # noqa: E402

D = "tests/scenarios/vnuma"
CFGS = ["pv.cfg", "hvm.cfg", "badnode.cfg", "badsum.cfg", "badcpu.cfg", "baddist.cfg",
        "bigpv.cfg", "bighvm.cfg", "ftvhvm.cfg", "bindvpv.cfg", "badnodes.cfg"]
MODULES = (["build/dom0.elf", "build/guest/vnumatest.elf vnumatest.elf",
            "build/guest/vnumatest-hvm.elf vnumatest-hvm.elf"] +
           [f"{D}/{c} {c}" for c in CFGS] + [f"{D}/scenario.txt scenario"])

# What the cfg files say: vnode -> (pnode, MiB, vCPUs, distances)
PV = [(2, 8, "0", "10,30"), (3, 8, "1", "30,10")]
HVM = [(1, 8, "0,2", "10,21,31"), (3, 16, "1", "21,10,41"), (0, 8, "3", "31,41,10")]

_run = None


def run():
    """One boot for every case (a few seconds of QEMU)."""
    global _run
    if _run is None:
        _run = boot(IMAGE, Topology(4, 4, 512), "", TIMEOUT_S, modules=MODULES)
    return _run


def node_of(out: str, mfn: int) -> int:
    """The machine's node of a frame, from the hypervisor's SRAT lines."""
    for node, start, end in re.findall(r"topo: mem node=(\d+) start=(0x[0-9a-f]+|0) "
                                       r"end=(0x[0-9a-f]+)", out):
        if int(start, 0) <= mfn << 12 < int(end, 0):
            return int(node)
    return -1


def check_topology(r, dom: int, layout, source: str) -> None:
    out = r.output
    check(f"(d{dom}) vnuma: {len(layout)} vnodes, {sum(len(v[2].split(',')) for v in layout)}"
          f" vCPUs (from {source})" in out, f"d{dom} reads {len(layout)} vnodes from {source}", r)
    start = 0
    for v, (_, mib, cpus, dist) in enumerate(layout):
        pages = mib * 256
        line = (f"(d{dom}) vnuma: vnode {v}: pfns {start:#x}-{start + pages - 1:#x} "
                f"({mib * 1024} KiB), vcpus {cpus}, distances {dist}").replace("pfns 0x0-", "pfns 0-")
        check(line in out, f"d{dom} vnode {v} as configured: {line}", r)
        m = re.search(rf"\(d{dom}\) vnumatest: vnode {v}: page pfn (0x[0-9a-f]+|0) mfn "
                      rf"(0x[0-9a-f]+|0) in vnode (\d+)", out)
        check(m is not None and start <= int(m.group(1), 0) < start + pages and
              int(m.group(3)) == v, f"d{dom}: a page of vnode {v}'s pool is in vnode {v}", r)
        check(f"(d{dom}) vnumatest: vnode {v}: freed page comes back zeroed" in out,
              f"d{dom}: vnode {v}'s freed page comes back", r)
        start += pages
    check(f"(d{dom}) vnumatest: done" in out, f"d{dom} finished", r)


def case_refusals() -> None:
    """Each bad layout refused with its key and numbers, nothing left behind."""
    r = run()
    out = r.output
    check(r.status == 0 and "(d0) scenario: done" in out, "the scenario completes", r)
    for line in [
            "badsum.cfg:6: key 'vnuma': the vnodes' sizes add up to 12 MiB, memory is 16 MiB",
            "badcpu.cfg:6: key 'vnuma': vCPU 2 is in no vnode (vcpus = 3)",
            "baddist.cfg:6: key 'vnuma': vnode 0: distance to vnode 1 is 20, back is 30",
            "create badnode: badnode.cfg:6: key 'vnuma': vnode 1: physical node 6, the "
            "machine has 4 (0-3)"]:
        check(f"(d0) {line}" in out, f"refused: {line}", r)
    for name in ("bigpv", "bighvm"):
        check(re.search(rf"domain \d+ \({name}\): vNUMA refused: node 1 has \d+ free frames, "
                        r"its vnodes need 40960", out) is not None,
              f"the hypervisor refuses {name}: node 1 lacks the frames", r)
        check(f"expect: 'create {name}.cfg' failed with ENOMEM, as expected" in out,
              f"create {name} fails with ENOMEM", r)
    free = re.findall(r"domain \d+ \((?:bigpv|bighvm|vpv)\): created, \d vCPUs, (\d+) frames "
                      r"free before", out)
    check(len(free) == 3 and len(set(free)) == 1,
          f"no frame kept by the refused domains (free before each: {free})", r)
    after = re.findall(r"domain \d+ \(vhvm\): destroyed, \d+ frames returned, (\d+) free", out)
    check(len(free) == 3 and after == free[:1],
          f"every frame back after every domain is destroyed ({after} free, {free[:1]} before)", r)


def case_soft_affinity() -> None:
    """No cpus in the files: each vCPU prefers the CPUs of its vnode's node (CPU n is
    node n on this machine)."""
    r = run()
    for dom, name, layout in ((3, "vpv", PV), (4, "vhvm", HVM)):
        for vnode, (pnode, _, cpus, _) in enumerate(layout):
            for vcpu in cpus.split(","):
                check(re.search(rf"\(d0\) {name} +{dom} +{vcpu} .* all / {pnode}\n", r.output)
                      is not None, f"{name} vCPU {vcpu} (vnode {vnode}) prefers node {pnode}", r)


def case_pv() -> None:
    """The PV domain's topology from the memory op; its frames on the mapped nodes;
    the memory op's refusals."""
    r = run()
    out = r.output
    check_topology(r, 3, PV, "XENMEM_get_vnumainfo")
    for v, (pnode, mib, _, _) in enumerate(PV):
        m = re.search(rf"\(d3\) vnumatest: vnode {v}: page pfn \S+ mfn (0x[0-9a-f]+)", out)
        check(m is not None and node_of(out, int(m.group(1), 16)) == pnode,
              f"vnode {v}'s page is a frame of node {pnode}", r)
        check(f"(d0) create vpv: vnuma: {mib * 256} pages on node {pnode}" in out,
              f"all {mib * 256} pages of vnode {v} on node {pnode}", r)
    check("(d3) vnumatest: small buffer: -105, counts 2 vnodes 2 vcpus" in out,
          "a too-small buffer gets ENOBUFS and the counts", r)
    check("(d3) vnumatest: bad pointer: -14, other domain: -1" in out,
          "a hypervisor pointer gets EFAULT, another domain's layout EPERM", r)


def case_hvm() -> None:
    """The HVM domain's topology from SRAT/SLIT; every frame of each vnode on its node."""
    r = run()
    out = r.output
    check_topology(r, 4, HVM, "ACPI SRAT/SLIT")
    for v, (pnode, mib, _, _) in enumerate(HVM):
        n = mib * 256
        check(re.search(rf"domain 4 \(vhvm\): vnode {v}: gfns \S+, {n} frames, {n} on node "
                        rf"{pnode}\n", out) is not None,
              f"all {n} frames of vnode {v} on node {pnode}", r)


def numa_list(out: str) -> dict[str, list[int]]:
    """The numa-list table: domain name -> frames on each of the 4 nodes."""
    block = out.split("(d0) xl> numa-list")[1].split("(d0) xl>")[0] if "xl> numa-list" in out else ""
    doms = {}
    for m in re.finditer(r"\(d0\) +\d+ (\S+) +\S+ +\S+((?: +\d+){4})\n", block):
        doms[m.group(1)] = [int(x) for x in m.group(2).split()]
    return doms


def case_policies() -> None:
    """vNUMA with a memory policy: a vnode's node overrides the policy for its range."""
    r = run()
    out = r.output
    doms = numa_list(out)
    check_topology(r, 5, [(2, 8, "0", "10,20"), (3, 8, "1", "20,10")], "ACPI SRAT/SLIT")
    ft = doms.get("vft", [-1] * 4)
    check(ft[0] == 0 and ft[1] == 0 and ft[2] > 0 and ft[3] > 0 and sum(ft) <= 4096,
          f"vft (first-touch): frames only on the vnodes' nodes 2 and 3, none on dom0's "
          f"node 0 where the builder populated from ({ft})", r)
    check("domain 5 (vft): vnode 0: gfns 0-0x7ff, 0 frames, 0 on node 2\n" in out,
          "vft: first-touch gives the RAM back, to be populated at first touch", r)
    check_topology(r, 6, [(0, 8, "0", "10,20"), (1, 8, "1", "20,10")], "XENMEM_get_vnumainfo")
    check(doms.get("vbind") == [2048, 2048, 0, 0],
          f"vbind (bind, nodes 0-1, no pnode): vnode 0 on node 0, vnode 1 on node 1 "
          f"({doms.get('vbind')})", r)
    check("(d0) badnodes.cfg:7: key 'vnuma': vnode 1: physical node 3 is not in nodes "
          "(line 6)" in out, "a pnode outside the file's nodes is refused, naming both", r)


CASES = [case_refusals, case_pv, case_hvm, case_soft_affinity, case_policies]

if __name__ == "__main__":
    sys.exit(run_suite("vnuma tests", CASES, sys.argv[1:]))
