"""Cost tables (costs/*.toml, docs/cost-model.md "Cost tables") and modelled cycles.

A table has [cpu] (name, vendor), one [costs.<key>] per event in KEYS, each with a
non-negative number `cycles` and a non-empty `source` (a manual, a paper with its
year, or a measurement anyone can repeat), and one [tlb.<level>] per level in
TLB_LEVELS with `entries`, `ways` (positive integers, entries a multiple of ways) and
`source`. load() refuses a missing or unknown key, a negative or non-numeric cost, a
bad TLB size and a constant without source, with the file, the key and the problem.
modelled_cycles() = counts x costs for one set of counts (costmodel.modelled_cycles
groups a whole run by category)."""
from __future__ import annotations

import dataclasses
import math
import os
import tomllib

# Key -> what it prices (the plugin's counts, docs/cost-model.md).
KEYS = {
    "base_cpi": "cycles per executed instruction (guest and hypervisor)",
    "mem_access": "extra cycles per memory access (cache/TLB misses are not modelled)",
    "world_switch": "hardware cost of one VMRUN/#VMEXIT round trip beyond its instructions",
    "syscall": "hardware cost of one SYSCALL (a PV hypercall entry)",
    "sysret": "hardware cost of one SYSRET",
    "iret": "hardware cost of one IRET (guest or hypervisor)",
    "entry": "hardware cost of one exception or interrupt entry into the hypervisor",
    "stlb_hit": "cycles of an L1 TLB miss that hits the L2 TLB (STLB)",
    "walk_ref": "cycles per memory reference of a page walk (1D: 3-4, 2D: up to 24)",
    "invlpg": "cost of one INVLPG/INVLPGA, including the later refill of the entry",
    "mem_remote": "extra cycles of a memory access to a remote node at SLIT distance 21 "
                  "(scaled by (distance - 10) / 11), averaged over cache hits and misses",
}
# TLB level -> what it is (tools/costmodel/tlb.h): sizes the plugin's TLB model.
TLB_LEVELS = {
    "l1i": "L1 instruction TLB",
    "l1d": "L1 data TLB",
    "l2": "L2 TLB (STLB), shared by fetches and data",
}
TLB_FIELDS = ("entries", "ways", "source")
CPU_KEYS = {"name", "vendor"}


class CostTableError(Exception):
    pass


@dataclasses.dataclass
class CostTable:
    path: str
    name: str
    vendor: str
    cycles: dict[str, float]
    sources: dict[str, str]
    tlb: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)
    tlb_sources: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def model(self) -> str:
        """The table's file name without .toml: names its TLB model in the plugin's
        counts (costmodel.plugin_args)."""
        base = os.path.basename(self.path)
        return base[:-5] if base.endswith(".toml") else base

    def plugin_tlb_arg(self) -> str:
        """NAME:l1i_entries:l1i_ways:l1d_entries:l1d_ways:l2_entries:l2_ways."""
        return ":".join([self.model] + [str(n) for lv in ("l1i", "l1d", "l2")
                                        for n in self.tlb[lv]])


def _fail(path: str, key: str, problem: str) -> CostTableError:
    return CostTableError(f"{path}: {key}: {problem}")


def loads(text: str, path: str = "<cost table>") -> CostTable:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CostTableError(f"{path}: not TOML: {e}") from e
    for k in doc:
        if k not in ("cpu", "costs", "tlb"):
            raise _fail(path, k, "unknown table (expected [cpu], [costs.*] and [tlb.*])")
    cpu = doc.get("cpu")
    if not isinstance(cpu, dict):
        raise _fail(path, "cpu", "missing [cpu] table")
    for k in cpu:
        if k not in CPU_KEYS:
            raise _fail(path, f"cpu.{k}", "unknown key")
    for k in sorted(CPU_KEYS):
        if not isinstance(cpu.get(k), str) or not cpu[k].strip():
            raise _fail(path, f"cpu.{k}", "missing (a non-empty string)")
    costs = doc.get("costs")
    if not isinstance(costs, dict):
        raise _fail(path, "costs", "missing [costs.*] tables")
    for k in costs:
        if k not in KEYS:
            raise _fail(path, f"costs.{k}", f"unknown key (known: {', '.join(KEYS)})")
    cycles, sources = {}, {}
    for k in KEYS:
        name = f"costs.{k}"
        c = costs.get(k)
        if c is None:
            raise _fail(path, name, f"missing ({KEYS[k]})")
        if not isinstance(c, dict):
            raise _fail(path, name, "must be a table with cycles and source")
        for f in c:
            if f not in ("cycles", "source"):
                raise _fail(path, f"{name}.{f}", "unknown field (cycles, source)")
        v = c.get("cycles")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _fail(path, f"{name}.cycles", "missing or not a number")
        if not math.isfinite(v):
            raise _fail(path, f"{name}.cycles", f"not finite: {v}")
        if v < 0:
            raise _fail(path, f"{name}.cycles", f"negative cost {v}")
        s = c.get("source")
        if not isinstance(s, str) or not s.strip():
            raise _fail(path, f"{name}.source", "no source for this constant")
        cycles[k], sources[k] = float(v), s.strip()
    tlb, tlb_sources = _tlb_levels(doc.get("tlb"), path)
    return CostTable(path, cpu["name"], cpu["vendor"], cycles, sources, tlb, tlb_sources)


