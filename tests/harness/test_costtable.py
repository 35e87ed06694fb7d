"""The cost-table parser (experiments/hvlab/costtable.py): the shipped tables load;
every kind of bad table is refused naming the file, the key and the problem; modelled
cycles are counts x costs."""
from __future__ import annotations

import glob
import os

from check import REPO, check, eq, raises

from hvlab import costtable as C

GOOD = open(os.path.join(REPO, "costs", "amd-zen4.toml"), encoding="utf-8").read()
P = "costs/x.toml"


def refused(text: str, *contains: str) -> None:
    raises(C.CostTableError, lambda: C.loads(text, P), "bad table refused",
           contains=(P, *contains))


def test_shipped_tables_load():
    paths = sorted(glob.glob(os.path.join(REPO, "costs", "*.toml")))
    check(len(paths) >= 2, f"at least two cost tables, got {paths}")
    vendors = set()
    for p in paths:
        t = C.load(p)
        eq(set(t.cycles), set(C.KEYS), f"{p}: every key")
        check(all(t.sources[k] for k in C.KEYS), f"{p}: every source")
        vendors.add(t.vendor)
    check({"amd", "intel"} <= vendors, f"an AMD and an Intel table: {vendors}")


def test_missing_key():
    start = GOOD.index("[costs.sysret]")
    end = GOOD.index("[costs.iret]")
    refused(GOOD[:start] + GOOD[end:], "costs.sysret", "missing")


def test_unknown_key():
    refused(GOOD + '\n[costs.tlb_miss]\ncycles = 3\nsource = "x"\n', "costs.tlb_miss",
            "unknown key")


def test_unknown_field_and_table():
    refused(GOOD.replace('cycles = 60.0', 'cycles = 60.0\nunit = "ns"'), "costs.iret.unit",
            "unknown field")
    refused(GOOD + "\n[extra]\na = 1\n", "extra", "unknown table")
    refused(GOOD.replace('vendor = "amd"', 'vendor = "amd"\nghz = 3'), "cpu.ghz")


def test_negative_cost():
    refused(GOOD.replace("cycles = 1360.0", "cycles = -5"), "costs.world_switch.cycles",
            "negative cost -5")


def test_not_a_number():
    refused(GOOD.replace("cycles = 1360.0", 'cycles = "lots"'),
            "costs.world_switch.cycles", "not a number")
    refused(GOOD.replace("cycles = 1360.0", "cycles = true"), "costs.world_switch.cycles")
    refused(GOOD.replace("cycles = 1360.0", "cycles = nan"), "not finite")


def test_no_source():
    i = GOOD.index("[costs.syscall]")
    j = GOOD.index("source", i)
    k = GOOD.index("\n", j)
    refused(GOOD[:j] + GOOD[k + 1:], "costs.syscall.source", "no source")
    refused(GOOD[:j] + 'source = "  "' + GOOD[k:], "costs.syscall.source", "no source")


def test_missing_cpu_and_bad_toml():
    refused(GOOD.replace('name = "AMD Zen 4"\n', ""), "cpu.name", "missing")
    refused("[costs\n", "not TOML")


def test_unreadable_file():
    raises(C.CostTableError, lambda: C.load("/nonexistent/x.toml"), "missing file",
           contains=("/nonexistent/x.toml", "cannot read"))


def test_modelled_cycles():
    t = C.loads(GOOD, P)
    counts = {"guest_insns": 1000, "hv_insns": 500, "guest_mem": 300, "hv_mem": 100,
              "vmexit": 2, "syscall": 3, "sysret": 1, "guest_iret": 4, "hv_iret": 1,
              "guest_entries": 6, "hv_entries": 1}
    m = C.modelled_cycles(counts, t)
    eq(m["base_cpi"], 1500 * t.cycles["base_cpi"], "instructions x base_cpi")
    eq(m["world_switch"], 2 * t.cycles["world_switch"], "exits x world_switch")
    eq(m["syscall"], 3 * t.cycles["syscall"], "syscalls x syscall")
    eq(m["iret"], 5 * t.cycles["iret"], "irets x iret")
    eq(m["entry"], 7 * t.cycles["entry"], "entries x entry")
    eq(m["total"], sum(v for k, v in m.items() if k != "total"), "total")
