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
from hvlab import trace as hvtrace  # noqa: E402
from hvlab.machine import BootResult, Topology, boot, ivshmem_args  # noqa: E402
from test_boot import IMAGE, TIMEOUT_S, check, run_suite, scenario_modules  # noqa: E402

DISK_MIB = 4
HOST_TEXT = b"HOST-WROTE-THIS"


def make_image(folder: str, name: str = "disk.img") -> str:
    """A DISK_MIB image: zeros, HOST_TEXT repeated over sector 200. Written out, not
    sparse: allocating blocks on the host made writes up to 10 ms slower each."""
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(bytes(DISK_MIB << 20))
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
    check("pdisk-qd: 100 writes and 100 reads of 4 KiB at depth 48 (in flight at most 48, 48): "
          "data ok" in r.output, "100 asynchronous writes and reads, 48 in flight at once", r)
    check(re.search(r"pdisk-flush: vd0: done in \d+ ns", r.output) is not None,
          "a flush of the write cache completes", r)
    check("write cache (flush)" in r.output, "the driver took the device's FLUSH feature", r)
    text = b"QD-TEST/" * 512
    for i in range(100):
        page = data[(2048 + 8 * i) * 512:(2048 + 8 * i + 8) * 512]
        check(page[:6] == f"#{i:04d}".encode() + b"\0" and page[6:] == text[6:4096],
              f"request {i}'s page is at sector {2048 + 8 * i} of the image file", r)
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
    check(lst[1][3:] == ("205", str(2048 + 200 * 4096), "0", "0"),
          f"205 requests (a flush), {2048 + 200 * 4096} bytes, no error, none in flight "
          f"({lst[1]})", r)
    return f"pirq {m.group(1)} on GSI {m.group(2)}"


def case_ports() -> None:
    """dom0's reads of the hypervisor's ports (PIT, PIC, COM1, debug exit) are bounced
    to its #GP handler and counted, with no harm, while the disk's port works; a domU
    without a grant is refused the disk's ports, PCI configuration, the hypervisor's
    ports and pirqs; no domain is granted a hypervisor port; a domU granted the
    disk's ports reads them and nothing else; dom0's disk works afterwards."""
    r, _, data = run_scenario("tests/scenarios/pdisk-ports", ["ioports"],
                              ["noperm.cfg", "perm.cfg"])
    check(r.status == 0, "the scenario ends with a clean poweroff", r)
    check("ports 0xc000," in r.output, "the disk's I/O BAR is at 0xc000 (as the cfgs say)", r)
    for i, (port, size) in enumerate([("0x40", "b"), ("0x21", "b"), ("0x3f8", "b"),
                                      ("0xf4", "l")]):
        check(f"ioport-read: {port} ({size}): refused (#GP), {i + 1} refused so far" in r.output,
              f"dom0's read of {port} is a #GP to its own handler", r)
    m = re.search(r"ioport-read: 0xc000 \(l\): (0x[0-9a-f]+)", r.output)
    check(m is not None and m.group(1) != "0xffffffff", "dom0 reads the disk's port", r)
    for dom in (1, 2):
        check(f"(d{dom}) isolation: 14 passed, 0 failed" in r.output,
              f"every case of the ioports guest d{dom} holds", r)
    check("(d2) isolation: granted port readable ok" in r.output,
          "the granted domU reads the disk's port", r)
    for what in ("Domain-0 0x40 1", "ports-some 0x3f8 8", "ports-some 0xcf8 8"):
        check(f"expect: 'ioport-permit {what} allow' failed with EPERM, as expected"
              in r.output, f"ioport-permit {what} refused", r)
    check(data[300 * 512:300 * 512 + 12] == b"STILL-WORKS/", "dom0's disk works afterwards", r)


def case_native() -> str:
    """The same virtio_blk.c in a native image (no hypervisor, QEMU boots it): it
    writes a pattern the host finds in the image file and reads the host's data."""
    folder = tempfile.mkdtemp(prefix="pdisk-")
    try:
        img = make_image(folder)
        r = boot("build/guest/vblk-hvm.elf", Topology(1, 1, 128), "text=NATIVE-VIRTIO/",
                 TIMEOUT_S, disks=[img])
        data = sector(img, 400)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    check(r.status == 0, "the native image powers off cleanly", r)
    check("vblk: 1 disk, vda found, 8192 sectors, polled" in r.output,
          "the driver finds the disk natively (polled: no hypervisor, no pirq)", r)
    check('vblk: sector 200: "HOST-WROTE-THISHOST-WROTE-THISHO"' in r.output,
          "the native image reads what the host wrote", r)
    check(data == (b"NATIVE-VIRTIO/" * 37)[:512], "the host finds the native image's pattern", r)
    m = re.search(r"vblk: write (\d+) ns, read (\d+) ns", r.output)
    check(m is not None, "timings printed", r)
    return f"native write {m.group(1)} ns, read {m.group(2)} ns (icount, polled)"


