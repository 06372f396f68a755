"""CBloomFilter and CRollingBloomFilter against upstream's bloom_tests.cpp."""

from __future__ import annotations

import pytest

from common import random as random_mod
from common.bloom import (
    BLOOM_UPDATE_ALL,
    BLOOM_UPDATE_NONE,
    BLOOM_UPDATE_P2PUBKEY_ONLY,
    MAX_BLOOM_FILTER_SIZE,
    MAX_HASH_FUNCS,
    CBloomFilter,
    CRollingBloomFilter,
    FastRange32,
)
from common.hash import Hash160
from common.primitives.block import CBlock
from common.primitives.transaction import COutPoint, CTransaction, CTxOut
from common.random import (
    FastRandomContext,
    GetRandHash,
    SeedRand,
    SeedRandomStateForTest,
)
from common.serialize import DataStream
from common.uint256 import uint256

BLOOM_MATCH_TX = (
    "01000000010b26e9b7735eb6aabdf358bab62f9816a21ba9ebdb719d5299e88607d722c190000000008b4830"
    "450220070aca44506c5cef3a16ed519d7c3c39f8aab192c4e1c90d065f37b8a4af6141022100a8e160b856c2"
    "d43d27d8fba71e5aef6405b8643ac4cb7cb3c462aced7f14711a0141046d11fee51b0e60666d5049a9101a72"
    "741df480b96ee26488a4d3466b95c9a40ac5eeef87e10a5cd336c19a84565f80fa6c547957b7700ff4dfbdef"
    "e76036c339ffffffff021bff3d11000000001976a91404943fdd508053c75000106d3bc6e2754dbcff1988ac"
    "2f15de00000000001976a914a266436d2965547608b9e15d9032a7b9d64fa43188ac00000000"
)
BLOOM_MATCH_SPENDING_TX = (
    "01000000016bff7fcd4f8565ef406dd5d63d4ff94f318fe82027fd4dc451b04474019f74b4000000008c4930"
    "46022100da0dc6aecefe1e06efdf05773757deb168820930e3b0d03f46f5fcf150bf990c022100d25b5c8704"
    "0076e4f253f8262e763e2dd51e7ff0be157727c4bc42807f17bd39014104e6c26ef67dc610d2cd192484789a"
    "6cf9aea9930b944b7e2db5342b9d9e5b9ff79aff9a2ee1978dd7fd01dfc522ee02283d3b06a9d03acf809696"
    "8d7dbb0f9178ffffffff028ba7940e000000001976a914badeecfdef0507247fc8f74241d73bc039972d7b88"
    "ac4094a802000000001976a914c10932483fec93ed51f5fe95e72559f2cc7043f988ac00000000"
)
MERKLE_BLOCK_2 = (
    "0100000075616236cc2126035fadb38deb65b9102cc2c41c09cdf29fc051906800000000fe7d5e12ef0ff901"
    "f6050211249919b1c0653771832b3a80c66cea42847f0ae1d4d26e49ffff001d00f0a4410401000000010000"
    "000000000000000000000000000000000000000000000000000000000000ffffffff0804ffff001d029105ff"
    "ffffff0100f2052a010000004341046d8709a041d34357697dfcb30a9d05900a6294078012bf3bb09c6f9b52"
    "5f1d16d5503d7905db1ada9501446ea00728668fc5719aa80be2fdfc8a858a4dbdd4fbac0000000001000000"
    "0255605dc6f5c3dc148b6da58442b0b2cd422be385eab2ebea4119ee9c268d28350000000049483045022100"
    "aa46504baa86df8a33b1192b1b9367b4d729dc41e389f2c04f3e5c7f0559aae702205e82253a54bf5c4f65b7"
    "428551554b2045167d6d206dfe6a2e198127d3f7df1501ffffffff55605dc6f5c3dc148b6da58442b0b2cd42"
    "2be385eab2ebea4119ee9c268d2835010000004847304402202329484c35fa9d6bb32a55a70c0982f606ce0e"
    "3634b69006138683bcd12cbb6602200c28feb1e2555c3210f1dddb299738b4ff8bbe9667b68cb8764b5ac17b"
    "7adf0001ffffffff0200e1f505000000004341046a0765b5865641ce08dd39690aade26dfbf5511430ca428a"
    "3089261361cef170e3929a68aee3d8d4848b0c5111b0a37b82b86ad559fd2a745b44d8e8d9dfdc0cac00180d"
    "8f000000004341044a656f065871a353f216ca26cef8dde2f03e8c16202d2e8ad769f02032cb86a5eb5e5684"
    "2e92e19141d60a01928f8dd2c875a390f67c1f6c94cfc617c0ea45afac0000000001000000025f9a06d3acdc"
    "eb56be1bfeaa3e8a25e62d182fa24fefe899d1c17f1dad4c2028000000004847304402205d6058484157235b"
    "06028c30736c15613a28bdb768ee628094ca8b0030d4d6eb0220328789c9a2ec27ddaec0ad5ef58efded42e6"
    "ea17c2e1ce838f3d6913f5e95db601ffffffff5f9a06d3acdceb56be1bfeaa3e8a25e62d182fa24fefe899d1"
    "c17f1dad4c2028010000004a493046022100c45af050d3cea806cedd0ab22520c53ebe63b987b8954146cdca"
    "42487b84bdd6022100b9b027716a6b59e640da50a864d6dd8a0ef24c76ce62391fa3eabaf4d2886d2d01ffff"
    "ffff0200e1f505000000004341046a0765b5865641ce08dd39690aade26dfbf5511430ca428a3089261361ce"
    "f170e3929a68aee3d8d4848b0c5111b0a37b82b86ad559fd2a745b44d8e8d9dfdc0cac00180d8f0000000043"
    "41046a0765b5865641ce08dd39690aade26dfbf5511430ca428a3089261361cef170e3929a68aee3d8d4848b"
    "0c5111b0a37b82b86ad559fd2a745b44d8e8d9dfdc0cac000000000100000002e2274e5fea1bf29d963914bd"
    "301aa63b64daaf8a3e88f119b5046ca5738a0f6b0000000048473044022016e7a727a061ea2254a6c358376a"
    "aa617ac537eb836c77d646ebda4c748aac8b0220192ce28bf9f2c06a6467e6531e27648d2b3e2e2bae85159c"
    "9242939840295ba501ffffffffe2274e5fea1bf29d963914bd301aa63b64daaf8a3e88f119b5046ca5738a0f"
    "6b010000004a493046022100b7a1a755588d4190118936e15cd217d133b0e4a53c3c15924010d5648d8925c9"
    "022100aaef031874db2114f2d869ac2de4ae53908fbfea5b2b1862e181626bb9005c9f01ffffffff0200e1f5"
    "05000000004341044a656f065871a353f216ca26cef8dde2f03e8c16202d2e8ad769f02032cb86a5eb5e5684"
    "2e92e19141d60a01928f8dd2c875a390f67c1f6c94cfc617c0ea45afac00180d8f000000004341046a0765b5"
    "865641ce08dd39690aade26dfbf5511430ca428a3089261361cef170e3929a68aee3d8d4848b0c5111b0a37b"
    "82b86ad559fd2a745b44d8e8d9dfdc0cac00000000"
)
MERKLE_BLOCK_4 = (
    "0100000082bb869cf3a793432a66e826e05a6fc37469f8efb7421dc880670100000000007f16c5962e8bd963"
    "659c793ce370d95f093bc7e367117b3c30c1f8fdd0d9728776381b4d4c86041b554b85290701000000010000"
    "000000000000000000000000000000000000000000000000000000000000ffffffff07044c86041b0136ffff"
    "ffff0100f2052a01000000434104eaafc2314def4ca98ac970241bcab022b9c1e1f4ea423a20f134c876f2c0"
    "1ec0f0dd5b2e86e7168cefe0d81113c3807420ce13ad1357231a2252247d97a46a91ac000000000100000001"
    "bcad20a6a29827d1424f08989255120bf7f3e9e3cdaaa6bb31b0737fe048724300000000494830450220356e"
    "834b046cadc0f8ebb5a8a017b02de59c86305403dad52cd77b55af062ea10221009253cd6c119d4729b77c97"
    "8e1e2aa19f5ea6e0e52b3f16e32fa608cd5bab753901ffffffff02008d380c010000001976a9142b4b8072ec"
    "bba129b6453c63e129e643207249ca88ac0065cd1d000000001976a9141b8dd13b994bcfc787b32aeadf58cc"
    "b3615cbd5488ac000000000100000003fdacf9b3eb077412e7a968d2e4f11b9a9dee312d666187ed77ee7d26"
    "af16cb0b000000008c493046022100ea1608e70911ca0de5af51ba57ad23b9a51db8d28f82c53563c56a05c2"
    "0f5a87022100a8bdc8b4a8acc8634c6b420410150775eb7f2474f5615f7fccd65af30f310fbf01410465fdf4"
    "9e29b06b9a1582287b6279014f834edc317695d125ef623c1cc3aaece245bd69fcad7508666e9c74a49dc905"
    "6d5fc14338ef38118dc4afae5fe2c585caffffffff309e1913634ecb50f3c4f83e96e70b2df071b497b8973a"
    "3e75429df397b5af83000000004948304502202bdb79c596a9ffc24e96f4386199aba386e9bc7b6071516e2b"
    "51dda942b3a1ed022100c53a857e76b724fc14d45311eac5019650d415c3abb5428f3aae16d8e69bec2301ff"
    "ffffff2089e33491695080c9edc18a428f7d834db5b6d372df13ce2b1b0e0cbcb1e6c1000000004948304502"
    "2100d4ce67c5896ee251c810ac1ff9ceccd328b497c8f553ab6e08431e7d40bad6b5022033119c0c2b7d792d"
    "31f1187779c7bd95aefd93d90a715586d73801d9b47471c601ffffffff0100714460030000001976a914c7b5"
    "5141d097ea5df7a0ed330cf794376e53ec8d88ac0000000001000000045bf0e214aa4069a3e792ecee1e1bf0"
    "c1d397cde8dd08138f4b72a00681743447000000008b48304502200c45de8c4f3e2c1821f2fc878cba97b1e6"
    "f8807d94930713aa1c86a67b9bf1e40221008581abfef2e30f957815fc89978423746b2086375ca8ecf359c8"
    "5c2a5b7c88ad01410462bb73f76ca0994fcb8b4271e6fb7561f5c0f9ca0cf6485261c4a0dc894f4ab844c6cd"
    "fb97cd0b60ffb5018ffd6238f4d87270efb1d3ae37079b794a92d7ec95ffffffffd669f7d7958d40fc59d225"
    "3d88e0f248e29b599c80bbcec344a83dda5f9aa72c000000008a473044022078124c8beeaa825f9e0b30bff9"
    "6e564dd859432f2d0cb3b72d3d5d93d38d7e930220691d233b6c0f995be5acb03d70a7f7a65b6bc9bdd42626"
    "0f38a1346669507a3601410462bb73f76ca0994fcb8b4271e6fb7561f5c0f9ca0cf6485261c4a0dc894f4ab8"
    "44c6cdfb97cd0b60ffb5018ffd6238f4d87270efb1d3ae37079b794a92d7ec95fffffffff878af0d93f5229a"
    "68166cf051fd372bb7a537232946e0a46f53636b4dafdaa4000000008c493046022100c717d1714551663f69"
    "c3c5759bdbb3a0fcd3fab023abc0e522fe6440de35d8290221008d9cbe25bffc44af2b18e81c58eb37293fd7"
    "fe1c2e7b46fc37ee8c96c50ab1e201410462bb73f76ca0994fcb8b4271e6fb7561f5c0f9ca0cf6485261c4a0"
    "dc894f4ab844c6cdfb97cd0b60ffb5018ffd6238f4d87270efb1d3ae37079b794a92d7ec95ffffffff27f2b6"
    "68859cd7f2f894aa0fd2d9e60963bcd07c88973f425f999b8cbfd7a1e2000000008c493046022100e0084714"
    "7cbf517bcc2f502f3ddc6d284358d102ed20d47a8aa788a62f0db780022100d17b2d6fa84dcaf1c95d88d7e7"
    "c30385aecf415588d749afd3ec81f6022cecd701410462bb73f76ca0994fcb8b4271e6fb7561f5c0f9ca0cf6"
    "485261c4a0dc894f4ab844c6cdfb97cd0b60ffb5018ffd6238f4d87270efb1d3ae37079b794a92d7ec95ffff"
    "ffff0100c817a8040000001976a914b6efd80d99179f4f4ff6f4dd0a007d018c385d2188ac00000000010000"
    "0001834537b2f1ce8ef9373a258e10545ce5a50b758df616cd4356e0032554ebd3c4000000008b4830450221"
    "00e68f422dd7c34fdce11eeb4509ddae38201773dd62f284e8aa9d96f85099d0b002202243bd399ff96b649a"
    "0fad05fa759d6a882f0af8c90cf7632c2840c29070aec20141045e58067e815c2f464c6a2a15f98775837420"
    "3895710c2d452442e28496ff38ba8f5fd901dc20e29e88477167fe4fc299bf818fd0d9e1632d467b2a3d9503"
    "b1aaffffffff0280d7e636030000001976a914f34c3e10eb387efe872acb614c89e78bfca7815d88ac404b4c"
    "00000000001976a914a84e272933aaf87e1715d7786c51dfaeb5b65a6f88ac00000000010000000143ac81c8"
    "e6f6ef307dfe17f3d906d999e23e0189fda838c5510d850927e03ae7000000008c4930460221009c87c34476"
    "0a64cb8ae6685a3eec2c1ac1bed5b88c87de51acd0e124f266c16602210082d07c037359c3a257b5c63ebd90"
    "f5a5edf97b2ac1c434b08ca998839f346dd40141040ba7e521fa7946d12edbb1d1e95a15c34bd4398195e864"
    "33c92b431cd315f455fe30032ede69cad9d1e1ed6c3c4ec0dbfced53438c625462afb792dcb098544bffffff"
    "ff0240420f00000000001976a9144676d1b820d63ec272f1900d59d43bc6463d96f888ac40420f0000000000"
    "1976a914648d04341d00d7968b3405c034adc38d4d8fb9bd88ac00000000010000000248cc917501ea5c55f4"
    "a8d2009c0567c40cfe037c2e71af017d0a452ff705e3f1000000008b483045022100bf5fdc86dc5f08a5d5c8"
    "e43a8c9d5b1ed8c65562e280007b52b133021acd9acc02205e325d613e555f772802bf413d36ba807892ed1a"
    "690a77811d3033b3de226e0a01410429fa713b124484cb2bd7b5557b2c0b9df7b2b1fee61825eadc5ae6c37a"
    "9920d38bfccdc7dc3cb0c47d7b173dbc9db8d37db0a33ae487982c59c6f8606e9d1791ffffffff41ed70551d"
    "d7e841883ab8f0b16bf04176b7d1480e4f0af9f3d4c3595768d068000000008b4830450221008513ad65187b"
    "903aed1102d1d0c47688127658c51106753fed0151ce9c16b80902201432b9ebcb87bd04ceb2de66035fbbaf"
    "4bf8b00d1cfe41f1a1f7338f9ad79d210141049d4cf80125bf50be1709f718c07ad15d0fc612b7da1f5570dd"
    "dc35f2a352f0f27c978b06820edca9ef982c35fda2d255afba340068c5035552368bc7200c1488ffffffff01"
    "00093d00000000001976a9148edb68822f1ad580b043c7b3df2e400f8699eb4888ac00000000"
)


