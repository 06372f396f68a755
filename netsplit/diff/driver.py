"""Running a scenario against one variant and recording what the outside world saw.

Single-threaded and deterministic: mock time from the scenario's start, randomness seeded with
the scenario's seed, a fresh node in a fresh data directory per run, and after every event the
node settles (socket and message rounds until nothing moves) before its output is collected.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common.clock import GetMockTime, SetMockTime
from common.messages import msg_ping, msg_pong
from common.nodeid import NodeId
from common.random import SeedRandomStateForTest
from common.serialize import SerializationError

from .adapter import LegacyLayoutAdapter
from .frames import Frame, decode_wire, frame_message
from .scenario import (
    AddNode,
    ClearBanned,
    ClockAdvances,
    DisconnectNode,
    Event,
    MineBlocks,
    PeerAnswersPing,
    PeerConnects,
    PeerDisconnects,
    PeerLabel,
    PeerSends,
    Scenario,
    SetBan,
    SetNetworkActive,
    SubmitTransaction,
)
from .trace import Json, PeerOutput, Step, Trace
from .variant import Variant


def describe_exception(e: BaseException, variant: Variant) -> str:
    """``Type: message`` with the variant's package name taken out, so that the same failure
    in two copies of the same code reads the same."""
    text = f"{type(e).__name__}: {e}"
    return text.replace(variant.package + ".", "<variant>.")


@dataclass(slots=True)
class Run:
    """One variant running one scenario, event by event."""

    variant: Variant
    seed: int
    start_time: int
    max_connections: int
    datadir: Path
    adapter: LegacyLayoutAdapter = field(init=False)
    now: int = field(init=False)
    labels: dict[NodeId, PeerLabel] = field(default_factory=dict)
    #: How much of each peer's received bytes has been put in a step already.
    collected: dict[PeerLabel, int] = field(default_factory=dict)
    #: Peers already reported as disconnected.
    gone: set[PeerLabel] = field(default_factory=set)
    #: The nonce of the latest ping each peer received.
    last_ping: dict[PeerLabel, int] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    initial: dict[str, Json] = field(default_factory=dict)

    def start(self) -> None:
        self.now = self.start_time
        SetMockTime(self.now)
        SeedRandomStateForTest(self.seed)
        self.adapter = LegacyLayoutAdapter(self.variant, self.datadir, self.max_connections)
        self.adapter.start()
        self.adapter.settle()
        try:
            self.initial = self.adapter.snapshot(self.labels)
        except Exception as e:
            self.initial = {"snapshot_error": describe_exception(e, self.variant)}

    def stop(self) -> None:
        self.adapter.stop()

    # -- events --------------------------------------------------------------------------------

    def step(self, event: Event) -> Step:
        SetMockTime(self.now)
        error: str | None = None
        rpc: Json = None
        rounds = 0
        try:
            rpc = self._apply(event)
            rounds = self.adapter.settle()
        except Exception as e:  # a variant that raises is a behaviour to compare, not a crash
            error = describe_exception(e, self.variant)
        outputs = self._collect_outputs()
        disconnected = self._collect_disconnections()
        try:
            state = self.adapter.snapshot(self.labels)
        except Exception as e:  # what RPC would show cannot be read: that is the observation
            state = {"snapshot_error": describe_exception(e, self.variant)}
        if _is_rpc(event):
            state["rpc"] = rpc
        step = Step(len(self.steps), outputs, disconnected, state, error, rounds)
        self.steps.append(step)
        return step

    def _apply(self, event: Event) -> Json:
        a = self.adapter
        if isinstance(event, PeerConnects):
            conn = a.connect(event.peer, event.conn_type, event.address, event.permissions)
            self._register(event.peer, conn.node_id)
        elif isinstance(event, PeerSends):
            self._deliver(event.peer, event.data)
        elif isinstance(event, PeerAnswersPing):
            nonce = self.last_ping.get(event.peer)
            if nonce is not None:
                self._deliver(event.peer, frame_message(msg_pong(nonce)))
        elif isinstance(event, PeerDisconnects):
            existing = a.connections.get(event.peer)
            if existing is not None:
                existing.sock.eof = True
        elif isinstance(event, ClockAdvances):
            self.now += max(0, event.seconds)
            SetMockTime(self.now)
            a.run_due_tasks()
        elif isinstance(event, DisconnectNode):
            return a.disconnectnode(event.peer, event.by_address)
        elif isinstance(event, SetBan):
            return a.setban(event.subnet, event.command, event.bantime)
        elif isinstance(event, ClearBanned):
            return a.clearbanned()
        elif isinstance(event, AddNode):
            result = a.addnode(event.peer, event.address, event.command)
            opened = a.connections.get(event.peer)
            if event.command == "onetry" and opened is not None:
                self._register(event.peer, opened.node_id)
            return result
        elif isinstance(event, SetNetworkActive):
            return a.setnetworkactive(event.active)
        elif isinstance(event, MineBlocks):
            return a.mine(event.n)
        elif isinstance(event, SubmitTransaction):
            return a.submit_transaction(event.tx)
        return None

    def _register(self, label: PeerLabel, node_id: NodeId | None) -> None:
        self.collected[label] = 0
        self.gone.discard(label)
        self.last_ping.pop(label, None)
        for nid, other in list(self.labels.items()):
            if other == label:
                del self.labels[nid]
        if node_id is not None:
            self.labels[node_id] = label

    def _deliver(self, label: PeerLabel, data: bytes) -> None:
        conn = self.adapter.connections.get(label)
        if conn is None or label in self.gone or conn.sock.eof:
            return  # nobody is listening: the bytes go nowhere
        conn.sock.inbox += data

    # -- observations --------------------------------------------------------------------------

    def _collect_outputs(self) -> tuple[PeerOutput, ...]:
        outputs = []
        for label in sorted(self.adapter.connections):
            conn = self.adapter.connections[label]
            start = self.collected.get(label, 0)
            data = bytes(conn.sock.written[start:])
            if not data:
                continue
            self.collected[label] = len(conn.sock.written)
            outputs.append(PeerOutput(label, data))
            for item in decode_wire(data):
                if isinstance(item, Frame) and item.msgtype == msg_ping.msgtype:
                    with contextlib.suppress(SerializationError):
                        self.last_ping[label] = msg_ping.deserialize(item.payload).nonce
        return tuple(outputs)

    def _collect_disconnections(self) -> tuple[PeerLabel, ...]:
        live = self.adapter.live_node_ids()
        out = []
        for label in sorted(self.adapter.connections):
            if label in self.gone:
                continue
            conn = self.adapter.connections[label]
            if conn.node_id is None or conn.node_id not in live or conn.sock.closed:
                self.gone.add(label)
                out.append(label)
        return tuple(out)

    def trace(self) -> Trace:
        return Trace(self.initial, tuple(self.steps), self.variant.label)


def _is_rpc(event: Event) -> bool:
    return isinstance(
        event,
        DisconnectNode | SetBan | ClearBanned | AddNode | SetNetworkActive | MineBlocks
        | SubmitTransaction,
    )  # fmt: skip


def run_scenario(variant: Variant, scenario: Scenario) -> Trace:
    """The trace of ``scenario`` on a fresh node of ``variant``. The process's mock time and
    seeded randomness are restored afterwards."""
    saved_mock = GetMockTime()
    with tempfile.TemporaryDirectory(prefix="netsplit-diff-") as tmp:
        run = Run(variant, scenario.seed, scenario.start_time, scenario.max_connections, Path(tmp))
        try:
            run.start()
            for event in scenario.events:
                run.step(event)
        finally:
            try:
                run.stop()
            finally:
                SetMockTime(saved_mock)
                SeedRandomStateForTest(None)
        return run.trace()
