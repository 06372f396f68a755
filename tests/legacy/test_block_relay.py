"""Block relay in legacy/net_processing.py: headers sync, block download, announcements and
the block-related timeouts, driven single-threaded through ConnmanTestMsg with mock time and
seeded randomness (upstream: p2p_sendheaders.py, p2p_unrequested_blocks.py, p2p_ibd_stalling.py,
p2p_getdata.py, p2p_blocksonly.py, the two-node sync of feature_block.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from common.bloom import CBloomFilter
from common.chain import LocatorEntries
from common.chainparams import Params
from common.clock import SetMockTime
from common.connection_types import ConnectionType
from common.merkle import BlockMerkleRoot
from common.messages import (
    msg_block,
    msg_getblocks,
    msg_getdata,
    msg_getheaders,
    msg_headers,
    msg_inv,
    msg_merkleblock,
    msg_sendcmpct,
)
from common.mining import OP_TRUE_SCRIPT, generateBlocks
from common.net_permissions import NetPermissionFlags
from common.pow import CheckProofOfWork
from common.primitives.block import CBlock, CBlockHeader, CBlockLocator
from common.primitives.transaction import CTransaction, CTxOut
from common.protocol import MSG_BLOCK, MSG_FILTERED_BLOCK, MSG_WITNESS_BLOCK, CInv
from common.random import SeedRandomStateForTest
from common.serialize import ser_compact_size, ser_u64
from common.uint256 import ZERO, uint256
from common.validation import ChainstateManager
from legacy import net_processing
from legacy.net import CNode
from legacy.net_processing import (
    BLOCK_STALLING_TIMEOUT_DEFAULT,
    CHAIN_SYNC_TIMEOUT,
    HEADERS_DOWNLOAD_TIMEOUT_BASE,
    HEADERS_RESPONSE_TIME,
    CNodeStateStats,
)

from .nodepair import NodePair, node_pair
from .peerman_util import PEER_SERVICES, T0, Harness, capture_log, logged, make_harness


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[NodePair]:
    SeedRandomStateForTest()
    SetMockTime(T0)
    with node_pair(tmp_path) as p:
        yield p
    SeedRandomStateForTest(None)


def mine(h: Harness, n: int) -> list[uint256]:
    return generateBlocks(h.node.chainman, h.node.mempool, OP_TRUE_SCRIPT, n)


def tip_hash(h: Harness) -> uint256:
    tip = h.node.chainman.ActiveChain().Tip()
    assert tip is not None
    return tip.GetBlockHash()


def test_fresh_node_syncs_a_mined_chain_headers_first(pair: NodePair) -> None:
    mined = mine(pair.a, 300)
    pair.pump()
    assert tip_hash(pair.b) == tip_hash(pair.a) == mined[-1]
    assert pair.b.node.chainman.ActiveHeight() == 300
    # One getheaders from genesis, answered with all 300 headers.
    (b_getheaders,) = [p for s, t, p in pair.traffic if s == "b" and t == "getheaders"]
    assert b_getheaders == getheaders([hash_at(pair.b, 0)])
    (a_headers,) = [p for s, t, p in pair.traffic if s == "a" and t == "headers"]
    assert a_headers == msg_headers([header_at(pair.a, i) for i in range(1, 301)]).serialize()
    # Then the blocks, in order, in batches of MAX_BLOCKS_IN_TRANSIT_PER_PEER (16), each
    # requested with the witness flag.
    requested = [
        inv
        for s, t, p in pair.traffic
        if s == "b" and t == "getdata"
        for inv in msg_getdata.deserialize(p).inv
    ]
    assert requested == [CInv(MSG_WITNESS_BLOCK, h) for h in mined]
    sizes = [
        len(msg_getdata.deserialize(p).inv)
        for s, t, p in pair.traffic
        if s == "b" and t == "getdata"
    ]
    assert sizes == [16] * 18 + [12]
    assert pair.sent("a").count("block") == 300
    # Past initial sync, b asks for headers announcements.
    assert "sendheaders" in pair.sent("b")


def test_synced_nodes_relay_a_new_block_as_a_high_bandwidth_compact_block(
    pair: NodePair,
) -> None:
    mine(pair.a, 5)
    pair.pump()
    # a delivered b's tip, so b asked a for high-bandwidth compact block announcements.
    assert ("b", "sendcmpct", msg_sendcmpct(True, 2).serialize()) in pair.traffic
    pair.traffic.clear()
    (new,) = mine(pair.a, 1)
    pair.pump()
    assert tip_hash(pair.b) == new
    # Announced before a finished validating it; b rebuilt it without a round trip.
    assert [(s, t) for s, t, _ in pair.traffic] == [("a", "cmpctblock")]


# ------------------------------------------------------------------------------------------------
# One node and hand-driven peers


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    SeedRandomStateForTest()
    SetMockTime(T0)
    yield from make_harness(tmp_path)
    SeedRandomStateForTest(None)


@pytest.fixture
def log() -> Iterator[list[str]]:
    yield from capture_log()


def header_at(h: Harness, height: int) -> CBlockHeader:
    pindex = h.node.chainman.ActiveChain()[height]
    assert pindex is not None
    return pindex.GetBlockHeader()


def hash_at(h: Harness, height: int) -> uint256:
    pindex = h.node.chainman.ActiveChain()[height]
    assert pindex is not None
    return pindex.GetBlockHash()


def other_chain(n: int) -> ChainstateManager:
    """A chain of ``n`` blocks the node under test does not know (no data directory)."""
    chainman = ChainstateManager(Params())
    generateBlocks(chainman, None, OP_TRUE_SCRIPT, n)
    return chainman


def other_header(chainman: ChainstateManager, height: int) -> CBlockHeader:
    pindex = chainman.ActiveChain()[height]
    assert pindex is not None
    return pindex.GetBlockHeader()


def read_block(chainman: ChainstateManager, height: int) -> CBlock:
    """The active chain's block at ``height``, read back from the block store."""
    pindex = chainman.ActiveChain()[height]
    assert pindex is not None
    block = chainman.m_blockman.ReadBlock(pindex)
    assert block is not None
    return block


