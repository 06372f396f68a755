"""Adding members to a class and taking them out of another, as edits on a module's tree."""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Callable, Iterable, Sequence

import libcst as cst

from migration.domain.model import AttrInfo, BindingKind, ClassInfo, FunctionInfo, PackageIndex

from .edits import (
    Edits,
    add_slots,
    declarations,
    method_node,
    remove_slots,
    self_assignments,
    slots_assign,
    strip_blank_leading,
    with_blank_line,
)
from .index import function_code

#: Names every module has without importing them.
_BUILTINS = frozenset(dir(builtins))


def declaration_for(attr: AttrInfo) -> cst.BaseStatement | None:
    """The class-level declaration of a member (with its comment lines), or one built from its
    ``self.x: T`` annotation in ``__init__``."""
    if attr.declaration_code is not None:
        return strip_blank_leading(cst.parse_statement(attr.declaration_code))
    if attr.annotation_code is not None:
        return cst.parse_statement(f"{attr.name}: {attr.annotation_code}\n")
    return None


def add_fields(
    edits: Edits,
    cls_node: cst.ClassDef,
    cls: ClassInfo,
    fields: Sequence[tuple[str, cst.BaseStatement, str | None]],
    after: str | None,
) -> None:
    """Add fields (name, class-level declaration, ``__init__`` initializer code or None) to the
    class: to ``__slots__`` when it has them, to its declarations, and to ``__init__``."""
    new = [f for f in fields if f[0] not in cls.attrs]
    if not new:
        return
    names = [name for name, _, _ in new]
    slots = slots_assign(cls_node)
    if slots is not None:
        edits.replace_node(slots[1], lambda node: add_slots(node, names, after))
    decls = declarations(cls_node)
    anchor: cst.CSTNode | None = decls.get(after) if after else None
    if anchor is None and decls:
        anchor = list(decls.values())[-1]
    if anchor is None and slots is not None:
        anchor = slots[0]
    statements = [decl for _, decl, _ in new]
    if anchor is not None:
        edits.insert_after(anchor, statements)
    else:
        edits.append_to_body(cls_node, statements)
    inits = [(name, code) for name, _, code in new if code is not None]
    if not inits:
        return
    init = method_node(cls_node, "__init__")
    if init is None:
        raise ValueError(f"{cls.qualname} has no __init__ to initialize {names[0]} in")
    self_name = init.params.params[0].name.value
    assignments = [cst.parse_statement(f"{self_name}.{name} = {code}\n") for name, code in inits]
    existing = self_assignments(init)
    init_anchor: cst.CSTNode | None = existing.get(after) if after else None
    if init_anchor is None and existing:
        init_anchor = list(existing.values())[-1]
    if init_anchor is not None:
        edits.insert_after(init_anchor, assignments)
    else:
        edits.append_to_body(init, assignments)


def add_methods(
    edits: Edits, cls_node: cst.ClassDef, cls: ClassInfo, methods: Iterable[FunctionInfo]
) -> None:
    statements = [
        with_blank_line(strip_blank_leading(cst.parse_statement(function_code(m))))
        for m in methods
        if m.name not in cls.methods
    ]
    if statements:
        edits.append_to_body(cls_node, statements)


def remove_fields(edits: Edits, cls_node: cst.ClassDef, names: set[str]) -> None:
    slots = slots_assign(cls_node)
    if slots is not None:
        edits.replace_node(slots[1], lambda node: remove_slots(node, names))
    for name, stmt in declarations(cls_node).items():
        if name in names:
            edits.remove.add(stmt)
    init = method_node(cls_node, "__init__")
    if init is not None:
        for name, stmt in self_assignments(init).items():
            if name in names:
                edits.remove.add(stmt)


def remove_methods(edits: Edits, cls_node: cst.ClassDef, names: set[str]) -> None:
    for stmt in cls_node.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in names:
            edits.remove.add(stmt)


def names_in_code(code: str) -> set[str]:
    names: set[str] = set()

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names.add(node.value)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

    try:
        cst.parse_module(code).visit(_Collect())
    except cst.ParserSyntaxError:
        with contextlib.suppress(cst.ParserSyntaxError):
            cst.parse_expression(code).visit(_Collect())
    return names


