"""Console parsing: result lines, domain names, the scenario's outcome."""
from __future__ import annotations

from check import eq

from hvlab import console

LOG = """\
hvlab: x86-64 hypervisor
[   0.091000] domain 1 (hog1): created, 1 vCPU
[   0.091100] domain 2 (sleepy): created, 1 vCPU
[   0.365766] (d1) result bench=cpuloop dom=1 iters=17860000 ms=300 ns=314329470
[   0.365800] (d2) result bench=sleeper dom=2 lat_avg_ns=12.5 note=late
result bench=native x=1
[   0.401893] (d0) scenario: done
"""


def test_results_and_names():
    c = console.parse(LOG)
    eq(c["domains"], {1: "hog1", 2: "sleepy"}, "domain names")
    eq(c["results"][0], {"bench": "cpuloop", "dom": 1, "iters": 17860000, "ms": 300,
                         "ns": 314329470, "console_dom": 1}, "a cpuloop result, numbers typed")
    eq(c["results"][1]["lat_avg_ns"], 12.5, "decimals become floats")
    eq(c["results"][1]["note"], "late", "other values stay strings")
    eq(c["results"][2], {"bench": "native", "x": 1}, "a line without prefixes")
    eq(c["scenario"], "done", "scenario outcome")


def test_selftest_domain_is_not_a_run_domain():
    log = ("[   0.021180] domain 1023 (selftest): created, 2 vCPUs, 64000 frames free before\n"
           "[   0.021253] domain 1023 (selftest): destroyed, 0 frames returned, 64000 free\n"
           "[   0.021300] hvlab: boot complete in 21300 us (NOW)\n"
           "[   0.021400] domain 0 (Domain-0): created, 1 vCPU, 63000 frames free before\n"
           "[   0.091000] domain 1 (hog1): created, 1 vCPU\n")
    eq(console.parse(log)["domains"], {0: "Domain-0", 1: "hog1"}, "domain names")


def test_cfg_file_errors():
    c = console.parse("[   0.019997] (d0) bad.cfg:5: unknown key 'frobnicate'\n"
                      "[   0.020003] (d0) scenario:4: create bad.cfg: the cfg file has problems\n"
                      "[   0.020007] (d0) scenario: failed\n")
    eq(c["errors"], ["bad.cfg:5: unknown key 'frobnicate'",
                     "scenario:4: create bad.cfg: the cfg file has problems"], "both lines")


def test_failed_scenario():
    c = console.parse("(d0) scenario: scenario:3: 'trace start' failed: ENOSYS\n"
                      "(d0) scenario: failed\n")
    eq(c["scenario"], "failed", "failed")
    eq(c["errors"], ["scenario: scenario:3: 'trace start' failed: ENOSYS"], "the error line")
    eq(console.parse("")["scenario"], "unfinished", "no output")
