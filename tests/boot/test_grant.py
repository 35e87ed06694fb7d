#!/usr/bin/env python3
"""Grant-table boot tests. case_pv_granter_mapper: two PV domUs, a granter and a mapper (tests/guests/
granttest*.c), show map, write, the granter seeing it, end-access refused while
mapped, copy, and every bad input getting its status; then the granter is destroyed
while the mapper still maps two of its frames: its frames are not reused by a domain
built meanwhile, it is freed only after the mapper's last unmap, and the free-frame
count comes back to its start. case_pv_hvm_peers: a PV and an HVM domain grant each
other a page (the HVM side through HVMOP_map_grant_table and its nested table).
case_mapper_dies: a mapper exits with grants mapped; its destruction releases them.
case_trace: the peers traced: map, unmap and copy records with dom, ref and status.
case_race: end-access racing a peer's maps on two pCPUs, 300 rounds.

Run from the repository root. The last line is "grant tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import BootResult, Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite, scenario_modules  # noqa: E402


def summary(r: BootResult, dom: int) -> tuple[int, int]:
    m = re.search(rf"\(d{dom}\) grant: (\d+) passed, (\d+) failed", r.output)
    check(m is not None, f"domain {dom} reports its summary", r)
    return int(m.group(1)), int(m.group(2))


def case_pv_granter_mapper() -> None:
    d = "tests/scenarios/grant"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["granttest"],
                                      ["granter.cfg", "mapper.cfg", "reuser.cfg"]))
    check(r.status == 0, "the machine powers off cleanly", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    failed = [ln for ln in r.output.splitlines() if "FAILED" in ln]
    check(not failed, f"no case failed: {failed}", r)
    for dom, least in ((1, 20), (2, 60), (3, 3)):
        p, f = summary(r, dom)
        check(f == 0 and p >= least, f"domain {dom}: {p} passed (>= {least}), {f} failed", r)
    for case in ("granter sees the mapper's write", "end-access refused while mapped",
                 "map a page table writable", "W2 not reused by it", "maptrack full",
                 "copy into a read-only grant", "host_addr without an L1 table"):
        check(re.search(rf"grant: {re.escape(case)} ok", r.output) is not None,
              f"case '{case}' ran and held", r)
    # The granter's struct, table and frames go only at the mapper's last unmap (the
    # hypervisor logs it during that hypercall: after the one before it is reported).
    out = r.output
    unmapped = out.find("(d2) grant: unmap W2 of the dead granter ok")
    freed = re.search(r"domain 1 \(granter\): destroyed, \d+ frames returned, (\d+) free", out)
    check(unmapped >= 0 and freed is not None, "the unmap and the granter's end logged", r)
    check(freed.start() > unmapped, "the granter is freed only at the mapper's last unmap", r)
    before = re.search(r"domain 1 \(granter\): created, \d+ vCPUs?, (\d+) frames free before",
                       out)
    after = re.findall(r"domain [123] \(\w+\): destroyed, \d+ frames returned, (\d+) free", out)
    check(before is not None and len(after) == 3, "creation and three ends logged", r)
    check(int(after[-1]) == int(before.group(1)),
          f"free frames back to {before.group(1)} after all (got {after[-1]})", r)


def case_pv_hvm_peers() -> None:
    """A PV and an HVM domain grant each other a page: the HVM side's table is mapped
    by HVMOP_map_grant_table and its grants name GFNs; each maps the other's page,
    writes, copies both ways, is refused end-access while mapped, unmaps, ends. (No
    free-frame check here: an HVM domain's devices are freed by a timer after its
    destruction is logged; case_pv_granter_mapper checks the frames.)"""
    d = "tests/scenarios/grant-hvm"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["grantpeer", "grantpeer-hvm"], ["pv.cfg", "hvm.cfg"]))
    check(r.status == 0, "the machine powers off cleanly", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    check("domain 2 (hvmpeer): HVM" in r.output, "domain 2 is HVM", r)
    failed = [ln for ln in r.output.splitlines() if "FAILED" in ln]
    check(not failed, f"no case failed: {failed}", r)
    for dom, least in ((1, 16), (2, 19)):
        p, f = summary(r, dom)
        check(f == 0 and p >= least, f"domain {dom}: {p} passed (>= {least}), {f} failed", r)
    for dom in (1, 2):
        for case in ("read the peer's page", "see the peer's write", "copy both ways",
                     "end-access refused while mapped", "see the peer's copy"):
            check(re.search(rf"\(d{dom}\) grant: {re.escape(case)} ok", r.output) is not None,
                  f"d{dom}: '{case}' held", r)
    check("(d2) grant: our own page is back at that gfn ok" in r.output,
          "the HVM mapper's own frame is back after the unmap", r)


def case_mapper_dies() -> None:
    """The holder exits with a host and a device mapping of the lender's page: its
    destruction releases them, the lender's end-access then succeeds, and every frame
    comes back."""
    d = "tests/scenarios/grant-holder"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["granttest"], ["lender.cfg", "holder.cfg"]))
    check(r.status == 0, "the machine powers off cleanly", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    check("(d2) holder: exiting with 2 mappings held" in r.output, "the holder died mapping", r)
    failed = [ln for ln in r.output.splitlines() if "FAILED" in ln]
    check(not failed, f"no case failed: {failed}", r)
    for dom, least in ((1, 4), (2, 3)):
        p, f = summary(r, dom)
        check(f == 0 and p >= least, f"domain {dom}: {p} passed (>= {least}), {f} failed", r)
    out = r.output
    ended = out.find("(d1) grant: end-access once the holder is destroyed ok")
    # Its mappings go early in the destruction, "destroyed" comes once its memory is
    # back (the lender's poll can fall in between): the start is what counts.
    destroyed = out.find("domain 2 (holder): destroying")
    check(0 <= destroyed < ended, "the end succeeded after the holder's destruction began", r)
    before = re.search(r"domain 1 \(lender\): created, \d+ vCPUs?, (\d+) frames free before", out)
    after = re.findall(r"domain [12] \(\w+\): destroyed, \d+ frames returned, (\d+) free", out)
    check(before is not None and len(after) == 2, "creation and both ends logged", r)
    check(int(after[-1]) == int(before.group(1)),
          f"free frames back to {before.group(1)} after all (got {after[-1]})", r)


def case_trace() -> None:
    """The grant peers traced: every map, unmap and copy is a gnttab record naming the
    granter, the ref and the status; maps and unmaps pair up per domain; the decoder
    names them."""
    from hvlab import trace as T
    from test_trace import decode, run_scenario
    run = run_scenario("grant-trace", ["grantpeer", "grantpeer-hvm"], ["pv.cfg", "hvm.cfg"],
                       Topology(2, 1, 512))
    r = run.r
    check(r.status == 0 and "(d0) scenario: done" in r.output, "the scenario ran", r)
    recs = decode(run.stream).records()
    names = {T.EV["gnttab_map"]: "map", T.EV["gnttab_unmap"]: "unmap",
             T.EV["gnttab_copy"]: "copy"}
    got = [(names[x[1]], x[2], x[4], x[5]) for x in recs if x[1] in names]
    check(all(x[1] >> 24 != 10 or x[1] in names for x in recs), "only known gnttab events", r)
    for dom, peer in ((1, 2), (2, 1)):
        maps = [g for g in got if g[0] == "map" and g[1] == dom]
        ok_maps = [g for g in maps if g[3] & 0xffff == 0]
        unmaps = [g for g in got if g[0] == "unmap" and g[1] == dom and g[3] & 0xffff == 0]
        copies = [g for g in got if g[0] == "copy" and g[1] == dom]
        check(len(ok_maps) >= 2 and all(g[2] == (peer << 32 | 8) for g in ok_maps),
              f"d{dom}: its maps name d{peer} ref 8 ({len(ok_maps)})", r)
        check(len(unmaps) == len(ok_maps), f"d{dom}: {len(unmaps)} unmaps for "
              f"{len(ok_maps)} maps", r)
        check(len(copies) >= 2 and any(c[2] & 0xffff == 0 for c in copies),
              f"d{dom}: copies traced with their status ({len(copies)})", r)
    bad = [g for g in got if g[0] == "map" and g[1] == 2 and g[3] & 0xffff == 0xfffa]
    check(len(bad) == 1, "the HVM map over the LAPIC window traced as GNTST_bad_virt_addr", r)
    callers = {x[2] for x in recs if x[1] == T.EV["hcall_entry"] and x[4] == 20}
    check(callers == {1, 2}, f"grant_table_op hypercalls of both domains traced {callers}", r)


def case_race() -> None:
    """End-access racing maps on two pCPUs: the owner ends and re-grants its page 300
    times while the user maps, writes, copies and unmaps it; after every successful
    end the page stays unwritten (the end and the hypervisor's claim exclude each
    other), every status is an expected one, and every frame comes back."""
    d = "tests/scenarios/grant-race"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["grantrace"], ["owner.cfg", "user.cfg"]))
    check(r.status == 0 and "(d0) scenario: done" in r.output, "the scenario ran", r)
    check("FAILED" not in r.output, "no failure reported", r)
    check("(d1) grantrace: ok" in r.output and "(d2) grantrace: ok" in r.output,
          "both sides report ok", r)
    m = re.search(r"owner: 300 rounds, (\d+) ends refused while mapped, (\d+) rounds saw new "
                  r"writes, 0 grants in use", r.output)
    check(m is not None and int(m.group(1)) > 0 and int(m.group(2)) == 300,
          "the owner raced mapped grants every round", r)
    u = re.search(r"user: (\d+) maps, (\d+) refused, (\d+) copies", r.output)
    check(u is not None and int(u.group(1)) >= 300 and u.group(1) == u.group(3),
          "the user mapped and copied every round", r)
    before = re.search(r"domain 1 \(owner\): created, \d+ vCPUs?, (\d+) frames free before",
                       r.output)
    after = re.findall(r"domain [12] \(\w+\): destroyed, \d+ frames returned, (\d+) free",
                       r.output)
    check(before is not None and len(after) == 2 and int(after[-1]) == int(before.group(1)),
          "free frames back to the start", r)


CASES = [case_pv_granter_mapper, case_pv_hvm_peers, case_mapper_dies, case_trace, case_race]

if __name__ == "__main__":
    sys.exit(run_suite("grant tests", CASES, sys.argv[1:]))
