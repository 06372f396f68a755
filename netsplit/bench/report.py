"""docs/benchmarks.md and its plots, from the data ``netsplit bench`` saves as JSON.

Everything in the report is generated from that data, except the text between the
``NOTES_BEGIN`` and ``NOTES_END`` markers, which a rerun carries over from the existing file
(notes from profiling sessions that no command reproduces). Plots are PNGs written next to the
report under img/, drawn with matplotlib's Agg backend; without matplotlib the report says so and
has no plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from .model import (
    RATIO,
    SPLIT_RATIO_MIN,
    Figure,
    is_code_variant,
    parse_ratio_name,
    stage_number,
)
from .render import format_value, is_stage_figure

NOTES_BEGIN: Final = "<!-- notes: kept when the report is regenerated -->"
NOTES_END: Final = "<!-- end of notes -->"
RATIO_PLOT: Final = "bench-ratios.png"
#: Benchmarks whose split/legacy ratios the targets read.
RATIO_BENCHES: Final = ("B1", "B2", "B3")

DESCRIPTIONS: Final[dict[str, str]] = {
    "B1": (
        "One inbound connection to a node process (`python -m legacy` / `python -m split`, "
        "which has mined one block so that it is out of initial block download) on loopback "
        "TCP is flooded with messages written back to back: a ping flood (N pings, each "
        "answered with a pong; timed to the last pong) and an inv flood (N invs, each "
        "announcing one new txid; timed to the pong of a ping sent after them). The same "
        "client measures our node, bcoin 1.0.2, and two reference loops in Python: the "
        "framing limit (read, frame and checksum only: no node can answer faster in this "
        "language) and the two-thread loop (a socket thread handing messages over a queue to "
        "a thread that answers pings: the node's thread shape with no protocol). The targets "
        "that are not our nodes get each flood 10 to 50 times over, so that it lasts long "
        "enough to time. Each flood uses a fresh handshaken connection, targets take turns "
        "flood by flood, and figures are medians; each rate is also given per second of the "
        "target process's CPU time (all threads), which load on the machine disturbs less. "
        "See netsplit/bench/loopback.py."
    ),
    "B2": (
        "A block message processed by one node of each variant, built by the differential "
        "harness (the variant's own init.AppInitMain with ConnmanTestMsg, fake sockets, mock "
        "time) with one handshaken inbound peer. *ProcessMessage* is ConnmanTestMsg's "
        "ReceiveMsgFrom followed by ProcessMessagesOnce until the node has no more work (the "
        "shape of upstream's process_message fuzz target; v30.0's src/bench/ has no "
        "net_processing benchmark). *Socket loop* puts the frame on the peer's fake socket "
        "and lets the node settle: socket handler, message handler and SendMessages rounds. "
        "Every block extends the tip; blocks alternate between the two paths and variants "
        "take turns block by block. Small blocks hold only a coinbase; large ones split a "
        "mature coinbase into N outputs and spend each (N + 2 transactions; N = 1000, about "
        "71 kB, in full runs and 250 in quick ones), every input checked against the UTXO set. "
        "Times are the benchmark process's CPU time, with the garbage collector run between "
        "blocks; figures are medians over blocks, and per byte divides by the frame's size."
    ),
    "B3": (
        "A fresh node is told `addnode <source> onetry` and timed until its best block is the "
        "source's tip, polling every 50 ms. Every pair syncs the same chain of coinbase-only "
        "regtest blocks, built by the benchmark and loaded into the source with batched "
        "submitblock. Our nodes are `python -m legacy` / `python -m split` processes; bcoin "
        "1.0.2 runs in memory through tests/interop/bcoin_node.js. bcoin from bcoin is the "
        "external anchor."
    ),
    "B4": (
        "Inbound peers (500, or 100 in a quick run) connect to one node process at once and "
        "complete the version handshake, timed until the node has processed the last "
        "peer's verack; then every peer pings at random moments over a few seconds and the "
        "pong latencies give p50 and p99. Peak RSS is the node process's VmHWM. See "
        "netsplit/bench/loopback.py."
    ),
    "B5": (
        "`netsplit migrate build` in a scratch copy of the project's inputs (legacy/, split/, "
        "migration/, pyproject.toml; `NETSPLIT_ROOT` and `NETSPLIT_CACHE` point there, so the "
        "real split/ and stage cache are never touched): from an empty stage cache, then after "
        'one step\'s arguments change (the default `source = "CNode"` added to the last '
        "codemod step: its cache key changes, its output does not, and split/ must come out "
        "the same), then with nothing changed. `netsplit migrate verify --quick` runs in the "
        "project root with its caches (full runs only)."
    ),
    "B6": (
        "`run_campaign` (what `netsplit diff legacy split` runs) on the ci profile: each "
        "scenario runs on a fresh node of both variants and the traces are compared. Directed "
        "scenarios and generated ones (the state machine, up to 25 events each) are timed "
        "apart."
    ),
}


def _variant_order(variant: str) -> tuple[int, str]:
    if variant == "legacy":
        return (0, "")
    number = stage_number(variant)
    if number is not None:
        return (1 + number, "")
    if variant == "split":
        return (10_000, "")
    return (20_000, variant)


def bench_figures(data: dict[str, Any], key: str) -> list[Figure]:
    from .runner import figure_from_json

    entry = data.get("benchmarks", {}).get(key, {})
    return [figure_from_json(f) for f in entry.get("figures", [])]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def figure_table(figures: Sequence[Figure]) -> list[str]:
    """The figures that are not a stage's, as a Markdown table."""
    rows = [f for f in figures if not is_stage_figure(f)]
    if not rows:
        return []
    out = ["| figure | variant | value | unit | how |", "|---|---|--:|---|---|"]
    for f in rows:
        better = "higher is better" if f.higher_is_better else "lower is better"
        note = f"{f.note}; {better}" if f.note else better
        out.append(
            f"| {_cell(f.name)} | {f.variant} | {format_value(f)} | {f.unit} | {_cell(note)} |"
        )
    return out


