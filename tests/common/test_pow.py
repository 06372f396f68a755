"""Vectors from upstream's arith_uint256_tests (bignum_SetCompact) and pow_tests."""

from __future__ import annotations

import random

import pytest

from common.arith_uint256 import (
    ARITH_MASK,
    ArithGetHex,
    ArithToUint256,
    GetCompact,
    SetCompact,
    UintToArith256,
)
from common.chain import CBlockIndex, GetBlockProofEquivalentTime
from common.chainparams import CChainParams, Consensus
from common.pow import (
    CalculateNextWorkRequired,
    CheckProofOfWork,
    GetBlockProof,
    GetNextWorkRequired,
    PermittedDifficultyTransition,
)
from common.primitives.block import CBlockHeader
from common.uint256 import uint256


def mainnet_consensus() -> Consensus.Params:
    """The proof-of-work parameters of mainnet (only regtest exists as a chain here)."""
    return Consensus.Params(
        powLimit=uint256.FromHex("00000000" + "ff" * 28),
        nPowTargetTimespan=14 * 24 * 60 * 60,
        nPowTargetSpacing=10 * 60,
        fPowAllowMinDifficultyBlocks=False,
        fPowNoRetargeting=False,
    )


def index(nHeight: int, nTime: int, nBits: int) -> CBlockIndex:
    pindex = CBlockIndex()
    pindex.nHeight, pindex.nTime, pindex.nBits = nHeight, nTime, nBits
    return pindex


# (compact, hex of the value, GetCompact of the value (with the sign for negatives), negative,
# overflow)
SET_COMPACT_VECTORS = [
    (0x00000000, "0" * 64, 0, False, False),
    (0x00123456, "0" * 64, 0, False, False),
    (0x01003456, "0" * 64, 0, False, False),
    (0x02000056, "0" * 64, 0, False, False),
    (0x03000000, "0" * 64, 0, False, False),
    (0x04000000, "0" * 64, 0, False, False),
    (0x00923456, "0" * 64, 0, False, False),
    (0x01803456, "0" * 64, 0, False, False),
    (0x02800056, "0" * 64, 0, False, False),
    (0x03800000, "0" * 64, 0, False, False),
    (0x04800000, "0" * 64, 0, False, False),
    (0x01123456, "0" * 62 + "12", 0x01120000, False, False),
    (0x01FEDCBA, "0" * 62 + "7e", 0x01FE0000, True, False),
    (0x02123456, "0" * 60 + "1234", 0x02123400, False, False),
    (0x03123456, "0" * 58 + "123456", 0x03123456, False, False),
    (0x04123456, "0" * 56 + "12345600", 0x04123456, False, False),
    (0x04923456, "0" * 56 + "12345600", 0x04923456, True, False),
    (0x05009234, "0" * 56 + "92340000", 0x05009234, False, False),
    (0x20123456, "123456" + "0" * 58, 0x20123456, False, False),
]


@pytest.mark.parametrize(
    ("compact", "hexval", "recompact", "negative", "overflow"), SET_COMPACT_VECTORS
)
def test_set_compact_vectors(
    compact: int, hexval: str, recompact: int, negative: bool, overflow: bool
) -> None:
    value, fNegative, fOverflow = SetCompact(compact)
    assert ArithGetHex(value) == hexval
    assert (fNegative, fOverflow) == (negative, overflow)
    assert GetCompact(value, fNegative) == recompact


def test_set_compact_flags_overflow() -> None:
    assert SetCompact(0xFF123456)[1:] == (False, True)


def test_get_compact_never_sets_the_sign_bit_for_a_positive_value() -> None:
    assert GetCompact(0x80) == 0x02008000


def test_get_next_work() -> None:
    params = mainnet_consensus()
    last = index(32255, 1262152739, 0x1D00FFFF)
    assert CalculateNextWorkRequired(last, 1261130161, params) == 0x1D00D86A
    assert PermittedDifficultyTransition(params, 32256, 0x1D00FFFF, 0x1D00D86A)


