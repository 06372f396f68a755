"""Proof of work (src/pow.{h,cpp}), plus GetBlockProof from src/chain.cpp.

Targets and chain work are plain ints (see common/arith_uint256.py); nBits stays the 32-bit
compact form. Regtest never retargets (fPowNoRetargeting), but the retargeting arithmetic is
ported in full, with upstream's 256-bit wrap-around, so other parameters behave as upstream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .arith_uint256 import ARITH_MASK, GetCompact, SetCompact, UintToArith256
from .uint256 import uint256

if TYPE_CHECKING:
    from .chain import CBlockIndex
    from .chainparams import Consensus
    from .primitives.block import CBlockHeader


class _HasBits(Protocol):
    @property
    def nBits(self) -> int: ...


def GetNextWorkRequired(
    pindexLast: CBlockIndex, pblock: CBlockHeader, params: Consensus.Params
) -> int:
    """The nBits a block building on ``pindexLast`` must carry."""
    assert pindexLast is not None
    nProofOfWorkLimit = GetCompact(UintToArith256(params.powLimit))
    interval = params.DifficultyAdjustmentInterval()

    # Only change once per difficulty adjustment interval.
    if (pindexLast.nHeight + 1) % interval != 0:
        if params.fPowAllowMinDifficultyBlocks:
            # Testnet rule: a block more than twice the target spacing after its parent may (must)
            # be a minimum-difficulty block.
            if pblock.GetBlockTime() > pindexLast.GetBlockTime() + params.nPowTargetSpacing * 2:
                return nProofOfWorkLimit
            # Otherwise: the last block that did not use the special rule.
            pindex = pindexLast
            while (
                pindex.pprev is not None
                and pindex.nHeight % interval != 0
                and pindex.nBits == nProofOfWorkLimit
            ):
                pindex = pindex.pprev
            return pindex.nBits
        return pindexLast.nBits

    # Go back by what we want to be one interval's worth of blocks.
    nHeightFirst = pindexLast.nHeight - (interval - 1)
    assert nHeightFirst >= 0
    pindexFirst = pindexLast.GetAncestor(nHeightFirst)
    assert pindexFirst is not None
    return CalculateNextWorkRequired(pindexLast, pindexFirst.GetBlockTime(), params)


def CalculateNextWorkRequired(
    pindexLast: CBlockIndex, nFirstBlockTime: int, params: Consensus.Params
) -> int:
    if params.fPowNoRetargeting:
        return pindexLast.nBits

    # Limit the adjustment step to a factor of four either way.
    nActualTimespan = pindexLast.GetBlockTime() - nFirstBlockTime
    nActualTimespan = max(nActualTimespan, params.nPowTargetTimespan // 4)
    nActualTimespan = min(nActualTimespan, params.nPowTargetTimespan * 4)

    bnPowLimit = UintToArith256(params.powLimit)
    if params.enforce_BIP94:
        # Testnet4: use the first block of the period, which cannot be a min-difficulty block.
        nHeightFirst = pindexLast.nHeight - (params.DifficultyAdjustmentInterval() - 1)
        pindexFirst = pindexLast.GetAncestor(nHeightFirst)
        assert pindexFirst is not None
        bnNew = SetCompact(pindexFirst.nBits)[0]
    else:
        bnNew = SetCompact(pindexLast.nBits)[0]

    # arith_uint256 *= int64 picks the uint32_t overload, and the product wraps at 2**256.
    bnNew = (bnNew * (nActualTimespan & 0xFFFFFFFF)) & ARITH_MASK
    bnNew //= params.nPowTargetTimespan
    bnNew = min(bnNew, bnPowLimit)
    return GetCompact(bnNew)


def PermittedDifficultyTransition(
    params: Consensus.Params, height: int, old_nbits: int, new_nbits: int
) -> bool:
    """Whether ``new_nbits`` at ``height`` is within the bounds retargeting allows after a block
    with ``old_nbits`` (used to check headers before their ancestors are stored)."""
    if params.fPowAllowMinDifficultyBlocks:
        return True

    if height % params.DifficultyAdjustmentInterval() == 0:
        smallest_timespan = params.nPowTargetTimespan // 4
        largest_timespan = params.nPowTargetTimespan * 4

        pow_limit = UintToArith256(params.powLimit)
        observed_new_target = SetCompact(new_nbits)[0]

        # The largest target (lowest difficulty) retargeting could produce, rounded to compact.
        largest_difficulty_target = SetCompact(old_nbits)[0]
        largest_difficulty_target = (largest_difficulty_target * largest_timespan) & ARITH_MASK
        largest_difficulty_target //= params.nPowTargetTimespan
        largest_difficulty_target = min(largest_difficulty_target, pow_limit)
        maximum_new_target = SetCompact(GetCompact(largest_difficulty_target))[0]
        if maximum_new_target < observed_new_target:
            return False

        # The smallest target (highest difficulty), rounded the same way.
        smallest_difficulty_target = SetCompact(old_nbits)[0]
        smallest_difficulty_target = (smallest_difficulty_target * smallest_timespan) & ARITH_MASK
        smallest_difficulty_target //= params.nPowTargetTimespan
        smallest_difficulty_target = min(smallest_difficulty_target, pow_limit)
        minimum_new_target = SetCompact(GetCompact(smallest_difficulty_target))[0]
        if minimum_new_target > observed_new_target:
            return False
    elif old_nbits != new_nbits:
        return False
    return True


def CheckProofOfWork(hash: uint256, nBits: int, params: Consensus.Params) -> bool:
    """Whether ``hash`` meets the target ``nBits`` claims, and that target is within powLimit.
    (Upstream's fuzzing shortcut, EnableFuzzDeterminism, has no counterpart here.)"""
    return CheckProofOfWorkImpl(hash, nBits, params)


def DeriveTarget(nBits: int, pow_limit: uint256) -> int | None:
    """The target ``nBits`` encodes, or None when it is negative, zero, overflows or is easier
    than ``pow_limit``."""
    bnTarget, fNegative, fOverflow = SetCompact(nBits)
    if fNegative or bnTarget == 0 or fOverflow or bnTarget > UintToArith256(pow_limit):
        return None
    return bnTarget


def CheckProofOfWorkImpl(hash: uint256, nBits: int, params: Consensus.Params) -> bool:
    bnTarget = DeriveTarget(nBits, params.powLimit)
    if bnTarget is None:
        return False
    return UintToArith256(hash) <= bnTarget


def GetBlockProof(block: _HasBits) -> int:
    """The expected number of hashes to find a block at ``block.nBits``: 2**256 / (target + 1),
    computed as upstream does, as ~target / (target + 1) + 1. Zero for an invalid nBits.
    (Upstream defines this in chain.cpp; it accepts anything with ``nBits``.)"""
    bnTarget, fNegative, fOverflow = SetCompact(block.nBits)
    if fNegative or fOverflow or bnTarget == 0:
        return 0
    return ((ARITH_MASK ^ bnTarget) // (bnTarget + 1)) + 1
