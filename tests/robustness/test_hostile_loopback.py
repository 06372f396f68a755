"""Hostile input over real loopback sockets, against a node process of each variant.

One node per variant for the whole module (``python -m legacy`` / ``python -m split`` on
127.0.0.1, -debug=net, mock time set to the catalogue's T0 through setmocktime and moved on
by it, one block mined so the node is out of initial block download). Every case of
:mod:`tests.robustness.hostile_cases` runs against it: an honest peer connects and completes
its handshake, a hostile peer does its worst over its own TCP connection, and the test checks
the reaction on the socket (kept: a ping is answered; dropped: end-of-file), the node's
debug.log, that the honest peer's ping is answered, and that both connections are gone from
getpeerinfo / getnetworkinfo once the peers close.

Loopback peers are 127.0.0.1, a local address: where upstream discourages a public peer it
only disconnects a local one ("disconnecting but not discouraging local peer"), and so does
the node here. Cases with permissions connect to a -whitebind port granting them.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from common.messages import msg_getdata, msg_ping, msg_pong
from common.net_permissions import NetPermissionFlags, NetPermissions
from common.protocol import CMessageHeader
from common.serialize import ser_u64
from netsplit.diff import frames as wireframes
from netsplit.diff.frames import Frame
from netsplit.nodeproc import NodeProcess, RPCClient, free_port
from tests.legacy.node_harness import MINE_ADDRESS

from .hostile_cases import (
    CASES,
    HONEST_NONCE,
    MAX_INV_SZ,
    PROBE_NONCE,
    T0,
    UNKNOWN_TYPE,
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

#: Bound on every wait for the node (seconds); a healthy node answers in milliseconds.
TIMEOUT = 15.0
HEADER_SIZE = CMessageHeader.HEADER_SIZE
#: Permission sets the catalogue's cases ask for, each served on a -whitebind port.
PERMISSION_SETS = sorted({c.permissions for c in CASES if c.permissions}, key=int)
VARIANTS = ("legacy", "split")


def poll(predicate: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for ``predicate``, checking often: the node is fast, the tests many."""
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.005)


class PeerClosed(Exception):
    """The node closed the connection."""


