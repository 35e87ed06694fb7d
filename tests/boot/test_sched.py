#!/usr/bin/env python3
"""Scheduler boot tests: the sched= boot option selects each policy; weights give
proportional shares under credit and credit2; an rtds domain gets its budget every
period next to CPU hogs; CPU pools run two policies side by side and move a running
domain between them; parameters are set and read by their declared names, and a cfg
key the pool's policy does not declare stops `create`; under null no pCPU is
time-shared and a waiting domain runs once a pCPU frees up; under arinc653 each domain
runs only inside its windows of the timetable dom0 set (read from a trace). Each case boots QEMU in deterministic mode (-icount) and checks
what dom0's scenario and the hypervisor print; a failed check names what was expected
and what was seen. The measurements behind a passing case are printed under it.

Run from the repository root (make boot-test); HVLAB_BUILD names another build
directory. The last line is "sched tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
from fractions import Fraction

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import BootResult, Topology, boot  # noqa: E402
from test_boot import check, fields, lines, run_suite  # noqa: E402
from test_sched_timing import now_offset  # noqa: E402
from test_trace import Stream, decode, ivshmem, shm_stream  # noqa: E402

BUILD = os.environ.get("HVLAB_BUILD", "build")
IMAGE = os.environ.get("HVLAB_IMAGE", f"{BUILD}/hvlab.elf")
TIMEOUT_S = 60
SCENARIOS = "tests/scenarios"
POLICIES = ("rr", "credit", "credit2", "rtds", "numa", "null", "arinc653")
# Self-pinning under load needs time sharing: under null dom0 pinned onto a hog's pCPU
# waits for good (as in Xen), and under arinc653 it runs only in its windows.
PIN_POLICIES = POLICIES[:5]
SHARE_TOLERANCE = 0.05          # relative: 1/7 must come out within 0.1357..0.15


def run_scenario(name: str, images: list[str], cfgs: list[str], topo: Topology,
                 cmdline: str, script: str = "scenario.txt",
                 extra: list[str] | None = None) -> BootResult:
    d = f"{SCENARIOS}/{name}"
    mods = [f"{BUILD}/dom0.elf"] + [f"{BUILD}/guest/{i}.elf {i}.elf" for i in images]
    mods += [f"{d}/{c} {c}" for c in cfgs] + [f"{d}/{script} scenario"]
    return boot(IMAGE, topo, cmdline, TIMEOUT_S, modules=mods, extra=extra or [])


def run_traced(name: str, cfgs: list[str], topo: Topology,
               cmdline: str) -> tuple[BootResult, Stream]:
    """A cpuloop scenario with an ivshmem region for the trace stream (test_trace.py)."""
    with tempfile.TemporaryDirectory(prefix="hvtrace") as tmp:
        path = os.path.join(tmp, "shm")
        r = run_scenario(name, ["cpuloop"], cfgs, topo, cmdline, extra=ivshmem(path, 16))
        check_scenario_done(r)
        return r, decode(shm_stream(path))


def check_scenario_done(r: BootResult) -> None:
    check(not r.timed_out, f"QEMU did not exit within {TIMEOUT_S} s", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    check(r.status == 0, f"a clean poweroff (exit status 0, got {r.status})", r)


def blocks(r: BootResult) -> list[tuple[str, list[str]]]:
    """dom0's output split by command: [(command, [its output lines])], in order."""
    out: list[tuple[str, list[str]]] = []
    for ln in lines(r, "(d0) "):
        ln = ln[len("(d0) "):]
        if ln.startswith("xl> "):
            out.append((ln[4:], []))
        elif out:
            out[-1][1].append(ln)
    return out


def outputs(r: BootResult, command: str) -> list[list[str]]:
    """The output of every run of the command (exact text), in order."""
    return [o for c, o in blocks(r) if c == command]


def created(r: BootResult) -> dict[str, int]:
    """Domain name -> id, from "created domain <id> (<name>)"."""
    return {m.group(2): int(m.group(1))
            for m in re.finditer(r"\(d0\) created domain (\d+) \((\S+)\)", r.output)}


def result(r: BootResult, bench: str, dom: int) -> dict[str, str]:
    m = re.search(rf"\(d{dom}\) (result bench={bench} dom={dom} .*)", r.output)
    check(m is not None, f"domain {dom} printed its {bench} result line", r)
    return fields(m.group(1))


