#!/usr/bin/env python3
"""The cost-model plugin (docs/cost-model.md) against the trace of the same run.

Runs experiments/pv-vs-hvm.toml (a PV and an HVM cpuloop, a PV and an HVM sleeper,
traced, deterministic) twice under the plugin and once without it, and checks:
  undisturbed    the trace and console of runs with and without are byte for byte the same
  repeatable     the two runs' counts files are byte for byte the same, and both ended
                 at the hypervisor's stop hint (its power-off request)
  complete       the trace lost no records (else counts cannot be compared)
  per domU (their whole lives lie inside `trace start` ... `trace stop`; dom0's do not):
    PV           SYSCALLs = TRC_HCALL_ENTRY records
    HVM          VMMCALLs = TRC_HCALL_ENTRY; #VMEXITs = TRC_HVM_EXIT; VMRUNs =
                 TRC_HVM_ENTRY + vCPUs entered (a vCPU's first VMRUN has no ENTRY record)
    attributed   switched in by the hint, guest instructions counted, no VMRUN in a PV
                 domain and no SYSCALL in an HVM one
    entries      the PV cpuloop takes interrupts in guest mode; the HVM guests none (a
                 physical interrupt exits the guest and is taken in the hypervisor)
  model          modelled cycles with each cost table in costs/ are positive, and the
                 HVM cpuloop's world switches are priced at its #VMEXITs x world_switch
Skipped, saying why, when the installed QEMU cannot load plugins (make costmodel).
Last line: "cost model tests: N passed, N failed"."""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "experiments"))
sys.path.insert(0, os.path.dirname(__file__))
from harness_run import report  # noqa: E402
from hvlab import costmodel, costtable, experiment, run  # noqa: E402
from hvlab import trace as T  # noqa: E402

EXPERIMENT = os.path.join(ROOT, "experiments", "pv-vs-hvm.toml")
HVM_ENTRY, HVM_EXIT = T.EV["hvm_entry"], T.EV["hvm_exit"]


def run_once(exp, out: str, plugin: bool) -> tuple[dict, str]:
    cfg = experiment.Config(0, exp.schedulers[0], 1, "r1")
    extra = costmodel.plugin_args(os.path.join(out, "counts.json")) if plugin else []
    rd = os.path.join(out, "run")
    return run.run_one(exp, cfg, rd, extra_qemu=extra), rd


def same_file(a: str, b: str) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def stopped(counts_json: str) -> bool:
    with open(counts_json) as f:
        return json.load(f)["stopped"] is True


def main() -> int:
    subprocess.run(["make", "-s", "-C", ROOT, "costmodel"], check=True)   # plugin, probe
    status = costmodel.plugin_status()
    if status != "yes":
        print(f"SKIP cost model tests: QEMU cannot load the cost-model plugin ({status})")
        return 0
    exp = experiment.load(EXPERIMENT)
    checks = []
    tmp = tempfile.mkdtemp(prefix="costmodel-")
    try:
        with_dir, without_dir = os.path.join(tmp, "with"), os.path.join(tmp, "without")
        again_dir = os.path.join(tmp, "again")
        info, rd = run_once(exp, with_dir, True)
        info0, rd0 = run_once(exp, without_dir, False)
        info1, _ = run_once(exp, again_dir, True)
        checks.append(("runs", info["state"] == "ok" and info0["state"] == "ok",
                       f"with plugin: {info['state']}, without: {info0['state']}"))
        if info["state"] != "ok":
            return report("cost model tests", checks)
        for f in ("trace.bin", "console.txt"):
            checks.append((f"undisturbed: {f}", same_file(os.path.join(rd, f),
                                                          os.path.join(rd0, f)),
                           "with and without the plugin"))
        cj, cj1 = (os.path.join(d, "counts.json") for d in (with_dir, again_dir))
        checks.append(("repeatable: counts.json", info1["state"] == "ok" and same_file(cj, cj1),
                       "two runs under the plugin"))
        stops = [stopped(p) for p in (cj, cj1)]
        checks.append(("ended at the stop hint", all(stops), f"stopped: {stops}"))
        counts = costmodel.load_counts(cj)
        per = costmodel.per_domain(counts)
        vcpus_entered = Counter(c["domain"] for c in counts
                                if c["who"] == "vcpu" and c["vmrun"])
        tr = T.read_stream(os.path.join(rd, "trace.bin"))
        ev = Counter()
        for recs in tr.per_cpu:
            for r in recs:
                ev[(r.domid, r.event)] += 1
        lost = sum(n for (d, e), n in ev.items() if e == T.LOST)
        checks.append(("complete", lost == 0, f"{lost} lost-record markers"))
        for i, d in enumerate(exp.domains, start=1):        # dom0 is 0, then file order
            c = per.get(i)
            name = f"{d.name} (dom{i})"
            if c is None:
                checks.append((name, False, "no counts: the hint never named it"))
                continue
            hcalls = ev[(i, T.HCALL_ENTRY)]
            checks.append((f"{name} attributed", c["switches_in"] > 0 and c["guest_insns"] > 0,
                           f"{c['switches_in']} switches in, {c['guest_insns']} guest "
                           f"instructions"))
            if d.type == "hvm":
                checks.append((f"{name} VMMCALL = HCALL_ENTRY", c["vmmcall"] == hcalls,
                               f"{c['vmmcall']} vs {hcalls}"))
                n_exit, n_entry = ev[(i, HVM_EXIT)], ev[(i, HVM_ENTRY)]
                checks.append((f"{name} #VMEXIT = HVM_EXIT", c["vmexit"] == n_exit and n_exit > 0,
                               f"{c['vmexit']} vs {n_exit}"))
                want = n_entry + vcpus_entered[i]
                checks.append((f"{name} VMRUN = HVM_ENTRY + vCPUs entered", c["vmrun"] == want,
                               f"{c['vmrun']} vs {n_entry} + {vcpus_entered[i]}"))
                checks.append((f"{name} no SYSCALL", c["syscall"] == 0, f"{c['syscall']}"))
                checks.append((f"{name} no entries from guest mode", c["guest_entries"] == 0,
                               f"{c['guest_entries']} from guest, {c['hv_entries']} from hv"))
            else:
                checks.append((f"{name} SYSCALL = HCALL_ENTRY", c["syscall"] == hcalls and hcalls > 0,
                               f"{c['syscall']} vs {hcalls}"))
                checks.append((f"{name} no VMRUN", c["vmrun"] == 0, f"{c['vmrun']}"))
                if d.image == "cpuloop":
                    checks.append((f"{name} interrupts taken in guest mode",
                                   c["guest_entries"] > 0, f"{c['guest_entries']}"))
        hvm_loop = next(i for i, d in enumerate(exp.domains, start=1)
                        if d.type == "hvm" and d.image == "cpuloop")
        for p in sorted(glob.glob(os.path.join(ROOT, "costs", "*.toml"))):
            if hvm_loop not in per:
                checks.append((f"model {os.path.basename(p)}", False, "no HVM cpuloop counts"))
                continue
            t = costtable.load(p)
            m = costtable.modelled_cycles(per[hvm_loop], t)
            ok = m["total"] > 0 and \
                m["world_switch"] == per[hvm_loop]["vmexit"] * t.cycles["world_switch"]
            checks.append((f"model {os.path.basename(p)}", ok,
                           f"HVM cpuloop {m['total']:.0f} cycles, {m['world_switch']:.0f} in "
                           "world switches"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report("cost model tests", checks)


if __name__ == "__main__":
    sys.exit(main())
