"""``netsplit diff``: the summary with throughput, exit codes, reports and replays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netsplit.cli import main
from netsplit.diff import stages
from netsplit.diff.mutants import MUTANTS, materialize
from netsplit.diff.variant import VariantError, copy_package, resolve

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dropped_pong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A planted divergence: legacy that never answers a ping, as a package on disk."""
    where = tmp_path_factory.mktemp("planted")
    mutant = next(m for m in MUTANTS if m.name == "dropped-pong")
    materialize(mutant, ROOT / "legacy", where, "legacy_dropped_pong")
    return where / "legacy_dropped_pong"


@pytest.fixture(scope="module")
def reordered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """legacy sending sendaddrv2 before wtxidrelay: every handshake shows it."""
    where = tmp_path_factory.mktemp("reordered")
    mutant = next(m for m in MUTANTS if m.name == "handshake-reordered")
    materialize(mutant, ROOT / "legacy", where, "legacy_reordered")
    return where / "legacy_reordered"


@pytest.fixture(scope="module")
def identical(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("identical")
    copy_package(ROOT / "legacy", where, "legacy_cli_copy")
    return where / "legacy_cli_copy"


def test_agreeing_variants_exit_zero_and_print_throughput(
    identical: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["diff", "legacy", f"path:{identical}", "--examples", "5", "--report", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "legacy vs legacy_cli_copy" in out
    assert "scenarios/s" in out
    assert "no divergence" in out
    assert not list(tmp_path.iterdir())


def test_planted_divergence_exits_one_with_a_report_and_a_replay_file(
    dropped_pong: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["diff", "legacy", f"path:{dropped_pong}", "--examples", "0", "--report", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "DIVERGENCE between legacy and legacy_dropped_pong" in out
    [replay] = tmp_path.glob("divergence-*.json")
    report = replay.with_suffix(".txt").read_text()
    assert "FIRST DIVERGENCE event 7: messages to peer 0" in report
    assert "peer -> node: msg_ping(nonce=77)" in report
    assert "-msg_pong(nonce=77)" in report
    saved = json.loads(replay.read_text())
    assert saved["variants"] == ["legacy", f"path:{dropped_pong}"]

    # The replay file names its variants: replaying it alone reproduces the divergence.
    code = main(["diff", "--replay", str(replay), "--report", str(tmp_path / "again")])
    out = capsys.readouterr().out
    assert code == 1
    assert "FIRST DIVERGENCE event 7" in out


def test_generated_divergence_is_shrunk_and_replays(
    reordered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = ["--report", str(tmp_path)]
    code = main(
        ["diff", "legacy", f"path:{reordered}", "--no-directed", "--examples", "20", *report]
    )
    capsys.readouterr()
    assert code == 1
    [replay] = tmp_path.glob("divergence-*.json")
    scenario = json.loads(replay.read_text())["scenario"]
    # Shrunk to the bone: a peer connects and sends its version; the node's answer differs.
    assert [e["type"] for e in scenario["events"]] in (
        ["PeerConnects", "PeerSends"],
        ["PeerConnects"],  # an outbound peer gets our version at once
    )
    assert scenario["note"].startswith("shrunk from ")
    assert main(["diff", "legacy", f"path:{reordered}", "--replay", str(replay)]) == 1


def test_replaying_against_identical_code_agrees(
    dropped_pong: Path, identical: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["diff", "legacy", f"path:{dropped_pong}", "--examples", "0", "--report", str(tmp_path)])
    [replay] = tmp_path.glob("divergence-*.json")
    capsys.readouterr()
    assert main(["diff", "legacy", f"path:{identical}", "--replay", str(replay)]) == 0
    assert "no divergence" in capsys.readouterr().out


def test_unknown_variant_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "legacy", "nonsense"]) == 2
    assert "unknown variant 'nonsense'" in capsys.readouterr().out


def test_stage_without_the_migration_toolkit_says_what_is_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stages, "_ENTRY_POINTS", ())
    with pytest.raises(
        VariantError, match=r"stage:K needs the migration toolkit \(netsplit migrate\)"
    ):
        resolve("stage:3", ROOT)


def test_split_without_split_or_stages_compares_an_identical_copy_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(stages, "_ENTRY_POINTS", ())
    fake_root = tmp_path / "root"
    (fake_root / "legacy").mkdir(parents=True)
    (fake_root / "legacy" / "net_processing.py").write_text("")
    spec = resolve("split", fake_root)
    assert spec.label == "legacy-copy"
    assert "split/ is not generated yet" in spec.note
    assert "identical copy of legacy" in spec.note
    assert spec.search_path == fake_root / ".netsplit-cache" / "diff"
