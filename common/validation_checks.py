"""Block and header checks of validation.cpp (src/validation.cpp's CheckBlockHeader,
CheckBlock, ContextualCheckBlockHeader, ContextualCheckBlock and their helpers), the block
subsidy, and src/deploymentstatus.h for buried deployments.

Checked: proof of work and the expected difficulty, timestamps (against the median time past
and NodeClock: v30 has no "adjusted time"), versions of buried deployments, the merkle root and
its mutation, size and weight, coinbase position and BIP34 height, the witness commitment,
transactions' context-free rules and finality. Not checked: sigop limits (no script
interpreter), signet solutions, checkpoints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .blockstorage import BlockManager
from .chain import MAX_FUTURE_BLOCK_TIME, CBlockIndex
from .chainparams import Consensus
from .clock import NodeClock
from .consensus import MAX_BLOCK_WEIGHT, MAX_TIMEWARP, WITNESS_SCALE_FACTOR
from .consensus_validation import (
    NO_WITNESS_COMMITMENT,
    BlockValidationResult,
    BlockValidationState,
    GetBlockWeight,
    GetWitnessCommitmentIndex,
    TxValidationResult,
    TxValidationState,
)
from .hash import hash256
from .logging import BCLog, LogDebug
from .merkle import BlockMerkleRoot, BlockWitnessMerkleRoot
from .pow import CheckProofOfWork, GetBlockProof, GetNextWorkRequired
from .primitives.block import CBlock, CBlockHeader
from .primitives.transaction import COIN
from .script import script_push_int
from .tx_verify import CheckTransaction, IsFinalTx

if TYPE_CHECKING:
    from .validation import ChainstateManager


def GetBlockSubsidy(nHeight: int, consensusParams: Consensus.Params) -> int:
    """The new coins a block at ``nHeight`` may create: 50 BTC halved every
    nSubsidyHalvingInterval blocks (150 on regtest), zero after 64 halvings."""
    halvings = nHeight // consensusParams.nSubsidyHalvingInterval
    if halvings >= 64:
        return 0
    return (50 * COIN) >> halvings


# --- deploymentstatus.h (buried deployments only) ----------------------------------------------


def DeploymentActiveAfter(
    pindexPrev: CBlockIndex | None, chainman: ChainstateManager, dep: Consensus.BuriedDeployment
) -> bool:
    """Whether a buried deployment is active for the block after ``pindexPrev``."""
    height = pindexPrev.nHeight + 1 if pindexPrev is not None else 0
    return height >= chainman.GetConsensus().DeploymentHeight(dep)


def DeploymentActiveAt(
    index: CBlockIndex, chainman: ChainstateManager, dep: Consensus.BuriedDeployment
) -> bool:
    return index.nHeight >= chainman.GetConsensus().DeploymentHeight(dep)


# --- context-free and contextual checks --------------------------------------------------------


def CheckBlockHeader(
    block: CBlockHeader, state: BlockValidationState, consensusParams: Consensus.Params,
    fCheckPOW: bool = True,
) -> bool:  # fmt: skip
    """The header's proof of work matches the target it claims."""
    if fCheckPOW and not CheckProofOfWork(block.GetHash(), block.nBits, consensusParams):
        return state.Invalid(
            BlockValidationResult.BLOCK_INVALID_HEADER, "high-hash", "proof of work failed"
        )
    return True


def CheckMerkleRoot(block: CBlock, state: BlockValidationState) -> bool:
    if block.m_checked_merkle_root:
        return True
    merkle_root, mutated = BlockMerkleRoot(block)
    if block.hashMerkleRoot != merkle_root:
        return state.Invalid(
            BlockValidationResult.BLOCK_MUTATED, "bad-txnmrklroot", "hashMerkleRoot mismatch"
        )
    # CVE-2012-2459: repeating transactions can keep the root while invalidating the block.
    if mutated:
        return state.Invalid(
            BlockValidationResult.BLOCK_MUTATED, "bad-txns-duplicate", "duplicate transaction"
        )
    block.m_checked_merkle_root = True
    return True


