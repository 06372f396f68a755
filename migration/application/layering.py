"""The layering of every stage: which split contracts hold, and the layering debt.

``verify`` adds each stage's contract verdicts to its report (through the
:class:`StageContracts` port); ``census --plot`` charts :func:`debt_by_stage`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from migration.domain.report import ContractVerdict

from .engine import Engine
from .ports import CensusProbe


class StageContracts(Protocol):
    """The layering contracts about split, checked against a stage package instead."""

    def check(self, package: Path) -> tuple[ContractVerdict, ...]: ...


@dataclass(frozen=True, slots=True)
class StageDebt:
    stage: int
    step_id: str
    debt: int


def _debt(probe: CensusProbe, package: Path) -> int:
    return probe.census(package, sites=False).debt


def debt_by_stage(
    engine: Engine,
    probe: CensusProbe,
    jobs: int | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> list[StageDebt]:
    """The layering debt of every stage, legacy/ (stage 0) to the last. A census takes a few
    seconds per stage, so with ``jobs`` > 1 (default: one per CPU) stages are counted in
    parallel processes."""
    refs = [engine.stage(n) for n in range(len(engine.plan) + 1)]
    ids = ["legacy", *(step.id for step in engine.plan.steps)]
    jobs = min(jobs or os.cpu_count() or 1, len(refs))
    debts: list[int] = []
    if jobs <= 1:
        for ref in refs:
            debts.append(_debt(probe, ref.path))
            progress(len(debts), len(refs))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for debt in pool.map(_debt, [probe] * len(refs), [r.path for r in refs]):
                debts.append(debt)
                progress(len(debts), len(refs))
    return [StageDebt(ref.stage, ids[ref.stage], d) for ref, d in zip(refs, debts, strict=True)]
