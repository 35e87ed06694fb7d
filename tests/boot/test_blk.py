#!/usr/bin/env python3
"""PV block (docs/block.md): blkfront in domUs, blkback in dom0 on a region of dom0's
virtio-blk disk (a small image file QEMU attaches), set up through the store.

    persist    a domain writes a pattern and is destroyed; a new domain reads it back
               (read-only); the host finds it in the image file at region start + sector,
               and nothing outside the written sectors
    isolation  a malicious frontend (bad grants, another domain's grant, a read into a
               read-only grant, out-of-range sectors, too many segments, bad sector
               ranges, a bad operation, then a bogus req_prod) gets an error answer for
               each and its device closed, while a bystander keeps writing and checking
               its own region; a domain destroyed while its requests are in flight; every
               frame back at the end
    attach     xl block-attach / block-detach / block-list on a running domain: the
               frontend closes on detach and refuses new requests; duplicate, missing
               and out-of-range disks refused with their errno
    pvhvm      an HVM domain uses blkfront (HVM grant table and store page) to write a
               pattern, a PV domain reads it back, the host finds it in the image
    badcfg     bad disk specs in a cfg file: each named by file:line before anything runs

Run from the repository root. The last line is "blk tests: N passed, N failed".
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
from test_boot import IMAGE, check, run_suite, scenario_modules  # noqa: E402

DISK_MIB = 4
TIMEOUT_S = 120


def pattern(seed: int, sector: int) -> bytes:
    """tests/guests/blktest.c's pattern of a sector."""
    return (b"S%03ds%010d\n" % (seed % 1000, sector)) * 32


def run(d: str, images: list[str], cfgs: list[str]) -> tuple[BootResult, bytes]:
    """Boots scenario d with a fresh DISK_MIB image of zeros as vd0."""
    folder = tempfile.mkdtemp(prefix="blk-")
    try:
        img = os.path.join(folder, "disk.img")
        with open(img, "wb") as f:
            f.truncate(DISK_MIB << 20)
        r = boot(IMAGE, Topology(1, 1, 256), "", TIMEOUT_S,
                 modules=scenario_modules(d, images, cfgs), disks=[img])
        return r, open(img, "rb").read()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def free_before(out: str, name: str) -> int:
    m = re.search(rf"domain \d+ \({name}\): created, \d+ vCPUs?, (\d+) frames free before", out)
    check(m is not None, f"domain {name} was created")
    return int(m.group(1))


def case_persist() -> str:
    r, data = run("tests/scenarios/blk", ["blktest"], ["writer.cfg", "reader.cfg"])
    out = r.output
    check(r.status == 0, "the scenario ends with a clean poweroff", r)
    check("(d1) blktest: wrote 40 sectors at 3 seed 7: ok" in out, "the writer wrote", r)
    check(re.search(r"domain 1 \(writer\): destroyed", out) is not None,
          "the writer was destroyed before the reader was created", r)
    check("(d2) blkfront: xvda: 1024 sectors (read-only), backend domain 0" in out,
          "the reader's disk is read-only, of the region's size", r)
    check("(d2) blktest: read 40 sectors at 3 seed 7: ok" in out,
          "a new domain reads the pattern back", r)
    start = 2048
    for s in range(3, 43):
        at = (start + s) * 512
        check(data[at:at + 512] == pattern(7, s),
              f"the host finds sector {s} of the region at byte {at} of the image", r)
    check(data[(start + 2) * 512:(start + 3) * 512] == bytes(512) and
          data[(start + 43) * 512:(start + 44) * 512] == bytes(512),
          "nothing written before or after the sectors asked for", r)
    check(data.count(b"S007s") == 40 * 32, "the pattern is nowhere else on the disk", r)
    check(free_before(out, "reader") == int(re.search(
          r"domain 2 \(reader\): destroyed, \d+ frames returned, (\d+) free", out).group(1)),
          "the reader's frames all come back at its destroy (ring unmapped before it)", r)
    check(re.search(r"xvda +51712 waiting +2 +1 +vd0:2048\+1024 +r ", out) is not None,
          "block-list shows the reader's disk before it connects", r)
    return "40 sectors through blkfront/blkback, found in the image"


EVIL_CASES = ["ungranted ref", "ref past the table", "another domain's grant",
              "read into a r/o grant", "sector at the end", "sector 2^63", "12 segments",
              "255 segments", "no segments", "first_sect > last_sect", "last_sect 8",
              "operation 9"]


