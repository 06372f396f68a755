"""Bloom filters (src/common/bloom.h/.cpp): BIP37's CBloomFilter, which SPV peers load with
FILTERLOAD, and CRollingBloomFilter, the "recently seen" set behind known-address and
recently-rejected tracking.

The arithmetic is upstream's to the bit (sizes, hash counts, MurmurHash3 seeds, FastRange32
positions, generations), so the same tweak gives the same false positives. IsRelevantAndUpdate
reads scripts with common.script's GetOp and Solver, as upstream's does.
"""

from __future__ import annotations

import math
from typing import Final

from .hash import MurmurHash3
from .primitives.transaction import COutPoint, CTransaction
from .random import FastRandomContext
from .script import GetOp, Solver, TxoutType
from .serialize import DataStream, ser_bytes, ser_u8, ser_u32
from .uint256 import uint256

#: 20,000 items with a false-positive rate under 0.1%, or 10,000 under 0.0001%.
MAX_BLOOM_FILTER_SIZE: Final = 36000  # bytes
MAX_HASH_FUNCS: Final = 50

# nFlags: how much IsRelevantAndUpdate adds to the filter (the other bits are reserved).
BLOOM_UPDATE_NONE: Final = 0
BLOOM_UPDATE_ALL: Final = 1
#: Only add outpoints of pay-to-pubkey and pay-to-multisig outputs.
BLOOM_UPDATE_P2PUBKEY_ONLY: Final = 2
BLOOM_UPDATE_MASK: Final = 3

LN2SQUARED: Final = 0.4804530139182014246671025263266649717305529515945455
LN2: Final = 0.6931471805599453094172321214581765680755001343602552

_M32: Final = 0xFFFFFFFF


def FastRange32(x: int, n: int) -> int:
    """Map a uniform 32-bit ``x`` into ``[0, n)`` with a multiply and a shift (util/fastrange.h)."""
    return (x * n) >> 32


def _key_bytes(vKey: bytes | bytearray | memoryview | uint256) -> bytes:
    return vKey.data if isinstance(vKey, uint256) else bytes(vKey)


