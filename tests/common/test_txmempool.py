"""Mempool acceptance with upstream's reject reasons, and the mempool's bookkeeping."""

from __future__ import annotations

import pytest

from common.chainparams import CChainParams
from common.clock import SetMockTime
from common.consensus_validation import TxValidationResult
from common.feerate import CFeeRate, FeeEstimateMode
from common.mempool_entry import MemPoolRemovalReason
from common.mining import OP_TRUE_SCRIPT, GetCoinbaseAt, MakeSpendingTransaction, generateBlocks
from common.primitives.transaction import (
    COIN,
    MAX_MONEY,
    COutPoint,
    CTransaction,
    CTxIn,
    CTxOut,
    GenTxid,
)
from common.txmempool import MempoolAcceptResult
from common.uint256 import uint256
from common.validation import ChainstateManager

from .chain_util import T0, Node, make_block, make_node, submit

VALID = MempoolAcceptResult.ResultType.VALID
INVALID = MempoolAcceptResult.ResultType.INVALID


@pytest.fixture
def node() -> Node:
    """A node whose coinbases at heights 1 and 2 are spendable in the next block."""
    SetMockTime(T0)
    n = make_node()
    generateBlocks(n.chainman, n.mempool, OP_TRUE_SCRIPT, 102)
    n.recorder.take()
    return n


def accept(node: Node, tx: CTransaction, test_accept: bool = False) -> MempoolAcceptResult:
    return node.chainman.ProcessTransaction(tx, test_accept)


def rejected(node: Node, tx: CTransaction) -> tuple[TxValidationResult, str]:
    result = accept(node, tx)
    assert result.m_result_type == INVALID
    return result.m_state.GetResult(), result.m_state.ToString()


def cb(node: Node, height: int = 1) -> CTransaction:
    return GetCoinbaseAt(node.chainman, height)


def spend(prev: CTransaction, outputs: list[int], n: int = 0, version: int = 2) -> CTransaction:
    return CTransaction(
        [CTxIn(COutPoint(prev.GetHash(), n))],
        [CTxOut(v, OP_TRUE_SCRIPT) for v in outputs],
        version=version,
    )


def test_a_valid_spend_enters_with_its_fee_size_and_a_signal(node: Node) -> None:
    tx = MakeSpendingTransaction(cb(node), fee=1000)
    seq = node.mempool.GetSequence()
    result = accept(node, tx)
    assert result.m_result_type == VALID
    vsize = (tx.GetWeight() + 3) // 4
    assert (result.m_vsize, result.m_base_fees) == (vsize, 1000)
    assert result.m_effective_feerate == CFeeRate(1000, vsize)
    assert result.m_wtxids_fee_calculations == [tx.GetWitnessHash()]
    assert result.m_replaced_transactions == []
    assert node.mempool.size() == 1 and node.mempool.GetTotalTxSize() == vsize
    assert node.mempool.exists(tx.GetHash())
    assert node.mempool.exists(GenTxid.Wtxid(tx.GetWitnessHash()))
    assert node.mempool.get(tx.GetHash()) == tx
    info = node.mempool.info(GenTxid.Txid(tx.GetHash()))
    assert info is not None and (info.tx, info.m_time, info.fee, info.vsize) == (
        tx,
        T0,
        1000,
        vsize,
    )
    assert node.mempool.GetEntry(tx.GetHash()).GetSequence() == seq  # type: ignore[union-attr]
    assert node.mempool.GetSequence() == seq + 1
    assert node.recorder.take() == [("TransactionAddedToMempool", tx.GetHash().GetHex())]


def test_test_accept_checks_without_adding(node: Node) -> None:
    tx = MakeSpendingTransaction(cb(node))
    result = accept(node, tx, test_accept=True)
    assert result.m_result_type == VALID and result.m_base_fees == 1000
    assert node.mempool.size() == 0
    assert node.recorder.take() == []


