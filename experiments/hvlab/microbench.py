"""The microbenchmarks (bench/micro.c, docs/microbenchmarks.md): their result lines,
and the table microbenchmark x mode.

bench/micro.c prints one line per case:
  result bench=micro case=NAME mode=M iters=N ns=T ns_per_op=P [early=K early_max_ns=E]
  result bench=micro case=NAME mode=M skipped="REASON"
  result bench=micro case=NAME mode=M FAILED="REASON"
Under -icount (deterministic mode) ns counts instructions of the whole machine, so
ns_per_op is the path length of one operation in that mode. The table gives it per
mode and its ratio to native (the same case of the same source on bare QEMU).
"""
from __future__ import annotations

import json
import os
import re

from . import console

MODES = ("native", "pv", "hvm")
CASES = ("null", "ptupdate", "pagefault", "timer", "ipi", "ioport", "forkas", "cpu",
         "mem4k", "mem2m")
_LINE = re.compile(r'result bench=micro case=(\S+) mode=(\S+) (.*)$')
_REASON = re.compile(r'(skipped|FAILED)="([^"]*)"$')
_NUM = ("iters", "ns", "early", "early_max_ns")


class MicroError(Exception):
    """A result line the report cannot use (the message says which and why)."""


def parse(text: str) -> list[dict]:
    """The micro result lines of a console, in order: {"case", "mode", and either
    "iters", "ns", "ns_per_op" (float) [, "early", "early_max_ns"], or "skipped" /
    "failed": the reason}. Raises MicroError for a malformed micro line."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        _, line = console.strip_prefix(raw.rstrip("\r"))
        if not line.startswith("result bench=micro "):
            continue
        m = _LINE.match(line)
        if not m:
            raise MicroError(f"console line {n}: a micro result line without case and mode")
        rec = {"case": m.group(1), "mode": m.group(2)}
        r = _REASON.match(m.group(3))
        if r:
            rec["skipped" if r.group(1) == "skipped" else "failed"] = r.group(2)
            out.append(rec)
            continue
        kv = dict(re.findall(r"(\w+)=(\S+)", m.group(3)))
        try:
            for k in _NUM:
                if k in kv:
                    rec[k] = int(kv[k])
            rec["ns_per_op"] = float(kv["ns_per_op"])
            if "iters" not in rec or "ns" not in rec:
                raise KeyError("iters" if "iters" not in rec else "ns")
        except (KeyError, ValueError) as e:
            raise MicroError(f"console line {n}: case {rec['case']}: bad or missing {e}") \
                from None
        out.append(rec)
    return out


def problems(cases: list[dict]) -> list[str]:
    return [f"micro: {c['mode']} {c['case']}: FAILED: {c['failed']}"
            for c in cases if "failed" in c]


def _cell(c: dict | None, native: dict | None) -> str:
    if c is None:
        return "–"
    if "skipped" in c:
        return f"skipped: {c['skipped']}"
    if "failed" in c:
        return f"**FAILED**: {c['failed']}"
    s = f"{c['ns_per_op']:,.2f}"
    if native and "ns_per_op" in native and native["ns_per_op"] > 0:
        s += f" ({c['ns_per_op'] / native['ns_per_op']:.2f}×)"
    return s


def table(cases: list[dict]) -> list[str]:
    """Markdown rows: case x mode, instructions per op (ratio to native)."""
    by = {(c["case"], c["mode"]): c for c in cases}
    modes = [m for m in MODES if any(k[1] == m for k in by)] + \
        sorted({k[1] for k in by} - set(MODES))
    names = [n for n in CASES if any(k[0] == n for k in by)] + \
        sorted({k[0] for k in by} - set(CASES))
    L = ["| case | " + " | ".join(modes) + " |", "|---|" + "---|" * len(modes)]
    for n in names:
        L.append(f"| {n} | " + " | ".join(_cell(by.get((n, m)), by.get((n, "native")))
                                          for m in modes) + " |")
    return L


METHOD = ("Instructions per operation: guest time under QEMU -icount (1 ns = 1 "
          "instruction of the whole machine), the case's time divided by its iterations "
          "(timer: the mean latency from the deadline to the handler). In brackets: the "
          "ratio to native (bench/micro.c's HVM build on bare QEMU). Path length only: "
          "no TLB, cache or world-switch cost is modelled (docs/microbenchmarks.md).")


def report_section(summaries: list[dict]) -> list[str]:
    runs = [s for s in summaries if s.get("micro_cases")]
    if not runs:
        return []
    first = runs[0]
    return [f"## Microbenchmarks ({first['config']['key']})", "", METHOD, "",
            *table(first["micro_cases"]), ""]


def load_folder(path: str) -> list[dict]:
    """The micro cases of a results folder's first configuration with any."""
    f = os.path.join(path, "summary.json")
    try:
        with open(f, encoding="utf-8") as fh:
            confs = json.load(fh)["configurations"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise MicroError(f"{f}: not an experiment's summary ({e})") from None
    for c in confs.values():
        if c.get("micro_cases"):
            return c["micro_cases"]
    raise MicroError(f"{f}: no microbenchmark results")


def combined_markdown(dirs: list[str]) -> str:
    cases = [c for d in dirs for c in load_folder(d)]
    L = ["# Microbenchmarks: every case in every mode", "",
         "Generated by `hvlab micro-table` from " + ", ".join(f"`{d}`" for d in dirs)
         + " (docs/microbenchmarks.md).", "", METHOD, "", *table(cases), ""]
    return "\n".join(L)
