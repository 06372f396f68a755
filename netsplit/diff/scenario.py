"""Scenarios: what the outside world does to a node, as plain data.

A scenario is a seed, a start time and a sequence of events. Events are frozen dataclasses with
no behaviour: the driver gives them meaning against a variant, and the same JSON file replays
the same scenario anywhere. Peers are named by small ints chosen by the scenario (``peer 0``,
``peer 1``, ...), never by the NodeId a variant hands out, so two variants are compared on what
happened to the same peer even if they numbered their nodes differently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import Any, Final, Literal, NewType

from common.connection_types import ConnectionType
from common.net_permissions import NetPermissionFlags, NetPermissions

#: A peer's name inside a scenario.
PeerLabel = NewType("PeerLabel", int)

#: Mock time every scenario starts at unless it says otherwise (seconds since the epoch).
DEFAULT_START_TIME: Final = 1_700_000_000

#: -maxconnections of a scenario that does not say: 8 full-relay, 2 block-relay and 1 feeler
#: outbound slots leave 5 for inbound peers.
DEFAULT_MAX_CONNECTIONS: Final = 16

SCENARIO_FORMAT: Final = "netsplit-diff-scenario"
SCENARIO_FORMAT_VERSION: Final = 1


# -- peer events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeerConnects:
    """A connection opens: the peer connects to us (INBOUND), or we connect to it (any other
    type). ``permissions`` apply to inbound peers (a -whitebind) and manual ones (a
    -whitelist=out range); upstream has no way to give other outbound peers permissions, so
    the driver ignores them there. ``address`` is "ip:port"."""

    peer: PeerLabel
    conn_type: ConnectionType
    address: str
    permissions: NetPermissionFlags = NetPermissionFlags.None_

    @property
    def inbound(self) -> bool:
        return self.conn_type == ConnectionType.INBOUND


@dataclass(frozen=True, slots=True)
class PeerSends:
    """The peer delivers raw wire bytes: whole frames, a part of one, or garbage (see
    :mod:`netsplit.diff.frames` for builders)."""

    peer: PeerLabel
    data: bytes


@dataclass(frozen=True, slots=True)
class PeerAnswersPing:
    """The peer answers the node's latest ping with the matching pong (the nonce is only known
    at run time, so the driver fills it in). Nothing is sent if the node never pinged."""

    peer: PeerLabel


@dataclass(frozen=True, slots=True)
class PeerDisconnects:
    """The peer closes its socket: the node reads end-of-file."""

    peer: PeerLabel


@dataclass(frozen=True, slots=True)
class ClockAdvances:
    """Mock time moves forward; scheduled tasks that fell due in between run once."""

    seconds: int


# -- RPC-level actions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DisconnectNode:
    """``disconnectnode``: by the peer's node id, or by its address."""

    peer: PeerLabel
    by_address: bool = False


@dataclass(frozen=True, slots=True)
class SetBan:
    """``setban``: ``command`` is "add" or "remove"; ``bantime`` in seconds, 0 for the
    default."""

    subnet: str
    command: Literal["add", "remove"] = "add"
    bantime: int = 0


@dataclass(frozen=True, slots=True)
class ClearBanned:
    """``clearbanned``."""


@dataclass(frozen=True, slots=True)
class AddNode:
    """``addnode``: "add" / "remove" an added node, or "onetry" connect to it at once (that
    connection is peer ``peer``)."""

    peer: PeerLabel
    address: str
    command: Literal["add", "remove", "onetry"] = "onetry"


@dataclass(frozen=True, slots=True)
class SetNetworkActive:
    """``setnetworkactive``."""

    active: bool


@dataclass(frozen=True, slots=True)
class MineBlocks:
    """``generatetoaddress``-like: mine ``n`` blocks on the tip and connect them."""

    n: int


@dataclass(frozen=True, slots=True)
class SubmitTransaction:
    """``sendrawtransaction``: offer ``tx`` (serialized, with witness) to the mempool and
    relay it if accepted."""

    tx: bytes


Event = (
    PeerConnects
    | PeerSends
    | PeerAnswersPing
    | PeerDisconnects
    | ClockAdvances
    | DisconnectNode
    | SetBan
    | ClearBanned
    | AddNode
    | SetNetworkActive
    | MineBlocks
    | SubmitTransaction
)

