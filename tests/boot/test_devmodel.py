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
import shutil
import sys
import tempfile
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "experiments"))
from hvlab import trace as hvtrace  # noqa: E402
from hvlab.machine import Topology, boot, ivshmem_args  # noqa: E402
from test_boot import check, run_suite  # noqa: E402
from test_hvm import scenario_modules  # noqa: E402

BUILD = os.environ.get("HVLAB_BUILD", "build")
IMAGE = os.environ.get("HVLAB_IMAGE", f"{BUILD}/hvlab.elf")
TIMEOUT_S = 120
PROBE = ("host-bridge-id", "host-bridge-class", "host-bridge-header", "absent-function",
         "config-byte", "unclaimed-port", "unclaimed-mmio", "unclaimed-mmio-write",
         "mmio-read-modify-write", "mmio-rep-movs",
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
                                       "dm-answer2.cfg", "dm-gone.cfg", "dm-hold.cfg",
                                       "dm-after.cfg"]))
    for name in PROBE:
        check(f"(d1) dmtest: {name} ok" in r.output, f"probe check {name} passes", r)
    check("(d1) dmtest: 13 passed, 0 failed" in r.output, "the probe guest saw no failure", r)
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
    check(re.search(r"\(d5\) dmtest: model-gone-reads-ones ok", r.output) is not None and
          "domain 5 (dm-gone): shutdown (poweroff)" in r.output,
          "a model taken away mid-run: the guest reads all ones and powers off", r)
    check(re.search(r"\(d6\) dmtest: held-read-blocked ok", r.output) is not None,
          "a request dom0 holds 20 ms: the vCPU waits blocked (runstate), the value right",
          r)
    after = re.search(r"domain 7 \(dm-after\): created, 1 vCPU, (\d+) frames free before",
                      r.output)
    check(before is not None and after is not None and before.group(1) == after.group(1),
          f"every frame back (request pages too): {before and before.group(1)} before, "
          f"{after and after.group(1)} after", r)
    p = re.search(r"\(d1\) dmtest: path forwarded-port-read (\d+)", r.output)
    check(p is not None and int(p.group(1)) > 0, "the path length is printed", r)
    return (f"forwarded port read (IN from the PCI data port, answered by dom0's model), "
            f"guest-measured TSC, min of 64: {p.group(1)} instructions")


REGION = 2048                            # hda is vd0:2048+4096
HOST_TEXT = b"HOST-WROTE-HDA"


