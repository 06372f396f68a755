"""Every contract of ``.importlinter`` can fail, and fails alone.

A contract that cannot fail guards nothing (a misspelled module, a rule that matches nothing).
For each contract — the active ones, the pending split ones (enabled here) and the migration
toolkit's own — one violation is injected into a copy of the project, ``lint-imports`` runs on
the copy with the project's configuration, and exactly that contract must be reported broken,
with the injected line in its report, while every other contract holds.

The copy holds the real ``common``, ``legacy``, ``migration``, ``contracts`` and ``netsplit``,
and, for ``split``, the synthetic end-state package of :mod:`tests.contracts.synthetic`: the
real ``split/`` does not satisfy the pending contracts until the migration stack is complete.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.config import enable_pending, parse

from .synthetic import write_split

ROOT = Path(__file__).resolve().parents[2]
REAL_PACKAGES = ("common", "legacy", "migration", "contracts", "netsplit")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = enable_pending((ROOT / ".importlinter").read_text(encoding="utf-8"))
CONTRACT_IDS = parse(CONFIG).ids


@dataclass(frozen=True)
class Injection:
    path: str
    code: str
    #: A line the broken contract's report must contain; {line} is the number of the first
    #: injected line, {next} of the second.
    expect: str


INJECTIONS = {
    "common-is-shared": Injection(
        "common/clock.py", "import legacy.txrequest\n", "common.clock -> legacy.txrequest"
    ),
    "node-not-toolkit": Injection(
        "legacy/txrequest.py",
        "import migration.domain.diffs\n",
        "legacy.txrequest -> migration.domain.diffs",
    ),
    "variants-independent": Injection(
        "legacy/txrequest.py", "import split.interfaces\n", "legacy.txrequest -> split.interfaces"
    ),
    "common-names-no-variant-class": Injection(
        "common/clock.py",
        '_injected: "dict[int, Peer]" = {}\n',
        "common.clock:{line}: Peer (annotation string)",
    ),
    "common-calls-no-cnode-method": Injection(
        "common/clock.py",
        "def _injected(node: object) -> object:\n    return node.GetLocalNonce()\n",
        "common.clock:{next}: node.GetLocalNonce() (call)",
    ),
    "split-net-not-net-processing": Injection(
        "split/net.py", "from . import net_processing\n", "split.net -> split.net_processing"
    ),
    "split-net-processing-not-net": Injection(
        "split/net_processing.py", "from . import net\n", "split.net_processing -> split.net"
    ),
    "split-net-processing-never-names-cnode": Injection(
        "split/net_processing.py",
        'def _injected(nodes: "list[CNode]") -> None:\n    pass\n',
        "split.net_processing:{line}: CNode (annotation string)",
    ),
    "split-net-processing-calls-no-cnode-method": Injection(
        "split/net_processing.py",
        "def _injected(node: object) -> object:\n    return node.PollMessage()\n",
        "split.net_processing:{next}: node.PollMessage() (call)",
    ),
    "migration-layers": Injection(
        "migration/domain/diffs.py",
        "import migration.application.engine\n",
        "migration.domain.diffs -> migration.application.engine",
    ),
    "migration-pure-core": Injection(
        "migration/domain/diffs.py", "import subprocess\n", "migration.domain.diffs -> subprocess"
    ),
}

_RESULT = re.compile(r"^(?P<name>.+) (?P<verdict>KEPT|BROKEN)(?: \(.*\))?$")
_NAMES = {str(c.get("name")): str(c["id"]) for c in parse(CONFIG).contracts}


@dataclass(frozen=True)
class Run:
    verdicts: dict[str, str]
    output: str
    #: The line number of the first injected line, when something was injected.
    line: int = 0


def _lint(tree: Path, line: int = 0) -> Run:
    result = subprocess.run(
        [str(LINT_IMPORTS), "--config", ".importlinter", "--no-cache"],
        cwd=tree,
        env=dict(os.environ, COLUMNS="1000", PYTHONPATH=str(tree)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    verdicts = {}
    for text in output.splitlines():
        match = _RESULT.match(text.strip())
        if match and match["name"] in _NAMES:
            verdicts[_NAMES[match["name"]]] = match["verdict"]
    return Run(verdicts, output, line)


def _inject(base: Path, where: Path, injection: Injection) -> Run:
    shutil.copytree(base, where, symlinks=True)
    target = where / injection.path
    text = target.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    line = text.count("\n") + 1
    target.write_text(text + injection.code, encoding="utf-8")
    return _lint(where, line)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, Run]:
    """``lint-imports`` on the clean copy (key None) and on one copy per injection."""
    base = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    for package in REAL_PACKAGES:
        shutil.copytree(ROOT / package, base / package, ignore=ignore)
    write_split(base)
    (base / ".importlinter").write_text(CONFIG, encoding="utf-8")
    scratch = tmp_path_factory.mktemp("injected")
    with ThreadPoolExecutor(max_workers=2) as pool:
        clean = pool.submit(_lint, base)
        injected = {
            cid: pool.submit(_inject, base, scratch / cid, injection)
            for cid, injection in INJECTIONS.items()
        }
        out: dict[str | None, Run] = {cid: f.result() for cid, f in injected.items()}
        out[None] = clean.result()
    return out


def test_every_contract_in_the_configuration_has_an_injected_violation() -> None:
    assert sorted(INJECTIONS) == sorted(CONTRACT_IDS)


def test_the_pending_split_contracts_are_among_those_checked() -> None:
    assert {
        "split-net-processing-not-net",
        "split-net-processing-never-names-cnode",
        "split-net-processing-calls-no-cnode-method",
    } <= set(CONTRACT_IDS)


def test_without_a_violation_every_contract_is_kept(runs: dict[str | None, Run]) -> None:
    clean = runs[None]
    assert clean.verdicts == dict.fromkeys(CONTRACT_IDS, "KEPT"), clean.output


@pytest.mark.parametrize("contract_id", CONTRACT_IDS)
def test_an_injected_violation_breaks_that_contract_alone(
    runs: dict[str | None, Run], contract_id: str
) -> None:
    run = runs[contract_id]
    expected = {cid: "BROKEN" if cid == contract_id else "KEPT" for cid in CONTRACT_IDS}
    assert run.verdicts == expected, run.output
    expect = INJECTIONS[contract_id].expect.format(line=run.line, next=run.line + 1)
    assert expect in run.output, run.output
