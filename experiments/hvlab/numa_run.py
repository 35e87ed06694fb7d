"""The NUMA experiment's runs (docs/numa-experiment.md): `hvlab numa FILE` runs every
configuration of the file's [numa] table (a memory-policy setting of its domains)
under every scheduler of the file, each once, under the cost-model plugin with the
machine's NUMA ranges, then writes the report (numa_report.py).

Design: a configuration is the experiment file with some of each domain's keys
replaced (memory_policy, nodes, cpus; "" removes the key) and, optionally, dom0
commands added; the result is written back as TOML (sweep_toml) and loaded by
experiment.loads, so every configuration is checked as an ordinary experiment file
before anything runs (bad input: every problem, naming the file and the
configuration, exit status 2). Each run's folder (runs/<config>-<scheduler>/) holds
what `hvlab run` writes for a run (inputs, console, run.json, trace.bin) and the
plugin's counts.json; cells.json gathers what the report needs, so
`--report-only` rewrites the report without QEMU.

Limitations: one repetition (deterministic mode repeats the counts); the [numa]
table is ignored by `hvlab run` of the same file (which runs the base domains).
"""
from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor

from . import costmodel, experiment, numa_report, run, sweep_toml
from . import trace as T

CONFIG_KEYS = ("name", "note", "memory_policy", "nodes", "cpus", "dom0_commands")
PER_DOMAIN = ("memory_policy", "nodes", "cpus")
NUMA_KEYS = ("cost_tables", "config")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,23}")
_RESULT = re.compile(r"\(d(\d+)\) result bench=membench (.*)$")


class NumaError(experiment.ExperimentError):
    """The file or a configuration cannot run: every problem, one per line."""


def _per_domain(errs, where, v, n, key):
    """A [numa.config] value for each domain: one string for all, or a list of n."""
    if isinstance(v, str):
        return [v] * n
    if isinstance(v, list) and len(v) == n and all(isinstance(x, str) for x in v):
        return list(v)
    errs.append(f"{where}.{key}: expected a string or a list of {n} strings (one per "
                f"[[domain]], in file order), got {v!r}")
    return None


