"""JSON-RPC over HTTP on 127.0.0.1 with an ephemeral port: authentication, the HTTP statuses
of errors, batches, notifications, the body-size and work-queue limits, and shutdown.

Pins what upstream's functional tests interface_http.py and interface_rpc.py check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from common.args import ArgsManager, OptionsCategory
from common.httprpc import HTTPRPC, add_rpc_server_args
from common.httpserver import HTTPServer
from common.netaddress import CNetAddr
from common.netbase import LookupHost
from common.rpc import server
from common.rpc.server import CRPCCommand, CRPCTable
from common.rpc.util import RPCArg, RPCExamples, RPCHelpMan, RPCResult
from common.serialize import MAX_SIZE
from common.univalue import read

TIMEOUT = 10


@dataclass
class Node:
    """What the RPC methods see as the node."""

    stopped: threading.Event

    def shutdown_request(self) -> bool:
        self.stopped.set()
        return True


@dataclass
class RPCServer:
    http: HTTPServer
    rpc: HTTPRPC
    args: ArgsManager
    host: str
    port: int
    node: Node

    def request(
        self,
        body: str | bytes,
        auth: str | None = "user:pass",
        method: str = "POST",
        path: str = "/",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            hdrs = dict(headers or {})
            if auth is not None:
                hdrs["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
            conn.request(method, path, body, hdrs)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def call(self, body: str) -> tuple[int, Any]:
        status, _, data = self.request(body)
        ok, value = read(data) if data else (True, None)
        assert ok
        return status, value


def block_until_released() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: Any) -> Any:
        assert _release.wait(TIMEOUT)
        return None

    return RPCHelpMan(
        "blockuntilreleased",
        "Wait for the test.",
        [],
        RPCResult(RPCResult.Type.NONE, "", ""),
        RPCExamples(""),
        impl,
    )


def echo() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: Any) -> Any:
        return self.Arg("value")

    return RPCHelpMan(
        "echo",
        "Echo.",
        [RPCArg("value", RPCArg.Type.STR, RPCArg.Optional.NO, "")],
        RPCResult(RPCResult.Type.STR, "", ""),
        RPCExamples(""),
        impl,
    )


_release = threading.Event()


def start_server(tmp_path: Path, *extra: str) -> RPCServer:
    args = ArgsManager()
    add_rpc_server_args(args)
    args.AddArg("-datadir=<dir>", "", ArgsManager.ALLOW_ANY, OptionsCategory.OPTIONS)
    ok, error = args.ParseParameters(
        [
            "bitcoind",
            f"-datadir={tmp_path}",
            "-rpcbind=127.0.0.1",
            "-rpcallowip=127.0.0.1",
            "-rpcport=0",
            "-rpcthreads=2",
            *extra,
        ]
    )
    assert ok, error
    (tmp_path / "regtest").mkdir(exist_ok=True)
    table = CRPCTable()
    table.appendCommand("blockuntilreleased", CRPCCommand("test", block_until_released))
    table.appendCommand("echo", CRPCCommand("test", echo))
    http_server = HTTPServer(args)
    assert http_server.InitHTTPServer(threading.Event())
    server.StartRPC()
    rpc = HTTPRPC(args, table)
    node = Node(threading.Event())
    assert rpc.StartHTTPRPC(node, http_server)
    http_server.StartHTTPServer()
    in_warmup, _ = server.RPCIsInWarmup()
    if in_warmup:
        server.SetRPCWarmupFinished()
    host, port = http_server.bound_addresses()[0]
    return RPCServer(http_server, rpc, args, host, port, node)


def stop_server(s: RPCServer) -> None:
    """Upstream's shutdown order: interrupt HTTP, RPC; stop HTTP RPC, RPC, HTTP."""
    s.http.InterruptHTTPServer()
    s.rpc.InterruptHTTPRPC()
    server.InterruptRPC()
    s.rpc.StopHTTPRPC()
    server.StopRPC(s.args)
    s.http.StopHTTPServer()


