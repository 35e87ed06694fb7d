"""Running a sweep: its folder, one QEMU per run (locally in parallel or as Slurm
tasks), resuming, and gathering every point's results into one folder.

Design: a sweep folder holds
  input/<file>          the sweep file as given (a rerun must name the same text)
  sweep.json            the points (key, parameters), the runs in array order
  points/<pNNN>/        an ordinary results folder of `hvlab run` for that point:
                        experiment.toml, params.json, runs/<key>/..., report.md
  samples.csv           long format: one row per run x metric, parameters as columns
  meta.json             commit, QEMU, images, the sweep file (`hvlab compare` reads
                        it and samples.csv, as in a results folder)
  points.csv            one row per point and policy: parameters, runs ok/failed
  report.md             the sweep's summary (sweep_report.py)
A run is finished when its runs/<key>/run.json exists (run.py writes it last); a
rerun skips finished runs, and with rerun_failed also runs again those whose state is
not "ok". Running and gathering are separate steps, so a Slurm task (sweep_slurm.py)
only runs QEMU, and gathering (analysis, reports, the CSV) happens once at the end.
Every run goes through run.run_one() with the point's Experiment, whose path is the
sweep file's own name: the same inputs, hence byte-identical deterministic traces,
whichever runner ran it and from whichever folder.

Locking: the local runner's threads share only the log lock; each run writes its own
folder. Two sweeps must not share a folder at the same time (not checked).
"""
from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from . import meta, report, run, samples, stats, sweep_report
from .experiment import Config
from .sweep import Point, Sweep, SweepError, load

STATE_OK = "ok"


def input_path(out_dir: str, sw: Sweep) -> str:
    return os.path.join(out_dir, "input", os.path.basename(sw.path))


def point_dir(out_dir: str, p: Point) -> str:
    return os.path.join(out_dir, "points", p.key)


def run_dir(out_dir: str, p: Point, c: Config) -> str:
    return os.path.join(point_dir(out_dir, p), "runs", c.key)


def default_out(sw: Sweep) -> str:
    return os.path.join(run.REPO, "results", f"{sw.name}-sweep")


def _write_if_new(path: str, text: str, what: str) -> None:
    """Writes text to path; an existing, different file means the folder belongs to
    other inputs: refuse rather than mix two sweeps' results."""
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            if f.read() != text:
                raise SweepError(f"{path}: {what} differs from this sweep's: the folder "
                                 "holds another sweep's results (choose another --out, "
                                 "or remove it)")
        return
    with open(path, "w") as f:
        f.write(text)


def prepare(sw: Sweep, out_dir: str) -> None:
    """Creates (or checks, when resuming) the sweep folder and every point's inputs."""
    os.makedirs(os.path.join(out_dir, "input"), exist_ok=True)
    _write_if_new(input_path(out_dir, sw), sw.text, "the sweep file")
    for p in sw.points:
        d = point_dir(out_dir, p)
        os.makedirs(os.path.join(d, "runs"), exist_ok=True)
        _write_if_new(os.path.join(d, "experiment.toml"), p.text, "the point's experiment")
        stats.write_json(os.path.join(d, "params.json"), {"point": p.key, **p.params})
    stats.write_json(os.path.join(out_dir, "sweep.json"), {
        "name": sw.name, "file": os.path.basename(sw.path), "axes": sw.axes,
        "columns": sw.columns,
        "points": [{"point": p.key, "params": p.params,
                    "configurations": [c.key for c in p.exp.configs()]} for p in sw.points],
        "runs": [f"{p.key}/{c.key}" for p, c in sw.units()]})


def reopen(out_dir: str) -> Sweep:
    """The sweep of a folder prepare() made (what a Slurm task and --gather read)."""
    folder = os.path.join(out_dir, "input")
    files = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    if len(files) != 1:
        raise SweepError(f"{out_dir}: not a sweep folder (expected one file in input/, "
                         f"found {len(files)})")
    return load(os.path.join(folder, files[0]))


def run_state(rd: str) -> str | None:
    """None: not finished; else run.json's state ("ok" or why it failed)."""
    try:
        with open(os.path.join(rd, "run.json")) as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    st = info.get("state") if isinstance(info, dict) else None
    return st if isinstance(st, str) else "run.json without a state"


def pending(sw: Sweep, out_dir: str, rerun_failed: bool) -> list[int]:
    """Indices (into sw.units()) of the runs still to do."""
    out = []
    for i, (p, c) in enumerate(sw.units()):
        st = run_state(run_dir(out_dir, p, c))
        if st is None or rerun_failed and st != STATE_OK:
            out.append(i)
    return out


def run_unit(sw: Sweep, out_dir: str, index: int) -> dict:
    """Runs sw.units()[index] (one QEMU boot); returns its run.json."""
    units = sw.units()
    if not 0 <= index < len(units):
        raise SweepError(f"run index {index} is out of range 0..{len(units) - 1}")
    p, c = units[index]
    return run.run_one(p.exp, c, run_dir(out_dir, p, c))


