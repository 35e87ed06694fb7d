"""Experiment files: the shipped ones load; every bad one is reported with the file,
the dotted key and the problem; the generated cfg files, scenario and QEMU command."""
from __future__ import annotations

import os

from check import REPO, check, eq, raises

from hvlab import experiment as E
from hvlab import machine, schedparams

BASE = """
name = "t"
scheduler = "credit"
duration_ms = 100
[topology]
cpus = 2
[[domain]]
name = "a"
image = "cpuloop"
[[domain]]
name = "b"
image = "sleeper"
weight = 512
"""


def test_shipped_experiments_load():
    for fn in ("sched-compare.toml", "smoke.toml", "pv-vs-hvm.toml"):
        exp = E.load(os.path.join(REPO, "experiments", fn))
        check(exp.domains and exp.schedulers, f"{fn}: has domains and schedulers")
        for d in exp.domains:
            check(os.path.exists(os.path.join(REPO, "bench", f"{d.image}.c")),
                  f"{fn}: image {d.image} is a bench/ workload")
    exp = E.load(os.path.join(REPO, "experiments", "sched-compare.toml"))
    eq(exp.schedulers, ["rr", "credit", "credit2", "rtds"], "sched-compare policies")
    eq([d.weight for d in exp.domains[:3]], [256, 512, 1024], "weights 1:2:4")
    eq(exp.rt_params(), {5: (10_000_000, 3_000_000)}, "the real-time domain, domid 5")
    eq([c.key for c in exp.configs()], ["rr-r1", "credit-r1", "credit2-r1", "rtds-r1"],
       "configurations")


