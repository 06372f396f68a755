"""Mock time and ISO 8601 formatting against upstream's util_tests.cpp vectors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from common.clock import (
    ElapseSteady,
    FormatISO8601Date,
    FormatISO8601DateTime,
    GetMockTime,
    GetTime,
    GetTimeMicros,
    GetTimeMillis,
    MockableSteadyClock,
    NodeClock,
    ParseISO8601DateTime,
    SetMockTime,
    SteadyClock,
    SystemClock,
    UninterruptibleSleep,
)


@pytest.fixture(autouse=True)
def _real_time() -> Iterator[None]:
    SetMockTime(0)
    MockableSteadyClock.ClearMockTime()
    yield
    SetMockTime(0)
    MockableSteadyClock.ClearMockTime()


def test_setmocktime_freezes_every_node_clock_reading() -> None:
    SetMockTime(1598887952)
    assert GetMockTime() == 1598887952
    assert GetTime() == 1598887952
    assert GetTimeMillis() == 1598887952_000
    assert GetTimeMicros() == 1598887952_000_000
    assert NodeClock.now() == 1598887952_000_000
    time.sleep(0.002)
    assert NodeClock.now() == 1598887952_000_000


def test_setmocktime_zero_goes_back_to_system_time() -> None:
    SetMockTime(1)
    SetMockTime(0)
    assert GetMockTime() == 0
    before = time.time_ns() // 1000
    now = NodeClock.now()
    after = time.time_ns() // 1000
    assert before <= now <= after
    assert abs(GetTime() - time.time()) < 2


def test_setmocktime_rejects_negative_time() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        SetMockTime(-1)


def test_mock_time_is_one_process_wide_value() -> None:
    seen: list[int] = []
    SetMockTime(1700000000)
    worker = threading.Thread(target=lambda: seen.append(GetTime()))
    worker.start()
    worker.join()
    assert seen == [1700000000]


def test_system_clock_ignores_mock_time() -> None:
    SetMockTime(1)
    assert SystemClock.now() > 1_600_000_000_000_000


def test_mockable_steady_clock_follows_elapse_steady() -> None:
    elapse = ElapseSteady()
    assert MockableSteadyClock.now() == MockableSteadyClock.INITIAL_MOCK_TIME * 1000
    elapse(1500)
    assert MockableSteadyClock.now() == 1501 * 1000
    elapse(0)
    assert MockableSteadyClock.now() == 1501 * 1000
    MockableSteadyClock.ClearMockTime()
    real = MockableSteadyClock.now()
    assert abs(real - SteadyClock.now()) < 1_000_000


def test_mocked_steady_clock_leaves_node_clock_alone() -> None:
    MockableSteadyClock.SetMockTime(5)
    assert GetMockTime() == 0
    assert GetTime() > 1_600_000_000


def test_uninterruptible_sleep_waits_the_given_microseconds() -> None:
    start = SteadyClock.now()
    UninterruptibleSleep(2000)
    assert SteadyClock.now() - start >= 2000


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (971890963199, "32767-12-31T23:59:59Z"),
        (971890876800, "32767-12-31T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (0, "1970-01-01T00:00:00Z"),
        (1, "1970-01-01T00:00:01Z"),
        (946684801, "2000-01-01T00:00:01Z"),
        (1317425777, "2011-09-30T23:36:17Z"),
        (4133980799, "2100-12-31T23:59:59Z"),
        (253402300799, "9999-12-31T23:59:59Z"),
    ],
)
def test_format_iso8601_datetime_matches_upstream(seconds: int, text: str) -> None:
    assert FormatISO8601DateTime(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (971890963199, "32767-12-31"),
        (971890876800, "32767-12-31"),
        (0, "1970-01-01"),
        (1317425777, "2011-09-30"),
    ],
)
def test_format_iso8601_date_matches_upstream(seconds: int, text: str) -> None:
    assert FormatISO8601Date(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1969-12-31T23:59:59Z", -1),
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:01Z", 1),
        ("2000-01-01T00:00:01Z", 946684801),
        ("2011-09-30T23:36:17Z", 1317425777),
        ("2100-12-31T23:59:59Z", 4133980799),
        ("9999-12-31T23:59:59Z", 253402300799),
        # Time-of-day overflows are accepted, as upstream keeps them for compatibility.
        ("2000-01-01T99:00:00Z", 947041200),
        ("2000-01-01T00:99:00Z", 946690740),
        ("2000-01-01T00:00:99Z", 946684899),
        ("2000-01-01T99:99:99Z", 947047239),
        ("2000-02-29T00:00:00Z", 951782400),
    ],
)
def test_parse_iso8601_datetime_matches_upstream(text: str, seconds: int) -> None:
    assert ParseISO8601DateTime(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "2000-99-01T00:00:00Z",
        "2000-01-99T00:00:00Z",
        "2001-02-29T00:00:00Z",
        "2000-00-01T00:00:00Z",
        "32768-12-31T23:59:59Z",
        "32767-12-31T23:59:59Z",
        "32767-12-31T00:00:00Z",
        "999-12-31T00:00:00Z",
        "2000-01-01T00:00:+1Z",
    ],
)
def test_parse_iso8601_datetime_rejects_bad_dates(text: str) -> None:
    assert ParseISO8601DateTime(text) is None


def test_parse_iso8601_datetime_rejects_any_mutated_character() -> None:
    valid = "2000-01-01T00:00:01Z"
    assert ParseISO8601DateTime(valid) is not None
    for i in range(len(valid)):
        assert ParseISO8601DateTime(valid[:i] + "a" + valid[i + 1 :]) is None
