"""legacy/net.py without threads: the v1 transport, CNode, and CConnman driven by hand with fake
sockets and mock time (upstream: net_tests.cpp, denialofservice_tests.cpp, net_peer_*)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import legacy.net as net
from common.addrdb import ReadAnchors
from common.banman import BanMan
from common.clock import SetMockTime
from common.connection_types import ConnectionType, TransportProtocolType
from common.logging import BCLog, LogInstance
from common.net_permissions import ConnectionDirection, NetPermissionFlags
from common.netaddress import Network
from common.netbase import LookupHost, LookupNumeric, LookupSubNet
from common.nodeid import NodeId
from common.protocol import (
    ALL_NET_MESSAGE_TYPES,
    NODE_NETWORK,
    NODE_NONE,
    NODE_WITNESS,
    CAddress,
    NetMsgType,
    ServiceFlags,
)
from common.random import SeedRandomStateForTest
from common.serialize import ser_u64
from common.siphash import CSipHasher
from common.sock import DynSock, SockEvent
from legacy.net import (
    MAX_PROTOCOL_MESSAGE_LENGTH,
    NET_MESSAGE_TYPE_OTHER,
    RANDOMIZER_ID_NETGROUP,
    TIMEOUT_INTERVAL,
    AddedNodeParams,
    CConnman,
    CNode,
    CNodeOptions,
    CNodeStats,
    CSerializedNetMsg,
    V1Transport,
)
from legacy.net_test_util import ConnmanTestMsg, decode_frames

from .netutil import RecordingMsgProc, make_connman, make_node

T0 = 1_700_000_000  # seconds
REGTEST_MAGIC = bytes.fromhex("fabfb5da")
PING_NONCE = 0x0102030405060708


@pytest.fixture
def debug_log() -> Iterator[list[str]]:
    """Every log line while the test runs, with the net category on."""
    logger = LogInstance()
    mask = logger.GetCategoryMask()
    lines: list[str] = []
    handle = logger.PushBackCallback(lines.append)
    logger.EnableCategory(BCLog.NET)
    yield lines
    logger.DeleteCallback(handle)
    logger.DisableCategory(BCLog.LogFlags.ALL)
    logger.EnableCategory(BCLog.LogFlags(mask))


@pytest.fixture(autouse=True)
def _deterministic() -> Iterator[None]:
    SeedRandomStateForTest()
    SetMockTime(T0)
    yield
    SeedRandomStateForTest(None)


def logged(lines: list[str], message: str) -> bool:
    return any(line.rstrip("\n").endswith(message) for line in lines)


def ping_frame(nonce: int = PING_NONCE) -> bytes:
    t = V1Transport(NodeId(99))
    assert t.SetMessageToSend(CSerializedNetMsg(ser_u64(nonce), NetMsgType.PING))
    out = b""
    while True:
        data, _more, _type = t.GetBytesToSend(False)
        if len(data) == 0:
            return out
        out += data
        t.MarkBytesSent(len(data))


# ------------------------------------------------------------------------------------------------
# V1Transport


def test_v1transport_frames_ping_as_header_then_payload() -> None:
    t = V1Transport(NodeId(0))
    assert t.SetMessageToSend(CSerializedNetMsg(ser_u64(PING_NONCE), NetMsgType.PING))
    header, more, msg_type = t.GetBytesToSend(False)
    assert bytes(header) == (
        REGTEST_MAGIC + b"ping" + bytes(8) + bytes.fromhex("08000000") + bytes.fromhex("3b5a7513")
    )
    assert (more, msg_type) == (True, "ping")
    # A second message cannot be set while this one is being sent.
    assert not t.SetMessageToSend(CSerializedNetMsg(b"", NetMsgType.VERACK))
    t.MarkBytesSent(10)
    rest, _, _ = t.GetBytesToSend(False)
    assert bytes(rest) == bytes(header)[10:]
    t.MarkBytesSent(len(rest))
    payload, more, _ = t.GetBytesToSend(False)
    assert (bytes(payload), more) == (bytes.fromhex("0807060504030201"), False)
    assert t.GetBytesToSend(True)[1] is True
    t.MarkBytesSent(len(payload))
    assert len(t.GetBytesToSend(False)[0]) == 0
    assert t.GetSendMemoryUsage() == 56


def test_v1transport_empty_payload_is_just_the_header() -> None:
    t = V1Transport(NodeId(0))
    assert t.SetMessageToSend(CSerializedNetMsg(b"", NetMsgType.VERACK))
    header, more, _ = t.GetBytesToSend(False)
    assert bytes(header).hex() == "fabfb5da76657261636b000000000000000000005df6e0e2"
    assert more is False
    t.MarkBytesSent(24)
    assert t.SetMessageToSend(CSerializedNetMsg(b"", NetMsgType.SENDHEADERS))


def test_v1transport_reassembles_a_message_fed_byte_by_byte() -> None:
    t = V1Transport(NodeId(0))
    frame = ping_frame()
    for i, b in enumerate(frame):
        assert not t.ReceivedMessageComplete()
        ok, rest = t.ReceivedBytes(memoryview(bytes([b])))
        assert ok and len(rest) == 0, i
    assert t.ReceivedMessageComplete()
    msg, reject = t.GetReceivedMessage(1234)
    assert not reject
    assert (msg.m_type, msg.m_time, msg.m_message_size, msg.m_raw_message_size) == (
        "ping",
        1234,
        8,
        32,
    )
    assert msg.m_recv.read_u64() == PING_NONCE
    assert not t.ReceivedMessageComplete()


def test_v1transport_stops_at_the_end_of_a_message() -> None:
    t = V1Transport(NodeId(0))
    data = ping_frame(1) + ping_frame(2)
    ok, rest = t.ReceivedBytes(memoryview(data))
    assert ok and len(rest) == 40  # the header was consumed alone
    ok, rest = t.ReceivedBytes(rest)
    assert ok and len(rest) == 32 and t.ReceivedMessageComplete()


def test_v1transport_wrong_magic_disconnects(debug_log: list[str]) -> None:
    t = V1Transport(NodeId(7))
    ok, _ = t.ReceivedBytes(memoryview(bytes.fromhex("f9beb4d9") + ping_frame()[4:]))
    assert not ok
    assert logged(debug_log, "[net] Header error: Wrong MessageStart f9beb4d9 received, peer=7")


def test_v1transport_oversized_message_disconnects(debug_log: list[str]) -> None:
    t = V1Transport(NodeId(3))
    too_big = MAX_PROTOCOL_MESSAGE_LENGTH + 1
    header = REGTEST_MAGIC + b"block" + bytes(7) + too_big.to_bytes(4, "little") + bytes(4)
    ok, _ = t.ReceivedBytes(memoryview(header))
    assert not ok
    assert logged(debug_log, "[net] Header error: Size too large (block, 4000001 bytes), peer=3")
    # The largest allowed size is accepted.
    ok, _ = V1Transport(NodeId(3)).ReceivedBytes(
        memoryview(header[:16] + MAX_PROTOCOL_MESSAGE_LENGTH.to_bytes(4, "little") + bytes(4))
    )
    assert ok


def test_v1transport_bad_checksum_rejects_the_message(debug_log: list[str]) -> None:
    t = V1Transport(NodeId(5))
    frame = bytearray(ping_frame())
    frame[20] ^= 0xFF
    ok, rest = t.ReceivedBytes(memoryview(bytes(frame)))
    ok, rest = t.ReceivedBytes(rest)
    assert ok and t.ReceivedMessageComplete()
    msg, reject = t.GetReceivedMessage(0)
    assert reject and msg.m_type == "ping"
    assert logged(
        debug_log,
        "[net] Header error: Wrong checksum (ping, 8 bytes), expected 3b5a7513 was c45a7513, "
        "peer=5",
    )
    # The transport is ready for the next message.
    assert not t.ReceivedMessageComplete()
    ok, rest = t.ReceivedBytes(memoryview(ping_frame()))
    assert ok


def test_v1transport_invalid_message_type_rejects_the_message(debug_log: list[str]) -> None:
    t = V1Transport(NodeId(5))
    payload = b""
    header = REGTEST_MAGIC + b"pi\x00g" + bytes(8) + bytes(4) + bytes.fromhex("5df6e0e2")
    ok, _ = t.ReceivedBytes(memoryview(header + payload))
    assert ok and t.ReceivedMessageComplete()
    _msg, reject = t.GetReceivedMessage(0)
    assert reject
    assert logged(debug_log, "[net] Header error: Invalid message type (pi, 0 bytes), peer=5")


# ------------------------------------------------------------------------------------------------
# CNode

#: Upstream's CNode data members (net.h, v30.0), in declaration order: a fact list.
CNODE_MEMBERS = [
    "m_transport", "m_permission_flags", "m_sock", "m_send_memusage", "nSendBytes", "vSendMsg",
    "cs_vSend", "m_sock_mutex", "cs_vRecv", "nRecvBytes", "m_last_send", "m_last_recv",
    "m_connected", "addr", "addrBind", "m_addr_name", "m_dest", "m_inbound_onion", "nVersion",
    "m_subver_mutex", "cleanSubVer", "m_prefer_evict", "fSuccessfullyConnected", "fDisconnect",
    "grantOutbound", "nRefCount", "nKeyedNetGroup", "fPauseRecv", "fPauseSend", "m_conn_type",
    "m_bip152_highbandwidth_to", "m_bip152_highbandwidth_from", "m_has_all_wanted_services",
    "m_relays_txs", "m_bloom_filter_loaded", "m_last_block_time", "m_last_tx_time",
    "m_last_ping_time", "m_min_ping_time", "id", "nLocalHostNonce", "m_greatest_common_version",
    "m_recv_flood_size", "vRecvMsg", "m_msg_process_queue_mutex", "m_msg_process_queue",
    "m_msg_process_queue_size", "m_addr_local", "m_addr_local_mutex", "mapSendBytesPerMsgType",
    "mapRecvBytesPerMsgType", "m_i2p_sam_session",
]  # fmt: skip

#: Upstream's CNode member functions.
CNODE_METHODS = [
    "HasPermission", "MarkReceivedMsgsForProcessing", "PollMessage", "AccountForSentBytes",
    "IsOutboundOrBlockRelayConn", "IsFullOutboundConn", "IsManualConn",
    "IsManualOrFullOutboundConn", "IsBlockOnlyConn", "IsFeelerConn", "IsAddrFetchConn",
    "IsInboundConn", "ExpectServicesFromConn", "ConnectedThroughNetwork",
    "IsConnectedThroughPrivacyNet", "GetId", "GetLocalNonce", "GetRefCount", "ReceiveMsgBytes",
    "SetCommonVersion", "GetCommonVersion", "GetAddrLocal", "SetAddrLocal", "AddRef", "Release",
    "CloseSocketDisconnect", "CopyStats", "ConnectionTypeAsString", "LogIP", "DisconnectMsg",
    "PongReceived",
]  # fmt: skip

#: Upstream's public CConnman member functions (GetAddressesUnsafe is v30.0's name for the
#: uncached GetAddresses overload).
CCONNMAN_PUBLIC_METHODS = [
    "Init", "Start", "StopThreads", "StopNodes", "Stop", "Interrupt", "GetNetworkActive",
    "GetUseAddrmanOutgoing", "SetNetworkActive", "OpenNetworkConnection", "CheckIncomingNonce",
    "ASMapHealthCheck", "GetNodesMutex", "ForNode", "PushMessage", "ForEachNode", "GetAddresses",
    "GetAddressesUnsafe", "SetTryNewOutboundPeer", "GetTryNewOutboundPeer",
    "StartExtraBlockRelayPeers", "GetFullOutboundConnCount", "GetExtraFullOutboundCount",
    "GetExtraBlockRelayCount", "AddNode", "RemoveAddedNode", "AddedNodesContain",
    "GetAddedNodeInfo", "AddConnection", "GetNodeCount", "getNetLocalAddresses", "GetMappedAS",
    "GetNodeStats", "DisconnectNode", "GetLocalServices", "AddLocalServices",
    "RemoveLocalServices", "GetMaxOutboundTarget", "GetMaxOutboundTimeframe",
    "OutboundTargetReached", "GetOutboundTargetBytesLeft", "GetMaxOutboundTimeLeftInCycle",
    "GetTotalBytesRecv", "GetTotalBytesSent", "GetDeterministicRandomizer", "WakeMessageHandler",
    "ShouldRunInactivityChecks", "MultipleManualOrFullOutboundConns",
]  # fmt: skip

#: Upstream members the port does not carry (none today).
CENSUS_ALLOWED_ABSENT: set[str] = set()


def test_cnode_has_upstreams_members_under_upstreams_names() -> None:
    assert len(CNODE_MEMBERS) == 52
    present = [m for m in CNODE_MEMBERS if m in CNode.__slots__]
    absent = set(CNODE_MEMBERS) - set(present)
    assert len(present) >= 0.95 * len(CNODE_MEMBERS)
    assert absent <= CENSUS_ALLOWED_ABSENT
    # Declaration order is upstream's.
    assert [m for m in CNode.__slots__ if m in CNODE_MEMBERS] == CNODE_MEMBERS


def test_cnode_and_cconnman_have_upstreams_methods() -> None:
    absent = [m for m in CNODE_METHODS if not callable(getattr(CNode, m, None))]
    absent += [m for m in CCONNMAN_PUBLIC_METHODS if not callable(getattr(CConnman, m, None))]
    assert len(absent) <= 0.05 * (len(CNODE_METHODS) + len(CCONNMAN_PUBLIC_METHODS))
    assert set(absent) <= CENSUS_ALLOWED_ABSENT


def test_cnode_slots_reject_unknown_attributes() -> None:
    node = make_node(0)
    with pytest.raises(AttributeError):
        node.fDisconnected = True  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("conn_type", "expected"),
    [
        (ConnectionType.INBOUND, (False, False, False, False, False, False, True, False)),
        (ConnectionType.OUTBOUND_FULL_RELAY, (True, True, False, True, False, False, False, True)),
        (ConnectionType.MANUAL, (False, False, True, True, False, False, False, False)),
        (ConnectionType.FEELER, (False, False, False, False, False, True, False, False)),
        (ConnectionType.BLOCK_RELAY, (True, False, False, False, True, False, False, True)),
        (ConnectionType.ADDR_FETCH, (False, False, False, False, False, False, False, True)),
    ],
)
def test_cnode_connection_type_predicates_match_upstreams_switches(
    conn_type: ConnectionType, expected: tuple[bool, ...]
) -> None:
    node = make_node(0, conn_type=conn_type)
    got = (
        node.IsOutboundOrBlockRelayConn(),
        node.IsFullOutboundConn(),
        node.IsManualConn(),
        node.IsManualOrFullOutboundConn(),
        node.IsBlockOnlyConn(),
        node.IsFeelerConn(),
        node.IsInboundConn(),
        node.ExpectServicesFromConn(),
    )
    assert got == expected
    assert node.IsAddrFetchConn() == (conn_type == ConnectionType.ADDR_FETCH)


def test_cnode_construction_seeds_receive_counters_and_logs(debug_log: list[str]) -> None:
    node = make_node(4)
    assert node.m_addr_name == "1.2.3.4:8333"
    assert node.m_dest == ""
    assert node.m_connected == T0
    assert node.GetCommonVersion() == 209
    assert node.m_min_ping_time == (1 << 63) - 1
    assert list(node.mapRecvBytesPerMsgType) == [*ALL_NET_MESSAGE_TYPES, NET_MESSAGE_TYPE_OTHER]
    assert set(node.mapRecvBytesPerMsgType.values()) == {0}
    assert node.mapSendBytesPerMsgType == {}
    assert logged(debug_log, "[net] Added connection peer=4")
    assert node.m_transport.GetInfo().transport_type == TransportProtocolType.V1


def test_receive_msg_bytes_accounts_per_message_type() -> None:
    node = make_node(0)
    unknown = REGTEST_MAGIC + b"bogus" + bytes(7) + bytes(4) + bytes.fromhex("5df6e0e2")
    bad_checksum = bytearray(ping_frame())
    bad_checksum[20] ^= 1
    ok, complete = node.ReceiveMsgBytes(ping_frame() + unknown + bytes(bad_checksum))
    assert (ok, complete) == (True, True)
    assert node.nRecvBytes == 32 + 24 + 32
    assert node.m_last_recv == T0
    assert node.mapRecvBytesPerMsgType["ping"] == 32
    # Unknown types and rejected messages both count as *other*.
    assert node.mapRecvBytesPerMsgType[NET_MESSAGE_TYPE_OTHER] == 24 + 32
    assert [m.m_type for m in node.vRecvMsg] == ["ping", "bogus"]


def test_receive_msg_bytes_reports_disconnect_on_wrong_magic() -> None:
    node = make_node(0)
    ok, complete = node.ReceiveMsgBytes(bytes(24))
    assert (ok, complete) == (False, False)


def test_poll_message_hands_out_one_message_at_a_time() -> None:
    node = make_node(0)
    node.ReceiveMsgBytes(ping_frame(1) + ping_frame(2))
    assert node.PollMessage() is None  # not yet marked for processing
    node.MarkReceivedMsgsForProcessing()
    assert not node.vRecvMsg
    first = node.PollMessage()
    assert first is not None and first[1] is True and first[0].m_recv.read_u64() == 1
    second = node.PollMessage()
    assert second is not None and second[1] is False and second[0].m_recv.read_u64() == 2
    assert node.PollMessage() is None
    assert node.m_msg_process_queue_size == 0


def test_receive_flood_size_pauses_and_resumes_receiving() -> None:
    # A CNetMessage with an 8-byte payload uses 80 + 32 + MallocUsage(8) = 144 bytes.
    node = make_node(0, opts=CNodeOptions(recv_flood_size=288))
    node.ReceiveMsgBytes(ping_frame(1) + ping_frame(2))
    node.MarkReceivedMsgsForProcessing()
    assert node.m_msg_process_queue_size == 288
    assert node.fPauseRecv is False  # not over the limit yet
    node.ReceiveMsgBytes(ping_frame(3))
    node.MarkReceivedMsgsForProcessing()
    assert node.m_msg_process_queue_size == 432
    assert node.fPauseRecv is True
    node.PollMessage()
    assert node.fPauseRecv is False


def test_paused_receive_is_not_polled_for_reading() -> None:
    connman = make_connman(RecordingMsgProc())
    sock = DynSock()
    node = make_node(0, sock=sock)
    node.fPauseRecv = True
    assert connman.GenerateWaitSockets([node]) == {}
    node.fPauseRecv = False
    events = connman.GenerateWaitSockets([node])
    assert events[sock].requested == SockEvent.RECV


def test_pong_received_keeps_the_minimum() -> None:
    node = make_node(0)
    node.PongReceived(500)
    node.PongReceived(900)
    assert (node.m_last_ping_time, node.m_min_ping_time) == (900, 500)


def test_set_addr_local_only_takes_the_first_address() -> None:
    node = make_node(0)
    node.SetAddrLocal(LookupNumeric("8.8.8.8:1"))
    node.SetAddrLocal(LookupNumeric("9.9.9.9:2"))
    assert node.GetAddrLocal().ToStringAddrPort() == "8.8.8.8:1"


def test_disconnect_msg_and_log_ip() -> None:
    node = make_node(12)
    assert node.DisconnectMsg(False) == "disconnecting peer=12"
    assert node.DisconnectMsg(True) == "disconnecting peer=12 peeraddr=1.2.3.4:8333"


def test_close_socket_disconnect_drops_the_socket(debug_log: list[str]) -> None:
    sock = DynSock()
    node = make_node(2, sock=sock)
    node.CloseSocketDisconnect()
    assert node.fDisconnect and node.m_sock is None
    assert logged(debug_log, "[net] Resetting socket for peer=2")


# ------------------------------------------------------------------------------------------------
# CConnman: sending


def test_push_message_logs_queues_and_pauses_over_the_send_buffer(debug_log: list[str]) -> None:
    connman = make_connman(RecordingMsgProc())
    connman.nSendBufferMaxSize = 1000
    node = make_node(0)  # no socket: everything stays queued
    connman.PushMessage(node, CSerializedNetMsg(bytes(8), NetMsgType.PING))
    assert logged(debug_log, "[net] sending ping (8 bytes) peer=0")
    # The optimistic send moved the message into the transport (56 + MallocUsage(8) = 88 bytes)
    # before finding no socket.
    assert node.m_send_memusage == 0 and not node.vSendMsg
    assert node.m_transport.GetSendMemoryUsage() == 88
    assert node.fPauseSend is False
    connman.PushMessage(node, CSerializedNetMsg(bytes(900), NetMsgType.TX))
    assert node.m_send_memusage == 56 + 928  # 984 + 88 > 1000
    assert node.fPauseSend is True
    assert [m.m_type for m in node.vSendMsg] == ["tx"]
    assert connman.GetTotalBytesSent() == 0


def test_push_message_writes_optimistically_to_the_socket() -> None:
    connman = make_connman(RecordingMsgProc())
    connman.nSendBufferMaxSize = 1000
    sock = DynSock()
    node = make_node(0, sock=sock)
    connman.PushMessage(node, CSerializedNetMsg(ser_u64(PING_NONCE), NetMsgType.PING))
    assert sock.m_pipes.send.GetBytes(1000) == ping_frame()
    assert node.nSendBytes == 32 and connman.GetTotalBytesSent() == 32
    assert node.mapSendBytesPerMsgType == {"ping": 32}
    assert node.m_last_send == T0
    assert not node.vSendMsg and node.m_send_memusage == 0
    assert node.fPauseSend is False


def test_socket_send_data_stops_at_a_partial_send_and_resumes() -> None:
    from common.sock import SockFault, SockOp

    connman = make_connman(RecordingMsgProc())
    connman.nSendBufferMaxSize = 10_000
    sock = DynSock()
    node = make_node(0, sock=sock)
    sock.inject_fault(SockOp.SEND, SockFault.partial(5))
    connman.PushMessage(node, CSerializedNetMsg(ser_u64(1), NetMsgType.PING))
    connman.PushMessage(node, CSerializedNetMsg(ser_u64(2), NetMsgType.PING))
    assert node.nSendBytes == 5
    with node.cs_vSend:
        sent, data_left = connman.SocketSendData(node)
    assert (sent, data_left) == (59, False)
    assert decode_frames(sock.m_pipes.send.GetBytes(1000) or b"") == [
        ("ping", ser_u64(1)),
        ("ping", ser_u64(2)),
    ]


def test_send_error_closes_the_socket(debug_log: list[str]) -> None:
    from common.sock import SockFault, SockOp

    connman = make_connman(RecordingMsgProc())
    sock = DynSock()
    node = make_node(0, sock=sock)
    sock.inject_fault(SockOp.SEND, SockFault.reset())
    connman.PushMessage(node, CSerializedNetMsg(b"", NetMsgType.VERACK))
    assert node.fDisconnect and node.m_sock is None
    assert any("[net] socket send error, disconnecting peer=0: " in line for line in debug_log)


def test_socket_handler_sends_before_receiving() -> None:
    connman = make_connman(RecordingMsgProc())
    connman.nSendBufferMaxSize = 10_000
    connman.nReceiveFloodSize = 10_000
    sock = DynSock()
    node = make_node(0, sock=sock)
    connman.AddTestNode(node)
    node.vSendMsg.append(CSerializedNetMsg(b"", NetMsgType.VERACK))
    node.m_send_memusage = node.vSendMsg[0].GetMemoryUsage()
    sock.m_pipes.recv.PushBytes(ping_frame())
    connman.SocketHandler()
    assert decode_frames(sock.m_pipes.send.GetBytes(1000) or b"") == [("verack", b"")]
    assert connman.GetTotalBytesRecv() == 32
    polled = node.PollMessage()
    assert polled is not None and polled[0].m_type == "ping"
    assert node.GetRefCount() == 0  # the snapshot's references are released


def test_socket_handler_disconnects_a_peer_sending_garbage(debug_log: list[str]) -> None:
    connman = make_connman(RecordingMsgProc())
    sock = DynSock()
    node = make_node(0, sock=sock)
    connman.AddTestNode(node)
    sock.m_pipes.recv.PushBytes(bytes(24))
    connman.SocketHandler()
    assert node.fDisconnect and node.m_sock is None
    assert logged(debug_log, "[net] receiving message bytes failed, disconnecting peer=0")


def test_socket_handler_notices_an_orderly_close(debug_log: list[str]) -> None:
    connman = make_connman(RecordingMsgProc())
    sock = DynSock()
    node = make_node(0, sock=sock)
    connman.AddTestNode(node)
    sock.m_pipes.recv.Eof()
    connman.SocketHandler()
    assert node.fDisconnect
    assert logged(debug_log, "[net] socket closed, disconnecting peer=0")


# ------------------------------------------------------------------------------------------------
# CConnman: accepting


def accepting_connman(max_connections: int, banman: BanMan | None = None) -> ConnmanTestMsg:
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    connman.Init(
        CConnman.Options(
            m_max_automatic_connections=max_connections,
            m_msgproc=msgproc,
            m_banman=banman,
            nReceiveFloodSize=5_000_000,
            nSendBufferMaxSize=1_000_000,
        )
    )
    return connman


def accept_from(connman: ConnmanTestMsg, addr: str) -> None:
    connman.CreateNodeFromAcceptedSocket(
        DynSock(), NetPermissionFlags.None_, LookupNumeric("127.0.0.1:18444"), LookupNumeric(addr)
    )


def test_init_derives_connection_limits_from_max_connections() -> None:
    connman = accepting_connman(125)
    assert (
        connman.m_max_outbound_full_relay,
        connman.m_max_outbound_block_relay,
        connman.m_max_automatic_outbound,
        connman.m_max_inbound,
    ) == (8, 2, 11, 114)
    small = accepting_connman(9)
    assert (small.m_max_outbound_full_relay, small.m_max_outbound_block_relay) == (8, 1)
    assert (small.m_max_automatic_outbound, small.m_max_inbound) == (10, 0)


def test_accept_connection_takes_inbound_from_the_listening_socket(debug_log: list[str]) -> None:
    connman = accepting_connman(125)
    listener = DynSock()
    listener.m_accept_sockets.Push(DynSock())
    connman.vhListenSocket.append(CConnman.ListenSocket(listener, NetPermissionFlags.NoBan))
    events = connman.GenerateWaitSockets([])
    assert listener.WaitMany(0, events)
    connman.SocketHandlerListening(events)
    (node,) = connman.TestNodes()
    assert node.IsInboundConn() and node.addr.ToStringAddrPort() == "5.5.5.5:6789"
    assert node.HasPermission(NetPermissionFlags.NoBan)
    assert node.GetRefCount() == 1
    assert logged(debug_log, "[net] connection from 5.5.5.5:6789 accepted")
    msgproc = connman.m_msgproc
    assert isinstance(msgproc, RecordingMsgProc)
    assert msgproc.calls == [("InitializeNode", node.GetId())]
    assert connman.GetNodeCount(ConnectionDirection.In) == 1


def test_inbound_limit_drops_when_no_peer_can_be_evicted(debug_log: list[str]) -> None:
    connman = accepting_connman(12)  # one inbound slot
    accept_from(connman, "20.0.0.1:1")
    accept_from(connman, "21.0.0.1:1")
    assert len(connman.TestNodes()) == 1
    assert logged(
        debug_log, "[net] failed to find an eviction candidate - connection dropped (full)"
    )


def test_inbound_limit_evicts_a_peer_to_make_room(debug_log: list[str]) -> None:
    connman = accepting_connman(41)  # 30 inbound slots
    for i in range(30):
        SetMockTime(T0 + i)
        accept_from(connman, f"{20 + i % 3}.0.0.{i}:1")
    assert len(connman.TestNodes()) == 30
    accept_from(connman, "99.0.0.1:1")
    nodes = connman.TestNodes()
    assert len(nodes) == 31
    evicted = [n for n in nodes if n.fDisconnect]
    assert len(evicted) == 1
    assert logged(
        debug_log,
        f"[net] selected inbound connection for eviction, disconnecting peer={evicted[0].GetId()}",
    )


def test_banned_and_discouraged_peers_are_refused(debug_log: list[str]) -> None:
    banman = BanMan(None)
    banman.Ban(LookupSubNet("20.0.0.0/8"), 3600)
    banman.Discourage(LookupNumeric("21.0.0.1"))
    connman = accepting_connman(12, banman)  # one inbound slot: discouraged ones are refused
    accept_from(connman, "20.0.0.1:1")
    accept_from(connman, "21.0.0.1:1")
    assert connman.TestNodes() == []
    assert logged(debug_log, "[net] connection from 20.0.0.1:1 dropped (banned)")
    assert logged(debug_log, "[net] connection from 21.0.0.1:1 dropped (discouraged)")
    # With room to spare, a discouraged peer gets in, marked as preferred for eviction.
    roomy = accepting_connman(20, banman)
    accept_from(roomy, "21.0.0.1:1")
    (node,) = roomy.TestNodes()
    assert node.m_prefer_evict


def test_whitelisted_range_grants_implicit_permissions() -> None:
    from common.net_permissions import NetWhitelistPermissions

    connman = accepting_connman(20)
    parsed = NetWhitelistPermissions.TryParse("20.0.0.0/8")
    assert not isinstance(parsed, str)
    connman.vWhitelistedRangeIncoming = [parsed[0]]
    accept_from(connman, "20.0.0.1:1")
    (node,) = connman.TestNodes()
    expected = NetPermissionFlags.Relay | NetPermissionFlags.Mempool | NetPermissionFlags.NoBan
    assert node.m_permission_flags == expected


def test_no_inbound_while_the_network_is_inactive(debug_log: list[str]) -> None:
    connman = accepting_connman(20)
    connman.SetNetworkActive(False)
    accept_from(connman, "20.0.0.1:1")
    assert connman.TestNodes() == []
    assert logged(
        debug_log, "[net] connection from 20.0.0.1:1 dropped: not accepting new connections"
    )


# ------------------------------------------------------------------------------------------------
# CConnman: inactivity, disconnection, deletion


def test_inactivity_check_waits_for_the_peer_connect_timeout(debug_log: list[str]) -> None:
    connman = make_connman(RecordingMsgProc())
    node = make_node(0)
    SetMockTime(T0 + 60)
    assert not connman.InactivityCheck(node)
    SetMockTime(T0 + 61)
    assert connman.InactivityCheck(node)
    assert logged(
        debug_log,
        "[net] socket no message in first 60 seconds, never received from peer, never sent to "
        "peer, disconnecting peer=0",
    )


def test_inactivity_check_timeouts_after_twenty_minutes(debug_log: list[str]) -> None:
    connman = make_connman(RecordingMsgProc())
    node = make_node(0)
    node.m_last_send = node.m_last_recv = T0 + 100
    node.fSuccessfullyConnected = True
    SetMockTime(T0 + 100 + TIMEOUT_INTERVAL)
    assert not connman.InactivityCheck(node)
    SetMockTime(T0 + 101 + TIMEOUT_INTERVAL)
    assert connman.InactivityCheck(node)
    assert logged(debug_log, "[net] socket sending timeout: 1201s, disconnecting peer=0")
    node.m_last_send = T0 + 101 + TIMEOUT_INTERVAL
    assert connman.InactivityCheck(node)
    assert logged(debug_log, "[net] socket receive timeout: 1201s, disconnecting peer=0")


def test_inactivity_check_wants_the_handshake_done(debug_log: list[str]) -> None:
    connman = make_connman(RecordingMsgProc())
    node = make_node(0)
    node.m_last_send = node.m_last_recv = T0 + 61
    SetMockTime(T0 + 61)
    assert connman.InactivityCheck(node)
    assert logged(debug_log, "[net] version handshake timeout, disconnecting peer=0")


def test_socket_handler_disconnects_an_inactive_peer() -> None:
    connman = make_connman(RecordingMsgProc())
    node = make_node(0, sock=DynSock())
    connman.AddTestNode(node)
    SetMockTime(T0 + 61)
    connman.SocketHandlerConnected(connman.TestNodes(), {})
    assert node.fDisconnect


def test_disconnect_node_by_name_subnet_address_and_id(debug_log: list[str]) -> None:
    connman = make_connman(RecordingMsgProc())
    nodes = [
        make_node(0, "20.0.0.1:1"),
        make_node(1, "20.0.0.2:1"),
        make_node(2, "30.0.0.1:1", ConnectionType.MANUAL, name="30.0.0.1:1"),
        make_node(3, "40.0.0.1:1"),
    ]
    for node in nodes:
        connman.AddTestNode(node)
    assert connman.DisconnectNode("30.0.0.1:1")
    assert logged(debug_log, "[net] disconnect by address match, disconnecting peer=2")
    assert not connman.DisconnectNode("30.0.0.9:1")
    assert connman.DisconnectNode(LookupSubNet("20.0.0.0/8"))
    assert logged(debug_log, "[net] disconnect by subnet match, disconnecting peer=1")
    assert not connman.DisconnectNode(LookupSubNet("50.0.0.0/8"))
    assert [n.fDisconnect for n in nodes] == [True, True, True, False]
    nodes[3].fDisconnect = False
    addr = LookupHost("40.0.0.1", False)
    assert addr is not None
    assert connman.DisconnectNode(addr)
    assert nodes[3].fDisconnect
    nodes[3].fDisconnect = False
    assert connman.DisconnectNode(NodeId(3))
    assert logged(debug_log, "[net] disconnect by id, disconnecting peer=3")
    assert not connman.DisconnectNode(NodeId(7))


def test_disconnect_nodes_finalizes_once_references_are_gone() -> None:
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    node = make_node(0, conn_type=ConnectionType.OUTBOUND_FULL_RELAY)
    node.AddRef()  # CConnman's own reference (ConnectNode / CreateNodeFromAcceptedSocket)
    connman.AddTestNode(node)
    assert connman.m_network_conn_counts[Network.NET_IPV4] == 1
    with CConnman.NodesSnapshot(connman, shuffle=False) as snap:
        assert snap.Nodes() == [node] and node.GetRefCount() == 2
        node.fDisconnect = True
        connman.DisconnectNodes()
        # Out of m_nodes, but another thread still holds it: not deleted yet.
        assert connman.TestNodes() == [] and connman.m_nodes_disconnected == [node]
        assert node.GetRefCount() == 1 and msgproc.finalized == []
    assert node.GetRefCount() == 0
    connman.DisconnectNodes()
    assert connman.m_nodes_disconnected == [] and msgproc.finalized == [node]
    assert connman.m_network_conn_counts[Network.NET_IPV4] == 0


def test_inactive_network_disconnects_everyone(debug_log: list[str]) -> None:
    connman = make_connman(RecordingMsgProc())
    node = make_node(0).AddRef()
    connman.AddTestNode(node)
    connman.SetNetworkActive(False)
    connman.DisconnectNodes()
    assert connman.TestNodes() == []
    assert logged(debug_log, "[net] Network not active, disconnecting peer=0")


# ------------------------------------------------------------------------------------------------
# CConnman: queries


def test_for_node_and_for_each_node_see_only_fully_connected_nodes() -> None:
    connman = make_connman(RecordingMsgProc())
    a, b, c = make_node(0), make_node(1), make_node(2)
    a.fSuccessfullyConnected = b.fSuccessfullyConnected = True
    b.fDisconnect = True
    for node in (a, b, c):
        connman.AddTestNode(node)
    seen: list[NodeId] = []
    connman.ForEachNode(lambda n: seen.append(n.GetId()))
    assert seen == [NodeId(0)]
    assert connman.ForNode(NodeId(0), lambda n: True)
    assert not connman.ForNode(NodeId(1), lambda n: True)
    assert not connman.ForNode(NodeId(2), lambda n: True)
    assert not connman.ForNode(NodeId(9), lambda n: True)


def test_get_node_stats_copies_the_nodes_state() -> None:
    connman = make_connman(RecordingMsgProc())
    node = make_node(3, "20.1.2.3:8333", ConnectionType.OUTBOUND_FULL_RELAY)
    connman.AddTestNode(node)
    node.nVersion = 70016
    node.cleanSubVer = "/Satoshi:30.0.0/"
    node.PongReceived(1500)
    node.m_last_tx_time = T0 - 5
    node.ReceiveMsgBytes(ping_frame())
    node.SetAddrLocal(LookupNumeric("8.8.8.8:18444"))
    vstats: list[CNodeStats] = [CNodeStats()]
    connman.GetNodeStats(vstats)
    (stats,) = vstats
    assert stats.nodeid == 3
    assert stats.m_addr_name == "20.1.2.3:8333"
    assert stats.addr.ToStringAddrPort() == "20.1.2.3:8333"
    assert stats.addrBind.ToStringAddrPort() == "127.0.0.1:18444"
    assert stats.addrLocal == "8.8.8.8:18444"
    assert stats.m_network == Network.NET_IPV4
    assert (stats.nVersion, stats.cleanSubVer, stats.fInbound) == (70016, "/Satoshi:30.0.0/", False)
    assert (stats.m_last_ping_time, stats.m_min_ping_time) == (1500, 1500)
    assert (stats.m_last_recv, stats.m_last_send, stats.m_last_tx_time) == (T0, 0, T0 - 5)
    assert stats.m_connected == T0
    assert (stats.nRecvBytes, stats.mapRecvBytesPerMsgType["ping"]) == (32, 32)
    assert list(stats.mapRecvBytesPerMsgType) == sorted(stats.mapRecvBytesPerMsgType)
    assert stats.m_conn_type == ConnectionType.OUTBOUND_FULL_RELAY
    assert stats.m_transport_type == TransportProtocolType.V1 and stats.m_session_id == ""
    assert stats.m_mapped_as == 0


def test_check_incoming_nonce_spots_our_own_outbound_nonce() -> None:
    connman = make_connman(RecordingMsgProc())
    outbound = make_node(0, conn_type=ConnectionType.OUTBOUND_FULL_RELAY)
    connman.AddTestNode(outbound)
    assert not connman.CheckIncomingNonce(outbound.GetLocalNonce())
    assert connman.CheckIncomingNonce(outbound.GetLocalNonce() + 1)
    outbound.fSuccessfullyConnected = True
    assert connman.CheckIncomingNonce(outbound.GetLocalNonce())


def test_keyed_netgroup_uses_the_netgroup_randomizer() -> None:
    connman = make_connman()
    addr = LookupHost("20.1.2.3", False)
    assert addr is not None
    group = connman.m_netgroupman.GetGroup(addr)
    expected = CSipHasher(0x1337, 0x1337).Write(ser_u64(RANDOMIZER_ID_NETGROUP)).Write(group)
    assert connman.CalculateKeyedNetGroup(addr) == expected.Finalize()


def test_extra_outbound_counts_only_handshaken_live_peers() -> None:
    connman = accepting_connman(125)
    for i in range(10):
        node = make_node(i, f"{20 + i}.0.0.1:1", ConnectionType.OUTBOUND_FULL_RELAY)
        node.fSuccessfullyConnected = i < 9
        connman.AddTestNode(node)
    for i in range(3):
        node = make_node(10 + i, f"{40 + i}.0.0.1:1", ConnectionType.BLOCK_RELAY)
        node.fSuccessfullyConnected = True
        node.fDisconnect = i == 0
        connman.AddTestNode(node)
    assert connman.GetFullOutboundConnCount() == 9
    assert connman.GetExtraFullOutboundCount() == 1
    assert connman.GetExtraBlockRelayCount() == 0
    with connman.GetNodesMutex():
        assert connman.MultipleManualOrFullOutboundConns(Network.NET_IPV4)
        assert not connman.MultipleManualOrFullOutboundConns(Network.NET_IPV6)


def test_add_node_rejects_duplicates_and_reports_connections() -> None:
    connman = make_connman(RecordingMsgProc())
    assert connman.AddNode(AddedNodeParams("20.0.0.1", False))
    assert not connman.AddNode(AddedNodeParams("20.0.0.1", True))
    # Same address with the default (regtest) port written out.
    assert not connman.AddNode(AddedNodeParams("20.0.0.1:18444", False))
    assert connman.AddNode(AddedNodeParams("20.0.0.1:8333", False))
    assert connman.AddNode(AddedNodeParams("example.invalid", False))
    connman.AddTestNode(make_node(0, "20.0.0.1:18444", ConnectionType.MANUAL))
    info = connman.GetAddedNodeInfo(include_connected=True)
    assert [(i.m_params.m_added_node, i.fConnected) for i in info] == [
        ("20.0.0.1", True),
        ("20.0.0.1:8333", False),
        ("example.invalid", False),
    ]
    assert info[0].resolvedAddress.ToStringAddrPort() == "20.0.0.1:18444" and not info[0].fInbound
    not_connected = connman.GetAddedNodeInfo(include_connected=False)
    assert [i.m_params.m_added_node for i in not_connected] == ["20.0.0.1:8333", "example.invalid"]
    assert connman.AddedNodesContain(CAddress(LookupNumeric("20.0.0.1:8333"), NODE_NONE))
    assert connman.AddedNodesContain(CAddress(LookupNumeric("20.0.0.1:1"), NODE_NONE))
    assert connman.RemoveAddedNode("20.0.0.1")
    assert not connman.RemoveAddedNode("20.0.0.1")
    assert [i.m_params.m_added_node for i in connman.GetAddedNodeInfo(True)] == [
        "20.0.0.1:8333",
        "example.invalid",
    ]


def test_get_addresses_caches_per_network_and_local_socket() -> None:
    connman = make_connman(RecordingMsgProc())
    source = LookupHost("20.0.0.1", False)
    assert source is not None
    addrs = [
        CAddress(LookupNumeric(f"{30 + i}.0.0.1:8333"), NODE_NETWORK | NODE_WITNESS, T0 - 100)
        for i in range(5)
    ]
    connman.addrman.Add(addrs, source)
    requestor = make_node(0)
    first = connman.GetAddresses(requestor, 0, 0)
    assert len(first) == 5
    connman.addrman.Add([CAddress(LookupNumeric("50.0.0.1:8333"), NODE_NETWORK, T0 - 100)], source)
    assert connman.GetAddresses(requestor, 0, 0) == first  # served from the cache
    assert len(connman.GetAddressesUnsafe(0, 0, None)) == 6
    SetMockTime(T0 + 27 * 3600)  # past the longest cache lifetime
    assert len(connman.GetAddresses(requestor, 0, 0)) == 6


def test_outbound_target_accounting() -> None:
    connman = make_connman(RecordingMsgProc())
    assert not connman.OutboundTargetReached(False)
    assert connman.GetOutboundTargetBytesLeft() == 0
    assert connman.GetMaxOutboundTimeLeftInCycle() == 0
    connman.Init(CConnman.Options(nMaxOutboundLimit=10_000_000))
    assert connman.GetMaxOutboundTarget() == 10_000_000
    assert connman.GetMaxOutboundTimeframe() == 86400
    assert connman.GetMaxOutboundTimeLeftInCycle() == 86400
    connman.RecordBytesSent(4_000_000)
    assert connman.nMaxOutboundCycleStartTime == T0
    assert connman.GetOutboundTargetBytesLeft() == 6_000_000
    assert not connman.OutboundTargetReached(False)
    # A day's worth of one block per 10 minutes does not fit: historical blocks are refused.
    assert connman.OutboundTargetReached(True)
    SetMockTime(T0 + 86400 - 600)
    assert connman.GetMaxOutboundTimeLeftInCycle() == 600
    assert not connman.OutboundTargetReached(True)
    connman.RecordBytesSent(6_000_000)
    assert connman.OutboundTargetReached(False) and connman.GetOutboundTargetBytesLeft() == 0
    SetMockTime(T0 + 86401)
    connman.RecordBytesSent(1)  # a new cycle starts
    assert connman.GetOutboundTargetBytesLeft() == 9_999_999
    assert connman.GetTotalBytesSent() == 10_000_001


def test_local_addresses_and_services() -> None:
    net.ClearLocal()
    try:
        service = LookupNumeric("20.0.0.1:18444")
        assert net.AddLocal(service, net.LOCAL_MANUAL)
        assert not net.AddLocal(LookupNumeric("127.0.0.1:1"), net.LOCAL_MANUAL)  # unroutable
        assert net.IsLocal(LookupNumeric("20.0.0.1:1"))
        assert net.SeenLocal(service)
        connman = make_connman()
        local = connman.getNetLocalAddresses()
        assert [(k.ToStringAddr(), v.nScore, v.nPort) for k, v in local.items()] == [
            ("20.0.0.1", net.LOCAL_MANUAL + 1, 18444)
        ]
        peer = make_node(0, "30.0.0.1:1")
        assert net.GetLocalAddress(peer).ToStringAddrPort() == "20.0.0.1:18444"
        advertised = net.GetLocalAddrForPeer(peer)
        assert advertised is not None and advertised.ToStringAddrPort() == "20.0.0.1:18444"
        net.RemoveLocal(service)
        assert not net.IsLocal(service)
        assert net.GetLocalAddrForPeer(peer) is None
        connman.AddLocalServices(ServiceFlags(NODE_NETWORK | NODE_WITNESS))
        connman.RemoveLocalServices(NODE_NETWORK)
        assert connman.GetLocalServices() == NODE_WITNESS
    finally:
        net.ClearLocal()


def test_anchors_are_dumped_from_block_relay_peers_on_stop(tmp_path: Path) -> None:
    net.gArgs.ForceSetArg("-datadir", str(tmp_path))
    net.gArgs.ClearPathCache()
    netdir = tmp_path / "regtest"  # -datadir's network directory
    netdir.mkdir()
    try:
        msgproc = RecordingMsgProc()
        connman = make_connman(msgproc)
        connman.fAddressesInitialized = True
        nodes = [
            make_node(0, "20.0.0.1:18444", ConnectionType.BLOCK_RELAY),
            make_node(1, "21.0.0.1:18444", ConnectionType.OUTBOUND_FULL_RELAY),
            make_node(2, "22.0.0.1:18444", ConnectionType.BLOCK_RELAY),
            make_node(3, "23.0.0.1:18444", ConnectionType.BLOCK_RELAY),
        ]
        for node in nodes:
            connman.AddTestNode(node)
        connman.StopNodes()
        assert connman.TestNodes() == []
        assert msgproc.finalized == nodes
        assert (netdir / "peers.dat").exists()
        anchors = ReadAnchors(netdir / "anchors.dat")
        assert [a.ToStringAddrPort() for a in anchors] == ["20.0.0.1:18444", "22.0.0.1:18444"]
        assert not (netdir / "anchors.dat").exists()  # read once, then deleted
    finally:
        net.gArgs.ClearArgs()


def test_handshake_drives_version_and_verack_through_the_interface() -> None:
    msgproc = RecordingMsgProc()
    connman = make_connman(msgproc)
    node = make_node(0, conn_type=ConnectionType.OUTBOUND_FULL_RELAY)
    connman.AddTestNode(node)
    connman.Handshake(
        node,
        successfully_connected=True,
        remote_services=ServiceFlags(NODE_NETWORK | NODE_WITNESS),
        local_services=ServiceFlags(NODE_NETWORK | NODE_WITNESS),
        version=70016,
        relay_txs=True,
    )
    assert node.fSuccessfullyConnected and node.nVersion == 70016
    assert msgproc.types_from(NodeId(0)) == ["version", "verack"]
    version_payload = msgproc.received[0].payload
    assert len(version_payload) == 4 + 8 + 8 + 26 + 26 + 8 + 1 + 4 + 1
    assert version_payload[-1] == 1  # relay_txs


def test_flush_send_buffer_returns_what_was_queued() -> None:
    connman = make_connman(RecordingMsgProc())
    connman.nSendBufferMaxSize = 1_000_000
    node = make_node(0)
    connman.PushMessage(node, CSerializedNetMsg(b"", NetMsgType.VERACK))
    connman.PushMessage(node, CSerializedNetMsg(ser_u64(9), NetMsgType.PING))
    assert connman.FlushSendBuffer(node) == [("verack", b""), ("ping", ser_u64(9))]
    assert not node.vSendMsg and node.m_send_memusage == 0
    assert connman.FlushSendBuffer(node) == []
    assert connman.ReceiveMsgFrom(node, CSerializedNetMsg(ser_u64(9), NetMsgType.PONG))
    polled = node.PollMessage()
    assert polled is not None and polled[0].m_type == "pong"


#: Upstream's CConnman::Options fields (net.h, v30.0).
CCONNMAN_OPTIONS_FIELDS = [
    "m_local_services", "m_max_automatic_connections", "uiInterface", "m_msgproc", "m_banman",
    "nSendBufferMaxSize", "nReceiveFloodSize", "nMaxOutboundLimit", "m_peer_connect_timeout",
    "vSeedNodes", "vWhitelistedRangeIncoming", "vWhitelistedRangeOutgoing", "vWhiteBinds",
    "vBinds", "onion_binds", "bind_on_any", "m_use_addrman_outgoing", "m_specified_outgoing",
    "m_added_nodes", "m_i2p_accept_incoming", "whitelist_forcerelay", "whitelist_relay",
]  # fmt: skip


def test_connman_options_have_upstreams_fields_in_order() -> None:
    assert list(CConnman.Options.__slots__) == CCONNMAN_OPTIONS_FIELDS
    options = CConnman.Options()
    assert (options.m_peer_connect_timeout, options.whitelist_relay) == (60, True)
    assert (options.m_use_addrman_outgoing, options.whitelist_forcerelay) == (True, False)


def test_accepted_node_gets_the_localhostnonce_randomizer_nonce() -> None:
    from legacy.net import RANDOMIZER_ID_LOCALHOSTNONCE

    connman = accepting_connman(20)
    accept_from(connman, "20.0.0.1:1")
    accept_from(connman, "20.0.0.2:1")
    for node in connman.TestNodes():
        expected = (
            CSipHasher(0x1337, 0x1337)
            .Write(ser_u64(RANDOMIZER_ID_LOCALHOSTNONCE))
            .Write(ser_u64(node.GetId()))
            .Finalize()
        )
        assert node.GetLocalNonce() == expected
    assert [n.GetId() for n in connman.TestNodes()] == [0, 1]