# (label, text with the change, dotted key, words of the message)
BAD = [
    ("unknown top key", 'colour = "red"\n' + BASE, "colour", "unknown key"),
    ("unknown domain key", BASE.replace('weight = 512', 'wieght = 512'),
     "domain[1].wieght", "not a parameter of any scheduler of this experiment (credit: "
     "weight, cap)"),
    # Before parameters were declared, rr ran this experiment and ignored the weight.
    ("parameter of no listed scheduler", BASE.replace('scheduler = "credit"',
                                                      'scheduler = "rr"'),
     "domain[1].weight", "not a parameter of any scheduler of this experiment (rr: none)"),
    # null and arinc653 declare no per-domain parameters (arinc653's timetable is the
    # pool's, set by xl arinc653-set): a weight for them is an error, not ignored.
    ("weight for null and arinc653", BASE.replace('scheduler = "credit"',
                                                  'schedulers = ["null", "arinc653"]'),
     "domain[1].weight",
     "not a parameter of any scheduler of this experiment (null: none; arinc653: none)"),
    ("bool parameter", BASE.replace('scheduler = "credit"', 'scheduler = "rtds"')
     .replace("weight = 512", "extratime = 3"), "domain[1].extratime",
     "expected true or false, got 3 (rtds)"),
    ("wrong type", BASE.replace("weight = 512", 'weight = "heavy"'),
     "domain[1].weight", "expected an integer, got str 'heavy' (credit)"),
    ("bool for int", BASE.replace("weight = 512", "weight = true"),
     "domain[1].weight", "expected an integer"),
    ("weight range", BASE.replace("weight = 512", "weight = 0"),
     "domain[1].weight", "0 is out of range 1..65535"),
    ("cpus range", BASE.replace("cpus = 2", "cpus = 65"), "topology.cpus", "out of range 1..64"),
    ("nodes divide cpus", BASE.replace("cpus = 2", "cpus = 3\nnodes = 2"),
     "topology.nodes", "does not divide"),
    ("budget range", BASE.replace('scheduler = "credit"', 'schedulers = ["credit", "rtds"]')
     .replace("weight = 512", "period = 1000\nbudget = 2"), "domain[1].budget",
     "2 is out of range 10..10000000 us (rtds)"),
    ("duplicate domain", BASE.replace('name = "b"', 'name = "a"'), "domain[1].name",
     "used by an earlier domain"),
    ("bad trace class", BASE + '[trace]\nclasses = ["sched", "bogus"]\n', "trace.classes[1]",
     "not a trace class"),
    ("ring not power of two", BASE + "[trace]\nring_records = 1000\n", "trace.ring_records",
     "power of two"),
    ("missing duration", BASE.replace("duration_ms = 100\n", ""), "duration_ms", "missing"),
    ("missing image", BASE.replace('image = "sleeper"\n', ""), "domain[1].image", "missing"),
    ("bad mode", 'mode = "fast"\n' + BASE, "mode", "not one of"),
    ("both scheduler keys", 'schedulers = ["rr"]\n' + BASE, "scheduler", "not both"),
    ("cpu list beyond machine", BASE.replace("weight = 512", 'cpus = "0-3"'),
     "domain[1].cpus", "names CPU 3"),
    ("memory exceeds machine", BASE.replace("weight = 512", "memory = 250"),
     "domain", "need"),
    ("no domains", BASE.split("[[domain]]")[0], "domain", "missing"),
    ("bad distances", BASE.replace("cpus = 2", "cpus = 2\nnodes = 2\ndistances = [[0, 2, 20]]"),
     "topology.distances[0]", "expected [a, b, distance]"),
    ("toml syntax", BASE + "weight = = 3\n", "TOML syntax", "line"),
    ("disk size", BASE.replace("cpus = 2", "cpus = 2\ndisks_mib = [4, 0]"),
     "topology.disks_mib[1]", "expected MiB, 1..4096"),
    ("too many disks", BASE.replace("cpus = 2", "cpus = 2\ndisks_mib = [1, 1, 1, 1, 1]"),
     "topology.disks_mib", "at most 4"),
    # issue 8: each of these gave a Python traceback
    ("deeply nested array", BASE.replace("duration_ms = 100", "duration_ms = 100\nx = "
                                         + "[" * 3000 + "]" * 3000),
     "line 5", "nested 3000 deep"),
    ("deeply nested inline table", BASE + "[trace]\nx = " + "{a = " * 2000 + "1"
     + "}" * 2000 + "\n", "line 15", "nested 2000 deep"),
    ("not a number", BASE + "[analysis]\nwindow_ms = nan\n", "analysis.window_ms",
     "nan is not a finite number"),
    ("infinite", BASE + "[analysis]\ngantt_ms = inf\n", "analysis.gantt_ms",
     "inf is not a finite number"),
    ("trace class not a string", BASE + '[trace]\nclasses = [["sched"], {a = 1}]\n',
     "trace.classes[0]", "not a trace class"),
]


def make_bad_case(label, text, key, words):
    def case():
        e = raises(E.ExperimentError, lambda: E.loads(text, "bad.toml"), label,
                   ("bad.toml: ", words))
        if key.startswith("line "):
            check(str(e).startswith(f"bad.toml: {key}: "), f"{label}: {str(e)!r} names {key}")
        elif key != "TOML syntax":
            check(f"bad.toml: {key}: " in str(e), f"{label}: {str(e)!r} names key {key}")
    case.__name__ = "bad_" + label.replace(" ", "_")
    return case


def test_all_errors_reported_at_once():
    text = BASE.replace("weight = 512", "weight = 0\nfrob = 1").replace("cpus = 2", "cpus = 0")
    e = raises(E.ExperimentError, lambda: E.loads(text, "x.toml"), "several problems")
    eq(len(str(e).splitlines()), 3, f"one line per problem in {str(e)!r}")


def test_nesting_ignores_strings_and_comments():
    text = ('a = "[[[{{"  # [[[[\nb = \'\'\'\n[[[\n\'\'\'\nc = [[1], [2, [3]]]\n'
            'd = """ ]]] \\""" [[ """\n')
    eq(E.nesting(text), (3, 5), "deepest nesting and its line")


def test_missing_file():
    raises(E.ExperimentError, lambda: E.load("/nonexistent/x.toml"), "missing file",
           ("/nonexistent/x.toml", "No such file"))