def connected_peer(h: Harness, node_id: int = 0) -> CNode:
    """An inbound peer past the handshake, with our handshake replies taken."""
    pnode = h.add_peer(node_id, f"1.2.3.{node_id + 4}:18444")
    h.handshake(pnode)
    return pnode


def getheaders(locator: list[uint256], hashstop: uint256 = ZERO) -> bytes:
    return msg_getheaders(CBlockLocator(locator), hashstop).serialize()


def test_getheaders_is_answered_from_the_fork_point_to_the_tip(h: Harness) -> None:
    mine(h, 10)
    pnode = connected_peer(h)
    h.deliver(pnode, "getheaders", getheaders([hash_at(h, 3), hash_at(h, 0)]))
    assert h.take(pnode) == [
        ("headers", msg_headers([header_at(h, i) for i in range(4, 11)]).serialize())
    ]
    state = h.peerman.State(pnode.GetId())
    assert state is not None
    assert state.pindexBestHeaderSent is h.node.chainman.ActiveChain().Tip()


def test_getheaders_stops_at_hashstop_and_at_max_headers_result(h: Harness) -> None:
    mine(h, 10)
    pnode = connected_peer(h)
    h.deliver(pnode, "getheaders", getheaders([hash_at(h, 0)], hash_at(h, 5)))
    assert h.take(pnode) == [
        ("headers", msg_headers([header_at(h, i) for i in range(1, 6)]).serialize())
    ]
    h.peerman.m_opts.max_headers_result = 3
    h.deliver(pnode, "getheaders", getheaders([hash_at(h, 0)]))
    assert h.take(pnode) == [
        ("headers", msg_headers([header_at(h, i) for i in range(1, 4)]).serialize())
    ]


def test_getheaders_with_null_locator_returns_the_hashstop_header(h: Harness) -> None:
    mine(h, 5)
    pnode = connected_peer(h)
    h.deliver(pnode, "getheaders", getheaders([], hash_at(h, 2)))
    assert h.take(pnode) == [("headers", msg_headers([header_at(h, 2)]).serialize())]
    h.deliver(pnode, "getheaders", getheaders([], uint256(b"\x42" * 32)))
    assert h.take(pnode) == []


def test_getheaders_below_minimum_chain_work_gets_an_empty_headers_reply(h: Harness) -> None:
    h.node.chainman.m_options.minimum_chain_work = 1 << 40
    pnode = connected_peer(h)
    h.deliver(pnode, "getheaders", getheaders([hash_at(h, 0)]))
    assert h.take(pnode) == [("headers", b"\x00")]