def load_spec(path: str) -> dict:
    """{"path", "text", "doc" (the file without [numa]), "cost_tables", "configs":
    [{"name", "note", "overrides": [{key: value or None}] per domain, "dom0_commands"}],
    "experiments": {config name: experiment.Experiment}}; NumaError on bad input."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        doc = tomllib.loads(text)
    except OSError as e:
        raise NumaError(f"{path}: {e.strerror}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise NumaError(f"{path}: {e}") from None
    errs: list[str] = []
    spec = doc.pop("numa", None)
    if not isinstance(spec, dict):
        raise NumaError(f"{path}: no [numa] table: not a NUMA experiment "
                        "(docs/numa-experiment.md)")
    errs += [f"{path}: numa.{k}: unknown key (known: {', '.join(NUMA_KEYS)})"
             for k in spec if k not in NUMA_KEYS]
    tables = spec.get("cost_tables", ["costs/amd-zen4.toml"])
    if not (isinstance(tables, list) and tables and all(isinstance(t, str) for t in tables)):
        errs.append(f"{path}: numa.cost_tables: expected a list of cost table files")
        tables = []
    doms = doc.get("domain") if isinstance(doc.get("domain"), list) else []
    n = len(doms)
    configs, seen = [], set()
    raw = spec.get("config", [])
    if not isinstance(raw, list) or not raw:
        errs.append(f"{path}: numa.config: expected one or more [[numa.config]] tables")
        raw = []
    for i, c in enumerate(raw):
        where = f"{path}: numa.config[{i}]"
        if not isinstance(c, dict):
            errs.append(f"{where}: expected a table")
            continue
        errs += [f"{where}.{k}: unknown key (known: {', '.join(CONFIG_KEYS)})"
                 for k in c if k not in CONFIG_KEYS]
        name = c.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            errs.append(f"{where}.name: {name!r}: expected [a-z0-9][a-z0-9-]{{0,23}}")
            continue
        if name in seen:
            errs.append(f"{where}.name: {name!r} used twice")
        seen.add(name)
        over = [{} for _ in range(n)]
        for key in PER_DOMAIN:
            if key in c:
                vals = _per_domain(errs, where, c[key], n, key)
                for d, v in enumerate(vals or []):
                    over[d][key] = v or None
        cmds = c.get("dom0_commands", [])
        if not (isinstance(cmds, list) and all(isinstance(x, str) for x in cmds)):
            errs.append(f"{where}.dom0_commands: expected a list of strings")
            cmds = []
        configs.append({"name": name, "note": str(c.get("note", "")), "overrides": over,
                        "dom0_commands": cmds})
    exps = {}
    for c in configs:
        exp, problems = config_experiment(path, doc, c)
        if problems:
            errs += problems
        else:
            exps[c["name"]] = exp
    if errs:
        raise NumaError("\n".join(dict.fromkeys(errs)))
    return {"path": path, "text": text, "doc": doc,
            "cost_tables": [os.path.join(run.REPO, t) if not os.path.isabs(t) else t
                            for t in tables],
            "configs": configs, "experiments": exps}


def config_experiment(path: str, doc: dict, c: dict):
    """(Experiment, []) for configuration c of the file, or (None, [problems])."""
    pdoc = copy.deepcopy(doc)
    for d, over in zip(pdoc.get("domain", []), c["overrides"]):
        for k, v in over.items():
            if v is None:
                d.pop(k, None)
            else:
                d[k] = v
    if c["dom0_commands"]:
        pdoc["dom0_commands"] = list(pdoc.get("dom0_commands", [])) + c["dom0_commands"]
    text = (f"# {os.path.basename(path)}, NUMA configuration {c['name']}\n"
            + sweep_toml.dumps(pdoc))
    try:
        exp = experiment.loads(text, f"{path} (configuration {c['name']})")
    except experiment.ExperimentError as e:
        return None, str(e).splitlines()
    exp.path = path
    return exp, []


def units(spec: dict) -> list[tuple[dict, str]]:
    """Every run: (configuration, scheduler), configurations slowest."""
    return [(c, s) for c in spec["configs"]
            for s in spec["experiments"][c["name"]].schedulers]


def membench_results(console_text: str) -> dict[int, dict[str, dict]]:
    """domid -> case -> the result line's fields (numbers as int where they are)."""
    out: dict[int, dict[str, dict]] = {}
    for line in console_text.splitlines():
        m = _RESULT.search(line)
        if not m:
            continue
        f = dict(kv.split("=", 1) for kv in m.group(2).split() if "=" in kv)
        for k, v in f.items():
            try:
                f[k] = int(v, 0)
            except ValueError:
                pass
        out.setdefault(int(m.group(1)), {})[str(f.get("case"))] = f
    return out


def measure(spec: dict, c: dict, sched: str, out: str, tables) -> dict:
    """Runs one configuration under one scheduler; its cell for cells.json."""
    exp = copy.deepcopy(spec["experiments"][c["name"]])
    exp.schedulers = [sched]
    exp.repetitions = 1
    cfg = exp.configs()[0]
    key = f"{c['name']}-{sched}"
    rd = os.path.join(out, "runs", key)
    counts_file = os.path.join(out, "runs", key + ".counts.json")
    cell = {"config": c["name"], "scheduler": sched, "key": key, "note": c["note"],
            "failed": None, "domains": []}
    try:
        extra = costmodel.plugin_args(counts_file, topology=exp.topology, tables=tables)
    except costmodel.CostModelError as e:
        cell["failed"] = f"cost model: {e}"
        return cell
    info = run.run_one(exp, cfg, rd, extra)
    cell["state"], cell["wall_s"] = info["state"], info["wall_s"]
    with open(os.path.join(rd, "console.txt")) as f:
        console_text = f.read()
    res = membench_results(console_text)
    ids = exp.domids(cfg)
    for i, d in enumerate(exp.domains):
        cell["domains"].append({"name": d.name, "domid": ids[i], "type": d.type,
                                "memory_mib": d.memory, "memory_policy": d.memory_policy,
                                "nodes": d.nodes, "cpus": d.cpus,
                                "results": res.get(ids[i], {})})
    if info["state"] != "ok":
        cell["failed"] = f"run: {info['state']}"
    missing = [f"{d['name']}: {k}" for d in cell["domains"] for k in ("triad", "chase")
               if k not in d["results"]]
    if missing and not cell["failed"]:
        cell["failed"] = "no membench result line for " + ", ".join(missing)
    try:
        counts = costmodel.load_counts(counts_file)
        cell["counts"] = [x for x in counts if x["who"] == "vcpu"]
    except costmodel.CostModelError as e:
        cell["failed"] = cell["failed"] or f"cost model: {e}"
    tb = os.path.join(rd, "trace.bin")
    if os.path.exists(tb):
        try:
            tr = T.read_stream(tb)
            cell["trace"] = numa_report.trace_memory(tr.merged(), tr.header.tsc_khz)
        except T.TraceError as e:
            cell["failed"] = cell["failed"] or f"trace: {e}"
    return cell


