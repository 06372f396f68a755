"""Chain parameters (src/kernel/chainparams.{h,cpp}, src/chainparams.{h,cpp},
src/consensus/params.h, src/util/chaintype.h).

Only regtest exists here: netsplit never talks to a public network. The genesis block is built
the way upstream builds it and checked against upstream's hash when the parameters are created.

This module also carries the sliver of ``script/script.h`` that chain parameters, validation and
mining need to *build* scripts (pushes of numbers and data); nothing here interprets scripts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import ClassVar, Final

from .merkle import BlockMerkleRoot
from .primitives.block import CBlock
from .primitives.transaction import COIN, COutPoint, CTransaction, CTxIn, CTxOut
from .script import OP_CHECKSIG, CScriptNum, script_push_data, script_push_int
from .uint256 import ZERO, uint256

# --- util/chaintype.h ----------------------------------------------------------------------------


class ChainType(Enum):
    MAIN = "main"
    TESTNET = "test"
    SIGNET = "signet"
    REGTEST = "regtest"
    TESTNET4 = "testnet4"


def ChainTypeToString(chain: ChainType) -> str:
    return chain.value


def ChainTypeFromString(chain: str) -> ChainType | None:
    for c in ChainType:
        if c.value == chain:
            return c
    return None


# --- consensus/params.h --------------------------------------------------------------------------

_INT16_MIN: Final = -(1 << 15)
_INT64_MAX: Final = (1 << 63) - 1


class Consensus:
    """Upstream's ``namespace Consensus``: ``Consensus.Params``, ``Consensus.DEPLOYMENT_...``."""

    class BuriedDeployment(IntEnum):
        """Deployments whose activation height is hard-coded (BIP 90)."""

        DEPLOYMENT_HEIGHTINCB = _INT16_MIN
        DEPLOYMENT_CLTV = _INT16_MIN + 1
        DEPLOYMENT_DERSIG = _INT16_MIN + 2
        DEPLOYMENT_CSV = _INT16_MIN + 3
        DEPLOYMENT_SEGWIT = _INT16_MIN + 4

    class DeploymentPos(IntEnum):
        DEPLOYMENT_TESTDUMMY = 0
        DEPLOYMENT_TAPROOT = 1
        MAX_VERSION_BITS_DEPLOYMENTS = 2

    DEPLOYMENT_HEIGHTINCB: ClassVar[BuriedDeployment] = BuriedDeployment.DEPLOYMENT_HEIGHTINCB
    DEPLOYMENT_CLTV: ClassVar[BuriedDeployment] = BuriedDeployment.DEPLOYMENT_CLTV
    DEPLOYMENT_DERSIG: ClassVar[BuriedDeployment] = BuriedDeployment.DEPLOYMENT_DERSIG
    DEPLOYMENT_CSV: ClassVar[BuriedDeployment] = BuriedDeployment.DEPLOYMENT_CSV
    DEPLOYMENT_SEGWIT: ClassVar[BuriedDeployment] = BuriedDeployment.DEPLOYMENT_SEGWIT
    DEPLOYMENT_TESTDUMMY: ClassVar[DeploymentPos] = DeploymentPos.DEPLOYMENT_TESTDUMMY
    DEPLOYMENT_TAPROOT: ClassVar[DeploymentPos] = DeploymentPos.DEPLOYMENT_TAPROOT
    MAX_VERSION_BITS_DEPLOYMENTS: ClassVar[int] = 2

    @dataclass(slots=True)
    class BIP9Deployment:
        """One BIP9 (version bits) soft fork. Times are median-time-past seconds."""

        NO_TIMEOUT: ClassVar[int] = _INT64_MAX
        ALWAYS_ACTIVE: ClassVar[int] = -1
        NEVER_ACTIVE: ClassVar[int] = -2

        bit: int = 28
        nStartTime: int = -2
        nTimeout: int = -2
        min_activation_height: int = 0
        period: int = 2016
        threshold: int = 1916

    @dataclass(slots=True)
    class Params:
        """Parameters that influence chain consensus. Hashes stay uint256; the proof-of-work
        arithmetic converts them with UintToArith256 where upstream does."""

        hashGenesisBlock: uint256 = ZERO
        nSubsidyHalvingInterval: int = 0
        script_flag_exceptions: dict[uint256, int] = field(default_factory=dict)
        BIP34Height: int = 0
        BIP34Hash: uint256 = ZERO
        BIP65Height: int = 0
        BIP66Height: int = 0
        CSVHeight: int = 0
        SegwitHeight: int = 0
        MinBIP9WarningHeight: int = 0
        vDeployments: list[Consensus.BIP9Deployment] = field(default_factory=list)
        powLimit: uint256 = ZERO
        fPowAllowMinDifficultyBlocks: bool = False
        enforce_BIP94: bool = False
        fPowNoRetargeting: bool = False
        #: Seconds (upstream's int64_t; PowTargetSpacing() is the chrono view of it).
        nPowTargetSpacing: int = 0
        nPowTargetTimespan: int = 0
        nMinimumChainWork: uint256 = ZERO
        defaultAssumeValid: uint256 = ZERO
        signet_blocks: bool = False
        signet_challenge: bytes = b""

        def PowTargetSpacing(self) -> int:
            """Seconds (upstream returns std::chrono::seconds)."""
            return self.nPowTargetSpacing

        def DifficultyAdjustmentInterval(self) -> int:
            return self.nPowTargetTimespan // self.nPowTargetSpacing

        def DeploymentHeight(self, dep: Consensus.BuriedDeployment) -> int:
            heights = {
                Consensus.DEPLOYMENT_HEIGHTINCB: self.BIP34Height,
                Consensus.DEPLOYMENT_CLTV: self.BIP65Height,
                Consensus.DEPLOYMENT_DERSIG: self.BIP66Height,
                Consensus.DEPLOYMENT_CSV: self.CSVHeight,
                Consensus.DEPLOYMENT_SEGWIT: self.SegwitHeight,
            }
            return heights.get(dep, (1 << 31) - 1)


