"""``netsplit fuzz TARGET``: run a target under atheris (libFuzzer) for a while, keep what it
found as regression inputs, or replay saved inputs.

Running returns a :class:`FuzzRun` and replaying a list of :class:`ReplayResult`; :func:`run`
renders them. Exit status: 0 nothing found, 1 a finding, 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from netsplit.diff.variant import CACHE_DIR_NAME, VariantError, project_root

#: Target names, repeated here so the parser is built without importing the targets.
TARGET_NAMES: Final = ("frame", "process_message")
#: libFuzzer's per-input time limit (seconds): an input slower than this is a finding.
INPUT_TIMEOUT: Final = 25
#: What libFuzzer names the inputs it saves when something goes wrong.
ARTIFACT_PREFIXES: Final = ("crash-", "timeout-", "oom-", "leak-", "slow-unit-")

#: Every input starts a node in a fresh data directory, which writes (and fsyncs) peers.dat:
#: on a RAM disk an input takes about a third of the wall time it takes on disk.
SHM_DIR: Final = "/dev/shm"

_EXECUTED: Final = re.compile(r"stat::number_of_executed_units:\s*(\d+)")
_EXEC_PER_SEC: Final = re.compile(r"stat::average_exec_per_sec:\s*(\d+)")
_NEW_UNITS: Final = re.compile(r"stat::new_units_added:\s*(\d+)")
_DONE: Final = re.compile(r"Done (\d+) runs in (\d+) second")


def regression_dir(target: str, root: Path | None = None) -> Path:
    """Where found inputs are kept, committed: tests/fuzz_corpus/<target>/."""
    return (project_root() if root is None else root) / "tests" / "fuzz_corpus" / target


def default_corpus_dir(target: str, root: Path | None = None) -> Path:
    """The working corpus libFuzzer grows (not committed)."""
    return (project_root() if root is None else root) / CACHE_DIR_NAME / "fuzz" / target


@dataclass(slots=True)
class FuzzRun:
    target: str
    variant: str
    returncode: int
    executions: int
    exec_per_sec: int
    seconds: float
    new_units: int
    #: CPU time the fuzzing process used (user + system): on a shared machine, executions per
    #: CPU second say more about the target than executions per second of wall time.
    cpu_seconds: float = 0.0
    #: Inputs libFuzzer saved (crash, timeout, oom), copied into the regression directory.
    findings: list[Path] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    path: Path
    variant: str
    #: None when the input passes; else the finding, as the exception's last line.
    error: str | None


def saved_inputs(paths: list[Path]) -> list[Path]:
    """Every file named, and every file in the directories named (sorted, dotfiles skipped)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        else:
            out.append(path)
    return out


def replay(target: str, variant: str, paths: list[Path]) -> list[ReplayResult]:
    """Run the target in this process on each saved input."""
    from .targets import TARGETS

    fn = TARGETS[target]
    results: list[ReplayResult] = []
    for path in saved_inputs(paths):
        try:
            fn(path.read_bytes(), variant)
        except Exception as e:
            last = traceback.format_exception_only(type(e), e)[-1].strip()
            results.append(ReplayResult(path, variant, last))
        else:
            results.append(ReplayResult(path, variant, None))
    return results


def _write_seeds(target: str, corpus: Path) -> None:
    from .seeds import SEEDS, seed_name

    for data in SEEDS[target]():
        (corpus / seed_name(data)).write_bytes(data)