def _tlb_levels(tlb, path: str) -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
    if not isinstance(tlb, dict):
        raise _fail(path, "tlb", "missing [tlb.*] tables (" + ", ".join(TLB_LEVELS) + ")")
    for k in tlb:
        if k not in TLB_LEVELS:
            raise _fail(path, f"tlb.{k}", f"unknown TLB level (known: {', '.join(TLB_LEVELS)})")
    sizes, sources = {}, {}
    for k, what in TLB_LEVELS.items():
        name = f"tlb.{k}"
        t = tlb.get(k)
        if not isinstance(t, dict):
            raise _fail(path, name, f"missing ({what}: entries, ways, source)")
        for f in t:
            if f not in TLB_FIELDS:
                raise _fail(path, f"{name}.{f}", "unknown field (entries, ways, source)")
        n = {}
        for f in ("entries", "ways"):
            v = t.get(f)
            if isinstance(v, bool) or not isinstance(v, int):
                raise _fail(path, f"{name}.{f}", "missing or not an integer")
            if not 1 <= v <= 1 << 20:
                raise _fail(path, f"{name}.{f}", f"{v} out of range 1..{1 << 20}")
            n[f] = v
        if n["entries"] % n["ways"]:
            raise _fail(path, f"{name}.entries", f"{n['entries']} entries is not a multiple "
                        f"of {n['ways']} ways")
        s = t.get("source")
        if not isinstance(s, str) or not s.strip():
            raise _fail(path, f"{name}.source", "no source for this constant")
        sizes[k], sources[k] = (n["entries"], n["ways"]), s.strip()
    return sizes, sources


def load(path: str) -> CostTable:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise CostTableError(f"{path}: cannot read: {e.strerror}") from e
    return loads(text, path)


def tlb_counts(c: dict, model: str, mode: str) -> dict[str, int]:
    """The TLB events of one mode ("guest" or "hv") under one TLB model, from the
    plugin's counts of one vCPU or domain; every count 0 when the plugin ran without
    a TLB model (older counts files)."""
    t = c.get("tlb")
    if t is None:
        return {"l2_hits": 0, "walk_refs": 0}
    if model not in t:
        raise KeyError(f"the counts have no TLB model {model!r} (have: {', '.join(t) or 'none'})")
    m = t[model][mode]
    return {"l2_hits": m["dtlb_l2_hits"] + m["itlb_l2_hits"], "walk_refs": m["walk_refs"]}


def mode_event_counts(c: dict, mode: str, model: str) -> dict[str, int]:
    """The events of one mode ("guest" or "hv") as the table's keys. World switches,
    SYSCALL/SYSRET and entries are the hypervisor's (they are counted for the vCPU
    whose guest mode they interrupt, and priced in "hv")."""
    hv = mode == "hv"
    t = tlb_counts(c, model, mode)
    return {
        "base_cpi": c[f"{mode}_insns"],
        "mem_access": c[f"{mode}_mem"],
        "world_switch": c["vmexit"] if hv else 0,
        "syscall": c["syscall"] if hv else 0,
        "sysret": c["sysret"] if hv else 0,
        "iret": c[f"{mode}_iret"],
        "entry": c["guest_entries"] + c["hv_entries"] if hv else 0,
        "stlb_hit": t["l2_hits"],
        "walk_ref": t["walk_refs"],
        "invlpg": c.get(f"{mode}_invlpg", 0),
        "mem_remote": c.get(f"{mode}_mem_remote_slit", 0) / 11,
    }


def event_counts(c: dict, model: str = "") -> dict[str, float]:
    """The plugin's counts of one vCPU or domain (costmodel.per_domain) as the table's
    keys, both modes together: what each cost multiplies."""
    g, h = mode_event_counts(c, "guest", model), mode_event_counts(c, "hv", model)
    return {k: g[k] + h[k] for k in KEYS}


def modelled_cycles(c: dict, table: CostTable) -> dict[str, float]:
    """Cycles per key and "total" for one set of counts."""
    out = {k: n * table.cycles[k] for k, n in event_counts(c, table.model).items()}
    out["total"] = sum(out.values())
    return out
