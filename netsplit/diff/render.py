"""Rich rendering of campaign results for the command line. The checks return data
(:class:`~netsplit.diff.campaign.CampaignResult`); this module only shows it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from . import campaign
from .report import render_text


@contextmanager
def progress_bar(console: Console, title: str, enabled: bool = True) -> Iterator[campaign.Progress]:
    """A progress bar fed by a campaign's callbacks (nothing shown when disabled)."""
    if not enabled:
        yield campaign.Progress()
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[what]}", style="dim"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task(title, total=None, what="")

        def total(n: int) -> None:
            bar.update(task, total=n)

        def advance(what: str) -> None:
            bar.update(task, advance=1, what=what[:40])

        yield campaign.Progress(total, advance)


def summary_table(result: campaign.CampaignResult) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    table.add_row("compared", f"{result.label_a} vs {result.label_b}")
    table.add_row("profile", result.profile)
    table.add_row(
        "scenarios",
        f"{result.scenarios} ({result.directed} directed, {result.generated} generated)",
    )
    table.add_row("node runs", str(result.runs))
    table.add_row("elapsed", f"{result.elapsed:.1f} s")
    table.add_row("throughput", f"{result.throughput:.1f} scenarios/s")
    if result.replay is not None:
        table.add_row("replay file", str(result.replay))
    return table


def show(console: Console, result: campaign.CampaignResult) -> None:
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    found = result.divergence
    if found is not None:
        where = found.divergence.summary() if found.divergence is not None else ""
        console.rule(f"[red]divergence: {where}", style="red")
        # Decoded messages are long: let them run past the width rather than wrap mid-field.
        console.print(Text(render_text(found)), soft_wrap=True)
        console.rule(style="red")
    if result.error is not None:
        console.print(f"[red]the harness failed:[/] {result.error}")
    console.print(summary_table(result))
    if result.ok:
        console.print(f"[green]no divergence[/] in {result.scenarios} scenarios")
    elif result.divergence is not None:
        console.print(
            f"[red]DIVERGENCE[/] between {result.label_a} and {result.label_b}"
            + (f"; replay with: netsplit diff --replay {result.replay}" if result.replay else "")
        )