def test_get_next_work_pow_limit() -> None:
    params = mainnet_consensus()
    last = index(2015, 1233061996, 0x1D00FFFF)
    assert CalculateNextWorkRequired(last, 1231006505, params) == 0x1D00FFFF
    assert PermittedDifficultyTransition(params, 2016, 0x1D00FFFF, 0x1D00FFFF)


def test_get_next_work_lower_limit_actual() -> None:
    params = mainnet_consensus()
    last = index(68543, 1279297671, 0x1C05A3F4)
    assert CalculateNextWorkRequired(last, 1279008237, params) == 0x1C0168FD
    assert PermittedDifficultyTransition(params, 68544, 0x1C05A3F4, 0x1C0168FD)
    assert not PermittedDifficultyTransition(params, 68544, 0x1C05A3F4, 0x1C0168FD - 1)


def test_get_next_work_upper_limit_actual() -> None:
    params = mainnet_consensus()
    last = index(46367, 1269211443, 0x1C387F6F)
    assert CalculateNextWorkRequired(last, 1263163443, params) == 0x1D00E1FD
    assert PermittedDifficultyTransition(params, 46368, 0x1C387F6F, 0x1D00E1FD)
    assert not PermittedDifficultyTransition(params, 46368, 0x1C387F6F, 0x1D00E1FD + 1)


def test_regtest_never_retargets() -> None:
    params = CChainParams.RegTest().GetConsensus()
    last = index(143, 1296688602, 0x1D00FFFF)
    assert CalculateNextWorkRequired(last, 1296688602 - 10**6, params) == 0x1D00FFFF
    # Between retargets, a block long after its parent may be minimum difficulty.
    last = index(142, 1296688602, 0x1D00FFFF)
    assert GetNextWorkRequired(last, CBlockHeader(nTime=1296688602 + 1201), params) == 0x207FFFFF
    assert GetNextWorkRequired(last, CBlockHeader(nTime=1296688602 + 1200), params) == 0x1D00FFFF


def test_check_proof_of_work_rejects_negative_overflowing_too_easy_and_zero_targets() -> None:
    params = mainnet_consensus()
    one = uint256.FromInt(1)
    pow_limit = UintToArith256(params.powLimit)
    assert not CheckProofOfWork(one, GetCompact(pow_limit, True), params)
    assert not CheckProofOfWork(one, ~0x00800000 & 0xFFFFFFFF, params)
    assert not CheckProofOfWork(one, GetCompact(pow_limit * 2), params)
    assert not CheckProofOfWork(ArithToUint256(pow_limit * 2), GetCompact(pow_limit), params)
    assert not CheckProofOfWork(ArithToUint256(0), GetCompact(0), params)
    assert CheckProofOfWork(one, GetCompact(pow_limit), params)


def test_block_proof_is_two_to_the_256_over_target_plus_one() -> None:
    header = CBlockHeader(nBits=0x207FFFFF)
    target = SetCompact(0x207FFFFF)[0]
    assert GetBlockProof(header) == (1 << 256) // (target + 1) == 2
    assert GetBlockProof(CBlockHeader(nBits=0x01803456)) == 0  # negative
    assert GetBlockProof(CBlockHeader(nBits=0xFF123456)) == 0  # overflow
    assert (ARITH_MASK ^ target) // (target + 1) + 1 == 2


def test_get_block_proof_equivalent_time_is_the_time_difference_on_a_steady_chain() -> None:
    params = mainnet_consensus()
    blocks: list[CBlockIndex] = []
    for i in range(10000):
        b = index(i, 1269211443 + i * params.nPowTargetSpacing, 0x207FFFFF)
        b.pprev = blocks[i - 1] if i else None
        b.nChainWork = blocks[i - 1].nChainWork + GetBlockProof(blocks[i - 1]) if i else 0
        blocks.append(b)
    rng = random.Random(1)
    for _ in range(1000):
        p1, p2, p3 = (blocks[rng.randrange(10000)] for _ in range(3))
        tdiff = GetBlockProofEquivalentTime(p1, p2, p3, params)
        assert tdiff == p1.GetBlockTime() - p2.GetBlockTime()
