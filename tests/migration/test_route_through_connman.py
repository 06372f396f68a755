from __future__ import annotations

from pathlib import Path

from migration.adapters.codemods import RouteThroughConnman
from migration.adapters.runner import StepRunner
from migration.domain.plan import CodemodAction

from .codemod_testing import MigrationCodemodTest
from .fixtures import write_package

HEAD = """
import threading

NodeId = int


class CNode:
    __slots__ = ("id", "m_last_ping_time")

    id: NodeId
    m_last_ping_time: int

    def __init__(self, idIn: NodeId) -> None:
        self.id = idIn
        self.m_last_ping_time = 0

    def GetId(self) -> NodeId:
        return self.id

    def PongReceived(self, ping_time: int) -> None:
        self.m_last_ping_time = ping_time

    def LastPing(self, scale: int = 1) -> int:
        return self.m_last_ping_time * scale


class CConnman:
    m_nodes: list[CNode]
    m_nodes_mutex: threading.RLock

    def __init__(self) -> None:
        self.m_nodes = []
        self.m_nodes_mutex = threading.RLock()
"""

TAIL = """

class Peer:
    __slots__ = ("m_id",)

    m_id: NodeId

    def __init__(self, id: NodeId) -> None:
        self.m_id = id


class PeerManagerImpl:
    m_connman: CConnman

    def __init__(self, connman: CConnman) -> None:
        self.m_connman = connman

    def ProcessPong(self, pfrom: CNode, ping_time: int) -> int:
        pfrom.PongReceived(ping_time)
        return pfrom.LastPing(scale=2)
"""

FORWARDER = """
    def PongReceived(self, nodeid: NodeId, ping_time: int) -> None:
        \"\"\"CNode.PongReceived on the connection with this id; nothing once it is gone.\"\"\"
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if pnode.GetId() == nodeid:
                    pnode.PongReceived(ping_time)
                    return
"""


class TestRouteThroughConnman(MigrationCodemodTest):
    TRANSFORM = RouteThroughConnman

    def test_call_goes_through_connman_by_node_id_and_connman_forwards_it(self) -> None:
        after = (
            HEAD
            + FORWARDER
            + TAIL.replace(
                "        pfrom.PongReceived(ping_time)",
                "        self.m_connman.PongReceived(pfrom.GetId(), ping_time)",
            )
        )
        self.assertMigrates(HEAD + TAIL, after, method="PongReceived")

    def test_a_method_with_a_result_returns_the_default_once_the_node_is_gone(self) -> None:
        out = self.apply(HEAD + TAIL, method="LastPing", default="0")
        self.assertIn(
            "    def LastPing(self, nodeid: NodeId, scale: int = 1) -> int:\n"
            '        """CNode.LastPing of the connection with this id; 0 once it is gone."""\n'
            "        with self.m_nodes_mutex:\n"
            "            for pnode in self.m_nodes:\n"
            "                if pnode.GetId() == nodeid:\n"
            "                    return pnode.LastPing(scale)\n"
            "        return 0\n",
            out,
        )
        self.assertIn("return self.m_connman.LastPing(pfrom.GetId(), scale=2)", out)

    def test_create_none_uses_an_existing_connman_method(self) -> None:
        before = (HEAD + FORWARDER).replace(
            "def PongReceived(self, nodeid", "def Pong(self, nodeid"
        )
        out = self.apply(before + TAIL, method="PongReceived", connman_method="Pong", create="none")
        self.assertIn("self.m_connman.Pong(pfrom.GetId(), ping_time)", out)
        self.assertEqual(out.count("def Pong("), 1)

    def test_calls_on_other_receivers_and_inside_connman_are_left_alone(self) -> None:
        source = (
            HEAD
            + FORWARDER
            + """

class Echo:
    def PongReceived(self, ping_time: int) -> None:
        pass


class Peer:
    m_id: NodeId


def pong(echo: Echo) -> None:
    echo.PongReceived(1)
"""
        )
        self.assertNoChange(source, method="PongReceived")

    def test_applying_twice_equals_applying_once(self) -> None:
        self.assertIdempotent(HEAD + TAIL, method="PongReceived")
        self.assertIdempotent(HEAD + TAIL, method="LastPing", default="0")

    def test_a_method_with_a_result_and_no_default_is_an_error(self) -> None:
        self.assertFails(HEAD + TAIL, "give the step a `default`", method="LastPing")

    def test_unannotated_receiver_is_an_error_naming_the_line(self) -> None:
        source = HEAD + TAIL + "\n\ndef pong(node) -> None:\n    node.PongReceived(1)\n"
        self.assertFails(source, "<module>:57: cannot tell whether `node`", method="PongReceived")

    def test_a_method_used_without_a_call_cannot_be_routed(self) -> None:
        source = HEAD + TAIL.replace(
            "pfrom.PongReceived(ping_time)", "callback = pfrom.PongReceived"
        )
        self.assertFails(source, "used without being called", method="PongReceived")


def test_route_across_modules_creates_the_forwarder_in_net(tmp_path: Path) -> None:
    package = write_package(tmp_path)
    action = CodemodAction("RouteThroughConnman", {"method": "PongReceived"})
    runner = StepRunner(tmp_path)
    assert runner.apply_codemod(action, package).changed == ("net.py", "net_processing.py")
    net = (package / "net.py").read_text()
    assert net.endswith(FORWARDER)
    assert (
        "self.m_connman.PongReceived(pfrom.GetId(), 5)"
        in (package / "net_processing.py").read_text()
    )
    assert runner.apply_codemod(action, package).changed == ()
