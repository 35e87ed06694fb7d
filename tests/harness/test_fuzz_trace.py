"""The short run of the trace mutation test (fuzz_trace.py; `make fuzz-trace` runs
the long one): 200 seeded mutations of a synthetic trace, each decoded and analysed
or refused with a TraceError naming the file and offset, each within its budget, in
a worker under a memory rlimit. On failure the message lists the seeds to replay."""
from __future__ import annotations

import fuzz_trace
from check import check

NR_CASES = 200
BUDGET_S = 10.0             # per case, wall time: generous for a loaded machine


def test_mutated_traces():
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        if line.startswith("fuzz-trace:"):
            print(f"     {line}")        # the rate, in the test output

    res = fuzz_trace.run(NR_CASES, first=0, budget_s=BUDGET_S, log=log)
    check(not res["failures"], "\n".join(lines))
    c = res["counts"]
    check(c["decoded"] > 0 and c["error"] > 0,
          f"both outcomes exercised (some mutations are harmless, most are not): {c}")
