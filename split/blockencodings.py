"""Compact block encodings (BIP 152): short transaction ids and block reconstruction
(src/blockencodings.{h,cpp}).

The wire classes (BlockTransactionsRequest, BlockTransactions, PrefilledTransaction and the
serialization of CBlockHeaderAndShortTxIDs) live in common.messages; this module adds what
upstream keeps beside them: the SipHash keys and short ids of a compact block, building one from
a block, and PartiallyDownloadedBlock, which refills a block from the mempool.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import common.messages
from common.consensus import MAX_BLOCK_WEIGHT, MIN_SERIALIZABLE_TRANSACTION_WEIGHT
from common.hash import sha256
from common.logging import BCLog, LogDebug
from common.messages import BlockTransactions, BlockTransactionsRequest, PrefilledTransaction
from common.primitives.block import CBlock, CBlockHeader
from common.primitives.transaction import CTransaction
from common.serialize import DataStream, ser_u64
from common.siphash import SipHashUint256
from common.txmempool import CTxMemPool
from common.uint256 import uint256
from common.validation_checks import IsBlockMutated

__all__ = [
    "READ_STATUS_FAILED",
    "READ_STATUS_INVALID",
    "READ_STATUS_OK",
    "BlockTransactions",
    "BlockTransactionsRequest",
    "CBlockHeaderAndShortTxIDs",
    "PartiallyDownloadedBlock",
    "PrefilledTransaction",
    "ReadStatus",
]


class ReadStatus(enum.IntEnum):
    READ_STATUS_OK = 0
    #: Invalid object, peer is sending bogus data.
    READ_STATUS_INVALID = 1
    #: Failed to process object.
    READ_STATUS_FAILED = 2


READ_STATUS_OK: Final = ReadStatus.READ_STATUS_OK
READ_STATUS_INVALID: Final = ReadStatus.READ_STATUS_INVALID
READ_STATUS_FAILED: Final = ReadStatus.READ_STATUS_FAILED

_SHORTID_MASK: Final = 0xFFFFFFFFFFFF


@dataclass(slots=True)
class CBlockHeaderAndShortTxIDs(common.messages.CBlockHeaderAndShortTxIDs):
    """A compact block with its short-id keys. Upstream fills the keys on deserialization and
    in the constructor; here ``__post_init__`` does both. Build one from a block with
    :meth:`FromBlock` (upstream's ``CBlockHeaderAndShortTxIDs(block, nonce)``)."""

    shorttxidk0: int = field(default=0, compare=False, repr=False)
    shorttxidk1: int = field(default=0, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.FillShortTxIDSelector()

    @classmethod
    def FromBlock(cls, block: CBlock, nonce: int) -> CBlockHeaderAndShortTxIDs:
        """``nonce`` should be random: it keys the SipHash of the short ids. Only the coinbase
        is prefilled."""
        cmpct = cls(block.GetBlockHeader(), nonce)
        cmpct.prefilledtxn = [PrefilledTransaction(0, block.vtx[0])]
        cmpct.shorttxids = [cmpct.GetShortID(tx.GetWitnessHash()) for tx in block.vtx[1:]]
        return cmpct

    @classmethod
    def deserialize(cls, s: DataStream) -> CBlockHeaderAndShortTxIDs:
        base = common.messages.CBlockHeaderAndShortTxIDs.deserialize(s)
        return cls(base.header, base.nonce, base.shorttxids, base.prefilledtxn)

    def FillShortTxIDSelector(self) -> None:
        """The SipHash keys: the first two little-endian words of SHA256(header || nonce)."""
        shorttxidhash = uint256(sha256(self.header.serialize_header() + ser_u64(self.nonce)))
        self.shorttxidk0 = shorttxidhash.GetUint64(0)
        self.shorttxidk1 = shorttxidhash.GetUint64(1)

    def GetShortID(self, wtxid: uint256) -> int:
        assert self.SHORTTXIDS_LENGTH == 6, "shorttxids calculation assumes 6-byte shorttxids"
        return SipHashUint256(self.shorttxidk0, self.shorttxidk1, wtxid) & _SHORTID_MASK


def _next_prime(n: int) -> int:
    """The bucket count of an unordered_map sized for ``n`` elements: the smallest prime at
    least ``n`` (libstdc++ picks from a table of primes; this is the same for small maps)."""
    candidate = max(n, 2)
    while any(candidate % d == 0 for d in range(2, int(candidate**0.5) + 1)):
        candidate += 1
    return candidate


#: Upstream's IsBlockMutatedFn (overridable for testing).
IsBlockMutatedFn = Callable[[CBlock, bool], bool]


class PartiallyDownloadedBlock:
    """A block being rebuilt from a compact block: prefilled transactions, then mempool and
    extra transactions matched by short id, then the missing ones from a blocktxn."""

    __slots__ = (
        "extra_count",
        "header",
        "m_check_block_mutated_mock",
        "mempool_count",
        "pool",
        "prefilled_count",
        "txn_available",
    )

    txn_available: list[CTransaction | None]
    prefilled_count: int
    mempool_count: int
    extra_count: int
    pool: CTxMemPool
    header: CBlockHeader
    #: Can be overridden for testing.
    m_check_block_mutated_mock: IsBlockMutatedFn | None

    def __init__(self, poolIn: CTxMemPool) -> None:
        self.txn_available = []
        self.prefilled_count = 0
        self.mempool_count = 0
        self.extra_count = 0
        self.pool = poolIn
        self.header = CBlockHeader()
        self.m_check_block_mutated_mock = None

    def InitData(
        self,
        cmpctblock: CBlockHeaderAndShortTxIDs,
        extra_txn: list[tuple[uint256, CTransaction] | None],
    ) -> ReadStatus:
        """Place the prefilled transactions and look the short ids up in the mempool and in
        ``extra_txn`` ((wtxid, tx) pairs; None marks an unused ring-buffer slot)."""
        cmpct_size = len(cmpctblock.serialize())
        LogDebug(
            BCLog.CMPCTBLOCK,
            "Initializing PartiallyDownloadedBlock for block %s using a cmpctblock of %u bytes\n",
            cmpctblock.header.GetHash().ToString(),
            cmpct_size,
        )
        if cmpctblock.header.IsNull() or (
            not cmpctblock.shorttxids and not cmpctblock.prefilledtxn
        ):
            return READ_STATUS_INVALID
        if (
            len(cmpctblock.shorttxids) + len(cmpctblock.prefilledtxn)
            > MAX_BLOCK_WEIGHT // MIN_SERIALIZABLE_TRANSACTION_WEIGHT
        ):
            return READ_STATUS_INVALID

        if not self.header.IsNull() or self.txn_available:
            return READ_STATUS_INVALID

        self.header = cmpctblock.header
        self.txn_available = [None] * cmpctblock.BlockTxCount()

        lastprefilledindex = -1
        for i, prefilled in enumerate(cmpctblock.prefilledtxn):
            if prefilled.tx.IsNull():
                return READ_STATUS_INVALID

            lastprefilledindex += prefilled.index + 1
            if lastprefilledindex > 0xFFFF:
                return READ_STATUS_INVALID
            if lastprefilledindex > len(cmpctblock.shorttxids) + i:
                # A transaction at an index past all short ids plus the prefilled ones placed
                # so far: we would have neither a prefilled transaction nor a short id for some.
                return READ_STATUS_INVALID
            self.txn_available[lastprefilledindex] = prefilled.tx
        self.prefilled_count = len(cmpctblock.prefilledtxn)

        # Map short ids to positions. Well-formed compact blocks have uniformly distributed
        # short ids, so a highly uneven distribution over the map's buckets (more than 12 in one)
        # is treated as a failure, as upstream does with its unordered_map.
        shorttxids: dict[int, int] = {}
        bucket_count = _next_prime(len(cmpctblock.shorttxids))
        bucket_sizes: dict[int, int] = {}
        index_offset = 0
        for i, shortid in enumerate(cmpctblock.shorttxids):
            while self.txn_available[i + index_offset] is not None:
                index_offset += 1
            if shortid not in shorttxids:
                bucket = shortid % bucket_count
                bucket_sizes[bucket] = bucket_sizes.get(bucket, 0) + 1
                if bucket_sizes[bucket] > 12:
                    return READ_STATUS_FAILED
            shorttxids[shortid] = i + index_offset
        # In the short id collision case, we should instead request both transactions which
        # collided; falling back to a full block request is overkill.
        if len(shorttxids) != len(cmpctblock.shorttxids):
            return READ_STATUS_FAILED  # Short ID collision

        have_txn = [False] * len(self.txn_available)
        with self.pool.cs:
            # Upstream walks txns_randomized; the mempool stand-in keeps insertion order.
            for entry in list(self.pool.mapTx.values()):
                wtxid = entry.GetTx().GetWitnessHash()
                idx = shorttxids.get(cmpctblock.GetShortID(wtxid))
                if idx is not None:
                    if not have_txn[idx]:
                        self.txn_available[idx] = entry.GetSharedTx()
                        have_txn[idx] = True
                        self.mempool_count += 1
                    elif self.txn_available[idx] is not None:
                        # Two mempool transactions match the short id: just request it.
                        self.txn_available[idx] = None
                        self.mempool_count -= 1
                # Ideally we'd keep scanning for the two-match case, but an early exit is
                # worth the extra risk.
                if self.mempool_count == len(shorttxids):
                    break

        for extra in extra_txn:
            if extra is None:
                continue
            extra_wtxid, extra_tx = extra
            idx = shorttxids.get(cmpctblock.GetShortID(extra_wtxid))
            if idx is not None:
                if not have_txn[idx]:
                    self.txn_available[idx] = extra_tx
                    have_txn[idx] = True
                    self.mempool_count += 1
                    self.extra_count += 1
                else:
                    # Two mempool/extra transactions match the short id: just request it (a
                    # duplicate of the mempool one, by witness hash, does not count).
                    available = self.txn_available[idx]
                    if (
                        available is not None
                        and available.GetWitnessHash() != extra_tx.GetWitnessHash()
                    ):
                        self.txn_available[idx] = None
                        self.mempool_count -= 1
                        self.extra_count -= 1
            if self.mempool_count == len(shorttxids):
                break

        LogDebug(
            BCLog.CMPCTBLOCK,
            "Initialized PartiallyDownloadedBlock for block %s using a cmpctblock of %u bytes\n",
            cmpctblock.header.GetHash().ToString(),
            cmpct_size,
        )
        return READ_STATUS_OK

    def IsTxAvailable(self, index: int) -> bool:
        if self.header.IsNull():
            return False
        assert index < len(self.txn_available)
        return self.txn_available[index] is not None

    def FillBlock(
        self, block: CBlock, vtx_missing: list[CTransaction], segwit_active: bool
    ) -> ReadStatus:
        """Complete ``block`` (upstream's out parameter, overwritten) with ``vtx_missing``, in
        order. Works once: the header and transactions are cleared afterwards."""
        if self.header.IsNull():
            return READ_STATUS_INVALID

        hash = self.header.GetHash()
        h = self.header
        block.nVersion, block.hashPrevBlock, block.hashMerkleRoot = (
            h.nVersion,
            h.hashPrevBlock,
            h.hashMerkleRoot,
        )
        block.nTime, block.nBits, block.nNonce = h.nTime, h.nBits, h.nNonce
        block.vtx = []
        block.fChecked = False
        block.m_checked_witness_commitment = False
        block.m_checked_merkle_root = False

        tx_missing_size = 0
        tx_missing_offset = 0
        for available in self.txn_available:
            if available is None:
                if len(vtx_missing) <= tx_missing_offset:
                    return READ_STATUS_INVALID
                tx = vtx_missing[tx_missing_offset]
                tx_missing_offset += 1
                tx_missing_size += tx.GetTotalSize()
                block.vtx.append(tx)
            else:
                block.vtx.append(available)

        # Make sure we can't call FillBlock again.
        self.header = CBlockHeader()
        self.txn_available = []

        if len(vtx_missing) != tx_missing_offset:
            return READ_STATUS_INVALID

        # Check for possible mutations early now that we have a seemingly good block
        check_mutated = (
            self.m_check_block_mutated_mock
            if self.m_check_block_mutated_mock is not None
            else IsBlockMutated
        )
        if check_mutated(block, segwit_active):
            return READ_STATUS_FAILED  # Possible Short ID collision

        LogDebug(
            BCLog.CMPCTBLOCK,
            "Successfully reconstructed block %s with %u txn prefilled, %u txn from mempool (incl "
            "at least %u from extra pool) and %u txn (%u bytes) requested\n",
            hash.ToString(),
            self.prefilled_count,
            self.mempool_count,
            self.extra_count,
            len(vtx_missing),
            tx_missing_size,
        )
        if len(vtx_missing) < 5:
            for tx in vtx_missing:
                LogDebug(
                    BCLog.CMPCTBLOCK,
                    "Reconstructed block %s required tx %s\n",
                    hash.ToString(),
                    tx.GetHash().ToString(),
                )

        return READ_STATUS_OK
