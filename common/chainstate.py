"""The chainstate (src/validation.{h,cpp}'s Chainstate): the active chain, its UTXO set, the
candidate tips, and moving the chain to the most-work valid branch.

ActivateBestChain disconnects and connects blocks as upstream's does (reorganizations return
disconnected transactions to the mempool) and fires the validation signals in upstream's order.
cs_main (an RLock) guards everything; upstream's m_chainstate_mutex is folded into it, and
ActivateBestChain keeps cs_main between its steps. Connecting checks that inputs exist and are
unspent, coinbase maturity, amounts and the coinbase's claim; not scripts, sigops, BIP30
duplicate outputs or BIP68 sequence locks.
"""

from __future__ import annotations

import math
import threading
from enum import Enum
from typing import TYPE_CHECKING, Final

from .blockstorage import BlockManager, CBlockIndexWorkComparator, _WorkKey
from .chain import (
    BLOCK_FAILED_CHILD,
    BLOCK_FAILED_MASK,
    BLOCK_FAILED_VALID,
    BLOCK_HAVE_DATA,
    BLOCK_HAVE_UNDO,
    BLOCK_VALID_SCRIPTS,
    BLOCK_VALID_TRANSACTIONS,
    CBlockIndex,
    CChain,
    ChainstateRole,
    FlatFilePos,
    GetLocator,
    cs_main,
)
from .clock import FormatISO8601DateTime, GetTime
from .coins import AddCoins, CBlockUndo, CCoinsViewCache, CCoinsViewDB, Coin, CTxUndo
from .consensus import COINBASE_MATURITY, MoneyRange
from .consensus_validation import (
    BlockValidationResult,
    BlockValidationState,
    TxValidationState,
)
from .logging import BCLog, LogError, LogInfo, LogInstance, LogPrintf, LogPrintLevel_
from .mempool_entry import CTxMemPoolEntry, MemPoolRemovalReason
from .pow import GetBlockProof
from .primitives.block import CBlock, CBlockLocator
from .primitives.transaction import COutPoint, CTransaction
from .script import IsUnspendable
from .tx_verify import CheckFinalTxAtTip, CheckTxInputs
from .txmempool import (
    AcceptToMemoryPool,
    CTxMemPool,
    DisconnectedBlockTransactions,
    MempoolAcceptResult,
)
from .uint256 import ZERO, uint256
from .validation_checks import CheckBlock, GetBlockSubsidy
from .validationinterface import ValidationSignals

if TYPE_CHECKING:
    from .validation import ChainstateManager


# --- connecting and disconnecting ---------------------------------------------------------------


def UpdateCoins(tx: CTransaction, inputs: CCoinsViewCache, txundo: CTxUndo, nHeight: int) -> None:
    """Spend ``tx``'s inputs (recording them in ``txundo``) and add its outputs."""
    if not tx.IsCoinBase():
        for txin in tx.vin:
            coin = inputs.SpendCoin(txin.prevout)
            assert coin is not None
            txundo.vprevout.append(coin)
    AddCoins(inputs, tx, nHeight)


class DisconnectResult(Enum):
    DISCONNECT_OK = 0  # all good
    DISCONNECT_UNCLEAN = 1  # rolled back, but UTXO set was inconsistent with block
    DISCONNECT_FAILED = 2  # something else went wrong


def ApplyTxInUndo(undo: Coin, view: CCoinsViewCache, out: COutPoint) -> DisconnectResult:
    """Put a spent coin back. (Undo records always carry height and coinbase-ness here, so
    upstream's lookup of a sibling output for legacy records is not needed.)"""
    fClean = not view.HaveCoin(out)  # overwriting an output would be unclean
    view.AddCoin(out, undo, not fClean)
    return DisconnectResult.DISCONNECT_OK if fClean else DisconnectResult.DISCONNECT_UNCLEAN


def _ResetState(state: BlockValidationState) -> None:
    """``state = BlockValidationState()`` for a state the caller owns."""
    fresh = BlockValidationState()
    state.m_mode, state.m_result = fresh.m_mode, fresh.m_result
    state.m_reject_reason, state.m_debug_message = "", ""


def FatalError(state: BlockValidationState, message: str) -> bool:
    """A local failure (not the block's fault): log it and mark the state as an error."""
    LogError("%s\n", message)
    return state.Error(message)


