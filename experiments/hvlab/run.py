"""Running an experiment: build, one QEMU per configuration, collect, analyse, report.

Each configuration (scheduler x repetition) gets results/<name>/runs/<key>/ with its
inputs (xl cfg files and dom0's scenario), console.txt, run.json (the QEMU command
line with the files behind its names, exit status and what it means, wall time,
problems) and trace.bin, extracted from the ivshmem region file. QEMU runs in a staging
folder inside the run folder (machine.launch: bare names only, so no host path reaches
the machine), removed afterwards with the region file (it is mostly empty).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from . import console, experiment, machine, meta, report, results
from . import trace as T
from .experiment import Config, Experiment

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PERFETTO_ALL_MAX_BYTES = 8 << 20    # write trace.json for every run when traces are small


class RunError(Exception):
    """The experiment cannot run at all (build failed, image missing, ...)."""


def _shown(path: str, run_dir: str) -> str:
    """path as run.json records it: relative to the run or the repository when inside."""
    for root in (run_dir, REPO):
        rel = os.path.relpath(path, root)
        if not rel.startswith(".."):
            return rel
    return path


def build_images(exp: Experiment) -> None:
    p = subprocess.run(["make", "-s", "all"], cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        tail = "\n".join((p.stdout + p.stderr).strip().splitlines()[-15:])
        raise RunError(f"'make -s all' failed (exit status {p.returncode}):\n{tail}")


def check_images(exp: Experiment) -> None:
    missing = [f"{f}" for f in ("build/hvlab.elf", "build/dom0.elf")
               if not os.path.exists(os.path.join(REPO, f))]
    for i, d in enumerate(exp.domains):
        f = f"build/guest/{d.kernel}"
        if not os.path.exists(os.path.join(REPO, f)):
            avail = sorted(x[:-4] for x in os.listdir(os.path.join(REPO, "build/guest"))
                           if x.endswith(".elf")) \
                if os.path.isdir(os.path.join(REPO, "build/guest")) else []
            missing.append(f"{f} ({exp.path}: domain[{i}].image = {d.image!r}, type "
                           f"{d.type!r}; images "
                           f"built: {', '.join(avail) or 'none'})")
    if missing:
        raise RunError("missing images: " + "; ".join(missing))
    if shutil.which(machine.QEMU) is None:
        raise RunError(f"{machine.QEMU} not found: run 'make deps'")


def run_state(info: dict, console_text: str) -> str:
    """One line for the progress log: "ok", or how the run ended and why. A failing
    scenario (dom0 stopped the machine with its error status) says "scenario failed"
    and the command that failed, by file and line; a panic says "crashed"."""
    if info.get("timed_out"):
        return "timed out"
    status = info.get("status")
    errs = console.parse(console_text)["errors"] if console_text else []
    if status == machine.EXIT_DOM0_ERROR:
        first = next((e for e in errs if re.match(r"scenario:\d+: ", e)),
                     errs[0] if errs else None)
        return "scenario failed" + (f": {first}" if first else "")
    if status == machine.EXIT_PANIC:
        panic = next((e for e in errs if "Panic on CPU" in e), None)
        return "crashed (hypervisor panic)" + (f": {panic}" if panic else "")
    if info.get("errors"):
        return "; ".join(info["errors"])
    if status != 0:
        return f"QEMU exit status {status} ({machine.describe_status(status)})"
    return "ok"


def run_one(exp: Experiment, cfg: Config, run_dir: str, extra_qemu: Sequence[str] = ()) -> dict:
    """Boots QEMU once for cfg; returns what run.json records. extra_qemu: more QEMU
    arguments (the cost-model plugin: hvlab.costmodel.plugin_args)."""
    if os.path.isdir(run_dir):
        shutil.rmtree(run_dir)
    os.makedirs(run_dir)
    mods = experiment.write_inputs(exp, run_dir, cfg.scheduler, cfg)
    disk_dir = os.path.join(run_dir, "disks")   # fresh images, removed after the run
    os.makedirs(disk_dir)
    disks = experiment.make_disks(exp, disk_dir)
    largs = experiment.launch_args(exp, cfg, mods, disks=disks)
    largs["extra"] = [*largs["extra"], *extra_qemu]
    with machine.launch(**largs, base=REPO, parent=run_dir) as ln:
        cmd = ln.command
        info = {"config": cfg.key, "command": cmd, "command_line": shlex.join(cmd),
                "files": {n: _shown(p, run_dir) for n, p in ln.plan.files.items()},
                "timeout_s": exp.timeout_s, "errors": []}
        start = time.monotonic()
        with open(os.path.join(run_dir, "console.raw"), "wb") as out:
            try:
                p = subprocess.run(cmd, cwd=ln.folder, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.PIPE, timeout=exp.timeout_s)
                info["status"], info["timed_out"] = p.returncode, False
                info["qemu_stderr"] = p.stderr.decode("utf-8", "replace")[-4000:]
            except subprocess.TimeoutExpired:
                info["status"], info["timed_out"] = -1, True
            except OSError as e:
                info["status"], info["timed_out"] = -1, False
                info["errors"].append(f"could not start QEMU: {e}")
        info["wall_s"] = round(time.monotonic() - start, 3)
        if exp.trace_enabled:
            try:
                info["trace_bytes"] = T.extract_shm(os.path.join(ln.folder, experiment.SHM_FILE),
                                                    os.path.join(run_dir, "trace.bin"))
            except T.TraceError as e:
                info["errors"].append(f"trace: {e}")
    shutil.rmtree(disk_dir, ignore_errors=True)
    raw = os.path.join(run_dir, "console.raw")
    with open(raw, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r\n", "\n")
    with open(os.path.join(run_dir, "console.txt"), "w") as f:
        f.write(text)
    os.remove(raw)
    info["outcome"] = "timed out" if info["timed_out"] else \
        machine.describe_status(info["status"])
    info["state"] = run_state(info, text)
    with open(os.path.join(run_dir, "run.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    return info


def run(exp: Experiment, out_dir: str, jobs: int = 1, build: bool = True,
        log=print) -> int:
    """Runs every configuration and writes the results folder; returns the number of
    configurations that failed."""
    if build:
        log("building images: make -s all")
        build_images(exp)
    check_images(exp)
    known = experiment.known_schedulers(REPO)
    for s in exp.schedulers:
        if s not in known:
            log(f"warning: scheduler '{s}' is not registered in sched/*.c (found: "
                f"{', '.join(sorted(known)) or 'none'}); its runs will likely fail")
    os.makedirs(os.path.join(out_dir, "runs"), exist_ok=True)
    with open(os.path.join(out_dir, "experiment.toml"), "w") as f:
        f.write(exp.text)
    configs = exp.configs()
    n = len(configs)
    lock = threading.Lock()
    tty = jobs == 1 and sys.stdout.isatty()

    def one(cfg: Config) -> dict:
        head = f"[{cfg.index}/{n}] {cfg.scheduler} rep {cfg.rep}:"
        with lock:
            if tty:
                print(f"{head} running...", end="", flush=True)
            else:
                log(f"{head} running...")
        info = run_one(exp, cfg, os.path.join(out_dir, "runs", cfg.key))
        state = info["state"]
        with lock:
            if tty:
                print(f" {info['wall_s']:.1f} s, {state}", flush=True)
            else:
                log(f"{head} {info['wall_s']:.1f} s, {state}")
        return info

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        infos = list(pool.map(one, configs))
    total = time.monotonic() - t0
    log(f"ran {n} configuration{'s' * (n > 1)} in {total:.1f} s")
    commands = {i["config"]: i["command_line"] for i in infos}
    images = ([] if exp.native else ["build/hvlab.elf", "build/dom0.elf"]) + \
        [f"build/guest/{k}" for k in sorted({d.kernel for d in exp.domains})]
    m = meta.collect(REPO, exp.text, exp.path, commands, images)
    m["runs"] = {"jobs": jobs, "wall_s_total": round(total, 1),
                 "wall_s": {i["config"]: i["wall_s"] for i in infos}}
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    runs = analyse(exp, out_dir, log)
    report.build(exp, out_dir, runs, m)
    failed = sum(1 for r in runs if not r.ok)
    log(f"report: {os.path.join(out_dir, 'report.md')}"
        + (f" ({failed} of {n} configurations failed: see its Problems list)" if failed
           else ""))
    return failed


def analyse(exp: Experiment, out_dir: str, log=print) -> list[results.RunResult]:
    """Processes every run folder; Perfetto timelines for each policy's first
    repetition, or for all runs when their traces are small."""
    runs = []
    sizes = [os.path.getsize(p) for c in exp.configs()
             if os.path.exists(p := os.path.join(out_dir, "runs", c.key, "trace.bin"))]
    all_small = sum(sizes) <= PERFETTO_ALL_MAX_BYTES
    for cfg in exp.configs():
        rd = os.path.join(out_dir, "runs", cfg.key)
        runs.append(results.process(exp, cfg, rd, perfetto_out=all_small or cfg.rep == 1))
    return runs


def _meta_usable(m) -> bool:
    """Whether meta.json has the shape report_md reads (a damaged or hand-edited file
    must not give a traceback)."""
    if not isinstance(m, dict) or not all(isinstance(m.get(k, {}), dict) for k in
                                          ("qemu", "git", "host", "runs", "experiment")):
        return False
    runs = m.get("runs", {})
    return (isinstance(m.get("git", {}).get("commit", ""), str)
            and isinstance(m.get("experiment", {}).get("file", ""), (str, type(None)))
            and isinstance(runs.get("wall_s", {}), dict)
            and (not runs or "wall_s_total" in runs and "jobs" in runs))


def regenerate(out_dir: str, log=print) -> int:
    """hvlab report DIR: re-analyses the saved runs and rewrites the report."""
    path = os.path.join(out_dir, "experiment.toml")
    if not os.path.exists(path):
        raise RunError(f"{out_dir}: no experiment.toml: not a results folder of hvlab run")
    exp = experiment.load(path, check_params=False)
    try:
        with open(os.path.join(out_dir, "meta.json")) as f:
            m = json.load(f)
    except (OSError, ValueError):
        m = {}
    if not _meta_usable(m):
        log(f"warning: {os.path.join(out_dir, 'meta.json')} is not what `hvlab run` "
            "writes: the report leaves out the commit, QEMU version and wall times")
        m = {}
    exp.path = m.get("experiment", {}).get("file") or exp.path    # the name it was run as
    runs = analyse(exp, out_dir, log)
    report.build(exp, out_dir, runs, m)
    log(f"report: {os.path.join(out_dir, 'report.md')}")
    return sum(1 for r in runs if not r.ok)
