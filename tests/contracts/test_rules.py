"""The rules of the custom contract types, on small sources: what counts as naming an
identifier, and which attribute uses are calls to a foreign method."""

from __future__ import annotations

import ast
import textwrap

from contracts.forbidden_names import named_identifiers
from contracts.foreign_calls import attribute_uses, class_methods, defined_names


def _named(source: str, name: str) -> list[tuple[int, str]]:
    tree = ast.parse(textwrap.dedent(source))
    return sorted((line, how) for line, n, how in named_identifiers(ast.walk(tree)) if n == name)


def test_every_way_of_naming_an_identifier_is_found_with_its_line() -> None:
    source = """\
        from .net import CNode
        import net as CNode
        x = net.CNode
        def f(CNode: int, y: "CNode", z: list["CNode"]) -> "dict[int, CNode]":
            global CNode
            return cast("CNode | None", g(CNode=1))
        class CNode:
            pass
        match x:
            case [*CNode]:
                pass
        """
    assert _named(source, "CNode") == [
        (1, "import"),
        (2, "import alias"),
        (3, "attribute"),
        (4, "annotation string"),
        (4, "annotation string"),
        (4, "annotation string"),
        (4, "parameter"),
        (5, "global"),
        (6, "annotation string"),
        (6, "keyword argument"),
        (7, "definition"),
        (10, "match capture"),
    ]


def test_prose_literal_values_and_longer_names_are_not_names() -> None:
    source = '''\
        """Upstream's CNode keeps the socket."""
        # CNode in a comment
        message = "disconnecting CNode"
        kind: Literal["CNode"] = "CNode"
        state: CNodeState
        stats = CNodeStats()
        '''
    assert _named(source, "CNode") == []


def test_class_methods_are_the_body_methods_without_dunders_or_properties() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """\
            class CNode:
                def __init__(self) -> None: ...
                def GetId(self) -> int: ...
                @staticmethod
                def Make() -> CNode: ...
                @property
                def addr(self) -> str: ...
                @addr.setter
                def addr(self, v: str) -> None: ...
                def _private(self) -> None: ...
            """
        )
    )
    assert class_methods(tree, "CNode") == {"GetId", "Make", "_private"}
    assert class_methods(tree, "Peer") is None


def test_defined_names_cover_functions_class_attributes_and_slots() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """\
            class Peer:
                __slots__ = ("m_id", "IsInboundConn")
                m_addr: str
                kind = 1
                def GetId(self) -> int:
                    def inner() -> None: ...
                    local = 2
            def helper() -> None: ...
            """
        )
    )
    assert defined_names(ast.walk(tree)) == {
        "__slots__",
        "m_id",
        "IsInboundConn",
        "m_addr",
        "kind",
        "GetId",
        "inner",
        "helper",
    }


def test_attribute_uses_tell_calls_from_references_on_any_receiver() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """\
            pfrom.GetId()
            ids = map(CNode.GetId, nodes)
            self.m_peers[0].node.PollMessage()
            peer.m_id
            """
        )
    )
    uses = attribute_uses(list(ast.walk(tree)), {"GetId", "PollMessage"})
    assert sorted(uses) == [
        (1, "GetId", "pfrom.GetId()", "call"),
        (2, "GetId", "CNode.GetId", "reference"),
        (3, "PollMessage", "self.m_peers[0].node.PollMessage()", "call"),
    ]
