"""A small edit engine: insert, remove and replace statements and nodes of a module in one pass,
keeping comments and layout; and the helpers for ``__slots__`` and class bodies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

import libcst as cst

_N = TypeVar("_N", bound=cst.CSTNode)


@dataclass
class Edits:
    """Changes keyed by original nodes, applied in one pass by :class:`EditApplier`."""

    replace: dict[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]] = field(default_factory=dict)
    remove: set[cst.CSTNode] = field(default_factory=set)
    before: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)
    after: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)
    #: Statements to put first in a function's body (after its docstring).
    prepend: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)
    #: Statements to put last in a class's or function's body.
    append: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (
            self.replace or self.remove or self.before or self.after or self.prepend or self.append
        )

    def replace_node(self, node: cst.CSTNode, fn: Callable[[cst.CSTNode], cst.CSTNode]) -> None:
        previous = self.replace.get(node)
        if previous is None:
            self.replace[node] = fn
        else:
            self.replace[node] = lambda n: fn(previous(n))

    def insert_after(self, node: cst.CSTNode, statements: Sequence[cst.BaseStatement]) -> None:
        self.after.setdefault(node, []).extend(statements)

    def insert_before(self, node: cst.CSTNode, statements: Sequence[cst.BaseStatement]) -> None:
        self.before.setdefault(node, []).extend(statements)

    def prepend_to_body(self, fn: cst.FunctionDef, statements: Sequence[cst.BaseStatement]) -> None:
        self.prepend.setdefault(fn.body, []).extend(statements)

    def append_to_body(
        self, owner: cst.FunctionDef | cst.ClassDef, statements: Sequence[cst.BaseStatement]
    ) -> None:
        self.append.setdefault(owner.body, []).extend(statements)


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _blank_prefix(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    out = []
    for line in lines:
        if line.comment is not None:
            break
        out.append(line)
    return out


def _with_leading(stmt: cst.BaseStatement, lines: list[cst.EmptyLine]) -> cst.BaseStatement:
    if isinstance(stmt, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return stmt.with_changes(leading_lines=[*lines, *stmt.leading_lines])
    return stmt


class EditApplier(cst.CSTTransformer):
    """Applies ``edits``. With the tree's parent map, it descends only into subtrees that hold
    an edited node, which is most of the cost saved on a large module."""

    def __init__(
        self, edits: Edits, parents: Mapping[cst.CSTNode, cst.CSTNode] | None = None
    ) -> None:
        super().__init__()
        self.e = edits
        self.spine: set[cst.CSTNode] | None = None
        if parents is not None:
            spine: set[cst.CSTNode] = set()
            keys = [
                *edits.replace,
                *edits.remove,
                *edits.before,
                *edits.after,
                *edits.prepend,
                *edits.append,
            ]
            for key in keys:
                node: cst.CSTNode | None = key
                while node is not None and node not in spine:
                    spine.add(node)
                    node = parents.get(node)
            self.spine = spine

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.spine is not None and node not in self.spine:
            return False
        return super().on_visit(node)

    def _rebuild(
        self,
        original: Sequence[cst.BaseStatement],
        updated: Sequence[cst.BaseStatement],
        prepend: list[cst.BaseStatement],
        append: list[cst.BaseStatement],
    ) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        carry: list[cst.EmptyLine] = []
        start = 1 if original and _is_docstring(original[0]) else 0
        if start == 0:
            out.extend(prepend)
        for i, (orig, new) in enumerate(zip(original, updated, strict=True)):
            out.extend(self.e.before.get(orig, []))
            if orig in self.e.remove:
                if isinstance(orig, cst.SimpleStatementLine | cst.BaseCompoundStatement):
                    carry = carry or _blank_prefix(orig.leading_lines)
            else:
                if carry:
                    existing = getattr(new, "leading_lines", ())
                    if not _blank_prefix(existing):
                        new = _with_leading(new, carry)
                    carry = []
                out.append(new)
            out.extend(self.e.after.get(orig, []))
            if i == 0 and start == 1:
                out.extend(prepend)
        out.extend(append)
        return out

    def on_leave(
        self, original_node: _N, updated_node: _N
    ) -> _N | cst.RemovalSentinel | cst.FlattenSentinel[_N]:
        left = super().on_leave(original_node, updated_node)
        assert isinstance(left, cst.CSTNode)
        result: cst.CSTNode = left
        if isinstance(original_node, cst.IndentedBlock) and isinstance(result, cst.IndentedBlock):
            body = self._rebuild(
                original_node.body,
                result.body,
                self.e.prepend.get(original_node, []),
                self.e.append.get(original_node, []),
            )
            if not body:
                body = [cst.SimpleStatementLine([cst.Pass()])]
            result = result.with_changes(body=body)
        elif isinstance(original_node, cst.Module) and isinstance(result, cst.Module):
            result = result.with_changes(
                body=self._rebuild(original_node.body, result.body, [], [])
            )
        fn = self.e.replace.get(original_node)
        if fn is not None:
            result = fn(result)
        return cast(_N, result)


# -- __slots__ and class bodies ---------------------------------------------------------------


def slots_assign(cls: cst.ClassDef) -> tuple[cst.SimpleStatementLine, cst.Assign] | None:
    for stmt in cls.body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == "__slots__"
                    for t in small.targets
                ):
                    return stmt, small
    return None


def _element_name(element: cst.BaseElement) -> str | None:
    if isinstance(element.value, cst.SimpleString):
        value = element.value.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _plain_comma(comma: cst.Comma | cst.MaybeSentinel) -> cst.Comma | cst.MaybeSentinel:
    """The comma without comment lines after it."""
    if isinstance(comma, cst.Comma) and isinstance(
        comma.whitespace_after, cst.ParenthesizedWhitespace
    ):
        return comma.with_changes(
            whitespace_after=comma.whitespace_after.with_changes(empty_lines=[])
        )
    return comma


def _merge_comments(
    before: cst.Comma | cst.MaybeSentinel, after: cst.Comma | cst.MaybeSentinel
) -> cst.Comma | cst.MaybeSentinel:
    """``after`` (the comma of a removed entry), keeping the comment lines that followed
    ``before`` (section headers such as ``# private:``, which belong to what comes next)."""
    if (
        isinstance(before, cst.Comma)
        and isinstance(after, cst.Comma)
        and isinstance(before.whitespace_after, cst.ParenthesizedWhitespace)
        and isinstance(after.whitespace_after, cst.ParenthesizedWhitespace)
        and before.whitespace_after.empty_lines
    ):
        lines = [*before.whitespace_after.empty_lines, *after.whitespace_after.empty_lines]
        return after.with_changes(
            whitespace_after=after.whitespace_after.with_changes(empty_lines=lines)
        )
    return after


def remove_slots(node: cst.CSTNode, names: set[str]) -> cst.CSTNode:
    """``__slots__ = (...)`` without ``names``; comments around removed entries stay put."""
    assert isinstance(node, cst.Assign)
    value = node.value
    if not isinstance(value, cst.Tuple | cst.List):
        return node
    elements = list(value.elements)
    i = 0
    while i < len(elements):
        if _element_name(elements[i]) in names:
            removed = elements.pop(i)
            if i > 0:
                elements[i - 1] = elements[i - 1].with_changes(
                    comma=_merge_comments(elements[i - 1].comma, removed.comma)
                )
            continue
        i += 1
    if (
        len(elements) == 1
        and isinstance(value, cst.Tuple)
        and not isinstance(elements[0].comma, cst.Comma)
    ):
        elements[0] = elements[0].with_changes(comma=cst.Comma())
    return node.with_changes(value=value.with_changes(elements=elements))


def add_slots(node: cst.CSTNode, names: Sequence[str], after: str | None) -> cst.CSTNode:
    """``__slots__`` with ``names`` added after ``after`` (or last), in the tuple's style."""
    assert isinstance(node, cst.Assign)
    value = node.value
    if not isinstance(value, cst.Tuple | cst.List):
        return node
    elements = list(value.elements)
    present = {_element_name(e) for e in elements}
    new_names = [n for n in names if n not in present]
    if not new_names:
        return node
    index = len(elements) - 1
    if after is not None:
        for i, element in enumerate(elements):
            if _element_name(element) == after:
                index = i
    multiline = any(
        isinstance(e.comma, cst.Comma)
        and isinstance(e.comma.whitespace_after, cst.ParenthesizedWhitespace)
        for e in elements
    )
    if not elements or not multiline:
        # One line: "a", "b" with no trailing comma (a lone entry keeps the one a tuple needs).
        names_all = [*(_element_name(e) for e in elements[: index + 1]), *new_names]
        names_all += [_element_name(e) for e in elements[index + 1 :]]
        one_line = [
            cst.Element(
                cst.SimpleString(f'"{n}"'),
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
            )
            for n in names_all
        ]
        last_comma: cst.Comma | cst.MaybeSentinel = (
            cst.Comma()
            if len(one_line) == 1 and isinstance(value, cst.Tuple)
            else cst.MaybeSentinel.DEFAULT
        )
        one_line[-1] = one_line[-1].with_changes(comma=last_comma)
        return node.with_changes(value=value.with_changes(elements=one_line))
    # A separator between entries: the comma of an entry that has a next one.
    separator = _plain_comma(elements[0].comma if len(elements) > 1 else cst.Comma())
    anchor = elements[index]
    inserted: list[cst.Element] = []
    for j, name in enumerate(new_names):
        last = j == len(new_names) - 1
        inserted.append(
            cst.Element(cst.SimpleString(f'"{name}"'), comma=anchor.comma if last else separator)
        )
    elements[index] = anchor.with_changes(comma=separator)
    elements[index + 1 : index + 1] = inserted
    return node.with_changes(value=value.with_changes(elements=elements))


def declarations(cls: cst.ClassDef) -> dict[str, cst.SimpleStatementLine]:
    """Class-level ``name: T`` statements by name."""
    out = {}
    for stmt in cls.body.body:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            small = stmt.body[0]
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                out[small.target.value] = stmt
    return out


def method_node(cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return stmt
    return None


def self_assignments(fn: cst.FunctionDef) -> dict[str, cst.SimpleStatementLine]:
    """``self.x = ...`` statements at the top level of a method's body, by member name."""
    out: dict[str, cst.SimpleStatementLine] = {}
    params = fn.params.params
    if not params or not isinstance(fn.body, cst.IndentedBlock):
        return out
    self_name = params[0].name.value
    for stmt in fn.body.body:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            small = stmt.body[0]
            target: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
            elif isinstance(small, cst.AnnAssign):
                target = small.target
            if (
                isinstance(target, cst.Attribute)
                and isinstance(target.value, cst.Name)
                and target.value.value == self_name
            ):
                out.setdefault(target.attr.value, stmt)
    return out


def strip_blank_leading(stmt: cst.BaseStatement) -> cst.BaseStatement:
    if isinstance(stmt, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        lines = list(stmt.leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        return stmt.with_changes(leading_lines=lines)
    return stmt


def with_blank_line(stmt: cst.BaseStatement) -> cst.BaseStatement:
    if isinstance(stmt, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        lines = list(stmt.leading_lines)
        if not lines or lines[0].comment is not None:
            lines.insert(0, cst.EmptyLine(indent=False))
        return stmt.with_changes(leading_lines=lines)
    return stmt


def receiver_setter(name: str) -> Callable[[cst.CSTNode], cst.CSTNode]:
    """An edit turning ``x.attr`` into ``name.attr``."""

    def set_receiver(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Attribute)
        return node.with_changes(value=cst.Name(name))

    return set_receiver


class ReceiverRenamer(cst.CSTTransformer):
    """``old.x`` to ``new.x`` for every attribute access on the bare name ``old``."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__()
        self.old = old
        self.new = new

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.Attribute:
        if isinstance(updated_node.value, cst.Name) and updated_node.value.value == self.old:
            return updated_node.with_changes(value=cst.Name(self.new))
        return updated_node


def rename_receiver(stmt: cst.BaseStatement, old: str, new: str) -> cst.BaseStatement:
    result = stmt.visit(ReceiverRenamer(old, new))
    assert isinstance(result, cst.BaseStatement)
    return result


def last_top_level_return(fn: cst.FunctionDef) -> cst.BaseStatement | None:
    if not isinstance(fn.body, cst.IndentedBlock) or not fn.body.body:
        return None
    last = fn.body.body[-1]
    if (
        isinstance(last, cst.SimpleStatementLine)
        and len(last.body) == 1
        and isinstance(last.body[0], cst.Return)
    ):
        return last
    return None
