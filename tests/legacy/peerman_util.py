"""A PeerManager driven single-threaded through ConnmanTestMsg (upstream's TestingSetup with
test/util/net.h): a node built by legacy.init.AppInitMain, peers added by hand, messages
delivered one at a time, and everything the node queues kept per peer for the test to read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import legacy.net as net
from common.connection_types import ConnectionType
from common.logging import BCLog, LogInstance
from common.messages import msg_version
from common.net_permissions import NetPermissionFlags
from common.netaddress import CService
from common.netbase import LookupNumeric
from common.nodeid import NodeId
from common.protocol import NODE_NETWORK, NODE_NONE, NODE_WITNESS, CAddress, ServiceFlags
from legacy.init import AppInitMain, InitOptions, NodeContext
from legacy.net import PROTOCOL_VERSION, CNode, CNodeOptions, CSerializedNetMsg
from legacy.net_processing import PeerManagerImpl
from legacy.net_test_util import ConnmanTestMsg

#: The mock time every test starts at (seconds): 2023-11-14.
T0 = 1_700_000_000
#: Services our node offers (CConnman.Options.m_local_services in AppInitMain).
OUR_SERVICES = ServiceFlags(NODE_NETWORK | NODE_WITNESS)
#: Services the test peers announce.
PEER_SERVICES = ServiceFlags(NODE_NETWORK | NODE_WITNESS)

Frame = tuple[str, bytes]


@dataclass
class Harness:
    node: NodeContext
    connman: ConnmanTestMsg
    peerman: PeerManagerImpl
    #: What the node queued for each peer and the test has not taken yet.
    outbox: dict[NodeId, list[Frame]] = field(default_factory=dict)

    def add_peer(
        self,
        node_id: int,
        addr: str | CService = "1.2.3.4:18444",
        conn_type: ConnectionType = ConnectionType.INBOUND,
        permissions: NetPermissionFlags = NetPermissionFlags.None_,
        local_nonce: int | None = None,
        addr_services: ServiceFlags = NODE_NONE,
    ) -> CNode:
        """A CNode known to the connman (AddTestNode) and initialized in PeerManager, as
        CConnman does for a new connection."""
        pnode: CNode = CNode(
            NodeId(node_id),
            None,
            CAddress(LookupNumeric(addr) if isinstance(addr, str) else addr, addr_services),
            0,
            local_nonce if local_nonce is not None else 0x1000 + node_id,
            LookupNumeric("127.0.0.1:18444"),
            "",
            conn_type,
            False,
            CNodeOptions(permission_flags=permissions),
        )
        self.connman.AddTestNode(pnode)
        self.peerman.InitializeNode(pnode, OUR_SERVICES)
        return pnode

    def flush(self, pnode: CNode) -> None:
        self.outbox.setdefault(pnode.GetId(), []).extend(self.connman.FlushSendBuffer(pnode))

    def take(self, pnode: CNode) -> list[Frame]:
        """Everything queued for ``pnode`` since the last take, in order."""
        self.flush(pnode)
        return self.outbox.pop(pnode.GetId(), [])

    def types(self, pnode: CNode) -> list[str]:
        return [t for t, _ in self.take(pnode)]

    def receive(self, pnode: CNode, msg_type: str, payload: bytes = b"") -> None:
        """The peer sends one message; it is queued, not processed yet."""
        # The transport's send side must be idle to frame the message: keep what was queued.
        self.flush(pnode)
        assert self.connman.ReceiveMsgFrom(pnode, CSerializedNetMsg(payload, msg_type))

    def deliver(self, pnode: CNode, msg_type: str, payload: bytes = b"") -> bool:
        """The peer sends one message and the node processes it (one ProcessMessages call)."""
        self.receive(pnode, msg_type, payload)
        return self.connman.ProcessMessagesOnce(pnode)

    def send_messages(self, pnode: CNode) -> bool:
        return self.peerman.SendMessages(pnode)

    def version_from(
        self,
        pnode: CNode,
        services: ServiceFlags = PEER_SERVICES,
        nonce: int = 0xA5A5,
        version: int = PROTOCOL_VERSION,
        relay: bool = True,
        addr_me: str = "5.6.7.8:18444",
        starting_height: int = 0,
    ) -> bool:
        payload = msg_version(
            nVersion=version,
            nServices=services,
            nTime=T0,
            addrTo=CAddress(LookupNumeric(addr_me), NODE_NONE),
            addrFrom=CAddress(CService(), services),
            nNonce=nonce,
            strSubVer="/peer:1.0/",
            nStartingHeight=starting_height,
            relay=relay,
        ).serialize()
        return self.deliver(pnode, "version", payload)

    def handshake(self, pnode: CNode, services: ServiceFlags = PEER_SERVICES) -> list[Frame]:
        """Version both ways and verack both ways; what the node sent, in order."""
        self.send_messages(pnode)  # our version, for an outbound peer
        self.version_from(pnode, services)
        self.send_messages(pnode)
        self.deliver(pnode, "verack")
        self.send_messages(pnode)
        assert pnode.fSuccessfullyConnected
        return self.take(pnode)


def make_harness(tmp_path: Path) -> Iterator[Harness]:
    """Build the node with the shared composition root, ConnmanTestMsg as its connman."""
    node = AppInitMain(
        InitOptions(datadir=tmp_path, deterministic=True), connman_type=ConnmanTestMsg
    )
    connman = node.connman
    assert isinstance(connman, ConnmanTestMsg)
    peerman = node.peerman
    assert isinstance(peerman, PeerManagerImpl)
    # What CConnman.Start does first, without binding or starting threads; it also makes
    # peerman the connman's NetEventsInterface.
    connman.Init(node.conn_options)
    try:
        yield Harness(node, connman, peerman)
    finally:
        connman.ClearTestNodes()
        net.gArgs.ClearArgs()
        net.fListen = net.DEFAULT_LISTEN
        net.strSubVersion = ""


def capture_log() -> Iterator[list[str]]:
    """Every log line while the test runs, with the net category on at debug level."""
    logger = LogInstance()
    mask = logger.GetCategoryMask()
    lines: list[str] = []
    handle = logger.PushBackCallback(lines.append)
    logger.EnableCategory(BCLog.NET)
    try:
        yield lines
    finally:
        logger.DeleteCallback(handle)
        logger.DisableCategory(BCLog.LogFlags.ALL)
        logger.EnableCategory(BCLog.LogFlags(mask))


def logged(lines: list[str], message: str) -> bool:
    """Whether a line ends with ``message`` (the timestamps before it vary)."""
    return any(line.rstrip("\n").endswith(message) for line in lines)