def row(table: list[str], name: str) -> list[str]:
    """The words of the row whose first column is name (the first such row)."""
    for ln in table:
        w = ln.split()
        if w and w[0] == name:
            return w
    return []


# ---- a) sched= selects the default pool's policy ----

def make_policy_case(policy: str):
    def case() -> str:
        r = boot(IMAGE, Topology(2, 1, 128), f"poweroff_after_boot sched={policy}",
                 TIMEOUT_S)
        check(not r.timed_out and r.status == 0, "a clean poweroff", r)
        chosen = lines(r, "sched: '")
        check(len(chosen) == 1 and chosen[0].startswith(f"sched: '{policy}' ("),
              f"one boot line \"sched: '{policy}' (...)\", saw {chosen}", r)
        check("refused" not in r.output and "falling back" not in r.output,
              "no policy refused, no fallback", r)
        return chosen[0]
    case.__name__ = f"sched_{policy}"
    return case


def case_sched_unknown() -> str:
    r = boot(IMAGE, Topology(2, 1, 128), "poweroff_after_boot sched=bogus", TIMEOUT_S)
    check(not r.timed_out and r.status == 0, "an unknown policy still boots", r)
    for want in ("sched: unknown scheduler 'bogus'", "sched: falling back to 'rr'"):
        check(any(ln == want for ln in lines(r, "sched: ")), f"the log says {want!r}", r)
    chosen = lines(r, "sched: '")
    check(len(chosen) == 1 and chosen[0].startswith("sched: 'rr' ("),
          f"pool 0 runs rr, saw {chosen}", r)
    return chosen[0]


# ---- b) weights: credit and credit2 ----

WEIGHTS = {"w-lo": 256, "w-mid": 512, "w-hi": 1024}


def make_weights_case(policy: str):
    """Three domains of 2 vCPUs, weights 1:2:4, CPU-bound for 5 s in a pool of 2
    pCPUs that dom0 does not use: each one's share of the three's run time (cpuloop's
    run_ns, from the runstate) within 5% (relative) of 1/7, 2/7, 4/7."""
    def case() -> str:
        r = run_scenario("sched-weights", ["cpuloop"], ["lo.cfg", "mid.cfg", "hi.cfg"],
                         Topology(3, 1, 512), f"sched={policy} icount_tick_us=100")
        check_scenario_done(r)
        pools = outputs(r, "cpupool-list -c")
        check(len(pools) == 1 and row(pools[0], "w") == ["w", "1-2"] and
              row(pools[0], "Pool-0") == ["Pool-0", "0"],
              f"pool w has pCPUs 1-2, Pool-0 pCPU 0: {pools}", r)
        listing = outputs(r, f"sched-{policy}")
        check(len(listing) == 1 and f"Cpupool w: sched={policy}" in listing[0],
              f"sched-{policy} lists pool w", r)
        ids = created(r)
        run = {}
        for name, weight in WEIGHTS.items():
            check(name in ids, f"{name} was created", r)
            check(row(listing[0], name)[2:3] == [str(weight)],
                  f"sched-{policy} shows {name} with weight {weight}: {listing[0]}", r)
            res = result(r, "cpuloop", ids[name])
            check(res["vcpus"] == "2", f"{name} ran on 2 vCPUs", r)
            run[name] = int(res["run_ns"])
        total = sum(run.values())
        wsum = sum(WEIGHTS.values())
        report, bad = [], []
        for name, weight in WEIGHTS.items():
            share, ideal = run[name] / total, Fraction(weight, wsum)
            off = share / float(ideal) - 1
            report.append(f"{name} {run[name] / 1e6:.1f} ms = {share:.4f} "
                          f"(ideal {ideal} = {float(ideal):.4f}, {off:+.1%})")
            if abs(off) > SHARE_TOLERANCE:
                bad.append(name)
        summary = f"{policy}: " + "; ".join(report) + \
            f"; the three ran {total / 1e6:.0f} ms of the pool's 2 x 5000 ms"
        check(not bad, f"shares within {SHARE_TOLERANCE:.0%} of 1/7, 2/7, 4/7: " + summary)
        return summary
    case.__name__ = f"weights_{policy}"
    return case


# ---- c) rtds: the budget next to CPU hogs ----

