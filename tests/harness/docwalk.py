"""Walks docs/writing-a-scheduler.md: its marked code blocks, applied to a scratch
copy of the tree, and its commands run there. Shared by the host part
(tests/harness/test_doc_scheduler.py) and the booted part
(tests/boot/test_doc_scheduler.py).

Marks, on the opening fence:
  ```c file=PATH            the block is the whole file PATH (relative to the tree)
  ```make file=PATH append  the block is appended to PATH
  ```sh test=STEP           commands of step STEP ("host", "boot"), one a line

The scratch copy takes the sources and the build folder of this tree with their
times (so make rebuilds only what the doc's files change: the hypervisor and the
stride objects, not dom0 or the guests), leaves out results/, and points the
simulator's generated policy glue and dependency files, which name this tree's
absolute paths, at the copy (times kept).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(REPO, "docs", "writing-a-scheduler.md")
_FENCE = re.compile(r"^```(\w+)((?:[ \t]+[\w.-]+(?:=[\w./-]+)?)*)[ \t]*$")


class Block:
    def __init__(self, lang: str, attrs: dict, text: str, line: int):
        self.lang, self.attrs, self.text, self.line = lang, attrs, text, line


def blocks(path: str = DOC) -> list[Block]:
    """Every fenced block with attributes, in order."""
    out, cur = [], None
    with open(path, encoding="utf-8") as f:
        for n, ln in enumerate(f, 1):
            if cur is not None:
                if ln.rstrip("\n") == "```":
                    out.append(cur)
                    cur = None
                else:
                    cur.text += ln
                continue
            m = _FENCE.match(ln.rstrip("\n"))
            if m and m.group(2).strip():
                attrs = dict((a.split("=", 1) + [""])[:2] for a in m.group(2).split())
                cur = Block(m.group(1), attrs, "", n + 1)
    if cur is not None:
        raise ValueError(f"{path}:{cur.line - 1}: code block not closed")
    return out


def _ignore(d: str, names: list[str]) -> set[str]:
    rel = os.path.relpath(d, REPO)
    skip = {".git", "results"} if rel == "." else set()
    if rel == "build":
        skip |= {"sched-bench", "unit", "tests", "doc-walk"}
    return skip


def _repoint(path: str, dest: str) -> None:
    """This tree's absolute paths in a generated file -> the copy's, same mtime."""
    st = os.stat(path)
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    if REPO not in text:
        return
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text.replace(REPO + "/", dest + "/"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def scratch(dest: str) -> list[Block]:
    """A copy of the tree at dest with the doc's file blocks applied; the blocks."""
    shutil.copytree(REPO, dest, symlinks=True, ignore=_ignore, copy_function=shutil.copy2)
    sim = os.path.join(dest, "build", "sched-sim")
    for d, _, names in os.walk(sim):
        for n in names:
            if n.endswith((".c", ".d")):
                _repoint(os.path.join(d, n), dest)
    got = blocks()
    for b in got:
        if "file" not in b.attrs:
            continue
        path = os.path.join(dest, b.attrs["file"])
        os.makedirs(os.path.dirname(path) or dest, exist_ok=True)
        with open(path, "a" if "append" in b.attrs else "w", encoding="utf-8") as f:
            f.write(b.text)
    return got


def commands(bl: list[Block], step: str) -> list[str]:
    return [ln for b in bl if b.lang == "sh" and b.attrs.get("test") == step
            for ln in b.text.splitlines() if ln.strip() and not ln.startswith("#")]


def run(cmd: str, cwd: str, timeout: float) -> subprocess.CompletedProcess:
    """One command of the doc, as a reader types it (a shell in the tree)."""
    return subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
