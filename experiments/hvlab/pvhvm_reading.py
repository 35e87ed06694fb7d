"""The PV-vs-HVM report's words: how every figure was measured, and a short reading of
the measured figures against published anchors. Every number in the reading comes
from the figures of this run (a missing cell is said to be missing, never guessed);
the anchors are cited with their source."""
from __future__ import annotations

from .pvhvm_run import reasons_per_op

ANCHORS = [
    ("xen03", "P. Barham et al., \"Xen and the Art of Virtualization\", SOSP 2003: "
              "XenoLinux (PV) within a few percent of native Linux on macrobenchmarks: "
              "a Linux kernel build about 3% slower, SPECweb99 within 1%; in its "
              "lmbench tables the process and memory rows (fork, exec, page faults) are "
              "where XenoLinux is clearly slower than native."),
    ("adams06", "K. Adams and O. Agesen, \"A Comparison of Software and Hardware "
                "Techniques for x86 Virtualization\", ASPLOS 2006: first-generation "
                "hardware virtualization rarely beat software techniques, the cause "
                "being VMM/guest transition costs; page-table updates, context switches "
                "and I/O cost very differently natively, under a software VMM and under "
                "a hardware VMM."),
    ("roth20", "M. Roth, LKML, 2020-12, 'KVM: SVM: use vmsave/vmload for saving/"
               "restoring additional host state' "
               "(https://lkml.iu.edu/hypermail/linux/kernel/2012.2/00527.html): RDTSC "
               "around VMRUN on an AMD EPYC host, 1,344-1,376 cycles from VMRUN to the "
               "instruction after it (one world-switch round trip): the AMD table's "
               "world_switch."),
]

REASONS_METHOD = (
    "From each hypervisor-mode cell's traced runs (N operations and 1, trace classes "
    "hcall and hvm): every hypercall and VM exit of the benchmark's domains, by reason, "
    "that the operation itself makes (per op: (count at N - count at 1) / (N - 1), "
    "shown when at least 0.01: the rest is set-up); at N: the count n and the 5th, "
    "50th and 95th percentile of its path length in instructions "
    "(TRC_HCALL_ENTRY..EXIT, and TRC_HVM_EXIT to the next TRC_HVM_ENTRY of the vCPU, "
    "docs/trace-format.md; nearest rank). The path includes the trace's own records "
    "(about 72 instructions each, results/trace-overhead.md) and, for hlt and blocking "
    "hypercalls, the time the vCPU was blocked. The modelled column is one round trip "
    "with the p50 path: p50 x base_cpi plus the transition's hardware cost from the "
    "table (world_switch for an HVM exit or VMMCALL; syscall + iret for a PV "
    "hypercall; an HVM domain's hypercall is inside its vmmcall exit, priced there): "
    "under TCG the transition itself is nearly free.")


def method(doc: dict, tables: list) -> list[str]:
    spec = doc.get("spec", {})
    its = ", ".join(f"{k} {v}" for k, v in sorted(spec.get("iters", {}).items()))
    L = [
        "All runs are deterministic: QEMU 7.2 TCG with `-icount shift=0,sleep=off`, 2 "
        "pCPUs, 1 NUMA node, hvlab's credit scheduler. Four modes of one source: "
        "**native** (the HVM build booted by QEMU with no hypervisor), **pv** (the PV "
        "build, a domU), **hvm** (the HVM build, SVM + nested paging, no PV driver) and "
        "**pvhvm** (the HVM build using PV drivers and event channels through the "
        "callback vector).",
        "",
        "- **Path length** (instructions per operation). Microbenchmarks: the case's "
        "own timing of its loop (guest time under icount: instructions of the whole "
        "machine; docs/microbenchmarks.md). Other rows: counted by the cost-model TCG "
        "plugin (tools/costmodel, docs/cost-model.md) over every vCPU of every domain "
        "(guest and hypervisor instructions, dom0 included, idle pCPUs left out; "
        "natively the whole machine). Each cell runs twice, with N operations and with "
        "1, and the plugin's counts per operation are (counts(N) - counts(1)) / (N - 1): "
        "boot, domain creation and the case's set-up cancel out.",
        "- **Modelled cycles**: the path length times the table's base_cpi, plus the "
        "plugin's other events per operation (memory accesses, #VMEXITs, SYSCALLs, "
        "IRETs, exception/interrupt entries, and any further event the plugin counts) "
        "times each event's cost in the cost table named (" + ", ".join(
            f"`{t.path}`" for t in tables) + "). A microbenchmark's events include what "
        "the case does untimed per operation (pagefault's unmapping hypercall).",
        "- **Guest timing** of the other rows (figures.json `guest_per_op`): ping-pong's "
        "mean round trip, net's median round trip, disk's elapsed time per request; "
        "they include the other pCPU's and idle time, so the table uses the plugin's.",
        f"- N: micro cases {its or 'the defaults'} (others 50); ping-pong "
        f"{spec.get('pingpong_rounds', '?')} rounds; disk {spec.get('disk_reqs', '?')} "
        "requests per case over the benchmark's 8 cases (one operation = one 4 KiB "
        f"request, mixed reads and writes at depth 1 and 32); net "
        f"{spec.get('net_rounds', '?')} round trips of a 64-byte frame.",
        "- Disk runs are not bit-identical: QEMU completes virtio-blk requests on host "
        "threads (docs/native-disk.md), so a re-run moves the disk rows slightly.",
    ]
    return L


