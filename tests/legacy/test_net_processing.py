"""legacy/net_processing.py at the connection level, driven single-threaded through
ConnmanTestMsg with mock time and seeded randomness (upstream: denialofservice_tests.cpp,
peerman_tests.cpp, net_tests.cpp). Tests assert the exact messages the node queues, in order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import legacy.net as net
from common.clock import SetMockTime
from common.connection_types import ConnectionType
from common.messages import (
    msg_addr,
    msg_addrv2,
    msg_feefilter,
    msg_filteradd,
    msg_filterload,
    msg_getheaders,
    msg_ping,
    msg_sendcmpct,
    msg_version,
)
from common.net_permissions import NetPermissionFlags
from common.netaddress import CService
from common.netbase import LookupNumeric
from common.nodeid import NodeId
from common.primitives.block import CBlockLocator
from common.protocol import (
    NODE_NETWORK,
    NODE_NETWORK_LIMITED,
    NODE_NONE,
    NODE_WITNESS,
    CAddress,
    CInv,
    ServiceFlags,
)
from common.random import FastRandomContext, SeedRandomStateForTest
from common.serialize import ser_u64, ser_vector
from common.siphash import CSipHasher
from common.uint256 import uint256
from legacy.net import PROTOCOL_VERSION, CNode
from legacy.net_processing import (
    MAX_ADDR_TO_SEND,
    NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS,
    RANDOMIZER_ID_ADDRESS_RELAY,
    ROTATE_ADDR_RELAY_DEST_INTERVAL,
    CNodeState,
    CNodeStateStats,
    Peer,
)

from .peerman_util import (
    OUR_SERVICES,
    PEER_SERVICES,
    T0,
    Harness,
    capture_log,
    logged,
    make_harness,
)

#: The fee filter we announce while in IBD: the top FeeFilterRounder bucket (MAX_MONEY rounded).
IBD_FEEFILTER = 9_936_506


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    SeedRandomStateForTest()
    SetMockTime(T0)
    yield from make_harness(tmp_path)
    SeedRandomStateForTest(None)


@pytest.fixture
def log() -> Iterator[list[str]]:
    yield from capture_log()


def first_ping_nonce() -> int:
    """The nonce MaybeSendPing draws next, from a fresh FastRandomContext, once the global RNG
    is reseeded with the zero seed (it is reseeded again, for the node to draw the same)."""
    SeedRandomStateForTest()
    nonce = 0
    while nonce == 0:
        nonce = FastRandomContext().rand64()
    SeedRandomStateForTest()
    return nonce


def ping_nonce(frames: list[tuple[str, bytes]]) -> int:
    """The nonce of the one ping among ``frames``."""
    (payload,) = [p for t, p in frames if t == "ping"]
    return msg_ping.deserialize(payload).nonce


def our_version(h: Harness, pnode: CNode, relay: bool = True) -> bytes:
    """The version message PushNodeVersion must produce for ``pnode``."""
    return msg_version(
        nVersion=PROTOCOL_VERSION,
        nServices=OUR_SERVICES,
        nTime=T0,
        addrTo=CAddress(CService(pnode.addr, pnode.addr.port), pnode.addr.nServices),
        addrFrom=CAddress(CService(), OUR_SERVICES),
        nNonce=pnode.GetLocalNonce(),
        strSubVer=net.strSubVersion,
        nStartingHeight=0,
        relay=relay,
    ).serialize()


def genesis_getheaders(h: Harness) -> bytes:
    tip = h.node.chainman.ActiveChain().Tip()
    assert tip is not None
    return msg_getheaders(
        locator=CBlockLocator([tip.GetBlockHash()]), hashstop=uint256()
    ).serialize()


# ------------------------------------------------------------------------------------------------
# Handshake


def test_inbound_handshake_replies_version_wtxidrelay_sendaddrv2_verack(h: Harness) -> None:
    pnode = h.add_peer(0)
    h.send_messages(pnode)
    assert h.take(pnode) == []  # inbound: we wait for their version

    h.version_from(pnode)
    assert h.take(pnode) == [
        ("version", our_version(h, pnode)),
        ("wtxidrelay", b""),
        ("sendaddrv2", b""),
        ("verack", b""),
    ]
    assert pnode.nVersion == PROTOCOL_VERSION
    assert pnode.GetCommonVersion() == PROTOCOL_VERSION
    assert pnode.cleanSubVer == "/peer:1.0/"
    assert pnode.GetAddrLocal() == LookupNumeric("5.6.7.8:18444")
    stats = CNodeStateStats()
    assert h.peerman.GetNodeStateStats(pnode.GetId(), stats)
    assert (stats.their_services, stats.m_starting_height, stats.m_relay_txs) == (
        PEER_SERVICES,
        0,
        True,
    )
    assert not stats.m_addr_relay_enabled  # inbound: only once they send an addr message

    # Nothing more until their verack.
    h.send_messages(pnode)
    assert h.take(pnode) == []


def test_inbound_verack_then_sendcmpct_ping_getheaders_feefilter(
    h: Harness, log: list[str]
) -> None:
    pnode = h.add_peer(0)
    h.version_from(pnode)
    h.take(pnode)

    nonce = first_ping_nonce()
    h.deliver(pnode, "verack")
    h.send_messages(pnode)
    assert h.take(pnode) == [
        ("sendcmpct", msg_sendcmpct(announce=False, version=2).serialize()),
        ("ping", ser_u64(nonce)),
        ("getheaders", genesis_getheaders(h)),
        ("feefilter", msg_feefilter(IBD_FEEFILTER).serialize()),
    ]
    assert pnode.fSuccessfullyConnected
    assert logged(log, "New inbound v1 peer connected: version: 70016, blocks=0, peer=0")


def test_outbound_handshake_sends_version_first_then_getaddr(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(1, "1.2.3.4:18444", ConnectionType.OUTBOUND_FULL_RELAY)
    # Messages are not processed before our version went out.
    h.receive(pnode, "ping", ser_u64(7))
    assert not h.connman.ProcessMessagesOnce(pnode)
    h.send_messages(pnode)
    assert h.take(pnode) == [("version", our_version(h, pnode))]

    # Our version is out: the queued ping is processed now, but before their version it is
    # ignored.
    h.connman.ProcessMessagesOnce(pnode)
    assert h.take(pnode) == []
    assert logged(
        log, '[net] non-version message before version handshake. Message "ping" from peer=1'
    )

    h.version_from(pnode)
    assert h.take(pnode) == [
        ("wtxidrelay", b""),
        ("sendaddrv2", b""),
        ("verack", b""),
        ("getaddr", b""),
    ]
    stats = CNodeStateStats()
    assert h.peerman.GetNodeStateStats(pnode.GetId(), stats)
    assert stats.m_addr_relay_enabled

    nonce = first_ping_nonce()
    h.deliver(pnode, "verack")
    h.send_messages(pnode)
    assert h.take(pnode) == [
        ("sendcmpct", msg_sendcmpct(announce=False, version=2).serialize()),
        ("ping", ser_u64(nonce)),
        ("getheaders", genesis_getheaders(h)),
        ("feefilter", msg_feefilter(IBD_FEEFILTER).serialize()),
    ]
    assert logged(
        log, "New outbound-full-relay v1 peer connected: version: 70016, blocks=0, peer=1"
    )


@pytest.mark.parametrize(
    ("conn_type", "relay_txs"),
    [(ConnectionType.OUTBOUND_FULL_RELAY, True), (ConnectionType.BLOCK_RELAY, False)],
)
def test_connmantestmsg_handshake_leaves_upstreams_state(
    h: Harness, conn_type: ConnectionType, relay_txs: bool
) -> None:
    """test/util/net.cpp's Handshake, with the PeerManager checks upstream makes there."""
    pnode = h.add_peer(0, "1.2.3.4:18444", conn_type)
    h.connman.Handshake(pnode, True, PEER_SERVICES, OUR_SERVICES, PROTOCOL_VERSION, True)
    stats = CNodeStateStats()
    assert h.peerman.GetNodeStateStats(pnode.GetId(), stats)
    assert stats.m_relay_txs == relay_txs
    assert stats.their_services == PEER_SERVICES
    assert pnode.fSuccessfullyConnected


