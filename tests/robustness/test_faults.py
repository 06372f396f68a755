"""Socket faults injected through the Sock seam into a running node, for both variants.

Each test starts a node in-process through its variant's composition root (init.AppInitMain and
init.StartNode, which start CConnman's threads), listening on loopback. ``common.sock.CreateSock``
is replaced by a FaultSockFactory, so every socket the node listens on or accepts is a real
socket with scripted faults (tests/robustness/faultsock.py). Peers are real loopback sockets.

After every fault the test asserts what upstream guarantees (src/net.cpp SocketHandlerConnected,
SocketSendData, AcceptConnection, CNode::CloseSocketDisconnect):

- no thread dies: every thread the node started is still alive, and ``threading.excepthook``
  saw no uncaught exception;
- a peer whose socket failed permanently is disconnected and freed: it leaves ``m_nodes``, its
  reference count returns to zero and ``m_nodes_disconnected`` drains;
- transient failures (EAGAIN, EINTR, partial sends) lose and corrupt nothing;
- every other peer keeps working: an honest peer handshakes and gets its pong.

split/ is driven only through those seams (the composition root, CConnman's public API and
members m_nodes / m_nodes_disconnected, CNode.GetRefCount, the Sock seam, real sockets).
"""

from __future__ import annotations

import contextlib
import errno
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import common.sock
from common.args import gArgs
from common.logging import BCLog, LogInstance
from common.messages import msg_ping
from common.protocol import NetMsgType
from common.sock import NetworkErrorString, SockFault, SockOp
from netsplit.diff.variant import Variant, load, resolve

from .faultsock import FaultSock, FaultSockFactory, LoopbackPeer, PeerClosedError, frame

VARIANTS = ("legacy", "split")

#: Seconds to wait for anything the node does in the background.
TIMEOUT = 10.0

ECONNRESET_TEXT = f"Connection reset by peer ({errno.ECONNRESET})"


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.01)


@dataclass(slots=True)
class RunningNode:
    """A node of one variant with its threads running, listening on 127.0.0.1:``port``."""

    variant: Variant
    context: Any
    factory: FaultSockFactory
    port: int
    #: The threads StartNode started (CConnman's: net, addcon, opencon, msghand, scheduler).
    threads: list[threading.Thread]
    #: Uncaught exceptions of any thread while the node ran.
    thread_errors: list[threading.ExceptHookArgs]
    #: debug.log lines, with -debug=net.
    log: list[str]
    peers: list[LoopbackPeer] = field(default_factory=list)

    @property
    def connman(self) -> Any:
        return self.context.connman

    def listener(self) -> FaultSock:
        (listen,) = self.factory.listeners()
        return listen

    def new_peer(self, script: Callable[[FaultSock], None] | None = None) -> LoopbackPeer:
        """A connected peer; ``script`` runs on the node's side of it when the node accepts."""
        peer = LoopbackPeer.bound()
        self.peers.append(peer)
        if script is not None:
            self.factory.arm(peer.port, script)
        peer.connect_to(self.port)
        return peer

    def cnode(self, peer: LoopbackPeer) -> Any:
        """The CNode of ``peer`` (matched by the peer's port), once the node has it."""
        found: list[Any] = []

        def present() -> bool:
            with self.connman.m_nodes_mutex:
                found[:] = [n for n in self.connman.m_nodes if n.addr.GetPort() == peer.port]
            return bool(found)

        wait_until(present, f"the node to accept the peer on port {peer.port}")
        return found[0]

    def has_peer(self, peer: LoopbackPeer) -> bool:
        with self.connman.m_nodes_mutex:
            return any(n.addr.GetPort() == peer.port for n in self.connman.m_nodes)

    def logged(self, text: str) -> bool:
        return any(text in line for line in self.log)


