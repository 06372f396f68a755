"""What verify finds, per stage, as data; the CLI renders it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum


class Status(Enum):
    PASS = "pass"
    FAIL = "fail"
    #: The check does not apply, or its tool does not exist; never counted as a pass.
    NA = "n/a"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Check:
    status: Status
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    @classmethod
    def ok(cls, detail: str = "") -> Check:
        return cls(Status.PASS, detail)

    @classmethod
    def fail(cls, detail: str) -> Check:
        return cls(Status.FAIL, detail)

    @classmethod
    def na(cls, detail: str) -> Check:
        return cls(Status.NA, detail)


@dataclass(frozen=True, slots=True)
class ContractVerdict:
    """Whether one layering contract holds at a stage."""

    id: str
    kept: bool
    detail: str = ""
    #: The contract could not be checked at this stage (a module it names is missing): it does
    #: not hold, and that is not a regression either.
    error: bool = False


@dataclass(frozen=True, slots=True)
class StageReport:
    stage: int
    step_id: str
    title: str
    applies: Check
    idempotent: Check
    mypy: Check
    lint: Check
    debt: int | None
    debt_check: Check
    differential: Check
    #: The verdict of each split contract of .importlinter mapped onto this stage.
    contracts: tuple[ContractVerdict, ...] = ()
    contracts_check: Check = field(default_factory=lambda: Check(Status.SKIPPED))

    def checks(self) -> tuple[Check, ...]:
        return (
            self.applies,
            self.idempotent,
            self.mypy,
            self.lint,
            self.debt_check,
            self.differential,
            self.contracts_check,
        )

    @property
    def failed(self) -> bool:
        return any(c.failed for c in self.checks())


@dataclass(frozen=True, slots=True)
class VerifyReport:
    stages: tuple[StageReport, ...]
    plan_problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.plan_problems and not any(s.failed for s in self.stages)


_LINE_NUMBERS = re.compile(r":\d+(?::\d+)?(?=:)")


def new_problems(previous: Sequence[str] | None, current: Sequence[str]) -> list[str]:
    """Problems in ``current`` that ``previous`` did not have, matched without line numbers
    (a step moves code around; a problem that only moved is not new)."""
    if previous is None:
        return list(current)
    seen = Counter(_LINE_NUMBERS.sub("", p) for p in previous)
    out = []
    for problem in current:
        key = _LINE_NUMBERS.sub("", problem)
        if seen[key]:
            seen[key] -= 1
        else:
            out.append(problem)
    return out


def tool_check(previous: Sequence[str] | None, current: Sequence[str]) -> Check:
    """A tool's verdict on a stage: it fails on problems the previous stage did not have; for
    legacy/ itself (no previous stage), on any problem. Inherited ones are counted."""
    added = new_problems(previous, current)
    inherited = len(current) - len(added)
    tail = f" ({inherited} inherited from the stage before)" if inherited else ""
    if added:
        what = "new: " if previous is not None else ""
        return Check.fail(f"{len(added)} {what}{added[0]}{tail}")
    return Check.ok(f"clean{tail}" if not inherited else f"no new problems{tail}")


def debt_check(previous: int | None, current: int | None) -> Check:
    """The layering debt may stay or shrink, never grow."""
    if current is None:
        return Check.na("stage not built")
    if previous is None:
        return Check.ok(f"{current} (baseline)")
    delta = current - previous
    if delta > 0:
        return Check.fail(f"{current} (+{delta}): the step adds CNode accesses to net_processing")
    return Check.ok(f"{current} ({delta:+d})")


def contracts_check(
    previous: Sequence[ContractVerdict] | None, current: Sequence[ContractVerdict]
) -> Check:
    """Like the debt, the layering may only improve: a contract that held at the stage before
    must still hold. Contracts that do not hold yet are counted, not failed."""
    if not current:
        return Check.na("no split contracts")
    held = {v.id for v in previous or () if v.kept}
    broken = [v for v in current if v.id in held and not v.kept and not v.error]
    kept = sum(v.kept for v in current)
    if broken:
        first = broken[0]
        detail = first.detail.splitlines()[0] if first.detail else ""
        return Check.fail(
            f"breaks {', '.join(v.id for v in broken)}, which held before"
            + (f": {detail}" if detail else "")
        )
    return Check.ok(f"{kept}/{len(current)} hold")


def stage_ranges(stages: Sequence[int]) -> str:
    """``[0, 1, 2, 5, 7, 8]`` as ``"0-2, 5, 7-8"``; ``"none"`` when empty."""
    if not stages:
        return "none"
    ordered = sorted(stages)
    parts: list[str] = []
    start = previous = ordered[0]
    for n in [*ordered[1:], None]:
        if n is not None and n == previous + 1:
            previous = n
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if n is not None:
            start = previous = n
    return ", ".join(parts)
