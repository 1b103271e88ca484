"""Who is acting, and under which event: the ambient context of a call.

Engines set the author (engine plus cell or file) when they run a chunk; agents,
workflows and tools narrow it. The event bus reads the current span to set
`parent_id`, so causality forms a tree without threading ids through every call.
Worker threads inherit the context through `run_in_context`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple, Protocol, TypeVar

T = TypeVar("T")


class Author(NamedTuple):
    """Who made a change: an engine and the cell, file, agent, workflow or tool acting."""

    engine: str | None = None
    chunk: str | None = None
    agent: str | None = None
    workflow: str | None = None
    tool: str | None = None

    def describe(self) -> str:
        """A short label such as `lua/cell[3]/agent:writer`."""
        parts = [self.engine or "python"]
        if self.chunk:
            parts.append(self.chunk)
        for kind in ("workflow", "agent", "tool"):
            value = getattr(self, kind)
            if value:
                parts.append(f"{kind}:{value}")
        return "/".join(parts)

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self._asdict().items() if v is not None}


_author: contextvars.ContextVar[Author] = contextvars.ContextVar(
    "llmspell_author", default=Author()  # noqa: B039 - Author is immutable
)
_parent: contextvars.ContextVar[str | None] = contextvars.ContextVar("llmspell_parent", default=None)


class Budget(Protocol):
    """What limits the running chunk: its engine's time limit and interrupt (ScriptEngine)."""

    def budget_error(self) -> Any: ...  # the SpellError that should stop the chunk now, or None

    def seconds_left(self) -> float | None: ...  # until the time limit; None: no limit


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("llmspell_budget", default=None)


def current_author() -> Author:
    return _author.get()


def current_parent() -> str | None:
    return _parent.get()


@contextmanager
def acting_as(**fields: str | None) -> Iterator[Author]:
    """Narrow the current author for the duration of a block."""
    token = _author.set(_author.get()._replace(**fields))  # a tuple's _replace: cheap on every engine call
    try:
        yield _author.get()
    finally:
        _author.reset(token)


def current_budget() -> Budget | None:
    """The running chunk's budget, so that blocking Python work (a model call) keeps its time limit."""
    return _budget.get()


@contextmanager
def within_budget(budget: Budget) -> Iterator[None]:
    token = _budget.set(budget)
    try:
        yield
    finally:
        _budget.reset(token)


@contextmanager
def under_parent(event_id: str | None) -> Iterator[None]:
    token = _parent.set(event_id)
    try:
        yield
    finally:
        _parent.reset(token)


def run_in_context(fn: Callable[..., T]) -> Callable[..., T]:
    """Bind `fn` to a copy of the caller's context, for use on another thread."""
    ctx = contextvars.copy_context()
    return lambda *args, **kwargs: ctx.run(fn, *args, **kwargs)
