from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.hash import Hash
from common.primitives.transaction import COutPoint, CTransaction, CTxIn, CTxOut
from common.serialize import DataStream, SerializationError
from common.uint256 import uint256

GENESIS_COINBASE = bytes.fromhex(
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d"
    "0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66"
    "207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe55"
    "48271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba"
    "0b8d578a4c702b6bf11d5fac00000000"
)


def test_genesis_coinbase_parses_with_known_txid() -> None:
    tx = CTransaction.deserialize(DataStream(GENESIS_COINBASE))
    assert tx.IsCoinBase()
    assert not tx.HasWitness()
    assert tx.GetHash().GetHex() == (
        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    )
    assert tx.GetWitnessHash() == tx.GetHash()
    assert tx.serialize() == GENESIS_COINBASE
    assert tx.vout[0].nValue == 50 * 100_000_000


def _witness_tx() -> CTransaction:
    prev = COutPoint(uint256.FromInt(7), 1)
    return CTransaction(
        [CTxIn(prev, b"", 0xFFFFFFFE, (b"\x30" * 71, b"\x02" * 33))],
        [CTxOut(1000, b"\x00\x14" + b"\x11" * 20)],
        nLockTime=5,
    )


def test_witness_serialization_uses_marker_and_flag_and_changes_only_the_wtxid() -> None:
    tx = _witness_tx()
    ser = tx.serialize()
    assert ser[4:6] == b"\x00\x01"
    assert tx.GetHash() == Hash(tx.serialize(with_witness=False))
    assert tx.GetWitnessHash() == Hash(ser)
    assert tx.GetHash() != tx.GetWitnessHash()
    assert CTransaction.deserialize(DataStream(ser)) == tx
    stripped = CTransaction.deserialize(DataStream(tx.serialize(with_witness=False)))
    assert stripped.GetHash() == tx.GetHash()
    assert not stripped.HasWitness()
    assert tx.GetWeight() == tx.GetBaseSize() * 3 + tx.GetTotalSize()


def test_witness_flag_with_empty_witnesses_is_superfluous() -> None:
    tx = _witness_tx()
    no_wit = tx.serialize(with_witness=False)
    # Marker and flag present, but the single witness stack is empty.
    forged = no_wit[:4] + b"\x00\x01" + no_wit[4:-4] + b"\x00" + no_wit[-4:]
    with pytest.raises(SerializationError, match="Superfluous witness record"):
        CTransaction.deserialize(DataStream(forged))


def test_unknown_optional_flag_is_rejected() -> None:
    no_wit = _witness_tx().serialize(with_witness=False)
    with pytest.raises(SerializationError, match="Unknown transaction optional data"):
        CTransaction.deserialize(DataStream(no_wit[:4] + b"\x00\x02" + no_wit[4:]))


@given(st.binary(max_size=200))
def test_random_bytes_either_fail_cleanly_or_parse_to_a_round_tripping_tx(data: bytes) -> None:
    try:
        tx = CTransaction.deserialize(DataStream(data))
    except SerializationError:
        return
    assert CTransaction.deserialize(DataStream(tx.serialize())) == tx
