"""Mempool entries and the notifications about them (src/kernel/mempool_entry.h,
src/kernel/mempool_removal_reason.{h,cpp}).

Kept apart from txmempool.py so that validationinterface.py can name these types without
importing the mempool. Times are seconds, amounts satoshis, sizes virtual bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .consensus import WITNESS_SCALE_FACTOR
from .consensus_validation import GetTransactionWeight
from .primitives.transaction import CTransaction
from .uint256 import uint256


class MemPoolRemovalReason(Enum):
    """Why a transaction left the mempool (passed to TransactionRemovedFromMempool)."""

    EXPIRY = 0  # expired from mempool
    SIZELIMIT = 1  # removed in size limiting
    REORG = 2  # removed for reorganization
    BLOCK = 3  # removed for block
    CONFLICT = 4  # removed for conflict with in-block transaction
    REPLACED = 5  # removed for replacement


def RemovalReasonToString(r: MemPoolRemovalReason) -> str:
    return r.name.lower()


#: policy/policy.h's default -bytespersigop; sigops are not counted here, so it never applies.
DEFAULT_BYTES_PER_SIGOP = 20


def GetVirtualTransactionSize(nWeight: int, nSigOpCost: int = 0, bytes_per_sigop: int = 0) -> int:
    """policy.cpp's virtual size: weight (or sigop cost times bytes per sigop, if larger) divided
    by WITNESS_SCALE_FACTOR, rounded up."""
    return (max(nWeight, nSigOpCost * bytes_per_sigop) + WITNESS_SCALE_FACTOR - 1) // (
        WITNESS_SCALE_FACTOR
    )


class CTxMemPoolEntry:
    """A transaction in the mempool with what was learned when it entered.

    Upstream keeps parent and child links as sets of references; here ``m_parents`` and
    ``m_children`` map txid to entry (insertion ordered, so walks are deterministic)."""

    __slots__ = (
        "entryHeight",
        "entry_sequence",
        "m_children",
        "m_modified_fee",
        "m_parents",
        "nFee",
        "nTime",
        "nTxWeight",
        "sigOpCost",
        "spendsCoinbase",
        "tx",
    )

    tx: CTransaction
    nFee: int
    nTxWeight: int
    #: Local time (seconds) when the transaction entered the mempool.
    nTime: int
    #: Mempool sequence number at entry, to tell whether it is too recent to relay.
    entry_sequence: int
    #: Chain height when it entered the mempool.
    entryHeight: int
    spendsCoinbase: bool
    #: Sigop cost: always 0 here (sigops are not counted).
    sigOpCost: int
    m_modified_fee: int
    m_parents: dict[uint256, CTxMemPoolEntry]
    m_children: dict[uint256, CTxMemPoolEntry]

    def __init__(
        self,
        tx: CTransaction,
        fee: int,
        time: int,
        entry_height: int,
        entry_sequence: int,
        spends_coinbase: bool,
        sigops_cost: int = 0,
    ) -> None:
        self.tx = tx
        self.nFee = fee
        self.nTxWeight = GetTransactionWeight(tx)
        self.nTime = time
        self.entry_sequence = entry_sequence
        self.entryHeight = entry_height
        self.spendsCoinbase = spends_coinbase
        self.sigOpCost = sigops_cost
        self.m_modified_fee = fee
        self.m_parents = {}
        self.m_children = {}

    def GetTx(self) -> CTransaction:
        return self.tx

    def GetSharedTx(self) -> CTransaction:
        return self.tx

    def GetFee(self) -> int:
        return self.nFee

    def GetTxSize(self) -> int:
        """The virtual size in vbytes."""
        return GetVirtualTransactionSize(self.nTxWeight, self.sigOpCost, DEFAULT_BYTES_PER_SIGOP)

    def GetTxWeight(self) -> int:
        return self.nTxWeight

    def GetTime(self) -> int:
        """Seconds since the epoch."""
        return self.nTime

    def GetHeight(self) -> int:
        return self.entryHeight

    def GetSequence(self) -> int:
        return self.entry_sequence

    def GetSigOpCost(self) -> int:
        return self.sigOpCost

    def GetModifiedFee(self) -> int:
        return self.m_modified_fee

    def GetSpendsCoinbase(self) -> bool:
        return self.spendsCoinbase

    def GetMemPoolParentsConst(self) -> dict[uint256, CTxMemPoolEntry]:
        return self.m_parents

    def GetMemPoolChildrenConst(self) -> dict[uint256, CTxMemPoolEntry]:
        return self.m_children

    def GetCountWithAncestors(self) -> int:
        """This entry plus all its in-mempool ancestors (upstream caches the count; here it is
        walked on demand)."""
        seen: set[uint256] = set()
        stack = [self]
        while stack:
            e = stack.pop()
            for k, p in e.m_parents.items():
                if k not in seen:
                    seen.add(k)
                    stack.append(p)
        return len(seen) + 1

    def __repr__(self) -> str:
        return f"CTxMemPoolEntry(txid={self.tx.GetHash().GetHex()}, fee={self.nFee})"


@dataclass(frozen=True, slots=True)
class TransactionInfo:
    m_tx: CTransaction
    #: The fee the transaction paid.
    m_fee: int
    #: The virtual size (weight, or sigop-adjusted weight, in vbytes).
    m_virtual_transaction_size: int
    #: The block height the transaction entered the mempool at.
    txHeight: int


@dataclass(frozen=True, slots=True)
class RemovedMempoolTransactionInfo:
    info: TransactionInfo

    @classmethod
    def FromEntry(cls, entry: CTxMemPoolEntry) -> RemovedMempoolTransactionInfo:
        return cls(
            TransactionInfo(
                entry.GetSharedTx(), entry.GetFee(), entry.GetTxSize(), entry.GetHeight()
            )
        )


@dataclass(frozen=True, slots=True)
class NewMempoolTransactionInfo:
    info: TransactionInfo
    #: Whether the transaction was added without enforcing mempool fee limits.
    m_mempool_limit_bypassed: bool
    #: Whether the transaction is part of a package.
    m_submitted_in_package: bool
    #: Whether the chain was up to date when the transaction was added.
    m_chainstate_is_current: bool
    #: Whether the transaction has no unconfirmed parents.
    m_has_no_mempool_parents: bool
