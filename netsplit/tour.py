"""The reviewer's tour: each section runs one part of the project for real and reports what it
saw. Sections return data; ``netsplit.cli`` renders it. A part that does not exist yet is named in
:func:`not_built_yet`, never faked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import faithfulness

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SectionResult:
    title: str
    ok: bool
    summary: str = ""
    rows: list[tuple[str, str]] = field(default_factory=list)


def wire_section() -> SectionResult:
    """Every message type serializes and decodes back to itself, byte for byte."""
    from common.messages import MESSAGE_CLASSES

    bad = []
    for msgtype, cls in MESSAGE_CLASSES.items():
        msg = cls()
        data = msg.serialize()
        again = cls.deserialize(data)
        if again != msg or again.serialize() != data:
            bad.append(msgtype)
    return SectionResult(
        "common: wire protocol",
        ok=not bad,
        summary=f"{len(MESSAGE_CLASSES) - len(bad)}/{len(MESSAGE_CLASSES)} message types "
        "round-trip byte for byte" + (f"; failing: {', '.join(bad)}" if bad else ""),
    )


def faithfulness_section() -> SectionResult:
    """Upstream names present in the legacy port, against the v30.0 inventory."""
    counts = faithfulness.census(ROOT)
    rows = [(c.label, f"{len(c.present)}/{c.total}") for c in counts]
    return SectionResult(
        "legacy: upstream names present (a floor, not proof)",
        ok=True,
        rows=rows,
    )


SECTIONS: tuple[tuple[str, Callable[[], SectionResult]], ...] = (
    ("common: wire protocol", wire_section),
    ("legacy: upstream names present", faithfulness_section),
)


def run_tour() -> Iterator[SectionResult]:
    for title, section in SECTIONS:
        try:
            yield section()
        except Exception as e:  # a broken part is reported, and the tour goes on
            yield SectionResult(title, ok=False, summary=f"{type(e).__name__}: {e}")


_PARTS = (
    ("legacy/net_processing.py", "legacy net_processing (PeerManagerImpl, Peer)"),
    ("migration/plan.toml", "the migration stack (netsplit migrate)"),
    ("split/net.py", "split/, generated from legacy/ by the migration stack"),
    (".importlinter", "layering contracts (lint-imports)"),
    ("netsplit/diff", "the differential harness (netsplit diff legacy split)"),
    ("legacy/__main__.py", "running a node on regtest (python -m legacy)"),
    ("tests/bench/test_throughput.py", "benchmarks (netsplit bench)"),
)


def not_built_yet() -> list[str]:
    return [label for rel, label in _PARTS if not (ROOT / rel).exists()]
