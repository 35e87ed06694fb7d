#!/usr/bin/env python3
"""HVM device emulation through dom0's device model (issue 11; docs/device-model.md).

forwarding: the hypervisor forwards what it does not emulate to dom0's model
(dom0/dm.c): the device-model test guest (guest/hvm/tests/dmtest.c, case=probe) reads
the PCI host bridge's config space (8086:1237, class 06 00 00), an absent function,
an unclaimed port and MMIO address (all ones), REP INSW/OUTSW as single requests
(registers advanced, DF honoured), and prints the path length of a forwarded port
read. Next to it, three domains that must crash alone: a REP INSW whose count runs
past the guest's RAM (the hypervisor refuses the buffer), and two malformed answers
of the model (dm-inject: a slot state that is none, an answer of another size); each
crash names its domain; the probe guest keeps being served meanwhile and powers off;
dom0 finishes the scenario; every frame comes back.

Run from the repository root; the last line is "devmodel tests: N passed, N failed".
"""
from __future__ import annotations
import os
import re
import sys
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import check, run_suite  # noqa: E402
from test_hvm import scenario_modules  # noqa: E402

BUILD = os.environ.get("HVLAB_BUILD", "build")
IMAGE = os.environ.get("HVLAB_IMAGE", f"{BUILD}/hvlab.elf")
TIMEOUT_S = 120
PROBE = ("host-bridge-id", "host-bridge-class", "host-bridge-header", "absent-function",
         "config-byte", "unclaimed-port", "unclaimed-mmio", "unclaimed-mmio-write",
         "rep-insw-unclaimed", "rep-outsw-down", "still-served")
# domain id -> (name, what the hypervisor's crash line must say)
CRASHES = {
    2: ("dm-hugerep", r"INS into guest memory that is not its writable RAM: exit 0x7b \(ioio\)"),
    3: ("dm-answer", r"the device model left a request slot in an undefined state"),
    4: ("dm-answer2", r"the device model's answer does not match the request"),
}


def case_forwarding() -> str:
    """Forwarded accesses are answered by dom0's model; a huge REP count and two
    malformed answers each crash only their own domain; the bystander is served
    throughout; dom0 finishes; frames all return."""
    r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
             modules=scenario_modules("devmodel", ["dmtest-hvm.elf"],
                                      ["dm-probe.cfg", "dm-hugerep.cfg", "dm-answer.cfg",
                                       "dm-answer2.cfg", "dm-after.cfg"]))
    for name in PROBE:
        check(f"(d1) dmtest: {name} ok" in r.output, f"probe check {name} passes", r)
    check("(d1) dmtest: 11 passed, 0 failed" in r.output, "the probe guest saw no failure", r)
    check("domain 1 (dm-probe): shutdown (poweroff)" in r.output, "the bystander powers off",
          r)
    for dom, (name, why) in CRASHES.items():
        check(re.search(rf"domain {dom} \({name}\): vCPU0: {why}", r.output) is not None,
              f"{name} crashes with the hypervisor's line", r)
        check(f"domain {dom} ({name}): shutdown (crash)" in r.output, f"{name} crashed", r)
    check("dmtest: FAILED" not in r.output, "no guest reports a failure", r)
    check("(d0) scenario: done" in r.output and r.status == 0, "dom0 finishes, clean poweroff",
          r)
    before = re.search(r"domain 1 \(dm-probe\): created, 1 vCPU, (\d+) frames free before",
                       r.output)
    after = re.search(r"domain 5 \(dm-after\): created, 1 vCPU, (\d+) frames free before",
                      r.output)
    check(before is not None and after is not None and before.group(1) == after.group(1),
          f"every frame back (request pages too): {before and before.group(1)} before, "
          f"{after and after.group(1)} after", r)
    p = re.search(r"\(d1\) dmtest: path forwarded-port-read (\d+)", r.output)
    check(p is not None and int(p.group(1)) > 0, "the path length is printed", r)
    return (f"forwarded port read (IN from the PCI data port, answered by dom0's model), "
            f"guest-measured TSC, min of 64: {p.group(1)} instructions")


if __name__ == "__main__":
    sys.exit(run_suite("devmodel tests", [case_forwarding], sys.argv[1:]))
