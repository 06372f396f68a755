"""The harness's power: every semantic mutant of legacy is reported as a divergence.

Each mutant is a copy of legacy under a new package name with one small behaviour change
(a timeout constant, a dropped pong, a skipped penalty, addr relayed to one peer too many, a
reordered handshake message, an off-by-one in eviction, ...). The fast suite hunts each with the
directed scenarios; ``netsplit diff legacy --mutants --thorough`` measures the kill rate of the
generated scenarios alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsplit.diff.mutants import MUTANTS, Mutant, materialize
from netsplit.diff.power import Reference, hunt, snapshot_reference
from netsplit.diff.variant import Variant, load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutants")


@pytest.fixture(scope="module")
def reference(workdir: Path) -> Reference:
    """legacy as it is on disk now, copied once: mutants are made from the same copy."""
    return Reference.of(snapshot_reference(ROOT / "legacy", workdir, "legacy_reference"))


def test_there_are_at_least_fifteen_distinct_mutants() -> None:
    assert len(MUTANTS) >= 15
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_reported_as_a_divergence_from_legacy(
    mutant: Mutant, reference: Reference, workdir: Path
) -> None:
    package = f"legacy_mutant_{MUTANTS.index(mutant):02d}"
    variant: Variant = load(materialize(mutant, workdir / "legacy_reference", workdir, package))
    kill = hunt(reference, variant, mutant, directed=True, generated_examples=30)
    assert kill.killed, f"mutant {mutant.name} ({mutant.description}) survived"
    print(f"{mutant.name}: killed by {kill.killed_by}: {kill.summary}")
