"""Faults injected through the Sock seam into a node running on real loopback sockets, and a
minimal v1 P2P peer to talk to it.

:class:`FaultSock` is a real OS socket (common.sock.Sock) whose calls can be scripted to fail the
way a kernel makes them fail: ``Send``/``Recv`` returning SOCKET_ERROR/None with ECONNRESET,
EPIPE or EAGAIN in :func:`common.sock.WSAGetLastError`, ``Send`` taking fewer bytes than offered,
``Accept`` returning None with EMFILE, ``WaitMany`` failing with EINTR, ``GetSockName`` failing.
Faults use common.sock's own vocabulary (:class:`SockOp`, :class:`SockFault`), as DynSock does,
but the bytes that do move go through the kernel, so the node's peers are real sockets.

A Sock never raises (its error convention is a sentinel plus the thread's last error), so an
``accept(2)`` that fails with EMFILE is scripted as what Sock.Accept makes of the OSError: None,
with the error number set.

:class:`FaultSockFactory` replaces ``common.sock.CreateSock`` (upstream's test seam): every socket
the node creates, and every socket its listeners accept, is a FaultSock. Scripts can be armed for
a connection before it exists, keyed by the peer's local port, so faults hit the very first
bytes of a connection.
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from collections.abc import Callable
from typing import Final

from common.chainparams import Params
from common.hash import hash256
from common.messages import msg_ping, msg_version
from common.protocol import NODE_NETWORK, NODE_WITNESS, CAddress, CMessageHeader, NetMsgType
from common.serialize import DataStream
from common.sock import (
    SOCKET_ERROR,
    CreateSockOS,
    EventsPerSock,
    FaultScript,
    Sock,
    SockAddr,
    SockFault,
    SockOp,
    set_last_error,
)

__all__ = [
    "FaultSock",
    "FaultSockFactory",
    "LoopbackPeer",
    "PeerClosedError",
    "SockFault",
    "SockOp",
]

#: What a test does to a connection's node-side socket when the node accepts it.
AcceptScript = Callable[["FaultSock"], None]


class FaultSock(Sock):
    """A real socket with scripted faults on top (see the module docstring).

    ``send_gate``, when set, is waited on at the start of a Send made by a thread whose name
    ends with ``send_gate_thread`` (any thread when that is empty), after ``send_entered`` is
    set: a test can hold a send in progress while it does something else.
    """

    __slots__ = (
        "__weakref__",
        "getsockname_error",
        "m_factory",
        "m_faults",
        "send_calls",
        "send_entered",
        "send_gate",
        "send_gate_thread",
    )

    m_faults: FaultScript
    m_factory: FaultSockFactory | None
    #: Non-zero: GetSockName fails with this error number.
    getsockname_error: int
    send_gate: threading.Event | None
    send_gate_thread: str
    send_entered: threading.Event
    #: Every Send call, faulted or not (how many times the node tried).
    send_calls: int

    def __init__(self, s: socket.socket | None, factory: FaultSockFactory | None = None) -> None:
        super().__init__(s)
        self.m_faults = FaultScript()
        self.m_factory = factory
        self.getsockname_error = 0
        self.send_gate = None
        self.send_gate_thread = ""
        self.send_entered = threading.Event()
        self.send_calls = 0

    @classmethod
    def take(cls, sock: Sock, factory: FaultSockFactory | None = None) -> FaultSock:
        """Move ``sock``'s descriptor into a new FaultSock (``sock`` is left empty)."""
        s, sock.m_socket = sock.m_socket, None
        return cls(s, factory)

    def inject_fault(self, op: SockOp, *faults: SockFault) -> None:
        """Script the outcomes of the next calls of ``op``, one fault per call, in order."""
        self.m_faults.inject(op, *faults)

    def clear_faults(self) -> None:
        self.m_faults.clear()

    def pending_faults(self, op: SockOp) -> int:
        return self.m_faults.pending(op)

    def Send(self, data: bytes | bytearray | memoryview, flags: int = 0) -> int:
        self.send_calls += 1
        gate = self.send_gate
        if gate is not None and threading.current_thread().name.endswith(self.send_gate_thread):
            self.send_entered.set()
            gate.wait()
        fault = self.m_faults.next(SockOp.SEND)
        if fault is not None:
            if fault.error:
                set_last_error(fault.error)
                return SOCKET_ERROR
            if fault.limit is not None:
                data = memoryview(bytes(data))[: fault.limit]
        return super().Send(data, flags)

    def Recv(self, length: int, flags: int = 0) -> bytes | None:
        fault = self.m_faults.next(SockOp.RECV)
        if fault is not None:
            if fault.error:
                set_last_error(fault.error)
                return None
            if fault.limit is not None:
                if fault.limit == 0:
                    return b""
                length = min(length, fault.limit)
        return super().Recv(length, flags)

    def Accept(self) -> tuple[Sock, SockAddr] | None:
        fault = self.m_faults.next(SockOp.ACCEPT)
        if fault is not None and fault.error:
            set_last_error(fault.error)
            return None
        accepted = super().Accept()
        if accepted is None:
            return None
        inner, addr = accepted
        sock = FaultSock.take(inner, self.m_factory)
        if self.m_factory is not None:
            self.m_factory.accepted(sock, addr)
        return sock, addr

    def WaitMany(self, timeout: int, events_per_sock: EventsPerSock) -> bool:
        fault = self.m_faults.next(SockOp.WAIT)
        if fault is not None and fault.error:
            set_last_error(fault.error)
            return False
        return super().WaitMany(timeout, events_per_sock)

    def GetSockName(self) -> SockAddr | None:
        if self.getsockname_error:
            set_last_error(self.getsockname_error)
            return None
        return super().GetSockName()


