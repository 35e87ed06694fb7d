#!/usr/bin/env python3
"""Build the Linux HVM guest's artefacts: Debian's kernel and a busybox initramfs.

    python3 tools/linux_guest.py [--out build/linux] [--debs DIR]

Issue 10 boots the kernel of Debian's `linux-image-amd64` package, unmodified, as an
HVM domU with a small initramfs that runs tests/linux/init. This script fetches the
two packages like every other dependency (apt-get download, into --debs; a .deb
already there is used as is, so a machine without network can be given them), takes
`vmlinuz` out of the kernel package and `busybox` out of `busybox-static`, and writes:

    OUT/vmlinuz          the bzImage, byte for byte as Debian ships it
    OUT/initramfs.cpio.gz
    OUT/VERSIONS         the two package versions (the report quotes them)

The initramfs is reproducible: the same busybox and init script give the same bytes
in any folder, at any time (cpio "newc" written here with fixed owners, modes and
mtimes, gzip with mtime 0), so a run's inputs are identified by their hashes.
Standard library only (the harness's rule).
"""
import argparse
import gzip
import io
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INIT_SCRIPT = os.path.join(ROOT, "tests", "linux", "init")
KERNEL_META = "linux-image-amd64"   # depends on the current linux-image-<abi>-amd64
BUSYBOX = "busybox-static"

# Every applet the init script calls gets a link; the rest are not needed.
APPLETS = ["sh", "mount", "cat", "echo", "grep", "seq", "true", "poweroff",
           "sleep", "wc", "awk", "date", "nproc", "uname", "mkdir", "sync"]


class BuildError(Exception):
    pass


def cpio_entry(name, mode, data=b"", ino=0):
    """One cpio "newc" record (header, NUL-terminated name, data, each 4-aligned).
    Owners, mtime, device numbers are fixed at 0 so the archive depends only on the
    names, modes and contents given."""
    namez = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(namez), 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = hdr + namez
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def cpio_archive(entries):
    """entries: (name, mode, data) in the order given; the trailer ends the archive."""
    buf = io.BytesIO()
    for i, (name, mode, data) in enumerate(entries, start=1):
        buf.write(cpio_entry(name, mode, data, ino=i))
    buf.write(cpio_entry("TRAILER!!!", 0))
    return buf.getvalue()


def gzip_fixed(data):
    """gzip with no file name and mtime 0: the bytes depend only on `data`."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return out.getvalue()


def initramfs(busybox, init):
    S_IFDIR, S_IFREG, S_IFLNK = 0o040000, 0o100000, 0o120000
    entries = [(d, S_IFDIR | 0o755, b"") for d in ("bin", "dev", "proc", "sys")]
    entries.append(("bin/busybox", S_IFREG | 0o755, busybox))
    entries += [("bin/" + a, S_IFLNK | 0o777, b"busybox") for a in APPLETS]
    entries.append(("init", S_IFREG | 0o755, init))
    return gzip_fixed(cpio_archive(entries))


def run(cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError("%s failed (%d): %s" % (" ".join(cmd), r.returncode,
                                                 (r.stderr or r.stdout).strip()))
    return r.stdout


def kernel_package():
    """The concrete kernel package the meta-package points at (one ABI, one version)."""
    for line in run(["apt-cache", "depends", KERNEL_META]).splitlines():
        line = line.strip()
        if line.startswith("Depends: linux-image-"):
            return line.split()[1]
    raise BuildError("apt-cache depends %s names no linux-image package" % KERNEL_META)


def fetch(pkg, debs):
    """The .deb of `pkg` in `debs`: an existing one, else apt-get download."""
    have = sorted(f for f in os.listdir(debs) if f.startswith(pkg + "_") and f.endswith(".deb"))
    if not have:
        try:
            run(["apt-get", "download", pkg], cwd=debs)
        except (BuildError, FileNotFoundError) as e:
            raise BuildError("cannot fetch Debian package %s into %s (put its .deb there "
                             "by hand on a machine without network): %s" % (pkg, debs, e))
        have = sorted(f for f in os.listdir(debs) if f.startswith(pkg + "_") and f.endswith(".deb"))
    if not have:
        raise BuildError("apt-get download %s left no .deb in %s" % (pkg, debs))
    return os.path.join(debs, have[-1])


def deb_version(deb):
    return run(["dpkg-deb", "--field", deb, "Version"]).strip()


def extract(deb, member):
    with tempfile.TemporaryDirectory() as tmp:
        run(["dpkg-deb", "-x", deb, tmp])
        path = os.path.join(tmp, member.lstrip("/"))
        if member.endswith("*"):
            d, prefix = os.path.split(path)
            names = sorted(n for n in os.listdir(d) if n.startswith(prefix[:-1]))
            if not names:
                raise BuildError("%s holds no %s" % (deb, member))
            path = os.path.join(d, names[-1])
        if not os.path.isfile(path):
            raise BuildError("%s holds no %s" % (deb, member))
        with open(path, "rb") as f:
            return f.read()


def write_if_changed(path, data):
    """Leave an identical file untouched so make sees nothing new."""
    if os.path.exists(path):
        with open(path, "rb") as f:
            if f.read() == data:
                return
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "linux"))
    ap.add_argument("--debs", default=None, help="where the .deb files are kept (default OUT/debs)")
    args = ap.parse_args(argv)
    debs = args.debs or os.path.join(args.out, "debs")
    os.makedirs(debs, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    try:
        kpkg = kernel_package()
        kdeb, bdeb = fetch(kpkg, debs), fetch(BUSYBOX, debs)
        vmlinuz = extract(kdeb, "/boot/vmlinuz-*")
        busybox = extract(bdeb, "/bin/busybox")
        with open(INIT_SCRIPT, "rb") as f:
            init = f.read()
        write_if_changed(os.path.join(args.out, "vmlinuz"), vmlinuz)
        write_if_changed(os.path.join(args.out, "initramfs.cpio.gz"), initramfs(busybox, init))
        versions = "%s %s\n%s %s\n" % (kpkg, deb_version(kdeb), BUSYBOX, deb_version(bdeb))
        write_if_changed(os.path.join(args.out, "VERSIONS"), versions.encode())
    except (BuildError, OSError) as e:
        print("tools/linux_guest.py: %s" % e, file=sys.stderr)
        return 1
    print("linux guest: %s" % versions.replace("\n", "; ").strip("; "))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
