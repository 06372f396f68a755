"""MoveField: members only net_processing needs leave CNode and join Peer."""

from __future__ import annotations

import libcst as cst

from migration.domain.census import AccessKind
from migration.domain.model import ClassInfo, NotInPackage

from .base import Arg, PackageCodemod
from .edits import last_top_level_return, method_node, receiver_setter, rename_receiver
from .index import definition, self_members
from .members import (
    add_fields,
    add_methods,
    declaration_for,
    moved_code_imports,
    remove_fields,
    remove_methods,
)
from .peers import PeerLocator
from .scopes import AttributeUse

COMMON_ARGS = (
    Arg(
        "peer_for",
        "map",
        "Class.method=name: in that function, use the Peer called `name` (a parameter or local) "
        "instead of pairing or fetching one",
    ),
    Arg("after", "str", "the Peer member to add the new ones after (default: the last)"),
    Arg("source", "str", "the connection class", default="CNode"),
    Arg("target", "str", "the per-peer class of net_processing", default="Peer"),
)

STATS_ARGS = (
    Arg(
        "stats",
        "flag",
        "also move the getpeerinfo stats of the moved fields: their CNode.CopyStats lines "
        "become PeerManagerImpl.GetNodeStateStats lines, and their CNodeStats fields become "
        "CNodeStateStats fields",
    ),
    Arg("copy_stats", "str", "the connection's stats method", default="CNode.CopyStats"),
    Arg(
        "fill_stats",
        "str",
        "net_processing's per-peer stats method",
        default="PeerManagerImpl.GetNodeStateStats",
    ),
    Arg("stats_from", "str", "net's stats record", default="CNodeStats"),
    Arg("stats_to", "str", "net_processing's stats record", default="CNodeStateStats"),
)


def stats_statements(
    fn: cst.FunctionDef, self_name: str, moved: set[str]
) -> tuple[list[tuple[cst.BaseStatement, set[str]]], list[cst.CSTNode]]:
    """Top-level statements of a CopyStats-like method that touch ``moved`` members, each with
    the stats attributes it fills; and nodes that touch them in any other shape."""
    found: list[tuple[cst.BaseStatement, set[str]]] = []
    bad: list[cst.CSTNode] = []
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    for stmt in body:
        touched = _self_uses(stmt, self_name) & moved
        if not touched:
            continue
        inner: list[cst.BaseStatement] = [stmt]
        if isinstance(stmt, cst.With) and isinstance(stmt.body, cst.IndentedBlock):
            lock_uses = {_self_attr(item.item, self_name) for item in stmt.items} - {None}
            if not lock_uses <= moved:
                bad.append(stmt)
                continue
            inner = list(stmt.body.body)
        stats_attrs: set[str] = set()
        for s in inner:
            pair = _stats_copy(s, self_name)
            if pair is None or pair[1] not in moved:
                bad.append(s)
            else:
                stats_attrs.add(pair[0])
        if not any(b in inner or b is stmt for b in bad):
            found.append((stmt, stats_attrs))
    return found, bad


def _self_attr(expr: cst.BaseExpression, self_name: str) -> str | None:
    if (
        isinstance(expr, cst.Attribute)
        and isinstance(expr.value, cst.Name)
        and expr.value.value == self_name
    ):
        return expr.attr.value
    return None


