#!/usr/bin/env python3
"""Capture the ACPI tables QEMU builds, as test data for tests/unit/test_acpi.c.

Regenerate (from the repository root, with qemu-system-x86_64 on the PATH):

    python3 tests/data/acpi/capture.py            # every configuration
    python3 tests/data/acpi/capture.py smp1       # just the named ones

For each configuration QEMU boots with no kernel and no disk: SeaBIOS installs the
ACPI tables QEMU hands it through fw_cfg, finds nothing to boot and waits.  Meanwhile
this script reads guest-physical memory over QMP (pmemsave): it finds the RSDP in the
BIOS area 0xE0000-0xFFFFF, walks RSDP -> RSDT/XSDT -> each table, and FACP -> DSDT,
checking every checksum, and writes

    tests/data/acpi/<config>/<SIG>.bin   one file per table, RSDP.bin for the RSDP
    tests/data/acpi/<config>/manifest.txt  "<name> <paddr> <length> <file>" per table

so the unit test can rebuild a sparse physical memory and run the parsers end to end.
Reading only the tables (not all of RAM) keeps the run fast and the data a few KiB.

Standard library only (python3 on the PATH may be a pyenv build without Debian's
packages).  The expected values in test_acpi.c follow the command lines below: change
both together.
"""

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
BASE_ARGS = ["-machine", "pc", "-cpu", "qemu64", "-accel", "tcg",
             "-display", "none", "-net", "none", "-serial", "none",
             "-monitor", "none", "-no-reboot"]


def numa_args(node_cpus, node_mib, dist):
    """-object/-numa options: node i gets CPUs node_cpus[i] and node_mib[i] MiB
    (0: memoryless); dist maps (src, dst) to a distance."""
    args = []
    for i, (cpus, mib) in enumerate(zip(node_cpus, node_mib)):
        node = "node,nodeid=%d" % i
        if cpus:
            node += ",cpus=%s" % cpus
        if mib:
            args += ["-object", "memory-backend-ram,id=m%d,size=%dM" % (i, mib)]
            node += ",memdev=m%d" % i
        args += ["-numa", node]
    for (src, dst), val in sorted(dist.items()):
        args += ["-numa", "dist,src=%d,dst=%d,val=%d" % (src, dst, val)]
    return args


# smp8-4nodes passes all twelve directed distances (QEMU then takes them as given),
# with 2->0 != 0->2, so the test can tell a row of the SLIT from a column.
DIST4 = {(0, 1): 21, (0, 2): 31, (0, 3): 41, (1, 2): 21, (1, 3): 31, (2, 3): 21,
         (1, 0): 21, (2, 0): 32, (3, 0): 41, (2, 1): 21, (3, 1): 31, (3, 2): 21}

