#!/usr/bin/env python3
"""Boot tests: start the hypervisor under QEMU and check what it prints.

Each case is one named function; a failed check names the case, what was expected
and what was seen. Run from the repository root (make boot-test). The last line is
"boot tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import BootResult, Topology, boot  # noqa: E402

IMAGE = os.environ.get("HVLAB_IMAGE", "build/hvlab.elf")
TIMEOUT_S = 60


class CheckFailed(Exception):
    pass


def check(cond: bool, what: str, r: BootResult | None = None) -> None:
    if not cond:
        tail = ""
        if r is not None:
            tail = f"\n    exit status {r.status}; last output lines:\n      " + \
                "\n      ".join(r.output.strip().splitlines()[-12:])
        raise CheckFailed(what + tail)


def lines(r: BootResult, prefix: str) -> list[str]:
    """Lines with the given prefix, printk timestamps removed."""
    out = []
    for ln in r.output.splitlines():
        ln = re.sub(r"^\[\s*\d+\.\d+\] ", "", ln)
        if ln.startswith(prefix):
            out.append(ln)
    return out


def fields(line: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", line))


def check_booted(r: BootResult) -> None:
    check(not r.timed_out, f"QEMU did not exit within {TIMEOUT_S} s", r)
    check(r.status == 0, "expected a clean poweroff (exit status 0)", r)
    for name in ("on_cpus", "timers", "numa_alloc", "domain_ref"):
        check(any(ln.startswith(f"selftest: {name} ok") for ln in lines(r, "selftest:")),
              f"self-test {name} did not report ok", r)


def check_topology(topo: Topology, r: BootResult, online: int | None = None) -> None:
    """The printed summary must describe exactly the machine QEMU was given."""
    online = topo.cpus if online is None else online
    head = [fields(ln) for ln in lines(r, "topo: cpus=")]
    check(len(head) == 1, "one 'topo: cpus=' line", r)
    check(head[0] == {"cpus": str(topo.cpus), "online": str(online), "nodes": str(topo.nodes)},
          f"summary {head[0]} != cpus={topo.cpus} online={online} nodes={topo.nodes}", r)
    cpus = [fields(ln) for ln in lines(r, "topo: cpu=")]
    check(len(cpus) == topo.cpus, f"{len(cpus)} cpu lines for {topo.cpus} CPUs", r)
    for c, f in enumerate(cpus):
        want = {"cpu": str(c), "apic": str(c), "node": str(topo.cpu_node(c)),
                "online": "1" if c < online else "0"}
        check(f == want, f"cpu line {f} != {want}", r)
    nodes = {int(f["node"]): f for f in map(fields, lines(r, "topo: node="))}
    check(sorted(nodes) == list(range(topo.nodes)), f"node lines for {sorted(nodes)}", r)
    per = topo.cpus // topo.nodes
    for n, f in nodes.items():
        want_cpus = ",".join(str(c) for c in range(n * per, n * per + per))
        check(f["cpus"] == want_cpus, f"node {n} cpus={f['cpus']} != {want_cpus}", r)
        mem = int(f["mem_mib"])
        # Node 0 loses the 384 KiB legacy hole (640K-1M) to the SRAT's split.
        check(topo.node_mem_mib() - 1 <= mem <= topo.node_mem_mib(),
              f"node {n} mem_mib={mem}, expected ~{topo.node_mem_mib()}", r)
        check(0 < int(f["free_mib"]) <= int(f["managed_mib"]) <= mem,
              f"node {n} free <= managed <= mem: {f}", r)
    if topo.nodes > 1:
        ranges = [fields(ln) for ln in lines(r, "topo: mem node=")]
        for f in ranges:
            start, end = int(f["start"], 16), int(f["end"], 16)
            n = int(f["node"])
            lo, hi = n * topo.node_mem_mib() << 20, (n + 1) * topo.node_mem_mib() << 20
            check(lo <= start < end <= hi, f"range {f} outside node {n}'s [{lo:#x}, {hi:#x})", r)
    rows = {int(m.group(1)): [int(x) for x in m.group(2).split()]
            for m in (re.match(r"topo: distance node=(\d+):(.*)", ln)
                      for ln in lines(r, "topo: distance"))}
    for a in range(topo.nodes):
        want = [topo.distance(a, b) for b in range(topo.nodes)]
        check(rows.get(a) == want, f"distance row {a}: {rows.get(a)} != {want}", r)


TOPOLOGIES = {
    "smp1": Topology(1, 1, 128),
    "smp2": Topology(2, 1, 256),
    "smp4-2nodes": Topology(4, 2, 256, ((0, 1, 21),)),
    "smp8-4nodes": Topology(8, 4, 512, ((0, 1, 21), (0, 2, 31), (0, 3, 41),
                                        (1, 2, 21), (1, 3, 31), (2, 3, 21))),
    # NR_CPUS: 64 pCPUs in 8 nodes, a ring (SLIT 10 + 4 per hop) unlike QEMU's default.
    "smp64-8nodes": Topology(64, 8, 1024, tuple((a, b, 10 + 4 * min(b - a, 8 - (b - a)))
                                                for a in range(8) for b in range(a + 1, 8))),
}


def make_topology_case(name: str, topo: Topology):
    def case() -> None:
        r = boot(IMAGE, topo, "poweroff_after_boot", TIMEOUT_S)
        check_booted(r)
        check_topology(topo, r)
    case.__name__ = f"topology_{name}"
    return case


def case_maxcpus() -> None:
    topo = Topology(4, 1, 256)
    r = boot(IMAGE, topo, "poweroff_after_boot maxcpus=2", TIMEOUT_S)
    check_booted(r)
    check_topology(topo, r, online=2)
    check("2 of 4 CPUs left offline" in r.output, "maxcpus=2 says how many stay offline", r)


def case_trace_rings_too_big() -> None:
    """64 pCPUs in 64 MiB: their default trace rings (1 MiB each) do not fit. Tracing
    is off, and the rings already allocated are given back, not kept (they were)."""
    r = boot(IMAGE, Topology(64, 1, 64), "poweroff_after_boot", TIMEOUT_S)
    check_booted(r)
    check(any("tracing disabled, rings freed" in ln for ln in lines(r, "trace: no memory")),
          "the log says tracing is off and the rings were freed", r)
    node = fields(lines(r, "topo: node=")[0])
    free, managed = int(node["free_mib"]), int(node["managed_mib"])
    check(free >= managed - 8, f"free_mib={free}: the rings' memory came back "
          f"(managed_mib={managed})", r)


def case_unknown_and_bad_options() -> None:
    r = boot(IMAGE, Topology(2, 1, 128), "poweroff_after_boot frobnicate=1 maxcpus=lots",
             TIMEOUT_S)
    check_booted(r)
    check("unknown boot option 'frobnicate'" in r.output, "unknown option reported", r)
    check("bad value 'lots' for boot option 'maxcpus'" in r.output, "bad value reported", r)
    check(fields(lines(r, "topo: cpus=")[0])["online"] == "2",
          "a bad maxcpus= leaves the default (all CPUs)", r)


def make_crash_case(kind: str, marker: str):
    def case() -> None:
        r = boot(IMAGE, Topology(2, 1, 128), f"poweroff_after_boot selftest_crash={kind}",
                 TIMEOUT_S)
        check(not r.timed_out, "a crash must end the run, not hang it", r)
        check(r.status not in (0, -1), f"a crash exits non-zero (got {r.status})", r)
        check(marker in r.output, f"crash output names the problem ({marker!r})", r)
        check("Panic on CPU0" in r.output, "panic banner printed", r)
        check(re.search(r"\[<ffffffff8[0-9a-f]+>\] selftest_crash\+0x", r.output) is not None,
              "stack trace shows selftest_crash by name", r)
        if kind in ("pf", "ud"):
            for reg in ("RIP:", "RAX:", "R15:", "CR2:"):
                check(reg in r.output, f"register dump has {reg}", r)
    case.__name__ = f"crash_{kind}"
    return case


def case_deterministic() -> None:
    topo = TOPOLOGIES["smp4-2nodes"]
    runs = [boot(IMAGE, topo, "poweroff_after_boot", TIMEOUT_S) for _ in range(2)]
    for r in runs:
        check_booted(r)
    check(runs[0].output == runs[1].output,
          "two -icount boots printed different output", runs[1])


def case_minimal_pv_dom0() -> None:
    """The smallest PV guest as dom0: ring-3 entry, SYSCALL hypercalls, console,
    shutdown; dom0's poweroff powers the machine off."""
    r = boot(IMAGE, Topology(2, 1, 256), "", TIMEOUT_S,
             modules=["build/tests/minimal.elf"])
    check(r.status == 0, "dom0's poweroff ends the run cleanly", r)
    for want in ("(d0) minimal guest: hello", "(d0) minimal guest: domid 0",
                 "(d0) minimal guest: pages 16384", "(d0) minimal guest: version 1",
                 "domain 0 (Domain-0): shutdown (poweroff)"):
        check(want in r.output, f"output has {want!r}", r)
    m = re.search(r"null hypercall round trip \(TSC\) (\d+)", r.output)
    check(m is not None and 0 < int(m.group(1)) < 1000, "a plausible null hypercall cost", r)