# --- kernel/chainparams.h ------------------------------------------------------------------------


class Base58Type(IntEnum):
    PUBKEY_ADDRESS = 0
    SCRIPT_ADDRESS = 1
    SECRET_KEY = 2
    EXT_PUBLIC_KEY = 3
    EXT_SECRET_KEY = 4
    MAX_BASE58_TYPES = 5


@dataclass(frozen=True, slots=True)
class ChainTxData:
    """Transaction count statistics for verification-progress estimates."""

    nTime: int = 0
    tx_count: int = 0
    dTxRate: float = 0.0


@dataclass(slots=True)
class RegTestOptions:
    """CChainParams::RegTestOptions (-testactivationheight, -fastprune, -test=bip94)."""

    activation_heights: dict[Consensus.BuriedDeployment, int] = field(default_factory=dict)
    fastprune: bool = False
    enforce_bip94: bool = False


#: The genesis coinbase's message and output key, as upstream hard-codes them.
GENESIS_TIMESTAMP: Final = "The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"
GENESIS_OUTPUT_PUBKEY: Final = bytes.fromhex(
    "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb6"
    "49f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
)
REGTEST_GENESIS_HASH: Final = uint256.FromHex(
    "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
)
GENESIS_MERKLE_ROOT: Final = uint256.FromHex(
    "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
)


def CreateGenesisBlock(
    nTime: int,
    nNonce: int,
    nBits: int,
    nVersion: int,
    genesisReward: int,
    pszTimestamp: str = GENESIS_TIMESTAMP,
    genesisOutputScript: bytes | None = None,
) -> CBlock:
    """The genesis block: one coinbase paying ``genesisReward``, its scriptSig pushing
    486604799, CScriptNum(4) and the timestamp message."""
    if genesisOutputScript is None:
        genesisOutputScript = script_push_data(GENESIS_OUTPUT_PUBKEY) + bytes((OP_CHECKSIG,))
    script_sig = (
        script_push_int(486604799)
        + script_push_data(CScriptNum.serialize(4))
        + script_push_data(pszTimestamp.encode("ascii"))
    )
    tx = CTransaction(
        vin=[CTxIn(COutPoint(), script_sig)],
        vout=[CTxOut(genesisReward, genesisOutputScript)],
        version=1,
    )
    genesis = CBlock(nVersion=nVersion, hashPrevBlock=ZERO, nTime=nTime, nBits=nBits, nNonce=nNonce)
    genesis.vtx = [tx]
    genesis.hashMerkleRoot = BlockMerkleRoot(genesis)[0]
    return genesis


