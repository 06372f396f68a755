"""Security of the node's JSON-RPC server, against a real node process of each variant (and an
in-process server where a process cannot show the point): it listens on loopback only unless
told otherwise, serves nothing without credentials (401 after upstream's 250 ms pause), writes
its cookie owner-only, compares credentials with TimingResistantEqual, bounds request sizes as
evhttp does, answers every malformed request and every wrongly typed call with a JSON-RPC error
(never a Python traceback), and enforces -rpcallowip (403).

Upstream: src/httpserver.cpp, src/httprpc.cpp, src/rpc/request.cpp; functional tests
interface_http.py, rpc_bind.py, rpc_users.py.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import ipaddress
import json
import os
import re
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from common import httprpc, httpserver
from common.args import ArgsManager, OptionsCategory
from common.httprpc import HTTPRPC, add_rpc_server_args
from common.httpserver import HTTPServer
from common.netaddress import CService
from common.netbase import LookupNumeric
from common.rpc import server as rpcserver
from common.rpc.protocol import RPCErrorCode
from common.rpc.register import RegisterAllCoreRPCCommands
from common.rpc.server import CRPCCommand, CRPCTable
from common.rpc.util import RPCArg, RPCExamples, RPCHelpMan, RPCResult
from common.strencodings import TimingResistantEqual
from netsplit.nodeproc import NodeProcess, RPCClient

VARIANTS = ["legacy", "split"]
TIMEOUT = 10.0

#: Upstream's MAX_SIZE (serialize.h), evhttp's body limit, and MAX_HEADERS_SIZE (httpserver.cpp).
MAX_SIZE = 0x02000000
MAX_HEADERS_SIZE = 8192
#: The pause after a failed authentication (httprpc.cpp), seconds.
AUTH_FAILURE_DELAY = 0.25
#: A regtest P2WPKH address (the zero key hash).
MINE_ADDRESS = "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202"
GENESIS_HASH = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"

#: Every code of rpc/protocol.h's RPCErrorCode (what an error reply may carry).
RPC_ERROR_CODES = frozenset(int(code) for code in RPCErrorCode)
#: What Python shows of its internals when an exception escapes unhandled.
TRACEBACK_MARKERS = ("Traceback", 'File "', " object at 0x", "NoneType", "<class ", "<module")


# --- requests and /proc -------------------------------------------------------------------------


def _basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


def _raw(port: int, data: bytes, host: str = "127.0.0.1", source: str | None = None) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it."""
    source_address = (source, 0) if source is not None else None
    with socket.create_connection(
        (host, port), timeout=TIMEOUT, source_address=source_address
    ) as sock:
        sock.sendall(data)
        reply = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                reply += chunk
    return reply


