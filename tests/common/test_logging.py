"""Logging: exact debug.log lines, categories and levels, the capture callback, buffering before
StartLogging, and the rate limiter (upstream's logging_tests.cpp)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from common import random as random_mod
from common.clock import SetMockTime, SystemClock
from common.logging import (
    BCLog,
    GetLogCategory,
    LogDebug,
    LogError,
    LogInfo,
    LogInstance,
    LogPrintf,
    LogPrintLevel,
    LogPrintLevel_,
    LogTrace,
    LogWarning,
    SourceLocation,
)
from common.random import SeedRand, SeedRandomStateForTest

NOW_US = 1317425777_123456  # 2011-09-30T23:36:17.123456Z


@dataclass
class Captured:
    logger: BCLog.Logger
    lines: list[str] = field(default_factory=list)


_SETTINGS = (
    "m_print_to_console",
    "m_print_to_file",
    "m_log_timestamps",
    "m_log_time_micros",
    "m_log_threadnames",
    "m_log_sourcelocations",
    "m_always_print_category_level",
    "m_file_path",
    "m_limiter",
)


@pytest.fixture(autouse=True)
def _restore_logger(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Leave the process-wide logger as each test found it: settings, categories, levels,
    callbacks, and started or buffering."""
    logger = LogInstance()
    settings = {name: getattr(logger, name) for name in _SETTINGS}
    mask = logger.GetCategoryMask()
    levels = logger.CategoryLevels()
    level = logger.LogLevel()
    callbacks = list(logger.m_print_callbacks)
    was_started = not logger.m_buffering
    monkeypatch.setattr(SystemClock, "now", staticmethod(lambda: NOW_US))
    yield
    logger.DisconnectTestLogger()
    SetMockTime(0)
    for name, value in settings.items():
        setattr(logger, name, value)
    logger.DisableCategory(BCLog.LogFlags.ALL)
    logger.EnableCategory(BCLog.LogFlags(mask))
    logger.SetCategoryLogLevel(levels)
    logger.SetLogLevel(level)
    logger.m_print_callbacks.extend(callbacks)
    if was_started:
        logger.StartLogging()


@pytest.fixture
def log() -> Captured:
    """Upstream's LogSetup, capturing lines through a callback instead of reading debug.log."""
    logger = LogInstance()
    logger.DisconnectTestLogger()
    logger.m_print_to_console = False
    logger.m_print_to_file = False
    logger.m_log_timestamps = False
    logger.m_log_time_micros = False
    logger.m_log_threadnames = False
    logger.m_log_sourcelocations = False
    logger.m_always_print_category_level = False
    logger.SetLogLevel(BCLog.Level.Debug)
    logger.DisableCategory(BCLog.LogFlags.ALL)
    logger.SetCategoryLogLevel({})
    logger.SetRateLimiting(None)
    captured = Captured(logger)
    logger.PushBackCallback(captured.lines.append)
    assert logger.StartLogging()
    return captured


def test_logprintstr_prefixes_follow_category_and_level(log: Captured) -> None:
    log.logger.m_log_sourcelocations = True
    cases = [
        ("foo1: bar1", BCLog.NET, BCLog.Level.Debug, "[net] "),
        ("foo2: bar2", BCLog.NET, BCLog.Level.Info, "[net:info] "),
        ("foo3: bar3", BCLog.ALL, BCLog.Level.Debug, "[debug] "),
        ("foo4: bar4", BCLog.ALL, BCLog.Level.Info, ""),
        ("foo5: bar5", BCLog.NONE, BCLog.Level.Debug, "[debug] "),
        ("foo6: bar6", BCLog.NONE, BCLog.Level.Info, ""),
    ]
    loc = SourceLocation("./net.cpp", 42, "void CConnman::ThreadSocketHandler()")
    for msg, category, level, _prefix in cases:
        log.logger.LogPrintStr(msg, loc, category, level, False)
    assert log.lines == [
        f"[net.cpp:42] [void CConnman::ThreadSocketHandler()] {prefix}{msg}\n"
        for msg, _category, _level, prefix in cases
    ]


def test_source_location_is_the_calling_line(log: Captured) -> None:
    log.logger.m_log_sourcelocations = True
    LogInfo("here")
    line = test_source_location_is_the_calling_line.__code__.co_firstlineno + 2
    assert log.lines == [
        f"[tests/common/test_logging.py:{line}] [test_source_location_is_the_calling_line] here\n"
    ]