def case_rtds_budget() -> str:
    """On one pCPU: under -icount, QEMU runs the vCPUs of several busy pCPUs in turns,
    so a vCPU that the hypervisor counts as running may not be executing: a fixed
    amount of work then takes anywhere from a third to four times its calibrated
    running time, and sleeper's misses say more about QEMU than about rtds. On one
    pCPU running time is work, exactly."""
    r = run_scenario("sched-rtds", ["cpuloop", "sleeper"],
                     ["rt.cfg", "hog-a.cfg", "hog-b.cfg"], Topology(1, 1, 512), "sched=rtds")
    check_scenario_done(r)
    ids = created(r)
    listing = outputs(r, "sched-rtds")
    check(len(listing) == 1, "one sched-rtds listing", r)
    for name, budget, extra in (("Domain-0", "1000", "yes"), ("rt", "3000", "no"),
                                ("hog-a", "3000", "yes"), ("hog-b", "3000", "yes")):
        w = row(listing[0], name)
        check(w[2:] == ["0", "10000", budget, extra],
              f"{name}: vCPU 0, period 10000, budget {budget}, extratime {extra}; saw {w}", r)
    check(f"(d0) sched-credit: domain {ids['rt']} is in pool 0 (rtds)" in r.output,
          "sched-credit on an rtds domain names the pool's policy", r)
    s = result(r, "sleeper", ids["rt"])
    check(s["periods"] == "100" and s["work_us"] == "2500", f"100 periods of 2.5 ms: {s}", r)
    run_ms = int(s["run_ns"]) / 1e6
    check(run_ms >= 250, f"the task ran its 100 x 2.5 ms of work ({run_ms:.1f} ms)", r)
    hogs = [int(result(r, "cpuloop", ids[h])["run_ns"]) / 1e6 for h in ("hog-a", "hog-b")]
    summary = (f"rt: misses={s['misses']} in 100 periods, ran {run_ms:.1f} ms, wake-up "
               f"latency avg {int(s['lat_avg_ns']) / 1e3:.1f} us max "
               f"{int(s['lat_max_ns']) / 1e3:.1f} us; hogs ran {hogs[0]:.0f} and "
               f"{hogs[1]:.0f} ms of their 1300 ms")
    check(s["misses"] == "0", "the task never missed its deadline: " + summary, r)
    return summary


# ---- d) pools: two policies side by side, a domain moved while it runs ----

def vcpu_sample(table: list[str], name: str) -> tuple[int, float]:
    """(pCPU, seconds) of the domain's vCPU 0 in a vcpu-list table."""
    w = row(table, name)
    return (int(w[3]), float(w[5])) if len(w) > 5 else (-1, -1.0)


