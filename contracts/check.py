"""Running contracts in-process and returning verdicts as data.

``lint-imports`` prints its report; the migration toolkit needs, for each stage of the stack,
which contracts hold, without a subprocess per stage. This module builds the import graph once
(grimp, as import-linter does) and checks each contract against a copy of it, with the same
contract classes import-linter would use (its built-in types and the ``contract_types`` of the
session options).
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import grimp
import importlinter.api  # noqa: F401  (configures import-linter's settings, as lint-imports does)
from importlinter import Contract, ContractCheck
from importlinter.application.output import console
from importlinter.domain.contract import InvalidContractOptions

from .config import Options

BUILTIN_TYPES = {
    "forbidden": "importlinter.contracts.forbidden.ForbiddenContract",
    "layers": "importlinter.contracts.layers.LayersContract",
    "independence": "importlinter.contracts.independence.IndependenceContract",
    "protected": "importlinter.contracts.protected.ProtectedContract",
    "acyclic_siblings": "importlinter.contracts.acyclic_siblings.AcyclicSiblingsContract",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    id: str
    name: str
    kept: bool
    #: The broken contract's report as lint-imports prints it, or why it could not run.
    detail: str = ""
    warnings: tuple[str, ...] = ()
    #: The contract could not be checked (a module it names does not exist, bad options).
    error: bool = False


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def contract_types(session: Options) -> dict[str, type[Contract]]:
    """Contract type name -> class: import-linter's built-in types and ``contract_types``."""
    paths = dict(BUILTIN_TYPES)
    for entry in _as_list(session.get("contract_types")):
        name, _, path = entry.partition(":")
        paths[name.strip()] = path.strip()
    types: dict[str, type[Contract]] = {}
    for name, path in paths.items():
        module, _, cls = path.rpartition(".")
        found = getattr(importlib.import_module(module), cls)
        if not (isinstance(found, type) and issubclass(found, Contract)):
            raise TypeError(f"{path} is not an import-linter Contract")
        types[name] = found
    return types


@contextlib.contextmanager
def on_sys_path(entry: Path | None, packages: Sequence[str]) -> Iterator[None]:
    """``entry`` first on sys.path, and ``packages`` not shadowed by modules already imported
    under the same names, for the duration (both restored afterwards)."""
    if entry is None:
        yield
        return
    hidden = {
        name: module
        for name, module in sys.modules.items()
        if any(name == p or name.startswith(p + ".") for p in packages)
    }
    for name in hidden:
        del sys.modules[name]
    sys.path.insert(0, str(entry))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(entry))
        sys.modules.update(hidden)


def _report(contract: Contract, check: ContractCheck) -> str:
    """What lint-imports prints under the broken contract, one line per line (not wrapped)."""
    width = console.width
    console.width = 10_000
    try:
        with console.capture() as captured:
            contract.render_broken_contract(check)
    finally:
        console.width = width
    return "\n".join(line.rstrip() for line in captured.get().strip().splitlines())


def check_contracts(
    session: Options, contracts: Sequence[Options], path_entry: Path | None = None
) -> list[Verdict]:
    """Check ``contracts`` against the graph of the session's root packages, found with
    ``path_entry`` first on sys.path."""
    roots = _as_list(session.get("root_packages") or session.get("root_package"))
    types = contract_types(session)
    verdicts: list[Verdict] = []
    with on_sys_path(path_entry, roots):
        graph = grimp.build_graph(
            *roots,
            include_external_packages=str(session.get("include_external_packages")).lower()
            == "true",
            exclude_type_checking_imports=str(session.get("exclude_type_checking_imports")).lower()
            == "true",
            cache_dir=None,
        )
        for options in contracts:
            cid, name = str(options["id"]), str(options.get("name", options["id"]))
            try:
                contract = types[str(options["type"])](
                    name=name, session_options=dict(session), contract_options=dict(options)
                )
                check = contract.check(copy.deepcopy(graph), verbose=False)
            except InvalidContractOptions as e:
                problems = "; ".join(f"{k}: {v}" for k, v in e.errors.items())
                verdicts.append(Verdict(cid, name, False, f"invalid options: {problems}", (), True))
                continue
            except (ValueError, KeyError) as e:
                verdicts.append(Verdict(cid, name, False, f"could not run: {e}", (), True))
                continue
            detail = "" if check.kept else _report(contract, check)
            verdicts.append(Verdict(cid, name, check.kept, detail, tuple(check.warnings)))
    return verdicts
