"""split/ is generated: it must be exactly what ``netsplit migrate build`` makes from legacy/ and
the plan today (as libcst guards its own generated code with test_codegen_clean).

The stages come from the stage cache when it is warm; in a fresh checkout this rebuilds every
stage once (about two seconds a step)."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration.adapters.filesystem import DiskWorkspace, TomlPlan
from migration.adapters.runner import StepRunner
from migration.application.engine import Engine
from migration.application.usecases import plan_problems, stale_split_files

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_split_is_what_build_generates_from_legacy_and_the_plan() -> None:
    runner = StepRunner(ROOT / "migration")
    plan = TomlPlan(ROOT / "migration" / "plan.toml").load()
    assert plan_problems(plan, runner) == []
    workspace = DiskWorkspace(ROOT)
    stale = stale_split_files(Engine(plan, runner, workspace), workspace)
    assert stale == [], (
        "split/ is stale: run `netsplit migrate build` and commit the result "
        f"(differs: {', '.join('split/' + p for p in stale)})"
    )
