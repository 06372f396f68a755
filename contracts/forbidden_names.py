"""``forbidden_names``: a module never names an identifier.

An import contract sees ``from .net import CNode``; it does not see ``pfrom: "CNode"`` in a
module that no longer imports net, nor ``net.CNode`` reached through some other import. This
contract reads the module's syntax tree and reports every place an identifier is *named*:

- a name (``CNode``) or an attribute (``net.CNode``), read, written or deleted;
- an import of it or an ``as`` alias (``from .net import CNode``, ``import x as CNode``);
- a definition: class, function, parameter, keyword argument, ``global``/``nonlocal``, a
  ``match`` capture;
- a string that is a type: a string anywhere inside an annotation (``"CNode"``,
  ``list["CNode"]``) or the type argument of ``cast("CNode", x)``, parsed as an expression.
  Strings inside ``Literal[...]`` are values, not types, and are left alone.

Docstrings, comments and other strings are prose and are not names: "upstream's CNode" in a
docstring is fine. Names match exactly: ``CNodeState`` is not ``CNode``.

Options:
    modules:   the modules to check (module expressions; a package includes its descendants).
    names:     the identifiers they must not name.
    broken_contract_guidance: text shown under a broken contract (optional).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import Any, cast

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain.imports import ModuleExpression

from .source import expand, mentions, module_nodes


class ForbiddenNamesContract(Contract):
    type_name = "forbidden_names"

    modules = fields.ListField(subfield=fields.ModuleExpressionField())
    names = fields.SetField(subfield=fields.StringField())
    broken_contract_guidance = fields.TextField(required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        names = cast(set[str], self.names)
        violations: list[dict[str, Any]] = []
        for module in expand(graph, cast(list[ModuleExpression], self.modules)):
            if not mentions(module, names):
                continue
            output.verbose_print(verbose, f"Looking for {', '.join(sorted(names))} in {module}...")
            for line, name, how in named_identifiers(module_nodes(module)):
                if name in names:
                    violations.append({"module": module, "line": line, "name": name, "how": how})
        violations.sort(key=lambda v: (v["module"], v["line"], v["name"]))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        by_module: dict[str, list[dict[str, Any]]] = {}
        for v in check.metadata["violations"]:
            by_module.setdefault(v["module"], []).append(v)
        for module, found in by_module.items():
            output.print_error(f"{module} names {', '.join(sorted({v['name'] for v in found}))}:")
            output.new_line()
            for v in found:
                text = f"-   {module}:{v['line']}: {v['name']} ({v['how']})"
                output.print_error(text, bold=False)
            output.new_line()
        guidance = cast(str | None, self.broken_contract_guidance)
        if guidance:
            output.print(guidance)


def named_identifiers(nodes: Iterable[ast.AST]) -> Iterator[tuple[int, str, str]]:
    """Every identifier the nodes name (give it ``ast.walk(tree)``), as (line, identifier, how
    it is named)."""
    for node in nodes:
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name):
            yield line, node.id, "name"
        elif isinstance(node, ast.Attribute):
            yield line, node.attr, "attribute"
        elif isinstance(node, ast.alias):
            for part in node.name.split("."):
                yield line, part, "import"
            if node.asname:
                yield line, node.asname, "import alias"
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield line, node.name, "definition"
        elif isinstance(node, ast.arg):
            yield line, node.arg, "parameter"
        elif isinstance(node, ast.keyword) and node.arg is not None:
            yield line, node.arg, "keyword argument"
        elif isinstance(node, ast.Global | ast.Nonlocal):
            for name in node.names:
                yield line, name, "global"
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name is not None:
            yield line, node.name, "match capture"
        elif isinstance(node, ast.MatchMapping) and node.rest is not None:
            yield line, node.rest, "match capture"
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            yield from _annotation_strings(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            yield from _annotation_strings(node.returns)
        elif isinstance(node, ast.Call) and _is_cast(node.func) and node.args:
            yield from _annotation_strings(node.args[0])


def _is_cast(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "cast") or (
        isinstance(func, ast.Attribute) and func.attr == "cast"
    )


def _is_literal(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "Literal") or (
        isinstance(node, ast.Attribute) and node.attr == "Literal"
    )


def _annotation_strings(annotation: ast.expr) -> Iterator[tuple[int, str, str]]:
    """The identifiers named by the strings inside an annotation (the annotation's own names
    are found by the walk that calls this)."""
    pending: list[ast.AST] = [annotation]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Subscript) and _is_literal(node.value):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value.strip(), mode="eval")
            except SyntaxError:
                continue
            for line, name, _ in named_identifiers(ast.walk(parsed)):
                yield node.lineno + line - 1, name, "annotation string"
            yield from _annotation_strings(parsed.body)
            continue
        pending.extend(ast.iter_child_nodes(node))
