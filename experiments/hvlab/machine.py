"""QEMU machines for hvlab: topology -> command line, and one boot with a timeout.

One place builds every QEMU command line (make qemu, the boot tests, experiments), so
a topology means the same thing everywhere. Deterministic mode (-icount shift=0,
sleep=off) makes the guest TSC count instructions: two runs give identical output.

Nothing of the host's folders reaches the machine. QEMU hands the guest each -initrd
module's whole string (the file it reads is the part before the first space) and puts
the -kernel argument in front of the multiboot command line, so a host path there
would change guest memory, dom0's console and the trace with the checkout's or the
results folder's location. launch() therefore stages every file as a symbolic link
with a bare name in a fresh folder, runs QEMU there, and the command line holds only
those names: the same strings whatever the absolute paths (docs/experiments.md,
"Reproducibility"; tests/boot/test_repro.py).

Disks (dom0's physical disks, docs/native-disk.md): launch(disks=[image, ...]) stages
image i as "vd<i>.img" and attaches it as a virtio-blk-pci device (legacy/transitional,
raw format), in order, so the guest's vd0 is the first; QEMU writes through the link
into the host's file.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import tempfile
import time
from typing import Iterator, Sequence

QEMU = "qemu-system-x86_64"
DEBUG_EXIT = "isa-debug-exit,iobase=0xf4,iosize=4"

# QEMU's exit statuses (docs/boot.md): isa-debug-exit turns the hypervisor's code c
# (EXIT_CODE_* in include/hvlab/shutdown.h) into status (c << 1) | 1.
EXIT_POWEROFF = 0           # ACPI S5: dom0 shut down cleanly (or poweroff_after_boot)
EXIT_PANIC = 3              # the hypervisor panicked (a dom0 crash included)
EXIT_POWEROFF_FAILED = 5    # ACPI S5 did not stop the machine
EXIT_DOM0_ERROR = 7         # dom0 reported an error (a failed scenario) and stopped
EXIT_STATUSES = {
    EXIT_POWEROFF: "clean poweroff",
    EXIT_PANIC: "hypervisor panic (crashed)",
    EXIT_POWEROFF_FAILED: "ACPI poweroff failed",
    EXIT_DOM0_ERROR: "dom0 reported an error (scenario failed)",
}


def describe_status(status: int) -> str:
    """What a QEMU exit status means, in words; -1 is a timeout."""
    if status == -1:
        return "timed out"
    return EXIT_STATUSES.get(status, f"unexpected QEMU exit status {status}")


@dataclasses.dataclass(frozen=True)
class Topology:
    """cpus spread evenly over nodes (node n gets a contiguous block of CPUs and
    mem_mib / nodes of memory). distances maps (a, b) with a < b to a SLIT value;
    unlisted pairs get QEMU's default (20), and the matrix is symmetric."""

    cpus: int = 1
    nodes: int = 1
    mem_mib: int = 256
    distances: tuple[tuple[int, int, int], ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.cpus <= 64:
            raise ValueError(f"cpus={self.cpus}: must be 1..64")
        if not 1 <= self.nodes <= 8:
            raise ValueError(f"nodes={self.nodes}: must be 1..8")
        if self.cpus % self.nodes:
            raise ValueError(f"cpus={self.cpus} does not split evenly over nodes={self.nodes}")
        if self.mem_mib % self.nodes or self.mem_mib < 32 * self.nodes:
            raise ValueError(f"mem_mib={self.mem_mib}: needs >= 32 MiB per node, evenly split")
        for a, b, d in self.distances:
            if not (0 <= a < b < self.nodes and 10 < d <= 254):
                raise ValueError(f"distance {a}-{b}={d}: need 0 <= a < b < nodes, 10 < d <= 254")

    def cpu_node(self, cpu: int) -> int:
        return cpu // (self.cpus // self.nodes)

    def distance(self, a: int, b: int) -> int:
        if a == b:
            return 10
        lo, hi = min(a, b), max(a, b)
        for x, y, d in self.distances:
            if (x, y) == (lo, hi):
                return d
        return 20

    def node_mem_mib(self) -> int:
        return self.mem_mib // self.nodes

    def qemu_args(self) -> list[str]:
        args = ["-smp", str(self.cpus), "-m", f"{self.mem_mib}M"]
        if self.nodes == 1:
            return args
        per = self.cpus // self.nodes
        for n in range(self.nodes):
            args += ["-object", f"memory-backend-ram,id=m{n},size={self.node_mem_mib()}M",
                     "-numa", f"node,nodeid={n},cpus={n * per}-{n * per + per - 1},memdev=m{n}"]
        for a in range(self.nodes):
            for b in range(a + 1, self.nodes):
                args += ["-numa", f"dist,src={a},dst={b},val={self.distance(a, b)}"]
        return args


class StageError(ValueError):
    """A kernel or module cannot be staged: bad name, name used twice, file missing."""


@dataclasses.dataclass(frozen=True)
class Plan:
    """What QEMU is given: kernel and module strings that are bare names, and the
    host file behind each name (absolute paths)."""

    kernel: str
    modules: tuple[str, ...]
    files: dict[str, str]
    disks: tuple[str, ...] = ()     # staged names of the disk images, vd0 first


def _bare(name: str, what: str) -> str:
    if not name or name in (".", "..") or "/" in name or name != name.strip():
        raise StageError(f"{what}: {name!r} is not a bare file name")
    return name


def plan(image: str, modules: Sequence[str] = (), base: str | None = None,
         disks: Sequence[str] = ()) -> Plan:
    """Names for image and modules. A module is "path" or "path string": the guest
    sees string (or the path's last component when there is none), and its first
    word names the staged file, so it must be a unique bare name. Relative paths are
    resolved against base (default: the current folder)."""
    base = os.getcwd() if base is None else base
    kernel = _bare(os.path.basename(image), f"kernel {image}")
    files = {kernel: os.path.abspath(os.path.join(base, image))}
    strings = []
    for m in modules:
        path, _, text = m.partition(" ")
        text = text or os.path.basename(path)
        name = _bare(text.split(" ", 1)[0], f"module {m!r}")
        if name in files:
            raise StageError(f"module {m!r}: the name {name!r} is used twice "
                             f"(also {files[name]})")
        files[name] = os.path.abspath(os.path.join(base, path))
        strings.append(text)
    names = []
    for i, path in enumerate(disks):
        name = f"vd{i}.img"
        if name in files:
            raise StageError(f"disk {path!r}: the name {name!r} is used twice (also {files[name]})")
        files[name] = os.path.abspath(os.path.join(base, path))
        names.append(name)
    return Plan(kernel, tuple(strings), files, tuple(names))


def qemu_command(p: Plan, topo: Topology, cmdline: str = "", deterministic: bool = True,
                 serial: str = "stdio", extra: Sequence[str] = ()) -> list[str]:
    """The full QEMU command line, to run in a folder holding p's names (launch())."""
    cmd = [QEMU, "-nodefaults", "-machine", "pc", "-cpu", "qemu64,+svm,+npt",
           *topo.qemu_args(), "-display", "none", "-no-reboot",
           "-serial", serial, "-device", DEBUG_EXIT, "-kernel", p.kernel]
    if cmdline:
        cmd += ["-append", cmdline]
    if p.modules:
        cmd += ["-initrd", ",".join(m.replace(",", ",,") for m in p.modules)]
    if deterministic:
        cmd += ["-icount", "shift=0,sleep=off"]
    else:
        cmd += ["-accel", "tcg,thread=multi"]
    for i, name in enumerate(p.disks):
        cmd += ["-drive", f"file={name},if=none,id=vd{i},format=raw",
                "-device", f"virtio-blk-pci,drive=vd{i}"]
    return cmd + list(extra)


@contextlib.contextmanager
def stage(p: Plan, parent: str | None = None) -> Iterator[str]:
    """A fresh folder (under parent, default the system's temporary folder) holding a
    symbolic link (or a copy) per name of p; removed afterwards with whatever QEMU
    left in it."""
    missing = [f"{path} (as {name})" for name, path in p.files.items()
               if not os.path.isfile(path)]
    if missing:
        raise StageError("missing files: " + "; ".join(missing))
    folder = tempfile.mkdtemp(prefix="qemu-", dir=parent)
    try:
        for name, path in p.files.items():
            try:
                os.symlink(path, os.path.join(folder, name))
            except OSError:         # a file system without symbolic links
                shutil.copyfile(path, os.path.join(folder, name))
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class Launch:
    command: list[str]   # run it with cwd = folder
    folder: str          # the staging folder; relative paths in extra are inside it
    plan: Plan


@contextlib.contextmanager
def launch(image: str, topo: Topology, cmdline: str = "", modules: Sequence[str] = (),
           deterministic: bool = True, serial: str = "stdio", extra: Sequence[str] = (),
           base: str | None = None, parent: str | None = None,
           disks: Sequence[str] = ()) -> Iterator[Launch]:
    """The one way hvlab starts QEMU: plan(), qemu_command(), stage(). Every caller
    runs Launch.command in Launch.folder within the with-block. disks: host image
    files, attached as virtio-blk-pci devices vd0, vd1, ... (module docstring)."""
    if shutil.which(QEMU) is None:
        raise RuntimeError(f"{QEMU} not found: run 'make deps'")
    p = plan(image, modules, base, disks)
    cmd = qemu_command(p, topo, cmdline, deterministic, serial, extra)
    with stage(p, parent) as folder:
        yield Launch(cmd, folder, p)


@dataclasses.dataclass
class BootResult:
    status: int          # QEMU's exit status; -1 on timeout
    output: str          # everything the hypervisor printed on the serial console
    wall_s: float
    command: list[str]

    @property
    def clean_poweroff(self) -> bool:
        return self.status == 0

    @property
    def timed_out(self) -> bool:
        return self.status == -1


def boot(image: str, topo: Topology, cmdline: str = "", timeout_s: float = 60,
         **kw) -> BootResult:
    """Boot once (launch() takes kw), capture the serial console, return when QEMU
    exits or times out."""
    with launch(image, topo, cmdline, **kw) as ln:
        start = time.monotonic()
        try:
            p = subprocess.run(ln.command, cwd=ln.folder, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout_s)
            status, out = p.returncode, p.stdout
        except subprocess.TimeoutExpired as e:
            status, out = -1, e.stdout or b""
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    return BootResult(status, text, time.monotonic() - start, ln.command)


def ivshmem_args(mem_path: str, size_mib: int, obj_id: str = "hvtrace") -> list[str]:
    """QEMU arguments for an ivshmem-plain device whose shared memory is the host file
    mem_path (created by QEMU, size_mib a power of two; a relative path is in the
    staging folder, launch()): the hypervisor writes the
    trace stream into it (layout: experiments/hvlab/trace.py, extract_shm)."""
    return ["-object", f"memory-backend-file,id={obj_id},size={size_mib}M,"
                       f"mem-path={mem_path.replace(',', ',,')},share=on",
            "-device", f"ivshmem-plain,memdev={obj_id}"]
