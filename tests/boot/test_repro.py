#!/usr/bin/env python3
"""Reproducible anywhere: the same tree built in two folders of different paths gives
byte-identical images, and one experiment run from each, into output folders of
different path lengths, gives byte-identical traces, consoles and summaries.

  images       every build/**/*.elf is the same in both trees, and none holds the
               tree's path or the compiler's header folder
  experiment   tests/boot/repro.toml from both trees: every file of the results
               folder is the same, but for run.json and meta.json (the same but for
               wall times) and report.md; no result file names the output folder

The trees are copies of the files git tracks here (the working tree, uncommitted
edits included), or with --rev REV that commit's files, e.g. to show that an older
commit fails; the experiment file is always this tree's. The experiment is the smoke
experiment on one pCPU: with -smp >= 2 stock QEMU 7.2 can diverge even in one folder
(docs/experiments.md, "Reproducibility").

  python3 tests/boot/test_repro.py [--rev REV] [--keep]
Last line: "repro tests: N passed, N failed".
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXPERIMENT = "tests/boot/repro.toml"
# Results files that legitimately differ between two runs (wall times): the JSON ones
# are compared without their WALL_KEYS; report.md is made from them and summary.json.
SAME_EXCEPT = {"meta.json", "report.md", "run.json"}
WALL_KEYS = {"wall_s", "wall_s_total"}
# A whole build of the tree in each of two folders at once: ~1 min on a quiet 2-core
# machine, but several times that when the machine is shared; a hang, not slowness, is
# what this bound is for.
TIMEOUT_S = 1200


def git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True).stdout


def export(dest: str, rev: str | None) -> None:
    """Copies the tracked files (of the working tree, or of rev) into dest."""
    os.makedirs(dest)
    if rev:
        tar = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True,
                             capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", dest], input=tar, check=True)
    else:
        for rel in git("ls-files", "-z").decode().split("\0"):
            src = os.path.join(ROOT, rel)
            if rel and os.path.lexists(src):
                os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
                shutil.copy2(src, os.path.join(dest, rel), follow_symlinks=False)
    os.makedirs(os.path.join(dest, os.path.dirname(EXPERIMENT)), exist_ok=True)
    shutil.copy2(os.path.join(ROOT, EXPERIMENT), os.path.join(dest, EXPERIMENT))


def run_both(cmds: list[tuple[list[str], str]], what: str) -> None:
    """Runs each (command, cwd) at the same time; raises with the output of a failure."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "BUILD")}
    procs = [subprocess.Popen(c, cwd=d, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for c, d in cmds]
    outs = [p.communicate(timeout=TIMEOUT_S)[0].decode("utf-8", "replace") for p in procs]
    for p, (c, d), out in zip(procs, cmds, outs):
        if p.returncode != 0:
            raise RuntimeError(f"{what} in {d} failed (exit status {p.returncode}): "
                               f"{' '.join(c)}\n{out[-3000:]}")


def files(top: str, suffix: str = "") -> dict[str, bytes]:
    got = {}
    for d, _, names in os.walk(top):
        for n in names:
            if n.endswith(suffix):
                p = os.path.join(d, n)
                with open(p, "rb") as f:
                    got[os.path.relpath(p, top)] = f.read()
    return got


def difference(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"{len(a)} vs {len(b)} bytes, first difference at offset {at:#x}"


def compare(a: dict[str, bytes], b: dict[str, bytes], skip=frozenset()) -> list[str]:
    """Every problem: files only on one side, files whose bytes differ."""
    problems = [f"{f}: only in the first" for f in sorted(a.keys() - b.keys())]
    problems += [f"{f}: only in the second" for f in sorted(b.keys() - a.keys())]
    for f in sorted(a.keys() & b.keys()):
        if os.path.basename(f) not in skip and a[f] != b[f]:
            problems.append(f"{f}: {difference(a[f], b[f])}")
    return problems


def without_wall(data: bytes):
    """The JSON document without its WALL_KEYS, at any depth."""
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in WALL_KEYS}
        return [strip(x) for x in v] if isinstance(v, list) else v
    return strip(json.loads(data))


def main() -> int:
    rev = sys.argv[sys.argv.index("--rev") + 1] if "--rev" in sys.argv else None
    try:
        git("rev-parse", "--git-dir")
    except (OSError, subprocess.CalledProcessError):
        print("repro tests: skipped: not a git checkout (the trees are copies of "
              "git's files)")
        return 0
    gcc_inc = subprocess.run([os.environ.get("CC", "gcc"), "-print-file-name=include"],
                             capture_output=True, text=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="hvlab-repro-")
    # Different depths and lengths, for the trees and for the results folders.
    trees = [os.path.join(tmp, "a"), os.path.join(tmp, "bbbbbbbbbbbbbbbbbbbbb", "cc", "tree")]
    outs = [os.path.join(tmp, "o"),
            os.path.join(tmp, "results-of-a-much-longer-name", "x", "y", "out")]
    results = []
    try:
        for t in trees:
            export(t, rev)
        run_both([(["make", "-s", "-j2", "all"], t) for t in trees], "make all")
        imgs = [files(os.path.join(t, "build"), ".elf") for t in trees]
        problems = compare(*imgs)
        results.append((f"images: {len(imgs[0])} built, identical in both folders",
                        bool(imgs[0]) and not problems, problems))
        leaks = [f"{t}/build/{f} holds {s!r}" for t, im in zip(trees, imgs)
                 for f, data in sorted(im.items())
                 for s in (t, tmp, gcc_inc) if s and s.encode() in data]
        results.append(("images: no host path inside (tree, temporary folder, gcc's "
                        "headers)", not leaks, leaks))
        run_both([([sys.executable, "hvlab", "run", EXPERIMENT, "--out", o, "--no-build"], t)
                  for t, o in zip(trees, outs)], "hvlab run")
        res = [files(o) for o in outs]
        problems = compare(*res, skip=SAME_EXCEPT)
        key = "runs/rr-r1/"
        core = [key + f for f in ("trace.bin", "console.txt", "summary.json")]
        present = all(f in res[0] and len(res[0][f]) > 100 for f in core)
        results.append((f"experiment: {len(res[0])} result files identical from both "
                        f"(except {', '.join(sorted(SAME_EXCEPT))}), "
                        f"trace.bin {len(res[0].get(core[0], b''))} bytes",
                        present and not problems, problems))
        walls = [f for f in sorted(res[0].keys() & res[1].keys())
                 if f.endswith(".json") and os.path.basename(f) in SAME_EXCEPT
                 and without_wall(res[0][f]) != without_wall(res[1][f])]
        results.append(("experiment: run.json and meta.json differ only in wall times",
                        not walls, walls))
        leaks = [f"{f} holds {s!r}" for r, o in zip(res, outs) for f, data in sorted(r.items())
                 for s in (o, tmp) if s.encode() in data]
        results.append(("results: no file names the output or temporary folder", not leaks,
                        leaks))
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        results.append(("build and run in two folders", False, [str(e)]))
    finally:
        if "--keep" in sys.argv:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    failed = 0
    for what, ok, problems in results:
        print(("ok   " if ok else "FAIL ") + what)
        for p in problems[:12]:
            print(f"       {p}")
        failed += not ok
    print(f"repro tests: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
