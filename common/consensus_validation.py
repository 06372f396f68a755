"""Validation results (src/consensus/validation.h).

A ValidationState records why a transaction or block was rejected: a coarse result the P2P layer
maps to a punishment, a reject reason string (an interface string, kept exact) and a debug
message. Upstream's ``Invalid()`` and ``Error()`` return false so a check can end with
``return state.Invalid(...)``; they do here too.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Final, Generic, TypeVar

from .consensus import WITNESS_SCALE_FACTOR
from .primitives.block import CBlock
from .primitives.transaction import CTransaction, CTxIn
from .script import OP_RETURN
from .serialize import ser_bytes, ser_compact_size, ser_vector

#: Index marker for "no witness commitment in the coinbase".
NO_WITNESS_COMMITMENT: Final = -1
#: Minimum size of a witness commitment structure (OP_RETURN, push of 36, 4-byte tag, 32-byte hash).
MINIMUM_WITNESS_COMMITMENT: Final = 38


class TxValidationResult(IntEnum):
    """Why a transaction was invalid, coarse enough to decide whether to punish its provider."""

    TX_RESULT_UNSET = 0
    TX_CONSENSUS = 1
    TX_INPUTS_NOT_STANDARD = 2
    TX_NOT_STANDARD = 3
    TX_MISSING_INPUTS = 4
    TX_PREMATURE_SPEND = 5
    TX_WITNESS_MUTATED = 6
    TX_WITNESS_STRIPPED = 7
    TX_CONFLICT = 8
    TX_MEMPOOL_POLICY = 9
    TX_NO_MEMPOOL = 10
    TX_RECONSIDERABLE = 11
    TX_UNKNOWN = 12


class BlockValidationResult(IntEnum):
    """Why a block was invalid, coarse enough to decide whether to punish its provider."""

    BLOCK_RESULT_UNSET = 0
    BLOCK_CONSENSUS = 1
    BLOCK_CACHED_INVALID = 2
    BLOCK_INVALID_HEADER = 3
    BLOCK_MUTATED = 4
    BLOCK_MISSING_PREV = 5
    BLOCK_INVALID_PREV = 6
    BLOCK_TIME_FUTURE = 7
    BLOCK_HEADER_LOW_WORK = 8


R = TypeVar("R", TxValidationResult, BlockValidationResult)


class ValidationState(Generic[R]):
    """Upstream's ``template <typename Result> class ValidationState``."""

    class ModeState(Enum):
        M_VALID = 0  # everything ok
        M_INVALID = 1  # network rule violation
        M_ERROR = 2  # run-time error

    __slots__ = ("m_debug_message", "m_mode", "m_reject_reason", "m_result")

    m_mode: ValidationState.ModeState
    m_result: R
    m_reject_reason: str
    m_debug_message: str

    def __init__(self, unset: R) -> None:
        self.m_mode = ValidationState.ModeState.M_VALID
        self.m_result = unset
        self.m_reject_reason = ""
        self.m_debug_message = ""

    def Invalid(self, result: R, reject_reason: str = "", debug_message: str = "") -> bool:
        self.m_result = result
        self.m_reject_reason = reject_reason
        self.m_debug_message = debug_message
        if self.m_mode != ValidationState.ModeState.M_ERROR:
            self.m_mode = ValidationState.ModeState.M_INVALID
        return False

    def Error(self, reject_reason: str) -> bool:
        if self.m_mode == ValidationState.ModeState.M_VALID:
            self.m_reject_reason = reject_reason
        self.m_mode = ValidationState.ModeState.M_ERROR
        return False

    def IsValid(self) -> bool:
        return self.m_mode == ValidationState.ModeState.M_VALID

    def IsInvalid(self) -> bool:
        return self.m_mode == ValidationState.ModeState.M_INVALID

    def IsError(self) -> bool:
        return self.m_mode == ValidationState.ModeState.M_ERROR

    def GetResult(self) -> R:
        return self.m_result

    def GetRejectReason(self) -> str:
        return self.m_reject_reason

    def GetDebugMessage(self) -> str:
        return self.m_debug_message

    def ToString(self) -> str:
        if self.IsValid():
            return "Valid"
        if self.m_debug_message:
            return self.m_reject_reason + ", " + self.m_debug_message
        return self.m_reject_reason

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.m_mode.name}, {self.m_result.name}, "
            f"{self.m_reject_reason!r}, {self.m_debug_message!r})"
        )


class TxValidationState(ValidationState[TxValidationResult]):
    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(TxValidationResult.TX_RESULT_UNSET)


class BlockValidationState(ValidationState[BlockValidationResult]):
    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(BlockValidationResult.BLOCK_RESULT_UNSET)


# Weight is (stripped size * 4) + witness size, computed here as stripped * 3 + total size.


def GetTransactionWeight(tx: CTransaction) -> int:
    return tx.GetBaseSize() * (WITNESS_SCALE_FACTOR - 1) + tx.GetTotalSize()


def GetBlockWeight(block: CBlock) -> int:
    stripped = len(block.serialize(with_witness=False))
    total = len(block.serialize(with_witness=True))
    return stripped * (WITNESS_SCALE_FACTOR - 1) + total


def GetTransactionInputWeight(txin: CTxIn) -> int:
    # The witness size is added here because witnesses and inputs are serialized apart.
    size = len(txin.serialize())
    witness = (
        ser_vector(txin.scriptWitness, ser_bytes) if txin.scriptWitness else ser_compact_size(0)
    )
    return size * (WITNESS_SCALE_FACTOR - 1) + size + len(witness)


_WITNESS_COMMITMENT_HEADER: Final = bytes((OP_RETURN, 0x24, 0xAA, 0x21, 0xA9, 0xED))


def GetWitnessCommitmentIndex(block: CBlock) -> int:
    """The index of the coinbase output carrying the witness commitment (the last one that
    matches), or NO_WITNESS_COMMITMENT."""
    commitpos = NO_WITNESS_COMMITMENT
    if block.vtx:
        for o, vout in enumerate(block.vtx[0].vout):
            spk = vout.scriptPubKey
            if len(spk) >= MINIMUM_WITNESS_COMMITMENT and spk[:6] == _WITNESS_COMMITMENT_HEADER:
                commitpos = o
    return commitpos