def stage_table(figures: Sequence[Figure]) -> list[str]:
    """Every code variant (legacy, stages, split) against every per-message metric measured on
    the stages: the value and, in brackets, the ratio to legacy."""
    stage_names = sorted(
        {f.name for f in figures if stage_number(f.variant) is not None},
        key=lambda n: n,
    )
    metrics = [n for n in stage_names if "per byte" not in n]
    if not metrics:
        return []
    values = {(f.variant, f.name): f for f in figures if is_code_variant(f.variant)}
    ratio = {}
    for f in figures:
        parsed = parse_ratio_name(f.name) if f.variant == RATIO else None
        if parsed is not None:
            ratio[(parsed[1], parsed[0])] = f.value
    variants = sorted({v for v, _ in values}, key=_variant_order)
    units = {n: values[(v, n)].unit for v, n in values if n in metrics}
    out = [
        "| variant | " + " | ".join(f"{_cell(m)} ({units[m]})" for m in metrics) + " |",
        "|---|" + "--:|" * len(metrics),
    ]
    for v in variants:
        cells = []
        for m in metrics:
            measured = values.get((v, m))
            if measured is None:
                cells.append("")
                continue
            r = ratio.get((v, m))
            cells.append(format_value(measured) + (f" ({r:.3f})" if r is not None else ""))
        out.append(f"| {v} | " + " | ".join(cells) + " |")
    return out


# -- plots ---------------------------------------------------------------------------------------


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _short(variant: str) -> str:
    number = stage_number(variant)
    return str(number) if number is not None else variant


