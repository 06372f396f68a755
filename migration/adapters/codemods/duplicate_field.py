"""DuplicateField: both layers keep a copy of connection state they both need."""

from __future__ import annotations

import libcst as cst

from migration.domain.model import ClassInfo

from .base import Arg, PackageCodemod
from .edits import method_node, receiver_setter
from .index import self_members
from .members import add_fields, add_methods, declaration_for, moved_code_imports
from .move_field import COMMON_ARGS
from .peers import PeerLocator
from .scopes import AttributeUse, ScopeKind


def _constructions(fn: cst.FunctionDef, class_name: str) -> list[tuple[cst.BaseStatement, str]]:
    """``name = Class(...)`` (or annotated) statements anywhere in ``fn``."""
    found: list[tuple[cst.BaseStatement, str]] = []

    class _Find(cst.CSTVisitor):
        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            for small in node.body:
                target: cst.BaseExpression | None = None
                value: cst.BaseExpression | None = None
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value = small.targets[0].target, small.value
                elif isinstance(small, cst.AnnAssign):
                    target, value = small.target, small.value
                if (
                    isinstance(target, cst.Name)
                    and isinstance(value, cst.Call)
                    and isinstance(value.func, cst.Name)
                    and value.func.value == class_name
                ):
                    found.append((node, target.value))

    fn.visit(_Find())
    return found


def _is_fill(stmt: cst.BaseStatement | None, peer: str, node: str, field: str) -> bool:
    """``<peer>.<field> = <node>.<field>``"""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return False
    target, value = small.targets[0].target, small.value
    return (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == peer
        and target.attr.value == field
        and isinstance(value, cst.Attribute)
        and isinstance(value.value, cst.Name)
        and value.value.value == node
        and value.attr.value == field
    )


