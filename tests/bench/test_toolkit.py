"""Small pytest-benchmark versions of B3, B5 and B6 (``netsplit bench`` runs the full ones):
a short sync between two legacy node processes, looking up the last migration stage in the warm
stage cache, and one directed differential scenario on legacy and split."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from migration.api import engine
from netsplit.bench.chain import build_chain
from netsplit.bench.sync import Pair, measure_pair
from netsplit.bench.variants import load_variants
from netsplit.diff.directed import directed_scenarios
from netsplit.diff.machine import diff_scenario

SYNC_BLOCKS = 100


def test_b3_two_legacy_nodes_start_and_sync_100_blocks(benchmark: BenchmarkFixture) -> None:
    chain = build_chain(int(time.time()) - 60, SYNC_BLOCKS)
    seconds: list[float] = []

    def sync() -> None:
        with tempfile.TemporaryDirectory(prefix="netsplit-bench-b3-") as tmp:
            seconds.extend(measure_pair(Pair("legacy", "legacy"), chain, Path(tmp), 1))

    benchmark.pedantic(sync, rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    assert len(seconds) == 1
    benchmark.extra_info["time_to_tip_s"] = seconds[0]


def test_b5_last_stage_from_the_warm_cache(benchmark: BenchmarkFixture) -> None:
    """What every command that needs a stage pays once the stage is cached: load the plan, key
    every stage (a digest of legacy/ and each step), find the last one on disk."""
    e = engine()
    e.stage(len(e.plan))  # built once if the cache is cold; not timed

    def lookup() -> Path:
        fresh = engine()
        return fresh.stage(len(fresh.plan)).path

    path = benchmark(lookup)
    assert (path / ".complete").is_file()


@pytest.mark.benchmark(timer=time.process_time)
def test_b6_one_directed_scenario_on_legacy_and_split(benchmark: BenchmarkFixture) -> None:
    loaded, problems = load_variants(["legacy", "split"])
    assert not problems, problems
    a, b = loaded[0].variant, loaded[1].variant
    name, scenario = directed_scenarios(a.constant)[0]

    result = benchmark(diff_scenario, a, b, scenario)
    assert result.agrees, name
