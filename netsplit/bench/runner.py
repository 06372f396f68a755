"""``netsplit bench``: run the benchmarks, print their figures and the targets, and write the
raw figures as JSON and the report as Markdown with plots.

Each benchmark is a function ``run_bN(quick) -> list[Figure]`` in its own module, imported only
when it runs: a benchmark whose module is missing, or that fails, gets a clear line and the others
still run. ``--only`` runs a subset; the JSON file then keeps the other benchmarks' results from
its previous contents, so the report always shows the latest run of each.
"""

from __future__ import annotations

import importlib
import inspect
import json
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from .model import Figure, TargetResult, evaluate_targets

ROOT: Final = Path(__file__).resolve().parent.parent.parent
DEFAULT_JSON: Final = ROOT / "docs" / "benchmarks.json"
DEFAULT_MARKDOWN: Final = ROOT / "docs" / "benchmarks.md"
JSON_FORMAT: Final = "netsplit-bench"
JSON_VERSION: Final = 1

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Benchmark:
    key: str
    title: str
    module: str
    function: str


BENCHMARKS: Final[tuple[Benchmark, ...]] = (
    Benchmark("B1", "loopback message throughput", "netsplit.bench.loopback", "run_b1"),
    Benchmark("B2", "a block through ProcessMessage", "netsplit.bench.process_message", "run_b2"),
    Benchmark("B3", "block sync between two nodes", "netsplit.bench.sync", "run_b3"),
    Benchmark("B4", "connection scale", "netsplit.bench.loopback", "run_b4"),
    Benchmark("B5", "migration toolkit", "netsplit.bench.migration_bench", "run_b5"),
    Benchmark("B6", "differential harness", "netsplit.bench.differential", "run_b6"),
)
KEYS: Final = tuple(b.key for b in BENCHMARKS)

#: A benchmark's outcome.
OK: Final = "ok"
UNAVAILABLE: Final = "not available"
FAILED: Final = "failed"


@dataclass(slots=True)
class BenchResult:
    key: str
    title: str
    status: str
    quick: bool
    seconds: float = 0.0
    detail: str = ""
    figures: list[Figure] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "quick": self.quick,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
        }


def find(benchmark: Benchmark) -> Callable[..., list[Figure]] | str:
    """The benchmark's function, or why it is not available."""
    try:
        module = importlib.import_module(benchmark.module)
    except ModuleNotFoundError as e:
        if e.name is not None and benchmark.module.startswith(e.name):
            return f"{benchmark.module} does not exist yet"
        raise
    func = getattr(module, benchmark.function, None)
    if not callable(func):
        return f"{benchmark.module} has no {benchmark.function}()"
    return func  # type: ignore[no-any-return]


def run_one(benchmark: Benchmark, quick: bool, progress: Progress) -> BenchResult:
    result = BenchResult(benchmark.key, benchmark.title, UNAVAILABLE, quick)
    started = time.perf_counter()
    try:
        func = find(benchmark)
        if isinstance(func, str):
            result.detail = func
            return result
        params = inspect.signature(func).parameters
        kwargs: dict[str, Any] = {"progress": progress} if "progress" in params else {}
        figures = func(quick, **kwargs)
        result.figures = [_as_figure(f) for f in figures]
        result.status = OK
        result.detail = f"{len(result.figures)} figures"
    except Exception as e:
        result.status = FAILED
        last = traceback.extract_tb(e.__traceback__)[-1:]
        where = f" at {last[0].filename}:{last[0].lineno}" if last else ""
        result.detail = _shorten(f"{type(e).__name__}: {e}".strip()) + where
    finally:
        result.seconds = time.perf_counter() - started
    return result


def _shorten(text: str, limit: int = 400) -> str:
    """One line: an error's first line and, if it is long, its end (where the cause is)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    first = text.strip().splitlines()[0][: limit // 3]
    return f"{first} ... {flat[-(limit - len(first) - 5) :]}"


def _as_figure(obj: Any) -> Figure:
    """A Figure from any object with Figure's fields (a module may keep its own copy)."""
    if isinstance(obj, Figure):
        return obj
    return Figure(
        str(obj.bench),
        str(obj.name),
        str(obj.variant),
        float(obj.value),
        str(obj.unit),
        bool(getattr(obj, "higher_is_better", True)),
        str(getattr(obj, "note", "")),
    )


def parse_only(text: str | None) -> list[Benchmark]:
    """``--only B2,B5`` (case-insensitive); every benchmark for None."""
    if not text:
        return list(BENCHMARKS)
    wanted = [part.strip().upper() for part in text.split(",") if part.strip()]
    unknown = [w for w in wanted if w not in KEYS]
    if unknown:
        raise ValueError(f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(KEYS)})")
    return [b for b in BENCHMARKS if b.key in wanted]


# -- the JSON file -------------------------------------------------------------------------------


def figure_to_json(f: Figure) -> dict[str, Any]:
    return asdict(f)


def figure_from_json(obj: dict[str, Any]) -> Figure:
    return Figure(
        str(obj["bench"]),
        str(obj["name"]),
        str(obj["variant"]),
        float(obj["value"]),
        str(obj["unit"]),
        bool(obj.get("higher_is_better", True)),
        str(obj.get("note", "")),
    )


