"""Drive a CConnman single-threaded, without sockets (src/test/util/net.{h,cpp}: ConnmanTestMsg).

``ConnmanTestMsg`` is upstream's test subclass of CConnman. Tests add CNodes by hand, feed them
wire bytes, run the NetEventsInterface (PeerManager, or a test double) one step at a time, and
read back what a node queued to send. Nothing here starts a thread; the caller must not run
ThreadMessageHandler at the same time (upstream expresses that with g_msgproc_mutex).
"""

from __future__ import annotations

import threading

from common.connection_types import ConnectionType
from common.net_permissions import NetPermissionFlags
from common.netaddress import Network
from common.protocol import (
    NODE_BLOOM,
    NODE_COMPACT_FILTERS,
    NODE_NETWORK,
    NODE_NETWORK_LIMITED,
    NODE_NONE,
    NODE_P2P_V2,
    NODE_WITNESS,
    CAddress,
    CMessageHeader,
    NetMsgType,
    ServiceFlags,
)
from common.serialize import (
    DataStream,
    SerializationError,
    ser_bool,
    ser_i32,
    ser_i64,
    ser_string,
    ser_u64,
)

from .interfaces import (
    CSerializedNetMsg,
    NetEventsInterface,
)
from .net import (
    CConnman,
    CNode,
    PeerOptionsFor,
)


class ConnmanTestMsg(CConnman):
    """A CConnman whose internals tests may reach into (upstream: ``friend struct
    ConnmanTestMsg``)."""

    __slots__ = ()

    def SetMsgProc(self, msgproc: NetEventsInterface) -> None:
        self.m_msgproc = msgproc

    def SetPeerConnectTimeout(self, timeout: int) -> None:
        """``timeout`` in seconds."""
        self.m_peer_connect_timeout = timeout

    def ResetAddrCache(self) -> None:
        self.m_addr_response_caches = {}

    def ResetMaxOutboundCycle(self) -> None:
        with self.m_total_bytes_sent_mutex:
            self.nMaxOutboundCycleStartTime = 0
            self.nMaxOutboundTotalBytesSentInCycle = 0

    def TestNodes(self) -> list[CNode]:
        with self.m_nodes_mutex:
            return list(self.m_nodes)

    def AddTestNode(self, node: CNode) -> None:
        with self.m_nodes_mutex:
            self.m_nodes.append(node)

            if node.IsManualOrFullOutboundConn():
                self.m_network_conn_counts[node.addr.GetNetwork()] += 1

    def ClearTestNodes(self) -> None:
        """Drop every node without finalizing it (upstream deletes them)."""
        with self.m_nodes_mutex:
            self.m_nodes.clear()

    def Handshake(
        self,
        node: CNode,
        successfully_connected: bool,
        remote_services: ServiceFlags,
        local_services: ServiceFlags,
        version: int,
        relay_txs: bool,
    ) -> None:
        """Take ``node`` through version (and, with ``successfully_connected``, verack) as the
        peer would, through this connman's NetEventsInterface.

        Upstream also checks the negotiated versions on the CNode and PeerManager's per-peer
        stats (relay flag, services). After the split the versions are PeerManager's state too,
        so all of those checks are left to tests of PeerManager: the interface here may be any
        NetEventsInterface."""
        peerman = self.m_msgproc
        assert peerman is not None
        connman = self

        peerman.InitializeNode(node.GetId(), PeerOptionsFor(node), local_services)
        peerman.SendMessages(node.GetId())
        self.FlushSendBuffer(node)  # Drop the version message added by SendMessages.

        msg_version = CSerializedNetMsg(
            data=(
                ser_i32(version)
                + ser_u64(remote_services)
                + ser_i64(0)  # dummy time
                + ser_i64(0)  # ignored service bits
                + bytes(18)  # dummy CService{} (ADDRv1: [::]:0)
                + ser_i64(0)  # ignored service bits
                + bytes(18)  # ignored CService{}
                + ser_u64(1)  # dummy nonce
                + ser_string("")  # dummy subver
                + ser_i32(0)  # dummy starting_height
                + ser_bool(relay_txs)
            ),
            m_type=NetMsgType.VERSION,
        )

        connman.ReceiveMsgFrom(node, msg_version)
        self._SetPauseSend(node, False)
        connman.ProcessMessagesOnce(node)
        peerman.SendMessages(node.GetId())
        self.FlushSendBuffer(node)  # Drop the verack message added by SendMessages.
        if node.fDisconnect:
            return
        if successfully_connected:
            msg_verack = CSerializedNetMsg(data=b"", m_type=NetMsgType.VERACK)
            connman.ReceiveMsgFrom(node, msg_verack)
            self._SetPauseSend(node, False)
            connman.ProcessMessagesOnce(node)
            peerman.SendMessages(node.GetId())
            assert node.fSuccessfullyConnected

    def ProcessMessagesOnce(self, node: CNode) -> bool:
        """One ProcessMessages call for ``node``: whether it has more work."""
        assert self.m_msgproc is not None
        return self.m_msgproc.ProcessMessages(node.GetId(), threading.Event())

    def SendMessagesOnce(self, node: CNode) -> bool:
        """One SendMessages call for ``node`` (upstream's tests call the PeerManager's
        SendMessages directly; a seam here lets them stay the same across the split)."""
        assert self.m_msgproc is not None
        return self.m_msgproc.SendMessages(node.GetId())

    def NodeReceiveMsgBytes(self, node: CNode, msg_bytes: bytes) -> bool:
        """Feed wire bytes to ``node`` as the socket thread would; whether a message completed.
        The bytes must keep the node connected."""
        ok, complete = node.ReceiveMsgBytes(msg_bytes)
        assert ok
        if complete:
            node.MarkReceivedMsgsForProcessing()
        return complete

    def ReceiveMsgFrom(self, node: CNode, ser_msg: CSerializedNetMsg) -> bool:
        """Deliver ``ser_msg`` to ``node`` as if the peer had sent it: serialize it with the
        node's own transport (its send side must be idle) and feed the bytes to its receive
        side. Whether a message completed."""
        queued = node.m_transport.SetMessageToSend(ser_msg)
        assert queued
        complete = False
        while True:
            to_send, _more, _msg_type = node.m_transport.GetBytesToSend(False)
            if len(to_send) == 0:
                break
            data = bytes(to_send)
            complete = self.NodeReceiveMsgBytes(node, data) or complete
            node.m_transport.MarkBytesSent(len(data))
        return complete

    def FlushSendBuffer(self, node: CNode) -> list[tuple[str, bytes]]:
        """Empty what ``node`` has queued to send and return it as (type, payload) frames.

        Upstream throws the queue away; returning it lets tests look at what would have gone
        out. The transport's pending bytes come first, then the queued messages, framed by the
        node's transport exactly as SocketSendData would have sent them."""
        wire = bytearray()
        with node.cs_vSend:
            while True:
                to_send, _more, _msg_type = node.m_transport.GetBytesToSend(False)
                if len(to_send) == 0:
                    if not node.vSendMsg:
                        break
                    queued = node.m_transport.SetMessageToSend(node.vSendMsg.popleft())
                    assert queued
                    continue
                wire += to_send
                node.m_transport.MarkBytesSent(len(to_send))
            node.vSendMsg.clear()
            node.m_send_memusage = 0
        return decode_frames(bytes(wire))

    def AlreadyConnectedPublic(self, addr: CAddress) -> bool:
        return self.AlreadyConnectedToAddress(addr)

    def ConnectNodePublic(
        self, peerman: NetEventsInterface, pszDest: str, conn_type: ConnectionType
    ) -> CNode | None:
        node: CNode | None = self.ConnectNode(CAddress(), pszDest, False, conn_type, True)
        if node is None:
            return None
        peerman.InitializeNode(
            node.GetId(), PeerOptionsFor(node), ServiceFlags(NODE_NETWORK | NODE_WITNESS)
        )
        node.fSuccessfullyConnected = True
        self.AddTestNode(node)
        return node


