"""SipHash-2-4 (src/crypto/siphash.h/.cpp): the keyed hash behind short transaction ids, address
bucketing and the per-node salted hashers."""

from __future__ import annotations

from typing import Final

from .uint256 import uint256

_M64: Final = 0xFFFFFFFFFFFFFFFF

_C0: Final = 0x736F6D6570736575
_C1: Final = 0x646F72616E646F6D
_C2: Final = 0x6C7967656E657261
_C3: Final = 0x7465646279746573


def _rounds(v0: int, v1: int, v2: int, v3: int, n: int) -> tuple[int, int, int, int]:
    m = _M64
    for _ in range(n):
        v0 = (v0 + v1) & m
        v1 = ((v1 << 13) | (v1 >> 51)) & m
        v1 ^= v0
        v0 = ((v0 << 32) | (v0 >> 32)) & m
        v2 = (v2 + v3) & m
        v3 = ((v3 << 16) | (v3 >> 48)) & m
        v3 ^= v2
        v0 = (v0 + v3) & m
        v3 = ((v3 << 21) | (v3 >> 43)) & m
        v3 ^= v0
        v2 = (v2 + v1) & m
        v1 = ((v1 << 17) | (v1 >> 47)) & m
        v1 ^= v2
        v2 = ((v2 << 32) | (v2 >> 32)) & m
    return v0, v1, v2, v3


class CSipHasher:
    """SipHash-2-4 over a 128-bit key ``(k0, k1)``, fed incrementally.

    Upstream overloads ``Write`` for a uint64 and for bytes; here ``Write`` takes either an int
    (a uint64, only on an 8-byte boundary, as upstream asserts) or bytes."""

    __slots__ = ("count", "tmp", "v")

    v: list[int]
    tmp: int
    #: Bytes written so far; only the low 8 bits matter.
    count: int

    def __init__(self, k0: int, k1: int) -> None:
        self.v = [_C0 ^ k0, _C1 ^ k1, _C2 ^ k0, _C3 ^ k1]
        self.count = 0
        self.tmp = 0

    def Write(self, data: int | bytes | bytearray | memoryview) -> CSipHasher:
        if isinstance(data, int):
            return self._write_u64(data)
        v0, v1, v2, v3 = self.v
        t = self.tmp
        c = self.count
        for byte in bytes(data):
            t |= byte << (8 * (c % 8))
            c = (c + 1) & 0xFF
            if (c & 7) == 0:
                v3 ^= t
                v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, 2)
                v0 ^= t
                t = 0
        self.v = [v0, v1, v2, v3]
        self.count = c
        self.tmp = t
        return self

    def _write_u64(self, data: int) -> CSipHasher:
        assert self.count % 8 == 0
        data &= _M64
        v0, v1, v2, v3 = self.v
        v3 ^= data
        v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, 2)
        v0 ^= data
        self.v = [v0, v1, v2, v3]
        self.count = (self.count + 8) & 0xFF
        return self

    def Finalize(self) -> int:
        """The 64-bit hash of everything written so far; the hasher is left as it was."""
        v0, v1, v2, v3 = self.v
        t = self.tmp | (self.count << 56)
        v3 ^= t
        v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, 2)
        v0 ^= t
        v2 ^= 0xFF
        v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, 4)
        return v0 ^ v1 ^ v2 ^ v3

    def copy(self) -> CSipHasher:
        """A copy to write on independently (C++ copies the object by value)."""
        other = CSipHasher.__new__(CSipHasher)
        other.v = list(self.v)
        other.tmp = self.tmp
        other.count = self.count
        return other


def _sip_uint256(k0: int, k1: int, val: uint256, last: int) -> int:
    data = val.data
    v0, v1, v2, v3 = _C0 ^ k0, _C1 ^ k1, _C2 ^ k0, _C3 ^ k1
    for i in range(0, 32, 8):
        d = int.from_bytes(data[i : i + 8], "little")
        v3 ^= d
        v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, 2)
        v0 ^= d
    v3 ^= last
    v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, 2)
    v0 ^= last
    v2 ^= 0xFF
    v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


def SipHashUint256(k0: int, k1: int, val: uint256) -> int:
    """``CSipHasher(k0, k1).Write(val's 32 bytes).Finalize()``, without the buffering."""
    return _sip_uint256(k0, k1, val, 32 << 56)


def SipHashUint256Extra(k0: int, k1: int, val: uint256, extra: int) -> int:
    """As :func:`SipHashUint256` with a little-endian uint32 ``extra`` appended (36 bytes)."""
    return _sip_uint256(k0, k1, val, (36 << 56) | (extra & 0xFFFFFFFF))
