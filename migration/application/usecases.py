"""The use cases behind ``netsplit migrate``: each returns data for the CLI to render."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migration.domain.census import Census, Comparison, UpstreamUsage, compare
from migration.domain.commits import commit_message, legacy_commit_message, parse_message
from migration.domain.diffs import FileDiff, tree_diff
from migration.domain.plan import Plan, PlanError, Step, validate_plan

from .engine import Engine, StageRef
from .ports import CensusProbe, GitRepo, StepApplier, Workspace

SPLIT_README = """\
# split/ (generated)

This package is generated: it is `legacy/` with every step of `migration/plan.toml` applied
({steps} steps, the last one `{last}`). Do not edit it. Change `legacy/` or the plan, then run

    netsplit migrate build

CI fails while this directory differs from what `build` produces
(`tests/migration/test_split_is_fresh.py`). See `docs/reviewing.md` to walk the steps.
"""

#: The package directory name inside an exported repository.
EXPORT_PACKAGE = "legacy"


class UsageError(Exception):
    """Something the user asked for cannot be done; the message says what to do instead."""


# -- plan ---------------------------------------------------------------------------------------


def plan_problems(plan: Plan, applier: StepApplier) -> list[str]:
    return [str(p) for p in validate_plan(plan, applier.check_codemod, applier.patch_exists)]


# -- split/ -------------------------------------------------------------------------------------


def expected_split(engine: Engine) -> dict[str, str]:
    last = engine.stage(len(engine.plan))
    files = engine.files(last)
    steps = engine.plan.steps
    files["README.md"] = SPLIT_README.format(
        steps=len(steps), last=steps[-1].id if steps else "(none: split is legacy)"
    )
    return files


def build_split(engine: Engine, workspace: Workspace) -> list[str]:
    """Regenerate split/; returns the files that changed."""
    return workspace.write_tree(workspace.split_dir(), expected_split(engine))


def stale_split_files(engine: Engine, workspace: Workspace) -> list[str]:
    """Files of split/ that differ from what build would write (missing and extra included)."""
    want = expected_split(engine)
    have = {
        rel: text
        for rel, text in workspace.read_tree(workspace.split_dir()).items()
        if not rel.startswith(".")
    }
    return sorted(p for p in set(want) | set(have) if want.get(p) != have.get(p))


# -- apply, show ----------------------------------------------------------------------------------


def apply_through(engine: Engine, workspace: Workspace, stage: int, out: Path) -> StageRef:
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} exists and is not empty; give --out a new directory")
    ref = engine.stage(stage)
    workspace.copy_package(ref.path, out)
    complete = out / ".complete"
    if complete.exists():
        complete.unlink()
    return ref


@dataclass(frozen=True, slots=True)
class StepView:
    step: Step
    replay: str | None
    diffs: list[FileDiff]


def show_step(engine: Engine, applier: StepApplier, ref: str) -> StepView:
    step = engine.plan.step(ref)
    before = engine.stage(step.number - 1)
    after = engine.stage(step.number)
    diffs = tree_diff(engine.files(before), engine.files(after), prefix=f"{EXPORT_PACKAGE}/")
    return StepView(step, applier.replay_script(step, EXPORT_PACKAGE), diffs)


# -- census -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CensusReport:
    stage: int
    census: Census
    comparison: Comparison

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            **self.census.to_json(),
            "differences_from_upstream": [
                {
                    "member": d.member,
                    "measure": d.measure,
                    "port": d.port,
                    "upstream": d.upstream,
                    **({"note": d.note} if d.note else {}),
                }
                for d in self.comparison.differences
            ],
            "upstream_members_not_in_CNode": list(self.comparison.missing_in_port),
            "CNode_members_not_in_upstream": list(self.comparison.extra_in_port),
        }


def census_of_stage(
    engine: Engine, probe: CensusProbe, upstream: Mapping[str, UpstreamUsage], stage: int
) -> CensusReport:
    ref = engine.stage(stage)
    census = probe.census(ref.path)
    return CensusReport(stage, census, compare(census, upstream))


# -- export-git, check-commits ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exported:
    commit: str
    title: str


def export_git(
    engine: Engine,
    applier: StepApplier,
    workspace: Workspace,
    git: GitRepo,
    out: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Exported]:
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} exists and is not empty; export-git needs a new directory")
    git.init(out)
    package = out / EXPORT_PACKAGE
    legacy = engine.files(engine.stage(0))
    workspace.write_tree(package, legacy)
    commits = [Exported(git.commit_all(out, legacy_commit_message(len(legacy))), "legacy")]
    for step in engine.plan.steps:
        progress(step.id)
        workspace.write_tree(package, engine.files(engine.stage(step.number)))
        message = commit_message(step, applier.replay_script(step, EXPORT_PACKAGE))
        commits.append(Exported(git.commit_all(out, message), step.commit_title))
    return commits


@dataclass(frozen=True, slots=True)
class CommitCheck:
    commit: str
    title: str
    #: "ok", "failed", or "not scripted" (a normal commit, nothing to replay).
    status: str
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def check_commits(
    git: GitRepo, repo: Path, progress: Callable[[str], None] = lambda _: None
) -> list[CommitCheck]:
    """Replays each scripted-diff commit's script on its parent and compares, as upstream's
    test/lint/commit-script-check.sh does (and also catches files the script should have
    created)."""
    if not (repo / ".git").exists():
        raise UsageError(
            f"{repo} is not a git repository (make one with netsplit migrate export-git)"
        )
    commits = git.commits(repo)
    results: list[CommitCheck] = []
    head = commits[-1] if commits else None
    try:
        for i, commit in enumerate(commits):
            message = git.message(repo, commit)
            title = message.splitlines()[0] if message else ""
            progress(title)
            parsed = parse_message(message)
            if not parsed.is_scripted_diff:
                if parsed.stray_marker:
                    results.append(
                        CommitCheck(
                            commit,
                            title,
                            "failed",
                            "verify-script markers but no scripted-diff title",
                        )
                    )
                else:
                    results.append(CommitCheck(commit, title, "not scripted"))
                continue
            if parsed.script is None:
                results.append(CommitCheck(commit, title, "failed", "missing script"))
                continue
            if i == 0:
                results.append(CommitCheck(commit, title, "failed", "no parent to replay on"))
                continue
            parent = commits[i - 1]
            git.checkout(repo, parent)
            code, output = git.run_script(repo, parsed.script)
            diff = git.differs_from(repo, commit)
            git.restore(repo, parent)
            if code != 0:
                last = output.strip().splitlines()[-3:]
                results.append(
                    CommitCheck(
                        commit, title, "failed", f"script exited {code}: " + " | ".join(last)
                    )
                )
            elif diff.strip():
                results.append(CommitCheck(commit, title, "failed", "replay differs:\n" + diff))
            else:
                results.append(CommitCheck(commit, title, "ok"))
    finally:
        if head is not None:
            git.restore(repo, head)
            git.checkout(repo, "main")
    return results


def require_plan(load: Callable[[], Plan]) -> Plan:
    try:
        return load()
    except PlanError as e:
        raise UsageError(str(e)) from None