@pytest.fixture(params=VARIANTS)
def node(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningNode]:
    """A running node of each variant, its sockets made by a FaultSockFactory."""
    variant = load(resolve(str(request.param)))
    factory = FaultSockFactory()
    monkeypatch.setattr(common.sock, "CreateSock", factory)
    monkeypatch.setattr(variant.net, "fDiscover", False)

    thread_errors: list[threading.ExceptHookArgs] = []
    previous_hook = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        thread_errors.append(args)
        previous_hook(args)

    monkeypatch.setattr(threading, "excepthook", hook)

    logger = LogInstance()
    mask = logger.GetCategoryMask()
    log: list[str] = []
    handle = logger.PushBackCallback(log.append)
    logger.EnableCategory(BCLog.NET)

    before = set(threading.enumerate())
    init = variant.init
    context = init.AppInitMain(
        init.InitOptions(datadir=tmp_path, listen=True, bind=["127.0.0.1:0"])
    )
    running: RunningNode | None = None
    try:
        assert init.StartNode(context)
        threads = [t for t in threading.enumerate() if t not in before]
        (listen,) = factory.listeners()
        name = listen.GetSockName()
        assert name is not None
        del listen
        running = RunningNode(variant, context, factory, int(name[1]), threads, thread_errors, log)
        yield running
    finally:
        init.Interrupt(context)
        init.Shutdown(context)
        if running is not None:
            for peer in running.peers:
                peer.close()
        logger.DeleteCallback(handle)
        logger.DisableCategory(BCLog.LogFlags.ALL)
        logger.EnableCategory(BCLog.LogFlags(mask))
        gArgs.ClearArgs()
        net: Any = variant.net  # module globals AppInitMain set
        net.fListen = net.DEFAULT_LISTEN
        net.strSubVersion = ""
    assert not thread_errors, [
        f"{e.thread}: {e.exc_type.__name__}: {e.exc_value}" for e in thread_errors
    ]


_nonce = random.Random(20251009)


def assert_serves_an_honest_peer(node: RunningNode) -> None:
    """No thread died, and a new peer handshakes and gets its pong."""
    assert not node.thread_errors, node.thread_errors
    dead = [t.name for t in node.threads if not t.is_alive()]
    assert dead == [], f"threads died: {dead}"
    honest = node.new_peer()
    honest.handshake()
    nonce = _nonce.getrandbits(64)
    honest.ping_pong(nonce)
    assert node.has_peer(honest)


def assert_dropped_and_freed(
    node: RunningNode, cnode: Any, peer: LoopbackPeer, peer_open: bool = True
) -> None:
    """``peer``'s node left m_nodes, its references were all released, m_nodes_disconnected
    drained, and (when the peer's socket is still open) its descriptor was closed: the peer
    reads EOF or a reset."""
    wait_until(lambda: not node.has_peer(peer), "the faulty peer to leave m_nodes")
    wait_until(lambda: not node.connman.m_nodes_disconnected, "m_nodes_disconnected to drain")
    assert cnode.GetRefCount() == 0
    stats: list[Any] = []
    node.connman.GetNodeStats(stats)
    assert all(s.addr.GetPort() != peer.port for s in stats)
    if peer_open:
        peer.wait_closed()


def ping(nonce: int) -> bytes:
    return msg_ping(nonce).serialize()


# ---------------------------------------------------------------------------------------------
# Connection reset


def test_connection_reset_on_recv_disconnects_only_that_peer(node: RunningNode) -> None:
    bystander = node.new_peer()
    bystander.handshake()
    faulty = node.new_peer()
    faulty.handshake()
    cnode = node.cnode(faulty)
    node.factory.node_side(faulty.port).inject_fault(SockOp.RECV, SockFault.reset())
    # Readable now: the node's recv fails. If the node was still reading the end of the
    # handshake, that read took the fault and the connection may already be gone.
    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
        faulty.send_msg(NetMsgType.PING, ping(1))
    assert_dropped_and_freed(node, cnode, faulty)
    assert node.logged(
        f"[net] socket recv error, disconnecting peer={cnode.GetId()}: {ECONNRESET_TEXT}"
    )
    bystander.ping_pong(2)
    assert_serves_an_honest_peer(node)


def test_peer_sending_a_reset_is_a_recv_error(node: RunningNode) -> None:
    """A real RST from the peer (SO_LINGER 0), no scripted fault. Depending on the kernel, the
    node's recv fails with ECONNRESET or reads end-of-file; either way the peer goes."""
    faulty = node.new_peer()
    faulty.handshake()
    cnode = node.cnode(faulty)
    faulty.reset()
    assert_dropped_and_freed(node, cnode, faulty, peer_open=False)
    peer_id = cnode.GetId()
    assert node.logged(
        f"[net] socket recv error, disconnecting peer={peer_id}: {ECONNRESET_TEXT}"
    ) or node.logged(f"[net] socket closed, disconnecting peer={peer_id}")
    assert_serves_an_honest_peer(node)


