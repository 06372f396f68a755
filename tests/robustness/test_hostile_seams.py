"""Hostile input against both variants, in-process, through the differential harness.

Every case of :mod:`tests.robustness.hostile_cases` runs as a scenario on a fresh node of
each variant (driver.Run: fake sockets, mock time, seeded randomness): an honest peer and a
hostile one connect, the hostile peer does its worst, and the test checks upstream's reaction
(ignore, disconnect, discourage), the debug log (the caught deserialization error, the
Misbehaving reason), that the node still answers the honest peer's ping, and that no CNode,
Peer or CNodeState is left once the peers are gone. split's trace must equal legacy's.

The flow-control cases (a peer that stops reading, a peer that floods) are tests of their
own at the end: they read CNode's fPauseSend / fPauseRecv through the adapter.
"""

from __future__ import annotations

import functools
import importlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from common.clock import GetMockTime, SetMockTime
from common.connection_types import ConnectionType
from common.logging import BCLog, LogInstance
from common.messages import msg_getdata, msg_ping, msg_pong, msg_verack
from common.net_permissions import NetPermissionFlags
from common.random import SeedRandomStateForTest
from netsplit.diff.compare import compare
from netsplit.diff.driver import Run
from netsplit.diff.frames import Frame, decode_wire
from netsplit.diff.scenario import (
    ClockAdvances,
    Event,
    MineBlocks,
    PeerConnects,
    PeerDisconnects,
    PeerLabel,
    PeerSends,
    Scenario,
)
from netsplit.diff.trace import Json, Step, Trace
from netsplit.diff.variant import Variant, VariantSpec, load

from .hostile_cases import (
    CASES,
    HONEST_ADDRESS,
    HONEST_NONCE,
    HOSTILE_ADDRESS,
    LIMITS,
    MAX_INV_SZ,
    PROBE_NONCE,
    T0,
    TIMEOUT_INTERVAL,
    UNKNOWN_TYPE,
    Advance,
    HostileCase,
    Phase,
    Reaction,
    Send,
    entries_of,
    frame,
    handshake_wire,
    honest_version,
    hostile_version,
    wire,
    wtx_invs,
)

HOSTILE = PeerLabel(0)
HONEST = PeerLabel(1)
VARIANTS = ("legacy", "split")
#: What each layer holds with only the honest peer connected.
ONE_PEER = {"nodes": 1, "nodes_disconnected": 0, "peers": 1, "node_states": 1}
NO_PEER = {"nodes": 0, "nodes_disconnected": 0, "peers": 0, "node_states": 0}


@functools.cache
def variant(name: str) -> Variant:
    return load(VariantSpec(name, name))


@contextmanager
def captured_log() -> Iterator[list[str]]:
    """The node's debug log lines (net category on) while the block runs."""
    logger = LogInstance()
    had_net = logger.WillLogCategory(BCLog.LogFlags.NET)
    lines: list[str] = []
    logger.EnableCategory(BCLog.LogFlags.NET)
    handle = logger.PushBackCallback(lines.append)
    try:
        yield lines
    finally:
        logger.DeleteCallback(handle)
        if not had_net:
            logger.DisableCategory(BCLog.LogFlags.NET)


@contextmanager
def running(v: Variant, seed: int = 0) -> Iterator[Run]:
    """A fresh node of ``v`` driven event by event (driver.Run, as run_scenario uses it);
    mock time and seeded randomness are restored afterwards."""
    saved = GetMockTime()
    with tempfile.TemporaryDirectory(prefix="netsplit-hostile-") as tmp:
        run = Run(v, seed, T0, 16, Path(tmp))
        try:
            run.start()
            yield run
        finally:
            try:
                run.stop()
            finally:
                SetMockTime(saved)
                SeedRandomStateForTest(None)


def frames_in(data: bytes) -> list[Frame]:
    return [item for item in decode_wire(data) if isinstance(item, Frame)]


def pong_nonces(data: bytes) -> list[int | None]:
    return [msg_pong.deserialize(f.payload).nonce for f in frames_in(data) if f.msgtype == "pong"]


def inbound(label: PeerLabel, address: str, case: HostileCase | None = None) -> PeerConnects:
    permissions = case.permissions if case is not None else NetPermissionFlags.None_
    return PeerConnects(label, ConnectionType.INBOUND, address, permissions)


