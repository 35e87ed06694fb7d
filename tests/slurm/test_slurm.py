#!/usr/bin/env python3
"""`hvlab sweep --slurm` against a real Slurm: a one-node cluster (cluster.py: munged,
slurmctld, slurmd from Debian's slurm-wlm and munge) started here and stopped after,
running experiments/smoke-sweep.toml (2 points x 3 seeded repetitions, one short QEMU
run each).

  slurm sweep       the job array and the gather job end; every run ok; a task log
                    per run; samples.csv and report.md written by the gather job
  same as local     the same sweep run locally gives byte-identical trace.bin for
                    every run, and the same samples.csv
  compare           `hvlab compare` of the two sweep folders finds no difference
  no host paths     no run's guest inputs or QEMU command line names the sweep folder
                    or the repository
  rerun failed      a run marked failed is resubmitted alone (an array of one index),
                    the other run is left untouched, and the rerun's trace is the same
  sbatch refusal    a bad sbatch argument stops the sweep with what sbatch answered

`--long`: 8 points x 3 seeded repetitions instead (a few minutes; what make test runs).
When Slurm cannot run here (not installed, not root, a daemon does not start) it
prints "SKIP slurm tests: <why>" and exits 0, unless HVLAB_REQUIRE_SLURM=1 (then the
skip is a failure). Last line: "slurm tests: N passed, N failed".
"""
from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "experiments"))
import hvlab  # noqa: E402,F401  (an old Python stops here with one clear line)
sys.path.insert(0, HERE)
import cluster  # noqa: E402
from hvlab import sweep  # noqa: E402

SWEEP = os.path.join(ROOT, "experiments", "smoke-sweep.toml")
# --long: the same experiment over 8 weights (8 points x 3 seeded repetitions, 24 runs
# through each runner; a few minutes): the full-size check, run by make test.
LONG_WEIGHTS = "[64, 128, 256, 384, 512, 768, 1024, 2048]"
JOBS = str(min(2, os.cpu_count() or 1))    # the gather job's CPUs: the node has them
FAILED = 4                  # run 4, p002/credit-r2: the run the test marks failed


def hvlab(args: list[str], env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, os.path.join(ROOT, "hvlab"), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)


def read(path: str, mode: str = "rb"):
    with open(path, mode) as f:
        return f.read()


