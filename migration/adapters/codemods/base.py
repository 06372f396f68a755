"""What every migration codemod shares: declared arguments (for the plan, for
``python -m libcst.tool codemod`` and for the replay command), the package index, receiver
resolution, error reporting by file and line, and a small edit engine that inserts, removes and
replaces statements while keeping comments and layout."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar, Literal

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile
from libcst.metadata import PositionProvider

from migration.domain.model import ClassInfo, NotInPackage, PackageIndex

from .edits import EditApplier, Edits
from .index import LONE_MODULE, IndexView, PackageIndexProvider, package_root
from .scopes import AttributeUse, ModuleAnalysis, Scope, ScopeKind

ArgKind = Literal["str", "list", "flag", "map"]

ArgValue = str | bool | list[str] | dict[str, str] | None


class CodemodError(Exception):
    """A step cannot be applied as written. Every problem names a place and a fix."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Arg:
    name: str
    kind: ArgKind
    help: str
    default: ArgValue = None
    required: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _parse_map(items: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {item!r}")
        out[key] = value
    return out


class PackageCodemod(CodemodCommand):
    """A codemod over a whole package: each file is transformed knowing every class in every
    module (see :class:`~migration.adapters.codemods.index.PackageIndexProvider`)."""

    METADATA_DEPENDENCIES = (PackageIndexProvider,)
    ARGS: ClassVar[tuple[Arg, ...]] = ()

    @classmethod
    def add_args(cls, arg_parser: argparse.ArgumentParser) -> None:
        for arg in cls.ARGS:
            if arg.kind == "flag":
                arg_parser.add_argument(arg.flag, dest=arg.name, action="store_true", help=arg.help)
            elif arg.kind == "list":
                arg_parser.add_argument(
                    arg.flag, dest=arg.name, nargs="+", required=arg.required, help=arg.help
                )
            elif arg.kind == "map":
                arg_parser.add_argument(
                    arg.flag, dest=arg.name, action="append", metavar="KEY=VALUE", help=arg.help
                )
            else:
                arg_parser.add_argument(
                    arg.flag, dest=arg.name, required=arg.required, default=None, help=arg.help
                )

    @classmethod
    def check_args(cls, args: Mapping[str, object]) -> list[str]:
        """Problems with arguments given in a plan, before anything runs."""
        problems = []
        known = {a.name: a for a in cls.ARGS}
        for name in args:
            if name not in known:
                problems.append(
                    f"{cls.__name__} has no argument {name!r} (it takes: {', '.join(known)})"
                )
        for arg in cls.ARGS:
            value = args.get(arg.name)
            if value is None:
                if arg.required:
                    problems.append(f"{cls.__name__} needs argument {arg.name!r}: {arg.help}")
                continue
            expected = {"str": str, "list": list, "flag": bool, "map": dict}[arg.kind]
            if not isinstance(value, expected):
                problems.append(f"{cls.__name__} argument {arg.name!r} must be a {arg.kind}")
        return problems

    @classmethod
    def command_line(cls, args: Mapping[str, object]) -> list[str]:
        """The codemod's arguments as ``libcst.tool codemod`` flags, in declaration order."""
        out: list[str] = []
        for arg in cls.ARGS:
            value = args.get(arg.name)
            if value is None or value is False:
                continue
            if arg.kind == "flag":
                out.append(arg.flag)
            elif arg.kind == "list" and isinstance(value, list):
                out += [arg.flag, *value]
            elif arg.kind == "map" and isinstance(value, dict):
                for key, item in value.items():
                    out += [arg.flag, f"{key}={item}"]
            else:
                out += [arg.flag, str(value)]
        return out

    def __init__(self, context: CodemodContext, **kwargs: object) -> None:
        super().__init__(context)
        problems = self.check_args({k: v for k, v in kwargs.items() if v is not None})
        if problems:
            raise CodemodError(problems)
        self.args: dict[str, ArgValue] = {}
        for arg in self.ARGS:
            raw = kwargs.get(arg.name)
            value: ArgValue
            if arg.kind == "map" and isinstance(raw, list):
                value = _parse_map([str(item) for item in raw])
            elif isinstance(raw, str | bool | list | dict):
                value = raw
            else:
                value = arg.default
            self.args[arg.name] = value
        self.problems: list[str] = []

    # -- argument access ----------------------------------------------------------------------

    def arg_str(self, name: str) -> str:
        value = self.args[name]
        assert isinstance(value, str), name
        return value

    def arg_list(self, name: str) -> list[str]:
        value = self.args[name]
        return list(value) if isinstance(value, list) else []

    def arg_map(self, name: str) -> dict[str, str]:
        value = self.args[name]
        return dict(value) if isinstance(value, dict) else {}

    def arg_flag(self, name: str) -> bool:
        return bool(self.args[name])

    # -- the run ------------------------------------------------------------------------------

    @contextmanager
    def _handle_metadata_reference(self, module: cst.Module) -> Iterator[cst.Module]:
        """As libcst's, without deep-copying the tree first: every caller (libcst's tool, its
        CodemodTest, our runner) hands over a freshly parsed module it does not reuse, and the
        copy costs as much as the analysis."""
        oldwrapper = self.context.wrapper
        manager = self.context.metadata_manager
        filename = self.context.filename
        cache = manager.get_cache_for_path(filename) if manager is not None and filename else {}
        wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True, cache=cache)
        with self.resolve(wrapper):
            self.context = replace(self.context, wrapper=wrapper)
            try:
                yield wrapper.module
            finally:
                self.context = replace(self.context, wrapper=oldwrapper)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        view = self.get_metadata(PackageIndexProvider, tree)
        assert isinstance(view, IndexView)
        self.index: PackageIndex = view.index
        self.module_name = view.module
        if not self.relevant(tree):
            raise SkipFile("nothing this step touches")
        self.analysis = ModuleAnalysis(self.index, self.module_name, tree)
        self.edits = Edits()
        try:
            self.plan_edits(tree)
        except NotInPackage as e:
            self.problems.append(f"{self.display_path()}: {e}")
        if self.problems:
            raise CodemodError(self.problems)
        if self.edits.empty():
            return tree
        return tree.visit(EditApplier(self.edits, self.analysis.parents))

    def relevant(self, tree: cst.Module) -> bool:
        """Cheap test whether this file can need any change; others are skipped."""
        filename = self.context.filename
        code = Path(filename).read_text() if filename and Path(filename).is_file() else tree.code
        if any(word in code for word in self.words()):
            return True
        for name in self.classes():
            try:
                if self.index.find_class(name).module == self.module_name:
                    return True
            except NotInPackage:
                continue
        return False

    def words(self) -> list[str]:
        """Names whose every use this step must see."""
        return []

    def classes(self) -> list[str]:
        """Classes (``Class`` or the class of ``Class.method``) this step edits."""
        return []

    def plan_edits(self, tree: cst.Module) -> None:
        raise NotImplementedError

    # -- reporting ----------------------------------------------------------------------------

    def display_path(self) -> str:
        filename = self.context.filename
        if not filename or self.module_name == LONE_MODULE:
            return filename or "<module>"
        paths = [p for p in self.index.paths if p]
        if len(paths) > 1:
            root = package_root([Path(p) for p in paths])
            return os.path.relpath(filename, root.parent)
        return os.path.basename(filename)

    def where(self, node: cst.CSTNode) -> str:
        wrapper = self.context.wrapper
        line = "?"
        if wrapper is not None:
            positions = wrapper.resolve(PositionProvider)
            if node in positions:
                line = str(positions[node].start.line)
        return f"{self.display_path()}:{line}"

    def problem(self, node: cst.CSTNode, message: str) -> None:
        self.problems.append(f"{self.where(node)}: {message}")

    # -- classes ------------------------------------------------------------------------------

    def find_class(self, qualname: str) -> ClassInfo:
        return self.index.find_class(qualname)

    def class_node(self, tree: cst.Module, cls: ClassInfo) -> cst.ClassDef | None:
        """The ClassDef of ``cls`` if it is in this module."""
        if cls.module != self.module_name:
            return None
        parts = cls.qualname.split(".")
        body: Sequence[cst.CSTNode] = tree.body
        node: cst.ClassDef | None = None
        for part in parts:
            node = next(
                (s for s in body if isinstance(s, cst.ClassDef) and s.name.value == part), None
            )
            if node is None:
                return None
            body = node.body.body
        return node

    def inside_class(self, scope: Scope, cls: ClassInfo) -> bool:
        current: Scope | None = scope
        while current is not None:
            if current.kind is ScopeKind.CLASS and current.cls is cls:
                return True
            current = current.parent
        return False

    def receiver_is(self, use: AttributeUse, cls: ClassInfo) -> bool | None:
        """True if the receiver is an instance of ``cls``, False if it is something else,
        None if no annotation says."""
        value = self.analysis.value_of(use.node.value, use.scope)
        if value is None:
            return None
        if value.type is None:
            resolved = (
                value.class_key is not None
                or value.module is not None
                or value.function is not None
                or value.external is not None
            )
            return False if resolved else None
        return self.analysis.is_instance_of(value, cls)

    def unresolved(self, use: AttributeUse, cls: ClassInfo) -> None:
        receiver = self.analysis.tree.code_for_node(use.node.value)
        self.problem(
            use.node,
            f"cannot tell whether `{receiver}` in `{receiver}.{use.node.attr.value}` "
            f"({use.scope.qualname}) is a {cls.name}: no annotation resolves it. Annotate it "
            f"(`{receiver}: {cls.name}` if it is one, or its real type) and run the step again",
        )
