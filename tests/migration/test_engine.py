from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from migration.adapters.filesystem import DiskWorkspace, TomlPlan
from migration.adapters.runner import StepRunner
from migration.application.engine import Engine, StepFailed
from migration.domain.plan import Step

from .fixtures import PLAN, make_project


def _engine(root: Path) -> Engine:
    return Engine(
        TomlPlan(root / "migration" / "plan.toml").load(),
        StepRunner(root / "migration"),
        DiskWorkspace(root),
    )


def test_a_stage_is_an_importable_copy_of_legacy_under_its_own_name(tmp_path: Path) -> None:
    make_project(tmp_path)
    ref = _engine(tmp_path).stage(2)
    assert ref.path.name == "stage_002"
    sys.path.insert(0, str(ref.path.parent))
    try:
        module = importlib.import_module("stage_002.net_processing")
        peer = module.Peer(7)
        assert peer.GetCommonVersion() == 209
        assert peer.m_bip152_highbandwidth_from is False
        net = importlib.import_module("stage_002.net")
        assert module.CNode is net.CNode
        assert not hasattr(net.CNode(1, False), "m_bip152_highbandwidth_from")
    finally:
        sys.path.remove(str(ref.path.parent))
        for name in [m for m in sys.modules if m.startswith("stage_002")]:
            del sys.modules[name]


def test_stages_are_cached_and_rebuilt_from_the_nearest_cached_stage(tmp_path: Path) -> None:
    make_project(tmp_path)
    built: list[str] = []
    _engine(tmp_path).stage(3, on_build=lambda step: built.append(step.id))
    assert built == ["move-bip152-highbandwidth-from", "move-common-version", "route-pong-received"]
    built.clear()
    _engine(tmp_path).stage(3, on_build=lambda step: built.append(step.id))
    assert built == []
    # Changing step 3's arguments rebuilds stage 3 only.
    plan = tmp_path / "migration" / "plan.toml"
    plan.write_text(
        plan.read_text().replace(
            'args = { method = "PongReceived" }',
            'args = { method = "PongReceived", connman_method = "Pong" }',
        )
    )
    _engine(tmp_path).stage(3, on_build=lambda step: built.append(step.id))
    assert built == ["route-pong-received"]
    # Changing legacy/ rebuilds everything.
    built.clear()
    (tmp_path / "legacy" / "net.py").write_text(
        (tmp_path / "legacy" / "net.py").read_text() + "\n# x\n"
    )
    _engine(tmp_path).stage(1, on_build=lambda step: built.append(step.id))
    assert built == ["move-bip152-highbandwidth-from"]


def test_a_step_that_does_not_apply_names_the_file_line_and_fix(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        PLAN + '\n[[step]]\nid = "move-disconnect"\ntitle = "t"\nrationale = "r"\n'
        'codemod = "MoveField"\nargs = { fields = ["fDisconnect"] }\n',
    )
    with pytest.raises(StepFailed) as caught:
        _engine(tmp_path).stage(4)
    assert isinstance(caught.value.step, Step) and caught.value.step.number == 4
    assert caught.value.problems == (
        "stage_004/net.py:72: CConnman.DisconnectInbound uses CNode.fDisconnect outside "
        "net_processing; it must stop (cross the interface as data, or use DuplicateField) "
        "before the member can move",
    )


def test_a_patch_step_applies_with_git_apply(tmp_path: Path) -> None:
    legacy = make_project(tmp_path)
    # Write the patch the way docs/reviewing.md says: a diff inside a copy of the stage.
    work = tmp_path / "work"
    subprocess.run(["cp", "-r", str(legacy), str(work)], check=True)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    text = (
        (work / "net.py")
        .read_text()
        .replace("INIT_PROTO_VERSION = 209", "INIT_PROTO_VERSION = 209  # BIP14")
    )
    (work / "net.py").write_text(text)
    patch = subprocess.run(
        ["git", "diff"], cwd=work, check=True, capture_output=True, text=True
    ).stdout
    (tmp_path / "migration" / "patches" / "0001-note.patch").write_text(patch)
    plan = tmp_path / "migration" / "plan.toml"
    plan.write_text(
        '[[step]]\nid = "note"\ntitle = "net: note"\nrationale = "r"\n'
        'patch = "patches/0001-note.patch"\n'
    )
    ref = _engine(tmp_path).stage(1)
    assert "INIT_PROTO_VERSION = 209  # BIP14" in (ref.path / "net.py").read_text()
