"""Wall-clock guards for tests on a busy machine.

A test asserts what a limit guarantees (the error, the state, the count, the CPU time spent); wall-clock
time appears only as a generous outer guard against a hang, never as a claim about speed (bench/ measures
speed). Nothing slow to import should sit inside a guarded block.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

GUARD = 60.0  # seconds


@contextmanager
def guarded(seconds: float = GUARD, *, cpu: float | None = None) -> Iterator[None]:
    """The block ends within `seconds` of wall time and, if given, `cpu` seconds of this process's CPU time."""
    wall, used = time.monotonic(), time.process_time()
    yield
    spent = time.monotonic() - wall
    assert spent < seconds, f"took {spent:.1f} s of wall time (guard: {seconds:g} s)"
    if cpu is not None:
        burnt = time.process_time() - used
        assert burnt < cpu, f"used {burnt:.1f} s of CPU time (bound: {cpu:g} s)"


def wait_until(ready: Callable[[], object], what: str, seconds: float = GUARD) -> None:
    """Poll `ready()` until it is true; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds:g} s"
        time.sleep(0.02)


def when(ready: Callable[[], object], action: Callable[[], object], what: str = "the condition") -> None:
    """From a thread of its own: wait until `ready()` (at most GUARD seconds), then call `action()` once.

    For an interrupt: sent once the chunk is running (it says so), never before it starts, however busy the
    machine is."""
    import threading

    def run() -> None:
        wait_until(ready, what)
        action()

    threading.Thread(target=run, daemon=True).start()
