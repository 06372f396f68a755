"""Sockets behind a seam tests can replace (src/util/sock.{h,cpp}, the socket parts of
src/netbase.{h,cpp}, and the fakes of src/test/util/net.{h,cpp}).

Error convention, one for every Sock method: what upstream returns as ``-1``/``SOCKET_ERROR`` with
``errno`` set stays a sentinel here, and the error number is read with :func:`WSAGetLastError`,
a per-thread value as ``errno`` is. Where upstream fills an out-parameter, Python returns the
value instead, with ``None`` for failure:

- ``Send(data, flags) -> int``: bytes sent, or ``SOCKET_ERROR`` (-1).
- ``Recv(length, flags) -> bytes | None``: the bytes read (``b""`` is an orderly shutdown,
  upstream's 0), or ``None`` (upstream's -1).
- ``Connect/Bind/Listen/SetSockOpt -> int``: 0, or ``SOCKET_ERROR``.
- ``Accept() -> (Sock, SockAddr) | None``, ``GetSockOpt(level, name) -> int | None``,
  ``GetSockName() -> SockAddr | None``, ``Wait(timeout, requested) -> Event | None`` (0 on timeout).

Socket addresses are Python's own tuples: ``(host, port)`` for IPv4, ``(host, port, flowinfo,
scope_id)`` for IPv6, and ``()`` for a zeroed ``sockaddr`` of family ``AF_UNSPEC``. Durations are
ints in milliseconds, upstream's ``std::chrono::milliseconds``.

A Sock owns its descriptor and closes it when the last reference goes (upstream's destructor; a
CNode holds it as ``std::shared_ptr<Sock>`` for the same reason): ``m_sock = None`` disconnects.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, IntFlag
from typing import Any, ClassVar, Final, Protocol

from .chainparams import Params
from .clock import NodeClock
from .hash import hash256
from .logging import BCLog, LogDebug, LogPrintf, LogPrintLevel
from .netaddress import CService
from .protocol import CMessageHeader
from .serialize import MAX_SIZE, DataStream

#: A socket address as Python's socket module spells it; ``()`` is ``AF_UNSPEC``.
SockAddr = tuple[Any, ...]

# compat/compat.h: the WSA* names upstream uses on every platform.
SOCKET_ERROR: Final = -1
WSAEINVAL: Final = errno.EINVAL
WSAEWOULDBLOCK: Final = errno.EWOULDBLOCK
WSAEAGAIN: Final = errno.EAGAIN
WSAEMSGSIZE: Final = errno.EMSGSIZE
WSAEINTR: Final = errno.EINTR
WSAEINPROGRESS: Final = errno.EINPROGRESS
WSAEADDRINUSE: Final = errno.EADDRINUSE
# Flags that some platforms lack are 0 there, as compat.h defines them.
MSG_NOSIGNAL: Final[int] = getattr(socket, "MSG_NOSIGNAL", 0)
MSG_DONTWAIT: Final[int] = getattr(socket, "MSG_DONTWAIT", 0)
MSG_MORE: Final[int] = getattr(socket, "MSG_MORE", 0)
MSG_PEEK: Final[int] = socket.MSG_PEEK

#: Longest single wait for I/O readiness, milliseconds; also how late an interrupt may be seen.
MAX_WAIT_FOR_IO: Final = 1000

_last_error = threading.local()


def WSAGetLastError() -> int:
    """The error of this thread's last failed socket call (upstream: ``errno``)."""
    err: int = getattr(_last_error, "value", 0)
    return err


def set_last_error(err: int) -> None:
    """Record ``err`` as this thread's last socket error, as a failing system call sets errno."""
    _last_error.value = err


def _fail(e: OSError) -> None:
    set_last_error(e.errno if e.errno is not None else errno.EIO)


def IOErrorIsPermanent(err: int) -> bool:
    return err not in (WSAEAGAIN, WSAEINTR, WSAEWOULDBLOCK, WSAEINPROGRESS)


def NetworkErrorString(err: int) -> str:
    """Readable text for a socket error number, as SysErrorString formats it."""
    try:
        s = os.strerror(err)
    except ValueError:
        return f"Unknown error ({err})"
    return f"{s} ({err})"


class SockEvent(IntFlag):
    """Readiness events (upstream's ``Sock::Event`` bits)."""

    #: Ready to read from (or to accept on) the socket.
    RECV = 0b001
    #: Ready to send on the socket.
    SEND = 0b010
    #: Reported, never requested: an error or hang-up on the socket.
    ERR = 0b100


#: Upstream's ``Sock::Event`` (a ``uint8_t`` of SockEvent bits).
Event = SockEvent

