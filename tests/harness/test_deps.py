"""make deps installs only what something in the tree uses: every package in
tools/deps.sh is matched here with the file that runs or links what it provides, and
that file must still say so. A package added without a use here fails; so does a use
that went away (then drop the package too)."""
from __future__ import annotations

import os
import re

from check import REPO, check, eq

# package -> (file, what in it needs the package)
USES = {
    "gcc": ("Makefile", "CC      ?= gcc"),
    "libc6-dev": ("bench/hostpmu.c", "#include <linux/perf_event.h>"),
    "binutils": ("Makefile", "objcopy"),
    "make": ("Makefile", "include"),
    "git": ("experiments/hvlab/meta.py", '"git", "rev-parse", "HEAD"'),
    "python3": ("Makefile", "PYTHON  ?= python3"),
    "qemu-system-x86": ("experiments/hvlab/machine.py", 'QEMU = "qemu-system-x86_64"'),
    "gnuplot-nox": ("experiments/hvlab/plots.py", '["gnuplot"'),
    "hwloc": ("experiments/hvlab/topo.py", 'shutil.which("lstopo")'),
    "clang": ("tests/fuzz/fuzz.mk", "FUZZ_CC ?= clang"),
    "libclang-rt-14-dev": ("tests/fuzz/fuzz.mk", "-fsanitize=fuzzer"),
    "slurm-wlm": ("experiments/hvlab/sweep_slurm.py", "sbatch"),
    "munge": ("tests/slurm/cluster.py", "munged"),
}


def packages() -> list[str]:
    text = open(os.path.join(REPO, "tools", "deps.sh")).read()
    block = re.search(r"^PACKAGES='\n(.*?)^'", text, re.S | re.M)
    check(block is not None, "tools/deps.sh: the PACKAGES='...' list")
    return [ln.split()[0] for ln in block.group(1).splitlines() if ln.strip()]


def test_every_package_is_used():
    pkgs = packages()
    eq(sorted(pkgs), sorted(USES), "tools/deps.sh packages vs the uses this test knows")
    for p in pkgs:
        path, needle = USES[p]
        text = open(os.path.join(REPO, path)).read()
        check(needle in text, f"{p}: {path} no longer has {needle!r}: is {p} still needed?")
