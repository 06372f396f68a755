"""Consensus constants (src/consensus/consensus.h) and amounts (src/consensus/amount.h).

Amounts are plain ints in satoshis (upstream's ``CAmount``, an int64_t).
"""

from __future__ import annotations

from typing import Final

from .primitives.transaction import COIN, MAX_MONEY

#: The maximum allowed size for a serialized block, in bytes (only for buffer size limits).
MAX_BLOCK_SERIALIZED_SIZE: Final = 4000000
#: The maximum allowed weight for a block, see BIP 141 (network rule).
MAX_BLOCK_WEIGHT: Final = 4000000
#: The maximum allowed number of signature check operations in a block (network rule).
MAX_BLOCK_SIGOPS_COST: Final = 80000
#: Coinbase outputs can only be spent after this number of new blocks (network rule).
COINBASE_MATURITY: Final = 100
WITNESS_SCALE_FACTOR: Final = 4
#: 60 bytes is the lower bound for the size of a valid serialized CTransaction.
MIN_TRANSACTION_WEIGHT: Final = WITNESS_SCALE_FACTOR * 60
#: 10 bytes is the lower bound for the size of a serialized CTransaction.
MIN_SERIALIZABLE_TRANSACTION_WEIGHT: Final = WITNESS_SCALE_FACTOR * 10
#: Interpret sequence numbers as relative lock-time constraints (a nLockTime/nSequence flag).
LOCKTIME_VERIFY_SEQUENCE: Final = 1 << 0
#: Seconds the first block of a retarget period may be earlier than the previous block (BIP94).
MAX_TIMEWARP: Final = 600


def MoneyRange(nValue: int) -> bool:
    """Whether an amount is within [0, MAX_MONEY]; this is a sanity check, not a supply check."""
    return 0 <= nValue <= MAX_MONEY


__all__ = [
    "COIN",
    "COINBASE_MATURITY",
    "LOCKTIME_VERIFY_SEQUENCE",
    "MAX_BLOCK_SERIALIZED_SIZE",
    "MAX_BLOCK_SIGOPS_COST",
    "MAX_BLOCK_WEIGHT",
    "MAX_MONEY",
    "MAX_TIMEWARP",
    "MIN_SERIALIZABLE_TRANSACTION_WEIGHT",
    "MIN_TRANSACTION_WEIGHT",
    "WITNESS_SCALE_FACTOR",
    "MoneyRange",
]
