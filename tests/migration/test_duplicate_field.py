from __future__ import annotations

from pathlib import Path

from migration.adapters.codemods import DuplicateField
from migration.adapters.runner import StepRunner
from migration.domain.plan import CodemodAction

from .codemod_testing import MigrationCodemodTest
from .fixtures import write_package

BEFORE = """
from common.connection_types import ConnectionType


class CNode:
    __slots__ = ("id", "m_conn_type")

    id: int
    m_conn_type: ConnectionType

    def __init__(self, idIn: int, conn_type_in: ConnectionType) -> None:
        self.id = idIn
        self.m_conn_type = conn_type_in

    def GetId(self) -> int:
        return self.id


class Peer:
    __slots__ = ("m_id",)

    m_id: int

    def __init__(self, id: int) -> None:
        self.m_id = id


class PeerManagerImpl:
    def GetPeerRef(self, id: int) -> Peer | None:
        return None

    def InitializeNode(self, node: CNode) -> None:
        peer = Peer(node.GetId())
        if node.m_conn_type == ConnectionType.INBOUND:
            pass

    def ProcessMessage(self, pfrom: CNode, peer: Peer) -> bool:
        return pfrom.m_conn_type == ConnectionType.FEELER
"""

AFTER = """
from common.connection_types import ConnectionType


class CNode:
    __slots__ = ("id", "m_conn_type")

    id: int
    m_conn_type: ConnectionType

    def __init__(self, idIn: int, conn_type_in: ConnectionType) -> None:
        self.id = idIn
        self.m_conn_type = conn_type_in

    def GetId(self) -> int:
        return self.id


class Peer:
    __slots__ = ("m_id", "m_conn_type")

    m_id: int
    m_conn_type: ConnectionType

    def __init__(self, id: int) -> None:
        self.m_id = id
        self.m_conn_type = ConnectionType.INBOUND


class PeerManagerImpl:
    def GetPeerRef(self, id: int) -> Peer | None:
        return None

    def InitializeNode(self, node: CNode) -> None:
        peer = Peer(node.GetId())
        peer.m_conn_type = node.m_conn_type
        if node.m_conn_type == ConnectionType.INBOUND:
            pass

    def ProcessMessage(self, pfrom: CNode, peer: Peer) -> bool:
        return peer.m_conn_type == ConnectionType.FEELER
"""

ARGS = {"field": "m_conn_type", "init": "ConnectionType.INBOUND"}


class TestDuplicateField(MigrationCodemodTest):
    TRANSFORM = DuplicateField

    def test_peer_gets_a_copy_filled_in_initializenode_and_net_processing_uses_it(self) -> None:
        self.assertMigrates(BEFORE, AFTER, **ARGS)

    def test_cnode_keeps_its_copy_and_the_fill_is_not_rewritten(self) -> None:
        source = """
        class CNode:
            __slots__ = ("m_conn_type",)

            m_conn_type: int

            def __init__(self) -> None:
                self.m_conn_type = 0

            def IsInboundConn(self) -> bool:
                return self.m_conn_type == 0


        class Peer:
            __slots__ = ("m_conn_type",)

            m_conn_type: int

            def __init__(self) -> None:
                self.m_conn_type = 0


        class PeerManagerImpl:
            def InitializeNode(self, node: CNode) -> None:
                peer = Peer()
                peer.m_conn_type = node.m_conn_type
        """
        self.assertNoChange(source, field="m_conn_type")

    def test_methods_reading_only_the_field_are_copied_and_calls_follow(self) -> None:
        before = BEFORE.replace(
            "    def GetId(self) -> int:\n        return self.id\n",
            "    def GetId(self) -> int:\n        return self.id\n\n"
            "    def IsFeelerConn(self) -> bool:\n"
            "        return self.m_conn_type == ConnectionType.FEELER\n",
        ).replace(
            "return pfrom.m_conn_type == ConnectionType.FEELER", "return pfrom.IsFeelerConn()"
        )
        out = self.apply(before, methods=["IsFeelerConn"], **ARGS)
        self.assertEqual(out.count("    def IsFeelerConn(self) -> bool:"), 2)
        self.assertIn("        return peer.IsFeelerConn()\n", out)
        self.assertIdempotent(before, methods=["IsFeelerConn"], **ARGS)

    def test_a_method_that_needs_other_members_cannot_be_copied(self) -> None:
        self.assertFails(
            BEFORE, "CNode.GetId uses id, which Peer has no copy of", methods=["GetId"], **ARGS
        )

    def test_applying_twice_equals_applying_once(self) -> None:
        self.assertIdempotent(BEFORE, **ARGS)

    def test_an_initial_value_peer_cannot_compute_needs_init(self) -> None:
        self.assertFails(BEFORE, "give the step an `init` argument", field="m_conn_type")

    def test_unannotated_receiver_is_an_error_naming_the_line(self) -> None:
        source = BEFORE + "\n\ndef kind(node) -> object:\n    return node.m_conn_type\n"
        self.assertFails(source, "<module>:42: cannot tell whether `node`", **ARGS)


def test_net_keeps_its_accesses_when_duplicating_across_modules(tmp_path: Path) -> None:
    package = write_package(tmp_path)
    net_before = (package / "net.py").read_text()
    action = CodemodAction("DuplicateField", {"field": "m_conn_inbound", "init": "False"})
    applied = StepRunner(tmp_path).apply_codemod(action, package)
    assert applied == type(applied)(("net_processing.py",))
    assert (package / "net.py").read_text() == net_before
    net_processing = (package / "net_processing.py").read_text()
    assert (
        "        peer = Peer(node.GetId())\n        peer.m_conn_inbound = node.m_conn_inbound\n"
        in net_processing
    )
