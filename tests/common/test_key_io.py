"""Address codecs on regtest: Base58Check, Bech32/Bech32m (BIP173/BIP350) and key_io's
DecodeDestination with upstream's error strings.

Vectors: upstream's src/test/data/key_io_valid.json, key_io_invalid.json and
base58_encode_decode.json (copied into tests/common/data), and the cases of
src/test/bech32_tests.cpp. Vectors for other chains are re-encoded with the regtest prefix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from common import bech32
from common.addresstype import (
    ExtractDestination,
    GetScriptForDestination,
    IsValidDestination,
    PayToAnchor,
    PKHash,
    WitnessV0KeyHash,
)
from common.base58 import DecodeBase58, DecodeBase58Check, EncodeBase58, EncodeBase58Check
from common.chainparams import Params
from common.key_io import (
    DecodeDestination,
    DecodeDestinationWithErrors,
    EncodeDestination,
    IsValidDestinationString,
)
from common.strencodings import ConvertBits

DATA = Path(__file__).parent / "data"


def load(name: str) -> list[Any]:
    data: list[Any] = json.loads((DATA / name).read_text())
    return data


VALID: list[Any] = load("key_io_valid.json")
REGTEST_VALID = [v for v in VALID if v[2]["chain"] == "regtest" and not v[2]["isPrivkey"]]
OTHER_SEGWIT = [
    v for v in VALID if not v[2]["isPrivkey"] and v[0].lower().startswith(("bc1", "tb1"))
]
TEST_BASE58 = [
    v
    for v in VALID
    if not v[2]["isPrivkey"] and v[2]["chain"] in ("testnet4", "signet") and v[0][0] in "mn2"
]
MAIN_BASE58 = [v for v in VALID if not v[2]["isPrivkey"] and v[2]["chain"] == "main"
               and v[0][0] in "13"]  # fmt: skip


def to_regtest(address: str) -> str:
    """The same witness program and checksum kind under the regtest prefix."""
    dec = bech32.Decode(address)
    assert dec.encoding != bech32.Encoding.INVALID
    return bech32.Encode(dec.encoding, "bcrt", dec.data)


def bech32_address(
    encoding: bech32.Encoding, version: int, program: bytes, hrp: str = "bcrt"
) -> str:
    data = ConvertBits(8, 5, True, program)
    assert data is not None
    return bech32.Encode(encoding, hrp, [version, *data])


# --- valid addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "script_hex", "meta"), REGTEST_VALID)
def test_regtest_vectors_decode_to_their_script_and_encode_back(
    address: str, script_hex: str, meta: dict[str, Any]
) -> None:
    dest = DecodeDestination(address)
    assert IsValidDestination(dest)
    assert GetScriptForDestination(dest).hex() == script_hex
    assert EncodeDestination(dest) == address
    ok, extracted = ExtractDestination(bytes.fromhex(script_hex))
    assert ok and extracted == dest
    if meta.get("tryCaseFlip"):
        assert DecodeDestination(address.swapcase()) == dest


@pytest.mark.parametrize(("address", "script_hex", "meta"), OTHER_SEGWIT)
def test_mainnet_and_testnet_segwit_vectors_work_under_the_regtest_prefix(
    address: str, script_hex: str, meta: dict[str, Any]
) -> None:
    # Under its own prefix the address is not a regtest address...
    assert not IsValidDestinationString(address)
    # ...and under regtest's it is the same output.
    regtest_address = to_regtest(address)
    dest = DecodeDestination(regtest_address)
    assert GetScriptForDestination(dest).hex() == script_hex
    assert EncodeDestination(dest) == regtest_address


@pytest.mark.parametrize(("address", "script_hex", "meta"), TEST_BASE58)
def test_testnet_base58_vectors_are_regtest_addresses(
    address: str, script_hex: str, meta: dict[str, Any]
) -> None:
    # Test networks and regtest share the Base58 prefixes 111 (P2PKH) and 196 (P2SH).
    dest = DecodeDestination(address)
    assert GetScriptForDestination(dest).hex() == script_hex
    assert EncodeDestination(dest) == address


@pytest.mark.parametrize(("address", "script_hex", "meta"), MAIN_BASE58)
def test_mainnet_base58_vectors_are_unsupported_on_regtest(
    address: str, script_hex: str, meta: dict[str, Any]
) -> None:
    assert (
        DecodeDestinationWithErrors(address)[1] == "Invalid or unsupported Base58-encoded address."
    )


@pytest.mark.parametrize("vector", load("key_io_invalid.json"))
def test_invalid_vectors_are_invalid_on_regtest(vector: list[str]) -> None:
    assert not IsValidDestinationString(vector[0])


def test_pay_to_anchor_has_its_own_address() -> None:
    address = EncodeDestination(PayToAnchor())
    assert address == bech32_address(bech32.Encoding.BECH32M, 1, b"\x4e\x73")
    assert DecodeDestination(address) == PayToAnchor()
    assert GetScriptForDestination(PayToAnchor()).hex() == "51024e73"


def test_pkhash_round_trips_through_base58check() -> None:
    dest = PKHash(bytes(range(20)))
    address = EncodeDestination(dest)
    assert address[0] in "mn"
    assert DecodeDestination(address) == dest
    assert GetScriptForDestination(dest).hex() == "76a914" + bytes(range(20)).hex() + "88ac"


# --- errors ---------------------------------------------------------------------------------------

P20 = bytes(range(20))
P32 = bytes(range(32))
B32, B32M = bech32.Encoding.BECH32, bech32.Encoding.BECH32M


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("bc1qvyq0cc6rahyvsazfdje0twl7ez82ndmuac2lhv",
         "Invalid or unsupported Segwit (Bech32) or Base58 encoding."),
        (bech32_address(B32, 0, P20, hrp="bcrtx"),
         "Invalid or unsupported prefix for Segwit (Bech32) address (expected bcrt, got bcrtx)."),
        (bech32_address(B32M, 0, P20), "Version 0 witness address must use Bech32 checksum"),
        (bech32_address(B32, 1, P32), "Version 1+ witness address must use Bech32m checksum"),
        (bech32_address(B32, 0, bytes(21)),
         "Invalid Bech32 v0 address program size (21 bytes), per BIP141"),
        (bech32_address(B32M, 1, b"\x01"), "Invalid Bech32 address program size (1 byte)"),
        (bech32_address(B32M, 2, bytes(41)), "Invalid Bech32 address program size (41 bytes)"),
        (bech32.Encode(B32M, "bcrt", [17, *ConvertBits(8, 5, True, P20)]),  # type: ignore[misc]
         "Invalid Bech32 address witness version"),
        (bech32.Encode(B32, "bcrt", []), "Empty Bech32 data section"),
        (bech32.Encode(B32, "bcrt", [0, 31]), "Invalid padding in Bech32 data section"),
        ("bcrt1q", "Invalid separator position"),
        ("bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnuq", "Invalid Bech32 checksum"),
        ("bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnub", "Invalid Base 32 character"),
        (EncodeBase58Check(bytes([111]) + bytes(19)),
         "Invalid length for Base58 address (P2PKH or P2SH)"),
        (EncodeBase58Check(bytes([196]) + bytes(19)),
         "Invalid length for Base58 address (P2PKH or P2SH)"),
        (EncodeBase58Check(bytes([196]) + bytes(21)),
         "Invalid checksum or length of Base58 address (P2PKH or P2SH)"),
        ("n4fajahJrAuKbN7uNsKjLjQkz9Qn5ewJXR",
         "Invalid checksum or length of Base58 address (P2PKH or P2SH)"),
        ("", "Invalid checksum or length of Base58 address (P2PKH or P2SH)"),
        ("xyz0", "Invalid or unsupported Segwit (Bech32) or Base58 encoding."),
        ("bcrt0", "Missing separator"),
    ],
)  # fmt: skip
def test_decode_destination_errors_are_upstreams(address: str, error: str) -> None:
    dest, message, _ = DecodeDestinationWithErrors(address)
    assert not IsValidDestination(dest)
    assert message == error


def test_checksum_error_locates_the_typo() -> None:
    good = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"
    typo = good[:10] + ("q" if good[10] != "q" else "p") + good[11:]
    _, message, locations = DecodeDestinationWithErrors(typo)
    assert (message, locations) == ("Invalid Bech32 checksum", [10])


# --- bech32 (BIP173/BIP350 string vectors) --------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "s"),
    [
        (B32, "A12UEL5L"),
        (B32, "a12uel5l"),
        (B32, "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharacters"
              "bio1tt5tgs"),
        (B32, "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"),
        (B32, "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
              "qqqc8247j"),
        (B32, "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"),
        (B32, "?1ezyfcl"),
        (B32M, "A1LQFN3A"),
        (B32M, "a1lqfn3a"),
        (B32M, "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumb"
               "er11sg7hg6"),
        (B32M, "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx"),
        (B32M, "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
               "llllludsr8"),
        (B32M, "split1checkupstagehandshakeupstreamerranterredcaperredlc445v"),
        (B32M, "?1v759aa"),
    ],
)  # fmt: skip
def test_bech32_valid_strings_decode_and_re_encode(encoding: bech32.Encoding, s: str) -> None:
    dec = bech32.Decode(s)
    assert dec.encoding == encoding
    assert bech32.Encode(encoding, dec.hrp, dec.data) == s.lower()


@pytest.mark.parametrize(
    ("s", "error", "locations"),
    [
        (" 1nwldj5", "Invalid character or mixed case", [0]),
        ("\x7f1axkwrx", "Invalid character or mixed case", [0]),
        ("\x801eym55h", "Invalid character or mixed case", [0]),
        ("an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio"
         "1569pvx", "Bech32 string too long", [90]),
        ("pzry9x0s0muk", "Missing separator", []),
        ("1pzry9x0s0muk", "Invalid separator position", [0]),
        ("x1b4n0q5v", "Invalid Base 32 character", [2]),
        ("li1dgmt3", "Invalid separator position", [2]),
        ("de1lg7wt\xff", "Invalid character or mixed case", [8]),
        ("A1G7SGD8", "Invalid checksum", []),
        ("10a06t8", "Invalid separator position", [0]),
        ("1qzzfhee", "Invalid separator position", [0]),
        ("a12UEL5L", "Invalid character or mixed case", [3, 4, 5, 7]),
        ("A12uEL5L", "Invalid character or mixed case", [3]),
        ("abcdef1qpzrz9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "Invalid Bech32 checksum", [11]),
        ("test1zg69w7y6hn0aqy352euf40x77qddq3dc", "Invalid Bech32 checksum", [9, 16]),
        ("an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber1"
         "1d6pts4", "Bech32 string too long", [90]),
        ("qyrz8wqd2c9m", "Missing separator", []),
        ("y1b0jsk6g", "Invalid Base 32 character", [2]),
        ("lt1igcx5c0", "Invalid Base 32 character", [3]),
        ("in1muywd", "Invalid separator position", [2]),
        ("mm1crxm3i", "Invalid Base 32 character", [8]),
        ("au1s5cgom", "Invalid Base 32 character", [7]),
        ("M1VUXWEZ", "Invalid checksum", []),
        ("16plkw9", "Invalid separator position", [0]),
        ("abcdef1l7aum6echk45nj2s0wdvt2fg8x9yrzpqzd3ryx", "Invalid Bech32m checksum", [21]),
        ("test1zg69v7y60n00qy352euf40x77qcusag6", "Invalid Bech32m checksum", [13, 32]),
    ],
)  # fmt: skip
def test_bech32_invalid_strings_locate_their_errors(
    s: str, error: str, locations: list[int]
) -> None:
    assert bech32.Decode(s).encoding == bech32.Encoding.INVALID
    assert bech32.LocateErrors(s) == (error, locations)


# --- base58 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("hex_data", "encoded"), load("base58_encode_decode.json"))
def test_base58_vectors(hex_data: str, encoded: str) -> None:
    data = bytes.fromhex(hex_data)
    assert EncodeBase58(data) == encoded
    assert DecodeBase58(encoded, 256) == data


def test_base58_decoding_rejects_bad_characters_and_skips_outer_whitespace() -> None:
    assert DecodeBase58("invalid", 100) is None
    assert DecodeBase58("invalid\0", 100) is None
    assert DecodeBase58("good", 100) is not None
    assert DecodeBase58("bad0IOl", 100) is None
    assert DecodeBase58(" \t\n\v\f\r skip \r\f\v\n\t a", 3) is None
    assert DecodeBase58(" \t\n\v\f\r skip \r\f\v\n\t ", 3) == bytes.fromhex("971a55")
    assert DecodeBase58Check("3vQB7B6MrGQZaxCuFg4oh", 100) is not None
    assert DecodeBase58Check("3vQB7B6MrGQZaxCuFg4oi", 100) is None
    assert DecodeBase58Check("3vQB7B6MrGQZaxCuFg4oh0IOl", 100) is None


def test_regtest_parameters_are_the_ones_used() -> None:
    assert Params().Bech32HRP() == "bcrt"
    assert EncodeDestination(WitnessV0KeyHash(P20)).startswith("bcrt1q")