class FaultSockFactory:
    """A replacement for ``common.sock.CreateSock`` that makes FaultSocks and finds them again.

    It holds its sockets by weak reference only: a Sock closes its descriptor when the last
    reference goes (upstream's shared_ptr), and a test must see that happen. ``by_peer_port`` is
    the node's side of every accepted connection, by the connecting peer's port; :meth:`arm`
    scripts a connection before it is made.
    """

    __slots__ = ("_armed", "_cond", "by_peer_port", "created")

    _armed: dict[int, AcceptScript]
    _cond: threading.Condition
    by_peer_port: weakref.WeakValueDictionary[int, FaultSock]
    created: weakref.WeakSet[FaultSock]

    def __init__(self) -> None:
        self._armed = {}
        self._cond = threading.Condition()
        self.by_peer_port = weakref.WeakValueDictionary()
        self.created = weakref.WeakSet()

    def __call__(self, domain: int, type_: int, protocol: int) -> Sock | None:
        base = CreateSockOS(domain, type_, protocol)
        if base is None:
            return None
        sock = FaultSock.take(base, self)
        with self._cond:
            self.created.add(sock)
        return sock

    def arm(self, peer_port: int, script: AcceptScript) -> None:
        """Run ``script`` on the node's side of the connection from ``peer_port`` as soon as it
        is accepted, before the node touches it."""
        with self._cond:
            self._armed[peer_port] = script

    def accepted(self, sock: FaultSock, addr: SockAddr) -> None:
        port = int(addr[1]) if len(addr) >= 2 else -1
        with self._cond:
            script = self._armed.pop(port, None)
            if script is not None:
                script(sock)
            self.by_peer_port[port] = sock
            self._cond.notify_all()

    def node_side(self, peer_port: int, timeout: float = 10.0) -> FaultSock:
        """The node's side of the connection from ``peer_port``, once accepted (a strong
        reference: drop it before expecting the node to close the descriptor)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                sock = self.by_peer_port.get(peer_port)
                if sock is not None:
                    return sock
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no connection from port {peer_port} was accepted")
                self._cond.wait(remaining)

    def listeners(self) -> list[FaultSock]:
        """The sockets the node listens on (those it created, bound and got a name for)."""
        with self._cond:
            made = list(self.created)
        return [s for s in made if s.m_socket is not None and _is_listening(s)]


def _is_listening(sock: FaultSock) -> bool:
    accepting = sock.GetSockOpt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
    return bool(accepting)


# ---------------------------------------------------------------------------------------------
# A minimal v1 peer on a real socket.

#: The protocol version the peer announces (upstream's PROTOCOL_VERSION).
PEER_PROTOCOL_VERSION: Final = 70016


class PeerClosedError(ConnectionError):
    """The node closed the connection (EOF or reset) while the peer waited for a message."""


class LoopbackPeer:
    """A P2P peer speaking v1 to the node over a real loopback socket: connect, handshake,
    ping/pong. Every frame it reads has its magic and checksum checked."""

    __slots__ = ("_buf", "port", "received", "sock")

    sock: socket.socket
    #: The local port, which the node sees as the peer's port.
    port: int
    #: Every message read so far, in order.
    received: list[tuple[str, bytes]]
    _buf: bytearray

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.port = int(sock.getsockname()[1])
        self.received = []
        self._buf = bytearray()

    @classmethod
    def bound(cls) -> LoopbackPeer:
        """A peer with its local port chosen but not connected yet (so faults can be armed for
        its port before the node accepts it)."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        return cls(s)

    @classmethod
    def connect(cls, node_port: int, timeout: float = 10.0) -> LoopbackPeer:
        peer = cls.bound()
        peer.connect_to(node_port, timeout)
        return peer

    def connect_to(self, node_port: int, timeout: float = 10.0) -> None:
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", node_port))

    def close(self) -> None:
        self.sock.close()

    def reset(self) -> None:
        """Close with an RST instead of a FIN (SO_LINGER with a zero timeout)."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
        self.sock.close()

    def send_msg(self, msg_type: str, payload: bytes = b"") -> None:
        self.sock.sendall(frame(msg_type, payload))

    def recv_msg(self, timeout: float = 10.0) -> tuple[str, bytes]:
        """The next whole message; PeerClosedError on EOF or reset, TimeoutError on timeout."""
        deadline = time.monotonic() + timeout
        hdr_size = CMessageHeader.HEADER_SIZE
        while True:
            if len(self._buf) >= hdr_size:
                hdr = CMessageHeader.deserialize(DataStream(bytes(self._buf[:hdr_size])))
                assert hdr.pchMessageStart == Params().MessageStart(), "wrong magic from the node"
                total = hdr_size + hdr.nMessageSize
                if len(self._buf) >= total:
                    payload = bytes(self._buf[hdr_size:total])
                    del self._buf[:total]
                    checksum = hash256(payload)[: CMessageHeader.CHECKSUM_SIZE]
                    assert checksum == hdr.pchChecksum, f"bad checksum on {hdr.GetMessageType()}"
                    msg = (hdr.GetMessageType(), payload)
                    self.received.append(msg)
                    return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no message from the node")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionError as e:
                raise PeerClosedError(str(e)) from e
            if not chunk:
                raise PeerClosedError("EOF")
            self._buf += chunk

    def unread(self) -> bytes:
        """Bytes read from the socket that do not make a whole message (yet)."""
        return bytes(self._buf)

    def wait_for(self, msg_type: str, timeout: float = 10.0) -> bytes:
        """Read until a message of ``msg_type`` arrives; its payload."""
        deadline = time.monotonic() + timeout
        while True:
            got_type, payload = self.recv_msg(max(deadline - time.monotonic(), 0.001))
            if got_type == msg_type:
                return payload

    def handshake(self, timeout: float = 10.0) -> None:
        """Send version, read the node's version and verack, answer with verack."""
        self.send_msg(NetMsgType.VERSION, self._version())
        self.wait_for(NetMsgType.VERSION, timeout)
        self.wait_for(NetMsgType.VERACK, timeout)
        self.send_msg(NetMsgType.VERACK)

    def answer_handshake(self, timeout: float = 10.0) -> None:
        """The other side of :meth:`handshake`, for a connection the node made: read its
        version, send version and verack, read its verack."""
        self.wait_for(NetMsgType.VERSION, timeout)
        self.send_msg(NetMsgType.VERSION, self._version())
        self.send_msg(NetMsgType.VERACK)
        self.wait_for(NetMsgType.VERACK, timeout)

    def _version(self) -> bytes:
        version = msg_version(
            nVersion=PEER_PROTOCOL_VERSION,
            nServices=NODE_NETWORK | NODE_WITNESS,
            nTime=int(time.time()),
            addrTo=CAddress(),
            addrFrom=CAddress(),
            nNonce=int.from_bytes(hash256(self.port.to_bytes(4, "little"))[:8], "little"),
            strSubVer="/loopbackpeer:0.1/",
            nStartingHeight=0,
            relay=True,
        )
        return version.serialize()

    def ping_pong(self, nonce: int, timeout: float = 10.0) -> None:
        """Ping and wait for the pong carrying ``nonce``."""
        self.send_msg(NetMsgType.PING, msg_ping(nonce).serialize())
        deadline = time.monotonic() + timeout
        while True:
            payload = self.wait_for(NetMsgType.PONG, max(deadline - time.monotonic(), 0.001))
            if payload == nonce.to_bytes(8, "little"):
                return

    def wait_closed(self, timeout: float = 10.0) -> None:
        """Read (and drop) messages until the node closes the connection."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.recv_msg(max(deadline - time.monotonic(), 0.001))
            except PeerClosedError:
                return


def frame(msg_type: str, payload: bytes) -> bytes:
    """A v1 message of ``msg_type`` with the network's magic and the payload's checksum."""
    hdr = CMessageHeader(
        Params().MessageStart(),
        msg_type,
        len(payload),
        hash256(payload)[: CMessageHeader.CHECKSUM_SIZE],
    )
    return hdr.serialize() + payload
