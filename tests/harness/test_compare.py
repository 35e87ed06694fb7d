"""hvlab compare A B on synthetic results folders: per-metric differences with their
intervals; refusal (exit status 2, the reason named) on different commits, QEMU
versions, images or experiment inputs; --force goes on with the warnings in the
report."""
from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import shutil
import subprocess
import tempfile

from check import check, eq, raises

from hvlab import cli, compare, stats

EXP = 'name = "x"\nscheduler = "credit"\nduration_ms = 100\n[[domain]]\nname = "a"\n' \
      'image = "cpuloop"\nweight = 256\n'
META = {"git": {"commit": "a" * 40, "dirty": False},
        "qemu": {"version": "QEMU emulator version 7.2.0", "commands": {}},
        "host": {}, "experiment": {"file": "x.toml", "text": EXP},
        "images": {"build/hvlab.elf": "1" * 64}}


def folder(root: str, name: str, shift: float, meta: dict | None = None, seed: int = 1) -> str:
    """A results folder with 8 seeded runs of credit: metric "lat" ~ 100 + shift + noise,
    "same" identical in every folder."""
    d = os.path.join(root, name)
    os.makedirs(d)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta or META, f)
    rng, rows = stats.Rng(seed), []
    for rep in range(1, 9):
        p = {"run": f"credit-r{rep}", "scheduler": "credit", "rep": rep, "seed": rep}
        rows.append({**p, "metric": "lat", "value": 100 + shift + rng.below(5)})
        rows.append({**p, "metric": "same", "value": 7.0})
    stats.write_long_csv(os.path.join(d, "samples.csv"), rows)
    return d


def run_cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(["compare", *args])
    return rc, out.getvalue(), err.getvalue()


def test_compare_differences():
    root = tempfile.mkdtemp(prefix="hvlab-cmp-")
    try:
        a, b = folder(root, "a", 0), folder(root, "b", 20, seed=2)
        text, rows, warn = compare.compare(a, b)
        eq(warn, [], "same commit, QEMU, images and inputs")
        by = {r[1]: r for r in rows}
        lat, same = by["lat"], by["same"]
        check(18 <= lat[10] <= 22, f"difference of medians about 20: {lat[10]}")
        check(lat[11] > 0 and lat[11] <= lat[10] <= lat[12],
              f"its interval [{lat[11]}, {lat[12]}] excludes 0 and holds it")
        eq(lat[14], 1, "lat differs")
        eq([same[10], same[11], same[12], same[14]], [0.0, 0.0, 0.0, 0], "same: no difference")
        check("| `lat` |" in text and "**yes**" in text, "the report's table")
        eq(compare.compare(a, b)[0], text, "deterministic report")
        rc, out, err = run_cli(a, b, "--out", os.path.join(root, "cmp"))
        eq(rc, 0, f"exit status ({err})")
        with open(os.path.join(root, "cmp", "compare.csv")) as f:
            eq(f.readline().strip(), ",".join(compare.CSV_HEADER), "compare.csv header")
    finally:
        shutil.rmtree(root)


def test_compare_refuses_mismatches():
    root = tempfile.mkdtemp(prefix="hvlab-cmp-")
    try:
        a = folder(root, "a", 0)
        m = copy.deepcopy(META)
        m["git"]["commit"] = "b" * 40
        b = folder(root, "b", 0, m)
        e = raises(compare.CompareRefused, lambda: compare.compare(a, b),
                   "different commits refused", ("different commits", "a" * 40, "b" * 40,
                                                 "--force"))
        rc, out, err = run_cli(a, b)
        eq(rc, 2, "exit status 2")
        check("different commits" in err and out == "", f"stderr says why: {err}")
        text, rows, warn = compare.compare(a, b, force=True)
        check(any("different commits" in w for w in warn), "--force: warned")
        check("WARNING" in text and "different commits" in text, "warning in the report")
        rc, out, err = run_cli(a, b, "--force")
        eq(rc, 0, "--force goes on")
        check("WARNING: different commits" in err, "warns loudly on standard error")
        del e
        for change, want in (
                (lambda m: m["qemu"].__setitem__("version", "QEMU emulator version 8.2.2"),
                 "different QEMU versions"),
                (lambda m: m["git"].update(dirty=True, diff_sha256="d" * 64),
                 "B was made from a tree with uncommitted changes"),
                (lambda m: m["images"].__setitem__("build/hvlab.elf", "2" * 64),
                 "different image build/hvlab.elf"),
                (lambda m: m["experiment"].__setitem__("text", EXP.replace("256", "512")),
                 "different experiment inputs: domain[0].weight: 256 vs 512")):
            m = copy.deepcopy(META)
            change(m)
            shutil.rmtree(b)
            b = folder(root, "b", 0, m)
            raises(compare.CompareRefused, lambda: compare.compare(a, b), want, (want,))
    finally:
        shutil.rmtree(root)


