#!/usr/bin/env python3
"""PV network boot tests (docs/network.md): two domUs exchange frames through dom0's
bridge (netbench: round trips and a stream, every frame's content checked on both
sides, counts checked against dom0's per-vif counters); a bad frontend next to a
netbench pair on the same bridge (every bad tx request refused and counted, rx pages
not granted writable never written, its vif closed when it breaks its ring, the pair unharmed, nothing leaked); an HVM domain
using the same frontend (PVHVM) with a PV peer; a bad vif entry in a cfg file named
by file and line.

Run from the repository root; the last line is "net tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from test_boot import IMAGE, TIMEOUT_S, check, run_suite, scenario_modules  # noqa: E402
from test_dom0_exit import check_failed_cleanly  # noqa: E402
from hvlab.machine import BootResult, Topology, boot  # noqa: E402

ROUNDS, FRAMES, STREAM_BYTES = 200, 2000, 1514


def vif_line(r: BootResult, dom: int, devid: int = 0) -> dict[str, str]:
    """network-list's line for vif <dom>.<devid> (the last one printed)."""
    found = re.findall(rf"\(d0\) vif {dom}\.{devid} (.*)", r.output)
    check(bool(found), f"network-list shows vif {dom}.{devid}", r)
    return dict(re.findall(r"(\w+)=(\S+)", found[-1]))


def result(r: BootResult, bench: str) -> dict[str, str]:
    m = re.search(rf"result bench={bench} (.*)", r.output)
    check(m is not None, f"a {bench} result line", r)
    return dict(re.findall(r"(\w+)=(\S+)", m.group(1)))


def check_pair(r: BootResult, echo: int, ping: int, ping_mac: str) -> str:
    """The netbench pair finished, every frame intact, and dom0's counters agree
    with what each side counted: nothing lost without a count."""
    rtt, stream, ech = (result(r, "netbench-rtt"), result(r, "netbench-stream"),
                        result(r, "netbench-echo"))
    check(int(rtt["rounds"]) == ROUNDS and rtt["bad"] == "0" and ech["bad"] == "0",
          "every round trip done, no frame with a wrong byte", r)
    check(int(ech["echoed"]) >= ROUNDS, "echo answered every ping", r)
    delivered = int(stream["delivered"])
    check(delivered == int(ech["stream_rx"]), "ping's report is echo's count", r)
    e, p = vif_line(r, echo), vif_line(r, ping)
    check(e["mac"] == "00:16:3e:00:00:01" and p["mac"] == ping_mac,
          f"MACs: echo's from its cfg, ping's the default {ping_mac}", r)
    check(e["state"] == p["state"] == "connected" and e["bridge"] == p["bridge"] == "br0",
          "both vifs connected to br0", r)
    # Every stream frame left ping and either reached echo or was dropped, counted.
    check(int(p["tx_errors"]) == 0 and int(e["tx_errors"]) == 0, "no tx errors", r)
    check(delivered + int(e["rx_dropped"]) >= FRAMES,
          f"stream: {delivered} delivered + {e['rx_dropped']} dropped (counted) "
          f">= {FRAMES} sent", r)
    check(delivered > 0, "some of the stream arrived", r)
    check(int(p["tx_frames"]) >= ROUNDS + FRAMES + 2, "ping's tx counter holds its frames", r)
    check(int(e["rx_frames"]) >= delivered + ROUNDS, "echo's rx counter holds what it got", r)
    return (f"rtt median {rtt['rtt_median_ns']} ns p99 {rtt['rtt_p99_ns']} ns; stream "
            f"{stream['frames_per_s']} frames/s, {stream['bytes_per_s']} B/s, "
            f"{delivered}/{FRAMES} delivered")


def check_no_frame_leaked(r: BootResult, first: int, second: int) -> None:
    """Every domain gave back all its memory, and the free count after the second
    round equals the one after the first (dom0's grant maptrack, allocated at its
    first grant map and kept for its life, is the only thing the first round leaves
    allocated)."""
    returned = re.findall(r"\((?:echo|ping|bad)\): destroyed, (\d+) frames returned, (\d+) free",
                          r.output)
    check(len(returned) == first + second, f"{first} + {second} domains destroyed", r)
    check(all(int(n) == 2048 for n, _ in returned), "each returned its 8 MiB (2048 frames)", r)
    free = [int(f) for _, f in returned]
    check(free[-1] == free[first - 1], f"free frames after the second round {free[-1]} == "
          f"after the first {free[first - 1]}", r)


