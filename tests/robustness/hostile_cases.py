"""The hostile-input catalogue: what a hostile peer sends a node, and how Bitcoin Core v30.0
reacts. The in-process tests (test_hostile_seams.py, through the differential harness) and the
loopback tests (test_hostile_loopback.py, against a node process) run the same cases.

A case is plain data: the phase the hostile peer reaches first (TCP only, version sent, or a
full handshake), then its actions (bytes it sends, seconds the mock clock advances), and
upstream's reaction:

* IGNORE: the connection stays. The node may answer, drop the message, or catch a
  deserialization error (ProcessMessages logs "Exception '...' caught" and goes on).
* DISCONNECT: the node sets fDisconnect (or its transport refuses the bytes); the address is not
  discouraged.
* DISCOURAGE: Misbehaving; MaybeDiscourageAndDisconnect then disconnects the peer and
  discourages its address. A peer on a local address (every loopback peer) is disconnected
  without being discouraged, as upstream does.

The limits are upstream's v30.0 values, written out here (test_hostile_seams.py checks each
against the variant's own constant of the same name).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Final

from common.chainparams import Params
from common.messages import (
    BlockTransactions,
    BlockTransactionsRequest,
    CBlockHeaderAndShortTxIDs,
    CMerkleBlock,
    CPartialMerkleTree,
    NetMessage,
    msg_addr,
    msg_addrv2,
    msg_block,
    msg_blocktxn,
    msg_cfcheckpt,
    msg_cfheaders,
    msg_cfilter,
    msg_cmpctblock,
    msg_feefilter,
    msg_filteradd,
    msg_filterload,
    msg_getaddr,
    msg_getblocktxn,
    msg_getcfcheckpt,
    msg_getcfheaders,
    msg_getcfilters,
    msg_getdata,
    msg_headers,
    msg_inv,
    msg_merkleblock,
    msg_notfound,
    msg_ping,
    msg_sendaddrv2,
    msg_sendcmpct,
    msg_sendtxrcncl,
    msg_tx,
    msg_verack,
    msg_version,
    msg_wtxidrelay,
)
from common.net_permissions import NetPermissionFlags
from common.netbase import LookupNumeric
from common.pow import CheckProofOfWork
from common.primitives.block import CBlockHeader, CBlockLocator
from common.primitives.transaction import COutPoint, CTransaction, CTxIn, CTxOut
from common.protocol import ALL_NET_MESSAGE_TYPES, MSG_WTX, CAddress, CInv, NetMsgType
from common.serialize import ser_compact_size, ser_i32, ser_string, ser_u32, ser_u64
from common.uint256 import ZERO, uint256
from netsplit.diff import directed, frames
from netsplit.diff.chainops import REGTEST_BITS, PeerChain
from netsplit.diff.scenario import DEFAULT_START_TIME

# -- upstream's limits (v30.0) -------------------------------------------------------------------

#: The catalogue's numbers, by upstream name: net.h, net_processing.cpp, node/txdownloadman.h,
#: node/txorphanage.h, bloom.h, script.h, protocol.h.
LIMITS: Final[dict[str, int]] = {
    "MAX_PROTOCOL_MESSAGE_LENGTH": 4_000_000,
    "MAX_INV_SZ": 50_000,
    "MAX_ADDR_TO_SEND": 1000,
    "MAX_HEADERS_RESULTS": 2000,
    "MAX_LOCATOR_SZ": 101,
    "MAX_GETDATA_SZ": 1000,
    "MAX_PEER_TX_ANNOUNCEMENTS": 5000,
    "MAX_BLOCKS_IN_TRANSIT_PER_PEER": 16,
    "MAX_SUBVERSION_LENGTH": 256,
    "MIN_PEER_PROTO_VERSION": 31800,
    "DEFAULT_PEER_CONNECT_TIMEOUT": 60,
    "DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER": 404_000,
    "MAX_BLOOM_FILTER_SIZE": 36_000,
    "MAX_HASH_FUNCS": 50,
    "MAX_SCRIPT_ELEMENT_SIZE": 520,
    "DEFAULT_MAXRECEIVEBUFFER": 5000,
    "DEFAULT_MAXSENDBUFFER": 1000,
}
#: Seconds; upstream's std::chrono constants (TIMEOUT_INTERVAL and HEADERS_RESPONSE_TIME are
#: seconds there, NONPREF_PEER_TX_DELAY microseconds in txdownloadman.h).
TIMEOUT_INTERVAL: Final = 20 * 60
HEADERS_RESPONSE_TIME: Final = 2 * 60
NONPREF_PEER_TX_DELAY: Final = 2
#: MAX_ADDR_RATE_PER_SECOND (net_processing.cpp): addresses a peer's token bucket gains a second.
MAX_ADDR_RATE_PER_SECOND: Final = 0.1

MAX_INV_SZ: Final = LIMITS["MAX_INV_SZ"]
MAX_ADDR_TO_SEND: Final = LIMITS["MAX_ADDR_TO_SEND"]
MAX_HEADERS_RESULTS: Final = LIMITS["MAX_HEADERS_RESULTS"]
MAX_LOCATOR_SZ: Final = LIMITS["MAX_LOCATOR_SZ"]
MAX_PROTOCOL_MESSAGE_LENGTH: Final = LIMITS["MAX_PROTOCOL_MESSAGE_LENGTH"]
DEFAULT_PEER_CONNECT_TIMEOUT: Final = LIMITS["DEFAULT_PEER_CONNECT_TIMEOUT"]

# -- the setting every case runs in ----------------------------------------------------------------

#: Mock time the node runs at (the harness's default start); the loopback node is set to it too.
T0: Final = DEFAULT_START_TIME
#: The hostile peer's and the honest peer's addresses in the in-process runs (public, so that
#: Misbehaving discourages; loopback peers are all 127.0.0.1, a local address).
HOSTILE_ADDRESS: Final = "1.2.3.4:18444"
HONEST_ADDRESS: Final = "9.8.7.6:18444"
#: The nonce of the honest peer's ping after each case, and of the hostile peer's probe ping.
HONEST_NONCE: Final = 0x0A11_CE00
PROBE_NONCE: Final = 0x0B0B_0B0B
#: The message type hostile frames use where any unknown type does.
UNKNOWN_TYPE: Final = "hostile"


class Reaction(Enum):
    IGNORE = "ignore"
    DISCONNECT = "disconnect"
    DISCOURAGE = "discourage"


class Phase(Enum):
    """How far the hostile peer got before its actions, or stands after them."""

    #: TCP connection only: nothing sent.
    CONNECTED = "connected"
    #: Our version sent and answered (feature negotiation is open), no verack yet.
    VERSION_SENT = "version sent"
    #: version, wtxidrelay, sendaddrv2, verack both ways.
    HANDSHAKEN = "handshaken"


@dataclass(frozen=True, slots=True)
class Send:
    """The hostile peer writes these bytes."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Advance:
    """The node's mock clock moves forward (seconds)."""

    seconds: int


