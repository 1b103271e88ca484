"""The `ScriptEngine` protocol that Lua, JavaScript, Tengo and plugin engines implement.

An engine converts values at its boundary, binds the session's API table,
enforces limits (memory, time, interrupt) and maps its failures onto
`SpellError`. The base class owns what is common: the gate that serialises
threads, the time budget, interrupts, metrics and the author context.
"""

from __future__ import annotations

import gc
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ApiError, InterruptedSpell, ScriptSyntaxError, SpellError, TimeLimitError
from ..runtime.context import acting_as, current_budget, within_budget
from ..runtime.gate import EngineGate
from ..runtime.sandbox import read_text

LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # Python text that is not valid UTF-8
FAST_MISS = object()  # what an API fast path (`ApiFunction.fast`) returns when the full call must answer


class _OlderObjectsFrozen:
    """While any script runs, the Python objects made before it are left out of the cyclic GC's passes.

    A script that allocates fast (Tengo compiles to Python) triggers full collections, and each walks
    the whole heap: in a long-lived kernel, or a test process, one pass can outlast a time limit.
    Frozen, a pass walks only what scripts made since. Counted, since runs nest across engines and threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0

    def __enter__(self) -> None:
        with self._lock:
            self._runs += 1
            if self._runs == 1:
                gc.freeze()

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._runs -= 1
            if self._runs == 0:
                gc.unfreeze()


_older_objects_frozen = _OlderObjectsFrozen()


def stop_error(stop: type[SpellError] | None, timeout: float | None, engine: str) -> SpellError | None:
    """The error a run stopped for `stop` (TimeLimitError or InterruptedSpell) reports; None when not stopped."""
    if stop is None:
        return None
    if stop is TimeLimitError:
        return TimeLimitError(f"the chunk ran longer than its time limit of {timeout:g} s", engine=engine)
    return InterruptedSpell("interrupted", engine=engine)


class RunBudget:
    """The limits of the outermost run of an engine in a context (a chunk, or a call into it from Python).

    A callback into another engine (a tool, a handler, a step, a parallel branch on a pool thread that copied
    the context) runs within its caller's deadline when that is sooner, and shares its stop button, so one stop
    ends the callback and its caller both. Python work done for the run (a model call, perhaps on a pool
    thread: runtime/context.py current_budget) checks it too, and it outlives the run: a call still going after
    its chunk was stopped, by the time limit or an interrupt, stops at its next check.
    """

    def __init__(self, engine: ScriptEngine, timeout: float | None, enclosing: Any) -> None:
        timeout = timeout if timeout is not None else engine.limits.timeout
        deadline = time.monotonic() + timeout if timeout else None
        if isinstance(enclosing, RunBudget) and enclosing.deadline is not None \
                and (deadline is None or enclosing.deadline < deadline):
            deadline, timeout = enclosing.deadline, enclosing.timeout
        self.engine, self.deadline, self.timeout = engine, deadline, timeout
        self.interrupted = enclosing.interrupted if isinstance(enclosing, RunBudget) else threading.Event()
        self._ended = False
        self._stopped: type[SpellError] | None = None  # why the run was stopped, once it has ended

    def end(self, stopped: type[SpellError] | None) -> None:
        self._stopped, self._ended = stopped, True

    def budget_error(self) -> SpellError | None:
        """The error that should stop the work now, or None."""
        if not self._ended:
            return self.engine.budget_error()
        if self._stopped is None and self.deadline is not None and time.monotonic() > self.deadline:
            self._stopped = TimeLimitError
        return stop_error(self._stopped, self.timeout, self.engine.name)

    def seconds_left(self) -> float | None:
        """Seconds until the run's time limit; None when it has none."""
        return None if self.deadline is None else self.deadline - time.monotonic()