CONFIGS = {
    "smp1": ["-smp", "1", "-m", "128M"],
    "smp4-2nodes": ["-smp", "4", "-m", "256M"] +
        numa_args(["0-1", "2-3"], [128, 128], {(0, 1): 21}),
    "smp8-4nodes": ["-smp", "8", "-m", "512M"] +
        numa_args(["0-1", "2-3", "4-5", "6-7"], [128] * 4, DIST4),
    # Node 1 has memory but no CPU: its proximity domain first appears in a memory entry.
    "smp2-2nodes-cpuless": ["-smp", "2", "-m", "256M"] +
        numa_args(["0-1", ""], [128, 128], {(0, 1): 21}),
}


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb")
        self._reply()                       # greeting
        self.cmd("qmp_capabilities")

    def _reply(self):
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("QMP connection closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        self.file.flush()
        reply = self._reply()
        if "error" in reply:
            raise RuntimeError("QMP %s: %s" % (name, reply["error"]))
        return reply["return"]

    def close(self):
        self.file.close()
        self.sock.close()


class GuestMemory:
    """Guest-physical reads through QMP pmemsave (QEMU writes the bytes to a file)."""

    def __init__(self, qmp, tmpdir):
        self.qmp = qmp
        self.path = os.path.join(tmpdir, "pmem.bin")

    def read(self, pa, size):
        self.qmp.cmd("pmemsave", val=pa, size=size, filename=self.path)
        with open(self.path, "rb") as f:
            data = f.read()
        if len(data) != size:
            raise RuntimeError("short read at %#x" % pa)
        return data


def checksum_ok(data):
    return sum(data) & 0xff == 0


def find_rsdp(mem):
    """RSDP offset and bytes in the BIOS area, or None while SeaBIOS is still busy."""
    base, area = 0xE0000, mem.read(0xE0000, 0x20000)
    for off in range(0, len(area) - 20 + 1, 16):
        if area[off:off + 8] != b"RSD PTR " or not checksum_ok(area[off:off + 20]):
            continue
        rev = area[off + 15]
        length = 20
        if rev >= 2:
            length = struct.unpack_from("<I", area, off + 20)[0]
            if length < 36 or not checksum_ok(area[off:off + length]):
                continue
        return base + off, area[off:off + length]
    return None


def read_table(mem, pa):
    hdr = mem.read(pa, 36)
    length = struct.unpack_from("<I", hdr, 4)[0]
    if length < 36 or length > 1 << 20:
        raise RuntimeError("table at %#x: bad length %d" % (pa, length))
    data = mem.read(pa, length)
    if not checksum_ok(data):
        raise RuntimeError("table %s at %#x: bad checksum" % (data[:4], pa))
    return data


def walk(mem, rsdp_pa, rsdp):
    """[(name, paddr, bytes)] for the RSDP, the root table and everything it lists."""
    tables = [("RSDP", rsdp_pa, rsdp)]
    rev, rsdt = rsdp[15], struct.unpack_from("<I", rsdp, 16)[0]
    xsdt = struct.unpack_from("<Q", rsdp, 24)[0] if rev >= 2 else 0
    if xsdt:
        root_pa, fmt, size = xsdt, "<Q", 8
    else:
        root_pa, fmt, size = rsdt, "<I", 4
    root = read_table(mem, root_pa)
    tables.append((root[:4].decode(), root_pa, root))
    for off in range(36, len(root) - size + 1, size):
        pa = struct.unpack_from(fmt, root, off)[0]
        t = read_table(mem, pa)
        tables.append((t[:4].decode(), pa, t))
        if t[:4] == b"FACP":
            dsdt = struct.unpack_from("<I", t, 40)[0]
            if len(t) >= 148 and struct.unpack_from("<Q", t, 140)[0]:
                dsdt = struct.unpack_from("<Q", t, 140)[0]
            tables.append(("DSDT", dsdt, read_table(mem, dsdt)))
    return tables


def capture(name, args, outdir):
    tmpdir = tempfile.mkdtemp(prefix="hvlab-acpi-")
    sock = os.path.join(tmpdir, "qmp.sock")
    cmdline = [QEMU] + BASE_ARGS + args + ["-qmp", "unix:%s,server=on,wait=off" % sock]
    proc = subprocess.Popen(cmdline, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(sock):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("QEMU did not start: %s" % " ".join(cmdline))
            time.sleep(0.05)
        qmp = Qmp(sock)
        version = qmp.cmd("query-version")["qemu"]
        mem = GuestMemory(qmp, tmpdir)
        found = None
        while found is None:
            if time.monotonic() > deadline:
                raise RuntimeError("%s: no RSDP after 30 s" % name)
            time.sleep(0.2)
            found = find_rsdp(mem)
        tables = walk(mem, *found)
        qmp.cmd("quit")
        qmp.close()
    finally:
        if proc.poll() is None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmpdir, ignore_errors=True)

    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    seen = {}
    lines = ["# ACPI tables of QEMU %d.%d.%d, captured by tests/data/acpi/capture.py"
             % (version["major"], version["minor"], version["micro"]),
             "# qemu-system-x86_64 " + " ".join(BASE_ARGS + args),
             "# name  paddr  length  file"]
    for sig, pa, data in tables:
        n = seen.get(sig, 0)
        seen[sig] = n + 1
        fname = "%s.bin" % sig if n == 0 else "%s.%d.bin" % (sig, n)
        with open(os.path.join(outdir, fname), "wb") as f:
            f.write(data)
        lines.append("%s 0x%08x %d %s" % (sig, pa, len(data), fname))
    with open(os.path.join(outdir, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("%s: %s" % (name, ", ".join("%s@%#x(%d)" % (s, p, len(d)) for s, p, d in tables)))


def main(argv):
    names = argv or list(CONFIGS)
    for name in names:
        if name not in CONFIGS:
            sys.exit("unknown configuration %r (known: %s)" % (name, " ".join(CONFIGS)))
        capture(name, CONFIGS[name], os.path.join(HERE, name))


if __name__ == "__main__":
    main(sys.argv[1:])
