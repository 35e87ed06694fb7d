#!/usr/bin/env python3
"""Does the installed QEMU load the cost-model plugin? Loads it once into a machine
with no board (-machine none), quits through the monitor, and checks that the plugin
wrote its counts at exit. Writes STATUS: "yes", or "no: <why>" (cached by make).

usage: probe.py PLUGIN.so STATUS"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

QEMU = "qemu-system-x86_64"


def probe(plugin: str) -> str:
    with tempfile.TemporaryDirectory(prefix="costmodel-probe-") as d:
        out = os.path.join(d, "counts.json")
        cmd = [QEMU, "-machine", "none", "-nodefaults", "-display", "none",
               "-monitor", "stdio", "-plugin", f"file={os.path.abspath(plugin)},out={out}"]
        try:
            p = subprocess.run(cmd, input=b"quit\n", capture_output=True, timeout=30)
        except FileNotFoundError:
            return f"no: {QEMU} not found"
        except subprocess.TimeoutExpired:
            return f"no: {QEMU} with the plugin did not quit within 30 s"
        if p.returncode != 0:
            err = p.stderr.decode("utf-8", "replace").strip().splitlines()
            return f"no: {QEMU} refused the plugin: {err[-1] if err else p.returncode}"
        if not os.path.exists(out):
            return "no: the plugin loaded but wrote no counts at exit"
        return "yes"


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    status = probe(sys.argv[1])
    with open(sys.argv[2], "w") as f:
        f.write(status + "\n")
    print(f"  QEMU plugins: {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
