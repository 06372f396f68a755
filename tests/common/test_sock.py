"""Sock over real loopback sockets, the fakes of test/util/net.h, and DynSock fault injection."""

from __future__ import annotations

import errno
import os
import re
import socket
import threading
from collections.abc import Iterator

import pytest

import common.sock
from common.chainparams import Params
from common.hash import hash256
from common.logging import LogInstance
from common.netaddress import CService
from common.netbase import LookupNumeric
from common.sock import (
    MSG_PEEK,
    SOCKET_ERROR,
    WSAEAGAIN,
    ConnectDirectly,
    ConnectSocketDirectly,
    CreateSockOS,
    DynSock,
    Events,
    EventsPerSock,
    NetworkErrorString,
    Sock,
    SockEvent,
    SockFault,
    SockOp,
    StaticContentsSock,
    WSAGetLastError,
    ZeroSock,
    service_from_sockaddr,
    set_last_error,
    sockaddr_from_service,
)

WAIT = 2000  # milliseconds: generous bound for loopback readiness


class Interrupt:
    """A CThreadInterrupt stand-in: truthy once triggered."""

    def __init__(self, set_: bool = False) -> None:
        self.flag = set_

    def __bool__(self) -> bool:
        return self.flag


def _service(s: str) -> CService:
    service = LookupNumeric(s, 0)
    assert service.IsValid()
    return service


