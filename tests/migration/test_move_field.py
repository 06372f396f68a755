from __future__ import annotations

from pathlib import Path

from migration.adapters.codemods import MoveField
from migration.adapters.runner import StepRunner
from migration.domain.plan import CodemodAction

from .codemod_testing import MigrationCodemodTest
from .fixtures import write_package

CLASSES = """
class CNode:
    __slots__ = (
        "id",
        "m_bip152_highbandwidth_to",
        "fDisconnect",
    )

    id: int
    #: We selected peer as (compact blocks) high-bandwidth peer (BIP152).
    m_bip152_highbandwidth_to: bool
    fDisconnect: bool

    def __init__(self, idIn: int) -> None:
        self.id = idIn
        self.m_bip152_highbandwidth_to = False
        self.fDisconnect = False

    def GetId(self) -> int:
        return self.id


class Peer:
    __slots__ = ("m_id",)

    m_id: int

    def __init__(self, id: int) -> None:
        self.m_id = id
"""

CLASSES_AFTER = """
class CNode:
    __slots__ = (
        "id",
        "fDisconnect",
    )

    id: int
    fDisconnect: bool

    def __init__(self, idIn: int) -> None:
        self.id = idIn
        self.fDisconnect = False

    def GetId(self) -> int:
        return self.id


class Peer:
    __slots__ = ("m_id", "m_bip152_highbandwidth_to")

    m_id: int
    #: We selected peer as (compact blocks) high-bandwidth peer (BIP152).
    m_bip152_highbandwidth_to: bool

    def __init__(self, id: int) -> None:
        self.m_id = id
        self.m_bip152_highbandwidth_to = False
"""

MANAGER = """

class PeerManagerImpl:
    def GetPeerRef(self, id: int) -> Peer | None:
        return None

    def ProcessMessage(self, pfrom: CNode, peer: Peer) -> None:
        pfrom.m_bip152_highbandwidth_to = True

    def SendMessages(self, pto: CNode) -> bool:
        \"\"\"The docstring stays first.\"\"\"
        return pto.m_bip152_highbandwidth_to and not pto.fDisconnect

    def Announce(self, nodeid: int) -> None:
        def demote(pnodeStop: CNode) -> bool:
            pnodeStop.m_bip152_highbandwidth_to = False
            return True
"""

MANAGER_AFTER = """

class PeerManagerImpl:
    def GetPeerRef(self, id: int) -> Peer | None:
        return None

    def ProcessMessage(self, pfrom: CNode, peer: Peer) -> None:
        peer.m_bip152_highbandwidth_to = True

    def SendMessages(self, pto: CNode) -> bool:
        \"\"\"The docstring stays first.\"\"\"
        peer = self.GetPeerRef(pto.GetId())
        assert peer is not None
        return peer.m_bip152_highbandwidth_to and not pto.fDisconnect

    def Announce(self, nodeid: int) -> None:
        def demote(pnodeStop: CNode) -> bool:
            peer = self.GetPeerRef(pnodeStop.GetId())
            assert peer is not None
            peer.m_bip152_highbandwidth_to = False
            return True
"""

STATS = """
from dataclasses import dataclass


@dataclass(slots=True)
class CNodeStats:
    nodeid: int = 0
    # We requested high bandwidth connection to peer
    m_bip152_highbandwidth_to: bool = False


@dataclass(slots=True)
class CNodeStateStats:
    m_starting_height: int = -1


class CNode:
    __slots__ = ("id", "m_bip152_highbandwidth_to")

    id: int
    m_bip152_highbandwidth_to: bool

    def __init__(self, idIn: int) -> None:
        self.id = idIn
        self.m_bip152_highbandwidth_to = False

    def CopyStats(self, stats: CNodeStats) -> None:
        stats.nodeid = self.id
        stats.m_bip152_highbandwidth_to = self.m_bip152_highbandwidth_to


class Peer:
    __slots__ = ("m_id",)

    m_id: int

    def __init__(self, id: int) -> None:
        self.m_id = id


class PeerManagerImpl:
    def GetPeerRef(self, id: int) -> Peer | None:
        return None

    def GetNodeStateStats(self, nodeid: int, stats: CNodeStateStats) -> bool:
        peer = self.GetPeerRef(nodeid)
        if peer is None:
            return False
        stats.m_starting_height = 0

        return True
"""

