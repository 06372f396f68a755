"""CScheduler (src/scheduler.h): tasks run in time order on the service thread, repeat with
scheduleEvery, move with MockForward, and stop() joins the thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from common.clock import SteadyClock
from common.scheduler import CScheduler


@pytest.fixture
def scheduler() -> Iterator[CScheduler]:
    s = CScheduler()
    s.m_service_thread = threading.Thread(target=s.serviceQueue, name="scheduler", daemon=True)
    s.m_service_thread.start()
    yield s
    s.stop()


def test_tasks_run_in_time_order_then_in_scheduling_order(scheduler: CScheduler) -> None:
    ran: list[str] = []
    done = threading.Event()
    now = SteadyClock.now()
    scheduler.schedule(lambda: ran.append("later"), now + 20_000)
    scheduler.schedule(lambda: ran.append("first"), now)
    scheduler.schedule(lambda: ran.append("second"), now)
    scheduler.schedule(done.set, now + 30_000)
    assert done.wait(5)
    assert ran == ["first", "second", "later"]


def test_mockforward_brings_every_task_closer(scheduler: CScheduler) -> None:
    ran = threading.Event()
    scheduler.scheduleFromNow(ran.set, 600)
    count, first, last = scheduler.getQueueInfo()
    assert count == 1 and first is not None and first == last
    assert not ran.wait(0.05)
    scheduler.MockForward(600)
    assert ran.wait(5)
    assert scheduler.getQueueInfo() == (0, None, None)


def test_schedule_every_repeats(scheduler: CScheduler) -> None:
    calls: list[int] = []
    scheduler.scheduleEvery(lambda: calls.append(1), 1)
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        scheduler.MockForward(1)  # each run schedules the next one a second later
        time.sleep(0.01)
    assert len(calls) >= 3
    assert scheduler.getQueueInfo()[0] == 1  # the next run is queued


def test_a_raising_task_does_not_stop_the_queue(scheduler: CScheduler) -> None:
    after = threading.Event()

    def boom() -> None:
        raise ValueError("boom")

    scheduler.schedule(boom, SteadyClock.now())
    scheduler.schedule(after.set, SteadyClock.now())
    assert after.wait(5)
    assert scheduler.AreThreadsServicingQueue()


def test_stop_joins_the_service_thread() -> None:
    s = CScheduler()
    s.m_service_thread = threading.Thread(target=s.serviceQueue, name="scheduler", daemon=True)
    s.m_service_thread.start()
    s.scheduleFromNow(lambda: None, 3600)
    s.stop()
    assert not s.m_service_thread.is_alive()
    assert not s.AreThreadsServicingQueue()
