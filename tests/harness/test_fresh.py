"""A fresh machine: what runs before anything is installed.

  make deps      works with only make and a POSIX shell (no python3, which it installs);
                 as a user it prints the one command to run as root and fails; as root
                 it runs apt-get update, then installs exactly what is missing
  Makefile       reading it never runs the compiler (deps may install it afterwards)

The system tools are replaced by small shell scripts in a folder that is the whole
PATH, so these run the same on any host, root or not. .ci/run does it for real in a
fresh Debian root.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from check import REPO, check, eq

# What make and the Makefile's own $(shell ...) calls need on any Debian (Essential).
ESSENTIAL = ("sh", "make", "find", "grep")
DROPPED = ("nasm", "likwid", "libpfm4-dev", "libhwloc-dev")


def _script(folder: str, name: str, body: str) -> None:
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)


def _bin(uid: int, installed: list[str]) -> str:
    """A PATH folder: the Essential tools, plus id, dpkg-query and apt-get doubles.
    apt-get logs each call (with DEBIAN_FRONTEND) and marks what it installs."""
    d = tempfile.mkdtemp(prefix="hvlab-fresh-")
    for tool in ESSENTIAL:
        os.symlink(shutil.which(tool), os.path.join(d, tool))
    with open(os.path.join(d, "state"), "w") as f:
        f.write("".join(p + "\n" for p in installed))
    _script(d, "id", f'echo {uid}\n')
    # dpkg-query -W -f=FORMAT PKG
    _script(d, "dpkg-query", f'grep -qx "$3" {d}/state && echo installed || echo not-installed\n')
    _script(d, "apt-get", f'echo "$DEBIAN_FRONTEND $*" >> {d}/apt.log\n'
            f'[ "$1" = install ] && for a; do echo "$a" >> {d}/state; done\nexit 0\n')
    return d


def _make(d: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(d, "make"), "--no-print-directory", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={"PATH": d, **env})


def _apt_log(d: str) -> list[str]:
    path = os.path.join(d, "apt.log")
    return open(path).read().splitlines() if os.path.exists(path) else []


def test_deps_as_user_prints_root_command_without_python():
    d = _bin(1000, [])
    try:
        p = _make(d, "deps")
        check("not found" not in p.stderr, f"only make and sh needed: {p.stderr!r}")
        eq(p.returncode, 2, f"make deps fails (stdout {p.stdout!r})")
        cmd = [ln for ln in p.stdout.splitlines() if ln.startswith("deps: as root: ")]
        eq(len(cmd), 1, f"one root command line in {p.stdout!r}")
        prefix = "deps: as root: apt-get update && apt-get install -y --no-install-recommends "
        check(cmd[0].startswith(prefix), f"the command is {prefix!r}...: {cmd[0]!r}")
        pkgs = cmd[0][len(prefix):].split()
        for want in ("python3", "gcc", "libc6-dev", "make", "qemu-system-x86"):
            check(want in pkgs, f"{want} in {pkgs}")
        for gone in DROPPED:
            check(gone not in pkgs, f"{gone} (used by nothing) not in {pkgs}")
        check("sudo" not in p.stdout, f"no sudo assumed: {p.stdout!r}")
        eq(_apt_log(d), [], "a user's make deps runs no apt-get")
    finally:
        shutil.rmtree(d)


def test_deps_as_root_updates_then_installs_what_is_missing():
    d = _bin(0, ["gcc", "make"])
    try:
        p = _make(d, "deps", PYTHON=sys.executable)
        eq(p.returncode, 0, f"make deps as root (stdout {p.stdout!r}, stderr {p.stderr!r})")
        log = _apt_log(d)
        eq(len(log), 2, f"apt-get calls: {log}")
        eq(log[0], "noninteractive update -q", "first call")
        head = "noninteractive install -q -y --no-install-recommends "
        check(log[1].startswith(head), f"second call is {head!r}...: {log[1]!r}")
        pkgs = log[1][len(head):].split()
        check("python3" in pkgs and "gcc" not in pkgs and "make" not in pkgs,
              f"installs only the missing ones, python3 among them: {pkgs}")
        check("hardware performance counters" in p.stdout,
              f"counters note (no perf here) in {p.stdout!r}")
        p = _make(d, "deps", PYTHON=sys.executable)
        eq((p.returncode, len(_apt_log(d))), (0, 2), f"second run installs nothing: {p.stdout!r}")
    finally:
        shutil.rmtree(d)


def test_deps_refuses_an_old_python():
    d = _bin(0, [])
    try:
        _make(d, "deps", PYTHON=sys.executable)      # installs everything (doubles)
        _script(d, "oldpy", 'case "$2" in *print*) echo 3.10.13;; *) exit 1;; esac\n')
        p = _make(d, "deps", PYTHON=os.path.join(d, "oldpy"))
        eq(p.returncode, 2, f"make deps with Python 3.10 fails (stdout {p.stdout!r})")
        check("needs Python 3.11 or newer" in p.stdout and "3.10.13" in p.stdout,
              f"names both versions: {p.stdout!r}")
    finally:
        shutil.rmtree(d)


def test_reading_the_makefile_runs_no_compiler():
    d = tempfile.mkdtemp(prefix="hvlab-fresh-")
    try:
        log = os.path.join(d, "cc.log")
        _script(d, "cc", f'echo "$*" >> {log}\nexit 1\n')
        p = subprocess.run(["make", "-n", "clean", f"CC={d}/cc"], cwd=REPO,
                           capture_output=True, text=True, timeout=60)
        eq(p.returncode, 0, f"make -n clean: {p.stderr}")
        calls = open(log).read() if os.path.exists(log) else ""
        eq(calls, "", "compiler calls while reading the Makefile")
    finally:
        shutil.rmtree(d)