def test_generated_inputs():
    exp = E.loads(BASE.replace('scheduler = "credit"', 'schedulers = ["credit", "rtds"]')
                  .replace("weight = 512", "weight = 512\nperiod = 10000\n"
                           'budget = 3000\nextratime = true\ncpus = "1"\n'
                           'args = "period_us=500 periods=10"'), "t.toml")
    eq(E.domain_cfg(exp.domains[1]),
       'name = "b"\nkernel = "sleeper.elf"\nmemory = 16\nvcpus = 1\nweight = 512\n'
       'period = 10000\nbudget = 3000\nextratime = 1\ncpus = "1"\n'
       'extra = "period_us=500 periods=10"\n', "xl cfg of domain b")
    # Each run's cfg holds the parameters its policy declares, and no other.
    eq(E.domain_cfg(exp.domains[1], "credit"),
       'name = "b"\nkernel = "sleeper.elf"\nmemory = 16\nvcpus = 1\nweight = 512\n'
       'cpus = "1"\nextra = "period_us=500 periods=10"\n', "xl cfg of domain b for credit")
    eq(E.domain_cfg(exp.domains[1], "rtds"),
       'name = "b"\nkernel = "sleeper.elf"\nmemory = 16\nvcpus = 1\n'
       'period = 10000\nbudget = 3000\nextratime = 1\ncpus = "1"\n'
       'extra = "period_us=500 periods=10"\n', "xl cfg of domain b for rtds")
    lines = E.scenario(exp).splitlines()
    other = E.loads(exp.text, "elsewhere/renamed.toml")
    eq(E.scenario(other), E.scenario(exp), "the file's name does not reach the guest")
    eq(lines[1:6], ["trace start sched,policy,dom", "create a.cfg", "create b.cfg", "sleep 100", "trace stop"],
       "scenario: trace around the creates and the sleep")
    eq(lines[6:8], ["list", "vcpu-list"], "then list and vcpu-list")
    check(all(ln.startswith("wait ") for ln in lines[8:]) and len(lines) == 10,
          f"then a wait per domain: {lines}")
    cfg = exp.configs()[0]
    mods = ["build/guest/cpuloop.elf cpuloop.elf", "r/inputs/a.cfg a.cfg"]
    cmd = E.qemu_args(exp, cfg, mods)
    eq(cmd[cmd.index("-append") + 1], "sched=credit loglvl=info icount icount_tick_us=100 trace_ring=32768 "
       "trace_mask=0x143", "hypervisor command line")
    eq(cmd[cmd.index("-kernel") + 1], "hvlab.elf", "the kernel by its bare name")
    eq(cmd[cmd.index("-initrd") + 1], "dom0.elf,cpuloop.elf,a.cfg", "modules by bare names")
    check("-icount" in cmd, "deterministic mode uses icount")
    eq(cmd[-4:], machine.ivshmem_args("trace.shm", 64), "ivshmem trace region last")


def test_hvm_domain_type():
    """type = "hvm" boots the workload's HVM build: the cfg says so and names that
    image, and it is the module staged; "pv" (the default) keeps the PV image."""
    exp = E.loads(BASE.replace('image = "sleeper"', 'image = "sleeper"\ntype = "hvm"'),
                  "t.toml")
    eq([d.type for d in exp.domains], ["pv", "hvm"], "domain types")
    eq(E.domain_cfg(exp.domains[1], "credit"),
       'name = "b"\ntype = "hvm"\nkernel = "sleeper-hvm.elf"\nmemory = 16\nvcpus = 1\n'
       'weight = 512\n', "xl cfg of an HVM domain")
    eq(E.image_modules(exp), ["build/guest/cpuloop.elf cpuloop.elf",
                              "build/guest/sleeper-hvm.elf sleeper-hvm.elf"],
       "modules: each domain's own image")
    both = E.loads(BASE.replace('image = "sleeper"', 'image = "cpuloop"\ntype = "hvm"')
                   .replace('image = "cpuloop"\n[[', 'image = "cpuloop"\ntype = "pv"\n[['),
                   "t.toml")
    eq(E.image_modules(both), ["build/guest/cpuloop-hvm.elf cpuloop-hvm.elf",
                               "build/guest/cpuloop.elf cpuloop.elf"],
       "the same workload as PV and HVM: two images")


