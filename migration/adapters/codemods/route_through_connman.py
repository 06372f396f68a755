"""RouteThroughConnman: a net_processing call on a CNode becomes a call on CConnman by NodeId."""

from __future__ import annotations

import libcst as cst

from migration.domain.model import FunctionInfo, ParamKind

from .base import Arg, PackageCodemod
from .scopes import AttributeUse, Scope, ScopeKind


def forwarder_code(
    method: FunctionInfo, name: str, source: str, nodes: str, mutex: str, default: str | None
) -> str:
    """A CConnman method that finds the connection by id and calls ``method`` on it."""
    params = ["self", "nodeid: NodeId"]
    call_args = []
    for p in method.params[1:]:
        ann = f": {p.annotation_code}" if p.annotation_code else ""
        dflt = f" = {p.default_code}" if p.default_code else ""
        if p.kind is ParamKind.STAR:
            params.append(f"*{p.name}{ann}")
            call_args.append(f"*{p.name}")
        elif p.kind is ParamKind.STAR_STAR:
            params.append(f"**{p.name}{ann}")
            call_args.append(f"**{p.name}")
        elif p.kind is ParamKind.KEYWORD_ONLY:
            if "*" not in [x[:1] for x in params]:
                params.append("*")
            params.append(f"{p.name}{ann}{dflt}")
            call_args.append(f"{p.name}={p.name}")
        else:
            params.append(f"{p.name}{ann}{dflt}")
            call_args.append(p.name)
    returns = method.returns_code or "None"
    call = f"pnode.{method.name}({', '.join(call_args)})"
    if returns == "None":
        doc = f"{source}.{method.name} on the connection with this id; nothing once it is gone."
        found = [call, "return"]
        gone: list[str] = []
    else:
        doc = f"{source}.{method.name} of the connection with this id; {default} once it is gone."
        found = [f"return {call}"]
        gone = [f"return {default}"]
    lines = [
        f"def {name}({', '.join(params)}) -> {returns}:",
        f'    """{doc}"""',
        f"    with self.{mutex}:",
        f"        for pnode in self.{nodes}:",
        "            if pnode.GetId() == nodeid:",
        *(f"                {line}" for line in found),
        *(f"    {line}" for line in gone),
    ]
    return "\n".join(lines) + "\n"


class RouteThroughConnman(PackageCodemod):
    DESCRIPTION = (
        "Turn net_processing's `pnode.Method(args)` into `self.m_connman.Method(pnode.GetId(), "
        "args)`, creating the CConnman method that forwards to the CNode by id if asked."
    )
    ARGS = (
        Arg("method", "str", "the CNode method net_processing calls", required=True),
        Arg("connman_method", "str", "the CConnman method to call (default: the same name)"),
        Arg(
            "create",
            "str",
            "`forward`: add a CConnman method that finds the node by id and calls it; "
            "`none`: the CConnman method exists already",
            default="forward",
        ),
        Arg("default", "str", "for a method with a result: the value once the node is gone"),
        Arg(
            "connman",
            "str",
            "the attribute holding CConnman in net_processing",
            default="m_connman",
        ),
        Arg("connman_class", "str", "the class that owns the connections", default="CConnman"),
        Arg("nodes", "str", "CConnman's list of connections", default="m_nodes"),
        Arg("nodes_mutex", "str", "the lock guarding it", default="m_nodes_mutex"),
        Arg("source", "str", "the connection class", default="CNode"),
        Arg(
            "target", "str", "a class of net_processing (where calls are rewritten)", default="Peer"
        ),
    )

    def words(self) -> list[str]:
        return [self.arg_str("method")]

    def classes(self) -> list[str]:
        return [self.arg_str("connman_class")]

    def plan_edits(self, tree: cst.Module) -> None:
        src = self.find_class(self.arg_str("source"))
        tgt = self.find_class(self.arg_str("target"))
        connman = self.find_class(self.arg_str("connman_class"))
        method = self.arg_str("method")
        name = self.args["connman_method"]
        cm_name = name if isinstance(name, str) else method
        create = self.arg_str("create")
        here = self.module_name == connman.module
        if create not in ("forward", "none"):
            if here:
                self.problems.append(f"{self.display_path()}: create must be `forward` or `none`")
            return
        info = self.index.lookup_method(src, method)
        existing = self.index.lookup_method(connman, cm_name)
        if create == "none" and existing is None:
            if here:
                self.problems.append(
                    f"{self.display_path()}: {connman.name} has no {cm_name}; use create = "
                    "`forward` or add it first"
                )
            return
        if create == "forward" and existing is None:
            if info is None:
                if here:
                    self.problems.append(
                        f"{self.display_path()}: {src.name} has no method {method}"
                    )
                return
            default = self.args["default"]
            returns = info.returns_code or "None"
            if returns != "None" and not isinstance(default, str):
                if here:
                    self.problems.append(
                        f"{self.display_path()}: {src.name}.{method} returns {returns}; give the "
                        "step a `default` (the value once the connection is gone)"
                    )
                return
            if here and "NodeId" not in self.analysis.names:
                self.problems.append(
                    f"{self.display_path()}: the forwarder takes a NodeId, which this module "
                    "does not import; import it first"
                )
                return
            cm_node = self.class_node(tree, connman)
            if cm_node is not None:
                code = forwarder_code(
                    info,
                    cm_name,
                    src.name,
                    self.arg_str("nodes"),
                    self.arg_str("nodes_mutex"),
                    default if isinstance(default, str) else None,
                )
                stmt = cst.parse_statement(code)
                stmt = stmt.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
                self.edits.append_to_body(cm_node, [stmt])

        for use in self.analysis.uses:
            if use.node.attr.value != method:
                continue
            is_src = self.receiver_is(use, src)
            if is_src is None:
                self.unresolved(use, src)
                continue
            if not is_src or self.inside_class(use.scope, src) or self.module_name != tgt.module:
                continue
            if self.inside_class(use.scope, connman):
                continue  # the forwarder itself
            if use.call is None:
                self.problem(
                    use.node,
                    f"`{method}` is used without being called; only calls can be routed",
                )
                continue
            self._route(use, cm_name)

    def _owner(self, scope: Scope) -> str | None:
        attr = self.arg_str("connman")
        current: Scope | None = scope
        while current is not None:
            if (
                current.kind is ScopeKind.FUNCTION
                and current.self_name
                and current.cls
                and self.index.lookup_attr(current.cls, attr) is not None
            ):
                return current.self_name
            current = current.parent
        return None

    def _route(self, use: AttributeUse, cm_name: str) -> None:
        owner = self._owner(use.scope)
        if owner is None:
            self.problem(
                use.node,
                f"no `self.{self.arg_str('connman')}` in scope of {use.scope.qualname} to route "
                "the call through",
            )
            return
        call = use.call
        assert call is not None
        attr = self.arg_str("connman")

        def rewrite(node: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(node, cst.Call)
            func = node.func
            assert isinstance(func, cst.Attribute)
            node_id = cst.Arg(
                cst.Call(
                    func=cst.Attribute(value=func.value, attr=cst.Name("GetId")),
                )
            )
            args = [node_id, *node.args]
            # Keep the original commas; the new first argument gets a plain one.
            args[0] = node_id.with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                if len(args) > 1
                else cst.MaybeSentinel.DEFAULT
            )
            return node.with_changes(
                func=cst.Attribute(
                    value=cst.Attribute(value=cst.Name(owner), attr=cst.Name(attr)),
                    attr=cst.Name(cm_name),
                ),
                args=args,
            )

        self.edits.replace_node(call, rewrite)