@pytest.mark.parametrize("error", [errno.ECONNRESET, errno.EPIPE])
def test_connection_reset_on_send_disconnects_only_that_peer(node: RunningNode, error: int) -> None:
    bystander = node.new_peer()
    bystander.handshake()
    faulty = node.new_peer()
    faulty.handshake()
    cnode = node.cnode(faulty)
    node.factory.node_side(faulty.port).inject_fault(SockOp.SEND, SockFault(error=error))
    # (The fault may already have fired on a message the node sent after the handshake.)
    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
        faulty.send_msg(NetMsgType.PING, ping(1))  # the node's pong fails to go out
    assert_dropped_and_freed(node, cnode, faulty)
    assert node.logged(
        f"[net] socket send error, disconnecting peer={cnode.GetId()}: {NetworkErrorString(error)}"
    )
    bystander.ping_pong(2)
    assert_serves_an_honest_peer(node)


# ---------------------------------------------------------------------------------------------
# EAGAIN storms: transient errors cost retries, never the connection


#: What upstream's SocketHandlerConnected and SocketSendData treat as "try again later".
TRANSIENT_ERRORS = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR, errno.EINPROGRESS, errno.EMSGSIZE)


def transient_storm(n: int) -> list[SockFault]:
    return [SockFault(error=TRANSIENT_ERRORS[i % len(TRANSIENT_ERRORS)]) for i in range(n)]


def test_eagain_storm_on_recv_and_send_loses_nothing(node: RunningNode) -> None:
    storm = 300

    def script(sock: FaultSock) -> None:
        sock.inject_fault(SockOp.RECV, *transient_storm(storm))
        sock.inject_fault(SockOp.SEND, *transient_storm(storm))

    bystander = node.new_peer()
    bystander.handshake()
    stormy = node.new_peer(script)
    stormy.handshake()
    stormy.ping_pong(1)
    sock = node.factory.node_side(stormy.port)
    # The node met every scripted failure on the way, and kept the connection through them.
    assert sock.pending_faults(SockOp.RECV) == 0
    assert sock.pending_faults(SockOp.SEND) == 0
    del sock
    assert node.has_peer(stormy)
    assert not node.logged("socket recv error") and not node.logged("socket send error")
    stormy.ping_pong(2)
    bystander.ping_pong(3)
    assert_serves_an_honest_peer(node)


def test_eagain_storm_on_accept_and_failed_waits_delay_but_do_not_refuse(
    node: RunningNode,
) -> None:
    listener = node.listener()
    # Each round of the socket handler waits on the first socket, the listener: a failed wait
    # makes it sleep and try again.
    listener.inject_fault(SockOp.WAIT, *[SockFault(error=errno.EINTR)] * 5)
    listener.inject_fault(SockOp.ACCEPT, *[SockFault.eagain()] * 50)
    peer = node.new_peer()
    peer.handshake()
    peer.ping_pong(1)
    assert listener.pending_faults(SockOp.ACCEPT) == 0
    assert listener.pending_faults(SockOp.WAIT) == 0
    del listener
    # EWOULDBLOCK from accept is the normal "nothing to accept": not logged.
    assert not node.logged("socket error accept failed")
    assert_serves_an_honest_peer(node)


# ---------------------------------------------------------------------------------------------
# Partial sends: the stream arrives whole, in order, with every checksum right


def test_partial_sends_deliver_every_message_intact(node: RunningNode) -> None:
    rng = random.Random(1)
    chunks = [SockFault.partial(rng.choice((0, 1, 2, 3, 5, 8, 13, 24, 25))) for _ in range(2000)]

    def script(sock: FaultSock) -> None:
        sock.inject_fault(SockOp.SEND, *chunks)

    reference = node.new_peer()
    reference.handshake()
    reference.ping_pong(7)
    chopped = node.new_peer(script)
    chopped.handshake()  # LoopbackPeer checks magic and checksum of every frame
    chopped.ping_pong(7)
    sock = node.factory.node_side(chopped.port)
    # The node's messages really went out at most 25 bytes at a time.
    wire_bytes = sum(24 + len(payload) for _, payload in chopped.received)
    assert sock.send_calls >= wire_bytes / 25 > len(chopped.received)
    sock.clear_faults()
    del sock
    # Same messages as the peer whose sends were whole, in the same order (but getheaders:
    # initial headers sync starts with one peer only, the first).
    assert [t for t, _ in chopped.received] == [
        t for t, _ in reference.received if t != NetMsgType.GETHEADERS
    ]
    assert chopped.received[-1] == (NetMsgType.PONG, (7).to_bytes(8, "little"))
    assert node.has_peer(chopped)
    assert_serves_an_honest_peer(node)


