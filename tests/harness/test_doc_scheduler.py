"""docs/writing-a-scheduler.md, host part: the doc's own code blocks (sched/stride.c,
its sched.mk line) applied to a scratch copy of the tree build, and the doc's host
commands run its property tests there. Passing means that following the page alone
adds a policy with a parameter in one file and one Makefile line, and that the weight
cases pick it by its declared "weight" (before declarations, they ran only for policies
named credit or credit2, and the page's code had no way to declare a parameter)."""
from __future__ import annotations

import re
import tempfile

from check import check

import docwalk


def test_doc_policy_on_the_host():
    with tempfile.TemporaryDirectory(prefix="hvlab-docwalk-") as d:
        tree = f"{d}/tree"
        bl = docwalk.scratch(tree)
        files = [b.attrs["file"] for b in bl if "file" in b.attrs]
        check("sched/stride.c" in files and "sched/sched.mk" in files,
              f"the doc gives the policy file and its Makefile line: {files}")
        cmds = docwalk.commands(bl, "host")
        check(len(cmds) >= 2, f"the doc gives host commands: {cmds}")
        out = ""
        for c in cmds:
            p = docwalk.run(c, tree, 300)
            out += p.stdout + p.stderr
            check(p.returncode == 0, f"'{c}' exited {p.returncode}:\n{(p.stdout + p.stderr)[-3000:]}")
        p = docwalk.run("make -s sched-policies", tree, 60)
        check("stride" in p.stdout.split(), f"the build finds the policy: {p.stdout!r}")
        for case in ("weights_1_2_4", "weights_at_limit"):
            check(f"FAIL {case}" not in out, f"{case} passes under stride:\n{out[-3000:]}")
        shares = re.findall(r"stride: shares .*", out)
        check(len(shares) >= 4 and "skip stride: no weights" not in out,
              f"the weight cases ran on stride, chosen by its declared weight: {shares}")
        # Whatever its ops table is called (before, only <file>_ops was found, and
        # a policy named otherwise was silently left untested).
        with open(f"{tree}/sched/stride.c") as f:
            odd = f.read().replace("stride_ops", "my_policy").replace('"stride"', '"odd"')
        # ... and with a trace subclass of its own, stated in its file only (before,
        # a new SCHED_ID_* in domctl.h failed the decoder's table test until
        # experiments/hvlab/trace.py was edited too).
        odd = odd.replace('    .name = "odd",', '    .name = "odd",\n    .sched_id = 42,')
        with open(f"{tree}/sched/odd.c", "w") as f:
            f.write(odd)
        p = docwalk.run("make -s sched-policies", tree, 60)
        check("odd" in p.stdout.split(), f"a policy whose ops are not odd_ops is found: "
              f"{p.stdout!r}")
        p = docwalk.run("make -s build/unit/sched_random_odd && build/unit/sched_random_odd",
                        tree, 300)
        check(p.returncode == 0 and re.search(r"test_random\.c \(odd\): [1-9]\d* passed, 0 failed", p.stdout),
              f"and tested:\n{(p.stdout + p.stderr)[-2000:]}")
        p = docwalk.run("python3 -c 'import sys; sys.path.insert(0, \"tests/harness\"); "
                        "import test_tables as t; t.test_scheduler_ids(); "
                        "print(t.T.SCHED_IDS[\"odd\"])'", tree, 120)
        check(p.returncode == 0 and p.stdout.split()[-1:] == ["42"],
              f"the decoder names subclass 42 'odd' with no table edited:\n"
              f"{(p.stdout + p.stderr)[-2000:]}")
        # Counts of cases grow with the suites: what matters is that none fails.
        check(re.search(r"test_props\.c \(stride\): [1-9]\d* passed, 0 failed", out) and
              re.search(r"test_random\.c \(stride\): [1-9]\d* passed, 0 failed", out),
              f"every property and random case passes:\n{out[-2000:]}")
