"""Script functions kept by engine and source, so that a persistent session can make them again.

A registered tool or a checkpointed workflow step may be a function of any engine. The
store keeps `{engine, source}`; after a restart a `StoredFunction` stands in for it and is
compiled again when its engine loads (or on its first call, which loads the engine). A
stored function may use its arguments and globals, never the local variables it closed
over: each engine refuses to store such a function, with the names of what it captures.
"""

from __future__ import annotations

import threading
from typing import Any

from ..errors import ApiError, SpellError


class StoredFunction:
    """A script function known by engine and source, compiled in its engine when first needed."""

    def __init__(self, session: Any, engine: str, source: str) -> None:
        self.session, self.engine, self.source = session, engine, source
        self._fn: Any = None
        self._error: str | None = None
        self._lock = threading.Lock()

    def bind(self, engine: Any) -> None:
        """Compile the source in `engine` (the live engine of that name); a failure is kept for the call."""
        with self._lock:
            if self._fn is not None:
                return
            try:
                self._fn = engine.compile_function(self.source)
                self._error = None
            except SpellError as exc:
                self._error = exc.message

    def __call__(self, *args: Any) -> Any:
        if self._fn is None:
            self.bind(self.session.engine(self.engine))
        if self._fn is None:
            raise ApiError(f"a stored {self.engine} function no longer compiles: {self._error}")
        return self._fn(*args)

    def record(self) -> dict[str, str]:
        return {"engine": self.engine, "source": self.source}

    def __repr__(self) -> str:
        return f"<stored {self.engine} function>"


def function_record(fn: Any) -> dict[str, str]:
    """`{engine, source}` of a script function; ApiError with the reason when it cannot be stored."""
    from ..engines.base import ScriptFunction

    if isinstance(fn, StoredFunction):
        return fn.record()
    if isinstance(fn, ScriptFunction):
        return {"engine": fn.engine.name, "source": fn.source()}
    raise ApiError("a Python function cannot be stored with the session (register it again from Python "
                   "after a restart)")