_NO_EVENTS: Final = SockEvent(0)


@dataclass(slots=True)
class Events:
    """What to wait for on one socket in :meth:`Sock.WaitMany`, and what happened."""

    requested: SockEvent
    occurred: SockEvent = _NO_EVENTS


#: Which events to wait for on which socket. Keys compare by identity, which is what upstream's
#: EqualSharedPtrSock (same descriptor) amounts to, since a Sock owns its descriptor.
EventsPerSock = dict["Sock", Events]


class SupportsInterrupt(Protocol):
    """What SendComplete and RecvUntilTerminator need of a CThreadInterrupt: truthy once set."""

    def __bool__(self) -> bool: ...


class Sock:
    """A socket: the OS implementation, and the interface the fakes below override.

    ``m_socket`` is ``None`` where upstream has ``INVALID_SOCKET``. The socket is expected to be
    non-blocking (see :func:`CreateSockOS`); readiness is waited for with poll(2) where the
    platform has it, select(2) otherwise.
    """

    __slots__ = ("m_socket",)

    RECV: ClassVar[SockEvent] = SockEvent.RECV
    SEND: ClassVar[SockEvent] = SockEvent.SEND
    ERR: ClassVar[SockEvent] = SockEvent.ERR

    m_socket: socket.socket | None

    def __init__(self, s: socket.socket | None) -> None:
        """Take ownership of ``s``."""
        self.m_socket = s

    def __del__(self) -> None:
        self.Close()

    def _os_socket(self) -> socket.socket:
        if self.m_socket is None:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        return self.m_socket

    def Send(self, data: bytes | bytearray | memoryview, flags: int = 0) -> int:
        """send(2): bytes sent, or SOCKET_ERROR with :func:`WSAGetLastError` set."""
        try:
            return self._os_socket().send(data, flags)
        except OSError as e:
            _fail(e)
            return SOCKET_ERROR

    def Recv(self, length: int, flags: int = 0) -> bytes | None:
        """recv(2): the bytes read (``b""`` when the peer shut down), or None on error."""
        try:
            return self._os_socket().recv(length, flags)
        except OSError as e:
            _fail(e)
            return None

    def Connect(self, addr: SockAddr) -> int:
        """connect(2); on a non-blocking socket this fails with WSAEINPROGRESS at first."""
        try:
            self._os_socket().connect(addr)
        except OSError as e:
            _fail(e)
            return SOCKET_ERROR
        return 0

    def Bind(self, addr: SockAddr) -> int:
        try:
            self._os_socket().bind(addr)
        except OSError as e:
            _fail(e)
            return SOCKET_ERROR
        return 0

    def Listen(self, backlog: int) -> int:
        try:
            self._os_socket().listen(backlog)
        except OSError as e:
            _fail(e)
            return SOCKET_ERROR
        return 0

    def Accept(self) -> tuple[Sock, SockAddr] | None:
        """accept(2): the new connection and the peer's address, or None with the error set.

        Upstream returns the Sock and writes the address through an out-parameter.
        """
        try:
            s, addr = self._os_socket().accept()
        except OSError as e:
            _fail(e)
            return None
        return Sock(s), tuple(addr)

    def GetSockOpt(self, level: int, opt_name: int) -> int | None:
        """getsockopt(2) of an integer option: its value, or None with the error set."""
        try:
            return self._os_socket().getsockopt(level, opt_name)
        except OSError as e:
            _fail(e)
            return None

    def SetSockOpt(self, level: int, opt_name: int, opt_val: int | bytes) -> int:
        try:
            self._os_socket().setsockopt(level, opt_name, opt_val)
        except OSError as e:
            _fail(e)
            return SOCKET_ERROR
        return 0

    def GetSockName(self) -> SockAddr | None:
        """getsockname(2): the local address, or None with the error set."""
        try:
            name = self._os_socket().getsockname()
        except OSError as e:
            _fail(e)
            return None
        return tuple(name) if isinstance(name, tuple) else ()

    def SetNonBlocking(self) -> bool:
        try:
            self._os_socket().setblocking(False)
        except OSError as e:
            _fail(e)
            return False
        return True

    def IsSelectable(self) -> bool:
        """Always true: poll(2) has no FD_SETSIZE limit, nor has the select fallback in Python."""
        return True

    def Wait(self, timeout: int, requested: SockEvent) -> SockEvent | None:
        """Wait up to ``timeout`` milliseconds for one of ``requested``.

        Returns the events that occurred (ERR may be added unrequested; 0 means the wait timed
        out), or None if waiting itself failed. Upstream returns a bool and an out-parameter.
        """
        events_per_sock: EventsPerSock = {self: Events(requested)}
        if not self.WaitMany(timeout, events_per_sock):
            return None
        return events_per_sock[self].occurred

    def WaitMany(self, timeout: int, events_per_sock: EventsPerSock) -> bool:
        """Wait up to ``timeout`` milliseconds on all of ``events_per_sock`` at once.

        Sets every entry's ``occurred`` (all 0 after a timeout). False if the wait failed.
        A Sock without a descriptor is left out of the wait and reports nothing.
        """
        fds: dict[int, Events] = {}
        for sock, events in events_per_sock.items():
            events.occurred = _NO_EVENTS
            fd = sock.m_socket.fileno() if sock.m_socket is not None else -1
            if fd >= 0:
                fds[fd] = events
        try:
            if hasattr(select, "poll"):
                self._wait_poll(timeout, fds)
            else:  # pragma: no cover - platforms without poll(2)
                self._wait_select(timeout, fds)
        except OSError as e:
            _fail(e)
            return False
        return True

    @staticmethod
    def _wait_poll(timeout: int, fds: dict[int, Events]) -> None:
        poller = select.poll()
        for fd, events in fds.items():
            mask = 0
            if events.requested & SockEvent.RECV:
                mask |= select.POLLIN
            if events.requested & SockEvent.SEND:
                mask |= select.POLLOUT
            poller.register(fd, mask)
        for fd, revents in poller.poll(max(timeout, 0)):
            events = fds[fd]
            if revents & select.POLLIN:
                events.occurred |= SockEvent.RECV
            if revents & select.POLLOUT:
                events.occurred |= SockEvent.SEND
            if revents & (select.POLLERR | select.POLLHUP):
                events.occurred |= SockEvent.ERR

    @staticmethod
    def _wait_select(timeout: int, fds: dict[int, Events]) -> None:  # pragma: no cover
        recv = [fd for fd, ev in fds.items() if ev.requested & SockEvent.RECV]
        send = [fd for fd, ev in fds.items() if ev.requested & SockEvent.SEND]
        r, w, x = select.select(recv, send, list(fds), max(timeout, 0) / 1000)
        for fd in r:
            fds[fd].occurred |= SockEvent.RECV
        for fd in w:
            fds[fd].occurred |= SockEvent.SEND
        for fd in x:
            fds[fd].occurred |= SockEvent.ERR

    # Higher level, convenience methods. These raise RuntimeError (upstream's
    # std::runtime_error) when the operation cannot be completed.

    def SendComplete(
        self, data: bytes | bytearray | memoryview, timeout: int, interrupt: SupportsInterrupt
    ) -> None:
        """Send all of ``data`` within ``timeout`` milliseconds (mockable clock), retrying on
        transient errors. On failure some of the data may have been sent."""
        data = memoryview(bytes(data))
        deadline = NodeClock.now() // 1000 + timeout
        sent = 0
        while True:
            ret = self.Send(data[sent:], MSG_NOSIGNAL)
            if ret > 0:
                sent += ret
                if sent == len(data):
                    break
            else:
                err = WSAGetLastError()
                if IOErrorIsPermanent(err):
                    raise RuntimeError(f"send(): {NetworkErrorString(err)}")
            now = NodeClock.now() // 1000
            if now >= deadline:
                raise RuntimeError(
                    f"Send timeout (sent only {sent} of {len(data)} bytes before that)"
                )
            if interrupt:
                raise RuntimeError(
                    f"Send interrupted (sent only {sent} of {len(data)} bytes before that)"
                )
            # Pause briefly, or until the socket can take more, before retrying.
            self.Wait(min(deadline - now, MAX_WAIT_FOR_IO), SockEvent.SEND)

    def RecvUntilTerminator(
        self, terminator: int, timeout: int, interrupt: SupportsInterrupt, max_data: int
    ) -> bytes:
        """Read up to the byte ``terminator`` and return what came before it.

        Never consumes anything past the terminator: each round peeks and then reads only up to
        it, which is far faster than reading byte by byte. ``timeout`` is in milliseconds.
        Upstream returns the raw bytes in a ``std::string``.
        """
        deadline = NodeClock.now() // 1000 + timeout
        data = bytearray()
        while True:
            if len(data) >= max_data:
                raise RuntimeError(f"Received too many bytes without a terminator ({len(data)})")
            peek = self.Recv(min(512, max_data - len(data)), MSG_PEEK)
            if peek is None:
                err = WSAGetLastError()
                if IOErrorIsPermanent(err):
                    raise RuntimeError(f"recv(): {NetworkErrorString(err)}")
            elif not peek:
                raise RuntimeError("Connection unexpectedly closed by peer")
            else:
                pos = peek.find(bytes((terminator,)))
                terminator_found = pos != -1
                try_len = pos + 1 if terminator_found else len(peek)
                got = self.Recv(try_len, 0)
                if got is None or len(got) != try_len:
                    read_ret = SOCKET_ERROR if got is None else len(got)
                    raise RuntimeError(
                        f"recv() returned {read_ret} bytes on attempt to read {try_len} bytes but "
                        f"previous peek claimed {len(peek)} bytes are available"
                    )
                if terminator_found:
                    data += got[:-1]
                    return bytes(data)
                data += got
            now = NodeClock.now() // 1000
            if now >= deadline:
                raise RuntimeError(
                    f"Receive timeout (received {len(data)} bytes without terminator before that)"
                )
            if interrupt:
                raise RuntimeError(
                    f"Receive interrupted (received {len(data)} bytes without terminator "
                    "before that)"
                )
            self.Wait(min(deadline - now, MAX_WAIT_FOR_IO), SockEvent.RECV)

    def IsConnected(self) -> tuple[bool, str]:
        """Whether the peer is still there, and if not why: upstream's bool plus ``errmsg``."""
        if self.m_socket is None:
            return False, "not connected"
        return self._peek_connected()

    def _peek_connected(self) -> tuple[bool, str]:
        ret = self.Recv(1, MSG_PEEK)
        if ret is None:
            err = WSAGetLastError()
            if IOErrorIsPermanent(err):
                return False, NetworkErrorString(err)
            return True, ""
        if not ret:
            return False, "closed"
        return True, ""

    def Close(self) -> None:
        """Close the descriptor, if any (upstream's private Close(), run by the destructor)."""
        s: socket.socket | None = getattr(self, "m_socket", None)  # None if __init__ never ran
        if s is None:
            return
        self.m_socket = None
        fd = s.fileno()
        try:
            s.close()
        except OSError as e:
            LogPrintf(
                "Error closing socket %d: %s\n",
                fd,
                NetworkErrorString(e.errno if e.errno is not None else errno.EIO),
            )