def setup_events(start: Phase) -> list[Event]:
    """What the hostile peer sends to reach ``start``."""
    if start == Phase.HANDSHAKEN:
        return [PeerSends(HOSTILE, handshake_wire(hostile_version()))]
    if start == Phase.VERSION_SENT:
        return [PeerSends(HOSTILE, wire(hostile_version()))]
    return []


def probe_bytes(end: Phase) -> bytes:
    """From where the peer stands, finish the handshake and ping."""
    ping = wire(msg_ping(PROBE_NONCE))
    if end == Phase.CONNECTED:
        return handshake_wire(hostile_version()) + ping
    if end == Phase.VERSION_SENT:
        return wire(msg_verack()) + ping
    return ping


@dataclass(slots=True)
class CaseRun:
    """What one case showed on one variant."""

    scenario: Scenario
    trace: Trace
    #: Step indices of the hostile peer's actions.
    action_steps: list[int]
    probe_step: int | None
    honest_ping_step: int
    log: list[str]
    discouraged: bool
    orphans: list[Json]
    counts_hostile_gone: dict[str, int]
    orphans_hostile_gone: list[Json]
    counts_all_gone: dict[str, int]
    errors: list[str] = field(default_factory=list)

    def step(self, i: int) -> Step:
        return self.trace.steps[i]

    def disconnect_step(self) -> int | None:
        for s in self.trace.steps:
            if HOSTILE in s.disconnected:
                return s.index
        return None

    def hostile_frames_during_actions(self) -> list[Frame]:
        out: list[Frame] = []
        for i in self.action_steps:
            out += frames_in(self.step(i).output_to(HOSTILE))
        return out

    def hostile_info(self, i: int) -> dict[str, Json]:
        return self.hostile_info_of(self.step(i))

    @staticmethod
    def hostile_info_of(step: Step) -> dict[str, Json]:
        peers = step.state["peers"]
        assert isinstance(peers, list)
        for p in peers:
            if isinstance(p, dict) and p["peer"] == int(HOSTILE):
                return p
        raise AssertionError(f"the hostile peer is not in getpeerinfo after step {step.index}")


@functools.cache
def run_case(variant_name: str, case_name: str) -> CaseRun:
    """Run one case on a fresh node (once per process: the split test reuses legacy's run)."""
    case = next(c for c in CASES if c.name == case_name)
    v = variant(variant_name)
    events: list[Event] = []
    with captured_log() as log, running(v) as run:

        def step(event: Event) -> int:
            events.append(event)
            run.step(event)
            return len(events) - 1

        def honest_joins() -> None:
            step(inbound(HONEST, HONEST_ADDRESS))
            step(PeerSends(HONEST, handshake_wire(honest_version())))

        # Out of initial block download, so that transactions and announcements are handled.
        step(MineBlocks(1))
        if case.honest_during:
            honest_joins()
        step(inbound(HOSTILE, HOSTILE_ADDRESS, case))
        for event in setup_events(case.start):
            step(event)
        actions = [
            step(PeerSends(HOSTILE, a.data) if isinstance(a, Send) else ClockAdvances(a.seconds))
            for a in case.actions
        ]
        probe = None
        if case.reaction == Reaction.IGNORE and case.probe:
            probe = step(PeerSends(HOSTILE, probe_bytes(case.end_phase)))
        if not case.honest_during:
            honest_joins()
        honest_ping = step(PeerSends(HONEST, wire(msg_ping(HONEST_NONCE))))
        discouraged = run.adapter.is_discouraged(HOSTILE_ADDRESS)
        orphans = run.adapter.orphans(run.labels)
        step(PeerDisconnects(HOSTILE))
        counts_hostile_gone = run.adapter.peer_counts()
        orphans_hostile_gone = run.adapter.orphans(run.labels)
        step(PeerDisconnects(HONEST))
        counts_all_gone = run.adapter.peer_counts()
        trace = run.trace()
    return CaseRun(
        Scenario(tuple(events), seed=0, start_time=T0, note=f"hostile: {case.name}"),
        trace,
        actions,
        probe,
        honest_ping,
        list(log),
        discouraged,
        orphans,
        counts_hostile_gone,
        orphans_hostile_gone,
        counts_all_gone,
        [f"step {s.index}: {s.error}" for s in trace.steps if s.error is not None],
    )