@pytest.fixture
def rpc(tmp_path: Path) -> Iterator[RPCServer]:
    s = start_server(tmp_path, "-rpcuser=user", "-rpcpassword=pass")
    try:
        yield s
    finally:
        _release.set()
        stop_server(s)
        _release.clear()


# --- authentication -------------------------------------------------------------------------------


def test_correct_credentials_get_the_result(rpc: RPCServer) -> None:
    status, headers, body = rpc.request('{"method":"echo","params":["hi"],"id":1}')
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body == b'{"result":"hi","error":null,"id":1}\n'


def test_wrong_password_gets_401_after_a_delay(rpc: RPCServer) -> None:
    start = time.monotonic()
    status, headers, body = rpc.request('{"method":"echo","params":["x"]}', auth="user:wrong")
    assert time.monotonic() - start >= 0.25
    assert (status, body) == (401, b"")
    assert headers["WWW-Authenticate"] == 'Basic realm="jsonrpc"'


def test_missing_or_malformed_authorization_gets_401(rpc: RPCServer) -> None:
    status, headers, _ = rpc.request("{}", auth=None)
    assert status == 401 and headers["WWW-Authenticate"] == 'Basic realm="jsonrpc"'
    status, _, _ = rpc.request("{}", auth=None, headers={"Authorization": "Bearer x"})
    assert status == 401
    status, _, _ = rpc.request("{}", auth="nocolon")
    assert status == 401


def test_cookie_is_written_at_start_used_for_auth_and_deleted_at_stop(tmp_path: Path) -> None:
    s = start_server(tmp_path)
    cookie_path = tmp_path / "regtest" / ".cookie"
    try:
        cookie = cookie_path.read_text()
        user, password = cookie.split(":")
        assert user == "__cookie__" and len(password) == 64
        assert int(password, 16) >= 0
        assert cookie_path.stat().st_mode & 0o777 == 0o600
        status, _, body = s.request('{"method":"echo","params":["c"],"id":1}', auth=cookie)
        assert (status, body) == (200, b'{"result":"c","error":null,"id":1}\n')
        assert s.request("{}", auth="__cookie__:" + "0" * 64)[0] == 401
    finally:
        stop_server(s)
    assert not cookie_path.exists()


def test_rpcauth_salted_hash_authenticates(tmp_path: Path) -> None:
    salt = "cb77f0957de88ff388cf817ddbc7273"
    digest = hmac.new(salt.encode(), b"secret", hashlib.sha256).hexdigest()
    s = start_server(tmp_path, f"-rpcauth=carol:{salt}${digest}", "-rpcpassword=x")
    try:
        assert s.request('{"method":"echo","params":["a"]}', auth="carol:secret")[0] == 200
        assert s.request('{"method":"echo","params":["a"]}', auth="carol:wrong")[0] == 401
    finally:
        stop_server(s)


def test_rpcwhitelist_forbids_other_methods(tmp_path: Path) -> None:
    s = start_server(tmp_path, "-rpcuser=user", "-rpcpassword=pass", "-rpcwhitelist=user:echo")
    try:
        assert s.request('{"method":"echo","params":["a"]}')[0] == 200
        assert s.request('{"method":"uptime"}')[0] == 403
        assert s.request('[{"method":"echo","params":["a"]},{"method":"uptime"}]')[0] == 403
    finally:
        stop_server(s)


# --- JSON-RPC errors and their HTTP statuses ------------------------------------------------------


def test_malformed_json_is_parse_error_with_http_500(rpc: RPCServer) -> None:
    assert rpc.call('{"method": "echo"') == (
        500,
        {"result": None, "error": {"code": -32700, "message": "Parse error"}, "id": None},
    )
    assert rpc.call('"just a string"') == (
        500,
        {
            "result": None,
            "error": {"code": -32700, "message": "Top-level object parse error"},
            "id": None,
        },
    )


def test_unknown_method_is_404_for_legacy_and_200_for_jsonrpc_2(rpc: RPCServer) -> None:
    assert rpc.call('{"method":"nosuch","id":3}') == (
        404,
        {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 3},
    )
    assert rpc.call('{"jsonrpc":"2.0","method":"nosuch","id":3}') == (
        200,
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 3},
    )


