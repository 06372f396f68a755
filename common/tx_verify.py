"""Transaction checks shared by block and mempool validation (src/consensus/tx_check.cpp,
src/consensus/tx_verify.cpp), with FormatMoney (src/util/moneystr.cpp) for their messages.

Script and signature checks, sigop counting and BIP68 sequence locks are not part of this
stand-in; these are the structural, amount, maturity and finality rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .coins import CCoinsViewCache
from .consensus import COINBASE_MATURITY, MAX_BLOCK_WEIGHT, WITNESS_SCALE_FACTOR, MoneyRange
from .consensus_validation import TxValidationResult, TxValidationState
from .primitives.transaction import COIN, MAX_MONEY, SEQUENCE_FINAL, COutPoint, CTransaction

if TYPE_CHECKING:
    from .chain import CBlockIndex

#: script/script.h: nLockTime below this is a block height, at or above a Unix time.
LOCKTIME_THRESHOLD: Final = 500000000


def FormatMoney(n: int) -> str:
    """``-1.50``: at least two decimals, trailing zeros beyond them dropped."""
    quotient, remainder = divmod(abs(n), COIN)
    s = f"{quotient}.{remainder:08d}".rstrip("0")
    whole, _, frac = s.partition(".")
    s = f"{whole}.{frac:0<2}"
    return "-" + s if n < 0 else s


def CheckTransaction(tx: CTransaction, state: TxValidationState) -> bool:
    """Context-free checks: inputs and outputs present, size, output amounts, no duplicate
    inputs, coinbase script size, no null prevouts outside a coinbase."""
    if not tx.vin:
        return state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-txns-vin-empty")
    if not tx.vout:
        return state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-txns-vout-empty")
    # Size limit without the witness, which has not been checked for malleability yet.
    if tx.GetBaseSize() * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT:
        return state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-txns-oversize")

    # Negative or overflowing output values (CVE-2010-5139).
    nValueOut = 0
    for txout in tx.vout:
        if txout.nValue < 0:
            return state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-txns-vout-negative")
        if txout.nValue > MAX_MONEY:
            return state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-txns-vout-toolarge")
        nValueOut += txout.nValue
        if not MoneyRange(nValueOut):
            return state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-txns-txouttotal-toolarge")

    # Duplicate inputs (CVE-2018-17144): spending checks alone would not catch them.
    vInOutPoints: set[COutPoint] = set()
    for txin in tx.vin:
        if txin.prevout in vInOutPoints:
            return state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-txns-inputs-duplicate")
        vInOutPoints.add(txin.prevout)

    if tx.IsCoinBase():
        if not 2 <= len(tx.vin[0].scriptSig) <= 100:
            return state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-cb-length")
    else:
        for txin in tx.vin:
            if txin.prevout.IsNull():
                return state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-txns-prevout-null")
    return True


def IsFinalTx(tx: CTransaction, nBlockHeight: int, nBlockTime: int) -> bool:
    """Whether ``tx`` may be in a block at ``nBlockHeight`` whose lock-time cutoff is
    ``nBlockTime`` (seconds): its nLockTime has passed, or every input opts out with
    SEQUENCE_FINAL."""
    if tx.nLockTime == 0:
        return True
    cutoff = nBlockHeight if tx.nLockTime < LOCKTIME_THRESHOLD else nBlockTime
    if tx.nLockTime < cutoff:
        return True
    return all(txin.nSequence == SEQUENCE_FINAL for txin in tx.vin)


def CheckFinalTxAtTip(active_chain_tip: CBlockIndex, tx: CTransaction) -> bool:
    """(validation.cpp) Whether ``tx`` may be in the block after ``active_chain_tip``: the next
    height, and the tip's median time past as the lock-time cutoff (BIP113)."""
    return IsFinalTx(tx, active_chain_tip.nHeight + 1, active_chain_tip.GetMedianTimePast())


def CheckTxInputs(
    tx: CTransaction, state: TxValidationState, inputs: CCoinsViewCache, nSpendHeight: int
) -> int | None:
    """Upstream's Consensus::CheckTxInputs: the inputs exist, coinbase inputs are mature, amounts
    are in range and cover the outputs. Returns the fee (upstream's ``txfee`` out-parameter), or
    None with ``state`` filled in."""
    if not inputs.HaveInputs(tx):
        state.Invalid(
            TxValidationResult.TX_MISSING_INPUTS,
            "bad-txns-inputs-missingorspent",
            "CheckTxInputs: inputs missing/spent",
        )
        return None

    nValueIn = 0
    for txin in tx.vin:
        coin = inputs.AccessCoin(txin.prevout)
        assert not coin.IsSpent()
        # A coinbase output must be COINBASE_MATURITY blocks deep to be spent.
        if coin.IsCoinBase() and nSpendHeight - coin.nHeight < COINBASE_MATURITY:
            state.Invalid(
                TxValidationResult.TX_PREMATURE_SPEND,
                "bad-txns-premature-spend-of-coinbase",
                f"tried to spend coinbase at depth {nSpendHeight - coin.nHeight}",
            )
            return None
        nValueIn += coin.out.nValue
        if not MoneyRange(coin.out.nValue) or not MoneyRange(nValueIn):
            state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-txns-inputvalues-outofrange")
            return None

    value_out = tx.GetValueOut()
    if nValueIn < value_out:
        state.Invalid(
            TxValidationResult.TX_CONSENSUS,
            "bad-txns-in-belowout",
            f"value in ({FormatMoney(nValueIn)}) < value out ({FormatMoney(value_out)})",
        )
        return None

    txfee = nValueIn - value_out
    if not MoneyRange(txfee):
        state.Invalid(TxValidationResult.TX_CONSENSUS, "bad-txns-fee-outofrange")
        return None
    return txfee
