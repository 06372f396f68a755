"""Materializing stages: stage K is legacy/ with steps 1..K applied, as an importable package.

Stages are cached by content: stage 0's key is a digest of legacy/, and stage K's key is a
digest of stage K-1's key, step K's spec and the fingerprint of whatever applies it. A stage is
rebuilt from the nearest cached stage below it, so editing step 7 rebuilds stages 7 onwards and
editing legacy/ rebuilds everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from migration.domain.commits import digest, stage_key
from migration.domain.plan import Plan, Step

from .ports import StepApplier, Workspace


@dataclass(frozen=True, slots=True)
class StageRef:
    stage: int
    key: str
    path: Path

    @property
    def package(self) -> str:
        return self.path.name


class StepFailed(Exception):
    """A step does not apply to the stage before it."""

    def __init__(self, step: Step, problems: tuple[str, ...]) -> None:
        super().__init__(f"step {step.number} ({step.id}) does not apply:\n" + "\n".join(problems))
        self.step = step
        self.problems = problems


class Engine:
    def __init__(self, plan: Plan, applier: StepApplier, workspace: Workspace) -> None:
        self.plan = plan
        self.applier = applier
        self.workspace = workspace
        self._keys: list[str] | None = None

    def keys(self) -> list[str]:
        """The key of every stage, 0..len(plan)."""
        if self._keys is None:
            keys = [
                digest(
                    [b"legacy", self.workspace.tree_digest(self.workspace.legacy_dir()).encode()]
                )
            ]
            for step in self.plan.steps:
                keys.append(stage_key(keys[-1], step.spec(), self.applier.fingerprint(step)))
            self._keys = keys
        return self._keys

    def cached(self, stage: int) -> StageRef | None:
        key = self.keys()[stage]
        path = self.workspace.cached_stage(key, stage)
        return StageRef(stage, key, path) if path is not None else None

    def stage(self, stage: int, on_build: Callable[[Step], None] | None = None) -> StageRef:
        """Stage ``stage``, built (from the nearest cached stage) if it is not cached."""
        self.plan.through(stage)  # range check with a helpful message
        keys = self.keys()
        nearest = stage
        while nearest >= 0 and self.workspace.cached_stage(keys[nearest], nearest) is None:
            nearest -= 1
        if nearest < 0:
            scratch = self.workspace.new_stage_dir(0)
            self.workspace.copy_package(self.workspace.legacy_dir(), scratch)
            current = self.workspace.store_stage(keys[0], 0, scratch)
            nearest = 0
        else:
            found = self.workspace.cached_stage(keys[nearest], nearest)
            assert found is not None
            current = found
        for number in range(nearest + 1, stage + 1):
            step = self.plan.steps[number - 1]
            if on_build is not None:
                on_build(step)
            scratch = self.workspace.new_stage_dir(number)
            self.workspace.copy_package(current, scratch)
            applied = self.applier.apply(step, scratch)
            if not applied.ok:
                self.workspace.discard(scratch)
                raise StepFailed(step, applied.problems)
            current = self.workspace.store_stage(keys[number], number, scratch)
        return StageRef(stage, keys[stage], current)

    def files(self, stage: StageRef) -> dict[str, str]:
        """The package files of a stage (without the cache's bookkeeping)."""
        return {
            rel: text
            for rel, text in self.workspace.read_tree(stage.path).items()
            if not rel.startswith(".")
        }
