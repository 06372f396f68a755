"""Reading ``.importlinter``: pending contracts, the split contracts mapped onto a stage, and
checking them in-process as ``netsplit migrate verify`` does."""

from __future__ import annotations

from pathlib import Path

from contracts.check import check_contracts
from contracts.config import (
    PENDING_MARKER,
    enable_pending,
    parse,
    pending_ids,
    rename_package,
    stage_contracts,
)

from .synthetic import write_split

ROOT = Path(__file__).resolve().parents[2]
PROJECT_CONFIG = (ROOT / ".importlinter").read_text(encoding="utf-8")
SPLIT_CONTRACTS = [
    "split-net-not-net-processing",
    "split-net-processing-not-net",
    "split-net-processing-never-names-cnode",
    "split-net-processing-calls-no-cnode-method",
]


def test_enabling_pending_contracts_strips_the_marker_and_keeps_indentation() -> None:
    text = (
        "[importlinter]\nroot_packages =\n    a\n"
        f"{PENDING_MARKER}[importlinter:contract:x]\n"
        f"{PENDING_MARKER}modules =\n"
        f"{PENDING_MARKER}    a.b\n"
        f"{PENDING_MARKER.rstrip()}\n"
        "# an ordinary comment\n"
    )
    assert enable_pending(text) == (
        "[importlinter]\nroot_packages =\n    a\n"
        "[importlinter:contract:x]\nmodules =\n    a.b\n\n# an ordinary comment\n"
    )
    assert parse(enable_pending(text)).contract("x")["modules"] == ["a.b"]
    assert parse(text).ids == []


def test_only_split_contracts_are_pending_in_the_project_configuration() -> None:
    # Until the migration stack is complete some split contracts are pending; once they are
    # enabled this list is empty. Nothing else may be parked as pending.
    assert set(pending_ids(PROJECT_CONFIG)) <= set(SPLIT_CONTRACTS)
    enabled = parse(enable_pending(PROJECT_CONFIG))
    assert [i for i in enabled.ids if i.startswith("split-")] == SPLIT_CONTRACTS
    assert enabled.session["contract_types"] == [
        "forbidden_names: contracts.forbidden_names.ForbiddenNamesContract",
        "no_foreign_method_calls: contracts.foreign_calls.NoForeignMethodCallsContract",
    ]


def test_renaming_touches_module_paths_of_the_package_only() -> None:
    assert rename_package("split.net.CNode", "split", "stage_007") == "stage_007.net.CNode"
    assert rename_package("split", "split", "stage_007") == "stage_007"
    assert rename_package("split.a -> split.b", "split", "s") == "s.a -> s.b"
    assert rename_package("splitter.x", "split", "s") == "splitter.x"
    assert rename_package("legacy.split", "split", "s") == "legacy.split"


def test_stage_contracts_are_the_split_ones_renamed_onto_the_stage() -> None:
    contracts = stage_contracts(parse(enable_pending(PROJECT_CONFIG)), "stage_003")
    assert [c["id"] for c in contracts] == SPLIT_CONTRACTS
    calls = contracts[-1]
    assert calls["name"] == "split: net_processing calls no method only CNode has"
    assert calls["modules"] == ["stage_003.net_processing"]
    assert calls["foreign_class"] == "stage_003.net.CNode"
    assert calls["allowed_definers"] == ["stage_003.interfaces"]


def _stage_session() -> dict[str, str | list[str]]:
    session = parse(PROJECT_CONFIG).session
    return {
        "root_packages": ["stage_042"],
        "include_external_packages": "True",
        "contract_types": session["contract_types"],
    }


def test_checking_in_process_keeps_every_split_contract_on_the_end_state(tmp_path: Path) -> None:
    write_split(tmp_path, "stage_042")
    contracts = stage_contracts(parse(enable_pending(PROJECT_CONFIG)), "stage_042")
    verdicts = check_contracts(_stage_session(), contracts, path_entry=tmp_path)
    assert [(v.id, v.kept, v.error, v.warnings) for v in verdicts] == [
        (cid, True, False, ()) for cid in SPLIT_CONTRACTS
    ]


def test_checking_in_process_reports_the_broken_contract_as_lint_imports_would(
    tmp_path: Path,
) -> None:
    package = write_split(tmp_path, "stage_042")
    np = package / "net_processing.py"
    np.write_text(np.read_text() + "from .net import CNode\n")
    contracts = stage_contracts(parse(enable_pending(PROJECT_CONFIG)), "stage_042")
    verdicts = {v.id: v for v in check_contracts(_stage_session(), contracts, tmp_path)}
    assert {cid for cid, v in verdicts.items() if not v.kept} == {
        "split-net-processing-not-net",
        "split-net-processing-never-names-cnode",
    }
    line = np.read_text().count("\n")
    assert f"stage_042.net_processing:{line}: CNode (import)" in (
        verdicts["split-net-processing-never-names-cnode"].detail
    )
    assert "stage_042.net_processing -> stage_042.net" in (
        verdicts["split-net-processing-not-net"].detail
    )


def test_a_contract_naming_a_missing_module_is_an_error_not_a_verdict(tmp_path: Path) -> None:
    write_split(tmp_path, "stage_042")
    contract: dict[str, str | list[str]] = {
        "id": "split-x",
        "name": "x",
        "type": "forbidden",
        "source_modules": ["stage_042.nothing"],
        "forbidden_modules": ["stage_042.net"],
    }
    (verdict,) = check_contracts(_stage_session(), [contract], tmp_path)
    assert (verdict.kept, verdict.error) == (False, True)
    assert verdict.detail == "could not run: Module 'stage_042.nothing' does not exist."