Action = Send | Advance


@dataclass(frozen=True, slots=True)
class FrameCount:
    """How many frames of ``msgtype`` the node writes to the hostile peer during its actions,
    and (if not None) how many entries they carry together (a CompactSize count first, as inv,
    getdata, notfound, addr and headers have)."""

    msgtype: str
    frames: int
    entries: int | None = None


@dataclass(frozen=True, slots=True)
class HostileCase:
    """One hostile input and upstream's reaction to it."""

    name: str
    actions: tuple[Action, ...]
    reaction: Reaction
    #: Where upstream decides (for the reader; function names in net.cpp / net_processing.cpp).
    upstream: str
    #: How far the hostile peer gets before its actions.
    start: Phase = Phase.HANDSHAKEN
    #: Where it stands after them if the node keeps it (None: as ``start``); the liveness
    #: probe completes the handshake from there, then pings.
    end: Phase | None = None
    permissions: NetPermissionFlags = NetPermissionFlags.None_
    #: The message type whose deserialization error ProcessMessages catches and logs (None:
    #: no exception may be logged at all).
    exception: str | None = None
    #: Lines the node's debug log must show (substrings).
    log: tuple[str, ...] = ()
    #: A timeout case: the disconnection comes with the first clock advance that takes the
    #: time since the actions started past this many seconds, and not before.
    deadline: int | None = None
    #: Whether to ping over the hostile connection once the actions are done (a partial frame
    #: left in the node's buffer would swallow the ping).
    probe: bool = True
    #: Whether the honest peer is connected during the actions (not for clock jumps long
    #: enough to time it out too; it connects afterwards instead).
    honest_during: bool = True
    frame_counts: tuple[FrameCount, ...] = ()
    #: getpeerinfo's (addr_processed, addr_rate_limited) for the hostile peer at the end.
    addr_counts: tuple[int, int] | None = None
    #: The wtxids (hex) of the orphans the node keeps at the end (in-process runs only: there is
    #: no getorphantxs RPC on the node process).
    orphans: tuple[str, ...] | None = None
    #: Why the case does not run over loopback ("" = it does).
    no_loopback: str = ""

    @property
    def end_phase(self) -> Phase:
        return self.start if self.end is None else self.end

    @property
    def elapsed(self) -> int:
        return sum(a.seconds for a in self.actions if isinstance(a, Advance))


def wire(*msgs: NetMessage) -> bytes:
    return directed.wire(*msgs)


def frame(msgtype: str, payload: bytes) -> bytes:
    return frames.frame(msgtype, payload)


def hostile_version() -> msg_version:
    """The hostile peer's version: a modern full node (services NETWORK|WITNESS, relay)."""
    return directed.version(nonce=0x4057_11E0)


def honest_version() -> msg_version:
    return directed.version(nonce=0x0A11_CE01)


def handshake_wire(version: msg_version) -> bytes:
    """What a peer sends to complete its side of the handshake."""
    return wire(version, msg_wtxidrelay(), msg_sendaddrv2(), msg_verack())


def entries_of(payload: bytes) -> int:
    """The CompactSize count a payload starts with (0 for an empty payload)."""
    from common.serialize import DataStream

    return DataStream(payload).ReadCompactSize() if payload else 0


# -- sample objects --------------------------------------------------------------------------------

GENESIS: Final = Params().GenesisBlock()
GENESIS_HASH: Final = GENESIS.GetHash()
#: Hashes nobody has: unknown transactions, blocks and outpoints.
UNKNOWN_1: Final = uint256.FromInt(0x1111)
UNKNOWN_2: Final = uint256.FromInt(0x2222)
UNKNOWN_3: Final = uint256.FromInt(0x3333)
PEER_CHAIN: Final = PeerChain(T0)
GOOD_ADDR: Final = CAddress(LookupNumeric("44.55.66.77:8333"), directed.PEER_SERVICES, T0 - 60)


def solved_header(prev: uint256, salt: int, valid_pow: bool = True) -> CBlockHeader:
    """A header on ``prev`` whose proof of work is valid (or, with ``valid_pow=False``,
    misses regtest's target)."""
    header = CBlockHeader(0x20000000, prev, uint256.FromInt(salt), T0 - 3600, REGTEST_BITS, 0)
    consensus = Params().GetConsensus()
    while CheckProofOfWork(header.GetHash(), header.nBits, consensus) != valid_pow:
        header.nNonce += 1
    return header


def orphan_tx(parent: uint256, script_len: int = 1) -> CTransaction:
    """A transaction spending an output nobody has seen: a new orphan."""
    return CTransaction(
        [CTxIn(COutPoint(parent, 0), b"", 0xFFFFFFFE)], [CTxOut(1000, b"\x51" * script_len)], 0, 2
    )


def addresses(n: int) -> list[CAddress]:
    """``n`` distinct routable addresses of full nodes, seen a minute ago."""
    return [
        CAddress(
            LookupNumeric(f"60.{i // 250 % 250}.{i % 250}.{1 + i // 62500}:8333"),
            directed.PEER_SERVICES,
            T0 - 60,
        )
        for i in range(n)
    ]


def wtx_invs(n: int, first: int = 0x10_0000) -> list[CInv]:
    return [CInv(MSG_WTX, uint256.FromInt(first + i)) for i in range(n)]


# -- every message type: a well-formed sample and its malformed variants ---------------------------

#: Bytes appended to a payload: upstream never checks that a payload was read to its end.
GARBAGE: Final = b"\x00garbage"


@dataclass(frozen=True, slots=True)
class Oversized:
    """A payload over the type's own limit, upstream's reaction, the log line it gives, and
    whether it fails to deserialize (the limit is a decoding one) rather than being refused
    after decoding."""

    payload: bytes
    reaction: Reaction
    log: tuple[str, ...] = ()
    raises: bool = False


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """One message type as a handshaken inbound peer (no permissions) sends it."""

    msgtype: str
    #: A well-formed payload.
    sample: bytes
    #: Upstream's reaction to ``sample``.
    reaction: Reaction
    #: ProcessMessage reads the payload before anything decides the reaction, so a payload that
    #: does not decode ends in the exception ProcessMessages catches.
    decoded: bool
    upstream: str
    #: What the log shows for ``sample``.
    log: tuple[str, ...] = ()
    #: What the node writes back for ``sample``.
    frame_counts: tuple[FrameCount, ...] = ()
    addr_counts: tuple[int, int] | None = None
    #: A payload whose CompactSize count promises more elements than follow.
    count_past_end: bytes | None = None
    oversized: Oversized | None = None
    #: What a payload cut short does when ``decoded`` is False: the sample's reaction, unless
    #: given here (pong's short payload is handled, not an error).
    truncated_log: tuple[str, ...] = ()


def _ping_like(nonce: int) -> bytes:
    return ser_u64(nonce)