def test_unconnecting_headers_are_answered_with_getheaders_from_our_best_header(
    h: Harness, log: list[str]
) -> None:
    # A chain the node does not know: the first header sent does not connect.
    other = other_chain(3)
    hdr = [other_header(other, i) for i in range(4)]
    pnode = connected_peer(h)
    # The handshake's initial getheaders is still in flight for HEADERS_RESPONSE_TIME.
    h.deliver(pnode, "headers", msg_headers(hdr[2:]).serialize())
    assert h.take(pnode) == []
    SetMockTime(T0 + HEADERS_RESPONSE_TIME + 1)
    h.deliver(pnode, "headers", msg_headers(hdr[2:]).serialize())
    assert h.take(pnode) == [("getheaders", getheaders([hash_at(h, 0)]))]
    assert logged(
        log,
        f"received header {hdr[2].GetHash().ToString()}: missing prev block "
        f"{hdr[1].GetHash().ToString()}, sending getheaders (0) to end (peer=0)",
    )
    state = h.peerman.State(pnode.GetId())
    assert state is not None and state.hashLastUnknownBlock == hdr[3].GetHash()
    # The missing headers arrive: they connect, and the peer's best block becomes known.
    h.deliver(pnode, "headers", msg_headers(hdr[1:]).serialize())
    assert state.pindexBestKnownBlock is not None
    assert state.pindexBestKnownBlock.GetBlockHash() == hdr[3].GetHash()
    assert h.node.chainman.m_best_header is state.pindexBestKnownBlock


def test_non_continuous_headers_are_misbehaviour(h: Harness, log: list[str]) -> None:
    other = other_chain(3)
    pnode = connected_peer(h)
    h.deliver(
        pnode, "headers", msg_headers([other_header(other, 1), other_header(other, 3)]).serialize()
    )
    assert logged(log, "Misbehaving: peer=0: non-continuous headers sequence")
    h.send_messages(pnode)
    assert pnode.fDisconnect


def test_headers_with_bad_proof_of_work_are_misbehaviour(h: Harness, log: list[str]) -> None:
    bad = CBlockHeader(1, hash_at(h, 0), uint256(b"\x01" * 32), T0, 0x1D00FFFF, 0)
    pnode = connected_peer(h)
    h.deliver(pnode, "headers", msg_headers([bad]).serialize())
    assert logged(log, "Misbehaving: peer=0: header with invalid proof of work")


def test_oversized_headers_message_is_misbehaviour(h: Harness, log: list[str]) -> None:
    pnode = connected_peer(h)
    h.deliver(pnode, "headers", ser_compact_size(2001))
    assert logged(log, "Misbehaving: peer=0: headers message size = 2001")


def test_new_block_is_announced_by_headers_to_sendheaders_peers_and_by_inv_otherwise(
    h: Harness,
) -> None:
    mine(h, 5)
    wants_headers = connected_peer(h, 0)
    h.deliver(wants_headers, "sendheaders")
    h.deliver(wants_headers, "getheaders", getheaders([hash_at(h, 5)]))
    assert h.take(wants_headers) == [("headers", b"\x00")]
    wants_inv = connected_peer(h, 1)
    for pnode in (wants_headers, wants_inv):
        h.send_messages(pnode)
        h.take(pnode)

    (new,) = mine(h, 1)
    h.send_messages(wants_headers)
    assert h.take(wants_headers) == [("headers", msg_headers([header_at(h, 6)]).serialize())]
    h.send_messages(wants_inv)
    assert h.take(wants_inv) == [("inv", msg_inv([CInv(MSG_BLOCK, new)]).serialize())]


def test_headers_announcement_falls_back_to_inv_when_the_peer_lacks_the_parent(
    h: Harness,
) -> None:
    mine(h, 5)
    pnode = connected_peer(h)
    h.deliver(pnode, "sendheaders")
    h.send_messages(pnode)
    h.take(pnode)
    # We never told the peer about blocks 1..5, so a header for 6 would not connect.
    (new,) = mine(h, 1)
    h.send_messages(pnode)
    assert h.take(pnode) == [("inv", msg_inv([CInv(MSG_BLOCK, new)]).serialize())]