class CBloomFilter:
    """A BIP37 bloom filter. ``CBloomFilter()`` is the empty filter (which matches everything);
    ``CBloomFilter(nElements, nFPRate, nTweak, nFlags)`` sizes one for that false-positive rate,
    clamped to the protocol limits."""

    __slots__ = ("nFlags", "nHashFuncs", "nTweak", "vData")

    vData: bytearray
    nHashFuncs: int
    nTweak: int
    nFlags: int

    def __init__(
        self,
        nElements: int | None = None,
        nFPRate: float = 0.0,
        nTweakIn: int = 0,
        nFlagsIn: int = 0,
    ) -> None:
        if nElements is None:
            self.vData = bytearray()
            self.nHashFuncs = 0
            self.nTweak = 0
            self.nFlags = 0
            return
        # Ideal size: -nElements * ln(fp rate) / ln(2)^2 bits; ideal hash count: size * ln(2)
        # / nElements. Both are clamped to the protocol limits.
        nbits = max(0, int(-1 / LN2SQUARED * nElements * math.log(nFPRate)))
        self.vData = bytearray(min(nbits, MAX_BLOOM_FILTER_SIZE * 8) // 8)
        self.nHashFuncs = min(int(len(self.vData) * 8 // nElements * LN2), MAX_HASH_FUNCS)
        self.nTweak = nTweakIn & _M32
        self.nFlags = nFlagsIn & 0xFF

    def serialize(self) -> bytes:
        return (
            ser_bytes(bytes(self.vData))
            + ser_u32(self.nHashFuncs)
            + ser_u32(self.nTweak)
            + ser_u8(self.nFlags)
        )

    @classmethod
    def deserialize(cls, s: DataStream) -> CBloomFilter:
        """Any size reads; IsWithinSizeConstraints says whether the peer broke the limits."""
        f = cls()
        f.vData = bytearray(s.read_bytes())
        f.nHashFuncs = s.read_u32()
        f.nTweak = s.read_u32()
        f.nFlags = s.read_u8()
        return f

    def Hash(self, nHashNum: int, vDataToHash: bytes) -> int:
        # 0xFBA4C795 spreads the seeds of successive hash functions well apart.
        seed = (nHashNum * 0xFBA4C795 + self.nTweak) & _M32
        return MurmurHash3(seed, vDataToHash) % (len(self.vData) * 8)

    def insert(self, vKey: bytes | bytearray | memoryview | uint256 | COutPoint) -> None:
        if isinstance(vKey, COutPoint):
            vKey = vKey.serialize()
        if not self.vData:  # an empty filter has no bits (CVE-2013-5700)
            return
        key = _key_bytes(vKey)
        for i in range(self.nHashFuncs):
            nIndex = self.Hash(i, key)
            self.vData[nIndex >> 3] |= 1 << (7 & nIndex)

    def contains(self, vKey: bytes | bytearray | memoryview | uint256 | COutPoint) -> bool:
        if isinstance(vKey, COutPoint):
            vKey = vKey.serialize()
        if not self.vData:  # the empty filter matches everything (CVE-2013-5700)
            return True
        key = _key_bytes(vKey)
        for i in range(self.nHashFuncs):
            nIndex = self.Hash(i, key)
            if not self.vData[nIndex >> 3] & (1 << (7 & nIndex)):
                return False
        return True

    def IsWithinSizeConstraints(self) -> bool:
        """At most MAX_BLOOM_FILTER_SIZE bytes and MAX_HASH_FUNCS hash functions (a filter just
        deserialized may be bigger)."""
        return len(self.vData) <= MAX_BLOOM_FILTER_SIZE and self.nHashFuncs <= MAX_HASH_FUNCS

    def IsRelevantAndUpdate(self, tx: CTransaction) -> bool:
        """Whether ``tx`` matches: its txid, a data push in an output script (whose outpoint is
        then added, as nFlags says), a spent outpoint, or a data push in an input script."""
        fFound = False
        if not self.vData:  # the empty filter matches everything
            return True
        txid = tx.GetHash()
        if self.contains(txid):
            fFound = True

        update = self.nFlags & BLOOM_UPDATE_MASK
        for i, txout in enumerate(tx.vout):
            script = txout.scriptPubKey
            pc = 0
            while pc < len(script):
                ok, pc, _opcode, data = GetOp(script, pc)
                if not ok:
                    break
                if data and self.contains(data):
                    fFound = True
                    # Add the outpoint, so a later spend of it matches too.
                    if update == BLOOM_UPDATE_ALL or (
                        update == BLOOM_UPDATE_P2PUBKEY_ONLY
                        and Solver(script)[0] in (TxoutType.PUBKEY, TxoutType.MULTISIG)
                    ):
                        self.insert(COutPoint(txid, i))
                    break

        if fFound:
            return True

        for txin in tx.vin:
            if self.contains(txin.prevout):
                return True
            script = txin.scriptSig
            pc = 0
            while pc < len(script):
                ok, pc, _opcode, data = GetOp(script, pc)
                if not ok:
                    break
                if data and self.contains(data):
                    return True
        return False


def _round_half_away(x: float) -> int:
    # C's round(): halves go away from zero (Python's round() goes to even).
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


class CRollingBloomFilter:
    """Remembers (at least) the last ``nElements`` to ``1.5 * nElements`` keys inserted, with
    false positives at about ``nFPRate``. Two bits per position hold the generation (1 to 3) that
    set it; starting a generation wipes the positions of the one before last. ``reset()`` also
    draws a new tweak."""

    __slots__ = (
        "data",
        "nEntriesPerGeneration",
        "nEntriesThisGeneration",
        "nGeneration",
        "nHashFuncs",
        "nTweak",
    )

    nEntriesPerGeneration: int
    nEntriesThisGeneration: int
    nGeneration: int
    #: Bit P lives in bit (P & 63) of data[(P >> 6) * 2] and data[(P >> 6) * 2 + 1].
    data: list[int]
    nTweak: int
    nHashFuncs: int

    def __init__(self, nElements: int, nFPRate: float) -> None:
        logFpRate = math.log(nFPRate)
        # The optimal count, log(fpRate) / log(0.5), kept within 1..50.
        self.nHashFuncs = max(1, min(_round_half_away(logFpRate / math.log(0.5)), 50))
        # Two to three generations of nElements / 2 entries each.
        self.nEntriesPerGeneration = ((nElements + 1) & _M32) // 2
        nMaxElements = (self.nEntriesPerGeneration * 3) & _M32
        # Bits for the false-positive rate at the fullest (three generations):
        # -k * n / ln(1 - fpRate^(1/k)).
        k = self.nHashFuncs
        nFilterBits = math.ceil(-1.0 * k * nMaxElements / math.log(1.0 - math.exp(logFpRate / k)))
        nFilterBits &= _M32
        self.data = [0] * (((nFilterBits + 63) // 64) << 1)
        self.nTweak = 0
        self.nEntriesThisGeneration = 0
        self.nGeneration = 1
        self.reset()

    def insert(self, vKey: bytes | bytearray | memoryview | uint256) -> None:
        data = self.data
        if self.nEntriesThisGeneration == self.nEntriesPerGeneration:
            self.nEntriesThisGeneration = 0
            self.nGeneration += 1
            if self.nGeneration == 4:
                self.nGeneration = 1
            m64 = 0xFFFFFFFFFFFFFFFF
            nGenerationMask1 = m64 if self.nGeneration & 1 else 0
            nGenerationMask2 = m64 if self.nGeneration >> 1 else 0
            # Wipe the positions last set by the generation whose number this one reuses.
            for p in range(0, len(data), 2):
                p1 = data[p]
                p2 = data[p + 1]
                mask = (p1 ^ nGenerationMask1) | (p2 ^ nGenerationMask2)
                data[p] = p1 & mask
                data[p + 1] = p2 & mask
        self.nEntriesThisGeneration += 1

        key = _key_bytes(vKey)
        size = len(data)
        gen1 = self.nGeneration & 1
        gen2 = self.nGeneration >> 1
        tweak = self.nTweak
        for n in range(self.nHashFuncs):
            h = MurmurHash3((n * 0xFBA4C795 + tweak) & _M32, key)
            bit = h & 0x3F
            # FastRange32 takes the high bits of h, so reusing its low bits for `bit` is fine.
            pos = FastRange32(h, size)
            # The low bit of pos is dropped: the pair's first word and second word.
            lo = pos & ~1
            hi = pos | 1
            clear = ~(1 << bit)
            data[lo] = (data[lo] & clear) | (gen1 << bit)
            data[hi] = (data[hi] & clear) | (gen2 << bit)

    def contains(self, vKey: bytes | bytearray | memoryview | uint256) -> bool:
        data = self.data
        key = _key_bytes(vKey)
        size = len(data)
        tweak = self.nTweak
        for n in range(self.nHashFuncs):
            h = MurmurHash3((n * 0xFBA4C795 + tweak) & _M32, key)
            bit = h & 0x3F
            pos = FastRange32(h, size)
            # Set in either word of the pair means set in some generation.
            if not ((data[pos & ~1] | data[pos | 1]) >> bit) & 1:
                return False
        return True

    def reset(self) -> None:
        self.nTweak = FastRandomContext().rand32()
        self.nEntriesThisGeneration = 0
        self.nGeneration = 1
        self.data = [0] * len(self.data)
