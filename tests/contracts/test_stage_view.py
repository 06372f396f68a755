"""The layering of each stage of a small stack: ``verify`` reports which split contracts hold
at each stage and fails a step that breaks one that held; ``census --plot`` charts the debt."""

from __future__ import annotations

import struct
import textwrap
from pathlib import Path

import pytest

from migration.adapters.census_probe import CstCensus
from migration.adapters.filesystem import DiskWorkspace, TomlPlan
from migration.adapters.runner import StepRunner
from migration.adapters.stage_contracts import ImportContracts
from migration.application.engine import Engine
from migration.application.layering import debt_by_stage
from migration.application.verify import Tools, verify
from migration.domain.report import Check, ContractVerdict, Status, contracts_check, stage_ranges
from netsplit.cli import main
from tests.migration.fixtures import make_project
from tests.migration.test_verify import CleanLint, CleanTypes, NoHarness

CONFIG = textwrap.dedent(
    """\
    [importlinter]
    root_packages =
        split
    include_external_packages = True
    contract_types =
        forbidden_names: contracts.forbidden_names.ForbiddenNamesContract
        no_foreign_method_calls: contracts.foreign_calls.NoForeignMethodCallsContract

    [importlinter:contract:not-about-split]
    name = ignored by the stage view: its id does not start with split-
    type = forbidden
    source_modules =
        legacy
    forbidden_modules =
        split

    [importlinter:contract:split-net-not-net-processing]
    name = split: net imports nothing from net_processing
    type = forbidden
    source_modules =
        split.net
    forbidden_modules =
        split.net_processing

    # pending-split: [importlinter:contract:split-no-connman-calls]
    # pending-split: name = split: net_processing calls no CConnman method
    # pending-split: type = no_foreign_method_calls
    # pending-split: modules =
    # pending-split:     split.net_processing
    # pending-split: foreign_class = split.net.CConnman
    """
)


def _engine(root: Path) -> Engine:
    runner = StepRunner(root / "migration")
    return Engine(TomlPlan(root / "migration" / "plan.toml").load(), runner, DiskWorkspace(root))


def test_verify_reports_the_split_contracts_per_stage_and_fails_a_step_that_breaks_one(
    tmp_path: Path,
) -> None:
    make_project(tmp_path)
    (tmp_path / ".importlinter").write_text(CONFIG)
    engine = _engine(tmp_path)
    tools = Tools(
        engine.applier,
        engine.workspace,
        CleanTypes(),
        CleanLint(),
        CstCensus(),
        NoHarness(),
        contracts=ImportContracts(tmp_path / ".importlinter"),
    )
    report = verify(engine, tools)
    held = [
        [(v.id, v.kept) for v in s.contracts] + [(s.contracts_check.status.value, "")]
        for s in report.stages
    ]
    holding = [
        ("split-net-not-net-processing", True),
        ("split-no-connman-calls", True),
        ("pass", ""),
    ]
    assert held == [
        holding,
        holding,
        holding,
        [
            ("split-net-not-net-processing", True),
            ("split-no-connman-calls", False),
            ("fail", ""),
        ],
    ]
    assert report.stages[2].contracts_check == Check.ok("2/2 hold")
    # Step 3 routes PongReceived through CConnman: net_processing now calls a CConnman method.
    assert report.stages[3].contracts_check.detail == (
        "breaks split-no-connman-calls, which held before: stage_003.net_processing uses "
        "methods only stage_003.net.CConnman has (PongReceived):"
    )
    assert not report.ok


def test_without_importlinter_the_stage_view_is_empty(tmp_path: Path) -> None:
    make_project(tmp_path)
    stage = _engine(tmp_path).stage(1)
    assert ImportContracts(tmp_path / ".importlinter").check(stage.path) == ()
    assert contracts_check(None, ()) == Check.na("no split contracts")


def test_a_contract_that_does_not_hold_yet_is_counted_not_failed() -> None:
    before = [ContractVerdict("a", True), ContractVerdict("b", False)]
    after = [ContractVerdict("a", True), ContractVerdict("b", False, "x", error=True)]
    assert contracts_check(before, after) == Check.ok("1/2 hold")
    assert contracts_check(after, [ContractVerdict("a", False, "a -> b\nmore")]) == Check.fail(
        "breaks a, which held before: a -> b"
    )
    assert contracts_check(None, before).status is Status.PASS
    # A contract that cannot be checked at a stage (a module it names is missing) neither holds
    # nor counts as broken.
    missing = [ContractVerdict("a", False, "could not run", error=True)]
    assert contracts_check(before, missing) == Check.ok("0/1 hold")


def test_stage_ranges_compress_runs_of_stages() -> None:
    assert stage_ranges([0, 1, 2, 5, 7, 8]) == "0-2, 5, 7-8"
    assert stage_ranges([3]) == "3"
    assert stage_ranges([]) == "none"


def test_debt_by_stage_counts_every_stage_with_its_step_serially_or_in_parallel(
    tmp_path: Path,
) -> None:
    make_project(tmp_path)
    debts = debt_by_stage(_engine(tmp_path), CstCensus(), jobs=1)
    assert debt_by_stage(_engine(tmp_path), CstCensus(), jobs=2) == debts
    assert [(d.stage, d.step_id, d.debt) for d in debts] == [
        (0, "legacy", 10),
        (1, "move-bip152-highbandwidth-from", 9),
        (2, "move-common-version", 6),
        (3, "route-pong-received", 6),
    ]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_census_plot_writes_the_debt_chart_as_png(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    monkeypatch.setenv("NETSPLIT_ROOT", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "out" / "debt.png"
    assert main(["migrate", "census", "--plot", "--plot-out", str(out), "--jobs", "1"]) == 0
    assert _png_size(out) == (1000, 450)
    printed = capsys.readouterr().out
    assert f"wrote {out}: layering debt 10 at legacy/, 6 at stage 3 (route-pong-received)" in (
        printed.replace("\n", "")
    )
    assert main(["migrate", "census", "--plot", "--jobs", "1"]) == 0
    assert _png_size(tmp_path / "docs" / "img" / "layering-debt.png") == (1000, 450)