def case_pools() -> str:
    r = run_scenario("sched-pools", ["cpuloop"], ["stayer.cfg", "mover.cfg", "rt.pool"],
                     Topology(2, 1, 512), "sched=credit")
    check_scenario_done(r)
    ids = created(r)
    out = r.output
    check("(d0) created cpupool 1 (rt), sched rtds" in out, "pool rt made from rt.pool", r)
    # dom0's pCPU cannot leave Pool-0; dom0 cannot leave it; a pool in use stays.
    for cmd in ("cpupool-cpu-remove Pool-0 0", "cpupool-migrate Domain-0 rt",
                "cpupool-destroy rt"):
        check(f"(d0) expect: '{cmd}' failed with EBUSY, as expected" in out,
              f"'{cmd}' is refused with EBUSY", r)
    check("(d0) cpupool-cpu-remove: removing CPU 0 from cpupool 0 (Pool-0): EBUSY" in out,
          "the refusal says what was attempted", r)
    cpus = outputs(r, "cpupool-list -c")
    check(len(cpus) == 2, "two cpupool-list -c", r)
    check(row(cpus[0], "Pool-0") == ["Pool-0", "0"] and row(cpus[0], "rt") == ["rt", "1"],
          f"after the moves of pCPU 1: Pool-0 has 0, rt has 1: {cpus[0]}", r)
    check(row(cpus[1], "Pool-0") == ["Pool-0", "0-1"] and not row(cpus[1], "rt"),
          f"at the end: rt gone, Pool-0 has 0-1 again: {cpus[1]}", r)
    # Pool table rows: Name CPUs Sched Active Domains.
    counts = [(row(t, "Pool-0"), row(t, "rt")) for t in outputs(r, "cpupool-list")]
    want = [(["Pool-0", "1", "credit", "y", "1"], ["rt", "1", "rtds", "y", "0"]),
            (["Pool-0", "1", "credit", "y", "2"], ["rt", "1", "rtds", "y", "1"]),
            (["Pool-0", "1", "credit", "y", "3"], ["rt", "1", "rtds", "y", "0"]),
            (["Pool-0", "1", "credit", "y", "2"], ["rt", "1", "rtds", "y", "1"])]
    check(counts == want, f"cpupool-list: CPUs and domain counts {counts} != {want}", r)
    # Each policy lists the domains of its pool.
    credit = outputs(r, "sched-credit")
    check(len(credit) == 2 and row(credit[0], "stayer") and not row(credit[0], "mover"),
          f"sched-credit before the move: stayer, not mover: {credit[:1]}", r)
    check(row(credit[1], "mover")[2:] == ["256", "0"],
          f"sched-credit after the move lists mover with credit's defaults: {credit[1:]}", r)
    rtds = outputs(r, "sched-rtds") + outputs(r, "sched-rtds -d mover")
    check(len(rtds) == 2 and all(row(t, "mover") for t in rtds),
          f"sched-rtds lists mover in rt, before and after: {rtds}", r)
    # The mover keeps running across both moves.
    for pool, pid in (("Pool-0", 0), ("rt", 1)):
        check(f"cpupool: domain {ids['mover']} (mover) moved to pool {pid} ({pool})" in out,
              f"the hypervisor logs the move to {pool}", r)
    samples = [vcpu_sample(t, "mover") for t in outputs(r, "vcpu-list mover")]
    check(len(samples) == 3, f"three vcpu-list samples: {samples}", r)
    check([c for c, _ in samples] == [1, 0, 1],
          f"mover runs on pCPU 1 (rt), 0 (Pool-0), 1 (rt): {samples}", r)
    times = [t for _, t in samples]
    check(times[0] < times[1] < times[2],
          f"its run time grows after each move: {times} s", r)
    mover, stayer = (result(r, "cpuloop", ids[n]) for n in ("mover", "stayer"))
    mover_s = int(mover["run_ns"]) / 1e9
    check(mover_s >= times[2], f"its result counts all of it ({mover_s:.3f} s)", r)
    check("Panic" not in out and "ASSERT" not in out, "nothing crashed", r)
    return (f"mover (vCPU 0 pCPU, run time): before {samples[0]}, after the move to "
            f"Pool-0 {samples[1]}, after the move back {samples[2]}; total "
            f"{mover_s * 1e3:.0f} ms of 1200, stayer {int(stayer['run_ns']) / 1e6:.0f} ms")


# ---- sched-pin: dom0 pins its own running vCPU away from its pCPU ----

PIN_SEQUENCE = [1, 0, 1]        # the pCPU of each vcpu-pin in the scenario, in order


# A 30 ms credit slice of a hog, plus the command. With the hypervisor's icount
# option, as the experiment harness boots it: without it a busy pCPU keeps QEMU's
# turn until the next timer deadline, and rr's 10 ms wait behind a hog became 50 ms.
PIN_GAP_MAX_MS = 40


def pin_gaps_ms(r: BootResult) -> list[float]:
    """For each vcpu-pin of dom0, the time (hypervisor clock, ms) from its xl> line
    to the next command's: how long dom0 was kept from running by moving itself."""
    cmds = [(float(m.group(1)), m.group(2)) for m in
            re.finditer(r"\[\s*(\d+\.\d+)\] \(d0\) xl> (.*)", r.output)]
    return [round((cmds[i + 1][0] - t) * 1e3, 3) for i, (t, c) in enumerate(cmds[:-1])
            if c.startswith("vcpu-pin Domain-0")]