class ScriptFunction:
    """A function of a script engine, callable from Python and from any other engine."""

    __slots__ = ("__weakref__", "engine", "name", "ref")

    def __init__(self, engine: ScriptEngine, ref: Any, name: str | None = None) -> None:
        self.engine, self.ref, self.name = engine, ref, name

    def __call__(self, *args: Any) -> Any:
        return self.engine.call_function(self.ref, args)

    def source(self) -> str:
        """The function's source, as an expression its engine compiles again (ApiError if it cannot be stored)."""
        return self.engine.function_source(self.ref)

    def __repr__(self) -> str:
        return f"<{self.engine.name} function{' ' + self.name if self.name else ''}>"


@dataclass
class EngineMetrics:
    chunks: int = 0
    errors: int = 0
    calls: int = 0  # script functions called from outside the engine
    busy_seconds: float = 0.0
    last_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ScriptEngine(ABC):
    name: ClassVar[str]
    display_name: ClassVar[str]
    file_extensions: ClassVar[tuple[str, ...]] = ()
    interpreters: ClassVar[tuple[str, ...]] = ()  # names after `#!/usr/bin/env`
    aliases: ClassVar[tuple[str, ...]] = ()
    language_info: ClassVar[dict[str, Any]] = {}

    def __init__(self, session: Any) -> None:
        self.session = session
        self.limits = session.sandbox.limits
        self.gate = EngineGate(self.name)
        self.metrics = EngineMetrics()
        self._deadline: float | None = None
        self._stop: type[SpellError] | None = None  # set to stop the running chunk
        self._run: RunBudget | None = None  # the running run's budget, as Python work done for it sees it
        self._interrupted: threading.Event | None = None  # the run's stop button, shared with the engines it calls
        self._timeout: float | None = None
        self._depth = 0
        self._stop_lock = threading.Lock()

    # the protocol ---------------------------------------------------------
    @abstractmethod
    def initialize(self) -> None:
        """Create the interpreter and bind the session's API table."""

    @abstractmethod
    def version(self) -> str:
        """The language and interpreter version."""

    @abstractmethod
    def _run_chunk(self, code: str, chunk: str, path: Path | None) -> Any:
        """Run source code (under the gate and budget); return its value as a Python value."""

    @abstractmethod
    def _call(self, ref: Any, args: tuple) -> Any:
        """Call a script function with Python arguments; return a Python value."""

    @abstractmethod
    def to_native(self, value: Any) -> Any:
        """A Python value as this engine's value."""

    @abstractmethod
    def from_native(self, value: Any) -> Any:
        """This engine's value as a Python value (a ConversionError if it cannot cross)."""

    @abstractmethod
    def set_global(self, name: str, value: Any) -> None:
        """Give the script a global variable (`%%spell --in`)."""

    def shutdown(self) -> None:  # noqa: B027 - engines without resources need no override
        """Release the interpreter."""

    def global_names(self) -> list[str]:
        """The names of the engine's globals (for completion)."""
        return []

    def global_value(self, name: str) -> Any:
        """A global's value as a Python value (for completion and help); KeyError if there is none."""
        raise KeyError(name)

    def function_source(self, ref: Any) -> str:
        """A function's source text, for storing it (a tool, a checkpointed step); ApiError when it cannot be."""
        raise ApiError(f"{self.display_name} functions cannot be stored")

    def compile_function(self, source: str) -> ScriptFunction:
        """Make a function again from what `function_source` gave. Not run as a cell: this may happen
        inside a running cell of the same engine (a step that resumes), which a cell would wait for."""
        value = self.gate.run(self._compile_function, source)
        if not isinstance(value, ScriptFunction):
            raise ApiError(f"stored {self.display_name} source is not a function: {source[:80]!r}")
        return value

    def _compile_function(self, source: str) -> Any:
        """Evaluate a function's source in the engine (under its gate); return the value as a Python value."""
        raise ApiError(f"{self.display_name} functions cannot be stored")

    def is_complete(self, code: str) -> str:
        """Whether `code` is a whole chunk: "complete", "incomplete" (more lines to come) or "invalid"."""
        return "unknown"

    # running ----------------------------------------------------------------
    def execute(self, code: str, *, chunk: str = "chunk", timeout: float | None = None,
                path: Path | None = None) -> Any:
        """Run a chunk of source; returns its value. Failures raise SpellError."""
        if not code.isascii() and (bad := LONE_SURROGATE.search(code)):  # no engine can encode it (quickjs crashed)
            raise ScriptSyntaxError(f"the chunk holds a lone surrogate ({bad.group()!a}), which is not valid UTF-8",
                                    engine=self.name, chunk=chunk, line=code.count("\n", 0, bad.start()) + 1)
        with acting_as(engine=self.name, chunk=chunk), \
                self.session.events.span("spell", {"engine": self.name, "chunk": chunk}, source=self.name):
            return self.gate.run(self._budgeted, self._run_chunk, (code, chunk, path), timeout, True)

    def execute_file(self, path: str | Path, timeout: float | None = None) -> Any:
        path = Path(path)
        return self.execute(read_text(path), chunk=str(path), timeout=timeout, path=path)

    def call_function(self, ref: Any, args: tuple) -> Any:
        """Call one of this engine's functions from Python or another engine."""
        self.metrics.calls += 1
        with acting_as(engine=self.name):
            return self.gate.run(self._budgeted, self._call, (ref, args), None, False)

    def _budgeted(self, fn: Callable[..., Any], args: tuple, timeout: float | None, chunk: bool) -> Any:
        outer = self._depth == 0
        if outer:
            self._run = self._begin_run(timeout)
        run = self._run
        self._depth += 1
        began = time.perf_counter()
        try:
            if not chunk:  # a callback's caller may be a Python loop (a workflow, an update's retries),
                self._check_budget()  # where no script check runs, and a short callback may make none
            with _older_objects_frozen, within_budget(run):
                return fn(*args)
        except SpellError:
            self.metrics.errors += 1
            raise
        finally:
            self._depth -= 1
            spent = time.perf_counter() - began
            if chunk:
                self.metrics.chunks += 1
                self.metrics.last_seconds = spent
            if outer:
                self.metrics.busy_seconds += spent
                run.end(self._stop)
                if chunk:
                    self.session.run_ended()
                self._deadline, self._stop, self._interrupted, self._run = None, None, None, None

    def _begin_run(self, timeout: float | None) -> RunBudget:
        """Set this engine's limits for an outermost run; inside another engine's run, its deadline (when
        sooner) and its stop button hold too, so a callback can neither outlive its caller nor ignore a stop."""
        run = RunBudget(self, timeout, current_budget())
        self._timeout, self._deadline, self._interrupted, self._stop = run.timeout, run.deadline, run.interrupted, None
        return run

    def interrupt(self) -> None:
        """Stop the running chunk at its next budget check (from any thread)."""
        if self._depth:
            self.note_interrupt()

    def budget_error(self) -> SpellError | None:
        """The error that should stop the running script now, or None (called by engine hooks)."""
        if self._stop is None:
            if self._interrupted is not None and self._interrupted.is_set():  # by an engine this run called
                self._stop = InterruptedSpell
            elif self._deadline is not None and time.monotonic() > self._deadline:
                self._stop = TimeLimitError
        return stop_error(self._stop, self._timeout, self.name)

    def _check_budget(self) -> None:
        """Raise the error that should stop the running script now, if any."""
        try:
            error = self.budget_error()
        except KeyboardInterrupt:
            error = self.note_interrupt()
        if error is not None:
            raise error

    def note_interrupt(self) -> SpellError:
        """A KeyboardInterrupt reached the engine: stop the whole run, not just one pcall or one callback."""
        self._stop = InterruptedSpell
        if self._interrupted is not None:
            self._interrupted.set()
        return InterruptedSpell("interrupted", engine=self.name)
