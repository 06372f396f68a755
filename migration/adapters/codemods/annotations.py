"""Annotation expressions to :class:`~migration.domain.model.TypeRef`, in a module's context."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import libcst as cst

from migration.domain.model import Binding, BindingKind, TypeRef

_TRANSPARENT = frozenset({"Final", "ClassVar", "Annotated", "typing.Final", "typing.ClassVar"})
_OPTIONAL = frozenset({"Optional", "typing.Optional"})
_UNION = frozenset({"Union", "typing.Union"})


def dotted_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        head = dotted_name(expr.value)
        return f"{head}.{expr.attr.value}" if head is not None else None
    return None


def _union(members: list[TypeRef]) -> TypeRef:
    flat: list[TypeRef] = []
    for m in members:
        for part in m.args if m.name == "Union" else (m,):
            if part.name != "None" and part not in flat:
                flat.append(part)
    if not flat:
        return TypeRef("None")
    if len(flat) == 1:
        return flat[0]
    return TypeRef("Union", tuple(flat))


class AnnotationReader:
    """Reads annotations written in one module, whose top-level names mean ``names``.

    ``classes`` is every class key in the package (to resolve nested classes, ``Peer.TxRelay``)
    and ``module_names`` gives another package module's bindings (``net.CNode`` after
    ``from . import net``)."""

    def __init__(
        self,
        names: Mapping[str, Binding],
        classes: frozenset[str],
        module_names: Callable[[str], Mapping[str, Binding] | None],
    ) -> None:
        self._names = names
        self._classes = classes
        self._module_names = module_names

    def read(self, expr: cst.BaseExpression | None) -> TypeRef | None:
        if expr is None:
            return None
        try:
            return self._read(expr)
        except (cst.ParserSyntaxError, RecursionError):
            return None

    def _read(self, expr: cst.BaseExpression) -> TypeRef | None:
        if isinstance(expr, cst.Name | cst.Attribute):
            return self._named(expr)
        if isinstance(expr, cst.SimpleString):
            inner = expr.evaluated_value
            if not isinstance(inner, str):
                return None
            return self._read(cst.parse_expression(inner))
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
            left, right = self._read(expr.left), self._read(expr.right)
            if left is None or right is None:
                return None
            return _union([left, right])
        if isinstance(expr, cst.Subscript):
            head = (
                self._named(expr.value)
                if isinstance(expr.value, cst.Name | cst.Attribute)
                else None
            )
            if head is None:
                return None
            args: list[TypeRef | None] = []
            for element in expr.slice:
                if isinstance(element.slice, cst.Index):
                    value = element.slice.value
                    if isinstance(value, cst.List):
                        args.append(TypeRef("params"))
                    elif isinstance(value, cst.Ellipsis):
                        continue
                    else:
                        args.append(self._read(value))
            known = [a for a in args if a is not None]
            if head.name in _TRANSPARENT:
                return known[0] if known else None
            if head.name in _OPTIONAL:
                return _union([*known, TypeRef("None")]) if known else None
            if head.name in _UNION:
                return _union(known) if len(known) == len(args) else None
            if head.name == "Callable":
                return TypeRef("Callable", tuple(known[-1:]))
            if len(known) != len(args):
                return TypeRef(head.name)
            return TypeRef(head.name, tuple(known))
        return None

    def _named(self, expr: cst.Name | cst.Attribute) -> TypeRef | None:
        dotted = dotted_name(expr)
        if dotted is None:
            return None
        head, *rest = dotted.split(".")
        binding = self._names.get(head)
        if binding is None:
            return TypeRef(dotted)
        if binding.kind is BindingKind.CLASS:
            return TypeRef(".".join([binding.target, *rest]))
        if binding.kind is BindingKind.MODULE and rest:
            names = self._module_names(binding.target)
            if names is not None:
                inner = names.get(rest[0])
                if inner is not None and inner.kind is BindingKind.CLASS:
                    return TypeRef(".".join([inner.target, *rest[1:]]))
            return TypeRef(".".join([binding.target, *rest]))
        if binding.kind is BindingKind.EXTERNAL:
            return TypeRef(".".join([binding.target, *rest]))
        return TypeRef(dotted)
