"""Which node variant to run, and loading it by package name.

A variant is a package with legacy's module layout (``net``, ``net_processing``,
``net_test_util``, ``init``): ``legacy`` itself, the generated ``split``, a migration stage
materialized as a copy under another name, or (in tests) a mutated copy. The harness never
imports a variant by name in its code: it imports ``<package>.<module>`` through importlib, with
the package's parent directory put on ``sys.path`` when it is not importable already.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Final

#: The modules every variant has, by the name the harness uses for them.
VARIANT_MODULES: Final = ("net", "net_processing", "net_test_util", "init")

#: Where generated variant copies live (gitignored).
CACHE_DIR_NAME: Final = ".netsplit-cache"


class VariantError(Exception):
    """A variant that cannot be resolved or loaded; the message says what to do."""


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """``label`` is what reports call it ("legacy", "stage:7"); ``package`` the import name;
    ``search_path`` the directory holding the package when it is not on sys.path already."""

    label: str
    package: str
    search_path: Path | None = None
    #: Why this variant stands where the user asked for another (printed with the summary).
    note: str = ""
    #: What the user typed to get it, so a replay file can name it again ("" = the label).
    source: str = ""

    @property
    def name(self) -> str:
        return self.source or self.label


@dataclass(frozen=True, slots=True)
class Variant:
    spec: VariantSpec
    net: ModuleType
    net_processing: ModuleType
    net_test_util: ModuleType
    init: ModuleType

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def package(self) -> str:
        return self.spec.package

    def constant(self, name: str) -> object:
        """An upstream constant by name, from whichever of the variant's modules defines it
        (net_processing first: a migration may move a constant there from net)."""
        for module in (self.net_processing, self.net):
            if hasattr(module, name):
                return getattr(module, name)
        raise VariantError(f"{self.label} defines no constant {name}")


def load(spec: VariantSpec) -> Variant:
    """Import the variant's modules (once per process; later calls reuse them)."""
    if spec.search_path is not None:
        path = str(spec.search_path)
        if path not in sys.path:
            sys.path.insert(0, path)
    modules: dict[str, ModuleType] = {}
    for name in VARIANT_MODULES:
        qualified = f"{spec.package}.{name}"
        try:
            modules[name] = importlib.import_module(qualified)
        except ModuleNotFoundError as e:
            if e.name in (spec.package, qualified):
                raise VariantError(
                    f"{spec.label}: package {spec.package!r} has no module {name!r} "
                    f"(a variant needs {', '.join(VARIANT_MODULES)})"
                ) from e
            raise
    return Variant(spec, **modules)


def copy_package(src: Path, dest_parent: Path, name: str) -> VariantSpec:
    """Copy the package at ``src`` to ``dest_parent/name`` (its .py files only) and return the
    spec that loads it. Relative imports inside a variant make the copy import itself."""
    dest = dest_parent / name
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for path in sorted(src.glob("*.py")):
        shutil.copyfile(path, dest / path.name)
    importlib.invalidate_caches()
    return VariantSpec(label=name, package=name, search_path=dest_parent)


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent.parent


def _split_exists(root: Path) -> bool:
    return (root / "split" / "net_processing.py").exists()


def _stage_spec(k: int | None, root: Path) -> VariantSpec | None:
    """A migration stage (the latest for ``k=None``) through the migration toolkit, or None
    when the toolkit offers no stage materializer."""
    from . import stages

    try:
        return stages.materialize(k, root)
    except stages.StageUnavailable as e:
        raise VariantError(str(e)) from e


def resolve(text: str, root: Path | None = None) -> VariantSpec:
    """A variant named on the command line: legacy, split, stage:K, stage:latest,
    package:NAME (any importable package with legacy's layout) or path:DIR (such a package
    anywhere on disk, e.g. a hand-edited copy)."""
    return replace(_resolve(text, project_root() if root is None else root), source=text)


def _resolve(text: str, root: Path) -> VariantSpec:
    if text == "legacy":
        return VariantSpec("legacy", "legacy")
    if text == "split":
        if _split_exists(root):
            return VariantSpec("split", "split")
        why_not = "the migration toolkit offers no stages (netsplit migrate)"
        try:
            stage = _stage_spec(None, root)
        except VariantError as e:
            stage, why_not = None, str(e)
        if stage is not None:
            return VariantSpec(
                stage.label,
                stage.package,
                stage.search_path,
                note=f"split/ is not generated yet: comparing against the latest migration "
                f"stage, {stage.label}",
            )
        copy = copy_package(root / "legacy", root / CACHE_DIR_NAME / "diff", "legacy_copy")
        return VariantSpec(
            "legacy-copy",
            copy.package,
            copy.search_path,
            note=f"split/ is not generated yet and {why_not}: comparing against an identical "
            "copy of legacy under another package name, which checks that the harness itself "
            "reports no false divergence",
        )
    if text.startswith("stage:"):
        arg = text.removeprefix("stage:")
        if arg != "latest" and not arg.isdigit():
            raise VariantError(
                f"bad stage {arg!r}: use stage:K with K a step number, or stage:latest"
            )
        stage = _stage_spec(None if arg == "latest" else int(arg), root)
        if stage is None:
            raise VariantError("stage:K needs the migration toolkit (netsplit migrate)")
        return stage
    if text.startswith("package:"):
        name = text.removeprefix("package:")
        return VariantSpec(name, name)
    if text.startswith("path:"):
        path = Path(text.removeprefix("path:")).resolve()
        if not (path / "net_processing.py").is_file():
            raise VariantError(f"{path} is not a variant package (it has no net_processing.py)")
        return VariantSpec(path.name, path.name, path.parent)
    raise VariantError(
        f"unknown variant {text!r}: use legacy, split, stage:K, stage:latest, package:NAME "
        "or path:DIR"
    )