def test_invalid_request_is_400_and_other_errors_500(rpc: RPCServer) -> None:
    status, value = rpc.call('{"id":1}')
    assert (status, value["error"]) == (400, {"code": -32600, "message": "Missing method"})
    status, value = rpc.call('{"method":"echo","params":[1],"id":1}')
    assert status == 500 and value["error"]["code"] == -3


def test_notification_is_executed_but_not_answered(rpc: RPCServer) -> None:
    status, _, body = rpc.request('{"jsonrpc":"2.0","method":"echo","params":["n"]}')
    assert (status, body) == (204, b"")


def test_batch_answers_each_member_in_one_200_reply(rpc: RPCServer) -> None:
    status, value = rpc.call(
        "["
        '{"method":"echo","params":["a"],"id":1},'
        '{"jsonrpc":"2.0","method":"nosuch","id":2},'
        "7,"
        '{"jsonrpc":"2.0","method":"echo","params":["n"]},'
        '{"jsonrpc":"2.0","method":"echo","params":["b"],"id":4}'
        "]"
    )
    assert status == 200
    assert value == [
        {"result": "a", "error": None, "id": 1},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 2},
        # A non-object member keeps the previous member's id and version, as upstream.
        {
            "jsonrpc": "2.0",
            "error": {"code": -32600, "message": "Invalid Request object"},
            "id": 2,
        },
        {"jsonrpc": "2.0", "result": "b", "id": 4},
    ]


def test_all_notification_batch_is_204_and_empty_batch_is_an_empty_array(rpc: RPCServer) -> None:
    status, _, body = rpc.request('[{"jsonrpc":"2.0","method":"echo","params":["n"]}]')
    assert (status, body) == (204, b"")
    assert rpc.request("[]")[2] == b"[]\n"


def test_only_post_is_served(rpc: RPCServer) -> None:
    status, _, body = rpc.request("", method="GET")
    assert (status, body) == (405, b"JSONRPC server handles only POST requests")
    assert rpc.request("", method="DELETE")[0] == 405


def test_unknown_path_is_404(rpc: RPCServer) -> None:
    assert rpc.request("{}", path="/nope")[0] == 404
    assert rpc.request("{}", path="/" + "x" * 1000)[0] == 404


def test_oversized_request_line_is_400(rpc: RPCServer) -> None:
    assert rpc.request("{}", path="/" + "x" * 10000)[0] == 400


def test_oversized_body_is_413_and_the_server_keeps_running(rpc: RPCServer) -> None:
    with socket.create_connection((rpc.host, rpc.port), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"
            + f"Content-Length: {MAX_SIZE + 1}\r\n\r\n".encode()
        )
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert reply.endswith(
        b"<HTML><HEAD>\n<TITLE>413 Request Entity Too Large</TITLE>\n</HEAD><BODY>\n"
        b"<H1>Request Entity Too Large</H1>\n</BODY></HTML>\n"
    )
    assert rpc.request('{"method":"echo","params":["alive"]}')[0] == 200


def test_keep_alive_serves_several_requests_on_one_connection(rpc: RPCServer) -> None:
    conn = http.client.HTTPConnection(rpc.host, rpc.port, timeout=TIMEOUT)
    auth = {"Authorization": "Basic dXNlcjpwYXNz"}
    try:
        for word in ("one", "two"):
            conn.request("POST", "/", f'{{"method":"echo","params":["{word}"]}}', auth)
            response = conn.getresponse()
            assert response.read() == f'{{"result":"{word}","error":null}}\n'.encode()
    finally:
        conn.close()


def test_chunked_request_body_is_accepted(rpc: RPCServer) -> None:
    body = b'{"method":"echo","params":["chunked"]}'
    with socket.create_connection((rpc.host, rpc.port), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nAuthorization: Basic dXNlcjpwYXNz\r\nConnection: close\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            + f"{len(body[:10]):x}\r\n".encode() + body[:10] + b"\r\n"
            + f"{len(body[10:]):x}\r\n".encode() + body[10:] + b"\r\n0\r\n\r\n"
        )  # fmt: skip
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert reply.endswith(b'{"result":"chunked","error":null}\n')