def test_context_free_rules_are_consensus_failures(node: Node) -> None:
    coin = COutPoint(cb(node).GetHash(), 0)
    out = CTxOut(COIN, OP_TRUE_SCRIPT)
    cases = [
        (CTransaction([], [out]), "bad-txns-vin-empty"),
        (CTransaction([CTxIn(coin)], []), "bad-txns-vout-empty"),
        (CTransaction([CTxIn(coin)], [CTxOut(COIN, bytes(1_000_000))]), "bad-txns-oversize"),
        (CTransaction([CTxIn(coin)], [CTxOut(-1, OP_TRUE_SCRIPT)]), "bad-txns-vout-negative"),
        (CTransaction([CTxIn(coin)], [CTxOut(MAX_MONEY + 1, b"")]), "bad-txns-vout-toolarge"),
        (
            CTransaction([CTxIn(coin)], [CTxOut(MAX_MONEY, b""), CTxOut(1, b"")]),
            "bad-txns-txouttotal-toolarge",
        ),
        (CTransaction([CTxIn(coin), CTxIn(coin)], [out]), "bad-txns-inputs-duplicate"),
        (CTransaction([CTxIn(COutPoint(), b"\x51\x00")], [out]), "coinbase"),
        (CTransaction([CTxIn(coin), CTxIn(COutPoint())], [out]), "bad-txns-prevout-null"),
    ]
    for tx, reason in cases:
        assert rejected(node, tx) == (TxValidationResult.TX_CONSENSUS, reason)


def test_a_transaction_already_in_the_mempool_is_a_conflict(node: Node) -> None:
    tx = MakeSpendingTransaction(cb(node), witness=(b"\x01",))
    assert accept(node, tx).m_result_type == VALID
    assert rejected(node, tx) == (TxValidationResult.TX_CONFLICT, "txn-already-in-mempool")
    other_witness = MakeSpendingTransaction(cb(node), witness=(b"\x02",))
    assert other_witness.GetHash() == tx.GetHash()
    assert rejected(node, other_witness) == (
        TxValidationResult.TX_CONFLICT,
        "txn-same-nonwitness-data-in-mempool",
    )


def test_double_spending_a_mempool_transaction_is_not_a_replacement(node: Node) -> None:
    assert accept(node, MakeSpendingTransaction(cb(node), fee=1000)).m_result_type == VALID
    assert rejected(node, MakeSpendingTransaction(cb(node), fee=50_000)) == (
        TxValidationResult.TX_MEMPOOL_POLICY,
        "bip125-replacement-disallowed",
    )


def test_missing_inputs_make_an_orphan(node: Node) -> None:
    parent = MakeSpendingTransaction(cb(node))
    assert rejected(node, MakeSpendingTransaction(parent)) == (
        TxValidationResult.TX_MISSING_INPUTS,
        "bad-txns-inputs-missingorspent",
    )


def test_a_confirmed_transaction_is_already_known(node: Node) -> None:
    tx = MakeSpendingTransaction(cb(node))
    assert submit(node, make_block(node, node.tip(), [tx]))[0]
    assert rejected(node, tx) == (TxValidationResult.TX_CONFLICT, "txn-already-known")


def test_input_rules_give_upstreams_reasons_and_debug_messages(node: Node) -> None:
    # The next block is 103: the coinbase at 4 is 99 deep, the one at 3 is mature.
    assert rejected(node, MakeSpendingTransaction(cb(node, 4))) == (
        TxValidationResult.TX_PREMATURE_SPEND,
        "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 99",
    )
    assert accept(node, MakeSpendingTransaction(cb(node, 3))).m_result_type == VALID
    assert rejected(node, spend(cb(node), [51 * COIN])) == (
        TxValidationResult.TX_CONSENSUS,
        "bad-txns-in-belowout, value in (50.00) < value out (51.00)",
    )