def _request(
    port: int,
    body: bytes,
    authorization: str | None,
    *,
    method: str = "POST",
    path: str = "/",
    host: str = "127.0.0.1",
    source: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request with "Connection: close": ``(status, headers, body)``."""
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if authorization is not None:
        head += f"Authorization: {authorization}\r\n"
    head += f"Content-Length: {len(body)}\r\n"
    reply = _raw(port, head.encode() + b"\r\n" + body, host=host, source=source)
    return _parse_reply(reply)


def _parse_reply(reply: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return status, headers, body


def _cookie_auth(node: NodeProcess) -> str:
    return _basic((node.netdir / ".cookie").read_bytes().strip())


def _listening_addresses(pid: int, port: int) -> set[str]:
    """The addresses on which process ``pid`` has a TCP socket listening on ``port``: its
    socket inodes (/proc/<pid>/fd) joined with the kernel's socket tables."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    found = set()
    for table, width in (("tcp", 4), ("tcp6", 16)):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                addr_hex, port_hex = local.split(":")
                if state != "0A" or inode not in inodes or int(port_hex, 16) != port:
                    continue
                raw = bytes.fromhex(addr_hex)
                # The kernel prints each 32-bit word in host (little-endian) order.
                addr = b"".join(raw[i : i + 4][::-1] for i in range(0, width, 4))
                found.add(str(ipaddress.ip_address(addr)))
    return found


def _ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def _debug_log(node: NodeProcess) -> str:
    return (node.netdir / "debug.log").read_text(errors="replace")


def _assert_no_traceback(text: str) -> None:
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"{marker!r} in {text[:300]!r}"


@pytest.fixture(scope="module", params=VARIANTS)
def node(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NodeProcess]:
    """One node per variant, cookie authentication, every default."""
    n = NodeProcess(tmp_path_factory.mktemp(f"rpcsec-{request.param}") / "n", variant=request.param)
    try:
        n.start()
        yield n
    finally:
        n.stop()


@pytest.fixture
def rpc(node: NodeProcess) -> RPCClient:
    return node.rpc()


@pytest.fixture
def start_node(tmp_path: Path) -> Iterator[Callable[..., NodeProcess]]:
    """Start extra nodes of a variant; each is stopped at the end of the test."""
    nodes: list[NodeProcess] = []

    def start(variant: str, name: str, *extra_args: str) -> NodeProcess:
        n = NodeProcess(tmp_path / name, variant=variant, extra_args=extra_args)
        nodes.append(n)
        return n.start()

    try:
        yield start
    finally:
        for n in nodes:
            n.stop()


# --- where the server listens --------------------------------------------------------------------


def _loopback_set() -> set[str]:
    return {"127.0.0.1", "::1"} if _ipv6_loopback_available() else {"127.0.0.1"}


def test_rpc_server_listens_on_loopback_only_by_default(node: NodeProcess) -> None:
    assert node.process is not None
    assert _listening_addresses(node.process.pid, node.rpcport) == _loopback_set()


@pytest.mark.parametrize("variant", VARIANTS)
def test_rpcbind_or_rpcallowip_alone_keeps_the_server_on_loopback(
    variant: str, start_node: Callable[..., NodeProcess]
) -> None:
    """Either option without the other leaves the defaults, with upstream's warnings."""
    only_bind = start_node(variant, "bind", "-rpcbind=0.0.0.0", "-rpcbind=::")
    only_allow = start_node(variant, "allow", "-rpcallowip=0.0.0.0/0")
    for n in (only_bind, only_allow):
        assert n.process is not None
        assert _listening_addresses(n.process.pid, n.rpcport) == _loopback_set()
    assert (
        "WARNING: option -rpcbind was ignored because -rpcallowip was not specified, refusing "
        "to allow everyone to connect" in _debug_log(only_bind)
    )
    assert (
        "WARNING: option -rpcallowip was specified without -rpcbind; this doesn't usually "
        "make sense" in _debug_log(only_allow)
    )


# --- authentication ------------------------------------------------------------------------------

#: Authorization values that must not authenticate, with why.
BAD_AUTHORIZATIONS = {
    "wrong password": _basic(b"__cookie__:" + b"0" * 64),
    "wrong user": _basic(b"alice:secret"),
    "empty credentials": _basic(b":"),
    "no colon": _basic(b"__cookie__"),
    "not base64": "Basic !!!not-base64!!!",
    "other scheme": "Bearer abcdef",
    "no scheme": base64.b64encode(b"__cookie__:x").decode(),
    "user not UTF-8": _basic(b"\xff\xfe:secret"),
    "password not UTF-8": _basic(b"__cookie__:\xff"),
    "header not ASCII": "Basic \xff\xfe",
}


def _stop_body() -> bytes:
    return b'{"jsonrpc":"1.0","id":1,"method":"stop","params":[]}'


def test_request_without_authorization_gets_401_with_the_realm(node: NodeProcess) -> None:
    status, headers, body = _request(node.rpcport, _stop_body(), None)
    assert (status, body) == (401, b"")
    assert headers["WWW-Authenticate"] == 'Basic realm="jsonrpc"'
    assert node.rpc().getblockcount() == 0


def test_wrong_credentials_get_401_after_the_brute_force_delay(node: NodeProcess) -> None:
    """Every kind of wrong Authorization (sent at once: each pause holds one worker)."""

    def attempt(authorization: str) -> tuple[int, str | None, bytes, float]:
        start = time.monotonic()
        status, headers, body = _request(node.rpcport, _stop_body(), authorization)
        return status, headers.get("WWW-Authenticate"), body, time.monotonic() - start

    with ThreadPoolExecutor(len(BAD_AUTHORIZATIONS)) as pool:
        answers = pool.map(attempt, BAD_AUTHORIZATIONS.values())
        results = dict(zip(BAD_AUTHORIZATIONS, answers, strict=True))
    for why, (status, realm, body, elapsed) in results.items():
        assert (status, realm, body) == (401, 'Basic realm="jsonrpc"', b""), why
        assert elapsed >= AUTH_FAILURE_DELAY, why
    log = _debug_log(node)
    assert log.count("ThreadRPCServer incorrect password attempt from 127.0.0.1:") >= len(results)
    assert node.process is not None and node.process.poll() is None


def test_no_method_runs_without_authentication(node: NodeProcess, rpc: RPCClient) -> None:
    """Neither a single call nor a batch: the node is neither stopped nor taken offline."""
    bodies = [
        _stop_body(),
        b'{"jsonrpc":"2.0","method":"setnetworkactive","params":[false]}',
        b'[{"method":"setnetworkactive","params":[false]},{"method":"stop"}]',
    ]

    def send(body: bytes) -> int:
        return _request(node.rpcport, body, BAD_AUTHORIZATIONS["wrong password"])[0]

    with ThreadPoolExecutor(len(bodies)) as pool:
        assert list(pool.map(send, bodies)) == [401] * len(bodies)
    assert rpc.getnetworkinfo()["networkactive"] is True
    assert node.process is not None and node.process.poll() is None


def test_only_post_to_the_root_is_served(node: NodeProcess) -> None:
    """Other methods and paths are refused before credentials are even looked at."""
    auth = _cookie_auth(node)
    assert _request(node.rpcport, b"", auth, method="GET")[::2] == (
        405,
        b"JSONRPC server handles only POST requests",
    )
    assert _request(node.rpcport, _stop_body(), auth, path="/wallet/")[0] == 404
    assert _request(node.rpcport, _stop_body(), None, path="/rest/chaininfo.json")[0] == 404
    assert node.rpc().getblockcount() == 0


# --- the cookie ----------------------------------------------------------------------------------

COOKIE_RE = re.compile(rb"__cookie__:[0-9a-f]{64}")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cookie_file_is_owner_only_and_holds_the_cookie(node: NodeProcess) -> None:
    cookie = node.netdir / ".cookie"
    assert _mode(cookie) == 0o600
    assert cookie.stat().st_uid == os.getuid()
    assert COOKIE_RE.fullmatch(cookie.read_bytes())
    assert not (node.netdir / ".cookie.tmp").exists()


@pytest.mark.parametrize("variant", VARIANTS)
def test_cookie_is_new_and_owner_only_at_every_start_and_removed_at_stop(
    variant: str, start_node: Callable[..., NodeProcess]
) -> None:
    n = start_node(variant, "n")
    cookie = n.netdir / ".cookie"
    first = cookie.read_bytes()
    assert n.stop() == 0
    assert not cookie.exists()
    # A world-readable file left in its place is replaced, not reused.
    cookie.write_bytes(b"__cookie__:" + b"0" * 64)
    cookie.chmod(0o644)
    n.start()
    second = cookie.read_bytes()
    assert COOKIE_RE.fullmatch(second) and second not in (first, b"__cookie__:" + b"0" * 64)
    assert _mode(cookie) == 0o600
    assert _request(n.rpcport, b'{"method":"getblockcount"}', _basic(first))[0] == 401
    assert n.stop() == 0
    # -rpccookieperms widens it only when asked (upstream's option).
    n.extra_args = ("-rpccookieperms=group",)
    n.start()
    assert _mode(cookie) == 0o640


def test_node_files_are_owner_only(node: NodeProcess) -> None:
    """Upstream's SetupEnvironment sets umask 0077: debug.log, the PID file, settings.json and
    the rest are not readable by others either."""
    files = [p for p in node.netdir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"debug.log", ".cookie", "bitcoind.pid", "settings.json"}
    for path in [*files, *(p for p in node.netdir.rglob("*") if p.is_dir())]:
        assert _mode(path) & 0o077 == 0, f"{path.relative_to(node.datadir)}: {_mode(path):o}"


# --- request size limits and malformed framing ---------------------------------------------------


def _error_page(code: int, reason: str) -> bytes:
    """evhttp_send_error's body."""
    return (
        f"<HTML><HEAD>\n<TITLE>{code} {reason}</TITLE>\n</HEAD><BODY>\n<H1>{reason}</H1>\n"
        "</BODY></HTML>\n"
    ).encode()


def _post_head(auth: str, *lines: str) -> bytes:
    head = "POST / HTTP/1.1\r\nHost: x\r\n" + f"Authorization: {auth}\r\n"
    return (head + "".join(line + "\r\n" for line in lines) + "\r\n").encode()


def test_oversized_requests_are_refused_as_evhttp_does(node: NodeProcess) -> None:
    """A body over MAX_SIZE is 413 as soon as its length is known (nothing is buffered); a
    request line or header block over MAX_HEADERS_SIZE is 400; credentials do not matter."""
    auth = _cookie_auth(node)
    too_large = _raw(node.rpcport, _post_head(auth, f"Content-Length: {MAX_SIZE + 1}"))
    status, headers, body = _parse_reply(too_large)
    assert (status, body) == (413, _error_page(413, "Request Entity Too Large"))
    assert headers["Connection"] == "close"
    # No credentials at all: still refused on size alone.
    assert (
        _parse_reply(_raw(node.rpcport, _post_head("x", f"Content-Length: {MAX_SIZE}0")))[0] == 413
    )
    chunked = _post_head(auth, "Transfer-Encoding: chunked") + f"{MAX_SIZE + 1:x}\r\n".encode()
    assert _parse_reply(_raw(node.rpcport, chunked))[::2] == (
        413,
        _error_page(413, "Request Entity Too Large"),
    )
    bad_request = _error_page(400, "Bad Request")
    long_line = f"POST /{'x' * MAX_HEADERS_SIZE} HTTP/1.1\r\n\r\n".encode()
    assert _parse_reply(_raw(node.rpcport, long_line))[::2] == (400, bad_request)
    many_headers = _post_head(auth, *(f"X-Filler-{i}: {'y' * 100}" for i in range(100)))
    assert _parse_reply(_raw(node.rpcport, many_headers))[::2] == (400, bad_request)
    endless_header = b"POST / HTTP/1.1\r\nX-Endless: " + b"z" * (MAX_HEADERS_SIZE + 1)
    assert _parse_reply(_raw(node.rpcport, endless_header))[::2] == (400, bad_request)
    assert node.rpc().getblockcount() == 0


#: Framing evhttp refuses with 400 (the first two once ended the server's event thread).
MALFORMED_FRAMING = {
    "non-ASCII digit in the version": b"POST / HTTP/1.\xb2\r\n\r\n",
    "non-ASCII digit in Content-Length": b"POST / HTTP/1.1\r\nContent-Length: \xb2\r\n\r\n",
    "negative Content-Length": b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    "bad chunk size": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "no version": b"POST /\r\n\r\n",
    "unknown method": b"BREW / HTTP/1.1\r\n\r\n",
    "header without colon": b"POST / HTTP/1.1\r\nNoColon\r\n\r\n",
    "NUL bytes": b"\x00" * 64 + b"\r\n\r\n",
}


@pytest.mark.parametrize("what", sorted(MALFORMED_FRAMING))
def test_malformed_http_gets_400_and_the_server_keeps_serving(
    node: NodeProcess, rpc: RPCClient, what: str
) -> None:
    reply = _raw(node.rpcport, MALFORMED_FRAMING[what])
    assert _parse_reply(reply)[::2] == (400, _error_page(400, "Bad Request"))
    assert rpc.getblockcount() == 0


# --- no traceback reaches a client ---------------------------------------------------------------

_PARSE_ERROR = b'{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}\n'
_TOP_LEVEL = (
    b'{"result":null,"error":{"code":-32700,"message":"Top-level object parse error"},"id":null}\n'
)


def _invalid_request(message: str) -> bytes:
    return f'{{"result":null,"error":{{"code":-32600,"message":"{message}"}}}}\n'.encode()


#: A malformed body and upstream's reply to it (JSON-RPC 1.0: the HTTP status follows the code).
MALFORMED_JSON: dict[str, tuple[bytes, int, bytes]] = {
    "empty": (b"", 500, _PARSE_ERROR),
    "truncated": (b'{"method": "getblockcount", "params": [', 500, _PARSE_ERROR),
    "not UTF-8": (b"\xff\xfe", 500, _PARSE_ERROR),
    "nested too deep (array)": (b"[" * 100_000, 500, _PARSE_ERROR),
    "nested too deep (object)": (b'{"a":' * 600 + b"1" + b"}" * 600, 500, _PARSE_ERROR),
    "NaN": (b'{"method":"getblockhash","params":[NaN]}', 500, _PARSE_ERROR),
    "lone surrogate": (b'{"method":"getblockhash","params":["\\ud800"]}', 500, _PARSE_ERROR),
    "trailing garbage": (b'{"method":"getblockcount"} trailing', 500, _PARSE_ERROR),
    "string": (b'"string"', 500, _TOP_LEVEL),
    "number": (b"42", 500, _TOP_LEVEL),
    "null": (b"null", 500, _TOP_LEVEL),
    "method not a string": (b'{"method": 1}', 400, _invalid_request("Method must be a string")),
    "no method": (b'{"params": []}', 400, _invalid_request("Missing method")),
    "params a string": (
        b'{"method":"getblockcount","params":"x"}',
        400,
        _invalid_request("Params must be an array or object"),
    ),
    "unknown version": (
        b'{"jsonrpc":"3.0","method":"getblockcount"}',
        400,
        _invalid_request("JSON-RPC version not supported"),
    ),
    "version not a string": (
        b'{"jsonrpc":2,"method":"getblockcount"}',
        400,
        _invalid_request("jsonrpc field must be a string"),
    ),
    "integer out of range": (
        b'{"method":"getblockhash","params":[1e999]}',
        500,
        b'{"result":null,"error":{"code":-1,"message":"JSON integer out of range"}}\n',
    ),
}


@pytest.mark.parametrize("what", sorted(MALFORMED_JSON))
def test_malformed_json_gets_upstreams_json_rpc_error(rpc: RPCClient, what: str) -> None:
    body, status, reply = MALFORMED_JSON[what]
    answer = rpc.post(body)
    assert (answer.status, answer.body) == (status, reply)
    assert answer.headers["Content-Type"] == "application/json"


def test_malformed_batch_members_each_get_an_invalid_request_error(rpc: RPCClient) -> None:
    answer = rpc.post(b'[1, "x", null, [], {"method": 7}, {"method":"getblockcount","id":9}]')
    assert answer.status == 200
    invalid = {"code": -32600, "message": "Invalid Request object"}
    assert json.loads(answer.body) == [
        {"result": None, "error": invalid, "id": None},
        {"result": None, "error": invalid, "id": None},
        {"result": None, "error": invalid, "id": None},
        {"result": None, "error": invalid, "id": None},
        {"result": None, "error": {"code": -32600, "message": "Method must be a string"}},
        {"result": 0, "error": None, "id": 9},
    ]


#: Values of the wrong type for (nearly) every parameter: strings where numbers go and the
#: reverse, containers, out-of-range numbers, NUL.
WRONG_VALUES: list[Any] = [
    "x",
    "",
    "\u0000",
    "ff" * 40,
    -1,
    1.5,
    1e300,
    2**64,
    -(2**63) - 1,
    True,
    {},
    [],
    {"a": [1]},
]

#: A well-formed call of each method that takes parameters. The test never sends these as
#: they are: it replaces one argument at a time with a wrong value, so nothing is mined, banned
#: or connected.
EXEMPLARS: dict[str, list[Any]] = {
    "addconnection": ["127.0.0.1:1", "outbound-full-relay", False],
    "addnode": ["127.0.0.1:1", "onetry", False],
    "addpeeraddress": ["192.0.2.1", 18444, False],
    "disconnectnode": ["127.0.0.1:1", -1],
    "generateblock": [MINE_ADDRESS, [], False],
    "generatetoaddress": [0, MINE_ADDRESS, 1],
    "generatetodescriptor": [0, "raw(51)", 1],
    "getaddednodeinfo": ["127.0.0.1:1"],
    "getblock": [GENESIS_HASH, 1],
    "getblockhash": [0],
    "getblockheader": [GENESIS_HASH, True],
    "getnodeaddresses": [1, "ipv4"],
    "getrawmempool": [False, False],
    "help": ["getblock"],
    "sendmsgtopeer": [0, "ping", ""],
    "sendrawtransaction": ["00", 0.1, 0],
    "setban": ["192.0.2.99", "add", 60, False],
    "setmocktime": [0],
    "setnetworkactive": [True],
    "submitblock": ["00", ""],
}


def _method_table(variant: str) -> dict[str, list[str]]:
    """Every method the node registers (hidden ones included), with its parameter names: the
    same registration as the variant's bitcoind.py."""
    table = CRPCTable()
    RegisterAllCoreRPCCommands(table)
    importlib.import_module(f"{variant}.rpc_net").RegisterNetRPCCommands(table)
    return {
        name: [pattern.split("|")[0] for pattern, _ in commands[0].argNames]
        for name, commands in table.mapCommands.items()
        if commands
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _wrong_calls(method: str, arg_names: list[str]) -> list[Any]:
    """Parameter arrays and objects for ``method`` that each hold at least one wrong value."""
    calls: list[Any] = []
    for count in range(1, len(arg_names) + 2):
        calls.extend([value] * count for value in WRONG_VALUES)
    for name in arg_names:
        calls.extend({name: value} for value in WRONG_VALUES)
    exemplar = EXEMPLARS.get(method, [])
    for position, good in enumerate(exemplar):
        for value in WRONG_VALUES:
            if type(value) is type(good):
                continue
            mutated = [*exemplar[:position], value, *exemplar[position + 1 :]]
            calls.append(mutated)
            calls.append(dict(zip(arg_names, mutated, strict=False)))
    calls.append({"no_such_parameter": 1})
    if method == "stop":
        # A number would be a valid "wait" (a hidden argument): keep the node running.
        calls = [
            c
            for c in calls
            if not _is_number(c.get("wait") if isinstance(c, dict) else c[0] if c else None)
        ]
    return calls


def _check_error(reply: Any, request_id: Any) -> None:
    """A JSON-RPC 2.0 error reply with an upstream code and a message without internals."""
    assert set(reply) == {"jsonrpc", "error", "id"}, reply
    assert reply["id"] == request_id
    error = reply["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] in RPC_ERROR_CODES, error
    assert isinstance(error["message"], str)
    _assert_no_traceback(error["message"])


def test_every_method_answers_wrong_parameters_with_a_json_rpc_error(
    node: NodeProcess, rpc: RPCClient
) -> None:
    """Each registered method, in one batch per method (JSON-RPC 2.0: errors inside a 200
    reply), with every wrong value in every position, positional and named."""
    table = _method_table(node.variant)
    assert len(table) >= 30 and "getpeerinfo" in table
    visible = {line.split()[0] for line in rpc.help().splitlines() if line[:2] not in ("", "==")}
    assert visible <= set(table)
    calls = 0
    for method, arg_names in sorted(table.items()):
        batch = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            for i, params in enumerate(_wrong_calls(method, arg_names))
        ]
        answer = rpc.post(json.dumps(batch).encode())
        assert answer.status == 200, (method, answer.body[:300])
        _assert_no_traceback(answer.body.decode())
        replies = json.loads(answer.body)
        assert len(replies) == len(batch)
        for request, reply in zip(batch, replies, strict=True):
            if "result" in reply:
                # Some are valid after all (getblock takes a bool verbosity, help "x" is a
                # help text): only a method that reads may have accepted one.
                assert set(reply) == {"jsonrpc", "result", "id"}
                assert method not in _CHANGES_STATE or request["params"] in _NO_OPS, request
                continue
            _check_error(reply, request["id"])
        calls += len(batch)
    assert calls > 2000
    assert rpc.getblockcount() == 0
    assert rpc.getnetworkinfo()["networkactive"] is True
    assert rpc.listbanned() == [] and rpc.getaddednodeinfo() == []
    log = _debug_log(node)
    assert "HTTP handler raised" not in log and "Unhandled request" not in log


#: Methods that change the node's state: none may accept a wrong value (setnetworkactive(true)
#: is the one "wrong" call that is valid, and a no-op here).
_CHANGES_STATE = frozenset(
    {
        "addconnection",
        "addnode",
        "addpeeraddress",
        "clearbanned",
        "disconnectnode",
        "generate",
        "generateblock",
        "generatetoaddress",
        "generatetodescriptor",
        "sendmsgtopeer",
        "sendrawtransaction",
        "setban",
        "setmocktime",
        "setnetworkactive",
        "stop",
        "submitblock",
    }
)
#: The "wrong" parameters of setnetworkactive that are valid.
_NO_OPS: list[Any] = [[True], {"state": True}]


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_single_wrong_calls_get_upstreams_http_status(
    node: NodeProcess, rpc: RPCClient, version: str
) -> None:
    """JSON-RPC 1.0 maps the error code to the HTTP status (400, 404, else 500); 2.0 answers
    200 with the error inside."""
    for method in sorted(_method_table(node.variant)):
        if method in ("help", "setnetworkactive", "getrawmempool"):
            continue
        body = {"jsonrpc": version, "id": method, "method": method, "params": [{"x": []}] * 5}
        answer = rpc.post(json.dumps(body).encode())
        reply = json.loads(answer.body)
        _assert_no_traceback(answer.body.decode())
        code = reply["error"]["code"]
        assert code in RPC_ERROR_CODES
        if version == "2.0":
            assert answer.status == 200
            _check_error(reply, method)
        else:
            assert answer.status == {-32600: 400, -32601: 404}.get(code, 500)
            assert set(reply) == {"result", "error", "id"} and reply["result"] is None


# --- in-process server: what a separate process cannot show ----------------------------------


class InProcessServer:
    """The node's HTTP server and JSON-RPC endpoint on 127.0.0.1 (ephemeral port) with a
    table of test methods, -rpcuser=user -rpcpassword=pass."""

    def __init__(self, datadir: Path, *extra: str) -> None:
        self.args = ArgsManager()
        add_rpc_server_args(self.args)
        self.args.AddArg("-datadir=<dir>", "", ArgsManager.ALLOW_ANY, OptionsCategory.OPTIONS)
        argv = ["bitcoind", f"-datadir={datadir}", "-rpcport=0", "-rpcthreads=2"]
        argv += ["-rpcuser=user", "-rpcpassword=pass", *extra]
        assert self.args.ParseParameters(argv) == (True, "")
        (datadir / "regtest").mkdir(parents=True, exist_ok=True)
        table = CRPCTable()
        table.appendCommand("divide", CRPCCommand("test", _divide))
        self.http = HTTPServer(self.args)
        assert self.http.InitHTTPServer(threading.Event())
        rpcserver.StartRPC()
        self.rpc = HTTPRPC(self.args, table)
        assert self.rpc.StartHTTPRPC(None, self.http)
        self.http.StartHTTPServer()
        if rpcserver.RPCIsInWarmup()[0]:
            rpcserver.SetRPCWarmupFinished()
        self.port = dict(self.http.bound_addresses())["127.0.0.1"]

    def stop(self) -> None:
        self.http.InterruptHTTPServer()
        self.rpc.InterruptHTTPRPC()
        rpcserver.InterruptRPC()
        self.rpc.StopHTTPRPC()
        rpcserver.StopRPC(self.args)
        self.http.StopHTTPServer()

    def post(self, body: bytes, credentials: bytes = b"user:pass") -> tuple[int, bytes]:
        status, _, reply = _request(self.port, body, _basic(credentials))
        return status, reply


def _divide() -> RPCHelpMan:
    """A method with a bug: it divides by its argument, zero included."""

    def impl(self: Any, request: Any) -> Any:
        return 1 // self.Arg("divisor")

    return RPCHelpMan(
        "divide",
        "Divide one by the argument.",
        [RPCArg("divisor", RPCArg.Type.NUM, RPCArg.Optional.NO, "")],
        RPCResult(RPCResult.Type.NUM, "", ""),
        RPCExamples(""),
        impl,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[InProcessServer]:
    s = InProcessServer(tmp_path)
    try:
        yield s
    finally:
        s.stop()


def test_credentials_are_compared_with_timing_resistant_equal(
    server: InProcessServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user name, then the salted HMAC of the password, each through TimingResistantEqual
    (upstream's CheckUserAuthorized); and its answer alone decides."""
    calls: list[tuple[bytes | str, bytes | str, bool]] = []

    def spy(a: bytes | str, b: bytes | str) -> bool:
        result = TimingResistantEqual(a, b)
        calls.append((a, b, result))
        return result

    monkeypatch.setattr(httprpc, "TimingResistantEqual", spy)
    user, salt, stored_hmac = server.rpc.g_rpcauth[0]
    assert (user, len(salt), len(stored_hmac)) == ("user", 32, 64)
    assert server.post(b'{"method":"divide","params":[1]}')[0] == 200
    assert calls == [(b"user", b"user", True), (stored_hmac, stored_hmac, True)]
    calls.clear()
    assert server.post(b"{}", b"user:wrong")[0] == 401
    assert [(a, b, r) for a, b, r in calls if r] == [(b"user", b"user", True)]
    assert len(calls) == 2 and calls[1][1:] == (stored_hmac, False)
    calls.clear()
    assert server.post(b"{}", b"mallory:pass")[0] == 401
    assert calls == [(b"user", b"mallory", False)]

    monkeypatch.setattr(httprpc, "TimingResistantEqual", lambda a, b: False)
    assert server.post(b'{"method":"divide","params":[1]}')[0] == 401


class _CountingBytes(bytes):
    """Bytes that record which positions were read."""

    reads: list[int]

    def __getitem__(self, index: Any) -> Any:
        self.reads.append(index)
        return super().__getitem__(index)


@pytest.mark.parametrize("difference_at", [0, 31, 63])
def test_timing_resistant_equal_reads_every_byte_wherever_they_differ(difference_at: int) -> None:
    expected = bytes(range(64))
    given = bytearray(expected)
    given[difference_at] ^= 0xFF
    a, b = _CountingBytes(expected), _CountingBytes(given)
    a.reads, b.reads = [], []
    assert TimingResistantEqual(a, b) is False
    assert a.reads == list(range(64)) and b.reads == list(range(64))
    short = _CountingBytes(b"\x00")
    short.reads = []
    assert TimingResistantEqual(a, short) is False
    assert short.reads == [0] * 64
    assert TimingResistantEqual(expected, bytes(expected)) is True


def test_unexpected_exception_in_a_method_is_rpc_misc_error(server: InProcessServer) -> None:
    """A method's bug becomes RPC_MISC_ERROR with the exception's message (upstream: a
    std::exception's what()), in every JSON-RPC form; the worker thread lives on."""
    message = "integer division or modulo by zero"
    error = f'"error":{{"code":-1,"message":"{message}"}}'
    assert server.post(b'{"method":"divide","params":[0],"id":1}') == (
        500,
        f'{{"result":null,{error},"id":1}}\n'.encode(),
    )
    assert server.post(b'{"jsonrpc":"2.0","method":"divide","params":[0],"id":1}') == (
        200,
        f'{{"jsonrpc":"2.0",{error},"id":1}}\n'.encode(),
    )
    assert server.post(
        b'[{"method":"divide","params":[0],"id":1},{"method":"divide","params":[1],"id":2}]'
    ) == (200, f'[{{"result":null,{error},"id":1}},{{"result":1,"error":null,"id":2}}]\n'.encode())
    for _ in range(3):  # both workers still answer
        assert server.post(b'{"method":"divide","params":[1],"id":3}')[0] == 200


def test_exception_in_an_http_handler_is_500_unhandled_request(server: InProcessServer) -> None:
    """Upstream answers a request its handler left unanswered with "500 Unhandled request"
    (HTTPRequest's destructor); the exception's text stays in the log."""

    def broken(req: Any, path: str) -> bool:
        raise RuntimeError("internal detail")

    server.http.RegisterHTTPHandler("/broken", True, broken)
    auth = _basic(b"user:pass")
    for _ in range(3):
        assert _request(server.port, b"{}", auth, path="/broken")[::2] == (
            500,
            b"Unhandled request",
        )
    assert server.post(b'{"method":"divide","params":[1],"id":3}')[0] == 200


# --- -rpcallowip -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "status"),
    [("10.1.2.3", 200), ("10.2.0.1", 403), ("192.0.2.1", 403), ("2001:db8::1", 403)],
)
def test_rpcallowip_admits_its_subnet_and_refuses_others_with_403(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, status: int
) -> None:
    """The server sees the connection (made on loopback) as coming from ``source``."""
    s = InProcessServer(tmp_path, "-rpcbind=127.0.0.1", "-rpcallowip=10.1.0.0/16")
    try:
        real_lookup = LookupNumeric

        def as_if_from(name: str, port: int) -> CService:
            return real_lookup(source, port)

        monkeypatch.setattr(httpserver, "LookupNumeric", as_if_from)
        good = b'{"method":"divide","params":[1],"id":1}'
        assert s.post(good) == (
            (200, b'{"result":1,"error":null,"id":1}\n') if status == 200 else (403, b"")
        )
        # Refused before authentication: wrong credentials change nothing, and cost no delay.
        start = time.monotonic()
        assert s.post(good, b"user:wrong")[0] == (401 if status == 200 else 403)
        assert (time.monotonic() - start < AUTH_FAILURE_DELAY) == (status == 403)
    finally:
        s.stop()


def test_loopback_is_always_allowed_whatever_rpcallowip_says(
    variant_node_with: Callable[..., NodeProcess],
) -> None:
    """Upstream adds 127.0.0.0/8 and ::1 to the allow list unconditionally."""
    n = variant_node_with("-rpcbind=127.0.0.1", "-rpcallowip=10.0.0.0/8", "-debug=http")
    assert n.process is not None
    assert _listening_addresses(n.process.pid, n.rpcport) == {"127.0.0.1"}
    assert n.rpc().getblockcount() == 0
    assert "Allowing HTTP connections from: 127.0.0.0/8 ::1/128 10.0.0.0/8 " in _debug_log(n)


def _own_non_loopback_ipv4() -> str | None:
    """This host's own non-loopback address (traffic to it stays on the host), if any."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address = str(s.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_rpcallowip_refuses_a_real_non_loopback_client_with_403(
    variant_node_with: Callable[..., NodeProcess],
) -> None:
    """A node bound to this host's own address: a client connecting from that address is
    refused (403) when -rpcallowip names another subnet, and served when it names it."""
    own = _own_non_loopback_ipv4()
    if own is None:
        pytest.skip("this host has no non-loopback IPv4 address")
    body = b'{"method":"getblockcount","id":1}'
    refusing = variant_node_with(
        f"-rpcbind={own}", "-rpcbind=127.0.0.1", "-rpcallowip=10.99.0.0/16"
    )
    auth = _cookie_auth(refusing)
    status, _, reply = _request(refusing.rpcport, body, auth, host=own, source=own)
    assert (status, reply) == (403, b"")
    assert refusing.rpc().getblockcount() == 0  # loopback is still served
    admitting = variant_node_with(f"-rpcbind={own}", "-rpcbind=127.0.0.1", f"-rpcallowip={own}/32")
    status, _, reply = _request(
        admitting.rpcport, body, _cookie_auth(admitting), host=own, source=own
    )
    assert (status, reply) == (200, b'{"result":0,"error":null,"id":1}\n')


@pytest.fixture(params=VARIANTS)
def variant_node_with(
    request: pytest.FixtureRequest, start_node: Callable[..., NodeProcess]
) -> Callable[..., NodeProcess]:
    """Start a node of each variant with the given options."""
    count = iter(range(100))

    def start(*extra_args: str) -> NodeProcess:
        return start_node(request.param, f"n{next(count)}", *extra_args)

    return start
