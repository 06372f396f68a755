"""``netsplit migrate`` on a small project: what each command prints and returns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netsplit.cli import main

from .fixtures import make_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(tmp_path)
    monkeypatch.setenv("NETSPLIT_ROOT", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def test_list_shows_each_step_with_its_commit_title(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "list"]) == 0
    out = capsys.readouterr().out
    assert "migration/plan.toml: 3 steps" in out
    assert "│ 3 │ route-pong-received" in out
    assert "scripted-diff: net: route PongReceived through CConnman" in out


def test_show_prints_rationale_replay_command_and_diff(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "show", "route-pong-received"]) == 0
    out = capsys.readouterr().out
    assert "step 3/3: scripted-diff: net: route PongReceived through CConnman" in out
    assert "net_processing stops calling a CNode method." in out
    assert "RouteThroughConnman legacy --no-format" in out
    assert "legacy/net.py  +8 -0" in out
    assert "+            self.m_connman.PongReceived(pfrom.GetId(), 5)" in out


def test_a_step_that_does_not_exist_is_an_error_that_says_where_to_look(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "show", "9"]) == 2
    assert "error: no step 9: the plan has 3 steps (see netsplit migrate list)" in (
        capsys.readouterr().err
    )


def test_census_json_reports_debt_members_and_upstream_differences(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "census", "--stage", "0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["stage"] == 0
    assert data["debt"] == 10
    disconnect = next(m for m in data["members"] if m["member"] == "fDisconnect")
    assert disconnect["net_processing"] == {"read": 0, "write": 1, "call": 0}
    assert {
        "member": "fDisconnect",
        "measure": "net_processing writes",
        "port": 1,
        "upstream": 39,
    } in data["differences_from_upstream"]


def test_census_table_marks_moved_members(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "census"]) == 0
    out = capsys.readouterr().out
    assert "m_bip152_highbandwidth_from (moved)" in out
    assert "layering debt (CNode accesses from net_processing): 6" in out


def test_build_then_check_and_a_hand_edit_makes_split_stale(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "build"]) == 0
    assert "split/net_processing.py" in capsys.readouterr().out
    assert main(["migrate", "build"]) == 0
    assert "split/ is up to date (stage 3)" in capsys.readouterr().out
    assert main(["migrate", "check"]) == 0
    assert "plan well-formed (3 steps) and split/ is fresh" in capsys.readouterr().out
    split_np = project / "split" / "net_processing.py"
    split_np.write_text(split_np.read_text() + "# edited\n")
    assert main(["migrate", "check"]) == 1
    out = capsys.readouterr().out
    assert "split/ is stale: run `netsplit migrate build` and commit the result" in out
    assert "split/net_processing.py" in out


def test_apply_writes_a_stage_and_refuses_to_overwrite(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = project / "stage1"
    assert main(["migrate", "apply", "--through", "1", "--out", str(out_dir)]) == 0
    assert "wrote stage 1" in capsys.readouterr().out
    assert "m_bip152_highbandwidth_from" in (out_dir / "net_processing.py").read_text()
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "__init__.py",
        "net.py",
        "net_processing.py",
    ]
    assert main(["migrate", "apply", "--through", "1", "--out", str(out_dir)]) == 2
    assert "exists and is not empty; give --out a new directory" in capsys.readouterr().err


def test_a_step_that_does_not_apply_is_reported_without_a_traceback(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = project / "migration" / "plan.toml"
    plan.write_text(
        plan.read_text()
        + '\n[[step]]\nid = "bad"\ntitle = "t"\nrationale = "r"\ncodemod = "MoveField"\n'
        'args = { fields = ["m_nothing"] }\n'
    )
    assert main(["migrate", "show", "4"]) == 1
    err = capsys.readouterr().err
    assert "error: step 4 (bad) does not apply to stage 3:" in err
    assert "CNode has no member m_nothing" in err
    assert "Traceback" not in err