class DuplicateField(PackageCodemod):
    DESCRIPTION = (
        "Give Peer its own copy of a CNode member both layers need: declared and initialized in "
        "Peer, filled in InitializeNode from the CNode, and every net_processing access through a "
        "CNode-annotated receiver rewritten to the Peer in scope. CNode keeps its copy."
    )
    ARGS = (
        Arg("field", "str", "the CNode data member to duplicate", required=True),
        Arg(
            "init",
            "str",
            "Peer's initial value, as code (default: CNode's, when it needs nothing from "
            "CNode.__init__)",
        ),
        Arg(
            "methods",
            "list",
            "CNode methods that read only the duplicated field: Peer gets a copy of each, and "
            "net_processing's calls go to it",
        ),
        Arg(
            "fill_in",
            "str",
            "the method that creates the Peer from the CNode and fills the copy",
            default="PeerManagerImpl.InitializeNode",
        ),
        *COMMON_ARGS,
    )

    def words(self) -> list[str]:
        return [self.arg_str("field"), *self.arg_list("methods")]

    def classes(self) -> list[str]:
        return [self.arg_str("target"), self.arg_str("fill_in").rpartition(".")[0]]

    def plan_edits(self, tree: cst.Module) -> None:
        src = self.find_class(self.arg_str("source"))
        tgt = self.find_class(self.arg_str("target"))
        name = self.arg_str("field")
        fill_cls, fill_info = self.index.find_method(self.arg_str("fill_in"))
        if name not in src.attrs:
            if self.module_name == src.module:
                self.problems.append(
                    f"{self.display_path()}: {src.name} has no member {name} to duplicate"
                )
            return
        attr = src.attrs[name]
        decl = declaration_for(attr)
        init = self.args["init"]
        if not isinstance(init, str):
            needs = attr.init_names & (src.init_params | {"self"})
            init = attr.init_code if attr.init_code is not None and not needs else None
        if decl is None and self.module_name == tgt.module:
            self.problems.append(
                f"{self.display_path()}: {src.name}.{name} has no annotation to give "
                f"{tgt.name}'s copy; annotate it in {src.name}'s class body"
            )
            return
        if init is None and self.module_name == tgt.module:
            self.problems.append(
                f"{self.display_path()}: {src.name}.{name} starts as `{attr.init_code}`, which "
                f"{tgt.name} cannot compute; give the step an `init` argument (code for "
                f"{tgt.name}'s value until {self.arg_str('fill_in')} fills it)"
            )
            return

        node_param = next(
            (
                p.name
                for p in fill_info.params
                if p.annotation is not None and p.annotation.name == src.key
            ),
            None,
        )
        peer_for = dict(self.arg_map("peer_for"))
        fill_stmt: cst.BaseStatement | None = None
        peer_var: str | None = None
        fill_cls_node = self.class_node(tree, fill_cls)
        fill_node = method_node(fill_cls_node, fill_info.name) if fill_cls_node else None
        if fill_node is not None:
            made = _constructions(fill_node, tgt.name)
            if len(made) != 1 or node_param is None:
                self.problem(
                    fill_node,
                    f"{self.arg_str('fill_in')} must take one {src.name} parameter and create "
                    f"exactly one {tgt.name} (`peer = {tgt.name}(...)`) to fill the copy in",
                )
                return
            fill_stmt, peer_var = made[0]
            peer_for.setdefault(self.arg_str("fill_in"), peer_var)

        tgt_node = self.class_node(tree, tgt)
        if tgt_node is not None and decl is not None:
            after = self.args["after"]
            add_fields(
                self.edits,
                tgt_node,
                tgt,
                [(name, decl, init)],
                after if isinstance(after, str) else None,
            )

        methods = [m for m in self.arg_list("methods")]
        for method in methods:
            info = src.methods.get(method)
            if info is None:
                if self.module_name == src.module:
                    self.problems.append(
                        f"{self.display_path()}: {src.name} has no method {method} to copy"
                    )
                return
            stays = sorted(self_members(info) - {name, *methods})
            if stays:
                if self.module_name == src.module:
                    self.problems.append(
                        f"{self.display_path()}: {src.name}.{method} uses {', '.join(stays)}, "
                        f"which {tgt.name} has no copy of; leave it out of `methods`"
                    )
                return
        if tgt_node is not None:
            copied = [src.methods[m] for m in methods]
            add_methods(self.edits, tgt_node, tgt, copied)
            new_methods = [m for m in methods if m not in tgt.methods]
            extra = [init or "", attr.annotation_code or ""] if name not in tgt.attrs else []
            for message in moved_code_imports(
                self.index, self.edits, tree, src, tgt, [], new_methods, extra
            ):
                self.problems.append(f"{self.display_path()}: {message}")

        if fill_node is not None and fill_stmt is not None and peer_var and node_param:
            already = any(
                _is_fill(s, peer_var, node_param, name)
                for s in (
                    fill_node.body.body if isinstance(fill_node.body, cst.IndentedBlock) else ()
                )
            )
            if not already:
                self.edits.insert_after(
                    fill_stmt,
                    [cst.parse_statement(f"{peer_var}.{name} = {node_param}.{name}\n")],
                )

        locator = PeerLocator(self, src, tgt, peer_for)
        members = {name, *methods}
        for use in self.analysis.uses:
            if use.node.attr.value not in members:
                continue
            is_src = self.receiver_is(use, src)
            if is_src is None:
                self.unresolved(use, src)
                continue
            if not is_src or self.inside_class(use.scope, src) or self.module_name != tgt.module:
                continue
            if self._in_fill(use, fill_info.name, fill_cls):
                continue  # where the copy is made, the CNode is the source of truth
            peer = locator.peer_name(use)
            if peer is not None:
                self.edits.replace_node(use.node, receiver_setter(peer))
        locator.schedule(self.edits)

    def _in_fill(self, use: AttributeUse, fill: str, fill_cls: ClassInfo) -> bool:
        fn = use.scope.function()
        while fn is not None and fn.parent is not None and fn.parent.kind is not ScopeKind.CLASS:
            fn = fn.parent.function()
        if fn is None or fn.name != fill or fn.parent is None:
            return False
        return fn.parent.cls is fill_cls
