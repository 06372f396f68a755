"""FastRandomContext, the global RNG's test seeding and std::shuffle order, against upstream's
random_tests.cpp vectors."""

from __future__ import annotations

import math

import pytest

from common import random as random_mod
from common.random import (
    ChaCha20,
    FastRandomContext,
    GetRand,
    GetRandBytes,
    GetRandHash,
    InsecureRandomContext,
    MakeExponentiallyDistributed,
    SeedRand,
    SeedRandomStateForTest,
)
from common.uint256 import uint256

HOUR_US = 3600 * 1_000_000
HOUR_MS = 3600 * 1000

# RFC 7539 A.1: ChaCha20 keystream for the zero key and zero nonce, blocks 0 and 1.
ZERO_KEY_BLOCK0 = bytes.fromhex(
    "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
    "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
)
ZERO_KEY_BLOCK1 = bytes.fromhex(
    "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
    "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"
)


@pytest.fixture(autouse=True)
def _restore_rng_seeding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the global RNG back as the test found it (seeded or not)."""
    monkeypatch.setattr(random_mod, "_deterministic_prng", random_mod._deterministic_prng)


def _seed_random_for_test(seed: SeedRand) -> FastRandomContext:
    """BasicTestingSetup::SeedRandomForTest: seed the global RNG, then reseed the fixture's m_rng
    from it (which draws one GetRandHash)."""
    SeedRandomStateForTest(seed)
    return FastRandomContext(seed=GetRandHash())


def test_chacha20_keystream_matches_rfc7539_zero_key_vectors() -> None:
    rng = ChaCha20(bytes(32))
    # Reads of odd sizes still give one continuous stream.
    got = rng.Keystream(7) + rng.Keystream(50) + rng.Keystream(71)
    assert got == ZERO_KEY_BLOCK0 + ZERO_KEY_BLOCK1


def test_chacha20_seek_matches_rfc8439_block_function_vector() -> None:
    rng = ChaCha20(bytes(range(32)))
    # Nonce 00000009 0000004a 00000000, as upstream's Nonce96 (32-bit, 64-bit) pair.
    rng.Seek((0x09000000, 0x4A000000), 1)
    assert rng.Keystream(64).hex() == (
        "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
        "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
    )


def test_deterministic_context_reads_the_zero_key_keystream() -> None:
    ctx = FastRandomContext(True)
    assert ctx.rand64() == int.from_bytes(ZERO_KEY_BLOCK0[:8], "little")
    assert ctx.randbytes(8) == ZERO_KEY_BLOCK0[8:16]
    assert ctx.rand256() == uint256(ZERO_KEY_BLOCK0[16:48])


def test_randbits_buffers_leftover_bits_as_upstream() -> None:
    r0, r1, r2 = (int.from_bytes(ZERO_KEY_BLOCK0[i : i + 8], "little") for i in (0, 8, 16))
    ctx = FastRandomContext(True)
    assert ctx.randbits(3) == r0 & 7
    # 64 bits pass straight through, leaving the buffer alone.
    assert ctx.randbits(64) == r1
    # 62 > 61 buffered bits: the buffer supplies the low bits, the next rand64 the rest.
    assert ctx.randbits(62) == ((r2 << 61) | (r0 >> 3)) & ((1 << 62) - 1)
    assert ctx.randbits(1) == (r2 >> 1) & 1
    assert ctx.randbits(0) == 0


def test_fastrandom_deterministic_vectors_match_upstream() -> None:
    _seed_random_for_test(SeedRand.ZEROS)
    assert FastRandomContext().rand64() == 9330418229102544152
    assert FastRandomContext().randbits(31) == 618925161  # rand<int>()
    assert FastRandomContext().randrange(HOUR_US) == 1271170921
    assert FastRandomContext().randrange(HOUR_MS) == 2803534

    assert FastRandomContext().rand64() == 10170981140880778086
    assert FastRandomContext().randbits(31) == 1689082725
    assert FastRandomContext().randrange(HOUR_US) == 2464643716
    assert FastRandomContext().randrange(HOUR_MS) == 2312205

    assert FastRandomContext().rand64() == 5689404004456455543
    assert FastRandomContext().randbits(31) == 785839937
    assert FastRandomContext().randrange(HOUR_US) == 93558804
    assert FastRandomContext().randrange(HOUR_MS) == 507022


def test_rand_uniform_delay_vectors_match_upstream() -> None:
    ctx = FastRandomContext(True)
    time_point = 1  # seconds
    assert ctx.rand_uniform_delay(time_point, 9) == 7
    assert ctx.rand_uniform_delay(time_point, -9) == -6
    assert ctx.rand_uniform_delay(time_point, 0) == 1
    assert ctx.rand_uniform_delay(time_point, 9223372036854775807) == 4652286523065884857
    assert ctx.rand_uniform_delay(time_point, -9223372036854775807) == -8813961240025683129
    assert ctx.rand_uniform_delay(time_point, 9 * 3600) == 26443


def test_rand_uniform_duration_vectors_match_upstream() -> None:
    ctx = FastRandomContext(True)
    assert ctx.rand_uniform_duration(1_000_000) == 47222  # 1s in microseconds
    assert ctx.rand_uniform_duration(9 * 3600) == 2782  # 9h in seconds


def test_deterministic_contexts_agree_draw_for_draw() -> None:
    ctx1 = FastRandomContext(True)
    ctx2 = FastRandomContext(True)
    assert ctx1.rand32() == ctx2.rand32()
    assert ctx1.rand32() == ctx2.rand32()
    assert ctx1.rand64() == ctx2.rand64()
    assert ctx1.randbits(3) == ctx2.randbits(3)
    assert ctx1.randbytes(17) == ctx2.randbytes(17)
    assert ctx1.rand256() == ctx2.rand256()
    assert ctx1.randbits(7) == ctx2.randbits(7)
    assert ctx1.randbytes(128) == ctx2.randbytes(128)
    assert ctx1.rand32() == ctx2.rand32()
    assert ctx1.randbits(3) == ctx2.randbits(3)
    assert ctx1.rand256() == ctx2.rand256()
    assert ctx1.randbytes(50) == ctx2.randbytes(50)


def test_nondeterministic_contexts_differ_from_the_seeded_vectors() -> None:
    assert FastRandomContext().rand64() != 9330418229102544152
    assert FastRandomContext().rand64() != FastRandomContext().rand64()
    assert FastRandomContext().rand256() != FastRandomContext().rand256()
    assert FastRandomContext().randbytes(7) != FastRandomContext().randbytes(7)


def test_context_is_keyed_at_first_use_not_at_construction() -> None:
    SeedRandomStateForTest(SeedRand.ZEROS)
    first = FastRandomContext()
    second = FastRandomContext()
    value = second.rand64()
    SeedRandomStateForTest(SeedRand.ZEROS)
    assert FastRandomContext().rand64() == value
    assert first.rand64() != value


def test_seeded_scenarios_replay_byte_for_byte() -> None:
    def scenario() -> list[int]:
        ctx = FastRandomContext()
        items = list(range(20))
        ctx.shuffle(items)
        return [*items, ctx.rand64(), GetRand(1000), GetRandHash().GetUint64(0)]

    SeedRandomStateForTest(12345)
    run1 = scenario()
    SeedRandomStateForTest(12345)
    run2 = scenario()
    SeedRandomStateForTest(12346)
    run3 = scenario()
    assert run1 == run2
    assert run1 != run3


def test_int_seed_is_a_little_endian_uint256() -> None:
    SeedRandomStateForTest(7)
    a = GetRandBytes(32)
    SeedRandomStateForTest(uint256.FromInt(7))
    assert GetRandBytes(32) == a
    assert FastRandomContext(seed=7).rand64() == FastRandomContext(seed=uint256.FromInt(7)).rand64()


def test_fixed_seed_comes_from_random_ctx_seed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random_mod, "_g_ctx_seed", None)
    monkeypatch.setenv("RANDOM_CTX_SEED", "0x2a")
    SeedRandomStateForTest(SeedRand.FIXED_SEED)
    value = GetRandHash()
    SeedRandomStateForTest(42)
    assert GetRandHash() == value


def test_fixed_seed_rejects_non_hex_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random_mod, "_g_ctx_seed", None)
    monkeypatch.setenv("RANDOM_CTX_SEED", "xyz")
    with pytest.raises(ValueError, match="RANDOM_CTX_SEED must consist of up to 64 hex digits"):
        SeedRandomStateForTest(SeedRand.FIXED_SEED)


def test_reseed_restarts_the_stream_and_drops_buffered_bits() -> None:
    ctx = FastRandomContext(True)
    ctx.randbits(5)
    ctx.Reseed(uint256())
    assert ctx.rand64() == int.from_bytes(ZERO_KEY_BLOCK0[:8], "little")
    assert ctx.bitbuf_size == 0


def test_randbits_and_randrange_stay_in_range() -> None:
    ctx1 = FastRandomContext()
    ctx2 = FastRandomContext()
    for bits in range(63):
        for _ in range(30):
            rangebits = ctx1.randbits(bits)
            assert rangebits >> bits == 0
            range_ = (1 << bits) | rangebits
            assert ctx2.randrange(range_) < range_


def test_rand_exp_duration_scales_the_exponential_draw_and_rounds() -> None:
    ctx = FastRandomContext(True)
    ref = FastRandomContext(True)
    mean = 30 * 1_000_000
    for _ in range(20):
        expected = MakeExponentiallyDistributed(ref.rand64()) * mean
        assert ctx.rand_exp_duration(mean) == math.floor(expected + 0.5)
    assert MakeExponentiallyDistributed(0) == 0.0
    assert MakeExponentiallyDistributed(2**64 - 1) == pytest.approx(53 * math.log(2))


def test_xoroshiro128plusplus_reference_values() -> None:
    rng = InsecureRandomContext(0)
    assert [rng() for _ in range(4)] == [
        0x6F68E1E7E2646EE1,
        0xBF971B7F454094AD,
        0x48F2DE556F30DE38,
        0x6EA7C59F89BBFC75,
    ]
    rng.Reseed(0x1A26F3FA8546B47A)
    assert [rng() for _ in range(4)] == [
        0xC8DC5E08D844AC7D,
        0x5B5F1F6D499DAD1B,
        0xBEB0031F93313D6F,
        0xBFBCF4F43A264497,
    ]


def test_shuffle_matches_libstdcxx_std_shuffle() -> None:
    # Expected orders from std::shuffle (GCC 12 libstdc++) over InsecureRandomContext(42),
    # shuffling iota vectors of these sizes one after another on the same generator.
    rng = InsecureRandomContext(42)
    expected = {
        0: [],
        1: [0],
        2: [0, 1],
        3: [1, 2, 0],
        4: [2, 1, 3, 0],
        5: [3, 4, 2, 1, 0],
        10: [5, 7, 9, 0, 3, 8, 1, 4, 2, 6],
        11: [3, 1, 5, 10, 6, 2, 7, 8, 0, 9, 4],
    }
    for n, order in expected.items():
        items = list(range(n))
        rng.shuffle(items)
        assert items == order
    for n in (100, 1001):
        rng.shuffle(list(range(n)))
    # The generator is left exactly where libstdc++ leaves it.
    assert rng.rand64() == 5760589161523268884


def test_shuffle_reaches_every_permutation_uniformly() -> None:
    ctx = FastRandomContext(True)
    counts: dict[tuple[int, ...], int] = {}
    for _ in range(12000):
        data = [0, 1, 2, 3, 4]
        ctx.shuffle(data)
        counts[tuple(data)] = counts.get(tuple(data), 0) + 1
    assert len(counts) == 120
    assert sum(counts.values()) == 12000
    assert all(50 < c < 150 for c in counts.values())
    chi_score = sum((c - 100.0) ** 2 / 100.0 for c in counts.values())
    assert 58.1411 < chi_score < 210.275


def test_getrand_is_below_its_bound() -> None:
    assert all(0 <= GetRand(3) < 3 for _ in range(50))
