"""netsplit bench's framework on synthetic figures: ratios, the targets' verdicts, the JSON merge,
the runner's handling of missing and failing benchmarks, and the Markdown report with its plots.
Nothing here runs a benchmark."""

from __future__ import annotations

import sys
import tomllib
import types
from pathlib import Path

import pytest

from netsplit.bench.chain import build_chain
from netsplit.bench.migration_bench import touch_last_codemod_args
from netsplit.bench.model import (
    B5_FULL_BUILD,
    B5_REBUILD,
    RATIO,
    Figure,
    TargetResult,
    Verdict,
    evaluate_targets,
    ratio_name,
    ratios,
)
from netsplit.bench.report import NOTES_BEGIN, NOTES_END, write_report
from netsplit.bench.runner import (
    FAILED,
    OK,
    UNAVAILABLE,
    Benchmark,
    BenchResult,
    all_figures,
    merge,
    parse_only,
    run_one,
)

MACHINE = {"nproc": 2, "cpu_model": "Test CPU", "ram_gib": 4.0, "python": "3.11.7",
           "date": "2025-01-01 00:00 UTC", "commit": "abc"}  # fmt: skip


def fig(bench: str, name: str, variant: str, value: float, unit: str = "us") -> Figure:
    return Figure(bench, name, variant, value, unit, unit in ("msg/s", "scenarios/s"))


def verdicts(figures: list[Figure]) -> dict[str, TargetResult]:
    return {t.key: t for t in evaluate_targets(figures)}


def test_ratios_compare_against_legacy_in_the_better_direction() -> None:
    figures = [
        fig("B2", "block", "legacy", 100.0),
        fig("B2", "block", "split", 125.0),
        fig("B1", "ping flood", "legacy", 1000.0, "msg/s"),
        fig("B1", "ping flood", "split", 1100.0, "msg/s"),
        fig("B1", "ping flood", "bcoin", 5000.0, "msg/s"),
        fig("B2", "block", "stage:3", 50.0, "ms"),
    ]
    out = {f.name: f.value for f in ratios(figures)}
    assert out == {"block: split/legacy": 0.8, "ping flood: split/legacy": 1.1}
    assert all(f.variant == RATIO and f.unit == "x" for f in ratios(figures))


def test_split_ratio_target_passes_at_095_and_fails_below() -> None:
    at = Figure("B2", ratio_name("block", "split"), RATIO, 0.95, "x")
    below = Figure("B3", ratio_name("sync", "split"), RATIO, 0.949, "x")
    stage = Figure("B3", ratio_name("sync", "stage:2"), RATIO, 0.5, "x")
    result = verdicts([at, below, stage])
    assert result["B2 split"].verdict is Verdict.PASS
    assert result["B3 split"].verdict is Verdict.FAIL
    assert result["B3 split"].detail == "worst of 1: 0.949 on sync"
    assert result["B1 split"].verdict is Verdict.NA


def test_every_target_is_not_applicable_without_figures() -> None:
    results = evaluate_targets([])
    assert len(results) == 10
    assert {r.verdict for r in results} == {Verdict.NA}
    assert results[0].line().startswith("N/A  B1 split: split within 5% of legacy on B1")


def test_bcoin_sync_target_needs_each_of_our_variants_as_fast_as_bcoin() -> None:
    name = "time to tip, 300 blocks from bcoin"
    figures = [
        fig("B3", name, "legacy", 1.0, "s"),
        fig("B3", name, "split", 1.2, "s"),
        fig("B3", name, "bcoin", 1.1, "s"),
    ]
    assert verdicts(figures)["B3 bcoin"].verdict is Verdict.FAIL
    figures[1] = fig("B3", name, "split", 1.1, "s")
    result = verdicts(figures)["B3 bcoin"]
    assert result.verdict is Verdict.PASS
    assert result.detail.startswith(f"legacy 1.10x bcoin on {name}; split 1.00x bcoin")


