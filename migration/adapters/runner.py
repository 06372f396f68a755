"""Applies steps to a package directory: codemods the way ``python -m libcst.tool codemod`` runs
them, patches with ``git apply``."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

import libcst as cst
from libcst import _version as libcst_version
from libcst.codemod import CodemodContext, SkipFile
from libcst.metadata import FullRepoManager

from migration.application.ports import Applied
from migration.domain.plan import ArgValue, CodemodAction, PatchAction, Step

from .codemods import CODEMODS, CodemodError
from .codemods.index import (
    IndexView,
    PackageIndexProvider,
    index_modules,
    module_name_for,
)

CODEMOD_PACKAGE = "migration.adapters.codemods"
#: Every codemod step ends by formatting the package the way the project does (pyproject.toml:
#: line length 100, Python 3.11), with no config file so the replay in an exported repository
#: formats identically. A codemod that makes a line longer leaves it for ruff to wrap.
FORMAT = [
    "-m",
    "ruff",
    "format",
    "--isolated",
    "--quiet",
    "--line-length=100",
    "--target-version=py311",
]
#: libcst's tool skips files carrying this marker; so do we, so the replay matches.
GENERATED_MARKER = "@" + "generated"


class _Precomputed(FullRepoManager):
    """A full-repo manager whose index is already built (from the trees we transform next)."""

    def __init__(self, root: Path, views: dict[str, IndexView]) -> None:
        super().__init__(root, list(views), [PackageIndexProvider])
        self._cache = {PackageIndexProvider: views}


class StepRunner:
    """The StepApplier port."""

    def __init__(self, migration_dir: Path) -> None:
        self.migration_dir = migration_dir
        #: Parsed modules by content: consecutive steps share most files unchanged. libcst
        #: trees are immutable, so one tree can serve every step that reads those bytes.
        self._parsed: dict[str, cst.Module] = {}

    def _parse(self, data: bytes) -> cst.Module:
        key = hashlib.sha256(data).hexdigest()
        tree = self._parsed.get(key)
        if tree is None:
            if len(self._parsed) > 64:
                self._parsed.clear()
            tree = self._parsed[key] = cst.parse_module(data)
        return tree

    # -- applying -----------------------------------------------------------------------------

    def apply(self, step: Step, package_dir: Path) -> Applied:
        if isinstance(step.action, PatchAction):
            return self._apply_patch(self.migration_dir / step.action.path, package_dir)
        return self.apply_codemod(step.action, package_dir)

    def apply_codemod(self, action: CodemodAction, package_dir: Path) -> Applied:
        cls = CODEMODS.get(action.codemod)
        if cls is None:
            return Applied((), (f"unknown codemod {action.codemod!r}",))
        files = sorted(
            p.resolve() for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts
        )
        sources = {str(p): p.read_bytes() for p in files}
        trees: dict[str, cst.Module] = {}
        problems: list[str] = []
        for path, data in sources.items():
            if GENERATED_MARKER.encode() in data:
                continue
            try:
                trees[path] = self._parse(data)
            except cst.ParserSyntaxError as e:
                rel = os.path.relpath(path, package_dir.parent)
                problems.append(f"{rel}:{e.raw_line}: does not parse: {e.message}")
        if problems:
            return Applied((), tuple(problems))
        root = package_dir.resolve()
        index = index_modules(
            [(module_name_for(Path(p), root), p, tree) for p, tree in trees.items()]
        )
        views = {p: IndexView(index, index.paths[p]) for p in trees}
        manager = _Precomputed(root, views)
        changed: list[str] = []
        for path, tree in trees.items():
            context = CodemodContext(filename=path, metadata_manager=manager)
            try:
                codemod = cls(context, **dict(action.args))
                out = codemod.transform_module(tree)
            except SkipFile:
                continue
            except CodemodError as e:
                problems.extend(e.problems)
                continue
            except Exception as e:  # a codemod bug: report it with where it happened
                where = traceback.extract_tb(e.__traceback__)[-1]
                problems.append(
                    f"{os.path.relpath(path, package_dir.parent)}: {action.codemod} failed "
                    f"({type(e).__name__}: {e} at {Path(where.filename).name}:{where.lineno})"
                )
                continue
            new = out.bytes
            if new != sources[path]:
                Path(path).write_bytes(new)
                changed.append(os.path.relpath(path, root))
        if problems:
            return Applied(tuple(changed), tuple(dict.fromkeys(problems)))
        if changed:
            changed = sorted(set(changed) | set(self._format(root, files)))
        return Applied(tuple(changed))

    def _format(self, root: Path, files: list[Path]) -> list[str]:
        """Run the formatter over the package's files; the ones it rewrote."""
        before = {p: p.read_bytes() for p in files}
        result = subprocess.run(
            [sys.executable, *FORMAT, *(str(p) for p in files)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"ruff format failed: {result.stderr.strip()}")
        return [os.path.relpath(p, root) for p in files if p.read_bytes() != before[p]]

    def _apply_patch(self, patch: Path, package_dir: Path) -> Applied:
        if not patch.is_file():
            return Applied((), (f"patch file {patch} does not exist",))
        env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(package_dir.resolve().parent))
        before = {p: p.read_bytes() for p in package_dir.rglob("*") if p.is_file()}
        result = subprocess.run(
            ["git", "apply", "--whitespace=nowarn", "-p1", str(patch.resolve())],
            cwd=package_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            return Applied(
                (),
                (
                    f"patch {patch.name} does not apply: {result.stderr.strip()} (regenerate it "
                    "against the previous stage, see docs/reviewing.md)",
                ),
            )
        after = {p for p in package_dir.rglob("*") if p.is_file()}
        changed = sorted(
            str(p.relative_to(package_dir))
            for p in after | set(before)
            if not p.exists() or p not in before or before[p] != p.read_bytes()
        )
        return Applied(tuple(changed))

    # -- describing ---------------------------------------------------------------------------

    def fingerprint(self, step: Step) -> str:
        h = hashlib.sha256()
        if isinstance(step.action, PatchAction):
            patch = self.migration_dir / step.action.path
            h.update(patch.read_bytes() if patch.is_file() else b"<missing>")
            return h.hexdigest()
        h.update(libcst_version.__version__.encode())
        here = Path(__file__).resolve().parent
        for source in sorted((here / "codemods").glob("*.py")):
            h.update(source.name.encode())
            h.update(source.read_bytes())
        h.update((here / "runner.py").read_bytes())
        return h.hexdigest()

    def replay_script(self, step: Step, package: str) -> str | None:
        if not isinstance(step.action, CodemodAction):
            return None
        cls = CODEMODS[step.action.codemod]
        command = [
            "python",
            "-m",
            "libcst.tool",
            "codemod",
            "-x",
            f"{CODEMOD_PACKAGE}.{cls.__name__}",
            package,
            "--no-format",
            "--jobs=1",
            "--hide-progress",
            *cls.command_line(step.action.args),
        ]
        formatting = ["python", *FORMAT, package]
        return "\n".join(
            " ".join(shlex.quote(part) for part in line) for line in (command, formatting)
        )

    def check_codemod(self, name: str, args: Mapping[str, ArgValue]) -> Sequence[str]:
        cls = CODEMODS.get(name)
        if cls is None:
            return [f"unknown codemod {name!r} (known: {', '.join(sorted(CODEMODS))})"]
        return cls.check_args(args)

    def patch_exists(self, path: str) -> bool:
        return (self.migration_dir / path).is_file()