@dataclass(slots=True)
class WirePeer:
    """A v1 P2P peer on a real TCP connection to the node: sends raw bytes, collects the
    frames the node writes, and notices end-of-file."""

    sock: socket.socket
    buf: bytearray = field(default_factory=bytearray)
    frames: list[Frame] = field(default_factory=list)
    closed: bool = False
    #: Nonces of the pings this peer sent to sync (their pongs are not the node's reaction).
    own_nonces: set[int] = field(default_factory=set)
    next_nonce: int = 0x5EC0_0000

    @classmethod
    def connect(cls, port: int, rcvbuf: int | None = None) -> WirePeer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(TIMEOUT)
        sock.connect(("127.0.0.1", port))
        return cls(sock)

    @property
    def local_port(self) -> int:
        return int(self.sock.getsockname()[1])

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as e:  # EPIPE / ECONNRESET: the node is gone
            self.closed = True
            raise PeerClosed(str(e)) from e

    def _read_some(self, deadline: float) -> None:
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(1 << 20)
        except TimeoutError:
            return
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        self.buf += data
        while len(self.buf) >= HEADER_SIZE:
            size = int.from_bytes(self.buf[16:20], "little")
            if len(self.buf) < HEADER_SIZE + size:
                break
            raw = bytes(self.buf[: HEADER_SIZE + size])
            del self.buf[: HEADER_SIZE + size]
            (item,) = wireframes.decode_wire(raw)
            assert isinstance(item, Frame), f"the node wrote a broken frame: {item}"
            self.frames.append(item)

    def read_until(self, done: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
        """Read until ``done()``; False if the node closed the connection first."""
        deadline = time.monotonic() + timeout
        while not done():
            if self.closed:
                return False
            if time.monotonic() > deadline:
                raise TimeoutError("the node did not answer in time")
            self._read_some(deadline)
        return True

    def wait_closed(self, timeout: float = TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self._read_some(deadline)
        return self.closed

    def pongs(self, start: int = 0) -> list[int | None]:
        return [
            msg_pong.deserialize(f.payload).nonce
            for f in self.frames[start:]
            if f.msgtype == "pong"
        ]

    def ponged(self, nonce: int) -> bool:
        return nonce in self.pongs()

    def sync(self) -> bool:
        """Two pings, wait for the second pong: whatever the node queued for us before
        (including in the SendMessages after the first ping) has arrived by then. False if
        the node closed the connection."""
        first, second = self.next_nonce, self.next_nonce + 1
        self.next_nonce += 2
        self.own_nonces |= {first, second}
        with contextlib.suppress(PeerClosed):
            self.send(wire(msg_ping(first), msg_ping(second)))
        return self.read_until(lambda: second in self.pongs())

    def reaction_frames(self, start: int) -> list[Frame]:
        """The frames since ``start``, without the pongs to this peer's own sync pings."""
        return [
            f
            for f in self.frames[start:]
            if not (
                f.msgtype == "pong" and msg_pong.deserialize(f.payload).nonce in self.own_nonces
            )
        ]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


@dataclass(slots=True)
class HostileNode:
    """The node process the module's cases share, its mock clock, and its debug.log."""

    process: NodeProcess
    rpc: RPCClient
    #: -whitebind port per permission set.
    ports: dict[NetPermissionFlags, int]
    now: int = T0

    @property
    def log_path(self) -> Path:
        return self.process.netdir / "debug.log"

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def logged(self, text: str, offset: int) -> bool:
        return any(text in line for line in self.log_since(offset))

    def log_since(self, offset: int) -> list[str]:
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace").splitlines()

    def port_for(self, permissions: NetPermissionFlags) -> int:
        return self.process.port if not permissions else self.ports[permissions]

    def advance(self, seconds: int) -> None:
        self.now += seconds
        self.rpc.setmocktime(self.now)

    def peer_id(self, peer: WirePeer) -> int | None:
        """The node's id for ``peer`` (matched by its local port), None if not connected."""
        for info in self.rpc.getpeerinfo():
            if info["addr"] == f"127.0.0.1:{peer.local_port}":
                return int(info["id"])
        return None

    def wait_peer_id(self, peer: WirePeer) -> int:
        """The node's id for ``peer`` once it has accepted the connection."""
        found: list[int] = []

        def accepted() -> bool:
            node_id = self.peer_id(peer)
            if node_id is not None:
                found.append(node_id)
            return bool(found)

        poll(accepted, f"the node to accept 127.0.0.1:{peer.local_port}")
        return found[0]

    def peer_info(self, peer: WirePeer) -> dict[str, Any]:
        """getpeerinfo's entry for ``peer`` (JSON, so Any)."""
        for info in self.rpc.getpeerinfo():
            if info["addr"] == f"127.0.0.1:{peer.local_port}":
                return dict(info)
        raise AssertionError(f"127.0.0.1:{peer.local_port} is not in getpeerinfo")

    def wait_no_peers(self, ids: list[int], log_start: int) -> None:
        """No connection left in getpeerinfo / getnetworkinfo, and FinalizeNode done for
        ``ids`` (its "Cleared nodestate" line)."""
        poll(
            lambda: self.rpc.getpeerinfo() == [] and self.rpc.getnetworkinfo()["connections"] == 0,
            "every connection to be gone",
        )
        for node_id in ids:
            line = f"Cleared nodestate for peer={node_id}"
            poll(functools.partial(self.logged, line, log_start), f"peer={node_id} to be finalized")


@pytest.fixture(scope="module", params=VARIANTS)
def node(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostileNode]:
    variant = str(request.param)
    ports = {perm: free_port() for perm in PERMISSION_SETS}
    process = NodeProcess(tmp_path_factory.mktemp(f"hostile-{variant}"), variant=variant)
    process.extra_args = [
        "-debug=net",
        # No outbound connections: addresses the cases relay land in addrman, and
        # ThreadOpenConnections would keep drawing from it (costly, and not under test).
        "-connect=0",
        "-listen=1",
        f"-bind=127.0.0.1:{process.port}",
        *(
            f"-whitebind={','.join(NetPermissions.ToStrings(perm))}@127.0.0.1:{port}"
            for perm, port in ports.items()
        ),
    ]
    process.start()
    try:
        rpc = process.rpc()
        rpc.setmocktime(T0)
        rpc.generatetoaddress(1, MINE_ADDRESS)
        assert rpc.getblockchaininfo()["initialblockdownload"] is False
        yield HostileNode(process, rpc, ports)
    finally:
        process.stop()


def honest_peer(node: HostileNode) -> WirePeer:
    peer = WirePeer.connect(node.process.port)
    peer.send(handshake_wire(honest_version()))
    assert peer.sync(), "the honest peer's handshake failed"
    return peer


def reach(peer: WirePeer, start: Phase) -> None:
    """Take the hostile peer to ``start``; the frames it got so far are the handshake's."""
    if start == Phase.HANDSHAKEN:
        peer.send(handshake_wire(hostile_version()))
        assert peer.sync(), "the hostile peer's handshake failed"
    elif start == Phase.VERSION_SENT:
        peer.send(wire(hostile_version()))
        assert peer.read_until(lambda: any(f.msgtype == "verack" for f in peer.frames))


def probe(peer: WirePeer, end: Phase) -> bool:
    """Finish the handshake from ``end``, ping twice; whether both pongs came."""
    peer.own_nonces |= {PROBE_NONCE, PROBE_NONCE + 1}
    ping = wire(msg_ping(PROBE_NONCE), msg_ping(PROBE_NONCE + 1))
    if end == Phase.CONNECTED:
        data = handshake_wire(hostile_version()) + ping
    elif end == Phase.VERSION_SENT:
        data = wireframes.frame("verack", b"") + ping
    else:
        data = ping
    try:
        peer.send(data)
    except PeerClosed:
        return False
    return peer.read_until(lambda: PROBE_NONCE + 1 in peer.pongs())


#: What a node sends in answer to a version.
HANDSHAKE_TYPES = {"version", "wtxidrelay", "sendaddrv2", "verack"}


def at_frame_boundary(data: bytes) -> bool:
    """Whether ``data`` is whole frames (by their length fields)."""
    pos = 0
    while pos < len(data):
        if len(data) - pos < HEADER_SIZE:
            return False
        pos += HEADER_SIZE + int.from_bytes(data[pos + 16 : pos + 20], "little")
    return pos == len(data)


def run_loopback_case(node: HostileNode, case: HostileCase) -> None:
    log_start = node.log_size()
    honest = honest_peer(node) if case.honest_during else None
    hostile = WirePeer.connect(node.port_for(case.permissions))
    reach(hostile, case.start)
    hostile_id = node.wait_peer_id(hostile)
    mark = len(hostile.frames)
    closed_early = False
    sent = b""
    for i, action in enumerate(case.actions):
        if isinstance(action, Send):
            try:
                hostile.send(action.data)
            except PeerClosed:
                closed_early = i < len(case.actions) - 1
                break
            sent += action.data
        else:
            # What was sent is handled at the old time, as in-process (a ping round trip
            # shows it was, where the peer can ping: handshaken, between whole frames).
            if case.start == Phase.HANDSHAKEN and at_frame_boundary(sent):
                assert hostile.sync(), "the node dropped a peer upstream keeps"
            node.advance(action.seconds)

    if case.reaction == Reaction.IGNORE:
        if case.probe:
            assert probe(hostile, case.end_phase), "the node dropped a peer upstream keeps"
        else:
            time.sleep(0.2)
            assert node.peer_id(hostile) == hostile_id, "the node dropped a peer upstream keeps"
        if case.addr_counts is not None:
            info = node.peer_info(hostile)
            assert (info["addr_processed"], info["addr_rate_limited"]) == case.addr_counts
    else:
        assert not closed_early, "the node dropped the peer before its last action"
        assert hostile.wait_closed(), "the node kept a peer upstream drops"
    during = hostile.reaction_frames(mark)
    # The probe's own handshake adds one of each of the node's handshake messages (the frames
    # can't be told apart by time: there is no ping to sync on before a version).
    probed_handshake = case.probe and case.reaction == Reaction.IGNORE
    probed_handshake &= case.end_phase == Phase.CONNECTED
    for count in case.frame_counts:
        matching = [f for f in during if f.msgtype == count.msgtype]
        extra = int(probed_handshake and count.msgtype in HANDSHAKE_TYPES)
        assert len(matching) == count.frames + extra, (count, [f.msgtype for f in during])
        if count.entries is not None:
            assert sum(entries_of(f.payload) for f in matching) == count.entries
    if case.probe and case.reaction == Reaction.IGNORE and case.end_phase == Phase.CONNECTED:
        assert [f.msgtype for f in hostile.frames[mark:]][:2] == ["version", "wtxidrelay"]

    if honest is None:
        honest = honest_peer(node)
    honest.send(wire(msg_ping(HONEST_NONCE)))
    assert honest.read_until(lambda: HONEST_NONCE in honest.pongs()), "the honest peer lost"
    honest_id = node.wait_peer_id(honest)
    hostile.close()
    honest.close()
    node.wait_no_peers([hostile_id, honest_id], log_start)
    check_loopback_log(node.log_since(log_start), case, hostile_id)


def check_loopback_log(log: list[str], case: HostileCase, hostile_id: int) -> None:
    caught = [line for line in log if "Exception '" in line and "caught" in line]
    if case.exception is None:
        assert caught == [], caught
    else:
        assert caught, "no deserialization error was caught"
        for line in caught:
            assert f"ProcessMessages({case.exception}, " in line, line
            assert "(SerializationError) caught" in line, line
    misbehaving = [line for line in log if "Misbehaving: peer=" in line]
    if case.reaction == Reaction.DISCOURAGE:
        assert [m for m in misbehaving if f"peer={hostile_id}" in m] == misbehaving
        assert len(misbehaving) == 1, misbehaving
        # A local peer is disconnected, not discouraged.
        assert any(
            f"disconnecting but not discouraging local peer {hostile_id}!" in line for line in log
        )
    else:
        assert misbehaving == []
    for expected in case.log:
        assert any(expected in line for line in log), f"no log line with {expected!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_over_loopback(node: HostileNode, case: HostileCase) -> None:
    if case.no_loopback:
        pytest.skip(case.no_loopback)
    run_loopback_case(node, case)


# -- flow control over real sockets ----------------------------------------------------------------

#: getdata messages of MAX_INV_SZ unknown transactions: each answered by a 1.8 MB notfound;
#: three are more than a loopback TCP connection buffers (tcp_wmem's 4 MB at most) for a peer
#: whose receive buffer is tiny.
STALL_GETDATAS = 3
FLOOD_MESSAGES = 3000
FLOOD_PAYLOAD = 2000


def test_peer_that_stops_reading_is_kept_and_served_in_order(node: HostileNode) -> None:
    """A peer that stops reading fills its TCP window: the node stops sending to it (and, its
    send buffer full, stops taking its messages), keeps serving the honest peer, does not drop
    it, and delivers everything in order once it reads again."""
    log_start = node.log_size()
    honest = honest_peer(node)
    hostile = WirePeer.connect(node.process.port, rcvbuf=4096)
    hostile.send(handshake_wire(hostile_version()))
    assert hostile.sync()
    hostile_id = node.wait_peer_id(hostile)
    sent_before = int(node.peer_info(hostile)["bytessent"])
    hostile.own_nonces.add(PROBE_NONCE)
    getdata = wire(msg_getdata(wtx_invs(MAX_INV_SZ)))
    hostile.send(getdata * STALL_GETDATAS + wire(msg_ping(PROBE_NONCE)))

    def stalled() -> bool:
        first = int(node.peer_info(hostile)["bytessent"])
        time.sleep(0.3)
        second = int(node.peer_info(hostile)["bytessent"])
        return bool(second == first > sent_before)

    poll(stalled, "the node to stop sending to a peer that does not read")
    honest.send(wire(msg_ping(HONEST_NONCE)))
    assert honest.read_until(lambda: HONEST_NONCE in honest.pongs())
    answer = len(wire(msg_getdata(wtx_invs(MAX_INV_SZ))))  # a notfound is as long
    sent = int(node.peer_info(hostile)["bytessent"]) - sent_before
    assert sent < STALL_GETDATAS * answer

    mark = len(hostile.frames)
    assert hostile.read_until(lambda: PROBE_NONCE in hostile.pongs())
    # Every notfound, then the pong to the ping sent after the getdatas: nothing lost, in order.
    delivered = [
        f.msgtype if f.msgtype == "notfound" else msg_pong.deserialize(f.payload).nonce
        for f in hostile.frames[mark:]
        if f.msgtype == "notfound" or (f.msgtype == "pong" and f.payload == ser_u64(PROBE_NONCE))
    ]
    assert delivered == ["notfound"] * STALL_GETDATAS + [PROBE_NONCE]
    notfounds = [f for f in hostile.frames[mark:] if f.msgtype == "notfound"]
    assert [entries_of(f.payload) for f in notfounds] == [MAX_INV_SZ] * STALL_GETDATAS
    honest_id = node.wait_peer_id(honest)
    hostile.close()
    honest.close()
    node.wait_no_peers([hostile_id, honest_id], log_start)
    assert not any("Exception '" in line for line in node.log_since(log_start))


def test_flooding_peer_is_kept_and_nothing_is_lost(node: HostileNode) -> None:
    """6 MB of small messages as fast as the socket takes them: the node keeps answering the
    honest peer meanwhile, processes every message in order, and keeps the flooding peer."""
    log_start = node.log_size()
    honest = honest_peer(node)
    hostile = WirePeer.connect(node.process.port)
    hostile.send(handshake_wire(hostile_version()))
    assert hostile.sync()
    hostile_id = node.wait_peer_id(hostile)
    flood = frame(UNKNOWN_TYPE, bytes(FLOOD_PAYLOAD)) * FLOOD_MESSAGES
    hostile.own_nonces.add(PROBE_NONCE)
    sender = threading.Thread(target=hostile.send, args=(flood + wire(msg_ping(PROBE_NONCE)),))
    sender.start()
    try:
        for nonce in range(HONEST_NONCE, HONEST_NONCE + 3):
            honest.send(wire(msg_ping(nonce)))
            assert honest.read_until(functools.partial(honest.ponged, nonce))
    finally:
        sender.join(TIMEOUT)
    assert not sender.is_alive()
    assert hostile.read_until(lambda: PROBE_NONCE in hostile.pongs())
    per_msg = node.peer_info(hostile)["bytesrecv_per_msg"]
    assert isinstance(per_msg, dict) and per_msg["*other*"] == len(flood)
    honest_id = node.wait_peer_id(honest)
    hostile.close()
    honest.close()
    node.wait_no_peers([hostile_id, honest_id], log_start)
    log = node.log_since(log_start)
    assert sum(f'Unknown command "{UNKNOWN_TYPE}"' in line for line in log) == FLOOD_MESSAGES
    assert not any("Exception '" in line for line in log)
