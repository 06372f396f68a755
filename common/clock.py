"""Clocks and mock time (src/util/time.h/.cpp, plus src/test/util/time.h's ElapseSteady).

Upstream's chrono time points become plain ints in a named unit: ``NodeClock.now()`` and the
steady clocks return microseconds since their epoch, ``GetTime()`` returns seconds. The mock
values are process-wide, as upstream's ``std::atomic`` globals are; a lock keeps each update
atomic for every thread.
"""

from __future__ import annotations

import threading
import time
from typing import Final

_mock_lock: Final = threading.Lock()
#: Upstream's g_mock_time, in seconds (0: not mocked).
_g_mock_time: int = 0
#: Upstream's g_mock_steady_time, in milliseconds (0: not mocked).
_g_mock_steady_time: int = 0


def UninterruptibleSleep(n: int) -> None:
    """Sleep ``n`` microseconds; not woken by any interrupt, as upstream."""
    time.sleep(n / 1_000_000)


class SystemClock:
    """``std::chrono::system_clock``: wall time, never mocked."""

    __slots__ = ()

    @staticmethod
    def now() -> int:
        """Microseconds since the Unix epoch."""
        return time.time_ns() // 1000


class NodeClock:
    """Mockable wall clock: the system clock, or the mock time set with :func:`SetMockTime`."""

    __slots__ = ()

    @staticmethod
    def now() -> int:
        """Microseconds since the Unix epoch (upstream's ``NodeClock::time_point``)."""
        mocktime = _g_mock_time
        ret = mocktime * 1_000_000 if mocktime else time.time_ns() // 1000
        assert ret > 0
        return ret


class SteadyClock:
    """``std::chrono::steady_clock``: monotonic, never mocked."""

    __slots__ = ()

    @staticmethod
    def now() -> int:
        """Microseconds since an arbitrary fixed point."""
        return time.monotonic_ns() // 1000


class MockableSteadyClock:
    """A steady clock tests can set (:meth:`SetMockTime`, in milliseconds, as upstream's
    ``mock_time_point``); otherwise the system steady clock."""

    __slots__ = ()

    #: Where a mocked steady clock starts, in milliseconds.
    INITIAL_MOCK_TIME: Final = 1

    @staticmethod
    def now() -> int:
        """Microseconds since an arbitrary fixed point (or since the mock epoch)."""
        mocktime = _g_mock_steady_time
        if mocktime:
            return mocktime * 1000
        return time.monotonic_ns() // 1000

    @staticmethod
    def SetMockTime(mock_time_in: int) -> None:
        """Set the steady clock to ``mock_time_in`` milliseconds."""
        global _g_mock_steady_time
        if mock_time_in < 0:
            raise ValueError(f"steady mock time must not be negative, got {mock_time_in}")
        with _mock_lock:
            _g_mock_steady_time = mock_time_in

    @staticmethod
    def ClearMockTime() -> None:
        """Go back to the system steady clock."""
        global _g_mock_steady_time
        with _mock_lock:
            _g_mock_steady_time = 0


def GetTime() -> int:
    """Mockable time in seconds since the epoch (``GetTime<std::chrono::seconds>()``)."""
    return NodeClock.now() // 1_000_000


def GetTimeMillis() -> int:
    """Mockable time in milliseconds (``GetTime<std::chrono::milliseconds>()``)."""
    return NodeClock.now() // 1000


def GetTimeMicros() -> int:
    """Mockable time in microseconds (``GetTime<std::chrono::microseconds>()``)."""
    return NodeClock.now()


def SetMockTime(nMockTimeIn: int) -> None:
    """Mock the node clock at ``nMockTimeIn`` seconds since the epoch; 0 goes back to real time."""
    global _g_mock_time
    if nMockTimeIn < 0:
        raise ValueError(f"mock time must not be negative, got {nMockTimeIn}")
    with _mock_lock:
        _g_mock_time = nMockTimeIn


def GetMockTime() -> int:
    """The mock time in seconds, 0 when the node clock is not mocked."""
    return _g_mock_time


class ElapseSteady:
    """Test helper (src/test/util/time.h): mock the steady clock at INITIAL_MOCK_TIME, then move
    it forward by the milliseconds each call is given."""

    __slots__ = ("t",)

    t: int

    def __init__(self) -> None:
        self.t = MockableSteadyClock.INITIAL_MOCK_TIME
        self(0)

    def __call__(self, d: int) -> None:
        self.t += d
        MockableSteadyClock.SetMockTime(self.t)


# Civil-calendar conversions on proleptic Gregorian days since 1970-01-01 (H. Hinnant's
# algorithms, the ones std::chrono uses). Python's datetime stops at year 9999; upstream's
# formatting goes on to year 32767, so the arithmetic is done here.


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= 1 if m <= 2 else 0
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def FormatISO8601DateTime(nTime: int) -> str:
    """``2011-09-30T23:36:17Z`` for a time in seconds since the epoch (UTC)."""
    days, secs = divmod(nTime, 86400)
    y, m, d = _civil_from_days(days)
    return f"{y:04d}-{m:02d}-{d:02d}T{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}Z"


def FormatISO8601Date(nTime: int) -> str:
    """``2011-09-30`` for a time in seconds since the epoch (UTC)."""
    y, m, d = _civil_from_days(nTime // 86400)
    return f"{y:04d}-{m:02d}-{d:02d}"


def _to_integral(s: str, max_value: int) -> int | None:
    # ToIntegral<uintN_t>: decimal digits only (no sign, no blanks), within the type's range.
    if not s or not all("0" <= c <= "9" for c in s):
        return None
    v = int(s)
    return v if v <= max_value else None


def ParseISO8601DateTime(s: str) -> int | None:
    """Seconds since the epoch for ``YYYY-MM-DDThh:mm:ssZ``, or None (upstream's nullopt).

    As upstream, hours, minutes and seconds up to 99 are accepted and overflow into the next
    unit, while an impossible date is rejected."""
    if (
        len(s) != 20
        or s[4] != "-"
        or s[7] != "-"
        or s[10] != "T"
        or s[13] != ":"
        or s[16] != ":"
        or s[19] != "Z"
    ):
        return None
    year = _to_integral(s[0:4], 0xFFFF)
    month = _to_integral(s[5:7], 0xFF)
    day = _to_integral(s[8:10], 0xFF)
    hour = _to_integral(s[11:13], 0xFF)
    minute = _to_integral(s[14:16], 0xFF)
    sec = _to_integral(s[17:19], 0xFF)
    if year is None or month is None or day is None:
        return None
    if hour is None or minute is None or sec is None:
        return None
    if not 1 <= month <= 12:
        return None
    days_in_month = 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month - 1]
    if not 1 <= day <= days_in_month:
        return None
    return _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + sec