def check_reaction(r: CaseRun, case: HostileCase) -> None:
    """Upstream's reaction: when (if ever) the hostile peer is dropped, and whether its
    address is discouraged."""
    assert r.errors == [], f"the node raised: {r.errors}"
    gone_at = r.disconnect_step()
    last_action = r.action_steps[-1]
    if case.reaction == Reaction.IGNORE:
        assert gone_at is not None and gone_at > r.honest_ping_step, (
            f"dropped at step {gone_at}, while upstream keeps the peer"
        )
    elif case.deadline is not None:
        # The first clock advance past the deadline drops the peer; none before does.
        elapsed, due = 0, None
        for action, i in zip(case.actions, r.action_steps, strict=True):
            if isinstance(action, Advance):
                elapsed += action.seconds
                if elapsed > case.deadline and due is None:
                    due = i
        assert gone_at == due, f"dropped at step {gone_at}, due at step {due}"
    else:
        assert gone_at == last_action, (
            f"dropped at step {gone_at}, expected with the last action (step {last_action})"
        )
    assert r.discouraged == (case.reaction == Reaction.DISCOURAGE)


def check_log(r: CaseRun, case: HostileCase) -> None:
    """The caught deserialization error is a SerializationError for the right message type
    (never a Python error swallowed by ProcessMessages' catch-all), and the expected lines."""
    caught = [line for line in r.log if "Exception '" in line and "caught" in line]
    if case.exception is None:
        assert caught == [], f"unexpected exceptions: {caught}"
    else:
        assert caught, "no deserialization error was caught"
        for line in caught:
            assert f"ProcessMessages({case.exception}, " in line, line
            assert "(SerializationError) caught" in line, line
    misbehaving = [line for line in r.log if "Misbehaving: peer=" in line]
    if case.reaction == Reaction.DISCOURAGE:
        assert len(misbehaving) == 1, misbehaving
    else:
        assert misbehaving == []
    for expected in case.log:
        assert any(expected in line for line in r.log), f"no log line with {expected!r}"


def check_outputs(r: CaseRun, case: HostileCase) -> None:
    """What the node wrote to the hostile peer, the probe's pong, the honest peer's pong."""
    during = r.hostile_frames_during_actions()
    for count in case.frame_counts:
        matching = [f for f in during if f.msgtype == count.msgtype]
        assert len(matching) == count.frames, (count, [f.msgtype for f in during])
        if count.entries is not None:
            assert sum(entries_of(f.payload) for f in matching) == count.entries
    if r.probe_step is not None:
        out = r.step(r.probe_step).output_to(HOSTILE)
        assert pong_nonces(out) == [PROBE_NONCE], [f.msgtype for f in frames_in(out)]
        if case.end_phase == Phase.CONNECTED:
            assert [f.msgtype for f in frames_in(out)][:2] == ["version", "wtxidrelay"]
    assert pong_nonces(r.step(r.honest_ping_step).output_to(HONEST)) == [HONEST_NONCE]


def check_state(r: CaseRun, case: HostileCase) -> None:
    """Address and orphan bookkeeping, and no leftovers once the peers are gone."""
    if case.addr_counts is not None:
        info = r.hostile_info(r.action_steps[-1])
        assert (info["addr_processed"], info["addr_rate_limited"]) == case.addr_counts
    if case.orphans is not None:
        assert [o["wtxid"] for o in r.orphans if isinstance(o, dict)] == list(case.orphans)
    assert r.counts_hostile_gone == ONE_PEER
    assert r.orphans_hostile_gone == []
    assert r.counts_all_gone == NO_PEER


def check_case(variant_name: str, case: HostileCase) -> None:
    r = run_case(variant_name, case.name)
    check_reaction(r, case)
    check_log(r, case)
    check_outputs(r, case)
    check_state(r, case)
    if variant_name != "legacy":
        reference = run_case("legacy", case.name)
        divergence = compare(r.scenario, reference.trace, r.trace)
        assert divergence is None, (
            f"{variant_name} differs from legacy at event {divergence.index} "
            f"({divergence.event}): {', '.join(divergence.aspects())}"
        )


