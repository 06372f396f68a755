"""The StageContracts port: the split contracts of ``.importlinter``, checked against a stage.

A stage is ``legacy/`` with steps 1..K applied, under the package name ``stage_K``; the
contracts whose id starts with ``split-`` (pending ones included, since whether they hold yet
is the question) are renamed onto that package and checked in-process with import-linter, one
import graph per stage.
"""

from __future__ import annotations

from pathlib import Path

from contracts.check import check_contracts
from contracts.config import Config, Options, enable_pending, parse, stage_contracts
from migration.domain.report import ContractVerdict


class ImportContracts:
    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    def config(self) -> Config | None:
        """The configuration with pending contracts enabled; None without a config file."""
        if self._config is None and self.config_path.is_file():
            text = self.config_path.read_text(encoding="utf-8")
            self._config = parse(enable_pending(text))
        return self._config

    def check(self, package: Path) -> tuple[ContractVerdict, ...]:
        config = self.config()
        if config is None:
            return ()
        contracts = stage_contracts(config, package.name)
        if not contracts:
            return ()
        session: Options = {"root_packages": [package.name], "include_external_packages": "True"}
        if "contract_types" in config.session:
            session["contract_types"] = config.session["contract_types"]
        verdicts = check_contracts(session, contracts, path_entry=package.parent)
        return tuple(ContractVerdict(v.id, v.kept, v.detail, v.error) for v in verdicts)