def plot_ratios(data: dict[str, Any], path: Path) -> bool:
    """Split's and every stage's performance relative to legacy, one panel per benchmark, one
    line per measurement: above 1 is faster than legacy. Whether there was anything to plot."""
    plt = _pyplot()
    panels: list[tuple[str, dict[str, list[tuple[str, float]]]]] = []
    for key in RATIO_BENCHES:
        series: dict[str, list[tuple[str, float]]] = {}
        for f in bench_figures(data, key):
            parsed = parse_ratio_name(f.name) if f.variant == RATIO else None
            if parsed is None or parsed[2] != "legacy" or "per byte" in parsed[0]:
                continue
            series.setdefault(parsed[0], []).append((parsed[1], f.value))
        if series:
            panels.append((key, series))
    if plt is None or not panels:
        return False
    # One x axis for every panel, so that split sits in the same place in each.
    order = sorted(
        {v for _, series in panels for points in series.values() for v, _ in points},
        key=_variant_order,
    )
    xs = {v: i for i, v in enumerate(order)}
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(11, 3.0 * len(panels)), squeeze=False, constrained_layout=True
    )
    for ax, (key, series) in zip(axes[:, 0], panels, strict=True):
        for metric, points in sorted(series.items()):
            points.sort(key=lambda p: xs[p[0]])
            ax.plot(
                [xs[v] for v, _ in points],
                [r for _, r in points],
                marker="o",
                markersize=4,
                label=metric,
            )
        ax.axhline(1.0, color="grey", linewidth=0.8)
        ax.axhline(SPLIT_RATIO_MIN, color="red", linewidth=0.8, linestyle="--")
        ax.set_xticks(range(len(order)), [_short(v) for v in order])
        ax.set_xlim(-0.5, max(len(order) - 0.5, 0.5))
        ax.set_ylabel("relative to legacy")
        ax.set_title(f"{key}: stage K and split against legacy (above 1 = faster)", fontsize=10)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.grid(axis="y", alpha=0.3)
    axes[-1, 0].set_xlabel("migration stage (split = the last)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_bench(figures: Sequence[Figure], title: str, path: Path, max_panels: int = 8) -> bool:
    """Small multiples: one panel per measurement (its own scale and unit), a bar per variant
    (legacy, split, bcoin, the framing limit, ...), stages and ratios left to the other plot
    and the tables. Whether there was anything to plot."""
    plt = _pyplot()
    shown = [f for f in figures if f.variant != RATIO and stage_number(f.variant) is None]
    shown = [f for f in shown if "per byte" not in f.name]
    names: list[str] = []
    for f in shown:
        if f.name not in names:
            names.append(f.name)
    names = names[:max_panels]
    if plt is None or not names:
        return False
    cols = min(len(names), 2)
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(
        rows, cols, figsize=(5.2 * cols, 2.6 * rows + 0.6), squeeze=False, constrained_layout=True
    )
    colours = {"legacy": "#4c72b0", "split": "#dd8452", "bcoin": "#55a868"}
    for i, name in enumerate(names):
        ax = axes[i // cols, i % cols]
        bars = sorted((f for f in shown if f.name == name), key=lambda f: _variant_order(f.variant))
        labels = [f.variant for f in bars]
        ax.barh(
            range(len(bars)),
            [f.value for f in bars],
            color=[colours.get(v, "#8c8c8c") for v in labels],
        )
        ax.set_yticks(range(len(bars)), labels, fontsize=8)
        ax.invert_yaxis()
        better = "higher is better" if bars[0].higher_is_better else "lower is better"
        ax.set_xlabel(f"{bars[0].unit} ({better})", fontsize=8)
        ax.set_title(_wrap(name), fontsize=8)
        for y, f in enumerate(bars):
            ax.text(f.value, y, " " + format_value(f), va="center", fontsize=7)
        ax.margins(x=0.25)
    for j in range(len(names), rows * cols):
        axes[j // cols, j % cols].axis("off")
    fig.suptitle(title, fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _wrap(text: str, width: int = 60) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "\n".join(lines)


# -- the Markdown --------------------------------------------------------------------------------


def existing_notes(path: Path) -> str:
    """The notes block of the report at ``path`` (markers excluded), or ""."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    start = text.find(NOTES_BEGIN)
    end = text.find(NOTES_END, start + 1)
    if start < 0 or end < 0:
        return ""
    return text[start + len(NOTES_BEGIN) : end].strip("\n")


def _machine_lines(machine: dict[str, Any]) -> list[str]:
    return [
        "| nproc | CPU | RAM | Python | platform | load average at start |",
        "|--:|---|--:|---|---|---|",
        f"| {machine.get('nproc', '?')} | {_cell(str(machine.get('cpu_model', '?')))} "
        f"| {machine.get('ram_gib', '?')} GiB | {machine.get('python_implementation', '')} "
        f"{machine.get('python', '?')} | {_cell(str(machine.get('platform', '?')))} "
        f"| {machine.get('load_average_at_start', '')} |",
    ]


def _busy_line(machine: dict[str, Any]) -> list[str]:
    """A warning when other work was running: the one-minute load average at the start above
    the number of CPUs."""
    try:
        load = float(str(machine.get("load_average_at_start", "")).split()[0])
        cpus = int(machine.get("nproc", 0))
    except (IndexError, ValueError):
        return []
    if cpus <= 0 or load <= cpus:
        return []
    return [
        "",
        f"The machine was busy when this run started (load average {load:.1f} on {cpus} "
        "CPUs): figures that depend on the wall clock (B1, B3, B4, B5, B6) are noisy, "
        "and a single ratio a few percent from 1 means nothing. B2 times CPU, which other "
        "processes disturb less.",
    ]


def _target_lines(data: dict[str, Any]) -> list[str]:
    out = ["| verdict | target | measured |", "|---|---|---|"]
    for t in data.get("targets", []):
        out.append(f"| **{t['verdict']}** | {_cell(t['statement'])} | {_cell(t['detail'])} |")
    return out


def _profile_lines(profile: dict[str, Any]) -> list[str]:
    if profile.get("error"):
        return [f"The profile could not be taken: {profile['error']}."]
    rows = profile.get("rows", [])
    if not rows:
        return []
    out = [
        f"cProfile over a short B2 run of {profile.get('variant', 'legacy')} (100 small blocks "
        "and 4 large ones through both paths), the top functions by own time. Profiling slows "
        "Python unevenly: read the shares, not the seconds.",
        "",
        "| own time | calls | own s | cumulative s | function |",
        "|--:|--:|--:|--:|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['own_share']:.1%} | {r['calls']:,} | {r['own_seconds']:.3f} "
            f"| {r['cumulative_seconds']:.3f} | `{_cell(r['function'])}` |"
        )
    return out


def render_markdown(data: dict[str, Any], plots: dict[str, str], notes: str, json_name: str) -> str:
    machine = data.get("machine", {})
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `netsplit bench` on {machine.get('date', '?')} at commit "
        f"`{machine.get('commit', '?')}`; the raw figures are in [{json_name}]({json_name}). "
        "Everything here but the notes at the end is regenerated by the command.",
        "",
        "```sh",
        "netsplit bench                  # every benchmark, full size",
        "netsplit bench --quick          # smaller runs (labelled), under five minutes",
        "netsplit bench --only B2,B5     # a subset; the others keep their last results",
        "netsplit bench --report-only    # rewrite this report from the JSON, measuring nothing",
        "pytest tests/bench              # pytest-benchmark versions (not in the default suite)",
        "```",
        "",
        "## Machine",
        "",
        *_machine_lines(machine),
        *_busy_line(machine),
        "",
        "## Targets",
        "",
        "The issue's targets, evaluated over the figures below. They are reported, not enforced:",
        "N/A means the figure a target reads was not measured in this run.",
        "",
        *_target_lines(data),
        "",
    ]
    if RATIO_PLOT in plots.values() or "ratios" in plots:
        lines += [
            "## legacy, split and the stages between them",
            "",
            "Each point is a variant's performance relative to legacy on one measurement "
            "(legacy's time over the variant's, or the variant's rate over legacy's): above 1 is "
            f"faster than legacy; the dashed line is the {SPLIT_RATIO_MIN} target.",
            "",
            f"![ratios to legacy](img/{plots['ratios']})",
            "",
        ]
    for key, entry in data.get("benchmarks", {}).items():
        lines += _bench_section(key, entry, data, plots)
    lines += ["## Where the time goes", ""]
    b2_profile = data.get("profiles", {}).get("B2")
    if b2_profile:
        lines += ["### B2", "", *_profile_lines(b2_profile), ""]
    lines += [NOTES_BEGIN, notes.strip("\n"), NOTES_END, ""]
    return "\n".join(lines)


def _bench_section(
    key: str, entry: dict[str, Any], data: dict[str, Any], plots: dict[str, str]
) -> list[str]:
    title = entry.get("title", "")
    lines = [f"## {key}: {title}", "", DESCRIPTIONS.get(key, ""), ""]
    status = entry.get("status", "")
    when = f"measured {entry.get('date', '?')}"
    if entry.get("quick"):
        when += ", **quick run** (smaller than the full benchmark)"
    if entry.get("date") and entry.get("date") != data.get("machine", {}).get("date"):
        when += ", in an earlier run than the rest of this report"
    if status != "ok":
        lines += [f"Not measured: {status}: {entry.get('detail', '')}.", ""]
        return lines
    lines += [
        f"{when[:1].upper()}{when[1:]}; the benchmark took {entry.get('seconds', 0):.0f} s.",
        "",
    ]
    figures = bench_figures(data, key)
    lines += figure_table(figures)
    stages = stage_table(figures)
    if stages:
        lines += ["", "Every stage, per message (ratio to legacy in brackets):", "", *stages]
    if key in plots:
        lines += ["", f"![{key}](img/{plots[key]})"]
    return [*lines, ""]


def write_report(data: dict[str, Any], path: Path, json_path: Path | None = None) -> list[Path]:
    """The report and its plots; the paths written."""
    img = path.parent / "img"
    written: list[Path] = []
    plots: dict[str, str] = {}
    if plot_ratios(data, img / RATIO_PLOT):
        plots["ratios"] = RATIO_PLOT
        written.append(img / RATIO_PLOT)
    for key, entry in data.get("benchmarks", {}).items():
        name = f"bench-{key.lower()}.png"
        title = f"{key}: {entry.get('title', '')}" + (" (quick run)" if entry.get("quick") else "")
        if entry.get("status") == "ok" and plot_bench(bench_figures(data, key), title, img / name):
            plots[key] = name
            written.append(img / name)
    json_name = json_path.name if json_path is not None else "benchmarks.json"
    if json_path is not None and json_path.parent.resolve() != path.parent.resolve():
        json_name = str(json_path)
    text = render_markdown(data, plots, existing_notes(path), json_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return [path, *written]
