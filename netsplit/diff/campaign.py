"""A differential campaign: directed scenarios, then generated ones, until the first divergence.

Returns data (:class:`CampaignResult`); :mod:`netsplit.diff.render` shows it. Profiles:

* ``ci`` (the default): the directed scenarios and a bounded number of generated ones, with
  hypothesis derandomized so every run checks the same scenarios;
* ``thorough``: thousands of generated scenarios of more events each, seeded at random unless a
  seed is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from .directed import directed_scenarios
from .report import DiffResult, save_replay
from .scenario import Scenario
from .variant import Variant

Profile = Literal["ci", "thorough"]


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    examples: int
    steps: int


PROFILES: Final[dict[str, ProfileSettings]] = {
    "ci": ProfileSettings(examples=100, steps=25),
    "thorough": ProfileSettings(examples=2000, steps=40),
}


@dataclass(frozen=True, slots=True)
class CampaignResult:
    label_a: str
    label_b: str
    profile: str
    directed: int
    generated: int
    #: Node runs (two per scenario, more while hypothesis shrinks).
    runs: int
    elapsed: float
    #: The first divergence (the shrunk one for generated scenarios), if any.
    divergence: DiffResult | None = None
    replay: Path | None = None
    #: Why a variant stands in for another, and similar remarks for the summary.
    notes: tuple[str, ...] = ()
    #: An error that stopped the campaign that is not a divergence (a harness failure).
    error: str | None = None

    @property
    def scenarios(self) -> int:
        return self.directed + self.generated

    @property
    def throughput(self) -> float:
        """Scenarios per second, both variants run for each."""
        return self.scenarios / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.divergence is None and self.error is None


@dataclass(slots=True)
class Progress:
    """Callbacks for a progress display: ``total`` once, then ``advance`` per scenario."""

    total: Callable[[int], None] = lambda n: None
    advance: Callable[[str], None] = lambda what: None


def _diff(a: Variant, b: Variant, scenario: Scenario) -> DiffResult:
    from .machine import diff_scenario

    return diff_scenario(a, b, scenario)


def run_directed(
    a: Variant, b: Variant, progress: Progress | None = None
) -> tuple[int, DiffResult | None]:
    """Run every directed scenario; stop at the first divergence."""
    count = 0
    for name, scenario in directed_scenarios(a.constant):
        result = _diff(a, b, scenario)
        count += 1
        if progress is not None:
            progress.advance(name)
        if not result.agrees:
            return count, result
    return count, None


def run_generated(
    a: Variant,
    b: Variant,
    examples: int,
    steps: int,
    seed: int | None,
    progress: Progress | None = None,
) -> tuple[int, int, DiffResult | None, str | None]:
    """Generated scenarios through the state machine; (examples, runs, divergence, error).
    The first failing example is shrunk event by event (see :mod:`netsplit.diff.shrink`)
    rather than by hypothesis, which would rerun both variants thousands of times."""
    import warnings

    from hypothesis import HealthCheck, Phase, Verbosity, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import HypothesisWarning
    from hypothesis.stateful import run_state_machine_as_test

    from .machine import FailureSink, diff_scenario, make_machine
    from .shrink import shrink

    sink = FailureSink()
    if progress is not None:
        sink.on_example = lambda result: progress.advance("generated")
    machine = make_machine(a, b, sink)
    if seed is not None:
        machine = hypothesis_seed(seed)(machine)
    run_settings = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
    )
    error: str | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HypothesisWarning)  # reprs of 50000-entry invs
            run_state_machine_as_test(machine, settings=run_settings)
    except Exception as e:
        if sink.last_failure is None:
            error = f"{type(e).__name__}: {e}"
    found = sink.last_failure
    runs = sink.runs
    if found is not None:
        counter = [0]

        def check(scenario: Scenario) -> DiffResult:
            counter[0] += 2
            return diff_scenario(a, b, scenario)

        found = shrink(check, found)
        runs += counter[0]
    return sink.examples, runs, found, error


def run_campaign(
    a: Variant,
    b: Variant,
    profile: Profile = "ci",
    examples: int | None = None,
    seed: int | None = None,
    report_dir: Path | None = None,
    progress: Progress | None = None,
    directed: bool = True,
    notes: tuple[str, ...] = (),
) -> CampaignResult:
    """Directed scenarios, then generated ones; the first divergence ends the campaign and is
    saved for replay under ``report_dir``."""
    chosen = PROFILES[profile]
    n_examples = chosen.examples if examples is None else examples
    n_directed = len(directed_scenarios(a.constant)) if directed else 0
    if progress is not None:
        progress.total(n_directed + n_examples)
    started = time.perf_counter()
    n_dir, divergence = run_directed(a, b, progress) if directed else (0, None)
    n_gen, runs, error = 0, 2 * n_dir, None
    if divergence is None and n_examples > 0:
        n_gen, gen_runs, divergence, error = run_generated(
            a, b, n_examples, chosen.steps, seed, progress
        )
        runs += gen_runs
    elapsed = time.perf_counter() - started
    replay = None
    if divergence is not None and report_dir is not None:
        replay = save_replay(divergence, report_dir, (a.spec.name, b.spec.name))
    return CampaignResult(
        a.label, b.label, profile, n_dir, n_gen, runs, elapsed, divergence, replay, notes, error
    )


def replay_file(
    a: Variant, b: Variant, scenario: Scenario, report_dir: Path | None = None
) -> CampaignResult:
    started = time.perf_counter()
    result = _diff(a, b, scenario)
    elapsed = time.perf_counter() - started
    saved = None
    if report_dir is not None and not result.agrees:
        saved = save_replay(result, report_dir, (a.spec.name, b.spec.name))
    return CampaignResult(
        a.label,
        b.label,
        "replay",
        1,
        0,
        2,
        elapsed,
        None if result.agrees else result,
        saved,
    )
