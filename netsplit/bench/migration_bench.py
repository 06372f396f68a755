"""B5: the migration toolkit's speed: a full build of split/ from legacy/, a rebuild after one
step's arguments change, and ``netsplit migrate verify --quick``.

The builds never touch the project's own split/ or stage cache: they run ``netsplit migrate
build`` as a user would, in a subprocess, against a scratch copy of the project root (legacy/,
split/, migration/ and pyproject.toml) named by ``NETSPLIT_ROOT``, with an empty stage cache named
by ``NETSPLIT_CACHE``. The toolkit's code is the project's; only its inputs are copied.

The rebuild adds ``source = "CNode"`` to the arguments of the last codemod step in the copy's
plan.toml. That is the codemod's default, so the step's output is the same, but its cache key
(which covers the arguments) changes: the stage of that step and every stage after it are built
again, exactly as after a real change to its arguments, and split/ must come out unchanged.

``verify --quick`` runs in the project root itself, with its warm caches, as a developer runs it
after a build: it writes only to the stage cache, never to split/.
"""

from __future__ import annotations

import itertools
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .model import B5_FULL_BUILD, B5_REBUILD, Figure

BENCH: Final = "B5"
ROOT: Final = Path(__file__).resolve().parent.parent.parent
#: What a scratch root needs: the inputs of a build.
COPIED: Final = ("legacy", "split", "migration", "pyproject.toml")
#: Codemods that take ``source`` (default "CNode").
SOURCE_CODEMODS: Final = ("MoveField", "DuplicateField", "RouteThroughConnman")
BUILD_TIMEOUT: Final = 900.0
VERIFY_TIMEOUT: Final = 1800.0
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")


class BenchError(RuntimeError):
    """A command the benchmark times did not succeed; the message has its output."""


@dataclass(frozen=True, slots=True)
class Timed:
    seconds: float
    #: CPU seconds (user + system) of the command and its children: steadier than the wall
    #: clock on a shared machine.
    cpu: float
    output: str
    ok: bool = True


def netsplit_command(
    *args: str, root: Path | None = None, cache: Path | None = None, check: bool = True
) -> Timed:
    """Run ``netsplit ARGS`` in a subprocess (from the project root), timed. With ``check``,
    a non-zero exit raises BenchError; otherwise ``Timed.ok`` says how it ended."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    if root is not None:
        env["NETSPLIT_ROOT"] = str(root)
    if cache is not None:
        env["NETSPLIT_CACHE"] = str(cache)
    env["COLUMNS"] = "160"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "netsplit", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=VERIFY_TIMEOUT if "verify" in args else BUILD_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    output = done.stdout + done.stderr
    if check and done.returncode != 0:
        raise BenchError(f"netsplit {' '.join(args)} exited {done.returncode}:\n{output}")
    return Timed(seconds, cpu, output, done.returncode == 0)


def scratch_root(parent: Path) -> Path:
    root = parent / "root"
    root.mkdir()
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=_IGNORED)
        elif src.is_file():
            shutil.copyfile(src, root / name)
    return root


_STEP = re.compile(r"^\[\[step\]\]\s*$", re.MULTILINE)


def touch_last_codemod_args(plan_path: Path) -> tuple[int, str]:
    """Add the default ``source = "CNode"`` to the last codemod step's inline ``args`` table
    (one that does not name ``source`` already). Returns (step number, step id)."""
    text = plan_path.read_text(encoding="utf-8")
    starts = [m.start() for m in _STEP.finditer(text)] + [len(text)]
    chosen: tuple[int, int, int, str] | None = None
    for number, (start, end) in enumerate(itertools.pairwise(starts), start=1):
        block = text[start:end]
        codemod = re.search(r'^codemod\s*=\s*"([^"]+)"', block, re.MULTILINE)
        args = re.search(r"^args\s*=\s*\{", block, re.MULTILINE)
        ident = re.search(r'^id\s*=\s*"([^"]+)"', block, re.MULTILINE)
        if codemod is None or args is None or ident is None:
            continue
        line_end = block.find("\n", args.end())
        if codemod.group(1) in SOURCE_CODEMODS and "source" not in block[args.end() : line_end]:
            chosen = (number, start + args.end(), start, ident.group(1))
    if chosen is None:
        raise BenchError(f"{plan_path}: no codemod step with an inline args table to touch")
    step_number, at, _start, step_id = chosen
    plan_path.write_text(text[:at] + ' source = "CNode",' + text[at:], encoding="utf-8")
    return step_number, step_id


def step_count(root: Path) -> int:
    return len(_STEP.findall((root / "migration" / "plan.toml").read_text(encoding="utf-8")))


def _split_unchanged(output: str) -> bool:
    return "split/ is up to date" in output


def run_b5(
    quick: bool, progress: Callable[[str], None] = lambda what: None, verify: bool | None = None
) -> list[Figure]:
    """Full build and rebuild in a scratch root; ``verify --quick`` in the project root (by
    default in full runs only: it takes minutes, more than a quick run's whole budget)."""
    if verify is None:
        verify = not quick
    note = "quick run" if quick else ""
    figures: list[Figure] = []

    def add(name: str, timed: Timed, *detail: str) -> None:
        cpu = f"{timed.cpu:.1f} s of CPU"
        figures.append(
            Figure(BENCH, name, "toolkit", timed.seconds, "s", False, _join(*detail, cpu, note))
        )

    with tempfile.TemporaryDirectory(prefix="netsplit-bench-b5-") as tmp:
        root = scratch_root(Path(tmp))
        cache = Path(tmp) / "cache"
        steps = step_count(root)
        progress(f"B5: full build of {steps} steps into a scratch root")
        full = netsplit_command("migrate", "build", root=root, cache=cache)
        # A split/ that is stale in the tree makes the first build write files; that costs
        # nothing measurable, but the figure says so.
        stale = "" if _split_unchanged(full.output) else "the tree's split/ was stale"
        add(B5_FULL_BUILD, full, f"{steps} steps, empty stage cache", stale)
        number, ident = touch_last_codemod_args(root / "migration" / "plan.toml")
        progress(f"B5: rebuild after step {number} ({ident}) changes")
        rebuilt = netsplit_command("migrate", "build", root=root, cache=cache)
        if not _split_unchanged(rebuilt.output):
            raise BenchError(f"the rebuild changed split/:\n{rebuilt.output}")
        add(B5_REBUILD, rebuilt, f"step {number} of {steps} ({ident}): stages {number}..{steps}")
        noop = netsplit_command("migrate", "build", root=root, cache=cache)
        add("build with nothing changed", noop, "every stage cached: the command's own cost")
    if not verify:
        progress("B5: netsplit migrate verify --quick skipped (full runs only)")
    else:
        progress("B5: netsplit migrate verify --quick")
        # A stage that fails a check still took the time to check; the figure says it failed.
        checked = netsplit_command("migrate", "verify", "--quick", check=False)
        add(
            "netsplit migrate verify --quick",
            checked,
            f"{steps} steps, project root, warm caches",
            "" if checked.ok else "verify reported failures",
        )
    return figures


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
