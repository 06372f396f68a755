"""Comparing two traces: the first event after which the outside world saw something different.

Pure data in, data out: :func:`compare` returns a :class:`Divergence` (or None), and the
renderers in :mod:`netsplit.diff.report` and :mod:`netsplit.diff.render` show it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .frames import decode_wire
from .scenario import Event, PeerLabel, Scenario
from .trace import Json, Step, Trace

#: At most this many differing state paths are listed.
MAX_STATE_PATHS = 12


@dataclass(frozen=True, slots=True)
class OutputDifference:
    """The frames one peer got differ; ``first_frame`` is the first differing frame's index."""

    peer: PeerLabel
    first_frame: int
    a: tuple[str, ...]
    b: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StateDifference:
    path: str
    a: Json
    b: Json


@dataclass(frozen=True, slots=True)
class Divergence:
    """The first step whose observations differ, and how."""

    #: The event's index in the scenario; -1 for the node's state before the first event.
    index: int
    #: That event; None for index -1, or when one trace simply has more steps than the other.
    event: Event | None
    outputs: tuple[OutputDifference, ...]
    disconnected: tuple[tuple[PeerLabel, ...], tuple[PeerLabel, ...]] | None
    error: tuple[str | None, str | None] | None
    state: tuple[StateDifference, ...]

    def aspects(self) -> list[str]:
        """One phrase per kind of difference, for summaries."""
        out = [f"messages to peer {o.peer}" for o in self.outputs]
        if self.disconnected is not None:
            out.append("disconnections")
        if self.error is not None:
            out.append("exception")
        if self.state:
            out.append("state " + ", ".join(sorted({_top(d.path) for d in self.state})))
        if not out:
            out.append("number of steps")
        return out

    def summary(self) -> str:
        where = "before the first event" if self.index < 0 else f"event {self.index}"
        return f"{where}: " + "; ".join(self.aspects())


def _top(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def _frame_texts(data: bytes) -> tuple[str, ...]:
    return tuple(item.text for item in decode_wire(data))


def _diff_outputs(a: Step, b: Step) -> list[OutputDifference]:
    peers = sorted({o.peer for o in a.outputs} | {o.peer for o in b.outputs})
    diffs = []
    for peer in peers:
        da, db = a.output_to(peer), b.output_to(peer)
        if da == db:
            continue
        ia, ib = decode_wire(da), decode_wire(db)
        first = next(
            (i for i, (x, y) in enumerate(zip(ia, ib, strict=False)) if x != y),
            min(len(ia), len(ib)),
        )
        diffs.append(OutputDifference(peer, first, _frame_texts(da), _frame_texts(db)))
    return diffs


def diff_json(
    a: Json, b: Json, path: str = "", out: list[StateDifference] | None = None
) -> list[StateDifference]:
    """The paths at which two JSON values differ, leaves first found first. A snapshot that
    could not be taken is one difference, not one per missing key."""
    if out is None:
        out = []
        if isinstance(a, dict) and isinstance(b, dict):
            ea, eb = a.get("snapshot_error"), b.get("snapshot_error")
            if ea is not None or eb is not None:
                return [] if ea == eb and a == b else [StateDifference("snapshot_error", ea, eb)]
    if len(out) >= MAX_STATE_PATHS:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            sub = f"{path}.{key}" if path else key
            if key not in a or key not in b:
                out.append(StateDifference(sub, a.get(key), b.get(key)))
            else:
                diff_json(a[key], b[key], sub, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            diff_json(x, y, f"{path}[{i}]", out)
    elif a != b or type(a) is not type(b):
        out.append(StateDifference(path, a, b))
    return out[:MAX_STATE_PATHS]


def compare_steps(a: Step, b: Step, event: Event | None) -> Divergence | None:
    if a == b:
        return None
    return Divergence(
        index=a.index,
        event=event,
        outputs=tuple(_diff_outputs(a, b)),
        disconnected=None if a.disconnected == b.disconnected else (a.disconnected, b.disconnected),
        error=None if a.error == b.error else (a.error, b.error),
        state=tuple(diff_json(a.state, b.state)),
    )


def compare(scenario: Scenario, a: Trace, b: Trace) -> Divergence | None:
    """The first step at which two traces of ``scenario`` differ, or None if they agree."""
    if a.initial != b.initial:
        return Divergence(-1, None, (), None, None, tuple(diff_json(a.initial, b.initial)))
    for i, (sa, sb) in enumerate(zip(a.steps, b.steps, strict=False)):
        event = scenario.events[i] if i < len(scenario.events) else None
        d = compare_steps(sa, sb, event)
        if d is not None:
            return d
    if len(a.steps) != len(b.steps):
        n = min(len(a.steps), len(b.steps))
        return Divergence(n, None, (), None, None, ())
    return None