def make_pin_case(policy: str, load: bool):
    """dom0's vCPU 0 pins itself to pCPU 1, back to 0, to 1 again (with two CPU hogs
    running when load): the machine must not hang (it did under credit at once and
    under rr when pinned back), and each vcpu-list right after a pin must show dom0
    on the pCPU it was pinned to."""
    def case() -> str:
        r = run_scenario("sched-pin", ["cpuloop"], ["hog-a.cfg", "hog-b.cfg"],
                         Topology(2, 1, 256), f"sched={policy} icount",
                         "scenario-load.txt" if load else "scenario.txt")
        check_scenario_done(r)
        pins = [ln for ln in lines(r, "(d0) vcpu-pin Domain-0 0: ")]
        check(len(pins) == 4, f"four vcpu-pin read-backs, saw {pins}", r)
        samples = [vcpu_sample(t, "Domain-0") for t in outputs(r, "vcpu-list Domain-0")]
        where = [c for c, _ in samples]
        check(where == PIN_SEQUENCE,
              f"dom0 runs on the pCPU it pinned itself to: {PIN_SEQUENCE}, saw {where}", r)
        check("Panic" not in r.output and "ASSERT" not in r.output, "nothing crashed", r)
        gaps = pin_gaps_ms(r)
        check(len(gaps) == 4 and max(gaps) <= PIN_GAP_MAX_MS,
              f"each vcpu-pin done and the next command started within "
              f"{PIN_GAP_MAX_MS} ms: {gaps} ms", r)
        where = f"{where}, pin-to-next-command {max(gaps):.1f} ms at most"
        if load:
            ids = created(r)
            hogs = [int(result(r, "cpuloop", ids[h])["run_ns"]) / 1e6
                    for h in ("hog-a", "hog-b")]
            return f"{policy} under load: dom0 on pCPUs {where}; hogs ran {hogs} ms"
        return f"{policy}: dom0 on pCPUs {where}"
    case.__name__ = f"pin_{policy}{'_load' if load else ''}"
    return case


# ---- sched-numa: parameters read, set and read back ----

def case_numa_params() -> str:
    r = run_scenario("sched-numa", ["cpuloop"], ["far.cfg"], Topology(4, 2, 512),
                     "sched=numa")
    check_scenario_done(r)
    ids = created(r)
    listing = outputs(r, "sched-numa")
    check(len(listing) == 1 and "Cpupool Pool-0: sched=numa" in listing[0],
          f"sched-numa lists pool 0: {listing}", r)
    check(row(listing[0], "far")[2:4] == ["256", "auto"],
          f"far starts with weight 256, home nodes from memory: {listing}", r)
    set1 = outputs(r, "sched-numa -d far -w 512 -n 1")
    check(len(set1) == 1 and row(set1[0], "far")[2:5] == ["512", "1", "1"],
          f"weight 512 and home node 1 read back: {set1}", r)
    set2 = outputs(r, "sched-numa -d far -n auto")
    check(len(set2) == 1 and row(set2[0], "far")[2:4] == ["512", "auto"],
          f"-n auto keeps the weight: {set2}", r)
    check(f"(d0) sched-credit: domain {ids['far']} is in pool 0 (numa)" in r.output,
          "sched-credit on a numa domain names the pool's policy", r)
    check("(d0) expect: 'sched-numa -d nosuch' failed with ESRCH, as expected" in r.output,
          "an unknown domain is ESRCH", r)
    got = outputs(r, "sched-get far")
    want = [f"domain {ids['far']} (far): policy numa, 2 parameters, 3 counters",
            "weight = 300", "home_nodes = 0"]
    check(len(got) == 1 and got[0][:3] == want and
          [ln.split(":")[0] for ln in got[0][3:]] == ["home", "migrations", "away"],
          f"sched-set weight=300 home_nodes=0 read back by sched-get: {got}", r)
    check("(d0) sched-set: no parameter 'cap' in policy 'numa' (it has: weight, home_nodes)"
          in r.output, "sched-set refuses a key numa does not declare, naming its keys", r)
    return " / ".join(" ".join(row(t, "far")) for t in listing + set1 + set2) + \
        " / " + "; ".join(got[0])


# ---- e) a cfg key the pool's policy does not declare ----

def case_undeclared_key() -> str:
    r = run_scenario("sched-undeclared", ["cpuloop"], ["w.cfg"], Topology(2, 1, 128),
                     "sched=rr")
    check_scenario_done(r)
    want = "(d0) w.cfg:5: key 'weight': no parameter 'weight' in policy 'rr' (it has: none)"
    check(want in r.output, f"create names file, line and key: {want!r}", r)
    check("(d0) expect: 'create w.cfg' failed with EINVAL, as expected" in r.output,
          "create fails with EINVAL", r)
    check("created domain" not in r.output, "nothing was created", r)
    return want


# ---- null and arinc653: read from a trace ----

RUNSTATE, RUNSTATE_RUNNING, TRACE_DOM_IDLE = 0x01000001, 0, 0x7ff7


