"""Two legacy nodes joined in memory (h11's ConnectionPair, for P2P): each node is a Harness
(AppInitMain with ConnmanTestMsg), each knows the other as one CNode, and :meth:`NodePair.pump`
moves every queued message across, single-threaded, until both sides are quiet."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from common.connection_types import ConnectionType
from common.net_permissions import NetPermissionFlags
from legacy.net import CNode, CSerializedNetMsg

from .peerman_util import PEER_SERVICES, Harness, make_harness

#: (sender, message type, payload): the sender is "a" or "b".
Traffic = tuple[str, str, bytes]


@dataclass
class NodePair:
    a: Harness
    b: Harness
    #: a's CNode for b (inbound at a) and b's CNode for a (b connected out to a).
    b_on_a: CNode
    a_on_b: CNode
    #: Every message that crossed, in order.
    traffic: list[Traffic] = field(default_factory=list)

    def _side(self, name: str) -> tuple[Harness, CNode, Harness, CNode]:
        if name == "a":
            return self.a, self.b_on_a, self.b, self.a_on_b
        return self.b, self.a_on_b, self.a, self.b_on_a

    def step(self, name: str) -> int:
        """Let one node process everything it has received and run SendMessages, then carry
        what it queued to the other node. How many messages crossed."""
        h, pnode, other, other_pnode = self._side(name)
        for _ in range(10_000):
            if not h.connman.ProcessMessagesOnce(pnode):
                break
        h.send_messages(pnode)
        frames = h.connman.FlushSendBuffer(pnode)
        pnode.fPauseSend = False
        for msg_type, payload in frames:
            self.traffic.append((name, msg_type, payload))
            if not other_pnode.fDisconnect:
                other.connman.ReceiveMsgFrom(other_pnode, CSerializedNetMsg(payload, msg_type))
        return len(frames)

    def pump(self, max_rounds: int = 1000) -> None:
        """Alternate the nodes until a full round moves nothing."""
        for _ in range(max_rounds):
            moved = self.step("b") + self.step("a")
            if moved == 0 and not self._pending():
                return
        raise AssertionError("the nodes kept talking for max_rounds rounds")

    def _pending(self) -> bool:
        return bool(self.b_on_a.m_msg_process_queue or self.a_on_b.m_msg_process_queue)

    def sent(self, name: str) -> list[str]:
        """The message types ``name`` sent, in order."""
        return [t for s, t, _ in self.traffic if s == name]


@contextmanager
def node_pair(
    tmp_path: Path,
    a_permissions: NetPermissionFlags = NetPermissionFlags.None_,
) -> Iterator[NodePair]:
    """Two fresh nodes; b connects out (OUTBOUND_FULL_RELAY) to a. Nothing is exchanged yet.
    ``a_permissions`` are the permissions a grants b."""
    with ExitStack() as stack:
        a_gen = make_harness(tmp_path / "a")
        a = next(a_gen)
        stack.callback(lambda: next(a_gen, None))
        b_gen = make_harness(tmp_path / "b")
        b = next(b_gen)
        stack.callback(lambda: next(b_gen, None))
        b_on_a = a.add_peer(0, "10.0.0.2:18444", ConnectionType.INBOUND, a_permissions)
        a_on_b = b.add_peer(
            0,
            "10.0.0.1:18444",
            ConnectionType.OUTBOUND_FULL_RELAY,
            addr_services=PEER_SERVICES,
        )
        yield NodePair(a, b, b_on_a, a_on_b)
