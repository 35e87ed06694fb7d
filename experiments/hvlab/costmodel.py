"""The cost model's plugin from the harness's side (docs/cost-model.md): whether the
installed QEMU loads it, its QEMU arguments for a run (TLB models from the cost
tables, NUMA ranges from the topology), its counts file, and modelled cycles by
category for a whole run (modelled_cycles)."""
from __future__ import annotations

import glob
import json
import os
import subprocess
from typing import Sequence

from . import costtable

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLUGIN = os.path.join(REPO, "build", "costmodel", "costmodel.so")
STATUS = os.path.join(REPO, "build", "costmodel", "plugins.status")
SYMBOLS = os.path.join(REPO, "build", "hvlab64.elf")
HINT_SYMBOL = "costmodel_hint"
STUBS_SYMBOL = "trap_stubs"             # core/arch/x86/entry.S: 256 stubs of 16 bytes
COSTS = os.path.join(REPO, "costs")
# The HVM runtime's identity map (guest/hvm/boot.S): guest VAs below are 2 MiB pages,
# guest-physical = VA. Also hvlab's own boot map and a native kernel's.
GUEST_2M_END = 1 << 32
# QEMU's pc machine puts RAM below this contiguously from 0 (the PCI hole is above):
# node ranges are given to the plugin only for machines whose RAM all lies below it.
PC_LOWMEM = 0xB000_0000


class CostModelError(Exception):
    pass


def plugin_status() -> str:
    """ "yes", or "no: <why>" (make costmodel probes QEMU once and caches the answer)."""
    try:
        with open(STATUS) as f:
            return f.read().strip() or "no: empty status file"
    except OSError:
        return f"no: {os.path.relpath(STATUS, REPO)} missing (run `make costmodel`)"