class CChainParams:
    """What distinguishes one chain from another: consensus rules, network magic, port,
    genesis block, address prefixes. Build one with :meth:`RegTest`."""

    __slots__ = (
        "base58Prefixes",
        "bech32_hrp",
        "chainTxData",
        "consensus",
        "fDefaultConsistencyChecks",
        "genesis",
        "m_assumed_blockchain_size",
        "m_assumed_chain_state_size",
        "m_chain_type",
        "m_is_mockable_chain",
        "nDefaultPort",
        "nPruneAfterHeight",
        "pchMessageStart",
        "vFixedSeeds",
        "vSeeds",
    )

    consensus: Consensus.Params
    pchMessageStart: bytes
    nDefaultPort: int
    nPruneAfterHeight: int
    m_assumed_blockchain_size: int
    m_assumed_chain_state_size: int
    vSeeds: list[str]
    base58Prefixes: dict[Base58Type, bytes]
    bech32_hrp: str
    m_chain_type: ChainType
    genesis: CBlock
    vFixedSeeds: list[bytes]
    fDefaultConsistencyChecks: bool
    m_is_mockable_chain: bool
    chainTxData: ChainTxData

    def __init__(self) -> None:
        self.consensus = Consensus.Params()
        self.pchMessageStart = b"\x00\x00\x00\x00"
        self.nDefaultPort = 0
        self.nPruneAfterHeight = 0
        self.m_assumed_blockchain_size = 0
        self.m_assumed_chain_state_size = 0
        self.vSeeds = []
        self.base58Prefixes = {}
        self.bech32_hrp = ""
        self.m_chain_type = ChainType.REGTEST
        self.genesis = CBlock()
        self.vFixedSeeds = []
        self.fDefaultConsistencyChecks = False
        self.m_is_mockable_chain = False
        self.chainTxData = ChainTxData()

    def GetConsensus(self) -> Consensus.Params:
        return self.consensus

    def MessageStart(self) -> bytes:
        """The 4-byte network magic (MessageStartChars)."""
        return self.pchMessageStart

    def GetDefaultPort(self) -> int:
        return self.nDefaultPort

    def GenesisBlock(self) -> CBlock:
        return self.genesis

    def DefaultConsistencyChecks(self) -> bool:
        return self.fDefaultConsistencyChecks

    def IsTestChain(self) -> bool:
        return self.m_chain_type != ChainType.MAIN

    def IsMockableChain(self) -> bool:
        return self.m_is_mockable_chain

    def PruneAfterHeight(self) -> int:
        return self.nPruneAfterHeight

    def AssumedBlockchainSize(self) -> int:
        """In GB."""
        return self.m_assumed_blockchain_size

    def AssumedChainStateSize(self) -> int:
        """In GB."""
        return self.m_assumed_chain_state_size

    def MineBlocksOnDemand(self) -> bool:
        return self.consensus.fPowNoRetargeting

    def GetChainTypeString(self) -> str:
        return ChainTypeToString(self.m_chain_type)

    def GetChainType(self) -> ChainType:
        return self.m_chain_type

    def DNSSeeds(self) -> list[str]:
        return self.vSeeds

    def Base58Prefix(self, type_: Base58Type) -> bytes:
        return self.base58Prefixes[type_]

    def Bech32HRP(self) -> str:
        return self.bech32_hrp

    def FixedSeeds(self) -> list[bytes]:
        return self.vFixedSeeds

    def TxData(self) -> ChainTxData:
        return self.chainTxData

    @classmethod
    def RegTest(cls, opts: RegTestOptions | None = None) -> CChainParams:
        return CRegTestParams(opts or RegTestOptions())