def test_fee_below_the_minimum_relay_feerate_is_refused(node: Node) -> None:
    tx = spend(cb(node), [50 * COIN - 5])
    vsize = (tx.GetWeight() + 3) // 4
    assert CFeeRate(100).GetFee(vsize) > 5
    assert rejected(node, tx) == (
        TxValidationResult.TX_MEMPOOL_POLICY,
        f"min relay fee not met, 5 < {CFeeRate(100).GetFee(vsize)}",
    )
    truc = spend(cb(node), [50 * COIN - 5], version=3)
    result = accept(node, truc)
    assert result.m_state.GetResult() == TxValidationResult.TX_RECONSIDERABLE
    assert result.m_state.GetRejectReason() == "min relay fee not met"
    assert result.m_effective_feerate == CFeeRate(5, (truc.GetWeight() + 3) // 4)
    assert result.m_wtxids_fee_calculations == [truc.GetWitnessHash()]


def test_time_locked_transaction_must_be_final_in_the_next_block(node: Node) -> None:
    locked = CTransaction(
        [CTxIn(COutPoint(cb(node).GetHash(), 0), b"", 0)], [CTxOut(49 * COIN, OP_TRUE_SCRIPT)],
        nLockTime=104,
    )  # fmt: skip
    assert rejected(node, locked) == (TxValidationResult.TX_PREMATURE_SPEND, "non-final")
    ready = CTransaction(locked.vin, locked.vout, nLockTime=102)
    assert accept(node, ready).m_result_type == VALID


def test_without_a_mempool_transactions_are_refused() -> None:
    SetMockTime(T0)
    chainman = ChainstateManager(CChainParams.RegTest())
    result = chainman.ProcessTransaction(CTransaction())
    assert result.m_state.GetResult() == TxValidationResult.TX_NO_MEMPOOL
    assert result.m_state.GetRejectReason() == "no-mempool"


def test_children_of_mempool_transactions_are_accepted_and_removed_with_them(node: Node) -> None:
    parent = spend(cb(node), [25 * COIN, 25 * COIN - 1000])
    child = spend(parent, [25 * COIN - 1000])
    grandchild = spend(child, [25 * COIN - 2000])
    for tx in (parent, child, grandchild):
        assert accept(node, tx).m_result_type == VALID
    pool = node.mempool
    entry = pool.GetEntry(grandchild.GetHash())
    assert entry is not None and entry.GetCountWithAncestors() == 3
    assert not pool.HasNoInputsOf(child) and pool.HasNoInputsOf(parent)
    assert pool.isSpent(COutPoint(parent.GetHash(), 0))
    node.recorder.take()
    with pool.cs:
        pool.removeRecursive(parent, MemPoolRemovalReason.CONFLICT)
    assert pool.size() == 0 and pool.GetTotalTxSize() == 0 and pool.GetTotalFee() == 0
    assert node.recorder.take() == [
        ("TransactionRemovedFromMempool", parent.GetHash().GetHex(), "CONFLICT"),
        ("TransactionRemovedFromMempool", child.GetHash().GetHex(), "CONFLICT"),
        ("TransactionRemovedFromMempool", grandchild.GetHash().GetHex(), "CONFLICT"),
    ]


def test_a_block_removes_its_transactions_and_their_conflicts_before_block_connected(
    node: Node,
) -> None:
    mined = MakeSpendingTransaction(cb(node, 1), fee=1000)
    conflict = MakeSpendingTransaction(cb(node, 2), fee=1000)
    conflict_child = MakeSpendingTransaction(conflict, fee=1000)
    for tx in (mined, conflict, conflict_child):
        assert accept(node, tx).m_result_type == VALID
    double_spend = MakeSpendingTransaction(cb(node, 2), fee=5000)
    node.recorder.take()
    assert submit(node, make_block(node, node.tip(), [mined, double_spend]))[0]
    assert node.mempool.size() == 0
    events = node.recorder.take()
    assert [e[0] for e in events[:2]] == ["NewPoWValidBlock", "BlockChecked"]
    assert events[2:6] == [
        ("TransactionRemovedFromMempool", conflict.GetHash().GetHex(), "CONFLICT"),
        ("TransactionRemovedFromMempool", conflict_child.GetHash().GetHex(), "CONFLICT"),
        ("MempoolTransactionsRemovedForBlock", 103, 1),
        ("BlockConnected", 103),
    ]


def test_info_all_lists_fewer_ancestors_first_then_higher_feerate(node: Node) -> None:
    low = MakeSpendingTransaction(cb(node, 1), fee=1000)
    high = MakeSpendingTransaction(cb(node, 2), fee=9000)
    child = MakeSpendingTransaction(low, fee=50_000)
    for tx in (low, child, high):
        assert accept(node, tx).m_result_type == VALID
    assert [i.tx for i in node.mempool.infoAll()] == [high, low, child]
    wt = {tx: tx.GetWitnessHash() for tx in (low, high, child)}
    assert node.mempool.CompareDepthAndScore(wt[high], wt[low])
    assert not node.mempool.CompareDepthAndScore(wt[child], wt[low])
    assert node.mempool.CompareDepthAndScore(uint256.FromInt(1), wt[low])  # absent: sooner
    assert not node.mempool.CompareDepthAndScore(wt[low], uint256.FromInt(1))


def test_info_for_relay_hides_transactions_newer_than_the_sequence(node: Node) -> None:
    tx = MakeSpendingTransaction(cb(node))
    seq = node.mempool.GetSequence()
    assert accept(node, tx).m_result_type == VALID
    gtxid = GenTxid.Wtxid(tx.GetWitnessHash())
    assert node.mempool.info_for_relay(gtxid, seq) is None
    info = node.mempool.info_for_relay(gtxid, seq + 1)
    assert info is not None and info.tx == tx
    assert node.mempool.info(GenTxid.Wtxid(uint256.FromInt(3))) is None


def test_unbroadcast_set_keeps_mempool_txids_in_bytewise_order(node: Node) -> None:
    txs = [MakeSpendingTransaction(cb(node, h)) for h in (1, 2, 3)]
    for tx in txs:
        assert accept(node, tx).m_result_type == VALID
        node.mempool.AddUnbroadcastTx(tx.GetHash())
    node.mempool.AddUnbroadcastTx(uint256.FromInt(77))  # not in the mempool: ignored
    assert node.mempool.GetUnbroadcastTxs() == sorted(
        (t.GetHash() for t in txs), key=lambda h: h.data
    )
    node.mempool.RemoveUnbroadcastTx(txs[0].GetHash())
    assert txs[0].GetHash() not in node.mempool.GetUnbroadcastTxs()
    # Mining a transaction takes it out of the set.
    assert submit(node, make_block(node, node.tip(), [txs[1]]))[0]
    assert node.mempool.GetUnbroadcastTxs() == [txs[2].GetHash()]


def test_the_mempool_minimum_fee_stays_zero_as_it_never_trims(node: Node) -> None:
    assert node.mempool.GetMinFee().GetFeePerK() == 0
    assert node.mempool.m_opts.min_relay_feerate.GetFeePerK() == 100


def test_fee_rates_round_fees_up_and_per_kvb_down() -> None:
    rate = CFeeRate(1000, 3)  # 333.33.. sat/vB
    assert rate.GetFee(1) == 334 and rate.GetFee(3) == 1000 and rate.GetFee(0) == 0
    assert rate.GetFeePerK() == 333333
    assert CFeeRate(100).GetFee(141) == 15
    assert CFeeRate(-1, 1000).GetFee(1) == -1
    assert CFeeRate(5, 0).GetFeePerK() == 0
    assert CFeeRate(1000, 3) > CFeeRate(333)
    assert CFeeRate(100) == CFeeRate(1, 10)
    assert CFeeRate(123456).ToString() == "0.00123456 BTC/kvB"
    assert CFeeRate(123456).ToString(FeeEstimateMode.SAT_VB) == "123.456 sat/vB"
