"""The mempool stand-in (src/txmempool.{h,cpp}, src/kernel/mempool_options.h,
src/kernel/disconnected_transactions.{h,cpp}) and the single-transaction part of validation.cpp's
MemPoolAccept (AcceptToMemoryPool, MempoolAcceptResult).

What a transaction is checked for before it enters:

- CheckTransaction: inputs and outputs present, "bad-txns-oversize", output amounts
  ("bad-txns-vout-negative", "bad-txns-vout-toolarge", "bad-txns-txouttotal-toolarge"),
  "bad-txns-inputs-duplicate", "bad-txns-prevout-null";
- not a coinbase ("coinbase"); final at the next block ("non-final");
- not already there ("txn-already-in-mempool", "txn-same-nonwitness-data-in-mempool");
- no input spent by a mempool transaction ("bip125-replacement-disallowed": there is no
  replacement, see below);
- inputs exist in the UTXO set or the mempool ("txn-already-known" when the transaction is
  already confirmed, else TX_MISSING_INPUTS "bad-txns-inputs-missingorspent");
- Consensus::CheckTxInputs: coinbase maturity ("bad-txns-premature-spend-of-coinbase"), input
  amounts, "bad-txns-in-belowout";
- the fee (inputs minus outputs) pays the static minimum relay feerate ("min relay fee not met",
  100 sat/kvB of virtual size).

What it is NOT checked for (each is upstream policy or consensus this stand-in leaves out):
scripts and signatures (no interpreter: any scriptSig/witness spends any output), sigop counts
and "bad-txns-too-many-sigops", IsStandardTx / AreInputsStandard / IsWitnessStandard and
"tx-size-small", dust and ephemeral outputs, BIP68 sequence locks ("non-BIP68-final"), TRUC
(v3) rules, replacement (RBF: a conflicting transaction is refused, never replaces), package
acceptance and package feerates, ancestor/descendant count and size limits, the size-limited
mempool (no trimming, so GetMinFee stays 0 and there is no "mempool min fee not met" or "mempool
full"), expiry on a timer, prioritisetransaction deltas, the max-feerate client check, and
mempool.dat persistence.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Final

from .clock import GetTime
from .coins import CCoinsView, CCoinsViewBacked, CCoinsViewCache, Coin
from .consensus_validation import TxValidationResult, TxValidationState
from .feerate import CFeeRate
from .logging import BCLog, LogDebug
from .mempool_entry import (
    CTxMemPoolEntry,
    MemPoolRemovalReason,
    NewMempoolTransactionInfo,
    RemovedMempoolTransactionInfo,
    TransactionInfo,
)
from .primitives.transaction import COutPoint, CTransaction, GenTxid
from .tx_verify import CheckFinalTxAtTip, CheckTransaction, CheckTxInputs
from .uint256 import uint256
from .validationinterface import ValidationSignals

if TYPE_CHECKING:
    from .validation import Chainstate

#: Default for -maxmempool, in megabytes (kept for the options; nothing trims).
DEFAULT_MAX_MEMPOOL_SIZE_MB: Final = 300
#: Default for -maxmempool with -blocksonly, in megabytes.
DEFAULT_BLOCKSONLY_MAX_MEMPOOL_SIZE_MB: Final = 5
#: Default for -mempoolexpiry, in hours.
DEFAULT_MEMPOOL_EXPIRY_HOURS: Final = 336
#: policy/policy.h defaults, in satoshis per 1000 virtual bytes.
DEFAULT_INCREMENTAL_RELAY_FEE: Final = 100
DUST_RELAY_TX_FEE: Final = 3000
DEFAULT_MIN_RELAY_TX_FEE: Final = 100
#: Fake height of coins created by mempool transactions (CCoinsViewMemPool).
MEMPOOL_HEIGHT: Final = 0x7FFFFFFF
#: validation.cpp: a tip older than this (seconds) is not current for fee estimation.
MAX_FEE_ESTIMATION_TIP_AGE: Final = 3 * 60 * 60
#: Bytes of disconnected transactions kept for re-adding after a reorg.
MAX_DISCONNECTED_TX_POOL_BYTES: Final = 20_000_000


@dataclass(slots=True)
class MemPoolOptions:
    """kernel::MemPoolOptions (CTxMemPool.Options). ``expiry`` is in seconds."""

    check_ratio: int = 0
    max_size_bytes: int = DEFAULT_MAX_MEMPOOL_SIZE_MB * 1_000_000
    expiry: int = DEFAULT_MEMPOOL_EXPIRY_HOURS * 60 * 60
    incremental_relay_feerate: CFeeRate = field(
        default_factory=lambda: CFeeRate(DEFAULT_INCREMENTAL_RELAY_FEE)
    )
    #: A fee rate below this is considered zero fee (for relaying, mining and creating txs).
    min_relay_feerate: CFeeRate = field(default_factory=lambda: CFeeRate(DEFAULT_MIN_RELAY_TX_FEE))
    dust_relay_feerate: CFeeRate = field(default_factory=lambda: CFeeRate(DUST_RELAY_TX_FEE))
    #: Kept for the options' shape; standardness is not checked (see the module docstring).
    require_standard: bool = True
    signals: ValidationSignals | None = None


@dataclass(frozen=True, slots=True)
class TxMempoolInfo:
    """What the mempool tells about one transaction. Upstream returns an empty struct (null tx)
    for a missing one; here the lookups return None instead."""

    tx: CTransaction
    #: Seconds since the epoch when it entered the mempool.
    m_time: int
    fee: int
    #: Virtual size in vbytes.
    vsize: int
    #: The prioritisetransaction delta (always 0 here).
    nFeeDelta: int = 0


def _GetInfo(e: CTxMemPoolEntry) -> TxMempoolInfo:
    return TxMempoolInfo(
        e.GetSharedTx(), e.GetTime(), e.GetFee(), e.GetTxSize(), e.GetModifiedFee() - e.GetFee()
    )


def _CompareTxMemPoolEntryByScore(a: CTxMemPoolEntry, b: CTxMemPoolEntry) -> bool:
    """Whether ``a`` sorts before ``b``: higher modified feerate first, then the larger txid
    (compared as upstream's uint256 operator<, bytewise)."""
    f1 = a.GetModifiedFee() * b.GetTxSize()
    f2 = b.GetModifiedFee() * a.GetTxSize()
    if f1 == f2:
        return b.GetTx().GetHash().data < a.GetTx().GetHash().data
    return f1 > f2


def _DepthAndScoreCmp(a: CTxMemPoolEntry, b: CTxMemPoolEntry) -> int:
    counta = a.GetCountWithAncestors()
    countb = b.GetCountWithAncestors()
    if counta == countb:
        if _CompareTxMemPoolEntryByScore(a, b):
            return -1
        return 1 if _CompareTxMemPoolEntryByScore(b, a) else 0
    return -1 if counta < countb else 1


#: What the lookups take: a GenTxid says which hash it is; a bare uint256 is a txid (upstream's
#: Txid overload, the common one).
TxIdOrGen = GenTxid | uint256


class CTxMemPool:
    """Transactions valid on top of the active chain, waiting for a block.

    ``mapTx`` is keyed by txid with a second index by wtxid (upstream's boost multi-index);
    ``mapNextTx`` maps each spent outpoint to the mempool transaction spending it. Lock ``cs``
    (an RLock, as upstream's RecursiveMutex) for consistent reads; validation holds cs_main and
    then cs while it changes the chain tip."""

    Options = MemPoolOptions

    #: Seconds (public only for testing upstream).
    ROLLING_FEE_HALFLIFE: Final = 60 * 60 * 12

    __slots__ = (
        "cs",
        "m_by_wtxid",
        "m_load_tried",
        "m_opts",
        "m_sequence_number",
        "m_total_fee",
        "m_unbroadcast_txids",
        "mapNextTx",
        "mapTx",
        "nTransactionsUpdated",
        "totalTxSize",
    )

    cs: threading.RLock
    mapTx: dict[uint256, CTxMemPoolEntry]
    m_by_wtxid: dict[uint256, CTxMemPoolEntry]
    mapNextTx: dict[COutPoint, CTransaction]
    #: Locally submitted transactions whose first broadcast is retried (txids, in order).
    m_unbroadcast_txids: dict[uint256, None]
    #: Sum of the virtual sizes of all transactions.
    totalTxSize: int
    #: Sum of the (unmodified) fees of all transactions.
    m_total_fee: int
    #: Incremented on every addition and removal, for external tracking (starts at 1).
    m_sequence_number: int
    #: Bumped on every change (getblocktemplate's long-poll trigger upstream).
    nTransactionsUpdated: int
    m_load_tried: bool
    m_opts: MemPoolOptions

    def __init__(self, opts: MemPoolOptions | None = None) -> None:
        self.cs = threading.RLock()
        self.mapTx = {}
        self.m_by_wtxid = {}
        self.mapNextTx = {}
        self.m_unbroadcast_txids = {}
        self.totalTxSize = 0
        self.m_total_fee = 0
        self.m_sequence_number = 1
        self.nTransactionsUpdated = 0
        self.m_load_tried = False
        self.m_opts = opts if opts is not None else MemPoolOptions()

    # -- lookups ---------------------------------------------------------------------------

    def GetIter(self, id: TxIdOrGen) -> CTxMemPoolEntry | None:
        """The entry for a txid or wtxid (upstream: std::optional<txiter>)."""
        with self.cs:
            if isinstance(id, GenTxid):
                index = self.m_by_wtxid if id.IsWtxid() else self.mapTx
                return index.get(id.ToUint256())
            return self.mapTx.get(id)

    def GetEntry(self, txid: uint256) -> CTxMemPoolEntry | None:
        with self.cs:
            return self.mapTx.get(txid)

    def exists(self, id: TxIdOrGen) -> bool:
        return self.GetIter(id) is not None

    def get(self, hash: uint256) -> CTransaction | None:
        """The transaction with txid ``hash``, or None."""
        e = self.GetIter(hash)
        return e.GetSharedTx() if e is not None else None

    def info(self, id: TxIdOrGen) -> TxMempoolInfo | None:
        e = self.GetIter(id)
        return _GetInfo(e) if e is not None else None

    def info_for_relay(self, id: TxIdOrGen, last_sequence: int) -> TxMempoolInfo | None:
        """info(), but only for a transaction that entered before sequence ``last_sequence``."""
        with self.cs:
            e = self.GetIter(id)
            if e is not None and e.GetSequence() < last_sequence:
                return _GetInfo(e)
            return None

    def size(self) -> int:
        with self.cs:
            return len(self.mapTx)

    def GetTotalTxSize(self) -> int:
        return self.totalTxSize

    def GetTotalFee(self) -> int:
        return self.m_total_fee

    def isSpent(self, outpoint: COutPoint) -> bool:
        with self.cs:
            return outpoint in self.mapNextTx

    def GetConflictTx(self, prevout: COutPoint) -> CTransaction | None:
        """The mempool transaction spending ``prevout``, if any."""
        return self.mapNextTx.get(prevout)

    def HasNoInputsOf(self, tx: CTransaction) -> bool:
        """Whether none of ``tx``'s inputs come from mempool transactions."""
        return all(not self.exists(txin.prevout.hash) for txin in tx.vin)

    def GetSortedDepthAndScore(self) -> list[CTxMemPoolEntry]:
        """Entries with fewer ancestors first, then by feerate score."""
        return sorted(self.mapTx.values(), key=functools.cmp_to_key(_DepthAndScoreCmp))

    def entryAll(self) -> list[CTxMemPoolEntry]:
        with self.cs:
            return self.GetSortedDepthAndScore()

    def infoAll(self) -> list[TxMempoolInfo]:
        with self.cs:
            return [_GetInfo(e) for e in self.GetSortedDepthAndScore()]

    def CompareDepthAndScore(self, hasha: uint256, hashb: uint256) -> bool:
        """Whether wtxid ``hasha`` should be announced before ``hashb``: a is not in the mempool
        but b is, or a has fewer ancestors, or as many and a better score."""
        with self.cs:
            j = self.m_by_wtxid.get(hashb)
            if j is None:
                return False
            i = self.m_by_wtxid.get(hasha)
            if i is None:
                return True
            return _DepthAndScoreCmp(i, j) < 0

    def DynamicMemoryUsage(self) -> int:
        """An estimate in bytes: each entry's serialized size plus a fixed overhead per entry
        and per spent outpoint (upstream sums allocator usage)."""
        with self.cs:
            entries = sum(e.GetTx().GetTotalSize() + 400 for e in self.mapTx.values())
            return entries + 100 * len(self.mapNextTx)

    def GetMinFee(self) -> CFeeRate:
        """The minimum feerate to get into the mempool. Upstream's rolling minimum rises only
        when the mempool is trimmed to its size limit; this mempool never trims, so it is 0."""
        return CFeeRate(0)

    def GetTransactionsUpdated(self) -> int:
        return self.nTransactionsUpdated

    def AddTransactionsUpdated(self, n: int) -> None:
        self.nTransactionsUpdated += n

    def GetLoadTried(self) -> bool:
        with self.cs:
            return self.m_load_tried

    def SetLoadTried(self, load_tried: bool) -> None:
        with self.cs:
            self.m_load_tried = load_tried

    # -- unbroadcast set and sequence ------------------------------------------------------

    def AddUnbroadcastTx(self, txid: uint256) -> None:
        with self.cs:
            if self.exists(txid):
                self.m_unbroadcast_txids[txid] = None

    def RemoveUnbroadcastTx(self, txid: uint256, unchecked: bool = False) -> None:
        with self.cs:
            if self.m_unbroadcast_txids.pop(txid, ()) is None:
                LogDebug(
                    BCLog.MEMPOOL,
                    "Removed %s from set of unbroadcast txns%s\n",
                    txid.GetHex(),
                    " before confirmation that txn was sent out" if unchecked else "",
                )

    def GetUnbroadcastTxs(self) -> list[uint256]:
        """The unbroadcast txids in upstream's std::set order (bytewise)."""
        with self.cs:
            return sorted(self.m_unbroadcast_txids, key=lambda h: h.data)

    def IsUnbroadcastTx(self, txid: uint256) -> bool:
        return txid in self.m_unbroadcast_txids

    def GetAndIncrementSequence(self) -> int:
        seq = self.m_sequence_number
        self.m_sequence_number += 1
        return seq

    def GetSequence(self) -> int:
        return self.m_sequence_number

    # -- changes ---------------------------------------------------------------------------

    def addNewTransaction(self, entry: CTxMemPoolEntry) -> None:
        """Insert an entry that passed validation, linking it to its in-mempool parents."""
        tx = entry.GetTx()
        txid = tx.GetHash()
        self.mapTx[txid] = entry
        self.m_by_wtxid[tx.GetWitnessHash()] = entry
        for txin in tx.vin:
            self.mapNextTx[txin.prevout] = tx
            parent = self.mapTx.get(txin.prevout.hash)
            if parent is not None:
                entry.m_parents[parent.GetTx().GetHash()] = parent
                parent.m_children[txid] = entry
        self.nTransactionsUpdated += 1
        self.totalTxSize += entry.GetTxSize()
        self.m_total_fee += entry.GetFee()

    def UpdateTransactionsFromBlock(self, vHashesToUpdate: Iterable[uint256]) -> None:
        """Link transactions re-added after a reorg to their children already in the mempool
        (entering transactions are assumed to have none)."""
        for txid in vHashesToUpdate:
            entry = self.mapTx.get(txid)
            if entry is None:
                continue
            for n in range(len(entry.GetTx().vout)):
                child_tx = self.mapNextTx.get(COutPoint(txid, n))
                if child_tx is None:
                    continue
                child = self.mapTx[child_tx.GetHash()]
                child.m_parents[txid] = entry
                entry.m_children[child_tx.GetHash()] = child

    def removeUnchecked(self, entry: CTxMemPoolEntry, reason: MemPoolRemovalReason) -> None:
        # The sequence moves on every removal, reported or not.
        mempool_sequence = self.GetAndIncrementSequence()
        tx = entry.GetSharedTx()
        if reason != MemPoolRemovalReason.BLOCK and self.m_opts.signals is not None:
            # Inclusion in a block is reported by BlockConnected instead.
            self.m_opts.signals.TransactionRemovedFromMempool(tx, reason, mempool_sequence)
        for txin in tx.vin:
            self.mapNextTx.pop(txin.prevout, None)
        self.RemoveUnbroadcastTx(tx.GetHash(), True)
        txid = tx.GetHash()
        for parent in entry.m_parents.values():
            parent.m_children.pop(txid, None)
        for child in entry.m_children.values():
            child.m_parents.pop(txid, None)
        self.totalTxSize -= entry.GetTxSize()
        self.m_total_fee -= entry.GetFee()
        del self.mapTx[txid]
        del self.m_by_wtxid[tx.GetWitnessHash()]
        self.nTransactionsUpdated += 1

    def CalculateDescendants(
        self, entry: CTxMemPoolEntry, setDescendants: dict[uint256, CTxMemPoolEntry]
    ) -> None:
        """Add ``entry`` and its in-mempool descendants not yet in ``setDescendants``."""
        stage = [entry]
        while stage:
            it = stage.pop()
            key = it.GetTx().GetHash()
            if key in setDescendants:
                continue
            setDescendants[key] = it
            stage.extend(c for k, c in it.m_children.items() if k not in setDescendants)

    def RemoveStaged(
        self, stage: dict[uint256, CTxMemPoolEntry], updateDescendants: bool,
        reason: MemPoolRemovalReason,
    ) -> None:  # fmt: skip
        """Remove a set of entries (closed under descendants, unless they are removed for being
        in a block)."""
        for entry in stage.values():
            self.removeUnchecked(entry, reason)

    def removeRecursive(self, origTx: CTransaction, reason: MemPoolRemovalReason) -> None:
        """Remove ``origTx`` and everything spending from it. When it is not in the mempool
        (a reorg may fail to re-add it), remove the mempool transactions spending its
        outputs."""
        with self.cs:
            txToRemove: list[CTxMemPoolEntry] = []
            origit = self.mapTx.get(origTx.GetHash())
            if origit is not None:
                txToRemove.append(origit)
            else:
                for i in range(len(origTx.vout)):
                    spender = self.mapNextTx.get(COutPoint(origTx.GetHash(), i))
                    if spender is not None:
                        txToRemove.append(self.mapTx[spender.GetHash()])
            setAllRemoves: dict[uint256, CTxMemPoolEntry] = {}
            for it in txToRemove:
                self.CalculateDescendants(it, setAllRemoves)
            self.RemoveStaged(setAllRemoves, False, reason)

    def removeForReorg(self, check_final_and_mature: Callable[[CTxMemPoolEntry], bool]) -> None:
        """After a reorg, remove the entries the predicate flags (no longer final, or spending
        a now immature coinbase) and their descendants."""
        with self.cs:
            setAllRemoves: dict[uint256, CTxMemPoolEntry] = {}
            for it in [e for e in self.mapTx.values() if check_final_and_mature(e)]:
                self.CalculateDescendants(it, setAllRemoves)
            self.RemoveStaged(setAllRemoves, False, MemPoolRemovalReason.REORG)

    def removeConflicts(self, tx: CTransaction) -> None:
        """Remove mempool transactions (and descendants) spending any input of ``tx``."""
        for txin in tx.vin:
            txConflict = self.mapNextTx.get(txin.prevout)
            if txConflict is not None and txConflict.GetHash() != tx.GetHash():
                self.removeRecursive(txConflict, MemPoolRemovalReason.CONFLICT)

    def removeForBlock(self, vtx: list[CTransaction], nBlockHeight: int) -> None:
        """Remove a connected block's transactions and whatever conflicts with them."""
        with self.cs:
            txs_removed_for_block: list[RemovedMempoolTransactionInfo] = []
            if self.mapTx or self.mapNextTx:
                for tx in vtx:
                    it = self.mapTx.get(tx.GetHash())
                    if it is not None:
                        txs_removed_for_block.append(RemovedMempoolTransactionInfo.FromEntry(it))
                        self.RemoveStaged({tx.GetHash(): it}, True, MemPoolRemovalReason.BLOCK)
                    self.removeConflicts(tx)
            if self.m_opts.signals is not None:
                self.m_opts.signals.MempoolTransactionsRemovedForBlock(
                    txs_removed_for_block, nBlockHeight
                )

    def Expire(self, time: int) -> int:
        """Remove transactions (and descendants) that entered before ``time`` (seconds);
        returns how many went. Upstream runs this on accepting; here only when called."""
        with self.cs:
            stage: dict[uint256, CTxMemPoolEntry] = {}
            for it in [e for e in self.mapTx.values() if e.GetTime() < time]:
                self.CalculateDescendants(it, stage)
            self.RemoveStaged(stage, False, MemPoolRemovalReason.EXPIRY)
            return len(stage)

    def check(self, active_coins_tip: CCoinsViewCache, spendheight: int) -> None:
        """Upstream's sanity check runs with -checkmempool; it is not ported."""


class CCoinsViewMemPool(CCoinsViewBacked):
    """The UTXO set as the mempool would leave it: outputs of mempool transactions exist (at
    MEMPOOL_HEIGHT). Spends by mempool transactions are not applied; callers check conflicts
    with GetConflictTx first."""

    __slots__ = ("mempool",)

    mempool: CTxMemPool

    def __init__(self, baseIn: CCoinsView, mempoolIn: CTxMemPool) -> None:
        super().__init__(baseIn)
        self.mempool = mempoolIn

    def GetCoin(self, outpoint: COutPoint) -> Coin | None:
        ptx = self.mempool.get(outpoint.hash)
        if ptx is not None:
            if outpoint.n < len(ptx.vout):
                return Coin(ptx.vout[outpoint.n], MEMPOOL_HEIGHT, False)
            return None
        return self.base.GetCoin(outpoint)


class DisconnectedBlockTransactions:
    """Transactions of blocks disconnected during a reorg, to offer back to the mempool once the
    new chain is connected. Kept in the order upstream keeps them: each block's transactions
    reversed, most recently disconnected block first. (No memory limit is enforced.)"""

    __slots__ = ("queuedTx",)

    queuedTx: dict[uint256, CTransaction]

    def __init__(self) -> None:
        self.queuedTx = {}

    def AddTransactionsFromBlock(self, vtx: list[CTransaction]) -> list[CTransaction]:
        """Queue a disconnected block's transactions; returns those evicted for memory (none)."""
        for tx in reversed(vtx):
            assert tx.GetHash() not in self.queuedTx
            self.queuedTx[tx.GetHash()] = tx
        return []

    def removeForBlock(self, vtx: list[CTransaction]) -> None:
        """Forget transactions that a newly connected block confirms again."""
        for tx in vtx:
            self.queuedTx.pop(tx.GetHash(), None)

    def size(self) -> int:
        return len(self.queuedTx)

    def clear(self) -> None:
        self.queuedTx = {}

    def take(self) -> list[CTransaction]:
        ret = list(self.queuedTx.values())
        self.clear()
        return ret


# --- validation.h: MempoolAcceptResult --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MempoolAcceptResult:
    """The outcome of trying a transaction against the mempool. Build one with the class
    methods, as upstream's private constructors require."""

    class ResultType(Enum):
        VALID = 0  # fully validated, valid
        INVALID = 1  # invalid
        MEMPOOL_ENTRY = 2  # valid, transaction was already in the mempool
        DIFFERENT_WITNESS = 3  # not validated: same txid, different witness in the mempool

    m_result_type: MempoolAcceptResult.ResultType
    m_state: TxValidationState = field(default_factory=TxValidationState)
    #: Mempool transactions replaced by this one (always empty: no replacement).
    m_replaced_transactions: list[CTransaction] = field(default_factory=list)
    #: Virtual size as the mempool counts it (vbytes).
    m_vsize: int | None = None
    #: Base fees in satoshis.
    m_base_fees: int | None = None
    m_effective_feerate: CFeeRate | None = None
    #: The wtxids whose fees the feerate checks used (only for VALID and fee failures).
    m_wtxids_fee_calculations: list[uint256] | None = None
    #: The wtxid of the same-txid transaction already in the mempool.
    m_other_wtxid: uint256 | None = None

    @classmethod
    def Failure(cls, state: TxValidationState) -> MempoolAcceptResult:
        assert not state.IsValid()
        return cls(cls.ResultType.INVALID, state)

    @classmethod
    def FeeFailure(
        cls,
        state: TxValidationState,
        effective_feerate: CFeeRate,
        wtxids_fee_calculations: list[uint256],
    ) -> MempoolAcceptResult:
        return cls(
            cls.ResultType.INVALID,
            state,
            m_effective_feerate=effective_feerate,
            m_wtxids_fee_calculations=list(wtxids_fee_calculations),
        )

    @classmethod
    def Success(
        cls,
        replaced_txns: list[CTransaction],
        vsize: int,
        fees: int,
        effective_feerate: CFeeRate,
        wtxids_fee_calculations: list[uint256],
    ) -> MempoolAcceptResult:
        return cls(
            cls.ResultType.VALID,
            m_replaced_transactions=replaced_txns,
            m_vsize=vsize,
            m_base_fees=fees,
            m_effective_feerate=effective_feerate,
            m_wtxids_fee_calculations=list(wtxids_fee_calculations),
        )

    @classmethod
    def MempoolTx(cls, vsize: int, fees: int) -> MempoolAcceptResult:
        return cls(cls.ResultType.MEMPOOL_ENTRY, m_vsize=vsize, m_base_fees=fees)

    @classmethod
    def MempoolTxDifferentWitness(cls, other_wtxid: uint256) -> MempoolAcceptResult:
        return cls(cls.ResultType.DIFFERENT_WITNESS, m_other_wtxid=other_wtxid)


# --- validation.cpp: MemPoolAccept -------------------------------------------------------------

#: policy/truc_policy.h: TRUC (v3) transactions are exempt from the per-transaction minimum
#: relay fee (upstream checks them as packages).
TRUC_VERSION: Final = 3


@dataclass(frozen=True, slots=True)
class ATMPArgs:
    """MemPoolAccept::ATMPArgs for single-transaction acceptance. ``m_accept_time`` in seconds."""

    m_accept_time: int
    m_bypass_limits: bool
    m_test_accept: bool

    @classmethod
    def SingleAccept(cls, accept_time: int, bypass_limits: bool, test_accept: bool) -> ATMPArgs:
        return cls(accept_time, bypass_limits, test_accept)


@dataclass(slots=True)
class _Workspace:
    """MemPoolAccept::Workspace: what is learned about one transaction while checking it."""

    m_ptx: CTransaction
    m_hash: uint256
    m_state: TxValidationState = field(default_factory=TxValidationState)
    m_entry: CTxMemPoolEntry | None = None
    m_base_fees: int = 0
    m_modified_fees: int = 0
    m_vsize: int = 0


def IsCurrentForFeeEstimation(active_chainstate: Chainstate) -> bool:
    chainman = active_chainstate.m_chainman
    tip = active_chainstate.m_chain.Tip()
    if chainman.IsInitialBlockDownload() or tip is None:
        return False
    if tip.GetBlockTime() < GetTime() - MAX_FEE_ESTIMATION_TIP_AGE:
        return False
    best = chainman.m_best_header
    return not (best is not None and active_chainstate.m_chain.Height() < best.nHeight - 1)


class MemPoolAccept:
    """Checks one transaction against the active chain's UTXO set and the mempool, and adds it.
    See the module docstring for the rules that are and are not applied."""

    __slots__ = ("m_active_chainstate", "m_pool", "m_view", "m_viewmempool")

    m_pool: CTxMemPool
    m_active_chainstate: Chainstate
    m_viewmempool: CCoinsViewMemPool
    m_view: CCoinsViewCache

    def __init__(self, mempool: CTxMemPool, active_chainstate: Chainstate) -> None:
        self.m_pool = mempool
        self.m_active_chainstate = active_chainstate
        self.m_viewmempool = CCoinsViewMemPool(active_chainstate.CoinsTip(), mempool)
        self.m_view = CCoinsViewCache(self.m_viewmempool)

    def PreChecks(self, args: ATMPArgs, ws: _Workspace) -> bool:
        tx = ws.m_ptx
        state = ws.m_state
        pool = self.m_pool
        chain = self.m_active_chainstate.m_chain
        tip = chain.Tip()
        assert tip is not None

        if not CheckTransaction(tx, state):
            return False
        # A coinbase is only valid in a block.
        if tx.IsCoinBase():
            return state.Invalid(TxValidationResult.TX_CONSENSUS, "coinbase")
        # Only transactions that can be mined in the next block.
        if not CheckFinalTxAtTip(tip, tx):
            return state.Invalid(TxValidationResult.TX_PREMATURE_SPEND, "non-final")
        if pool.exists(GenTxid.Wtxid(tx.GetWitnessHash())):
            return state.Invalid(TxValidationResult.TX_CONFLICT, "txn-already-in-mempool")
        if pool.exists(GenTxid.Txid(tx.GetHash())):
            # Same non-witness data, different witness.
            return state.Invalid(
                TxValidationResult.TX_CONFLICT, "txn-same-nonwitness-data-in-mempool"
            )
        # A conflict with a mempool transaction would need replacement, which is not allowed.
        for txin in tx.vin:
            if pool.GetConflictTx(txin.prevout) is not None:
                return state.Invalid(
                    TxValidationResult.TX_MEMPOOL_POLICY, "bip125-replacement-disallowed"
                )

        coins_cache = self.m_active_chainstate.CoinsTip()
        for txin in tx.vin:
            if not self.m_view.HaveCoin(txin.prevout):
                # Missing because the transaction is already confirmed?
                for out in range(len(tx.vout)):
                    if coins_cache.HaveCoinInCache(COutPoint(ws.m_hash, out)):
                        return state.Invalid(TxValidationResult.TX_CONFLICT, "txn-already-known")
                # Otherwise perhaps an orphan whose parents we have not seen yet.
                return state.Invalid(
                    TxValidationResult.TX_MISSING_INPUTS, "bad-txns-inputs-missingorspent"
                )

        # The mempool holds transactions for the next block: check at height + 1.
        fee = CheckTxInputs(tx, state, self.m_view, chain.Height() + 1)
        if fee is None:
            return False
        ws.m_base_fees = fee

        fSpendsCoinbase = any(self.m_view.AccessCoin(txin.prevout).IsCoinBase() for txin in tx.vin)
        entry_sequence = 0 if args.m_bypass_limits else pool.GetSequence()
        ws.m_entry = CTxMemPoolEntry(
            tx, fee, args.m_accept_time, chain.Height(), entry_sequence, fSpendsCoinbase
        )
        ws.m_modified_fees = ws.m_entry.GetModifiedFee()
        ws.m_vsize = ws.m_entry.GetTxSize()

        # No transaction below the minimum relay feerate, except from disconnected blocks.
        min_fee = pool.m_opts.min_relay_feerate.GetFee(ws.m_vsize)
        if not args.m_bypass_limits and tx.version != TRUC_VERSION and ws.m_modified_fees < min_fee:
            return state.Invalid(
                TxValidationResult.TX_MEMPOOL_POLICY,
                "min relay fee not met",
                f"{ws.m_modified_fees} < {min_fee}",
            )
        return args.m_bypass_limits or self.CheckFeeRate(ws.m_vsize, ws.m_modified_fees, state)

    def CheckFeeRate(self, package_size: int, package_fee: int, state: TxValidationState) -> bool:
        mempoolRejectFee = self.m_pool.GetMinFee().GetFee(package_size)
        if mempoolRejectFee > 0 and package_fee < mempoolRejectFee:
            return state.Invalid(
                TxValidationResult.TX_RECONSIDERABLE,
                "mempool min fee not met",
                f"{package_fee} < {mempoolRejectFee}",
            )
        min_fee = self.m_pool.m_opts.min_relay_feerate.GetFee(package_size)
        if package_fee < min_fee:
            return state.Invalid(
                TxValidationResult.TX_RECONSIDERABLE,
                "min relay fee not met",
                f"{package_fee} < {min_fee}",
            )
        return True

    def AcceptSingleTransaction(self, ptx: CTransaction, args: ATMPArgs) -> MempoolAcceptResult:
        pool = self.m_pool
        with pool.cs:
            ws = _Workspace(ptx, ptx.GetHash())
            single_wtxid = [ptx.GetWitnessHash()]
            if not self.PreChecks(args, ws):
                if ws.m_state.GetResult() == TxValidationResult.TX_RECONSIDERABLE:
                    return MempoolAcceptResult.FeeFailure(
                        ws.m_state, CFeeRate(ws.m_modified_fees, ws.m_vsize), single_wtxid
                    )
                return MempoolAcceptResult.Failure(ws.m_state)

            effective_feerate = CFeeRate(ws.m_modified_fees, ws.m_vsize)
            if args.m_test_accept:
                return MempoolAcceptResult.Success(
                    [], ws.m_vsize, ws.m_base_fees, effective_feerate, single_wtxid
                )

            assert ws.m_entry is not None
            pool.addNewTransaction(ws.m_entry)
            # Upstream advances the sequence here only when signals are attached (as they always
            # are in a node); it advances here in every case, so relay timing never depends on it.
            mempool_sequence = pool.GetAndIncrementSequence()
            if pool.m_opts.signals is not None:
                tx_info = NewMempoolTransactionInfo(
                    TransactionInfo(ptx, ws.m_base_fees, ws.m_vsize, ws.m_entry.GetHeight()),
                    args.m_bypass_limits,
                    False,
                    IsCurrentForFeeEstimation(self.m_active_chainstate),
                    pool.HasNoInputsOf(ptx),
                )
                pool.m_opts.signals.TransactionAddedToMempool(tx_info, mempool_sequence)
            return MempoolAcceptResult.Success(
                [], ws.m_vsize, ws.m_base_fees, effective_feerate, single_wtxid
            )


def AcceptToMemoryPool(
    active_chainstate: Chainstate,
    tx: CTransaction,
    accept_time: int,
    bypass_limits: bool,
    test_accept: bool,
) -> MempoolAcceptResult:
    """Try to add ``tx`` to the chainstate's mempool (the caller holds cs_main).
    ``bypass_limits`` is for transactions from disconnected blocks: no fee floor, and they sort
    before transactions already there (entry sequence 0)."""
    pool = active_chainstate.GetMempool()
    assert pool is not None
    args = ATMPArgs.SingleAccept(accept_time, bypass_limits, test_accept)
    return MemPoolAccept(pool, active_chainstate).AcceptSingleTransaction(tx, args)