def test_ping_flood_target_and_framing_limit_target_read_b1() -> None:
    figures = [
        fig("B1", "ping flood", "legacy", 2000.0, "msg/s"),
        fig("B1", "ping flood", "bcoin", 1000.0, "msg/s"),
        fig("B1", "ping flood", "framing-limit", 8000.0, "msg/s"),
    ]
    b1 = verdicts(figures)
    assert b1["B1 bcoin"].verdict is Verdict.PASS
    assert b1["B1 framing"].verdict is Verdict.PASS
    assert b1["B1 framing"].detail == "legacy 25.0% of the limit on ping flood"
    figures[1] = fig("B1", "ping flood", "bcoin", 3000.0, "msg/s")
    assert verdicts(figures)["B1 bcoin"].verdict is Verdict.FAIL


def test_b4_targets_judge_only_figures_at_500_peers() -> None:
    quick = [fig("B4", "time to 100 peers", "legacy", 1.5, "s")]
    result = verdicts(quick)["B4 time"]
    assert result.verdict is Verdict.NA
    assert result.detail == "not measured at 500 peers; measured: legacy 1.5 s (time to 100 peers)"
    full = [
        fig("B4", "time to 500 peers", "legacy", 8.0, "s"),
        fig("B4", "time to 500 peers", "split", 12.0, "s"),
        fig("B4", "peak RSS (500 peers)", "split", 250.0, "MB"),
    ]
    b4 = verdicts(full)
    assert b4["B4 time"].verdict is Verdict.FAIL
    assert b4["B4 time"].detail.startswith("worst 12 s (split: time to 500 peers)")
    assert b4["B4 memory"].verdict is Verdict.PASS


def test_b5_targets_read_the_full_build_and_the_rebuild() -> None:
    figures = [
        fig("B5", B5_FULL_BUILD, "toolkit", 45.0, "s"),
        fig("B5", B5_REBUILD, "toolkit", 12.5, "s"),
    ]
    result = verdicts(figures)
    assert result["B5 build"].verdict is Verdict.PASS
    assert result["B5 rebuild"].verdict is Verdict.FAIL


def _b2_result() -> BenchResult:
    figures = [
        fig("B2", "ProcessMessage: block, per message", "legacy", 1000.0),
        fig("B2", "ProcessMessage: block, per message", "stage:1", 1010.0),
        fig("B2", "ProcessMessage: block, per message", "split", 1020.0),
    ]
    return BenchResult("B2", "a block", OK, True, 12.0, "", figures + ratios(figures))


def test_merge_replaces_benchmarks_that_ran_and_keeps_the_others() -> None:
    old_b5 = BenchResult("B5", "toolkit", OK, False, 50.0, "", [fig("B5", B5_REBUILD, "t", 3, "s")])
    first = merge({}, [old_b5, _b2_result()], {**MACHINE, "date": "old"}, {})
    new_b2 = BenchResult("B2", "a block", FAILED, False, 1.0, "RuntimeError: boom")
    second = merge(first, [new_b2], MACHINE, {})
    assert list(second["benchmarks"]) == ["B2", "B5"]
    assert second["benchmarks"]["B2"]["status"] == FAILED
    assert second["benchmarks"]["B2"]["figures"] == []
    assert second["benchmarks"]["B5"]["date"] == "old"
    assert all_figures(second) == [fig("B5", B5_REBUILD, "t", 3, "s")]
    rebuild = next(t for t in second["targets"] if t["key"] == "B5 rebuild")
    assert rebuild["verdict"] == "PASS"


def test_a_missing_benchmark_module_is_reported_not_available() -> None:
    missing = Benchmark("B9", "nothing", "netsplit.bench.no_such_module", "run_b9")
    result = run_one(missing, True, lambda what: None)
    assert result.status == UNAVAILABLE
    assert result.detail == "netsplit.bench.no_such_module does not exist yet"
    assert result.figures == []


def test_a_failing_benchmark_is_reported_and_a_working_one_returns_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = types.ModuleType("bench_fake")

    def run_ok(quick: bool) -> list[Figure]:
        return [fig("B9", "x", "legacy", 2.0 if quick else 1.0)]

    def run_bad(quick: bool, progress: object = None) -> list[Figure]:
        raise RuntimeError("node did not start")

    module.run_ok = run_ok  # type: ignore[attr-defined]
    module.run_bad = run_bad  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench_fake", module)
    ok = run_one(Benchmark("B9", "fake", "bench_fake", "run_ok"), True, lambda what: None)
    assert (ok.status, ok.detail, ok.figures) == (OK, "1 figures", [fig("B9", "x", "legacy", 2.0)])
    bad = run_one(Benchmark("B9", "fake", "bench_fake", "run_bad"), False, lambda what: None)
    assert bad.status == FAILED
    assert bad.detail.startswith("RuntimeError: node did not start at ")


