"""Where B2's time goes: cProfile over a short B2 run of one variant, top functions by own time.

The run is B2's own code path (a node built by the differential harness, blocks through
ReceiveMsgFrom and ProcessMessagesOnce, and through the socket loop), on a smaller chain, so the
profile explains the B2 figures. cProfile slows Python code down unevenly, so its percentages say
where the time goes, not how long anything takes.
"""

from __future__ import annotations

import cProfile
import pstats
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from netsplit.diff.scenario import DEFAULT_START_TIME as B2_START_TIME

from .chain import build_chain
from .process_message import PLAIN_BLOCKS, B2Settings, measure
from .variants import load_variants

ROOT: Final = Path(__file__).resolve().parent.parent.parent
TOP: Final = 15
#: Blocks with transactions in the profiled run.
PROFILED_FULL_BLOCKS: Final = 4


@dataclass(frozen=True, slots=True)
class ProfileRow:
    function: str
    calls: int
    own_seconds: float
    cumulative_seconds: float
    own_share: float


def _where(filename: str, line: int, name: str) -> str:
    """``path:line(function)`` with the path relative to the project (a stage's copy of a
    module shows as ``<stage>/module.py``); built-ins by name only."""
    if filename in ("~", "") or filename.startswith("<"):
        return name if filename in ("~", "") else f"{filename}:{line}({name})"
    path = Path(filename).resolve()
    if ".netsplit-cache" in path.parts:
        return f"<stage>/{path.name}:{line}({name})"
    try:
        shown = path.relative_to(ROOT).as_posix()
    except ValueError:
        shown = path.name
    return f"{shown}:{line}({name})"


def profile_b2(variant: str = "legacy", top: int = TOP) -> list[ProfileRow]:
    loaded, problems = load_variants([variant])
    if problems:
        raise RuntimeError("; ".join(problems))
    settings = B2Settings(full_blocks=PROFILED_FULL_BLOCKS, stages=False)
    chain = build_chain(B2_START_TIME - 60, PLAIN_BLOCKS, settings.full_blocks, settings.fanout)
    profiler = cProfile.Profile()
    measure(loaded, chain, settings, profiler=profiler)
    stats = pstats.Stats(profiler)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values()) or 1.0
    rows = [
        ProfileRow(
            _where(*func), int(entry[1]), float(entry[2]), float(entry[3]), float(entry[2]) / total
        )
        for func, entry in raw.items()
    ]
    rows.sort(key=lambda r: r.own_seconds, reverse=True)
    return rows[:top]
