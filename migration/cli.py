"""``netsplit migrate``: argument handling, wiring adapters to use cases, and rendering.

This is the composition root of the toolkit: the only module that knows both the use cases and
the adapters. Everything it prints comes from data the use cases return.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn
from rich.syntax import Syntax
from rich.table import Table

from migration.adapters.census_probe import CstCensus
from migration.adapters.filesystem import DiskWorkspace, TomlPlan, load_inventory
from migration.adapters.runner import StepRunner
from migration.adapters.stage_contracts import ImportContracts
from migration.adapters.tools import DifferentialHarness, Git, Mypy, Ruff
from migration.application.engine import Engine, StepFailed
from migration.application.layering import debt_by_stage
from migration.application.usecases import (
    UsageError,
    apply_through,
    build_split,
    census_of_stage,
    check_commits,
    export_git,
    plan_problems,
    require_plan,
    show_step,
    stale_split_files,
)
from migration.application.verify import Tools, verify
from migration.domain.census import AccessKind, MemberUsage, Side, parse_upstream
from migration.domain.plan import Plan, PlanError
from migration.domain.report import Check, StageReport, Status, stage_ranges

ROOT = Path(__file__).resolve().parent.parent
MIGRATION = ROOT / "migration"
INVENTORY = MIGRATION / "data" / "core_net_inventory.json"
#: Where ``census --plot`` writes, relative to the project root.
PLOT_OUT = Path("docs") / "img" / "layering-debt.png"


@dataclass
class Toolkit:
    """The adapters, wired once per command."""

    root: Path

    def __post_init__(self) -> None:
        self.workspace = DiskWorkspace(self.root)
        self.applier = StepRunner(self.root / "migration")
        self.plan_source = TomlPlan(self.root / "migration" / "plan.toml")

    def plan(self) -> Plan:
        return require_plan(self.plan_source.load)

    def engine(self) -> Engine:
        return Engine(self.plan(), self.applier, self.workspace)

    def upstream(self) -> dict[str, object]:
        return load_inventory(self.root / "migration" / "data" / "core_net_inventory.json")

    def probe(self) -> CstCensus:
        upstream = parse_upstream(self.upstream_section())
        return CstCensus(extra_members=[(u.member, u.is_method) for u in upstream.values()])

    def upstream_section(self) -> dict[str, object]:
        section = self.upstream().get("cnode_usage_by_net_processing", {})
        return section if isinstance(section, dict) else {}

    def tools(self) -> Tools:
        return Tools(
            applier=self.applier,
            workspace=self.workspace,
            typechecker=Mypy(self.root, self.workspace.cache_dir),
            linter=Ruff(self.root),
            census=self.probe(),
            differential=DifferentialHarness(self.root),
            contracts=ImportContracts(self.root / ".importlinter"),
        )


def _console() -> Console:
    return Console(highlight=False)


_COLOUR = {
    Status.PASS: "green",
    Status.FAIL: "red",
    Status.NA: "yellow",
    Status.SKIPPED: "dim",
}


def _mark(check: Check, width: int = 26) -> str:
    """A table cell: the verdict and the start of its detail (failures are listed in full
    under the table)."""
    detail = check.detail.splitlines()[0] if check.detail else ""
    if check.status is Status.FAIL:
        text = "FAIL" + (f" {detail}" if detail else "")
    elif check.status is Status.PASS:
        text = detail or "ok"
    elif check.status is Status.NA:
        text = detail or "n/a"
    else:
        text = "-"
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f"[{_COLOUR[check.status]}]{escape(text)}[/]"


# -- commands -----------------------------------------------------------------------------------


def cmd_list(kit: Toolkit, args: argparse.Namespace) -> int:
    plan = kit.plan()
    table = Table(title=f"migration/plan.toml: {len(plan)} steps", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("kind")
    table.add_column("commit title")
    for step in plan.steps:
        table.add_row(str(step.number), step.id, step.kind, escape(step.commit_title))
    _console().print(table)
    return 0


def cmd_show(kit: Toolkit, args: argparse.Namespace) -> int:
    engine = kit.engine()
    view = show_step(engine, kit.applier, args.step)
    step = view.step
    console = _console()
    console.print(
        Panel(
            escape(step.rationale),
            title=f"[bold]step {step.number}/{len(engine.plan)}: {escape(step.commit_title)}",
            title_align="left",
        )
    )
    if view.replay is not None:
        console.print("[bold]replay[/] (the commit's verify script, run in the repository root):")
        console.print(f"  {escape(view.replay)}")
    else:
        console.print(f"[bold]patch[/] migration/{escape(step.kind)}")
    for diff in view.diffs:
        console.print(
            f"\n[bold]{escape(diff.path)}[/]  [green]+{diff.added}[/] [red]-{diff.removed}[/]"
        )
        console.print(
            Syntax(diff.text, "diff", theme="ansi_dark", background_color="default", word_wrap=True)
        )
    if not view.diffs:
        console.print("[yellow]this step changes nothing[/]")
    return 0


def cmd_apply(kit: Toolkit, args: argparse.Namespace) -> int:
    engine = kit.engine()
    ref = apply_through(engine, kit.workspace, args.through, Path(args.out))
    _console().print(
        f"wrote stage {ref.stage} (legacy/ + steps 1..{ref.stage}) to {args.out}; import it by "
        f"putting {Path(args.out).resolve().parent} on sys.path"
    )
    return 0


def cmd_census(kit: Toolkit, args: argparse.Namespace) -> int:
    engine = kit.engine()
    if args.plot or args.plot_out:
        return _plot_census(kit, engine, args)
    stage = len(engine.plan) if args.stage is None else args.stage
    upstream = parse_upstream(kit.upstream_section())
    report = census_of_stage(engine, kit.probe(), upstream, stage)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return 0
    console = _console()
    census = report.census
    table = Table(
        title=f"CNode members at stage {stage}: accesses by layer (reads/writes/calls)",
        title_justify="left",
    )
    table.add_column("member", style="cyan", no_wrap=True)
    table.add_column("kind")
    table.add_column("net", justify="right")
    table.add_column("net_processing", justify="right")
    table.add_column("other", justify="right")
    table.add_column("upstream np", justify="right")
    for usage in census.members:

        def cell(side: Side, usage: MemberUsage = usage) -> str:
            counts = [usage.count(side, k) for k in AccessKind]
            return "/".join(str(c) for c in counts) if any(counts) else "[dim]-[/]"

        up = upstream.get(usage.member)
        up_cell = "[dim]?[/]"
        if up is not None:
            up_cell = f"calls {up.np_calls}" if up.is_method else f"r{up.np_reads} w{up.np_writes}"
        name = usage.member if usage.present else f"[dim]{usage.member} (moved)[/]"
        table.add_row(
            name,
            "method" if usage.is_method else "field",
            cell(Side.NET),
            cell(Side.NET_PROCESSING),
            cell(Side.OTHER),
            up_cell,
        )
    console.print(table)
    console.print(f"[bold]layering debt[/] (CNode accesses from net_processing): {census.debt}")
    if report.comparison.differences:
        diff = Table(title="where the port differs from the upstream census", title_justify="left")
        for column in ("member", "measure", "port", "upstream", "note"):
            diff.add_column(column)
        for d in report.comparison.differences:
            diff.add_row(d.member, d.measure, str(d.port), str(d.upstream), escape(d.note))
        console.print(diff)
    if census.unresolved:
        console.print(
            f"[yellow]{len(census.unresolved)} access(es) to CNode member names on receivers no "
            "annotation resolves[/] (each may or may not be a CNode):"
        )
        for u in census.unresolved[:20]:
            console.print(f"  {escape(str(u.site))}: {escape(u.receiver)}.{u.member}")
        if len(census.unresolved) > 20:
            console.print(f"  ... and {len(census.unresolved) - 20} more (--json lists all)")
    return 0


def _plot_census(kit: Toolkit, engine: Engine, args: argparse.Namespace) -> int:
    """``census --plot``: the debt of every stage, charted."""
    from migration.adapters.plot import plot_debt  # matplotlib: only when plotting

    out = Path(args.plot_out) if args.plot_out else kit.root / PLOT_OUT
    console = _console()
    with Progress(
        TextColumn("[bold]census"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} stages"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=len(engine.plan) + 1)
        debts = debt_by_stage(
            engine,
            kit.probe(),
            jobs=args.jobs,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    plot_debt(debts, out)
    console.print(
        f"wrote {escape(str(out))}: layering debt {debts[0].debt} at legacy/, "
        f"{debts[-1].debt} at stage {debts[-1].stage} ({debts[-1].step_id})"
    )
    return 0


def cmd_verify(kit: Toolkit, args: argparse.Namespace) -> int:
    engine = kit.engine()
    console = _console()
    with Progress(
        TextColumn("[bold]verify"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=1)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=escape(what))

        report = verify(engine, kit.tools(), quick=args.quick, progress=progress)
    table = Table(
        title=f"netsplit migrate verify{' --quick' if args.quick else ''}: "
        f"{len(engine.plan)} steps",
        title_justify="left",
    )
    for column in (
        "stage",
        "step",
        "applies",
        "idempotent",
        "mypy",
        "ruff",
        "debt",
        "differential",
        "contracts",
    ):
        table.add_column(column, overflow="fold")
    for s in report.stages:
        table.add_row(
            str(s.stage),
            s.step_id,
            _mark(s.applies),
            _mark(s.idempotent),
            _mark(s.mypy),
            _mark(s.lint),
            _mark(s.debt_check),
            _mark(s.differential),
            _mark(s.contracts_check),
        )
    console.print(table)
    _print_contract_stages(console, report.stages)
    for problem in report.plan_problems:
        console.print(f"[red]plan:[/] {escape(problem)}")
    failed = [s for s in report.stages if s.failed]
    names = ("applies", "idempotent", "mypy", "ruff", "debt", "differential", "contracts")
    for s in failed:
        for name, check in zip(names, s.checks(), strict=True):
            if check.failed:
                console.print(
                    f"[red]stage {s.stage} ({s.step_id}) {name}:[/] {escape(check.detail)}"
                )
    if report.ok:
        console.print(f"[green]all {len(report.stages) - 1} steps verified[/]")
        return 0
    console.print(
        f"[red]verify failed[/] ({len(failed)} stage(s), "
        f"{len(report.plan_problems)} plan problem(s))"
    )
    return 1


def _print_contract_stages(console: Console, stages: Sequence[StageReport]) -> None:
    """Per split contract of .importlinter: the stages at which it holds."""
    ids = list(dict.fromkeys(v.id for s in stages for v in s.contracts))
    if not ids:
        return
    last = stages[-1]
    table = Table(
        title="split contracts of .importlinter, checked against each stage",
        title_justify="left",
    )
    for column in ("contract", "holds at stages", f"stage {last.stage}"):
        table.add_column(column, overflow="fold")
    for cid in ids:
        kept = [s.stage for s in stages for v in s.contracts if v.id == cid and v.kept]
        at_last = next((v for v in last.contracts if v.id == cid), None)
        if at_last is None:
            cell = "[dim]-[/]"
        elif at_last.kept:
            cell = "[green]holds[/]"
        elif at_last.error:
            cell = f"[yellow]{escape(at_last.detail.splitlines()[0])}[/]"
        else:
            cell = "[red]broken[/]"
        table.add_row(cid, stage_ranges(kept), cell)
    console.print(table)


def cmd_build(kit: Toolkit, args: argparse.Namespace) -> int:
    engine = kit.engine()
    console = _console()
    changed = build_split(engine, kit.workspace)
    if changed:
        console.print(f"split/ regenerated from stage {len(engine.plan)}; changed:")
        for path in changed:
            console.print(f"  split/{path}")
    else:
        console.print(f"split/ is up to date (stage {len(engine.plan)})")
    return 0


def cmd_check(kit: Toolkit, args: argparse.Namespace) -> int:
    console = _console()
    plan = kit.plan()
    problems = plan_problems(plan, kit.applier)
    for problem in problems:
        console.print(f"[red]plan:[/] {escape(problem)}")
    if problems:
        return 1
    engine = Engine(plan, kit.applier, kit.workspace)
    stale = stale_split_files(engine, kit.workspace)
    if stale:
        console.print("[red]split/ is stale[/]: run `netsplit migrate build` and commit the result")
        for path in stale:
            console.print(f"  split/{path}")
        return 1
    console.print(f"[green]plan well-formed ({len(plan)} steps) and split/ is fresh[/]")
    return 0


def cmd_export(kit: Toolkit, args: argparse.Namespace) -> int:
    engine = kit.engine()
    console = _console()
    commits = export_git(
        engine,
        kit.applier,
        kit.workspace,
        Git(),
        Path(args.dir),
        progress=lambda what: console.print(f"[dim]exporting {escape(what)}[/]"),
    )
    for exported in commits:
        console.print(f"{exported.commit[:12]} {escape(exported.title)}")
    console.print(
        f"{len(commits)} commits in {args.dir} "
        f"(check them: netsplit migrate check-commits {args.dir})"
    )
    return 0


def cmd_check_commits(kit: Toolkit, args: argparse.Namespace) -> int:
    console = _console()
    results = check_commits(Git(), Path(args.dir))
    colour = {"ok": "green", "failed": "red", "not scripted": "dim"}
    for r in results:
        console.print(f"[{colour[r.status]}]{r.status:>12}[/] {r.commit[:12]} {escape(r.title)}")
        if r.failed and r.detail:
            console.print(escape(r.detail))
    failed = [r for r in results if r.failed]
    scripted = [r for r in results if r.status != "not scripted"]
    if failed:
        console.print(
            f"[red]{len(failed)} of {len(scripted)} scripted-diff commits do not replay[/]"
        )
        return 1
    console.print(f"[green]all {len(scripted)} scripted-diff commits replay exactly[/]")
    return 0


# -- parser -------------------------------------------------------------------------------------

Command = Callable[[Toolkit, argparse.Namespace], int]


def _stage_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a stage number (see netsplit migrate list)"
        ) from None


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``migrate`` and its subcommands on the ``netsplit`` parser."""
    migrate = sub.add_parser(
        "migrate",
        help="the migration stack from legacy/ to split/ (list, show, verify, export ...)",
        description="The stack of commit-sized steps from legacy/ to split/ "
        "(see docs/reviewing.md).",
    )
    commands = migrate.add_subparsers(dest="migrate_command", metavar="SUBCOMMAND")

    def add(name: str, func: Command, help: str) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help, description=help)
        parser.set_defaults(func=lambda args, f=func: run(f, args))
        return parser

    add("list", cmd_list, "the steps of migration/plan.toml, in order")
    p = add("show", cmd_show, "one step: its rationale, replay command and colored diff")
    p.add_argument("step", help="step number (1-based) or id")
    p = add("apply", cmd_apply, "write stage K (legacy/ + steps 1..K) as a package directory")
    p.add_argument("--through", type=_stage_number, required=True, metavar="K")
    p.add_argument("--out", required=True, metavar="DIR")
    p = add("census", cmd_census, "CNode member accesses by layer, against the upstream census")
    p.add_argument("--stage", type=_stage_number, metavar="K", help="default: the last stage")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--plot",
        action="store_true",
        help=f"chart the layering debt of every stage as a PNG (default {PLOT_OUT})",
    )
    p.add_argument(
        "--plot-out", metavar="PNG", help="where --plot writes the chart (implies --plot)"
    )
    p.add_argument(
        "--jobs", type=int, metavar="N", help="--plot: stages counted in parallel (default: CPUs)"
    )
    p = add("verify", cmd_verify, "check every stage: applies, idempotent, mypy, ruff, debt")
    p.add_argument(
        "--quick",
        action="store_true",
        help="mypy on legacy/ and the last stage only; the differential harness's quick profile",
    )
    add("build", cmd_build, "regenerate split/ from legacy/ and the plan")
    add("check", cmd_check, "the plan is well-formed and split/ is fresh")
    p = add("export-git", cmd_export, "a git repository with one commit per step")
    p.add_argument("dir", metavar="DIR")
    p = add("check-commits", cmd_check_commits, "replay every scripted-diff commit of DIR")
    p.add_argument("dir", metavar="DIR")

    def no_subcommand(args: argparse.Namespace) -> int:
        migrate.print_help()
        return 2

    migrate.set_defaults(func=no_subcommand)


def run(func: Command, args: argparse.Namespace) -> int:
    """Run a command; turn the errors a user can act on into one message, not a traceback."""
    root = Path(os.environ.get("NETSPLIT_ROOT", str(ROOT)))
    console = Console(stderr=True, highlight=False)
    try:
        return func(Toolkit(root), args)
    except (UsageError, PlanError) as e:
        console.print(f"[red]error:[/] {escape(str(e))}")
        return 2
    except StepFailed as e:
        console.print(
            f"[red]error:[/] step {e.step.number} ({e.step.id}) does not apply to stage "
            f"{e.step.number - 1}:"
        )
        for problem in e.problems:
            console.print(f"  {escape(problem)}")
        console.print(
            "fix legacy/ or the step's arguments in migration/plan.toml "
            f"(netsplit migrate show {e.step.number - 1} shows the stage before it)"
        )
        return 1
