"""Topology pictures (topo.py): the hypervisor's topo: lines + a synthetic run ->
hwloc XML that lstopo reads back with the right nodes, PUs, memory, distances and
vCPU placement; the SVG is drawn and the same twice; bad console text is named."""
from __future__ import annotations

import os
import re
import subprocess
import tempfile

import synth as S
from check import check, eq, raises

from hvlab import analyze as A
from hvlab import topo
from hvlab import trace as T

CONSOLE = """\
[   0.02] topo: cpus=4 online=4 nodes=2
[   0.02] topo: cpu=0 apic=0 node=0 online=1
[   0.02] topo: cpu=1 apic=1 node=0 online=1
[   0.02] topo: cpu=2 apic=2 node=1 online=1
[   0.02] topo: cpu=3 apic=3 node=1 online=1
[   0.02] topo: node=0 cpus=0,1 mem_mib=128 managed_mib=120 free_mib=100
[   0.02] topo: node=1 cpus=2,3 mem_mib=128 managed_mib=126 free_mib=120
[   0.02] topo: distance node=0: 10 21
[   0.02] topo: distance node=1: 21 10
"""
MEM_ALLOC = S.ev(7, 0, 1)


def run():
    per_cpu, _ = S.simulate(nr_cpus=4, duration_ms=20, slice_us=3000)
    per_cpu[2].insert(0, (1_000_500, MEM_ALLOC, 1, 0, 0xFFFFFFFF << 32 | 1, 2048))
    tr = T.decode(S.stream(per_cpu, 4), "t.bin")
    d = tempfile.mkdtemp()
    t = topo.write(d, CONSOLE, A.analyze(tr), tr, {1: "hog1"}, "test")
    return d, t


def lstopo(*args) -> str:
    p = subprocess.run(["lstopo", *args], capture_output=True, text=True, timeout=60)
    eq(p.returncode, 0, f"lstopo {' '.join(args)}: {p.stderr}")
    return p.stdout


def test_xml_reads_back_with_lstopo():
    d, t = run()
    eq((t["nodes"], t["pcpus"], t.get("picture")), (2, 4, "topology.svg"), f"summary: {t}")
    xml = os.path.join(d, "topology.xml")
    out = lstopo("--input", xml, "--of", "console")
    eq(len(re.findall(r"NUMANode L#\d", out)), 2, f"two nodes:\n{out}")
    eq(len(re.findall(r"\bPU L#\d", out)), 4, f"four PUs:\n{out}")
    eq(re.findall(r"NUMANode L#1 \(P#1 (\d+)MB\)", out), ["128"], "node 1's memory")
    check(re.search(r"NUMANode L#1.*\n\s+Misc d1 hog1: 8.0 MiB", out),
          f"hog1's 2048 frames on node 1:\n{out}")
    check(re.search(r"PU L#0 \(P#0\)\n(\s+Misc d\dv0 .*\d+%\n)+", out),
          f"vCPUs with their share under pCPU 0:\n{out}")
    dist = lstopo("--input", xml, "--distances")
    check(re.search(r"0\s+10\s+21\n\s+1\s+21\s+10", dist), f"distances:\n{dist}")
    svg = open(os.path.join(d, "topology.svg")).read()
    check(svg.lstrip().startswith("<?xml") and "<svg" in svg and "hog1" in svg, "an SVG")
    d2, _ = run()
    eq(open(os.path.join(d2, "topology.svg")).read(), svg, "the same picture twice")


def test_bad_console():
    raises(topo.TopoError, lambda: topo.parse("no topology here"), "no topo lines",
           ("no 'topo:' lines",))
    bad = CONSOLE.replace("distance node=1: 21 10", "distance node=1: 21")
    raises(topo.TopoError, lambda: topo.parse(bad), "short distance row", ("2 x 2",))
    eq(topo._bitmap([0, 33]), "0x00000002,0x00000001", "hwloc bitmap of 34+ bits")
