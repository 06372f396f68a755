"""Shrinking a diverging scenario to a minimal one, event by event.

Hypothesis' own shrinker works on its choice sequence and reruns both variants for thousands of
candidates; at tens of milliseconds per run that takes minutes. Events are the natural unit
here, and any subsequence of a scenario is a valid scenario (events for a peer that never
connected do nothing), so a delta-debugging pass over the events (ddmin), then over the frames
inside each PeerSends, finds a 1-minimal scenario in a few hundred short runs: removing any
single remaining event or frame makes the variants agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .frames import Frame, decode_wire, frame
from .report import DiffResult
from .scenario import Event, PeerSends, Scenario

#: Upper bound on candidate scenarios tried (each costs one run of each variant).
MAX_CANDIDATES = 600

Check = Callable[[Scenario], DiffResult]


class _Budget:
    __slots__ = ("left",)

    def __init__(self, n: int) -> None:
        self.left = n

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _diverges(check: Check, scenario: Scenario, budget: _Budget) -> DiffResult | None:
    if not budget.spend():
        return None
    result = check(scenario)
    return None if result.agrees else result


def _ddmin(check: Check, best: DiffResult, budget: _Budget) -> DiffResult:
    """Remove chunks of events, halving the chunk size, while the divergence stays."""
    events = list(best.scenario.events)
    n = 2
    while len(events) >= 2 and budget.left > 0:
        chunk = max(1, len(events) // n)
        removed_any = False
        start = 0
        while start < len(events):
            candidate = events[:start] + events[start + chunk :]
            found = _diverges(check, replace(best.scenario, events=tuple(candidate)), budget)
            if found is not None:
                best, events = found, candidate
                removed_any = True
            else:
                start += chunk
        if not removed_any:
            if chunk == 1:
                break
            n = min(len(events), n * 2)
    return best


def _split_frames(event: PeerSends) -> list[bytes] | None:
    """The frames of a PeerSends, if it is more than one whole valid frame."""
    items = decode_wire(event.data)
    if len(items) < 2 or not all(isinstance(i, Frame) for i in items):
        return None
    return [frame(i.msgtype, i.payload) for i in items if isinstance(i, Frame)]


def _drop_frames(check: Check, best: DiffResult, budget: _Budget) -> DiffResult:
    """Inside each multi-frame PeerSends, drop frames one at a time while it still diverges."""
    index = 0
    while index < len(best.scenario.events) and budget.left > 0:
        event = best.scenario.events[index]
        parts = _split_frames(event) if isinstance(event, PeerSends) else None
        if parts is not None and isinstance(event, PeerSends):
            i = 0
            while i < len(parts) and len(parts) > 1:
                trial = parts[:i] + parts[i + 1 :]
                events: list[Event] = list(best.scenario.events)
                events[index] = PeerSends(event.peer, b"".join(trial))
                found = _diverges(check, replace(best.scenario, events=tuple(events)), budget)
                if found is not None:
                    best, parts = found, trial
                else:
                    i += 1
        index += 1
    return best


def shrink(check: Check, result: DiffResult, max_candidates: int = MAX_CANDIDATES) -> DiffResult:
    """A smaller scenario that still diverges (``result`` if none is found)."""
    assert result.divergence is not None
    budget = _Budget(max_candidates)
    best = result
    # Nothing after the first divergent event matters.
    cut = best.divergence.index + 1 if best.divergence is not None else len(best.scenario.events)
    if 0 < cut < len(best.scenario.events):
        found = _diverges(check, best.scenario.prefix(cut), budget)
        if found is not None:
            best = found
    best = _ddmin(check, best, budget)
    best = _drop_frames(check, best, budget)
    note = f"shrunk from {len(result.scenario.events)} events"
    return replace(best, scenario=replace(best.scenario, note=note))
