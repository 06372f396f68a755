"""Block templates and regtest mining (src/node/miner.{h,cpp}, and the generate helpers and
submitblock of src/rpc/mining.cpp), plus helpers to build transactions that spend mined coins.

Templates are built as upstream builds them: a coinbase paying subsidy plus fees to the given
script, its scriptSig pushing the height (BIP34) then OP_0, nLockTime height - 1, the witness
commitment always added (segwit is active from genesis on regtest), nBits from
GetNextWorkRequired, nTime max(median time past + 1, now), nVersion from versionbits. Mempool
transactions are chosen by a simplified ancestor-package selection (the best package feerate
first, parents before children), not upstream's incremental modified-ancestor bookkeeping.

There is no script validation in this stand-in, so OP_TRUE outputs (spent with an empty
scriptSig) are what the helpers use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from .chain import CBlockIndex, cs_main
from .chainparams import Consensus
from .clock import GetTime
from .consensus import MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, MAX_TIMEWARP
from .consensus_validation import BlockValidationState, GetBlockWeight, GetWitnessCommitmentIndex
from .feerate import CFeeRate
from .logging import LogInstance, LogPrintf
from .mempool_entry import CTxMemPoolEntry
from .merkle import BlockMerkleRoot
from .pow import CheckProofOfWork, GetNextWorkRequired
from .primitives.block import CBlock
from .primitives.transaction import COutPoint, CTransaction, CTxIn, CTxOut
from .script import OP_0, OP_TRUE, script_push_int
from .tx_verify import IsFinalTx
from .txmempool import CTxMemPool
from .uint256 import uint256
from .validation import Chainstate, ChainstateManager, GetBlockSubsidy, TestBlockValidity
from .validationinterface import CValidationInterface
from .versionbits import ComputeBlockVersion

#: policy/policy.h defaults.
DEFAULT_BLOCK_MAX_WEIGHT: Final = MAX_BLOCK_WEIGHT
DEFAULT_BLOCK_RESERVED_WEIGHT: Final = 8000
MINIMUM_BLOCK_RESERVED_WEIGHT: Final = 2000
#: Satoshis per 1000 vbytes a transaction must pay to be mined.
DEFAULT_BLOCK_MIN_TX_FEE: Final = 1
#: Default sigops reserved for the coinbase output.
DEFAULT_COINBASE_OUTPUT_MAX_ADDITIONAL_SIGOPS: Final = 400
#: rpc/mining.cpp: nonces tried by the generate RPCs before giving up.
DEFAULT_MAX_TRIES: Final = 1000000
#: CTxIn::MAX_SEQUENCE_NONFINAL: the coinbase's nSequence, so its nLockTime is enforced.
MAX_SEQUENCE_NONFINAL: Final = 0xFFFFFFFE
#: An anyone-can-spend output script (no script validation here; it is spent by any scriptSig).
OP_TRUE_SCRIPT: Final = bytes((OP_TRUE,))


def GetMinimumTime(pindexPrev: CBlockIndex, difficulty_adjustment_interval: int) -> int:
    """The earliest timestamp a block after ``pindexPrev`` may have: after the median time past,
    and (BIP94, applied on every chain) at most MAX_TIMEWARP before its parent at a retarget."""
    min_time = pindexPrev.GetMedianTimePast() + 1
    if (pindexPrev.nHeight + 1) % difficulty_adjustment_interval == 0:
        min_time = max(min_time, pindexPrev.GetBlockTime() - MAX_TIMEWARP)
    return min_time


def UpdateTime(block: CBlock, consensusParams: Consensus.Params, pindexPrev: CBlockIndex) -> int:
    """Move the block's time up to max(minimum time, now); returns how far it moved."""
    nOldTime = block.nTime
    nNewTime = max(
        GetMinimumTime(pindexPrev, consensusParams.DifficultyAdjustmentInterval()), GetTime()
    )
    if nOldTime < nNewTime:
        block.nTime = nNewTime
    # A new time can change the required work on min-difficulty chains.
    if consensusParams.fPowAllowMinDifficultyBlocks:
        block.nBits = GetNextWorkRequired(pindexPrev, block, consensusParams)
    return nNewTime - nOldTime


def RegenerateCommitments(block: CBlock, chainman: ChainstateManager) -> None:
    """Recompute the witness commitment and merkle root after the transactions changed."""
    cb = block.vtx[0]
    commitpos = GetWitnessCommitmentIndex(block)
    vout = [o for i, o in enumerate(cb.vout) if i != commitpos]
    block.vtx[0] = CTransaction(cb.vin, vout, cb.nLockTime, cb.version)
    with cs_main:
        prev_block = chainman.m_blockman.LookupBlockIndex(block.hashPrevBlock)
    chainman.GenerateCoinbaseCommitment(block, prev_block)
    block.hashMerkleRoot = BlockMerkleRoot(block)[0]