def test_partial_sends_mixed_with_eagain_then_a_reset_drop_only_that_peer(
    node: RunningNode,
) -> None:
    """A peer resets the connection while the node is part way through sending to it."""
    rng = random.Random(2)
    faults = [
        SockFault.partial(rng.randrange(1, 9)) if i % 3 else SockFault.eagain() for i in range(600)
    ]

    def script(sock: FaultSock) -> None:
        sock.inject_fault(SockOp.SEND, *faults)

    faulty = node.new_peer(script)
    faulty.handshake()
    cnode = node.cnode(faulty)
    sock = node.factory.node_side(faulty.port)
    sock.clear_faults()
    sock.inject_fault(SockOp.SEND, SockFault.partial(3), SockFault.eagain(), SockFault.reset())
    del sock
    # (The fault may already have fired on a message the node sent after the handshake.)
    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
        faulty.send_msg(NetMsgType.PING, ping(1))  # the pong goes out in pieces, then fails
    assert_dropped_and_freed(node, cnode, faulty)
    assert node.logged(
        f"[net] socket send error, disconnecting peer={cnode.GetId()}: {ECONNRESET_TEXT}"
    )
    assert_serves_an_honest_peer(node)


# ---------------------------------------------------------------------------------------------
# Accept failures: logged, and the listener keeps serving


def test_accept_failures_are_logged_and_the_connection_is_accepted_later(
    node: RunningNode,
) -> None:
    failures = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.ECONNABORTED)
    listener = node.listener()
    listener.inject_fault(SockOp.ACCEPT, *[SockFault(error=e) for e in failures])
    peer = node.new_peer()  # waits in the backlog while accept fails
    peer.handshake()
    peer.ping_pong(1)
    assert listener.pending_faults(SockOp.ACCEPT) == 0
    del listener
    for err in failures:
        assert node.logged(f"socket error accept failed: {NetworkErrorString(err)}"), err
    assert node.logged(f"socket error accept failed: Too many open files ({errno.EMFILE})")
    assert_serves_an_honest_peer(node)


def test_accepted_socket_without_a_local_name_is_still_served(node: RunningNode) -> None:
    """getsockname() failing on an accepted socket leaves the bind address unset (upstream's
    GetBindAddress), with a warning; the peer is served all the same."""

    def script(sock: FaultSock) -> None:
        sock.getsockname_error = errno.ENOBUFS

    peer = node.new_peer(script)
    peer.handshake()
    peer.ping_pong(1)
    assert node.logged("[net:warning] getsockname failed")
    stats: list[Any] = []
    node.connman.GetNodeStats(stats)
    (stat,) = [s for s in stats if s.addr.GetPort() == peer.port]
    assert not stat.addrBind.IsValid()
    assert_serves_an_honest_peer(node)


# ---------------------------------------------------------------------------------------------
# A close during a send


@pytest.mark.parametrize("sender", ["msghand", "net"])
@pytest.mark.parametrize("peer_resets", [False, True])
def test_disconnect_during_a_send_waits_for_the_send_then_frees_the_peer(
    node: RunningNode, sender: str, peer_resets: bool
) -> None:
    """A send to the peer is in progress (held inside Sock.Send) when the node is asked to drop
    the peer, and (``peer_resets``) the peer resets the connection. The socket is closed only
    after that send call returns (CloseSocketDisconnect takes m_sock_mutex, which the send
    holds); then the peer is freed.

    ``sender`` is the thread the send runs on: "msghand" for the optimistic send PushMessage
    makes, "net" for the socket handler's, reached by failing the optimistic one with EAGAIN.
    """
    bystander = node.new_peer()
    bystander.handshake()
    faulty = node.new_peer()
    faulty.handshake()
    faulty.ping_pong(0)  # after this, what the handshake makes the node send has been sent
    cnode = node.cnode(faulty)
    sock = node.factory.node_side(faulty.port)
    gate = threading.Event()
    sock.send_gate_thread = f"b-{sender}"
    sock.send_gate = gate
    if sender == "net":
        sock.inject_fault(SockOp.SEND, SockFault.eagain())
    faulty.send_msg(NetMsgType.PING, ping(1))  # the node answers with a pong
    assert sock.send_entered.wait(TIMEOUT), "the pong's send never started"
    try:
        if peer_resets:
            faulty.reset()
        assert node.connman.DisconnectNode(cnode.GetId())
        time.sleep(0.2)  # the socket handler gets to DisconnectNodes, if it is free
        # The descriptor stays open while the send is in progress.
        assert sock.m_socket is not None
        assert node.has_peer(faulty) or sender == "msghand"
    finally:
        sock.send_gate = None
        gate.set()
    del sock
    assert_dropped_and_freed(node, cnode, faulty, peer_open=not peer_resets)
    if not peer_resets:
        # The send in progress completed before the close: the pong arrived, then EOF.
        # The send in progress completed before the close. The disconnect may win
        # m_sock_mutex before the transport's next send (upstream locks it per send call), so
        # the pong's payload may be cut off after its header; nothing else is lost or mixed up.
        pong = frame(NetMsgType.PONG, (1).to_bytes(8, "little"))
        got_pong = (NetMsgType.PONG, pong[24:]) in faulty.received
        assert got_pong or faulty.unread() == pong[:24]
    bystander.ping_pong(2)
    assert_serves_an_honest_peer(node)


