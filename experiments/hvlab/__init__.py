"""hvlab's Python harness: QEMU machines, experiments, trace analysis (stdlib only)."""
# Checked here, at the first import of the package, so that every entry point gets it
# before a module that needs Python 3.11 is parsed (see pyversion.py).
from .pyversion import require as _require

_require()