def case_pair() -> str:
    """Two domUs through br0 (one vif from network-attach, one from a cfg): round
    trips and a stream, counters agree, vifs torn down."""
    d = "tests/scenarios/net-pair"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["netbench"], ["echo.cfg", "ping.cfg"]))
    check(r.status == 0 and "(d0) scenario: done" in r.output, "the scenario completed", r)
    check("(d0) network-attach: domain 1 vif 0 mac=00:16:3e:00:00:01 bridge=br0" in r.output,
          "network-attach gave echo its vif", r)
    for refused in ('network-attach: mac "00:16:3e:00:00:zz": expected six hex bytes',
                    "network-attach: unknown key 'colour' (expected mac or bridge)",
                    "network-attach: no domain 'nosuch'",
                    "network-attach: dom0 has no frontend"):
        check(f"(d0) {refused}" in r.output, f"refused with a reason: {refused}", r)
    check(len(re.findall(r"\(d0\) expect: .* as expected", r.output)) == 4,
          "each bad network-attach failed with its errno", r)
    note = check_pair(r, 1, 2, "00:16:3e:00:02:00")
    check(len(re.findall(r"netback: vif [12]\.0 gone: ", r.output)) == 2,
          "both vifs torn down at destroy, their counters printed", r)
    check(re.search(r"\(d4\) result bench=netbench-rtt dom=4 rounds=200 ", r.output) is not None,
          "the second pair ran in the slots the first left", r)
    check_no_frame_leaked(r, 2, 2)
    return note


BAD_REQUESTS = 11


def case_bad_frontend() -> str:
    """A bad frontend next to a netbench pair on the same bridge."""
    d = "tests/scenarios/net-bad"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["netbench", "netbad"],
                                      ["echo.cfg", "bad.cfg", "ping.cfg"]))
    check(r.status == 0 and "(d0) scenario: done" in r.output, "the scenario completed", r)
    m = re.search(r"\(d2\) netbad: (\d+) passed, (\d+) failed", r.output)
    check(m is not None and int(m.group(1)) == BAD_REQUESTS + 5 and m.group(2) == "0",
          "every bad-frontend case holds", r)
    rx = vif_line(r, 2, 2)
    check(int(rx["rx_frames"]) == 64 and int(rx["rx_errors"]) == 3 and
          int(rx["rx_dropped"]) == 1,
          "network-list: 64 frames into granted pages, 3 errors for pages not granted "
          "writable, 1 drop with no page posted", r)
    check(vif_line(r, 2, 1)["tx_frames"] == "68", "the rx cases' sender sent 68 frames", r)
    check("netback: vif 2.0: tx ring producer index out of range: closed" in r.output,
          "netback names why it closed the bad vif", r)
    b = vif_line(r, 2)
    check(int(b["tx_errors"]) == BAD_REQUESTS and int(b["tx_frames"]) == 1,
          f"network-list: the bad vif's {BAD_REQUESTS} errors and 1 good frame counted", r)
    check(b["state"] == "closing", "the bad vif is closed", r)
    note = check_pair(r, 1, 3, "00:16:3e:00:03:00")
    check(re.search(r"\(d5\) result bench=netbench-rtt dom=5 rounds=200 ", r.output) is not None,
          "a new pair works after the bad domain is gone", r)
    check_no_frame_leaked(r, 3, 2)
    return note


def case_pvhvm() -> str:
    """An HVM echo with the PV network frontend (PVHVM) and a PV ping."""
    d = "tests/scenarios/net-pvhvm"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["netbench", "netbench-hvm"],
                                      ["echo.cfg", "ping.cfg"]))
    check(r.status == 0 and "(d0) scenario: done" in r.output, "the scenario completed", r)
    note = check_pair(r, 1, 2, "00:16:3e:00:02:00")
    returned = re.findall(r"\((?:echo|ping)\): destroyed, (\d+) frames returned", r.output)
    check(returned == ["2048", "4096"], "ping's 8 MiB and echo's 16 MiB returned", r)
    return note


def case_bad_cfg() -> None:
    """A vif entry with a bad MAC: the file and line named, nothing created."""
    d = "tests/scenarios/net-badcfg"
    r = boot(IMAGE, Topology(1, 1, 256), "", TIMEOUT_S,
             modules=scenario_modules(d, ["netbench"], ["bad.cfg"]))
    check_failed_cleanly(r, "bad vif")
    check("(d0) bad.cfg:5: key 'vif': entry 1: mac \"00:16:3e:00:00:zz\": expected six hex "
          "bytes separated by ':' (00:16:3e:00:00:01)" in r.output, "the bad entry is named", r)
    check("(d0) net-badcfg: this must not print" not in r.output, "no command ran", r)


CASES = [case_pair, case_bad_frontend, case_pvhvm, case_bad_cfg]

if __name__ == "__main__":
    sys.exit(run_suite("net tests", CASES, sys.argv[1:]))
