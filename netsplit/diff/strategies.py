"""Hypothesis strategies for scenario parts: addresses, permissions, every message type with
sensible and random fields, malformed frames, and clock jumps across the variant's timeouts.

"Sensible" values are the ones a well-behaved peer sends (a current protocol version, a nonce,
a routable address); "random" ones probe the edges (limits plus one, undecodable payloads,
values outside the money range). Both come from the same strategies, so shrinking moves a
failing scenario towards sensible values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

from hypothesis import strategies as st

from common.chainparams import Params
from common.connection_types import ConnectionType
from common.messages import (
    MESSAGE_CLASSES,
    BlockTransactions,
    BlockTransactionsRequest,
    CBlockHeaderAndShortTxIDs,
    CMerkleBlock,
    CPartialMerkleTree,
    NetMessage,
    PrefilledTransaction,
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
    msg_filterclear,
    msg_filterload,
    msg_getaddr,
    msg_getblocks,
    msg_getblocktxn,
    msg_getcfcheckpt,
    msg_getcfheaders,
    msg_getcfilters,
    msg_getdata,
    msg_getheaders,
    msg_headers,
    msg_inv,
    msg_mempool,
    msg_merkleblock,
    msg_notfound,
    msg_ping,
    msg_pong,
    msg_sendaddrv2,
    msg_sendcmpct,
    msg_sendheaders,
    msg_sendtxrcncl,
    msg_tx,
    msg_verack,
    msg_version,
    msg_wtxidrelay,
)
from common.net_permissions import NetPermissionFlags
from common.netaddress import CNetAddr, CService
from common.netbase import LookupNumeric
from common.primitives.block import CBlock, CBlockHeader, CBlockLocator
from common.primitives.transaction import COutPoint, CTransaction, CTxIn, CTxOut
from common.protocol import (
    MSG_BLOCK,
    MSG_CMPCT_BLOCK,
    MSG_FILTERED_BLOCK,
    MSG_TX,
    MSG_WITNESS_BLOCK,
    MSG_WITNESS_TX,
    MSG_WTX,
    NODE_BLOOM,
    NODE_COMPACT_FILTERS,
    NODE_NETWORK,
    NODE_NETWORK_LIMITED,
    NODE_NONE,
    NODE_P2P_V2,
    NODE_WITNESS,
    CAddress,
    CInv,
    ServiceFlags,
)
from common.serialize import DataStream
from common.uint256 import ZERO, uint256

from . import frames
from .chainops import PEER_CHAIN_LENGTH, PeerChain
from .scenario import DEFAULT_START_TIME

PROTOCOL_VERSION: Final = 70016
#: Versions worth sending: current, each feature threshold, too old, and odd values.
VERSIONS: Final = (
    70016,
    70016,
    70016,
    70015,
    70014,
    70013,
    70012,
    70001,
    60001,
    31800,
    31799,
    209,
    0,
    -1,
)

ALL_CONNECTION_TYPES: Final = tuple(ConnectionType)

#: Permission sets: none, each flag alone, the common -whitebind combinations, and all.
PERMISSION_SETS: Final = (
    NetPermissionFlags.None_,
    NetPermissionFlags.None_,
    NetPermissionFlags.BloomFilter,
    NetPermissionFlags.Relay,
    NetPermissionFlags.ForceRelay,
    NetPermissionFlags.Download,
    NetPermissionFlags.NoBan,
    NetPermissionFlags.Mempool,
    NetPermissionFlags.Addr,
    NetPermissionFlags.Implicit,
    NetPermissionFlags.NoBan | NetPermissionFlags.Mempool | NetPermissionFlags.Relay,
    NetPermissionFlags.All,
)

SERVICE_SETS: Final = (
    ServiceFlags(NODE_NETWORK | NODE_WITNESS),
    ServiceFlags(NODE_NETWORK | NODE_WITNESS),
    ServiceFlags(NODE_NETWORK_LIMITED | NODE_WITNESS),
    ServiceFlags(NODE_NETWORK | NODE_WITNESS | NODE_BLOOM | NODE_COMPACT_FILTERS),
    ServiceFlags(NODE_NETWORK | NODE_WITNESS | NODE_P2P_V2),
    ServiceFlags(NODE_NETWORK),
    NODE_NONE,
    ServiceFlags(1 << 24),
)

#: IPv4 addresses: routable ones, and the private, local and reserved kinds the node treats
#: specially.
IPV4_ADDRESSES: Final = (
    "1.2.3.4",
    "8.8.8.8",
    "44.55.66.77",
    "100.64.1.1",
    "203.0.113.9",
    "11.22.33.44",
    "12.34.56.78",
    "93.184.216.34",
    "5.6.7.8",
    "9.9.9.9",
    "127.0.0.1",
    "10.0.0.5",
    "192.168.1.2",
    "169.254.3.4",
    "0.0.0.0",
    "240.1.2.3",
)
IPV6_ADDRESSES: Final = ("2a01:4f8::1", "2001:470::5", "2600::1", "fc00::1", "::1", "2001:db8::2")

#: net.h / net_processing.cpp limits the generated messages probe, one past and at each.
MAX_ADDR_TO_SEND: Final = 1000
MAX_INV_SZ: Final = 50000
MAX_LOCATOR_SZ: Final = 101
MAX_HEADERS_RESULTS: Final = 2000
MAX_BLOOM_FILTER_SIZE: Final = 36000
MAX_HASH_FUNCS: Final = 50
MAX_SCRIPT_ELEMENT_SIZE: Final = 520
MAX_MONEY: Final = 21_000_000 * 100_000_000


def hashes() -> st.SearchStrategy[uint256]:
    return st.one_of(
        st.just(ZERO),
        st.integers(1, 8).map(uint256.FromInt),
        st.binary(min_size=32, max_size=32).map(uint256),
    )


def ipv4() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(IPV4_ADDRESSES),
        st.tuples(
            st.integers(1, 223), st.integers(0, 255), st.integers(0, 255), st.integers(1, 254)
        ).map(lambda t: ".".join(map(str, t))),
    )


def peer_addresses() -> st.SearchStrategy[str]:
    """An "ip:port" a peer connects from or we connect to."""
    port = st.one_of(st.just(18444), st.just(8333), st.integers(1, 65535))
    v4 = st.builds(lambda ip, p: f"{ip}:{p}", ipv4(), port)
    v6 = st.builds(lambda ip, p: f"[{ip}]:{p}", st.sampled_from(IPV6_ADDRESSES), port)
    return st.one_of(v4, v4, v4, v6)


def _service(text: str) -> CService:
    return LookupNumeric(text, 18444)


def _bip155(net_id: int, size: int) -> st.SearchStrategy[CService]:
    """An address of a network only addrv2 carries (Tor v3, I2P, CJDNS), or an unknown one."""

    def make(payload: bytes, port: int) -> CService:
        data = bytes([net_id, len(payload)]) + payload
        try:
            addr = CNetAddr.UnserializeV2Stream(DataStream(data))
        except ValueError:
            addr = CNetAddr()
        return CService(addr, port)

    return st.builds(make, st.binary(min_size=size, max_size=size), st.integers(0, 65535))


def caddresses(now: int, v2: bool = False) -> st.SearchStrategy[CAddress]:
    plain = peer_addresses().map(_service)
    services = st.sampled_from(SERVICE_SETS)
    times = st.one_of(
        st.integers(now - 3 * 3600, now + 60),
        st.just(now),
        st.integers(0, 2**32 - 1),
    )
    if v2:
        special = st.one_of(
            _bip155(4, 32),  # Tor v3
            _bip155(5, 32),  # I2P
            _bip155(6, 16).map(lambda s: s),  # CJDNS (fc00::/8 to be valid)
        )
        plain = st.one_of(plain, plain, special)
    return st.builds(lambda s, sv, t: CAddress(s, sv, t), plain, services, times)


def invs() -> st.SearchStrategy[CInv]:
    types = st.one_of(
        st.sampled_from(
            (
                MSG_TX,
                MSG_WTX,
                MSG_BLOCK,
                MSG_WITNESS_BLOCK,
                MSG_WITNESS_TX,
                MSG_CMPCT_BLOCK,
                MSG_FILTERED_BLOCK,
            )
        ),
        st.integers(0, 2**32 - 1),
    )
    return st.builds(lambda t, h: CInv(int(t), h), types, hashes())


def inv_lists(limit: int) -> st.SearchStrategy[list[CInv]]:
    """Short lists mostly; exactly at and one past ``limit`` one time in eight (the same
    entry repeated: cheap to build, but not to send, so not often)."""
    short = st.lists(invs(), max_size=4)
    at_limit = st.builds(
        lambda inv, extra: [inv] * (limit + extra), invs(), st.sampled_from((0, 1))
    )
    return st.one_of(*([short] * 7), at_limit)


def transactions() -> st.SearchStrategy[CTransaction]:
    txin = st.builds(
        CTxIn,
        st.builds(COutPoint, hashes(), st.integers(0, 3) | st.just(0xFFFFFFFF)),
        st.binary(max_size=8),
        st.sampled_from((0xFFFFFFFF, 0xFFFFFFFE, 0)),
        st.one_of(st.just(()), st.lists(st.binary(max_size=8), max_size=2).map(tuple)),
    )
    txout = st.builds(
        CTxOut,
        st.one_of(st.integers(0, 50 * 100_000_000), st.just(-1), st.just(MAX_MONEY + 1)),
        st.sampled_from((b"\x51", b"\x00\x14" + bytes(20), b"\x6a", b"")),
    )
    return st.builds(
        CTransaction,
        st.lists(txin, max_size=2),
        st.lists(txout, max_size=2),
        st.integers(0, 2**32 - 1) | st.just(0),
        st.sampled_from((1, 2, 3)),
    )


def headers() -> st.SearchStrategy[CBlockHeader]:
    """Headers that connect to nothing the node knows (random parents)."""
    return st.builds(
        CBlockHeader,
        st.sampled_from((0x20000000, 4, 1)),
        hashes(),
        hashes(),
        st.integers(0, 2**32 - 1),
        st.sampled_from((0x207FFFFF, 0x1D00FFFF, 0)),
        st.integers(0, 2**32 - 1),
    )


def version_messages(now: int = DEFAULT_START_TIME) -> st.SearchStrategy[msg_version]:
    """Version messages: three times in four a modern, well-formed peer; otherwise old, odd or
    truncated ones."""
    addr_to = st.builds(lambda s: CAddress(s, NODE_NONE), peer_addresses().map(_service))
    sensible = st.builds(
        msg_version,
        nVersion=st.sampled_from((70016, 70016, 70015)),
        nServices=st.sampled_from(SERVICE_SETS[:5]),
        nTime=st.integers(now - 60, now + 60),
        addrTo=addr_to,
        addrFrom=st.just(CAddress()),
        nNonce=st.integers(1, 2**64 - 1),
        strSubVer=st.just("/peer:1.0/"),
        nStartingHeight=st.integers(0, 20),
        relay=st.booleans(),
    )
    edge = st.builds(
        msg_version,
        nVersion=st.sampled_from(VERSIONS),
        nServices=st.sampled_from(SERVICE_SETS),
        nTime=st.one_of(st.just(now), st.integers(now - 7200, now + 7200), st.integers(0, 2**40)),
        addrTo=addr_to,
        addrFrom=st.just(CAddress()) | st.none(),
        nNonce=st.integers(0, 2**64 - 1) | st.none(),
        strSubVer=st.sampled_from(("/peer:1.0/", "", "/Satoshi:30.0.0/", "\x00\x07bad"))
        | st.none(),
        nStartingHeight=st.integers(-1, 1000) | st.none(),
        relay=st.booleans() | st.none(),
    )
    return st.one_of(sensible, sensible, sensible, edge)


def _filterload() -> st.SearchStrategy[msg_filterload]:
    sizes = st.sampled_from((0, 1, 64, MAX_BLOOM_FILTER_SIZE, MAX_BLOOM_FILTER_SIZE + 1))
    return st.builds(
        lambda n, funcs, tweak, flags: msg_filterload(b"\xff" * n, funcs, tweak, flags),
        sizes,
        st.sampled_from((1, 11, MAX_HASH_FUNCS, MAX_HASH_FUNCS + 1)),
        st.integers(0, 2**32 - 1),
        st.integers(0, 3),
    )


def _locators() -> st.SearchStrategy[CBlockLocator]:
    return st.one_of(
        st.lists(hashes(), max_size=3).map(CBlockLocator),
        st.builds(
            lambda h, extra: CBlockLocator([h] * (MAX_LOCATOR_SZ + extra)),
            hashes(),
            st.sampled_from((0, 1)),
        ),
    )


def _many(strategy: st.SearchStrategy[CAddress], limit: int) -> st.SearchStrategy[list[CAddress]]:
    short = st.lists(strategy, max_size=5)
    at_limit = st.builds(lambda a, extra: [a] * (limit + extra), strategy, st.sampled_from((0, 1)))
    return st.one_of(*([short] * 7), at_limit)


def message_strategies(
    now: int = DEFAULT_START_TIME,
    blocks: st.SearchStrategy[CBlock] | None = None,
) -> dict[str, st.SearchStrategy[NetMessage]]:
    """One strategy per message type, for all 35."""
    block = (
        blocks
        if blocks is not None
        else st.builds(CBlock, vtx=st.lists(transactions(), max_size=2))
    )
    filter_types = st.sampled_from((0, 0, 1, 255))
    heights = st.sampled_from((0, 1, 5, 1000, 2**32 - 1))
    small_hash_lists = st.lists(hashes(), max_size=3)
    strategies: dict[str, st.SearchStrategy[NetMessage]] = {
        "version": version_messages(now),
        "verack": st.just(msg_verack()),
        "addr": _many(caddresses(now), MAX_ADDR_TO_SEND).map(msg_addr),
        "addrv2": _many(caddresses(now, v2=True), MAX_ADDR_TO_SEND).map(msg_addrv2),
        "sendaddrv2": st.just(msg_sendaddrv2()),
        "inv": inv_lists(MAX_INV_SZ).map(msg_inv),
        "getdata": inv_lists(MAX_INV_SZ).map(msg_getdata),
        "merkleblock": st.builds(
            lambda h, n, hs: msg_merkleblock(CMerkleBlock(h, CPartialMerkleTree(n, hs, [True]))),
            headers(),
            st.integers(0, 10),
            small_hash_lists,
        ),
        "getblocks": st.builds(msg_getblocks, _locators(), hashes()),
        "getheaders": st.builds(msg_getheaders, _locators(), hashes()),
        "tx": transactions().map(msg_tx),
        "headers": st.one_of(
            st.lists(headers(), max_size=3),
            st.builds(
                lambda h, extra: [h] * (MAX_HEADERS_RESULTS + extra),
                headers(),
                st.sampled_from((0, 1)),
            ),
        ).map(msg_headers),
        "block": block.map(msg_block),
        "getaddr": st.just(msg_getaddr()),
        "mempool": st.just(msg_mempool()),
        "ping": st.integers(0, 2**64 - 1).map(msg_ping),
        "pong": (st.integers(0, 2**64 - 1) | st.none()).map(msg_pong),
        "notfound": inv_lists(MAX_INV_SZ).map(msg_notfound),
        "filterload": _filterload(),
        "filteradd": st.sampled_from(
            (0, 1, 32, MAX_SCRIPT_ELEMENT_SIZE, MAX_SCRIPT_ELEMENT_SIZE + 1)
        ).map(lambda n: msg_filteradd(b"\xab" * n)),
        "filterclear": st.just(msg_filterclear()),
        "sendheaders": st.just(msg_sendheaders()),
        "feefilter": st.one_of(
            st.sampled_from((0, 1000, 100_000, -1, MAX_MONEY, MAX_MONEY + 1)),
            st.integers(-(2**63), 2**63 - 1),
        ).map(msg_feefilter),
        "sendcmpct": st.builds(msg_sendcmpct, st.booleans(), st.sampled_from((1, 2, 2, 3))),
        "cmpctblock": st.builds(
            lambda h, nonce, ids, pre: msg_cmpctblock(
                CBlockHeaderAndShortTxIDs(h, nonce, ids, pre)
            ),
            headers(),
            st.integers(0, 2**64 - 1),
            st.lists(st.integers(0, 2**48 - 1), max_size=3),
            st.lists(
                st.builds(PrefilledTransaction, st.integers(0, 3), transactions()), max_size=1
            ),
        ),
        "getblocktxn": st.builds(
            lambda h, idx: msg_getblocktxn(BlockTransactionsRequest(h, idx)),
            hashes(),
            st.lists(st.integers(0, 5), max_size=3, unique=True).map(sorted),
        ),
        "blocktxn": st.builds(
            lambda h, txs: msg_blocktxn(BlockTransactions(h, txs)),
            hashes(),
            st.lists(transactions(), max_size=2),
        ),
        "getcfilters": st.builds(msg_getcfilters, filter_types, heights, hashes()),
        "cfilter": st.builds(msg_cfilter, filter_types, hashes(), st.binary(max_size=8)),
        "getcfheaders": st.builds(msg_getcfheaders, filter_types, heights, hashes()),
        "cfheaders": st.builds(msg_cfheaders, filter_types, hashes(), hashes(), small_hash_lists),
        "getcfcheckpt": st.builds(msg_getcfcheckpt, filter_types, hashes()),
        "cfcheckpt": st.builds(msg_cfcheckpt, filter_types, hashes(), small_hash_lists),
        "wtxidrelay": st.just(msg_wtxidrelay()),
        "sendtxrcncl": st.builds(
            msg_sendtxrcncl, st.sampled_from((1, 0, 2)), st.integers(0, 2**64 - 1)
        ),
    }
    missing = set(MESSAGE_CLASSES) - set(strategies)
    assert not missing, f"no strategy for {sorted(missing)}"
    return strategies


#: What peers send most once connected: a conversation, more than a fuzz.
COMMON_TYPES: Final = (
    "ping", "pong", "getaddr", "addr", "addrv2", "inv", "getdata", "getheaders", "headers",
    "sendheaders", "sendcmpct", "feefilter", "tx", "mempool", "notfound", "getblocks",
)  # fmt: skip


@functools.cache
def common_messages(now: int = DEFAULT_START_TIME) -> st.SearchStrategy[NetMessage]:
    """The message types of :data:`COMMON_TYPES` (cached, like :func:`messages`)."""
    table = message_strategies(now)
    return st.one_of(*(table[t] for t in COMMON_TYPES))


@functools.cache
def messages(now: int = DEFAULT_START_TIME) -> st.SearchStrategy[NetMessage]:
    """Any of the 35 message types (cached: hypothesis validates a strategy object once)."""
    return st.one_of(*message_strategies(now).values())


# -- malformed frames --------------------------------------------------------------------------


@functools.cache
def malformed_frames(now: int = DEFAULT_START_TIME) -> st.SearchStrategy[bytes]:
    """Every kind of bad input a peer can send on the wire."""
    typed = st.sampled_from(tuple(MESSAGE_CLASSES))
    msg = messages(now)
    return st.one_of(
        st.builds(lambda t, p: frames.bad_magic(t, p), typed, st.binary(max_size=16)),
        msg.map(lambda m: frames.bad_checksum(m.msgtype, m.serialize())),
        st.builds(frames.oversize, typed, st.sampled_from((4_000_001, 2**32 - 1))),
        st.builds(
            lambda m, keep: frames.truncated(frames.frame_message(m), keep), msg, st.integers(0, 40)
        ),
        st.builds(
            frames.unknown_command,
            st.sampled_from(("foo", "alert", "reject", "getutxos", "checkorder", "x" * 12)),
            st.binary(max_size=16),
        ),
        st.builds(frames.invalid_command, st.binary(max_size=8)),
        # A known type whose payload does not decode.
        st.builds(frames.frame, typed, st.binary(max_size=12)),
    )


# -- clock ---------------------------------------------------------------------------------------

#: The timeouts the clock jumps across, by upstream name, with the unit of the constant.
TIMEOUT_CONSTANTS: Final[tuple[tuple[str, str], ...]] = (
    ("DEFAULT_PEER_CONNECT_TIMEOUT", "s"),  # handshake (-peertimeout)
    ("TIMEOUT_INTERVAL", "s"),  # ping and inactivity
    ("PING_INTERVAL", "us"),
    ("HEADERS_DOWNLOAD_TIMEOUT_BASE", "us"),  # headers sync
    ("HEADERS_RESPONSE_TIME", "s"),
    ("BLOCK_STALLING_TIMEOUT_DEFAULT", "s"),  # block stalling
    ("BLOCK_STALLING_TIMEOUT_MAX", "s"),
    ("CHAIN_SYNC_TIMEOUT", "s"),  # chain sync
    ("STALE_CHECK_INTERVAL", "s"),
    ("EXTRA_PEER_CHECK_INTERVAL", "s"),
    ("MINIMUM_CONNECT_TIME", "s"),
    ("AVG_ADDRESS_BROADCAST_INTERVAL", "us"),
    ("AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL", "us"),
    ("ROTATE_ADDR_RELAY_DEST_INTERVAL", "s"),
    ("AVG_FEEFILTER_BROADCAST_INTERVAL", "us"),
    ("MAX_FEEFILTER_CHANGE_DELAY", "us"),
    ("INBOUND_INVENTORY_BROADCAST_INTERVAL", "s"),
    ("OUTBOUND_INVENTORY_BROADCAST_INTERVAL", "us"),
    ("FEELER_INTERVAL", "s"),
)


def timeout_seconds(constant: Callable[[str], object]) -> dict[str, int]:
    """Each timeout in seconds, looked up by name through ``constant`` (a variant's)."""
    out: dict[str, int] = {}
    for name, unit in TIMEOUT_CONSTANTS:
        try:
            value = constant(name)
        except Exception:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        seconds = int(value) // 1_000_000 if unit == "us" else int(value)
        out[name] = seconds
    return out


def clock_jumps(timeouts: dict[str, int]) -> st.SearchStrategy[int]:
    """Seconds to advance: small steps, and just before, at and just after every timeout."""
    around = sorted({max(1, t + d) for t in timeouts.values() for d in (-1, 0, 1)})
    return st.one_of(
        st.integers(1, 10),
        st.sampled_from(around) if around else st.integers(1, 3600),
        st.integers(1, 2 * 24 * 3600),
    )


#: Size limits peers can probe, by upstream name, with the message types that hit each.
LIMIT_CONSTANTS: Final[dict[str, tuple[str, ...]]] = {
    "MAX_INV_SZ": ("inv", "getdata"),
    "MAX_ADDR_TO_SEND": ("addr", "addrv2"),
    "MAX_LOCATOR_SZ": ("getheaders", "getblocks"),
    "MAX_HEADERS_RESULTS": ("headers",),
    "MAX_SCRIPT_ELEMENT_SIZE": ("filteradd",),
}


def limits(constant: Callable[[str], object]) -> dict[str, int]:
    """Each size limit, looked up by name through ``constant`` (a variant's)."""
    out: dict[str, int] = {}
    for name in LIMIT_CONSTANTS:
        try:
            value = constant(name)
        except Exception:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            out[name] = value
    return out


def _at_size(msgtype: str, n: int) -> NetMessage:
    """A message of ``msgtype`` carrying exactly ``n`` entries (or bytes, for filteradd)."""
    inv = CInv(MSG_TX, uint256.FromInt(1))
    addr = CAddress(
        _service("44.55.66.77:8333"), ServiceFlags(NODE_NETWORK | NODE_WITNESS), DEFAULT_START_TIME
    )
    genesis = Params().GenesisBlock()
    if msgtype == "inv":
        return msg_inv([inv] * n)
    if msgtype == "getdata":
        return msg_getdata([inv] * n)
    if msgtype == "addr":
        return msg_addr([addr] * n)
    if msgtype == "addrv2":
        return msg_addrv2([addr] * n)
    if msgtype == "getheaders":
        return msg_getheaders(CBlockLocator([genesis.GetHash()] * n), ZERO)
    if msgtype == "getblocks":
        return msg_getblocks(CBlockLocator([genesis.GetHash()] * n), ZERO)
    if msgtype == "headers":
        return msg_headers([genesis.GetBlockHeader()] * n)
    return msg_filteradd(b"\xab" * n)


@functools.cache
def limit_frame(msgtype: str, n: int) -> bytes:
    """The frame of :func:`_at_size` (cached: an inv of 50000 entries takes a while)."""
    return frames.frame_message(_at_size(msgtype, n))


def limit_cases(found: dict[str, int]) -> st.SearchStrategy[tuple[str, int]]:
    """(message type, size) exactly at, and one past, each of the variant's size limits. The
    state machine frames them with :func:`limit_frame`, so hypothesis never holds (or prints)
    the large messages themselves."""
    cases = [
        (msgtype, value + extra)
        for name, value in sorted(found.items())
        for msgtype in LIMIT_CONSTANTS[name]
        for extra in (0, 1)
        # Cheap probes (up to a few thousand entries) four times as often as costly ones.
        for _ in range(1 if value > 10_000 else 4)
    ]
    return st.sampled_from(cases) if cases else st.just(("inv", 0))


def timeout_jumps(timeouts: dict[str, int]) -> st.SearchStrategy[int]:
    """Exactly one second before, at, or one second after a timeout."""
    values = sorted(timeouts.values()) or [60]
    return st.builds(
        lambda t, d: max(1, t + d), st.sampled_from(values), st.sampled_from((-1, 0, 1))
    )


def permissions() -> st.SearchStrategy[NetPermissionFlags]:
    return st.sampled_from(PERMISSION_SETS)


def connection_types() -> st.SearchStrategy[ConnectionType]:
    return st.sampled_from(ALL_CONNECTION_TYPES)


# -- a peer's own chain --------------------------------------------------------------------------


ChainMessageSpec = tuple[str, int, int]


@functools.cache
def chain_message_specs() -> st.SearchStrategy[ChainMessageSpec]:
    """What to send of a peer's chain, independent of the chain (resolved by
    :func:`chain_message`): headers from 1 or from anywhere, a block, an inv, a getheaders or
    getdata."""
    heights = st.integers(1, PEER_CHAIN_LENGTH)
    return st.one_of(
        st.tuples(st.just("headers"), st.just(1), heights),
        st.tuples(st.just("headers"), heights, heights),
        st.tuples(st.just("block"), heights, st.just(0)),
        st.tuples(st.just("inv"), heights, st.just(0)),
        st.tuples(st.just("getheaders"), st.integers(0, PEER_CHAIN_LENGTH), st.just(0)),
        st.tuples(st.just("getdata"), st.just(0), st.just(0)),
    )


def chain_message(chain: PeerChain, spec: ChainMessageSpec) -> NetMessage:
    kind, a, b = spec
    if kind == "headers":
        return msg_headers(chain.headers(min(a, b), max(a, b)))
    if kind == "block":
        return msg_block(chain.block(a))
    if kind == "inv":
        return msg_inv([CInv(MSG_BLOCK, chain.block(a).GetHash())])
    if kind == "getheaders":
        return msg_getheaders(CBlockLocator([chain.block(a).GetHash()]), ZERO)
    return msg_getdata([CInv(MSG_BLOCK, Params().GenesisBlock().GetHash())])


@functools.cache
def chain_spend_specs() -> st.SearchStrategy[tuple[int, int]]:
    """(height, fee) of a spend of a peer chain's coinbase (see PeerChain.spend)."""
    return st.tuples(st.integers(1, PEER_CHAIN_LENGTH), st.sampled_from((0, 1000, 100_000)))
