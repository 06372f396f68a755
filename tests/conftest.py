"""Test-wide settings: hypothesis profiles, and every test starting from real time."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from common.clock import SetMockTime
from common.logging import LogInstance

# `ci` is the default: bounded examples and no deadline, since CI machines are small and noisy.
# `thorough` is for long campaigns run on purpose (HYPOTHESIS_PROFILE=thorough).
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# Upstream's test setup starts the logger for every test; before StartLogging it only buffers.
# Nothing is printed: tests that assert log lines register a callback.
_logger = LogInstance()
if _logger.m_buffering:
    _logger.StartLogging()


@pytest.fixture(autouse=True)
def _real_time_after_each_test() -> Iterator[None]:
    """A test that mocks the clock must not leak mock time into the next one."""
    yield
    SetMockTime(0)
