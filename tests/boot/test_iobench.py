#!/usr/bin/env python3
"""The disk benchmark's paths that the other block tests do not run
(docs/io-benchmarks.md): dom0 on its native driver (`xl disk-bench` over pdisk) and a
PVHVM guest (diskbench's HVM build on blkfront over HVM grants and the store), short
runs checked by their result lines, and the data each left in the host's image file.

Run from the repository root. The last line is "iobench tests: N passed, N failed".
"""
from __future__ import annotations

import os
import re
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab import iobench  # noqa: E402
from hvlab.machine import Topology, boot  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite, scenario_modules  # noqa: E402

DISK_MIB = 8
OPS = ("seqwrite", "seqread", "randwrite", "randread")


def stamp(sector: int, seed: int = 1) -> bytes:
    """The first 8 bytes bench/disk_run.c writes into the page at sector."""
    return struct.pack("<Q", sector ^ (seed << 32) ^ 0x5a5a000000000000)


def case_dom0_and_pvhvm() -> str:
    """dom0 runs every op at depth 1 and 32 on vd0:0+8192 (16 requests each), then a
    PVHVM domain does the same through xvda on vd0:8192+8192: 16 result lines, each
    with errors=0, verify_errors=0, reqs=16 and 65536 bytes; the host's image has the
    sequential writes' stamps at each region's start; bad disk-bench arguments are
    refused with EINVAL."""
    folder = tempfile.mkdtemp(prefix="iobench-")
    try:
        img = os.path.join(folder, "disk.img")
        with open(img, "wb") as f:
            f.write(bytes(DISK_MIB << 20))
        r = boot(IMAGE, Topology(1, 1, 256), "", TIMEOUT_S,
                 modules=scenario_modules("tests/scenarios/iobench", ["diskbench-hvm"],
                                          ["pvhvm.cfg"]), disks=[img])
        data = open(img, "rb").read()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    check(r.status == 0, "the scenario ends with a clean poweroff", r)
    res = iobench.parse_results(r.output)
    for mode, dev, dom in (("dom0", "vd0", 0), ("pvhvm", "xvda", 1)):
        mine = [x for x in res if x["mode"] == mode]
        check(sorted((x["op"], x["qd"]) for x in mine) == sorted((o, q) for o in OPS
                                                                  for q in (1, 32)),
              f"{mode}: one result line per op and depth ({len(mine)} lines)", r)
        for x in mine:
            check(x["dev"] == dev and x["console_dom"] == dom,
                  f"{mode}: {x['op']} qd={x['qd']} ran on {dev} in d{dom}", r)
            check(x["reqs"] == 16 and x["bytes"] == 16 * 4096,
                  f"{mode}: {x['op']} qd={x['qd']}: 16 requests, 65536 bytes", r)
            check(x["errors"] == 0 and x["verify_errors"] == 0,
                  f"{mode}: {x['op']} qd={x['qd']}: no error, every stamp verified", r)
            check(x["iops"] > 0 and x["ns_per_req"] * 16 <= x["ns"],
                  f"{mode}: {x['op']} qd={x['qd']}: iops and path length consistent", r)
    # Sequential writes put request i at page i of the region: dom0's region starts
    # at sector 0, the PVHVM domain's at 8192 (its sector 0).
    for base, who in ((0, "dom0"), (8192, "the PVHVM domain")):
        for page in (0, 15):
            off = (base + page * 8) * 512
            check(data[off:off + 8] == stamp(page * 8),
                  f"{who}'s page {page} is at byte {off} of the image file", r)
    check(r.output.count("failed with EINVAL, as expected") == 3,
          "a missing disk, qd=33 and an unknown option are refused (EINVAL)", r)
    check("disk-bench: vd9: no such disk" in r.output, "the missing disk is named", r)
    qd1 = {x["mode"]: x["ns_per_req"] for x in res if x["op"] == "randread" and x["qd"] == 1}
    return f"randread qd=1 elapsed per request: dom0 {qd1['dom0']:,}, pvhvm {qd1['pvhvm']:,}"


CASES = [case_dom0_and_pvhvm]

if __name__ == "__main__":
    sys.exit(run_suite("iobench tests", CASES, sys.argv[1:]))