def run_fuzzer(
    target: str,
    variant: str,
    seconds: int,
    *,
    corpus: Path | None = None,
    crash_dir: Path | None = None,
    runs: int | None = None,
    extra_args: list[str] | None = None,
    echo: bool = True,
) -> FuzzRun:
    """atheris for ``seconds`` (or ``runs`` inputs) in a subprocess, growing ``corpus`` (seeded
    when empty) and reading the committed regression inputs too. Inputs libFuzzer saves on a
    finding are copied into ``crash_dir`` (the regression directory by default)."""
    root = project_root()
    corpus = default_corpus_dir(target, root) if corpus is None else corpus
    crash_dir = regression_dir(target, root) if crash_dir is None else crash_dir
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        _write_seeds(target, corpus)
    corpus_dirs = [str(corpus)]
    known = regression_dir(target, root)
    if known.is_dir() and any(known.iterdir()) and known.resolve() != corpus.resolve():
        corpus_dirs.append(str(known))

    with tempfile.TemporaryDirectory(prefix="netsplit-fuzz-") as artifacts:
        args = [
            f"-max_total_time={seconds}",
            f"-timeout={INPUT_TIMEOUT}",
            f"-artifact_prefix={artifacts}{os.sep}",
            "-print_final_stats=1",
        ]
        if runs is not None:
            args.append(f"-runs={runs}")
        args += extra_args or []
        cmd = [sys.executable, "-m", "netsplit.fuzz.runner", target, variant, *args]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        if "TMPDIR" not in env and os.access(SHM_DIR, os.W_OK):
            env["TMPDIR"] = SHM_DIR
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.Popen(
            [*cmd, *corpus_dirs],
            cwd=root,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        assert proc.stderr is not None
        log: list[str] = []
        for line in proc.stderr:
            log.append(line)
            if echo:
                sys.stderr.write(line)
        returncode = proc.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        findings = _keep_findings(Path(artifacts), crash_dir)
    result = _summarize(target, variant, returncode, "".join(log), findings)
    result.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def _keep_findings(artifacts: Path, crash_dir: Path) -> list[Path]:
    kept: list[Path] = []
    for path in sorted(artifacts.iterdir()):
        if path.name.startswith(ARTIFACT_PREFIXES):
            crash_dir.mkdir(parents=True, exist_ok=True)
            dest = crash_dir / path.name
            shutil.copyfile(path, dest)
            kept.append(dest)
    return kept


def _summarize(
    target: str, variant: str, returncode: int, log: str, findings: list[Path]
) -> FuzzRun:
    def last_int(pattern: re.Pattern[str]) -> int:
        found = pattern.findall(log)
        return int(found[-1]) if found else 0

    done = _DONE.findall(log)
    executions = last_int(_EXECUTED) or (int(done[-1][0]) if done else 0)
    seconds = float(done[-1][1]) if done else 0.0
    return FuzzRun(
        target=target,
        variant=variant,
        returncode=returncode,
        executions=executions,
        exec_per_sec=last_int(_EXEC_PER_SEC),
        seconds=seconds,
        new_units=last_int(_NEW_UNITS),
        findings=findings,
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", choices=TARGET_NAMES, help="the fuzz target")
    p.add_argument(
        "--variant",
        default="legacy",
        help="the node variant: legacy, split, stage:K, ... (default: legacy)",
    )
    p.add_argument("--seconds", type=int, default=60, help="how long to fuzz (default: 60)")
    p.add_argument("--runs", type=int, default=None, help="stop after this many inputs")
    p.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help=f"the working corpus directory (default: {CACHE_DIR_NAME}/fuzz/TARGET)",
    )
    p.add_argument(
        "--crash-dir",
        type=Path,
        default=None,
        help="where inputs that find something are saved (default: tests/fuzz_corpus/TARGET)",
    )
    p.add_argument(
        "--replay",
        type=Path,
        nargs="+",
        default=None,
        metavar="PATH",
        help="run the target on saved inputs (files or directories) instead of fuzzing",
    )
    p.add_argument("--quiet", action="store_true", help="do not echo libFuzzer's output")
    p.add_argument(
        "--libfuzzer-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="pass an option to libFuzzer, e.g. --libfuzzer-arg=-max_len=65536 (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        from netsplit.diff.variant import resolve

        resolve(args.variant)
    except VariantError as e:
        print(f"netsplit fuzz: {e}", file=sys.stderr)
        return 2
    if args.replay is not None:
        return _render_replay(replay(args.target, args.variant, args.replay))
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("netsplit fuzz: atheris is not installed (pip install -e '.[fuzz]')", file=sys.stderr)
        return 2
    if args.seconds <= 0:
        print("netsplit fuzz: --seconds must be positive", file=sys.stderr)
        return 2
    result = run_fuzzer(
        args.target,
        args.variant,
        args.seconds,
        corpus=args.corpus,
        crash_dir=args.crash_dir,
        runs=args.runs,
        extra_args=args.libfuzzer_arg,
        echo=not args.quiet,
    )
    return _render_run(result)


def _render_run(result: FuzzRun) -> int:
    per_cpu = result.executions / result.cpu_seconds if result.cpu_seconds else 0.0
    print(
        f"fuzz {result.target} on {result.variant}: {result.executions} executions in "
        f"{result.seconds:.0f} s ({result.exec_per_sec} exec/s; {per_cpu:.0f} per CPU second, "
        f"{result.cpu_seconds:.0f} CPU s), {result.new_units} new corpus inputs"
    )
    for path in result.findings:
        print(f"finding saved: {path}")
        print(f"  replay: netsplit fuzz {result.target} --variant {result.variant} --replay {path}")
    if result.findings:
        return 1
    if result.returncode != 0:
        print(f"fuzzer exited with status {result.returncode}")
        return 1
    return 0


def _render_replay(results: list[ReplayResult]) -> int:
    failed = [r for r in results if r.error is not None]
    for r in results:
        print(f"{'FAIL' if r.error else 'ok  '} {r.path}" + (f": {r.error}" if r.error else ""))
    print(f"{len(results) - len(failed)} of {len(results)} saved inputs pass")
    return 1 if failed else 0
