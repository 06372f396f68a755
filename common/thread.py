"""util/thread.{h,cpp}: a named thread whose start, exit and failure are logged."""

from __future__ import annotations

import threading
from collections.abc import Callable

from .logging import LogInfo, LogPrintf


def TraceThread(thread_name: str, thread_func: Callable[[], None]) -> threading.Thread:
    """util::TraceThread: run ``thread_func`` in a thread named ``thread_name``, logging its
    start and exit. An exception is logged as PrintExceptionContinue does and ends the thread
    (upstream rethrows, which terminates the process). Returns the started thread."""

    def run() -> None:
        LogInfo("%s thread start", thread_name)
        try:
            thread_func()
        except Exception as e:
            message = (
                f"EXCEPTION: {type(e).__name__}       \n{e}       \n"
                f"bitcoin in {thread_name}       \n"
            )
            LogPrintf("\n\n************************\n%s\n", message)
            raise
        LogInfo("%s thread exit", thread_name)

    t = threading.Thread(target=run, name=f"b-{thread_name}", daemon=True)
    t.start()
    return t