def test_full_work_queue_is_503(tmp_path: Path) -> None:
    s = start_server(
        tmp_path, "-rpcuser=user", "-rpcpassword=pass", "-rpcthreads=1", "-rpcworkqueue=1"
    )
    results: list[int] = []

    def blocking_call() -> None:
        results.append(s.request('{"method":"blockuntilreleased"}')[0])

    threads = [threading.Thread(target=blocking_call) for _ in range(2)]
    try:
        threads[0].start()
        _wait_for(lambda: _active_methods() == ["blockuntilreleased"])
        threads[1].start()  # waits in the queue
        _wait_for(lambda: s.http.g_work_queue is not None and len(s.http.g_work_queue.queue) == 1)
        status, _, body = s.request('{"method":"echo","params":["x"]}')
        assert (status, body) == (503, b"Work queue depth exceeded")
    finally:
        _release.set()
        for t in threads:
            t.join(TIMEOUT)
        stop_server(s)
        _release.clear()
    assert results == [200, 200]


def _active_methods() -> list[str]:
    with server._g_rpc_server_info.mutex:
        return [info.method for info in server._g_rpc_server_info.active_commands]


def _wait_for(predicate: Any) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.005)


# --- allow list, shutdown -------------------------------------------------------------------------


def test_only_loopback_and_rpcallowip_clients_are_allowed(tmp_path: Path) -> None:
    s = start_server(tmp_path, "-rpcuser=user", "-rpcpassword=pass", "-rpcallowip=10.1.0.0/16")
    try:

        def allowed(ip: str) -> bool:
            addr = LookupHost(ip, False)
            assert addr is not None
            return s.http.ClientAllowed(addr)

        assert allowed("127.0.0.1") and allowed("127.1.2.3") and allowed("::1")
        assert allowed("10.1.255.1")
        assert not allowed("10.2.0.1") and not allowed("192.168.1.1")
        assert not s.http.ClientAllowed(CNetAddr())
    finally:
        stop_server(s)


def test_invalid_rpcallowip_fails_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ArgsManager()
    add_rpc_server_args(args)
    args.ParseParameters(["x", "-rpcallowip=not-a-subnet", "-rpcport=0"])
    http_server = HTTPServer(args)
    assert not http_server.InitHTTPServer(threading.Event())
    http_server.StopHTTPServer()
    assert capsys.readouterr().err.startswith(
        "Error: Invalid -rpcallowip subnet specification: not-a-subnet. Valid values are"
    )


def test_stop_method_requests_shutdown_and_replies(rpc: RPCServer) -> None:
    assert rpc.call('{"method":"stop","id":1}') == (
        200,
        {"result": "Bitcoin Core stopping", "error": None, "id": 1},
    )
    assert rpc.node.stopped.is_set()


def test_interrupted_server_rejects_requests_with_503(rpc: RPCServer) -> None:
    rpc.http.InterruptHTTPServer()
    status, _, body = rpc.request('{"method":"echo","params":["x"]}')
    assert status == 503
    assert b"<H1>Service Unavailable</H1>" in body


def test_stop_joins_every_server_thread(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    s = start_server(tmp_path, "-rpcuser=user", "-rpcpassword=pass")
    conn = socket.create_connection((s.host, s.port), timeout=TIMEOUT)  # an idle connection
    try:
        assert {t.name for t in set(threading.enumerate()) - before} == {
            "http",
            "httpworker.0",
            "httpworker.1",
        }
    finally:
        stop_server(s)
        conn.close()
    assert set(threading.enumerate()) <= before


def test_large_body_is_read_in_pieces(rpc: RPCServer) -> None:
    value = "x" * 3_000_000
    start = time.monotonic()
    status, _, body = rpc.request(f'{{"method":"echo","params":["{value}"],"id":1}}')
    assert status == 200
    assert body == f'{{"result":"{value}","error":null,"id":1}}\n'.encode()
    assert time.monotonic() - start < 5