def _locator(hashes: list[uint256]) -> bytes:
    return CBlockLocator(hashes).serialize() + ZERO.data


def _one_txin() -> bytes:
    return CTxIn(COutPoint(UNKNOWN_2, 0), b"", 0xFFFFFFFE).serialize()


def _unconnecting_header(salt: int) -> CBlockHeader:
    return solved_header(uint256.FromInt(0xDEAD_0000 + salt), salt)


_UNKNOWN_CMD: Final = 'Unknown command "{}"'
_NO_BLOOM: Final = "{} received despite not offering bloom services"
_NO_FILTERS: Final = "peer requested unsupported block filter type: 0"


def _type_specs() -> list[TypeSpec]:
    T = NetMsgType
    block1 = PEER_CHAIN.block(1)
    header1 = block1.GetBlockHeader()
    inv1 = CInv(MSG_WTX, UNKNOWN_1)
    cmpct_header = _unconnecting_header(1)
    merkle = CMerkleBlock(GENESIS.GetBlockHeader(), CPartialMerkleTree(1, [GENESIS_HASH], [True]))
    specs = [
        TypeSpec(
            T.VERSION,
            hostile_version().serialize(),
            Reaction.IGNORE,
            False,
            "ProcessMessage: redundant version (checked before reading)",
            log=("redundant version message from peer=",),
        ),
        TypeSpec(
            T.VERACK,
            b"",
            Reaction.IGNORE,
            False,
            "ProcessMessage: redundant verack",
            log=("ignoring redundant verack message from peer=",),
        ),
        TypeSpec(
            T.ADDR,
            msg_addr([GOOD_ADDR]).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: ADDR/ADDRV2, then the MAX_ADDR_TO_SEND check",
            addr_counts=(1, 0),
            count_past_end=ser_compact_size(3) + GOOD_ADDR.serialize(CAddress.V1_NETWORK),
            oversized=Oversized(
                msg_addr(addresses(MAX_ADDR_TO_SEND + 1)).serialize(),
                Reaction.DISCOURAGE,
                (": addr message size = 1001",),
            ),
        ),
        TypeSpec(
            T.ADDRV2,
            msg_addrv2([GOOD_ADDR]).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: ADDR/ADDRV2, then the MAX_ADDR_TO_SEND check",
            addr_counts=(1, 0),
            count_past_end=ser_compact_size(3) + GOOD_ADDR.serialize(CAddress.V2_NETWORK),
            oversized=Oversized(
                msg_addrv2(addresses(MAX_ADDR_TO_SEND + 1)).serialize(),
                Reaction.DISCOURAGE,
                (": addrv2 message size = 1001",),
            ),
        ),
        TypeSpec(
            T.SENDADDRV2,
            b"",
            Reaction.DISCONNECT,
            False,
            "ProcessMessage: sendaddrv2 after verack",
            log=("sendaddrv2 received after verack",),
        ),
        TypeSpec(
            T.INV,
            msg_inv([inv1]).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: INV, then the MAX_INV_SZ check",
            count_past_end=ser_compact_size(3) + inv1.serialize(),
            oversized=Oversized(
                msg_inv(wtx_invs(MAX_INV_SZ + 1)).serialize(),
                Reaction.DISCOURAGE,
                (": inv message size = 50001",),
            ),
        ),
        TypeSpec(
            T.GETDATA,
            msg_getdata([inv1]).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: GETDATA, then the MAX_INV_SZ check; ProcessGetData",
            frame_counts=(FrameCount(T.NOTFOUND, 1, 1),),
            count_past_end=ser_compact_size(3) + inv1.serialize(),
            oversized=Oversized(
                msg_getdata(wtx_invs(MAX_INV_SZ + 1)).serialize(),
                Reaction.DISCOURAGE,
                (": getdata message size = 50001",),
            ),
        ),
        TypeSpec(
            T.MERKLEBLOCK,
            msg_merkleblock(merkle).serialize(),
            Reaction.IGNORE,
            False,
            "ProcessMessage: no handler (a node never receives one)",
            log=(_UNKNOWN_CMD.format(T.MERKLEBLOCK),),
            count_past_end=GENESIS.serialize_header()
            + ser_u32(1)
            + ser_compact_size(5)
            + GENESIS_HASH.data,
        ),
        TypeSpec(
            T.GETBLOCKS,
            _locator([GENESIS_HASH]),
            Reaction.IGNORE,
            True,
            "ProcessMessage: GETBLOCKS, then the MAX_LOCATOR_SZ check",
            frame_counts=(FrameCount(T.INV, 1, 1),),
            count_past_end=ser_i32(70016) + ser_compact_size(5) + GENESIS_HASH.data + ZERO.data,
            oversized=Oversized(
                _locator([GENESIS_HASH] * (MAX_LOCATOR_SZ + 1)),
                Reaction.DISCONNECT,
                ("getblocks locator size 102 > 101",),
            ),
        ),
        TypeSpec(
            T.GETHEADERS,
            _locator([GENESIS_HASH]),
            Reaction.IGNORE,
            True,
            "ProcessMessage: GETHEADERS, then the MAX_LOCATOR_SZ check",
            frame_counts=(FrameCount(T.HEADERS, 1, 1),),
            count_past_end=ser_i32(70016) + ser_compact_size(5) + GENESIS_HASH.data + ZERO.data,
            oversized=Oversized(
                _locator([GENESIS_HASH] * (MAX_LOCATOR_SZ + 1)),
                Reaction.DISCONNECT,
                ("getheaders locator size 102 > 101",),
            ),
        ),
        TypeSpec(
            T.TX,
            msg_tx(orphan_tx(UNKNOWN_2)).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: TX (an orphan: missing inputs)",
            count_past_end=ser_u32(2) + ser_compact_size(3) + _one_txin(),
        ),
        TypeSpec(
            T.HEADERS,
            msg_headers([header1]).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: HEADERS reads the count, checks MAX_HEADERS_RESULTS, then reads",
            count_past_end=ser_compact_size(2) + header1.serialize_header() + b"\x00",
            oversized=Oversized(
                msg_headers([header1] * (MAX_HEADERS_RESULTS + 1)).serialize(),
                Reaction.DISCOURAGE,
                (": headers message size = 2001",),
            ),
        ),
        TypeSpec(
            T.BLOCK,
            msg_block(block1).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: BLOCK (a valid block on genesis)",
            count_past_end=block1.serialize_header()
            + ser_compact_size(5)
            + block1.vtx[0].serialize(with_witness=False),
        ),
        TypeSpec(T.GETADDR, b"", Reaction.IGNORE, False, "ProcessMessage: GETADDR (inbound)"),
        TypeSpec(
            T.MEMPOOL,
            b"",
            Reaction.DISCONNECT,
            False,
            "ProcessMessage: MEMPOOL without NODE_BLOOM or the mempool permission",
            log=("mempool request with bloom filters disabled",),
        ),
        TypeSpec(
            T.PING,
            _ping_like(0x1234),
            Reaction.IGNORE,
            True,
            "ProcessMessage: PING reads the nonce, answers with a pong",
            frame_counts=(FrameCount(T.PONG, 1),),
        ),
        TypeSpec(
            T.PONG,
            _ping_like(0x1234),
            Reaction.IGNORE,
            False,
            'ProcessMessage: PONG (under 8 bytes is a "Short payload", not an error)',
            log=("Nonce mismatch",),
            truncated_log=("Short payload",),
        ),
        TypeSpec(
            T.NOTFOUND,
            msg_notfound([inv1]).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: NOTFOUND, long ones are not looked at",
            count_past_end=ser_compact_size(3) + inv1.serialize(),
            oversized=Oversized(
                msg_notfound(wtx_invs(5000 + 16 + 1)).serialize(), Reaction.IGNORE, ()
            ),
        ),
        TypeSpec(
            T.FILTERLOAD,
            msg_filterload(b"\xff" * 8, 5, 0, 1).serialize(),
            Reaction.DISCONNECT,
            False,
            "ProcessMessage: FILTERLOAD without NODE_BLOOM (checked before reading)",
            log=(_NO_BLOOM.format(T.FILTERLOAD),),
            count_past_end=ser_compact_size(100) + b"\xff" * 10,
            oversized=Oversized(
                msg_filterload(b"\xff" * 36_001, 5, 0, 1).serialize(),
                Reaction.DISCONNECT,
                (_NO_BLOOM.format(T.FILTERLOAD),),
            ),
        ),
        TypeSpec(
            T.FILTERADD,
            msg_filteradd(b"\x01" * 32).serialize(),
            Reaction.DISCONNECT,
            False,
            "ProcessMessage: FILTERADD without NODE_BLOOM (checked before reading)",
            log=(_NO_BLOOM.format(T.FILTERADD),),
            count_past_end=ser_compact_size(100) + b"\x01" * 10,
            oversized=Oversized(
                msg_filteradd(b"\x01" * 521).serialize(),
                Reaction.DISCONNECT,
                (_NO_BLOOM.format(T.FILTERADD),),
            ),
        ),
        TypeSpec(
            T.FILTERCLEAR,
            b"",
            Reaction.DISCONNECT,
            False,
            "ProcessMessage: FILTERCLEAR without NODE_BLOOM",
            log=(_NO_BLOOM.format(T.FILTERCLEAR),),
        ),
        TypeSpec(T.SENDHEADERS, b"", Reaction.IGNORE, False, "ProcessMessage: SENDHEADERS"),
        TypeSpec(
            T.FEEFILTER,
            msg_feefilter(1000).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: FEEFILTER",
        ),
        TypeSpec(
            T.SENDCMPCT,
            msg_sendcmpct(False, 2).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: SENDCMPCT",
        ),
        TypeSpec(
            T.CMPCTBLOCK,
            msg_cmpctblock(CBlockHeaderAndShortTxIDs(cmpct_header, 1, [], [])).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: CMPCTBLOCK (header does not connect: getheaders at most)",
            count_past_end=cmpct_header.serialize_header()
            + ser_u64(1)
            + ser_compact_size(5)
            + bytes(6),
            oversized=Oversized(
                cmpct_header.serialize_header()
                + ser_u64(1)
                + ser_compact_size(0x10000)
                + bytes(6 * 0x10000)
                + ser_compact_size(0),
                Reaction.IGNORE,
                raises=True,
            ),
        ),
        TypeSpec(
            T.GETBLOCKTXN,
            msg_getblocktxn(BlockTransactionsRequest(UNKNOWN_3, [0])).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: GETBLOCKTXN for a block we do not have",
            count_past_end=UNKNOWN_3.data + ser_compact_size(5) + ser_compact_size(0),
            oversized=Oversized(
                UNKNOWN_3.data
                + ser_compact_size(2)
                + ser_compact_size(0xFFFF)
                + ser_compact_size(1),
                Reaction.IGNORE,
                raises=True,
            ),
        ),
        TypeSpec(
            T.BLOCKTXN,
            msg_blocktxn(BlockTransactions(UNKNOWN_3, [])).serialize(),
            Reaction.IGNORE,
            True,
            "ProcessMessage: BLOCKTXN for a block we did not ask for",
            count_past_end=UNKNOWN_3.data + ser_compact_size(5),
        ),
        TypeSpec(
            T.GETCFILTERS,
            msg_getcfilters(0, 0, GENESIS_HASH).serialize(),
            Reaction.DISCONNECT,
            True,
            "ProcessGetCFilters reads, then PrepareBlockFilterRequest disconnects",
            log=(_NO_FILTERS,),
        ),
        TypeSpec(
            T.CFILTER,
            msg_cfilter(0, GENESIS_HASH, b"\x00").serialize(),
            Reaction.IGNORE,
            False,
            "ProcessMessage: no handler",
            log=(_UNKNOWN_CMD.format(T.CFILTER),),
            count_past_end=b"\x00" + GENESIS_HASH.data + ser_compact_size(100),
        ),
        TypeSpec(
            T.GETCFHEADERS,
            msg_getcfheaders(0, 0, GENESIS_HASH).serialize(),
            Reaction.DISCONNECT,
            True,
            "ProcessGetCFHeaders reads, then PrepareBlockFilterRequest disconnects",
            log=(_NO_FILTERS,),
        ),
        TypeSpec(
            T.CFHEADERS,
            msg_cfheaders(0, GENESIS_HASH, ZERO, [ZERO]).serialize(),
            Reaction.IGNORE,
            False,
            "ProcessMessage: no handler",
            log=(_UNKNOWN_CMD.format(T.CFHEADERS),),
            count_past_end=b"\x00"
            + GENESIS_HASH.data
            + ZERO.data
            + ser_compact_size(5)
            + ZERO.data,
        ),
        TypeSpec(
            T.GETCFCHECKPT,
            msg_getcfcheckpt(0, GENESIS_HASH).serialize(),
            Reaction.DISCONNECT,
            True,
            "ProcessGetCFCheckPt reads, then PrepareBlockFilterRequest disconnects",
            log=(_NO_FILTERS,),
        ),
        TypeSpec(
            T.CFCHECKPT,
            msg_cfcheckpt(0, GENESIS_HASH, [ZERO]).serialize(),
            Reaction.IGNORE,
            False,
            "ProcessMessage: no handler",
            log=(_UNKNOWN_CMD.format(T.CFCHECKPT),),
            count_past_end=b"\x00" + GENESIS_HASH.data + ser_compact_size(5) + ZERO.data,
        ),
        TypeSpec(
            T.WTXIDRELAY,
            b"",
            Reaction.DISCONNECT,
            False,
            "ProcessMessage: wtxidrelay after verack",
            log=("wtxidrelay received after verack",),
        ),
        TypeSpec(
            T.SENDTXRCNCL,
            msg_sendtxrcncl(1, 7).serialize(),
            Reaction.IGNORE,
            False,
            "ProcessMessage: SENDTXRCNCL, txreconciliation off (checked before reading)",
            log=("as our node does not have txreconciliation enabled",),
        ),
    ]
    assert [s.msgtype for s in specs] == list(ALL_NET_MESSAGE_TYPES)
    return specs


