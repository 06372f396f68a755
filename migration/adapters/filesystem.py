"""Package directories, the stage cache, and the plan and inventory files."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from migration.domain.commits import digest
from migration.domain.plan import Plan, PlanError, parse_plan

_SKIP_DIRS = {"__pycache__", ".mypy_cache", ".ruff_cache"}


def package_files(path: Path) -> list[Path]:
    """The files of a package directory, sorted, without caches."""
    if not path.is_dir():
        return []
    out = []
    for p in sorted(path.rglob("*")):
        skipped = _SKIP_DIRS & set(p.relative_to(path).parts)
        if p.is_file() and not skipped and p.suffix not in (".pyc", ".pyo"):
            out.append(p)
    return out


class DiskWorkspace:
    """The Workspace port: legacy/, split/ and the stage cache under ``cache_dir``.

    A stage lives at ``<cache>/stages/<key[:24]>/stage_007/``: the package is named for its
    stage, and the parent directory, named for its content, is what goes on ``sys.path`` to
    import it. A stage directory appears complete or not at all (built aside, then renamed)."""

    def __init__(self, root: Path, cache_dir: Path | None = None) -> None:
        self.root = root
        self.cache_dir = cache_dir or Path(
            os.environ.get("NETSPLIT_CACHE", str(root / ".netsplit-cache"))
        )

    def legacy_dir(self) -> Path:
        return self.root / "legacy"

    def split_dir(self) -> Path:
        return self.root / "split"

    def read_tree(self, path: Path) -> dict[str, str]:
        return {
            p.relative_to(path).as_posix(): p.read_text(encoding="utf-8")
            for p in package_files(path)
        }

    def tree_digest(self, path: Path) -> str:
        parts: list[bytes] = []
        for p in package_files(path):
            parts += [p.relative_to(path).as_posix().encode(), p.read_bytes()]
        return digest(parts)

    @staticmethod
    def stage_name(stage: int) -> str:
        return f"stage_{stage:03d}"

    def _stage_path(self, key: str, stage: int) -> Path:
        return self.cache_dir / "stages" / key[:24] / self.stage_name(stage)

    def cached_stage(self, key: str, stage: int) -> Path | None:
        path = self._stage_path(key, stage)
        return path if (path / ".complete").is_file() else None

    def new_stage_dir(self, stage: int) -> Path:
        (self.cache_dir / "tmp").mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=self.cache_dir / "tmp"))
        return scratch / self.stage_name(stage)

    def store_stage(self, key: str, stage: int, built: Path) -> Path:
        final = self._stage_path(key, stage)
        (built / ".complete").write_text(key + "\n")
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            built.rename(final)
        except OSError:
            # Someone (another test worker) stored the same stage first; theirs is identical.
            if not (final / ".complete").is_file():
                raise
        shutil.rmtree(built.parent, ignore_errors=True)
        return final

    def copy_package(self, src: Path, dst: Path) -> None:
        if dst.exists():
            shutil.rmtree(dst)
        dst.mkdir(parents=True)
        for p in package_files(src):
            if p.name == ".complete":
                continue
            target = dst / p.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, target)

    def write_tree(self, dst: Path, files: Mapping[str, str]) -> list[str]:
        dst.mkdir(parents=True, exist_ok=True)
        changed = []
        existing = {p.relative_to(dst).as_posix() for p in package_files(dst)}
        for rel in sorted(existing - set(files)):
            (dst / rel).unlink()
            changed.append(rel)
        for rel, text in sorted(files.items()):
            target = dst / rel
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                changed.append(rel)
        return sorted(changed)

    def discard(self, path: Path) -> None:
        shutil.rmtree(path.parent if path.parent.parent.name == "tmp" else path, ignore_errors=True)


class TomlPlan:
    """The PlanSource port: migration/plan.toml."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Plan:
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PlanError(f"{self.path} does not exist") from None
        except tomllib.TOMLDecodeError as e:
            raise PlanError(f"{self.path}: not valid TOML ({e})") from None
        return parse_plan(data, source=str(self.path.name))


def load_inventory(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
