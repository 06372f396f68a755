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
    _add_fuzz(sub)
    _add_bench(sub)
    _add_soak(sub)
    return parser


def _add_migrate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``netsplit migrate ...``: the migration toolkit registers its own subcommands."""
    from migration.cli import add_parser

    add_parser(sub)


def _add_fuzz(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``netsplit fuzz TARGET``: atheris fuzzing and replay of saved inputs."""
    from .fuzz import command as fuzz_command

    p_fuzz = sub.add_parser(
        "fuzz",
        help="fuzz the v1 frame parser or message processing of a variant with atheris",
        description="Run a fuzz target (frame, process_message) under atheris for --seconds; "
        "inputs that find something are saved under tests/fuzz_corpus/TARGET/ and exit 1.",
    )
    fuzz_command.add_arguments(p_fuzz)
    p_fuzz.set_defaults(func=fuzz_command.run)


def _add_bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``netsplit bench``: the benchmarks, their targets, and docs/benchmarks.md."""
    from .bench import runner as bench_runner

    p_bench = sub.add_parser(
        "bench",
        help="run the benchmarks (legacy, split, every stage, bcoin) and write docs/benchmarks.md",
        description="Run the benchmarks B1-B6, print their figures and the targets as PASS/FAIL "
        "lines, and write the raw figures (JSON) and docs/benchmarks.md with plots.",
    )
    bench_runner.add_arguments(p_bench)
    p_bench.set_defaults(func=bench_runner.run)


def _add_soak(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``netsplit soak``: one node process under churning loopback peers, sampled for growth."""
    from . import soak

    p_soak = sub.add_parser(
        "soak",
        help="churn loopback peers against one node process and report whether its threads, "
        "file descriptors or memory grow",
        description="Start a node (python -m VARIANT) on loopback; PEERS peers connect, "
        "handshake, flood, misbehave, disconnect and reconnect for MINUTES while the node's "
        "threads, open file descriptors, RSS and peer count are sampled. Writes "
        "soak-VARIANT.json and soak-VARIANT.png to OUT; exits 1 when something grows or fails.",
    )
    soak.add_arguments(p_soak)
    p_soak.set_defaults(func=soak.run)


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
