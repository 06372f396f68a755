"""uint256 (src/uint256.h): a 32-byte opaque blob, shown as the byte-reversed hex Bitcoin uses."""

from __future__ import annotations

from typing import Final

from .serialize import DataStream, SerializationError


class uint256:
    """An immutable 256-bit hash. ``data`` is in serialization (little-endian) order, as in the
    C++ class; :meth:`GetHex` reverses it, as upstream does."""

    __slots__ = ("data",)
    data: bytes

    def __init__(self, data: bytes = b"\x00" * 32) -> None:
        if len(data) != 32:
            raise SerializationError(f"uint256 needs 32 bytes, got {len(data)}")
        object.__setattr__(self, "data", bytes(data))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("uint256 is immutable")

    @classmethod
    def FromHex(cls, hex_str: str) -> uint256:
        raw = bytes.fromhex(hex_str)
        if len(raw) != 32:
            raise ValueError(f"uint256 hex must be 64 digits, got {len(hex_str)}")
        return cls(raw[::-1])

    @classmethod
    def FromInt(cls, value: int) -> uint256:
        return cls(value.to_bytes(32, "little"))

    def GetHex(self) -> str:
        return self.data[::-1].hex()

    def ToString(self) -> str:
        return self.GetHex()

    def IsNull(self) -> bool:
        return self.data == _ZERO_BYTES

    def GetUint64(self, pos: int) -> int:
        return int.from_bytes(self.data[pos * 8 : pos * 8 + 8], "little")

    def __int__(self) -> int:
        return int.from_bytes(self.data, "little")

    def serialize(self) -> bytes:
        return self.data

    @classmethod
    def deserialize(cls, s: DataStream) -> uint256:
        return cls(s.read(32))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, uint256) and self.data == other.data

    def __lt__(self, other: uint256) -> bool:
        # Upstream's operator< is memcmp over the stored (little-endian) bytes, not a numeric
        # comparison; std::set<uint256> iteration order depends on it.
        return self.data < other.data

    def __hash__(self) -> int:
        return hash(self.data)

    def __repr__(self) -> str:
        return f"uint256({self.GetHex()})"

    def __str__(self) -> str:
        return self.GetHex()


_ZERO_BYTES: Final = b"\x00" * 32
ZERO: Final = uint256()
