"""Topology pictures: the machine as hvlab saw it, with a run's vCPU placement, as
hwloc XML (topology.xml) drawn by lstopo (topology.svg).

Design: the machine comes from the hypervisor's own boot lines on the console
(core/topology.c, "topo: ..."): pCPUs and their nodes, each node's memory, the
distance matrix. So the picture shows what hvlab read from ACPI, not what the
experiment file asked for. The run adds, under each pCPU (hwloc PU), one Misc object
per vCPU that ran there with its share of that pCPU's measured time (from the
analysis' running slices), and under each NUMA node the memory each domain got there
(TRC_MEM_ALLOC minus TRC_MEM_FREE over the whole trace, when the "mem" trace class was
on). The XML is hwloc's v2 format (what `lstopo --of xml` writes), so `lstopo --input
topology.xml` and hwloc's tools read it; distances are a "NUMALatency" matrix.

lstopo draws SVG with its native backend (`--of nativesvg`: labels stay text; its
cairo `svg` and `png` work here too): SVG is text, and a deterministic run gives the
same bytes. The default legend (host name, date) is
left out for that reason; the legend lines are the distances and the time basis.

Limitations: one hwloc PU per pCPU, no cores, caches or packages (hvlab does not read
them); vCPUs below 1 % of a pCPU are summed into one "+N below 1%" line.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from xml.sax.saxutils import quoteattr

from . import trace as T
from .analyze import Analysis, vcpu_key

PAGE = 4096
MIN_SHARE = 0.01
LSTOPO_TIMEOUT_S = 60

_CPU = re.compile(r"topo: cpu=(\d+) apic=(\d+) node=(\d+) online=([01])")
_NODE = re.compile(r"topo: node=(\d+) cpus=(\S+) mem_mib=(\d+)")
_DIST = re.compile(r"topo: distance node=(\d+):((?: \d+)+)")


class TopoError(Exception):
    """The console's topology lines are missing or contradict each other."""


def parse(console: str) -> dict:
    """The hypervisor's boot topology: {"cpus": {cpu: node}, "online": {cpu: bool},
    "mem_mib": {node: MiB}, "distances": [[...] per node]}."""
    cpus, online, mem, dist = {}, {}, {}, {}
    for m in _CPU.finditer(console):
        cpus[int(m.group(1))] = int(m.group(3))
        online[int(m.group(1))] = m.group(4) == "1"
    for m in _NODE.finditer(console):
        mem[int(m.group(1))] = int(m.group(3))
    for m in _DIST.finditer(console):
        dist[int(m.group(1))] = [int(x) for x in m.group(2).split()]
    if not cpus or not mem:
        raise TopoError("no 'topo:' lines on the console (core/topology.c prints them at boot)")
    nodes = sorted(mem)
    if nodes != list(range(len(nodes))):
        raise TopoError(f"topo: node numbers {nodes} are not 0..{len(nodes) - 1}")
    bad = sorted(c for c, n in cpus.items() if n not in mem)
    if bad:
        raise TopoError(f"topo: cpu {bad[0]} is on node {cpus[bad[0]]}, which has no "
                        "'topo: node=' line")
    rows = [dist.get(n) for n in nodes]
    if any(r is None or len(r) != len(nodes) for r in rows):
        raise TopoError(f"topo: the distance matrix is not {len(nodes)} x {len(nodes)}: {dist}")
    return {"cpus": cpus, "online": online, "mem_mib": mem, "distances": rows}


def placement(an: Analysis) -> dict[int, dict[str, float]]:
    """pCPU -> {vCPU key: share of the pCPU's measured time it ran there}."""
    span = an.t1 - an.t0
    ran: dict = defaultdict(lambda: defaultdict(int))
    for cpu, s, e, dom, vcpu in an.slices:
        if dom != T.DOM_IDLE:
            ran[cpu][vcpu_key(dom, vcpu)] += e - s
    return {c: {k: t / span for k, t in v.items()} for c, v in ran.items()} if span else {}


