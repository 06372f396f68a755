"""BIP9 deployment states and the block version miners signal (src/versionbits.{h,cpp}).

Only what block templates need: the state machine (DEFINED, STARTED, LOCKED_IN, ACTIVE, FAILED)
over retarget periods, and ComputeBlockVersion, which sets the bit of every deployment that is
STARTED or LOCKED_IN. On regtest that makes blocks 144 to 431 signal "testdummy" (bit 28), as
bitcoind's do. Validation does not enforce versionbits deployments (their rules are script
rules, which are not validated here).
"""

from __future__ import annotations

import threading
from enum import Enum
from typing import Final

from .chain import CBlockIndex
from .chainparams import Consensus
from .uint256 import uint256

#: What the top bits of nVersion must be for a block to signal.
VERSIONBITS_TOP_BITS: Final = 0x20000000
VERSIONBITS_TOP_MASK: Final = 0xE0000000
#: Total bits available for versionbits.
VERSIONBITS_NUM_BITS: Final = 29


class ThresholdState(Enum):
    DEFINED = 0  # first state of each softfork; the genesis block is in this state
    STARTED = 1  # for blocks past the start time
    LOCKED_IN = 2  # for one period after the first STARTED period with enough signals
    ACTIVE = 3  # for all blocks after LOCKED_IN
    FAILED = 4  # for all blocks once the first period after the timeout starts


def Mask(params: Consensus.Params, pos: Consensus.DeploymentPos) -> int:
    return 1 << params.vDeployments[pos].bit


def Condition(pindex: CBlockIndex, mask: int) -> bool:
    """Whether ``pindex`` signals for the deployment with bit ``mask``."""
    v = pindex.nVersion & 0xFFFFFFFF
    return (v & VERSIONBITS_TOP_MASK) == VERSIONBITS_TOP_BITS and (v & mask) != 0


# The state at each period boundary, by deployment and the boundary block's hash (None: before
# genesis). States are a function of the chain alone, so one cache serves every chainstate.
_cache: dict[tuple[int, uint256 | None], ThresholdState] = {}
_cache_lock: Final = threading.Lock()


def GetStateFor(
    pindexPrev: CBlockIndex | None, params: Consensus.Params, pos: Consensus.DeploymentPos
) -> ThresholdState:
    """The deployment's state for the block after ``pindexPrev``."""
    dep = params.vDeployments[pos]
    nPeriod, nThreshold = dep.period, dep.threshold
    if dep.nStartTime == Consensus.BIP9Deployment.ALWAYS_ACTIVE:
        return ThresholdState.ACTIVE
    if dep.nStartTime == Consensus.BIP9Deployment.NEVER_ACTIVE:
        return ThresholdState.FAILED

    def key(p: CBlockIndex | None) -> tuple[int, uint256 | None]:
        return (int(pos), p.GetBlockHash() if p is not None else None)

    # A block's state is that of the first block of its period: use the period's last parent.
    if pindexPrev is not None:
        pindexPrev = pindexPrev.GetAncestor(
            pindexPrev.nHeight - ((pindexPrev.nHeight + 1) % nPeriod)
        )

    with _cache_lock:
        # Walk back a period at a time to a boundary whose state is known.
        vToCompute: list[CBlockIndex] = []
        while key(pindexPrev) not in _cache:
            if pindexPrev is None or pindexPrev.GetMedianTimePast() < dep.nStartTime:
                _cache[key(pindexPrev)] = ThresholdState.DEFINED
                break
            vToCompute.append(pindexPrev)
            pindexPrev = pindexPrev.GetAncestor(pindexPrev.nHeight - nPeriod)
        state = _cache[key(pindexPrev)]

        mask = 1 << dep.bit
        while vToCompute:
            stateNext = state
            pindexPrev = vToCompute.pop()
            if state == ThresholdState.DEFINED:
                if pindexPrev.GetMedianTimePast() >= dep.nStartTime:
                    stateNext = ThresholdState.STARTED
            elif state == ThresholdState.STARTED:
                count = 0
                pindexCount: CBlockIndex | None = pindexPrev
                for _ in range(nPeriod):
                    assert pindexCount is not None
                    if Condition(pindexCount, mask):
                        count += 1
                    pindexCount = pindexCount.pprev
                if count >= nThreshold:
                    stateNext = ThresholdState.LOCKED_IN
                elif pindexPrev.GetMedianTimePast() >= dep.nTimeout:
                    stateNext = ThresholdState.FAILED
            elif (
                state == ThresholdState.LOCKED_IN
                and pindexPrev.nHeight + 1 >= dep.min_activation_height
            ):
                stateNext = ThresholdState.ACTIVE
            state = stateNext
            _cache[key(pindexPrev)] = state
        return state


def ComputeBlockVersion(pindexPrev: CBlockIndex | None, params: Consensus.Params) -> int:
    """The nVersion for a block after ``pindexPrev``: the top bits plus the bit of every
    deployment that is STARTED or LOCKED_IN."""
    nVersion = VERSIONBITS_TOP_BITS
    for i in range(Consensus.MAX_VERSION_BITS_DEPLOYMENTS):
        pos = Consensus.DeploymentPos(i)
        state = GetStateFor(pindexPrev, params, pos)
        if state in (ThresholdState.LOCKED_IN, ThresholdState.STARTED):
            nVersion |= Mask(params, pos)
    return nVersion
