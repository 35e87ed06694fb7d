#!/usr/bin/env python3
"""Boot tests of the SVM core (core/arch/x86/svm/): the HVM test guest
(tests/guests/hvm/hvmtest.c, started by `xl hvm-flat`) checks CPUID, VMMCALL
hypercalls, the intercepted SVM instructions and MSRs, unknown I/O ports and HLT
woken by a timer, then writes outside its RAM; a second instance triple-faults; a PV
bystander finishes its work; both HVM domains crash alone, with a line naming the
domain, the exit and the guest RIP, and every frame comes back. Deterministic mode
(icount), so the path lengths it prints are instruction counts. Without SVM in the
CPU an HVM domain is refused with ENODEV. With tracing, every exit and entry is a
record. Two HVM guests on one pCPU keep their own FPU registers. Under rr, credit,
credit2, rtds and numa, an HVM vCPU is pinned, moved,
paused and unpaused like any other.

Run from the repository root (make boot-test). The last line is
"svm tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite  # noqa: E402
from test_trace import decode, ivshmem, shm_stream  # noqa: E402

HVMTEST = "build/guest/hvmtest.bin"
MIN_CASES = 19


def modules(directory: str, bystander: bool = True) -> list[str]:
    by = ["build/guest/cpuloop.elf cpuloop.elf", f"{directory}/bystander.cfg bystander.cfg"]
    return (["build/dom0.elf", f"{HVMTEST} hvmtest.bin"] + (by if bystander else []) +
            [f"{directory}/scenario.txt scenario"])


def case_hvm_guest() -> str:
    """The test guest's checks hold, both HVM domains crash alone with their exit
    named, the bystander finishes, nothing leaks; returns the path lengths."""
    # icount_tick_us bounds QEMU's round-robin turns as experiments do: without it the
    # PV bystander's pCPU kept the thread until the next timer deadline, the guest's
    # own, so its set_timer_op returned only after the deadline had passed.
    r = boot(IMAGE, Topology(2, 1, 512), "icount icount_tick_us=100", TIMEOUT_S * 2,
             modules=modules("tests/scenarios/svm"), deterministic=True)
    out = r.output
    check(r.status == 0 and "(d0) scenario: done" in out,
          "the scenario completes and the machine powers off cleanly", r)
    check(re.search(r"svm: SVM with nested paging, \d+ ASIDs per CPU", out) is not None,
          "the boot log says SVM is on", r)
    m = re.search(r"\(d2\) hvmtest: (\d+) passed", out)
    check(m is not None and int(m.group(1)) >= MIN_CASES and "(d2) hvmtest: 0 failed" in out,
          f"every hvmtest case holds (at least {MIN_CASES}, none failed)", r)
    check("FAILED" not in out, "no hvmtest line says FAILED", r)
    check(re.search(r"domain 2 \(hvmtest\): vCPU0: write of guest physical 0xc0000000, not "
                    r"its RAM: exit 0x400 \(npf\) at guest rip 0x10[0-9a-f]{4}", out) is not None,
          "the write outside RAM crashes domain 2, the line names exit and RIP", r)
    check(re.search(r"domain 3 \(hvmtriple\): vCPU0: triple fault \(shutdown\): exit 0x7f "
                    r"\(shutdown\) at guest rip 0x10[0-9a-f]{4}", out) is not None,
          "the triple fault crashes domain 3, the line names exit and RIP", r)
    check("domain 2 (hvmtest): shutdown (crash)" in out and
          "domain 3 (hvmtriple): shutdown (crash)" in out, "both HVM domains crashed", r)
    check(re.search(r"\(d1\) result bench=cpuloop dom=1 iters=[1-9]\d* ms=100", out) is not None,
          "the PV bystander finished its work", r)
    check(re.search(r"\(d0\) hvmtest +2 +4 +1 +----c- +[\d.]+ +hvm", out) is not None,
          "xl list shows hvmtest as a crashed hvm domain", r)
    before = re.search(r"domain 1 \(bystander\): created, 1 vCPU, (\d+) frames free before", out)
    after = re.findall(r"destroyed, \d+ frames returned, (\d+) free", out)
    check(before is not None and len(after) >= 3 and int(after[-1]) == int(before.group(1)),
          f"free frames back to the count before the first domain ({after[-1:]})", r)
    paths = {k: int(v) for k, v in re.findall(r"\(d2\) hvmtest: path (\w+)=(\d+)", out)}
    check(set(paths) == {"rdtsc", "vmmcall_version", "cpuid"} and
          0 < paths["cpuid"] < 5000 and 0 < paths["vmmcall_version"] < 5000,
          f"path lengths measured ({paths})", r)
    return (f"path lengths under icount (instructions, min of 64, RDTSC pair subtracted): "
            f"VMMCALL version round trip {paths['vmmcall_version']}, "
            f"CPUID exit {paths['cpuid']}")


def case_no_svm() -> None:
    """A CPU without SVM (-cpu qemu64,-svm; plain qemu64 has SVM without nested
    paging, refused the same way with its own reason): the boot log says why, an HVM domain is refused with ENODEV
    and a message, PV domains run."""
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=modules("tests/scenarios/svm-absent"), extra=["-cpu", "qemu64,-svm"])
    out = r.output
    check(r.status == 0 and "(d0) scenario: done" in out, "the scenario completes", r)
    check("svm: CPU0: no SVM (CPUID 0x80000001 ECX bit 2; QEMU: -cpu ...,+svm): HVM "
          "domains are not available" in out, "the boot log says SVM is missing", r)
    check("HVM refused: this machine has no SVM with nested paging" in out,
          "createdomain says why it refused", r)
    check("failed with ENODEV, as expected" in out, "hvm-flat fails with ENODEV", r)
    check(re.search(r"\(d1\) result bench=cpuloop dom=1 iters=[1-9]\d* ms=100", out) is not None,
          "a PV domain still runs", r)


# include/public/trace.h, vmcb.h
HVM_EXIT, HVM_ENTRY, HVM_INJECT, HVM_IO_NODEV = (9 << 24 | 1, 9 << 24 | 2, 9 << 24 | 3,
                                                 9 << 24 | 4)
EXITS = {0x64: "vintr", 0x72: "cpuid", 0x77: "pause", 0x78: "hlt", 0x7b: "ioio",
         0x7c: "msr", 0x80: "vmrun", 0x81: "vmmcall", 0x400: "npf"}


def case_trace() -> str:
    """Every exit of the test guest is a TRC_HVM_EXIT record (code, RIP, exitinfo1),
    each but the fatal one is followed by a TRC_HVM_ENTRY of the same vCPU naming
    the same exit with its path length; the upcall injection and the unserved port
    are traced. Returns the median path lengths from the trace."""
    with tempfile.TemporaryDirectory(prefix="hvtrace") as tmp:
        path = os.path.join(tmp, "shm")
        r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S * 2,
                 modules=modules("tests/scenarios/svm-trace", False), extra=ivshmem(path, 16))
        check(r.status == 0 and "(d0) scenario: done" in r.output, "the scenario completes", r)
        s = decode(shm_stream(path))
    recs = [rec for cpu in s.per_cpu for rec in cpu if rec[2] == 1]   # domain 1: hvmtest
    exits = [rec for rec in recs if rec[1] == HVM_EXIT]
    seen = {rec[4] >> 32 for rec in exits}
    check(set(EXITS) <= seen, f"exits traced: {sorted(hex(c) for c in seen)}, expected at "
          f"least {sorted(hex(c) for c in EXITS)}", r)
    check(all(0x100000 <= rec[5] < 0x110000 for rec in exits),
          "every exit's guest RIP is in the image (1 MiB on)", r)
    npf = [rec for rec in exits if rec[4] >> 32 == 0x400]
    check(len(npf) == 1 and npf[0][4] & 0xffffffff == 6,
          f"one nested fault, exitinfo1 6 (write, user): {npf}", r)
    paths: dict[int, list[int]] = {}
    for cpu in s.per_cpu:
        pending = None
        for rec in cpu:
            if rec[2] != 1:
                continue
            if rec[1] == HVM_EXIT:
                pending = rec[4] >> 32
            elif rec[1] == HVM_ENTRY and pending is not None:
                check(rec[4] == pending, f"entry names exit {rec[4]:#x}, the last was "
                      f"{pending:#x}", r)
                check(rec[5] > 0, "an entry's path length is positive", r)
                paths.setdefault(pending, []).append(rec[5])
                pending = None
    injects = [rec for rec in recs if rec[1] == HVM_INJECT]
    check(len(injects) == 1 and injects[0][4] & 0xff == 0x40 and injects[0][4] >> 31 & 1,
          f"the upcall vector 0x40 injected once: {injects}", r)
    io = [rec for rec in recs if rec[1] == HVM_IO_NODEV]
    check(any(rec[4] == (0x80 << 16 | 1 << 1) for rec in io),
          f"IN from port 0x80 traced as unserved: {io}", r)
    med = {EXITS.get(c, hex(c)): int(statistics.median(v)) for c, v in sorted(paths.items())
           if c in (0x72, 0x81, 0x7b, 0x7c)}
    return f"median path length exit->entry from the trace (TSC, icount): {med}"


def case_fpu() -> None:
    """Two HVM guests pinned to one pCPU keep their own SSE and x87 registers while
    they yield to each other (each vCPU's FXSAVE image is switched with it)."""
    d = "tests/scenarios/svm-fpu"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=["build/dom0.elf", f"{HVMTEST} hvmtest.bin", f"{d}/scenario.txt scenario"])
    check(r.status == 0 and "(d0) scenario: done" in r.output, "the scenario completes", r)
    for dom in (1, 2):
        check(f"(d{dom}) hvmtest: fpu state kept over yields ok" in r.output,
              f"domain {dom} kept its FPU registers", r)


