"""Commit messages in Bitcoin Core's form, and the cache keys of stages.

A scripted-diff commit's title starts with ``scripted-diff:`` and its body carries the script
between ``-BEGIN VERIFY SCRIPT-`` and ``-END VERIFY SCRIPT-``, which upstream's
``test/lint/commit-script-check.sh`` extracts and replays on the parent commit.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from .plan import SCRIPTED_DIFF_PREFIX, Step

BEGIN = "-BEGIN VERIFY SCRIPT-"
END = "-END VERIFY SCRIPT-"


def commit_message(step: Step, script: str | None) -> str:
    """The full message: title, wrapped rationale, and for codemod steps the verify script."""
    paragraphs = [p.strip() for p in step.rationale.split("\n\n") if p.strip()]
    body = "\n\n".join(
        textwrap.fill(" ".join(p.split()), width=72, break_on_hyphens=False) for p in paragraphs
    )
    parts = [step.commit_title, "", body, "", f"Migration step {step.number}: {step.id}"]
    if script is not None:
        parts += ["", BEGIN, script.rstrip("\n"), END]
    return "\n".join(parts) + "\n"


def legacy_commit_message(files: int) -> str:
    return (
        "legacy: the monolith every step starts from\n\n"
        f"The {files} files of legacy/ as the workbench has them: net_processing reaches into\n"
        "CNode wherever upstream's does. Each following commit is one migration step.\n"
    )


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    is_scripted_diff: bool
    script: str | None
    #: A BEGIN/END marker in a commit whose title is not a scripted-diff (upstream rejects it).
    stray_marker: bool


def parse_message(message: str) -> ParsedMessage:
    """The script of a commit message, extracted as commit-script-check.sh does: the lines
    strictly between the markers, or to the end of the message when END is missing."""
    lines = message.splitlines()
    title = lines[0] if lines else ""
    body = lines[1:]
    has_marker = any(line.strip() in (BEGIN, END) for line in body)
    if not title.startswith(SCRIPTED_DIFF_PREFIX.rstrip()):
        return ParsedMessage(False, None, has_marker)
    script_lines: list[str] = []
    inside = False
    for line in body:
        if line == BEGIN:
            inside = True
            continue
        if line == END:
            inside = False
            continue
        if inside:
            script_lines.append(line)
    script = "\n".join(script_lines).strip()
    return ParsedMessage(True, script or None, False)


def digest(parts: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def stage_key(previous: str, step_spec: str, tool_fingerprint: str) -> str:
    """Stage K's key from stage K-1's key, the step's own spec and a fingerprint of whatever
    code or file applies it (the codemod sources and libcst's version, or the patch bytes)."""
    return digest([previous.encode(), step_spec.encode(), tool_fingerprint.encode()])