def test_deprecated_macros_log_with_category_level_prefixes(log: Captured) -> None:
    log.logger.EnableCategory(BCLog.NET)
    LogPrintf("foo5: %s\n", "bar5")
    LogPrintLevel(BCLog.NET, BCLog.Level.Trace, "foo4: %s\n", "bar4")  # not logged
    LogPrintLevel(BCLog.NET, BCLog.Level.Debug, "foo7: %s\n", "bar7")
    LogPrintLevel(BCLog.NET, BCLog.Level.Info, "foo8: %s\n", "bar8")
    LogPrintLevel(BCLog.NET, BCLog.Level.Warning, "foo9: %s\n", "bar9")
    LogPrintLevel(BCLog.NET, BCLog.Level.Error, "foo10: %s\n", "bar10")
    assert log.lines == [
        "foo5: bar5\n",
        "[net] foo7: bar7\n",
        "[net:info] foo8: bar8\n",
        "[net:warning] foo9: bar9\n",
        "[net:error] foo10: bar10\n",
    ]


def test_macros_log_with_upstream_prefixes_and_add_the_newline(log: Captured) -> None:
    log.logger.EnableCategory(BCLog.NET)
    LogTrace(BCLog.NET, "foo6: %s", "bar6")  # not logged: trace is below the debug level
    LogDebug(BCLog.NET, "foo7: %s", "bar7")
    LogInfo("foo8: %s", "bar8")
    LogWarning("foo9: %s", "bar9")
    LogError("foo10: %s", "bar10")
    assert log.lines == [
        "[net] foo7: bar7\n",
        "foo8: bar8\n",
        "[warning] foo9: bar9\n",
        "[error] foo10: bar10\n",
    ]


def test_logtrace_logs_when_the_category_level_is_trace(log: Captured) -> None:
    log.logger.EnableCategory(BCLog.NET)
    assert log.logger.SetCategoryLogLevel("net", "trace")
    LogTrace(BCLog.NET, "sending %s (%d bytes) peer=%d", "ping", 8, 0)
    LogTrace(BCLog.MEMPOOL, "not this one")
    assert log.lines == ["[net:trace] sending ping (8 bytes) peer=0\n"]


def test_every_category_logs_under_its_own_name(log: Captured) -> None:
    log.logger.EnableCategory(BCLog.LogFlags.ALL)
    names = [name.strip() for name in log.logger.LogCategoriesString().split(",")]
    expected = []
    for name in names:
        category = GetLogCategory(name)
        assert category is not None
        LogDebug(category, "foo: %s\n", "bar")
        expected.append(f"[{name}] foo: bar\n")
    assert log.lines == expected
    assert len(names) == 28  # every v30 category but the DEBUG_LOCKCONTENTION-only "lock"


def test_category_level_overrides_global_level(log: Captured) -> None:
    log.logger.EnableCategory(BCLog.LogFlags.ALL)
    assert log.logger.SetCategoryLogLevel("net", "info")
    LogPrintLevel(BCLog.HTTP, BCLog.Level.Info, "foo1: %s\n", "bar1")
    LogPrintLevel(BCLog.MEMPOOL, BCLog.Level.Trace, "foo2: %s. Lower than the global level.\n", "x")
    LogPrintLevel(BCLog.VALIDATION, BCLog.Level.Warning, "foo3: %s\n", "bar3")
    LogPrintLevel(BCLog.RPC, BCLog.Level.Error, "foo4: %s\n", "bar4")
    LogPrintLevel(BCLog.NET, BCLog.Level.Warning, "foo5: %s\n", "bar5")
    LogPrintLevel(BCLog.NET, BCLog.Level.Debug, "foo6: %s. Below the category level.\n", "x")
    LogPrintLevel(BCLog.NET, BCLog.Level.Error, "foo7: %s\n", "bar7")
    assert log.lines == [
        "[http:info] foo1: bar1\n",
        "[validation:warning] foo3: bar3\n",
        "[rpc:error] foo4: bar4\n",
        "[net:warning] foo5: bar5\n",
        "[net:error] foo7: bar7\n",
    ]


def test_always_print_category_level_spells_out_both(log: Captured) -> None:
    log.logger.m_always_print_category_level = True
    log.logger.EnableCategory(BCLog.NET)
    LogInfo("a")
    LogDebug(BCLog.NET, "b")
    LogWarning("c")
    assert log.lines == ["[all:info] a\n", "[net:debug] b\n", "[all:warning] c\n"]


def test_timestamp_is_system_time_in_iso8601(log: Captured) -> None:
    log.logger.m_log_timestamps = True
    LogInfo("Bitcoin Core version %s", "v30.0")
    log.logger.m_log_time_micros = True
    LogInfo("with micros")
    assert log.lines == [
        "2011-09-30T23:36:17Z Bitcoin Core version v30.0\n",
        "2011-09-30T23:36:17.123456Z with micros\n",
    ]


