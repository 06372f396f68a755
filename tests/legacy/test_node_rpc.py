"""The node's JSON-RPC server: authentication, HTTP and JSON-RPC errors, and the net RPCs with
upstream's names, result fields, error codes and messages (src/rpc/net.cpp)."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from netsplit.nodeproc import NodeProcess, RPCClient, RPCError
from tests.legacy.node_harness import MINE_ADDRESS, NodeFactory, node_factory

__all__ = ["node_factory"]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """One node for the read-mostly tests of this module."""
    n = NodeProcess(tmp_path_factory.mktemp("rpc") / "n")
    try:
        n.start()
        yield n
    finally:
        n.stop()


@pytest.fixture
def rpc(node: NodeProcess) -> RPCClient:
    return node.rpc()


def _post(rpc: RPCClient, obj: object) -> tuple[int, object]:
    reply = rpc.post(json.dumps(obj).encode())
    return reply.status, json.loads(reply.body) if reply.body else None


def test_cookie_authenticates(node: NodeProcess, rpc: RPCClient) -> None:
    cookie = (node.netdir / ".cookie").read_text()
    assert cookie.startswith("__cookie__:") and len(cookie) == len("__cookie__:") + 64
    assert rpc.getblockhash(0) == (
        "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
    )


def test_wrong_password_gets_401_and_the_node_keeps_running(rpc: RPCClient) -> None:
    reply = rpc.post(b'{"method":"getblockcount","params":[]}', auth=("__cookie__", "wrong"))
    assert reply.status == 401
    assert reply.headers.get("WWW-Authenticate") == 'Basic realm="jsonrpc"'
    assert reply.body == b""
    assert rpc.getconnectioncount() == 0


def test_malformed_json_is_a_parse_error(rpc: RPCClient) -> None:
    reply = rpc.post(b'{"method": "getblockcount", "params": [')
    assert reply.status == 500
    assert json.loads(reply.body) == {
        "result": None,
        "error": {"code": -32700, "message": "Parse error"},
        "id": None,
    }
    assert rpc.getconnectioncount() == 0


def test_unknown_method_is_404_method_not_found(rpc: RPCClient) -> None:
    status, body = _post(rpc, {"method": "nosuchmethod", "params": [], "id": 7})
    assert status == 404
    assert body == {
        "result": None,
        "error": {"code": -32601, "message": "Method not found"},
        "id": 7,
    }
    # JSON-RPC 2.0: the error is in a 200 reply.
    status, body = _post(rpc, {"jsonrpc": "2.0", "method": "nosuchmethod", "id": 8})
    assert status == 200
    assert body == {
        "jsonrpc": "2.0",
        "error": {"code": -32601, "message": "Method not found"},
        "id": 8,
    }


def test_oversized_body_gets_413(node: NodeProcess, rpc: RPCClient) -> None:
    # The server answers from the headers alone; a client that keeps sending would see the
    # connection closed under it, so only the headers are sent.
    token = base64.b64encode(f"{rpc.user}:{rpc.password}".encode()).decode()
    request = (
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Basic {token}\r\nContent-Length: {0x02000000 + 1}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", node.rpcport), timeout=10) as sock:
        sock.sendall(request.encode())
        status_line = sock.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1.1 413 ")
    assert rpc.getconnectioncount() == 0


def test_batch_request_answers_each_member(rpc: RPCClient) -> None:
    status, body = _post(
        rpc,
        [
            {"method": "getconnectioncount", "params": [], "id": 1},
            {"method": "nosuchmethod", "params": [], "id": 2},
        ],
    )
    assert status == 200
    assert body == [
        {"result": 0, "error": None, "id": 1},
        {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 2},
    ]


def test_getnetworkinfo_has_upstream_fields(rpc: RPCClient) -> None:
    info = rpc.getnetworkinfo()
    assert list(info) == [
        "version",
        "subversion",
        "protocolversion",
        "localservices",
        "localservicesnames",
        "localrelay",
        "timeoffset",
        "networkactive",
        "connections",
        "connections_in",
        "connections_out",
        "networks",
        "relayfee",
        "incrementalfee",
        "localaddresses",
        "warnings",
    ]
    assert info["version"] == 300000
    assert info["subversion"] == "/Satoshi:30.0.0/"
    assert info["protocolversion"] == 70016
    assert info["localservices"] == "0000000000000009"
    assert info["localservicesnames"] == ["NETWORK", "WITNESS"]
    assert info["connections"] == 0
    assert [n["name"] for n in info["networks"]] == ["ipv4", "ipv6", "onion", "i2p", "cjdns"]
    assert info["networks"][0] == {
        "name": "ipv4",
        "limited": False,
        "reachable": True,
        "proxy": "",
        "proxy_randomize_credentials": False,
    }
    assert info["relayfee"] == Decimal("0.00000100")


def test_getnettotals_reports_traffic_and_upload_target(rpc: RPCClient) -> None:
    totals = rpc.getnettotals()
    assert list(totals) == ["totalbytesrecv", "totalbytessent", "timemillis", "uploadtarget"]
    assert totals["uploadtarget"] == {
        "timeframe": 86400,
        "target": 0,
        "target_reached": False,
        "serve_historical_blocks": True,
        "bytes_left_in_cycle": 0,
        "time_left_in_cycle": 0,
    }


def test_setnetworkactive_toggles_networkactive(rpc: RPCClient) -> None:
    assert rpc.setnetworkactive(False) is False
    assert rpc.getnetworkinfo()["networkactive"] is False
    assert rpc.setnetworkactive(True) is True
    assert rpc.getnetworkinfo()["networkactive"] is True


def _error(call: object) -> tuple[int, str]:
    with pytest.raises(RPCError) as e:
        assert callable(call)
        call()
    return e.value.code, e.value.message


def test_net_rpc_errors_have_upstream_codes_and_messages(rpc: RPCClient) -> None:
    assert _error(lambda: rpc.addnode("127.0.0.1:1", "remove")) == (
        -24,
        "Error: Node could not be removed. It has not been added previously.",
    )
    assert rpc.addnode("127.0.0.1:1", "add") is None
    assert _error(lambda: rpc.addnode("127.0.0.1:1", "add")) == (-23, "Error: Node already added")
    assert rpc.getaddednodeinfo() == [
        {"addednode": "127.0.0.1:1", "connected": False, "addresses": []}
    ]
    assert _error(lambda: rpc.getaddednodeinfo("127.0.0.2")) == (
        -24,
        "Error: Node has not been added.",
    )
    assert rpc.addnode("127.0.0.1:1", "remove") is None
    assert _error(lambda: rpc.addnode("127.0.0.1:1", "add", True)) == (
        -8,
        "Error: v2transport requested but not enabled (see -v2transport)",
    )
    code, message = _error(lambda: rpc.addnode("127.0.0.1:1", "bogus"))
    assert code == -1 and message.startswith('addnode "node" "command" ( v2transport )')
    assert _error(lambda: rpc.disconnectnode("127.0.0.1:1")) == (
        -29,
        "Node not found in connected nodes",
    )
    assert _error(lambda: rpc.disconnectnode("127.0.0.1:1", 3)) == (
        -32602,
        "Only one of address and nodeid should be provided.",
    )
    assert _error(lambda: rpc.disconnectnode("", 3)) == (-29, "Node not found in connected nodes")
    assert _error(lambda: rpc.setban("not-an-ip", "add")) == (-30, "Error: Invalid IP/Subnet")
    assert _error(lambda: rpc.setban("10.0.0.1", "remove")) == (
        -30,
        "Error: Unban failed. Requested address/subnet was not previously manually banned.",
    )
    assert _error(lambda: rpc.setban("10.0.0.1", "add", 1, True)) == (
        -8,
        "Error: Absolute timestamp is in the past",
    )
    assert _error(lambda: rpc.getnodeaddresses(-1)) == (-8, "Address count out of range")
    assert _error(lambda: rpc.getnodeaddresses(1, "foo")) == (-8, "Network not recognized: foo")
    assert _error(lambda: rpc.sendmsgtopeer(0, "x" * 13, "00")) == (
        -8,
        "Error: msg_type too long, max length is 12",
    )
    assert _error(lambda: rpc.sendmsgtopeer(99, "ping", "00")) == (
        -1,
        "Error: Could not send message to peer",
    )


def test_setban_listbanned_clearbanned(rpc: RPCClient) -> None:
    rpc.setban("10.1.2.3", "add", 3600)
    rpc.setban("10.9.0.0/16", "add")
    assert _error(lambda: rpc.setban("10.1.2.3", "add")) == (-23, "Error: IP/Subnet already banned")
    banned = rpc.listbanned()
    assert [b["address"] for b in banned] == ["10.1.2.3/32", "10.9.0.0/16"]
    assert list(banned[0]) == [
        "address",
        "ban_created",
        "banned_until",
        "ban_duration",
        "time_remaining",
    ]
    assert banned[0]["ban_duration"] == 3600
    assert banned[1]["ban_duration"] == 86400
    rpc.setban("10.1.2.3", "remove")
    assert [b["address"] for b in rpc.listbanned()] == ["10.9.0.0/16"]
    assert rpc.clearbanned() is None
    assert rpc.listbanned() == []


def test_addpeeraddress_feeds_getnodeaddresses(rpc: RPCClient) -> None:
    assert rpc.addpeeraddress("1.2.3.4", 8333) == {"success": True}
    addrs = rpc.getnodeaddresses(0)
    assert [(a["address"], a["port"], a["network"], a["services"]) for a in addrs] == [
        ("1.2.3.4", 8333, "ipv4", 9)
    ]
    assert rpc.getnodeaddresses(0, "ipv6") == []
    info = rpc.getaddrmaninfo()
    assert info["ipv4"] == {"new": 1, "tried": 0, "total": 1}
    assert info["all_networks"] == {"new": 1, "tried": 0, "total": 1}


def test_ping_and_empty_peer_lists(rpc: RPCClient) -> None:
    assert rpc.ping() is None
    assert rpc.getpeerinfo() == []
    assert rpc.getconnectioncount() == 0


def test_help_lists_network_methods(rpc: RPCClient) -> None:
    text = rpc.help()
    section = text[text.index("== Network ==") :].split("\n\n")[0].splitlines()[1:]
    assert [line.split()[0] for line in section] == [
        "addnode",
        "clearbanned",
        "disconnectnode",
        "getaddednodeinfo",
        "getaddrmaninfo",
        "getconnectioncount",
        "getnettotals",
        "getnetworkinfo",
        "getnodeaddresses",
        "getpeerinfo",
        "listbanned",
        "ping",
        "setban",
        "setnetworkactive",
    ]
    assert rpc.help("getpeerinfo").startswith(
        "getpeerinfo\n\nReturns data about each connected network peer as a json array of "
        "objects.\n"
    )


def test_generatetoaddress_mines_to_bech32_and_base58(rpc: RPCClient, node: NodeProcess) -> None:
    start = rpc.getblockcount()
    hashes = rpc.generatetoaddress(2, MINE_ADDRESS)
    hashes += rpc.generatetoaddress(1, "2ND8PB9RrfCaAcjfjP1Y6nAgFd9zWHYX4DN")
    assert rpc.getblockcount() == start + 3
    assert rpc.getbestblockhash() == hashes[-1]
    assert _error(lambda: rpc.generatetoaddress(1, "bc1qnotregtest")) == (
        -5,
        "Error: Invalid address",
    )


def test_rpcuser_and_rpcpassword_replace_the_cookie(node_factory: NodeFactory) -> None:
    n = node_factory("userpass", rpc_user="alice", rpc_password="s3cret")
    assert not (n.netdir / ".cookie").exists()
    rpc = n.rpc()
    assert rpc.getblockcount() == 0
    assert rpc.post(b'{"method":"getblockcount"}', auth=("alice", "wrong")).status == 401
    assert rpc.post(b'{"method":"getblockcount"}', auth=("bob", "s3cret")).status == 401


def test_stop_rpc_shuts_the_node_down(node_factory: NodeFactory) -> None:
    n = node_factory("stopper")
    assert n.rpc().stop() == "Bitcoin Core stopping"
    assert n.wait_exit(30) == 0
    log = (n.netdir / "debug.log").read_text()
    assert log.rstrip("\n").endswith("Shutdown done")


def test_rpc_port_is_loopback_only(node: NodeProcess) -> None:
    log = (node.netdir / "debug.log").read_text()
    assert f"Binding RPC on address ::1 port {node.rpcport}" in log
    assert f"Binding RPC on address 127.0.0.1 port {node.rpcport}" in log
    assert f"Bound to 127.0.0.1:{node.port}" in log
    assert "Bound to 0.0.0.0" not in log and "Bound to [::]" not in log


def test_datadir_layout_is_upstream_regtest(node: NodeProcess) -> None:
    names = {p.name for p in node.netdir.iterdir()}
    assert {".cookie", ".lock", "bitcoind.pid", "debug.log", "settings.json", "blocks"} <= names
    assert isinstance(node.datadir, Path)
