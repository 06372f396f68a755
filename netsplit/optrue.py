"""A wallet of one script for regtest demos and tests: P2SH(OP_TRUE).

Coins mined to :data:`OP_TRUE_P2SH_ADDRESS` can be spent by anyone with the scriptSig
``<OP_TRUE>``: no keys, no signatures, valid under every node's consensus rules and standard
for relay (bcoin's too, with or without segwit), so a transaction built here relays between our
node and any other.
"""

from __future__ import annotations

from typing import Final

from common.hash import Hash160
from common.primitives.transaction import COIN, COutPoint, CTransaction, CTxIn, CTxOut
from common.uint256 import uint256

OP_TRUE: Final = b"\x51"
#: OP_HASH160 <Hash160(OP_TRUE)> OP_EQUAL
OP_TRUE_P2SH_SCRIPT: Final = b"\xa9\x14" + Hash160(OP_TRUE) + b"\x87"
#: The regtest base58 address of that script (script prefix 0xc4).
OP_TRUE_P2SH_ADDRESS: Final = "2ND8PB9RrfCaAcjfjP1Y6nAgFd9zWHYX4DN"
#: Regtest's subsidy below height 150.
INITIAL_SUBSIDY: Final = 50 * COIN


def spend_op_true(prev_txid: str, vout: int, value: int, fee: int = 10_000) -> tuple[str, str]:
    """A transaction spending output ``vout`` (worth ``value`` satoshis) of ``prev_txid`` back
    to the same script, paying ``fee``: ``(raw hex, txid hex)``."""
    tx = CTransaction(
        vin=[CTxIn(COutPoint(uint256.FromHex(prev_txid), vout), b"\x01" + OP_TRUE)],
        vout=[CTxOut(value - fee, OP_TRUE_P2SH_SCRIPT)],
    )
    return tx.serialize().hex(), tx.GetHash().GetHex()
