from __future__ import annotations

import pytest

from common.arith_uint256 import SetCompact, UintToArith256
from common.chainparams import (
    CChainParams,
    ChainType,
    Consensus,
    CreateChainParams,
    Params,
    RegTestOptions,
    SelectParams,
)
from common.merkle import BlockMerkleRoot
from common.primitives.transaction import COIN
from common.script import script_push_int
from common.uint256 import uint256

# The regtest genesis header, serialized: version 1, null parent, the merkle root 4a5e1e4b...,
# time 1296688602, bits 0x207fffff, nonce 2.
GENESIS_HEADER_HEX = (
    "01000000"
    + "00" * 32
    + "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a"
    + "dae5494d"
    + "ffff7f20"
    + "02000000"
)
GENESIS_COINBASE_HEX = (
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ff"
    "ff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e2062"
    "72696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a0100"
    "0000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef"
    "38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"
)


def test_regtest_genesis_header_serializes_byte_exact() -> None:
    genesis = CChainParams.RegTest().GenesisBlock()
    assert genesis.serialize_header().hex() == GENESIS_HEADER_HEX
    assert genesis.GetHash() == uint256.FromHex(
        "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
    )


def test_regtest_genesis_block_is_header_plus_the_famous_coinbase() -> None:
    genesis = CChainParams.RegTest().GenesisBlock()
    assert genesis.serialize().hex() == GENESIS_HEADER_HEX + "01" + GENESIS_COINBASE_HEX
    assert genesis.vtx[0].GetHash() == genesis.hashMerkleRoot
    assert BlockMerkleRoot(genesis) == (genesis.hashMerkleRoot, False)
    assert genesis.vtx[0].vout[0].nValue == 50 * COIN


def test_regtest_network_parameters_match_upstream() -> None:
    params = CChainParams.RegTest()
    assert params.MessageStart() == bytes.fromhex("fabfb5da")
    assert params.GetDefaultPort() == 18444
    assert params.GetChainTypeString() == "regtest"
    assert params.MineBlocksOnDemand()
    c = params.GetConsensus()
    assert c.hashGenesisBlock == params.GenesisBlock().GetHash()
    assert c.nSubsidyHalvingInterval == 150
    assert (c.nPowTargetSpacing, c.nPowTargetTimespan) == (600, 86400)
    assert c.powLimit.GetHex() == "7f" + "ff" * 31
    assert c.fPowAllowMinDifficultyBlocks and c.fPowNoRetargeting
    assert c.DeploymentHeight(Consensus.DEPLOYMENT_HEIGHTINCB) == 1
    assert c.DeploymentHeight(Consensus.DEPLOYMENT_SEGWIT) == 0


def test_regtest_sanity_as_upstreams_pow_tests() -> None:
    params = CChainParams.RegTest()
    c = params.GetConsensus()
    assert c.nPowTargetTimespan % c.nPowTargetSpacing == 0
    target, neg, over = SetCompact(params.GenesisBlock().nBits)
    assert not neg and target != 0 and not over
    assert UintToArith256(c.powLimit) >= target


def test_activation_heights_can_be_overridden_like_testactivationheight() -> None:
    opts = RegTestOptions(activation_heights={Consensus.DEPLOYMENT_SEGWIT: 500})
    assert CChainParams.RegTest(opts).GetConsensus().SegwitHeight == 500


def test_only_regtest_can_be_selected() -> None:
    with pytest.raises(ValueError, match="regtest only"):
        CreateChainParams(ChainType.MAIN)
    with pytest.raises(ValueError, match="unknown chain"):
        SelectParams("nonsense")
    assert SelectParams("regtest") is Params()


def test_script_push_int_uses_small_opcodes_and_minimal_pushes() -> None:
    assert script_push_int(0) == b"\x00"
    assert script_push_int(1) == b"\x51"
    assert script_push_int(16) == b"\x60"
    assert script_push_int(-1) == b"\x4f"
    assert script_push_int(17) == b"\x01\x11"
    assert script_push_int(128) == b"\x02\x80\x00"
    assert script_push_int(486604799) == bytes.fromhex("04ffff001d")
