"""Blocks (src/primitives/block.h)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..hash import Hash
from ..serialize import DataStream, ser_compact_size, ser_i32, ser_u32, ser_vector
from ..uint256 import ZERO, uint256
from .transaction import CTransaction, ser_tx_vector


@dataclass(slots=True)
class CBlockHeader:
    nVersion: int = 0
    hashPrevBlock: uint256 = ZERO
    hashMerkleRoot: uint256 = ZERO
    nTime: int = 0
    nBits: int = 0
    nNonce: int = 0

    def SetNull(self) -> None:
        self.nVersion = 0
        self.hashPrevBlock = ZERO
        self.hashMerkleRoot = ZERO
        self.nTime = self.nBits = self.nNonce = 0

    def IsNull(self) -> bool:
        return self.nBits == 0

    def serialize_header(self) -> bytes:
        return (
            ser_i32(self.nVersion)
            + self.hashPrevBlock.data
            + self.hashMerkleRoot.data
            + ser_u32(self.nTime)
            + ser_u32(self.nBits)
            + ser_u32(self.nNonce)
        )

    def serialize(self) -> bytes:
        return self.serialize_header()

    def GetHash(self) -> uint256:
        return Hash(self.serialize_header())

    def GetBlockTime(self) -> int:
        return self.nTime

    @classmethod
    def deserialize(cls, s: DataStream) -> CBlockHeader:
        return cls(
            s.read_i32(), uint256(s.read(32)), uint256(s.read(32)), s.read_u32(),
            s.read_u32(), s.read_u32(),
        )  # fmt: skip

    def GetBlockHeader(self) -> CBlockHeader:
        return CBlockHeader(
            self.nVersion, self.hashPrevBlock, self.hashMerkleRoot, self.nTime, self.nBits,
            self.nNonce,
        )  # fmt: skip


@dataclass(slots=True)
class CBlock(CBlockHeader):
    vtx: list[CTransaction] = field(default_factory=list)
    #: Upstream's memory-only ``fChecked``: set once CheckBlock passed.
    fChecked: bool = False
    #: Memory-only caches of the witness-commitment and merkle-root checks (upstream's
    #: ``m_checked_witness_commitment`` / ``m_checked_merkle_root``); not part of equality.
    m_checked_witness_commitment: bool = field(default=False, compare=False)
    m_checked_merkle_root: bool = field(default=False, compare=False)

    def serialize(self, with_witness: bool = True) -> bytes:
        return self.serialize_header() + ser_tx_vector(self.vtx, with_witness)

    @classmethod
    def deserialize(cls, s: DataStream) -> CBlock:
        h = CBlockHeader.deserialize(s)
        vtx = s.read_vector(CTransaction.deserialize)
        return cls(h.nVersion, h.hashPrevBlock, h.hashMerkleRoot, h.nTime, h.nBits, h.nNonce, vtx)

    def __repr__(self) -> str:
        return f"CBlock(hash={self.GetHash().GetHex()}, vtx={len(self.vtx)})"


@dataclass(slots=True)
class CBlockLocator:
    """A list of block hashes, dense near the tip and sparse further back."""

    vHave: list[uint256] = field(default_factory=list)
    #: Upstream serializes a dummy client version ahead of the hashes.
    DUMMY_VERSION = 70016

    def IsNull(self) -> bool:
        return not self.vHave

    def serialize(self) -> bytes:
        return ser_u32(self.DUMMY_VERSION) + ser_vector(self.vHave, uint256.serialize)

    @classmethod
    def deserialize(cls, s: DataStream) -> CBlockLocator:
        s.read_i32()
        return cls(s.read_vector(uint256.deserialize))


def ser_headers(headers: Sequence[CBlockHeader]) -> bytes:
    return ser_compact_size(len(headers)) + b"".join(h.serialize_header() for h in headers)
