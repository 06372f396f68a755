"""Fee rates (src/policy/feerate.{h,cpp}).

As in v30, a fee rate is the exact fraction fee / vsize (upstream's ``FeePerVSize``), so no
precision is lost until a fee is evaluated at a size: :meth:`CFeeRate.GetFee` rounds up and
:meth:`CFeeRate.GetFeePerK` rounds down. Amounts are ints in satoshis.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

from .primitives.transaction import COIN

CURRENCY_UNIT: Final = "BTC"
CURRENCY_ATOM: Final = "sat"


class FeeEstimateMode(Enum):
    UNSET = 0
    ECONOMICAL = 1
    CONSERVATIVE = 2
    BTC_KVB = 3
    SAT_VB = 4


class CFeeRate:
    """Fee rate in satoshis per virtual byte, kept as a fraction.

    ``CFeeRate(n)`` is ``n`` satoshis per 1000 vbytes (upstream's explicit single-argument
    constructor); ``CFeeRate(fee, vsize)`` is the rate a transaction of ``vsize`` paying ``fee``
    pays (a non-positive size gives the empty rate, as upstream)."""

    __slots__ = ("fee", "size")

    #: Numerator (satoshis) and denominator (vbytes); 0/0 is the empty rate.
    fee: int
    size: int

    def __init__(self, nFeePaid: int = 0, virtual_bytes: int | None = None) -> None:
        if virtual_bytes is None:
            self.fee, self.size = nFeePaid, 1000
        elif virtual_bytes > 0:
            self.fee, self.size = nFeePaid, virtual_bytes
        else:
            self.fee, self.size = 0, 0

    def IsEmpty(self) -> bool:
        return self.size == 0

    def GetFee(self, virtual_bytes: int) -> int:
        """The fee for ``virtual_bytes``, rounded up to a whole satoshi."""
        assert virtual_bytes >= 0
        if self.size == 0:
            return 0
        nFee = -((-self.fee * virtual_bytes) // self.size)
        if nFee == 0 and virtual_bytes != 0 and self.fee < 0:
            return -1
        return nFee

    def GetFeePerK(self) -> int:
        """The fee for 1000 vbytes, rounded down."""
        if self.size == 0:
            return 0
        return (self.fee * 1000) // self.size

    def _cmp(self, other: CFeeRate) -> int:
        a = self.fee * other.size
        b = other.fee * self.size
        return (a > b) - (a < b)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CFeeRate) and self._cmp(other) == 0

    def __lt__(self, other: CFeeRate) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: CFeeRate) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: CFeeRate) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: CFeeRate) -> bool:
        return self._cmp(other) >= 0

    def __hash__(self) -> int:
        return hash(self.GetFeePerK())

    def __iadd__(self, other: CFeeRate) -> CFeeRate:
        fee = self.GetFeePerK() + other.GetFeePerK()
        self.fee, self.size = fee, 1000
        return self

    def __mul__(self, a: int) -> CFeeRate:
        return CFeeRate(a * self.fee, self.size) if self.size else CFeeRate(0, 0)

    __rmul__ = __mul__

    def ToString(self, fee_estimate_mode: FeeEstimateMode = FeeEstimateMode.BTC_KVB) -> str:
        feerate_per_kvb = self.GetFeePerK()
        sign = "-" if feerate_per_kvb < 0 else ""
        v = abs(feerate_per_kvb)
        if fee_estimate_mode == FeeEstimateMode.SAT_VB:
            return f"{sign}{v // 1000}.{v % 1000:03d} {CURRENCY_ATOM}/vB"
        return f"{sign}{v // COIN}.{v % COIN:08d} {CURRENCY_UNIT}/kvB"

    def __repr__(self) -> str:
        return f"CFeeRate({self.ToString()})"