STATS_AFTER = """
from dataclasses import dataclass


@dataclass(slots=True)
class CNodeStats:
    nodeid: int = 0


@dataclass(slots=True)
class CNodeStateStats:
    m_starting_height: int = -1
    # We requested high bandwidth connection to peer
    m_bip152_highbandwidth_to: bool = False


class CNode:
    __slots__ = ("id",)

    id: int

    def __init__(self, idIn: int) -> None:
        self.id = idIn

    def CopyStats(self, stats: CNodeStats) -> None:
        stats.nodeid = self.id


class Peer:
    __slots__ = ("m_id", "m_bip152_highbandwidth_to")

    m_id: int
    m_bip152_highbandwidth_to: bool

    def __init__(self, id: int) -> None:
        self.m_id = id
        self.m_bip152_highbandwidth_to = False


class PeerManagerImpl:
    def GetPeerRef(self, id: int) -> Peer | None:
        return None

    def GetNodeStateStats(self, nodeid: int, stats: CNodeStateStats) -> bool:
        peer = self.GetPeerRef(nodeid)
        if peer is None:
            return False
        stats.m_starting_height = 0
        stats.m_bip152_highbandwidth_to = peer.m_bip152_highbandwidth_to

        return True
"""

FIELD = {"fields": ["m_bip152_highbandwidth_to"]}


