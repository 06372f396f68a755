"""CConnman's threads: real loopback sockets, and the outbound connection policy run against fake
sockets (common.sock.DynSock handed out by a replaced CreateSock)."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import common.sock
import legacy.net as net
from common.addrdb import DumpAnchors, ReadAnchors
from common.clock import SetMockTime
from common.connection_types import ConnectionType
from common.logging import BCLog, LogInstance
from common.net_permissions import ConnectionDirection
from common.netbase import LookupHost, LookupNumeric
from common.nodeid import NodeId
from common.protocol import NODE_NETWORK, NODE_WITNESS, CAddress, NetMsgType
from common.random import SeedRandomStateForTest
from common.serialize import ser_u64
from common.sock import DynSock, Sock
from common.thread import TraceThread
from legacy.net import CConnman
from legacy.net_test_util import ConnmanTestMsg, decode_frames

from .netutil import FastInterrupt, RecordingMsgProc, make_connman, wait_until

T0 = 1_700_000_000  # seconds
SERVICES = NODE_NETWORK | NODE_WITNESS


@pytest.fixture
def debug_log() -> Iterator[list[str]]:
    logger = LogInstance()
    mask = logger.GetCategoryMask()
    lines: list[str] = []
    handle = logger.PushBackCallback(lines.append)
    logger.EnableCategory(BCLog.NET)
    yield lines
    logger.DeleteCallback(handle)
    logger.DisableCategory(BCLog.LogFlags.ALL)
    logger.EnableCategory(BCLog.LogFlags(mask))


@pytest.fixture
def fake_sockets(monkeypatch: pytest.MonkeyPatch) -> list[DynSock]:
    """Every socket CreateSock makes is a DynSock, recorded here: connects succeed at once."""
    made: list[DynSock] = []

    def create(domain: int, type_: int, protocol: int) -> Sock | None:
        sock = DynSock()
        made.append(sock)
        return sock

    monkeypatch.setattr(common.sock, "CreateSock", create)
    return made


@pytest.fixture
def no_listen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net, "fListen", False)


def stop(connman: CConnman, limit: float = 5.0) -> float:
    """Interrupt and Stop, returning how long it took."""
    start = time.monotonic()
    connman.Interrupt()
    connman.Stop()
    elapsed = time.monotonic() - start
    assert elapsed < limit
    return elapsed


def outbound_options(msgproc: RecordingMsgProc, **kw: object) -> CConnman.Options:
    options = CConnman.Options(
        m_max_automatic_connections=125,
        m_msgproc=msgproc,
        nReceiveFloodSize=5_000_000,
        nSendBufferMaxSize=1_000_000,
    )
    for k, v in kw.items():
        setattr(options, k, v)
    return options


def fill_addrman(connman: ConnmanTestMsg, n: int) -> None:
    source = LookupHost("250.1.1.1", False)
    assert source is not None
    addrs = [
        CAddress(LookupNumeric(f"{20 + i}.{i}.1.1:18444"), SERVICES, T0 - 3600) for i in range(n)
    ]
    assert connman.addrman.Add(addrs, source)


def conn_types(connman: ConnmanTestMsg) -> Counter[ConnectionType]:
    return Counter(n.m_conn_type for n in connman.TestNodes())


def test_threads_serve_a_loopback_peer_and_stop_cleanly(
    debug_log: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(net, "fDiscover", False)
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    msgproc.connman = connman
    options = outbound_options(
        msgproc, m_use_addrman_outgoing=False, vBinds=[LookupNumeric("127.0.0.1:0")]
    )
    assert connman.Start(None, options)
    try:
        (listen,) = connman.vhListenSocket
        name = listen.sock.GetSockName()
        assert name is not None
        client = socket.create_connection(("127.0.0.1", name[1]), timeout=5)
        wait_until(lambda: connman.GetNodeCount(ConnectionDirection.In) == 1)
        (node,) = connman.TestNodes()
        client.sendall(
            bytes.fromhex("fabfb5da") + b"ping" + bytes(8) + bytes.fromhex("08000000")
            + bytes.fromhex("3b5a7513") + ser_u64(0x0102030405060708)
        )  # fmt: skip
        wait_until(lambda: msgproc.types_from(node.GetId()) == ["ping"])
        reply = b""
        while len(reply) < 32:
            reply += client.recv(64)
        assert decode_frames(reply) == [("pong", ser_u64(0x0102030405060708))]
        client.close()
        wait_until(lambda: connman.TestNodes() == [])
        wait_until(lambda: ("FinalizeNode", node.GetId()) in msgproc.calls)
        assert node.GetRefCount() == 0
        assert any("[net] socket closed, disconnecting peer=0" in line for line in debug_log)
    finally:
        stop(connman)
    assert connman.TestNodes() == [] and connman.m_nodes_disconnected == []
    assert connman.vhListenSocket == []
    for thread_name in ("net", "addcon", "msghand", "scheduler"):
        assert any(f"{thread_name} thread exit" in line for line in debug_log), thread_name


def test_stop_finalizes_every_remaining_node(no_listen: None, fake_sockets: list[DynSock]) -> None:
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    connman.interruptNet = FastInterrupt()
    assert connman.Start(None, outbound_options(msgproc, m_use_addrman_outgoing=False))
    try:
        assert connman.AddConnection("20.0.0.1:18444", ConnectionType.OUTBOUND_FULL_RELAY)
        assert connman.AddConnection("21.0.0.1:18444", ConnectionType.BLOCK_RELAY)
        assert not connman.AddConnection("22.0.0.1:18444", ConnectionType.MANUAL)
        assert conn_types(connman) == {
            ConnectionType.OUTBOUND_FULL_RELAY: 1,
            ConnectionType.BLOCK_RELAY: 1,
        }
    finally:
        stop(connman)
    assert sorted(n.GetId() for n in msgproc.finalized) == [NodeId(0), NodeId(1)]
    assert all(n.m_sock is None and n.fDisconnect for n in msgproc.finalized)


def test_open_connections_fills_full_relay_then_block_relay_then_feelers(
    debug_log: list[str], no_listen: None, fake_sockets: list[DynSock]
) -> None:
    SeedRandomStateForTest()
    SetMockTime(T0)
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    fill_addrman(connman, 40)
    connman.Init(outbound_options(msgproc))
    connman.semOutbound = threading.Semaphore(11)
    connman.interruptNet = FastInterrupt()
    thread = TraceThread("opencon", lambda: connman.ThreadOpenConnections([], []))
    try:
        wait_until(lambda: len(connman.TestNodes()) == 10)
        time.sleep(0.05)  # more rounds: with the clock still, nothing else is due
        assert conn_types(connman) == {
            ConnectionType.OUTBOUND_FULL_RELAY: 8,
            ConnectionType.BLOCK_RELAY: 2,
        }
        groups = {connman.m_netgroupman.GetGroup(n.addr) for n in connman.TestNodes()}
        assert len(groups) == 10
        SetMockTime(T0 + 24 * 3600)  # the feeler timer (Poisson, mean 2 min) is due
        wait_until(lambda: len(connman.TestNodes()) == 11)
        assert conn_types(connman)[ConnectionType.FEELER] == 1
        assert any("[net] Making feeler connection to " in line for line in debug_log)
        assert [c for c, _ in msgproc.calls].count("InitializeNode") == 11
    finally:
        connman.Interrupt()
        thread.join(5)
    assert not thread.is_alive()


def test_open_connections_tries_anchors_first(
    tmp_path: Path, debug_log: list[str], no_listen: None, fake_sockets: list[DynSock]
) -> None:
    anchors = [
        CAddress(LookupNumeric("30.0.0.1:18444"), SERVICES, T0),
        CAddress(LookupNumeric("31.0.0.1:18444"), SERVICES, T0),
        CAddress(LookupNumeric("32.0.0.1:18444"), SERVICES, T0),
    ]
    netdir = tmp_path / "regtest"  # -datadir's network directory
    netdir.mkdir()
    DumpAnchors(netdir / "anchors.dat", anchors)
    net.gArgs.ForceSetArg("-datadir", str(tmp_path))
    net.gArgs.ClearPathCache()
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    connman.interruptNet = FastInterrupt()
    try:
        assert connman.Start(None, outbound_options(msgproc))
        assert any("2 block-relay-only anchors will be tried" in line for line in debug_log)
        wait_until(lambda: len(connman.TestNodes()) == 2)
        got = {(n.m_conn_type, n.addr.ToStringAddrPort()) for n in connman.TestNodes()}
        assert got == {
            (ConnectionType.BLOCK_RELAY, "30.0.0.1:18444"),
            (ConnectionType.BLOCK_RELAY, "31.0.0.1:18444"),
        }
        assert any(
            "[net] Trying to make an anchor connection to 31.0.0.1:18444" in line
            for line in debug_log
        )
        stop(connman)
        # A clean shutdown writes the block-relay-only peers back.
        dumped = ReadAnchors(netdir / "anchors.dat")
        assert sorted(a.ToStringAddrPort() for a in dumped) == ["30.0.0.1:18444", "31.0.0.1:18444"]
    finally:
        connman.Interrupt()
        connman.Stop()
        net.gArgs.ClearArgs()


def test_added_nodes_get_manual_connections(no_listen: None, fake_sockets: list[DynSock]) -> None:
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    connman.interruptNet = FastInterrupt()
    options = outbound_options(
        msgproc, m_use_addrman_outgoing=False, m_added_nodes=["20.0.0.1", "21.0.0.1:8333"]
    )
    assert connman.Start(None, options)
    try:
        wait_until(lambda: len(connman.TestNodes()) == 2)
        assert {(n.m_conn_type, n.m_addr_name) for n in connman.TestNodes()} == {
            (ConnectionType.MANUAL, "20.0.0.1"),
            (ConnectionType.MANUAL, "21.0.0.1:8333"),
        }
        assert all(i.fConnected for i in connman.GetAddedNodeInfo(include_connected=True))
    finally:
        stop(connman)


def test_connect_mode_makes_only_the_given_manual_connections(
    no_listen: None, fake_sockets: list[DynSock]
) -> None:
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    fill_addrman(connman, 5)
    connman.interruptNet = FastInterrupt()
    options = outbound_options(
        msgproc, m_use_addrman_outgoing=False, m_specified_outgoing=["20.0.0.9:18444"]
    )
    assert connman.Start(None, options)
    try:
        wait_until(lambda: len(connman.TestNodes()) == 1)
        time.sleep(0.05)
        (node,) = connman.TestNodes()
        assert (node.m_conn_type, node.m_addr_name) == (ConnectionType.MANUAL, "20.0.0.9:18444")
    finally:
        stop(connman)


def test_seed_nodes_become_addr_fetch_connections(
    debug_log: list[str], no_listen: None, fake_sockets: list[DynSock]
) -> None:
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    connman.interruptNet = FastInterrupt()
    assert connman.Start(None, outbound_options(msgproc, vSeedNodes=["40.0.0.1:18444"]))
    try:
        wait_until(lambda: len(connman.TestNodes()) == 1)
        (node,) = connman.TestNodes()
        assert node.m_conn_type == ConnectionType.ADDR_FETCH
        assert any(
            "Empty addrman, adding seednode (40.0.0.1:18444) to addrfetch" in line
            for line in debug_log
        )
    finally:
        stop(connman)


def test_message_handler_wakes_for_new_messages(
    no_listen: None, fake_sockets: list[DynSock]
) -> None:
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    msgproc.connman = connman
    connman.interruptNet = FastInterrupt()
    assert connman.Start(None, outbound_options(msgproc, m_use_addrman_outgoing=False))
    try:
        assert connman.AddConnection("20.0.0.1:18444", ConnectionType.OUTBOUND_FULL_RELAY)
        (node,) = connman.TestNodes()
        sock = node.m_sock
        assert isinstance(sock, DynSock)
        sock.m_pipes.recv.PushNetMsg(NetMsgType.PING, ser_u64(7))
        reply = sock.m_pipes.send.GetNetMsg(timeout=5000)
        assert reply == ("pong", ser_u64(7))
        assert ("SendMessages", node.GetId()) in msgproc.calls
    finally:
        stop(connman)