def run_intervals(s: Stream) -> list[tuple[int, int, int, float, float]]:
    """Every running interval in the trace: (pCPU, domain, vCPU, from_ns, to_ns), in
    trace time (TSC converted to ns), idle vCPUs left out; an interval still open at
    the end of the trace ends there."""
    out, since = [], {}
    end = 0.0
    for cpu, recs in enumerate(s.per_cpu):
        for tsc, ev, d, v, d0, _d1 in recs:
            t = tsc * 1e6 / s.tsc_khz
            end = max(end, t)
            if ev != RUNSTATE or d == TRACE_DOM_IDLE:
                continue
            key = (cpu, d, v)
            if d0 & 0xff == RUNSTATE_RUNNING:
                since.setdefault(key, t)
            elif key in since:
                out.append((*key, since.pop(key), t))
    out += [(*k, t, end) for k, t in since.items()]
    return sorted(out, key=lambda i: i[3])


def case_null() -> str:
    """3 pCPUs under null: dom0 holds one, hog-a and hog-b the others, late waits. In
    the 200 ms traced, each pCPU runs one vCPU only (no time sharing) and late never
    runs; once the hogs are done and gone, late gets a pCPU and finishes."""
    r, s = run_traced("sched-null", ["hog-a.cfg", "hog-b.cfg", "late.cfg"],
                      Topology(3, 1, 256), "sched=null icount")
    ids = created(r)
    runs = run_intervals(s)
    check(len(runs) > 0, "the trace has running intervals", r)
    on = {}
    for cpu, d, v, _a, _b in runs:
        on.setdefault(cpu, set()).add((d, v))
    shared = {c: sorted(vs) for c, vs in on.items() if len(vs) > 1}
    check(not shared, f"no pCPU ran two vCPUs in the trace: {shared}", r)
    hogs = {ids["hog-a"], ids["hog-b"]}
    check({d for vs in on.values() for d, _v in vs} >= hogs,
          f"both hogs ran: {sorted(on.items())}", r)
    check(all(d != ids["late"] for vs in on.values() for d, _v in vs),
          f"late did not run while every pCPU was taken: {sorted(on.items())}", r)
    late = result(r, "cpuloop", ids["late"])
    check(int(late["run_ns"]) > 0, "late ran once a pCPU freed up", r)
    where = ", ".join(f"pCPU {c}: d{d}v{v}" for c, vs in sorted(on.items()) for d, v in vs)
    return f"null: {where}; late waited, then ran {int(late['run_ns']) / 1e6:.1f} ms"


A653_MAJOR_NS = 20_000_000
A653_WINDOWS = (("Domain-0", 0, 2_000_000), ("hog-a", 2_000_000, 10_000_000),
                ("hog-b", 10_000_000, 16_000_000))
A653_TOLERANCE_NS = 100_000     # about one icount tick
A653_WINDOW = (8 << 24) | (7 << 16) | 1        # POLICY class, SCHED_ID_ARINC653, code 1


