"""Reading ``.importlinter``: its contracts, the pending ones, and their view on a stage.

Contracts that the tree does not satisfy yet (the split's own, while the migration stack is
being completed) are written in ``.importlinter`` with every line prefixed by
:data:`PENDING_MARKER`, so ``lint-imports`` skips them as comments and enabling them is one
substitution (``sed -i 's/^# pending-split: //' .importlinter``). :func:`enable_pending` does
that substitution in memory; the failure-injection tests and the per-stage view use it.

Contracts whose id starts with :data:`SPLIT_PREFIX` are about ``split`` alone; a stage of the
migration is a copy of ``legacy/`` under another package name, and :func:`stage_contracts` maps
those contracts onto it by renaming the package in every module-valued option.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from dataclasses import dataclass

PENDING_MARKER = "# pending-split: "
SPLIT_PREFIX = "split-"
SECTION = "importlinter"

#: A contract's options as import-linter's INI reader gives them: a multi-line value is a list.
Options = dict[str, str | list[str]]

#: Options that are free text, never module names.
_TEXT_OPTIONS = {"id", "name", "type", "broken_contract_guidance"}


@dataclass(frozen=True, slots=True)
class Config:
    session: Options
    contracts: tuple[Options, ...]

    def contract(self, contract_id: str) -> Options:
        for options in self.contracts:
            if options["id"] == contract_id:
                return options
        raise KeyError(contract_id)

    @property
    def ids(self) -> list[str]:
        return [str(c["id"]) for c in self.contracts]


def enable_pending(text: str) -> str:
    """The configuration with the pending contracts enabled."""
    marker = PENDING_MARKER.rstrip()
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith(PENDING_MARKER):
            line = line[len(PENDING_MARKER) :]
        elif line.rstrip("\n") == marker:
            line = "\n"
        out.append(line)
    return "".join(out)


def pending_ids(text: str) -> list[str]:
    """The ids of the contracts written as pending."""
    enabled = parse(enable_pending(text)).ids
    active = set(parse(text).ids)
    return [i for i in enabled if i not in active]


def _clean(section: Mapping[str, str]) -> Options:
    # As importlinter.adapters.user_options.IniFileUserOptionReader reads a section.
    return {k: v.strip().split("\n") if "\n" in v else v for k, v in section.items()}


def parse(text: str) -> Config:
    parser = configparser.ConfigParser()
    parser.read_string(text)
    if SECTION not in parser.sections():
        raise ValueError(f"no [{SECTION}] section")
    contracts = []
    for name in parser.sections():
        if name.startswith(f"{SECTION}:"):
            contracts.append({"id": name.split(":")[-1], **_clean(parser[name])})
    return Config(_clean(parser[SECTION]), tuple(contracts))


def rename_package(value: str, package: str, to: str) -> str:
    """``value`` with every module path that starts with ``package`` starting with ``to``."""
    return re.sub(rf"(?<![\w.]){re.escape(package)}(?![\w])", to, value)


def stage_contracts(config: Config, stage_package: str, package: str = "split") -> list[Options]:
    """The contracts about ``package`` alone (id prefix :data:`SPLIT_PREFIX`), with their
    module options renamed onto ``stage_package``."""
    out: list[Options] = []
    for options in config.contracts:
        if not str(options["id"]).startswith(SPLIT_PREFIX):
            continue
        mapped: Options = {}
        for key, value in options.items():
            if key in _TEXT_OPTIONS:
                mapped[key] = value
            elif isinstance(value, list):
                mapped[key] = [rename_package(v, package, stage_package) for v in value]
            else:
                mapped[key] = rename_package(value, package, stage_package)
        out.append(mapped)
    return out
