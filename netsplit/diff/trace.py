"""Traces: everything the outside world saw while a node ran a scenario.

One :class:`Step` per event: the frames the node wrote to each peer while it settled after the
event, the peers whose connection it closed, any exception it raised, and a snapshot of what
RPC would show (peer info, ban list, chain tip, mempool, ...). Two variants agree on a scenario
when their traces are equal; the variant's name and the work it needed to settle are kept for
reports but are not part of the comparison.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .frames import Frame, Garbage, WireItem, decode_wire
from .scenario import PeerLabel

#: What a snapshot holds: plain JSON values, so they compare exactly and save as they are.
Json = None | bool | int | float | str | list["Json"] | dict[str, "Json"]


@dataclass(frozen=True, slots=True)
class PeerOutput:
    """The bytes a node wrote to one peer during one step, and their decoding."""

    peer: PeerLabel
    data: bytes

    @property
    def items(self) -> list[WireItem]:
        return decode_wire(self.data)


@dataclass(frozen=True, slots=True)
class Step:
    index: int
    #: Peers (by label, ascending) the node wrote to, with what it wrote.
    outputs: tuple[PeerOutput, ...]
    #: Peers whose connection the node closed or refused during this step, ascending.
    disconnected: tuple[PeerLabel, ...]
    #: What RPC would show after the step.
    state: dict[str, Json]
    #: ``ExceptionType: message`` if the variant raised while handling the event.
    error: str | None = None
    #: Scheduler/message-handler rounds the node needed to settle (not compared).
    rounds: int = field(default=0, compare=False)

    def output_to(self, peer: PeerLabel) -> bytes:
        for out in self.outputs:
            if out.peer == peer:
                return out.data
        return b""


@dataclass(frozen=True, slots=True)
class Trace:
    #: What RPC showed once the node was built, before the first event.
    initial: dict[str, Json]
    #: One step per event, in order.
    steps: tuple[Step, ...]
    variant: str = field(default="", compare=False)


# -- JSON (for the subprocess determinism check and for saved reports) -------------------------


def step_to_json(step: Step) -> dict[str, Any]:
    return {
        "index": step.index,
        "outputs": [
            {
                "peer": out.peer,
                "data": out.data.hex(),
                "frames": [item.text for item in out.items],
            }
            for out in step.outputs
        ],
        "disconnected": list(step.disconnected),
        "state": step.state,
        "error": step.error,
    }


def step_from_json(obj: dict[str, Any]) -> Step:
    return Step(
        index=int(obj["index"]),
        outputs=tuple(
            PeerOutput(PeerLabel(int(o["peer"])), bytes.fromhex(o["data"])) for o in obj["outputs"]
        ),
        disconnected=tuple(PeerLabel(int(p)) for p in obj["disconnected"]),
        state=obj["state"],
        error=obj["error"],
    )


def trace_to_json(trace: Trace) -> dict[str, Any]:
    return {
        "variant": trace.variant,
        "initial": trace.initial,
        "steps": [step_to_json(s) for s in trace.steps],
    }


def trace_from_json(obj: dict[str, Any]) -> Trace:
    return Trace(
        obj["initial"], tuple(step_from_json(s) for s in obj["steps"]), str(obj.get("variant", ""))
    )


def dumps(trace: Trace) -> str:
    return json.dumps(trace_to_json(trace), sort_keys=True)


def loads(text: str) -> Trace:
    obj = json.loads(text)
    assert isinstance(obj, dict)
    return trace_from_json(obj)


def frame_lines(data: bytes) -> list[str]:
    """Readable lines for bytes a node wrote: ``type  repr`` per frame."""
    lines = []
    for item in decode_wire(data):
        if isinstance(item, Frame):
            lines.append(item.text)
        else:
            assert isinstance(item, Garbage)
            lines.append(item.text)
    return lines
