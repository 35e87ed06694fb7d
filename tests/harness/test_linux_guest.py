"""tools/linux_guest.py: the Linux guest's initramfs is a valid cpio "newc" archive
whose bytes depend only on its inputs (no host time, owner or path reaches it)."""
from __future__ import annotations

import gzip
import importlib.util
import os

from check import REPO, check, eq

_spec = importlib.util.spec_from_file_location("linux_guest", os.path.join(REPO, "tools", "linux_guest.py"))
lg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lg)


def parse_newc(data):
    """An independent reader: (name, mode, data) per record, trailer excluded."""
    out, off = [], 0
    while True:
        eq(data[off:off + 6], b"070701", f"magic at {off}")
        f = [int(data[off + 6 + 8 * i: off + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = f[1], f[6], f[11]
        check(f[2] == 0 and f[3] == 0 and f[5] == 0, f"uid/gid/mtime of record at {off}: {f[2]} {f[3]} {f[5]}")
        name = data[off + 110: off + 110 + namesize - 1].decode()
        eq(data[off + 110 + namesize - 1], 0, f"NUL after {name}")
        off += 110 + namesize
        off += -off % 4
        body = data[off: off + size]
        off += size
        off += -off % 4
        if name == "TRAILER!!!":
            eq(off, len(data), "trailer is the last record")
            return out
        out.append((name, mode, body))


def test_newc_roundtrip():
    entries = [("bin", 0o040755, b""), ("bin/x", 0o100755, b"abc"), ("init", 0o100755, b"#!/bin/sh\n")]
    eq(parse_newc(lg.cpio_archive(entries)), entries, "records read back")


def test_initramfs_layout_and_repeatable():
    img = lg.initramfs(b"\x7fELF-busybox", b"#!/bin/sh\necho hi\n")
    eq(img, lg.initramfs(b"\x7fELF-busybox", b"#!/bin/sh\necho hi\n"), "same inputs, same bytes")
    eq(img[4:8], b"\0\0\0\0", "gzip mtime is 0")
    recs = {n: (m, d) for n, m, d in parse_newc(gzip.decompress(img))}
    eq(recs["init"], (0o100755, b"#!/bin/sh\necho hi\n"), "init")
    eq(recs["bin/sh"], (0o120777, b"busybox"), "sh is a link to busybox")
    for applet in ("poweroff", "awk", "seq", "mount"):
        check("bin/" + applet in recs, f"applet {applet} linked")


def test_init_script_uses_only_linked_applets():
    # Every command word the init script runs must be an applet linked in bin/ (or a
    # shell builtin), else the guest stops at "not found" after a long boot.
    builtins = {"if", "then", "fi", "for", "do", "done", "while", "in", "echo", "loc()",
                "{", "}", "i=0;", "n=0", "t0=$(loc)", "t1=$(loc)"}
    with open(os.path.join(REPO, "tests", "linux", "init")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            word = line.split()[0]
            if "=" in word or word in builtins or word.startswith("/bin/"):
                continue
            check(word in lg.APPLETS, f"init runs {word!r}, not a linked applet")
