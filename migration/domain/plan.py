"""The plan: an ordered stack of steps, each one commit.

A step is either a codemod with arguments (exported as a ``scripted-diff:`` commit whose verify
script replays it) or a patch file, for a conceptual change no codemod expresses (exported as a
normal commit whose message is the rationale). Stage K is legacy/ with steps 1..K applied; stage 0
is legacy/ itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A codemod argument as TOML gives it.
ArgValue = str | bool | int | list[str] | dict[str, str]

STEP_ID = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
SCRIPTED_DIFF_PREFIX = "scripted-diff: "


class PlanError(ValueError):
    """The plan file cannot be read as a plan; the message names the step and the fix."""


@dataclass(frozen=True, slots=True)
class CodemodAction:
    codemod: str
    args: Mapping[str, ArgValue]


@dataclass(frozen=True, slots=True)
class PatchAction:
    #: Relative to the migration/ directory, e.g. ``patches/0004-x.patch``.
    path: str


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    id: str
    title: str
    rationale: str
    action: CodemodAction | PatchAction

    @property
    def is_codemod(self) -> bool:
        return isinstance(self.action, CodemodAction)

    @property
    def commit_title(self) -> str:
        return SCRIPTED_DIFF_PREFIX + self.title if self.is_codemod else self.title

    @property
    def kind(self) -> str:
        if isinstance(self.action, CodemodAction):
            return self.action.codemod
        return "patch"

    def spec(self) -> str:
        """A canonical text of everything that defines the step, for cache keys."""
        if isinstance(self.action, CodemodAction):
            action: dict[str, Any] = {"codemod": self.action.codemod, "args": self.action.args}
        else:
            action = {"patch": self.action.path}
        return json.dumps({"id": self.id, **action}, sort_keys=True)


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]

    def __len__(self) -> int:
        return len(self.steps)

    def step(self, ref: str | int) -> Step:
        """A step by number (1-based, as ``netsplit migrate list`` shows) or by id."""
        if isinstance(ref, int) or ref.isdigit():
            number = int(ref)
            if not 1 <= number <= len(self.steps):
                raise PlanError(
                    f"no step {number}: the plan has {len(self.steps)} steps "
                    "(see netsplit migrate list)"
                )
            return self.steps[number - 1]
        for step in self.steps:
            if step.id == ref:
                return step
        raise PlanError(f"no step with id {ref!r} (see netsplit migrate list)")

    def through(self, stage: int) -> tuple[Step, ...]:
        if not 0 <= stage <= len(self.steps):
            raise PlanError(
                f"no stage {stage}: stages run from 0 (legacy/) to {len(self.steps)} "
                "(see netsplit migrate list)"
            )
        return self.steps[:stage]


def _is_arg_value(value: object) -> bool:
    if isinstance(value, str | bool | int):
        return True
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return False


def parse_plan(data: Mapping[str, Any], source: str = "migration/plan.toml") -> Plan:
    """The plan from the parsed TOML document (``[[step]]`` tables, in order)."""
    raw_steps = data.get("step", [])
    if not isinstance(raw_steps, list):
        raise PlanError(f"{source}: `step` must be an array of tables ([[step]])")
    unknown_top = set(data) - {"step"}
    if unknown_top:
        raise PlanError(f"{source}: unknown top-level keys {sorted(unknown_top)}; only [[step]]")
    steps: list[Step] = []
    for number, raw in enumerate(raw_steps, start=1):
        where = f"{source}: step {number}"
        if not isinstance(raw, dict):
            raise PlanError(f"{where}: must be a table")
        unknown = set(raw) - {"id", "title", "rationale", "codemod", "args", "patch"}
        if unknown:
            raise PlanError(
                f"{where}: unknown keys {sorted(unknown)} "
                "(a step has id, title, rationale, and codemod + args or patch)"
            )
        for key in ("id", "title", "rationale"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise PlanError(f"{where}: `{key}` is required and must be a non-empty string")
        step_id: str = raw["id"]
        where = f"{source}: step {number} ({step_id})"
        action: CodemodAction | PatchAction
        if ("codemod" in raw) == ("patch" in raw):
            raise PlanError(f"{where}: give exactly one of `codemod` or `patch`")
        if "codemod" in raw:
            args = raw.get("args", {})
            if not isinstance(raw["codemod"], str) or not isinstance(args, dict):
                raise PlanError(f"{where}: `codemod` is a name and `args` a table")
            for key, value in args.items():
                if not _is_arg_value(value):
                    raise PlanError(
                        f"{where}: argument {key!r} must be a string, boolean, integer, "
                        "list of strings or table of strings"
                    )
            action = CodemodAction(raw["codemod"], dict(args))
        else:
            if "args" in raw:
                raise PlanError(f"{where}: `args` belongs to codemod steps, not patch steps")
            if not isinstance(raw["patch"], str):
                raise PlanError(f"{where}: `patch` is a path under migration/")
            action = PatchAction(raw["patch"])
        steps.append(
            Step(
                number=number,
                id=step_id,
                title=raw["title"].strip(),
                rationale=raw["rationale"].strip(),
                action=action,
            )
        )
    return Plan(tuple(steps))


@dataclass(frozen=True, slots=True)
class PlanProblem:
    step: str
    message: str

    def __str__(self) -> str:
        return f"{self.step}: {self.message}"


def validate_plan(
    plan: Plan,
    check_codemod: Callable[[str, Mapping[str, ArgValue]], Sequence[str]],
    patch_exists: Callable[[str], bool],
) -> list[PlanProblem]:
    """Everything wrong with the plan that can be seen without running it.

    ``check_codemod(name, args)`` returns the problems with a codemod name and its arguments."""
    problems: list[PlanProblem] = []
    seen: dict[str, int] = {}
    for step in plan.steps:
        label = f"step {step.number} ({step.id})"
        if not STEP_ID.match(step.id):
            problems.append(
                PlanProblem(label, "id must be lowercase letters, digits and dashes (a slug)")
            )
        if step.id in seen:
            problems.append(
                PlanProblem(label, f"id repeats step {seen[step.id]}; ids must be unique")
            )
        seen.setdefault(step.id, step.number)
        if "\n" in step.title or len(step.commit_title) > 100:
            problems.append(PlanProblem(label, "title must be one line of at most ~90 chars"))
        if isinstance(step.action, CodemodAction):
            for message in check_codemod(step.action.codemod, step.action.args):
                problems.append(PlanProblem(label, message))
        elif not patch_exists(step.action.path):
            problems.append(
                PlanProblem(
                    label,
                    f"patch file migration/{step.action.path} does not exist "
                    "(write it with `git diff --relative` inside a stage, see docs/reviewing.md)",
                )
            )
    return problems
