"""Compact block relay (BIP 152) in legacy/net_processing.py and legacy/blockencodings.py:
short ids, high-bandwidth announcements, reconstruction from the mempool, getblocktxn and
blocktxn, driven single-threaded through ConnmanTestMsg with mock time and seeded randomness
(upstream: p2p_compactblocks.py, blockencodings_tests.cpp)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from common.clock import SetMockTime
from common.connection_types import ConnectionType
from common.mempool_entry import MemPoolRemovalReason
from common.messages import (
    BlockTransactions,
    BlockTransactionsRequest,
    msg_block,
    msg_blocktxn,
    msg_getblocktxn,
    msg_getheaders,
    msg_sendcmpct,
)
from common.mining import (
    OP_TRUE_SCRIPT,
    CreateNewBlock,
    GenerateBlock,
    GetCoinbaseAt,
    MakeSpendingTransaction,
    generateBlocks,
)
from common.primitives.block import CBlock, CBlockLocator
from common.primitives.transaction import CTransaction
from common.random import SeedRandomStateForTest
from common.serialize import DataStream
from common.uint256 import uint256
from legacy.blockencodings import (
    READ_STATUS_FAILED,
    READ_STATUS_INVALID,
    READ_STATUS_OK,
    CBlockHeaderAndShortTxIDs,
    PartiallyDownloadedBlock,
)
from legacy.net import CNode

from .peerman_util import PEER_SERVICES, T0, Harness, capture_log, logged, make_harness

CHAIN_LENGTH = 101


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    SeedRandomStateForTest()
    SetMockTime(T0)
    for harness in make_harness(tmp_path):
        generateBlocks(harness.node.chainman, harness.node.mempool, OP_TRUE_SCRIPT, CHAIN_LENGTH)
        yield harness
    SeedRandomStateForTest(None)


@pytest.fixture
def log() -> Iterator[list[str]]:
    yield from capture_log()


def spend(h: Harness, height: int) -> CTransaction:
    return MakeSpendingTransaction(GetCoinbaseAt(h.node.chainman, height), witness=(b"\x01",))


def submit(h: Harness, tx: CTransaction) -> None:
    result = h.node.chainman.ProcessTransaction(tx)
    assert result.m_state.IsValid(), result.m_state.ToString()


def unprocessed_block(h: Harness) -> CBlock:
    """A solved block on our tip with everything in our mempool, not given to validation."""
    block = CreateNewBlock(h.node.chainman, h.node.mempool)
    ok, solved, _ = GenerateBlock(h.node.chainman, block, 1_000_000, process_new_block=False)
    assert ok and solved is not None
    return solved


def cmpct_peer(h: Harness, node_id: int, high_bandwidth: bool = False) -> CNode:
    """An outbound peer past the handshake that offers compact blocks (sendcmpct version 2)."""
    pnode = h.add_peer(
        node_id,
        f"10.0.0.{node_id + 1}:18444",
        ConnectionType.OUTBOUND_FULL_RELAY,
        addr_services=PEER_SERVICES,
    )
    h.handshake(pnode)
    h.deliver(pnode, "sendcmpct", msg_sendcmpct(high_bandwidth, 2).serialize())
    h.send_messages(pnode)
    h.take(pnode)
    return pnode


def tip_hash(h: Harness) -> uint256:
    tip = h.node.chainman.ActiveChain().Tip()
    assert tip is not None
    return tip.GetBlockHash()


# ------------------------------------------------------------------------------------------------
# blockencodings


def test_short_ids_are_siphash_of_the_wtxid_keyed_by_header_and_nonce(h: Harness) -> None:
    submit(h, spend(h, 1))
    submit(h, spend(h, 2))
    block = unprocessed_block(h)
    cmpct = CBlockHeaderAndShortTxIDs.FromBlock(block, 0x0123456789ABCDEF)
    assert cmpct.header == block.GetBlockHeader()
    assert [(p.index, p.tx) for p in cmpct.prefilledtxn] == [(0, block.vtx[0])]
    assert len(cmpct.shorttxids) == 2
    assert all(0 <= s < 1 << 48 for s in cmpct.shorttxids)
    assert cmpct.shorttxids == [cmpct.GetShortID(tx.GetWitnessHash()) for tx in block.vtx[1:]]
    # The keys survive the wire.
    decoded = CBlockHeaderAndShortTxIDs.deserialize(DataStream(cmpct.serialize()))
    assert (decoded.shorttxidk0, decoded.shorttxidk1) == (cmpct.shorttxidk0, cmpct.shorttxidk1)
    assert decoded == cmpct


def test_partially_downloaded_block_fills_from_mempool_and_missing_transactions(
    h: Harness,
) -> None:
    have, missing = spend(h, 1), spend(h, 2)
    submit(h, have)
    submit(h, missing)
    block = unprocessed_block(h)
    h.node.mempool.removeRecursive(missing, MemPoolRemovalReason.EXPIRY)
    cmpct = CBlockHeaderAndShortTxIDs.FromBlock(block, 7)

    partial = PartiallyDownloadedBlock(h.node.mempool)
    assert partial.InitData(cmpct, []) == READ_STATUS_OK
    index_of = {tx.GetHash(): i for i, tx in enumerate(block.vtx)}
    assert partial.IsTxAvailable(0)
    assert partial.IsTxAvailable(index_of[have.GetHash()])
    assert not partial.IsTxAvailable(index_of[missing.GetHash()])
    # A second InitData is invalid.
    assert partial.InitData(cmpct, []) == READ_STATUS_INVALID

    filled = CBlock()
    assert partial.FillBlock(filled, [missing], True) == READ_STATUS_OK
    assert filled == block
    # Only once.
    assert partial.FillBlock(CBlock(), [missing], True) == READ_STATUS_INVALID


def test_fill_block_rejects_wrong_counts_and_reports_collisions_as_failed(h: Harness) -> None:
    tx = spend(h, 1)
    submit(h, tx)
    block = unprocessed_block(h)
    h.node.mempool.removeRecursive(tx, MemPoolRemovalReason.EXPIRY)
    cmpct = CBlockHeaderAndShortTxIDs.FromBlock(block, 7)

    too_many = PartiallyDownloadedBlock(h.node.mempool)
    assert too_many.InitData(cmpct, []) == READ_STATUS_OK
    assert too_many.FillBlock(CBlock(), [tx, tx], True) == READ_STATUS_INVALID

    wrong_tx = PartiallyDownloadedBlock(h.node.mempool)
    assert wrong_tx.InitData(cmpct, []) == READ_STATUS_OK
    # A transaction that does not match the merkle root looks like a short id collision.
    assert wrong_tx.FillBlock(CBlock(), [spend(h, 3)], True) == READ_STATUS_FAILED


def test_duplicate_short_ids_fail_init_data(h: Harness) -> None:
    submit(h, spend(h, 1))
    submit(h, spend(h, 2))
    cmpct = CBlockHeaderAndShortTxIDs.FromBlock(unprocessed_block(h), 7)
    cmpct.shorttxids[1] = cmpct.shorttxids[0]
    assert PartiallyDownloadedBlock(h.node.mempool).InitData(cmpct, []) == READ_STATUS_FAILED


def test_extra_transactions_complete_a_compact_block(h: Harness) -> None:
    tx = spend(h, 1)
    submit(h, tx)
    block = unprocessed_block(h)
    h.node.mempool.removeRecursive(tx, MemPoolRemovalReason.EXPIRY)
    cmpct = CBlockHeaderAndShortTxIDs.FromBlock(block, 7)
    partial = PartiallyDownloadedBlock(h.node.mempool)
    assert partial.InitData(cmpct, [None, (tx.GetWitnessHash(), tx)]) == READ_STATUS_OK
    filled = CBlock()
    assert partial.FillBlock(filled, [], True) == READ_STATUS_OK
    assert filled == block


# ------------------------------------------------------------------------------------------------
# net_processing


def test_compact_block_is_reconstructed_from_the_mempool_without_a_round_trip(
    h: Harness,
) -> None:
    txs = [spend(h, 1), spend(h, 2)]
    for tx in txs:
        submit(h, tx)
    block = unprocessed_block(h)
    pnode = cmpct_peer(h, 0)
    cmpct = CBlockHeaderAndShortTxIDs.FromBlock(block, 99)
    h.deliver(pnode, "cmpctblock", cmpct.serialize())
    assert tip_hash(h) == block.GetHash()
    assert h.node.mempool.size() == 0
    assert not h.peerman.mapBlocksInFlight
    # The peer gave us a new tip: we ask it for high-bandwidth announcements.
    assert h.take(pnode) == [("sendcmpct", msg_sendcmpct(True, 2).serialize())]


def test_compact_block_with_missing_transactions_is_completed_through_getblocktxn(
    h: Harness,
) -> None:
    have, missing = spend(h, 1), spend(h, 2)
    submit(h, have)
    submit(h, missing)
    block = unprocessed_block(h)
    h.node.mempool.removeRecursive(missing, MemPoolRemovalReason.EXPIRY)
    index = next(i for i, tx in enumerate(block.vtx) if tx.GetHash() == missing.GetHash())
    pnode = cmpct_peer(h, 0)

    h.deliver(pnode, "cmpctblock", CBlockHeaderAndShortTxIDs.FromBlock(block, 5).serialize())
    assert h.take(pnode) == [
        (
            "getblocktxn",
            msg_getblocktxn(BlockTransactionsRequest(block.GetHash(), [index])).serialize(),
        )
    ]
    assert h.node.chainman.ActiveHeight() == CHAIN_LENGTH

    h.deliver(
        pnode,
        "blocktxn",
        msg_blocktxn(BlockTransactions(block.GetHash(), [missing])).serialize(),
    )
    assert tip_hash(h) == block.GetHash()
    assert not h.peerman.mapBlocksInFlight


def test_blocktxn_with_the_wrong_transactions_falls_back_to_getdata(h: Harness) -> None:
    missing = spend(h, 1)
    submit(h, missing)
    block = unprocessed_block(h)
    h.node.mempool.removeRecursive(missing, MemPoolRemovalReason.EXPIRY)
    pnode = cmpct_peer(h, 0)
    h.deliver(pnode, "cmpctblock", CBlockHeaderAndShortTxIDs.FromBlock(block, 5).serialize())
    h.take(pnode)
    h.deliver(
        pnode,
        "blocktxn",
        msg_blocktxn(BlockTransactions(block.GetHash(), [spend(h, 2)])).serialize(),
    )
    # Looks like a short id collision: the full block is requested.
    assert h.take(pnode) == [("getdata", msg_getdata_block(block.GetHash()))]
    h.deliver(pnode, "block", msg_block(block).serialize())
    assert tip_hash(h) == block.GetHash()


def test_unexpected_blocktxn_is_ignored(h: Harness, log: list[str]) -> None:
    pnode = cmpct_peer(h, 0)
    h.deliver(
        pnode, "blocktxn", msg_blocktxn(BlockTransactions(uint256(b"\x05" * 32), [])).serialize()
    )
    assert logged(log, "Peer 0 sent us block transactions for block we weren't expecting")
    assert not pnode.fDisconnect


def test_new_block_is_announced_as_compact_block_to_high_bandwidth_peers(h: Harness) -> None:
    submit(h, spend(h, 1))
    hb = cmpct_peer(h, 0, high_bandwidth=True)
    lb = cmpct_peer(h, 1, high_bandwidth=False)
    for pnode in (hb, lb):
        # The peers have our tip.
        h.deliver(pnode, "getheaders", msg_getheaders(CBlockLocator([tip_hash(h)])).serialize())
        h.take(pnode)

    (new,) = generateBlocks(h.node.chainman, h.node.mempool, OP_TRUE_SCRIPT, 1)
    frames = h.take(hb)
    assert [t for t, _ in frames] == ["cmpctblock"]
    cmpct = CBlockHeaderAndShortTxIDs.deserialize(DataStream(frames[0][1]))
    tip = h.node.chainman.ActiveChain().Tip()
    assert tip is not None and tip.GetBlockHash() == new
    block = h.node.chainman.m_blockman.ReadBlock(tip)
    assert block is not None
    assert cmpct == CBlockHeaderAndShortTxIDs.FromBlock(block, cmpct.nonce)
    # Announced already: SendMessages does not repeat it.
    h.send_messages(hb)
    assert h.take(hb) == []
    # The low-bandwidth peer gets the block announced by inv.
    assert h.take(lb) == []
    h.send_messages(lb)
    assert [t for t, _ in h.take(lb)] == ["inv"]


def test_getblocktxn_is_answered_with_the_requested_transactions(h: Harness) -> None:
    txs = [spend(h, 1), spend(h, 2)]
    for tx in txs:
        submit(h, tx)
    generateBlocks(h.node.chainman, h.node.mempool, OP_TRUE_SCRIPT, 1)
    tip = h.node.chainman.ActiveChain().Tip()
    assert tip is not None
    block = h.node.chainman.m_blockman.ReadBlock(tip)
    assert block is not None
    pnode = cmpct_peer(h, 0)
    h.deliver(
        pnode,
        "getblocktxn",
        msg_getblocktxn(BlockTransactionsRequest(block.GetHash(), [0, 2])).serialize(),
    )
    assert h.take(pnode) == [
        (
            "blocktxn",
            msg_blocktxn(
                BlockTransactions(block.GetHash(), [block.vtx[0], block.vtx[2]])
            ).serialize(),
        )
    ]


def test_getblocktxn_out_of_bounds_is_misbehaviour(h: Harness, log: list[str]) -> None:
    generateBlocks(h.node.chainman, h.node.mempool, OP_TRUE_SCRIPT, 1)
    pnode = cmpct_peer(h, 0)
    h.deliver(
        pnode,
        "getblocktxn",
        msg_getblocktxn(BlockTransactionsRequest(tip_hash(h), [1])).serialize(),
    )
    assert logged(log, "Misbehaving: peer=0: getblocktxn with out-of-bounds tx indices")


def test_getblocktxn_for_a_deep_block_is_answered_with_the_block(h: Harness) -> None:
    pnode = cmpct_peer(h, 0)
    deep = h.node.chainman.ActiveChain()[CHAIN_LENGTH - 11]
    assert deep is not None
    block = h.node.chainman.m_blockman.ReadBlock(deep)
    assert block is not None
    h.deliver(
        pnode,
        "getblocktxn",
        msg_getblocktxn(BlockTransactionsRequest(deep.GetBlockHash(), [0])).serialize(),
    )
    # Queued as a getdata for the witness block, served on the next round.
    assert h.take(pnode) == []
    assert h.connman.ProcessMessagesOnce(pnode) is False
    assert h.take(pnode) == [("block", block.serialize())]


def test_peer_delivering_a_new_tip_is_asked_for_high_bandwidth_announcements(
    h: Harness,
) -> None:
    block = unprocessed_block(h)
    pnode = cmpct_peer(h, 0)
    h.deliver(pnode, "block", msg_block(block).serialize())
    assert tip_hash(h) == block.GetHash()
    assert h.take(pnode) == [("sendcmpct", msg_sendcmpct(True, 2).serialize())]
    assert pnode.m_bip152_highbandwidth_to


def msg_getdata_block(block_hash: uint256) -> bytes:
    from common.messages import msg_getdata
    from common.protocol import MSG_BLOCK, MSG_WITNESS_FLAG, CInv

    return msg_getdata([CInv(MSG_BLOCK | MSG_WITNESS_FLAG, block_hash)]).serialize()


def test_at_most_three_peers_are_high_bandwidth_and_the_oldest_is_demoted(h: Harness) -> None:
    peers = [cmpct_peer(h, i) for i in range(4)]
    for pnode in peers:
        h.deliver(pnode, "block", msg_block(unprocessed_block(h)).serialize())
        assert h.take(pnode) == [("sendcmpct", msg_sendcmpct(True, 2).serialize())]
        if pnode is peers[2]:
            assert h.peerman.lNodesAnnouncingHeaderAndIDs == [0, 1, 2]
    # The fourth pushed the first out (BIP 152 allows three).
    assert h.take(peers[0]) == [("sendcmpct", msg_sendcmpct(False, 2).serialize())]
    assert not peers[0].m_bip152_highbandwidth_to
    assert h.peerman.lNodesAnnouncingHeaderAndIDs == [1, 2, 3]
    # A peer already selected moves to the back without messages.
    h.deliver(peers[1], "block", msg_block(unprocessed_block(h)).serialize())
    assert h.take(peers[1]) == []
    assert h.peerman.lNodesAnnouncingHeaderAndIDs == [2, 3, 1]


def test_sendcmpct_of_another_version_is_ignored(h: Harness) -> None:
    pnode = h.add_peer(
        0, "10.0.0.1:18444", ConnectionType.OUTBOUND_FULL_RELAY, addr_services=PEER_SERVICES
    )
    h.handshake(pnode)
    h.deliver(pnode, "sendcmpct", msg_sendcmpct(True, 1).serialize())
    state = h.peerman.State(pnode.GetId())
    assert state is not None and not state.m_provides_cmpctblocks
    h.deliver(pnode, "sendcmpct", msg_sendcmpct(True, 2).serialize())
    assert state.m_provides_cmpctblocks and state.m_requested_hb_cmpctblocks
    assert pnode.m_bip152_highbandwidth_from
