"""Helpers for the chain, mempool and mining tests: a node's validation objects wired as
init.cpp wires them, a subscriber that records signals, and blocks built on any parent."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from common.chain import CBlockIndex, ChainstateRole
from common.chainparams import CChainParams
from common.clock import GetTime
from common.consensus_validation import BlockValidationState
from common.mempool_entry import (
    MemPoolRemovalReason,
    NewMempoolTransactionInfo,
    RemovedMempoolTransactionInfo,
)
from common.merkle import BlockMerkleRoot
from common.mining import MAX_SEQUENCE_NONFINAL, OP_TRUE_SCRIPT
from common.pow import CheckProofOfWork
from common.primitives.block import CBlock, CBlockLocator
from common.primitives.transaction import COutPoint, CTransaction, CTxIn, CTxOut
from common.script import script_push_int
from common.txmempool import CTxMemPool
from common.validation import ChainstateManager, GetBlockSubsidy
from common.validationinterface import CValidationInterface, ValidationSignals

#: Mock time for deterministic blocks: a day and a bit after the regtest genesis block would be
#: IBD, so tests set a time close to the blocks they mine.
T0: Final = 1_700_000_000
REGTEST_BITS: Final = 0x207FFFFF
VERSION: Final = 0x20000000


class Recorder(CValidationInterface):
    """Records every signal as a tuple: the callback name and the block height or txid hex."""

    __slots__ = ("events",)

    events: list[tuple[object, ...]]

    def __init__(self) -> None:
        self.events = []

    def take(self) -> list[tuple[object, ...]]:
        out, self.events = self.events, []
        return out

    def UpdatedBlockTip(
        self, pindexNew: CBlockIndex, pindexFork: CBlockIndex | None, fInitialDownload: bool
    ) -> None:
        fork = pindexFork.nHeight if pindexFork is not None else None
        self.events.append(("UpdatedBlockTip", pindexNew.nHeight, fork, fInitialDownload))

    def ActiveTipChange(self, new_tip: CBlockIndex, is_ibd: bool) -> None:
        self.events.append(("ActiveTipChange", new_tip.nHeight, is_ibd))

    def TransactionAddedToMempool(
        self, tx: NewMempoolTransactionInfo, mempool_sequence: int
    ) -> None:
        self.events.append(("TransactionAddedToMempool", tx.info.m_tx.GetHash().GetHex()))

    def TransactionRemovedFromMempool(
        self, tx: CTransaction, reason: MemPoolRemovalReason, mempool_sequence: int
    ) -> None:
        self.events.append(("TransactionRemovedFromMempool", tx.GetHash().GetHex(), reason.name))

    def MempoolTransactionsRemovedForBlock(
        self, txs_removed_for_block: list[RemovedMempoolTransactionInfo], nBlockHeight: int
    ) -> None:
        self.events.append(
            ("MempoolTransactionsRemovedForBlock", nBlockHeight, len(txs_removed_for_block))
        )

    def BlockConnected(self, role: ChainstateRole, block: CBlock, pindex: CBlockIndex) -> None:
        self.events.append(("BlockConnected", pindex.nHeight))

    def BlockDisconnected(self, block: CBlock, pindex: CBlockIndex) -> None:
        self.events.append(("BlockDisconnected", pindex.nHeight))

    def ChainStateFlushed(self, role: ChainstateRole, locator: CBlockLocator) -> None:
        self.events.append(("ChainStateFlushed", locator.vHave[0].GetHex()))

    def BlockChecked(self, block: CBlock, state: BlockValidationState) -> None:
        self.events.append(("BlockChecked", block.GetHash().GetHex(), state.ToString()))

    def NewPoWValidBlock(self, pindex: CBlockIndex, block: CBlock) -> None:
        self.events.append(("NewPoWValidBlock", pindex.nHeight))


@dataclass
class Node:
    signals: ValidationSignals
    mempool: CTxMemPool
    chainman: ChainstateManager
    recorder: Recorder

    def tip(self) -> CBlockIndex:
        tip = self.chainman.ActiveTip()
        assert tip is not None
        return tip


def make_node(datadir: Path | None = None) -> Node:
    signals = ValidationSignals()
    mempool = CTxMemPool(CTxMemPool.Options(signals=signals))
    chainman = ChainstateManager(CChainParams.RegTest(), signals, mempool=mempool, datadir=datadir)
    recorder = Recorder()
    signals.RegisterValidationInterface(recorder)
    return Node(signals, mempool, chainman, recorder)


def make_coinbase(
    height: int, value: int | None = None, script: bytes = OP_TRUE_SCRIPT
) -> CTransaction:
    """A coinbase as CreateNewBlock makes it (without the witness commitment)."""
    if value is None:
        value = GetBlockSubsidy(height, CChainParams.RegTest().GetConsensus())
    return CTransaction(
        [CTxIn(COutPoint(), script_push_int(height) + b"\x00", MAX_SEQUENCE_NONFINAL)],
        [CTxOut(value, script)],
        nLockTime=height - 1,
    )


def solve(block: CBlock) -> CBlock:
    params = CChainParams.RegTest().GetConsensus()
    while not CheckProofOfWork(block.GetHash(), block.nBits, params):
        block.nNonce += 1
    return block


def make_block(
    node: Node,
    prev: CBlockIndex,
    txs: list[CTransaction] | tuple[CTransaction, ...] = (),
    *,
    nTime: int | None = None,
    coinbase: CTransaction | None = None,
    commit: bool = True,
    nonce: int = 0,
) -> CBlock:
    """A solved block on ``prev``: coinbase (BIP34 height), ``txs``, witness commitment."""
    height = prev.nHeight + 1
    block = CBlock(
        nVersion=VERSION,
        hashPrevBlock=prev.GetBlockHash(),
        nTime=nTime if nTime is not None else max(prev.GetMedianTimePast() + 1, GetTime()),
        nBits=REGTEST_BITS,
        nNonce=nonce,
    )
    block.vtx = [coinbase if coinbase is not None else make_coinbase(height), *txs]
    if commit:
        node.chainman.GenerateCoinbaseCommitment(block, prev)
    block.hashMerkleRoot = BlockMerkleRoot(block)[0]
    return solve(block)


def submit(node: Node, block: CBlock) -> tuple[bool, bool]:
    return node.chainman.ProcessNewBlock(block, True, True)


def extend(node: Node, prev: CBlockIndex, n: int, tag: int = 0) -> list[CBlock]:
    """Submit ``n`` blocks in a row on ``prev`` (``tag`` varies nTime so branches differ)."""
    blocks = []
    for _ in range(n):
        block = make_block(node, prev, nTime=max(prev.GetMedianTimePast() + 1, GetTime()) + tag)
        assert submit(node, block)[0]
        index = node.chainman.m_blockman.LookupBlockIndex(block.GetHash())
        assert index is not None
        prev = index
        blocks.append(block)
    return blocks
