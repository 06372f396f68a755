"""Block and chain validation (src/validation.{h,cpp}): the parts the P2P layer and the RPCs
use, as a regtest-only stand-in. ChainstateManager lives here; the chainstate is in
chainstate.py, the block checks in validation_checks.py, mempool acceptance in txmempool.py,
and this module re-exports their names, as upstream's validation.h declares them.

What is validated: headers (proof of work, expected difficulty, timestamps against the median
time past and our clock, versions of buried deployments, linkage), blocks (merkle root and its
mutation, size and weight, coinbase position, transactions' context-free checks, BIP34 height
in the coinbase, the witness commitment, finality of transactions) and connection (inputs exist
and are unspent, coinbase maturity, amounts, the coinbase's claim against subsidy plus fees).
What is not: scripts and signatures, sigop limits, BIP30 duplicate outputs, BIP68 sequence locks,
versionbits deployments, assumevalid/assumeutxo, pruning, checkpoints. There is no "adjusted
time" (v30 has none either): block timestamps are checked against NodeClock (mockable with
SetMockTime).

Blocks are kept by BlockManager (blockstorage.py): in memory, and with a data directory also in
``<datadir>/blocks/blocks.dat``, replayed at start-up to rebuild the index and the UTXO set.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .blockstorage import BlockManager
from .chain import (
    BLOCK_FAILED_MASK,
    BLOCK_HAVE_DATA,
    BLOCK_OPT_WITNESS,
    BLOCK_VALID_TRANSACTIONS,
    BLOCK_VALID_TREE,
    CBlockIndex,
    CChain,
    FlatFilePos,
    cs_main,
)
from .chainparams import CChainParams, Consensus
from .chainstate import (
    ApplyTxInUndo,
    Chainstate,
    DisconnectResult,
    FatalError,
    UpdateCoins,
)
from .clock import GetTime, MockableSteadyClock
from .coins import CCoinsViewCache
from .consensus_validation import (
    NO_WITNESS_COMMITMENT,
    BlockValidationResult,
    BlockValidationState,
    GetWitnessCommitmentIndex,
    TxValidationResult,
    TxValidationState,
)
from .hash import hash256
from .logging import BCLog, LogDebug, LogError, LogInfo
from .merkle import BlockWitnessMerkleRoot
from .primitives.block import CBlock, CBlockHeader
from .primitives.transaction import CTransaction, CTxIn, CTxOut
from .script import OP_RETURN
from .tx_verify import CheckFinalTxAtTip
from .txmempool import AcceptToMemoryPool, CTxMemPool, MempoolAcceptResult
from .uint256 import uint256
from .validation_checks import (
    CalculateClaimedHeadersWork,
    CheckBlock,
    CheckBlockHeader,
    CheckMerkleRoot,
    CheckWitnessMalleation,
    ContextualCheckBlock,
    ContextualCheckBlockHeader,
    DeploymentActiveAfter,
    DeploymentActiveAt,
    GetBlockSubsidy,
    HasValidProofOfWork,
    IsBlockMutated,
)
from .validationinterface import ValidationSignals

#: Default for -maxtipage: a tip older than this (seconds) means initial block download.
DEFAULT_MAX_TIP_AGE: Final = 24 * 60 * 60
#: Blocks within this many of the tip are never pruned; also how far ahead of our tip an
#: unrequested block may be before it is ignored.
MIN_BLOCKS_TO_KEEP: Final = 288
DEFAULT_CHECKBLOCKS: Final = 6
DEFAULT_CHECKLEVEL: Final = 3

# Names upstream's validation.h declares, defined in the modules split out of this one.
__all__ = [
    "DEFAULT_CHECKBLOCKS",
    "DEFAULT_CHECKLEVEL",
    "DEFAULT_MAX_TIP_AGE",
    "MIN_BLOCKS_TO_KEEP",
    "AcceptToMemoryPool",
    "ApplyTxInUndo",
    "CalculateClaimedHeadersWork",
    "Chainstate",
    "ChainstateManager",
    "ChainstateManagerOpts",
    "CheckBlock",
    "CheckBlockHeader",
    "CheckFinalTxAtTip",
    "CheckMerkleRoot",
    "CheckWitnessMalleation",
    "ContextualCheckBlock",
    "ContextualCheckBlockHeader",
    "DeploymentActiveAfter",
    "DeploymentActiveAt",
    "DisconnectResult",
    "FatalError",
    "GetBlockSubsidy",
    "HasValidProofOfWork",
    "IsBlockMutated",
    "MempoolAcceptResult",
    "TestBlockValidity",
    "UpdateCoins",
]


@dataclass(slots=True)
class ChainstateManagerOpts:
    """kernel::ChainstateManagerOpts, the parts that exist here. ``max_tip_age`` in seconds;
    ``minimum_chain_work`` None takes the chain's nMinimumChainWork."""

    chainparams: CChainParams
    datadir: Path | None = None
    minimum_chain_work: int | None = None
    max_tip_age: int = DEFAULT_MAX_TIP_AGE
    signals: ValidationSignals | None = None