def case_trace() -> str:
    """The io trace class (subclass 1) records dom0's refused PIT read and, per disk
    interrupt, the pirq delivered to dom0's port and the EOI that unmasks the line."""
    folder = tempfile.mkdtemp(prefix="pdisk-")
    try:
        img = make_image(folder)
        shm = os.path.join(folder, "shm")
        r = boot(IMAGE, Topology(1, 1, 256), "", TIMEOUT_S,
                 modules=scenario_modules("tests/scenarios/pdisk-trace", [], []),
                 disks=[img], extra=ivshmem_args(shm, 4))
        check(r.status == 0, "the scenario ends with a clean poweroff", r)
        check("pdisk-read: vd0 sector 100 +8: \"TRACED/" in r.output, "the disk works traced", r)
        t = None
        if os.path.exists(shm):
            hvtrace.extract_shm(shm, shm + ".trace")
            t = hvtrace.read_stream(shm + ".trace")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    check(t is not None, "the trace stream was written", r)
    check("1af4:1110" not in r.output and "pci-list: 5 functions" in r.output,
          "dom0's pci-list lacks the hypervisor's ivshmem trace device", r)
    m = re.search(r"pci-read: 00:01.0 0x60: (0x[0-9a-f]{8})", r.output)
    check(m is not None and f"pci-write: 00:01.0 0x60: wrote 0x80808080, reads {m.group(1)}"
          in r.output, "dom0's write to the ISA bridge's PIRQ routing is dropped", r)
    check("pci-write: 00:02.0 0x3c: wrote 0x0000010b, reads 0x0000010b" in r.output,
          "dom0 writes the disk's own configuration registers", r)
    check("pci-write: 00:02.0 0x10: wrote 0x000003f9, reads 0x0000c001" in r.output,
          "dom0 cannot move the disk's I/O BAR over COM1", r)
    recs = [x for cpu in t.per_cpu for x in cpu]
    ev = hvtrace.EV
    deny = [x for x in recs if x.event == ev["io_port_deny"]]
    check(any(x.domid == 0 and x.data0 == (0x40 << 16 | 1 << 1) for x in deny),
          f"dom0's inb from 0x40 is recorded as refused ({len(deny)} refusals)", r)
    m = re.search(r"pirq (\d+) bound to port (\d+)", r.output)
    check(m is not None, "the pirq was bound", r)
    pirq, port = int(m.group(1)), int(m.group(2))
    deliv = [x for x in recs if x.event == ev["io_pirq"]]
    eois = [x for x in recs if x.event == ev["io_pirq_eoi"]]
    check(deliv and all(x.domid == 0 and x.data0 >> 8 == pirq and x.data1 == port for x in deliv),
          f"{len(deliv)} deliveries of pirq {pirq} to dom0's port {port}", r)
    unmasks = [x for x in eois if x.data0 == pirq and x.data1 == 1]
    check(len(unmasks) == len(deliv),
          f"each delivery masked the level line until an EOI unmasked it "
          f"({len(deliv)} deliveries, {len(unmasks)} unmasking EOIs)", r)
    pci = [x for x in recs if x.event == ev["io_pci_deny"]]
    check(any(x.domid == 0 and x.data0 >> 8 == 0x80000860 and x.data0 & 1 for x in pci),
          "the dropped PIRQ-routing write is traced", r)
    return f"{len(deliv)} pirq deliveries, {len(unmasks)} EOIs, {len(deny)} refusals traced"


def case_native_bench() -> str:
    """The disk benchmark's native build (bench/diskbench.c, no hypervisor) finds vda
    through blkdev_probe_all and runs every operation at depth 1 and 32 with no error
    and every sector's stamp verified."""
    folder = tempfile.mkdtemp(prefix="pdisk-")
    try:
        img = make_image(folder)
        r = boot("build/guest/diskbench-hvm.elf", Topology(1, 1, 128), "mode=native reqs=64",
                 TIMEOUT_S, disks=[img])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    check(r.status == 0, "the benchmark exits 0", r)
    res = re.findall(r"result bench=disk mode=native dev=vda op=(\w+) qd=(\d+) reqs=64 .*"
                     r"iops=(\d+) .*errors=(\d+) verify_errors=(\d+)", r.output)
    check(len(res) == 8, f"8 result lines ({len(res)})", r)
    check(all(e == "0" and v == "0" for _, _, _, e, v in res), "no error, every stamp right", r)
    return "native iops " + " ".join(f"{op}@{qd}={iops}" for op, qd, iops, _, _ in res)


def case_three_disks() -> None:
    """Three disks: vd0..vd2 in attachment order; two share an interrupt line, bound
    once and served for both; each disk's data lands in its own image file."""
    folder = tempfile.mkdtemp(prefix="pdisk-")
    try:
        imgs = [make_image(folder, f"d{i}.img") for i in range(3)]
        r = boot(IMAGE, Topology(1, 1, 256), "", TIMEOUT_S,
                 modules=scenario_modules("tests/scenarios/pdisk-disks", [], []), disks=imgs)
        data = [open(p, "rb").read() for p in imgs]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    check(r.status == 0, "the scenario ends with a clean poweroff", r)
    irqs = re.findall(r"\(d0\) vd(\d) +\d+ +\d+ +(\S+) ", r.output)[:3]
    check([d for d, _ in irqs] == ["0", "1", "2"], "three disks listed", r)
    lines = [q for _, q in irqs]
    check(len(set(lines)) < 3 and "polled" not in lines,
          f"two disks share a line and every disk has its interrupt ({lines})", r)
    check(r.output.count("pirq 11 bound") + r.output.count("pirq 10 bound") == 2,
          "each line bound once", r)
    check(data[1][5 * 512:5 * 512 + 7] == b"SECOND/" and data[2][5 * 512:5 * 512 + 6] == b"THIRD/"
          and data[0][5 * 512:6 * 512] == bytes(512), "each disk's data in its own file", r)
    check(r.output.count("pdisk-qd: 64 writes and 64 reads of 4 KiB at depth 48 (in flight "
                         "at most 48, 48): data ok") == 2, "queued requests on both sharers", r)


CASES = [case_dom0_rw, case_three_disks, case_ports, case_native, case_native_bench, case_trace]

if __name__ == "__main__":
    sys.exit(run_suite("pdisk tests", CASES, sys.argv[1:]))
