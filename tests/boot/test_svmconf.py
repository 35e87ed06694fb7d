#!/usr/bin/env python3
"""SVM conformance under QEMU: boots build/tests/svmconf.elf (tests/svmconf/, no hvlab)
in deterministic mode and checks its "CASE <name>: PASS|FAIL (<expected> vs <got>)"
lines against the table below.

Every case must PASS (the architectural behaviour, AMD64 APM vol. 2), except the
known deviations of QEMU's emulated SVM: for those the test expects exactly what QEMU
7.2 TCG does, so that it fails when QEMU changes (then the deviation, its row in
docs/svm-under-qemu.md and perhaps hvlab's workaround can go). A case the kernel
prints that the table lacks, or one the table has that the kernel did not print,
fails too.

Run from the repository root (make boot-test). The last line is
"svmconf tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import BootResult, Topology, boot  # noqa: E402
from test_boot import TIMEOUT_S, check, run_suite  # noqa: E402

SVMCONF = os.environ.get("SVMCONF_IMAGE", "build/tests/svmconf.elf")
EXIT_DONE = (0x10 << 1) | 1      # isa-debug-exit: the kernel writes 0x10 after its last case

# None: the case must PASS. A string: a known QEMU deviation; the case must FAIL with
# exactly this as <got> (the <expected> side is the architectural rule).
KNOWN_QEMU_72 = {
    # INT_STATE_SHADOW loaded by VMRUN is ignored: the V_IRQ is taken (or the VINTR
    # intercept taken) before the shadowed instruction instead of after it.
    "virq_shadow_at_vmrun": "exit=VMMCALL v_irq=0x0 events=0x1 v=0x41@+0",
    "vintr_intercept_shadow": "exit=VINTR rip=+0 v_irq=0x1 events=none",
    # V_INTR_PRIO equal to V_TPR delivers; the APM wants the priority to be greater.
    "virq_tpr_blocks_equal": "exit=VMMCALL v_irq=0x0 events=0x1 v=0x41@+0",
    # A V_IRQ whose delivery exits is reported in EXITINTINFO as TYPE 3 (exception),
    # not 0 (interrupt), and V_IRQ is left set; re-injecting that EXITINTINFO as it is
    # fails VMRUN (an exception type with vector 0x41).
    "exitintinfo_npf_virq":
        "exit=NPF exitintinfo=0x80000341 info2=0x8ffff8 rip=+0 v_irq=0x1 events=none",
    "exitintinfo_reinject_virq": "exit=INVALID events=none",
    # STI with IF already 1 opens a shadow (the APM: only an STI that sets IF from 0).
    "shadow_after_sti_if1_exit": "exit=VMMCALL rip=+1 shadow=0x1",
}

CASES_EXPECTED = [
    "eventinj_intr_if1", "eventinj_intr_if0", "eventinj_intr_shadow",
    "eventinj_gp_errcode", "eventinj_pf_cr2", "eventinj_nmi",
    "eventinj_exc_vector2_invalid", "eventinj_exc_not_intercepted",
    "exitintinfo_pf_intercept", "exitintinfo_npf_intr", "exitintinfo_reinject_intr",
    "exitintinfo_npf_gp", "exitintinfo_reinject_gp", "exitintinfo_npf_virq",
    "exitintinfo_reinject_virq", "exitintinfo_npf_guest_ud",
    "virq_if1", "virq_if0_held", "virq_if0_after_sti", "virq_shadow_at_vmrun",
    "vintr_intercept_open", "vintr_intercept_after_sti", "vintr_intercept_shadow",
    "virq_tpr_blocks_lower", "virq_tpr_blocks_equal", "virq_tpr_passes_higher",
    "virq_ign_tpr", "pending_exc_and_virq", "pending_intr_and_virq",
    "shadow_after_sti_exit", "shadow_after_sti_if1_exit", "shadow_after_movss_exit",
    "shadow_after_nop_exit",
    "intr_exit_vmask_guest_if0", "intr_exit_vmask_guest_if1",
    "intr_exit_nomask_guest_if1", "intr_held_nomask_guest_if0",
    "intr_held_vmask_host_if0", "intr_pending_at_vmrun",
    "intr_pending_at_vmrun_guest_if0", "intr_before_virq", "nmi_pending_at_vmrun",
    "shadow_after_sti_hlt_exit", "workaround_hlt_resume_virq",
    "workaround_singlestep_shadow", "workaround_singlestep_then_virq",
    "workaround_vintr_window", "workaround_window_eventinj",
    "workaround_exception_then_window",
    "workaround_virq_reinject_fixed",
]

LINE = re.compile(r"^CASE (\S+): (PASS|FAIL) \((.*) vs (.*)\)$")


def run_kernel() -> BootResult:
    return boot(SVMCONF, Topology(1, 1, 256), "", TIMEOUT_S, deterministic=True)


def parse(r: BootResult) -> dict[str, tuple[str, str, str]]:
    """name -> (PASS|FAIL, expected, got); a name printed twice is an error."""
    out: dict[str, tuple[str, str, str]] = {}
    for ln in r.output.splitlines():
        m = LINE.match(ln.strip())
        if m:
            check(m.group(1) not in out, f"case {m.group(1)} printed twice", r)
            out[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    return out


def verdict(name: str, got: tuple[str, str, str] | None) -> str | None:
    """Why the case's line is wrong, or None when it is what the table says."""
    if got is None:
        return f"{name}: no CASE line"
    status, expected, seen = got
    deviation = KNOWN_QEMU_72.get(name)
    if deviation is None:
        if status != "PASS":
            return f"{name}: expected the architectural {expected!r}, got {seen!r}"
        return None
    if status == "PASS":
        return (f"{name}: now architectural ({seen!r}), no longer QEMU 7.2's known "
                f"deviation {deviation!r}: update KNOWN_QEMU_72 and docs/svm-under-qemu.md")
    if seen != deviation:
        return f"{name}: expected QEMU's known deviation {deviation!r}, got {seen!r}"
    return None


