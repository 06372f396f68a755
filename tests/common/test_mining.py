"""Block templates, grinding, generate and submitblock, versionbits signalling."""

from __future__ import annotations

import pytest

from common.chainparams import CChainParams, Consensus
from common.clock import SetMockTime
from common.consensus_validation import GetWitnessCommitmentIndex
from common.hash import hash256
from common.merkle import BlockMerkleRoot, BlockWitnessMerkleRoot
from common.mining import (
    MAX_SEQUENCE_NONFINAL,
    OP_TRUE_SCRIPT,
    BlockAssembler,
    CreateNewBlock,
    GenerateBlock,
    GetCoinbaseAt,
    GetMinimumTime,
    MakeSpendingTransaction,
    RegenerateCommitments,
    SubmitBlock,
    generateBlocks,
)
from common.pow import CheckProofOfWork
from common.primitives.transaction import COIN
from common.versionbits import ComputeBlockVersion, GetStateFor, ThresholdState

from .chain_util import T0, Node, make_node


@pytest.fixture
def node() -> Node:
    SetMockTime(T0)
    return make_node()


def test_template_has_upstreams_coinbase_and_header_fields(node: Node) -> None:
    generateBlocks(node.chainman, node.mempool, OP_TRUE_SCRIPT, 20)
    tip = node.tip()
    block = CreateNewBlock(node.chainman, node.mempool, b"\x00\x14" + bytes(20))
    cb = block.vtx[0]
    assert len(block.vtx) == 1
    assert cb.vin[0].scriptSig == bytes((1, 21, 0))  # push 21, OP_0
    assert cb.vin[0].nSequence == MAX_SEQUENCE_NONFINAL
    assert cb.vin[0].scriptWitness == (bytes(32),)
    assert cb.nLockTime == 20
    assert cb.vout[0].nValue == 50 * COIN and cb.vout[0].scriptPubKey == b"\x00\x14" + bytes(20)
    commitment = hash256(BlockWitnessMerkleRoot(block).data + bytes(32))
    assert cb.vout[1].nValue == 0
    assert cb.vout[1].scriptPubKey == bytes.fromhex("6a24aa21a9ed") + commitment
    assert GetWitnessCommitmentIndex(block) == 1
    assert block.hashPrevBlock == tip.GetBlockHash()
    assert block.nBits == 0x207FFFFF and block.nNonce == 0
    assert block.nVersion == 0x20000000
    assert block.nTime == max(tip.GetMedianTimePast() + 1, T0)


def test_template_time_is_after_the_median_time_past_even_when_the_clock_is_behind(
    node: Node,
) -> None:
    generateBlocks(node.chainman, node.mempool, OP_TRUE_SCRIPT, 12)
    SetMockTime(T0 - 3600)
    tip = node.tip()
    block = CreateNewBlock(node.chainman, node.mempool)
    assert block.nTime == tip.GetMedianTimePast() + 1 == GetMinimumTime(tip, 144)


def test_template_takes_mempool_transactions_parents_first_best_feerate_first(node: Node) -> None:
    generateBlocks(node.chainman, node.mempool, OP_TRUE_SCRIPT, 102)
    low = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1), fee=1000)
    child = MakeSpendingTransaction(low, fee=40_000)
    high = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 2), fee=10_000)
    for tx in (low, child, high):
        assert node.chainman.ProcessTransaction(tx).m_state.IsValid()
    assembler = BlockAssembler(node.chainman.ActiveChainstate(), node.mempool)
    template = assembler.CreateNewBlock()
    block = template.block
    # low + child pay (41000 sat / 2 txs) more per vbyte than high alone.
    assert block.vtx[1:] == [low, child, high]
    assert template.vTxFees == [-51_000, 1000, 40_000, 10_000]
    assert block.vtx[0].vout[0].nValue == 50 * COIN + 51_000
    ok, solved, _ = GenerateBlock(node.chainman, block, 1_000_000)
    assert ok and solved is not None
    assert node.tip().GetBlockHash() == solved.GetHash()
    assert node.mempool.size() == 0


