"""meta.json: what is needed to re-run an experiment and judge its numbers.

The commit (and whether the tree had uncommitted changes), the QEMU version and
every command line, the host's topology (hwloc, if installed), CPU count, whether
hardware performance counters work here, and the experiment file itself. Each probe
that cannot run says why instead of failing.
"""
from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess

from .machine import QEMU


def _run(cmd: list[str], cwd: str | None = None, timeout: float = 20):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return -1, "", str(e)


def git_info(repo: str) -> dict:
    rc, out, err = _run(["git", "rev-parse", "HEAD"], repo)
    if rc != 0:
        return {"commit": "unknown", "dirty": None, "note": (err or out).strip()[:200]}
    rc2, st, _ = _run(["git", "status", "--porcelain", "--untracked-files=no"], repo)
    return {"commit": out.strip(), "dirty": bool(st.strip()) if rc2 == 0 else None}


def qemu_version() -> str:
    if shutil.which(QEMU) is None:
        return f"{QEMU} not installed"
    rc, out, err = _run([QEMU, "--version"])
    return out.splitlines()[0] if rc == 0 and out else (err.strip() or "unknown")


def host_topology() -> str:
    for cmd in (["hwloc-ls", "--of", "console"], ["lstopo-no-graphics", "--of", "console"]):
        if shutil.which(cmd[0]):
            rc, out, err = _run(cmd)
            if rc == 0:
                return out
            return f"{cmd[0]} failed: {err.strip()[:300]}"
    return "hwloc not installed"


def perf_counters() -> str:
    """'available', 'not supported (...)' or 'perf not installed'."""
    if shutil.which("perf") is None:
        return "perf not installed: hardware counters not checked"
    rc, out, err = _run(["perf", "stat", "-x,", "-e", "instructions", "true"])
    text = out + err
    if rc != 0:
        return f"not available: perf stat failed ({text.strip()[-200:]})"
    if "not supported" in text or "not counted" in text:
        return "not supported: this host has no usable hardware performance counters " \
               "(path lengths come from icount instead)"
    return "available"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def image_digests(repo: str, images: list[str]) -> dict:
    """{path relative to repo: sha256} of the images a run boots ("missing" when not
    built): what `hvlab compare` checks beside the commit."""
    out = {}
    for rel in images:
        try:
            with open(os.path.join(repo, rel), "rb") as f:
                out[rel] = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            out[rel] = "missing"
    return out


def collect(repo: str, exp_text: str, exp_path: str, commands: dict[str, list[str]],
            images: list[str] | None = None) -> dict:
    return {
        "git": git_info(repo),
        "qemu": {"version": qemu_version(), "commands": commands},
        "host": {"system": platform.platform(), "python": platform.python_version(),
                 "cpus": os.cpu_count(), "topology": host_topology(),
                 "hardware_counters": perf_counters()},
        "experiment": {"file": exp_path, "text": exp_text,
                       "sha256": sha256_text(exp_text)},
        "images": image_digests(repo, images or []),
    }