# ---------------------------------------------------------------------------------------------
# netbase: the socket factory and direct connections.


def CreateSockOS(domain: int, type: int, protocol: int) -> Sock | None:
    """A new non-blocking OS socket set up as the node wants it, or None (error in
    :func:`WSAGetLastError` when the socket call failed)."""
    if domain == socket.AF_UNSPEC:  # not IPv4, IPv6 or UNIX
        return None
    try:
        s = socket.socket(domain, type, protocol)
    except OSError as e:
        _fail(e)
        return None
    sock = Sock(s)

    if domain not in (socket.AF_INET, socket.AF_INET6, getattr(socket, "AF_UNIX", -1)):
        return sock

    if not sock.IsSelectable():
        LogPrintf("Cannot create connection: non-selectable socket created (fd >= FD_SETSIZE ?)\n")
        return None

    so_nosigpipe: int | None = getattr(socket, "SO_NOSIGPIPE", None)
    if so_nosigpipe is not None and (
        sock.SetSockOpt(socket.SOL_SOCKET, so_nosigpipe, 1) == SOCKET_ERROR
    ):
        LogPrintf(
            "Error setting SO_NOSIGPIPE on socket: %s, continuing anyway\n",
            NetworkErrorString(WSAGetLastError()),
        )

    if not sock.SetNonBlocking():
        LogPrintf(
            "Error setting socket to non-blocking: %s\n", NetworkErrorString(WSAGetLastError())
        )
        return None

    if domain == getattr(socket, "AF_UNIX", -1):
        return sock

    if protocol == socket.IPPROTO_TCP and (
        sock.SetSockOpt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) == SOCKET_ERROR
    ):
        LogDebug(
            BCLog.NET, "Unable to set TCP_NODELAY on a newly created socket, continuing anyway\n"
        )

    return sock


