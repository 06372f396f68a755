"""256-bit arithmetic for proof of work (src/arith_uint256.{h,cpp}).

Upstream's ``arith_uint256`` is a fixed-width unsigned integer; here a value is a plain Python
``int`` kept in ``[0, 2**256)``. Operations that wrap in C++ (``<<``, ``*``) must be masked with
:data:`ARITH_MASK` by the caller, as :func:`SetCompact` does. ``bits()`` is ``int.bit_length()``
and ``getdouble()`` is ``float()``.
"""

from __future__ import annotations

from typing import Final

from .uint256 import uint256

#: All 256 bits set: ``~arith_uint256{0}``, and the mask that gives C++'s wrap-around.
ARITH_MASK: Final = (1 << 256) - 1


def SetCompact(nCompact: int) -> tuple[int, bool, bool]:
    """Decode the "compact" nBits form. Returns ``(value, fNegative, fOverflow)``: upstream writes
    the two flags through optional out-pointers.

    The compact form is a base-256 float: the top byte is the size in bytes, the low 23 bits the
    mantissa, and bit 0x00800000 the sign.
    """
    nCompact &= 0xFFFFFFFF
    nSize = nCompact >> 24
    nWord = nCompact & 0x007FFFFF
    if nSize <= 3:
        nWord >>= 8 * (3 - nSize)
        value = nWord
    else:
        value = (nWord << (8 * (nSize - 3))) & ARITH_MASK
    fNegative = nWord != 0 and (nCompact & 0x00800000) != 0
    fOverflow = nWord != 0 and (
        nSize > 34 or (nWord > 0xFF and nSize > 33) or (nWord > 0xFFFF and nSize > 32)
    )
    return value, fNegative, fOverflow


def GetCompact(value: int, fNegative: bool = False) -> int:
    """Encode ``value`` in the compact form (the inverse of :func:`SetCompact`, losing precision
    beyond the 23-bit mantissa)."""
    if not 0 <= value <= ARITH_MASK:
        raise ValueError(f"arith_uint256 out of range: {value}")
    nSize = (value.bit_length() + 7) // 8
    if nSize <= 3:
        nCompact = (value << (8 * (3 - nSize))) & 0xFFFFFFFF
    else:
        nCompact = (value >> (8 * (nSize - 3))) & 0xFFFFFFFF
    # The 0x00800000 bit is the sign: if the mantissa would set it, shift one byte further.
    if nCompact & 0x00800000:
        nCompact >>= 8
        nSize += 1
    assert (nCompact & ~0x007FFFFF) == 0
    assert nSize < 256
    nCompact |= nSize << 24
    if fNegative and (nCompact & 0x007FFFFF):
        nCompact |= 0x00800000
    return nCompact


def UintToArith256(a: uint256) -> int:
    """The hash read as a little-endian 256-bit number (upstream's UintToArith256)."""
    return int.from_bytes(a.data, "little")


def ArithToUint256(a: int) -> uint256:
    """The number written as a little-endian 32-byte blob (upstream's ArithToUint256)."""
    return uint256((a & ARITH_MASK).to_bytes(32, "little"))


def ArithGetHex(a: int) -> str:
    """``arith_uint256::GetHex()``: 64 hex digits, most significant first."""
    return f"{a & ARITH_MASK:064x}"