def _self_uses(node: cst.CSTNode, self_name: str) -> set[str]:
    found: set[str] = set()

    class _Collect(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> None:
            name = _self_attr(n, self_name)
            if name is not None:
                found.add(name)

    node.visit(_Collect())
    return found


def _stats_copy(stmt: cst.BaseStatement, self_name: str) -> tuple[str, str] | None:
    """``stats.X = self.Y`` as (X, Y)."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    target = small.targets[0].target
    value = _self_attr(small.value, self_name)
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and value:
        return target.attr.value, value
    return None


def _peer_local(fn: cst.FunctionDef, get_peer: str) -> str | None:
    """The local a stats method assigns ``self.GetPeerRef(...)`` to."""
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            small = stmt.body[0]
            target: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
            elif isinstance(small, cst.AnnAssign):
                target = small.target
            value = small.value if isinstance(small, cst.Assign | cst.AnnAssign) else None
            if (
                isinstance(target, cst.Name)
                and isinstance(value, cst.Call)
                and isinstance(value.func, cst.Attribute)
                and value.func.attr.value == get_peer
            ):
                return target.value
    return None


class MoveField(PackageCodemod):
    DESCRIPTION = (
        "Move CNode members that only net_processing needs into Peer: out of CNode's "
        "__slots__/declarations/__init__, into Peer's, and every net_processing access through "
        "a CNode-annotated receiver rewritten to the Peer in scope."
    )
    ARGS = (
        Arg("fields", "list", "the CNode data members to move", required=True),
        Arg("methods", "list", "CNode methods that use only moved members, moved along"),
        *STATS_ARGS,
        *COMMON_ARGS,
    )

    def words(self) -> list[str]:
        return [*self.arg_list("fields"), *self.arg_list("methods")]

    def classes(self) -> list[str]:
        names = [self.arg_str("source"), self.arg_str("target")]
        if self.arg_flag("stats"):
            names += [self.arg_str("stats_from"), self.arg_str("stats_to")]
            names.append(self.arg_str("fill_stats").rpartition(".")[0])
        return names

    def plan_edits(self, tree: cst.Module) -> None:
        src = self.find_class(self.arg_str("source"))
        tgt = self.find_class(self.arg_str("target"))
        fields = self.arg_list("fields")
        methods = self.arg_list("methods")
        moving = set(fields) | set(methods)
        report_here = self.module_name == src.module
        src_attrs = {f for f in fields if f in src.attrs}
        src_methods = {m for m in methods if m in src.methods}
        for name in fields:
            in_src, in_tgt = name in src.attrs, self.index.lookup_attr(tgt, name) is not None
            if report_here and in_src and in_tgt:
                self.problems.append(
                    f"{self.display_path()}: both {src.name} and {tgt.name} have {name}; "
                    "MoveField moves a member one has (DuplicateField keeps two copies)"
                )
            if report_here and not in_src and not in_tgt:
                self.problems.append(f"{self.display_path()}: {src.name} has no member {name}")
        for name in methods:
            if report_here and name not in src.methods and name not in tgt.methods:
                self.problems.append(f"{self.display_path()}: {src.name} has no method {name}")
        if report_here:
            self._check_movable(src, tgt, src_attrs, src_methods, moving)
        if self.problems:
            return

        stats = self.arg_flag("stats")
        copy_cls: ClassInfo | None = None
        copy_name = ""
        copy_self = "self"
        stats_moves: list[tuple[cst.BaseStatement, set[str]]] = []
        try:
            copy_cls, copy_fn_info = self.index.find_method(self.arg_str("copy_stats"))
        except NotInPackage:
            if stats and report_here:
                self.problems.append(
                    f"{self.display_path()}: `stats = true` but there is no "
                    f"{self.arg_str('copy_stats')}; name the stats method with copy_stats"
                )
        else:
            copy_name = copy_fn_info.name
            copy_self = copy_fn_info.params[0].name if copy_fn_info.params else "self"
            copy_tree = definition(copy_fn_info)
            stats_moves, _ = stats_statements(copy_tree, copy_self, src_attrs)
        stat_attrs: set[str] = set()
        for _, attrs in stats_moves:
            stat_attrs |= attrs

        src_node = self.class_node(tree, src)
        if src_node is not None:
            remove_fields(self.edits, src_node, src_attrs)
            remove_methods(self.edits, src_node, src_methods)
            copy_node = method_node(src_node, copy_name) if copy_cls is src else None
            if copy_node is not None:
                found, bad = stats_statements(copy_node, copy_self, src_attrs)
                for node in bad:
                    self.problem(
                        node,
                        f"{self.arg_str('copy_stats')} uses a moved member in a form other than "
                        "`stats.X = self.Y` (optionally under a moved lock); move that line by "
                        "hand in a patch step first",
                    )
                if found and not stats:
                    self.problem(
                        found[0][0],
                        f"{self.arg_str('copy_stats')} reports a moved member; pass `stats = true` "
                        f"to move the report to {self.arg_str('fill_stats')}",
                    )
                for stmt, _ in found:
                    self.edits.remove.add(stmt)

        tgt_node = self.class_node(tree, tgt)
        if tgt_node is not None:
            new_fields = []
            for name in fields:
                if name not in src.attrs:
                    continue
                attr = src.attrs[name]
                decl = declaration_for(attr)
                assert decl is not None
                new_fields.append((name, decl, attr.init_code))
            after = self.args["after"]
            add_fields(
                self.edits, tgt_node, tgt, new_fields, after if isinstance(after, str) else None
            )
            add_methods(
                self.edits, tgt_node, tgt, [src.methods[m] for m in methods if m in src_methods]
            )
            self._imports(tree, src, tgt, src_attrs, src_methods)

        if stats and stats_moves:
            self._move_stats(tree, stats_moves, stat_attrs, copy_self)

        self._rewrite_uses(src, tgt, moving, stat_attrs)

    def _check_movable(
        self,
        src: ClassInfo,
        tgt: ClassInfo,
        attrs: set[str],
        methods: set[str],
        moving: set[str],
    ) -> None:
        where = self.display_path()
        for name in sorted(attrs):
            attr = src.attrs[name]
            if declaration_for(attr) is None:
                self.problems.append(
                    f"{where}: {src.name}.{name} has no annotation to move; annotate it in "
                    f"{src.name}'s class body"
                )
            if attr.init_code is None:
                self.problems.append(
                    f"{where}: {src.name}.__init__ does not assign {name}, so there is no "
                    f"initial value to give {tgt.name}"
                )
            elif attr.init_names & (src.init_params | {"self"}):
                used = ", ".join(sorted(attr.init_names & (src.init_params | {"self"})))
                self.problems.append(
                    f"{where}: {src.name}.{name} starts as `{attr.init_code}`, which needs "
                    f"{src.name}.__init__'s {used}; {tgt.name} cannot compute it. Use "
                    "DuplicateField (Peer's copy is filled in InitializeNode)"
                )
        for name in sorted(methods):
            info = src.methods[name]
            stays = sorted(self_members(info) - moving)
            if stays:
                self.problems.append(
                    f"{where}: {src.name}.{name} uses {', '.join(stays)}, which stay in "
                    f"{src.name}; move them too or leave {name} out of `methods`"
                )

    def _imports(
        self, tree: cst.Module, src: ClassInfo, tgt: ClassInfo, attrs: set[str], methods: set[str]
    ) -> None:
        for message in moved_code_imports(self.index, self.edits, tree, src, tgt, attrs, methods):
            self.problems.append(f"{self.display_path()}: {message}")

    def _move_stats(
        self,
        tree: cst.Module,
        moves: list[tuple[cst.BaseStatement, set[str]]],
        stat_attrs: set[str],
        copy_self: str,
    ) -> None:
        stats_from = self.find_class(self.arg_str("stats_from"))
        stats_to = self.find_class(self.arg_str("stats_to"))
        from_node = self.class_node(tree, stats_from)
        if from_node is not None:
            remove_fields(self.edits, from_node, stat_attrs & set(stats_from.attrs))
        to_node = self.class_node(tree, stats_to)
        if to_node is not None:
            new = []
            for name in sorted(
                stat_attrs,
                key=lambda n: list(stats_from.attrs).index(n) if n in stats_from.attrs else 0,
            ):
                if name in stats_from.attrs:
                    decl = declaration_for(stats_from.attrs[name])
                    if decl is not None:
                        new.append((name, decl, None))
            add_fields(self.edits, to_node, stats_to, new, None)
        fill_cls, fill_info = self.index.find_method(self.arg_str("fill_stats"))
        fill_cls_node = self.class_node(tree, fill_cls)
        fill_node = method_node(fill_cls_node, fill_info.name) if fill_cls_node else None
        if fill_node is None:
            return
        peer = _peer_local(fill_node, "GetPeerRef")
        if peer is None:
            self.problem(
                fill_node,
                f"{self.arg_str('fill_stats')} has no `peer = self.GetPeerRef(...)` local to "
                "read the moved stats from",
            )
            return
        statements = [rename_receiver(stmt, copy_self, peer) for stmt, _ in moves]
        anchor = last_top_level_return(fill_node)
        if anchor is not None:
            self.edits.insert_before(anchor, statements)
        else:
            self.edits.append_to_body(fill_node, statements)

    def _rewrite_uses(
        self, src: ClassInfo, tgt: ClassInfo, moving: set[str], stat_attrs: set[str]
    ) -> None:
        copy_stats_method = self.arg_str("copy_stats")
        locator = PeerLocator(self, src, tgt, self.arg_map("peer_for"))
        try:
            stats_from: ClassInfo | None = self.index.find_class(self.arg_str("stats_from"))
        except NotInPackage:
            stats_from = None
        for use in self.analysis.uses:
            name = use.node.attr.value
            if name not in moving:
                continue
            is_src = self.receiver_is(use, src)
            if is_src is None:
                if self._inside_moved_code(use, src, moving, copy_stats_method):
                    continue
                self.unresolved(use, src)
                continue
            if not is_src:
                continue
            if self.inside_class(use.scope, src):
                if not self._inside_moved_code(use, src, moving, copy_stats_method):
                    fn = use.scope.function()
                    self.problem(
                        use.node,
                        f"{fn.qualname if fn else src.name} still uses {name}, which leaves "
                        f"{src.name}; move that use first (or move the method along with "
                        "`methods`)",
                    )
                continue
            if self.module_name != tgt.module:
                fn = use.scope.function()
                self.problem(
                    use.node,
                    f"{fn.qualname if fn else '<module>'} uses {src.name}.{name} outside "
                    f"{tgt.module}; it must stop (cross the interface as data, or use "
                    "DuplicateField) before the member can move",
                )
                continue
            self._rewrite(use, locator)
        locator.schedule(self.edits)
        if self.arg_flag("stats") and stats_from is not None and stat_attrs:
            self._rewrite_stats_readers(stats_from, stat_attrs)

    def _rewrite_stats_readers(self, stats_from: ClassInfo, stat_attrs: set[str]) -> None:
        """Readers of a moved stat (getpeerinfo) read it from the function's CNodeStateStats."""
        stats_to = self.find_class(self.arg_str("stats_to"))
        for use in self.analysis.uses:
            if use.node.attr.value not in stat_attrs:
                continue
            fn = use.scope.function()
            if fn is not None and fn.qualname == self.arg_str("copy_stats"):
                continue
            is_from = self.receiver_is(use, stats_from)
            if is_from is None:
                self.unresolved(use, stats_from)
                continue
            if not is_from:
                continue
            holders = self.analysis.locals_of_class(use.scope, stats_to)
            if len(holders) != 1:
                self.problem(
                    use.node,
                    f"reads {stats_from.name}.{use.node.attr.value}, which this step moves to "
                    f"{stats_to.name}, and {fn.qualname if fn else 'this code'} has "
                    f"{'no' if not holders else 'more than one'} {stats_to.name} to read it "
                    "from; fetch one (GetNodeStateStats) first",
                )
                continue
            self.edits.replace_node(use.node, receiver_setter(holders[0]))

    def _inside_moved_code(
        self, use: AttributeUse, src: ClassInfo, moving: set[str], copy_stats: str
    ) -> bool:
        """Uses inside the code this step removes from the source class (its ``__init__``
        initializers, moved methods, moved CopyStats lines)."""
        fn = use.scope.function()
        if fn is None or not self.inside_class(use.scope, src):
            return False
        method = fn.qualname.split(".")
        if len(method) >= 2 and method[-2] == src.name:
            if method[-1] in moving:
                return True
            if method[-1] == "__init__":
                # Only the initializers, which leave with the member.
                return use.kind is AccessKind.WRITE
            if f"{src.name}.{method[-1]}" == copy_stats:
                return True
        return False

    def _rewrite(self, use: AttributeUse, locator: PeerLocator) -> None:
        peer = locator.peer_name(use)
        if peer is None:
            return
        self.edits.replace_node(use.node, receiver_setter(peer))
