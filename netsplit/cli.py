"""``netsplit``: one thin entry point; every subcommand's logic lives in its own module and returns
data, which this module renders."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console

from . import tour


def _cmd_tour(args: argparse.Namespace) -> int:
    console = Console()
    failed = tour.run_tour(console)
    console.rule("[bold]tour " + ("done" if not failed else f"done: {failed} section(s) failed"))
    return 1 if failed else 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from .diff import command

    return command.run(args)


def _cmd_node(args: argparse.Namespace) -> int:
    from . import node

    return node.run_node(args.node_args)


def _add_node(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``netsplit node``: parsed by hand in main(), so that bitcoind's single-dash options
    (-datadir=..., -help) reach the node untouched; registered here for the command list."""
    p_node = sub.add_parser(
        "node",
        help="run a regtest node of a variant: netsplit node --variant legacy|split|stage:K "
        "[bitcoind options]",
        add_help=False,
    )
    p_node.set_defaults(func=_cmd_node, node_args=[])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netsplit",
        description="Workbench for Bitcoin Core's net / net_processing split.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_tour = sub.add_parser("tour", help="run the reviewer's tour of what netsplit does today")
    p_tour.set_defaults(func=_cmd_tour)
    p_diff = sub.add_parser(
        "diff",
        help="run the same scenarios against two variants and report where peers see a difference",
        description="Differential testing: directed and generated scenarios run against two node "
        "variants (legacy, split, stage:K); exits 1 on the first divergence and saves it for "
        "--replay.",
    )
    from .diff import command as diff_command

    diff_command.add_arguments(p_diff)
    p_diff.set_defaults(func=_cmd_diff)
    _add_migrate(sub)
    _add_node(sub)
    return parser


def _add_migrate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``netsplit migrate ...``: the migration toolkit registers its own subcommands."""
    from migration.cli import add_parser

    add_parser(sub)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["node"]:
        return _cmd_node(argparse.Namespace(node_args=argv[1:]))
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help(sys.stderr)
        return 2
    result: int = args.func(args)
    return result
