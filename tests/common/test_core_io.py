"""Script and transaction rendering for the RPC (core_write.cpp, core_read.cpp, descriptor
inference without keys, script/solver.cpp).

Expected strings come from upstream's functional tests rpc_decodescript.py and the descriptors
they print (wallet_*.py, rpc_*.py).
"""

from __future__ import annotations

import pytest

from common.core_io import (
    DecodeHexBlk,
    DecodeHexTx,
    DescriptorChecksum,
    InferDescriptor,
    ScriptToAsmStr,
    ScriptToUniv,
    TxToUniv,
)
from common.script import Solver, TxoutType
from common.uint256 import ZERO

# A mainnet P2SH-multisig spend (rpc_decodescript.py).
MULTISIG_SPEND = (
    "01000000018d1f5635abd06e2c7e2ddf58dc85b3de111e4ad6e0ab51bb0dcf5e84126d927300000000fdfe00004830"
    "45022100ae3b4e589dfc9d48cb82d41008dc5fa6a86f94d5c54f9935531924602730ab8002202f88cf464414c4ed"
    "9fa11b773c5ee944f66e9b05cc1e51d97abc22ce098937ea01483045022100b44883be035600e9328a01b66c7d84"
    "39b74db64187e76b99a68f7893b701d5380220225bf286493e4c4adcf928c40f785422572eb232f84a0b83b0dea8"
    "23c3a19c75014c695221020743d44be989540d27b1b4bbbcfd17721c337cb6bc9af20eb8a32520b393532f2102c0"
    "120a1dda9e51a938d39ddd9fe0ebc45ea97e1d27a7cbd671d5431416d3dd87210213820eb3d5f509d7438c9eeecb"
    "4157b2f595105e7cd564b3cdbb9ead3da41eed53aeffffffff02611e0000000000001976a914dc863734a218bfe8"
    "3ef770ee9d41a27f824a6e5688acee2a02000000000017a9142a5edea39971049a540474c6a99edf0aa4074c5887"
    "00000000"
)
PUBKEY = "02a5613bd857b7048924264d1e70e08fb2a7e6527d32b7ab1bb993ac59964ff397"


def test_asm_decodes_signature_sighash_types_only_in_script_sigs() -> None:
    tx = DecodeHexTx(MULTISIG_SPEND)
    assert tx is not None
    assert tx.GetHash().GetHex() == (
        "8e3730608c3b0bb5df54f09076e196bc292a8e39a78e73b44b6ba08c78f5cbb0"
    )
    asm = ScriptToAsmStr(tx.vin[0].scriptSig, True)
    assert asm.startswith(
        "0 3045022100ae3b4e589dfc9d48cb82d41008dc5fa6a86f94d5c54f9935531924602730ab8002202f88cf"
        "464414c4ed9fa11b773c5ee944f66e9b05cc1e51d97abc22ce098937ea[ALL] 3045"
    )
    assert asm.endswith("[ALL] 5221020743d44be989540d27b1b4bbbcfd17721c337cb6bc9af20eb8a32520b3"
                        "93532f2102c0120a1dda9e51a938d39ddd9fe0ebc45ea97e1d27a7cbd671d5431416d3dd"
                        "87210213820eb3d5f509d7438c9eeecb4157b2f595105e7cd564b3cdbb9ead3da41eed53"
                        "ae")  # fmt: skip
    assert ScriptToAsmStr(tx.vout[0].scriptPubKey) == (
        "OP_DUP OP_HASH160 dc863734a218bfe83ef770ee9d41a27f824a6e56 OP_EQUALVERIFY OP_CHECKSIG"
    )
    assert ScriptToAsmStr(tx.vout[1].scriptPubKey) == (
        "OP_HASH160 2a5edea39971049a540474c6a99edf0aa4074c58 OP_EQUAL"
    )