TYPE_SPECS: Final = {spec.msgtype: spec for spec in _type_specs()}


def _per_type_cases(spec: TypeSpec) -> list[HostileCase]:
    """The sample with trailing garbage, cut short, with a count past its end, and over its
    limit, each from a handshaken inbound peer."""
    t = spec.msgtype
    out = [
        HostileCase(
            f"{t}-trailing-garbage",
            (Send(frame(t, spec.sample + GARBAGE)),),
            spec.reaction,
            spec.upstream,
            log=spec.log,
            frame_counts=spec.frame_counts,
            addr_counts=spec.addr_counts,
        )
    ]
    malformed = []
    if spec.sample:
        malformed.append(("truncated", spec.sample[:-1], spec.truncated_log or spec.log))
    if spec.count_past_end is not None:
        malformed.append(("count-past-end", spec.count_past_end, spec.log))
    for what, payload, log in malformed:
        if spec.decoded:
            out.append(
                HostileCase(
                    f"{t}-{what}",
                    (Send(frame(t, payload)),),
                    Reaction.IGNORE,
                    "ProcessMessages catches the deserialization error; " + spec.upstream,
                    exception=t,
                    addr_counts=None if spec.addr_counts is None else (0, 0),
                    frame_counts=tuple(
                        dataclasses.replace(c, frames=0, entries=None) for c in spec.frame_counts
                    ),
                )
            )
        else:
            out.append(
                HostileCase(
                    f"{t}-{what}",
                    (Send(frame(t, payload)),),
                    spec.reaction,
                    spec.upstream,
                    log=log,
                )
            )
    if spec.oversized is not None:
        over = spec.oversized
        out.append(
            HostileCase(
                f"{t}-oversized",
                (Send(frame(t, over.payload)),),
                over.reaction,
                spec.upstream,
                exception=t if over.raises else None,
                log=over.log,
            )
        )
    return out


