#!/usr/bin/env python3
"""make qemu: boot hvlab interactively on the serial console (Ctrl-A X quits QEMU).

  make qemu SMP=8 NODES=4 MEM=1024 CMDLINE="loglvl=debug" ICOUNT=1
dom0 starts with every guest image in build/guest/ and the example configs in
dom0/examples/ as modules, and no scenario: it opens its xl shell (try `xl> help`,
`create loop.cfg`, `list`, `vcpu-list`). Prints the QEMU command line first; QEMU
runs in a staging folder of links with bare names (hvlab.machine.launch).
"""
import argparse
import glob
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "experiments"))
from hvlab.machine import StageError, Topology, launch  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--image", default="build/hvlab.elf")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--nodes", type=int, default=1)
    ap.add_argument("--mem", type=int, default=512, help="MiB")
    ap.add_argument("--cmdline", default="")
    ap.add_argument("--icount", type=int, default=0, help="1: deterministic mode")
    a = ap.parse_args()
    try:
        topo = Topology(a.smp, a.nodes, a.mem)
    except ValueError as e:
        print(f"make qemu: {e}", file=sys.stderr)
        return 2
    modules = []
    if os.path.exists("build/dom0.elf"):
        modules = ["build/dom0.elf"]
        modules += [f"{p} {os.path.basename(p)}" for p in sorted(glob.glob("build/guest/*.elf"))]
        modules += [f"{p} {os.path.basename(p)}" for p in sorted(glob.glob("dom0/examples/*.cfg"))]
    try:
        with launch(a.image, topo, a.cmdline, modules=modules, deterministic=bool(a.icount),
                    serial="mon:stdio") as ln:
            print(f"(in {ln.folder}, links to the files) " +
                  " ".join(shlex.quote(c) for c in ln.command), flush=True)
            return subprocess.run(ln.command, cwd=ln.folder).returncode
    except (StageError, RuntimeError) as e:
        print(f"make qemu: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