def case_conformance() -> str:
    """Every case line is what the table says: architectural, or the recorded deviation."""
    r = run_kernel()
    check(not r.timed_out, f"QEMU did not exit within {TIMEOUT_S} s", r)
    check(r.status == EXIT_DONE, f"exit status {r.status}, expected {EXIT_DONE} "
          "(the kernel's 'done' code; 0 is a triple fault under -no-reboot)", r)
    lines = parse(r)
    problems = [v for n in CASES_EXPECTED if (v := verdict(n, lines.get(n)))]
    problems += [f"{n}: printed by the kernel but not in this test's table"
                 for n in lines if n not in CASES_EXPECTED]
    check(not problems, f"{len(problems)} case(s) differ:\n  " + "\n  ".join(problems), r)
    want = f"svmconf: done, {len(CASES_EXPECTED)} cases, {len(KNOWN_QEMU_72)} failed"
    check(want in r.output, f"summary line {want!r} missing", r)
    return (f"{len(CASES_EXPECTED) - len(KNOWN_QEMU_72)} architectural, "
            f"{len(KNOWN_QEMU_72)} known QEMU deviations, {r.wall_s:.1f} s wall")


def case_deterministic() -> None:
    """Under -icount the timer-driven cases land on the same instructions every run."""
    a, b = run_kernel(), run_kernel()
    check(a.output == b.output, "two deterministic runs printed different lines", b)


CASES = [case_conformance, case_deterministic]

if __name__ == "__main__":
    if not os.path.exists(SVMCONF):
        print(f"svmconf tests: {SVMCONF} does not exist: run 'make' first")
        sys.exit(2)
    sys.exit(run_suite("svmconf tests", CASES, sys.argv[1:]))
