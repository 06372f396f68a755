"""The harness's power: does it report small behaviour changes? Apply each mutant of
:mod:`netsplit.diff.mutants` to a copy of the reference variant, and look for a divergence —
first with the directed scenarios (the reference's traces are computed once), then, for a
mutant that survives them (or always, with ``directed=False``), with generated scenarios.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .directed import directed_scenarios
from .driver import run_scenario
from .mutants import MUTANTS, Mutant, materialize
from .report import make_result
from .scenario import Scenario
from .trace import Trace
from .variant import Variant, copy_package, load


@dataclass(frozen=True, slots=True)
class Kill:
    mutant: Mutant
    #: What found it: a directed scenario's name, "generated (N examples)", or None (survived).
    killed_by: str | None
    #: The first divergence's summary.
    summary: str
    elapsed: float

    @property
    def killed(self) -> bool:
        return self.killed_by is not None


@dataclass(frozen=True, slots=True)
class PowerReport:
    reference: str
    kills: tuple[Kill, ...]
    elapsed: float

    @property
    def kill_rate(self) -> float:
        return sum(k.killed for k in self.kills) / len(self.kills) if self.kills else 0.0

    def summary(self) -> str:
        killed = sum(k.killed for k in self.kills)
        return f"kill rate {killed}/{len(self.kills)} ({100 * self.kill_rate:.0f}%)"


@dataclass(slots=True)
class Reference:
    """The reference variant with its directed traces, computed once for every mutant."""

    variant: Variant
    scenarios: list[tuple[str, Scenario]]
    traces: dict[str, Trace]

    @classmethod
    def of(cls, variant: Variant) -> Reference:
        scenarios = directed_scenarios(variant.constant)
        return cls(variant, scenarios, {n: run_scenario(variant, s) for n, s in scenarios})


def hunt(
    reference: Reference,
    mutant_variant: Variant,
    mutant: Mutant,
    directed: bool = True,
    generated_examples: int = 0,
    seed: int | None = None,
) -> Kill:
    started = time.perf_counter()
    if directed:
        for name, scenario in reference.scenarios:
            result = make_result(
                scenario, reference.traces[name], run_scenario(mutant_variant, scenario)
            )
            if result.divergence is not None:
                elapsed = time.perf_counter() - started
                return Kill(mutant, name, result.divergence.summary(), elapsed)
    if generated_examples > 0:
        from .campaign import run_generated
        from .machine import DEFAULT_STEP_COUNT

        examples, _runs, found, _error = run_generated(
            reference.variant, mutant_variant, generated_examples, DEFAULT_STEP_COUNT, seed
        )
        if found is not None and found.divergence is not None:
            elapsed = time.perf_counter() - started
            return Kill(
                mutant,
                f"generated ({examples} examples)",
                found.divergence.summary(),
                elapsed,
            )
    return Kill(mutant, None, "", time.perf_counter() - started)


def snapshot_reference(source: Path, workdir: Path, name: str) -> Variant:
    """The package at ``source`` copied to ``workdir/name`` and loaded: the reference and the
    mutants then come from the same text, even if ``source`` is edited meanwhile."""
    return load(copy_package(source, workdir, name))


def run_power(
    source: Path,
    workdir: Path,
    mutants: Sequence[Mutant] = MUTANTS,
    directed: bool = True,
    generated_examples: int = 0,
    seed: int | None = None,
    on_kill: Callable[[Kill], None] | None = None,
) -> PowerReport:
    """Copy the package at ``source`` (the reference), materialize each mutant of it under
    ``workdir``, and hunt each."""
    started = time.perf_counter()
    base = source.name
    reference_variant = snapshot_reference(source, workdir, f"{base}_reference")
    snapshot = workdir / f"{base}_reference"
    reference = Reference.of(reference_variant)
    kills = []
    for i, mutant in enumerate(mutants):
        spec = materialize(mutant, snapshot, workdir, f"{base}_mutant_{i:02d}")
        kill = hunt(reference, load(spec), mutant, directed, generated_examples, seed)
        kills.append(kill)
        if on_kill is not None:
            on_kill(kill)
    return PowerReport(base, tuple(kills), time.perf_counter() - started)
