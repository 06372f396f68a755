"""Unified diffs between two versions of a package, as plain text."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileDiff:
    path: str
    text: str
    added: int
    removed: int


def tree_diff(
    before: Mapping[str, str], after: Mapping[str, str], prefix: str = ""
) -> list[FileDiff]:
    """Per-file unified diffs (3 lines of context) for files that differ, by path."""
    out: list[FileDiff] = []
    for path in sorted(set(before) | set(after)):
        old = before.get(path)
        new = after.get(path)
        if old == new:
            continue
        lines = list(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (new or "").splitlines(keepends=True),
                fromfile=f"a/{prefix}{path}" if old is not None else "/dev/null",
                tofile=f"b/{prefix}{path}" if new is not None else "/dev/null",
            )
        )
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
        out.append(FileDiff(prefix + path, text, added, removed))
    return out