def symbol_address(name: str, elf: str = SYMBOLS) -> int:
    """The address of one of the hypervisor's symbols."""
    try:
        out = subprocess.run(["nm", elf], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise CostModelError(f"{elf}: cannot read symbols: {e}") from e
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise CostModelError(f"{elf}: no symbol {name}")


def cost_tables(paths: Sequence[str] | None = None) -> list[costtable.CostTable]:
    """The cost tables (default: every costs/*.toml), loaded and checked."""
    if paths is None:
        paths = sorted(glob.glob(os.path.join(COSTS, "*.toml")))
    return [costtable.load(p) for p in paths]


def plugin_phys(block_offset: int, region_addr: int) -> int:
    """Where the plugin sees the first byte of a node's RAM. QEMU 7.2's
    qemu_plugin_hwaddr_phys_addr returns the RAM block's offset in QEMU's RAM space plus
    the byte's offset in the block plus the block's memory region's address
    (block->offset + offset + mr->addr), not the guest-physical address. With one RAM
    block (no NUMA) both are 0 and the answer is the physical address; with a memdev per
    node, node n's block is allocated n-th (offset n x per) and its region is mapped at
    n x per, so node n appears at 2n x per (measured: a domain bound to node 1 on a pCPU
    of node 1 counted only remote accesses with physical ranges; tests/harness/
    test_numa_report.py)."""
    return block_offset + region_addr


def numa_args(topo) -> list[str]:
    """The plugin's NUMA arguments for a machine.Topology: each node's RAM (QEMU's pc
    machine lays node n's memdev after node n-1's, from physical 0) as the plugin sees
    it (plugin_phys), each pCPU's node, the SLIT row by row."""
    per = topo.node_mem_mib() << 20
    if per * topo.nodes > PC_LOWMEM:
        raise CostModelError(f"NUMA accounting: {topo.mem_mib} MiB of RAM reaches the PCI "
                             f"hole at {PC_LOWMEM:#x}: node ranges not modelled")
    args = [f"node{n}={plugin_phys(n * per, n * per):#x}-"
            f"{plugin_phys(n * per, n * per) + per:#x}" for n in range(topo.nodes)]
    args.append("cpunodes=" + ".".join(str(topo.cpu_node(c)) for c in range(topo.cpus)))
    args.append("slit=" + ".".join(str(topo.distance(a, b)) for a in range(topo.nodes)
                                   for b in range(topo.nodes)))
    return args


def plugin_args(out_path: str, elf: str = SYMBOLS, topology=None,
                tables: Sequence[costtable.CostTable] | None = None) -> list[str]:
    """QEMU's arguments to run the plugin, writing its counts to out_path: one TLB
    model per cost table (default: every costs/*.toml) and, given the run's
    machine.Topology, NUMA accounting."""
    tables = cost_tables() if tables is None else tables
    if len(tables) > 4:
        raise CostModelError(f"{len(tables)} cost tables: the plugin simulates at most 4 TLBs")
    opts = [f"file={PLUGIN}", f"out={os.path.abspath(out_path)}",
            f"hint={symbol_address(HINT_SYMBOL, elf):#x}",
            f"stubs={symbol_address(STUBS_SYMBOL, elf):#x}",
            f"guest2m={GUEST_2M_END:#x}"]
    opts += [f"tlb{i}={t.plugin_tlb_arg()}" for i, t in enumerate(tables)]
    if topology is not None:
        opts += numa_args(topology)
    return ["-plugin", ",".join(opts)]


def load_counts(path: str) -> list[dict]:
    """The plugin's counts: one dict per vCPU ("who": "vcpu", domain, vcpu), idle
    pCPU ("idle", pcpu) and "boot" (before the first hint)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise CostModelError(f"{path}: {e}") from e
    if data.get("format") != "hvlab-costmodel-1":
        raise CostModelError(f"{path}: not a cost-model counts file")
    if data.get("lost_pcpu_callbacks"):
        raise CostModelError(f"{path}: {data['lost_pcpu_callbacks']} callbacks from "
                             "pCPUs beyond the plugin's table")
    return data["counts"]


def _add(into: dict, c: dict) -> None:
    """Adds c's numbers into into, nested dicts (the TLB counts) too."""
    for k, v in c.items():
        if isinstance(v, dict):
            _add(into.setdefault(k, {}), v)
        elif isinstance(v, int) and not isinstance(v, bool) and k not in ("domain", "vcpu", "pcpu"):
            into[k] = into.get(k, 0) + v


def per_domain(counts: list[dict]) -> dict[int, dict]:
    """The vCPU entries summed per domain id (the TLB counts too)."""
    out: dict[int, dict] = {}
    for c in counts:
        if c["who"] == "vcpu":
            _add(out.setdefault(c["domain"], {}), c)
    return out


def tlb_walks(c: dict, model: str, mode: str) -> dict[str, int]:
    """Walks of one domain/vCPU's counts in one mode under one TLB model, by kind:
    {"i_1d_4k": n, "d_2d_2m": n, ...} (fetch or data, 1D or 2D, 4 KiB or 2 MiB), and
    "total"."""
    m = c["tlb"][model][mode]
    out = {k[len("walks_"):]: v for k, v in m.items() if k.startswith("walks_")}
    out["total"] = sum(out.values())
    return out


# Keys priced as the hypervisor's, by reason (mode "hv" of every vCPU, idle and boot).
HV_REASONS = {
    "world_switch": ("world_switch",),
    "hypercall_entry": ("syscall", "sysret"),
    "interrupt_entry": ("entry", "iret"),
    "tlb": ("stlb_hit", "walk_ref", "invlpg"),
    "numa": ("mem_remote",),
    "code": ("base_cpi", "mem_access"),
}


def modelled_cycles(counts: list[dict], table: costtable.CostTable,
                    native: bool = False) -> dict[str, float]:
    """Modelled cycles of a whole run (load_counts' list) under one cost table, by
    category: "guest" (every domU's guest mode), "dom0" (dom0's guest mode),
    "hypervisor/<reason>" for each reason of HV_REASONS (the hypervisor's own cycles
    and the hardware transitions it takes: world switches, SYSCALL entries,
    interrupt/exception entries, its TLB misses, remote accesses, its code), "idle"
    (the idle vCPUs: under icount hvlab's idle loop executes instead of halting, so
    this is time with nothing to run, not a cost) and "total". hvlab's boot counts as
    hypervisor; with native=True (a kernel booted with no hypervisor) "boot" is that
    kernel's guest mode: "guest"."""
    out = {"guest": 0.0, "dom0": 0.0}
    out.update({f"hypervisor/{r}": 0.0 for r in HV_REASONS})
    out["idle"] = 0.0
    for c in counts:
        for mode in ("guest", "hv"):
            ev = costtable.mode_event_counts(c, mode, table.model)
            cyc = {k: n * table.cycles[k] for k, n in ev.items()}
            if c["who"] == "idle":
                out["idle"] += sum(cyc.values())
                continue
            if mode == "guest" and (c["who"] == "vcpu" or (native and c["who"] == "boot")):
                out["dom0" if c.get("domain") == 0 else "guest"] += sum(cyc.values())
                continue
            if mode == "guest" and c["who"] != "vcpu":
                # Guest-mode work outside any vCPU: hvlab's early boot in its lower-half
                # identity map; priced as the hypervisor's code.
                out["hypervisor/code"] += sum(cyc.values())
                continue
            for r, keys in HV_REASONS.items():
                out[f"hypervisor/{r}"] += sum(cyc[k] for k in keys)
    out["total"] = sum(out.values())
    return out
