"""Hand-written scenarios: the protocol's main paths, each timeout, each kind of malformed
input, and every RPC action, in the order a reviewer would try them.

They run before any generated scenario: they are cheap, reach states random generation finds
only slowly (a full inbound table, a relayed address, a pong that matches), and they are what
the mutation tests lean on. Timeouts are the reference variant's own constants, looked up by
upstream name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from common.chainparams import Params
from common.connection_types import ConnectionType
from common.messages import (
    NetMessage,
    msg_addr,
    msg_addrv2,
    msg_feefilter,
    msg_filteradd,
    msg_filterload,
    msg_getaddr,
    msg_getblocks,
    msg_getdata,
    msg_getheaders,
    msg_headers,
    msg_inv,
    msg_mempool,
    msg_ping,
    msg_pong,
    msg_sendaddrv2,
    msg_sendcmpct,
    msg_sendheaders,
    msg_sendtxrcncl,
    msg_verack,
    msg_version,
    msg_wtxidrelay,
)
from common.net_permissions import NetPermissionFlags
from common.netbase import LookupNumeric
from common.primitives.block import CBlockLocator
from common.protocol import (
    MSG_BLOCK,
    MSG_TX,
    NODE_BLOOM,
    NODE_NETWORK,
    NODE_NETWORK_LIMITED,
    NODE_NONE,
    NODE_WITNESS,
    CAddress,
    CInv,
    ServiceFlags,
)
from common.uint256 import ZERO, uint256

from . import frames
from .chainops import PeerChain
from .scenario import (
    DEFAULT_START_TIME,
    AddNode,
    ClearBanned,
    ClockAdvances,
    DisconnectNode,
    Event,
    MineBlocks,
    PeerAnswersPing,
    PeerConnects,
    PeerDisconnects,
    PeerLabel,
    PeerSends,
    Scenario,
    SetBan,
    SetNetworkActive,
    SubmitTransaction,
)

PEER_SERVICES: Final = ServiceFlags(NODE_NETWORK | NODE_WITNESS)
T0: Final = DEFAULT_START_TIME

Constant = Callable[[str], object]


def _seconds(constant: Constant, name: str, unit: str = "s", default: int = 60) -> int:
    try:
        value = constant(name)
    except Exception:
        return default
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return default
    return int(value) // 1_000_000 if unit == "us" else int(value)


def version(
    services: ServiceFlags = PEER_SERVICES,
    nversion: int = 70016,
    relay: bool = True,
    nonce: int = 0x5EED,
    height: int = 0,
    addr_me: str = "5.6.7.8:18444",
    now: int = T0,
) -> msg_version:
    return msg_version(
        nVersion=nversion,
        nServices=services,
        nTime=now,
        addrTo=CAddress(LookupNumeric(addr_me, 18444), NODE_NONE),
        addrFrom=CAddress(),
        nNonce=nonce,
        strSubVer="/peer:1.0/",
        nStartingHeight=height,
        relay=relay,
    )


def wire(*msgs: NetMessage) -> bytes:
    return b"".join(frames.frame_message(m) for m in msgs)


def handshake(
    peer: int,
    services: ServiceFlags = PEER_SERVICES,
    relay: bool = True,
    extras: bool = True,
    nonce: int | None = None,
) -> PeerSends:
    """version, wtxidrelay, sendaddrv2, verack: a modern peer's opening, in one segment."""
    msgs: list[NetMessage] = [version(services, relay=relay, nonce=nonce or 0x5EED + peer)]
    if extras:
        msgs += [msg_wtxidrelay(), msg_sendaddrv2()]
    msgs.append(msg_verack())
    return PeerSends(PeerLabel(peer), wire(*msgs))


def inbound(
    peer: int, address: str, permissions: NetPermissionFlags = NetPermissionFlags.None_
) -> PeerConnects:
    return PeerConnects(PeerLabel(peer), ConnectionType.INBOUND, address, permissions)


def outbound(peer: int, conn_type: ConnectionType, address: str) -> PeerConnects:
    return PeerConnects(PeerLabel(peer), conn_type, address)


def sends(peer: int, *msgs: NetMessage) -> PeerSends:
    return PeerSends(PeerLabel(peer), wire(*msgs))


def raw(peer: int, data: bytes) -> PeerSends:
    return PeerSends(PeerLabel(peer), data)


