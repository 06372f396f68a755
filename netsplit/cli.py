"""``netsplit``: one thin entry point; every subcommand's logic lives in its own module and returns
data, which this module renders."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from . import tour


def _cmd_tour(args: argparse.Namespace) -> int:
    console = Console()
    console.rule("[bold]netsplit: the reviewer's tour")
    failed = 0
    for result in tour.run_tour():
        mark = "[green]ok[/]" if result.ok else "[red]FAILED[/]"
        console.print(f"\n[bold]{result.title}[/]  {mark}")
        if result.summary:
            console.print(result.summary)
        if result.rows:
            table = Table(show_header=False, box=None, pad_edge=False)
            table.add_column(style="cyan", no_wrap=True)
            table.add_column()
            for key, value in result.rows:
                table.add_row(key, value)
            console.print(table)
        failed += not result.ok
    pending = tour.not_built_yet()
    if pending:
        console.print("\n[bold]Not built yet[/] (the tour grows as these land)")
        for part in pending:
            console.print(f"  - {part}")
    console.print()
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netsplit",
        description="Workbench for Bitcoin Core's net / net_processing split.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_tour = sub.add_parser("tour", help="run the reviewer's tour of what netsplit does today")
    p_tour.set_defaults(func=_cmd_tour)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help(sys.stderr)
        return 2
    result: int = args.func(args)
    return result
