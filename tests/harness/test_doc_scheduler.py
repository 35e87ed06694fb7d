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
        check("test_props.c (stride): 12 passed, 0 failed" in out and
              "test_random.c (stride): 6 passed, 0 failed" in out,
              f"every property and random case passes:\n{out[-2000:]}")
