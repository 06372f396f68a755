"""Script parsing and classification (src/script/script.h/.cpp, src/script/solver.h/.cpp, the
signature-encoding checks of src/script/interpreter.cpp).

Scripts stay ``bytes``. What is here is what address codecs and the RPC's script descriptions
need: opcode names, GetOp, the standard output templates (Solver) and their names, and
IsValidSignatureEncoding for decoding sighash types in scriptSig asm. No script execution.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

OP_0: Final = 0x00
OP_FALSE: Final = OP_0
OP_PUSHDATA1: Final = 0x4C
OP_PUSHDATA2: Final = 0x4D
OP_PUSHDATA4: Final = 0x4E
OP_1NEGATE: Final = 0x4F
OP_RESERVED: Final = 0x50
OP_1: Final = 0x51
OP_TRUE: Final = OP_1
OP_16: Final = 0x60
OP_NOP: Final = 0x61
OP_RETURN: Final = 0x6A
OP_DUP: Final = 0x76
OP_EQUAL: Final = 0x87
OP_EQUALVERIFY: Final = 0x88
OP_NUMEQUAL: Final = 0x9C
OP_HASH160: Final = 0xA9
OP_CHECKSIG: Final = 0xAC
OP_CHECKMULTISIG: Final = 0xAE
OP_NOP10: Final = 0xB9
OP_CHECKSIGADD: Final = 0xBA
OP_INVALIDOPCODE: Final = 0xFF

#: script/script.h: larger scripts are unspendable.
MAX_SCRIPT_SIZE: Final = 10000
MAX_PUBKEYS_PER_MULTISIG: Final = 20
WITNESS_V0_SCRIPTHASH_SIZE: Final = 32
WITNESS_V0_KEYHASH_SIZE: Final = 20
WITNESS_V1_TAPROOT_SIZE: Final = 32

# Names of the opcodes from OP_NOP (0x61) to OP_CHECKSIGADD (0xba), in order.
_OP_NAMES_FROM_NOP: Final = [
    "OP_NOP",
    "OP_VER",
    "OP_IF",
    "OP_NOTIF",
    "OP_VERIF",
    "OP_VERNOTIF",
    "OP_ELSE",
    "OP_ENDIF",
    "OP_VERIFY",
    "OP_RETURN",
    "OP_TOALTSTACK",
    "OP_FROMALTSTACK",
    "OP_2DROP",
    "OP_2DUP",
    "OP_3DUP",
    "OP_2OVER",
    "OP_2ROT",
    "OP_2SWAP",
    "OP_IFDUP",
    "OP_DEPTH",
    "OP_DROP",
    "OP_DUP",
    "OP_NIP",
    "OP_OVER",
    "OP_PICK",
    "OP_ROLL",
    "OP_ROT",
    "OP_SWAP",
    "OP_TUCK",
    "OP_CAT",
    "OP_SUBSTR",
    "OP_LEFT",
    "OP_RIGHT",
    "OP_SIZE",
    "OP_INVERT",
    "OP_AND",
    "OP_OR",
    "OP_XOR",
    "OP_EQUAL",
    "OP_EQUALVERIFY",
    "OP_RESERVED1",
    "OP_RESERVED2",
    "OP_1ADD",
    "OP_1SUB",
    "OP_2MUL",
    "OP_2DIV",
    "OP_NEGATE",
    "OP_ABS",
    "OP_NOT",
    "OP_0NOTEQUAL",
    "OP_ADD",
    "OP_SUB",
    "OP_MUL",
    "OP_DIV",
    "OP_MOD",
    "OP_LSHIFT",
    "OP_RSHIFT",
    "OP_BOOLAND",
    "OP_BOOLOR",
    "OP_NUMEQUAL",
    "OP_NUMEQUALVERIFY",
    "OP_NUMNOTEQUAL",
    "OP_LESSTHAN",
    "OP_GREATERTHAN",
    "OP_LESSTHANOREQUAL",
    "OP_GREATERTHANOREQUAL",
    "OP_MIN",
    "OP_MAX",
    "OP_WITHIN",
    "OP_RIPEMD160",
    "OP_SHA1",
    "OP_SHA256",
    "OP_HASH160",
    "OP_HASH256",
    "OP_CODESEPARATOR",
    "OP_CHECKSIG",
    "OP_CHECKSIGVERIFY",
    "OP_CHECKMULTISIG",
    "OP_CHECKMULTISIGVERIFY",
    "OP_NOP1",
    "OP_CHECKLOCKTIMEVERIFY",
    "OP_CHECKSEQUENCEVERIFY",
    "OP_NOP4",
    "OP_NOP5",
    "OP_NOP6",
    "OP_NOP7",
    "OP_NOP8",
    "OP_NOP9",
    "OP_NOP10",
    "OP_CHECKSIGADD",
]
assert len(_OP_NAMES_FROM_NOP) == OP_CHECKSIGADD - OP_NOP + 1

_OP_NAMES: Final = (
    {OP_0: "0", OP_PUSHDATA1: "OP_PUSHDATA1", OP_PUSHDATA2: "OP_PUSHDATA2"}
    | {OP_PUSHDATA4: "OP_PUSHDATA4", OP_1NEGATE: "-1", OP_RESERVED: "OP_RESERVED"}
    | {OP_1 + i: str(i + 1) for i in range(16)}
    | {OP_NOP + i: name for i, name in enumerate(_OP_NAMES_FROM_NOP)}
    | {OP_INVALIDOPCODE: "OP_INVALIDOPCODE"}
)


def GetOpName(opcode: int) -> str:
    return _OP_NAMES.get(opcode, "OP_UNKNOWN")


def GetOp(script: bytes, pc: int) -> tuple[bool, int, int, bytes]:
    """Read the opcode at ``pc``: ``(ok, next_pc, opcode, pushed data)``; not ok when the
    script ends inside it (next_pc is then the end)."""
    end = len(script)
    if pc >= end:
        return False, pc, OP_INVALIDOPCODE, b""
    opcode = script[pc]
    pc += 1
    if opcode > OP_PUSHDATA4:
        return True, pc, opcode, b""
    if opcode < OP_PUSHDATA1:
        size = opcode
    else:
        width = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}[opcode]
        if end - pc < width:
            return False, end, OP_INVALIDOPCODE, b""
        size = int.from_bytes(script[pc : pc + width], "little")
        pc += width
    if end - pc < size:
        return False, end, OP_INVALIDOPCODE, b""
    return True, pc + size, opcode, script[pc : pc + size]


def DecodeOP_N(opcode: int) -> int:
    if opcode == OP_0:
        return 0
    assert OP_1 <= opcode <= OP_16
    return opcode - (OP_1 - 1)


def EncodeOP_N(n: int) -> int:
    assert 0 <= n <= 16
    return OP_0 if n == 0 else OP_1 + n - 1


def ScriptNumDecode(vch: bytes) -> int:
    """CScriptNum(vch, false).getint(): little-endian, sign in the top bit, clamped to int."""
    if not vch:
        return 0
    value = int.from_bytes(vch, "little")
    if vch[-1] & 0x80:
        value = -(value & ~(0x80 << (8 * (len(vch) - 1))))
    return max(-(1 << 31), min((1 << 31) - 1, value))


def IsPayToScriptHash(script: bytes) -> bool:
    return (
        len(script) == 23
        and script[0] == OP_HASH160
        and script[1] == 0x14
        and script[22] == OP_EQUAL
    )


def IsPayToAnchor(script: bytes) -> bool:
    return script == bytes((OP_1, 0x02, 0x4E, 0x73))


def IsPayToAnchorProgram(version: int, program: bytes) -> bool:
    return version == 1 and program == b"\x4e\x73"


def IsWitnessProgram(script: bytes) -> tuple[bool, int, bytes]:
    """A version byte (OP_0, OP_1..OP_16) and one 2..40-byte direct push: ``(True, version,
    program)``."""
    if len(script) < 4 or len(script) > 42:
        return False, 0, b""
    if script[0] != OP_0 and (script[0] < OP_1 or script[0] > OP_16):
        return False, 0, b""
    if script[1] + 2 == len(script):
        return True, DecodeOP_N(script[0]), script[2:]
    return False, 0, b""


def IsPushOnly(script: bytes, pc: int = 0) -> bool:
    while pc < len(script):
        ok, pc, opcode, _ = GetOp(script, pc)
        if not ok or opcode > OP_16:
            return False
    return True


def IsUnspendable(script: bytes) -> bool:
    return (len(script) > 0 and script[0] == OP_RETURN) or len(script) > MAX_SCRIPT_SIZE


class CScriptNum:
    """Only the serialization of script numbers (minimal little-endian, sign in the top bit)."""

    @staticmethod
    def serialize(value: int) -> bytes:
        if value == 0:
            return b""
        neg = value < 0
        absvalue = -value if neg else value
        result = bytearray()
        while absvalue:
            result.append(absvalue & 0xFF)
            absvalue >>= 8
        # The most significant byte carries the sign; add a byte if its top bit is taken.
        if result[-1] & 0x80:
            result.append(0x80 if neg else 0x00)
        elif neg:
            result[-1] |= 0x80
        return bytes(result)


def script_push_data(data: bytes) -> bytes:
    """``CScript() << std::vector<unsigned char>``: the shortest push opcode for ``data``."""
    n = len(data)
    if n < OP_PUSHDATA1:
        return bytes((n,)) + data
    if n <= 0xFF:
        return bytes((OP_PUSHDATA1, n)) + data
    if n <= 0xFFFF:
        return bytes((OP_PUSHDATA2,)) + n.to_bytes(2, "little") + data
    return bytes((OP_PUSHDATA4,)) + n.to_bytes(4, "little") + data


def script_push_int(n: int) -> bytes:
    """``CScript() << int64_t`` (CScript::push_int64): OP_0, OP_1NEGATE, OP_1..OP_16 or a push of
    the CScriptNum serialization."""
    if n == -1 or 1 <= n <= 16:
        return bytes((n + (OP_1 - 1),))
    if n == 0:
        return bytes((OP_0,))
    return script_push_data(CScriptNum.serialize(n))


def CheckMinimalPush(data: bytes, opcode: int) -> bool:
    if len(data) == 0:
        return opcode == OP_0
    if len(data) == 1 and 1 <= data[0] <= 16:
        return False
    if len(data) == 1 and data[0] == 0x81:
        return False
    if len(data) <= 75:
        return opcode == len(data)
    if len(data) <= 255:
        return opcode == OP_PUSHDATA1
    if len(data) <= 65535:
        return opcode == OP_PUSHDATA2
    return True


def PubKeyValidSize(vch: bytes) -> bool:
    """CPubKey::ValidSize: the length the header byte announces (33 or 65)."""
    if not vch:
        return False
    expected = {2: 33, 3: 33, 4: 65, 6: 65, 7: 65}.get(vch[0], 0)
    return expected > 0 and len(vch) == expected


# --- script/solver.cpp ----------------------------------------------------------------------------


class TxoutType(IntEnum):
    NONSTANDARD = 0
    PUBKEY = 1
    PUBKEYHASH = 2
    SCRIPTHASH = 3
    MULTISIG = 4
    NULL_DATA = 5  # unspendable OP_RETURN script that carries data
    ANCHOR = 6  # anyone-can-spend segwit v1 output, for fee bumping
    WITNESS_V0_SCRIPTHASH = 7
    WITNESS_V0_KEYHASH = 8
    WITNESS_V1_TAPROOT = 9
    WITNESS_UNKNOWN = 10  # only for witness versions not yet defined


def GetTxnOutputType(t: TxoutType) -> str:
    return {
        TxoutType.NONSTANDARD: "nonstandard",
        TxoutType.PUBKEY: "pubkey",
        TxoutType.PUBKEYHASH: "pubkeyhash",
        TxoutType.SCRIPTHASH: "scripthash",
        TxoutType.MULTISIG: "multisig",
        TxoutType.NULL_DATA: "nulldata",
        TxoutType.ANCHOR: "anchor",
        TxoutType.WITNESS_V0_KEYHASH: "witness_v0_keyhash",
        TxoutType.WITNESS_V0_SCRIPTHASH: "witness_v0_scripthash",
        TxoutType.WITNESS_V1_TAPROOT: "witness_v1_taproot",
        TxoutType.WITNESS_UNKNOWN: "witness_unknown",
    }[t]


def _MatchPayToPubkey(script: bytes) -> bytes | None:
    for size in (65, 33):
        if len(script) == size + 2 and script[0] == size and script[-1] == OP_CHECKSIG:
            pubkey = script[1 : size + 1]
            return pubkey if PubKeyValidSize(pubkey) else None
    return None


def _MatchPayToPubkeyHash(script: bytes) -> bytes | None:
    if (
        len(script) == 25
        and script[0] == OP_DUP
        and script[1] == OP_HASH160
        and script[2] == 20
        and script[23] == OP_EQUALVERIFY
        and script[24] == OP_CHECKSIG
    ):
        return script[3:23]
    return None


def _GetScriptNumber(opcode: int, data: bytes, lo: int, hi: int) -> int | None:
    if OP_1 <= opcode <= OP_16:
        count = DecodeOP_N(opcode)
    elif opcode <= OP_PUSHDATA4:
        if not CheckMinimalPush(data, opcode):
            return None
        # CScriptNum(data, fRequireMinimal=true): at most 4 bytes, minimally encoded.
        if len(data) > 4:
            return None
        if data and (data[-1] & 0x7F) == 0 and (len(data) <= 1 or not data[-2] & 0x80):
            return None
        count = ScriptNumDecode(data)
    else:
        return None
    return count if lo <= count <= hi else None


def _MatchMultisig(script: bytes) -> tuple[int, list[bytes]] | None:
    if len(script) < 1 or script[-1] != OP_CHECKMULTISIG:
        return None
    ok, pc, opcode, data = GetOp(script, 0)
    if not ok:
        return None
    required = _GetScriptNumber(opcode, data, 1, MAX_PUBKEYS_PER_MULTISIG)
    if required is None:
        return None
    pubkeys: list[bytes] = []
    while True:
        ok, pc, opcode, data = GetOp(script, pc)
        if not ok or not PubKeyValidSize(data):
            break
        pubkeys.append(data)
    num_keys = _GetScriptNumber(opcode, data, required, MAX_PUBKEYS_PER_MULTISIG)
    if num_keys is None or len(pubkeys) != num_keys:
        return None
    return (required, pubkeys) if pc + 1 == len(script) else None


def Solver(scriptPubKey: bytes) -> tuple[TxoutType, list[bytes]]:
    """The output template of a script and its parameters (hashes, keys, program)."""
    if IsPayToScriptHash(scriptPubKey):
        return TxoutType.SCRIPTHASH, [scriptPubKey[2:22]]
    is_witness, version, program = IsWitnessProgram(scriptPubKey)
    if is_witness:
        if version == 0 and len(program) == WITNESS_V0_KEYHASH_SIZE:
            return TxoutType.WITNESS_V0_KEYHASH, [program]
        if version == 0 and len(program) == WITNESS_V0_SCRIPTHASH_SIZE:
            return TxoutType.WITNESS_V0_SCRIPTHASH, [program]
        if version == 1 and len(program) == WITNESS_V1_TAPROOT_SIZE:
            return TxoutType.WITNESS_V1_TAPROOT, [program]
        if IsPayToAnchor(scriptPubKey):
            return TxoutType.ANCHOR, []
        if version != 0:
            return TxoutType.WITNESS_UNKNOWN, [bytes((version,)), program]
        return TxoutType.NONSTANDARD, []
    if len(scriptPubKey) >= 1 and scriptPubKey[0] == OP_RETURN and IsPushOnly(scriptPubKey, 1):
        return TxoutType.NULL_DATA, []
    pubkey = _MatchPayToPubkey(scriptPubKey)
    if pubkey is not None:
        return TxoutType.PUBKEY, [pubkey]
    pubkeyhash = _MatchPayToPubkeyHash(scriptPubKey)
    if pubkeyhash is not None:
        return TxoutType.PUBKEYHASH, [pubkeyhash]
    multisig = _MatchMultisig(scriptPubKey)
    if multisig is not None:
        required, keys = multisig
        return TxoutType.MULTISIG, [bytes((required,)), *keys, bytes((len(keys),))]
    return TxoutType.NONSTANDARD, []


# --- script/interpreter.cpp: signature encoding ---------------------------------------------------

SIGHASH_ALL: Final = 1
SIGHASH_NONE: Final = 2
SIGHASH_SINGLE: Final = 3
SIGHASH_ANYONECANPAY: Final = 0x80


def IsValidSignatureEncoding(sig: bytes) -> bool:
    """Strict DER (BIP66) plus a trailing sighash byte."""
    if len(sig) < 9 or len(sig) > 73:
        return False
    if sig[0] != 0x30 or sig[1] != len(sig) - 3:
        return False
    lenR = sig[3]
    if 5 + lenR >= len(sig):
        return False
    lenS = sig[5 + lenR]
    if lenR + lenS + 7 != len(sig):
        return False
    if sig[2] != 0x02 or lenR == 0 or sig[4] & 0x80:
        return False
    if lenR > 1 and sig[4] == 0x00 and not sig[5] & 0x80:
        return False
    if sig[lenR + 4] != 0x02 or lenS == 0 or sig[lenR + 6] & 0x80:
        return False
    return not (lenS > 1 and sig[lenR + 6] == 0x00 and not sig[lenR + 7] & 0x80)


def IsDefinedHashtypeSignature(sig: bytes) -> bool:
    if not sig:
        return False
    nHashType = sig[-1] & ~SIGHASH_ANYONECANPAY
    return SIGHASH_ALL <= nHashType <= SIGHASH_SINGLE


def CheckSignatureEncodingStrict(sig: bytes) -> bool:
    """CheckSignatureEncoding with SCRIPT_VERIFY_STRICTENC only (what ScriptToAsmStr uses)."""
    if len(sig) == 0:
        return True
    return IsValidSignatureEncoding(sig) and IsDefinedHashtypeSignature(sig)
