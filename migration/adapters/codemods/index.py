"""Builds the :class:`~migration.domain.model.PackageIndex` of a package from its sources, and
hands it to codemods as libcst full-repo metadata.

``python -m libcst.tool codemod`` (and our own runner, which does the same) resolves full-repo
metadata for every file before it transforms the first one. So every codemod of a step sees the
package as it was before the step, whatever order the files are written in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import BaseMetadataProvider

from migration.domain.model import (
    AttrInfo,
    Binding,
    BindingKind,
    ClassInfo,
    FunctionInfo,
    ImportFrom,
    ModuleInfo,
    PackageIndex,
    Param,
    ParamKind,
)

from .annotations import AnnotationReader, dotted_name

#: Imports whose names are read as the bare names the type model knows (``deque``, ``Sequence``).
_BARE_MODULES = frozenset({"typing", "typing_extensions", "collections", "collections.abc"})


def module_name_for(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_root(paths: Sequence[Path]) -> Path:
    """The directory the package's modules are named from: the common parent of the files."""
    parents = [p.parent for p in paths]
    root = parents[0]
    for parent in parents[1:]:
        while root != parent and root not in parent.parents:
            root = root.parent
    return root


def _names_in(node: cst.CSTNode) -> frozenset[str]:
    names: set[str] = set()

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            names.add(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

    node.visit(_Collect())
    return frozenset(names)


class _BodyNames(cst.CSTVisitor):
    """Names a function body uses, and the ``self`` members it touches, in one pass."""

    def __init__(self, self_name: str | None) -> None:
        super().__init__()
        self.self_name = self_name
        self.names: set[str] = set()
        self.members: set[str] = set()

    def visit_Name(self, n: cst.Name) -> None:
        self.names.add(n.value)

    def visit_Attribute(self, n: cst.Attribute) -> bool:
        if isinstance(n.value, cst.Name):
            self.names.add(n.value.value)
            if n.value.value == self.self_name:
                self.members.add(n.attr.value)
            return False
        n.value.visit(self)
        return False


def _is_decorated(fn: cst.FunctionDef, name: str) -> bool:
    return any(dotted_name(d.decorator) == name for d in fn.decorators)


@dataclass
class _RawClass:
    key: str
    module: str
    qualname: str
    node: cst.ClassDef


class _ModuleReader:
    """First pass over one module: its classes, functions, imports and top-level names."""

    def __init__(self, name: str, path: str, tree: cst.Module) -> None:
        self.name = name
        self.path = path
        self.tree = tree
        self.classes: list[_RawClass] = []
        self.functions: dict[str, cst.FunctionDef] = {}
        self.variables: dict[str, cst.BaseExpression | None] = {}
        self.aliases: dict[str, cst.BaseExpression] = {}
        self.imports: list[tuple[str, str, str, int]] = []  # (local, module, obj, level)
        self.import_froms: list[ImportFrom] = []
        for stmt in tree.body:
            self._statement(stmt)

    def _key(self, qualname: str) -> str:
        return f"{self.name}.{qualname}" if self.name else qualname

    def _class(self, node: cst.ClassDef, prefix: str) -> None:
        qualname = f"{prefix}{node.name.value}"
        self.classes.append(_RawClass(self._key(qualname), self.name, qualname, node))
        for stmt in node.body.body:
            if isinstance(stmt, cst.ClassDef):
                self._class(stmt, qualname + ".")

    def _statement(self, stmt: cst.BaseStatement) -> None:
        if isinstance(stmt, cst.ClassDef):
            self._class(stmt, "")
        elif isinstance(stmt, cst.FunctionDef):
            self.functions[stmt.name.value] = stmt
        elif isinstance(stmt, cst.If | cst.Try) and isinstance(stmt.body, cst.IndentedBlock):
            # `if TYPE_CHECKING:` and try/except ImportError blocks still bind module names.
            for inner in stmt.body.body:
                self._statement(inner)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self._small(small)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.ImportFrom):
            level = len(small.relative)
            module = dotted_name(small.module) if small.module is not None else ""
            names: list[str] = []
            if isinstance(small.names, Iterable):
                for alias in small.names:
                    obj = dotted_name(alias.name) or ""
                    local = (
                        alias.asname.name.value
                        if alias.asname and isinstance(alias.asname.name, cst.Name)
                        else obj
                    )
                    self.imports.append((local, module or "", obj, level))
                    names.append(obj)
            self.import_froms.append(ImportFrom(module or "", level, tuple(names)))
        elif isinstance(small, cst.Import):
            for alias in small.names:
                full = dotted_name(alias.name) or ""
                if alias.asname and isinstance(alias.asname.name, cst.Name):
                    self.imports.append((alias.asname.name.value, full, "", 0))
                else:
                    head = full.split(".")[0]
                    self.imports.append((head, head, "", 0))
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            self.variables[small.target.value] = small.annotation.annotation
        elif isinstance(small, cst.Assign):
            for target in small.targets:
                if isinstance(target.target, cst.Name):
                    name = target.target.value
                    if isinstance(small.value, cst.Name | cst.Attribute):
                        self.aliases[name] = small.value
                    self.variables.setdefault(name, None)