def test_mocked_time_is_shown_after_the_system_timestamp(log: Captured) -> None:
    log.logger.m_log_timestamps = True
    SetMockTime(1598887952)
    LogInfo("mocked")
    assert log.lines == ["2011-09-30T23:36:17Z (mocktime: 2020-08-31T15:32:32Z) mocked\n"]


def test_thread_name_prefix_comes_after_the_timestamp(log: Captured) -> None:
    log.logger.m_log_timestamps = True
    log.logger.m_log_threadnames = True
    log.logger.m_log_sourcelocations = True
    loc = SourceLocation("net.cpp", 7, "f")
    worker = threading.Thread(
        target=lambda: log.logger.LogPrintStr("x", loc, BCLog.NET, BCLog.Level.Debug, False),
        name="msghand",
    )
    worker.start()
    worker.join()
    assert log.lines == ["2011-09-30T23:36:17Z [msghand] [net.cpp:7] [f] [net] x\n"]


def test_arguments_are_not_formatted_for_a_disabled_category(log: Captured) -> None:
    calls: list[int] = []

    class Expensive:
        def __str__(self) -> str:
            calls.append(1)
            return "expensive"

    LogDebug(BCLog.NET, "%s", Expensive())
    assert calls == []
    assert log.lines == []
    log.logger.EnableCategory("net")
    LogDebug(BCLog.NET, "%s", Expensive())
    assert calls == [1]
    assert log.lines == ["[net] expensive\n"]


def test_bad_format_string_is_logged_with_an_error_note(log: Captured) -> None:
    LogInfo("%d and %d", 1)
    assert log.lines == [
        'Error "not enough arguments for format string" while formatting log message: %d and %d\n'
    ]


def test_percent_escapes_are_resolved_without_arguments(log: Captured) -> None:
    LogInfo("100%% done")
    assert log.lines == ["100% done\n"]


def test_control_characters_are_escaped(log: Captured) -> None:
    LogInfo("user agent: %s", "/Satoshi\x1b[31m:30.0/\x7f\x00")
    LogInfo("two\nlines")
    assert log.lines == [
        "user agent: /Satoshi\\x1b[31m:30.0/\\x7f\\x00\n",
        "two\nlines\n",
    ]


def test_delete_callback_stops_delivery(log: Captured) -> None:
    other: list[str] = []
    handle = log.logger.PushBackCallback(other.append)
    LogInfo("one")
    log.logger.DeleteCallback(handle)
    LogInfo("two")
    assert other == ["one\n"]
    assert log.lines == ["one\n", "two\n"]


def test_lines_before_startlogging_are_buffered_with_their_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger = LogInstance()
    logger.DisconnectTestLogger()
    logger.m_log_timestamps = True
    logger.m_print_to_console = False
    logger.m_print_to_file = False
    lines: list[str] = []
    logger.PushBackCallback(lines.append)
    assert logger.Enabled()
    LogInfo("early")
    assert lines == []
    monkeypatch.setattr(SystemClock, "now", staticmethod(lambda: NOW_US + 60_000_000))
    assert logger.StartLogging()
    LogInfo("late")
    assert lines == ["2011-09-30T23:36:17Z early\n", "2011-09-30T23:37:17Z late\n"]


def test_overflowing_early_buffer_discards_oldest_lines_and_says_so() -> None:
    logger = LogInstance()
    logger.DisconnectTestLogger()
    logger.m_log_timestamps = False
    logger.m_print_to_console = False
    logger.m_print_to_file = False
    # Each short line costs one 144-byte list node (memusage.h arithmetic).
    logger.m_max_buffer_memusage = 3 * 144
    for i in range(5):
        LogInfo("line %d", i)
    lines: list[str] = []
    logger.PushBackCallback(lines.append)
    assert logger.StartLogging()
    assert lines == [
        "Early logging buffer overflowed, 2 log lines discarded.\n",
        "line 2\n",
        "line 3\n",
        "line 4\n",
    ]


def test_debug_log_file_gets_separator_then_lines(log: Captured, tmp_path: Path) -> None:
    logger = log.logger
    logger.DisconnectTestLogger()
    path = tmp_path / "debug.log"
    path.write_bytes(b"old\n")
    logger.m_file_path = path
    logger.m_print_to_file = True
    assert logger.StartLogging()
    LogInfo("foo %d", 1)
    logger.m_reopen_file = True
    path.rename(tmp_path / "debug.log.1")
    LogInfo("after rotation")
    logger.DisconnectTestLogger()
    assert (tmp_path / "debug.log.1").read_bytes() == b"old\n\n\n\n\n\nfoo 1\n"
    assert path.read_bytes() == b"after rotation\n"