def load_json(path: Path) -> dict[str, Any]:
    """A previous run's file, or an empty one if there is none (or it is not ours)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        return {}
    if data.get("version") != JSON_VERSION:
        return {}
    return data


def merge(
    previous: dict[str, Any],
    results: Sequence[BenchResult],
    machine: dict[str, Any],
    profiles: dict[str, Any],
) -> dict[str, Any]:
    """This run's results over the previous file's: a benchmark that ran replaces its entry;
    the others keep theirs (with the date they were measured)."""
    benchmarks: dict[str, Any] = dict(previous.get("benchmarks", {}))
    for r in results:
        entry = r.to_json()
        entry["date"] = machine.get("date", "")
        entry["figures"] = [figure_to_json(f) for f in r.figures]
        benchmarks[r.key] = entry
    ordered = {k: benchmarks[k] for k in KEYS if k in benchmarks}
    merged_profiles = dict(previous.get("profiles", {}))
    merged_profiles.update(profiles)
    data: dict[str, Any] = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "machine": machine,
        "benchmarks": ordered,
        "profiles": merged_profiles,
    }
    data["targets"] = [
        {"key": t.key, "statement": t.statement, "verdict": t.verdict.value, "detail": t.detail}
        for t in evaluate_targets(all_figures(data))
    ]
    return data


def all_figures(data: dict[str, Any]) -> list[Figure]:
    out: list[Figure] = []
    for entry in data.get("benchmarks", {}).values():
        out += [figure_from_json(f) for f in entry.get("figures", [])]
    return out


def save_json(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def targets_of(data: dict[str, Any]) -> list[TargetResult]:
    return evaluate_targets(all_figures(data))


# -- the command ---------------------------------------------------------------------------------


def profile_entry(progress: Progress) -> dict[str, Any]:
    """B2's profile for the report, or an entry saying why there is none."""
    from .profiling import TOP, profile_b2

    progress("profiling B2 (legacy) with cProfile")
    try:
        rows = profile_b2("legacy")
    except Exception as e:
        return {"variant": "legacy", "error": f"{type(e).__name__}: {e}", "rows": []}
    return {"variant": "legacy", "top": TOP, "rows": [asdict(r) for r in rows]}


def run_benchmarks(
    selected: Sequence[Benchmark], quick: bool, progress: Progress
) -> tuple[list[BenchResult], dict[str, Any]]:
    results: list[BenchResult] = []
    profiles: dict[str, Any] = {}
    for benchmark in selected:
        progress(f"{benchmark.key}: {benchmark.title}")
        result = run_one(benchmark, quick, progress)
        results.append(result)
        progress(f"{benchmark.key}: {result.status} in {result.seconds:.1f} s ({result.detail})")
        if benchmark.key == "B2" and result.status == OK:
            profiles["B2"] = profile_entry(progress)
    return results, profiles


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller runs (fewer blocks, peers and scenarios; labelled in the report), "
        "under five minutes in all",
    )
    parser.add_argument(
        "--only",
        metavar="LIST",
        help=f"run only these benchmarks, comma-separated ({','.join(KEYS)}); the others keep "
        "their previous results in the JSON file and the report",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="measure nothing: rewrite the report (and its targets) from the JSON file",
    )
    parser.add_argument(
        "--json",
        metavar="FILE",
        type=Path,
        default=DEFAULT_JSON,
        help="where the raw figures go (default: docs/benchmarks.json)",
    )
    parser.add_argument(
        "--markdown",
        metavar="FILE",
        type=Path,
        default=DEFAULT_MARKDOWN,
        help="where the report goes, its plots in img/ beside it (default: docs/benchmarks.md)",
    )


def run(args: Any) -> int:
    """``netsplit bench``: 0 when every selected benchmark ran (the targets are reported, not
    enforced), 1 when one failed, 2 for a bad ``--only``."""
    from rich.console import Console

    from .machine import describe
    from .render import print_summary
    from .report import write_report

    console = Console(highlight=False)
    try:
        selected = parse_only(args.only)
    except ValueError as e:
        Console(stderr=True).print(f"[red]error:[/] {e}")
        return 2
    started = time.perf_counter()

    def progress(what: str) -> None:
        console.print(f"[dim]{time.perf_counter() - started:6.1f}s[/] {what}")

    if args.report_only:
        previous = load_json(args.json)
        if not previous:
            Console(stderr=True).print(f"[red]error:[/] {args.json} holds no benchmark results")
            return 2
        data = merge(previous, [], previous.get("machine", {}), {})
        results: list[BenchResult] = []
    else:
        info = describe()
        results, profiles = run_benchmarks(selected, args.quick, progress)
        data = merge(load_json(args.json), results, info, profiles)
    save_json(data, args.json)
    written = write_report(data, args.markdown, json_path=args.json)
    print_summary(console, data, results)
    for path in [args.json, *written]:
        console.print(f"wrote {_shown(path)}")
    console.print(f"total {time.perf_counter() - started:.1f} s")
    return 1 if any(r.status == FAILED for r in results) else 0


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)
