"""The session's thread pool, which never queues a call: a call that finds every worker busy runs at once
on the caller's thread.

Work that waits for other work submitted to the same pool is common here: a parallel workflow nested in a
branch, or a JavaScript tool that calls a Lua tool that calls JavaScript again, where each level waits on a
worker for the next. With a queue, once every worker waits, the queued call that they wait for never
starts, and no time limit fires because no script runs. Run inline, the call nests on the caller's stack
instead, as a sequential call would: it runs, or it stops at a limit (Python's recursion limit is a
LimitError).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class InlineWhenBusyPool:
    """A `ThreadPoolExecutor` of `workers` threads whose `submit` runs the call inline when none is free."""

    def __init__(self, workers: int, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._free = threading.Semaphore(workers)  # workers not running a call (or about to be)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        if self._free.acquire(blocking=False):
            try:
                future = self._executor.submit(fn, *args)
            except BaseException:
                self._free.release()
                raise
            future.add_done_callback(lambda _f: self._free.release())
            return future
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # as a worker would: the caller meets it when it reads the future
            future.set_exception(exc)
        return future

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