def test_startlogging_fails_when_debug_log_cannot_be_opened(log: Captured, tmp_path: Path) -> None:
    logger = log.logger
    logger.DisconnectTestLogger()
    logger.m_file_path = tmp_path / "missing" / "debug.log"
    logger.m_print_to_file = True
    assert not logger.StartLogging()
    logger.m_print_to_file = False


def test_shrink_debug_file_keeps_the_last_ten_megabytes(log: Captured, tmp_path: Path) -> None:
    path = tmp_path / "debug.log"
    log.logger.m_file_path = path
    path.write_bytes(b"a" * 1_000_001 + b"b" * 10_000_000)
    log.logger.ShrinkDebugFile()
    assert path.read_bytes() == b"b" * 10_000_000
    path.write_bytes(b"c" * 11_000_000)
    log.logger.ShrinkDebugFile()
    assert path.stat().st_size == 11_000_000


def test_category_names_enable_and_disable(log: Captured) -> None:
    logger = log.logger
    assert logger.EnableCategory("net")
    assert logger.EnableCategory("mempool")
    assert not logger.EnableCategory("nosuchcategory")
    assert logger.GetCategoryMask() == BCLog.NET | BCLog.MEMPOOL
    assert logger.DisableCategory("net")
    assert logger.GetCategoryMask() == BCLog.MEMPOOL
    assert [c.category for c in logger.LogCategoriesList() if c.active] == ["mempool"]
    for spelling in ("", "1", "all"):
        assert GetLogCategory(spelling) == BCLog.LogFlags.ALL
    assert logger.EnableCategory("all")
    assert logger.WillLogCategory(BCLog.TXPACKAGES)
    assert not logger.DefaultShrinkDebugFile()
    assert logger.DisableCategory(BCLog.ALL)
    assert logger.DefaultShrinkDebugFile()


def test_log_levels_settable_by_users_stop_at_info(log: Captured) -> None:
    logger = log.logger
    assert logger.LogLevelsString() == "info, debug, trace"
    assert logger.SetLogLevel("trace")
    assert logger.LogLevel() == BCLog.Level.Trace
    assert not logger.SetLogLevel("warning")
    assert not logger.SetLogLevel("verbose")
    assert logger.LogLevel() == BCLog.Level.Trace
    assert not logger.SetCategoryLogLevel("net", "error")
    assert not logger.SetCategoryLogLevel("nosuchcategory", "debug")
    assert logger.SetCategoryLogLevel("http", "info")
    assert logger.CategoryLevels() == {BCLog.HTTP: BCLog.Level.Info}


def test_info_and_above_are_accepted_whatever_the_categories(log: Captured) -> None:
    logger = log.logger
    assert logger.WillLogCategoryLevel(BCLog.NET, BCLog.Level.Info)
    assert not logger.WillLogCategoryLevel(BCLog.NET, BCLog.Level.Debug)
    logger.EnableCategory(BCLog.NET)
    assert logger.WillLogCategoryLevel(BCLog.NET, BCLog.Level.Debug)
    assert not logger.WillLogCategoryLevel(BCLog.NET, BCLog.Level.Trace)