def scenario_modules(directory: str, images: list[str], cfgs: list[str]) -> list[str]:
    mods = ["build/dom0.elf"] + [f"build/guest/{i}.elf {i}.elf" for i in images]
    mods += [f"{directory}/{c} {c}" for c in cfgs]
    return mods + [f"{directory}/scenario.txt scenario"]


def case_three_domus() -> None:
    """dom0 creates three PV domUs on 2 CPUs from a scenario: all run, list and
    vcpu-list show them, they shut down, and every frame comes back."""
    d = "tests/scenarios/three-domus"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["cpuloop"], ["a.cfg", "b.cfg", "c.cfg"]))
    check(r.status == 0, "the scenario ends with a clean poweroff", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    for dom in (1, 2, 3):
        m = re.search(rf"\(d{dom}\) result bench=cpuloop dom={dom} iters=(\d+) ms=300", r.output)
        check(m is not None and int(m.group(1)) > 0, f"domain {dom} ran its loop", r)
        check(f"domain {dom} (loop-" in r.output and "shutdown (poweroff)" in r.output,
              f"domain {dom} shut down", r)
    listing = [ln for ln in r.output.splitlines() if re.search(r"\(d0\) loop-[abc] +\d", ln)]
    check(len(listing) >= 3, "xl list shows the three domains", r)
    vcpus = [ln for ln in r.output.splitlines()
             if re.search(r"\(d0\) loop-[abc] +\d+ +0 +\d+ ", ln)]
    check(len(vcpus) == 3, "xl vcpu-list shows one vCPU each, on a CPU", r)
    # Frames: free count before the first domain vs after the last destroy.
    before = re.search(r"domain 1 \(loop-a\): created, 1 vCPU, (\d+) frames free before", r.output)
    after = re.findall(r"domain \d \(loop-.\): destroyed, \d+ frames returned, (\d+) free", r.output)
    check(before is not None and len(after) == 3, "creation and destruction logged", r)
    check(int(after[-1]) == int(before.group(1)),
          f"free frames back to {before.group(1)} after destroying all (got {after[-1]})", r)


def case_isolation() -> None:
    """An unprivileged guest tries every forbidden operation: each one fails or
    faults back into it, and its neighbour runs on undisturbed."""
    d = "tests/scenarios/isolation"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["cpuloop", "isolation"],
                                      ["iso.cfg", "bystander.cfg", "bigmem.cfg"]))
    check(r.status == 0, "the machine survives and powers off cleanly", r)
    check("expect: 'create bigmem.cfg' failed with ENOMEM, as expected" in r.output,
          "dom0's createdomain with maxmem 1 TiB is refused with ENOMEM", r)
    check(re.search(r"domctl: domain 'bigmem': max_pages 268435456 refused, the machine has "
                    r"\d+ frames", r.output) is not None,
          "the hypervisor says why it refused the 1 TiB maxmem", r)
    m = re.search(r"\(d2\) isolation: (\d+) passed, (\d+) failed", r.output)
    check(m is not None, "the isolation guest reports its summary", r)
    check(int(m.group(1)) >= 100 and m.group(2) == "0",
          f"every isolation case holds ({m.group(0) if m else ''})", r)
    check("(d2) isolation: domain 2, 2048 pages, unprivileged" in r.output,
          "the test ran unprivileged", r)
    check(re.search(r"\(d1\) result bench=cpuloop dom=1 iters=\d+ ms=100", r.output)
          is not None, "the bystander finished its work", r)
    check("(d0) scenario: done" in r.output, "dom0 carried on", r)


