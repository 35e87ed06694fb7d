#!/usr/bin/env python3
"""The microbenchmarks (bench/micro.c, docs/microbenchmarks.md): every case in every
mode with tiny iteration counts (3 each), checked line by line: natively (the HVM
build on bare QEMU with two CPUs), then under hvlab as a PV domain and as an HVM
domain, both of two vCPUs. Every case prints exactly one result line per mode; none
FAILED; a case ran (iters=3, ns > 0, ns_per_op > 0 and equal to ns / iters) unless the
mode cannot run it, and only these are skipped: ioport in PV (no I/O ports), mem2m in
PV (no 2 MiB pages). So ipi runs in every mode: natively the HVM runtime starts CPU 1
by INIT/SIPI and the event comes as a LAPIC IPI; as HVM vCPU 1 is started the same way
(a 2-vCPU HVM domU) and the event comes on the callback vector. An unknown case name is refused with the list.
The timer case, 100 events as PV and as HVM under the hypervisor's icount option
(as the experiments run it), sees no event before its deadline (early=0): the
guest's clock read after the handler has run is never behind the deadline the
hypervisor fired at. PVHVM is the HVM build (no case uses a PV driver HVM lacks:
docs/pv-vs-hvm.md), so these runs cover it. The PV-vs-HVM report's measurement of a
cell (N and 1 operations under the cost-model plugin, then traced) counts exactly one
SYSCALL per PV null call and one VMMCALL and one #VMEXIT per HVM null call. The
callback vector is delivered once per event (issue 12): the HVM timer case and PVHVM
ping-pong, measured as the report does, take at most one NPF exit (the EOI) and no
VINTR exit per delivery, and an HVM timer event stays under HVM_TIMER_MAX instructions.
An HVM ipi round trip under credit (both vCPUs spinning with PAUSE, which hvlab
intercepts) stays under HVM_IPI_MAX instructions.

Run from the repository root (make boot-test). The last line is
"micro tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import BootResult, Topology, boot  # noqa: E402
from test_boot import check, run_suite  # noqa: E402

BUILD = os.environ.get("HVLAB_BUILD", "build")
IMAGE = os.environ.get("HVLAB_IMAGE", f"{BUILD}/hvlab.elf")
TIMEOUT_S = 120
ITERS = 3
CASES = ("null", "ptupdate", "pagefault", "timer", "ipi", "ioport", "forkas", "cpu",
         "mem4k", "mem2m")
SKIPPED = {"native": set(), "hvm": set(), "pv": {"ioport", "mem2m"}}
LINE = re.compile(r'result bench=micro case=(\S+) mode=(\S+) (.*)$')


def check_mode(r: BootResult, mode: str) -> str:
    lines = [m for m in (LINE.search(ln) for ln in r.output.splitlines())
             if m and m.group(2) == mode]
    seen = [m.group(1) for m in lines]
    check(seen == list(CASES), f"{mode}: one line per case in order (saw {seen})", r)
    per_op = []
    for m in lines:
        case, rest = m.group(1), m.group(3)
        check("FAILED" not in rest, f"{mode} {case}: not FAILED ({rest})", r)
        if case in SKIPPED[mode]:
            check(rest.startswith('skipped="') and len(rest) > 12,
                  f"{mode} {case}: skipped with a reason ({rest})", r)
            continue
        f = dict(re.findall(r"(\w+)=(\S+)", rest))
        check(f.get("iters") == str(ITERS), f"{mode} {case}: iters={ITERS} ({rest})", r)
        ns, p = int(f.get("ns", "0")), float(f.get("ns_per_op", "0"))
        check(ns > 0 and p > 0, f"{mode} {case}: ns and ns_per_op > 0 ({rest})", r)
        check(abs(p - ns / ITERS) < 0.01, f"{mode} {case}: ns_per_op = ns / iters ({rest})", r)
        per_op.append(f"{case} {p:g}")
    return f"{mode}: " + ", ".join(per_op)


def case_native() -> str:
    """The HVM build on bare QEMU with two CPUs (ipi: CPU 1 started by INIT/SIPI):
    every case, then exit 0 (a clean poweroff)."""
    r = boot(f"{BUILD}/guest/micro-hvm.elf", Topology(2, 1, 128), f"iters={ITERS} mem_mb=2",
             TIMEOUT_S)
    check(r.status == 0 and "exit 0" in r.output, f"native: exit 0 (status {r.status})", r)
    return check_mode(r, "native")


def case_unknown_case() -> None:
    """cases=null,bogus runs null, then refuses bogus naming every case, exit 2."""
    r = boot(f"{BUILD}/guest/micro-hvm.elf", Topology(1, 1, 128), "cases=null,bogus iters=2",
             TIMEOUT_S)
    check("case=null mode=native iters=2 " in r.output, "null ran first", r)
    check('micro: unknown case "bogus" (cases=' + ",".join(CASES) + ")" in r.output,
          "bogus is refused with the list of cases", r)
    check("exit 2" in r.output, "the guest exits 2", r)


def case_pv_and_hvm() -> str:
    """Under hvlab: the PV build, then the HVM build, each of 2 vCPUs, every case."""
    d = "tests/scenarios/micro"
    mods = [f"{BUILD}/dom0.elf", f"{BUILD}/guest/micro.elf micro.elf",
            f"{BUILD}/guest/micro-hvm.elf micro-hvm.elf", f"{d}/pv.cfg pv.cfg",
            f"{d}/hvm.cfg hvm.cfg", f"{d}/scenario.txt scenario"]
    r = boot(IMAGE, Topology(2, 1, 256), "", TIMEOUT_S, modules=mods)
    check("(d0) scenario: done" in r.output and r.status == 0,
          f"the scenario completes, clean poweroff (status {r.status})", r)
    check(r.output.count("exit 0") >= 2, "both domains exit 0", r)
    check(re.search(r"domain \d+ \(micro-hvm\): created, 2 vCPUs", r.output) is not None,
          "the HVM domain has 2 vCPUs", r)
    return check_mode(r, "pv") + "; " + check_mode(r, "hvm")


def case_timer_not_early() -> str:
    """cases=timer iters=100, PV then HVM, hypervisor option icount: early=0 in both,
    and the mean latency is positive (the deadline is 20 us ahead, so the handler's
    run is seen after it)."""
    d = "tests/scenarios/micro-timer"
    mods = [f"{BUILD}/dom0.elf", f"{BUILD}/guest/micro.elf micro.elf",
            f"{BUILD}/guest/micro-hvm.elf micro-hvm.elf", f"{d}/pv.cfg pv.cfg",
            f"{d}/hvm.cfg hvm.cfg", f"{d}/scenario.txt scenario"]
    r = boot(IMAGE, Topology(2, 1, 256), "icount", TIMEOUT_S, modules=mods)
    check("(d0) scenario: done" in r.output and r.status == 0,
          f"the scenario completes, clean poweroff (status {r.status})", r)
    seen = []
    for mode in ("pv", "hvm"):
        m = re.search(rf"case=timer mode={mode} iters=100 ns=(\d+) ns_per_op=(\S+) "
                      r"early=(\d+) early_max_ns=(\d+)", r.output)
        check(m is not None, f"{mode}: a timer result line with iters=100", r)
        check(m.group(3) == "0" and m.group(4) == "0",
              f"{mode}: no event seen before its deadline (early={m.group(3)}, "
              f"by up to {m.group(4)} ns)", r)
        check(int(m.group(1)) > 0, f"{mode}: latency > 0 ({m.group(0)})", r)
        seen.append(f"{mode} {m.group(2)} ns per event")
    return "timer, 100 events, none early: " + ", ".join(seen)


# An HVM IPI round trip (send by VMMCALL, callback vector on vCPU 0, EOI, handler,
# acknowledgement seen by vCPU 1) is about 8,500 instructions; each side waits with
# PAUSE, which the hypervisor intercepts. Before its PAUSE exit paused too, QEMU's
# round-robin kept a spinning pCPU for a whole turn per look: 19,399,884 per round
# trip under credit.
HVM_IPI_MAX = 30_000


def case_hvm_ipi_spin() -> str:
    """cases=ipi iters=20 as a 2-vCPU HVM domain under credit, hypervisor options
    icount and icount_tick_us=100 (the experiments' settings): a round trip stays
    under HVM_IPI_MAX instructions."""
    d = "tests/scenarios/micro-ipi"
    mods = [f"{BUILD}/dom0.elf", f"{BUILD}/guest/micro-hvm.elf micro-hvm.elf",
            f"{d}/hvm.cfg hvm.cfg", f"{d}/scenario.txt scenario"]
    r = boot(IMAGE, Topology(2, 1, 256), "sched=credit icount icount_tick_us=100", TIMEOUT_S,
             modules=mods)
    check("(d0) scenario: done" in r.output and r.status == 0,
          f"the scenario completes, clean poweroff (status {r.status})", r)
    m = re.search(r"case=ipi mode=hvm iters=20 ns=(\d+) ns_per_op=(\S+)", r.output)
    check(m is not None, "an ipi result line with iters=20", r)
    check(float(m.group(2)) < HVM_IPI_MAX,
          f"under {HVM_IPI_MAX} instructions per round trip (got {m.group(2)})", r)
    return f"HVM ipi under credit: {m.group(2)} instructions per round trip"


def case_report_cells() -> str:
    """The PV-vs-HVM report's measurement of one cell (experiments/hvlab/pvhvm_run.py:
    N and 1 operations under the cost-model plugin, then a traced run), for the null
    call as PV and as HVM with N=5: per operation the plugin sees exactly one SYSCALL
    (PV) or one VMMCALL and one #VMEXIT (HVM), and the traced run exactly N version
    hypercalls. Skipped, with the reason, when QEMU cannot load the plugin."""
    from hvlab import costmodel, pvhvm_run
    status = costmodel.plugin_status()
    if status != "yes":
        return f"skipped: the cost model cannot be used ({status})"
    spec = {"iters": {"null": 5}, "mem_mb": 2}
    seen = []
    with tempfile.TemporaryDirectory() as out:
        for mode, want in (("pv", {"syscall": 1.0, "vmexit": 0.0}),
                           ("hvm", {"vmmcall": 1.0, "vmexit": 1.0, "syscall": 0.0})):
            rec = pvhvm_run.measure(pvhvm_run._cell("null", mode, spec, 2), out, True)
            check(rec["status"] == "ok", f"{mode}: the cell ran ({rec.get('reason')})", None)
            po = rec["per_op"]["all"]
            for k, v in want.items():
                check(po.get(k) == v, f"{mode}: {k} per null call = {v} (got {po.get(k)})",
                      None)
            hc = rec["reasons"].get("hcall version", {}).get("n")
            check(hc == 5, f"{mode}: 5 version hypercalls traced (got {hc})", None)
            seen.append(f"{mode} {rec['per_op']['guest'] + rec['per_op']['hv']:.0f} "
                        "instructions per call")
    return "null call per op: " + ", ".join(seen)


def _exits_per_op(rec: dict, reason: str) -> float:
    """Per operation: (count at N - count at 1) / (N - 1), from the two traced runs."""
    n = rec["reasons"].get(reason, {}).get("n", 0)
    n1 = rec.get("reasons_1", {}).get(reason, {}).get("n", 0)
    return (n - n1) / (rec["n"] - 1)


# HVM timer delivery, instructions per event (the case's own timing under icount).
# 13,051 before the callback vector became an edge (a second delivery and a second
# emulated EOI per event, issue 12); about 8,000 after.
HVM_TIMER_MAX = 10_000


def case_event_delivery_exits() -> str:
    """The callback vector is delivered once per event (issue 12): the HVM timer case
    (N=8 events) and PVHVM ping-pong (N=8 round trips, two deliveries each), measured
    as the PV-vs-HVM report does (untraced, then traced at N and at 1): per delivery at
    most one nested-page-fault exit (the guest's EOI) and no VINTR exit (before: two
    NPFs and a VINTR per delivery), and an HVM timer event under HVM_TIMER_MAX
    instructions."""
    from hvlab import pvhvm_run
    spec = {"iters": {"timer": 8}, "mem_mb": 2, "pingpong_rounds": 8}
    seen = []
    with tempfile.TemporaryDirectory() as out:
        for row, mode, deliveries in (("timer", "hvm", 1), ("pingpong", "pvhvm", 2)):
            rec = pvhvm_run.measure(pvhvm_run._cell(row, mode, spec, 2), out, False)
            check(rec["status"] == "ok", f"{row} {mode}: the cell ran ({rec.get('reason')})",
                  None)
            npf, vintr = _exits_per_op(rec, "exit npf"), _exits_per_op(rec, "exit vintr")
            # Another interrupt landing inside the N run (a timer tick: its EOI is an
            # NPF too) adds 1/(N-1) = 0.14; the defect added a whole NPF per delivery.
            check(npf <= deliveries + 0.5,
                  f"{row} {mode}: at most {deliveries} NPF exits per operation "
                  f"(one per delivery, + 0.5 for stray interrupts; got {npf:.2f})", None)
            check(vintr < 0.5, f"{row} {mode}: no VINTR exit per operation (got {vintr:.2f})",
                  None)
            seen.append(f"{row} {mode}: {npf:.2f} npf, {vintr:.2f} vintr per op, "
                        f"{rec['guest_per_op']:.0f} per op")
            if row == "timer":
                check(rec["guest_per_op"] < HVM_TIMER_MAX,
                      f"timer hvm: under {HVM_TIMER_MAX} instructions per event "
                      f"(got {rec['guest_per_op']:.0f})", None)
    return "; ".join(seen)


if __name__ == "__main__":
    sys.exit(run_suite("micro tests", [case_native, case_unknown_case, case_pv_and_hvm,
                                       case_timer_not_early, case_hvm_ipi_spin,
                                       case_report_cells,
                                       case_event_delivery_exits],
                       sys.argv[1:]))
