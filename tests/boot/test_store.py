#!/usr/bin/env python3
"""The store booted (docs/store.md): a domU reads its own name from the store, writes
and reads keys (one larger than its ring), is refused another domain's keys, gets a
watch event when dom0 writes the key it watches and a bus state dom0 sets; a domain
that breaks its ring index is no longer served and dom0 says so, while the bystander
still is; a domain's keys go when it is destroyed. The same client on an HVM guest.

Run from the repository root (make boot-test). The last line is
"store tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite, scenario_modules  # noqa: E402
from test_isolation import check_no_frame_leaked  # noqa: E402


def summary(r, dom: int, min_cases: int) -> None:
    m = re.search(rf"\(d{dom}\) storetest: (\d+) passed, (\d+) failed", r.output)
    check(m is not None, f"domain {dom} reports its summary", r)
    check(int(m.group(1)) >= min_cases and m.group(2) == "0",
          f"every case of domain {dom} holds ({m.group(0)})", r)


def case_pv() -> None:
    d = "tests/scenarios/store"
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules(d, ["storetest"],
                                      ["main.cfg", "bystander.cfg", "bad.cfg"]))
    check(r.status == 0, "the machine powers off cleanly", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    check("(d2) storetest: name is storetest" in r.output, "the domU read its own name", r)
    check("(d2) storetest: other domain's name unreadable ok" in r.output,
          "EACCES on the bystander's name", r)
    check("(d2) storetest: event path /local/domain/2/ping token tok-ping" in r.output,
          "the watch event after dom0's store-write", r)
    # Served while dom0 sleeps in the scenario (dom0_sleep_until wakes for services).
    waiting = r.output.find("(d2) storetest: waiting for dom0's ping")
    check(0 <= waiting < r.output.find("(d0) xl> store-write /local/domain/2/ping"),
          "requests answered during dom0's sleep, not after it", r)
    summary(r, 2, 20)
    summary(r, 1, 5)
    m = re.search(r"\(d2\) storetest: read round trip avg (\d+) ns", r.output)
    check(m is not None, "the read round trip is measured", r)
    print(f"    PV store read round trip: {m.group(1)} ns (guest time, 100 reads)")
    check("(d0) store-watch: /local/domain/2/done fired (2)" in r.output,
          "a dom0 callback watch fired when the domU wrote", r)
    check("(d0) store-watch: /local/domain/2/never: 1 of 2 events in 100 ms" in r.output,
          "store-watch times out when nothing changes", r)
    check("(d0) from-domU" in r.output, "dom0 reads what the domU wrote", r)
    check("(d0) bystander-value" in r.output, "the bystander's key is intact", r)
    check(re.search(r"\(d0\) store: domain 3: malformed request ring index \(req_prod\): "
                    r"not served any more", r.output) is not None,
          "dom0 logs the broken ring and stops serving that domain", r)
    check(re.search(r"\(d0\)   name = \"storetest\"", r.output) is not None,
          "store-ls shows the domain's name", r)
    check("(d0) store-read: /local/domain/2/name: ENOENT" in r.output,
          "the domain's keys are gone after its destruction", r)
    check("(d0) store-read: /tmp/x: ENOENT" in r.output, "store-rm removed the subtree", r)
    # dom0 unmaps each ring page before the destroy: it returns with the domain.
    check_no_frame_leaked(r)


def case_hvm() -> None:
    """The same client in an HVM guest: page and port from HVMOP_get_param."""
    d = "tests/scenarios/store-hvm"
    mods = scenario_modules(d, ["storetest"], ["bystander.cfg", "hvm.cfg"])
    mods.insert(1, "build/guest/storetest-hvm.elf storetest-hvm.elf")
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S, modules=mods)
    check(r.status == 0, "the machine powers off cleanly", r)
    check("(d0) scenario: done" in r.output, "the scenario completed", r)
    check("(d2) storetest: name is storehvm" in r.output, "the HVM domU read its own name", r)
    check("(d2) storetest: event path /local/domain/2/ping token tok-ping" in r.output,
          "the watch event after dom0's store-write", r)
    summary(r, 2, 20)
    summary(r, 1, 5)
    m = re.search(r"\(d2\) storetest: read round trip avg (\d+) ns", r.output)
    check(m is not None, "the read round trip is measured", r)
    print(f"    HVM store read round trip: {m.group(1)} ns (guest time, 100 reads)")
    check("(d0) store-watch: /local/domain/2/done fired (2)" in r.output,
          "a dom0 callback watch fired when the HVM domU wrote", r)


CASES = [case_pv, case_hvm]

if __name__ == "__main__":
    sys.exit(run_suite("store tests", CASES, sys.argv[1:]))