def main(argv: list[str]) -> int:
    checks: list[tuple[str, bool, str]] = []
    # A test stopped by a signal must still stop its daemons (the finally below).
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda n, _f: sys.exit(128 + n))
    try:
        cl = cluster.Cluster(keep=bool(os.environ.get("HVLAB_KEEP"))).start()
    except cluster.Unavailable as e:
        msg = str(e).replace("\n", "\n    ")
        print("*" * 72 + f"\nSKIP slurm tests: Slurm cannot run here: {msg}\n" + "*" * 72)
        if os.environ.get("HVLAB_REQUIRE_SLURM") == "1":
            print("slurm tests: 0 passed, 1 failed (HVLAB_REQUIRE_SLURM=1)")
            return 1
        print("slurm tests: 0 passed, 0 failed (skipped)")
        return 0
    tmp = tempfile.mkdtemp(prefix="hvlab-slurm-test-")
    env = cl.env()
    sweep_file = SWEEP
    if "--long" in argv:
        sweep_file = os.path.join(tmp, "smoke-sweep.toml")      # the same file name
        with open(SWEEP) as f, open(sweep_file, "w") as g:
            g.write(f.read().replace("[128, 512]", LONG_WEIGHTS))
    units = sweep.load(sweep_file).units()
    RUNS = tuple(f"{p.key}/runs/{c.key}" for p, c in units)
    p2_weight = next(p.params["domain.hog.weight"] for p, _ in units if p.key == "p002")
    try:
        s_out, l_out = os.path.join(tmp, "slurm"), os.path.join(tmp, "local")
        p = hvlab(["sweep", sweep_file, "--out", s_out, "--no-build", "--slurm", "--wait",
                   "--jobs", JOBS], env)
        checks.append(("slurm sweep: hvlab exits 0", p.returncode == 0,
                       f"status {p.returncode}\n{p.stdout[-1500:]}{p.stderr[-1500:]}"))
        (sub,) = json.loads(read(os.path.join(s_out, "slurm", "jobs.json"), "r"))
        logs = sorted(glob.glob(os.path.join(s_out, "slurm", "task-*.out")),
                      key=lambda f: int(f.rsplit("_", 1)[1][:-4]))     # by task index
        said = [read(f, "r") for f in logs]
        checks.append(("slurm sweep: one array task per run, each ran its run",
                       sub["runs"] == list(range(len(RUNS))) and len(logs) == len(RUNS)
                       and all(f"run {i} ({units[i][1].key}):" in t and
                           t.rstrip().endswith("ok") for i, t in enumerate(said)),
                       f"runs {sub['runs']}, logs {said}"))
        gl = glob.glob(os.path.join(s_out, "slurm", f"gather-{sub['gather_job']}.out"))
        checks.append(("slurm sweep: the gather job wrote samples.csv and report.md",
                       bool(gl) and os.path.exists(os.path.join(s_out, "samples.csv"))
                       and f"| [p002](points/p002/report.md) | {p2_weight} | credit | 3/3 |"
                       in read(os.path.join(s_out, "report.md"), "r"),
                       read(gl[0], "r")[-800:] if gl else "no gather log"))

        p = hvlab(["sweep", sweep_file, "--out", l_out, "--no-build", "--jobs", JOBS], env)
        checks.append(("local sweep: hvlab exits 0", p.returncode == 0,
                       f"status {p.returncode}\n{p.stdout[-1500:]}{p.stderr[-1500:]}"))
        same = [(r, len(read(os.path.join(s_out, "points", r, "trace.bin"))))
                for r in RUNS if read(os.path.join(s_out, "points", r, "trace.bin")) ==
                read(os.path.join(l_out, "points", r, "trace.bin"))]
        checks.append(("same as local: byte-identical trace.bin for every run",
                       len(same) == len(RUNS) and all(n > 1000 for _, n in same),
                       f"identical: {same}"))
        checks.append(("same as local: identical samples.csv",
                       read(os.path.join(s_out, "samples.csv")) ==
                       read(os.path.join(l_out, "samples.csv")), ""))
        # --force: a working tree with uncommitted changes is refused without it.
        p = hvlab(["compare", s_out, l_out, "--force"], env)
        checks.append(("hvlab compare on the two sweep folders: no difference", p.returncode
                       == 0 and "## p002/" in p.stdout and "| yes |" not in
                       p.stdout and "cpu_share.hog.share_of_machine" in p.stdout,
                       f"status {p.returncode}\n{p.stdout[-1500:]}{p.stderr[-800:]}"))
        leaks = []
        for r in RUNS:
            rd = os.path.join(s_out, "points", r)
            texts = [read(f, "r") for f in glob.glob(os.path.join(rd, "inputs", "*"))]
            texts.append(json.loads(read(os.path.join(rd, "run.json"), "r"))["command_line"])
            leaks += [r for t in texts if tmp in t or ROOT in t]
        checks.append(("no host paths in guest inputs or QEMU command lines", not leaks,
                       f"leaks in {leaks}"))

        # A failed task: its run.json says so. --rerun-failed resubmits that run alone.
        rj = os.path.join(s_out, "points", RUNS[FAILED], "run.json")
        info = json.loads(read(rj, "r"))
        trace_before = read(os.path.join(s_out, "points", RUNS[FAILED], "trace.bin"))
        others = {r: read(os.path.join(s_out, "points", r, "run.json")) for r in RUNS
                  if r != RUNS[FAILED]}
        info["state"] = "timed out"
        with open(rj, "w") as f:
            json.dump(info, f)
        p = hvlab(["sweep", sweep_file, "--out", s_out, "--no-build", "--slurm", "--wait",
                   "--rerun-failed", "--jobs", JOBS], env)
        hist = json.loads(read(os.path.join(s_out, "slurm", "jobs.json"), "r"))
        job = hist[-1]["array_job"]
        logs = sorted(os.path.basename(f) for f in
                      glob.glob(os.path.join(s_out, "slurm", f"task-{job}_*.out")))
        checks.append(("rerun failed: only the failed run resubmitted, and it passes",
                       p.returncode == 0 and hist[-1]["runs"] == [FAILED]
                       and f"--array={FAILED}" in hist[-1]["array_command"]
                       and logs == [f"task-{job}_{FAILED}.out"]
                       and json.loads(read(rj, "r"))["state"] == "ok",
                       f"status {p.returncode}, runs {hist[-1]['runs']}, logs {logs}\n"
                       f"{p.stdout[-800:]}{p.stderr[-800:]}"))
        checks.append(("rerun failed: the finished runs untouched, the rerun's trace "
                       "identical", all(read(os.path.join(s_out, "points", r, "run.json"))
                                        == b for r, b in others.items())
                       and read(os.path.join(s_out, "points", RUNS[FAILED], "trace.bin"))
                       == trace_before, ""))

        p = hvlab(["sweep", SWEEP, "--out", os.path.join(tmp, "refused"), "--no-build",
                   "--slurm", "--sbatch-arg=--partition=nosuchpartition"], env)
        checks.append(("sbatch refusal: exit 2 with sbatch's answer", p.returncode == 2
                       and "sbatch failed" in p.stderr and "nosuchpartition" in p.stderr
                       and "invalid partition" in p.stderr.lower(),
                       f"status {p.returncode}: {p.stderr.strip()[-600:]}"))
    except Exception as e:  # a harness failure is a test failure, with its message
        checks.append(("slurm sweep", False, f"{type(e).__name__}: {str(e)[-2000:]}"))
    finally:
        cl.stop()
        if os.environ.get("HVLAB_KEEP"):
            print(f"kept {tmp} and {cl.dir}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    failed = 0
    for name, ok, detail in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok
                                                      else ""))
        failed += not ok
    print(f"slurm tests: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