@dataclass(slots=True)
class CBlockTemplate:
    block: CBlock
    #: Fees of each transaction (the coinbase's entry is minus the total).
    vTxFees: list[int] = field(default_factory=list)
    vTxSigOpsCost: list[int] = field(default_factory=list)
    vchCoinbaseCommitment: bytes = b""


class BlockAssembler:
    """Builds a block template on the active chain's tip from the mempool."""

    @dataclass(slots=True)
    class Options:
        #: Where the coinbase pays (upstream's mining interface defaults to OP_TRUE too).
        coinbase_output_script: bytes = OP_TRUE_SCRIPT
        nBlockMaxWeight: int = DEFAULT_BLOCK_MAX_WEIGHT
        block_reserved_weight: int = DEFAULT_BLOCK_RESERVED_WEIGHT
        coinbase_output_max_additional_sigops: int = DEFAULT_COINBASE_OUTPUT_MAX_ADDITIONAL_SIGOPS
        blockMinFeeRate: CFeeRate = field(
            default_factory=lambda: CFeeRate(DEFAULT_BLOCK_MIN_TX_FEE)
        )
        #: Check the template with TestBlockValidity (without PoW and merkle root).
        test_block_validity: bool = True
        use_mempool: bool = True

    __slots__ = ("chainparams", "m_chainstate", "m_mempool", "m_options", "nBlockWeight", "nFees")

    m_chainstate: Chainstate
    m_mempool: CTxMemPool | None
    m_options: BlockAssembler.Options
    nBlockWeight: int
    nFees: int

    def __init__(
        self, chainstate: Chainstate, mempool: CTxMemPool | None, options: Options | None = None
    ) -> None:
        opts = options if options is not None else BlockAssembler.Options()
        # Clamp to sane ranges, as upstream's ClampOptions.
        opts.block_reserved_weight = min(
            max(opts.block_reserved_weight, MINIMUM_BLOCK_RESERVED_WEIGHT), MAX_BLOCK_WEIGHT
        )
        opts.coinbase_output_max_additional_sigops = min(
            max(opts.coinbase_output_max_additional_sigops, 0), MAX_BLOCK_SIGOPS_COST
        )
        opts.nBlockMaxWeight = min(
            max(opts.nBlockMaxWeight, opts.block_reserved_weight), MAX_BLOCK_WEIGHT
        )
        self.m_chainstate = chainstate
        self.m_mempool = mempool if opts.use_mempool else None
        self.m_options = opts
        self.nBlockWeight = 0
        self.nFees = 0

    def CreateNewBlock(self) -> CBlockTemplate:
        chainman = self.m_chainstate.m_chainman
        consensus = chainman.GetConsensus()
        self.nBlockWeight = self.m_options.block_reserved_weight
        self.nFees = 0
        with cs_main:
            pindexPrev = self.m_chainstate.m_chain.Tip()
            assert pindexPrev is not None
            nHeight = pindexPrev.nHeight + 1
            block = CBlock()
            block.nVersion = ComputeBlockVersion(pindexPrev, consensus)
            block.nTime = GetTime()
            txs: list[CTransaction] = []
            fees: list[int] = []
            if self.m_mempool is not None:
                self.addPackageTxs(nHeight, pindexPrev.GetMedianTimePast(), txs, fees)

            coinbase = CTransaction(
                vin=[
                    CTxIn(
                        COutPoint(),
                        script_push_int(nHeight) + bytes((OP_0,)),
                        MAX_SEQUENCE_NONFINAL,
                    )
                ],
                vout=[
                    CTxOut(
                        self.nFees + GetBlockSubsidy(nHeight, consensus),
                        self.m_options.coinbase_output_script,
                    )
                ],
                nLockTime=nHeight - 1,
            )
            block.vtx = [coinbase, *txs]
            commitment = chainman.GenerateCoinbaseCommitment(block, pindexPrev)
            if LogInstance().Enabled():
                LogPrintf(
                    "CreateNewBlock(): block weight: %u txs: %u fees: %d sigops %d\n",
                    GetBlockWeight(block),
                    len(txs),
                    self.nFees,
                    self.m_options.coinbase_output_max_additional_sigops,
                )
            block.hashPrevBlock = pindexPrev.GetBlockHash()
            UpdateTime(block, consensus, pindexPrev)
            block.nBits = GetNextWorkRequired(pindexPrev, block, consensus)
            block.nNonce = 0
            if self.m_options.test_block_validity:
                state = TestBlockValidity(self.m_chainstate, block, False, False)
                if not state.IsValid():
                    raise RuntimeError(f"TestBlockValidity failed: {state.ToString()}")
        return CBlockTemplate(block, [-self.nFees, *fees], [0] * len(block.vtx), commitment)

    def addPackageTxs(
        self, nHeight: int, lock_time_cutoff: int, txs: list[CTransaction], fees: list[int]
    ) -> None:
        """Fill ``txs`` with mempool transactions, best package feerate first, each package's
        in-mempool ancestors before it; packages below the minimum feerate, too heavy, or with
        a non-final transaction are skipped."""
        pool = self.m_mempool
        assert pool is not None
        in_block: dict[uint256, CTxMemPoolEntry] = {}
        with pool.cs:
            failed: set[uint256] = set()
            while True:
                best: tuple[list[CTxMemPoolEntry], int, int] | None = None
                for txid, entry in pool.mapTx.items():
                    if txid in in_block or txid in failed:
                        continue
                    package = self._Package(entry, in_block)
                    fee = sum(e.GetModifiedFee() for e in package)
                    size = sum(e.GetTxSize() for e in package)
                    if best is None or _BetterPackage(fee, size, package, best):
                        best = (package, fee, size)
                if best is None:
                    return
                package, fee, size = best
                weight = sum(e.GetTxWeight() for e in package)
                if (
                    fee < self.m_options.blockMinFeeRate.GetFee(size)
                    or self.nBlockWeight + weight >= self.m_options.nBlockMaxWeight
                    or not all(IsFinalTx(e.GetTx(), nHeight, lock_time_cutoff) for e in package)
                ):
                    failed.add(package[-1].GetTx().GetHash())
                    continue
                for e in package:
                    in_block[e.GetTx().GetHash()] = e
                    txs.append(e.GetTx())
                    fees.append(e.GetFee())
                    self.nBlockWeight += e.GetTxWeight()
                    self.nFees += e.GetFee()

    @staticmethod
    def _Package(
        entry: CTxMemPoolEntry, in_block: dict[uint256, CTxMemPoolEntry]
    ) -> list[CTxMemPoolEntry]:
        """``entry`` with its in-mempool ancestors not yet in the block, ancestors first."""
        found: dict[uint256, CTxMemPoolEntry] = {}
        stack = [entry]
        while stack:
            e = stack.pop()
            key = e.GetTx().GetHash()
            if key in found or key in in_block:
                continue
            found[key] = e
            stack.extend(e.m_parents.values())
        return sorted(
            found.values(), key=lambda e: (e.GetCountWithAncestors(), e.GetTx().GetHash().data)
        )