SCHED_POLICIES = ["rr", "credit", "credit2", "rtds", "numa"]


def make_sched_case(policy: str):
    def case() -> None:
        """Under sched=<policy>, an HVM vCPU computing next to a PV domain is pinned,
        moved, paused and unpaused, and finishes; nothing leaks."""
        r = boot(IMAGE, Topology(2, 1, 512), f"sched={policy}", TIMEOUT_S * 2,
                 modules=modules("tests/scenarios/svm-sched"))
        out = r.output
        check(r.status == 0 and "(d0) scenario: done" in out, "the scenario completes", r)
        check(f"sched: '{policy}' (" in out, f"{policy} is the policy", r)
        check("(d0) paused domain 2 (hvmspin)" in out and
              "(d0) unpaused domain 2 (hvmspin)" in out, "the HVM domain paused and unpaused", r)
        check(re.search(r"\(d0\) hvmspin +2 +0 +1 +--- +[\d.]+ +1 / all", out) is not None,
              "while paused, its vCPU is on pCPU 1 (pinned) and not running", r)
        check("(d2) hvmtest: spin round 40" in out and "(d2) hvmtest: spin done" in out and
              "domain 2 (hvmspin): shutdown (poweroff)" in out,
              "the HVM guest computed to the end and powered off", r)
        check(re.search(r"\(d1\) result bench=cpuloop dom=1 iters=[1-9]\d* ms=100", out)
              is not None, "the PV domain finished its work", r)
        before = re.search(r"domain 1 \(bystander\): created, 1 vCPU, (\d+) frames free before",
                           out)
        after = re.findall(r"destroyed, \d+ frames returned, (\d+) free", out)
        check(before is not None and len(after) >= 2 and int(after[-1]) == int(before.group(1)),
              f"free frames back after both domains are destroyed ({after})", r)
    case.__name__ = f"case_sched_{policy}"
    return case


CASES = [case_hvm_guest, case_no_svm, case_trace, case_fpu] + [make_sched_case(p) for p in SCHED_POLICIES]

if __name__ == "__main__":
    sys.exit(run_suite("svm tests", CASES, sys.argv[1:]))
