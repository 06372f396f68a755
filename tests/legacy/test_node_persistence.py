"""State that survives a restart: the ban list, addrman (peers.dat), anchors and blocks, after a
clean shutdown and (for what is written as it happens) after ``kill -9``."""

from __future__ import annotations

import shutil
from pathlib import Path

from common.addrdb import ReadAnchors
from netsplit.nodeproc import wait_until
from tests.legacy.node_harness import MINE_ADDRESS, NodeFactory, node_factory

__all__ = ["node_factory"]


def test_bans_survive_a_clean_restart(node_factory: NodeFactory) -> None:
    node = node_factory("n")
    rpc = node.rpc()
    rpc.setban("10.1.2.3", "add", 3600)
    rpc.setban("10.9.0.0/16", "add")
    before = rpc.listbanned()
    assert rpc.stop() == "Bitcoin Core stopping"
    assert node.wait_exit(30) == 0
    node.start()
    after = node.rpc().listbanned()
    assert [(b["address"], b["banned_until"]) for b in after] == [
        (b["address"], b["banned_until"]) for b in before
    ]


def test_blocks_and_bans_survive_kill_9(node_factory: NodeFactory) -> None:
    node = node_factory("n")
    rpc = node.rpc()
    hashes = rpc.generatetoaddress(5, MINE_ADDRESS)
    rpc.setban("10.1.2.3", "add")
    node.kill()
    assert node.process is not None and node.process.returncode == -9
    node.start()
    rpc = node.rpc()
    assert rpc.getblockcount() == 5
    assert rpc.getbestblockhash() == hashes[-1]
    assert [rpc.getblockhash(h) for h in range(1, 6)] == hashes
    assert [b["address"] for b in rpc.listbanned()] == ["10.1.2.3/32"]
    # The chain goes on from there.
    rpc.generatetoaddress(1, MINE_ADDRESS)
    assert rpc.getblockcount() == 6


def test_addrman_survives_a_clean_restart(node_factory: NodeFactory) -> None:
    node = node_factory("n")
    assert node.rpc().addpeeraddress("1.2.3.4", 8333) == {"success": True}
    node.stop()
    node.start()
    addrs = node.rpc().getnodeaddresses(0)
    assert [(a["address"], a["port"]) for a in addrs] == [("1.2.3.4", 8333)]


def test_block_relay_peer_becomes_an_anchor_across_a_clean_restart(
    node_factory: NodeFactory, tmp_path: Path
) -> None:
    a = node_factory("a")
    b = node_factory("b")
    assert a.rpc().addconnection(b.p2p_addr, "block-relay-only", False) == {
        "address": b.p2p_addr,
        "connection_type": "block-relay-only",
    }
    wait_until(
        lambda: [p["connection_type"] for p in a.rpc().getpeerinfo()] == ["block-relay-only"],
        20,
        "the block-relay-only connection",
    )
    a.stop()
    # ReadAnchors deletes the file it reads: read a copy.
    copy = tmp_path / "anchors.copy"
    shutil.copyfile(a.netdir / "anchors.dat", copy)
    assert [addr.ToStringAddrPort() for addr in ReadAnchors(copy)] == [b.p2p_addr]
    a.start()
    log = (a.netdir / "debug.log").read_text()
    assert 'Loaded 1 addresses from "anchors.dat"' in log
    assert "1 block-relay-only anchors will be tried for connections." in log
    assert not (a.netdir / "anchors.dat").exists()  # read once at start-up, as upstream
