"""Experiment files (TOML): loading, checking, and what one run of them needs.

An experiment names a machine (topology, mode), the policies to compare, a duration,
the trace classes and the domains. load() checks every key: each problem is reported
as "<file>: <dotted key>: <problem>" (e.g. "x.toml: domain[2].weight: 0 is out of
range 1..65535"), all of them at once, in an ExperimentError. The reference is
docs/experiments.md.

For each configuration (scheduler x repetition) write_inputs() produces dom0's
inputs (one xl.cfg file per domain and the scenario script) and launch_args() what
machine.launch() needs to start QEMU (plus the ivshmem trace region).
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import stat
import tomllib
from typing import Sequence

from . import machine
from . import schedparams
from . import stats
from . import trace as T

DOM0_RESERVED_MIB = 96          # dom0 (64 MiB) and the hypervisor's own frames
MAX_DOMAINS = 32
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,30}")
_SCHED = re.compile(r"[a-z][a-z0-9_]{0,14}")
_IMAGE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_CPULIST = re.compile(r"all|\d+(-\d+)?(,\d+(-\d+)?)*")
# memory_policy and nodes (docs/memory-policies.md): which names exist is the
# hypervisor's to say (xl create refuses others, naming the key).
_MM_POLICY = re.compile(r"[a-z][a-z0-9-]{0,14}(:(4K|2M))?")
# A vif entry as xl takes it ('mac=00:16:3e:00:00:01, bridge=br0'): dom0 checks its
# keys and values; here only that it cannot break out of its quotes.
_VIF = re.compile(r"[A-Za-z0-9_:=., -]{0,80}")
MAX_VIFS = 4                                # XLCFG_MAX_VIFS
# A disk entry as xl takes it ('target=vd0:0+8192, vdev=xvda'): dom0 checks it.
_DISK = re.compile(r"[A-Za-z0-9_:=.,+ -]{0,80}")
MAX_DISKS = 4                               # XLCFG_MAX_DISKS
# A dom0 command of the scenario (dom0_commands): xl checks it; here only that it is
# one line of printable text.
_DOM0_CMD = re.compile(r"[A-Za-z0-9_:=.,+/ -]{1,200}")


class ExperimentError(Exception):
    """Every problem found in an experiment file, one per line."""


@dataclasses.dataclass
class Domain:
    name: str
    image: str
    args: str = ""
    type: str = "pv"
    memory: int = 16
    vcpus: int = 1
    cpus: str | None = None
    pool: str | None = None
    memory_policy: str | None = None     # mmpolicy: passed to the cfg as written
    nodes: str | None = None
    vifs: list = dataclasses.field(default_factory=list)     # PV network (network.md)
    disks: list = dataclasses.field(default_factory=list)    # disk = [...] (block.md)
    # Scheduler parameters by their declared names (schedparams.py), in file order.
    params: dict = dataclasses.field(default_factory=dict)

    @property
    def kernel(self) -> str:
        """The boot module dom0's `xl create` loads: the workload's PV image, or its
        HVM build (Multiboot, same source) that `make` puts next to it."""
        return f"{self.image}-hvm.elf" if self.type == "hvm" else f"{self.image}.elf"

    # What the analysis reads: a weight for shares, a server (period, budget) for
    # deadlines; None where no parameter of that name was given.
    @property
    def weight(self) -> int | None:
        return self.params.get("weight")

    @property
    def cap(self) -> int | None:
        return self.params.get("cap")

    @property
    def period_us(self) -> int | None:
        return self.params.get("period")

    @property
    def budget_us(self) -> int | None:
        return self.params.get("budget")

    @property
    def extratime(self) -> bool | None:
        return self.params.get("extratime")


@dataclasses.dataclass
class Config:
    index: int              # 1-based, in run order
    scheduler: str
    rep: int                # 1-based
    key: str                # "credit-r1": the run's folder under runs/
    # The repetition's seed (stats.rep_seed of [samples] seed), None without [samples]:
    # it perturbs the scenario (creation order, start offsets), never host time.
    seed: int | None = None


@dataclasses.dataclass
class Experiment:
    path: str
    text: str
    name: str
    description: str
    topology: machine.Topology
    mode: str
    schedulers: list[str]
    duration_ms: int
    repetitions: int
    timeout_s: float
    trace_enabled: bool
    trace_classes: list[str]
    ring_records: int
    shm_mib: int
    window_ms: float
    gantt_ms: float
    domains: list[Domain]
    # pdisk: sizes of the zero-filled disk images attached as vd0, vd1, ... (fresh
    # for every run, removed after it: docs/native-disk.md)
    disks_mib: list[int] = dataclasses.field(default_factory=list)
    # iobench (docs/io-benchmarks.md): xl commands the scenario runs after creating
    # the domains (e.g. disk-bench in dom0); native: boot the only domain's HVM build
    # on bare QEMU (no hypervisor, no dom0, no trace) with its args as command line.
    dom0_commands: list[str] = dataclasses.field(default_factory=list)
    native: bool = False
    # [samples] (docs/statistics.md): base seed (None: no perturbation, repetitions
    # of a deterministic run are identical), the largest start offset before each
    # domain's creation, whether the creation order is shuffled; the warm-up that
    # every metric leaves out, counted from the moment the last domain starts.
    seed: int | None = None
    start_offset_ms: int = 0
    shuffle: bool = False
    warmup_ms: float = 0.0
    # "trace_start": measure the whole trace, domain creation included (for checks of
    # what the trace holds); the default measures from the last domain's start.
    measure_from: str = "last_domain_start"
    # analysis.interval_ms: width of the interval CSVs (analyze_intervals.py)
    interval_ms: float = 100.0

    @property
    def deterministic(self) -> bool:
        return self.mode == "deterministic"

    @property
    def trace_mask(self) -> int:
        return T.class_mask(self.trace_classes)

    def configs(self) -> list[Config]:
        out = []
        for s in self.schedulers:
            for r in range(1, self.repetitions + 1):
                seed = None if self.seed is None else stats.rep_seed(self.seed, r)
                out.append(Config(len(out) + 1, s, r, f"{s}-r{r}", seed))
        return out

    def start_plan(self, seed: int | None) -> list[tuple[int, int]]:
        """(domain index in file order, ms dom0 sleeps before creating it), in creation
        order: file order without delays when seed is None; otherwise the order
        shuffled (if shuffle) and each delay drawn from 0..start_offset_ms by
        stats.Rng(seed), so the same seed always gives the same plan."""
        idx = list(range(len(self.domains)))
        if seed is None:
            return [(i, 0) for i in idx]
        rng = stats.Rng(seed)
        order = rng.shuffle(idx) if self.shuffle else idx
        return [(i, rng.below(self.start_offset_ms + 1) if self.start_offset_ms else 0)
                for i in order]

    def domids(self, cfg: Config | None = None) -> dict[int, int]:
        """domain index in file order -> its domid: 1, 2, ... in creation order (dom0
        is 0; the scenario creates them one after another)."""
        plan = self.start_plan(cfg.seed if cfg else None)
        return {i: n + 1 for n, (i, _) in enumerate(plan)}

    def rt_params(self, cfg: Config | None = None) -> dict[int, tuple[int, int]]:
        """domid -> (period ns, budget ns) of the real-time domains: period and budget
        set and no extratime (a domain with extratime is a best-effort domain that
        rtds merely rations)."""
        ids = self.domids(cfg)
        return {ids[i]: (d.period_us * 1000, d.budget_us * 1000)
                for i, d in enumerate(self.domains)
                if d.period_us and d.budget_us and not d.extratime}


def _show(v) -> str:
    """v as the file spells it, shortened: a bad value can be a huge nested array."""
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


class _Checker:
    """Collects problems; each getter returns the value or None (problem noted)."""

    def __init__(self, path: str):
        self.path, self.errors = path, []

    def err(self, key: str, why: str) -> None:
        self.errors.append(f"{self.path}: {key}: {why}")

    def take(self, table: dict, prefix: str, key: str, kind, default=None, required=False,
             lo=None, hi=None, choices=None, pattern=None):
        dotted = f"{prefix}{key}"
        if key not in table:
            if required:
                self.err(dotted, "missing (required)")
            return default
        v = table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(v, bool) and bool not in kinds or not isinstance(v, kinds):
            names = " or ".join({int: "an integer", float: "a number", str: "a string",
                                 bool: "true or false", list: "a list",
                                 dict: "a table"}[k] for k in kinds)
            self.err(dotted, f"expected {names}, got {type(v).__name__} {_show(v)}")
            return default
        if isinstance(v, float) and not math.isfinite(v):
            self.err(dotted, f"{v} is not a finite number")
            return default
        if lo is not None and v < lo or hi is not None and v > hi:
            self.err(dotted, f"{v} is out of range {lo}..{hi}")
            return default
        if choices is not None and v not in choices:
            self.err(dotted, f"{v!r} is not one of {', '.join(map(repr, choices))}")
            return default
        if pattern is not None and not pattern.fullmatch(v):
            self.err(dotted, f"{v!r} is not a valid value (allowed: {pattern.pattern})")
            return default
        return v

    def unknown(self, table: dict, prefix: str, known) -> None:
        for k in table:
            if k not in known:
                self.err(f"{prefix}{k}", f"unknown key (known: {', '.join(known)})")


TOP_KEYS = ("name", "description", "mode", "schedulers", "scheduler", "duration_ms",
            "repetitions", "timeout_s", "topology", "trace", "analysis", "domain",
            "dom0_commands", "native", "samples",
            "pv_vs_hvm",    # the report's own table (pvhvm_run.load_spec), not a run's
            "numa")         # the NUMA experiment's configurations (numa_run.load_spec)
TOPO_KEYS = ("cpus", "nodes", "mem_mib", "distances", "disks_mib")
TRACE_KEYS = ("enabled", "classes", "ring_records", "shm_mib")
ANALYSIS_KEYS = ("window_ms", "gantt_ms", "warmup_ms", "measure_from", "interval_ms")
MEASURE_FROM = ("last_domain_start", "trace_start")
SAMPLES_KEYS = ("seed", "start_offset_ms", "shuffle")
START_OFFSET_MS_DEFAULT = 10
# Any other key of a [[domain]] is a scheduler parameter: it must be declared by one
# of the experiment's schedulers at least (schedparams.py).
DOMAIN_KEYS = ("name", "image", "type", "args", "memory", "vcpus", "cpus", "pool", "vif",
               "disk", "memory_policy", "nodes")
DOMAIN_TYPES = ("pv", "hvm")
_TABLE = re.compile(r"\s*\[")
_DOMAIN_TABLE = re.compile(r"\s*\[\[\s*domain\s*\]\]")


def key_line(text: str, index: int, key: str) -> int | None:
    """1-based line of `key = ...` in the index-th [[domain]] table of text (tomllib
    gives values, not positions), or None when it is not written that way."""
    seen, inside = -1, False
    for n, line in enumerate(text.splitlines(), 1):
        if _DOMAIN_TABLE.match(line):
            seen += 1
            inside = seen == index
        elif _TABLE.match(line):
            inside = False
        elif inside and re.match(r"\s*%s\s*=" % re.escape(key), line):
            return n
    return None


def nesting(text: str) -> tuple[int, int]:
    """(deepest nesting of [ and { outside strings and comments, its 1-based line)."""
    depth = deepest = 0
    line = at = 1
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif c in "\"'":
            quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else c
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                if text[i] == "\\" and quote[0] == '"':
                    i += 1
                elif text[i] == "\n":
                    line += 1
                i += 1
            i += len(quote)
            continue
        elif c in "[{":
            depth += 1
            if depth > deepest:
                deepest, at = depth, line
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return deepest, at


def _pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def loads(text: str, path: str = "<experiment>", check_params: bool = True) -> Experiment:
    """check_params False: scheduler parameters are kept without checking them against
    today's declarations (a results folder records what was run then: it must stay
    reportable after a policy changes its parameters)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ExperimentError(f"{path}: TOML syntax: {e}") from None
    except RecursionError:
        # tomllib recurses once per level of nested arrays / inline tables.
        depth, line = nesting(text)
        raise ExperimentError(f"{path}: line {line}: arrays or inline tables nested "
                              f"{depth} deep, too deep for the TOML parser (experiment "
                              "files need 2)") from None
    c = _Checker(path)
    if "sweep" in doc:      # sweep.py takes the table off before it calls loads()
        c.err("sweep", "a sweep file: run it with `hvlab sweep` (docs/sweeps.md)")
        doc = {k: v for k, v in doc.items() if k != "sweep"}
    c.unknown(doc, "", TOP_KEYS)
    name = c.take(doc, "", "name", str, required=True, pattern=_NAME)
    description = c.take(doc, "", "description", str, "")
    mode = c.take(doc, "", "mode", str, "deterministic", choices=("deterministic", "realtime"))
    if "schedulers" in doc and "scheduler" in doc:
        c.err("scheduler", "give either scheduler or schedulers, not both")
    scheds: list[str] = []
    if "scheduler" in doc:
        s = c.take(doc, "", "scheduler", str, pattern=_SCHED)
        scheds = [s] if s else []
    else:
        lst = c.take(doc, "", "schedulers", list, required=True) or []
        if "schedulers" in doc and isinstance(doc["schedulers"], list) and not lst:
            c.err("schedulers", "empty list: name at least one scheduler")
        for i, s in enumerate(lst):
            if not isinstance(s, str) or not _SCHED.fullmatch(s):
                c.err(f"schedulers[{i}]", f"{_show(s)} is not a scheduler name")
            elif s in scheds:
                c.err(f"schedulers[{i}]", f"{s!r} is listed twice")
            else:
                scheds.append(s)
    duration = c.take(doc, "", "duration_ms", int, required=True, lo=1, hi=600_000)
    reps = c.take(doc, "", "repetitions", int, 1, lo=1, hi=100)

    topo_t = c.take(doc, "", "topology", dict, {})
    c.unknown(topo_t, "topology.", TOPO_KEYS)
    cpus = c.take(topo_t, "topology.", "cpus", int, 2, lo=1, hi=64)   # NR_CPUS
    nodes = c.take(topo_t, "topology.", "nodes", int, 1, lo=1, hi=8)
    mem = c.take(topo_t, "topology.", "mem_mib", int, 256, lo=64, hi=16384)
    dists = c.take(topo_t, "topology.", "distances", list, [])
    if cpus and nodes and cpus % nodes:
        c.err("topology.nodes", f"{nodes} does not divide cpus = {cpus}")
    if mem and nodes and (mem % nodes or mem // nodes < 32):
        c.err("topology.mem_mib", f"{mem} must split evenly over {nodes} nodes, >= 32 each")
    disks = c.take(topo_t, "topology.", "disks_mib", list, [])
    if isinstance(disks, list) and len(disks) > 4:
        c.err("topology.disks_mib", f"{len(disks)} disks: at most 4 (dom0's PDISK_MAX)")
    for i, n in enumerate(disks if isinstance(disks, list) else []):
        if type(n) is not int or not 1 <= n <= 4096:
            c.err(f"topology.disks_mib[{i}]", f"{_show(n)}: expected MiB, 1..4096")
    triples = []
    for i, d in enumerate(dists):
        ok = (isinstance(d, list) and len(d) == 3 and all(type(x) is int for x in d))
        if not ok or not (0 <= d[0] < d[1] < (nodes or 1) and 10 < d[2] <= 254):
            c.err(f"topology.distances[{i}]", f"{_show(d)}: expected [a, b, distance] with "
                  f"0 <= a < b < nodes and 10 < distance <= 254")
        else:
            triples.append(tuple(d))

    tr = c.take(doc, "", "trace", dict, {})
    c.unknown(tr, "trace.", TRACE_KEYS)
    enabled = c.take(tr, "trace.", "enabled", bool, True)
    classes = c.take(tr, "trace.", "classes", list, ["sched", "policy", "dom"])
    for i, cl in enumerate(classes):
        if not isinstance(cl, str) or cl != "all" and cl not in T.CLASSES:
            c.err(f"trace.classes[{i}]", f"{_show(cl)} is not a trace class (known: "
                  f"{', '.join(T.CLASSES)}, all)")
    ring = c.take(tr, "trace.", "ring_records", int, 32768, lo=64, hi=1 << 22)
    if ring and not _pow2(ring):
        c.err("trace.ring_records", f"{ring} is not a power of two")
    shm = c.take(tr, "trace.", "shm_mib", int, 64, lo=1, hi=1024)
    if shm and not _pow2(shm):
        c.err("trace.shm_mib", f"{shm} is not a power of two (ivshmem needs one)")

    an = c.take(doc, "", "analysis", dict, {})
    c.unknown(an, "analysis.", ANALYSIS_KEYS)
    window = c.take(an, "analysis.", "window_ms", (int, float), 10, lo=0.001, hi=60_000)
    gantt = c.take(an, "analysis.", "gantt_ms", (int, float), 100, lo=0.001, hi=600_000)
    warmup = c.take(an, "analysis.", "warmup_ms", (int, float), 0, lo=0, hi=600_000)
    interval = c.take(an, "analysis.", "interval_ms", (int, float), 100, lo=0.001,
                      hi=600_000)
    if duration and warmup and warmup >= duration * 10:
        c.err("analysis.warmup_ms", f"{warmup} is 10 times duration_ms = {duration} or more: "
              "is it in ms?")

    measure_from = c.take(an, "analysis.", "measure_from", str, MEASURE_FROM[0],
                          choices=MEASURE_FROM)
    if measure_from == "trace_start" and warmup:
        c.err("analysis.warmup_ms", "a warm-up needs measure_from = "
              "\"last_domain_start\" (it is counted from the last domain's start)")

    smp = c.take(doc, "", "samples", dict, {})
    c.unknown(smp, "samples.", SAMPLES_KEYS)
    seed = c.take(smp, "samples.", "seed", int, None, lo=0, hi=(1 << 63) - 1,
                  required=bool(smp))
    offset = c.take(smp, "samples.", "start_offset_ms", int, START_OFFSET_MS_DEFAULT,
                    lo=0, hi=60_000)
    shuffle = c.take(smp, "samples.", "shuffle", bool, True)

    cmds = c.take(doc, "", "dom0_commands", list, [])
    for i, cmd in enumerate(cmds):
        if not isinstance(cmd, str) or not _DOM0_CMD.fullmatch(cmd):
            c.err(f"dom0_commands[{i}]", f"{_show(cmd)} is not a dom0 command (one line of "
                  "letters, digits, spaces and _:=.,+/- only, e.g. 'disk-bench vd0 qd=1,32')")
    native = c.take(doc, "", "native", bool, False)
    doms = _domains(c, doc, cpus or 1, mem or 256, scheds if check_params else [], text,
                    allow_none=bool(cmds))
    if native:
        if len(doms) != 1 or doms[0].type != "hvm":
            c.err("native", "a native run boots exactly one [[domain]] of type \"hvm\"")
        if cmds:
            c.err("dom0_commands", "a native run has no dom0")
        if enabled:
            c.err("trace.enabled", "a native run has no hypervisor to trace: set it false")
    timeout_default = 60 + (duration or 0) / 1000 * 30 * max(1, len(doms))
    timeout = c.take(doc, "", "timeout_s", (int, float), timeout_default, lo=1, hi=86_400)
    if c.errors:
        raise ExperimentError("\n".join(c.errors))
    topo = machine.Topology(cpus, nodes, mem, tuple(triples))
    return Experiment(path, text, name, description, topo, mode, scheds, duration, reps,
                      float(timeout), enabled, classes, ring, shm, float(window),
                      float(gantt), doms, list(disks), list(cmds),
                      bool(native), seed, offset if seed is not None else 0,
                      bool(shuffle) and seed is not None, float(warmup or 0),
                      measure_from or MEASURE_FROM[0], float(interval))


def _domain_type(c: _Checker, t: dict, i: int, text: str) -> str:
    """The domain's type, "pv" when absent; a bad value is reported with its line."""
    v = t.get("type", "pv")
    if isinstance(v, str) and v in DOMAIN_TYPES:
        return v
    n = key_line(text, i, "type")
    c.errors.append(f"{c.path}: {f'line {n}: ' if n else ''}domain[{i}].type: {_show(v)} "
                    f"is not a domain type (known: {', '.join(DOMAIN_TYPES)})")
    return "pv"


def _entries(c: _Checker, t: dict, p: str, key: str, limit: int, pattern: re.Pattern,
             chars: str, example: str) -> list[str]:
    """key = ["...", ...]: a cfg list of spec strings (vif, disk), each checked for
    the characters xl's parser takes; the whole list is dropped on an error."""
    v = c.take(t, p, key, list, [])
    if len(v) > limit:
        c.err(f"{p}{key}", f"{len(v)} entries, at most {limit}")
        return []
    for j, e in enumerate(v):
        if not isinstance(e, str) or not pattern.fullmatch(e):
            c.err(f"{p}{key}[{j}]", f"{_show(e)} is not a {key} entry (letters, digits and "
                  f"{chars} only, e.g. '{example}')")
            return []
    return v


def _vifs(c: _Checker, t: dict, p: str) -> list[str]:
    """vif = ["mac=..., bridge=...", ...]: the entries of the cfg's vif list."""
    return _entries(c, t, p, "vif", MAX_VIFS, _VIF, "_:=., -",
                    "mac=00:16:3e:00:00:01, bridge=br0")


def _disks(c: _Checker, t: dict, p: str) -> list[str]:
    """disk = ["target=vd0:0+8192, vdev=xvda", ...]: the entries of the cfg's disk list."""
    return _entries(c, t, p, "disk", MAX_DISKS, _DISK, "_:=.,+ -",
                    "target=vd0:0+8192, vdev=xvda")


def _domains(c: _Checker, doc: dict, cpus: int, mem: int, scheds: list[str],
             text: str, allow_none: bool = False) -> list[Domain]:
    raw = doc.get("domain")
    if raw is None:
        if not allow_none:
            c.err("domain", "missing: add at least one [[domain]] table (or dom0_commands)")
        return []
    if not isinstance(raw, list) or not all(isinstance(d, dict) for d in raw):
        c.err("domain", "expected [[domain]] tables")
        return []
    if len(raw) > MAX_DOMAINS:
        c.err("domain", f"{len(raw)} domains, at most {MAX_DOMAINS}")
    out, names = [], set()
    for i, t in enumerate(raw):
        p = f"domain[{i}]."
        params = {k: v for k, v in t.items() if k not in DOMAIN_KEYS}
        if params and scheds:
            try:
                decls = schedparams.load()
            except schedparams.DeclsError as e:
                c.err(f"{p}{next(iter(params))}", f"cannot check scheduler parameters: {e}")
                decls = None
            for k, v in params.items() if decls is not None else ():
                why = schedparams.check(decls, scheds, k, v)
                if why:
                    c.err(f"{p}{k}", why)
        name = c.take(t, p, "name", str, required=True, pattern=_NAME)
        if name in names:
            c.err(f"{p}name", f"{name!r} is used by an earlier domain")
        names.add(name)
        d = Domain(name=name or f"dom{i}",
                   image=c.take(t, p, "image", str, "", required=True, pattern=_IMAGE),
                   args=c.take(t, p, "args", str, ""),
                   type=_domain_type(c, t, i, text),
                   memory=c.take(t, p, "memory", int, 16, lo=1, hi=mem),
                   vcpus=c.take(t, p, "vcpus", int, 1, lo=1, hi=32),
                   cpus=c.take(t, p, "cpus", str, pattern=_CPULIST),
                   pool=c.take(t, p, "pool", str, pattern=_NAME),
                   memory_policy=c.take(t, p, "memory_policy", str, pattern=_MM_POLICY),
                   nodes=c.take(t, p, "nodes", str, pattern=_CPULIST),
                   vifs=_vifs(c, t, p),
                   disks=_disks(c, t, p),
                   params=params)
        if len(d.args) > 255:
            c.err(f"{p}args", f"{len(d.args)} characters, at most 255")
        if '"' in d.args or "\\" in d.args or "\n" in d.args:
            c.err(f"{p}args", "must not contain quotes, backslashes or newlines")
        if d.cpus and d.cpus != "all":
            top = max(int(x) for x in re.findall(r"\d+", d.cpus))
            if top >= cpus:
                c.err(f"{p}cpus", f"{d.cpus!r} names CPU {top}, the machine has {cpus}")
        nr_nodes = doc.get("topology", {}).get("nodes", 1) if isinstance(
            doc.get("topology"), dict) else 1
        if d.nodes and d.nodes != "all" and isinstance(nr_nodes, int):
            top = max(int(x) for x in re.findall(r"\d+", d.nodes))
            if top >= nr_nodes:
                c.err(f"{p}nodes", f"{d.nodes!r} names node {top}, the machine has {nr_nodes}")
        out.append(d)
    need = sum(d.memory for d in out)
    if need > mem - DOM0_RESERVED_MIB:
        c.err("domain", f"the domains need {need} MiB; topology.mem_mib = {mem} leaves "
              f"{mem - DOM0_RESERVED_MIB} after dom0 and the hypervisor")
    return out


def load(path: str, check_params: bool = True) -> Experiment:
    try:
        with open(path, encoding="utf-8") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):   # /dev/zero: endless
                raise ExperimentError(f"{path}: not a regular file")
            text = f.read()
    except OSError as e:
        raise ExperimentError(f"{path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ExperimentError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") \
            from None
    return loads(text, path, check_params)


def known_schedulers(repo: str) -> set[str]:
    """Policies the hypervisor source registers (`.name = "x"` in sched/*.c)."""
    found = set()
    sched_dir = os.path.join(repo, "sched")
    for fn in sorted(os.listdir(sched_dir)) if os.path.isdir(sched_dir) else []:
        if fn.endswith(".c"):
            with open(os.path.join(sched_dir, fn), encoding="utf-8", errors="replace") as f:
                found.update(re.findall(r'\.name\s*=\s*"([a-z0-9_]+)"', f.read()))
    return found


# ---- dom0's inputs and the QEMU command ----

def domain_cfg(d: Domain, scheduler: str | None = None) -> str:
    """The xl.cfg text of one domain (dom0/xlcfg.h syntax) for a run under scheduler:
    the parameters that policy declares (None: every parameter given)."""
    lines = [f'name = "{d.name}"', *([f'type = "{d.type}"'] if d.type != "pv" else []),
             f'kernel = "{d.kernel}"', f"memory = {d.memory}", f"vcpus = {d.vcpus}"]
    if d.params:
        lines += schedparams.cfg_lines(schedparams.load() if scheduler else {}, scheduler,
                                       d.params)
    if d.cpus is not None:
        lines.append(f'cpus = "{d.cpus}"')
    if d.pool is not None:
        lines.append(f'pool = "{d.pool}"')
    if d.memory_policy is not None:
        lines.append(f'memory_policy = "{d.memory_policy}"')
    if d.nodes is not None:
        lines.append(f'nodes = "{d.nodes}"')
    if d.args:
        lines.append(f'extra = "{d.args}"')
    if d.vifs:
        lines.append("vif = [ " + ", ".join(f"'{v}'" for v in d.vifs) + " ]")
    if d.disks:
        lines.append("disk = [ " + ", ".join(f"'{v}'" for v in d.disks) + " ]")
    return "\n".join(lines) + "\n"


def scenario(exp: Experiment, cfg: Config | None = None) -> str:
    """dom0's script: start tracing, create every domain (in the order and after the
    start offsets cfg's seed gives: Experiment.start_plan), run for warmup_ms +
    duration_ms, stop tracing, list, then wait for each domain so its result line
    gets printed. The seed reaches the guests only through this script."""
    # The experiment's name, not its file's: the script is guest memory, so a renamed
    # file would change every run (rt-agree's miss count moved by one).
    out = [f"# {exp.name}: generated by the hvlab harness"]
    seed = cfg.seed if cfg else None
    plan = exp.start_plan(seed)
    if seed is not None:
        out.append(f"# seed {seed}: creation order and start offsets (ms): " +
                   ", ".join(f"{exp.domains[i].name} +{ms}" for i, ms in plan))
    if exp.trace_enabled:
        out.append(f"trace start {','.join(exp.trace_classes)}")
    for i, ms in plan:
        if ms:
            out.append(f"sleep {ms}")
        out.append(f"create {exp.domains[i].name}.cfg")
    out += exp.dom0_commands
    out.append(f"sleep {exp.duration_ms + math.ceil(exp.warmup_ms)}")
    if exp.trace_enabled:
        out.append("trace stop")
    out += ["list", "vcpu-list"]
    wait_ms = min(10 * exp.duration_ms + 10_000, 24 * 3600 * 1000)    # guest time
    out += [f"wait {d.name} {wait_ms}" for d in exp.domains]
    return "\n".join(out) + "\n"


def hv_cmdline(exp: Experiment, cfg: Config) -> str:
    line = f"sched={cfg.scheduler} loglvl=info"
    if exp.deterministic:
        # Mark trace streams as instruction counts, and bound QEMU's icount
        # cross-vCPU interrupt delay with a 100 µs tick (core/timer.c).
        line += " icount icount_tick_us=100"
    if exp.trace_enabled:
        line += f" trace_ring={exp.ring_records} trace_mask={exp.trace_mask:#x}"
    return line


def image_modules(exp: Experiment) -> list[str]:
    """The guest images the domains boot, as multiboot modules ("path name")."""
    return [f"build/guest/{k} {k}" for k in sorted({d.kernel for d in exp.domains})]


def write_inputs(exp: Experiment, run_dir: str, scheduler: str | None = None,
                 cfg: Config | None = None) -> list[str]:
    """Writes <run_dir>/inputs/{<domain>.cfg, scenario}; returns the multiboot
    modules after dom0 ("path name"): images relative to the repository, inputs as
    given by run_dir. machine.launch() stages them as bare names."""
    inp = os.path.join(run_dir, "inputs")
    os.makedirs(inp, exist_ok=True)
    mods = []
    mods += image_modules(exp)
    for d in exp.domains:
        p = os.path.join(inp, f"{d.name}.cfg")
        with open(p, "w") as f:
            f.write(domain_cfg(d, scheduler))
        mods.append(f"{p} {d.name}.cfg")
    p = os.path.join(inp, "scenario")
    with open(p, "w") as f:
        f.write(scenario(exp, cfg))
    mods.append(f"{p} scenario")
    return mods


SHM_FILE = "trace.shm"          # in QEMU's staging folder (machine.launch)


def launch_args(exp: Experiment, cfg: Config, modules: list[str],
                image: str = "build/hvlab.elf", disks: Sequence[str] = ()) -> dict:
    """machine.launch()'s keyword arguments for one configuration: dom0 first, then
    modules (write_inputs()), the trace region as SHM_FILE in the staging folder, and
    the disk images (make_disks())."""
    extra = machine.ivshmem_args(SHM_FILE, exp.shm_mib) if exp.trace_enabled else []
    if exp.native:          # the benchmark alone on QEMU: its HVM build is Multiboot
        d = exp.domains[0]
        return dict(image=f"build/guest/{d.kernel}", topo=exp.topology, cmdline=d.args,
                    modules=[], deterministic=exp.deterministic, serial="stdio",
                    extra=extra, disks=list(disks))
    return dict(image=image, topo=exp.topology, cmdline=hv_cmdline(exp, cfg),
                modules=["build/dom0.elf", *modules], deterministic=exp.deterministic,
                serial="stdio", extra=extra, disks=list(disks))


def make_disks(exp: Experiment, folder: str) -> list[str]:
    """Zero-filled images of exp.disks_mib in folder (written out, not sparse: the
    host allocating blocks on a write made writes much slower), vd0 first."""
    paths = []
    for i, mib in enumerate(exp.disks_mib):
        p = os.path.join(folder, f"disk{i}.img")
        with open(p, "wb") as f:
            chunk = bytes(1 << 20)
            for _ in range(mib):
                f.write(chunk)
        paths.append(p)
    return paths


def qemu_args(exp: Experiment, cfg: Config, modules: list[str],
              image: str = "build/hvlab.elf") -> list[str]:
    """The command line launch_args() gives (bare names only), for display and tests."""
    a = launch_args(exp, cfg, modules, image)
    return machine.qemu_command(machine.plan(a["image"], a["modules"]), a["topo"],
                                a["cmdline"], a["deterministic"], a["serial"], a["extra"])