class IndexBuilder:
    """Reads modules (name, path, parsed tree) into a PackageIndex."""

    def __init__(self, modules: Sequence[tuple[str, str, cst.Module]]) -> None:
        self._readers = {name: _ModuleReader(name, path, tree) for name, path, tree in modules}
        self._class_keys = frozenset(
            raw.key for reader in self._readers.values() for raw in reader.classes
        )
        self._names: dict[str, dict[str, Binding]] = {}

    # -- names ------------------------------------------------------------------------------

    def _resolve_module(self, importer: str, module: str, level: int) -> str:
        if level == 0:
            return module
        base = importer.split(".") if importer else []
        # A module's own package is its name minus the last part (a package's is itself).
        reader = self._readers.get(importer)
        is_package = reader is not None and reader.path.endswith("__init__.py")
        package = base if is_package else base[:-1]
        if level > 1:
            package = package[: len(package) - (level - 1)]
        return ".".join([*package, *([module] if module else [])])

    def names_of(self, module: str, _seen: frozenset[str] = frozenset()) -> dict[str, Binding]:
        if module in self._names:
            return self._names[module]
        reader = self._readers[module]
        names: dict[str, Binding] = {}
        for local, source, obj, level in reader.imports:
            target = self._resolve_module(module, source, level)
            if obj == "":
                if target in self._readers:
                    names[local] = Binding(BindingKind.MODULE, target)
                else:
                    names[local] = Binding(BindingKind.EXTERNAL, target)
                continue
            submodule = f"{target}.{obj}" if target else obj
            if level > 0 and submodule in self._readers:
                names[local] = Binding(BindingKind.MODULE, submodule)
            elif target in self._readers and target not in _seen:
                inner = self.names_of(target, _seen | {module}).get(obj)
                names[local] = inner or Binding(BindingKind.EXTERNAL, f"{target}.{obj}")
            elif target in _BARE_MODULES:
                names[local] = Binding(BindingKind.EXTERNAL, obj)
            else:
                names[local] = Binding(BindingKind.EXTERNAL, f"{target}.{obj}" if target else obj)
        for raw in reader.classes:
            if "." not in raw.qualname:
                names[raw.qualname] = Binding(BindingKind.CLASS, raw.key)
        for fname in reader.functions:
            names[fname] = Binding(BindingKind.FUNCTION, f"{module}.{fname}")
        self._names[module] = names
        reader_for = self._reader_annotations(module, names)
        for var, annotation in reader.variables.items():
            if var in names:
                continue
            alias = reader.aliases.get(var)
            if alias is not None:
                aliased = reader_for.read(alias)
                if aliased is not None and aliased.name in self._class_keys:
                    names[var] = Binding(BindingKind.CLASS, aliased.name)
                    continue
            names[var] = Binding(
                BindingKind.VARIABLE, f"{module}.{var}", reader_for.read(annotation)
            )
        return names

    def _reader_annotations(self, module: str, names: Mapping[str, Binding]) -> AnnotationReader:
        def module_names(other: str) -> Mapping[str, Binding] | None:
            return self.names_of(other) if other in self._readers and other != module else None

        return AnnotationReader(names, self._class_keys, module_names)

    def reader(self, module: str) -> AnnotationReader:
        return self._reader_annotations(module, self.names_of(module))

    # -- members ----------------------------------------------------------------------------

    def _function(
        self, fn: cst.FunctionDef, tree: cst.Module, reader: AnnotationReader, is_method: bool
    ) -> FunctionInfo:
        params: list[Param] = []
        p = fn.params

        def add(param: cst.Param, kind: ParamKind) -> None:
            ann = param.annotation.annotation if param.annotation else None
            params.append(
                Param(
                    name=param.name.value,
                    annotation=reader.read(ann),
                    annotation_code=tree.code_for_node(ann) if ann is not None else None,
                    default_code=tree.code_for_node(param.default) if param.default else None,
                    kind=kind,
                )
            )

        for param in (*p.posonly_params, *p.params):
            add(param, ParamKind.POSITIONAL)
        if isinstance(p.star_arg, cst.Param):
            add(p.star_arg, ParamKind.STAR)
        for param in p.kwonly_params:
            add(param, ParamKind.KEYWORD_ONLY)
        if p.star_kwarg is not None:
            add(p.star_kwarg, ParamKind.STAR_STAR)
        is_static = _is_decorated(fn, "staticmethod")
        returns = fn.returns.annotation if fn.returns else None
        return FunctionInfo(
            name=fn.name.value,
            params=tuple(params),
            returns=reader.read(returns),
            returns_code=tree.code_for_node(returns) if returns is not None else None,
            definition=fn,
            is_static=is_static,
            is_classmethod=_is_decorated(fn, "classmethod"),
        )

    def _class_info(self, raw: _RawClass, tree: cst.Module, reader: AnnotationReader) -> ClassInfo:
        node = raw.node
        bases = tuple(
            b.name for b in (reader.read(arg.value) for arg in node.bases) if b is not None
        )
        attrs: dict[str, dict[str, Any]] = {}
        methods: dict[str, FunctionInfo] = {}
        slots: tuple[str, ...] | None = None
        init_params: frozenset[str] = frozenset()

        def attr(name: str) -> dict[str, Any]:
            return attrs.setdefault(name, {"name": name})

        for stmt in node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        a = attr(small.target.value)
                        a["annotation"] = reader.read(small.annotation.annotation)
                        a["annotation_code"] = tree.code_for_node(small.annotation.annotation)
                        a["declaration_code"] = tree.code_for_node(stmt)
                    elif isinstance(small, cst.Assign) and any(
                        isinstance(t.target, cst.Name) and t.target.value == "__slots__"
                        for t in small.targets
                    ):
                        slots = _slot_names(small.value)
            elif isinstance(stmt, cst.FunctionDef):
                info = self._function(stmt, tree, reader, is_method=True)
                methods[stmt.name.value] = info
                if stmt.name.value == "__init__" and info.params:
                    self_name = info.params[0].name
                    init_params = frozenset(p.name for p in info.params[1:])
                    for target, value, annotation in _self_assignments(stmt, self_name):
                        a = attr(target)
                        if annotation is not None and "annotation" not in a:
                            a["annotation"] = reader.read(annotation)
                            a["annotation_code"] = tree.code_for_node(annotation)
                        if value is not None and "init_code" not in a:
                            a["init_code"] = tree.code_for_node(value)
                            a["init_names"] = _names_in(value)
        for name in slots or ():
            attr(name)["in_slots"] = True
        return ClassInfo(
            key=raw.key,
            module=raw.module,
            qualname=raw.qualname,
            bases=bases,
            attrs={name: AttrInfo(**fields) for name, fields in attrs.items()},
            methods=methods,
            slots=slots,
            init_params=init_params,
        )

    def build(self) -> PackageIndex:
        modules: dict[str, ModuleInfo] = {}
        classes: dict[str, ClassInfo] = {}
        paths: dict[str, str] = {}
        for name, reader in self._readers.items():
            annotations = self.reader(name)
            for raw in reader.classes:
                classes[raw.key] = self._class_info(raw, reader.tree, annotations)
            modules[name] = ModuleInfo(
                name=name,
                path=reader.path,
                names=dict(self.names_of(name)),
                functions={
                    fname: self._function(fn, reader.tree, annotations, is_method=False)
                    for fname, fn in reader.functions.items()
                },
                imports=tuple(reader.import_froms),
            )
            paths[reader.path] = name
        return PackageIndex(modules=modules, classes=classes, paths=paths)