def test_only_selects_benchmarks_and_rejects_unknown_ones() -> None:
    assert [b.key for b in parse_only("b5, B2")] == ["B2", "B5"]
    assert len(parse_only(None)) == 6
    with pytest.raises(ValueError, match="unknown benchmark B7"):
        parse_only("B2,B7")


def test_report_shows_targets_figures_stages_and_plots(tmp_path: Path) -> None:
    data = merge({}, [_b2_result()], MACHINE, {})
    md = tmp_path / "benchmarks.md"
    written = write_report(data, md, json_path=tmp_path / "benchmarks.json")
    text = md.read_text()
    assert "| 2 | Test CPU | 4.0 GiB | " in text
    assert "| **PASS** | split within 5% of legacy on B2 (ratio >= 0.95) |" in text
    assert "| **N/A** | full build of split/ <= 60 s | full build: not measured |" in text
    assert "| ProcessMessage: block, per message | split | 1,020 | us |" in text
    assert "| stage:1 | 1,010 (0.990) |" in text
    assert "**quick run**" in text
    assert "[benchmarks.json](benchmarks.json)" in text
    assert written == [md, tmp_path / "img" / "bench-ratios.png", tmp_path / "img" / "bench-b2.png"]
    for png in written[1:]:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![ratios to legacy](img/bench-ratios.png)" in text


def test_regenerating_the_report_keeps_its_notes(tmp_path: Path) -> None:
    md = tmp_path / "benchmarks.md"
    data = merge(
        {}, [BenchResult("B6", "harness", UNAVAILABLE, True, 0.0, "no module")], MACHINE, {}
    )
    write_report(data, md)
    first = md.read_text()
    assert "Not measured: not available: no module." in first
    md.write_text(first.replace(f"{NOTES_BEGIN}\n", f"{NOTES_BEGIN}\nThe inv loop is slow.\n"))
    write_report(data, md)
    second = md.read_text()
    assert f"{NOTES_BEGIN}\nThe inv loop is slow.\n{NOTES_END}" in second


PLAN = """
[[step]]
id = "first"
title = "t"
codemod = "MoveField"
args = { fields = ["a"], stats = true }
rationale = "r"

[[step]]
id = "second"
title = "t"
codemod = "DuplicateField"
args = { field = "b", init = "0" }
rationale = "r"

[[step]]
id = "third"
title = "t"
patch = "patches/0003.patch"
rationale = "r"
"""


def test_rebuild_touches_the_last_codemod_step_with_its_default_source(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    assert touch_last_codemod_args(plan) == (2, "second")
    steps = tomllib.loads(plan.read_text())["step"]
    assert steps[1]["args"] == {"source": "CNode", "field": "b", "init": "0"}
    assert steps[0]["args"] == {"fields": ["a"], "stats": True}


def test_bench_chain_spends_a_mature_coinbase_in_every_large_block() -> None:
    chain = build_chain(1_700_000_000, 100, 2, 3)
    assert chain.height == 102
    assert [b.nTime for b in chain.blocks[-3:]] == [1_699_999_998, 1_699_999_999, 1_700_000_000]
    assert [len(b.vtx) for b in chain.blocks[99:]] == [1, 5, 5]
    split = chain.blocks[100].vtx[1]
    assert split.vin[0].prevout.hash == chain.blocks[0].vtx[0].GetHash()
    assert [o.nValue for o in split.vout] == [50 * 100_000_000 // 3] * 3
    assert chain.blocks[1].hashPrevBlock == chain.blocks[0].GetHash()


def test_report_only_rewrites_the_report_from_the_json_and_measures_nothing(
    tmp_path: Path,
) -> None:
    from argparse import Namespace

    from netsplit.bench.runner import run, save_json

    args = Namespace(
        only=None,
        quick=False,
        report_only=True,
        json=tmp_path / "benchmarks.json",
        markdown=tmp_path / "benchmarks.md",
    )
    assert run(args) == 2
    assert not args.markdown.exists()
    save_json(merge({}, [_b2_result()], MACHINE, {}), args.json)
    assert run(args) == 0
    assert "| split | 1,020 (0.980) |" in args.markdown.read_text()
