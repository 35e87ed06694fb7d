#!/usr/bin/env python3
"""dom0's physical disk (docs/native-disk.md): QEMU attaches a small image file as a
virtio-blk PCI device; dom0 drives it through the hypervisor's I/O-port filter and a
pirq event channel.

Run from the repository root. The last line is "pdisk tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab.machine import BootResult, Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite, scenario_modules  # noqa: E402

DISK_MIB = 4
HOST_TEXT = b"HOST-WROTE-THIS"


def make_image(folder: str, name: str = "disk.img") -> str:
    """A DISK_MIB image: zeros, HOST_TEXT repeated over sector 200."""
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.truncate(DISK_MIB << 20)
        f.seek(200 * 512)
        f.write((HOST_TEXT * 40)[:512])
    return path


def sector(path: str, n: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(n * 512)
        return f.read(512)


def run_scenario(d: str, images: list[str] = (), cfgs: list[str] = (),
                 cpus: int = 1) -> tuple[BootResult, str, str]:
    folder = tempfile.mkdtemp(prefix="pdisk-")
    try:
        img = make_image(folder)
        r = boot(IMAGE, Topology(cpus, 1, 256), "", TIMEOUT_S,
                 modules=scenario_modules(d, list(images), list(cfgs)), disks=[img])
        return r, img, open(img, "rb").read()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def case_dom0_rw() -> str:
    """dom0 writes a pattern the host finds at the right offset of the image file,
    reads back what the host put there, and through a region (vd0:100+8 sector 0 is
    the disk's sector 100); the disk interrupt arrives as pirq 10 or 11 (level);
    pdisk-list counts the requests."""
    r, _, data = run_scenario("tests/scenarios/pdisk")
    check(r.status == 0, "the scenario ends with a clean poweroff", r)
    check(data[100 * 512:101 * 512] == (b"HVLAB-PDISK-DOM0/" * 31)[:512],
          "the host finds dom0's pattern at byte 51200 of the image file", r)
    check(data[1015 * 512:1016 * 512] == (b"REGION-END/" * 47)[:512],
          "a write at sector 15 of region vd0:1000+16 lands on the disk's sector 1015", r)
    check(data[101 * 512:102 * 512] == bytes(512), "nothing written past the request", r)
    check('pdisk-read: vd0 sector 200 +1: "HOST-WROTE-THISHOST-WROTE-THISHOST-WROTE-THISHOS"'
          in r.output, "dom0 reads what the host wrote at sector 200", r)
    check('pdisk-read: vd0:100+8 sector 0 +1: "HVLAB-PDISK-DOM0/HVLAB-PDISK-DOM0/HVLAB-PDISK-DO"'
          in r.output, "dom0 reads its own pattern back through a region", r)
    m = re.search(r"pirq (\d+) bound to port \d+ \(GSI (\d+), level, active high\)", r.output)
    check(m is not None and m.group(1) in ("10", "11"),
          "the device's INTx is bound as a level-triggered pirq", r)
    lst = re.findall(r"\(d0\) vd0 +(\d+) +(\d+) +(\S+) +32 +(\d+) +(\d+) +(\d+) +(\d+)", r.output)
    check(len(lst) == 2, "pdisk-list shows vd0 twice", r)
    check(lst[0][0] == str(DISK_MIB * 2048) and lst[0][2] == f"pirq{m.group(1)}",
          "vd0's size and interrupt", r)
    check(lst[1][3:] == ("4", "2048", "0", "0"),
          f"four requests, 2048 bytes, no error, none in flight ({lst[1]})", r)
    return f"pirq {m.group(1)} on GSI {m.group(2)}"


CASES = [case_dom0_rw]

if __name__ == "__main__":
    sys.exit(run_suite("pdisk tests", CASES, sys.argv[1:]))