def test_compare_bad_folders():
    root = tempfile.mkdtemp(prefix="hvlab-cmp-")
    try:
        a = folder(root, "a", 0)
        rc, _, err = run_cli(a, os.path.join(root, "nope"))
        eq(rc, 2, "missing folder: exit 2")
        check("no such folder" in err, err)
        b = folder(root, "b", 0)
        os.remove(os.path.join(b, "samples.csv"))
        rc, _, err = run_cli(a, b)
        check(rc == 2 and "samples.csv: missing" in err and "hvlab report" in err, err)
    finally:
        shutil.rmtree(root)


def test_compare_groups_by_parameters():
    """A sweep's parameter columns keep its points apart: each point is compared with
    the same point of the other folder."""
    root = tempfile.mkdtemp(prefix="hvlab-cmp-")
    try:
        dirs = []
        for name, shift in (("a", 0), ("b", 50)):
            d = os.path.join(root, name)
            os.makedirs(d)
            with open(os.path.join(d, "meta.json"), "w") as f:
                json.dump(META, f)
            rows = [{"run": f"p{w}-r{r}", "scheduler": "credit", "weight": w, "rep": r,
                     "seed": r, "metric": "lat", "value": w + (shift if w == 512 else 0) + r}
                    for w in (256, 512) for r in range(1, 6)]
            stats.write_long_csv(os.path.join(d, "samples.csv"), rows)
            dirs.append(d)
        text, rows, _ = compare.compare(*dirs)
        by = {r[0]: r for r in rows}
        eq(sorted(by), ["credit/256", "credit/512"], "one comparison per sweep point")
        eq([by["credit/256"][10], by["credit/512"][10]], [0.0, 50.0],
           "differences per point, not mixed")
        eq([by["credit/256"][14], by["credit/512"][14]], [0, 1], "only 512 differs")
    finally:
        shutil.rmtree(root)


def test_compare_same_uncommitted_changes():
    """Two folders made from the same uncommitted changes are comparable; different
    changes, or changes whose digest is unknown, are not."""
    root = tempfile.mkdtemp(prefix="hvlab-cmp-")
    try:
        def meta(**git):
            m = copy.deepcopy(META)
            m["git"].update(git)
            return m
        same = meta(dirty=True, diff_sha256="d" * 64)
        a, b = folder(root, "a", 0, same), folder(root, "b", 0, same)
        eq(compare.compare(a, b)[2], [], "same changes in both: no warning")
        for other, want in ((meta(dirty=True, diff_sha256="e" * 64), "A was made"),
                            (meta(dirty=True), "that the other lacks")):
            shutil.rmtree(b)
            b = folder(root, "b", 0, other)
            raises(compare.CompareRefused, lambda: compare.compare(a, b), want, (want,))
    finally:
        shutil.rmtree(root)


def test_git_info_ignores_results():
    """The seeds boot test failed in CI: `make demo` had rewritten results/, so a folder
    made afterwards counted as made from a changed tree. Outputs under results/ do not
    make a tree dirty; a changed source does, with a digest that names the change."""
    if shutil.which("git") is None:
        print("skip: git not installed")
        return
    from hvlab import meta
    root = tempfile.mkdtemp(prefix="hvlab-git-")
    try:
        def git(*args):
            subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                           cwd=root, check=True, capture_output=True)
        os.makedirs(os.path.join(root, "results"))
        for rel in ("src.c", "results/report.md"):
            with open(os.path.join(root, rel), "w") as f:
                f.write("one\n")
        git("init", "-q")
        git("add", ".")
        git("commit", "-q", "-m", "x")
        eq(meta.git_info(root)["dirty"], False, "clean tree")
        with open(os.path.join(root, "results/report.md"), "w") as f:
            f.write("regenerated\n")
        eq(meta.git_info(root)["dirty"], False, "a regenerated result is not a change")
        with open(os.path.join(root, "src.c"), "w") as f:
            f.write("two\n")
        g1 = meta.git_info(root)
        check(g1["dirty"] and len(g1.get("diff_sha256", "")) == 64, f"changed source: {g1}")
        eq(meta.git_info(root)["diff_sha256"], g1["diff_sha256"], "same change, same digest")
        with open(os.path.join(root, "src.c"), "w") as f:
            f.write("three\n")
        check(meta.git_info(root)["diff_sha256"] != g1["diff_sha256"], "other change")
    finally:
        shutil.rmtree(root)