#: The socket factory (upstream's ``std::function`` global ``CreateSock``). Tests replace it with
#: one returning fakes; callers must look it up at call time (``common.sock.CreateSock(...)``),
#: never bind it with ``from common.sock import CreateSock``.
CreateSock: Callable[[int, int, int], Sock | None] = CreateSockOS


def _LogConnectFailure(manual_connection: bool, fmt: str, *args: object) -> None:
    """Failures of connections the user asked for are always logged; others only with -debug=net."""
    if manual_connection:
        LogPrintf(fmt + "\n", *args)
    else:
        LogDebug(BCLog.NET, fmt + "\n", *args)


def ConnectToSocket(
    sock: Sock,
    sockaddr: SockAddr,
    dest_str: str,
    manual_connection: bool,
    timeout: int | None = None,
) -> bool:
    """Connect ``sock`` to ``sockaddr``, waiting up to ``timeout`` milliseconds (default
    ``common.netbase.nConnectTimeout``, read at call time) for a non-blocking connect to finish."""
    from . import netbase  # netbase may come to import this module

    if timeout is None:
        timeout = netbase.nConnectTimeout
    if sock.Connect(sockaddr) == SOCKET_ERROR:
        nErr = WSAGetLastError()
        if nErr in (WSAEINPROGRESS, WSAEWOULDBLOCK, WSAEINVAL):
            # Still being established: wait for it, then read its outcome from SO_ERROR.
            requested = SockEvent.RECV | SockEvent.SEND
            occurred = sock.Wait(timeout, requested)
            if occurred is None:
                LogPrintf(
                    "wait for connect to %s failed: %s\n",
                    dest_str,
                    NetworkErrorString(WSAGetLastError()),
                )
                return False
            if occurred == 0:
                LogPrintLevel(
                    BCLog.NET,
                    BCLog.Level.Debug,
                    "connection attempt to %s timed out\n",
                    dest_str,
                )
                return False
            sockerr = sock.GetSockOpt(socket.SOL_SOCKET, socket.SO_ERROR)
            if sockerr is None:
                LogPrintf(
                    "getsockopt() for %s failed: %s\n",
                    dest_str,
                    NetworkErrorString(WSAGetLastError()),
                )
                return False
            if sockerr != 0:
                _LogConnectFailure(
                    manual_connection,
                    "connect() to %s failed after wait: %s",
                    dest_str,
                    NetworkErrorString(sockerr),
                )
                return False
        else:
            _LogConnectFailure(
                manual_connection,
                "connect() to %s failed: %s",
                dest_str,
                NetworkErrorString(WSAGetLastError()),
            )
            return False
    return True


