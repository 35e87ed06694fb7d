"""Running sweeps without QEMU (experiments/hvlab/sweep_run.py, sweep_slurm.py): a
rerun skips finished runs and, when asked, reruns only the failed ones; a folder of
another sweep is refused; the Slurm array spec, job scripts and sbatch arguments; a
submission through a stand-in sbatch (what it records, what it answers on refusal);
the long-format metrics of one run."""
from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import stat
import tempfile

from check import check, eq, raises

from hvlab import run as R
from hvlab import stats
from hvlab import sweep as S
from hvlab import sweep_run as SR
from hvlab import sweep_slurm as SL

TEXT = """
name = "t"
scheduler = "credit"
duration_ms = 100
repetitions = 2
[[domain]]
name = "a"
image = "cpuloop"
[sweep]
"domain.a.weight" = [128, 256, 512]
"""


@contextlib.contextmanager
def patched(obj, **attrs):
    old = {k: getattr(obj, k) for k in attrs}
    for k, v in attrs.items():
        setattr(obj, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(obj, k, v)


@contextlib.contextmanager
def tmpdir():
    d = tempfile.mkdtemp(prefix="hvlab-sweep-test-")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


class FakeQemu:
    """Stands in for run.run_one: writes run.json with the state asked for."""

    def __init__(self, failing=()):
        self.calls, self.failing = [], set(failing)

    def __call__(self, exp, cfg, rd):
        key = "/".join(rd.split(os.sep)[-3::2])          # p002/credit-r1
        self.calls.append(key)
        os.makedirs(rd, exist_ok=True)
        info = {"config": cfg.key, "wall_s": 0.0,
                "state": "timed out" if key in self.failing else "ok"}
        with open(os.path.join(rd, "run.json"), "w") as f:
            json.dump(info, f)
        return info


def _run(sw, out, fake, **kw):
    with patched(SR, check_images=lambda sw: None, gather=lambda *a, **k: 0), \
            patched(R, run_one=fake):
        SR.run_local(sw, out, jobs=2, build=False, log=lambda *a: None, **kw)


def test_resume_skips_finished_and_reruns_failed_alone():
    sw = S.loads(TEXT, "t.toml")
    eq(len(sw.units()), 6, "3 points x 2 repetitions")
    with tmpdir() as out:
        f1 = FakeQemu(failing={"p002/credit-r2"})
        _run(sw, out, f1)
        eq(sorted(f1.calls), sorted(f"{p.key}/{c.key}" for p, c in sw.units()),
           "first run: every run")
        f2 = FakeQemu()
        _run(sw, out, f2)
        eq(f2.calls, [], "rerun: finished runs (ok or failed) are skipped")
        eq(SR.pending(sw, out, rerun_failed=True), [3], "the failed run is index 3")
        f3 = FakeQemu()
        _run(sw, out, f3, rerun_failed=True)
        eq(f3.calls, ["p002/credit-r2"], "--rerun-failed: the failed run alone")
        os.remove(os.path.join(out, "points", "p003", "runs", "credit-r1", "run.json"))
        f4 = FakeQemu()
        _run(sw, out, f4)
        eq(f4.calls, ["p003/credit-r1"], "an interrupted run (no run.json) runs again")
        with open(os.path.join(out, "points", "p002", "params.json")) as f:
            eq(json.load(f), {"point": "p002", "domain.a.weight": 256}, "params.json")
        with open(os.path.join(out, "sweep.json")) as f:
            eq(json.load(f)["runs"][3], "p002/credit-r2", "sweep.json: run order")
        other = S.loads(TEXT.replace("[128, 256, 512]", "[128, 999]"), "t.toml")
        raises(S.SweepError, lambda: SR.prepare(other, out), "another sweep's folder",
               contains=("differs from this sweep's", "another sweep's results"))


def test_reopen_gives_the_same_runs():
    sw = S.loads(TEXT, "dir/t.toml")
    with tmpdir() as out:
        SR.prepare(sw, out)
        again = SR.reopen(out)
        eq([(p.key, p.params, c.key) for p, c in again.units()],
           [(p.key, p.params, c.key) for p, c in sw.units()], "same runs, same order")
        eq(os.path.basename(again.points[0].exp.path), "t.toml",
           "the point keeps the sweep file's name (same scenario text)")
        raises(S.SweepError, lambda: SR.run_unit(again, out, 6), "index past the end",
               contains=("run index 6 is out of range 0..5",))


CASES_ARRAY = [([0], "0"), ([0, 1, 2], "0-2"), ([5, 0, 1, 2, 7, 8], "0-2,5,7-8"),
               ([3, 3, 4], "3-4"), ([1, 3, 5], "1,3,5")]


def test_array_spec():
    for idx, want in CASES_ARRAY:
        eq(SL.array_spec(idx), want, f"array_spec({idx})")
    eq(SL.array_spec([0, 1], limit=4), "0-1%4", "with a limit")


def test_job_scripts_and_sbatch_args():
    sw = S.loads(TEXT, "t.toml")
    out = "/shared/my sweeps/$x"
    s = SL.task_script(out, "array", python="/usr/bin/python3", repo="/r e/po")
    line = s.splitlines()[-1]
    eq(shlex.split(line.replace('"$SLURM_ARRAY_TASK_ID"', "7")),
       ["exec", "/usr/bin/python3", "/r e/po/hvlab", "sweep-task", out, "7"],
       "array script: quoted paths, the task id")
    check(s.startswith("#!/bin/sh\n"), "a shell script")
    g = SL.task_script(out, "gather", python="/usr/bin/python3", repo="/r e/po")
    g = SL.task_script(out, "gather", python="/usr/bin/python3", repo="/r e/po", jobs=2)
    eq(shlex.split(g.splitlines()[-1])[-4:], [out, "--gather", "--jobs", "2"],
       "gather script")
    a = SL.sbatch_args(sw, out, "array", [0, 1, 2, 5], limit=2, extra=["--partition=x"])
    eq(a[:2], ["sbatch", "--parsable"], "sbatch --parsable")
    for want in ("--array=0-2,5%2", f"--output={out}/slurm/task-%A_%a.out",
                 "--cpus-per-task=1", f"--chdir={out}", "--job-name=hvlab-t"):
        check(want in a, f"{want} in {a}")
    eq(a[-2:], ["--partition=x", f"{out}/slurm/array.sh"], "extra args, then the script")
    check(any(x.startswith("--time=") and int(x[7:]) >= 1 for x in a), f"--time in {a}")
    g = SL.sbatch_args(sw, out, "gather", after="123", jobs=2)
    check("--dependency=afterany:123" in g and "--cpus-per-task=2" in g,
          f"gather after the array, with its CPUs: {g}")


def _fake_bin(folder: str, name: str, body: str) -> None:
    p = os.path.join(folder, name)
    with open(p, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(p, stat.S_IRWXU)


def test_submit_through_a_stand_in_sbatch():
    sw = S.loads(TEXT, "t.toml")
    with tmpdir() as d:
        bin_, out, log = os.path.join(d, "bin"), os.path.join(d, "out"), os.path.join(d, "log")
        os.makedirs(bin_)
        _fake_bin(bin_, "sbatch", f'echo "$@" >> {shlex.quote(log)}\n'
                  f'n=$(wc -l < {shlex.quote(log)}); echo "$((40 + n));cluster"\n')
        path = os.environ["PATH"]
        os.environ["PATH"] = bin_ + os.pathsep + path
        try:
            with patched(SR, check_images=lambda sw: None):
                eq(SL.submit(sw, out, build=False, log=lambda *a: None), 0, "submitted")
                with open(os.path.join(out, "slurm", "jobs.json")) as f:
                    (j,) = json.load(f)
                eq((j["array_job"], j["gather_job"], j["runs"]), ("41", "42", list(range(6))),
                   "job ids from --parsable, every run")
                with open(log) as f:
                    calls = f.read().splitlines()
                check("--array=0-5" in calls[0] and "--dependency=afterany:41" in calls[1],
                      f"sbatch calls: {calls}")
                check(os.access(os.path.join(out, "slurm", "array.sh"), os.X_OK),
                      "array.sh written, executable")
                # A finished run is not submitted again.
                FakeQemu()(sw.points[0].exp, sw.points[0].exp.configs()[0],
                           SR.run_dir(out, sw.points[0], sw.points[0].exp.configs()[0]))
                SL.submit(sw, out, build=False, log=lambda *a: None)
                with open(os.path.join(out, "slurm", "jobs.json")) as f:
                    eq(json.load(f)[-1]["runs"], [1, 2, 3, 4, 5], "resubmission: the rest")
            _fake_bin(bin_, "sbatch", 'echo "sbatch: error: Batch job submission failed: '
                      'Invalid partition name specified" >&2; exit 1\n')
            fresh = os.path.join(d, "fresh")
            with patched(SR, check_images=lambda sw: None):
                raises(S.SweepError, lambda: SL.submit(sw, fresh, build=False,
                                                       log=lambda *a: None),
                       "refused submission", contains=(
                           "sbatch failed (exit status 1): sbatch: error: Batch job "
                           "submission failed: Invalid partition name specified",
                           "command: sbatch --parsable"))
            check(not os.path.exists(fresh), "a refused first submission leaves no folder")
        finally:
            os.environ["PATH"] = path


def test_point_rows_put_the_point_first():
    sw = S.loads(TEXT.replace('"domain.a.weight" = [128, 256, 512]',
                              '"domain.a.weight" = [128]\nscheduler = ["credit"]'), "t.toml")
    rows = [{"run": "credit-r1", "scheduler": "credit", "rep": 1, "seed": "",
             "metric": "machine_busy", "value": 0.5}]
    out = SR.point_rows(sw.points[0], rows)
    eq(list(out[0]), ["point", "domain.a.weight", "run", "scheduler", "rep", "seed",
                      "metric", "value"], "columns: point, swept keys, then the run's")
    eq((out[0]["point"], out[0]["domain.a.weight"], out[0]["value"]), ("p001", 128, 0.5),
       "values")
    with tmpdir() as d:
        stats.write_long_csv(os.path.join(d, "r.csv"), out)
        with open(os.path.join(d, "r.csv")) as f:
            eq(f.read().splitlines()[1], "p001,128,credit-r1,credit,1,,machine_busy,0.5",
               "the CSV row")


def test_cli_bad_sweep_exits_2_and_writes_nothing():
    import io
    import sys
    from hvlab import cli
    with tmpdir() as d:
        bad, good, out = (os.path.join(d, n) for n in ("bad.toml", "good.toml", "out"))
        with open(bad, "w") as f:
            f.write(TEXT.replace("[128, 256, 512]", "[128, 0]"))
        with open(good, "w") as f:
            f.write(TEXT)
        err, old = io.StringIO(), sys.stderr
        sys.stderr = err
        try:
            rc = cli.main(["sweep", bad, "--out", out, "--no-build"])
        finally:
            sys.stderr = old
        eq(rc, 2, "bad input: exit status 2")
        check(f"hvlab sweep: {bad}: point p002 (sweep.\"domain.a.weight\" = 0): "
              "domain[0].weight: 0 is out of range" in err.getvalue(),
              f"one message naming file, key, value: {err.getvalue()!r}")
        check(not os.path.exists(out), "nothing written")
        outp, old = io.StringIO(), sys.stdout
        sys.stdout = outp
        try:
            rc = cli.main(["sweep", good, "--out", out, "--check"])
        finally:
            sys.stdout = old
        eq(rc, 0, "--check: exit 0")
        check("p003: domain.a.weight = 512  (2 runs: credit x 2)" in outp.getvalue(),
              f"--check lists the points: {outp.getvalue()!r}")
        check(not os.path.exists(out), "--check writes nothing")
        err, old = io.StringIO(), sys.stderr
        sys.stderr = err
        try:
            rc = cli.main(["sweep", good, "--out", out, "--wait"])
        finally:
            sys.stderr = old
        eq((rc, err.getvalue().strip()), (2, "hvlab sweep: --wait: only with --slurm"),
           "a Slurm option without --slurm")