def run_all(path: str, out: str, jobs: int = 2, log=print) -> list[dict]:
    """Every run of the file; writes out/cells.json (and out/experiment.toml)."""
    spec = load_spec(path)
    tables = costmodel.cost_tables(spec["cost_tables"])
    status = costmodel.plugin_status()
    if status != "yes":
        raise NumaError(f"the cost-model plugin cannot be used ({status}): the NUMA "
                        "experiment needs its counts (docs/cost-model.md)")
    os.makedirs(os.path.join(out, "runs"), exist_ok=True)
    with open(os.path.join(out, "experiment.toml"), "w") as f:
        f.write(spec["text"])
    todo = units(spec)
    lock = threading.Lock()

    def one(i_u):
        i, (c, s) = i_u
        cell = measure(spec, c, s, out, tables)
        with lock:
            log(f"[{i}/{len(todo)}] {cell['key']}: {cell.get('wall_s', 0):.1f} s, "
                f"{cell['failed'] or 'ok'}")
        return cell

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        cells = list(pool.map(one, enumerate(todo, 1)))
    total = round(time.monotonic() - t0, 1)
    log(f"ran {len(todo)} runs in {total:.1f} s ({jobs} at a time)")
    doc = {"format": "hvlab-numa-1", "experiment": os.path.basename(path),
           "jobs": jobs, "wall_s_total": total,
           "cost_tables": [os.path.relpath(p, run.REPO) for p in spec["cost_tables"]],
           "topology": spec["doc"].get("topology", {}), "cells": cells}
    with open(os.path.join(out, "cells.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    return cells


def build_plugin() -> None:
    """make -s costmodel: the plugin and its probe (build/costmodel/plugins.status),
    which `make all` does not build."""
    p = subprocess.run(["make", "-s", "costmodel"], cwd=run.REPO, capture_output=True,
                       text=True)
    if p.returncode != 0:
        tail = "\n".join((p.stdout + p.stderr).strip().splitlines()[-15:])
        raise run.RunError(f"'make -s costmodel' failed (exit status {p.returncode}):\n{tail}")


def cmd_numa(a) -> int:
    """hvlab numa FILE [--out DIR] [--jobs N] [--no-build] [--report-only]."""
    out = os.path.abspath(a.out or os.path.join(run.REPO, "results", "numa"))
    try:
        if not a.report_only:
            spec = load_spec(a.experiment)
            costmodel.cost_tables(spec["cost_tables"])     # bad tables: before any run
            if not a.no_build:
                run.build_images(None)
                build_plugin()
            run_all(a.experiment, out, a.jobs)
        path, failed = numa_report.write(out)
    except (numa_report.ReportError, costmodel.CostModelError) as e:
        raise NumaError(str(e)) from None
    print(f"report: {path}" + (f" ({failed} failed runs: see its Runs table)"
                               if failed else ""))
    return 1 if failed else 0


def add_parser(sub) -> None:
    p = sub.add_parser("numa", help="the NUMA experiment: memory policies x schedulers "
                       "under the cost model (docs/numa-experiment.md)")
    p.add_argument("experiment", help="experiments/numa.toml (its [numa] table)")
    p.add_argument("--out", help="results folder (default results/numa)")
    p.add_argument("--jobs", type=int, default=2, help="QEMU instances at once")
    p.add_argument("--no-build", action="store_true", help="do not run 'make -s all'")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite the report from the folder's cells.json, no runs")
    p.set_defaults(fn=cmd_numa)