def _get(figs, row, mode, key="path"):
    return figs.get((row, mode), {}).get(key)


def _ratio(figs, row, mode, key="path", base="native"):
    a, b = _get(figs, row, mode, key), _get(figs, row, base, key)
    return a / b if a is not None and b else None


def _x(v) -> str:
    return "n/a (cell missing or failed)" if v is None else f"{v:.2f}×"


def _n(v) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def reading(cells: list[dict], figs: dict, tables: list) -> list[str]:
    t0 = tables[0].name if tables else None
    L = []
    # 1. World switches: the model's biggest correction.
    p, h = _ratio(figs, "null", "hvm"), _ratio(figs, "null", "hvm", t0) if t0 else None
    pp = _ratio(figs, "null", "pv")
    pm = _ratio(figs, "null", "pv", t0) if t0 else None
    L.append(
        f"- **Exits are where the model matters.** The null call costs HVM "
        f"{_x(p)} native in path length but {_x(h)} in modelled cycles ({t0}); PV's "
        f"SYSCALL path is {_x(pp)} in path length and {_x(pm)} modelled. Under TCG a VMRUN/#VMEXIT pair is "
        "about 110 instructions; the cost tables charge it "
        + ", ".join(f"{t.cycles.get('world_switch', 0):,.0f} cycles ({t.name})" for t in tables)
        + ", from RDTSC measurements such as [roth20]. The ioport row (one IOIO exit "
        f"emulated by the hypervisor) goes from {_x(_ratio(figs, 'ioport', 'hvm'))} to "
        + (f"{_x(_ratio(figs, 'ioport', 'hvm', t0))}" if t0 else "n/a") + " native.")
    # The TLB model is on when its counts raise HVM's mem4k above its path length.
    tlb = _ratio(figs, "mem4k", "hvm", t0) if t0 else None
    tlb_on = tlb is not None and _ratio(figs, "mem4k", "hvm") is not None and \
        tlb > _ratio(figs, "mem4k", "hvm") + 0.05
    # 2. PV's MMU.
    L.append(
        f"- **PV pays for its MMU, HVM does not.** ptupdate PV {_x(_ratio(figs, 'ptupdate', 'pv'))}"
        f" vs HVM {_x(_ratio(figs, 'ptupdate', 'hvm'))}; forkas (address-space create and "
        f"tear-down) PV {_x(_ratio(figs, 'forkas', 'pv'))} vs HVM "
        f"{_x(_ratio(figs, 'forkas', 'hvm'))}; pagefault PV "
        f"{_x(_ratio(figs, 'pagefault', 'pv'))} vs HVM {_x(_ratio(figs, 'pagefault', 'hvm'))}"
        " (path length). With nested paging the guest writes its own page tables and "
        "takes its own faults; PV validates every update in the hypervisor. [xen03] saw "
        "the same shape in lmbench (fork, exec, page faults slower than native) and "
        "[adams06] the reverse trade for hardware VMMs; "
        + (f"in modelled cycles the TLB model prices the nested (two-dimensional) walk "
           f"HVM pays on a TLB miss: pagefault HVM {_x(_ratio(figs, 'pagefault', 'hvm', t0))}, "
           f"forkas HVM {_x(_ratio(figs, 'forkas', 'hvm', t0))} ({t0})." if tlb_on else
           "this model does not price the nested (two-dimensional) walk that HVM pays "
           "on a TLB miss here (no TLB counts in these runs), so HVM's MMU rows are a "
           "lower bound."))
    # 3. CPU-bound work and the macrobenchmark anchors.
    c = {m: _ratio(figs, "cpu", m) for m in ("pv", "hvm")}
    mem = {m: _ratio(figs, "mem4k", m) for m in ("pv", "hvm")}
    L.append(
        f"- **CPU-bound work runs at native speed in every mode**: cpu PV {_x(c['pv'])}, "
        f"HVM {_x(c['hvm'])}; mem4k PV {_x(mem['pv'])}, HVM {_x(mem['hvm'])}. This is the "
        "regime of [xen03]'s macrobenchmarks (kernel build about +3%, SPECweb99 within "
        "1%): their overhead is the MMU and I/O rows above weighted by how often a real "
        "workload uses them. The model agrees in direction: a workload made of cpu and "
        "mem4k operations is within a few percent of native in both modes. "
        + (f"Path length hides the TLB (TCG's softmmu charges no miss); the TLB model "
           f"prices HVM's two-dimensional walks on this TLB-hostile loop: mem4k HVM "
           f"{_x(tlb)} vs PV {_x(_ratio(figs, 'mem4k', 'pv', t0))}, mem2m HVM "
           f"{_x(_ratio(figs, 'mem2m', 'hvm', t0))} ({t0}); every nested mapping of an "
           "HVM domain is 4 KiB (its frames never come in aligned 2 MiB runs), so 2 MiB "
           "guest pages only shorten its walks." if tlb_on else
           "It differs in that mem4k/mem2m show no TLB effect (TCG's softmmu has no "
           "TLB cost and these runs have no TLB counts), where real hardware would show "
           "HVM's two-dimensional walks on this TLB-hostile loop."))
    # 4. Events and I/O.
    pg = {m: _get(figs, "pingpong", m) for m in ("pv", "pvhvm")}
    byc = {(c["row"], c["mode"]): c for c in cells if c["status"] == "ok"}
    pc = byc.get(("pingpong", "pvhvm"), {})
    ex = (pc.get("per_op") or {}).get("all", {}).get("vmexit")
    per = reasons_per_op(pc) if pc else {}
    top = sorted(((r["n"], k) for k, r in per.items() if k.startswith("exit ")),
                 reverse=True)[:3]
    tops = ", ".join(f"{k.removeprefix('exit ')} {n:.1f}" for n, k in top)
    dk = {m: _get(figs, "disk", m) for m in ("pv", "hvm", "pvhvm")}
    rel = (f"HVM's emulated ATA {_x(dk['hvm'] / dk['pv'])} and PVHVM's blkfront "
           f"{_x(dk['pvhvm'] / dk['pv'])} PV's" if dk["pv"] and dk["hvm"] and dk["pvhvm"]
           else "n/a (a disk cell is missing or failed)")
    L.append(
        f"- **Events and I/O**: an event-channel round trip between two domains costs "
        f"{_n(pg['pv'])} instructions PV and {_n(pg['pvhvm'])} PVHVM, whose round trip "
        f"takes {'n/a' if ex is None else f'{ex:.1f}'} #VMEXITs (by reason, from the "
        f"traced runs: {tops or 'n/a'}), each priced as a world switch by the model. Disk "
        f"per 4 KiB request (instructions of guest, hypervisor and dom0): {rel}: the "
        "emulated disk's port accesses exit to the hypervisor and dom0's device model, "
        "the PV drivers exchange grants and events over shared rings, [adams06]'s I/O point and the "
        "reason PVHVM exists.")
    L.append("")
    L.append("Where the model differs from real parts, and why: it counts instructions "
             "at base_cpi (one cycle each, an estimate) and prices the transitions it "
             "sees; it has no caches, so the memory rows cost what their instructions "
             "cost; and the timer, IPI and event rows include the hypervisor's own "
             "instruction paths, which are hvlab's (a small teaching hypervisor), not "
             "Xen's. Ratios are therefore statements about mechanisms, not predictions "
             "of a production system's percentages.")
    L.append("")
    L += ["Sources:", ""] + [f"- [{k}] {v}" for k, v in ANCHORS]
    return L
