"""A sweep on a Slurm cluster: one job array (task i = run i of the sweep), then one
job that gathers the results, in the same sweep folder as a local run.

Design: `hvlab sweep FILE --slurm` builds the images here, prepares the folder
(sweep_run.prepare), writes slurm/array.sh and slurm/gather.sh and submits
  sbatch --array=<runs not finished> array.sh      each task: hvlab sweep-task DIR i
  sbatch --dependency=afterany:<array> gather.sh   hvlab sweep-task DIR --gather
Task i boots QEMU once for run i (sweep_run.run_unit) and writes only that run's
folder; which runs are finished is read from the folder, never from Slurm, so a
resubmission skips them, and `--rerun-failed` submits an array of just the runs whose
run.json says they failed (or that never wrote one). Every submission is appended to
slurm/jobs.json. Host paths (the repository, the sweep folder, the interpreter) appear
only in the job scripts and sbatch's arguments, never in a guest's inputs: tasks run
the same run_one() as the local runner, with the same inputs.

Limitations: the cluster's nodes must see the repository and the sweep folder at the
same paths (a shared file system) and have QEMU; array indices must stay below the
cluster's MaxArraySize (1001 by default).
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time

from . import run, stats, sweep_run
from .sweep import Sweep, SweepError

POLL_S = 2.0


def array_spec(indices: list[int], limit: int | None = None) -> str:
    """[0, 1, 2, 5, 7, 8] -> "0-2,5,7-8" (and "%limit": at most that many at once)."""
    parts, i = [], 0
    s = sorted(set(indices))
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[j] + 1:
            j += 1
        parts.append(str(s[i]) if i == j else f"{s[i]}-{s[j]}")
        i = j + 1
    return ",".join(parts) + (f"%{limit}" if limit else "")


def task_script(out_dir: str, what: str, python: str = sys.executable,
                repo: str = run.REPO, jobs: int = 1) -> str:
    """The job script of the array (its task id: the run) or of the gather job (jobs
    points analysed at once)."""
    hv = os.path.join(repo, "hvlab")
    arg = '"$SLURM_ARRAY_TASK_ID"' if what == "array" else f"--gather --jobs {jobs}"
    return ("#!/bin/sh\n"
            f"# hvlab sweep: {'one run of the sweep per array task' if what == 'array' else 'gather the results'}"
            " (written by `hvlab sweep --slurm`; docs/sweeps.md)\n"
            f"exec {shlex.quote(python)} {shlex.quote(hv)} sweep-task "
            f"{shlex.quote(out_dir)} {arg}\n")


def task_minutes(sw: Sweep) -> int:
    """--time of a task: the longest QEMU timeout of any point, plus margin."""
    return int(max(p.exp.timeout_s for p in sw.points) // 60) + 5


def sbatch_args(sw: Sweep, out_dir: str, what: str, indices: list[int] | None = None,
                after: str | None = None, limit: int | None = None,
                extra: list[str] = (), jobs: int = 1) -> list[str]:
    sd = os.path.join(out_dir, "slurm")
    a = ["sbatch", "--parsable", f"--job-name=hvlab-{sw.name}", f"--chdir={out_dir}"]
    if what == "array":
        a += [f"--array={array_spec(indices or [], limit)}",
              f"--output={os.path.join(sd, 'task-%A_%a.out')}",
              "--cpus-per-task=1", f"--time={task_minutes(sw)}"]
    else:
        a += [f"--output={os.path.join(sd, 'gather-%j.out')}", f"--cpus-per-task={jobs}"]
        if after:
            a.append(f"--dependency=afterany:{after}")
    return [*a, *extra, os.path.join(sd, f"{what}.sh")]


def _sbatch(args: list[str], env=None) -> str:
    """Runs sbatch; the job id, or a SweepError with what sbatch answered."""
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    except OSError as e:
        raise SweepError(f"cannot run sbatch ({e.strerror}): is Slurm installed here? "
                         f"(command: {shlex.join(args)})") from None
    except subprocess.TimeoutExpired:
        raise SweepError(f"sbatch did not answer in 120 s ({shlex.join(args)})") from None
    answer = (p.stdout + p.stderr).strip()
    if p.returncode != 0:
        raise SweepError(f"sbatch failed (exit status {p.returncode}): "
                         f"{answer or 'no message'}\n  command: {shlex.join(args)}")
    job = p.stdout.strip().split(";")[0]
    if not job.isdigit():
        raise SweepError(f"sbatch answered {answer!r}, not a job id\n  command: "
                         f"{shlex.join(args)}")
    return job


def active(jobs: list[str], env=None) -> bool:
    """Whether any of the jobs (or array tasks) is still pending or running."""
    p = subprocess.run(["squeue", "-h", "-o", "%i", "-j", ",".join(jobs)],
                       capture_output=True, text=True, timeout=60, env=env)
    if p.returncode != 0:
        if "Invalid job id" in p.stderr:        # purged: finished long ago
            return False
        raise SweepError(f"squeue failed (exit status {p.returncode}): {p.stderr.strip()}")
    return bool(p.stdout.strip())


def submit(sw: Sweep, out_dir: str, build: bool = True, rerun_failed: bool = False,
           limit: int | None = None, extra: list[str] = (), wait: bool = False,
           jobs: int = 1, log=print) -> int:
    """Submits the runs not finished (or failed, with rerun_failed) and the gather
    job (jobs: its CPUs, points analysed at once). wait: until both end, then returns
    the number of failed runs; else 0."""
    if build:
        log("building images: make -s all")
        run.build_images(sw.points[0].exp)
    sweep_run.check_images(sw)
    fresh = not os.path.exists(out_dir)
    sweep_run.prepare(sw, out_dir)
    units = sw.units()
    todo = sweep_run.pending(sw, out_dir, rerun_failed)
    sd = os.path.join(out_dir, "slurm")
    os.makedirs(sd, exist_ok=True)
    if not todo:
        log(f"sweep {sw.name}: all {len(units)} runs finished; gathering here")
        return sweep_run.gather(sw, out_dir, jobs, log=log)
    for what in ("array", "gather"):
        p = os.path.join(sd, f"{what}.sh")
        with open(p, "w") as f:
            f.write(task_script(out_dir, what, jobs=jobs))
        os.chmod(p, 0o755)
    a = sbatch_args(sw, out_dir, "array", todo, limit=limit, extra=list(extra))
    try:
        array_job = _sbatch(a)
    except SweepError:
        if fresh:           # nothing was submitted: leave nothing behind either
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    g = sbatch_args(sw, out_dir, "gather", after=array_job, extra=list(extra), jobs=jobs)
    try:
        gather_job = _sbatch(g)
    except SweepError as e:
        p = subprocess.run(["scancel", array_job], capture_output=True, text=True)
        raise SweepError(f"{e}\n  the job array {array_job} was "
                         + ("cancelled" if p.returncode == 0 else
                            f"NOT cancelled (scancel: {(p.stdout + p.stderr).strip()})")
                         + f"; rerun the same command to submit again") from None
    jobs_path = os.path.join(sd, "jobs.json")
    try:
        with open(jobs_path) as f:
            history = json.load(f)
    except (OSError, ValueError):
        history = []
    history.append({"array_job": array_job, "gather_job": gather_job,
                    "runs": todo, "rerun_failed": rerun_failed,
                    "submitted": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "array_command": a, "gather_command": g})
    stats.write_json(jobs_path, history)
    log(f"sweep {sw.name}: submitted job array {array_job} ({len(todo)} of {len(units)} "
        f"runs: --array={array_spec(todo, limit)}) and gather job {gather_job}; task "
        f"logs in {sd}")
    if not wait:
        log(f"results will be in {out_dir} once job {gather_job} ends (or run "
            f"`hvlab sweep FILE --out {out_dir} --gather` here)")
        return 0
    while active([array_job, gather_job]):
        time.sleep(POLL_S)
    bad = [f"{p.key}/{c.key}" for i, (p, c) in enumerate(units)
           if sweep_run.run_state(sweep_run.run_dir(out_dir, p, c)) != sweep_run.STATE_OK]
    if not os.path.exists(os.path.join(out_dir, "report.md")):
        raise SweepError(f"gather job {gather_job} ended without writing "
                         f"{os.path.join(out_dir, 'report.md')}: see "
                         f"{os.path.join(sd, f'gather-{gather_job}.out')}")
    log(f"jobs {array_job} and {gather_job} ended; report: "
        f"{os.path.join(out_dir, 'report.md')}"
        + (f"; {len(bad)} runs failed or missing ({', '.join(bad[:8])}): resubmit them "
           "alone with --slurm --rerun-failed" if bad else ""))
    return len(bad)
