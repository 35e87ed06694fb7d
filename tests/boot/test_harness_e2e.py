#!/usr/bin/env python3
"""The harness end to end, on the real hypervisor: ./hvlab run on the smoke
experiment (2 pCPUs, 200 ms, rr, traced).

  deterministic   two runs give byte-identical summary.json and trace.bin
  accounting      every vCPU's runstate times sum to the traced interval (0.1%)
  no drops        nothing lost at the default ring size
  pftrace         runs/rr-r1/trace.pftrace decodes (tests/harness/pbdecode.py)
  topology        runs/rr-r1/topology.svg (1 node, 2 pCPUs) and report.md shows it
  tiny ring       with 64-record rings, drops happen and the summary and the
                  report say how many
Last line: "harness e2e tests: N passed, N failed".
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# The hvlab package first: on a Python older than 3.11 it stops with one clear line.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "experiments"))
import hvlab  # noqa: E402,F401
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_run import report  # noqa: E402
import tomllib  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SMOKE = os.path.join(ROOT, "experiments", "smoke.toml")


def run(exp: str, out: str, lossy: bool = False) -> dict:
    """lossy: the run is expected to lose records, which hvlab flags (status 1)."""
    p = subprocess.run([os.path.join(ROOT, "hvlab"), "run", exp, "--out", out, "--no-build"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    if p.returncode not in ((0, 1) if lossy else (0,)):
        raise AssertionError(f"hvlab run {exp} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    with open(os.path.join(out, "summary.json"), "rb") as f:
        raw = f.read()
    return {"raw": raw, "json": json.loads(raw), "out": out}


def only_config(s: dict) -> dict:
    (cfg,) = s["json"]["configurations"].values()
    return cfg


def pftrace_check(path: str) -> tuple:
    """The native Perfetto trace is written and decodes: a track per pCPU, slices."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
    import pbdecode
    if not os.path.exists(path):
        return ("trace.pftrace written", False, f"no {path}")
    tracks, events = pbdecode.decode_trace(open(path, "rb").read())
    names = sorted(t["name"] for t in tracks.values() if t["name"].startswith("pCPU "))
    slices = sum(1 for e in events if e["type"] == 1 and e["cat"] == "vcpu")
    return ("trace.pftrace written and decodes", names == ["pCPU 0", "pCPU 1"] and slices > 10,
            f"pCPU tracks {names}, {slices} vCPU slices, {len(events)} events")


def main() -> int:
    tmp = tempfile.mkdtemp(prefix="hvlab-e2e-")
    keep = os.environ.get("HVLAB_KEEP")
    results = []
    try:
        a, b = run(SMOKE, f"{tmp}/a"), run(SMOKE, f"{tmp}/b")
        ta = open(f"{tmp}/a/runs/rr-r1/trace.bin", "rb").read()
        tb = open(f"{tmp}/b/runs/rr-r1/trace.bin", "rb").read()
        results.append(("deterministic: identical summary.json", a["raw"] == b["raw"], ""))
        results.append(("deterministic: identical trace.bin", ta == tb and len(ta) > 1000,
                        f"{len(ta)} bytes"))
        an = only_config(a)["analysis"]
        worst = min(v["accounted_fraction"] for v in an["runstate"].values())
        results.append(("runstates account for the traced interval (0.1%)",
                        abs(1 - worst) <= 0.001, f"worst vCPU {worst:.6f}"))
        lost = an["integrity"]["lost_records"]
        results.append(("no record lost at the default ring size", lost == 0, f"{lost} lost"))
        results.append(pftrace_check(f"{tmp}/a/runs/rr-r1/trace.pftrace"))
        topo = json.load(open(f"{tmp}/a/runs/rr-r1/summary.json")).get("topology", {})
        results.append(("topology.svg drawn from what the hypervisor read",
                         (topo.get("nodes"), topo.get("pcpus"), topo.get("picture")) ==
                         (1, 2, "topology.svg") and os.path.exists(f"{tmp}/a/runs/rr-r1/topology.svg")
                         and "runs/rr-r1/topology.svg" in open(f"{tmp}/a/report.md").read(),
                         str(topo)[:300]))

        doc = tomllib.load(open(SMOKE, "rb"))
        text = open(SMOKE).read().replace(f"ring_records = {doc['trace']['ring_records']}",
                                          "ring_records = 64")
        tiny = f"{tmp}/tiny.toml"
        open(tiny, "w").write(text.replace('name = "smoke"', 'name = "smoke-tiny-ring"'))
        t = run(tiny, f"{tmp}/tiny", lossy=True)
        tl = only_config(t)["analysis"]["integrity"]["lost_records"]
        report_md = open(f"{tmp}/tiny/report.md").read()
        results.append(("tiny ring: drops counted", tl > 0, f"{tl} lost"))
        results.append(("tiny ring: the report lists the loss as a problem",
                        f"lost_records = {tl}" in report_md, "report.md: Problems"))
    except Exception as e:  # a harness failure is a test failure, with its message
        results.append(("harness run", False, str(e)[-2000:]))
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return report("harness e2e tests", results)


if __name__ == "__main__":
    sys.exit(main())