def test_vif_entries():
    """vif = [...] becomes the cfg's vif list (PV network); entries that could break
    out of their quotes, or too many, are refused with the key named."""
    exp = E.loads(BASE.replace('image = "sleeper"', 'image = "sleeper"\n'
                               'vif = ["mac=00:16:3e:00:00:01, bridge=br0", ""]'), "t.toml")
    eq(exp.domains[1].vifs, ["mac=00:16:3e:00:00:01, bridge=br0", ""], "vif entries kept")
    check(E.domain_cfg(exp.domains[1], "credit").endswith(
        "vif = [ 'mac=00:16:3e:00:00:01, bridge=br0', '' ]\n"), "the cfg's vif list")
    check("vif" not in E.domain_cfg(exp.domains[0], "credit"), "no vif: no vif key")
    for bad, why in (('["mac=\'x"]', "domain[1].vif[0]: "), ('"br0"', "domain[1].vif: expected a list"),
                     ('["", "", "", "", ""]', "domain[1].vif: 5 entries, at most 4"),
                     ('[1]', "domain[1].vif[0]: 1 is not a vif entry")):
        text = BASE.replace('image = "sleeper"', f'image = "sleeper"\nvif = {bad}')
        raises(E.ExperimentError, lambda: E.loads(text, "t.toml"), f"vif = {bad}", (why,))


def test_memory_policy_keys():
    """memory_policy and nodes go to the domain's cfg as written (docs/memory-policies.md);
    a malformed value or a node the topology lacks is refused with the key named."""
    text = BASE.replace("cpus = 2", "cpus = 4\nnodes = 4").replace(
        'image = "sleeper"', 'image = "sleeper"\nmemory_policy = "interleave:2M"\nnodes = "0-1,3"')
    exp = E.loads(text, "t.toml")
    cfg = E.domain_cfg(exp.domains[1], "credit")
    check('memory_policy = "interleave:2M"\nnodes = "0-1,3"\n' in cfg, "the cfg's keys")
    check("memory_policy" not in E.domain_cfg(exp.domains[0], "credit"), "none: no key")
    for bad, why in (('memory_policy = "bind:1G"', "domain[1].memory_policy: "),
                     ('memory_policy = "Bind"', "domain[1].memory_policy: "),
                     ('nodes = "0,4"', "domain[1].nodes: '0,4' names node 4, the machine has 4"),
                     ('nodes = "x"', "domain[1].nodes: ")):
        t2 = BASE.replace("cpus = 2", "cpus = 4\nnodes = 4").replace(
            'image = "sleeper"', f'image = "sleeper"\n{bad}')
        raises(E.ExperimentError, lambda: E.loads(t2, "t.toml"), bad, (why,))


def test_bad_domain_type_names_file_and_line():
    for bad, shown in (('"kvm"', "'kvm'"), ("1", "1"), ('"HVM"', "'HVM'")):
        text = BASE.replace('image = "sleeper"', f'image = "sleeper"\ntype = {bad}')
        line = text.splitlines().index(f"type = {bad}") + 1
        raises(E.ExperimentError, lambda: E.loads(text, "t.toml"), f"type = {bad}",
               (f"t.toml: line {line}: domain[1].type: {shown} is not a domain type "
                "(known: pv, hvm)",))