@pytest.mark.parametrize("variant_name", VARIANTS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_gets_upstreams_reaction(variant_name: str, case: HostileCase) -> None:
    check_case(variant_name, case)


# -- the catalogue's numbers are the variant's ----------------------------------------------------


@pytest.mark.parametrize("variant_name", VARIANTS)
def test_catalogue_limits_are_the_variants_constants(variant_name: str) -> None:
    v = variant(variant_name)
    homes = [
        v.net_processing,
        v.net,
        importlib.import_module(f"{v.package}.txorphanage"),
        importlib.import_module("common.bloom"),
    ]
    for name, value in LIMITS.items():
        found = [getattr(m, name) for m in homes if hasattr(m, name)]
        assert found and found[0] == value, (name, found)


# -- flow control: a peer that stops reading, a peer that floods -----------------------------------

#: The receive flood: unknown-type messages of FLOOD_PAYLOAD bytes, FLOOD_MESSAGES of them,
#: more than -maxreceivebuffer's default (5000 kB) of queued messages.
FLOOD_MESSAGES = 3000
FLOOD_PAYLOAD = 2000
SEND_BUFFER_MAX = LIMITS["DEFAULT_MAXSENDBUFFER"] * 1000
RECEIVE_FLOOD_SIZE = LIMITS["DEFAULT_MAXRECEIVEBUFFER"] * 1000


def flood_bytes() -> bytes:
    return frame(UNKNOWN_TYPE, bytes(FLOOD_PAYLOAD)) * FLOOD_MESSAGES


def connect_both(run: Run) -> None:
    run.step(MineBlocks(1))
    for label, address, version in (
        (HONEST, HONEST_ADDRESS, honest_version()),
        (HOSTILE, HOSTILE_ADDRESS, hostile_version()),
    ):
        run.step(inbound(label, address))
        run.step(PeerSends(label, handshake_wire(version)))


def honest_is_served(run: Run, nonce: int = HONEST_NONCE) -> bool:
    step = run.step(PeerSends(HONEST, wire(msg_ping(nonce))))
    return pong_nonces(step.output_to(HONEST)) == [nonce]


def everyone_leaves(run: Run) -> dict[str, int]:
    for label in (HOSTILE, HONEST):
        run.step(PeerDisconnects(label))
    return run.adapter.peer_counts()


def check_same_as_legacy(variant_name: str, trace: Trace, legacy_trace: Trace) -> None:
    if variant_name != "legacy":
        divergence = compare(Scenario(), legacy_trace, trace)
        assert divergence is None, (
            f"{variant_name} differs from legacy at step {divergence.index}: "
            f"{', '.join(divergence.aspects())}"
        )


@functools.cache
def stops_reading(variant_name: str) -> Trace:
    """fPauseSend: a 1.8 MB notfound does not fit the 1 MB send buffer of a peer whose
    receive window is full; the node stops taking its messages (its ping waits), serves the
    honest peer, and once the peer reads again delivers everything in order."""
    with captured_log() as log, running(variant(variant_name)) as run:
        connect_both(run)
        sock = run.adapter.connections[HOSTILE].sock
        idle = run.adapter.flow_control(HOSTILE)
        assert idle is not None and idle["fPauseSend"] is False
        sock.window = 0
        sent_before = len(sock.written)
        step = run.step(
            PeerSends(HOSTILE, wire(msg_getdata(wtx_invs(MAX_INV_SZ)), msg_ping(PROBE_NONCE)))
        )
        assert step.disconnected == () and len(sock.written) == sent_before
        flow = run.adapter.flow_control(HOSTILE)
        assert flow is not None and flow["fPauseSend"] is True
        send_queue = flow["send_queue_bytes"]
        assert isinstance(send_queue, int) and send_queue > SEND_BUFFER_MAX
        # The ping after the getdata is still queued: ProcessMessages skips a paused peer.
        assert isinstance(flow["recv_queue_bytes"], int) and flow["recv_queue_bytes"] > 0
        assert honest_is_served(run)

        sock.window = None
        resumed = run.step(ClockAdvances(0))
        delivered = frames_in(resumed.output_to(HOSTILE))
        assert [f.msgtype for f in delivered] == ["notfound", "pong"]
        assert entries_of(delivered[0].payload) == MAX_INV_SZ
        assert pong_nonces(resumed.output_to(HOSTILE)) == [PROBE_NONCE]
        assert run.adapter.flow_control(HOSTILE) == idle
        assert everyone_leaves(run) == NO_PEER
        assert [s.error for s in run.steps if s.error is not None] == []
        trace = run.trace()
    assert not any("Exception '" in line for line in log)
    return trace


@pytest.mark.parametrize("variant_name", VARIANTS)
def test_peer_that_stops_reading_pauses_sending_and_loses_nothing(variant_name: str) -> None:
    check_same_as_legacy(variant_name, stops_reading(variant_name), stops_reading("legacy"))


@functools.cache
def never_reads(variant_name: str) -> Trace:
    """A peer that never reads again is not dropped for that alone: the inactivity checks drop
    it TIMEOUT_INTERVAL after the node's last successful send (and its unanswered ping)."""
    with captured_log() as log, running(variant(variant_name)) as run:
        connect_both(run)
        run.step(PeerDisconnects(HONEST))  # it would time out too: it joins again afterwards
        run.adapter.connections[HOSTILE].sock.window = 0
        run.step(PeerSends(HOSTILE, wire(msg_getdata(wtx_invs(MAX_INV_SZ)))))
        flow = run.adapter.flow_control(HOSTILE)
        assert flow is not None and flow["fPauseSend"] is True
        assert run.step(ClockAdvances(TIMEOUT_INTERVAL)).disconnected == ()
        assert run.step(ClockAdvances(1)).disconnected == (HOSTILE,)
        assert not run.adapter.is_discouraged(HOSTILE_ADDRESS)
        assert run.adapter.peer_counts() == NO_PEER
        run.step(inbound(HONEST, HONEST_ADDRESS))
        run.step(PeerSends(HONEST, handshake_wire(honest_version())))
        assert honest_is_served(run)
        assert everyone_leaves(run) == NO_PEER
        assert [s.error for s in run.steps if s.error is not None] == []
        trace = run.trace()
    assert any("socket sending timeout" in line or "ping timeout" in line for line in log)
    return trace


@pytest.mark.parametrize("variant_name", VARIANTS)
def test_peer_that_never_reads_is_dropped_by_the_inactivity_checks(variant_name: str) -> None:
    check_same_as_legacy(variant_name, never_reads(variant_name), never_reads("legacy"))


@functools.cache
def floods(variant_name: str) -> Trace:
    """fPauseRecv: once a peer's queued messages pass -maxreceivebuffer the node stops reading
    its socket, keeps serving the honest peer, and, as the queue drains, reads and processes
    the rest; nothing is lost and the peer is not dropped (upstream does not punish volume)."""
    with captured_log() as log, running(variant(variant_name)) as run:
        connect_both(run)
        sock = run.adapter.connections[HOSTILE].sock
        flood = flood_bytes()
        step = run.step(PeerSends(HOSTILE, flood))
        assert step.disconnected == ()
        flow = run.adapter.flow_control(HOSTILE)
        assert flow is not None and flow["fPauseRecv"] is True
        queued = flow["recv_queue_bytes"]
        assert isinstance(queued, int) and queued > RECEIVE_FLOOD_SIZE
        assert len(sock.inbox) > 0, "the node read the whole flood without pausing"
        assert honest_is_served(run)
        for _ in range(20):  # each step settles for at most MAX_SETTLE_ROUNDS rounds
            if not sock.inbox and flow_idle(run) is not None:
                break
            run.step(ClockAdvances(0))
        assert not sock.inbox and flow_idle(run) is not None, "the flood never drained"
        probe = run.step(PeerSends(HOSTILE, wire(msg_ping(PROBE_NONCE))))
        assert pong_nonces(probe.output_to(HOSTILE)) == [PROBE_NONCE]
        info = CaseRun.hostile_info_of(probe)
        per_msg = info["bytesrecv_per_msg"]
        assert isinstance(per_msg, dict) and per_msg["*other*"] == len(flood)
        assert everyone_leaves(run) == NO_PEER
        assert [s.error for s in run.steps if s.error is not None] == []
        trace = run.trace()
    assert sum(f'Unknown command "{UNKNOWN_TYPE}"' in line for line in log) == FLOOD_MESSAGES
    return trace


def flow_idle(run: Run) -> dict[str, Json] | None:
    """The hostile peer's flow control once nothing of its is queued, else None."""
    flow = run.adapter.flow_control(HOSTILE)
    if flow is None or flow["fPauseRecv"] or flow["recv_queue_bytes"]:
        return None
    return flow


@pytest.mark.parametrize("variant_name", VARIANTS)
def test_flooding_peer_is_paused_and_nothing_is_lost(variant_name: str) -> None:
    check_same_as_legacy(variant_name, floods(variant_name), floods("legacy"))
