"""Splitting one fuzz input into the choices a target makes (upstream's FuzzedDataProvider).

Upstream uses LLVM's FuzzedDataProvider, which takes integers from the end of the input and
byte strings from the front. This one takes everything from the front, in the order the target
asks: a target's input is then its choices followed by its payload, seed inputs are built by
plain concatenation, and a mutation of the payload leaves the choices alone. As upstream's, it
never fails: once the input is used up every call returns its smallest value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class FuzzedDataProvider:
    """Consumes a fuzz input from the front; names as upstream's methods."""

    __slots__ = ("_data", "_pos")

    _data: bytes
    _pos: int

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0

    def remaining_bytes(self) -> int:
        return len(self._data) - self._pos

    def ConsumeBytes(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer when the input runs out)."""
        out = self._data[self._pos : self._pos + max(0, n)]
        self._pos += len(out)
        return out

    def ConsumeBytesAsString(self, n: int) -> str:
        """Up to ``n`` bytes as a string, one character per byte (latin-1), like the raw bytes
        a C++ std::string holds."""
        return self.ConsumeBytes(n).decode("latin-1")

    def ConsumeRemainingBytes(self) -> bytes:
        return self.ConsumeBytes(self.remaining_bytes())

    def ConsumeIntegralInRange(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi], from as few whole bytes as the range needs (big-endian);
        ``lo`` once the input is used up."""
        if lo > hi:
            raise ValueError(f"empty range [{lo}, {hi}]")
        span = hi - lo
        nbytes = (span.bit_length() + 7) // 8
        raw = self.ConsumeBytes(nbytes)
        if span == 0 or not raw:
            return lo
        return lo + int.from_bytes(raw, "big") % (span + 1)

    def ConsumeIntegral(self, bits: int) -> int:
        """An unsigned integer of ``bits`` bits (upstream's ConsumeIntegral<uintN_t>)."""
        return self.ConsumeIntegralInRange(0, (1 << bits) - 1)

    def ConsumeBool(self) -> bool:
        return bool(self.ConsumeIntegral(8) & 1)

    def PickValueInArray(self, values: Sequence[T]) -> T:
        if not values:
            raise ValueError("PickValueInArray needs at least one value")
        return values[self.ConsumeIntegralInRange(0, len(values) - 1)]
