"""Output destinations (src/addresstype.h/.cpp): what an address names, and its script.

Upstream's ``CTxDestination`` is a std::variant; here it is a union of small frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from .script import (
    OP_0,
    OP_1,
    OP_CHECKSIG,
    OP_DUP,
    OP_EQUAL,
    OP_EQUALVERIFY,
    OP_HASH160,
    EncodeOP_N,
    PubKeyValidSize,
    Solver,
    TxoutType,
)


def _push(data: bytes) -> bytes:
    """A direct push (every destination pushes at most 75 bytes)."""
    assert len(data) < 0x4C
    return bytes((len(data),)) + data


@dataclass(frozen=True, slots=True)
class CNoDestination:
    """No address: the script is kept as is."""

    m_script: bytes = b""

    def GetScript(self) -> bytes:
        return self.m_script


@dataclass(frozen=True, slots=True)
class PubKeyDestination:
    """A bare public key (P2PK); has no address encoding."""

    m_pubkey: bytes


@dataclass(frozen=True, slots=True)
class PKHash:
    hash: bytes  # 20 bytes


@dataclass(frozen=True, slots=True)
class ScriptHash:
    hash: bytes  # 20 bytes


@dataclass(frozen=True, slots=True)
class WitnessV0ScriptHash:
    hash: bytes  # 32 bytes


@dataclass(frozen=True, slots=True)
class WitnessV0KeyHash:
    hash: bytes  # 20 bytes


@dataclass(frozen=True, slots=True)
class WitnessV1Taproot:
    xonly: bytes  # 32 bytes


@dataclass(frozen=True, slots=True)
class WitnessUnknown:
    m_version: int
    m_program: bytes

    def GetWitnessVersion(self) -> int:
        return self.m_version

    def GetWitnessProgram(self) -> bytes:
        return self.m_program


@dataclass(frozen=True, slots=True)
class PayToAnchor:
    """The anyone-can-spend ``OP_1 <0x4e73>`` output (upstream derives it from
    WitnessUnknown(1, {0x4e, 0x73}))."""

    def GetWitnessVersion(self) -> int:
        return 1

    def GetWitnessProgram(self) -> bytes:
        return b"\x4e\x73"


CTxDestination: TypeAlias = (
    CNoDestination
    | PubKeyDestination
    | PKHash
    | ScriptHash
    | WitnessV0ScriptHash
    | WitnessV0KeyHash
    | WitnessV1Taproot
    | PayToAnchor
    | WitnessUnknown
)


def ExtractDestination(scriptPubKey: bytes) -> tuple[bool, CTxDestination]:
    """The destination a script pays: ``(True, dest)`` when it has an address; ``(False,
    PubKeyDestination or CNoDestination)`` otherwise."""
    whichType, vSolutions = Solver(scriptPubKey)
    if whichType == TxoutType.PUBKEY:
        pubkey = vSolutions[0]
        if not PubKeyValidSize(pubkey):
            return False, CNoDestination(scriptPubKey)
        return False, PubKeyDestination(pubkey)
    if whichType == TxoutType.PUBKEYHASH:
        return True, PKHash(vSolutions[0])
    if whichType == TxoutType.SCRIPTHASH:
        return True, ScriptHash(vSolutions[0])
    if whichType == TxoutType.WITNESS_V0_KEYHASH:
        return True, WitnessV0KeyHash(vSolutions[0])
    if whichType == TxoutType.WITNESS_V0_SCRIPTHASH:
        return True, WitnessV0ScriptHash(vSolutions[0])
    if whichType == TxoutType.WITNESS_V1_TAPROOT:
        return True, WitnessV1Taproot(vSolutions[0])
    if whichType == TxoutType.ANCHOR:
        return True, PayToAnchor()
    if whichType == TxoutType.WITNESS_UNKNOWN:
        return True, WitnessUnknown(vSolutions[0][0], vSolutions[1])
    return False, CNoDestination(scriptPubKey)


def GetScriptForDestination(dest: CTxDestination) -> bytes:
    """The scriptPubKey paying ``dest`` (a CNoDestination's own script)."""
    if isinstance(dest, CNoDestination):
        return dest.GetScript()
    if isinstance(dest, PubKeyDestination):
        return _push(dest.m_pubkey) + bytes((OP_CHECKSIG,))
    if isinstance(dest, PKHash):
        return bytes((OP_DUP, OP_HASH160)) + _push(dest.hash) + bytes((OP_EQUALVERIFY, OP_CHECKSIG))
    if isinstance(dest, ScriptHash):
        return bytes((OP_HASH160,)) + _push(dest.hash) + bytes((OP_EQUAL,))
    if isinstance(dest, WitnessV0KeyHash | WitnessV0ScriptHash):
        return bytes((OP_0,)) + _push(dest.hash)
    if isinstance(dest, WitnessV1Taproot):
        return bytes((OP_1,)) + _push(dest.xonly)
    return bytes((EncodeOP_N(dest.GetWitnessVersion()),)) + _push(dest.GetWitnessProgram())


def IsValidDestination(dest: CTxDestination) -> bool:
    """Whether ``dest`` is an address (not "none" or a bare key)."""
    return not isinstance(dest, CNoDestination | PubKeyDestination)
