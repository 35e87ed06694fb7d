"""The Python the harness needs, checked before any module that needs it is read.

Every entry point (./hvlab, tools/qemu.py, the test and benchmark scripts) imports the
hvlab package first, and the package runs require() on import: an older interpreter
then stops with one line naming the version it needs, not with a traceback from deep
inside (tomllib arrived in 3.11). Keep this file parseable by any Python 3: no
f-strings, no annotations.
"""
import sys

NEEDED = (3, 11)


def problem(version=None, executable=None):
    """None if `version` (default: this interpreter's) is new enough, else the error line."""
    v = tuple(sys.version_info if version is None else version)
    if v[:2] >= NEEDED:
        return None
    return "hvlab needs Python %d.%d or newer (for tomllib); %s is Python %s" % (
        NEEDED[0], NEEDED[1], executable or sys.executable or "python3",
        ".".join(str(x) for x in v[:3]))


def require(version=None):
    """Exit with status 1 and the one-line error if this Python is too old."""
    msg = problem(version)
    if msg is not None:
        sys.exit("error: " + msg)
