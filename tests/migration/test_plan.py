from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from migration.adapters.filesystem import TomlPlan
from migration.adapters.runner import StepRunner
from migration.domain.commits import BEGIN, END, commit_message, parse_message
from migration.domain.plan import CodemodAction, PatchAction, PlanError, parse_plan, validate_plan

from .fixtures import PLAN

ROOT = Path(__file__).resolve().parents[2]


def _plan(text: str) -> object:
    return parse_plan(tomllib.loads(text))


def test_steps_parse_in_order_with_numbers_titles_and_actions() -> None:
    plan = parse_plan(tomllib.loads(PLAN))
    assert [s.id for s in plan.steps] == [
        "move-bip152-highbandwidth-from",
        "move-common-version",
        "route-pong-received",
    ]
    first = plan.step(1)
    assert first.number == 1
    assert first.commit_title == (
        "scripted-diff: net: move CNode::m_bip152_highbandwidth_from to Peer"
    )
    assert first.action == CodemodAction(
        "MoveField",
        {"fields": ["m_bip152_highbandwidth_from"], "stats": True, "copy_stats": "CNode.CopyStats"},
    )
    assert plan.step("route-pong-received").number == 3


def test_a_patch_step_is_a_normal_commit() -> None:
    plan = parse_plan(
        tomllib.loads(
            '[[step]]\nid = "p"\ntitle = "net: tidy"\nrationale = "r"\npatch = "x.patch"\n'
        )
    )
    assert plan.steps[0].action == PatchAction("x.patch")
    assert plan.steps[0].commit_title == "net: tidy"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[step]]\nid = "a"\nrationale = "r"\ncodemod = "MoveField"\n', "`title` is required"),
        (
            '[[step]]\nid = "a"\ntitle = "t"\nrationale = "r"\ncodemod = "X"\npatch = "p"\n',
            "exactly one of `codemod` or `patch`",
        ),
        (
            '[[step]]\nid = "a"\ntitle = "t"\nrationale = "r"\ncodemod = "X"\nargs = { n = 1.5 }\n',
            "argument 'n' must be",
        ),
        (
            '[[step]]\nid = "a"\ntitle = "t"\nrationale = "r"\nwhy = "x"\npatch = "p"\n',
            "unknown keys",
        ),
    ],
)
def test_malformed_steps_are_rejected_naming_the_step(text: str, message: str) -> None:
    with pytest.raises(PlanError, match="step 1") as caught:
        parse_plan(tomllib.loads(text))
    assert message in str(caught.value)


def test_validation_finds_duplicate_ids_unknown_codemods_bad_args_and_missing_patches() -> None:
    text = PLAN + (
        '\n[[step]]\nid = "move-common-version"\ntitle = "t"\nrationale = "r"\ncodemod = "Nope"\n'
        '\n[[step]]\nid = "Bad_Id"\ntitle = "t"\nrationale = "r"\ncodemod = "MoveField"\n'
        'args = { fields = ["x"], colour = "red" }\n'
        '\n[[step]]\nid = "patchy"\ntitle = "t"\nrationale = "r"\npatch = "patches/none.patch"\n'
    )
    runner = StepRunner(Path("/nonexistent"))
    problems = [
        str(p)
        for p in validate_plan(
            parse_plan(tomllib.loads(text)), runner.check_codemod, runner.patch_exists
        )
    ]
    assert problems == [
        "step 4 (move-common-version): id repeats step 2; ids must be unique",
        "step 4 (move-common-version): unknown codemod 'Nope' (known: DuplicateField, "
        "MoveField, RemoveMethod, RenameMember, RouteThroughConnman)",
        "step 5 (Bad_Id): id must be lowercase letters, digits and dashes (a slug)",
        "step 5 (Bad_Id): MoveField has no argument 'colour' (it takes: fields, methods, stats, "
        "copy_stats, fill_stats, stats_from, stats_to, peer_for, after, source, target)",
        "step 6 (patchy): patch file migration/patches/none.patch does not exist (write it with "
        "`git diff --relative` inside a stage, see docs/reviewing.md)",
    ]


def test_steps_are_found_by_number_or_id_and_a_wrong_one_says_how_many_there_are() -> None:
    plan = parse_plan(tomllib.loads(PLAN))
    with pytest.raises(
        PlanError, match=r"no step 9: the plan has 3 steps \(see netsplit migrate list\)"
    ):
        plan.step("9")
    with pytest.raises(PlanError, match="no step with id 'nope'"):
        plan.step("nope")


def test_commit_message_carries_the_script_between_the_markers() -> None:
    step = parse_plan(tomllib.loads(PLAN)).step(1)
    message = commit_message(step, "python -m libcst.tool codemod x legacy")
    lines = message.splitlines()
    assert lines[0] == step.commit_title
    assert lines[-3:] == [BEGIN, "python -m libcst.tool codemod x legacy", END]
    parsed = parse_message(message)
    assert parsed.is_scripted_diff
    assert parsed.script == "python -m libcst.tool codemod x legacy"


def test_markers_in_a_normal_commit_are_flagged_like_upstream() -> None:
    parsed = parse_message(f"net: tidy\n\n{BEGIN}\ntrue\n{END}\n")
    assert not parsed.is_scripted_diff
    assert parsed.stray_marker


def test_the_project_plan_is_well_formed() -> None:
    plan = TomlPlan(ROOT / "migration" / "plan.toml").load()
    runner = StepRunner(ROOT / "migration")
    assert validate_plan(plan, runner.check_codemod, runner.patch_exists) == []
    assert len(plan) >= 1
