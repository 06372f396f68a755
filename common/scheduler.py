"""A task queue run by one service thread (src/scheduler.h/.cpp): CScheduler.

Upstream's ``std::chrono::steady_clock::time_point`` is an int of SteadyClock microseconds, and
the delays ``scheduleFromNow``/``scheduleEvery`` take are whole seconds (upstream: milliseconds),
the unit PeerManager and CConnman schedule in here. The mutex and condition variable are a
``threading.Condition``; the task queue, a multimap ordered by time, is a heap with an insertion
counter so that tasks due at the same time run in the order they were scheduled.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable
from typing import Final

from .clock import SteadyClock
from .logging import LogPrintf

Function = Callable[[], None]

_MICROS_PER_SECOND: Final = 1_000_000


class CScheduler:
    """Runs each task at (or soon after) its time on the thread that calls :meth:`serviceQueue`
    (the node's "scheduler" thread). A task that raises is logged and the queue goes on."""

    __slots__ = (
        "m_service_thread",
        "newTaskMutex",
        "newTaskScheduled",
        "nThreadsServicingQueue",
        "stopRequested",
        "stopWhenEmpty",
        "taskQueue",
        "_seq",
    )

    #: The thread running serviceQueue, set by whoever starts it (init).
    m_service_thread: threading.Thread | None
    newTaskMutex: threading.Lock
    newTaskScheduled: threading.Condition
    #: (time in SteadyClock microseconds, sequence, task). GUARDED_BY(newTaskMutex)
    taskQueue: list[tuple[int, int, Function]]
    nThreadsServicingQueue: int
    stopRequested: bool
    stopWhenEmpty: bool
    _seq: int

    def __init__(self) -> None:
        self.m_service_thread = None
        self.newTaskMutex = threading.Lock()
        self.newTaskScheduled = threading.Condition(self.newTaskMutex)
        self.taskQueue = []
        self.nThreadsServicingQueue = 0
        self.stopRequested = False
        self.stopWhenEmpty = False
        self._seq = 0

    def schedule(self, f: Function, t: int) -> None:
        """Call ``f`` once at SteadyClock time ``t`` (microseconds)."""
        with self.newTaskMutex:
            self._seq += 1
            heapq.heappush(self.taskQueue, (t, self._seq, f))
            self.newTaskScheduled.notify()

    def scheduleFromNow(self, f: Function, delta: int) -> None:
        """Call ``f`` once, ``delta`` seconds from now."""
        self.schedule(f, SteadyClock.now() + delta * _MICROS_PER_SECOND)

    def _Repeat(self, f: Function, delta: int) -> None:
        f()
        self.scheduleFromNow(lambda: self._Repeat(f, delta), delta)

    def scheduleEvery(self, f: Function, delta: int) -> None:
        """Call ``f`` every ``delta`` seconds, the first time ``delta`` seconds from now."""
        self.scheduleFromNow(lambda: self._Repeat(f, delta), delta)

    def MockForward(self, delta_seconds: int) -> None:
        """Bring every task ``delta_seconds`` closer (tests: the mockscheduler RPC)."""
        assert 0 < delta_seconds <= 3600
        shift = delta_seconds * _MICROS_PER_SECOND
        with self.newTaskMutex:
            self.taskQueue = [(t - shift, seq, f) for t, seq, f in self.taskQueue]
            heapq.heapify(self.taskQueue)
            self.newTaskScheduled.notify()

    def shouldStop(self) -> bool:
        """GUARDED_BY(newTaskMutex)."""
        return self.stopRequested or (self.stopWhenEmpty and not self.taskQueue)

    def serviceQueue(self) -> None:
        """Run tasks as they fall due until :meth:`stop` (or, after StopWhenDrained, until
        the queue is empty)."""
        with self.newTaskMutex:
            self.nThreadsServicingQueue += 1
            try:
                while not self.shouldStop():
                    # Wait until there is something to do, then until the first task is due
                    # (a newly scheduled earlier task, or a stop, wakes the wait).
                    while not self.shouldStop() and not self.taskQueue:
                        self.newTaskScheduled.wait()
                    while not self.shouldStop() and self.taskQueue:
                        wait_us = self.taskQueue[0][0] - SteadyClock.now()
                        if wait_us <= 0:
                            break
                        self.newTaskScheduled.wait(wait_us / _MICROS_PER_SECOND)
                    if self.shouldStop() or not self.taskQueue:
                        continue
                    _, _, f = heapq.heappop(self.taskQueue)
                    # Run the task without the lock, so it can schedule more.
                    self.newTaskMutex.release()
                    try:
                        f()
                    except Exception as e:
                        LogPrintf("scheduler task raised %s: %s\n", type(e).__name__, e)
                    finally:
                        self.newTaskMutex.acquire()
            finally:
                self.nThreadsServicingQueue -= 1
                self.newTaskScheduled.notify()

    def stop(self) -> None:
        """Tell the service thread to stop once its current task returns, and join it."""
        with self.newTaskMutex:
            self.stopRequested = True
            self.newTaskScheduled.notify_all()
        thread = self.m_service_thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join()

    def StopWhenDrained(self) -> None:
        """Tell the service thread to stop once no task is left, and join it."""
        with self.newTaskMutex:
            self.stopWhenEmpty = True
            self.newTaskScheduled.notify_all()
        thread = self.m_service_thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join()

    def getQueueInfo(self) -> tuple[int, int | None, int | None]:
        """(number of tasks, time of the first, time of the last), times in SteadyClock
        microseconds, None when empty."""
        with self.newTaskMutex:
            if not self.taskQueue:
                return 0, None, None
            times = [t for t, _, _ in self.taskQueue]
            return len(times), min(times), max(times)

    def AreThreadsServicingQueue(self) -> bool:
        with self.newTaskMutex:
            return self.nThreadsServicingQueue > 0
