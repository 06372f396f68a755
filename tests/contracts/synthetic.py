"""A small ``split`` package shaped like the end state of the migration, where every split
contract holds: net and net_processing import only ``interfaces`` (and the standard library),
``init`` wires them, net_processing names no CNode and calls no method only CNode has.

The real ``split/`` satisfies those contracts only once the migration stack is complete; until
then the failure-injection tests check the split contracts against this package instead.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

INTERFACES = textwrap.dedent(
    '''\
    """What net and net_processing know of each other."""

    from __future__ import annotations


    class NetEventsInterface:
        def ProcessMessages(self, nodeid: int) -> bool:
            raise NotImplementedError


    class ConnmanInterface:
        def GetLocalNonce(self, nodeid: int) -> int:
            """Shares its name with a CNode method: allowed, interfaces defines it."""
            raise NotImplementedError
    '''
)

NET = textwrap.dedent(
    '''\
    """Connections."""

    from __future__ import annotations

    from .interfaces import ConnmanInterface, NetEventsInterface


    class CNode:
        def __init__(self, id: int) -> None:
            self.id = id

        def GetId(self) -> int:
            return self.id

        def PollMessage(self) -> bytes | None:
            return None

        def GetLocalNonce(self) -> int:
            return 0

        def IsInboundConn(self) -> bool:
            return False


    class CConnman(ConnmanInterface):
        def __init__(self, events: NetEventsInterface) -> None:
            self.m_msgproc = events
            self.m_nodes = [CNode(0)]

        def GetLocalNonce(self, nodeid: int) -> int:
            return next(n.GetLocalNonce() for n in self.m_nodes if n.GetId() == nodeid)
    '''
)

NET_PROCESSING = textwrap.dedent(
    '''\
    """Protocol logic: upstream's CNode is never named here, in code."""

    from __future__ import annotations

    from .interfaces import ConnmanInterface, NetEventsInterface


    class Peer:
        __slots__ = ("m_id", "m_is_inbound")

        def __init__(self, id: int, is_inbound: bool) -> None:
            self.m_id = id
            self.m_is_inbound = is_inbound

        def IsInboundConn(self) -> bool:
            """Peer's own copy: a name CNode also has, not foreign."""
            return self.m_is_inbound


    class PeerManagerImpl(NetEventsInterface):
        def __init__(self, connman: ConnmanInterface) -> None:
            self.m_connman = connman
            self.m_peers = {0: Peer(0, True)}

        def ProcessMessages(self, nodeid: int) -> bool:
            peer = self.m_peers[nodeid]
            if peer.IsInboundConn():
                return self.m_connman.GetLocalNonce(nodeid) != 0
            return False
    '''
)

INIT = textwrap.dedent(
    '''\
    """The composition root: the one place both layers are known."""

    from __future__ import annotations

    from .net import CConnman
    from .net_processing import PeerManagerImpl


    def AppInitMain(peerman: PeerManagerImpl) -> CConnman:
        connman = CConnman(peerman)
        peerman.m_connman = connman
        return connman
    '''
)


def write_split(parent: Path, name: str = "split") -> Path:
    package = parent / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""The node after the split (synthetic)."""\n')
    (package / "interfaces.py").write_text(INTERFACES)
    (package / "net.py").write_text(NET)
    (package / "net_processing.py").write_text(NET_PROCESSING)
    (package / "init.py").write_text(INIT)
    return package
