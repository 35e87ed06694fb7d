"""gnuplot figures: each plot is a data file and a script written side by side in the
plots folder, then run with gnuplot to give <name>.png and <name>.svg. Anyone can
edit the script and re-run `gnuplot <name>.gp` in that folder.

Without gnuplot every function records why nothing was drawn ("plots not generated:
gnuplot not installed"), and the data files and scripts are written all the same.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess

from . import stats

# Colours for domains, in domain order (dom0 first); deterministic, colour-blind-safe.
PALETTE = ("#4d4d4d", "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
           "#f0e442", "#000000", "#999999")


@dataclasses.dataclass
class Plot:
    name: str
    title: str
    caption: str                # what it shows and how it was measured
    error: str | None = None    # why it was not drawn

    @property
    def png(self) -> str:
        return f"{self.name}.png"

    @property
    def svg(self) -> str:
        return f"{self.name}.svg"


@functools.lru_cache(maxsize=1)
def gnuplot_status() -> tuple[str | None, str]:
    """(None, png terminal name) if gnuplot works, else (reason, "")."""
    if shutil.which("gnuplot") is None:
        return "gnuplot not installed", ""
    p = subprocess.run(["gnuplot", "-e", "set terminal pngcairo"], capture_output=True,
                       text=True)
    return None, "pngcairo" if p.returncode == 0 and not p.stderr.strip() else "png"


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _render(plot_dir: str, plot: Plot, body: str, size=(900, 500)) -> Plot:
    """Writes <name>.gp (PNG, then SVG of the same body) and runs gnuplot on it."""
    why, png = gnuplot_status()
    w, h = size
    font = "font 'sans,10'" if png == "pngcairo" else ""
    script = (f"# {plot.title}\n# {plot.caption}\n"
              f"set terminal {png or 'pngcairo'} size {w},{h} {font}\n"
              f"set output {_q(plot.png)}\n{body}\n"
              f"set terminal svg size {w},{h} font 'sans,10' background rgb 'white'\n"
              f"set output {_q(plot.svg)}\nreplot\nunset output\n")
    with open(os.path.join(plot_dir, f"{plot.name}.gp"), "w") as f:
        f.write(script)
    if why:
        plot.error = f"plots not generated: {why}"
        return plot
    p = subprocess.run(["gnuplot", f"{plot.name}.gp"], cwd=plot_dir, capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        plot.error = f"gnuplot failed: {p.stderr.strip()[-500:]}"
    return plot


def _write(plot_dir: str, name: str, header: str, rows) -> str:
    fn = f"{name}.dat"
    with open(os.path.join(plot_dir, fn), "w") as f:
        f.write(f"# {header}\n")
        for r in rows:
            f.write("\t".join(str(stats.canonical(c)) for c in r) + "\n")
    return fn


COMMON = ("set datafile separator '\\t'\nset grid ytics lc rgb '#dddddd'\n"
          "set key outside right top\nset border 3\nset tics nomirror\n")


def _bars(title: str, ylabel: str, dat: str, series: list[str]) -> str:
    """Clustered bars with error bars: the data file has, per series, the value (the
    median over repetitions) and the low and high ends of its 95 % interval."""
    plots = [f"{_q(dat)} using {3 * i + 2}:{3 * i + 3}:{3 * i + 4}:xtic(1) title {_q(s)}"
             if i == 0 else f"'' using {3 * i + 2}:{3 * i + 3}:{3 * i + 4} title {_q(s)}"
             for i, s in enumerate(series)]
    return (COMMON + f"set title {_q(title)}\nset ylabel {_q(ylabel)}\n"
            "set style data histogram\nset style histogram errorbars gap 1 lw 1\n"
            "set style fill solid 0.85 border -1\nset boxwidth 0.9\nset yrange [0:*]\n"
            "set xtics rotate by -20\n"
            "plot " + ", \\\n     ".join(plots))


def cluster_bars(plot_dir: str, plot: Plot, ylabel: str, dat: str, series, *,
                 missing: str = "0", yrange: str = "[0:*]", extra: str = "",
                 rotate: int = -20, size=(900, 450)) -> Plot:
    """Clustered bars without error bars (one value per cell, "?" where there is none:
    drawn as `missing`, which keeps the row's label); the data file's first column is
    the label, then one column per series."""
    body = (COMMON + "set termoption noenhanced\n"
            f"set title {_q(plot.title)}\nset ylabel {_q(ylabel)}\n"
            "set style data histogram\nset style histogram cluster gap 1\n"
            "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
            f"{extra}set yrange {yrange}\nset xtics rotate by {rotate}\n"
            "plot " + ", \\\n     ".join(
                (f"{_q(dat)} using (valid(2) ? $2 : {missing}):xtic(1)" if i == 0 else
                 f"'' using (valid({i + 2}) ? ${i + 2} : {missing})")
                + f" title {_q(s)} lc rgb {_q(PALETTE[i + 1])}"
                for i, s in enumerate(series)))
    return _render(plot_dir, plot, body, size=size)


def _err(v) -> tuple:
    """(median, low, high) from a number (no spread) or such a triple; None -> 0."""
    if isinstance(v, tuple):
        return tuple(0 if x is None else x for x in v)
    v = v or 0
    return v, v, v


def _cols(series_vals, scale=1.0) -> list:
    return [x * scale for v in series_vals for x in _err(v)]


def _triples(series: list[str]) -> str:
    return "\t".join(f"{s}\t{s}_ci_lo\t{s}_ci_hi" for s in series)


ERRBAR_NOTE = ("Bars: medians over repetitions; error bars: their 95 % bootstrap "
               "confidence intervals (docs/statistics.md).")


def share_vs_weight(plot_dir, domains, ideal, shares: dict[str, dict[str, float]],
                    basis: str) -> Plot:
    """domains: labels; ideal[d]: weight / sum of weights; shares[policy][d]: a share or
    (median, ci_lo, ci_hi)."""
    pols = list(shares)
    rows = [[d, *_cols([ideal[d], *[shares[p].get(d, 0) for p in pols]], 100)]
            for d in domains]
    dat = _write(plot_dir, "share", "domain\t" + _triples(["ideal", *pols]), rows)
    plot = Plot("share", "CPU share vs weight",
                "Each weighted domain's running time as a percentage of the running time "
                "of all weighted domains, per policy, next to its weight's share of the "
                f"total weight (the ideal). Running time is summed from runstate events; {basis}. "
                + ERRBAR_NOTE)
    return _render(plot_dir, plot, _bars(plot.title, "share of weighted domains' CPU time (%)",
                                         dat, ["ideal (weight share)", *pols]))


def wake_cdf(plot_dir, cdfs: dict[str, list[tuple[float, float]]], basis: str,
             marks: dict[str, list[tuple]] | None = None) -> Plot:
    """marks[policy]: (fraction, median ns, ci_lo ns, ci_hi ns) of per-run percentiles,
    drawn as points with horizontal error bars on the pooled CDF."""
    plot = Plot("wake_cdf", "Wake-to-run latency CDF",
                "Fraction of wake-ups (blocked -> runnable, or a wake event) of every domU "
                "vCPU that were running again within x, per policy, log x axis, pooled over "
                "repetitions. The points with horizontal error bars are the medians over "
                "repetitions of each run's p50, p90 and p99 with their 95 % bootstrap "
                f"intervals. Measured between trace timestamps; {basis}. Zero latencies are "
                "drawn at 1 ns.")
    lines = []
    for i, (pol, pts) in enumerate(cdfs.items()):
        if not pts:
            continue
        dat = _write(plot_dir, f"wake_cdf-{pol}", "latency_us\tfraction",
                     [[max(pts[0][0], 1) / 1000, 0]] + [[max(x, 1) / 1000, f] for x, f in pts])
        lines.append(f"{_q(dat)} using 1:2 with steps lw 2 lc {i + 1} title {_q(pol)}")
        mk = (marks or {}).get(pol)
        if mk:
            em = _write(plot_dir, f"wake_cdf-{pol}-ci", "fraction\tmedian_us\tci_lo_us\tci_hi_us",
                        [[f, max(m, 1) / 1000, max(lo, 1) / 1000, max(hi, 1) / 1000]
                         for f, m, lo, hi in mk])
            lines.append(f"{_q(em)} using 2:1:3:4 with xerrorbars pt 7 ps 0.6 lc {i + 1} "
                         "notitle")
    if not lines:
        plot.error = "no wake-ups in any trace"
        return plot
    body = (COMMON + f"set title {_q(plot.title)}\nset logscale x 10\n"
            "set xlabel 'wake-to-run latency (us; deterministic mode: 1000 instructions)'\n"
            "set ylabel 'fraction of wake-ups'\nset yrange [0:1.02]\nset key inside bottom right\n"
            "plot " + ", \\\n     ".join(lines))
    return _render(plot_dir, plot, body)


def deadline_misses(plot_dir, rows: list[tuple], basis: str) -> Plot:
    """rows: (policy, % of RT periods short of budget, policy-reported misses in %),
    each value a number or (median, ci_lo, ci_hi)."""
    dat = _write(plot_dir, "misses", "policy\t" + _triples(["short_pct", "reported_pct"]),
                 [[p, *_cols(vals)] for p, *vals in rows])
    plot = Plot("misses", "Real-time periods missed",
                "For each real-time domain (period and budget, no extratime): the percentage of its periods "
                "(counted from its first activation) in which it ran for less than its budget although "
                "it was kept waiting for the CPU (not blocked by choice), "
                "computed from runstate events whatever the policy, and the misses the policy "
                f"itself reported (rtds TRC_RTDS_MISS) per 100 periods; {basis}. " + ERRBAR_NOTE)
    return _render(plot_dir, plot, _bars(plot.title, "% of periods", dat,
                                         ["ran less than budget", "reported by the policy"]))


def switch_rate(plot_dir, rows: list[tuple], basis: str) -> Plot:
    """rows: (policy, switches/s, migrations/s), each a number or (median, lo, hi)."""
    dat = _write(plot_dir, "switches", "policy\t" +
                 _triples(["switches_per_s", "migrations_per_s"]),
                 [[p, *_cols(vals)] for p, *vals in rows])
    plot = Plot("switches", "Context switches and migrations per second",
                "TRC_SCHED_SWITCH and TRC_SCHED_MIGRATE records divided by the traced "
                f"interval, all pCPUs together; {basis}. " + ERRBAR_NOTE)
    unit = "per second of guest time (10^9 instructions)" if "instruction" in basis \
        else "per second"
    return _render(plot_dir, plot, _bars(plot.title, unit, dat,
                                         ["context switches", "migrations"]))


def gantt(plot_dir, policy: str, slices, t0: int, khz: int, nr_cpus: int, span_ms: float,
          labels: dict[int, str], basis: str) -> Plot:
    """slices: (pcpu, start tsc, end tsc, dom, vcpu); draws [t0, t0 + span_ms)."""
    name = f"gantt-{policy}"
    end = t0 + round(span_ms * khz)
    doms = sorted({d for _, _, _, d, _ in slices if d in labels})
    colour = {d: PALETTE[d % len(PALETTE)] for d in doms}      # stable per domid
    rows = []
    for cpu, s, e, dom, vcpu in slices:
        if dom not in colour or e <= t0 or s >= end:
            continue
        a, b = (max(s, t0) - t0) / khz, (min(e, end) - t0) / khz
        rows.append([(a + b) / 2, cpu, (b - a) / 2, 0.35, int(colour[dom][1:], 16), dom, vcpu])
    dat = _write(plot_dir, name, "mid_ms\tpcpu\thalf_ms\thalf_row\trgb\tdomid\tvcpu", rows)
    plot = Plot(name, f"Schedule of the first {span_ms:g} ms: {policy}",
                f"Which domain's vCPU ran on each pCPU during the first {span_ms:g} ms of the "
                f"measured window (after the warm-up) of one run under {policy}, from runstate "
                f"events; white is idle; {basis}.")
    if not rows:
        plot.error = f"no vCPU ran in the first {span_ms:g} ms"
        return plot
    keys = [f"NaN with boxes fs solid lc rgb {_q(colour[d])} title {_q(labels[d])}"
            for d in doms]
    body = (COMMON.replace("set grid ytics", "set grid xtics") +
            f"set title {_q(plot.title)}\nset xlabel 'time since the measured window began (ms; "
            "deterministic mode: millions of instructions)'\n"
            f"set xrange [0:{span_ms:g}]\nset yrange [-0.6:{nr_cpus - 0.4}]\n"
            "set ytics (" + ", ".join(f"'pCPU {c}' {c}" for c in range(nr_cpus)) + ")\n"
            "set style fill solid 1.0 noborder\n"
            f"plot {_q(dat)} using 1:2:3:4:5 with boxxyerror lc rgb variable notitle"
            + "".join(f", \\\n     {k}" for k in keys))
    return _render(plot_dir, plot, body, (1000, 160 + 60 * nr_cpus))
