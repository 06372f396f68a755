"""The validation stand-in: block and header acceptance with upstream's reject reasons, the
most-work chain, reorganizations with their UTXO, mempool and signal effects, persistence."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from common.chain import (
    BLOCK_FAILED_CHILD,
    BLOCK_FAILED_VALID,
    BLOCK_HAVE_DATA,
    BLOCK_HAVE_UNDO,
    BLOCK_OPT_WITNESS,
    BLOCK_VALID_SCRIPTS,
    BLOCK_VALID_TREE,
    CBlockIndex,
    GetLocator,
)
from common.chainparams import CChainParams
from common.clock import SetMockTime
from common.consensus_validation import BlockValidationResult, BlockValidationState
from common.merkle import BlockMerkleRoot
from common.mining import (
    OP_TRUE_SCRIPT,
    GetCoinbaseAt,
    MakeSpendingTransaction,
    SubmitBlock,
    generateBlocks,
)
from common.pow import CheckProofOfWork
from common.primitives.block import CBlock, CBlockHeader, CBlockLocator
from common.primitives.transaction import COIN, COutPoint, CTransaction, CTxIn, CTxOut
from common.uint256 import uint256
from common.validation import GetBlockSubsidy, IsBlockMutated

from .chain_util import T0, Node, extend, make_block, make_coinbase, make_node, solve, submit


@pytest.fixture
def node() -> Node:
    SetMockTime(T0)
    return make_node()


def mine(node: Node, n: int) -> list[uint256]:
    return generateBlocks(node.chainman, node.mempool, OP_TRUE_SCRIPT, n)


def test_block_subsidy_halves_every_150_blocks_on_regtest() -> None:
    params = CChainParams.RegTest().GetConsensus()
    assert GetBlockSubsidy(0, params) == 50 * COIN
    assert GetBlockSubsidy(149, params) == 50 * COIN
    assert GetBlockSubsidy(150, params) == 25 * COIN
    assert GetBlockSubsidy(300, params) == 1250000000
    assert GetBlockSubsidy(150 * 64, params) == 0


def test_a_new_chainstate_holds_only_genesis(node: Node) -> None:
    tip = node.tip()
    assert tip.nHeight == 0
    assert tip.GetBlockHash() == CChainParams.RegTest().GenesisBlock().GetHash()
    assert node.chainman.m_best_header is tip
    assert tip.m_chain_tx_count == 1 and tip.nSequenceId == 1
    # The genesis coinbase never enters the UTXO set.
    assert node.chainman.ActiveChainstate().CoinsTip().GetCacheSize() == 0


def test_initial_block_download_latches_false_once_the_tip_is_recent() -> None:
    SetMockTime(0)
    n = make_node()
    assert n.chainman.IsInitialBlockDownload()  # the genesis block is years old
    SetMockTime(n.tip().GetBlockTime() + 24 * 60 * 60 + 1)
    assert n.chainman.IsInitialBlockDownload()
    SetMockTime(n.tip().GetBlockTime() + 24 * 60 * 60)
    assert not n.chainman.IsInitialBlockDownload()
    SetMockTime(0)
    assert not n.chainman.IsInitialBlockDownload()  # latched


def test_mined_blocks_are_connected_with_full_status_and_utxos(node: Node) -> None:
    hashes = mine(node, 3)
    tip = node.tip()
    assert tip.nHeight == 3 and tip.GetBlockHash() == hashes[-1]
    for h, height in zip(hashes, (1, 2, 3), strict=True):
        index = node.chainman.m_blockman.LookupBlockIndex(h)
        assert index is not None and index.nHeight == height
        assert index.nStatus == (
            BLOCK_VALID_SCRIPTS | BLOCK_HAVE_DATA | BLOCK_HAVE_UNDO | BLOCK_OPT_WITNESS
        )
        assert index.m_chain_tx_count == height + 1
        assert index.nSequenceId == height + 1
    coins = node.chainman.ActiveChainstate().CoinsTip()
    assert coins.GetCacheSize() == 3
    cb = GetCoinbaseAt(node.chainman, 2)
    coin = coins.AccessCoin(COutPoint(cb.GetHash(), 0))
    assert (coin.nHeight, coin.fCoinBase, coin.out.nValue) == (2, True, 50 * COIN)
    # The witness commitment output is unspendable and stays out of the UTXO set.
    assert coins.AccessCoin(COutPoint(cb.GetHash(), 1)).IsSpent()


def test_connecting_a_block_fires_signals_in_upstreams_order(node: Node) -> None:
    # In IBD (the genesis block is old) there is no NewPoWValidBlock; the block ends IBD.
    b1 = make_block(node, node.tip())
    assert submit(node, b1) == (True, True)
    assert node.recorder.take() == [
        ("BlockChecked", b1.GetHash().GetHex(), "Valid"),
        ("MempoolTransactionsRemovedForBlock", 1, 0),
        ("BlockConnected", 1),
        ("UpdatedBlockTip", 1, 0, False),
        ("ActiveTipChange", 1, False),
    ]
    b2 = make_block(node, node.tip())
    assert submit(node, b2) == (True, True)
    assert node.recorder.take() == [
        ("NewPoWValidBlock", 2),
        ("BlockChecked", b2.GetHash().GetHex(), "Valid"),
        ("MempoolTransactionsRemovedForBlock", 2, 0),
        ("BlockConnected", 2),
        ("UpdatedBlockTip", 2, 1, False),
        ("ActiveTipChange", 2, False),
    ]


def test_processing_a_known_block_again_is_not_new(node: Node) -> None:
    block = make_block(node, node.tip())
    assert submit(node, block) == (True, True)
    assert submit(node, block) == (True, False)
    assert SubmitBlock(node.chainman, block) == "duplicate"


def test_headers_are_stored_without_data_and_report_the_last_index(node: Node) -> None:
    b1 = make_block(node, node.tip())
    state = BlockValidationState()
    last: list[CBlockIndex | None] = [None]
    assert node.chainman.ProcessNewBlockHeaders([b1.GetBlockHeader()], True, state, last)
    index = last[0]
    assert index is not None and index.GetBlockHash() == b1.GetHash()
    assert index.nStatus == BLOCK_VALID_TREE
    assert node.chainman.m_best_header is index
    assert node.tip().nHeight == 0
    assert node.chainman.m_blockman.ReadBlock(index) is None


def test_header_without_anti_dos_work_check_is_refused(node: Node) -> None:
    b1 = make_block(node, node.tip())
    state = BlockValidationState()
    assert not node.chainman.ProcessNewBlockHeaders([b1.GetBlockHeader()], False, state)
    assert state.GetResult() == BlockValidationResult.BLOCK_HEADER_LOW_WORK
    assert state.GetRejectReason() == "too-little-chainwork"


def header_state(node: Node, header: CBlockHeader) -> BlockValidationState:
    state = BlockValidationState()
    assert not node.chainman.ProcessNewBlockHeaders([header], True, state)
    assert state.IsInvalid()
    return state


def test_unconnecting_header_is_missing_prev(node: Node) -> None:
    b1 = make_block(node, node.tip())
    b1.hashPrevBlock = uint256.FromInt(12345)
    state = header_state(node, b1.GetBlockHeader())
    assert state.GetResult() == BlockValidationResult.BLOCK_MISSING_PREV
    assert state.GetRejectReason() == "prev-blk-not-found"


def test_header_failing_proof_of_work_is_high_hash(node: Node) -> None:
    block = make_block(node, node.tip())
    params = CChainParams.RegTest().GetConsensus()
    while CheckProofOfWork(block.GetHash(), block.nBits, params):
        block.nNonce += 1
    state = header_state(node, block.GetBlockHeader())
    assert state.GetResult() == BlockValidationResult.BLOCK_INVALID_HEADER
    assert state.ToString() == "high-hash, proof of work failed"
    assert submit(node, block) == (False, False)
    assert node.recorder.take() == [
        ("BlockChecked", block.GetHash().GetHex(), "high-hash, proof of work failed")
    ]


def test_header_at_or_before_median_time_past_is_time_too_old(node: Node) -> None:
    extend(node, node.tip(), 3)
    mtp = node.tip().GetMedianTimePast()
    state = header_state(node, make_block(node, node.tip(), nTime=mtp).GetBlockHeader())
    assert state.GetResult() == BlockValidationResult.BLOCK_INVALID_HEADER
    assert state.ToString() == "time-too-old, block's timestamp is too early"
    assert submit(node, make_block(node, node.tip(), nTime=mtp + 1))[0]


def test_header_more_than_two_hours_ahead_is_time_too_new(node: Node) -> None:
    state = header_state(
        node, make_block(node, node.tip(), nTime=T0 + 2 * 60 * 60 + 1).GetBlockHeader()
    )
    assert state.GetResult() == BlockValidationResult.BLOCK_TIME_FUTURE
    assert state.ToString() == "time-too-new, block timestamp too far in the future"
    assert submit(node, make_block(node, node.tip(), nTime=T0 + 2 * 60 * 60))[0]


def test_header_with_unexpected_bits_is_bad_diffbits(node: Node) -> None:
    block = make_block(node, node.tip())
    block.nBits = 0x207FFFFE
    solve(block)
    state = header_state(node, block.GetBlockHeader())
    assert state.ToString() == "bad-diffbits, incorrect proof of work"


def test_header_with_an_old_version_is_refused_once_bip34_is_buried(node: Node) -> None:
    block = make_block(node, node.tip())
    block.nVersion = 3
    solve(block)
    state = header_state(node, block.GetBlockHeader())
    assert state.ToString() == "bad-version(0x00000003), rejected nVersion=0x00000003 block"


def test_block_with_wrong_merkle_root_is_mutated_and_not_remembered(node: Node) -> None:
    block = make_block(node, node.tip())
    good_root = block.hashMerkleRoot
    block.hashMerkleRoot = uint256.FromInt(1)
    solve(block)
    assert submit(node, block) == (False, False)
    assert node.recorder.take() == [
        ("BlockChecked", block.GetHash().GetHex(), "bad-txnmrklroot, hashMerkleRoot mismatch")
    ]
    assert node.chainman.m_blockman.LookupBlockIndex(block.GetHash()) is None
    assert IsBlockMutated(block, True)
    block.hashMerkleRoot = good_root


def spendable_node(node: Node) -> Node:
    """101 blocks: the coinbase at height 1 can be spent in the next block."""
    mine(node, 101)
    node.recorder.take()
    return node


def test_duplicated_transactions_are_a_mutation_that_does_not_taint_the_block(node: Node) -> None:
    spendable_node(node)
    t1 = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1))
    t2 = MakeSpendingTransaction(t1)
    good = make_block(node, node.tip(), [t1, t2])
    mutated = make_block(node, node.tip(), [t1, t2, t2])
    mutated.hashMerkleRoot = good.hashMerkleRoot
    mutated.nNonce = good.nNonce
    assert mutated.GetHash() == good.GetHash()
    assert IsBlockMutated(mutated, True)
    assert not IsBlockMutated(good, True)
    assert submit(node, mutated) == (False, False)
    assert node.recorder.take()[0] == (
        "BlockChecked",
        good.GetHash().GetHex(),
        "bad-txns-duplicate, duplicate transaction",
    )
    assert submit(node, good) == (True, True)
    assert node.tip().GetBlockHash() == good.GetHash()


def connect_failure(node: Node, block: object, reason: str) -> None:
    assert isinstance(block, CBlock)
    old_tip = node.tip()
    submit(node, block)
    checked = [e for e in node.recorder.take() if e[0] == "BlockChecked"]
    assert checked and str(checked[-1][2]).split(",")[0] == reason
    assert node.tip() is old_tip


def test_block_rejections_carry_upstreams_reasons(node: Node) -> None:
    spendable_node(node)
    tip = node.tip()
    cb1 = GetCoinbaseAt(node.chainman, 1)
    cb3 = GetCoinbaseAt(node.chainman, 3)
    too_much = CTxOut(51 * COIN, OP_TRUE_SCRIPT)
    cases = [
        (make_block(node, tip, coinbase=make_coinbase(102, 50 * COIN + 1)), "bad-cb-amount"),
        (make_block(node, tip, coinbase=make_coinbase(7)), "bad-cb-height"),
        (
            make_block(node, tip, [MakeSpendingTransaction(cb3)]),
            "bad-txns-premature-spend-of-coinbase",
        ),
        (
            make_block(node, tip, [MakeSpendingTransaction(MakeSpendingTransaction(cb1))]),
            "bad-txns-inputs-missingorspent",
        ),
        (
            make_block(node, tip, [CTransaction([CTxIn(COutPoint(cb1.GetHash(), 0))], [too_much])]),
            "bad-txns-in-belowout",
        ),
        (make_block(node, tip, [make_coinbase(102)]), "bad-cb-multiple"),
        (
            make_block(node, tip, [MakeSpendingTransaction(cb1, witness=(b"\x01",))], commit=False),
            "unexpected-witness",
        ),
    ]  # fmt: skip
    for block, reason in cases:
        connect_failure(node, block, reason)

    missing = make_block(node, tip)
    missing.vtx = missing.vtx[1:] or [MakeSpendingTransaction(cb1)]
    missing.hashMerkleRoot = BlockMerkleRoot(missing)[0]
    connect_failure(node, solve(missing), "bad-cb-missing")

    empty = make_block(node, tip)
    empty.vtx = []
    empty.hashMerkleRoot = uint256()
    connect_failure(node, solve(empty), "bad-blk-length")

    bad_commit = make_block(node, tip, [MakeSpendingTransaction(cb1, witness=(b"\x01",))])
    cb = bad_commit.vtx[0]
    bad_out = CTxOut(0, cb.vout[1].scriptPubKey[:6] + bytes(32))
    bad_commit.vtx[0] = CTransaction(cb.vin, [cb.vout[0], bad_out], cb.nLockTime, cb.version)
    bad_commit.hashMerkleRoot = BlockMerkleRoot(bad_commit)[0]
    connect_failure(node, solve(bad_commit), "bad-witness-merkle-match")

    heavy = make_block(node, tip, [MakeSpendingTransaction(cb1, witness=(bytes(4_000_000),))])
    connect_failure(node, heavy, "bad-blk-weight")


def test_a_block_failing_to_connect_is_marked_invalid_with_its_descendants(node: Node) -> None:
    mine(node, 2)
    tip = node.tip()
    bad = make_block(node, tip, coinbase=make_coinbase(3, 50 * COIN + 1))
    assert submit(node, bad) == (True, True)  # stored; connecting it fails
    index = node.chainman.m_blockman.LookupBlockIndex(bad.GetHash())
    assert index is not None and index.nStatus & BLOCK_FAILED_VALID
    assert node.tip() is tip
    assert node.chainman.m_best_invalid is index
    child = make_block(node, index)
    state = header_state(node, child.GetBlockHeader())
    assert state.GetResult() == BlockValidationResult.BLOCK_INVALID_PREV
    assert state.GetRejectReason() == "bad-prevblk"
    state = header_state(node, bad.GetBlockHeader())
    assert state.GetResult() == BlockValidationResult.BLOCK_CACHED_INVALID
    assert state.GetRejectReason() == "duplicate-invalid"
    assert SubmitBlock(node.chainman, bad) == "duplicate-invalid"


def test_submitblock_reports_inconclusive_for_a_block_not_on_the_best_chain(node: Node) -> None:
    genesis = node.tip()
    mine(node, 2)
    side = make_block(node, genesis, nTime=T0 + 7)
    assert SubmitBlock(node.chainman, side) == "inconclusive"
    index = node.chainman.m_blockman.LookupBlockIndex(side.GetHash())
    assert index is not None and index.nStatus & BLOCK_HAVE_DATA


def test_unrequested_block_with_less_work_is_not_stored(node: Node) -> None:
    genesis = node.tip()
    mine(node, 2)
    side = make_block(node, genesis, nTime=T0 + 7)
    assert node.chainman.ProcessNewBlock(side, False, True) == (True, False)
    index = node.chainman.m_blockman.LookupBlockIndex(side.GetHash())
    assert index is not None and not index.nStatus & BLOCK_HAVE_DATA


def test_find_fork_in_global_index_uses_the_first_locator_entry_we_have(node: Node) -> None:
    genesis = node.tip()
    mine(node, 5)
    chainstate = node.chainman.ActiveChainstate()
    side = extend(node, genesis, 2, tag=99)  # less work: stays a side branch
    side_tip = node.chainman.m_blockman.LookupBlockIndex(side[-1].GetHash())
    assert chainstate.FindForkInGlobalIndex(GetLocator(side_tip)) is genesis
    chain = node.chainman.ActiveChain()
    assert chainstate.FindForkInGlobalIndex(GetLocator(chain[3])) is chain[3]
    assert chainstate.FindForkInGlobalIndex(CBlockLocator([uint256.FromInt(5)])) is genesis


def test_reorg_to_a_heavier_branch_moves_tip_utxos_mempool_and_signals(node: Node) -> None:
    spendable_node(node)
    fork = node.tip()  # height 101
    cb1 = GetCoinbaseAt(node.chainman, 1)
    tx = MakeSpendingTransaction(cb1)
    assert node.chainman.ProcessTransaction(tx).m_state.IsValid()
    node.recorder.take()
    # Branch A: one block confirming tx.
    a = make_block(node, fork, [tx], nTime=T0 + 1000)
    assert submit(node, a) == (True, True)
    assert node.mempool.size() == 0
    coins = node.chainman.ActiveChainstate().CoinsTip()
    assert coins.AccessCoin(COutPoint(cb1.GetHash(), 0)).IsSpent()
    assert not coins.AccessCoin(COutPoint(tx.GetHash(), 0)).IsSpent()
    a_cb = a.vtx[0]
    node.recorder.take()

    # Branch B: two blocks on the fork point, without tx.
    b1 = make_block(node, fork, nTime=T0 + 2000)
    assert submit(node, b1) == (True, True)
    assert node.tip().GetBlockHash() == a.GetHash()  # equal work: the first seen stays
    assert node.recorder.take() == []
    b1_index = node.chainman.m_blockman.LookupBlockIndex(b1.GetHash())
    assert b1_index is not None
    b2 = make_block(node, b1_index, nTime=T0 + 2001)
    assert submit(node, b2) == (True, True)

    assert node.tip().GetBlockHash() == b2.GetHash() and node.tip().nHeight == 103
    assert node.recorder.take() == [
        ("BlockDisconnected", 102),
        ("BlockChecked", b1.GetHash().GetHex(), "Valid"),
        ("MempoolTransactionsRemovedForBlock", 102, 0),
        ("BlockChecked", b2.GetHash().GetHex(), "Valid"),
        ("MempoolTransactionsRemovedForBlock", 103, 0),
        ("TransactionAddedToMempool", tx.GetHash().GetHex()),
        ("BlockConnected", 102),
        ("BlockConnected", 103),
        ("UpdatedBlockTip", 103, 101, False),
        ("ActiveTipChange", 103, False),
    ]
    # A's coinbase and tx's output are gone; cb1 is unspent again; B's coinbases exist.
    assert coins.AccessCoin(COutPoint(a_cb.GetHash(), 0)).IsSpent()
    assert coins.AccessCoin(COutPoint(tx.GetHash(), 0)).IsSpent()
    assert not coins.AccessCoin(COutPoint(cb1.GetHash(), 0)).IsSpent()
    assert not coins.AccessCoin(COutPoint(b2.vtx[0].GetHash(), 0)).IsSpent()
    assert coins.GetBestBlock() == b2.GetHash()
    # The disconnected transaction is back in the mempool, ahead of everything (sequence 0).
    info = node.mempool.info(tx.GetHash())
    assert info is not None and info.tx == tx
    entry = node.mempool.GetEntry(tx.GetHash())
    assert entry is not None and entry.GetSequence() == 0


def test_rewinding_drops_mempool_spends_of_coinbases_that_become_immature(node: Node) -> None:
    spendable_node(node)  # tip 101: the height-1 coinbase is 101 deep for the next block
    spend = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1))
    assert node.chainman.ProcessTransaction(spend).m_state.IsValid()
    node.recorder.take()
    b100 = node.chainman.ActiveChain()[100]
    assert b100 is not None
    assert node.chainman.ActiveChainstate().InvalidateBlock(BlockValidationState(), b100)
    assert node.tip().nHeight == 99  # the next block would be 100: only 99 deep
    assert not node.mempool.exists(spend.GetHash())
    assert node.recorder.take() == [
        ("BlockDisconnected", 101),
        ("BlockDisconnected", 100),
        ("TransactionRemovedFromMempool", spend.GetHash().GetHex(), "REORG"),
        ("ActiveTipChange", 99, False),
    ]


def test_invalidate_block_rewinds_returns_transactions_and_reconsider_restores(node: Node) -> None:
    spendable_node(node)
    tx = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1))
    assert node.chainman.ProcessTransaction(tx).m_state.IsValid()
    mine(node, 2)  # tx confirmed at 102
    assert node.mempool.size() == 0
    target = node.chainman.ActiveChain()[102]
    assert target is not None
    node.recorder.take()
    chainstate = node.chainman.ActiveChainstate()
    state = BlockValidationState()
    assert chainstate.InvalidateBlock(state, target)
    assert node.tip().nHeight == 101
    assert target.nStatus & BLOCK_FAILED_VALID
    child = node.chainman.ActiveChain().Next(node.tip())
    assert child is None
    events = [e[0] for e in node.recorder.take()]
    assert events == [
        "BlockDisconnected",
        "BlockDisconnected",
        "TransactionAddedToMempool",
        "ActiveTipChange",
    ]
    assert node.mempool.exists(tx.GetHash())
    assert node.chainman.m_best_header is node.tip()
    assert chainstate.ActivateBestChain(state)
    assert node.tip().nHeight == 101  # the invalid branch stays out

    chainstate.ResetBlockFailureFlags(target)
    node.chainman.RecalculateBestHeader()
    assert chainstate.ActivateBestChain(state)
    assert node.tip().nHeight == 103
    assert node.mempool.size() == 0


def test_invalidated_descendants_are_failed_children(node: Node) -> None:
    mine(node, 3)
    b1 = node.chainman.ActiveChain()[1]
    b3 = node.chainman.ActiveChain()[3]
    assert b1 is not None and b3 is not None
    assert node.chainman.ActiveChainstate().InvalidateBlock(BlockValidationState(), b1)
    assert node.tip().nHeight == 0
    assert b1.nStatus & BLOCK_FAILED_VALID and not b1.nStatus & BLOCK_FAILED_CHILD
    assert b3.nStatus & BLOCK_FAILED_CHILD and not b3.nStatus & BLOCK_FAILED_VALID


def test_chain_survives_a_restart_from_the_block_file(tmp_path: Path) -> None:
    SetMockTime(T0)
    first = make_node(tmp_path)
    generateBlocks(first.chainman, first.mempool, OP_TRUE_SCRIPT, 5)
    bad = make_block(first, first.tip(), coinbase=make_coinbase(6, 50 * COIN + 1))
    assert submit(first, bad) == (True, True)  # stored, then fails to connect
    tip_hash = first.tip().GetBlockHash()
    coins = dict(first.chainman.ActiveChainstate().CoinsTip().cacheCoins)
    assert (tmp_path / "blocks" / "blocks.dat").stat().st_size > 0

    second = make_node(tmp_path)
    assert second.tip().nHeight == 5 and second.tip().GetBlockHash() == tip_hash
    assert dict(second.chainman.ActiveChainstate().CoinsTip().cacheCoins) == coins
    bad_index = second.chainman.m_blockman.LookupBlockIndex(bad.GetHash())
    assert bad_index is not None and bad_index.nStatus & BLOCK_FAILED_VALID
    assert second.recorder.events == []  # loading happens before anyone subscribes
    block = second.chainman.m_blockman.ReadBlock(second.tip())
    assert block is not None and block.GetHash() == tip_hash
    # Mining continues where the first run stopped, and a damaged tail is cut off.
    generateBlocks(second.chainman, second.mempool, OP_TRUE_SCRIPT, 1)
    with open(tmp_path / "blocks" / "blocks.dat", "ab") as f:
        f.write(b"\xfa\xbf\xb5\xda\x10\x00")
    third = make_node(tmp_path)
    assert third.tip().nHeight == 6
    generateBlocks(third.chainman, third.mempool, OP_TRUE_SCRIPT, 1)
    assert make_node(tmp_path).tip().nHeight == 7


def test_mining_and_connecting_300_blocks_is_fast(node: Node) -> None:
    start = time.perf_counter()
    hashes = mine(node, 300)
    elapsed = time.perf_counter() - start
    assert len(hashes) == 300 and node.tip().nHeight == 300
    assert elapsed < 3.0, f"300 blocks took {elapsed:.2f}s"


def test_flushing_reports_a_locator_of_the_tip(node: Node) -> None:
    mine(node, 1)
    node.recorder.take()
    node.chainman.ActiveChainstate().ForceFlushStateToDisk()
    assert node.recorder.take() == [("ChainStateFlushed", node.tip().GetBlockHash().GetHex())]
