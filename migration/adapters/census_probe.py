"""The census probe: every access to a CNode member in a package, by walking annotated
receivers with the same resolution the codemods use."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from migration.domain.census import Access, Census, Side, Site, Unresolved, tally
from migration.domain.model import ClassInfo, NotInPackage, PackageIndex

from .codemods.index import index_modules, module_name_for
from .codemods.scopes import ModuleAnalysis


class CstCensus:
    """The CensusProbe port."""

    def __init__(
        self,
        source: str = "CNode",
        target: str = "Peer",
        extra_members: Sequence[tuple[str, bool]] = (),
    ) -> None:
        self.source = source
        self.target = target
        self.extra_members = extra_members

    def census(self, package: Path, sites: bool = True) -> Census:
        """Every access; without ``sites`` the line numbers are left out (0), which saves
        computing positions when only the counts matter."""
        root = package.resolve()
        files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
        wrappers = {
            str(p): MetadataWrapper(cst.parse_module(p.read_bytes()), unsafe_skip_copy=True)
            for p in files
        }
        index = index_modules(
            [(module_name_for(Path(p), root), p, w.module) for p, w in wrappers.items()]
        )
        try:
            src = index.find_class(self.source)
        except NotInPackage:
            return tally([], [], [])
        try:
            np_module: str | None = index.find_class(self.target).module
        except NotInPackage:
            np_module = None

        accesses: list[Access] = []
        unresolved: list[Unresolved] = []
        members = _members(src)
        names = {m for m, _ in members} | {m for m, _ in self.extra_members}
        for path, wrapper in wrappers.items():
            module = index.paths[path]
            text = Path(path).read_text(encoding="utf-8")
            if not any(n in text for n in names):
                continue
            side = (
                Side.NET
                if module == src.module
                else Side.NET_PROCESSING
                if module == np_module
                else Side.OTHER
            )
            analysis = ModuleAnalysis(index, module, wrapper.module)
            positions = wrapper.resolve(PositionProvider) if sites else None
            rel = os.path.relpath(path, root.parent)
            for use in analysis.uses:
                member = use.node.attr.value
                if member not in names:
                    continue
                value = analysis.value_of(use.node.value, use.scope)
                fn = use.scope.function()
                line = positions[use.node].start.line if positions is not None else 0
                site = Site(rel, line, fn.qualname if fn else "<module>")
                if value is None:
                    receiver = wrapper.module.code_for_node(use.node.value)
                    unresolved.append(Unresolved(member, receiver, side, site))
                elif analysis.is_instance_of(value, src):
                    accesses.append(Access(member, use.kind, side, site))
        present = {m for m, _ in members}
        listed = [(m, is_method, True) for m, is_method in members]
        listed += [(m, is_method, False) for m, is_method in self.extra_members if m not in present]
        return tally(listed, accesses, unresolved)


def _members(cls: ClassInfo) -> list[tuple[str, bool]]:
    out = [(name, False) for name in cls.attrs]
    out += [(name, True) for name in cls.methods if not name.startswith("__")]
    return out


def index_of(package: Path) -> PackageIndex:
    root = package.resolve()
    files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    return index_modules(
        [(module_name_for(p, root), str(p), cst.parse_module(p.read_bytes())) for p in files]
    )
