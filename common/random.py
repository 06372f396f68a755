"""Randomness (src/random.h/.cpp, src/test/util/random.h/.cpp, and the ChaCha20 keystream of
src/crypto/chacha20.h that FastRandomContext draws from).

FastRandomContext is upstream's: a ChaCha20 keystream (nonce 0, block counter from 0) read eight
bytes at a time, keyed lazily with GetRandHash() unless deterministic (zero key) or seeded. With
the same key it gives the same numbers as Bitcoin Core, bit for bit.

The global RNG is a stand-in: upstream mixes many entropy sources through SHA512 into one state;
here os.urandom supplies GetRandBytes. SeedRandomStateForTest switches it, as upstream, to a
ChaCha20 keystream keyed with the seed, so every later FastRandomContext() (and GetRandHash)
replays byte for byte, and upstream's deterministic test values come out the same.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import MutableSequence
from enum import Enum
from typing import Final, TypeVar

from .logging import LogInfo
from .uint256 import uint256

T = TypeVar("T")

_M32: Final = 0xFFFFFFFF
_M64: Final = 0xFFFFFFFFFFFFFFFF


def _chacha20_block(key: tuple[int, ...], counter: int, n0: int, n1: int, n2: int) -> bytes:
    """One 64-byte ChaCha20 block (RFC 8439 layout; upstream's ChaCha20Aligned)."""
    j0, j1, j2, j3 = 0x61707865, 0x3320646E, 0x79622D32, 0x6B206574
    j4, j5, j6, j7, j8, j9, j10, j11 = key
    j12, j13, j14, j15 = counter, n0, n1, n2
    x0, x1, x2, x3, x4, x5, x6, x7 = j0, j1, j2, j3, j4, j5, j6, j7
    x8, x9, x10, x11, x12, x13, x14, x15 = j8, j9, j10, j11, j12, j13, j14, j15
    m = _M32
    for _ in range(10):
        # Column round.
        x0 = (x0 + x4) & m
        x12 ^= x0
        x12 = ((x12 << 16) | (x12 >> 16)) & m
        x8 = (x8 + x12) & m
        x4 ^= x8
        x4 = ((x4 << 12) | (x4 >> 20)) & m
        x0 = (x0 + x4) & m
        x12 ^= x0
        x12 = ((x12 << 8) | (x12 >> 24)) & m
        x8 = (x8 + x12) & m
        x4 ^= x8
        x4 = ((x4 << 7) | (x4 >> 25)) & m

        x1 = (x1 + x5) & m
        x13 ^= x1
        x13 = ((x13 << 16) | (x13 >> 16)) & m
        x9 = (x9 + x13) & m
        x5 ^= x9
        x5 = ((x5 << 12) | (x5 >> 20)) & m
        x1 = (x1 + x5) & m
        x13 ^= x1
        x13 = ((x13 << 8) | (x13 >> 24)) & m
        x9 = (x9 + x13) & m
        x5 ^= x9
        x5 = ((x5 << 7) | (x5 >> 25)) & m

        x2 = (x2 + x6) & m
        x14 ^= x2
        x14 = ((x14 << 16) | (x14 >> 16)) & m
        x10 = (x10 + x14) & m
        x6 ^= x10
        x6 = ((x6 << 12) | (x6 >> 20)) & m
        x2 = (x2 + x6) & m
        x14 ^= x2
        x14 = ((x14 << 8) | (x14 >> 24)) & m
        x10 = (x10 + x14) & m
        x6 ^= x10
        x6 = ((x6 << 7) | (x6 >> 25)) & m

        x3 = (x3 + x7) & m
        x15 ^= x3
        x15 = ((x15 << 16) | (x15 >> 16)) & m
        x11 = (x11 + x15) & m
        x7 ^= x11
        x7 = ((x7 << 12) | (x7 >> 20)) & m
        x3 = (x3 + x7) & m
        x15 ^= x3
        x15 = ((x15 << 8) | (x15 >> 24)) & m
        x11 = (x11 + x15) & m
        x7 ^= x11
        x7 = ((x7 << 7) | (x7 >> 25)) & m

        # Diagonal round.
        x0 = (x0 + x5) & m
        x15 ^= x0
        x15 = ((x15 << 16) | (x15 >> 16)) & m
        x10 = (x10 + x15) & m
        x5 ^= x10
        x5 = ((x5 << 12) | (x5 >> 20)) & m
        x0 = (x0 + x5) & m
        x15 ^= x0
        x15 = ((x15 << 8) | (x15 >> 24)) & m
        x10 = (x10 + x15) & m
        x5 ^= x10
        x5 = ((x5 << 7) | (x5 >> 25)) & m

        x1 = (x1 + x6) & m
        x12 ^= x1
        x12 = ((x12 << 16) | (x12 >> 16)) & m
        x11 = (x11 + x12) & m
        x6 ^= x11
        x6 = ((x6 << 12) | (x6 >> 20)) & m
        x1 = (x1 + x6) & m
        x12 ^= x1
        x12 = ((x12 << 8) | (x12 >> 24)) & m
        x11 = (x11 + x12) & m
        x6 ^= x11
        x6 = ((x6 << 7) | (x6 >> 25)) & m

        x2 = (x2 + x7) & m
        x13 ^= x2
        x13 = ((x13 << 16) | (x13 >> 16)) & m
        x8 = (x8 + x13) & m
        x7 ^= x8
        x7 = ((x7 << 12) | (x7 >> 20)) & m
        x2 = (x2 + x7) & m
        x13 ^= x2
        x13 = ((x13 << 8) | (x13 >> 24)) & m
        x8 = (x8 + x13) & m
        x7 ^= x8
        x7 = ((x7 << 7) | (x7 >> 25)) & m

        x3 = (x3 + x4) & m
        x14 ^= x3
        x14 = ((x14 << 16) | (x14 >> 16)) & m
        x9 = (x9 + x14) & m
        x4 ^= x9
        x4 = ((x4 << 12) | (x4 >> 20)) & m
        x3 = (x3 + x4) & m
        x14 ^= x3
        x14 = ((x14 << 8) | (x14 >> 24)) & m
        x9 = (x9 + x14) & m
        x4 ^= x9
        x4 = ((x4 << 7) | (x4 >> 25)) & m
    # Serialize the 16 words little-endian in one go: word i sits at bits 32*i.
    out = (
        ((x0 + j0) & m)
        | ((x1 + j1) & m) << 32
        | ((x2 + j2) & m) << 64
        | ((x3 + j3) & m) << 96
        | ((x4 + j4) & m) << 128
        | ((x5 + j5) & m) << 160
        | ((x6 + j6) & m) << 192
        | ((x7 + j7) & m) << 224
        | ((x8 + j8) & m) << 256
        | ((x9 + j9) & m) << 288
        | ((x10 + j10) & m) << 320
        | ((x11 + j11) & m) << 352
        | ((x12 + j12) & m) << 384
        | ((x13 + j13) & m) << 416
        | ((x14 + j14) & m) << 448
        | ((x15 + j15) & m) << 480
    )
    return out.to_bytes(64, "little")


class ChaCha20:
    """Upstream's ChaCha20 (src/crypto/chacha20.h), keystream only: one continuous stream per
    key, read in any sizes; unused bytes of a block are kept for the next read."""

    __slots__ = ("_block_counter", "_buffer", "_key", "_nonce")

    KEYLEN: Final = 32
    BLOCKLEN: Final = 64

    _key: tuple[int, ...]
    _nonce: tuple[int, int, int]
    _block_counter: int
    _buffer: bytes

    def __init__(self, key: bytes) -> None:
        self.SetKey(key)

    def SetKey(self, key: bytes) -> None:
        """Key the stream; the nonce and block counter go back to zero."""
        if len(key) != self.KEYLEN:
            raise ValueError(f"ChaCha20 key must be 32 bytes, got {len(key)}")
        self._key = tuple(int.from_bytes(key[i : i + 4], "little") for i in range(0, 32, 4))
        self._nonce = (0, 0, 0)
        self._block_counter = 0
        self._buffer = b""

    def Seek(self, nonce: tuple[int, int], block_counter: int) -> None:
        """Move to ``block_counter`` of the stream for ``nonce`` (upstream's Nonce96: a 32-bit and
        a 64-bit part)."""
        self._nonce = (nonce[0] & _M32, nonce[1] & _M32, (nonce[1] >> 32) & _M32)
        self._block_counter = block_counter & _M32
        self._buffer = b""

    def Keystream(self, n: int) -> bytes:
        """The next ``n`` bytes of the keystream."""
        buf = self._buffer
        if len(buf) >= n:
            self._buffer = buf[n:]
            return buf[:n]
        parts = [buf]
        have = len(buf)
        key = self._key
        n0, n1, n2 = self._nonce
        counter = self._block_counter
        while have < n:
            block = _chacha20_block(key, counter, n0, n1, n2)
            counter = (counter + 1) & _M32
            parts.append(block)
            have += 64
        self._block_counter = counter
        out = b"".join(parts)
        self._buffer = out[n:]
        return out[:n]


def MakeExponentiallyDistributed(uniform: int) -> float:
    """An exponentially distributed double with mean 1, from a uniform 64-bit integer."""
    return -math.log1p((uniform >> 11) * -(2.0**-53))


class RandomMixin:
    """The helpers upstream's RandomMixin adds to any generator with a ``rand64()``: a bit buffer
    for small requests, ranges, bytes, durations and std::shuffle.

    Durations are ints; the result is in whatever unit the argument is in."""

    __slots__ = ("bitbuf", "bitbuf_size")

    bitbuf: int
    bitbuf_size: int

    def __init__(self) -> None:
        self.bitbuf = 0
        self.bitbuf_size = 0

    def rand64(self) -> int:
        raise NotImplementedError

    def FlushCache(self) -> None:
        self.bitbuf = 0
        self.bitbuf_size = 0

    def randbits(self, bits: int) -> int:
        """A random integer of ``bits`` bits (0 to 64)."""
        assert 0 <= bits <= 64
        if bits == 64:
            return self.rand64()
        if bits <= self.bitbuf_size:
            ret = self.bitbuf
            self.bitbuf >>= bits
            self.bitbuf_size -= bits
        else:
            gen = self.rand64()
            ret = ((gen << self.bitbuf_size) | self.bitbuf) & _M64
            self.bitbuf = gen >> (bits - self.bitbuf_size)
            self.bitbuf_size = 64 + self.bitbuf_size - bits
        return ret & ((1 << bits) - 1)

    def randrange(self, range_: int) -> int:
        """A random integer in ``[0, range_)``; ``range_`` must be positive."""
        assert range_ > 0
        maxval = range_ - 1
        bits = maxval.bit_length()
        while True:
            ret = self.randbits(bits)
            if ret <= maxval:
                return ret

    def fillrand(self, n: int) -> bytes:
        """``n`` random bytes, drawn as upstream's fillrand draws them."""
        out = bytearray()
        while n >= 8:
            out += self.rand64().to_bytes(8, "little")
            n -= 8
        if n >= 4:
            out += self.rand32().to_bytes(4, "little")
            n -= 4
        while n:
            out.append(self.randbits(8))
            n -= 1
        return bytes(out)

    def randbytes(self, n: int) -> bytes:
        return self.fillrand(n)

    def rand32(self) -> int:
        return self.randbits(32)

    def rand256(self) -> uint256:
        return uint256(self.fillrand(32))

    def randbool(self) -> bool:
        return bool(self.randbits(1))

    def rand_uniform_delay(self, time: int, range_: int) -> int:
        """``time`` advanced by a uniform random duration from :meth:`rand_uniform_duration`."""
        return time + self.rand_uniform_duration(range_)

    def rand_uniform_duration(self, range_: int) -> int:
        """Uniform in ``[0, range_)``, or in ``(range_, 0]`` when ``range_`` is negative."""
        if range_ > 0:
            return self.randrange(range_)
        if range_ < 0:
            return -self.randrange(-range_)
        return 0

    def rand_exp_duration(self, mean: int) -> int:
        """An exponentially distributed duration with the given mean, rounded to the nearest unit
        (upstream: microseconds in, microseconds out), for Poisson-process timers."""
        unscaled = MakeExponentiallyDistributed(self.rand64())
        return int(unscaled * mean + 0.5)

    def __call__(self) -> int:
        """UniformRandomBitGenerator: a full 64-bit value."""
        return self.rand64()

    def _uniform_int(self, urange: int) -> int:
        # libstdc++'s uniform_int_distribution<uint64_t>{0, urange} over a 64-bit generator:
        # Lemire's multiply-and-reject downscaling with a 128-bit product.
        if urange == _M64:
            return self.rand64()
        uerange = urange + 1
        product = self.rand64() * uerange
        low = product & _M64
        if low < uerange:
            threshold = (-uerange & _M64) % uerange
            while low < threshold:
                product = self.rand64() * uerange
                low = product & _M64
        return product >> 64

    def shuffle(self, seq: MutableSequence[T]) -> None:
        """Shuffle in place in the order ``std::shuffle(begin, end, rng)`` gives with libstdc++
        (GCC >= 11, what release builds use): two swap positions per draw while the range
        allows it."""
        n = len(seq)
        if n == 0:
            return
        if _M64 // n >= n:
            i = 1
            if n % 2 == 0:
                j = self._uniform_int(1)
                seq[i], seq[j] = seq[j], seq[i]
                i += 1
            while i != n:
                swap_range = i + 1
                x = self._uniform_int(swap_range * (swap_range + 1) - 1)
                j1, j2 = divmod(x, swap_range + 1)
                seq[i], seq[j1] = seq[j1], seq[i]
                i += 1
                seq[i], seq[j2] = seq[j2], seq[i]
                i += 1
            return
        for i in range(1, n):
            j = self._uniform_int(i)
            seq[i], seq[j] = seq[j], seq[i]


def _seed_bytes(seed: int | bytes | uint256) -> bytes:
    if isinstance(seed, uint256):
        return seed.data
    if isinstance(seed, int):
        return uint256.FromInt(seed).data
    if len(seed) != 32:
        raise ValueError(f"a seed must be 32 bytes, got {len(seed)}")
    return bytes(seed)


_ZERO_KEY: Final = bytes(32)


class FastRandomContext(RandomMixin):
    """Fast randomness: a ChaCha20 keystream. Keyed on first use with GetRandHash(), with the zero
    key when ``deterministic``, or with ``seed`` (upstream's ``FastRandomContext(uint256)``; an int
    seed is taken as a little-endian uint256). Not thread-safe, as upstream."""

    __slots__ = ("requires_seed", "rng")

    requires_seed: bool
    rng: ChaCha20

    def __init__(
        self, deterministic: bool = False, seed: int | bytes | uint256 | None = None
    ) -> None:
        super().__init__()
        if seed is not None:
            self.requires_seed = False
            self.rng = ChaCha20(_seed_bytes(seed))
        else:
            self.requires_seed = not deterministic
            self.rng = ChaCha20(_ZERO_KEY)

    def RandomSeed(self) -> None:
        self.rng.SetKey(GetRandHash().data)
        self.requires_seed = False

    def Reseed(self, seed: int | bytes | uint256) -> None:
        """Restart from an explicit seed (tests only)."""
        self.FlushCache()
        self.requires_seed = False
        self.rng = ChaCha20(_seed_bytes(seed))

    def rand64(self) -> int:
        if self.requires_seed:
            self.RandomSeed()
        return int.from_bytes(self.rng.Keystream(8), "little")

    def fillrand(self, n: int) -> bytes:
        """Straight from the keystream, bypassing the bit buffer, as upstream's override."""
        if self.requires_seed:
            self.RandomSeed()
        return self.rng.Keystream(n)


def _rotl64(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


class InsecureRandomContext(RandomMixin):
    """xoroshiro128++: very fast, not cryptographic. Seeded through SplitMix64, as upstream."""

    __slots__ = ("m_s0", "m_s1")

    m_s0: int
    m_s1: int

    def __init__(self, seedval: int) -> None:
        super().__init__()
        self.Reseed(seedval)

    def Reseed(self, seedval: int) -> None:
        self.FlushCache()
        seedval &= _M64
        seedval = (seedval + 0x9E3779B97F4A7C15) & _M64
        self.m_s0 = self._mix(seedval)
        seedval = (seedval + 0x9E3779B97F4A7C15) & _M64
        self.m_s1 = self._mix(seedval)

    @staticmethod
    def _mix(z: int) -> int:
        # The output function of SplitMix64.
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        return z ^ (z >> 31)

    def rand64(self) -> int:
        s0, s1 = self.m_s0, self.m_s1
        result = (_rotl64((s0 + s1) & _M64, 17) + s0) & _M64
        s1 ^= s0
        self.m_s0 = _rotl64(s0, 49) ^ s1 ^ ((s1 << 21) & _M64)
        self.m_s1 = _rotl64(s1, 28)
        return result


# ---------------------------------------------------------------------------------------------
# The global RNG.

_rng_lock: Final = threading.Lock()
#: Set by SeedRandomStateForTest: the keystream GetRandBytes reads instead of OS randomness.
_deterministic_prng: ChaCha20 | None = None
#: Upstream's g_used_g_prng: whether GetRandBytes was ever called (tests only).
g_used_g_prng: bool = False


def GetRandBytes(n: int) -> bytes:
    """``n`` (at most 32) random bytes; from the test seed's keystream once one is set."""
    global g_used_g_prng
    assert 0 <= n <= 32
    g_used_g_prng = True
    with _rng_lock:
        if _deterministic_prng is not None:
            return _deterministic_prng.Keystream(n)
    return os.urandom(n)


def GetStrongRandBytes(n: int) -> bytes:
    """``n`` (at most 32) bytes of OS randomness; never deterministic, even in tests."""
    assert 0 <= n <= 32
    return os.urandom(n)


def GetRandHash() -> uint256:
    return uint256(GetRandBytes(32))


def GetRand(nMax: int) -> int:
    """Uniform in ``[0, nMax)``. Upstream dropped GetRand for ``FastRandomContext().randrange``,
    which this is; kept as a shorthand."""
    return FastRandomContext().randrange(nMax)


def MakeRandDeterministicDANGEROUS(seed: uint256) -> None:
    """Make GetRandBytes (and so every later FastRandomContext()) a keystream of ``seed``."""
    global _deterministic_prng
    with _rng_lock:
        _deterministic_prng = ChaCha20(seed.data)


class SeedRand(Enum):
    """How SeedRandomStateForTest seeds (src/test/util/random.h)."""

    #: The all-zero seed.
    ZEROS = 0
    #: One seed for the process: RANDOM_CTX_SEED from the environment, else random, chosen once.
    FIXED_SEED = 1


_g_ctx_seed: uint256 | None = None


def _ctx_seed() -> uint256:
    global _g_ctx_seed
    if _g_ctx_seed is None:
        env = os.environ.get("RANDOM_CTX_SEED")
        if env is not None:
            digits = env[2:] if env[:2] in ("0x", "0X") else env
            try:
                if not 0 < len(digits) <= 64:
                    raise ValueError(digits)
                _g_ctx_seed = uint256.FromInt(int(digits, 16))
            except ValueError:
                raise ValueError(
                    'RANDOM_CTX_SEED must consist of up to 64 hex digits ("0x" prefix '
                    f"allowed), it was set to: '{env}'."
                ) from None
        else:
            _g_ctx_seed = uint256(os.urandom(32))
    return _g_ctx_seed


def SeedRandomStateForTest(seed: SeedRand | int | uint256 | None = SeedRand.ZEROS) -> None:
    """Seed the global RNG for tests: afterwards GetRandBytes, GetRandHash and every new
    non-deterministic FastRandomContext() replay from ``seed``.

    Upstream takes a SeedRand; an int (a little-endian uint256) or a uint256 seeds with that value,
    and None goes back to OS randomness, so one process can run many seeded scenarios."""
    global _deterministic_prng
    if seed is None:
        with _rng_lock:
            _deterministic_prng = None
        return
    if isinstance(seed, SeedRand):
        value = _ctx_seed() if seed is SeedRand.FIXED_SEED else uint256()
    elif isinstance(seed, int):
        value = uint256.FromInt(seed)
    else:
        value = seed
    LogInfo("Setting random seed for current tests to %s=%s\n", "RANDOM_CTX_SEED", value.GetHex())
    MakeRandDeterministicDANGEROUS(value)