# ---------------------------------------------------------------------------------------------
# Everything at once


def random_faults(rng: random.Random, op: SockOp, n: int) -> list[SockFault]:
    """``n`` outcomes for ``op``, most of them no fault at all (``SockFault()`` passes through)."""
    if op is SockOp.RECV:
        menu = [SockFault.reset(), SockFault.eagain(), SockFault(error=errno.EINTR)]
        menu += [SockFault.partial(k) for k in (0, 1, 5, 24)]
    else:
        menu = [SockFault.reset(), SockFault(error=errno.EPIPE), SockFault.eagain()]
        menu += [SockFault.partial(k) for k in (0, 1, 7, 30)]
    return [rng.choice(menu) if rng.random() < 0.3 else SockFault() for _ in range(n)]


def test_random_faults_on_many_peers_leave_the_node_serving_and_clean(
    node: RunningNode,
) -> None:
    """Twelve peers whose sockets fail at random points (seeded) talk to the node at once,
    while the listener fails some accepts. When they have all gone, every node they had is
    freed, and the node serves an honest peer."""
    rng = random.Random(20251009)
    listener = node.listener()
    listener.inject_fault(
        SockOp.ACCEPT,
        *[SockFault(error=errno.EMFILE) if rng.random() < 0.5 else SockFault() for _ in range(8)],
    )
    del listener
    seen: list[Any] = []
    unexpected: list[BaseException] = []

    def talk(peer: LoopbackPeer, nonce: int) -> None:
        try:
            peer.handshake(timeout=3)
            for i in range(3):
                peer.ping_pong(nonce + i, timeout=3)
        except (PeerClosedError, TimeoutError, ConnectionError):
            pass  # the node dropped this peer: expected after a permanent failure
        except BaseException as e:  # a corrupt frame, say
            unexpected.append(e)

    workers: list[threading.Thread] = []
    peers: list[LoopbackPeer] = []
    for i in range(12):
        faults = {op: random_faults(rng, op, 60) for op in (SockOp.RECV, SockOp.SEND)}

        def script(sock: FaultSock, faults: dict[SockOp, list[SockFault]] = faults) -> None:
            for op, outcomes in faults.items():
                sock.inject_fault(op, *outcomes)

        peer = node.new_peer(script)
        peers.append(peer)
        workers.append(threading.Thread(target=talk, args=(peer, 1000 * i), daemon=True))
        workers[-1].start()
    for _ in range(50):
        with node.connman.m_nodes_mutex:
            seen.extend(n for n in node.connman.m_nodes if n not in seen)
        time.sleep(0.01)
    for worker in workers:
        worker.join(TIMEOUT)
        assert not worker.is_alive()
    assert unexpected == []
    for peer in peers:
        peer.close()
    wait_until(lambda: not any(node.has_peer(p) for p in peers), "every faulty peer to go")
    wait_until(lambda: not node.connman.m_nodes_disconnected, "m_nodes_disconnected to drain")
    assert seen and all(n.GetRefCount() == 0 for n in seen)
    # The storm did hit: connections failed for good, and so did accepts.
    assert node.logged("[net] socket send error, disconnecting peer=")
    assert node.logged("socket error accept failed: Too many open files")
    assert_serves_an_honest_peer(node)