def _before_version_cases() -> list[HostileCase]:
    """Every other message type before version: ignored, and the handshake still works."""
    return [
        HostileCase(
            f"{t}-before-version",
            (Send(frame(t, spec.sample)),),
            Reaction.IGNORE,
            "ProcessMessage: nVersion == 0, non-version message before version handshake",
            start=Phase.CONNECTED,
            log=(f'non-version message before version handshake. Message "{t}"',),
            frame_counts=(FrameCount(NetMsgType.VERSION, 0),),
        )
        for t, spec in TYPE_SPECS.items()
        if t != NetMsgType.VERSION
    ]


def _frame_cases() -> list[HostileCase]:
    """The v1 transport: magic, checksum, message type and length (V1Transport::readHeader,
    V1Transport::GetReceivedMessage, CNode::ReceiveMsgBytes)."""
    ping = _ping_like(0x5151)
    at_limit = bytes(MAX_PROTOCOL_MESSAGE_LENGTH)
    no_pong = (FrameCount(NetMsgType.PONG, 0),)
    return [
        HostileCase(
            "frame-bad-magic",
            (Send(frames.bad_magic(NetMsgType.PING, ping)),),
            Reaction.DISCONNECT,
            "V1Transport::readHeader: wrong MessageStart",
            log=("Header error: Wrong MessageStart",),
        ),
        HostileCase(
            "frame-bad-checksum",
            (Send(frames.bad_checksum(NetMsgType.PING, ping)),),
            Reaction.IGNORE,
            "V1Transport::GetReceivedMessage: the message is dropped",
            log=("Header error: Wrong checksum",),
            frame_counts=no_pong,
        ),
        HostileCase(
            "frame-invalid-message-type",
            (Send(frames.invalid_command(ping)),),
            Reaction.IGNORE,
            "V1Transport::GetReceivedMessage: the message is dropped",
            log=("Header error: Invalid message type",),
            frame_counts=no_pong,
        ),
        HostileCase(
            "frame-unknown-message-type",
            (Send(frame(UNKNOWN_TYPE, b"abc")),),
            Reaction.IGNORE,
            "ProcessMessage: unknown types are ignored",
            log=(_UNKNOWN_CMD.format(UNKNOWN_TYPE),),
        ),
        HostileCase(
            "frame-length-over-limit",
            (Send(frames.oversize(UNKNOWN_TYPE, MAX_PROTOCOL_MESSAGE_LENGTH + 1)),),
            Reaction.DISCONNECT,
            "V1Transport::readHeader: nMessageSize > MAX_PROTOCOL_MESSAGE_LENGTH",
            log=("Header error: Size too large",),
        ),
        HostileCase(
            "frame-length-max-uint32",
            (Send(frames.oversize(UNKNOWN_TYPE, 0xFFFFFFFF)),),
            Reaction.DISCONNECT,
            "V1Transport::readHeader: nMessageSize > MAX_SIZE",
            log=("Header error: Size too large",),
        ),
        HostileCase(
            "frame-length-at-limit",
            (Send(frame(UNKNOWN_TYPE, at_limit)),),
            Reaction.IGNORE,
            "V1Transport::readHeader accepts MAX_PROTOCOL_MESSAGE_LENGTH exactly",
            log=(_UNKNOWN_CMD.format(UNKNOWN_TYPE),),
        ),
        HostileCase(
            "frame-partial-header",
            (Send(frame(NetMsgType.PING, ping)[:10]),),
            Reaction.IGNORE,
            "V1Transport::readHeader waits for 24 bytes",
            probe=False,
            frame_counts=no_pong,
        ),
        HostileCase(
            "frame-partial-payload",
            (Send(frame(NetMsgType.PING, ping)[:28]),),
            Reaction.IGNORE,
            "V1Transport::readData waits for the payload",
            probe=False,
            frame_counts=no_pong,
        ),
        HostileCase(
            "ping-empty-payload",
            (Send(frame(NetMsgType.PING, b"")),),
            Reaction.IGNORE,
            "ProcessMessages catches the deserialization error",
            exception="ping",
            frame_counts=no_pong,
        ),
    ]