def case_isolation_dom0() -> None:
    """dom0 passes values that must be refused however privileged the caller: vCPU
    contexts that would fault in ring 0, a max_pages beyond the machine."""
    r = boot(IMAGE, Topology(2, 1, 256), "", TIMEOUT_S,
             modules=["build/guest/isolation_dom0.elf"])
    m = re.search(r"\(d0\) isolation: (\d+) passed, (\d+) failed", r.output)
    check(m is not None, "the dom0 isolation guest reports its summary", r)
    check(int(m.group(1)) >= 10 and m.group(2) == "0",
          f"every dom0 isolation case holds ({m.group(0) if m else ''})", r)
    check(r.status == 0, "dom0's poweroff ends the run cleanly", r)


def case_pingpong() -> None:
    """Two domUs bounce an event back and forth over an interdomain channel."""
    d = "tests/scenarios/pingpong"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["pingpong"], ["pong.cfg", "ping.cfg"]))
    check(r.status == 0, "clean poweroff", r)
    m = re.search(r"result bench=pingpong dom=2 peer=1 rounds=1000 rtt_avg_ns=(\d+)", r.output)
    check(m is not None and 0 < int(m.group(1)) < 1_000_000, "1000 round trips measured", r)


CASES = [make_topology_case(n, t) for n, t in TOPOLOGIES.items()] + [
    case_three_domus, case_isolation, case_isolation_dom0, case_pingpong,
    case_minimal_pv_dom0,
    case_maxcpus, case_unknown_and_bad_options, case_trace_rings_too_big,
    make_crash_case("pf", "exception 14 (#PF page fault)"),
    make_crash_case("ud", "exception 6 (#UD invalid opcode)"),
    make_crash_case("assert", "ASSERT(zero == 1) failed"),
    case_deterministic,
]


def run_case(case) -> tuple[str, str | None, str]:
    """(name, failure or None, note): a case may return a one-line note (figures)."""
    try:
        note = case()
        return case.__name__, None, note or ""
    except CheckFailed as e:
        return case.__name__, str(e), ""
    except Exception:  # a harness bug: report it like a failure, with its traceback
        return case.__name__, traceback.format_exc(), ""


def run_suite(label: str, cases: list, names: list[str]) -> int:
    """Runs the named cases (all when names is empty), two at a time, and prints one
    line per case and "<label>: N passed, N failed" last. Shared by tests/boot/*."""
    if not os.path.exists(IMAGE):
        print(f"{label}: {IMAGE} does not exist: run 'make' first")
        return 2
    chosen = [c for c in cases if not names or c.__name__ in names]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(run_case, chosen))
    failed = 0
    for name, err, note in results:
        print(f"{'ok  ' if err is None else 'FAIL'} {name}")
        if err:
            failed += 1
            print("    " + err.replace("\n", "\n    "))
        elif note:
            print("    " + note)
    print(f"{label}: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_suite("boot tests", CASES, sys.argv[1:]))
