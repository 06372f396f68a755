"""Transactions, blocks and scripts to and from the RPC's hex and JSON (src/core_io.h,
src/core_read.cpp, src/core_write.cpp), plus the keyless case of script/descriptor.cpp's
InferDescriptor for the "desc" field.

Without a wallet there are never keys to look up, so InferDescriptor can only give what it
gives upstream for an empty signing provider: pk(), multi(), rawtr(), addr() or raw().
"""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from typing import Any, Final

from .addresstype import ExtractDestination, GetScriptForDestination
from .coins import CTxUndo
from .key_io import EncodeDestination
from .primitives.block import CBlock, CBlockHeader
from .primitives.transaction import COIN, CTransaction
from .script import (
    MAX_SCRIPT_SIZE,
    OP_NOP10,
    OP_PUSHDATA4,
    CheckSignatureEncodingStrict,
    GetOp,
    GetOpName,
    GetTxnOutputType,
    IsUnspendable,
    ScriptNumDecode,
    Solver,
    TxoutType,
)
from .serialize import DataStream, SerializationError
from .strencodings import HexStr, IsHex
from .uint256 import uint256

WITNESS_SCALE_FACTOR: Final = 4


class TxVerbosity(IntEnum):
    SHOW_TXID = 0  # only the txid
    SHOW_DETAILS = 1  # decoded fields
    SHOW_DETAILS_AND_PREVOUT = 2  # and the spent outputs (needs undo data)


def ValueFromAmount(amount: int) -> Decimal:
    """An amount as a JSON number with exactly 8 decimals (50.00000000), as upstream prints
    it."""
    quotient, remainder = divmod(abs(amount), COIN)
    return Decimal(f"{'-' if amount < 0 else ''}{quotient}.{remainder:08d}")


_mapSigHashTypes: Final = {
    0x01: "ALL",
    0x81: "ALL|ANYONECANPAY",
    0x02: "NONE",
    0x82: "NONE|ANYONECANPAY",
    0x03: "SINGLE",
    0x83: "SINGLE|ANYONECANPAY",
}


def SighashToStr(sighash_type: int) -> str:
    return _mapSigHashTypes.get(sighash_type, "")


def ScriptToAsmStr(script: bytes, fAttemptSighashDecode: bool = False) -> str:
    """The script in asm: small pushes as numbers, other pushes as hex, opcodes by name;
    "[error]" where it stops parsing. With ``fAttemptSighashDecode`` a push that looks like a
    signature shows its sighash type ("...[ALL]")."""
    parts: list[str] = []
    pc = 0
    while pc < len(script):
        ok, pc, opcode, vch = GetOp(script, pc)
        if not ok:
            parts.append("[error]")
            break
        if 0 <= opcode <= OP_PUSHDATA4:
            if len(vch) <= 4:
                parts.append(str(ScriptNumDecode(vch)))
            elif fAttemptSighashDecode and not IsUnspendable(script):
                decode = ""
                if CheckSignatureEncodingStrict(vch):
                    name = _mapSigHashTypes.get(vch[-1])
                    if name is not None:
                        decode = "[" + name + "]"
                        vch = vch[:-1]
                parts.append(HexStr(vch) + decode)
            else:
                parts.append(HexStr(vch))
        else:
            parts.append(GetOpName(opcode))
    return " ".join(parts)


def EncodeHexTx(tx: CTransaction) -> str:
    return HexStr(tx.serialize(with_witness=True))


# --- script/descriptor.cpp, with an empty signing provider ----------------------------------------

_INPUT_CHARSET: Final = (
    "0123456789()[],'/*abcdefgh@:$%{}"
    "IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~"
    'ijklmnopqrstuvwxyzABCDEFGH`#"\\ '
)
_CHECKSUM_CHARSET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _DescriptorPolyMod(c: int, val: int) -> int:
    c0 = c >> 35
    c = ((c & 0x7FFFFFFFF) << 5) ^ val
    if c0 & 1:
        c ^= 0xF5DEE51989
    if c0 & 2:
        c ^= 0xA9FDCA3312
    if c0 & 4:
        c ^= 0x1BAB10E32D
    if c0 & 8:
        c ^= 0x3706B1677A
    if c0 & 16:
        c ^= 0x644D626FFD
    return c