@pytest.mark.parametrize(
    ("script_hex", "asm"),
    [
        ("5100", "1 0"),
        ("51024e73", "1 29518"),
        ("6a09300602010002010001", "OP_RETURN 300602010002010001"),
        ("4f", "-1"),
        ("0181", "-1"),
        ("6a4c", "OP_RETURN [error]"),
        ("b0ffba", "OP_NOP1 OP_INVALIDOPCODE OP_CHECKSIGADD"),
        ("bb", "OP_UNKNOWN"),
    ],
)
def test_asm_of_small_pushes_opcodes_and_truncation(script_hex: str, asm: str) -> None:
    assert ScriptToAsmStr(bytes.fromhex(script_hex)) == asm


@pytest.mark.parametrize(
    ("script_hex", "descriptor"),
    [
        ("", "raw()#58lrscpx"),
        ("02eeee", "raw(02eeee)#5xzck7pr"),
        ("6a00", "raw(6a00)#ncfmkl43"),
        ("75", "raw(75)#ppey0zqj"),
        ("21" + PUBKEY + "ac", f"pk({PUBKEY})#rk5v7uqw"),
        (
            "5221" + PUBKEY
            + "21021ac43c7ff740014c3b33737ede99c967e4764553d1b2b83db77c83b8715fa72d"
            + "2102df2089105c77f266fa11a9d33f05c735234075f2e8780824c6b709415f9fb48553ae",
            f"multi(2,{PUBKEY},021ac43c7ff740014c3b33737ede99c967e4764553d1b2b83db77c83b8715fa72d,"
            "02df2089105c77f266fa11a9d33f05c735234075f2e8780824c6b709415f9fb485)#8s88p9pl",
        ),
        ("5102eeee", "addr(bcrt1pamhqk96edn)#vkh8uj5a"),
    ],
)  # fmt: skip
def test_descriptor_inference_without_keys(script_hex: str, descriptor: str) -> None:
    assert InferDescriptor(bytes.fromhex(script_hex)) == descriptor


def test_descriptor_checksum_is_bip380s() -> None:
    assert DescriptorChecksum("raw(deadbeef)") == "89f8spxm"
    assert DescriptorChecksum("raw(Ü)") == ""


def test_taproot_output_is_rawtr_only_for_a_key_on_the_curve() -> None:
    xonly = "01" * 32  # the first P2TR output on mainnet; 0x0101.. is on the curve
    script = bytes.fromhex("5120" + xonly)
    assert Solver(script)[0] == TxoutType.WITNESS_V1_TAPROOT
    desc = InferDescriptor(script)
    assert desc.startswith(f"rawtr({xonly})#")
    off_curve = bytes.fromhex("5120" + "ff" * 32)  # x >= p
    assert InferDescriptor(off_curve).startswith("addr(bcrt1p")


def test_script_to_univ_of_a_p2wpkh_output() -> None:
    script = bytes.fromhex("00146f58bac9506f9bfb821d62e69330410bb56f0085")
    out = ScriptToUniv(script, True, True)
    assert out == {
        "asm": "0 6f58bac9506f9bfb821d62e69330410bb56f0085",
        "desc": out["desc"],
        "hex": "00146f58bac9506f9bfb821d62e69330410bb56f0085",
        "address": "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9",
        "type": "witness_v0_keyhash",
    }
    assert out["desc"].startswith("addr(bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9)#")


def test_tx_to_univ_fields_in_upstreams_order() -> None:
    tx = DecodeHexTx(MULTISIG_SPEND)
    assert tx is not None
    entry = TxToUniv(tx, ZERO, include_hex=True)
    assert list(entry) == [
        "txid", "hash", "version", "size", "vsize", "weight", "locktime", "vin", "vout", "hex",
    ]  # fmt: skip
    assert entry["size"] == len(MULTISIG_SPEND) // 2
    assert entry["vsize"] == entry["size"] and entry["weight"] == 4 * entry["size"]
    assert list(entry["vin"][0]) == ["txid", "vout", "scriptSig", "sequence"]
    assert entry["vout"][0]["n"] == 0
    assert str(entry["vout"][0]["value"]) == "0.00007777"
    assert entry["hex"] == MULTISIG_SPEND


def test_hex_decoding_rejects_bad_input() -> None:
    assert DecodeHexTx("zz") is None
    assert DecodeHexTx(MULTISIG_SPEND + "00") is None  # trailing bytes
    assert DecodeHexBlk("0") is None
    assert DecodeHexBlk("00" * 79) is None
