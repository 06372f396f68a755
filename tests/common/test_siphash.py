"""SipHash-2-4 against upstream's hash_tests.cpp vectors."""

from __future__ import annotations

from common.hash import Hash
from common.primitives.transaction import CMutableTransaction, CTransaction
from common.random import FastRandomContext
from common.siphash import CSipHasher, SipHashUint256, SipHashUint256Extra
from common.uint256 import uint256

K0 = 0x0706050403020100
K1 = 0x0F0E0D0C0B0A0908

# SipHash-2-4 of 00 01 02 ... (0 to 63 bytes) under the key 00 01 ... 0f, from the reference
# implementation (https://131002.net/siphash/siphash24.c).
SIPHASH_4_2_TESTVEC = (
    0x726FDB47DD0E0E31, 0x74F839C593DC67FD, 0x0D6C8009D9A94F5A, 0x85676696D7FB7E2D,
    0xCF2794E0277187B7, 0x18765564CD99A68D, 0xCBC9466E58FEE3CE, 0xAB0200F58B01D137,
    0x93F5F5799A932462, 0x9E0082DF0BA9E4B0, 0x7A5DBBC594DDB9F3, 0xF4B32F46226BADA7,
    0x751E8FBC860EE5FB, 0x14EA5627C0843D90, 0xF723CA908E7AF2EE, 0xA129CA6149BE45E5,
    0x3F2ACC7F57C29BDB, 0x699AE9F52CBE4794, 0x4BC1B3F0968DD39C, 0xBB6DC91DA77961BD,
    0xBED65CF21AA2EE98, 0xD0F2CBB02E3B67C7, 0x93536795E3A33E88, 0xA80C038CCD5CCEC8,
    0xB8AD50C6F649AF94, 0xBCE192DE8A85B8EA, 0x17D835B85BBB15F3, 0x2F2E6163076BCFAD,
    0xDE4DAAACA71DC9A5, 0xA6A2506687956571, 0xAD87A3535C49EF28, 0x32D892FAD841C342,
    0x7127512F72F27CCE, 0xA7F32346F95978E3, 0x12E0B01ABB051238, 0x15E034D40FA197AE,
    0x314DFFBE0815A3B4, 0x027990F029623981, 0xCADCD4E59EF40C4D, 0x9ABFD8766A33735C,
    0x0E3EA96B5304A7D0, 0xAD0C42D6FC585992, 0x187306C89BC215A9, 0xD4A60ABCF3792B95,
    0xF935451DE4F21DF2, 0xA9538F0419755787, 0xDB9ACDDFF56CA510, 0xD06C98CD5C0975EB,
    0xE612A3CB9ECBA951, 0xC766E62CFCADAF96, 0xEE64435A9752FE72, 0xA192D576B245165A,
    0x0A8787BF8ECB74B2, 0x81B3E73D20B49B6F, 0x7FA8220BA3B2ECEA, 0x245731C13CA42499,
    0xB78DBFAF3A8D83BD, 0xEA1AD565322A1A0B, 0x60E61C23A3795013, 0x6606D7E446282B93,
    0x6CA4ECB15C5F91E1, 0x9F626DA15C9625F3, 0xE51B38608EF25F57, 0x958A324CEB064572,
)  # fmt: skip


def test_siphash_incremental_writes_of_bytes_and_u64_match_upstream() -> None:
    hasher = CSipHasher(K0, K1)
    assert hasher.Finalize() == 0x726FDB47DD0E0E31
    hasher.Write(bytes([0]))
    assert hasher.Finalize() == 0x74F839C593DC67FD
    hasher.Write(bytes([1, 2, 3, 4, 5, 6, 7]))
    assert hasher.Finalize() == 0x93F5F5799A932462
    hasher.Write(0x0F0E0D0C0B0A0908)
    assert hasher.Finalize() == 0x3F2ACC7F57C29BDB
    hasher.Write(bytes([16, 17]))
    assert hasher.Finalize() == 0x4BC1B3F0968DD39C
    hasher.Write(bytes(range(18, 27)))
    assert hasher.Finalize() == 0x2F2E6163076BCFAD
    hasher.Write(bytes(range(27, 32)))
    assert hasher.Finalize() == 0x7127512F72F27CCE
    hasher.Write(0x2726252423222120)
    assert hasher.Finalize() == 0x0E3EA96B5304A7D0
    hasher.Write(0x2F2E2D2C2B2A2928)
    assert hasher.Finalize() == 0xE612A3CB9ECBA951


def test_siphash_uint256_matches_upstream_vector() -> None:
    val = uint256.FromHex("1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100")
    assert SipHashUint256(K0, K1, val) == 0x7127512F72F27CCE


def test_siphash_reference_vectors_one_byte_at_a_time() -> None:
    hasher = CSipHasher(K0, K1)
    for x, expected in enumerate(SIPHASH_4_2_TESTVEC):
        assert hasher.Finalize() == expected
        hasher.Write(bytes([x]))


def test_siphash_reference_vectors_eight_bytes_at_a_time() -> None:
    hasher = CSipHasher(K0, K1)
    for x in range(0, len(SIPHASH_4_2_TESTVEC), 8):
        assert hasher.Finalize() == SIPHASH_4_2_TESTVEC[x]
        hasher.Write(int.from_bytes(bytes(range(x, x + 8)), "little"))


def test_siphash_of_empty_version_1_transaction_hash() -> None:
    tx = CTransaction.from_mutable(CMutableTransaction(version=1))
    assert SipHashUint256(1, 2, Hash(tx.serialize())) == 0x79751E980C2A0A35


def test_siphash_uint256_and_extra_agree_with_incremental_hasher() -> None:
    ctx = FastRandomContext()
    for _ in range(16):
        k1 = ctx.rand64()
        k2 = ctx.rand64()
        x = ctx.rand256()
        n = ctx.rand32()
        sip256 = CSipHasher(k1, k2).Write(x.data)
        sip288 = sip256.copy().Write(n.to_bytes(4, "little"))
        assert SipHashUint256(k1, k2, x) == sip256.Finalize()
        assert SipHashUint256Extra(k1, k2, x, n) == sip288.Finalize()


def test_finalize_leaves_the_hasher_unchanged() -> None:
    hasher = CSipHasher(K0, K1).Write(b"abc")
    first = hasher.Finalize()
    assert hasher.Finalize() == first
    assert hasher.Write(b"d").Finalize() != first