def CheckWitnessMalleation(
    block: CBlock, expect_witness_commitment: bool, state: BlockValidationState
) -> bool:
    """With segwit active, a commitment (if present) must match the witnesses; without a
    commitment no transaction may carry a witness."""
    if expect_witness_commitment:
        if block.m_checked_witness_commitment:
            return True
        commitpos = GetWitnessCommitmentIndex(block)
        if commitpos != NO_WITNESS_COMMITMENT:
            assert block.vtx and block.vtx[0].vin
            witness_stack = block.vtx[0].vin[0].scriptWitness
            if len(witness_stack) != 1 or len(witness_stack[0]) != 32:
                return state.Invalid(
                    BlockValidationResult.BLOCK_MUTATED,
                    "bad-witness-nonce-size",
                    "CheckWitnessMalleation : invalid witness reserved value size",
                )
            hash_witness = hash256(BlockWitnessMerkleRoot(block).data + witness_stack[0])
            if hash_witness != block.vtx[0].vout[commitpos].scriptPubKey[6:38]:
                return state.Invalid(
                    BlockValidationResult.BLOCK_MUTATED,
                    "bad-witness-merkle-match",
                    "CheckWitnessMalleation : witness merkle commitment mismatch",
                )
            block.m_checked_witness_commitment = True
            return True

    # Witness data in a block that does not commit to it would be free spam.
    for tx in block.vtx:
        if tx.HasWitness():
            return state.Invalid(
                BlockValidationResult.BLOCK_MUTATED,
                "unexpected-witness",
                "CheckWitnessMalleation : unexpected witness data found",
            )
    return True


def CheckBlock(
    block: CBlock, state: BlockValidationState, consensusParams: Consensus.Params,
    fCheckPOW: bool = True, fCheckMerkleRoot: bool = True,
) -> bool:  # fmt: skip
    """Checks that need no context: header PoW, merkle root, size, coinbase placement and each
    transaction's CheckTransaction."""
    if block.fChecked:
        return True
    if not CheckBlockHeader(block, state, consensusParams, fCheckPOW):
        return False
    if fCheckMerkleRoot and not CheckMerkleRoot(block, state):
        return False

    # Everything that could be corruption is checked above, before transactions: a block whose
    # transactions do not match its header must not get its header marked invalid.
    nvtx = len(block.vtx)
    if (
        nvtx == 0
        or nvtx * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT
        or len(block.serialize(with_witness=False)) * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT
    ):
        return state.Invalid(
            BlockValidationResult.BLOCK_CONSENSUS, "bad-blk-length", "size limits failed"
        )
    if not block.vtx[0].IsCoinBase():
        return state.Invalid(
            BlockValidationResult.BLOCK_CONSENSUS, "bad-cb-missing", "first tx is not coinbase"
        )
    for tx in block.vtx[1:]:
        if tx.IsCoinBase():
            return state.Invalid(
                BlockValidationResult.BLOCK_CONSENSUS, "bad-cb-multiple", "more than one coinbase"
            )
    for tx in block.vtx:
        tx_state = TxValidationState()
        if not CheckTransaction(tx, tx_state):
            assert tx_state.GetResult() == TxValidationResult.TX_CONSENSUS
            return state.Invalid(
                BlockValidationResult.BLOCK_CONSENSUS,
                tx_state.GetRejectReason(),
                f"Transaction check failed (tx hash {tx.GetHash().ToString()}) "
                f"{tx_state.GetDebugMessage()}",
            )
    # (Legacy sigop counting, "bad-blk-sigops", is not ported: scripts are not interpreted.)
    if fCheckPOW and fCheckMerkleRoot:
        block.fChecked = True
    return True


def HasValidProofOfWork(headers: list[CBlockHeader], consensusParams: Consensus.Params) -> bool:
    return all(CheckProofOfWork(h.GetHash(), h.nBits, consensusParams) for h in headers)


def IsBlockMutated(block: CBlock, check_witness_root: bool) -> bool:
    """Whether the block's transactions do not match what its header commits to."""
    state = BlockValidationState()
    if not CheckMerkleRoot(block, state):
        LogDebug(BCLog.VALIDATION, "Block mutated: %s\n", state.ToString())
        return True
    if not block.vtx or not block.vtx[0].IsCoinBase():
        # Without a coinbase, a 64-byte transaction could pose as an inner merkle node.
        return any(tx.GetBaseSize() == 64 for tx in block.vtx)
    if not CheckWitnessMalleation(block, check_witness_root, state):
        LogDebug(BCLog.VALIDATION, "Block mutated: %s\n", state.ToString())
        return True
    return False


def CalculateClaimedHeadersWork(headers: list[CBlockHeader]) -> int:
    return sum(GetBlockProof(h) for h in headers)


