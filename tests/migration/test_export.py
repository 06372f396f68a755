"""export-git and check-commits, end to end: the verify scripts run libcst's own codemod tool,
so a passing check also proves the tool and our engine produce the same bytes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from migration.adapters.filesystem import DiskWorkspace, TomlPlan
from migration.adapters.runner import StepRunner
from migration.adapters.tools import Git
from migration.application.engine import Engine
from migration.application.usecases import UsageError, check_commits, export_git
from migration.domain.commits import BEGIN, END

from .fixtures import make_project


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    make_project(root)
    engine = Engine(
        TomlPlan(root / "migration" / "plan.toml").load(),
        StepRunner(root / "migration"),
        DiskWorkspace(root),
    )
    out = root / "exported"
    export_git(engine, StepRunner(root / "migration"), DiskWorkspace(root), Git(), out)
    return out


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def test_one_commit_per_step_on_top_of_legacy_with_scripted_diff_titles(exported: Path) -> None:
    titles = _git(exported, "log", "--reverse", "--format=%s").splitlines()
    assert titles == [
        "legacy: the monolith every step starts from",
        "scripted-diff: net: move CNode::m_bip152_highbandwidth_from to Peer",
        "scripted-diff: net: move the negotiated common version to Peer",
        "scripted-diff: net: route PongReceived through CConnman",
    ]
    body = _git(exported, "log", "-1", "--format=%b")
    script = body.split(BEGIN + "\n")[1].split("\n" + END)[0]
    assert script == (
        "python -m libcst.tool codemod -x migration.adapters.codemods.RouteThroughConnman "
        "legacy --no-format --jobs=1 --hide-progress --method PongReceived\n"
        "python -m ruff format --isolated --quiet --line-length=100 --target-version=py311 legacy"
    )
    assert "Migration step 3: route-pong-received" in body


def test_check_commits_replays_every_script_exactly(exported: Path) -> None:
    results = check_commits(Git(), exported)
    assert [(r.status, r.title) for r in results] == [
        ("not scripted", "legacy: the monolith every step starts from"),
        ("ok", "scripted-diff: net: move CNode::m_bip152_highbandwidth_from to Peer"),
        ("ok", "scripted-diff: net: move the negotiated common version to Peer"),
        ("ok", "scripted-diff: net: route PongReceived through CConnman"),
    ]
    # The repository is left on its branch, clean.
    assert _git(exported, "status", "--porcelain") == ""
    assert _git(exported, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_a_commit_whose_tree_does_not_match_its_script_fails(
    exported: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    subprocess.run(["git", "clone", "-q", str(exported), str(copy)], check=True)
    # Smuggle a hand edit into the last scripted-diff commit.
    net = copy / "legacy" / "net.py"
    net.write_text(net.read_text() + "\n# hand edit\n")
    env_commit = [
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--amend",
        "-a",
        "--no-edit",
    ]
    subprocess.run(["git", *env_commit], cwd=copy, check=True)
    results = check_commits(Git(), copy)
    assert [r.status for r in results] == ["not scripted", "ok", "ok", "failed"]
    assert "replay differs" in results[-1].detail
    assert "+# hand edit" in results[-1].detail


def test_export_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    make_project(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("")
    engine = Engine(
        TomlPlan(tmp_path / "migration" / "plan.toml").load(),
        StepRunner(tmp_path / "migration"),
        DiskWorkspace(tmp_path),
    )
    with pytest.raises(UsageError, match="is not empty; export-git needs a new directory"):
        export_git(engine, StepRunner(tmp_path), DiskWorkspace(tmp_path), Git(), tmp_path / "out")
