"""Finding the Peer that goes with a CNode receiver in net_processing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from migration.domain.model import ClassInfo, TypeRef

from .base import PackageCodemod
from .edits import Edits
from .scopes import AttributeUse, Scope, ScopeKind


@dataclass
class PeerFetch:
    scope: Scope
    receiver: str
    name: str
    #: Insert after this statement; None means at the start of the function body.
    after: cst.BaseStatement | None


class PeerLocator:
    """Finds, for a CNode receiver in net_processing, the Peer of the same connection:

    1. the step's ``peer_for`` argument (``Class.method=name``);
    2. the only Peer-annotated parameter next to the only CNode-annotated one;
    3. a local already assigned ``self.GetPeerRef(<receiver>.GetId())``;
    4. otherwise it fetches one the way upstream does, at the top of the function (or right
       after the annotated assignment that binds the receiver)::

           peer = self.GetPeerRef(pnode.GetId())
           assert peer is not None
    """

    def __init__(
        self,
        codemod: PackageCodemod,
        source: ClassInfo,
        target: ClassInfo,
        peer_for: Mapping[str, str],
        id_method: str = "GetId",
        get_peer: str = "GetPeerRef",
    ) -> None:
        self.c = codemod
        self.source = source
        self.target = target
        self.peer_for = peer_for
        self.id_method = id_method
        self.get_peer = get_peer
        self.fetches: dict[tuple[int, str], PeerFetch] = {}

    def _is(self, t: TypeRef | None, cls: ClassInfo) -> bool:
        if t is None:
            return False
        own = self.c.index.classes.get(t.name)
        return own is not None and cls in self.c.index.mro(own)

    def _binding_scope(self, name: str, scope: Scope) -> Scope | None:
        current: Scope | None = scope
        while current is not None and current.kind is not ScopeKind.MODULE:
            if current.kind is not ScopeKind.CLASS and current.binds(name):
                return current
            current = current.parent
        return None

    def peer_name(self, use: AttributeUse) -> str | None:
        recv = use.node.value
        member = use.node.attr.value
        if not isinstance(recv, cst.Name):
            code = self.c.analysis.tree.code_for_node(recv)
            self.c.problem(
                use.node,
                f"`{code}.{member}`: the {self.source.name} is not held in a plain name, so there "
                f"is no {self.target.name} to pair it with; bind it to an annotated name first",
            )
            return None
        fn = use.scope.function()
        if fn is not None:
            explicit = self.peer_for.get(fn.qualname)
            if explicit is not None:
                return explicit
        scope = self._binding_scope(recv.value, use.scope)
        if scope is None or scope.kind is not ScopeKind.FUNCTION:
            self.c.problem(
                use.node,
                f"`{recv.value}.{member}`: `{recv.value}` is bound by a comprehension or lambda, "
                f"where no {self.target.name} can be fetched; write it as a loop over annotated "
                "names first",
            )
            return None
        if recv.value in scope.params:
            sources = [p for p, t in scope.params.items() if self._is(t, self.source)]
            targets = [p for p, t in scope.params.items() if self._is(t, self.target)]
            if len(sources) == 1 and len(targets) == 1:
                return targets[0]
        for locals_ in (scope.assigned, scope.annotated_values):
            for local, values in locals_.items():
                if len(values) == 1 and self._is_lookup(values[0], recv.value):
                    return local
        return self._fetch(use, scope, recv.value)

    def _is_lookup(self, expr: cst.BaseExpression, receiver: str) -> bool:
        """``<self>.GetPeerRef(<receiver>.GetId())``"""
        return (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value == self.get_peer
            and len(expr.args) == 1
            and isinstance(expr.args[0].value, cst.Call)
            and isinstance(expr.args[0].value.func, cst.Attribute)
            and expr.args[0].value.func.attr.value == self.id_method
            and isinstance(expr.args[0].value.func.value, cst.Name)
            and expr.args[0].value.func.value.value == receiver
        )

    def _fetch(self, use: AttributeUse, scope: Scope, receiver: str) -> str | None:
        key = (id(scope), receiver)
        if key in self.fetches:
            return self.fetches[key].name
        owner = self.c.analysis.enclosing_self(scope, self.get_peer)
        if owner is None:
            self.c.problem(
                use.node,
                f"`{receiver}.{use.node.attr.value}` in {scope.qualname}: no {self.target.name} "
                f"in hand and no `self` with {self.get_peer} to fetch one; give the function a "
                f"{self.target.name} parameter and name it with the step's peer_for argument",
            )
            return None
        after: cst.BaseStatement | None = None
        if receiver not in scope.params:
            after = self._annotated_binding(scope, receiver)
            if after is None:
                self.c.problem(
                    use.node,
                    f"`{receiver}` in {scope.qualname} is not a parameter or an annotated "
                    f"assignment, so there is no single place to fetch its {self.target.name}; "
                    "make it one, or name the Peer with the step's peer_for argument",
                )
                return None
        taken = {f.name for f in self.fetches.values() if f.scope is scope}
        name = next(
            n
            for n in (
                "peer",
                f"{receiver}_peer" if receiver != "peer" else "peerref",
                *(f"peer{i}" for i in range(2, 100)),
            )
            if n not in scope.used_names and n not in taken
        )
        self.fetches[key] = PeerFetch(scope, receiver, name, after)
        return name

    def _annotated_binding(self, scope: Scope, name: str) -> cst.BaseStatement | None:
        fn = scope.node
        if not isinstance(fn, cst.FunctionDef) or not isinstance(fn.body, cst.IndentedBlock):
            return None
        for stmt in fn.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if (
                        isinstance(small, cst.AnnAssign)
                        and isinstance(small.target, cst.Name)
                        and small.target.value == name
                        and small.value is not None
                    ):
                        return stmt
        return None

    def schedule(self, edits: Edits) -> None:
        """Add the fetch statements to ``edits``."""
        for fetch in self.fetches.values():
            owner = self.c.analysis.enclosing_self(fetch.scope, self.get_peer) or "self"
            statements = [
                cst.parse_statement(
                    f"{fetch.name} = {owner}.{self.get_peer}({fetch.receiver}.{self.id_method}())\n"
                ),
                cst.parse_statement(f"assert {fetch.name} is not None\n"),
            ]
            fn = fetch.scope.node
            assert isinstance(fn, cst.FunctionDef)
            if fetch.after is None:
                edits.prepend_to_body(fn, statements)
            else:
                edits.insert_after(fetch.after, statements)