class CRegTestParams(CChainParams):
    """Regression test: mine blocks on demand, no retargeting, buried forks active from height 1
    (segwit from 0) unless -testactivationheight overrides them."""

    __slots__ = ()

    def __init__(self, opts: RegTestOptions) -> None:
        super().__init__()
        self.m_chain_type = ChainType.REGTEST
        c = self.consensus
        c.signet_blocks = False
        c.signet_challenge = b""
        c.nSubsidyHalvingInterval = 150
        c.BIP34Height = 1
        c.BIP34Hash = ZERO
        c.BIP65Height = 1
        c.BIP66Height = 1
        c.CSVHeight = 1
        c.SegwitHeight = 0
        c.MinBIP9WarningHeight = 0
        c.powLimit = uint256.FromHex("7f" + "ff" * 31)
        c.nPowTargetTimespan = 24 * 60 * 60
        c.nPowTargetSpacing = 10 * 60
        c.fPowAllowMinDifficultyBlocks = True
        c.enforce_BIP94 = opts.enforce_bip94
        c.fPowNoRetargeting = True

        B = Consensus.BIP9Deployment
        c.vDeployments = [
            B(bit=28, nStartTime=0, nTimeout=B.NO_TIMEOUT, min_activation_height=0,
              threshold=108, period=144),
            B(bit=2, nStartTime=B.ALWAYS_ACTIVE, nTimeout=B.NO_TIMEOUT, min_activation_height=0,
              threshold=108, period=144),
        ]  # fmt: skip

        c.nMinimumChainWork = ZERO
        c.defaultAssumeValid = ZERO

        self.pchMessageStart = bytes((0xFA, 0xBF, 0xB5, 0xDA))
        self.nDefaultPort = 18444
        self.nPruneAfterHeight = 100 if opts.fastprune else 1000
        self.m_assumed_blockchain_size = 0
        self.m_assumed_chain_state_size = 0

        for dep, height in opts.activation_heights.items():
            if dep == Consensus.DEPLOYMENT_SEGWIT:
                c.SegwitHeight = height
            elif dep == Consensus.DEPLOYMENT_HEIGHTINCB:
                c.BIP34Height = height
            elif dep == Consensus.DEPLOYMENT_DERSIG:
                c.BIP66Height = height
            elif dep == Consensus.DEPLOYMENT_CLTV:
                c.BIP65Height = height
            elif dep == Consensus.DEPLOYMENT_CSV:
                c.CSVHeight = height

        self.genesis = CreateGenesisBlock(1296688602, 2, 0x207FFFFF, 1, 50 * COIN)
        c.hashGenesisBlock = self.genesis.GetHash()
        assert c.hashGenesisBlock == REGTEST_GENESIS_HASH
        assert self.genesis.hashMerkleRoot == GENESIS_MERKLE_ROOT

        self.vFixedSeeds = []
        self.vSeeds = ["dummySeed.invalid."]
        self.fDefaultConsistencyChecks = True
        self.m_is_mockable_chain = True
        self.chainTxData = ChainTxData(nTime=0, tx_count=0, dTxRate=0.001)

        self.base58Prefixes = {
            Base58Type.PUBKEY_ADDRESS: bytes((111,)),
            Base58Type.SCRIPT_ADDRESS: bytes((196,)),
            Base58Type.SECRET_KEY: bytes((239,)),
            Base58Type.EXT_PUBLIC_KEY: bytes((0x04, 0x35, 0x87, 0xCF)),
            Base58Type.EXT_SECRET_KEY: bytes((0x04, 0x35, 0x83, 0x94)),
        }
        self.bech32_hrp = "bcrt"


# --- chainparams.cpp: the process-wide selection ------------------------------------------------

_global_chain_params: CChainParams | None = None
_global_lock = threading.Lock()


def CreateChainParams(chain: ChainType, opts: RegTestOptions | None = None) -> CChainParams:
    if chain != ChainType.REGTEST:
        raise ValueError(
            f"chain {ChainTypeToString(chain)!r} is not supported: netsplit runs regtest only"
        )
    return CChainParams.RegTest(opts)


def SelectParams(chain: ChainType | str, opts: RegTestOptions | None = None) -> CChainParams:
    """Select the process-wide parameters returned by :func:`Params`."""
    global _global_chain_params
    if isinstance(chain, str):
        parsed = ChainTypeFromString(chain)
        if parsed is None:
            raise ValueError(f"unknown chain {chain!r}")
        chain = parsed
    params = CreateChainParams(chain, opts)
    with _global_lock:
        _global_chain_params = params
    return params


def Params() -> CChainParams:
    """The selected parameters. Upstream asserts that SelectParams ran; with regtest the only
    chain, the first call selects it."""
    global _global_chain_params
    with _global_lock:
        if _global_chain_params is None:
            _global_chain_params = CChainParams.RegTest()
        return _global_chain_params