class ChainstateManager:
    """Owns the block index (through BlockManager) and the chainstate, and is where blocks,
    headers and transactions enter validation.

    Construction loads the chain: the genesis block, then (when ``datadir`` is given) every
    block stored in ``<datadir>/blocks/blocks.dat``, replayed through block acceptance, then
    ActivateBestChain. Signals are not subscribed to yet at that point, as at upstream's
    start-up. ``mempool`` is the mempool the chainstate keeps consistent (upstream passes it to
    InitializeChainstate)."""

    __slots__ = (
        "m_active_chainstate",
        "m_best_header",
        "m_best_invalid",
        "m_blockman",
        "m_cached_finished_ibd",
        "m_interrupt",
        "m_last_notified_header",
        "m_last_presync_update",
        "m_options",
        "nBlockReverseSequenceId",
        "nBlockSequenceId",
        "nLastPreciousChainwork",
        "num_blocks_total",
    )

    Options = ChainstateManagerOpts

    m_options: ChainstateManagerOpts
    m_blockman: BlockManager
    m_active_chainstate: Chainstate
    #: The most-work header not known to be invalid (it may lack block data).
    m_best_header: CBlockIndex | None
    #: The most-work block known to be invalid.
    m_best_invalid: CBlockIndex | None
    #: Latch: once IBD is over, it stays over.
    m_cached_finished_ibd: bool
    #: Set to stop long operations (upstream's util::SignalInterrupt).
    m_interrupt: threading.Event
    m_last_notified_header: CBlockIndex | None
    #: Steady-clock microseconds of the last headers-presync log line.
    m_last_presync_update: int
    #: Next sequence id for a block whose data arrives (ties in work go to the earliest).
    nBlockSequenceId: int
    #: Decreasing sequence ids for preciousblock.
    nBlockReverseSequenceId: int
    nLastPreciousChainwork: int
    num_blocks_total: int

    def __init__(
        self,
        chainparams: CChainParams,
        signals: ValidationSignals | None = None,
        *,
        mempool: CTxMemPool | None = None,
        datadir: Path | str | None = None,
        minimum_chain_work: int | None = None,
        max_tip_age: int = DEFAULT_MAX_TIP_AGE,
    ) -> None:
        self.m_options = ChainstateManagerOpts(
            chainparams,
            Path(datadir) if datadir is not None else None,
            minimum_chain_work,
            max_tip_age,
            signals,
        )
        blocks_dir = Path(datadir) / "blocks" if datadir is not None else None
        self.m_blockman = BlockManager(chainparams.MessageStart(), blocks_dir)
        self.m_best_header = None
        self.m_best_invalid = None
        self.m_cached_finished_ibd = False
        self.m_interrupt = threading.Event()
        self.m_last_notified_header = None
        self.m_last_presync_update = 0
        self.nBlockSequenceId = 1
        self.nBlockReverseSequenceId = -1
        self.nLastPreciousChainwork = 0
        self.num_blocks_total = 0
        self.m_active_chainstate = Chainstate(mempool, self.m_blockman, self)
        self.LoadChainstate()

    def LoadChainstate(self) -> None:
        """Genesis, then the stored blocks, then the best chain (node/chainstate.cpp's
        LoadChainstate with LoadBlockIndex and the block import, in one)."""
        chainstate = self.m_active_chainstate
        genesis_hash = self.GetConsensus().hashGenesisBlock
        stored = self.m_blockman.ReadStoredBlocks()
        genesis_pos = next((pos for pos, b in stored if b.GetHash() == genesis_hash), None)
        with cs_main:
            chainstate.LoadGenesisBlock(genesis_pos)
            if stored:
                LogInfo("Loading %d stored blocks\n", len(stored))
                self.m_blockman.m_importing = True
                try:
                    for pos, block in stored:
                        if block.GetHash() == genesis_hash:
                            continue
                        state = BlockValidationState()
                        if CheckBlock(block, state, self.GetConsensus()):
                            self.AcceptBlock(block, state, True, pos, True)
                finally:
                    self.m_blockman.m_importing = False
        state = BlockValidationState()
        if not chainstate.ActivateBestChain(state):
            LogError("LoadChainstate: ActivateBestChain failed (%s)\n", state.ToString())

    # -- accessors ---------------------------------------------------------------------------

    def GetParams(self) -> CChainParams:
        return self.m_options.chainparams

    def GetConsensus(self) -> Consensus.Params:
        return self.m_options.chainparams.GetConsensus()

    def GetMutex(self) -> threading.RLock:
        """cs_main."""
        return cs_main

    def MinimumChainWork(self) -> int:
        if self.m_options.minimum_chain_work is not None:
            return self.m_options.minimum_chain_work
        return int.from_bytes(self.GetConsensus().nMinimumChainWork.data, "little")

    def ActiveChainstate(self) -> Chainstate:
        return self.m_active_chainstate

    def ActiveChain(self) -> CChain:
        return self.m_active_chainstate.m_chain

    def ActiveHeight(self) -> int:
        return self.ActiveChain().Height()

    def ActiveTip(self) -> CBlockIndex | None:
        return self.ActiveChain().Tip()

    def BlockIndex(self) -> dict[uint256, CBlockIndex]:
        return self.m_blockman.m_block_index

    def GetAll(self) -> list[Chainstate]:
        return [self.m_active_chainstate]

    def IsSnapshotActive(self) -> bool:
        return False

    def GetSnapshotBaseBlock(self) -> CBlockIndex | None:
        """No assumeutxo snapshot: always None."""
        return None

    def BackgroundSyncInProgress(self) -> bool:
        return False

    def GetBackgroundSyncTip(self) -> CBlockIndex | None:
        return None

    def CheckBlockIndex(self) -> None:
        """Upstream's -checkblockindex consistency walk is not ported."""

    def IsInitialBlockDownload(self) -> bool:
        """Whether we are still catching up: loading blocks, tip work below the minimum chain
        work, or tip older than max_tip_age. Once false it latches false."""
        if self.m_cached_finished_ibd:
            return False
        with cs_main:
            if self.m_cached_finished_ibd:
                return False
            if self.m_blockman.LoadingBlocks():
                return True
            tip = self.ActiveChain().Tip()
            if tip is None:
                return True
            if tip.nChainWork < self.MinimumChainWork():
                return True
            if tip.Time() < GetTime() - self.m_options.max_tip_age:
                return True
            LogInfo("Leaving InitialBlockDownload (latching to false)\n")
            self.m_cached_finished_ibd = True
            return False

    def RecalculateBestHeader(self) -> None:
        best = self.ActiveChain().Tip()
        assert best is not None
        for entry in self.m_blockman.m_block_index.values():
            if not (entry.nStatus & BLOCK_FAILED_MASK) and best.nChainWork < entry.nChainWork:
                best = entry
        self.m_best_header = best

    def GuessVerificationProgress(self, pindex: CBlockIndex | None) -> float:
        """An estimate of how far the chain up to ``pindex`` is verified, from 0.0 to 1.0."""
        data = self.GetParams().TxData()
        if pindex is None:
            return 0.0
        if pindex.m_chain_tx_count == 0:
            return 0.0
        nNow = GetTime()
        best = self.m_best_header
        if (
            best is not None
            and abs(nNow - pindex.GetBlockTime()) <= 2 * 60 * 60
            and best.nHeight >= pindex.nHeight
        ):
            # A recent header: count in heights, so the value reaches exactly 1.0.
            block_time = (
                nNow - (best.nHeight - pindex.nHeight) * self.GetConsensus().nPowTargetSpacing
            )
        else:
            block_time = pindex.GetBlockTime()
        if pindex.m_chain_tx_count <= data.tx_count:
            fTxTotal = data.tx_count + (nNow - data.nTime) * data.dTxRate
        else:
            fTxTotal = pindex.m_chain_tx_count + (nNow - block_time) * data.dTxRate
        return min(pindex.m_chain_tx_count / fTxTotal, 1.0)

    # -- headers and blocks ------------------------------------------------------------------

    def ReceivedBlockTransactions(
        self, block: CBlock, pindexNew: CBlockIndex, pos: FlatFilePos
    ) -> None:
        """The block's data was stored and passed its checks: raise it to VALID_TRANSACTIONS
        and, once all its ancestors have data too, make it (and waiting descendants) tip
        candidates."""
        pindexNew.nTx = len(block.vtx)
        pindexNew.nFile = pos.nFile
        pindexNew.nDataPos = pos.nPos
        pindexNew.nUndoPos = 0
        pindexNew.nStatus |= BLOCK_HAVE_DATA
        if DeploymentActiveAt(pindexNew, self, Consensus.DEPLOYMENT_SEGWIT):
            pindexNew.nStatus |= BLOCK_OPT_WITNESS
        pindexNew.RaiseValidity(BLOCK_VALID_TRANSACTIONS)

        unlinked = self.m_blockman.m_blocks_unlinked
        if pindexNew.pprev is None or pindexNew.pprev.HaveNumChainTxs():
            # Genesis, or all parents have their transactions: walk the newly linked subtree.
            queue = deque([pindexNew])
            while queue:
                pindex = queue.popleft()
                prev_count = pindex.pprev.m_chain_tx_count if pindex.pprev is not None else 0
                pindex.m_chain_tx_count = pindex.nTx + prev_count
                pindex.nSequenceId = self.nBlockSequenceId
                self.nBlockSequenceId += 1
                for c in self.GetAll():
                    c.TryAddBlockIndexCandidate(pindex)
                queue.extend(unlinked.pop(pindex, []))
        elif pindexNew.pprev is not None and pindexNew.pprev.IsValid(BLOCK_VALID_TREE):
            unlinked.setdefault(pindexNew.pprev, []).append(pindexNew)

    def AcceptBlockHeader(
        self, block: CBlockHeader, state: BlockValidationState, min_pow_checked: bool
    ) -> tuple[bool, CBlockIndex | None]:
        """Check a header and add it to the block index. Returns whether it was accepted and
        its index (also for a known header, even a failed one: upstream's ppindex)."""
        with cs_main:
            hash = block.GetHash()
            blockman = self.m_blockman
            if hash != self.GetConsensus().hashGenesisBlock:
                pindex = blockman.LookupBlockIndex(hash)
                if pindex is not None:
                    # Already known.
                    if pindex.nStatus & BLOCK_FAILED_MASK:
                        LogDebug(
                            BCLog.VALIDATION,
                            "%s: block %s is marked invalid\n",
                            "AcceptBlockHeader",
                            hash.ToString(),
                        )
                        state.Invalid(
                            BlockValidationResult.BLOCK_CACHED_INVALID, "duplicate-invalid"
                        )
                        return False, pindex
                    return True, pindex

                if not CheckBlockHeader(block, state, self.GetConsensus()):
                    LogDebug(
                        BCLog.VALIDATION,
                        "%s: Consensus::CheckBlockHeader: %s, %s\n",
                        "AcceptBlockHeader",
                        hash.ToString(),
                        state.ToString(),
                    )
                    return False, None

                pindexPrev = blockman.LookupBlockIndex(block.hashPrevBlock)
                if pindexPrev is None:
                    LogDebug(
                        BCLog.VALIDATION,
                        "header %s has prev block not found: %s\n",
                        hash.ToString(),
                        block.hashPrevBlock.ToString(),
                    )
                    state.Invalid(BlockValidationResult.BLOCK_MISSING_PREV, "prev-blk-not-found")
                    return False, None
                if pindexPrev.nStatus & BLOCK_FAILED_MASK:
                    LogDebug(
                        BCLog.VALIDATION,
                        "header %s has prev block invalid: %s\n",
                        hash.ToString(),
                        block.hashPrevBlock.ToString(),
                    )
                    state.Invalid(BlockValidationResult.BLOCK_INVALID_PREV, "bad-prevblk")
                    return False, None
                if not ContextualCheckBlockHeader(block, state, blockman, self, pindexPrev):
                    LogDebug(
                        BCLog.VALIDATION,
                        "%s: Consensus::ContextualCheckBlockHeader: %s, %s\n",
                        "AcceptBlockHeader",
                        hash.ToString(),
                        state.ToString(),
                    )
                    return False, None

            if not min_pow_checked:
                LogDebug(
                    BCLog.VALIDATION,
                    "%s: not adding new block header %s, missing anti-dos proof-of-work "
                    "validation\n",
                    "AcceptBlockHeader",
                    hash.ToString(),
                )
                state.Invalid(BlockValidationResult.BLOCK_HEADER_LOW_WORK, "too-little-chainwork")
                return False, None
            pindex, self.m_best_header = blockman.AddToBlockIndex(block, self.m_best_header)
            return True, pindex

    def ProcessNewBlockHeaders(
        self,
        headers: list[CBlockHeader],
        min_pow_checked: bool,
        state: BlockValidationState,
        ppindex: list[CBlockIndex | None] | None = None,
    ) -> bool:
        """Accept a run of headers, stopping at the first one that fails. ``ppindex``, when
        given, is a one-element list that receives the last accepted header's index (upstream's
        ``const CBlockIndex** ppindex`` out-parameter)."""
        with cs_main:
            for header in headers:
                accepted, pindex = self.AcceptBlockHeader(header, state, min_pow_checked)
                self.CheckBlockIndex()
                if not accepted:
                    return False
                if ppindex is not None:
                    ppindex[0] = pindex
        if self.NotifyHeaderTip() and self.IsInitialBlockDownload() and ppindex and ppindex[0]:
            last_accepted = ppindex[0]
            blocks_left = max(
                0, (GetTime() - last_accepted.Time()) // self.GetConsensus().PowTargetSpacing()
            )
            progress = 100.0 * last_accepted.nHeight / (last_accepted.nHeight + blocks_left)
            LogInfo(
                "Synchronizing blockheaders, height: %d (~%.2f%%)\n",
                last_accepted.nHeight,
                progress,
            )
        return True

    def NotifyHeaderTip(self) -> bool:
        """Whether the best header changed since the last call (upstream also tells the node's
        notifications interface, which does not exist here)."""
        with cs_main:
            pindexHeader = self.m_best_header
            if pindexHeader is not self.m_last_notified_header:
                self.m_last_notified_header = pindexHeader
                return True
            return False

    def ReportHeadersPresync(self, work: int, height: int, timestamp: int) -> None:
        """Log headers pre-synchronization progress (at most 4 times a second, and only while
        our best header is below the minimum chain work)."""
        with cs_main:
            best = self.m_best_header
            if best is not None and best.nChainWork >= self.MinimumChainWork():
                return
            now = MockableSteadyClock.now()
            if now < self.m_last_presync_update + 250_000:
                return
            self.m_last_presync_update = now
        if self.IsInitialBlockDownload():
            blocks_left = max(0, (GetTime() - timestamp) // self.GetConsensus().PowTargetSpacing())
            progress = 100.0 * height / (height + blocks_left) if height + blocks_left else 0.0
            LogInfo("Pre-synchronizing blockheaders, height: %d (~%.2f%%)\n", height, progress)

    def AcceptBlock(
        self, block: CBlock, state: BlockValidationState, fRequested: bool,
        dbp: FlatFilePos | None = None, min_pow_checked: bool = False,
    ) -> tuple[bool, CBlockIndex | None, bool]:  # fmt: skip
        """Accept the header, check the block and store it. Returns (accepted, its index, whether
        it was new and stored: upstream's fNewBlock). ``dbp``: the block is already stored
        there. Unrequested blocks are skipped unless they could extend our best chain soon."""
        with cs_main:
            accepted_header, pindex = self.AcceptBlockHeader(block, state, min_pow_checked)
            self.CheckBlockIndex()
            if not accepted_header:
                return False, pindex, False
            assert pindex is not None

            fAlreadyHave = bool(pindex.nStatus & BLOCK_HAVE_DATA)
            tip = self.ActiveTip()
            fHasMoreOrSameWork = pindex.nChainWork >= tip.nChainWork if tip is not None else True
            fTooFarAhead = pindex.nHeight > self.ActiveHeight() + MIN_BLOCKS_TO_KEEP
            if fAlreadyHave:
                return True, pindex, False
            if not fRequested:
                if pindex.nTx != 0:
                    return True, pindex, False  # processed before, then pruned
                if not fHasMoreOrSameWork:
                    return True, pindex, False  # a less-work chain
                if fTooFarAhead:
                    return True, pindex, False
                if pindex.nChainWork < self.MinimumChainWork():
                    return True, pindex, False  # low-work chain: anti-DoS

            consensus = self.GetConsensus()
            if not CheckBlock(block, state, consensus) or not ContextualCheckBlock(
                block, state, self, pindex.pprev
            ):
                if state.IsInvalid():
                    self.ActiveChainstate().InvalidBlockFound(pindex, state)
                LogError("%s: %s\n", "AcceptBlock", state.ToString())
                return False, pindex, False

            # Header, merkle tree and witness commitment are good: relay now, if it builds on
            # our tip (otherwise SendMessages announces it later).
            signals = self.m_options.signals
            if (
                not self.IsInitialBlockDownload()
                and self.ActiveTip() is pindex.pprev
                and signals is not None
            ):
                signals.NewPoWValidBlock(pindex, block)

            blockPos = dbp if dbp is not None else self.m_blockman.WriteBlock(block, pindex.nHeight)
            self.ReceivedBlockTransactions(block, pindex, blockPos)
            self.CheckBlockIndex()
            return True, pindex, True

    def ProcessNewBlock(
        self, block: CBlock, force_processing: bool, min_pow_checked: bool
    ) -> tuple[bool, bool]:
        """Check, store and (if it is on the best chain) connect a block. Returns (whether it was
        accepted as valid so far, whether it was new: upstream's ``new_block`` out-parameter).
        BlockChecked reports a failure to subscribers."""
        with cs_main:
            state = BlockValidationState()
            # CheckBlock failures never mark the block invalid: malleated copies of a valid
            # block must not poison it.
            ret = CheckBlock(block, state, self.GetConsensus())
            new_block = False
            if ret:
                ret, _, new_block = self.AcceptBlock(
                    block, state, force_processing, None, min_pow_checked
                )
            if not ret:
                signals = self.m_options.signals
                if signals is not None:
                    signals.BlockChecked(block, state)
                LogError("%s: AcceptBlock FAILED (%s)\n", "ProcessNewBlock", state.ToString())
                return False, new_block

        self.NotifyHeaderTip()
        state = BlockValidationState()  # only reports errors, not invalidity
        if not self.ActiveChainstate().ActivateBestChain(state, block):
            LogError("%s: ActivateBestChain failed (%s)\n", "ProcessNewBlock", state.ToString())
            return False, new_block
        return True, new_block

    def ProcessTransaction(
        self, tx: CTransaction, test_accept: bool = False
    ) -> MempoolAcceptResult:
        """Try a transaction against the active chainstate's mempool (at the current time)."""
        with cs_main:
            active_chainstate = self.ActiveChainstate()
            if active_chainstate.GetMempool() is None:
                state = TxValidationState()
                state.Invalid(TxValidationResult.TX_NO_MEMPOOL, "no-mempool")
                return MempoolAcceptResult.Failure(state)
            return AcceptToMemoryPool(active_chainstate, tx, GetTime(), False, test_accept)

    # -- block templates ---------------------------------------------------------------------

    def UpdateUncommittedBlockStructures(
        self, block: CBlock, pindexPrev: CBlockIndex | None
    ) -> None:
        """Give the coinbase the witness reserved value (32 zero bytes) when the block has a
        commitment but the coinbase no witness."""
        commitpos = GetWitnessCommitmentIndex(block)
        if (
            commitpos != NO_WITNESS_COMMITMENT
            and DeploymentActiveAfter(pindexPrev, self, Consensus.DEPLOYMENT_SEGWIT)
            and not block.vtx[0].HasWitness()
        ):
            cb = block.vtx[0]
            vin = [CTxIn(cb.vin[0].prevout, cb.vin[0].scriptSig, cb.vin[0].nSequence, (bytes(32),))]
            block.vtx[0] = CTransaction(vin + list(cb.vin[1:]), cb.vout, cb.nLockTime, cb.version)

    def GenerateCoinbaseCommitment(self, block: CBlock, pindexPrev: CBlockIndex | None) -> bytes:
        """Add the witness commitment output to the coinbase (unless there is one); returns the
        commitment script, empty when one was already there."""
        commitment = b""
        if GetWitnessCommitmentIndex(block) == NO_WITNESS_COMMITMENT:
            witnessroot = hash256(BlockWitnessMerkleRoot(block).data + bytes(32))
            commitment = bytes((OP_RETURN, 0x24, 0xAA, 0x21, 0xA9, 0xED)) + witnessroot
            cb = block.vtx[0]
            block.vtx[0] = CTransaction(
                cb.vin, [*cb.vout, CTxOut(0, commitment)], cb.nLockTime, cb.version
            )
        self.UpdateUncommittedBlockStructures(block, pindexPrev)
        return commitment


def TestBlockValidity(
    chainstate: Chainstate, block: CBlock, check_pow: bool = True, check_merkle_root: bool = True
) -> BlockValidationState:
    """Whether ``block`` would be valid on top of the current tip, without storing it or
    changing anything."""
    state = BlockValidationState()
    with cs_main:
        tip = chainstate.m_chain.Tip()
        assert tip is not None
        if block.hashPrevBlock != tip.GetBlockHash():
            state.Invalid(BlockValidationResult.BLOCK_INVALID_PREV, "inconclusive-not-best-prevblk")
            return state
        chainman = chainstate.m_chainman
        index_dummy = CBlockIndex(block)
        index_dummy.pprev = tip
        index_dummy.nHeight = tip.nHeight + 1
        index_dummy.phashBlock = block.GetHash()
        view = CCoinsViewCache(chainstate.CoinsTip())
        if not ContextualCheckBlockHeader(block, state, chainstate.m_blockman, chainman, tip):
            return state
        if not CheckBlock(block, state, chainman.GetConsensus(), check_pow, check_merkle_root):
            return state
        if not ContextualCheckBlock(block, state, chainman, tip):
            return state
        chainstate.ConnectBlock(block, state, index_dummy, view, True)
        return state
