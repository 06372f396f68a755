"""Scenario generation: a hypothesis RuleBasedStateMachine whose steps are scenario events.

Each rule appends one event (a peer connects, sends a message or malformed bytes, answers a
ping, hangs up; the clock jumps across a timeout; an RPC runs). At teardown the scenario runs on
both variants from scratch and the traces are compared; a divergence fails the example, and
hypothesis shrinks it to a minimal scenario. Running each variant once per example, rather
than both in lockstep, keeps them from sharing the process's seeded random generator.

The failure sink keeps the latest failing result. Under hypothesis' own shrinking, the shrunk
example is replayed last, so the sink ends up holding the minimal scenario. The campaign
(:mod:`netsplit.diff.campaign`) turns hypothesis' shrinking off and shrinks event by event
instead (:mod:`netsplit.diff.shrink`), which is far cheaper here; the result is saved for
replay either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    multiple,
    rule,
)

from common.connection_types import ConnectionType
from common.messages import (
    NetMessage,
    msg_ping,
    msg_sendaddrv2,
    msg_verack,
    msg_version,
    msg_wtxidrelay,
)

from . import frames, strategies
from .chainops import PeerChain
from .driver import run_scenario
from .report import DiffResult, make_result, render_text
from .scenario import (
    DEFAULT_START_TIME,
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
from .variant import Variant

#: Events per generated scenario, at most.
DEFAULT_STEP_COUNT = 25


@dataclass(slots=True)
class FailureSink:
    """What the machine reports to its caller: examples run, and the latest failure."""

    examples: int = 0
    runs: int = 0
    last_failure: DiffResult | None = None
    on_example: Callable[[DiffResult], None] | None = None

    def record(self, result: DiffResult) -> None:
        self.examples += 1
        self.runs += 2
        if not result.agrees:
            self.last_failure = result
        if self.on_example is not None:
            self.on_example(result)


class DivergenceFound(AssertionError):
    """Raised from teardown; hypothesis shrinks on it."""


_SEND_KINDS = st.sampled_from(("common", "common", "message", "chain", "malformed"))
_RPC_KINDS = st.sampled_from(
    (
        "disconnectnode",
        "setban",
        "clearbanned",
        "addnode",
        "setnetworkactive",
        "generate",
        "sendrawtransaction",
    )
)
_SETBAN = st.builds(
    SetBan,
    st.one_of(
        strategies.ipv4(),
        strategies.ipv4().map(lambda ip: f"{ip}/24"),
        st.sampled_from(("1.2.3.4", "1.2.3.0/24", "2a01:4f8::/32", "bad")),
    ),
    st.sampled_from(("add", "add", "remove")),
    st.sampled_from((0, 60, 86400)),
)
_ADDNODE_COMMANDS: tuple[Literal["add", "remove", "onetry"], ...] = (
    "onetry",
    "onetry",
    "add",
    "remove",
)
_ADDNODE = st.tuples(strategies.peer_addresses(), st.sampled_from(_ADDNODE_COMMANDS))


def _opening(version: msg_version, extras: list[str], verack: bool) -> bytes:
    parts: list[NetMessage] = [version]
    parts += [msg_wtxidrelay() if e == "wtxidrelay" else msg_sendaddrv2() for e in extras]
    if verack:
        parts.append(msg_verack())
    return b"".join(frames.frame_message(m) for m in parts)


def diff_scenario(a: Variant, b: Variant, scenario: Scenario) -> DiffResult:
    return make_result(scenario, run_scenario(a, scenario), run_scenario(b, scenario))


class DifferentialMachine(RuleBasedStateMachine):
    """Subclassed per variant pair by :func:`make_machine`."""

    variant_a: ClassVar[Variant]
    variant_b: ClassVar[Variant]
    sink: ClassVar[FailureSink]
    timeouts: ClassVar[dict[str, int]]
    limit_strategy: ClassVar[st.SearchStrategy[tuple[str, int]]]
    clock_strategy: ClassVar[st.SearchStrategy[int]]
    timeout_strategy: ClassVar[st.SearchStrategy[int]]
    start_time: ClassVar[int] = DEFAULT_START_TIME

    peers = Bundle("peers")

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.next_peer = 0
        self.seed = 0
        self.chain = PeerChain(self.start_time)

    def _add(self, event: Event) -> None:
        self.events.append(event)

    def _new_label(self) -> PeerLabel:
        label = PeerLabel(self.next_peer)
        self.next_peer += 1
        return label

    # -- setup -----------------------------------------------------------------------------------

    @initialize(
        target=peers,
        seed=st.integers(0, 2**32 - 1),
        old_chain=st.booleans(),
        first=st.lists(
            st.tuples(
                strategies.connection_types(),
                strategies.permissions(),
                strategies.peer_addresses(),
                strategies.version_messages(),
            ),
            min_size=1,
            max_size=3,
        ),
    )
    def start_with_connected_peers(
        self,
        seed: int,
        old_chain: bool,
        first: list[tuple[ConnectionType, Any, str, msg_version]],
    ) -> MultipleResults[PeerLabel]:
        """The seed, the peer chain's era, and one to three peers that connect and complete
        the handshake, so most scenarios start from a working node."""
        self.seed = seed
        self.chain = PeerChain(self.start_time, old=old_chain)
        labels = []
        for conn_type, permissions, address, version in first:
            label = self._new_label()
            self._add(PeerConnects(label, conn_type, address, permissions))
            self._add(PeerSends(label, _opening(version, ["wtxidrelay", "sendaddrv2"], True)))
            labels.append(label)
        return multiple(*labels)

    # -- peers -----------------------------------------------------------------------------------

    @rule(
        target=peers,
        conn_type=strategies.connection_types(),
        permissions=strategies.permissions(),
        address=strategies.peer_addresses(),
    )
    def connect(self, conn_type: ConnectionType, permissions: Any, address: str) -> PeerLabel:
        label = self._new_label()
        self._add(PeerConnects(label, conn_type, address, permissions))
        return label

    @rule(
        peer=peers,
        version=strategies.version_messages(),
        extras=st.lists(st.sampled_from(("wtxidrelay", "sendaddrv2")), max_size=2, unique=True),
        verack=st.booleans(),
    )
    def handshake(
        self, peer: PeerLabel, version: msg_version, extras: list[str], verack: bool
    ) -> None:
        """What a peer sends to connect: version, the feature negotiation messages that must
        come before verack, and verack. Sent again, it is "version twice"."""
        self._add(PeerSends(peer, _opening(version, extras, verack)))

    @rule(peer=peers, data=st.data())
    def send(self, peer: PeerLabel, data: st.DataObject) -> None:
        """Any message in any state (before version, before verack, after), the peer's own
        chain, or malformed bytes."""
        kind = data.draw(_SEND_KINDS)
        if kind == "common":
            payload = frames.frame_message(data.draw(strategies.common_messages(self.start_time)))
        elif kind == "message":
            payload = frames.frame_message(data.draw(strategies.messages(self.start_time)))
        elif kind == "chain":
            spec = data.draw(strategies.chain_message_specs())
            payload = frames.frame_message(strategies.chain_message(self.chain, spec))
        else:
            payload = data.draw(strategies.malformed_frames(self.start_time))
        self._add(PeerSends(peer, payload))

    @rule(peer=peers, data=st.data())
    def probe_limit(self, peer: PeerLabel, data: st.DataObject) -> None:
        """A message exactly at, or one past, one of the reference variant's size limits."""
        msgtype, size = data.draw(self.limit_strategy)
        self._add(PeerSends(peer, strategies.limit_frame(msgtype, size)))

    @rule(peer=peers, nonce=st.integers(0, 2**64 - 1))
    def ping(self, peer: PeerLabel, nonce: int) -> None:
        """The peer pings: a connected node answers with the same nonce."""
        self._add(PeerSends(peer, frames.frame_message(msg_ping(nonce))))

    @rule(peer=peers)
    def answer_ping(self, peer: PeerLabel) -> None:
        self._add(PeerAnswersPing(peer))

    @rule(peer=peers)
    def hang_up(self, peer: PeerLabel) -> None:
        self._add(PeerDisconnects(peer))

    # -- time ------------------------------------------------------------------------------------

    @rule(data=st.data())
    def advance_clock(self, data: st.DataObject) -> None:
        self._add(ClockAdvances(data.draw(self.clock_strategy)))

    @rule(peer=peers, data=st.data())
    def keep_alive(self, peer: PeerLabel, data: st.DataObject) -> None:
        """A live peer over time: it answers the pending ping, then the clock runs to just
        before, at or after one of the timeouts (measured from now)."""
        self._add(PeerAnswersPing(peer))
        self._add(ClockAdvances(data.draw(self.timeout_strategy)))

    # -- RPC -------------------------------------------------------------------------------------

    @rule(peer=peers, data=st.data())
    def rpc(self, peer: PeerLabel, data: st.DataObject) -> None:
        """One RPC action: disconnectnode, setban, clearbanned, addnode, setnetworkactive,
        generate, sendrawtransaction."""
        kind = data.draw(_RPC_KINDS)
        action: Event
        if kind == "disconnectnode":
            action = DisconnectNode(peer, data.draw(st.booleans()))
        elif kind == "setban":
            action = data.draw(_SETBAN)
        elif kind == "clearbanned":
            action = ClearBanned()
        elif kind == "addnode":
            address, command = data.draw(_ADDNODE)
            action = AddNode(self._new_label(), address, command)
        elif kind == "setnetworkactive":
            action = SetNetworkActive(data.draw(st.sampled_from((True, False, True))))
        elif kind == "generate":
            action = MineBlocks(data.draw(st.integers(1, 3)))
        elif data.draw(st.booleans()):
            height, fee = data.draw(strategies.chain_spend_specs())
            action = SubmitTransaction(self.chain.spend(height, fee).serialize())
        else:
            action = SubmitTransaction(data.draw(strategies.transactions()).serialize())
        self._add(action)

    # -- the comparison --------------------------------------------------------------------------

    def scenario(self) -> Scenario:
        return Scenario(tuple(self.events), self.seed, self.start_time)

    def teardown(self) -> None:
        result = diff_scenario(self.variant_a, self.variant_b, self.scenario())
        self.sink.record(result)
        if not result.agrees:
            raise DivergenceFound(render_text(result))


def make_machine(
    a: Variant,
    b: Variant,
    sink: FailureSink | None = None,
    start_time: int = DEFAULT_START_TIME,
) -> type[DifferentialMachine]:
    """A machine class comparing ``a`` with ``b``; timeouts and size limits come from ``a``."""
    timeouts = strategies.timeout_seconds(a.constant)
    attrs: dict[str, Any] = {
        "variant_a": a,
        "variant_b": b,
        "sink": sink if sink is not None else FailureSink(),
        "timeouts": timeouts,
        "clock_strategy": strategies.clock_jumps(timeouts),
        "timeout_strategy": strategies.timeout_jumps(timeouts),
        "limit_strategy": strategies.limit_cases(strategies.limits(a.constant)),
        "start_time": start_time,
    }
    name = f"Diff_{a.package}_vs_{b.package}"
    return type(name, (DifferentialMachine,), attrs)
