"""The HTTP server under the JSON-RPC interface (src/httpserver.h/.cpp).

Upstream runs libevent's evhttp: one event thread ("http") accepts connections and parses
requests, a bounded work queue (-rpcworkqueue) hands them to worker threads ("httpworker.N",
-rpcthreads), and replies go back to the event thread to be written. This module keeps that
shape with the standard library: a ``selectors`` loop in the "http" thread, the same
:class:`WorkQueue`, and replies handed back through a wake-up socket pair.

The HTTP behaviour is evhttp's where a client can see it: HTTP/1.0 and 1.1 with keep-alive,
request line and headers limited to MAX_HEADERS_SIZE (else 400), a body limited to MAX_SIZE
(else 413), Content-Length or chunked bodies, evhttp's HTML error pages, its default headers
(Date, Content-Length, Content-Type), -rpcservertimeout for idle connections, 403 for clients
outside -rpcallowip, 405 for other methods than GET/POST/HEAD/PUT, 404 without a handler, 503
when the work queue is full or the server is shutting down.

Upstream keeps this state in file-level statics; here it lives in an :class:`HTTPServer`, and the
upstream-named module functions act on the process's instance, so that tests can run one
server after another.
"""

from __future__ import annotations

import contextlib
import email.utils
import selectors
import socket
import sys
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from enum import IntEnum
from http import HTTPStatus
from typing import Final

from .args import ArgsManager, BaseParams, gArgs
from .logging import BCLog, LogDebug, LogError, LogInfo, LogPrintf
from .netaddress import CNetAddr, CService, CSubNet
from .netbase import LookupHost, LookupNumeric, LookupSubNet, MaybeFlipIPv6toCJDNS, SplitHostPort
from .serialize import MAX_SIZE
from .strencodings import SAFE_CHARS_URI, SanitizeString

#: Default number of worker threads (-rpcthreads).
DEFAULT_HTTP_THREADS: Final = 16
#: Default depth of the work queue (-rpcworkqueue): requests waiting for a worker.
DEFAULT_HTTP_WORKQUEUE: Final = 64
#: Default idle timeout of a connection, in seconds (-rpcservertimeout).
DEFAULT_HTTP_SERVER_TIMEOUT: Final = 30
#: Largest request line plus headers.
MAX_HEADERS_SIZE: Final = 8192

_RECV_SIZE: Final = 65536

#: Status codes this module sends itself, as in rpc/protocol.h and libevent.
_HTTP_BADREQUEST: Final = 400
_HTTP_FORBIDDEN: Final = 403
_HTTP_NOTFOUND: Final = 404
_HTTP_BADMETHOD: Final = 405
_HTTP_ENTITYTOOLARGE: Final = 413
_HTTP_INTERNAL: Final = 500
_HTTP_SERVUNAVAIL: Final = 503

