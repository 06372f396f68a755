"""The block tree and the active chain (src/chain.{h,cpp}), with cs_main (src/kernel/cs_main.h),
ChainstateRole (src/kernel/chain.h) and FlatFilePos (src/flatfile.h), which chain.h pulls in.

A CBlockIndex is one node of the block tree: a header plus what validation learned about it.
Upstream links them with raw pointers; here ``pprev``/``pskip`` are object references and
identity stands for pointer equality. Chain work is a plain int (see common/arith_uint256.py).

For callers written against the single-module API (``from common.chain import
ChainstateManager``), this module also re-exports the validation stand-in's main names; they live
in the modules named after upstream's files (validation.py, txmempool.py, validationinterface.py,
consensus_validation.py, blockstorage.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum, IntFlag
from typing import TYPE_CHECKING, Any, Final

from .arith_uint256 import ARITH_MASK
from .chainparams import Consensus
from .consensus_validation import (
    BlockValidationResult as BlockValidationResult,
)
from .consensus_validation import (
    BlockValidationState as BlockValidationState,
)
from .consensus_validation import (
    TxValidationResult as TxValidationResult,
)
from .consensus_validation import (
    TxValidationState as TxValidationState,
)
from .pow import GetBlockProof as GetBlockProof
from .primitives.block import CBlockHeader, CBlockLocator
from .uint256 import ZERO, uint256
from .validationinterface import CValidationInterface as CValidationInterface
from .validationinterface import ValidationSignals as ValidationSignals

if TYPE_CHECKING:
    from .blockstorage import BlockManager as BlockManager
    from .txmempool import CTxMemPool as CTxMemPool
    from .txmempool import MempoolAcceptResult as MempoolAcceptResult
    from .validation import Chainstate as Chainstate
    from .validation import ChainstateManager as ChainstateManager

#: Seconds a block timestamp may be ahead of our clock before the block is rejected.
MAX_FUTURE_BLOCK_TIME: Final = 2 * 60 * 60
#: Grace period (seconds) for comparing outside timestamps with block times; at least
#: MAX_FUTURE_BLOCK_TIME.
TIMESTAMP_WINDOW: Final = MAX_FUTURE_BLOCK_TIME
#: Seconds between node time and block time above which the GUI shows "Catching up...".
MAX_BLOCK_TIME_GAP: Final = 90 * 60

#: The lock guarding the block index, the active chain and the UTXO set (upstream's
#: ``RecursiveMutex cs_main``); a threading.RLock, re-entrant as upstream's.
cs_main: Final = threading.RLock()


class ChainstateRole(Enum):
    """Which chainstate a BlockConnected event comes from. Only NORMAL occurs here: there is no
    assumeutxo snapshot."""

    NORMAL = 0
    BACKGROUND = 1
    ASSUMEDVALID = 2


@dataclass(frozen=True, slots=True)
class FlatFilePos:
    """A position in the block files: file number and byte offset (null: nFile == -1)."""

    nFile: int = -1
    nPos: int = 0

    def IsNull(self) -> bool:
        return self.nFile == -1

    def ToString(self) -> str:
        return f"FlatFilePos(nFile={self.nFile}, nPos={self.nPos})"


class BlockStatus(IntFlag):
    BLOCK_VALID_UNKNOWN = 0
    #: Reserved (was BLOCK_VALID_HEADER).
    BLOCK_VALID_RESERVED = 1
    #: All parent headers found, difficulty matches, timestamp >= median previous; implies all
    #: parents are also at least TREE.
    BLOCK_VALID_TREE = 2
    #: Only the first tx is coinbase, transactions valid, no duplicate txids, size, merkle root.
    #: nTx is set from here on; m_chain_tx_count once all parents are at least this valid.
    BLOCK_VALID_TRANSACTIONS = 3
    #: Outputs do not overspend inputs, no double spends, coinbase output ok.
    BLOCK_VALID_CHAIN = 4
    #: Scripts and signatures ok (here: connected; there is no script validation).
    BLOCK_VALID_SCRIPTS = 5
    BLOCK_VALID_MASK = 1 | 2 | 3 | 4 | 5
    #: Full block available in the block store.
    BLOCK_HAVE_DATA = 8
    #: Undo data available.
    BLOCK_HAVE_UNDO = 16
    BLOCK_HAVE_MASK = 8 | 16
    #: Stage after last reached validness failed.
    BLOCK_FAILED_VALID = 32
    #: Descends from a failed block.
    BLOCK_FAILED_CHILD = 64
    BLOCK_FAILED_MASK = 32 | 64
    #: Block data was received with a witness-enforcing client.
    BLOCK_OPT_WITNESS = 128
    #: Unused flag previously set on assumeutxo snapshot blocks.
    BLOCK_STATUS_RESERVED = 256


BLOCK_VALID_UNKNOWN: Final = BlockStatus.BLOCK_VALID_UNKNOWN
BLOCK_VALID_RESERVED: Final = BlockStatus.BLOCK_VALID_RESERVED
BLOCK_VALID_TREE: Final = BlockStatus.BLOCK_VALID_TREE
BLOCK_VALID_TRANSACTIONS: Final = BlockStatus.BLOCK_VALID_TRANSACTIONS
BLOCK_VALID_CHAIN: Final = BlockStatus.BLOCK_VALID_CHAIN
BLOCK_VALID_SCRIPTS: Final = BlockStatus.BLOCK_VALID_SCRIPTS
BLOCK_VALID_MASK: Final = BlockStatus.BLOCK_VALID_MASK
BLOCK_HAVE_DATA: Final = BlockStatus.BLOCK_HAVE_DATA
BLOCK_HAVE_UNDO: Final = BlockStatus.BLOCK_HAVE_UNDO
BLOCK_HAVE_MASK: Final = BlockStatus.BLOCK_HAVE_MASK
BLOCK_FAILED_VALID: Final = BlockStatus.BLOCK_FAILED_VALID
BLOCK_FAILED_CHILD: Final = BlockStatus.BLOCK_FAILED_CHILD
BLOCK_FAILED_MASK: Final = BlockStatus.BLOCK_FAILED_MASK
BLOCK_OPT_WITNESS: Final = BlockStatus.BLOCK_OPT_WITNESS

# Plain-int copies for the hot paths (IntFlag arithmetic builds enum members).
_VALID_MASK: Final = int(BLOCK_VALID_MASK)
_FAILED_MASK: Final = int(BLOCK_FAILED_MASK)


def _InvertLowestOne(n: int) -> int:
    """Turn the lowest set bit of ``n`` off."""
    return n & (n - 1)


def _GetSkipHeight(height: int) -> int:
    """The height ``pskip`` jumps back to from ``height``. Any lower height would do; this one
    keeps walks short (at most ~110 steps back over 2**18 blocks, per upstream's simulations)."""
    if height < 2:
        return 0
    if height & 1:
        return _InvertLowestOne(_InvertLowestOne(height - 1)) + 1
    return _InvertLowestOne(height)


class CBlockIndex:
    """One node of the block tree: the header fields, tree links and what validation knows.

    ``phashBlock`` is the block hash (upstream: a pointer to the key in the block map; None until
    the index is inserted there). ``nStatus`` is a BlockStatus bit set kept as an int.
    ``nFile``/``nDataPos``/``nUndoPos`` locate the block in BlockManager's store."""

    __slots__ = (
        "hashMerkleRoot",
        "m_chain_tx_count",
        "nBits",
        "nChainWork",
        "nDataPos",
        "nFile",
        "nHeight",
        "nNonce",
        "nSequenceId",
        "nStatus",
        "nTime",
        "nTimeMax",
        "nTx",
        "nUndoPos",
        "nVersion",
        "phashBlock",
        "pprev",
        "pskip",
    )

    phashBlock: uint256 | None
    pprev: CBlockIndex | None
    #: A far-back ancestor, for O(log n) GetAncestor.
    pskip: CBlockIndex | None
    nHeight: int
    nFile: int
    nDataPos: int
    nUndoPos: int
    #: Total work (expected hashes) of the chain up to and including this block.
    nChainWork: int
    #: Transactions in this block; set once the block data was received and checked.
    nTx: int
    #: Transactions in the chain up to and including this block; 0 until all ancestors' data
    #: was received.
    m_chain_tx_count: int
    nStatus: int
    nVersion: int
    hashMerkleRoot: uint256
    nTime: int
    nBits: int
    nNonce: int
    #: Order in which the block's data arrived (ties in chain work go to the earliest).
    nSequenceId: int
    #: The maximum nTime in the chain up to and including this block.
    nTimeMax: int

    #: Number of blocks the median time past is taken over.
    nMedianTimeSpan: Final = 11

    def __init__(self, block: CBlockHeader | None = None) -> None:
        self.phashBlock = None
        self.pprev = None
        self.pskip = None
        self.nHeight = 0
        self.nFile = 0
        self.nDataPos = 0
        self.nUndoPos = 0
        self.nChainWork = 0
        self.nTx = 0
        self.m_chain_tx_count = 0
        self.nStatus = 0
        self.nSequenceId = 0
        self.nTimeMax = 0
        if block is None:
            self.nVersion = 0
            self.hashMerkleRoot = ZERO
            self.nTime = self.nBits = self.nNonce = 0
        else:
            self.nVersion = block.nVersion
            self.hashMerkleRoot = block.hashMerkleRoot
            self.nTime = block.nTime
            self.nBits = block.nBits
            self.nNonce = block.nNonce

    def GetBlockPos(self) -> FlatFilePos:
        if self.nStatus & BLOCK_HAVE_DATA:
            return FlatFilePos(self.nFile, self.nDataPos)
        return FlatFilePos()

    def GetUndoPos(self) -> FlatFilePos:
        if self.nStatus & BLOCK_HAVE_UNDO:
            return FlatFilePos(self.nFile, self.nUndoPos)
        return FlatFilePos()

    def GetBlockHeader(self) -> CBlockHeader:
        return CBlockHeader(
            self.nVersion,
            self.pprev.GetBlockHash() if self.pprev is not None else ZERO,
            self.hashMerkleRoot,
            self.nTime,
            self.nBits,
            self.nNonce,
        )

    def GetBlockHash(self) -> uint256:
        assert self.phashBlock is not None
        return self.phashBlock

    def HaveNumChainTxs(self) -> bool:
        """Whether this block and all its ancestors had their transactions received (and
        checked up to BLOCK_VALID_TRANSACTIONS) at some point."""
        return self.m_chain_tx_count != 0

    def Time(self) -> int:
        """NodeSeconds: seconds since the epoch."""
        return self.nTime

    def GetBlockTime(self) -> int:
        return self.nTime

    def GetBlockTimeMax(self) -> int:
        return self.nTimeMax

    def GetMedianTimePast(self) -> int:
        times: list[int] = []
        pindex: CBlockIndex | None = self
        while pindex is not None and len(times) < self.nMedianTimeSpan:
            times.append(pindex.nTime)
            pindex = pindex.pprev
        times.sort()
        return times[len(times) // 2]

    def ToString(self) -> str:
        pprev = f"0x{id(self.pprev):x}" if self.pprev is not None else "(nil)"
        return (
            f"CBlockIndex(pprev={pprev}, nHeight={self.nHeight}, "
            f"merkle={self.hashMerkleRoot.ToString()}, hashBlock={self.GetBlockHash().ToString()})"
        )

    def IsValid(self, nUpTo: BlockStatus) -> bool:
        """Whether the block reached validity level ``nUpTo`` and is not marked failed."""
        assert not (nUpTo & ~_VALID_MASK)  # only validity flags
        if self.nStatus & _FAILED_MASK:
            return False
        return (self.nStatus & _VALID_MASK) >= nUpTo

    def RaiseValidity(self, nUpTo: BlockStatus) -> bool:
        """Raise the validity level to ``nUpTo``; whether it changed (never for failed blocks)."""
        assert not (nUpTo & ~_VALID_MASK)
        if self.nStatus & _FAILED_MASK:
            return False
        if (self.nStatus & _VALID_MASK) < nUpTo:
            self.nStatus = (self.nStatus & ~_VALID_MASK) | int(nUpTo)
            return True
        return False

    def BuildSkip(self) -> None:
        """Set pskip; the parent's skip list must already be built."""
        if self.pprev is not None:
            self.pskip = self.pprev.GetAncestor(_GetSkipHeight(self.nHeight))

    def GetAncestor(self, height: int) -> CBlockIndex | None:
        """The ancestor at ``height`` (self at its own height), following pskip when that does
        not overshoot and pprev.pskip is no better; None for a height out of range."""
        if height > self.nHeight or height < 0:
            return None
        pindexWalk: CBlockIndex = self
        heightWalk = self.nHeight
        while heightWalk > height:
            heightSkip = _GetSkipHeight(heightWalk)
            heightSkipPrev = _GetSkipHeight(heightWalk - 1)
            if pindexWalk.pskip is not None and (
                heightSkip == height
                or (
                    heightSkip > height
                    and not (heightSkipPrev < heightSkip - 2 and heightSkipPrev >= height)
                )
            ):
                pindexWalk = pindexWalk.pskip
                heightWalk = heightSkip
            else:
                assert pindexWalk.pprev is not None
                pindexWalk = pindexWalk.pprev
                heightWalk -= 1
        return pindexWalk

    def __repr__(self) -> str:
        h = self.phashBlock.GetHex() if self.phashBlock is not None else "?"
        return f"CBlockIndex(height={self.nHeight}, hash={h})"


def GetBlockProofEquivalentTime(
    to: CBlockIndex, from_: CBlockIndex, tip: CBlockIndex, params: Consensus.Params
) -> int:
    """Seconds it would take to redo the work between ``from_`` and ``to`` at the hash rate the
    tip's difficulty implies (negative when ``to`` has less work). ``from`` is a Python keyword."""
    if to.nChainWork > from_.nChainWork:
        r = to.nChainWork - from_.nChainWork
        sign = 1
    else:
        r = from_.nChainWork - to.nChainWork
        sign = -1
    r = ((r * params.nPowTargetSpacing) & ARITH_MASK) // GetBlockProof(tip)
    if r.bit_length() > 63:
        return sign * ((1 << 63) - 1)
    return sign * r


def LastCommonAncestor(pa: CBlockIndex, pb: CBlockIndex) -> CBlockIndex:
    """The fork point of two blocks (both branches meet at genesis at the latest)."""
    a: CBlockIndex | None = pa
    b: CBlockIndex | None = pb
    if pa.nHeight > pb.nHeight:
        a = pa.GetAncestor(pb.nHeight)
    elif pb.nHeight > pa.nHeight:
        b = pb.GetAncestor(pa.nHeight)
    while a is not b and a is not None and b is not None:
        a = a.pprev
        b = b.pprev
    assert a is b and a is not None
    return a


#: Placeholder for chain slots SetTip is about to fill (upstream resizes with nullptr).
_NO_BLOCK: Final = CBlockIndex()


class CChain:
    """An in-memory indexed chain of blocks: ``vChain[h]`` is the block at height h."""

    __slots__ = ("vChain",)

    vChain: list[CBlockIndex]

    def __init__(self) -> None:
        self.vChain = []

    def Genesis(self) -> CBlockIndex | None:
        return self.vChain[0] if self.vChain else None

    def Tip(self) -> CBlockIndex | None:
        return self.vChain[-1] if self.vChain else None

    def __getitem__(self, nHeight: int) -> CBlockIndex | None:
        """The block at ``nHeight``, or None when there is no such height (never negative
        indexing from the end)."""
        if nHeight < 0 or nHeight >= len(self.vChain):
            return None
        return self.vChain[nHeight]

    def Contains(self, pindex: CBlockIndex) -> bool:
        return self[pindex.nHeight] is pindex

    def Next(self, pindex: CBlockIndex) -> CBlockIndex | None:
        """The successor of ``pindex`` in this chain; None if it is the tip or not in the chain."""
        if self.Contains(pindex):
            return self[pindex.nHeight + 1]
        return None

    def Height(self) -> int:
        """The tip's height, -1 for an empty chain."""
        return len(self.vChain) - 1

    def SetTip(self, block: CBlockIndex) -> None:
        """Make ``block`` the tip, rewriting entries back to the fork with the old chain."""
        vChain = self.vChain
        n = block.nHeight + 1
        if len(vChain) > n:
            del vChain[n:]
        else:
            vChain.extend([_NO_BLOCK] * (n - len(vChain)))
        pindex: CBlockIndex | None = block
        while pindex is not None and vChain[pindex.nHeight] is not pindex:
            vChain[pindex.nHeight] = pindex
            pindex = pindex.pprev

    def FindFork(self, pindex: CBlockIndex | None) -> CBlockIndex | None:
        """The last block this chain shares with ``pindex``'s branch."""
        if pindex is None:
            return None
        if pindex.nHeight > self.Height():
            pindex = pindex.GetAncestor(self.Height())
        while pindex is not None and not self.Contains(pindex):
            pindex = pindex.pprev
        return pindex

    def FindEarliestAtLeast(self, nTime: int, height: int) -> CBlockIndex | None:
        """The earliest block with nTimeMax >= nTime and height >= ``height``."""
        lo, hi = 0, len(self.vChain)
        while lo < hi:
            mid = (lo + hi) // 2
            b = self.vChain[mid]
            if b.GetBlockTimeMax() < nTime or b.nHeight < height:
                lo = mid + 1
            else:
                hi = mid
        return self.vChain[lo] if lo < len(self.vChain) else None


def LocatorEntries(index: CBlockIndex | None) -> list[uint256]:
    """Hashes for a locator: the 11 most recent blocks one by one, then exponentially larger
    steps back, always ending at genesis."""
    step = 1
    have: list[uint256] = []
    while index is not None:
        have.append(index.GetBlockHash())
        if index.nHeight == 0:
            break
        height = max(index.nHeight - step, 0)
        index = index.GetAncestor(height)
        if len(have) > 10:
            step *= 2
    return have


def GetLocator(index: CBlockIndex | None) -> CBlockLocator:
    return CBlockLocator(LocatorEntries(index))


_REEXPORTS: Final = {
    "BlockManager": "blockstorage",
    "CTxMemPool": "txmempool",
    "MempoolAcceptResult": "txmempool",
    "Chainstate": "validation",
    "ChainstateManager": "validation",
}


def __getattr__(name: str) -> Any:
    # The validation modules import this one, so their names are resolved on first use.
    module = _REEXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __package__), name)
