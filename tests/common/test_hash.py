"""MurmurHash3 against upstream's hash_tests.cpp vectors."""

from __future__ import annotations

import pytest

from common.hash import MurmurHash3


@pytest.mark.parametrize(
    ("expected", "seed", "data"),
    [
        (0x00000000, 0x00000000, ""),
        # 0xFBA4C795 is the seed step CBloomFilter::Hash uses.
        (0x6A396F08, 0xFBA4C795, ""),
        (0x81F16F39, 0xFFFFFFFF, ""),
        (0x514E28B7, 0x00000000, "00"),
        (0xEA3F0B17, 0xFBA4C795, "00"),
        (0xFD6CF10D, 0x00000000, "ff"),
        (0x16C6B7AB, 0x00000000, "0011"),
        (0x8EB51C3D, 0x00000000, "001122"),
        (0xB4471BF8, 0x00000000, "00112233"),
        (0xE2301FA8, 0x00000000, "0011223344"),
        (0xFC2E4A15, 0x00000000, "001122334455"),
        (0xB074502C, 0x00000000, "00112233445566"),
        (0x8034D2A0, 0x00000000, "0011223344556677"),
        (0xB4698DEF, 0x00000000, "001122334455667788"),
    ],
)
def test_murmurhash3_matches_upstream_vectors(expected: int, seed: int, data: str) -> None:
    assert MurmurHash3(seed, bytes.fromhex(data)) == expected


def test_murmurhash3_seed_wraps_to_32_bits() -> None:
    assert MurmurHash3(0xFBA4C795 + (1 << 32), b"\x00") == 0xEA3F0B17
