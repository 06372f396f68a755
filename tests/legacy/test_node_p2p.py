"""Two nodes on loopback: they connect with addnode, report each other in getpeerinfo, sync
each other's blocks, relay a transaction, and drop each other on disconnectnode and setban.
Also the two-node demo (netsplit.demo) that ``make tour`` shows."""

from __future__ import annotations

import re

from netsplit.demo import default_demo_variants, run_two_node_demo
from netsplit.nodeproc import NodeProcess, wait_until
from netsplit.optrue import INITIAL_SUBSIDY, OP_TRUE_P2SH_ADDRESS, spend_op_true
from tests.legacy.node_harness import NodeFactory, node_factory

__all__ = ["node_factory"]

TIMEOUT = 60.0


#: getpeerinfo's fields in upstream's order, without the optional ones.
GETPEERINFO_FIELDS = [
    "id",
    "addr",
    "addrbind",
    "network",
    "services",
    "servicesnames",
    "relaytxes",
    "lastsend",
    "lastrecv",
    "last_transaction",
    "last_block",
    "bytessent",
    "bytesrecv",
    "conntime",
    "timeoffset",
    "version",
    "subver",
    "inbound",
    "bip152_hb_to",
    "bip152_hb_from",
    "startingheight",
    "presynced_headers",
    "synced_headers",
    "synced_blocks",
    "inflight",
    "addr_relay_enabled",
    "addr_processed",
    "addr_rate_limited",
    "permissions",
    "minfeefilter",
    "bytessent_per_msg",
    "bytesrecv_per_msg",
    "connection_type",
    "transport_protocol_type",
    "session_id",
]


def _connected_pair(
    node_factory: NodeFactory, b_args: tuple[str, ...] = ()
) -> tuple[NodeProcess, NodeProcess]:
    a = node_factory("a", ["-debug=net"])
    b = node_factory("b", ["-debug=net", *b_args])
    a.rpc().addnode(b.p2p_addr, "add")
    wait_until(lambda: _handshaken(a) and _handshaken(b), TIMEOUT, "a and b to connect")
    return a, b


def _handshaken(node: NodeProcess) -> bool:
    """One peer, whose version and verack have both arrived."""
    peers = node.rpc().getpeerinfo()
    return len(peers) == 1 and "verack" in peers[0]["bytesrecv_per_msg"]


def test_addnode_connects_and_both_report_each_other(node_factory: NodeFactory) -> None:
    a, b = _connected_pair(node_factory, ("-whitelist=noban,mempool@127.0.0.1",))
    (pa,) = a.rpc().getpeerinfo()
    (pb,) = b.rpc().getpeerinfo()
    assert pa["addr"] == b.p2p_addr
    assert (pa["inbound"], pa["connection_type"]) == (False, "manual")
    assert (pb["inbound"], pb["connection_type"]) == (True, "inbound")
    assert pb["addrbind"] == b.p2p_addr
    assert pa["addrbind"] == pb["addr"]  # a's side of the socket, as b sees it
    # -whitelist applies to inbound connections unless it says "out".
    assert pb["permissions"] == ["noban", "mempool", "download"]  # noban implies download
    assert pa["permissions"] == []
    optional = {"addrlocal", "mapped_as", "pingtime", "minping", "pingwait"}
    assert [k for k in pa if k not in optional] == GETPEERINFO_FIELDS
    for peer in (pa, pb):
        assert peer["subver"] == "/Satoshi:30.0.0/"
        assert peer["version"] == 70016
        assert peer["servicesnames"] == ["NETWORK", "WITNESS"]
        assert peer["network"] == "not_publicly_routable"
        assert peer["transport_protocol_type"] == "v1"
        assert peer["session_id"] == ""
        assert peer["bytessent_per_msg"]["version"] == 126
        assert peer["bytesrecv_per_msg"]["verack"] == 24
    assert a.rpc().getaddednodeinfo(b.p2p_addr) == [
        {
            "addednode": b.p2p_addr,
            "connected": True,
            "addresses": [{"address": b.p2p_addr, "connected": "outbound"}],
        }
    ]
    info = a.rpc().getnetworkinfo()
    assert (info["connections"], info["connections_in"], info["connections_out"]) == (1, 0, 1)
    a.rpc().ping()
    wait_until(lambda: "pingtime" in a.rpc().getpeerinfo()[0], TIMEOUT, "a ping time")


def test_blocks_mined_on_one_node_reach_the_other(node_factory: NodeFactory) -> None:
    a, b = _connected_pair(node_factory)
    mined = a.rpc().generatetoaddress(110, OP_TRUE_P2SH_ADDRESS)
    wait_until(lambda: b.rpc().getbestblockhash() == mined[-1], TIMEOUT, "b to sync a's blocks")
    back = b.rpc().generatetoaddress(3, OP_TRUE_P2SH_ADDRESS)
    wait_until(lambda: a.rpc().getbestblockhash() == back[-1], TIMEOUT, "a to sync b's blocks")
    assert a.rpc().getblockcount() == b.rpc().getblockcount() == 113
    assert a.rpc().getchaintips() == b.rpc().getchaintips()


def test_transaction_relays_between_nodes(node_factory: NodeFactory) -> None:
    a, b = _connected_pair(node_factory)
    mined = a.rpc().generatetoaddress(101, OP_TRUE_P2SH_ADDRESS)
    wait_until(lambda: b.rpc().getbestblockhash() == mined[-1], TIMEOUT, "b to sync")
    raw, txid = spend_op_true(a.rpc().getblock(mined[0])["tx"][0], 0, INITIAL_SUBSIDY)
    assert a.rpc().sendrawtransaction(raw) == txid
    wait_until(lambda: txid in b.rpc().getrawmempool(), 20, "the transaction at b")


def test_disconnectnode_and_setban_drop_the_peer(node_factory: NodeFactory) -> None:
    a = node_factory("a", ["-debug=net"])
    b = node_factory("b", ["-debug=net"])
    a.rpc().addnode(b.p2p_addr, "onetry")
    wait_until(lambda: _handshaken(a) and _handshaken(b), TIMEOUT, "a and b to connect")
    (pb,) = b.rpc().getpeerinfo()
    b.rpc().disconnectnode("", pb["id"])
    wait_until(lambda: a.rpc().getpeerinfo() == [], TIMEOUT, "a to see the disconnection")
    assert b.rpc().getpeerinfo() == []

    a.rpc().addnode(b.p2p_addr, "onetry")
    wait_until(lambda: _handshaken(b), TIMEOUT, "a to connect again")
    b.rpc().setban("127.0.0.1", "add")
    wait_until(lambda: a.rpc().getpeerinfo() == [], TIMEOUT, "the ban to disconnect a")
    assert [x["address"] for x in b.rpc().listbanned()] == ["127.0.0.1/32"]
    # A banned address is turned away as soon as it connects.
    a.rpc().addnode(b.p2p_addr, "onetry")
    banned = re.compile(r"\[net\] connection from 127\.0\.0\.1:\d+ dropped \(banned\)")
    wait_until(
        lambda: banned.search((b.netdir / "debug.log").read_text()) is not None,
        TIMEOUT,
        "b to refuse the banned address",
    )
    assert b.rpc().getpeerinfo() == []


def test_two_node_demo_agrees_on_the_tip() -> None:
    variant_a, variant_b = default_demo_variants()
    result = run_two_node_demo(variant_a, variant_b)
    assert result.agree
    assert result.tx_relayed and result.tx_confirmed_on_a
    assert result.height_a == 102
    assert [t for t, _ in result.peers_a] == ["manual"] or len(result.peers_a) == 1