#: The methods libevent knows; those other than GET/POST/HEAD/PUT are UNKNOWN to the handlers.
_KNOWN_METHODS: Final = frozenset(
    {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"}
)


def InvalidPortErrMsg(optname: str, invalid_value: str) -> str:
    """common/messages.cpp's InvalidPortErrMsg."""
    return f"Invalid port specified in {optname}: '{invalid_value}'"


def _ReasonPhrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Unknown Status"


class HTTPRequest:
    """One request, as a handler sees it. A handler must answer it with exactly one
    :meth:`WriteReply`; a request left unanswered gets "500 Unhandled request", as upstream's
    destructor sends."""

    class RequestMethod(IntEnum):
        UNKNOWN = 0
        GET = 1
        POST = 2
        HEAD = 3
        PUT = 4

    __slots__ = (
        "m_body",
        "m_conn",
        "m_headers",
        "m_interrupt",
        "m_method",
        "m_out_headers",
        "m_peer",
        "m_server",
        "m_uri",
        "m_version",
        "replySent",
    )

    m_server: HTTPServer
    m_conn: _Connection
    m_method: str
    m_uri: str
    #: (major, minor)
    m_version: tuple[int, int]
    m_headers: list[tuple[str, str]]
    m_body: bytes
    m_peer: CService
    m_interrupt: threading.Event
    m_out_headers: list[tuple[str, str]]
    replySent: bool

    def __init__(
        self,
        server: HTTPServer,
        conn: _Connection,
        method: str,
        uri: str,
        version: tuple[int, int],
        headers: list[tuple[str, str]],
        body: bytes,
        interrupt: threading.Event,
    ) -> None:
        self.m_server = server
        self.m_conn = conn
        self.m_method = method
        self.m_uri = uri
        self.m_version = version
        self.m_headers = headers
        self.m_body = body
        self.m_peer = conn.peer
        self.m_interrupt = interrupt
        self.m_out_headers = []
        self.replySent = False

    def GetURI(self) -> str:
        return self.m_uri

    def GetPeer(self) -> CService:
        return self.m_peer

    def GetRequestMethod(self) -> HTTPRequest.RequestMethod:
        return {
            "GET": HTTPRequest.RequestMethod.GET,
            "POST": HTTPRequest.RequestMethod.POST,
            "HEAD": HTTPRequest.RequestMethod.HEAD,
            "PUT": HTTPRequest.RequestMethod.PUT,
        }.get(self.m_method, HTTPRequest.RequestMethod.UNKNOWN)

    def GetQueryParameter(self, key: str) -> str | None:
        return GetQueryParameterFromUri(self.m_uri, key)

    def GetHeader(self, hdr: str) -> tuple[bool, str]:
        """``(True, value)`` of the first header of that name (any case), else ``(False, "")``."""
        lower = hdr.lower()
        for name, value in self.m_headers:
            if name.lower() == lower:
                return True, value
        return False, ""

    def ReadBody(self) -> bytes:
        """The body; a second call returns nothing (upstream drains the buffer)."""
        body, self.m_body = self.m_body, b""
        return body

    def WriteHeader(self, hdr: str, value: str) -> None:
        self.m_out_headers.append((hdr, value))

    def WriteReply(self, nStatus: int, reply: str | bytes = b"") -> None:
        """Send the reply (through the event thread, as upstream)."""
        assert not self.replySent
        if self.m_interrupt.is_set():
            self.WriteHeader("Connection", "close")
        body = reply.encode("utf-8") if isinstance(reply, str) else bytes(reply)
        self.replySent = True
        self.m_server._SendReply(self, nStatus, body)


def GetQueryParameterFromUri(uri: str, key: str) -> str | None:
    """The first value of ``key`` in the URI's query string, None if absent."""
    try:
        query = urllib.parse.urlsplit(uri).query
    except ValueError as e:
        raise RuntimeError(
            "URI parsing failed, it likely contained RFC 3986 invalid characters"
        ) from e
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if name == key:
            return value
    return None


HTTPRequestHandler = Callable[[HTTPRequest, str], bool]


class HTTPClosure:
    """A unit of work for the queue."""

    __slots__ = ()

    def __call__(self) -> None:
        raise NotImplementedError


class HTTPWorkItem(HTTPClosure):
    """A request, the rest of its path after the handler's prefix, and the handler."""

    __slots__ = ("func", "path", "req")

    req: HTTPRequest
    path: str
    func: HTTPRequestHandler

    def __init__(self, req: HTTPRequest, path: str, func: HTTPRequestHandler) -> None:
        self.req = req
        self.path = path
        self.func = func

    def __call__(self) -> None:
        try:
            self.func(self.req, self.path)
        except Exception as e:  # a handler bug must not kill the worker
            LogPrintf("HTTP handler raised %s: %s\n", type(e).__name__, e)
        if not self.req.replySent:
            LogPrintf("%s: Unhandled request\n", "~HTTPRequest")
            self.req.WriteReply(_HTTP_INTERNAL, "Unhandled request")


class WorkQueue:
    """A bounded queue of work items, drained by worker threads."""

    __slots__ = ("cond", "cs", "maxDepth", "queue", "running")

    cs: threading.Lock
    cond: threading.Condition
    queue: deque[HTTPClosure]
    running: bool
    maxDepth: int

    def __init__(self, maxDepth: int) -> None:
        self.cs = threading.Lock()
        self.cond = threading.Condition(self.cs)
        self.queue = deque()
        self.running = True
        self.maxDepth = maxDepth

    def Enqueue(self, item: HTTPClosure) -> bool:
        """False when the queue is full or stopped."""
        with self.cs:
            if not self.running or len(self.queue) >= self.maxDepth:
                return False
            self.queue.append(item)
            self.cond.notify()
            return True

    def Run(self) -> None:
        """Worker loop: run items until interrupted and empty."""
        while True:
            with self.cs:
                while self.running and not self.queue:
                    self.cond.wait()
                if not self.running and not self.queue:
                    break
                item = self.queue.popleft()
            item()

    def Interrupt(self) -> None:
        with self.cs:
            self.running = False
            self.cond.notify_all()


class HTTPPathHandler:
    __slots__ = ("exactMatch", "handler", "prefix")

    prefix: str
    exactMatch: bool
    handler: HTTPRequestHandler

    def __init__(self, prefix: str, exactMatch: bool, handler: HTTPRequestHandler) -> None:
        self.prefix = prefix
        self.exactMatch = exactMatch
        self.handler = handler


class HTTPRequestTracker:
    """Counts, per connection, the requests not yet answered, so that shutdown can wait for
    them."""

    __slots__ = ("m_cv", "m_mutex", "m_tracker")

    m_mutex: threading.Lock
    m_cv: threading.Condition
    m_tracker: dict[int, int]

    def __init__(self) -> None:
        self.m_mutex = threading.Lock()
        self.m_cv = threading.Condition(self.m_mutex)
        self.m_tracker = {}

    def AddRequest(self, conn_id: int) -> None:
        with self.m_mutex:
            self.m_tracker[conn_id] = self.m_tracker.get(conn_id, 0) + 1

    def RemoveRequest(self, conn_id: int) -> None:
        with self.m_mutex:
            count = self.m_tracker.get(conn_id)
            if count is not None and count > 0:
                if count == 1:
                    self._RemoveConnectionInternal(conn_id)
                else:
                    self.m_tracker[conn_id] = count - 1

    def RemoveConnection(self, conn_id: int) -> None:
        with self.m_mutex:
            if conn_id in self.m_tracker:
                self._RemoveConnectionInternal(conn_id)

    def _RemoveConnectionInternal(self, conn_id: int) -> None:
        del self.m_tracker[conn_id]
        if not self.m_tracker:
            self.m_cv.notify_all()

    def CountActiveConnections(self) -> int:
        with self.m_mutex:
            return len(self.m_tracker)

    def WaitUntilEmpty(self) -> None:
        with self.m_mutex:
            self.m_cv.wait_for(lambda: not self.m_tracker)


class _ParseError(Exception):
    """A request this server refuses before any handler sees it: reply with ``status`` and
    close."""

    __slots__ = ("status",)

    status: int

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Connection:
    """One client connection, owned by the event thread."""

    __slots__ = (
        "close_after_write",
        "conn_id",
        "in_flight",
        "inbuf",
        "last_activity",
        "outbuf",
        "peer",
        "sock",
    )

    sock: socket.socket
    peer: CService
    conn_id: int
    inbuf: bytearray
    outbuf: bytearray
    #: A request of this connection is with a handler; reading pauses until it is answered.
    in_flight: bool
    close_after_write: bool
    #: time.monotonic() seconds of the last read or write.
    last_activity: float

    def __init__(self, sock: socket.socket, peer: CService, conn_id: int) -> None:
        self.sock = sock
        self.peer = peer
        self.conn_id = conn_id
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.in_flight = False
        self.close_after_write = False
        self.last_activity = time.monotonic()


def _IsDecimal(s: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts other scripts' digits ("\u00b2"), which
    int() then refuses, and that exception would end the event thread."""
    return s.isascii() and s.isdigit()


def _parse_request(
    buf: bytearray,
) -> tuple[int, str, str, tuple[int, int], list[tuple[str, str]], bytes] | None:
    """Parse one complete request from the start of ``buf``: ``(consumed, method, uri,
    version, headers, body)``, None while incomplete; raises _ParseError."""
    # Request line and headers, lines ending in CRLF or LF.
    head_end = -1
    sep_len = 0
    # Only the first MAX_HEADERS_SIZE bytes can hold the end of the headers, so a large body
    # arriving in many pieces is not searched again and again.
    for sep in (b"\r\n\r\n", b"\n\n", b"\r\n\n", b"\n\r\n"):
        pos = buf.find(sep, 0, MAX_HEADERS_SIZE + len(sep))
        if pos != -1 and (head_end == -1 or pos < head_end):
            head_end, sep_len = pos, len(sep)
    if head_end == -1:
        if len(buf) > MAX_HEADERS_SIZE:
            raise _ParseError(_HTTP_BADREQUEST)
        return None
    if head_end > MAX_HEADERS_SIZE:
        raise _ParseError(_HTTP_BADREQUEST)
    try:
        head = bytes(buf[:head_end]).decode("latin-1")
    except UnicodeDecodeError as e:  # pragma: no cover - latin-1 decodes any byte
        raise _ParseError(_HTTP_BADREQUEST) from e
    lines = [line.rstrip("\r") for line in head.split("\n")]
    while lines and lines[0] == "":
        lines.pop(0)  # blank lines before the request line are skipped, as evhttp does
    if not lines:
        raise _ParseError(_HTTP_BADREQUEST)
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise _ParseError(_HTTP_BADREQUEST)
    method, uri, version_str = parts
    if method not in _KNOWN_METHODS or not uri:
        raise _ParseError(_HTTP_BADREQUEST)
    if not version_str.startswith("HTTP/"):
        raise _ParseError(_HTTP_BADREQUEST)
    major_minor = version_str[5:].split(".")
    if len(major_minor) != 2 or not all(_IsDecimal(p) and len(p) <= 3 for p in major_minor):
        raise _ParseError(_HTTP_BADREQUEST)
    version = (int(major_minor[0]), int(major_minor[1]))
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, (value + " " + line.strip()).strip())
            continue
        colon = line.find(":")
        if colon <= 0:
            raise _ParseError(_HTTP_BADREQUEST)
        headers.append((line[:colon], line[colon + 1 :].strip(" \t")))

    def header(name: str) -> str | None:
        for n, v in headers:
            if n.lower() == name:
                return v
        return None

    pos = head_end + sep_len
    te = header("transfer-encoding")
    if te is not None and te.lower() == "chunked":
        body = bytearray()
        while True:
            line_end = buf.find(b"\n", pos)
            if line_end == -1:
                if len(buf) - pos > MAX_HEADERS_SIZE:
                    raise _ParseError(_HTTP_BADREQUEST)
                return None
            size_field = bytes(buf[pos:line_end]).strip().split(b";")[0]
            try:
                size = int(size_field, 16)
            except ValueError as e:
                raise _ParseError(_HTTP_BADREQUEST) from e
            if size < 0:
                raise _ParseError(_HTTP_BADREQUEST)
            if len(body) + size > MAX_SIZE:
                raise _ParseError(_HTTP_ENTITYTOOLARGE)
            chunk_start = line_end + 1
            if size == 0:
                # Trailer lines until an empty one.
                trailer_pos = chunk_start
                while True:
                    t_end = buf.find(b"\n", trailer_pos)
                    if t_end == -1:
                        return None
                    if bytes(buf[trailer_pos:t_end]).strip() == b"":
                        return t_end + 1, method, uri, version, headers, bytes(body)
                    trailer_pos = t_end + 1
            if len(buf) < chunk_start + size + 1:
                return None
            body += buf[chunk_start : chunk_start + size]
            pos = chunk_start + size
            if buf[pos : pos + 2] == b"\r\n":
                pos += 2
            elif buf[pos : pos + 1] == b"\n":
                pos += 1
            elif len(buf) - pos < 2:
                return None
            else:
                raise _ParseError(_HTTP_BADREQUEST)
    length_str = header("content-length")
    length = 0
    if length_str is not None:
        if not _IsDecimal(length_str):
            raise _ParseError(_HTTP_BADREQUEST)
        length = int(length_str)
        if length > MAX_SIZE:
            raise _ParseError(_HTTP_ENTITYTOOLARGE)
    if len(buf) - pos < length:
        return None
    return pos + length, method, uri, version, headers, bytes(buf[pos : pos + length])


def _ErrorPage(code: int) -> bytes:
    """evhttp_send_error's body."""
    reason = _ReasonPhrase(code)
    return (
        f"<HTML><HEAD>\n<TITLE>{code} {reason}</TITLE>\n</HEAD><BODY>\n<H1>{reason}</H1>\n"
        "</BODY></HTML>\n"
    ).encode()


def _ThreadSafeMessageBoxError(message: str) -> None:
    """What upstream's uiInterface.ThreadSafeMessageBox(MSG_ERROR) does without a GUI: log
    the message and print it to stderr."""
    LogError("%s\n", message)
    print(f"Error: {message}", file=sys.stderr)


class HTTPServer:
    """The HTTP server's state and threads (upstream's statics in httpserver.cpp)."""

    __slots__ = (
        "boundSockets",
        "g_requests",
        "g_thread_http",
        "g_thread_http_workers",
        "g_work_queue",
        "m_args",
        "m_calls",
        "m_conns",
        "m_interrupt",
        "m_next_conn_id",
        "m_rejecting",
        "m_replies",
        "m_replies_lock",
        "m_selector",
        "m_stop",
        "m_timeout",
        "m_wake_r",
        "m_wake_w",
        "pathHandlers",
        "g_httppathhandlers_mutex",
        "rpc_allow_subnets",
    )

    m_args: ArgsManager
    rpc_allow_subnets: list[CSubNet]
    g_work_queue: WorkQueue | None
    g_httppathhandlers_mutex: threading.Lock
    pathHandlers: list[HTTPPathHandler]
    boundSockets: list[socket.socket]
    g_requests: HTTPRequestTracker
    g_thread_http: threading.Thread | None
    g_thread_http_workers: list[threading.Thread]
    m_interrupt: threading.Event
    m_selector: selectors.BaseSelector | None
    m_conns: dict[int, _Connection]
    m_next_conn_id: int
    #: Replies from workers: (connection id, response bytes, close after writing).
    m_replies: deque[tuple[int, bytes, bool]]
    #: Functions to run in the event thread.
    m_calls: deque[Callable[[], None]]
    m_replies_lock: threading.Lock
    m_wake_r: socket.socket | None
    m_wake_w: socket.socket | None
    #: Set by InterruptHTTPServer: new requests get 503 (upstream swaps the request callback).
    m_rejecting: bool
    m_stop: bool
    #: Idle timeout, seconds.
    m_timeout: int

    def __init__(self, args: ArgsManager | None = None) -> None:
        self.m_args = args if args is not None else gArgs
        self.rpc_allow_subnets = []
        self.g_work_queue = None
        self.g_httppathhandlers_mutex = threading.Lock()
        self.pathHandlers = []
        self.boundSockets = []
        self.g_requests = HTTPRequestTracker()
        self.g_thread_http = None
        self.g_thread_http_workers = []
        self.m_interrupt = threading.Event()
        self.m_selector = None
        self.m_conns = {}
        self.m_next_conn_id = 0
        self.m_replies = deque()
        self.m_calls = deque()
        self.m_replies_lock = threading.Lock()
        self.m_wake_r = None
        self.m_wake_w = None
        self.m_rejecting = False
        self.m_stop = False
        self.m_timeout = DEFAULT_HTTP_SERVER_TIMEOUT

    # -- setup -----------------------------------------------------------------------------------

    def ClientAllowed(self, netaddr: CNetAddr) -> bool:
        """Whether the address may use the server (-rpcallowip, and always loopback)."""
        if not netaddr.IsValid():
            return False
        return any(subnet.Match(netaddr) for subnet in self.rpc_allow_subnets)

    def InitHTTPAllowList(self) -> bool:
        self.rpc_allow_subnets = []
        localhost4 = LookupHost("127.0.0.1", False)
        localhost6 = LookupHost("::1", False)
        assert localhost4 is not None and localhost6 is not None
        self.rpc_allow_subnets.append(CSubNet(localhost4, 8))  # the IPv4 loopback subnet
        self.rpc_allow_subnets.append(CSubNet(localhost6))  # IPv6 localhost
        for strAllow in self.m_args.GetArgs("-rpcallowip"):
            subnet = LookupSubNet(strAllow)
            if not subnet.IsValid():
                _ThreadSafeMessageBoxError(
                    f"Invalid -rpcallowip subnet specification: {strAllow}. Valid values are a "
                    "single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), "
                    "a network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 "
                    "(::/0). RFC4193 is allowed only if -cjdnsreachable=0."
                )
                return False
            self.rpc_allow_subnets.append(subnet)
        strAllowed = "".join(subnet.ToString() + " " for subnet in self.rpc_allow_subnets)
        LogDebug(BCLog.HTTP, "Allowing HTTP connections from: %s\n", strAllowed)
        return True

    def HTTPBindAddresses(self) -> bool:
        """Bind -rpcbind addresses (only together with -rpcallowip), else loopback."""
        http_port = self.m_args.GetIntArg("-rpcport", BaseParams().RPCPort()) & 0xFFFF
        endpoints: list[tuple[str, int]] = []
        # -rpcbind and -rpcallowip only count together, so a half-configured node does not
        # expose its RPC interface.
        rpcallowip = self.m_args.GetArgs("-rpcallowip")
        rpcbind = self.m_args.GetArgs("-rpcbind")
        if not rpcallowip or not rpcbind:
            endpoints.append(("::1", http_port))
            endpoints.append(("127.0.0.1", http_port))
            if rpcallowip:
                LogPrintf(
                    "WARNING: option -rpcallowip was specified without -rpcbind; this doesn't "
                    "usually make sense\n"
                )
            if rpcbind:
                LogPrintf(
                    "WARNING: option -rpcbind was ignored because -rpcallowip was not "
                    "specified, refusing to allow everyone to connect\n"
                )
        else:
            for strRPCBind in rpcbind:
                valid, port, host = SplitHostPort(strRPCBind, http_port)
                if not valid:
                    LogError("%s\n", InvalidPortErrMsg("-rpcbind", strRPCBind))
                    return False
                endpoints.append((host, port))

        for host, port in endpoints:
            LogInfo("Binding RPC on address %s port %i", host, port)
            sock = self._Bind(host, port)
            if sock is not None:
                addr = LookupHost(host, False)
                if host == "" or (addr is not None and addr.IsBindAny()):
                    LogPrintf(
                        "WARNING: the RPC server is not safe to expose to untrusted networks "
                        "such as the public internet\n"
                    )
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    LogInfo(
                        "WARNING: Unable to set TCP_NODELAY on RPC server socket, continuing "
                        "anyway\n"
                    )
                self.boundSockets.append(sock)
            else:
                LogPrintf("Binding RPC on address %s port %i failed.\n", host, port)
        return bool(self.boundSockets)

    @staticmethod
    def _Bind(host: str, port: int) -> socket.socket | None:
        addr = LookupHost(host, False) if host else None
        if host and addr is None:
            return None
        family = socket.AF_INET6 if addr is None or addr.IsIPv6() else socket.AF_INET
        bind_host = host if addr is None else addr.ToStringAddr()
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # Keep "::" from also taking the IPv4 port (libevent leaves dual-stack on).
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((bind_host or "::", port))
            sock.listen(socket.SOMAXCONN)
            sock.setblocking(False)
        except OSError:
            sock.close()
            return None
        return sock

    def InitHTTPServer(self, interrupt: threading.Event | None = None) -> bool:
        """Allow list, listening sockets and the work queue; no thread yet. ``interrupt`` is
        the node's shutdown signal: once set, replies carry "Connection: close"."""
        if not self.InitHTTPAllowList():
            return False
        if interrupt is not None:
            self.m_interrupt = interrupt
        self.m_timeout = self.m_args.GetIntArg("-rpcservertimeout", DEFAULT_HTTP_SERVER_TIMEOUT)
        if not self.HTTPBindAddresses():
            LogPrintf("Unable to bind any endpoint for RPC server\n")
            return False
        LogDebug(BCLog.HTTP, "Initialized HTTP server\n")
        workQueueDepth = max(self.m_args.GetIntArg("-rpcworkqueue", DEFAULT_HTTP_WORKQUEUE), 1)
        LogDebug(BCLog.HTTP, "creating work queue of depth %d\n", workQueueDepth)
        self.g_work_queue = WorkQueue(workQueueDepth)
        self.m_wake_r, self.m_wake_w = socket.socketpair()
        self.m_wake_r.setblocking(False)
        # A full pipe already means a wake-up is pending; never block (the event thread wakes
        # itself too).
        self.m_wake_w.setblocking(False)
        self.m_selector = selectors.DefaultSelector()
        for sock in self.boundSockets:
            self.m_selector.register(sock, selectors.EVENT_READ, "listen")
        self.m_selector.register(self.m_wake_r, selectors.EVENT_READ, "wake")
        return True

    def StartHTTPServer(self) -> None:
        rpcThreads = max(self.m_args.GetIntArg("-rpcthreads", DEFAULT_HTTP_THREADS), 1)
        LogInfo("Starting HTTP server with %d worker threads\n", rpcThreads)
        self.g_thread_http = threading.Thread(target=self.ThreadHTTP, name="http", daemon=True)
        self.g_thread_http.start()
        assert self.g_work_queue is not None
        for i in range(rpcThreads):
            worker = threading.Thread(
                target=self.g_work_queue.Run, name=f"httpworker.{i}", daemon=True
            )
            self.g_thread_http_workers.append(worker)
            worker.start()

    def InterruptHTTPServer(self) -> None:
        """New requests are rejected (503) from now on; queued ones still run."""
        LogDebug(BCLog.HTTP, "Interrupting HTTP server\n")
        self.m_rejecting = True
        if self.g_work_queue is not None:
            self.g_work_queue.Interrupt()

    def StopHTTPServer(self) -> None:
        """Join the workers, stop listening, wait for unanswered requests, stop the event
        thread and close every connection."""
        LogDebug(BCLog.HTTP, "Stopping HTTP server\n")
        if self.g_work_queue is not None:
            LogDebug(BCLog.HTTP, "Waiting for HTTP worker threads to exit\n")
            self.g_work_queue.Interrupt()
            for thread in self.g_thread_http_workers:
                thread.join()
            self.g_thread_http_workers.clear()
        self._Call(self._CloseListeners)
        n_connections = self.g_requests.CountActiveConnections()
        if n_connections != 0:
            LogDebug(BCLog.HTTP, "Waiting for %d connections to stop HTTP server\n", n_connections)
        if self.g_thread_http is not None and self.g_thread_http.is_alive():
            self.g_requests.WaitUntilEmpty()
        if self.g_thread_http is not None:
            LogDebug(BCLog.HTTP, "Waiting for HTTP event thread to exit\n")
            self.m_stop = True
            self._Wake()
            self.g_thread_http.join()
            self.g_thread_http = None
        else:
            self._CloseListeners()
        if self.m_selector is not None:
            self.m_selector.close()
            self.m_selector = None
        for s in (self.m_wake_r, self.m_wake_w):
            if s is not None:
                s.close()
        self.m_wake_r = self.m_wake_w = None
        self.g_work_queue = None
        LogDebug(BCLog.HTTP, "Stopped HTTP server\n")

    def RegisterHTTPHandler(
        self, prefix: str, exactMatch: bool, handler: HTTPRequestHandler
    ) -> None:
        LogDebug(
            BCLog.HTTP, "Registering HTTP handler for %s (exactmatch %d)\n", prefix, exactMatch
        )
        with self.g_httppathhandlers_mutex:
            self.pathHandlers.append(HTTPPathHandler(prefix, exactMatch, handler))

    def UnregisterHTTPHandler(self, prefix: str, exactMatch: bool) -> None:
        with self.g_httppathhandlers_mutex:
            for i, h in enumerate(self.pathHandlers):
                if h.prefix == prefix and h.exactMatch == exactMatch:
                    LogDebug(
                        BCLog.HTTP,
                        "Unregistering HTTP handler for %s (exactmatch %d)\n",
                        prefix,
                        exactMatch,
                    )
                    del self.pathHandlers[i]
                    break

    def bound_addresses(self) -> list[tuple[str, int]]:
        """(host, port) of each listening socket: how a test finds an ephemeral port."""
        result = []
        for sock in self.boundSockets:
            try:
                name = sock.getsockname()
            except OSError:
                continue
            result.append((str(name[0]), int(name[1])))
        return result

    # -- the event thread ------------------------------------------------------------------------

    def _Wake(self) -> None:
        if self.m_wake_w is not None:
            with contextlib.suppress(OSError):
                self.m_wake_w.send(b"\0")

    def _Call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in the event thread (or here, if it does not run) and wait for it."""
        thread = self.g_thread_http
        if thread is None or not thread.is_alive() or threading.current_thread() is thread:
            fn()
            return
        done = threading.Event()

        def run() -> None:
            try:
                fn()
            finally:
                done.set()

        with self.m_replies_lock:
            self.m_calls.append(run)
        self._Wake()
        done.wait()

    def _CloseListeners(self) -> None:
        for sock in self.boundSockets:
            if self.m_selector is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self.m_selector.unregister(sock)
            sock.close()
        self.boundSockets.clear()

    def ThreadHTTP(self) -> None:
        LogDebug(BCLog.HTTP, "Entering http event loop\n")
        selector = self.m_selector
        assert selector is not None
        while not self.m_stop:
            for key, events in selector.select(timeout=1.0):
                if key.data == "listen":
                    self._Accept(key.fileobj)  # type: ignore[arg-type]
                elif key.data == "wake":
                    self._DrainWake()
                else:
                    conn = self.m_conns.get(key.data)
                    if conn is None:
                        continue
                    if events & selectors.EVENT_READ:
                        self._OnReadable(conn)
                    if events & selectors.EVENT_WRITE and conn.conn_id in self.m_conns:
                        self._OnWritable(conn)
            self._ProcessReplies()
            self._ExpireIdle()
        for conn in list(self.m_conns.values()):
            self._Close(conn)
        self._CloseListeners()
        LogDebug(BCLog.HTTP, "Exited http event loop\n")

    def _Accept(self, listener: socket.socket) -> None:
        try:
            sock, addr = listener.accept()
        except OSError:
            return
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = MaybeFlipIPv6toCJDNS(LookupNumeric(str(addr[0]).split("%")[0], int(addr[1])))
        self.m_next_conn_id += 1
        conn = _Connection(sock, peer, self.m_next_conn_id)
        self.m_conns[conn.conn_id] = conn
        assert self.m_selector is not None
        self.m_selector.register(sock, selectors.EVENT_READ, conn.conn_id)

    def _DrainWake(self) -> None:
        assert self.m_wake_r is not None
        try:
            while self.m_wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _UpdateInterest(self, conn: _Connection) -> None:
        events = 0
        if not conn.in_flight and not conn.close_after_write:
            events |= selectors.EVENT_READ
        if conn.outbuf:
            events |= selectors.EVENT_WRITE
        assert self.m_selector is not None
        if events == 0:
            # Nothing to do until a handler answers; keep the socket registered for errors.
            events = selectors.EVENT_READ if not conn.in_flight else 0
        try:
            if events:
                self.m_selector.modify(conn.sock, events, conn.conn_id)
            else:
                self.m_selector.unregister(conn.sock)
        except KeyError:
            if events:
                self.m_selector.register(conn.sock, events, conn.conn_id)

    def _OnReadable(self, conn: _Connection) -> None:
        try:
            data = conn.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._Close(conn)
            return
        if not data:
            self._Close(conn)
            return
        conn.last_activity = time.monotonic()
        conn.inbuf += data
        self._TryDispatch(conn)

    def _TryDispatch(self, conn: _Connection) -> None:
        if conn.in_flight or conn.close_after_write:
            return
        try:
            parsed = _parse_request(conn.inbuf)
        except _ParseError as e:
            self._SendError(conn, e.status, (1, 1), close=True)
            return
        if parsed is None:
            return
        consumed, method, uri, version, headers, body = parsed
        del conn.inbuf[:consumed]
        conn.in_flight = True
        self.g_requests.AddRequest(conn.conn_id)
        hreq = HTTPRequest(self, conn, method, uri, version, headers, body, self.m_interrupt)
        self._UpdateInterest(conn)
        self.http_request_cb(hreq)

    def http_request_cb(self, hreq: HTTPRequest) -> None:
        """Route a parsed request: reject it, answer it, or queue it for a worker."""
        if self.m_rejecting:
            LogDebug(BCLog.HTTP, "Rejecting request while shutting down\n")
            self._SendErrorReply(hreq, _HTTP_SERVUNAVAIL)
            return
        if not self.ClientAllowed(hreq.GetPeer()):
            LogDebug(
                BCLog.HTTP,
                "HTTP request from %s rejected: Client network is not allowed RPC access\n",
                hreq.GetPeer().ToStringAddrPort(),
            )
            hreq.WriteReply(_HTTP_FORBIDDEN)
            return
        if hreq.GetRequestMethod() == HTTPRequest.RequestMethod.UNKNOWN:
            LogDebug(
                BCLog.HTTP,
                "HTTP request from %s rejected: Unknown HTTP request method\n",
                hreq.GetPeer().ToStringAddrPort(),
            )
            hreq.WriteReply(_HTTP_BADMETHOD)
            return
        LogDebug(
            BCLog.HTTP,
            "Received a %s request for %s from %s\n",
            RequestMethodString(hreq.GetRequestMethod()),
            SanitizeString(hreq.GetURI(), SAFE_CHARS_URI)[:100],
            hreq.GetPeer().ToStringAddrPort(),
        )
        strURI = hreq.GetURI()
        found: HTTPPathHandler | None = None
        path = ""
        with self.g_httppathhandlers_mutex:
            for h in self.pathHandlers:
                match = strURI == h.prefix if h.exactMatch else strURI.startswith(h.prefix)
                if match:
                    found = h
                    path = strURI[len(h.prefix) :]
                    break
        if found is None:
            hreq.WriteReply(_HTTP_NOTFOUND)
            return
        item = HTTPWorkItem(hreq, path, found.handler)
        assert self.g_work_queue is not None
        if not self.g_work_queue.Enqueue(item):
            LogPrintf(
                "WARNING: request rejected because http work queue depth exceeded, it can be "
                "increased with the -rpcworkqueue= setting\n"
            )
            item.req.WriteReply(_HTTP_SERVUNAVAIL, "Work queue depth exceeded")

    def _SendErrorReply(self, hreq: HTTPRequest, code: int) -> None:
        """evhttp_send_error for a parsed request: an HTML page, and the connection closes."""
        hreq.replySent = True
        hreq.m_out_headers.append(("Connection", "close"))
        self._SendReply(hreq, code, _ErrorPage(code))

    def _SendError(
        self, conn: _Connection, code: int, version: tuple[int, int], close: bool
    ) -> None:
        """evhttp_send_error before a request could be parsed."""
        body = _ErrorPage(code)
        headers = [("Content-Type", "text/html"), ("Connection", "close")]
        self._QueueResponse(conn, code, version, headers, body, "GET", close)

    def _SendReply(self, hreq: HTTPRequest, nStatus: int, body: bytes) -> None:
        """Build the response (evhttp_make_header_response) and hand it to the event
        thread."""
        conn = hreq.m_conn
        version = hreq.m_version if hreq.m_version[0] == 1 else (1, 1)
        headers = list(hreq.m_out_headers)
        found_conn, conn_hdr = hreq.GetHeader("Connection")
        req_close = found_conn and conn_hdr.lower() == "close"
        keepalive_hdr = found_conn and conn_hdr.lower() == "keep-alive"
        out_close = any(n.lower() == "connection" and v.lower() == "close" for n, v in headers)
        need_close = (version < (1, 1) and not keepalive_hdr) or req_close or out_close
        needs_body = nStatus not in (204, 304) and nStatus >= 200 and hreq.m_method != "HEAD"
        names = {n.lower() for n, _ in headers}
        if version[1] >= 1 and "date" not in names:
            headers.append(("Date", email.utils.formatdate(usegmt=True)))
        if version == (1, 0) and keepalive_hdr and not need_close:
            headers.append(("Connection", "keep-alive"))
        if (version[1] >= 1 or keepalive_hdr) and needs_body and "content-length" not in names:
            headers.append(("Content-Length", str(len(body))))
        if needs_body and "content-type" not in names:
            headers.append(("Content-Type", "text/html; charset=ISO-8859-1"))
        if req_close:
            headers = [(n, v) for n, v in headers if n.lower() != "connection"]
            headers.append(("Connection", "close"))
        if not needs_body:
            body = b""
        data = _FormatResponse(nStatus, version, headers, body)
        with self.m_replies_lock:
            self.m_replies.append((conn.conn_id, data, need_close))
        self._Wake()

    def _QueueResponse(
        self,
        conn: _Connection,
        code: int,
        version: tuple[int, int],
        headers: list[tuple[str, str]],
        body: bytes,
        method: str,
        close: bool,
    ) -> None:
        headers = [*headers, ("Date", email.utils.formatdate(usegmt=True))]
        headers.append(("Content-Length", str(len(body))))
        conn.outbuf += _FormatResponse(code, version, headers, body)
        conn.close_after_write = conn.close_after_write or close
        self._UpdateInterest(conn)

    def _ProcessReplies(self) -> None:
        while True:
            with self.m_replies_lock:
                if self.m_calls:
                    call = self.m_calls.popleft()
                elif self.m_replies:
                    call = None
                    conn_id, data, close = self.m_replies.popleft()
                else:
                    return
            if call is not None:
                call()
                continue
            self.g_requests.RemoveRequest(conn_id)
            conn = self.m_conns.get(conn_id)
            if conn is None:
                continue
            conn.outbuf += data
            conn.in_flight = False
            conn.close_after_write = conn.close_after_write or close
            conn.last_activity = time.monotonic()
            self._UpdateInterest(conn)
            self._OnWritable(conn)

    def _OnWritable(self, conn: _Connection) -> None:
        if conn.outbuf:
            try:
                sent = conn.sock.send(conn.outbuf)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._Close(conn)
                return
            del conn.outbuf[:sent]
            conn.last_activity = time.monotonic()
        if conn.outbuf:
            self._UpdateInterest(conn)
            return
        if conn.close_after_write:
            self._Close(conn)
            return
        self._UpdateInterest(conn)
        if conn.inbuf:
            self._TryDispatch(conn)  # a pipelined request

    def _ExpireIdle(self) -> None:
        if self.m_timeout <= 0:
            return
        now = time.monotonic()
        for conn in list(self.m_conns.values()):
            if not conn.in_flight and now - conn.last_activity > self.m_timeout:
                self._Close(conn)

    def _Close(self, conn: _Connection) -> None:
        self.m_conns.pop(conn.conn_id, None)
        self.g_requests.RemoveConnection(conn.conn_id)
        if self.m_selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.m_selector.unregister(conn.sock)
        with contextlib.suppress(OSError):
            conn.sock.close()


def _FormatResponse(
    code: int, version: tuple[int, int], headers: list[tuple[str, str]], body: bytes
) -> bytes:
    lines = [f"HTTP/{version[0]}.{version[1]} {code} {_ReasonPhrase(code)}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body


def RequestMethodString(m: HTTPRequest.RequestMethod) -> str:
    """For logging only."""
    return {
        HTTPRequest.RequestMethod.GET: "GET",
        HTTPRequest.RequestMethod.POST: "POST",
        HTTPRequest.RequestMethod.HEAD: "HEAD",
        HTTPRequest.RequestMethod.PUT: "PUT",
        HTTPRequest.RequestMethod.UNKNOWN: "unknown",
    }[m]


# --- upstream's module-level API, on the process's server ---------------------------------------

#: The process's HTTP server, between InitHTTPServer and StopHTTPServer.
g_http_server: HTTPServer | None = None


def InitHTTPServer(interrupt: threading.Event, args: ArgsManager | None = None) -> bool:
    global g_http_server
    server = HTTPServer(args)
    if not server.InitHTTPServer(interrupt):
        server.StopHTTPServer()
        return False
    g_http_server = server
    return True


def StartHTTPServer() -> None:
    assert g_http_server is not None
    g_http_server.StartHTTPServer()


def InterruptHTTPServer() -> None:
    if g_http_server is not None:
        g_http_server.InterruptHTTPServer()


def StopHTTPServer() -> None:
    global g_http_server
    if g_http_server is not None:
        g_http_server.StopHTTPServer()
        g_http_server = None


def RegisterHTTPHandler(prefix: str, exactMatch: bool, handler: HTTPRequestHandler) -> None:
    assert g_http_server is not None
    g_http_server.RegisterHTTPHandler(prefix, exactMatch, handler)


def UnregisterHTTPHandler(prefix: str, exactMatch: bool) -> None:
    if g_http_server is not None:
        g_http_server.UnregisterHTTPHandler(prefix, exactMatch)
