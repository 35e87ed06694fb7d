"""machine.plan() and stage(): QEMU gets bare names only, whatever the host folders
(the file behind each name is a link in a staging folder); bad names are refused."""
from __future__ import annotations

import os
import tempfile

from check import check, eq, raises

from hvlab import machine

TOPO = machine.Topology(1, 1, 64)


def test_plan_names_only():
    p = machine.plan("/deep/tree/build/hvlab.elf",
                     ["build/dom0.elf", "build/guest/cpuloop.elf cpuloop.elf",
                      "/tmp/r/inputs/a.cfg a.cfg", "/tmp/r/inputs/scenario scenario",
                      "x/sleeper.elf sleeper.elf period_us=500"], "/deep/tree")
    eq(p.kernel, "hvlab.elf", "kernel name")
    eq(p.modules, ("dom0.elf", "cpuloop.elf", "a.cfg", "scenario",
                   "sleeper.elf period_us=500"), "module strings the guest sees")
    eq(p.files["dom0.elf"], "/deep/tree/build/dom0.elf", "relative paths from base")
    eq(p.files["a.cfg"], "/tmp/r/inputs/a.cfg", "absolute paths kept")
    cmd = machine.qemu_command(p, TOPO, "loglvl=info")
    eq(cmd[cmd.index("-kernel") + 1], "hvlab.elf", "-kernel")
    eq(cmd[cmd.index("-initrd") + 1], "dom0.elf,cpuloop.elf,a.cfg,scenario,"
       "sleeper.elf period_us=500", "-initrd")
    check(not any("/" in a for a in cmd), f"no '/' anywhere in {cmd}")


def test_plan_refuses_bad_names():
    raises(machine.StageError, lambda: machine.plan("hvlab.elf", ["a/x.cfg c.cfg", "b/y.cfg c.cfg"]),
           "a name used twice", ("'c.cfg' is used twice", "a/x.cfg"))
    raises(machine.StageError, lambda: machine.plan("hvlab.elf", ["b/hvlab.elf"]),
           "a module named like the kernel", ("'hvlab.elf' is used twice",))
    raises(machine.StageError, lambda: machine.plan("hvlab.elf", ["a/x.cfg sub/x.cfg"]),
           "a name with a folder", ("'sub/x.cfg' is not a bare file name",))
    raises(machine.StageError, lambda: machine.plan("hvlab.elf", ["a/x.cfg  x.cfg"]),
           "a string starting with a blank", ("is not a bare file name",))


def test_stage_links_and_cleans_up():
    with tempfile.TemporaryDirectory() as tmp:
        for n in ("k.elf", "m.cfg"):
            with open(os.path.join(tmp, n), "w") as f:
                f.write(n)
        p = machine.plan("k.elf", ["m.cfg other"], tmp)
        with machine.stage(p, parent=tmp) as folder:
            eq(os.path.dirname(folder), tmp, "staged under parent")
            eq(sorted(os.listdir(folder)), ["k.elf", "other"], "one link per name")
            with open(os.path.join(folder, "other")) as f:
                eq(f.read(), "m.cfg", "the link reaches the file")
        check(not os.path.exists(folder), "the staging folder is removed")
        p = machine.plan("k.elf", ["nope.cfg"], tmp)
        raises(machine.StageError, lambda: machine.stage(p).__enter__(), "a missing file",
               (os.path.join(tmp, "nope.cfg"), "as nope.cfg"))
