"""The peer's end of a connection, as a fake :class:`~common.sock.Sock`.

The node reads what the scenario made the peer send and writes into a buffer the driver
collects; nothing touches the operating system. Readiness is what a poll(2) would report:
readable when bytes (or end-of-file) are waiting, writable unless the peer's receive window
is full.
"""

from __future__ import annotations

from common.sock import (
    MSG_PEEK,
    WSAEWOULDBLOCK,
    EventsPerSock,
    SockEvent,
    ZeroSock,
    set_last_error,
)


class ScriptedSock(ZeroSock):
    __slots__ = ("closed", "eof", "inbox", "window", "written")

    #: Bytes the peer sent that the node has not read yet.
    inbox: bytearray
    #: Everything the node wrote, in order.
    written: bytearray
    #: The peer closed its end: once ``inbox`` is drained, reads return end-of-file.
    eof: bool
    #: The node closed its end.
    closed: bool
    #: How many more bytes the peer's receive buffer takes: None for a peer that reads
    #: everything at once, 0 for one that has stopped reading (sends would block).
    window: int | None

    def __init__(self) -> None:
        super().__init__()
        self.inbox = bytearray()
        self.written = bytearray()
        self.eof = False
        self.closed = False
        self.window = None

    def Send(self, data: bytes | bytearray | memoryview, flags: int = 0) -> int:
        n = len(data) if self.window is None else min(len(data), self.window)
        if n == 0 and len(data) > 0:
            set_last_error(WSAEWOULDBLOCK)
            return -1
        self.written += data[:n]
        if self.window is not None:
            self.window -= n
        return n

    def Recv(self, length: int, flags: int = 0) -> bytes | None:
        if self.inbox:
            out = bytes(self.inbox[:length])
            if not flags & MSG_PEEK:
                del self.inbox[:length]
            return out
        if self.eof:
            return b""
        set_last_error(WSAEWOULDBLOCK)
        return None

    def readable(self) -> bool:
        return bool(self.inbox) or self.eof

    def Wait(self, timeout: int, requested: SockEvent) -> SockEvent | None:
        occurred = requested & SockEvent.SEND if self.window != 0 else SockEvent(0)
        if requested & SockEvent.RECV and self.readable():
            occurred |= SockEvent.RECV
        return occurred

    def WaitMany(self, timeout: int, events_per_sock: EventsPerSock) -> bool:
        for sock, events in events_per_sock.items():
            if isinstance(sock, ScriptedSock):
                result = sock.Wait(timeout, events.requested)
                events.occurred = result if result is not None else SockEvent(0)
            else:
                events.occurred = SockEvent(0)
        return True

    def Close(self) -> None:
        self.closed = True

    def IsConnected(self) -> tuple[bool, str]:
        if self.closed or self.eof:
            return False, "closed"
        return True, ""