def test_getblocks_queues_500_invs_and_invs_the_tip_when_the_last_is_requested(
    h: Harness,
) -> None:
    mine(h, 502)
    pnode = connected_peer(h)
    h.deliver(pnode, "getblocks", msg_getblocks(CBlockLocator([hash_at(h, 0)])).serialize())
    h.send_messages(pnode)
    expected = [CInv(MSG_BLOCK, hash_at(h, i)) for i in range(1, 501)]
    assert h.take(pnode) == [("inv", msg_inv(expected).serialize())]

    h.deliver(pnode, "getdata", msg_getdata([CInv(MSG_BLOCK, hash_at(h, 500))]).serialize())
    block = read_block(h.node.chainman, 500)
    assert block is not None
    assert h.take(pnode) == [
        ("block", block.serialize(with_witness=False)),
        ("inv", msg_inv([CInv(MSG_BLOCK, hash_at(h, 502))]).serialize()),
    ]


def test_getblocks_stops_at_hashstop(h: Harness) -> None:
    mine(h, 5)
    pnode = connected_peer(h)
    h.deliver(
        pnode,
        "getblocks",
        msg_getblocks(CBlockLocator([hash_at(h, 1)]), hash_at(h, 4)).serialize(),
    )
    h.send_messages(pnode)
    expected = [CInv(MSG_BLOCK, hash_at(h, i)) for i in (2, 3)]
    assert h.take(pnode) == [("inv", msg_inv(expected).serialize())]


def test_getdata_serves_blocks_with_and_without_witness(h: Harness) -> None:
    mine(h, 2)
    pnode = connected_peer(h)
    block = read_block(h.node.chainman, 1)
    assert block is not None
    assert block.serialize() != block.serialize(with_witness=False)
    h.deliver(
        pnode,
        "getdata",
        msg_getdata(
            [CInv(MSG_WITNESS_BLOCK, hash_at(h, 1)), CInv(MSG_BLOCK, hash_at(h, 1))]
        ).serialize(),
    )
    # One block per ProcessGetData call: the second is served on the next ProcessMessages.
    assert h.take(pnode) == [("block", block.serialize())]
    h.connman.ProcessMessagesOnce(pnode)
    assert h.take(pnode) == [("block", block.serialize(with_witness=False))]


def test_getdata_for_an_unknown_block_is_ignored(h: Harness) -> None:
    pnode = connected_peer(h)
    h.deliver(pnode, "getdata", msg_getdata([CInv(MSG_BLOCK, uint256(b"\x07" * 32))]).serialize())
    assert h.take(pnode) == []
    assert not pnode.fDisconnect


def test_block_received_is_validated_and_becomes_our_tip(h: Harness) -> None:
    other = other_chain(1)
    block = read_block(other, 1)
    assert block is not None
    pnode = connected_peer(h)
    h.deliver(pnode, "block", msg_block(block).serialize())
    assert tip_hash(h) == block.GetHash()
    assert pnode.m_last_block_time == T0


def test_mutated_block_is_misbehaviour(h: Harness, log: list[str]) -> None:
    other = other_chain(1)
    block = read_block(other, 1)
    assert block is not None
    block.vtx.append(block.vtx[0])  # merkle root no longer matches
    pnode = connected_peer(h)
    h.deliver(pnode, "block", msg_block(block).serialize())
    assert logged(log, "Misbehaving: peer=0: mutated block")
    assert h.node.chainman.ActiveHeight() == 0


def test_invalid_block_from_a_peer_is_punished_through_block_checked(
    h: Harness, log: list[str]
) -> None:
    other = other_chain(1)
    block = read_block(other, 1)
    assert block is not None
    # Overspend the coinbase: the header and merkle root stay consistent.
    cb = block.vtx[0]
    vout = [CTxOut(cb.vout[0].nValue + 1, cb.vout[0].scriptPubKey), *cb.vout[1:]]
    block.vtx[0] = CTransaction(cb.vin, vout, cb.nLockTime, cb.version)
    block.hashMerkleRoot = BlockMerkleRoot(block)[0]
    while not CheckProofOfWork(block.GetHash(), block.nBits, Params().GetConsensus()):
        block.nNonce += 1
    pnode = connected_peer(h)
    h.deliver(pnode, "block", msg_block(block).serialize())
    assert h.node.chainman.ActiveHeight() == 0
    assert logged(log, "Misbehaving: peer=0")
    h.send_messages(pnode)
    assert pnode.fDisconnect


def outbound_peer(h: Harness, node_id: int) -> CNode:
    pnode = h.add_peer(
        node_id,
        f"10.0.0.{node_id + 1}:18444",
        ConnectionType.OUTBOUND_FULL_RELAY,
        addr_services=PEER_SERVICES,
    )
    h.handshake(pnode)
    return pnode