class TestMoveField(MigrationCodemodTest):
    TRANSFORM = MoveField

    def test_field_leaves_cnode_and_joins_peer_with_its_comment_and_initializer(self) -> None:
        self.assertMigrates(CLASSES, CLASSES_AFTER, **FIELD)

    def test_accesses_use_the_paired_peer_or_fetch_one_by_node_id(self) -> None:
        self.assertMigrates(CLASSES + MANAGER, CLASSES_AFTER + MANAGER_AFTER, **FIELD)

    def test_peer_for_names_the_peer_a_function_should_use(self) -> None:
        before = CLASSES + MANAGER.replace(
            "def SendMessages(self, pto: CNode) -> bool:",
            "def SendMessages(self, pto: CNode, state: Peer) -> bool:",
        )
        after = self.apply(before, peer_for={"PeerManagerImpl.SendMessages": "state"}, **FIELD)
        self.assertIn("return state.m_bip152_highbandwidth_to and not pto.fDisconnect", after)
        self.assertNotIn("peer = self.GetPeerRef(pto.GetId())", after)

    def test_stats_move_from_copystats_to_getnodestatestats(self) -> None:
        self.assertMigrates(STATS, STATS_AFTER, stats=True, **FIELD)

    def test_methods_that_use_only_moved_fields_move_along_and_calls_follow(self) -> None:
        before = """
        class CNode:
            __slots__ = ("id", "m_greatest_common_version")

            id: int
            m_greatest_common_version: int

            def __init__(self, idIn: int) -> None:
                self.id = idIn
                self.m_greatest_common_version = 209

            def GetId(self) -> int:
                return self.id

            def GetCommonVersion(self) -> int:
                return self.m_greatest_common_version


        class Peer:
            __slots__ = ("m_id",)

            m_id: int

            def __init__(self, id: int) -> None:
                self.m_id = id


        class PeerManagerImpl:
            def ProcessMessage(self, pfrom: CNode, peer: Peer) -> int:
                return pfrom.GetCommonVersion()
        """
        after = """
        class CNode:
            __slots__ = ("id",)

            id: int

            def __init__(self, idIn: int) -> None:
                self.id = idIn

            def GetId(self) -> int:
                return self.id


        class Peer:
            __slots__ = ("m_id", "m_greatest_common_version")

            m_id: int
            m_greatest_common_version: int

            def __init__(self, id: int) -> None:
                self.m_id = id
                self.m_greatest_common_version = 209

            def GetCommonVersion(self) -> int:
                return self.m_greatest_common_version


        class PeerManagerImpl:
            def ProcessMessage(self, pfrom: CNode, peer: Peer) -> int:
                return peer.GetCommonVersion()
        """
        self.assertMigrates(
            before,
            after,
            fields=["m_greatest_common_version"],
            methods=["GetCommonVersion"],
        )

    def test_same_name_on_other_classes_is_left_alone(self) -> None:
        source = """
        class CNode:
            __slots__ = ("fDisconnect",)

            fDisconnect: bool

            def __init__(self) -> None:
                self.fDisconnect = False


        class Peer:
            __slots__ = ("m_bip152_highbandwidth_to",)

            m_bip152_highbandwidth_to: bool

            def __init__(self) -> None:
                self.m_bip152_highbandwidth_to = False


        class Report:
            m_bip152_highbandwidth_to: bool


        def show(report: Report, peer: Peer) -> bool:
            return report.m_bip152_highbandwidth_to or peer.m_bip152_highbandwidth_to
        """
        self.assertNoChange(source, **FIELD)

    def test_applying_twice_equals_applying_once(self) -> None:
        self.assertIdempotent(CLASSES + MANAGER, **FIELD)
        self.assertIdempotent(STATS, stats=True, **FIELD)

    def test_unannotated_receiver_is_an_error_naming_the_line(self) -> None:
        source = (
            CLASSES + "\n\ndef touch(node) -> None:\n    node.m_bip152_highbandwidth_to = True\n"
        )
        self.assertFails(source, "<module>:33: cannot tell whether `node`", **FIELD)

    def test_a_net_side_use_outside_net_processing_blocks_the_move(self) -> None:
        source = CLASSES.replace(
            "    def GetId(self) -> int:",
            "    def IsHighBandwidth(self) -> bool:\n"
            "        return self.m_bip152_highbandwidth_to\n\n"
            "    def GetId(self) -> int:",
        )
        self.assertFails(
            source, "CNode.IsHighBandwidth still uses m_bip152_highbandwidth_to", **FIELD
        )

    def test_an_initializer_that_needs_init_parameters_cannot_move(self) -> None:
        source = CLASSES.replace(
            "self.m_bip152_highbandwidth_to = False", "self.m_bip152_highbandwidth_to = idIn > 0"
        )
        self.assertFails(source, "needs CNode.__init__'s idIn", "Use DuplicateField", **FIELD)

    def test_stats_reported_by_copystats_need_the_stats_argument(self) -> None:
        self.assertFails(STATS, "pass `stats = true`", **FIELD)

    def test_a_member_neither_class_has_is_an_error(self) -> None:
        self.assertFails(CLASSES, "CNode has no member m_nothing", fields=["m_nothing"])


def test_move_across_modules_imports_what_the_moved_initializer_needs(tmp_path: Path) -> None:
    package = write_package(tmp_path)
    action = CodemodAction(
        "MoveField",
        {
            "fields": ["m_greatest_common_version"],
            "methods": ["SetCommonVersion", "GetCommonVersion"],
        },
    )
    runner = StepRunner(tmp_path)
    applied = runner.apply_codemod(action, package)
    assert applied.problems == ()
    assert applied.changed == ("net.py", "net_processing.py")
    net = (package / "net.py").read_text()
    net_processing = (package / "net_processing.py").read_text()
    assert "from .net import INIT_PROTO_VERSION, CConnman, CNode\n" in net_processing
    assert "        self.m_greatest_common_version = INIT_PROTO_VERSION\n" in net_processing
    assert "if pto.GetCommonVersion()" not in net_processing
    assert "        if peer.GetCommonVersion() < 70016:\n" in net_processing
    # The section comment before the removed slot stays where it was.
    assert '        "m_conn_inbound",\n        # private:\n        "m_last_ping_time",\n' in net
    assert "def GetCommonVersion" not in net
    assert runner.apply_codemod(action, package).changed == ()