def memory(tr: T.Trace) -> dict[int, dict[int, int]] | None:
    """domid -> node -> bytes held at the end of the trace, or None when the trace has
    no memory class (nothing to say, rather than zeros)."""
    if not tr.header.class_mask & (1 << T.CLASSES["mem"]):
        return None
    alloc, free = T.EV["mem_alloc"], T.EV["mem_free"]
    held: dict = defaultdict(lambda: defaultdict(int))
    for r in tr.merged():
        if r.event == alloc:
            held[r.domid][r.data0 & 0xFFFFFFFF] += r.data1 * PAGE
        elif r.event == free:
            held[r.domid][r.data0] -= r.data1 * PAGE
    return {d: {n: b for n, b in sorted(v.items()) if b > 0} for d, v in sorted(held.items())}


def _bitmap(bits) -> str:
    """hwloc's bitmap text: 32-bit words, most significant first, comma-separated."""
    v = 0
    for b in bits:
        v |= 1 << b
    words = []
    while True:
        words.append(f"0x{v & 0xFFFFFFFF:08x}")
        v >>= 32
        if not v:
            break
    return ",".join(reversed(words))


def to_xml(topo: dict, place: dict | None = None, mem: dict | None = None,
           names: dict[int, str] | None = None) -> str:
    """hwloc v2 XML of the machine; place/mem (placement(), memory()) add Misc objects."""
    names, place = names or {}, place or {}
    nodes = sorted(topo["mem_mib"])
    cpus = sorted(topo["cpus"])
    gp = iter(range(1, 1 << 30))

    def sets(cpu_bits, node_bits) -> str:
        c, n = _bitmap(cpu_bits), _bitmap(node_bits)
        return (f'cpuset="{c}" complete_cpuset="{c}" nodeset="{n}" complete_nodeset="{n}"')

    def misc(label: str, ind: str) -> str:
        return f'{ind}<object type="Misc" name={quoteattr(label)} gp_index="{next(gp)}"/>\n'

    def label(key: str) -> str:
        dom = int(key[1:].split("v")[0])
        return f"{key} {names[dom]}" if dom in names else key

    allc, alln = _bitmap(cpus), _bitmap(nodes)
    x = ['<?xml version="1.0" encoding="UTF-8"?>\n', '<!DOCTYPE topology SYSTEM "hwloc2.dtd">\n',
         '<topology version="2.0">\n',
         f'  <object type="Machine" os_index="0" {sets(cpus, nodes)} allowed_cpuset="{allc}" '
         f'allowed_nodeset="{alln}" gp_index="{next(gp)}">\n',
         '    <info name="Backend" value="hvlab"/>\n']
    grouped = len(nodes) > 1
    for n in nodes:
        ncpus = [c for c in cpus if topo["cpus"][c] == n]
        ind = "      " if grouped else "    "
        if grouped:
            x.append(f'    <object type="Group" {sets(ncpus, [n])} gp_index="{next(gp)}" '
                     'kind="1001" subkind="0">\n')
        x.append(f'{ind}<object type="NUMANode" os_index="{n}" {sets(ncpus, [n])} '
                 f'gp_index="{next(gp)}" local_memory="{topo["mem_mib"][n] << 20}"')
        held = [(d, b[n]) for d, b in (mem or {}).items() if b.get(n)]
        if held:
            x.append(">\n")
            x += [misc(f"d{d}{' ' + names[d] if d in names else ''}: {b / (1 << 20):.1f} MiB",
                       ind + "  ") for d, b in held]
            x.append(f"{ind}</object>\n")
        else:
            x.append("/>\n")
        for c in ncpus:
            x.append(f'{ind}<object type="PU" os_index="{c}" {sets([c], [n])} '
                     f'gp_index="{next(gp)}"')
            ran = sorted(place.get(c, {}).items(), key=lambda kv: (-kv[1], kv[0]))
            big = [(k, s) for k, s in ran if s >= MIN_SHARE]
            if ran:
                x.append(">\n")
                x += [misc(f"{label(k)} {s:.0%}", ind + "  ") for k, s in big]
                if len(big) < len(ran):
                    rest = sum(s for _, s in ran[len(big):])
                    x.append(misc(f"+{len(ran) - len(big)} below 1% ({rest:.1%})", ind + "  "))
                x.append(f"{ind}</object>\n")
            else:
                x.append("/>\n")
        if grouped:
            x.append("    </object>\n")
    x.append("  </object>\n")
    if len(nodes) > 1:
        idx = "".join(f"{n} " for n in nodes)
        vals = "".join(f"{v} " for row in topo["distances"] for v in row)
        x += [f'  <distances2 type="NUMANode" nbobjs="{len(nodes)}" kind="5" '
              'name="NUMALatency" indexing="os">\n',
              f'    <indexes length="{len(idx)}">{idx}</indexes>\n',
              f'    <u64values length="{len(vals)}">{vals}</u64values>\n',
              "  </distances2>\n"]
    x.append("</topology>\n")
    return "".join(x)


