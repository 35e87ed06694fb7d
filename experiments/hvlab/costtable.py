"""Cost tables (costs/*.toml, docs/cost-model.md "Cost tables") and modelled cycles.

A table has [cpu] (name, vendor) and one [costs.<key>] per event in KEYS, each with a
non-negative number `cycles` and a non-empty `source` (a manual, a paper with its
year, or a measurement anyone can repeat). load() refuses a missing or unknown key, a
negative or non-numeric cost and a constant without source, with the file, the key
and the problem. modelled_cycles() = counts x costs."""
from __future__ import annotations

import dataclasses
import math
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
}
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


def _fail(path: str, key: str, problem: str) -> CostTableError:
    return CostTableError(f"{path}: {key}: {problem}")


def loads(text: str, path: str = "<cost table>") -> CostTable:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CostTableError(f"{path}: not TOML: {e}") from e
    for k in doc:
        if k not in ("cpu", "costs"):
            raise _fail(path, k, "unknown table (expected [cpu] and [costs.*])")
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
    return CostTable(path, cpu["name"], cpu["vendor"], cycles, sources)


def load(path: str) -> CostTable:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise CostTableError(f"{path}: cannot read: {e.strerror}") from e
    return loads(text, path)


def event_counts(c: dict[str, int]) -> dict[str, int]:
    """The plugin's counts of one vCPU or domain (costmodel.per_domain) as the table's
    keys: what each cost multiplies."""
    return {
        "base_cpi": c["guest_insns"] + c["hv_insns"],
        "mem_access": c["guest_mem"] + c["hv_mem"],
        "world_switch": c["vmexit"],
        "syscall": c["syscall"],
        "sysret": c["sysret"],
        "iret": c["guest_iret"] + c["hv_iret"],
        "entry": c["guest_entries"] + c["hv_entries"],
    }


def modelled_cycles(c: dict[str, int], table: CostTable) -> dict[str, float]:
    """Cycles per key and "total" for one set of counts."""
    out = {k: n * table.cycles[k] for k, n in event_counts(c).items()}
    out["total"] = sum(out.values())
    return out
