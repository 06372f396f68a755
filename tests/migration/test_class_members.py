from __future__ import annotations

from migration.adapters.codemods import RemoveMethod, RenameMember

from .codemod_testing import MigrationCodemodTest

SOURCE = """
class CNode:
    __slots__ = ("id", "fSuccessfullyConnected")

    id: int
    #: Set on VERACK.
    fSuccessfullyConnected: bool

    def __init__(self, idIn: int) -> None:
        self.id = idIn
        self.fSuccessfullyConnected = False

    def Unused(self) -> int:
        return self.Unused()

    def Connected(self) -> bool:
        return self.fSuccessfullyConnected


class Other:
    fSuccessfullyConnected: bool


def handshake(pnode: CNode, other: Other) -> None:
    pnode.fSuccessfullyConnected = True
    other.fSuccessfullyConnected = True
"""


class TestRemoveMethod(MigrationCodemodTest):
    TRANSFORM = RemoveMethod

    def test_an_unused_method_is_removed(self) -> None:
        after = SOURCE.replace("    def Unused(self) -> int:\n        return self.Unused()\n\n", "")
        self.assertMigrates(SOURCE, after, method="CNode.Unused")

    def test_same_named_methods_of_other_classes_stay(self) -> None:
        source = """
        class CNode:
            def GetId(self) -> int:
                return 0


        class Other:
            def Unused(self) -> int:
                return 1


        def use(other: Other) -> int:
            return other.Unused()
        """
        self.assertNoChange(source, method="CNode.Unused")

    def test_a_method_still_called_is_an_error_naming_the_caller(self) -> None:
        source = SOURCE + "\n\ndef check(pnode: CNode) -> bool:\n    return pnode.Connected()\n"
        self.assertFails(
            source, "<module>:30: check still uses CNode.Connected", method="CNode.Connected"
        )

    def test_a_call_on_an_unresolved_receiver_is_an_error(self) -> None:
        source = SOURCE + "\n\ndef check(pnode) -> bool:\n    return pnode.Unused()\n"
        self.assertFails(source, "<module>:30: cannot tell whether `pnode`", method="CNode.Unused")

    def test_applying_twice_equals_applying_once(self) -> None:
        self.assertIdempotent(SOURCE, method="CNode.Unused")


class TestRenameMember(MigrationCodemodTest):
    TRANSFORM = RenameMember

    def test_declarations_and_accesses_through_the_class_are_renamed(self) -> None:
        after = (
            SOURCE.replace('"fSuccessfullyConnected"', '"m_successfully_connected"')
            .replace(
                "    fSuccessfullyConnected: bool\n\n    def",
                "    m_successfully_connected: bool\n\n    def",
            )
            .replace("self.fSuccessfullyConnected", "self.m_successfully_connected")
            .replace("pnode.fSuccessfullyConnected", "pnode.m_successfully_connected")
        )
        self.assertIn("other.fSuccessfullyConnected = True", after)
        self.assertIn("class Other:\n    fSuccessfullyConnected: bool", after)
        self.assertMigrates(
            SOURCE, after, member="CNode.fSuccessfullyConnected", to="m_successfully_connected"
        )

    def test_a_method_is_renamed_with_its_calls(self) -> None:
        out = self.apply(SOURCE, member="CNode.Unused", to="Spare")
        self.assertIn("    def Spare(self) -> int:\n        return self.Spare()\n", out)

    def test_applying_twice_equals_applying_once(self) -> None:
        self.assertIdempotent(
            SOURCE, member="CNode.fSuccessfullyConnected", to="m_successfully_connected"
        )

    def test_unannotated_receiver_is_an_error_naming_the_line(self) -> None:
        source = SOURCE + "\n\ndef f(n) -> None:\n    n.fSuccessfullyConnected = False\n"
        self.assertFails(
            source,
            "<module>:30: cannot tell whether `n`",
            member="CNode.fSuccessfullyConnected",
            to="m_successfully_connected",
        )
