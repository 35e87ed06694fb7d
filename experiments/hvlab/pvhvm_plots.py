"""The PV-vs-HVM report's figures (gnuplot, through plots.py's writer and renderer):
normalised bars per row (native = 1), in path length and in modelled cycles per cost
table, and the stacked breakdown of one operation (guest, hypervisor by exit or
hypercall reason, dom0). A cell that failed or does not apply has no bar ("?" in the
data file); the table in README.md says why."""
from __future__ import annotations

from . import plots
from .pvhvm_run import NOT_A_BASE
from .plots import COMMON, Plot, _q

BAR_MODES = ("pv", "hvm", "pvhvm")
MAX_PARTS = 7           # breakdown components drawn; the rest join "hv other"


def _ratio_rows(cells, figs, key, base_mode):
    rows, seen = [], []
    for c in cells:
        if c["row"] not in seen:
            seen.append(c["row"])
    for row in seen:
        base = figs.get((row, base_mode), {}).get(key)
        if not base or (row, base_mode) in NOT_A_BASE:
            continue
        vals = []
        for m in BAR_MODES:
            v = figs.get((row, m), {}).get(key)
            vals.append("?" if v is None else round(v / base, 4))
        if any(v != "?" for v in vals):
            rows.append([row, *vals])
    return rows


def _norm_bars(plot_dir, name, title, caption, rows, ylabel) -> Plot:
    dat = plots._write(plot_dir, name, "row\t" + "\t".join(BAR_MODES), rows)
    # A missing value ("?": failed or n/a) is drawn at 1e-9, below the y range.
    return plots.cluster_bars(
        plot_dir, Plot(name, title, caption), ylabel, dat, BAR_MODES, missing="1e-9",
        yrange="[0.5:*]", rotate=-30, size=(1000, 500),
        extra="set logscale y\nset arrow from graph 0, first 1 to graph 1, first 1 "
              "nohead lc rgb '#000000' dt 2\n")


def draw(plot_dir, cells, figs, tables, parts) -> list[Plot]:
    out = []
    metrics = [("path", "path", "path length",
                "Path length: instructions per operation executed by the guest, the "
                "hypervisor and dom0 (QEMU -icount, counted by the cost-model plugin; idle "
                "pCPUs left out), each mode over native's; log scale, dashed line = native.")]
    for t in tables:
        slug = "cycles-" + "".join(ch if ch.isalnum() else "-" for ch in t.name.lower())
        metrics.append((slug, t.name, f"modelled cycles, {t.name}",
                        f"Modelled cycles per operation with the cost table {t.path} "
                        f"({t.name}): the plugin's event counts per operation times the "
                        "table's cost per event, each mode over native's; log scale."))
    for slug, key, what, caption in metrics:
        rows = _ratio_rows(cells, figs, key, "native")
        if rows:
            out.append(_norm_bars(plot_dir, f"norm-{slug}", f"{what}, native = 1", caption,
                                  rows, f"{what} / native"))
    rows = [r for r in _ratio_rows(cells, figs, "path", "pv")
            if figs.get((r[0], "native")) is None or (r[0], "native") in NOT_A_BASE]
    if rows:
        out.append(_norm_bars(plot_dir, "norm-pv-path", "path length, PV = 1 (no native base)",
                              "Rows without a usable native cell (two domains, a driver the "
                              "native build lacks, or a native figure that follows host "
                              "timing): path length as in the first figure, over PV's.", rows, "path length / PV"))
    if parts:
        out.append(_breakdown(plot_dir, parts))
    return out


def _breakdown(plot_dir, parts) -> Plot:
    totals: dict[str, float] = {}
    for _, p in parts:
        for k, v in p.items():
            if k not in ("guest", "dom0", "hv other"):
                totals[k] = totals.get(k, 0.0) + v
    top = [k for k, _ in sorted(totals.items(), key=lambda x: (-x[1], x[0]))][:MAX_PARTS]
    cols = ["guest", *top, "hv other", "dom0"]
    rows = []
    for label, p in parts:
        tot = sum(max(v, 0.0) for v in p.values()) or 1.0
        other = sum(v for k, v in p.items() if k.startswith("hv ") and k not in top)
        vals = {**p, "hv other": other}
        rows.append([f"{label} ({tot:,.0f})",
                     *[round(100 * max(vals.get(k, 0.0), 0.0) / tot, 3) for k in cols]])
    dat = plots._write(plot_dir, "breakdown", "cell\t" + "\t".join(cols), rows)
    body = (COMMON + "set termoption noenhanced\n"
            "set title 'Where one operation goes: percent of its instructions'\n"
            "set ylabel 'percent of the path length'\nset style data histogram\n"
            "set style histogram rowstacked\nset style fill solid 0.85 border -1\n"
            "set boxwidth 0.8\nset yrange [0:100]\nset xtics rotate by -45 font ',8'\n"
            "plot " + ", \\\n     ".join(
                (f"{_q(dat)} using 2:xtic(1)" if i == 0 else f"'' using {i + 2}")
                + f" title {_q(k)} lc rgb {_q(plots.PALETTE[i % len(plots.PALETTE)])}"
                for i, k in enumerate(cols)))
    cap = ("One operation's instructions (the plugin's counts per operation: guest + "
           "hypervisor + dom0, idle pCPUs left out, the case's untimed part included) "
           "split into the guest's, the hypervisor's by exit or hypercall reason in "
           "proportion to their path totals in the traced run of the same cell (hlt left "
           "out: blocked time), what no reason covers (hv other: interrupt and event "
           "delivery, scheduling, PV trap bounces), and dom0's; in percent, the label "
           "giving the total. Native bars are the case's own timing, all guest.")
    return plots._render(plot_dir, Plot("breakdown", "Breakdown per operation", cap), body,
                         size=(1400, 600))