@pytest.fixture
def listener() -> Iterator[Sock]:
    sock = CreateSockOS(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    assert sock is not None
    assert sock.Bind(("127.0.0.1", 0)) == 0
    assert sock.Listen(8) == 0
    yield sock
    sock.Close()


def _port(sock: Sock) -> int:
    name = sock.GetSockName()
    assert name is not None
    port: int = name[1]
    return port


@pytest.fixture
def pair(listener: Sock) -> Iterator[tuple[Sock, Sock]]:
    """A connected (client, server) pair of real non-blocking loopback Socks."""
    client = ConnectDirectly(_service(f"127.0.0.1:{_port(listener)}"), manual_connection=True)
    assert client is not None
    assert listener.Wait(WAIT, SockEvent.RECV) == SockEvent.RECV
    accepted = listener.Accept()
    assert accepted is not None
    server, _ = accepted
    assert server.SetNonBlocking()
    yield client, server
    client.Close()
    server.Close()


def _recv_exactly(sock: Sock, n: int) -> bytes:
    out = b""
    while len(out) < n:
        assert sock.Wait(WAIT, SockEvent.RECV)
        got = sock.Recv(n - len(out))
        assert got
        out += got
    return out


# --- real sockets ------------------------------------------------------------------------------


def test_create_sock_os_makes_non_blocking_tcp_nodelay_socket() -> None:
    sock = CreateSockOS(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    assert sock is not None and sock.m_socket is not None
    assert sock.m_socket.getblocking() is False
    assert sock.GetSockOpt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    sock.Close()
    assert sock.m_socket is None


def test_create_sock_os_refuses_unspecified_family() -> None:
    assert CreateSockOS(socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP) is None


def test_accept_reports_the_clients_loopback_address(listener: Sock) -> None:
    client = ConnectDirectly(_service(f"127.0.0.1:{_port(listener)}"), manual_connection=False)
    assert client is not None
    assert listener.Wait(WAIT, SockEvent.RECV) == SockEvent.RECV
    accepted = listener.Accept()
    assert accepted is not None
    server, peer = accepted
    client_name = client.GetSockName()
    assert client_name is not None
    assert peer == ("127.0.0.1", client_name[1])
    peer_service = service_from_sockaddr(peer)
    assert peer_service is not None
    assert peer_service.ToStringAddrPort() == f"127.0.0.1:{client_name[1]}"
    server.Close()
    client.Close()


def test_accept_without_pending_connection_fails_with_eagain(listener: Sock) -> None:
    assert listener.SetNonBlocking()
    assert listener.Accept() is None
    assert WSAGetLastError() in (errno.EAGAIN, errno.EWOULDBLOCK)


def test_send_and_recv_round_trip(pair: tuple[Sock, Sock]) -> None:
    client, server = pair
    assert client.Send(b"hello", 0) == 5
    assert _recv_exactly(server, 5) == b"hello"
    assert server.Send(b"world", 0) == 5
    assert _recv_exactly(client, 5) == b"world"


def test_recv_on_empty_socket_fails_with_eagain(pair: tuple[Sock, Sock]) -> None:
    client, _ = pair
    set_last_error(0)
    assert client.Recv(10) is None
    assert WSAGetLastError() in (errno.EAGAIN, errno.EWOULDBLOCK)


def test_wait_times_out_with_no_events(pair: tuple[Sock, Sock]) -> None:
    client, _ = pair
    assert client.Wait(10, SockEvent.RECV) == 0


def test_wait_reports_send_readiness(pair: tuple[Sock, Sock]) -> None:
    client, _ = pair
    assert client.Wait(WAIT, SockEvent.RECV | SockEvent.SEND) == SockEvent.SEND


def test_wait_many_reports_per_socket_events(pair: tuple[Sock, Sock]) -> None:
    client, server = pair
    assert client.Send(b"x", 0) == 1
    events: EventsPerSock = {client: Events(SockEvent.RECV), server: Events(SockEvent.RECV)}
    assert server.Wait(WAIT, SockEvent.RECV) == SockEvent.RECV
    assert client.WaitMany(WAIT, events)
    assert events[client].occurred == 0
    assert events[server].occurred == SockEvent.RECV


def test_peer_close_reads_as_empty_bytes_and_disconnects(pair: tuple[Sock, Sock]) -> None:
    client, server = pair
    assert client.IsConnected() == (True, "")
    server.Close()
    assert client.Wait(WAIT, SockEvent.RECV) is not None
    assert client.Recv(10) == b""
    assert client.IsConnected() == (False, "closed")


def test_closed_sock_is_not_connected_and_fails_with_ebadf() -> None:
    sock = Sock(None)
    assert sock.IsConnected() == (False, "not connected")
    assert sock.Send(b"x", 0) == SOCKET_ERROR
    assert WSAGetLastError() == errno.EBADF


def test_dropping_the_last_reference_closes_the_descriptor() -> None:
    sock = CreateSockOS(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    assert sock is not None and sock.m_socket is not None
    raw = sock.m_socket
    del sock
    assert raw.fileno() == -1


def test_send_complete_and_recv_until_terminator(pair: tuple[Sock, Sock]) -> None:
    client, server = pair
    client.SendComplete(b"first\nsecond\nrest", WAIT, Interrupt())
    assert server.RecvUntilTerminator(ord("\n"), WAIT, Interrupt(), 1000) == b"first"
    assert server.RecvUntilTerminator(ord("\n"), WAIT, Interrupt(), 1000) == b"second"
    # Nothing past a terminator is consumed.
    assert _recv_exactly(server, 4) == b"rest"


def test_recv_until_terminator_times_out(pair: tuple[Sock, Sock]) -> None:
    client, server = pair
    client.SendComplete(b"abc", WAIT, Interrupt())
    with pytest.raises(
        RuntimeError, match=r"^Receive timeout \(received 3 bytes without terminator before that\)$"
    ):
        server.RecvUntilTerminator(ord("\n"), 50, Interrupt(), 1000)


def test_connect_directly_to_closed_port_fails(listener: Sock) -> None:
    port = _port(listener)
    listener.Close()
    assert ConnectDirectly(_service(f"127.0.0.1:{port}"), manual_connection=True) is None


def test_connect_socket_directly_connects_existing_socket(listener: Sock) -> None:
    sock = CreateSockOS(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    assert sock is not None
    target = _service(f"127.0.0.1:{_port(listener)}")
    assert ConnectSocketDirectly(target, sock, WAIT, manual_connection=False)
    assert listener.Wait(WAIT, SockEvent.RECV) == SockEvent.RECV
    sock.Close()


def test_connect_directly_logs_manual_failures(listener: Sock) -> None:
    port = _port(listener)
    listener.Close()
    lines: list[str] = []
    handle = LogInstance().PushBackCallback(lines.append)
    try:
        ConnectDirectly(_service(f"127.0.0.1:{port}"), manual_connection=True)
    finally:
        LogInstance().DeleteCallback(handle)
    refused = NetworkErrorString(errno.ECONNREFUSED)
    expected = [
        f"connect() to 127.0.0.1:{port} failed after wait: {refused}",
        f"connect() to 127.0.0.1:{port} failed: {refused}",
    ]
    assert any(line.rstrip("\n").endswith(tuple(expected)) for line in lines), lines


def test_create_sock_is_a_replaceable_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = DynSock()
    calls: list[tuple[int, int, int]] = []

    def factory(domain: int, type_: int, protocol: int) -> Sock | None:
        calls.append((domain, type_, protocol))
        return fake

    monkeypatch.setattr(common.sock, "CreateSock", factory)
    assert ConnectDirectly(_service("1.2.3.4:8333"), manual_connection=False) is fake
    assert calls == [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)]


def test_connect_directly_refuses_unreachable_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.sock, "CreateSock", lambda d, t, p: DynSock())
    onion = _service("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333")
    assert ConnectDirectly(onion, manual_connection=False) is None


# --- addresses ---------------------------------------------------------------------------------


def test_sockaddr_from_service_ipv4_and_ipv6() -> None:
    assert sockaddr_from_service(_service("1.2.3.4:8333")) == (
        socket.AF_INET,
        ("1.2.3.4", 8333),
    )
    assert sockaddr_from_service(_service("[2a01:4f8::1]:18444")) == (
        socket.AF_INET6,
        ("2a01:4f8::1", 18444, 0, 0),
    )


def test_service_from_sockaddr_maps_ipv4_mapped_ipv6_to_ipv4() -> None:
    service = service_from_sockaddr(("::ffff:1.2.3.4", 8333, 0, 0))
    assert service is not None
    assert service.IsIPv4()
    assert service.ToStringAddrPort() == "1.2.3.4:8333"


def test_service_from_sockaddr_keeps_ipv6_scope_id() -> None:
    service = service_from_sockaddr(("fe80::1%1", 8333, 0, 1))
    assert service is not None
    assert service.IsIPv6()
    assert service.m_scope_id == 1
    assert sockaddr_from_service(service) == (socket.AF_INET6, ("fe80::1", 8333, 0, 1))


def test_service_from_sockaddr_rejects_unspecified_family() -> None:
    assert service_from_sockaddr(()) is None


def test_network_error_string_formats_like_sys_error_string() -> None:
    assert NetworkErrorString(errno.ECONNRESET) == (
        f"{os.strerror(errno.ECONNRESET)} ({errno.ECONNRESET})"
    )


# --- ZeroSock and StaticContentsSock -----------------------------------------------------------


def test_zero_sock_reads_zeros_and_swallows_writes() -> None:
    sock = ZeroSock()
    assert sock.Recv(4) == b"\x00\x00\x00\x00"
    assert sock.Send(b"abc", 0) == 3
    assert sock.Connect(("1.2.3.4", 1)) == 0
    assert sock.GetSockOpt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert sock.GetSockName() == ()
    assert sock.IsConnected() == (True, "")


def test_zero_sock_accepts_from_5_5_5_5() -> None:
    accepted = ZeroSock().Accept()
    assert accepted is not None
    new_sock, addr = accepted
    assert isinstance(new_sock, ZeroSock)
    assert addr == ("5.5.5.5", 6789)


def test_zero_sock_wait_reports_requested_events_at_once() -> None:
    sock = ZeroSock()
    assert sock.Wait(0, SockEvent.RECV | SockEvent.SEND) == SockEvent.RECV | SockEvent.SEND
    other = ZeroSock()
    events: EventsPerSock = {sock: Events(SockEvent.SEND), other: Events(SockEvent.RECV)}
    assert sock.WaitMany(0, events)
    assert (events[sock].occurred, events[other].occurred) == (SockEvent.SEND, SockEvent.RECV)


def test_static_contents_sock_returns_contents_then_eof() -> None:
    sock = StaticContentsSock(b"abcdef")
    assert sock.Recv(4, MSG_PEEK) == b"abcd"
    assert sock.Recv(4) == b"abcd"
    assert sock.Recv(4) == b"ef"
    assert sock.Recv(4) == b""
    assert sock.IsConnected() == (True, "")


def test_recv_until_terminator_over_static_contents() -> None:
    sock = StaticContentsSock(b"HELLO REPLY\nnext")
    assert sock.RecvUntilTerminator(ord("\n"), WAIT, Interrupt(), 100) == b"HELLO REPLY"
    assert sock.Recv(100) == b"next"


def test_recv_until_terminator_errors_match_upstream() -> None:
    with pytest.raises(RuntimeError, match=r"^Connection unexpectedly closed by peer$"):
        StaticContentsSock(b"abc").RecvUntilTerminator(ord("\n"), WAIT, Interrupt(), 100)
    with pytest.raises(RuntimeError, match=r"^Received too many bytes without a terminator \(4\)$"):
        StaticContentsSock(b"abcdefgh").RecvUntilTerminator(ord("\n"), WAIT, Interrupt(), 4)


# --- DynSock -----------------------------------------------------------------------------------


def test_dyn_sock_pipes_carry_bytes_both_ways() -> None:
    pipes = DynSock.Pipes()
    sock = DynSock(pipes)
    pipes.recv.PushBytes(b"from test")
    assert sock.Recv(4, MSG_PEEK) == b"from"
    assert sock.Recv(100) == b"from test"
    assert sock.Send(b"from node", 0) == 9
    assert pipes.send.GetBytes(100) == b"from node"


def test_dyn_sock_recv_on_empty_pipe_fails_with_eagain_then_eof() -> None:
    pipes = DynSock.Pipes()
    sock = DynSock(pipes)
    set_last_error(0)
    assert sock.Recv(10) is None
    assert WSAGetLastError() == WSAEAGAIN
    assert sock.IsConnected() == (True, "")
    pipes.recv.Eof()
    assert sock.Recv(10) == b""
    assert sock.IsConnected() == (False, "closed")


def test_dyn_sock_wait_many_reports_recv_only_with_data_or_eof() -> None:
    pipes = DynSock.Pipes()
    sock = DynSock(pipes)
    assert sock.Wait(0, SockEvent.RECV) == 0
    assert sock.Wait(0, SockEvent.RECV | SockEvent.SEND) == SockEvent.SEND
    pipes.recv.PushBytes(b"x")
    assert sock.Wait(0, SockEvent.RECV) == SockEvent.RECV
    assert sock.Recv(1) == b"x"
    pipes.recv.Eof()
    assert sock.Wait(0, SockEvent.RECV) == SockEvent.RECV


def test_dyn_sock_wait_wakes_when_bytes_arrive_from_another_thread() -> None:
    pipes = DynSock.Pipes()
    sock = DynSock(pipes)
    timer = threading.Timer(0.05, pipes.recv.PushBytes, args=(b"late",))
    timer.start()
    try:
        assert sock.Wait(WAIT, SockEvent.RECV) == SockEvent.RECV
    finally:
        timer.join()
    assert sock.Recv(10) == b"late"


def test_dyn_sock_accept_hands_out_queued_sockets_in_order() -> None:
    queue = DynSock.Queue()
    listen = DynSock(accept_sockets=queue)
    first, second = DynSock(), DynSock()
    assert listen.Wait(0, SockEvent.RECV) == 0
    queue.Push(first)
    queue.Push(second)
    assert listen.Wait(0, SockEvent.RECV) == SockEvent.RECV
    assert listen.Accept() == (first, ("5.5.5.5", 6789))
    assert listen.Accept() == (second, ("5.5.5.5", 6789))
    assert queue.Empty()
    set_last_error(0)
    assert listen.Accept() is None
    assert WSAGetLastError() == WSAEAGAIN


def test_dyn_sock_close_signals_eof_to_the_reader() -> None:
    pipes = DynSock.Pipes()
    sock = DynSock(pipes)
    assert sock.Send(b"bye", 0) == 3
    del sock
    assert pipes.send.GetBytes(10) == b"bye"
    assert pipes.send.GetBytes(10) == b""


def test_dyn_sock_net_msg_round_trip_is_v1_framed() -> None:
    pipe = DynSock.Pipe()
    pipe.PushNetMsg("ping", b"\x01" * 8)
    raw = pipe.GetBytes(100, MSG_PEEK)
    assert raw == (
        Params().MessageStart()
        + b"ping" + b"\x00" * 8
        + (8).to_bytes(4, "little")
        + hash256(b"\x01" * 8)[:4]
        + b"\x01" * 8
    )  # fmt: skip
    assert pipe.GetNetMsg() == ("ping", b"\x01" * 8)
    pipe.PushNetMsg("verack")
    assert pipe.GetNetMsg() == ("verack", b"")
    pipe.Eof()
    assert pipe.GetNetMsg() is None


def test_dyn_sock_get_net_msg_waits_for_the_whole_message() -> None:
    source = DynSock.Pipe()
    source.PushNetMsg("ping", b"\x02" * 8)
    frame = source.GetBytes(100)
    assert frame is not None
    pipe = DynSock.Pipe()
    pipe.PushBytes(frame[:30])
    assert pipe.GetNetMsg(timeout=20) is None  # incomplete, nothing consumed
    timer = threading.Timer(0.05, pipe.PushBytes, args=(frame[30:],))
    timer.start()
    try:
        assert pipe.GetNetMsg(timeout=WAIT) == ("ping", b"\x02" * 8)
    finally:
        timer.join()


def test_dyn_sock_get_net_msg_rejects_what_v1_transport_rejects() -> None:
    good = DynSock.Pipe()
    good.PushNetMsg("ping", b"\x03" * 8)
    frame = good.GetBytes(100)
    assert frame is not None
    bad_magic = b"\x00\x00\x00\x00" + frame[4:]
    bad_checksum = frame[:20] + b"\x00\x00\x00\x00" + frame[24:]
    bad_type = frame[:4] + b"p\x00ng" + frame[8:]
    for data in (bad_magic, bad_checksum, bad_type):
        pipe = DynSock.Pipe()
        pipe.PushBytes(data)
        assert pipe.GetNetMsg(timeout=WAIT) is None


# --- DynSock fault injection -------------------------------------------------------------------


def test_injected_send_faults_apply_in_order_then_stop() -> None:
    pipes = DynSock.Pipes()
    sock = DynSock(pipes)
    sock.inject_fault(SockOp.SEND, SockFault.eagain(), SockFault.partial(2), SockFault.reset())
    assert sock.Send(b"abcdef", 0) == SOCKET_ERROR
    assert WSAGetLastError() == WSAEAGAIN
    assert sock.Send(b"abcdef", 0) == 2
    assert sock.Send(b"cdef", 0) == SOCKET_ERROR
    assert WSAGetLastError() == errno.ECONNRESET
    assert sock.Send(b"cdef", 0) == 4
    assert pipes.send.GetBytes(100) == b"abcdef"


def test_injected_recv_faults_error_limit_and_close() -> None:
    pipes = DynSock.Pipes()
    sock = DynSock(pipes)
    pipes.recv.PushBytes(b"abcdef")
    sock.inject_fault(SockOp.RECV, SockFault.reset(), SockFault.partial(2), SockFault(limit=0))
    assert sock.Recv(100) is None
    assert WSAGetLastError() == errno.ECONNRESET
    assert sock.Recv(100) == b"ab"
    assert sock.Recv(100) == b""
    assert sock.Recv(100) == b"cdef"


def test_pending_recv_fault_makes_the_socket_readable() -> None:
    sock = DynSock()
    assert sock.Wait(0, SockEvent.RECV) == 0
    sock.inject_fault(SockOp.RECV, SockFault.reset())
    assert sock.Wait(0, SockEvent.RECV) == SockEvent.RECV


def test_injected_wait_accept_and_connect_faults() -> None:
    sock = DynSock()
    sock.inject_fault(SockOp.WAIT, SockFault(error=errno.EINTR))
    assert sock.Wait(0, SockEvent.SEND) is None
    assert WSAGetLastError() == errno.EINTR
    assert sock.Wait(0, SockEvent.SEND) == SockEvent.SEND
    sock.inject_fault(SockOp.ACCEPT, SockFault(error=errno.EMFILE))
    assert sock.Accept() is None
    assert WSAGetLastError() == errno.EMFILE
    sock.inject_fault(SockOp.CONNECT, SockFault(error=errno.ECONNREFUSED))
    assert sock.Connect(("1.2.3.4", 8333)) == SOCKET_ERROR
    assert WSAGetLastError() == errno.ECONNREFUSED
    assert sock.Connect(("1.2.3.4", 8333)) == 0


def test_clear_faults_drops_pending_faults() -> None:
    sock = DynSock()
    sock.inject_fault(SockOp.SEND, SockFault.reset())
    sock.clear_faults()
    assert sock.Send(b"ok", 0) == 2


def test_send_complete_retries_through_transient_and_partial_faults() -> None:
    pipes = DynSock.Pipes()
    sock = DynSock(pipes)
    sock.inject_fault(SockOp.SEND, SockFault.partial(3), SockFault.eagain(), SockFault.partial(2))
    sock.SendComplete(b"0123456789", WAIT, Interrupt())
    assert pipes.send.GetBytes(100) == b"0123456789"


def test_send_complete_raises_on_permanent_error_and_interrupt() -> None:
    sock = DynSock()
    sock.inject_fault(SockOp.SEND, SockFault.reset())
    with pytest.raises(
        RuntimeError, match=rf"^send\(\): {re.escape(NetworkErrorString(errno.ECONNRESET))}$"
    ):
        sock.SendComplete(b"abc", WAIT, Interrupt())
    sock.inject_fault(SockOp.SEND, SockFault.partial(1))
    with pytest.raises(
        RuntimeError, match=r"^Send interrupted \(sent only 1 of 3 bytes before that\)$"
    ):
        sock.SendComplete(b"abc", WAIT, Interrupt(True))


def test_connect_directly_reports_injected_connect_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = DynSock()
    fake.inject_fault(SockOp.CONNECT, SockFault(error=errno.ENETUNREACH))
    monkeypatch.setattr(common.sock, "CreateSock", lambda d, t, p: fake)
    assert ConnectDirectly(_service("1.2.3.4:8333"), manual_connection=False) is None
