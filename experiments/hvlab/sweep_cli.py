"""The sweep verbs of the command line (cli.py registers them with add_parsers()).

  hvlab sweep FILE [--out DIR] [--jobs N] [--no-build] [--rerun-failed]
                   [--check | --gather | --slurm [--wait] [--array-limit N]
                   [--sbatch-arg ARG]...]
  hvlab sweep-task DIR INDEX | DIR --gather     (what a Slurm task runs)

Design: the file is expanded and every point checked before anything is built, run
or written (sweep.load raises SweepError, an ExperimentError: exit status 2).
"""
from __future__ import annotations

import os

from . import sweep, sweep_run, sweep_slurm


def _point_line(p: sweep.Point) -> str:
    return (f"  {p.key}: " + ", ".join(f"{k} = {v}" for k, v in p.params.items())
            + f"  ({len(p.exp.configs())} runs: {', '.join(p.exp.schedulers)} x "
              f"{p.exp.repetitions})")


def cmd_sweep(a) -> int:
    only_slurm = [o for o, v in (("--wait", a.wait), ("--array-limit", a.array_limit),
                                 ("--sbatch-arg", a.sbatch_arg)) if v]
    if only_slurm and not a.slurm:
        raise sweep.SweepError(f"{', '.join(only_slurm)}: only with --slurm")
    sw = sweep.load(a.file)
    out = os.path.abspath(a.out or sweep_run.default_out(sw))
    n = len(sw.units())
    print(f"sweep {sw.name}: {len(sw.points)} points ({' x '.join(sw.axes)}), {n} runs, "
          f"results in {out}")
    if a.check:
        for p in sw.points:
            print(_point_line(p))
        return 0
    if a.gather:
        return 1 if sweep_run.gather(sw, out, a.jobs) else 0
    if a.slurm:
        return 1 if sweep_slurm.submit(sw, out, build=not a.no_build,
                                       rerun_failed=a.rerun_failed, limit=a.array_limit,
                                       extra=a.sbatch_arg or [], wait=a.wait,
                                       jobs=a.jobs) else 0
    return 1 if sweep_run.run_local(sw, out, a.jobs, build=not a.no_build,
                                    rerun_failed=a.rerun_failed) else 0


def cmd_sweep_task(a) -> int:
    sw = sweep_run.reopen(a.dir)
    if a.gather:
        return 1 if sweep_run.gather(sw, a.dir, a.jobs) else 0
    if a.index is None:
        raise sweep.SweepError("sweep-task: give a run index or --gather")
    info = sweep_run.run_unit(sw, a.dir, a.index)
    print(f"run {a.index} ({info['config']}): {info['wall_s']:.1f} s, {info['state']}")
    return 0 if info["state"] == sweep_run.STATE_OK else 1


def _positive(text: str) -> int:
    import argparse
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return v


def add_parsers(sub) -> None:
    p = sub.add_parser("sweep", help="run every point of a parameter sweep (docs/sweeps.md)")
    p.add_argument("file")
    p.add_argument("--out", help="sweep folder (default results/<name>-sweep)")
    p.add_argument("--jobs", type=int, default=1,
                   help="QEMU instances at once (local), and points gathered at once "
                   "(with --slurm: the gather job's CPUs)")
    p.add_argument("--no-build", action="store_true", help="do not run 'make -s all'")
    p.add_argument("--rerun-failed", action="store_true",
                   help="run again the runs that failed (finished ones are always skipped)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--check", action="store_true",
                   help="expand and check every point, print them, run nothing")
    g.add_argument("--gather", action="store_true",
                   help="only gather: analyse finished runs, write the CSV and reports")
    g.add_argument("--slurm", action="store_true", help="submit a Slurm job array")
    p.add_argument("--wait", action="store_true",
                   help="--slurm: wait for the jobs to end and report how they went")
    p.add_argument("--array-limit", type=_positive, metavar="N",
                   help="--slurm: at most N array tasks running at once")
    p.add_argument("--sbatch-arg", action="append", metavar="ARG",
                   help="--slurm: one more sbatch argument (e.g. --partition=x); repeatable")
    p.set_defaults(fn=cmd_sweep)
    p = sub.add_parser("sweep-task", help="(Slurm tasks) one run of a prepared sweep folder")
    p.add_argument("dir")
    p.add_argument("index", type=int, nargs="?")
    p.add_argument("--gather", action="store_true")
    p.add_argument("--jobs", type=int, default=1)
    p.set_defaults(fn=cmd_sweep_task)