def _BetterPackage(
    fee: int, size: int, package: list[CTxMemPoolEntry],
    best: tuple[list[CTxMemPoolEntry], int, int],
) -> bool:  # fmt: skip
    """Higher feerate wins; ties go to the smaller txid (bytewise) of the package's last tx."""
    _, best_fee, best_size = best
    a, b = fee * best_size, best_fee * size
    if a != b:
        return a > b
    return package[-1].GetTx().GetHash().data < best[0][-1].GetTx().GetHash().data


def CreateNewBlock(
    chainman: ChainstateManager, mempool: CTxMemPool | None, script_pubkey: bytes = OP_TRUE_SCRIPT
) -> CBlock:
    """A block template (not yet solved) on the active tip, paying ``script_pubkey``."""
    options = BlockAssembler.Options(coinbase_output_script=script_pubkey)
    return BlockAssembler(chainman.ActiveChainstate(), mempool, options).CreateNewBlock().block


def GenerateBlock(
    chainman: ChainstateManager, block: CBlock, max_tries: int, process_new_block: bool = True
) -> tuple[bool, CBlock | None, int]:
    """Set the merkle root and grind the nonce until the header meets its target, then (if
    asked) process the block. Returns (false only when out of tries or interrupted, the solved
    block or None if the nonce space ran out, the tries left: upstream's in/out max_tries).
    Raises RuntimeError when the solved block is not accepted."""
    block.hashMerkleRoot = BlockMerkleRoot(block)[0]
    consensus = chainman.GetConsensus()
    interrupt = chainman.m_interrupt
    while (
        max_tries > 0
        and block.nNonce < 0xFFFFFFFF
        and not CheckProofOfWork(block.GetHash(), block.nBits, consensus)
        and not interrupt.is_set()
    ):
        block.nNonce += 1
        max_tries -= 1
    if max_tries == 0 or interrupt.is_set():
        return False, None, max_tries
    if block.nNonce == 0xFFFFFFFF:
        return True, None, max_tries
    if process_new_block:
        accepted, _ = chainman.ProcessNewBlock(block, True, True)
        if not accepted:
            raise RuntimeError("ProcessNewBlock, block not accepted")
    return True, block, max_tries