def requested_blocks(frames: list[tuple[str, bytes]]) -> list[uint256]:
    return [inv.hash for t, p in frames if t == "getdata" for inv in msg_getdata.deserialize(p).inv]


def test_peer_stalling_the_download_window_is_disconnected(
    h: Harness, log: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 20-block window over a 40-block chain: one peer holds blocks 1..16 in flight while the
    # other has delivered the rest of the window and could fetch more if the window moved.
    monkeypatch.setattr(net_processing, "BLOCK_DOWNLOAD_WINDOW", 20)
    other = other_chain(40)
    headers = msg_headers([other_header(other, i) for i in range(1, 41)]).serialize()
    staller, fast = outbound_peer(h, 0), outbound_peer(h, 1)

    h.deliver(staller, "headers", headers)
    h.send_messages(staller)
    assert requested_blocks(h.take(staller)) == [
        other_header(other, i).GetHash() for i in range(1, 17)
    ]

    h.deliver(fast, "headers", headers)
    h.send_messages(fast)
    assert requested_blocks(h.take(fast)) == [
        other_header(other, i).GetHash() for i in range(17, 21)
    ]
    for i in range(17, 21):
        block = read_block(other, i)
        assert block is not None
        h.deliver(fast, "block", msg_block(block).serialize())
    h.send_messages(fast)
    assert requested_blocks(h.take(fast)) == []
    assert logged(log, "Stall started peer=0")

    SetMockTime(T0 + BLOCK_STALLING_TIMEOUT_DEFAULT)
    h.send_messages(staller)
    assert not staller.fDisconnect
    SetMockTime(T0 + BLOCK_STALLING_TIMEOUT_DEFAULT + 1)
    h.send_messages(staller)
    assert staller.fDisconnect
    assert logged(log, "Peer is stalling block download, disconnecting peer=0")
    assert h.peerman.m_block_stalling_timeout == 2 * BLOCK_STALLING_TIMEOUT_DEFAULT
    assert logged(log, "Increased stalling timeout temporarily to 4 seconds")

    # Once CConnman finalizes the staller, the other peer is asked for its blocks.
    h.peerman.FinalizeNode(staller)
    h.send_messages(fast)
    assert requested_blocks(h.take(fast)) == [
        other_header(other, i).GetHash() for i in range(1, 17)
    ]


def test_block_download_timeout_disconnects_after_one_block_interval(
    h: Harness, log: list[str]
) -> None:
    other = other_chain(1)
    pnode = outbound_peer(h, 0)
    h.deliver(pnode, "headers", msg_headers([other_header(other, 1)]).serialize())
    h.send_messages(pnode)
    assert requested_blocks(h.take(pnode)) == [other_header(other, 1).GetHash()]
    spacing = Params().GetConsensus().nPowTargetSpacing
    SetMockTime(T0 + spacing)
    h.send_messages(pnode)
    assert not pnode.fDisconnect
    SetMockTime(T0 + spacing + 1)
    h.send_messages(pnode)
    assert pnode.fDisconnect
    assert logged(
        log,
        f"Timeout downloading block {other_header(other, 1).GetHash().ToString()}, "
        "disconnecting peer=0",
    )


# ------------------------------------------------------------------------------------------------
# Low-work headers sync (HeadersSyncState)


def test_low_work_headers_are_downloaded_twice_before_they_are_stored(
    h: Harness, log: list[str]
) -> None:
    # Our chain of 160 blocks puts the anti-DoS threshold at 144 blocks below our tip's work:
    # a fork from genesis needs more than 16 headers to pass it.
    mine(h, 160)
    h.peerman.m_opts.max_headers_result = 10
    fork = ChainstateManager(Params())
    generateBlocks(fork, None, b"\x51\x51", 20)
    hdr = [other_header(fork, i) for i in range(21)]
    genesis = hdr[0].GetHash()
    pnode = connected_peer(h)

    def headers(first: int, last: int) -> bytes:
        return msg_headers(hdr[first : last + 1]).serialize()

    # PRESYNC: a full message of low-work headers starts the sync; nothing is stored.
    h.deliver(pnode, "headers", headers(1, 10))
    assert h.take(pnode) == [("getheaders", getheaders([hdr[10].GetHash(), genesis]))]
    assert h.node.chainman.m_blockman.LookupBlockIndex(hdr[1].GetHash()) is None
    stats = CNodeStateStats()
    assert h.peerman.GetNodeStateStats(pnode.GetId(), stats)
    assert stats.presync_height == 10
    assert any(
        "Initial headers sync started with peer=0: height=0, max_commitments=" in line
        for line in log
    )

    # Enough work seen: REDOWNLOAD starts over from the fork point.
    h.deliver(pnode, "headers", headers(11, 20))
    assert h.take(pnode) == [("getheaders", getheaders([genesis, genesis]))]
    assert logged(
        log,
        "Initial headers sync transition with peer=0: reached sufficient work at height=20, "
        "redownloading from height=0",
    )
    h.deliver(pnode, "headers", headers(1, 10))
    assert h.take(pnode) == [("getheaders", getheaders([hdr[10].GetHash(), genesis]))]
    assert h.node.chainman.m_blockman.LookupBlockIndex(hdr[1].GetHash()) is None

    # The redownloaded chain reaches the threshold: every header is released and stored.
    h.deliver(pnode, "headers", headers(11, 20))
    assert logged(
        log,
        "Initial headers sync complete with peer=0: releasing all at height=20 (redownload phase)",
    )
    for i in range(1, 21):
        assert h.node.chainman.m_blockman.LookupBlockIndex(hdr[i].GetHash()) is not None
    peer = h.peerman.GetPeerRef(pnode.GetId())
    assert peer is not None and peer.m_headers_sync is None
    # The message was full, so the peer may have more.
    assert h.take(pnode) == [("getheaders", getheaders(LocatorEntries(fork.ActiveTip())))]


def test_short_low_work_headers_message_is_ignored(h: Harness, log: list[str]) -> None:
    mine(h, 160)
    fork = ChainstateManager(Params())
    generateBlocks(fork, None, b"\x51\x51", 5)
    pnode = connected_peer(h)
    h.deliver(
        pnode, "headers", msg_headers([other_header(fork, i) for i in range(1, 6)]).serialize()
    )
    assert logged(log, "Ignoring low-work chain (height=5) from peer=0")
    assert h.node.chainman.m_blockman.LookupBlockIndex(other_header(fork, 1).GetHash()) is None
    assert h.take(pnode) == []


def answer_ping(h: Harness, pnode: CNode) -> None:
    """Reply to our outstanding ping, if any, so that the ping timeout stays out of the way."""
    peer = h.peerman.GetPeerRef(pnode.GetId())
    assert peer is not None
    if peer.m_ping_nonce_sent:
        h.deliver(pnode, "pong", ser_u64(peer.m_ping_nonce_sent))


def test_outbound_peer_on_a_stale_chain_is_asked_once_then_evicted(
    h: Harness, log: list[str]
) -> None:
    mine(h, 5)
    pnode = outbound_peer(h, 0)
    state = h.peerman.State(pnode.GetId())
    assert state is not None and state.fSyncStarted
    # The peer never announces a chain with our tip's work: CHAIN_SYNC_TIMEOUT runs from the
    # first check, then one getheaders from our tip's parent, then HEADERS_RESPONSE_TIME.
    h.send_messages(pnode)
    h.take(pnode)
    assert state.m_chain_sync.m_timeout == T0 + CHAIN_SYNC_TIMEOUT

    SetMockTime(T0 + CHAIN_SYNC_TIMEOUT)
    answer_ping(h, pnode)
    h.send_messages(pnode)
    assert "getheaders" not in [t for t, _ in h.take(pnode)]
    SetMockTime(T0 + CHAIN_SYNC_TIMEOUT + 1)
    answer_ping(h, pnode)
    h.send_messages(pnode)
    assert ("getheaders", getheaders(LocatorEntries(h.node.chainman.ActiveChain()[4]))) in h.take(
        pnode
    )
    assert state.m_chain_sync.m_sent_getheaders

    SetMockTime(T0 + CHAIN_SYNC_TIMEOUT + 1 + HEADERS_RESPONSE_TIME + 1)
    answer_ping(h, pnode)
    h.send_messages(pnode)
    assert pnode.fDisconnect
    assert logged(
        log, "Outbound peer has old chain, best known block = <none>, disconnecting peer=0"
    )


def test_outbound_peer_catching_up_is_not_evicted(h: Harness) -> None:
    mine(h, 5)
    pnode = outbound_peer(h, 0)
    h.send_messages(pnode)
    h.take(pnode)
    SetMockTime(T0 + CHAIN_SYNC_TIMEOUT + 1)
    answer_ping(h, pnode)
    h.send_messages(pnode)
    h.take(pnode)
    # The peer answers with our chain: its best known block now has our tip's work.
    h.deliver(pnode, "headers", msg_headers([header_at(h, i) for i in range(1, 6)]).serialize())
    SetMockTime(T0 + CHAIN_SYNC_TIMEOUT + HEADERS_RESPONSE_TIME + 10)
    answer_ping(h, pnode)
    h.send_messages(pnode)
    assert not pnode.fDisconnect
    # A full outbound peer with our tip's work is protected from this eviction logic for good.
    state = h.peerman.State(pnode.GetId())
    assert state is not None and state.m_chain_sync.m_protect
    assert h.peerman.m_outbound_peers_with_protect_from_disconnect == 1


def test_initial_headers_sync_peer_that_stalls_is_disconnected(h: Harness, log: list[str]) -> None:
    # Fresh node (genesis is from 2011): headers sync starts with one preferred peer only.
    sync_peer, other = outbound_peer(h, 0), outbound_peer(h, 1)
    assert h.peerman.nSyncStarted == 1
    sync_state = h.peerman.State(sync_peer.GetId())
    other_state = h.peerman.State(other.GetId())
    assert sync_state is not None and sync_state.fSyncStarted
    assert other_state is not None and not other_state.fSyncStarted

    # 15 minutes, plus 1ms per header expected since genesis at one per 10 minutes.
    genesis_time = header_at(h, 0).nTime
    expected = HEADERS_DOWNLOAD_TIMEOUT_BASE + 1_000 * (T0 - genesis_time) // 600
    peer = h.peerman.GetPeerRef(sync_peer.GetId())
    assert peer is not None and peer.m_headers_sync_timeout == T0 * 1_000_000 + expected

    # The peer shows it has our tip (genesis), which keeps the outbound chain-sync eviction
    # (CHAIN_SYNC_TIMEOUT) away; it just never answers our getheaders.
    h.deliver(sync_peer, "inv", msg_inv([CInv(MSG_BLOCK, hash_at(h, 0))]).serialize())
    deadline = (T0 * 1_000_000 + expected) // 1_000_000
    for t in range(T0 + 60, deadline + 1, 60):
        SetMockTime(t)
        answer_ping(h, sync_peer)
        h.send_messages(sync_peer)
        assert not sync_peer.fDisconnect
    SetMockTime(deadline + 1)
    answer_ping(h, sync_peer)
    h.send_messages(sync_peer)
    assert sync_peer.fDisconnect
    assert logged(log, "Timeout downloading headers, disconnecting peer=0")


def test_filtered_block_is_served_as_merkleblock_with_the_matched_transactions(
    h: Harness,
) -> None:
    mine(h, 1)
    block = read_block(h.node.chainman, 1)
    coinbase = block.vtx[0]
    bloom = CBloomFilter(10, 0.000001, 0, 0)
    bloom.insert(coinbase.GetHash())
    pnode = h.add_peer(0, permissions=NetPermissionFlags.BloomFilter)
    h.handshake(pnode)
    h.deliver(pnode, "filterload", bloom.serialize())
    h.deliver(pnode, "getdata", msg_getdata([CInv(MSG_FILTERED_BLOCK, hash_at(h, 1))]).serialize())
    frames = h.take(pnode)
    assert [t for t, _ in frames] == ["merkleblock", "tx"]
    merkleblock = msg_merkleblock.deserialize(frames[0][1]).merkleblock
    assert merkleblock.header == block.GetBlockHeader()
    assert merkleblock.txn.nTransactions == 1
    assert merkleblock.txn.vHash == [coinbase.GetHash()]
    assert merkleblock.txn.vBits == [True] + [False] * 7
    assert frames[1][1] == coinbase.serialize(with_witness=False)


def test_filtered_block_without_a_filter_gets_no_reply(h: Harness) -> None:
    mine(h, 1)
    pnode = h.add_peer(0, permissions=NetPermissionFlags.BloomFilter)
    h.handshake(pnode)
    h.deliver(pnode, "getdata", msg_getdata([CInv(MSG_FILTERED_BLOCK, hash_at(h, 1))]).serialize())
    assert h.take(pnode) == []