def test_seeding_rng_for_tests_logs_the_seed(
    log: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(random_mod, "_deterministic_prng", random_mod._deterministic_prng)
    SeedRandomStateForTest(SeedRand.ZEROS)
    assert log.lines == [
        "Setting random seed for current tests to RANDOM_CTX_SEED=" + "0" * 64 + "\n"
    ]


class FakeScheduler:
    """Upstream's ScopedScheduler, reduced to what the limiter uses: remember the job, run it when
    the test moves time on."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[[], None], int]] = []

    def schedule_every(self, fn: Callable[[], None], interval_ms: int) -> None:
        self.jobs.append((fn, interval_ms))

    def mock_forward(self) -> None:
        for fn, _ in self.jobs:
            fn()


def test_rate_limiter_suppresses_per_source_location() -> None:
    max_bytes = 1024
    scheduler = FakeScheduler()
    limiter = BCLog.LogRateLimiter.Create(scheduler.schedule_every, max_bytes, 60)
    assert [interval for _, interval in scheduler.jobs] == [60_000]
    Status = BCLog.LogRateLimiter.Status
    loc1 = SourceLocation("a.py", 1, "f")
    loc2 = SourceLocation("a.py", 2, "f")

    assert not limiter.SuppressionsActive()
    limiter.Reset()
    assert not limiter.SuppressionsActive()

    assert limiter.Consume(loc1, "a" * (max_bytes - 1)) == Status.UNSUPPRESSED
    assert limiter.Consume(loc1, "a") == Status.UNSUPPRESSED
    assert not limiter.SuppressionsActive()
    assert limiter.Consume(loc1, "a") == Status.NEWLY_SUPPRESSED
    assert limiter.SuppressionsActive()
    assert limiter.Consume(loc1, "a") == Status.STILL_SUPPRESSED

    assert limiter.Consume(loc2, "a" * max_bytes) == Status.UNSUPPRESSED
    assert limiter.Consume(loc2, "a") == Status.NEWLY_SUPPRESSED

    scheduler.mock_forward()
    assert not limiter.SuppressionsActive()
    assert limiter.Consume(loc1, "a" * max_bytes) == Status.UNSUPPRESSED
    assert limiter.Consume(loc2, "a" * max_bytes) == Status.UNSUPPRESSED


def test_rate_limiter_reset_is_dropped_with_the_limiter() -> None:
    scheduler = FakeScheduler()
    BCLog.LogRateLimiter.Create(scheduler.schedule_every, 10, 60)
    scheduler.mock_forward()  # the limiter is gone: the job does nothing


def test_rate_limit_stats_account_consumed_and_dropped_bytes() -> None:
    stats = BCLog.LogRateLimiter.Stats(BCLog.RATELIMIT_MAX_BYTES)
    assert (stats.m_available_bytes, stats.m_dropped_bytes) == (BCLog.RATELIMIT_MAX_BYTES, 0)
    half = BCLog.RATELIMIT_MAX_BYTES // 2
    assert stats.Consume(half)
    assert stats.Consume(half)
    assert (stats.m_available_bytes, stats.m_dropped_bytes) == (0, 0)
    assert not stats.Consume(500)
    assert (stats.m_available_bytes, stats.m_dropped_bytes) == (0, 500)


def _log_info_1(message: str) -> None:
    LogInfo("%s\n", message)


def _log_info_2(message: str) -> None:
    LogInfo("%s\n", message)


def _log_debug(message: str) -> None:
    LogDebug(BCLog.HTTP, "%s\n", message)


def _log_info_nolimit(message: str) -> None:
    LogPrintLevel_(BCLog.ALL, BCLog.Level.Info, False, "%s\n", message)


def test_rate_limit_keeps_disk_lines_within_quota(log: Captured, tmp_path: Path) -> None:
    logger = log.logger
    logger.DisconnectTestLogger()
    path = tmp_path / "debug.log"
    logger.m_file_path = path
    logger.m_print_to_file = True
    logger.EnableCategory(BCLog.HTTP)
    assert logger.StartLogging()
    line_length = 1024
    num_lines = 10
    scheduler = FakeScheduler()
    logger.SetRateLimiting(
        BCLog.LogRateLimiter.Create(scheduler.schedule_every, line_length * num_lines, 3600)
    )
    message = "a" * (line_length - 1)

    def written(fn: Callable[[str], None], msg: str) -> list[str]:
        path.write_bytes(b"")
        fn(msg)
        return path.read_text().splitlines()

    for _ in range(num_lines):
        assert written(_log_info_1, message) == [message]
    newly = written(_log_info_1, "a")
    assert len(newly) == 2
    line = _log_info_1.__code__.co_firstlineno + 1
    assert newly[0] == (
        f"[*] [warning] Excessive logging detected from tests/common/test_logging.py:{line} "
        "(_log_info_1): >10240 bytes logged during the last time window of 3600s. Suppressing "
        "logging to disk from this source location until time window resets. Console logging "
        "unaffected. Last log entry."
    )
    assert newly[1] == "[*] a"
    assert written(_log_info_1, "b") == []
    assert written(_log_info_2, "c") == ["[*] c"]

    path.write_bytes(b"")
    scheduler.mock_forward()
    assert path.read_text().splitlines() == [
        f"[warning] Restarting logging from tests/common/test_logging.py:{line} (_log_info_1): "
        "4 bytes were dropped during the last 3600s."
    ]
    assert written(_log_info_1, message) == [message]
    # Conditional logging, and unconditional logging that opts out, are never limited.
    for fn in (_log_debug, _log_info_nolimit):
        for _ in range(num_lines + 2):
            assert [line.removeprefix("[http] ") for line in written(fn, message)] == [message]