def _handshake_cases() -> list[HostileCase]:
    """The version handshake and feature negotiation, out of order or malformed."""
    T = NetMsgType
    version = hostile_version().serialize()
    long_subver = dataclasses.replace(hostile_version(), strSubVer="x" * 257).serialize()
    # Everything up to the nonce, then a user agent that promises 200 bytes and has 3.
    subver_at = len(version) - len(ser_string("/peer:1.0/")) - 4 - 1
    short_subver = version[:subver_at] + ser_compact_size(200) + b"abc"
    answered = (FrameCount(T.VERSION, 1), FrameCount(T.VERACK, 1))
    unanswered = (FrameCount(T.VERSION, 0),)
    return [
        HostileCase(
            "opening-version-truncated",
            (Send(frame(T.VERSION, version[:40])),),
            Reaction.IGNORE,
            "ProcessMessages catches the deserialization error; "
            "nVersion stays 0, so a later version is still accepted",
            start=Phase.CONNECTED,
            exception=T.VERSION,
            frame_counts=unanswered,
        ),
        HostileCase(
            "opening-version-user-agent-over-limit",
            (Send(frame(T.VERSION, long_subver)),),
            Reaction.IGNORE,
            "ProcessMessage: LIMITED_STRING(MAX_SUBVERSION_LENGTH) throws",
            start=Phase.CONNECTED,
            exception=T.VERSION,
            frame_counts=unanswered,
        ),
        HostileCase(
            "opening-version-user-agent-count-past-end",
            (Send(frame(T.VERSION, short_subver)),),
            Reaction.IGNORE,
            "ProcessMessages catches the deserialization error",
            start=Phase.CONNECTED,
            exception=T.VERSION,
            frame_counts=unanswered,
        ),
        HostileCase(
            "opening-version-trailing-garbage",
            (Send(frame(T.VERSION, version + GARBAGE)),),
            Reaction.IGNORE,
            "ProcessMessage: VERSION reads what it knows, no more",
            start=Phase.CONNECTED,
            end=Phase.VERSION_SENT,
            frame_counts=answered,
        ),
        HostileCase(
            "opening-version-obsolete",
            (Send(wire(directed.version(nversion=31799))),),
            Reaction.DISCONNECT,
            "ProcessMessage: nVersion < MIN_PEER_PROTO_VERSION",
            start=Phase.CONNECTED,
            log=("peer using obsolete version 31799",),
        ),
        HostileCase(
            "version-twice",
            (Send(wire(hostile_version())),),
            Reaction.IGNORE,
            "ProcessMessage: redundant version",
            log=("redundant version message from peer=",),
            frame_counts=unanswered,
        ),
        HostileCase(
            "version-during-negotiation",
            (Send(wire(hostile_version())),),
            Reaction.IGNORE,
            "ProcessMessage: redundant version",
            start=Phase.VERSION_SENT,
            log=("redundant version message from peer=",),
        ),
        HostileCase(
            "verack-twice",
            (Send(wire(msg_verack())),),
            Reaction.IGNORE,
            "ProcessMessage: redundant verack",
            log=("ignoring redundant verack message from peer=",),
        ),
        HostileCase(
            "ping-before-verack",
            (Send(wire(msg_ping(0x77))),),
            Reaction.IGNORE,
            "ProcessMessage: unsupported message prior to verack",
            start=Phase.VERSION_SENT,
            log=('Unsupported message "ping" prior to verack',),
            frame_counts=(FrameCount(T.PONG, 0),),
        ),
        HostileCase(
            "wtxidrelay-payload-during-negotiation",
            (Send(frame(T.WTXIDRELAY, GARBAGE)),),
            Reaction.IGNORE,
            "ProcessMessage: WTXIDRELAY reads nothing",
            start=Phase.VERSION_SENT,
        ),
        HostileCase(
            "sendtxrcncl-truncated-during-negotiation",
            (Send(frame(T.SENDTXRCNCL, msg_sendtxrcncl(1, 7).serialize()[:5])),),
            Reaction.IGNORE,
            "ProcessMessage: SENDTXRCNCL, txreconciliation off (checked before reading)",
            start=Phase.VERSION_SENT,
            log=("as our node does not have txreconciliation enabled",),
        ),
    ]


def _bloom_cases() -> list[HostileCase]:
    """BIP37 from a peer with the bloomfilter permission (NODE_BLOOM offered to it): now the
    payloads are read, and their limits enforced."""
    T = NetMsgType
    bloom = NetPermissionFlags.BloomFilter
    load = msg_filterload(b"\xff" * 8, 5, 0, 1).serialize()
    add = msg_filteradd(b"\x01" * 32).serialize()
    where = "ProcessMessage: FILTERLOAD/FILTERADD with NODE_BLOOM"

    def case(
        name: str,
        *payloads: tuple[str, bytes],
        reaction: Reaction,
        exception: str | None = None,
        log: tuple[str, ...] = (),
    ) -> HostileCase:
        return HostileCase(
            name,
            tuple(Send(frame(t, p)) for t, p in payloads),
            reaction,
            where,
            permissions=bloom,
            exception=exception,
            log=log,
        )

    return [
        case(
            "filterload-bloom-trailing-garbage",
            (T.FILTERLOAD, load + GARBAGE),
            reaction=Reaction.IGNORE,
        ),
        case(
            "filterload-bloom-truncated",
            (T.FILTERLOAD, load[:-1]),
            reaction=Reaction.IGNORE,
            exception=T.FILTERLOAD,
        ),
        case(
            "filterload-bloom-count-past-end",
            (T.FILTERLOAD, ser_compact_size(100) + b"\xff" * 10),
            reaction=Reaction.IGNORE,
            exception=T.FILTERLOAD,
        ),
        case(
            "filterload-bloom-oversized",
            (T.FILTERLOAD, msg_filterload(b"\xff" * 36_001, 5, 0, 1).serialize()),
            reaction=Reaction.DISCOURAGE,
            log=(": too-large bloom filter",),
        ),
        case(
            "filterload-bloom-too-many-hash-funcs",
            (T.FILTERLOAD, msg_filterload(b"\xff" * 8, 51, 0, 1).serialize()),
            reaction=Reaction.DISCOURAGE,
            log=(": too-large bloom filter",),
        ),
        case(
            "filteradd-bloom-without-filter",
            (T.FILTERADD, add),
            reaction=Reaction.DISCOURAGE,
            log=(": bad filteradd message",),
        ),
        case(
            "filteradd-bloom-oversized",
            (T.FILTERLOAD, load),
            (T.FILTERADD, msg_filteradd(b"\x01" * 521).serialize()),
            reaction=Reaction.DISCOURAGE,
            log=(": bad filteradd message",),
        ),
        case(
            "filteradd-bloom-truncated",
            (T.FILTERLOAD, load),
            (T.FILTERADD, add[:-1]),
            reaction=Reaction.IGNORE,
            exception=T.FILTERADD,
        ),
        case(
            "filterclear-bloom-trailing-garbage",
            (T.FILTERLOAD, load),
            (T.FILTERCLEAR, GARBAGE),
            reaction=Reaction.IGNORE,
        ),
        case("mempool-bloom-trailing-garbage", (T.MEMPOOL, GARBAGE), reaction=Reaction.IGNORE),
    ]


