"""Migration stages as variants, through the migration toolkit's stage materializer.

The toolkit materializes "stage K" (legacy with the first K steps applied) as an importable copy
of legacy under another package name in a cache directory. This module is the one place the
harness talks to it, so the rest of the harness only ever sees a :class:`VariantSpec`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .variant import VariantSpec

#: Where the toolkit may expose its materializer: (module, function) pairs, tried in order.
_ENTRY_POINTS = (
    ("migration.stages", "materialize_stage"),
    ("migration.application.stages", "materialize_stage"),
    ("migration.stage", "materialize_stage"),
    ("migration.api", "materialize_stage"),
)


def _find_materializer() -> Callable[..., Any] | None:
    for module_name, func_name in _ENTRY_POINTS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        func: object = getattr(module, func_name, None)
        if callable(func):
            return func
    return None


def available() -> bool:
    return _find_materializer() is not None


def _as_spec(result: Any, label: str) -> VariantSpec:
    """Accept what the materializer returns: a (directory, package) pair, a package directory,
    or an object with ``path``/``package`` (or ``parent``/``name``) attributes."""
    if isinstance(result, VariantSpec):
        return result
    if isinstance(result, tuple) and len(result) == 2:
        first, second = result
        if isinstance(first, (str, Path)) and isinstance(second, str):
            path = Path(first)
            if (path / second).is_dir():
                return VariantSpec(label, second, path)
            if path.name == second:
                return VariantSpec(label, second, path.parent)
        if isinstance(first, str) and isinstance(second, (str, Path)):
            return VariantSpec(label, first, Path(second))
    if isinstance(result, (str, Path)):
        path = Path(result)
        return VariantSpec(label, path.name, path.parent)
    package = getattr(result, "package", None) or getattr(result, "name", None)
    location = getattr(result, "path", None) or getattr(result, "search_path", None)
    if isinstance(package, str) and isinstance(location, (str, Path)):
        where = Path(location)
        return VariantSpec(label, package, where.parent if where.name == package else where)
    raise TypeError(f"the stage materializer returned {result!r}, not a package location")


class StageUnavailable(Exception):
    """The toolkit is there but could not build the stage; the message says why."""


def materialize(k: int | None, root: Path) -> VariantSpec | None:
    """Stage ``k`` (the latest for None) as a variant, or None without a materializer.
    Raises StageUnavailable when the materializer fails."""
    func = _find_materializer()
    if func is None:
        return None
    params = inspect.signature(func).parameters
    kwargs: dict[str, Any] = {}
    if "root" in params:
        kwargs["root"] = root
    try:
        result = func(k, **kwargs)
    except Exception as e:  # the toolkit's own error, reported with its message
        which = "the latest stage" if k is None else f"stage {k}"
        raise StageUnavailable(
            f"the migration toolkit could not build {which}: {type(e).__name__}: {e}"
        ) from e
    label = "stage:latest" if k is None else f"stage:{k}"
    spec = _as_spec(result, label)
    if k is None and spec.package.startswith("stage_"):
        number = spec.package.removeprefix("stage_")
        if number.isdigit():
            spec = VariantSpec(f"stage:{int(number)}", spec.package, spec.search_path)
    return spec
