"""Logging (src/logging.h/.cpp): categories, levels, the debug.log line format and the rate
limiter for unconditional logging.

Upstream's ``namespace BCLog`` is the :class:`BCLog` class, so ``BCLog.NET``,
``BCLog.Level.Debug`` and ``BCLog.Logger`` read as in C++. The logging macros are functions
taking %-style format strings; arguments are formatted only when the line will be written, so a
``LogDebug`` for a disabled category costs a call and a bit test.

Where Python differs: ``std::source_location`` becomes :class:`SourceLocation` from the caller's
frame (a path relative to the project, and the function's qualified name rather than its C++
signature); the thread name is ``threading.current_thread().name``; the mutex is a
``threading.Lock``; tinyformat's errors become Python's formatting errors in the same message.
The ``lock`` category exists only in DEBUG_LOCKCONTENTION builds and is left out, as in a
release build.
"""

from __future__ import annotations

import builtins
import os
import sys
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag
from functools import lru_cache
from types import FrameType
from typing import IO, Final

from .clock import FormatISO8601DateTime, GetMockTime, SystemClock

DEFAULT_LOGTIMEMICROS: Final = False
DEFAULT_LOGIPS: Final = False
DEFAULT_LOGTIMESTAMPS: Final = True
DEFAULT_LOGTHREADNAMES: Final = False
DEFAULT_LOGSOURCELOCATIONS: Final = False
DEFAULT_LOGLEVELALWAYS: Final = False
DEFAULT_DEBUGLOGFILE: Final = "debug.log"

#: Whether IP addresses may appear in log lines (-logips).
fLogIPs: bool = DEFAULT_LOGIPS

