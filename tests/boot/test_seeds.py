#!/usr/bin/env python3
"""Seeded samples on the real hypervisor (docs/statistics.md): ./hvlab run twice on
tests/boot/seeds.toml (one pCPU, rr, two repetitions with seeds 7 and 8, 20 ms
warm-up), into two folders.

  repeatable   each seed's trace, console and summary are byte-identical in both
               folders, and so are samples.csv and summary.json
  different    the two seeds gave different scenarios (creation order / start
               offsets), different traces and different metric values
  warm-up      every run's measured window begins 20 ms after its last domain's
               first TRC_DOM_UNPAUSE, and no running slice begins before it
  report       report.md states the seeds and has the statistics section
  compare      ./hvlab compare on the two folders: exit 0, no metric differs
Last line: "seeds tests: N passed, N failed".
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "experiments"))
import hvlab  # noqa: E402,F401
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_run import report  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXP = os.path.join(ROOT, "tests", "boot", "seeds.toml")


def hvlab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(ROOT, "hvlab"), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def values(folder: str) -> dict:
    """{(run, metric): value} of samples.csv."""
    with open(os.path.join(folder, "samples.csv")) as f:
        return {(r["run"], r["metric"]): r["value"] for r in csv.DictReader(f)}


def main() -> int:
    tmp = tempfile.mkdtemp(prefix="hvlab-seeds-")
    checks = []
    try:
        for name in ("a", "b"):
            p = hvlab("run", EXP, "--out", f"{tmp}/{name}", "--no-build")
            if p.returncode != 0:
                raise AssertionError(f"hvlab run failed ({p.returncode}):\n{p.stdout}\n"
                                     f"{p.stderr}")
        a, b = f"{tmp}/a", f"{tmp}/b"
        for key in ("rr-r1", "rr-r2"):
            same = [f for f in ("trace.bin", "console.txt", "summary.json")
                    if read(f"{a}/runs/{key}/{f}") == read(f"{b}/runs/{key}/{f}")]
            checks.append((f"{key}: repeatable (trace, console, summary identical)",
                           len(same) == 3, f"identical: {', '.join(same) or 'none'}"))
        checks.append(("samples.csv and summary.json identical in both folders",
                       read(f"{a}/samples.csv") == read(f"{b}/samples.csv")
                       and read(f"{a}/summary.json") == read(f"{b}/summary.json"), ""))
        s1 = read(f"{a}/runs/rr-r1/inputs/scenario").decode()
        s2 = read(f"{a}/runs/rr-r2/inputs/scenario").decode()
        seeds = [ln for s in (s1, s2) for ln in s.splitlines() if ln.startswith("# seed ")]
        checks.append(("the two seeds give different scenarios", s1 != s2, " | ".join(seeds)))
        t1, t2 = read(f"{a}/runs/rr-r1/trace.bin"), read(f"{a}/runs/rr-r2/trace.bin")
        checks.append(("the two seeds give different traces", t1 != t2 and len(t1) > 1000,
                       f"{len(t1)} and {len(t2)} bytes"))
        v = values(a)
        differ = sorted(m for (r, m) in v if r == "rr-r1" and v.get(("rr-r2", m)) != v[(r, m)])
        checks.append(("the two seeds give different metric values",
                       "guest.sleepy.lat_avg_ns" in differ,
                       f"{len(differ)} differ, e.g. {', '.join(differ[:4])}"))
        summ = json.loads(read(f"{a}/summary.json"))
        for key, c in summ["configurations"].items():
            w = c["measured_window"]
            ticks_per_ms = c["analysis"]["trace"]["tsc_khz"]
            ok = (w["start_tsc"] == w["last_domain_start_tsc"] + round(20 * ticks_per_ms)
                  and w["basis"] == "TRC_DOM_UNPAUSE"
                  and c["analysis"]["trace"]["first_tsc"] == w["start_tsc"])
            checks.append((f"{key}: measured window starts 20 ms after the last domain starts",
                           ok, f"{w}"))
            with open(f"{a}/runs/{key}/slices.csv") as f:
                first = min(int(r["start_tsc"]) for r in csv.DictReader(f))
            checks.append((f"{key}: no slice before the window", first >= w["start_tsc"],
                           f"first slice {first}, window {w['start_tsc']}"))
        md = read(f"{a}/report.md").decode()
        checks.append(("report.md states the seeds and the statistics",
                       "| rr-r1 | 7 |" in md and "| rr-r2 | 8 |" in md
                       and "## Statistics over repetitions" in md, ""))
        p = hvlab("compare", a, b, "--out", f"{tmp}/cmp")
        rows = list(csv.DictReader(open(f"{tmp}/cmp/compare.csv"))) if p.returncode == 0 else []
        checks.append(("compare a b: exit 0, every metric compared, none differs",
                       p.returncode == 0 and len(rows) > 10
                       and all(r["differs"] == "0" for r in rows),
                       f"exit {p.returncode}, {len(rows)} metrics {p.stderr.strip()[-300:]}"))
    except Exception as e:      # a harness failure is a test failure, with its message
        checks.append(("seeded runs", False, str(e)[-2000:]))
    finally:
        if not os.environ.get("HVLAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return report("seeds tests", checks)


if __name__ == "__main__":
    sys.exit(main())