def check_images(sw: Sweep) -> None:
    for p in sw.points:
        run.check_images(p.exp)


def run_local(sw: Sweep, out_dir: str, jobs: int = 1, build: bool = True,
              rerun_failed: bool = False, log=print) -> int:
    """Runs what is not finished, jobs QEMUs at once, then gathers; returns the
    number of failed runs."""
    if build:
        log("building images: make -s all")
        run.build_images(sw.points[0].exp)
    check_images(sw)
    prepare(sw, out_dir)
    units = sw.units()
    todo = pending(sw, out_dir, rerun_failed)
    log(f"sweep {sw.name}: {len(sw.points)} points, {len(units)} runs; "
        f"{len(units) - len(todo)} finished, {len(todo)} to run, {jobs} at a time")
    lock = threading.Lock()
    done = [0]

    def one(i: int) -> None:
        p, c = units[i]
        info = run_unit(sw, out_dir, i)
        with lock:
            done[0] += 1
            log(f"[{done[0]}/{len(todo)}] {p.key}/{c.key}: {info['wall_s']:.1f} s, "
                f"{info['state']}")

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, todo))
    if todo:
        log(f"ran {len(todo)} runs in {time.monotonic() - t0:.1f} s")
    return gather(sw, out_dir, jobs, log)


# ---- gathering ----

def point_rows(p: Point, rows: list[dict]) -> list[dict]:
    """A point's samples.long_rows() with the point and its swept values in front (the
    scheduler is already a column of its own)."""
    cols = {"point": p.key, **{k: v for k, v in p.params.items() if k != "scheduler"}}
    return [{**cols, **r} for r in rows]


def _gather_point(exp, pdir: str, base_meta: dict) -> tuple[list[dict], dict]:
    """Analysis and report of one point (a process of its own: analysis is Python):
    its long-format rows (samples.long_rows) and {run key: (status, problems)}."""
    rs = run.analyse(exp, pdir, log=lambda *_: None)
    walls = {}
    commands = {}
    for c in exp.configs():
        try:
            with open(os.path.join(pdir, "runs", c.key, "run.json")) as f:
                info = json.load(f)
            walls[c.key] = info.get("wall_s", 0)
            commands[c.key] = info.get("command_line", "")
        except (OSError, ValueError):
            pass
    m = dict(base_meta, qemu=dict(base_meta["qemu"], commands=commands),
             experiment={"file": exp.path, "text": exp.text,
                         "sha256": meta.sha256_text(exp.text)},
             runs={"jobs": 1, "wall_s_total": round(sum(walls.values()), 1),
                   "wall_s": walls})
    with open(os.path.join(pdir, "meta.json"), "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    report.build(exp, pdir, rs, m)
    return samples.long_rows(exp, rs), {r.config.key: (r.summary["status"],
                                                       r.summary["problems"]) for r in rs}


def gather(sw: Sweep, out_dir: str, jobs: int = 1, log=print) -> int:
    """Analyses every point whose runs are all finished, writes its report, then the
    sweep's samples.csv, points.csv and report.md; returns the failed or missing runs."""
    prepare(sw, out_dir)
    ready, missing = [], []
    for p in sw.points:
        if all(run_state(run_dir(out_dir, p, c)) is not None for c in p.exp.configs()):
            ready.append(p)
        else:
            missing.append(p)
    images = ["build/hvlab.elf", "build/dom0.elf"] + sorted(
        {f"build/guest/{d.kernel}" for p in sw.points for d in p.exp.domains})
    base = meta.collect(run.REPO, "", sw.path, {}, images)
    log(f"gathering {len(ready)} points" + (f" ({len(missing)} not finished: "
        f"{', '.join(p.key for p in missing[:10])})" if missing else ""))
    done = {}
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(ready) or 1))) as pool:
        futs = {p.key: pool.submit(_gather_point, p.exp, point_dir(out_dir, p), base)
                for p in ready}
        for k, f in futs.items():
            done[k] = f.result()
    rows, per_point, bad = [], [], 0
    for p in sw.points:
        prows, states = done.get(p.key, ([], {}))
        rows += point_rows(p, prows)
        for c in p.exp.configs():
            status, problems = states.get(c.key, ("not run", ["not finished"]))
            bad += status != STATE_OK
            per_point.append((p, c, status, problems))
    stats.write_long_csv(os.path.join(out_dir, "samples.csv"), rows)
    # Like a results folder's: `hvlab compare` reads meta.json and samples.csv.
    m = dict(base, experiment={"file": sw.path, "text": sw.text,
                               "sha256": meta.sha256_text(sw.text)})
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    sweep_report.write(sw, out_dir, rows, per_point, base)
    log(f"results: {os.path.join(out_dir, 'samples.csv')} ({len(rows)} rows); report: "
        f"{os.path.join(out_dir, 'report.md')}"
        + (f" ({bad} of {len(per_point)} runs failed or missing)" if bad else ""))
    return bad