def connected_inbound(
    peer: int, address: str, permissions: NetPermissionFlags = NetPermissionFlags.None_
) -> tuple[Event, ...]:
    return (inbound(peer, address, permissions), handshake(peer))


def directed_scenarios(constant: Constant) -> list[tuple[str, Scenario]]:
    """(name, scenario) pairs; ``constant`` looks up the reference variant's constants."""
    ping_interval = _seconds(constant, "PING_INTERVAL", "us", 120)
    timeout_interval = _seconds(constant, "TIMEOUT_INTERVAL", "s", 1200)
    connect_timeout = _seconds(constant, "DEFAULT_PEER_CONNECT_TIMEOUT", "s", 60)
    addr_interval = _seconds(constant, "AVG_ADDRESS_BROADCAST_INTERVAL", "us", 30)
    feefilter_interval = _seconds(constant, "AVG_FEEFILTER_BROADCAST_INTERVAL", "us", 600)
    chain_sync = _seconds(constant, "CHAIN_SYNC_TIMEOUT", "s", 1200)
    headers_response = _seconds(constant, "HEADERS_RESPONSE_TIME", "s", 120)
    headers_timeout = _seconds(constant, "HEADERS_DOWNLOAD_TIMEOUT_BASE", "us", 900)
    stalling = _seconds(constant, "BLOCK_STALLING_TIMEOUT_DEFAULT", "s", 2)
    extra_check = _seconds(constant, "EXTRA_PEER_CHECK_INTERVAL", "s", 45)
    min_connect = _seconds(constant, "MINIMUM_CONNECT_TIME", "s", 30)
    inv_interval = _seconds(constant, "INBOUND_INVENTORY_BROADCAST_INTERVAL", "s", 5)

    chain = PeerChain(T0)
    genesis = Params().GenesisBlock().GetHash()
    fresh_addr = CAddress(LookupNumeric("44.55.66.77:8333"), PEER_SERVICES, T0 - 60)
    out: list[tuple[str, Scenario]] = []

    def add(name: str, *events: Event, max_connections: int | None = None) -> None:
        sc = Scenario(tuple(events), seed=len(out), note=f"directed: {name}")
        if max_connections is not None:
            sc = Scenario(sc.events, sc.seed, sc.start_time, max_connections, sc.note)
        out.append((name, sc))

    # -- connection setup ------------------------------------------------------------------------
    add("inbound handshake", *connected_inbound(0, "1.2.3.4:18444"), ClockAdvances(1))
    for i, conn_type in enumerate(
        (
            ConnectionType.OUTBOUND_FULL_RELAY,
            ConnectionType.BLOCK_RELAY,
            ConnectionType.MANUAL,
            ConnectionType.FEELER,
            ConnectionType.ADDR_FETCH,
        )
    ):
        add(
            f"outbound handshake ({conn_type.name})",
            outbound(0, conn_type, f"20.0.0.{i + 1}:18444"),
            handshake(0),
            sends(0, msg_addr([fresh_addr])),
            ClockAdvances(1),
            ClockAdvances(addr_interval * 4),
        )
    add(
        "outbound peer without the services we want",
        outbound(0, ConnectionType.OUTBOUND_FULL_RELAY, "20.0.1.1:18444"),
        handshake(0, services=ServiceFlags(NODE_NETWORK_LIMITED)),
        ClockAdvances(1),
    )
    add(
        "every permission on an inbound peer",
        *[inbound(i, f"30.{i}.0.1:18444", perm) for i, perm in enumerate(NetPermissionFlags)],
        *[handshake(i) for i in range(len(NetPermissionFlags))],
        ClockAdvances(1),
        max_connections=40,
    )
    add(
        "old and odd versions",
        inbound(0, "1.2.3.4:18444"),
        sends(0, version(nversion=31799)),
        inbound(1, "1.2.3.5:18444"),
        sends(1, version(nversion=70001, relay=False), msg_verack()),
        inbound(2, "1.2.3.6:18444"),
        sends(2, version(nversion=70016, services=ServiceFlags(NODE_NONE)), msg_verack()),
        ClockAdvances(1),
    )
    # -- ping, pong, and every timeout -----------------------------------------------------------
    add(
        "ping answered",
        *connected_inbound(0, "1.2.3.4:18444"),
        ClockAdvances(ping_interval + 1),
        PeerAnswersPing(PeerLabel(0)),
        ClockAdvances(1),
        sends(0, msg_pong(0x1234)),
        sends(0, msg_pong(None)),
        sends(0, msg_ping(77)),
    )
    add(
        "ping timeout while the peer keeps talking",
        *connected_inbound(0, "1.2.3.4:18444"),
        ClockAdvances(timeout_interval // 2),
        sends(0, msg_ping(11)),
        ClockAdvances(timeout_interval // 2 - 1),
        ClockAdvances(2),
    )
    add(
        "handshake timeout",
        inbound(0, "1.2.3.4:18444"),
        ClockAdvances(connect_timeout - 1),
        ClockAdvances(2),
    )
    add(
        "version without verack times out",
        inbound(0, "1.2.3.4:18444"),
        sends(0, version()),
        ClockAdvances(connect_timeout + 1),
    )
    add(
        "inactivity",
        *connected_inbound(0, "1.2.3.4:18444"),
        ClockAdvances(timeout_interval),
        ClockAdvances(1),
    )
    add(
        "clock skew",
        inbound(0, "1.2.3.4:18444"),
        sends(0, version(now=T0 + 100), msg_verack()),
        outbound(1, ConnectionType.OUTBOUND_FULL_RELAY, "20.0.9.1:18444"),
        sends(1, version(now=T0 - 4000), msg_verack()),
        ClockAdvances(1),
    )
    # -- malformed input -------------------------------------------------------------------------
    add(
        "bad magic",
        *connected_inbound(0, "1.2.3.4:18444"),
        raw(0, frames.bad_magic("ping", bytes(8))),
    )
    add(
        "bad checksum then a good ping",
        *connected_inbound(0, "1.2.3.4:18444"),
        raw(0, frames.bad_checksum("ping", bytes(8))),
        sends(0, msg_ping(5)),
    )
    add("oversize", *connected_inbound(0, "1.2.3.4:18444"), raw(0, frames.oversize("block")))
    add(
        "truncated then completed",
        *connected_inbound(0, "1.2.3.4:18444"),
        raw(0, frames.truncated(wire(msg_ping(9)), 10)),
        raw(0, wire(msg_ping(9))[10:]),
    )
    add(
        "unknown and invalid commands",
        *connected_inbound(0, "1.2.3.4:18444"),
        raw(0, frames.unknown_command("foo", b"abc")),
        raw(0, frames.invalid_command(b"")),
        sends(0, msg_ping(3)),
    )
    add(
        "messages before version",
        inbound(0, "1.2.3.4:18444"),
        sends(
            0, msg_ping(1), msg_getaddr(), msg_verack(), msg_inv([CInv(MSG_TX, uint256.FromInt(1))])
        ),
        handshake(0),
    )
    add(
        "version twice",
        *connected_inbound(0, "1.2.3.4:18444"),
        sends(0, version()),
        sends(0, msg_ping(2)),
    )
    add(
        "undecodable payloads",
        *connected_inbound(0, "1.2.3.4:18444"),
        raw(0, frames.frame("version", b"\x01\x02")),
        raw(0, frames.frame("inv", b"\xfd")),
        raw(0, frames.frame("ping", b"\x01")),
        sends(0, msg_ping(4)),
    )
    add(
        "features after verack",
        *connected_inbound(0, "1.2.3.4:18444"),
        sends(0, msg_wtxidrelay(), msg_sendaddrv2(), msg_sendtxrcncl(1, 7)),
        sends(0, msg_ping(6)),
    )
    # -- misbehaviour ----------------------------------------------------------------------------
    too_many = [CInv(MSG_TX, uint256.FromInt(1))] * 50_001
    add(
        "oversized inv is punished",
        *connected_inbound(0, "1.2.3.4:18444"),
        *connected_inbound(1, "1.2.3.9:18444", permissions=NetPermissionFlags.NoBan),
        sends(0, msg_inv(too_many)),
        sends(1, msg_inv(too_many)),
        inbound(2, "1.2.3.4:18444"),
        handshake(2),
    )
    add(
        "oversized addr and getdata",
        *connected_inbound(0, "1.2.3.4:18444"),
        sends(0, msg_addr([fresh_addr] * 1001)),
        *connected_inbound(1, "1.2.3.5:18444"),
        sends(1, msg_getdata([CInv(MSG_TX, uint256.FromInt(2))] * 50_001)),
    )
    add(
        "oversized locator and headers",
        *connected_inbound(0, "1.2.3.4:18444"),
        sends(0, msg_getheaders(CBlockLocator([genesis] * 102), ZERO)),
        *connected_inbound(1, "1.2.3.5:18444"),
        sends(1, msg_headers(chain.headers(1, 1) * 2001)),
    )
    add(
        "bloom filters",
        inbound(0, "1.2.3.4:18444", NetPermissionFlags.BloomFilter),
        handshake(0, services=ServiceFlags(PEER_SERVICES | NODE_BLOOM)),
        sends(0, msg_filterload(b"\xff" * 8, 5, 0, 1), msg_filteradd(b"\x01" * 32)),
        sends(0, msg_filteradd(b"\x01" * 521)),
        *connected_inbound(1, "1.2.3.5:18444"),
        sends(1, msg_filterload(b"\xff" * 36_001, 5, 0, 1)),
    )
    # -- address relay ---------------------------------------------------------------------------
    relay_peers = [(i, f"50.{i}.0.1:18444") for i in range(5)]
    add(
        "addr relay to two peers",
        *[e for i, a in relay_peers for e in connected_inbound(i, a)],
        *[sends(i, msg_addr([])) for i, _ in relay_peers[1:]],
        sends(0, msg_addr([fresh_addr])),
        ClockAdvances(addr_interval * 2),
        ClockAdvances(addr_interval * 8),
        sends(1, msg_addrv2([CAddress(LookupNumeric("66.77.88.99:8333"), PEER_SERVICES, T0 - 30)])),
        ClockAdvances(addr_interval * 8),
        max_connections=30,
    )
    add(
        "getaddr",
        *connected_inbound(0, "1.2.3.4:18444", NetPermissionFlags.Addr),
        sends(
            0,
            msg_addr(
                [
                    CAddress(LookupNumeric(f"60.{i}.{i}.2:8333"), PEER_SERVICES, T0 - 100 * i)
                    for i in range(40)
                ]
            ),
        ),
        *connected_inbound(1, "1.2.3.5:18444"),
        sends(1, msg_getaddr()),
        sends(1, msg_getaddr()),
        outbound(2, ConnectionType.OUTBOUND_FULL_RELAY, "20.0.0.9:18444"),
        handshake(2),
        sends(2, msg_getaddr()),
        ClockAdvances(addr_interval * 4),
    )
    # -- fee filter, compact blocks, headers -----------------------------------------------------
    add(
        "feefilter both ways",
        *connected_inbound(0, "1.2.3.4:18444"),
        sends(
            0, msg_feefilter(1000), msg_feefilter(-1), msg_feefilter(21_000_000 * 100_000_000 + 1)
        ),
        ClockAdvances(feefilter_interval * 2),
        ClockAdvances(feefilter_interval * 2),
    )
    add(
        "sendcmpct and sendheaders",
        *connected_inbound(0, "1.2.3.4:18444"),
        sends(0, msg_sendcmpct(True, 2), msg_sendcmpct(False, 1), msg_sendheaders()),
        MineBlocks(1),
        ClockAdvances(inv_interval * 3),
    )
    add(
        "mine and announce",
        *connected_inbound(0, "1.2.3.4:18444"),
        outbound(1, ConnectionType.OUTBOUND_FULL_RELAY, "20.0.0.3:18444"),
        handshake(1),
        sends(1, msg_sendheaders()),
        MineBlocks(2),
        ClockAdvances(inv_interval * 3),
        sends(0, msg_getheaders(CBlockLocator([genesis]), ZERO)),
        sends(0, msg_getblocks(CBlockLocator([genesis]), ZERO)),
        sends(0, msg_getdata([CInv(MSG_BLOCK, genesis)])),
        sends(0, msg_mempool()),
    )
    add(
        "peer chain: headers, blocks, timeouts",
        outbound(0, ConnectionType.OUTBOUND_FULL_RELAY, "20.0.0.4:18444"),
        handshake(0),
        sends(0, msg_headers(chain.headers(1, 4))),
        ClockAdvances(stalling + 1),
        ClockAdvances(headers_response + 1),
        sends(0, msg_inv([CInv(MSG_BLOCK, chain.block(5).GetHash())])),
        ClockAdvances(headers_timeout + 1),
        ClockAdvances(chain_sync + 1),
        ClockAdvances(extra_check + 1),
        ClockAdvances(headers_response + 1),
    )
    add(
        "outbound peers and stale tip checks",
        *[
            e
            for i in range(3)
            for e in (
                outbound(i, ConnectionType.OUTBOUND_FULL_RELAY, f"20.1.{i}.1:18444"),
                handshake(i),
            )
        ],
        outbound(3, ConnectionType.BLOCK_RELAY, "20.2.0.1:18444"),
        handshake(3),
        ClockAdvances(min_connect + 1),
        ClockAdvances(extra_check + 1),
        ClockAdvances(chain_sync + 1),
        ClockAdvances(chain_sync + headers_response + 1),
    )
    add(
        "transactions",
        *connected_inbound(0, "1.2.3.4:18444"),
        SubmitTransaction(chain.spend(1, 1000).serialize()),
        sends(0, msg_inv([chain.inv_of(chain.spend(2, 0), False)])),
        sends(0, msg_getdata([chain.inv_of(chain.spend(1, 1000), True)])),
        ClockAdvances(inv_interval * 3),
    )
    # -- RPC -------------------------------------------------------------------------------------
    add(
        "setban, listbanned, clearbanned",
        *connected_inbound(0, "1.2.3.4:18444"),
        *connected_inbound(1, "9.8.7.6:18444"),
        SetBan("1.2.3.4", "add", 0),
        SetBan("1.2.3.4", "add", 0),
        SetBan("9.8.0.0/16", "add", 3600),
        inbound(2, "9.8.1.1:18444"),
        SetBan("1.2.3.4", "remove"),
        SetBan("5.5.5.5", "remove"),
        ClockAdvances(3601),
        ClearBanned(),
        inbound(3, "9.8.1.1:18444"),
    )
    add(
        "disconnectnode and addnode",
        *connected_inbound(0, "1.2.3.4:18444"),
        *connected_inbound(1, "1.2.3.5:18444"),
        DisconnectNode(PeerLabel(0)),
        DisconnectNode(PeerLabel(1), by_address=True),
        DisconnectNode(PeerLabel(0)),
        AddNode(PeerLabel(2), "20.3.0.1:18444", "add"),
        AddNode(PeerLabel(3), "20.3.0.1:18444", "add"),
        AddNode(PeerLabel(4), "20.3.0.2:18444", "onetry"),
        handshake(4),
        AddNode(PeerLabel(5), "20.3.0.1:18444", "remove"),
        AddNode(PeerLabel(6), "20.3.0.1:18444", "remove"),
    )
    add(
        "network inactive and back",
        *connected_inbound(0, "1.2.3.4:18444"),
        SetNetworkActive(False),
        inbound(1, "1.2.3.5:18444"),
        SetNetworkActive(True),
        *connected_inbound(2, "1.2.3.6:18444"),
    )
    add(
        "peer hangs up",
        *connected_inbound(0, "1.2.3.4:18444"),
        PeerDisconnects(PeerLabel(0)),
        sends(0, msg_ping(1)),
        inbound(0, "1.2.3.4:18444"),
        handshake(0),
    )
    # -- inbound eviction ------------------------------------------------------------------------
    # Forty inbound slots, enough that protection leaves some peers to evict: thirty-seven
    # peers in netgroups of their own, then three in one /16 (the largest netgroup, where
    # eviction looks) whose youngest has noban; then two more peers, each of which makes the
    # node evict one. A few peers answer pings, which protects them.
    evict_peers = [(i, f"{70 + i}.{i}.0.1:18444") for i in range(37)]
    evict_peers += [(i, f"90.1.{i}.1:18444") for i in range(37, 40)]
    evict_peers += [(i, f"{70 + i}.{i}.0.1:18444") for i in range(40, 42)]
    evict_events: list[Event] = []
    for i, a in evict_peers:
        perm = NetPermissionFlags.NoBan if i in (3, 39) else NetPermissionFlags.None_
        evict_events += [inbound(i, a, perm), handshake(i)]
        if i % 8 == 1:
            evict_events.append(ClockAdvances(ping_interval + 1))
            evict_events.append(PeerAnswersPing(PeerLabel(i)))
    add("inbound eviction", *evict_events, ClockAdvances(1), max_connections=11 + 40)
    return out