def test_command_independent_of_folders():
    """The run folder's path (length, depth) and the checkout's never reach QEMU's
    command line: the guest sees the same module strings from anywhere."""
    exp = E.loads(BASE, "t.toml")
    cfg = exp.configs()[0]
    cmds = []
    for rd, repo in (("r", "/a"), ("/tmp/xyz/deeper/results/t/runs/credit-r1", "/x/yy/zzz")):
        mods = ["build/guest/cpuloop.elf cpuloop.elf", f"{rd}/inputs/a.cfg a.cfg",
                f"{rd}/inputs/b.cfg b.cfg", f"{rd}/inputs/scenario scenario"]
        a = E.launch_args(exp, cfg, mods)
        p = machine.plan(a["image"], a["modules"], repo)
        cmds.append(machine.qemu_command(p, a["topo"], a["cmdline"], a["deterministic"],
                                         a["serial"], a["extra"]))
        eq(p.files["cpuloop.elf"], f"{repo}/build/guest/cpuloop.elf", "images found in base")
    eq(cmds[1], cmds[0], "the same command line from two folders")


def test_disks():
    """topology.disks_mib: fresh images, staged as vd0.img..., attached as virtio-blk;
    none by default."""
    import tempfile
    exp = E.loads(BASE.replace("cpus = 2", "cpus = 2\ndisks_mib = [2, 1]"), "t.toml")
    eq(exp.disks_mib, [2, 1], "disk sizes")
    with tempfile.TemporaryDirectory() as d:
        paths = E.make_disks(exp, d)
        eq([os.path.getsize(p) for p in paths], [2 << 20, 1 << 20], "image sizes")
        a = E.launch_args(exp, exp.configs()[0], [], disks=paths)
        p = machine.plan(a["image"], a["modules"], REPO, a["disks"])
        cmd = machine.qemu_command(p, a["topo"], a["cmdline"], a["deterministic"],
                                   a["serial"], a["extra"])
    check("file=vd0.img,if=none,id=vd0,format=raw" in cmd and
          "virtio-blk-pci,drive=vd1" in cmd, "both disks attached by bare names")
    check(not any(d in " ".join(cmd) for d in (paths[0], paths[1])), "no host path")
    eq(E.loads(BASE, "t.toml").disks_mib, [], "no disks by default")
    check("virtio-blk-pci" not in E.qemu_args(E.loads(BASE, "t.toml"),
                                             exp.configs()[0], []), "no device by default")


def test_ivshmem_args():
    eq(machine.ivshmem_args("/tmp/run,1/trace.shm", 16),
       ["-object", "memory-backend-file,id=hvtrace,size=16M,mem-path=/tmp/run,,1/trace.shm,"
        "share=on", "-device", "ivshmem-plain,memdev=hvtrace"], "ivshmem args (comma escaped)")


def test_trace_disabled():
    exp = E.loads(BASE + "[trace]\nenabled = false\n", "t.toml")
    check("trace start" not in E.scenario(exp), "no trace commands")
    cmd = E.qemu_args(exp, exp.configs()[0], [])
    check("ivshmem-plain,memdev=hvtrace" not in cmd, "no ivshmem device")


def test_null_and_arinc653_policies():
    known = E.known_schedulers(REPO)
    check({"null", "arinc653"} <= known, f"null and arinc653 registered: {sorted(known)}")
    exp = E.loads(BASE.replace('scheduler = "credit"', 'schedulers = ["null", "arinc653"]')
                  .replace("weight = 512\n", ""), "t.toml")
    eq([c.key for c in exp.configs()], ["null-r1", "arinc653-r1"], "one run per policy")
    eq(E.hv_cmdline(exp, exp.configs()[1]).split()[0], "sched=arinc653", "sched= on the boot line")
    decls = schedparams.load()
    eq({p: (decls[p]["params"], decls[p]["counters"]) for p in ("null", "arinc653")},
       {"null": ([], []), "arinc653": ([], [])}, "null and arinc653 declare nothing")
    check(decls["null"]["sched_id"] and decls["arinc653"]["sched_id"] and
          decls["null"]["sched_id"] != decls["arinc653"]["sched_id"],
          f"each has a trace subclass of its own: {decls['null']['sched_id']}, "
          f"{decls['arinc653']['sched_id']}")


CASES = [make_bad_case(*c) for c in BAD]
