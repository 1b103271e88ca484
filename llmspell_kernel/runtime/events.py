"""The event bus: every agent run, model call, tool call, step and state change.

An event records what happened, who caused it (`source`, `engine`) and under
which span (`parent_id`). Spans are `*.start` events; their `*.complete` or
`*.error` event has the start as parent and carries the duration.
Subscribers match glob patterns and run synchronously, in emit order.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .context import current_author, current_parent, under_parent

_ids = itertools.count(1)
_PROCESS_TAG = os.urandom(2).hex()


def new_event_id(origin: str = _PROCESS_TAG) -> str:
    """Sortable within a process, unique across processes sharing a store; `origin` tags the bus that made it."""
    return f"ev-{time.time_ns():x}-{origin}-{next(_ids):06d}"


@dataclass
class Event:
    type: str
    data: dict[str, Any]
    source: str
    engine: str | None = None
    parent_id: str | None = None
    duration: float | None = None  # milliseconds, on span-ending events
    id: str = field(default_factory=new_event_id)
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "type": self.type,
            "time": self.time,
            "source": self.source,
            "engine": self.engine,
            "parent_id": self.parent_id,
            "data": self.data,
        }
        if self.duration is not None:
            out["duration"] = self.duration
        return out


Handler = Callable[[Event], None]

SPAN_OPENERS = frozenset({"tool.call", "llm.request"})  # and every `*.start`
SPAN_CLOSERS = {"complete": "ok", "result": "ok", "response": "ok", "error": "error", "skip": "skipped"}


def opens_span(event: Event) -> bool:
    """Whether the event opens a span (the timeline's rows with a duration, OpenTelemetry's spans)."""
    return event.type.endswith(".start") or event.type in SPAN_OPENERS


def closing_status(event: Event, opener_type: str) -> str | None:
    """"ok", "error" or "skipped" when `event`, a child of a span opened by an `opener_type` event, ends it.

    The closer is of the opener's kind (`llm.response` ends `llm.request`); a `spell.error` reporting a
    failing event handler is a point event, never the end of a span.
    """
    kind, _, how = event.type.rpartition(".")
    if how not in SPAN_CLOSERS or kind != opener_type.split(".", 1)[0] or is_handler_failure(event):
        return None
    return SPAN_CLOSERS[how]


def is_handler_failure(event: Event) -> bool:
    """A `spell.error` reporting a failing event handler."""
    return event.type == "spell.error" and isinstance(event.data, dict) and "handler" in event.data


@dataclass
class _Subscription:
    id: str
    pattern: str
    handler: Handler


class EventBus:
    """Records events in a bounded ring and dispatches them to subscribers."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._ring: deque[Event] = deque(maxlen=capacity)
        self._subs: dict[str, _Subscription] = {}
        self._sinks: list[Callable[[Event], None]] = []
        self._lock = threading.RLock()
        self._sub_ids = itertools.count(1)
        self._local = threading.local()  # re-entrancy guard for failing handlers
        # in every id this bus makes: events read back from a shared store are told apart by it
        self.origin = f"{_PROCESS_TAG}{os.urandom(2).hex()}"

    @property
    def capacity(self) -> int:
        return self._ring.maxlen or 0

    def restore(self, records: list[dict[str, Any]]) -> None:
        """Put saved events back in the ring (a resumed session), without dispatching them."""
        with self._lock:
            self._ring.extend(_from_record(record) for record in records)

    def receive(self, record: dict[str, Any]) -> None:
        """An event another bus emitted on a shared store: recorded and dispatched like one of ours."""
        if not self.is_own(record["id"]):  # ours come back from the store too
            self._publish(_from_record(record))

    def is_own(self, event_id: str) -> bool:
        """Whether this bus made the event (every id carries its maker's origin tag)."""
        return f"-{self.origin}-" in event_id

    def add_sink(self, sink: Callable[[Event], None]) -> None:
        """A sink sees every event (store backends, widgets); it must not raise."""
        self._sinks.append(sink)

    def remove_sink(self, sink: Callable[[Event], None]) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    def emit(
        self,
        type: str,
        data: dict[str, Any] | None = None,
        *,
        source: str | None = None,
        parent_id: str | None = None,
        duration: float | None = None,
    ) -> Event:
        author = current_author()
        event = Event(
            type=type,
            data=data or {},
            source=source or _default_source(author),
            engine=author.engine,
            parent_id=parent_id if parent_id is not None else current_parent(),
            duration=duration,
            id=new_event_id(self.origin),
        )
        self._publish(event)
        return event

    def _publish(self, event: Event) -> None:
        """Record an event in the ring, then hand it to the sinks and the matching subscribers."""
        with self._lock:
            self._ring.append(event)
            subs = [s for s in self._subs.values() if fnmatch.fnmatchcase(event.type, s.pattern)]
        for sink in list(self._sinks):
            sink(event)
        for sub in subs:
            self._dispatch(sub, event)

    def _dispatch(self, sub: _Subscription, event: Event) -> None:
        try:
            with under_parent(event.id):
                sub.handler(event)
        except Exception as exc:  # a failing handler never stops the emitter
            if getattr(self._local, "reporting", False):
                return
            self._local.reporting = True
            try:
                self.emit(
                    "spell.error",
                    {"error": str(exc), "handler": sub.id, "event_type": event.type},
                    parent_id=event.id,
                )
            finally:
                self._local.reporting = False

    def on(self, pattern: str, handler: Handler) -> str:
        sub_id = f"sub-{next(self._sub_ids)}"
        with self._lock:
            self._subs[sub_id] = _Subscription(sub_id, pattern, handler)
        return sub_id

    def off(self, sub_id: str) -> bool:
        with self._lock:
            return self._subs.pop(sub_id, None) is not None

    def list(
        self,
        type: str | None = None,
        source: str | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        """Recorded events, oldest first, filtered."""
        with self._lock:
            events = list(self._ring)
        if since is not None:
            ids = [e.id for e in events]
            events = events[ids.index(since) + 1 :] if since in ids else [e for e in events if e.id > since]
        if type:
            events = [e for e in events if fnmatch.fnmatchcase(e.type, type)]
        if source:
            events = [e for e in events if fnmatch.fnmatchcase(e.source, source)]
        if limit is not None:
            events = events[-limit:] if limit > 0 else []
        return events

    def __len__(self) -> int:
        return len(self._ring)

    def widget(self, filter: Any = None, **options: Any) -> Any:
        """A live EventTimeline of this bus (ipywidgets); `filter` is a type glob or a map."""
        from ..widgets.timeline import EventTimeline  # ipywidgets only when a widget is asked for

        return EventTimeline(self, filter, **options)

    @contextmanager
    def span(self, kind: str, data: dict[str, Any], *, source: str | None = None) -> Iterator[dict[str, Any]]:
        """Emit `kind.start`, run the block under it, then `kind.complete` or `kind.error`.

        The block may add fields to the yielded dict; they go into the closing event.
        """
        start = self.emit(f"{kind}.start", data, source=source)
        began = time.perf_counter()
        result: dict[str, Any] = dict(data)
        try:
            with under_parent(start.id):
                yield result
        except BaseException as exc:
            result["error"] = _error_text(exc)
            self.emit(f"{kind}.error", result, source=source, parent_id=start.id, duration=elapsed_ms(began))
            raise
        self.emit(f"{kind}.complete", result, source=source, parent_id=start.id, duration=elapsed_ms(began))


def _from_record(record: dict[str, Any]) -> Event:
    """An event as `Event.to_dict` gave it (from a store)."""
    return Event(type=record["type"], data=record.get("data") or {}, source=record.get("source") or "",
                 engine=record.get("engine"), parent_id=record.get("parent_id"), duration=record.get("duration"),
                 id=record["id"], time=record["time"])


def _default_source(author) -> str:
    for kind in ("tool", "agent", "workflow"):
        value = getattr(author, kind)
        if value:
            return f"{kind}:{value}"
    return author.engine or "python"


def elapsed_ms(began: float) -> float:
    """Milliseconds since a `time.perf_counter()` reading, as events record durations."""
    return round((time.perf_counter() - began) * 1000, 3)


def _error_text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
