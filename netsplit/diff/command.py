"""``netsplit diff``: resolve the variants, run a campaign (or replay a file), show the result.

The CLI module only parses arguments and calls :func:`run`; the exit status is 0 when the
variants agree, 1 on a divergence, 2 when the command could not run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from . import campaign, render
from . import scenario as scenario_mod
from .report import replay_variants
from .variant import VariantError, load, project_root, resolve

DEFAULT_REPORT_DIR = Path(".netsplit-cache") / "diff" / "reports"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "a",
        nargs="?",
        default=None,
        help="reference variant: legacy, split, stage:K, stage:latest, package:NAME or path:DIR",
    )
    parser.add_argument("b", nargs="?", default=None, help="variant compared against it")
    parser.add_argument("--examples", type=int, default=None, help="generated scenarios to run")
    parser.add_argument("--seed", type=int, default=None, help="seed the scenario generator")
    parser.add_argument(
        "--thorough",
        action="store_true",
        help="thousands of longer scenarios (the thorough profile)",
    )
    parser.add_argument("--replay", type=Path, default=None, help="replay a saved scenario file")
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        help=f"where divergence reports and replay files go (default {DEFAULT_REPORT_DIR})",
    )
    parser.add_argument(
        "--no-directed", action="store_true", help="skip the hand-written scenarios"
    )
    parser.add_argument(
        "--mutants",
        action="store_true",
        help="measure the harness's power instead: apply each semantic mutant to a copy of A "
        "and report which ones are caught (the kill rate)",
    )


def run(args: argparse.Namespace, console: Console | None = None) -> int:
    console = console or Console()
    _quiet_logging()
    report_dir: Path = args.report if args.report is not None else DEFAULT_REPORT_DIR
    if args.mutants:
        return _run_power(args, console)
    names = (args.a, args.b)
    if args.replay is not None and (args.a is None or args.b is None):
        recorded = replay_variants(args.replay)
        names = recorded if recorded is not None else ("legacy", "split")
        names = (args.a or names[0], args.b or names[1])
    if names[0] is None or names[1] is None:
        console.print("[red]error:[/] name two variants: netsplit diff legacy split (see --help)")
        return 2
    try:
        spec_a = resolve(names[0], project_root())
        spec_b = resolve(names[1], project_root())
        variant_a, variant_b = load(spec_a), load(spec_b)
    except VariantError as e:
        console.print(f"[red]error:[/] {e}")
        return 2
    notes = tuple(n for n in (spec_a.note, spec_b.note) if n)
    if args.replay is not None:
        try:
            scenario = scenario_mod.load(args.replay)
        except (OSError, scenario_mod.ScenarioFormatError) as e:
            console.print(f"[red]error:[/] cannot read {args.replay}: {e}")
            return 2
        result = campaign.replay_file(variant_a, variant_b, scenario, report_dir)
        result = _with_notes(result, notes)
    else:
        profile: campaign.Profile = "thorough" if args.thorough else "ci"
        with render.progress_bar(
            console, f"{variant_a.label} vs {variant_b.label}", enabled=console.is_terminal
        ) as progress:
            result = campaign.run_campaign(
                variant_a,
                variant_b,
                profile=profile,
                examples=args.examples,
                seed=args.seed,
                report_dir=report_dir,
                progress=progress,
                directed=not args.no_directed,
                notes=notes,
            )
    render.show(console, result)
    if result.error is not None:
        return 2
    return 0 if result.ok else 1


def _with_notes(result: campaign.CampaignResult, notes: tuple[str, ...]) -> campaign.CampaignResult:
    from dataclasses import replace

    return replace(result, notes=notes)


def _quiet_logging() -> None:
    """Nothing to print the node's debug log to: stop buffering it (the buffer would only
    grow over thousands of runs)."""
    from common.logging import LogInstance

    logger = LogInstance()
    if logger.m_buffering and not logger.m_print_callbacks:
        logger.DisableLogging()


def _run_power(args: argparse.Namespace, console: Console) -> int:
    """``netsplit diff A --mutants``: the kill rate of the directed scenarios (and of generated
    ones for mutants that survive them); with --thorough, of generated scenarios alone."""
    import tempfile

    from . import power

    if args.a is None:
        console.print("[red]error:[/] name the variant to mutate: netsplit diff legacy --mutants")
        return 2
    try:
        spec = resolve(args.a, project_root())
        reference = load(spec)
    except VariantError as e:
        console.print(f"[red]error:[/] {e}")
        return 2
    module_file = reference.net.__file__
    assert module_file is not None
    source = Path(module_file).parent
    examples = args.examples
    if examples is None:
        examples = 200 if args.thorough else 30
    directed = not (args.thorough or args.no_directed)

    def show(kill: power.Kill) -> None:
        mark = "[green]killed[/]" if kill.killed else "[red]SURVIVED[/]"
        by = f" by {kill.killed_by}" if kill.killed else ""
        console.print(f"  {kill.mutant.name:28} {mark}{by} ({kill.elapsed:.1f} s)")

    console.print(
        f"[bold]mutants of {reference.label}[/] (directed={directed}, {examples} generated)"
    )
    with tempfile.TemporaryDirectory(prefix="netsplit-mutants-") as tmp:
        report = power.run_power(
            source,
            Path(tmp),
            directed=directed,
            generated_examples=examples,
            seed=args.seed,
            on_kill=show,
        )
    console.print(f"{report.summary()} in {report.elapsed:.1f} s")
    return 0 if report.kill_rate == 1.0 else 1