def legend(topo: dict, mem: dict | None, basis: str) -> list[str]:
    nodes = sorted(topo["mem_mib"])
    lines = ["hvlab: pCPUs (PU) with the vCPUs that ran there, share of the measured time"
             f" ({basis})"]
    if len(nodes) > 1:
        lines.append("node distances: " + "; ".join(
            f"{n}: " + " ".join(str(v) for v in topo["distances"][n]) for n in nodes))
    if mem is None:
        lines.append("memory per domain and node: not traced (add \"mem\" to trace.classes)")
    return lines


def draw(xml_path: str, out_path: str, lines: list[str]) -> str | None:
    """lstopo XML -> picture (format from out_path's suffix); None or why it failed."""
    exe = shutil.which("lstopo") or shutil.which("lstopo-no-graphics")
    if not exe:
        return "lstopo not installed (Debian package hwloc: make deps)"
    fmt = os.path.splitext(out_path)[1][1:]
    fmt = "nativesvg" if fmt == "svg" else fmt     # text as text: searchable, no glyph paths
    cmd = [exe, "--input", xml_path, "--of", fmt, "-f", "--no-default-legend"]
    for line in lines:
        cmd += ["--append-legend", line]
    try:
        p = subprocess.run(cmd + [out_path], capture_output=True, text=True,
                           timeout=LSTOPO_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"lstopo did not finish in {LSTOPO_TIMEOUT_S} s"
    if p.returncode != 0:
        return (f"{' '.join(cmd[:3])} ... --of {fmt} failed ({p.returncode}): "
                + (p.stderr.strip().splitlines() or ["no message"])[-1])
    return None


def write(run_dir: str, console: str, an: Analysis, tr: T.Trace, names: dict[int, str],
          basis: str) -> dict:
    """topology.xml and topology.svg in run_dir -> the summary's "topology" section:
    the machine (nodes, pCPUs per node, MiB per node, distances), the picture's file
    name, or a note saying why there is none."""
    try:
        topo = parse(console)
    except TopoError as e:
        return {"note": f"no topology picture: {e}"}
    mem = memory(tr)
    nodes = sorted(topo["mem_mib"])
    out = {"nodes": len(nodes), "pcpus": len(topo["cpus"]),
           "pcpus_per_node": {str(n): [c for c in sorted(topo["cpus"]) if topo["cpus"][c] == n]
                              for n in nodes},
           "mem_mib_per_node": {str(n): topo["mem_mib"][n] for n in nodes},
           "distances": topo["distances"], "xml": "topology.xml"}
    xml_path = os.path.join(run_dir, "topology.xml")
    with open(xml_path, "w") as f:
        f.write(to_xml(topo, placement(an), mem, names))
    why = draw(xml_path, os.path.join(run_dir, "topology.svg"), legend(topo, mem, basis))
    if why:
        out["note"] = f"no topology picture: {why}"
    else:
        out["picture"] = "topology.svg"
    return out
