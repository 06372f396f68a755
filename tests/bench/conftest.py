"""tests/bench holds benchmarks (pytest-benchmark), not tests: they run only when asked for.

``pytest tests/bench`` (or a file or test under it) runs them; the default ``pytest`` run, whose
testpaths cover all of tests/, skips this directory at collection, so the suite stays fast and
its timings stay out of the benchmarks. ``netsplit bench`` is the full benchmark run, with the
report; these are the same measurements in pytest-benchmark's form, for comparing two commits
with ``--benchmark-compare``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _asked_for(config: pytest.Config) -> bool:
    """Whether the command line names this directory or something in it."""
    for arg in config.invocation_params.args:
        text = str(arg).split("::", 1)[0]
        if not text or text.startswith("-"):
            continue
        path = (config.invocation_params.dir / text).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.resolve() == HERE / "conftest.py":
        return None
    if collection_path.name.startswith("test_") and not _asked_for(config):
        return True
    return None
