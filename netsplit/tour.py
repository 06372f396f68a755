"""The reviewer's tour: the project's real commands, run one after the other on this checkout,
each under a heading that says what it shows. Nothing here is canned: a section runs the same code
a contributor would run by hand, and a part that does not exist yet is named, not faked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import faithfulness

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Section:
    title: str
    #: The command a reviewer would type to see the same thing.
    command: str
    run: Callable[[Console], bool]
    #: A path that must exist for the section to run (the part it shows).
    needs: str = ""


def _netsplit(*argv: str) -> Callable[[Console], bool]:
    def run(console: Console) -> bool:
        from .cli import main

        return main(list(argv)) == 0

    return run


def _lint_imports(console: Console) -> bool:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    lines = [ln for ln in done.stdout.splitlines() if "KEPT" in ln or "BROKEN" in ln]
    console.print("\n".join(lines) or done.stdout.strip())
    if done.returncode:
        console.print(done.stdout.strip())
    return done.returncode == 0


def _two_nodes(console: Console) -> bool:
    from .demo import default_demo_variants, run_two_node_demo

    a, b = default_demo_variants(ROOT)
    result = run_two_node_demo(a, b)
    table = Table(show_header=True, box=None)
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for what, seconds in result.steps:
        table.add_row(what, f"{seconds:.2f}")
    console.print(table)
    console.print(
        f"{a} tip {result.height_a} {result.tip_a[:16]}…   {b} tip {result.height_b} "
        f"{result.tip_b[:16]}…   tx relayed: {result.tx_relayed}   "
        f"confirmed on {a}: {result.tx_confirmed_on_a}"
    )
    return result.agree and result.tx_relayed and result.tx_confirmed_on_a


def _names(console: Console) -> bool:
    table = Table(show_header=False, box=None)
    for count in faithfulness.census(ROOT):
        table.add_row(count.label, f"{len(count.present)}/{count.total}")
    console.print(table)
    return True


SECTIONS: tuple[Section, ...] = (
    Section(
        "The migration stack: the steps from legacy/ to split/",
        "netsplit migrate list",
        _netsplit("migrate", "list"),
        needs="migration/plan.toml",
    ),
    Section(
        "split/ is exactly what the stack generates",
        "netsplit migrate check",
        _netsplit("migrate", "check"),
        needs="migration/plan.toml",
    ),
    Section(
        "Differential run: legacy and split, same scenarios, same bytes",
        "netsplit diff legacy split --examples 25",
        _netsplit("diff", "legacy", "split", "--examples", "25"),
        needs="netsplit/diff",
    ),
    Section("Layering contracts", "lint-imports", _lint_imports, needs=".importlinter"),
    Section(
        "Two nodes on loopback connect, mine, relay and agree on the tip",
        "python -m legacy / python -m split, driven over JSON-RPC",
        _two_nodes,
        needs="netsplit/demo.py",
    ),
    Section(
        "Upstream names present in legacy/ (a floor, not proof)",
        "python -m netsplit.faithfulness",
        _names,
    ),
)


def run_tour(console: Console) -> int:
    """Run every section whose part exists; the number of sections that failed."""
    failed = 0
    for section in SECTIONS:
        if section.needs and not (ROOT / section.needs).exists():
            continue
        console.rule(f"[bold]{section.title}")
        console.print(f"[dim]$ {section.command}[/]")
        try:
            ok = section.run(console)
        except Exception as e:  # a broken part is reported, and the tour goes on
            console.print(f"[red]{type(e).__name__}: {e}[/]")
            ok = False
        console.print("[green]ok[/]" if ok else "[red]FAILED[/]")
        failed += not ok
    missing = not_built_yet()
    if missing:
        console.rule("[bold]Not built yet")
        for part in missing:
            console.print(f"  - {part}")
    return failed


_PARTS = (
    ("migration/plan.toml", "the migration stack (netsplit migrate)"),
    ("split/net.py", "split/, generated from legacy/ by the migration stack"),
    (".importlinter", "layering contracts (lint-imports)"),
    ("netsplit/diff", "the differential harness (netsplit diff legacy split)"),
    ("netsplit/demo.py", "two nodes on loopback (python -m legacy / python -m split)"),
    ("tests/bench", "benchmarks (netsplit bench)"),
)


def not_built_yet() -> list[str]:
    parts = [label for rel, label in _PARTS if not (ROOT / rel).exists()]
    if not any((ROOT / "tests" / "bench").glob("test_*.py")):
        parts.append("benchmarks (netsplit bench)")
    return sorted(set(parts))