@pytest.fixture(autouse=True)
def _restore_rng_seeding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the global RNG back as the test found it (seeded or not)."""
    monkeypatch.setattr(random_mod, "_deterministic_prng", random_mod._deterministic_prng)


def _tx(hex_str: str) -> CTransaction:
    return CTransaction.deserialize(DataStream(bytes.fromhex(hex_str)))


def _block(hex_str: str) -> CBlock:
    return CBlock.deserialize(DataStream(bytes.fromhex(hex_str)))


def _txid(hex_str: str) -> uint256:
    return uint256.FromHex(hex_str)


def _matched(block: CBlock, bloom: CBloomFilter) -> list[int]:
    # What CMerkleBlock(block, filter) records: the index of every tx IsRelevantAndUpdate accepts.
    return [i for i, tx in enumerate(block.vtx) if bloom.IsRelevantAndUpdate(tx)]


KEYS = (
    "99108ad8ed9bb6274d3980bab5a85c048f0950c8",
    "b5a2c786d9ef4658287ced5914b37a1b4aa32eee",
    "b9300670b4c5366e95b2699e8b18bc75e5f729c5",
)


def test_bloom_create_insert_serialize_matches_upstream_bytes() -> None:
    bloom = CBloomFilter(3, 0.01, 0, BLOOM_UPDATE_ALL)
    assert not bloom.contains(bytes.fromhex(KEYS[0]))
    for key in KEYS:
        bloom.insert(bytes.fromhex(key))
        assert bloom.contains(bytes.fromhex(key))
    # One bit different in the first byte.
    assert not bloom.contains(bytes.fromhex("19108ad8ed9bb6274d3980bab5a85c048f0950c8"))
    assert bloom.serialize().hex() == "03614e9b050000000000000001"


def test_bloom_create_insert_serialize_with_tweak_matches_upstream_bytes() -> None:
    bloom = CBloomFilter(3, 0.01, 2147483649, BLOOM_UPDATE_ALL)
    for key in KEYS:
        bloom.insert(bytes.fromhex(key))
        assert bloom.contains(bytes.fromhex(key))
    assert not bloom.contains(bytes.fromhex("19108ad8ed9bb6274d3980bab5a85c048f0950c8"))
    assert bloom.serialize().hex() == "03ce4299050000000100008001"


def _b58decode(s: str) -> bytes:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n = 0
    for c in s:
        n = n * 58 + alphabet.index(c)
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def _secp256k1_pubkey(secret: int) -> bytes:
    # Uncompressed public key by double-and-add in affine coordinates (test-only, slow is fine).
    p = 2**256 - 2**32 - 977
    g = (
        0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
        0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
    )

    def add(a: tuple[int, int] | None, b: tuple[int, int] | None) -> tuple[int, int] | None:
        if a is None:
            return b
        if b is None:
            return a
        if a[0] == b[0] and (a[1] + b[1]) % p == 0:
            return None
        if a == b:
            lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, p) % p
        else:
            lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, p) % p
        x = (lam * lam - a[0] - b[0]) % p
        return x, (lam * (a[0] - x) - a[1]) % p

    result: tuple[int, int] | None = None
    point: tuple[int, int] | None = g
    while secret:
        if secret & 1:
            result = add(result, point)
        point = add(point, point)
        secret >>= 1
    assert result is not None
    return b"\x04" + result[0].to_bytes(32, "big") + result[1].to_bytes(32, "big")


def test_bloom_create_insert_key_matches_upstream_bytes() -> None:
    wif = _b58decode("5Kg1gnAjaLfKiwhhPpGS3QfRg2m6awQvaj98JCZBZQ5SuS2F15C")
    assert wif[0] == 0x80 and len(wif) == 37  # mainnet, uncompressed key
    pubkey = _secp256k1_pubkey(int.from_bytes(wif[1:33], "big"))
    bloom = CBloomFilter(2, 0.001, 0, BLOOM_UPDATE_ALL)
    bloom.insert(pubkey)
    bloom.insert(Hash160(pubkey))
    assert bloom.serialize().hex() == "038fc16b080000000000000001"


def _fresh() -> CBloomFilter:
    return CBloomFilter(10, 0.000001, 0, BLOOM_UPDATE_ALL)


PREVOUT_TXID = "90c122d70786e899529d71dbeba91ba216982fb6ba58f3bdaab65e73b7e9260b"


@pytest.mark.parametrize(
    ("key", "relevant"),
    [
        # The txid, as a uint256 and as raw bytes.
        (_txid("b4749f017444b051c44dfd2720e88f314ff94f3dd6d56d40ef65854fcd7fff6b"), True),
        (bytes.fromhex("6bff7fcd4f8565ef406dd5d63d4ff94f318fe82027fd4dc451b04474019f74b4"), True),
        # The input's signature and public key.
        (
            bytes.fromhex(
                "30450220070aca44506c5cef3a16ed519d7c3c39f8aab192c4e1c90d065f37b8a4af6141022100a8e1"
                "60b856c2d43d27d8fba71e5aef6405b8643ac4cb7cb3c462aced7f14711a01"
            ),
            True,
        ),
        (
            bytes.fromhex(
                "046d11fee51b0e60666d5049a9101a72741df480b96ee26488a4d3466b95c9a40ac5eeef87e10a5cd3"
                "36c19a84565f80fa6c547957b7700ff4dfbdefe76036c339"
            ),
            True,
        ),
        # The second output's address.
        (bytes.fromhex("a266436d2965547608b9e15d9032a7b9d64fa431"), True),
        # The spent outpoint, as a COutPoint and serialized by hand.
        (COutPoint(_txid(PREVOUT_TXID), 0), True),
        (_txid(PREVOUT_TXID).data + (0).to_bytes(4, "little"), True),
        # Near misses.
        (_txid("00000009e784f32f62ef849763d4f45b98e07ba658647343b915ff832b110436"), False),
        (bytes.fromhex("0000006d2965547608b9e15d9032a7b9d64fa431"), False),
        (COutPoint(_txid(PREVOUT_TXID), 1), False),
        (
            COutPoint(_txid("000000d70786e899529d71dbeba91ba216982fb6ba58f3bdaab65e73b7e9260b"), 0),
            False,
        ),
    ],
)
def test_bloom_match_finds_tx_by_each_upstream_key(
    key: bytes | uint256 | COutPoint, relevant: bool
) -> None:
    tx = _tx(BLOOM_MATCH_TX)
    bloom = _fresh()
    bloom.insert(key)
    assert bloom.IsRelevantAndUpdate(tx) is relevant


def test_bloom_match_output_address_adds_outpoint_so_spending_tx_matches() -> None:
    tx = _tx(BLOOM_MATCH_TX)
    spending = _tx(BLOOM_MATCH_SPENDING_TX)
    assert spending.GetHash() == _txid(
        "e2769b09e784f32f62ef849763d4f45b98e07ba658647343b915ff832b110436"
    )
    bloom = _fresh()
    bloom.insert(bytes.fromhex("04943fdd508053c75000106d3bc6e2754dbcff19"))
    assert bloom.IsRelevantAndUpdate(tx)
    assert bloom.contains(COutPoint(tx.GetHash(), 0))
    assert bloom.IsRelevantAndUpdate(spending)


def test_merkle_block_2_update_all_follows_spends_of_matched_outputs() -> None:
    block = _block(MERKLE_BLOCK_2)
    bloom = _fresh()
    bloom.insert(_txid("e980fe9f792d014e73b95203dc1335c5f9ce19ac537a419e6df5b47aecb93b70"))
    assert _matched(block, bloom) == [0]
    pubkey = bytes.fromhex(
        "044a656f065871a353f216ca26cef8dde2f03e8c16202d2e8ad769f02032cb86a5eb5e56842e92e19141d6"
        "0a01928f8dd2c875a390f67c1f6c94cfc617c0ea45af"
    )
    bloom.insert(pubkey)
    assert _matched(block, bloom) == [0, 1, 2, 3]
    assert [block.vtx[i].GetHash().GetHex() for i in (1, 2, 3)] == [
        "28204cad1d7fc1d199e8ef4fa22f182de6258a3eaafe1bbe56ebdcacd3069a5f",
        "6b0f8a73a56c04b519f1883e8aafda643ba61a30bd1439969df21bea5f4e27e2",
        "3c1d7e82342158e4109df2e0b6348b6e84e403d8b4046d7007663ace63cddb23",
    ]


def test_merkle_block_2_update_none_does_not_follow_spends() -> None:
    block = _block(MERKLE_BLOCK_2)
    bloom = CBloomFilter(10, 0.000001, 0, BLOOM_UPDATE_NONE)
    bloom.insert(_txid("e980fe9f792d014e73b95203dc1335c5f9ce19ac537a419e6df5b47aecb93b70"))
    assert _matched(block, bloom) == [0]
    bloom.insert(
        bytes.fromhex(
            "044a656f065871a353f216ca26cef8dde2f03e8c16202d2e8ad769f02032cb86a5eb5e56842e92e191"
            "41d60a01928f8dd2c875a390f67c1f6c94cfc617c0ea45af"
        )
    )
    assert _matched(block, bloom) == [0, 1, 3]


GENERATION_PUBKEY = bytes.fromhex(
    "04eaafc2314def4ca98ac970241bcab022b9c1e1f4ea423a20f134c876f2c01ec0f0dd5b2e86e7168cefe0d811"
    "13c3807420ce13ad1357231a2252247d97a46a91"
)


@pytest.mark.parametrize(
    ("flags", "adds_generation_outpoint"),
    [(BLOOM_UPDATE_P2PUBKEY_ONLY, True), (BLOOM_UPDATE_NONE, False)],
)
def test_merkle_block_4_p2pubkey_only_adds_only_pay_to_pubkey_outpoints(
    flags: int, adds_generation_outpoint: bool
) -> None:
    block = _block(MERKLE_BLOCK_4)
    bloom = CBloomFilter(10, 0.000001, 0, flags)
    bloom.insert(GENERATION_PUBKEY)
    # ...and the output address of the 4th transaction (pay-to-pubkey-hash).
    bloom.insert(bytes.fromhex("b6efd80d99179f4f4ff6f4dd0a007d018c385d21"))
    _matched(block, bloom)
    generation = COutPoint(
        _txid("147caa76786596590baa4e98f5d9f48b86c7765e489f7a6ff3360fe5c674360b"), 0
    )
    fourth = COutPoint(_txid("02981fa052f0481dbc5868f4fc2166035a10f27a03cfd2de67326471df5bc041"), 0)
    assert bloom.contains(generation) is adds_generation_outpoint
    assert not bloom.contains(fourth)


KEY_02 = "02" + "11" * 32
KEY_03 = "03" + "22" * 32


@pytest.mark.parametrize(
    ("script_hex", "pushed", "adds"),
    [
        # 1-of-2 bare multisig with compressed keys.
        ("5121" + KEY_02 + "21" + KEY_03 + "52ae", KEY_02, True),
        # The key count pushed as data instead of OP_2: not minimal, so not multisig.
        ("5121" + KEY_02 + "21" + KEY_03 + "0102ae", KEY_02, False),
        # n does not match the number of keys.
        ("5121" + KEY_02 + "53ae", KEY_02, False),
        # Pay-to-pubkey-hash.
        ("76a914" + "11" * 20 + "88ac", "11" * 20, False),
        # Pay-to-pubkey, compressed.
        ("21" + KEY_02 + "ac", KEY_02, True),
        # Pay-to-pubkey with a bad key header.
        ("21" + "05" + "11" * 32 + "ac", "05" + "11" * 32, False),
    ],
)
def test_p2pubkey_only_adds_outpoints_of_pubkey_and_multisig_outputs_only(
    script_hex: str, pushed: str, adds: bool
) -> None:
    tx = CTransaction(vout=[CTxOut(1, bytes.fromhex(script_hex))])
    bloom = CBloomFilter(10, 0.000001, 0, BLOOM_UPDATE_P2PUBKEY_ONLY)
    bloom.insert(bytes.fromhex(pushed))
    assert bloom.IsRelevantAndUpdate(tx)
    assert bloom.contains(COutPoint(tx.GetHash(), 0)) is adds


def test_empty_filter_matches_everything_and_inserts_nothing() -> None:
    bloom = CBloomFilter()
    bloom.insert(b"abc")
    assert bloom.contains(b"anything")
    assert bloom.IsRelevantAndUpdate(_tx(BLOOM_MATCH_TX))
    assert bloom.serialize().hex() == "00" + "00000000" + "00000000" + "00"


def test_filter_size_is_clamped_to_protocol_limits() -> None:
    bloom = CBloomFilter(1_000_000, 0.0000001, 0, BLOOM_UPDATE_NONE)
    assert len(bloom.vData) == MAX_BLOOM_FILTER_SIZE
    assert bloom.nHashFuncs <= MAX_HASH_FUNCS
    assert bloom.IsWithinSizeConstraints()


def test_deserialized_oversized_filter_is_outside_size_constraints() -> None:
    too_big = CBloomFilter.deserialize(
        DataStream(
            bytes.fromhex("fd" + (36001).to_bytes(2, "little").hex()) + bytes(36001) + bytes(9)
        )
    )
    assert not too_big.IsWithinSizeConstraints()
    too_many_funcs = CBloomFilter.deserialize(
        DataStream(bytes.fromhex("0100" + "33000000" + "00" * 5))
    )
    assert too_many_funcs.nHashFuncs == 51
    assert not too_many_funcs.IsWithinSizeConstraints()


def test_filter_round_trips_through_serialization() -> None:
    bloom = CBloomFilter(3, 0.01, 2147483649, BLOOM_UPDATE_ALL)
    bloom.insert(bytes.fromhex(KEYS[0]))
    again = CBloomFilter.deserialize(DataStream(bloom.serialize()))
    assert again.serialize() == bloom.serialize()
    assert again.contains(bytes.fromhex(KEYS[0]))


def test_fastrange32_maps_high_bits_into_range() -> None:
    assert FastRange32(0, 10) == 0
    assert FastRange32(0xFFFFFFFF, 10) == 9
    assert FastRange32(0x80000000, 10) == 5


def test_rolling_bloom_matches_upstream_false_positive_counts() -> None:
    # Upstream's rolling_bloom case: SeedRandomForTest(ZEROS) seeds the global RNG and reseeds
    # the fixture's m_rng from it, so the tweak and the data are upstream's, bit for bit.
    SeedRandomStateForTest(SeedRand.ZEROS)
    m_rng = FastRandomContext(seed=GetRandHash())

    def random_data() -> bytes:
        return m_rng.rand256().data

    rb1 = CRollingBloomFilter(100, 0.01)
    data = [random_data() for _ in range(399)]
    for d in data:
        rb1.insert(d)
    # The last 100 are guaranteed to be remembered.
    assert all(rb1.contains(d) for d in data[299:])
    n_hits = sum(rb1.contains(random_data()) for _ in range(10000))
    assert n_hits == 71

    assert rb1.contains(data[-1])
    rb1.reset()
    assert not rb1.contains(data[-1])

    # Roll through the data: the last 100 entries are always remembered.
    for i, d in enumerate(data):
        if i >= 100:
            assert rb1.contains(data[i - 100])
        rb1.insert(d)
        assert rb1.contains(d)
    for _ in range(999):
        d = random_data()
        rb1.insert(d)
        assert rb1.contains(d)
    assert sum(rb1.contains(d) for d in data) == 3

    rb2 = CRollingBloomFilter(1000, 0.001)
    for d in data:
        rb2.insert(d)
    assert all(rb2.contains(d) for d in data)


@pytest.mark.parametrize(
    ("n_elements", "fp_rate", "hash_funcs", "words"),
    [
        # Expected values computed with upstream's C++ expressions (double arithmetic, C round()).
        (100, 0.01, 7, 46),
        (1000, 0.001, 10, 674),
        (5000, 0.001, 10, 3370),
        (3500, 0.000001, 20, 4718),
        (120000, 0.000001, 20, 161750),
    ],
)
def test_rolling_bloom_sizes_follow_upstream_formula(
    n_elements: int, fp_rate: float, hash_funcs: int, words: int
) -> None:
    rb = CRollingBloomFilter(n_elements, fp_rate)
    assert rb.nHashFuncs == hash_funcs
    assert rb.nEntriesPerGeneration == (n_elements + 1) // 2
    assert len(rb.data) == words