def case_isolation() -> str:
    r, data = run("tests/scenarios/blk-evil", ["blktest", "hello"],
                  ["warmup.cfg", "bystander.cfg", "evil.cfg", "dying.cfg", "dying2.cfg",
                   "after.cfg"])
    out = r.output
    check(r.status == 0, "the scenario ends with a clean poweroff", r)
    check("Panic" not in out, "the hypervisor did not panic", r)
    for c in EVIL_CASES:
        check(f"(d3) blktest: evil {c}: status -1 ok" in out,
              f"the malicious frontend's '{c}' gets BLKIF_RSP_ERROR", r)
    check("(d3) blktest: evil a good read after them: status 0 ok" in out,
          "a good request after the bad ones still works", r)
    check("(d0) blkback: d3 xvda: bad request index 1013 (consumed 13, ring of 32): "
          "device closed" in out, "a bogus req_prod closes the device", r)
    check("(d3) blktest: evil bogus req_prod: backend state 5 ok" in out,
          "the frontend sees its backend Closing", r)
    check("(d3) blktest: evil 14 cases, 0 failed" in out,
          "nothing answered after the device closed; every grant ended", r)
    m = re.search(r"\(d2\) blktest: loop (\d+) rounds of 256 sectors at 0: ok", out)
    check(m is not None and int(m.group(1)) > 10,
          "the bystander's writes and checks all succeeded", r)
    check(out.index("bad request index") < out.index("(d2) blktest: loop") and
          out.index("xl> destroy dying2") < out.index("(d2) blktest: loop"),
          "the bystander was doing I/O through the attack and the destroy", r)
    check(data[:512] == pattern(11, 0) and data[255 * 512:256 * 512] == pattern(11, 255),
          "the bystander's data is on its region", r)
    check(b"S012s" in data[2048 * 512:4096 * 512], "the dying domain wrote its region", r)
    counts = []
    for dom, name in ((4, "dying"), (5, "dying2")):
        inflight = re.search(rf"blkback: d{dom} xvda: disconnected, (\d+) requests in flight",
                             out)
        check(inflight is not None, f"{name}'s disk was torn down at its destroy", r)
        n = int(inflight.group(1))
        counts.append(n)
        if n:
            check(f"blkback: d{dom} xvda: released, {n} answers dropped" in out,
                  f"{name}'s completions after its death were dropped", r)
            # The hypervisor frees a dead domain at the last reference: our grant maps
            # of the requests in flight held it past the ring's unmap at the teardown.
            check(inflight.end() < out.index(f"domain {dom} ({name}): destroyed"),
                  f"{name}'s frames went back only after the last unmap", r)
    base, end = free_before(out, "bystander"), free_before(out, "after")
    check(base == end, f"free frames back to {base} after the domains with disks are "
          f"gone (found {end})", r)
    return f"{len(EVIL_CASES) + 2} attacks; dying domains destroyed with {counts} " \
           f"requests in flight; {base} frames free before and after"


