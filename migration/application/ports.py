"""The ports: what the use cases need from the outside world, as protocols. Adapters implement
them; the CLI wires adapters to use cases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from migration.domain.census import Census
from migration.domain.plan import ArgValue, Plan, Step
from migration.domain.report import Check


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying one step to a package did."""

    changed: tuple[str, ...]
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class StepApplier(Protocol):
    """Applies steps to a package directory, in place."""

    def apply(self, step: Step, package_dir: Path) -> Applied: ...

    def fingerprint(self, step: Step) -> str:
        """Whatever besides the step's spec decides its result (codemod sources, patch bytes)."""
        ...

    def replay_script(self, step: Step, package: str) -> str | None:
        """The shell command that replays a codemod step on the package directory ``package``
        (None for a patch step)."""
        ...

    def check_codemod(self, name: str, args: Mapping[str, ArgValue]) -> Sequence[str]: ...

    def patch_exists(self, path: str) -> bool: ...


class Workspace(Protocol):
    """Package directories on disk and the stage cache."""

    def legacy_dir(self) -> Path: ...

    def split_dir(self) -> Path: ...

    def read_tree(self, path: Path) -> dict[str, str]: ...

    def tree_digest(self, path: Path) -> str: ...

    def cached_stage(self, key: str, stage: int) -> Path | None: ...

    def new_stage_dir(self, stage: int) -> Path:
        """A fresh scratch directory named like the stage's package, to build into."""
        ...

    def store_stage(self, key: str, stage: int, built: Path) -> Path:
        """Move a built scratch directory into the cache; returns its final path."""
        ...

    def copy_package(self, src: Path, dst: Path) -> None: ...

    def write_tree(self, dst: Path, files: Mapping[str, str]) -> list[str]:
        """Make ``dst`` hold exactly ``files``; returns the paths that changed."""
        ...

    def discard(self, path: Path) -> None: ...


class TypeChecker(Protocol):
    def check(self, packages: Sequence[Path]) -> dict[Path, list[str]]:
        """mypy errors per package directory (all checked in one run)."""
        ...


class Linter(Protocol):
    def check(self, package: Path) -> list[str]: ...


class CensusProbe(Protocol):
    def census(self, package: Path, sites: bool = True) -> Census: ...


class Differential(Protocol):
    def available(self) -> bool: ...

    def run(self, stage: int, package: Path, quick: bool) -> Check: ...


class GitRepo(Protocol):
    def init(self, path: Path) -> None: ...

    def commit_all(self, path: Path, message: str) -> str: ...

    def commits(self, path: Path) -> list[str]:
        """Commit ids, oldest first."""
        ...

    def message(self, path: Path, commit: str) -> str: ...

    def checkout(self, path: Path, commit: str) -> None: ...

    def differs_from(self, path: Path, commit: str) -> str:
        """The diff of the work tree (untracked files included) against ``commit``; empty when
        they are the same."""
        ...

    def run_script(self, path: Path, script: str) -> tuple[int, str]: ...

    def restore(self, path: Path, commit: str) -> None:
        """Discard every change and return to ``commit``."""
        ...


class PlanSource(Protocol):
    def load(self) -> Plan: ...
