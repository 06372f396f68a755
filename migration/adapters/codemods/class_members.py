"""RemoveMethod and RenameMember: tidying a class once the migration has changed who uses what."""

from __future__ import annotations

import libcst as cst

from migration.domain.model import ClassInfo

from .base import Arg, PackageCodemod
from .edits import declarations, method_node, slots_assign
from .members import remove_methods


def _split(dotted: str) -> tuple[str, str]:
    cls, _, member = dotted.rpartition(".")
    return cls, member


class RemoveMethod(PackageCodemod):
    DESCRIPTION = (
        "Remove a method nothing calls any more. Any remaining use through a receiver annotated "
        "with the class (or one no annotation resolves) is an error naming the place."
    )
    ARGS = (Arg("method", "str", "Class.method to remove", required=True),)

    def words(self) -> list[str]:
        return [_split(self.arg_str("method"))[1]]

    def plan_edits(self, tree: cst.Module) -> None:
        cls_name, name = _split(self.arg_str("method"))
        cls = self.find_class(cls_name)
        for use in self.analysis.uses:
            if use.node.attr.value != name:
                continue
            fn = use.scope.function()
            if fn is not None and fn.name == name and self.inside_class(use.scope, cls):
                continue  # the method's own body
            is_cls = self.receiver_is(use, cls)
            if is_cls is None:
                self.unresolved(use, cls)
            elif is_cls:
                self.problem(
                    use.node,
                    f"{use.scope.qualname} still uses {cls.name}.{name}; remove or route that "
                    "use in an earlier step",
                )
        node = self.class_node(tree, cls)
        if node is not None and not self.problems:
            remove_methods(self.edits, node, {name})


class RenameMember(PackageCodemod):
    DESCRIPTION = (
        "Rename a member of a class: its __slots__ entry, declaration, __init__ assignment or "
        "def, and every access through a receiver annotated with the class."
    )
    ARGS = (
        Arg("member", "str", "Class.old_name", required=True),
        Arg("to", "str", "the new name", required=True),
    )

    def words(self) -> list[str]:
        return [_split(self.arg_str("member"))[1]]

    def plan_edits(self, tree: cst.Module) -> None:
        cls_name, old = _split(self.arg_str("member"))
        new = self.arg_str("to")
        cls = self.find_class(cls_name)
        if cls.module == self.module_name and new in cls.members() and old in cls.members():
            self.problems.append(f"{self.display_path()}: {cls.name} already has {new}")
            return
        node = self.class_node(tree, cls)
        if node is not None:
            self._rename_in_class(node, cls, old, new)
        for use in self.analysis.uses:
            if use.node.attr.value != old:
                continue
            is_cls = self.receiver_is(use, cls)
            if is_cls is None:
                self.unresolved(use, cls)
            elif is_cls:
                self.edits.replace_node(
                    use.node,
                    lambda n: (
                        n.with_changes(attr=cst.Name(new)) if isinstance(n, cst.Attribute) else n
                    ),
                )

    def _rename_in_class(self, node: cst.ClassDef, cls: ClassInfo, old: str, new: str) -> None:
        """The declarations; ``self.old`` in the class's methods is renamed as a use."""
        slots = slots_assign(node)
        if slots is not None:

            def rename_slot(n: cst.CSTNode) -> cst.CSTNode:
                assert isinstance(n, cst.Assign)
                value = n.value
                if not isinstance(value, cst.Tuple | cst.List):
                    return n
                elements = [
                    e.with_changes(value=cst.SimpleString(f'"{new}"'))
                    if isinstance(e.value, cst.SimpleString) and e.value.evaluated_value == old
                    else e
                    for e in value.elements
                ]
                return n.with_changes(value=value.with_changes(elements=elements))

            self.edits.replace_node(slots[1], rename_slot)
        decl = declarations(node).get(old)
        if decl is not None:
            ann = decl.body[0]
            self.edits.replace_node(
                ann,
                lambda n: (
                    n.with_changes(target=cst.Name(new)) if isinstance(n, cst.AnnAssign) else n
                ),
            )
        fn = method_node(node, old)
        if fn is not None:
            self.edits.replace_node(
                fn.name, lambda n: cst.Name(new) if isinstance(n, cst.Name) else n
            )
