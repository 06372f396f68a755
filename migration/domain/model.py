"""A static model of one package, enough to resolve receivers from annotations.

The model is what every codemod of a step sees before the step runs: the classes with their
members (annotation, declaration, initializer in ``__init__``, ``__slots__``), methods with their
signatures and return annotations, and what each module-level name of each module refers to.
Source fragments are kept as code strings so a codemod working on one file can copy a member
declared in another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

#: Containers whose element type an iteration or a subscript yields.
SEQUENCE_TYPES = frozenset(
    {
        "list",
        "deque",
        "set",
        "frozenset",
        "tuple",
        "Sequence",
        "MutableSequence",
        "Iterable",
        "Iterator",
        "Collection",
        "AbstractSet",
        "Set",
        "MutableSet",
        "Generator",
        "collections.deque",
    }
)
MAPPING_TYPES = frozenset(
    {"dict", "Mapping", "MutableMapping", "OrderedDict", "defaultdict", "collections.OrderedDict"}
)


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A resolved annotation: ``name`` is a builtin or typing name (``int``, ``list``), a
    package class key (``net.CNode``, ``net_processing.Peer.TxRelay``) or a dotted external name
    (``common.protocol.CAddress``). ``Optional`` and ``X | None`` are stored without the None:
    a receiver annotated ``CNode | None`` is a CNode once narrowed, which is all a codemod needs."""

    name: str
    args: tuple[TypeRef, ...] = ()

    def element(self) -> TypeRef | None:
        """What iterating a value of this type yields, when the annotation says."""
        if self.name in SEQUENCE_TYPES and self.args:
            return self.args[0]
        if self.name in MAPPING_TYPES and self.args:
            return self.args[0]
        return None

    def item(self) -> TypeRef | None:
        """What subscripting (``x[i]``) or ``x.get(k)`` yields, when the annotation says."""
        if self.name in MAPPING_TYPES and len(self.args) == 2:
            return self.args[1]
        if self.name in SEQUENCE_TYPES and self.args:
            return self.args[0]
        return None

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}[{', '.join(str(a) for a in self.args)}]"


class ParamKind(Enum):
    POSITIONAL = "positional"
    KEYWORD_ONLY = "keyword_only"
    STAR = "star"
    STAR_STAR = "star_star"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    annotation: TypeRef | None
    annotation_code: str | None
    default_code: str | None
    kind: ParamKind


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    """A function or method: its signature, and its definition for codemods that move it."""

    name: str
    params: tuple[Param, ...]
    returns: TypeRef | None
    returns_code: str | None
    #: The parsed definition, opaque here: only the adapter that parsed it reads it (for the
    #: code of a method being moved, or the members its body uses).
    definition: object = field(default=None, compare=False, repr=False)
    is_static: bool = False
    is_classmethod: bool = False


@dataclass(frozen=True, slots=True)
class AttrInfo:
    """A data member, from whichever of its declarations exist."""

    name: str
    annotation: TypeRef | None = None
    annotation_code: str | None = None
    #: The class-level declaration statement with its comment lines (``#: doc`` then
    #: ``name: T`` or ``name: T = default``).
    declaration_code: str | None = None
    #: The value assigned in ``__init__`` (``self.name = <init_code>``).
    init_code: str | None = None
    #: Names the initializer uses; a parameter of ``__init__`` among them means the value cannot
    #: be moved without it.
    init_names: frozenset[str] = frozenset()
    in_slots: bool = False


@dataclass(frozen=True, slots=True)
class ClassInfo:
    key: str
    module: str
    qualname: str
    bases: tuple[str, ...]
    attrs: dict[str, AttrInfo] = field(default_factory=dict)
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    slots: tuple[str, ...] | None = None
    #: Parameters of ``__init__`` other than self.
    init_params: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    def members(self) -> set[str]:
        return set(self.attrs) | set(self.methods)


class BindingKind(Enum):
    CLASS = "class"
    FUNCTION = "function"
    MODULE = "module"
    VARIABLE = "variable"
    EXTERNAL = "external"


@dataclass(frozen=True, slots=True)
class Binding:
    """What a module-level name refers to. ``target`` is a class key, ``module.function``, a
    module name, or the dotted external name; ``type`` is a variable's annotation."""

    kind: BindingKind
    target: str
    type: TypeRef | None = None


@dataclass(frozen=True, slots=True)
class ImportFrom:
    """``from <module> import <names>`` with ``level`` leading dots, as written."""

    module: str
    level: int
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModuleInfo:
    name: str
    path: str
    names: dict[str, Binding] = field(default_factory=dict)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    imports: tuple[ImportFrom, ...] = ()


class NotInPackage(LookupError):
    """A name in a step's arguments does not identify exactly one thing in the package."""


@dataclass(frozen=True, slots=True)
class PackageIndex:
    modules: dict[str, ModuleInfo]
    classes: dict[str, ClassInfo]
    #: Absolute path of each module's file to its module name.
    paths: dict[str, str] = field(default_factory=dict)

    def find_class(self, qualname: str) -> ClassInfo:
        """The one class with this qualified name (``CNode``, ``Peer.TxRelay``)."""
        found = [c for c in self.classes.values() if c.qualname == qualname]
        if not found:
            raise NotInPackage(f"no class {qualname} in the package")
        if len(found) > 1:
            where = ", ".join(sorted(c.module or "<package>" for c in found))
            raise NotInPackage(f"class {qualname} is defined in several modules ({where})")
        return found[0]

    def find_method(self, dotted: str) -> tuple[ClassInfo, FunctionInfo]:
        """``Class.method`` to its class and method."""
        cls_name, _, method = dotted.rpartition(".")
        if not cls_name:
            raise NotInPackage(f"{dotted!r} is not Class.method")
        cls = self.find_class(cls_name)
        info = self.lookup_method(cls, method)
        if info is None:
            raise NotInPackage(f"class {cls_name} has no method {method}")
        return cls, info

    def mro(self, cls: ClassInfo) -> list[ClassInfo]:
        """The class and its package base classes, depth first (enough for single inheritance)."""
        out: list[ClassInfo] = []
        todo = [cls]
        while todo:
            c = todo.pop(0)
            if c in out:
                continue
            out.append(c)
            todo.extend(self.classes[b] for b in c.bases if b in self.classes)
        return out

    def lookup_attr(self, cls: ClassInfo, name: str) -> AttrInfo | None:
        for c in self.mro(cls):
            if name in c.attrs:
                return c.attrs[name]
        return None

    def lookup_method(self, cls: ClassInfo, name: str) -> FunctionInfo | None:
        for c in self.mro(cls):
            if name in c.methods:
                return c.methods[name]
        return None

    def module_of_path(self, path: str) -> ModuleInfo | None:
        name = self.paths.get(path)
        return self.modules.get(name) if name is not None else None