def case_arinc653() -> str:
    """1 pCPU under arinc653 with the timetable 20 ms = dom0 2 ms, hog-a 8 ms, hog-b
    6 ms, idle 4 ms (set by xl arinc653-set after refused ones); a cfg with a weight
    is refused (arinc653 declares no per-domain parameters). In the 300 ms traced,
    the policy's arinc653.window records come in timetable order on one frame grid,
    each decided within A653_TOLERANCE_NS after its start (trace time against NOW,
    lined up by a timer record), and every running interval lies inside a window of
    its domain, within the same."""
    r, s = run_traced("sched-arinc653", ["hog-a.cfg", "hog-b.cfg", "w.cfg"],
                      Topology(1, 1, 256), "sched=arinc653 icount")
    ids = created(r)
    ids["Domain-0"] = 0
    refused = "(d0) w.cfg:6: key 'weight': no parameter 'weight' in policy 'arinc653' (it has: none)"
    check(refused in r.output and "w" not in ids,
          f"a weight in a cfg is refused, as any key arinc653 does not declare: {refused!r}", r)
    gets = outputs(r, "arinc653-get")
    check(len(gets) == 1 and "timetable=default" in gets[0][0] and
          "major_frame_us=30000" in gets[0][0],
          f"the default timetable: one 10 ms window per domain: {gets}", r)
    check(f"(d0) arinc653-set: window 1: domain {ids['hog-a']} (hog-a) has no vCPU 1"
          in r.output, "a vCPU the domain lacks is refused, naming the window", r)
    check("(d0) arinc653-set: no domain '99'" in r.output, "an unknown domain is refused", r)
    check("(d0) arinc653-set: Domain-0 has no window in cpupool 0, its own" in r.output,
          "a timetable that leaves dom0 out of its own pool is refused", r)
    set_out = outputs(r, "arinc653-set 20000 Domain-0=2000 hog-a=8000 hog-b=6000")
    check(len(set_out) == 1 and "timetable=set" in set_out[0][0] and
          "Idle 4000" in set_out[0], f"the timetable set and read back: {set_out}", r)
    runs = run_intervals(s)
    win = {ids[n]: (a, b) for n, a, b in A653_WINDOWS}
    # The policy's own arinc653.window records: (trace ns, window index, NOW start).
    marks = [(tsc * 1e6 / s.tsc_khz, d0, d1) for tsc, ev, _d, _v, d0, d1 in s.per_cpu[0]
             if ev == A653_WINDOW]
    check(len(marks) >= 4 * 10, f"at least 10 frames of window records: {len(marks)}", r)
    bounds = [0] + [b for _n, _a, b in A653_WINDOWS]    # starts of windows 0..3 (3: idle)
    seq_bad = [(i, a[1], b[1]) for i, (a, b) in enumerate(zip(marks, marks[1:]))
               if b[1] != (a[1] + 1) % 4 or
               b[2] - a[2] != (bounds[b[1]] if b[1] else A653_MAJOR_NS) - bounds[a[1]]]
    check(not seq_bad, f"windows 0, 1, 2, idle in turn, their starts the timetable's "
          f"lengths apart: {seq_bad[:5]}", r)
    # Trace time -> NOW (from a timer record); the frame's phase from the policy's own
    # window starts (NOW), which must all agree.
    off = now_offset(s)
    phases = {(st - bounds[i]) % A653_MAJOR_NS for _t, i, st in marks}
    check(len(phases) == 1, f"every window start on one frame grid: {sorted(phases)[:5]}", r)
    phase = phases.pop()
    late = [t - off - st for t, _i, st in marks]
    check(0 <= min(late) and max(late) <= A653_TOLERANCE_NS,
          f"each window decided within {A653_TOLERANCE_NS / 1e3:.0f} us after its start: "
          f"{min(late) / 1e3:.1f} .. {max(late) / 1e3:.1f} us", r)
    runs = [(c, d, v, a - off, b - off) for c, d, v, a, b in runs]
    worst, bad = 0.0, []
    for _c, d, v, a, b in runs:
        if d not in win:
            bad.append(f"d{d}v{v} has no window")
            continue
        frame = (a - phase + A653_TOLERANCE_NS) // A653_MAJOR_NS * A653_MAJOR_NS + phase
        lo, hi = frame + win[d][0], frame + win[d][1]
        over = max(lo - a, b - hi, 0.0)
        worst = max(worst, over)
        if over > A653_TOLERANCE_NS:
            bad.append(f"d{d}v{v} ran {(a - frame) / 1e6:.3f}..{(b - frame) / 1e6:.3f} ms "
                       f"into a frame, its window {win[d][0] / 1e6}..{win[d][1] / 1e6} ms")
    check(not bad, f"every run inside its window within {A653_TOLERANCE_NS / 1e3:.0f} us: "
          f"{bad[:5]}", r)
    got = {n: sum(b - a for _c, d, _v, a, b in runs if d == ids[n]) for n in ("hog-a", "hog-b")}
    return (f"arinc653: {len(marks)} window records, decided at most {max(late) / 1e3:.1f} us "
            f"after the boundary; {len(runs)} runs, worst {worst / 1e3:.1f} us past a window "
            f"edge; hog-a {got['hog-a'] / 1e6:.1f} ms, hog-b {got['hog-b'] / 1e6:.1f} ms")


CASES = [make_weights_case("credit"), make_weights_case("credit2"), case_pools,
         case_rtds_budget, case_numa_params, case_undeclared_key, case_null,
         case_arinc653] + \
    [make_policy_case(p) for p in POLICIES] + [case_sched_unknown] + \
    [make_pin_case(p, load) for load in (False, True) for p in PIN_POLICIES]


if __name__ == "__main__":
    sys.exit(run_suite("sched tests", CASES, sys.argv[1:]))
