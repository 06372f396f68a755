"""A module's source as a syntax tree, found on ``sys.path`` without importing the module.

import-linter's graph knows module names, not files; the custom contracts read source, so they
locate it the way grimp does: the top-level package through ``importlib.util.find_spec`` (which
does not run the package), the rest by walking its directory.
"""

from __future__ import annotations

import ast
import importlib.util
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from grimp import ImportGraph
from importlinter.domain.helpers import module_expressions_to_modules
from importlinter.domain.imports import ModuleExpression

_TREES: dict[tuple[str, int, int], ast.Module] = {}
_TEXTS: dict[tuple[str, int, int], str] = {}
_NODES: dict[tuple[str, int, int], list[ast.AST]] = {}


def module_file(module: str) -> Path | None:
    """The ``.py`` file of ``module`` (a package's ``__init__.py``), or None when there is none."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None:
        return None
    if spec.submodule_search_locations is None:
        return Path(spec.origin) if not rest and spec.origin else None
    for location in spec.submodule_search_locations:
        base = Path(location).joinpath(*rest)
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                return candidate
    return None


def _key(module: str) -> tuple[Path, tuple[str, int, int]]:
    path = module_file(module)
    if path is None:
        raise ValueError(f"Module '{module}' has no source file on sys.path.")
    stat = path.stat()
    return path, (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def module_text(module: str) -> str:
    """The source of ``module``, NFKC-normalized as Python normalizes identifiers (so a
    substring test on it cannot miss an identifier spelled with compatibility characters)."""
    path, key = _key(module)
    text = _TEXTS.get(key)
    if text is None:
        text = unicodedata.normalize("NFKC", path.read_text(encoding="utf-8"))
        _TEXTS[key] = text
    return text


def mentions(module: str, names: Iterable[str]) -> bool:
    """Whether any of ``names`` occurs in the module's text at all: a module that does not
    contain the characters cannot name the identifier, and need not be parsed."""
    text = module_text(module)
    return any(name in text for name in names)


def parse_module(module: str) -> ast.Module:
    """The syntax tree of ``module``; raises ValueError when it has no source file.

    Trees are cached by path, modification time and size, so contracts that read the same module
    (and the same stage checked again) parse it once."""
    path, key = _key(module)
    tree = _TREES.get(key)
    if tree is None:
        tree = ast.parse(path.read_bytes(), filename=str(path))
        _TREES[key] = tree
    return tree


def module_nodes(module: str) -> list[ast.AST]:
    """Every node of the module's syntax tree (``ast.walk`` order), walked once and cached:
    each contract makes its passes over this list instead of walking the tree again."""
    _, key = _key(module)
    nodes = _NODES.get(key)
    if nodes is None:
        nodes = list(ast.walk(parse_module(module)))
        _NODES[key] = nodes
    return nodes


def expand(graph: ImportGraph, expressions: Iterable[ModuleExpression]) -> list[str]:
    """The modules the expressions name, each with its descendants, sorted; an expression that
    matches nothing is a configuration mistake and raises ValueError, as import-linter's own
    contracts do."""
    modules = module_expressions_to_modules(
        graph, expressions, as_packages=True, raise_if_unmatched=True
    )
    return sorted(m.name for m in modules)
