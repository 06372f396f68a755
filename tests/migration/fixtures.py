"""Small packages shaped like legacy/ (a net module and a net_processing module), for testing
codemods, the engine and the CLI without materializing the real node."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

NET = textwrap.dedent(
    '''\
    """Connections."""

    from __future__ import annotations

    import threading
    from collections.abc import Callable
    from dataclasses import dataclass

    from common.nodeid import NodeId

    INIT_PROTO_VERSION = 209


    @dataclass(slots=True)
    class CNodeStats:
        nodeid: NodeId = NodeId(0)  # noqa: RUF009
        # Peer requested high bandwidth connection
        m_bip152_highbandwidth_from: bool = False
        nVersion: int = 0


    class CNode:
        __slots__ = (
            "id",
            "fDisconnect",
            "m_bip152_highbandwidth_from",
            "m_conn_inbound",
            # private:
            "m_greatest_common_version",
            "m_last_ping_time",
        )

        id: NodeId
        fDisconnect: bool
        #: Peer selected us as (compact blocks) high-bandwidth peer (BIP152).
        m_bip152_highbandwidth_from: bool
        m_conn_inbound: bool
        m_greatest_common_version: int
        #: microseconds
        m_last_ping_time: int

        def __init__(self, idIn: NodeId, inbound: bool) -> None:
            self.id = idIn
            self.fDisconnect = False
            self.m_bip152_highbandwidth_from = False
            self.m_conn_inbound = inbound
            self.m_greatest_common_version = INIT_PROTO_VERSION
            self.m_last_ping_time = 0

        def GetId(self) -> NodeId:
            return self.id

        def IsInboundConn(self) -> bool:
            return self.m_conn_inbound

        def SetCommonVersion(self, greatest_common_version: int) -> None:
            self.m_greatest_common_version = greatest_common_version

        def GetCommonVersion(self) -> int:
            return self.m_greatest_common_version

        def PongReceived(self, ping_time: int) -> None:
            self.m_last_ping_time = ping_time

        def CopyStats(self, stats: CNodeStats) -> None:
            stats.nodeid = self.GetId()
            stats.m_bip152_highbandwidth_from = self.m_bip152_highbandwidth_from


    class CConnman:
        m_nodes: list[CNode]
        m_nodes_mutex: threading.RLock

        def __init__(self) -> None:
            self.m_nodes = []
            self.m_nodes_mutex = threading.RLock()

        def ForNode(self, id: NodeId, func: Callable[[CNode], bool]) -> bool:
            with self.m_nodes_mutex:
                for pnode in self.m_nodes:
                    if pnode.GetId() == id:
                        return func(pnode)
            return False

        def DisconnectInbound(self) -> None:
            for pnode in self.m_nodes:
                if pnode.IsInboundConn():
                    pnode.fDisconnect = True
    '''
)

NET_PROCESSING = textwrap.dedent(
    '''\
    """Protocol logic."""

    from __future__ import annotations

    from dataclasses import dataclass

    from common.nodeid import NodeId

    from .net import CConnman, CNode


    @dataclass(slots=True)
    class CNodeStateStats:
        m_starting_height: int = -1


    class Peer:
        __slots__ = (
            "m_id",
            "m_ping_queued",
        )

        m_id: NodeId
        m_ping_queued: bool

        def __init__(self, id: NodeId) -> None:
            self.m_id = id
            self.m_ping_queued = False


    class PeerManagerImpl:
        m_connman: CConnman
        m_peer_map: dict[NodeId, Peer]

        def __init__(self, connman: CConnman) -> None:
            self.m_connman = connman
            self.m_peer_map = {}

        def GetPeerRef(self, id: NodeId) -> Peer | None:
            return self.m_peer_map.get(id)

        def InitializeNode(self, node: CNode) -> None:
            peer = Peer(node.GetId())
            self.m_peer_map[node.GetId()] = peer

        def GetNodeStateStats(self, nodeid: NodeId, stats: CNodeStateStats) -> bool:
            peer = self.GetPeerRef(nodeid)
            if peer is None:
                return False
            stats.m_starting_height = 0
            return True

        def ProcessMessage(self, pfrom: CNode, peer: Peer, msg_type: str) -> None:
            if msg_type == "sendcmpct":
                pfrom.m_bip152_highbandwidth_from = True
            elif msg_type == "version":
                pfrom.SetCommonVersion(70016)
            elif msg_type == "pong":
                pfrom.PongReceived(5)
            if pfrom.IsInboundConn() and pfrom.GetCommonVersion() > 0:
                pfrom.fDisconnect = True

        def SendMessages(self, pto: CNode) -> bool:
            if pto.GetCommonVersion() < 70016:
                return False
            return not pto.m_bip152_highbandwidth_from
    '''
)


def write_package(parent: Path, name: str = "fixture") -> Path:
    """The two-module fixture package at ``parent/name``."""
    package = parent / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "net.py").write_text(NET)
    (package / "net_processing.py").write_text(NET_PROCESSING)
    return package


PLAN = textwrap.dedent(
    '''\
    [[step]]
    id = "move-bip152-highbandwidth-from"
    title = "net: move CNode::m_bip152_highbandwidth_from to Peer"
    codemod = "MoveField"
    args.fields = ["m_bip152_highbandwidth_from"]
    args.stats = true
    args.copy_stats = "CNode.CopyStats"
    rationale = """
    Only net_processing writes it; net reads it only to report it.
    """

    [[step]]
    id = "move-common-version"
    title = "net: move the negotiated common version to Peer"
    codemod = "MoveField"
    args.fields = ["m_greatest_common_version"]
    args.methods = ["SetCommonVersion", "GetCommonVersion"]
    rationale = """
    Version negotiation is protocol logic.
    """

    [[step]]
    id = "route-pong-received"
    title = "net: route PongReceived through CConnman"
    codemod = "RouteThroughConnman"
    args = { method = "PongReceived" }
    rationale = """
    net_processing stops calling a CNode method.
    """
    '''
)


def make_project(root: Path, plan: str = PLAN) -> Path:
    """A project tree the toolkit can run in: legacy/ (the fixture), migration/plan.toml, the
    upstream inventory, an empty split/."""
    legacy = write_package(root, "legacy")
    (root / "split").mkdir()
    (root / "split" / "__init__.py").write_text("")
    migration = root / "migration"
    (migration / "data").mkdir(parents=True)
    (migration / "patches").mkdir()
    (migration / "plan.toml").write_text(plan)
    inventory = (
        Path(__file__).resolve().parents[2] / "migration" / "data" / "core_net_inventory.json"
    )
    shutil.copyfile(inventory, migration / "data" / "core_net_inventory.json")
    return legacy
