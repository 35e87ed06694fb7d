"""A one-node Slurm cluster on this machine, for the tests: munged, slurmctld and
slurmd (Debian's slurm-wlm and munge), each started in the foreground by us with its
own configuration, key, sockets, state and logs in a temporary folder, and stopped
(by the process ids we started) afterwards.

Design: nothing of the host's own configuration is used or changed: a fresh munge key,
munged on a private socket, slurm.conf in the folder (clients find it through
SLURM_CONF in env()), free TCP ports on 127.0.0.1, and no systemd, so it also runs
as root inside the CI's debootstrapped chroot. The node is named hvlab1 (slurmd -N),
with this host's CPU count; proctrack/linuxproc and task/none need no cgroups;
accounting is off (the sweep reads its runs' state from its folder, not from Slurm).

Limitations: needs root (slurmd starts jobs as their user) and the slurm-wlm and
munge packages; start() raises Unavailable saying which is missing, with the end of
the daemons' logs when one of them did not come up.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo")
NODE = "hvlab1"
START_TIMEOUT_S = 60


class Unavailable(Exception):
    """Slurm cannot run here: the reason."""


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _tail(path: str, lines: int = 12) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)\n"


class Cluster:
    def __init__(self, keep: bool = False):
        self.keep = keep
        self.dir = None
        self.procs: dict[str, subprocess.Popen] = {}

    def path(self, *p: str) -> str:
        return os.path.join(self.dir, *p)

    def env(self) -> dict:
        return dict(os.environ, SLURM_CONF=self.path("slurm.conf"))

    def _conf(self, ctl_port: int, d_port: int) -> str:
        host = socket.gethostname().split(".")[0]
        cpus = os.cpu_count() or 1
        p = self.path
        return f"""# A one-node test cluster (tests/slurm/cluster.py)
ClusterName=hvlabtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctl_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={p('run', 'munge.sock')}
StateSaveLocation={p('state')}
SlurmdSpoolDir={p('spool')}
SlurmctldPidFile={p('run', 'slurmctld.pid')}
SlurmdPidFile={p('run', 'slurmd.pid')}
SlurmctldLogFile={p('log', 'slurmctld.log')}
SlurmdLogFile={p('log', 'slurmd.log')}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName={NODE} NodeAddr=127.0.0.1 NodeHostname={host} CPUs={cpus} State=UNKNOWN
PartitionName=hvlab Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
"""

    def _spawn(self, name: str, args: list[str]) -> None:
        out = open(self.path("log", f"{name}.stdout"), "wb")
        self.procs[name] = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=subprocess.STDOUT, env=self.env(),
                                            start_new_session=True)
        out.close()

    def _logs(self) -> str:
        return "".join(f"--- {n}\n{_tail(self.path('log', n))}" for n in
                       ("munged.log", "slurmctld.log", "slurmd.log", "munged.stdout",
                        "slurmctld.stdout", "slurmd.stdout")
                       if os.path.exists(self.path("log", n)))

    def _wait(self, what: str, ok) -> None:
        end = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < end:
            for n, pr in self.procs.items():
                if pr.poll() is not None:
                    raise Unavailable(f"{n} exited with status {pr.returncode} while "
                                      f"waiting for {what}:\n{self._logs()}")
            if ok():
                return
            time.sleep(0.3)
        raise Unavailable(f"{what}: not within {START_TIMEOUT_S} s:\n{self._logs()}")

    def start(self) -> "Cluster":
        missing = [b for b in BINARIES if shutil.which(b) is None]
        if missing:
            raise Unavailable(f"not installed: {', '.join(missing)} (packages slurm-wlm "
                              "and munge: make deps)")
        if os.geteuid() != 0:
            raise Unavailable("not root: slurmd must run as root to start jobs")
        self.dir = tempfile.mkdtemp(prefix="hvlab-slurm-")
        os.chmod(self.dir, 0o755)        # munged wants its socket's folders searchable
        for d in ("munge", "run", "state", "spool", "log"):
            os.makedirs(self.path(d), mode=0o700 if d == "munge" else 0o755)
        key = self.path("munge", "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        with open(self.path("slurm.conf"), "w") as f:
            f.write(self._conf(*_free_ports(2)))
        try:
            sock = self.path("run", "munge.sock")
            self._spawn("munged", ["munged", "--foreground", "--force", f"--socket={sock}",
                                   f"--key-file={key}",
                                   f"--pid-file={self.path('run', 'munged.pid')}",
                                   f"--log-file={self.path('log', 'munged.log')}",
                                   f"--seed-file={self.path('munge', 'seed')}"])
            self._wait("munged's socket", lambda: os.path.exists(sock))
            self._spawn("slurmctld", ["slurmctld", "-D", "-i"])
            self._wait("slurmctld to answer", lambda: self._sinfo() is not None)
            self._spawn("slurmd", ["slurmd", "-D", "-N", NODE])
            self._wait(f"node {NODE} idle", lambda: self._sinfo() == "idle")
        except BaseException:
            self.stop()
            raise
        return self

    def _sinfo(self) -> str | None:
        p = subprocess.run(["sinfo", "-h", "-n", NODE, "-o", "%T"], capture_output=True,
                           text=True, env=self.env(), timeout=30)
        return p.stdout.strip() if p.returncode == 0 else None

    def stop(self) -> None:
        """Cancels the jobs still queued or running (on this private cluster only),
        then stops what start() started, newest first, by process id."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            subprocess.run(["scancel", "--partition=hvlab"], env=self.env(),
                           capture_output=True, timeout=30)
            end = time.monotonic() + 20
            while time.monotonic() < end and subprocess.run(
                    ["squeue", "-h", "-o", "%i"], env=self.env(), capture_output=True,
                    text=True, timeout=30).stdout.strip():
                time.sleep(0.5)
        for name in reversed(list(self.procs)):
            pr = self.procs[name]
            if pr.poll() is None:
                pr.terminate()
                try:
                    pr.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pr.kill()
                    pr.wait()
        self.procs.clear()
        if self.dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