def ContextualCheckBlockHeader(
    block: CBlockHeader, state: BlockValidationState, blockman: BlockManager,
    chainman: ChainstateManager, pindexPrev: CBlockIndex,
) -> bool:  # fmt: skip
    """Checks against the previous headers and our clock (the caller holds cs_main)."""
    nHeight = pindexPrev.nHeight + 1
    consensusParams = chainman.GetConsensus()
    if block.nBits != GetNextWorkRequired(pindexPrev, block, consensusParams):
        return state.Invalid(
            BlockValidationResult.BLOCK_INVALID_HEADER, "bad-diffbits", "incorrect proof of work"
        )
    if block.GetBlockTime() <= pindexPrev.GetMedianTimePast():
        return state.Invalid(
            BlockValidationResult.BLOCK_INVALID_HEADER,
            "time-too-old",
            "block's timestamp is too early",
        )
    # Timewarp protection at retarget boundaries (testnet4, and regtest with -test=bip94).
    if (
        consensusParams.enforce_BIP94
        and nHeight % consensusParams.DifficultyAdjustmentInterval() == 0
        and block.GetBlockTime() < pindexPrev.GetBlockTime() - MAX_TIMEWARP
    ):
        return state.Invalid(
            BlockValidationResult.BLOCK_INVALID_HEADER,
            "time-timewarp-attack",
            "block's timestamp is too early on diff adjustment block",
        )
    # NodeClock::now() is in microseconds; the block time in seconds.
    if block.GetBlockTime() * 1_000_000 > NodeClock.now() + MAX_FUTURE_BLOCK_TIME * 1_000_000:
        return state.Invalid(
            BlockValidationResult.BLOCK_TIME_FUTURE,
            "time-too-new",
            "block timestamp too far in the future",
        )
    if (
        (block.nVersion < 2
         and DeploymentActiveAfter(pindexPrev, chainman, Consensus.DEPLOYMENT_HEIGHTINCB))
        or (block.nVersion < 3
            and DeploymentActiveAfter(pindexPrev, chainman, Consensus.DEPLOYMENT_DERSIG))
        or (block.nVersion < 4
            and DeploymentActiveAfter(pindexPrev, chainman, Consensus.DEPLOYMENT_CLTV))
    ):  # fmt: skip
        version = block.nVersion & 0xFFFFFFFF
        return state.Invalid(
            BlockValidationResult.BLOCK_INVALID_HEADER,
            f"bad-version(0x{version:08x})",
            f"rejected nVersion=0x{version:08x} block",
        )
    return True


def ContextualCheckBlock(
    block: CBlock, state: BlockValidationState, chainman: ChainstateManager,
    pindexPrev: CBlockIndex | None,
) -> bool:  # fmt: skip
    """Checks that need the previous block but not the UTXO set: finality, BIP34 height, the
    witness commitment, weight."""
    nHeight = pindexPrev.nHeight + 1 if pindexPrev is not None else 0
    # BIP113: the lock-time cutoff is the previous block's median time past once CSV is active.
    if DeploymentActiveAfter(pindexPrev, chainman, Consensus.DEPLOYMENT_CSV):
        assert pindexPrev is not None
        nLockTimeCutoff = pindexPrev.GetMedianTimePast()
    else:
        nLockTimeCutoff = block.GetBlockTime()
    for tx in block.vtx:
        if not IsFinalTx(tx, nHeight, nLockTimeCutoff):
            return state.Invalid(
                BlockValidationResult.BLOCK_CONSENSUS, "bad-txns-nonfinal", "non-final transaction"
            )
    # BIP34: the coinbase scriptSig starts with the serialized height.
    if DeploymentActiveAfter(pindexPrev, chainman, Consensus.DEPLOYMENT_HEIGHTINCB):
        expect = script_push_int(nHeight)
        if not block.vtx[0].vin[0].scriptSig.startswith(expect):
            return state.Invalid(
                BlockValidationResult.BLOCK_CONSENSUS,
                "bad-cb-height",
                "block height mismatch in coinbase",
            )
    if not CheckWitnessMalleation(
        block, DeploymentActiveAfter(pindexPrev, chainman, Consensus.DEPLOYMENT_SEGWIT), state
    ):
        return False
    # Only now that the witness is committed to can its weight count against the block.
    if GetBlockWeight(block) > MAX_BLOCK_WEIGHT:
        return state.Invalid(
            BlockValidationResult.BLOCK_CONSENSUS,
            "bad-blk-weight",
            "ContextualCheckBlock : weight limit failed",
        )
    return True