EVENT_TYPES: Final[dict[str, type[Event]]] = {
    cls.__name__: cls
    for cls in (
        PeerConnects,
        PeerSends,
        PeerAnswersPing,
        PeerDisconnects,
        ClockAdvances,
        DisconnectNode,
        SetBan,
        ClearBanned,
        AddNode,
        SetNetworkActive,
        MineBlocks,
        SubmitTransaction,
    )
}


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything a run depends on: the random seed, the start time, and the events."""

    events: tuple[Event, ...] = ()
    seed: int = 0
    start_time: int = DEFAULT_START_TIME
    #: -maxconnections: the default is small, so a handful of inbound peers fills the node.
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    #: Free text kept in replay files (what generated it, why it is interesting).
    note: str = field(default="", compare=False)

    def then(self, *events: Event) -> Scenario:
        return replace(self, events=self.events + events)

    def prefix(self, n: int) -> Scenario:
        return replace(self, events=self.events[:n])


# -- JSON --------------------------------------------------------------------------------------


class ScenarioFormatError(ValueError):
    """A replay file that is not a scenario this version understands."""


def _encode_value(value: object) -> Any:
    if isinstance(value, NetPermissionFlags):
        return int(value)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bytes):
        return value.hex()
    return value


def event_to_json(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(event).__name__}
    for f in fields(event):
        out[f.name] = _encode_value(getattr(event, f.name))
    return out


def _decode_field(cls: type[Event], name: str, raw: Any) -> Any:
    if name == "conn_type":
        return ConnectionType[raw]
    if name == "permissions":
        return NetPermissionFlags(int(raw))
    if name in ("data", "tx"):
        return bytes.fromhex(raw)
    if name == "peer":
        return PeerLabel(int(raw))
    return raw


def event_from_json(obj: dict[str, Any]) -> Event:
    try:
        cls = EVENT_TYPES[obj["type"]]
    except KeyError as e:
        raise ScenarioFormatError(f"unknown event type {obj.get('type')!r}") from e
    kwargs = {}
    for f in fields(cls):
        if f.name in obj:
            try:
                kwargs[f.name] = _decode_field(cls, f.name, obj[f.name])
            except (KeyError, ValueError) as e:
                raise ScenarioFormatError(
                    f"bad field {f.name}={obj[f.name]!r} in {obj['type']}"
                ) from e
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ScenarioFormatError(f"bad {obj['type']} event: {e}") from e


def scenario_to_json(scenario: Scenario) -> dict[str, Any]:
    return {
        "format": SCENARIO_FORMAT,
        "version": SCENARIO_FORMAT_VERSION,
        "seed": scenario.seed,
        "start_time": scenario.start_time,
        "max_connections": scenario.max_connections,
        "note": scenario.note,
        "events": [event_to_json(e) for e in scenario.events],
    }


def scenario_from_json(obj: dict[str, Any]) -> Scenario:
    if obj.get("format") != SCENARIO_FORMAT:
        raise ScenarioFormatError(f"not a {SCENARIO_FORMAT} file (format={obj.get('format')!r})")
    if obj.get("version") != SCENARIO_FORMAT_VERSION:
        raise ScenarioFormatError(f"unsupported scenario format version {obj.get('version')!r}")
    return Scenario(
        events=tuple(event_from_json(e) for e in obj["events"]),
        seed=int(obj["seed"]),
        start_time=int(obj["start_time"]),
        max_connections=int(obj.get("max_connections", DEFAULT_MAX_CONNECTIONS)),
        note=str(obj.get("note", "")),
    )


def dumps(scenario: Scenario) -> str:
    return json.dumps(scenario_to_json(scenario), indent=1) + "\n"


def loads(text: str) -> Scenario:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise ScenarioFormatError(f"not JSON: {e}") from e
    if not isinstance(obj, dict):
        raise ScenarioFormatError("a scenario file holds a JSON object")
    # A replay file wraps the scenario with the divergence it shows.
    if "scenario" in obj and isinstance(obj["scenario"], dict):
        obj = obj["scenario"]
    return scenario_from_json(obj)


def load(path: Path) -> Scenario:
    return loads(path.read_text(encoding="utf-8"))


def describe(event: Event) -> str:
    """One line for reports: the event with its fields, bytes shortened."""
    parts = []
    for f in fields(event):
        value = getattr(event, f.name)
        if isinstance(value, bytes):
            text = value.hex()
            shown = text if len(text) <= 48 else f"{text[:40]}...({len(value)} bytes)"
        elif isinstance(value, NetPermissionFlags):
            shown = ",".join(NetPermissions.ToStrings(value)) or "none"
        elif isinstance(value, Enum):
            shown = value.name
        else:
            shown = repr(value)
        parts.append(f"{f.name}={shown}")
    return f"{type(event).__name__}({', '.join(parts)})"
