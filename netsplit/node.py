"""``netsplit node --variant legacy|split|stage:K [bitcoind options]``: run a node of any variant.

Each variant is a package with bitcoind's main in ``<package>.bitcoind``: ``legacy``, the
generated ``split``, or a migration stage, which the migration toolkit materializes as a copy of
legacy/ with the first K steps applied. Everything after ``--variant`` goes to the node as its
command line, so ``netsplit node --variant split -datadir=/tmp/n -debug=net`` is
``python -m split -datadir=/tmp/n -debug=net``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

USAGE = (
    "usage: netsplit node [--variant legacy|split|stage:K] [bitcoind options]\n"
    "  (netsplit node --variant legacy -help lists the node's options)"
)


class VariantError(Exception):
    """A variant that cannot be run; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class NodeVariant:
    """Where a variant's package lives: its import name and a directory to put on sys.path
    (None when it is importable already)."""

    label: str
    package: str
    search_path: Path | None


def resolve_variant(variant: str, root: Path = ROOT) -> NodeVariant:
    if variant in ("legacy", "split"):
        if not (root / variant / "bitcoind.py").exists():
            raise VariantError(
                f"variant {variant!r} has no node yet ({variant}/bitcoind.py is missing); "
                "generate it with `netsplit migrate build`"
                if variant == "split"
                else f"{variant}/bitcoind.py is missing"
            )
        return NodeVariant(variant, variant, None)
    if variant.startswith("stage:"):
        number = variant.removeprefix("stage:")
        k: int | None
        if number == "latest":
            k = None
        elif number.isdigit():
            k = int(number)
        else:
            raise VariantError(f"bad stage {number!r} in {variant!r}: use stage:K or stage:latest")
        try:
            from migration.api import materialize_stage
        except ImportError as e:
            raise VariantError(
                f"cannot run {variant}: the migration toolkit's stage materializer is not "
                f"available ({e})"
            ) from e
        try:
            search_path, package = materialize_stage(k, root)
        except Exception as e:
            raise VariantError(f"cannot build {variant}: {type(e).__name__}: {e}") from e
        if not (Path(search_path) / package / "bitcoind.py").exists():
            raise VariantError(
                f"{variant} ({Path(search_path) / package}) has no bitcoind.py: the stage was "
                "built from a legacy/ without the node's main"
            )
        return NodeVariant(variant, package, Path(search_path))
    raise VariantError(
        f"unknown variant {variant!r}: expected legacy, split or stage:K (see netsplit node -help)"
    )


def split_variant_arg(argv: Sequence[str]) -> tuple[str, list[str]]:
    """Take ``--variant V`` / ``--variant=V`` off the front of ``argv`` (default legacy)."""
    args = list(argv)
    variant = "legacy"
    if args and args[0].startswith("--variant="):
        variant = args.pop(0).split("=", 1)[1]
    elif args and args[0] == "--variant":
        if len(args) < 2:
            raise VariantError("--variant needs a value: legacy, split or stage:K")
        variant = args[1]
        del args[:2]
    return variant, args


def run_node(argv: Sequence[str]) -> int:
    """Run a node in this process; returns its exit code."""
    try:
        variant, node_args = split_variant_arg(argv)
        spec = resolve_variant(variant)
    except VariantError as e:
        print(f"Error: {e}\n{USAGE}", file=sys.stderr)
        return 2
    if spec.search_path is not None and str(spec.search_path) not in sys.path:
        sys.path.insert(0, str(spec.search_path))
    bitcoind = importlib.import_module(f"{spec.package}.bitcoind")
    result: int = bitcoind.main([f"netsplit node --variant {spec.label}", *node_args])
    return result