def case_attach() -> str:
    r, _ = run("tests/scenarios/blk-attach", ["blktest"], ["badregion.cfg", "vm.cfg"])
    out = r.output
    check(r.status == 0, "the scenario ends with a clean poweroff", r)
    check("(d0) create badregion: badregion.cfg:5: disk 'vd0:8000+1000': vd0:8000+1000: "
          "past the disk's end (8192 sectors)" in out,
          "a region past the disk's end fails the creation, naming file and line", r)
    check("(d0) blkback: d1 xvda: disconnected" in out and
          "domain 1 (badregion): destroyed" in out,
          "the half-built domain and its first disk are torn down", r)
    check("store-ls: /local/domain/0/backend/vbd/1: ENOENT" in out,
          "its backend dirs are gone from the store", r)
    for key in ['frontend = "/local/domain/2/device/vbd/51712"', 'sectors = "256"',
                'mode = "w"', 'params = "vd0:0+256"', 'state = "4"',
                'backend = "/local/domain/0/backend/vbd/2/51712"', 'ring-ref = "',
                'event-channel = "', 'virtual-device = "51712"']:
        check(key in out, f"store-ls shows {key}", r)
    check(re.search(r"xvda +51712 connected +4 +4 +vd0:0\+256 +rw +\d+ +0 ", out) is not None,
          "block-list shows xvda connected with its counters", r)
    check("(d0) block-attach: domain 2 xvdb: vd0:512+64 r" in out, "block-attach", r)
    check(re.search(r"xvdb +51728 waiting +2 +1 +vd0:512\+64 +r ", out) is not None,
          "block-list shows the attached disk waiting for its frontend", r)
    for cmd, why in [("block-attach vm target=vd0:0+8,vdev=xvdb' failed with EEXIST",
                      "domain 2 already has xvdb"),
                     ("block-attach vm target=vd3,vdev=xvdc' failed with EINVAL",
                      "vd3: no such disk (1 found)"),
                     ("block-attach vm target=vd0:8000+1000,vdev=xvdc' failed with EINVAL",
                      "vd0:8000+1000: past the disk's end (8192 sectors)"),
                     ("block-detach vm xvdc' failed with ENOENT", "domain 2 has no disk xvdc")]:
        check(cmd in out and why in out, f"refused: {why}", r)
    check("(d2) blkfront: xvda: the backend is closing" in out and
          "(d2) blkfront: xvda: closed" in out, "the frontend closes on block-detach", r)
    check("(d0) block-detach: domain 2 xvda: detached" in out, "block-detach", r)
    check(re.search(r"\(d2\) blktest: detached after \d+ rounds \(closed\); a new request: "
                    r"EIO ok", out) is not None, "requests after the detach are refused", r)
    listing = out[out.index("block-detach: domain 2 xvda: detached"):]
    check("xvd" not in listing.split("xl> expect")[0].split("Dropped", 1)[1],
          "block-list is empty after both detaches", r)
    check("store-ls: /local/domain/0/backend/vbd/2/51712: ENOENT" in out,
          "the detached disk's backend dir is removed", r)
    return "a bad region at create, attach, detach (frontend closed first), list, " \
           "4 refusals, store dirs made and removed"


def case_pvhvm() -> str:
    r, data = run("tests/scenarios/blk-pvhvm", ["blktest-hvm", "blktest"],
                  ["hvmwriter.cfg", "pvreader.cfg"])
    out = r.output
    check(r.status == 0, "the scenario ends with a clean poweroff", r)
    check("domain 1 (hvmwriter): HVM" in out, "the writer is an HVM domain", r)
    check("(d1) blkfront: xvda: 512 sectors, backend domain 0" in out,
          "blkfront connects in the HVM domain (HVM grants and store)", r)
    check("(d1) blktest: wrote 64 sectors at 8 seed 21: ok" in out, "the HVM domain wrote", r)
    check("(d2) blktest: read 64 sectors at 8 seed 21: ok" in out,
          "a PV domain reads the HVM domain's data back", r)
    for s in (8, 40, 71):
        at = (4096 + s) * 512
        check(data[at:at + 512] == pattern(21, s), f"the host finds sector {s} at byte {at}", r)
    check(free_before(out, "pvreader") == int(re.search(
          r"domain 2 \(pvreader\): destroyed, \d+ frames returned, (\d+) free", out).group(1)),
          "the PV reader's frames all come back at its destroy", r)
    return "HVM blkfront wrote 64 sectors, PV read them back"


def case_badcfg() -> str:
    r, _ = run("tests/scenarios/blk-badcfg", ["blktest"], ["bad.cfg"])
    out = r.output
    check(r.status != 0 and not r.timed_out, "dom0 stops the machine with an error", r)
    for msg in ["bad.cfg:5: key 'disk': target 'vd0:10+': expected vd<N>:<start>+<sectors> "
                "(decimal 512-byte sectors)",
                "bad.cfg:6: key 'disk': vdev 'sda': expected xvd<a-p> (PV) or hd<a-d> "
                "(emulated ATA)",
                "bad.cfg:6: key 'disk': access 'rwx': expected r, ro, w or rw"]:
        check(f"(d0) {msg}" in out, f"named: {msg}", r)
    check("blk-badcfg: this must not print" not in out.replace("echo blk-badcfg", ""),
          "no command ran", r)
    return "3 bad specs named by file:line"


CASES = [case_persist, case_isolation, case_attach, case_pvhvm, case_badcfg]

if __name__ == "__main__":
    sys.exit(run_suite("blk tests", CASES, sys.argv[1:]))
