"""Mutant edits: constants by name, code inside one named function, and stale targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsplit.diff.mutants import (
    MUTANTS,
    Mutant,
    Replace,
    SetConstant,
    StaleMutant,
    apply,
    apply_edit,
)

ROOT = Path(__file__).resolve().parents[2]

SOURCE = """\
from typing import Final

PING_INTERVAL: Final = 2 * 60 * 1_000_000  # microseconds
LIMIT = 5


class Peer:
    def f(self) -> int:
        return LIMIT + 1

    def g(self) -> int:
        return LIMIT + 1
"""


def test_set_constant_replaces_only_the_value_expression() -> None:
    out = apply_edit(SOURCE, SetConstant("PING_INTERVAL", "3 * 60 * 1_000_000"))
    assert "PING_INTERVAL: Final = 3 * 60 * 1_000_000  # microseconds\n" in out
    assert apply_edit(SOURCE, SetConstant("LIMIT", "6")).count("LIMIT = 6\n") == 1


def test_replace_stays_inside_the_named_function() -> None:
    out = apply_edit(SOURCE, Replace("LIMIT + 1", "LIMIT + 2", "Peer.g"))
    assert out.count("return LIMIT + 1") == 1
    assert out.index("return LIMIT + 1") < out.index("return LIMIT + 2")


def test_replace_picks_the_nth_occurrence() -> None:
    out = apply_edit(SOURCE, Replace("LIMIT + 1", "LIMIT - 1", occurrence=2))
    assert out.index("LIMIT + 1") < out.index("LIMIT - 1")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (SetConstant("NOPE", "1"), "no module-level constant NOPE"),
        (Replace("x", "y", "Peer.h"), "no Peer.h"),
        (Replace("LIMIT * 3", "y", "Peer.f"), "not found"),
    ],
)
def test_a_stale_mutant_says_what_is_missing(edit: SetConstant | Replace, message: str) -> None:
    with pytest.raises(StaleMutant, match=message):
        apply_edit(SOURCE, edit)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_every_mutant_applies_to_the_current_legacy_and_changes_it(mutant: Mutant) -> None:
    source = (ROOT / "legacy" / f"{mutant.module}.py").read_text()
    assert apply(mutant, source) != source
