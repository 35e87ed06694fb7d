"""Scheduler parameters, as the policies declare them.

Each policy lists its parameters (name, type, range, default, unit) and counters in
its own file (sched/private.h, struct sched_param). The build turns those lists into
build/sched-decls.json (tests/sched/decls_json.c compiles every policy file and prints
them), and this module reads that file: experiment files are checked against it and
dom0's cfg files written from it, so the harness keeps no table of which policy has
which parameter. A missing or stale file (older than a sched/*.c) is rebuilt with make.
"""
from __future__ import annotations

import json
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DECLS = os.path.join("build", "sched-decls.json")

_cache: dict[str, tuple[float, dict]] = {}


class DeclsError(Exception):
    """The declarations could not be built or read."""


def _stale(repo: str, path: str) -> bool:
    if not os.path.exists(path):
        return True
    t = os.path.getmtime(path)
    sched = os.path.join(repo, "sched")
    return any(os.path.getmtime(os.path.join(sched, f)) > t
               for f in os.listdir(sched) if f.endswith((".c", ".h")))


def load(repo: str = REPO) -> dict:
    """policy name -> {"sched_id", "desc", "params": [...], "counters": [...]}."""
    path = os.path.join(repo, DECLS)
    if _stale(repo, path):
        p = subprocess.run(["make", "-s", DECLS], cwd=repo, capture_output=True, text=True)
        if p.returncode != 0:
            tail = "\n".join((p.stdout + p.stderr).strip().splitlines()[-10:])
            raise DeclsError(f"'make {DECLS}' failed (exit status {p.returncode}):\n{tail}")
    mtime = os.path.getmtime(path)
    if path in _cache and _cache[path][0] == mtime:
        return _cache[path][1]
    try:
        with open(path, encoding="utf-8") as f:
            decls = json.load(f)
    except (OSError, ValueError) as e:
        raise DeclsError(f"{path}: {e}") from None
    _cache[path] = (mtime, decls)
    return decls


def param(decls: dict, policy: str, name: str) -> dict | None:
    for p in decls.get(policy, {}).get("params", []):
        if p["name"] == name:
            return p
    return None


def keys_of(decls: dict, policy: str) -> str:
    """"weight, cap", or "none"."""
    names = [p["name"] for p in decls.get(policy, {}).get("params", [])]
    return ", ".join(names) or "none"


def check_value(p: dict, v) -> str | None:
    """Why v is not a value of declared parameter p, or None."""
    lo, hi, unit = p["min"], p["max"], f" {p['unit']}" if p["unit"] else ""
    if p["type"] == "bool":
        return None if isinstance(v, bool) or v in (0, 1) and type(v) is int else \
            f"expected true or false, got {v!r}"
    if p["type"] == "nodes" and isinstance(v, str):
        return None if v == "auto" or all(x.strip().replace("-", "").isdigit()
                                           for x in v.split(",")) else \
            f"expected a node list (\"0\", \"0-1\", \"0,2\") or \"auto\", got {v!r}"
    if type(v) is not int:
        return f"expected an integer, got {type(v).__name__} {v!r}"
    if not lo <= v <= hi:
        return f"{v} is out of range {lo}..{hi}{unit}"
    return None


def check(decls: dict, schedulers: list[str], key: str, v) -> str | None:
    """Why `key = v` in a [[domain]] table is wrong for this experiment, or None: it
    must be a parameter of at least one of its schedulers, valid for each that has it."""
    having = [s for s in schedulers if param(decls, s, key)]
    if not having:
        have = "; ".join(f"{s}: {keys_of(decls, s)}" for s in schedulers)
        return f"not a parameter of any scheduler of this experiment ({have})"
    for s in having:
        why = check_value(param(decls, s, key), v)
        if why:
            return f"{why} ({s})"
    return None


def cfg_value(p: dict, v) -> str:
    if p["type"] == "bool":
        return str(int(bool(v)))
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def cfg_lines(decls: dict, policy: str | None, params: dict) -> list[str]:
    """The xl.cfg lines of a domain's parameters for a run under policy: those it
    declares (the others belong to the experiment's other schedulers). policy None:
    all of them, as written."""
    out = []
    for k, v in params.items():
        p = param(decls, policy, k) if policy else {"type": "bool" if isinstance(v, bool)
                                                    else "int"}
        if p:
            out.append(f"{k} = {cfg_value(p, v)}")
    return out
