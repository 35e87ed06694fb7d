"""The disk benchmark's harness side (experiments/hvlab/iobench.py): result lines,
case windows from console writes, the per-request breakdown on a synthetic trace,
the io experiment keys (disk, dom0_commands, native) and the combined table."""
from __future__ import annotations

import json
import os
import shutil
import tempfile

from check import REPO, check, eq, raises

from hvlab import experiment as E
from hvlab import iobench as IO
from hvlab import trace as T

LINE = ("[   0.1] (d{dom}) result bench=disk mode={mode} dev={dev} op={op} qd={qd} reqs=2 "
        "bytes=8192 ns={ns} iops=200000 ns_per_req={npr} errors=0 verify_errors=0 run_ns=3000")


def _line(op="seqwrite", qd=1, ns=10000, mode="pv", dev="xvda", dom=1):
    return LINE.format(dom=dom, mode=mode, dev=dev, op=op, qd=qd, ns=ns, npr=ns // 2)


def test_parse_results():
    text = "\n".join([_line(), "(d1) result bench=cpuloop iters=3", _line("seqread"),
                      _line(qd=1), "noise"])
    res = IO.parse_results(text)
    eq(len(res), 3, "disk lines only")
    eq([(r["op"], r["qd"], r["group"]) for r in res],
       [("seqwrite", 1, 0), ("seqread", 1, 0), ("seqwrite", 1, 1)],
       "a second seqwrite at qd 1 (ATA: qd 32 clamped) is the second group")
    eq((res[0]["console_dom"], res[0]["run_ns"], res[0]["verify_errors"]), (1, 3000, 0),
       "values as ints, the console's domain")
    raises(IO.IoBenchError, lambda: IO.parse_results(_line().replace(" iops=200000", "")),
           "a line without iops", ("disk result line 1", "iops"))
    raises(IO.IoBenchError, lambda: IO.parse_results(_line().replace("reqs=2", "reqs=x")),
           "reqs not a number", ("reqs",))


def test_case_windows():
    cases = [{"ns": 4000}, {"ns": 3900}, {"ns": 100000}]
    wins = IO.case_windows([100, 150, 5000, 5050, 9000], cases, 1_000_000)
    eq(wins, [(1000, 5000), (5100, 9000), None],
       "each window ends at the first write after a silence as long as the case; "
       "none left for the third")
    eq(IO.case_windows([0, 10000], [{"ns": 5000}], 2_000_000), [(0, 10000)],
       "ns converted to TSC ticks (2 GHz)")


def _rec(tsc, ev, dom, d0=0, d1=0):
    return T.Record(tsc, 0, ev, dom, 0, d0, d1)


def synthetic():
    """1 pCPU: d1 runs 1000-3000 and 7000-11000, d0 3000-5000, idle 5000-7000. d1: a
    hypercall 2000-2500, a blocking one 2900-7100 (100 + 100 of it while running),
    a VM exit 8000-8300 with a hypercall 8100-8200 inside it; d0: a hypercall
    4000-4400. Console writes of d1 at 1000 and 11000."""
    H, X = T.HCALL_ENTRY, T.HCALL_EXIT
    recs = [_rec(1000, H, 1, IO.CONSOLE_IO), _rec(2000, H, 1, 29), _rec(2500, X, 1, 29),
            _rec(2900, H, 1, 29), _rec(4000, H, 0, 32), _rec(4400, X, 0, 32),
            _rec(7100, X, 1, 29), _rec(8000, T.HVM_EXIT, 1, 0x7b << 32),
            _rec(8100, H, 1, 32), _rec(8200, X, 1, 32), _rec(8300, T.HVM_ENTRY, 1, 0x7b, 300),
            _rec(11000, H, 1, IO.CONSOLE_IO)]
    hdr = T.Header(1, 1, 1_000_000, 0x207, 0, 64, 1, "credit")
    tr = T.Trace("synthetic", hdr, [recs], 1, 0)
    slices = [(0, 1000, 3000, 1, 0), (0, 3000, 5000, 0, 0), (0, 5000, 7000, T.DOM_IDLE, 0),
              (0, 7000, 11000, 1, 0)]
    return tr, slices


def test_breakdown():
    tr, slices = synthetic()
    cases = IO.run_cases(_line(ns=10000), tr, slices)
    b = cases[0]["breakdown"]
    eq(b["window_tsc"], [1000, 11000], "the case's window")
    eq({k: b[k] for k in ("bench", "bench_hv", "dom0", "dom0_hv", "idle", "total", "busy")},
       {"bench": 2500.0, "bench_hv": 500.0, "dom0": 800.0, "dom0_hv": 200.0, "idle": 1000.0,
        "total": 5000.0, "busy": 4000.0},
       "per request: d1 6000 running of which 1000 in the hypervisor (500 + 2 x 100 of "
       "the blocking call + the 300 exit, the call inside it counted once), d0 2000 of "
       "which 400, idle 2000; 2 requests")
    eq(b["bench"] + b["bench_hv"] + b["dom0"] + b["dom0_hv"] + b["idle"], b["total"],
       "the columns add up to the window")
    none = IO.run_cases(_line(ns=20000), tr, slices)[0]["breakdown"]
    eq(none, None, "no console write after a long enough silence: no breakdown")
    eq(IO.run_cases(_line(), None, None)[0]["breakdown"], None, "no trace: no breakdown")


def test_rows_and_section():
    tr, slices = synthetic()
    cases = IO.run_cases(_line(ns=10000), tr, slices)
    rows = IO.table_rows(IO.cases_by_path(cases))
    eq(rows[0][:8], ["pv", "seqwrite", "1", "200,000", "5,000", "1,500", "0/0", "**4,000**"],
       "figures and the traced path length")
    native = IO.run_cases(_line(mode="native", dev="vda").replace("(d1) ", ""), None, None)
    r = IO.table_rows(IO.cases_by_path(native))[0]
    eq((r[7], r[8]), ("**1,500**", "no hypervisor, no trace"),
       "native: path length from run_ns, and the table says there is no trace")
    untraced = IO.table_rows(IO.cases_by_path(IO.run_cases(_line(), None, None)))[0]
    eq(untraced[8], "no trace", "an untraced hypervisor run says so")
    text = "\n".join(IO.report_section([{"config": {"key": "credit-r1"}, "disk_cases": cases},
                                        {"config": {"key": "credit-r2"}, "disk_cases": cases}]))
    check("## Disk benchmark (credit-r1)" in text and "identical (every figure)" in text,
          "the section names its run and says the repetitions are identical")
    other = [dict(c, ns=c["ns"] + 1) for c in cases]
    text = "\n".join(IO.report_section([{"config": {"key": "a"}, "disk_cases": cases},
                                        {"config": {"key": "b"}, "disk_cases": other}]))
    check("not identical" in text, "differing repetitions are reported")
    eq(IO.report_section([{"config": {"key": "a"}}]), [], "no disk results: no section")


def test_combined_table():
    tr, slices = synthetic()
    traced = IO.run_cases(_line(ns=10000), tr, slices)
    plain = IO.run_cases(_line(ns=9000), None, None)
    folder = tempfile.mkdtemp(prefix="iobench-test-")
    try:
        dirs = []
        for name, runs in (("io-pv", [plain, plain]), ("io-pv-traced", [traced])):
            d = os.path.join(folder, name)
            os.makedirs(d)
            with open(os.path.join(d, "summary.json"), "w") as f:
                json.dump({"experiment": {"name": name}, "configurations": {
                    f"credit-r{i + 1}": {"disk_cases": r, "problems": []}
                    for i, r in enumerate(runs)}}, f)
            dirs.append(d)
        md = IO.combined_markdown([IO.load_folder(d) for d in dirs])
        check("| pv | seqwrite | 1 | 200,000 | 4,500 | 1,500 | 0/0 | **4,000** | 2,500 |" in md,
              "one row: the untraced run's figures, the traced run's breakdown")
        check("pv: 2 runs identical" in md and "Problems: none." in md,
              "determinism and problems summarized")
        bad = os.path.join(folder, "empty")
        os.makedirs(bad)
        raises(IO.IoBenchError, lambda: IO.load_folder(bad), "a folder without summary.json",
               ("summary.json",))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


BASE = """
name = "t"
scheduler = "credit"
duration_ms = 100
[topology]
cpus = 1
disks_mib = [16]
"""


def test_io_experiment_keys():
    exp = E.loads(BASE + '[[domain]]\nname = "b"\nimage = "diskbench"\n'
                  'disk = ["target=vd0:0+16384, vdev=xvda"]\n')
    check("disk = [ 'target=vd0:0+16384, vdev=xvda' ]" in E.domain_cfg(exp.domains[0]),
          "the cfg's disk list")
    exp = E.loads('dom0_commands = ["disk-bench vd0:0+16384 reqs=8"]\n' + BASE)
    eq(exp.domains, [], "dom0_commands alone: no domain needed")
    check("disk-bench vd0:0+16384 reqs=8\nsleep 100" in E.scenario(exp),
          "the command runs after the creates, before the sleep")
    raises(E.ExperimentError, lambda: E.loads(BASE), "no domain, no command",
           ("domain: missing",))
    raises(E.ExperimentError, lambda: E.loads('dom0_commands = ["a\\nb"]\n' + BASE),
           "a command with a newline", ("dom0_commands[0]", "not a dom0 command"))
    raises(E.ExperimentError, lambda: E.loads(BASE + '[[domain]]\nname = "b"\nimage = "x"\n'
                                              'disk = ["target=\'vd0\'"]\n'),
           "a quote in a disk entry", ("domain[0].disk[0]", "not a disk entry"))
    native = 'native = true\n' + BASE + '[trace]\nenabled = false\n[[domain]]\nname = "b"\n' \
        'image = "diskbench"\ntype = "hvm"\nargs = "mode=native"\n'
    exp = E.loads(native)
    a = E.launch_args(exp, exp.configs()[0], [], disks=["d.img"])
    eq((a["image"], a["modules"], a["cmdline"], a["disks"]),
       ("build/guest/diskbench-hvm.elf", [], "mode=native", ["d.img"]),
       "a native run boots the HVM build alone with its args")
    raises(E.ExperimentError, lambda: E.loads(native.replace("enabled = false", "")),
           "native with tracing on", ("trace.enabled", "no hypervisor"))
    raises(E.ExperimentError, lambda: E.loads(native.replace('type = "hvm"\n', "")),
           "native PV domain", ("native", "type \"hvm\""))


def test_shipped_io_experiments():
    names = sorted(f for f in os.listdir(os.path.join(REPO, "experiments"))
                   if f.startswith("io-") and f.endswith(".toml"))
    modes = set()
    for fn in names:
        exp = E.load(os.path.join(REPO, "experiments", fn))
        eq(exp.topology.cpus, 1, f"{fn}: one pCPU (the breakdown reads one timeline)")
        eq(exp.disks_mib, [16], f"{fn}: a fresh 16 MiB disk")
        check(exp.trace_enabled == fn.endswith("-traced.toml"),
              f"{fn}: traced exactly when named -traced")
        words = " ".join([d.args for d in exp.domains] + exp.dom0_commands)
        modes.add(fn[3:].removesuffix(".toml").removesuffix("-traced"))
        want = "reqs=32" if fn == "io-hvm-traced.toml" else "reqs=128"
        check(want in words, f"{fn}: {want} per case (the traced ATA run fewer: its "
              "trace is large)")
    eq(modes, set(IO.PATHS), "one experiment (and a traced one) per path")


def test_native_run_processed():
    """A native run: no scenario, no trace; its unprefixed result lines belong to its
    one domain (they were reported as domain "dNone"), and its disk lines are left
    out of the generic guest-results table (the disk section has them)."""
    from hvlab import report, results
    native = 'native = true\n' + BASE + '[trace]\nenabled = false\n[[domain]]\nname = "b"\n' \
        'image = "diskbench"\ntype = "hvm"\nargs = "mode=native"\n'
    exp = E.loads(native)
    cfg = exp.configs()[0]
    d = tempfile.mkdtemp(prefix="iobench-native-")
    try:
        with open(os.path.join(d, "console.txt"), "w") as f:
            f.write(_line(mode="native", dev="vda").replace("(d1) ", "") + "\n")
        with open(os.path.join(d, "run.json"), "w") as f:
            json.dump({"status": 0, "timed_out": False, "errors": []}, f)
        r = results.process(exp, cfg, d, perfetto_out=False)
        eq(r.summary["status"], "ok", "no scenario needed, no trace expected")
        eq(r.summary["guest_results"][0]["console_dom"], 1, "the result is domain 1's")
        eq(len(r.summary["disk_cases"]), 1, "the disk case is kept for the disk section")
        eq(report._guest_results(exp, [r]), {}, "disk lines are not in the generic table")
    finally:
        shutil.rmtree(d, ignore_errors=True)
