"""An interpreter older than 3.11 gets one line naming the version it needs, not a
traceback, from every harness entry point (experiments/hvlab/pyversion.py)."""
from __future__ import annotations

import os
import subprocess
import sys

from check import REPO, check, eq

from hvlab import pyversion


def test_python_version_table():
    for version, ok in [((3, 11, 0), True), ((3, 13, 1), True), ((4, 0, 0), True),
                        ((3, 10, 13), False), ((3, 6, 15), False), ((2, 7, 18), False)]:
        msg = pyversion.problem(version, "py")
        if ok:
            eq(msg, None, f"Python {version}")
        else:
            want = "hvlab needs Python 3.11 or newer (for tomllib); py is Python " + \
                ".".join(map(str, version))
            eq(msg, want, f"Python {version}")


# Each entry point run as on Python 3.10 (sys.version_info replaced before it starts):
# cheap arguments, so that without the check they would succeed at once.
ENTRY_POINTS = [("hvlab", "--help"), ("tools/qemu.py", "--help")]


def test_entry_points_on_old_python():
    shim = ("import runpy, sys\n"
            "sys.version_info = (3, 10, 13, 'final', 0)\n"
            "sys.argv = sys.argv[1:]\n"
            "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    for entry, arg in ENTRY_POINTS:
        p = subprocess.run([sys.executable, "-c", shim, os.path.join(REPO, entry), arg],
                           cwd=REPO, capture_output=True, text=True, timeout=60)
        eq(p.returncode, 1, f"{entry} exit status (stdout {p.stdout[:200]!r})")
        lines = p.stderr.splitlines()
        eq(len(lines), 1, f"{entry}: one line on stderr")
        check(lines[0].startswith("error: hvlab needs Python 3.11 or newer")
              and lines[0].endswith(" is Python 3.10.13"), f"{entry}: {lines[0]!r}")
