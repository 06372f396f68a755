"""``no_foreign_method_calls``: a module never calls a method only another layer's class has.

When net_processing no longer imports net, it can still hold a CNode it was handed and call
``pfrom.GetId()`` on it: no import shows that. Python has no types at run time, and the
receivers of a call are not resolved here (that is the census's job, which follows the
annotations). The rule is by method name, and it is exact about what it claims:

    A *foreign method* is a method defined in the body of ``foreign_class`` (dunder methods and
    properties excluded), unless a method or function of that name is also defined anywhere in
    the checked module, or in one of the ``allowed_definers`` modules, or the name is a
    class-level attribute there (an annotation, an assignment or a ``__slots__`` entry).

    The contract is broken by every attribute expression ``x.M`` in a checked module where ``M``
    is a foreign method: a call ``x.M(...)``, or a reference ``x.M`` (a bound method passed
    along is a call made later).

So a name CNode shares with the module's own classes (``Peer.IsInboundConn`` once Peer has its
own copy) is not reported, whatever the receiver; a name only CNode has is reported on any
receiver, because nothing else the module knows could answer it. ``allowed_definers`` lists the
modules whose methods the checked module may call by the same names, typically the interface
module both layers share. An allowed definer that does not exist yet is reported as a warning,
not an error, so the contract can be written before the module is.

Options:
    modules:          the modules to check (module expressions; packages include descendants).
    foreign_class:    the class whose methods are foreign, as ``package.module.Class``.
    allowed_definers: modules whose definitions are not foreign (optional).
    broken_contract_guidance: text shown under a broken contract (optional).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from typing import Any, cast

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain.contract import InvalidContractOptions
from importlinter.domain.imports import ModuleExpression

from .source import expand, mentions, module_file, module_nodes, parse_module

_PROPERTY_DECORATORS = {"property", "cached_property", "setter", "getter", "deleter"}


class NoForeignMethodCallsContract(Contract):
    type_name = "no_foreign_method_calls"

    modules = fields.ListField(subfield=fields.ModuleExpressionField())
    foreign_class = fields.StringField()
    allowed_definers = fields.ListField(subfield=fields.ModuleExpressionField(), default=[])
    broken_contract_guidance = fields.TextField(required=False)

    def validate(self) -> None:
        module, _, cls = cast(str, self.foreign_class).rpartition(".")
        if not module or not cls:
            raise InvalidContractOptions({"foreign_class": "Expected package.module.Class."})

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        module_name, _, class_name = cast(str, self.foreign_class).rpartition(".")
        methods = class_methods(parse_module(module_name), class_name)
        if methods is None:
            raise ValueError(f"Module '{module_name}' defines no class {class_name}.")
        warnings: list[str] = []
        allowed: set[str] = set()
        for definer in self._definers(graph, warnings):
            allowed |= defined_names(module_nodes(definer))
        violations: list[dict[str, Any]] = []
        for module in expand(graph, cast(list[ModuleExpression], self.modules)):
            if not mentions(module, methods - allowed):
                continue
            nodes = module_nodes(module)
            foreign = methods - allowed - defined_names(nodes)
            output.verbose_print(verbose, f"{module}: {len(foreign)} foreign method names")
            violations += [
                {"module": module, "line": line, "expression": text, "how": how, "method": name}
                for line, name, text, how in attribute_uses(nodes, foreign)
            ]
        violations.sort(key=lambda v: (v["module"], v["line"], v["expression"]))
        return ContractCheck(
            kept=not violations,
            warnings=warnings,
            metadata={"violations": violations, "foreign_class": self.foreign_class},
        )

    def _definers(self, graph: ImportGraph, warnings: list[str]) -> list[str]:
        found: set[str] = set()
        for expression in cast(list[ModuleExpression], self.allowed_definers):
            matched = expand_lenient(graph, expression)
            if not matched:
                warnings.append(f"allowed definer {expression} does not exist (yet); ignored")
            found |= matched
        return sorted(found)

    def render_broken_contract(self, check: ContractCheck) -> None:
        foreign = check.metadata["foreign_class"]
        by_module: dict[str, list[dict[str, Any]]] = {}
        for v in check.metadata["violations"]:
            by_module.setdefault(v["module"], []).append(v)
        for module, found in by_module.items():
            methods = ", ".join(sorted({v["method"] for v in found}))
            output.print_error(f"{module} uses methods only {foreign} has ({methods}):")
            output.new_line()
            for v in found:
                output.print_error(
                    f"-   {module}:{v['line']}: {v['expression']} ({v['how']})", bold=False
                )
            output.new_line()
        guidance = cast(str | None, self.broken_contract_guidance)
        if guidance:
            output.print(guidance)


def expand_lenient(graph: ImportGraph, expression: ModuleExpression) -> set[str]:
    """The modules an expression names with their descendants; empty when none exist."""
    if expression.has_wildcard_expression():
        matched = set(graph.find_matching_modules(expression.expression))
    elif expression.expression in graph.modules:
        matched = {expression.expression}
    elif module_file(expression.expression) is not None:
        return {expression.expression}
    else:
        return set()
    return matched | {d for m in matched for d in graph.find_descendants(m)}


def _is_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else None
        if isinstance(decorator, ast.Name):
            name = decorator.id
        if name in _PROPERTY_DECORATORS:
            return True
    return False


def class_methods(tree: ast.Module, class_name: str) -> set[str] | None:
    """The methods defined in the body of the top-level class ``class_name`` (no dunders, no
    properties); None when the module has no such class."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return {
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and not (item.name.startswith("__") and item.name.endswith("__"))
                and not _is_property(item)
            }
    return None


def defined_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Every function or method name defined anywhere in the module (give it
    ``ast.walk(tree)``), and every class-level attribute name (annotations, assignments,
    ``__slots__`` entries)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                targets: list[ast.expr] = []
                if isinstance(item, ast.AnnAssign):
                    targets = [item.target]
                elif isinstance(item, ast.Assign):
                    targets = list(item.targets)
                for target in targets:
                    if isinstance(target, ast.Name):
                        names.add(target.id)
                if _assigns_slots(item):
                    value = cast(ast.Assign | ast.AnnAssign, item).value
                    names |= {
                        e.value
                        for e in ast.walk(value or ast.Constant(None))
                        if isinstance(e, ast.Constant) and isinstance(e.value, str)
                    }
    return names


def _assigns_slots(item: ast.stmt) -> bool:
    if isinstance(item, ast.AnnAssign):
        return isinstance(item.target, ast.Name) and item.target.id == "__slots__"
    if isinstance(item, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == "__slots__" for t in item.targets)
    return False


def attribute_uses(nodes: Sequence[ast.AST], methods: set[str]) -> list[tuple[int, str, str, str]]:
    """Every ``x.M`` with M in ``methods`` among the nodes (give it ``list(ast.walk(tree))``):
    (line, M, the expression, "call" or "reference")."""
    if not methods:
        return []
    called = {
        id(node.func)
        for node in nodes
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    uses = []
    for node in nodes:
        if isinstance(node, ast.Attribute) and node.attr in methods:
            receiver = ast.unparse(node.value)
            if len(receiver) > 40:
                receiver = receiver[:39] + "…"
            how = "call" if id(node) in called else "reference"
            text = f"{receiver}.{node.attr}" + ("()" if how == "call" else "")
            uses.append((node.lineno, node.attr, text, how))
    return uses