_PROJECT_ROOT: Final = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Upstream's ``std::source_location``. Equal and hashed by file and line only, as upstream's
    SourceLocationEqual and SourceLocationHasher (which need no SipHash in Python)."""

    file_name: str
    line: int
    function_name: str = field(default="", compare=False)


@lru_cache(maxsize=512)
def _display_path(filename: str) -> str:
    path = os.path.abspath(filename)
    if path.startswith(_PROJECT_ROOT + os.sep):
        return os.path.relpath(path, _PROJECT_ROOT)
    return filename


def _location(frame: FrameType) -> SourceLocation:
    code = frame.f_code
    return SourceLocation(_display_path(code.co_filename), frame.f_lineno, code.co_qualname)


def _here() -> SourceLocation:
    """The caller's own location (upstream's ``std::source_location::current()``)."""
    return _location(sys._getframe(1))


@dataclass(slots=True)
class LogCategory:
    category: str
    active: bool


# Upstream's memusage arithmetic for the early-log buffer (64-bit glibc, libstdc++).
def _MallocUsage(alloc: int) -> int:
    return 0 if alloc == 0 else ((alloc + 31) >> 4) << 4


def _string_usage(s: str) -> int:
    n = len(s.encode("utf-8", "surrogateescape"))
    return 0 if n <= 15 else _MallocUsage(n)


#: sizeof(std::list node of BufferedLog): two pointers, two time values, two strings, a
#: source_location, the category and the level.
_BUFFERED_LOG_NODE_SIZE: Final = 16 + 8 + 8 + 32 + 32 + 8 + 8 + 8


class BCLog:
    """Upstream's ``namespace BCLog``."""

    class LogFlags(IntFlag):
        """Log categories (a 64-bit mask)."""

        NONE = 0
        NET = 1 << 0
        TOR = 1 << 1
        MEMPOOL = 1 << 2
        HTTP = 1 << 3
        BENCH = 1 << 4
        ZMQ = 1 << 5
        WALLETDB = 1 << 6
        RPC = 1 << 7
        ESTIMATEFEE = 1 << 8
        ADDRMAN = 1 << 9
        SELECTCOINS = 1 << 10
        REINDEX = 1 << 11
        CMPCTBLOCK = 1 << 12
        RAND = 1 << 13
        PRUNE = 1 << 14
        PROXY = 1 << 15
        MEMPOOLREJ = 1 << 16
        LIBEVENT = 1 << 17
        COINDB = 1 << 18
        QT = 1 << 19
        LEVELDB = 1 << 20
        VALIDATION = 1 << 21
        I2P = 1 << 22
        IPC = 1 << 23
        BLOCKSTORAGE = 1 << 25
        TXRECONCILIATION = 1 << 26
        SCAN = 1 << 27
        TXPACKAGES = 1 << 28
        ALL = (1 << 64) - 1

    class Level(IntEnum):
        Trace = 0
        Debug = 1
        Info = 2
        Warning = 3
        Error = 4

    # Upstream's LogFlags is an unscoped enum: BCLog::NET works as well as BCLog::LogFlags::NET.
    NONE: Final = LogFlags.NONE
    NET: Final = LogFlags.NET
    TOR: Final = LogFlags.TOR
    MEMPOOL: Final = LogFlags.MEMPOOL
    HTTP: Final = LogFlags.HTTP
    BENCH: Final = LogFlags.BENCH
    ZMQ: Final = LogFlags.ZMQ
    WALLETDB: Final = LogFlags.WALLETDB
    RPC: Final = LogFlags.RPC
    ESTIMATEFEE: Final = LogFlags.ESTIMATEFEE
    ADDRMAN: Final = LogFlags.ADDRMAN
    SELECTCOINS: Final = LogFlags.SELECTCOINS
    REINDEX: Final = LogFlags.REINDEX
    CMPCTBLOCK: Final = LogFlags.CMPCTBLOCK
    RAND: Final = LogFlags.RAND
    PRUNE: Final = LogFlags.PRUNE
    PROXY: Final = LogFlags.PROXY
    MEMPOOLREJ: Final = LogFlags.MEMPOOLREJ
    LIBEVENT: Final = LogFlags.LIBEVENT
    COINDB: Final = LogFlags.COINDB
    QT: Final = LogFlags.QT
    LEVELDB: Final = LogFlags.LEVELDB
    VALIDATION: Final = LogFlags.VALIDATION
    I2P: Final = LogFlags.I2P
    IPC: Final = LogFlags.IPC
    BLOCKSTORAGE: Final = LogFlags.BLOCKSTORAGE
    TXRECONCILIATION: Final = LogFlags.TXRECONCILIATION
    SCAN: Final = LogFlags.SCAN
    TXPACKAGES: Final = LogFlags.TXPACKAGES
    ALL: Final = LogFlags.ALL

    DEFAULT_LOG_LEVEL: Final = Level.Debug
    #: Bytes of log lines kept before StartLogging.
    DEFAULT_MAX_LOG_BUFFER: Final = 1_000_000
    #: Bytes one source location may log per RATELIMIT_WINDOW.
    RATELIMIT_MAX_BYTES: Final = 1024 * 1024
    #: The rate limiter's window, in seconds (1h).
    RATELIMIT_WINDOW: Final = 3600
    DEFAULT_LOGRATELIMIT: Final = True

    @staticmethod
    def LogEscapeMessage(s: str) -> str:
        """Escape control characters other than newline (and DEL) as ``\\xNN``, so a log line
        cannot carry terminal control codes."""
        if s.isprintable() and "\x7f" not in s:
            return s
        out = []
        for ch in s:
            o = ord(ch)
            if (o >= 32 or ch == "\n") and o != 0x7F:
                out.append(ch)
            else:
                out.append(f"\\x{o:02x}")
        return "".join(out)

    class LogRateLimiter:
        """Fixed-window rate limiter: each source location may log ``m_max_bytes`` per
        ``m_reset_window`` seconds; a scheduler resets the window."""

        __slots__ = (
            "__weakref__",
            "m_max_bytes",
            "m_mutex",
            "m_reset_window",
            "m_source_locations",
            "m_suppression_active",
        )

        class Stats:
            """Bytes one source location may still log, and bytes it was refused."""

            __slots__ = ("m_available_bytes", "m_dropped_bytes")

            m_available_bytes: int
            m_dropped_bytes: int

            def __init__(self, max_bytes: int) -> None:
                self.m_available_bytes = max_bytes
                self.m_dropped_bytes = 0

            def Consume(self, nbytes: int) -> bool:
                if nbytes > self.m_available_bytes:
                    self.m_dropped_bytes += nbytes
                    self.m_available_bytes = 0
                    return False
                self.m_available_bytes -= nbytes
                return True

        class Status(IntEnum):
            UNSUPPRESSED = 0
            NEWLY_SUPPRESSED = 1
            STILL_SUPPRESSED = 2

        m_mutex: threading.Lock
        m_source_locations: dict[SourceLocation, BCLog.LogRateLimiter.Stats]
        m_suppression_active: bool
        m_max_bytes: int
        #: Seconds.
        m_reset_window: int

        def __init__(self, max_bytes: int, reset_window: int) -> None:
            """Use :meth:`Create`, which also schedules the resets."""
            self.m_mutex = threading.Lock()
            self.m_source_locations = {}
            self.m_suppression_active = False
            self.m_max_bytes = max_bytes
            self.m_reset_window = reset_window

        @classmethod
        def Create(
            cls,
            scheduler_func: Callable[[Callable[[], None], int], None],
            max_bytes: int,
            reset_window: int,
        ) -> BCLog.LogRateLimiter:
            """A limiter whose Reset ``scheduler_func(fn, interval_ms)`` runs every window; the
            scheduled job holds only a weak reference, as upstream's weak_ptr."""
            limiter = cls(max_bytes, reset_window)
            weak_limiter = weakref.ref(limiter)

            def reset() -> None:
                shared_limiter = weak_limiter()
                if shared_limiter is not None:
                    shared_limiter.Reset()

            scheduler_func(reset, limiter.m_reset_window * 1000)
            return limiter

        def Consume(self, source_loc: SourceLocation, s: str) -> BCLog.LogRateLimiter.Status:
            """Charge ``s`` (its UTF-8 size) to ``source_loc``; say whether it is suppressed."""
            Status = BCLog.LogRateLimiter.Status
            with self.m_mutex:
                stats = self.m_source_locations.get(source_loc)
                if stats is None:
                    stats = BCLog.LogRateLimiter.Stats(self.m_max_bytes)
                    self.m_source_locations[source_loc] = stats
                status = (
                    Status.STILL_SUPPRESSED if stats.m_dropped_bytes > 0 else Status.UNSUPPRESSED
                )
                nbytes = len(s.encode("utf-8", "surrogateescape"))
                if not stats.Consume(nbytes) and status == Status.UNSUPPRESSED:
                    status = Status.NEWLY_SUPPRESSED
                    self.m_suppression_active = True
                return status

        def Reset(self) -> None:
            """Start a new window, and say how much each suppressed location dropped."""
            with self.m_mutex:
                source_locations = self.m_source_locations
                self.m_source_locations = {}
                self.m_suppression_active = False
            for source_loc, stats in source_locations.items():
                if stats.m_dropped_bytes == 0:
                    continue
                LogPrintLevel_(
                    BCLog.LogFlags.ALL,
                    BCLog.Level.Warning,
                    False,
                    "Restarting logging from %s:%d (%s): %d bytes were dropped during the last "
                    "%ss.",
                    source_loc.file_name,
                    source_loc.line,
                    source_loc.function_name,
                    stats.m_dropped_bytes,
                    self.m_reset_window,
                )

        def SuppressionsActive(self) -> bool:
            return self.m_suppression_active

    @dataclass(slots=True)
    class BufferedLog:
        """A line logged before StartLogging, kept with what formatting it later needs."""

        now: int  # microseconds since the epoch, system clock
        mocktime: int  # seconds
        str: builtins.str
        threadname: builtins.str
        source_loc: SourceLocation
        category: BCLog.LogFlags
        level: BCLog.Level

    class Logger:
        """The process's logger (upstream's BCLog::Logger): buffers until StartLogging, then
        writes each line to the console, debug.log and every registered callback."""

        __slots__ = (
            "m_always_print_category_level",
            "m_buffer_lines_discarded",
            "m_buffering",
            "m_categories",
            "m_categories_lock",
            "m_category_log_levels",
            "m_cs",
            "m_cur_buffer_memusage",
            "m_file_path",
            "m_fileout",
            "m_limiter",
            "m_log_level",
            "m_log_sourcelocations",
            "m_log_threadnames",
            "m_log_time_micros",
            "m_log_timestamps",
            "m_max_buffer_memusage",
            "m_msgs_before_open",
            "m_print_callbacks",
            "m_print_to_console",
            "m_print_to_file",
            "m_reopen_file",
        )

        #: A plain Lock, not an RLock: a callback that logs would deadlock, as upstream's mutex.
        m_cs: threading.Lock
        m_fileout: IO[bytes] | None
        m_msgs_before_open: list[BCLog.BufferedLog]
        m_buffering: bool
        m_max_buffer_memusage: int
        m_cur_buffer_memusage: int
        m_buffer_lines_discarded: int
        m_limiter: BCLog.LogRateLimiter | None
        m_category_log_levels: dict[BCLog.LogFlags, BCLog.Level]
        m_log_level: BCLog.Level
        m_categories: int
        m_categories_lock: threading.Lock
        m_print_callbacks: list[CallbackHandle]

        m_print_to_console: bool
        m_print_to_file: bool
        m_log_timestamps: bool
        m_log_time_micros: bool
        m_log_threadnames: bool
        m_log_sourcelocations: bool
        m_always_print_category_level: bool
        #: Path of debug.log ("" until set; upstream's empty fs::path).
        m_file_path: str | os.PathLike[str]
        m_reopen_file: bool

        def __init__(self) -> None:
            self.m_cs = threading.Lock()
            self.m_fileout = None
            self.m_msgs_before_open = []
            self.m_buffering = True
            self.m_max_buffer_memusage = BCLog.DEFAULT_MAX_LOG_BUFFER
            self.m_cur_buffer_memusage = 0
            self.m_buffer_lines_discarded = 0
            self.m_limiter = None
            self.m_category_log_levels = {}
            self.m_log_level = BCLog.DEFAULT_LOG_LEVEL
            self.m_categories = BCLog.LogFlags.NONE
            self.m_categories_lock = threading.Lock()
            self.m_print_callbacks = []
            self.m_print_to_console = False
            self.m_print_to_file = False
            self.m_log_timestamps = DEFAULT_LOGTIMESTAMPS
            self.m_log_time_micros = DEFAULT_LOGTIMEMICROS
            self.m_log_threadnames = DEFAULT_LOGTHREADNAMES
            self.m_log_sourcelocations = DEFAULT_LOGSOURCELOCATIONS
            self.m_always_print_category_level = DEFAULT_LOGLEVELALWAYS
            self.m_file_path = ""
            self.m_reopen_file = False

        # -- output -------------------------------------------------------------------------

        def Enabled(self) -> bool:
            """Whether a line would go anywhere (buffered lines count)."""
            with self.m_cs:
                return (
                    self.m_buffering
                    or self.m_print_to_console
                    or self.m_print_to_file
                    or bool(self.m_print_callbacks)
                )

        def PushBackCallback(self, fun: Callable[[str], None]) -> CallbackHandle:
            """Call ``fun`` with every formatted line (after StartLogging); returns the handle
            DeleteCallback takes."""
            handle = CallbackHandle(fun)
            with self.m_cs:
                self.m_print_callbacks.append(handle)
            return handle

        def DeleteCallback(self, it: CallbackHandle) -> None:
            with self.m_cs:
                self.m_print_callbacks.remove(it)

        def StartLogging(self) -> bool:
            """Open debug.log (when printing to file) and flush the lines buffered so far.
            False when the file cannot be opened."""
            with self.m_cs:
                assert self.m_buffering
                assert self.m_fileout is None
                if self.m_print_to_file:
                    assert os.fspath(self.m_file_path) != ""
                    try:
                        self.m_fileout = open(self.m_file_path, "ab", buffering=0)  # noqa: SIM115
                    except OSError:
                        return False
                    # Blank lines set this run apart from the previous one.
                    self.m_fileout.write(b"\n\n\n\n\n")

                self.m_buffering = False
                if self.m_buffer_lines_discarded > 0:
                    self.LogPrintStr_(
                        f"Early logging buffer overflowed, {self.m_buffer_lines_discarded} log "
                        "lines discarded.\n",
                        _here(),
                        BCLog.LogFlags.ALL,
                        BCLog.Level.Info,
                        False,
                    )
                msgs = self.m_msgs_before_open
                self.m_msgs_before_open = []
                for buflog in msgs:
                    s = self.FormatLogStrInPlace(
                        buflog.str,
                        buflog.category,
                        buflog.level,
                        buflog.source_loc,
                        buflog.threadname,
                        buflog.now,
                        buflog.mocktime,
                    )
                    if self.m_print_to_file and self.m_fileout is not None:
                        self.m_fileout.write(s.encode("utf-8", "surrogateescape"))
                    if self.m_print_to_console:
                        sys.stdout.write(s)
                    for cb in self.m_print_callbacks:
                        cb.fn(s)
                self.m_cur_buffer_memusage = 0
                if self.m_print_to_console:
                    sys.stdout.flush()
            return True

        def DisconnectTestLogger(self) -> None:
            """Close debug.log, drop every callback and go back to buffering (tests only)."""
            with self.m_cs:
                self.m_buffering = True
                if self.m_fileout is not None:
                    self.m_fileout.close()
                self.m_fileout = None
                self.m_print_callbacks.clear()
                self.m_max_buffer_memusage = BCLog.DEFAULT_MAX_LOG_BUFFER
                self.m_cur_buffer_memusage = 0
                self.m_buffer_lines_discarded = 0
                self.m_msgs_before_open.clear()

        def DisableLogging(self) -> None:
            """Log nowhere (instead of StartLogging)."""
            with self.m_cs:
                assert self.m_buffering
                assert not self.m_print_callbacks
            self.m_print_to_file = False
            self.m_print_to_console = False
            self.StartLogging()

        def SetRateLimiting(self, limiter: BCLog.LogRateLimiter | None) -> None:
            with self.m_cs:
                self.m_limiter = limiter

        # -- levels and categories ----------------------------------------------------------

        def CategoryLevels(self) -> dict[BCLog.LogFlags, BCLog.Level]:
            with self.m_cs:
                return dict(self.m_category_log_levels)

        def SetCategoryLogLevel(
            self,
            levels_or_category: dict[BCLog.LogFlags, BCLog.Level] | str,
            level_str: str = "",
        ) -> bool:
            """Either replace all category levels (a dict), or set one from strings as
            ``-loglevel=net:trace`` does; False for an unknown category or level above info."""
            if isinstance(levels_or_category, dict):
                with self.m_cs:
                    self.m_category_log_levels = dict(levels_or_category)
                return True
            flag = GetLogCategory(levels_or_category)
            if flag is None:
                return False
            level = _GetLogLevel(level_str)
            if level is None or level > MAX_USER_SETABLE_SEVERITY_LEVEL:
                return False
            with self.m_cs:
                self.m_category_log_levels[flag] = level
            return True

        def LogLevel(self) -> BCLog.Level:
            return self.m_log_level

        def SetLogLevel(self, level: BCLog.Level | str) -> bool:
            """Set the global level from a Level, or from a user string (at most ``info``)."""
            if isinstance(level, BCLog.Level):
                self.m_log_level = level
                return True
            parsed = _GetLogLevel(level)
            if parsed is None or parsed > MAX_USER_SETABLE_SEVERITY_LEVEL:
                return False
            self.m_log_level = parsed
            return True

        def GetCategoryMask(self) -> int:
            return self.m_categories

        def EnableCategory(self, flag: BCLog.LogFlags | str) -> bool:
            """Turn a category on, by flag or by name ("" / "1" / "all" for all); False for an
            unknown name."""
            if isinstance(flag, str):
                parsed = GetLogCategory(flag)
                if parsed is None:
                    return False
                flag = parsed
            with self.m_categories_lock:
                self.m_categories |= int(flag)
            return True

        def DisableCategory(self, flag: BCLog.LogFlags | str) -> bool:
            if isinstance(flag, str):
                parsed = GetLogCategory(flag)
                if parsed is None:
                    return False
                flag = parsed
            with self.m_categories_lock:
                self.m_categories &= ~int(flag) & int(BCLog.LogFlags.ALL)
            return True

        def WillLogCategory(self, category: BCLog.LogFlags) -> bool:
            return (self.m_categories & category) != 0

        def WillLogCategoryLevel(self, category: BCLog.LogFlags, level: BCLog.Level) -> bool:
            # Info and above are logged whatever the categories, so they are never lost.
            if level >= BCLog.Level.Info:
                return True
            if not self.WillLogCategory(category):
                return False
            with self.m_cs:
                threshold = self.m_category_log_levels.get(category, self.m_log_level)
            return level >= threshold

        def LogCategoriesList(self) -> list[LogCategory]:
            """Every category in alphabetical order, with whether it is on."""
            return [
                LogCategory(category, self.WillLogCategory(flag))
                for category, flag in LOG_CATEGORIES_BY_STR.items()
            ]

        def LogCategoriesString(self) -> str:
            return ", ".join(c.category for c in self.LogCategoriesList())

        def LogLevelsString(self) -> str:
            return ", ".join(
                BCLog.Logger.LogLevelToStr(level)
                for level in (BCLog.Level.Info, BCLog.Level.Debug, BCLog.Level.Trace)
            )

        @staticmethod
        def LogLevelToStr(level: BCLog.Level) -> str:
            return _LEVEL_NAMES[level]

        def DefaultShrinkDebugFile(self) -> bool:
            return self.m_categories == BCLog.LogFlags.NONE

        # -- formatting ---------------------------------------------------------------------

        def LogTimestampStr(self, now: int, mocktime: int) -> str:
            """``now`` in microseconds (system clock), ``mocktime`` in seconds."""
            if not self.m_log_timestamps:
                return ""
            now_seconds, micros = divmod(now, 1_000_000)
            stamped = FormatISO8601DateTime(now_seconds)
            if self.m_log_time_micros and stamped:
                stamped = f"{stamped[:-1]}.{micros:06d}Z"
            if mocktime > 0:
                stamped += " (mocktime: " + FormatISO8601DateTime(mocktime) + ")"
            return stamped + " "

        def GetLogPrefix(self, category: BCLog.LogFlags, level: BCLog.Level) -> str:
            if category == BCLog.LogFlags.NONE:
                category = BCLog.LogFlags.ALL
            has_category = self.m_always_print_category_level or category != BCLog.LogFlags.ALL
            # Without a category, Info is implied.
            if not has_category and level == BCLog.Level.Info:
                return ""
            s = "["
            if has_category:
                s += _LogCategoryToStr(category)
            # With a category, Debug is implied.
            if self.m_always_print_category_level or not has_category or level != BCLog.Level.Debug:
                if has_category:
                    s += ":"
                s += BCLog.Logger.LogLevelToStr(level)
            return s + "] "

        def FormatLogStrInPlace(
            self,
            s: str,
            category: BCLog.LogFlags,
            level: BCLog.Level,
            source_loc: SourceLocation,
            threadname: str,
            now: int,
            mocktime: int,
        ) -> str:
            """The finished line (Python strings being immutable, returned rather than edited)."""
            if not s.endswith("\n"):
                s += "\n"
            s = self.GetLogPrefix(category, level) + s
            if self.m_log_sourcelocations:
                file_name = source_loc.file_name.removeprefix("./")
                s = f"[{file_name}:{source_loc.line}] [{source_loc.function_name}] " + s
            if self.m_log_threadnames:
                s = f"[{threadname or 'unknown'}] " + s
            return self.LogTimestampStr(now, mocktime) + s

        def LogPrintStr(
            self,
            s: str,
            source_loc: SourceLocation,
            category: BCLog.LogFlags,
            level: BCLog.Level,
            should_ratelimit: bool,
        ) -> None:
            """Write one message (already formatted, newline optional)."""
            with self.m_cs:
                self.LogPrintStr_(s, source_loc, category, level, should_ratelimit)

        def LogPrintStr_(
            self,
            s: str,
            source_loc: SourceLocation,
            category: BCLog.LogFlags,
            level: BCLog.Level,
            should_ratelimit: bool,
        ) -> None:
            """LogPrintStr with m_cs held."""
            str_prefixed = BCLog.LogEscapeMessage(s)

            if self.m_buffering:
                buf = BCLog.BufferedLog(
                    now=SystemClock.now(),
                    mocktime=GetMockTime(),
                    str=str_prefixed,
                    threadname=threading.current_thread().name,
                    source_loc=source_loc,
                    category=category,
                    level=level,
                )
                self.m_cur_buffer_memusage += _MemUsage(buf)
                self.m_msgs_before_open.append(buf)
                while self.m_cur_buffer_memusage > self.m_max_buffer_memusage:
                    if not self.m_msgs_before_open:
                        self.m_cur_buffer_memusage = 0
                        break
                    self.m_cur_buffer_memusage -= _MemUsage(self.m_msgs_before_open.pop(0))
                    self.m_buffer_lines_discarded += 1
                return

            str_prefixed = self.FormatLogStrInPlace(
                str_prefixed,
                category,
                level,
                source_loc,
                threading.current_thread().name,
                SystemClock.now(),
                GetMockTime(),
            )
            ratelimit = False
            limiter = self.m_limiter
            if should_ratelimit and limiter is not None:
                status = limiter.Consume(source_loc, str_prefixed)
                if status == BCLog.LogRateLimiter.Status.NEWLY_SUPPRESSED:
                    # should_ratelimit=False here, so this cannot recurse further.
                    self.LogPrintStr_(
                        f"Excessive logging detected from {source_loc.file_name}:"
                        f"{source_loc.line} ({source_loc.function_name}): "
                        f">{limiter.m_max_bytes} bytes logged during the last time window of "
                        f"{limiter.m_reset_window}s. Suppressing logging to disk from this source "
                        "location until time window resets. Console logging unaffected. Last "
                        "log entry.",
                        _here(),
                        BCLog.LogFlags.ALL,
                        BCLog.Level.Warning,
                        False,
                    )
                elif status == BCLog.LogRateLimiter.Status.STILL_SUPPRESSED:
                    ratelimit = True

            # Mark every line while some location is suppressed, so a reader knows lines are
            # missing.
            if limiter is not None and limiter.SuppressionsActive():
                str_prefixed = "[*] " + str_prefixed

            if self.m_print_to_console:
                sys.stdout.write(str_prefixed)
                sys.stdout.flush()
            for cb in self.m_print_callbacks:
                cb.fn(str_prefixed)
            if self.m_print_to_file and not ratelimit:
                assert self.m_fileout is not None
                if self.m_reopen_file:
                    self.m_reopen_file = False
                    try:
                        new_fileout = open(self.m_file_path, "ab", buffering=0)  # noqa: SIM115
                    except OSError:
                        pass
                    else:
                        self.m_fileout.close()
                        self.m_fileout = new_fileout
                self.m_fileout.write(str_prefixed.encode("utf-8", "surrogateescape"))

        def ShrinkDebugFile(self) -> None:
            """Keep only the last 10 MB of debug.log once it grows past 11 MB."""
            RECENT_DEBUG_HISTORY_SIZE = 10 * 1000000
            assert os.fspath(self.m_file_path) != ""
            try:
                log_size = os.path.getsize(self.m_file_path)
                file = open(self.m_file_path, "rb")  # noqa: SIM115
            except OSError:
                return
            with file:
                if log_size <= 11 * (RECENT_DEBUG_HISTORY_SIZE // 10):
                    return
                try:
                    file.seek(-RECENT_DEBUG_HISTORY_SIZE, os.SEEK_END)
                except OSError:
                    LogPrintf("Failed to shrink debug log file: fseek(...) failed\n")
                    return
                vch = file.read(RECENT_DEBUG_HISTORY_SIZE)
            try:
                with open(self.m_file_path, "wb") as out:
                    out.write(vch)
            except OSError:
                pass


class CallbackHandle:
    """What PushBackCallback returns and DeleteCallback takes (upstream: a list iterator)."""

    __slots__ = ("fn",)

    fn: Callable[[str], None]

    def __init__(self, fn: Callable[[str], None]) -> None:
        self.fn = fn


#: Convenience aliases for annotations outside this module.
LogFlags = BCLog.LogFlags
Level = BCLog.Level

MAX_USER_SETABLE_SEVERITY_LEVEL: Final = BCLog.Level.Info

LOG_CATEGORIES_BY_STR: Final[dict[str, BCLog.LogFlags]] = dict(
    sorted(
        {
            "net": BCLog.NET,
            "tor": BCLog.TOR,
            "mempool": BCLog.MEMPOOL,
            "http": BCLog.HTTP,
            "bench": BCLog.BENCH,
            "zmq": BCLog.ZMQ,
            "walletdb": BCLog.WALLETDB,
            "rpc": BCLog.RPC,
            "estimatefee": BCLog.ESTIMATEFEE,
            "addrman": BCLog.ADDRMAN,
            "selectcoins": BCLog.SELECTCOINS,
            "reindex": BCLog.REINDEX,
            "cmpctblock": BCLog.CMPCTBLOCK,
            "rand": BCLog.RAND,
            "prune": BCLog.PRUNE,
            "proxy": BCLog.PROXY,
            "mempoolrej": BCLog.MEMPOOLREJ,
            "libevent": BCLog.LIBEVENT,
            "coindb": BCLog.COINDB,
            "qt": BCLog.QT,
            "leveldb": BCLog.LEVELDB,
            "validation": BCLog.VALIDATION,
            "i2p": BCLog.I2P,
            "ipc": BCLog.IPC,
            "blockstorage": BCLog.BLOCKSTORAGE,
            "txreconciliation": BCLog.TXRECONCILIATION,
            "scan": BCLog.SCAN,
            "txpackages": BCLog.TXPACKAGES,
        }.items()
    )
)
LOG_CATEGORIES_BY_FLAG: Final[dict[BCLog.LogFlags, str]] = {
    flag: name for name, flag in LOG_CATEGORIES_BY_STR.items()
}

_LEVEL_NAMES: Final = {
    BCLog.Level.Trace: "trace",
    BCLog.Level.Debug: "debug",
    BCLog.Level.Info: "info",
    BCLog.Level.Warning: "warning",
    BCLog.Level.Error: "error",
}
_LEVELS_BY_NAME: Final = {name: level for level, name in _LEVEL_NAMES.items()}


def _GetLogLevel(level_str: str) -> BCLog.Level | None:
    return _LEVELS_BY_NAME.get(level_str)


def _LogCategoryToStr(category: BCLog.LogFlags) -> str:
    if category == BCLog.LogFlags.ALL:
        return "all"
    return LOG_CATEGORIES_BY_FLAG[category]


def _MemUsage(buflog: BCLog.BufferedLog) -> int:
    return (
        _string_usage(buflog.str)
        + _string_usage(buflog.threadname)
        + _MallocUsage(_BUFFERED_LOG_NODE_SIZE)
    )


def GetLogCategory(s: str) -> BCLog.LogFlags | None:
    """The category a name stands for ("", "1" and "all" mean ALL), or None if unknown (upstream
    returns false and leaves the out-parameter alone)."""
    if s in ("", "1", "all"):
        return BCLog.LogFlags.ALL
    return LOG_CATEGORIES_BY_STR.get(s)


_g_logger: Final = BCLog.Logger()


def LogInstance() -> BCLog.Logger:
    """The process-wide logger."""
    return _g_logger


def LogAcceptCategory(category: BCLog.LogFlags, level: BCLog.Level) -> bool:
    return _g_logger.WillLogCategoryLevel(category, level)


def _log_from(
    frame: FrameType,
    flag: BCLog.LogFlags,
    level: BCLog.Level,
    should_ratelimit: bool,
    fmt: str,
    args: tuple[object, ...],
) -> None:
    if not _g_logger.Enabled():
        return
    try:
        log_msg = fmt % args
    except (TypeError, ValueError, KeyError) as fmterr:
        log_msg = f'Error "{fmterr}" while formatting log message: {fmt}'
    _g_logger.LogPrintStr(log_msg, _location(frame), flag, level, should_ratelimit)


def LogPrintFormatInternal(
    source_loc: SourceLocation,
    flag: BCLog.LogFlags,
    level: BCLog.Level,
    should_ratelimit: bool,
    fmt: str,
    *args: object,
) -> None:
    """Format and log, with an explicit source location."""
    if not _g_logger.Enabled():
        return
    try:
        log_msg = fmt % args
    except (TypeError, ValueError, KeyError) as fmterr:
        log_msg = f'Error "{fmterr}" while formatting log message: {fmt}'
    _g_logger.LogPrintStr(log_msg, source_loc, flag, level, should_ratelimit)


def LogPrintLevel_(
    category: BCLog.LogFlags,
    level: BCLog.Level,
    should_ratelimit: bool,
    fmt: str,
    *args: object,
) -> None:
    """Log without a category check, from the caller's source location."""
    _log_from(sys._getframe(1), category, level, should_ratelimit, fmt, args)


def LogInfo(fmt: str, *args: object) -> None:
    """Log unconditionally (rate limited on disk)."""
    _log_from(sys._getframe(1), BCLog.LogFlags.ALL, BCLog.Level.Info, True, fmt, args)


def LogWarning(fmt: str, *args: object) -> None:
    """Log unconditionally with a ``[warning]`` prefix (rate limited on disk)."""
    _log_from(sys._getframe(1), BCLog.LogFlags.ALL, BCLog.Level.Warning, True, fmt, args)


def LogError(fmt: str, *args: object) -> None:
    """Log unconditionally with an ``[error]`` prefix (rate limited on disk)."""
    _log_from(sys._getframe(1), BCLog.LogFlags.ALL, BCLog.Level.Error, True, fmt, args)


def LogPrintf(fmt: str, *args: object) -> None:
    """Deprecated upstream; the same as LogInfo."""
    _log_from(sys._getframe(1), BCLog.LogFlags.ALL, BCLog.Level.Info, True, fmt, args)


def LogPrintLevel(category: BCLog.LogFlags, level: BCLog.Level, fmt: str, *args: object) -> None:
    """Log with a ``[category:level]`` prefix if the category and level are enabled; Info and
    above always log, and are then rate limited on disk."""
    if _g_logger.WillLogCategoryLevel(category, level):
        _log_from(sys._getframe(1), category, level, level >= BCLog.Level.Info, fmt, args)


def LogDebug(category: BCLog.LogFlags, fmt: str, *args: object) -> None:
    """Log with a ``[category]`` prefix if the category is enabled at debug level."""
    if _g_logger.WillLogCategoryLevel(category, BCLog.Level.Debug):
        _log_from(sys._getframe(1), category, BCLog.Level.Debug, False, fmt, args)


def LogTrace(category: BCLog.LogFlags, fmt: str, *args: object) -> None:
    """Log with a ``[category:trace]`` prefix if the category is enabled at trace level."""
    if _g_logger.WillLogCategoryLevel(category, BCLog.Level.Trace):
        _log_from(sys._getframe(1), category, BCLog.Level.Trace, False, fmt, args)