class Chainstate:
    """The active chain, its UTXO set and the candidate tips (one per ChainstateManager here:
    there is no assumeutxo background chainstate)."""

    __slots__ = (
        "m_blockman",
        "m_chain",
        "m_chainman",
        "m_coins_db",
        "m_disabled",
        "m_mempool",
        "setBlockIndexCandidates",
    )

    m_chain: CChain
    #: The mempool kept consistent with this chain, if any.
    m_mempool: CTxMemPool | None
    m_blockman: BlockManager
    m_chainman: ChainstateManager
    #: The UTXO set (upstream's coins database under a cache; here one in-memory map).
    m_coins_db: CCoinsViewDB
    #: Blocks with all their data, and as much work as the tip: where the tip may move.
    setBlockIndexCandidates: set[CBlockIndex]
    m_disabled: bool

    def __init__(
        self, mempool: CTxMemPool | None, blockman: BlockManager, chainman: ChainstateManager
    ) -> None:
        self.m_chain = CChain()
        self.m_mempool = mempool
        self.m_blockman = blockman
        self.m_chainman = chainman
        self.m_coins_db = CCoinsViewDB()
        self.setBlockIndexCandidates = set()
        self.m_disabled = False

    def CoinsTip(self) -> CCoinsViewDB:
        return self.m_coins_db

    def CoinsDB(self) -> CCoinsViewDB:
        return self.m_coins_db

    def GetMempool(self) -> CTxMemPool | None:
        return self.m_mempool

    def MempoolMutex(self) -> threading.RLock:
        return self.m_mempool.cs if self.m_mempool is not None else _NO_MEMPOOL_MUTEX

    def GetRole(self) -> ChainstateRole:
        return ChainstateRole.NORMAL

    def _signals(self) -> ValidationSignals | None:
        return self.m_chainman.m_options.signals

    # -- start-up ----------------------------------------------------------------------------

    def LoadGenesisBlock(self, stored_pos: FlatFilePos | None = None) -> bool:
        """Add the genesis block to the index, storing it unless it is already stored at
        ``stored_pos``."""
        with cs_main:
            params = self.m_chainman.GetParams()
            block = params.GenesisBlock()
            if block.GetHash() in self.m_blockman.m_block_index:
                return True
            blockPos = (
                stored_pos if stored_pos is not None else self.m_blockman.WriteBlock(block, 0)
            )
            pindex, self.m_chainman.m_best_header = self.m_blockman.AddToBlockIndex(
                block, self.m_chainman.m_best_header
            )
            self.m_chainman.ReceivedBlockTransactions(block, pindex, blockPos)
            return True

    # -- lookups -----------------------------------------------------------------------------

    def FindForkInGlobalIndex(self, locator: CBlockLocator) -> CBlockIndex | None:
        """The latest block of the active chain that the locator (sorted by height, descending)
        has, or genesis."""
        with cs_main:
            for hash in locator.vHave:
                pindex = self.m_blockman.LookupBlockIndex(hash)
                if pindex is not None:
                    if self.m_chain.Contains(pindex):
                        return pindex
                    if pindex.GetAncestor(self.m_chain.Height()) is self.m_chain.Tip():
                        return self.m_chain.Tip()
            return self.m_chain.Genesis()

    # -- connecting and disconnecting --------------------------------------------------------

    def ConnectBlock(
        self, block: CBlock, state: BlockValidationState, pindex: CBlockIndex,
        view: CCoinsViewCache, fJustCheck: bool = False,
    ) -> bool:  # fmt: skip
        """Apply a block's transactions to ``view`` (which must be at its parent), checking
        inputs, maturity and amounts; ``fJustCheck`` stops before recording anything."""
        params = self.m_chainman.GetParams()
        block_hash = block.GetHash()
        assert pindex.phashBlock == block_hash
        if not CheckBlock(block, state, params.GetConsensus(), not fJustCheck, not fJustCheck):
            if state.GetResult() == BlockValidationResult.BLOCK_MUTATED:
                # Mutated blocks are never stored, so this would mean corrupted storage.
                return FatalError(
                    state, "Corrupt block found indicating potential hardware failure."
                )
            LogError("ConnectBlock: Consensus::CheckBlock: %s\n", state.ToString())
            return False

        hashPrevBlock = pindex.pprev.GetBlockHash() if pindex.pprev is not None else ZERO
        assert hashPrevBlock == view.GetBestBlock()
        self.m_chainman.num_blocks_total += 1

        # The genesis block's coinbase is not spendable: it never enters the UTXO set.
        if block_hash == params.GetConsensus().hashGenesisBlock:
            if not fJustCheck:
                view.SetBestBlock(pindex.GetBlockHash())
            return True

        blockundo = CBlockUndo()
        nFees = 0
        for i, tx in enumerate(block.vtx):
            if not tx.IsCoinBase():
                tx_state = TxValidationState()
                txfee = CheckTxInputs(tx, tx_state, view, pindex.nHeight)
                if txfee is None:
                    state.Invalid(
                        BlockValidationResult.BLOCK_CONSENSUS,
                        tx_state.GetRejectReason(),
                        tx_state.GetDebugMessage() + " in transaction " + tx.GetHash().ToString(),
                    )
                    break
                nFees += txfee
                if not MoneyRange(nFees):
                    state.Invalid(
                        BlockValidationResult.BLOCK_CONSENSUS,
                        "bad-txns-accumulated-fee-outofrange",
                        "accumulated fee in the block out of range",
                    )
                    break
            txundo = CTxUndo()
            if i > 0:
                blockundo.vtxundo.append(txundo)
            UpdateCoins(tx, view, txundo, pindex.nHeight)

        if state.IsValid():
            blockReward = nFees + GetBlockSubsidy(pindex.nHeight, params.GetConsensus())
            value_out = block.vtx[0].GetValueOut()
            if value_out > blockReward:
                state.Invalid(
                    BlockValidationResult.BLOCK_CONSENSUS,
                    "bad-cb-amount",
                    f"coinbase pays too much (actual={value_out} vs limit={blockReward})",
                )
        if not state.IsValid():
            LogInfo("Block validation error: %s", state.ToString())
            return False
        if fJustCheck:
            return True

        self.m_blockman.WriteBlockUndo(blockundo, pindex)
        pindex.nStatus |= BLOCK_HAVE_UNDO
        pindex.RaiseValidity(BLOCK_VALID_SCRIPTS)
        view.SetBestBlock(pindex.GetBlockHash())
        return True

    def DisconnectBlock(
        self, block: CBlock, pindex: CBlockIndex, view: CCoinsViewCache
    ) -> DisconnectResult:
        """Undo a block's effect on ``view``: remove its outputs, restore what it spent."""
        fClean = True
        blockUndo = self.m_blockman.ReadBlockUndo(pindex)
        if blockUndo is None:
            LogError("DisconnectBlock(): failure reading undo data\n")
            return DisconnectResult.DISCONNECT_FAILED
        if len(blockUndo.vtxundo) + 1 != len(block.vtx):
            LogError("DisconnectBlock(): block and undo data inconsistent\n")
            return DisconnectResult.DISCONNECT_FAILED

        for i in range(len(block.vtx) - 1, -1, -1):
            tx = block.vtx[i]
            txid = tx.GetHash()
            is_coinbase = tx.IsCoinBase()
            for o, out in enumerate(tx.vout):
                if IsUnspendable(out.scriptPubKey):
                    continue
                coin = view.SpendCoin(COutPoint(txid, o))
                if (
                    coin is None
                    or coin.out != out
                    or coin.nHeight != pindex.nHeight
                    or coin.fCoinBase != is_coinbase
                ):
                    fClean = False  # transaction output mismatch
            if i > 0:
                txundo = blockUndo.vtxundo[i - 1]
                if len(txundo.vprevout) != len(tx.vin):
                    LogError("DisconnectBlock(): transaction and undo data inconsistent\n")
                    return DisconnectResult.DISCONNECT_FAILED
                for j in range(len(tx.vin) - 1, -1, -1):
                    res = ApplyTxInUndo(txundo.vprevout[j], view, tx.vin[j].prevout)
                    if res == DisconnectResult.DISCONNECT_FAILED:
                        return res
                    fClean = fClean and res != DisconnectResult.DISCONNECT_UNCLEAN

        assert pindex.pprev is not None
        view.SetBestBlock(pindex.pprev.GetBlockHash())
        return DisconnectResult.DISCONNECT_OK if fClean else DisconnectResult.DISCONNECT_UNCLEAN

    def UpdateTip(self, pindexNew: CBlockIndex) -> None:
        """Log the new tip (the chain itself was already updated)."""
        if self.m_mempool is not None:
            self.m_mempool.AddTransactionsUpdated(1)
        if not LogInstance().Enabled():
            return
        coins_tip = self.CoinsTip()
        LogPrintLevel_(
            BCLog.LogFlags.ALL,
            BCLog.Level.Info,
            False,
            "%s%s: new best=%s height=%d version=0x%08x log2_work=%f tx=%d date='%s' "
            "progress=%f cache=%.1fMiB(%dtxo)%s\n",
            "",
            "UpdateTip",
            pindexNew.GetBlockHash().ToString(),
            pindexNew.nHeight,
            pindexNew.nVersion & 0xFFFFFFFF,
            math.log2(pindexNew.nChainWork) if pindexNew.nChainWork else 0.0,
            pindexNew.m_chain_tx_count,
            FormatISO8601DateTime(pindexNew.GetBlockTime()),
            self.m_chainman.GuessVerificationProgress(pindexNew),
            coins_tip.DynamicMemoryUsage() * (1.0 / (1 << 20)),
            coins_tip.GetCacheSize(),
            "",
        )

    def DisconnectTip(
        self, state: BlockValidationState, disconnectpool: DisconnectedBlockTransactions | None
    ) -> bool:
        """Disconnect the tip block; its transactions go to ``disconnectpool`` (the caller
        makes the mempool consistent again with MaybeUpdateMempoolForReorg)."""
        pindexDelete = self.m_chain.Tip()
        assert pindexDelete is not None and pindexDelete.pprev is not None
        block = self.m_blockman.ReadBlock(pindexDelete)
        if block is None:
            LogError("DisconnectTip(): Failed to read block\n")
            return False
        view = CCoinsViewCache(self.CoinsTip())
        assert view.GetBestBlock() == pindexDelete.GetBlockHash()
        if self.DisconnectBlock(block, pindexDelete, view) != DisconnectResult.DISCONNECT_OK:
            LogError(
                "DisconnectTip(): DisconnectBlock %s failed\n",
                pindexDelete.GetBlockHash().ToString(),
            )
            return False
        flushed = view.Flush()
        assert flushed

        if disconnectpool is not None and self.m_mempool is not None:
            for evicted_tx in disconnectpool.AddTransactionsFromBlock(block.vtx):
                self.m_mempool.removeRecursive(evicted_tx, MemPoolRemovalReason.REORG)

        self.m_chain.SetTip(pindexDelete.pprev)
        self.UpdateTip(pindexDelete.pprev)
        signals = self._signals()
        if signals is not None:
            # Transactions went from 1-confirmed to 0-confirmed or conflicted.
            signals.BlockDisconnected(block, pindexDelete)
        return True

    def ConnectTip(
        self, state: BlockValidationState, pindexNew: CBlockIndex, block_to_connect: CBlock | None,
        connectTrace: list[tuple[CBlockIndex, CBlock]],
        disconnectpool: DisconnectedBlockTransactions,
    ) -> bool:  # fmt: skip
        """Connect ``pindexNew`` (a child of the tip), reading it from storage unless given.
        On success it is appended to ``connectTrace`` (upstream's ConnectTrace)."""
        assert pindexNew.pprev is self.m_chain.Tip()
        if block_to_connect is None:
            block_to_connect = self.m_blockman.ReadBlock(pindexNew)
            if block_to_connect is None:
                return FatalError(state, "Failed to read block.")
        view = CCoinsViewCache(self.CoinsTip())
        rv = self.ConnectBlock(block_to_connect, state, pindexNew, view)
        signals = self._signals()
        if signals is not None:
            signals.BlockChecked(block_to_connect, state)
        if not rv:
            if state.IsInvalid():
                self.InvalidBlockFound(pindexNew, state)
            LogError(
                "%s: ConnectBlock %s failed, %s\n",
                "ConnectTip",
                pindexNew.GetBlockHash().ToString(),
                state.ToString(),
            )
            return False
        flushed = view.Flush()
        assert flushed
        # Remove the block's transactions and their conflicts from the mempool.
        if self.m_mempool is not None:
            self.m_mempool.removeForBlock(block_to_connect.vtx, pindexNew.nHeight)
            disconnectpool.removeForBlock(block_to_connect.vtx)
        self.m_chain.SetTip(pindexNew)
        self.UpdateTip(pindexNew)
        connectTrace.append((pindexNew, block_to_connect))
        return True

    def FindMostWorkChain(self) -> CBlockIndex | None:
        """The best candidate tip whose branch (back to the active chain) has all its data and
        no invalid block; candidates that fail this are dropped on the way."""
        chainman = self.m_chainman
        while True:
            if not self.setBlockIndexCandidates:
                return None
            pindexNew = max(self.setBlockIndexCandidates, key=_WorkKey)
            pindexTest: CBlockIndex | None = pindexNew
            fInvalidAncestor = False
            while pindexTest is not None and not self.m_chain.Contains(pindexTest):
                assert pindexTest.HaveNumChainTxs() or pindexTest.nHeight == 0
                fFailedChain = bool(pindexTest.nStatus & BLOCK_FAILED_MASK)
                fMissingData = not (pindexTest.nStatus & BLOCK_HAVE_DATA)
                if fFailedChain or fMissingData:
                    if fFailedChain and (
                        chainman.m_best_invalid is None
                        or pindexNew.nChainWork > chainman.m_best_invalid.nChainWork
                    ):
                        chainman.m_best_invalid = pindexNew
                    pindexFailed: CBlockIndex | None = pindexNew
                    # Drop the whole branch from the candidates.
                    while pindexFailed is not None and pindexTest is not pindexFailed:
                        if fFailedChain:
                            pindexFailed.nStatus |= BLOCK_FAILED_CHILD
                        elif fMissingData and pindexFailed.pprev is not None:
                            # Try again if the missing data arrives.
                            self.m_blockman.m_blocks_unlinked.setdefault(
                                pindexFailed.pprev, []
                            ).append(pindexFailed)
                        self.setBlockIndexCandidates.discard(pindexFailed)
                        pindexFailed = pindexFailed.pprev
                    self.setBlockIndexCandidates.discard(pindexTest)
                    fInvalidAncestor = True
                    break
                pindexTest = pindexTest.pprev
            if not fInvalidAncestor:
                return pindexNew

    def PruneBlockIndexCandidates(self) -> None:
        """Forget candidates worse than the tip (the tip itself stays: a failed reorg may need
        to come back to it)."""
        tip = self.m_chain.Tip()
        assert tip is not None
        self.setBlockIndexCandidates = {
            c for c in self.setBlockIndexCandidates if not CBlockIndexWorkComparator(c, tip)
        }
        assert self.setBlockIndexCandidates

    def ActivateBestChainStep(
        self, state: BlockValidationState, pindexMostWork: CBlockIndex, pblock: CBlock | None,
        connectTrace: list[tuple[CBlockIndex, CBlock]],
    ) -> tuple[bool, bool]:  # fmt: skip
        """Move towards ``pindexMostWork``: disconnect to the fork, then connect up to 32
        blocks, stopping early once the tip has more work than before. Returns (no system
        error, an invalid block was found) (upstream's return value and fInvalidFound)."""
        fInvalidFound = False
        pindexOldTip = self.m_chain.Tip()
        pindexFork = self.m_chain.FindFork(pindexMostWork)

        # Disconnect active blocks that are no longer on the best chain.
        fBlocksDisconnected = False
        disconnectpool = DisconnectedBlockTransactions()
        while self.m_chain.Tip() is not None and self.m_chain.Tip() is not pindexFork:
            if not self.DisconnectTip(state, disconnectpool):
                # Keep the mempool consistent, just in case; only remove from it.
                self.MaybeUpdateMempoolForReorg(disconnectpool, False)
                FatalError(state, "Failed to disconnect block.")
                return False, fInvalidFound
            fBlocksDisconnected = True

        # Connect the new blocks, in batches of at most 32.
        fContinue = True
        nHeight = pindexFork.nHeight if pindexFork is not None else -1
        while fContinue and nHeight != pindexMostWork.nHeight:
            nTargetHeight = min(nHeight + 32, pindexMostWork.nHeight)
            vpindexToConnect: list[CBlockIndex] = []
            pindexIter = pindexMostWork.GetAncestor(nTargetHeight)
            while pindexIter is not None and pindexIter.nHeight != nHeight:
                vpindexToConnect.append(pindexIter)
                pindexIter = pindexIter.pprev
            nHeight = nTargetHeight

            for pindexConnect in reversed(vpindexToConnect):
                block = pblock if pindexConnect is pindexMostWork else None
                if not self.ConnectTip(state, pindexConnect, block, connectTrace, disconnectpool):
                    if state.IsInvalid():
                        # The block violates a consensus rule.
                        if state.GetResult() != BlockValidationResult.BLOCK_MUTATED:
                            self.InvalidChainFound(vpindexToConnect[0])
                        _ResetState(state)  # upstream assigns a fresh state
                        fInvalidFound = True
                        fContinue = False
                        break
                    # A system error: make the mempool consistent with the tip, and give up.
                    self.MaybeUpdateMempoolForReorg(disconnectpool, False)
                    return False, fInvalidFound
                self.PruneBlockIndexCandidates()
                tip = self.m_chain.Tip()
                assert tip is not None
                if pindexOldTip is None or tip.nChainWork > pindexOldTip.nChainWork:
                    # Better than before: return to let the caller notify.
                    fContinue = False
                    break

        if fBlocksDisconnected:
            # Offer the disconnected transactions back to the mempool.
            self.MaybeUpdateMempoolForReorg(disconnectpool, True)
        if self.m_mempool is not None:
            self.m_mempool.check(self.CoinsTip(), self.m_chain.Height() + 1)
        self.CheckForkWarningConditions()
        return True, fInvalidFound

    def ActivateBestChain(self, state: BlockValidationState, pblock: CBlock | None = None) -> bool:
        """Make the most-work valid chain the active one, connecting ``pblock`` without reading
        it back when it is the block to connect. Returns false only on a system error."""
        chainman = self.m_chainman
        signals = self._signals()
        pindexMostWork: CBlockIndex | None = None
        pindexNewTip: CBlockIndex | None = None
        while True:
            with cs_main, self.MempoolMutex():
                was_in_ibd = chainman.IsInitialBlockDownload()
                starting_tip = self.m_chain.Tip()
                blocks_connected = False
                while True:
                    connectTrace: list[tuple[CBlockIndex, CBlock]] = []
                    if pindexMostWork is None:
                        pindexMostWork = self.FindMostWorkChain()
                    # Nothing to do?
                    if pindexMostWork is None or pindexMostWork is self.m_chain.Tip():
                        break
                    use_block = (
                        pblock
                        if pblock is not None and pblock.GetHash() == pindexMostWork.GetBlockHash()
                        else None
                    )
                    ok, fInvalidFound = self.ActivateBestChainStep(
                        state, pindexMostWork, use_block, connectTrace
                    )
                    if not ok:
                        return False  # a system error
                    blocks_connected = True
                    if fInvalidFound:
                        # We may need another branch now.
                        pindexMostWork = None
                    pindexNewTip = self.m_chain.Tip()
                    for pindex, block in connectTrace:
                        if signals is not None:
                            signals.BlockConnected(self.GetRole(), block, pindex)
                    tip = self.m_chain.Tip()
                    if not (
                        tip is None
                        or (
                            starting_tip is not None
                            and CBlockIndexWorkComparator(tip, starting_tip)
                        )
                    ):
                        break
                if not blocks_connected:
                    return True
                assert pindexNewTip is not None

                pindexFork = self.m_chain.FindFork(starting_tip)
                still_in_ibd = chainman.IsInitialBlockDownload()
                if was_in_ibd and not still_in_ibd:
                    pass  # upstream rebalances its caches here
                # Notify in the order blocks were connected.
                if pindexFork is not pindexNewTip and signals is not None:
                    signals.UpdatedBlockTip(pindexNewTip, pindexFork, still_in_ibd)
                # ActiveTipChange fires even when the tip did not move past the fork.
                if signals is not None:
                    signals.ActiveTipChange(pindexNewTip, chainman.IsInitialBlockDownload())
            if chainman.m_interrupt.is_set() or pindexNewTip is pindexMostWork:
                break
        chainman.CheckBlockIndex()
        return True

    def MaybeUpdateMempoolForReorg(
        self, disconnectpool: DisconnectedBlockTransactions, fAddToMempool: bool
    ) -> None:
        """Re-add disconnected transactions (earliest first), drop those that no longer fit and
        their descendants, then drop entries the new tip makes non-final or immature."""
        pool = self.m_mempool
        if pool is None:
            return
        vHashUpdate: list[uint256] = []
        # The queue holds the most recently confirmed transaction first: walk it backwards.
        for tx in reversed(disconnectpool.take()):
            if (
                not fAddToMempool
                or tx.IsCoinBase()
                or AcceptToMemoryPool(self, tx, GetTime(), True, False).m_result_type
                != MempoolAcceptResult.ResultType.VALID
            ):
                # Whatever spends it is now an orphan.
                pool.removeRecursive(tx, MemPoolRemovalReason.REORG)
            elif pool.exists(tx.GetHash()):
                vHashUpdate.append(tx.GetHash())
        # Entries assume they have no in-mempool children; re-added ones may have some.
        pool.UpdateTransactionsFromBlock(vHashUpdate)

        tip = self.m_chain.Tip()
        assert tip is not None

        def filter_final_and_mature(entry: CTxMemPoolEntry) -> bool:
            # True: the entry would be invalid in the next block. (Lock points and BIP68 are not
            # tracked here.)
            tx = entry.GetTx()
            if not CheckFinalTxAtTip(tip, tx):
                return True
            if entry.GetSpendsCoinbase():
                for txin in tx.vin:
                    if pool.exists(txin.prevout.hash):
                        continue
                    coin = self.CoinsTip().AccessCoin(txin.prevout)
                    assert not coin.IsSpent()
                    mempool_spend_height = tip.nHeight + 1
                    if (
                        coin.IsCoinBase()
                        and mempool_spend_height - coin.nHeight < COINBASE_MATURITY
                    ):
                        return True
            return False

        pool.removeForReorg(filter_final_and_mature)

    # -- invalid blocks ----------------------------------------------------------------------

    def CheckForkWarningConditions(self) -> None:
        """Warn when an invalid chain has much more work than ours (a sign we disagree with the
        network)."""
        chainman = self.m_chainman
        if chainman.IsInitialBlockDownload():
            return
        tip = self.m_chain.Tip()
        assert tip is not None
        best_invalid = chainman.m_best_invalid
        if best_invalid is not None and best_invalid.nChainWork > tip.nChainWork + (
            GetBlockProof(tip) * 6
        ):
            LogPrintf(
                "%s: Warning: Found invalid chain at least ~6 blocks longer than our best chain.\n"
                "Chain state database corruption likely.\n",
                "CheckForkWarningConditions",
            )

    def InvalidChainFound(self, pindexNew: CBlockIndex) -> None:
        """Record ``pindexNew`` as invalid (and its descendants as failed children)."""
        chainman = self.m_chainman
        if (
            chainman.m_best_invalid is None
            or pindexNew.nChainWork > chainman.m_best_invalid.nChainWork
        ):
            chainman.m_best_invalid = pindexNew
        self.SetBlockFailureFlags(pindexNew)
        best_header = chainman.m_best_header
        if best_header is not None and best_header.GetAncestor(pindexNew.nHeight) is pindexNew:
            chainman.RecalculateBestHeader()
        LogPrintf(
            "%s: invalid block=%s  height=%d  log2_work=%f  date=%s\n",
            "InvalidChainFound",
            pindexNew.GetBlockHash().ToString(),
            pindexNew.nHeight,
            _log2_work(pindexNew),
            FormatISO8601DateTime(pindexNew.GetBlockTime()),
        )
        tip = self.m_chain.Tip()
        assert tip is not None
        LogPrintf(
            "%s:  current best=%s  height=%d  log2_work=%f  date=%s\n",
            "InvalidChainFound",
            tip.GetBlockHash().ToString(),
            self.m_chain.Height(),
            _log2_work(tip),
            FormatISO8601DateTime(tip.GetBlockTime()),
        )
        self.CheckForkWarningConditions()

    def InvalidBlockFound(self, pindex: CBlockIndex, state: BlockValidationState) -> None:
        """A block failed validation. A mutated block says nothing about its header, so only
        other failures mark the index invalid."""
        if state.GetResult() != BlockValidationResult.BLOCK_MUTATED:
            pindex.nStatus |= BLOCK_FAILED_VALID
            self.setBlockIndexCandidates.discard(pindex)
            self.InvalidChainFound(pindex)

    def SetBlockFailureFlags(self, invalid_block: CBlockIndex) -> None:
        for block_index in self.m_blockman.m_block_index.values():
            if (
                block_index is not invalid_block
                and block_index.GetAncestor(invalid_block.nHeight) is invalid_block
            ):
                block_index.nStatus = (
                    block_index.nStatus & ~BLOCK_FAILED_VALID
                ) | BLOCK_FAILED_CHILD

    def ResetBlockFailureFlags(self, pindex: CBlockIndex) -> None:
        """Clear the failure flags of ``pindex``, its descendants and its ancestors."""
        nHeight = pindex.nHeight
        tip = self.m_chain.Tip()
        for block_index in self.m_blockman.m_block_index.values():
            if block_index.nStatus & BLOCK_FAILED_MASK and (
                block_index.GetAncestor(nHeight) is pindex
                or pindex.GetAncestor(block_index.nHeight) is block_index
            ):
                block_index.nStatus &= ~BLOCK_FAILED_MASK
                if (
                    block_index.IsValid(BLOCK_VALID_TRANSACTIONS)
                    and block_index.HaveNumChainTxs()
                    and tip is not None
                    and CBlockIndexWorkComparator(tip, block_index)
                ):
                    self.setBlockIndexCandidates.add(block_index)
                if block_index is self.m_chainman.m_best_invalid:
                    self.m_chainman.m_best_invalid = None

    def TryAddBlockIndexCandidate(self, pindex: CBlockIndex) -> None:
        """A candidate only if it has at least as much work as the tip."""
        tip = self.m_chain.Tip()
        if tip is not None and CBlockIndexWorkComparator(pindex, tip):
            return
        self.setBlockIndexCandidates.add(pindex)

    def InvalidateBlock(self, state: BlockValidationState, pindex: CBlockIndex) -> bool:
        """Mark ``pindex`` invalid (and its descendants failed), disconnecting it first if it is
        in the active chain. The caller then runs ActivateBestChain to move to the best
        remaining chain. Genesis cannot be invalidated."""
        if pindex.nHeight == 0:
            return False
        chainman = self.m_chainman
        to_mark_failed = pindex
        pindex_was_in_chain = False
        disconnected = 0
        with cs_main:
            # Out-of-chain blocks at least as good as the new tip will be, by chain work.
            assert pindex.pprev is not None
            highpow_outofchain_headers = sorted(
                (
                    c
                    for c in self.m_blockman.m_block_index.values()
                    if not self.m_chain.Contains(c)
                    and not CBlockIndexWorkComparator(c, pindex.pprev)
                    and not (c.nStatus & BLOCK_FAILED_MASK)
                ),
                key=lambda c: c.nChainWork,
            )

            # Disconnect pindex and its descendants from the chain, marking them invalid.
            while self.m_chain.Contains(pindex) and not chainman.m_interrupt.is_set():
                with self.MempoolMutex():
                    pindex_was_in_chain = True
                    invalid_walk_tip = self.m_chain.Tip()
                    assert invalid_walk_tip is not None and invalid_walk_tip.pprev is not None
                    disconnectpool = DisconnectedBlockTransactions()
                    ret = self.DisconnectTip(state, disconnectpool)
                    # Re-add to the mempool unless this invalidation goes deep.
                    disconnected += 1
                    self.MaybeUpdateMempoolForReorg(disconnectpool, disconnected <= 10 and ret)
                    if not ret:
                        return False
                    assert invalid_walk_tip.pprev is self.m_chain.Tip()

                    invalid_walk_tip.nStatus |= BLOCK_FAILED_VALID
                    self.setBlockIndexCandidates.discard(invalid_walk_tip)
                    self.setBlockIndexCandidates.add(invalid_walk_tip.pprev)
                    if invalid_walk_tip is to_mark_failed.pprev and (
                        to_mark_failed.nStatus & BLOCK_FAILED_VALID
                    ):
                        # Only the last disconnected block is FAILED_VALID; its children are
                        # FAILED_CHILD.
                        to_mark_failed.nStatus = (
                            to_mark_failed.nStatus ^ BLOCK_FAILED_VALID
                        ) | BLOCK_FAILED_CHILD

                    best_header = chainman.m_best_header
                    assert best_header is not None
                    best_header_needs_update = (
                        best_header.GetAncestor(invalid_walk_tip.nHeight) is invalid_walk_tip
                    )
                    if best_header_needs_update:
                        chainman.m_best_header = invalid_walk_tip.pprev
                    remaining = []
                    for candidate in highpow_outofchain_headers:
                        if candidate.nChainWork < invalid_walk_tip.pprev.nChainWork:
                            remaining.append(candidate)
                            continue
                        if candidate.GetAncestor(invalid_walk_tip.nHeight) is invalid_walk_tip:
                            candidate.nStatus = (
                                candidate.nStatus & ~BLOCK_FAILED_VALID
                            ) | BLOCK_FAILED_CHILD
                            continue
                        if (
                            not CBlockIndexWorkComparator(candidate, invalid_walk_tip.pprev)
                            and candidate.IsValid(BLOCK_VALID_TRANSACTIONS)
                            and candidate.HaveNumChainTxs()
                        ):
                            self.setBlockIndexCandidates.add(candidate)
                        mbh = chainman.m_best_header
                        if (
                            best_header_needs_update
                            and mbh is not None
                            and mbh.nChainWork < candidate.nChainWork
                        ):
                            chainman.m_best_header = candidate
                        remaining.append(candidate)
                    highpow_outofchain_headers = remaining
                    to_mark_failed = invalid_walk_tip

            if self.m_chain.Contains(to_mark_failed):
                return False
            # Mark pindex invalid if it never was in the active chain.
            if not pindex_was_in_chain and not (pindex.nStatus & BLOCK_FAILED_MASK):
                pindex.nStatus |= BLOCK_FAILED_VALID
                self.setBlockIndexCandidates.discard(pindex)
            tip = self.m_chain.Tip()
            assert tip is not None
            for block_index in self.m_blockman.m_block_index.values():
                if (
                    block_index.IsValid(BLOCK_VALID_TRANSACTIONS)
                    and block_index.HaveNumChainTxs()
                    and not CBlockIndexWorkComparator(block_index, tip)
                ):
                    self.setBlockIndexCandidates.add(block_index)
            self.InvalidChainFound(to_mark_failed)

            # Only notify about a new tip if the active chain changed.
            signals = self._signals()
            if pindex_was_in_chain and signals is not None:
                signals.ActiveTipChange(tip, chainman.IsInitialBlockDownload())
        return True

    def PreciousBlock(self, state: BlockValidationState, pindex: CBlockIndex) -> bool:
        """Treat ``pindex`` as if it arrived before any other block of equal work."""
        chainman = self.m_chainman
        with cs_main:
            tip = self.m_chain.Tip()
            assert tip is not None
            if pindex.nChainWork < tip.nChainWork:
                return True  # not at the tip: nothing to do
            if tip.nChainWork > chainman.nLastPreciousChainwork:
                # The chain was extended since the last call: restart the counter.
                chainman.nBlockReverseSequenceId = -1
            chainman.nLastPreciousChainwork = tip.nChainWork
            self.setBlockIndexCandidates.discard(pindex)
            pindex.nSequenceId = chainman.nBlockReverseSequenceId
            if chainman.nBlockReverseSequenceId > -(1 << 31):
                chainman.nBlockReverseSequenceId -= 1
            if pindex.IsValid(BLOCK_VALID_TRANSACTIONS) and pindex.HaveNumChainTxs():
                self.setBlockIndexCandidates.add(pindex)
                self.PruneBlockIndexCandidates()
        return self.ActivateBestChain(state)

    def ForceFlushStateToDisk(self) -> None:
        """Commit the block file to disk (the UTXO set is not written: it is rebuilt from the
        blocks) and tell subscribers, as a full flush does upstream."""
        with cs_main:
            self.m_blockman.FlushChainstateBlockFile(self.m_chain.Height())
        signals = self._signals()
        if signals is not None:
            with cs_main:
                locator = GetLocator(self.m_chain.Tip())
            signals.ChainStateFlushed(self.GetRole(), locator)


_NO_MEMPOOL_MUTEX: Final = threading.RLock()


def _log2_work(pindex: CBlockIndex) -> float:
    return math.log2(pindex.nChainWork) if pindex.nChainWork > 0 else 0.0