def test_witness_transactions_are_committed_to(node: Node) -> None:
    generateBlocks(node.chainman, node.mempool, OP_TRUE_SCRIPT, 101)
    tx = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1), witness=(b"\x07" * 5,))
    assert node.chainman.ProcessTransaction(tx).m_state.IsValid()
    hashes = generateBlocks(node.chainman, node.mempool, OP_TRUE_SCRIPT, 1)
    block = node.chainman.m_blockman.ReadBlock(node.tip())
    assert block is not None and block.GetHash() == hashes[0]
    assert block.vtx[1] == tx and block.vtx[1].HasWitness()
    commitment = hash256(BlockWitnessMerkleRoot(block).data + bytes(32))
    assert block.vtx[0].vout[1].scriptPubKey[6:] == commitment


def test_regenerate_commitments_after_changing_transactions(node: Node) -> None:
    generateBlocks(node.chainman, node.mempool, OP_TRUE_SCRIPT, 101)
    block = CreateNewBlock(node.chainman, node.mempool)
    tx = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1), witness=(b"\x01",))
    block.vtx.append(tx)
    RegenerateCommitments(block, node.chainman)
    assert len(block.vtx[0].vout) == 2
    assert block.hashMerkleRoot == BlockMerkleRoot(block)[0]
    ok, solved, _ = GenerateBlock(node.chainman, block, 1_000_000)
    assert ok and solved is not None and node.tip().nHeight == 102


def test_generate_stops_when_out_of_tries_and_grinding_meets_the_target(node: Node) -> None:
    assert generateBlocks(node.chainman, node.mempool, OP_TRUE_SCRIPT, 3, nMaxTries=0) == []
    block = CreateNewBlock(node.chainman, node.mempool)
    ok, solved, tries_left = GenerateBlock(node.chainman, block, 1_000_000, False)
    assert ok and solved is block
    assert CheckProofOfWork(block.GetHash(), block.nBits, CChainParams.RegTest().GetConsensus())
    assert tries_left == 1_000_000 - block.nNonce
    assert node.tip().nHeight == 0  # not processed


def test_submitblock_results(node: Node) -> None:
    block = CreateNewBlock(node.chainman, node.mempool)
    ok, solved, _ = GenerateBlock(node.chainman, block, 1_000_000, False)
    assert ok and solved is not None
    assert SubmitBlock(node.chainman, solved) is None
    assert SubmitBlock(node.chainman, solved) == "duplicate"
    bad = CreateNewBlock(node.chainman, node.mempool)
    bad.hashMerkleRoot = BlockMerkleRoot(bad)[0]
    params = CChainParams.RegTest().GetConsensus()
    while CheckProofOfWork(bad.GetHash(), bad.nBits, params):
        bad.nNonce += 1
    assert SubmitBlock(node.chainman, bad) == "high-hash"


def test_regtest_blocks_signal_testdummy_from_144_until_it_is_active(node: Node) -> None:
    generateBlocks(node.chainman, node.mempool, OP_TRUE_SCRIPT, 440)
    chain = node.chainman.ActiveChain()
    params = CChainParams.RegTest().GetConsensus()
    versions = {h: chain[h].nVersion for h in (1, 143, 144, 287, 288, 431, 432, 440)}  # type: ignore[union-attr]
    assert versions == {
        1: 0x20000000, 143: 0x20000000, 144: 0x30000000, 287: 0x30000000,
        288: 0x30000000, 431: 0x30000000, 432: 0x20000000, 440: 0x20000000,
    }  # fmt: skip
    dummy = Consensus.DeploymentPos.DEPLOYMENT_TESTDUMMY
    assert GetStateFor(chain[142], params, dummy) == ThresholdState.DEFINED
    assert GetStateFor(chain[143], params, dummy) == ThresholdState.STARTED
    assert GetStateFor(chain[287], params, dummy) == ThresholdState.LOCKED_IN
    assert GetStateFor(chain[431], params, dummy) == ThresholdState.ACTIVE
    taproot = Consensus.DeploymentPos.DEPLOYMENT_TAPROOT
    assert GetStateFor(None, params, taproot) == ThresholdState.ACTIVE
    assert ComputeBlockVersion(chain[440], params) == 0x20000000
