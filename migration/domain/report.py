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

    def checks(self) -> tuple[Check, ...]:
        return (
            self.applies,
            self.idempotent,
            self.mypy,
            self.lint,
            self.debt_check,
            self.differential,
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
