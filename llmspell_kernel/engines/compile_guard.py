"""A compile stops at the chunk's time limit and at the stop button, like the code it compiles.

Compiling is Python code with no budget checks of its own (Tengo's lexer, parser and code generator,
the JavaScript cell and module rewriters), and a 1,000,000-statement file takes minutes. While a
thread compiles, one watchdog thread (shared by every engine, started on first use) polls the engine's
budget; once it says stop (the deadline passed, or `interrupt()` set the stop flag), the watchdog raises
`CompileStopped` in the compiling thread (`PyThreadState_SetAsyncExc`), and `compiling` turns it into the
engine's TimeLimitError or interrupt. Only compiling is watched: it changes nothing that an exception
could leave half-done (no store, no API call). A native step (CPython's `compile()` of the generated
tree, QuickJS's parser) is not stopped: the exception is raised when it returns.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

from ..errors import SpellError, TimeLimitError

POLL = 0.05  # seconds between the watchdog's looks at the budgets of compiling threads


class CompileStopped(BaseException):
    """Raised into a compiling thread by the watchdog (a BaseException, so no `except Exception` keeps it)."""


class _Watch:
    __slots__ = ("engine", "fired", "thread")

    def __init__(self, engine: Any) -> None:
        self.engine, self.thread, self.fired = engine, threading.get_ident(), False


class _Watchdog:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._watched: dict[int, _Watch] = {}
        self._thread: threading.Thread | None = None

    def watch(self, watch: _Watch) -> None:
        with self._cond:
            self._watched[id(watch)] = watch
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="llmspell-compile-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()

    def unwatch(self, watch: _Watch) -> bool:
        """Stop watching; True if the watchdog fired (a pending exception not raised yet is withdrawn)."""
        with self._cond:
            self._watched.pop(id(watch), None)
            if watch.fired:
                _raise_in(watch.thread, None)
            return watch.fired

    def _run(self) -> None:
        with self._cond:
            while True:
                if not self._watched:
                    self._cond.wait()
                    continue
                for watch in self._watched.values():
                    if not watch.fired and watch.engine.budget_error() is not None:
                        watch.fired = True
                        _raise_in(watch.thread, CompileStopped)
                self._cond.wait(POLL)


def _raise_in(thread: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(exc) if exc else None)


_watchdog = _Watchdog()


class compiling:  # lower case: used as a `with` statement, like contextlib's helpers
    """`with compiling(engine):` around a compile: past the engine's budget it raises the engine's limit error."""

    __slots__ = ("engine", "watch")

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def __enter__(self) -> None:
        self.watch = _Watch(self.engine)
        try:
            _watchdog.watch(self.watch)
        except CompileStopped:  # the budget was spent already: the watchdog fired before `with` began
            self.__exit__(CompileStopped, None, None)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        stopped = kind is not None and issubclass(kind, CompileStopped)
        while True:  # the watchdog may fire until it no longer watches: a late raise lands here
            try:
                stopped = _watchdog.unwatch(self.watch) and (stopped or kind is None)
                break
            except CompileStopped:
                stopped = True
        if stopped:
            error: SpellError | None = self.engine.budget_error()
            raise (error or TimeLimitError("the compile ran past its time limit", engine=self.engine.name)) from None
        return False
