"""EventTimeline: the session's events as a live tree of spans with a waterfall (an anywidget).

Python keeps the whole tree (`SpanTree`) and sends one page of rows at a time, so a long session
costs the browser a page, not the session. Events arrive through an event-bus sink and are drawn in
batches (`Batcher`): a burst becomes one model update per interval. Filters, paging and the
selected row are traits the browser sets; the detail of the selected row comes back as a trait.
"""

from __future__ import annotations

import threading
from typing import Any

import anywidget
import traitlets

from ..runtime.events import Event, EventBus
from . import HERE, esm
from .batch import Batcher
from .handle import SessionWidget
from .spans import SpanTree

FILTER_FIELDS = ("type", "engine", "status", "search")


def timeline_filter(value: Any) -> dict[str, str]:
    """A filter from a glob string (`"tool.*"`) or a map with type, engine, status and search."""
    if value is None or value == "" or value == [] or value == {}:
        return {}
    if isinstance(value, str):
        return {"type": value}
    if not isinstance(value, dict):
        raise ValueError(f"a timeline filter is a type glob or a map, not {type(value).__name__}")
    unknown = set(value) - set(FILTER_FIELDS)
    if unknown:
        raise ValueError(f"unknown timeline filter field(s) {', '.join(sorted(unknown))}: "
                         f"use {', '.join(FILTER_FIELDS)}")
    return {k: str(v) for k, v in value.items() if v not in (None, "")}


class EventTimeline(SessionWidget, anywidget.AnyWidget):
    _esm = esm("timeline.js")
    _css = HERE / "widgets.css"

    rows = traitlets.List(help="the visible page of rows").tag(sync=True)
    axis = traitlets.Dict(help="the page's time axis: {ticks: [{at, label}], breaks: [{at, width, label}]}").tag(
        sync=True)
    total = traitlets.Int(0, help="rows that pass the filter").tag(sync=True)
    totals = traitlets.Dict(help="events, spans, running, errors, tokens, cost, engines").tag(sync=True)
    offset = traitlets.Int(0, help="the first row of the page").tag(sync=True)
    page_size = traitlets.Int(100).tag(sync=True)
    follow = traitlets.Bool(True, help="keep the newest rows in view").tag(sync=True)
    filter = traitlets.Dict(help="type (globs, comma-separated), engine, status, search").tag(sync=True)
    selected = traitlets.Unicode("", help="the id of the row whose detail shows").tag(sync=True)
    detail = traitlets.Dict(help="the selected row's fields and data").tag(sync=True)

    def __init__(self, bus: EventBus, filter: Any = None, *, interval: float = 0.2, max_rows: int = 20_000,
                 **kwargs: Any) -> None:
        super().__init__(filter=timeline_filter(filter), **kwargs)
        self._bus = bus
        self._tree = SpanTree(max_rows)
        self._pending: list[Event] = []
        self._pending_lock = threading.Lock()
        self._batcher = Batcher(self._apply, interval)
        # the timer thread and the kernel thread (the browser's filter, page, selection) both redraw
        self._lock = threading.RLock()
        self._local = threading.local()  # a redraw's own trait changes must not redraw again
        # follow first, then read the past: an event emitted in between is in both, and is added once
        self._past: set[str] = set()
        bus.add_sink(self._sink)
        past = bus.list()
        self._past = {e.id for e in past}
        for event in past:
            self._tree.add(event)
        self._draw()
        self.observe(self._on_view_change, names=["filter", "offset", "page_size", "follow"])
        self.observe(self._on_select, names=["selected"])

    # the live path ---------------------------------------------------------------------
    def _sink(self, event: Event) -> None:
        with self._pending_lock:
            self._pending.append(event)
        self._batcher.poke()

    def _apply(self) -> None:
        with self._pending_lock:
            pending, self._pending = self._pending, []
        if self._past:  # only the first batch can repeat the past
            pending = [e for e in pending if e.id not in self._past]
            self._past = set()
        for event in pending:
            self._tree.add(event)
        self._draw()

    def flush(self) -> None:
        self._batcher.flush_now()

    def stop(self) -> None:
        self._bus.remove_sink(self._sink)
        self._batcher.stop()

    # drawing -------------------------------------------------------------------------------
    def _draw(self, new_filter: bool = False) -> None:
        """Recompute the page and send it, with the totals and the selected row, as one update.
        A new filter starts again at the first page and drops a selection it hides."""
        with self._lock:
            if getattr(self._local, "drawing", False):
                return
            self._local.drawing = True
            try:
                listing = self._tree.listing(self.filter)
                size = max(1, self.page_size)
                last = max(0, len(listing) - size)
                offset = last if self.follow else 0 if new_filter else min(self.offset, last)
                rows, axis = self._tree.page(listing, offset, size)
                with self.hold_sync():
                    self.total, self.offset, self.rows, self.axis = len(listing), offset, rows, axis
                    self.totals = self._tree.totals()
                    if new_filter and self.selected and all(span.id != self.selected for span, _ in listing):
                        self.selected = ""
                    if self.selected:
                        self.detail = self._tree.detail(self.selected)
            finally:
                self._local.drawing = False

    def _on_view_change(self, change: dict[str, Any]) -> None:
        self._draw(new_filter=change["name"] == "filter")

    def _on_select(self, change: dict[str, Any]) -> None:
        with self._lock:
            self.detail = self._tree.detail(change["new"]) if change["new"] else {}

    # for scripts and tests -------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        self.flush()
        totals = self._tree.totals()
        return {"kind": "timeline", "filter": dict(self.filter), "rows": self.total, "events": totals["events"],
                "spans": totals["spans"], "running": totals["running"], "errors": totals["errors"],
                "tokens": totals["tokens"]}
