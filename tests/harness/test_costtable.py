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


def test_tlb_levels():
    t = C.load(os.path.join(REPO, "costs", "amd-zen4.toml"))
    eq(t.plugin_tlb_arg(), "amd-zen4:64:64:72:72:3072:12", "plugin argument")
    i = GOOD.index("[tlb.l2]")
    refused(GOOD[:i], "tlb.l2", "missing")
    refused(GOOD + '\n[tlb.l3]\nentries = 1\nways = 1\nsource = "x"\n', "tlb.l3",
            "unknown TLB level")
    refused(GOOD.replace("entries = 3072", "entries = 3001"), "tlb.l2.entries",
            "not a multiple of 12 ways")
    refused(GOOD.replace("entries = 72", "entries = -72"), "tlb.l1d.entries", "out of range")
    refused(GOOD.replace("entries = 72", "entries = 7.5"), "tlb.l1d.entries", "not an integer")
    refused(GOOD.replace("ways = 64", "ways = 64\nlatency = 1"), "tlb.l1i.latency",
            "unknown field")
    j = GOOD.index("source", i)
    refused(GOOD[:j], "tlb.l2.source", "no source")


def test_new_cost_keys():
    for k in ("stlb_hit", "walk_ref", "invlpg", "mem_remote"):
        s = GOOD.index(f"[costs.{k}]")
        e = GOOD.index("\n[", s + 1)
        refused(GOOD[:s] + GOOD[e + 1:], f"costs.{k}", "missing")
    refused(GOOD.replace("cycles = 8.0", "cycles = -1"), "costs.walk_ref.cycles",
            "negative cost -1")


def test_modelled_cycles_by_category():
    from hvlab import costmodel as M
    t = C.load(os.path.join(REPO, "costs", "amd-zen4.toml"))
    tlb = {"dtlb_l2_hits": 10, "itlb_l2_hits": 0, "walk_refs": 240,
           **{f"walks_{a}_{b}_{c}": 0 for a in "di" for b in ("1d", "2d") for c in ("4k", "2m")}}
    zero = dict.fromkeys(tlb, 0)

    def entry(who, dom, gi, hi, vmexit=0):
        gt = tlb if who == "vcpu" else zero
        c = {"who": who, "guest_insns": gi, "hv_insns": hi, "guest_mem": 0, "hv_mem": 0,
             "vmrun": vmexit, "vmexit": vmexit, "syscall": 0, "sysret": 0, "vmmcall": 0,
             "guest_iret": 0, "hv_iret": 0, "switches_in": 1, "guest_entries": 0,
             "hv_entries": 0, "tlb": {"amd-zen4": {"guest": gt, "hv": zero}}}
        for m in ("guest", "hv"):
            c.update({f"{m}_cr3": 0, f"{m}_invlpg": 0, f"{m}_mem_local": 0,
                      f"{m}_mem_remote": 0, f"{m}_mem_remote_slit": 0})
        c["guest_mem_remote_slit"] = 22 if dom == 1 else 0      # two accesses at 21
        if dom is not None:
            c["domain"], c["vcpu"] = dom, 0
        return c

    counts = [entry("vcpu", 0, 100, 1000), entry("vcpu", 1, 500, 200, vmexit=3),
              entry("idle", None, 0, 50)]
    m = M.modelled_cycles(counts, t)
    guest_tlb = 10 * 7.0 + 240 * 8.0
    eq(m["dom0"], 100 + guest_tlb, "dom0: its guest mode")
    eq(m["guest"], 500 + guest_tlb + 2 * 6.0, "guest: domU guest mode with 2 remote")
    eq(m["hypervisor/world_switch"], 3 * 1360.0, "world switches")
    eq(m["hypervisor/code"], 1000 + 200, "hypervisor code")
    eq(m["idle"], 50, "idle apart")
    eq(m["total"], sum(v for k, v in m.items() if k != "total"), "total")
    raises(KeyError, lambda: M.modelled_cycles(counts, C.load(
        os.path.join(REPO, "costs", "intel-spr.toml"))), "no TLB model for the table",
        contains=("intel-spr",))
