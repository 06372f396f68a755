"""Static types of expressions in one module, from annotations only.

libcst's scope analysis knows which assignment a name refers to but not what an attribute is
(``pnode.fDisconnect``). This module answers "what class is this receiver?" the way a reviewer
would, from what is written down: parameter and variable annotations, class-level and ``self.x: T``
member annotations, ``__slots__`` members' annotations, return annotations of called functions and
methods, and element types of annotated containers in ``for`` loops. Anything else is unknown, and
an unknown receiver is reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum

import libcst as cst

from migration.domain.census import AccessKind
from migration.domain.model import (
    Binding,
    BindingKind,
    ClassInfo,
    FunctionInfo,
    PackageIndex,
    TypeRef,
)

from .annotations import AnnotationReader, dotted_name


class ScopeKind(Enum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"
    LAMBDA = "lambda"
    COMPREHENSION = "comprehension"


@dataclass(eq=False)
class Scope:
    kind: ScopeKind
    node: cst.CSTNode
    parent: Scope | None
    name: str = ""
    #: The class whose body (or method) this is.
    cls: ClassInfo | None = None
    #: The first parameter of a method, bound to an instance of ``cls``.
    self_name: str | None = None
    params: dict[str, TypeRef | None] = field(default_factory=dict)
    param_order: list[str] = field(default_factory=list)
    annotated: dict[str, TypeRef | None] = field(default_factory=dict)
    #: The values of annotated assignments (``peer: Peer | None = self.GetPeerRef(...)``).
    annotated_values: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    assigned: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    loops: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    #: Names bound in ways that carry no type (tuple targets, ``with ... as``, imports).
    untyped: set[str] = field(default_factory=set)
    nonlocal_: set[str] = field(default_factory=set)
    #: Every name used or bound anywhere inside, nested scopes included.
    used_names: set[str] = field(default_factory=set)

    def binds(self, name: str) -> bool:
        return (
            name in self.params
            or name in self.annotated
            or name in self.assigned
            or name in self.loops
            or name in self.untyped
        )

    @property
    def qualname(self) -> str:
        parts: list[str] = []
        scope: Scope | None = self
        while scope is not None and scope.kind is not ScopeKind.MODULE:
            if scope.name:
                parts.append(scope.name)
            scope = scope.parent
        return ".".join(reversed(parts)) or "<module>"

    def function(self) -> Scope | None:
        """The innermost function (``def``) this scope is or is inside."""
        scope: Scope | None = self
        while scope is not None and scope.kind is not ScopeKind.FUNCTION:
            scope = scope.parent
        return scope


@dataclass(frozen=True, slots=True)
class Value:
    """What an expression evaluates to, as far as annotations say."""

    #: An instance of this type.
    type: TypeRef | None = None
    #: A class object (key), a module (name) or a function.
    class_key: str | None = None
    module: str | None = None
    function: FunctionInfo | None = None
    function_module: str | None = None
    #: A class (or other callable) from outside the package; calling it gives this type.
    external: str | None = None


@dataclass(frozen=True, slots=True)
class AttributeUse:
    node: cst.Attribute
    kind: AccessKind
    scope: Scope
    #: The statement (a direct child of an indented block) the access is in.
    statement: cst.BaseStatement | None
    #: For a call, the Call node whose func this attribute is.
    call: cst.Call | None = None


class ModuleAnalysis:
    """Scopes and attribute uses of one module, and the types of its expressions."""

    def __init__(self, index: PackageIndex, module: str, tree: cst.Module) -> None:
        self.index = index
        self.module = module
        self.tree = tree
        info = index.modules.get(module)
        self.names: dict[str, Binding] = dict(info.names) if info else {}
        self.reader = AnnotationReader(
            self.names,
            frozenset(index.classes),
            lambda m: index.modules[m].names if m in index.modules and m != module else None,
        )
        self.uses: list[AttributeUse] = []
        self.scope_of_function: dict[cst.FunctionDef, Scope] = {}
        self.module_scope = Scope(ScopeKind.MODULE, tree, None)
        self._memo: dict[tuple[int, str], TypeRef | None] = {}
        #: Each node's parent, so an edit pass can skip subtrees with nothing to change.
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        tree.visit(_ScopeBuilder(self))

    # -- classes ----------------------------------------------------------------------------

    def class_info(self, key: str | None) -> ClassInfo | None:
        return self.index.classes.get(key) if key is not None else None

    def is_instance_of(self, value: Value | None, cls: ClassInfo) -> bool:
        if value is None or value.type is None:
            return False
        own = self.class_info(value.type.name)
        return own is not None and cls in self.index.mro(own)

    # -- expressions ------------------------------------------------------------------------

    def value_of(self, expr: cst.BaseExpression, scope: Scope) -> Value | None:
        if isinstance(expr, cst.Name):
            return self._lookup(expr.value, scope)
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr, scope)
        if isinstance(expr, cst.Call):
            return self._call(expr, scope)
        if isinstance(expr, cst.Subscript):
            base = self.value_of(expr.value, scope)
            if base is not None and base.type is not None:
                item = base.type.item()
                return Value(item) if item is not None else None
            return None
        if isinstance(expr, cst.BooleanOperation | cst.IfExp):
            return None
        return None

    def type_of(self, expr: cst.BaseExpression, scope: Scope) -> TypeRef | None:
        value = self.value_of(expr, scope)
        return value.type if value is not None else None

    def _attribute(self, expr: cst.Attribute, scope: Scope) -> Value | None:
        base = self.value_of(expr.value, scope)
        if base is None:
            return None
        name = expr.attr.value
        if base.module is not None:
            info = self.index.modules.get(base.module)
            binding = info.names.get(name) if info else None
            return self._binding_value(binding, base.module)
        if base.class_key is not None:
            cls = self.class_info(base.class_key)
            nested = f"{base.class_key}.{name}"
            if nested in self.index.classes:
                return Value(class_key=nested)
            if cls is not None:
                method = self.index.lookup_method(cls, name)
                if method is not None:
                    return Value(function=method, function_module=cls.module)
            return None
        if base.type is not None:
            cls = self.class_info(base.type.name)
            if cls is None:
                return None
            attr = self.index.lookup_attr(cls, name)
            if attr is not None and attr.annotation is not None:
                return Value(attr.annotation)
            method = self.index.lookup_method(cls, name)
            if method is not None:
                return Value(function=method, function_module=cls.module)
        return None

    def _call(self, expr: cst.Call, scope: Scope) -> Value | None:
        func = expr.func
        if isinstance(func, cst.Attribute):
            base = self.value_of(func.value, scope)
            name = func.attr.value
            if (
                base is not None
                and base.type is not None
                and self.class_info(base.type.name) is None
            ):
                # Containers: d.get(k) and s.pop() give the item type.
                if name in ("get", "pop", "popleft", "copy") and base.type.item() is not None:
                    return Value(base.type.item() if name != "copy" else base.type)
                return None
        callee = self.value_of(func, scope)
        if callee is None:
            return None
        if callee.class_key is not None:
            return Value(TypeRef(callee.class_key))
        if callee.external is not None and callee.external.rsplit(".", 1)[-1][:1].isupper():
            return Value(TypeRef(callee.external))
        if callee.function is not None:
            return Value(callee.function.returns) if callee.function.returns else None
        return None

    def _binding_value(self, binding: Binding | None, module: str) -> Value | None:
        if binding is None:
            return None
        if binding.kind is BindingKind.CLASS:
            return Value(class_key=binding.target)
        if binding.kind is BindingKind.MODULE:
            return Value(module=binding.target)
        if binding.kind is BindingKind.FUNCTION:
            mod, _, fname = binding.target.rpartition(".")
            info = self.index.modules.get(mod)
            fn = info.functions.get(fname) if info else None
            return Value(function=fn, function_module=mod) if fn is not None else None
        if binding.kind is BindingKind.VARIABLE and binding.type is not None:
            return Value(binding.type)
        if binding.kind is BindingKind.EXTERNAL:
            return Value(external=binding.target)
        return None

    def _lookup(self, name: str, scope: Scope) -> Value | None:
        current: Scope | None = scope
        while current is not None:
            if current.kind is ScopeKind.CLASS and current is not scope:
                current = current.parent
                continue
            if current.kind is ScopeKind.MODULE:
                return self._binding_value(self.names.get(name), self.module)
            if name in current.nonlocal_:
                current = current.parent
                continue
            if current.binds(name):
                t = self._local_type(name, current)
                return Value(t) if t is not None else None
            current = current.parent
        return None

    def _local_type(self, name: str, scope: Scope) -> TypeRef | None:
        key = (id(scope), name)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # a cycle (x = x.next) resolves to unknown
        result: TypeRef | None = None
        if name in scope.params:
            result = scope.params[name]
        elif name in scope.annotated:
            result = scope.annotated[name]
        elif name in scope.untyped:
            result = None
        else:
            candidates: list[TypeRef | None] = []
            for value in scope.assigned.get(name, []):
                candidates.append(self.type_of(value, scope))
            for iterable in scope.loops.get(name, []):
                it = self.type_of(iterable, scope)
                candidates.append(it.element() if it is not None else None)
            if candidates and all(c is not None and c == candidates[0] for c in candidates):
                result = candidates[0]
        self._memo[key] = result
        return result

    # -- helpers for codemods ---------------------------------------------------------------

    def enclosing_self(self, scope: Scope, has_method: str) -> str | None:
        """The ``self`` of the nearest enclosing method whose class has ``has_method``."""
        current: Scope | None = scope
        while current is not None:
            if (
                current.kind is ScopeKind.FUNCTION
                and current.self_name
                and current.cls
                and self.index.lookup_method(current.cls, has_method) is not None
            ):
                return current.self_name
            current = current.parent
        return None

    def locals_of_class(self, scope: Scope, cls: ClassInfo) -> list[str]:
        """Names bound in the enclosing function(s) whose annotated type is ``cls``."""
        found: list[str] = []
        current: Scope | None = scope
        while current is not None and current.kind is not ScopeKind.MODULE:
            if current.kind is not ScopeKind.CLASS:
                names = [
                    *current.params,
                    *current.annotated,
                    *current.assigned,
                    *current.loops,
                ]
                for name in dict.fromkeys(names):
                    if name in found:
                        continue
                    t = self._local_type(name, current)
                    if t is not None and self.is_instance_of(Value(t), cls):
                        found.append(name)
            current = current.parent
        return found

    def functions(self) -> Iterator[tuple[cst.FunctionDef, Scope]]:
        yield from self.scope_of_function.items()


class _ScopeBuilder(cst.CSTVisitor):
    def __init__(self, analysis: ModuleAnalysis) -> None:
        super().__init__()
        self.a = analysis
        self.stack: list[Scope] = [analysis.module_scope]
        self.class_stack: list[str] = []
        self.writes: set[int] = set()
        self.calls: dict[int, cst.Call] = {}
        self.statements: list[cst.BaseStatement] = []
        self.path: list[cst.CSTNode] = []

    @property
    def scope(self) -> Scope:
        return self.stack[-1]

    def _binding_scope(self) -> Scope:
        return self.stack[-1]

    def _note_name(self, name: str) -> None:
        for scope in self.stack:
            scope.used_names.add(name)

    # statements (to know where to insert) ----------------------------------------------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.path:
            self.a.parents[node] = self.path[-1]
        self.path.append(node)
        if isinstance(node, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            self.statements.append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        super().on_leave(original_node)
        self.path.pop()
        if isinstance(original_node, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            self.statements.pop()

    # scopes ---------------------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._note_name(node.name.value)
        if self.scope.kind in (ScopeKind.FUNCTION, ScopeKind.LAMBDA):
            self.scope.untyped.add(node.name.value)
        outer = self.class_stack[-1] + "." if self.class_stack else ""
        qualname = outer + node.name.value
        if self.scope.kind not in (ScopeKind.MODULE, ScopeKind.CLASS):
            qualname = ""
        key = f"{self.a.module}.{qualname}" if self.a.module else qualname
        cls = self.a.index.classes.get(key) if qualname else None
        self.class_stack.append(qualname or node.name.value)
        self.stack.append(Scope(ScopeKind.CLASS, node, self.scope, node.name.value, cls=cls))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()
        self.class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._note_name(node.name.value)
        parent = self.scope
        if parent.kind in (ScopeKind.FUNCTION, ScopeKind.LAMBDA, ScopeKind.COMPREHENSION):
            parent.untyped.add(node.name.value)
        scope = Scope(ScopeKind.FUNCTION, node, parent, node.name.value)
        is_method = parent.kind is ScopeKind.CLASS
        decorators = {dotted_name(d.decorator) for d in node.decorators}
        params = [
            *node.params.posonly_params,
            *node.params.params,
            *([node.params.star_arg] if isinstance(node.params.star_arg, cst.Param) else []),
            *node.params.kwonly_params,
            *([node.params.star_kwarg] if node.params.star_kwarg else []),
        ]
        for i, param in enumerate(params):
            pname = param.name.value
            ann = param.annotation.annotation if param.annotation else None
            ptype = self.a.reader.read(ann)
            if i == 0 and is_method and "staticmethod" not in decorators and parent.cls:
                if "classmethod" in decorators:
                    ptype = None
                else:
                    ptype = TypeRef(parent.cls.key)
                    scope.self_name = pname
            scope.params[pname] = ptype
            scope.param_order.append(pname)
            scope.used_names.add(pname)
        if is_method or parent.kind is ScopeKind.FUNCTION:
            scope.cls = parent.cls
        self.stack.append(scope)
        self.a.scope_of_function[node] = scope

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        scope = Scope(ScopeKind.LAMBDA, node, self.scope, "<lambda>", cls=self.scope.cls)
        for param in node.params.params:
            scope.untyped.add(param.name.value)
        self.stack.append(scope)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.stack.pop()

    def _enter_comprehension(self, node: cst.CSTNode, comp_for: cst.CompFor) -> None:
        scope = Scope(ScopeKind.COMPREHENSION, node, self.scope, "", cls=self.scope.cls)
        current: cst.CompFor | None = comp_for
        while current is not None:
            if isinstance(current.target, cst.Name):
                scope.loops.setdefault(current.target.value, []).append(current.iter)
            else:
                for name in _target_names(current.target):
                    scope.untyped.add(name)
            current = current.inner_for_in
        self.stack.append(scope)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter_comprehension(node, node.for_in)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self.stack.pop()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._enter_comprehension(node, node.for_in)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self.stack.pop()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._enter_comprehension(node, node.for_in)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self.stack.pop()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter_comprehension(node, node.for_in)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self.stack.pop()

    # bindings -------------------------------------------------------------------------------

    def _bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        scope = self._binding_scope()
        if scope.kind is ScopeKind.CLASS or scope.kind is ScopeKind.MODULE:
            self._mark_writes(target)
            return
        if isinstance(target, cst.Name):
            if value is not None:
                scope.assigned.setdefault(target.value, []).append(value)
            else:
                scope.untyped.add(target.value)
        else:
            for name in _target_names(target):
                scope.untyped.add(name)
        self._mark_writes(target)

    def _mark_writes(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute):
            self.writes.add(id(target))
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._mark_writes(element.value)
        elif isinstance(target, cst.StarredElement):
            self._mark_writes(target.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, node.value if len(node.targets) == 1 else None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        scope = self._binding_scope()
        if isinstance(node.target, cst.Name) and scope.kind in (
            ScopeKind.FUNCTION,
            ScopeKind.LAMBDA,
        ):
            scope.annotated[node.target.value] = self.a.reader.read(node.annotation.annotation)
            if node.value is not None:
                scope.annotated_values.setdefault(node.target.value, []).append(node.value)
        self._mark_writes(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._mark_writes(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._mark_writes(node.target)

    def visit_For(self, node: cst.For) -> None:
        scope = self._binding_scope()
        if scope.kind is ScopeKind.FUNCTION:
            if isinstance(node.target, cst.Name):
                scope.loops.setdefault(node.target.value, []).append(node.iter)
            else:
                for name in _target_names(node.target):
                    scope.untyped.add(name)
        self._mark_writes(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and self.scope.kind is ScopeKind.FUNCTION:
            for name in _target_names(node.asname.name):
                self.scope.untyped.add(name)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and self.scope.kind is ScopeKind.FUNCTION:
            for name in _target_names(node.name.name):
                self.scope.untyped.add(name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        scope = self.scope.function() or self.scope
        if isinstance(node.target, cst.Name):
            scope.untyped.add(node.target.value)

    def visit_Import(self, node: cst.Import) -> None:
        if self.scope.kind is ScopeKind.FUNCTION:
            for alias in node.names:
                name = alias.asname.name if alias.asname else alias.name
                local = dotted_name(name) if isinstance(name, cst.Name | cst.Attribute) else None
                if local:
                    self.scope.untyped.add(local.split(".")[0])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if self.scope.kind is ScopeKind.FUNCTION and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                name = alias.asname.name if alias.asname else alias.name
                if isinstance(name, cst.Name):
                    self.scope.untyped.add(name.value)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        for item in node.names:
            self.scope.nonlocal_.add(item.name.value)

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.scope.nonlocal_.add(item.name.value)

    # uses -----------------------------------------------------------------------------------

    def visit_Name(self, node: cst.Name) -> None:
        self._note_name(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute):
            self.calls[id(node.func)] = node

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self.calls:
            kind = AccessKind.CALL
        elif id(node) in self.writes:
            kind = AccessKind.WRITE
        else:
            kind = AccessKind.READ
        statement = self.statements[-1] if self.statements else None
        call = self.calls.get(id(node))
        self.a.uses.append(AttributeUse(node, kind, self.scope, statement, call))

    # Parameter names and keyword-argument names are Names too; they are not uses of the scope.
    def visit_Param(self, node: cst.Param) -> bool:
        if node.annotation is not None:
            node.annotation.visit(self)
        if node.default is not None:
            node.default.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple | cst.List):
        out: list[str] = []
        for element in target.elements:
            out.extend(_target_names(element.value))
        return out
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []
