"""Running a command with a time limit and a memory rlimit, for tests whose failure
on broken code is an unbounded allocation or a hang: the child gets a MemoryError
or is killed, and the test fails with how long it ran, instead of taking the
machine down."""
from __future__ import annotations

import dataclasses
import resource
import subprocess
import time

from check import REPO


@dataclasses.dataclass
class Outcome:
    returncode: int | None      # None: killed at the time limit
    stdout: str
    stderr: str
    seconds: float              # wall time (time.monotonic)
    cpu_seconds: float          # the child's user + system time: what it cost, whatever
                                # else the machine is doing

    def describe(self) -> str:
        status = "killed after the time limit" if self.returncode is None else \
            f"exit status {self.returncode}"
        return (f"{status} after {self.seconds:.1f} s ({self.cpu_seconds:.1f} s of CPU); "
                f"stderr: {self.stderr.strip()[-600:]!r}")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd: list[str], timeout_s: float = 60.0, mem_mib: int = 768) -> Outcome:
    def limit():
        lim = mem_mib << 20
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))

    t0, c0 = time.monotonic(), _cpu()
    try:
        p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout_s,
                           preexec_fn=limit)
        return Outcome(p.returncode, p.stdout, p.stderr, time.monotonic() - t0, _cpu() - c0)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else e.stderr
        return Outcome(None, out or "", err or "", time.monotonic() - t0, _cpu() - c0)
