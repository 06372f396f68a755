"""Outbound peer management in legacy/net_processing.py: slow-chain eviction, stale-tip extra
peers, extra full-relay and block-relay-only eviction (upstream: denialofservice_tests.cpp)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from common.clock import GetTime, SetMockTime
from common.connection_types import ConnectionType
from common.messages import msg_getheaders
from common.netaddress import CNetAddr, CService
from common.nodeid import NodeId
from common.primitives.block import CBlockLocator
from common.random import SeedRandomStateForTest
from common.uint256 import uint256
from legacy.net import (
    MAX_BLOCK_RELAY_ONLY_CONNECTIONS,
    MAX_OUTBOUND_FULL_RELAY_CONNECTIONS,
    PROTOCOL_VERSION,
    CNode,
)
from legacy.net_processing import MINIMUM_CONNECT_TIME

from .peerman_util import T0, Harness, capture_log, logged, make_harness

TOR_ADDRS = (
    "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
    "aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dyp3kead.onion",
)


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    SeedRandomStateForTest()
    SetMockTime(T0)
    yield from make_harness(tmp_path)
    SeedRandomStateForTest(None)


@pytest.fixture
def log() -> Iterator[list[str]]:
    yield from capture_log()


def add_outbound_peer(
    h: Harness, node_id: int, conn_type: ConnectionType, addr: str | CService | None = None
) -> CNode:
    """Upstream's AddRandomOutboundPeer: a connected outbound peer without a handshake."""
    pnode = h.add_peer(node_id, addr if addr is not None else f"2.{node_id}.3.4:18444", conn_type)
    pnode.SetCommonVersion(PROTOCOL_VERSION)
    pnode.fSuccessfullyConnected = True
    return pnode


def onion_service(i: int) -> CService:
    tor = CNetAddr()
    assert tor.SetSpecial(TOR_ADDRS[i])
    return CService(tor, 18444)


def test_outbound_peer_with_a_stuck_chain_is_evicted(h: Harness, log: list[str]) -> None:
    h.connman.SetPeerConnectTimeout(99999)  # no inactivity checks
    pnode = h.add_peer(0, "1.2.3.4:18444", ConnectionType.OUTBOUND_FULL_RELAY)
    h.handshake(pnode)  # includes our initial getheaders; the chain-sync timer starts

    SetMockTime(T0 + 21 * 60)
    assert h.send_messages(pnode)
    # One getheaders from the block before the tip we measure against (genesis: none).
    assert h.take(pnode) == [
        ("getheaders", msg_getheaders(CBlockLocator([]), uint256()).serialize())
    ]
    assert not pnode.fDisconnect

    SetMockTime(T0 + 24 * 60)
    assert h.send_messages(pnode)
    assert pnode.fDisconnect
    assert logged(
        log, "Outbound peer has old chain, best known block = <none>, disconnecting peer=0"
    )
    h.peerman.FinalizeNode(pnode)


def test_stale_tip_allows_an_extra_outbound_peer_then_evicts_the_worst(
    h: Harness, log: list[str]
) -> None:
    time_init = GetTime()
    time_later = time_init + 3 * 600 + 1
    nodes = [
        add_outbound_peer(h, i, ConnectionType.OUTBOUND_FULL_RELAY)
        for i in range(MAX_OUTBOUND_FULL_RELAY_CONNECTIONS)
    ]
    h.peerman.CheckForStaleTipAndEvictPeers()
    assert not any(n.fDisconnect for n in nodes)

    SetMockTime(time_later)
    # Now the tip is stale: we look for an extra outbound peer.
    h.peerman.CheckForStaleTipAndEvictPeers()
    assert h.connman.GetTryNewOutboundPeer()
    assert not any(n.fDisconnect for n in nodes)
    assert logged(
        log,
        "Potential stale tip detected, will try using extra outbound peer (last tip update: "
        "1801 seconds ago)",
    )

    # With one more peer, the newest of those with the oldest block announcement goes.
    SetMockTime(time_init)
    nodes.append(add_outbound_peer(h, len(nodes), ConnectionType.OUTBOUND_FULL_RELAY))
    SetMockTime(time_later)
    h.peerman.CheckForStaleTipAndEvictPeers()
    assert [n.fDisconnect for n in nodes] == [False] * MAX_OUTBOUND_FULL_RELAY_CONNECTIONS + [True]
    assert not h.connman.GetTryNewOutboundPeer()

    # A recent block announcement protects the last peer: the next newest goes instead.
    nodes[-1].fDisconnect = False
    h.peerman.UpdateLastBlockAnnounceTime(nodes[-1].GetId(), GetTime())
    h.peerman.CheckForStaleTipAndEvictPeers()
    assert [n.GetId() for n in nodes if n.fDisconnect] == [
        NodeId(MAX_OUTBOUND_FULL_RELAY_CONNECTIONS - 1)
    ]
    for n in nodes:
        h.peerman.FinalizeNode(n)