def expected_sector(s: int) -> bytes:
    """What dmtest's fill() writes in hda's sector s."""
    tag = f"HVLAB-ATA s={s} ".encode()
    return (tag * (512 // len(tag) + 1))[:512]


def case_ata_disk() -> str:
    """An HVM guest finds its ATA disk (IDENTIFY: the region's size), sees INTRQ on
    IRQ 14 in its PIC (raised at DRQ, lowered by the status read), writes two
    pages through REP OUTSW, reads them back, is refused past the end, reads what the
    host put in its sector 0; after the run the host finds the guest's sectors in the
    image file at the region's offset (2048 sectors in), nothing before them."""
    folder = tempfile.mkdtemp(prefix="devmodel-")
    try:
        img = os.path.join(folder, "disk.img")
        with open(img, "wb") as f:
            f.truncate(8 << 20)
            f.seek(REGION * 512)
            f.write((HOST_TEXT * 40)[:512])
        r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
                 modules=scenario_modules("devmodel-ata", ["dmtest-hvm.elf", "hello.elf"],
                                          ["dm-ata.cfg", "dm-pvhd.cfg", "dm-hdb.cfg"]),
                 disks=[img])
        data = open(img, "rb").read()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for name in ("ata-probe", "ata-size", "ata-irq14", "ata-write", "ata-read-back", "ata-past-end-refused",
                 "ata-host-sector"):
        check(re.search(rf"\(d\d+\) dmtest: {name} ok", r.output) is not None,
              f"guest check {name} passes", r)
    check("dmtest: FAILED" not in r.output, "no guest check fails", r)
    for s in list(range(8, 16)) + list(range(4000, 4008)):
        off = (REGION + s) * 512
        check(data[off:off + 512] == expected_sector(s),
              f"the host finds hda's sector {s} at byte {off} of the image", r)
    check(data[(REGION + 7) * 512:(REGION + 8) * 512] == bytes(512) and
          data[(REGION + 16) * 512:(REGION + 17) * 512] == bytes(512),
          "nothing written around the pages", r)
    check(re.search(r"dm-pvhd\.cfg:5: key 'disk': vdev 'hda' is an emulated disk", r.output)
          is not None and "expect: 'create dm-pvhd.cfg' failed with EINVAL" in r.output,
          "an hd disk on a PV domain: refused, the cfg line named", r)
    check(re.search(r"dm-hdb\.cfg:7: disk hdb: the device model emulates one disk, hda",
                    r.output) is not None and
          "expect: 'create dm-hdb.cfg' failed with EINVAL" in r.output,
          "an hdb disk: refused, the cfg line named", r)
    check("(d0) scenario: done" in r.output and r.status == 0, "dom0 finishes, clean poweroff",
          r)
    m = re.search(r"\(d\d+\) dmtest: path ata-read-4k (\d+)", r.output)
    check(m is not None, "the 4 KiB read's path length is printed", r)
    st = re.search(r"dm: domain \d+: detached after (\d+) requests .*, (\d+) held\)", r.output)
    check(st is not None, "dom0's model counted its requests", r)
    return (f"4 KiB ATA read (8 x READ SECTORS PIO: registers, DRQ polls, 8 REP INSW of a "
            f"sector each, through dom0's model and pdisk), guest TSC, min of 16: "
            f"{m.group(1)} instructions; dom0 served {st.group(1)} requests, held {st.group(2)} "
            f"(a status read while the disk worked)")


def median(xs: list[int]) -> int:
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else 0


def case_trace() -> str:
    """The io class records each forwarded request (TRC_IO_FORWARD) and its
    completion (TRC_IO_COMPLETE) for the ATA guest's vCPU, in pairs, named by the
    harness's decoder; the forward-to-complete time (dom0's share of the round trip
    plus the two switches) per kind of request."""
    folder = tempfile.mkdtemp(prefix="devmodel-")
    try:
        img = os.path.join(folder, "disk.img")
        with open(img, "wb") as f:
            f.truncate(8 << 20)
        shm = os.path.join(folder, "shm")
        r = boot(IMAGE, Topology(2, 1, 512), "", TIMEOUT_S,
                 modules=scenario_modules("devmodel-trace", ["dmtest-hvm.elf"], ["dm-ata.cfg"]),
                 disks=[img], extra=ivshmem_args(shm, 16))
        t = None
        if os.path.exists(shm):
            hvtrace.extract_shm(shm, shm + ".trace")
            t = hvtrace.read_stream(shm + ".trace")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    check(r.status == 0 and "(d0) scenario: done" in r.output, "the traced run finishes", r)
    check(t is not None, "the trace stream was written", r)
    ev = hvtrace.EV
    recs = [x for x in t.merged() if x.domid == 1 and x.event in (ev["io_forward"],
                                                                  ev["io_complete"])]
    check(len(recs) > 100, f"forwards and completions recorded ({len(recs)})", r)
    lat: dict[str, list[int]] = {"port": [], "string": [], "mmio": []}
    pending, unpaired = None, 0
    for x in recs:
        if x.event == ev["io_forward"]:
            unpaired += pending is not None
            pending = x
        elif pending is not None and x.data0 == pending.data0:
            kind = ("mmio" if pending.data1 >> 56 == 1 else
                    "string" if (pending.data1 >> 32) & 0xff else "port")
            lat[kind].append(x.tsc - pending.tsc)
            pending = None
        else:
            unpaired += 1
    check(unpaired == 0, f"every forward is followed by its completion ({unpaired} not)", r)
    check(lat["string"] and lat["port"], "port and string requests both seen", r)
    check(hvtrace.EV["io_forward"] == (11 << 24 | 1) and "io_complete" in hvtrace.EV,
          "the decoder names the events", r)
    return (f"forward -> complete, TSC (instructions) min/median: port {min(lat['port'])}/"
            f"{median(lat['port'])} ({len(lat['port'])} requests), string (a sector) "
            f"{min(lat['string'])}/{median(lat['string'])} ({len(lat['string'])} requests)")


if __name__ == "__main__":
    sys.exit(run_suite("devmodel tests", [case_forwarding, case_ata_disk, case_trace],
                       sys.argv[1:]))
