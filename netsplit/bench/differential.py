"""B6: the differential harness's throughput, legacy against split: scenarios per second.

A scenario runs on a fresh node of each variant and their traces are compared, so one scenario
is two node runs. The directed scenarios (hand-written, short) and the generated ones (the state
machine of the ``ci`` profile: up to 25 events each) are timed apart because they differ in
length; both come from :func:`netsplit.diff.campaign.run_campaign`, the code ``netsplit diff``
runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from netsplit.diff.campaign import PROFILES, run_campaign

from .model import Figure
from .variants import load_variants

BENCH: Final = "B6"
PAIR: Final = "legacy+split"
#: Generated scenarios in a quick run (the ci profile's count otherwise).
QUICK_EXAMPLES: Final = 30


def run_b6(quick: bool, progress: Callable[[str], None] = lambda what: None) -> list[Figure]:
    loaded, problems = load_variants(["legacy", "split"])
    if problems or len(loaded) != 2:
        progress("B6: not available: " + "; ".join(problems))
        return []
    a, b = loaded[0].variant, loaded[1].variant
    note = "quick run" if quick else ""
    figures: list[Figure] = []
    progress("B6: directed scenarios")
    directed = run_campaign(a, b, "ci", examples=0)
    if not directed.ok:
        progress(f"B6: the directed scenarios found a divergence: {directed.error or ''}")
    figures.append(
        Figure(
            BENCH,
            "directed scenarios",
            PAIR,
            directed.throughput,
            "scenarios/s",
            True,
            _join(f"{directed.directed} scenarios in {directed.elapsed:.1f} s", note),
        )
    )
    examples = QUICK_EXAMPLES if quick else PROFILES["ci"].examples
    progress(f"B6: {examples} generated scenarios (ci profile)")
    generated = run_campaign(a, b, "ci", examples=examples, directed=False)
    figures.append(
        Figure(
            BENCH,
            "generated scenarios (ci profile)",
            PAIR,
            generated.throughput,
            "scenarios/s",
            True,
            _join(
                f"{generated.generated} scenarios of up to {PROFILES['ci'].steps} events "
                f"in {generated.elapsed:.1f} s",
                "" if generated.ok else "stopped at a divergence",
                note,
            ),
        )
    )
    return figures


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