def _slot_names(value: cst.BaseExpression) -> tuple[str, ...] | None:
    if isinstance(value, cst.Tuple | cst.List):
        names = []
        for element in value.elements:
            if isinstance(element.value, cst.SimpleString):
                text = element.value.evaluated_value
                if isinstance(text, str):
                    names.append(text)
        return tuple(names)
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        return (text,) if isinstance(text, str) else None
    return None


def _self_assignments(
    fn: cst.FunctionDef, self_name: str
) -> list[tuple[str, cst.BaseExpression | None, cst.BaseExpression | None]]:
    """``self.x = v`` / ``self.x: T = v`` statements directly in a method's body."""
    out: list[tuple[str, cst.BaseExpression | None, cst.BaseExpression | None]] = []

    def is_self_attr(node: cst.BaseExpression) -> str | None:
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == self_name
        ):
            return node.attr.value
        return None

    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                name = is_self_attr(small.targets[0].target)
                if name is not None:
                    out.append((name, small.value, None))
            elif isinstance(small, cst.AnnAssign):
                name = is_self_attr(small.target)
                if name is not None:
                    out.append((name, small.value, small.annotation.annotation))
    return out


def index_modules(modules: Sequence[tuple[str, str, cst.Module]]) -> PackageIndex:
    return IndexBuilder(modules).build()


