"""Bitcoin's wire serialization: little-endian integers, CompactSize, vectors (src/serialize.h).

Reading goes through :class:`DataStream`, the counterpart of upstream's ``DataStream``. Every
malformed input raises :class:`SerializationError`, the one exception deserialization lets out
(upstream throws ``std::ios_base::failure``); ``ProcessMessages`` decides what it means for a peer.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

#: Upstream's MAX_SIZE: the largest CompactSize a length prefix may carry.
MAX_SIZE = 0x02000000
#: Upstream's MAX_VECTOR_ALLOCATE: vectors are read in chunks of at most this many bytes.
MAX_VECTOR_ALLOCATE = 5000000

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")


class SerializationError(ValueError):
    """A payload that does not deserialize: truncated, non-canonical, oversized or trailing data."""


def ser_u8(v: int) -> bytes:
    return bytes((v & 0xFF,))


def ser_u16(v: int) -> bytes:
    return _U16.pack(v & 0xFFFF)


def ser_u32(v: int) -> bytes:
    return _U32.pack(v & 0xFFFFFFFF)


def ser_i32(v: int) -> bytes:
    return _I32.pack(v)


def ser_u64(v: int) -> bytes:
    return _U64.pack(v & 0xFFFFFFFFFFFFFFFF)


def ser_i64(v: int) -> bytes:
    return _I64.pack(v)


def ser_bool(v: bool) -> bytes:
    return b"\x01" if v else b"\x00"


def ser_compact_size(n: int) -> bytes:
    """WriteCompactSize."""
    if n < 0:
        raise SerializationError(f"negative CompactSize {n}")
    if n < 253:
        return bytes((n,))
    if n <= 0xFFFF:
        return b"\xfd" + _U16.pack(n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + _U32.pack(n)
    return b"\xff" + _U64.pack(n)


def GetSizeOfCompactSize(n: int) -> int:
    if n < 253:
        return 1
    if n <= 0xFFFF:
        return 3
    if n <= 0xFFFFFFFF:
        return 5
    return 9


def ser_bytes(b: bytes) -> bytes:
    """A length-prefixed byte vector (``std::vector<unsigned char>``)."""
    return ser_compact_size(len(b)) + b


def ser_string(s: str) -> bytes:
    return ser_bytes(s.encode("utf-8", "surrogateescape"))


def ser_vector(items: Iterable[T], ser: Callable[[T], bytes]) -> bytes:
    items = list(items)
    return ser_compact_size(len(items)) + b"".join(ser(i) for i in items)


class DataStream:
    """A read cursor over a byte buffer (upstream's ``DataStream`` used with ``>>``)."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._data = bytes(data)
        self._pos = 0

    def size(self) -> int:
        """Bytes left to read."""
        return len(self._data) - self._pos

    def empty(self) -> bool:
        return self._pos >= len(self._data)

    def tell(self) -> int:
        return self._pos

    def read(self, n: int) -> bytes:
        end = self._pos + n
        if n < 0 or end > len(self._data):
            raise SerializationError(
                f"end of data: wanted {n} bytes, {len(self._data) - self._pos} left"
            )
        b = self._data[self._pos : end]
        self._pos = end
        return b

    def read_rest(self) -> bytes:
        b = self._data[self._pos :]
        self._pos = len(self._data)
        return b

    def read_u8(self) -> int:
        return self.read(1)[0]

    def read_bool(self) -> bool:
        return self.read(1)[0] != 0

    def read_u16(self) -> int:
        v: int = _U16.unpack(self.read(2))[0]
        return v

    def read_u32(self) -> int:
        v: int = _U32.unpack(self.read(4))[0]
        return v

    def read_i32(self) -> int:
        v: int = _I32.unpack(self.read(4))[0]
        return v

    def read_u64(self) -> int:
        v: int = _U64.unpack(self.read(8))[0]
        return v

    def read_i64(self) -> int:
        v: int = _I64.unpack(self.read(8))[0]
        return v

    def ReadCompactSize(self, range_check: bool = True) -> int:
        """Upstream's ReadCompactSize: rejects non-canonical encodings and, by default, sizes
        above MAX_SIZE."""
        tag = self.read_u8()
        if tag < 253:
            n = tag
        elif tag == 253:
            n = self.read_u16()
            if n < 253:
                raise SerializationError("non-canonical ReadCompactSize()")
        elif tag == 254:
            n = self.read_u32()
            if n < 0x10000:
                raise SerializationError("non-canonical ReadCompactSize()")
        else:
            n = self.read_u64()
            if n < 0x100000000:
                raise SerializationError("non-canonical ReadCompactSize()")
        if range_check and n > MAX_SIZE:
            raise SerializationError("ReadCompactSize(): size too large")
        return n

    def read_bytes(self) -> bytes:
        return self.read(self.ReadCompactSize())

    def read_string(self) -> str:
        return self.read_bytes().decode("utf-8", "surrogateescape")

    def read_vector(self, read_item: Callable[[DataStream], T]) -> list[T]:
        n = self.ReadCompactSize()
        # Each element takes at least one byte: a count larger than what is left is malformed,
        # and checking it first keeps a hostile count from allocating anything.
        if n > self.size():
            raise SerializationError(f"vector of {n} elements in {self.size()} bytes")
        return [read_item(self) for _ in range(n)]

    def read_vector_limited(self, read_item: Callable[[DataStream], T], limit: int) -> list[T]:
        n = self.ReadCompactSize()
        if n > limit:
            raise SerializationError(f"vector of {n} elements over the limit of {limit}")
        if n > self.size():
            raise SerializationError(f"vector of {n} elements in {self.size()} bytes")
        return [read_item(self) for _ in range(n)]