def ConnectDirectly(dest: CService, manual_connection: bool) -> Sock | None:
    """Open a TCP connection to ``dest`` through :data:`CreateSock`; None if that fails."""
    sock = CreateSock(dest.GetSAFamily(), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if sock is None:
        LogPrintLevel(
            BCLog.NET,
            BCLog.Level.Error,
            "Cannot create a socket for connecting to %s\n",
            dest.ToStringAddrPort(),
        )
        return None
    sockaddr = dest.GetSockAddr()
    if sockaddr is None:
        LogPrintf("Cannot get sockaddr for %s: unsupported network\n", dest.ToStringAddrPort())
        return None
    if not ConnectToSocket(sock, sockaddr, dest.ToStringAddrPort(), manual_connection):
        return None
    return sock


def ConnectSocketDirectly(
    addrConnect: CService, sock: Sock, nTimeout: int, manual_connection: bool
) -> bool:
    """Connect an existing ``sock`` to ``addrConnect`` within ``nTimeout`` milliseconds.

    The pre-v28 form of :func:`ConnectDirectly` (which v30.0 has instead), for callers that
    create the socket themselves.
    """
    sockaddr = addrConnect.GetSockAddr()
    if sockaddr is None:
        LogPrintf(
            "Cannot get sockaddr for %s: unsupported network\n", addrConnect.ToStringAddrPort()
        )
        return False
    return ConnectToSocket(
        sock, sockaddr, addrConnect.ToStringAddrPort(), manual_connection, nTimeout
    )


def sockaddr_from_service(service: CService) -> tuple[int, SockAddr] | None:
    """The address family and Python socket address to reach ``service`` (upstream's
    ``GetSAFamily`` and ``GetSockAddr`` together); None for networks a socket cannot reach."""
    sockaddr = service.GetSockAddr()
    if sockaddr is None:
        return None
    return service.GetSAFamily(), sockaddr


def service_from_sockaddr(sockaddr: SockAddr) -> CService | None:
    """The CService of a Python socket address (upstream's ``CService::SetSockAddr``, the family
    told by the tuple's shape); None for ``()`` and any family but IPv4 and IPv6.
    IPv4-mapped IPv6 addresses become IPv4, as upstream."""
    family = {2: socket.AF_INET, 4: socket.AF_INET6}.get(len(sockaddr), socket.AF_UNSPEC)
    service = CService()
    if not service.SetSockAddr(sockaddr, family):
        return None
    return service


# ---------------------------------------------------------------------------------------------
# Fakes (src/test/util/net.{h,cpp}).


class ZeroSock(Sock):
    """A fake that succeeds at everything: reads yield endless zero bytes, writes are swallowed,
    and every wait reports the requested events at once."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(None)

    def Send(self, data: bytes | bytearray | memoryview, flags: int = 0) -> int:
        return len(data)

    def Recv(self, length: int, flags: int = 0) -> bytes | None:
        return bytes(length)

    def Connect(self, addr: SockAddr) -> int:
        return 0

    def Bind(self, addr: SockAddr) -> int:
        return 0

    def Listen(self, backlog: int) -> int:
        return 0

    def Accept(self) -> tuple[Sock, SockAddr] | None:
        """A new ZeroSock; every such connection pretends to come from 5.5.5.5:6789."""
        return ZeroSock(), ZERO_SOCK_PEER

    def GetSockOpt(self, level: int, opt_name: int) -> int | None:
        return 0

    def SetSockOpt(self, level: int, opt_name: int, opt_val: int | bytes) -> int:
        return 0

    def GetSockName(self) -> SockAddr | None:
        """A zeroed address: family AF_UNSPEC, so the bind address stays unset."""
        return ()

    def SetNonBlocking(self) -> bool:
        return True

    def IsSelectable(self) -> bool:
        return True

    def Wait(self, timeout: int, requested: SockEvent) -> SockEvent | None:
        return requested

    def WaitMany(self, timeout: int, events_per_sock: EventsPerSock) -> bool:
        for events in events_per_sock.values():
            events.occurred = events.requested
        return True

    def IsConnected(self) -> tuple[bool, str]:
        return self._peek_connected()


#: Where ZeroSock.Accept claims its connections come from.
ZERO_SOCK_PEER: Final[SockAddr] = ("5.5.5.5", 6789)


class StaticContentsSock(ZeroSock):
    """A fake whose reads return ``contents`` and then EOF; writes are swallowed."""

    __slots__ = ("m_consumed", "m_contents")

    m_contents: bytes
    m_consumed: int

    def __init__(self, contents: bytes) -> None:
        super().__init__()
        self.m_contents = bytes(contents)
        self.m_consumed = 0

    def Recv(self, length: int, flags: int = 0) -> bytes | None:
        """The next part of the contents (peeking if MSG_PEEK is set), ``b""`` once exhausted."""
        out = self.m_contents[self.m_consumed : self.m_consumed + length]
        if flags & MSG_PEEK == 0:
            self.m_consumed += len(out)
        return out

    def IsConnected(self) -> tuple[bool, str]:
        return True, ""


class SockOp(Enum):
    """The DynSock calls a scripted :class:`SockFault` can hit."""

    SEND = "Send"
    RECV = "Recv"
    ACCEPT = "Accept"
    CONNECT = "Connect"
    WAIT = "WaitMany"


@dataclass(frozen=True, slots=True)
class SockFault:
    """One scripted outcome for the next call of some :class:`SockOp` on a DynSock.

    ``error`` non-zero: the call fails with that error number (Send and Connect return
    SOCKET_ERROR, Recv and Accept None, WaitMany False). Otherwise ``limit`` caps the bytes a
    Send takes or a Recv returns (a partial send; ``limit=0`` on Recv reads as the peer closing).
    """

    error: int = 0
    limit: int | None = None

    @classmethod
    def eagain(cls) -> SockFault:
        """A transient failure: the caller should simply try again later."""
        return cls(error=WSAEAGAIN)

    @classmethod
    def reset(cls) -> SockFault:
        """The peer reset the connection: a permanent failure."""
        return cls(error=errno.ECONNRESET)

    @classmethod
    def partial(cls, limit: int) -> SockFault:
        """Move at most ``limit`` bytes."""
        return cls(limit=limit)


#: V1Transport rejects any header announcing more than this (net.h MAX_PROTOCOL_MESSAGE_LENGTH).
_MAX_PROTOCOL_MESSAGE_LENGTH: Final = 4 * 1000 * 1000


class FaultScript:
    """The scripted outcomes of a socket's next calls, one queue per operation: what DynSock
    and the tests' fault-injecting wrappers of real sockets consume, one fault per call."""

    __slots__ = ("_faults", "_lock")

    _faults: dict[SockOp, deque[SockFault]]
    _lock: threading.Lock

    def __init__(self) -> None:
        self._faults = {op: deque() for op in SockOp}
        self._lock = threading.Lock()

    def inject(self, op: SockOp, *faults: SockFault) -> None:
        with self._lock:
            self._faults[op].extend(faults)

    def clear(self) -> None:
        with self._lock:
            for q in self._faults.values():
                q.clear()

    def next(self, op: SockOp) -> SockFault | None:
        """The fault for this call of ``op``, or None to behave normally."""
        with self._lock:
            q = self._faults[op]
            return q.popleft() if q else None

    def pending(self, op: SockOp) -> int:
        with self._lock:
            return len(self._faults[op])


class DynSock(ZeroSock):
    """A fake whose reads come from, and whose writes go to, in-memory pipes the test holds.

    The test pushes bytes into ``pipes.recv`` (what the node will read) and reads from
    ``pipes.send`` (what the node wrote); Accept hands out the DynSocks queued in
    ``accept_sockets``. On top of upstream's fake, faults can be scripted per call with
    :meth:`inject_fault`.
    """

    class Pipe:
        """A one-way, thread-safe byte FIFO."""

        __slots__ = ("m_cond", "m_data", "m_eof")

        m_cond: threading.Condition
        m_data: bytearray
        m_eof: bool

        def __init__(self) -> None:
            self.m_cond = threading.Condition(threading.RLock())
            self.m_data = bytearray()
            self.m_eof = False

        def GetBytes(self, length: int, flags: int = 0) -> bytes | None:
            """Take up to ``length`` bytes (only peek with MSG_PEEK). ``b""`` after :meth:`Eof`
            once drained; None with WSAEAGAIN set when empty, as a non-blocking recv(2)."""
            with self.m_cond:
                if not self.m_data:
                    if self.m_eof:
                        return b""
                    set_last_error(WSAEAGAIN)
                    return None
                out = bytes(self.m_data[:length])
                if flags & MSG_PEEK == 0:
                    del self.m_data[:length]
                return out

        def GetNetMsg(self, timeout: int | None = None) -> tuple[str, bytes] | None:
            """Take one v1 message: its type and payload.

            Waits until the whole message is there (or at most ``timeout`` milliseconds, an
            addition). None on EOF, timeout, or anything V1Transport would refuse: wrong magic,
            oversized, bad checksum or invalid type. Upstream returns a CNetMessage, which lives
            in net; a type and payload is what tests look at.
            """
            magic = Params().MessageStart()
            hdr_size = CMessageHeader.HEADER_SIZE
            deadline = None if timeout is None else time.monotonic() + timeout / 1000
            with self.m_cond:
                if not self._wait_for(hdr_size, deadline):
                    return None
                hdr = CMessageHeader.deserialize(DataStream(self.m_data[:hdr_size]))
                if hdr.pchMessageStart != magic:
                    return None
                if hdr.nMessageSize > MAX_SIZE or hdr.nMessageSize > _MAX_PROTOCOL_MESSAGE_LENGTH:
                    return None
                total = hdr_size + hdr.nMessageSize
                if not self._wait_for(total, deadline):
                    return None
                payload = bytes(self.m_data[hdr_size:total])
                del self.m_data[:total]
            if hash256(payload)[: CMessageHeader.CHECKSUM_SIZE] != hdr.pchChecksum:
                return None
            if not hdr.IsMessageTypeValid():
                return None
            return hdr.GetMessageType(), payload

        def _wait_for(self, n: int, deadline: float | None) -> bool:
            """With the lock held: wait until ``n`` bytes are buffered; False on EOF/timeout."""
            while len(self.m_data) < n:
                if self.m_eof:
                    return False
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self.m_cond.wait(remaining)
            return True

        def PushBytes(self, data: bytes | bytearray | memoryview) -> None:
            with self.m_cond:
                self.m_data += data
                self.m_cond.notify_all()

        def PushNetMsg(self, msg_type: str, payload: bytes = b"") -> None:
            """Frame ``payload`` as a v1 message of ``msg_type`` (network magic from Params())
            and push it. Upstream serializes its arguments itself; here the payload comes
            serialized (``msg_ping(1).serialize()``)."""
            hdr = CMessageHeader(
                Params().MessageStart(),
                msg_type,
                len(payload),
                hash256(payload)[: CMessageHeader.CHECKSUM_SIZE],
            )
            self.PushBytes(hdr.serialize() + payload)

        def Eof(self) -> None:
            """Signal end-of-file to the reading side."""
            with self.m_cond:
                self.m_eof = True
                self.m_cond.notify_all()

    class Pipes:
        """The two directions of one fake connection, seen from the node."""

        __slots__ = ("recv", "send")

        recv: DynSock.Pipe
        send: DynSock.Pipe

        def __init__(self) -> None:
            self.recv = DynSock.Pipe()
            self.send = DynSock.Pipe()

    class Queue:
        """A thread-safe FIFO of sockets for Accept to hand out."""

        __slots__ = ("m_mutex", "m_queue")

        m_mutex: threading.Lock
        m_queue: deque[DynSock]

        def __init__(self) -> None:
            self.m_mutex = threading.Lock()
            self.m_queue = deque()

        def Push(self, s: DynSock) -> None:
            with self.m_mutex:
                self.m_queue.append(s)

        def Pop(self) -> DynSock | None:
            with self.m_mutex:
                return self.m_queue.popleft() if self.m_queue else None

        def Empty(self) -> bool:
            with self.m_mutex:
                return not self.m_queue

    __slots__ = ("m_accept_sockets", "m_faults", "m_pipes")

    m_pipes: DynSock.Pipes
    m_accept_sockets: DynSock.Queue
    m_faults: FaultScript

    def __init__(
        self, pipes: DynSock.Pipes | None = None, accept_sockets: DynSock.Queue | None = None
    ) -> None:
        """Upstream requires both (as shared_ptrs); by default each gets a fresh one."""
        super().__init__()
        self.m_pipes = pipes if pipes is not None else DynSock.Pipes()
        self.m_accept_sockets = accept_sockets if accept_sockets is not None else DynSock.Queue()
        self.m_faults = FaultScript()

    def Close(self) -> None:
        """Signal EOF to whoever reads what this socket sent (upstream's destructor)."""
        # __del__ may run on an object whose __init__ failed early.
        pipes: DynSock.Pipes | None = getattr(self, "m_pipes", None)
        if pipes is not None:
            pipes.send.Eof()

    def inject_fault(self, op: SockOp, *faults: SockFault) -> None:
        """Script the outcomes of the next calls of ``op``, one fault per call, in order.

        Every Recv consumes one, MSG_PEEK or not; Wait goes through WaitMany. A socket with a
        pending Recv or Accept fault reports RECV readiness, so the node gets to hit it.
        """
        self.m_faults.inject(op, *faults)

    def clear_faults(self) -> None:
        self.m_faults.clear()

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
        return self.m_pipes.recv.GetBytes(length, flags)

    def Send(self, data: bytes | bytearray | memoryview, flags: int = 0) -> int:
        fault = self.m_faults.next(SockOp.SEND)
        if fault is not None:
            if fault.error:
                set_last_error(fault.error)
                return SOCKET_ERROR
            if fault.limit is not None:
                data = bytes(data[: fault.limit])
        self.m_pipes.send.PushBytes(data)
        return len(data)

    def Connect(self, addr: SockAddr) -> int:
        fault = self.m_faults.next(SockOp.CONNECT)
        if fault is not None and fault.error:
            set_last_error(fault.error)
            return SOCKET_ERROR
        return 0

    def Accept(self) -> tuple[Sock, SockAddr] | None:
        """The next queued DynSock (from 5.5.5.5:6789, as ZeroSock), or None with WSAEAGAIN set
        when none is queued, as a non-blocking accept(2) (upstream leaves errno untouched)."""
        fault = self.m_faults.next(SockOp.ACCEPT)
        if fault is not None and fault.error:
            set_last_error(fault.error)
            return None
        s = self.m_accept_sockets.Pop()
        if s is None:
            set_last_error(WSAEAGAIN)
            return None
        return s, ZERO_SOCK_PEER

    def Wait(self, timeout: int, requested: SockEvent) -> SockEvent | None:
        return Sock.Wait(self, timeout, requested)

    def WaitMany(self, timeout: int, events_per_sock: EventsPerSock) -> bool:
        """Poll the pipes every 10 ms until something is ready or ``timeout`` ms have passed.

        SEND is always ready. RECV is ready when the recv pipe holds data or has seen EOF (a real
        socket is readable at EOF; upstream's fake ignores EOF here), when a socket is queued
        for Accept, or when a Recv/Accept fault is pending. Other Sock kinds in the map are
        treated as ZeroSocks: ready for whatever they requested.
        """
        fault = self.m_faults.next(SockOp.WAIT)
        if fault is not None and fault.error:
            set_last_error(fault.error)
            return False
        deadline = time.monotonic() + timeout / 1000
        while True:
            at_least_one_event_occurred = False
            for sock, events in events_per_sock.items():
                if not isinstance(sock, DynSock):
                    events.occurred |= events.requested
                    at_least_one_event_occurred = at_least_one_event_occurred or bool(
                        events.requested
                    )
                    continue
                if events.requested & SockEvent.SEND:
                    events.occurred |= SockEvent.SEND
                    at_least_one_event_occurred = True
                if events.requested & SockEvent.RECV and sock._readable():
                    events.occurred |= SockEvent.RECV
                    at_least_one_event_occurred = True
            if at_least_one_event_occurred or time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        return True

    def _readable(self) -> bool:
        recv = self.m_pipes.recv
        with recv.m_cond:
            if recv.m_data or recv.m_eof:
                return True
        return (
            not self.m_accept_sockets.Empty()
            or self.m_faults.pending(SockOp.RECV) > 0
            or self.m_faults.pending(SockOp.ACCEPT) > 0
        )