def generateBlocks(
    chainman: ChainstateManager,
    mempool: CTxMemPool | None,
    coinbase_output_script: bytes,
    nGenerate: int,
    nMaxTries: int = DEFAULT_MAX_TRIES,
) -> list[uint256]:
    """Mine ``nGenerate`` blocks on the tip (fewer if the tries run out); their hashes."""
    blockHashes: list[uint256] = []
    while nGenerate > 0 and not chainman.m_interrupt.is_set():
        block = CreateNewBlock(chainman, mempool, coinbase_output_script)
        ok, block_out, nMaxTries = GenerateBlock(chainman, block, nMaxTries)
        if not ok:
            break
        if block_out is not None:
            nGenerate -= 1
            blockHashes.append(block_out.GetHash())
    return blockHashes


class submitblock_StateCatcher(CValidationInterface):
    """Catches the BlockChecked result for one block hash (rpc/mining.cpp)."""

    __slots__ = ("found", "hash", "state")

    hash: uint256
    found: bool
    state: BlockValidationState

    def __init__(self, hashIn: uint256) -> None:
        self.hash = hashIn
        self.found = False
        self.state = BlockValidationState()

    def BlockChecked(self, block: CBlock, state: BlockValidationState) -> None:
        if block.GetHash() != self.hash:
            return
        self.found = True
        self.state = state


def BIP22ValidationResult(state: BlockValidationState) -> str | None:
    """None for a valid block, else the reject reason ("rejected" if there is none). Raises
    RuntimeError for an error state (upstream: an RPC_VERIFY_ERROR)."""
    if state.IsValid():
        return None
    if state.IsError():
        raise RuntimeError(state.ToString())
    return state.GetRejectReason() or "rejected"


def SubmitBlock(chainman: ChainstateManager, block: CBlock) -> str | None:
    """The submitblock RPC's logic: None when accepted, "duplicate" for a block we already had,
    "inconclusive" when validation did not report on it (e.g. not on the best chain), else the
    BIP22 reject reason ("high-hash", "bad-txnmrklroot", ...)."""
    with cs_main:
        pindex = chainman.m_blockman.LookupBlockIndex(block.hashPrevBlock)
        if pindex is not None:
            chainman.UpdateUncommittedBlockStructures(block, pindex)
    signals = chainman.m_options.signals
    assert signals is not None, "submitblock needs validation signals"
    sc = submitblock_StateCatcher(block.GetHash())
    signals.RegisterSharedValidationInterface(sc)
    try:
        accepted, new_block = chainman.ProcessNewBlock(block, True, True)
    finally:
        signals.UnregisterSharedValidationInterface(sc)
    if not new_block and accepted:
        return "duplicate"
    if not sc.found:
        return "inconclusive"
    return BIP22ValidationResult(sc.state)


# --- spending mined coins ----------------------------------------------------------------------


def MakeSpendingTransaction(
    prev_tx: CTransaction,
    n: int = 0,
    fee: int = 1000,
    script_pubkey: bytes = OP_TRUE_SCRIPT,
    num_outputs: int = 1,
    witness: tuple[bytes, ...] = (),
) -> CTransaction:
    """A transaction spending output ``n`` of ``prev_tx`` (an anyone-can-spend output: the
    scriptSig stays empty) into ``num_outputs`` equal outputs paying ``script_pubkey``, leaving
    ``fee``. A ``witness`` gives the input a witness stack (to make wtxid differ from txid)."""
    value = prev_tx.vout[n].nValue - fee
    assert value >= 0 and num_outputs > 0
    share, rest = divmod(value, num_outputs)
    vout = [CTxOut(share + (rest if i == 0 else 0), script_pubkey) for i in range(num_outputs)]
    vin = [CTxIn(COutPoint(prev_tx.GetHash(), n), b"", 0xFFFFFFFF, witness)]
    return CTransaction(vin, vout)


def GetCoinbaseAt(chainman: ChainstateManager, height: int) -> CTransaction:
    """The coinbase of the active chain's block at ``height`` (read back from the store)."""
    with cs_main:
        pindex = chainman.ActiveChain()[height]
        assert pindex is not None, f"no block at height {height}"
        block = chainman.m_blockman.ReadBlock(pindex)
    assert block is not None
    return block.vtx[0]