def needed_imports(
    index: PackageIndex, source_module: str, target_module: str, names: Iterable[str]
) -> tuple[dict[tuple[str, int], set[str]], list[str]]:
    """Module-level names of ``source_module`` that code moving to ``target_module`` uses and
    the target lacks: by (module, level) to import them from, and names that cannot be imported
    (defined nowhere importable)."""
    source = index.modules.get(source_module)
    target = index.modules.get(target_module)
    if source is None or target is None or source_module == target_module:
        return {}, []
    wanted: dict[tuple[str, int], set[str]] = {}
    missing: list[str] = []
    for name in sorted(set(names)):
        if name in target.names or name in _BUILTINS or name == "self":
            continue
        binding = source.names.get(name)
        if binding is None:
            continue
        if binding.kind is BindingKind.EXTERNAL:
            module, _, obj = binding.target.rpartition(".")
            if obj != name or not module:
                missing.append(name)
                continue
            wanted.setdefault((module, 0), set()).add(name)
        elif binding.kind is BindingKind.MODULE:
            missing.append(name)
        else:
            wanted.setdefault((source_module, 1), set()).add(name)
    return wanted, missing


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's isort order within a from-import: CONSTANTS, Classes, functions."""
    if name.isupper() and len(name) > 1:
        return 0, name
    if name[:1].isupper():
        return 1, name
    return 2, name


def import_edits(
    edits: Edits, tree: cst.Module, wanted: dict[tuple[str, int], set[str]]
) -> list[str]:
    """Add names to the module's existing ``from X import ...`` statements, in ruff's order.
    Returns what could not be added because no such import statement exists to extend."""
    problems = []
    for (module, level), names in wanted.items():
        found: tuple[cst.SimpleStatementLine, cst.ImportFrom] | None = None
        for stmt in tree.body:
            if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
                small = stmt.body[0]
                if (
                    isinstance(small, cst.ImportFrom)
                    and len(small.relative) == level
                    and _module_code(small) == module
                    and not isinstance(small.names, cst.ImportStar)
                ):
                    found = (stmt, small)
        if found is None:
            dots = "." * level
            problems.append(
                f"add `from {dots}{module} import {', '.join(sorted(names))}` to the module "
                "first (it has no import from there to extend)"
            )
            continue
        edits.replace_node(found[1], _import_extender(set(names)))
    return problems


def _import_extender(add: set[str]) -> Callable[[cst.CSTNode], cst.CSTNode]:
    def extend(node: cst.CSTNode) -> cst.CSTNode:
        return _extend_import(node, add)

    return extend


def _module_code(node: cst.ImportFrom) -> str:
    if node.module is None:
        return ""
    return cst.Module([]).code_for_node(node.module)


def _extend_import(node: cst.CSTNode, add: set[str]) -> cst.CSTNode:
    assert isinstance(node, cst.ImportFrom)
    assert not isinstance(node.names, cst.ImportStar)
    aliases = list(node.names)
    present = {cst.Module([]).code_for_node(a.name) for a in aliases}
    new_names = sorted(add - present, key=_isort_key)
    if not new_names:
        return node
    template = aliases[0]
    multiline = node.lpar is not None
    for name in new_names:
        alias = cst.ImportAlias(name=cst.Name(name), comma=template.comma)
        aliases.append(alias)
    aliases.sort(key=lambda a: _isort_key(cst.Module([]).code_for_node(a.name)))
    # Commas: every entry but the last gets the separator; the last keeps the trailing style.
    separator = (
        template.comma
        if len(node.names) > 1 or multiline
        else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    )
    last_comma = node.names[-1].comma
    fixed = [a.with_changes(comma=separator) for a in aliases[:-1]]
    fixed.append(aliases[-1].with_changes(comma=last_comma))
    return node.with_changes(names=fixed)


def moved_code_imports(
    index: PackageIndex,
    edits: Edits,
    tree: cst.Module,
    source: ClassInfo,
    target: ClassInfo,
    attrs: Iterable[str],
    methods: Iterable[str],
    extra_code: Iterable[str] = (),
) -> list[str]:
    """Imports the target module needs for members copied or moved from ``source``: names their
    annotations, initializers and method bodies use. Returns problems (names it cannot import)."""
    names: set[str] = set()
    for name in attrs:
        attr = source.attrs[name]
        names |= set(attr.init_names)
        if attr.annotation_code:
            names |= names_in_code(attr.annotation_code)
    for name in methods:
        names |= names_in_code(function_code(source.methods[name])) - {name}
    for code in extra_code:
        names |= names_in_code(code)
    wanted, missing = needed_imports(index, source.module, target.module, names)
    problems = [
        f"the moved code uses {name}, which {target.module} cannot import; import it there first"
        for name in missing
    ]
    return problems + import_edits(edits, tree, wanted)
