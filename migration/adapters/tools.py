"""Outside tools run as subprocesses: mypy, ruff, git, and the differential harness."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from migration.domain.report import Check

_ERROR = re.compile(r"^(?P<path>[^:\s][^:]*):(?P<line>\d+)(?::\d+)?: error: ")


class Mypy:
    """The TypeChecker port: ``mypy --strict`` (the project's config) on stage packages.

    All stages go through one mypy process, so ``common`` is analysed once and cached under the
    stage cache."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = root
        self.cache_dir = cache_dir

    def check(self, packages: Sequence[Path]) -> dict[Path, list[str]]:
        if not packages:
            return {}
        parents = list(dict.fromkeys(str(p.parent.resolve()) for p in packages))
        env = dict(os.environ, MYPYPATH=os.pathsep.join([*parents, str(self.root)]))
        command = [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(self.root / "pyproject.toml"),
            "--cache-dir",
            str(self.cache_dir / "mypy"),
            "--no-error-summary",
            "--show-absolute-path",
            "--no-pretty",
        ]
        for package in packages:
            command += ["-p", package.name]
        result = subprocess.run(
            command, cwd=self.root, env=env, capture_output=True, text=True, check=False
        )
        errors: dict[Path, list[str]] = {p: [] for p in packages}
        resolved = {p: p.resolve() for p in packages}
        for line in result.stdout.splitlines():
            match = _ERROR.match(line)
            if not match:
                continue
            path = Path(match.group("path"))
            for package, full in resolved.items():
                if full in path.parents:
                    rel = path.relative_to(full)
                    rest = line[match.start("line") :]
                    errors[package].append(f"{rel}:{rest}")
        if result.returncode not in (0, 1):
            message = (result.stderr or result.stdout).strip().splitlines()
            for package in packages:
                errors[package].append("mypy did not run: " + (message[-1] if message else "?"))
        return errors


class Ruff:
    """The Linter port: ``ruff check`` and ``ruff format --check`` with the project's config."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def check(self, package: Path) -> list[str]:
        files = [
            str(p.relative_to(package))
            for p in sorted(package.rglob("*.py"))
            if "__pycache__" not in p.parts
        ]
        if not files:
            return []
        problems: list[str] = []
        base = [sys.executable, "-m", "ruff"]
        config = ["--config", str(self.root / "pyproject.toml")]
        check = subprocess.run(
            [*base, "check", *config, "--quiet", "--output-format", "concise", *files],
            cwd=package,
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            problems += [
                _relative(line, package) for line in check.stdout.splitlines() if line.strip()
            ]
        fmt = subprocess.run(
            [*base, "format", *config, "--check", "--quiet", *files],
            cwd=package,
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode != 0:
            for line in (fmt.stdout + fmt.stderr).splitlines():
                if line.strip():
                    problems.append(_relative(line, package) + " (ruff format)")
        return problems


def _relative(line: str, package: Path) -> str:
    """A tool's message with paths relative to the package directory."""
    return line.replace(str(package.resolve()) + os.sep, "").replace(str(package) + os.sep, "")


class Git:
    """The GitRepo port, with a fixed identity and dates so exports are reproducible."""

    _ENV = {
        "GIT_AUTHOR_NAME": "netsplit migrate",
        "GIT_AUTHOR_EMAIL": "netsplit@localhost",
        "GIT_COMMITTER_NAME": "netsplit migrate",
        "GIT_COMMITTER_EMAIL": "netsplit@localhost",
        "GIT_AUTHOR_DATE": "2025-10-09T00:00:00+00:00",
        "GIT_COMMITTER_DATE": "2025-10-09T00:00:00+00:00",
    }

    def _git(self, path: Path, *args: str, input: str | None = None) -> str:
        env = dict(os.environ, **self._ENV, GIT_CEILING_DIRECTORIES=str(path.resolve().parent))
        result = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", *args],
            cwd=path,
            env=env,
            input=input,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed in {path}: {result.stderr.strip()}")
        return result.stdout

    def init(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self._git(path, "init", "--quiet", "--initial-branch=main")

    def commit_all(self, path: Path, message: str) -> str:
        self._git(path, "add", "--all")
        self._git(path, "commit", "--quiet", "--allow-empty", "--file=-", input=message)
        return self._git(path, "rev-parse", "HEAD").strip()

    def commits(self, path: Path) -> list[str]:
        return self._git(path, "rev-list", "--reverse", "HEAD").split()

    def message(self, path: Path, commit: str) -> str:
        return self._git(path, "log", "-1", "--format=%B", commit)

    def checkout(self, path: Path, commit: str) -> None:
        self._git(path, "checkout", "--quiet", commit)

    def differs_from(self, path: Path, commit: str) -> str:
        self._git(path, "add", "--all", "--intent-to-add")
        # -R: from what the script produced to what the commit has ("+" = only in the commit).
        return self._git(path, "--no-pager", "diff", "-R", commit, "--stat", "--patch")

    def run_script(self, path: Path, script: str) -> tuple[int, str]:
        bindir = str(Path(sys.executable).parent)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        env.pop("PYTHONPATH", None)
        result = subprocess.run(
            ["sh", "-c", script],
            cwd=path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return result.returncode, (result.stdout + result.stderr)

    def restore(self, path: Path, commit: str) -> None:
        self._git(path, "reset", "--quiet", "--hard", commit)
        self._git(path, "clean", "--quiet", "-fdx")


class DifferentialHarness:
    """The Differential port: the project's differential harness, when it exists.

    Stage K is compared with legacy by ``python -m netsplit diff legacy stage:K`` (the harness
    materializes the stage through :func:`migration.api.materialize_stage`, from the same cache);
    ``--quick`` runs its directed scenarios and a handful of generated ones. While the module
    ``netsplit/diff`` does not exist the check says so and passes nothing."""

    QUICK_EXAMPLES = 10

    def __init__(self, root: Path) -> None:
        self.root = root

    def available(self) -> bool:
        return (self.root / "netsplit" / "diff").is_dir() or (
            self.root / "netsplit" / "diff.py"
        ).is_file()

    def run(self, stage: int, package: Path, quick: bool) -> Check:
        if not self.available():
            return Check.na("n/a: differential harness not built")
        command = [sys.executable, "-m", "netsplit", "diff", "legacy", f"stage:{stage}"]
        if quick:
            command += ["--examples", str(self.QUICK_EXAMPLES)]
        result = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, check=False, timeout=1800
        )
        if result.returncode == 0:
            return Check.ok("agrees with legacy")
        tail = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        what = "diverges" if result.returncode == 1 else "could not run"
        return Check.fail(f"{what}: {tail[-1].strip() if tail else f'exit {result.returncode}'}")