def decode_frames(data: bytes) -> list[tuple[str, bytes]]:
    """Split v1 wire bytes into (message type, payload) pairs, checking every header's magic,
    size and checksum. Raises SerializationError on anything that is not whole, valid frames."""
    from common.chainparams import Params
    from common.hash import hash256

    magic = Params().MessageStart()
    frames: list[tuple[str, bytes]] = []
    s = DataStream(data)
    while not s.empty():
        hdr = CMessageHeader.deserialize(s)
        if hdr.pchMessageStart != magic:
            raise SerializationError(f"wrong magic {hdr.pchMessageStart.hex()}")
        payload = s.read(hdr.nMessageSize)
        if hash256(payload)[: CMessageHeader.CHECKSUM_SIZE] != hdr.pchChecksum:
            raise SerializationError(f"bad checksum on {hdr.GetMessageType()!r}")
        frames.append((hdr.GetMessageType(), payload))
    return frames


#: Every service flag (upstream's ALL_SERVICE_FLAGS).
ALL_SERVICE_FLAGS: tuple[ServiceFlags, ...] = (
    NODE_NONE,
    NODE_NETWORK,
    NODE_BLOOM,
    NODE_WITNESS,
    NODE_COMPACT_FILTERS,
    NODE_NETWORK_LIMITED,
    NODE_P2P_V2,
)

#: Every permission flag (upstream's ALL_NET_PERMISSION_FLAGS).
ALL_NET_PERMISSION_FLAGS: tuple[NetPermissionFlags, ...] = (
    NetPermissionFlags.None_,
    NetPermissionFlags.BloomFilter,
    NetPermissionFlags.Relay,
    NetPermissionFlags.ForceRelay,
    NetPermissionFlags.NoBan,
    NetPermissionFlags.Mempool,
    NetPermissionFlags.Addr,
    NetPermissionFlags.Download,
    NetPermissionFlags.Implicit,
    NetPermissionFlags.All,
)

#: Every connection type (upstream's ALL_CONNECTION_TYPES).
ALL_CONNECTION_TYPES: tuple[ConnectionType, ...] = (
    ConnectionType.INBOUND,
    ConnectionType.OUTBOUND_FULL_RELAY,
    ConnectionType.MANUAL,
    ConnectionType.FEELER,
    ConnectionType.BLOCK_RELAY,
    ConnectionType.ADDR_FETCH,
)

#: Every network (upstream's ALL_NETWORKS).
ALL_NETWORKS: tuple[Network, ...] = (
    Network.NET_UNROUTABLE,
    Network.NET_IPV4,
    Network.NET_IPV6,
    Network.NET_ONION,
    Network.NET_I2P,
    Network.NET_CJDNS,
    Network.NET_INTERNAL,
)
