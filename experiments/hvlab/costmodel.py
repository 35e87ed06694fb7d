"""The cost model's plugin from the harness's side (docs/cost-model.md): whether the
installed QEMU loads it, its QEMU arguments for a run, and its counts file."""
from __future__ import annotations

import json
import os
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLUGIN = os.path.join(REPO, "build", "costmodel", "costmodel.so")
STATUS = os.path.join(REPO, "build", "costmodel", "plugins.status")
SYMBOLS = os.path.join(REPO, "build", "hvlab64.elf")
HINT_SYMBOL = "costmodel_hint"
STUBS_SYMBOL = "trap_stubs"             # core/arch/x86/entry.S: 256 stubs of 16 bytes


class CostModelError(Exception):
    pass


def plugin_status() -> str:
    """ "yes", or "no: <why>" (make costmodel probes QEMU once and caches the answer)."""
    try:
        with open(STATUS) as f:
            return f.read().strip() or "no: empty status file"
    except OSError:
        return f"no: {os.path.relpath(STATUS, REPO)} missing (run `make costmodel`)"


def symbol_address(name: str, elf: str = SYMBOLS) -> int:
    """The address of one of the hypervisor's symbols."""
    try:
        out = subprocess.run(["nm", elf], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise CostModelError(f"{elf}: cannot read symbols: {e}") from e
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise CostModelError(f"{elf}: no symbol {name}")


def plugin_args(out_path: str, elf: str = SYMBOLS) -> list[str]:
    """QEMU's arguments to run the plugin, writing its counts to out_path."""
    return ["-plugin", f"file={PLUGIN},out={os.path.abspath(out_path)},"
            f"hint={symbol_address(HINT_SYMBOL, elf):#x},"
            f"stubs={symbol_address(STUBS_SYMBOL, elf):#x}"]


def load_counts(path: str) -> list[dict]:
    """The plugin's counts: one dict per vCPU ("who": "vcpu", domain, vcpu), idle
    pCPU ("idle", pcpu) and "boot" (before the first hint)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise CostModelError(f"{path}: {e}") from e
    if data.get("format") != "hvlab-costmodel-1":
        raise CostModelError(f"{path}: not a cost-model counts file")
    if data.get("lost_pcpu_callbacks"):
        raise CostModelError(f"{path}: {data['lost_pcpu_callbacks']} callbacks from "
                             "pCPUs beyond the plugin's table")
    return data["counts"]


def per_domain(counts: list[dict]) -> dict[int, dict[str, int]]:
    """The vCPU entries summed per domain id."""
    out: dict[int, dict[str, int]] = {}
    for c in counts:
        if c["who"] != "vcpu":
            continue
        d = out.setdefault(c["domain"], {})
        for k, v in c.items():
            if isinstance(v, int) and k not in ("domain", "vcpu"):
                d[k] = d.get(k, 0) + v
    return out