def index_paths(paths: Iterable[str]) -> PackageIndex:
    """The index of the Python files at ``paths`` (absolute), named from their common parent."""
    files = sorted(Path(p) for p in paths if p.endswith(".py"))
    if not files:
        return PackageIndex(modules={}, classes={})
    root = package_root(files)
    modules = []
    for path in files:
        tree = cst.parse_module(path.read_bytes())
        modules.append((module_name_for(path, root), str(path), tree))
    return index_modules(modules)


@dataclass(frozen=True, slots=True)
class IndexView:
    """The package index and the name of the module being transformed."""

    index: PackageIndex
    module: str


#: The module name given to a lone module codemodded without full-repo metadata (tests, stdin).
LONE_MODULE = "<module>"


class PackageIndexProvider(BaseMetadataProvider[IndexView]):
    """Full-repo metadata: the index of every file in the run, computed before any transform.

    Without a full-repo manager (``CodemodTest``, stdin), the index is of the lone module."""

    @classmethod
    def gen_cache(cls, root_path: Path, paths: list[str], **kwargs: object) -> Mapping[str, object]:
        index = index_paths(paths)
        return {path: IndexView(index, index.paths.get(str(Path(path)), "")) for path in paths}

    def __init__(self, cache: object = None) -> None:
        # The base class insists on a cache whenever gen_cache exists; a lone module has none.
        super().__init__(cache if cache is not None else LONE_MODULE)

    def _gen_impl(self, module: cst.Module) -> None:
        # Metadata on the module only: no walk over the tree.
        if isinstance(self.cache, IndexView):
            view = self.cache
        else:
            view = IndexView(index_modules([(LONE_MODULE, LONE_MODULE, module)]), LONE_MODULE)
        self.set_metadata(module, view)


def definition(info: FunctionInfo) -> cst.FunctionDef:
    node = info.definition
    assert isinstance(node, cst.FunctionDef), f"{info.name} was not indexed from source"
    return node


def function_code(info: FunctionInfo) -> str:
    """The definition's source, with its decorators and comment lines, unindented."""
    return cst.Module([]).code_for_node(definition(info))


def self_members(info: FunctionInfo) -> frozenset[str]:
    """The members a method's body touches on its first parameter."""
    if not info.params or info.is_static:
        return frozenset()
    body = _BodyNames(info.params[0].name)
    definition(info).body.visit(body)
    return frozenset(body.members)
