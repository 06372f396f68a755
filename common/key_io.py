"""Address strings (src/key_io.h/.cpp): Base58Check (P2PKH, P2SH) and Bech32/Bech32m (segwit)
with the chain's prefixes, and upstream's error messages for what does not decode.
"""

from __future__ import annotations

from typing import Final

from . import bech32
from .addresstype import (
    CNoDestination,
    CTxDestination,
    IsValidDestination,
    PayToAnchor,
    PKHash,
    PubKeyDestination,
    ScriptHash,
    WitnessUnknown,
    WitnessV0KeyHash,
    WitnessV0ScriptHash,
    WitnessV1Taproot,
)
from .base58 import DecodeBase58, DecodeBase58Check, EncodeBase58Check
from .chainparams import Base58Type, CChainParams, Params
from .script import IsPayToAnchorProgram
from .strencodings import ConvertBits, ToLower

#: Longest witness program a Bech32 address may carry.
BECH32_WITNESS_PROG_MAX_LEN: Final = 40


def _bech32_address(params: CChainParams, version: int, program: bytes) -> str:
    data = [version]
    converted = ConvertBits(8, 5, True, program)
    assert converted is not None
    data += converted
    encoding = bech32.Encoding.BECH32 if version == 0 else bech32.Encoding.BECH32M
    return bech32.Encode(encoding, params.Bech32HRP(), data)


def EncodeDestination(dest: CTxDestination, params: CChainParams | None = None) -> str:
    """The address string of ``dest`` ("" when it has none)."""
    p = params if params is not None else Params()
    if isinstance(dest, PKHash):
        return EncodeBase58Check(p.Base58Prefix(Base58Type.PUBKEY_ADDRESS) + dest.hash)
    if isinstance(dest, ScriptHash):
        return EncodeBase58Check(p.Base58Prefix(Base58Type.SCRIPT_ADDRESS) + dest.hash)
    if isinstance(dest, WitnessV0KeyHash | WitnessV0ScriptHash):
        return _bech32_address(p, 0, dest.hash)
    if isinstance(dest, WitnessV1Taproot):
        return _bech32_address(p, 1, dest.xonly)
    if isinstance(dest, WitnessUnknown | PayToAnchor):
        program = dest.GetWitnessProgram()
        version = dest.GetWitnessVersion()
        if version < 1 or version > 16 or len(program) < 2 or len(program) > 40:
            return ""
        return _bech32_address(p, version, program)
    assert isinstance(dest, CNoDestination | PubKeyDestination)
    return ""


def DecodeDestinationWithErrors(
    s: str, params: CChainParams | None = None
) -> tuple[CTxDestination, str, list[int]]:
    """``(destination, error, error positions)``; the destination is CNoDestination on
    failure, with upstream's error string."""
    p = params if params is not None else Params()
    hrp = p.Bech32HRP()
    # False also for a valid Bech32 address of another network.
    is_bech32 = ToLower(s[: len(hrp)]) == hrp

    if not is_bech32:
        data = DecodeBase58Check(s, 21)
        if data is not None:
            pubkey_prefix = p.Base58Prefix(Base58Type.PUBKEY_ADDRESS)
            if len(data) == 20 + len(pubkey_prefix) and data.startswith(pubkey_prefix):
                return PKHash(data[len(pubkey_prefix) :]), "", []
            script_prefix = p.Base58Prefix(Base58Type.SCRIPT_ADDRESS)
            if len(data) == 20 + len(script_prefix) and data.startswith(script_prefix):
                return ScriptHash(data[len(script_prefix) :]), "", []
            # A known prefix with a wrong length.
            if data.startswith(script_prefix) or data.startswith(pubkey_prefix):
                error = "Invalid length for Base58 address (P2PKH or P2SH)"
            else:
                error = "Invalid or unsupported Base58-encoded address."
            return CNoDestination(), error, []
        # Without the checksum, and a much larger size limit.
        if DecodeBase58(s, 100) is None:
            return (
                CNoDestination(),
                "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
                [],
            )
        return CNoDestination(), "Invalid checksum or length of Base58 address (P2PKH or P2SH)", []

    dec = bech32.Decode(s)
    if dec.encoding in (bech32.Encoding.BECH32, bech32.Encoding.BECH32M):
        if not dec.data:
            return CNoDestination(), "Empty Bech32 data section", []
        if dec.hrp != hrp:
            return (
                CNoDestination(),
                "Invalid or unsupported prefix for Segwit (Bech32) address (expected "
                f"{hrp}, got {dec.hrp}).",
                [],
            )
        version = dec.data[0]  # the first 5-bit symbol is the witness version
        if version == 0 and dec.encoding != bech32.Encoding.BECH32:
            return CNoDestination(), "Version 0 witness address must use Bech32 checksum", []
        if version != 0 and dec.encoding != bech32.Encoding.BECH32M:
            return CNoDestination(), "Version 1+ witness address must use Bech32m checksum", []
        converted = ConvertBits(5, 8, False, dec.data[1:])
        if converted is None:
            return CNoDestination(), "Invalid padding in Bech32 data section", []
        program = bytes(converted)
        byte_str = "byte" if len(program) == 1 else "bytes"
        if version == 0:
            if len(program) == 20:
                return WitnessV0KeyHash(program), "", []
            if len(program) == 32:
                return WitnessV0ScriptHash(program), "", []
            return (
                CNoDestination(),
                f"Invalid Bech32 v0 address program size ({len(program)} {byte_str}), per BIP141",
                [],
            )
        if version == 1 and len(program) == 32:
            return WitnessV1Taproot(program), "", []
        if IsPayToAnchorProgram(version, program):
            return PayToAnchor(), "", []
        if version > 16:
            return CNoDestination(), "Invalid Bech32 address witness version", []
        if len(program) < 2 or len(program) > BECH32_WITNESS_PROG_MAX_LEN:
            return (
                CNoDestination(),
                f"Invalid Bech32 address program size ({len(program)} {byte_str})",
                [],
            )
        return WitnessUnknown(version, program), "", []

    error, locations = bech32.LocateErrors(s)
    return CNoDestination(), error, locations


def DecodeDestination(s: str, params: CChainParams | None = None) -> CTxDestination:
    return DecodeDestinationWithErrors(s, params)[0]


def IsValidDestinationString(s: str, params: CChainParams | None = None) -> bool:
    return IsValidDestination(DecodeDestination(s, params))
