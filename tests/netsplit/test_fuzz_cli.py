"""``netsplit fuzz``: a short atheris run of each target, replay of saved inputs, exit codes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from netsplit.cli import main
from netsplit.diff import frames
from netsplit.fuzz.targets import frame_input, process_message_input

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"fuzz (\w+) on (\w+): (\d+) executions in \d+ s \((\d+) exec/s;")


def test_short_atheris_run_of_each_target_executes_inputs_and_finds_nothing(
    tmp_path: Path,
) -> None:
    pytest.importorskip("atheris")
    procs = {
        target: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "netsplit",
                "fuzz",
                target,
                "--seconds",
                "5",
                "--quiet",
                "--corpus",
                str(tmp_path / f"corpus-{target}"),
                "--crash-dir",
                str(tmp_path / f"crashes-{target}"),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for target in ("frame", "process_message")
    }
    for target, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{target}: {out}\n{err[-3000:]}"
        m = SUMMARY.search(out)
        assert m is not None, out
        assert (m.group(1), m.group(2)) == (target, "legacy")
        assert int(m.group(3)) > 0
        assert not (tmp_path / f"crashes-{target}").exists()


def test_replay_runs_saved_inputs_and_reports_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good"
    good.write_bytes(process_message_input("ping", bytes(8)))
    assert main(["fuzz", "process_message", "--variant", "split", "--replay", str(good)]) == 0
    out = capsys.readouterr().out
    assert f"ok   {good}" in out
    assert "1 of 1 saved inputs pass" in out


def test_replay_of_directory_covers_every_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i, wire in enumerate((frames.frame("ping", bytes(8)), frames.bad_magic("tx"))):
        data = frame_input(wire, checksum_assist=False, magic_assist=False, chunk=i)
        (tmp_path / f"input-{i}").write_bytes(data)
    assert main(["fuzz", "frame", "--replay", str(tmp_path)]) == 0
    assert "2 of 2 saved inputs pass" in capsys.readouterr().out


def test_unknown_variant_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "frame", "--variant", "nosuch", "--replay", "x"]) == 2
    assert "unknown variant 'nosuch'" in capsys.readouterr().err


def test_replay_of_an_input_that_finds_a_bug_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from netsplit.diff.mutants import MUTANTS, materialize

    mutant = next(m for m in MUTANTS if m.name == "dropped-pong")
    materialize(mutant, ROOT / "legacy", tmp_path, "legacy_fuzz_cli_dropped_pong")
    saved = tmp_path / "verack"
    saved.write_bytes(process_message_input("verack"))
    variant = f"path:{tmp_path / 'legacy_fuzz_cli_dropped_pong'}"
    assert main(["fuzz", "process_message", "--variant", variant, "--replay", str(saved)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {saved}: netsplit.fuzz.targets.FuzzFinding: the honest peer got no pong" in out
    assert "0 of 1 saved inputs pass" in out


def test_command_lists_exactly_the_registered_targets() -> None:
    from netsplit.fuzz.command import TARGET_NAMES
    from netsplit.fuzz.targets import TARGETS

    assert sorted(TARGET_NAMES) == sorted(TARGETS)
