"""verify: every stage of the stack, checked the way a reviewer would want each commit checked.

For stage K (legacy/ plus steps 1..K): the step applies to stage K-1; applying it again changes
nothing; mypy (the project's strict config) is clean on the stage; ruff is clean; the layering
debt (CNode accesses from net_processing) is no higher than at stage K-1; and the differential
harness agrees with legacy, when the harness exists. When a StageContracts checker is wired, the
split contracts of .importlinter are also checked against each stage: which hold, and none that
held at stage K-1 may break at stage K.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from migration.domain.plan import PatchAction, Step
from migration.domain.report import (
    Check,
    ContractVerdict,
    StageReport,
    Status,
    VerifyReport,
    contracts_check,
    debt_check,
    tool_check,
)

from .engine import Engine, StageRef, StepFailed
from .layering import StageContracts
from .ports import CensusProbe, Differential, Linter, StepApplier, TypeChecker, Workspace
from .usecases import plan_problems

#: Called as phases finish: (completed, total, what is being done now).
Progress = Callable[[int, int, str], None]

IDEMPOTENT_MARK = ".idempotent"


@dataclass(frozen=True, slots=True)
class Tools:
    applier: StepApplier
    workspace: Workspace
    typechecker: TypeChecker
    linter: Linter
    census: CensusProbe
    differential: Differential
    contracts: StageContracts | None = None


def _idempotent(step: Step, ref: StageRef, tools: Tools) -> Check:
    """Apply the step once more to its own result; nothing may change. Cached in the stage
    directory (its key already covers the codemod's sources)."""
    if isinstance(step.action, PatchAction):
        return Check.na("patch step")
    mark = ref.path / IDEMPOTENT_MARK
    if mark.is_file():
        return Check.ok("twice = once")
    scratch = tools.workspace.new_stage_dir(ref.stage)
    try:
        tools.workspace.copy_package(ref.path, scratch)
        again = tools.applier.apply(step, scratch)
    finally:
        tools.workspace.discard(scratch)
    if again.problems:
        return Check.fail("second application fails: " + again.problems[0])
    if again.changed:
        return Check.fail("second application changes " + ", ".join(again.changed))
    mark.write_text("applying the step again changed nothing\n")
    return Check.ok("twice = once")


def verify(
    engine: Engine,
    tools: Tools,
    quick: bool = False,
    progress: Progress = lambda done, total, what: None,
) -> VerifyReport:
    plan = engine.plan
    problems = tuple(plan_problems(plan, tools.applier))
    stages = len(plan) + 1
    total = stages * (5 if tools.contracts is not None else 4) + 1
    done = 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        progress(done, total, what)

    refs: dict[int, StageRef] = {}
    applies: dict[int, Check] = {0: Check.na("legacy/")}
    broken_at: int | None = None
    for number in range(stages):
        label = "legacy/" if number == 0 else plan.steps[number - 1].id
        if broken_at is not None:
            applies[number] = Check(Status.SKIPPED, f"stage {broken_at} does not build")
            tick(f"stage {number}: skipped")
            continue
        try:
            refs[number] = engine.stage(number)
            if number:
                before, after = engine.files(refs[number - 1]), engine.files(refs[number])
                changed = [p for p in set(before) | set(after) if before.get(p) != after.get(p)]
                applies[number] = (
                    Check.ok(f"{len(changed)} file(s)")
                    if changed
                    else Check.fail("changes nothing")
                )
        except StepFailed as e:
            applies[number] = Check.fail("\n".join(e.problems))
            broken_at = number
        tick(f"stage {number}: {label}")

    # The outside tools run in subprocesses: start mypy and the differential harness now, and
    # do the in-process checks while they work.
    to_type_check = [refs[n] for n in sorted(refs)]
    if quick and to_type_check:
        to_type_check = [to_type_check[0], to_type_check[-1]]
    pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
    type_future = pool.submit(tools.typechecker.check, [r.path for r in to_type_check])
    harness = tools.differential.available()
    diff_futures = {
        number: pool.submit(tools.differential.run, number, ref.path, quick)
        for number, ref in refs.items()
        if harness
    }

    idem: dict[int, Check] = {0: Check.na("legacy/")}
    for number, ref in refs.items():
        if number:
            idem[number] = _idempotent(plan.steps[number - 1], ref, tools)
        tick(f"stage {number}: idempotence")

    debts: dict[int, int] = {}
    lint: dict[int, Check] = {}
    previous_lint: list[str] | None = None
    for number, ref in sorted(refs.items()):
        debts[number] = tools.census.census(ref.path, sites=False).debt
        lint_problems = tools.linter.check(ref.path)
        lint[number] = tool_check(previous_lint, lint_problems)
        previous_lint = lint_problems
        tick(f"stage {number}: census and ruff")

    verdicts: dict[int, tuple[ContractVerdict, ...]] = {}
    if tools.contracts is not None:
        for number, ref in sorted(refs.items()):
            verdicts[number] = tools.contracts.check(ref.path)
            tick(f"stage {number}: layering contracts")

    type_errors = type_future.result()
    tick("mypy")
    mypy: dict[int, Check] = {}
    previous_types: list[str] | None = None
    for ref in to_type_check:
        errors = type_errors.get(ref.path, [])
        mypy[ref.stage] = tool_check(previous_types, errors)
        previous_types = errors

    differential: dict[int, Check] = {}
    for number in refs:
        if harness:
            differential[number] = diff_futures[number].result()
        else:
            differential[number] = Check.na("n/a: differential harness not built")
        tick(f"stage {number}: differential")
    pool.shutdown()

    reports = []
    for number in range(stages):
        step = plan.steps[number - 1] if number else None
        reports.append(
            StageReport(
                stage=number,
                step_id=step.id if step else "legacy",
                title=step.title if step else "legacy/ as ported",
                applies=applies[number],
                idempotent=idem.get(number, Check(Status.SKIPPED)),
                mypy=mypy.get(
                    number,
                    Check(Status.SKIPPED, "--quick" if number in refs else "not built"),
                ),
                lint=lint.get(number, Check(Status.SKIPPED)),
                debt=debts.get(number),
                debt_check=debt_check(debts.get(number - 1) if number else None, debts.get(number))
                if number in debts
                else Check(Status.SKIPPED),
                differential=differential.get(number, Check(Status.SKIPPED)),
                contracts=verdicts.get(number, ()),
                contracts_check=contracts_check(verdicts.get(number - 1), verdicts[number])
                if number in verdicts
                else Check(Status.SKIPPED),
            )
        )
    return VerifyReport(tuple(reports), problems)
