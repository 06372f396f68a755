"""Transactions (src/primitives/transaction.h).

As upstream, :class:`CMutableTransaction` is the one to build and edit, and :class:`CTransaction`
is immutable with its txid and wtxid computed once, at construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from ..hash import Hash
from ..serialize import (
    DataStream,
    SerializationError,
    ser_bytes,
    ser_compact_size,
    ser_i64,
    ser_u32,
    ser_vector,
)
from ..uint256 import ZERO, uint256

#: CTxIn::SEQUENCE_FINAL
SEQUENCE_FINAL: Final = 0xFFFFFFFF
#: Upstream's MAX_MONEY, in satoshis.
COIN: Final = 100_000_000
MAX_MONEY: Final = 21_000_000 * COIN


@dataclass(frozen=True, slots=True)
class COutPoint:
    hash: uint256 = ZERO
    n: int = 0xFFFFFFFF

    def IsNull(self) -> bool:
        return self.hash.IsNull() and self.n == 0xFFFFFFFF

    def serialize(self) -> bytes:
        return self.hash.data + ser_u32(self.n)

    @classmethod
    def deserialize(cls, s: DataStream) -> COutPoint:
        return cls(uint256(s.read(32)), s.read_u32())


@dataclass(frozen=True, slots=True)
class CTxIn:
    prevout: COutPoint = COutPoint()
    scriptSig: bytes = b""
    nSequence: int = SEQUENCE_FINAL
    #: The witness stack (upstream keeps it in ``CTxIn::scriptWitness``).
    scriptWitness: tuple[bytes, ...] = ()

    def serialize(self) -> bytes:
        return self.prevout.serialize() + ser_bytes(self.scriptSig) + ser_u32(self.nSequence)


@dataclass(frozen=True, slots=True)
class CTxOut:
    nValue: int = -1
    scriptPubKey: bytes = b""

    def serialize(self) -> bytes:
        return ser_i64(self.nValue) + ser_bytes(self.scriptPubKey)

    @classmethod
    def deserialize(cls, s: DataStream) -> CTxOut:
        return cls(s.read_i64(), s.read_bytes())


def _read_txin(s: DataStream) -> CTxIn:
    return CTxIn(COutPoint.deserialize(s), s.read_bytes(), s.read_u32())


def _ser_witness(stack: Sequence[bytes]) -> bytes:
    return ser_vector(stack, ser_bytes)


@dataclass(slots=True)
class CMutableTransaction:
    version: int = 2
    vin: list[CTxIn] = field(default_factory=list)
    vout: list[CTxOut] = field(default_factory=list)
    nLockTime: int = 0


class CTransaction:
    """An immutable transaction. Serializes with witness when it has one (TX_WITH_WITNESS)."""

    __slots__ = ("_hash", "_wtxid", "_ser_nowit", "_ser_wit", "nLockTime", "version", "vin", "vout")

    version: int
    vin: tuple[CTxIn, ...]
    vout: tuple[CTxOut, ...]
    nLockTime: int

    def __init__(
        self,
        vin: Sequence[CTxIn] = (),
        vout: Sequence[CTxOut] = (),
        nLockTime: int = 0,
        version: int = 2,
    ) -> None:
        self.version = version
        self.vin = tuple(vin)
        self.vout = tuple(vout)
        self.nLockTime = nLockTime
        self._ser_nowit = self._serialize(with_witness=False)
        self._ser_wit = self._serialize(with_witness=True) if self.HasWitness() else self._ser_nowit
        self._hash = Hash(self._ser_nowit)
        self._wtxid = Hash(self._ser_wit) if self._ser_wit is not self._ser_nowit else self._hash

    @classmethod
    def from_mutable(cls, mtx: CMutableTransaction) -> CTransaction:
        return cls(mtx.vin, mtx.vout, mtx.nLockTime, mtx.version)

    def HasWitness(self) -> bool:
        return any(txin.scriptWitness for txin in self.vin)

    def IsCoinBase(self) -> bool:
        return len(self.vin) == 1 and self.vin[0].prevout.IsNull()

    def IsNull(self) -> bool:
        return not self.vin and not self.vout

    def GetHash(self) -> uint256:
        """The txid: the hash of the serialization without witness."""
        return self._hash

    def GetWitnessHash(self) -> uint256:
        """The wtxid: the hash of the serialization with witness (BIP141)."""
        return self._wtxid

    def GetValueOut(self) -> int:
        return sum(o.nValue for o in self.vout)

    def GetTotalSize(self) -> int:
        return len(self._ser_wit)

    def GetBaseSize(self) -> int:
        return len(self._ser_nowit)

    def GetWeight(self) -> int:
        """GetTransactionWeight: base size * 3 + total size (WITNESS_SCALE_FACTOR 4)."""
        return len(self._ser_nowit) * 3 + len(self._ser_wit)

    def _serialize(self, with_witness: bool) -> bytes:
        parts = [ser_u32(self.version)]
        if with_witness:
            parts.append(b"\x00\x01")
        parts.append(ser_vector(self.vin, CTxIn.serialize))
        parts.append(ser_vector(self.vout, CTxOut.serialize))
        if with_witness:
            parts.extend(_ser_witness(txin.scriptWitness) for txin in self.vin)
        parts.append(ser_u32(self.nLockTime))
        return b"".join(parts)

    def serialize(self, with_witness: bool = True) -> bytes:
        return self._ser_wit if with_witness else self._ser_nowit

    @classmethod
    def deserialize(cls, s: DataStream, allow_witness: bool = True) -> CTransaction:
        """UnserializeTransaction, including its extended-format rules."""
        version = s.read_u32()
        flags = 0
        vin = s.read_vector(_read_txin)
        if not vin and allow_witness:
            # An empty vin is the extended-format marker; the flag byte follows.
            flags = s.read_u8()
            if flags != 0:
                vin = s.read_vector(_read_txin)
                vout = s.read_vector(CTxOut.deserialize)
            else:
                vout = []
        else:
            vout = s.read_vector(CTxOut.deserialize)
        if flags & 1 and allow_witness:
            flags ^= 1
            vin = [
                CTxIn(txin.prevout, txin.scriptSig, txin.nSequence, tuple(s.read_vector(_read_wit)))
                for txin in vin
            ]
            if not any(txin.scriptWitness for txin in vin):
                raise SerializationError("Superfluous witness record")
        if flags:
            raise SerializationError("Unknown transaction optional data")
        nLockTime = s.read_u32()
        return cls(vin, vout, nLockTime, version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CTransaction) and self._ser_wit == other._ser_wit

    def __hash__(self) -> int:
        return hash(self._wtxid)

    def __repr__(self) -> str:
        return (
            f"CTransaction(txid={self._hash.GetHex()}, wtxid={self._wtxid.GetHex()}, "
            f"version={self.version}, vin={len(self.vin)}, vout={len(self.vout)}, "
            f"nLockTime={self.nLockTime})"
        )


def _read_wit(s: DataStream) -> bytes:
    return s.read_bytes()


CTransactionRef = CTransaction
#: Upstream's Txid and Wtxid are distinct wrapper types (transaction_identifier.h); here both are
#: uint256 and the names only document which hash is meant.
Txid = uint256
Wtxid = uint256


@dataclass(frozen=True, slots=True)
class GenTxid:
    """A txid or a wtxid, tagged with which it is (upstream: ``std::variant<Txid, Wtxid>``).
    Build one with :meth:`Txid` or :meth:`Wtxid`."""

    m_is_wtxid: bool
    m_hash: uint256

    @classmethod
    def Txid(cls, txid: uint256) -> GenTxid:
        return cls(False, txid)

    @classmethod
    def Wtxid(cls, wtxid: uint256) -> GenTxid:
        return cls(True, wtxid)

    def IsWtxid(self) -> bool:
        return self.m_is_wtxid

    def ToUint256(self) -> uint256:
        return self.m_hash

    def __lt__(self, other: GenTxid) -> bool:
        # Upstream orders by (IsWtxid(), hash), the hash compared bytewise (memcmp).
        return (self.m_is_wtxid, self.m_hash.data) < (other.m_is_wtxid, other.m_hash.data)

    def __repr__(self) -> str:
        kind = "Wtxid" if self.m_is_wtxid else "Txid"
        return f"GenTxid.{kind}({self.m_hash.GetHex()})"


def ser_tx_vector(txs: Sequence[CTransaction], with_witness: bool = True) -> bytes:
    return ser_compact_size(len(txs)) + b"".join(t.serialize(with_witness) for t in txs)