def DescriptorChecksum(span: str) -> str:
    """The 8-character checksum after '#' ("" for a character outside the descriptor set)."""
    c = 1
    cls = 0
    clscount = 0
    for ch in span:
        pos = _INPUT_CHARSET.find(ch)
        if pos == -1:
            return ""
        c = _DescriptorPolyMod(c, pos & 31)
        cls = cls * 3 + (pos >> 5)
        clscount += 1
        if clscount == 3:
            c = _DescriptorPolyMod(c, cls)
            cls = 0
            clscount = 0
    if clscount > 0:
        c = _DescriptorPolyMod(c, cls)
    for _ in range(8):
        c = _DescriptorPolyMod(c, 0)
    c ^= 1
    return "".join(_CHECKSUM_CHARSET[(c >> (5 * (7 - j))) & 31] for j in range(8))


#: secp256k1's field prime.
_SECP256K1_P: Final = 2**256 - 2**32 - 977


def _XOnlyPubKeyIsFullyValid(xonly: bytes) -> bool:
    """Whether the x coordinate is on secp256k1 (x < p and x^3 + 7 is a square mod p)."""
    x = int.from_bytes(xonly, "big")
    if x >= _SECP256K1_P:
        return False
    c = (pow(x, 3, _SECP256K1_P) + 7) % _SECP256K1_P
    return c == 0 or pow(c, (_SECP256K1_P - 1) // 2, _SECP256K1_P) == 1


def _IsValidNonHybrid(pubkey: bytes) -> bool:
    return len(pubkey) > 0 and pubkey[0] in (0x02, 0x03, 0x04)


def InferDescriptor(script: bytes) -> str:
    """``InferDescriptor(script, DUMMY_SIGNING_PROVIDER)->ToString()``, checksum included."""
    txntype, data = Solver(script)
    desc: str | None = None
    if txntype == TxoutType.PUBKEY and _IsValidNonHybrid(data[0]):
        desc = f"pk({HexStr(data[0])})"
    elif txntype == TxoutType.MULTISIG and all(_IsValidNonHybrid(k) for k in data[1:-1]):
        desc = f"multi({data[0][0]}," + ",".join(HexStr(k) for k in data[1:-1]) + ")"
    elif txntype == TxoutType.WITNESS_V1_TAPROOT and _XOnlyPubKeyIsFullyValid(data[0]):
        desc = f"rawtr({HexStr(data[0])})"
    if desc is None:
        has_address, dest = ExtractDestination(script)
        if has_address and GetScriptForDestination(dest) == script:
            desc = f"addr({EncodeDestination(dest)})"
        else:
            desc = f"raw({HexStr(script)})"
    return desc + "#" + DescriptorChecksum(desc)


def ScriptToUniv(
    script: bytes, include_hex: bool = True, include_address: bool = False
) -> dict[str, Any]:
    """asm, desc, hex, address (when it has one) and type of a script."""
    out: dict[str, Any] = {"asm": ScriptToAsmStr(script)}
    if include_address:
        out["desc"] = InferDescriptor(script)
    if include_hex:
        out["hex"] = HexStr(script)
    txntype, _ = Solver(script)
    if include_address:
        has_address, address = ExtractDestination(script)
        if has_address and txntype != TxoutType.PUBKEY:
            out["address"] = EncodeDestination(address)
    out["type"] = GetTxnOutputType(txntype)
    return out


def TxToUniv(
    tx: CTransaction,
    block_hash: uint256,
    include_hex: bool = True,
    txundo: CTxUndo | None = None,
    verbosity: TxVerbosity = TxVerbosity.SHOW_DETAILS,
) -> dict[str, Any]:
    """The decoded transaction. ``txundo`` (the coins it spent) adds the fee, and with
    SHOW_DETAILS_AND_PREVOUT each input's prevout; a null ``block_hash`` leaves out
    "blockhash"."""
    assert verbosity >= TxVerbosity.SHOW_DETAILS
    weight = tx.GetWeight()
    entry: dict[str, Any] = {
        "txid": tx.GetHash().GetHex(),
        "hash": tx.GetWitnessHash().GetHex(),
        "version": tx.version,
        "size": tx.GetTotalSize(),
        "vsize": (weight + WITNESS_SCALE_FACTOR - 1) // WITNESS_SCALE_FACTOR,
        "weight": weight,
        "locktime": tx.nLockTime,
    }
    have_undo = txundo is not None
    amt_total_in = 0
    amt_total_out = 0
    vin: list[dict[str, Any]] = []
    for i, txin in enumerate(tx.vin):
        item: dict[str, Any] = {}
        if tx.IsCoinBase():
            item["coinbase"] = HexStr(txin.scriptSig)
        else:
            item["txid"] = txin.prevout.hash.GetHex()
            item["vout"] = txin.prevout.n
            item["scriptSig"] = {
                "asm": ScriptToAsmStr(txin.scriptSig, True),
                "hex": HexStr(txin.scriptSig),
            }
        if txin.scriptWitness:
            item["txinwitness"] = [HexStr(w) for w in txin.scriptWitness]
        if txundo is not None:
            prev_coin = txundo.vprevout[i]
            prev_txout = prev_coin.out
            amt_total_in += prev_txout.nValue
            if verbosity == TxVerbosity.SHOW_DETAILS_AND_PREVOUT:
                item["prevout"] = {
                    "generated": bool(prev_coin.fCoinBase),
                    "height": prev_coin.nHeight,
                    "value": ValueFromAmount(prev_txout.nValue),
                    "scriptPubKey": ScriptToUniv(prev_txout.scriptPubKey, True, True),
                }
        item["sequence"] = txin.nSequence
        vin.append(item)
    entry["vin"] = vin
    vout: list[dict[str, Any]] = []
    for i, txout in enumerate(tx.vout):
        vout.append(
            {
                "value": ValueFromAmount(txout.nValue),
                "n": i,
                "scriptPubKey": ScriptToUniv(txout.scriptPubKey, True, True),
            }
        )
        amt_total_out += txout.nValue
    entry["vout"] = vout
    if have_undo:
        entry["fee"] = ValueFromAmount(amt_total_in - amt_total_out)
    if not block_hash.IsNull():
        entry["blockhash"] = block_hash.GetHex()
    if include_hex:
        entry["hex"] = EncodeHexTx(tx)
    return entry


# --- core_read.cpp --------------------------------------------------------------------------------


def _HasValidOps(script: bytes) -> bool:
    pc = 0
    while pc < len(script):
        ok, pc, opcode, _ = GetOp(script, pc)
        if not ok or opcode > OP_NOP10:
            return False
    return True


def CheckTxScriptsSanity(tx: CTransaction) -> bool:
    """Every script parses and is within MAX_SCRIPT_SIZE (coinbase scriptSigs excepted)."""
    if not tx.IsCoinBase():
        for txin in tx.vin:
            if not _HasValidOps(txin.scriptSig) or len(txin.scriptSig) > MAX_SCRIPT_SIZE:
                return False
    return all(
        _HasValidOps(o.scriptPubKey) and len(o.scriptPubKey) <= MAX_SCRIPT_SIZE for o in tx.vout
    )


def _DecodeTxWith(data: bytes, allow_witness: bool) -> CTransaction | None:
    s = DataStream(data)
    try:
        tx = CTransaction.deserialize(s, allow_witness=allow_witness)
    except (SerializationError, ValueError):
        return None
    return tx if s.empty() else None


def DecodeTx(
    tx_data: bytes, try_no_witness: bool = False, try_witness: bool = True
) -> CTransaction | None:
    """Decode with and without the extended (witness) format, keeping decodings that use all
    the bytes; when both work, prefer the one whose scripts parse, else the extended one."""
    tx_extended = _DecodeTxWith(tx_data, True) if try_witness else None
    tx_legacy = _DecodeTxWith(tx_data, False) if try_no_witness else None
    if tx_extended is None:
        return tx_legacy
    if tx_legacy is None:
        return tx_extended
    if CheckTxScriptsSanity(tx_extended) or not CheckTxScriptsSanity(tx_legacy):
        return tx_extended
    return tx_legacy


def DecodeHexTx(
    hex_tx: str, try_no_witness: bool = False, try_witness: bool = True
) -> CTransaction | None:
    if not IsHex(hex_tx):
        return None
    return DecodeTx(bytes.fromhex(hex_tx), try_no_witness, try_witness)


def DecodeHexBlk(strHexBlk: str) -> CBlock | None:
    """A block from hex (trailing bytes are ignored, as upstream)."""
    if not IsHex(strHexBlk):
        return None
    try:
        return CBlock.deserialize(DataStream(bytes.fromhex(strHexBlk)))
    except (SerializationError, ValueError):
        return None


def DecodeHexBlockHeader(hex_header: str) -> CBlockHeader | None:
    if not IsHex(hex_header):
        return None
    try:
        return CBlockHeader.deserialize(DataStream(bytes.fromhex(hex_header)))
    except (SerializationError, ValueError):
        return None