def test_only_outbound_peer_of_its_network_is_protected(h: Harness) -> None:
    time_init = GetTime()
    time_later = time_init + 3 * 600 + 1
    nodes = [
        add_outbound_peer(h, i, ConnectionType.OUTBOUND_FULL_RELAY)
        for i in range(MAX_OUTBOUND_FULL_RELAY_CONNECTIONS)
    ]
    SetMockTime(time_init)
    nodes.append(
        add_outbound_peer(h, len(nodes), ConnectionType.OUTBOUND_FULL_RELAY, onion_service(0))
    )

    SetMockTime(time_later)
    h.peerman.CheckForStaleTipAndEvictPeers()
    # The onion peer (newest, so first in line) is our only one on its network: the next newest
    # goes.
    assert [n.GetId() for n in nodes if n.fDisconnect] == [
        NodeId(MAX_OUTBOUND_FULL_RELAY_CONNECTIONS - 1)
    ]

    # A second onion peer is not protected: being the newest, it goes.
    nodes[MAX_OUTBOUND_FULL_RELAY_CONNECTIONS - 1].fDisconnect = False
    SetMockTime(time_init)
    nodes.append(
        add_outbound_peer(h, len(nodes), ConnectionType.OUTBOUND_FULL_RELAY, onion_service(1))
    )
    SetMockTime(time_later)
    h.peerman.CheckForStaleTipAndEvictPeers()
    assert [n.GetId() for n in nodes if n.fDisconnect] == [nodes[-1].GetId()]
    for n in nodes:
        h.peerman.FinalizeNode(n)


def test_extra_block_relay_only_peer_is_evicted_after_minimum_connect_time(h: Harness) -> None:
    nodes = [
        add_outbound_peer(h, i, ConnectionType.BLOCK_RELAY)
        for i in range(MAX_BLOCK_RELAY_ONLY_CONNECTIONS)
    ]
    h.peerman.CheckForStaleTipAndEvictPeers()
    assert not any(n.fDisconnect for n in nodes)

    # An extra block-relay-only peer over the limit (as ThreadOpenConnections makes one).
    nodes.append(add_outbound_peer(h, len(nodes), ConnectionType.BLOCK_RELAY))
    h.peerman.CheckForStaleTipAndEvictPeers()
    assert not any(n.fDisconnect for n in nodes)

    SetMockTime(GetTime() + MINIMUM_CONNECT_TIME + 1)
    h.peerman.CheckForStaleTipAndEvictPeers()
    assert [n.fDisconnect for n in nodes] == [False] * MAX_BLOCK_RELAY_ONLY_CONNECTIONS + [True]

    # The extra peer gave us a block: the next youngest goes instead.
    nodes[-1].fDisconnect = False
    nodes[-1].m_last_block_time = GetTime()
    h.peerman.CheckForStaleTipAndEvictPeers()
    assert [n.GetId() for n in nodes if n.fDisconnect] == [
        NodeId(MAX_BLOCK_RELAY_ONLY_CONNECTIONS - 1)
    ]
    for n in nodes:
        h.peerman.FinalizeNode(n)


def test_addr_fetch_peer_times_out_after_ten_addr_intervals(h: Harness, log: list[str]) -> None:
    pnode = h.add_peer(0, "1.2.3.4:18444", ConnectionType.ADDR_FETCH)
    h.handshake(pnode)
    SetMockTime(T0 + 300)
    h.send_messages(pnode)
    assert not pnode.fDisconnect
    SetMockTime(T0 + 301)
    h.send_messages(pnode)
    assert pnode.fDisconnect
    assert logged(log, "[net] addrfetch connection timeout, disconnecting peer=0")
