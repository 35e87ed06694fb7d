"""VM exits of HVM domains: xenalyze's HVM summary from TRC_HVM_EXIT / TRC_HVM_ENTRY.

The hypervisor writes TRC_HVM_EXIT (data0: exit code << 32 | exitinfo1) when a vCPU
leaves the guest and TRC_HVM_ENTRY (data0: the exit code it resumes from, data1: the
TSC from that exit to this VMRUN) just before it re-enters. An exit and the next entry
of the same vCPU are a pair, whichever pCPUs wrote them (the vCPU may move while it is
out); the path length is the entry's data1, measured by the hypervisor on one pCPU, so
it does not depend on two pCPUs' TSCs agreeing. It includes any time the vCPU spent
switched out or blocked (a HLT exit lasts until the vCPU runs again).

Per domain and exit reason: exits (every TRC_HVM_EXIT), paths (exits whose entry was
seen), the total, p5/p50/p95 (nearest rank, stats.percentile) and max path, in TSC
ticks: instructions under icount. Edges are counted, not guessed: an entry whose exit
came before the trace started is unmatched; an exit still open at the end (a halted
vCPU at trace stop, a crashed domain) is open_at_end; an exit followed by another exit
of the same vCPU without an entry (which the hypervisor never writes) is
without_entry.
"""
from __future__ import annotations

from collections import defaultdict

from . import stats

# include/hvlab/x86/vmcb.h VMEXIT_* (the single codes; tests/harness/test_tables.py
# compares). Exceptions, CR and DR accesses are ranges, named in exit_name().
EXIT_CODES = {
    0x060: "intr", 0x061: "nmi", 0x062: "smi", 0x063: "init", 0x064: "vintr",
    0x065: "cr0_sel_write", 0x06e: "rdtsc", 0x06f: "rdpmc", 0x070: "pushf", 0x071: "popf",
    0x072: "cpuid", 0x073: "rsm", 0x074: "iret", 0x075: "swint", 0x076: "invd",
    0x077: "pause", 0x078: "hlt", 0x079: "invlpg", 0x07a: "invlpga", 0x07b: "ioio",
    0x07c: "msr", 0x07d: "task_switch", 0x07e: "ferr_freeze", 0x07f: "shutdown",
    0x080: "vmrun", 0x081: "vmmcall", 0x082: "vmload", 0x083: "vmsave", 0x084: "stgi",
    0x085: "clgi", 0x086: "skinit", 0x087: "rdtscp", 0x088: "icebp", 0x089: "wbinvd",
    0x08a: "monitor", 0x08b: "mwait", 0x08c: "mwait_cond", 0x08d: "xsetbv", 0x400: "npf",
}
EXC_BASE, CR_READ, CR_WRITE, DR_READ, DR_WRITE = 0x040, 0x000, 0x010, 0x020, 0x030
INVALID = 0xFFFFFFFF
# Architectural exception mnemonics by vector (SDM / APM volume 2, 8.2).
EXCEPTIONS = {0: "de", 1: "db", 2: "nmi", 3: "bp", 4: "of", 5: "br", 6: "ud", 7: "nm",
              8: "df", 10: "ts", 11: "np", 12: "ss", 13: "gp", 14: "pf", 16: "mf",
              17: "ac", 18: "mc", 19: "xm", 20: "ve", 21: "cp"}


def exit_code(data0: int) -> int:
    """The SVM exit code a TRC_HVM_EXIT record carries (data0 bits 63:32)."""
    return (data0 >> 32) & 0xFFFFFFFF


def exit_name(code: int) -> str:
    """Report name of an SVM exit code: "cpuid", "exc_pf", "cr3_write", "invalid";
    a code hvlab's tables do not name is "exit0x<hex>"."""
    code &= 0xFFFFFFFF              # VMEXIT_INVALID reads back with its top half clear
    if code == INVALID:
        return "invalid"
    if code in EXIT_CODES:
        return EXIT_CODES[code]
    if EXC_BASE <= code < EXC_BASE + 32:
        v = code - EXC_BASE
        return f"exc_{EXCEPTIONS[v]}" if v in EXCEPTIONS else f"exc{v}"
    for base, what in ((CR_READ, "cr{}_read"), (CR_WRITE, "cr{}_write"),
                       (DR_READ, "dr{}_read"), (DR_WRITE, "dr{}_write")):
        if base <= code < base + 16:
            return what.format(code - base)
    return f"exit{code:#x}"


def path_dist(paths: list[int]) -> dict:
    """n, total, p5, p50, p95, max of path lengths (TSC ticks); null stats when n=0."""
    v = sorted(paths)
    out = {"n": len(v), "total": sum(v)}
    for p in (5, 50, 95):
        out[f"p{p}"] = stats.percentile(v, p) if v else None
    out["max"] = v[-1] if v else None
    return out


class ExitCounter:
    """Fed every TRC_HVM_EXIT / TRC_HVM_ENTRY record in TSC order (analyze.py)."""

    def __init__(self):
        self.open: dict[tuple[int, int], tuple[int, int]] = {}   # vCPU -> (code, tsc)
        self.exits: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.paths: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        self.unmatched = self.without_entry = 0

    def exit(self, dom: int, vcpu: int, tsc: int, data0: int) -> None:
        code = exit_code(data0)
        if (dom, vcpu) in self.open:
            self.without_entry += 1
        self.open[(dom, vcpu)] = (code, tsc)
        self.exits[dom][code] += 1

    def entry(self, dom: int, vcpu: int, data0: int, data1: int) -> None:
        pending = self.open.pop((dom, vcpu), None)
        if pending is None or pending[0] != data0 & 0xFFFFFFFF:
            self.unmatched += 1
            return
        self.paths[dom][pending[0]].append(data1)

    def integrity(self) -> dict:
        return {"hvm_unmatched_entries": self.unmatched,
                "hvm_open_at_end": len(self.open),
                "hvm_exits_without_entry": self.without_entry}

    def summary(self, dom_key) -> dict:
        """dom key -> {"exits": total, "by_reason": {name: {code, exits, path_tsc}}},
        reasons by exit count, most frequent first (xenalyze's order), then by code."""
        out = {}
        for dom in sorted(self.exits):
            codes = sorted(self.exits[dom], key=lambda c: (-self.exits[dom][c], c))
            out[dom_key(dom)] = {
                "exits": sum(self.exits[dom].values()),
                "by_reason": {exit_name(c): {"code": f"{c:#x}", "exits": self.exits[dom][c],
                                             "path_tsc": path_dist(self.paths[dom][c])}
                              for c in codes}}
        return out
