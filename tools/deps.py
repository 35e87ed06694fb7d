#!/usr/bin/env python3
"""make deps: install the Debian packages hvlab needs, or say exactly how to.

As root, missing packages are installed with apt-get (after 'apt-get update').
Otherwise the command to run is printed and the exit status is 1, so a make target
that needs them stops with that command on screen. Also reports whether hardware
performance counters can be read here (they are optional: many virtual machines
and CI hosts have none).
"""
import os
import shutil
import subprocess
import sys

# package -> why hvlab needs it
PACKAGES = {
    "gcc": "compiler for the hypervisor, guests, tools and host tests",
    "make": "the build",
    "binutils": "ld, objcopy, nm (the two-pass symbol table link)",
    "libasan8": "AddressSanitizer runtime for host unit tests",
    "libubsan1": "UndefinedBehaviorSanitizer runtime for host unit tests",
    "clang": "libFuzzer targets for the parsers (tests/fuzz/, -fsanitize=fuzzer; make test "
             "runs them briefly)",
    "libclang-rt-14-dev": "libFuzzer and sanitizer runtimes for clang (only recommended by "
                          "clang, and deps installs without recommends)",
    "qemu-system-x86": "the machine hvlab runs on (qemu-system-x86_64, TCG with SVM)",
    "gnuplot-nox": "plots in experiment reports",
    "hwloc": "host topology in experiment metadata (lstopo, hwloc-ls)",
    "libhwloc-dev": "host topology from C tools",
    "libpfm4-dev": "host hardware counters, where the host has them",
    "likwid": "host counters and topology, where the host allows",
    "nasm": "assembler for guest test images",
}


def installed(pkg: str) -> bool:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                             capture_output=True, text=True).stdout
    except FileNotFoundError:
        return False
    return out.strip().endswith("installed") and "not-installed" not in out


def counters_note() -> str:
    if shutil.which("perf") is None:
        return "no 'perf' here to probe hardware counters"
    p = subprocess.run(["perf", "stat", "-x,", "-e", "instructions", "true"],
                       capture_output=True, text=True)
    if p.returncode != 0 or "not supported" in p.stderr or "<not" in p.stderr:
        return "hardware performance counters are NOT available on this host " \
               "(perf stat: not supported); reports use icount path lengths"
    return "hardware performance counters are available"


def main() -> int:
    if shutil.which("dpkg-query") is None:
        print("deps: not a Debian/Ubuntu system: install by hand:", " ".join(PACKAGES))
        return 0 if shutil.which("qemu-system-x86_64") else 1
    missing = [p for p in PACKAGES if not installed(p)]
    if not missing:
        print(f"deps: all {len(PACKAGES)} packages present; {counters_note()}")
        return 0
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if os.geteuid() != 0:
        print("deps: missing packages: " + ", ".join(missing))
        print("deps: run:  sudo apt-get update && sudo " + " ".join(cmd))
        return 1
    print("deps: installing: " + ", ".join(missing), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for step in (["apt-get", "update", "-q"], cmd):
        p = subprocess.run(step, env=env, stdout=subprocess.DEVNULL)
        if p.returncode != 0:
            print(f"deps: '{' '.join(step)}' failed with status {p.returncode}")
            return 1
    still = [p for p in missing if not installed(p)]
    if still:
        print("deps: still missing after install: " + ", ".join(still))
        return 1
    print(f"deps: installed {len(missing)} packages; {counters_note()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
