"""The toolkit's programmatic entry points for the rest of the project (the differential
harness materializes stages through :func:`materialize_stage`)."""

from __future__ import annotations

from pathlib import Path

from migration.adapters.filesystem import DiskWorkspace, TomlPlan
from migration.adapters.runner import StepRunner
from migration.application.engine import Engine

ROOT = Path(__file__).resolve().parent.parent


def engine(root: Path | None = None) -> Engine:
    root = ROOT if root is None else root
    return Engine(
        TomlPlan(root / "migration" / "plan.toml").load(),
        StepRunner(root / "migration"),
        DiskWorkspace(root),
    )


def materialize_stage(k: int | None, root: Path | None = None) -> tuple[Path, str]:
    """Stage ``k`` (the last for None) as (directory to put on sys.path, package name), built
    into the stage cache if needed."""
    e = engine(root)
    ref = e.stage(len(e.plan) if k is None else k)
    return ref.path.parent, ref.path.name
