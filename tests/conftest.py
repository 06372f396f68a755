"""Test-wide settings: hypothesis profiles, and every test starting from real time."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
