"""The console summary of ``netsplit bench``: a table of this run's figures, a line per
benchmark that did not run, and the targets as PASS/FAIL lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .model import RATIO, Figure, Verdict, parse_ratio_name, stage_number
from .runner import OK, BenchResult, targets_of

_COLOUR = {Verdict.PASS: "green", Verdict.FAIL: "red", Verdict.NA: "yellow"}


def format_value(f: Figure) -> str:
    v = f.value
    if f.unit == "x":
        return f"{v:.3f}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.2f}"
    return f"{v:.3g}"


def is_stage_figure(f: Figure) -> bool:
    """A stage's own figure, or a stage's ratio: the report lists those; the console does not."""
    if stage_number(f.variant) is not None:
        return True
    parsed = parse_ratio_name(f.name) if f.variant == RATIO else None
    return parsed is not None and stage_number(parsed[1]) is not None


def stage_ratio_range(figures: Sequence[Figure]) -> tuple[int, float, float] | None:
    """(stages, lowest, highest) over the stage ratio figures."""
    values: list[float] = []
    stages: set[int] = set()
    for f in figures:
        parsed = parse_ratio_name(f.name) if f.variant == RATIO else None
        number = stage_number(parsed[1]) if parsed is not None else None
        if number is not None:
            stages.add(number)
            values.append(f.value)
    if not values:
        return None
    return len(stages), min(values), max(values)


def print_summary(console: Console, data: dict[str, Any], results: Sequence[BenchResult]) -> None:
    table = Table(title="netsplit bench", title_justify="left")
    for column in ("bench", "figure", "variant", "value", "unit"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for r in results:
        for f in r.figures:
            if is_stage_figure(f):
                continue
            table.add_row(f.bench, escape(f.name), f.variant, format_value(f), f.unit)
    console.print(table)
    for r in results:
        spread = stage_ratio_range(r.figures)
        if spread is not None:
            stages, low, high = spread
            console.print(
                f"{r.key}: {stages} intermediate stages, ratios to legacy from {low:.3f} to "
                f"{high:.3f} (every figure is in the report)"
            )
        if r.status != OK:
            colour = "yellow" if r.status == "not available" else "red"
            console.print(f"[{colour}]{r.key} {r.status}[/]: {escape(r.detail)}")
    console.print("[bold]targets[/] (reported, not enforced):")
    for t in targets_of(data):
        console.print(f"[{_COLOUR[t.verdict]}]{escape(t.line())}[/]")
