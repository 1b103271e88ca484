"""Batching: many changes in a burst become one model update.

A sink only records that something changed and pokes the batcher; the batcher runs `flush` once,
`interval` seconds after the first poke of a burst, on a timer thread. So 10,000 events in a
burst cost a handful of comm messages, and the emitting code never waits for a redraw.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Batcher:
    def __init__(self, flush: Callable[[], None], interval: float = 0.2) -> None:
        self._flush = flush
        self.interval = interval
        self.flushes = 0  # how many batches ran (a figure for tests and notes)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one flush at a time, timer or caller
        self._timer: threading.Timer | None = None
        self._stopped = False

    def poke(self) -> None:
        """Something changed: make sure a flush is scheduled."""
        with self._lock:
            if self._timer is not None or self._stopped:
                return
            self._timer = threading.Timer(self.interval, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None  # pokes from now on schedule the next batch
        try:
            self.flush_now()
        except Exception:  # a failed redraw must not kill the timer thread; the next batch retries
            pass

    def flush_now(self) -> None:
        with self._flush_lock:
            self.flushes += 1
            self._flush()

    def stop(self) -> None:
        """No more batches; the pending one, if any, runs now, so the last changes are not lost."""
        with self._lock:
            self._stopped = True
            pending, self._timer = self._timer, None
        if pending is not None:
            pending.cancel()
            self.flush_now()