def _invalid_data_cases() -> list[HostileCase]:
    """Well-formed messages carrying invalid data: Misbehaving for blocks and headers."""
    T = NetMsgType
    mutated = dataclasses.replace(PEER_CHAIN.block(1), hashMerkleRoot=UNKNOWN_1)
    consensus = Params().GetConsensus()
    while not CheckProofOfWork(mutated.GetHash(), mutated.nBits, consensus):
        mutated.nNonce += 1
    txin = CTxIn(COutPoint(UNKNOWN_2, 0), b"", 0xFFFFFFFE)
    duplicate_inputs = CTransaction([txin, txin], [CTxOut(1000, b"\x51")], 0, 2)
    header1 = PEER_CHAIN.block(1).GetBlockHeader()
    return [
        HostileCase(
            "block-mutated",
            (Send(wire(msg_block(mutated))),),
            Reaction.DISCOURAGE,
            "ProcessMessage: BLOCK, IsBlockMutated",
            log=(": mutated block",),
        ),
        HostileCase(
            "headers-invalid-pow",
            (Send(wire(msg_headers([solved_header(GENESIS_HASH, 7, False)]))),),
            Reaction.DISCOURAGE,
            "ProcessHeadersMessage: CheckHeadersPoW",
            log=(": header with invalid proof of work",),
        ),
        HostileCase(
            "headers-not-continuous",
            (
                Send(
                    wire(msg_headers([solved_header(GENESIS_HASH, 8), solved_header(UNKNOWN_1, 9)]))
                ),
            ),
            Reaction.DISCOURAGE,
            "ProcessHeadersMessage: CheckHeadersPoW",
            log=(": non-continuous headers sequence",),
        ),
        HostileCase(
            "headers-count-over-limit-short-payload",
            (
                Send(
                    frame(
                        T.HEADERS,
                        ser_compact_size(MAX_HEADERS_RESULTS + 1)
                        + header1.serialize_header()
                        + b"\x00",
                    )
                ),
            ),
            Reaction.DISCOURAGE,
            "ProcessMessage: HEADERS checks the count before reading the headers",
            log=(": headers message size = 2001",),
        ),
        HostileCase(
            "tx-consensus-invalid",
            (Send(wire(msg_tx(duplicate_inputs))),),
            Reaction.IGNORE,
            "ProcessInvalidTx: v30.0 no longer punishes invalid transactions (there is no "
            "MaybePunishNodeForTx); bad-txns-inputs-duplicate is only a reject",
        ),
    ]


#: The orphan flood: orphans of this weight (an output script of ORPHAN_SCRIPT_LEN bytes), more
#: than the peer's reserved orphanage weight holds.
ORPHAN_SCRIPT_LEN: Final = 12_000
ORPHAN_FLOOD: Final = 12


def orphan_flood() -> list[CTransaction]:
    return [orphan_tx(uint256.FromInt(0x7000 + i), ORPHAN_SCRIPT_LEN) for i in range(ORPHAN_FLOOD)]


def orphans_kept(flood: list[CTransaction]) -> list[CTransaction]:
    """The newest orphans that fit the reserved weight (LimitOrphans evicts the oldest)."""
    from common.consensus_validation import GetTransactionWeight

    weight = GetTransactionWeight(flood[0])
    keep = LIMITS["DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER"] // weight
    return flood[len(flood) - keep :]