def test_block_relay_only_peer_gets_no_getaddr_and_no_tx_relay(h: Harness) -> None:
    pnode = h.add_peer(2, "1.2.3.4:18444", ConnectionType.BLOCK_RELAY)
    h.send_messages(pnode)
    assert h.take(pnode) == [("version", our_version(h, pnode, relay=False))]
    h.version_from(pnode)
    assert h.types(pnode) == ["wtxidrelay", "sendaddrv2", "verack"]
    stats = CNodeStateStats()
    assert h.peerman.GetNodeStateStats(pnode.GetId(), stats)
    assert not stats.m_relay_txs
    assert not stats.m_addr_relay_enabled


def test_feeler_is_disconnected_after_their_version(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(3, "1.2.3.4:18444", ConnectionType.FEELER)
    h.send_messages(pnode)
    h.version_from(pnode)
    assert h.types(pnode) == ["version", "wtxidrelay", "sendaddrv2", "verack", "getaddr"]
    assert pnode.fDisconnect
    assert logged(log, "[net] feeler connection completed, disconnecting peer=3")


def test_connecting_to_ourselves_is_detected_by_the_version_nonce(
    h: Harness, log: list[str]
) -> None:
    ours = h.add_peer(0, "1.2.3.4:18444", ConnectionType.OUTBOUND_FULL_RELAY, local_nonce=0xBEEF)
    h.send_messages(ours)
    h.take(ours)
    theirs = h.add_peer(1, "1.2.3.4:50000")
    h.version_from(theirs, nonce=0xBEEF)
    assert theirs.fDisconnect
    assert h.take(theirs) == []  # no version reply
    assert logged(log, "connected to self at 1.2.3.4:50000, disconnecting")
    assert theirs.nVersion == 0


def test_obsolete_version_disconnects(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    h.version_from(pnode, version=31799)
    assert pnode.fDisconnect
    assert h.take(pnode) == []
    assert logged(log, "[net] peer using obsolete version 31799, disconnecting peer=0")


def test_outbound_peer_without_desirable_services_disconnects(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(1, "1.2.3.4:18444", ConnectionType.OUTBOUND_FULL_RELAY)
    h.send_messages(pnode)
    h.take(pnode)
    h.version_from(pnode, services=ServiceFlags(NODE_WITNESS))
    assert pnode.fDisconnect
    assert h.take(pnode) == []
    assert logged(
        log,
        "[net] peer does not offer the expected services (00000008 offered, 00000009 expected), "
        "disconnecting peer=1",
    )


def test_second_version_is_ignored(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    h.version_from(pnode)
    h.take(pnode)
    h.version_from(pnode, version=70015)
    assert h.take(pnode) == []
    assert pnode.nVersion == PROTOCOL_VERSION
    assert not pnode.fDisconnect
    assert logged(log, "[net] redundant version message from peer=0")


def test_messages_before_verack_are_dropped_except_negotiation(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    h.version_from(pnode)
    h.take(pnode)
    h.deliver(pnode, "ping", ser_u64(9))
    assert h.take(pnode) == []
    assert logged(log, '[net] Unsupported message "ping" prior to verack from peer=0')
    # Feature negotiation is allowed before verack.
    h.deliver(pnode, "sendaddrv2")
    h.deliver(pnode, "wtxidrelay")
    h.deliver(pnode, "sendheaders")
    peer = h.peerman.GetPeerRef(pnode.GetId())
    assert peer is not None
    assert (peer.m_wants_addrv2, peer.m_wtxid_relay, peer.m_prefers_headers) == (True, True, True)
    assert h.peerman.m_wtxid_relay_peers == 1
    # sendtxrcncl is ignored: -txreconciliation is off.
    h.deliver(pnode, "sendtxrcncl", bytes(12))
    assert not pnode.fDisconnect
    assert logged(
        log,
        "[net] sendtxrcncl from peer=0 ignored, as our node does not have txreconciliation enabled",
    )


@pytest.mark.parametrize("msg_type", ["wtxidrelay", "sendaddrv2"])
def test_negotiation_after_verack_disconnects(h: Harness, log: list[str], msg_type: str) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    h.deliver(pnode, msg_type)
    assert pnode.fDisconnect
    assert logged(log, f"[net] {msg_type} received after verack, disconnecting peer=0")


def test_sendcmpct_version_2_is_recorded(h: Harness) -> None:
    pnode = h.add_peer(0)
    h.version_from(pnode)
    h.deliver(pnode, "sendcmpct", msg_sendcmpct(announce=True, version=1).serialize())
    state = h.peerman.State(pnode.GetId())
    assert isinstance(state, CNodeState)
    assert not state.m_provides_cmpctblocks
    h.deliver(pnode, "sendcmpct", msg_sendcmpct(announce=True, version=2).serialize())
    assert state.m_provides_cmpctblocks and state.m_requested_hb_cmpctblocks
    assert pnode.m_bip152_highbandwidth_from


# ------------------------------------------------------------------------------------------------
# Message loop


def test_unknown_message_type_is_logged_and_ignored(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    h.deliver(pnode, "foo", b"\x01\x02")
    assert h.take(pnode) == []
    assert not pnode.fDisconnect
    assert logged(log, '[net] Unknown command "foo" from peer=0')


def test_malformed_payload_is_logged_and_the_next_message_still_processed(
    h: Harness, log: list[str]
) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    h.deliver(pnode, "ping", b"\x01\x02\x03")
    assert h.take(pnode) == []
    assert any(
        "[net] ProcessMessages(ping, 3 bytes): Exception '" in line
        and line.rstrip("\n").endswith("' (SerializationError) caught")
        for line in log
    )
    assert not pnode.fDisconnect
    peer = h.peerman.GetPeerRef(pnode.GetId())
    assert peer is not None and not peer.m_should_discourage

    h.deliver(pnode, "ping", ser_u64(42))
    assert h.take(pnode) == [("pong", ser_u64(42))]


def test_one_message_per_processmessages_call(h: Harness) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    h.receive(pnode, "ping", ser_u64(1))
    h.receive(pnode, "ping", ser_u64(2))
    assert h.connman.ProcessMessagesOnce(pnode)  # more work
    assert h.take(pnode) == [("pong", ser_u64(1))]
    assert not h.connman.ProcessMessagesOnce(pnode)
    assert h.take(pnode) == [("pong", ser_u64(2))]


def test_paused_send_holds_message_processing(h: Harness) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    h.receive(pnode, "ping", ser_u64(1))
    pnode.fPauseSend = True
    assert not h.connman.ProcessMessagesOnce(pnode)
    assert h.take(pnode) == []
    pnode.fPauseSend = False
    h.connman.ProcessMessagesOnce(pnode)
    assert h.take(pnode) == [("pong", ser_u64(1))]


def test_getdata_for_unknown_tx_answers_notfound(h: Harness) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    inv = [CInv(1, uint256.FromInt(5))]
    h.deliver(pnode, "getdata", ser_vector(inv, CInv.serialize))
    assert h.take(pnode) == [("notfound", ser_vector(inv, CInv.serialize))]


def test_oversized_inv_is_misbehaving(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    invs = [CInv(2, uint256.FromInt(i)) for i in range(50001)]
    h.deliver(pnode, "inv", ser_vector(invs, CInv.serialize))
    assert logged(log, "[net] Misbehaving: peer=0: inv message size = 50001")


# ------------------------------------------------------------------------------------------------
# Ping / pong


def test_ping_timeout_disconnects_after_20_minutes(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)  # our ping went out at T0
    SetMockTime(T0 + 20 * 60)
    h.send_messages(pnode)
    assert not pnode.fDisconnect
    SetMockTime(T0 + 20 * 60 + 1)
    h.send_messages(pnode)
    assert pnode.fDisconnect
    assert logged(log, "[net] ping timeout: 1201.000000s, disconnecting peer=0")


def test_matching_pong_records_ping_time_and_clears_the_nonce(h: Harness) -> None:
    pnode = h.add_peer(0)
    nonce = ping_nonce(h.handshake(pnode))
    SetMockTime(T0 + 3)
    h.deliver(pnode, "pong", ser_u64(nonce))
    assert pnode.m_last_ping_time == 3_000_000
    assert pnode.m_min_ping_time == 3_000_000
    peer = h.peerman.GetPeerRef(pnode.GetId())
    assert peer is not None and peer.m_ping_nonce_sent == 0


@pytest.mark.parametrize(
    ("payload", "problem", "finished"),
    [
        (ser_u64(0x1234), "Nonce mismatch", False),
        (ser_u64(0), "Nonce zero", True),
        (b"\x01\x02", "Short payload", True),
    ],
)
def test_pong_problems_are_logged(
    h: Harness, log: list[str], payload: bytes, problem: str, finished: bool
) -> None:
    pnode = h.add_peer(0)
    nonce = ping_nonce(h.handshake(pnode))
    h.deliver(pnode, "pong", payload)
    received = 0x1234 if problem == "Nonce mismatch" else 0
    assert logged(
        log,
        f"[net] pong peer=0: {problem}, {nonce:x} expected, {received:x} received, "
        f"{len(payload)} bytes",
    )
    peer = h.peerman.GetPeerRef(pnode.GetId())
    assert peer is not None
    assert peer.m_ping_nonce_sent == (0 if finished else nonce)
    assert pnode.m_last_ping_time == 0


def test_unsolicited_pong_is_logged(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    nonce = ping_nonce(h.handshake(pnode))
    h.deliver(pnode, "pong", ser_u64(nonce))
    h.deliver(pnode, "pong", ser_u64(nonce))
    assert logged(
        log,
        f"[net] pong peer=0: Unsolicited pong without ping, 0 expected, {nonce:x} received, "
        "8 bytes",
    )


def test_sendpings_queues_an_immediate_ping(h: Harness) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    h.send_messages(pnode)
    assert h.take(pnode) == []
    h.peerman.SendPings()
    h.send_messages(pnode)
    assert h.types(pnode) == ["ping"]


# ------------------------------------------------------------------------------------------------
# Addresses


def fresh_addr(ip: str, when: int = T0) -> CAddress:
    return CAddress(LookupNumeric(ip), ServiceFlags(NODE_NETWORK | NODE_WITNESS), when)


def expected_relay_targets(h: Harness, addr: CAddress, candidates: list[int]) -> list[int]:
    """RelayAddress's choice, computed from its definition: the two highest SipHash keys."""
    hasher = CSipHasher(0, 0)
    hasher.Write(int(addr.m_net)).Write(addr.port).Write(addr.m_addr)
    hash_addr = hasher.Finalize()
    time_addr = ((T0 + hash_addr) % 2**64) // ROTATE_ADDR_RELAY_DEST_INTERVAL
    base = h.connman.GetDeterministicRandomizer(RANDOMIZER_ID_ADDRESS_RELAY)
    base.Write(hash_addr).Write(time_addr)
    keys = {i: base.copy().Write(i).Finalize() for i in candidates}
    return sorted(sorted(candidates, key=lambda i: keys[i], reverse=True)[:2])


def test_fresh_address_is_relayed_to_two_deterministic_peers(h: Harness) -> None:
    # An inbound peer announces; four outbound peers take part in address relay.
    origin = h.add_peer(0, "1.2.3.10:18444")
    peers = [
        h.add_peer(i, f"1.2.3.{10 + i}:18444", ConnectionType.OUTBOUND_FULL_RELAY)
        for i in range(1, 5)
    ]
    for p in [origin, *peers]:
        h.handshake(p)
    addr = fresh_addr("8.8.8.8:18444")
    h.deliver(origin, "addr", msg_addr([addr]).serialize())

    SetMockTime(T0 + 600)  # past every Poisson addr timer
    got = []
    for p in [origin, *peers]:
        h.send_messages(p)
        frames = [f for f in h.take(p) if f[0] in ("addr", "addrv2")]
        if frames:
            got.append(p.GetId())
            assert frames == [("addr", msg_addr([addr]).serialize())]
    assert got == expected_relay_targets(h, addr, [1, 2, 3, 4])
    assert len(got) == 2


def test_answer_to_our_getaddr_is_not_relayed(h: Harness) -> None:
    origin = h.add_peer(0, "1.2.3.10:18444", ConnectionType.OUTBOUND_FULL_RELAY)
    others = [
        h.add_peer(i, f"1.2.3.{10 + i}:18444", ConnectionType.OUTBOUND_FULL_RELAY)
        for i in range(1, 4)
    ]
    for p in [origin, *others]:
        h.handshake(p)
    peer = h.peerman.GetPeerRef(origin.GetId())
    assert peer is not None and peer.m_getaddr_sent
    h.deliver(origin, "addr", msg_addr([fresh_addr("8.8.8.8:18444")]).serialize())
    assert not peer.m_getaddr_sent  # fewer than 1000: the getaddr is answered
    SetMockTime(T0 + 600)
    for p in others:
        h.send_messages(p)
        assert [f for f in h.take(p) if f[0] == "addr"] == []


def test_addr_token_bucket_drops_excess_addresses(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    addrs = [fresh_addr(f"9.9.9.{i}:18444") for i in range(1, 11)]
    h.deliver(pnode, "addr", msg_addr(addrs).serialize())
    stats = CNodeStateStats()
    assert h.peerman.GetNodeStateStats(pnode.GetId(), stats)
    assert (stats.m_addr_processed, stats.m_addr_rate_limited) == (1, 9)
    assert logged(
        log, "[net] Received addr: 10 addresses (1 processed, 9 rate-limited) from peer=0"
    )

    # The bucket refills at 0.1 address per second.
    SetMockTime(T0 + 50)
    h.deliver(pnode, "addr", msg_addr(addrs).serialize())
    assert h.peerman.GetNodeStateStats(pnode.GetId(), stats := CNodeStateStats())
    assert (stats.m_addr_processed, stats.m_addr_rate_limited) == (6, 14)


def test_addr_permission_exempts_from_the_token_bucket(h: Harness) -> None:
    pnode = h.add_peer(0, permissions=NetPermissionFlags.Addr)
    h.handshake(pnode)
    addrs = [fresh_addr(f"9.9.9.{i}:18444") for i in range(1, 11)]
    h.deliver(pnode, "addr", msg_addr(addrs).serialize())
    stats = CNodeStateStats()
    assert h.peerman.GetNodeStateStats(pnode.GetId(), stats)
    assert (stats.m_addr_processed, stats.m_addr_rate_limited) == (10, 0)


def test_more_than_1000_addresses_is_misbehaving(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    addrs = [fresh_addr("9.9.9.9:18444")] * (MAX_ADDR_TO_SEND + 1)
    h.deliver(pnode, "addrv2", msg_addrv2(addrs).serialize())
    assert logged(log, "[net] Misbehaving: peer=0: addrv2 message size = 1001")
    h.send_messages(pnode)
    assert pnode.fDisconnect


def test_getaddr_is_answered_once_per_inbound_connection(h: Harness, log: list[str]) -> None:
    known = [fresh_addr(f"{20 + i}.{i}.7.7:18444", T0 - 3600) for i in range(100)]
    assert h.node.addrman.Add(known, LookupNumeric("7.7.7.250"))
    assert h.node.addrman.Size() == 98  # two bucket collisions
    pnode = h.add_peer(0)
    h.handshake(pnode)
    h.deliver(pnode, "getaddr")
    SetMockTime(T0 + 600)
    h.send_messages(pnode)
    frames = [f for f in h.take(pnode) if f[0] == "addr"]
    assert len(frames) == 1
    sent = msg_addr.deserialize(frames[0][1]).addrs
    # MAX_PCT_ADDR_TO_SEND: 23% of what addrman has, each a known address, once.
    assert len(sent) == 23 * 98 // 100
    known_keys = {a.ToStringAddrPort() for a in known}
    assert len({a.ToStringAddrPort() for a in sent} & known_keys) == len(sent)

    h.deliver(pnode, "getaddr")
    SetMockTime(T0 + 1200)
    h.send_messages(pnode)
    assert [f for f in h.take(pnode) if f[0] == "addr"] == []
    assert logged(log, '[net] Ignoring repeated "getaddr". peer=0')


def test_getaddr_from_outbound_peer_is_ignored(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(1, "1.2.3.4:18444", ConnectionType.OUTBOUND_FULL_RELAY)
    h.handshake(pnode)
    h.deliver(pnode, "getaddr")
    assert logged(log, '[net] Ignoring "getaddr" from outbound-full-relay connection. peer=1')


def test_addr_from_block_relay_only_peer_is_ignored(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(1, "1.2.3.4:18444", ConnectionType.BLOCK_RELAY)
    h.handshake(pnode)
    h.deliver(pnode, "addr", msg_addr([fresh_addr("9.9.9.9:18444")]).serialize())
    assert logged(log, "[net] ignoring addr message from block-relay-only peer=1")


# ------------------------------------------------------------------------------------------------
# Misbehavior (denialofservice_tests.cpp)


def test_misbehaving_peer_is_discouraged_and_disconnected(h: Harness, log: list[str]) -> None:
    nodes = [h.add_peer(i, f"1.2.3.{i + 1}:18444") for i in range(2)]
    for n in nodes:
        n.SetCommonVersion(PROTOCOL_VERSION)
        n.fSuccessfullyConnected = True
    h.peerman.UnitTestMisbehaving(NodeId(0))
    assert h.send_messages(nodes[0])
    assert h.node.banman.IsDiscouraged(nodes[0].addr)
    assert nodes[0].fDisconnect
    assert not h.node.banman.IsDiscouraged(LookupNumeric("1.2.3.250"))
    assert h.send_messages(nodes[1])
    assert not nodes[1].fDisconnect
    assert logged(log, "[net] Misbehaving: peer=0")
    assert logged(log, "[net] Disconnecting and discouraging peer 0!")


def test_noban_and_manual_peers_are_not_punished(h: Harness, log: list[str]) -> None:
    noban = h.add_peer(0, permissions=NetPermissionFlags.NoBan)
    manual = h.add_peer(1, "1.2.3.5:18444", ConnectionType.MANUAL)
    for n in (noban, manual):
        h.peerman.UnitTestMisbehaving(n.GetId())
        h.send_messages(n)
        assert not n.fDisconnect
        assert not h.node.banman.IsDiscouraged(n.addr)
    assert logged(log, "Warning: not punishing noban peer 0!")
    assert logged(log, "Warning: not punishing manually connected peer 1!")


def test_local_peer_is_disconnected_but_not_discouraged(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0, "127.0.0.1:5555")
    h.peerman.UnitTestMisbehaving(pnode.GetId())
    assert h.send_messages(pnode)
    assert pnode.fDisconnect
    assert not h.node.banman.IsDiscouraged(pnode.addr)
    assert logged(log, "[net] Warning: disconnecting but not discouraging local peer 0!")


def test_misbehavior_is_acted_on_before_the_handshake(h: Harness) -> None:
    pnode = h.add_peer(1, "1.2.3.4:18444", ConnectionType.OUTBOUND_FULL_RELAY)
    h.peerman.UnitTestMisbehaving(pnode.GetId())
    assert h.send_messages(pnode)
    assert pnode.fDisconnect
    assert h.take(pnode) == []  # not even our version


# ------------------------------------------------------------------------------------------------
# Services (peerman_tests.cpp)


def test_desirable_service_flags_follow_the_tip_age(h: Harness) -> None:
    tip = h.node.chainman.ActiveChain().Tip()
    assert tip is not None
    peer_flags = ServiceFlags(NODE_WITNESS | NODE_NETWORK_LIMITED)
    full = ServiceFlags(NODE_NETWORK | NODE_WITNESS)
    limited = ServiceFlags(NODE_NETWORK_LIMITED | NODE_WITNESS)
    # The regtest genesis block is years old: only full nodes are desirable.
    assert h.peerman.GetDesirableServiceFlags(peer_flags) == full

    h.peerman.SetBestBlock(tip.nHeight, tip.GetBlockTime())
    SetMockTime(tip.GetBlockTime() + 1)
    assert h.peerman.GetDesirableServiceFlags(peer_flags) == limited
    SetMockTime(tip.GetBlockTime() + 1 + 600 * (NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS - 1))
    assert h.peerman.GetDesirableServiceFlags(peer_flags) == limited
    SetMockTime(tip.GetBlockTime() + 1 + 600 * (NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS + 1))
    assert h.peerman.GetDesirableServiceFlags(peer_flags) == full
    assert h.peerman.HasAllDesirableServiceFlags(full)
    assert not h.peerman.HasAllDesirableServiceFlags(ServiceFlags(NODE_NONE))


def test_finalize_node_forgets_the_peer(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    h.peerman.FinalizeNode(pnode)
    assert h.peerman.GetPeerRef(pnode.GetId()) is None
    assert h.peerman.State(pnode.GetId()) is None
    assert logged(log, "[net] Cleared nodestate for peer=0")


def test_peer_and_cnodestate_have_upstreams_members() -> None:
    assert len(Peer.__slots__) == 43
    assert len(Peer.TxRelay.__slots__) == 10
    assert len(CNodeState.__slots__) == 13


def test_peer_before_bip31_gets_a_ping_without_nonce_and_no_pong(h: Harness) -> None:
    pnode = h.add_peer(0)
    h.version_from(pnode, version=60000)
    # Old enough for the alert system: it gets the final alert.
    assert [t for t, _ in h.take(pnode)] == ["version", "verack", "alert"]
    h.deliver(pnode, "verack")
    h.send_messages(pnode)
    # No sendcmpct (before 70014), a ping without nonce, no sendheaders, no feefilter (70013).
    assert h.take(pnode) == [("ping", b""), ("getheaders", genesis_getheaders(h))]
    h.deliver(pnode, "ping", ser_u64(5))
    assert h.take(pnode) == []


def test_self_advertisement_uses_the_peers_view_and_our_bind_port(h: Harness) -> None:
    """net_tests' initial_advertise_from_version_message: bound to 3.4.5.6:20001, an outbound
    peer sees us as 2.3.4.5:20002 (the OS's port for our connection); we advertise
    2.3.4.5:20001."""
    genesis = h.node.chainman.ActiveChain().Tip()
    assert genesis is not None
    # Out of IBD (our tip is recent) and listening.
    now = genesis.GetBlockTime() + 60
    SetMockTime(now)
    assert not h.node.chainman.IsInitialBlockDownload()
    net.gArgs.ForceSetArg("-bind", "3.4.5.6:20001")
    pnode = h.add_peer(0, "1.2.3.4:8333", ConnectionType.OUTBOUND_FULL_RELAY)
    h.send_messages(pnode)
    h.version_from(pnode, addr_me="2.3.4.5:20002")
    h.take(pnode)
    h.deliver(pnode, "verack")
    h.send_messages(pnode)
    frames = h.take(pnode)
    assert [t for t, _ in frames] == ["sendcmpct", "ping", "addr", "getheaders", "feefilter"]
    assert frames[2] == (
        "addr",
        msg_addr([CAddress(LookupNumeric("2.3.4.5:20001"), OUR_SERVICES, now)]).serialize(),
    )
    # Out of IBD the fee filter is our mempool's, at least the minimum relay fee.
    assert frames[4] == ("feefilter", msg_feefilter(100).serialize())


def test_compact_filter_requests_disconnect_when_we_do_not_serve_them(
    h: Harness, log: list[str]
) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    h.deliver(pnode, "getcfilters", bytes(1) + bytes(4) + bytes(32))
    assert pnode.fDisconnect
    assert logged(
        log, "[net] peer requested unsupported block filter type: 0, disconnecting peer=0"
    )


def test_bloom_messages_need_node_bloom(h: Harness, log: list[str]) -> None:
    plain = h.add_peer(0)
    h.handshake(plain)
    h.deliver(plain, "mempool")
    assert plain.fDisconnect
    assert logged(log, "[net] mempool request with bloom filters disabled, disconnecting peer=0")

    # The bloomfilter permission makes us offer NODE_BLOOM to that peer.
    bloom = h.add_peer(1, "1.2.3.5:18444", permissions=NetPermissionFlags.BloomFilter)
    h.handshake(bloom)
    filterload = msg_filterload(data=b"\xff" * 8, nHashFuncs=2, nTweak=0, nFlags=0)
    h.deliver(bloom, "filterload", filterload.serialize())
    assert not bloom.fDisconnect
    assert bloom.m_bloom_filter_loaded and bloom.m_relays_txs
    h.deliver(bloom, "filteradd", msg_filteradd(b"\x00" * 521).serialize())
    assert logged(log, "[net] Misbehaving: peer=1: bad filteradd message")
    h.deliver(bloom, "filterclear")
    assert not bloom.m_bloom_filter_loaded


def test_feefilter_is_recorded_within_money_range(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0)
    h.handshake(pnode)
    h.deliver(pnode, "feefilter", msg_feefilter(1000).serialize())
    stats = CNodeStateStats()
    assert h.peerman.GetNodeStateStats(pnode.GetId(), stats)
    assert stats.m_fee_filter_received == 1000
    assert logged(log, "[net] received: feefilter of 0.00001000 BTC/kvB from peer=0")
    h.deliver(pnode, "feefilter", msg_feefilter(-1).serialize())
    assert h.peerman.GetNodeStateStats(pnode.GetId(), stats := CNodeStateStats())
    assert stats.m_fee_filter_received == 1000


def test_relay_transaction_queues_only_after_the_handshake(h: Harness) -> None:
    early = h.add_peer(0)
    h.version_from(early)  # has TxRelay, but no inv timer yet
    done = h.add_peer(1, "1.2.3.5:18444")
    h.handshake(done)
    txid, wtxid = uint256.FromInt(1), uint256.FromInt(2)
    h.peerman.RelayTransaction(txid, wtxid)
    early_peer = h.peerman.GetPeerRef(early.GetId())
    done_peer = h.peerman.GetPeerRef(done.GetId())
    assert early_peer is not None and done_peer is not None
    early_relay, done_relay = early_peer.GetTxRelay(), done_peer.GetTxRelay()
    assert early_relay is not None and done_relay is not None
    assert early_relay.m_tx_inventory_to_send == set()
    assert done_relay.m_tx_inventory_to_send == {wtxid}


def test_peer_that_sent_sendaddrv2_gets_addrv2(h: Harness) -> None:
    known = [fresh_addr(f"{20 + i}.{i}.7.7:18444", T0 - 3600) for i in range(10)]
    assert h.node.addrman.Add(known, LookupNumeric("7.7.7.250"))
    pnode = h.add_peer(0)
    h.version_from(pnode)
    h.deliver(pnode, "sendaddrv2")
    h.deliver(pnode, "verack")
    h.send_messages(pnode)
    h.take(pnode)
    h.deliver(pnode, "getaddr")
    SetMockTime(T0 + 600)
    h.send_messages(pnode)
    frames = [f for f in h.take(pnode) if f[0] in ("addr", "addrv2")]
    assert [t for t, _ in frames] == ["addrv2"]
    sent = msg_addrv2.deserialize(frames[0][1]).addrs
    assert frames[0][1] == msg_addrv2(sent).serialize()
    assert len(sent) == 23 * h.node.addrman.Size() // 100
