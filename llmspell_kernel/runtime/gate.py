"""One thread at a time per engine, without deadlocks across threads.

A script engine (a lupa runtime, a QuickJS context) must be entered by one
thread at a time, and lupa keeps its lock while a script waits inside a Python
call. So when thread A runs a Lua chunk that waits on a parallel workflow whose
branch (thread B) calls a Lua function, B cannot simply take the lock. Instead
B posts the call to A's mailbox, and A runs it while it waits (`wait`). The
nesting stays strict, which is what an engine's C stack needs.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # concurrent.futures imports logging: only where futures are made
    from concurrent.futures import Future

T = TypeVar("T")


class _Job:
    __slots__ = ("args", "context", "done", "error", "fn", "gate", "requester", "result")

    def __init__(self, gate: EngineGate, fn: Callable[..., Any], args: tuple) -> None:
        self.gate, self.fn, self.args = gate, fn, args
        self.context = contextvars.copy_context()  # the poster's author and parent event travel with the call
        self.requester = _mailbox()  # woken when the job is done
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.context.run(self.fn, *self.args)
        except BaseException as exc:  # handed to the waiting thread, which re-raises it
            self.error = exc
        finally:
            self.done.set()
            self.requester.wake()


class _Mailbox:
    """The jobs other threads posted for engines this thread holds."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.jobs: deque[_Job] = deque()

    def post(self, job: _Job) -> None:
        with self.cond:
            self.jobs.append(job)
            self.cond.notify_all()

    def take(self, gate: EngineGate | None = None) -> _Job | None:
        with self.cond:
            for job in self.jobs:
                if gate is None or job.gate is gate:
                    self.jobs.remove(job)
                    return job
        return None

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()


_local = threading.local()


def _mailbox() -> _Mailbox:
    box = getattr(_local, "mailbox", None)
    if box is None:
        box = _local.mailbox = _Mailbox()
    return box


class EngineGate:
    """Serialises one engine; a call from a foreign thread runs on the holder's thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._owner_box: _Mailbox | None = None
        self._depth = 0

    @property
    def busy(self) -> bool:
        return self._owner is not None

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        me = threading.get_ident()
        with self._lock:
            if self._owner == me:
                self._depth += 1
                job = None
            elif self._owner is None:
                self._owner, self._owner_box, self._depth = me, _mailbox(), 1
                job = None
            else:
                job = _Job(self, fn, args)
                self._owner_box.post(job)
        if job is not None:
            _serve_until(job.done.is_set)
            if job.error is not None:
                raise job.error
            return job.result
        try:
            return fn(*args)
        finally:
            self._release()

    def _release(self) -> None:
        while True:
            with self._lock:
                if self._depth > 1:
                    self._depth -= 1
                    return
                job = self._owner_box.take(self)
                if job is None:  # nobody waits: give the engine up
                    self._owner, self._owner_box, self._depth = None, None, 0
                    return
            job.run()  # a job posted while we ran unparked: serve it before leaving


def _serve_until(done: Callable[[], bool], deadline: float | None = None) -> None:
    box = _mailbox()
    while True:
        with box.cond:
            while not box.jobs and not done():
                left = 0.25 if deadline is None else min(0.25, deadline - time.monotonic())
                if left <= 0:
                    return
                box.cond.wait(left)
            if not box.jobs:
                return
            job = box.jobs.popleft()
        job.run()


def acquire_serving(lock: threading.Semaphore | threading.Lock) -> None:
    """Acquire `lock`, serving jobs for engines this thread holds while it waits (polled every 0.25 s): the
    holder of the lock may be waiting for one of those engines."""
    if not lock.acquire(blocking=False):
        _serve_until(lambda: lock.acquire(blocking=False))


def wait_futures(futures: Iterable[Future], timeout: float | None = None) -> None:
    """Block until every future is done (or `timeout` seconds pass), serving jobs for engines this thread holds."""
    futures = list(futures)
    box = _mailbox()
    for future in futures:
        future.add_done_callback(lambda _f: box.wake())
    deadline = None if timeout is None else time.monotonic() + timeout
    _serve_until(lambda: all(f.done() for f in futures), deadline)


def here() -> Callable[..., Any]:
    """A function that runs `fn(*args)` on this thread, while this thread waits in `wait_futures`, from any
    other thread (a question for the user belongs to the thread that runs the cell: ipykernel's input is
    bound to it)."""
    box = _mailbox()

    def run_here(fn: Callable[..., T], *args: Any) -> T:
        job = _Job(None, fn, args)  # type: ignore[arg-type]  # no engine: whoever serves the box runs it
        box.post(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    return run_here
