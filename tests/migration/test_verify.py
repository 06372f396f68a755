from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from migration.adapters.census_probe import CstCensus
from migration.adapters.filesystem import DiskWorkspace, TomlPlan
from migration.adapters.runner import StepRunner
from migration.adapters.tools import DifferentialHarness
from migration.application.engine import Engine
from migration.application.verify import Tools, verify
from migration.domain.report import Check, Status

from .fixtures import PLAN, make_project


class CleanTypes:
    def __init__(self) -> None:
        self.checked: list[str] = []

    def check(self, packages: Sequence[Path]) -> dict[Path, list[str]]:
        self.checked += [p.name for p in packages]
        return {p: [] for p in packages}


class CleanLint:
    def check(self, package: Path) -> list[str]:
        return []


class NoHarness:
    def available(self) -> bool:
        return False

    def run(self, stage: int, package: Path, quick: bool) -> Check:
        raise AssertionError("not available, never run")


def _verify(root: Path, quick: bool = False, types: CleanTypes | None = None) -> object:
    workspace = DiskWorkspace(root)
    runner = StepRunner(root / "migration")
    engine = Engine(TomlPlan(root / "migration" / "plan.toml").load(), runner, workspace)
    tools = Tools(runner, workspace, types or CleanTypes(), CleanLint(), CstCensus(), NoHarness())
    return verify(engine, tools, quick=quick)


def test_every_stage_applies_is_idempotent_and_never_raises_the_debt(tmp_path: Path) -> None:
    make_project(tmp_path)
    report = _verify(tmp_path)
    assert report.ok  # type: ignore[attr-defined]
    rows = [
        (s.stage, s.step_id, s.applies.status, s.idempotent.status, s.debt, s.differential.detail)
        for s in report.stages  # type: ignore[attr-defined]
    ]
    assert rows == [
        (0, "legacy", Status.NA, Status.NA, 10, "n/a: differential harness not built"),
        (
            1,
            "move-bip152-highbandwidth-from",
            Status.PASS,
            Status.PASS,
            9,
            "n/a: differential harness not built",
        ),
        (
            2,
            "move-common-version",
            Status.PASS,
            Status.PASS,
            6,
            "n/a: differential harness not built",
        ),
        (
            3,
            "route-pong-received",
            Status.PASS,
            Status.PASS,
            6,
            "n/a: differential harness not built",
        ),
    ]


def test_a_step_that_adds_cnode_accesses_to_net_processing_fails(tmp_path: Path) -> None:
    legacy = make_project(tmp_path)
    work = tmp_path / "work"
    subprocess.run(["cp", "-r", str(legacy), str(work)], check=True)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    np = work / "net_processing.py"
    np.write_text(
        np.read_text().replace(
            "            return False\n        return not",
            "            return pto.fDisconnect\n        return not",
        )
    )
    patch = subprocess.run(
        ["git", "diff"], cwd=work, check=True, capture_output=True, text=True
    ).stdout
    (tmp_path / "migration" / "patches" / "0001-more.patch").write_text(patch)
    (tmp_path / "migration" / "plan.toml").write_text(
        '[[step]]\nid = "more"\ntitle = "net: more"\nrationale = "r"\n'
        'patch = "patches/0001-more.patch"\n'
    )
    report = _verify(tmp_path)
    assert not report.ok  # type: ignore[attr-defined]
    stage = report.stages[1]  # type: ignore[attr-defined]
    assert stage.debt_check == Check.fail("11 (+1): the step adds CNode accesses to net_processing")
    assert stage.idempotent == Check.na("patch step")


def test_quick_type_checks_legacy_and_the_last_stage_only(tmp_path: Path) -> None:
    make_project(tmp_path, PLAN)
    types = CleanTypes()
    report = _verify(tmp_path, quick=True, types=types)
    assert types.checked == ["stage_000", "stage_003"]
    assert report.stages[1].mypy.status is Status.SKIPPED  # type: ignore[attr-defined]


def test_the_differential_column_says_plainly_when_there_is_no_harness(tmp_path: Path) -> None:
    harness = DifferentialHarness(tmp_path)
    assert not harness.available()
    assert harness.run(1, tmp_path, quick=True) == Check.na("n/a: differential harness not built")
