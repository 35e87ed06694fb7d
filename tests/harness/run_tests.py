#!/usr/bin/env python3
"""Harness tests: the Python side (decoder, analyzer, experiment files, reports) on
synthetic inputs, without QEMU. Runs every test_* function of every test_*.py here,
in file order; a test may also be a table of cases (a CASES list of functions).
The last line is "harness tests: N passed, N failed".

  python3 tests/harness/run_tests.py [substring ...]   run only matching tests
"""
from __future__ import annotations

import importlib
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from check import CheckFailed  # noqa: E402


def collect():
    for fn in sorted(os.listdir(HERE)):
        if fn.startswith("test_") and fn.endswith(".py"):
            mod = importlib.import_module(fn[:-3])
            tests = [v for k, v in vars(mod).items() if k.startswith("test_") and callable(v)]
            tests += list(getattr(mod, "CASES", []))
            for t in tests:
                yield f"{fn[5:-3]}.{t.__name__.removeprefix('test_')}", t


def main(argv: list[str]) -> int:
    passed = failed = 0
    start = time.monotonic()
    for name, t in collect():
        if argv and not any(a in name for a in argv):
            continue
        try:
            t()
            passed += 1
            print(f"ok   {name}")
        except CheckFailed as e:
            failed += 1
            print(f"FAIL {name}\n    " + str(e).replace("\n", "\n    "))
        except Exception:  # a bug in the harness or the test: show where
            failed += 1
            print(f"FAIL {name}\n    " + traceback.format_exc().replace("\n", "\n    "))
    print(f"({time.monotonic() - start:.1f} s)")
    print(f"harness tests: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
