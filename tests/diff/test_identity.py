"""No false divergences: legacy against an identical copy of itself under another package name.

If the package name (or anything else that is not behaviour) leaked into traces, these would
fail: every directed scenario, and generated ones under the ci profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from netsplit.diff.campaign import run_directed
from netsplit.diff.machine import DEFAULT_STEP_COUNT, FailureSink, make_machine
from netsplit.diff.report import render_text
from netsplit.diff.variant import Variant, VariantSpec, copy_package, load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Variant, Variant]:
    where = tmp_path_factory.mktemp("variants")
    copy = load(copy_package(ROOT / "legacy", where, "legacy_identity_copy"))
    return load(VariantSpec("legacy", "legacy")), copy


def test_every_directed_scenario_agrees_with_an_identical_copy(
    pair: tuple[Variant, Variant],
) -> None:
    count, divergence = run_directed(*pair)
    assert divergence is None, render_text(divergence)
    assert count >= 40


def test_generated_scenarios_agree_with_an_identical_copy(pair: tuple[Variant, Variant]) -> None:
    sink = FailureSink()
    machine = make_machine(*pair, sink=sink)
    # The loaded hypothesis profile (ci: derandomized, 60 examples, no deadline), with the
    # harness's scenario length.
    run_state_machine_as_test(machine, settings=settings(stateful_step_count=DEFAULT_STEP_COUNT))
    assert sink.last_failure is None, render_text(sink.last_failure)
    assert sink.examples >= settings().max_examples