def _flood_and_timeout_cases() -> list[HostileCase]:
    T = NetMsgType
    version_frame = wire(hostile_version())
    ping_frame = wire(msg_ping(0x99))
    # Slowloris: a byte at a time, the clock moving on between bytes.
    drip_before_version: list[Action] = []
    for i in range(DEFAULT_PEER_CONNECT_TIMEOUT // 10 + 1):
        drip_before_version += [Send(version_frame[i : i + 1]), Advance(10)]
    drip_after_handshake: list[Action] = []
    for i in range(TIMEOUT_INTERVAL // 60 + 1):
        drip_after_handshake += [Send(ping_frame[i : i + 1]), Advance(60)]
    unconnecting = [msg_headers([_unconnecting_header(100 + i)]) for i in range(21)]
    addrs = addresses(2 * MAX_ADDR_TO_SEND)
    addr_flood = (
        Send(wire(msg_addr(addrs[:MAX_ADDR_TO_SEND]))),
        Advance(100),
        Send(wire(msg_addr(addrs[MAX_ADDR_TO_SEND:]))),
    )
    # 100 s at MAX_ADDR_RATE_PER_SECOND refills 10 tokens; the bucket starts with one.
    refill = int(100 * MAX_ADDR_RATE_PER_SECOND)
    orphans = orphan_flood()
    resent = orphan_tx(UNKNOWN_3)
    announcements = LIMITS["MAX_PEER_TX_ANNOUNCEMENTS"]
    return [
        HostileCase(
            "slowloris-before-version",
            tuple(drip_before_version),
            Reaction.DISCONNECT,
            "CConnman::InactivityCheck after the peer connect timeout",
            start=Phase.CONNECTED,
            deadline=DEFAULT_PEER_CONNECT_TIMEOUT,
            log=("socket no message in first 60 seconds",),
        ),
        HostileCase(
            "slowloris-after-handshake",
            tuple(drip_after_handshake),
            Reaction.DISCONNECT,
            "MaybeSendPing's ping timeout / InactivityCheck, TIMEOUT_INTERVAL after our "
            "last ping and send",
            deadline=TIMEOUT_INTERVAL,
            honest_during=False,
        ),
        HostileCase(
            "unconnecting-headers-flood",
            (
                Send(wire(*unconnecting[:20])),
                Advance(HEADERS_RESPONSE_TIME + 1),
                Send(wire(unconnecting[20])),
            ),
            Reaction.IGNORE,
            "HandleUnconnectingHeaders: MaybeSendGetHeaders, one per HEADERS_RESPONSE_TIME",
            frame_counts=(FrameCount(T.GETHEADERS, 1),),
        ),
        HostileCase(
            "addr-flood",
            addr_flood,
            Reaction.IGNORE,
            "ProcessMessage: ADDR, the address token bucket",
            addr_counts=(1 + refill, 2 * MAX_ADDR_TO_SEND - 1 - refill),
        ),
        HostileCase(
            "addr-flood-with-addr-permission",
            addr_flood,
            Reaction.IGNORE,
            "ProcessMessage: ADDR, no rate limit with the addr permission",
            permissions=NetPermissionFlags.Addr,
            addr_counts=(2 * MAX_ADDR_TO_SEND, 0),
        ),
        HostileCase(
            "tx-announcement-flood",
            (
                Send(wire(msg_inv(wtx_invs(announcements)))),
                Send(wire(msg_inv(wtx_invs(1, first=0x20_0000)))),
                Advance(NONPREF_PEER_TX_DELAY + 1),
            ),
            Reaction.IGNORE,
            "TxDownloadManager::AddTxAnnouncement: at most MAX_PEER_TX_ANNOUNCEMENTS",
            frame_counts=(FrameCount(T.GETDATA, announcements // 1000, announcements),),
            no_loopback="5001 announcements cost the node seconds of CPU, and the cap is "
            "net_processing bookkeeping with nothing socket-level to it: in-process only",
        ),
        HostileCase(
            "orphan-flood",
            tuple(Send(wire(msg_tx(tx))) for tx in orphans),
            Reaction.IGNORE,
            "TxOrphanage::LimitOrphans: the peer's reserved weight",
            orphans=tuple(sorted(tx.GetWitnessHash().GetHex() for tx in orphans_kept(orphans))),
        ),
        HostileCase(
            "tx-resent-flood",
            (Send(wire(msg_tx(resent)) * 100),),
            Reaction.IGNORE,
            "TxDownloadManager::ReceivedTx: a transaction already in the orphanage is not "
            "validated again",
            orphans=(resent.GetWitnessHash().GetHex(),),
        ),
        HostileCase(
            "getaddr-twice",
            (Send(wire(msg_getaddr(), msg_getaddr())),),
            Reaction.IGNORE,
            "ProcessMessage: GETADDR, one answer per connection",
            log=('Ignoring repeated "getaddr"',),
        ),
    ]


def _addrv2_entry(network: int, address: bytes) -> bytes:
    """One BIP155 address as a peer may write it: time, services, network id, the address
    with its CompactSize length (whatever the network's real length), port."""
    return (
        ser_u32(T0 - 60)
        + ser_compact_size(int(directed.PEER_SERVICES))
        + bytes([network])
        + ser_compact_size(len(address))
        + address
        + (8333).to_bytes(2, "big")
    )


def _decoding_edge_cases() -> list[HostileCase]:
    """Encodings upstream's deserializers reject, or accept, at their edges (serialize.h,
    netaddress.cpp, transaction.h, blockencodings.h, protocol.cpp)."""
    T = NetMsgType
    inv1 = CInv(MSG_WTX, UNKNOWN_1)
    txin = CTxIn(COutPoint(UNKNOWN_2, 0), b"", 0xFFFFFFFE).serialize()
    txout = CTxOut(1000, b"\x51").serialize()
    header1 = PEER_CHAIN.block(1).GetBlockHeader()
    cmpct_header = _unconnecting_header(2)
    caught = "ProcessMessages catches the deserialization error"
    unknown_network = 0xAA

    def bad(name: str, msgtype: str, payload: bytes, upstream: str) -> HostileCase:
        return HostileCase(
            name,
            (Send(frame(msgtype, payload)),),
            Reaction.IGNORE,
            f"{caught}: {upstream}",
            exception=msgtype,
        )

    return [
        bad(
            "inv-non-canonical-count",
            T.INV,
            b"\xfd\x01\x00" + inv1.serialize(),
            "ReadCompactSize: non-canonical",
        ),
        bad(
            "inv-count-over-max-size",
            T.INV,
            b"\xfe\x01\x00\x00\x02" + inv1.serialize(),
            "ReadCompactSize: size too large (over MAX_SIZE)",
        ),
        HostileCase(
            "inv-unknown-type",
            (Send(wire(msg_inv([CInv(99, UNKNOWN_1)]))),),
            Reaction.IGNORE,
            "ProcessMessage: INV, unknown inv types are skipped",
            log=('Unknown inv type "',),
        ),
        bad(
            "addrv2-ipv4-wrong-length",
            T.ADDRV2,
            ser_compact_size(1) + _addrv2_entry(1, bytes(5)),
            "CNetAddr::UnserializeV2Stream: a known network with the wrong address length",
        ),
        bad(
            "addrv2-address-too-long",
            T.ADDRV2,
            ser_compact_size(1) + _addrv2_entry(unknown_network, bytes(513)),
            "CNetAddr::UnserializeV2Stream: longer than MAX_ADDRV2_SIZE",
        ),
        HostileCase(
            "addrv2-unknown-network",
            (
                Send(
                    frame(T.ADDRV2, ser_compact_size(1) + _addrv2_entry(unknown_network, bytes(10)))
                ),
            ),
            Reaction.IGNORE,
            "CNetAddr::UnserializeV2Stream skips an unknown network (an invalid "
            "address, still counted as processed)",
            addr_counts=(1, 0),
        ),
        bad(
            "tx-superfluous-witness",
            T.TX,
            ser_u32(2)
            + b"\x00\x01"
            + ser_compact_size(1)
            + txin
            + ser_compact_size(1)
            + txout
            + b"\x00"
            + ser_u32(0),
            "UnserializeTransaction: witness flag with only empty witnesses",
        ),
        bad(
            "tx-unknown-optional-data",
            T.TX,
            ser_u32(2)
            + b"\x00\x02"
            + ser_compact_size(1)
            + txin
            + ser_compact_size(1)
            + txout
            + ser_u32(0),
            "UnserializeTransaction: unknown flag",
        ),
        bad(
            "cmpctblock-prefilled-index-over-uint16",
            T.CMPCTBLOCK,
            cmpct_header.serialize_header()
            + ser_u64(1)
            + ser_compact_size(0)
            + ser_compact_size(1)
            + ser_compact_size(0x10000)
            + orphan_tx(UNKNOWN_2).serialize(with_witness=False),
            "PrefilledTransaction: the index does not fit a uint16_t",
        ),
        HostileCase(
            "headers-nonzero-tx-count",
            (
                Send(
                    frame(
                        T.HEADERS,
                        ser_compact_size(1) + header1.serialize_header() + ser_compact_size(5),
                    )
                ),
            ),
            Reaction.IGNORE,
            "ProcessMessage: HEADERS reads the tx count and ignores it",
        ),
        HostileCase(
            "frame-message-type-garbage-after-nul",
            (Send(frames.header(b"ping\x00x", 8, frames.checksum(bytes(8))) + bytes(8)),),
            Reaction.IGNORE,
            "CMessageHeader::IsMessageTypeValid: only NULs after the first NUL",
            log=("Header error: Invalid message type",),
            frame_counts=(FrameCount(T.PONG, 0),),
        ),
        HostileCase(
            "frame-empty-message-type",
            (Send(frame("", b"")),),
            Reaction.IGNORE,
            "An all-NUL message type is valid, and unknown",
            log=(_UNKNOWN_CMD.format(""),),
        ),
    ]


CASES: Final[tuple[HostileCase, ...]] = tuple(
    [c for spec in TYPE_SPECS.values() for c in _per_type_cases(spec)]
    + _before_version_cases()
    + _frame_cases()
    + _handshake_cases()
    + _bloom_cases()
    + _invalid_data_cases()
    + _decoding_edge_cases()
    + _flood_and_timeout_cases()
)
CASES_BY_NAME: Final = {c.name: c for c in CASES}
_DUPLICATES = [n for n in CASES_BY_NAME if sum(c.name == n for c in CASES) > 1]
assert not _DUPLICATES, _DUPLICATES
